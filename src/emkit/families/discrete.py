"""Discrete families with independent columns: Bernoulli, Binomial, Categorical and Poisson.

Each column of ``X`` is modelled on its own, so the log-probability of a row under a
component is the sum over the columns. Parameters are ``(K, D)`` float64 arrays (a
Categorical's are ``(K, D, C)``, see :mod:`emkit.families.categorical`); a scalar or a
single row given for one component is promoted to ``K = 1``. The log-probabilities use
``0 * log 0 = 0`` exactly, so a probability of 0 or 1 gives finite values where the data
allow them and ``-inf`` elsewhere. NaN marks a missing entry: it adds nothing to the
log-probability, and the M-steps, the closed-form weighted maximum-likelihood estimates,
use each column's observed entries only. A component, or a column of it, with no
observed weight keeps its parameters.
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import gammaln

from emkit.families._columns import (ColumnFamily, as_rows, check_columns, is_integer,
                                     keep_empty, observed_mask, xlogy_dot)
from emkit.families._discrete_kernels import log_factorial_rows
from emkit.families._linear import LinearColumns, LinearTerms
from emkit.families.base import set_derived
from emkit.families.categorical import Categorical, CategoricalStats

__all__ = ["Bernoulli", "Binomial", "Categorical", "CategoricalStats", "Poisson"]


def _log1m(p):
    # log(1 - p), -inf where p == 1.
    with np.errstate(divide="ignore"):
        return np.log1p(-p)


def _masked(X, observed):
    # X with its missing entries at 0, and the observed mask as float64.
    return np.where(observed, X, 0.0), observed.astype(np.float64)


@dataclass(frozen=True)
class Bernoulli(LinearColumns, ColumnFamily):
    """K products of independent Bernoulli columns.

    Parameters
    ----------
    p : array-like of shape (n_components, n_features)
        Probability of a one in each column of each component, in [0, 1]. A scalar or
        a 1-D array describes a single component.
    """

    nonnegative = True

    p: np.ndarray

    component_fields: ClassVar[tuple] = ("p",)

    def __post_init__(self):
        p = as_rows("p", self.p)
        if not np.all((p >= 0.0) & (p <= 1.0)):
            raise ValueError("Every Bernoulli probability p must lie in [0, 1].")
        with np.errstate(divide="ignore"):
            terms = LinearTerms.of(np.log(p), _log1m(p), top=1.0)
        set_derived(self, p=p, _terms=terms)

    def _outside(self, X):
        return ~((X == 0.0) | (X == 1.0)), lambda d: "a Bernoulli family takes only 0 and 1"

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Rows of zeros and ones, NaN where missing.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = check_columns(self, X)
        out = self._terms.log_prob(X)
        if out is not None:
            return out
        X, observed = _masked(X, observed_mask(X))
        return (xlogy_dot(X, self.p)
                + xlogy_dot(observed - X, 1.0 - self.p, _log1m(self.p)))

    def maximize(self, stats):
        """Return the Bernoulli family of the weighted frequencies of ones.

        Parameters
        ----------
        stats : ColumnSums
            Summed statistics.

        Returns
        -------
        family : Bernoulli
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.clip(stats.sums / stats.column_weight, 0.0, 1.0)
        return Bernoulli(keep_empty(stats.column_weight, p, self.p))

    def column_means(self):
        """Return ``p``, the mean of every column under every component."""
        return self.p

    def _draw(self, k, size, rng):
        return rng.random_sample(size) < self.p[k]

    def _restart(self, k, x):
        # Probabilities near x, but away from 0 and 1 so that no row becomes impossible.
        return {"p": np.clip(x, 0.25, 0.75)}


@dataclass(frozen=True)
class Binomial(ColumnFamily):
    """K products of independent Binomial columns with a known number of trials.

    Parameters
    ----------
    p : array-like of shape (n_components, n_features)
        Success probability of each column of each component, in [0, 1]. A scalar or a
        1-D array describes a single component.
    n_trials : int, default=1
        Number of trials behind every count, shared by all columns and components.
    """

    nonnegative = True

    p: np.ndarray
    n_trials: int = 1

    component_fields: ClassVar[tuple] = ("p",)

    def __post_init__(self):
        p = as_rows("p", self.p)
        if not np.all((p >= 0.0) & (p <= 1.0)):
            raise ValueError("Every Binomial probability p must lie in [0, 1].")
        n_trials = int(self.n_trials)
        if n_trials != self.n_trials or n_trials < 1:
            raise ValueError(f"n_trials must be a positive integer; got {self.n_trials!r}.")
        set_derived(self, p=p, n_trials=n_trials)

    def _outside(self, X):
        bad = ~(is_integer(X) & (X >= 0.0) & (X <= self.n_trials))
        return bad, lambda d: (f"a Binomial family with n_trials={self.n_trials} takes only "
                               f"integers from 0 to {self.n_trials}")

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Counts from 0 to ``n_trials``, NaN where missing.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = check_columns(self, X)
        n = float(self.n_trials)
        observed = observed_mask(X)
        if observed is not None:
            X, observed = _masked(X, observed)
        log_choose = gammaln(n + 1.0) - gammaln(X + 1.0) - gammaln(n - X + 1.0)
        if observed is None:
            return (log_choose.sum(axis=1)[:, None] + xlogy_dot(X, self.p)
                    + xlogy_dot(n - X, 1.0 - self.p, _log1m(self.p)))
        return ((log_choose * observed).sum(axis=1)[:, None] + xlogy_dot(X, self.p)
                + xlogy_dot(n * observed - X, 1.0 - self.p, _log1m(self.p)))

    def maximize(self, stats):
        """Return the Binomial family of the weighted success frequencies.

        Parameters
        ----------
        stats : ColumnSums
            Summed statistics.

        Returns
        -------
        family : Binomial
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.clip(stats.sums / (self.n_trials * stats.column_weight), 0.0, 1.0)
        return Binomial(keep_empty(stats.column_weight, p, self.p), self.n_trials)

    def column_means(self):
        """Return ``n_trials * p``, the mean of every column under every component."""
        return self.n_trials * self.p

    def _draw(self, k, size, rng):
        return rng.binomial(self.n_trials, self.p[k], size=size)

    def _restart(self, k, x):
        return {"p": np.clip((x + 0.5) / (self.n_trials + 1.0), 0.0, 1.0)}


@dataclass(frozen=True)
class Poisson(LinearColumns, ColumnFamily):
    """K products of independent Poisson columns.

    Parameters
    ----------
    rate : array-like of shape (n_components, n_features)
        Mean count of each column of each component, non-negative. A scalar or a 1-D
        array describes a single component.
    """

    nonnegative = True

    rate: np.ndarray

    component_fields: ClassVar[tuple] = ("rate",)
    _log_factorial_term = True

    def __post_init__(self):
        rate = as_rows("rate", self.rate)
        if not np.all((rate >= 0.0) & np.isfinite(rate)):
            raise ValueError("Every Poisson rate must be finite and non-negative.")
        with np.errstate(divide="ignore"):
            terms = LinearTerms.of(np.log(rate), offset=rate)
        set_derived(self, rate=rate, _terms=terms)

    def _outside(self, X):
        bad = ~(is_integer(X) & (X >= 0.0))
        return bad, lambda d: "a Poisson family takes only non-negative integer counts"

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Non-negative integer counts, NaN where missing.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = check_columns(self, X)
        log_factorial, missing = log_factorial_rows(X)
        out = None if missing else self._terms.log_prob(X)
        if out is None:
            X, observed = _masked(X, observed_mask(X))
            out = xlogy_dot(X, self.rate) - observed @ self.rate.T
        out -= log_factorial[:, None]
        return out

    def maximize(self, stats):
        """Return the Poisson family of the weighted mean counts.

        Parameters
        ----------
        stats : ColumnSums
            Summed statistics.

        Returns
        -------
        family : Poisson
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.maximum(stats.sums / stats.column_weight, 0.0)
        return Poisson(keep_empty(stats.column_weight, rate, self.rate))

    def column_means(self):
        """Return ``rate``, the mean of every column under every component."""
        return self.rate

    def _draw(self, k, size, rng):
        return rng.poisson(self.rate[k], size=size)

    def _restart(self, k, x):
        return {"rate": np.maximum(x, 0.0) + 0.5}
