"""Families of positive values with independent columns: Exponential, Gamma and LogNormal.

Each column of ``X`` is modelled on its own, so the log-density of a row under a
component is the sum over the columns, computed as matrix products with the columns'
sufficient statistics (``x``, ``log x``, ``log^2 x``). Parameters are ``(K, D)`` float64
arrays; a scalar or a single row given for one component is promoted to ``K = 1``. The
M-steps are weighted maximum-likelihood estimates (the Gamma shape by Newton's method).
NaN marks a missing entry: it adds nothing to the log-density, and the M-steps use each
column's observed entries only. A component, or a column of it, with no observed weight
keeps its parameters.
"""

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from emkit.families._columns import (EMPTY_WEIGHT, ColumnFamily, ColumnSums, as_rows,
                                     check_columns, fill_column_weight, keep_empty,
                                     keep_missing, observed_mask)
from emkit.families.base import set_derived
from emkit.stats import AdditiveStats

__all__ = ["Exponential", "Gamma", "GammaStats", "LogNormal",
           "LogNormalStats", "gamma_shape"]

LOG_2PI = float(np.log(2.0 * np.pi))

#: Smallest ``log(mean) - mean(log)`` the Gamma M-step uses (a shape near 5e11).
_MIN_LOG_GAP = 1e-12
#: Above this shape the closed-form start is already exact to rounding.
_NEWTON_MAX_SHAPE = 1e6


class _Logged(NamedTuple):
    # A chunk in float64 and its logarithm; with missing entries, both are 0 there and
    # observed is the float64 mask of the observed entries (None when none is missing).
    x: np.ndarray
    log_x: np.ndarray
    observed: np.ndarray = None

    def column_weight(self, W):
        # Summed weight of the rows observing each column (None: the component weight).
        return None if self.observed is None else W.T @ self.observed


def _positive(name, rows):
    if not np.all((rows > 0.0) & np.isfinite(rows)):
        raise ValueError(f"Every {name} must be finite and positive.")
    return rows


def _others_mean(values, k):
    # Mean over the components other than k (k's own row when it is the only one).
    if len(values) == 1:
        return values[k]
    return np.delete(values, k, axis=0).mean(axis=0)


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
class _Positive(ColumnFamily):
    # Support checks and the prepared-chunk plumbing shared by the positive families.

    def _outside(self, X):
        article = "an" if type(self).__name__[0] in "AEIOU" else "a"
        return ~(X > 0.0) | ~np.isfinite(X), lambda d: (
            f"{article} {type(self).__name__} family takes only positive values")

    def prepare(self, X):
        """Return the chunk in float64 with its logarithm.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of positive rows, NaN where missing.

        Returns
        -------
        prepared : tuple of ndarray
            ``(x, log_x, observed)``: with missing entries, ``x`` and ``log_x`` are 0
            there and ``observed`` is the float mask of observed entries, else None.
        """
        X = check_columns(self, X)
        observed = observed_mask(X)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x = np.log(X)
        if observed is None:
            return _Logged(X, log_x)
        return _Logged(np.where(observed, X, 0.0), np.where(observed, log_x, 0.0),
                       observed.astype(np.float64))

    def log_prob(self, X):
        """Return the log-density of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Positive rows, NaN where missing (adding nothing).

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        return self.log_prob_prepared(self.prepare(X))

    def accumulate(self, X, W):
        """Return the weighted sufficient statistics of the observed entries of the rows.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Positive rows, NaN where missing.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : AdditiveStats
        """
        return self.accumulate_prepared(self.prepare(X), W)

    def bytes_per_row(self, X):
        """Return the working-set bytes one row needs in an E-step.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        n_bytes : int
        """
        return 8 * (3 * X.shape[1] + 4 * self.n_components)


@dataclass(frozen=True)
class Exponential(_Positive):
    """K products of independent Exponential columns.

    Parameters
    ----------
    rate : array-like of shape (n_components, n_features)
        Rate (inverse mean) of each column of each component, positive. A scalar or a
        1-D array describes a single component.
    """

    rate: np.ndarray

    component_fields: ClassVar[tuple] = ("rate",)

    def __post_init__(self):
        set_derived(self, rate=_positive("Exponential rate", as_rows("rate", self.rate)))

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
        if prepared.observed is None:
            return np.log(self.rate).sum(axis=1) - prepared.x @ self.rate.T
        return prepared.observed @ np.log(self.rate).T - prepared.x @ self.rate.T

    def accumulate_prepared(self, prepared, W):
        """Return the weighted column sums of a prepared chunk.

        Parameters
        ----------
        prepared : tuple of ndarray
            What :meth:`prepare` returned.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : ColumnSums
        """
        W = np.asarray(W, dtype=np.float64)
        return ColumnSums(W.sum(axis=0), W.T @ prepared.x, prepared.column_weight(W))

    def maximize(self, stats):
        """Return the Exponential family of the inverse weighted means.

        Parameters
        ----------
        stats : ColumnSums
            Summed statistics.

        Returns
        -------
        family : Exponential
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = stats.column_weight / stats.sums
        return Exponential(keep_empty(stats.column_weight, rate, self.rate))

    def column_means(self):
        """Return the mean of every column under every component.

        Returns
        -------
        means : ndarray of shape (n_components, n_features)
        """
        return 1.0 / self.rate

    def n_parameters(self):
        """Return the number of free parameters: one rate per column and component.

        Returns
        -------
        n : int
        """
        return int(self.rate.size)

    def sample(self, k, n, rng):
        """Draw ``n`` rows from component ``k``.

        Parameters
        ----------
        k : int
            The component.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        return rng.exponential(1.0 / self.rate[k], size=(int(n), self.n_features))

    def reseed(self, k, x):
        """Restart component ``k`` with mean ``x`` (rates ``1 / x``).

        Columns where ``x`` is missing (NaN) keep their rates.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The positive row it restarts at.

        Returns
        -------
        family : Exponential
        """
        rate = self.rate.copy()
        rate[k] = keep_missing(x, 1.0 / np.asarray(x, dtype=np.float64), rate[k])
        return Exponential(rate)


@dataclass(frozen=True)
class Gamma(_Positive):
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
        shape = _positive("Gamma shape", as_rows("shape", self.shape))
        rate = _positive("Gamma rate", as_rows("rate", self.rate))
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
        return GammaStats(W.sum(axis=0), W.T @ prepared.x, W.T @ prepared.log_x,
                          prepared.column_weight(W))

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
        """Return the mean of every column under every component.

        Returns
        -------
        means : ndarray of shape (n_components, n_features)
        """
        return self.shape / self.rate

    def n_parameters(self):
        """Return the number of free parameters: a shape and a rate per column and component.

        Returns
        -------
        n : int
        """
        return int(2 * self.shape.size)

    def sample(self, k, n, rng):
        """Draw ``n`` rows from component ``k``.

        Parameters
        ----------
        k : int
            The component.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        return rng.gamma(self.shape[k], 1.0 / self.rate[k], size=(int(n), self.n_features))

    def reseed(self, k, x):
        """Restart component ``k`` with mean ``x`` and the average shape of the others.

        Columns where ``x`` is missing (NaN) keep their shape and rate.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The positive row it restarts at.

        Returns
        -------
        family : Gamma
        """
        shape, rate = self.shape.copy(), self.rate.copy()
        shape[k] = keep_missing(x, _others_mean(self.shape, k), shape[k])
        rate[k] = keep_missing(x, shape[k] / np.asarray(x, dtype=np.float64), rate[k])
        return Gamma(shape, rate)


@dataclass(frozen=True)
class LogNormal(_Positive):
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
        sigma = _positive("LogNormal sigma", as_rows("sigma", self.sigma))
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
        return LogNormalStats(W.sum(axis=0), W.T @ log_x, W.T @ (log_x * log_x),
                              prepared.column_weight(W))

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
        """Return the mean of every column under every component.

        Returns
        -------
        means : ndarray of shape (n_components, n_features)
        """
        return np.exp(self.mu + 0.5 * self.sigma**2)

    def n_parameters(self):
        """Return the number of free parameters: a mean and a deviation per column and component.

        Returns
        -------
        n : int
        """
        return int(2 * self.mu.size)

    def sample(self, k, n, rng):
        """Draw ``n`` rows from component ``k``.

        Parameters
        ----------
        k : int
            The component.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        return rng.lognormal(self.mu[k], self.sigma[k], size=(int(n), self.n_features))

    def reseed(self, k, x):
        """Restart component ``k`` at ``mu = log(x)`` with the average variance of the others.

        Columns where ``x`` is missing (NaN) keep their ``mu`` and ``sigma``.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The positive row it restarts at.

        Returns
        -------
        family : LogNormal
        """
        mu, sigma = self.mu.copy(), self.sigma.copy()
        mu[k] = keep_missing(x, np.log(np.asarray(x, dtype=np.float64)), mu[k])
        sigma[k] = keep_missing(x, np.sqrt(_others_mean(self.sigma**2, k)), sigma[k])
        return LogNormal(mu, sigma, self.reg_var)
