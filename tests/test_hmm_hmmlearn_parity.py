"""emkit's hidden Markov models against hmmlearn 0.3.3, run side by side.

``from emkit import hmm`` is meant to replace ``from hmmlearn import hmm``. Every test
below builds an hmmlearn model and an emkit model from the *same* initial parameters (or
the same ``random_state``), fits both on the same multi-sequence data and compares the
numbers: every entry of ``monitor_.history``, the fitted parameters, and then ``score``,
``score_samples``, ``decode`` (viterbi and map), ``predict``, ``predict_proba``, ``aic``
and ``bic``. hmmlearn is the oracle; the tolerance is 1e-6 relative.

Notes on comparing the two libraries:

* hmmlearn stores a spherical ``_covars_`` as (n_components, n_features) with repeated
  columns after an M-step (and its spherical ``covars_`` getter is broken), while emkit
  stores (n_components,). The tests compare the compact form, column 0 for hmmlearn.
* hmmlearn 0.3.3 accumulates the first-moment statistics of GaussianHMM only when 'm' is
  in ``params`` (``_needs_sufficient_statistics_for_mean``), so ``params`` holding 'c'
  without 'm' computes the covariances from zero statistics and the fit falls apart.
  For such ``params`` the parity tests use ``_HmmlearnGaussianHMM``, hmmlearn's class
  with that one predicate fixed, so that hmmlearn's own M-step formulas (the
  covariances about the fixed means) are the oracle; everywhere else the oracle is
  stock ``hmmlearn.hmm.GaussianHMM``.
* With ``tol=0`` hmmlearn stops as soon as the log-likelihood does not rise (it reads a
  fall as convergence). The data and iteration counts are chosen so that both libraries
  run every iteration, and each test checks that premise.
* The comparison is purely relative (``rtol=1e-6``, no ``atol``), posteriors and
  small probabilities included.
* Both libraries run k-means (OpenMP) and small BLAS calls; the module limits thread
  pools to one thread, which keeps it fast on a busy machine.

Differences that are emkit's on purpose are asserted explicitly at the end of the file:
hitting ``n_iter`` is not convergence (hmmlearn's ``monitor_.converged`` is True there,
emkit's ``monitor_.converged`` and ``converged_`` are False); a fall of the likelihood
under a MAP prior does not stop the fit; a refit from an integer ``random_state``
repeats the first fit; an impossible observation scores -inf with
``implementation="scaling"`` too.
"""

import functools
import warnings

import numpy as np
import pytest
from hmmlearn import hmm as hl_hmm
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from emkit import hmm
from emkit.exceptions import (ComponentCollapseWarning, ConvergenceWarning,
                               LikelihoodDecreaseWarning)

RTOL = 1e-6
COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")
IMPLEMENTATIONS = ("log", "scaling")
LENGTHS = [70, 55, 90, 40, 25]  # several sequences of unequal length
N_COMPONENTS = 3
N_FEATURES = 3
N_ITER = 20

TRUE_STARTPROB = np.array([0.5, 0.3, 0.2])
TRUE_TRANSMAT = np.array([[0.80, 0.10, 0.10],
                          [0.15, 0.70, 0.15],
                          [0.20, 0.20, 0.60]])


class _HmmlearnGaussianHMM(hl_hmm.GaussianHMM):
    """hmmlearn's GaussianHMM, accumulating the mean statistics whenever 'c' needs them.

    hmmlearn 0.3.3 skips ``stats['post']`` and ``stats['obs']`` unless 'm' is in
    ``params``, although its covariance update reads them. Everything else is
    hmmlearn's own code.
    """

    def _needs_sufficient_statistics_for_mean(self):
        return "m" in self.params or "c" in self.params


# --------------------------------------------------------------------------- data


def _states(rng, n_samples):
    states = np.empty(n_samples, dtype=int)
    states[0] = rng.choice(N_COMPONENTS, p=TRUE_STARTPROB)
    for t in range(1, n_samples):
        states[t] = rng.choice(N_COMPONENTS, p=TRUE_TRANSMAT[states[t - 1]])
    return states


def gaussian_data(seed=0):
    """Overlapping 3-D Gaussian emissions from a 3-state chain (plain NumPy draws)."""
    rng = np.random.RandomState(seed)
    means = np.array([[0.0, 0.0, 0.0], [2.0, 1.0, 0.0], [-1.0, 2.0, 1.0]])
    factors = rng.randn(N_COMPONENTS, N_FEATURES, N_FEATURES) * 0.3
    covars = np.array([a @ a.T + s * np.eye(N_FEATURES)
                       for a, s in zip(factors, (1.0, 0.5, 1.5))])
    states = _states(rng, sum(LENGTHS))
    X = np.array([rng.multivariate_normal(means[k], covars[k]) for k in states])
    return X


def categorical_data(seed=0):
    rng = np.random.RandomState(seed)
    emissionprob = np.array([[0.50, 0.30, 0.10, 0.10],
                             [0.10, 0.20, 0.30, 0.40],
                             [0.25, 0.25, 0.40, 0.10]])
    states = _states(rng, sum(LENGTHS))
    return np.array([rng.choice(4, p=emissionprob[k]) for k in states])[:, None]


def poisson_data(seed=0):
    rng = np.random.RandomState(seed)
    lambdas = np.array([[1.0, 3.0, 0.5], [4.0, 1.0, 2.0], [2.0, 2.0, 6.0]])
    states = _states(rng, sum(LENGTHS))
    return rng.poisson(lambdas[states])


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    # Both libraries run k-means (OpenMP) and small BLAS calls; one thread keeps the
    # module fast on a loaded machine and changes no number compared here.
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def X_gauss():
    return gaussian_data()


@pytest.fixture(scope="module")
def X_cat():
    return categorical_data()


@pytest.fixture(scope="module")
def X_pois():
    return poisson_data()


# ----------------------------------------------------------------------- helpers


def compact_covars(model):
    """``_covars_`` in emkit's compact layout (spherical: one variance per state)."""
    covars = np.asarray(model._covars_)
    if model.covariance_type == "spherical":
        return covars.reshape(model.n_components, -1)[:, 0]
    return covars


@functools.lru_cache(maxsize=None)
def _gaussian_start(covariance_type, random_state):
    ref = hl_hmm.GaussianHMM(N_COMPONENTS, covariance_type, random_state=random_state)
    ref._init(gaussian_data(), LENGTHS)
    return ref


def gaussian_start(covariance_type, random_state=1):
    """Initial parameters drawn by hmmlearn's own ``_init`` (k-means, Dirichlet) on
    ``gaussian_data()``; ``set_attrs`` copies them."""
    ref = _gaussian_start(covariance_type, random_state)
    return dict(startprob_=ref.startprob_.copy(), transmat_=ref.transmat_.copy(),
                means_=ref.means_.copy(), covars_=compact_covars(ref).copy())


def set_attrs(model, params):
    """Set fitted attributes (copies) on a model."""
    for name, value in params.items():
        setattr(model, name, np.array(value, copy=True))
    return model


def fit_both(ref, est, X, lengths=LENGTHS, n_iter=None):
    ref.fit(X, lengths)
    est.fit(X, lengths)
    if n_iter is not None:
        # The premise of the comparison: neither library stopped early.
        assert len(ref.monitor_.history) == n_iter
        assert len(est.monitor_.history) == n_iter
    return ref, est


def assert_same_history(ref, est):
    assert len(est.monitor_.history) == len(ref.monitor_.history)
    assert_allclose(list(est.monitor_.history), list(ref.monitor_.history), rtol=RTOL)
    assert est.monitor_.iter == ref.monitor_.iter


def assert_same_transitions(ref, est):
    assert_allclose(est.startprob_, ref.startprob_, rtol=RTOL)
    assert_allclose(est.transmat_, ref.transmat_, rtol=RTOL)


def assert_same_gaussian(ref, est):
    assert_same_transitions(ref, est)
    assert est.n_features == ref.n_features
    assert_allclose(est.means_, ref.means_, rtol=RTOL)
    assert_allclose(compact_covars(est), compact_covars(ref), rtol=RTOL)
    if ref.covariance_type != "spherical":  # hmmlearn's spherical getter is broken
        assert_allclose(est.covars_, ref.covars_, rtol=RTOL)


def assert_same_inference(ref, est, X, lengths=LENGTHS):
    """score, score_samples, decode (both decoders), predict, predict_proba, aic, bic."""
    assert_allclose(est.score(X, lengths), ref.score(X, lengths), rtol=RTOL)
    ref_logprob, ref_post = ref.score_samples(X, lengths)
    est_logprob, est_post = est.score_samples(X, lengths)
    assert_allclose(est_logprob, ref_logprob, rtol=RTOL)
    assert_allclose(est_post, ref_post, rtol=RTOL)
    for algorithm in ("viterbi", "map"):
        ref_lp, ref_path = ref.decode(X, lengths, algorithm=algorithm)
        est_lp, est_path = est.decode(X, lengths, algorithm=algorithm)
        assert_allclose(est_lp, ref_lp, rtol=RTOL, err_msg=algorithm)
        assert_array_equal(est_path, ref_path, err_msg=algorithm)
    assert_array_equal(est.predict(X, lengths), ref.predict(X, lengths))
    assert_allclose(est.predict_proba(X, lengths), ref.predict_proba(X, lengths),
                    rtol=RTOL)
    assert_allclose(est.aic(X, lengths), ref.aic(X, lengths), rtol=RTOL)
    assert_allclose(est.bic(X, lengths), ref.bic(X, lengths), rtol=RTOL)


def gaussian_pair(covariance_type, start, **kwargs):
    options = dict(init_params="", tol=0, n_iter=N_ITER)
    options.update(kwargs)
    params = options.get("params", "stmc")
    oracle = (_HmmlearnGaussianHMM if "c" in params and "m" not in params
              else hl_hmm.GaussianHMM)
    ref = oracle(N_COMPONENTS, covariance_type, **options)
    est = hmm.GaussianHMM(N_COMPONENTS, covariance_type, **options)
    return set_attrs(ref, start), set_attrs(est, start)


def gaussian_priors(covariance_type):
    covars_weight = 2.0
    if covariance_type in ("full", "tied"):
        covars_weight += N_FEATURES  # the inverse-Wishart weight must exceed n_features
    return dict(startprob_prior=np.array([2.0, 3.0, 4.0]),
                transmat_prior=np.full((N_COMPONENTS, N_COMPONENTS), 2.0)
                + 3.0 * np.eye(N_COMPONENTS),
                means_prior=np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]),
                means_weight=2.0, covars_prior=1.0, covars_weight=covars_weight)


# ------------------------------------------------------------------ GaussianHMM


def test_oracle_subclass_changes_nothing_when_m_is_fitted(X_gauss):
    # The fixed predicate is only consulted for params without 'm'; with 'stmc' the
    # subclass is stock hmmlearn.
    start = gaussian_start("diag")
    stock = set_attrs(hl_hmm.GaussianHMM(N_COMPONENTS, "diag", init_params="", tol=0,
                                          n_iter=5), start)
    fixed = set_attrs(_HmmlearnGaussianHMM(N_COMPONENTS, "diag", init_params="", tol=0,
                                            n_iter=5), start)
    stock.fit(X_gauss, LENGTHS)
    fixed.fit(X_gauss, LENGTHS)
    assert_array_equal(list(fixed.monitor_.history), list(stock.monitor_.history))
    assert_array_equal(fixed._covars_, stock._covars_)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_same_start_matches_hmmlearn(X_gauss, covariance_type, implementation):
    start = gaussian_start(covariance_type)
    ref, est = gaussian_pair(covariance_type, start, implementation=implementation)
    fit_both(ref, est, X_gauss, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_gaussian(ref, est)
    assert est._covars_.shape == {"spherical": (N_COMPONENTS,),
                                  "diag": (N_COMPONENTS, N_FEATURES),
                                  "full": (N_COMPONENTS, N_FEATURES, N_FEATURES),
                                  "tied": (N_FEATURES, N_FEATURES)}[covariance_type]
    assert_same_inference(ref, est, X_gauss)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_with_priors_matches_hmmlearn(X_gauss, covariance_type, implementation):
    start = gaussian_start(covariance_type)
    ref, est = gaussian_pair(covariance_type, start, implementation=implementation,
                             **gaussian_priors(covariance_type))
    fit_both(ref, est, X_gauss, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_gaussian(ref, est)
    assert_same_inference(ref, est, X_gauss)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("params", ["st", "mc", "stm", "sc"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_partial_params_match_hmmlearn(X_gauss, covariance_type, params,
                                                implementation):
    # Fitting only some parameters converges fast; 10 iterations keep the gains well
    # above rounding, so that hmmlearn (tol=0) does not stop on a noise-level fall.
    n_iter = 10
    start = gaussian_start(covariance_type)
    ref, est = gaussian_pair(covariance_type, start, implementation=implementation,
                             params=params, n_iter=n_iter)
    fit_both(ref, est, X_gauss, n_iter=n_iter)
    assert_same_history(ref, est)
    assert_same_gaussian(ref, est)
    # What is not in params is left exactly as it started.
    if "s" not in params:
        assert_array_equal(est.startprob_, start["startprob_"])
    if "t" not in params:
        assert_array_equal(est.transmat_, start["transmat_"])
    if "m" not in params:
        assert_array_equal(est.means_, start["means_"])
    if "c" not in params:
        assert_array_equal(compact_covars(est), start["covars_"])
    assert_same_inference(ref, est, X_gauss)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gaussian_covars_about_fixed_means_closed_form(X_gauss, covariance_type):
    # The 'c'-without-'m' update checked without hmmlearn (whose stock 0.3.3 class gets
    # it wrong, see the module docstring): one iteration from the start gives the
    # posterior-weighted scatter about the *fixed* means, plus hmmlearn's default
    # covars_prior=1e-2 (covars_weight=1 adds nothing to the denominator).
    start = gaussian_start(covariance_type)
    gamma = set_attrs(hmm.GaussianHMM(N_COMPONENTS, covariance_type),
                       start).predict_proba(X_gauss, LENGTHS)
    est = set_attrs(hmm.GaussianHMM(N_COMPONENTS, covariance_type, init_params="",
                                     params="sc", n_iter=1), start)
    est.fit(X_gauss, LENGTHS)
    diff = X_gauss[:, None, :] - start["means_"][None]  # (T, K, D)
    occupancy = gamma.sum(axis=0)
    if covariance_type == "diag":
        scatter = np.einsum("tk,tkd->kd", gamma, diff**2)
        expected = (1e-2 + scatter) / occupancy[:, None]
    else:
        scatter = np.einsum("tk,tkd,tke->kde", gamma, diff, diff)
        expected = (1e-2 + scatter) / occupancy[:, None, None]
    assert_allclose(est._covars_, expected, rtol=1e-10)
    assert_array_equal(est.means_, start["means_"])


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_gaussian_left_right_matches_hmmlearn(X_gauss, implementation):
    # Zeros in startprob_ and transmat_ stay zero in both (hmmlearn's np.where guard),
    # and the -inf log-probabilities they give go through both decoders alike.
    start = gaussian_start("diag")
    start["startprob_"] = np.array([1.0, 0.0, 0.0])
    start["transmat_"] = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    ref, est = gaussian_pair("diag", start, implementation=implementation)
    fit_both(ref, est, X_gauss, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_gaussian(ref, est)
    assert np.all(est.startprob_[1:] == 0) and np.all(est.transmat_[start["transmat_"] == 0] == 0)
    assert_same_inference(ref, est, X_gauss)


def _parse_verbose(text):
    rows = [line.split() for line in text.splitlines() if line.strip()]
    return [(int(i), float(log_prob), float(delta)) for i, log_prob, delta in rows]


def test_verbose_output_matches_hmmlearn(X_gauss, capsys):
    # The same per-iteration lines on stderr: iteration, log-likelihood, gain.
    start = gaussian_start("full")
    ref, est = gaussian_pair("full", start, n_iter=5, verbose=True)
    ref.fit(X_gauss, LENGTHS)
    ref_out, ref_err = capsys.readouterr()
    est.fit(X_gauss, LENGTHS)
    est_out, est_err = capsys.readouterr()
    assert not ref_out and not est_out
    ref_rows, est_rows = _parse_verbose(ref_err), _parse_verbose(est_err)
    assert [r[0] for r in est_rows] == [r[0] for r in ref_rows] == [1, 2, 3, 4, 5]
    assert_allclose([r[1] for r in est_rows], [r[1] for r in ref_rows], rtol=RTOL)
    assert np.isnan(est_rows[0][2]) and np.isnan(ref_rows[0][2])
    assert_allclose([r[2] for r in est_rows[1:]], [r[2] for r in ref_rows[1:]], rtol=1e-4)


def test_map_algorithm_parameter_matches_hmmlearn(X_gauss):
    # algorithm="map" in the constructor drives predict and decode in both.
    start = gaussian_start("diag")
    ref, est = gaussian_pair("diag", start, n_iter=5, algorithm="map")
    fit_both(ref, est, X_gauss, n_iter=5)
    assert_array_equal(est.predict(X_gauss, LENGTHS), ref.predict(X_gauss, LENGTHS))
    ref_lp, ref_path = ref.decode(X_gauss, LENGTHS)
    est_lp, est_path = est.decode(X_gauss, LENGTHS)
    assert_allclose(est_lp, ref_lp, rtol=RTOL)
    assert_array_equal(est_path, ref_path)
    assert_array_equal(est_path, est.predict_proba(X_gauss, LENGTHS).argmax(axis=1))


@pytest.mark.parametrize("lengths", [None, LENGTHS])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_default_init_matches_hmmlearn(X_gauss, covariance_type, lengths):
    # k-means means, data-covariance covars and Dirichlet start/transitions drawn from
    # the same seed, then hmmlearn's default n_iter=10, tol=1e-2.
    ref = hl_hmm.GaussianHMM(3, covariance_type, random_state=7).fit(X_gauss, lengths)
    est = hmm.GaussianHMM(3, covariance_type, random_state=7).fit(X_gauss, lengths)
    assert_same_history(ref, est)
    assert_same_gaussian(ref, est)
    assert_same_inference(ref, est, X_gauss, lengths)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_init_matches_hmmlearn(X_gauss, covariance_type):
    # ``_init`` alone (no EM): the initial parameters are the same draws.
    ref = hl_hmm.GaussianHMM(3, covariance_type, random_state=7)
    est = hmm.GaussianHMM(3, covariance_type, random_state=7)
    ref._init(X_gauss, LENGTHS)
    est._init(X_gauss, LENGTHS)
    assert_allclose(est.startprob_, ref.startprob_, rtol=RTOL)
    assert_allclose(est.transmat_, ref.transmat_, rtol=RTOL)
    assert_allclose(est.means_, ref.means_, rtol=RTOL)
    assert_allclose(compact_covars(est), compact_covars(ref), rtol=RTOL)


# --------------------------------------------------------------- CategoricalHMM


def categorical_start(X, n_features=None, random_state=3):
    ref = hl_hmm.CategoricalHMM(N_COMPONENTS, n_features=n_features,
                                random_state=random_state)
    ref._init(X, LENGTHS)
    return dict(startprob_=ref.startprob_.copy(), transmat_=ref.transmat_.copy(),
                emissionprob_=ref.emissionprob_.copy())


def assert_same_categorical(ref, est):
    assert_same_transitions(ref, est)
    assert est.n_features == ref.n_features
    assert_allclose(est.emissionprob_, ref.emissionprob_, rtol=RTOL)


CATEGORICAL_PRIORS = [
    {},
    dict(startprob_prior=2.0, transmat_prior=3.0,
         emissionprob_prior=np.full((N_COMPONENTS, 4), 1.5)),
    dict(startprob_prior=np.array([2.0, 3.0, 4.0]),
         transmat_prior=np.full((N_COMPONENTS, N_COMPONENTS), 2.0) + np.eye(N_COMPONENTS),
         emissionprob_prior=np.array([[2.0, 1.0, 1.0, 3.0]] * N_COMPONENTS)),
]


@pytest.mark.parametrize("priors", CATEGORICAL_PRIORS, ids=["flat", "scalar", "array"])
@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_categorical_same_start_matches_hmmlearn(X_cat, implementation, priors):
    start = categorical_start(X_cat)
    options = dict(init_params="", tol=0, n_iter=N_ITER, implementation=implementation,
                   **priors)
    ref = set_attrs(hl_hmm.CategoricalHMM(N_COMPONENTS, **options), start)
    est = set_attrs(hmm.CategoricalHMM(N_COMPONENTS, **options), start)
    fit_both(ref, est, X_cat, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_categorical(ref, est)
    assert_same_inference(ref, est, X_cat)


@pytest.mark.parametrize("n_features", [None, 4, 6])
@pytest.mark.parametrize("emissionprob_prior", [1.0, 1.5])
@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_categorical_default_init_matches_hmmlearn(X_cat, implementation,
                                                   emissionprob_prior, n_features):
    # n_features inferred from the data (None) or given, including symbols never seen.
    options = dict(random_state=7, implementation=implementation,
                   emissionprob_prior=emissionprob_prior, n_features=n_features)
    ref = hl_hmm.CategoricalHMM(N_COMPONENTS, **options).fit(X_cat, LENGTHS)
    est = hmm.CategoricalHMM(N_COMPONENTS, **options).fit(X_cat, LENGTHS)
    assert est.n_features == (4 if n_features is None else n_features)
    assert est.emissionprob_.shape == (N_COMPONENTS, est.n_features)
    assert_same_history(ref, est)
    assert_same_categorical(ref, est)
    assert_same_inference(ref, est, X_cat)


@pytest.mark.parametrize("n_features", [None, 5])
def test_categorical_same_start_n_features_matches_hmmlearn(X_cat, n_features):
    start = categorical_start(X_cat, n_features=n_features)
    options = dict(init_params="", tol=0, n_iter=N_ITER, n_features=n_features)
    ref = set_attrs(hl_hmm.CategoricalHMM(N_COMPONENTS, **options), start)
    est = set_attrs(hmm.CategoricalHMM(N_COMPONENTS, **options), start)
    fit_both(ref, est, X_cat, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_categorical(ref, est)
    assert_same_inference(ref, est, X_cat)


# ------------------------------------------------------------------- PoissonHMM


def poisson_start(X, random_state=3):
    ref = hl_hmm.PoissonHMM(N_COMPONENTS, random_state=random_state)
    ref._init(X, LENGTHS)
    return dict(startprob_=ref.startprob_.copy(), transmat_=ref.transmat_.copy(),
                lambdas_=ref.lambdas_.copy())


def assert_same_poisson(ref, est):
    assert_same_transitions(ref, est)
    assert_allclose(est.lambdas_, ref.lambdas_, rtol=RTOL)


POISSON_PRIORS = [
    {},
    dict(lambdas_prior=2.0, lambdas_weight=0.5),
    dict(lambdas_prior=np.array([[1.0, 2.0, 3.0]] * N_COMPONENTS),
         lambdas_weight=np.array([[0.5], [1.0], [2.0]]),
         startprob_prior=2.0, transmat_prior=2.0),
]


@pytest.mark.parametrize("priors", POISSON_PRIORS, ids=["flat", "scalar", "array"])
@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_poisson_same_start_matches_hmmlearn(X_pois, implementation, priors):
    start = poisson_start(X_pois)
    options = dict(init_params="", tol=0, n_iter=N_ITER, implementation=implementation,
                   **priors)
    ref = set_attrs(hl_hmm.PoissonHMM(N_COMPONENTS, **options), start)
    est = set_attrs(hmm.PoissonHMM(N_COMPONENTS, **options), start)
    fit_both(ref, est, X_pois, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_poisson(ref, est)
    assert_same_inference(ref, est, X_pois)


@pytest.mark.parametrize("priors", POISSON_PRIORS[:2], ids=["flat", "scalar"])
@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_poisson_default_init_matches_hmmlearn(X_pois, implementation, priors):
    options = dict(random_state=7, implementation=implementation, **priors)
    ref = hl_hmm.PoissonHMM(N_COMPONENTS, **options).fit(X_pois, LENGTHS)
    est = hmm.PoissonHMM(N_COMPONENTS, **options).fit(X_pois, LENGTHS)
    assert_same_history(ref, est)
    assert_same_poisson(ref, est)
    assert_same_inference(ref, est, X_pois)


# ----------------------------------------- states with a tiny but positive posterior mass
# After the first E-step from these starts, one state's posterior mass is far below any
# share of the data (1e-12 to 1e-170) but not zero. Exact EM, hmmlearn's, moves that
# state to the weighted mean of the rows that carry the mass, and the state may come
# back to life; emkit does the same (it keeps a state's parameters only below 1e-280,
# where its M-step divides exactly: the column families', and any emission prior's, which
# is hmmlearn's formula; only the Gaussian families' own M-step, which adds
# scikit-learn's 10 epsilons to the weight, keeps a state below 1e-10 of the data).
def _poisson_with_a_column_of_zeros():
    source = hl_hmm.PoissonHMM(3, random_state=99)
    source.startprob_ = np.array([0.6, 0.3, 0.1])
    source.transmat_ = np.array([[0.1, 0.2, 0.7], [0.3, 0.5, 0.2], [0.5, 0.5, 0.0]])
    source.lambdas_ = np.array([[17.4, 22.1], [35.3, 60.8], [50.1, 12.9]])
    counts, _ = source.sample(500, random_state=99)
    X = np.c_[counts, np.zeros(500, dtype=int)]  # a count column that is always 0
    start = dict(startprob_=[1 / 3] * 3, transmat_=np.full((3, 3), 1 / 3),
                 lambdas_=[[75.96, 24.51, 81.52], [3.81, 14.07, 24.77],
                           [34.55, 18.26, 25.61]])
    return X, "PoissonHMM", dict(n_iter=12), start, ("lambdas_",)


def _categorical_symbol_never_seen():
    rng = np.random.default_rng(5)
    X = rng.integers(0, 3, size=(400, 1))  # symbol 3 never appears
    start = dict(startprob_=[0.4, 0.4, 0.2], transmat_=np.full((3, 3), 1 / 3),
                 emissionprob_=[[0.5, 0.3, 0.2, 0.0], [0.1, 0.3, 0.6, 0.0],
                                [1e-20, 1e-20, 1e-20, 1.0]])
    return X, "CategoricalHMM", dict(n_iter=8, n_features=4), start, ("emissionprob_",)


def _gaussian_state_far_from_the_data():
    # hmmlearn's Gaussian M-step divides by the state's mass exactly too (means_weight 0),
    # and floors the variances' denominator at 1e-5: the far state moves to the mean of
    # the rows nearest it, with variances near covars_prior / 1e-5.
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, size=(300, 2)), rng.normal(4, 1, size=(300, 2))])
    start = dict(startprob_=[0.4, 0.4, 0.2], transmat_=np.full((3, 3), 1 / 3),
                 means_=[[0.0, 0.0], [4.0, 4.0], [16.0, 16.0]], covars_=np.ones((3, 2)))
    return X, "GaussianHMM", dict(n_iter=4), start, ("means_", "covars_")


@pytest.mark.parametrize("case", [_poisson_with_a_column_of_zeros,
                                  _categorical_symbol_never_seen,
                                  _gaussian_state_far_from_the_data],
                         ids=["poisson-zero-column", "categorical-unseen-symbol",
                              "gaussian-far-state"])
def test_a_state_with_tiny_posterior_mass_moves_as_in_hmmlearn(case):
    X, name, kwargs, start, fitted = case()
    # n_iter: fewer than the iterations after which hmmlearn reads a flat step as
    # convergence.
    options = dict(init_params="", tol=0, **kwargs)
    ref = set_attrs(getattr(hl_hmm, name)(3, **options), start)
    est = set_attrs(getattr(hmm, name)(3, **options), start)
    first = ref.predict_proba(X).sum(axis=0)
    assert 0 < first.min() < 1e-10  # the premise: one state is nearly, not wholly, empty
    ref.fit(X)
    est.fit(X)
    assert_same_history(ref, est)
    assert_allclose(est.score(X), ref.score(X), rtol=RTOL)
    for attr in fitted:
        assert_allclose(getattr(est, attr), getattr(ref, attr), rtol=RTOL, atol=1e-9,
                        err_msg=attr)
    # The nearly empty state moved (before, emkit kept its starting parameters).
    empty = int(np.argmin(first))
    moved = getattr(est, fitted[0])[empty]
    assert not np.allclose(moved, np.asarray(start[fitted[0]])[empty])


# ------------------------------------------------- emkit's deliberate differences


@pytest.mark.parametrize("far", [8.0, 20.0])
def test_a_full_state_on_one_point_gets_min_covar_and_the_fit_goes_on(far):
    # The third state starts far from the data. Its mass falls onto the one row nearest
    # it (far=8) or below hmmlearn's 1e-5 denominator (far=20), and hmmlearn's MAP step
    # with the scalar covars_prior=1e-2 then makes its covariance singular to rounding:
    # 1e-2 (or 1e3) in every entry. hmmlearn 0.3.3 regularizes that matrix inside its
    # density when LAPACK refuses it (far=8) and raises when it does not (far=20); emkit
    # used to raise in the family's own factorization. Now the matrix is singular by an
    # eigenvalue test beyond rounding, gets min_covar on its diagonal with a warning
    # that names the state, and the fit ends finite, as do the other covariance types.
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 1, size=(300, 2)), rng.normal(4, 1, size=(300, 2))])
    est = set_attrs(hmm.GaussianHMM(3, "full", n_iter=15, tol=0, init_params=""),
                    dict(startprob_=[0.4, 0.4, 0.2], transmat_=np.full((3, 3), 1 / 3),
                         means_=[[0.0, 0.0], [4.0, 4.0], [far, far]],
                         covars_=np.tile(np.eye(2), (3, 1, 1))))
    with pytest.warns(ComponentCollapseWarning, match="covariance of state 2 is singular"):
        est.fit(X)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        assert np.isfinite(getattr(est, name)).all(), name
    assert np.isfinite(est.score(X))
    smallest = np.linalg.eigvalsh(est.covars_[2])[0]
    assert smallest >= 0.999 * est.min_covar


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "full"])
def test_a_state_on_one_point_far_from_the_origin_gets_min_covar(covariance_type):
    # With covars_prior=0 the third state collapses onto one row of data that sits 1000
    # from the origin: its scatter is exactly 0, but computed from moments about the
    # shift it comes out as rounding noise (a variance near 1e-12 and not 0, before).
    # Judged against the rounding of those moments, every variance of that state is
    # singular and becomes min_covar.
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(0, 1, size=(300, 2)),
                        rng.normal(4, 1, size=(300, 2))]) + 1000.0
    covars = {"diag": np.ones((3, 2)), "spherical": np.ones(3),
              "full": np.tile(np.eye(2), (3, 1, 1))}[covariance_type]
    est = set_attrs(hmm.GaussianHMM(3, covariance_type, n_iter=15, tol=0, init_params="",
                                    covars_prior=0.0),
                    dict(startprob_=[0.4, 0.4, 0.2], transmat_=np.full((3, 3), 1 / 3),
                         means_=[[1000.0, 1000.0], [1004.0, 1004.0], [1008.0, 1008.0]],
                         covars_=covars))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LikelihoodDecreaseWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(ComponentCollapseWarning, match="covariance of state 2"):
            est.fit(X)
    assert_allclose(np.diagonal(est.covars_[2]), est.min_covar, rtol=1e-6)
    assert np.isfinite(est.score(X))


@pytest.mark.parametrize("make", [
    lambda lib: lib.GaussianHMM(N_COMPONENTS, "diag", random_state=7, n_iter=3, tol=1e-9),
    lambda lib: lib.CategoricalHMM(N_COMPONENTS, random_state=7, n_iter=3, tol=1e-9),
    lambda lib: lib.PoissonHMM(N_COMPONENTS, random_state=7, n_iter=3, tol=1e-9),
], ids=["gaussian", "categorical", "poisson"])
def test_hitting_n_iter_is_not_convergence(X_gauss, X_cat, X_pois, make):
    # hmmlearn's ConvergenceMonitor.converged is ``iter == n_iter or gain < tol``, so a
    # fit stopped by the iteration cap reads "converged". emkit's is only the gain.
    X = {"GaussianHMM": X_gauss, "CategoricalHMM": X_cat,
         "PoissonHMM": X_pois}[type(make(hmm)).__name__]
    ref, est = fit_both(make(hl_hmm), make(hmm), X, n_iter=3)
    assert_same_history(ref, est)  # the same fit...
    assert ref.monitor_.converged  # ...that hmmlearn calls converged
    assert not est.monitor_.converged
    assert est.converged_ is False
    assert est.n_iter_ == 3


def test_meeting_tol_is_convergence_in_both(X_gauss):
    ref = hl_hmm.GaussianHMM(N_COMPONENTS, "diag", random_state=7, n_iter=100, tol=1.0)
    est = hmm.GaussianHMM(N_COMPONENTS, "diag", random_state=7, n_iter=100, tol=1.0)
    fit_both(ref, est, X_gauss)
    assert_same_history(ref, est)
    assert len(est.monitor_.history) < 100
    assert ref.monitor_.converged and est.monitor_.converged and est.converged_
    assert est.n_iter_ == len(est.monitor_.history)


def test_fall_under_map_prior_stops_hmmlearn_but_not_emkit(X_gauss):
    # With priors the M-step maximizes the posterior, and the log-likelihood hmmlearn
    # monitors may fall. hmmlearn's converged is ``gain < tol`` (signed), so a fall
    # ends its fit as "converged"; emkit's is ``|gain| < tol`` and keeps iterating.
    # Up to the fall both fits are the same.
    priors = dict(gaussian_priors("spherical"), means_weight=20.0)
    ref, est = gaussian_pair("spherical", gaussian_start("spherical", 2), **priors)
    ref.fit(X_gauss, LENGTHS)
    est.fit(X_gauss, LENGTHS)
    ref_history = list(ref.monitor_.history)
    n_ref = len(ref_history)
    assert n_ref < N_ITER and ref_history[-1] < ref_history[-2]
    assert ref.monitor_.converged
    assert len(est.monitor_.history) == N_ITER
    assert_allclose(list(est.monitor_.history)[:n_ref], ref_history, rtol=RTOL)
    assert not est.converged_


@pytest.mark.parametrize("name", ["CategoricalHMM", "PoissonHMM", "GaussianHMM"])
def test_refit_from_int_random_state_repeats_the_fit(X_gauss, X_cat, X_pois, name):
    # emkit leaves random_state as given (scikit-learn's convention), so a second fit
    # draws the same start and repeats the first. (hmmlearn 0.3.3's CategoricalHMM and
    # PoissonHMM replace ``self.random_state`` by the RandomState their ``_init``
    # consumed, so their second fit starts elsewhere; only the first fit is compared.)
    X = {"GaussianHMM": X_gauss, "CategoricalHMM": X_cat, "PoissonHMM": X_pois}[name]
    ref = getattr(hl_hmm, name)(N_COMPONENTS, random_state=7, n_iter=3)
    est = getattr(hmm, name)(N_COMPONENTS, random_state=7, n_iter=3)
    fit_both(ref, est, X)
    assert_same_history(ref, est)
    first = list(est.monitor_.history)
    est.fit(X, LENGTHS)
    assert est.random_state == 7
    assert_array_equal(list(est.monitor_.history), first)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_impossible_observation_scores_minus_inf(implementation):
    # A symbol no state emits. hmmlearn's log implementation scores -inf, and so does
    # emkit with either implementation; hmmlearn's scaling implementation raises
    # ValueError ("forward pass failed with underflow") instead, which emkit keeps for
    # real underflow of a possible sequence (see the ported test_underflow_from_scaling).
    params = dict(startprob_=np.array([0.5, 0.5]),
                  transmat_=np.array([[0.9, 0.1], [0.1, 0.9]]),
                  emissionprob_=np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0]]))
    X = np.array([[0], [2], [1]])
    ref = set_attrs(hl_hmm.CategoricalHMM(2, implementation="log"), params)
    est = set_attrs(hmm.CategoricalHMM(2, implementation=implementation), params)
    with np.errstate(divide="ignore"):
        assert ref.score(X) == -np.inf
    assert est.score(X) == -np.inf


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_posteriors_and_paths_of_an_impossible_sequence_are_refused(implementation):
    # hmmlearn's log implementation returns NaN posteriors, a NaN 'map' score and an
    # arbitrary Viterbi path for a sequence of probability zero (0 / 0). emkit scores it
    # -inf like hmmlearn and refuses, in one sentence naming the sequence, what is
    # undefined for it; the possible sequences beside it are decoded as hmmlearn does.
    params = dict(startprob_=np.array([0.5, 0.5]),
                  transmat_=np.array([[0.9, 0.1], [0.1, 0.9]]),
                  emissionprob_=np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0]]))
    X, lengths = np.array([[0], [1], [1], [0], [2], [1], [1], [0]]), [3, 3, 2]
    ref = set_attrs(hl_hmm.CategoricalHMM(2, implementation="log"), params)
    est = set_attrs(hmm.CategoricalHMM(2, implementation=implementation), params)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert ref.score(X, lengths) == est.score(X, lengths) == -np.inf
        assert np.isnan(ref.predict_proba(X, lengths)[3:6]).all()
    sentence = r"^Sequence 1 of X \(rows 3 to 5\) has zero probability under the fitted model"
    calls = {"its state posteriors are undefined": [
                 lambda: est.score_samples(X, lengths), lambda: est.predict_proba(X, lengths),
                 lambda: est.decode(X, lengths, algorithm="map")],
             "its most probable state path is undefined": [
                 lambda: est.decode(X, lengths), lambda: est.predict(X, lengths)]}
    for consequence, methods in calls.items():
        for method in methods:
            with pytest.raises(ValueError, match=f"{sentence}, so {consequence};"):
                method()
    possible = np.r_[0:3, 6:8]
    for algorithm in ("viterbi", "map"):
        got, expected = (model.decode(X[possible], [3, 2], algorithm=algorithm)
                         for model in (est, ref))
        assert_allclose(got[0], expected[0], rtol=1e-12)
        assert_array_equal(got[1], expected[1])
    assert_allclose(est.predict_proba(X[possible], [3, 2]),
                    ref.predict_proba(X[possible], [3, 2]), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------- hyperparameters and helpers


@pytest.mark.parametrize("covariance_type", ["spherical", "diag"])
def test_per_state_gaussian_priors_are_hmmlearns_column_form(X_gauss, covariance_type):
    # hmmlearn documents means_prior, means_weight and covars_prior as
    # (n_components,) arrays, one value per state, but broadcasts them along the features
    # (an error unless n_features == n_components). emkit reads a 1-D array of one value
    # per state as that state's value for every feature: hmmlearn's (n_components, 1)
    # column gives the same fit.
    # (hmmlearn's diagonal M-step takes covars_weight as a number only.)
    per_state = dict(means_prior=np.array([0.0, 1.0, 2.0]),
                     means_weight=np.array([1.0, 2.0, 3.0]),
                     covars_prior=np.array([0.5, 1.0, 2.0]))
    columns = {name: value[:, None] for name, value in per_state.items()}
    start = gaussian_start(covariance_type)
    ref, _ = gaussian_pair(covariance_type, start, **columns)
    _, est = gaussian_pair(covariance_type, start, **per_state)
    fit_both(ref, est, X_gauss, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_gaussian(ref, est)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_per_state_means_weight_of_full_covariances_is_the_closed_form(X_gauss,
                                                                        covariance_type):
    # One EM step updating the means alone: each state's mean is
    # (w_k m_k + sum_t gamma_tk x_t) / (w_k + sum_t gamma_tk), with hmmlearn's posteriors
    # of the start (hmmlearn itself fails on a per-state means_weight here).
    start = gaussian_start(covariance_type)
    means_weight, means_prior = np.array([1.0, 5.0, 20.0]), np.array([0.0, 1.0, -1.0])
    _, est = gaussian_pair(covariance_type, start, params="m", n_iter=1,
                           means_weight=means_weight, means_prior=means_prior)
    ref, _ = gaussian_pair(covariance_type, start)
    est.fit(X_gauss, LENGTHS)
    gamma = ref.predict_proba(X_gauss, LENGTHS)
    expected = ((means_weight * means_prior)[:, None] + gamma.T @ X_gauss) / (
        means_weight + gamma.sum(axis=0))[:, None]
    assert_allclose(est.means_, expected, rtol=1e-9)


def test_per_state_poisson_prior_is_hmmlearns_column_form(X_pois):
    # lambdas_prior and lambdas_weight: (n_components,) in hmmlearn's documentation.
    start = poisson_start(X_pois)
    options = dict(init_params="", tol=0, n_iter=N_ITER)
    ref = set_attrs(hl_hmm.PoissonHMM(N_COMPONENTS, lambdas_prior=[[1.0], [4.0], [9.0]],
                                      lambdas_weight=[[0.5], [1.0], [2.0]], **options), start)
    est = set_attrs(hmm.PoissonHMM(N_COMPONENTS, lambdas_prior=[1.0, 4.0, 9.0],
                                   lambdas_weight=[0.5, 1.0, 2.0], **options), start)
    fit_both(ref, est, X_pois, n_iter=N_ITER)
    assert_same_history(ref, est)
    assert_same_poisson(ref, est)


def test_criteria_count_the_rows_of_every_sequence_form(X_gauss):
    # aic and bic of a list of sequences, or of a 3-D array, equal those of the stacked
    # rows with their lengths (hmmlearn's n is the number of rows).
    est = set_attrs(hmm.GaussianHMM(N_COMPONENTS, "diag", init_params=""),
                    gaussian_start("diag"))
    ref = set_attrs(hl_hmm.GaussianHMM(N_COMPONENTS, "diag", init_params=""),
                    gaussian_start("diag"))
    ref.n_features = N_FEATURES
    bounds = np.cumsum([0] + LENGTHS)
    sequences = [X_gauss[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    for name in ("aic", "bic"):
        expected = getattr(ref, name)(X_gauss, LENGTHS)
        assert_allclose(getattr(est, name)(sequences), expected, rtol=1e-12)
    padded = X_gauss[:200].reshape(4, 50, N_FEATURES)
    assert_allclose(est.bic(padded), ref.bic(X_gauss[:200], [50] * 4), rtol=1e-12)
    mask = np.zeros((4, 50), dtype=bool)
    mask[1, 40:] = True
    rows = np.concatenate([padded[0], padded[1, :40], padded[2], padded[3]])
    assert_allclose(est.bic(padded, mask=mask), ref.bic(rows, [50, 40, 50, 50]), rtol=1e-12)


def test_a_changed_monitor_n_iter_caps_the_fit_as_in_hmmlearn(X_gauss):
    # hmmlearn's monitor reads "converged" at its own n_iter; a user who lowers
    # monitor_.n_iter gets that many iterations in both libraries.
    ref, est = gaussian_pair("diag", gaussian_start("diag"), n_iter=50, tol=1e-12)
    ref.monitor_.n_iter = est.monitor_.n_iter = 4
    with pytest.warns(ConvergenceWarning, match="n_iter=4"):
        fit_both(ref, est, X_gauss)
    assert_same_history(ref, est)
    assert len(est.monitor_.history) == 4 and est.n_iter_ == 4
    assert not est.converged_


def test_start_and_transition_priors_that_leave_no_mass_keep_the_values_and_say_why():
    # A Dirichlet prior of 0 on one sequence of two steps (expected counts below 1):
    # hmmlearn's MAP is 0 / 0 (NaN start probabilities, all-zero transitions). emkit
    # keeps the previous values and says it was the prior, not an unvisited state.
    X = np.array([[0], [2]])
    params = dict(startprob_=np.array([0.6, 0.4]), transmat_=np.array([[0.7, 0.3], [0.4, 0.6]]),
                  emissionprob_=np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]))
    est = set_attrs(hmm.CategoricalHMM(2, init_params="", params="s", n_iter=1,
                                       startprob_prior=0.0), params)
    with pytest.warns(ComponentCollapseWarning, match=r"^The start probabilities were kept: "
                      "with startprob_prior below 1"):
        est.fit(X)
    assert_array_equal(est.startprob_, params["startprob_"])
    est = set_attrs(hmm.CategoricalHMM(2, init_params="", params="t", n_iter=1,
                                       transmat_prior=0.0), params)
    with pytest.warns(ComponentCollapseWarning, match=r"^The transition probabilities out of "
                      "state 0 were kept: with transmat_prior below 1"):
        est.fit(X)
    ref = set_attrs(hl_hmm.CategoricalHMM(2, init_params="", params="t", n_iter=1,
                                          transmat_prior=0.0), params)
    with np.errstate(invalid="ignore"):
        ref.fit(X)
    assert not np.all(ref.transmat_.sum(axis=1) == 1.0)  # hmmlearn's rows: no mass left


def test_covariance_types_constant_is_hmmlearns():
    assert hmm.COVARIANCE_TYPES == hl_hmm.COVARIANCE_TYPES


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_covars_of_one_model_start_another_of_its_type(X_gauss, covariance_type):
    # hmmlearn#139: ``covars_`` returns full matrices; assigning them to a model of the
    # same type starts it where the compact form does (hmmlearn refuses them for
    # spherical and diag).
    start = gaussian_start(covariance_type)
    _, compact = gaussian_pair(covariance_type, start, n_iter=3)
    _, given_full = gaussian_pair(covariance_type, start, n_iter=3)
    given_full.covars_ = compact.covars_
    fit_both(compact, given_full, X_gauss, n_iter=3)
    assert_same_history(compact, given_full)
    assert_allclose(given_full.covars_, compact.covars_, rtol=1e-12)
