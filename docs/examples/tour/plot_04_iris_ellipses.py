"""
A multivariate Gaussian mixture: the iris flowers
=================================================

Three full-covariance Gaussians on the four measurements of 150 iris flowers, fitted
without the species. :func:`~emkit.plotting.plot_clusters_2d` draws the data and each
component's 2-sd ellipse in the plane of the first two principal axes when there are
more than two features.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_iris
from sklearn.metrics import adjusted_rand_score

from emkit import GaussianMixture
from emkit.plotting import plot_clusters_2d

iris = load_iris()
model = GaussianMixture(n_components=3, n_init=5, random_state=0).fit(iris.data)
ari = adjusted_rand_score(iris.target, model.predict(iris.data))
print(f"adjusted Rand index against the species: {ari:.3f}")
print("weights", model.weights_.round(3))

fig, ax = plt.subplots(figsize=(6.5, 5))
plot_clusters_2d(model, iris.data, ax=ax)
ax.set_title("Iris: three Gaussians, 2-sd ellipses (principal axes)")
plt.show()
