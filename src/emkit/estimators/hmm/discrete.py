"""``emkit.CategoricalHMM`` and ``emkit.PoissonHMM``: hmmlearn's discrete-emission HMMs."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval

from emkit.estimators._input import short_array_errors
from emkit.estimators._missing import nan_policy
from emkit.estimators.hmm._base import BaseHMM
from emkit.families.discrete import Categorical, Poisson
from emkit.families._prior_shapes import broadcast_prior
from emkit.families.discrete_priors import CategoricalPrior, PoissonPrior
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["CategoricalHMM", "PoissonHMM"]

_COMMON = """
    algorithm : {{'viterbi', 'map'}}, default='viterbi'
        Decoder.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialization and of :meth:`sample`.
    n_iter : int, default=10
        Maximum number of EM iterations.
    tol : float, default=1e-2
        Convergence threshold on the gain of the total log-likelihood.
    verbose : bool, default=False
        Print each iteration to stderr.
    params : str, default='{letters}'
        Parameters updated by EM: 's' start, 't' transitions, '{emission}' emissions.
    init_params : str, default='{letters}'
        Parameters initialized by ``fit``.
    implementation : {{'log', 'scaling'}}, default='log'
        Forward-backward variant (see :class:`BaseHMM`).
    n_init : int, default=1
        Number of starts.
"""


def _integer_matrix(X, what, family):
    # Integer symbols or counts; NaN (missing) entries are kept, in a float array.
    with short_array_errors():
        X = check_array(X, dtype=None, ensure_min_samples=1,
                        ensure_all_finite=nan_policy(family))
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"X must hold {what}; got dtype {X.dtype}.")
    missing = np.isnan(X) if np.issubdtype(X.dtype, np.floating) else False
    bad = ~(missing | (np.isfinite(X) & (X == np.round(X)) & (X >= 0)))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"X must hold {what}; found {X[row, col]} at row {row}, column {col}.")
    return X.astype(np.float64) if np.any(missing) else X.astype(np.int64)


@document_fit_modes
class CategoricalHMM(BaseHMM):
    __doc__ = """Hidden Markov model with categorical emissions (hmmlearn's ``CategoricalHMM``).

    ``X`` is one column of integer symbols ``0`` to ``n_features - 1``.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Dirichlet prior of ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), default=1.0
        Dirichlet prior of each row of ``transmat_``.
    emissionprob_prior : float or array-like of shape (n_components, n_features), default=1.0
        Dirichlet prior of each row of ``emissionprob_``.
    n_features : int, default=None
        Number of symbols; None takes the largest symbol in the data plus one.
""" + _COMMON.format(letters="ste", emission="e") + """
    Attributes
    ----------
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
        "emissionprob_prior": [Real, "array-like"],
        "n_features": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0, *,
                 emissionprob_prior=1.0, n_features=None, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False, params="ste",
                 init_params="ste", implementation="log", n_init=1,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    def _validate_X(self, X):
        X = _integer_matrix(X, "integer symbols (non-negative whole numbers)", Categorical)
        if X.shape[1] != 1:
            raise ValueError(f"CategoricalHMM takes one column of symbols; X has {X.shape[1]} "
                             "columns.")
        return X

    def _family_kind(self):
        return Categorical

    def _check_and_set_n_features(self, X):
        X = np.asarray(X)
        # Integer symbols; a float array only to hold NaN for missing symbols, its other
        # entries whole.
        if not np.issubdtype(X.dtype, np.integer):
            observed = X[~np.isnan(X)] if np.issubdtype(X.dtype, np.floating) else X
            if not (np.issubdtype(X.dtype, np.floating) and len(observed) < X.size
                    and np.all(observed == np.round(observed))):
                raise ValueError("Symbols should be integers; encode X as integer symbols 0 "
                                 "to n_features - 1.")
        if np.nanmin(X) < 0:
            raise ValueError(f"Symbols should be nonnegative; X holds {np.nanmin(X)}.")
        largest = int(np.nanmax(X))
        if self.n_features is None:
            self.n_features = largest + 1
        elif largest >= self.n_features:
            raise ValueError(
                f"X holds symbol {largest} but n_features is {self.n_features} (symbols 0 to "
                f"{self.n_features - 1}); raise n_features or re-encode the symbols.")

    def _emission_input(self, X):
        if getattr(self, "n_features", None) is not None and np.nanmax(X) >= self.n_features:
            raise ValueError(
                f"X holds symbol {int(np.nanmax(X))} but n_features is {self.n_features} "
                f"(symbols 0 to {self.n_features - 1}); raise n_features or re-encode the "
                "symbols.")
        return X

    def _init_emissions(self, X, lengths, random_state):
        if self._needs_init("e", "emissionprob_"):
            rng = check_random_state(random_state)
            probs = rng.rand(self.n_components, self.n_features)
            self.emissionprob_ = probs / probs.sum(axis=1, keepdims=True)

    def _check_emissions(self):
        if not hasattr(self, "emissionprob_"):
            raise ValueError("emissionprob_ is not set; fit the model or set it first.")
        probs = np.atleast_2d(np.asarray(self.emissionprob_, dtype=np.float64))
        if self.n_features is None:
            self.n_features = probs.shape[1]
        if probs.shape != (self.n_components, self.n_features):
            raise ValueError(f"emissionprob_ must have shape (n_components, n_features) = "
                             f"({self.n_components}, {self.n_features}); got {probs.shape}.")
        sums = probs.sum(axis=1)
        if np.any(probs < 0) or not np.allclose(sums, 1.0):
            raise ValueError("emissionprob_ must hold non-negative probabilities whose rows "
                             f"sum to 1; got row sums {np.round(sums, 6).tolist()}.")
        self.emissionprob_ = probs

    def _emission_family(self):
        return Categorical(np.asarray(self.emissionprob_, dtype=np.float64)[:, None, :])

    def _set_emissions(self, family):
        self.emissionprob_ = family.probs[:, 0, :]

    def _emission_moments(self):
        return {"proba": np.asarray(self.emissionprob_, dtype=np.float64)}

    def _generate_sample_from_state(self, state, random_state):
        cdf = np.cumsum(self.emissionprob_[state, :])
        return [(cdf > random_state.rand()).argmax()]

    def _emission_prior(self):
        return CategoricalPrior(broadcast_prior("emissionprob_prior", self.emissionprob_prior,
                                                np.shape(self.emissionprob_)))

    def _get_n_fit_scalars_per_param(self):
        nc, nf = self.n_components, self.n_features
        return {"s": nc - 1, "t": nc * (nc - 1), "e": nc * (nf - 1)}


@document_fit_modes
class PoissonHMM(BaseHMM):
    __doc__ = """Hidden Markov model with independent Poisson emissions (hmmlearn's ``PoissonHMM``).

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Dirichlet prior of ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), default=1.0
        Dirichlet prior of each row of ``transmat_``.
    lambdas_prior : float or array-like, default=0.0
        Shape (alpha) of the gamma prior on the rates: a number, one per state, or an
        array of shape (n_components, n_features).
    lambdas_weight : float or array-like, default=0.0
        Rate (beta) of the gamma prior on the rates, shaped as ``lambdas_prior``.
""" + _COMMON.format(letters="stl", emission="l") + """
    Attributes
    ----------
    n_features : int
        Number of count columns.
    startprob_ : ndarray of shape (n_components,)
        Start probabilities.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities.
    lambdas_ : ndarray of shape (n_components, n_features)
        Poisson rate of each column in each state.
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

    _emission_letters = "l"

    _parameter_constraints: dict = {
        **BaseHMM._parameter_constraints,
        "lambdas_prior": [Real, "array-like"],
        "lambdas_weight": [Real, "array-like"],
    }

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0,
                 lambdas_prior=0.0, lambdas_weight=0.0, algorithm="viterbi", random_state=None,
                 n_iter=10, tol=1e-2, verbose=False, params="stl", init_params="stl",
                 implementation="log", n_init=1,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    def _validate_X(self, X):
        return _integer_matrix(X, "non-negative integer counts", Poisson).astype(np.float64)

    def _family_kind(self):
        return Poisson

    def _init_emissions(self, X, lengths, random_state):
        if self._needs_init("l", "lambdas_"):
            rng = check_random_state(random_state)
            mean, var = np.nanmean(X), np.nanvar(X)
            if not var > 0:
                raise ValueError("Every count in X is the same, so the rates cannot be "
                                 "initialized at random; set lambdas_ and leave 'l' out of "
                                 "init_params.")
            self.lambdas_ = rng.gamma(shape=mean**2 / var, scale=var / mean,
                                      size=(self.n_components, self.n_features))

    def _check_emissions(self):
        if not hasattr(self, "lambdas_"):
            raise ValueError("lambdas_ is not set; fit the model or set it first.")
        rates = np.atleast_2d(np.asarray(self.lambdas_, dtype=np.float64))
        n_features = getattr(self, "n_features", None) or rates.shape[1]
        if rates.shape != (self.n_components, n_features):
            raise ValueError(f"lambdas_ must have shape (n_components, n_features) = "
                             f"({self.n_components}, {n_features}); got {rates.shape}.")
        if np.any(rates < 0) or not np.all(np.isfinite(rates)):
            raise ValueError("lambdas_ must hold finite non-negative rates.")
        self.lambdas_, self.n_features = rates, n_features

    def _emission_family(self):
        return Poisson(self.lambdas_)

    def _generate_sample_from_state(self, state, random_state):
        return random_state.poisson(self.lambdas_[state])

    def _emission_moments(self):
        rates = np.asarray(self.lambdas_, dtype=np.float64)
        return {"means": rates, "covariances": rates[:, :, None] * np.eye(rates.shape[1])}

    def _set_emissions(self, family):
        self.lambdas_ = family.rate

    def _emission_prior(self):
        shape = np.shape(self.lambdas_)
        return PoissonPrior(broadcast_prior("lambdas_prior", self.lambdas_prior, shape, True),
                            broadcast_prior("lambdas_weight", self.lambdas_weight, shape, True))

    def _get_n_fit_scalars_per_param(self):
        nc, nf = self.n_components, self.n_features
        return {"s": nc - 1, "t": nc * (nc - 1), "l": nc * nf}
