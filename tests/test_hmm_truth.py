"""Hidden Markov models against independent truth.

The oracles: brute force over every state path (itertools.product) for tiny models, the
boxes-and-balls example of Li Hang (Statistical Learning Methods, examples 10.2/10.3),
the plain log-space recursion on long sequences, sampling then refitting a known model,
exact identities (a weight of 2 is a repeated sequence), and the documented behaviour
of the estimators (warnings, convergence, one-sentence errors).
"""

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from scipy.stats import norm

import emkit
from emkit.exceptions import ComponentCollapseWarning
from emkit.models import hmm_kernels
from emkit.models.hmm import HMM

TOL = 1e-10
KERNELS = [pytest.param(hmm_kernels.forward_backward, id="compiled"),
           pytest.param(hmm_kernels.forward_backward.py_func, id="python")]


# -- the brute-force oracle -------------------------------------------------------------
def brute_force(startprob, transmat, log_frame):
    """Every quantity of one sequence by enumerating all K**T state paths."""
    T, K = log_frame.shape
    with np.errstate(divide="ignore"):
        log_start, log_trans = np.log(startprob), np.log(transmat)
    paths = np.array(list(itertools.product(range(K), repeat=T)))
    log_joint = log_start[paths[:, 0]] + log_frame[0, paths[:, 0]]
    for t in range(1, T):
        log_joint = log_joint + log_trans[paths[:, t - 1], paths[:, t]] + log_frame[t, paths[:, t]]
    log_likelihood = logsumexp(log_joint)
    with np.errstate(invalid="ignore"):  # an impossible sequence: -inf - -inf
        weight = np.exp(log_joint - log_likelihood)
    gamma = np.zeros((T, K))
    trans = np.zeros((K, K))
    for t in range(T):
        np.add.at(gamma[t], paths[:, t], weight)
        if t:
            np.add.at(trans, (paths[:, t - 1], paths[:, t]), weight)
    best = int(np.argmax(log_joint))
    # Filtered probabilities P(s_t | x_0..x_t): the last posterior of every prefix.
    filtered = np.array([_last_posterior(log_start, log_trans, log_frame[:t + 1])
                         for t in range(T)])
    return dict(log_likelihood=log_likelihood, gamma=gamma, start=gamma[0], trans=trans,
                path=paths[best], path_log_prob=log_joint[best], filtered=filtered)


def _last_posterior(log_start, log_trans, log_frame):
    T, K = log_frame.shape
    paths = np.array(list(itertools.product(range(K), repeat=T)))
    log_joint = log_start[paths[:, 0]] + log_frame[0, paths[:, 0]]
    for t in range(1, T):
        log_joint = log_joint + log_trans[paths[:, t - 1], paths[:, t]] + log_frame[t, paths[:, t]]
    last = np.full(K, -np.inf)
    for k in range(K):
        if np.any(paths[:, -1] == k):
            last[k] = logsumexp(log_joint[paths[:, -1] == k])
    with np.errstate(invalid="ignore"):
        return np.exp(last - logsumexp(last))


def random_model(K, structure, rng):
    """Start and transition probabilities, dense or with structural zeros."""
    if structure == "dense":
        return rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), size=K)
    if structure == "left-right":
        startprob = np.eye(K)[0]
        stay = rng.uniform(0.2, 0.9, size=K)
        transmat = np.diag(stay) + np.diag(1 - stay[:-1], k=1)
        transmat[-1, -1] = 1.0
        return startprob, transmat
    # "sparse": the last state cannot start, the others cannot stay.
    startprob = rng.dirichlet(np.ones(K))
    startprob[-1] = 0.0
    transmat = rng.dirichlet(np.ones(K), size=K)
    for i in range(K - 1):
        transmat[i, i] = 0.0
    return startprob / startprob.sum(), transmat / transmat.sum(axis=1, keepdims=True)


def _log(a):
    with np.errstate(divide="ignore"):
        return np.log(a)


# -- 1. the kernels against brute force -------------------------------------------------
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("structure", ["dense", "left-right", "sparse"])
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("T", [1, 2, 3, 4, 5, 6])
def test_forward_backward_matches_brute_force(kernel, structure, K, T):
    rng = np.random.default_rng(100 * K + T)
    startprob, transmat = random_model(K, structure, rng)
    log_frame = rng.normal(scale=2.0, size=(T, K)) - 1.0
    truth = brute_force(startprob, transmat, log_frame)
    offsets = np.array([0, T], dtype=np.int64)
    for shift in (True, False):
        log_lik, gamma, start, trans, ok = kernel(startprob, transmat, log_frame, offsets,
                                                  np.ones(1), shift, True)
        assert ok[0]
        assert_allclose(log_lik[0], truth["log_likelihood"], rtol=0, atol=TOL)
        assert_allclose(gamma, truth["gamma"], rtol=0, atol=TOL)
        assert_allclose(start, truth["start"], rtol=0, atol=TOL)
        assert_allclose(trans, truth["trans"], rtol=0, atol=TOL)
        # The forward pass alone returns the filtered probabilities P(s_t | x_0..x_t).
        log_lik, filtered, start, trans, _ = kernel(startprob, transmat, log_frame, offsets,
                                                    np.ones(1), shift, False)
        assert_allclose(log_lik[0], truth["log_likelihood"], rtol=0, atol=TOL)
        assert_allclose(filtered, truth["filtered"], rtol=0, atol=TOL)
        assert not start.any() and not trans.any()


@pytest.mark.parametrize("structure", ["dense", "left-right", "sparse"])
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("T", [1, 2, 4, 6])
def test_log_space_forward_backward_and_viterbi_match_brute_force(structure, K, T):
    rng = np.random.default_rng(7 + 10 * K + T)
    startprob, transmat = random_model(K, structure, rng)
    log_frame = rng.normal(scale=2.0, size=(T, K)) - 1.0
    truth = brute_force(startprob, transmat, log_frame)
    args = (_log(startprob), _log(transmat), log_frame)
    offsets = np.array([0, T], dtype=np.int64)
    for fb, vit in ((hmm_kernels.forward_backward_log, hmm_kernels.viterbi),
                    (hmm_kernels.forward_backward_log.py_func, hmm_kernels.viterbi.py_func)):
        log_lik, gamma, trans = fb(*args)
        assert_allclose(log_lik, truth["log_likelihood"], rtol=0, atol=TOL)
        assert_allclose(gamma, truth["gamma"], rtol=0, atol=TOL)
        assert_allclose(trans, truth["trans"], rtol=0, atol=TOL)
        log_prob, path = vit(*args, offsets)
        assert_array_equal(path, truth["path"])
        assert_allclose(log_prob[0], truth["path_log_prob"], rtol=0, atol=TOL)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("structure", ["dense", "left-right", "sparse"])
def test_several_weighted_sequences_match_brute_force(kernel, structure):
    rng = np.random.default_rng(11)
    K = 3
    startprob, transmat = random_model(K, structure, rng)
    lengths = [1, 4, 3, 6, 2]
    weights = np.array([0.5, 2.0, 0.0, 1.3, 3.0])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    log_frame = rng.normal(scale=2.0, size=(offsets[-1], K)) - 1.0
    truths = [brute_force(startprob, transmat, log_frame[a:b])
              for a, b in zip(offsets[:-1], offsets[1:])]
    log_lik, gamma, start, trans, ok = kernel(startprob, transmat, log_frame, offsets,
                                              weights, True, True)
    assert ok.all()
    assert_allclose(log_lik, [t["log_likelihood"] for t in truths], rtol=0, atol=TOL)
    assert_allclose(gamma, np.vstack([t["gamma"] for t in truths]), rtol=0, atol=TOL)
    assert_allclose(start, sum(w * t["start"] for w, t in zip(weights, truths)), rtol=0, atol=TOL)
    assert_allclose(trans, sum(w * t["trans"] for w, t in zip(weights, truths)), rtol=0, atol=TOL)
    log_prob, path = hmm_kernels.viterbi(_log(startprob), _log(transmat), log_frame, offsets)
    assert_array_equal(path, np.concatenate([t["path"] for t in truths]))
    assert_allclose(log_prob, [t["path_log_prob"] for t in truths], rtol=0, atol=TOL)
    log_prob_py, path_py = hmm_kernels.viterbi.py_func(_log(startprob), _log(transmat),
                                                       log_frame, offsets)
    assert_array_equal(path_py, path)
    assert_allclose(log_prob_py, log_prob, rtol=0, atol=1e-12)


def test_compiled_kernels_agree_with_their_python_source():
    rng = np.random.default_rng(5)
    K = 4
    startprob, transmat = random_model(K, "sparse", rng)
    lengths = [50, 1, 120, 30]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    log_frame = rng.normal(scale=3.0, size=(offsets[-1], K))
    weights = rng.uniform(0.5, 2.0, size=len(lengths))
    for shift in (True, False):
        for posteriors in (True, False):
            fast = hmm_kernels.forward_backward(startprob, transmat, log_frame, offsets,
                                                weights, shift, posteriors)
            slow = hmm_kernels.forward_backward.py_func(startprob, transmat, log_frame,
                                                        offsets, weights, shift, posteriors)
            for a, b in zip(fast, slow):
                assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    args = (_log(startprob), _log(transmat), log_frame[:120])
    for a, b in zip(hmm_kernels.forward_backward_log(*args),
                    hmm_kernels.forward_backward_log.py_func(*args)):
        assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    args = (_log(startprob), _log(transmat), log_frame, offsets)
    for a, b in zip(hmm_kernels.viterbi(*args), hmm_kernels.viterbi.py_func(*args)):
        assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_an_impossible_sequence_has_log_likelihood_minus_infinity(kernel):
    # Every transition enters state 1, which cannot emit step 2's symbol (log density
    # -inf): no path explains step 2.
    startprob = np.array([0.5, 0.5])
    transmat = np.array([[0.0, 1.0], [0.0, 1.0]])
    log_frame = np.array([[-1.0, -1.0], [-1.0, -1.0], [-1.0, -np.inf]])
    assert brute_force(startprob, transmat, log_frame)["log_likelihood"] == -np.inf
    offsets = np.array([0, 3], dtype=np.int64)
    for shift in (True, False):
        log_lik = kernel(startprob, transmat, log_frame, offsets, np.ones(1), shift, True)[0]
        assert log_lik[0] == -np.inf
    assert hmm_kernels.forward_backward_log(_log(startprob), _log(transmat), log_frame)[0] \
        == -np.inf
    assert hmm_kernels.viterbi(_log(startprob), _log(transmat), log_frame, offsets)[0][0] \
        == -np.inf


# -- 2. the estimators against brute force -----------------------------------------------
def _categorical(startprob, transmat, emissionprob, **kwargs):
    model = emkit.CategoricalHMM(n_components=len(startprob), init_params="", params="",
                                 **kwargs)
    model.startprob_ = startprob
    model.transmat_ = transmat
    model.emissionprob_ = emissionprob
    model.n_features = emissionprob.shape[1]
    return model


@pytest.mark.parametrize("implementation", ["log", "scaling"])
@pytest.mark.parametrize("structure", ["dense", "left-right", "sparse"])
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("lengths", [None, [6], [2, 1, 5, 3]], ids=["none", "one", "four"])
def test_categorical_hmm_matches_brute_force(implementation, structure, K, lengths):
    rng = np.random.default_rng(K + len(lengths or []))
    startprob, transmat = random_model(K, structure, rng)
    emissionprob = rng.dirichlet(np.ones(4), size=K)
    emissionprob[0, 3] = 0.0  # a symbol state 0 never emits
    emissionprob /= emissionprob.sum(axis=1, keepdims=True)
    model = _categorical(startprob, transmat, emissionprob, implementation=implementation)
    # Sampled from the model, so every sequence has positive probability.
    parts = [model.sample(n, random_state=rng.integers(2**31))[0] for n in (lengths or [5])]
    X = np.concatenate(parts)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])])
    truths = [brute_force(startprob, transmat, _log(emissionprob[:, X[a:b, 0]].T))
              for a, b in zip(offsets[:-1], offsets[1:])]
    gamma = np.vstack([t["gamma"] for t in truths])

    assert_allclose(model.score(X, lengths), sum(t["log_likelihood"] for t in truths),
                    rtol=0, atol=TOL)
    log_lik, posteriors = model.score_samples(X, lengths)
    assert_allclose(log_lik, sum(t["log_likelihood"] for t in truths), rtol=0, atol=TOL)
    assert_allclose(posteriors, gamma, rtol=0, atol=TOL)
    assert_allclose(model.predict_proba(X, lengths), gamma, rtol=0, atol=TOL)
    log_prob, path = model.decode(X, lengths, algorithm="viterbi")
    assert_array_equal(path, np.concatenate([t["path"] for t in truths]))
    assert_allclose(log_prob, sum(t["path_log_prob"] for t in truths), rtol=0, atol=TOL)
    assert_array_equal(model.predict(X, lengths), path)
    # hmmlearn 0.3.3's 'map' decoder reports the sum of the largest posteriors.
    log_prob, path = model.decode(X, lengths, algorithm="map")
    assert_array_equal(path, gamma.argmax(axis=1))
    assert_allclose(log_prob, gamma.max(axis=1).sum(), rtol=0, atol=TOL)


# -- 3. Li Hang, Statistical Learning Methods, examples 10.2 and 10.3 ----------------------
def _boxes_and_balls():
    return _categorical(np.array([0.2, 0.4, 0.4]),
                        np.array([[0.5, 0.2, 0.3], [0.3, 0.5, 0.2], [0.2, 0.3, 0.5]]),
                        np.array([[0.5, 0.5], [0.4, 0.6], [0.7, 0.3]]))


def test_li_hang_example_10_2_forward_probability():
    model = _boxes_and_balls()
    O = np.array([[0], [1], [0]])  # red, white, red
    assert_allclose(np.exp(model.score(O)), 0.130218, rtol=0, atol=1e-6)
    # The book's forward variables alpha_3(i) = 0.04187, 0.03551, 0.05284.
    log_lik, filtered, _, _, _ = hmm_kernels.forward_backward(
        model.startprob_, model.transmat_, model._compute_log_likelihood(O),
        np.array([0, 3], dtype=np.int64), np.ones(1), True, False)
    assert_allclose(filtered[-1] * np.exp(log_lik[0]), [0.04187, 0.03551, 0.05284],
                    rtol=0, atol=5e-6)


def test_li_hang_example_10_3_viterbi_path():
    model = _boxes_and_balls()
    O = np.array([[0], [1], [0]])
    log_prob, path = model.decode(O, algorithm="viterbi")
    assert_allclose(np.exp(log_prob), 0.0147, rtol=0, atol=1e-6)
    assert_array_equal(path + 1, [3, 3, 3])


# -- 4. long sequences ------------------------------------------------------------------
@pytest.fixture(scope="module")
def million_steps():
    model = emkit.GaussianHMM(3, covariance_type="diag", init_params="", params="stmc")
    model.startprob_ = np.array([0.5, 0.3, 0.2])
    model.transmat_ = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    model.means_ = np.array([[0.0, 0.0], [3.0, 3.0], [-3.0, 4.0]])
    model.covars_ = np.array([[1.0, 1.0], [0.5, 2.0], [1.5, 0.7]])
    X, states = model.sample(1_000_000, random_state=0)
    return model, X


def test_a_million_steps_score_and_posteriors_match_the_log_space_recursion(million_steps):
    model, X = million_steps
    score = model.score(X)
    log_lik, posteriors = model.score_samples(X)
    assert np.isfinite(score) and log_lik == score
    assert not np.isnan(posteriors).any()
    assert_allclose(posteriors.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    ref_lik, ref_gamma, _ = hmm_kernels.forward_backward_log(
        np.log(model.startprob_), np.log(model.transmat_), model._compute_log_likelihood(X))
    assert_allclose(score, ref_lik, rtol=1e-9)
    assert_allclose(posteriors, ref_gamma, rtol=0, atol=1e-8)


def test_a_million_steps_one_fit_iteration_stays_at_the_truth(million_steps):
    truth, X = million_steps
    model = emkit.GaussianHMM(3, covariance_type="diag", init_params="", n_iter=1)
    model.startprob_ = truth.startprob_.copy()
    model.transmat_ = truth.transmat_.copy()
    model.means_ = truth.means_.copy()
    model.covars_ = truth._covars_.copy()
    model.fit(X)
    for value in (model.startprob_, model.transmat_, model.means_, model.covars_):
        assert np.all(np.isfinite(value))
    assert model.n_iter_ == 1 and len(model.monitor_.history) == 1
    # One EM step from the true parameters moves them by the sampling error only
    # (standard error of a mean ~ sqrt(2 / 300000) = 0.003, of a transition ~ 0.001).
    assert_allclose(model.means_, truth.means_, atol=0.02)
    assert_allclose(model._covars_, truth._covars_, atol=0.03)
    assert_allclose(model.transmat_, truth.transmat_, atol=0.01)


@pytest.mark.parametrize("structure", ["dense", "sparse"])
def test_long_random_sequence_scaled_equals_log_space(structure):
    rng = np.random.default_rng(3)
    K, T = 4, 200_000
    startprob, transmat = random_model(K, structure, rng)
    log_frame = rng.normal(scale=3.0, size=(T, K)) - 2.0
    ref_lik, ref_gamma, ref_trans = hmm_kernels.forward_backward_log(
        _log(startprob), _log(transmat), log_frame)
    offsets = np.array([0, T], dtype=np.int64)
    for shift in (True, False):
        log_lik, gamma, _, trans, ok = hmm_kernels.forward_backward(
            startprob, transmat, log_frame, offsets, np.ones(1), shift, True)
        assert ok[0]
        assert_allclose(log_lik[0], ref_lik, rtol=1e-9)
        assert_allclose(gamma, ref_gamma, rtol=0, atol=1e-8)
        # The log-space reference carries rounding of its running log-probabilities
        # (magnitude 1e6) into every one of the 200,000 terms of a count: ~1e-8 relative.
        assert_allclose(trans, ref_trans, rtol=1e-6)


# -- 5. robustness -----------------------------------------------------------------------
def _hmmlearn_underflow_case(implementation):
    prng = np.random.RandomState(0)
    data = np.concatenate([prng.normal(0, 1, 100), prng.normal(5, 1, 100),
                           prng.normal(0, 1, 100), prng.normal(5, 1, 100)])
    data[40] = 10000  # an outlier far in the tail of both states
    model = emkit.GaussianHMM(2, covariance_type="spherical", n_iter=100,
                              implementation=implementation, init_params="")
    model.startprob_ = [0.0, 1.0]
    model.transmat_ = [[0.4, 0.6], [0.6, 0.4]]
    model.means_ = [[0.0], [5.0]]
    model.covars_ = [[1.0], [1.0]]
    return model, data[:, None]


def test_outlier_fits_in_log_implementation():
    model, X = _hmmlearn_underflow_case("log")
    model.fit(X, [len(X)])
    for value in (model.startprob_, model.transmat_, model.means_, model.covars_):
        assert np.all(np.isfinite(value))
    assert np.isfinite(model.score(X))


def test_outlier_is_refused_by_the_scaling_implementation():
    model, X = _hmmlearn_underflow_case("scaling")
    with pytest.raises(ValueError, match="implementation='log'") as info:
        model.fit(X, [len(X)])
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("gap", [600.0, 800.0, 5000.0])
def test_log_space_redo_of_an_underflowing_step_matches_brute_force(kernel, gap):
    # State 2 can neither start nor be entered from states 0 and 1, yet at step 2 it has
    # by far the highest emission density: the shifted sum of the reachable states is
    # exp(-gap) * pred < 1e-250 (TINY), so the step is redone in log space.
    rng = np.random.default_rng(int(gap))
    startprob = np.array([0.6, 0.4, 0.0])
    transmat = np.array([[0.7, 0.3, 0.0], [0.5, 0.5, 0.0], [0.3, 0.3, 0.4]])
    log_frame = rng.normal(size=(4, 3))
    log_frame[2] = [-gap, -gap - 0.5, 0.0]
    truth = brute_force(startprob, transmat, log_frame)
    assert np.isfinite(truth["log_likelihood"])
    log_lik, gamma, start, trans, ok = kernel(startprob, transmat, log_frame,
                                              np.array([0, 4], dtype=np.int64), np.ones(1),
                                              True, True)
    # The kernel either is exact, or says it may not be (then the model recomputes the
    # sequence in log space); it is never silently wrong, and the model is always exact.
    if ok[0]:
        assert_allclose(log_lik[0], truth["log_likelihood"], rtol=0, atol=TOL)
        assert_allclose(gamma, truth["gamma"], rtol=0, atol=TOL)
        assert_allclose(trans, truth["trans"], rtol=0, atol=TOL)
    log_lik, gamma, start, trans = HMM(startprob, transmat, None).forward_backward(
        log_frame, np.array([4]))
    assert_allclose(log_lik[0], truth["log_likelihood"], rtol=0, atol=TOL)
    assert_allclose(gamma, truth["gamma"], rtol=0, atol=TOL)
    assert_allclose(trans, truth["trans"], rtol=0, atol=TOL)


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_state_whose_probability_underflowed_can_explain_later_steps(kernel):
    # Step 0: state 1 is 760 nats less likely than state 0, whose start probability is
    # 1e-100; the true filtered probability of state 1 is 1e-230 (representable), but
    # exp(-760) underflows in the scaled product. Step 1 can only be state 1's (no
    # switching); the true log-likelihood is -760 (path 1, 1), not -930 (path 0, 0).
    startprob = np.array([1e-100, 1.0])
    transmat = np.eye(2)
    log_frame = np.array([[0.0, -760.0], [-700.0, 0.0]])
    truth = brute_force(startprob, transmat, log_frame)
    assert_allclose(truth["log_likelihood"], -760.0, atol=1e-9)
    # The scaled kernel is either exact or says it may not be (ok False, and the model
    # then recomputes the sequence in log space); it is never silently wrong.
    for posteriors in (True, False):
        log_lik, *_, ok = kernel(startprob, transmat, log_frame,
                                 np.array([0, 2], dtype=np.int64), np.ones(1), True,
                                 posteriors)
        if ok[0]:
            assert_allclose(log_lik[0], truth["log_likelihood"], rtol=0, atol=TOL)
    log_lik, gamma, _, _ = HMM(startprob, transmat, None).forward_backward(
        log_frame, np.array([2]))
    assert_allclose(log_lik[0], truth["log_likelihood"], rtol=0, atol=TOL)
    assert_allclose(gamma, truth["gamma"], rtol=0, atol=TOL)


@pytest.mark.parametrize("T", [2, 3])
def test_gaussian_hmm_score_when_the_dropped_state_explains_the_data(T):
    # No switching (identity transitions): the sequence is all state 0 or all state 1,
    # each with probability 1/2. x_0 = 0 is 800 nats more likely under state 0, the
    # later steps (x = 40) are 800 nats more likely under state 1 each.
    model = emkit.GaussianHMM(2, init_params="", params="")
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.eye(2)
    model.means_ = np.array([[0.0], [40.0]])
    model.covars_ = np.ones((2, 1))
    X = np.array([[0.0]] + [[40.0]] * (T - 1))
    truth = brute_force(model.startprob_, model.transmat_,
                        norm.logpdf(X, loc=model.means_.ravel(), scale=1.0))
    assert_allclose(model.score(X), truth["log_likelihood"], rtol=0, atol=1e-9)
    assert_allclose(model.predict_proba(X), truth["gamma"], rtol=0, atol=1e-9)


# -- 6. structural zeros -------------------------------------------------------------------
def test_left_right_zeros_stay_zero():
    truth = emkit.GaussianHMM(3, covariance_type="diag")
    truth.startprob_ = np.array([1.0, 0.0, 0.0])
    truth.transmat_ = np.array([[0.85, 0.15, 0.0], [0.0, 0.85, 0.15], [0.0, 0.0, 1.0]])
    truth.means_ = np.array([[0.0], [5.0], [10.0]])
    truth.covars_ = np.ones((3, 1))
    rs = np.random.RandomState(0)
    X = np.concatenate([truth.sample(40, random_state=rs)[0] for _ in range(10)])
    model = emkit.GaussianHMM(3, covariance_type="diag", params="stmc", init_params="mc",
                              n_iter=50, random_state=0)
    model.startprob_ = truth.startprob_.copy()
    model.transmat_ = truth.transmat_.copy()
    model.fit(X, [40] * 10)
    zeros = truth.transmat_ == 0
    assert_array_equal(model.startprob_, [1.0, 0.0, 0.0])
    assert np.all(model.transmat_[zeros] == 0.0)
    assert np.all(model.transmat_[~zeros] > 0.0)
    assert_allclose(model.transmat_.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(np.isfinite(model.means_)) and np.all(np.isfinite(model.covars_))


# -- 7. states that get no posterior mass --------------------------------------------------
def _unreachable_state():
    model = emkit.CategoricalHMM(3, init_params="", n_iter=5, n_features=3)
    model.startprob_ = np.array([0.5, 0.5, 0.0])
    model.transmat_ = np.array([[0.6, 0.4, 0.0], [0.3, 0.7, 0.0], [0.2, 0.3, 0.5]])
    model.emissionprob_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7], [1 / 3, 1 / 3, 1 / 3]])
    X = np.random.default_rng(0).integers(0, 3, size=(200, 1))
    return model, X


def _state_that_emits_nothing_seen():
    model = emkit.CategoricalHMM(3, init_params="", n_iter=5, n_features=4)
    model.startprob_ = np.array([0.4, 0.4, 0.2])
    model.transmat_ = np.full((3, 3), 1 / 3)
    model.emissionprob_ = np.array([[0.5, 0.5, 0, 0], [0.2, 0.8, 0, 0], [0, 0, 0.5, 0.5]])
    X = np.random.default_rng(1).integers(0, 2, size=(200, 1))  # symbols 0 and 1 only
    return model, X


def _gaussian_state_far_from_the_data():
    model = emkit.GaussianHMM(3, init_params="", n_iter=5)
    model.startprob_ = np.array([0.4, 0.4, 0.2])
    model.transmat_ = np.full((3, 3), 1 / 3)
    model.means_ = np.array([[0.0], [3.0], [1e4]])
    model.covars_ = np.ones((3, 1))
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(0, 1, (100, 1)), rng.normal(3, 1, (100, 1))])
    return model, X


@pytest.mark.parametrize("case", [_unreachable_state, _state_that_emits_nothing_seen,
                                  _gaussian_state_far_from_the_data],
                         ids=["unreachable", "emits-nothing-seen", "gaussian-far"])
def test_a_state_without_posterior_mass_warns_and_stays_finite(case):
    model, X = case()
    with pytest.warns(ComponentCollapseWarning, match="State 2 received no posterior mass"):
        model.fit(X)
    # The empty state's posteriors are exactly zero under the fitted model.
    assert_array_equal(model.predict_proba(X)[:, 2], 0.0)
    names = ["startprob_", "transmat_"] + (["emissionprob_"] if hasattr(model, "emissionprob_")
                                           else ["means_", "covars_"])
    for name in names:
        value = getattr(model, name)
        assert np.all(np.isfinite(value)), name
    assert_allclose(model.transmat_.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(model.score(X))


# -- 8. sampling then refitting --------------------------------------------------------------
STICKY = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])


def _sample_sequences(model, n_sequences=20, length=500, seed=0):
    rs = np.random.RandomState(seed)
    X = np.concatenate([model.sample(length, random_state=rs)[0] for _ in range(n_sequences)])
    return X, [length] * n_sequences


def test_gaussian_hmm_recovers_a_sampled_model():
    truth = emkit.GaussianHMM(3, covariance_type="diag")
    truth.startprob_ = np.array([0.5, 0.3, 0.2])
    truth.transmat_ = STICKY
    truth.means_ = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    truth.covars_ = np.array([[1.0, 1.0], [0.5, 0.5], [2.0, 2.0]])
    X, lengths = _sample_sequences(truth)
    # Some seeds start from hmmlearn's random Dirichlet(1/K) transitions in the basin of a
    # fixed point where all means coincide (hmmlearn 0.3.3 lands there too); this one does
    # not.
    model = emkit.GaussianHMM(3, covariance_type="diag", n_iter=100, random_state=3).fit(
        X, lengths)
    order = np.argsort(model.means_[:, 0])
    # ~3300 steps per state: standard error of a mean <= sqrt(2 / 3300) = 0.025, of a
    # transition probability sqrt(0.9 * 0.1 / 3300) = 0.005.
    assert_allclose(model.means_[order], truth.means_, atol=0.1)
    assert_allclose(model.transmat_[np.ix_(order, order)], STICKY, atol=0.05)
    assert_allclose(model._covars_[order], truth._covars_, atol=0.2)


def test_categorical_hmm_recovers_a_sampled_model():
    emissions = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]])
    truth = _categorical(np.array([0.5, 0.3, 0.2]), STICKY, emissions)
    X, lengths = _sample_sequences(truth)
    model = emkit.CategoricalHMM(3, n_iter=100, random_state=0, n_init=3).fit(X, lengths)
    order = np.argmax(model.emissionprob_, axis=0)[[0, 1, 3]]
    assert sorted(order) == [0, 1, 2]
    # ~3300 steps per state: standard error of an emission probability
    # sqrt(0.7 * 0.3 / 3300) = 0.008, inflated by the uncertain state labels (the
    # emissions overlap); 0.06 is several standard errors.
    assert_allclose(model.emissionprob_[order], emissions, atol=0.06)
    assert_allclose(model.transmat_[np.ix_(order, order)], STICKY, atol=0.05)


def test_poisson_hmm_recovers_a_sampled_model():
    truth = emkit.PoissonHMM(3)
    truth.startprob_ = np.array([0.5, 0.3, 0.2])
    truth.transmat_ = STICKY
    truth.lambdas_ = np.array([[1.0], [5.0], [12.0]])
    X, lengths = _sample_sequences(truth)
    model = emkit.PoissonHMM(3, n_iter=100, random_state=0, n_init=3).fit(X, lengths)
    order = np.argsort(model.lambdas_[:, 0])
    # Standard error of a rate: sqrt(lambda / 3300) = 0.017, 0.039, 0.060; four of them.
    assert_allclose(model.lambdas_[order], truth.lambdas_,
                    atol=4 * np.sqrt(12.0 / 3300))
    assert_allclose(model.transmat_[np.ix_(order, order)], STICKY, atol=0.05)


# -- 9. sequence weights -----------------------------------------------------------------------
def _weighted_start(kind):
    rng = np.random.default_rng(4)
    if kind == "gaussian":
        model = emkit.GaussianHMM(2, covariance_type="full", init_params="", n_iter=6, tol=0)
        model.means_ = np.array([[-1.0, 0.0], [1.0, 0.5]])
        model.covars_ = np.array([np.eye(2), 2 * np.eye(2)])
        first, second = rng.normal(size=(30, 2)) - 1, rng.normal(size=(20, 2)) + 1
        names = ["means_", "covars_"]
    elif kind == "categorical":
        model = emkit.CategoricalHMM(2, init_params="", n_iter=6, tol=0, n_features=3)
        model.emissionprob_ = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]])
        first, second = rng.integers(0, 3, (30, 1)), rng.integers(0, 3, (20, 1))
        names = ["emissionprob_"]
    else:
        model = emkit.PoissonHMM(2, init_params="", n_iter=6, tol=0)
        model.lambdas_ = np.array([[1.0, 2.0], [4.0, 1.0]])
        first, second = rng.poisson(2.0, (30, 2)), rng.poisson(3.0, (20, 2))
        names = ["lambdas_"]
    model.startprob_ = np.array([0.6, 0.4])
    model.transmat_ = np.array([[0.7, 0.3], [0.2, 0.8]])
    return model, first, second, ["startprob_", "transmat_"] + names


@pytest.mark.parametrize("kind", ["gaussian", "categorical", "poisson"])
def test_a_sequence_weight_of_two_is_the_sequence_repeated(kind):
    weighted, first, second, names = _weighted_start(kind)
    repeated = _weighted_start(kind)[0]
    weighted.fit(np.concatenate([first, second]), [len(first), len(second)],
                 sample_weight=[2, 1])
    repeated.fit(np.concatenate([first, first, second]), [len(first), len(first), len(second)])
    for name in names:
        assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=0, atol=1e-8,
                        err_msg=name)
    assert_allclose(list(weighted.monitor_.history), list(repeated.monitor_.history),
                    rtol=1e-12)


# -- 10. n_init -------------------------------------------------------------------------------
def _restart_data():
    truth = emkit.GaussianHMM(3, covariance_type="diag")
    truth.startprob_ = np.array([0.5, 0.3, 0.2])
    truth.transmat_ = STICKY
    truth.means_ = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
    truth.covars_ = np.array([[1.0, 1.0], [0.5, 0.5], [2.0, 2.0]])
    return _sample_sequences(truth, n_sequences=5, length=200)


def test_n_init_keeps_the_best_start_and_its_history():
    X, lengths = _restart_data()
    starts = []

    def record(step):
        if step.iteration == 1:
            starts.append([])
        starts[-1].append((step.log_likelihood, step.model))

    model = emkit.GaussianHMM(3, n_init=5, random_state=0, n_iter=100, tol=1e-3)
    model.fit(X, lengths, callback=record)
    single = emkit.GaussianHMM(3, n_init=1, random_state=0, n_iter=100, tol=1e-3).fit(
        X, lengths)

    assert len(starts) == 5
    best = max(starts, key=lambda run: run[-1][0])
    # The kept start is the one with the highest log-likelihood, history and all.
    assert_allclose(list(model.monitor_.history), [ll for ll, _ in best], rtol=0, atol=0)
    assert model.n_iter_ == len(model.monitor_.history) == len(best)
    assert_array_equal(model.transmat_, best[-1][1].transmat)
    # The first start is the single-start fit with the same random_state.
    assert_allclose([ll for ll, _ in starts[0]], list(single.monitor_.history), rtol=1e-12)
    assert model.monitor_.history[-1] >= single.monitor_.history[-1]
    assert model.score(X, lengths) >= single.score(X, lengths) - 1e-6


# -- 11. honest convergence ----------------------------------------------------------------------
def _separated_data():
    rng = np.random.default_rng(6)
    X = np.concatenate([rng.normal(-5, 1, (150, 1)), rng.normal(5, 1, (150, 1)),
                        rng.normal(-5, 1, (150, 1))])
    return X


def test_the_iteration_cap_is_not_convergence():
    model = emkit.GaussianHMM(2, n_iter=2, tol=0, random_state=0).fit(_separated_data())
    assert model.converged_ is False
    assert model.monitor_.converged is False
    assert model.n_iter_ == 2 and len(model.monitor_.history) == 2


def test_convergence_is_reported_when_the_gain_falls_below_tol():
    model = emkit.GaussianHMM(2, n_iter=200, tol=1e-2, random_state=0).fit(_separated_data())
    assert model.converged_ is True
    assert model.monitor_.converged is True
    assert model.n_iter_ < 200 and len(model.monitor_.history) == model.n_iter_
    history = list(model.monitor_.history)
    assert abs(history[-1] - history[-2]) < 1e-2
    assert all(abs(b - a) >= 1e-2 for a, b in zip(history[:-2], history[1:-1]))


# -- 12. bad input, one clear sentence each -------------------------------------------------------
def _fitted_categorical():
    return _categorical(np.array([0.5, 0.5]), np.full((2, 2), 0.5),
                        np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]))


def _covars_of_shape(covariance_type, covars, set_before_means=False):
    # A GaussianHMM of 2 states on 2 features, given covars_ of some shape (hmmlearn#121):
    # the shape is checked against n_components when set, and n_features when fitting.
    def call():
        model = emkit.GaussianHMM(2, covariance_type=covariance_type, init_params="st")
        if set_before_means:
            model.covars_ = covars
        model.means_ = [[0.0, 0.0], [1.0, 1.0]]
        model.covars_ = covars
        model.fit(np.random.RandomState(0).normal(size=(40, 2)))
    return call


def _bad_transmat(transmat=((0.5, 0.5), (0.3, 0.5)), startprob=(0.5, 0.5), **priors):
    model = emkit.CategoricalHMM(2, init_params="", n_features=2, **priors)
    model.startprob_ = np.array(startprob)
    model.transmat_ = np.array(transmat)
    model.emissionprob_ = np.array([[0.5, 0.5], [0.5, 0.5]])
    model.fit([[0], [1], [0]])


_X10 = np.arange(10.0)[:, None]


def _gmmhmm_with(**values):
    # A GMMHMM of 2 states of 2 diagonal Gaussians on 2 features, given its parameters.
    model = emkit.GMMHMM(2, n_mix=2, covariance_type="diag", init_params="")
    model.startprob_, model.transmat_ = np.array([0.5, 0.5]), np.full((2, 2), 0.5)
    model.weights_, model.means_ = np.full((2, 2), 0.5), np.zeros((2, 2, 2))
    model.covars_ = np.ones((2, 2, 2))
    for name, value in values.items():
        setattr(model, name, np.array(value))
    return lambda: model.score(np.zeros((3, 2)))

BAD_INPUT = [
    ("lengths-sum", lambda: emkit.GaussianHMM(2).fit(_X10, lengths=[4, 5]),
     "lengths sums to 9 but X has 10 rows"),
    ("zero-length", lambda: emkit.GaussianHMM(2).fit(_X10, lengths=[5, 0, 5]),
     "at least one step"),
    ("negative-length", lambda: emkit.GaussianHMM(2).fit(_X10, lengths=[12, -2]),
     "at least one step"),
    ("symbol-too-large", lambda: emkit.CategoricalHMM(2, n_features=3).fit([[0], [1], [5]]),
     "symbol 5 but n_features is 3"),
    ("symbol-too-large-score", lambda: _fitted_categorical().score([[0], [5]]),
     "symbol 5 but n_features is 3"),
    ("non-integer-symbol", lambda: emkit.CategoricalHMM(2).fit([[0], [1.5], [1]]),
     "integer symbols"),
    ("transmat-rows", _bad_transmat, r"transmat_ must hold non-negative probabilities that "
                                     r"sum to 1 \(row 1\)"),
    # Rows that sum to 1 with a negative entry: the message names the entry, not the sums.
    ("transmat-negative", lambda: _bad_transmat(transmat=((1.2, -0.2), (0.5, 0.5))),
     r"^transmat_ must hold non-negative probabilities; entry \(0, 1\) is -0.2\.$"),
    ("startprob-negative", lambda: _bad_transmat(startprob=(1.5, -0.5)),
     r"^startprob_ must hold non-negative probabilities; entry 1 is -0.5\.$"),
    ("gmmhmm-negative-variance",
     _gmmhmm_with(covars_=[[[1.0, 1.0], [1.0, 1.0]], [[1.0, -1.0], [1.0, 1.0]]]),
     r"^'diag' covars_ must hold positive finite variances; state 1 mixture component 0 "
     r"feature 1 holds -1.0\.$"),
    ("gmmhmm-negative-weight", _gmmhmm_with(weights_=[[1.5, -0.5], [0.5, 0.5]]),
     r"^weights_ must hold non-negative weights; entry \(0, 1\) is -0.5\.$"),
    ("negative-counts", lambda: emkit.PoissonHMM(2).fit([[1], [-1], [2]]),
     "non-negative integer counts"),
    ("implementation", lambda: emkit.GaussianHMM(2, implementation="bogus").fit(_X10),
     "The 'implementation' parameter of GaussianHMM must be a str among"),
    # Every hyperparameter is checked when a fit starts, not deep inside numpy.
    ("min-covar-string", lambda: emkit.GMMHMM(2, 2, "diag").fit(_X10),
     r"The 'min_covar' parameter of GMMHMM must be a float in the range \[0.0, inf\)"),
    ("n-mix-zero", lambda: emkit.GMMHMM(2, n_mix=0).fit(_X10),
     r"The 'n_mix' parameter of GMMHMM must be an int in the range \[1, inf\)"),
    ("n-iter-string", lambda: emkit.PoissonHMM(2, n_iter="5").fit([[1], [2], [3]]),
     r"The 'n_iter' parameter of PoissonHMM must be an int in the range \[0, inf\)"),
    ("covars-prior-string", lambda: emkit.GaussianHMM(2, covars_prior="x").fit(_X10),
     "The 'covars_prior' parameter of GaussianHMM must be an instance of 'float' or an "
     "array-like"),
    ("n-features-zero", lambda: emkit.CategoricalHMM(2, n_features=0).fit([[0], [1]]),
     r"The 'n_features' parameter of CategoricalHMM must be an int in the range \[1, inf\)"),
    ("partial-fit-checks-too",
     lambda: emkit.GaussianHMM(0).partial_fit(_X10),
     r"The 'n_components' parameter of GaussianHMM must be an int in the range \[1, inf\)"),
    ("decode-algorithm", lambda: _fitted_categorical().decode([[0], [1]], algorithm="bogus"),
     "algorithm must be 'viterbi' or 'map'"),
    ("one-row", lambda: emkit.GaussianHMM(1).fit([[1.0, 2.0]]),
     "needs at least 2 samples to start its means and covariances from the data; got 1"),
    ("fewer-rows-than-states", lambda: emkit.GaussianHMM(3).fit(_X10[:2]),
     "needs at least 3 samples"),
    ("diag-covars-states", _covars_of_shape("diag", np.ones((3, 3))),
     r"'diag' covars must have shape \(n_components, n_features\) = \(2, n_features\); "
     r"got shape \(3, 3\)"),
    ("diag-covars-features", _covars_of_shape("diag", np.ones((2, 1))),
     r"= \(2, 2\); got shape \(2, 1\), while means_ has shape \(2, 2\)\.$"),
    ("full-covars-states", _covars_of_shape("full", np.tile(np.eye(2), (3, 1, 1))),
     r"'full' covars must have shape .* = \(2, n_features, n_features\); "
     r"got shape \(3, 2, 2\)"),
    ("full-covars-features", _covars_of_shape("full", np.tile(np.eye(3), (2, 1, 1))),
     r"= \(2, 2, 2\); got shape \(2, 3, 3\)"),
    ("tied-covars-features", _covars_of_shape("tied", np.eye(3)),
     r"'tied' covars must have shape \(n_features, n_features\) = \(2, 2\); "
     r"got shape \(3, 3\)"),
    ("spherical-covars-states", _covars_of_shape("spherical", np.ones(3), True),
     r"'spherical' covars must have shape \(n_components,\) = \(2,\); got shape \(3,\)"),
    # Values of the right shape: the component and what is wrong with it (hmmlearn's
    # "component 0 of 'full' covars must be symmetric, positive-definite", with why).
    ("full-covars-not-positive-definite",
     _covars_of_shape("full", np.array([[[1.0, 2.0], [2.0, 1.0]], np.eye(2)])),
     r"component 0 of 'full' covars must be positive-definite; its smallest eigenvalue "
     r"is -1\."),
    ("full-covars-not-symmetric",
     _covars_of_shape("full", np.array([np.eye(2), [[1.0, 0.5], [0.4, 1.0]]])),
     r"component 1 of 'full' covars must be symmetric; its largest asymmetry is 0\.1\."),
    ("tied-covars-not-positive-definite",
     _covars_of_shape("tied", np.array([[1.0, 2.0], [2.0, 1.0]])),
     r"'tied' covars must be positive-definite; its smallest eigenvalue is -1\."),
    ("diag-covars-negative", _covars_of_shape("diag", np.array([[1.0, 1.0], [1.0, -1.0]])),
     r"'diag' covars must be positive; component 1 holds \[ 1\. -1\.\]\."),
    ("spherical-covars-zero", _covars_of_shape("spherical", np.array([1.0, 0.0]), True),
     r"'spherical' covars must be positive; component 1 holds 0\."),
    ("spherical-covars-per-feature-unequal",
     _covars_of_shape("spherical", np.array([[1.0, 1.0], [2.0, 3.0]]), True),
     r"given per feature must repeat one variance per component; component 1 holds "
     r"\[2\. 3\.\]\."),
    ("spherical-covars-too-long", _covars_of_shape("spherical", np.ones(4), True),
     r"'spherical' covars must have shape \(n_components,\) = \(2,\); got shape \(4,\)"),
    ("diag-covars-full-not-diagonal",
     _covars_of_shape("diag", np.array([[[1.0, 0.5], [0.5, 1.0]], np.eye(2)])),
     r"^'diag' covars given as full matrices must be diagonal; component 0 has entries "
     r"off the diagonal\.$"),
    ("tied-covars-per-state-unequal",
     _covars_of_shape("tied", np.array([np.eye(2), 2 * np.eye(2)])),
     r"^'tied' covars given per component must repeat one matrix"),
    # Hyperparameters of the wrong shape are named when the fit starts (hmmlearn#58,
    # #118, #470), not by numpy after the first E-step.
    ("startprob-prior-shape", lambda: _bad_transmat(transmat=((0.5, 0.5), (0.5, 0.5)),
                                                    startprob_prior=np.ones(3)),
     r"^startprob_prior must be a number or an array that broadcasts to shape \(2,\); got "
     r"shape \(3,\)\.$"),
    ("transmat-prior-shape", lambda: _bad_transmat(transmat=((0.5, 0.5), (0.5, 0.5)),
                                                   transmat_prior=np.ones((3, 3))),
     r"^transmat_prior must be a number or an array that broadcasts to shape \(2, 2\)"),
    ("emissionprob-prior-shape", lambda: _bad_transmat(transmat=((0.5, 0.5), (0.5, 0.5)),
                                                       emissionprob_prior=np.ones((2, 4))),
     r"^emissionprob_prior must be a number or an array that broadcasts to shape \(2, 2\); "
     r"got shape \(2, 4\)\.$"),
    ("means-prior-shape", lambda: emkit.GaussianHMM(2, means_prior=np.ones(3)).fit(_X10),
     r"^means_prior must be a number, 2 values \(one per state\) or an array that "
     r"broadcasts to shape \(2, 1\); got shape \(3,\)\.$"),
    ("means-weight-full-per-feature",
     lambda: emkit.GaussianHMM(2, "full", means_weight=np.ones((2, 3))).fit(_X10),
     r"^means_weight must be a number or an array that broadcasts to shape \(2,\); got "
     r"shape \(2, 3\)\.$"),
    ("covars-prior-shape", lambda: emkit.GaussianHMM(2, covars_prior=np.ones((3, 2))).fit(_X10),
     r"^covars_prior must be a number, 2 values \(one per state\) or an array that "
     r"broadcasts to shape \(2, 1\); got shape \(3, 2\)\.$"),
    ("lambdas-prior-shape", lambda: emkit.PoissonHMM(2, lambdas_prior=np.ones(3)).fit(
        [[1], [2], [3], [4]]), r"^lambdas_prior must be a number, 2 values \(one per state\)"),
    ("prior-nan", lambda: emkit.GaussianHMM(2, means_weight=np.nan).fit(_X10),
     r"^means_weight holds NaN; give a number for every entry\.$"),
    ("sample-currstate", lambda: _fitted_categorical().sample(3, currstate=2),
     r"^currstate must be a state, an integer from 0 to 1; got 2\.$"),
    ("sample-negative-currstate", lambda: _fitted_categorical().sample(3, currstate=-1),
     r"^currstate must be a state, an integer from 0 to 1; got -1\.$"),
    ("sample-float-length", lambda: _fitted_categorical().sample(3.0),
     r"^n_samples must be a positive integer, the length of the sequence drawn; got 3\.0\.$"),
]


@pytest.mark.parametrize("call, phrase", [case[1:] for case in BAD_INPUT],
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_one_clear_sentence(call, phrase):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=phrase) as info:
            call()
    message = str(info.value)
    assert "\n" not in message
    assert message.endswith(".")


def test_extreme_random_models_match_brute_force():
    # Start probabilities down to exp(-300), sparse transitions, emission log-densities
    # a thousand nats apart: the model's forward-backward (scaled, with its log-space
    # recomputation when digits may be lost) equals brute force on every case.
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(400):
        K, T = int(rng.integers(2, 4)), int(rng.integers(1, 6))
        startprob = rng.dirichlet(np.ones(K))
        startprob[rng.random(K) < 0.3] = 0.0
        if startprob.sum() == 0:
            startprob[0] = 1.0
        if rng.random() < 0.5:
            startprob = startprob * np.exp(-rng.uniform(0, 300, K))
        startprob /= startprob.sum()
        transmat = rng.dirichlet(np.ones(K), size=K)
        transmat[rng.random((K, K)) < 0.4] = 0.0
        transmat[np.arange(K), np.arange(K)] += 1e-3
        transmat /= transmat.sum(axis=1, keepdims=True)
        log_frame = rng.normal(size=(T, K)) * rng.choice([1.0, 100.0, 1000.0])
        truth = brute_force(startprob, transmat, log_frame)
        if not np.isfinite(truth["log_likelihood"]):
            continue
        model = HMM(startprob, transmat, None)
        log_lik, gamma, _, trans = model.forward_backward(log_frame, np.array([T]))
        score = model.forward_backward(log_frame, np.array([T]), posteriors=False)[0]
        scale = max(1.0, abs(truth["log_likelihood"]))
        assert_allclose(log_lik[0], truth["log_likelihood"], rtol=0, atol=1e-9 * scale)
        assert_allclose(score[0], truth["log_likelihood"], rtol=0, atol=1e-9 * scale)
        assert_allclose(gamma, truth["gamma"], rtol=0, atol=1e-8)
        assert_allclose(trans, truth["trans"], rtol=0, atol=1e-8)
        checked += 1
    assert checked > 300


def test_an_impossible_sequence_in_one_chunk_stops_the_fit_with_the_engine_message():
    # One sequence holds a symbol no state emits; the other chunks are fine. The chunk
    # statistics must still add up, and the fit must say the likelihood is not finite.
    model = emkit.CategoricalHMM(2, init_params="", n_iter=3)
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.full((2, 2), 0.5)
    model.emissionprob_ = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    X = np.tile([[0], [1], [0], [0]], (300, 1))
    X[-2] = 2
    with emkit.config_context(chunk_size=40), pytest.raises(FloatingPointError,
                                                             match="not finite"):
        model.fit(X, [4] * 300)


def _small_awkward_data(seed):
    # 5 to 79 rows of 1 to 3 features, at scales from 1e-3 to 1e3 and offsets up to 1e4;
    # every third seed rounded to integers (repeated values, all zeros at small scales),
    # every fifth with a constant first feature.
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(5, 80)), int(rng.integers(1, 4))
    X = (rng.normal(size=(n, d)) * 10 ** rng.uniform(-3, 3)
         + 10 ** rng.uniform(0, 4) * rng.integers(0, 2))
    if seed % 3 == 0:
        X = np.round(X)
    if seed % 5 == 0:
        X[:, 0] = 3.0
    return X, rng


@pytest.mark.parametrize("seed", range(20))
def test_small_awkward_fits_end_finite(seed):
    # Fits with more parameters than the data can hold (states on one point, constant
    # features, data far from the origin) end with finite parameters and scores: every
    # singular covariance gets min_covar. Before, seed 9 ended a GMMHMM fit with a
    # log-likelihood of -inf and seed 18 raised in the factorization of a GaussianHMM
    # covariance singular but for rounding.
    X, rng = _small_awkward_data(seed)
    makers = ([lambda K, c=c: emkit.GaussianHMM(K, c, n_iter=20, random_state=seed)
               for c in ("diag", "full", "tied", "spherical")]
              + [lambda K, c=c: emkit.GMMHMM(K, n_mix=2, covariance_type=c, n_iter=20,
                                             random_state=seed)
                 for c in ("diag", "full", "tied", "spherical")])
    for make in makers:
        model = make(int(rng.integers(2, 6)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X)
        for name in ("startprob_", "transmat_", "means_", "covars_"):
            assert np.isfinite(getattr(model, name)).all(), (model, name)
        assert np.isfinite(model.score(X))
        assert model.predict(X).shape == (len(X),)
