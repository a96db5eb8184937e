"""The chunk features of the Gaussian families: ``[1, y, ...]`` with ``y = x - shift``.

Stored (n_terms, n_samples), so that the log-densities of all components are one product
``weights @ features`` and the moments another, ``features @ W``. After ``1`` and ``y``
come nothing (tied: its quadratic form is shared), the squares ``y_d^2`` (diagonal
families) or every product ``y_d y_e`` with ``d <= e`` (full covariances). A compiled
pass writes them all (numba, the ``fast`` extra); numpy builds them row block by row
block otherwise, with the same products, so both give the same numbers.
"""

import numpy as np

from emkit._compiled import HAVE_NUMBA, kernel

__all__ = ["LINEAR", "PAIRS", "SQUARES", "centred_features"]

#: What follows ``[1, y]``: nothing, the squares, or every product with d <= e.
LINEAR, SQUARES, PAIRS = 0, 1, 2


def centred_features(X, shift, dtype, products):
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
        ``LINEAR``, ``SQUARES`` or ``PAIRS``.

    Returns
    -------
    features : ndarray of shape (n_terms, n_samples)
        Rows ``1``, ``y_d``, then the squares or the products ``y_d y_e`` (d <= e, in
        row-major order of the upper triangle).
    """
    n, D = X.shape
    n_terms = 1 + D + {LINEAR: 0, SQUARES: D, PAIRS: D * (D + 1) // 2}[products]
    out = np.empty((n_terms, n), dtype=dtype)
    if HAVE_NUMBA:
        _fill(X, np.asarray(shift, dtype=dtype), out, products)
    else:
        _fill_numpy(X, np.asarray(shift, dtype=dtype), out, products)
    return out


def _fill_numpy(X, shift, out, products):
    D = X.shape[1]
    out[0] = 1.0
    np.subtract(X.T, shift[:, None], out=out[1:D + 1])
    centred = out[1:D + 1]
    if products == SQUARES:
        np.multiply(centred, centred, out=out[D + 1:])
    elif products == PAIRS:
        row = D + 1
        for d in range(D):
            np.multiply(centred[d:], centred[d], out=out[row:row + D - d])
            row += D - d


@kernel
def _fill(X, shift, out, products):
    # One compiled call instead of a numpy call per feature: each product row is a
    # vector loop over the samples.
    n, D = X.shape
    for i in range(n):
        out[0, i] = 1.0
    for d in range(D):
        centre = shift[d]
        target = out[1 + d]
        for i in range(n):
            target[i] = X[i, d] - centre
    row = D + 1
    for d in range(D):
        first = out[1 + d]
        stop = D if products == PAIRS else (d + 1 if products == SQUARES else d)
        for e in range(d, stop):
            second = out[1 + e]
            target = out[row]
            for i in range(n):
                target[i] = first[i] * second[i]
            row += 1
