"""Sufficient statistics add: stats(A) + stats(B) == stats(A u B), for every family."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import blobs
from emkit.families import GaussianDiag, GaussianFull, GaussianSpherical, GaussianTied
from emkit.models import Mixture
from emkit.models.mixture import log_normalize
from emkit.engine import ArraySource
from emkit.engine.loop import e_step

K, D = 3, 4


def families():
    rng = np.random.default_rng(7)
    means = rng.normal(size=(K, D))
    a = rng.normal(size=(K, D, D)) * 0.3 + np.eye(D)
    full = a @ a.transpose(0, 2, 1)
    return [GaussianFull(means, full), GaussianTied(means, full[0]),
            GaussianDiag(means, np.diagonal(full, axis1=1, axis2=2).copy()),
            GaussianSpherical(means, np.array([0.5, 1.0, 2.0]))]


@pytest.mark.parametrize("family", families(), ids=lambda f: type(f).__name__)
def test_stats_of_union_equal_sum_of_stats(family):
    X, _ = blobs(n=50, d=D)
    W = np.random.default_rng(1).dirichlet(np.ones(K), size=50)
    whole = family.accumulate(X, W)
    parts = family.accumulate(X[:17], W[:17]) + family.accumulate(X[17:], W[17:])
    for name in ("weight", "first", "second"):
        assert_allclose(getattr(parts, name), getattr(whole, name), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("family", families(), ids=lambda f: type(f).__name__)
def test_stats_about_another_shift_are_recentred_exactly(family):
    X, _ = blobs(n=40, d=D)
    W = np.random.default_rng(2).dirichlet(np.ones(K), size=40)
    moved = type(family)(family.means + 3.0, family.covariances)
    total = family.accumulate(X[:20], W[:20]) + moved.accumulate(X[20:], W[20:])
    whole = family.accumulate(X, W)
    assert_allclose(total.first, whole.first, atol=1e-10)
    second, expected = total.second, whole.second
    if type(family).__name__ == "GaussianSpherical":  # only the sums over features count
        second, expected = second.sum(axis=-1), expected.sum(axis=-1)
    assert_allclose(second, expected, atol=1e-9)
    assert_allclose(total.scale(0.5).second.sum(), 0.5 * whole.second.sum(), rtol=1e-12)
    assert_allclose(total.scale(0.5).shift, whole.shift)


@pytest.mark.parametrize("chunk_size", [1, 2, 7, None])
def test_mixture_statistics_do_not_depend_on_chunks_or_threads(chunk_size):
    X, _ = blobs(n=64, d=D)
    model = Mixture(np.array([0.2, 0.3, 0.5]), families()[0])
    reference = e_step(model, ArraySource(X, chunk_size=64, n_threads=1))
    stats = e_step(model, ArraySource(X, chunk_size=chunk_size, n_threads=2))
    assert stats.n_rows == 64
    assert_allclose(stats.log_likelihood, reference.log_likelihood, rtol=1e-12)
    assert_allclose(stats.resp_sum, reference.resp_sum, rtol=1e-12)
    assert_allclose(stats.family.second, reference.family.second, rtol=1e-11)
    assert_allclose(stats.worst.scores, reference.worst.scores, rtol=1e-12)


def test_worst_rows_keep_the_lowest_scores_over_chunks():
    X, _ = blobs(n=30, d=D)
    model = Mixture(np.full(K, 1 / K), families()[1])
    stats = e_step(model, ArraySource(X, chunk_size=4))
    scores = np.sort(log_normalize(model.log_joint(X)))[:K]
    assert_allclose(stats.worst.scores, scores, rtol=1e-10)
