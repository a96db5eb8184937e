"""The seed examples, run on built-in data: what ``emkit demo`` and ``make demo`` print."""

import os
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score

from emkit.datasets import make_blobs_2d, make_two_gaussians_1d
from emkit.estimators import GaussianMixture

__all__ = ["run_demo"]


def two_gaussians_1d():
    """Fit the 1-D two-Gaussian seed example from the textbook start; return report lines."""
    X, _ = make_two_gaussians_1d(1000, random_state=0)
    model = GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[0.0], [1.0]],
                            precisions_init=[[[1.0]], [[1.0]]], max_iter=500, tol=1e-10,
                            reg_covar=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    sds = np.sqrt(model.covariances_[:, 0, 0])
    lines = ["1-D two-Gaussian mixture (N=1000; truth: weights 0.3/0.7, means -2/0.5, "
             "sds 0.5/1)",
             f"  converged={model.converged_} after {model.n_iter_} iterations, "
             f"log-likelihood {model.lower_bound_ * len(X):.4f}"]
    for k in range(2):
        lines.append(f"  component {k}: weight {model.weights_[k]:.4f}  "
                     f"mean {model.means_[k, 0]:+.4f}  sd {sds[k]:.4f}")
    return lines, (X, model)


def clustering_2d():
    """Cluster the 2-D sheared blobs with a GMM and with k-means; return report lines."""
    X, y = make_blobs_2d(600, random_state=0)
    gmm = GaussianMixture(3, n_init=3, random_state=0).fit(X)
    kmeans = KMeans(3, n_init=3, random_state=0).fit(X)
    lines = ["2-D clustering of sheared blobs (N=600, 3 clusters)",
             f"  GaussianMixture: adjusted Rand index {adjusted_rand_score(y, gmm.predict(X)):.3f}"
             f", BIC {gmm.bic(X):.1f}",
             f"  k-means:         adjusted Rand index {adjusted_rand_score(y, kmeans.labels_):.3f}"]
    return lines, (X, gmm)


def _plots(out, one_d, two_d):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["  (install emkit[plot] for the plots)"]
    X, model = one_d
    grid = np.linspace(X.min() - 1, X.max() + 1, 400)[:, None]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(X[:, 0], bins=50, density=True, alpha=0.4, label="data")
    ax.plot(grid[:, 0], np.exp(model.score_samples(grid)), label="fitted density")
    ax.legend()
    fig.savefig(os.path.join(out, "two_gaussians_1d.png"), dpi=100)
    plt.close(fig)
    X, model = two_d
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(X[:, 0], X[:, 1], c=model.predict(X), s=8, cmap="viridis")
    ax.scatter(model.means_[:, 0], model.means_[:, 1], c="red", marker="x", s=80)
    fig.savefig(os.path.join(out, "clustering_2d.png"), dpi=100)
    plt.close(fig)
    return [f"  plots written to {out}/two_gaussians_1d.png and {out}/clustering_2d.png"]


def run_demo(out="demo-output"):
    """Run the seed examples, print their results and write plots into ``out``.

    Parameters
    ----------
    out : str, default='demo-output'
        Folder for the plots (created if missing).

    Returns
    -------
    lines : list of str
        The printed report.
    """
    os.makedirs(out, exist_ok=True)
    lines_1d, one_d = two_gaussians_1d()
    lines_2d, two_d = clustering_2d()
    lines = lines_1d + [""] + lines_2d + _plots(out, one_d, two_d)
    print("\n".join(lines))
    return lines
