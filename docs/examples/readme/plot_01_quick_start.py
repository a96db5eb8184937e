"""
GaussianMixture, a drop-in for scikit-learn's
=============================================

``from emkit import GaussianMixture`` replaces ``from sklearn.mixture import
GaussianMixture``: the same parameters, attributes and methods, with an honest
``converged_`` and the per-iteration history in ``lower_bounds_``.
"""

import matplotlib.pyplot as plt
import numpy as np

from emkit import GaussianMixture  # was: from sklearn.mixture import GaussianMixture
from emkit.plotting import plot_clusters_2d

rng = np.random.default_rng(0)
X = np.vstack([rng.normal(-2, 0.5, (300, 2)), rng.normal(1, 1.0, (700, 2))])

gm = GaussianMixture(n_components=2, covariance_type="full", random_state=0).fit(X)
print(gm.weights_, gm.means_, gm.converged_, gm.n_iter_)
labels = gm.predict(X)                      # most probable component
log_density = gm.score_samples(X)           # log p(x) per sample
print(gm.bic(X), gm.lower_bounds_[-3:])     # model selection, per-iteration history

# %%
# The fitted components, and the log-density ``score_samples`` gives over the plane:

grid = np.stack(np.meshgrid(np.linspace(-4, 4.5, 200), np.linspace(-4, 4.5, 200)), axis=-1)
density = gm.score_samples(grid.reshape(-1, 2)).reshape(grid.shape[:2])

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
plot_clusters_2d(gm, X, ax=left)
left.set_title("Components and 2-sd ellipses")
contours = right.contourf(grid[..., 0], grid[..., 1], density, levels=20, cmap="viridis")
fig.colorbar(contours, ax=right, label="log p(x)")
right.set_title("score_samples: the log-density")
right.set_xlabel("x1")
right.set_ylabel("x2")
plt.show()
