"""
Missing values: fit on data with NaN, then impute
=================================================

NaN in ``X`` marks a missing entry (missing at random). The mixture is fitted by the
observed-data likelihood: each row contributes the marginal density of its observed
entries, and the M-step uses the conditional expectations of the missing ones.
``impute`` fills each NaN with its posterior conditional expectation.
"""

import matplotlib.pyplot as plt
import numpy as np

from emkit import GaussianMixture

rng = np.random.default_rng(0)
complete = np.vstack([rng.normal(-2, 0.5, (300, 3)), rng.normal(1, 1.0, (700, 3))])
X = complete.copy()
X[rng.uniform(size=X.shape) < 0.1] = np.nan        # 10% of the entries missing

gm = GaussianMixture(n_components=2, random_state=0).fit(X)
X_filled = gm.impute(X)          # each NaN -> its posterior conditional expectation

missing = np.isnan(X)
print(f"{missing.sum()} entries missing; weights {gm.weights_.round(3)}")
print("means\n", gm.means_.round(2))
print(f"RMS error of the imputed entries: "
      f"{np.sqrt(np.mean((X_filled[missing] - complete[missing]) ** 2)):.3f}")

# %%
# Rows with their second coordinate missing, placed at the imputed value: each is put
# at its cluster's conditional mean given the coordinates it has.

rows = missing[:, 1] & ~missing[:, 0]
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(X[:, 0], X[:, 1], s=6, color="0.7", label="observed rows")
ax.scatter(X_filled[rows, 0], X_filled[rows, 1], s=18, color="C3",
           label="x2 missing: imputed")
ax.scatter(complete[rows, 0], complete[rows, 1], s=18, facecolor="none", edgecolor="C0",
           label="x2 missing: true value")
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.set_title("Imputation by the fitted mixture")
ax.legend(fontsize="small")
plt.show()
