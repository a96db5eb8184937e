"""``emkit.GaussianHMM``: hmmlearn's GaussianHMM on emkit's engine and Gaussian families."""


import warnings

import numpy as np
from scipy import linalg
from sklearn import cluster

from emkit.estimators._missing import filled_for_init
from emkit.estimators.hmm._base import BaseHMM
from emkit.exceptions import ComponentCollapseWarning
from emkit.families.gaussian import COVARIANCE_TYPES
from emkit.families.gaussian.prior import GaussianPrior

__all__ = ["GaussianHMM"]


def _covars_error(covariance_type, shape):
    return ValueError(f"'{covariance_type}' covars must have shape {shape} and be positive "
                      "(positive-definite for full and tied).")


def _stored_covars(covars, covariance_type, n_components):
    # The compact form of hmmlearn's ``_covars_``: (K,), (K, D), (K, D, D) or (D, D).
    covars = np.array(covars, dtype=np.float64)
    if covariance_type == "spherical":
        # hmmlearn stores one variance per component, sometimes repeated per feature.
        rows = covars.reshape(n_components, -1) if covars.size % max(n_components, 1) == 0 \
            and covars.size else covars.reshape(-1, 1)
        covars = rows[:, 0]
        if (len(covars) != n_components or np.any(covars <= 0)
                or not np.all(rows == covars[:, None])):
            raise _covars_error(covariance_type, "(n_components,)")
    elif covariance_type == "diag":
        if covars.ndim != 2 or np.any(covars <= 0):
            raise _covars_error(covariance_type, "(n_components, n_features)")
    elif covariance_type == "tied":
        if covars.ndim != 2 or covars.shape[0] != covars.shape[1] or not _spd(covars):
            raise _covars_error(covariance_type, "(n_features, n_features)")
    elif covariance_type == "full":
        if covars.ndim != 3 or covars.shape[1] != covars.shape[2] or not all(map(_spd, covars)):
            raise _covars_error(covariance_type, "(n_components, n_features, n_features)")
    else:
        raise ValueError("covariance_type must be one of 'spherical', 'tied', 'diag', 'full'; "
                         f"got {covariance_type!r}.")
    return covars


def _spd(matrix):
    return np.allclose(matrix, matrix.T) and np.all(linalg.eigvalsh(matrix) > 0)


def _positive_definite(matrix):
    try:
        linalg.cholesky(matrix, lower=True)
    except linalg.LinAlgError:
        return False
    return True


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
        Centre of the normal prior on the means.
    means_weight : float or array-like, default=0
        Weight of the prior on the means.
    covars_prior : float or array-like, default=1e-2
        Scale of the prior on the covariances.
    covars_weight : float or array-like, default=1
        Weight of the prior on the covariances.
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
        Emission covariances as full matrices (compact form in ``_covars_``).
    monitor_ : ConvergenceMonitor
        History and convergence of the fit.
    converged_ : bool
        True when the fit met ``tol`` before ``n_iter`` iterations.
    n_iter_ : int
        Iterations run.
    history_per_init_ : list of ndarray
        The total log-likelihood at each iteration of every start, in order.
    """

    _emission_letters = "mc"

    def __init__(self, n_components=1, covariance_type="diag", min_covar=1e-3,
                 startprob_prior=1.0, transmat_prior=1.0, means_prior=0, means_weight=0,
                 covars_prior=1e-2, covars_weight=1, algorithm="viterbi", random_state=None,
                 n_iter=10, tol=1e-2, verbose=False, params="stmc", init_params="stmc",
                 implementation="log", n_init=1):
        super().__init__(n_components, startprob_prior=startprob_prior,
                         transmat_prior=transmat_prior, algorithm=algorithm,
                         random_state=random_state, n_iter=n_iter, tol=tol, verbose=verbose,
                         params=params, init_params=init_params,
                         implementation=implementation, n_init=n_init)
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight

    @property
    def covars_(self):
        """Emission covariances, (n_components, n_features, n_features)."""
        covars = self._covars_
        K = self.n_components
        if self.covariance_type == "full":
            return covars
        if self.covariance_type == "diag":
            return np.array([np.diag(c) for c in covars])
        if self.covariance_type == "tied":
            return np.tile(covars, (K, 1, 1))
        D = self.n_features if getattr(self, "n_features", None) else np.shape(self.means_)[1]
        return covars[:, None, None] * np.eye(D)[None]

    @covars_.setter
    def covars_(self, covars):
        self._covars_ = _stored_covars(covars, self.covariance_type, self.n_components)

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
            kmeans = cluster.KMeans(n_clusters=self.n_components, random_state=random_state,
                                    n_init=10)
            self.means_ = kmeans.fit(X).cluster_centers_
        if self._needs_init("c", "covars_"):
            cv = np.atleast_2d(np.cov(X.T)) + self.min_covar * np.eye(X.shape[1])
            K = self.n_components
            self.covars_ = {"spherical": lambda: np.full(K, cv.mean()),
                            "diag": lambda: np.tile(np.diag(cv), (K, 1)),
                            "tied": lambda: cv,
                            "full": lambda: np.tile(cv, (K, 1, 1))}[self.covariance_type]()

    def _check_emissions(self):
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError("covariance_type must be one of 'spherical', 'tied', 'diag', "
                             f"'full'; got {self.covariance_type!r}.")
        for name in ("means_", "_covars_"):
            if not hasattr(self, name):
                raise ValueError(f"{name.strip('_')}_ is not set; fit the model or set it "
                                 "first.")
        self.means_ = np.asarray(self.means_, dtype=np.float64)
        if self.means_.ndim != 2 or len(self.means_) != self.n_components:
            raise ValueError(f"means_ must have shape (n_components, n_features) = "
                             f"({self.n_components}, n_features); got {self.means_.shape}.")
        self.n_features = self.means_.shape[1]
        self._covars_ = _stored_covars(self._covars_, self.covariance_type, self.n_components)

    def _emission_family(self):
        family = COVARIANCE_TYPES[self.covariance_type]
        return family(np.asarray(self.means_, dtype=np.float64), self._covars_, reg_covar=0.0)

    def _set_emissions(self, family):
        self.means_ = family.means
        self._covars_ = family.covariances

    def _prior(self):
        return GaussianPrior(self.means_prior, self.means_weight, self.covars_prior,
                             self.covars_weight)

    def _emission_update(self, family, stats, occupancy):
        means, covars = self._prior().estimate(family, stats, update_means="m" in self.params,
                                               update_covars="c" in self.params)
        return type(family)(means, self._floor_singular(covars), reg_covar=0.0)

    def _floor_singular(self, covars):
        # A state holding fewer distinct points than dimensions has a singular covariance
        # (hmmlearn regularizes it silently inside its density); add min_covar to its
        # diagonal, and say so.
        if self.covariance_type in ("diag", "spherical"):
            bad = ~(covars > 0).reshape(len(covars), -1).all(axis=1)
            fixed = np.where(covars > 0, covars, self.min_covar)
        else:
            stack = covars[None] if self.covariance_type == "tied" else covars
            bad = np.array([not _positive_definite(c) for c in stack])
            fixed = stack + np.where(bad, self.min_covar, 0.0)[:, None, None] * np.eye(
                stack.shape[-1])
            fixed = fixed[0] if self.covariance_type == "tied" else fixed
        if bad.any():
            warnings.warn(
                f"The covariance of state {int(np.flatnonzero(bad)[0])} is singular (it holds "
                "fewer distinct points than dimensions, or a constant feature); min_covar was "
                "added to its diagonal. Use fewer states or a larger covars_prior.",
                ComponentCollapseWarning, stacklevel=6)
        return fixed

    def _flat_priors(self):
        # Any covariance prior makes the M-step a MAP step, which may lower the likelihood.
        return (super()._flat_priors() and np.all(np.asarray(self.means_weight) == 0)
                and np.all(np.asarray(self.covars_prior) == 0)
                and np.all(np.asarray(self.covars_weight) <= (
                    1 if self.covariance_type in ("diag", "spherical") else self.n_features)))

    def _get_n_fit_scalars_per_param(self):
        nc, nf = self.n_components, self.n_features
        return {"s": nc - 1, "t": nc * (nc - 1), "m": nc * nf,
                "c": {"spherical": nc, "diag": nc * nf, "full": nc * nf * (nf + 1) // 2,
                      "tied": nf * (nf + 1) // 2}[self.covariance_type]}
