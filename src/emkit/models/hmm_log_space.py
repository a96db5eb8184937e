"""The log-space recursions of a hidden Markov model: forward-backward and Viterbi.

Plain sums of logarithms, exact at any length and any density range but slower than the
scaled recursion of :mod:`emkit.models.hmm_kernels`: ``forward_backward_log`` recomputes
the sequences that recursion cannot take exactly and is its reference in tests;
``viterbi`` decodes. With numba installed they are compiled, as the scaled ones are.
"""

import numpy as np

from emkit._compiled import inline_kernel, kernel as _compile

__all__ = ["forward_backward_log", "viterbi"]


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
