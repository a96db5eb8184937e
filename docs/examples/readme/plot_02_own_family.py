"""
Your own family: a mixture of von Mises distributions
=====================================================

A new kind of component needs only its log-density, with named parameters and bounds:
:func:`~emkit.families.density_family` makes a family whose M-step maximizes each
component's weighted log-likelihood numerically. Here, angles from two von Mises
distributions (circular data).
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from emkit import MixtureModel
from emkit.families import density_family


def von_mises(X, mu, kappa):
    return stats.vonmises.logpdf(X[:, 0], kappa, loc=mu)


VonMises = density_family(von_mises, ["mu", "kappa"],
                          bounds={"mu": (-np.pi, np.pi), "kappa": (1e-6, None)})
rng = np.random.RandomState(0)
angles = np.concatenate([rng.vonmises(-2.0, 8.0, 600), rng.vonmises(1.0, 3.0, 400)])
model = MixtureModel(VonMises(mu=[-1.0, 0.5], kappa=[1.0, 1.0])).fit(angles[:, None])
print(model.components_.mu.ravel(), model.weights_)   # about (-2, 1) and (0.6, 0.4)
print("kappa", model.components_.kappa.ravel())

# %%
# The histogram of the angles with the fitted mixture density and its components:

theta = np.linspace(-np.pi, np.pi, 400)
mu, kappa = model.components_.mu.ravel(), model.components_.kappa.ravel()
parts = [w * stats.vonmises.pdf(theta, k, loc=m) for w, m, k in zip(model.weights_, mu, kappa)]

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.hist(angles, bins=60, density=True, color="0.8", label="angles")
for k, part in enumerate(parts):
    ax.plot(theta, part, linestyle="--", label=f"component {k}")
ax.plot(theta, sum(parts), color="black", label="mixture")
ax.set_xlabel("angle (radians)")
ax.set_ylabel("density")
ax.set_title("A mixture of two von Mises distributions")
ax.legend()
plt.show()
