"""The demo's mixture sections: the 1-D seed example, GMM against k-means, the iris
ellipses, model selection, and fewer passes with SQUAREM."""

import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score

from emkit.datasets import make_blobs_2d, make_two_gaussians_1d
from emkit.demo._section import Section, figure_grid
from emkit.estimators import GaussianMixture

__all__ = ["acceleration", "gmm_against_kmeans", "iris_ellipses", "model_selection",
           "two_gaussians_1d"]


def two_gaussians_1d():
    """Fit the 1-D two-Gaussian seed example from the textbook start.

    Returns
    -------
    section : Section
    """
    X, _ = make_two_gaussians_1d(1000, random_state=0)
    model = GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[0.0], [1.0]],
                            precisions_init=[[[1.0]], [[1.0]]], max_iter=500, tol=1e-10,
                            reg_covar=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    sds = np.sqrt(model.covariances_[:, 0, 0])
    lines = [f"  converged={model.converged_} after {model.n_iter_} iterations, "
             f"log-likelihood {model.lower_bound_ * len(X):.4f}"]
    for k in range(2):
        lines.append(f"  component {k}: weight {model.weights_[k]:.4f}  "
                     f"mean {model.means_[k, 0]:+.4f}  sd {sds[k]:.4f}")

    def draw():
        from emkit.plotting import plot_density_1d
        figure = plot_density_1d(model, X)
        figure.axes[0].set_title("1-D two-Gaussian mixture: density and components")
        return figure

    return Section("1-D two-Gaussian mixture (N=1000; truth: weights 0.3/0.7, means -2/0.5, "
                   "sds 0.5/1)", lines, {"two_gaussians_1d.png": draw})


def gmm_against_kmeans():
    """Cluster the sheared 2-D blobs with a GMM and with k-means.

    Returns
    -------
    section : Section
    """
    X, y = make_blobs_2d(600, random_state=0)
    gmm = GaussianMixture(3, n_init=3, random_state=0).fit(X)
    kmeans = KMeans(3, n_init=3, random_state=0).fit(X)
    gmm_ari = adjusted_rand_score(y, gmm.predict(X))
    kmeans_ari = adjusted_rand_score(y, kmeans.labels_)
    lines = [f"  GaussianMixture: adjusted Rand index {gmm_ari:.3f}, BIC {gmm.bic(X):.1f}",
             f"  k-means:         adjusted Rand index {kmeans_ari:.3f}"]

    def draw():
        from emkit.plotting import plot_clusters_2d
        figure, (left, right) = figure_grid(2, "Sheared blobs: GaussianMixture against "
                                               "k-means")
        plot_clusters_2d(gmm, X, ax=left)
        left.set_title(f"GaussianMixture (ARI {gmm_ari:.2f})")
        right.scatter(X[:, 0], X[:, 1], c=kmeans.labels_, s=8, cmap="tab10", vmin=0, vmax=9)
        right.scatter(*kmeans.cluster_centers_.T, marker="x", s=80, color="black")
        right.set_title(f"k-means (ARI {kmeans_ari:.2f})")
        right.set_xlabel("x1")
        right.set_ylabel("x2")
        return figure

    def history():
        from emkit.plotting import plot_log_likelihood
        figure = plot_log_likelihood(gmm)
        figure.axes[0].set_title("GaussianMixture on the blobs: log-likelihood of 3 starts")
        return figure

    return Section("2-D clustering of sheared blobs (N=600, 3 clusters)", lines,
                   {"clustering_2d.png": draw, "log_likelihood_2d.png": history})


def iris_ellipses():
    """A full-covariance GMM on the four iris measurements, drawn with its ellipses.

    Returns
    -------
    section : Section
    """
    iris = load_iris()
    model = GaussianMixture(3, n_init=5, random_state=0).fit(iris.data)
    ari = adjusted_rand_score(iris.target, model.predict(iris.data))
    lines = [f"  GaussianMixture(3, full) on 150 flowers x 4 measurements: adjusted Rand "
             f"index against the species {ari:.3f}"]

    def draw():
        from emkit.plotting import plot_clusters_2d
        figure = plot_clusters_2d(model, iris.data)
        figure.axes[0].set_title("Iris: three Gaussians, 2-sd ellipses (principal axes)")
        return figure

    return Section("A multivariate Gaussian mixture: the iris flowers", lines,
                   {"iris_ellipses.png": draw})


def model_selection():
    """Choose the number of clusters and the covariance type by BIC and ICL.

    Returns
    -------
    section : Section
    """
    from emkit.selection import select

    X, _ = make_blobs_2d(600, random_state=0)
    results = {criterion: select(X, range(1, 7), ("full", "diag"), criterion,
                                 random_state=0) for criterion in ("bic", "icl")}
    lines = []
    for criterion, result in results.items():
        best = result.best_estimator_
        lines.append(f"  {criterion.upper()} picks {best.n_components} components, "
                     f"covariance_type={best.covariance_type!r}")

    def draw():
        from emkit.plotting import plot_criterion
        figure, axes = figure_grid(2, "Model selection on the blobs: lower is better")
        for ax, result in zip(axes, results.values()):
            plot_criterion(result, ax=ax)
            ax.set_title(result.criterion.upper())
        return figure

    return Section("Model selection (BIC and ICL over 1-6 components, full and diagonal)",
                   lines, {"model_selection.png": draw})


def acceleration():
    """Plain EM against SQUAREM on three overlapping Gaussians, from the same start.

    Returns
    -------
    section : Section
    """
    rng = np.random.default_rng(0)
    means = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.7]])
    X = np.vstack([rng.normal(m, 0.8, size=(3000, 2)) for m in means])
    fits, lines = {}, []
    for name, acc in (("plain EM", None), ("SQUAREM", "squarem")):
        started = time.perf_counter()
        fits[name] = GaussianMixture(3, tol=1e-10, max_iter=100000, random_state=0,
                                     acceleration=acc).fit(X)
        lines.append(f"  {name + ':':9} {fits[name].n_iter_:4d} E-steps, final log-likelihood "
                     f"{fits[name].lower_bound_:.8f} per sample "
                     f"({time.perf_counter() - started:.2f} s)")

    def draw():
        figure, (ax,) = figure_grid(1, "Three overlapping Gaussians: plain EM against SQUAREM",
                                    width=6.0)
        best = max(f.lower_bound_ for f in fits.values())
        for name, fit in fits.items():
            gap = np.maximum(best - np.asarray(fit.lower_bounds_), 1e-12)
            ax.semilogy(np.arange(1, len(gap) + 1), gap, label=name)
        ax.set_xlabel("accepted iteration")
        ax.set_ylabel("distance to the best log-likelihood (per sample)")
        ax.legend()
        return figure

    return Section("Fewer passes: SQUAREM acceleration (tol=1e-10)", lines,
                   {"acceleration.png": draw})
