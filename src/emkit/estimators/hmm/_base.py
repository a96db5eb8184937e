"""What every HMM estimator shares: hmmlearn's public API on emkit's engine.

A subclass names its emission letters (``_emission_letters``, e.g. ``"mc"``), builds its
emission family from its attributes (``_emission_family``), writes a fitted family back
(``_set_emissions``), initializes its emissions (``_init_emissions``) and counts its
parameters (``_get_n_fit_scalars_per_param``). Fitting, scoring, decoding and sampling
are here, once.
"""

import logging
import string
import sys
from collections import deque

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

from emkit.engine.loop import fit_em
from emkit.engine.sources import SequenceSource
from emkit.estimators._input import short_array_errors
from emkit.estimators._missing import check_missing, impute_rows, nan_policy
from emkit.models import hmm_kernels
from emkit.models.hmm import HMM, sequence_offsets

__all__ = ["BaseHMM", "ConvergenceMonitor", "DECODER_ALGORITHMS"]

_log = logging.getLogger("emkit")

#: The decoders of ``decode``.
DECODER_ALGORITHMS = frozenset(("viterbi", "map"))
_IMPLEMENTATIONS = ("log", "scaling")


class ConvergenceMonitor:
    """The record of an HMM fit, shaped like hmmlearn's ``monitor_``.

    Unlike hmmlearn's, ``converged`` is True only when the gain fell below ``tol``: an
    iteration cap that is hit is not convergence.

    Parameters
    ----------
    tol : float
        Convergence threshold on the gain of the log-likelihood.
    n_iter : int
        Maximum number of iterations.
    verbose : bool
        Print each iteration to stderr (hmmlearn's format).

    Attributes
    ----------
    history : collections.deque
        The log-likelihood of each iteration.
    iter : int
        Iterations performed.
    """

    _template = "{iter:>10d} {log_prob:>16.8f} {delta:>+16.8f}"

    def __init__(self, tol, n_iter, verbose):
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history = deque()
        self.iter = 0
        self._converged = False

    def __repr__(self):
        fields = dict(history=list(self.history), iter=self.iter, n_iter=self.n_iter,
                      tol=self.tol, verbose=self.verbose)
        return "ConvergenceMonitor(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"

    def _reset(self):
        self.iter = 0
        self.history.clear()
        self._converged = False

    def report(self, log_prob):
        """Record one iteration's log-likelihood (and print it when verbose).

        Parameters
        ----------
        log_prob : float
            The log-likelihood of the iteration.
        """
        delta = log_prob - self.history[-1] if self.history else np.nan
        if self.verbose:
            print(self._template.format(iter=self.iter + 1, log_prob=log_prob, delta=delta),
                  file=sys.stderr)
        self.history.append(log_prob)
        self.iter += 1
        self._converged = bool(abs(delta) < self.tol) if self.history else False

    @property
    def converged(self):
        """True when the last gain was below ``tol`` (not when the cap was hit)."""
        return self._converged

    # The engine's reporter protocol.
    def init_begin(self, index):
        """Start recording initialization ``index``.

        Parameters
        ----------
        index : int
            Zero-based index of the start.
        """
        self._reset()

    def iteration(self, n_iter, change, lower_bound=None, model=None):
        """Record iteration ``n_iter``.

        Parameters
        ----------
        n_iter : int
            One-based iteration number.
        change : float
            Gain of the log-likelihood.
        lower_bound : float, default=None
            The iteration's log-likelihood.
        model : object, default=None
            The model after the iteration.
        """
        self.report(lower_bound)

    def init_end(self, lower_bound, converged):
        """End a start.

        Parameters
        ----------
        lower_bound : float
            The last log-likelihood.
        converged : bool
            Whether the start converged.
        """


def _as_lengths(lengths, n_samples):
    if lengths is None:
        return np.array([n_samples], dtype=np.int64)
    values = np.atleast_1d(np.asarray(lengths))
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.number) or not np.all(
            values == np.round(values)):
        raise ValueError(f"lengths must be a 1-D sequence of integers; got {lengths!r}.")
    values = values.astype(np.int64)
    if np.any(values < 1):
        raise ValueError(
            f"Every sequence needs at least one step, but lengths holds {values.min()} at "
            f"position {int(np.argmin(values))}; drop empty sequences from lengths.")
    if values.sum() != n_samples:
        raise ValueError(
            f"lengths sums to {values.sum()} but X has {n_samples} rows; lengths must give "
            "the length of every sequence stacked in X.")
    return values


class BaseHMM(BaseEstimator):
    """Hidden Markov model fitted by Baum-Welch (EM), with hmmlearn's public API.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Dirichlet prior of ``startprob_`` (1 is flat).
    transmat_prior : float or array-like of shape (n_components, n_components), default=1.0
        Dirichlet prior of each row of ``transmat_``.
    algorithm : {'viterbi', 'map'}, default='viterbi'
        Decoder of :meth:`decode` and :meth:`predict`.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialization and of :meth:`sample`.
    n_iter : int, default=10
        Maximum number of EM iterations.
    tol : float, default=1e-2
        Convergence threshold on the gain of the total log-likelihood.
    verbose : bool, default=False
        Print each iteration to stderr.
    params : str, default='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
        Parameters updated by EM (every letter: all of them): 's' start, 't'
        transitions, and the emission letters.
    init_params : str, default='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
        Parameters initialized by ``fit``; others must be set before fitting.
    implementation : {'log', 'scaling'}, default='log'
        'log' runs the exact scaled recursion, which never underflows; 'scaling' runs the
        plain scaled recursion and refuses sequences that underflow, as hmmlearn's does.
    n_init : int, default=1
        Number of starts; the one with the highest log-likelihood is kept.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
        Start probabilities.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities.
    monitor_ : ConvergenceMonitor
        History and convergence of the best start.
    converged_ : bool
        True when the best start met ``tol`` before ``n_iter`` iterations.
    n_iter_ : int
        Iterations of the best start.
    history_per_init_ : list of ndarray
        The total log-likelihood at each iteration of every start, in order.
    """

    _emission_letters = ""

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0,
                 algorithm="viterbi", random_state=None, n_iter=10, tol=1e-2,
                 verbose=False, params=string.ascii_letters,
                 init_params=string.ascii_letters, implementation="log", n_init=1):
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.n_init = n_init
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)

    # -- what a subclass provides ------------------------------------------------------
    def _emission_family(self):
        """Return the emission components (None: a model that only draws states)."""
        return None

    def _set_emissions(self, family):
        raise NotImplementedError(f"{type(self).__name__} must define _set_emissions().")

    def _init_emissions(self, X, lengths, random_state):
        """Initialize the emission parameters named in ``init_params``."""

    def _check_emissions(self):
        """Validate the emission parameters."""

    def _emission_update(self, family, stats, occupancy):
        return family.maximize(stats)

    def _get_n_fit_scalars_per_param(self):
        nc = self.n_components
        counts = {"s": nc - 1, "t": nc * (nc - 1)}
        family = self._emission_family()
        if family is not None:
            counts[(self._emission_letters or "e")[0]] = family.n_parameters()
        return counts

    def _family_kind(self):
        # The emission family (class or instance) whose ``allows_missing`` decides whether
        # X may hold NaN.
        return None

    def _validate_X(self, X):
        with short_array_errors():
            return check_array(X, dtype=np.float64, ensure_min_samples=1,
                               ensure_all_finite=nan_policy(self._family_kind()))

    # -- hmmlearn's hooks --------------------------------------------------------------
    def _compute_log_likelihood(self, X):
        """Return the emission log-densities of ``X`` under every state.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        return self._emission_family().log_prob(X)

    def _needs_init(self, code, name):
        if code in self.init_params:
            if hasattr(self, name) and not getattr(self, "_restarting", False):
                _log.warning("Even though the %r attribute is set, it will be overwritten "
                             "during initialization because 'init_params' contains %r",
                             name, code)
            return True
        return not hasattr(self, name)

    def _check_and_set_n_features(self, X):
        n_features = X.shape[1]
        if hasattr(self, "n_features") and self.n_features is not None:
            if self.n_features != n_features:
                raise ValueError(
                    f"X has {n_features} features but this model has {self.n_features}; "
                    "pass data with the model's number of columns.")
        else:
            self.n_features = n_features

    def _init(self, X, lengths=None, random_state=None):
        """Initialize the parameters named in ``init_params`` (hmmlearn's ``_init``).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.
        lengths : array-like of int, default=None
            Sequence lengths.
        random_state : int or RandomState, default=None
            Overrides ``random_state`` (later starts of ``n_init``).
        """
        X = self._validate_X(X)
        self._check_and_set_n_features(X)
        seed = self.random_state if random_state is None else random_state
        rng = check_random_state(seed)
        K = self.n_components
        if self._needs_init("s", "startprob_"):
            self.startprob_ = rng.dirichlet(np.full(K, 1.0 / K))
        if self._needs_init("t", "transmat_"):
            self.transmat_ = rng.dirichlet(np.full(K, 1.0 / K), size=K)
        self._init_emissions(X, lengths, seed)
        n_scalars = sum(self._get_n_fit_scalars_per_param().get(p, 0) for p in self.params)
        if X.size < n_scalars:
            _log.warning("Fitting a model with %d free scalar parameters with only %d data "
                         "points will result in a degenerate solution.", n_scalars, X.size)

    def _check(self):
        """Validate the parameters; one clear sentence when one is wrong."""
        K = self.n_components
        for name, shape in (("startprob_", (K,)), ("transmat_", (K, K))):
            if not hasattr(self, name):
                raise ValueError(f"{name} is not set; fit the model or set {name} first.")
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape} (n_components={K}); got "
                                 f"shape {value.shape}.")
            sums = value.sum(axis=-1)
            if np.any(value < 0) or not np.allclose(sums, 1.0):
                where = "" if value.ndim == 1 else f" (row {int(np.argmax(abs(sums - 1)))})"
                raise ValueError(
                    f"{name} must hold non-negative probabilities that sum to 1{where}; got "
                    f"sums {np.round(sums, 6).tolist()}.")
            setattr(self, name, value)
        if self.algorithm not in DECODER_ALGORITHMS:
            raise ValueError(f"algorithm must be 'viterbi' or 'map'; got {self.algorithm!r}.")
        if self.implementation not in _IMPLEMENTATIONS:
            raise ValueError(f"implementation must be 'log' or 'scaling'; got "
                             f"{self.implementation!r}.")
        self._check_emissions()

    # -- the model ---------------------------------------------------------------------
    def _model(self):
        letters = set(self.params)
        update = ("s" if "s" in letters else "") + ("t" if "t" in letters else "")
        if letters & set(self._emission_letters or "e"):
            update += "e"
        return HMM(self.startprob_, self.transmat_, self._emission_family(),
                   startprob_prior=self.startprob_prior, transmat_prior=self.transmat_prior,
                   update=update, emission_update=self._emission_update,
                   shift=self.implementation == "log", monotone=self._flat_priors())

    def _flat_priors(self):
        return bool(np.all(np.asarray(self.startprob_prior) == 1.0)
                    and np.all(np.asarray(self.transmat_prior) == 1.0))

    def _set_model(self, model):
        self.startprob_ = model.startprob
        self.transmat_ = model.transmat
        self._set_emissions(model.family)

    def fit(self, X, lengths=None, *, sample_weight=None, callback=None):
        """Estimate the parameters by EM (Baum-Welch).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None is one sequence.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence.
        callback : callable, default=None
            Called after each iteration with an :class:`emkit.engine.EMStep`; returning
            True stops the fit.

        Returns
        -------
        self : object
        """
        X = self._validate_X(X)
        lengths = _as_lengths(lengths, len(X))
        weights = self._sequence_weights(sample_weight, len(lengths))
        check_missing(X)
        self._init(X, lengths)
        self._check()
        X = self._emission_input(X)
        source = SequenceSource(X, lengths, weights)
        seeds = check_random_state(self.random_state)
        starts = iter(range(self.n_init))

        def initialize():
            if next(starts) > 0:
                self._restarting = True
                try:
                    self._init(X, lengths, random_state=seeds.randint(np.iinfo(np.int32).max))
                finally:
                    del self._restarting
                self._check()
            return self._model()

        self.monitor_ = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
        result = fit_em(initialize, source, n_init=self.n_init, reporter=self.monitor_,
                        max_iter=self.n_iter, tol=self.tol, callback=callback,
                        per_sample=False)
        if self.n_init > 1:  # the monitor holds the last start; give it the best one's
            self.monitor_.history = deque(result.history)
            self.monitor_.iter = result.n_iter
        self.monitor_._converged = result.converged
        self._set_model(result.model)
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.history_per_init_ = [np.asarray(h) for h in result.histories]
        return self

    def _emission_input(self, X):
        n_features = getattr(self, "n_features", None)
        if n_features is not None and X.shape[1] != n_features:
            raise ValueError(f"X has {X.shape[1]} features but this model has {n_features}; "
                             "pass data with the model's number of columns.")
        return X

    def _sequence_weights(self, sample_weight, n_sequences):
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight, dtype=np.float64).ravel()
        if weights.shape != (n_sequences,) or np.any(weights < 0) or not np.all(
                np.isfinite(weights)):
            raise ValueError(f"sample_weight must hold one finite non-negative weight per "
                             f"sequence ({n_sequences}); got shape {np.shape(sample_weight)}.")
        return weights

    # -- inference ---------------------------------------------------------------------
    def _prepare(self, X, lengths):
        check_is_fitted(self, "startprob_")
        self._check()
        X = self._validate_X(X)
        return self._emission_input(X), _as_lengths(lengths, len(X))

    def _log_frame(self, X):
        return np.ascontiguousarray(self._compute_log_likelihood(X), dtype=np.float64)

    def _score(self, X, lengths, posteriors):
        X, lengths = self._prepare(X, lengths)
        model = HMM(self.startprob_, self.transmat_, None, shift=self.implementation == "log")
        log_lik, gamma, _, _ = model.forward_backward(self._log_frame(X), lengths,
                                                      posteriors=posteriors)
        return float(np.sum(log_lik)), gamma

    def score(self, X, lengths=None):
        """Return the log-likelihood of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.

        Returns
        -------
        log_prob : float
        """
        return self._score(X, lengths, posteriors=False)[0]

    def score_samples(self, X, lengths=None):
        """Return the log-likelihood of ``X`` and the state posteriors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.

        Returns
        -------
        log_prob : float
        posteriors : ndarray of shape (n_samples, n_components)
        """
        return self._score(X, lengths, posteriors=True)

    def impute(self, X, lengths=None):
        """Fill each missing (NaN) entry with its conditional expectation under the model.

        The filled value is the state-posterior-weighted mean of the states' conditional
        expectations given the step's observed entries; observed entries are unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked, NaN where a value is missing.
        lengths : array-like of int, default=None
            Sequence lengths.

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
        """
        posteriors = self.score_samples(X, lengths)[1]
        X = self._emission_input(self._validate_X(X))
        with np.errstate(divide="ignore"):
            return impute_rows(self._emission_family(), np.log(posteriors), X)

    def predict_proba(self, X, lengths=None):
        """Return the posterior probability of each state at each step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.

        Returns
        -------
        posteriors : ndarray of shape (n_samples, n_components)
        """
        return self.score_samples(X, lengths)[1]

    def decode(self, X, lengths=None, algorithm=None):
        """Return the most likely states and their log-probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.
        algorithm : {'viterbi', 'map'}, default=None
            'viterbi' finds the most probable path; 'map' the most probable state at each
            step. None uses the ``algorithm`` parameter.

        Returns
        -------
        log_prob : float
            For 'viterbi', the joint log-probability of the data and the path. For
            'map', the sum over steps of the largest state posterior (hmmlearn's value,
            kept for compatibility; it is not a log-probability).
        state_sequence : ndarray of shape (n_samples,)
        """
        algorithm = algorithm or self.algorithm
        if algorithm not in DECODER_ALGORITHMS:
            raise ValueError(f"algorithm must be 'viterbi' or 'map'; got {algorithm!r}.")
        if algorithm == "map":
            _, posteriors = self.score_samples(X, lengths)
            return float(posteriors.max(axis=1).sum()), posteriors.argmax(axis=1)
        X, lengths = self._prepare(X, lengths)
        offsets = sequence_offsets(lengths)
        with np.errstate(divide="ignore"):
            log_prob, path = hmm_kernels.viterbi(np.log(self.startprob_),
                                                 np.log(self.transmat_), self._log_frame(X),
                                                 offsets)
        return float(np.sum(log_prob)), path.astype(int)

    def predict(self, X, lengths=None):
        """Return the most likely state of each step (by ``algorithm``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.

        Returns
        -------
        state_sequence : ndarray of shape (n_samples,)
        """
        return self.decode(X, lengths)[1]

    def sample(self, n_samples=1, random_state=None, currstate=None):
        """Draw a sequence from the model.

        Parameters
        ----------
        n_samples : int, default=1
            Length of the sequence.
        random_state : int, RandomState instance or None, default=None
            Seed; None uses the ``random_state`` parameter.
        currstate : int, default=None
            State of the first step; None draws it from ``startprob_``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        state_sequence : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "startprob_")
        self._check()
        rng = check_random_state(self.random_state if random_state is None else random_state)
        transmat_cdf = np.cumsum(self.transmat_, axis=1)
        draws = rng.rand(n_samples)
        states = np.empty(n_samples, dtype=int)
        state = (int(np.argmax(np.cumsum(self.startprob_) > draws[0]))
                 if currstate is None else int(currstate))
        states[0] = state
        for t in range(1, n_samples):
            state = int(np.argmax(transmat_cdf[state] > draws[t]))
            states[t] = state
        family = self._emission_family()
        if family is None:
            return np.empty((n_samples, 0)), states
        X = None
        for k in np.unique(states):
            rows = np.flatnonzero(states == k)
            values = np.asarray(family.sample(int(k), len(rows), rng))
            if X is None:
                X = np.empty((n_samples,) + values.shape[1:], dtype=values.dtype)
            X[rows] = values
        return X, states

    def aic(self, X, lengths=None):
        """Akaike information criterion: ``-2 log L + 2 p``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.

        Returns
        -------
        aic : float
        """
        return self._criterion(X, lengths, 2.0)

    def bic(self, X, lengths=None):
        """Bayesian information criterion: ``-2 log L + p log n``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.

        Returns
        -------
        bic : float
        """
        return self._criterion(X, lengths, np.log(len(X)))

    def _criterion(self, X, lengths, penalty_per_parameter):
        n_params = sum(self._get_n_fit_scalars_per_param().values())
        return -2 * self.score(X, lengths) + penalty_per_parameter * n_params

    def get_stationary_distribution(self):
        """Return the stationary distribution of the states.

        Returns
        -------
        stationary : ndarray of shape (n_components,)
        """
        check_is_fitted(self, "transmat_")
        eigvals, eigvecs = linalg.eig(np.asarray(self.transmat_).T)
        vector = np.real_if_close(eigvecs[:, np.argmax(eigvals)])
        return vector / vector.sum()
