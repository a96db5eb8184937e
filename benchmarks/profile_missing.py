"""Where the missing-data E-step of a GaussianMixture spends its time, per stage.

Times, on one 16,384-row chunk (the missing-data chunk floor) with 10 % of entries
missing, single-threaded, scaled to seconds per 200,000 rows: the complete chunk's
whole E-step and the NaN check it starts with, and for the chunk with NaN its stages: the NaN scan and filled
features, the observed-data terms (per-entry products, block inverses, corrections),
the log-densities, and the statistics (features' moments plus the missing entries').

Run:  .venv/bin/python benchmarks/profile_missing.py [--covariance-type full|tied|diag]
      [--backend compiled|grouped]
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from emkit.families import GaussianDiag, GaussianFull, GaussianTied
from emkit.families.gaussian import missing
from emkit.models import Mixture

N, ROWS, D, K, SHARE = 200_000, 16_384, 16, 8, 0.1
FAMILIES = {"full": GaussianFull, "tied": GaussianTied, "diag": GaussianDiag}


def per_n(fn, repeat=10):
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * N / ROWS


def make_family(kind, rng):
    means = rng.normal(scale=6.0, size=(K, D))
    factors = rng.normal(scale=0.4, size=(K, D, D))
    covs = factors @ factors.transpose(0, 2, 1) + np.eye(D)
    if kind == "tied":
        covs = covs.mean(axis=0)
    elif kind == "diag":
        covs = np.diagonal(covs, axis1=1, axis2=2).copy()
    return FAMILIES[kind](means, covs), means


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--covariance-type", default="full", choices=sorted(FAMILIES))
    parser.add_argument("--backend", default=missing.BACKEND, choices=["compiled", "grouped"],
                        help="implementation of the observed-data terms")
    args = parser.parse_args()
    kind, missing.BACKEND = args.covariance_type, args.backend
    rng = np.random.default_rng(0)
    family, means = make_family(kind, rng)
    X = means[rng.integers(0, K, ROWS)] + rng.normal(size=(ROWS, D))
    X_nan = X.copy()
    X_nan[rng.uniform(size=X.shape) < SHARE] = np.nan
    model = Mixture(np.full(K, 1 / K), family)
    prepared = family.prepare(X_nan)
    W = np.exp(model.log_joint(X_nan) - model.log_joint(X_nan).max(axis=1, keepdims=True))
    W /= W.sum(axis=1, keepdims=True)
    mask = np.isnan(X_nan)
    rows = np.flatnonzero(mask.any(axis=1))
    centred = np.where(mask, 0.0, X_nan - family.shift)[rows]
    with threadpool_limits(1):
        stages = {
            "complete chunk, whole E-step": per_n(lambda: model.chunk_stats(X)),
            "  of which the NaN check": per_n(lambda: np.isnan(X).any()),
            "NaN chunk, whole E-step": per_n(lambda: model.chunk_stats(X_nan)),
            "  NaN scan + filled features": per_n(lambda: family._features(
                missing.split_missing(X_nan, family.shift)[0], np.float64)),
            "  observed-data terms": per_n(lambda: family._observed_terms(
                centred, mask[rows])),
            "  log-densities": per_n(lambda: family.log_prob_prepared(prepared)),
            "  statistics": per_n(lambda: family.accumulate_prepared(prepared, W)),
        }
    print(f"{kind} ({missing.BACKEND}): N={N} (as {N // ROWS} chunks of {ROWS}), D={D}, K={K}, "
          f"{SHARE:.0%} missing; seconds per N rows, one thread")
    for name, seconds in stages.items():
        print(f"  {name:32s} {seconds:.4f}")


if __name__ == "__main__":
    main()
