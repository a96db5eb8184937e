"""The demo's textbook sections: the three coins and exercise 9.3, with the log-likelihood
of several starts against the iterations."""

import warnings

import numpy as np

from emkit.datasets import load_exercise_9_3, load_three_coins
from emkit.demo._section import Section, figure_grid
from emkit.estimators import GaussianMixture, MixtureModel
from emkit.families import Bernoulli, GaussianFull

__all__ = ["three_coins_and_exercise_9_3"]

#: The three coins' starts: the book's two, then three more.
COIN_STARTS = [(0.5, 0.5, 0.5), (0.4, 0.6, 0.7), (0.3, 0.2, 0.8), (0.7, 0.9, 0.3),
               (0.6, 0.35, 0.55)]


def _coins(X, pi, p, q):
    model = MixtureModel([Bernoulli(p=p), Bernoulli(p=q)], weights=[pi, 1 - pi], tol=1e-10,
                         max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # equal coins: the identical-components warning
        return model.fit(X)


def three_coins_and_exercise_9_3():
    """Li Hang's three-coin model (example 9.1) and exercise 9.3, from several starts.

    Returns
    -------
    section : Section
    """
    X = load_three_coins()
    coins = {start: _coins(X, *start) for start in COIN_STARTS}
    lines = ["  Three coins (Li Hang, example 9.1): observations 1,1,0,1,0,0,1,0,1,1"]
    for (pi, p, q) in COIN_STARTS[:2]:
        model = coins[(pi, p, q)]
        fitted = model.components_.p.ravel()
        lines.append(f"  from (pi, p, q) = ({pi}, {p}, {q}): ({model.weights_[0]:.4f}, "
                     f"{fitted[0]:.4f}, {fitted[1]:.4f})")
    points = load_exercise_9_3().astype(float)
    start = [GaussianFull([[0.0]], [[[1.0]]]), GaussianFull([[0.0]], [[[1.0]]])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = MixtureModel(start, weights=[0.5, 0.5], tol=1e-10, max_iter=1000).fit(points)
    best = GaussianMixture(2, n_init=10, random_state=0, tol=1e-10, max_iter=2000).fit(points)
    order = np.argsort(best.means_[:, 0])
    lines += [
        "  Exercise 9.3 (15 points, K=2)",
        f"  both started at N(0, 1): log-likelihood {same.score(points) * len(points):.4f} "
        "(the one-Gaussian fit; identical components stay identical)",
        f"  GaussianMixture(2, n_init=10): log-likelihood "
        f"{best.score(points) * len(points):.4f}, weights {np.round(best.weights_[order], 3)}, "
        f"means {np.round(best.means_[order, 0], 2)}, "
        f"variances {np.round(best.covariances_[order, 0, 0], 2)}"]

    def draw():
        from emkit.plotting import plot_log_likelihood
        figure, (left, right) = figure_grid(2, "Log-likelihood against iterations, several "
                                               "starts")
        for (pi, p, q), model in coins.items():
            history = np.asarray(model.lower_bounds_) * len(X)
            left.plot(np.arange(1, len(history) + 1), history, marker="o", markersize=3,
                      label=f"({pi}, {p}, {q})")
        left.xaxis.get_major_locator().set_params(integer=True)
        left.set_title("Three coins: starts (pi, p, q)")
        left.set_xlabel("iteration")
        left.set_ylabel("log-likelihood")
        left.legend(fontsize="small")
        plot_log_likelihood(best, ax=right)
        right.set_title("Exercise 9.3: ten starts of GaussianMixture")
        return figure

    return Section("Latent classes from the textbook: three coins and exercise 9.3", lines,
                   {"textbook_starts.png": draw})
