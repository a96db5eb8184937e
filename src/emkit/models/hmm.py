"""The hidden Markov model: K states, a start distribution, a transition matrix, and the
emission components of one family.

E-step: forward-backward on each sequence (``hmm_kernels``) gives the state posteriors
(gamma), the expected transition counts and the log-likelihood; the emission statistics
come from the family's ``accumulate(X, gamma)``, exactly as a mixture's come from its
responsibilities. A chunk is whole sequences, so one long sequence is one chunk: the
family's work on it runs in row blocks of about ``BLOCK_BYTES``, whose statistics add.
M-step: Dirichlet-MAP start and transition probabilities (zeros stay zero), and the
family's maximization, or its MAP under an emission prior (an option of the model).
Inference runs per chunk too: the log-likelihood, the state posteriors and the Viterbi
path of a chunk's sequences, which a source joins in order.
"""

import warnings
from dataclasses import dataclass, replace
from functools import reduce
from operator import add
from typing import Any

import numpy as np

from emkit.exceptions import ComponentCollapseWarning
from emkit.families.base import Family
from emkit.models import hmm_batched, hmm_kernels
from emkit.models._delegate import FamilyDelegate
from emkit.models._rows import RowBlocks
from emkit.models.responsibilities import clamp_labels
from emkit.stats import EMPTY_WEIGHT, AdditiveStats

__all__ = ["HMM", "HMMStats", "sequence_offsets"]

#: Working-set bytes of one row block of the emission family's work in a long chunk.
BLOCK_BYTES = 2 * 2**20
#: The chunk floor of the batched recursion (no compiled kernels): more than any data
#: holds, so the engine's own limit on a floor decides.
BATCHED_CHUNK_ROWS = 2**62


def sequence_offsets(lengths):
    """Return the start row of each sequence followed by the total number of rows.

    Parameters
    ----------
    lengths : ndarray of shape (n_sequences,)
        Positive sequence lengths.

    Returns
    -------
    offsets : ndarray of shape (n_sequences + 1,), int64
    """
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


@dataclass(frozen=True)
class HMMStats(AdditiveStats):
    """Summed E-step statistics of a hidden Markov model.

    Attributes
    ----------
    log_likelihood : float
        Weighted sum of the sequences' log-likelihoods.
    total_weight : float
        Sum of the sequence weights.
    start : ndarray of shape (n_states,)
        Weighted posterior of the first step of each sequence, summed.
    trans : ndarray of shape (n_states, n_states)
        Weighted expected transition counts.
    occupancy : ndarray of shape (n_states,)
        Weighted posterior mass of each state.
    family : AdditiveStats
        The emission family's statistics.
    """

    log_likelihood: float
    total_weight: float
    start: np.ndarray
    trans: np.ndarray
    occupancy: np.ndarray
    family: AdditiveStats


def _dirichlet_map(counts, prior, previous):
    # MAP of a Dirichlet-multinomial: counts + prior - 1, clipped at zero; a zero
    # probability stays zero, and a row with nothing to normalize keeps its old values.
    values = np.maximum(np.asarray(prior, dtype=np.float64) - 1.0 + counts, 0.0)
    values = np.where(previous == 0.0, 0.0, values)
    total = values.sum(axis=-1, keepdims=True)
    empty = (total <= 0.0)[..., 0]
    values = np.where(total > 0.0, values / np.where(total > 0.0, total, 1.0), previous)
    return values, np.flatnonzero(np.atleast_1d(empty))


@dataclass(frozen=True)
class HMM(FamilyDelegate):
    """A hidden Markov model with emissions from one family.

    Parameters
    ----------
    startprob : ndarray of shape (n_states,)
        Start probabilities.
    transmat : ndarray of shape (n_states, n_states)
        Transition probabilities; row ``i`` is the distribution of the state after ``i``.
    family : Family
        The emission components, one per state.
    startprob_prior : float or ndarray, default=1.0
        Dirichlet prior of the start probabilities (1 is flat: maximum likelihood).
    transmat_prior : float or ndarray, default=1.0
        Dirichlet prior of each transition row.
    update : str, default='ste'
        What the M-step updates: 's' start, 't' transitions, 'e' emissions.
    emission_prior : object, default=None
        A prior of the emission family: ``emission_prior.maximize(family, stats)`` is the
        emission M-step (its MAP) instead of ``family.maximize(stats)``, and
        ``emission_prior.flat(family)`` says whether that MAP is the maximum-likelihood
        step. None: the family's own maximization.
    shift : bool, default=True
        Exact scaled recursion (see :func:`hmm_kernels.forward_backward`); False is the
        plain scaled recursion, which refuses sequences that underflow.
    """

    startprob: np.ndarray
    transmat: np.ndarray
    family: Family
    startprob_prior: Any = 1.0
    transmat_prior: Any = 1.0
    update: str = "ste"
    emission_prior: Any = None
    shift: bool = True

    #: Working-set bytes per row and state of the forward-backward arrays.
    ROW_BYTES_PER_STATE = 4 * 8

    @property
    def n_components(self):
        """Number of states."""
        return len(self.startprob)

    @property
    def monotone(self):
        """False when the M-step maximizes a posterior (a prior that is not flat), which
        may lower the likelihood."""
        flat = (np.all(np.asarray(self.startprob_prior) == 1.0)
                and np.all(np.asarray(self.transmat_prior) == 1.0))
        return bool(flat and (self.emission_prior is None
                              or self.emission_prior.flat(self.family)))

    def min_chunk_rows(self, X):
        """Return the fewest rows per chunk worth an E-step.

        With compiled kernels, the emission family's floor. Without them
        (``hmm_kernels.BATCHED``), no floor is too high: the batched recursion makes a
        dozen numpy calls per step of a chunk's longest sequence, however many sequences
        the chunk holds, so the fewer chunks the better, up to the most rows the engine
        lets a floor take (``FLOOR_OVER_BUDGET`` times its working-set budget).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        rows : int
        """
        if hmm_kernels.BATCHED:
            return BATCHED_CHUNK_ROWS
        return self.family.min_chunk_rows(X)

    def resolution(self, dtype):
        """Return the smallest change of the log-likelihood the E-step resolves (0: float64).

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
        """
        return 0.0

    def log_frame(self, X):
        """Return the emission log-densities of ``X`` under every state, in float64.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_frame : ndarray of shape (n_samples, n_states)
        """
        return np.ascontiguousarray(self.family.log_prob(X), dtype=np.float64)

    def forward_backward(self, log_frame, lengths, weights=None, posteriors=True):
        """Run forward-backward on every sequence.

        Parameters
        ----------
        log_frame : ndarray of shape (n_samples, n_states)
            Emission log-densities.
        lengths : ndarray of shape (n_sequences,)
            Sequence lengths, summing to ``n_samples``.
        weights : ndarray of shape (n_sequences,), default=None
            Sequence weights for the counts; None weighs each sequence 1.
        posteriors : bool, default=True
            Compute the state posteriors and counts; False runs the forward pass only.

        Returns
        -------
        log_likelihood : ndarray of shape (n_sequences,)
        gamma : ndarray of shape (n_samples, n_states)
        start : ndarray of shape (n_states,)
        trans : ndarray of shape (n_states, n_states)
        """
        return self._forward_backward(log_frame, lengths, weights, posteriors)[:4]

    def _forward_backward(self, log_frame, lengths, weights=None, posteriors=True,
                          floor=hmm_kernels.TINY, weigh=False):
        # forward_backward, plus the occupancy; posteriors and counts below ``floor``
        # are zero, and ``weigh`` multiplies each sequence's posteriors by its weight.
        offsets = sequence_offsets(lengths)
        weights = np.ones(len(lengths)) if weights is None else np.asarray(weights, float)
        startprob = np.ascontiguousarray(self.startprob, dtype=np.float64)
        transmat = np.ascontiguousarray(self.transmat, dtype=np.float64)
        log_lik, gamma, start, trans, occupancy, ok = hmm_kernels.forward_backward_stats(
            startprob, transmat, log_frame, offsets, weights, self.shift, posteriors,
            floor, weigh)
        if not self.shift and np.isneginf(log_lik).any():
            shifted = hmm_kernels.forward_backward(
                startprob, transmat, log_frame, offsets, weights, True, False)[0]
            if np.isfinite(shifted).all():
                raise ValueError(
                    "The scaled forward pass underflowed (a step is too improbable under "
                    "every state for plain scaling); use implementation='log'.")
        for s in np.flatnonzero(~ok):
            a, b = offsets[s], offsets[s + 1]
            with np.errstate(divide="ignore"):
                log_lik[s], part, counts = hmm_kernels.forward_backward_log(
                    np.log(startprob), np.log(transmat), log_frame[a:b])
            part[part < floor] = 0.0
            counts[counts < floor] = 0.0
            start += weights[s] * part[0]
            trans += weights[s] * counts
            occupancy += weights[s] * part.sum(axis=0)
            if weigh:
                part *= weights[s]
                part[part < floor] = 0.0
            gamma[a:b] = part
        return log_lik, gamma, start, trans, occupancy

    def chunk_stats(self, X, sample_weight=None, lengths=None, labels=None):
        """E-step on a chunk of whole sequences.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows of the chunk's sequences.
        sample_weight : ndarray of shape (n_sequences,), default=None
            Weights of the sequences.
        lengths : ndarray of shape (n_sequences,), default=None
            Lengths of the sequences; None is one sequence.
        labels : ndarray of int of shape (n_samples,), default=None
            The known state of each step (-1: unknown); a labelled step can only be in
            its state, so paths through other states there have probability zero.

        Returns
        -------
        stats : HMMStats
        """
        lengths = np.array([len(X)]) if lengths is None else lengths
        blocks = self._blocks(X)
        if len(blocks) == 1:
            prepared = self.family.prepare(X)
            # Any memory layout: the kernels read it in place.
            log_frame = np.asarray(self.family.log_prob_prepared(prepared), dtype=np.float64)
        else:
            log_frame = np.empty((len(X), self.n_components))
            for a, b in blocks:
                log_frame[a:b] = self.family.log_prob_prepared(self.family.prepare(X[a:b]))
        if labels is not None:
            log_frame = np.array(log_frame, dtype=np.float64)
            clamp_labels(log_frame, labels)
        # The posteriors are the weights of the emission statistics' products, which run
        # in float32 for float32 data: none may be subnormal there.
        floor = float(np.finfo(X.dtype).tiny) if X.dtype == np.float32 else hmm_kernels.TINY
        log_lik, gamma, start, trans, occupancy = self._forward_backward(
            log_frame, lengths, sample_weight, floor=floor, weigh=True)
        if sample_weight is not None:
            log_likelihood = float(np.dot(sample_weight, np.where(sample_weight > 0, log_lik, 0)))
            total = float(np.sum(sample_weight))
        else:
            log_likelihood, total = float(np.sum(log_lik)), float(len(lengths))
        if len(blocks) == 1:
            emissions = self.family.accumulate_prepared(prepared, gamma)
        else:
            emissions = reduce(add, (self.family.accumulate_prepared(
                self.family.prepare(X[a:b]), gamma[a:b]) for a, b in blocks))
        return HMMStats(log_likelihood, total, start, trans, occupancy, emissions)

    def _blocks(self, X):
        # Row blocks for the emission family's work on a chunk longer than two blocks
        # (one long sequence): its features then stay in cache, and are built twice
        # (for the log-densities, then for the statistics) rather than held for every row.
        rows = max(BLOCK_BYTES // max(int(self.family.bytes_per_row(X)), 1),
                   int(self.family.min_chunk_rows(X)), 1)
        if len(X) <= 2 * rows:
            return [(0, len(X))]
        return [(a, min(a + rows, len(X))) for a in range(0, len(X), rows)]

    def m_step(self, stats):
        """Return the model that maximizes the expected complete-data log-posterior.

        Parameters
        ----------
        stats : HMMStats
            Summed statistics.

        Returns
        -------
        model : HMM
        """
        startprob, transmat, family = self.startprob, self.transmat, self.family
        if "s" in self.update:
            startprob, kept = _dirichlet_map(stats.start, self.startprob_prior, self.startprob)
            if len(kept):
                warnings.warn(
                    "The start probabilities were kept: with startprob_prior below 1, no "
                    "state's expected start count plus startprob_prior - 1 is positive. "
                    "Use a startprob_prior of at least 1, or more sequences.",
                    ComponentCollapseWarning, stacklevel=4)
        if "t" in self.update:
            transmat, stuck = _dirichlet_map(stats.trans, self.transmat_prior, self.transmat)
            if len(stuck):
                state = int(stuck[0])
                message = (
                    f"The transition probabilities out of state {state} were kept: with "
                    "transmat_prior below 1, no expected transition count out of it plus "
                    "transmat_prior - 1 is positive. Use a transmat_prior of at least 1, or "
                    "more data." if stats.trans[state].sum() > 0 else
                    f"No transition out of state {state} was expected, so its transition "
                    "probabilities were kept; the state is not visited before the end of "
                    "any sequence.")
                warnings.warn(message, ComponentCollapseWarning, stacklevel=4)
        if "e" in self.update:
            family = self._update_emissions(stats)
        return replace(self, startprob=startprob, transmat=transmat, family=family)

    def _update_emissions(self, stats):
        if self.emission_prior is None:
            family = self.family.maximize(stats.family)
        else:
            family = self.emission_prior.maximize(self.family, stats.family)
        # A prior's M-step (hmmlearn's formulas) divides by the weight exactly, as the
        # column families do: it moves every state with any mass. Without one, the
        # family says where its own M-step has nothing to estimate from.
        floor = (EMPTY_WEIGHT if self.emission_prior is not None
                 else self.family.empty_weight(stats.total_weight))
        empty = np.flatnonzero(stats.occupancy < floor)
        if len(empty) == 0 or len(empty) == self.n_components:
            return family if len(empty) == 0 else self.family
        warnings.warn(
            f"State {int(empty[0])} received no posterior mass, so its emission parameters "
            "were kept; use fewer states if this repeats.", ComponentCollapseWarning,
            stacklevel=5)
        pick = np.arange(self.n_components)
        pick[empty] += self.n_components
        return type(family).concatenate([family, self.family]).take(pick)

    def n_parameters(self):
        """Return the number of free parameters (start, transitions, emissions).

        Returns
        -------
        n : int
        """
        K = self.n_components
        return int(K - 1 + K * (K - 1) + self.family.n_parameters())

    # -- inference, one chunk of whole sequences at a time (a source joins the chunks) --
    def chunk_log_likelihood(self, X, sample_weight=None, lengths=None):
        """Return the summed log-likelihood of a chunk's sequences (forward pass only).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows of the chunk's sequences.
        sample_weight : ndarray of shape (n_sequences,), default=None
            Ignored: every sequence counts once.
        lengths : ndarray of shape (n_sequences,), default=None
            Lengths of the sequences; None is one sequence.

        Returns
        -------
        log_likelihood : float
        """
        lengths = np.array([len(X)]) if lengths is None else lengths
        log_lik = self.forward_backward(self.log_frame(X), lengths, posteriors=False)[0]
        return float(np.sum(log_lik))

    def chunk_posteriors(self, X, sample_weight=None, lengths=None):
        """Return the log-likelihood and the state posteriors of a chunk's sequences.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows of the chunk's sequences.
        sample_weight : ndarray of shape (n_sequences,), default=None
            Ignored: every sequence counts once.
        lengths : ndarray of shape (n_sequences,), default=None
            Lengths of the sequences; None is one sequence.

        Returns
        -------
        posteriors : RowBlocks
            Total: the summed log-likelihood; rows: the posteriors, (n_samples, n_states).
        """
        lengths = np.array([len(X)]) if lengths is None else lengths
        log_lik, gamma, _, _ = self.forward_backward(self.log_frame(X), lengths)
        return RowBlocks(float(np.sum(log_lik)), (gamma,))

    def chunk_viterbi(self, X, sample_weight=None, lengths=None):
        """Return the most probable state path of each of a chunk's sequences.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows of the chunk's sequences.
        sample_weight : ndarray of shape (n_sequences,), default=None
            Ignored: every sequence counts once.
        lengths : ndarray of shape (n_sequences,), default=None
            Lengths of the sequences; None is one sequence.

        Returns
        -------
        paths : RowBlocks
            Total: the summed joint log-probability of the data and the paths; rows: the
            state of each step, (n_samples,).
        """
        lengths = np.array([len(X)]) if lengths is None else lengths
        decode = hmm_batched.viterbi if hmm_kernels.BATCHED else hmm_kernels.viterbi
        with np.errstate(divide="ignore"):
            log_prob, path = decode(
                np.log(self.startprob), np.log(self.transmat), self.log_frame(X),
                sequence_offsets(lengths))
        return RowBlocks(float(np.sum(log_prob)), (path,))

    def sample(self, n_samples, rng, currstate=None):
        """Draw one sequence: a state path from the chain, each step from its state.

        Parameters
        ----------
        n_samples : int
            Length of the sequence.
        rng : numpy.random.RandomState
            The random state.
        currstate : int, default=None
            State of the first step; None draws it from ``startprob``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            No columns when the model has no emission family.
        states : ndarray of shape (n_samples,)
        """
        transmat_cdf = np.cumsum(self.transmat, axis=1)
        draws = rng.rand(n_samples)
        states = np.empty(n_samples, dtype=int)
        state = (int(np.argmax(np.cumsum(self.startprob) > draws[0]))
                 if currstate is None else int(currstate))
        states[0] = state
        for t in range(1, n_samples):
            state = int(np.argmax(transmat_cdf[state] > draws[t]))
            states[t] = state
        if self.family is None:
            return np.empty((n_samples, 0)), states
        X = None
        for k in np.unique(states):
            rows = np.flatnonzero(states == k)
            values = np.asarray(self.family.sample(int(k), len(rows), rng))
            if X is None:
                X = np.empty((n_samples,) + values.shape[1:], dtype=values.dtype)
            X[rows] = values
        return X, states
