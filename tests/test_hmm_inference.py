"""HMM inference through the model and the sequence source, and the fit's record as a view.

``score``, ``score_samples``, ``decode`` and ``predict_proba`` run the model's chunk
methods over chunks of whole sequences: any chunk size gives the same answer as one
chunk. ``monitor_`` holds the engine's record of the kept start.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import emkit
from emkit.engine.loop import EMResult
from emkit.families.gaussian import GaussianDiag
from emkit.families.gaussian.prior import GaussianPrior
from emkit.hmm import ConvergenceMonitor
from emkit.models.hmm import HMM


def _sequences(seed=0, n_sequences=9):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, size=n_sequences)
    X = np.concatenate([rng.normal(3 * (i % 2), 1.0, size=(n, 2))
                        for i, n in enumerate(lengths)])
    return X, lengths


@pytest.fixture(scope="module")
def fitted():
    X, lengths = _sequences()
    return emkit.GaussianHMM(2, n_iter=5, random_state=0).fit(X, lengths), X, lengths


@pytest.mark.parametrize("chunk_size", [1, 2, 7])
@pytest.mark.parametrize("algorithm", ["viterbi", "map"])
def test_chunked_inference_equals_one_chunk(fitted, chunk_size, algorithm):
    model, X, lengths = fitted
    whole_score = model.score(X, lengths)
    whole_ll, whole_post = model.score_samples(X, lengths)
    whole_decode = model.decode(X, lengths, algorithm=algorithm)
    with emkit.config_context(chunk_size=chunk_size, n_threads=2):
        assert_allclose(model.score(X, lengths), whole_score, rtol=1e-12)
        ll, post = model.score_samples(X, lengths)
        log_prob, path = model.decode(X, lengths, algorithm=algorithm)
        assert_allclose(model.predict_proba(X, lengths), whole_post, rtol=1e-12)
    assert_allclose(ll, whole_ll, rtol=1e-12)
    assert_allclose(post, whole_post, rtol=1e-12)
    assert_allclose(log_prob, whole_decode[0], rtol=1e-12)
    assert_array_equal(path, whole_decode[1])
    assert path.dtype == int and path.shape == (len(X),)


def test_viterbi_chunks_equal_the_model_on_each_sequence(fitted):
    model, X, lengths = fitted
    hmm = model._model()
    starts = np.concatenate([[0], np.cumsum(lengths)])
    total, paths = 0.0, []
    for a, b in zip(starts[:-1], starts[1:]):
        part = hmm.chunk_viterbi(X[a:b])
        total += part.total
        paths.append(part.rows())
    log_prob, path = model.decode(X, lengths)
    assert_allclose(log_prob, total, rtol=1e-12)
    assert_array_equal(path, np.concatenate(paths))


def test_monitor_is_the_engine_record_of_the_kept_start():
    X, lengths = _sequences(1)
    model = emkit.GaussianHMM(2, n_iter=4, tol=0, n_init=3, random_state=0).fit(X, lengths)
    best = max(range(3), key=lambda i: model.history_per_init_[i][-1])
    assert_array_equal(list(model.monitor_.history), model.history_per_init_[best])
    assert model.monitor_.iter == model.n_iter_ == 4
    assert model.monitor_.converged is model.converged_ is False


def test_monitor_view_from_a_result():
    result = EMResult(model=None, lower_bound=-1.0, history=[-3.0, -1.0], n_iter=2,
                      converged=True)
    monitor = ConvergenceMonitor.from_result(result, tol=0.5, n_iter=10, verbose=False)
    assert list(monitor.history) == [-3.0, -1.0]
    assert monitor.iter == 2 and monitor.converged is True
    assert (monitor.tol, monitor.n_iter) == (0.5, 10)


def test_the_emission_prior_is_the_model_m_step():
    X, _ = _sequences(2)
    family = GaussianDiag(np.array([[0.0, 0.0], [3.0, 3.0]]), np.ones((2, 2)), reg_covar=0.0)
    start, trans = np.array([0.5, 0.5]), np.full((2, 2), 0.5)
    stats = HMM(start, trans, family).chunk_stats(X)
    plain = HMM(start, trans, family).m_step(stats)
    flat = HMM(start, trans, family, emission_prior=GaussianPrior(covars_prior=0.0))
    assert flat.monotone and plain.monotone
    assert_allclose(flat.m_step(stats).family.means, plain.family.means, rtol=1e-12)
    prior = GaussianPrior(means_prior=10.0, means_weight=5.0, update_covars=False)
    model = HMM(start, trans, family, emission_prior=prior)
    assert not model.monotone
    moved = model.m_step(stats).family
    assert np.all(moved.means > plain.family.means)
    assert_array_equal(moved.covariances, family.covariances)


def test_chunked_impute_equals_one_chunk(fitted):
    model, X, lengths = fitted
    X = X.copy()
    X[::5, 0] = np.nan
    X[3::7, 1] = np.nan
    whole = model.impute(X, lengths)
    with emkit.config_context(chunk_size=2):
        chunked = model.impute(X, lengths)
    assert not np.isnan(whole).any()
    assert_array_equal(whole[~np.isnan(X)], X[~np.isnan(X)])
    assert_allclose(chunked, whole, rtol=1e-12)
