"""emkit.GaussianMixture: parity with scikit-learn, and the cases where scikit-learn is wrong."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from conftest import blobs
import emkit
from emkit import GaussianMixture
from emkit.exceptions import ComponentCollapseWarning, IdenticalComponentsWarning

TYPES = ["full", "tied", "diag", "spherical"]


def _start(X, k, covariance_type, seed=0):
    """Starting parameters shared by emkit and scikit-learn: a short k-means fit."""
    ref = SklearnGaussianMixture(k, covariance_type=covariance_type, max_iter=1,
                                 random_state=seed).fit(X)
    return dict(weights_init=ref.weights_, means_init=ref.means_,
                precisions_init=ref.precisions_)


def _fit_quietly(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_parity_with_sklearn_from_the_same_start(covariance_type, seed):
    X, _ = blobs(n=500, d=3, k=3, seed=seed)
    init = _start(X, 3, covariance_type, seed)
    ours = _fit_quietly(GaussianMixture(3, covariance_type=covariance_type, tol=0,
                                        max_iter=25, **init), X)
    theirs = _fit_quietly(SklearnGaussianMixture(3, covariance_type=covariance_type, tol=0,
                                                 max_iter=25, **init), X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-6, atol=1e-9)
    assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=1e-6)
    assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-6)
    assert ours.n_iter_ == theirs.n_iter_ == 25 and not ours.converged_


@pytest.mark.parametrize("covariance_type", TYPES)
def test_default_init_matches_sklearn_for_the_same_seed(covariance_type):
    X, _ = blobs(n=300, d=2, k=3, seed=5)
    ours = GaussianMixture(3, covariance_type=covariance_type, random_state=3).fit(X)
    theirs = SklearnGaussianMixture(3, covariance_type=covariance_type, random_state=3).fit(X)
    assert_allclose(ours.means_, theirs.means_, rtol=1e-6, atol=1e-8)
    assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("covariance_type", TYPES)
def test_data_far_from_the_origin_fit_like_centred_data(covariance_type):
    X, _ = blobs(n=400, d=3, k=2, seed=1)
    init = _start(X, 2, covariance_type)
    fits = []
    for offset in (0.0, 1e9):
        shifted = dict(init, means_init=init["means_init"] + offset)
        fits.append(_fit_quietly(GaussianMixture(2, covariance_type=covariance_type, tol=0,
                                                 max_iter=30, **shifted), X + offset))
    centred, far = fits
    assert_allclose(far.covariances_, centred.covariances_, rtol=1e-6)
    assert_allclose(far.means_ - 1e9, centred.means_, atol=1e-6)
    assert_allclose(far.weights_, centred.weights_, rtol=1e-6)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_float32_is_computed_in_float32_and_matches_float64(covariance_type):
    X, _ = blobs(n=2000, d=4, k=3, seed=2)
    init = _start(X, 3, covariance_type)
    f64 = _fit_quietly(GaussianMixture(3, covariance_type=covariance_type, tol=0,
                                       max_iter=20, **init), X)
    model32 = GaussianMixture(3, covariance_type=covariance_type, tol=0, max_iter=20, **init)
    f32 = _fit_quietly(model32, X.astype(np.float32))
    assert f32.means_.dtype == np.float32  # the data's dtype, as scikit-learn's
    assert_allclose(f32.lower_bound_, f64.lower_bound_, rtol=1e-4)
    assert f32._get_model().family.log_prob(X[:3].astype(np.float32)).dtype == np.float32


def test_a_collapsed_component_is_reseeded_with_a_warning():
    X, _ = blobs(n=300, d=2, k=2, seed=3)
    means = np.vstack([X[:150].mean(axis=0), X[150:].mean(axis=0), [1e3, 1e3]])
    start = dict(means_init=means, weights_init=np.full(3, 1 / 3), max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnGaussianMixture(3, **start).fit(X)
    assert theirs.weights_.min() < 1e-10  # scikit-learn keeps it silently
    with pytest.warns(ComponentCollapseWarning, match="Component 2 lost all its weight"):
        ours = GaussianMixture(3, **start).fit(X)
    # Re-seeded at one sample's weight; emkit re-seeds anything below a thousandth of one.
    assert ours.weights_.min() > 1e-3 / len(X)
    assert np.all(np.isfinite(ours.covariances_))
    # Re-seeded inside the data, and alive there.
    assert np.all(np.abs(ours.means_) < np.abs(X).max() + 1)


def test_identical_starting_components_stay_identical_with_a_warning():
    X, _ = blobs(n=200, d=2, k=2, seed=4)
    means = np.tile(X.mean(axis=0), (2, 1))
    with pytest.warns(IdenticalComponentsWarning, match="Components 0 and 1 start with"):
        model = GaussianMixture(2, means_init=means, precisions_init=np.tile(np.eye(2), (2, 1, 1)),
                                weights_init=[0.3, 0.7], max_iter=20).fit(X)
    assert np.array_equal(model.means_[0], model.means_[1])
    assert np.array_equal(model.covariances_[0], model.covariances_[1])
    assert_allclose(model.weights_, [0.3, 0.7])
    assert_allclose(model.means_[0], X.mean(axis=0), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_one_component_is_the_sample_mean_and_covariance(covariance_type):
    X, _ = blobs(n=300, d=3, k=2, seed=0)
    model = GaussianMixture(1, covariance_type=covariance_type, reg_covar=0).fit(X)
    cov = np.cov(X.T, bias=True)
    expected = {"full": cov[None], "tied": cov, "diag": np.diag(cov)[None],
                "spherical": np.array([np.diag(cov).mean()])}[covariance_type]
    assert_allclose(model.means_[0], X.mean(axis=0), rtol=1e-10)
    assert_allclose(model.covariances_, expected, rtol=1e-9)
    assert model.converged_ and model.n_iter_ == 2


def test_hitting_the_cap_is_not_convergence():
    X, _ = blobs(n=300, d=2, k=3, seed=1)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = GaussianMixture(3, max_iter=2, tol=1e-12, random_state=0).fit(X)
    assert not model.converged_ and model.n_iter_ == 2 and len(model.lower_bounds_) == 2


def test_the_likelihood_never_falls():
    X, _ = blobs(n=500, d=3, k=4, seed=2)
    model = _fit_quietly(GaussianMixture(4, reg_covar=0, tol=0, max_iter=60, random_state=0), X)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-12)


BAD_INPUT = [
    (dict(), np.array([[1.0, np.nan], [0.0, np.nan], [2.0, np.nan]]), ValueError,
     "Column 1 of X has no observed value"),
    (dict(), np.array([[1.0, np.inf], [0.0, 1.0], [2.0, 1.0]]), ValueError, "infinity"),
    (dict(), np.arange(5.0), ValueError, "Expected 2D array"),
    (dict(n_components=4), np.random.default_rng(0).normal(size=(3, 2)), ValueError,
     "Expected n_samples >= n_components"),
    (dict(n_components=2, weights_init=[0.5, 0.25, 0.25]), np.eye(4), ValueError,
     r"'weights' should have the shape of \(2,\)"),
    (dict(n_components=2, means_init=np.zeros((2, 3))), np.eye(4), ValueError,
     "'means' should have the shape of"),
    (dict(n_components=2, precisions_init=-np.tile(np.eye(4), (2, 1, 1))), np.eye(4),
     ValueError, "'full precision' should be symmetric, positive-definite"),
    (dict(covariance_type="ful"), np.eye(4), ValueError, "covariance_type"),
    (dict(n_components=0), np.eye(4), ValueError, "n_components"),
    (dict(reg_covar=-1.0), np.eye(4), ValueError, "reg_covar"),
]


@pytest.mark.parametrize("params, X, error, match", BAD_INPUT)
def test_bad_input_gets_one_clear_sentence(params, X, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(**params).fit(X)


def test_no_nan_reaches_a_fitted_attribute_from_a_far_start():
    X, _ = blobs(n=200, d=2, k=2, seed=6)
    model = GaussianMixture(2, means_init=[[1e8, 1e8], [-1e8, -1e8]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.all(np.isfinite(getattr(model, name)))
    assert np.isfinite(model.score(X))


def test_chunk_size_and_threads_change_no_result():
    import emkit
    X, _ = blobs(n=700, d=3, k=3, seed=3)
    reference = GaussianMixture(3, random_state=0).fit(X)
    with emkit.config_context(chunk_size=7, n_threads=2):
        assert emkit.get_config() == {"chunk_size": 7, "n_threads": 2}
        chunked = GaussianMixture(3, random_state=0).fit(X)
    assert emkit.get_config()["chunk_size"] is None
    assert_allclose(chunked.means_, reference.means_, rtol=1e-10)
    assert_allclose(chunked.lower_bounds_, reference.lower_bounds_, rtol=1e-12)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        emkit.set_config(chunk_size=0)


def test_fit_callback_sees_every_iteration_and_can_stop():
    X, _ = blobs(n=300, d=2, k=3, seed=0)
    seen = []

    def stop_at_four(step):
        seen.append((step.iteration, step.log_likelihood))
        return step.iteration == 4

    with pytest.warns(ConvergenceWarning):
        model = GaussianMixture(3, tol=0, max_iter=50, random_state=0).fit(X, callback=stop_at_four)
    assert [i for i, _ in seen] == [1, 2, 3, 4] and model.n_iter_ == 4
    assert_allclose([ll for _, ll in seen], model.lower_bounds_)


@pytest.mark.parametrize("init_params", ["random_from_data", "k-means++", "random"])
@pytest.mark.parametrize("covariance_type", TYPES)
def test_float32_starts_from_single_rows_fit_like_sklearn(init_params, covariance_type):
    X, _ = blobs(n=400, d=3, k=3, seed=4)
    X32 = X.astype(np.float32)
    # A start from single rows is degenerate: its statistics are computed in float64.
    ours = _fit_quietly(GaussianMixture(3, covariance_type=covariance_type,
                                        init_params=init_params, random_state=1), X32)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.all(np.isfinite(getattr(ours, name)))
    assert ours.converged_ and ours.weights_.min() > 0
    # float32 responsibilities, as scikit-learn's: rows sum to 1 within float32's rounding.
    proba = ours.predict_proba(X32)
    assert proba.dtype == np.float32
    assert_allclose(proba.sum(axis=1), 1.0, rtol=4 * np.finfo(np.float32).eps)


def test_float32_converges_at_the_resolution_of_its_arithmetic():
    X, _ = blobs(n=400, d=2, k=2, seed=3)
    X32 = (X + 50).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = GaussianMixture(2, tol=1e-9, max_iter=300, random_state=0).fit(X32)
    resolution = model._get_model().resolution(np.float32)
    assert model.converged_ and 0 < resolution < 1e-3
    assert abs(model.lower_bounds_[-1] - model.lower_bounds_[-2]) < resolution
    # In float64 the same data are resolved to the requested tolerance.
    exact = _fit_quietly(GaussianMixture(2, tol=1e-9, max_iter=300, random_state=0), X + 50)
    assert abs(exact.lower_bounds_[-1] - exact.lower_bounds_[-2]) < 1e-9


@pytest.mark.parametrize("covariance_type", TYPES)
def test_sample_weights_equal_repeated_rows(covariance_type):
    X, _ = blobs(n=300, d=2, k=3, seed=7)
    counts = np.random.default_rng(0).integers(0, 4, size=len(X))
    init = _start(X, 3, covariance_type)
    weighted = GaussianMixture(3, covariance_type=covariance_type, tol=0, max_iter=20, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted.fit(X, sample_weight=counts)
        repeated = GaussianMixture(3, covariance_type=covariance_type, tol=0, max_iter=20,
                                   **init).fit(np.repeat(X, counts, axis=0))
    for name in ("weights_", "means_", "covariances_"):
        assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-9, atol=1e-12)
    assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)


def test_weighted_kmeans_start_ignores_rows_of_weight_zero():
    X, _ = blobs(n=300, d=2, k=2, seed=8)
    far = np.vstack([X, np.full((5, 2), 1e3)])
    weights = np.r_[np.ones(len(X)), np.zeros(5)]
    model = GaussianMixture(2, random_state=0).fit(far, sample_weight=weights)
    reference = GaussianMixture(2, random_state=0).fit(X)
    assert np.all(np.abs(model.means_) < 100)
    assert_allclose(model.score(X), reference.score(X), rtol=1e-3)


@pytest.mark.parametrize("make", [lambda: emkit.GaussianMixture(2),
                                  lambda: emkit.GaussianMixture(2, covariance_type="diag"),
                                  lambda: emkit.GaussianHMM(2)])
def test_values_whose_squares_overflow_are_one_sentence(make):
    X = np.random.default_rng(0).normal(size=(50, 2)) * 1e300
    with pytest.raises(ValueError, match=r"^X has values up to 2\.\d+e\+300 in magnitude; .*"
                                         r"rescale X \(e\.g\. divide it by its standard "
                                         r"deviation\)\.$"):
        make().fit(X)
    fitted = make().fit(X / 1e300)
    with pytest.raises(ValueError, match="rescale X"):
        fitted.predict(X)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_all_three_starting_parameters_given_is_scikit_learns_fit_without_its_wasted_pass(
        covariance_type):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) + [4.0, 1.0]])
    reference = emkit.GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    start = dict(weights_init=reference.weights_, means_init=reference.means_ + 0.3,
                 precisions_init=reference.precisions_, tol=0.0, max_iter=5)
    ours = [emkit.GaussianMixture(2, covariance_type=covariance_type, random_state=seed,
                                  init_params=init, **start).fit(X)
            for seed, init in [(0, "kmeans"), (7, "random")]]
    theirs = SkGaussianMixture(2, covariance_type=covariance_type, random_state=0,
                               **start).fit(X)
    # The start does not depend on the random state or init_params, and is scikit-learn's.
    np.testing.assert_array_equal(ours[0].means_, ours[1].means_)
    np.testing.assert_allclose(ours[0].lower_bounds_, theirs.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(ours[0].means_, theirs.means_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("covariance_type", ["tied", "full"])
def test_repeated_points_without_reg_covar_are_refused_whatever_the_rounding(
        covariance_type):
    # Three points repeated ten times, one component each: every scatter is zero but for
    # rounding (1e-47 here), which LAPACK factors or not by the last bits. scikit-learn
    # refuses the fit of some draws and fits a matrix of noise on others; emkit refuses
    # every draw, from the start on (max_iter=0).
    for seed in range(20):
        X = np.repeat(np.random.RandomState(seed).randn(3, 2), 10, axis=0)
        for max_iter in (0, 100):
            model = GaussianMixture(3, covariance_type=covariance_type, reg_covar=0,
                                    random_state=0, max_iter=max_iter)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                with pytest.raises(ValueError, match="ill-defined empirical covariance"):
                    model.fit(X)
    # With scikit-learn's default reg_covar the same data fits, as in scikit-learn.
    fitted = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    reference = SklearnGaussianMixture(3, covariance_type=covariance_type,
                                       random_state=0).fit(X)
    assert_allclose(fitted.lower_bound_, reference.lower_bound_, rtol=1e-9)


@pytest.mark.parametrize("new_type", ["diag", "spherical", "tied"])
def test_a_covariance_type_changed_after_the_fit_is_named_before_any_prediction(new_type):
    # set_params(covariance_type=...) on a fitted full model, then predict or sample:
    # scikit-learn (and emkit before) failed inside numpy or scipy.
    X = np.random.RandomState(0).randn(100, 3)
    model = GaussianMixture(2, covariance_type="full", random_state=0).fit(X)
    model.set_params(covariance_type=new_type)
    expected = {"diag": r"\(2, 3\)", "spherical": r"\(2,\)", "tied": r"\(3, 3\)"}[new_type]
    for call in (lambda: model.predict(X), lambda: model.sample(2),
                 lambda: model.score(X), lambda: model.bic(X)):
        with pytest.raises(ValueError, match=rf"^The fitted precisions_cholesky_ have shape "
                           rf"\(2, 3, 3\), not the shape {expected} of "
                           rf"covariance_type='{new_type}'; set covariance_type back"):
            call()
    model.set_params(covariance_type="full")
    assert model.predict(X).shape == (100,)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_data_spread_below_float64s_normal_squares_is_ill_defined(covariance_type):
    # Two clusters at the scale 1e-155: without reg_covar their variances (1e-310) are
    # subnormal, with no digits to invert, and the precisions overflow. The fit used to
    # end on "zero probability ... the components' support"; it now says what scikit-learn
    # says of a singular covariance, which ends "or scale the input data". With the
    # default reg_covar the same data fit.
    rng = np.random.RandomState(0)
    X = np.r_[rng.randn(100, 2), rng.randn(100, 2) + 4] * 1e-155
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy warning on the way
        with pytest.raises(ValueError, match="ill-defined empirical covariance.*or scale "
                           "the input data"):
            GaussianMixture(2, covariance_type=covariance_type, reg_covar=0,
                            random_state=0).fit(X)
    model = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    assert np.isfinite(model.lower_bound_)
