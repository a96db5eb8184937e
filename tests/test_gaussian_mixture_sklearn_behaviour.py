"""Behaviour of ``emkit.GaussianMixture`` that scikit-learn's own mixture tests check.

``emkit.GaussianMixture`` is meant as a drop-in replacement for
``sklearn.mixture.GaussianMixture``.  The tests below port the behaviours covered by
``sklearn/mixture/tests/test_gaussian_mixture.py`` and ``test_mixture.py`` (version
1.9) and, wherever it is possible, run scikit-learn as an oracle on the same data
and the same initial parameters / random_state and compare the numbers.

Deliberate differences from scikit-learn that are *not* checked against sklearn:

* fitted parameters take float32 data's dtype also when the starts are float64
  (scikit-learn's then mix float32 and float64);
* a collapsed component (weight ~ 0) is re-seeded (``ComponentCollapseWarning``);
* identical user-given components warn (``IdenticalComponentsWarning``);
* a real drop of the log-likelihood warns (``LikelihoodDecreaseWarning``) and is
  never declared convergence.

scikit-learn's ``test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters``
counts calls of one of scikit-learn's own functions, which emkit never calls; the
behaviour it guards (no initial estimation when every start is given) is emkit's too.

The data sets are kept small so that the module runs in a few seconds.
"""

import copy
import inspect
import itertools
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import linalg
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.utils._param_validation import InvalidParameterError

from emkit import GaussianMixture
from emkit.exceptions import LikelihoodDecreaseWarning
from emkit.estimators._fit_modes import FIT_MODE_DEFAULTS

COV_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
PARAM_ATTRS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")
NOT_FITTED_MSG = re.escape(
    "This GaussianMixture instance is not fitted yet. Call 'fit' with "
    "appropriate arguments before using this estimator."
)
CONVERGENCE_MSG = re.escape(
    "Best performing initialization did not converge. Try different init "
    "parameters, or increase max_iter, tol, or check for degenerate data."
)
ILL_DEFINED_MSG = re.escape(
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed samples). "
    "Try to decrease the number of components, increase reg_covar, or scale the "
    "input data."
)


# --------------------------------------------------------------------------- data


def _random_spd(rng, d, low=0.5, high=2.0):
    """Random symmetric positive-definite matrix with eigenvalues in [low, high]."""
    q, _ = np.linalg.qr(rng.randn(d, d))
    return (q * rng.uniform(low, high, size=d)) @ q.T


def make_mixture_data(
    seed=0, n_samples=200, n_components=2, n_features=2, scale=50.0, dtype=np.float64
):
    """Ground-truth mixture parameters and one data set per covariance type.

    Returns a namespace with ``weights``, ``means``, ``covariances[cov]``,
    ``precisions[cov]`` (in the layout GaussianMixture uses for ``cov``), ``X[cov]``
    and the true labels ``y`` (the same for every covariance type).
    """
    rng = np.random.RandomState(seed)
    weights = 0.3 + rng.rand(n_components)
    weights /= weights.sum()
    means = rng.rand(n_components, n_features) * scale
    covariances = {
        "spherical": 0.5 + rng.rand(n_components),
        "diag": (0.5 + rng.rand(n_components, n_features)) ** 2,
        "tied": _random_spd(rng, n_features),
        "full": np.array([0.5 * _random_spd(rng, n_features) for _ in range(n_components)]),
    }
    precisions = {
        "spherical": 1.0 / covariances["spherical"],
        "diag": 1.0 / covariances["diag"],
        "tied": linalg.inv(covariances["tied"]),
        "full": np.array([linalg.inv(c) for c in covariances["full"]]),
    }
    counts = np.round(weights * n_samples).astype(int)
    eye = np.eye(n_features)
    full_covs = {
        "spherical": [c * eye for c in covariances["spherical"]],
        "diag": [np.diag(c) for c in covariances["diag"]],
        "tied": [covariances["tied"]] * n_components,
        "full": list(covariances["full"]),
    }
    X = {
        cov: np.vstack(
            [rng.multivariate_normal(m, c, n) for m, c, n in zip(means, full_covs[cov], counts)]
        ).astype(dtype)
        for cov in COV_TYPES
    }
    y = np.repeat(np.arange(n_components), counts)
    return SimpleNamespace(
        n_samples=int(counts.sum()),
        n_components=n_components,
        n_features=n_features,
        weights=weights.astype(dtype),
        means=means.astype(dtype),
        covariances={k: v.astype(dtype) for k, v in covariances.items()},
        precisions={k: v.astype(dtype) for k, v in precisions.items()},
        X=X,
        y=y,
    )


def _fit_quietly(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X)


def fit_both(X, **params):
    """Fit emkit's and sklearn's GaussianMixture with identical parameters."""
    ours = _fit_quietly(GaussianMixture(**params), X)
    ref = _fit_quietly(SkGaussianMixture(**copy.deepcopy(params)), X)
    return ours, ref


def assert_same_parameters(ours, ref, rtol=1e-6, attrs=PARAM_ATTRS):
    for name in attrs:
        expected = np.asarray(getattr(ref, name))
        actual = np.asarray(getattr(ours, name))
        assert actual.shape == expected.shape, name
        # entries that are zero in theory (e.g. off-diagonals) get an absolute slack
        atol = rtol * np.max(np.abs(expected))
        assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=name)


def assert_same_fit(ours, ref, rtol=1e-6):
    assert_same_parameters(ours, ref, rtol=rtol)
    assert ours.n_iter_ == ref.n_iter_
    assert bool(ours.converged_) == bool(ref.converged_)
    assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=rtol)
    assert len(ours.lower_bounds_) == len(ref.lower_bounds_)
    assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=rtol)


# ------------------------------------------------------------- API / construction


def test_constructor_signature_and_defaults_match_sklearn():
    # scikit-learn's parameters, in its order, then emkit's fit modes (SQUAREM, online
    # EM), keyword-only, whose defaults keep scikit-learn's path.
    ours = inspect.signature(GaussianMixture.__init__).parameters
    ref = inspect.signature(SkGaussianMixture.__init__).parameters
    assert list(ours)[:len(ref)] == list(ref)
    for name, p in ref.items():
        assert ours[name].kind == p.kind, name
        assert ours[name].default == p.default, name
    extra = {name: p.default for name, p in ours.items() if name not in ref}
    assert extra == FIT_MODE_DEFAULTS
    assert all(ours[name].kind == inspect.Parameter.KEYWORD_ONLY for name in extra)
    params = GaussianMixture().get_params()
    assert {k: v for k, v in params.items() if k not in extra} == \
        SkGaussianMixture().get_params()


def test_constructor_parameters_stored_unchanged():
    X = np.random.RandomState(0).rand(10, 2)
    params = dict(
        n_components=2,
        tol=1e-4,
        n_init=3,
        max_iter=30,
        reg_covar=1e-1,
        covariance_type="full",
        init_params="random",
        random_state=0,
    )
    gmm = _fit_quietly(GaussianMixture(**params), X)
    for name, value in params.items():
        assert getattr(gmm, name) == value
    assert gmm.get_params()["n_init"] == 3


def test_get_set_params_and_clone():
    gmm = GaussianMixture(n_components=3, covariance_type="diag", random_state=7)
    assert gmm.set_params(tol=1e-5, max_iter=7) is gmm
    assert (gmm.tol, gmm.max_iter) == (1e-5, 7)
    cloned = clone(gmm)
    assert cloned is not gmm
    assert cloned.get_params() == gmm.get_params()
    with pytest.raises(ValueError, match="Invalid parameter 'not_a_param'"):
        gmm.set_params(not_a_param=1)


@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_components": 0}, "n_components"),
        ({"n_components": 1.5}, "n_components"),
        ({"tol": -1.0}, "tol"),
        ({"reg_covar": -1e-3}, "reg_covar"),
        ({"max_iter": -1}, "max_iter"),
        ({"n_init": 0}, "n_init"),
        ({"init_params": "not-an-init"}, "init_params"),
        ({"covariance_type": "not-a-covariance"}, "covariance_type"),
        ({"warm_start": "yes"}, "warm_start"),
        ({"verbose_interval": 0}, "verbose_interval"),
        ({"random_state": "seed"}, "random_state"),
        ({"weights_init": "bad"}, "weights_init"),
    ],
)
def test_invalid_constructor_parameters_raise_on_fit(params, name):
    X = np.random.RandomState(0).rand(20, 2)
    gmm = GaussianMixture(**params)  # validation is deferred to fit
    msg = f"The '{name}' parameter of GaussianMixture must be"
    with pytest.raises(InvalidParameterError, match=msg):
        gmm.fit(X)
    # InvalidParameterError is both a ValueError and a TypeError
    with pytest.raises(ValueError, match=msg):
        gmm.fit_predict(X)


def test_boundary_parameter_values_are_valid():
    X = np.random.RandomState(0).rand(20, 2)
    gmm = GaussianMixture(n_components=1, tol=0.0, reg_covar=0.0, max_iter=0).fit(X)
    assert gmm.n_iter_ == 0


def test_n_components_greater_than_n_samples():
    X = np.random.RandomState(0).rand(10, 5)
    with pytest.raises(ValueError, match="Expected n_samples >= n_components"):
        GaussianMixture(n_components=12).fit(X)
    msg = re.escape("but got n_components = 12, n_samples = 10")
    with pytest.raises(ValueError, match=msg):
        GaussianMixture(n_components=12).fit(X)


def test_input_validation_errors():
    gmm = GaussianMixture(n_components=1)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        gmm.fit(np.arange(10.0))
    with pytest.raises(ValueError, match="a minimum of 2 is required"):
        gmm.fit(np.ones((1, 3)))
    # scikit-learn rejects NaN here; emkit fits missing values (the observed-data
    # likelihood), so the check moves to infinity, which both reject.
    X = np.random.RandomState(0).rand(20, 2)
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        gmm.fit(X)


def test_n_iter_equals_max_iter_when_not_converged():
    X = np.random.RandomState(0).rand(10, 5)
    with pytest.warns(ConvergenceWarning):
        gmm = GaussianMixture(max_iter=1).fit(X)
    assert gmm.n_iter_ == 1
    assert not gmm.converged_


def test_integer_input_is_accepted():
    X = np.random.RandomState(0).randint(0, 10, size=(50, 2))
    ours, ref = fit_both(X, n_components=2, random_state=0)
    assert ours.means_.dtype == np.float64
    assert_same_fit(ours, ref)


# -------------------------------------------------------- user-given initial values


def test_weights_init_validation():
    data = make_mixture_data(0)
    X, k = data.X["full"], data.n_components
    rng = np.random.RandomState(1)

    bad_shape = rng.rand(k, 1)
    msg = re.escape(
        f"The parameter 'weights' should have the shape of ({k},), but got {bad_shape.shape}"
    )
    with pytest.raises(ValueError, match=msg):
        GaussianMixture(n_components=k, weights_init=bad_shape).fit(X)

    out_of_range = rng.rand(k) + 1
    msg = re.escape("The parameter 'weights' should be in the range [0, 1], but got")
    with pytest.raises(ValueError, match=msg):
        GaussianMixture(n_components=k, weights_init=out_of_range).fit(X)
    negative = np.array([-0.5, 1.5])
    with pytest.raises(ValueError, match=msg):
        GaussianMixture(n_components=k, weights_init=negative).fit(X)

    not_normalised = rng.rand(k)
    not_normalised /= not_normalised.sum() + 1
    msg = re.escape(
        "The parameter 'weights' should be normalized, but got sum(weights) = "
        f"{not_normalised.sum():.5f}"
    )
    with pytest.raises(ValueError, match=msg):
        GaussianMixture(n_components=k, weights_init=not_normalised).fit(X)

    good = data.weights.copy()
    gmm = GaussianMixture(n_components=k, weights_init=good).fit(X)
    assert_array_equal(gmm.weights_init, data.weights)
    assert_array_equal(good, data.weights)  # the user's array is not modified


def test_means_init_validation():
    data = make_mixture_data(0)
    X, k, d = data.X["full"], data.n_components, data.n_features
    bad = np.random.RandomState(1).rand(k + 1, d)
    msg = re.escape(
        f"The parameter 'means' should have the shape of ({k}, {d}), but got ({k + 1}, {d})"
    )
    with pytest.raises(ValueError, match=msg):
        GaussianMixture(n_components=k, means_init=bad).fit(X)

    good = data.means.copy()
    gmm = GaussianMixture(n_components=k, means_init=good).fit(X)
    assert_array_equal(gmm.means_init, data.means)
    assert_array_equal(good, data.means)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_precisions_init_validation(covariance_type):
    data = make_mixture_data(0)
    k, d = data.n_components, data.n_features
    X = data.X[covariance_type]

    bad_shape = {
        "full": np.ones((k + 1, d, d)),
        "tied": np.ones((d + 1, d + 1)),
        "diag": np.ones((k + 1, d)),
        "spherical": np.ones(k + 1),
    }[covariance_type]
    gmm = GaussianMixture(n_components=k, covariance_type=covariance_type, random_state=0)
    gmm.precisions_init = bad_shape
    msg = f"The parameter '{covariance_type} precision' should have the shape of"
    with pytest.raises(ValueError, match=re.escape(msg)):
        gmm.fit(X)

    indefinite = np.array([np.eye(d)] * k)
    indefinite[0, 0, 0] = -1.0
    asymmetric = np.array([np.eye(d)] * k)
    asymmetric[1, 0, 1] = 0.5
    not_positive = {
        "full": [indefinite, asymmetric],
        "tied": [indefinite[0], asymmetric[1]],
        "diag": [np.full((k, d), -1.0), np.zeros((k, d))],
        "spherical": [np.full(k, -1.0), np.zeros(k)],
    }[covariance_type]
    expected = {
        "full": "symmetric, positive-definite",
        "tied": "symmetric, positive-definite",
        "diag": "positive",
        "spherical": "positive",
    }[covariance_type]
    for bad in not_positive:
        gmm.precisions_init = bad
        with pytest.raises(ValueError, match=f"'{covariance_type} precision' should be {expected}"):
            gmm.fit(X)

    good = data.precisions[covariance_type].copy()
    gmm.precisions_init = good
    gmm.fit(X)
    assert_array_equal(gmm.precisions_init, data.precisions[covariance_type])
    assert_array_equal(good, data.precisions[covariance_type])


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_responsibilities_normalised_and_inits_untouched(covariance_type):
    data = make_mixture_data(0, scale=5)
    X = np.random.RandomState(1).rand(data.n_samples, data.n_features)
    w, m, p = data.weights, data.means, data.precisions[covariance_type]
    gmm = GaussianMixture(
        n_components=data.n_components,
        covariance_type=covariance_type,
        weights_init=w,
        means_init=m,
        precisions_init=p,
        random_state=0,
    )
    _fit_quietly(gmm, X)
    resp = gmm.predict_proba(X)
    assert resp.shape == (data.n_samples, data.n_components)
    assert np.all(resp >= 0)
    assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(gmm.weights_init, w)
    assert_array_equal(gmm.means_init, m)
    assert_array_equal(gmm.precisions_init, p)


def test_max_iter_zero_returns_the_initialisation():
    data = make_mixture_data(0, scale=5)
    X = data.X["full"]
    means_init = [[20, 30], [30, 25]]  # a list is accepted
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no warning for max_iter=0
        gmm = GaussianMixture(
            n_components=2, means_init=means_init, tol=1e-6, max_iter=0, random_state=0
        ).fit(X)
    assert_allclose(gmm.means_, means_init)
    assert gmm.n_iter_ == 0
    assert not gmm.converged_
    assert gmm.lower_bound_ == -np.inf
    assert len(gmm.lower_bounds_) == 0

    ref = SkGaussianMixture(
        n_components=2, means_init=means_init, tol=1e-6, max_iter=0, random_state=0
    ).fit(X)
    assert_same_parameters(gmm, ref)


def test_precisions_init_diag_equals_estimated_precisions():
    # precisions computed by hand from the k-means initialisation must give the same
    # fit (and the same number of iterations) as letting the estimator compute them.
    rng = np.random.RandomState(0)
    X = np.vstack(
        [
            rng.randn(150, 2) + [20.0, 20.0],
            rng.randn(150, 2) @ np.array([[0.0, -0.7], [3.5, 0.7]]),
        ]
    )
    reg_covar = 1e-6
    labels = KMeans(n_clusters=2, n_init=1, random_state=0).fit(X).labels_
    variances = np.array([X[labels == j].var(axis=0) for j in range(2)]) + reg_covar
    common = dict(n_components=2, covariance_type="diag", reg_covar=reg_covar, random_state=0)
    with_init = GaussianMixture(precisions_init=1.0 / variances, **common).fit(X)
    without_init = GaussianMixture(**common).fit(X)
    assert with_init.converged_ and without_init.converged_
    assert with_init.n_iter_ == without_init.n_iter_
    assert_allclose(with_init.precisions_cholesky_, without_init.precisions_cholesky_, rtol=1e-6)
    assert_allclose(with_init.means_, without_init.means_, rtol=1e-6)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_all_initial_parameters_given_makes_init_method_irrelevant(covariance_type):
    data = make_mixture_data(2)
    X = data.X[covariance_type]
    given = dict(
        n_components=data.n_components,
        covariance_type=covariance_type,
        weights_init=data.weights,
        means_init=data.means,
        precisions_init=data.precisions[covariance_type],
        max_iter=3,
        tol=0.0,
    )
    a = _fit_quietly(GaussianMixture(init_params="kmeans", random_state=0, **given), X)
    b = _fit_quietly(GaussianMixture(init_params="random", random_state=123, **given), X)
    assert_same_parameters(a, b, rtol=1e-12)
    assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-12)


# ------------------------------------------------- numerical agreement with sklearn


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_em_from_given_initial_parameters_matches_sklearn(covariance_type):
    data = make_mixture_data(3, n_components=3, n_features=3, scale=8)
    X = data.X[covariance_type]
    params = dict(
        n_components=3,
        covariance_type=covariance_type,
        weights_init=data.weights,
        means_init=data.means + 1.0,
        precisions_init=data.precisions[covariance_type] * 0.5,
        max_iter=8,
        tol=0.0,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match=CONVERGENCE_MSG):
        ours = GaussianMixture(**params).fit(X)
    ref = _fit_quietly(SkGaussianMixture(**params), X)
    assert_same_fit(ours, ref)
    assert ours.n_iter_ == 8 and not ours.converged_

    X_new = np.random.RandomState(5).randn(30, 3) * 5 + data.means.mean(axis=0)
    for Z in (X, X_new):
        assert_allclose(ours.score_samples(Z), ref.score_samples(Z), rtol=1e-6)
        assert_allclose(ours.predict_proba(Z), ref.predict_proba(Z), rtol=1e-5, atol=1e-9)
        assert_array_equal(ours.predict(Z), ref.predict(Z))
        assert_allclose(ours.score(Z), ref.score(Z), rtol=1e-6)
        assert_allclose(ours.bic(Z), ref.bic(Z), rtol=1e-6)
        assert_allclose(ours.aic(Z), ref.aic(Z), rtol=1e-6)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_default_kmeans_initialisation_matches_sklearn(covariance_type):
    data = make_mixture_data(4, n_components=3, scale=10)
    X = data.X[covariance_type]
    ours, ref = fit_both(X, n_components=3, covariance_type=covariance_type, max_iter=0, random_state=0)
    assert_same_parameters(ours, ref)

    ours, ref = fit_both(X, n_components=3, covariance_type=covariance_type, max_iter=10, tol=0.0, random_state=0)
    assert_same_fit(ours, ref)

    # a converging fit with the default tol stops at the same iteration
    ours, ref = fit_both(X, n_components=3, covariance_type=covariance_type, random_state=0)
    assert ours.converged_ and ref.converged_
    assert_same_fit(ours, ref)


@pytest.mark.parametrize("init_params", ["k-means++", "random", "random_from_data"])
def test_other_initialisations_match_sklearn(init_params):
    data = make_mixture_data(5, n_components=3, scale=10)
    X = data.X["full"]
    ours, ref = fit_both(X, n_components=3, init_params=init_params, max_iter=0, random_state=0)
    assert_same_parameters(ours, ref)
    ours, ref = fit_both(X, n_components=3, init_params=init_params, max_iter=5, tol=0.0, random_state=0)
    assert_same_fit(ours, ref)


@pytest.mark.parametrize("init_params", ["k-means++", "random_from_data"])
@pytest.mark.parametrize("offset", [0.0, 100.0])
def test_tied_start_from_single_rows_is_their_pooled_scatter(init_params, offset):
    # Deliberately unlike scikit-learn: its tied M-step assumes every row's
    # responsibilities sum to one, so from single rows it adds every other row's
    # uncentred second moment; the start is broad enough to merge components.
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(600, centers=4, random_state=1)
    X = X + offset
    params = dict(n_components=4, covariance_type="tied", init_params=init_params,
                  random_state=0)
    ours, ref = fit_both(X, max_iter=0, **params)
    assert_same_parameters(ours, ref, attrs=("weights_", "means_"))
    # The rows' scatter about themselves is zero: reg_covar on the diagonal is left.
    assert_allclose(ours.covariances_, 1e-6 * np.eye(2), rtol=0, atol=1e-12)
    # From there emkit's fit keeps four clusters apart; scikit-learn's, from the same
    # rows, ends more than half a nat per row lower.
    ours, ref = fit_both(X, **params)
    assert ours.converged_ and ref.converged_
    assert ours.score(X) > ref.score(X) + 0.5
    if init_params == "k-means++":
        # Here emkit reaches the optimum of the k-means start (to the tolerance).
        best = _fit_quietly(SkGaussianMixture(4, covariance_type="tied", random_state=0), X)
        assert abs(ours.score(X) - best.score(X)) < 1e-3


def test_random_state_instance_is_consumed_like_sklearn():
    # successive fits sharing one RandomState see successive initialisations
    data = make_mixture_data(6, scale=3)
    X = data.X["diag"]
    ours = GaussianMixture(n_components=2, init_params="random", random_state=np.random.RandomState(0))
    ref = SkGaussianMixture(n_components=2, init_params="random", random_state=np.random.RandomState(0))
    for _ in range(3):
        _fit_quietly(ours, X)
        _fit_quietly(ref, X)
        assert_same_fit(ours, ref)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_n_init_matches_sklearn(covariance_type):
    X = np.random.RandomState(0).randn(60, 3)
    ours, ref = fit_both(
        X, n_components=3, covariance_type=covariance_type, n_init=3, init_params="random", random_state=1
    )
    assert_same_fit(ours, ref)


def test_float32_input_gives_float32_attributes_and_outputs_like_sklearn():
    # scikit-learn keeps float32 data's dtype in the fitted attributes and per-row
    # outputs (for starts of the data's dtype); emkit does the same, its statistics
    # still summed in float64.
    data = make_mixture_data(0, dtype=np.float32)
    X32 = data.X["full"]
    X64 = X32.astype(np.float64)
    assert X32.dtype == np.float32
    weights = data.weights.astype(np.float64)
    params = dict(
        n_components=2,
        weights_init=(weights / weights.sum()).astype(np.float32),
        means_init=data.means.astype(np.float32),
        precisions_init=data.precisions["full"].astype(np.float32),
        max_iter=5,
        tol=0.0,
    )
    ours = _fit_quietly(GaussianMixture(**params), X32)
    peer = _fit_quietly(SkGaussianMixture(**params), X32)
    exact = _fit_quietly(GaussianMixture(**params), X64)
    for name in PARAM_ATTRS:
        assert getattr(ours, name).dtype == getattr(peer, name).dtype == np.float32, name
        assert getattr(exact, name).dtype == np.float64, name
        # The float64 fit's parameters, to the precision of float32 arithmetic (the
        # numpy path's sums in float32 differ from the compiled one's by 3e-5 relative
        # on a small off-diagonal precision).
        assert_allclose(getattr(ours, name), getattr(exact, name), rtol=1e-4, atol=1e-5,
                        err_msg=name)
    assert_same_parameters(ours, peer, rtol=1e-4)
    for method in ("score_samples", "predict_proba"):
        assert getattr(ours, method)(X32).dtype == getattr(peer, method)(X32).dtype
        assert getattr(ours, method)(X64).dtype == np.float64  # float64 data: float64
        assert getattr(exact, method)(X32).dtype == np.float64  # float64 attributes
    assert_allclose(ours.score_samples(X32), exact.score_samples(X64), rtol=1e-5)
    # score is the mean of score_samples in its dtype, as scikit-learn's.
    assert ours.score(X32) == float(ours.score_samples(X32).mean())
    assert_allclose(ours.score(X32), peer.score(X32), rtol=1e-5)
    # Starts in float64 do not change it: the attributes follow the data (scikit-learn
    # mixes dtypes there: float64 weights and means, float32 covariances).
    mixed = _fit_quietly(GaussianMixture(**{**params, "means_init": data.means}), X32)
    assert {getattr(mixed, name).dtype for name in PARAM_ATTRS} == {np.dtype(np.float32)}


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_float32_input_converges_like_sklearn(covariance_type):
    # sklearn's "strict convergence" case (seed 3, max_iter=300, tol=1e-7) also runs
    # on float32 data; there sklearn reaches a fixed point within a few iterations.
    data = make_mixture_data(3, dtype=np.float32)
    X = data.X[covariance_type]
    params = dict(
        n_components=2,
        covariance_type=covariance_type,
        weights_init=data.weights,
        means_init=data.means,
        precisions_init=data.precisions[covariance_type],
        max_iter=300,
        tol=1e-7,
        random_state=3,
    )
    ref = SkGaussianMixture(**params).fit(X)
    assert ref.converged_ and ref.n_iter_ < 10
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = GaussianMixture(**params).fit(X)
    assert ours.converged_
    assert ours.n_iter_ < 50


# ------------------------------------------------------------ predict / fit_predict


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_predict_and_predict_proba(covariance_type):
    data = make_mixture_data(0)
    X = data.X[covariance_type]
    gmm = GaussianMixture(
        n_components=data.n_components,
        covariance_type=covariance_type,
        weights_init=data.weights,
        means_init=data.means,
        precisions_init=data.precisions[covariance_type],
        random_state=0,
    )
    for method in ("predict", "predict_proba", "score", "score_samples"):
        with pytest.raises(NotFittedError, match=NOT_FITTED_MSG):
            getattr(gmm, method)(X)
    gmm.fit(X)
    labels = gmm.predict(X)
    assert_array_equal(labels, gmm.predict_proba(X).argmax(axis=1))
    assert adjusted_rand_score(data.y, labels) > 0.95


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "seed, max_iter, tol", [(0, 2, 1e-7), (1, 2, 1e-1), (3, 300, 1e-7), (4, 300, 1e-1)]
)
def test_fit_predict_equals_fit_then_predict(seed, max_iter, tol, dtype):
    data = make_mixture_data(seed, dtype=dtype)
    for covariance_type in COV_TYPES:
        X = data.X[covariance_type]
        gmm = GaussianMixture(
            n_components=data.n_components,
            covariance_type=covariance_type,
            weights_init=data.weights,
            means_init=data.means,
            precisions_init=data.precisions[covariance_type],
            max_iter=max_iter,
            tol=tol,
            random_state=seed,
        )
        other = clone(gmm)
        labels_1 = other.fit(X).predict(X)
        labels_2 = gmm.fit_predict(X)
        assert_array_equal(labels_1, labels_2)
        assert adjusted_rand_score(data.y, labels_2) > 0.95
        for name in ("weights_", "means_", "precisions_"):
            assert getattr(gmm, name).dtype == dtype  # scikit-learn's: the data's dtype


def test_fit_predict_equals_predict_with_n_init():
    X = np.random.RandomState(0).randn(200, 2)
    gmm = GaussianMixture(n_components=3, n_init=3, random_state=0)
    labels = gmm.fit_predict(X)
    assert np.issubdtype(labels.dtype, np.integer)
    assert_array_equal(labels, gmm.predict(X))


def test_fit_returns_self():
    X = np.random.RandomState(0).randn(40, 2)
    gmm = GaussianMixture(n_components=2, random_state=0)
    assert gmm.fit(X) is gmm


# ------------------------------------------------------------------ fit quality


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_fit_recovers_ground_truth(covariance_type):
    data = make_mixture_data(0, n_samples=400)
    X = data.X[covariance_type]
    gmm = GaussianMixture(
        n_components=2, n_init=5, reg_covar=0, covariance_type=covariance_type, random_state=0
    ).fit(X)
    assert_allclose(np.sort(gmm.weights_), np.sort(data.weights), rtol=0.1, atol=1e-2)
    order_fit, order_true = gmm.means_[:, 0].argsort(), data.means[:, 0].argsort()
    assert_allclose(gmm.means_[order_fit], data.means[order_true], rtol=0.1, atol=1e-2)

    eye = np.eye(data.n_features)

    def as_full(prec):
        if covariance_type == "full":
            return prec
        if covariance_type == "tied":
            return np.array([prec] * 2)
        if covariance_type == "diag":
            return np.array([np.diag(p) for p in prec])
        return np.array([p * eye for p in prec])

    fitted = as_full(gmm.precisions_)
    truth = as_full(data.precisions[covariance_type])
    if covariance_type != "tied":
        fitted, truth = fitted[order_fit], truth[order_true]
    for f, t in zip(fitted, truth):
        # relative Frobenius error of the precision matrices
        assert np.linalg.norm(f - t) / np.linalg.norm(t) < 0.2


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_n_init_keeps_the_best_initialisation(covariance_type):
    # n_init=5 with a RandomState(0) performs the same five initialisations as five
    # successive single fits sharing a RandomState(0); it keeps the best of them.
    X = np.random.RandomState(1).randn(80, 2)
    shared = np.random.RandomState(0)
    single = GaussianMixture(
        n_components=3,
        init_params="random",
        covariance_type=covariance_type,
        max_iter=20,
        random_state=shared,
    )
    runs = []
    for _ in range(4):
        _fit_quietly(single, X)
        runs.append((single.lower_bound_, single.means_.copy()))
    best = _fit_quietly(
        GaussianMixture(
            n_components=3,
            init_params="random",
            covariance_type=covariance_type,
            max_iter=20,
            n_init=4,
            random_state=np.random.RandomState(0),
        ),
        X,
    )
    bounds = np.array([r[0] for r in runs])
    assert_allclose(best.lower_bound_, bounds.max(), rtol=1e-10)
    assert_allclose(best.means_, runs[int(bounds.argmax())][1], rtol=1e-8)
    assert_allclose(best.score(X), best.lower_bound_, rtol=1e-3)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_convergence_warning(covariance_type):
    data = make_mixture_data(0, scale=1)
    X = data.X[covariance_type]
    gmm = GaussianMixture(
        n_components=2, max_iter=1, reg_covar=0, covariance_type=covariance_type, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match=CONVERGENCE_MSG) as record:
        gmm.fit(X)
    assert any(issubclass(w.category, ConvergenceWarning) for w in record)
    assert not gmm.converged_


def test_convergence_warning_is_sklearns_class():
    import emkit.exceptions

    assert emkit.exceptions.ConvergenceWarning is ConvergenceWarning
    assert emkit.exceptions.NotFittedError is NotFittedError


def test_first_iteration_never_converges():
    # the first change is measured from -inf, so even a huge tol needs two iterations
    X = np.random.RandomState(0).randn(50, 2)
    ours, ref = fit_both(X, n_components=2, tol=1e10, random_state=0)
    assert ours.converged_
    assert ours.n_iter_ == 2
    assert_same_fit(ours, ref)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_multiple_inits_not_worse(covariance_type):
    X = np.random.RandomState(0).randn(50, 5)
    one = GaussianMixture(n_components=2, covariance_type=covariance_type, random_state=0).fit(X)
    five = GaussianMixture(n_components=2, covariance_type=covariance_type, random_state=0, n_init=5).fit(X)
    assert five.score(X) >= one.score(X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_more_inits_give_higher_lower_bound():
    for seed in range(4):
        data = make_mixture_data(seed, n_samples=50, scale=1)
        X = data.X["full"]
        one = GaussianMixture(n_components=2, n_init=1, max_iter=1, random_state=seed).fit(X)
        five = GaussianMixture(n_components=2, n_init=5, max_iter=1, random_state=seed).fit(X)
        assert five.lower_bound_ >= one.lower_bound_


# ------------------------------------------------------------------ BIC / AIC


def test_number_of_free_parameters_via_bic_minus_aic():
    # bic - aic = p * (log(n) - 2)
    rng = np.random.RandomState(0)
    n, d, k = 50, 5, 2
    X = rng.randn(n, d)
    expected = {"spherical": 13, "diag": 21, "tied": 26, "full": 41}
    for covariance_type, p in expected.items():
        gmm = GaussianMixture(n_components=k, covariance_type=covariance_type, random_state=0).fit(X)
        assert_allclose((gmm.bic(X) - gmm.aic(X)) / (np.log(n) - 2), p, rtol=1e-9)
        assert_allclose(gmm.aic(X), -2 * gmm.score(X) * n + 2 * p, rtol=1e-12)
        assert_allclose(gmm.bic(X), -2 * gmm.score(X) * n + np.log(n) * p, rtol=1e-12)


def test_bic_of_one_component_1d_is_the_same_for_all_covariance_types():
    X = np.random.RandomState(0).randn(100, 1)
    bics = [
        GaussianMixture(n_components=1, covariance_type=c, random_state=0).fit(X).bic(X)
        for c in COV_TYPES
    ]
    assert_allclose(bics, bics[0], rtol=1e-10)


def test_aic_bic_close_to_gaussian_entropy():
    rng = np.random.RandomState(0)
    n, d = 50, 3
    X = rng.randn(n, d)
    _, logdet = np.linalg.slogdet(np.cov(X.T, bias=True))
    entropy = 0.5 * (logdet + d * (1 + np.log(2 * np.pi)))
    bound = d / np.sqrt(n)
    for covariance_type in COV_TYPES:
        gmm = GaussianMixture(
            n_components=2, covariance_type=covariance_type, random_state=0, max_iter=200
        ).fit(X)
        p = (gmm.bic(X) - gmm.aic(X)) / (np.log(n) - 2)
        assert (gmm.aic(X) - (2 * n * entropy + 2 * p)) / n < bound
        assert (gmm.bic(X) - (2 * n * entropy + np.log(n) * p)) / n < bound


def test_bic_aic_need_fit():
    X = np.random.RandomState(0).randn(20, 2)
    for method in ("bic", "aic"):
        with pytest.raises(NotFittedError, match=NOT_FITTED_MSG):
            getattr(GaussianMixture(), method)(X)


# ------------------------------------------------------------------ verbose


def test_verbose_output(capsys):
    data = make_mixture_data(0)
    X = data.X["full"]
    GaussianMixture(n_components=2, random_state=0, verbose=0).fit(X)
    assert capsys.readouterr().out == ""

    GaussianMixture(n_components=2, random_state=0, verbose=1, verbose_interval=1).fit(X)
    out = capsys.readouterr().out
    assert "Initialization 0" in out
    assert "Iteration 1" in out
    assert "Initialization converged" in out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GaussianMixture(
            n_components=2, random_state=0, verbose=2, verbose_interval=1, max_iter=2, tol=0
        ).fit(X)
    out = capsys.readouterr().out
    assert "Initialization 0" in out
    assert "ll change" in out
    assert "Initialization did not converge" in out
    assert "lower bound" in out


# ------------------------------------------------------------------ warm start


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_warm_start(seed):
    X = np.random.RandomState(seed).rand(300, 2)
    cold = GaussianMixture(n_components=2, max_iter=2, reg_covar=0, random_state=seed).fit(X)
    warm = GaussianMixture(
        n_components=2, max_iter=1, reg_covar=0, random_state=seed, warm_start=True
    )
    score_1 = warm.fit(X).score(X)
    score_2 = warm.fit(X).score(X)
    assert_allclose(warm.weights_, cold.weights_, rtol=1e-7)
    assert_allclose(warm.means_, cold.means_, rtol=1e-7)
    assert_allclose(warm.precisions_, cold.precisions_, rtol=1e-7)
    assert score_2 > score_1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_reaches_convergence():
    seed = 0
    X = np.random.RandomState(seed).rand(300, 2)
    cold = GaussianMixture(
        n_components=2, max_iter=5, reg_covar=0, random_state=seed, tol=1e-6
    ).fit(X)
    assert not cold.converged_
    warm = GaussianMixture(
        n_components=2, max_iter=5, reg_covar=0, random_state=seed, tol=1e-6, warm_start=True
    )
    for _ in range(300):
        warm.fit(X)
        if warm.converged_:
            break
    assert warm.converged_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("max_iter", [1, 2, 50])
def test_convergence_detected_with_warm_start(max_iter):
    data = make_mixture_data(0)
    X = data.X["full"]
    gmm = GaussianMixture(n_components=2, warm_start=True, max_iter=max_iter, random_state=0)
    for _ in range(100):
        gmm.fit(X)
        if gmm.converged_:
            break
    assert gmm.converged_
    assert gmm.n_iter_ <= max_iter


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_warm_start_sequence_matches_sklearn(covariance_type):
    # second fit: a single run (n_init ignored) continuing from the previous fit,
    # whose first change is measured from the previous lower_bound_
    X = np.random.RandomState(3).randn(80, 2)
    params = dict(
        n_components=2,
        covariance_type=covariance_type,
        n_init=3,
        max_iter=3,
        tol=0.0,
        warm_start=True,
        random_state=0,
    )
    ours = GaussianMixture(**params)
    ref = SkGaussianMixture(**params)
    for _ in range(3):
        _fit_quietly(ours, X)
        _fit_quietly(ref, X)
        assert_same_fit(ours, ref)
        assert len(ours.lower_bounds_) == 3  # only the iterations of this call


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_warm_start_on_other_data_matches_sklearn_and_is_no_fall(covariance_type):
    # Warm-starting on a new batch: the first value may be below the previous fit's,
    # which was of other data; that is no numerical failure (no warning), and the
    # convergence test still measures from it, as scikit-learn's does.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(50, 2), rng.randn(50, 2) + 6])
    X2 = np.vstack([rng.randn(50, 2) + 1, rng.randn(50, 2) + 9])
    params = dict(n_components=2, covariance_type=covariance_type, warm_start=True,
                  random_state=0)
    ours, ref = GaussianMixture(**params), SkGaussianMixture(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours.fit(X)
        ref.fit(X)
        before = ours.lower_bound_
        ours.fit(X2)
        ref.fit(X2)
    assert ours.lower_bounds_[0] < before  # the premise: the new data scores lower
    assert_same_fit(ours, ref)


@pytest.mark.parametrize("change, message", [
    (dict(n_components=3), "has 2 components, but n_components is 3"),
    (dict(covariance_type="diag"), r"shape \(2, 2, 2\), not the shape \(2, 2\) of "
                                   "covariance_type='diag'"),
    ("features", "model of 2 features, but X has 3"),
])
def test_warm_start_refuses_a_fitted_model_it_cannot_continue(change, message):
    # scikit-learn fails inside numpy for other columns or another covariance type,
    # and silently keeps 2 components for n_components=3; emkit says why, and the
    # estimator is left as it was.
    rng = np.random.RandomState(1)
    X = np.vstack([rng.randn(40, 2), rng.randn(40, 2) + 5])
    gmm = GaussianMixture(2, warm_start=True, random_state=0).fit(X)
    means = gmm.means_.copy()
    if change == "features":
        X = np.c_[X, X[:, 0]]
    else:
        gmm.set_params(**change)
    with pytest.raises(ValueError, match=message) as info:
        gmm.fit(X)
    assert "warm_start=False" in str(info.value)
    assert_array_equal(gmm.means_, means)
    assert gmm.n_features_in_ == 2


# ------------------------------------------------------------------ scores


def test_score_and_score_samples():
    data = make_mixture_data(0, scale=7)
    X = data.X["full"]
    gmm1 = GaussianMixture(n_components=2, max_iter=1, reg_covar=0, random_state=0)
    with pytest.raises(NotFittedError, match=NOT_FITTED_MSG):
        gmm1.score(X)
    with pytest.raises(NotFittedError, match=NOT_FITTED_MSG):
        gmm1.score_samples(X)
    _fit_quietly(gmm1, X)
    score = gmm1.score(X)
    assert isinstance(score, float)
    samples = gmm1.score_samples(X)
    assert samples.shape == (data.n_samples,)
    assert_allclose(score, samples.mean(), rtol=1e-12)

    gmm2 = GaussianMixture(n_components=2, reg_covar=0, random_state=0).fit(X)
    assert gmm2.score(X) > gmm1.score(X)


def test_score_samples_is_log_density():
    # with one full-covariance component, score_samples is a Gaussian log-pdf
    from scipy.stats import multivariate_normal

    X = np.random.RandomState(0).randn(60, 3) @ np.array([[1.0, 0.3, 0], [0, 1.0, 0.2], [0, 0, 0.5]])
    gmm = GaussianMixture(n_components=1, reg_covar=0).fit(X)
    expected = multivariate_normal(X.mean(axis=0), np.cov(X.T, bias=True)).logpdf(X)
    assert_allclose(gmm.score_samples(X), expected, rtol=1e-8)
    assert_allclose(gmm.means_[0], X.mean(axis=0), rtol=1e-10)
    assert_allclose(gmm.covariances_[0], np.cov(X.T, bias=True), rtol=1e-10)


def test_monotonic_likelihood_with_warm_start():
    data = make_mixture_data(0, scale=7)
    for covariance_type in COV_TYPES:
        X = data.X[covariance_type]
        gmm = GaussianMixture(
            n_components=2,
            covariance_type=covariance_type,
            reg_covar=0,
            warm_start=True,
            max_iter=1,
            tol=1e-7,
            random_state=0,
        )
        previous = -np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("error", LikelihoodDecreaseWarning)
            for _ in range(600):
                current = gmm.fit(X).score(X)
                assert current >= previous
                previous = current
                if gmm.converged_:
                    break
        assert gmm.converged_


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_lower_bounds_property(covariance_type):
    X = make_mixture_data(1, scale=4).X[covariance_type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", LikelihoodDecreaseWarning)
        gmm = GaussianMixture(
            n_components=2, covariance_type=covariance_type, reg_covar=0, tol=0.0, max_iter=30, random_state=0
        ).fit(X)
    bounds = np.asarray(gmm.lower_bounds_)
    assert bounds.shape == (gmm.n_iter_,) == (30,)
    assert bounds[-1] == gmm.lower_bound_
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:]))
    # the lower bound of a Gaussian mixture is the mean log-likelihood before the
    # last M-step, so it cannot exceed the score of the final parameters
    assert gmm.score(X) >= gmm.lower_bound_ - 1e-10


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_regularisation(covariance_type):
    # two clusters of identical points: zero empirical covariance
    X = np.vstack([np.ones((5, 3)), np.zeros((5, 3))])
    gmm = GaussianMixture(n_components=2, reg_covar=0, covariance_type=covariance_type, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=ILL_DEFINED_MSG):
            gmm.fit(X)
    gmm.set_params(reg_covar=1e-6).fit(X)
    assert_allclose(np.sort(gmm.means_[:, 0]), [0.0, 1.0], atol=1e-12)
    assert_allclose(gmm.weights_, [0.5, 0.5], rtol=1e-10)
    cov = gmm.covariances_
    expected = {
        "full": np.array([1e-6 * np.eye(3)] * 2),
        "tied": 1e-6 * np.eye(3),
        "diag": np.full((2, 3), 1e-6),
        "spherical": np.full(2, 1e-6),
    }[covariance_type]
    assert_allclose(cov, expected, rtol=1e-6, atol=1e-15)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_regularisation_with_as_many_components_as_samples(covariance_type):
    # sklearn's own scenario: ten samples on two points, ten components
    X = np.vstack([np.ones((5, 5)), np.zeros((5, 5))])
    gmm = GaussianMixture(n_components=10, reg_covar=0, covariance_type=covariance_type, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # from KMeans
        with pytest.raises(ValueError, match=ILL_DEFINED_MSG):
            gmm.fit(X)
        gmm.set_params(reg_covar=1e-6).fit(X)
    assert np.all(np.isfinite(gmm.score_samples(X)))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_fitted_precisions_consistent_with_covariances(covariance_type):
    data = make_mixture_data(0, scale=7, n_features=3)
    X = data.X[covariance_type]
    gmm = GaussianMixture(n_components=2, covariance_type=covariance_type, random_state=0, n_init=3).fit(X)
    prec, cov, chol = gmm.precisions_, gmm.covariances_, gmm.precisions_cholesky_
    if covariance_type == "full":
        for p, c, u in zip(prec, cov, chol):
            assert_allclose(linalg.inv(p), c, rtol=1e-8)
            assert_allclose(u @ u.T, p, rtol=1e-10)
            assert_allclose(u, np.triu(u))  # sklearn's upper-triangular convention
    elif covariance_type == "tied":
        assert_allclose(linalg.inv(prec), cov, rtol=1e-8)
        assert_allclose(chol @ chol.T, prec, rtol=1e-10)
        assert_allclose(chol, np.triu(chol))
    else:
        assert_allclose(prec, 1.0 / cov, rtol=1e-10)
        assert_allclose(chol**2, prec, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_precisions_init_matrix_gives_upper_cholesky_factor(covariance_type):
    # one EM iteration from a user precision matrix uses the factor U with P = U U^T
    # (the sklearn #26415 regression); compare with sklearn and with the estimated case.
    rng = np.random.RandomState(4)
    X = rng.randn(100, 3)
    labels = rng.randint(0, 2, size=100)
    covs = [np.cov(X[labels == j].T, bias=True) + 1e-6 * np.eye(3) for j in range(2)]
    prec = (
        np.array([linalg.inv(c) for c in covs])
        if covariance_type == "full"
        else linalg.inv(sum((labels == j).mean() * covs[j] for j in range(2)))
    )
    ours, ref = fit_both(
        X,
        n_components=2,
        covariance_type=covariance_type,
        precisions_init=prec,
        weights_init=np.bincount(labels) / 100.0,
        means_init=np.array([X[labels == j].mean(axis=0) for j in range(2)]),
        max_iter=1,
        tol=0.0,
    )
    assert_same_fit(ours, ref)


# ------------------------------------------------------------------ sample


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_sample(covariance_type):
    data = make_mixture_data(0, scale=7, n_components=3)
    X = data.X[covariance_type]
    gmm = GaussianMixture(n_components=3, covariance_type=covariance_type, random_state=0)
    with pytest.raises(NotFittedError, match="This GaussianMixture instance is not fitted"):
        gmm.sample(1)
    gmm.fit(X)
    with pytest.raises(ValueError, match="Invalid value for 'n_samples'"):
        gmm.sample(0)

    n = 20000
    X_s, y_s = gmm.sample(n)
    assert X_s.shape == (n, data.n_features)
    assert y_s.shape == (n,)
    assert X_s.dtype == np.float64
    assert np.issubdtype(y_s.dtype, np.integer)
    assert np.all(np.diff(y_s) >= 0)  # grouped by component
    assert_allclose(np.bincount(y_s, minlength=3) / n, gmm.weights_, atol=0.02)
    for k in range(3):
        Xk = X_s[y_s == k]
        if covariance_type == "full":
            expected, actual = gmm.covariances_[k], np.cov(Xk.T)
        elif covariance_type == "tied":
            expected, actual = gmm.covariances_, np.cov(Xk.T)
        elif covariance_type == "diag":
            expected, actual = gmm.covariances_[k], np.diag(np.cov(Xk.T))
        else:
            expected, actual = gmm.covariances_[k], np.var(Xk - gmm.means_[k])
        assert_allclose(actual, expected, atol=0.1)
        assert_allclose(Xk.mean(axis=0), gmm.means_[k], atol=0.1)

    for size in (1, 2, 7, 33, 99):
        X_s, y_s = gmm.sample(size)
        assert X_s.shape == (size, data.n_features)
        assert y_s.shape == (size,)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_sample_matches_sklearn(covariance_type):
    X = np.random.RandomState(0).randn(100, 3)
    ours, ref = fit_both(X, n_components=3, covariance_type=covariance_type, random_state=5)
    assert_same_parameters(ours, ref)
    X_ours, y_ours = ours.sample(40)
    X_ref, y_ref = ref.sample(40)
    assert_array_equal(y_ours, y_ref)
    assert_allclose(X_ours, X_ref, rtol=1e-6, atol=1e-9)


def test_sample_is_reproducible_with_integer_random_state():
    X = make_mixture_data(0).X["full"]
    gmm = GaussianMixture(n_components=2, random_state=3).fit(X)
    a, la = gmm.sample(50)
    b, lb = gmm.sample(50)
    assert_array_equal(a, b)
    assert_array_equal(la, lb)


def test_single_component_on_three_samples():
    X = np.random.RandomState(0).multivariate_normal(np.zeros(2), np.eye(2), size=3)
    gmm = GaussianMixture(n_components=1).fit(X)
    X_s, y_s = gmm.sample()
    assert X_s.shape == (1, 2) and np.all(np.isfinite(X_s))
    assert_array_equal(y_s, [0])
    assert_allclose(gmm.means_[0], X.mean(axis=0))


# ------------------------------------------------------------------ inits


@pytest.mark.parametrize("init_params", INIT_PARAMS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_initial_means_not_duplicated(init_params, seed):
    X = make_mixture_data(seed, scale=5).X["full"]
    gmm = GaussianMixture(n_components=2, init_params=init_params, random_state=seed, max_iter=0).fit(X)
    for a, b in itertools.combinations(gmm.means_, 2):
        assert not np.allclose(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("init_params", INIT_PARAMS)
def test_means_for_all_inits(init_params, dtype):
    data = make_mixture_data(0, scale=5, dtype=dtype)
    X = data.X["full"]
    gmm = GaussianMixture(n_components=2, init_params=init_params, random_state=0).fit(X)
    assert gmm.means_.shape == (2, X.shape[1])
    assert np.all(X.min(axis=0) <= gmm.means_)
    assert np.all(gmm.means_ <= X.max(axis=0))
    assert gmm.converged_
    for name in ("means_", "covariances_", "weights_"):
        assert getattr(gmm, name).dtype == dtype  # scikit-learn's: the data's dtype


def test_extreme_initialisation_sets_all_attributes():
    # sklearn #18216: with a very peaked initialisation and max_iter=1 the best
    # parameters, n_iter_ and lower_bound_ must still be set.
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(30, 3))
    params = dict(
        n_components=6,
        covariance_type="spherical",
        reg_covar=0,
        means_init=X[:6],
        weights_init=np.array([1, 1, 2, 2, 21, 3]) / 30.0,
        precisions_init=np.array([1e6, 1e6, 500.0, 200.0, 15.0, 85.0]),
        max_iter=1,
        random_state=0,
    )
    ours, ref = fit_both(X, **params)
    assert not ours.converged_
    for name in PARAM_ATTRS + ("n_iter_", "lower_bound_", "lower_bounds_"):
        assert hasattr(ours, name), name
    assert ours.n_iter_ == 1
    assert np.isfinite(ours.lower_bound_)
    assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=1e-6)
    assert_allclose(ours.weights_, ref.weights_, rtol=1e-6)
    assert_allclose(ours.means_, ref.means_, rtol=1e-6)
    assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-4, atol=1e-12)


# ------------------------------------------------------ n_features_in_ / names


def test_n_features_in_and_no_feature_names_for_arrays():
    X = np.random.RandomState(0).randn(40, 3)
    gmm = GaussianMixture(n_components=2, random_state=0).fit(X)
    assert gmm.n_features_in_ == 3
    assert not hasattr(gmm, "feature_names_in_")
    msg = "X has 2 features, but GaussianMixture is expecting 3 features as input"
    for method in ("predict", "predict_proba", "score_samples", "score"):
        with pytest.raises(ValueError, match=msg):
            getattr(gmm, method)(X[:, :2])


class _MiniFrame:
    """Tiny column-named 2-D container that sklearn's narwhals-based feature-name
    detection understands; lets us test feature names without pandas."""

    def __init__(self, data, columns):
        self._data = np.asarray(data, dtype=float)
        self._columns = list(columns)

    def __narwhals_dataframe__(self):
        return self

    @property
    def _implementation(self):
        from narwhals._utils import Implementation

        return Implementation.UNKNOWN

    def _with_version(self, version):
        self._version = version
        return self

    @property
    def columns(self):
        return list(self._columns)

    @property
    def shape(self):
        return self._data.shape

    def __len__(self):
        return len(self._data)

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)


def _frame(data, columns):
    pd = None
    try:
        import pandas as pd  # noqa: F811
    except ImportError:
        pass
    if pd is not None:
        return pd.DataFrame(data, columns=columns)
    frame = _MiniFrame(data, columns)
    try:
        from sklearn.utils.validation import _get_feature_names

        names = _get_feature_names(frame)
    except Exception:  # pragma: no cover - depends on the narwhals version
        names = None
    if names is None or list(names) != list(columns):
        pytest.skip("no pandas and the minimal frame is not recognised by this narwhals")
    return frame


def test_feature_names_in():
    X = np.random.RandomState(0).randn(40, 2)
    df = _frame(X, ["a", "b"])
    gmm = GaussianMixture(n_components=2, random_state=0).fit(df)
    assert gmm.n_features_in_ == 2
    assert_array_equal(gmm.feature_names_in_, np.array(["a", "b"], dtype=object))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        labels_from_array = gmm.predict(X)
    assert_array_equal(gmm.predict(df), labels_from_array)
    with pytest.raises(ValueError, match="The feature names should match those that were passed"):
        gmm.predict(_frame(X, ["b", "a"]))
    ref = SkGaussianMixture(n_components=2, random_state=0).fit(df)
    assert_allclose(gmm.means_, ref.means_, rtol=1e-6)


# ------------------------------------------------- scikit-learn's protected steps


def _protected_pair(covariance_type, seed=0):
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.randn(40, 3), rng.randn(50, 3) * 0.5 + 3, rng.randn(30, 3) - 2])
    resp = rng.random_sample((len(X), 3))
    resp /= resp.sum(axis=1)[:, None]
    return X, resp


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("given", [False, True])
def test_protected_steps_equal_sklearns(covariance_type, given):
    # Code written against scikit-learn's BaseMixture (its own tests among it) drives
    # a mixture step by step: _initialize, _e_step, _m_step, the _estimate_* family,
    # _get_parameters/_set_parameters, _compute_lower_bound.
    X, resp = _protected_pair(covariance_type)
    ref = SkGaussianMixture(3, covariance_type=covariance_type)
    if given:  # scikit-learn's #26415: precisions_init with _initialize
        ref._initialize(X, resp)
        ref._set_parameters(ref._get_parameters())  # gives precisions_
        ref = SkGaussianMixture(3, covariance_type=covariance_type,
                                precisions_init=ref.precisions_)
    ours = GaussianMixture(**ref.get_params())
    ref._initialize(X, resp)
    ours._initialize(X, resp)
    # (scikit-learn sets no covariances_ when precisions_init is given)
    for name in ("weights_", "means_", "precisions_cholesky_"):
        assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-10, err_msg=name)
    # Two EM steps by hand.
    for _ in range(2):
        ref_mean, ref_log_resp = ref._e_step(X)
        our_mean, our_log_resp = ours._e_step(X)
        assert_allclose(our_mean, ref_mean, rtol=1e-10)
        assert_allclose(our_log_resp, ref_log_resp, rtol=1e-8, atol=1e-10)
        ref._m_step(X, ref_log_resp)
        ours._m_step(X, ref_log_resp)
        for got, want in zip(ours._get_parameters(), ref._get_parameters()):
            assert_allclose(got, want, rtol=1e-10)
    assert_allclose(ours._estimate_log_prob(X), ref._estimate_log_prob(X), rtol=1e-10)
    assert_allclose(ours._estimate_log_weights(), ref._estimate_log_weights(), rtol=1e-12)
    assert_allclose(ours._estimate_weighted_log_prob(X), ref._estimate_weighted_log_prob(X),
                    rtol=1e-10)
    norm, _ = ours._estimate_log_prob_resp(X)
    assert_allclose(ours._compute_lower_bound(None, norm), ref._compute_lower_bound(
        None, ref._estimate_log_prob_resp(X)[0]), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_set_parameters_gives_sklearns_precisions(covariance_type):
    X, resp = _protected_pair(covariance_type, seed=1)
    ref = SkGaussianMixture(3, covariance_type=covariance_type)
    ref._initialize(X, resp)
    ref._set_parameters(ref._get_parameters())
    ours = GaussianMixture(3, covariance_type=covariance_type)
    ours._set_parameters(ref._get_parameters())
    assert_allclose(ours.precisions_, ref.precisions_, rtol=1e-12)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-9, atol=1e-12)
