"""The numpy HMM recursions batched over sequences (installs without numba) vs the kernels.

The oracle is :mod:`emkit.models.hmm_kernels`' scaled forward-backward and Viterbi (the
compiled kernels, or their Python source without numba), and for whole fits emkit's own
fit through them: every output agrees to 1e-10 relative; a sequence the kernels send to
log space is sent there by the batched recursion too, which sends a few more (steps the
kernels redo from logarithms), with the same results after the redo.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import emkit
from emkit._compiled import HAVE_NUMBA
from emkit.families import GaussianDiag
from emkit.models import hmm_batched, hmm_kernels
from emkit.models.hmm import HMM, sequence_offsets
from emkit.models.hmm_log_space import viterbi as kernel_viterbi

RTOL = 1e-10
CONSTANTS = (hmm_kernels.TINY, hmm_kernels.LOG_TINY, hmm_kernels.LOST, hmm_kernels.DENSE,
             hmm_kernels.SMALL_NORM)


def _model(K, structure, rng):
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), size=K)
    if structure == "left-right":
        transmat = np.triu(transmat)
        transmat /= transmat.sum(axis=1, keepdims=True)
        startprob = np.eye(K)[0]
    return startprob, transmat


def _frame(lengths, K, rng, spread=3.0):
    return rng.normal(scale=spread, size=(sum(lengths), K)) - 2.0


CASES = [
    (3, [50, 17, 33, 1, 50], "dense"),
    (4, [120], "dense"),
    (2, [5, 9, 2, 7, 7, 3], "left-right"),
    (5, [40, 60, 20], "left-right"),
]


@pytest.mark.parametrize("K, lengths, structure", CASES)
@pytest.mark.parametrize("shift", [True, False])
@pytest.mark.parametrize("posteriors", [True, False])
@pytest.mark.parametrize("weigh", [False, True])
def test_batched_forward_backward_equals_the_kernels(K, lengths, structure, shift,
                                                     posteriors, weigh):
    rng = np.random.default_rng(K + len(lengths))
    startprob, transmat = _model(K, structure, rng)
    log_frame = _frame(lengths, K, rng)
    offsets = sequence_offsets(lengths)
    weights = rng.uniform(0.5, 2.0, size=len(lengths))
    expected = hmm_kernels.forward_backward_stats(startprob, transmat, log_frame, offsets,
                                                  weights, shift, posteriors, weigh=weigh,
                                                  compiled=HAVE_NUMBA)
    got = hmm_batched.forward_backward_stats(startprob, transmat, log_frame, offsets,
                                             weights, shift, posteriors, hmm_kernels.TINY,
                                             weigh, CONSTANTS)
    assert_array_equal(got[5], expected[5])
    assert expected[5].all()  # the premise: the kernels' scaled recursion is exact here
    assert_allclose(got[0], expected[0], rtol=RTOL)
    names = ("gamma", "start", "trans", "occupancy")
    for name, a, b in zip(names, got[1:5], expected[1:5]):
        assert_allclose(a, b, rtol=RTOL, atol=1e-300, err_msg=name)


def test_sequences_the_scaled_recursion_cannot_hold_end_as_in_log_space(monkeypatch):
    # Under a sparse (left-right) transition matrix: in sequence 0 the reachable states 1
    # and 2 lose their digits at one step (densities 800 nats below state 0's), which
    # the kernels and the batched recursion both return not ok; in sequence 2 the only
    # likely state explains one step 900 nats worse than an unreachable one (a normalizer
    # below SMALL_NORM), which the kernels redo from logarithms and the batched recursion
    # sends to log space. What the model returns after the log-space redo is the same.
    rng = np.random.default_rng(7)
    K, lengths = 3, [30, 30, 30]
    startprob = np.array([1.0, 0.0, 0.0])
    transmat = np.array([[0.98, 0.02, 0.0], [0.0, 0.98, 0.02], [0.0, 0.0, 1.0]])
    log_frame = _frame(lengths, K, rng, spread=1.0)
    log_frame[10] = [0.0, -800.0, -800.0]
    log_frame[61] = [-900.0, -900.0, 0.0]
    offsets = sequence_offsets(lengths)
    weights = np.ones(3)
    expected = hmm_kernels.forward_backward_stats(startprob, transmat, log_frame, offsets,
                                                  weights, True, True, compiled=HAVE_NUMBA)
    got = hmm_batched.forward_backward_stats(startprob, transmat, log_frame, offsets,
                                             weights, True, True, hmm_kernels.TINY, False,
                                             CONSTANTS)
    assert_array_equal(expected[5], [False, True, True])
    assert_array_equal(got[5], [False, True, False])
    model = HMM(startprob, transmat, GaussianDiag(np.zeros((K, 1)), np.ones((K, 1))))
    monkeypatch.setattr(hmm_kernels, "BATCHED", False)  # the kernels, or their source
    reference = model._forward_backward(log_frame, lengths)
    monkeypatch.setattr(hmm_kernels, "BATCHED", True)
    batched = model._forward_backward(log_frame, lengths)
    for name, a, b in zip(("log-likelihood", "gamma", "start", "trans", "occupancy"),
                          batched, reference):
        assert_allclose(a, b, rtol=RTOL, atol=1e-300, err_msg=name)


@pytest.mark.parametrize("K, lengths, structure", CASES)
def test_batched_viterbi_equals_the_kernel(K, lengths, structure):
    rng = np.random.default_rng(11 + K)
    startprob, transmat = _model(K, structure, rng)
    log_frame = _frame(lengths, K, rng)
    offsets = sequence_offsets(lengths)
    with np.errstate(divide="ignore"):
        args = (np.log(startprob), np.log(transmat), log_frame, offsets)
    expected_prob, expected_path = kernel_viterbi(*args)
    got_prob, got_path = hmm_batched.viterbi(*args)
    assert_allclose(got_prob, expected_prob, rtol=1e-12)
    assert_array_equal(got_path, expected_path)


@pytest.mark.parametrize("implementation", ["log", "scaling"])
def test_a_fit_without_numba_equals_the_fit_through_the_kernels(implementation,
                                                                 monkeypatch):
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(m, 1.0, size=(n, 2)) for m, n in
                        [(0, 150), (4, 90), (-3, 160), (2, 100)]])
    lengths = [150, 90, 160, 100]

    def fitted():
        model = emkit.GaussianHMM(3, "full", n_iter=8, tol=0, random_state=0,
                                  implementation=implementation)
        model.fit(X, lengths)
        return model, model.score_samples(X, lengths), model.decode(X, lengths)

    monkeypatch.setattr(hmm_kernels, "BATCHED", False)  # the kernels, or their source
    reference = fitted()
    monkeypatch.setattr(hmm_kernels, "BATCHED", True)
    batched = fitted()
    assert_allclose(batched[0].monitor_.history, reference[0].monitor_.history, rtol=RTOL)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        assert_allclose(getattr(batched[0], name), getattr(reference[0], name), rtol=1e-8,
                        atol=1e-12, err_msg=name)
    assert_allclose(batched[1][0], reference[1][0], rtol=RTOL)
    assert_allclose(batched[1][1], reference[1][1], rtol=1e-8, atol=1e-12)
    assert_allclose(batched[2][0], reference[2][0], rtol=RTOL)
    assert_array_equal(batched[2][1], reference[2][1])


def test_without_numba_sequences_run_in_the_largest_chunks_on_one_thread(monkeypatch):
    # The batched recursion makes a dozen numpy calls per step of a chunk's longest
    # sequence however many sequences the chunk holds, and those calls hold the GIL; so
    # without numba the sequences run in as few chunks as the engine allows a floor, on
    # one thread. With the kernels, the same 60 sequences are shared out among threads.
    from emkit.engine.loop import chunk_plan
    from emkit.engine.sources import CHUNK_BYTES, FLOOR_OVER_BUDGET
    from emkit.estimators.hmm._sequences import sequence_source

    K, D = 3, 2
    model = HMM(np.full(K, 1 / K), np.full((K, K), 1 / K),
                GaussianDiag(np.zeros((K, D)), np.ones((K, D))))
    X, lengths = np.zeros((60_000, D)), np.full(60, 1000)
    monkeypatch.setattr(hmm_kernels, "BATCHED", False)
    source = sequence_source(X, lengths)
    assert len(source.chunks(*chunk_plan(model, source))) > 1
    monkeypatch.setattr(hmm_kernels, "BATCHED", True)
    source = sequence_source(X, lengths)
    assert source.n_threads == 1
    assert source.chunks(*chunk_plan(model, source)) == [(0, 60)]
    # Memory stays bounded: 4 million steps (rows read, never copied) are cut into
    # chunks of FLOOR_OVER_BUDGET budgets' rows at most (a chunk of whole sequences
    # closes on the sequence that fills it).
    X, lengths = np.broadcast_to(0.0, (4_000_000, D)), np.full(4000, 1000)
    source = sequence_source(X, lengths)
    bounds = source.chunks(*chunk_plan(model, source))
    most = FLOOR_OVER_BUDGET * CHUNK_BYTES // model.bytes_per_row(X)
    assert len(bounds) > 1
    assert max((last - first) * 1000 for first, last in bounds) < most + 1000
