"""Independent: different families on different column groups of one data set."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from emkit import MixtureModel
from emkit.families import Categorical, GaussianDiag, Poisson
from emkit.families.independent import Independent, IndependentStats

# Columns of the data: 0 Gaussian, 1 Poisson, 2 Categorical, 3 Gaussian (interleaved on
# purpose, so that local and original column indices differ).
COLUMNS = [[0, 3], [1], [2]]


def _truth():
    return Independent(
        [GaussianDiag([[-4.0, 0.0], [4.0, 3.0]], [[1.0, 0.5], [0.8, 1.2]]),
         Poisson([[1.0], [9.0]]),
         Categorical([[[0.8, 0.15, 0.05]], [[0.1, 0.2, 0.7]]])],
        COLUMNS)


def _start():
    return Independent(
        [GaussianDiag([[-1.0, 0.5], [1.0, 1.0]], np.ones((2, 2))),
         Poisson([[3.0], [5.0]]),
         Categorical(np.full((2, 1, 3), 1.0 / 3.0))],
        COLUMNS)


def _sample(family, n=600, seed=0, weights=(0.4, 0.6)):
    rng = np.random.RandomState(seed)
    labels = rng.choice(len(weights), size=n, p=weights)
    X = np.empty((n, family.n_features))
    for k in range(len(weights)):
        X[labels == k] = family.sample(k, int(np.sum(labels == k)), rng)
    return X, labels


def test_log_prob_is_the_sum_of_the_parts():
    family = _truth()
    X, _ = _sample(family, n=50)
    expected = sum(part.log_prob(X[:, cols]) for part, cols in zip(family.families, COLUMNS))
    assert_allclose(family.log_prob(X), expected, rtol=1e-12)
    prepared = family.prepare(X)
    assert_allclose(family.log_prob_prepared(prepared), expected, rtol=1e-12)


def test_slices_name_column_groups():
    gauss = GaussianDiag(np.zeros((2, 2)), np.ones((2, 2)))
    poisson = Poisson([[1.0, 2.0], [3.0, 4.0]])
    by_slice = Independent([gauss, poisson], [slice(0, 2), slice(2, None)])
    by_list = Independent([gauss, poisson], [[0, 1], [2, 3]])
    assert by_slice.columns == by_list.columns == ((0, 1), (2, 3))
    X = np.array([[0.1, -0.2, 1.0, 3.0], [1.5, 0.3, 0.0, 2.0]])
    assert_array_equal(by_slice.log_prob(X), by_list.log_prob(X))


def test_mixture_recovers_the_truth():
    truth = _truth()
    X, labels = _sample(truth, n=1000, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixtureModel(_start(), weights=[0.5, 0.5], tol=1e-8, max_iter=300).fit(X)
    fitted = model.components_
    assert isinstance(fitted, Independent)
    order = np.argsort(fitted.families[0].means[:, 0])
    gauss, poisson, cat = (part.take(order) for part in fitted.families)
    assert_allclose(model.weights_[order], [np.mean(labels == 0), np.mean(labels == 1)],
                    atol=1e-3)
    assert_allclose(gauss.means, truth.families[0].means, atol=0.15)
    assert_allclose(gauss.covariances, truth.families[0].covariances, rtol=0.2)
    assert_allclose(poisson.rate, truth.families[1].rate, rtol=0.1)
    assert_allclose(cat.probs, truth.families[2].probs, atol=0.05)
    predicted = model.predict(X)
    assert max(np.mean(predicted == labels), np.mean(predicted != labels)) > 0.99
    assert model.n_components == 2
    # BIC counts every part: 2 weights - 1 + 8 Gaussian + 2 Poisson + 4 Categorical.
    assert fitted.n_parameters() == 8 + 2 + 4


def test_mixture_fits_float32_data():
    truth = _truth()
    X, labels = _sample(truth, n=500, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixtureModel(_start(), weights=[0.5, 0.5], max_iter=200).fit(X.astype(np.float32))
    predicted = model.predict(X.astype(np.float32))
    assert max(np.mean(predicted == labels), np.mean(predicted != labels)) > 0.99


def test_a_list_of_single_components_is_joined():
    truth = _truth()
    singles = [truth.take([0]), truth.take([1])]
    joined = Independent.concatenate(singles)
    X, _ = _sample(truth, n=30, seed=3)
    assert_allclose(joined.log_prob(X), truth.log_prob(X), rtol=1e-12)
    assert MixtureModel(singles).n_components == 2


def test_statistics_add_over_chunks_and_scale():
    family = _truth()
    X, _ = _sample(family, n=60, seed=4)
    W = np.random.default_rng(5).dirichlet(np.ones(2), size=len(X))
    whole = family.accumulate(X, W)
    parts = family.accumulate(X[:25], W[:25]) + family.accumulate(X[25:], W[25:])
    assert type(parts) is IndependentStats and len(parts.parts) == 3
    for a, b in zip(parts.parts, whole.parts):
        assert type(a) is type(b)
    assert_allclose(family.maximize(parts).log_prob(X), family.maximize(whole).log_prob(X),
                    rtol=1e-10)
    assert_allclose(parts.parts[1].sums, whole.parts[1].sums, rtol=1e-12)
    half = whole.scale(0.5)
    assert type(half) is IndependentStats
    assert_allclose(half.parts[1].sums, 0.5 * whole.parts[1].sums)
    assert_allclose(half.parts[2].counts, 0.5 * whole.parts[2].counts)
    prepared = family.accumulate_prepared(family.prepare(X), W)
    assert_allclose(family.maximize(prepared).log_prob(X), family.maximize(whole).log_prob(X),
                    rtol=1e-10)


def test_maximize_maximizes_each_part():
    family = _truth()
    X, _ = _sample(family, n=80, seed=6)
    W = np.random.default_rng(7).dirichlet(np.ones(2), size=len(X))
    fitted = family.maximize(family.accumulate(X, W))
    for part, new, cols in zip(family.families, fitted.families, COLUMNS):
        alone = part.maximize(part.accumulate(X[:, cols], W))
        for name in part.component_fields:
            assert_allclose(getattr(new, name), getattr(alone, name), rtol=1e-12)


def test_sample_keeps_the_original_column_order():
    family = _truth()
    X = family.sample(1, 4000, np.random.RandomState(8))
    assert X.shape == (4000, 4)
    assert_allclose(X[:, [0, 3]].mean(axis=0), [4.0, 3.0], atol=0.1)
    assert_allclose(X[:, 1].mean(), 9.0, atol=0.3)
    assert set(np.unique(X[:, 2])) <= {0.0, 1.0, 2.0}
    family.validate(X)


@pytest.mark.parametrize("column, value, part", [
    (1, -1.0, "Poisson"), (1, 2.5, "Poisson"), (2, 3.0, "Categorical"),
])
def test_validate_names_the_original_column(column, value, part):
    family = _truth()
    X, _ = _sample(family, n=10, seed=9)
    X[4, column] = value
    start = "Negative values in data: column" if value < 0 else "Column"
    with pytest.raises(ValueError, match=rf"^{start} {column} holds the value {value!r}, but") \
            as info:
        family.validate(X)
    assert "olumn 0" not in str(info.value)
    with pytest.raises(ValueError, match=rf"(?i)column {column}"):
        MixtureModel(_start(), weights=[0.5, 0.5]).fit(X)


def test_validate_checks_the_width():
    with pytest.raises(ValueError, match="X has 3 column"):
        _truth().validate(np.zeros((2, 3)))


def test_reseed_restarts_each_part_at_its_columns():
    family = _truth()
    x = np.array([1.0, 4.0, 2.0, -2.0])
    reseeded = family.reseed(0, x)
    for part, new, cols in zip(family.families, reseeded.families, COLUMNS):
        expected = part.reseed(0, x[cols])
        for name in part.component_fields:
            assert_array_equal(getattr(new, name), getattr(expected, name))


def test_take_and_identical_groups():
    family = _truth()
    taken = family.take([1, 0, 1])
    X, _ = _sample(family, n=20, seed=10)
    assert taken.n_components == 3
    assert_allclose(taken.log_prob(X), family.log_prob(X)[:, [1, 0, 1]])
    assert taken.identical_groups() == [[0, 2]]
    # Identical in one part only is not identical.
    gauss, poisson, cat = family.families
    mixed = Independent([gauss.take([0, 0]), poisson, cat.take([0, 0])], COLUMNS)
    assert mixed.identical_groups() == []
    rebuilt = Independent.from_dict(taken.to_dict())
    assert_array_equal(rebuilt.log_prob(X), taken.log_prob(X))


def test_n_parameters_sums_the_parts():
    family = _truth()
    assert family.n_parameters() == sum(part.n_parameters() for part in family.families)


@pytest.mark.parametrize("families, columns, match", [
    ([Poisson([[1.0], [2.0]]), Poisson([[1.0]])], [[0], [1]], "same number of components"),
    ([Poisson([[1.0, 2.0]])], [[0]], "has 2 column"),
    ([Poisson([[1.0]]), Poisson([[1.0]])], [[0], [2]], "exactly once"),
    ([Poisson([[1.0]]), Poisson([[1.0]])], [[0], [0]], "exactly once"),
    ([Poisson([[1.0]])], [[0], [1]], "one column group per family"),
    ([Poisson([[1.0]])], [[-1]], "non-negative"),
    ([], [], "non-empty"),
])
def test_invalid_construction(families, columns, match):
    with pytest.raises(ValueError, match=match):
        Independent(families, columns)
