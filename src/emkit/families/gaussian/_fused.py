"""A mixture's E-step of a complete chunk in one compiled pass: Gaussian and linear families.

The feature path (:mod:`._features`, :mod:`._prepared`) writes the chunk features,
the log-densities and the responsibilities of a whole chunk, each in its own pass, and
reads them back from the outer caches. Here one compiled call goes through the chunk by
blocks of ``BLOCK_ROWS`` rows, whose every array stays in the core's first-level cache:
the rows transposed about the shift, the log-joint of each component (a sum over the
features of ``y (a + y q)`` for diagonal Gaussians, of ``y a`` plus the squared norm
times ``q`` for spherical ones, of ``y a`` alone for a log-density linear in the rows),
their normalization with the log mixing weights added
(:func:`emkit.models.responsibilities.block_top` and ``block_scale``), and the moment sums
of the responsibilities with ``y`` and ``y^2`` (or ``|y|^2``, or ``y`` alone). Only the
rows' log-likelihoods reach memory.

Where it runs: with numba (the ``fast`` extra), for a mixture's E-step of a chunk in C
order with no labels, sample weights or hard assignment
(:meth:`emkit.models.Mixture.chunk_stats`): float64 or float32 chunks of diagonal and
spherical Gaussians with components near the shift (no :class:`.far.FarChunk`), and
float64 chunks of the linear column families, Bernoulli and Poisson
(:meth:`emkit.families._linear.LinearColumns.fused_stats`; Poisson's ``-log x!`` of
each row is summed from the block's transposed rows), where no zero probability
or rate forbids a value. A chunk with a missing entry, or with a row that no component
can explain (largest log-joint ``-inf``, or NaN), takes the feature path, which knows what
to do with them. float32 rows are computed in float32, as the feature path computes them
(and only where it would: see ``PreparedGaussian.prepare``), twice as many rows per
block, their moment sums taken in float32 within a block and in float64 across blocks.
The sums agree with the feature path's to the rounding of the dtype.

Measured: BENCHMARKS.md, "Eighth round" (float64 diagonal and spherical Gaussians) and
"Ninth round" (float32, the prefetch, the linear families).
"""

import numpy as np

from emkit._compiled import HAVE_NUMBA, inline_kernel, kernel, prefetch
from emkit._products import row_dot_sums
from emkit.families._discrete_kernels import LOG_FACTORIAL, log_factorial_block
from emkit.families.gaussian._features import NORMS, SQUARES
from emkit.models.responsibilities import (add_logs, block_scale, block_top,
                                          normalize_threshold)

__all__ = ["BLOCK_ROWS", "FusedTerms", "fused_sums"]

#: Rows per block of float64 rows (twice as many float32 rows, in the same bytes): the
#: transposed rows and the K log-joints of 256 float64 rows (D = K = 16) take 66 KiB;
#: 512 and 1,024 rows were slower, 128 no faster.
BLOCK_ROWS = 256
#: How far ahead the transposition asks for rows: a row read from memory stalls the
#: transposition (a scalar loop that the processor's prefetchers do not run far enough
#: ahead of). In scratch timings on a 2-core AMD EPYC, 32 rows ahead made the one pass over
#: 200,000 float32 rows (D = K = 16, one thread) about a tenth faster and the transposition
#: of float64 rows alone about twice as fast; 16 rows were not enough, 128 no better.
PREFETCH_ROWS = 32
#: Widest rows the transposition moves four at a time. In scratch timings on a 2-core
#: AMD EPYC, four rows at a time took a sixth to a half less time than one row at a time
#: for 8 to 32 features (float32 and float64) and 48 float32 ones, and up to 1.7 times as
#: long for 64 and 100 features.
TILE_FEATURES = 32


class FusedTerms:
    """The weights of a family's log-densities, split for the compiled pass.

    Parameters
    ----------
    weights : ndarray of shape (n_components, n_terms)
        ``[const, linear (D), quadratic (D or 1)]`` per component: the family's feature
        weights (see :mod:`._features`).
    n_features : int
        D.
    products : int
        ``SQUARES`` (one quadratic weight per feature), ``NORMS`` (one per component, of
        the squared norm) or ``LINEAR`` (none: a log-density linear in the rows).
    dtype : numpy.dtype, default=np.float64
        The dtype of the rows they serve (float32 rows are computed in float32).
    log_factorials : bool, default=False
        Whether each row's log-density also holds ``-sum_d log(x_d!)`` (Poisson counts,
        float64), the same under every component: the pass adds it to the rows'
        log-likelihoods from its block of transposed rows, where it is a vector gather,
        instead of reading the chunk once more.
    """

    def __init__(self, weights, n_features, products, dtype=np.float64, log_factorials=False):
        D = int(n_features)
        weights = np.asarray(weights, dtype=dtype)
        self.dtype = weights.dtype
        self.const = np.ascontiguousarray(weights[:, 0])
        self.linear = np.ascontiguousarray(weights[:, 1:D + 1].T)
        self.quadratic = np.ascontiguousarray(weights[:, D + 1:].T)
        self.products = int(products)
        self.factorials = LOG_FACTORIAL if log_factorials else np.empty(0)


def fused_sums(X, shift, terms, log_weights):
    """Return the rows' log-likelihoods and the moment sums of a chunk, or None.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    shift : ndarray of shape (n_features,)
        The centre of the features.
    terms : FusedTerms
        The family's weights, in the dtype of ``X``.
    log_weights : ndarray of shape (n_components,)
        ``log w_k`` of the mixture.

    Returns
    -------
    result : tuple or None
        ``(log_norm, sums)``: ``log sum_k w_k p(x_i | k)`` of each row (with its
        ``-sum_d log(x_d!)`` for ``terms`` with ``log_factorials``), and the moment
        sums ``features @ resp`` of shape (n_terms, n_components), the features being
        ``[1, y, y^2]`` (``SQUARES``), ``[1, y, |y|^2]`` (``NORMS``) or ``[1, y]``
        (``LINEAR``); both float64, the sums of float32 rows taken in float32 within a
        block of rows. None without numba, for rows that are not 2-D in C order in the
        dtype of ``terms`` or not as wide as them, or when a row holds a NaN or no
        component can explain it: the caller then takes the feature path (which also
        says what is wrong with rows it cannot take).
    """
    if (not HAVE_NUMBA or X.dtype != terms.dtype or X.ndim != 2
            or X.shape[1] != terms.linear.shape[0] or not X.flags.c_contiguous):
        return None
    dtype = X.dtype
    n, D = X.shape
    K = len(log_weights)
    log_norm = np.empty(n)
    sums = np.zeros((1 + D + terms.quadratic.shape[0], K))
    status = _blocks(X, np.asarray(shift, dtype=dtype), terms.const, terms.linear,
                     terms.quadratic, terms.products, terms.factorials,
                     np.asarray(log_weights, dtype=dtype),
                     dtype.type(normalize_threshold(dtype, K)), log_norm, sums)
    return None if status else (log_norm, sums)


def _blocks(X, shift, const, linear, quadratic, products, factorials, log_weights, threshold,
            log_norm, sums):
    # The pass of fused_sums. Per block: Y's first D rows the rows minus the shift, then
    # for NORMS the squared norms (summed over d in order); L (K, B) the log-joints, two
    # components at a time over four features, so that each load of Y serves eight
    # multiply-adds (sixteen for SQUARES); the normalization; the moment sums of Y's
    # first D rows (for NORMS its D + 1 rows; for SQUARES the D rows and their squares)
    # with the responsibilities (emkit._products.row_dot_sums). Each row's log normalizer
    # (its largest log-joint plus the log of its sum of exps, by the compiled vector log
    # of add_logs, while the block is in the cache: numpy's log over the chunk
    # afterwards, with a second array of the largest terms, took 4% of the pass's
    # samples in benchmarks/profile_kernels.py on an Intel Xeon) goes to log_norm, less
    # the row's sum of log x! when ``factorials`` is LOG_FACTORIAL (an empty table:
    # none; the shift is then 0, and Y's rows are the counts themselves). Returns 1 at
    # the first row with no finite largest log-joint or whose sum of exps is NaN (a NaN
    # in the row makes all its log-joints NaN), the sums then incomplete; 0 otherwise.
    n, D = X.shape
    K = const.shape[0]
    B = BLOCK_ROWS * 8 // X.itemsize
    # Rows of Y an odd number of cache lines apart: a multiple of 4 KiB apart, every
    # value of a row of X would land in one set of the first-level cache.
    Y = np.empty((D + 1, B + 8), X.dtype)
    L = np.empty((K, B), X.dtype)
    top = np.empty(B, X.dtype)
    total = np.empty(B, X.dtype)
    inverse = np.empty(B, X.dtype)
    spare = np.empty(B, X.dtype)
    row_terms = np.empty(B)
    with_factorials = factorials.shape[0] > 0
    zero = const[0] - const[0]  # in the dtype of the rows, as every term of L
    D4 = D - D % 4
    norms = Y[D]
    squares, with_norms = products == SQUARES, products == NORMS
    for start in range(0, n, B):
        m = min(B, n - start)
        _transpose(X, start, m, shift, Y)
        if with_factorials:
            log_factorial_block(Y, D, m, factorials, row_terms)
        if with_norms:
            # Summed along the rows of Y: in _transpose, a reduction per row of X, they
            # compiled to scatters that took twice as long.
            for i in range(m):
                norms[i] = 0.0
            for d in range(D):
                row = Y[d]
                for i in range(m):
                    norms[i] += row[i] * row[i]
        for k in range(0, K, 2):
            # An odd last component is computed twice, the second time into ``spare``.
            k1 = min(k + 1, K - 1)
            L0, L1 = L[k], L[k1] if k1 > k else spare
            c0, c1 = const[k], const[k1]
            if not with_norms:
                for i in range(m):
                    L0[i] = c0
                    L1[i] = c1
            else:
                q0, q1 = quadratic[0, k], quadratic[0, k1]
                for i in range(m):
                    L0[i] = c0 + q0 * norms[i]
                    L1[i] = c1 + q1 * norms[i]
            for d in range(0, D4, 4):
                r0, r1, r2, r3 = Y[d], Y[d + 1], Y[d + 2], Y[d + 3]
                a00, a10, a20, a30 = linear[d, k], linear[d + 1, k], linear[d + 2, k], \
                    linear[d + 3, k]
                a01, a11, a21, a31 = linear[d, k1], linear[d + 1, k1], linear[d + 2, k1], \
                    linear[d + 3, k1]
                if squares:
                    q00, q10, q20, q30 = quadratic[d, k], quadratic[d + 1, k], \
                        quadratic[d + 2, k], quadratic[d + 3, k]
                    q01, q11, q21, q31 = quadratic[d, k1], quadratic[d + 1, k1], \
                        quadratic[d + 2, k1], quadratic[d + 3, k1]
                    for i in range(m):
                        y0, y1, y2, y3 = r0[i], r1[i], r2[i], r3[i]
                        L0[i] += ((y0 * (a00 + y0 * q00) + y1 * (a10 + y1 * q10))
                                  + (y2 * (a20 + y2 * q20) + y3 * (a30 + y3 * q30)))
                        L1[i] += ((y0 * (a01 + y0 * q01) + y1 * (a11 + y1 * q11))
                                  + (y2 * (a21 + y2 * q21) + y3 * (a31 + y3 * q31)))
                else:
                    for i in range(m):
                        y0, y1, y2, y3 = r0[i], r1[i], r2[i], r3[i]
                        L0[i] += (y0 * a00 + y1 * a10) + (y2 * a20 + y3 * a30)
                        L1[i] += (y0 * a01 + y1 * a11) + (y2 * a21 + y3 * a31)
            for d in range(D4, D):
                r0 = Y[d]
                a0, a1 = linear[d, k], linear[d, k1]
                q0 = quadratic[d, k] if squares else zero
                q1 = quadratic[d, k1] if squares else zero
                for i in range(m):
                    y = r0[i]
                    L0[i] += y * (a0 + y * q0)
                    L1[i] += y * (a1 + y * q1)
        block_top(L, 0, m, log_weights, top)
        for i in range(m):
            if not top[i] > -np.inf:
                return 1
        block_scale(L, 0, m, log_weights, top, threshold, total, inverse, sums[0])
        for i in range(m):
            if total[i] != total[i]:
                return 1
        rows = log_norm[start:start + m]
        add_logs(total[:m], top[:m], rows)
        if with_factorials:
            for i in range(m):
                rows[i] -= row_terms[i]
        if with_norms:
            row_dot_sums(Y, L, m, B, sums[1:])
        else:
            row_dot_sums(Y[:D], L, m, B, sums[1:], squares)
    return 0


_blocks = kernel(_blocks, reassociate=True, contract=True)


@kernel
def _transpose(X, start, m, shift, Y):
    # Y[d, i] = X[start + i, d] - shift[d] for i < m, by _four_rows up to TILE_FEATURES
    # values per row and by _one_row beyond. Compiled apart from _blocks, without its
    # vector options: with them, the loop over d became scatters, slower.
    line = 64 // X.itemsize  # values per cache line, and lines per row
    lines = (X.shape[1] + line - 1) // line  # once: as a range's step, a division per row
    if X.shape[1] <= TILE_FEATURES:
        _four_rows(X, start, m, shift, Y, lines, line)
    else:
        _one_row(X, start, m, shift, Y, lines, line)


@inline_kernel
def _ask_ahead(X, row, lines, line):
    # Ask for every cache line of the row PREFETCH_ROWS after ``row`` (the next block's
    # first rows too), if there is one.
    ahead = row + PREFETCH_ROWS
    if ahead < X.shape[0]:
        for j in range(lines):
            prefetch(X, ahead, j * line)


@kernel
def _four_rows(X, start, m, shift, Y, lines, line):
    # Four rows at a time: the four values of a column go to neighbouring places of Y,
    # which the compiler stores together.
    D = X.shape[1]
    m4 = m - m % 4
    for i in range(0, m4, 4):
        row = start + i
        for r in range(4):
            _ask_ahead(X, row + r, lines, line)
        for d in range(D):
            centre = shift[d]
            Y[d, i] = X[row, d] - centre
            Y[d, i + 1] = X[row + 1, d] - centre
            Y[d, i + 2] = X[row + 2, d] - centre
            Y[d, i + 3] = X[row + 3, d] - centre
    for i in range(m4, m):
        for d in range(D):
            Y[d, i] = X[start + i, d] - shift[d]


@kernel
def _one_row(X, start, m, shift, Y, lines, line):
    D = X.shape[1]
    for i in range(m):
        _ask_ahead(X, start + i, lines, line)
        for d in range(D):
            Y[d, i] = X[start + i, d] - shift[d]
