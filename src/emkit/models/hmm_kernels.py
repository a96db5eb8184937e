"""The recursions of a hidden Markov model: forward-backward and Viterbi, as pure functions.

Each function takes the start probabilities, the transition matrix, the emission
log-densities ``log_frame`` (n_samples, n_states) of many sequences stacked, and the
sequence boundaries ``offsets`` (n_sequences + 1,). With numba installed (the ``fast``
extra) they are compiled, release the GIL (so chunks of sequences run on every core) and
are cached on disk; without it the same Python code runs, slowly but identically.

``forward_backward`` is the scaled recursion: each step's forward vector is normalized to
sum to one and the log of the normalizer is summed, so the log-likelihood is exact and
nothing underflows over any length. Each step's terms ``pred_j p_j(x_t)`` are formed in
log space and shifted by their maximum before exponentiating, so they keep their digits.
With every transition probability at least ``DENSE``, a state whose forward probability
falls below ``LOST`` cannot matter later. Otherwise a reachable state falling below
``LOST`` (or a backward value overflowing) makes the sequence not ``ok``, and it is
recomputed by ``forward_backward_log``, the plain log-space recursion, which is also the
reference in tests.
"""

import numpy as np

from emkit._compiled import HAVE_NUMBA, inline_kernel, kernel as _compile

__all__ = ["HAVE_NUMBA", "forward_backward", "forward_backward_log", "viterbi"]

#: A normalized forward probability below this may have lost digits (or all of them).
LOST = 1e-300
#: Transition matrices whose every entry is at least this cannot revive a lost state.
DENSE = 1e-250


@_compile
def forward_backward(startprob, transmat, log_frame, offsets, weights, shift, posteriors):
    """Scaled forward-backward over every sequence.

    Parameters
    ----------
    startprob : ndarray of shape (n_states,)
        Start probabilities.
    transmat : ndarray of shape (n_states, n_states)
        Transition probabilities, rows summing to one.
    log_frame : ndarray of shape (n_samples, n_states)
        Emission log-densities, float64.
    offsets : ndarray of shape (n_sequences + 1,)
        Start row of each sequence, then the total number of rows.
    weights : ndarray of shape (n_sequences,)
        Weight of each sequence in the summed counts.
    shift : bool
        Shift each step's log-densities by their maximum and redo underflowing steps in
        log space (exact); False exponentiates them as they are (the plain scaled
        recursion, which fails on underflow).
    posteriors : bool
        Run the backward pass (state posteriors and transition counts); False runs the
        forward pass only.

    Returns
    -------
    log_likelihood : ndarray of shape (n_sequences,)
        Log-likelihood of each sequence; -inf where it is impossible under the model.
    gamma : ndarray of shape (n_samples, n_states)
        State posteriors (forward probabilities when ``posteriors`` is False).
    start : ndarray of shape (n_states,)
        Weighted sum of the first posteriors of the sequences.
    trans : ndarray of shape (n_states, n_states)
        Weighted expected number of transitions from each state to each state.
    ok : ndarray of shape (n_sequences,)
        False for a sequence on which the scaled recursion may not be exact (a reachable
        state lost its digits under a sparse transition matrix, or a backward value
        overflowed); its counts are not in ``start`` and ``trans``, and its
        log-likelihood and posteriors must be taken from :func:`forward_backward_log`.
    """
    n_samples, K = log_frame.shape
    n_seq = len(offsets) - 1
    log_likelihood = np.zeros(n_seq)
    ok = np.ones(n_seq, dtype=np.bool_)
    gamma = np.zeros((n_samples, K))
    scaled = np.zeros((n_samples, K))
    start = np.zeros(K)
    trans = np.zeros((K, K))
    xi = np.zeros((K, K))
    pred = np.zeros(K)
    work = np.zeros(K)
    beta = np.zeros(K)
    nxt = np.zeros(K)
    reach = np.zeros(K, dtype=np.bool_)
    before = np.zeros(K, dtype=np.bool_)
    # With every transition at least DENSE, a lost state's influence on the likelihood
    # is below K * LOST / DENSE (negligible); otherwise losing a reachable state may
    # matter, and the sequence is recomputed in log space.
    dense = True
    for i in range(K):
        for j in range(K):
            if not transmat[i, j] >= DENSE:
                dense = False
    for s in range(n_seq):
        a, b = offsets[s], offsets[s + 1]
        total = 0.0
        suspect = False
        for t in range(a, b):
            if t == a:
                for j in range(K):
                    pred[j] = startprob[j]
                    reach[j] = startprob[j] > 0.0
            else:
                for j in range(K):
                    pred[j] = 0.0
                for i in range(K):
                    ai = gamma[t - 1, i]
                    if ai != 0.0:
                        for j in range(K):
                            pred[j] += ai * transmat[i, j]
                if not dense:
                    for j in range(K):
                        before[j] = reach[j]
                        reach[j] = False
                    for i in range(K):
                        if before[i]:
                            for j in range(K):
                                if transmat[i, j] > 0.0:
                                    reach[j] = True
            if shift:
                # Exact: shift by the largest log(pred_j) + log p_j(x_t), so the largest
                # term is exactly 1 and every term keeps its digits down to LOST.
                top = -np.inf
                for j in range(K):
                    if pred[j] > 0.0:
                        v = np.log(pred[j]) + log_frame[t, j]
                        work[j] = v
                        if v > top:
                            top = v
                    else:
                        work[j] = -np.inf
                if not top > -np.inf:
                    total = -np.inf
                    break
                csum = 0.0
                for j in range(K):
                    gamma[t, j] = np.exp(work[j] - top)
                    csum += gamma[t, j]
                log_c = top + np.log(csum)
                inv = 1.0 / csum
                for j in range(K):
                    gamma[t, j] *= inv
                    if not dense and reach[j] and gamma[t, j] < LOST and work[j] > -np.inf:
                        suspect = True
                    # An unreachable state's scaled density is never used (and could
                    # overflow); a reachable one that overflows fails the backward pass.
                    scaled[t, j] = np.exp(log_frame[t, j] - log_c) if pred[j] > 0.0 else 0.0
                total += log_c
                continue
            # Plain scaling: exponentiate the densities as they are.
            csum = 0.0
            for j in range(K):
                scaled[t, j] = np.exp(log_frame[t, j])
                gamma[t, j] = pred[j] * scaled[t, j]
                csum += gamma[t, j]
            if not csum > 0.0 or not np.isfinite(csum):
                total = -np.inf
                break
            inv = 1.0 / csum
            for j in range(K):
                gamma[t, j] *= inv
                scaled[t, j] *= inv
            total += np.log(csum)
        log_likelihood[s] = total
        if total == -np.inf:
            continue
        if suspect:
            ok[s] = False
            continue
        if not posteriors:
            continue
        for i in range(K):
            beta[i] = 1.0
            for j in range(K):
                xi[i, j] = 0.0
        for t in range(b - 1, a - 1, -1):
            if t < b - 1:
                for j in range(K):
                    nxt[j] = scaled[t + 1, j] * beta[j]
                for i in range(K):
                    ai = gamma[t, i]
                    acc = 0.0
                    for j in range(K):
                        v = transmat[i, j] * nxt[j]
                        acc += v
                        xi[i, j] += ai * v
                    beta[i] = acc
            norm = 0.0
            for i in range(K):
                gamma[t, i] *= beta[i]
                norm += gamma[t, i]
            if not (norm > 0.0 and np.isfinite(norm)):
                ok[s] = False
                break
            inv = 1.0 / norm
            for i in range(K):
                gamma[t, i] *= inv
        if ok[s]:
            w = weights[s]
            for i in range(K):
                start[i] += w * gamma[a, i]
                for j in range(K):
                    trans[i, j] += w * xi[i, j]
    return log_likelihood, gamma, start, trans, ok


@inline_kernel
def _logsumexp(values):
    top = -np.inf
    for v in values:
        if v > top:
            top = v
    if top == -np.inf:
        return top
    total = 0.0
    for v in values:
        total += np.exp(v - top)
    return top + np.log(total)


@_compile
def forward_backward_log(log_start, log_trans, log_frame):
    """Log-space forward-backward over one sequence.

    Parameters
    ----------
    log_start : ndarray of shape (n_states,)
        Log start probabilities (-inf for impossible states).
    log_trans : ndarray of shape (n_states, n_states)
        Log transition probabilities.
    log_frame : ndarray of shape (n_steps, n_states)
        Emission log-densities.

    Returns
    -------
    log_likelihood : float
    gamma : ndarray of shape (n_steps, n_states)
        State posteriors.
    trans : ndarray of shape (n_states, n_states)
        Expected number of transitions.
    """
    T, K = log_frame.shape
    fwd = np.empty((T, K))
    bwd = np.empty((T, K))
    work = np.empty(K)
    for j in range(K):
        fwd[0, j] = log_start[j] + log_frame[0, j]
    for t in range(1, T):
        for j in range(K):
            for i in range(K):
                work[i] = fwd[t - 1, i] + log_trans[i, j]
            fwd[t, j] = _logsumexp(work) + log_frame[t, j]
    log_likelihood = _logsumexp(fwd[T - 1])
    for i in range(K):
        bwd[T - 1, i] = 0.0
    for t in range(T - 2, -1, -1):
        for i in range(K):
            for j in range(K):
                work[j] = log_trans[i, j] + log_frame[t + 1, j] + bwd[t + 1, j]
            bwd[t, i] = _logsumexp(work)
    gamma = np.zeros((T, K))
    trans = np.zeros((K, K))
    if log_likelihood == -np.inf:
        return log_likelihood, gamma, trans
    for t in range(T):
        for i in range(K):
            work[i] = fwd[t, i] + bwd[t, i]
        norm = _logsumexp(work)
        for i in range(K):
            gamma[t, i] = np.exp(work[i] - norm)
    for t in range(T - 1):
        for i in range(K):
            for j in range(K):
                trans[i, j] += np.exp(fwd[t, i] + log_trans[i, j] + log_frame[t + 1, j]
                                      + bwd[t + 1, j] - log_likelihood)
    return log_likelihood, gamma, trans


@_compile
def viterbi(log_start, log_trans, log_frame, offsets):
    """Most probable state path of every sequence.

    Parameters
    ----------
    log_start : ndarray of shape (n_states,)
        Log start probabilities.
    log_trans : ndarray of shape (n_states, n_states)
        Log transition probabilities.
    log_frame : ndarray of shape (n_samples, n_states)
        Emission log-densities.
    offsets : ndarray of shape (n_sequences + 1,)
        Start row of each sequence, then the total number of rows.

    Returns
    -------
    log_prob : ndarray of shape (n_sequences,)
        Joint log-probability of each sequence and its path.
    path : ndarray of shape (n_samples,)
        The states; ties go to the lowest state.
    """
    n_samples, K = log_frame.shape
    n_seq = len(offsets) - 1
    log_prob = np.empty(n_seq)
    path = np.zeros(n_samples, dtype=np.int64)
    back = np.zeros((n_samples, K), dtype=np.int64)
    delta = np.empty(K)
    new = np.empty(K)
    for s in range(n_seq):
        a, b = offsets[s], offsets[s + 1]
        for j in range(K):
            delta[j] = log_start[j] + log_frame[a, j]
        for t in range(a + 1, b):
            for j in range(K):
                best, arg = -np.inf, 0
                for i in range(K):
                    v = delta[i] + log_trans[i, j]
                    if v > best:
                        best, arg = v, i
                new[j] = best + log_frame[t, j]
                back[t, j] = arg
            for j in range(K):
                delta[j] = new[j]
        best, arg = -np.inf, 0
        for j in range(K):
            if delta[j] > best:
                best, arg = delta[j], j
        log_prob[s] = best
        path[b - 1] = arg
        for t in range(b - 1, a, -1):
            path[t - 1] = back[t, path[t]]
    return log_prob, path
