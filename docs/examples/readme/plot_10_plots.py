"""
The plots of emkit.plotting
===========================

``emkit.plotting`` draws fitted models with matplotlib. Each function takes an optional
``ax`` and returns the figure; without ``ax`` it makes a headless figure of its own
(``figure.savefig("history.png")``) and leaves pyplot's state alone. Here each draws on
pyplot axes, so the figures show.
"""

import matplotlib.pyplot as plt
import numpy as np

import emkit
from emkit import plotting

rng = np.random.default_rng(0)
X = np.vstack([rng.normal(c, 1.0, (150, 3)) for c in ([0, 0, 0], [6, 0, 2], [0, 6, -2])])
gm = emkit.GaussianMixture(3, n_init=3, random_state=0).fit(X)
result = emkit.select(X, n_components=range(1, 6), covariance_types=("full", "diag"))
x = X[:, :1]
one_d = emkit.GaussianMixture(2).fit(x)

fig, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained")
plotting.plot_log_likelihood(gm, ax=axes[0, 0])       # every start, the kept one bold
plotting.plot_clusters_2d(gm, X, ax=axes[0, 1])       # ellipses; a PCA view as D > 2
plotting.plot_criterion(result, ax=axes[1, 0])        # criterion vs K per type
plotting.plot_density_1d(one_d, x, ax=axes[1, 1])     # density and components
plt.show()
