"""The matrix products of the E-step's statistics, free to run beside other threads.

numpy's ``matmul`` (the ``@`` operator) keeps the GIL through the BLAS call when its
output has at most 500 entries, numpy's threshold for releasing it around a loop. The
statistics of a chunk are such products, ``(n_terms, n) @ (n, K)`` with a small output
(the 18 x 16 moments of spherical Gaussians, the 16 x 10 column sums of ten Poisson
columns), so the chunk threads of an E-step would run them one at a time. ``np.dot``
releases the GIL around every BLAS call, whatever the size, and computes the same
product, but copies an operand that is neither C- nor F-contiguous (the row-padded
Gaussian features of a crowded chunk, see ``families/gaussian/_features.py``): such
operands go to ``matmul``.

The column totals of the weights, ``sum_i W_ik``, are such a product too, with a vector of
ones. For weights in C order (the responsibilities of categorical mixtures, the posteriors
of HMMs) numpy's sum over the rows takes four times as long; in F order, the same
(benchmarks/profile_blas_threads.py, 25,000 x 16 float64, 2-core Intel Xeon).
"""

import numpy as np

__all__ = ["column_totals", "product"]


def product(a, b):
    """Return the matrix product ``a @ b`` of two 2-D arrays, letting other threads run.

    ``np.dot`` where both factors are C- or F-contiguous (no copy, no GIL held),
    ``matmul`` otherwise.

    Parameters
    ----------
    a : ndarray of shape (m, n)
        The left factor.
    b : ndarray of shape (n, p)
        The right factor.

    Returns
    -------
    product : ndarray of shape (m, p)
        In the dtype that ``a @ b`` would have.
    """
    if _contiguous(a) and _contiguous(b):
        return np.dot(a, b)
    return np.matmul(a, b)


def _contiguous(a):
    flags = a.flags
    return flags.c_contiguous or flags.f_contiguous


def column_totals(W):
    """Return the column sums ``sum_i W[i, k]`` of a 2-D array, in float64.

    One matrix-vector product with a vector of ones for float64 weights in C or F order;
    numpy's sum in float64 otherwise (float32 weights are summed in float64, as every
    statistic of the float32 path is).

    Parameters
    ----------
    W : ndarray of shape (n_samples, n_components)
        The weights of the rows.

    Returns
    -------
    totals : ndarray of shape (n_components,)
    """
    if W.dtype == np.float64 and _contiguous(W):
        return np.dot(np.ones(W.shape[0]), W)
    return np.add.reduce(W, axis=0, dtype=np.float64)
