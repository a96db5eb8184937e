"""emkit's GMMHMM and MultinomialHMM against hmmlearn 0.3.3's, run side by side.

Each test builds an hmmlearn model and an emkit model from the same start (the same
``startprob_``, ``transmat_`` and emission parameters with ``init_params=''``, or the same
integer ``random_state``), fits both on the same multi-sequence data and compares every
entry of ``monitor_.history``, the fitted parameters, and ``score``, ``score_samples``,
``decode`` (viterbi and map) and ``predict_proba``. hmmlearn is the oracle; the
tolerance is 1e-6 relative, with no absolute part.

With ``tol=0`` hmmlearn stops as soon as the log-likelihood does not rise; each test
checks that both libraries ran every iteration. Differences that are emkit's on purpose
are asserted at the end: GMMHMM's ``aic``/``bic`` count ``n_components * (n_mix - 1)``
free weights (hmmlearn counts ``n_mix - 1``, the weights of one state), and hitting
``n_iter`` is not convergence.
"""

import logging
import warnings

import numpy as np
import pytest
from hmmlearn import hmm as hl_hmm
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from emkit import hmm
from emkit.exceptions import ComponentCollapseWarning, ConvergenceWarning

RTOL = 1e-6
COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")
IMPLEMENTATIONS = ("log", "scaling")
LENGTHS = [60, 45, 80, 35]
N_ITER = 12
TRANSMAT = np.array([[0.85, 0.10, 0.05], [0.10, 0.80, 0.10], [0.15, 0.15, 0.70]])


@pytest.fixture(scope="module", autouse=True)
def _quiet_and_one_thread():
    # hmmlearn's MultinomialHMM logs a notice on every construction; k-means and BLAS
    # on one thread keep the module fast on a busy machine.
    logger = logging.getLogger("hmmlearn")
    level = logger.level
    logger.setLevel(logging.ERROR)
    with threadpool_limits(limits=1):
        yield
    logger.setLevel(level)


def _states(rng, n):
    states = [rng.choice(3)]
    for _ in range(n - 1):
        states.append(rng.choice(3, p=TRANSMAT[states[-1]]))
    return np.array(states)


@pytest.fixture(scope="module")
def X_gmm():
    """Three states, each a mixture of two 2-D Gaussians, overlapping."""
    rng = np.random.RandomState(0)
    centres = np.array([[[0.0, 0.0], [2.0, 1.0]], [[4.0, 0.0], [5.0, 2.5]],
                        [[0.0, 4.0], [-2.0, 5.0]]])
    states = _states(rng, sum(LENGTHS))
    picks = rng.randint(2, size=len(states))
    return centres[states, picks] + rng.randn(len(states), 2) * 0.9


@pytest.fixture(scope="module")
def counts():
    rng = np.random.RandomState(1)
    probs = np.array([[0.6, 0.2, 0.1, 0.1], [0.1, 0.2, 0.3, 0.4], [0.25, 0.4, 0.25, 0.1]])
    states = _states(rng, sum(LENGTHS))
    equal = np.array([rng.multinomial(6, probs[k]) for k in states])
    varying = np.array([rng.multinomial(rng.randint(1, 9), probs[k]) for k in states])
    return {"equal": equal, "varying": varying}


def _fit_quietly(model, X, lengths=LENGTHS):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, lengths)


def assert_same_fit(ref, est, X, names, start=True):
    """Fit hmmlearn's ``ref`` and emkit's ``est``; with ``start``, from ref's own start."""
    if start:
        ref._init(X, LENGTHS)
        ref._check()
        for name in names:
            setattr(est, name, np.copy(getattr(ref, name)))
        ref.init_params = est.init_params = ""
    _fit_quietly(ref, X)
    _fit_quietly(est, X)
    assert len(ref.monitor_.history) == len(est.monitor_.history) == N_ITER
    assert_allclose(est.monitor_.history, ref.monitor_.history, rtol=RTOL, atol=0)
    for name in names:
        assert_allclose(getattr(est, name), getattr(ref, name), rtol=RTOL, atol=0,
                        err_msg=name)


def assert_same_inference(ref, est, X):
    assert_allclose(est.score(X, LENGTHS), ref.score(X, LENGTHS), rtol=RTOL)
    (ll_est, post_est), (ll_ref, post_ref) = (m.score_samples(X, LENGTHS) for m in (est, ref))
    assert_allclose(ll_est, ll_ref, rtol=RTOL)
    assert_allclose(post_est, post_ref, rtol=RTOL, atol=1e-12)
    assert_allclose(est.predict_proba(X, LENGTHS), ref.predict_proba(X, LENGTHS),
                    rtol=RTOL, atol=1e-12)
    for algorithm in ("viterbi", "map"):
        (lp_est, path_est), (lp_ref, path_ref) = (
            m.decode(X, LENGTHS, algorithm=algorithm) for m in (est, ref))
        assert_allclose(lp_est, lp_ref, rtol=RTOL)
        assert_array_equal(path_est, path_ref)


GMM_NAMES = ("startprob_", "transmat_", "weights_", "means_", "covars_")


def _gmm_pair(covariance_type, implementation="log", **kwargs):
    options = dict(n_components=3, n_mix=2, covariance_type=covariance_type, n_iter=N_ITER,
                   tol=0, random_state=1, implementation=implementation, **kwargs)
    return hl_hmm.GMMHMM(**options), hmm.GMMHMM(**options)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmm_same_start_matches_hmmlearn(X_gmm, covariance_type, implementation):
    ref, est = _gmm_pair(covariance_type, implementation)
    assert_same_fit(ref, est, X_gmm, GMM_NAMES)
    assert_same_inference(ref, est, X_gmm)


def _priors(covariance_type):
    # Informative priors of every kind, valid for the covariance type.
    covars = {"full": (0.2, 1.0), "tied": (0.2, 1.0), "diag": (0.4, 0.3),
              "spherical": (0.4, 0.3)}[covariance_type]
    return dict(weights_prior=2.0, means_prior=np.array([1.0, 0.5]), means_weight=0.5,
                covars_prior=covars[0], covars_weight=covars[1], startprob_prior=2.0,
                transmat_prior=1.5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmm_with_priors_matches_hmmlearn(X_gmm, covariance_type):
    ref, est = _gmm_pair(covariance_type, **_priors(covariance_type))
    assert_same_fit(ref, est, X_gmm, GMM_NAMES)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("params", ["stmc", "stcw", "tw", "smw"])
def test_gmm_partial_params_match_hmmlearn(X_gmm, covariance_type, params):
    ref, est = _gmm_pair(covariance_type, params=params)
    assert_same_fit(ref, est, X_gmm, GMM_NAMES)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmm_default_init_matches_hmmlearn(X_gmm, covariance_type):
    # k-means into states, then into each state's mixture; the covariances from the
    # data's (hmmlearn's np.cov, here summed chunk by chunk).
    ref, est = _gmm_pair(covariance_type)
    assert_same_fit(ref, est, X_gmm, GMM_NAMES, start=False)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gmm_a_gaussian_with_tiny_weight_moves_as_in_hmmlearn(covariance_type):
    # The second Gaussian of state 0 starts far from the data: after the first E-step it
    # holds 4e-15 of its state's mass, positive but far below 1e-10 of the data.
    # hmmlearn's MAP step divides by that mass exactly and moves the Gaussian to the rows
    # that carry it; emkit did keep it. Its covariance is the one difference: hmmlearn's
    # GMMHMM divides by the mass itself, emkit by at least 1e-5, hmmlearn's GaussianHMM
    # guard (an exact division overflows or breaks the factorization on other data).
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, size=(300, 1)), rng.normal(4, 1, size=(300, 1))])
    covars = np.ones((2, 2, 1)) if covariance_type == "diag" else np.ones((2, 2, 1, 1))
    start = dict(startprob_=np.array([0.5, 0.5]), transmat_=np.full((2, 2), 0.5),
                 weights_=np.full((2, 2), 0.5), means_=np.array([[[0.0], [14.0]],
                                                                 [[4.0], [3.0]]]),
                 covars_=covars)
    fitted = []
    for lib in (hl_hmm, hmm):
        model = lib.GMMHMM(2, 2, covariance_type=covariance_type, n_iter=1, tol=0,
                           init_params="")
        for name, value in start.items():
            setattr(model, name, value.copy())
        fitted.append(_fit_quietly(model, X, [len(X)]))
    ref, est = fitted
    assert 0 < ref.weights_[0, 1] < 1e-13  # the premise: nearly, not wholly, empty
    for name in GMM_NAMES[:-1]:
        assert_allclose(getattr(est, name), getattr(ref, name), rtol=1e-6, err_msg=name)
    assert abs(est.means_[0, 1, 0] - 14.0) > 1.0  # it moved
    # The covariances of the others are hmmlearn's; the tiny one divides by 1e-5.
    assert_allclose(np.delete(est.covars_.reshape(4, -1), 1, axis=0),
                    np.delete(ref.covars_.reshape(4, -1), 1, axis=0), rtol=1e-6)
    # Same numerator, a denominator 1e-5 in place of a mass near 1e-12: every entry of
    # the tiny Gaussian's covariance is hmmlearn's times one ratio, far below 1.
    ratio = np.ravel(est.covars_[0, 1]) / np.ravel(ref.covars_[0, 1])[0]
    flat = np.ravel(ref.covars_[0, 1]) / np.ravel(ref.covars_[0, 1])[0]
    assert_allclose(ratio, flat * ratio[0], rtol=1e-6)
    assert 0 < ratio[0] < 1e-5


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "full", "tied"])
def test_gmm_on_constant_data_floors_every_covariance_at_min_covar(covariance_type):
    # Every row is 0: each Gaussian's scatter is exactly 0, so each covariance must be
    # min_covar (the closed form). Gaussians whose weight falls to 1e-150 and below get
    # means near 1e-176 and, from the exact MAP division, variances that are subnormal
    # numbers, which used to end the diag fit with a log-likelihood of -inf: a variance
    # that is not a normal number counts as zero.
    # Spherical takes the flat prior: hmmlearn's default one counts n_mix = 2 where the
    # flat one counts n_features = 1, so a Gaussian of weight below 1 has no MAP there
    # and keeps its covariance (test_gmm_improper_spherical_prior_keeps_the_covariance).
    X = np.zeros((33, 1))
    est = hmm.GMMHMM(3, n_mix=2, covariance_type=covariance_type, n_iter=20,
                     random_state=36,
                     covars_prior=-1.5 if covariance_type == "spherical" else None)
    _fit_quietly(est, X, [len(X)])
    assert np.isfinite(est.score(X))
    variances = np.ravel(est.covars_)
    assert_allclose(variances[variances != 0], est.min_covar, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmm_seeded_sample_draws_what_hmmlearn_draws(X_gmm, covariance_type):
    ref, est = _gmm_pair(covariance_type)
    assert_same_fit(ref, est, X_gmm, GMM_NAMES)
    for seed, currstate in ((0, None), (7, 2)):
        X, states = est.sample(40, random_state=seed, currstate=currstate)
        X_ref, states_ref = ref.sample(40, random_state=seed, currstate=currstate)
        assert_array_equal(states, states_ref)
        assert_allclose(X, X_ref, rtol=1e-9)
        assert X.dtype == X_ref.dtype and X.shape == X_ref.shape


def test_gmm_spherical_default_prior_is_hmmlearns_for_any_n_mix(X_gmm):
    # hmmlearn's default spherical prior counts n_mix where maximum likelihood counts
    # n_features; with n_mix = 3 and two features the step is not maximum likelihood,
    # and emkit follows it.
    options = dict(n_components=2, n_mix=3, covariance_type="spherical", n_iter=N_ITER,
                   tol=0, random_state=2)
    ref, est = hl_hmm.GMMHMM(**options), hmm.GMMHMM(**options)
    assert_same_fit(ref, est, X_gmm, GMM_NAMES)


def test_gmm_n_parameters_count_every_states_weights(X_gmm):
    # On purpose: hmmlearn counts n_mix - 1 free weights in all (one state's); emkit
    # counts n_mix - 1 per state, so its aic and bic are larger by the difference.
    ref, est = _gmm_pair("diag")
    assert_same_fit(ref, est, X_gmm, GMM_NAMES)
    missing = (3 - 1) * (2 - 1)
    assert_allclose(est.aic(X_gmm) - ref.aic(X_gmm), 2 * missing, rtol=1e-9)
    assert_allclose(est.bic(X_gmm) - ref.bic(X_gmm), missing * np.log(len(X_gmm)),
                    rtol=1e-9)


def test_hitting_n_iter_is_not_convergence(X_gmm, counts):
    ref, est = _gmm_pair("diag")
    assert_same_fit(ref, est, X_gmm, GMM_NAMES)
    assert ref.monitor_.converged and not est.monitor_.converged and not est.converged_


# ---------------------------------------------------------------- MultinomialHMM


def _multinomial_pair(implementation="log", **kwargs):
    options = dict(n_components=3, n_iter=N_ITER, tol=0, random_state=3,
                   implementation=implementation, **kwargs)
    return hl_hmm.MultinomialHMM(**options), hmm.MultinomialHMM(**options)


MULTINOMIAL_NAMES = ("startprob_", "transmat_", "emissionprob_")


@pytest.mark.parametrize("totals", ["equal", "varying"])
@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_multinomial_same_start_matches_hmmlearn(counts, implementation, totals):
    X = counts[totals]
    ref, est = _multinomial_pair(implementation)
    assert_same_fit(ref, est, X, MULTINOMIAL_NAMES)
    assert_same_inference(ref, est, X)
    assert_allclose(est.aic(X, LENGTHS), ref.aic(X, LENGTHS), rtol=RTOL)
    assert_allclose(est.bic(X, LENGTHS), ref.bic(X, LENGTHS), rtol=RTOL)


@pytest.mark.parametrize("totals", ["equal", "varying"])
def test_multinomial_default_init_matches_hmmlearn(counts, totals):
    ref, est = _multinomial_pair()
    assert_same_fit(ref, est, counts[totals], MULTINOMIAL_NAMES, start=False)


@pytest.mark.parametrize("params", ["e", "st", "se"])
def test_multinomial_partial_params_match_hmmlearn(counts, params):
    ref, est = _multinomial_pair(params=params)
    assert_same_fit(ref, est, counts["varying"], MULTINOMIAL_NAMES)


def test_multinomial_seeded_sample_draws_what_hmmlearn_draws(counts):
    ref, est = _multinomial_pair(n_trials=6)
    assert_same_fit(ref, est, counts["equal"], MULTINOMIAL_NAMES)
    X, states = est.sample(40, random_state=5)
    X_ref, states_ref = ref.sample(40, random_state=5)
    assert_array_equal(states, states_ref)
    assert_array_equal(X, X_ref)
    assert X.dtype == X_ref.dtype


def test_multinomial_n_trials_from_the_data(counts):
    # hmmlearn keeps each row's total; emkit keeps one number when the rows agree (so
    # the fitted model samples), and each row's otherwise, as hmmlearn.
    for totals, expected in (("equal", 6), ("varying", counts["varying"].sum(axis=1))):
        ref, est = _multinomial_pair()
        _fit_quietly(ref, counts[totals])
        _fit_quietly(est, counts[totals])
        assert_array_equal(est.n_trials, expected)
        assert_array_equal(ref.n_trials, counts[totals].sum(axis=1))


def test_gmm_improper_spherical_prior_keeps_the_covariance():
    # hmmlearn#365: hmmlearn's default spherical prior with n_mix = 3 > n_features = 2
    # divides by 2 (weight + 1) - 3, negative for a Gaussian of weight below 1/2. Its
    # variance there comes out negative, or huge, or tiny; emkit keeps it, says why, and
    # moves the other Gaussians as hmmlearn does.
    rng = np.random.RandomState(4)
    X = np.concatenate([rng.randn(60, 2) - 3, rng.randn(60, 2) + 3])
    start = dict(startprob_=np.array([1.0]), transmat_=np.array([[1.0]]),
                 weights_=np.array([[0.45, 0.45, 0.1]]),
                 means_=np.array([[[-3.0, -3.0], [3.0, 3.0], [8.0, 8.0]]]),
                 covars_=np.array([[1.0, 1.0, 2.0]]))
    options = dict(n_mix=3, covariance_type="spherical", init_params="", n_iter=1,
                   params="c")
    ref, est = hl_hmm.GMMHMM(1, **options), hmm.GMMHMM(1, **options)
    for model in (ref, est):
        for name, value in start.items():
            setattr(model, name, value.copy())
    _fit_quietly(ref, X, [len(X)])
    with pytest.warns(ComponentCollapseWarning, match=r"^The covariance of Gaussian 2 of "
                      r"mixture 0 was kept: its weight \(.*\) is too small for the "
                      "covariance prior"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X, [len(X)])
    assert ref.covars_[0, 2] < 0  # hmmlearn's: not a variance
    assert est.covars_[0, 2] == 2.0
    assert_allclose(est.covars_[0, :2], ref.covars_[0, :2], rtol=1e-9)
