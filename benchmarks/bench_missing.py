"""The cost of missing values: a GaussianMixture fit on data with NaN against the same fit
on the complete data.

Data: N rows from K well-separated full-covariance Gaussians in D dimensions (fixed seed);
then a share of the entries, chosen at random, is set to NaN. Both fits start from the
same parameters (the true ones, slightly perturbed), run a fixed number of iterations
(tol=0), and are timed with max_iter=n and max_iter=1: s/it = (t_n - t_1) / (n - 1), which
removes validation and initialization. The ratio missing / complete is the cost of the
observed-data E-step (marginal densities and conditional moments per missingness count).

Run:  .venv/bin/python benchmarks/bench_missing.py [--n-samples N] [--n-features D]
      [--n-components K] [--missing 0.1] [--n-iter 5] [--covariance-type full]
      [--repeats R] [--markdown]
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_gaussian_mixture import machine_info  # noqa: E402

import emkit  # noqa: E402

TARGET = 3.0


def make_data(n, d, k, share, seed=0):
    rng = np.random.RandomState(seed)
    means = rng.normal(scale=6.0, size=(k, d))
    factors = rng.normal(scale=0.4, size=(k, d, d))
    covs = factors @ factors.transpose(0, 2, 1) + np.eye(d)
    labels = rng.randint(k, size=n)
    X = np.empty((n, d))
    for j in range(k):
        rows = labels == j
        X[rows] = rng.multivariate_normal(means[j], covs[j], rows.sum())
    X_missing = X.copy()
    X_missing[rng.uniform(size=X.shape) < share] = np.nan
    start = dict(weights_init=np.full(k, 1.0 / k), means_init=means + rng.normal(size=means.shape),
                 precisions_init=np.linalg.inv(covs * 1.5))
    return X, X_missing, start


def fit_seconds(X, start, n_iter, covariance_type, repeats):
    def fit(max_iter):
        gm = emkit.GaussianMixture(len(start["weights_init"]), covariance_type=covariance_type,
                                   max_iter=max_iter, tol=0.0, **start)
        begin = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(X)
        return time.perf_counter() - begin, gm

    fit(1)  # warm-up
    best = np.inf
    for _ in range(repeats):
        t_one, _ = fit(1)
        t_all, gm = fit(n_iter)
        best = min(best, (t_all - t_one) / (n_iter - 1))
    return best, gm


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--n-features", type=int, default=16)
    parser.add_argument("--n-components", type=int, default=8)
    parser.add_argument("--missing", type=float, default=0.1)
    parser.add_argument("--n-iter", type=int, default=5)
    parser.add_argument("--covariance-type", default="full")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    X, X_missing, start = make_data(args.n_samples, args.n_features, args.n_components,
                                    args.missing)
    start_precisions = start["precisions_init"]
    if args.covariance_type != "full":
        diag = np.array([np.diag(np.linalg.inv(p)) for p in start_precisions])
        start["precisions_init"] = {"diag": 1.0 / diag, "spherical": 1.0 / diag.mean(axis=1),
                                    "tied": np.linalg.inv(np.mean(
                                        [np.linalg.inv(p) for p in start_precisions], axis=0))
                                    }[args.covariance_type]
    complete, gm_complete = fit_seconds(X, start, args.n_iter, args.covariance_type,
                                        args.repeats)
    missing, gm_missing = fit_seconds(X_missing, start, args.n_iter, args.covariance_type,
                                      args.repeats)
    ratio = missing / complete
    rows_complete = float(np.mean(~np.isnan(X_missing).any(axis=1)))
    info = machine_info()
    lines = [f"- **{key}**: {value}" for key, value in info.items()]
    lines.append(
        f"- **setup**: GaussianMixture covariance_type={args.covariance_type!r}, "
        f"N={args.n_samples:,}, D={args.n_features}, K={args.n_components}, "
        f"{args.missing:.0%} of entries missing at random ({rows_complete:.1%} of rows "
        f"complete); {args.n_iter} iterations from the same start, tol=0; "
        f"s/it = (t[max_iter={args.n_iter}] - t[max_iter=1]) / {args.n_iter - 1}, best of "
        f"{args.repeats}")
    header = "| data | s/it | log-likelihood per sample |\n|---|---:|---:|"
    rows = [f"| complete | {complete:.4f} | {gm_complete.lower_bound_:.6f} |",
            f"| {args.missing:.0%} missing | {missing:.4f} | {gm_missing.lower_bound_:.6f} |"]
    verdict = "PASS" if ratio <= TARGET else "MISS"
    summary = (f"- {verdict}  missing / complete seconds per iteration <= {TARGET:g}: "
               f"{missing:.4f} / {complete:.4f} = {ratio:.2f}x")
    if args.markdown:
        print("\n".join(lines))
        print()
        print(header)
        print("\n".join(rows))
        print()
        print(summary)
    else:
        print("\n".join(lines + [header] + rows + [summary]))


if __name__ == "__main__":
    main()
