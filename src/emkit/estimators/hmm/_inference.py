"""Scoring, decoding, imputing and sampling of a fitted HMM estimator.

Every method builds the estimator's model and runs one of its chunk methods
(``chunk_log_likelihood``, ``chunk_posteriors``, ``chunk_viterbi``) over a
:class:`emkit.engine.sources.SequenceSource`, as ``fit`` runs the E-step: chunks of whole
sequences, joined in order.
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from emkit.engine.loop import chunk_plan
from emkit.estimators._dask import Part, blockwise, blockwise_total, dask_sequences, is_dask
from emkit.estimators._input import refuse_impossible
from emkit.estimators._missing import impute_rows
from emkit.estimators.hmm._sequences import as_stacked, sequence_source
from emkit.models import criteria
from emkit.models._rows import RowBlocks
from emkit.models.hmm import HMM

__all__ = ["DECODER_ALGORITHMS", "Forecast", "HMMInference", "HookEmissions"]

#: The decoders of ``decode``.
DECODER_ALGORITHMS = frozenset(("viterbi", "map"))


class HookEmissions:
    """The log-densities of hmmlearn's subclass hook ``_compute_log_likelihood(X)``.

    A subclass that overrides the hook (and has no emission family) is scored and
    decoded through it; it cannot be fitted.

    Parameters
    ----------
    log_likelihood : callable
        ``log_likelihood(X)`` returns the (n_samples, n_components) log-densities.
    n_components : int
        Number of states.
    """

    def __init__(self, log_likelihood, n_components):
        self._log_likelihood = log_likelihood
        self.n_components = n_components

    def log_prob(self, X):
        """Return the hook's log-densities of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        return self._log_likelihood(X)

    def min_chunk_rows(self, X):
        """Return 0: no floor of its own.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        rows : int
        """
        return 0

    def bytes_per_row(self, X):
        """Return the working-set bytes of one row.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        n_bytes : int
        """
        return 8 * (X.shape[1] + 4 * self.n_components)


def _over_sequences(model, X, lengths, method):
    # ``method`` (a chunk method's name, or a chunk function) on every chunk of whole
    # sequences, sized by the model's chunk plan; the results joined in order.
    source = sequence_source(X, lengths)
    bytes_per_row, min_rows = chunk_plan(model, source)
    fn = getattr(model, method) if isinstance(method, str) else method
    return source.map_reduce(fn, bytes_per_row, min_rows=min_rows)


def _refuse_impossible_sequence(posteriors, lengths, consequence, among=None):
    # refuse_impossible for the first sequence of probability zero, whose state
    # posteriors forward-backward leaves all 0 (a possible sequence's rows sum to 1);
    # with ``among``, only a sequence holding a row where it is True.
    ends = np.cumsum(lengths)
    for s in np.unique(np.searchsorted(ends, np.flatnonzero(~posteriors.any(axis=1)),
                                       side="right")):
        start, stop = int(ends[s] - lengths[s]), int(ends[s])
        if among is None or among[start:stop].any():
            refuse_impossible(f"Sequence {s} of X (rows {start} to {stop - 1})",
                              consequence)


@dataclass(frozen=True)
class Forecast:
    """What :meth:`HMMInference.forecast` returns, one row per sequence.

    Attributes
    ----------
    state_proba : ndarray of shape (n_sequences, n_components)
        Probability of each state ``steps`` past the sequence's end.
    mean : ndarray of shape (n_sequences, n_features) or None
        Predictive mean of the observation then.
    covariance : ndarray of shape (n_sequences, n_features, n_features) or None
        Predictive covariance of the observation then.
    proba : ndarray of shape (n_sequences, n_symbols) or None
        Predictive probability of each symbol (categorical emissions).
    """

    state_proba: np.ndarray
    mean: np.ndarray = None
    covariance: np.ndarray = None
    proba: np.ndarray = None


class HMMInference:
    """The public methods of a fitted HMM estimator that are not ``fit``."""

    def score(self, X, lengths=None, *, mask=None):
        """Return the log-likelihood of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        log_prob : float
        """
        X, lengths = as_stacked(X, lengths, mask)
        if is_dask(X):
            X, lengths = dask_sequences(X, lengths)
            return blockwise_total(self.score, X, lengths)
        X, lengths = self._prepare(X, lengths)
        return _over_sequences(self._model(), X, lengths, "chunk_log_likelihood")

    def score_samples(self, X, lengths=None, *, mask=None):
        """Return the log-likelihood of ``X`` and the state posteriors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        log_prob : float
        posteriors : ndarray of shape (n_samples, n_components)
            A Dask array (computed block by block) when ``X`` is one; so are the
            results of ``predict``, ``predict_proba``, ``decode`` and ``impute``, whose
            blocks are cut at sequence boundaries (a sequence longer than a block is a
            task of its own).
        """
        X, lengths = as_stacked(X, lengths, mask)
        if is_dask(X):
            X, lengths = dask_sequences(X, lengths)
            return self.score(X, lengths), self.predict_proba(X, lengths)
        X, lengths = self._prepare(X, lengths)
        posteriors = _over_sequences(self._model(), X, lengths, "chunk_posteriors")
        rows = posteriors.rows()
        if posteriors.total == -np.inf:
            _refuse_impossible_sequence(rows, lengths, "its state posteriors are undefined")
        return posteriors.total, rows

    def predict_proba(self, X, lengths=None, *, mask=None):
        """Return the posterior probability of each state at each step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        posteriors : ndarray of shape (n_samples, n_components)
        """
        X, lengths = as_stacked(X, lengths, mask)
        if is_dask(X):
            X, lengths = dask_sequences(X, lengths)
            return blockwise(Part(self.score_samples, 1), X, "matrix",
                             width=self.n_components, lengths=lengths)
        return self.score_samples(X, lengths)[1]

    def impute(self, X, lengths=None, *, mask=None):
        """Fill each missing (NaN) entry with its conditional expectation under the model.

        The filled value is the state-posterior-weighted mean of the states' conditional
        expectations given the step's observed entries; observed entries are unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked, NaN where a value is missing.
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
        """
        X, lengths = as_stacked(X, lengths, mask)
        if is_dask(X):
            X, lengths = dask_sequences(X, lengths)
            return blockwise(self.impute, X, "same", lengths=lengths)
        X, lengths = self._prepare(X, lengths)
        model = self._model()

        def fill(rows, sample_weight=None, lengths=None):
            posteriors = model.chunk_posteriors(rows, lengths=lengths)
            with np.errstate(divide="ignore"):
                log_posteriors = np.log(posteriors.rows())
            return RowBlocks(posteriors.total,
                             (impute_rows(model.family, log_posteriors, rows),))

        filled = _over_sequences(model, X, lengths, fill)
        if filled.total == -np.inf:
            _refuse_impossible_sequence(
                _over_sequences(model, X, lengths, "chunk_posteriors").rows(), lengths,
                "its missing entries cannot be imputed", among=np.isnan(X).any(axis=1))
        return filled.rows()

    def decode(self, X, lengths=None, algorithm=None, *, mask=None):
        """Return the most likely states and their log-probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).
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
        X, lengths = as_stacked(X, lengths, mask)
        algorithm = algorithm or self.algorithm
        if algorithm not in DECODER_ALGORITHMS:
            raise ValueError(f"algorithm must be 'viterbi' or 'map'; got {algorithm!r}.")
        if is_dask(X):
            X, lengths = dask_sequences(X, lengths)
            return (blockwise_total(Part(self.decode, 0, algorithm=algorithm), X, lengths),
                    blockwise(Part(self.decode, 1, algorithm=algorithm), X, "rows",
                              dtype=np.int64, lengths=lengths))
        if algorithm == "map":
            _, posteriors = self.score_samples(X, lengths)
            return float(posteriors.max(axis=1).sum()), posteriors.argmax(axis=1)
        X, lengths = self._prepare(X, lengths)
        model = self._model()
        paths = _over_sequences(model, X, lengths, "chunk_viterbi")
        if paths.total == -np.inf:
            _refuse_impossible_sequence(
                _over_sequences(model, X, lengths, "chunk_posteriors").rows(), lengths,
                "its most probable state path is undefined")
        return paths.total, paths.rows().astype(int)

    def predict(self, X, lengths=None, *, mask=None):
        """Return the most likely state of each step (by ``algorithm``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked.
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        state_sequence : ndarray of shape (n_samples,)
        """
        X, lengths = as_stacked(X, lengths, mask)
        return self.decode(X, lengths)[1]

    def forecast(self, X, lengths=None, steps=1, *, mask=None):
        """Forecast each sequence ``steps`` steps past its end.

        The state distribution at the last step given the whole sequence (the filtered
        one) is carried ``steps`` steps ahead by the transition matrix; the observation
        then is a mixture of the states' emissions with those probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked (or a list of them, or a 3-D array with ``mask``).
        lengths : array-like of int, default=None
            Sequence lengths.
        steps : int, default=1
            How far past each sequence's last step (1: the next step).
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        forecast : Forecast
            ``state_proba`` (n_sequences, n_components); ``mean`` and ``covariance`` of
            the observation (Gaussian and Poisson emissions: the mixture's first two
            moments, Poisson means being the rates); ``proba`` of each symbol
            (categorical emissions). Fields an emission model does not define are None.
        """
        if not (isinstance(steps, (int, np.integer)) and steps >= 1):
            raise ValueError(f"steps must be a positive integer; got {steps!r}.")
        X, lengths = as_stacked(X, lengths, mask)
        X, lengths = self._prepare(X, lengths)
        posteriors = self.score_samples(X, lengths)[1]
        state = posteriors[np.cumsum(lengths) - 1] @ np.linalg.matrix_power(
            self.transmat_, int(steps))
        return Forecast(state, **self._emission_forecast(state))

    def _emission_forecast(self, state_proba):
        # The observation's predictive distribution under state probabilities (rows).
        moments = self._emission_moments()
        if moments is None:
            return {}
        if "proba" in moments:
            return {"proba": state_proba @ moments["proba"]}
        means, covariances = moments["means"], moments["covariances"]
        mean = state_proba @ means
        second = np.einsum("nk,kij->nij", state_proba,
                           covariances + means[:, :, None] * means[:, None, :])
        return {"mean": mean, "covariance": second - mean[:, :, None] * mean[:, None, :]}

    def _emission_moments(self):
        # {"means", "covariances"} (full matrices) or {"proba"} of the states' emissions;
        # None when the emission model has no closed form for them.
        return None

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
        if not (isinstance(n_samples, (int, np.integer)) and n_samples >= 1):
            raise ValueError(f"n_samples must be a positive integer, the length of the "
                             f"sequence drawn; got {n_samples!r}.")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        # hmmlearn's order of draws (the start, then each step's state and emission), so
        # a seeded script draws the same data on both.
        transmat_cdf = np.cumsum(self.transmat_, axis=1)
        if currstate is None:
            currstate = int((np.cumsum(self.startprob_) > rng.rand()).argmax())
        elif not (isinstance(currstate, (int, np.integer))
                  and 0 <= currstate < self.n_components):
            raise ValueError(f"currstate must be a state, an integer from 0 to "
                             f"{self.n_components - 1}; got {currstate!r}.")
        states, rows = [int(currstate)], [self._generate_sample_from_state(currstate, rng)]
        for _ in range(n_samples - 1):
            currstate = int((transmat_cdf[currstate] > rng.rand()).argmax())
            states.append(currstate)
            rows.append(self._generate_sample_from_state(currstate, rng))
        return np.atleast_2d(rows), np.array(states, dtype=int)

    def _generate_sample_from_state(self, state, random_state):
        """Draw one emission from ``state`` (hmmlearn's hook; subclasses draw as it does).

        Parameters
        ----------
        state : int
            The state.
        random_state : numpy.random.RandomState
            The random state.

        Returns
        -------
        x : ndarray of shape (n_features,)
        """
        family = self._emission_family()
        if family is None:
            return np.empty(0)
        return np.asarray(family.sample(int(state), 1, random_state))[0]

    def aic(self, X, lengths=None, *, mask=None):
        """Akaike information criterion: ``-2 log L + 2 p``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked (or in any form ``fit`` takes).
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        aic : float
        """
        return criteria.aic(self.score(X, lengths, mask=mask), self._n_parameters())

    def bic(self, X, lengths=None, *, mask=None):
        """Bayesian information criterion: ``-2 log L + p log n``.

        ``n`` is the number of rows (steps) of all the sequences, whatever form they
        are given in.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The sequences, stacked (or in any form ``fit`` takes).
        lengths : array-like of int, default=None
            Sequence lengths.
        mask : array-like of bool of shape (n_sequences, T), default=None
            True at the padded steps of a 3-D ``X`` (see ``fit``).

        Returns
        -------
        bic : float
        """
        X, lengths = as_stacked(X, lengths, mask)
        if is_dask(X):
            X, lengths = dask_sequences(X, lengths)
        return criteria.bic(self.score(X, lengths), self._n_parameters(), int(X.shape[0]))

    def _n_parameters(self):
        return sum(self._get_n_fit_scalars_per_param().values())

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

