"""HiddenMarkovModel: any emission family, built-in or written by the user."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import emkit
from emkit.families import GaussianDiag, Poisson, density_family

START = np.array([0.6, 0.4])
TRANS = np.array([[0.9, 0.1], [0.2, 0.8]])


def _poisson_sequences(seed=0):
    model = emkit.PoissonHMM(2, init_params="", params="")
    model.startprob_, model.transmat_ = START, TRANS
    model.lambdas_ = np.array([[1.0, 4.0], [6.0, 0.5]])
    X, _ = model.sample(600, random_state=seed)
    return X, [250, 350]


def test_generic_poisson_follows_poisson_hmm_from_the_same_start():
    X, lengths = _poisson_sequences()
    rates = np.array([[2.0, 2.0], [4.0, 1.0]])
    generic = emkit.HiddenMarkovModel(Poisson(rates), START, TRANS, n_iter=15, tol=0)
    generic.fit(X, lengths)
    specific = emkit.PoissonHMM(2, init_params="", n_iter=15, tol=0)
    specific.startprob_, specific.transmat_, specific.lambdas_ = START, TRANS, rates
    specific.fit(X, lengths)
    assert_allclose(generic.monitor_.history, specific.monitor_.history, rtol=1e-12)
    assert_allclose(generic.emissions_.rate, specific.lambdas_, rtol=1e-10)
    assert_allclose(generic.transmat_, specific.transmat_, rtol=1e-10)
    assert_allclose(generic.score(X, lengths), specific.score(X, lengths), rtol=1e-12)
    assert np.array_equal(generic.predict(X, lengths), specific.predict(X, lengths))


def test_generic_gaussian_equals_gaussian_hmm_without_priors():
    rng = np.random.RandomState(1)
    X = np.concatenate([rng.normal(0, 1, (200, 2)), rng.normal(3, 0.5, (200, 2))])
    means, covars = np.array([[0.5, 0.5], [2.0, 2.0]]), np.ones((2, 2))
    generic = emkit.HiddenMarkovModel(GaussianDiag(means, covars, reg_covar=0.0), START, TRANS,
                                      n_iter=10, tol=0).fit(X)
    specific = emkit.GaussianHMM(2, "diag", covars_prior=0.0, init_params="", n_iter=10, tol=0)
    specific.startprob_, specific.transmat_ = START, TRANS
    specific.means_, specific.covars_ = means, covars
    specific.fit(X)
    assert_allclose(generic.monitor_.history, specific.monitor_.history, rtol=1e-10)
    assert_allclose(generic.emissions_.means, specific.means_, rtol=1e-8)


def von_mises(X, mu, kappa):
    return stats.vonmises.logpdf(X[:, 0], kappa, loc=mu)


VonMises = density_family(von_mises, ["mu", "kappa"],
                          bounds={"mu": (-np.pi, np.pi), "kappa": (1e-6, None)},
                          sampler=lambda rng, n, mu, kappa: rng.vonmises(mu, kappa, n),
                          name="VonMises")


def test_user_family_hmm_recovers_a_sampled_model():
    truth = emkit.HiddenMarkovModel(VonMises(mu=[-2.0, 1.0], kappa=[8.0, 3.0]), START, TRANS)
    truth._init(np.zeros((1, 1)))
    X, states = truth.sample(3000, random_state=0)
    assert X.shape == (3000, 1)
    fitted = emkit.HiddenMarkovModel(VonMises(mu=[-1.0, 0.5], kappa=[1.0, 1.0]),
                                     n_iter=100, tol=1e-6).fit(X)
    history = np.asarray(fitted.monitor_.history)
    assert np.all(np.diff(history) > -1e-8 * np.abs(history[1:]))  # EM never falls
    assert fitted.converged_
    assert_allclose(fitted.emissions_.mu, [-2.0, 1.0], atol=0.1)
    assert_allclose(fitted.emissions_.kappa, [8.0, 3.0], rtol=0.2)
    assert_allclose(fitted.transmat_, TRANS, atol=0.05)
    # Viterbi decoding recovers the sampled states on well over 90% of the steps.
    assert np.mean(fitted.predict(X) == states) > 0.9


def test_generic_restarts_keep_the_given_start_first():
    X, lengths = _poisson_sequences(seed=2)
    given = Poisson([[2.0, 2.0], [4.0, 1.0]])
    single = emkit.HiddenMarkovModel(given, n_iter=5, tol=0).fit(X, lengths)
    seen = []
    several = emkit.HiddenMarkovModel(given, n_iter=5, tol=0, n_init=3, random_state=0)
    several.fit(X, lengths, callback=lambda step: seen.append(step.log_likelihood) and False)
    assert len(seen) == 15
    assert_allclose(seen[:5], single.monitor_.history, rtol=1e-12)
    best = max(range(3), key=lambda i: seen[5 * i + 4])
    assert_allclose(several.monitor_.history, seen[5 * best:5 * best + 5], rtol=1e-12)


def test_generic_rejects_data_outside_the_family_support():
    model = emkit.HiddenMarkovModel(Poisson([[1.0], [2.0]]))
    with pytest.raises(ValueError, match="Poisson"):
        model.fit(np.array([[1.0], [-1.0], [2.0]]))


def test_generic_parameters_are_the_constructor_arguments():
    family = Poisson([[1.0], [2.0]])
    model = emkit.HiddenMarkovModel(family, n_iter=3)
    params = model.get_params()
    assert params["family"] is family and params["n_iter"] == 3
    assert model.n_components == 2
