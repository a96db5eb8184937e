"""SQUAREM and online EM: E-steps and seconds to convergence, and log-likelihood per pass.

Two parts, each in this one process after a warm-up fit (imports, compilation and thread
pools are not timed):

SQUAREM table
    For each problem, plain EM (``acceleration=None``) and ``acceleration="squarem"``
    from the same start, each run to convergence: the E-steps (``n_iter_``, rejected
    proposals included), the seconds of the whole fit (best of ``--repeats`` wall times,
    ``time.perf_counter``), the final per-sample log-likelihood of each (``score`` of the
    fitted parameters; an HMM's total over its number of steps) and the ratios plain /
    SQUAREM of E-steps and of seconds, with the relative difference of the two final
    log-likelihoods, (SQUAREM - plain) / |plain|: positive where SQUAREM ends higher.
    The problems:

    * three overlapping 2-D Gaussians, 3,000 rows each (``GaussianMixture(3,
      random_state=0)``), ``tol=1e-10``, ``max_iter=100000``;
    * a Bernoulli latent-class model, 5,000 rows of 6 items (``BernoulliMixture(3,
      random_state=1)``), ``tol=1e-10``, ``max_iter=100000``;
    * a 3-state Gaussian HMM with similar states, 3,000 steps (``GaussianHMM(3,
      random_state=3, n_iter=100000, tol=1e-10)``);
    * the GMM benchmark case: ``GaussianMixture(16, covariance_type="full")``, N=--n
      rows (default 200,000) of D=16 from 16 overlapping Gaussians (centres ~ N(0,
      --centre-scale^2) per coordinate, unit noise), ``tol=--gmm-tol`` (1e-6),
      ``max_iter=--max-iter`` (2000). Both fits (and scikit-learn's) start from the
      weights, means and precisions of a one-iteration emkit fit (k-means start) on the
      first 20,000 rows. scikit-learn's ``GaussianMixture`` from the same start and tol is
      a reference column (its ``n_iter_`` and seconds, best of --sklearn-repeats).

    The first three problems and their generators are those of tests/test_squarem.py
    (copied: benchmarks do not import the tests).

Online table and plot
    A stream of --online-n rows (default 1,000,000) from the same kind of 16-component,
    16-dimensional mixture, from one k-means start (as above):

    * batch EM (``tol=--gmm-tol``, ``max_iter=--max-iter``), with a callback recording
      the per-sample log-likelihood on the whole data of the parameters before each
      iteration's M-step, so after the iteration before it: one point per pass;
    * online EM (``learning_method="online"``, ``batch_size=--batch-size``) for --passes
      passes: ``partial_fit`` batch by batch with ``total_samples=N`` (the algorithm of
      ``fit(learning_method="online")``; the script checks that the final parameters of
      both agree to 1e-10 and prints the check), and ``score(X)`` on the whole data every
      --score-every batches.

    The table gives, at 0.1, 0.5, 1, 2 and 3 passes, the online log-likelihood, batch EM's
    after as many whole passes (iterations; a fraction of a pass leaves batch EM at its
    start), batch EM's converged value and the gaps in nats; a second table the seconds
    per pass of each (online: its ``fit(learning_method="online")``, best of --repeats;
    batch EM: its whole fit to convergence over its iterations). With --markdown the plot
    (mean log-likelihood against passes over the data; online every --score-every
    batches, batch EM every iteration, the converged value dashed) is written to --plot.

With centres ~ N(0, 1) per coordinate (the first choice) 16 components in 16 dimensions
are far apart (about 5.7 noise units between centres) and EM converges in about 10
iterations, where acceleration has nothing to gain; the default --centre-scale 0.5 makes
them overlap, and plain EM takes hundreds of iterations.

Run:  .venv/bin/python benchmarks/bench_acceleration.py [--n 200000] [--online-n 1000000]
      [--repeats 3] [--sklearn-repeats 1] [--only squarem|online] [--markdown]
      [--plot benchmarks/acceleration_online.png]
"""

import argparse
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gaussian_mixture import format_table, machine_info  # noqa: E402

D = K = 16
SEED = 0
INIT_ROWS = 20_000
SMALL_TOL, SMALL_CAP = 1e-10, 100_000
TABLE_PASSES = (0.1, 0.5, 1, 2, 3)
CHECK_ATOL = 1e-10
DEFAULT_PLOT = os.path.join("benchmarks", "acceleration_online.png")


def log(text):
    print(text, file=sys.stderr, flush=True)


# ----------------------------------------------------------------- data
# The first three generators are tests/test_squarem.py's.
def overlapping_gaussians(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.7]])
    return np.vstack([rng.normal(m, 0.8, size=(n, 2)) for m in means])


def latent_classes(seed=0, n=5000):
    rng = np.random.default_rng(seed)
    p = np.array([[0.8, 0.7, 0.6, 0.3, 0.2, 0.3],
                  [0.6, 0.5, 0.6, 0.5, 0.4, 0.5],
                  [0.3, 0.3, 0.4, 0.7, 0.6, 0.7]])
    z = rng.integers(0, 3, size=n)
    return (rng.random((n, 6)) < p[z]).astype(float)


def similar_states(seed=2, n=3000):
    import emkit

    truth = emkit.GaussianHMM(3, random_state=seed, init_params="")
    truth.startprob_ = np.full(3, 1 / 3)
    truth.transmat_ = np.full((3, 3), 0.05) + 0.85 * np.eye(3)
    truth.means_ = np.array([[0.0], [0.5], [1.0]])
    truth.covars_ = np.ones((3, 1))
    return truth.sample(n)[0]


def overlapping_mixture(n, centre_scale, seed=SEED):
    """n rows from K equally likely unit-noise Gaussians in D dimensions, rows shuffled.

    Centres ~ N(0, centre_scale^2) per coordinate; the rows come in random order, so any
    run of consecutive rows (an online batch) is a sample of the whole.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, centre_scale, (K, D))
    X = rng.standard_normal((n, D))
    X += centres[rng.integers(0, K, n)]
    return X


def kmeans_start(X):
    """Weights, means and precisions of a one-iteration fit on the first rows (k-means start)."""
    import emkit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = emkit.GaussianMixture(K, covariance_type="full", max_iter=1,
                                    random_state=SEED).fit(X[:INIT_ROWS])
    return dict(weights_init=fit.weights_, means_init=fit.means_,
                precisions_init=fit.precisions_)


# ----------------------------------------------------------------- SQUAREM
@dataclass
class Problem:
    """One row of the SQUAREM table.

    ``make(acceleration)`` returns an unfitted emkit estimator; ``per_sample(est, X)``
    the per-sample log-likelihood of its fitted parameters; ``reference()``, when given,
    an unfitted scikit-learn estimator of the same start and tolerance.
    """

    name: str
    X: np.ndarray
    make: Callable
    per_sample: Callable
    setup: str
    reference: Optional[Callable] = None


def mean_score(est, X):
    return float(est.score(X))


def mean_step_score(est, X):
    return float(est.score(X)) / len(X)


def timed_fit(make, X, repeats):
    """Best wall time of ``repeats`` fits of ``make()`` on X, and the fastest fit."""
    best, best_est, n_iters = math.inf, None, set()
    for _ in range(repeats):
        est = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            est.fit(X)
            elapsed = time.perf_counter() - t0
        n_iters.add(int(est.n_iter_))
        if elapsed < best:
            best, best_est = elapsed, est
    return best, best_est, n_iters


def warm_up(make, X):
    """A short fit on the first rows: imports, compilation and thread pools."""
    est = make()
    est.set_params(**{("n_iter" if "n_iter" in est.get_params() else "max_iter"): 2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:2000])


def time_pair(problem, repeats, sklearn_repeats):
    """Plain EM against SQUAREM (and scikit-learn, if any) on one problem: a table row."""
    X, row, notes = problem.X, {"problem": problem.name, "n": len(problem.X)}, []
    warm_up(lambda: problem.make(None), X)
    fits = {}
    for key, acceleration in (("plain", None), ("squarem", "squarem")):
        log(f"  {problem.name}: {key} ...")
        seconds, est, n_iters = timed_fit(lambda: problem.make(acceleration), X, repeats)
        fits[key] = est
        row.update({f"{key}_iter": int(est.n_iter_), f"{key}_s": seconds,
                    f"{key}_ll": problem.per_sample(est, X)})
        if len(n_iters) > 1:
            notes.append(f"{problem.name}: {key} n_iter_ differed between repeats: "
                         f"{sorted(n_iters)}.")
        if not est.converged_:
            notes.append(f"{problem.name}: {key} did not converge ({est.n_iter_} E-steps).")
    row["iter_ratio"] = row["plain_iter"] / row["squarem_iter"]
    row["s_ratio"] = row["plain_s"] / row["squarem_s"]
    # Signed: above 0 where SQUAREM ends higher (plain EM can stop while still climbing).
    row["rel_diff"] = (row["squarem_ll"] - row["plain_ll"]) / abs(row["plain_ll"])
    row["accepted"] = len(fits["squarem"].lower_bounds_) if hasattr(
        fits["squarem"], "lower_bounds_") else len(fits["squarem"].monitor_.history)
    if problem.reference is not None:
        log(f"  {problem.name}: scikit-learn ...")
        warm_up(problem.reference, X)
        seconds, est, _ = timed_fit(problem.reference, X, sklearn_repeats)
        row.update(sk_iter=int(est.n_iter_), sk_s=seconds)
        sk_ll = float(est.score(X))
        notes.append(f"{problem.name}: scikit-learn converged={est.converged_} in "
                     f"{est.n_iter_} iterations, {seconds:.2f} s "
                     f"({seconds / row['plain_s']:.1f}x emkit plain EM's time), final "
                     f"log-likelihood {sk_ll:.8f} (rel. diff. to emkit plain "
                     f"{abs(sk_ll - row['plain_ll']) / abs(row['plain_ll']):.1e}).")
    return row, notes


def gaussians_problem(args):
    import emkit

    return Problem(
        "three overlapping 2-D Gaussians", overlapping_gaussians(),
        lambda acc: emkit.GaussianMixture(3, tol=SMALL_TOL, max_iter=SMALL_CAP,
                                          random_state=0, acceleration=acc),
        mean_score, f"GaussianMixture(3, random_state=0), tol={SMALL_TOL:g}")


def bernoulli_problem(args):
    import emkit

    return Problem(
        "Bernoulli latent classes, 6 items", latent_classes(),
        lambda acc: emkit.BernoulliMixture(3, tol=SMALL_TOL, max_iter=SMALL_CAP,
                                           random_state=1, acceleration=acc),
        mean_score, f"BernoulliMixture(3, random_state=1), tol={SMALL_TOL:g}")


def hmm_problem(args):
    import emkit

    return Problem(
        "3-state Gaussian HMM, similar states", similar_states(),
        lambda acc: emkit.GaussianHMM(3, n_iter=SMALL_CAP, tol=SMALL_TOL, random_state=3,
                                      acceleration=acc),
        mean_step_score, f"GaussianHMM(3, random_state=3), tol={SMALL_TOL:g}")


def gmm_problem(args):
    import emkit
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    X = overlapping_mixture(args.n, args.centre_scale)
    start = kmeans_start(X)
    common = dict(covariance_type="full", tol=args.gmm_tol, max_iter=args.max_iter,
                  random_state=SEED, **start)
    # All three *_init are given, so scikit-learn's init_params only sets its throw-away
    # first responsibilities: "random" runs no KMeans on the whole data.
    return Problem(
        f"GMM full, D={D}, K={K}", X,
        lambda acc: emkit.GaussianMixture(K, acceleration=acc, **common),
        mean_score,
        f"GaussianMixture({K}, covariance_type='full'), tol={args.gmm_tol:g}, "
        f"max_iter={args.max_iter}",
        reference=lambda: SkGaussianMixture(K, init_params="random", **common))


PROBLEMS = (gaussians_problem, bernoulli_problem, hmm_problem, gmm_problem)

SQUAREM_COLS = [
    ("problem", "problem", "{}"), ("n", "N", "{:,}"),
    ("plain_iter", "plain E-steps", "{:,}"), ("squarem_iter", "SQUAREM E-steps", "{:,}"),
    ("accepted", "SQUAREM accepted", "{:,}"),
    ("iter_ratio", "E-steps plain / SQUAREM", "{:.2f}x"),
    ("plain_s", "plain s", "{:.3f}"), ("squarem_s", "SQUAREM s", "{:.3f}"),
    ("s_ratio", "s plain / SQUAREM", "{:.2f}x"),
    ("plain_ll", "plain log-lik.", "{:.8f}"), ("squarem_ll", "SQUAREM log-lik.", "{:.8f}"),
    ("rel_diff", "log-lik. rel. diff. (SQUAREM - plain)", "{:+.1e}"),
    ("sk_iter", "scikit-learn n_iter_", "{:,}"), ("sk_s", "scikit-learn s", "{:.3f}"),
]


def squarem_part(args):
    rows, notes = [], []
    for build in PROBLEMS:
        problem = build(args)
        log(f"SQUAREM: {problem.name} (N={len(problem.X):,}) ...")
        row, row_notes = time_pair(problem, args.repeats, args.sklearn_repeats)
        rows.append(row)
        notes.append(f"{problem.name}: {problem.setup}.")
        notes.extend(row_notes)
    setup = (f"plain EM (acceleration=None) and acceleration='squarem' from the same start, "
             f"to convergence; E-steps = n_iter_ (SQUAREM's rejected proposals included; "
             f"'accepted' = its accepted iterations); seconds = the whole fit, best of "
             f"{args.repeats} (scikit-learn: best of {args.sklearn_repeats}); log-lik. = "
             "score of the fitted parameters per sample (the HMM's per step). The GMM "
             f"case runs with tol={args.gmm_tol:g} (not 1e-10), N={args.n:,}, centres ~ "
             f"N(0, {args.centre_scale:g}^2) per coordinate, unit noise; its three fits "
             f"start from a one-iteration fit (k-means start) on the first {INIT_ROWS:,} "
             "rows.")
    return format_table(SQUAREM_COLS, rows, args.markdown), setup, notes


# ----------------------------------------------------------------- online
def batch_curve(X, start, args):
    """Batch EM to convergence: log-likelihood after 0, 1, ... iterations, its fit, seconds."""
    curve = []
    est = gmm(start, tol=args.gmm_tol, max_iter=args.max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        # The callback's value is that of the parameters before the iteration's M-step.
        est.fit(X, callback=lambda step: curve.append(step.log_likelihood))
        seconds = time.perf_counter() - t0
    curve.append(float(est.score(X)))  # after the last M-step: the converged value
    return np.array(curve), est, seconds


def gmm(start, **options):
    """An unfitted full-covariance GaussianMixture of K components from ``start``."""
    import emkit

    return emkit.GaussianMixture(K, covariance_type="full", **start, **options)


def online_estimator(start, args, **options):
    return gmm(start, learning_method="online", batch_size=args.batch_size, **options)


def online_curve(X, start, args, record_at):
    """Online EM by partial_fit: (passes, log-likelihood) at the recorded batches, the fit."""
    est = online_estimator(start, args, total_samples=len(X))
    points, updates, seen = [], 0, 0
    for _ in range(args.passes):
        for first in range(0, len(X), args.batch_size):
            batch = X[first:first + args.batch_size]
            est.partial_fit(batch)
            updates, seen = updates + 1, seen + len(batch)
            if updates % args.score_every == 0 or updates in record_at:
                points.append((updates, seen / len(X), float(est.score(X))))
    return points, est


def online_check(X, start, args, manual):
    """fit(learning_method='online') against the partial_fit loop: seconds and the check."""
    make = lambda: online_estimator(start, args, max_iter=args.passes, tol=0.0)  # noqa: E731
    warm_up(make, X)
    seconds, est, _ = timed_fit(make, X, args.repeats)
    diff = max(float(np.max(np.abs(getattr(est, name) - getattr(manual, name))))
               for name in ("weights_", "means_", "precisions_"))
    ok = est.n_batch_iter_ == manual.n_batch_iter_ and diff <= CHECK_ATOL
    line = (f"{'OK' if ok else 'FAILED'}: fit(learning_method='online', max_iter="
            f"{args.passes}) and {manual.n_batch_iter_} partial_fit calls with total_samples="
            f"{len(X):,}: largest difference of weights_, means_, precisions_ {diff:.1e} "
            f"(at most {CHECK_ATOL:g}); updates {est.n_batch_iter_} and "
            f"{manual.n_batch_iter_}.")
    return seconds, est, ok, line


def online_rows(points, curve, table_updates):
    """Table rows: online and batch EM at the table's numbers of passes, and the gaps."""
    converged = curve[-1]
    by_update = {u: (p, ll) for u, p, ll in points}
    rows = []
    for updates in table_updates:
        passes, online = by_update[updates]
        iterations = int(math.floor(passes + 1e-9))
        batch = curve[min(iterations, len(curve) - 1)]
        rows.append({"passes": passes, "updates": updates, "online": online,
                     "iterations": iterations, "batch": batch, "converged": converged,
                     "vs_batch": online - batch, "gap": converged - online})
    return rows


ONLINE_COLS = [
    ("passes", "passes", "{:.2f}"), ("updates", "batches", "{:,}"),
    ("online", "online log-lik.", "{:.6f}"),
    ("iterations", "batch EM iterations", "{:,}"),
    ("batch", "batch EM log-lik. after as many passes", "{:.6f}"),
    ("converged", "batch EM converged", "{:.6f}"),
    ("vs_batch", "online - batch EM (nats)", "{:+.4f}"),
    ("gap", "converged - online (nats)", "{:.4f}"),
]
SPEED_COLS = [
    ("method", "method", "{}"), ("passes", "passes", "{:,}"), ("seconds", "seconds", "{:.2f}"),
    ("per_pass", "s per pass", "{:.3f}"), ("final", "final log-lik.", "{:.6f}"),
]


def write_plot(path, points, curve, start_ll, n, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    iterations = np.arange(1, len(curve))
    ax.plot(iterations, curve[1:], ".-", ms=3, lw=1, label="batch EM (one point per iteration)")
    ax.plot([p for _, p, _ in points], [ll for _, _, ll in points], "o-", ms=4, lw=1,
            label=f"online EM, batches of {args.batch_size:,} "
                  f"(every {args.score_every} batches)")
    ax.axhline(curve[-1], ls="--", color="k", lw=1,
               label=f"batch EM converged ({curve[-1]:.4f})")
    ax.set_xscale("log")
    low = min(min(ll for _, _, ll in points), curve[1] if len(curve) > 1 else curve[-1])
    ax.set_ylim(low - 0.05 * (curve[-1] - low) - 1e-3, curve[-1] + 0.1 * (curve[-1] - low))
    ax.set_xlabel("passes over the data (log scale)")
    ax.set_ylabel("mean log-likelihood per row (nats)")
    ax.set_title(f"Online vs batch EM: GaussianMixture K={K}, D={D}, full, N={n:,}\n"
                 f"(start: mean log-likelihood {start_ll:.4f})")
    ax.legend(loc="lower right")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def online_part(args):
    n = args.online_n
    X = overlapping_mixture(n, args.centre_scale, seed=SEED + 1)
    start = kmeans_start(X)
    per_pass = math.ceil(n / args.batch_size)
    table_updates = sorted({max(1, round(p * per_pass)) for p in TABLE_PASSES
                            if p <= args.passes})

    log(f"online: batch EM to convergence on N={n:,} ...")
    warm_up(lambda: gmm(start), X)
    curve, batch_est, batch_seconds = batch_curve(X, start, args)
    log(f"online: {args.passes} passes of partial_fit, scored every {args.score_every} "
        "batches ...")
    points, manual = online_curve(X, start, args, set(table_updates))
    log("online: fit(learning_method='online') ...")
    online_seconds, online_est, ok, check = online_check(X, start, args, manual)

    rows = online_rows(points, curve, table_updates)
    speed = [
        {"method": f"online EM, fit(learning_method='online'), best of {args.repeats}",
         "passes": args.passes, "seconds": online_seconds,
         "per_pass": online_seconds / args.passes, "final": float(online_est.score(X))},
        {"method": f"batch EM to convergence (tol={args.gmm_tol:g})",
         "passes": int(batch_est.n_iter_), "seconds": batch_seconds,
         "per_pass": batch_seconds / batch_est.n_iter_, "final": float(curve[-1])},
    ]
    tables = (format_table(ONLINE_COLS, rows, args.markdown) + "\n\n"
              + format_table(SPEED_COLS, speed, args.markdown))
    setup = (f"GaussianMixture({K}, covariance_type='full') on N={n:,} rows of D={D} from "
             f"{K} equally likely unit-noise Gaussians (centres ~ N(0, "
             f"{args.centre_scale:g}^2) per coordinate), one start for both (a "
             f"one-iteration fit, k-means start, on the first {INIT_ROWS:,} rows). Online: "
             f"partial_fit on consecutive batches of {args.batch_size:,} rows with "
             f"total_samples={n:,} (learning_decay=0.7, learning_offset=10), score(X) on all "
             f"rows every {args.score_every} batches. Batch EM: tol={args.gmm_tol:g}, "
             f"max_iter={args.max_iter}; its log-likelihood after k passes is that of the "
             "parameters after k iterations (a fraction of a pass leaves it at its start). "
             "Log-likelihoods are per row, in nats. Seconds per pass: online from its "
             "fit(learning_method='online') (no scoring), batch EM from its whole fit.")
    notes = [check, f"batch EM: converged={batch_est.converged_} after {batch_est.n_iter_} "
             f"iterations; start log-likelihood {curve[0]:.6f}."]
    plot = args.plot or (DEFAULT_PLOT if args.markdown else None)
    if plot:
        write_plot(plot, points, curve, curve[0], n, args)
        notes.append(f"plot: {plot}")
    return tables, setup, notes, ok


# ----------------------------------------------------------------- main
def print_section(title, setup, table, notes, markdown):
    if markdown:
        print(f"### {title}\n")
        print(f"- **setup**: {setup}\n")
        print(table + "\n")
        print("\n".join(f"- {note}" for note in notes) + "\n")
    else:
        print(f"== {title}\n{setup}\n\n{table}\n")
        print("\n".join(notes) + "\n")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=2e5,
                        help="rows of the GMM case of the SQUAREM table (default: 2e5)")
    parser.add_argument("--online-n", type=float, default=1e6,
                        help="rows of the online stream (default: 1e6)")
    parser.add_argument("--centre-scale", type=float, default=0.5,
                        help="standard deviation of the centres per coordinate, in noise "
                             "units (default: 0.5)")
    parser.add_argument("--gmm-tol", type=float, default=1e-6,
                        help="tol of the 16-component fits (default: 1e-6)")
    parser.add_argument("--max-iter", type=int, default=2000,
                        help="max_iter of the 16-component fits (default: 2000)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed fits per emkit measurement, best kept (default: 3)")
    parser.add_argument("--sklearn-repeats", type=int, default=1,
                        help="timed scikit-learn fits, best kept (default: 1)")
    parser.add_argument("--batch-size", type=int, default=10_000,
                        help="rows per online batch (default: 10000)")
    parser.add_argument("--passes", type=int, default=3,
                        help="passes of online EM (default: 3)")
    parser.add_argument("--score-every", type=int, default=10,
                        help="score the online model every this many batches (default: 10)")
    parser.add_argument("--only", choices=("squarem", "online"),
                        help="run one part only")
    parser.add_argument("--plot", help=f"where the plot goes (default with --markdown: "
                                       f"{DEFAULT_PLOT})")
    parser.add_argument("--markdown", action="store_true",
                        help="markdown tables, and write the plot")
    args = parser.parse_args(argv)
    args.n, args.online_n = int(args.n), int(args.online_n)
    return args


def main(argv=None):
    args = parse_args(argv)
    info = machine_info()
    sections, ok = [], True
    started = time.perf_counter()
    if args.only in (None, "squarem"):
        table, setup, notes = squarem_part(args)
        sections.append(("SQUAREM against plain EM, to convergence", setup, table, notes))
    if args.only in (None, "online"):
        table, setup, notes, ok = online_part(args)
        sections.append(("Online EM against batch EM", setup, table, notes))
    info["load average at end"] = round(os.getloadavg()[0], 2)
    info["benchmark wall time"] = f"{time.perf_counter() - started:.0f} s"
    if args.markdown:
        print("\n".join(f"- **{key}**: {value}" for key, value in info.items()) + "\n")
    else:
        print("\n".join(f"{key}: {value}" for key, value in info.items()) + "\n")
    for title, setup, table, notes in sections:
        print_section(title, setup, table, notes, args.markdown)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
