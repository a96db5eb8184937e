"""The observed-data E-step compiled: one pass over the rows with missing entries.

With numba installed, a row's work is done where its numbers are: the products ``u_M``
of its ``m`` missing features, the Cholesky factor of its ``(m, m)`` block ``S`` of each
precision, one solve, and then its weighted moments, with no grouping, no gathers and
no temporary arrays per group. The missing entries are kept row by row (CSR): row ``i``
of ``order`` has its missing features at ``cols[indptr[i]:indptr[i + 1]]``, their
conditional means (minus the shift) in the same rows of ``fill``, and its conditional
covariance blocks, flattened, at ``cov[cov_ptr[i]:cov_ptr[i + 1]]``. The components are
the last, contiguous axis of every array and every inner loop runs over them, so the
small Cholesky factorizations and solves run as vector instructions over the components
instead of as chains of dependent scalar divisions. See :mod:`.missing` for the formulas.
"""

import math

import numpy as np

from emkit._compiled import inline_kernel, kernel
from emkit.families.gaussian._linalg import LOG_2PI

__all__ = ["accumulate_missing", "complete_rows", "observed_terms", "split_missing"]


@inline_kernel
def _block_inverse(P, pair_det, log_det_table, cols, start, m, L, inv, prod, cov, offset,
                   log_det):
    # cov[offset + a * m + b, k] = (P[M, M, k])^{-1}[a, b] and log_det[k] = log det
    # P[M, M, k] for the m missing features M at cols[start:start + m], every loop
    # innermost over the components k so that it runs as vector instructions. Sizes 1
    # and 2 take their determinants' logs from a table (its diagonal holds log P[c, c]);
    # larger ones go through the Cholesky factor L and its inverse (workspaces).
    K = P.shape[2]
    if m == 1:
        c = cols[start]
        for k in range(K):
            cov[offset, k] = 1.0 / P[c, c, k]
            log_det[k] = log_det_table[c, c, k]
        return
    if m == 2:
        a, b = cols[start], cols[start + 1]
        for k in range(K):
            det = pair_det[a, b, k]
            cov[offset, k], cov[offset + 3, k] = P[b, b, k] / det, P[a, a, k] / det
            cov[offset + 1, k] = cov[offset + 2, k] = -P[a, b, k] / det
            log_det[k] = log_det_table[a, b, k]
        return
    log_det[:] = 0.0
    prod[:] = 1.0
    for a in range(m):
        for b in range(a + 1):
            value = L[a, b]
            for k in range(K):
                value[k] = P[cols[start + a], cols[start + b], k]
            for c in range(b):
                for k in range(K):
                    value[k] -= L[a, c, k] * L[b, c, k]
            if a == b:
                for k in range(K):
                    prod[k] *= value[k]
                    value[k] = math.sqrt(value[k])
            else:
                for k in range(K):
                    value[k] /= L[b, b, k]
        if a % 8 == 7 or a == m - 1:  # a product of at most 8 pivots cannot overflow
            for k in range(K):
                log_det[k] += math.log(prod[k])
                prod[k] = 1.0
    for a in range(m):  # inv = L^{-1}, lower triangular
        for k in range(K):
            inv[a, a, k] = 1.0 / L[a, a, k]
        for b in range(a):
            entry = inv[a, b]
            entry[:] = 0.0
            for c in range(b, a):
                for k in range(K):
                    entry[k] -= L[a, c, k] * inv[c, b, k]
            for k in range(K):
                entry[k] *= inv[a, a, k]
    for a in range(m):  # S^{-1} = L^{-T} L^{-1}
        for b in range(a + 1):
            lower, upper = cov[offset + a * m + b], cov[offset + b * m + a]
            lower[:] = 0.0
            for c in range(a, m):
                for k in range(K):
                    lower[k] += inv[c, a, k] * inv[c, b, k]
            upper[:] = lower


@kernel
def _observed(centred, order, indptr, cols, precisions, pair_det, log_det_table, linear,
              log_2pi, correction, fill, cov, cov_ptr, most_missing):
    # precisions is (D, D, K), or (D, D, 1) when shared: then the blocks, their inverses
    # and the products Lambda z are computed once per row, not once per component.
    D, K = linear.shape
    n_precisions = precisions.shape[2]
    shared = n_precisions == 1
    L = np.empty((most_missing, most_missing, n_precisions))
    inv = np.empty((most_missing, most_missing, n_precisions))
    prod, log_det = np.empty(n_precisions), np.empty(n_precisions)
    u, quad = np.empty((D, K)), np.empty(K)
    for i in range(len(order)):
        row, start, m = order[i], indptr[i], indptr[i + 1] - indptr[i]
        offset = cov_ptr[i]
        _block_inverse(precisions, pair_det, log_det_table, cols, start, m, L, inv, prod,
                       cov, offset, log_det)
        for a in range(m):  # u = Lambda z - linear on the missing features
            ca = cols[start + a]
            if shared:
                total = 0.0
                for d in range(D):
                    total += precisions[ca, d, 0] * centred[row, d]
                for k in range(K):
                    u[a, k] = total - linear[ca, k]
            else:
                for k in range(K):
                    u[a, k] = -linear[ca, k]
                for d in range(D):
                    z = centred[row, d]
                    for k in range(K):
                        u[a, k] += precisions[ca, d, k] * z
        quad[:] = 0.0
        for a in range(m):  # fill = -S^{-1} u, quad = u^T S^{-1} u
            entry = fill[start + a]
            entry[:] = 0.0
            for b in range(m):
                if shared:
                    value = cov[offset + a * m + b, 0]
                    for k in range(K):
                        entry[k] -= value * u[b, k]
                else:
                    for k in range(K):
                        entry[k] -= cov[offset + a * m + b, k] * u[b, k]
            for k in range(K):
                quad[k] -= u[a, k] * entry[k]
        for k in range(K):
            correction[i, k] = 0.5 * (m * log_2pi - log_det[0 if shared else k] + quad[k])


@kernel
def _accumulate(centred, W, order, indptr, cols, fill, cov, cov_ptr, first, cross, block):
    # A shared conditional covariance (cov has one column) is added once per row, with
    # the row's total weight, to component 0 of block: the caller pools the components.
    K, D = W.shape[1], centred.shape[1]
    shared = cov.shape[1] == 1
    weighted = np.empty(K)
    for i in range(len(order)):
        row, start, m = order[i], indptr[i], indptr[i + 1] - indptr[i]
        offset = cov_ptr[i]
        total_weight = 0.0
        if shared:
            for k in range(K):
                total_weight += W[row, k]
        for a in range(m):
            ca = cols[start + a]
            for k in range(K):
                weighted[k] = W[row, k] * fill[start + a, k]
                first[ca, k] += weighted[k]
            for d in range(D):
                z = centred[row, d]
                for k in range(K):
                    cross[ca, d, k] += weighted[k] * z
            for b in range(m):
                cb = cols[start + b]
                for k in range(K):
                    block[ca, cb, k] += weighted[k] * fill[start + b, k]
                if shared:
                    block[ca, cb, 0] += total_weight * cov[offset + a * m + b, 0]
                else:
                    for k in range(K):
                        block[ca, cb, k] += W[row, k] * cov[offset + a * m + b, k]


@kernel
def _split(X, shift, filled, rows, mask, centred):
    # One pass over the chunk: filled copy, and the rows with NaN; returns their number.
    n, D = X.shape
    count = 0
    for i in range(n):
        found = False
        for d in range(D):
            value = X[i, d]
            if math.isnan(value):
                filled[i, d] = shift[d]
                found = True
            else:
                filled[i, d] = value
        if found:
            rows[count] = i
            for d in range(D):
                value = X[i, d]
                mask[count, d] = math.isnan(value)
                centred[count, d] = 0.0 if mask[count, d] else value - shift[d]
            count += 1
    return count


def split_missing(X, shift):
    """As :func:`.missing.split_missing`."""
    n, D = X.shape
    X = np.ascontiguousarray(X)
    filled, rows = np.empty_like(X), np.empty(n, dtype=np.intp)
    mask, centred = np.empty((n, D), dtype=np.bool_), np.empty((n, D))
    count = _split(X, np.asarray(shift, dtype=np.float64), filled, rows, mask, centred)
    return filled, rows[:count], mask[:count], centred[:count]


@kernel
def _missing_entries(mask, order, indptr, cov_ptr, cols):
    # Fills the layout for the rows with something observed; returns their number.
    n, D = mask.shape
    count = 0
    for row in range(n):
        m = 0
        for d in range(D):
            if mask[row, d]:
                cols[indptr[count] + m] = d
                m += 1
        if m < D:
            order[count] = row
            indptr[count + 1] = indptr[count] + m
            cov_ptr[count + 1] = cov_ptr[count] + m * m
            count += 1
    return count


def _small_determinants(precisions):
    # det P[{a, b}, {a, b}, k] for every pair, and its log, with log P[c, c, k] on the
    # diagonal: rows missing one or two entries (most of them) need no log of their own.
    diagonal = np.diagonal(precisions).T
    pair_det = diagonal[:, None] * diagonal[None, :] - precisions**2
    log_det = np.log(np.where(pair_det > 0, pair_det, 1.0))
    index = np.arange(precisions.shape[0])
    log_det[index, index] = np.log(diagonal)
    return pair_det, log_det


def observed_terms(centred, mask, precisions, linear):
    """As :func:`.missing.observed_terms`; the terms are ``(order, indptr, cols, fill,
    cov, cov_ptr)``, the layout the module docstring describes.
    """
    n, D = mask.shape
    K = len(linear)
    # Components on the last axis; a shared precision has one.
    stacked = np.ascontiguousarray(precisions.T if precisions.ndim == 3
                                   else precisions[..., None], dtype=np.float64)
    order, indptr, cov_ptr = (np.zeros(n + 1, dtype=np.intp) for _ in range(3))
    cols = np.empty(n * D, dtype=np.intp)
    count = _missing_entries(np.ascontiguousarray(mask), order, indptr, cov_ptr, cols)
    order, indptr, cov_ptr = order[:count], indptr[:count + 1], cov_ptr[:count + 1]
    cols = cols[:indptr[-1]]
    correction, fill = np.empty((len(order), K)), np.empty((indptr[-1], K))
    cov = np.empty((cov_ptr[-1], stacked.shape[2]))
    pair_det, log_det_table = _small_determinants(stacked)
    _observed(np.ascontiguousarray(centred, dtype=np.float64), order, indptr, cols, stacked,
              pair_det, log_det_table, np.ascontiguousarray(linear.T, dtype=np.float64),
              LOG_2PI, correction, fill, cov, cov_ptr, int(np.diff(indptr).max(initial=0)))
    return correction, order, (order, indptr, cols, fill, cov, cov_ptr)


def accumulate_missing(terms, centred, W, shared):
    """As :func:`.missing.accumulate_missing`, on the rows with NaN: ``W`` holds their
    weights (float64) and ``centred`` the rows.
    """
    order, indptr, cols, fill, cov, cov_ptr = terms
    K, D = W.shape[1], centred.shape[1]
    first, cross, block = np.zeros((D, K)), np.zeros((D, D, K)), np.zeros((D, D, K))
    _accumulate(np.ascontiguousarray(centred, dtype=np.float64),
                np.ascontiguousarray(W, dtype=np.float64), order, indptr, cols, fill, cov,
                cov_ptr, first, cross, block)
    second = (cross + cross.transpose(1, 0, 2) + block).transpose(2, 0, 1)
    first = first.T
    return first, second.sum(axis=0) if shared else second


def complete_rows(centred, mask, means, terms):
    """As :func:`.missing.complete_rows`."""
    order, indptr, cols, fill, _, _ = terms
    out = np.repeat(centred[:, None, :], len(means), axis=1)
    out[mask.all(axis=1)] = means
    out[np.repeat(order, np.diff(indptr)), :, cols] = fill
    return out
