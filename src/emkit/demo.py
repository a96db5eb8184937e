"""The seed examples, run on built-in data: what ``emkit demo`` and ``make demo`` print."""

import os
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score

from emkit.datasets import (load_exercise_9_3, load_three_coins, make_blobs_2d,
                            make_two_gaussians_1d, make_two_level_image)
from emkit.estimators import GaussianMixture, MixtureModel
from emkit.families import Bernoulli, GaussianFull
from emkit.image import segment_image

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


def three_coins():
    """Li Hang's three-coin model (example 9.1) from the book's two starts; report lines."""
    X = load_three_coins()
    lines = ["Three coins (Li Hang, example 9.1): observations 1,1,0,1,0,0,1,0,1,1"]
    for pi, p, q in [(0.5, 0.5, 0.5), (0.4, 0.6, 0.7)]:
        model = MixtureModel([Bernoulli(p=p), Bernoulli(p=q)], weights=[pi, 1 - pi],
                             tol=1e-10, max_iter=1000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # equal coins: the identical-components warning
            model.fit(X)
        fitted = model.components_.p.ravel()
        lines.append(f"  from (pi, p, q) = ({pi}, {p}, {q}): ({model.weights_[0]:.4f}, "
                     f"{fitted[0]:.4f}, {fitted[1]:.4f})")
    return lines


def exercise_9_3():
    """Exercise 9.3: two Gaussians on 15 points, from an identical start and with restarts."""
    X = load_exercise_9_3().astype(float)
    lines = ["Exercise 9.3 (15 points, K=2)"]
    start = [GaussianFull([[0.0]], [[[1.0]]]), GaussianFull([[0.0]], [[[1.0]]])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = MixtureModel(start, weights=[0.5, 0.5], tol=1e-10, max_iter=1000).fit(X)
    best = GaussianMixture(2, n_init=10, random_state=0, tol=1e-10, max_iter=2000).fit(X)
    lines.append(f"  both started at N(0, 1): log-likelihood {same.score(X) * len(X):.4f} "
                 "(the one-Gaussian fit; identical components stay identical)")
    order = np.argsort(best.means_[:, 0])
    lines.append(f"  GaussianMixture(2, n_init=10): log-likelihood {best.score(X) * len(X):.4f}, "
                 f"weights {np.round(best.weights_[order], 3)}, "
                 f"means {np.round(best.means_[order, 0], 2)}, "
                 f"variances {np.round(best.covariances_[order, 0, 0], 2)}")
    return lines


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


def image_denoising():
    """Segment and denoise the 100x100 two-level seed image; return report lines."""
    noisy, clean = make_two_level_image(100, random_state=0)
    result = segment_image(noisy, 2, random_state=0)
    noisy_error = np.sqrt(np.mean((noisy - clean) ** 2))
    denoised_error = np.sqrt(np.mean((result.denoised - clean) ** 2))
    truth = (clean > clean.min()).astype(int)
    lines = ["Image denoising (100x100, two grey levels 0.25/0.75, noise sd 0.1, K=2)",
             f"  RMS pixel error: noisy {noisy_error:.4f}, denoised {denoised_error:.4f}",
             f"  pixels labelled as their true level: {np.mean(result.labels == truth):.2%}"]
    return lines, (noisy, result)


def _plots(out, one_d, two_d, image):
    try:
        from emkit import plotting
        figures = {
            "two_gaussians_1d.png": plotting.plot_density_1d(one_d[1], one_d[0]),
            "clustering_2d.png": plotting.plot_clusters_2d(two_d[1], two_d[0]),
            "log_likelihood_2d.png": plotting.plot_log_likelihood(two_d[1]),
            "image_denoising.png": plotting.plot_image(
                image[0], image[1].denoised, labels=image[1].labels,
                titles=("noisy", "denoised", "segmentation")),
        }
    except ImportError:
        return ["  (install emkit[plot] for the plots)"]
    for name, figure in figures.items():
        figure.savefig(os.path.join(out, name), dpi=100)
    return [f"  plots written to {out}/: " + ", ".join(figures)]


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
    lines_image, image = image_denoising()
    lines = (lines_1d + [""] + three_coins() + [""] + exercise_9_3() + [""] + lines_2d
             + [""] + lines_image + [""] + _plots(out, one_d, two_d, image))
    print("\n".join(lines))
    return lines
