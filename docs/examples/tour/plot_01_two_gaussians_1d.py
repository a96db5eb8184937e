"""
A 1-D mixture of two Gaussians
==============================

The seed example: 1,000 draws from ``0.3 N(-2, 0.5²) + 0.7 N(0.5, 1²)``, fitted by EM
from the textbook start (equal weights, means 0 and 1, unit variances). EM runs to a
tight tolerance; ``converged_`` says honestly whether it got there.
"""

import matplotlib.pyplot as plt
import numpy as np

from emkit import GaussianMixture
from emkit.datasets import make_two_gaussians_1d
from emkit.plotting import plot_density_1d

X, _ = make_two_gaussians_1d(1000, random_state=0)

model = GaussianMixture(
    n_components=2,
    weights_init=[0.5, 0.5],
    means_init=[[0.0], [1.0]],
    precisions_init=[[[1.0]], [[1.0]]],
    max_iter=500,
    tol=1e-10,
    reg_covar=0,
).fit(X)

print(f"converged={model.converged_} after {model.n_iter_} iterations, "
      f"log-likelihood {model.lower_bound_ * len(X):.4f}")
for k in range(2):
    print(f"component {k}: weight {model.weights_[k]:.4f}  "
          f"mean {model.means_[k, 0]:+.4f}  sd {np.sqrt(model.covariances_[k, 0, 0]):.4f}")

# %%
# The fitted density over the histogram, with each weighted component:

fig, ax = plt.subplots(figsize=(6.5, 4))
plot_density_1d(model, X, ax=ax)
ax.set_title("1-D two-Gaussian mixture: density and components")
plt.show()
