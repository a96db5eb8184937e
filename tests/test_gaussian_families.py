"""Gaussian families against scipy.stats densities and closed-form weighted MLEs."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from conftest import blobs
from emkit.families import GaussianDiag, GaussianFull, GaussianSpherical, GaussianTied
from emkit.families.gaussian import full as full_module

K, D = 3, 4


def _params(seed=0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=3, size=(K, D))
    a = rng.normal(size=(K, D, D)) * 0.4 + np.eye(D)
    return means, a @ a.transpose(0, 2, 1) + 0.1 * np.eye(D)


def _dense_covariances(family):
    covs = np.asarray(family.covariances)
    if isinstance(family, GaussianFull):
        return covs
    if isinstance(family, GaussianTied):
        return np.broadcast_to(covs, (K, D, D))
    if isinstance(family, GaussianDiag):
        return np.array([np.diag(c) for c in covs])
    return np.array([c * np.eye(D) for c in covs])


def _all(seed=0):
    means, covs = _params(seed)
    return [GaussianFull(means, covs), GaussianTied(means, covs[0]),
            GaussianDiag(means, np.diagonal(covs, axis1=1, axis2=2).copy()),
            GaussianSpherical(means, np.array([0.3, 1.0, 4.0]))]


@pytest.mark.parametrize("family", _all(), ids=lambda f: type(f).__name__)
def test_log_prob_matches_scipy(family):
    X, _ = blobs(n=40, d=D, seed=3)
    expected = np.column_stack([
        stats.multivariate_normal(m, c).logpdf(X)
        for m, c in zip(family.means, _dense_covariances(family))])
    assert_allclose(family.log_prob(X), expected, rtol=1e-10, atol=1e-10)


def test_full_log_prob_matches_scipy_on_ill_conditioned_covariances():
    # The cases of scikit-learn #29989, where its full log-densities were reported off
    # by 0.2: 1 to 10 features, covariances of random orientation with eigenvalues from
    # 1e-6 to 10 (condition numbers up to about 1e9), points from next to the mean to
    # 1e6 away. emkit's log-densities stay within 1e-6 of scipy's, relative to the
    # larger of 1 and their size.
    rng = np.random.default_rng(0)
    checked = 0
    while checked < 300:
        d = int(rng.integers(1, 11))
        q, r = np.linalg.qr(rng.uniform(-10, 10, (d, d)))
        if not np.all((np.abs(np.diag(r)) > 1e-3) & (np.abs(np.diag(r)) < 1e3)):
            continue
        axes = q * np.diag(r)
        cov = axes @ np.diag(10 ** rng.uniform(-6, 1, d)) @ axes.T
        cov = (cov + cov.T) / 2
        mean = rng.uniform(-10, 10, d)
        X = rng.uniform(-1, 1, (4, d)) * 10 ** rng.uniform(-2, 6)
        X[0] = mean + rng.normal(size=d) * 1e-3
        expected = stats.multivariate_normal(mean, cov).logpdf(X)
        got = GaussianFull(mean[None], cov[None], reg_covar=0.0).log_prob(X)[:, 0]
        assert np.all(np.abs(got - expected) <= 1e-6 * np.maximum(1.0, np.abs(expected)))
        checked += 1


@pytest.mark.parametrize("family", _all(), ids=lambda f: type(f).__name__)
def test_maximize_is_the_weighted_mle(family):
    X, _ = blobs(n=80, d=D, seed=4)
    W = np.random.default_rng(5).dirichlet(np.ones(K), size=len(X))
    fitted = family.maximize(family.accumulate(X, W))
    nk = W.sum(axis=0)
    means = W.T @ X / nk[:, None]
    scatter = np.array([(W[:, k, None] * (X - means[k])).T @ (X - means[k]) for k in range(K)])
    assert_allclose(fitted.means, means, rtol=1e-10)
    reg = family.reg_covar
    if isinstance(family, GaussianFull):
        expected = scatter / nk[:, None, None] + reg * np.eye(D)
    elif isinstance(family, GaussianTied):
        expected = scatter.sum(axis=0) / nk.sum() + reg * np.eye(D)
    elif isinstance(family, GaussianDiag):
        expected = np.diagonal(scatter, axis1=1, axis2=2) / nk[:, None] + reg
    else:
        expected = np.diagonal(scatter, axis1=1, axis2=2).mean(axis=1) / nk + reg
    assert_allclose(fitted.covariances, expected, rtol=1e-9)


@pytest.mark.parametrize("family", _all(), ids=lambda f: type(f).__name__)
def test_float32_chunks_agree_with_float64(family):
    X, _ = blobs(n=200, d=D, seed=6)
    lp64 = family.log_prob(X)
    lp32 = family.log_prob(X.astype(np.float32))
    assert lp32.dtype == np.float32
    assert_allclose(lp32, lp64, rtol=1e-4, atol=1e-3)


def test_float32_falls_back_to_float64_when_products_would_lose_digits():
    means, covs = _params()
    far = GaussianFull(means + 1e4, covs * 1e-4)
    assert far.log_prob(np.zeros((2, D), dtype=np.float32)).dtype == np.float64


def test_per_component_path_for_many_features_matches_expanded(monkeypatch):
    means, covs = _params(1)
    X, _ = blobs(n=50, d=D, seed=2)
    W = np.random.default_rng(0).dirichlet(np.ones(K), size=50)
    expanded = GaussianFull(means, covs)
    monkeypatch.setattr(full_module, "EXPANDED_MAX_FEATURES", 2)
    direct = GaussianFull(means, covs)
    assert not direct._expanded and expanded._expanded
    assert_allclose(direct.log_prob(X), expanded.log_prob(X), rtol=1e-10)
    assert_allclose(direct.accumulate(X, W).second, expanded.accumulate(X, W).second, rtol=1e-10)


@pytest.mark.parametrize("family", _all(), ids=lambda f: type(f).__name__)
def test_sample_has_the_component_moments(family):
    rng = np.random.RandomState(0)
    draws = family.sample(2, 20000, rng)
    cov = _dense_covariances(family)[2]
    se = np.sqrt(np.diag(cov) / len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - family.means[2]) < 5 * se)
    assert_allclose(np.cov(draws.T), cov, atol=0.1 * np.abs(cov).max())


@pytest.mark.parametrize("family", _all(), ids=lambda f: type(f).__name__)
def test_take_reseed_and_dict_round_trip(family):
    taken = family.take([2, 0])
    assert_allclose(taken.means, family.means[[2, 0]])
    again = type(family).from_dict(family.to_dict())
    assert_allclose(again.log_prob(family.means), family.log_prob(family.means))
    moved = family.reseed(1, np.full(D, 9.0))
    assert_allclose(moved.means[1], 9.0)
    assert family.take([0, 0, 1]).identical_groups() == [[0, 1]]


def test_non_positive_definite_covariance_is_a_clear_error():
    means, covs = _params()
    covs[1] = -np.eye(D)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        GaussianFull(means, covs)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        GaussianDiag(means, np.zeros((K, D)))


def test_spherical_features_are_the_norms_and_its_statistic_their_weighted_sum():
    # D + 2 features [1, y, |y|^2] carry everything a spherical Gaussian needs: the
    # log-densities match scipy (above) and the moments match a brute-force sum.
    family = _all()[3]
    X, _ = blobs(n=60, d=D, seed=6)
    W = np.random.default_rng(7).dirichlet(np.ones(K), size=len(X))
    assert family._features(X, np.float64).shape == (D + 2, len(X))
    stats = family.accumulate(X, W)
    y = X - stats.shift
    assert_allclose(stats.first, W.T @ y, rtol=1e-12)
    # Each component's sum of squares, spread evenly over the features.
    assert_allclose(stats.second, np.repeat(W.T @ (y**2).sum(axis=1)[:, None] / D, D, axis=1),
                    rtol=1e-12)
    # Adding chunks about different shifts keeps the sums right.
    moved = stats.recentered(np.zeros(D))
    assert_allclose(moved.second.sum(axis=1), W.T @ (X**2).sum(axis=1), rtol=1e-12)


def test_regularization_share_is_reg_covar_times_the_largest_precision_entry():
    # Oracle: the inverse covariances' largest diagonal entry, by numpy; it is at most
    # the largest precision eigenvalue, so the share is at most reg_covar over the
    # smallest covariance eigenvalue.
    rng = np.random.default_rng(4)
    K, D, reg = 3, 4, 1e-4
    A = rng.normal(size=(K, D, D))
    covs = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(D)
    means = rng.normal(size=(K, D))
    for family, stack in [(GaussianFull(means, covs, reg), covs),
                          (GaussianTied(means, covs[0], reg), covs[:1])]:
        largest = max(np.diag(np.linalg.inv(c)).max() for c in stack)
        assert_allclose(family.regularization_share(), reg * largest, rtol=1e-12)
        assert family.regularization_share() <= reg / np.linalg.eigvalsh(stack).min() * (1 + 1e-12)
