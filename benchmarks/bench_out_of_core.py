"""Out of core on one machine: GaussianMixture fitted from a memory-mapped .npy file.

Data: N rows, D=16, float32, from K=16 full-covariance Gaussians (fixed seed), written to
a .npy file in --dir (default: a temporary folder) one block of rows at a time, never
whole in memory; each file is deleted once measured, so one is on disk at a time.

Fits, each in a fresh interpreter:

* in process: ``GaussianMixture(K, covariance_type="full", max_iter=--iters, tol=0)``
  fitted on ``np.load(path, mmap_mode="r")`` (engine threads, chunks of rows read from
  the page cache or the disk);
* Dask (unless --no-dask): the same fit on a Dask array over the same file (one block of
  64 MB of rows per task, read by the workers from the path: ``emkit.cli.fit_data.
  open_features(path, distributed=True)``, what ``emkit fit --workers`` uses) on a
  ``distributed.LocalCluster`` of --workers worker processes of one thread each.

Starts: --init given (default) passes weights_init, means_init and precisions_init (the
true parameters, perturbed), so no pass over the data initializes; --init default is
k-means on the start sample (at most 100,000 rows; see ArraySource.start_source).

Reported per N:

* seconds per iteration: the mean time between the callbacks of iterations 1 and
  --iters (so validation, the start and the first iteration are not in it), and per 1e6
  rows; the whole fit's seconds too (validation passes included);
* peak memory beyond the page cache: RssAnon of /proc/self/status (anonymous memory:
  the file's pages in the page cache, mapped or not, are RssFile and not counted),
  sampled every 10 ms by a thread during the fit, minus its value just before the fit;
  for Dask, the client's, and the workers' peak RssAnon (sampled alike in each worker,
  the blocks Dask persists on them included);
* scikit-learn: not run. Its fit needs X in memory as float (N*D*4 bytes for float32,
  which it keeps) plus, in its E- and M-steps, the (N, K) weighted log-probabilities,
  log-responsibilities and responsibilities (3*N*K*4 bytes), and its KMeans start
  (run even when all starts are given) copies X; the estimate N*(2D + 3K)*4 bytes is
  set against this machine's memory;
* the log-likelihoods (lower_bound_) of the in-process and the Dask fit, which should
  agree to rounding.

Run:  .venv/bin/python benchmarks/bench_out_of_core.py [--sizes 1e7 3e7 1e8] [--dir DIR]
      [--iters 3] [--init given|default] [--workers 2] [--no-dask] [--markdown]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gaussian_mixture import format_table, machine_info  # noqa: E402

D, K, SEED = 16, 16, 0
WRITE_ROWS = 1_000_000
SAMPLE_SECONDS = 0.01


# ----------------------------------------------------------------- data
def true_parameters(d=D, k=K, seed=SEED):
    """Means, covariance factors and the perturbed start of the generating mixture."""
    rng = np.random.RandomState(seed)
    means = rng.normal(scale=5.0, size=(k, d))
    factors = rng.normal(scale=0.35, size=(k, d, d)) + np.eye(d)
    covariances = factors.transpose(0, 2, 1) @ factors
    start = dict(weights_init=np.full(k, 1.0 / k),
                 means_init=means + rng.normal(scale=0.5, size=means.shape),
                 precisions_init=np.linalg.inv(covariances * 1.5))
    return means, factors, start


def write_npy(path, n, dtype=np.float32):
    """Write n rows of the mixture to a .npy file, WRITE_ROWS rows at a time."""
    means, factors, _ = true_parameters()
    rng = np.random.default_rng(SEED)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, D))
    for start in range(0, n, WRITE_ROWS):
        stop = min(start + WRITE_ROWS, n)
        labels = rng.integers(0, K, stop - start)
        z = rng.standard_normal((stop - start, D))
        block = np.empty((stop - start, D))
        for k in range(K):
            rows = labels == k
            block[rows] = means[k] + z[rows] @ factors[k]
        X[start:stop] = block
    X.flush()
    del X


# ----------------------------------------------------------------- memory
def status_kb(field, pid="self"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class PeakSampler:
    """A thread keeping the largest RssAnon of this process, sampled every 10 ms."""

    def __init__(self):
        self.peak = status_kb("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, status_kb("RssAnon"))

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, status_kb("RssAnon"))
        return self.peak


def start_worker_sampler(dask_worker):
    """On a Dask worker (client.run): start sampling its RssAnon; return it now (kB)."""
    dask_worker.emkit_peak_sampler = PeakSampler()
    return status_kb("RssAnon")


def stop_worker_sampler(dask_worker):
    """On a Dask worker (client.run): its peak RssAnon since start_worker_sampler (kB)."""
    return dask_worker.emkit_peak_sampler.stop()


# ----------------------------------------------------------------- one fit, in a child
def child(spec):
    import emkit

    _, _, start = true_parameters()
    given = start if spec["init"] == "given" else {}
    stamps = []

    def callback(step):
        stamps.append(time.perf_counter())

    model = emkit.GaussianMixture(K, covariance_type="full", max_iter=spec["iters"], tol=0.0,
                                  random_state=SEED, **given)
    warnings.simplefilter("ignore")
    result = {}
    if spec["mode"] == "memmap":
        X = np.load(spec["path"], mmap_mode="r")
        emkit.GaussianMixture(K, max_iter=1, **given).fit(np.array(X[:20_000]))  # warm-up
        base = status_kb("RssAnon")
        sampler = PeakSampler()
        t0 = time.perf_counter()
        model.fit(X, callback=callback)
        elapsed = time.perf_counter() - t0
        result["peak_mb"] = (sampler.stop() - base) / 1024
    else:
        import logging

        import distributed
        from emkit.cli.fit_data import open_features

        with distributed.LocalCluster(n_workers=spec["workers"], threads_per_worker=1,
                                      processes=True, dashboard_address=None,
                                      silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:
            X = open_features(spec["path"], distributed=True).X
            # Warm-up: the workers import emkit and NumPy with their first tasks.
            emkit.GaussianMixture(K, max_iter=1, **given).fit(X[:20_000])
            from emkit.estimators._dask import _memory_limit
            result["persisted"] = bool(X.nbytes <= _memory_limit())
            result["blocks"] = len(X.chunks[0])
            bases = client.run(start_worker_sampler)
            base = status_kb("RssAnon")
            sampler = PeakSampler()
            t0 = time.perf_counter()
            model.fit(X, callback=callback)
            elapsed = time.perf_counter() - t0
            result["peak_mb"] = (sampler.stop() - base) / 1024
            peaks = client.run(stop_worker_sampler)
            result["workers_peak_mb"] = sum(peaks[w] - bases[w] for w in peaks) / 1024
    per_iter = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else elapsed
    result.update(fit=elapsed, per_iter=per_iter, n_iter=int(model.n_iter_),
                  lower_bound=float(model.lower_bound_))
    return result


def run_child(**spec):
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                           json.dumps(spec)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['mode']} fit of {spec['path']} failed:\n"
                           f"{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------- parent
def _meminfo_kb(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def sklearn_estimate_mb(n, itemsize=4):
    """scikit-learn's least peak: X, its KMeans copy and three (N, K) arrays."""
    return n * (2 * D + 3 * K) * itemsize / 2**20


def measure(n, folder, args):
    path = os.path.join(folder, f"bench_out_of_core_{n}.npy")
    try:
        t0 = time.perf_counter()
        write_npy(path, n)
        written = time.perf_counter() - t0
        spec = dict(path=path, iters=args.iters, init=args.init)
        row = {"n": n, "file_gb": os.path.getsize(path) / 1e9, "write": written}
        local = run_child(mode="memmap", **spec)
        row.update(fit=local["fit"], per_iter=local["per_iter"], peak=local["peak_mb"],
                   lower_bound=local["lower_bound"])
        if not args.no_dask:
            remote = run_child(mode="dask", workers=args.workers, **spec)
            row.update(dask_fit=remote["fit"], dask_per_iter=remote["per_iter"],
                       dask_peak=remote["peak_mb"], workers_peak=remote["workers_peak_mb"],
                       dask_lower_bound=remote["lower_bound"], persisted=remote["persisted"],
                       blocks=remote["blocks"])
            row["agree"] = abs(row["dask_lower_bound"] - row["lower_bound"]) / abs(
                row["lower_bound"])
        return row
    finally:
        if os.path.exists(path):
            os.remove(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e7, 3e7, 1e8],
                        help="numbers of rows (default: 1e7 3e7 1e8)")
    parser.add_argument("--dir", help="folder of the data files (default: a temporary one)")
    parser.add_argument("--iters", type=int, default=3, help="EM iterations (default: 3)")
    parser.add_argument("--init", choices=("given", "default"), default="given",
                        help="given: all starting parameters; default: k-means on the "
                             "start sample (default: given)")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the Dask cluster (default: 2)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask fits")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    info = machine_info()
    memory = _meminfo_kb("MemTotal") / 1024
    info["memory"] = f"{memory / 1024:.1f} GiB"
    folder = args.dir or tempfile.mkdtemp(prefix="emkit-ooc-")
    rows = []
    try:
        for n in (int(size) for size in args.sizes):
            print(f"N={n:,}: writing, fitting ...", file=sys.stderr, flush=True)
            row = measure(n, folder, args)
            row["per_1e6"] = row["per_iter"] / (n / 1e6)
            if "dask_per_iter" in row:
                row["dask_per_1e6"] = row["dask_per_iter"] / (n / 1e6)
                row["dask_ratio"] = row["dask_per_iter"] / row["per_iter"]
            estimate = sklearn_estimate_mb(n)
            row["sklearn"] = (f">= {estimate / 1024:.1f} GiB, "
                              + ("fits in memory" if estimate < memory else
                                 "more than this machine's memory"))
            rows.append(row)
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    info["load average at end"] = round(os.getloadavg()[0], 2)

    cols = [("n", "N", "{:,}"), ("file_gb", "file GB", "{:.2f}"),
            ("per_iter", "s/it", "{:.2f}"), ("per_1e6", "s/it per 1e6 rows", "{:.3f}"),
            ("fit", "fit s", "{:.1f}"), ("peak", "peak RssAnon MB", "{:.0f}"),
            ("dask_per_iter", "Dask s/it", "{:.2f}"),
            ("dask_per_1e6", "Dask s/it per 1e6 rows", "{:.3f}"),
            ("dask_ratio", "Dask / in process", "{:.2f}x"),
            ("dask_peak", "Dask client MB", "{:.0f}"),
            ("workers_peak", "Dask workers MB", "{:.0f}"),
            ("agree", "log-lik. rel. diff", "{:.1e}"),
            ("sklearn", "scikit-learn (estimate)", "{}")]
    table = format_table(cols, rows, args.markdown)
    starts = ("all starting parameters given (the true ones, perturbed): no pass over the "
              "data initializes" if args.init == "given" else
              "default init: k-means on the start sample of at most 100,000 rows")
    setup = (f"GaussianMixture(K={K}, covariance_type='full', max_iter={args.iters}, tol=0) "
             f"on D={D} float32 rows from np.load(path, mmap_mode='r'); {starts}. s/it: mean "
             f"time between the callbacks of iterations 1 and {args.iters}. Peak memory: "
             "RssAnon (anonymous memory, page cache excluded) sampled every 10 ms, minus its "
             "value before the fit.")
    if not args.no_dask:
        setup += (f" Dask: the same fit on a Dask array of 64 MB blocks read from the file "
                  f"by a LocalCluster of {args.workers} worker processes, one thread each; "
                  "its workers' MB is the sum of their peak RssAnon (blocks persisted on them "
                  "included).")
    notes = [f"scikit-learn was not run: it needs X in memory as float32 (N*D*4 bytes), a "
             f"copy of it for its KMeans start (made even when all starts are given) and "
             f"three (N, K) arrays in its E- and M-steps (3*N*K*4 bytes): at least "
             f"N*(2D + 3K)*4 bytes; this machine has {memory / 1024:.1f} GiB."]
    for row in rows:
        if "persisted" in row:
            held = "persisted" if row["persisted"] else "did not persist"
            notes.append(f"N={row['n']:,}: Dask {held} the {row['blocks']} blocks on the "
                         "workers (the data "
                         f"{'fits' if row['persisted'] else 'does not fit'} in half their "
                         f"memory); lower_bound_ in process {row['lower_bound']:.10f}, Dask "
                         f"{row['dask_lower_bound']:.10f}.")
        notes.append(f"N={row['n']:,}: writing the file took {row['write']:.1f} s.")
    if args.markdown:
        print("\n".join(f"- **{key}**: {value}" for key, value in info.items()))
        print(f"- **setup**: {setup}\n")
        print(table + "\n")
        print("\n".join(f"- {note}" for note in notes))
    else:
        print("\n".join(f"{key}: {value}" for key, value in info.items()))
        print(setup + "\n")
        print(table + "\n")
        print("\n".join(notes))


if __name__ == "__main__":
    main()
