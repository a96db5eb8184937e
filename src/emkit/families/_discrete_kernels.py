"""Row kernels of the discrete families: compiled with numba (the ``fast`` extra), or numpy.

A Categorical log-density is a gather (one table entry per column and component) and its
statistics a scatter (each row's weights added to the counts of its codes); a Poisson or
Binomial log-density has a per-row ``sum_d log x_d!``. As matrix products these would
multiply a one-hot ``(n, D * C)`` expansion, or call ``gammaln`` on every entry in every
iteration; the kernels read each row once instead. Both implementations take the same
arrays and give the same numbers (the compiled one adds in the same order); tests switch
:data:`BACKEND` to run both. NaN marks a missing entry, which the kernels skip; a value
outside the support makes them return its flat index, so that the caller raises the
family's own message before any table is indexed with it.
"""

import math

import numpy as np
from scipy.special import gammaln

from emkit._compiled import HAVE_NUMBA, inline_kernel, kernel, vector_kernel

__all__ = ["BACKEND", "LOG_FACTORIAL", "categorical_counts", "categorical_log_prob",
           "log_factorial_block", "log_factorial_columns", "log_factorial_rows"]

#: The implementation in use: "compiled" (numba) or "numpy".
BACKEND = "compiled" if HAVE_NUMBA else "numpy"

#: ``log(j!)`` for the counts ``j`` looked up instead of computed.
LOG_FACTORIAL = gammaln(np.arange(1024) + 1.0)


@kernel
def _log_factorial_rows(X, table, out, in_table):
    # out[i] = sum over the observed d of log(X[i, d]!); returns the number of NaN.
    # ``in_table``: every count is known to be within the table (the usual case), whose
    # rows then take a branch-free sum of lookups; otherwise one pass checks them first
    # (both passes together cost less than the row loop below, whose checks of each
    # entry sit inside the sum).
    n, D = X.shape
    size = table.shape[0]
    if not in_table:
        in_table = True
        for i in range(n):
            for d in range(D):
                in_table &= _in_table(X[i, d], size)
    if in_table:
        for i in range(n):
            total = 0.0
            for d in range(D):
                total += table[np.int64(X[i, d])]
            out[i] = total
        return 0
    missing = 0
    for i in range(n):
        total = 0.0
        for d in range(D):
            x = X[i, d]
            if x != x:
                missing += 1
                continue
            if 0.0 <= x < size and int(x) == x:
                total += table[int(x)]
            else:
                total += math.lgamma(x + 1.0)
        out[i] = total
    return missing


@inline_kernel
def _in_table(x, size):
    # Whether the count x is an integer the table holds (False for NaN).
    return (x >= 0.0) & (x < size) & (np.floor(x) == x)


@vector_kernel
def _all_in_table(values, size):
    # _in_table of every value of a 1-D array, in one vector loop (the loop over a row
    # of a few counts does not vectorize).
    outside = 0
    for j in range(values.shape[0]):
        outside += not _in_table(values[j], size)
    return outside == 0


@kernel
def _categorical_log_prob(X, table, n_categories, out):
    # out[i, k] = sum over the observed d of table[d, X[i, d], k]; -1, or the flat index
    # of the first code outside its column's categories.
    n, D = X.shape
    K = out.shape[1]
    for i in range(n):
        row = out[i]
        row[:] = 0.0
        for d in range(D):
            x = X[i, d]
            if x != x:
                continue
            if not (0.0 <= x < n_categories[d]) or int(x) != x:
                return i * D + d
            c = int(x)
            for k in range(K):
                row[k] += table[d, c, k]
    return -1


@kernel
def _categorical_counts(X, W, n_categories, counts):
    # counts[d, X[i, d], k] += W[i, k] over the observed entries; -2 when every entry is
    # observed, -1 when some is missing, else the flat index of the first bad code.
    n, D = X.shape
    K = W.shape[1]
    w = np.empty(K)
    status = -2
    for i in range(n):
        for k in range(K):
            w[k] = W[i, k]
        for d in range(D):
            x = X[i, d]
            if x != x:
                status = -1
                continue
            if not (0.0 <= x < n_categories[d]) or int(x) != x:
                return i * D + d
            c = int(x)
            for k in range(K):
                counts[d, c, k] += w[k]
    return status


def log_factorial_rows(X):
    """Return ``sum_d log(x_d!)`` over the observed entries of each row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Non-negative counts, float64; NaN marks a missing entry. Other values give the
        continuous ``gammaln(x + 1)``.

    Returns
    -------
    log_factorial : ndarray of shape (n_samples,)
    missing : bool
        Whether ``X`` holds a NaN.
    """
    if BACKEND == "compiled":
        out = np.empty(len(X))
        size = LOG_FACTORIAL.shape[0]
        in_table = X.flags.c_contiguous and _all_in_table(X.reshape(-1), size)
        return out, bool(_log_factorial_rows(X, LOG_FACTORIAL, out, in_table))
    terms = gammaln(X + 1.0)
    out = terms.sum(axis=1)
    missing = np.isnan(out)
    if not missing.any():
        return out, False
    terms[np.isnan(terms)] = 0.0
    return terms.sum(axis=1), True


@kernel
def log_factorial_block(counts, D, n, table, out):
    """Write ``sum_d log(counts[d, i]!)`` over the first ``D`` rows into ``out[i]``, i < n.

    Compiled (numba); the one pass of :mod:`emkit.families.gaussian._fused` calls it on
    its block of transposed rows. Counts all within the table are looked up in it, after
    one vector check; a block with another count takes ``lgamma(x + 1)`` for that count.

    Parameters
    ----------
    counts : ndarray of shape (at least D, at least n)
        Counts, float64, one sample per column, no NaN; each row contiguous.
    D, n : int
        The rows and columns of ``counts`` read.
    table : ndarray of shape (size,)
        ``log(j!)`` of the counts ``j < size`` (:data:`LOG_FACTORIAL`).
    out : ndarray of shape (at least n,)
        float64; written.
    """
    size = table.shape[0]
    outside = 0
    for d in range(D):
        row = counts[d]
        for i in range(n):
            outside += not _in_table(row[i], size)
    if outside == 0:
        # A sample at a time, its sum in a register: the lookups do not vectorize (the
        # compiler makes no gathers for AMD processors), and a pass per row of counts
        # loaded and stored every sum D times (a third slower in a scratch timing).
        for i in range(n):
            total = 0.0
            for d in range(D):
                total += table[np.uint64(counts[d, i])]  # unsigned: no wraparound test
            out[i] = total
        return
    for i in range(n):
        out[i] = 0.0
    for d in range(D):
        row = counts[d]
        for i in range(n):
            x = row[i]
            if 0.0 <= x < size and int(x) == x:
                out[i] += table[int(x)]
            else:
                out[i] += math.lgamma(x + 1.0)


def log_factorial_columns(counts):
    """Return ``sum_d log(x_d!)`` for each column of ``counts``.

    Parameters
    ----------
    counts : ndarray of shape (n_features, n_samples)
        Non-negative counts, float64, one sample per column, no NaN; each row
        contiguous. Other values give the continuous ``gammaln(x + 1)``.

    Returns
    -------
    log_factorial : ndarray of shape (n_samples,)
    """
    out = np.empty(counts.shape[1])
    if BACKEND == "compiled":
        log_factorial_block(counts, counts.shape[0], counts.shape[1], LOG_FACTORIAL, out)
        return out
    return np.add.reduce(gammaln(counts + 1.0), axis=0, out=out)


def _codes(X, n_categories):
    # Integer codes, -1 where missing; and the flat index of the first bad entry, or -1.
    n_categories = np.asarray(n_categories)
    missing = np.isnan(X)
    with np.errstate(invalid="ignore"):
        good = missing | ((X >= 0.0) & (X < n_categories) & (X == np.floor(X)))
    if not good.all():
        return None, int(np.flatnonzero(~good.ravel())[0])
    return np.where(missing, -1.0, X).astype(np.intp), -1


def categorical_log_prob(X, table, n_categories):
    """Return ``sum_d table[d, x_d, k]`` over the observed entries of each row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Integer codes, float64; NaN marks a missing entry.
    table : ndarray of shape (n_features, max_categories, n_components)
        Log-probability of each code of each column under each component.
    n_categories : ndarray of shape (n_features,)
        Number of categories of each column.

    Returns
    -------
    log_prob : ndarray of shape (n_samples, n_components) or None
        None when a code lies outside its column's categories.
    """
    K = table.shape[2]
    out = np.empty((len(X), K))
    if BACKEND == "compiled":
        bad = _categorical_log_prob(X, table, n_categories, out)
        return out if bad < 0 else None
    codes, bad = _codes(X, n_categories)
    if bad >= 0:
        return None
    out[...] = 0.0
    for d in range(X.shape[1]):
        observed = codes[:, d] >= 0
        values = table[d, np.maximum(codes[:, d], 0)]
        out += values if observed.all() else np.where(observed[:, None], values, 0.0)
    return out


def categorical_counts(X, W, n_categories, max_categories):
    """Return the weighted count of each code of each column, and of each column's codes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Integer codes, float64; NaN marks a missing entry.
    W : ndarray of shape (n_samples, n_components)
        Weight of each row for each component.
    n_categories : ndarray of shape (n_features,)
        Number of categories of each column.
    max_categories : int
        Length of the category axis of the counts.

    Returns
    -------
    counts : ndarray of shape (n_features, max_categories, n_components) or None
        None when a code lies outside its column's categories.
    column_weight : ndarray of shape (n_features, n_components) or None
        Summed weight of the rows observing each column; None when every entry is
        observed (it is then the component weight).
    """
    D, K = X.shape[1], W.shape[1]
    counts = np.zeros((D, max_categories, K))
    if BACKEND == "compiled":
        status = _categorical_counts(X, W, n_categories, counts)
        if status >= 0:
            return None, None
        missing = status == -1
    else:
        codes, bad = _codes(X, n_categories)
        if bad >= 0:
            return None, None
        categories = np.arange(max_categories)
        for d in range(D):
            counts[d] = ((codes[:, d, None] == categories).astype(np.float64).T @ W)
        missing = bool((codes < 0).any())
    return counts, (counts.sum(axis=1) if missing else None)
