"""Benchmark emkit's GaussianHMM and CategoricalHMM against hmmlearn's.

The data of every case come from one known 3-state HMM with sticky transitions, sampled
with a fixed seed; the Gaussian cases emit in D=4 dimensions (well-separated means,
diagonal covariances), the categorical case one of 20 symbols:

* many: GaussianHMM, covariance_type="diag", 50 sequences of 2,000 steps (100,000 rows).
* long: GaussianHMM, covariance_type="diag", one sequence of 1,000,000 steps.
* full: GaussianHMM, covariance_type="full", the data of "many".
* categorical: CategoricalHMM, 20 symbols, 50 sequences of 2,000 steps.

What it measures, for each case and library:

* Seconds per EM (Baum-Welch) iteration.  Both libraries start from the same
  parameters (computed once in the parent: uniform startprob_, a transmat_ with 0.8 on the diagonal,
  means_ from a KMeans on the first 20k rows, covars_ from the covariance of all the
  data plus min_covar, as hmmlearn's own init; emissionprob_ from seeded uniform draws,
  normalized, as hmmlearn's init without its seed), are given them with init_params="",
  and run a fixed number of iterations with tol=0.  Each fit is timed with n_iter=N
  and n_iter=1, and s/it = (t_N - t_1) / (N - 1), which removes the fixed cost of
  input validation; fit/it = t_N / N is shown too.  hmmlearn's monitor stops a tol=0
  fit at the first decrease of the log-likelihood (possible: the default covars_prior
  makes each M-step a MAP step), so its monitor is replaced by one that stops only at
  n_iter, as hmmlearn's documentation shows for custom monitors.
* Log-likelihood agreement: relative difference of monitor_.history[-1]; it must be
  below 1e-6 (a FAIL line says otherwise).
* score and decode (Viterbi) of the whole data with the fitted model, timed once each,
  with the agreement of their values and of the decoded states.

Every library runs in its own subprocess (this script with --worker), which first fits
the same data with n_iter=1 and scores and decodes a slice of it, so that imports and
numba's JIT compilation (or loading from its cache) are excluded.  With --repeats R the
two libraries' workers alternate (hmmlearn, emkit, hmmlearn, ...), so a busy machine
slows both alike, and each keeps its fastest run.  With --emkit-path PATH the emkit
workers import emkit from PATH (the ``src`` folder of another checkout), so an older
emkit can be measured by the same script.

Run:  .venv/bin/python benchmarks/bench_hmm.py [--cases many,long,full,categorical] [--n-iter N]
      [--repeats R] [--implementation log|scaling] [--emkit-threads T]
      [--blas-threads B] [--emkit-path PATH] [--markdown]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from bench_gaussian_mixture import machine_info as _machine_info

SEED = 0
K, D = 3, 4
MIN_COVAR = 1e-3  # the default of both libraries
REL_TOL = 1e-6  # required agreement of the final log-likelihoods
N_SYMBOLS = 20  # the categorical case's alphabet
#: case -> (covariance_type, or "categorical"; number of sequences; steps per sequence)
CASES = {"many": ("diag", 50, 2000), "long": ("diag", 1, 1_000_000), "full": ("full", 50, 2000),
         "categorical": ("categorical", 50, 2000)}

# The generating model: well-separated means (>= 8 apart per axis pair), unit-ish spreads.
TRUE_STARTPROB = np.array([0.5, 0.3, 0.2])
TRUE_TRANSMAT = np.array([[0.95, 0.03, 0.02],
                          [0.04, 0.93, 0.03],
                          [0.02, 0.05, 0.93]])
TRUE_MEANS = np.array([[0.0, 0.0, 0.0, 0.0],
                       [4.0, -4.0, 4.0, -4.0],
                       [-4.0, 4.0, 4.0, 4.0]])


def make_data(case):
    """Seeded sample of the generating model: X (n, D) or symbols (n, 1), and lengths."""
    kind, n_seq, T = CASES[case]
    rng = np.random.default_rng(SEED)
    stds = rng.uniform(0.5, 1.5, (K, D))
    n = n_seq * T
    u = rng.random(n)
    # Next state from each state for every step's uniform draw; the walk itself is a
    # plain loop over Python lists (about 0.2 s for 1e6 steps).
    nxt = [np.minimum(np.searchsorted(np.cumsum(TRUE_TRANSMAT[k]), u, side="right"), K - 1)
           .tolist() for k in range(K)]
    first = np.minimum(np.searchsorted(np.cumsum(TRUE_STARTPROB), u, side="right"),
                       K - 1).tolist()
    states = [0] * n
    s = 0
    for t in range(n):
        s = first[t] if t % T == 0 else nxt[s][t]
        states[t] = s
    z = np.array(states)
    if kind == "categorical":
        emission = np.random.default_rng(SEED + 1).dirichlet(np.full(N_SYMBOLS, 0.5), K)
        symbols = (rng.random(n)[:, None] > np.cumsum(emission, axis=1)[z]).sum(axis=1)
        return np.minimum(symbols, N_SYMBOLS - 1)[:, None], np.full(n_seq, T)
    X = rng.standard_normal((n, D))
    X *= stds[z]
    X += TRUE_MEANS[z]
    return X, np.full(n_seq, T)


def make_init(X, cov):
    """Deterministic start: hmmlearn's init without its random Dirichlet draws."""
    from sklearn.cluster import KMeans

    transmat = np.full((K, K), 0.2 / (K - 1))
    np.fill_diagonal(transmat, 0.8)
    if cov == "categorical":
        emission = np.random.default_rng(SEED).random((K, N_SYMBOLS))
        return dict(startprob=np.full(K, 1.0 / K), transmat=transmat,
                    emissionprob=emission / emission.sum(axis=1, keepdims=True))
    means = KMeans(K, n_init=1, random_state=SEED).fit(X[:20_000]).cluster_centers_
    means = means[np.argsort(means[:, 0])]
    cv = np.cov(X.T) + MIN_COVAR * np.eye(D)
    covars = np.tile(np.diag(cv), (K, 1)) if cov == "diag" else np.tile(cv, (K, 1, 1))
    return dict(startprob=np.full(K, 1.0 / K), transmat=transmat, means=means, covars=covars)


# ----------------------------------------------------------------- worker side
def worker(spec):
    X, lengths = make_data(spec["case"])
    cov = CASES[spec["case"]][0]
    init = dict(np.load(spec["init"]))

    if spec["lib"] == "emkit":
        if spec.get("emkit_path"):
            sys.path.insert(0, os.path.abspath(spec["emkit_path"]))
        import emkit
        from emkit import CategoricalHMM, GaussianHMM, set_config

        if spec.get("emkit_path") and not os.path.abspath(emkit.__file__).startswith(
                os.path.abspath(spec["emkit_path"]) + os.sep):
            raise RuntimeError(f"emkit was imported from {emkit.__file__}, not from "
                               f"{spec['emkit_path']}")
        set_config(n_threads=spec["emkit_threads"])  # None: every core
        Monitor = None
    else:
        from hmmlearn.base import ConvergenceMonitor
        from hmmlearn.hmm import CategoricalHMM, GaussianHMM

        class Monitor(ConvergenceMonitor):
            # Run every iteration (hmmlearn's own stops at any decrease when tol=0).
            @property
            def converged(self):
                return self.iter == self.n_iter

    def model(n_iter):
        options = dict(n_components=K, n_iter=n_iter, tol=0.0, init_params="",
                       random_state=SEED, implementation=spec["implementation"])
        if cov == "categorical":
            m = CategoricalHMM(n_features=N_SYMBOLS, **options)
            m.emissionprob_ = init["emissionprob"]
        else:
            m = GaussianHMM(covariance_type=cov, **options)
            m.means_, m.covars_ = init["means"], init["covars"]
        m.startprob_, m.transmat_ = init["startprob"], init["transmat"]
        if Monitor is not None:
            m.monitor_ = Monitor(0.0, n_iter, False)
        return m

    def timed(fn):
        t0 = time.perf_counter()
        value = fn()
        return time.perf_counter() - t0, value

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Warm-up: imports, JIT compilation (or the numba cache), thread pools.
        warm = model(1).fit(X, lengths)
        warm.score(X[:1000])
        warm.decode(X[:1000])
        t_1, _ = timed(lambda: model(1).fit(X, lengths))
        t_n, hmm = timed(lambda: model(spec["n_iter"]).fit(X, lengths))
        t_score, score = timed(lambda: hmm.score(X, lengths))
        t_decode, (log_prob, path) = timed(lambda: hmm.decode(X, lengths))
    np.save(spec["path"], np.asarray(path, dtype=np.int8))
    return {"t_1": t_1, "t_n": t_n, "n_iter": len(hmm.monitor_.history),
            "loglik": float(hmm.monitor_.history[-1]),
            "t_score": t_score, "score": float(score),
            "t_decode": t_decode, "decode": float(log_prob),
            "warnings": sorted({str(w.message)[:120] for w in caught})}


# ----------------------------------------------------------------- parent side
def run_worker(blas_threads=None, **spec):
    env = dict(os.environ)
    if blas_threads:
        # Through the environment, so that it holds for every BLAS the worker loads (numpy's
        # and scipy's are two libraries; scipy's is loaded by a later import).
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS",
                    "BLIS_NUM_THREADS"):
            env[var] = str(blas_threads)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(spec)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def best_of(runs, lib, case, n_iter):
    """Timings and results of one library on one case: the fastest of its workers."""
    res = dict(runs[0])
    for key in ("t_1", "t_n", "t_score", "t_decode"):
        res[key] = min(r[key] for r in runs)
    if res["n_iter"] != n_iter:
        raise RuntimeError(f"{lib} {case}: ran {res['n_iter']} iterations, not {n_iter}")
    res["fit_per_iter"] = res["per_iter"] = res["t_n"] / n_iter
    if n_iter > 1:
        if res["t_1"] < res["t_n"]:
            res["per_iter"] = (res["t_n"] - res["t_1"]) / (n_iter - 1)
        else:  # a noisy machine; keep the whole-fit number
            res["warnings"].append(f"t[n_iter=1] >= t[n_iter={n_iter}]; s/it = fit/it")
    return res


def machine_info():
    info = _machine_info()
    for name in ("hmmlearn", "numba"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = "not installed"
    try:
        from emkit.models.hmm_kernels import HAVE_NUMBA
        info["emkit kernels"] = ("numba" if HAVE_NUMBA
                                 else "numpy, batched over sequences (no numba)")
    except ImportError:
        pass
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default=",".join(CASES), help="comma list of " + ",".join(CASES))
    p.add_argument("--n-iter", type=int, default=10, help="EM iterations of the timed fit")
    p.add_argument("--repeats", type=int, default=1,
                   help="run each library this many times (fresh workers), keep the fastest")
    p.add_argument("--implementation", choices=["log", "scaling"], default="log",
                   help="forward-backward variant given to both libraries (default: both "
                        "libraries' default)")
    p.add_argument("--emkit-threads", type=int, default=None,
                   help="threads emkit runs chunks of sequences on (emkit.set_config); "
                        "default: every core. hmmlearn's recursions are single-threaded")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="BLAS threads in both workers (OPENBLAS/MKL/OMP_NUM_THREADS); default: "
                        "BLAS's own. hmmlearn's density calls many small BLAS/LAPACK "
                        "routines, which multi-threaded BLAS slows down on a busy machine")
    p.add_argument("--emkit-path", default=None,
                   help="import emkit from this src folder (of another checkout) in the workers")
    p.add_argument("--markdown", action="store_true", help="print markdown for BENCHMARKS.md")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return

    cases = args.cases.split(",")
    for c in cases:
        if c not in CASES:
            p.error(f"unknown case {c}")
    if args.n_iter < 1:
        p.error("--n-iter must be at least 1")
    if args.repeats < 1:
        p.error("--repeats must be at least 1")
    for name in ("emkit_threads", "blas_threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    info = machine_info()  # before the runs: the load average tells how quiet the machine was
    if args.emkit_path:
        info["emkit"] = f"the checkout whose src is {args.emkit_path}"

    res, paths = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            X, _ = make_data(case)
            init_path = os.path.join(tmp, f"init_{case}.npz")
            np.savez(init_path, **make_init(X, CASES[case][0]))
            del X
            runs = {"hmmlearn": [], "emkit": []}
            for repeat in range(args.repeats):
                for lib in runs:  # alternating, so that both see the same load
                    log(f"{lib} {case} ({repeat + 1}/{args.repeats}) ...")
                    t0 = time.perf_counter()
                    path = os.path.join(tmp, f"path_{lib}_{case}.npy")
                    runs[lib].append(run_worker(
                        lib=lib, case=case, n_iter=args.n_iter, init=init_path, path=path,
                        implementation=args.implementation, emkit_path=args.emkit_path,
                        emkit_threads=args.emkit_threads, blas_threads=args.blas_threads))
                    log(f"  done in {time.perf_counter() - t0:.1f}s")
            for lib in runs:
                res[lib, case] = best_of(runs[lib], lib, case, args.n_iter)
                paths[lib, case] = np.load(os.path.join(tmp, f"path_{lib}_{case}.npy"))

    rows, checks, notes = [], [], []
    for case in cases:
        hl, em = res["hmmlearn", case], res["emkit", case]
        rel = lambda key: abs(em[key] - hl[key]) / abs(hl[key])  # noqa: E731
        same = float(np.mean(paths["hmmlearn", case] == paths["emkit", case]))
        row = {"case": case, "hl": hl["per_iter"], "em": em["per_iter"],
               "speedup": hl["per_iter"] / em["per_iter"],
               "hl_fit": hl["fit_per_iter"], "em_fit": em["fit_per_iter"],
               "hl_score": hl["t_score"], "em_score": em["t_score"],
               "score_x": hl["t_score"] / em["t_score"],
               "hl_decode": hl["t_decode"], "em_decode": em["t_decode"],
               "decode_x": hl["t_decode"] / em["t_decode"],
               "hl_ll": hl["loglik"], "em_ll": em["loglik"], "rel": rel("loglik")}
        rows.append(row)
        ok = row["rel"] <= REL_TOL
        checks.append(f"{'PASS' if ok else 'FAIL'}  {case}: final log-likelihood within "
                      f"{REL_TOL:g} relative of hmmlearn's: {row['rel']:.1e}")
        notes.append(f"{case}: score rel diff {rel('score'):.1e}; Viterbi log-prob rel diff "
                     f"{rel('decode'):.1e}; decoded states equal on {same:.4%} of steps")
        for lib in ("hmmlearn", "emkit"):
            for w in res[lib, case]["warnings"]:
                notes.append(f"{lib} {case} warned: {w}")

    cols = [("case", "case", "{}"), ("hl", "hl s/it", "{:.4f}"), ("em", "em s/it", "{:.4f}"),
            ("speedup", "speedup", "{:.2f}x"),
            ("hl_fit", "hl fit/it", "{:.4f}"), ("em_fit", "em fit/it", "{:.4f}"),
            ("hl_score", "hl score s", "{:.4f}"), ("em_score", "em score s", "{:.4f}"),
            ("score_x", "score speedup", "{:.2f}x"),
            ("hl_decode", "hl decode s", "{:.4f}"), ("em_decode", "em decode s", "{:.4f}"),
            ("decode_x", "decode speedup", "{:.2f}x"),
            ("hl_ll", "hl log-likelihood", "{:.6f}"), ("em_ll", "em log-likelihood", "{:.6f}"),
            ("rel", "rel diff", "{:.1e}")]
    cells = [[c[1] for c in cols]]
    cells += [[f.format(r[k]) for k, _, f in cols] for r in rows]
    n = args.n_iter
    per_it = (f"s/it = (t[n_iter={n}] - t[n_iter=1]) / {n - 1}" if n > 1
              else "s/it = t[n_iter=1]")
    setup = (f"{K} states; GaussianHMM with D={D}: many = 50 x 2,000 steps (diag), long = "
             f"1 x 1,000,000 steps (diag), full = many with covariance_type='full'; "
             f"categorical = CategoricalHMM, {N_SYMBOLS} symbols, 50 x 2,000 steps; "
             f"{n} EM iterations from the same init, tol=0, implementation="
             f"'{args.implementation}'; {per_it}; fit/it = t[n_iter={n}] / {n}; score and "
             f"decode (Viterbi) of all the data, once; speedup = hmmlearn time / emkit "
             f"time; best of {args.repeats}, the libraries alternating; emkit threads: {args.emkit_threads or 'all cores'} "
             f"(it splits the sequences into chunks, so one sequence runs on one thread); "
             f"BLAS threads: {args.blas_threads or 'BLAS default'}; "
             f"hl = hmmlearn, em = emkit")

    if args.markdown:
        print("\n".join(f"- **{k}**: {v}" for k, v in info.items()))
        print(f"- **setup**: {setup}\n")
        print("| " + " | ".join(cells[0]) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(cols))) + "|")
        for line in cells[1:]:
            print("| " + " | ".join(line) + " |")
        print()
        print("\n".join(f"- {t}" for t in checks + notes))
    else:
        print("\n".join(f"{k}: {v}" for k, v in info.items()))
        print(setup + "\n")
        widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
        for line in cells:
            print("  ".join(s.ljust(w) if i == 0 else s.rjust(w)
                            for i, (s, w) in enumerate(zip(line, widths))))
        print()
        print("\n".join(checks + notes))
    if any(c.startswith("FAIL") for c in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
