"""Families from a log-density alone: numeric M-step, additive row statistics, errors."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import emkit
from emkit.exceptions import ConvergenceWarning
from emkit.families import Poisson
from emkit.families.custom import DensityFamily, WeightedRows, density_family


def von_mises(X, mu, kappa):
    return stats.vonmises.logpdf(X[:, 0], kappa, loc=mu)


def poisson(X, rate):
    return stats.poisson.logpmf(X[:, 0], rate)


VonMises = density_family(von_mises, ["mu", "kappa"],
                          bounds={"mu": (-np.pi, np.pi), "kappa": (1e-6, None)},
                          sampler=lambda rng, n, mu, kappa: rng.vonmises(mu, kappa, n),
                          name="VonMises")
NumericPoisson = density_family(poisson, ["rate"], bounds={"rate": (1e-9, None)},
                                name="NumericPoisson")


def _counts(seed=0):
    rng = np.random.RandomState(seed)
    return np.concatenate([rng.poisson(2.0, 300), rng.poisson(9.0, 200)]).astype(float)[:, None]


def test_von_mises_mixture_recovers_the_components():
    rng = np.random.RandomState(0)
    n0, n1 = 1200, 800
    X = np.concatenate([rng.vonmises(-2.0, 8.0, n0), rng.vonmises(1.0, 3.0, n1)])[:, None]
    model = emkit.MixtureModel(VonMises(mu=[-1.0, 0.5], kappa=[1.0, 1.0]), tol=1e-8,
                               max_iter=200).fit(X)
    order = np.argsort(model.components_.mu)
    mu, kappa = model.components_.mu[order], model.components_.kappa[order]
    # Standard errors: mu ~ 1/sqrt(n kappa), kappa ~ kappa * sqrt(2 / n) roughly; 4 SE.
    se_mu = np.array([1 / np.sqrt(n0 * 8.0), 1 / np.sqrt(n1 * 3.0)])
    se_kappa = np.array([8.0 * np.sqrt(2 / n0), 3.0 * np.sqrt(2 / n1)])
    assert np.all(np.abs(mu - [-2.0, 1.0]) < 4 * se_mu), mu
    assert np.all(np.abs(kappa - [8.0, 3.0]) < 4 * se_kappa), kappa
    assert_allclose(model.weights_[order], [0.6, 0.4], atol=0.04)
    assert model.converged_
    assert model.components_.n_parameters() == 4
    Xs, ys = model.sample(50)
    assert Xs.shape == (50, 1) and set(ys) <= {0, 1}


def test_numeric_m_step_matches_the_closed_form_poisson_rate():
    X = _counts()
    rng = np.random.RandomState(1)
    W = rng.uniform(size=(len(X), 2))
    W[:, 1] *= X[:, 0] > 4  # a skewed second component
    family = NumericPoisson(rate=[1.0, 20.0])
    # Statistics of two chunks add up to those of the whole data.
    stats_ = family.accumulate(X[:200], W[:200]) + family.accumulate(X[200:], W[200:])
    assert isinstance(stats_, WeightedRows)
    new = family.maximize(stats_)
    expected = (W * X).sum(axis=0) / W.sum(axis=0)
    assert_allclose(new.rate, expected, rtol=1e-5)
    assert_allclose(new.rate, Poisson(rate=[[1.0], [20.0]]).maximize(
        Poisson(rate=[[1.0], [20.0]]).accumulate(X, W)).rate.ravel(), rtol=1e-5)


def test_em_on_the_numeric_poisson_matches_the_closed_form_family():
    X = _counts()
    fits = []
    for components in (NumericPoisson(rate=[1.0, 5.0]), Poisson(rate=[[1.0], [5.0]])):
        model = emkit.MixtureModel(components, weights=[0.5, 0.5], tol=0.0, max_iter=20)
        with pytest.warns(ConvergenceWarning):  # tol=0 runs all 20 iterations
            model.fit(X)
        assert model.n_iter_ == 20
        fits.append(model)
    numeric, closed = fits
    assert_allclose(numeric.components_.rate, closed.components_.rate.ravel(), atol=1e-4)
    assert_allclose(numeric.weights_, closed.weights_, atol=1e-4)
    assert_allclose(numeric.lower_bounds_, closed.lower_bounds_, atol=1e-4)
    assert_allclose(numeric.score(X), closed.score(X), atol=1e-6)


def test_nan_log_density_raises_a_value_error_naming_the_component():
    def bad(X, scale):
        return np.where(X[:, 0] > 0, -np.abs(X[:, 0]) / scale, np.nan)

    Bad = density_family(bad, ["scale"], bounds={"scale": (1e-3, None)}, name="Bad")
    X = np.array([[1.0], [-1.0], [2.0]])
    with pytest.raises(ValueError, match=r"returned NaN for component 0 \(scale=1\) at row 1"):
        Bad(scale=[1.0, 2.0]).log_prob(X)
    with pytest.raises(ValueError, match="returned NaN for component"):
        emkit.MixtureModel(Bad(scale=[1.0, 2.0])).fit(X)


def test_plus_inf_in_the_m_step_names_the_component():
    def spiky(X, a):
        return np.where(X[:, 0] == a, np.inf, -0.5 * (X[:, 0] - a) ** 2)

    Spiky = density_family(spiky, ["a"], bounds={"a": (-5.0, 5.0)})
    family = Spiky(a=[0.5, 3.0])
    W = np.array([[0.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"\+inf for component 1 .* in the M-step"):
        family.maximize(WeightedRows(np.array([[3.0], [1.0]]), W))


def test_empty_component_keeps_parameters_and_n_parameters_counts_shapes():
    def normal(X, loc, log_scale):
        return stats.norm.logpdf(X, loc, np.exp(log_scale)).sum(axis=1)

    Normal = density_family(normal, {"loc": (2,), "log_scale": ()}, name="Normal")
    family = Normal(loc=[[0.0, 0.0], [5.0, 5.0]], log_scale=[0.0, 0.0])
    assert family.n_parameters() == 6
    rng = np.random.RandomState(0)
    X = rng.normal(1.0, 2.0, size=(400, 2))
    W = np.column_stack([np.ones(len(X)), np.zeros(len(X))])
    new = family.maximize(family.accumulate(X, W))
    assert_allclose(new.loc[0], X.mean(axis=0), atol=1e-4)
    assert_allclose(np.exp(2 * new.log_scale[0]), X.var(axis=0).mean(), rtol=1e-4)
    assert_allclose(new.loc[1], [5.0, 5.0])
    assert new.log_scale[1] == 0.0
    reseeded = family.reseed(1, np.array([7.0, -1.0]))
    assert_allclose(reseeded.loc, [[0.0, 0.0], [7.0, -1.0]])
    assert_allclose(reseeded.log_scale, family.log_scale)


def test_stats_concatenate_and_scale():
    a = WeightedRows(np.ones((2, 1)), np.full((2, 3), 0.5))
    b = WeightedRows(np.zeros((3, 1)), np.ones((3, 3)))
    total = a + b
    assert total.rows.shape == (5, 1) and total.weights.shape == (5, 3)
    assert_allclose(total.total_weight, [4.0, 4.0, 4.0])
    assert_allclose(total.scale(0.5).weights, total.weights * 0.5)
    assert_allclose(total.scale(0.5).rows, total.rows)


def test_sampling_without_a_sampler_and_bad_arguments():
    family = NumericPoisson(rate=[1.0, 2.0])
    with pytest.raises(NotImplementedError, match="cannot sample because it has no sampler"):
        family.sample(0, 3, np.random.RandomState(0))
    with pytest.raises(ValueError, match="outside its bounds"):
        NumericPoisson(rate=[-1.0])
    with pytest.raises(ValueError, match=r"kappa holds 1 component\(s\), but mu holds 2"):
        VonMises(mu=[0.0, 1.0], kappa=[1.0])
    with pytest.raises(ValueError, match="unknown parameter"):
        density_family(poisson, ["rate"], bounds={"lam": (0, None)})
    with pytest.raises(ValueError, match="reserved"):
        density_family(poisson, ["sample"])
    with pytest.raises(TypeError, match="base class"):
        DensityFamily()
    assert NumericPoisson(rate=3.0).n_components == 1


def test_generated_classes_work_with_the_generic_helpers():
    family = VonMises.concatenate([VonMises(mu=0.0, kappa=1.0), VonMises(mu=1.0, kappa=2.0)])
    assert_allclose(family.take([1, 1]).kappa, [2.0, 2.0])
    assert family.take([0, 0]).identical_groups() == [[0, 1]]
    assert_allclose(VonMises.from_dict(family.to_dict()).mu, family.mu)
    assert_allclose(family.reseed(0, np.array([0.5])).mu, [0.5, 1.0])
    restored = pickle.loads(pickle.dumps(family))
    assert type(restored) is VonMises
    assert_allclose(restored.mu, family.mu)
