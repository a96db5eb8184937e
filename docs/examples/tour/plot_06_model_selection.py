"""
Model selection: BIC and ICL
============================

:func:`emkit.select` fits every pair of a number of components and a covariance type
and scores each by a criterion (lower is better): BIC, AIC or ICL, which is BIC plus
twice the entropy of the responsibilities and so prefers well-separated clusters.
"""

import matplotlib.pyplot as plt

import emkit
from emkit.datasets import make_blobs_2d
from emkit.plotting import plot_criterion

X, _ = make_blobs_2d(600, random_state=0)

results = {criterion: emkit.select(X, n_components=range(1, 7),
                                   covariance_types=("full", "diag"),
                                   criterion=criterion, random_state=0)
           for criterion in ("bic", "icl")}
for criterion, result in results.items():
    best = result.best_estimator_
    print(f"{criterion.upper()} picks {best.n_components} components, "
          f"covariance_type={best.covariance_type!r}")

# %%
# Printing a result gives its table, the best row marked with ``*``:

print(results["bic"])

# %%
# The criterion against the number of components, one line per covariance type:

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
for ax, result in zip(axes, results.values()):
    plot_criterion(result, ax=ax)
    ax.set_title(result.criterion.upper())
fig.suptitle("Model selection on the blobs: lower is better")
plt.show()
