"""The written contracts: Family, Model and Source, each checked where it is used."""

import inspect
from dataclasses import dataclass

import numpy as np
import pytest

import emkit.families as families
from emkit.engine import ArraySource, Model, SequenceSource, Source
from emkit.families import Family
from emkit.models import HMM, Mixture

ABSTRACT = {"log_prob", "accumulate", "maximize", "n_parameters"}


def test_family_names_what_every_family_must_define():
    assert Family.__abstractmethods__ == ABSTRACT
    concrete = [getattr(families, name) for name in families.__all__
                if inspect.isclass(getattr(families, name))
                and issubclass(getattr(families, name), Family)
                and getattr(families, name) is not Family]
    assert len(concrete) >= 12
    for cls in concrete:
        assert not getattr(cls, "__abstractmethods__", set()), cls.__name__


def test_a_family_missing_a_required_method_cannot_be_built():
    @dataclass(frozen=True)
    class Half(Family):
        def log_prob(self, X):
            return np.zeros((len(X), 1))

    with pytest.raises(TypeError, match="abstract method"):
        Half()


def test_optional_capabilities_have_declared_defaults():
    @dataclass(frozen=True)
    class Flat(Family):
        width: tuple = (1.0,)
        component_fields = ("width",)

        def log_prob(self, X):
            return np.zeros((len(X), 1))

        def accumulate(self, X, W):
            return None

        def maximize(self, stats):
            return self

        def n_parameters(self):
            return 0

    flat = Flat()
    X = np.ones((4, 2))
    assert Flat.validate(X) is None and flat.validate(X) is None  # any real data
    assert flat.min_chunk_rows(X) == 0 and flat.resolution(np.float32) == 0.0
    assert flat.regularization_share() == 0.0 and not Flat.allows_missing
    with pytest.raises(ValueError, match="^Flat cannot impute missing values"):
        flat.condition(X)


def test_models_and_sources_are_the_engine_contracts():
    family = families.GaussianDiag(np.zeros((2, 1)), np.ones((2, 1)))
    assert isinstance(Mixture(np.full(2, 0.5), family), Model)
    assert isinstance(HMM(np.full(2, 0.5), np.full((2, 2), 0.5), family), Model)
    X = np.arange(10.0)[:, None]
    for source in (ArraySource(X, chunk_size=3), SequenceSource(X, [4, 6], chunk_size=3)):
        assert isinstance(source, Source)
        assert source.dtype == np.float64 and source.sample_rows() is X
        # map_reduce sums what chunk_args gives the chunk function, in chunk order.
        total = source.map_reduce(lambda rows, weight, **kw: float(rows.sum()))
        assert total == 45.0
    sequences = SequenceSource(X, [4, 6], chunk_size=3)
    assert [sequences.chunk_args(b)[1]["lengths"].tolist() for b in sequences.chunks()] == \
        [[4], [6]]


@pytest.mark.parametrize("chunk_size", [1, 2, 7, None])
def test_starts_read_the_source_in_order_and_equal_one_draw_of_the_whole_matrix(chunk_size):
    from emkit.estimators._starts import start_statistics

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    weight = rng.uniform(size=50)
    family = families.GaussianFull(np.zeros((4, 3)), np.tile(np.eye(3), (4, 1, 1)))
    draws = np.random.RandomState(3)
    stats = start_statistics(family, ArraySource(X, weight, chunk_size=chunk_size),
                             lambda start, stop: draws.uniform(size=(stop - start, 4)))
    whole = np.random.RandomState(3).uniform(size=(50, 4)) * weight[:, None]
    expected = family.accumulate(X, whole)
    # The same moments, though each component's are summed about its own mean (see
    # accumulate_start): compared about the family's shift.
    got = stats.family.recentered(expected.shift)
    np.testing.assert_allclose(got.second, expected.second, rtol=1e-12)
    np.testing.assert_allclose(got.first, expected.first, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stats.resp_sum, whole.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("chunk_size", [1, 3, None])
def test_the_data_covariance_of_a_start_is_numpys_without_a_centred_copy(chunk_size):
    from emkit.estimators._starts import data_covariance

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3)) @ rng.normal(size=(3, 3)) + 1e6  # far from the origin
    np.testing.assert_allclose(data_covariance(ArraySource(X, chunk_size=chunk_size)),
                               np.cov(X.T), rtol=1e-9)
