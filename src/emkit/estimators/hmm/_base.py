"""What every HMM estimator shares: hmmlearn's public API on emkit's one fit template.

A subclass names its emission letters (``_emission_letters``, e.g. ``"mc"``), builds its
emission family from its attributes (``_emission_family``) and, when its M-step is a MAP
step, the family's prior (``_emission_prior``), writes a fitted family back
(``_set_emissions``), initializes its emissions (``_init_emissions``) and counts its
parameters (``_get_n_fit_scalars_per_param``). ``fit`` is
:class:`emkit.estimators._template.EMEstimator`'s template; scoring, decoding and
sampling are in :mod:`._inference`, the record of a fit in :mod:`._monitor`.
"""

import itertools
import logging
import string
import warnings

import numpy as np
from numbers import Integral, Real

from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from emkit.estimators._dask import dask_sequences, dask_source, is_dask
from emkit.estimators._input import short_array_errors
from emkit.estimators._missing import check_missing, nan_policy
from emkit.estimators._template import EMEstimator
from emkit.estimators.hmm._inference import DECODER_ALGORITHMS, HMMInference, HookEmissions
from emkit.estimators.hmm._monitor import (ConvergenceMonitor, MonitorReports,
                                           chosen_monitor, iteration_cap)
from emkit.estimators._labels import check_labels
from emkit.estimators.hmm._sequences import (as_lengths, as_stacked, sequence_source,
                                            sequence_weights, stacked_labels)
from emkit.exceptions import ConvergenceWarning
from emkit.families._prior_shapes import broadcast_prior
from emkit.models.hmm import HMM
from emkit.estimators._fit_modes import FIT_MODE_CONSTRAINTS, document_fit_modes

__all__ = ["BaseHMM", "ConvergenceMonitor", "DECODER_ALGORITHMS"]

_log = logging.getLogger("emkit")

_IMPLEMENTATIONS = ("log", "scaling")


@document_fit_modes
class BaseHMM(HMMInference, EMEstimator):
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
        History and convergence of the best start. A monitor of your own set here before a fit
        (a subclass of hmmlearn's, say) is kept: it hears each iteration's log-likelihood,
        and its ``converged`` stops the fit.
    converged_ : bool
        True when the best start met ``tol`` before ``n_iter`` iterations.
    n_iter_ : int
        Iterations of the best start.
    history_per_init_ : list of ndarray
        The total log-likelihood at each iteration of every start, in order.
    """

    _emission_letters = ""

    #: Every hyperparameter's accepted values, checked when a fit starts (one sentence
    #: naming the parameter, as scikit-learn's estimators say it). The priors take
    #: numbers or arrays; tol may be any number (hmmlearn's tests pass -inf).
    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "startprob_prior": [Real, "array-like"],
        "transmat_prior": [Real, "array-like"],
        "algorithm": [StrOptions({"viterbi", "map"})],
        "random_state": ["random_state"],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Real],
        "verbose": ["verbose"],
        "params": [str],
        "init_params": [str],
        "implementation": [StrOptions({"log", "scaling"})],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        **FIT_MODE_CONSTRAINTS,
    }

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0,
                 algorithm="viterbi", random_state=None, n_iter=10, tol=1e-2,
                 verbose=False, params=string.ascii_letters,
                 init_params=string.ascii_letters, implementation="log", n_init=1,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    def _store(self, arguments):
        # The constructor parameters, stored as given (scikit-learn's rule for
        # __init__), and the empty record of a fit.
        super()._store(arguments)
        self.monitor_ = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)

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

    def _emission_prior(self):
        """Return the prior whose MAP is the emission M-step (None: maximum likelihood)."""
        return None

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
                # hmmlearn's log record, which its tests look for, and a warning.
                _log.warning("Even though the %r attribute is set, it will be overwritten "
                             "during initialization because 'init_params' contains %r",
                             name, code)
                warnings.warn(f"{name} was set, but fit overwrites it because init_params "
                              f"contains {code!r}; remove {code!r} from init_params to start "
                              "from the value set.", UserWarning, stacklevel=4)
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
            if not np.all(value >= 0):  # NaN too
                entry = np.unravel_index(int(np.argmin(np.where(value >= 0, 0.0, -1.0))),
                                         value.shape)
                index = ", ".join(str(int(i)) for i in entry)
                index = index if value.ndim == 1 else f"({index})"
                raise ValueError(
                    f"{name} must hold non-negative probabilities; entry {index} is "
                    f"{value[entry]}.")
            if not np.allclose(sums, 1.0):
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
        K = self.n_components
        return HMM(self.startprob_, self.transmat_, self._model_emissions(),
                   startprob_prior=broadcast_prior("startprob_prior", self.startprob_prior,
                                                   (K,)),
                   transmat_prior=broadcast_prior("transmat_prior", self.transmat_prior,
                                                  (K, K)),
                   update=update, emission_prior=self._emission_prior(),
                   shift=self.implementation == "log")

    def _model_emissions(self):
        # hmmlearn's subclass hook, where a subclass overrides it, gives the log-densities.
        if type(self)._compute_log_likelihood is not BaseHMM._compute_log_likelihood:
            return HookEmissions(self._compute_log_likelihood, self.n_components)
        return self._emission_family()

    def _set_model(self, model):
        self.startprob_ = model.startprob
        self.transmat_ = model.transmat
        self._set_emissions(model.family)

    # -- the fit template's steps -----------------------------------------------------
    def fit(self, X, lengths=None, *, y=None, mask=None, sample_weight=None, callback=None):
        """Estimate the parameters by EM (Baum-Welch).

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            The sequences, stacked; or a list with one Dask array (or Delayed array) per
            sequence. On Dask data the blocks are re-cut at sequence boundaries, so no
            sequence is split across tasks: a sequence longer than a block is one task
            of its own, and must fit in one worker's memory. Starts read every row when
            there are at most 100,000, else a uniform sample of rows with each column's
            extremes (k-means means, the data covariance, the symbols seen).
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None is one sequence (or the list's sequences).
        y : array-like of int, default=None
            The known state of each step, -1 where unknown (semi-supervised EM: a
            labelled step can only be in its state); in the form of ``X`` (stacked, a
            list of 1-D arrays, or (n_sequences, T)). None fits without labels.
        mask : array-like of bool of shape (n_sequences, T), default=None
            With a 3-D ``X`` of shape (n_sequences, T, n_features): True at the padded
            steps, which are left out. A list of 2-D arrays (one per sequence) or a 3-D
            array give the same results as their stacked rows with ``lengths``.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence.
        callback : callable, default=None
            Called after each iteration with an :class:`emkit.engine.EMStep`; returning
            True stops the fit.

        Returns
        -------
        self : object
        """
        self._validate_params()
        labels = None if y is None else stacked_labels(X, y, mask)
        X, lengths = as_stacked(X, lengths, mask)
        self._fit_template(X, callback, lengths=lengths, sample_weight=sample_weight,
                           labels=labels)
        return self

    def partial_fit(self, X, lengths=None, *, sample_weight=None):
        """Update the model with one batch of whole sequences (online EM).

        The batch's expected statistics, scaled by ``total_samples`` over the batch's
        number of sequences (their weight), are blended into the running statistics
        with the step ``(n_batch_iter_ + 1 + learning_offset) ** -learning_decay``, and
        the M-step maximizes them (only the parameters in ``params``). The first call
        (on a model never fitted) initializes from its batch as ``fit`` does
        (``init_params``; one start) and takes the batch whole; a later call, or one
        after ``fit``, continues from the current parameters. Memory does not grow with
        the number of batches. A model file keeps ``n_batch_iter_`` but not the running
        statistics: after loading one (or after ``fit``) the next batch's statistics
        restart them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The batch's sequences, stacked.
        lengths : array-like of int of shape (n_sequences,), default=None
            Length of each sequence; None is one sequence.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence.

        Returns
        -------
        self : object
            The updated model; ``n_batch_iter_`` counts the updates.
        """
        self._validate_params()
        X, lengths = as_stacked(X, lengths, None)
        self._partial_fit_template(X, lengths=lengths, sample_weight=sample_weight)
        return self

    def _fitted_model(self):
        self._check()
        return self._model()

    def _fit_data(self, X, lengths=None, sample_weight=None, labels=None, first=True):
        if is_dask(X):
            if labels is not None:
                raise ValueError("Labels with Dask data are not supported yet; fit the "
                                 "labelled sequences in memory, or fit without labels.")
            # Blocks of whole sequences, each checked as in memory in its task; one
            # sequence longer than a block is one task (see emkit.estimators._dask).
            X, lengths = dask_sequences(X, lengths)
            source, _ = dask_source(X, self._check_block, sample_weight=sample_weight,
                                    sequences=True, lengths=lengths)
            return source.X, source
        X = self._validate_X(X)
        if not first:
            self._emission_input(X)
        lengths = as_lengths(lengths, len(X))
        weights = sequence_weights(sample_weight, len(lengths))
        check_missing(X)
        labels = check_labels(labels, len(X), self.n_components)
        return X, sequence_source(X, lengths, weights, labels=labels)

    def _check_block(self, block):
        # One block of Dask data, checked as fit checks data in memory.
        return self._validate_X(block) if len(block) else np.asarray(block, np.float64)

    def _initializer(self, source):
        # The first start from the set or initialized parameters (``init_params``), the
        # later ones from seeds drawn from ``random_state``.
        seeds = check_random_state(self.random_state)
        starts = itertools.count()
        start = source.start_source()
        X = start.X

        def initialize():
            if next(starts) == 0:
                self._init(X, start.lengths)
            else:
                self._restarting = True
                try:
                    self._init(X, start.lengths,
                               random_state=seeds.randint(np.iinfo(np.int32).max))
                finally:
                    del self._restarting
            self._check()
            self._emission_input(X)
            return self._model()

        return initialize

    def _engine_options(self):
        # hmmlearn monitors the total log-likelihood, and prints each iteration. A
        # monitor_ the user changed gives its tol and prints with its verbose; one of
        # another class hears each iteration and alone decides when to stop
        # (_run_engine), so the engine's own test never stops the fit (tol=0).
        monitor = chosen_monitor(self)
        if monitor is None:
            tol, reporter = self.tol, ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
        elif type(monitor) is ConvergenceMonitor:
            tol, reporter = monitor.tol, monitor
        else:
            tol, reporter = 0.0, MonitorReports(monitor)
        return dict(n_init=self.n_init, max_iter=iteration_cap(self), tol=tol,
                    per_sample=False, reporter=reporter)

    def _run_engine(self, initialize, source, warm, callback):
        monitor = chosen_monitor(self)
        if monitor is not None and type(monitor) is not ConvergenceMonitor:
            callback = _stop_when_converged(monitor, callback)
        return super()._run_engine(initialize, source, warm, callback)

    def _keep(self, result):
        monitor = chosen_monitor(self)
        converged, tol, cap = result.converged, self.tol, iteration_cap(self)
        if monitor is None:
            self.monitor_ = ConvergenceMonitor.from_result(result, self.tol, self.n_iter,
                                                           self.verbose)
        elif type(monitor) is ConvergenceMonitor:
            tol = monitor.tol
            monitor.hold(result.history, result.n_iter, result.converged)
        else:
            # The user's monitor keeps its own record; converged only when it stopped
            # the fit before the cap (hmmlearn's says converged at the cap too).
            converged = result.n_iter < cap and bool(monitor.converged)
        if not converged and result.n_iter >= cap > 0:
            warnings.warn(f"The fit stopped at n_iter={cap} iterations before the "
                          f"log-likelihood gain fell below tol={tol}; raise n_iter (or "
                          "tol) to let it converge.", ConvergenceWarning)
        self._set_model(result.model)
        self.converged_ = converged
        self.n_iter_ = result.n_iter
        self.history_per_init_ = [np.asarray(h) for h in result.histories]

    def _emission_input(self, X):
        n_features = getattr(self, "n_features", None)
        if n_features is not None and X.shape[1] != n_features:
            raise ValueError(f"X has {X.shape[1]} features but this model has {n_features}; "
                             "pass data with the model's number of columns.")
        return X

    # -- inference ---------------------------------------------------------------------
    def _prepare(self, X, lengths):
        check_is_fitted(self, "startprob_")
        self._check()
        X = self._validate_X(X)
        return self._emission_input(X), as_lengths(lengths, len(X))


def _stop_when_converged(monitor, callback):
    # The fit's callback: the user's callback, then the user's monitor's verdict (asked
    # every iteration, as hmmlearn asks it).
    def stop(step):
        stopped = bool(callback(step)) if callback is not None else False
        return bool(monitor.converged) or stopped
    return stop
