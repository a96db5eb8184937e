"""The HMM E-step's numerics: no subnormal number, and one answer whichever path runs it.

Oracles: the plain log-space recursion (``forward_backward_log``) for the values, the
dtype's smallest normal number for "no subnormal", and the kernels' Python source (what
runs without numba) for the compiled kernels, statistic by statistic.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emkit.families import Categorical, GaussianDiag
from emkit.models import hmm, hmm_kernels
from emkit.models.hmm import HMM, sequence_offsets

TINY = {np.float64: np.finfo(np.float64).tiny, np.float32: np.finfo(np.float32).tiny}


def _subnormal(values, dtype):
    values = np.abs(np.asarray(values, dtype=np.float64))
    return (values > 0) & (values < TINY[dtype])


def _extreme_chunk(dtype):
    # Two 1-D Gaussian states 50 apart: the log-density gap 1250 - 50 x sweeps the range
    # whose exponential is subnormal in ``dtype`` (about 708-745 nats in float64, 87-103
    # in float32), so unfloored posteriors of the far state would be subnormal.
    centre = 11.0 if dtype == np.float64 else 23.2
    X = np.linspace(centre - 1.5, centre + 1.5, 400)[:, None]
    family = GaussianDiag(np.array([[0.0], [50.0]]), np.ones((2, 1)), reg_covar=0.0)
    model = HMM(np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.1, 0.9]]), family)
    return X.astype(dtype), model, np.array([150, 250])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_e_step_with_extreme_log_densities_holds_no_subnormal_number(dtype, monkeypatch):
    X, model, lengths = _extreme_chunk(dtype)
    # The data do reach the subnormal range: the exact posteriors (of the log-densities
    # the chunk computes, in ``dtype``) hold such values.
    family = model.family
    log_frame = np.asarray(family.log_prob_prepared(family.prepare(X)), dtype=np.float64)
    offsets = sequence_offsets(lengths)
    exact = np.concatenate([hmm_kernels.forward_backward_log(
        np.log(model.startprob), np.log(model.transmat), log_frame[a:b])[1]
        for a, b in zip(offsets[:-1], offsets[1:])])
    assert _subnormal(exact, dtype).sum() >= 3
    seen = []
    accumulate = type(model.family).accumulate_prepared

    def spy(self, prepared, W):
        seen.append(np.array(W))
        return accumulate(self, prepared, W)

    monkeypatch.setattr(type(model.family), "accumulate_prepared", spy)
    weights = np.array([1.0, 0.5])
    stats = model.chunk_stats(X, weights, lengths)
    (W,) = seen
    # Every weight the statistics' products see is zero or normal, in the products' dtype.
    assert not _subnormal(W, dtype).any()
    assert not _subnormal(W.astype(dtype), dtype).any()
    for value in (stats.start, stats.trans, stats.occupancy):
        assert not _subnormal(value, np.float64).any()
    # And nothing else moved: the posteriors are the exact ones, weighted, except near
    # the floor (values computed from intermediates that were set to zero).
    expected = exact * np.repeat(weights, lengths)[:, None]
    clear = expected > 1e6 * TINY[dtype]
    assert_allclose(W[clear], expected[clear], rtol=1e-9, atol=0)
    assert np.all(W[~clear] <= 1e6 * TINY[dtype])
    assert_allclose(stats.occupancy, expected.sum(axis=0), rtol=1e-9)


def test_forward_backward_floors_posteriors_and_counts_but_keeps_the_likelihood():
    # Steps whose second state is 700 to 760 nats less likely: its posteriors are
    # subnormal or zero in float64; the log-likelihood keeps every digit.
    rng = np.random.default_rng(1)
    T = 300
    log_frame = np.zeros((T, 2))
    log_frame[:, 1] = -rng.uniform(700.0, 760.0, T)
    log_frame[::7] = log_frame[::7, ::-1]  # some steps favour state 1
    startprob, transmat = np.array([0.5, 0.5]), np.array([[0.5, 0.5], [0.5, 0.5]])
    ref_lik, ref_gamma, ref_trans = hmm_kernels.forward_backward_log(
        np.log(startprob), np.log(transmat), log_frame)
    assert _subnormal(ref_gamma, np.float64).any()
    offsets = np.array([0, T], dtype=np.int64)
    for kernel in (hmm_kernels.forward_backward_stats,
                   hmm_kernels.forward_backward_stats.py_func):
        log_lik, gamma, start, trans, occupancy, ok = kernel(
            startprob, transmat, log_frame, offsets, np.ones(1), True, True)
        assert ok[0]
        assert_allclose(log_lik[0], ref_lik, rtol=1e-13)
        for value in (gamma, start, trans, occupancy):
            assert not _subnormal(value, np.float64).any()
        # Exact wherever the value is clear of the floor; at most that near it.
        bound = 1e6 * TINY[np.float64]
        for value, ref in ((gamma, ref_gamma), (trans, ref_trans)):
            clear = ref > bound
            assert_allclose(value[clear], ref[clear], rtol=1e-10, atol=0)
            assert np.all(value[~clear] <= bound)


def _random_case(structure, rng):
    K = 4
    lengths = np.array([50, 1, 120, 30, 7])
    offsets = sequence_offsets(lengths)
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), size=K)
    if structure == "sparse":
        startprob[-1] = 0.0
        np.fill_diagonal(transmat[:-1, :-1], 0.0)
        startprob /= startprob.sum()
        transmat /= transmat.sum(axis=1, keepdims=True)
    log_frame = rng.normal(scale=3.0, size=(offsets[-1], K))
    # Extreme steps: densities 750 nats apart, and a step no state explains well.
    log_frame[10] = [0.0, -750.0, -760.0, -2.0]
    log_frame[60] -= 900.0
    return startprob, transmat, log_frame, offsets, rng.uniform(0.5, 2.0, len(lengths))


@pytest.mark.parametrize("structure", ["dense", "sparse"])
@pytest.mark.parametrize("shift", [True, False])
@pytest.mark.parametrize("posteriors", [True, False])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_compiled_forward_backward_statistics_equal_the_python_source(structure, shift,
                                                                     posteriors, layout):
    if hmm_kernels.BATCHED:
        pytest.skip("no compiled kernels (numba not installed, or EMKIT_DISABLE_NUMBA "
                    "set): test_hmm_batched.py holds the numpy recursion to the source")
    rng = np.random.default_rng(3)
    startprob, transmat, log_frame, offsets, weights = _random_case(structure, rng)
    log_frame = np.asarray(log_frame, order=layout)
    floor = float(np.finfo(np.float32).tiny)
    fast = hmm_kernels.forward_backward_stats(startprob, transmat, log_frame, offsets,
                                              weights, shift, posteriors, floor, True)
    slow = hmm_kernels.forward_backward_stats.py_func(
        startprob, transmat, log_frame, offsets, weights, shift, posteriors, floor, True)
    for a, b in zip(fast, slow):
        assert_allclose(a, b, rtol=1e-12, atol=0)


def _hmm_cases():
    rng = np.random.default_rng(7)
    K = 3
    startprob, transmat = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K) * 3, size=K)
    gaussian = GaussianDiag(rng.normal(scale=4.0, size=(K, 2)), rng.uniform(0.3, 2.0, (K, 2)))
    X_gaussian = rng.normal(scale=5.0, size=(600, 2))
    X_gaussian[17] = [80.0, -90.0]  # far in every state's tail
    categorical = Categorical(rng.dirichlet(np.ones(6), size=K)[:, None, :])
    X_codes = rng.integers(0, 6, size=(600, 1)).astype(np.float64)
    return [(HMM(startprob, transmat, gaussian), X_gaussian),
            (HMM(startprob, transmat, gaussian), X_gaussian.astype(np.float32)),
            (HMM(startprob, transmat, categorical), X_codes)]


@pytest.mark.parametrize("case", range(3), ids=["gaussian", "gaussian-float32", "categorical"])
def test_the_e_step_is_the_same_with_compiled_kernels_and_without(case, monkeypatch):
    model, X = _hmm_cases()[case]
    lengths = np.array([100, 250, 1, 249])
    weights = np.array([1.0, 0.25, 2.0, 1.5])
    fast = model.chunk_stats(X, weights, lengths)
    monkeypatch.setattr(hmm_kernels, "forward_backward_stats",
                        hmm_kernels.forward_backward_stats.py_func)
    slow = model.chunk_stats(X, weights, lengths)
    assert_allclose(fast.log_likelihood, slow.log_likelihood, rtol=1e-12)
    for name in ("start", "trans", "occupancy"):
        assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-12, atol=0)
    for name, value in vars(fast.family).items():
        if isinstance(value, np.ndarray):
            assert_allclose(value, getattr(slow.family, name), rtol=1e-12, atol=0,
                            err_msg=name)


@pytest.mark.parametrize("case", range(3), ids=["gaussian", "gaussian-float32", "categorical"])
def test_a_long_chunk_in_row_blocks_gives_the_statistics_of_the_whole(case, monkeypatch):
    model, X = _hmm_cases()[case]
    lengths = np.array([100, 250, 1, 249])
    whole = model.chunk_stats(X, None, lengths)
    monkeypatch.setattr(hmm, "BLOCK_BYTES", 37 * model.family.bytes_per_row(X))
    assert len(model._blocks(X)) == 17  # blocks of 37 rows, across sequence boundaries
    blocked = model.chunk_stats(X, None, lengths)
    assert_allclose(blocked.log_likelihood, whole.log_likelihood, rtol=1e-12)
    for name in ("start", "trans", "occupancy"):
        assert_allclose(getattr(blocked, name), getattr(whole, name), rtol=1e-12, atol=0)
    # The family's products run in the data's dtype: float32 sums agree to its precision.
    rtol = 1e-12 if X.dtype == np.float64 else 1e-5
    for name, value in vars(whole.family).items():
        if isinstance(value, np.ndarray):
            assert_allclose(getattr(blocked.family, name), value, rtol=rtol, atol=rtol,
                            err_msg=name)
