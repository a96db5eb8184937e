"""float32 and float64 on the hot path: no subnormal responsibility, compiled and numpy
kernels that agree, float32 data that is fitted silently or refused in one sentence, and
fits that make no copy of X."""

import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.metrics import adjusted_rand_score

import emkit
from emkit.families import GaussianDiag, GaussianFull, GaussianSpherical, GaussianTied
from emkit.families.gaussian import _linalg
from emkit.families.gaussian._prepared import FLOAT32_LARGEST, FLOAT32_SCALE_LIMIT
from emkit.models import Mixture
from emkit.models import responsibilities
from emkit.models.responsibilities import log_normalize, normalize_threshold
from emkit.models.worst_rows import WorstRows, _lowest

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: Why a test of the compiled kernels has nothing to test.
NO_COMPILED = ("the compiled kernels are off (numba not installed, or "
               "EMKIT_DISABLE_NUMBA set)")


def _blobs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    return rng.normal(size=(n, 2)) + 10.0 * labels[:, None], labels


def _families(D=3, K=4):
    rng = np.random.default_rng(1)
    means = rng.normal(scale=3, size=(K, D))
    return [GaussianFull(means, np.tile(np.eye(D), (K, 1, 1))),
            GaussianTied(means, np.eye(D)),
            GaussianDiag(means, np.full((K, D), 0.5)),
            GaussianSpherical(means, np.full(K, 0.5))]


@pytest.fixture(params=["compiled", "numpy"])
def backend(request, monkeypatch):
    if request.param == "compiled" and not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    monkeypatch.setattr(responsibilities, "BACKEND", request.param)
    return request.param


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("family", _families(), ids=lambda f: type(f).__name__)
def test_responsibilities_of_extreme_rows_hold_no_subnormal(backend, family, dtype):
    # Rows between the components and far out in their tails: the ratios of densities span
    # far more than the dtype's range, so exp() alone would give subnormal values.
    rng = np.random.default_rng(2)
    X = np.vstack([family.means[0] + (family.means[1] - family.means[0]) * t
                   for t in np.linspace(-40, 40, 400)])
    X = (X + rng.normal(scale=0.01, size=X.shape)).astype(dtype)
    model = Mixture(np.full(4, 0.25), family)
    log_prob = family.log_prob_prepared(family.prepare(X))
    spread = log_prob.max(axis=1) - log_prob.min(axis=1)
    assert spread.max() > -np.log(np.finfo(dtype).tiny)  # extreme enough to matter
    resp = log_prob.copy(order="A")
    log_norm = log_normalize(resp, model.log_weights)
    tiny = np.finfo(resp.dtype).tiny
    assert not np.any((resp > 0) & (resp < tiny))
    assert np.all(np.isfinite(log_norm))
    assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-6 if resp.dtype == np.float32 else 1e-12)
    # What the E-step gives the M-step is finite, and so is the next model.
    stats = model.chunk_stats(X)
    assert np.isfinite(stats.log_likelihood)
    assert np.all(np.isfinite(stats.family.second))


def test_weighted_responsibilities_hold_no_subnormal(backend):
    family = _families()[2]
    X = family.means[[0, 1, 2, 3] * 25] + 0.1
    weights = np.full(len(X), 1e-300)  # normal, but its products with responsibilities are not
    stats = Mixture(np.full(4, 0.25), family).chunk_stats(X, weights)
    first = stats.family.first
    assert not np.any((first != 0) & (np.abs(first) < np.finfo(float).tiny))
    assert not np.any((stats.resp_sum > 0) & (stats.resp_sum < np.finfo(float).tiny))


def _special_rows(dtype, K=5, n=300, seed=3):
    rng = np.random.default_rng(seed)
    log_prob = (rng.normal(size=(n, K)) * 400).astype(dtype)
    log_prob[3] = -np.inf  # impossible under every component
    log_prob[4, 2] = np.nan
    log_prob[5, 1] = np.inf
    log_prob[6] = 0.0  # nothing observed: density 1 under every component
    log_prob[7, :3] = -np.inf
    return log_prob


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_and_numpy_normalization_agree(monkeypatch, order, dtype):
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    log_prob = _special_rows(dtype)
    log_weights = np.log(np.random.default_rng(4).dirichlet(np.ones(5)))
    results = {}
    for name in ("compiled", "numpy"):
        monkeypatch.setattr(responsibilities, "BACKEND", name)
        resp = np.array(log_prob, order=order)
        with np.errstate(invalid="ignore"):
            results[name] = resp, log_normalize(resp, log_weights)
    (r1, n1), (r2, n2) = results["compiled"], results["numpy"]
    valid = np.isfinite(n2)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_allclose(n1[valid], n2[valid], rtol=rtol, atol=rtol)
    assert_allclose(r1[valid], r2[valid], rtol=rtol, atol=1e-300)
    # Exact by construction: a row of zero log-densities has log-density 0 and posterior w.
    assert n1[6] == 0.0 and n2[6] == 0.0
    assert_allclose(r1[6], np.exp(log_weights), rtol=rtol)
    # Invalid rows: -inf stays -inf (the engine's "not finite" error), NaN or +inf is caught
    # as a bad log-density.
    assert n1[3] == -np.inf and n2[3] == -np.inf
    assert np.isnan(n1[4]) and np.isnan(n2[4])
    assert not np.isfinite(n1[5]) and not np.isfinite(n2[5])
    assert_allclose(r1[7, :3], 0.0) and np.isfinite(n1[7])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocked_normalization_agrees_with_numpy_across_blocks(monkeypatch, dtype):
    # Log-densities stored by component go through blocks of samples: special rows in
    # the first, a middle and the last (shorter) block; the component sums too.
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    block = responsibilities._EXP_BLOCK
    log_prob = _special_rows(dtype, K=16, n=2 * block + 37)
    for start in (block - 2, 2 * block + 20):
        log_prob[start:start + 5] = log_prob[3:8]
    bad = np.flatnonzero(np.isnan(log_prob).any(axis=1) | np.isposinf(log_prob).any(axis=1)
                         | np.isneginf(log_prob).all(axis=1))  # responsibilities of NaN
    log_weights = np.log(np.random.default_rng(5).dirichlet(np.ones(16)))
    for with_bad in (True, False):
        if not with_bad:  # the sums, over rows that are all valid
            log_prob[bad] = log_prob[0]
        results = {}
        for name in ("compiled", "numpy"):
            monkeypatch.setattr(responsibilities, "BACKEND", name)
            resp, sums = np.asfortranarray(log_prob), np.zeros(16)
            with np.errstate(invalid="ignore"):
                log_norm = log_normalize(resp, log_weights, sums)
            results[name] = resp, log_norm, sums
        (r1, n1, s1), (r2, n2, s2) = results["compiled"], results["numpy"]
        rtol = 1e-12 if dtype == np.float64 else 1e-6
        valid = np.isfinite(n2)
        assert_array_equal(np.isfinite(n1), valid)
        assert_array_equal(n1[np.isneginf(n2)], -np.inf)  # impossible rows
        assert_allclose(n1[valid], n2[valid], rtol=rtol, atol=rtol)
        assert_allclose(r1[valid], r2[valid], rtol=rtol, atol=1e-300)
        for start in (6, block + 1, 2 * block + 23):  # a row of zero log-densities
            assert n1[start] == 0.0
        if not with_bad:
            assert np.isfinite(s1).all()
            assert_allclose(s1, s2, rtol=rtol)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_normalization_of_special_rows_raises_no_floating_point_error(
        monkeypatch, order, dtype):
    # The compiled path takes no error-state block: each row total is at least 1 or NaN,
    # so its log and the sum with the largest term never divide by zero or overflow.
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    monkeypatch.setattr(responsibilities, "BACKEND", "compiled")
    log_weights = np.log(np.random.default_rng(4).dirichlet(np.ones(5)))
    resp = np.array(_special_rows(dtype), order=order)
    with np.errstate(all="raise"):
        log_norm = log_normalize(resp, log_weights)
    assert log_norm[3] == -np.inf and log_norm[6] == 0.0 and np.isnan(log_norm[4])
    ordinary = np.array(_special_rows(dtype)[8:], order=order)
    expected = logsumexp(ordinary.astype(np.float64) + log_weights, axis=1)
    with np.errstate(all="raise"):
        log_norm = log_normalize(ordinary, log_weights)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_allclose(log_norm, expected, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threshold_keeps_every_survivor_normal_after_division(dtype):
    tiny = np.finfo(dtype).tiny
    for K in (1, 2, 7, 16, 1000):
        threshold = normalize_threshold(dtype, K)
        assert dtype(threshold) == threshold  # a number of dtype: kernels compare in it
        # The smallest survivor divided by the largest possible row sum is still normal,
        # computed in dtype as the kernels do, and the threshold is barely above that.
        assert np.exp(dtype(threshold)) / dtype(K) >= tiny
        assert np.exp(threshold) / K < tiny * (1 + 1e-3)


def test_compiled_and_numpy_factorizations_agree():
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    rng = np.random.default_rng(5)
    for K, D in [(1, 1), (3, 2), (16, 16), (2, 32)]:
        A = rng.normal(size=(K, D, D))
        covs = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(D)
        compiled, ok1 = _linalg._factor_inverse(covs)
        lapack, ok2 = _linalg._factor_inverse_numpy(covs)
        assert ok1 and ok2
        assert_allclose(compiled, lapack, rtol=1e-12, atol=1e-12 * np.abs(lapack).max())
        assert_array_equal(np.tril(compiled, -1), 0.0)  # upper triangular, exactly
        # U U^T is the inverse of the covariance.
        assert_allclose(compiled @ compiled.transpose(0, 2, 1) @ covs,
                        np.broadcast_to(np.eye(D), covs.shape), atol=1e-10)
    covs[0] = -np.eye(D)
    assert not _linalg._factor_inverse(covs)[1] and not _linalg._factor_inverse_numpy(covs)[1]
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        _linalg.precisions_cholesky(covs)


def test_compiled_and_numpy_worst_rows_agree():
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    rng = np.random.default_rng(6)
    for n, m in [(1, 1), (10, 3), (1000, 16), (5, 5)]:
        scores = rng.integers(0, 6, n).astype(float)  # many ties: the earlier row first
        assert_array_equal(_lowest(scores, m), np.argsort(scores, kind="stable")[:m])
        X = rng.normal(size=(n, 2))
        worst = WorstRows.of_chunk(X, scores, m)
        assert_array_equal(worst.scores, np.sort(scores)[:m])
    # float32 scores with infinities (rows that must not be chosen score +inf), and a
    # chunk of fewer rows than asked for.
    scores = np.array([np.inf, 3.0, -np.inf, 3.0, np.inf, -1.0, 2.5], dtype=np.float32)
    for m in [1, 3, 6, 7]:
        assert_array_equal(_lowest(scores, m), np.argsort(scores, kind="stable")[:m])
    assert_array_equal(WorstRows.of_chunk(np.zeros((2, 3)), scores[:2], 16).scores,
                       [3.0, np.inf])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_fits_are_silent_and_stay_float32(covariance_type):
    X, labels = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gm = emkit.GaussianMixture(2, covariance_type=covariance_type, random_state=0)
        gm.fit(X.astype(np.float32))
        gm.score_samples(X.astype(np.float32))
        emkit.select(X.astype(np.float32), [1, 2], covariance_type)
    assert adjusted_rand_score(labels, gm.predict(X.astype(np.float32))) == 1.0


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_data_whose_squares_overflow_is_refused(covariance_type):
    X, labels = _blobs()
    huge = (X * 1e30).astype(np.float32)
    message = r"^X is float32 with values up to 1\.\d+e\+31 in magnitude, .* pass X as float64"
    with pytest.raises(ValueError, match=message):
        emkit.GaussianMixture(2, covariance_type=covariance_type).fit(huge)
    # The HMMs compute in float64, where the same data is fitted right.
    hmm = emkit.GaussianHMM(2, covariance_type=covariance_type, random_state=0).fit(huge)
    assert adjusted_rand_score(labels, hmm.predict(huge)) == 1.0
    # Just below the bound, float32 is fitted right; in float64, 1e30 is fitted right.
    scale = FLOAT32_LARGEST / np.abs(X).max() / 2
    large = emkit.GaussianMixture(2, covariance_type=covariance_type, random_state=0)
    assert adjusted_rand_score(labels, large.fit_predict((X * scale).astype(np.float32))) == 1
    wide = emkit.GaussianMixture(2, covariance_type=covariance_type, random_state=0)
    assert adjusted_rand_score(labels, wide.fit_predict(X * 1e30)) == 1.0


def test_float32_scale_is_the_largest_squared_distance_of_a_mean_from_the_shift():
    # The brute-force oracle: (m_k - s)' P_k (m_k - s) with P_k the inverse covariance,
    # times float32's epsilon; the shift s is the mean of the means.
    rng = np.random.default_rng(5)
    K, D = 4, 3
    means = rng.normal(scale=4, size=(K, D))
    factors = rng.normal(size=(K, D, D))
    full = factors @ factors.transpose(0, 2, 1) + np.eye(D)
    diag = rng.uniform(0.3, 2.0, (K, D))
    spherical = rng.uniform(0.3, 2.0, K)
    families = [GaussianFull(means, full), GaussianTied(means, full[0]),
                GaussianDiag(means, diag), GaussianSpherical(means, spherical)]
    covariances = [full, np.broadcast_to(full[0], full.shape),
                   np.stack([np.diag(v) for v in diag]),
                   spherical[:, None, None] * np.eye(D)]
    offsets = means - means.mean(axis=0)
    for family, covs in zip(families, covariances):
        distances = [a @ np.linalg.solve(c, a) for a, c in zip(offsets, covs)]
        expected = np.finfo(np.float32).eps * max(distances)
        assert_allclose(family._float32_scale, expected, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_chunks_while_the_means_are_near_the_shift(covariance_type):
    # Two unit Gaussians at -d and +d: the shift is 0 and the squared distance d^2, so
    # chunks are float32 up to d = sqrt(limit / eps), about 41, and float64 beyond.
    edge = np.sqrt(FLOAT32_SCALE_LIMIT / np.finfo(np.float32).eps)
    assert 40 < edge < 42
    rng = np.random.default_rng(3)
    for d, dtype in [(0.9 * edge, np.float32), (1.1 * edge, np.float64)]:
        labels = rng.integers(0, 2, 500)
        X = rng.normal(size=(500, 2))
        X[:, 0] += d * (2 * labels - 1)
        X = X.astype(np.float32)
        start = dict(means_init=[[-d, 0.0], [d, 0.0]], weights_init=[0.5, 0.5])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", emkit.exceptions.ConvergenceWarning)
            gm = emkit.GaussianMixture(2, covariance_type=covariance_type, max_iter=1,
                                       tol=0, **start).fit(X)
        family = gm._get_model().family
        assert family.prepare(X).features[0].dtype == dtype
        assert gm._get_model().resolution(np.float32) == (
            4 * family._float32_scale if dtype == np.float32 else 0.0)
        assert adjusted_rand_score(labels, gm.predict(X)) == 1.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_and_predict_make_no_copy_of_X(dtype, covariance_type):
    rng = np.random.default_rng(7)
    n = 1_000_000
    X = (rng.normal(size=(n, 8)) + rng.integers(0, 4, (n, 1)) * 3.0).astype(dtype)
    options = dict(n_components=4, covariance_type=covariance_type, max_iter=2,
                   init_params="random", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emkit.exceptions.ConvergenceWarning)
        emkit.GaussianMixture(**options).fit(X[:5000])  # compiles and imports first
        tracemalloc.start()
        try:
            model = emkit.GaussianMixture(**options).fit(X)
            model.predict(X)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # Chunks and the (n,) labels only: far less than one copy of X (float64 would double it).
    assert peak < X.nbytes / 2 + 8 * n


def test_compiled_and_numpy_feature_weights_agree():
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    from emkit.families.gaussian import full

    rng = np.random.default_rng(8)
    for K, D, expanded in [(2, 1, True), (3, 2, True), (16, 16, True), (4, 20, False)]:
        A = rng.normal(size=(K, D, D))
        factor = _linalg.precisions_cholesky(A @ A.transpose(0, 2, 1) + np.eye(D))
        means = rng.normal(scale=5, size=(K, D))
        n_terms = 1 + D + (D * (D + 1) // 2 if expanded else 0)
        compiled = full._feature_weights(means, factor, n_terms)
        reference = full._feature_weights_numpy(means, factor, n_terms)
        for a, b in zip(compiled, reference):
            assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max())
        # The weights give the log-density: scipy's, at a few rows.
        from scipy import stats
        X = means[0] + rng.normal(size=(3, D))
        family = GaussianFull(means, np.linalg.inv(factor @ factor.transpose(0, 2, 1)))
        expected = np.stack([stats.multivariate_normal(means[k], family.covariances[k]).logpdf(X)
                             for k in range(K)], axis=1)
        assert_allclose(family.log_prob(X), expected.reshape(3, K), rtol=1e-10)


@pytest.mark.parametrize("per_component_shift", [False, True])
def test_compiled_and_numpy_full_m_steps_agree(per_component_shift):
    # Without numba both sides are the numpy path, and the oracle below still holds.
    from emkit.families.gaussian._matrices import MatrixCovariances
    from emkit.families.gaussian.stats import FullStats

    rng = np.random.default_rng(9)
    K, D = 5, 4
    X = rng.normal(size=(300, D)) * 3 + 100.0
    W = rng.dirichlet(np.ones(K), size=300)
    W[:, 4] = 0.0  # a component without weight: its mean falls back to the shift
    shift = X[:K] if per_component_shift else X.mean(axis=0)
    centred = X[:, None, :] - np.broadcast_to(shift, (K, D))
    stats = FullStats(W.sum(axis=0), np.einsum("nk,nkd->kd", W, centred),
                      np.einsum("nk,nkd,nke->kde", W, centred, centred), shift)
    family = GaussianFull(np.zeros((K, D)), np.tile(np.eye(D), (K, 1, 1)), reg_covar=1e-3)
    compiled = family.maximize(stats)
    reference = MatrixCovariances.maximize(family, stats)
    assert_allclose(compiled.means, reference.means, rtol=1e-12, atol=0)
    assert_allclose(compiled.covariances, reference.covariances, rtol=1e-12, atol=0)
    assert_array_equal(compiled.covariances, compiled.covariances.transpose(0, 2, 1))
    # The oracle: each component's weighted mean and covariance, plus reg_covar.
    for k in range(4):
        mean = W[:, k] @ X / W[:, k].sum()
        cov = (W[:, k, None] * (X - mean)).T @ (X - mean) / W[:, k].sum() + 1e-3 * np.eye(D)
        assert_allclose(compiled.means[k], mean, rtol=1e-12)
        assert_allclose(compiled.covariances[k], cov, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("products", ["LINEAR", "SQUARES", "PAIRS", "NORMS"])
def test_compiled_and_numpy_features_agree(dtype, products):
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    from emkit.families.gaussian import _features
    kind = getattr(_features, products)
    rng = np.random.default_rng(8)
    for n, D in [(1, 1), (63, 3), (65, 5), (300, 16), (1024, 4), (4096, 2)]:
        X = (rng.normal(size=(n, D)) * 10 + 5).astype(dtype)
        shift = X.mean(axis=0).astype(dtype)
        compiled = _features.centred_features(X, shift, dtype, kind)
        # Contiguous rows, n values apart unless that puts more than four features of a
        # sample in one set of the first-level cache (rows a multiple of 4 KiB apart,
        # n = 1024 or 4096 in float32): then an odd number of cache lines apart.
        row_bytes, terms = compiled.strides[0], compiled.shape[0]
        assert compiled.strides[1] == compiled.itemsize
        share = max(4, -(-terms // 64))
        crowded = _features._set_load(n * compiled.itemsize, terms) > share
        assert crowded == ((n * compiled.itemsize) % 4096 == 0 and terms > 4)
        if crowded:
            assert row_bytes > n * compiled.itemsize
            assert row_bytes % 64 == 0 and (row_bytes // 64) % 2 == 1
            assert _features._set_load(row_bytes, terms) <= share
        else:
            assert compiled.flags.c_contiguous
        expected = np.empty_like(compiled)
        _features._fill_numpy(X, shift, expected, kind)
        rtol = 1e-12 if dtype == np.float64 else 1e-6
        assert_allclose(compiled, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
        # Row by row, against the definition.
        y = X.astype(np.float64) - shift
        rows = {"LINEAR": [], "SQUARES": [y**2], "NORMS": [(y**2).sum(axis=1, keepdims=True)],
                "PAIRS": [y[:, [d]] * y[:, d:] for d in range(D)]}[products]
        truth = np.hstack([np.ones((n, 1)), y] + rows).T
        assert_allclose(compiled, truth, rtol=10 * rtol, atol=10 * rtol * np.abs(truth).max())


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("products", ["LINEAR", "SQUARES", "PAIRS", "NORMS"])
def test_features_of_complete_rows_notice_a_nan(compiled, products, monkeypatch):
    # The E-step asks for the features of complete rows and takes the missing-value path
    # on None: one NaN anywhere in the chunk, whichever kernel builds them.
    from emkit.families.gaussian import _features
    if compiled and not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    monkeypatch.setattr(_features, "HAVE_NUMBA", compiled)
    kind = getattr(_features, products)
    rng = np.random.default_rng(3)
    for dtype in (np.float64, np.float32):
        X = rng.normal(size=(257, 5)).astype(dtype)
        shift = np.zeros(5, dtype)
        whole = _features.centred_features(X, shift, dtype, kind, complete=True)
        assert_array_equal(whole, _features.centred_features(X, shift, dtype, kind))
        for row, column in [(0, 0), (256, 4), (100, 2)]:
            holed = X.copy()
            holed[row, column] = np.nan
            holes = _features.centred_features(holed, shift, dtype, kind, complete=True)
            assert holes is None
            assert np.isnan(_features.centred_features(holed, shift, dtype, kind)).any()


def _bit_cast_cases(dtype, int_type):
    info = np.finfo(dtype)
    values = np.array([0.0, -0.0, 1.0, -2.5, 2.0**-20, info.tiny, info.max, np.inf, -np.inf],
                      dtype)
    return values, values.view(int_type)


@pytest.mark.parametrize("dtype, int_type", [(np.float64, np.int64), (np.float32, np.int32)])
def test_python_bit_casts_equal_numpy_views_and_invert_each_other(dtype, int_type):
    # The exp makes 2^k from bits (float_bits, bits_float); in plain Python they are
    # views of numpy scalars.
    from emkit import _compiled

    values, bits = _bit_cast_cases(dtype, int_type)
    for value, expected in zip(values, bits):
        got = _compiled._python_float_bits(value)
        assert got == expected and got.dtype == int_type
        back = _compiled._python_bits_float(expected)
        assert back.dtype == dtype and back.view(int_type) == expected


@pytest.mark.parametrize("dtype, int_type", [(np.float64, np.int64), (np.float32, np.int32)])
def test_compiled_bit_casts_equal_numpy_views_in_a_vector_loop(dtype, int_type):
    # In compiled kernels they are numba intrinsics (one bit cast each).
    from emkit import _compiled

    if not _compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    import numba

    _compiled._materialize()
    float_bits, bits_float = _compiled.float_bits, _compiled.bits_float
    assert float_bits is not _compiled._python_float_bits

    @numba.njit
    def round_trip(values, bits, floats):
        for i in range(values.shape[0]):
            bits[i] = float_bits(values[i])
            floats[i] = bits_float(bits[i])

    values, bits = _bit_cast_cases(dtype, int_type)
    got_bits, got_floats = np.empty_like(bits), np.empty_like(values)
    round_trip(values, got_bits, got_floats)
    assert_array_equal(got_bits, bits)
    assert_array_equal(got_floats.view(int_type), bits)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_normalizers_are_within_one_ulp_of_the_exact_log(dtype, compiled):
    # The one pass's log of each row's sum of exps (add_logs, top + log(total)): sums
    # of exps lie in [1, K]; the log runs on the whole normal range, within one unit in
    # the last place, and a NaN stays NaN. The plain-Python loop computes the same.
    if compiled and not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    add_logs = responsibilities.add_logs if compiled else responsibilities.add_logs.py_func
    rng = np.random.default_rng(3)
    count = 100_000 if compiled else 2_000
    edges = [1.0, np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 2.0), 2.0, 16.0,
             np.nextafter(1.0, 2.0), np.finfo(dtype).tiny, np.finfo(dtype).max]
    total = np.concatenate([rng.uniform(1.0, 64.0, count),
                            np.exp(rng.uniform(-80.0, 80.0, count)), edges]).astype(dtype)
    top = rng.uniform(-50.0, 0.0, len(total)).astype(dtype)
    out = np.empty(len(total))
    add_logs(total, np.zeros(len(total), dtype), out)
    exact = np.log(total.astype(np.longdouble))
    ulp = np.spacing(np.abs(exact).astype(np.float64)).astype(np.longdouble)
    assert np.max(np.abs(out - exact) / np.where(exact == 0, 1, ulp)) <= 1.0
    assert out[count * 2] == 0.0  # log 1, exactly
    shifted = np.empty(len(total))
    add_logs(total, top, shifted)
    assert_array_equal(shifted, top.astype(np.float64) + out)
    nan = np.empty(2)
    add_logs(np.array([np.nan, 1.0], dtype), np.zeros(2, dtype), nan)
    assert np.isnan(nan[0]) and nan[1] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_exp_takes_a_threshold_below_the_normal_range_as_its_edge(dtype):
    # 2^k is made from k's bits, which is right only while 2^k is normal: a lower
    # threshold (here -inf) counts as the log of the smallest normal number, so terms
    # below it give 0, not a wrapped exponent, and terms above it their exp.
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    edge = np.log(np.finfo(dtype).tiny)
    values = np.array([-1e4, edge - 1.0, edge + 0.5, -30.0, 0.0], dtype)
    result, total = values.copy(), np.zeros(len(values), dtype)
    responsibilities._add_exps(result, dtype(0.0), np.zeros(len(values), dtype),
                               dtype(-np.inf), total)
    assert_array_equal(result[:2], 0.0)
    assert_allclose(result[2:], np.exp(values[2:].astype(np.float64)),
                    rtol=4 * np.finfo(dtype).eps)
    assert np.all(result[2:] >= np.finfo(dtype).tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_exp_of_shifted_terms_is_within_two_ulp_and_exact_at_zero(dtype):
    # The normalization's exp (numba only): every shifted term lies in [threshold, 0]
    # (or is the mark +1 of the row layout), a term below the threshold gives exactly 0,
    # and a NaN stays NaN. Blocks cut short: the length is not a multiple of the block.
    if not emkit._compiled.HAVE_NUMBA:
        pytest.skip(NO_COMPILED)
    threshold = normalize_threshold(dtype, 64)
    below = [np.nextafter(dtype(threshold), dtype(-np.inf)), -np.inf, -1e30]
    values = np.concatenate([np.linspace(threshold, 0.0, 200_001),
                             np.random.default_rng(0).uniform(threshold, 0.0, 3001),
                             [1.0, -0.0, np.nan], below]).astype(dtype)
    # The block normalization's exp (shift 0, weight 0), and its sum.
    result = values.copy()
    total = np.full(len(values), dtype(0.5))
    responsibilities._add_exps(result, dtype(0.0), np.zeros(len(values), dtype),
                               dtype(threshold), total)
    assert_array_equal(total, dtype(0.5) + result)
    if dtype == np.float32:
        # The row layout's exp, in place: the same values.
        in_place = values.copy()
        responsibilities._exp32_values(in_place, dtype(threshold))
        assert_array_equal(in_place, result)
    exact = np.exp(values.astype(np.longdouble))
    kept = np.isfinite(values) & (values >= threshold)
    ulp = np.spacing(exact[kept].astype(dtype)).astype(np.longdouble)
    assert np.max(np.abs(result[kept] - exact[kept]) / ulp) <= 2.0
    assert result[-6] == np.float32(np.e) if dtype == np.float32 else result[-6] > 2.718
    assert result[-5] == 1.0 and result[200_000] == 1.0  # the row's largest term
    assert np.isnan(result[-4])
    assert_array_equal(result[-3:], 0.0)  # below the threshold: exactly 0
    assert np.all(result[kept] >= np.finfo(dtype).tiny)
