"""Discrete families against scipy.stats, closed-form weighted MLEs and their own samples."""

import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from emkit.families import Bernoulli, Binomial, Categorical, Poisson
from emkit.families.discrete import CategoricalStats

K, D = 3, 4
N_TRIALS = 5
N_CATEGORIES = (2, 3, 4, 4)


def _categorical_probs(seed=0):
    rng = np.random.default_rng(seed)
    probs = np.zeros((K, D, max(N_CATEGORIES)))
    for d, c in enumerate(N_CATEGORIES):
        probs[:, d, :c] = rng.dirichlet(np.ones(c), size=K)
    return probs


def _all(seed=0):
    rng = np.random.default_rng(seed)
    return [Bernoulli(rng.uniform(0.1, 0.9, size=(K, D))),
            Binomial(rng.uniform(0.1, 0.9, size=(K, D)), n_trials=N_TRIALS),
            Poisson(rng.uniform(0.5, 6.0, size=(K, D))),
            Categorical(_categorical_probs(seed), N_CATEGORIES)]


def _data(family, n=60, seed=1):
    rng = np.random.RandomState(seed)
    labels = rng.randint(K, size=n)
    return np.vstack([family.sample(k, int(np.sum(labels == k)), rng) for k in range(K)])


def _scipy_log_prob(family, X):
    columns = []
    for k in range(family.n_components):
        if isinstance(family, Bernoulli):
            lp = stats.bernoulli(family.p[k]).logpmf(X)
        elif isinstance(family, Binomial):
            lp = stats.binom(family.n_trials, family.p[k]).logpmf(X)
        elif isinstance(family, Poisson):
            lp = stats.poisson(family.rate[k]).logpmf(X)
        else:
            codes = X.astype(int)
            lp = np.log(family.probs[k, np.arange(X.shape[1]), codes])
        columns.append(lp.sum(axis=1))
    return np.column_stack(columns)


IDS = ["Bernoulli", "Binomial", "Poisson", "Categorical"]


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_log_prob_matches_scipy(family):
    X = _data(family)
    assert_allclose(family.log_prob(X), _scipy_log_prob(family, X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("family", [Bernoulli([[0.0, 1.0, 0.5]]),
                                    Binomial([[0.0, 1.0, 0.5]], n_trials=3),
                                    Poisson([[0.0, 2.0, 1.0]])],
                         ids=IDS[:3])
def test_probabilities_at_the_edges_give_exact_zeros(family):
    X = np.array([[0, 1, 1], [1, 1, 0], [0, 0, 1], [0, 3, 1]], dtype=float)
    if isinstance(family, Bernoulli):
        X = np.minimum(X, 1.0)
    expected = _scipy_log_prob(family, X)
    got = family.log_prob(X)
    assert_array_equal(np.isneginf(got), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert_allclose(got[finite], expected[finite], rtol=1e-12)


def _closed_form(family, X, W):
    nk = W.sum(axis=0)
    if isinstance(family, Categorical):
        C = family.max_categories
        onehot = (X[:, :, None] == np.arange(C)).astype(float)
        return np.einsum("nk,ndc->kdc", W, onehot) / nk[:, None, None]
    means = W.T @ X / nk[:, None]
    return means / N_TRIALS if isinstance(family, Binomial) else means


def _params(family):
    return np.asarray(getattr(family, family.component_fields[0]))


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_maximize_is_the_weighted_mle(family):
    X = _data(family, n=80, seed=2)
    W = np.random.default_rng(3).dirichlet(np.ones(K), size=len(X))
    fitted = family.maximize(family.accumulate(X, W))
    assert type(fitted) is type(family)
    assert_allclose(_params(fitted), _closed_form(family, X, W), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_statistics_add_over_chunks(family):
    X = _data(family, n=50, seed=4)
    W = np.random.default_rng(5).dirichlet(np.ones(K), size=len(X))
    whole = family.accumulate(X, W)
    parts = family.accumulate(X[:20], W[:20]) + family.accumulate(X[20:], W[20:])
    assert type(parts) is type(whole)
    for name, value in vars(whole).items():
        assert_allclose(getattr(parts, name), value, rtol=1e-12, atol=1e-12)
        assert np.asarray(value).dtype == np.float64
    assert_allclose(whole.weight, W.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_float32_rows_accumulate_in_float64(family):
    X = _data(family, n=30, seed=6)
    W = np.random.default_rng(7).dirichlet(np.ones(K), size=len(X))
    a = family.accumulate(X.astype(np.float32), W.astype(np.float32))
    b = family.accumulate(X, W.astype(np.float32).astype(np.float64))
    for name, value in vars(b).items():
        assert np.asarray(getattr(a, name)).dtype == np.float64
        assert_allclose(getattr(a, name), value, rtol=1e-12)


def _moments(family, k):
    if isinstance(family, Bernoulli):
        return family.p[k], family.p[k] * (1 - family.p[k])
    if isinstance(family, Binomial):
        p = family.p[k]
        return N_TRIALS * p, N_TRIALS * p * (1 - p)
    if isinstance(family, Poisson):
        return family.rate[k], family.rate[k]
    codes = np.arange(family.max_categories)
    mean = family.probs[k] @ codes
    return mean, family.probs[k] @ codes**2 - mean**2


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_sample_moments(family):
    n = 20000
    rng = np.random.RandomState(8)
    for k in range(K):
        X = family.sample(k, n, rng)
        assert X.shape == (n, D) and X.dtype == np.float64
        family.validate(X)
        mean, var = _moments(family, k)
        assert np.all(np.abs(X.mean(axis=0) - mean) < 5 * np.sqrt(var / n))
        assert_allclose(X.var(axis=0), var, rtol=0.1)


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_take_and_dict_round_trip(family):
    X = _data(family, n=20, seed=9)
    taken = family.take([2, 0, 2])
    assert taken.n_components == 3
    assert_allclose(taken.log_prob(X), family.log_prob(X)[:, [2, 0, 2]])
    assert taken.identical_groups() == [[0, 2]]
    rebuilt = type(family).from_dict(taken.to_dict())
    assert_array_equal(_params(rebuilt), _params(taken))
    assert_array_equal(rebuilt.log_prob(X), taken.log_prob(X))


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_empty_components_keep_their_parameters(family):
    X = _data(family, n=30, seed=10)
    W = np.random.default_rng(11).dirichlet(np.ones(K), size=len(X))
    W[:, 1] = 0.0
    fitted = family.maximize(family.accumulate(X, W))
    assert_array_equal(_params(fitted)[1], _params(family)[1])
    assert np.all(np.isfinite(_params(fitted)))


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_reseed_restarts_one_component(family):
    X = _data(family, n=10, seed=12)
    reseeded = family.reseed(1, X[0])
    assert_array_equal(_params(reseeded)[[0, 2]], _params(family)[[0, 2]])
    assert np.all(np.isfinite(reseeded.log_prob(X[:1])))


def test_reseed_values():
    assert_allclose(Bernoulli([[0.5, 0.5]]).reseed(0, np.array([0.0, 1.0])).p, [[0.25, 0.75]])
    assert_allclose(Poisson([[1.0, 1.0]]).reseed(0, np.array([0.0, 3.0])).rate, [[0.5, 3.5]])
    assert_allclose(Binomial([[0.5]], n_trials=3).reseed(0, np.array([3.0])).p, [[3.5 / 4]])
    cat = Categorical([[0.5, 0.5, 0.0]], n_categories=[2]).reseed(0, np.array([1.0]))
    assert_allclose(cat.probs, [[[0.25, 0.75, 0.0]]])


def test_n_parameters():
    bernoulli, binomial, poisson, categorical = _all()
    assert bernoulli.n_parameters() == binomial.n_parameters() == poisson.n_parameters() == K * D
    assert categorical.n_parameters() == K * sum(c - 1 for c in N_CATEGORIES)


def test_parameters_are_promoted():
    assert Bernoulli(p=0.6).p.shape == (1, 1)
    assert Bernoulli(p=[[0.5, 0.2]]).p.shape == (1, 2)
    assert Bernoulli(p=[0.5, 0.2]).p.shape == (1, 2)
    assert Poisson(rate=2).rate.dtype == np.float64
    family = Binomial(0.3, n_trials=4)
    assert family.p.shape == (1, 1) and family.n_trials == 4
    assert "n_trials" not in Binomial.component_fields
    cat = Categorical([0.2, 0.8])
    assert cat.probs.shape == (1, 1, 2) and cat.n_categories == (2,)
    assert Categorical([[0.2, 0.8], [1.0, 0.0]], [2, 1]).probs.shape == (1, 2, 2)


@pytest.mark.parametrize("make, message", [
    (lambda: Bernoulli([[1.2]]), "lie in"),
    (lambda: Binomial([[0.5]], n_trials=0), "n_trials"),
    (lambda: Binomial([[0.5]], n_trials=2.5), "n_trials"),
    (lambda: Poisson([[-1.0]]), "non-negative"),
    (lambda: Categorical([[0.5, 0.2]]), "sum"),
    (lambda: Categorical([[0.5, 0.5, 0.1]], [2]), "zero past"),
    (lambda: Categorical([[0.5, 0.5]], [3]), "n_categories"),
])
def test_invalid_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("family, X, message", [
    (Bernoulli([[0.5, 0.5]]), [[0, 1], [1, 2]],
     r"^Column 1 holds the value 2\.0, but a Bernoulli family takes only 0 and 1\.$"),
    (Bernoulli([[0.5, 0.5]]), [[0.5, 1]], r"Column 0 holds the value 0\.5"),
    (Binomial([[0.5, 0.5]], n_trials=3), [[0, 4]],
     r"Column 1 holds the value 4\.0, but a Binomial family with n_trials=3 takes only "
     r"integers from 0 to 3\."),
    (Binomial([[0.5, 0.5]], n_trials=3), [[1.5, 1]], r"Column 0 holds the value 1\.5"),
    (Poisson([[1.0, 1.0]]), [[0, 1], [-1, 2]],
     r"Negative values in data: column 0 holds the value -1\.0, but a Poisson family takes "
     r"only non-negative "
     r"integer counts\."),
    (Poisson([[1.0, 1.0]]), [[0, 1.5]], r"Column 1 holds the value 1\.5"),
    (Poisson([[1.0]]), [[np.inf]], r"Column 0 holds the value inf"),
    (Categorical([[[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]], [2, 3]), [[0, 2], [2, 1]],
     r"Column 0 holds the value 2\.0, but column 0 of this Categorical family has only "
     r"2 categories \(codes 0 to 1\)\."),
    (Categorical([[[0.5, 0.5]]]), [[0.5]],
     r"Column 0 holds the value 0\.5, but a Categorical family takes only integer codes\."),
    (Categorical([[[0.5, 0.5]]]), [[-1]], r"Negative values in data: column 0 holds the value "
     r"-1\.0"),
    (Poisson([[1.0, 1.0]]), [[1, 2, 3]], r"X has 3 column\(s\), but the Poisson family has 2"),
])
def test_validate_names_the_column(family, X, message):
    with pytest.raises(ValueError, match=message):
        family.validate(np.asarray(X, dtype=float))


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_validate_accepts_the_support(family):
    X = _data(family, n=40, seed=13)
    assert_array_equal(family.validate(X), X)


def test_categorical_log_prob_rejects_unknown_codes():
    family = Categorical(_categorical_probs(), N_CATEGORIES)
    X = np.zeros((2, D))
    X[1, 0] = 2  # column 0 has two categories
    with pytest.raises(ValueError, match="Column 0 holds the value 2.0"):
        family.log_prob(X)
    with pytest.raises(ValueError, match="Column 0"):
        family.accumulate(X, np.full((2, K), 1.0 / K))


def test_categorical_stats_keep_padding_at_zero():
    family = Categorical(_categorical_probs(), N_CATEGORIES)
    X = _data(family, n=40, seed=14)
    stats_ = family.accumulate(X, np.full((len(X), K), 1.0 / K))
    assert isinstance(stats_, CategoricalStats)
    assert np.all(stats_.counts[:, 0, 2:] == 0.0)
    fitted = family.maximize(stats_)
    assert fitted.n_categories == N_CATEGORIES
    assert_allclose(fitted.probs.sum(axis=2), 1.0, rtol=1e-12)


def _docstring_targets():
    targets = []
    for cls in (Bernoulli, Binomial, Categorical, Poisson):
        targets.append(cls)
        targets += [getattr(cls, name) for name, member in vars(cls).items()
                    if not name.startswith("_") and inspect.isfunction(member)]
    return targets


@pytest.mark.parametrize("obj", _docstring_targets(), ids=lambda o: o.__qualname__)
def test_docstrings(obj):
    from test_docstrings import _problems

    assert _problems(obj) == []
