"""``emkit.GMMHMM``: hmmlearn's GMMHMM on emkit's engine, a Gaussian mixture per state.

The emissions are :class:`emkit.families.gaussian_mixtures.GaussianMixtures` in
hmmlearn's layout (``weights_``, ``means_``, ``covars_``), and the M-step is hmmlearn's
MAP step (:class:`emkit.families.gaussian_mixtures_prior.GaussianMixturesPrior`), an
option of the model. Missing values (NaN) take the Gaussian families' observed-data
E-step.
"""

from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from emkit.engine import ArraySource
from emkit.estimators._missing import filled_for_init
from emkit.estimators._starts import data_covariance
from emkit.estimators.hmm._base import BaseHMM
from emkit.families.gaussian_mixture_layouts import COVARIANCE_STRUCTURES
from emkit.families.gaussian_mixtures import GaussianMixtures
from emkit.families.gaussian_mixtures_prior import GaussianMixturesPrior
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["GMMHMM"]


@document_fit_modes
class GMMHMM(BaseHMM):
    """Hidden Markov model with Gaussian mixture emissions (hmmlearn's ``GMMHMM``).

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    n_mix : int, default=1
        Number of Gaussians in each state's mixture.
    min_covar : float, default=1e-3
        Added to the diagonal of the data covariance that initializes ``covars_``, and
        to a covariance that an M-step leaves singular.
    startprob_prior : float or array-like of shape (n_components,), default=1.0
        Dirichlet prior of ``startprob_``.
    transmat_prior : float or array-like of shape (n_components, n_components), default=1.0
        Dirichlet prior of each row of ``transmat_``.
    weights_prior : float or array-like of shape (n_components, n_mix), default=1.0
        Dirichlet prior of each row of ``weights_``.
    means_prior : float or array-like, default=0.0
        Centre of the normal prior on the means, broadcast to (n_components, n_mix,
        n_features).
    means_weight : float or array-like, default=0.0
        Pseudo-count of the prior on the means, broadcast to (n_components, n_mix).
    covars_prior : float or array-like, default=None
        Scale of the inverse-gamma (spherical, diag) or inverse-Wishart (full, tied)
        prior on the covariances; None is hmmlearn's default (0 for full and tied,
        -1.5 for diag, -(n_mix + 2) / 2 for spherical).
    covars_weight : float or array-like, default=None
        Weight of the covariance prior; None is hmmlearn's default (-(n_features + 2)
        for full, -(n_mix + n_features + 1) for tied, 0 for diag and spherical). The
        defaults make the M-step maximum likelihood, except spherical when ``n_mix``
        differs from ``n_features`` (hmmlearn's default, kept).
    algorithm : {'viterbi', 'map'}, default='viterbi'
        Decoder.
    covariance_type : {'spherical', 'diag', 'full', 'tied'}, default='diag'
        Covariance structure of the Gaussians; 'tied' shares one full matrix among the
        Gaussians of a state.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialization (k-means means, random probabilities) and sampling.
    n_iter : int, default=10
        Maximum number of EM iterations.
    tol : float, default=1e-2
        Convergence threshold on the gain of the total log-likelihood.
    verbose : bool, default=False
        Print each iteration to stderr.
    params : str, default='stmcw'
        Parameters updated by EM: 's' start, 't' transitions, 'm' means, 'c'
        covariances, 'w' mixture weights.
    init_params : str, default='stmcw'
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
    weights_ : ndarray of shape (n_components, n_mix)
        Weight of each Gaussian in its state's mixture.
    means_ : ndarray of shape (n_components, n_mix, n_features)
        Means of the Gaussians.
    covars_ : ndarray
        Covariances of the Gaussians: (n_components, n_mix) spherical, (n_components,
        n_mix, n_features) diag, (n_components, n_mix, n_features, n_features) full,
        (n_components, n_features, n_features) tied.
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

    _emission_letters = "mcw"

    _parameter_constraints: dict = {
        **BaseHMM._parameter_constraints,
        "n_mix": [Interval(Integral, 1, None, closed="left")],
        "min_covar": [Interval(Real, 0.0, None, closed="left")],
        "weights_prior": [Real, "array-like"],
        "means_prior": [Real, "array-like"],
        "means_weight": [Real, "array-like"],
        "covars_prior": [Real, "array-like", None],
        "covars_weight": [Real, "array-like", None],
        "covariance_type": [StrOptions({"spherical", "diag", "full", "tied"})],
    }

    def __init__(self, n_components=1, n_mix=1, min_covar=1e-3, startprob_prior=1.0,
                 transmat_prior=1.0, weights_prior=1.0, means_prior=0.0, means_weight=0.0,
                 covars_prior=None, covars_weight=None, algorithm="viterbi",
                 covariance_type="diag", random_state=None, n_iter=10, tol=1e-2,
                 verbose=False, params="stmcw", init_params="stmcw", implementation="log",
                 n_init=1,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    def _structure(self):
        # covariance_type names the layout here, once.
        structure = COVARIANCE_STRUCTURES.get(self.covariance_type)
        if structure is None:
            raise ValueError("covariance_type must be one of 'spherical', 'diag', 'full', "
                             f"'tied'; got {self.covariance_type!r}.")
        return structure

    def _family_kind(self):
        return GaussianMixtures

    def _validate_X(self, X):
        X = super()._validate_X(X)
        GaussianMixtures.validate(X)
        return X

    # -- initialization (hmmlearn's: k-means per state, then per mixture) ------------
    def _init_emissions(self, X, lengths, random_state):
        structure = self._structure()
        need_means = self._needs_init("m", "means_")
        need_covars = self._needs_init("c", "covars_")
        if self._needs_init("w", "weights_"):
            self.weights_ = np.full((self.n_components, self.n_mix), 1.0 / self.n_mix)
        if not (need_means or need_covars):
            return
        X = filled_for_init(X)
        fewest = max(2, self.n_components)
        if len(X) < fewest:
            raise ValueError(f"GMMHMM needs at least {fewest} samples to start its means and "
                             f"covariances from the data; got {len(X)}. Give more data, or "
                             "set means_ and covars_ and leave 'm' and 'c' out of "
                             "init_params.")
        cv = data_covariance(ArraySource(X)) + self.min_covar * np.eye(X.shape[1])
        if need_means:
            self.means_ = self._kmeans_means(X, cv, random_state)
        if need_covars:
            self.covars_ = structure.from_matrix(cv, self.n_components, self.n_mix)

    def _kmeans_means(self, X, cv, random_state):
        # k-means into n_components clusters, then each cluster into n_mix; a cluster
        # with fewer rows than n_mix draws its means around the centre of the clusters.
        from sklearn.cluster import KMeans  # on use: it is slow to import

        K, M = self.n_components, self.n_mix
        main = KMeans(n_clusters=K, random_state=random_state, n_init=10)
        labels = main.fit_predict(X)
        centre = np.mean(main.cluster_centers_, axis=0)
        rng, means = check_random_state(random_state), []
        for label in range(K):
            rows = X[labels == label]
            if len(rows) >= M:
                kmeans = KMeans(n_clusters=M, random_state=random_state, n_init=10)
                means.append(kmeans.fit(rows).cluster_centers_)
            else:
                means.append(rng.multivariate_normal(centre, cv, size=M))
        return np.stack(means)

    # -- checks ------------------------------------------------------------------------
    def _check_emissions(self):
        structure = self._structure()
        for name in ("weights_", "means_", "covars_"):
            if not hasattr(self, name):
                raise ValueError(f"{name} is not set; fit the model or set it first.")
        means = np.asarray(self.means_, dtype=np.float64)
        if getattr(self, "n_features", None) is None and means.ndim == 3:
            self.n_features = means.shape[2]
        K, M, D = self.n_components, self.n_mix, self.n_features
        weights = np.asarray(self.weights_, dtype=np.float64)
        if weights.shape != (K, M):
            raise ValueError(f"weights_ must have shape (n_components, n_mix) = {(K, M)}; got "
                             f"{weights.shape}.")
        sums = weights.sum(axis=1)
        if not np.all(weights >= 0):
            index = np.unravel_index(int(np.argmax(~(weights >= 0))), weights.shape)
            raise ValueError(f"weights_ must hold non-negative weights; entry "
                             f"({index[0]}, {index[1]}) is {weights[index]}.")
        if not np.allclose(sums, 1.0):
            raise ValueError("weights_ must hold non-negative weights whose rows sum to 1; "
                             f"got row sums {np.round(sums, 6).tolist()}.")
        if means.shape != (K, M, D):
            raise ValueError(f"means_ must have shape (n_components, n_mix, n_features) = "
                             f"{(K, M, D)}; got {means.shape}.")
        if not np.all(np.isfinite(means)):
            raise ValueError("means_ must hold finite numbers.")
        self.weights_, self.means_ = weights, means
        self.covars_ = self._checked_covars(structure, K, M, D)

    def _checked_covars(self, structure, K, M, D):
        covars = np.array(self.covars_, dtype=np.float64)
        shape = structure.shape(K, M, D)
        if covars.shape != shape:
            raise ValueError(f"{structure.name!r} covars_ must have shape {shape}; got "
                             f"{covars.shape}.")
        if structure.tail != "DD":
            bad = ~((covars > 0) & np.isfinite(covars))
            if bad.any():
                index = np.unravel_index(int(np.argmax(bad)), covars.shape)
                where = " ".join(f"{n} {i}" for n, i in zip(
                    ("state", "mixture component", "feature"), index))
                raise ValueError(f"{structure.name!r} covars_ must hold positive finite "
                                 f"variances; {where} holds {covars[index]}.")
            return covars
        for index in np.ndindex(covars.shape[:-2]):
            matrix = covars[index]
            where = " ".join(f"{n} {i}" for n, i in zip(("state", "mixture component"), index))
            if not np.allclose(matrix, matrix.T):
                raise ValueError(f"The covariance of {where} in covars_ is not symmetric.")
            if not (np.all(np.isfinite(matrix)) and linalg.eigvalsh(matrix).min() > 0):
                raise ValueError(f"The covariance of {where} in covars_ is not positive "
                                 "definite.")
        return covars

    # -- the emission family and its prior ------------------------------------------------
    def _emission_family(self):
        return GaussianMixtures(self.weights_, self.means_, self.covars_,
                                self._structure().name, reg_covar=0.0)

    def _set_emissions(self, family):
        self.weights_ = family.weights
        self.means_ = family.means
        self.covars_ = family.covariances

    def _emission_prior(self):
        letters = set(self.params)
        return GaussianMixturesPrior(self.weights_prior, self.means_prior, self.means_weight,
                                     self.covars_prior, self.covars_weight,
                                     min_covar=self.min_covar, update_weights="w" in letters,
                                     update_means="m" in letters, update_covars="c" in letters)

    def _generate_sample_from_state(self, state, random_state):
        # hmmlearn's draws: the Gaussian of the state's mixture, then the row.
        weights = np.asarray(self.weights_, dtype=np.float64)
        means = np.asarray(self.means_, dtype=np.float64)
        gaussian = random_state.choice(self.n_mix, p=weights[state])
        covariance = self._structure().matrix(np.asarray(self.covars_, dtype=np.float64),
                                              state, gaussian, means.shape[2])
        return random_state.multivariate_normal(means[state, gaussian], covariance)

    def _emission_moments(self):
        means, covariances = self._emission_family().state_moments()
        return {"means": means, "covariances": covariances}

    def _get_n_fit_scalars_per_param(self):
        K, M, D = self.n_components, self.n_mix, self.n_features
        return {"s": K - 1, "t": K * (K - 1), "m": K * M * D,
                "c": self._structure().n_parameters(K, M, D), "w": K * (M - 1)}
