"""``emkit.GaussianMixture``: a drop-in for ``sklearn.mixture.GaussianMixture``.

Same parameters, defaults, attributes, warnings and errors; the fit runs on emkit's engine
(chunked, float64 statistics about a shift, honest convergence, re-seeded empty
components). ``covariance_type`` is mapped to its family class here, once: scikit-learn's
four names or mclust's fourteen models.
"""

from numbers import Real

import numpy as np
from scipy import linalg
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from emkit.engine.report import VerboseReporter
from emkit.estimators._missing import column_means, filled_for_init
from emkit.estimators._input import attribute_dtype
from emkit.estimators._mixture_base import MixtureEstimator, validate_support
from emkit.estimators._sklearn_steps import SklearnSteps
from emkit.estimators._starts import start_statistics
from emkit.families.gaussian import (GaussianDiag, GaussianSpherical, GaussianTied,
                                     MIXTURE_COVARIANCE_TYPES)
from emkit.models.mixture import Mixture
from emkit.stats import WEIGHT_EPS
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["GaussianMixture"]

#: Most rows the hierarchical start clusters; more are sampled down to this many (the
#: size of mclust's default ``subset``), and every row joins the nearest cluster mean.
HIERARCHICAL_MAX_ROWS = 2000


@document_fit_modes
class GaussianMixture(SklearnSteps, MixtureEstimator):
    """Gaussian mixture fitted by expectation-maximization.

    A drop-in replacement for ``sklearn.mixture.GaussianMixture``: the same parameters,
    attributes and methods. Differences are deliberate: ``converged_`` is False when
    ``max_iter`` stops the fit, a component that loses all its weight is re-seeded with
    a warning, a drop of the likelihood is reported, data far from the origin keep their
    precision, and float32 data are computed in float32 with float64 statistics.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical', 'EII', 'VII', 'EEI', 'VEI', \
'EVI', 'VVI', 'EEE', 'VEE', 'EVE', 'VVE', 'EEV', 'VEV', 'EVV', 'VVV'}, default='full'
        Covariance structure: one full matrix per component, one shared full matrix,
        one diagonal per component, or one variance per component; or one of mclust's
        models ``Sigma_k = lambda_k D_k A_k D_k^T`` (Celeux and Govaert, 1995), whose
        letters say whether the volume ``lambda_k``, the shape ``A_k`` and the
        orientation ``D_k`` are Equal, Variable or the Identity across components (see
        :data:`emkit.families.gaussian.MCLUST_MODELS`). 'VII', 'VVI', 'EEE' and 'VVV'
        are 'spherical', 'diag', 'tied' and 'full' under mclust's names, fitted and
        stored the same way; the other ten store full (n_components, n_features,
        n_features) matrices. Parameter counts (BIC, AIC) are mclust's.
    tol : float, default=1e-3
        Convergence threshold on the change of the per-sample log-likelihood.
    reg_covar : float, default=1e-6
        Non-negative value added to the diagonal of every covariance.
    max_iter : int, default=100
        Maximum number of EM iterations per initialization.
    n_init : int, default=1
        Number of initializations; the best fit is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data', \
'hierarchical'}, default='kmeans'
        How the starting responsibilities are drawn: one-hot k-means labels, single
        rows chosen by k-means++ or uniformly, uniform random responsibilities, or
        one-hot labels of an agglomerative clustering with Ward's linkage cut into
        ``n_components`` clusters (mclust starts from a model-based agglomeration;
        Ward's is the one under its EII model); each is followed by one M-step. Ward's
        clustering reads at most 2,000 rows, a uniform sample of them when there are
        more, and the other rows join the nearest cluster mean; it ignores
        ``sample_weight``. On Dask data, every one of them reads the start sample
        instead of X (see ``fit``), and is the in-memory start when X has at most
        100,000 rows; given ``weights_init``, ``means_init`` and ``precisions_init``,
        no sample is drawn and no pass is spent on the start. A 'tied' start from
        single rows ('k-means++', 'random_from_data') has the pooled scatter of those
        rows about their own means, zero, plus ``reg_covar``; scikit-learn's formula
        also counts the uncentred second moment of every row no component starts at,
        a covariance broad enough that its first E-step can merge the components.
    weights_init : array-like of shape (n_components,), default=None
        Starting weights; drawn with ``init_params`` when None.
    means_init : array-like of shape (n_components, n_features), default=None
        Starting means; drawn with ``init_params`` when None.
    precisions_init : array-like, default=None
        Starting precisions (inverse covariances), shaped by ``covariance_type``:
        (n_components,) spherical, (n_features, n_features) tied,
        (n_components, n_features) diag, (n_components, n_features, n_features) full
        and mclust's other ten models, which should be given precisions of their form.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialization and of :meth:`sample`.
    warm_start : bool, default=False
        Start each ``fit`` from the last fitted parameters (one initialization).
    verbose : int, default=0
        1 prints the iterations, 2 also times and log-likelihood changes.
    verbose_interval : int, default=10
        Iterations between two printed lines.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights. This and the four arrays below are in the data's dtype (float32
        for float32 data, as scikit-learn's; the statistics are summed in float64).
    means_ : ndarray of shape (n_components, n_features)
        Component means.
    covariances_ : ndarray
        Component covariances, shaped by ``covariance_type``.
    precisions_ : ndarray
        Inverse covariances, shaped like ``covariances_``.
    precisions_cholesky_ : ndarray
        Cholesky factors of the precisions, shaped like ``covariances_``.
    converged_ : bool
        True when the best initialization met ``tol`` before ``max_iter``.
    n_iter_ : int
        Iterations of the best initialization.
    lower_bound_ : float
        Per-sample log-likelihood at the last iteration of the best initialization.
    lower_bounds_ : list of float
        Per-sample log-likelihood at each iteration of the best initialization.
    lower_bounds_per_init_ : list of ndarray
        The per-sample log-likelihoods of every start, in order (for plotting restarts).
    history_ : list of dict
        Per iteration of the best initialization: ``iteration`` and ``log_likelihood``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when ``X`` had string column names.
    """

    _labels_from_y = False  # scikit-learn's fit ignores y; labels come as ``labels``
    _parameter_constraints: dict = {
        **MixtureEstimator._parameter_constraints,
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++",
                                    "hierarchical"})],
        "covariance_type": [StrOptions(set(MIXTURE_COVARIANCE_TYPES))],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
    }

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, random_state=None, warm_start=False,
                 verbose=0, verbose_interval=10, acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    @property
    def _family(self):
        return MIXTURE_COVARIANCE_TYPES[self.covariance_type]

    def _check_parameters(self, X):
        validate_support(self._family, X)
        K, D = self.n_components, X.shape[1]
        if self.weights_init is not None:
            self.weights_init = _check_weights(self.weights_init, K)
        if self.means_init is not None:
            self.means_init = _check_shape(_as_array(self.means_init), (K, D), "means")
        if self.precisions_init is not None:
            self.precisions_init = _check_precisions(self.precisions_init,
                                                     self.covariance_type, K, D)

    def _initial_resp(self, X, rng, sample_weight=None):
        # Returns resp(start, stop): the starting responsibilities of a block of rows, drawn
        # with the random state exactly as scikit-learn draws them for the whole matrix.
        n, K = X.shape[0], self.n_components
        if self.init_params == "random":
            return lambda start, stop: _normalized(rng.uniform(size=(stop - start, K)))
        if self.init_params == "kmeans":
            from sklearn.cluster import KMeans  # on use, as every clustering here: slow to import

            labels = KMeans(n_clusters=K, n_init=1, random_state=rng).fit(
                filled_for_init(X), sample_weight=sample_weight).labels_
        elif self.init_params == "hierarchical":
            labels = _ward_labels(filled_for_init(X), K, rng)
        else:
            if self.init_params == "random_from_data":
                indices = rng.choice(n, size=K, replace=False)
            else:
                from sklearn.cluster import kmeans_plusplus

                _, indices = kmeans_plusplus(filled_for_init(X), K, random_state=rng,
                                             sample_weight=sample_weight)
            labels = np.full(n, -1)
            labels[indices] = np.arange(K)
        return lambda start, stop: _one_hot(labels[start:stop], K)

    def _initial_model(self, rng, index, source):
        given = (self.weights_init, self.means_init, self.precisions_init)
        if all(value is not None for value in given):
            # Everything the initial M-step would estimate is overwritten: skip its pass
            # over the data (scikit-learn makes it, and its random draws, then discards
            # them; every start from the same given parameters is the same start).
            family = self._family.from_precisions(self.means_init, self.precisions_init,
                                                  self.reg_covar)
            return Mixture.start(self.weights_init, family)
        start = source.start_source()
        return self._start_from_resp(start, self._initial_resp(start.X, rng,
                                                               start.sample_weight))

    def _maximize_resp(self, start, resp, n_components=None):
        # The M-step of responsibilities resp(start, stop) of the rows of ``start``, of
        # n_components columns (default: the estimator's): (summed weights +
        # WEIGHT_EPS, family), in float64.
        placeholder = self._family._placeholder(n_components or self.n_components,
                                                column_means(start.X), self.reg_covar)
        stats = start_statistics(placeholder, start, resp).family
        return stats.weight + WEIGHT_EPS, placeholder.maximize(stats)

    def _start_from_resp(self, start, resp, n_components=None):
        # The first model of a fit from starting responsibilities, the given
        # weights_init, means_init and precisions_init overriding what they estimate.
        weights, family = self._maximize_resp(start, resp, n_components)
        sample_weight = start.sample_weight
        # As scikit-learn: divided by the number of samples (their total weight), so
        # starts from single rows begin with weights that do not sum to one.
        total = start.X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        weights = weights / total
        if self.weights_init is not None:
            weights = self.weights_init
        means = family.means if self.means_init is None else self.means_init
        if self.precisions_init is None:
            family = self._family(means, family.covariances, self.reg_covar)
        else:
            family = self._family.from_precisions(means, self.precisions_init, self.reg_covar)
        return Mixture.start(weights, family)

    def _reporter(self):
        return VerboseReporter(self.verbose, self.verbose_interval)

    def _fit_data(self, X, *args, **kwargs):
        X, source = super()._fit_data(X, *args, **kwargs)
        self._attribute_dtype = attribute_dtype(X)
        return X, source

    def _set_model(self, model):
        # The fitted attributes in the data's dtype, as scikit-learn's for data and
        # starts of one dtype (the model computes, and keeps its statistics, in float64).
        family = model.family
        dtype = getattr(self, "_attribute_dtype", np.float64)
        self.weights_ = np.asarray(model.weights, dtype=dtype)
        self.means_ = np.asarray(family.means, dtype=dtype)
        self.covariances_ = np.asarray(family.covariances, dtype=dtype)
        self.precisions_cholesky_ = np.asarray(family.precisions_cholesky, dtype=dtype)
        self.precisions_ = np.asarray(family.precisions, dtype=dtype)

    def _fitted_n_features(self):
        return np.shape(self.means_)[-1]

    def _check_warm_start(self):
        super()._check_warm_start()
        mismatch = self._precisions_mismatch()
        if mismatch:
            raise ValueError(
                f"warm_start=True continues the fitted model, whose {mismatch}; set "
                "covariance_type back or fit with warm_start=False.")

    def _precisions_mismatch(self):
        # What differs when covariance_type changed since the fit (set_params), or "".
        K, D = len(self.weights_), np.shape(self.means_)[-1]
        shape = _precision_shape(self.covariance_type, K, D)
        fitted = np.shape(self.precisions_cholesky_)
        return "" if fitted == shape else (
            f"precisions_cholesky_ have shape {fitted}, not the shape {shape} of "
            f"covariance_type={self.covariance_type!r}")

    def _get_model(self):
        check_is_fitted(self)
        mismatch = self._precisions_mismatch()
        if mismatch:
            raise ValueError(f"The fitted {mismatch}; set covariance_type back to the one "
                             "fitted, or fit again.")
        family = self._family.from_precisions_cholesky(
            self.means_, self.precisions_cholesky_, self.reg_covar)
        return Mixture(np.asarray(self.weights_, dtype=np.float64), family)


def _normalized(resp):
    return resp / resp.sum(axis=1)[:, np.newaxis]


def _one_hot(labels, K):
    resp = np.zeros((len(labels), K))
    hit = labels >= 0
    resp[np.flatnonzero(hit), labels[hit]] = 1.0
    return resp


def _as_array(value):
    return check_array(value, dtype=[np.float64, np.float32], ensure_2d=False, allow_nd=True)


def _check_shape(param, shape, name):
    if param.shape != shape:
        raise ValueError(f"The parameter '{name}' should have the shape of {shape}, but got "
                         f"{param.shape}; give one entry per component (and feature).")
    return param


def _check_weights(weights, n_components):
    weights = _check_shape(_as_array(weights), (n_components,), "weights")
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        # The order of min and max follows scikit-learn's message, which its tests match.
        raise ValueError(
            "The parameter 'weights' should be in the range [0, 1], but got max value "
            f"{np.min(weights):.5f}, min value {np.max(weights):.5f}; give probabilities.")
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if not np.allclose(np.abs(1.0 - np.sum(weights)), 0.0, atol=atol):
        raise ValueError("The parameter 'weights' should be normalized, but got "
                         f"sum(weights) = {np.sum(weights):.5f}; divide them by their sum.")
    return weights


def _ward_labels(X, K, rng):
    # Ward's agglomeration of at most HIERARCHICAL_MAX_ROWS rows cut into K clusters;
    # with a sample, every row then takes the label of the nearest cluster mean.
    from scipy.cluster import hierarchy

    n = X.shape[0]
    if n <= HIERARCHICAL_MAX_ROWS:
        return hierarchy.cut_tree(hierarchy.ward(X), n_clusters=K).ravel()
    rows = np.sort(rng.choice(n, size=HIERARCHICAL_MAX_ROWS, replace=False))
    sample_labels = hierarchy.cut_tree(hierarchy.ward(X[rows]), n_clusters=K).ravel()
    centres = np.array([X[rows[sample_labels == k]].mean(axis=0) for k in range(K)])
    distances = ((X ** 2).sum(axis=1)[:, None] - 2 * X @ centres.T
                 + (centres ** 2).sum(axis=1)[None, :])
    labels = np.argmin(distances, axis=1)
    labels[rows] = sample_labels
    return labels


def _stored_as(covariance_type):
    # The scikit-learn type whose layout a covariance type's family stores.
    family = MIXTURE_COVARIANCE_TYPES[covariance_type]
    layouts = {GaussianSpherical: "spherical", GaussianDiag: "diag", GaussianTied: "tied"}
    return layouts.get(family, "full")


def _precision_shape(covariance_type, K, D):
    # scikit-learn's shape of the precisions of a covariance type (mclust's names by
    # the layout they are stored in).
    return {"full": (K, D, D), "tied": (D, D), "diag": (K, D),
            "spherical": (K,)}[_stored_as(covariance_type)]


def _check_precisions(precisions, covariance_type, K, D):
    precisions = _as_array(precisions)
    layout = _stored_as(covariance_type)
    _check_shape(precisions, _precision_shape(covariance_type, K, D),
                 f"{covariance_type} precision")
    if layout in ("diag", "spherical"):
        if np.any(precisions <= 0.0):
            raise ValueError(f"'{covariance_type} precision' should be positive; every "
                             "precision must be greater than zero.")
        return precisions
    for matrix in precisions if layout == "full" else [precisions]:
        if not (np.allclose(matrix, matrix.T) and np.all(linalg.eigvalsh(matrix) > 0.0)):
            raise ValueError(f"'{covariance_type} precision' should be symmetric, "
                             "positive-definite; give inverse covariance matrices.")
    return precisions
