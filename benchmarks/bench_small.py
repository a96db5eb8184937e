"""Benchmark small Gaussian mixture fits: emkit against scikit-learn, whole fits.

Problems (covariance_type="full", tol=0, a fixed number of iterations):

* ``seed-1d``: the 1-D two-Gaussian seed example (emkit.datasets.make_two_gaussians_1d,
  N=1000, K=2), 500 iterations from the seed example's start (weights 0.5/0.5, means 0
  and 1, unit precisions, reg_covar=0).  Target: emkit at least 3x scikit-learn.
* ``blobs-600``: 2-D sheared blobs (emkit.datasets.make_blobs_2d, N=600, K=3), 500
  iterations.  Target: at least 3x.
* ``blobs-6000``: the same with N=6000, 200 iterations; reported in ms per iteration.

The 2-D starts come from one KMeans on the data.  Data and starts are made once in the
parent and given to both libraries.  Each library runs in a fresh subprocess (this
script with --worker) that first fits the same problem with a few iterations (imports,
compilation and thread pools are not timed), then times the whole fit (validation,
initialization from the given parameters, the iterations and the final E-step).  The two
libraries' workers alternate and each keeps the best of --repeat.  With --emkit-path PATH
the emkit workers import emkit from PATH (the ``src`` folder of another checkout).

Run:  .venv/bin/python benchmarks/bench_small.py [--problems seed-1d,blobs-600,blobs-6000]
      [--repeat 5] [--iters I] [--emkit-path PATH] [--markdown] [--json PATH]
"""

import argparse
import json
import os
import sys
import tempfile
import time
import warnings

import numpy as np

from bench_gaussian_mixture import (call_worker, format_table, import_emkit, init_from_labels,
                                    machine_info, print_report, summary_row, target_line)

SEED = 0
#: problem -> (N, K, iterations, target speed-up over scikit-learn or None)
PROBLEMS = {"seed-1d": (1000, 2, 500, 3.0), "blobs-600": (600, 3, 500, 3.0),
            "blobs-6000": (6000, 3, 200, None)}
WARM_UP_ITERS = 5


def make_problem(name):
    """Data and start (weights_init, means_init, precisions_init, reg_covar) of a problem."""
    from emkit.datasets import make_blobs_2d, make_two_gaussians_1d

    n, k, _, _ = PROBLEMS[name]
    if name == "seed-1d":
        X, _ = make_two_gaussians_1d(n, random_state=SEED)
        return X, dict(weights_init=[0.5, 0.5], means_init=[[0.0], [1.0]],
                       precisions_init=[[[1.0]], [[1.0]]], reg_covar=0.0)
    from sklearn.cluster import KMeans

    X, _ = make_blobs_2d(n, random_state=SEED)
    labels = KMeans(k, n_init=1, random_state=SEED).fit(X).labels_
    return X, dict(init_from_labels(X, labels, "full"), reg_covar=1e-6)


# ----------------------------------------------------------------- worker side
def worker(spec):
    from sklearn.exceptions import ConvergenceWarning

    emkit_file = None
    if spec["lib"] == "emkit":
        emkit = import_emkit(spec.get("emkit_path"))
        GaussianMixture, emkit_file = emkit.GaussianMixture, emkit.__file__
    else:
        from sklearn.mixture import GaussianMixture
    data = np.load(spec["data"])
    X = data["X"]
    init = {key: data[key] for key in ("weights_init", "means_init", "precisions_init")}
    reg_covar = float(data["reg_covar"])

    def fit(max_iter):
        return GaussianMixture(len(init["weights_init"]), covariance_type="full", tol=0.0,
                               reg_covar=reg_covar, max_iter=max_iter, random_state=SEED,
                               **init).fit(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit(WARM_UP_ITERS)
        t0 = time.perf_counter()
        gm = fit(spec["iters"])
        elapsed = time.perf_counter() - t0
    return {"time": elapsed, "n_iter": int(gm.n_iter_), "lower_bound": float(gm.lower_bound_),
            "emkit_file": emkit_file}


# ----------------------------------------------------------------- parent side
def measure(name, path, iters, repeat, emkit_path, log):
    """Best whole-fit time of each library; the libraries' workers alternate."""
    runs = {"sklearn": [], "emkit": []}
    for r in range(repeat):
        for lib in runs:
            log(f"{name} {lib} ({r + 1}/{repeat}) ...")
            runs[lib].append(call_worker(__file__, dict(lib=lib, data=path, iters=iters,
                                                        emkit_path=emkit_path)))
    return {lib: dict(rs[0], time=min(x["time"] for x in rs)) for lib, rs in runs.items()}


def row_of(name, iters, res):
    sk, em = res["sklearn"], res["emkit"]
    n, k, _, goal = PROBLEMS[name]
    return {"problem": name, "n": n, "k": k, "iters": iters, "sk_fit": sk["time"] * 1e3,
            "em_fit": em["time"] * 1e3, "sk_ms": sk["time"] * 1e3 / sk["n_iter"],
            "em_ms": em["time"] * 1e3 / em["n_iter"], "speedup": sk["time"] / em["time"],
            "rel": abs(em["lower_bound"] - sk["lower_bound"]) / abs(sk["lower_bound"]),
            "goal": goal, "n_iters": (sk["n_iter"], em["n_iter"])}


def lines_of(rows):
    lines = []
    for r in rows:
        text = f"{r['problem']}: whole fit of {r['iters']} iterations"
        if r["goal"] is not None:
            lines.append(target_line(r["speedup"] >= r["goal"], (
                f"{text} at least {r['goal']:g}x scikit-learn: {r['speedup']:.2f}x")))
        else:
            lines.append(f"{text}: {r['em_ms']:.2f} ms per iteration (scikit-learn "
                         f"{r['sk_ms']:.2f} ms), {r['speedup']:.2f}x")
        if len(set(r["n_iters"]) | {r["iters"]}) > 1:
            lines.append(f"{r['problem']}: iterations run (scikit-learn, emkit) = "
                         f"{r['n_iters']}, not {r['iters']}")
    return lines


def summary_of(rows):
    return [summary_row(f"small: {r['problem']} (N={r['n']:,}, K={r['k']}), whole fit of "
                        f"{r['iters']} iterations", "scikit-learn", r["sk_fit"], r["em_fit"],
                        r["speedup"], ">=" if r["goal"] else None, r["goal"], unit="ms")
            for r in rows]


COLUMNS = [("problem", "problem", "{}"), ("n", "N", "{:,}"), ("k", "K", "{}"),
           ("iters", "iterations", "{}"), ("sk_fit", "sk fit ms", "{:.1f}"),
           ("em_fit", "em fit ms", "{:.1f}"), ("speedup", "speedup", "{:.2f}x"),
           ("sk_ms", "sk ms/it", "{:.3f}"), ("em_ms", "em ms/it", "{:.3f}"),
           ("rel", "rel diff lower_bound", "{:.1e}")]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--problems", default=",".join(PROBLEMS),
                   help="comma list of " + ",".join(PROBLEMS))
    p.add_argument("--repeat", type=int, default=5,
                   help="fresh workers per library (alternating); the fastest counts")
    p.add_argument("--iters", type=int, default=None,
                   help="iterations of every problem (default: each problem's own)")
    p.add_argument("--emkit-path", default=None,
                   help="import emkit from this src folder (of another checkout) in the workers")
    p.add_argument("--markdown", action="store_true", help="print markdown for BENCHMARKS.md")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return args
    args.problems = args.problems.split(",")
    if any(name not in PROBLEMS for name in args.problems):
        p.error(f"unknown problem in {','.join(args.problems)}")
    if args.repeat < 1 or (args.iters is not None and args.iters < 1):
        p.error("--repeat and --iters must be at least 1")
    return args


def main():
    args = parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    info = machine_info()  # before the runs: the load average tells how quiet the machine was
    rows, files = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.problems:
            X, init = make_problem(name)
            path = os.path.join(tmp, f"{name}.npz")
            np.savez(path, X=X, **init)
            iters = args.iters or PROBLEMS[name][2]
            res = measure(name, path, iters, args.repeat, args.emkit_path, log)
            files.add(res["emkit"]["emkit_file"])
            rows.append(row_of(name, iters, res))
    info["emkit imported from"] = ", ".join(sorted(files))
    log(f"emkit imported from {info['emkit imported from']}")
    info["load average at end"] = round(os.getloadavg()[0], 2)
    if args.emkit_path:
        info["emkit"] = f"the checkout whose src is {args.emkit_path}"
    setup = (f"covariance_type='full', tol=0, fixed iterations from the same start; fit ms = "
             f"the whole fit (validation, initialization from the given parameters, the "
             f"iterations, the final E-step), best of {args.repeat} fresh workers per library "
             f"after a {WARM_UP_ITERS}-iteration warm-up; ms/it = fit ms / iterations; "
             f"speedup = scikit-learn fit / emkit fit; sk = scikit-learn, em = emkit")
    print_report(info, setup, format_table(COLUMNS, rows, args.markdown), lines_of(rows),
                 args.markdown)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "rows": rows, "summary": summary_of(rows)}, f, indent=1)


if __name__ == "__main__":
    main()
