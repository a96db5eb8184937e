"""The recursions of a hidden Markov model: forward-backward and Viterbi, as pure functions.

Each function takes the start probabilities, the transition matrix, the emission
log-densities ``log_frame`` (n_samples, n_states) of many sequences stacked, and the
sequence boundaries ``offsets`` (n_sequences + 1,). With numba installed (the ``fast``
extra) they are compiled, release the GIL (so chunks of sequences run on every core) and
are cached on disk. Without it, the forward-backward and Viterbi recursions run in numpy,
one step of every sequence at a time (:mod:`.hmm_batched`, ``BATCHED``), with the same
results to rounding: ``forward_backward_stats`` takes it itself, and the HMM model takes
``hmm_batched.viterbi`` for ``viterbi``. The kernels' Python source stays the tests'
reference.

``forward_backward_stats`` is the scaled recursion: the forward vectors are rescaled and
the logs of the scales summed, so the log-likelihood is exact and nothing underflows over
any length. The densities are exponentiated once, in one vectorized call, after shifting
each step's log-densities by their maximum; a step is then products and sums only, and
the forward vector is rescaled (one division) only when its sum leaves a wide range,
about every few hundred steps. A step whose sum falls below ``SMALL_NORM`` (its likely
states were unlikely a priori) is redone from the logarithms of its terms, so they keep
their digits. With every transition probability at least ``DENSE``, a state
whose forward probability falls below ``LOST`` cannot matter later. Otherwise a product
that underflows makes the step redone from logarithms, and a reachable state falling
below ``LOST`` (or a backward value overflowing) makes the sequence not ``ok``: it is
recomputed by ``forward_backward_log``, the plain log-space recursion, which is also the
reference in tests. It and ``viterbi`` live in :mod:`.hmm_log_space`; they are imported
here so that every recursion is found in one place.

No subnormal number enters the recursion's products or the statistics: a probability,
density ratio or posterior below the smallest normal number (``TINY``, or the caller's
``floor``) is set to zero. It changes no statistic at the precision kept, and on many
processors every arithmetic operation on a subnormal operand takes a slow path.
"""

from functools import partial

import numpy as np

from emkit._compiled import HAVE_NUMBA, kernel as _compile
from emkit.models import hmm_batched
from emkit.models.hmm_log_space import forward_backward_log, viterbi

__all__ = ["HAVE_NUMBA", "TINY", "forward_backward", "forward_backward_log",
           "forward_backward_stats", "viterbi"]

#: A normalized forward probability below this may have lost digits (or all of them).
LOST = 1e-300
#: Transition matrices whose every entry is at least this cannot revive a lost state.
DENSE = 1e-250
#: A scaled step whose normalizer falls below this is redone from logarithms.
SMALL_NORM = 1e-200
#: The largest relative change of a result that setting a probability to zero may make.
NEGLIGIBLE = LOST / DENSE
#: The smallest normal float64: probabilities below it are set to zero.
TINY = float(np.finfo(np.float64).tiny)
#: ``log(TINY)``: a shifted log-density below it would exponentiate to a subnormal.
LOG_TINY = float(np.log(TINY))
#: Whether the recursions run in numpy, batched over sequences (without numba), instead of
#: the kernels.
BATCHED = not HAVE_NUMBA


@_compile
def _shifted(log_frame, shift, dens, top):
    # dens = log_frame - top, top the step's largest log-density (0 without shift), and
    # -inf where exp would be subnormal; a step with no finite log-density gets top=inf.
    n_samples, K = log_frame.shape
    for t in range(n_samples):
        m = 0.0
        if shift:
            m = -np.inf
            for j in range(K):
                if log_frame[t, j] > m:
                    m = log_frame[t, j]
            if not np.isfinite(m):
                m = np.inf
        top[t] = m
        for j in range(K):
            v = log_frame[t, j] - m
            dens[t, j] = v if v >= LOG_TINY else -np.inf


@_compile
def _recursion(startprob, transmat, log_frame, dens, top, offsets, weights, shift,
               posteriors, floor, weigh):
    # The scaled forward-backward of forward_backward_stats, given the exponentiated
    # shifted densities ``dens`` (overwritten with the scaled densities).
    n_samples, K = log_frame.shape
    n_seq = len(offsets) - 1
    log_likelihood = np.zeros(n_seq)
    ok = np.ones(n_seq, dtype=np.bool_)
    gamma = np.zeros((n_samples, K))
    start = np.zeros(K)
    trans = np.zeros((K, K))
    occupancy = np.zeros(K)
    xi = np.zeros((K, K))
    occ = np.zeros(K)
    pred = np.zeros(K)
    work = np.zeros(K)
    beta = np.zeros(K)
    nxt = np.zeros(K)
    reach = np.zeros(K, dtype=np.bool_)
    before = np.zeros(K, dtype=np.bool_)
    # With every transition at least DENSE, a lost state's influence on the likelihood
    # is below K * LOST / DENSE (negligible); otherwise losing a reachable state may
    # matter, and the sequence is recomputed in log space.
    smallest = np.inf
    for i in range(K):
        for j in range(K):
            if not transmat[i, j] >= smallest:
                smallest = transmat[i, j]
    dense = smallest >= DENSE
    columns = np.ascontiguousarray(transmat.T)
    # A density set to zero (below TINY times the step's largest) changes the result by
    # at most TINY / (csum * smallest) relative: at most NEGLIGIBLE with this normalizer.
    small_norm = max(SMALL_NORM, TINY / (NEGLIGIBLE * smallest)) if dense else SMALL_NORM
    # The forward vectors are normalized only when their sum leaves [low, 1 / low]; a
    # probability set to zero is then at most TINY / low relative, NEGLIGIBLE * low.
    low = np.sqrt(small_norm)
    for s in range(n_seq):
        a, b = offsets[s], offsets[s + 1]
        total, tops, last = 0.0, 0.0, 1.0
        impossible = suspect = False
        for t in range(a, b):
            # pred_j = sum_i alpha_{t-1}(i) A_ij, one register sum per state (a sum in
            # memory would chain every step's additions through loads and stores).
            csum = 0.0
            underflow = False
            for j in range(K):
                if t == a:
                    p = startprob[j]
                else:
                    p = 0.0
                    for i in range(K):
                        p += gamma[t - 1, i] * columns[j, i]
                pred[j] = p
                g = p * dens[t, j]
                g = g if g >= TINY else 0.0
                gamma[t, j] = g
                csum += g
            if not dense:
                for j in range(K):
                    if gamma[t, j] == 0.0 and pred[j] > 0.0 and log_frame[t, j] > -np.inf:
                        underflow = True  # a term that lost digits may matter later
                if t == a:
                    for j in range(K):
                        reach[j] = startprob[j] > 0.0
                else:
                    for j in range(K):
                        before[j] = reach[j]
                        reach[j] = False
                    for i in range(K):
                        if before[i]:
                            for j in range(K):
                                if transmat[i, j] > 0.0:
                                    reach[j] = True
            if not shift:
                # Plain scaling: the densities as they are, no redo.
                if not (csum > 0.0 and csum < np.inf):
                    impossible = True
                    break
            elif underflow or not csum >= small_norm:
                # Exact: shift by the largest log(pred_j) + log p_j(x_t), so the largest
                # term is exactly 1 and every term keeps its digits down to LOST.
                top_t = -np.inf
                for j in range(K):
                    if pred[j] > 0.0:
                        v = np.log(pred[j]) + log_frame[t, j]
                        work[j] = v
                        if v > top_t:
                            top_t = v
                    else:
                        work[j] = -np.inf
                if not top_t > -np.inf:
                    impossible = True
                    break
                csum = 0.0
                for j in range(K):
                    v = work[j] - top_t
                    g = np.exp(v) if v >= LOG_TINY else 0.0
                    gamma[t, j] = g
                    csum += g
                log_c = top_t + np.log(csum)
                inv = 1.0 / csum
                for j in range(K):
                    g = gamma[t, j] * inv
                    g = g if g >= TINY else 0.0
                    gamma[t, j] = g
                    if not dense and reach[j] and g < LOST and work[j] > -np.inf:
                        suspect = True
                    # An unreachable state's scaled density is never used (and could
                    # overflow); a reachable one that overflows fails the backward pass.
                    v = log_frame[t, j] - log_c
                    dens[t, j] = np.exp(v) if pred[j] > 0.0 and v >= LOG_TINY else 0.0
                total += log_c
                last = 1.0
                continue
            # The step's normalizer is exp(top_t) * csum; csum is kept in the forward
            # vector (c_t = 1) unless the vector's sum leaves [low, 1 / low].
            tops += top[t]
            if not dense:
                for j in range(K):
                    if reach[j] and gamma[t, j] / csum < LOST and pred[j] > 0.0 \
                            and log_frame[t, j] > -np.inf:
                        suspect = True
            if csum >= low and csum <= 1.0 / low:
                last = csum
                continue
            inv = 1.0 / csum
            for j in range(K):
                g = gamma[t, j] * inv
                gamma[t, j] = g if g >= TINY else 0.0
                d = dens[t, j] * inv
                dens[t, j] = d if d >= TINY else 0.0
            total += np.log(csum)
            last = 1.0
        if impossible:
            log_likelihood[s] = -np.inf
            for t in range(a, b):
                for j in range(K):
                    gamma[t, j] = 0.0
            continue
        # The forward vector of the last step sums to ``last``.
        log_likelihood[s] = total + tops + np.log(last)
        if suspect:
            ok[s] = False
            continue
        if not posteriors:
            for t in range(a, b):
                norm = 0.0
                for j in range(K):
                    norm += gamma[t, j]
                inv = 1.0 / norm
                for j in range(K):
                    g = gamma[t, j] * inv
                    gamma[t, j] = g if g >= TINY else 0.0
            continue
        const = 1.0
        for i in range(K):
            beta[i] = 1.0
            occ[i] = 0.0
            for j in range(K):
                xi[i, j] = 0.0
        for t in range(b - 1, a - 1, -1):
            if t < b - 1:
                for j in range(K):
                    nxt[j] = dens[t + 1, j] * beta[j]
                for i in range(K):
                    acc = 0.0
                    for j in range(K):
                        acc += transmat[i, j] * nxt[j]
                    ai = gamma[t, i]
                    for j in range(K):
                        xi[i, j] += ai * nxt[j]
                    beta[i] = acc
            norm = 0.0
            for i in range(K):
                gamma[t, i] *= beta[i]
                norm += gamma[t, i]
            if not (norm > 0.0 and np.isfinite(norm)):
                ok[s] = False
                break
            if t == b - 1:
                const = norm  # sum_i alpha_t(i) beta_t(i), the same at every step
            inv = 1.0 / norm
            for i in range(K):
                g = gamma[t, i] * inv
                g = g if g >= floor else 0.0
                gamma[t, i] = g
                occ[i] += g
        if not ok[s]:
            continue
        w = weights[s]
        for i in range(K):
            start[i] += w * gamma[a, i]
            occupancy[i] += w * occ[i]
            for j in range(K):
                v = w * transmat[i, j] * xi[i, j] / const
                trans[i, j] += v if v >= floor else 0.0
        if weigh and w != 1.0:
            for t in range(a, b):
                for i in range(K):
                    g = gamma[t, i] * w
                    gamma[t, i] = g if g >= floor else 0.0
    return log_likelihood, gamma, start, trans, occupancy, ok


def forward_backward_stats(startprob, transmat, log_frame, offsets, weights, shift,
                           posteriors, floor=TINY, weigh=False, compiled=True):
    """Scaled forward-backward over every sequence, with the summed statistics.

    Parameters
    ----------
    startprob : ndarray of shape (n_states,)
        Start probabilities.
    transmat : ndarray of shape (n_states, n_states)
        Transition probabilities, rows summing to one.
    log_frame : ndarray of shape (n_samples, n_states)
        Emission log-densities, float64, in any memory layout.
    offsets : ndarray of shape (n_sequences + 1,)
        Start row of each sequence, then the total number of rows.
    weights : ndarray of shape (n_sequences,)
        Weight of each sequence in the summed counts.
    shift : bool
        Shift each step's log-densities by their maximum and redo underflowing steps from
        logarithms (exact); False exponentiates them as they are (the plain scaled
        recursion, which fails on underflow).
    posteriors : bool
        Run the backward pass (state posteriors and counts); False runs the forward
        pass only.
    floor : float, default=TINY
        Posteriors and counts below this are set to zero: the smallest normal number
        of the dtype the posteriors are multiplied in (float32's for float32 data).
    weigh : bool, default=False
        Multiply each sequence's posteriors by its weight (the statistics' weights).
    compiled : bool, default=True
        False runs the Python source of the kernels (for tests). Either way, with
        ``BATCHED`` (no numba) the numpy recursion of :mod:`.hmm_batched` runs instead.

    Returns
    -------
    log_likelihood : ndarray of shape (n_sequences,)
        Log-likelihood of each sequence; -inf where it is impossible under the model
        (its posteriors are then zero).
    gamma : ndarray of shape (n_samples, n_states)
        State posteriors (forward probabilities when ``posteriors`` is False).
    start : ndarray of shape (n_states,)
        Weighted sum of the first posteriors of the sequences.
    trans : ndarray of shape (n_states, n_states)
        Weighted expected number of transitions from each state to each state.
    occupancy : ndarray of shape (n_states,)
        Weighted sum of the posteriors of every step.
    ok : ndarray of shape (n_sequences,)
        False for a sequence on which the scaled recursion may not be exact (a reachable
        state lost its digits under a sparse transition matrix, or a backward value
        overflowed); its counts are not in ``start``, ``trans`` and ``occupancy``, and
        its log-likelihood and posteriors must be taken from :func:`forward_backward_log`.
    """
    if BATCHED and compiled:
        return hmm_batched.forward_backward_stats(
            startprob, transmat, log_frame, offsets, weights, shift, posteriors,
            float(floor), weigh, (TINY, LOG_TINY, LOST, DENSE, SMALL_NORM))
    shifted, recursion = (_shifted, _recursion) if compiled else (_shifted.py_func,
                                                                  _recursion.py_func)
    dens = np.empty(log_frame.shape)
    top = np.empty(len(log_frame))
    shifted(log_frame, shift, dens, top)
    with np.errstate(over="ignore"):
        np.exp(dens, out=dens)  # one vectorized call: the recursion's only exponentials
    return recursion(startprob, transmat, log_frame, dens, top, offsets, weights, shift,
                     posteriors, float(floor), weigh)


def forward_backward(startprob, transmat, log_frame, offsets, weights, shift, posteriors):
    """Scaled forward-backward over every sequence (:func:`forward_backward_stats`).

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
        Exact recursion (True) or the plain scaled one (False).
    posteriors : bool
        Run the backward pass; False runs the forward pass only.

    Returns
    -------
    log_likelihood : ndarray of shape (n_sequences,)
    gamma : ndarray of shape (n_samples, n_states)
    start : ndarray of shape (n_states,)
    trans : ndarray of shape (n_states, n_states)
    ok : ndarray of shape (n_sequences,)
    """
    log_lik, gamma, start, trans, _, ok = forward_backward_stats(
        startprob, transmat, log_frame, offsets, weights, shift, posteriors)
    return log_lik, gamma, start, trans, ok


def _forward_backward_python(startprob, transmat, log_frame, offsets, weights, shift,
                             posteriors):
    log_lik, gamma, start, trans, _, ok = forward_backward_stats(
        startprob, transmat, log_frame, offsets, weights, shift, posteriors, compiled=False)
    return log_lik, gamma, start, trans, ok


# The kernels' Python source, as without numba: tests compare the two.
forward_backward.py_func = _forward_backward_python
forward_backward_stats.py_func = partial(forward_backward_stats, compiled=False)
