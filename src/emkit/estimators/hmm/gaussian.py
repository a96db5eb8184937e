"""``emkit.GaussianHMM``: hmmlearn's GaussianHMM on emkit's engine and Gaussian families.

``covariance_type`` names the family class once (``COVARIANCE_TYPES``); hmmlearn's
``covars`` layouts are the family's (:mod:`emkit.families.gaussian.covars`), and the
conjugate prior with ``min_covar`` is the family's MAP M-step
(:class:`emkit.families.gaussian.prior.GaussianPrior`), an option of the model.
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from emkit.engine import ArraySource
from emkit.estimators._missing import filled_for_init
from emkit.estimators._starts import data_covariance
from emkit.estimators.hmm._base import BaseHMM
from emkit.families.gaussian import COVARIANCE_TYPES
from emkit.families.gaussian.covars import covars_layout
from emkit.families.gaussian.prior import GaussianPrior
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["GaussianHMM"]


@document_fit_modes
class GaussianHMM(BaseHMM):
    """Hidden Markov model with Gaussian emissions (hmmlearn's ``GaussianHMM``).

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    covariance_type : {'spherical', 'diag', 'full', 'tied'}, default='diag'
        Covariance structure of the emissions.
    min_covar : float, default=1e-3
        Added to the diagonal of the data covariance that initializes ``covars_``.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Dirichlet prior of ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), default=1.0
        Dirichlet prior of each row of ``transmat_``.
    means_prior : float or array-like, default=0
        Centre of the normal prior on the means: a number, one per state, or an array of
        shape (n_components, n_features).
    means_weight : float or array-like, default=0
        Weight of the prior on the means: a number, one per state, or (diag and
        spherical) an array of shape (n_components, n_features).
    covars_prior : float or array-like, default=1e-2
        Scale of the prior on the covariances: a number, one per state (not tied), or an
        array of shape (n_components, n_features) (diag, spherical),
        (n_components, n_features, n_features) (full) or (n_features, n_features)
        (tied).
    covars_weight : float or array-like, default=1
        Weight of the prior on the covariances: a number, one per state (not tied), or
        (diag, spherical) an array of shape (n_components, n_features).
    algorithm : {'viterbi', 'map'}, default='viterbi'
        Decoder.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialization (k-means means, random probabilities) and sampling.
    n_iter : int, default=10
        Maximum number of EM iterations.
    tol : float, default=1e-2
        Convergence threshold on the gain of the total log-likelihood.
    verbose : bool, default=False
        Print each iteration to stderr.
    params : str, default='stmc'
        Parameters updated by EM: 's' start, 't' transitions, 'm' means, 'c' covariances.
    init_params : str, default='stmc'
        Parameters initialized by ``fit``.
    implementation : {'log', 'scaling'}, default='log'
        Forward-backward variant (see :class:`BaseHMM`).
    n_init : int, default=1
        Number of starts.

    Attributes
    ----------
    n_features : int
        Dimension of the emissions.
    startprob_ : ndarray of shape (n_components,)
        Start probabilities.
    transmat_ : ndarray of shape (n_components, n_components)
        Transition probabilities.
    means_ : ndarray of shape (n_components, n_features)
        Emission means.
    covars_ : ndarray of shape (n_components, n_features, n_features)
        Emission covariances as full matrices (the family's compact form in
        ``_covars_``).
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

    _emission_letters = "mc"

    _parameter_constraints: dict = {
        **BaseHMM._parameter_constraints,
        "covariance_type": [StrOptions({"spherical", "diag", "full", "tied"})],
        "min_covar": [Interval(Real, 0.0, None, closed="left")],
        "means_prior": [Real, "array-like"],
        "means_weight": [Real, "array-like"],
        "covars_prior": [Real, "array-like"],
        "covars_weight": [Real, "array-like"],
    }

    def __init__(self, n_components=1, covariance_type="diag", min_covar=1e-3,
                 startprob_prior=1.0, transmat_prior=1.0, means_prior=0, means_weight=0,
                 covars_prior=1e-2, covars_weight=1, algorithm="viterbi", random_state=None,
                 n_iter=10, tol=1e-2, verbose=False, params="stmc", init_params="stmc",
                 implementation="log", n_init=1,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    @property
    def covars_(self):
        """Emission covariances, (n_components, n_features, n_features)."""
        D = self.n_features if getattr(self, "n_features", None) else np.shape(self.means_)[1]
        return self._layout().full(self._covars_, self.n_components, D)

    @covars_.setter
    def covars_(self, covars):
        self._covars_ = self._layout().compact(covars, self.n_components)

    def _family_class(self):
        # covariance_type names the family class here, once.
        family = self._family_kind()
        if family is None:
            raise ValueError("covariance_type must be one of 'spherical', 'tied', 'diag', "
                             f"'full'; got {self.covariance_type!r}.")
        return family

    def _layout(self):
        return covars_layout(self._family_class())

    def _family_kind(self):
        return COVARIANCE_TYPES.get(self.covariance_type)

    def _validate_X(self, X):
        X = super()._validate_X(X)
        family = self._family_kind()
        if family is not None:
            family.validate(X)
        return X

    def _init_emissions(self, X, lengths, random_state):
        X = filled_for_init(X)
        fewest = max(2, self.n_components)
        if len(X) < fewest and (self._needs_init("m", "means_")
                                or self._needs_init("c", "covars_")):
            raise ValueError(f"{type(self).__name__} needs at least {fewest} samples to start "
                             f"its means and covariances from the data; got {len(X)}. Give "
                             "more data, or set means_ and covars_ and leave 'm' and 'c' out "
                             "of init_params.")
        if self._needs_init("m", "means_"):
            from sklearn.cluster import KMeans  # on use: it is slow to import

            kmeans = KMeans(n_clusters=self.n_components, random_state=random_state,
                                    n_init=10)
            self.means_ = kmeans.fit(X).cluster_centers_
        if self._needs_init("c", "covars_"):
            cv = data_covariance(ArraySource(X)) + self.min_covar * np.eye(X.shape[1])
            self.covars_ = self._layout().from_matrix(cv, self.n_components)

    def _check_emissions(self):
        layout = self._layout()
        for name in ("means_", "_covars_"):
            if not hasattr(self, name):
                raise ValueError(f"{name.strip('_')}_ is not set; fit the model or set it "
                                 "first.")
        self.means_ = np.asarray(self.means_, dtype=np.float64)
        if self.means_.ndim != 2 or len(self.means_) != self.n_components:
            raise ValueError(f"means_ must have shape (n_components, n_features) = "
                             f"({self.n_components}, n_features); got {self.means_.shape}.")
        self.n_features = self.means_.shape[1]
        try:
            self._covars_ = layout.compact(self._covars_, self.n_components, self.n_features)
        except ValueError as error:
            # n_features is means_'s width: say so, for means_ may be the one that is off.
            raise ValueError(f"{str(error)[:-1]}, while means_ has shape "
                             f"{self.means_.shape}.") from None

    def _emission_family(self):
        return self._family_class()(np.asarray(self.means_, dtype=np.float64), self._covars_,
                                    reg_covar=0.0)

    def _set_emissions(self, family):
        self.means_ = family.means
        self._covars_ = family.covariances

    def _emission_prior(self):
        # Shaped for the family here, so that a misshapen hyperparameter is named when
        # the fit starts.
        return GaussianPrior(self.means_prior, self.means_weight, self.covars_prior,
                             self.covars_weight, min_covar=self.min_covar,
                             update_means="m" in self.params, update_covars="c" in self.params
                             ).for_family(self._emission_family())

    def _generate_sample_from_state(self, state, random_state):
        return random_state.multivariate_normal(np.asarray(self.means_)[state],
                                                self.covars_[state])

    def _emission_moments(self):
        return {"means": np.asarray(self.means_, dtype=np.float64), "covariances": self.covars_}

    def _get_n_fit_scalars_per_param(self):
        nc, nf = self.n_components, self.n_features
        return {"s": nc - 1, "t": nc * (nc - 1), "m": nc * nf,
                "c": self._layout().n_parameters(nc, nf)}
