"""The Gaussian families on rows with missing entries, against a row-by-row reference.

The reference takes one row and one component at a time: the observed block of the
covariance, scipy's density of the observed coordinates, and the conditional mean and
covariance of the missing ones by ``np.linalg.solve`` (Ghahramani & Jordan, 1994).
Every test runs on both implementations of the observed-data terms: the compiled
row-by-row kernels and the grouped numpy one.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize
from scipy.stats import multivariate_normal

from emkit.families import GaussianDiag, GaussianFull, GaussianSpherical, GaussianTied
from emkit.families.gaussian import missing
from emkit.families.gaussian.missing_grouped import spd_inverse
from emkit.families.gaussian.stats import DiagStats, FullStats, TiedStats

FAMILIES = ["full", "tied", "diag", "spherical"]
TOL = 1e-10


@pytest.fixture(autouse=True, params=["compiled", "grouped"])
def backend(request, monkeypatch):
    monkeypatch.setattr(missing, "BACKEND", request.param)
    return request.param


def _family(kind, D, K, seed=0, reg_covar=1e-6):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=2.0, size=(K, D))
    a = rng.normal(scale=0.5, size=(K, D, D)) + np.eye(D)
    covs = a @ a.transpose(0, 2, 1) + 0.2 * np.eye(D)
    if kind == "full":
        return GaussianFull(means, covs, reg_covar)
    if kind == "tied":
        return GaussianTied(means, covs[0], reg_covar)
    if kind == "diag":
        return GaussianDiag(means, rng.uniform(0.3, 3.0, size=(K, D)), reg_covar)
    return GaussianSpherical(means, rng.uniform(0.3, 3.0, size=K), reg_covar)


def _dense(family):
    K, D = family.means.shape
    covs = np.asarray(family.covariances)
    if isinstance(family, GaussianFull):
        return covs
    if isinstance(family, GaussianTied):
        return np.broadcast_to(covs, (K, D, D))
    if isinstance(family, GaussianDiag):
        return np.array([np.diag(c) for c in covs])
    return np.array([c * np.eye(D) for c in covs])


def _data(family, n=None, seed=1):
    """Rows drawn from the components, every count of missing entries 0..D represented."""
    rng = np.random.default_rng(seed)
    K, D = family.means.shape
    n = n or 12 * (D + 1)
    labels = rng.integers(0, K, n)
    X = np.array([rng.multivariate_normal(family.means[k], _dense(family)[k]) for k in labels])
    for i in range(n):
        m = i % (D + 1)
        X[i, rng.choice(D, size=m, replace=False)] = np.nan
    return X[rng.permutation(n)]


def _reference(family, X, W):
    """Row-by-row observed-data E-step: log-densities, raw moments, conditional means."""
    means, covs = family.means, _dense(family)
    n, D = X.shape
    K = len(means)
    log_prob, cond = np.zeros((n, K)), np.zeros((n, K, D))
    weight, first, second = np.zeros(K), np.zeros((K, D)), np.zeros((K, D, D))
    for i in range(n):
        o = ~np.isnan(X[i])
        m = ~o
        for k in range(K):
            if not o.any():
                cond[i, k] = means[k]
                continue
            s_oo = covs[k][np.ix_(o, o)]
            log_prob[i, k] = multivariate_normal(means[k][o], s_oo).logpdf(X[i, o])
            xhat, c = X[i].copy(), np.zeros((D, D))
            if m.any():
                s_mo = covs[k][np.ix_(m, o)]
                xhat[m] = means[k][m] + s_mo @ np.linalg.solve(s_oo, X[i, o] - means[k][o])
                c[np.ix_(m, m)] = covs[k][np.ix_(m, m)] - s_mo @ np.linalg.solve(s_oo, s_mo.T)
            cond[i, k] = xhat
            weight[k] += W[i, k]
            first[k] += W[i, k] * xhat
            second[k] += W[i, k] * (np.outer(xhat, xhat) + c)
    return log_prob, cond, weight, first, second


CASES = [(kind, D, K) for kind in FAMILIES for D in (1, 3, 6) for K in (1, 3)]


def _id(case):
    return "{}-D{}-K{}".format(*case)


@pytest.fixture(scope="module", params=CASES, ids=_id)
def case(request):
    kind, D, K = request.param
    family = _family(kind, D, K, seed=D + 10 * K)
    X = _data(family, seed=D + K)
    W = np.random.default_rng(D * K).uniform(0.1, 2.0, size=(len(X), K))
    return family, X, W, _reference(family, X, W)


def test_data_covers_every_count_of_missing_entries(case):
    _, X, _, _ = case
    assert set(np.isnan(X).sum(axis=1)) == set(range(X.shape[1] + 1))


def test_log_prob_is_the_marginal_density_of_the_observed_entries(case):
    family, X, _, (log_prob, _, _, _, _) = case
    got = family.log_prob(X)
    assert got.shape == log_prob.shape and np.all(np.isfinite(got))
    assert_allclose(got, log_prob, rtol=TOL, atol=TOL)
    assert np.all(got[np.isnan(X).all(axis=1)] == 0.0)


def test_accumulate_gives_the_conditional_moments(case):
    family, X, W, (_, _, weight, first, second) = case
    stats = family.accumulate(X, W)
    K, D = family.means.shape
    assert_allclose(stats.weight, weight, rtol=TOL, atol=TOL)
    about_zero = stats.recentered(np.zeros(D))
    scale = max(1.0, np.abs(second).max())
    assert_allclose(about_zero.first, first, rtol=TOL, atol=TOL * scale)
    means = first / weight[:, None]
    assert_allclose(stats.means, means, rtol=TOL, atol=TOL)
    scatter = second - weight[:, None, None] * means[:, :, None] * means[:, None, :]
    if isinstance(stats, FullStats):
        raw, scatter_got = second, stats.scatter()
    elif isinstance(stats, TiedStats):
        raw, scatter = second.sum(axis=0), scatter.sum(axis=0)
        scatter_got = stats.scatter()
    else:
        assert isinstance(stats, DiagStats)
        raw = np.diagonal(second, axis1=1, axis2=2)
        scatter, scatter_got = np.diagonal(scatter, axis1=1, axis2=2), stats.scatter()
    got = about_zero.second
    if isinstance(family, GaussianSpherical):
        # Spherical statistics keep each component's sum over the features only.
        got, raw = got.sum(axis=1), raw.sum(axis=1)
        scatter_got, scatter = scatter_got.sum(axis=1), scatter.sum(axis=1)
    assert_allclose(got, raw, rtol=TOL, atol=TOL * scale)
    assert_allclose(scatter_got, scatter, rtol=TOL, atol=TOL * scale)


def test_prepared_halves_agree_with_the_plain_methods(case):
    family, X, W, _ = case
    prepared = family.prepare(X)
    assert np.array_equal(family.log_prob_prepared(prepared), family.log_prob(X))
    a, b = family.accumulate_prepared(prepared, W), family.accumulate(X, W)
    assert np.array_equal(a.first, b.first) and np.array_equal(a.second, b.second)


def test_condition_fills_the_conditional_means(case):
    family, X, _, (_, cond, _, _, _) = case
    got = family.condition(X)
    assert got.shape == (len(X), family.n_components, X.shape[1])
    assert_allclose(got, cond, rtol=TOL, atol=TOL)
    observed = np.broadcast_to(~np.isnan(X)[:, None, :], got.shape)
    assert np.array_equal(got[observed], np.broadcast_to(X[:, None, :], got.shape)[observed])


def test_rows_with_nothing_observed_add_nothing(case):
    family, X, W, _ = case
    empty = np.isnan(X).all(axis=1)
    W_zeroed = W.copy()
    W_zeroed[empty] = 0.0
    a, b = family.accumulate(X, W), family.accumulate(X, W_zeroed)
    assert_allclose(a.weight, b.weight, rtol=0, atol=0)
    assert_allclose(a.second, b.second, rtol=0, atol=0)
    only_empty = family.accumulate(X[empty], W[empty])
    assert np.all(only_empty.weight == 0) and np.all(only_empty.second == 0)


def test_maximize_on_data_with_missing_entries_is_finite(case):
    family, X, W, _ = case
    fitted = family.maximize(family.accumulate(X, W))
    assert np.all(np.isfinite(fitted.means)) and np.all(np.isfinite(fitted.covariances))
    assert np.all(np.isfinite(fitted.log_prob(X)))


@pytest.mark.parametrize("kind", FAMILIES)
def test_repeated_patterns_and_single_rows_match_the_reference(kind):
    # Many rows over few features: groups large enough for their patterns to repeat
    # (solved once per pattern); then each row alone (batches too small to vectorize).
    family = _family(kind, 4, 2, seed=7)
    X = _data(family, n=400, seed=8)
    W = np.random.default_rng(9).uniform(0.1, 2.0, size=(len(X), 2))
    log_prob, cond, weight, first, second = _reference(family, X, W)
    assert_allclose(family.log_prob(X), log_prob, rtol=TOL, atol=TOL)
    assert_allclose(family.condition(X), cond, rtol=TOL, atol=TOL)
    stats = family.accumulate(X, W).recentered(np.zeros(4))
    assert_allclose(stats.weight, weight, rtol=TOL)
    assert_allclose(stats.first, first, rtol=TOL, atol=TOL * np.abs(first).max())
    raw = {FullStats: second, TiedStats: second.sum(axis=0),
           DiagStats: np.diagonal(second, axis1=1, axis2=2)}[type(stats)]
    got = stats.second
    if isinstance(family, GaussianSpherical):  # sums over the features only
        got, raw = got.sum(axis=1), raw.sum(axis=1)
    assert_allclose(got, raw, rtol=TOL, atol=TOL * np.abs(raw).max())
    counts = np.isnan(X).sum(axis=1)
    for i in [np.flatnonzero(counts == m)[0] for m in range(5)]:
        assert_allclose(family.log_prob(X[i:i + 1]), log_prob[i:i + 1], rtol=TOL, atol=TOL)
        assert_allclose(family.condition(X[i:i + 1]), cond[i:i + 1], rtol=TOL, atol=TOL)


def test_per_component_path_for_many_features_handles_missing_entries(monkeypatch):
    from emkit.families.gaussian import full as full_module

    monkeypatch.setattr(full_module, "EXPANDED_MAX_FEATURES", 2)
    family = _family("full", 5, 3, seed=3)
    assert not family._expanded
    X = _data(family, seed=4)
    W = np.random.default_rng(5).uniform(0.1, 2.0, size=(len(X), 3))
    log_prob, _, weight, first, second = _reference(family, X, W)
    assert_allclose(family.log_prob(X), log_prob, rtol=TOL, atol=TOL)
    stats = family.accumulate(X, W).recentered(np.zeros(5))
    assert_allclose(stats.first, first, rtol=TOL, atol=TOL * np.abs(first).max())
    assert_allclose(stats.second, second, rtol=TOL, atol=TOL * np.abs(second).max())


# -- complete rows keep the feature path ------------------------------------------------
def _old_log_prob(family, X):
    # The complete-data E-step as it was before rows could have missing entries.
    dtype = np.float32 if X.dtype == np.float32 and family._float32_ok else np.float64
    feats = family._features(X, dtype)
    if isinstance(family, (GaussianDiag, GaussianSpherical)):
        weights = family._weights32 if feats.dtype == np.float32 else family._weights
        return (weights @ feats).T
    if isinstance(family, GaussianTied):
        feats, quad = feats
        weights = family._weights32 if feats.dtype == np.float32 else family._weights
        out = weights @ feats
        out -= 0.5 * quad
        return out.T
    centred, feats = feats
    weights = family._weights32 if feats.dtype == np.float32 else family._weights
    out = weights @ feats
    if not family._expanded:
        out -= 0.5 * family._mahalanobis(centred)
    return out.T


def _old_accumulate(family, X, W):
    dtype = np.float32 if X.dtype == np.float32 and family._float32_ok else np.float64
    feats = family._features(X, dtype)
    D = X.shape[1]
    if isinstance(family, (GaussianDiag, GaussianSpherical)):
        sums = (feats @ W.astype(feats.dtype, copy=False)).astype(np.float64)
        second = sums[D + 1:].T
        if isinstance(family, GaussianSpherical):  # one sum of squares, spread evenly
            second = np.repeat(second / D, D, axis=1)
        return sums[0], sums[1:D + 1].T, second
    if isinstance(family, GaussianTied):
        feats, _ = feats
        W = np.asarray(W, dtype=feats.dtype)
        sums = (feats @ W).astype(np.float64)
        second = ((feats[1:] * W.sum(axis=1)) @ feats[1:].T).astype(np.float64)
        return sums[0], sums[1:].T, second
    centred, feats = feats
    sums = (feats @ W.astype(feats.dtype, copy=False)).astype(np.float64)
    rows, cols = np.triu_indices(D)
    second = np.empty((W.shape[1], D, D))
    second[:, rows, cols] = sums[D + 1:].T
    second[:, cols, rows] = sums[D + 1:].T
    return sums[0], sums[1:D + 1].T, second


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", FAMILIES)
def test_complete_rows_are_bit_identical_to_the_feature_path(kind, dtype):
    family = _family(kind, 5, 3, seed=4)
    rng = np.random.default_rng(0)
    X = (family.means[rng.integers(0, 3, 300)] + rng.normal(size=(300, 5))).astype(dtype)
    W = rng.dirichlet(np.ones(3), size=300)
    expected_dtype = np.float32 if dtype == np.float32 and family._float32_ok else np.float64
    prepared, features = family.prepare(X).features, family._features(X, expected_dtype)
    for got, want in zip(prepared if isinstance(prepared, tuple) else [prepared],
                         features if isinstance(features, tuple) else [features]):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    log_prob = family.log_prob(X)
    assert log_prob.dtype == expected_dtype
    assert np.array_equal(log_prob, _old_log_prob(family, X))
    stats = family.accumulate(X, W)
    for got, want in zip((stats.weight, stats.first, stats.second),
                         _old_accumulate(family, X, W)):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("kind", FAMILIES)
def test_float32_chunks_with_missing_entries_agree_with_float64(kind):
    family = _family(kind, 4, 3, seed=2)
    X = _data(family, n=200, seed=3)
    W = np.random.default_rng(1).dirichlet(np.ones(3), size=len(X))
    lp64, lp32 = family.log_prob(X), family.log_prob(X.astype(np.float32))
    assert lp32.dtype == (np.float32 if family._float32_ok else np.float64)
    assert_allclose(lp32, lp64, rtol=1e-4, atol=1e-3)
    s64, s32 = family.accumulate(X, W), family.accumulate(X.astype(np.float32), W)
    assert_allclose(s32.second, s64.second, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("kind", FAMILIES)
def test_bytes_per_row_counts_the_missing_rows(kind):
    family = _family(kind, 6, 3)
    X = _data(family, n=500)
    complete = X[~np.isnan(X).any(axis=1)]
    assert family.bytes_per_row(X) > family.bytes_per_row(complete) > 0
    assert isinstance(family.bytes_per_row(X), int)


@pytest.mark.parametrize("m", [1, 2, 3, 5])
@pytest.mark.parametrize("n", [3, 400])
def test_small_spd_inverses_match_numpy(m, n):
    rng = np.random.default_rng(m)
    a = rng.normal(size=(n, m, m))
    S = a @ a.transpose(0, 2, 1) + 0.5 * np.eye(m)
    inverse, log_det = spd_inverse(S.transpose(1, 2, 0).reshape(m, m, n // 2 or 1, -1))
    assert_allclose(inverse.reshape(m, m, n).transpose(2, 0, 1), np.linalg.inv(S),
                    rtol=1e-12, atol=1e-12)
    assert_allclose(log_det.ravel(), np.linalg.slogdet(S)[1], rtol=1e-12, atol=1e-12)


# -- EM with one component reaches the observed-data maximum likelihood ----------------------
def _mcar_data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal([1.0, -2.0], [[2.0, 1.2], [1.2, 1.5]], size=n)
    X[rng.random(X.shape) < 0.3] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    return X


def _observed_log_likelihood(X, mean, cov):
    total = 0.0
    for pattern in ([True, True], [True, False], [False, True]):
        o = np.array(pattern)
        rows = X[np.all(np.isnan(X) == ~o, axis=1)][:, o]
        total += multivariate_normal(mean[o], cov[np.ix_(o, o)]).logpdf(rows).sum()
    return total


def _direct_mle(kind, X):
    start_mean = np.nanmean(X, axis=0)
    start_var = np.nanvar(X, axis=0)

    def unpack(theta):
        mean = theta[:2]
        if kind in ("full", "tied"):
            lower = np.array([[np.exp(theta[2]), 0.0], [theta[3], np.exp(theta[4])]])
            return mean, lower @ lower.T
        if kind == "diag":
            return mean, np.diag(np.exp(theta[2:4]))
        return mean, np.exp(theta[2]) * np.eye(2)

    if kind in ("full", "tied"):
        theta0 = np.r_[start_mean, 0.5 * np.log(start_var[0]), 0.0, 0.5 * np.log(start_var[1])]
    elif kind == "diag":
        theta0 = np.r_[start_mean, np.log(start_var)]
    else:
        theta0 = np.r_[start_mean, np.log(start_var.mean())]
    result = optimize.minimize(lambda t: -_observed_log_likelihood(X, *unpack(t)) / len(X),
                               theta0, method="BFGS", options={"gtol": 1e-11, "maxiter": 10000})
    return unpack(result.x)


def _one_component(kind, X):
    mean = np.nanmean(X, axis=0)[None]
    if kind == "full":
        return GaussianFull(mean, np.eye(2)[None], reg_covar=0.0)
    if kind == "tied":
        return GaussianTied(mean, np.eye(2), reg_covar=0.0)
    if kind == "diag":
        return GaussianDiag(mean, np.ones((1, 2)), reg_covar=0.0)
    return GaussianSpherical(mean, np.ones(1), reg_covar=0.0)


@pytest.mark.parametrize("kind", FAMILIES)
def test_em_with_one_component_converges_to_the_observed_data_mle(kind):
    X = _mcar_data()
    W = np.ones((len(X), 1))
    family = _one_component(kind, X)
    previous = -np.inf
    for _ in range(2000):
        family = family.maximize(family.accumulate(X, W))
        log_lik = float(family.log_prob(X).sum())
        assert log_lik >= previous - 1e-9
        if log_lik - previous < 1e-13:
            break
        previous = log_lik
    mean, cov = _direct_mle(kind, X)
    assert_allclose(family.means[0], mean, atol=1e-5)
    assert_allclose(_dense(family)[0], cov, atol=1e-5)
    assert_allclose(log_lik, _observed_log_likelihood(X, mean, cov), rtol=1e-10)


def test_chunks_with_missing_entries_ask_for_more_rows():
    X = np.ones((100, 3))
    assert missing.min_chunk_rows(X) == 0
    X[0, 0] = np.nan
    assert missing.min_chunk_rows(X) == missing.MISSING_CHUNK_ROWS
