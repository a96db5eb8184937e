"""Discrete families with independent columns: Bernoulli, Binomial, Categorical and Poisson.

Each column of ``X`` is modelled on its own, so the log-probability of a row under a
component is the sum over the columns. Parameters are ``(K, D)`` float64 arrays (a
Categorical's are ``(K, D, C)``); a scalar or a single row given for one component is
promoted to ``K = 1``. The log-probabilities use ``0 * log 0 = 0`` exactly, so a
probability of 0 or 1 gives finite values where the data allow them and ``-inf``
elsewhere. The M-steps are the closed-form weighted maximum-likelihood estimates; a
component with no weight keeps its parameters.
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import gammaln

from emkit.families._columns import (ColumnFamily, ColumnSums, as_rows, check_columns,
                                     keep_empty, xlogy_dot)
from emkit.families.base import set_derived
from emkit.stats import AdditiveStats

__all__ = ["Bernoulli", "Binomial", "Categorical", "CategoricalStats", "Poisson"]


def _weighted_sums(X, W):
    # (column sums of W, W^T X), both accumulated in float64.
    W = np.asarray(W, dtype=np.float64)
    return W.sum(axis=0), W.T @ X


def _log1m(p):
    # log(1 - p), -inf where p == 1.
    with np.errstate(divide="ignore"):
        return np.log1p(-p)


def _is_integer(X):
    return np.isfinite(X) & (X == np.round(X))


# -- statistics ----------------------------------------------------------------------








@dataclass(frozen=True)
class CategoricalStats(AdditiveStats):
    """Weighted category counts.

    Parameters
    ----------
    weight : ndarray of shape (n_components,)
        Summed weight of each component.
    counts : ndarray of shape (n_components, n_features, max_categories)
        Weighted number of rows holding each code in each column.
    """

    weight: np.ndarray
    counts: np.ndarray


# -- families ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bernoulli(ColumnFamily):
    """K products of independent Bernoulli columns.

    Parameters
    ----------
    p : array-like of shape (n_components, n_features)
        Probability of a one in each column of each component, in [0, 1]. A scalar or
        a 1-D array describes a single component.
    """

    p: np.ndarray

    component_fields: ClassVar[tuple] = ("p",)

    def __post_init__(self):
        p = as_rows("p", self.p)
        if not np.all((p >= 0.0) & (p <= 1.0)):
            raise ValueError("Every Bernoulli probability p must lie in [0, 1].")
        set_derived(self, p=p)

    def _outside(self, X):
        return ~((X == 0.0) | (X == 1.0)), lambda d: "a Bernoulli family takes only 0 and 1"

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Rows of zeros and ones.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = check_columns(self, X)
        return xlogy_dot(X, self.p) + xlogy_dot(1.0 - X, 1.0 - self.p, _log1m(self.p))

    def accumulate(self, X, W):
        """Return the weighted count of ones in each column.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Rows of zeros and ones.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : ColumnSums
        """
        return ColumnSums(*_weighted_sums(check_columns(self, X), W))

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
            p = np.clip(stats.sums / stats.weight[:, None], 0.0, 1.0)
        return Bernoulli(keep_empty(stats.weight, p, self.p))

    def n_parameters(self):
        """Return the number of free parameters: one probability per column and component.

        Returns
        -------
        n : int
        """
        return int(self.p.size)

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
            Zeros and ones, as float64.
        """
        size = (int(n), self.n_features)
        return (rng.random_sample(size) < self.p[k]).astype(np.float64)

    def reseed(self, k, x):
        """Restart component ``k`` with probabilities ``clip(x, 0.25, 0.75)``.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : Bernoulli
        """
        p = self.p.copy()
        p[k] = np.clip(np.asarray(x, dtype=np.float64), 0.25, 0.75)
        return Bernoulli(p)


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
        bad = ~(_is_integer(X) & (X >= 0.0) & (X <= self.n_trials))
        return bad, lambda d: (f"a Binomial family with n_trials={self.n_trials} takes only "
                               f"integers from 0 to {self.n_trials}")

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Counts from 0 to ``n_trials``.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = check_columns(self, X)
        n = float(self.n_trials)
        log_choose = (gammaln(n + 1.0) - gammaln(X + 1.0) - gammaln(n - X + 1.0)).sum(axis=1)
        return (log_choose[:, None] + xlogy_dot(X, self.p)
                + xlogy_dot(n - X, 1.0 - self.p, _log1m(self.p)))

    def accumulate(self, X, W):
        """Return the weighted sum of the counts in each column.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Counts from 0 to ``n_trials``.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : ColumnSums
        """
        return ColumnSums(*_weighted_sums(check_columns(self, X), W))

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
            p = np.clip(stats.sums / (self.n_trials * stats.weight[:, None]), 0.0, 1.0)
        return Binomial(keep_empty(stats.weight, p, self.p), self.n_trials)

    def n_parameters(self):
        """Return the number of free parameters: one probability per column and component.

        Returns
        -------
        n : int
        """
        return int(self.p.size)

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
            Counts, as float64.
        """
        size = (int(n), self.n_features)
        return rng.binomial(self.n_trials, self.p[k], size=size).astype(np.float64)

    def reseed(self, k, x):
        """Restart component ``k`` with probabilities ``(x + 0.5) / (n_trials + 1)``.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : Binomial
        """
        p = self.p.copy()
        p[k] = (np.asarray(x, dtype=np.float64) + 0.5) / (self.n_trials + 1.0)
        return Binomial(np.clip(p, 0.0, 1.0), self.n_trials)


@dataclass(frozen=True)
class Poisson(ColumnFamily):
    """K products of independent Poisson columns.

    Parameters
    ----------
    rate : array-like of shape (n_components, n_features)
        Mean count of each column of each component, non-negative. A scalar or a 1-D
        array describes a single component.
    """

    rate: np.ndarray

    component_fields: ClassVar[tuple] = ("rate",)

    def __post_init__(self):
        rate = as_rows("rate", self.rate)
        if not np.all((rate >= 0.0) & np.isfinite(rate)):
            raise ValueError("Every Poisson rate must be finite and non-negative.")
        set_derived(self, rate=rate)

    def _outside(self, X):
        bad = ~(_is_integer(X) & (X >= 0.0))
        return bad, lambda d: "a Poisson family takes only non-negative integer counts"

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Non-negative integer counts.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = check_columns(self, X)
        log_factorial = gammaln(X + 1.0).sum(axis=1)
        return xlogy_dot(X, self.rate) - self.rate.sum(axis=1) - log_factorial[:, None]

    def accumulate(self, X, W):
        """Return the weighted sum of the counts in each column.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Non-negative integer counts.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : ColumnSums
        """
        return ColumnSums(*_weighted_sums(check_columns(self, X), W))

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
            rate = np.maximum(stats.sums / stats.weight[:, None], 0.0)
        return Poisson(keep_empty(stats.weight, rate, self.rate))

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
            Counts, as float64.
        """
        size = (int(n), self.n_features)
        return rng.poisson(self.rate[k], size=size).astype(np.float64)

    def reseed(self, k, x):
        """Restart component ``k`` with rates ``x + 0.5``.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : Poisson
        """
        rate = self.rate.copy()
        rate[k] = np.maximum(np.asarray(x, dtype=np.float64), 0.0) + 0.5
        return Poisson(rate)


@dataclass(frozen=True)
class Categorical(ColumnFamily):
    """K products of independent categorical columns holding integer codes.

    Column ``d`` holds the codes ``0`` to ``n_categories[d] - 1``; the probabilities of
    all columns share one array, padded with zeros past each column's categories.

    Parameters
    ----------
    probs : array-like of shape (n_components, n_features, max_categories)
        Probability of each code in each column of each component; each column's first
        ``n_categories[d]`` entries sum to one and the rest are zero. A 1-D array
        describes one component with one column, a 2-D array one component.
    n_categories : sequence of int or None, default=None
        Number of categories of each column; None gives every column
        ``max_categories``.
    """

    probs: np.ndarray
    n_categories: tuple = None

    component_fields: ClassVar[tuple] = ("probs",)

    def __post_init__(self):
        probs = np.array(self.probs, dtype=np.float64)
        if probs.ndim in (1, 2):
            probs = probs.reshape((1,) * (3 - probs.ndim) + probs.shape)
        if probs.ndim != 3 or probs.size == 0:
            raise ValueError("probs must have shape (n_components, n_features, max_categories);"
                             f" got shape {np.shape(self.probs)}.")
        K, D, C = probs.shape
        if self.n_categories is None:
            n_categories = (C,) * D
        else:
            n_categories = tuple(int(c) for c in np.ravel(self.n_categories))
        if len(n_categories) != D or not all(1 <= c <= C for c in n_categories):
            raise ValueError(f"n_categories must hold {D} integers from 1 to {C}; "
                             f"got {self.n_categories!r}.")
        inside = np.arange(C)[None, :] < np.array(n_categories)[:, None]
        if not np.all(probs >= 0.0) or np.any(probs[:, ~inside] != 0.0):
            raise ValueError("Categorical probabilities must be non-negative and zero past "
                             "each column's categories.")
        if not np.allclose(probs.sum(axis=2), 1.0, rtol=0.0, atol=1e-6):
            raise ValueError("The probabilities of each column of each component must sum "
                             "to one.")
        with np.errstate(divide="ignore"):
            log_probs = np.log(probs)
        set_derived(self, probs=probs, n_categories=n_categories, _log_probs=log_probs)

    @property
    def max_categories(self):
        """Length of the padded category axis of ``probs``."""
        return int(self.probs.shape[2])

    def _outside(self, X):
        integer = _is_integer(X)
        n_categories = np.array(self.n_categories, dtype=np.float64)

        def describe(d):
            column = X[:, d]
            bad = ~(_is_integer(column) & (column >= 0.0) & (column < n_categories[d]))
            value = column[np.argmax(bad)]
            if not _is_integer(value):
                return "a Categorical family takes only integer codes"
            return (f"column {d} of this Categorical family has only {self.n_categories[d]} "
                    f"categories (codes 0 to {self.n_categories[d] - 1})")

        return ~(integer & (X >= 0.0) & (X < n_categories)), describe

    def _codes(self, X):
        return self.validate(X).astype(np.intp)

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Integer codes; a code outside a column's categories raises a ValueError.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        codes = self._codes(X)
        out = np.zeros((len(codes), self.n_components))
        for d in range(self.n_features):
            out += self._log_probs[:, d, codes[:, d]].T
        return out

    def accumulate(self, X, W):
        """Return the weighted count of each code in each column.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Integer codes.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : CategoricalStats
        """
        codes = self._codes(X)
        W = np.asarray(W, dtype=np.float64)
        counts = np.empty((self.n_components, self.n_features, self.max_categories))
        categories = np.arange(self.max_categories)
        for d in range(self.n_features):
            counts[:, d, :] = W.T @ (codes[:, d, None] == categories).astype(np.float64)
        return CategoricalStats(W.sum(axis=0), counts)

    def maximize(self, stats):
        """Return the Categorical family of the weighted code frequencies.

        Parameters
        ----------
        stats : CategoricalStats
            Summed statistics.

        Returns
        -------
        family : Categorical
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            probs = stats.counts / stats.weight[:, None, None]
        return Categorical(keep_empty(stats.weight, probs, self.probs), self.n_categories)

    def n_parameters(self):
        """Return the number of free parameters: ``n_categories - 1`` per column and component.

        Returns
        -------
        n : int
        """
        return int(self.n_components * sum(c - 1 for c in self.n_categories))

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
            Codes, as float64.
        """
        X = np.empty((int(n), self.n_features))
        for d, c in enumerate(self.n_categories):
            cumulative = np.cumsum(self.probs[k, d, :c])
            u = rng.random_sample(int(n)) * cumulative[-1]
            X[:, d] = np.minimum(np.searchsorted(cumulative, u, side="right"), c - 1)
        return X

    def reseed(self, k, x):
        """Restart component ``k`` with half of each column's mass on the code in ``x``.

        The other half is spread evenly over the column's categories.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : Categorical
        """
        codes = self._codes(np.asarray(x, dtype=np.float64).reshape(1, -1))[0]
        probs = self.probs.copy()
        for d, c in enumerate(self.n_categories):
            probs[k, d] = 0.0
            probs[k, d, :c] = 0.5 / c
            probs[k, d, codes[d]] += 0.5
        return Categorical(probs, self.n_categories)

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
        return 8 * (2 * X.shape[1] + self.max_categories + 4 * self.n_components)
