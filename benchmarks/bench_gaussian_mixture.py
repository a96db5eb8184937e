"""Benchmark emkit.GaussianMixture against sklearn.mixture.GaussianMixture.

What it measures, for each case (covariance type full, tied, diag or spherical x input
dtype float64 or float32) on a seeded mixture of K=16 Gaussian blobs in D=16 dimensions,
at each N of --n-samples (200,000 and 1,000,000 by default):

* The whole fit.  Both libraries start from the same parameters (weights_init,
  means_init, precisions_init computed once per N from one KMeans on a 20k subsample)
  and run a fixed number of iterations (tol=0, 10 by default).  The fit time includes
  the fixed costs: validation, initialization from the given parameters and the final
  E-step.  Its ratio to scikit-learn's float64 fit of the same covariance type and
  start is the issue-12 target: at least 10x for float64 input, 20x for float32.
* Seconds per EM iteration.  Each fit is timed with max_iter=ITERS and max_iter=1;
  s/it = (t_ITERS - t_1) / (ITERS - 1) removes the fixed costs.
* The blocked E-step matrix-product floor: the two products of one E-step (log-densities
  (M, T) @ (T, B) and moments (T, B) @ (B, M)) over every row block of B rows, where T is
  the number of per-row features of the covariance type (1 + D + D(D+1)/2 for full,
  1 + 2D for diag and spherical, 1 + D for tied, whose M = K + D counts the whitening)
  and a block holds about 4 MiB.  The faster of one thread per core (one BLAS thread
  each) and one caller with BLAS's own threads counts.  Target: emkit's s/it at most 3x
  the floor for full and diag.
* Log-likelihood agreement: relative difference of lower_bound_ after the same
  iterations, always against the scikit-learn float64 fit of the same covariance type.
* Peak extra memory: the VmHWM high-water mark is reset (``echo 5 >
  /proc/self/clear_refs``) after the data is in memory; the peak is VmHWM after the fit
  minus VmRSS before it.  RSS also counts what the allocator keeps after a free, which
  varies from run to run; so emkit's one-iteration fit is also run once more under
  tracemalloc (untimed), whose peak counts the arrays alone.  Whether memory is bounded at
  any N is judged on that traced peak.

With --repeat R each fit runs R times and the fastest counts; R1,R2 gives one count per
N (a fit of a few tenths of a second swings with the machine more than one of seconds).

Every measurement runs in its own subprocess (this script with --worker), which first
does a warm-up fit so that imports and JIT compilation are excluded (emkit's: one
iteration on all of X, which reaches every compiled kernel the timed fit calls).  With
--emkit-path PATH the emkit workers import emkit from PATH (the ``src`` folder of
another checkout) instead of the installed one, so an older emkit can be measured by
the same script; each worker reports the file it imported.

Run:  .venv/bin/python benchmarks/bench_gaussian_mixture.py [--n-samples 200000,1000000]
      [--iters 10] [--cases full-float64,diag-float32] [--repeat R[,R...]]
      [--emkit-path PATH] [--markdown] [--json PATH]
"""

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

D = K = 16
SEED = 0
REG_COVAR = 1e-6
COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
DTYPES = ["float64", "float32"]
CASES = [f"{cov}-{dt}" for cov in COVARIANCE_TYPES for dt in DTYPES]
#: Issue 12: whole fit at least this many times faster than scikit-learn float64.
FIT_TARGET = {"float64": 10.0, "float32": 20.0}
#: Issue 12: s/it at most this many times the blocked E-step floor, for these types.
FLOOR_TARGET, FLOOR_TYPES = 3.0, ("full", "diag")
FLOOR_BLOCK_BYTES = 4 * 2**20
#: Peak extra memory bounded at any N: the largest N's at most this times the smallest N's.
MEMORY_GROWTH = 2.0
INIT_ROWS = 20_000


def make_data(n_samples, dtype="float64"):
    """Seeded blob mixture: centres ~ N(0, 3^2 I), per-axis noise std in [0.5, 1.5]."""
    rng = np.random.default_rng(SEED)
    centres = rng.normal(0.0, 3.0, (K, D))
    scales = rng.uniform(0.5, 1.5, (K, D))
    z = rng.choice(K, size=n_samples, p=rng.dirichlet(np.full(K, 5.0)))
    X = rng.standard_normal((n_samples, D))
    X *= scales[z]
    X += centres[z]
    return X.astype(dtype, copy=False)


def init_from_labels(X, labels, cov, reg_covar=REG_COVAR):
    """Weights, means and precisions of the clusters ``labels`` cut X into.

    Precisions have scikit-learn's shapes: (K, D, D) full, (D, D) tied (the pooled
    within-cluster covariance), (K, D) diag, (K,) spherical (the mean variance).
    """
    parts = [X[labels == k] for k in np.unique(labels)]
    weights = np.array([len(p) for p in parts]) / len(X)
    means = np.stack([p.mean(0) for p in parts])
    eye = reg_covar * np.eye(X.shape[1])
    if cov == "full":
        prec = np.stack([np.linalg.inv(np.cov(p, rowvar=False, bias=True) + eye)
                         for p in parts])
    elif cov == "tied":
        pooled = sum(len(p) * np.cov(p, rowvar=False, bias=True) for p in parts) / len(X)
        prec = np.linalg.inv(pooled + eye)
    else:
        variances = np.stack([p.var(0) for p in parts]) + reg_covar
        prec = 1.0 / (variances if cov == "diag" else variances.mean(axis=1))
    return dict(weights_init=weights, means_init=means, precisions_init=prec)


def make_inits(X, covs):
    """One start per covariance type, all from one KMeans on the first 20k samples."""
    from sklearn.cluster import KMeans

    sub = np.asarray(X[:INIT_ROWS], dtype=np.float64)
    labels = KMeans(K, n_init=1, random_state=SEED).fit(sub).labels_
    return {cov: init_from_labels(sub, labels, cov) for cov in covs}


# ----------------------------------------------------------------- worker side
def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def import_emkit(path=None):
    """Import emkit, from the ``src`` folder ``path`` first when given; return the module."""
    if path:
        sys.path.insert(0, os.path.abspath(path))
    import emkit

    where = os.path.abspath(emkit.__file__)
    if path and not where.startswith(os.path.abspath(path) + os.sep):
        raise RuntimeError(f"emkit was imported from {where}, not from {path}")
    return emkit


def reset_peak_memory():
    """Reset VmHWM to the current RSS and return the RSS in kB."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kb("VmRSS")


def floor_shape(cov):
    """(features per row T, outputs M) of one E-step of the covariance type."""
    terms = {"full": 1 + D + D * (D + 1) // 2, "tied": 1 + D}.get(cov, 1 + 2 * D)
    return terms, K + D if cov == "tied" else K


def blocked_floor(n, cov, dtype, repeat=3):
    """Seconds of the two E-step products over every block of n rows (see the docstring)."""
    from threadpoolctl import threadpool_limits

    terms, outs = floor_shape(cov)
    rows = int(min(max(FLOOR_BLOCK_BYTES // ((terms + 2 * outs) * np.dtype(dtype).itemsize),
                       256), n))
    n_blocks = math.ceil(n / rows)
    threads = os.cpu_count() or 1
    rng = np.random.default_rng(SEED)
    weights = rng.standard_normal((outs, terms)).astype(dtype)
    resp = rng.random((rows, outs)).astype(dtype)
    buffers = [(rng.standard_normal((terms, rows)).astype(dtype), np.empty((outs, rows), dtype),
                np.empty((terms, outs), dtype)) for _ in range(threads)]

    def blocks(count, feats, out1, out2):
        for _ in range(count):
            np.matmul(weights, feats, out=out1)
            np.matmul(feats, resp, out=out2)

    shares = [n_blocks // threads + (i < n_blocks % threads) for i in range(threads)]
    times = []
    with ThreadPoolExecutor(threads) as pool:
        def serial():
            blocks(n_blocks, *buffers[0])

        def spread():
            list(pool.map(lambda i: blocks(shares[i], *buffers[i]), range(threads)))

        for fn, blas_threads in ((serial, None), (spread, 1)):
            with threadpool_limits(blas_threads):
                fn()  # warm-up: page faults, thread pools
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - t0)
    return min(times) * n / (n_blocks * rows)


def worker(spec):
    if spec["lib"] == "floor":
        return {"time": blocked_floor(spec["n"], spec["cov"], spec["dtype"])}
    X = make_data(spec["n"], spec["dtype"])
    from sklearn.exceptions import ConvergenceWarning

    emkit_file = None
    if spec["lib"] == "emkit":
        emkit = import_emkit(spec.get("emkit_path"))
        GaussianMixture, emkit_file = emkit.GaussianMixture, emkit.__file__
    else:
        from sklearn.mixture import GaussianMixture
    init = dict(np.load(spec["init"]))

    # All three *_init are given, so init_params only sets the throw-away
    # initial M-step; "random" is cheap (no KMeans on the full data) and safe.
    def model(max_iter):
        return GaussianMixture(
            n_components=K, covariance_type=spec["cov"], tol=0.0, reg_covar=REG_COVAR,
            max_iter=max_iter, n_init=1, init_params="random",
            random_state=SEED, **init)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Warm-up: imports, JIT compilation, thread pools. emkit's on all of X for one
        # iteration: every kernel specialization the timed fit calls gets compiled (or
        # loaded from numba's cache) here. On 2,000 rows the tied float64 fit at
        # N=1,000,000 left one to the timed fit, a second of compilation in a checkout
        # whose cache was cold (run_all.py's before worktree).
        (model(1).fit(X) if spec["lib"] == "emkit" else model(2).fit(X[:2000]))
        rss0 = reset_peak_memory()
        t0 = time.perf_counter()
        gm = model(spec["max_iter"]).fit(X)
        elapsed = time.perf_counter() - t0
        peak = _status_kb("VmHWM") - rss0
        traced = traced_peak(lambda: model(spec["max_iter"]).fit(X)) if spec.get("trace") else None
    return {"time": elapsed, "n_iter": int(gm.n_iter_), "lower_bound": float(gm.lower_bound_),
            "peak_mb": peak / 1024, "traced_mb": traced, "emkit_file": emkit_file,
            "warnings": sorted({str(w.message)[:120] for w in caught})}


def traced_peak(fit):
    """Peak MB of the allocations tracemalloc sees (numpy's arrays included) during fit()."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# ----------------------------------------------------------------- parent side
def call_worker(script, spec, env=None):
    """Run ``script --worker SPEC`` in a fresh interpreter; return its last stdout line's JSON."""
    proc = subprocess.run([sys.executable, os.path.abspath(script), "--worker", json.dumps(spec)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_worker(**spec):
    return call_worker(__file__, spec)


def measure(lib, cov, dtype, n, iters, init_path, repeat=1, emkit_path=None):
    """Fit time, per-iteration time, peak memory and lower bound of one library on one case.

    With repeat > 1 each fit is run that many times (each in a fresh worker)
    and the fastest time is kept.
    """
    def timed(max_iter, trace=False):
        runs = [run_worker(lib=lib, cov=cov, dtype=dtype, n=n, max_iter=max_iter,
                           init=init_path, emkit_path=emkit_path, trace=trace and not i)
                for i in range(repeat)]
        return dict(runs[0], time=min(r["time"] for r in runs))

    full = timed(iters)
    if full["n_iter"] != iters:
        raise RuntimeError(f"{lib} {cov} {dtype}: n_iter_={full['n_iter']} != {iters}")
    full["fit"] = full["time"]
    full["per_iter"] = full["time"] / iters
    if iters > 1:
        one = timed(1, trace=lib == "emkit")
        full["traced_mb"] = one["traced_mb"]
        if one["time"] < full["time"]:
            full["per_iter"] = (full["time"] - one["time"]) / (iters - 1)
        else:  # a noisy machine; keep the whole-fit number
            full["warnings"].append(f"t[max_iter=1] >= t[max_iter={iters}]; s/it = fit/it")
    return full


def cpu_description():
    """The processor's name, with what tells apart processors a virtual machine names alike.

    Cloud virtual machines often report one generic name ("Intel(R) Xeon(R) Processor")
    for several generations; the family, model and stepping numbers, the second-level
    cache and the widest vector extensions tell them apart.
    """
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        import platform
        return platform.processor() or "unknown"
    name = fields.get("model name", "unknown")
    ident = ", ".join(f"{key} {fields[key]}" for key in ("cpu family", "model", "stepping")
                      if key in fields)
    flags = set(fields.get("flags", "").split())
    vectors = next((label for flag, label in (("avx512f", "AVX-512"), ("avx2", "AVX2"),
                                               ("avx", "AVX")) if flag in flags), "SSE")
    extras = [label for flag, label in (("avx512_fp16", "AVX-512 FP16"), ("amx_tile", "AMX"))
              if flag in flags]
    details = [ident] if ident else []
    level2 = _cache_size(2)
    if level2:
        details.append(f"L2 {level2} per core")
    details.append(" + ".join([vectors] + extras))
    return f"{name} ({'; '.join(details)})"


def _cache_size(level):
    # The size of cpu0's unified or data cache of this level, as sysfs writes it ("2048K").
    root = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(root)):
            path = os.path.join(root, entry)
            with open(os.path.join(path, "level")) as f:
                if int(f.read()) != level:
                    continue
            with open(os.path.join(path, "type")) as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(os.path.join(path, "size")) as f:
                size = f.read().strip()
            kib = int(size[:-1]) if size.endswith("K") else None
            return f"{kib // 1024} MiB" if kib and kib % 1024 == 0 else size
    except (OSError, ValueError):
        return None
    return None


def machine_info():
    import numpy
    import sklearn
    from threadpoolctl import threadpool_info

    cpu = cpu_description()
    try:
        import emkit
        emkit_version = emkit.__version__
    except ImportError:
        emkit_version = "not installed"
    blas = sorted({f"{i['internal_api']} {i.get('version')} ({i.get('architecture', '?')}, "
                   f"{i['num_threads']} threads)"
                   for i in threadpool_info() if i["user_api"] == "blas"})
    return {"CPU": cpu, "cores": os.cpu_count(),
            "load average at start": round(os.getloadavg()[0], 2),
            "numpy": numpy.__version__, "scikit-learn": sklearn.__version__,
            "emkit": emkit_version, "BLAS": "; ".join(blas)}


def emkit_available(path=None):
    """Whether a fresh interpreter imports emkit.GaussianMixture (from ``path`` if given)."""
    code = ("import sys; from bench_gaussian_mixture import import_emkit; "
            "import_emkit(sys.argv[1]).GaussianMixture")
    try:
        subprocess.run([sys.executable, "-c", code, path or ""], check=True,
                       capture_output=True, cwd=os.path.dirname(os.path.abspath(__file__)))
        return True
    except subprocess.CalledProcessError:
        return False


def format_table(cols, rows, markdown):
    """Rows (dicts) as a markdown or aligned text table; cols are (key, title, format)."""
    cols = [c for c in cols if any(c[0] in r for r in rows)]
    cells = [[c[1] for c in cols]]
    cells += [[f.format(r[k]) if r.get(k) is not None else "-" for k, _, f in cols]
              for r in rows]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(cols))) + "|"]
        return "\n".join(lines + ["| " + " | ".join(line) + " |" for line in cells[1:]])
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    return "\n".join("  ".join(s.ljust(w) if i == 0 else s.rjust(w)
                               for i, (s, w) in enumerate(zip(line, widths))) for line in cells)


def print_report(info, setup, table, lines, markdown):
    """The machine, the setup, the table and the PASS/MISS and note lines."""
    if markdown:
        print("\n".join(f"- **{k}**: {v}" for k, v in info.items()))
        print(f"- **setup**: {setup}\n")
        print(table + "\n")
        print("\n".join(f"- {t}" for t in lines))
    else:
        print("\n".join(f"{k}: {v}" for k, v in info.items()))
        print(setup + "\n")
        print(table + "\n")
        print("\n".join(lines))


def target_line(ok, text):
    return f"{'PASS' if ok else 'MISS'}  {text}"


def summary_row(case, peer, peer_value, emkit_value, ratio, op=None, goal=None, unit="s"):
    """One row of the issue-12 summary that run_all.py puts side by side (see there)."""
    return {"case": case, "peer": peer, "peer_value": peer_value, "emkit_value": emkit_value,
            "unit": unit, "ratio": ratio, "op": op, "goal": goal}


def parse_cases(text):
    cases = [tuple(c.split("-")) for c in text.split(",")]
    bad = ["-".join(c) for c in cases if "-".join(c) not in CASES]
    return cases, bad


# ----------------------------------------------------------------- measuring
def run_size(n, cases, libs, args, repeat, log):
    """Every measurement at one N, each fit the fastest of ``repeat``: {(lib, cov, dtype):
    result}, floors, errors."""
    runs = {(lib, cov, dt) for cov, dt in cases for lib in libs}
    runs |= {("sklearn", cov, "float64") for cov, _ in cases}  # the reference of every case
    res, floor, errors = {}, {}, []
    with tempfile.TemporaryDirectory() as tmp:
        inits = {}
        for cov, init in make_inits(make_data(n), sorted({c for c, _ in cases})).items():
            inits[cov] = os.path.join(tmp, f"init_{cov}.npz")
            np.savez(inits[cov], **init)
        for cov, dt in cases:
            log(f"N={n:,} floor {cov} {dt} ...")
            floor[cov, dt] = run_worker(lib="floor", cov=cov, dtype=dt, n=n)["time"]
        for lib, cov, dt in sorted(runs):
            log(f"N={n:,} {lib} {cov} {dt} ...")
            t0 = time.perf_counter()
            try:
                res[lib, cov, dt] = measure(lib, cov, dt, n, args.iters, inits[cov],
                                            repeat, args.emkit_path)
            except RuntimeError as e:
                if lib == "sklearn":
                    raise
                errors.append(f"N={n:,} emkit {cov} {dt} failed: "
                              f"{str(e).strip().splitlines()[-1]}")
                log(errors[-1])
                continue
            log(f"  done in {time.perf_counter() - t0:.1f}s")
    return res, floor, errors


def table_row(n, cov, dt, res, floor):
    sk, ref = res["sklearn", cov, dt], res["sklearn", cov, "float64"]
    row = {"n": n, "case": f"{cov} {dt}", "cov": cov, "dtype": dt,
           "sk": sk["per_iter"], "sk_fit": sk["fit"], "sk64_fit": ref["fit"],
           "floor": floor[cov, dt], "sk_mb": sk["peak_mb"],
           "x_mb": n * D * np.dtype(dt).itemsize / 2**20}
    em = res.get(("emkit", cov, dt))
    if em:
        row.update(em=em["per_iter"], em_fit=em["fit"], speedup=sk["per_iter"] / em["per_iter"],
                   fit_x=sk["fit"] / em["fit"], fit_x64=ref["fit"] / em["fit"],
                   em_floor=em["per_iter"] / floor[cov, dt], em_mb=em["peak_mb"],
                   em_traced=em.get("traced_mb"),
                   rel=abs(em["lower_bound"] - ref["lower_bound"]) / abs(ref["lower_bound"]))
    return row


def worst_peaks(rows, dtypes=DTYPES, key="em_mb"):
    """(N, the row of emkit's largest peak ``key`` at N) over the given dtypes."""
    for n in sorted({r["n"] for r in rows}):
        measured = [r for r in rows if r["n"] == n and r.get(key) is not None
                    and r["dtype"] in dtypes]
        if measured:
            yield n, max(measured, key=lambda r: r[key])


def peak_growth(rows):
    """(ratio, smallest N, largest N) of emkit's largest traced peaks, or None for one N."""
    peaks = list(worst_peaks(rows, key="em_traced"))
    if len(peaks) < 2:
        return None
    (n0, r0), (n1, r1) = peaks[0], peaks[-1]
    return r1["em_traced"] / max(r0["em_traced"], 1e-3), n0, n1


def targets_of(rows, iters):
    lines = []
    for r in (r for r in rows if "em" in r):
        where = f"N={r['n']:,} {r['case']}"
        goal = FIT_TARGET[r["dtype"]]
        lines.append(target_line(r["fit_x64"] >= goal, (
            f"{where}: at least {goal:g}x scikit-learn float64 per fit ({iters} iterations "
            f"from the same start, fixed costs included): {r['fit_x64']:.2f}x")))
        if r["cov"] in FLOOR_TYPES:
            lines.append(target_line(r["em_floor"] <= FLOOR_TARGET, (
                f"{where}: s/it at most {FLOOR_TARGET:g}x the blocked E-step matrix-product "
                f"floor: {r['em']:.4f} s / {r['floor']:.4f} s = {r['em_floor']:.2f}x")))
        if r["dtype"] == "float32":
            lines.append(target_line(r["rel"] <= 1e-4, (
                f"{where}: log-likelihood within 1e-4 of scikit-learn float64: {r['rel']:.1e}")))
    for n, worst in worst_peaks(rows, ("float64",)):
        lines.append(target_line(worst["em_mb"] < worst["x_mb"], (
            f"N={n:,}: largest float64 emkit peak extra memory ({worst['case']}) below one "
            f"copy of X: {worst['em_mb']:.1f} MB / {worst['x_mb']:.1f} MB")))
    if growth := peak_growth(rows):
        lines.append(target_line(growth[0] <= MEMORY_GROWTH, (
            f"largest emkit traced peak of a one-iteration fit at N={growth[2]:,} at most "
            f"{MEMORY_GROWTH:g}x the one at N={growth[1]:,} (bounded at any N): "
            f"{growth[0]:.2f}x")))
    return lines


def summary_of(rows, iters):
    """The issue-12 rows this benchmark measures, for run_all.py's summary."""
    out = []
    for r in (r for r in rows if "em" in r):
        where = f"GaussianMixture {r['case']}, N={r['n']:,}"
        out.append(summary_row(f"{where}: fit of {iters} iterations vs scikit-learn float64",
                               "scikit-learn float64", r["sk64_fit"], r["em_fit"], r["fit_x64"],
                               ">=", FIT_TARGET[r["dtype"]]))
        if r["case"] == "full float32":
            out.append(summary_row(f"{where}: fit vs scikit-learn float32", "scikit-learn "
                                   "float32", r["sk_fit"], r["em_fit"], r["fit_x"]))
        if r["cov"] in FLOOR_TYPES:
            out.append(summary_row(f"{where}: s/it / blocked E-step product floor",
                                   "product floor", r["floor"], r["em"], r["em_floor"],
                                   "<=", FLOOR_TARGET))
    for n, worst in worst_peaks(rows, ("float64",)):
        out.append(summary_row(
            f"GaussianMixture N={n:,}: largest float64 peak memory beyond X / size of X",
            "scikit-learn", worst["sk_mb"], worst["em_mb"], worst["em_mb"] / worst["x_mb"],
            "<", 1.0, unit="MB"))
    if growth := peak_growth(rows):
        out.append(summary_row(
            f"GaussianMixture: largest traced peak of a one-iteration fit, "
            f"N={growth[2]:,} / N={growth[1]:,}",
            "-", None, None, growth[0], "<=", MEMORY_GROWTH, unit="MB"))
    return out


COLUMNS = [("n", "N", "{:,}"), ("case", "case", "{}"),
           ("sk_fit", "sk fit s", "{:.3f}"), ("em_fit", "em fit s", "{:.3f}"),
           ("fit_x", "fit speedup", "{:.2f}x"), ("sk64_fit", "sk f64 fit s", "{:.3f}"),
           ("fit_x64", "fit vs sk f64", "{:.2f}x"),
           ("sk", "sk s/it", "{:.4f}"), ("em", "em s/it", "{:.4f}"),
           ("speedup", "s/it speedup", "{:.2f}x"), ("floor", "floor s", "{:.4f}"),
           ("em_floor", "em/floor", "{:.2f}x"), ("sk_mb", "sk MB", "{:.0f}"),
           ("em_mb", "em MB", "{:.1f}"), ("em_traced", "em traced MB", "{:.1f}"),
           ("rel", "rel diff vs sk f64", "{:.1e}")]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-samples", default="200000,1000000", help="comma list of N")
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--cases", default=",".join(CASES), help="comma list of " + ",".join(CASES))
    p.add_argument("--repeat", default="1",
                   help="run each fit this many times and keep the fastest; a comma list "
                   "gives one count per N of --n-samples")
    p.add_argument("--emkit-path", default=None,
                   help="import emkit from this src folder (of another checkout) in the workers")
    p.add_argument("--markdown", action="store_true", help="print markdown for BENCHMARKS.md")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return args
    args.cases, bad = parse_cases(args.cases)
    if bad:
        p.error(f"unknown case {bad[0]}")
    try:
        args.n_samples = [int(v) for v in args.n_samples.split(",")]
        args.repeat = [int(v) for v in args.repeat.split(",")]
    except ValueError:
        p.error("--n-samples and --repeat take comma lists of integers")
    if len(args.repeat) == 1:
        args.repeat *= len(args.n_samples)
    if len(args.repeat) != len(args.n_samples):
        p.error("--repeat takes one count, or one per N of --n-samples")
    if min(args.n_samples) < 2000 or args.iters < 1 or min(args.repeat) < 1:
        p.error("N must be at least 2000, --iters and --repeat at least 1")
    return args


def main():
    args = parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    libs = ["sklearn"] + (["emkit"] if emkit_available(args.emkit_path) else [])
    if args.emkit_path and "emkit" not in libs:
        sys.exit(f"emkit.GaussianMixture is not importable from {args.emkit_path}")
    if "emkit" not in libs:
        log("emkit.GaussianMixture is not importable: measuring scikit-learn only")
    info = machine_info()  # before the runs: the load average tells how quiet the machine was
    rows, notes = [], []
    for n, repeat in zip(args.n_samples, args.repeat):
        res, floor, errors = run_size(n, args.cases, libs, args, repeat, log)
        notes += errors
        rows += [table_row(n, cov, dt, res, floor) for cov, dt in args.cases]
        for (lib, cov, dt), r in sorted(res.items()):
            notes += [f"N={n:,} {lib} {cov} {dt} warned: {w}" for w in r["warnings"]]
        files = {r["emkit_file"] for r in res.values() if r.get("emkit_file")}
        info["emkit imported from"] = ", ".join(sorted(files)) or "-"
        log(f"emkit imported from {info['emkit imported from']}")
    info["load average at end"] = round(os.getloadavg()[0], 2)
    if args.emkit_path:
        info["emkit"] = f"the checkout whose src is {args.emkit_path}"
    iters = args.iters
    best_of = ", ".join(f"{r} at N={n:,}" for n, r in zip(args.n_samples, args.repeat))
    setup = (f"D={D}, K={K}, {iters} EM iterations from the same start (KMeans on the "
             f"first {INIT_ROWS:,} rows); fit s = the whole fit of {iters} iterations, fixed "
             f"costs included (validation, initialization from the given parameters, final "
             f"E-step), the fastest of {best_of} (each in a fresh process, both libraries "
             f"alike); fit vs sk f64 = scikit-learn float64 fit s / emkit fit s; "
             f"s/it = (t[max_iter={iters}] - t[max_iter=1]) / {max(iters - 1, 1)}; floor = the "
             f"two E-step products (M, T) @ (T, B) and (T, B) @ (B, M) over blocks of about "
             f"4 MiB, per iteration; MB = peak extra RSS during fit; traced MB = tracemalloc's "
             f"peak during a one-iteration fit; sk = scikit-learn, "
             f"em = emkit")
    lines = targets_of(rows, iters) + notes
    print_report(info, setup, format_table(COLUMNS, rows, args.markdown), lines, args.markdown)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "rows": rows, "targets": lines,
                       "summary": summary_of(rows, iters)}, f, indent=1)


if __name__ == "__main__":
    main()
