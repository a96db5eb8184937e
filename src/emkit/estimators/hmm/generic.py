"""``emkit.HiddenMarkovModel``: an HMM whose emissions are any component family.

The family holds one component per state and is the exact starting point of the
emissions, as :class:`emkit.MixtureModel` takes its components. Extra starts
(``n_init > 1``) draw random start and transition probabilities and begin the emissions
from random state posteriors.
"""

import numpy as np
from sklearn.utils import check_random_state

from emkit.estimators.hmm._base import BaseHMM, _log
from emkit.families.base import Family
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["HiddenMarkovModel"]


@document_fit_modes
class HiddenMarkovModel(BaseHMM):
    """Hidden Markov model with emissions from any component family.

    Parameters
    ----------
    family : Family or list of Family
        The starting emissions: one family with ``n_components`` components (one per
        state), or a list of one-component families of the same class. User-written
        families work as in :class:`emkit.MixtureModel`.
    startprob : array-like of shape (n_components,), default=None
        Starting start probabilities; None gives equal ones.
    transmat : array-like of shape (n_components, n_components), default=None
        Starting transition probabilities; None gives equal ones.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Dirichlet prior of ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), default=1.0
        Dirichlet prior of each row of ``transmat_``.
    algorithm : {'viterbi', 'map'}, default='viterbi'
        Decoder.
    random_state : int, RandomState instance or None, default=None
        Seed of the extra starts and of :meth:`sample`.
    n_iter : int, default=10
        Maximum number of EM iterations.
    tol : float, default=1e-2
        Convergence threshold on the gain of the total log-likelihood.
    verbose : bool, default=False
        Print each iteration to stderr.
    params : str, default='ste'
        Parameters updated by EM: 's' start, 't' transitions, 'e' emissions.
    implementation : {'log', 'scaling'}, default='log'
        Forward-backward variant (see :class:`BaseHMM`).
    n_init : int, default=1
        Number of starts: the given parameters first, then random ones.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
        Start probabilities.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities.
    emissions_ : Family
        The fitted emission components, one per state.
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

    _emission_letters = "e"

    _parameter_constraints: dict = {
        **BaseHMM._parameter_constraints,
        "family": [Family, list, tuple],
        "startprob": ["array-like", None],
        "transmat": ["array-like", None],
    }

    def __init__(self, family, startprob=None, transmat=None, *, startprob_prior=1.0,
                 transmat_prior=1.0, algorithm="viterbi", random_state=None, n_iter=10,
                 tol=1e-2, verbose=False, params="ste", implementation="log", n_init=1,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    @property
    def n_components(self):
        """Number of states (components of ``family``)."""
        return self._start_family().n_components

    @property
    def init_params(self):
        """Parameters initialized by ``fit``: none, the given ones are the start."""
        return ""

    def _start_family(self):
        if isinstance(self.family, Family):
            return self.family
        if isinstance(self.family, (list, tuple)) and self.family and all(
                isinstance(part, Family) for part in self.family):
            return type(self.family[0]).concatenate(list(self.family))
        raise TypeError("family must be a Family or a list of one-component families; got "
                        f"{type(self.family).__name__}.")

    def _family_kind(self):
        return self._start_family()

    def _check_and_set_n_features(self, X):
        self.n_features_in_ = X.shape[1]

    def _init(self, X, lengths=None, random_state=None):
        X = self._validate_X(X)
        self._check_and_set_n_features(X)
        K = self.n_components
        family = self._start_family()
        family.validate(X)
        if random_state is None:
            self.startprob_ = (np.full(K, 1.0 / K) if self.startprob is None
                               else np.asarray(self.startprob, dtype=np.float64))
            self.transmat_ = (np.full((K, K), 1.0 / K) if self.transmat is None
                              else np.asarray(self.transmat, dtype=np.float64))
            self.emissions_ = family
        else:
            rng = check_random_state(random_state)
            self.startprob_ = rng.dirichlet(np.ones(K))
            self.transmat_ = rng.dirichlet(np.ones(K), size=K)
            resp = rng.uniform(size=(len(X), K))
            resp /= resp.sum(axis=1, keepdims=True)
            self.emissions_ = family.maximize(family.accumulate(X, resp))
        n_scalars = family.n_parameters() + K * K - 1
        if X.size < n_scalars:
            _log.warning("Fitting a model with %d free scalar parameters with only %d data "
                         "points will result in a degenerate solution.", n_scalars, X.size)

    def _emission_family(self):
        if not hasattr(self, "emissions_"):
            raise ValueError("emissions_ is not set; fit the model first.")
        return self.emissions_

    def _set_emissions(self, family):
        self.emissions_ = family

    def _emission_input(self, X):
        self._emission_family().validate(X)
        return X
