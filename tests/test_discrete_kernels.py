"""The discrete families' fast paths: compiled and numpy kernels, one-product log-densities.

Every test runs with both kernel implementations (numba's and numpy's) and checks numbers
against scipy.stats or brute force; the two implementations must agree to 1e-12.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import gammaln, logsumexp

from emkit._compiled import HAVE_NUMBA
from emkit.families import Bernoulli, Binomial, Categorical, Poisson
from emkit.families import _discrete_kernels as kernels
from emkit.families._columns import column_sums
from emkit.models.mixture import Mixture

RTOL = 1e-12
N_CATEGORIES = (2, 3, 5, 5)


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def backend(request, monkeypatch):
    monkeypatch.setattr(kernels, "BACKEND", request.param)
    return request.param


def _categorical(K=3, seed=0):
    rng = np.random.default_rng(seed)
    probs = np.zeros((K, len(N_CATEGORIES), max(N_CATEGORIES)))
    for d, c in enumerate(N_CATEGORIES):
        probs[:, d, :c] = rng.dirichlet(np.ones(c), size=K)
    probs[0, 1, :3] = [0.0, 0.5, 0.5]  # a zero probability: log 0 = -inf where code 0
    return Categorical(probs, N_CATEGORIES)


def _codes(n=200, seed=1, missing=0.0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.integers(0, c, n) for c in N_CATEGORIES]).astype(np.float64)
    X[rng.random(X.shape) < missing] = np.nan
    return X


def _brute_categorical_log_prob(family, X):
    out = np.zeros((len(X), family.n_components))
    for i, row in enumerate(X):
        for d, x in enumerate(row):
            if not np.isnan(x):
                with np.errstate(divide="ignore"):
                    out[i] += np.log(family.probs[:, d, int(x)])
    return out


def _brute_categorical_counts(family, X, W):
    counts = np.zeros(family.probs.shape)
    column_weight = np.zeros((family.n_components, family.n_features))
    for i, row in enumerate(X):
        for d, x in enumerate(row):
            if not np.isnan(x):
                counts[:, d, int(x)] += W[i]
                column_weight[:, d] += W[i]
    return counts, column_weight


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_categorical_log_prob_is_the_sum_of_observed_log_probabilities(missing):
    family, X = _categorical(), _codes(missing=missing)
    out = family.log_prob(X)
    expected = _brute_categorical_log_prob(family, X)
    assert np.isneginf(expected).any() and not np.isneginf(expected).all()
    assert_array_equal(np.isneginf(out), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert_allclose(out[finite], expected[finite], rtol=RTOL)


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_categorical_counts_are_the_weighted_code_counts(missing):
    family, X = _categorical(), _codes(missing=missing)
    W = np.random.default_rng(2).dirichlet(np.ones(3), size=len(X))
    got = family.accumulate(X, W)
    counts, column_weight = _brute_categorical_counts(family, X, W)
    assert_allclose(got.counts, counts, rtol=RTOL)
    assert_allclose(got.column_weight, column_weight, rtol=RTOL)
    assert_allclose(got.weight, W.sum(axis=0), rtol=RTOL)


def test_compiled_and_numpy_kernels_agree(monkeypatch):
    family, X = _categorical(), _codes(n=500, missing=0.1)
    W = np.random.default_rng(3).dirichlet(np.ones(3), size=len(X))
    counts = np.abs(np.random.default_rng(4).normal(0, 300, (50, 4))).round()
    counts[3, 1] = 5000.0  # past the lookup table
    counts[7, 2] = np.nan
    results = {}
    for name in ("compiled", "numpy"):
        monkeypatch.setattr(kernels, "BACKEND", name)
        stats_ = family.accumulate(X, W)
        results[name] = (family.log_prob(X), stats_.counts, stats_.column_weight,
                         *kernels.log_factorial_rows(counts))
    for compiled, plain in zip(results["compiled"], results["numpy"]):
        assert_allclose(compiled, plain, rtol=RTOL)


def test_log_factorial_rows_match_gammaln():
    X = np.array([[0.0, 1.0, 5.0, 1023.0], [1024.0, 3e5, 2.5, np.nan]])
    out, missing = kernels.log_factorial_rows(X)
    expected = [gammaln(X[0] + 1.0).sum(), gammaln(X[1, :3] + 1.0).sum()]
    assert missing
    assert_allclose(out, expected, rtol=RTOL)
    assert kernels.log_factorial_rows(X[:1])[1] is False


@pytest.mark.parametrize("value", [7.0, -1.0, 1.5, np.inf, -np.inf])
def test_bad_codes_are_refused_before_any_lookup(value):
    family, X = _categorical(), _codes(n=20)
    X[13, 2] = value
    with pytest.raises(ValueError, match="(?i)column 2 holds the value"):
        family.log_prob(X)
    with pytest.raises(ValueError, match="(?i)column 2 holds the value"):
        family.accumulate(X, np.full((20, 3), 1.0 / 3))


def _edges():
    # Parameters at 0 and 1 (Bernoulli, Binomial) and rates of 0 (Poisson), with rows
    # that those parameters allow and forbid; 0.5 gives a zero slope in its column.
    p = np.array([[0.0, 0.3, 1.0, 0.5], [0.2, 1.0, 0.0, 0.5], [0.5, 0.5, 0.5, 0.5]])
    rate = np.array([[0.0, 2.0, 3.0, 0.5], [1.0, 0.0, 4.0, 0.5]])
    binary = np.array([[0, 0, 1, 0], [1, 1, 0, 1], [0, 1, 1, 0], [1, 0, 0, 1]], dtype=float)
    counts = np.array([[0, 3, 1, 0], [2, 0, 5, 1], [0, 0, 0, 0]], dtype=float)
    return [(Bernoulli(p), binary, lambda k, X: stats.bernoulli(p[k]).logpmf(X)),
            (Binomial(p, n_trials=3), 3 * binary,
             lambda k, X: stats.binom(3, p[k]).logpmf(X)),
            (Poisson(rate), counts, lambda k, X: stats.poisson(rate[k]).logpmf(X))]


@pytest.mark.parametrize("family, X, logpmf", _edges(), ids=["Bernoulli", "Binomial", "Poisson"])
def test_one_product_log_prob_matches_scipy_at_the_edges(family, X, logpmf):
    expected = np.column_stack([logpmf(k, X).sum(axis=1) for k in range(family.n_components)])
    out = family.log_prob(X)
    assert_array_equal(np.isneginf(out), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert_allclose(out[finite], expected[finite], rtol=RTOL)
    # One missing entry anywhere, even in a column whose slopes are all zero: the row's
    # log-density is that of its observed entries, the other rows do not change.
    for column in range(X.shape[1]):
        Y = X.copy()
        Y[1, column] = np.nan
        row = [np.delete(logpmf(k, X[1:2])[0], column).sum()
               for k in range(family.n_components)]
        got = family.log_prob(Y)
        assert_allclose(got[1], row, rtol=RTOL)
        assert_allclose(np.delete(got, 1, axis=0), np.delete(out, 1, axis=0), rtol=RTOL)


def test_log_factorial_columns_match_gammaln():
    counts = np.array([[0.0, 1.0, 5.0, 1023.0], [1024.0, 3e5, 2.5, 7.0]])
    assert_allclose(kernels.log_factorial_columns(counts), gammaln(counts + 1.0).sum(axis=0),
                    rtol=RTOL)
    within = np.array([[0.0, 3.0, 1023.0], [2.0, 0.0, 1.0]])  # every count in the table
    assert_allclose(kernels.log_factorial_columns(within), gammaln(within + 1.0).sum(axis=0),
                    rtol=RTOL)


@pytest.mark.parametrize("family, X, logpmf", _edges()[::2], ids=["Bernoulli", "Poisson"])
def test_prepared_chunks_give_the_log_prob_and_the_column_sums(family, X, logpmf):
    # Complete chunks go through their transposed features (one product, the row term,
    # the moment sums), chunks with a NaN through log_prob and accumulate: the same
    # numbers as scipy and as the plain column sums, at the edges of the parameters.
    rng = np.random.default_rng(6)
    X = np.vstack([X] * 40)[rng.permutation(40 * len(X))]
    expected = np.column_stack([logpmf(k, X).sum(axis=1) for k in range(family.n_components)])
    W = rng.dirichlet(np.ones(family.n_components), len(X))
    prepared = family.prepare(X)
    assert type(prepared).__name__ == "LinearChunk"
    out = family.log_prob_prepared(prepared)
    assert_array_equal(np.isneginf(out), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert_allclose(out[finite], expected[finite], rtol=RTOL)
    stats_ = family.accumulate_prepared(prepared, np.asfortranarray(W))
    assert_allclose(stats_.weight, W.sum(axis=0), rtol=RTOL)
    assert_allclose(stats_.sums, W.T @ X, rtol=RTOL)
    assert_allclose(stats_.column_weight, np.repeat(W.sum(axis=0)[:, None], X.shape[1], 1),
                    rtol=RTOL)
    holed = X.copy()
    holed[5, 1] = np.nan
    prepared = family.prepare(holed)
    assert isinstance(prepared, np.ndarray)  # the missing-value path
    assert_allclose(family.log_prob_prepared(prepared), family.log_prob(holed), rtol=RTOL)


def test_column_sums_skip_missing_rows_of_zero_weight():
    X = np.array([[1.0, 2.0], [np.nan, 4.0], [5.0, np.nan]])
    W = np.array([[0.5, 1.0], [0.0, 0.0], [0.25, 0.0]])
    got = column_sums(X, W)
    observed = ~np.isnan(X)
    assert_allclose(got.sums, W.T @ np.where(observed, X, 0.0), rtol=RTOL)
    assert_allclose(got.column_weight, W.T @ observed, rtol=RTOL)
    # Missing entries only in rows without weight: the plain weights are the answer.
    got = column_sums(X[:2], W[:2])
    assert_allclose(got.sums, [[0.5, 1.0], [1.0, 2.0]], rtol=RTOL)
    assert_allclose(got.column_weight, [[0.5, 0.5], [1.0, 1.0]], rtol=RTOL)


def _extreme(family_name):
    # Two components and rows whose log-density ratio sweeps across -760..-690 in steps
    # of ~9: some responsibilities would fall in float64's subnormal range.
    if family_name == "Bernoulli":
        family = Bernoulli(np.vstack([np.full(100, 0.5), np.full(100, 1e-4)]))
        X = (np.arange(100)[None, :] < np.arange(101)[:, None]).astype(np.float64)
    elif family_name == "Binomial":
        family = Binomial(np.vstack([np.full(100, 0.5), np.full(100, 1e-4)]), n_trials=1)
        X = (np.arange(100)[None, :] < np.arange(101)[:, None]).astype(np.float64)
    elif family_name == "Poisson":
        family = Poisson(np.vstack([np.full(10, 1.0), np.full(10, 1e-4)]))
        X = np.repeat(np.arange(101)[:, None], 10, axis=1) / 10.0
        X = np.floor(X) + (np.arange(10)[None, :] < (np.arange(101) % 10)[:, None])
    else:
        probs = np.zeros((2, 100, 2))
        probs[0] = 0.5
        probs[1] = [1.0 - 1e-4, 1e-4]
        family = Categorical(probs)
        X = (np.arange(100)[None, :] < np.arange(101)[:, None]).astype(np.float64)
    return family, X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["Bernoulli", "Binomial", "Poisson", "Categorical"])
def test_no_subnormal_responsibility_reaches_the_statistics(name, dtype, monkeypatch):
    family, X = _extreme(name)
    X = X.astype(dtype)
    mixture = Mixture(np.array([0.5, 0.5]), family)
    log_joint = np.asarray(family.log_prob(X), dtype=np.float64) + np.log(0.5)
    log_norm = logsumexp(log_joint, axis=1)
    exact = np.exp(log_joint - log_norm[:, None])
    tiny = np.finfo(np.float64).tiny
    assert ((exact > 0) & (exact < tiny)).any()  # the case the flush is for
    seen = []
    accumulate = type(family).accumulate_prepared

    def spy(self, prepared, W):
        seen.append(np.array(W))
        return accumulate(self, prepared, W)

    monkeypatch.setattr(type(family), "accumulate_prepared", spy)
    # The feature path, whose responsibilities the spy sees.
    with monkeypatch.context() as patch:
        patch.setattr(type(family), "fused_stats", lambda self, X, log_weights: None)
        result = mixture.chunk_stats(X)
    W = seen[0]
    assert not ((W != 0) & (np.abs(W) < np.finfo(W.dtype).tiny)).any()
    assert_allclose(W[exact >= 4 * tiny], exact[exact >= 4 * tiny], rtol=1e-10)
    assert_allclose(result.log_likelihood, log_norm.sum(), rtol=RTOL)
    # The one pass of a complete float64 chunk (Bernoulli, Poisson), whose
    # responsibilities never leave it: the same statistics, none of them subnormal.
    fused = family.fused_stats(X, mixture.log_weights)
    expected_fused = (HAVE_NUMBA and dtype == np.float64
                      and name in ("Bernoulli", "Poisson"))
    assert (fused is not None) == expected_fused
    if fused is not None:
        ours = mixture.chunk_stats(X)
        assert len(seen) == 1
        assert_allclose(ours.log_likelihood, result.log_likelihood, rtol=1e-12)
        assert_allclose(ours.resp_sum, result.resp_sum, rtol=1e-12, atol=1e-12)
        assert_allclose(ours.family.sums, result.family.sums, rtol=1e-12, atol=1e-9)
        for value in (ours.resp_sum, ours.family.sums):
            assert not ((value != 0) & (np.abs(value) < tiny)).any()
