"""Positive families against scipy.stats, weighted MLEs (scipy.optimize for Gamma), samples."""

import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, stats
from scipy.special import digamma

from emkit.exceptions import ComponentCollapseWarning
from emkit.families import Exponential, Gamma, LogNormal
from emkit.families.gamma import gamma_shape

K, D = 3, 2


def _all(seed=0):
    rng = np.random.default_rng(seed)
    return [Exponential(rng.uniform(0.2, 3.0, size=(K, D))),
            Gamma(rng.uniform(0.5, 8.0, size=(K, D)), rng.uniform(0.2, 3.0, size=(K, D))),
            LogNormal(rng.normal(scale=2.0, size=(K, D)), rng.uniform(0.2, 1.5, size=(K, D)))]


IDS = ["Exponential", "Gamma", "LogNormal"]


def _data(family, n=60, seed=1):
    rng = np.random.RandomState(seed)
    labels = rng.randint(K, size=n)
    return np.vstack([family.sample(k, int(np.sum(labels == k)), rng) for k in range(K)])


def _frozen(family, k):
    if isinstance(family, Exponential):
        return stats.expon(scale=1.0 / family.rate[k])
    if isinstance(family, Gamma):
        return stats.gamma(family.shape[k], scale=1.0 / family.rate[k])
    return stats.lognorm(family.sigma[k], scale=np.exp(family.mu[k]))


def _params(family):
    return np.stack([np.asarray(getattr(family, name)) for name in family.component_fields])


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_log_prob_matches_scipy(family):
    X = _data(family)
    expected = np.column_stack([_frozen(family, k).logpdf(X).sum(axis=1) for k in range(K)])
    assert_allclose(family.log_prob(X), expected, rtol=1e-10, atol=1e-10)


def test_lognormal_log_prob_far_from_one():
    family = LogNormal([[40.0], [40.001]], [[1e-3], [2e-3]])
    X = np.exp(40.0 + np.array([[-1e-3], [0.0], [2e-3]]))
    expected = np.column_stack([_frozen(family, k).logpdf(X).sum(axis=1) for k in range(2)])
    assert_allclose(family.log_prob(X), expected, rtol=1e-9)


def _gamma_mle(x, w):
    # Maximize the weighted Gamma log-likelihood over (log shape, log rate).
    w = w / w.sum()

    def loss(theta):
        return -np.sum(w * stats.gamma.logpdf(x, np.exp(theta[0]), scale=np.exp(-theta[1])))

    mean, var = np.sum(w * x), np.sum(w * (x - np.sum(w * x)) ** 2)
    start = np.log([mean**2 / var, mean / var])
    result = optimize.minimize(loss, start, method="Nelder-Mead",
                               options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 4000})
    return np.exp(result.x)


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_maximize_is_the_weighted_mle(family):
    X = _data(family, n=80, seed=2)
    W = np.random.default_rng(3).dirichlet(np.ones(K), size=len(X))
    fitted = family.maximize(family.accumulate(X, W))
    assert type(fitted) is type(family)
    nk = W.sum(axis=0)
    if isinstance(family, Exponential):
        assert_allclose(fitted.rate, nk[:, None] / (W.T @ X), rtol=1e-12)
    elif isinstance(family, LogNormal):
        mu = W.T @ np.log(X) / nk[:, None]
        var = np.array([W[:, k] @ (np.log(X) - mu[k]) ** 2 for k in range(K)]) / nk[:, None]
        assert_allclose(fitted.mu, mu, rtol=1e-12)
        assert_allclose(fitted.sigma, np.sqrt(var + family.reg_var), rtol=1e-10)
    else:
        for k in range(K):
            for d in range(D):
                shape, rate = _gamma_mle(X[:, d], W[:, k])
                assert_allclose(fitted.shape[k, d], shape, rtol=1e-5)
                assert_allclose(fitted.rate[k, d], rate, rtol=1e-5)


def test_gamma_shape_solves_its_equation():
    gap = np.array([1e-7, 1e-3, 0.05, 0.5, 2.0, 10.0])
    shape = gamma_shape(gap)
    assert_allclose(np.log(shape) - digamma(shape), gap, rtol=1e-8)
    assert gamma_shape(np.array([0.0, -1e-15]))[0] > 1e10


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_statistics_add_over_chunks(family):
    X = _data(family, n=50, seed=4)
    W = np.random.default_rng(5).dirichlet(np.ones(K), size=len(X))
    whole = family.accumulate(X, W)
    parts = family.accumulate(X[:20], W[:20]) + family.accumulate(X[20:], W[20:])
    assert type(parts) is type(whole)
    for name, value in vars(whole).items():
        assert np.asarray(value).dtype == np.float64
        assert_allclose(getattr(parts, name), value, rtol=1e-12, atol=1e-12)
    assert_allclose(whole.weight, W.sum(axis=0), rtol=1e-12)


def _moments(family, k):
    frozen = _frozen(family, k)
    return frozen.mean(), frozen.var()


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_sample_moments(family):
    n = 20000
    rng = np.random.RandomState(8)
    for k in range(K):
        X = family.sample(k, n, rng)
        assert X.shape == (n, D) and X.dtype == np.float64
        family.validate(X)
        if isinstance(family, LogNormal):  # heavy tails: check the log instead
            logs = np.log(X)
            assert np.all(np.abs(logs.mean(axis=0) - family.mu[k])
                          < 5 * family.sigma[k] / np.sqrt(n))
            assert_allclose(logs.std(axis=0), family.sigma[k], rtol=0.05)
        else:
            mean, var = _moments(family, k)
            assert np.all(np.abs(X.mean(axis=0) - mean) < 5 * np.sqrt(var / n))
            assert_allclose(X.var(axis=0), var, rtol=0.15)


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_take_and_dict_round_trip(family):
    X = _data(family, n=20, seed=9)
    taken = family.take([2, 0, 2])
    assert taken.n_components == 3
    assert_allclose(taken.log_prob(X), family.log_prob(X)[:, [2, 0, 2]], rtol=1e-12)
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
    assert_array_equal(_params(fitted)[:, 1], _params(family)[:, 1])
    assert np.all(np.isfinite(_params(fitted)))


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_constant_component_stays_finite(family):
    X = np.full((10, D), 2.5)
    fitted = family.maximize(family.accumulate(X, np.full((10, K), 1.0 / K)))
    assert np.all(np.isfinite(_params(fitted)))
    assert np.all(np.isfinite(fitted.log_prob(X)))


def test_reseed_values():
    x = np.array([0.5, 4.0])
    exp = _all()[0].reseed(1, x)
    assert_allclose(exp.rate[1], 1.0 / x)
    gamma = _all()[1]
    reseeded = gamma.reseed(1, x)
    assert_allclose(reseeded.shape[1], gamma.shape[[0, 2]].mean(axis=0))
    assert_allclose(reseeded.shape[1] / reseeded.rate[1], x)  # the mean
    lognormal = _all()[2]
    reseeded = lognormal.reseed(1, x)
    assert_allclose(reseeded.mu[1], np.log(x))
    assert_allclose(reseeded.sigma[1] ** 2, (lognormal.sigma[[0, 2]] ** 2).mean(axis=0))
    for family in _all():
        other = family.reseed(0, x)
        assert_array_equal(_params(other)[:, 1:], _params(family)[:, 1:])
    one = Gamma(2.0, 1.0).reseed(0, np.array([4.0]))
    assert_allclose([one.shape[0, 0], one.rate[0, 0]], [2.0, 0.5])


def test_n_parameters_and_regularization():
    exp, gamma, lognormal = _all()
    assert exp.n_parameters() == K * D
    assert gamma.n_parameters() == lognormal.n_parameters() == 2 * K * D
    assert exp.regularization_share() == gamma.regularization_share() == 0.0
    assert_allclose(lognormal.regularization_share(), 1e-6 / lognormal.sigma.min() ** 2)


def test_parameters_are_promoted():
    assert Exponential(rate=2).rate.shape == (1, 1)
    assert Gamma(shape=[1.0, 2.0], rate=[1.0, 1.0]).shape.shape == (1, 2)
    family = LogNormal(mu=[[0.0, 1.0]], sigma=[[1.0, 2.0]])
    assert family.mu.shape == family.sigma.shape == (1, 2)
    assert family.mu.dtype == np.float64


@pytest.mark.parametrize("make, message", [
    (lambda: Exponential([[0.0]]), "positive"),
    (lambda: Gamma([[1.0]], [[-1.0]]), "positive"),
    (lambda: Gamma([[1.0, 2.0]], [[1.0]]), "same shape"),
    (lambda: LogNormal([[0.0]], [[0.0]]), "positive"),
    (lambda: LogNormal([[np.inf]], [[1.0]]), "finite"),
])
def test_invalid_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("family, name", list(zip(_all(), ["an Exponential", "a Gamma", "a LogNormal"])),
                         ids=IDS)
@pytest.mark.parametrize("value", [0.0, -1.5, np.inf])
def test_validate_names_the_column(family, name, value):
    X = np.ones((3, D))
    X[2, 1] = value
    if isinstance(family, Exponential) and value == 0.0:
        assert_array_equal(family.validate(X), X)  # 0 is in the Exponential's support
        return
    # A negative value in scikit-learn's words first (its positive_only check).
    start = "Negative values in data: column" if value < 0 else "Column"
    support = ("values of 0 or more" if isinstance(family, Exponential)
               else "positive values")
    message = (rf"^{start} 1 holds the value {value!r}, but {name} family takes only "
               rf"{support}\.$")
    with pytest.raises(ValueError, match=message):
        family.validate(X)


def test_exponential_takes_zeros_as_scipy_does():
    # Waiting times rounded to 0: scipy's expon has density rate at 0, and one EM step
    # from given responsibilities is the weighted maximum-likelihood rate.
    from scipy import stats

    family = Exponential([[2.0, 0.5], [0.2, 1.5]])
    X = np.array([[0.0, 1.0], [3.0, 0.0], [0.5, 2.0], [0.0, 0.0]])
    expected = np.stack([stats.expon.logpdf(X, scale=1 / rate).sum(axis=1)
                         for rate in family.rate], axis=1)
    assert_allclose(family.log_prob(X), expected, rtol=1e-12)
    W = np.array([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5], [0.3, 0.7]])
    fitted = family.maximize(family.accumulate(X, W))
    assert_allclose(fitted.rate, W.sum(axis=0)[:, None] / (W.T @ X), rtol=1e-12)


def test_an_exponential_column_of_zeros_keeps_its_rate_and_says_so():
    # Every weighted row of component 1 is 0 in column 0: the likelihood grows without
    # bound with the rate, which has no maximum there.
    family = Exponential([[1.0, 1.0], [3.0, 1.0]])
    X = np.array([[2.0, 1.0], [0.0, 2.0], [0.0, 0.5]])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    with pytest.warns(ComponentCollapseWarning, match=r"^Column 0 of component 1 takes only "
                      "rows of value 0"):
        fitted = family.maximize(family.accumulate(X, W))
    assert fitted.rate[1, 0] == 3.0
    assert_allclose(fitted.rate[:, 1], [1.0, 2 / 2.5], rtol=1e-12)
    # A reseed at a row of 0 takes the other components' rate there.
    assert_allclose(family.reseed(0, np.array([0.0, 4.0])).rate[0], [3.0, 0.25])


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_validate_accepts_the_support(family):
    X = _data(family, n=40, seed=13)
    assert_array_equal(family.validate(X), X)
    with pytest.raises(ValueError, match=r"X has 3 column\(s\)"):
        family.validate(np.ones((2, 3)))


def _docstring_targets():
    targets = [gamma_shape]
    for cls in (Exponential, Gamma, LogNormal):
        targets.append(cls)
        targets += [getattr(cls, name) for name in dir(cls)
                    if not name.startswith("_") and inspect.isfunction(getattr(cls, name))]
    return targets


@pytest.mark.parametrize("obj", _docstring_targets(),
                         ids=lambda o: getattr(o, "__qualname__", str(o)))
def test_docstrings(obj):
    from test_docstrings import _problems

    assert _problems(obj) == []
