"""Components far apart keep their digits: moments and log-densities about each own mean.

Oracles: two-pass NumPy covariances of the rows each component takes (exact by
construction here: the clusters are far apart, so every responsibility is 0 or 1), and
scipy's log-densities.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture

import emkit
from emkit.exceptions import ConvergenceWarning
from emkit.families.gaussian import GaussianDiag, GaussianFull
from emkit.families.gaussian.stats import DiagStats, FullStats, TiedStats

REG = 0.1


def _clusters(noise, seed=0):
    rng = np.random.RandomState(seed)
    x = np.r_[np.zeros(500), np.full(500, 9999.0)][:, None] + rng.randn(1000, 1) * noise
    return np.c_[x, 0.5 * x + 3.0]


def _reference(X, labels, covariance_type, reg=REG):
    parts = [X[labels == k] for k in range(2)]
    full = [np.cov(p.T, bias=True) for p in parts]
    if covariance_type in ("full", "VVV", "VEV", "EEV"):
        return np.array([c + reg * np.eye(2) for c in full])
    if covariance_type == "diag":
        return np.array([p.var(axis=0) + reg for p in parts])
    if covariance_type == "spherical":
        return np.array([p.var(axis=0).mean() + reg for p in parts])
    return sum(c * len(p) for c, p in zip(full, parts)) / len(X) + reg * np.eye(2)


@pytest.mark.parametrize("noise", [0.0, 1e-3])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_tight_clusters_far_apart_keep_their_variances(covariance_type, noise):
    X = _clusters(noise)
    model = emkit.GaussianMixture(2, covariance_type=covariance_type, reg_covar=REG,
                                  random_state=0).fit(X)
    labels = model.predict(X)
    assert sorted(np.bincount(labels)) == [500, 500]
    expected = _reference(X, labels, covariance_type)
    assert_allclose(model.covariances_, expected, rtol=1e-9, atol=1e-9 * REG)
    if noise == 0.0:   # every variance is reg_covar itself
        diagonal = np.asarray(model.covariances_)
        diagonal = np.diagonal(diagonal, axis1=-2, axis2=-1) if diagonal.ndim > 1 and \
            diagonal.shape[-1] == diagonal.shape[-2] else diagonal
        assert_allclose(diagonal, REG, rtol=1e-9)


@pytest.mark.parametrize("max_iter", [0, 100])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical", "VVV"])
def test_the_start_from_kmeans_keeps_the_digits_of_tight_clusters_far_apart(covariance_type,
                                                                             max_iter):
    # Spread 1e-3 at (0, 0) and (1e6, -1e6), the default reg_covar: the first M-step
    # from the k-means labels sums each component's moments about its own mean, as
    # scikit-learn's does; about the data's centre every digit of the variances was lost
    # and the fit stopped with "ill-defined empirical covariance".
    rng = np.random.RandomState(0)
    X = np.r_[rng.randn(200, 2) * 1e-3, rng.randn(200, 2) * 1e-3 + [1e6, -1e6]]
    truth = np.repeat([0, 1], 200)
    model = emkit.GaussianMixture(2, covariance_type=covariance_type, max_iter=max_iter,
                                  random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = model.fit_predict(X)
    assert abs(np.corrcoef(labels, truth)[0, 1]) == 1.0
    expected = _reference(X, labels, covariance_type, reg=1e-6)
    assert_allclose(model.covariances_, expected, rtol=1e-9, atol=1e-15)
    if covariance_type == "full":
        # scikit-learn fits full covariances here (its other types fail on this data).
        reference = GaussianMixture(2, max_iter=max_iter, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference.fit(X)
        assert_allclose(model.covariances_, reference.covariances_, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical", "VVV",
                                             "EEE"])
def test_far_components_log_densities_are_taken_about_their_own_means(covariance_type):
    # Spread 1e-3 at (0, 0), (1e6, 1e6) and (1e6, -1e6): the expanded quadratic form
    # about the centre of the means has terms of 1e18 (squared distances in variances)
    # and was off by up to 100 nats; about each component's own mean the log-densities
    # are scipy's to rounding (scikit-learn's diag and spherical are off by 100 too).
    rng = np.random.RandomState(0)
    means = np.array([[0.0, 0.0], [1e6, 1e6], [1e6, -1e6]])
    X = np.concatenate([centre + 1e-3 * rng.randn(100, 2) for centre in means])
    weights = np.array([0.2, 0.3, 0.5])
    full = np.array([[[1.0, 0.3], [0.3, 2.0]], [[2.0, -0.5], [-0.5, 1.0]],
                     [[1.5, 0.0], [0.0, 1.5]]]) * 1e-6
    if covariance_type in ("full", "tied", "VVV", "EEE"):
        covariances = full if covariance_type in ("full", "VVV") else full[0]
        dense = np.broadcast_to(covariances, full.shape)
        precisions = np.linalg.inv(covariances)
    else:
        covariances = (np.diagonal(full, axis1=1, axis2=2) if covariance_type == "diag"
                       else np.array([1.0, 2.0, 1.5]) * 1e-6)
        dense = np.array([np.diag(np.broadcast_to(v, 2)) for v in covariances])
        precisions = 1.0 / covariances
    model = emkit.GaussianMixture(3, covariance_type=covariance_type, weights_init=weights,
                                  means_init=means, precisions_init=precisions, max_iter=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    brute = logsumexp([np.log(w) + multivariate_normal(m, c).logpdf(X)
                       for w, m, c in zip(weights, means, dense)], axis=0)
    assert_allclose(model.score_samples(X), brute, rtol=1e-12, atol=1e-9)
    assert_allclose(model.score(X), brute.mean(), rtol=1e-12)


def test_a_gaussian_hmm_with_far_states_keeps_them_too():
    X = _clusters(1e-3)[:, :1]
    model = emkit.GaussianHMM(2, "diag", covars_prior=0.0, min_covar=REG, n_iter=20,
                              random_state=0).fit(X, lengths=[250, 250, 250, 250])
    states = model.predict(X, lengths=[250, 250, 250, 250])
    for k in range(2):
        assert_allclose(model.covars_[k, 0, 0], X[states == k, 0].var(), rtol=1e-9)


@pytest.mark.parametrize("kind", [FullStats, DiagStats, TiedStats])
def test_moments_about_per_component_shifts_add_and_recentre_exactly(kind):
    rng = np.random.RandomState(1)
    X, W = rng.randn(50, 3) * 2 + 7, rng.uniform(size=(50, 2))

    def moments(rows, weights, shift):
        shift = np.broadcast_to(shift, (2, 3))
        first = np.stack([weights[:, k] @ (rows - shift[k]) for k in range(2)])
        outer = [(weights[:, k, None] * (rows - shift[k])).T @ (rows - shift[k])
                 for k in range(2)]
        second = {FullStats: np.stack(outer), TiedStats: sum(outer),
                  DiagStats: np.stack([np.diagonal(o) for o in outer])}[kind]
        return kind(weights.sum(axis=0), first, second, np.array(shift))

    per_component = moments(X[:20], W[:20], np.array([[6.0, 7, 8], [1, 2, 3]]))
    shared = moments(X[20:], W[20:], np.array([7.0, 7, 7]))
    total, direct = per_component + shared, moments(X, W, np.array([[6.0, 7, 8], [1, 2, 3]]))
    assert_allclose(total.first, direct.first, rtol=1e-12)
    assert_allclose(total.second, direct.second, rtol=1e-12)
    assert_allclose(total.scatter(), moments(X, W, np.zeros(3)).scatter(), rtol=1e-10)


def test_near_components_keep_the_shared_product():
    family = GaussianFull(np.array([[0.0, 0.0], [3.0, 1.0]]), np.stack([np.eye(2)] * 2))
    assert family._far is None
    far = GaussianDiag(np.array([[0.0, 0.0], [9999.0, 0.0]]), np.full((2, 2), 0.1))
    assert far._far.tolist() == [True, True]
