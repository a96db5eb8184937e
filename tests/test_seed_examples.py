"""The seed example: a 1-D two-Gaussian mixture, against a plain textbook EM and the truth."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emkit import GaussianMixture
from emkit.datasets import make_two_gaussians_1d


def textbook_em(x, weights, means, stds, n_iter):
    """EM for a 1-D Gaussian mixture as a textbook writes it, one formula per line."""
    weights, means, variances = map(np.array, (weights, means, np.square(stds)))
    for _ in range(n_iter):
        dens = weights * np.exp(-0.5 * (x[:, None] - means) ** 2 / variances) / np.sqrt(
            2 * np.pi * variances)
        resp = dens / dens.sum(axis=1, keepdims=True)
        nk = resp.sum(axis=0)
        weights = nk / len(x)
        means = resp.T @ x / nk
        variances = (resp * (x[:, None] - means) ** 2).sum(axis=0) / nk
    return weights, means, variances


def test_two_gaussians_match_textbook_em_and_the_truth():
    X, _ = make_two_gaussians_1d(1000, random_state=0)
    model = GaussianMixture(
        2, weights_init=[0.5, 0.5], means_init=[[0.0], [1.0]],
        precisions_init=[[[1.0]], [[1.0]]], max_iter=500, tol=0, reg_covar=0)
    with pytest.warns(UserWarning):  # the cap is the stopping rule here, by design
        model.fit(X)
    weights, means, variances = textbook_em(X[:, 0], [0.5, 0.5], [0.0, 1.0], [1.0, 1.0], 500)
    assert_allclose(model.weights_, weights, rtol=1e-8)
    assert_allclose(model.means_[:, 0], means, rtol=1e-8)
    assert_allclose(model.covariances_[:, 0, 0], variances, rtol=1e-8)
    # Within sampling error of the truth: weights (0.3, 0.7), means (-2, 0.5), sds (0.5, 1).
    n = len(X)
    assert abs(model.weights_[0] - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    assert abs(model.means_[0, 0] + 2.0) < 4 * 0.5 / np.sqrt(0.3 * n)
    assert abs(model.means_[1, 0] - 0.5) < 4 * 1.0 / np.sqrt(0.7 * n) + 0.05
    assert_allclose(np.sqrt(model.covariances_[:, 0, 0]), [0.5, 1.0], rtol=0.15)
