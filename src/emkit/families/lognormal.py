"""The LogNormal family: positive values whose logarithms are Gaussian, column by column.

The sufficient statistics are ``log x`` and ``log^2 x``, and the M-step is the weighted
mean and variance of ``log x``. See :mod:`.positive` for what the positive families
share (missing entries, empty components).
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from emkit._products import column_totals, product
from emkit.families._columns import EMPTY_WEIGHT, as_rows, fill_column_weight, keep_empty
from emkit.families.base import set_derived
from emkit.families.positive import PositiveFamily, check_positive, others_mean
from emkit.stats import AdditiveStats

__all__ = ["LogNormal", "LogNormalStats"]

LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class LogNormalStats(AdditiveStats):
    """Weighted first and second moments of the logarithms of positive data.

    Parameters
    ----------
    weight : ndarray of shape (n_components,)
        Summed weight of each component.
    log_total : ndarray of shape (n_components, n_features)
        Weighted sum of the logarithm of each column.
    log_square : ndarray of shape (n_components, n_features)
        Weighted sum of the squared logarithm of each column.
    column_weight : ndarray of shape (n_components, n_features) or None, default=None
        Summed weight of the rows that observe each column, for each component; None
        (no missing entries) gives ``weight`` in every column.
    """

    weight: np.ndarray
    log_total: np.ndarray
    log_square: np.ndarray
    column_weight: np.ndarray = None

    def __post_init__(self):
        fill_column_weight(self, np.shape(self.log_total)[1])


# -- families ------------------------------------------------------------------------



@dataclass(frozen=True)
class LogNormal(PositiveFamily):
    """K products of independent log-normal columns.

    ``log x`` of a column is normal with mean ``mu`` and standard deviation ``sigma``.

    Parameters
    ----------
    mu : array-like of shape (n_components, n_features)
        Mean of the logarithm of each column of each component. A scalar or a 1-D
        array describes a single component.
    sigma : array-like of shape (n_components, n_features)
        Standard deviation of the logarithm of each column of each component, positive.
    reg_var : float, default=1e-6
        Added to every variance of the logarithm that the M-step estimates.
    """

    mu: np.ndarray
    sigma: np.ndarray
    reg_var: float = 1e-6

    component_fields: ClassVar[tuple] = ("mu", "sigma")

    def __post_init__(self):
        mu = as_rows("mu", self.mu)
        sigma = check_positive("LogNormal sigma", as_rows("sigma", self.sigma))
        if mu.shape != sigma.shape:
            raise ValueError(f"mu and sigma must have the same shape; got {mu.shape} and "
                             f"{sigma.shape}.")
        if not np.all(np.isfinite(mu)):
            raise ValueError("Every LogNormal mu must be finite.")
        if not self.reg_var >= 0.0:
            raise ValueError(f"reg_var must be non-negative; got {self.reg_var!r}.")
        # The quadratic form about a shift near the means keeps its digits.
        shift = mu.mean(axis=0)
        precision = 1.0 / sigma**2
        centred = mu - shift
        const = -0.5 * LOG_2PI - np.log(sigma) - 0.5 * precision * centred**2
        set_derived(self, mu=mu, sigma=sigma, _shift=shift, _const=const.sum(axis=1),
                    _column_const=const, _precision=precision, _linear=precision * centred)

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
        c = prepared.log_x - self._shift
        if prepared.observed is None:
            const = self._const
        else:
            c = c * prepared.observed
            const = prepared.observed @ self._column_const.T
        return (const - prepared.log_x.sum(axis=1)[:, None] + c @ self._linear.T
                - 0.5 * (c * c) @ self._precision.T)

    def accumulate_prepared(self, prepared, W):
        """Return the weighted first and second moments of the chunk's logarithm.

        Parameters
        ----------
        prepared : tuple of ndarray
            What :meth:`prepare` returned.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : LogNormalStats
        """
        W = np.asarray(W, dtype=np.float64)
        log_x = prepared.log_x
        return LogNormalStats(column_totals(W), product(W.T, log_x),
                              product(W.T, log_x * log_x), prepared.column_weight(W))

    def maximize(self, stats):
        """Return the log-normal family of the weighted moments of the logarithms.

        Parameters
        ----------
        stats : LogNormalStats
            Summed statistics.

        Returns
        -------
        family : LogNormal
        """
        empty = stats.column_weight < EMPTY_WEIGHT
        weight = np.where(empty, 1.0, stats.column_weight)
        mu = stats.log_total / weight
        second = stats.log_square / weight
        variance = second - mu**2
        # A variance below the rounding error of the moments it came from is zero.
        variance = np.where(variance > 16 * np.finfo(float).eps * second, variance, 0.0)
        sigma = np.sqrt(variance + self.reg_var)
        if not self.reg_var > 0.0:
            sigma = np.where(sigma > 0.0, sigma, np.finfo(float).eps)
        return LogNormal(keep_empty(stats.column_weight, mu, self.mu),
                         keep_empty(stats.column_weight, sigma, self.sigma), self.reg_var)

    def regularization_share(self):
        """Return ``reg_var`` over the smallest variance of the logarithm.

        Returns
        -------
        share : float
        """
        return float(self.reg_var / np.min(self.sigma) ** 2)

    def column_means(self):
        """Return ``exp(mu + sigma^2 / 2)``, the mean of every column under every component."""
        return np.exp(self.mu + 0.5 * self.sigma**2)

    def _draw(self, k, size, rng):
        return rng.lognormal(self.mu[k], self.sigma[k], size=size)

    def _restart(self, k, x):
        # mu = log(x), with the average variance of the logarithm of the other components.
        return {"mu": np.log(x), "sigma": np.sqrt(others_mean(self.sigma**2, k))}
