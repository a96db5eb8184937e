"""The numbers behind a cluster plot: full covariances, the 2-D view, ellipse shapes.

Pure numpy, no matplotlib: a view is an affine map x -> A (x - c) onto two axes, which
sends a mean mu to A (mu - c) and a covariance S to A S A^T.
"""

from dataclasses import dataclass

import numpy as np

from emkit.families.gaussian import COVARIANCE_TYPES, MCLUST_NAMES

__all__ = ["PlaneView", "component_means", "ellipse_geometry", "full_covariances", "plane_view"]


def component_means(model):
    """Return the component means of a model as (K, D) floats, or None.

    Estimators with ``means_`` give those; a ``MixtureModel`` gives the ``means`` of its
    fitted family (``components_``) when the family has them.
    """
    means = getattr(model, "means_", None)
    if means is None:
        means = getattr(getattr(model, "components_", None), "means", None)
    if means is None or np.ndim(means) != 2:
        return None
    return np.asarray(means, dtype=np.float64)


def full_covariances(model):
    """Return the component covariances of a Gaussian model as (K, D, D), or None.

    ``GaussianMixture`` stores them shaped by ``covariance_type`` (tied, diag and spherical
    are expanded here); ``GaussianHMM`` exposes full matrices in ``covars_``; a
    ``MixtureModel`` of Gaussian components keeps them in its family. Models without
    covariances give None.
    """
    if hasattr(type(model), "covars_"):
        return np.asarray(model.covars_, dtype=np.float64)
    family = getattr(model, "components_", None)
    if getattr(model, "covariances_", None) is None and family is not None:
        kind = _gaussian_kind(family)
        return None if kind is None else _expanded(family.covariances, family.means, kind)
    covariances = getattr(model, "covariances_", None)
    means = getattr(model, "means_", None)
    if covariances is None or means is None:
        return None
    kind = getattr(model, "covariance_type", "full")
    sklearn_names = {mclust: sklearn for sklearn, mclust in MCLUST_NAMES.items()}
    return _expanded(covariances, means, sklearn_names.get(kind, kind))


def _gaussian_kind(family):
    # The covariance structure of an emkit Gaussian family (the nearest in its class's
    # ancestry), None for other families.
    kinds = {cls: kind for kind, cls in COVARIANCE_TYPES.items()}
    return next((kinds[cls] for cls in type(family).__mro__ if cls in kinds), None)


def _expanded(covariances, means, kind):
    # (K, D, D) matrices from covariances stored as ``kind`` shapes them.
    covariances = np.asarray(covariances, dtype=np.float64)
    n_components, n_features = np.shape(means)
    if kind == "tied":
        return np.broadcast_to(covariances, (n_components, n_features, n_features)).copy()
    if kind == "diag":
        return covariances[:, :, None] * np.eye(n_features)
    if kind == "spherical":
        return covariances[:, None, None] * np.eye(n_features)
    return covariances


@dataclass(frozen=True)
class PlaneView:
    """The map x -> axes @ (x - centre) onto the plotting plane, with its axis labels."""

    axes: np.ndarray      # (2, D), orthonormal rows
    centre: np.ndarray    # (D,)
    labels: tuple         # (x label, y label)

    def points(self, X):
        """Return the rows of ``X`` (n, D) in plane coordinates (n, 2)."""
        return (np.asarray(X, dtype=np.float64) - self.centre) @ self.axes.T

    def covariances(self, covariances):
        """Return the (K, D, D) covariances seen in the plane: A S A^T, (K, 2, 2)."""
        return np.einsum("id,kde,je->kij", self.axes, covariances, self.axes)


def plane_view(X, feature_names=None):
    """Return the identity view of 2-D data, or the first two principal axes of wider X.

    The principal axes are the leading right singular vectors of the centred data, each
    signed so that its largest loading is positive (the sign is otherwise arbitrary).
    """
    n_features = X.shape[1]
    if n_features == 2:
        names = feature_names if feature_names is not None else ("feature 0", "feature 1")
        return PlaneView(np.eye(2), np.zeros(2), tuple(str(name) for name in names))
    centre = X.mean(axis=0)
    _, singular, vt = np.linalg.svd(X - centre, full_matrices=False)
    axes = _signed(vt[:2])
    total = np.sum(singular ** 2)
    shares = singular[:2] ** 2 / total if total > 0 else np.zeros(2)
    labels = tuple(f"principal axis {i + 1} ({100 * share:.0f}% of variance)"
                   for i, share in enumerate(shares))
    return PlaneView(axes, centre, labels)


def _signed(axes):
    largest = axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)]
    return axes * np.where(largest < 0, -1.0, 1.0)[:, None]


def ellipse_geometry(covariance, n_std):
    """Return ``(width, height, angle)`` of the n_std ellipse of a 2x2 covariance.

    Width and height are 2 * n_std * sqrt(eigenvalue), width along the leading
    eigenvector, whose direction gives the angle in degrees in [0, 180).
    """
    values, vectors = np.linalg.eigh(covariance)
    values = np.clip(values, 0.0, None)  # rounding can leave -1e-17 on a flat direction
    lead = vectors[:, 1]
    angle = np.degrees(np.arctan2(lead[1], lead[0])) % 180.0
    return 2.0 * n_std * np.sqrt(values[1]), 2.0 * n_std * np.sqrt(values[0]), angle
