"""The Categorical family: independent columns of integer codes.

Column ``d`` of ``X`` holds the codes ``0`` to ``n_categories[d] - 1``; the
log-probability of a row under a component is the sum over its columns. NaN marks a
missing code: it adds nothing to the log-probability and counts in no category, so each
column's probabilities are its weighted code counts over the weight of the rows that
observe it. A component, or a column of it, with no weight keeps its probabilities.
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from emkit._products import column_totals
from emkit.families._columns import (ColumnFamily, check_columns, fill_column_weight,
                                     is_integer, keep_empty)
from emkit.families._discrete_kernels import categorical_counts, categorical_log_prob
from emkit.families.base import set_derived
from emkit.stats import AdditiveStats

__all__ = ["Categorical", "CategoricalStats"]


@dataclass(frozen=True)
class CategoricalStats(AdditiveStats):
    """Weighted category counts.

    Parameters
    ----------
    weight : ndarray of shape (n_components,)
        Summed weight of each component.
    counts : ndarray of shape (n_components, n_features, max_categories)
        Weighted number of rows holding each code in each column.
    column_weight : ndarray of shape (n_components, n_features) or None, default=None
        Summed weight of the rows that observe each column, for each component; None
        (no missing codes) gives ``weight`` in every column.
    """

    weight: np.ndarray
    counts: np.ndarray
    column_weight: np.ndarray = None

    def __post_init__(self):
        fill_column_weight(self, np.shape(self.counts)[1])


@dataclass(frozen=True)
class Categorical(ColumnFamily):
    """K products of independent categorical columns holding integer codes.

    Column ``d`` holds the codes ``0`` to ``n_categories[d] - 1``, or NaN where the code
    is missing; the probabilities of all columns share one array, padded with zeros past
    each column's categories.

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

    nonnegative = True

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
        # The log-probabilities as a (D, C, K) table, for the row kernels.
        table = np.ascontiguousarray(log_probs.transpose(1, 2, 0))
        set_derived(self, probs=probs, n_categories=n_categories, _log_probs=log_probs,
                    _table=table, _n_categories=np.array(n_categories, dtype=np.float64))

    @property
    def max_categories(self):
        """Length of the padded category axis of ``probs``."""
        return int(self.probs.shape[2])

    def _outside(self, X):
        integer = is_integer(X)
        n_categories = np.array(self.n_categories, dtype=np.float64)

        def describe(d):
            column = X[:, d]
            bad = ~(is_integer(column) & (column >= 0.0) & (column < n_categories[d]))
            value = column[np.argmax(bad & ~np.isnan(column))]
            if not is_integer(value):
                return "a Categorical family takes only integer codes"
            return (f"column {d} of this Categorical family has only {self.n_categories[d]} "
                    f"categories (codes 0 to {self.n_categories[d] - 1})")

        return ~(integer & (X >= 0.0) & (X < n_categories)), describe

    def _raise_outside(self, X):
        # The kernels found a code outside its column's categories: name it.
        self.validate(X)
        raise AssertionError("A row kernel refused codes that validate accepts.")

    def _codes(self, X):
        # Validated codes as integers, -1 where missing; and whether any is missing.
        X = self.validate(X)
        missing = np.isnan(X)
        if not missing.any():
            return X.astype(np.intp), False
        return np.where(missing, -1.0, X).astype(np.intp), True

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Integer codes, NaN where missing (adding nothing); a code outside a column's
            categories raises a ValueError.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = check_columns(self, X)
        out = categorical_log_prob(X, self._table, self._n_categories)
        if out is None:
            self._raise_outside(X)
        return out

    def accumulate(self, X, W):
        """Return the weighted count of each code in each column.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Integer codes, NaN where missing (counting in no category).
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : CategoricalStats
        """
        X = check_columns(self, X)
        W = np.asarray(W, dtype=np.float64)
        counts, column_weight = categorical_counts(X, W, self._n_categories,
                                                   self.max_categories)
        if counts is None:
            self._raise_outside(X)
        return CategoricalStats(column_totals(W), np.ascontiguousarray(counts.transpose(2, 0, 1)),
                                None if column_weight is None else column_weight.T.copy())

    def maximize(self, stats):
        """Return the Categorical family of the weighted code frequencies.

        Each column's counts are divided by the weight of the rows that observe it; a
        column of a component without observed weight keeps its probabilities.

        Parameters
        ----------
        stats : CategoricalStats
            Summed statistics.

        Returns
        -------
        family : Categorical
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            probs = stats.counts / stats.column_weight[:, :, None]
        return Categorical(keep_empty(stats.column_weight, probs, self.probs),
                           self.n_categories)

    def n_parameters(self):
        """Return the number of free parameters: ``n_categories - 1`` per column and component.

        Returns
        -------
        n : int
        """
        return int(self.n_components * sum(c - 1 for c in self.n_categories))

    def _draw(self, k, size, rng):
        # Each column by inverting the cumulative probabilities of its categories.
        X = np.empty(size)
        for d, c in enumerate(self.n_categories):
            cumulative = np.cumsum(self.probs[k, d, :c])
            u = rng.random_sample(size[0]) * cumulative[-1]
            X[:, d] = np.minimum(np.searchsorted(cumulative, u, side="right"), c - 1)
        return X

    def reseed(self, k, x):
        """Restart component ``k`` with half of each column's mass on the code in ``x``.

        The other half is spread evenly over the column's categories; a column where
        ``x`` is missing (NaN) keeps its probabilities.

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
        codes = self._codes(np.asarray(x, dtype=np.float64).reshape(1, -1))[0][0]
        probs = self.probs.copy()
        for d, c in enumerate(self.n_categories):
            if codes[d] < 0:
                continue
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
