"""The HMM recursions in numpy, one step of every sequence at a time, for installs without
numba.

Without numba the kernels of :mod:`.hmm_kernels` would run as Python, one state of one
step at a time (``benchmarks/bench_hmm.py`` run with ``EMKIT_DISABLE_NUMBA=1`` measures
this module against hmmlearn). Here a step is a few numpy calls over every sequence that
has it: the sequences are sorted longest first, so those still running at step ``t`` are
the first ``n_t``, and a step of all of them is one small matrix product. The rows are
gathered once into that order, step after step (``_Packed``), so that a step's rows are
one slice. Many sequences gain the most; one long sequence pays a few numpy calls per
step.

The forward vectors are normalized at every step (the densities shifted by each step's
largest log-density first), which keeps every value in range; the results equal the
compiled kernels' to rounding. A sequence on which that recursion may not be exact is
returned not ``ok``, and the caller recomputes it in log space: with a sparse transition
matrix, a reachable state whose forward probability falls below ``LOST`` (as the kernels
do), and a step whose normalizer falls below ``SMALL_NORM`` (which the kernels redo from
logarithms, a step at a time; here the whole sequence goes to log space). As in the
kernels, no value below the smallest normal number enters a product: such probabilities
are zero.
"""

import numpy as np

# Helpers of hmm_kernels and hmm.py, which choose them (hmm_kernels.BATCHED); their
# arguments and results are those of the kernels they stand in for.
__all__ = []


class _Packed:
    # The rows in step-major order: step 0 of every sequence (longest first), then
    # step 1 of those still running, and so on; ``block(t)`` is step t's slice, whose
    # first ``running[t]`` rows are the sorted sequences' rows of that step.

    def __init__(self, offsets):
        lengths = np.diff(offsets)
        self.order = np.argsort(-lengths, kind="stable")
        longest = int(lengths.max()) if len(lengths) else 0
        sorted_lengths = lengths[self.order]
        # How many sequences run at each step: those longer than t.
        self.running = np.searchsorted(-sorted_lengths, -np.arange(longest), side="left")
        self.starts = np.concatenate([[0], np.cumsum(self.running)])
        rank = np.empty(len(lengths), dtype=np.int64)
        rank[self.order] = np.arange(len(lengths))
        sequence = np.repeat(np.arange(len(lengths)), lengths)
        step = np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths)
        # rows[p]: the original row at packed position p.
        self.rows = np.empty(offsets[-1], dtype=np.int64)
        self.rows[self.starts[step] + rank[sequence]] = np.arange(offsets[-1])
        # sequence[p]: the sorted sequence of packed position p.
        self.sequence = rank[sequence][self.rows]

    def block(self, t):
        return slice(self.starts[t], self.starts[t + 1])

    def per_sequence(self, flags):
        # Whether each sequence (sorted order) has a flagged packed row.
        return np.bincount(self.sequence[flags], minlength=len(self.order)) > 0


def forward_backward_stats(startprob, transmat, log_frame, offsets, weights, shift,
                           posteriors, floor, weigh, constants, known_bad=None):
    # The scaled forward-backward of hmm_kernels.forward_backward_stats (its arguments
    # and results), batched over sequences; ``constants`` is (TINY, LOG_TINY, LOST,
    # DENSE, SMALL_NORM) from there, ``known_bad`` the sequences (bool, input order)
    # already known not ok, whose counts are left out.
    tiny, log_tiny, lost, dense_floor, small_norm = constants
    n_samples, K = log_frame.shape
    n_seq = len(offsets) - 1
    offsets = np.asarray(offsets, dtype=np.int64)
    start, trans, occupancy = np.zeros(K), np.zeros((K, K)), np.zeros(K)
    if n_samples == 0:
        ok = np.ones(n_seq, dtype=bool)
        return np.zeros(n_seq), np.zeros((0, K)), start, trans, occupancy, ok
    packed = _Packed(offsets)
    frame = log_frame[packed.rows]
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        top = np.zeros(n_samples)
        if shift:
            top = frame.max(axis=1)
            top[~np.isfinite(top)] = np.inf
        dens = frame - top[:, None]
        dens = np.where(dens >= log_tiny, np.exp(dens), 0.0)
    gamma, scale = _forward(startprob, transmat, dens, packed, tiny)
    # What the kernels would redo in log space, and what no state explains.
    if shift:
        bad = packed.per_sequence(~(scale >= small_norm))
        impossible = np.zeros(n_seq, dtype=bool)
    else:
        bad = np.zeros(n_seq, dtype=bool)
        impossible = packed.per_sequence(~((scale > 0.0) & (scale < np.inf)))
    if not transmat.min() >= dense_floor:
        # A reachable state whose probability lost its digits may matter later.
        pred = np.empty_like(gamma)
        pred[packed.block(0)] = startprob
        for t in range(1, len(packed.running)):
            n = packed.running[t]
            pred[packed.block(t)] = gamma[packed.block(t - 1)][:n] @ transmat
        missing = (gamma < lost) & (pred > 0.0) & (frame > -np.inf)
        bad |= packed.per_sequence(missing.any(axis=1))
    if known_bad is not None:
        bad |= known_bad[packed.order]
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(scale) + top
    sums = np.zeros(n_seq)
    np.add.at(sums, packed.sequence, logs)
    log_lik = np.empty(n_seq)
    log_lik[packed.order] = np.where(impossible, -np.inf, sums)
    ok = np.empty(n_seq, dtype=bool)
    ok[packed.order] = ~bad
    usable = ~bad & ~impossible
    unusable = ~usable[packed.sequence]
    gamma[unusable] = 0.0  # the caller recomputes them; kept finite and out of the counts
    scale[unusable] = 1.0
    if posteriors:
        xi, broken = _backward(transmat, dens, scale, gamma, packed,
                               np.asarray(weights, dtype=np.float64)[packed.order] * usable,
                               floor)
        broken &= usable
        if broken.any():
            # A backward value overflowed: that sequence goes to log space, as in the
            # kernels, and the pass runs again without its counts.
            again = np.empty(n_seq, dtype=bool)
            again[packed.order] = bad | broken
            return forward_backward_stats(startprob, transmat, log_frame, offsets, weights,
                                          shift, posteriors, floor, weigh, constants, again)
        gamma[unusable] = 0.0
        row_weight = np.asarray(weights, dtype=np.float64)[packed.order][packed.sequence]
        row_weight[unusable] = 0.0
        first = packed.block(0)
        start += row_weight[first] @ gamma[first]
        occupancy += row_weight @ gamma
        trans += transmat * xi
        trans[trans < floor] = 0.0
        if weigh:
            gamma *= row_weight[:, None]
            gamma[gamma < floor] = 0.0
    out = np.empty_like(gamma)
    out[packed.rows] = gamma
    return log_lik, out, start, trans, occupancy, ok


def _forward(startprob, transmat, dens, packed, tiny):
    # The forward vectors, normalized at every step (packed), and the normalizers.
    gamma = np.empty_like(dens)
    scale = np.empty(len(dens))
    previous = None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for t, n in enumerate(packed.running):
            here = packed.block(t)
            alpha = gamma[here]
            pred = startprob if t == 0 else previous[:n] @ transmat
            np.multiply(pred, dens[here], out=alpha)
            alpha[alpha < tiny] = 0.0
            total = np.add.reduce(alpha, axis=1)
            scale[here] = total
            alpha /= total[:, None]
            alpha[alpha < tiny] = 0.0
            previous = alpha
    return gamma, scale


def _backward(transmat, dens, scale, gamma, packed, w, floor):
    # Turns the packed forward vectors into posteriors in place; returns the weighted
    # expected transitions (before the factor A_ij) and which sequences overflowed.
    # Each step's ``dens * beta / scale`` of the step after is kept, so that the
    # transitions are one product at the end.
    forward = gamma.copy()
    after_terms = np.zeros_like(gamma)
    beta = np.ones((len(packed.order), gamma.shape[1]))
    norms = np.empty(len(gamma))
    transposed = np.ascontiguousarray(transmat.T)
    steps = len(packed.running)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for t in range(steps - 1, -1, -1):
            n = packed.running[t]
            first = packed.starts[t]
            later = packed.running[t + 1] if t + 1 < steps else 0
            if later:
                after = packed.block(t + 1)
                step = after_terms[first:first + later]
                np.multiply(dens[after], beta[:later], out=step)
                step /= scale[after][:, None]
                np.dot(step, transposed, out=beta[:later])
            beta[later:n] = 1.0
            alpha = gamma[first:first + n]
            alpha *= beta[:n]
            norms[first:first + n] = np.add.reduce(alpha, axis=1)
        gamma /= norms[:, None]
    gamma[gamma < floor] = 0.0
    xi = (forward * w[packed.sequence][:, None]).T @ after_terms
    broken = packed.per_sequence(~((norms > 0.0) & np.isfinite(norms)))
    return xi, broken


def viterbi(log_start, log_trans, log_frame, offsets):
    # hmm_log_space.viterbi (its arguments and results), batched over sequences; ties
    # go to the lowest state, as there.
    n_samples, K = log_frame.shape
    n_seq = len(offsets) - 1
    log_prob = np.empty(n_seq)
    path = np.zeros(n_samples, dtype=np.int64)
    if n_samples == 0:
        return log_prob, path
    offsets = np.asarray(offsets, dtype=np.int64)
    packed = _Packed(offsets)
    frame = log_frame[packed.rows]
    steps = len(packed.running)
    back = np.zeros((n_samples, K), dtype=np.int64)
    ends = np.empty((n_seq, K))
    delta = None
    for t, n in enumerate(packed.running):
        here = packed.block(t)
        if t == 0:
            delta = log_start + frame[here]
        else:
            candidates = delta[:n, :, None] + log_trans
            back[here] = np.argmax(candidates, axis=1)  # the lowest state on ties
            delta = np.max(candidates, axis=1)
            delta += frame[here]
        later = packed.running[t + 1] if t + 1 < steps else 0
        ends[later:n] = delta[later:n]
    best = np.argmax(ends, axis=1)
    log_prob[packed.order] = ends[np.arange(n_seq), best]
    last = np.diff(offsets)[packed.order] - 1
    state = np.zeros(n_seq, dtype=np.int64)
    states = np.empty(n_samples, dtype=np.int64)
    for t in range(steps - 1, -1, -1):
        n = packed.running[t]
        here = packed.block(t)
        state[:n] = np.where(last[:n] == t, best[:n], state[:n])
        states[here] = state[:n]
        if t:
            state[:n] = back[here][np.arange(n), state[:n]]
    path[packed.rows] = states
    return log_prob, path
