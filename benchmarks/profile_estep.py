"""Where one E-step chunk of a GaussianMixture spends its time.

Times each stage of ``Mixture.chunk_stats`` on one chunk, single-threaded, scaled to
seconds per 1,000,000 rows: building the features, the log-density product, the
log-sum-exp normalization (in place, on a copy whose time is taken off), the moment
sums (the sparse loop of ``families/gaussian/_sparse_sums.py`` where it runs) and, for
comparison, the dense moment product alone. Also the whole E-step with 1 and 2 threads;
for diag and spherical mixtures (float64, and float32 where it is computed in float32),
whose E-step of a chunk is one compiled pass
(``families/gaussian/_fused.py``), both that pass and the feature path the stages
measure.

Run:  .venv/bin/python benchmarks/profile_estep.py [--dtype float64|float32]
          [--covariance-type full|tied|diag|spherical] [--n-samples N] [--chunk-rows R]
"""

import argparse
import time
from copy import copy as shallow_copy

import numpy as np
from threadpoolctl import threadpool_limits

from emkit.engine import ArraySource
from emkit.engine.loop import e_step
from emkit.engine.sources import one_blas_thread
from emkit.families import GaussianDiag, GaussianFull, GaussianSpherical, GaussianTied
from emkit.models import Mixture
from emkit.models.mixture import log_normalize

D, K = 16, 16


def family_for(covariance_type, centres):
    if covariance_type == "full":
        return GaussianFull(centres, np.tile(np.eye(D), (K, 1, 1)))
    if covariance_type == "tied":
        return GaussianTied(centres, np.eye(D))
    if covariance_type == "diag":
        return GaussianDiag(centres, np.ones((K, D)))
    return GaussianSpherical(centres, np.ones(K))


def per_million(fn, rows, repeat=50):
    fn()
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / repeat * 1e6 / rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--covariance-type", default="full",
                        choices=["full", "tied", "diag", "spherical"])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=None,
                        help="rows of a chunk, profiled and in the E-step (default: the "
                        "fit's automatic size)")
    args = parser.parse_args()
    dtype, N = np.dtype(args.dtype), args.n_samples
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3, size=(K, D))
    X = (centres[rng.integers(0, K, N)] + rng.normal(size=(N, D))).astype(dtype)
    model = Mixture(np.full(K, 1 / K), family_for(args.covariance_type, centres + 0.3))
    family = model.family
    rows = args.chunk_rows or ArraySource(X).chunks(model.bytes_per_row(X))[0][1]
    chunk = X[:rows]
    print(f"N={N:,} D={D} K={K} {args.covariance_type} {dtype}, chunk of {rows} rows; "
          "seconds per 1e6 rows (least of three)")
    # The mixture's E-step of a chunk in one compiled pass, where the family has one
    # for this chunk (families/gaussian/_fused.py); the stages and the rows without
    # ", one pass" are those of the feature path, which a copy of the family without
    # it takes.
    fused = getattr(family, "fused_stats", None)  # not in checkouts before it
    one_pass = fused is not None and fused(chunk, model.log_weights) is not None
    feature_family = shallow_copy(family)
    object.__setattr__(feature_family, "fused_stats", lambda X, log_weights: None)
    feature_model = Mixture(model.weights, feature_family)
    with threadpool_limits(1):
        prepared = family.prepare(chunk)
        log_prob = family.log_prob_prepared(prepared)
        resp = log_prob.copy(order="K")
        log_normalize(resp)
        # The normalization works in place: each call normalizes a fresh copy, and the
        # copy's own time is taken off.
        scratch = log_prob.copy(order="K")
        copy = per_million(lambda: np.copyto(scratch, log_prob), rows)

        def normalize_copy():
            np.copyto(scratch, log_prob)
            log_normalize(scratch)

        stages = {
            "features": lambda: family.prepare(chunk),
            "log-density product": lambda: family.log_prob_prepared(prepared),
            "log-sum-exp normalization": normalize_copy,
            "moment sums": lambda: family.accumulate_prepared(prepared, resp),
            "  of them, dense product": lambda: family._accumulate_features(
                getattr(prepared, "features", prepared), resp),
            "whole chunk E-step": lambda: feature_model.chunk_stats(chunk),
        }
        if one_pass:
            stages["whole chunk E-step, one pass"] = lambda: model.chunk_stats(chunk)
        for name, fn in stages.items():
            seconds = per_million(fn, rows) - (copy if "normalization" in name else 0.0)
            print(f"  {name:28s} {seconds:.3f}")
    with one_blas_thread():  # as in a fit: the chunk threads are the parallelism
        for threads in (1, 2):
            source = ArraySource(X, n_threads=threads, chunk_size=args.chunk_rows)
            for label, which in (("", feature_model), (", one pass", model)):
                if which is model and not one_pass:
                    continue
                e_step(which, source)
                best = np.inf
                for _ in range(3):
                    start = time.perf_counter()
                    e_step(which, source)
                    best = min(best, time.perf_counter() - start)
                print(f"  E-step of all N, {threads} thread(s){label} {best:.4f} s")


if __name__ == "__main__":
    main()
