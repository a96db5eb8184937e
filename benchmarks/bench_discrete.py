"""Benchmark emkit's discrete mixtures against pomegranate and the matrix-product floor.

Cases (N=200,000 rows, K=16 components by default), each a seeded mixture of 16
known components:

* ``bernoulli``: 100 binary columns (BernoulliMixture);
* ``poisson``: 10 count columns (PoissonMixture);
* ``categorical``: 10 columns of 8 categories (CategoricalMixture).

For each case and library it measures seconds per EM iteration. Both libraries start
from the same weights and component parameters (drawn once, away from the truth) and
run a fixed number of iterations (tol=0 for emkit; pomegranate's GeneralMixtureModel
with tol=-inf, so that it never stops early). Each fit is timed with max_iter=ITERS and
max_iter=1; s/it = (t_ITERS - t_1) / (ITERS - 1) removes the fixed costs (validation,
start, final E-step). The floor is the best time of one matrix product of the same
data shape, per iteration: (N, D) @ (D, K) for Bernoulli and Poisson, the one-hot
(N, D*C) @ (D*C, K) for Categorical, into a preallocated output, with the default BLAS
threads and with one (the faster counts). Log-likelihood agreement: both fitted models
are scored on the data by one float64 formula (emkit's family log-densities and a
log-sum-exp), so the numbers compare parameters, not scorers.

Every measurement runs in its own subprocess (this script with --worker), which first
does a small warm-up fit so that imports and numba compilation are not timed.

Run:  .venv/bin/python benchmarks/bench_discrete.py [--n-samples N] [--iters I]
      [--cases bernoulli,poisson,categorical] [--repeat R] [--markdown]
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

K = 16
SEED = 0
CASES = {"bernoulli": 100, "poisson": 10, "categorical": 10}
N_CATEGORIES = 8


def make_data(case, n_samples):
    """Seeded data of one case and the component parameters that generated it."""
    rng = np.random.default_rng(SEED)
    D = CASES[case]
    z = rng.choice(K, size=n_samples, p=rng.dirichlet(np.full(K, 5.0)))
    if case == "bernoulli":
        p = rng.uniform(0.05, 0.95, (K, D))
        return (rng.random((n_samples, D)) < p[z]).astype(np.float64)
    if case == "poisson":
        rate = rng.uniform(0.5, 12.0, (K, D))
        return rng.poisson(rate[z]).astype(np.float64)
    probs = rng.dirichlet(np.ones(N_CATEGORIES), (K, D))
    X = np.empty((n_samples, D))
    for d in range(D):
        cumulative = probs[z, d].cumsum(axis=1)
        X[:, d] = np.minimum((rng.random(n_samples)[:, None] > cumulative).sum(axis=1),
                             N_CATEGORIES - 1)
    return X


def make_init(case, X):
    """Starting weights and parameters: each component at the mean of a random subset."""
    rng = np.random.default_rng(SEED + 1)
    weights = rng.dirichlet(np.full(K, 20.0))
    labels = rng.integers(0, K, 2000)
    rows = X[rng.choice(len(X), 2000, replace=False)]
    if case == "categorical":
        one_hot = rows[:, :, None] == np.arange(N_CATEGORIES)
        params = np.stack([one_hot[labels == k].mean(axis=0) for k in range(K)])
        params = 0.8 * params + 0.2 / N_CATEGORIES
    else:
        params = np.stack([rows[labels == k].mean(axis=0) for k in range(K)])
        if case == "bernoulli":
            params = np.clip(params, 0.05, 0.95)
    return dict(weights=weights, params=params)


def log_likelihood(case, X, weights, params):
    """Total log-likelihood of X under a mixture, by one float64 formula for all."""
    from scipy.special import logsumexp

    from emkit.families.discrete import Bernoulli, Categorical, Poisson

    family = {"bernoulli": Bernoulli, "poisson": Poisson, "categorical": Categorical}[case]
    log_joint = np.asarray(family(params).log_prob(X)) + np.log(weights)
    return float(logsumexp(log_joint, axis=1).sum())


# ----------------------------------------------------------------- worker side
def _fit_emkit(case, X, init, max_iter, torch_threads=None):
    from emkit import BernoulliMixture, CategoricalMixture, PoissonMixture

    common = dict(n_components=K, weights_init=init["weights"], tol=0.0, max_iter=max_iter,
                  random_state=SEED)
    if case == "categorical":
        model = CategoricalMixture(probs_init=init["params"], **common)
    else:
        cls = BernoulliMixture if case == "bernoulli" else PoissonMixture
        model = cls(means_init=init["params"], **common)
    model.fit(X)
    params = model.probs_ if case == "categorical" else model.means_
    return model.weights_, params, int(model.n_iter_)


def _fit_pomegranate(case, X, init, max_iter, torch_threads=None):
    import torch
    from pomegranate.distributions import Bernoulli, Categorical, Poisson
    from pomegranate.gmm import GeneralMixtureModel

    if torch_threads:
        torch.set_num_threads(torch_threads)
    params = torch.tensor(init["params"], dtype=torch.float32)
    if case == "bernoulli":
        components = [Bernoulli(probs=params[k]) for k in range(K)]
    elif case == "poisson":
        components = [Poisson(lambdas=params[k]) for k in range(K)]
    else:
        components = [Categorical(probs=params[k]) for k in range(K)]
    X = torch.tensor(X, dtype=torch.int64 if case == "categorical" else torch.float32)
    model = GeneralMixtureModel(components, priors=torch.tensor(init["weights"],
                                                                dtype=torch.float32),
                                max_iter=max_iter, tol=-np.inf)
    model.fit(X)
    weights = model.priors.detach().numpy().astype(np.float64)
    attr = {"bernoulli": "probs", "poisson": "lambdas", "categorical": "probs"}[case]
    fitted = np.stack([getattr(c, attr).detach().numpy() for c in model.distributions])
    return weights / weights.sum(), fitted.astype(np.float64), max_iter


def _floor(case, X):
    D = CASES[case]
    if case == "categorical":
        A = (X[:, :, None] == np.arange(N_CATEGORIES)).reshape(len(X), -1).astype(np.float64)
        D = A.shape[1]
    else:
        A = X
    from threadpoolctl import threadpool_limits

    B = np.random.default_rng(SEED).standard_normal((D, K))
    out = np.empty((len(X), K))
    times = []
    # The fastest of the default BLAS threads and one thread: on a busy machine the
    # threaded product of these skinny shapes can be many times slower.
    for limit in (None, 1):
        with threadpool_limits(limit):
            np.matmul(A, B, out=out)  # warm-up
            for _ in range(5):
                t0 = time.perf_counter()
                np.matmul(A, B, out=out)
                times.append(time.perf_counter() - t0)
    return {"time": min(times)}


def worker(spec):
    X = make_data(spec["case"], spec["n"])
    if spec["lib"] == "floor":
        return _floor(spec["case"], X)
    init = dict(np.load(spec["init"]))
    fit = _fit_emkit if spec["lib"] == "emkit" else _fit_pomegranate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        threads = spec.get("torch_threads")
        fit(spec["case"], X[:4000], init, 2, threads)  # warm-up: imports, compilation
        t0 = time.perf_counter()
        weights, params, n_iter = fit(spec["case"], X, init, spec["max_iter"], threads)
        elapsed = time.perf_counter() - t0
    return {"time": elapsed, "n_iter": n_iter,
            "log_likelihood": log_likelihood(spec["case"], X, weights, params)}


# ----------------------------------------------------------------- parent side
def run_worker(**spec):
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                           json.dumps(spec)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {spec} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(lib, case, n, iters, init_path, repeat, torch_threads=None):
    """Seconds per iteration (fixed costs removed), fit time per iteration, likelihood."""
    def timed(max_iter):
        runs = [run_worker(lib=lib, case=case, n=n, max_iter=max_iter, init=init_path,
                           torch_threads=torch_threads)
                for _ in range(repeat)]
        return dict(runs[0], time=min(r["time"] for r in runs))

    full, one = timed(iters), timed(1)
    if full["n_iter"] != iters:
        raise RuntimeError(f"{lib} {case}: {full['n_iter']} iterations, not {iters}")
    per_iter = (full["time"] - one["time"]) / (iters - 1)
    if per_iter <= 0:  # a noisy machine: keep the whole fit per iteration
        per_iter = full["time"] / iters
    return {"per_iter": per_iter, "fit_per_iter": full["time"] / iters,
            "log_likelihood": full["log_likelihood"]}


def pomegranate_version():
    try:
        from importlib.metadata import version
        return f"pomegranate {version('pomegranate')}, torch {version('torch')}"
    except Exception:  # noqa: BLE001 - any failure means "not installed"
        return None


def machine_info():
    info = _machine_info()
    info["pomegranate"] = pomegranate_version() or "not installed (not measured)"
    return info


def table(rows, markdown):
    cols = [("case", "case", "{}"), ("floor", "floor s", "{:.4f}"),
            ("em", "emkit s/it", "{:.4f}"), ("em_floor", "emkit/floor", "{:.2f}x"),
            ("pg", "pomegranate s/it", "{:.4f}"), ("speedup", "pomegranate/emkit", "{:.2f}x"),
            ("em_ll", "emkit log-lik", "{:.6e}"), ("pg_ll", "pomegranate log-lik", "{:.6e}"),
            ("rel", "rel diff", "{:.1e}")]
    cols = [c for c in cols if any(c[0] in r for r in rows)]
    cells = [[c[1] for c in cols]]
    cells += [[f.format(r[k]) if k in r else "-" for k, _, f in cols] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(cols))) + "|"]
        return "\n".join(lines + ["| " + " | ".join(line) + " |" for line in cells[1:]])
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    return "\n".join("  ".join(s.ljust(w) if i == 0 else s.rjust(w)
                               for i, (s, w) in enumerate(zip(line, widths))) for line in cells)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-samples", type=int, default=200_000)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--cases", default=",".join(CASES), help="comma list of " + ",".join(CASES))
    p.add_argument("--repeat", type=int, default=3,
                   help="run each fit this many times and keep the fastest")
    p.add_argument("--libs", default="emkit,pomegranate",
                   help="comma list of the libraries to measure: emkit,pomegranate")
    p.add_argument("--torch-threads", type=int, default=None,
                   help="threads of pomegranate's torch (default: torch's own choice)")
    p.add_argument("--markdown", action="store_true", help="print markdown for BENCHMARKS.md")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    cases = args.cases.split(",")
    for case in cases:
        if case not in CASES:
            p.error(f"unknown case {case}")
    if args.iters < 2:
        p.error("--iters must be at least 2")
    n, iters = args.n_samples, args.iters
    libs = args.libs.split(",")
    if "pomegranate" in libs and not pomegranate_version():
        libs.remove("pomegranate")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    info = machine_info()  # before the runs: the load average tells how quiet it was
    rows, targets = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            init_path = os.path.join(tmp, f"init_{case}.npz")
            np.savez(init_path, **make_init(case, make_data(case, n)))
            log(f"{case}: floor ...")
            row = {"case": case, "floor": min(run_worker(lib="floor", case=case, n=n)["time"]
                                              for _ in range(args.repeat))}
            res = {}
            for lib in libs:
                log(f"{case}: {lib} ...")
                res[lib] = measure(lib, case, n, iters, init_path, args.repeat,
                                   args.torch_threads)
            em = res.get("emkit")
            if em:
                row.update(em=em["per_iter"], em_floor=em["per_iter"] / row["floor"],
                           em_ll=em["log_likelihood"])
            if "pomegranate" in res:
                pg = res["pomegranate"]
                row.update(pg=pg["per_iter"], pg_ll=pg["log_likelihood"])
            if em and "pomegranate" in res:
                row.update(speedup=pg["per_iter"] / em["per_iter"],
                           rel=abs(em["log_likelihood"] - pg["log_likelihood"])
                           / abs(pg["log_likelihood"]))
            rows.append(row)
            if em:
                ok = row["em_floor"] <= 3.0
                targets.append(f"{'PASS' if ok else 'MISS'}  {case}: emkit s/it <= 3x the "
                               f"floor: {row['em_floor']:.2f}x")
            if em and "pomegranate" in res:
                ok = row["speedup"] > 1.0
                targets.append(f"{'PASS' if ok else 'MISS'}  {case}: emkit faster than "
                               f"pomegranate: {row['speedup']:.2f}x")
    info["load average at end"] = round(os.getloadavg()[0], 2)
    if args.torch_threads:
        info["torch threads"] = args.torch_threads
    setup = (f"N={n:,}, K={K}, {iters} EM iterations from the same start; "
             f"s/it = (t[max_iter={iters}] - t[max_iter=1]) / {iters - 1}, best of "
             f"{args.repeat}; floor = one (N, D) @ (D, K) product (one-hot (N, D*C) @ "
             f"(D*C, K) for categorical); log-lik: both fits scored by one float64 formula")
    if args.markdown:
        print("\n".join(f"- **{k}**: {v}" for k, v in info.items()))
        print(f"- **setup**: {setup}\n")
        print(table(rows, True) + "\n")
        print("\n".join(f"- {t}" for t in targets))
    else:
        print("\n".join(f"{k}: {v}" for k, v in info.items()))
        print(setup + "\n")
        print(table(rows, False) + "\n")
        print("\n".join(targets))


if __name__ == "__main__":
    main()
