"""Where the one-pass E-step spends its time, compiled function by compiled function.

Samples the one pass of a chunk (``families/gaussian/_fused.py``) with Linux ``perf
record`` and attributes each sample to the compiled function it fell in: the pass's own
loops (``_blocks``: the log-joints and the per-block bookkeeping), the transposition, the
normalization (``block_top``, ``block_scale``, ``_add_exps``), the moment sums
(``row_dot_sums``), Poisson's ``log x!``, and what lies outside them (numpy, Python). A
numba kernel has no symbol perf can name, so the worker compiles the kernels afresh (an
empty numba cache folder) and writes each one's object code and address, and the sampled
addresses are placed among the objects' functions (``objdump -t``).

The worker runs one thread over the rows of a seeded mixture of K=16 components (D=16
for the Gaussians, 10 count columns for Poisson) in chunks of 25,000 rows, sampled only
while it runs (perf's control fifo: not the imports and the compilation); it reports its
time per row, which the sampling slows little.

Needs ``perf`` (linux-tools) with permission to sample, and ``objdump`` (binutils).

Run:  .venv/bin/python benchmarks/profile_kernels.py [--model diag|spherical|poisson]
          [--dtype float32|float64] [--rows 100000] [--seconds 10]
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

K, CHUNK = 16, 25_000
#: Name parts of the compiled functions, in numba's mangled symbols.
KERNEL = re.compile(r"(_fused|responsibilities|_products|_discrete_kernels)\d+(\w+?)B\d")


def make_model(name, dtype, rows):
    """Return (the mixture, its rows) of a seeded problem."""
    from emkit.families import GaussianDiag, GaussianSpherical, Poisson
    from emkit.models import Mixture

    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.full(K, 5.0))
    z = rng.choice(K, size=rows, p=weights)
    if name == "poisson":
        rates = rng.uniform(0.5, 12.0, (K, 10))
        return Mixture(weights, Poisson(rates)), rng.poisson(rates[z]).astype(np.float64)
    means = rng.normal(0.0, 4.0, (K, 16))
    X = (means[z] + rng.standard_normal((rows, 16))).astype(dtype)
    family = (GaussianDiag(means, np.ones((K, 16))) if name == "diag"
              else GaussianSpherical(means, np.ones(K)))
    return Mixture(weights, family), X


def worker(args):
    # Under perf: compile afresh, write each kernel's object code and where it lies, then
    # run the chunks for the given seconds.
    from emkit import _products
    from emkit.families import _discrete_kernels
    from emkit.families.gaussian import _fused
    from emkit.models import responsibilities, worst_rows

    model, X = make_model(args.model, args.dtype, args.rows)
    chunks = [np.ascontiguousarray(X[start:start + CHUNK]) for start in range(0, len(X), CHUNK)]
    if model.family.fused_stats(chunks[0], model.log_weights) is None:
        sys.exit(f"{args.model} {args.dtype} chunks do not take the one pass here.")
    objects = []
    # getattr: an older emkit (PYTHONPATH=<its src>) may lack some of them.
    # A kernel's callees are linked into its object and also compiled on their own; the
    # calls may land in either copy, so every object is placed.
    kernels = [getattr(module, name, None) for module, name in (
        (_fused, "_blocks"), (_fused, "_transpose"), (_fused, "_four_rows"),
        (_fused, "_one_row"), (responsibilities, "block_top"),
        (responsibilities, "block_scale"), (responsibilities, "_add_exps"),
        (_products, "row_dot_sums"), (_discrete_kernels, "_log_factorial_rows"),
        (_discrete_kernels, "_all_in_table"), (_discrete_kernels, "log_factorial_block"),
        (worst_rows, "_lowest"))]
    for dispatcher in kernels:
        for number, compiled in enumerate(getattr(dispatcher, "overloads", {}).values()):
            path = os.path.join(args.folder, f"{dispatcher.__name__}{number}.o")
            with open(path, "wb") as out:
                out.write(compiled.library._get_compiled_object())
            address = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_func_name)
            objects.append((path, compiled.fndesc.llvm_func_name, address))
    with open(os.path.join(args.folder, "control"), "w") as control, \
            open(os.path.join(args.folder, "ack")) as ack:
        _tell(control, ack, "enable")  # sample the run only, not the set-up
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            for chunk in chunks:
                model.family.fused_stats(chunk, model.log_weights)
            count += 1
        per_row = (time.perf_counter() - start) / (count * len(X))
        _tell(control, ack, "disable")
    with open(os.path.join(args.folder, "worker.json"), "w") as out:
        json.dump({"objects": objects, "ns_per_row": per_row * 1e9}, out)


def _tell(control, ack, command):
    # A command to perf record through its control fifo, and its acknowledgement.
    control.write(command + "\n")
    control.flush()
    ack.readline()


def functions_of(object_file, entry, address):
    # (start address, size, short name) of every function of the object, placed by the
    # address of its entry function.
    listing = subprocess.run(["objdump", "-t", object_file], capture_output=True, text=True,
                             check=True).stdout
    found, base = [], None
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[2] == "F":
            offset = int(parts[0], 16)
            if parts[5] == entry:
                base = address - offset
            match = KERNEL.search(parts[5])
            found.append((offset, int(parts[4], 16), match.group(2) if match else parts[5][:40]))
    return [] if base is None else [(base + offset, size, name) for offset, size, name in found]


def shares(perf_data, functions):
    # Share of the samples in each compiled function, and in each other symbol.
    report = subprocess.run(["perf", "report", "-i", perf_data, "--no-children",
                             "--sort", "symbol", "--stdio"], capture_output=True, text=True,
                            check=True).stdout
    totals = collections.Counter()
    for line in report.splitlines():
        parts = line.split()
        if len(parts) < 3 or not parts[0].endswith("%") or parts[1] != "[.]":
            continue
        share, symbol = float(parts[0].rstrip("%")), parts[2]
        if symbol.startswith("0x"):
            address = int(symbol, 16)
            inside = [name for start, size, name in functions if start <= address < start + size]
            symbol = inside[0] if inside else "other compiled code"
        totals[symbol] += share
    return totals


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="diag", choices=["diag", "spherical", "poisson"])
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--top", type=int, default=15, help="rows of the table")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    missing = [tool for tool in ("perf", "objdump") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"{' and '.join(missing)} not found; install linux-tools and binutils.")
    if args.model == "poisson":
        args.dtype = "float64"  # the linear families' pass is float64
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(folder, "numba"))
        perf_data = os.path.join(folder, "perf.data")
        command = [sys.executable, os.path.abspath(__file__), "--worker", "--folder", folder,
                   "--model", args.model, "--dtype", args.dtype, "--rows", str(args.rows),
                   "--seconds", str(args.seconds)]
        control, ack = os.path.join(folder, "control"), os.path.join(folder, "ack")
        os.mkfifo(control)
        os.mkfifo(ack)
        subprocess.run(["perf", "record", "-q", "-F", "2000", "-D", "-1", "--control",
                        f"fifo:{control},{ack}", "-o", perf_data, "--"] + command,
                       env=env, check=True)
        with open(os.path.join(folder, "worker.json")) as result:
            run = json.load(result)
        functions = [f for path, entry, address in run["objects"]
                     for f in functions_of(path, entry, address)]
        totals = shares(perf_data, functions)
    print(f"{args.model} {args.dtype}, {args.rows:,} rows in chunks of {CHUNK:,}, one thread: "
          f"{run['ns_per_row']:.1f} ns per row (sampled); share of the samples:")
    for name, share in totals.most_common(args.top):
        print(f"  {share:6.2f}%  {name}")


if __name__ == "__main__":
    main()
