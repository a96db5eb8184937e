"""BIC, AIC and ICL: one formula each, used by every estimator and by select."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import emkit
from emkit.models import criteria


def test_closed_forms():
    assert criteria.bic(-100.0, 5, 50) == pytest.approx(200.0 + 5 * np.log(50), rel=1e-15)
    assert criteria.aic(-100.0, 5) == 210.0
    resp = np.array([[1.0, 0.0], [0.5, 0.5]])
    expected = 200.0 + 5 * np.log(2) + 2 * np.log(2)  # entropy of the second row: log 2
    assert criteria.icl(-100.0, 5, 2, resp) == pytest.approx(expected, rel=1e-15)


def test_estimators_and_select_use_the_same_numbers():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 6])
    gm = emkit.GaussianMixture(2, random_state=0).fit(X)
    total = gm.score(X) * len(X)
    p = gm._n_parameters()
    assert p == 2 * 2 + 2 * 3 + 1
    assert_allclose(gm.bic(X), -2 * total + p * np.log(len(X)), rtol=1e-12)
    assert_allclose(gm.aic(X), -2 * total + 2 * p, rtol=1e-12)
    row = emkit.select(X, [2], "full", random_state=0).table
    assert_allclose(row["bic"][0], gm.bic(X), rtol=1e-10)
    assert_allclose(row["icl"][0], gm.icl(X), rtol=1e-10)
    hmm = emkit.GaussianHMM(2, random_state=0).fit(X)
    n_params = sum(hmm._get_n_fit_scalars_per_param().values())
    assert_allclose(hmm.bic(X), -2 * hmm.score(X) + n_params * np.log(len(X)), rtol=1e-12)
    assert_allclose(hmm.aic(X), -2 * hmm.score(X) + 2 * n_params, rtol=1e-12)
