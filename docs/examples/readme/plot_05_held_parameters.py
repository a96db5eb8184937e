"""
Holding parameters, and partial labels
======================================

Any parameter of any mixture can be held at its starting value during the fit (``fit(X,
fixed=...)``): the weights, whole components, or one parameter of the family. The
M-step maximizes the rest given the held values, which come out bit for bit. Known
components of some rows (``-1`` elsewhere) make the fit semi-supervised.
"""

import matplotlib.pyplot as plt
import numpy as np

from emkit import GaussianMixture, PoissonMixture

rng = np.random.default_rng(0)
X = np.vstack([rng.normal(0, 1, (500, 2)), rng.normal(3, 1, (500, 2))])
gm = GaussianMixture(2, means_init=[[0, 0], [3, 3]]).fit(X, fixed={"means": True})
print(gm.means_)                                  # exactly the starting means

counts = rng.poisson([[2.0], [9.0]], size=(2, 400)).reshape(-1, 1).astype(float)
pm = PoissonMixture(2, means_init=[[2.0], [8.0]]).fit(counts, fixed={"weights": True,
                                                                     "components": [0]})
print(pm.weights_, pm.means_.ravel())             # weights and component 0 held

labels = np.full(len(X), -1)
labels[:20], labels[500:520] = 0, 1               # 4% of the rows labelled
semi = GaussianMixture(2, random_state=0).fit(X, labels=labels)
print(semi.means_.round(2))                       # component k is the one labelled k

# %%
# The Poisson counts with the fitted mixture: component 0 stayed at rate 2 and the
# weights at their start (equal), while component 1 moved to the data.

from scipy import stats  # noqa: E402

values = np.arange(0, 25)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
left.hist(counts[:, 0], bins=np.arange(-0.5, 25.5), density=True, color="0.8", label="counts")
for k in range(2):
    left.plot(values, pm.weights_[k] * stats.poisson.pmf(values, pm.means_[k, 0]),
              marker="o", label=f"component {k}, rate {pm.means_[k, 0]:.2f}")
left.set_xlabel("count")
left.set_title("PoissonMixture: weights and component 0 held")
left.legend(fontsize="small")

# %%
# The semi-supervised fit: the 40 labelled rows (large markers) name the components.

right.scatter(X[:, 0], X[:, 1], c=semi.predict(X), cmap="coolwarm", s=6, alpha=0.5)
known = labels >= 0
right.scatter(X[known, 0], X[known, 1], c=labels[known], cmap="coolwarm", s=60,
              edgecolor="black")
right.set_title("GaussianMixture with 4% of the rows labelled")
right.set_xlabel("x1")
right.set_ylabel("x2")
plt.show()
