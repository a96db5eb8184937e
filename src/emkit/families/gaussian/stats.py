"""Sufficient statistics of weighted Gaussians, as moments about a shift.

``first = sum_i w_ik (x_i - shift)`` and ``second = sum_i w_ik (x_i - shift)(x_i - shift)^T``
in float64. Moments about a point near the data keep their digits when the data sit far
from the origin. The shift is one point (n_features,) or one per component
(n_components, n_features) (see :mod:`.far`). Statistics about different shifts are
re-centred before they add.
"""

from dataclasses import dataclass, field

import numpy as np

from emkit.stats import WEIGHT_EPS, AdditiveStats

EPS = float(np.finfo(np.float64).eps)

__all__ = ["DiagStats", "FullStats", "TiedStats"]


@dataclass(frozen=True)
class _ShiftedMoments(AdditiveStats):
    weight: np.ndarray
    first: np.ndarray
    second: np.ndarray
    shift: np.ndarray = field(metadata={"additive": False})

    def __add__(self, other):
        if type(other) is type(self) and not _same(self.shift, other.shift):
            other = other.recentered(self.shift)
        return super().__add__(other)

    def recentered(self, shift):
        """Return the same statistics as moments about ``shift``.

        Parameters
        ----------
        shift : ndarray of shape (n_features,) or (n_components, n_features)
            The new centre (one, or one per component).

        Returns
        -------
        stats : same type
        """
        delta = self.shift - shift
        first = self.first + self.weight[:, None] * delta
        return type(self)(self.weight, first, self._second_about(delta), shift)

    @property
    def means(self):
        """Weighted means of the components (about the origin)."""
        return self.shift + self.first / _safe(self.weight)[:, None]

    def scatter_rounding(self, centres):
        """Return the rounding error of each variance of the scatter about ``centres``.

        That scatter is a difference of moments about the shift (``second``, the cross
        terms with ``first``, and the weight times the squared distance of ``centres``
        from the shift); a variance carries about 16 eps of the sizes of its terms.

        Parameters
        ----------
        centres : ndarray of shape (n_components, n_features)
            The point each component's scatter is taken about.

        Returns
        -------
        rounding : ndarray of shape (n_components, n_features)
            Per component and feature; TiedStats: (n_features,), of the pooled scatter.
        """
        delta = centres - self.shift
        moments = 2 * np.abs(delta * self.first) + self.weight[:, None] * delta**2
        return 16 * EPS * (np.abs(self._second_diagonal()) + self._pooled(moments))

    def _second_diagonal(self):
        return np.diagonal(self.second, 0, -2, -1)

    def _pooled(self, moments):
        return moments


@dataclass(frozen=True)
class FullStats(_ShiftedMoments):
    """Per-component first and second moments; ``second`` is (K, D, D)."""

    def _second_about(self, delta):
        delta = np.broadcast_to(delta, self.first.shape)
        cross = self.first[:, :, None] * delta[:, None, :]
        return (self.second + cross + cross.transpose(0, 2, 1)
                + self.weight[:, None, None] * delta[:, :, None] * delta[:, None, :])

    def scatter(self):
        """Return the weighted scatter of each component about its own mean, (K, D, D)."""
        centred = self.first / _safe(self.weight)[:, None]
        return self.second - self.weight[:, None, None] * centred[:, :, None] * centred[:, None, :]


@dataclass(frozen=True)
class DiagStats(_ShiftedMoments):
    """Per-component first moments and squared deviations per feature; ``second`` is (K, D).

    Spherical Gaussians keep only each component's sum over the features: their
    ``second`` starts as that sum spread evenly, and every operation here is linear in
    it, so its sums over the features stay exact while single entries carry no meaning.
    """

    def _second_about(self, delta):
        return self.second + 2 * self.first * delta + self.weight[:, None] * delta**2

    def _second_diagonal(self):
        return self.second

    def scatter(self):
        """Return the weighted squared deviations of each component about its mean, (K, D)."""
        centred = self.first / _safe(self.weight)[:, None]
        return self.second - self.weight[:, None] * centred**2


@dataclass(frozen=True)
class TiedStats(_ShiftedMoments):
    """Per-component first moments and one pooled second moment; ``second`` is (D, D)."""

    def _second_about(self, delta):
        delta = np.broadcast_to(delta, self.first.shape)
        cross = self.first.T @ delta
        return self.second + cross + cross.T + (self.weight[:, None] * delta).T @ delta

    def _pooled(self, moments):
        return moments.sum(axis=0)

    def scatter(self):
        """Return the pooled within-component scatter, (D, D)."""
        centred = self.first / _safe(self.weight)[:, None]
        return self.second - (self.weight[:, None] * centred).T @ centred


def _safe(weight):
    return weight + WEIGHT_EPS


def _same(a, b):
    return a is b or np.array_equal(a, b)
