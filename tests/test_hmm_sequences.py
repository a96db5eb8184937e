"""HMM data as people hold it (lists, padded 3-D arrays), forecasts, and said warnings.

Oracles: the stacked form with ``lengths`` (results must be equal to the last bit), and
brute-force enumeration of every state path for the forecasts.
"""

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import emkit
from emkit.exceptions import ConvergenceWarning

START = np.array([0.7, 0.3])
TRANS = np.array([[0.8, 0.2], [0.3, 0.7]])


def _gaussian_hmm(**kwargs):
    model = emkit.GaussianHMM(2, "full", init_params="", **kwargs)
    model.startprob_, model.transmat_ = START, TRANS
    model.means_ = np.array([[0.0, 1.0], [2.0, -1.0]])
    model.covars_ = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.4, -0.1], [-0.1, 0.8]]])
    return model


def _sequences(n_steps=(40, 1, 25, 60), seed=0):
    truth = _gaussian_hmm()
    return [truth.sample(n, random_state=seed + i)[0] for i, n in enumerate(n_steps)]


def _equal(a, b):
    if isinstance(a, tuple):
        return all(_equal(x, y) for x, y in zip(a, b))
    return np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("method", ["score", "score_samples", "predict", "predict_proba",
                                    "decode"])
def test_a_list_and_a_padded_array_equal_the_stacked_form(method):
    sequences = _sequences()
    X, lengths = np.concatenate(sequences), [len(s) for s in sequences]
    model = _gaussian_hmm()
    expected = getattr(model, method)(X, lengths)
    assert _equal(getattr(model, method)(sequences), expected)
    T = max(lengths)
    padded = np.zeros((len(sequences), T, 2))
    mask = np.ones((len(sequences), T), dtype=bool)
    for i, seq in enumerate(sequences):
        padded[i, :len(seq)], mask[i, :len(seq)] = seq, False
    assert _equal(getattr(model, method)(padded, mask=mask), expected)


@pytest.mark.parametrize("make", [
    lambda: emkit.GaussianHMM(2, "diag", n_iter=5, tol=0, random_state=0),
    lambda: emkit.PoissonHMM(2, n_iter=5, tol=0, random_state=0),
    lambda: emkit.CategoricalHMM(2, n_iter=5, tol=0, random_state=0),
])
def test_fit_on_a_list_equals_fit_on_the_stacked_form(make):
    rng = np.random.RandomState(1)
    if "Gaussian" in type(make()).__name__:
        sequences = _sequences()
    else:
        sequences = [rng.poisson(2.0, size=(n, 1 if "Categorical" in type(make()).__name__
                                            else 2)) % 4 for n in (30, 1, 45)]
    X, lengths = np.concatenate(sequences), [len(s) for s in sequences]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stacked, listed = make().fit(X, lengths), make().fit(sequences)
        T = max(lengths)
        padded = np.zeros((len(sequences), T, X.shape[1]), dtype=X.dtype)
        mask = np.ones((len(sequences), T), dtype=bool)
        for i, seq in enumerate(sequences):
            padded[i, :len(seq)], mask[i, :len(seq)] = seq, False
        masked = make().fit(padded, mask=mask)
    assert np.array_equal(listed.monitor_.history, stacked.monitor_.history)
    assert np.array_equal(masked.monitor_.history, stacked.monitor_.history)
    assert np.array_equal(listed.transmat_, stacked.transmat_)


def test_bad_sequence_forms_are_one_sentence():
    sequences = _sequences()
    model = _gaussian_hmm()
    cases = [(lambda: model.score(sequences, [40, 1, 25, 60]), "gives its own lengths"),
             (lambda: model.score(np.zeros((2, 3, 2)), mask=np.zeros((2, 4), bool)),
              "mask must be a boolean array of shape (2, 3)"),
             (lambda: model.score(np.zeros((2, 3, 2)), mask=np.array([[1, 1, 1], [0, 0, 0]],
                                                                      bool)),
              "Sequence 0 of X has every step masked"),
             (lambda: model.score(np.zeros((6, 2)), mask=np.zeros((2, 3), bool)),
              "X here is not 3-D")]
    for call, message in cases:
        with pytest.raises(ValueError) as info:
            call()
        assert message in str(info.value) and "\n" not in str(info.value)


def _brute_force_forecast(model, x, steps, emission_logpdf):
    # p(z_{T+steps} | x_1..T) by summing over every state path.
    K, T = 2, len(x)
    weights = np.zeros(K)
    for path in itertools.product(range(K), repeat=T + steps):
        log_p = np.log(model.startprob_[path[0]])
        log_p += sum(np.log(model.transmat_[a, b]) for a, b in zip(path, path[1:]))
        log_p += sum(emission_logpdf(x[t], path[t]) for t in range(T))
        weights[path[-1]] += np.exp(log_p)
    return weights / weights.sum()


def test_gaussian_forecast_against_every_state_path():
    model = _gaussian_hmm()
    x = model.sample(4, random_state=3)[0]

    def logpdf(row, k):
        return stats.multivariate_normal.logpdf(row, model.means_[k], model.covars_[k])

    for steps in (1, 2):
        forecast = model.forecast(x, steps=steps)
        state = _brute_force_forecast(model, x, steps, logpdf)
        assert_allclose(forecast.state_proba[0], state, rtol=1e-10)
        mean = state @ model.means_
        second = sum(state[k] * (model.covars_[k] + np.outer(model.means_[k], model.means_[k]))
                     for k in range(2))
        assert_allclose(forecast.mean[0], mean, rtol=1e-10)
        assert_allclose(forecast.covariance[0], second - np.outer(mean, mean), rtol=1e-10,
                        atol=1e-14)
    two = model.forecast([x, x[:2]])
    assert two.state_proba.shape == (2, 2) and two.proba is None


def test_categorical_and_poisson_forecasts_against_every_state_path():
    cat = emkit.CategoricalHMM(2, init_params="")
    cat.startprob_, cat.transmat_ = START, TRANS
    cat.emissionprob_ = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    x = np.array([[0], [2], [2], [1]])
    state = _brute_force_forecast(cat, x, 1, lambda row, k: np.log(cat.emissionprob_[k,
                                                                                       row[0]]))
    forecast = cat.forecast(x)
    assert_allclose(forecast.state_proba[0], state, rtol=1e-10)
    assert_allclose(forecast.proba[0], state @ cat.emissionprob_, rtol=1e-10)
    assert forecast.mean is None
    poisson = emkit.PoissonHMM(2, init_params="")
    poisson.startprob_, poisson.transmat_ = START, TRANS
    poisson.lambdas_ = np.array([[1.0, 4.0], [6.0, 0.5]])
    x = np.array([[0, 3], [5, 1], [7, 0]])
    state = _brute_force_forecast(
        poisson, x, 3, lambda row, k: stats.poisson.logpmf(row, poisson.lambdas_[k]).sum())
    forecast = poisson.forecast(x, steps=3)
    assert_allclose(forecast.state_proba[0], state, rtol=1e-10)
    assert_allclose(forecast.mean[0], state @ poisson.lambdas_, rtol=1e-10)
    # A Poisson mixture's variance: its mean plus the spread of the rates.
    variance = state @ poisson.lambdas_ + state @ poisson.lambdas_ ** 2 - (
        state @ poisson.lambdas_) ** 2
    assert_allclose(np.diag(forecast.covariance[0]), variance, rtol=1e-10)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        poisson.forecast(x, steps=0)


def test_a_fit_stopped_by_n_iter_warns_and_a_converged_one_does_not():
    X = np.concatenate(_sequences())
    with pytest.warns(ConvergenceWarning, match="raise n_iter"):
        emkit.GaussianHMM(2, n_iter=2, tol=0, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = emkit.GaussianHMM(2, n_iter=500, tol=1e-2, random_state=0).fit(X)
    assert model.converged_


def test_overwriting_a_set_attribute_names_it_and_its_letter():
    X = np.concatenate(_sequences())
    model = emkit.GaussianHMM(2, n_iter=3, random_state=0)
    model.startprob_ = START
    with pytest.warns(UserWarning, match="startprob_ was set, but fit overwrites it because "
                                         "init_params contains 's'; remove 's'"):
        model.fit(X)
