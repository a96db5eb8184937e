"""The moment sums of a chunk whose weights are mostly negligible, row by row.

Clusters that stand apart give each row a responsibility near 1 for one component and
responsibilities far below the precision of the sums for the others (1e-30 and less).
The dense product ``features @ W`` spends the same work on each of them. When at most
one weight in ``SPARSE_SHARE`` counts, a compiled loop (numba, the ``fast`` extra) visits
the rows instead: it builds each row's features once, as the chunk features hold them,
and adds them, times the weight, to the sums of each component whose weight counts.

A weight counts when it is above ``eps / CUT_SHARE`` times its component's mean weight in
the chunk (``eps`` of float64). The weights left out sum to at most ``eps / CUT_SHARE``
of their component's total, below one rounding error of it; as a Gaussian's
responsibility falls off faster than any power of the distance, what they would add to
the first and second moments is smaller still. The sums equal the dense product to
rounding, so the numpy fallback keeps the dense product.

Where it runs: float64 features with squares (diagonal covariances) or pairwise products
(full ones), where the loop took 0.54x and 0.41x of the dense product's time
(``benchmarks/profile_estep.py --covariance-type diag`` and ``full``: N = 200,000,
D = K = 16, one chunk on one thread, 2-core AMD EPYC). Not for float32 features, whose
dense product takes about half the float64 one's time and which the loop, summing in
float64, did not beat in whole fits; nor for the squared norm of spherical Gaussians,
whose 18 features make the dense product cheaper than the loop's work per row.
"""

from functools import lru_cache

import numpy as np

from emkit._compiled import HAVE_NUMBA, inline_kernel, kernel, reduction_kernel
from emkit.families.gaussian._features import PAIRS, SQUARES

__all__ = ["CUT_SHARE", "MAX_COMPONENTS", "SPARSE_SHARE", "sparse_moment_sums"]

#: The sparse loop runs when at most one weight in this many counts.
SPARSE_SHARE = 8
#: A weight counts above eps / CUT_SHARE times its component's mean weight in the chunk.
CUT_SHARE = 16
#: Components a row's 64-bit mask of counted weights can hold.
MAX_COMPONENTS = 64


def sparse_moment_sums(terms, X, shift, W, products):
    """Return the moment sums ``terms @ W`` from the weights that count, when few do.

    Parameters
    ----------
    terms : ndarray of shape (n_terms, n_samples)
        The chunk features of the rows of ``X`` (see :mod:`._features`).
    X : ndarray of shape (n_samples, n_features)
        The rows, without NaN.
    shift : ndarray of shape (n_features,)
        The centre of the features.
    W : ndarray of shape (n_samples, n_components)
        Non-negative weights of the rows.
    products : int
        What the features hold after ``[1, y]`` (see :mod:`._features`).

    Returns
    -------
    sums : ndarray of shape (n_terms, n_components) or None
        The float64 sums; None where the loop does not run (no numba, features that
        are not float64 squares or pairwise products, fewer than ``SPARSE_SHARE`` or
        more than ``MAX_COMPONENTS`` components, or more than one weight in
        ``SPARSE_SHARE`` counting): the caller then takes the dense product.
    """
    n, K = W.shape
    if (not HAVE_NUMBA or terms.dtype != np.float64 or products not in (SQUARES, PAIRS)
            or not SPARSE_SHARE <= K <= MAX_COMPONENTS or n == 0):
        return None
    Wt = W.T
    cut = _cuts(Wt, np.finfo(np.float64).eps / (CUT_SHARE * n))
    mask = np.empty(n, dtype=np.uint64)
    if not _count(Wt, cut, mask, n * K // SPARSE_SHARE):
        return None
    D = X.shape[1]
    width = 1 + D + (D if products == SQUARES else 0)
    out = np.zeros((K, width + (D * D if products == PAIRS else 0)))
    _add_rows(X, np.asarray(shift, dtype=np.float64), Wt, mask, products, np.empty(width),
              out)
    if products == PAIRS:
        # The loop adds every y_d y_e (a square, in regular loops); keep d <= e, in the
        # features' row-major order of the upper triangle.
        out = np.take(out, _pairs_columns(D), axis=1)
    return out.T


@lru_cache(maxsize=64)
def _pairs_columns(n_features):
    # The columns of the loop's sums that the PAIRS features hold: [1, y], then y_d y_e
    # for d <= e out of the D x D square. Cached: asked for every chunk.
    D = int(n_features)
    upper = np.triu_indices(D)
    return np.concatenate([np.arange(1 + D), 1 + D + upper[0] * D + upper[1]])


@reduction_kernel
def _cuts(Wt, scale):
    # Each component's total weight in the chunk, in float64, times scale.
    K, n = Wt.shape
    cut = np.empty(K)
    for k in range(K):
        weights = Wt[k]
        total = 0.0
        for i in range(n):
            total += weights[i]
        cut[k] = total * scale
    return cut


@kernel
def _count(Wt, cut, mask, limit):
    # Mark in mask[i] (bit k) each weight of row i that counts; stop and return False as
    # soon as more than ``limit`` count. One pass per component, along the samples, so
    # each runs as vector instructions.
    K, n = Wt.shape
    for i in range(n):
        mask[i] = 0
    kept = 0
    for k in range(K):
        bit = np.uint64(1) << np.uint64(k)
        weights, least = Wt[k], cut[k]
        count = 0
        for i in range(n):
            keep = weights[i] > least
            mask[i] |= bit if keep else np.uint64(0)
            count += keep
        kept += count
        if kept > limit:
            return False
    return True


#: De Bruijn sequence and table: the index of a 64-bit word's only set bit, without a loop.
_DE_BRUIJN = np.uint64(0x03F79D71B4CB0A89)
_BIT_INDEX = np.zeros(64, dtype=np.int64)
_BIT_INDEX[(((np.uint64(1) << np.arange(64, dtype=np.uint64)) * _DE_BRUIJN)
            >> np.uint64(58)).astype(np.int64)] = np.arange(64)


@inline_kernel
def _row_features(X, i, shift, products, row):
    # Row i's features as _features._fill writes them, but for PAIRS only [1, y]: the
    # products are formed where they are added.
    D = X.shape[1]
    row[0] = 1.0
    for d in range(D):
        row[1 + d] = X[i, d] - shift[d]
    if products == SQUARES:
        for d in range(D):
            row[1 + D + d] = row[1 + d] * row[1 + d]


@kernel
def _add_rows(X, shift, Wt, mask, products, row, out):
    # out[k] += Wt[k, i] * features of row i, for each bit k of mask[i]. For PAIRS,
    # out[k] holds after [1, y] every product y_d y_e, d and e in 0..D-1.
    n, D = X.shape
    width = row.shape[0]
    for i in range(n):
        remaining = mask[i]
        if remaining == 0:
            continue
        _row_features(X, i, shift, products, row)
        while remaining:
            lowest = remaining & (~remaining + np.uint64(1))
            remaining ^= lowest
            k = _BIT_INDEX[(lowest * _DE_BRUIJN) >> np.uint64(58)]
            weight = Wt[k, i]
            sums = out[k]
            for t in range(width):
                sums[t] += weight * row[t]
            if products == PAIRS:
                for d in range(D):
                    first = row[1 + d]
                    block = sums[width + d * D:width + (d + 1) * D]
                    for e in range(D):
                        block[e] += weight * (first * row[1 + e])
