"""
Latent classes from the textbook: three coins and exercise 9.3
==============================================================

Li Hang's three-coin model (*Statistical Learning Methods*, example 9.1): coin A picks
coin B (probability ``pi``) or coin C, whose toss is observed. It is a mixture of two
Bernoulli components, and :class:`~emkit.MixtureModel` starts exactly where the book
does. ``verbose=2`` prints the book's iteration table.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

from emkit import GaussianMixture, MixtureModel
from emkit.datasets import load_exercise_9_3, load_three_coins
from emkit.families import Bernoulli, GaussianFull
from emkit.plotting import plot_log_likelihood

X = load_three_coins()            # 1,1,0,1,0,0,1,0,1,1 as a column

model = MixtureModel([Bernoulli(p=0.6), Bernoulli(p=0.7)], weights=[0.4, 0.6], verbose=2)
model.fit(X)                      # ends at (0.4064, 0.5368, 0.6432)

# %%
# EM only finds a stationary point near its start. From several starts ``(pi, p, q)``
# the coins end in different places; from ``(0.5, 0.5, 0.5)`` the two coins are
# identical and EM cannot separate them (emkit says so with an
# ``IdenticalComponentsWarning``, silenced here).

starts = [(0.5, 0.5, 0.5), (0.4, 0.6, 0.7), (0.3, 0.2, 0.8), (0.7, 0.9, 0.3),
          (0.6, 0.35, 0.55)]
fits = {}
for pi, p, q in starts:
    coins = MixtureModel([Bernoulli(p=p), Bernoulli(p=q)], weights=[pi, 1 - pi],
                         tol=1e-10, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits[(pi, p, q)] = coins.fit(X)
    fitted = coins.components_.p.ravel()
    print(f"from ({pi}, {p}, {q}): ({coins.weights_[0]:.4f}, {fitted[0]:.4f}, "
          f"{fitted[1]:.4f})")

# %%
# Exercise 9.3: a two-Gaussian mixture of 15 points. Both components started at
# N(0, 1) stay identical (the one-Gaussian fit); ten random starts find the better
# two-cluster solution.

points = load_exercise_9_3().astype(float)
same_start = [GaussianFull([[0.0]], [[[1.0]]]), GaussianFull([[0.0]], [[[1.0]]])]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    same = MixtureModel(same_start, weights=[0.5, 0.5], tol=1e-10, max_iter=1000)
    same.fit(points)
best = GaussianMixture(2, n_init=10, random_state=0, tol=1e-10, max_iter=2000).fit(points)
order = np.argsort(best.means_[:, 0])
print(f"both started at N(0, 1): log-likelihood {same.score(points) * len(points):.4f}")
print(f"GaussianMixture(2, n_init=10): log-likelihood {best.score(points) * len(points):.4f}, "
      f"weights {np.round(best.weights_[order], 3)}, means {np.round(best.means_[order, 0], 2)}")

# %%
# The log-likelihood against the iterations: every start of the coins, and the ten
# starts of exercise 9.3 (the kept one in bold).

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
for (pi, p, q), coins in fits.items():
    history = np.asarray(coins.lower_bounds_) * len(X)
    left.plot(np.arange(1, len(history) + 1), history, marker="o", markersize=3,
              label=f"({pi}, {p}, {q})")
left.set_title("Three coins: starts (pi, p, q)")
left.set_xlabel("iteration")
left.set_ylabel("log-likelihood")
left.legend(fontsize="small")
plot_log_likelihood(best, ax=right)
right.set_title("Exercise 9.3: ten starts of GaussianMixture")
plt.show()
