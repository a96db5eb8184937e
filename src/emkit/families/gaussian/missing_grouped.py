"""The observed-data E-step without a compiler: rows grouped by their number of missing entries.

The missing entries' products ``u_M`` are one matrix product per feature, and the small
blocks ``S`` are inverted in batches: rows are grouped by their number ``m`` of missing
entries, not by pattern, and the ``(m, m)`` blocks of a group are inverted together, once
per distinct pattern when the group is large enough for patterns to repeat and once per
row otherwise. The loops run over ``m``, the features, the pivots and the components,
never over rows or patterns. See :mod:`.missing` for the formulas.
"""

import math
from dataclasses import dataclass

import numpy as np

from emkit.families.gaussian._linalg import LOG_2PI

__all__ = ["MissingGroup", "accumulate_missing", "complete_rows", "observed_terms",
           "spd_inverse", "split_missing"]


@dataclass
class MissingGroup:
    """The rows of a chunk with the same number ``m`` of missing entries.

    Parameters
    ----------
    index : ndarray of shape (n_rows,)
        Positions of the rows among the chunk's rows with missing entries.
    missing : ndarray of shape (n_rows, m)
        Indices of the missing features of each row, increasing.
    fill : ndarray of shape (m, n_rows, n_components)
        Conditional means of the missing entries under each component, minus the shift.
    pattern : ndarray of shape (n_rows,) or None
        Which of the group's distinct missing patterns each row has; None when every
        row counts as its own pattern (``n_patterns = n_rows``).
    cov : ndarray of shape (m, m, n_patterns, n_components) or (m, m, n_patterns, 1)
        Conditional covariance of the missing entries of each pattern (one per pattern
        when the precision is shared).
    pairs : ndarray of shape (m * m, n_patterns)
        Flat positions ``d * n_features + e`` of each pattern's block in a (D, D) matrix.
    """

    index: np.ndarray
    missing: np.ndarray
    fill: np.ndarray
    pattern: np.ndarray
    cov: np.ndarray
    pairs: np.ndarray


def split_missing(X, shift):
    """As :func:`.missing.split_missing`."""
    mask = np.isnan(X)
    rows = np.flatnonzero(mask.any(axis=1))
    filled = np.where(mask, shift.astype(X.dtype), X)
    mask = mask[rows]
    centred = np.where(mask, shift, X[rows]) - shift
    return filled, rows, mask, centred


def spd_inverse(S):
    """Return the inverses and log-determinants of a batch of small SPD matrices.

    The batch runs over the trailing axes, so that every entry of the matrices is one
    contiguous array. Sizes 1 and 2 have closed forms. Larger ones take Gauss-Jordan
    elimination, one array operation per pivot over the whole batch, unless the batch
    is so small that one LAPACK call per matrix is quicker.

    Parameters
    ----------
    S : ndarray of shape (m, m, ...)
        Symmetric positive-definite matrices.

    Returns
    -------
    inverse : ndarray of shape (m, m, ...)
    log_det : ndarray of shape (...)
    """
    m, batch = S.shape[0], S.shape[2:]
    if m == 1:
        return 1.0 / S, np.log(S[0, 0])
    if m == 2:
        a, b, c = S[0, 0], S[0, 1], S[1, 1]
        det = a * c - b * b
        inverse = np.empty_like(S)
        inverse[0, 0], inverse[1, 1] = c / det, a / det
        inverse[0, 1] = inverse[1, 0] = -b / det
        return inverse, np.log(det)
    if np.prod(batch, dtype=int) < 2 * m:
        stacked = np.moveaxis(S.reshape(m, m, -1), 2, 0)
        inverse = np.moveaxis(np.linalg.inv(stacked), 0, 2).reshape(S.shape)
        return inverse, np.linalg.slogdet(stacked)[1].reshape(batch)
    return _gauss_jordan_inverse(S)


def _gauss_jordan_inverse(S):
    # In-place Gauss-Jordan elimination, every pivot one update of all (m, m, ...) entries;
    # the pivots of an SPD matrix are positive and their logs sum to log det S.
    inverse = S.copy()
    log_det = np.zeros(S.shape[2:])
    for k in range(len(S)):
        pivot = inverse[k, k].copy()
        log_det += np.log(pivot)
        column = inverse[:, k].copy()
        column[k] = 0.0
        inverse[:, k] = 0.0
        inverse[k, k] = 1.0
        inverse[k] /= pivot
        inverse -= column[:, None] * inverse[k][None, :]
    return inverse, log_det


def _product(matrix, vector):
    # (m, m, ...) times (m, ...), entry by entry for small m.
    m = len(vector)
    if m > 3:
        return np.einsum("ab...,b...->a...", matrix, vector)
    out = []
    for a in range(m):
        total = matrix[a, 0] * vector[0]
        for b in range(1, m):
            total += matrix[a, b] * vector[b]
        out.append(total)
    return np.stack(out)


def _patterns(M, n_features):
    # The distinct rows of M and which one each row is, or (M, None) when the group is
    # too small next to the number of possible patterns for repeats to be worth finding.
    size, m = M.shape
    if 2 * math.comb(n_features, m) > size:
        return M, None
    if n_features**m <= 8 * size:
        codes = M @ (n_features ** np.arange(m))
        present = np.bincount(codes, minlength=n_features**m) > 0
        first = np.empty(n_features**m, dtype=np.intp)
        first[codes[::-1]] = np.arange(size)[::-1]
        pattern = (np.cumsum(present) - 1)[codes]
        return M[first[present]], pattern
    if m * np.log2(n_features) < 62:
        codes = M @ (n_features ** np.arange(m, dtype=np.int64))
        _, first, pattern = np.unique(codes, return_index=True, return_inverse=True)
        return M[first], pattern.ravel()
    patterns, pattern = np.unique(M, axis=0, return_inverse=True)
    return patterns, pattern.ravel()


def _per_row(values, pattern, axis):
    return values if pattern is None else np.take(values, pattern, axis=axis)


def observed_terms(centred, mask, precisions, linear):
    """As :func:`.missing.observed_terms`; the terms are ``(groups, entries)``: the
    conditional moments by number of missing entries (:class:`MissingGroup`), and the
    missing entries feature by feature: their rows, the bounds of each feature's run,
    each entry's row in the last item, the ``(n_entries, n_components)`` conditional
    means (minus the shift) that the groups' ``fill`` are views of.
    """
    n, D = centred.shape
    K = len(linear)
    stacked = precisions[None] if precisions.ndim == 2 else precisions
    counts = mask.sum(axis=1)
    counts[counts == D] = 0
    kept = mask & (counts > 0)[:, None]
    flat = np.flatnonzero(np.ascontiguousarray(kept.T))
    entry_cols, entry_rows = np.divmod(flat, n)
    bounds = np.searchsorted(entry_cols, np.arange(D + 1))
    ids = np.empty(D * n, dtype=np.intp)
    ids[flat] = np.arange(len(flat))
    columns = np.ascontiguousarray(stacked.transpose(2, 1, 0))
    u = np.empty((len(flat), K))
    for c in range(D):
        if bounds[c + 1] > bounds[c]:
            rows = np.take(centred, entry_rows[bounds[c]:bounds[c + 1]], axis=0)
            u[bounds[c]:bounds[c + 1]] = rows @ columns[c] - linear[:, c]
    missing_cols = np.flatnonzero(kept) % D
    starts = np.cumsum(counts) - counts
    order = np.argsort(counts.astype(np.int16), kind="stable")
    sizes = np.concatenate([[0], np.cumsum(np.bincount(counts, minlength=D))])
    order = order[sizes[1]:]
    correction, groups = np.empty((len(order), K)), []
    fill, slot = np.empty_like(u), np.empty(len(flat), dtype=np.intp)
    flat_precisions = stacked.reshape(len(stacked), D * D).T
    offset = 0
    for m in range(1, D):
        if sizes[m + 1] == sizes[m]:
            continue
        index = order[sizes[m] - sizes[1]:sizes[m + 1] - sizes[1]]
        size = len(index)
        M = missing_cols[starts[index][:, None] + np.arange(m)]
        position = ids[M.T * n + index]
        slot[position.ravel()] = np.arange(offset, offset + m * size)
        patterns, pattern = _patterns(M, D)
        pairs = (patterns.T[:, None] * D + patterns.T[None, :]).reshape(m * m, -1)
        blocks = np.take(flat_precisions, pairs, axis=0).reshape(m, m, len(patterns), -1)
        cov, log_det = spd_inverse(blocks)
        u_m = np.take(u, position, axis=0)
        solved = _product(_per_row(cov, pattern, 2), u_m)
        quad = (u_m * solved).sum(axis=0)
        rows = slice(sizes[m] - sizes[1], sizes[m + 1] - sizes[1])
        correction[rows] = 0.5 * (m * LOG_2PI - _per_row(log_det, pattern, 0) + quad)
        group_fill = fill[offset:offset + m * size].reshape(m, size, K)
        np.negative(solved, out=group_fill)
        groups.append(MissingGroup(index, M, group_fill, pattern, cov, pairs))
        offset += m * size
    return correction, order, (groups, (entry_rows, bounds, slot, fill))


def complete_rows(centred, mask, means, terms):
    """As :func:`.missing.complete_rows`."""
    D, K = centred.shape[1], len(means)
    out = np.repeat(centred[:, None, :], K, axis=1)
    out[mask.all(axis=1)] = means
    for group in terms[0]:
        flat = ((group.index[None, :, None] * K + np.arange(K)) * D
                + group.missing.T[:, :, None])
        out.reshape(-1)[flat] = group.fill
    return out


def accumulate_missing(terms, centred, W, shared):
    """As :func:`.missing.accumulate_missing`, on the rows with NaN: ``W`` holds their
    weights (float64) and ``centred`` the rows.
    """
    D, K = centred.shape[1], W.shape[1]
    groups, (entry_rows, bounds, slot, fill) = terms
    first, second = np.zeros((K, D)), np.zeros((K, D, D))
    for c in range(D):
        if bounds[c + 1] > bounds[c]:
            rows = entry_rows[bounds[c]:bounds[c + 1]]
            weighted = np.take(W, rows, axis=0)
            weighted *= np.take(fill, slot[bounds[c]:bounds[c + 1]], axis=0)
            first[:, c] = weighted.sum(axis=0)
            second[:, :, c] = weighted.T @ np.take(centred, rows, axis=0)
    second += second.transpose(0, 2, 1)
    block = np.zeros((K, D * D))
    for group in groups:
        f, w, pairs = group.fill, np.take(W, group.index, axis=0), group.pairs
        moments = f[:, None] * f[None, :]
        if group.pattern is None:
            moments += group.cov
        moments *= w
        _scatter_blocks(block, moments, pairs if group.pattern is None
                        else np.take(pairs, group.pattern, axis=1))
        if group.pattern is not None:
            pattern_weight = np.stack([
                np.bincount(group.pattern, w[:, k], minlength=pairs.shape[1])
                for k in range(K)], axis=1)
            _scatter_blocks(block, group.cov * pattern_weight, pairs)
    second += block.reshape(K, D, D)
    return first, second.sum(axis=0) if shared else second


def _scatter_blocks(block, values, pairs):
    # block[k, pairs] += values[..., k], summing repeats; values is (m, m, n, K).
    K = values.shape[-1]
    values = np.ascontiguousarray(values.reshape(-1, K).T)
    pairs = pairs.ravel()
    for k in range(K):
        block[k] += np.bincount(pairs, values[k], minlength=block.shape[1])
