"""The chunk features of the Gaussian families: ``[1, y, ...]`` with ``y = x - shift``.

Stored (n_terms, n_samples), so that the log-densities of all components are one product
``weights @ features`` and the moments another, ``features @ W``. After ``1`` and ``y``
come nothing (tied: its quadratic form is shared), the squared norm ``|y|^2`` (spherical:
one variance per component), the squares ``y_d^2`` (diagonal covariances) or every
product ``y_d y_e`` with ``d <= e`` (full covariances). A compiled
pass writes them all (numba, the ``fast`` extra); numpy builds them row block by row
block otherwise, with the same products, so both give the same numbers. The compiled pass
also notices a NaN as it reads the rows, so the E-step of a complete chunk makes no extra
pass over it to look for missing entries.
"""

from functools import lru_cache

import numpy as np

from emkit._compiled import HAVE_NUMBA, kernel

__all__ = ["LINEAR", "NORMS", "PAIRS", "SQUARES", "centred_features", "n_terms"]

#: What follows ``[1, y]``: nothing, the squares, every product with d <= e, or the
#: squared norm.
LINEAR, SQUARES, PAIRS, NORMS = 0, 1, 2, 3


def n_terms(n_features, products):
    """Return the number of chunk features per row.

    Parameters
    ----------
    n_features : int
        Number of columns of the data.
    products : int
        ``LINEAR``, ``SQUARES``, ``PAIRS`` or ``NORMS``.

    Returns
    -------
    n_terms : int
        ``1 + n_features`` plus what ``products`` adds.
    """
    D = int(n_features)
    return 1 + D + {LINEAR: 0, SQUARES: D, PAIRS: D * (D + 1) // 2, NORMS: 1}[products]


def centred_features(X, shift, dtype, products, complete=False):
    """Return the features of the rows of ``X`` about ``shift``, one column per row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows, without NaN.
    shift : ndarray of shape (n_features,)
        The centre.
    dtype : numpy.dtype
        The dtype of the features (float32 or float64).
    products : int
        ``LINEAR``, ``SQUARES``, ``PAIRS`` or ``NORMS``.
    complete : bool, default=False
        Return None when ``X`` holds a NaN (the caller then takes its missing-value
        path); False computes the features of any rows.

    Returns
    -------
    features : ndarray of shape (n_terms, n_samples) or None
        Rows ``1``, ``y_d``, then the squares, the products ``y_d y_e`` (d <= e, in
        row-major order of the upper triangle) or the squared norm (summed over d in
        order). C-contiguous, unless its rows, ``n_samples`` values apart, would crowd
        the first-level cache (see ``_row_length``): then a view of the first
        ``n_samples`` columns of a wider array.
    """
    n, dtype = X.shape[0], np.dtype(dtype)
    if complete and not HAVE_NUMBA and np.isnan(np.add.reduce(X, axis=None)):
        # One sum finds a NaN (validated data cannot overflow it) without an (n, D) mask.
        return None
    terms = n_terms(X.shape[1], products)
    out = np.empty((terms, _row_length(n, dtype.itemsize, terms)), dtype)
    if HAVE_NUMBA:
        if _fill(X, np.asarray(shift, dtype=dtype), out, products) and complete:
            return None
    else:
        _fill_numpy(X, np.asarray(shift, dtype=dtype), out[:, :n], products)
    return out[:, :n]


#: Sets and line size of a first-level data cache (32 to 48 KiB, 8 to 12 ways).
CACHE_SETS, LINE_BYTES = 64, 64


@lru_cache(maxsize=256)
def _row_length(n, itemsize, n_rows):
    # The allocated length of a feature row. The compiled pass writes each row of X down
    # a column of the features; with rows a multiple of 4 KiB apart (n = 1024 or 4096 in
    # float32), every feature of a sample falls in the same set of the first-level cache:
    # the features of 4096 rows took 5.7x as long (profile_estep.py --chunk-rows 4096,
    # diag float32). Rows n values apart are kept when no set holds more than four of a
    # sample's features (or n_rows / 64, their even share, where that is more);
    # otherwise they are padded to an odd number of lines, which spreads a sample's
    # features evenly over the sets. Contiguous features are what np.dot multiplies
    # without a copy (see emkit._products). Cached: small fits ask it every iteration.
    per_line = max(LINE_BYTES // itemsize, 1)
    share = max(4, -(-n_rows // CACHE_SETS))
    if _set_load(n * itemsize, n_rows) <= share:
        return n
    lines = -(-n // per_line)
    return (lines + 1 - lines % 2) * per_line


def _set_load(stride, n_rows):
    # The most of n_rows addresses, stride bytes apart, that share one cache set.
    sets = (np.arange(n_rows) * stride // LINE_BYTES) % CACHE_SETS
    return int(np.bincount(sets, minlength=CACHE_SETS).max())


def _fill_numpy(X, shift, out, products):
    D = X.shape[1]
    out[0] = 1.0
    np.subtract(X.T, shift[:, None], out=out[1:D + 1])
    centred = out[1:D + 1]
    if products == SQUARES:
        np.multiply(centred, centred, out=out[D + 1:])
    elif products == NORMS:
        out[D + 1] = 0.0
        for d in range(D):
            out[D + 1] += centred[d] * centred[d]
    elif products == PAIRS:
        row = D + 1
        for d in range(D):
            np.multiply(centred[d:], centred[d], out=out[row:row + D - d])
            row += D - d


@kernel
def _fill(X, shift, out, products):
    # One compiled call instead of a numpy call per feature. Each row of X is read once,
    # in order, and its centred values (and squared norm) are written down the columns
    # of ``out`` (a third faster than reading X by blocks of rows for spherical
    # Gaussians: benchmarks/profile_estep.py, features stage, 2-core Intel Xeon). The
    # norm is summed over d in order, in the features' dtype, as the numpy path sums it.
    # Squares and products are vector loops over the centred rows. Returns whether X
    # holds a NaN, noticed on the way (the features are then of no use to the caller).
    n, D = X.shape
    nan = False
    for i in range(n):
        out[0, i] = 1.0
        if products == NORMS:
            norm = out[0, i] - out[0, i]
            for d in range(D):
                value = X[i, d] - shift[d]
                out[1 + d, i] = value
                norm += value * value
            out[1 + D, i] = norm
            nan |= norm != norm
        else:
            for d in range(D):
                value = X[i, d] - shift[d]
                out[1 + d, i] = value
                nan |= value != value
    if products == SQUARES:
        for d in range(D):
            centred, square = out[1 + d], out[1 + D + d]
            for i in range(n):
                square[i] = centred[i] * centred[i]
    if products == PAIRS:
        # Whole rows: 136 product rows for 16 features are too many short loops by block.
        row = D + 1
        for d in range(D):
            first = out[1 + d]
            for e in range(d, D):
                second = out[1 + e]
                target = out[row]
                for i in range(n):
                    target[i] = first[i] * second[i]
                row += 1
    return nan
