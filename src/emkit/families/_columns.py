"""What the per-column families share: parameter promotion, support checks, safe products.

The discrete and positive families treat the columns of ``X`` as independent, so a
component's log-density is a sum over columns. Their parameters are ``(K, D)`` arrays;
a scalar or one row given for a single component is promoted.

Missing entries (NaN, missing at random) add nothing to a row's log-density, and the
statistics count only observed entries: besides each component's weight they carry a
``(K, D)`` column weight, ``sum_i W_ik o_id`` with ``o_id = 1`` where ``x_id`` is
observed, which the M-steps divide by. Without NaN the column weight is the component
weight repeated over the columns, so the fitted numbers are those of complete data.
"""

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from emkit._products import column_totals, product
from emkit.families.base import Family, set_derived
from emkit.stats import EMPTY_WEIGHT, AdditiveStats

__all__ = ["EMPTY_WEIGHT", "ColumnFamily", "ColumnSums", "as_rows", "check_columns",
           "column_sums", "fill_column_weight", "is_integer", "keep_empty", "keep_missing",
           "observed_mask", "raise_first", "xlogy_dot"]


def as_rows(name, value):
    """Return a parameter as a ``(K, D)`` float64 array.

    Parameters
    ----------
    name : str
        The parameter's name, for the error message.
    value : array-like
        A scalar (one component, one column), a 1-D array (one component) or a 2-D
        array of shape ``(K, D)``.

    Returns
    -------
    rows : ndarray of shape (n_components, n_features)
    """
    rows = np.array(value, dtype=np.float64)
    if rows.ndim == 0:
        rows = rows.reshape(1, 1)
    elif rows.ndim == 1:
        rows = rows[None, :]
    if rows.ndim != 2 or rows.size == 0:
        raise ValueError(f"{name} must be a scalar, a 1-D or a non-empty 2-D array of shape "
                         f"(n_components, n_features); got shape {np.shape(value)}.")
    return rows


def check_columns(family, X):
    """Return ``X`` as a 2-D float64 array after checking its number of columns.

    Parameters
    ----------
    family : Family
        The family, for the message.
    X : array-like of shape (n_samples, n_features)
        The rows.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (n_samples, n_features); "
                         f"got {X.ndim} dimension(s).")
    n_features = family.n_features
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} column(s), but the {type(family).__name__} "
                         f"family has {n_features}.")
    return X


def is_integer(X):
    """Return where ``X`` holds a finite integer value (False at NaN and +-inf).

    Parameters
    ----------
    X : ndarray
        The values.

    Returns
    -------
    integer : ndarray of bool
    """
    return np.isfinite(X) & (X == np.round(X))


def observed_mask(X):
    """Return where ``X`` is observed (not NaN), or None when nothing is missing.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.

    Returns
    -------
    observed : ndarray of bool, shape (n_samples, n_features), or None
    """
    missing = np.isnan(X)
    if not missing.any():
        return None
    return ~missing


def column_sums(X, W):
    """Return the weighted column sums of the observed entries of ``X``.

    One product when nothing is missing: a NaN of ``X`` in a row with a nonzero weight
    makes its column's sum NaN, and only then are the sums taken again over the
    observed entries, with the column weights. (NaN rows whose weights are all zero add
    nothing either way.)

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows, float64; NaN marks a missing entry.
    W : ndarray of shape (n_samples, n_components)
        Weight of each row for each component.

    Returns
    -------
    stats : ColumnSums
    """
    W = np.asarray(W, dtype=np.float64)
    sums = product(W.T, X)
    observed = None if not np.isnan(sums).any() else observed_mask(X)
    if observed is None:
        return ColumnSums(column_totals(W), sums)
    return ColumnSums(column_totals(W), product(W.T, np.where(observed, X, 0.0)),
                      product(W.T, observed.astype(np.float64)))


def fill_column_weight(stats, n_features):
    """Give statistics built without a column weight the component weight in every column.

    Called from the ``__post_init__`` of statistics with a ``column_weight`` field.

    Parameters
    ----------
    stats : AdditiveStats
        Statistics with the fields ``weight`` and ``column_weight``.
    n_features : int
        Number of columns.
    """
    if stats.column_weight is None:
        weight = np.asarray(stats.weight, dtype=np.float64)
        set_derived(stats, column_weight=np.repeat(weight[:, None], n_features, axis=1))


def raise_first(bad, X, describe):
    """Raise a ValueError naming the first column that holds a value outside the support.

    Parameters
    ----------
    bad : ndarray of bool, shape (n_samples, n_features)
        Where ``X`` is outside the support.
    X : ndarray of shape (n_samples, n_features)
        The rows.
    describe : callable
        ``describe(column)`` ends the sentence: what the family takes in that column.
    """
    if not bad.any():
        return
    negative = bad & (X < 0)
    if negative.any():  # named first, as scikit-learn's checks name them
        bad = negative
    columns = np.flatnonzero(bad.any(axis=0))
    column = int(columns[0])
    value = float(X[np.argmax(bad[:, column]), column])
    rest = f"column {column} holds the value {value!r}, but {describe(column)}."
    if value < 0:
        # scikit-learn's words for a negative value, which its check of the
        # positive_only tag looks for.
        raise ValueError(f"Negative values in data: {rest}")
    raise ValueError(rest[0].upper() + rest[1:])


def keep_empty(weight, new, old):
    """Return ``new`` with the entries that have no weight taken from ``old``.

    Parameters
    ----------
    weight : ndarray of shape (n_components,) or (n_components, n_features)
        Summed weight of each component, or of each column of each component (the
        observed weight): a component, or a column of a component, below
        :data:`EMPTY_WEIGHT` keeps its parameters.
    new : ndarray of shape (n_components, ...)
        Parameters estimated from the statistics; their leading axes match ``weight``.
    old : ndarray of shape (n_components, ...)
        The current parameters.

    Returns
    -------
    params : ndarray of shape (n_components, ...)
    """
    empty = np.asarray(weight) < EMPTY_WEIGHT
    if not empty.any():
        return new
    new = np.array(new, dtype=np.float64)
    new[empty] = old[empty]
    return new


def keep_missing(x, new, old):
    """Return a re-seeded row of parameters: ``new`` where ``x`` is observed, else ``old``.

    Parameters
    ----------
    x : ndarray of shape (n_features,)
        The row a component restarts at; NaN marks a missing entry.
    new : ndarray of shape (n_features,)
        Parameters computed from ``x``.
    old : ndarray of shape (n_features,)
        The component's current parameters.

    Returns
    -------
    params : ndarray of shape (n_features,)
    """
    return np.where(np.isnan(np.asarray(x, dtype=np.float64)), old, new)


def xlogy_dot(A, P, log_P=None):
    """Return ``sum_d xlogy(A[i, d], P[k, d])`` for every row ``i`` and component ``k``.

    One matrix product, with ``0 * log 0 = 0`` exactly: where ``P`` is zero the
    logarithm is replaced by 0 and rows with a positive ``A`` there get ``-inf``.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_features)
        Non-negative multipliers.
    P : ndarray of shape (n_components, n_features)
        Non-negative arguments of the logarithm.
    log_P : ndarray of shape (n_components, n_features), default=None
        ``log(P)`` when already known (e.g. ``log1p(-p)``).

    Returns
    -------
    out : ndarray of shape (n_samples, n_components)
    """
    zero = P <= 0.0
    if log_P is None:
        with np.errstate(divide="ignore"):
            log_P = np.log(P)
    out = A @ np.where(zero, 0.0, log_P).T
    if zero.any():
        out[(A > 0.0).astype(np.float64) @ zero.T.astype(np.float64) > 0.0] = -np.inf
    return out


@dataclass(frozen=True)
class ColumnSums(AdditiveStats):
    """Weighted column sums: the statistics of every family whose MLE is a weighted mean.

    Bernoulli (ones), Binomial (successes), Poisson and Multinomial (counts) and
    Exponential (totals) all need only these.

    Parameters
    ----------
    weight : ndarray of shape (n_components,)
        Summed weight of each component.
    sums : ndarray of shape (n_components, n_features)
        Weighted sum of the observed entries of each column for each component.
    column_weight : ndarray of shape (n_components, n_features) or None, default=None
        Summed weight of the rows that observe each column, for each component; None
        (no missing entries) gives ``weight`` in every column.
    """

    weight: np.ndarray
    sums: np.ndarray
    column_weight: np.ndarray = None

    def __post_init__(self):
        fill_column_weight(self, np.shape(self.sums)[1])


@dataclass(frozen=True)
class ColumnFamily(Family):
    """Base of families whose columns are independent, with ``(K, D, ...)`` parameters.

    NaN in ``X`` marks a missing entry, which adds nothing to a row's log-density and
    nothing to the statistics of its column (``allows_missing``).
    """

    #: Whether NaN entries are taken as missing values (the observed-data likelihood).
    allows_missing: ClassVar[bool] = True

    @property
    def n_features(self):
        """Number of columns."""
        return int(np.shape(getattr(self, self.component_fields[0]))[1])

    def accumulate(self, X, W):
        """Return the weighted sum of each column over its observed entries.

        The statistics of the families whose M-step is a weighted mean; the others
        override it.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows, NaN where missing.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : ColumnSums
        """
        return column_sums(check_columns(self, X), W)

    def n_parameters(self):
        """Return the number of free parameters: every entry of every parameter array.

        Families whose parameters are constrained (probabilities summing to one)
        override it.

        Returns
        -------
        n : int
        """
        return int(sum(np.size(getattr(self, name)) for name in self.component_fields))

    def sample(self, k, n, rng):
        # Family.sample: the family's _draw, as float64 (codes and counts too).
        return np.asarray(self._draw(k, (int(n), self.n_features), rng), dtype=np.float64)

    def _draw(self, k, size, rng):
        # ``size`` = (n, n_features) values drawn from component k, in any numeric dtype.
        raise NotImplementedError(f"{type(self).__name__} must define _draw(k, size, rng) "
                                  "to sample.")

    def reseed(self, k, x):
        """Return the family with component ``k`` restarted at the row ``x``.

        Each family sets the parameters of the component from ``x`` by its own rule
        (``_restart``); columns where ``x`` is missing (NaN) keep their parameters.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : ColumnFamily
            Of the same class, with the same settings.
        """
        x = np.asarray(x, dtype=np.float64)
        params = {}
        for name, row in self._restart(k, x).items():
            value = getattr(self, name).copy()
            value[k] = keep_missing(x, row, value[k])
            params[name] = value
        return replace(self, **params)

    def _restart(self, k, x):
        # {parameter name: the row of component k restarted at x}, for reseed.
        raise NotImplementedError(f"{type(self).__name__} cannot re-seed a component.")

    def column_means(self):
        """Return the mean of every column under every component.

        Returns
        -------
        means : ndarray of shape (n_components, n_features)
        """
        raise ValueError(f"{type(self).__name__} has no mean per column, so its missing "
                         "entries cannot be imputed; use predict_proba instead.")

    def condition(self, X):
        """Return each entry's expectation given its row's observed entries, per component.

        The columns are independent given the component, so a missing entry's
        expectation is the component's column mean; observed entries are kept.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows, NaN where missing.

        Returns
        -------
        expected : ndarray of shape (n_samples, n_components, n_features)
        """
        X = np.asarray(X, dtype=np.float64)
        return np.where(np.isnan(X)[:, None, :], self.column_means()[None], X[:, None, :])

    def _outside(self, X):
        # (bad mask, describe(column)) for values of X outside the support; validate
        # clears the mask at NaN for families that allow missing values.
        raise NotImplementedError(f"{type(self).__name__} must define _outside(X) to say "
                                  "which values lie outside its support.")

    def validate(self, X):
        """Raise a ValueError when a value of ``X`` lies outside the family's support.

        NaN (a missing entry) is allowed; +-inf and other values outside the support
        are not.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The rows as float64.
        """
        X = check_columns(self, X)
        bad, describe = self._outside(X)
        if self.allows_missing:
            bad = bad & ~np.isnan(X)
        raise_first(bad, X, describe)
        return X
