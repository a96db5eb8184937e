"""``emkit.MultinomialHMM``: hmmlearn's MultinomialHMM, counts over symbols at each step.

Each row of ``X`` counts how often each of ``n_features`` symbols occurred in
``n_trials`` draws; the emissions are :class:`emkit.families.Multinomial`, whose M-step
(the weighted symbol frequencies) is hmmlearn's.
"""

from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from emkit.estimators.hmm._base import BaseHMM
from emkit.estimators.hmm.discrete import _integer_matrix
from emkit.families.multinomial import Multinomial
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["MultinomialHMM"]


@document_fit_modes
class MultinomialHMM(BaseHMM):
    """Hidden Markov model with multinomial emissions (hmmlearn's ``MultinomialHMM``).

    ``X`` holds non-negative integer counts, one column per symbol; a row's total is its
    number of trials.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    n_trials : int or array-like of int, default=None
        Number of trials of each row (one number, or one per row). None takes it from
        the data when fitting: a 0-d array of the rows' common total, or each row's
        total when they differ (hmmlearn keeps each row's). Sampling needs a single
        number.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Dirichlet prior of ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), default=1.0
        Dirichlet prior of each row of ``transmat_``.
    algorithm : {'viterbi', 'map'}, default='viterbi'
        Decoder.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialization and of :meth:`sample`.
    n_iter : int, default=10
        Maximum number of EM iterations.
    tol : float, default=1e-2
        Convergence threshold on the gain of the total log-likelihood.
    verbose : bool, default=False
        Print each iteration to stderr.
    params : str, default='ste'
        Parameters updated by EM: 's' start, 't' transitions, 'e' emissions.
    init_params : str, default='ste'
        Parameters initialized by ``fit``.
    implementation : {'log', 'scaling'}, default='log'
        Forward-backward variant (see :class:`BaseHMM`).
    n_init : int, default=1
        Number of starts.

    Attributes
    ----------
    n_features : int
        Number of symbols (columns of ``X``).
    startprob_ : ndarray of shape (n_components,)
        Start probabilities.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities.
    emissionprob_ : ndarray of shape (n_components, n_features)
        Probability of each symbol in each state.
    monitor_ : ConvergenceMonitor
        History and convergence of the fit. A monitor of your own set here before a fit
        (a subclass of hmmlearn's, say) is kept: it hears each iteration's log-likelihood,
        and its ``converged`` stops the fit.
    converged_ : bool
        True when the fit met ``tol`` before ``n_iter`` iterations.
    n_iter_ : int
        Iterations run.
    history_per_init_ : list of ndarray
        The total log-likelihood at each iteration of every start, in order.
    """

    _emission_letters = "e"

    _parameter_constraints: dict = {
        **BaseHMM._parameter_constraints,
        "n_trials": [Interval(Integral, 1, None, closed="left"), "array-like", None],
    }

    def __init__(self, n_components=1, n_trials=None, startprob_prior=1.0,
                 transmat_prior=1.0, algorithm="viterbi", random_state=None, n_iter=10,
                 tol=1e-2, verbose=False, params="ste", init_params="ste",
                 implementation="log", n_init=1,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    def _validate_X(self, X):
        return _integer_matrix(X, "non-negative integer counts", Multinomial).astype(np.float64)

    def _family_kind(self):
        return Multinomial

    def _check_and_set_n_features(self, X):
        # hmmlearn's: the number of symbols, then the number of trials of the rows.
        X = np.asarray(X)
        super()._check_and_set_n_features(X)
        if not np.issubdtype(X.dtype, np.number):
            raise ValueError(f"X must hold non-negative integer counts; got dtype {X.dtype}.")
        if not np.all((X >= 0) & (X == np.round(X))):
            raise ValueError("Symbol counts should be nonnegative integers; X holds "
                             f"{X[~((X >= 0) & (X == np.round(X)))][0]}.")
        totals = X.sum(axis=1).astype(np.int64)
        if self.n_trials is None:
            # One number when the rows agree (then the model can sample), else each row's;
            # an array either way, as hmmlearn's.
            self.n_trials = totals[0, ...] if np.all(totals == totals[0]) else totals
            return
        n_trials = np.asarray(self.n_trials)
        if n_trials.ndim and n_trials.shape != totals.shape:
            raise ValueError(f"n_trials holds {n_trials.size} totals but X has {len(X)} rows; "
                             "set n_trials=None to take the totals from X.")
        if not np.all(totals == n_trials):
            row = int(np.flatnonzero(totals != n_trials)[0])
            raise ValueError(f"Total count for each sample should add up to the number of "
                             f"trials; row {row} totals {totals[row]}, but n_trials is "
                             f"{np.ravel(n_trials)[row if n_trials.ndim else 0]}.")

    def _init_emissions(self, X, lengths, random_state):
        if self._needs_init("e", "emissionprob_"):
            rng = check_random_state(random_state)
            probs = rng.rand(self.n_components, self.n_features)
            self.emissionprob_ = probs / probs.sum(axis=1, keepdims=True)

    def _check_emissions(self):
        if not hasattr(self, "emissionprob_"):
            raise ValueError("emissionprob_ is not set; fit the model or set it first.")
        probs = np.atleast_2d(np.asarray(self.emissionprob_, dtype=np.float64))
        n_features = getattr(self, "n_features", None) or probs.shape[1]
        if probs.shape != (self.n_components, n_features):
            raise ValueError(f"emissionprob_ must have shape (n_components, n_features) = "
                             f"({self.n_components}, {n_features}); got {probs.shape}.")
        sums = probs.sum(axis=1)
        if np.any(probs < 0) or not np.allclose(sums, 1.0):
            raise ValueError("emissionprob_ must hold non-negative probabilities whose rows "
                             f"sum to 1; got row sums {np.round(sums, 6).tolist()}.")
        self.emissionprob_, self.n_features = probs, n_features

    def _single_n_trials(self):
        # The one number of trials every row has, or None.
        if self.n_trials is None:
            return None
        values = np.unique(np.asarray(self.n_trials))
        return int(values[0]) if len(values) == 1 else None

    def _emission_family(self):
        return Multinomial(np.asarray(self.emissionprob_, dtype=np.float64),
                           n_trials=self._single_n_trials())

    def _set_emissions(self, family):
        self.emissionprob_ = family.probs

    def _emission_moments(self):
        n = self._single_n_trials()
        if n is None:
            return None
        probs = np.asarray(self.emissionprob_, dtype=np.float64)
        covariances = n * (probs[:, :, None] * np.eye(probs.shape[1])
                           - probs[:, :, None] * probs[:, None, :])
        return {"means": n * probs, "covariances": covariances}

    def _generate_sample_from_state(self, state, random_state):
        # hmmlearn's draw (scipy's), so a seeded sample is hmmlearn's.
        return stats.multinomial.rvs(n=self._single_n_trials(), p=self.emissionprob_[state],
                                     random_state=random_state)

    def _get_n_fit_scalars_per_param(self):
        nc, nf = self.n_components, self.n_features
        return {"s": nc - 1, "t": nc * (nc - 1), "e": nc * (nf - 1)}

    def sample(self, n_samples=1, random_state=None, currstate=None):
        """Draw a sequence of count vectors from the model.

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
        X : ndarray of shape (n_samples, n_features), int
            Each row sums to ``n_trials``.
        state_sequence : ndarray of shape (n_samples,)
        """
        if self._single_n_trials() is None:
            raise ValueError(f"For sampling, a single n_trials must be given; n_trials is "
                             f"{self.n_trials!r}. Set n_trials to the number of trials of "
                             "each sampled row.")
        X, states = super().sample(n_samples, random_state, currstate)
        return X.astype(int), states
