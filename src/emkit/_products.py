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

The moment sums of the Gaussian families, ``features @ W`` with a few dozen feature rows
and the responsibilities stored component by component (``W.T`` C-contiguous), are short
and wide for BLAS: OpenBLAS packs both operands into its own layout before it multiplies
and reaches a fifth of the core's speed. :func:`feature_sums` computes them with a
compiled loop instead (numba, the ``fast`` extra): dot products of contiguous rows, two
features by four components at a time over blocks of samples that stay in the
first-level cache; float32 products are summed in float32 within a block (as BLAS sums a
whole row) and in float64 across blocks.
"""

import numpy as np

from emkit._compiled import HAVE_NUMBA, inline_kernel, kernel

__all__ = ["BACKEND", "MAX_LOOP_TERMS", "column_totals", "feature_sums", "product",
           "row_dot_sums"]

#: The implementation of :func:`feature_sums` in use: "compiled" (numba) or "numpy".
BACKEND = "compiled" if HAVE_NUMBA else "numpy"
#: Feature rows up to which the compiled loop beats BLAS (16 components, 25,000 samples:
#: 7 against 17 ns per sample for 18 float32 rows, 15 against 20 for 18 float64 rows, as
#: fast for 153 rows; 2-core AMD EPYC).
MAX_LOOP_TERMS = 64
#: Bytes of one feature row per block of the compiled loop.
_BLOCK_BYTES = 4096


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


def feature_sums(features, W):
    """Return ``features @ W`` in float64, the moment sums of chunk features.

    Parameters
    ----------
    features : ndarray of shape (n_terms, n_samples)
        float32 or float64 features, one column per sample.
    W : ndarray of shape (n_samples, n_components)
        Weights of the samples; cast to the dtype of ``features``.

    Returns
    -------
    sums : ndarray of shape (n_terms, n_components)
        float64.
    """
    W = W.astype(features.dtype, copy=False)
    rows = _unit_rows(features)
    if (BACKEND == "compiled" and rows is not None and W.T.flags.c_contiguous
            and features.shape[0] <= MAX_LOOP_TERMS):
        sums = np.zeros((features.shape[0], W.shape[1]))
        block = _BLOCK_BYTES // features.itemsize
        row_dot_sums(rows, W.T, features.shape[1], block, sums)
        return sums
    return product(features, W).astype(np.float64, copy=False)


def _unit_rows(features):
    # features, or the wider C-contiguous array whose first columns it is (the padded
    # features of emkit.families.gaussian._features), or None for another layout.
    if features.flags.c_contiguous:
        return features
    step, item = features.strides
    if item != features.itemsize or step % item or step < features.shape[1] * item:
        return None
    return np.lib.stride_tricks.as_strided(
        features, shape=(features.shape[0], step // item), writeable=False)


@inline_kernel
def _dot(a, b, n):
    # sum_i a[i] b[i] over the first n values, in their dtype.
    total = a[0] - a[0]
    for i in range(n):
        total += a[i] * b[i]
    return total


@inline_kernel
def _dot_squares(a, b, n):
    # sum_i a[i]^2 b[i] over the first n values, in their dtype.
    total = a[0] - a[0]
    for i in range(n):
        total += a[i] * a[i] * b[i]
    return total


def row_dot_sums(features, W, n, block, sums, squares=False):
    """Add ``sum_i features[t, i] W[k, i]`` over the first ``n`` samples to ``sums[t, k]``.

    A compiled loop (numba) over blocks of ``block`` samples: eight sums of two feature
    rows by four weight rows share their loads; an odd last feature row is paired with
    itself, its second four sums dropped. Sums are taken in the dtype of the rows within
    a block and added to ``sums`` across blocks.

    Parameters
    ----------
    features : ndarray of shape (n_terms, n_columns)
        Rows of features, C-contiguous, ``n_columns >= n``.
    W : ndarray of shape (n_components, n_columns)
        Rows of weights, C-contiguous, in the dtype of ``features``.
    n : int
        The samples summed: the first ``n`` columns.
    block : int
        Samples per block.
    sums : ndarray of shape (n_terms, n_components) or (2 * n_terms, n_components)
        float64; added to in place.
    squares : bool, default=False
        Also add the sums of the squared features, ``sum_i features[t, i]^2 W[k, i]``,
        to ``sums[n_terms + t, k]``: each feature row is paired with its square, formed
        as it is read (no array of squares, which would crowd the cache).
    """
    T, K = features.shape[0], W.shape[0]
    K4 = K - K % 4
    for start in range(0, n, block):
        stop = min(start + block, n)
        m = stop - start
        for t in range(0, T, 1 if squares else 2):
            paired = min(t + 1, T - 1)
            second = T + t if squares else paired
            f0, f1 = features[t, start:stop], features[paired, start:stop]
            for k in range(0, K4, 4):
                w0, w1 = W[k, start:stop], W[k + 1, start:stop]
                w2, w3 = W[k + 2, start:stop], W[k + 3, start:stop]
                a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = f0[0] - f0[0]
                for i in range(m):
                    x = f0[i]
                    y = x * x if squares else f1[i]
                    a0 += x * w0[i]
                    a1 += x * w1[i]
                    a2 += x * w2[i]
                    a3 += x * w3[i]
                    b0 += y * w0[i]
                    b1 += y * w1[i]
                    b2 += y * w2[i]
                    b3 += y * w3[i]
                sums[t, k] += a0
                sums[t, k + 1] += a1
                sums[t, k + 2] += a2
                sums[t, k + 3] += a3
                if second != t:
                    sums[second, k] += b0
                    sums[second, k + 1] += b1
                    sums[second, k + 2] += b2
                    sums[second, k + 3] += b3
            for k in range(K4, K):
                weights = W[k, start:stop]
                sums[t, k] += _dot(f0, weights, m)
                if squares:
                    sums[second, k] += _dot_squares(f0, weights, m)
                elif second != t:
                    sums[second, k] += _dot(f1, weights, m)


# Multiply-adds fused (one instruction, rounded once): as separate multiplications and
# additions the loop held twice the instructions, which Intel cores issue on the same
# ports (AMD's Zen 4 issues the additions on ports of their own).
row_dot_sums = kernel(row_dot_sums, reassociate=True, contract=True)
