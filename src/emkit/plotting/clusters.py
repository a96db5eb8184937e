"""A scatter of the data coloured by component, with the means and covariance ellipses.

Wider data is seen through its first two principal axes; the means and covariances go
through the same map, so the ellipses are the exact shadows of the fitted Gaussians.
"""

from numbers import Real

import numpy as np

from emkit.plotting._figure import (as_float_array, check_fitted, check_n_features,
                                    component_colormap, figure_and_axes, label_norm)
from emkit.plotting._geometry import (component_means, ellipse_geometry, full_covariances,
                                      plane_view)

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
        with any ``covariance_type``, ``GaussianHMM``, a ``MixtureModel`` of Gaussian
        components) get one ellipse per component; models with means (``means_``, or
        ``means`` of a ``MixtureModel``'s components) get their means marked; others get
        the scatter alone.
    X : array-like of shape (n_samples, n_features)
        The data, with at least two features and two samples without NaN. Rows holding
        NaN are left out of the scatter and of the principal axes (they have no place
        in the plane); they are still passed to ``predict`` when the model accepts
        missing values, so an HMM labels its whole sequence.
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
    check_fitted(model, "plot_clusters_2d")
    check_n_features(model, points.shape[1], "plot_clusters_2d")
    complete = ~np.isnan(points).any(axis=1)
    labels = _labels(model, X, points, complete)
    points = points[complete]
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
    if np.isinf(points).any():
        raise ValueError("X holds infinite values; drop those rows (or set them to NaN) "
                         "before plotting.")
    n_complete = int(np.sum(~np.isnan(points).any(axis=1)))
    if n_complete < 2:
        raise ValueError(f"plot_clusters_2d needs at least two samples without NaN, got "
                         f"{n_complete}.")
    return points


def _labels(model, X, points, complete):
    # The label of every complete row. The model sees the rows with NaN too where it can
    # (an HMM's sequence stays whole); a model that refuses NaN labels the complete rows.
    if complete.all():
        return np.asarray(model.predict(X))
    try:
        return np.asarray(model.predict(X))[complete]
    except ValueError:
        rows = X.iloc[complete] if hasattr(X, "iloc") else points[complete]
        return np.asarray(model.predict(rows))


def _means(model, n_features):
    # Component centres in feature space, when the model has them in that shape.
    means = component_means(model)
    if means is None or means.shape[1] != n_features:
        return None
    return means


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
