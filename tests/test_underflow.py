"""Underflow is zero whatever the caller's ``np.seterr``: fits under strict settings.

Probabilities and weighted moments below the floating-point range are zero by design, so
a user who turns numpy's underflow into an error (``np.seterr(all="raise")``) or a warning
gets the same fit as with numpy's defaults, without a ``FloatingPointError`` or a
``RuntimeWarning`` from inside emkit. PLSA's M-step raised FloatingPointError here
before; the other cases hold the engine's other paths to the same rule (chunks, SQUAREM,
online EM, the Potts field, GMMHMM).
"""

import warnings

import numpy as np
import pytest

import emkit
from emkit.datasets import make_two_level_image
from emkit.image import segment_image


def _image():
    return make_two_level_image(80, noise=0.25, random_state=0)[0]


def _counts():
    rng = np.random.default_rng(1)
    topics = rng.dirichlet(np.full(30, 0.05), size=3)
    return np.vstack([rng.multinomial(60, topics[i % 3]) for i in range(60)]).astype(float)


def _binary():
    rng = np.random.default_rng(2)
    p = np.array([[0.9, 0.8, 0.1, 0.1], [0.1, 0.2, 0.9, 0.8]])
    return (rng.random((400, 4)) < p[rng.integers(0, 2, 400)]).astype(float)


CASES = {
    "gaussian-far-rows": lambda: emkit.GaussianMixture(3, random_state=0).fit(
        np.vstack([np.random.default_rng(3).normal(c, 0.1, (200, 2)) for c in (0, 40, 80)])
    ).predict_proba(np.array([[0.0, 0.0], [80.0, 80.0]])),
    "potts": lambda: segment_image(_image(), 2, spatial_beta=1.0).denoised,
    "plsa": lambda: emkit.PLSA(3, random_state=0, max_iter=30).fit_transform(_counts()),
    "squarem": lambda: emkit.BernoulliMixture(2, random_state=0, tol=1e-10,
                                              acceleration="squarem").fit(_binary()).means_,
    "online": lambda: emkit.GaussianMixture(2, random_state=0, total_samples=400).partial_fit(
        _binary()).means_,
    "gmmhmm": lambda: emkit.GMMHMM(2, n_mix=2, n_iter=5, random_state=0).fit(
        _image().reshape(-1, 2)).means_,
}


@pytest.mark.parametrize("name", list(CASES))
def test_strict_numpy_error_settings_fit_as_the_defaults(name):
    expected = CASES[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # emkit's own warnings (convergence) are not the point
        warnings.simplefilter("error", RuntimeWarning)
        with np.errstate(all="raise"):
            raised = CASES[name]()
        with np.errstate(all="warn"):
            warned = CASES[name]()
    np.testing.assert_allclose(raised, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(warned, expected, rtol=1e-12, atol=1e-300)
