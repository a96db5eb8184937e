"""Responsibilities from log-densities: the mixture E-step's normalization, in one pass.

``r_ik = exp(l_ik - logsumexp_k l_ik)`` with ``l_ik = log p(x_i | k) + log w_k``. A
responsibility whose value would fall below the dtype's smallest normal number is set to
exactly zero: it changes no statistic at the precision kept, and a subnormal operand sends
the matrix products of the M-step statistics onto a slow path on many processors (tens of
times slower on Intel cores). The threshold leaves room for the division by the row sum
(at most ``K``), so no value that survives becomes subnormal either.

Two implementations with one result: a compiled row loop (numba, the ``fast`` extra),
which reads and writes each entry once, and numpy passes otherwise. ``BACKEND`` chooses;
the tests run both.
"""

from functools import lru_cache
from math import factorial

import numpy as np

from emkit._compiled import (HAVE_NUMBA, bits_float, float_bits, inline_kernel, kernel,
                              polynomial_kernel, reduction_kernel, vector_kernel)
from emkit._products import column_totals

__all__ = ["BACKEND", "add_logs", "block_scale", "block_top", "clamp_labels",
           "flush_subnormal", "log_normalize", "normalize_threshold"]

#: The implementation in use: "compiled" (numba) or "numpy".
BACKEND = "compiled" if HAVE_NUMBA else "numpy"


@lru_cache(maxsize=64)
def normalize_threshold(dtype, n_components):
    """Return the log-ratio to a row's maximum below which a responsibility is zero.

    Parameters
    ----------
    dtype : numpy.dtype
        The dtype the responsibilities are computed in.
    n_components : int
        Number of components (the largest possible row sum).

    Returns
    -------
    threshold : float
        ``log(tiny * K)``, with ``tiny`` the smallest normal number of ``dtype``, raised
        by a few rounding errors of ``dtype`` (those of the exp and of the division) and
        rounded up to a number of ``dtype``, in which the kernels compare.
    """
    info = np.finfo(dtype)
    value = float(np.log(float(info.tiny)) + np.log(max(int(n_components), 1)))
    value += 8 * float(info.eps) * abs(value)
    rounded = info.dtype.type(value)
    if float(rounded) < value:
        rounded = np.nextafter(rounded, info.dtype.type(0))
    return float(rounded)


def flush_subnormal(values):
    """Set, in place, every entry below the smallest normal number of its dtype to zero.

    Parameters
    ----------
    values : ndarray of float
        Non-negative values (weighted responsibilities, posteriors).

    Returns
    -------
    values : ndarray
        The same array.
    """
    np.copyto(values, 0, where=values < np.finfo(values.dtype).tiny)
    return values


def log_normalize(log_prob, log_weights=None, sums=None):
    """Turn log-densities into responsibilities in place; return the row normalizers.

    Parameters
    ----------
    log_prob : ndarray of shape (n_samples, n_components)
        ``log p(x_i | k)`` (or already ``log w_k + log p(x_i | k)`` when ``log_weights``
        is None); overwritten with the responsibilities, which hold no subnormal value.
    log_weights : ndarray of shape (n_components,), default=None
        ``log w_k``, added to each row first; None adds nothing.
    sums : ndarray of shape (n_components,), default=None
        float64; when given, the responsibilities of each component are added to it
        (the E-step's ``sum_i r_ik``, taken in the same pass).

    Returns
    -------
    log_norm : ndarray of shape (n_samples,)
        ``log sum_k exp(log w_k + log_prob[i, k])`` in float64; exactly 0 for a row
        whose log-densities are all 0 (a row with nothing observed), as the weights sum
        to one. A row whose largest term is not finite gets that term (``-inf`` for a row
        impossible under every component) and responsibilities of NaN.
    """
    K = log_prob.shape[1]
    if log_weights is None:
        log_weights = np.zeros(K)
    log_weights = np.asarray(log_weights, dtype=log_prob.dtype)
    threshold = normalize_threshold(log_prob.dtype.type, K)
    sums = np.zeros(K) if sums is None else sums
    if BACKEND == "compiled" and log_prob.flags.c_contiguous:
        return _normalize_rows(log_prob, log_weights, threshold, sums)
    if BACKEND == "compiled" and log_prob.flags.f_contiguous:
        # Families whose product gives (K, n) return its transpose: run along the rows
        # of that array, the layout in which each pass is a vector loop over samples.
        top, certain, special, total = _normalize_columns(
            log_prob.T, log_weights, log_prob.dtype.type(threshold), sums)
        return _log_norm(top, certain, special, total)
    log_norm = _normalize_numpy(log_prob, log_weights, threshold)
    sums += column_totals(log_prob)
    return log_norm


def _normalize_numpy(log_prob, log_weights, threshold):
    certain = ~log_prob.any(axis=1)
    log_prob += log_weights
    top = log_prob.max(axis=1)
    finite = np.isfinite(top)
    safe_top = np.where(finite, top, 0.0).astype(log_prob.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        log_prob -= safe_top[:, None]
        np.copyto(log_prob, -np.inf, where=log_prob < threshold)
        np.exp(log_prob, out=log_prob)
        total = log_prob.sum(axis=1, dtype=np.float64)
        np.divide(log_prob, total[:, None], out=log_prob, casting="same_kind")
        with np.errstate(divide="ignore"):
            log_norm = safe_top.astype(np.float64) + np.log(total)
    log_norm[certain] = 0.0
    return np.where(finite, log_norm, top.astype(np.float64))


def _normalize_rows(log_prob, log_weights, threshold, sums):
    # Log-densities stored (n, K): three compiled passes, with numpy's exp between them
    # for float64 (a little faster than the compiled one, benchmarks/profile_exp.py; only
    # the blocks of _normalize_columns need an exp callable from compiled code).
    top, certain, special = _shift_rows(log_prob, log_weights, log_prob.dtype.type(threshold))
    if log_prob.dtype == np.float32:
        # log_prob is C-contiguous, so its ravel is a view and the exp lands in place;
        # the marks of the terms below the threshold (_BELOW) are above it.
        _exp32_values(log_prob.ravel(), np.float32(threshold))
    else:
        np.exp(log_prob, out=log_prob)
    return _log_norm(top, certain, special, _scale_rows(log_prob, sums))


def _log_norm(top, certain, special, total):
    # Each total is at least 1 (the largest term's exp) or NaN (a row holding a NaN, or
    # whose largest term is not finite): neither the log nor the sum can warn.
    log_norm = np.log(total, dtype=np.float64)
    log_norm += top
    if special:
        # A row impossible under every component keeps -inf; a row of zero log-densities
        # has log-density 0 exactly.
        np.copyto(log_norm, top, where=top == -np.inf)
        np.copyto(log_norm, 0.0, where=certain)
    return log_norm


#: What the compiled shift writes in place of a term below the threshold: its exp, e,
#: is above every true term's (at most 1), and the scaling pass reads it as 0. numpy's
#: vector exp leaves its fast path for -inf or an underflowing float64 argument (5 to 96
#: times slower per value, benchmarks/profile_exp.py), which a term far below the row's
#: largest is.
_BELOW = 1.0


#: float32 constants of _exp32: log2(e); ln 2 in two parts, the first exact with few
#: bits, so that k ln 2 is exact for the k that occur; the Taylor coefficients 1/n! of
#: exp, n = 0 to 7.
_LOG2E = np.float32(1.4426950408889634)
_LN2_HIGH, _LN2_LOW = np.float32(0.693359375), np.float32(-2.12194440e-4)
_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7 = (np.float32(1.0 / factorial(n)) for n in range(8))
#: The same for _exp64: ln 2 in two parts (the first with 32 zero bits at its end), the
#: coefficients 1/n!, n = 0 to 13.
_LN2_HIGH64, _LN2_LOW64 = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_COEFFICIENTS64 = tuple(1.0 / factorial(n) for n in range(14))
#: 1.5 times 2 to the number of fraction bits: added to a float of magnitude below
#: 2^22 (float32) or 2^51 (float64), it rounds it to the nearest integer k, whose bits
#: are then the low bits of the sum, from which 2^k's exponent is made without a
#: conversion to an integer.
_ROUND32, _ROUND64 = np.float32(1.5 * 2.0**23), 1.5 * 2.0**52
#: The log of each dtype's smallest normal number, rounded up: the exps raise a lower
#: threshold to it, so that 2^k, made from k's bits, is always a normal number.
_LOWEST32 = np.nextafter(np.float32(np.log(np.finfo(np.float32).tiny)), np.float32(0))
_LOWEST64 = float(np.nextafter(np.log(np.finfo(np.float64).tiny), 0.0))
#: Values per block of _normalize_columns's samples: the K terms of a block stay in the
#: core's first two cache levels.
_EXP_BLOCK = 1024


@inline_kernel
def _exp32(v, threshold):
    # exp(v) of a float32 v at most 1 (a shifted term, at most 0, or the mark _BELOW) or
    # NaN: 0 for v below ``threshold``, raised to _LOWEST32 when lower (normalize_threshold
    # is above it; the compiler lifts the test out of the caller's loop), so that 2^k
    # is normal. v = k ln 2 + r with
    # |r| <= ln 2 / 2, k by _ROUND32; exp(r) is a degree-7 Taylor polynomial, accurate to
    # 6e-9 there, and 2^k is made from k's bits (float_bits, bits_float: bit casts that
    # keep the loop a vector loop). Within 2 units in the last place (numpy's float32
    # exp: 3).
    threshold = threshold if threshold > _LOWEST32 else _LOWEST32
    kept = not v < threshold  # NaN too: its result stays NaN
    v = v if kept else np.float32(0.0)
    rounded = v * _LOG2E + _ROUND32
    k = rounded - _ROUND32
    r = (v - k * _LN2_HIGH) - k * _LN2_LOW
    r2 = r * r
    value = (((_C0 + _C1 * r) + (_C2 + _C3 * r) * r2)
             + ((_C4 + _C5 * r) + (_C6 + _C7 * r) * r2) * (r2 * r2))
    power = bits_float(np.int32((float_bits(rounded) + 127) << 23))
    return value * power if kept else np.float32(0.0)


@inline_kernel
def _exp64(v, threshold):
    # _exp32 for a float64 v, its threshold raised to _LOWEST64: a degree-13 Taylor polynomial (accurate to 4e-18 for |r| <= ln 2 / 2);
    # within 1 unit in the last place (numpy's exp: 0.7).
    c0, _, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13 = _COEFFICIENTS64
    threshold = threshold if threshold > _LOWEST64 else _LOWEST64
    kept = not v < threshold
    v = v if kept else 0.0
    rounded = v * 1.4426950408889634 + _ROUND64
    k = rounded - _ROUND64
    r = (v - k * _LN2_HIGH64) - k * _LN2_LOW64
    r2 = r * r
    r4 = r2 * r2
    # 1 + r + r^2 (1/2 + r/6 + ...): the leading terms added last, rounded once.
    tail = ((((c2 + c3 * r) + (c4 + c5 * r) * r2)
             + ((c6 + c7 * r) + (c8 + c9 * r) * r2) * r4)
            + ((c10 + c11 * r) + (c12 + c13 * r) * r2) * (r4 * r4))
    value = c0 + (r + r2 * tail)
    power = bits_float((float_bits(rounded) + np.int64(1023)) << np.int64(52))
    return value * power if kept else 0.0


@polynomial_kernel
def _exp32_values(values, threshold):
    # exp, in place, of float32 values at most 1 or NaN; 0 for a value below
    # ``threshold`` (_exp32), in less of numpy's time (benchmarks/profile_exp.py).
    for i in range(values.shape[0]):
        values[i] = _exp32(values[i], threshold)


@polynomial_kernel
def _add_exps(values, weight, top, threshold, total):
    # values[i] = exp((values[i] + weight) - top[i]), 0 below ``threshold``, added to
    # total[i]: the exp of _exp32 (or _exp64 for float64) with the shift; the compiled
    # exp of the block normalization. Compiled apart from its reducing callers, whose
    # reordering of sums would undo the exp's two-part reduction.
    if values.itemsize == 4:
        for i in range(values.shape[0]):
            value = _exp32((values[i] + weight) - top[i], threshold)
            values[i] = value
            total[i] += value
    else:
        for i in range(values.shape[0]):
            value = _exp64((values[i] + weight) - top[i], threshold)
            values[i] = value
            total[i] += value


#: float64 constants of _log64: the coefficients of its polynomial in s^2 (fdlibm's
#: minimax fit of (log(1 + f) - 2 s) / s - s^2 ... for |s| <= 0.1716), and sqrt(2).
_LG1, _LG2, _LG3, _LG4 = (6.666666666666735130e-01, 3.999999999940941908e-01,
                          2.857142874366239149e-01, 2.222219843214978396e-01)
_LG5, _LG6, _LG7 = (1.818357216161805012e-01, 1.531383769920937332e-01,
                    1.479819860511658591e-01)
_SQRT2 = 1.4142135623730951
#: The exponent field of 1.0, and the mask of the fraction bits of a float64.
_ONE_BITS, _FRACTION = np.int64(0x3FF0000000000000), np.int64(0x000FFFFFFFFFFFFF)


@inline_kernel
def _log64(x):
    # log(x) of a positive normal finite float64 x (a row's sum of exps, at least 1),
    # NaN for NaN, without a branch or a call, so that a loop of it is a vector loop:
    # x = 2^e m with m in [sqrt(2)/2, sqrt(2)) (the exponent and the fraction read from
    # x's bits), f = m - 1, s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))
    # with R a degree-7 polynomial; e ln 2 added in two parts. Within 1 unit in the last
    # place.
    bits = float_bits(x)
    m = bits_float((bits & _FRACTION) | _ONE_BITS)
    e = np.float64((bits >> np.int64(52)) - np.int64(1023))
    high = m > _SQRT2
    m = m * 0.5 if high else m
    e = e + 1.0 if high else e
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = (z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
         + w * (_LG2 + w * (_LG4 + w * _LG6)))
    half = 0.5 * f * f
    value = e * _LN2_HIGH64 - ((half - (s * (half + r) + e * _LN2_LOW64)) - f)
    return value if x == x else x


@polynomial_kernel
def add_logs(total, top, out):
    """Write ``top + log(total)`` of each sample into ``out``, in float64.

    The log normalizer of the samples of a block (:func:`block_scale`'s sums of exps
    and :func:`block_top`'s largest terms), by a compiled log that runs as a vector loop
    (numba only; within 1 unit in the last place of the exact log, as numpy's).

    Parameters
    ----------
    total : ndarray of shape (m,)
        Sums of exps: positive normal numbers (each at least 1), float32 or float64.
    top : ndarray of shape (m,)
        Largest terms, in any float dtype.
    out : ndarray of shape (at least m,)
        float64; its first ``m`` entries are written.
    """
    for i in range(total.shape[0]):
        out[i] = np.float64(top[i]) + _log64(np.float64(total[i]))


@inline_kernel
def _kept(value):
    # A shifted term's exp, or 0 where the shift marked it below the threshold; NaN stays.
    return value - value if value > 1 else value


@inline_kernel
def _all_zero(log_prob, i, K, column):
    # Whether row i (column i when ``column``) holds only zeros.
    zero = True
    for k in range(K):
        zero &= (log_prob[k, i] if column else log_prob[i, k]) == 0
    return zero


@vector_kernel
def _shift_rows(log_prob, log_weights, threshold):
    # Subtract each row's largest term (log-weights added) and mark the terms below the
    # threshold with _BELOW; returns the largest terms, which rows had only zero
    # log-densities (their largest term is the largest weight, a cheap first test), and
    # how many rows are such or impossible (largest term -inf). A NaN stays, for the row
    # sum.
    n, K = log_prob.shape
    top = np.empty(n)
    certain = np.zeros(n, dtype=np.bool_)
    heaviest = np.max(log_weights)
    special = 0
    for i in range(n):
        row = log_prob[i]
        largest = -np.inf
        for k in range(K):
            value = row[k] + log_weights[k]
            largest = value if value > largest else largest
        top[i] = largest
        if largest == heaviest:
            certain[i] = _all_zero(log_prob, i, K, False)
        special += certain[i] or largest == -np.inf
        for k in range(K):
            delta = (row[k] + log_weights[k]) - largest
            row[k] = _BELOW if delta < threshold else delta
    return top, certain, special


@reduction_kernel
def _scale_rows(resp, sums):
    # Divide each row's kept terms by their sum (zeroing the marked ones) and add the
    # row to sums; returns the row sums (NaN for a row holding a NaN).
    n, K = resp.shape
    total = np.empty(n, dtype=resp.dtype)
    for i in range(n):
        row = resp[i]
        value = row[0] - row[0]
        for k in range(K):
            value += _kept(row[k])
        total[i] = value
        inverse = 1 / value
        for k in range(K):
            row[k] = _kept(row[k]) * inverse
            sums[k] += row[k]
    return total


@reduction_kernel
def block_top(terms, start, m, log_weights, top):
    """Write the largest term of each of ``m`` samples from ``start`` into ``top``.

    Parameters
    ----------
    terms : ndarray of shape (n_components, n_samples)
        Log-densities stored component by component, one sample per column;
        C-contiguous (its rows' slices then compile to vector loops).
    start, m : int
        The block: ``m`` samples from column ``start``.
    log_weights : ndarray of shape (n_components,)
        Added to each component's terms first (in the dtype of ``terms``).
    top : ndarray of shape (m,)
        Written: ``max_k terms[k, start + i] + log_weights[k]``; a NaN term is passed
        over.
    """
    K = terms.shape[0]
    for i in range(m):
        top[i] = -np.inf
    for k in range(K):
        weight, values = log_weights[k], terms[k, start:start + m]
        for i in range(m):
            value = values[i] + weight
            top[i] = value if value > top[i] else top[i]


@reduction_kernel
def block_scale(terms, start, m, log_weights, top, threshold, total, inverse, sums):
    """Turn ``m`` samples from ``start`` into responsibilities, in place.

    Each term becomes ``exp(term + log_weight - top)`` (0 below ``threshold``, by the
    compiled exp of its dtype), divided by its sample's sum of them.

    Parameters
    ----------
    terms : ndarray of shape (n_components, n_samples)
        As for :func:`block_top`; the block is overwritten.
    start, m : int
        The block: ``m`` samples from column ``start``.
    log_weights : ndarray of shape (n_components,)
        As for :func:`block_top`.
    top : ndarray of shape (m,)
        The largest terms (:func:`block_top`).
    threshold : float
        Below it (after the shift) a responsibility is 0, in the dtype of ``terms``; a
        threshold below the log of the dtype's smallest normal number counts as that log.
    total, inverse : ndarray of shape (m,) and at least (m,)
        Scratch in the dtype of ``terms``; ``total`` is left holding each sample's sum of
        exps (NaN for a sample with a NaN term).
    sums : ndarray of shape (n_components,)
        float64; each component's responsibilities are added to it.
    """
    K = terms.shape[0]
    for i in range(m):
        total[i] = 0
    for k in range(K):
        _add_exps(terms[k, start:start + m], log_weights[k], top, threshold, total)
    for i in range(m):
        inverse[i] = 1 / total[i]
    for k in range(K):
        values = terms[k, start:start + m]
        part = 0.0
        for i in range(m):
            value = values[i] * inverse[i]
            values[i] = value
            part += value
        sums[k] += part


@kernel
def _normalize_columns(log_prob, log_weights, threshold, sums):
    # The normalization of log-densities stored (K, n), one sample per column, by blocks
    # of samples whose K terms stay in the core's cache through every pass (block_top,
    # block_scale: each pass runs over the samples of one component, as vector
    # instructions). Returns the largest terms, which samples had only zero
    # log-densities, how many are such or impossible (largest term -inf), and the sums
    # of the exps. A NaN stays, for the sum.
    K, n = log_prob.shape
    # In the dtype of the log-densities (as numpy's path computes): float32 vectors hold
    # twice the values. The largest term is one of the row's sums, exact in that dtype.
    top = np.empty(n, log_prob.dtype)
    total = np.empty(n, log_prob.dtype)
    inverse = np.empty(_EXP_BLOCK, log_prob.dtype)
    certain = np.zeros(n, dtype=np.bool_)
    heaviest = np.max(log_weights)
    special = 0
    for start in range(0, n, _EXP_BLOCK):
        stop = min(start + _EXP_BLOCK, n)
        block_top(log_prob, start, stop - start, log_weights, top[start:stop])
        for i in range(start, stop):
            if top[i] == heaviest:
                certain[i] = _all_zero(log_prob, i, K, True)
            special += certain[i] or top[i] == -np.inf
        block_scale(log_prob, start, stop - start, log_weights, top[start:stop], threshold,
                    total[start:stop], inverse, sums)
    return top, certain, special, total


def clamp_labels(log_prob, labels):
    """Set, in place, the log-densities of a labelled row to -inf except at its label.

    Parameters
    ----------
    log_prob : ndarray of shape (n_samples, n_components)
        Log-densities (or joint log-probabilities) of the rows.
    labels : ndarray of int of shape (n_samples,)
        The known component of each row, -1 where unknown.
    """
    known = np.flatnonzero(labels >= 0)
    if len(known):
        other = np.arange(log_prob.shape[1])[None, :] != labels[known][:, None]
        block = log_prob[known]
        block[other] = -np.inf
        log_prob[known] = block
