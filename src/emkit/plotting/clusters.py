"""A scatter of the data coloured by component, with the means and covariance ellipses.

Wider data is seen through its first two principal axes; the means and covariances go
through the same map, so the ellipses are the exact shadows of the fitted Gaussians.
"""

from numbers import Real

import numpy as np

from emkit.plotting._figure import (as_float_array, component_colormap, figure_and_axes,
                                    label_norm)
from emkit.plotting._geometry import ellipse_geometry, full_covariances, plane_view

__all__ = ["plot_clusters_2d"]


def plot_clusters_2d(model, X, ax=None, n_std=2.0):
    """Plot the data coloured by ``model.predict(X)``, with means and covariance ellipses.

    Data with more than two columns is projected onto its first two principal axes
    (``A``, the leading right singular vectors of ``X - c``, ``c`` the column means):
    points become ``A (x - c)``, means ``A (mu - c)`` and covariances ``A S A^T``.

    Parameters
    ----------
    model : estimator
        A fitted emkit estimator with ``predict``. Gaussian models (``GaussianMixture``
        with any ``covariance_type``, ``GaussianHMM``) get one ellipse per component;
        models with ``means_`` get their means marked; others get the scatter alone.
    X : array-like of shape (n_samples, n_features)
        The data, with at least two features and two samples.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    n_std : float, default=2.0
        Size of the ellipses in standard deviations: each axis is
        ``2 * n_std * sqrt(eigenvalue)`` long.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure that holds the plot. Its axes hold the data scatter (first collection),
        the means scatter (second, when the model has means) and one ellipse patch per
        component, in component order.
    """
    _check_n_std(n_std)
    points = _rows(X)
    labels = np.asarray(model.predict(X))
    view = plane_view(points, getattr(model, "feature_names_in_", None))
    means = _means(model, points.shape[1])
    n_colors = max(0 if means is None else len(means), int(labels.max()) + 1)
    cmap = component_colormap(n_colors)
    figure, ax = figure_and_axes(ax, figsize=(6.0, 5.0))
    plane = view.points(points)
    ax.scatter(plane[:, 0], plane[:, 1], c=labels, cmap=cmap, norm=label_norm(cmap), s=10,
               alpha=0.7, label="data")
    if means is not None:
        _draw_components(ax, model, view, means, n_std, cmap)
    ax.set_xlabel(view.labels[0])
    ax.set_ylabel(view.labels[1])
    ax.legend()
    return figure


def _check_n_std(n_std):
    if isinstance(n_std, bool) or not isinstance(n_std, Real) or not n_std > 0 \
            or not np.isfinite(n_std):
        raise ValueError(f"n_std must be a positive number of standard deviations, "
                         f"got {n_std!r}.")


def _rows(X):
    points = as_float_array(X, "X")
    if points.ndim != 2 or points.shape[1] < 2:
        raise ValueError(f"plot_clusters_2d needs X with at least two columns, got shape "
                         f"{points.shape}; use plot_density_1d for one feature.")
    if points.shape[0] < 2:
        raise ValueError(f"plot_clusters_2d needs at least two samples, got "
                         f"{points.shape[0]}.")
    if not np.all(np.isfinite(points)):
        raise ValueError("X holds NaN or infinite values; drop those rows before plotting.")
    return points


def _means(model, n_features):
    # Component centres in feature space, when the model has them in that shape.
    means = getattr(model, "means_", None)
    if means is None or np.ndim(means) != 2 or np.shape(means)[1] != n_features:
        return None
    return np.asarray(means, dtype=np.float64)


def _draw_components(ax, model, view, means, n_std, cmap):
    from matplotlib.patches import Ellipse

    centres = view.points(means)
    ax.scatter(centres[:, 0], centres[:, 1], c="black", marker="x", s=80, zorder=3,
               label="means")
    covariances = full_covariances(model)
    if covariances is None:
        return
    for k, covariance in enumerate(view.covariances(covariances)):
        width, height, angle = ellipse_geometry(covariance, n_std)
        ax.add_patch(Ellipse(centres[k], width, height, angle=angle, facecolor="none",
                             edgecolor=cmap(k), linewidth=2, zorder=2))
