"""The Multinomial family against scipy.stats, the closed-form weighted MLE and its samples."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from emkit import MixtureModel
from emkit.families._columns import ColumnSums
from emkit.families.multinomial import Multinomial

K, D = 3, 4


def _family(seed=0, n_trials=None):
    rng = np.random.default_rng(seed)
    return Multinomial(rng.dirichlet(np.ones(D), size=K), n_trials=n_trials)


def _data(n=60, seed=1):
    # Rows with different totals, zeros included.
    rng = np.random.default_rng(seed)
    totals = rng.integers(0, 25, size=n)
    probs = rng.dirichlet(np.ones(D), size=n)
    return np.array([rng.multinomial(t, p) for t, p in zip(totals, probs)], dtype=float)


def _scipy_log_prob(family, X):
    n = X.sum(axis=1).astype(int)
    return np.column_stack([
        np.array([stats.multinomial.logpmf(x.astype(int), n_i, family.probs[k])
                  for x, n_i in zip(X, n)])
        for k in range(family.n_components)])


def test_log_prob_matches_scipy():
    family = _family()
    X = _data()
    assert_allclose(family.log_prob(X), _scipy_log_prob(family, X), rtol=1e-12, atol=1e-12)


def test_zero_probabilities_give_exact_zeros():
    family = Multinomial([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])
    X = np.array([[0, 2, 3], [1, 1, 0], [0, 0, 0], [2, 0, 1]], dtype=float)
    got = family.log_prob(X)
    expected = np.array([[stats.multinomial.logpmf(x.astype(int), int(x.sum()), p)
                          for p in family.probs] for x in X])
    assert_array_equal(np.isneginf(got), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert_allclose(got[finite], expected[finite], rtol=1e-12, atol=1e-14)
    assert_allclose(got[2], [0.0, 0.0], atol=0)  # an all-zero row has probability one


def test_maximize_is_the_weighted_mle():
    family = _family()
    X = _data(n=80, seed=2)
    W = np.random.default_rng(3).dirichlet(np.ones(K), size=len(X))
    fitted = family.maximize(family.accumulate(X, W))
    assert type(fitted) is Multinomial
    expected = np.empty((K, D))
    for k in range(K):
        expected[k] = sum(W[i, k] * X[i] for i in range(len(X)))
        expected[k] /= sum(W[i, k] * X[i].sum() for i in range(len(X)))
    assert_allclose(fitted.probs, expected, rtol=1e-12, atol=1e-15)
    assert_allclose(fitted.probs.sum(axis=1), 1.0, rtol=1e-12)


def test_statistics_add_over_chunks_and_scale():
    family = _family()
    X = _data(n=50, seed=4)
    W = np.random.default_rng(5).dirichlet(np.ones(K), size=len(X))
    whole = family.accumulate(X, W)
    parts = family.accumulate(X[:20], W[:20]) + family.accumulate(X[20:], W[20:])
    assert type(parts) is ColumnSums
    assert_allclose(parts.weight, whole.weight, rtol=1e-12)
    assert_allclose(parts.sums, whole.sums, rtol=1e-12)
    assert_allclose(whole.weight, W.sum(axis=0), rtol=1e-12)
    assert whole.sums.dtype == np.float64
    assert_allclose(whole.scale(0.5).sums, 0.5 * whole.sums)


def test_float32_rows_accumulate_in_float64():
    family = _family()
    X = _data(n=30, seed=6)
    W = np.random.default_rng(7).dirichlet(np.ones(K), size=len(X))
    a = family.accumulate(X.astype(np.float32), W)
    assert a.sums.dtype == np.float64
    assert_allclose(a.sums, family.accumulate(X, W).sums, rtol=1e-12)


def test_sample_moments():
    n, n_trials = 20000, 30
    family = _family(n_trials=n_trials)
    rng = np.random.RandomState(8)
    for k in range(K):
        X = family.sample(k, n, rng)
        assert X.shape == (n, D) and X.dtype == np.float64
        family.validate(X)
        assert_array_equal(X.sum(axis=1), n_trials)
        p = family.probs[k]
        mean, cov = n_trials * p, n_trials * (np.diag(p) - np.outer(p, p))
        assert np.all(np.abs(X.mean(axis=0) - mean) < 5 * np.sqrt(np.diag(cov) / n))
        assert_allclose(np.cov(X.T), cov, atol=0.1 * np.max(np.abs(cov)))


def test_sampling_needs_n_trials():
    with pytest.raises(ValueError, match="n_trials"):
        _family().sample(0, 5, np.random.RandomState(0))


@pytest.mark.parametrize("value", [-1.0, 1.5, np.nan])
def test_validate_names_the_column(value):
    family = _family()
    X = _data(n=5)
    X[3, 2] = value
    start = "Negative values in data: column" if value < 0 else "Column"
    with pytest.raises(ValueError, match=rf"^{start} 2 holds the value .*, but a Multinomial "
                                         r"family takes only non-negative integer counts\.$"):
        family.validate(X)


def test_validate_checks_the_width():
    with pytest.raises(ValueError, match="X has 3 column"):
        _family().validate(np.zeros((2, 3)))


def test_take_and_dict_round_trip():
    family = _family(n_trials=7)
    X = _data(n=20, seed=9)
    taken = family.take([2, 0, 2])
    assert taken.n_components == 3
    assert_allclose(taken.log_prob(X), family.log_prob(X)[:, [2, 0, 2]])
    assert taken.identical_groups() == [[0, 2]]
    rebuilt = Multinomial.from_dict(taken.to_dict())
    assert_array_equal(rebuilt.probs, taken.probs)
    assert rebuilt.n_trials == 7


def test_empty_components_keep_their_parameters():
    family = _family()
    X = _data(n=30, seed=10)
    W = np.random.default_rng(11).dirichlet(np.ones(K), size=len(X))
    W[:, 1] = 0.0
    fitted = family.maximize(family.accumulate(X, W))
    assert_array_equal(fitted.probs[1], family.probs[1])
    # Weight on all-zero rows only carries no information either.
    zeros = np.zeros((4, D))
    kept = family.maximize(family.accumulate(zeros, np.ones((4, K)) / K))
    assert_array_equal(kept.probs, family.probs)


def test_reseed_restarts_one_component():
    family = _family()
    reseeded = family.reseed(1, np.array([0.0, 3.0, 1.0, 0.0]))
    assert_array_equal(reseeded.probs[[0, 2]], family.probs[[0, 2]])
    assert_allclose(reseeded.probs[1], np.array([0.5, 3.5, 1.5, 0.5]) / 6.0)


def test_n_parameters_and_promotion():
    assert _family().n_parameters() == K * (D - 1)
    assert Multinomial([0.2, 0.8]).probs.shape == (1, 2)


@pytest.mark.parametrize("probs, n_trials, match", [
    ([[0.5, 0.6]], None, "sum to one"),
    ([[-0.1, 1.1]], None, "non-negative"),
    ([[0.5, 0.5]], -1, "n_trials"),
    ([[0.5, 0.5]], 2.5, "n_trials"),
])
def test_invalid_parameters(probs, n_trials, match):
    with pytest.raises(ValueError, match=match):
        Multinomial(probs, n_trials=n_trials)


def test_mixture_recovers_two_multinomials():
    truth = np.array([[0.7, 0.2, 0.05, 0.05], [0.05, 0.05, 0.3, 0.6]])
    rng = np.random.default_rng(13)
    labels = rng.integers(0, 2, size=400)
    totals = rng.integers(10, 40, size=400)
    X = np.array([rng.multinomial(t, truth[z]) for t, z in zip(totals, labels)], dtype=float)
    start = Multinomial(np.full((2, 4), 0.25) + [[0.05, 0.0, -0.05, 0.0], [0.0, -0.05, 0.0, 0.05]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixtureModel(start, weights=[0.5, 0.5], tol=1e-10, max_iter=200).fit(X)
    order = np.argsort(model.components_.probs[:, 0])[::-1]
    assert_allclose(model.components_.probs[order], truth, atol=0.03)
    assert_allclose(model.weights_[order], [np.mean(labels == 0), np.mean(labels == 1)],
                    atol=1e-2)
    predicted = model.predict(X)
    assert max(np.mean(predicted == labels), np.mean(predicted != labels)) > 0.99
