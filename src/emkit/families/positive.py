"""Families of positive values with independent columns: what they share, and Exponential
(whose support takes 0 too).

Each column of ``X`` is modelled on its own, so the log-density of a row under a
component is the sum over the columns, computed as matrix products with the columns'
sufficient statistics (``x``, ``log x``, ``log^2 x``). Parameters are ``(K, D)`` float64
arrays; a scalar or a single row given for one component is promoted to ``K = 1``. The
M-steps are weighted maximum-likelihood estimates (the Gamma shape by Newton's method).
NaN marks a missing entry: it adds nothing to the log-density, and the M-steps use each
column's observed entries only. A component, or a column of it, with no observed weight
keeps its parameters.
"""

import warnings
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np

from emkit._products import column_totals, product
from emkit.exceptions import ComponentCollapseWarning
from emkit.families._columns import (ColumnFamily, ColumnSums, as_rows, check_columns,
                                     keep_empty, observed_mask)
from emkit.families.base import set_derived

__all__ = ["Exponential", "PositiveFamily", "check_positive", "others_mean"]




class _Logged(NamedTuple):
    # A chunk in float64 and its logarithm; with missing entries, both are 0 there and
    # observed is the float64 mask of the observed entries (None when none is missing).
    x: np.ndarray
    log_x: np.ndarray
    observed: np.ndarray = None

    def column_weight(self, W):
        # Summed weight of the rows observing each column (None: the component weight).
        return None if self.observed is None else product(W.T, self.observed)


def check_positive(name, rows):
    if not np.all((rows > 0.0) & np.isfinite(rows)):
        raise ValueError(f"Every {name} must be finite and positive.")
    return rows


def others_mean(values, k):
    # Mean over the components other than k (k's own row when it is the only one).
    if len(values) == 1:
        return values[k]
    return np.delete(values, k, axis=0).mean(axis=0)



@dataclass(frozen=True)
class PositiveFamily(ColumnFamily):
    # Support checks and the prepared-chunk plumbing shared by the positive families.

    nonnegative = True

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
class Exponential(PositiveFamily):
    """K products of independent Exponential columns.

    The support is ``x >= 0``. A column of a component whose weighted rows are all 0 has
    no maximum-likelihood rate (its likelihood grows without bound as the rate does): it
    keeps its rate, with a :class:`~emkit.exceptions.ComponentCollapseWarning`.

    Parameters
    ----------
    rate : array-like of shape (n_components, n_features)
        Rate (inverse mean) of each column of each component, positive. A scalar or a
        1-D array describes a single component.
    """

    rate: np.ndarray

    component_fields: ClassVar[tuple] = ("rate",)

    def __post_init__(self):
        set_derived(self, rate=check_positive("Exponential rate", as_rows("rate", self.rate)))

    def _outside(self, X):
        return ~(X >= 0.0) | ~np.isfinite(X), lambda d: (
            "an Exponential family takes only values of 0 or more")

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
        return ColumnSums(column_totals(W), product(W.T, prepared.x),
                          prepared.column_weight(W))

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
        rate = keep_empty(stats.column_weight, rate, self.rate)
        zeros = ~np.isfinite(rate)
        if zeros.any():
            k, d = np.argwhere(zeros)[0]
            warnings.warn(f"Column {d} of component {k} takes only rows of value 0, where an "
                          "Exponential rate has no maximum; it keeps its rate. Use fewer "
                          "components if this repeats.", ComponentCollapseWarning,
                          stacklevel=3)
            rate = np.where(zeros, self.rate, rate)
        return Exponential(rate)

    def column_means(self):
        """Return ``1 / rate``, the mean of every column under every component."""
        return 1.0 / self.rate

    def _draw(self, k, size, rng):
        return rng.exponential(1.0 / self.rate[k], size=size)

    def _restart(self, k, x):
        # Mean x; at a row of 0 (no rate has that mean), the other components' rate.
        with np.errstate(divide="ignore"):
            return {"rate": np.where(x > 0, 1.0 / x, others_mean(self.rate, k))}
