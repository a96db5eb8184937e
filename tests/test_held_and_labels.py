"""Held parameters and partial labels, for every mixture and the HMMs.

Oracles: held values compared bit for bit with the start; the constrained M-step
checked at its fixed point against the closed form (a covariance is the scatter about the
held mean under the final responsibilities); the semi-supervised E-step against a
brute-force computation; the adjusted Rand index against unsupervised EM's.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.metrics import adjusted_rand_score

import emkit
from emkit.families import Poisson
from emkit.families.gaussian import GaussianFull
from emkit.models.mixture import Mixture

MEANS = np.array([[0.0, 0.0], [2.5, 1.0], [-1.0, 3.0]])


def _blobs(n=600, seed=0, spread=1.0):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 3, n)
    return MEANS[labels] + spread * rng.randn(n, 2), labels


def _gmm(covariance_type, **kwargs):
    precisions = {"full": np.stack([np.eye(2)] * 3), "tied": np.eye(2),
                  "diag": np.ones((3, 2)), "spherical": np.ones(3)}[covariance_type]
    return emkit.GaussianMixture(3, covariance_type=covariance_type, tol=1e-12,
                                 max_iter=500, weights_init=[0.2, 0.3, 0.5],
                                 means_init=MEANS + 0.3, precisions_init=precisions, **kwargs)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_held_means_stay_and_covariances_are_scatters_about_them(covariance_type):
    X, _ = _blobs()
    model = _gmm(covariance_type, reg_covar=1e-6).fit(X, fixed={"means": True})
    assert np.array_equal(model.means_, MEANS + 0.3)   # bit for bit
    assert np.all(np.diff(model.lower_bounds_) >= -1e-12)
    # At convergence the covariances are the scatters about the held means under the
    # final responsibilities (the constrained maximizer), plus reg_covar.
    resp = model.predict_proba(X)
    n = resp.sum(axis=0)
    scatter = np.stack([(resp[:, k, None, None] * np.einsum(
        "ni,nj->nij", X - model.means_[k], X - model.means_[k])).sum(0) for k in range(3)])
    expected = {"full": scatter / n[:, None, None] + 1e-6 * np.eye(2),
                "tied": scatter.sum(0) / n.sum() + 1e-6 * np.eye(2),
                "diag": np.diagonal(scatter, axis1=1, axis2=2) / n[:, None] + 1e-6,
                "spherical": np.trace(scatter, axis1=1, axis2=2) / (2 * n) + 1e-6}
    assert_allclose(model.covariances_, expected[covariance_type], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_one_held_m_step_is_the_scatter_about_the_held_means(covariance_type):
    # The closed form, from random responsibilities, to rounding.
    from emkit.families.gaussian import COVARIANCE_TYPES

    X, _ = _blobs(n=200, seed=7)
    resp = np.random.RandomState(8).dirichlet(np.ones(3), size=len(X))
    start = _gmm(covariance_type)
    family = COVARIANCE_TYPES[covariance_type].from_precisions(
        start.means_init, start.precisions_init, reg_covar=0.0)
    held = {"means": np.array([True, False, True])}
    new = family.maximize_held(family.accumulate(X, resp), held, family)
    n = resp.sum(0)
    means = (resp.T @ X) / n[:, None]
    means[held["means"]] = family.means[held["means"]]
    assert np.array_equal(new.means, means) or np.allclose(new.means, means, rtol=1e-13)
    assert np.array_equal(new.means[0], family.means[0])
    scatter = np.stack([(resp[:, k, None, None] * np.einsum(
        "ni,nj->nij", X - means[k], X - means[k])).sum(0) for k in range(3)])
    expected = {"full": scatter / n[:, None, None], "tied": scatter.sum(0) / n.sum(),
                "diag": np.diagonal(scatter, axis1=1, axis2=2) / n[:, None],
                "spherical": np.trace(scatter, axis1=1, axis2=2) / (2 * n)}
    assert_allclose(new.covariances, expected[covariance_type], rtol=1e-10)


def test_held_weights_one_covariance_and_a_tied_matrix():
    X, _ = _blobs(seed=1)
    model = _gmm("full").fit(X, fixed={"weights": True, "covariances": [1]})
    start = GaussianFull.from_precisions(MEANS + 0.3, np.stack([np.eye(2)] * 3))
    assert np.array_equal(model.weights_, [0.2, 0.3, 0.5])
    assert np.array_equal(model.covariances_[1], start.covariances[1])
    assert not np.array_equal(model.covariances_[0], start.covariances[0])
    tied = _gmm("tied").fit(X, fixed={"covariances": True})
    assert np.array_equal(tied.covariances_, np.eye(2))
    with pytest.raises(ValueError, match="shared by every component"):
        _gmm("tied").fit(X, fixed={"covariances": [0]})


def test_held_weights_share_what_is_left_exactly():
    X, _ = _blobs(seed=2)
    model = _gmm("diag").fit(X, fixed={"weights": [0]})
    assert model.weights_[0] == 0.2
    assert_allclose(model.weights_.sum(), 1.0, rtol=1e-15)
    resp = model.predict_proba(X)
    # The free weights split 0.8 in the ratio of their responsibilities (the fixed point).
    assert_allclose(model.weights_[1:], 0.8 * resp[:, 1:].sum(0) / resp[:, 1:].sum(),
                    rtol=1e-6)


def test_a_whole_poisson_component_is_held_in_any_mixture():
    rng = np.random.RandomState(3)
    X = np.concatenate([rng.poisson(2.0, (300, 2)), rng.poisson(8.0, (300, 2))]).astype(float)
    start = Poisson([[1.0, 1.5], [6.0, 9.0]])
    model = emkit.MixtureModel(start, tol=1e-10).fit(X, fixed={"components": [0]})
    assert np.array_equal(model.components_.rate[0], [1.0, 1.5])
    assert not np.array_equal(model.components_.rate[1], [6.0, 9.0])
    assert np.all(np.diff(model.lower_bounds_) >= -1e-12)
    free = emkit.MixtureModel(start, tol=1e-10).fit(X)
    assert free.score(X) > model.score(X)
    rates = emkit.PoissonMixture(2, means_init=[[1.0, 1.5], [6.0, 9.0]], tol=1e-10).fit(
        X, fixed={"rate": [1]})
    assert np.array_equal(rates.means_[1], [6.0, 9.0])
    # Held parameters are not free: the parameter count drops by the two rates.
    assert model._n_parameters() == free._n_parameters() - 2


def test_bad_hold_specifications_are_one_sentence():
    X, _ = _blobs()
    for fixed, message in [({"mean": True}, "not a parameter of this mixture"),
                           ({"means": [5]}, "list of component indices from 0 to 2"),
                           (["means"], "fixed must be a dict")]:
        with pytest.raises(ValueError) as info:
            _gmm("full").fit(X, fixed=fixed)
        assert message in str(info.value) and "\n" not in str(info.value)


def test_the_labelled_e_step_against_brute_force():
    X, truth = _blobs(n=40, seed=4)
    family = GaussianFull(MEANS, np.stack([np.eye(2)] * 3))
    mixture = Mixture(np.array([0.2, 0.3, 0.5]), family)
    labels = np.full(40, -1)
    labels[::5] = truth[::5]
    stats = mixture.chunk_stats(X, labels=labels)
    log_joint = family.log_prob(X) + np.log(mixture.weights)
    expected = sum(np.logaddexp.reduce(log_joint[i]) if labels[i] < 0
                   else log_joint[i, labels[i]] for i in range(40))
    assert_allclose(stats.log_likelihood, expected, rtol=1e-12)
    resp = np.exp(log_joint - np.logaddexp.reduce(log_joint, axis=1)[:, None])
    resp[labels >= 0] = np.eye(3)[labels[labels >= 0]]
    assert_allclose(stats.resp_sum, resp.sum(0), rtol=1e-12)


def test_five_percent_of_labels_beat_unsupervised_em_and_fix_the_order():
    X, truth = _blobs(n=1500, seed=5, spread=1.3)
    rng = np.random.RandomState(0)
    labels = np.full(len(X), -1)
    known = rng.choice(len(X), size=len(X) // 20, replace=False)
    labels[known] = truth[known]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = emkit.GaussianMixture(3, random_state=2).fit(X)
        semi = emkit.GaussianMixture(3, random_state=2).fit(X, labels=labels)
        generic = emkit.MixtureModel(GaussianFull(MEANS[::-1] + 0.1,
                                                    np.stack([np.eye(2)] * 3))).fit(X, labels)
    ari_plain = adjusted_rand_score(truth, plain.predict(X))
    ari_semi = adjusted_rand_score(truth, semi.predict(X))
    assert ari_semi > ari_plain
    # Component k is the one labelled k, whatever the start's order.
    assert np.mean(semi.predict(X) == truth) > 0.8
    assert np.mean(generic.predict(X) == truth) > 0.8
    with pytest.raises(ValueError, match="Label 3 at row 0 is not a component"):
        emkit.GaussianMixture(3).fit(X, labels=np.full(len(X), 3))


def test_hmm_labels_clamp_states():
    model = emkit.GaussianHMM(2, "diag", init_params="")
    model.startprob_, model.transmat_ = np.array([0.5, 0.5]), np.array([[0.9, 0.1],
                                                                         [0.1, 0.9]])
    model.means_, model.covars_ = np.array([[0.0], [1.0]]), np.ones((2, 1))
    X, states = model.sample(400, random_state=0)
    y = np.full(400, -1)
    y[::10] = states[::10]
    fitted = emkit.GaussianHMM(2, "diag", n_iter=50, tol=1e-8, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(X, y=y)
    decoded = fitted.predict(X)
    assert np.mean(decoded == states) > 0.7
    history = np.asarray(fitted.monitor_.history)
    assert np.all(np.diff(history) >= -1e-8 * np.abs(history[1:]))
    # A list form with labels in the same form gives the same fit.
    parts = [X[:150], X[150:]]
    again = emkit.GaussianHMM(2, "diag", n_iter=50, tol=1e-8, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again.fit(parts, y=[y[:150], y[150:]])
        stacked = emkit.GaussianHMM(2, "diag", n_iter=50, tol=1e-8, random_state=1).fit(
            X, [150, 250], y=y)
    assert np.array_equal(again.monitor_.history, stacked.monitor_.history)
