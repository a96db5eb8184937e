"""
Choosing the number of components, and mclust's models
======================================================

:func:`emkit.select` fits every candidate and keeps the best by BIC, AIC or ICL. Besides
scikit-learn's four covariance types, ``GaussianMixture`` takes mclust's fourteen models
(volume, shape and orientation equal or variable across components), and ``select``
searches them with mclust's parameter counts.
"""

import matplotlib.pyplot as plt
import numpy as np

import emkit
from emkit.plotting import plot_clusters_2d, plot_criterion
from emkit.selection import MCLUST_MODELS

rng = np.random.default_rng(0)
centres = np.array([[0, 0], [8, 0], [0, 8], [8, 8]])
X = np.vstack([rng.normal(c, 1.0, (150, 2)) for c in centres])

result = emkit.select(X, n_components=range(1, 9), criterion="bic")   # or "aic", "icl"
print(result)                    # one row per candidate, the best marked with *
best = result.best_estimator_    # fitted
print(result.best_params_)

# %%
# The same search over mclust's fourteen models (``EII`` ... ``VVV``), printed with
# mclust's sign convention (higher is better):

mclust = emkit.select(X, n_components=(3, 4, 5), covariance_types=MCLUST_MODELS,
                      random_state=0)
print(mclust.best_params_)
print("\n".join(mclust.to_text(convention="mclust").splitlines()[:8]))

# %%
# BIC against the number of components per covariance type, and the best model:

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
plot_criterion(result, ax=left)
left.set_title("BIC (lower is better)")
plot_clusters_2d(best, X, ax=right)
right.set_title(f"best: {best.n_components} components, {best.covariance_type}")
plt.show()
