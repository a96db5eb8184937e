"""The one-pass E-step of diagonal and spherical Gaussian chunks (families/gaussian/_fused.py).

Oracles: the feature path of the same mixture (prepare, log-densities, normalization,
moment sums), and for a small case scipy's normal log-densities with a brute-force
normalization.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import logsumexp

from emkit._compiled import HAVE_NUMBA
from emkit.families import GaussianDiag, GaussianSpherical
from emkit.families.gaussian import _fused
from emkit.families.gaussian.diag import _Diagonal
from emkit.models import Mixture

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="the one-pass E-step is compiled")


def _mixture(kind, K, D, seed=0, spread=3.0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=spread, size=(K, D))
    weights = rng.dirichlet(np.full(K, 2.0))
    if kind == "diag":
        family = GaussianDiag(means, rng.uniform(0.3, 2.0, size=(K, D)))
    else:
        family = GaussianSpherical(means, rng.uniform(0.3, 2.0, size=K))
    return Mixture(weights, family)


def _data(model, n, seed=1):
    rng = np.random.default_rng(seed)
    family = model.family
    z = rng.choice(model.n_components, size=n, p=model.weights)
    scale = np.sqrt(family._dense_variances())[z]
    return family.means[z] + rng.normal(size=scale.shape) * scale


def _feature_path(model, X, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(_Diagonal, "fused_stats", lambda self, X, log_weights: None)
        return model.chunk_stats(X)


def _assert_same_stats(ours, ref, rtol=1e-12):
    assert_allclose(ours.log_likelihood, ref.log_likelihood, rtol=rtol)
    assert ours.n_rows == ref.n_rows and ours.total_weight == ref.total_weight
    assert_allclose(ours.resp_sum, ref.resp_sum, rtol=rtol, atol=rtol * ref.resp_sum.sum())
    for name in ("weight", "first", "second"):
        actual, expected = getattr(ours.family, name), getattr(ref.family, name)
        assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    assert_allclose(ours.worst.scores, ref.worst.scores, rtol=rtol)


@pytest.mark.parametrize("kind", ["diag", "spherical"])
@pytest.mark.parametrize("K, D", [(1, 1), (3, 5), (16, 16), (17, 3), (6, 8)])
@pytest.mark.parametrize("n", [1, 255, 256, 257, 1000])
def test_one_pass_equals_the_feature_path(kind, K, D, n, monkeypatch):
    # Every remainder: odd K, K not a multiple of four, D not a multiple of four, blocks
    # cut short, one row.
    model = _mixture(kind, K, D)
    X = _data(model, n)
    assert _fused.fused_sums(X, model.family.shift, model.family._fused_terms,
                             model.log_weights) is not None
    _assert_same_stats(model.chunk_stats(X), _feature_path(model, X, monkeypatch))


@pytest.mark.parametrize("kind", ["diag", "spherical"])
def test_one_pass_equals_scipy_and_a_brute_force_normalization(kind):
    model = _mixture(kind, 4, 3, seed=3)
    X = _data(model, 300, seed=4)
    family = model.family
    variances = family._dense_variances()
    log_joint = np.stack([
        stats.norm.logpdf(X, family.means[k], np.sqrt(variances[k])).sum(axis=1)
        for k in range(4)], axis=1) + np.log(model.weights)
    log_norm = logsumexp(log_joint, axis=1)
    resp = np.exp(log_joint - log_norm[:, None])
    y = X - family.shift
    ours = model.chunk_stats(X)
    assert_allclose(ours.log_likelihood, log_norm.sum(), rtol=1e-12)
    assert_allclose(ours.resp_sum, resp.sum(axis=0), rtol=1e-12)
    assert_allclose(ours.family.first, resp.T @ y, rtol=1e-11, atol=1e-11)
    second = resp.T @ y**2
    if kind == "spherical":
        # Each component's sum of squares, spread evenly over the features.
        second = np.repeat(second.sum(axis=1, keepdims=True) / 3, 3, axis=1)
    assert_allclose(ours.family.second, second, rtol=1e-11)


@pytest.mark.parametrize("kind", ["diag", "spherical"])
@pytest.mark.parametrize("K, D", [(1, 1), (3, 5), (16, 16), (17, 3)])
@pytest.mark.parametrize("n", [1, 511, 512, 513, 3000])
def test_float32_one_pass_equals_the_float32_feature_path(kind, K, D, n, monkeypatch):
    # float32 rows: computed in float32 (twice the rows of a float64 block), so the two
    # paths, which order the log-density's terms differently, agree to float32 rounding;
    # both against the float64 E-step of the same rows, to float32's precision.
    model = _mixture(kind, K, D)
    X = _data(model, n).astype(np.float32)
    assert model.family._float32_ok
    assert model.family.fused_stats(X, model.log_weights) is not None
    ours, ref = model.chunk_stats(X), _feature_path(model, X, monkeypatch)
    _assert_same_stats(ours, ref, rtol=2e-5)
    _assert_same_stats(ours, model.chunk_stats(X.astype(np.float64)), rtol=2e-5)


def test_float32_rows_the_feature_path_computes_in_float64_keep_it(monkeypatch):
    # Components whose float32 log-densities would be off (a thousand standard deviations
    # from the shift, not far enough for moments of their own): the feature path
    # computes them in float64, and the one pass leaves them to it.
    means = np.array([[-1000.0, 0.0], [1000.0, 1.0]])
    model = Mixture(np.array([0.5, 0.5]), GaussianDiag(means, np.ones((2, 2))))
    assert model.family._far is None and not model.family._float32_ok
    rng = np.random.default_rng(0)
    X = means[rng.integers(0, 2, 100)] + rng.normal(size=(100, 2))
    assert model.family.fused_stats(X.astype(np.float32), model.log_weights) is None
    assert model.family.fused_stats(X, model.log_weights) is not None
    _assert_same_stats(model.chunk_stats(X.astype(np.float32)),
                       _feature_path(model, X.astype(np.float32), monkeypatch))


def test_the_mixture_e_step_takes_the_one_pass(monkeypatch):
    model = _mixture("diag", 5, 4)
    X = _data(model, 600)
    calls = []
    original = _fused.fused_sums

    def counted(*args):
        result = original(*args)
        calls.append(result is not None)
        return result

    monkeypatch.setattr("emkit.families.gaussian.diag.fused_sums", counted)
    model.chunk_stats(X)
    assert calls == [True]
    # Labels, sample weights and hard assignment keep the feature path.
    model.chunk_stats(X, sample_weight=np.ones(len(X)))
    model.chunk_stats(X, labels=np.full(len(X), -1))
    Mixture(model.weights, model.family, hard=True).chunk_stats(X)
    assert calls == [True]


@pytest.mark.parametrize("kind", ["diag", "spherical"])
def test_chunks_the_one_pass_leaves_to_the_feature_path(kind, monkeypatch):
    model = _mixture(kind, 3, 4)
    family, log_weights = model.family, model.log_weights
    X = _data(model, 400)

    def fused(rows):
        return family.fused_stats(rows, log_weights)

    # A missing entry (late in the chunk: the sums so far are dropped).
    missing = X.copy()
    missing[350, 2] = np.nan
    assert fused(missing) is None
    _assert_same_stats(model.chunk_stats(missing), _feature_path(model, missing, monkeypatch))
    # Rows in Fortran order, integer rows, rows narrower than the components (the
    # feature path says what is wrong with them).
    assert fused(np.ascontiguousarray(X[:, :3])) is None
    assert fused(np.asfortranarray(X)) is None
    assert fused(np.asfortranarray(X.astype(np.float32))) is None
    assert fused(X.astype(np.int64)) is None
    assert fused(X[:, ::-1].copy()) is not None
    # A row no component can explain: its log-densities overflow to -inf.
    extreme = X.copy()
    extreme[10] = 1e160
    assert fused(extreme) is None


def test_components_far_from_the_shift_keep_their_own_path():
    # One component a billion standard deviations from the others: moments about the
    # shared shift would lose every digit (emkit.families.gaussian.far).
    means = np.array([[0.0, 0.0], [1.0, 1.0], [1e9, 1e9]])
    family = GaussianDiag(means, np.ones((3, 2)))
    assert family._far is not None
    X = np.vstack([means[:2] + 0.1, means[2:] + 0.1])
    assert family.fused_stats(X, np.log(np.full(3, 1 / 3))) is None


def test_the_transposition_asks_for_rows_ahead_with_the_compiled_prefetch():
    # The kernel's ``prefetch`` is numba's intrinsic once the kernels are compiled (in
    # plain Python it is a function that does nothing); the rows a prefetch names (every
    # line of a row 32 ahead, the last rows none) change no result: the tests above.
    from emkit import _compiled

    model = _mixture("diag", 3, 20)
    X = _data(model, 100)
    assert model.family.fused_stats(X, model.log_weights) is not None
    assert _fused.prefetch is not _compiled._python_prefetch
    assert _compiled._python_prefetch(np.ones((2, 3)), 1, 2) is None


def _linear_mixture(kind, K, D, seed=0):
    from emkit.families import Bernoulli, Poisson

    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(K, 2.0))
    if kind == "bernoulli":
        params = rng.uniform(0.05, 0.95, size=(K, D))
        family = Bernoulli(params)
    else:
        params = rng.uniform(0.3, 12.0, size=(K, D))
        family = Poisson(params)
    return Mixture(weights, family), params


def _linear_feature_path(model, X, monkeypatch):
    from emkit.families._linear import LinearColumns

    with monkeypatch.context() as patch:
        patch.setattr(LinearColumns, "fused_stats", lambda self, X, log_weights: None)
        return model.chunk_stats(X)


@pytest.mark.parametrize("kind", ["bernoulli", "poisson"])
@pytest.mark.parametrize("K, D", [(1, 1), (3, 5), (16, 10), (5, 100)])
@pytest.mark.parametrize("n", [1, 255, 257, 2000])
def test_linear_families_one_pass_equals_the_feature_path(kind, K, D, n, monkeypatch):
    model, params = _linear_mixture(kind, K, D)
    rng = np.random.default_rng(1)
    z = rng.choice(K, size=n, p=model.weights)
    X = ((rng.random((n, D)) < params[z]) if kind == "bernoulli"
         else rng.poisson(params[z])).astype(np.float64)
    assert model.family.fused_stats(X, model.log_weights) is not None
    ours, ref = model.chunk_stats(X), _linear_feature_path(model, X, monkeypatch)
    assert_allclose(ours.log_likelihood, ref.log_likelihood, rtol=1e-12)
    assert_allclose(ours.resp_sum, ref.resp_sum, rtol=1e-12, atol=1e-12 * n)
    assert_allclose(ours.family.sums, ref.family.sums, rtol=1e-12,
                    atol=1e-12 * np.abs(ref.family.sums).max())
    assert_allclose(ours.family.column_weight, ref.family.column_weight, rtol=1e-12,
                    atol=1e-12 * n)
    assert_allclose(ours.worst.scores, ref.worst.scores, rtol=1e-12)


def test_poisson_one_pass_equals_scipy():
    # The row term -log x! of every row is in its log-likelihood, counts past the
    # factorial table (1024) included.
    model, rates = _linear_mixture("poisson", 3, 4, seed=5)
    rng = np.random.default_rng(6)
    X = rng.poisson(rates[rng.integers(0, 3, 200)]).astype(np.float64)
    X[7, 1] = 1500.0
    log_joint = np.stack([stats.poisson.logpmf(X, rates[k]).sum(axis=1)
                          for k in range(3)], axis=1) + np.log(model.weights)
    log_norm, sums = model.family.fused_stats(X, model.log_weights)[:2]
    assert_allclose(log_norm, logsumexp(log_joint, axis=1), rtol=1e-12)
    assert_allclose(sums, np.exp(log_joint - logsumexp(log_joint, axis=1)[:, None]).sum(axis=0),
                    rtol=1e-12)


def test_linear_chunks_the_one_pass_leaves_to_the_feature_path(monkeypatch):
    from emkit.families import Bernoulli, Poisson

    model, rates = _linear_mixture("poisson", 3, 4)
    X = np.random.default_rng(2).poisson(rates[[0, 1, 2] * 50]).astype(np.float64)
    fused = model.family.fused_stats
    # A missing entry, float32 rows, rows in Fortran order, the wrong number of columns.
    missing = X.copy()
    missing[120, 3] = np.nan
    assert fused(missing, model.log_weights) is None
    assert fused(X.astype(np.float32), model.log_weights) is None
    assert fused(np.asfortranarray(X), model.log_weights) is None
    assert fused(X[:, :3].copy(), model.log_weights) is None
    # A zero rate or a probability of 0 or 1 forbids values: the feature path gives
    # their rows -inf under that component.
    zero = Mixture(model.weights, Poisson(np.vstack([rates[:2], [0.0, 1.0, 2.0, 3.0]])))
    assert zero.family.fused_stats(X, zero.log_weights) is None
    certain = Mixture(np.array([0.5, 0.5]), Bernoulli([[1.0, 0.5], [0.2, 0.3]]))
    assert certain.family.fused_stats(np.ones((4, 2)), certain.log_weights) is None
