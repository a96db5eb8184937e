"""Online LDA's lazily scaled topics against the dense blend they stand for."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse

from emkit.models import lda_kernels
from emkit.models.lda import LDA
from emkit.models.lda_online import MIN_SCALE, OnlineTopics, batch_vocabulary


def dense_blend(lam, rho, ratio, words, counts, eta):
    # Hoffman et al.'s update as scikit-learn writes it, on every entry.
    full = np.zeros_like(lam)
    full[:, words] = counts
    return (1 - rho) * lam + rho * (eta + ratio * full)


@pytest.mark.parametrize("compiled", [True, False])
def test_updates_equal_the_dense_blend_and_expectations_the_dense_ones(compiled):
    rng = np.random.default_rng(0)
    K, V, eta = 5, 200, 0.05
    lam = rng.gamma(100, 0.01, (K, V))
    topics = OnlineTopics(lam, eta)
    model = LDA(lam, 0.2, eta, compiled=compiled)
    for step in range(40):
        words = np.sort(rng.choice(V, size=rng.integers(0, 30), replace=False))
        counts = rng.gamma(1.0, 3.0, (K, len(words)))
        rho = (step + 11) ** -0.7
        lam = dense_blend(lam, rho, 7.5, words, counts, eta)
        topics.update(rho, 7.5, words, counts)
        probe = np.sort(rng.choice(V, size=25, replace=False))
        restricted = topics.batch_model(model, probe)
        assert_allclose(restricted.components, lam[:, probe], rtol=1e-12)
        expected = lda_kernels.topic_expectation_t(lam, True, compiled)[probe]
        assert_allclose(restricted.expectation_t, expected, rtol=1e-11)
    assert_allclose(topics.components(), lam, rtol=1e-12)
    assert topics.components().flags.c_contiguous


def test_scale_is_folded_in_before_it_underflows_and_a_full_step_forgets():
    rng = np.random.default_rng(1)
    K, V, eta = 3, 50, 0.1
    lam = rng.gamma(100, 0.01, (K, V))
    topics = OnlineTopics(lam, eta)
    for _ in range(120):  # 0.1 ** 120 is far below MIN_SCALE
        words = np.sort(rng.choice(V, size=10, replace=False))
        counts = rng.gamma(1.0, 3.0, (K, 10))
        lam = dense_blend(lam, 0.9, 2.0, words, counts, eta)
        topics.update(0.9, 2.0, words, counts)
        assert topics._scale >= MIN_SCALE
    assert_allclose(topics.components(), lam, rtol=1e-12)
    words = np.arange(0, V, 2)
    counts = rng.gamma(1.0, 3.0, (K, len(words)))
    topics.update(1.0, 4.0, words, counts)
    assert_allclose(topics.components(), dense_blend(lam, 1.0, 4.0, words, counts, eta),
                    rtol=1e-14)


def test_batch_vocabulary_renumbers_the_columns_it_keeps():
    X = sparse.random(30, 80, density=0.05, random_state=3, format="csr") * 10
    X.data = np.ceil(X.data)
    words, local = batch_vocabulary(X)
    assert_array_equal(words, np.flatnonzero(np.asarray(X.sum(axis=0)).ravel()))
    assert_array_equal(local.toarray(), X[:, words].toarray())
    assert_array_equal(local.indptr, X.indptr)
    empty, none = batch_vocabulary(sparse.csr_matrix((4, 80)))
    assert empty.size == 0 and none.shape == (4, 0)
