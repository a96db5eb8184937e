"""
Gaussian mixture against k-means
================================

Three sheared, elongated clusters. k-means draws straight borders halfway between its
centres, so it cuts the long clusters; a full-covariance Gaussian mixture learns each
cluster's shape. The adjusted Rand index compares each labelling with the truth.
"""

import matplotlib.pyplot as plt
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from emkit import GaussianMixture
from emkit.datasets import make_blobs_2d
from emkit.plotting import plot_clusters_2d, plot_log_likelihood

X, y = make_blobs_2d(600, random_state=0)

gmm = GaussianMixture(n_components=3, n_init=3, random_state=0).fit(X)
kmeans = KMeans(n_clusters=3, n_init=3, random_state=0).fit(X)

gmm_ari = adjusted_rand_score(y, gmm.predict(X))
kmeans_ari = adjusted_rand_score(y, kmeans.labels_)
print(f"GaussianMixture: adjusted Rand index {gmm_ari:.3f}, BIC {gmm.bic(X):.1f}")
print(f"k-means:         adjusted Rand index {kmeans_ari:.3f}")

# %%
# The mixture's 2-sd ellipses, and k-means' clusters and centres:

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
plot_clusters_2d(gmm, X, ax=left)
left.set_title(f"GaussianMixture (ARI {gmm_ari:.2f})")
right.scatter(X[:, 0], X[:, 1], c=kmeans.labels_, s=8, cmap="tab10", vmin=0, vmax=9)
right.scatter(*kmeans.cluster_centers_.T, marker="x", s=80, color="black")
right.set_title(f"k-means (ARI {kmeans_ari:.2f})")
right.set_xlabel("x1")
right.set_ylabel("x2")

# %%
# ``n_init=3`` ran three starts; ``lower_bounds_per_init_`` keeps every start's history
# and :func:`~emkit.plotting.plot_log_likelihood` draws them, the kept one in bold:

fig, ax = plt.subplots(figsize=(6.5, 4))
plot_log_likelihood(gmm, ax=ax)
ax.set_title("Log-likelihood of the three starts")
plt.show()
