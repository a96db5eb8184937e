"""Segmentation with a Potts prior: fewer wrong pixels than independent EM, an objective
that never falls, and the independent fit at beta = 0."""

import itertools

import numpy as np
import pytest

from emkit.datasets import make_two_level_image
from emkit.image import segment_image
from emkit.potts import _colours, _offsets, fit_potts, neighbour_sums


def _error(labels, truth):
    return float(np.mean(labels != truth))


def _disc(noise, seed=0):
    noisy, clean = make_two_level_image(80, noise=noise, random_state=seed)
    return noisy, (clean > clean.min()).astype(int)


def test_grey_spatial_fit_mislabels_a_third_as_many_pixels():
    noisy, truth = _disc(0.25)
    independent = segment_image(noisy, 2)
    spatial = segment_image(noisy, 2, spatial_beta=1.0)
    assert _error(independent.labels, truth) >= 0.05
    assert _error(spatial.labels, truth) <= _error(independent.labels, truth) / 3
    assert spatial.spatial_beta == 1.0
    assert np.all(np.diff(spatial.free_energy) >= -1e-10)


def test_colour_classes_with_full_covariances():
    rng = np.random.default_rng(1)
    truth = np.zeros((60, 60), dtype=int)
    truth[:, 20:40] = 1
    truth[30:, 40:] = 2
    colours = np.array([[0.2, 0.3, 0.4], [0.5, 0.4, 0.3], [0.4, 0.6, 0.5]])
    mixing = np.array([[1.0, 0.6, 0.0], [0.0, 1.0, 0.6], [0.3, 0.0, 1.0]])
    image = colours[truth] + (rng.normal(scale=0.12, size=(60, 60, 3)) @ mixing)
    independent = segment_image(image, 3, random_state=0)
    spatial = segment_image(image, 3, spatial_beta=1.0, neighbourhood=8, random_state=0)
    order = np.argsort(colours.mean(axis=1))  # labels are ordered by brightness
    truth_by_brightness = np.argsort(order)[truth]
    assert _error(independent.labels, truth_by_brightness) >= 0.05
    assert _error(spatial.labels, truth_by_brightness) <= \
        _error(independent.labels, truth_by_brightness) / 3
    assert spatial.model.covariances_.shape == (3, 3, 3)
    assert np.all(np.diff(spatial.model.means_.mean(axis=1)) > 0)


@pytest.mark.parametrize("neighbourhood", [6, 26])
def test_a_volume(neighbourhood):
    rng = np.random.default_rng(2)
    z, y, x = np.indices((24, 24, 24))
    truth = ((z - 12) ** 2 + (y - 12) ** 2 + (x - 11) ** 2 <= 64).astype(int)
    volume = np.where(truth, 0.7, 0.3) + rng.normal(scale=0.17, size=truth.shape)
    independent = segment_image(volume, 2, volume=True)
    spatial = segment_image(volume, 2, volume=True, spatial_beta=0.6,
                            neighbourhood=neighbourhood)
    assert spatial.labels.shape == truth.shape
    assert _error(independent.labels, truth) >= 0.05
    assert _error(spatial.labels, truth) <= _error(independent.labels, truth) / 3
    assert np.all(np.diff(spatial.free_energy) >= -1e-10)


def test_beta_zero_is_the_independent_fit():
    noisy, _ = _disc(0.3)
    independent = segment_image(noisy, 2)
    zero = segment_image(noisy, 2, spatial_beta=0)
    np.testing.assert_array_equal(zero.labels, independent.labels)
    np.testing.assert_array_equal(zero.denoised, independent.denoised)
    assert zero.spatial_beta == 0.0 and independent.spatial_beta is None


def test_auto_beta_is_estimated_and_helps():
    noisy, truth = _disc(0.3)
    auto = segment_image(noisy, 2, spatial_beta="auto")
    assert 0.5 < auto.spatial_beta <= 4.0
    assert _error(auto.labels, truth) <= _error(segment_image(noisy, 2).labels, truth) / 3


@pytest.mark.parametrize("shape, neighbourhood", [((5, 6), 4), ((5, 6), 8), ((3, 4, 5), 6),
                                                  ((3, 4, 5), 26)])
def test_neighbour_sums_and_colouring_against_brute_force(shape, neighbourhood):
    rng = np.random.default_rng(0)
    q = rng.random(shape + (2,))
    offsets = _offsets(len(shape), neighbourhood)
    assert len(offsets) == neighbourhood
    expected = np.zeros_like(q)
    for index in itertools.product(*map(range, shape)):
        for offset in offsets:
            other = tuple(i + o for i, o in zip(index, offset))
            if all(0 <= o < n for o, n in zip(other, shape)):
                expected[index] += q[other]
    np.testing.assert_allclose(neighbour_sums(q, offsets), expected, rtol=1e-14)
    for mask in _colours(shape, neighbourhood):
        # No pixel of a colour has a neighbour of the same colour.
        assert not np.any(neighbour_sums(mask[..., None].astype(float), offsets)[mask])


def test_fit_potts_never_lowers_the_free_energy_from_a_poor_start():
    from emkit.families import GaussianFull
    noisy, _ = _disc(0.35, seed=3)
    pixels = noisy.reshape(-1, 1)
    start = GaussianFull(np.array([[0.4], [0.6]]), np.array([[[0.05]], [[0.05]]]))
    fit = fit_potts(pixels, noisy.shape, start, np.log([0.5, 0.5]), 1.2, neighbourhood=8,
                    max_iter=40, tol=0)
    assert fit.n_iter == 40 and not fit.converged
    assert np.all(np.diff(fit.history) >= -1e-10 * np.abs(fit.history[1:]))
    np.testing.assert_allclose(fit.posterior.sum(axis=-1), 1.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(spatial_beta=-1.0), "spatial_beta must be None, a non-negative number or 'auto'"),
    (dict(spatial_beta="strong"), "spatial_beta must be None"),
    (dict(spatial_beta=1.0, neighbourhood=6), "neighbourhood must be 4 or 8 for a 2-D grid"),
])
def test_bad_spatial_options_are_one_sentence(kwargs, message):
    noisy, _ = _disc(0.1)
    with pytest.raises(ValueError, match=message):
        segment_image(noisy, 2, **kwargs)
    with pytest.raises(ValueError, match="A volume must be 3-D"):
        segment_image(noisy, 2, volume=True)
