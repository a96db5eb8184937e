"""Rows with missing entries: the observed-data E-step of Ghahramani & Jordan (1994).

A row whose entries ``M`` are missing (NaN) has, under a Gaussian with mean ``mu`` and
precision ``Lambda``, the marginal density of its observed entries ``O``, and the
expected complete-data moments of ``x_M`` given ``x_O``: the conditional mean
``mu_M - S^{-1} Lambda_MO (x_O - mu_O)`` and the conditional covariance ``S^{-1}``,
with ``S = Lambda_MM``. With ``r = y - mu`` for a row ``y`` that agrees with ``x`` on
``O`` and ``u = Lambda r``, whatever ``y_M`` is,

* the marginal quadratic form is ``r^T Lambda r - u_M^T S^{-1} u_M``,
* ``log det Sigma_OO = log det Sigma + log det S``,
* the conditional mean of ``x_M`` is ``y_M - S^{-1} u_M``.

The families fill missing entries with their shift and build their usual chunk features,
so ``r^T Lambda r`` and the moments of the filled rows come from the same products as
for complete rows. What remains, ``u_M`` and the small solves, is done by one of two
implementations with the same three functions: :mod:`.missing_kernels`, compiled row by
row when numba is installed, and :mod:`.missing_grouped`, numpy on groups of rows
otherwise. Everything here is float64. A row with every entry missing has log-density 0
and adds nothing to the statistics.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from emkit._compiled import HAVE_NUMBA
from emkit.families.gaussian import missing_grouped, missing_kernels

__all__ = ["MissingChunk", "accumulate_missing", "backend", "complete_rows",
           "min_chunk_rows", "missing_bytes_per_row", "observed_terms", "split_missing"]

#: Rows sampled by :func:`missing_bytes_per_row` to estimate how much is missing.
SAMPLE_ROWS = 1024

#: The implementation in use: "compiled" (numba) or "grouped" (numpy).
BACKEND = "compiled" if HAVE_NUMBA else "grouped"


def backend():
    """Return the module that implements the observed-data terms.

    Returns
    -------
    module : module
        :mod:`.missing_kernels` when ``BACKEND`` is "compiled", else
        :mod:`.missing_grouped`.
    """
    return missing_kernels if BACKEND == "compiled" else missing_grouped


@dataclass
class MissingChunk:
    """A prepared chunk that has rows with missing entries.

    Parameters
    ----------
    features : object
        The family's features of the chunk, its missing entries set to the shift.
    rows : ndarray of shape (n_missing,)
        Rows of the chunk with at least one missing entry.
    mask : ndarray of shape (n_missing, n_features)
        Which entries of those rows are missing.
    centred : ndarray of shape (n_missing, n_features)
        Those rows minus the shift, in float64, with 0 at the missing entries.
    log_prob : ndarray of shape (n_observed, n_components)
        The marginal log-densities of the rows ``order`` (those with something
        observed), or, when ``relative``, what to add to the log-densities the features
        give.
    order : ndarray of shape (n_observed,)
        Positions, among ``rows``, of the rows ``log_prob`` is about.
    relative : bool
        Whether ``log_prob`` is a correction of the features' log-densities.
    terms : object
        The conditional moments of the rows, as the implementation keeps them.
    """

    features: Any
    rows: np.ndarray
    mask: np.ndarray
    centred: np.ndarray
    log_prob: np.ndarray
    order: np.ndarray
    relative: bool
    terms: Any

    @property
    def empty(self):
        """Positions, among ``rows``, of the rows with every entry missing."""
        return np.flatnonzero(self.mask.all(axis=1))


def split_missing(X, shift):
    """Return the chunk with NaN at the shift, and its rows with NaN, centred.

    Parameters
    ----------
    X : ndarray of shape (n, n_features)
        One chunk; NaN marks a missing entry.
    shift : ndarray of shape (n_features,)
        The family's shift, float64.

    Returns
    -------
    filled : ndarray of shape (n, n_features)
        ``X`` with each missing entry at the shift, in the dtype of ``X``.
    rows : ndarray of shape (n_missing,)
        The rows with at least one missing entry.
    mask : ndarray of shape (n_missing, n_features)
        Which entries of those rows are missing.
    centred : ndarray of shape (n_missing, n_features)
        Those rows minus the shift, float64, 0 at the missing entries.
    """
    return backend().split_missing(X, shift)


def observed_terms(centred, mask, precisions, linear):
    """Return the marginal log-density corrections and conditional moments of rows with NaN.

    Parameters
    ----------
    centred : ndarray of shape (n, n_features)
        The rows minus the shift, 0 where missing.
    mask : ndarray of shape (n, n_features)
        Which entries are missing; every row has at least one.
    precisions : ndarray of shape (n_components, n_features, n_features) or (n_features, n_features)
        Precision of each component, or one shared precision.
    linear : ndarray of shape (n_components, n_features)
        ``Lambda_k (mu_k - shift)`` for every component.

    Returns
    -------
    correction : ndarray of shape (n_observed, n_components)
        ``0.5 * (m log(2 pi) - log det S + u_M^T S^{-1} u_M)``: what turns the
        log-density of the row filled with the shift into the marginal log-density of
        its observed entries, for the rows with something observed.
    order : ndarray of shape (n_observed,)
        The rows ``correction`` is about, by position among the ``n`` rows.
    terms : object
        The conditional means and covariances, for :func:`accumulate_missing` and
        :func:`complete_rows`.
    """
    return backend().observed_terms(centred, mask, precisions, linear)


def accumulate_missing(chunk, W, shared):
    """Return what the missing entries add to the moments of the chunk's filled rows.

    The features' moments count a missing entry at the shift; the completed moments put
    it at its conditional mean ``f`` and add its conditional covariance ``C``. The
    difference is ``f`` in the first moment, and ``z f^T + f z^T + f f^T + C`` in the
    second, ``z`` the row minus the shift with 0 at its missing entries.

    Parameters
    ----------
    chunk : MissingChunk
        The prepared chunk.
    W : ndarray of shape (n_samples, n_components)
        Weights of all the chunk's rows.
    shared : bool
        Pool the second moments of the components (one shared covariance).

    Returns
    -------
    first : ndarray of shape (n_components, n_features)
    second : ndarray of shape (n_components, n_features, n_features) or (n_features, n_features)
    """
    W = np.take(np.asarray(W, dtype=np.float64), chunk.rows, axis=0)
    return backend().accumulate_missing(chunk.terms, chunk.centred, W, shared)


def complete_rows(centred, mask, means, terms):
    """Return each row completed under each component.

    Parameters
    ----------
    centred : ndarray of shape (n, n_features)
        The rows minus the shift, 0 where missing.
    mask : ndarray of shape (n, n_features)
        Which entries are missing.
    means : ndarray of shape (n_components, n_features)
        Component means minus the shift.
    terms : object
        What :func:`observed_terms` returned for these rows.

    Returns
    -------
    completed : ndarray of shape (n, n_components, n_features)
        The rows minus the shift, missing entries at their conditional means (at the
        component means for rows with nothing observed).
    """
    return backend().complete_rows(centred, mask, means, terms)


#: Rows per chunk below which the fixed cost of a chunk with missing entries dominates
#: (the grouped implementation's numpy calls per count of missing entries and per
#: component; the splitting, gathers and scatters around either implementation).
MISSING_CHUNK_ROWS = 16384


def _sampled(X):
    # Up to about 2 * SAMPLE_ROWS evenly spaced rows, or None when X is not float.
    sample = np.asarray(X[::max(1, len(X) // SAMPLE_ROWS)])
    return sample if np.issubdtype(sample.dtype, np.floating) else None


def min_chunk_rows(X):
    """Return the fewest rows per chunk worth running the missing-data E-step on.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data; up to about ``2 * SAMPLE_ROWS`` evenly spaced rows are looked at.

    Returns
    -------
    rows : int
        ``MISSING_CHUNK_ROWS`` when the sampled rows have a missing entry, else 0.
    """
    sample = _sampled(X) if len(X) else None
    return MISSING_CHUNK_ROWS if sample is not None and np.isnan(sample).any() else 0


def missing_bytes_per_row(X, n_components, n_blocks):
    """Return the extra working-set bytes of a row with missing entries, on average.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data; up to about ``2 * SAMPLE_ROWS`` evenly spaced rows are looked at.
    n_components : int
        Number of components.
    n_blocks : int
        Conditional covariances the family keeps per row: ``n_components`` for full
        covariances, 1 for a shared one, 0 when it keeps none (diagonal ones).

    Returns
    -------
    n_bytes : int
        0 when the sampled rows have no missing entry.
    """
    sample = _sampled(X) if len(X) else None
    if sample is None:
        return 0
    missing = np.isnan(sample).sum(axis=1)
    if not missing.any():
        return 0
    D, K = X.shape[1], n_components
    extra = (missing > 0).mean() * (2 * D + K)
    if n_blocks:
        extra += missing.mean() * (2 * K + 2) + (missing**2).mean() * (n_blocks + K + 1)
    return int(8 * np.ceil(extra))
