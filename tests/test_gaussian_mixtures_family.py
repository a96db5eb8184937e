"""The GaussianMixtures family (a Gaussian mixture per state) against truth.

Oracles: scipy's multivariate normal density summed by hand; the one-Gaussian families
(a mixture of one Gaussian is that Gaussian); the marginal of the observed features,
computed by dropping the missing one from the parameters; moments of large samples;
and statistics that add over chunks. Then GMMHMM on missing values and Dask data, where
GaussianHMM takes them, and what emkit does on purpose where hmmlearn produces NaN.
"""

import logging
import warnings

import numpy as np
import pytest
from hmmlearn import hmm as hl_hmm
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import logsumexp

import emkit
from emkit.exceptions import ComponentCollapseWarning
from emkit.families import GaussianDiag, GaussianFull
from emkit.families.gaussian_mixtures import GaussianMixtures

TYPES = ("spherical", "diag", "full", "tied")
K, M, D = 2, 3, 3


def make_family(covariance_type, seed=0):
    rng = np.random.RandomState(seed)
    weights = rng.dirichlet(np.ones(M), size=K)
    means = rng.randn(K, M, D) * 2
    factors = rng.randn(K, M, D, D) * 0.4
    matrices = factors @ factors.transpose(0, 1, 3, 2) + 0.5 * np.eye(D)
    covariances = {"spherical": rng.uniform(0.5, 2.0, (K, M)),
                   "diag": rng.uniform(0.5, 2.0, (K, M, D)),
                   "full": matrices, "tied": matrices[:, 0]}[covariance_type]
    return GaussianMixtures(weights, means, covariances, covariance_type)


def full_matrices(family):
    covariances = family.covariances
    if family.covariance_type == "tied":
        return np.repeat(covariances[:, None], M, axis=1)
    if family.covariance_type == "spherical":
        return covariances[..., None, None] * np.eye(D)
    if family.covariance_type == "diag":
        return covariances[..., None] * np.eye(D)
    return covariances


def scipy_log_prob(family, X):
    matrices = full_matrices(family)
    out = np.empty((len(X), K))
    for k in range(K):
        terms = [np.log(family.weights[k, m])
                 + stats.multivariate_normal(family.means[k, m], matrices[k, m]).logpdf(X)
                 for m in range(M)]
        out[:, k] = logsumexp(terms, axis=0)
    return out


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(5).randn(200, D) * 2


@pytest.mark.parametrize("covariance_type", TYPES)
def test_log_prob_is_the_mixture_density(X, covariance_type):
    family = make_family(covariance_type)
    assert_allclose(family.log_prob(X), scipy_log_prob(family, X), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_statistics_add_over_chunks(X, covariance_type):
    family = make_family(covariance_type)
    W = np.random.RandomState(1).dirichlet(np.ones(K), size=len(X))
    whole = family.accumulate(X, W)
    parts = family.accumulate(X[:70], W[:70]) + family.accumulate(X[70:], W[70:])
    for name in ("weight", "first", "second"):
        assert_allclose(getattr(parts, name), getattr(whole, name), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_maximize_is_the_weighted_maximum_likelihood(X, covariance_type):
    # Responsibilities of each Gaussian (row weight times its posterior in the mixture),
    # then the textbook weighted estimates.
    family = make_family(covariance_type)
    W = np.random.RandomState(2).dirichlet(np.ones(K), size=len(X))
    new = family.maximize(family.accumulate(X, W))
    matrices = full_matrices(family)
    resp = np.empty((len(X), K, M))
    for k in range(K):
        for m in range(M):
            resp[:, k, m] = family.weights[k, m] * stats.multivariate_normal(
                family.means[k, m], matrices[k, m]).pdf(X)
    resp = resp / resp.sum(axis=2, keepdims=True) * W[:, :, None]
    weight = resp.sum(axis=0)
    assert_allclose(new.weights, weight / weight.sum(axis=1, keepdims=True), rtol=1e-9)
    means = np.einsum("nkm,nd->kmd", resp, X) / weight[:, :, None]
    assert_allclose(new.means, means, rtol=1e-9)
    centred = X[:, None, None, :] - means
    scatter = np.einsum("nkm,nkmd,nkme->kmde", resp, centred, centred)
    reg = family.reg_covar * np.eye(D)  # on every variance
    expected = {"full": scatter / weight[:, :, None, None] + reg,
                "tied": scatter.sum(axis=1) / weight.sum(axis=1)[:, None, None] + reg,
                "diag": np.diagonal(scatter, axis1=2, axis2=3) / weight[:, :, None]
                + family.reg_covar,
                "spherical": np.trace(scatter, axis1=2, axis2=3) / (D * weight)
                + family.reg_covar}
    assert_allclose(new.covariances, expected[covariance_type], rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("inner, covariance_type", [(GaussianDiag, "diag"),
                                                    (GaussianFull, "full")])
def test_one_gaussian_per_mixture_is_that_gaussian(X, inner, covariance_type):
    gaussian = inner(np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 1.0]]),
                     np.ones((2, 3)) if inner is GaussianDiag else np.stack([np.eye(3)] * 2))
    family = GaussianMixtures(np.ones((2, 1)), gaussian.means[:, None, :],
                              gaussian.covariances[:, None], covariance_type)
    assert_allclose(family.log_prob(X), gaussian.log_prob(X), rtol=1e-12)
    W = np.random.RandomState(3).dirichlet(np.ones(2), size=len(X))
    new, expected = family.maximize(family.accumulate(X, W)), gaussian.maximize(
        gaussian.accumulate(X, W))
    assert_allclose(new.means[:, 0], expected.means, rtol=1e-10)
    assert_allclose(new.covariances[:, 0], expected.covariances, rtol=1e-8)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_a_missing_entry_gives_the_marginal_density(X, covariance_type):
    family = make_family(covariance_type)
    holed = X.copy()
    holed[::3, -1] = np.nan
    kept = {"spherical": family.covariances, "diag": family.covariances[..., :-1],
            "full": family.covariances[..., :-1, :-1],
            "tied": family.covariances[..., :-1, :-1]}[covariance_type]
    marginal = GaussianMixtures(family.weights, family.means[..., :-1], kept, covariance_type)
    assert_allclose(family.log_prob(holed)[::3], marginal.log_prob(X[::3, :-1]), rtol=1e-10)
    assert_allclose(family.log_prob(holed)[1::3], family.log_prob(X[1::3]), rtol=1e-12)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_sample_has_the_mixture_moments(covariance_type):
    family = make_family(covariance_type)
    means, covariances = family.state_moments()
    draws = family.sample(1, 40000, np.random.RandomState(0))
    assert_allclose(draws.mean(axis=0), means[1], atol=0.06)
    assert_allclose(np.cov(draws.T), covariances[1], atol=0.15)


def _gmm_data(seed=0, n=300):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.randn(n // 2, 2) + [0, 0], rng.randn(n - n // 2, 2) * 0.6 + [3, 2]])


@pytest.mark.parametrize("covariance_type", TYPES)
def test_gmmhmm_fits_missing_values(covariance_type):
    # The observed-data likelihood never falls (pytest turns the guard's warning into an
    # error) and impute fills every gap.
    X = _gmm_data()
    X[np.random.RandomState(1).uniform(size=X.shape) < 0.15] = np.nan
    model = emkit.GMMHMM(2, n_mix=2, covariance_type=covariance_type, n_iter=15,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emkit.exceptions.ConvergenceWarning)
        model.fit(X, [150, 150])
    assert np.all(np.diff(model.monitor_.history) > -1e-8)
    filled = model.impute(X, [150, 150])
    assert not np.isnan(filled).any()
    assert_allclose(filled[~np.isnan(X)], X[~np.isnan(X)])


@pytest.mark.parametrize("covariance_type", ["diag", "tied"])
def test_gmmhmm_on_dask_equals_in_memory(covariance_type):
    da = pytest.importorskip("dask.array")
    X = _gmm_data(n=400)
    fits = []
    for data in (X, da.from_array(X, chunks=(90, 2))):
        model = emkit.GMMHMM(2, n_mix=2, covariance_type=covariance_type, n_iter=6,
                             random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", emkit.exceptions.ConvergenceWarning)
            fits.append(model.fit(data, [200, 200]))
    for name in ("weights_", "means_", "covars_", "transmat_"):
        assert_allclose(getattr(fits[1], name), getattr(fits[0], name), rtol=1e-10)
    assert_allclose(fits[1].monitor_.history, fits[0].monitor_.history, rtol=1e-10)


def test_chunk_size_does_not_change_the_fit():
    X = _gmm_data()
    fits = []
    for chunk_size in (None, 7):
        model = emkit.GMMHMM(2, n_mix=2, covariance_type="full", n_iter=5, random_state=0)
        with emkit.config_context(chunk_size=chunk_size), warnings.catch_warnings():
            warnings.simplefilter("ignore", emkit.exceptions.ConvergenceWarning)
            fits.append(model.fit(X, [100, 120, 80]))
    assert_allclose(fits[1].covars_, fits[0].covars_, rtol=1e-10)


def test_a_gaussian_without_weight_keeps_its_parameters_where_hmmlearn_gives_nan():
    X = _gmm_data()
    start = dict(startprob_=np.array([0.5, 0.5]), transmat_=np.full((2, 2), 0.5),
                 weights_=np.full((2, 2), 0.5),
                 means_=np.array([[[0.0, 0.0], [500.0, 500.0]], [[3.0, 2.0], [3.5, 2.5]]]),
                 covars_=np.ones((2, 2, 2)))
    models = []
    logging.getLogger("hmmlearn").setLevel(logging.CRITICAL)
    for library in (hl_hmm, emkit.hmm):
        model = library.GMMHMM(2, n_mix=2, n_iter=3, init_params="", tol=0)
        for name, value in start.items():
            setattr(model, name, value.copy())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            models.append(model.fit(X, [150, 150]))
    hmmlearn_model, model = models
    assert np.isnan(hmmlearn_model.covars_).any()
    assert any(issubclass(w.category, ComponentCollapseWarning) for w in caught)
    assert_allclose(model.means_[0, 1], [500.0, 500.0])
    assert model.weights_[0, 1] == 0.0 and np.all(np.isfinite(model.covars_))
    assert np.isfinite(model.score(X))


@pytest.mark.parametrize("covariance_type", TYPES)
def test_a_variance_rounding_cannot_resolve_is_floored(covariance_type):
    # Nine rows, a constant feature, six Gaussians: variances collapse to zero or to
    # rounding residue (1e-29), whose densities the expanded quadratic form cannot
    # compute. Both count as singular and get min_covar, so both recursions agree (the
    # plain scaled one would otherwise underflow on garbage densities).
    X = np.column_stack([np.full(9, 715.0), np.arange(585.0, 0.0, -65.0),
                         np.random.RandomState(0).randn(9, 2) * [4.0, 12.0] + [0, -60]])
    histories = []
    for implementation in ("log", "scaling"):
        model = emkit.GMMHMM(3, n_mix=2, covariance_type=covariance_type, n_iter=8,
                             random_state=0, implementation=implementation)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X)
        histories.append(model.monitor_.history)
        assert any(issubclass(w.category, ComponentCollapseWarning) for w in caught)
        assert np.all(np.isfinite(model.covars_)) and np.isfinite(model.score(X))
    assert_allclose(histories[1], histories[0], rtol=1e-9)


def test_bad_covariance_types_and_shapes_are_one_sentence():
    with pytest.raises(ValueError, match="^covariance_type must be one of"):
        GaussianMixtures(np.ones((1, 1)), np.zeros((1, 1, 2)), np.ones((1, 1)), "ful")
    with pytest.raises(ValueError, match=r"^'tied' covariances must have shape \(1, 2, 2\)"):
        GaussianMixtures(np.ones((1, 1)), np.zeros((1, 1, 2)), np.ones((1, 1)), "tied")
    model = emkit.GMMHMM(1, n_mix=2, covariance_type="full")
    model.startprob_, model.transmat_ = np.ones(1), np.ones((1, 1))
    model.weights_, model.means_ = np.full((1, 2), 0.5), np.zeros((1, 2, 2))
    model.covars_ = np.array([[[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]])
    with pytest.raises(ValueError, match="^The covariance of state 0 mixture component 1 in "
                                         "covars_ is not positive definite"):
        model.score(np.zeros((3, 2)))
