"""The Gamma family: positive values with independent columns, shape by Newton's method.

Each column's log-density uses the sufficient statistics ``x`` and ``log x``; the M-step
is the weighted maximum-likelihood estimate, the shape solving
``log(a) - digamma(a) = log(mean) - mean(log)``. See :mod:`.positive` for what the
positive families share (missing entries, empty components).
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from emkit._products import column_totals, product
from emkit.families._columns import EMPTY_WEIGHT, as_rows, fill_column_weight, keep_empty
from emkit.families.base import set_derived
from emkit.families.positive import PositiveFamily, check_positive, others_mean
from emkit.stats import AdditiveStats

__all__ = ["Gamma", "GammaStats", "gamma_shape"]

#: Smallest ``log(mean) - mean(log)`` the Gamma M-step uses (a shape near 5e11).
_MIN_LOG_GAP = 1e-12
#: Above this shape the closed-form start is already exact to rounding.
_NEWTON_MAX_SHAPE = 1e6


def gamma_shape(log_gap, tol=1e-12, max_iter=100):
    """Return the Gamma shape ``a`` solving ``log(a) - digamma(a) = log_gap``.

    ``log_gap = log(mean) - mean(log)`` of the (weighted) data is positive by Jensen's
    inequality; the solution is the maximum-likelihood shape. Minka's closed-form
    approximation starts Newton's method, which converges in a few steps.

    Parameters
    ----------
    log_gap : array-like
        ``log(mean) - mean(log)``; values below 1e-12 are raised to it.
    tol : float, default=1e-12
        Relative change of the shape that stops the iterations.
    max_iter : int, default=100
        Most Newton steps.

    Returns
    -------
    shape : ndarray
        Same shape as ``log_gap``.
    """
    log_gap = np.asarray(log_gap, dtype=np.float64)
    s = np.maximum(log_gap, _MIN_LOG_GAP).ravel()
    a = (3.0 - s + np.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
    active = a < _NEWTON_MAX_SHAPE
    for _ in range(max_iter):
        if not active.any():
            break
        b = a[active]
        g = np.log(b) - digamma(b) - s[active]
        slope = 1.0 / b - polygamma(1, b)
        # The function is convex and decreasing: at most one step lands left of the
        # root, and Newton's steps climb to it monotonically from there.
        new = np.maximum(b - g / slope, b / 10.0)
        a[active] = new
        still = np.abs(new - b) > tol * new
        active[np.flatnonzero(active)[~still]] = False
    return a.reshape(log_gap.shape)


# -- statistics ----------------------------------------------------------------------


@dataclass(frozen=True)
class GammaStats(AdditiveStats):
    """Weighted sums of positive data and of their logarithms.

    Parameters
    ----------
    weight : ndarray of shape (n_components,)
        Summed weight of each component.
    total : ndarray of shape (n_components, n_features)
        Weighted sum of each column.
    log_total : ndarray of shape (n_components, n_features)
        Weighted sum of the logarithm of each column.
    column_weight : ndarray of shape (n_components, n_features) or None, default=None
        Summed weight of the rows that observe each column, for each component; None
        (no missing entries) gives ``weight`` in every column.
    """

    weight: np.ndarray
    total: np.ndarray
    log_total: np.ndarray
    column_weight: np.ndarray = None

    def __post_init__(self):
        fill_column_weight(self, np.shape(self.total)[1])


@dataclass(frozen=True)
class Gamma(PositiveFamily):
    """K products of independent Gamma columns.

    The density of a column is ``rate^shape x^(shape - 1) exp(-rate x) / Gamma(shape)``.

    Parameters
    ----------
    shape : array-like of shape (n_components, n_features)
        Shape of each column of each component, positive. A scalar or a 1-D array
        describes a single component.
    rate : array-like of shape (n_components, n_features)
        Rate (inverse scale) of each column of each component, positive.
    """

    shape: np.ndarray
    rate: np.ndarray

    component_fields: ClassVar[tuple] = ("shape", "rate")

    def __post_init__(self):
        shape = check_positive("Gamma shape", as_rows("shape", self.shape))
        rate = check_positive("Gamma rate", as_rows("rate", self.rate))
        if shape.shape != rate.shape:
            raise ValueError(f"shape and rate must have the same shape; got {shape.shape} "
                             f"and {rate.shape}.")
        set_derived(self, shape=shape, rate=rate)

    def log_prob_prepared(self, prepared):
        """Return the log-densities of a prepared chunk.

        Parameters
        ----------
        prepared : tuple of ndarray
            What :meth:`prepare` returned.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        a, b = self.shape, self.rate
        const = a * np.log(b) - gammaln(a)
        const = const.sum(axis=1) if prepared.observed is None else prepared.observed @ const.T
        return const + prepared.log_x @ (a - 1.0).T - prepared.x @ b.T

    def accumulate_prepared(self, prepared, W):
        """Return the weighted sums of a prepared chunk and of its logarithm.

        Parameters
        ----------
        prepared : tuple of ndarray
            What :meth:`prepare` returned.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : GammaStats
        """
        W = np.asarray(W, dtype=np.float64)
        return GammaStats(column_totals(W), product(W.T, prepared.x),
                          product(W.T, prepared.log_x), prepared.column_weight(W))

    def maximize(self, stats):
        """Return the Gamma family of the weighted maximum-likelihood estimates.

        The shape solves ``log(shape) - digamma(shape) = log(mean) - mean(log)`` by
        Newton's method; the rate is ``shape / mean``.

        Parameters
        ----------
        stats : GammaStats
            Summed statistics.

        Returns
        -------
        family : Gamma
        """
        empty = stats.column_weight < EMPTY_WEIGHT
        weight = np.where(empty, 1.0, stats.column_weight)
        mean = np.where(empty, 1.0, stats.total / weight)
        mean_log = np.where(empty, 0.0, stats.log_total / weight)
        shape = gamma_shape(np.log(mean) - mean_log)
        return Gamma(keep_empty(stats.column_weight, shape, self.shape),
                     keep_empty(stats.column_weight, shape / mean, self.rate))

    def column_means(self):
        """Return ``shape / rate``, the mean of every column under every component."""
        return self.shape / self.rate

    def _draw(self, k, size, rng):
        return rng.gamma(self.shape[k], 1.0 / self.rate[k], size=size)

    def _restart(self, k, x):
        # Mean x, with the average shape of the other components.
        shape = others_mean(self.shape, k)
        return {"shape": shape, "rate": shape / x}
