"""Shared fixtures: seeds that can be swept, small data sets."""

import numpy as np
import pytest


@pytest.fixture(params=[0, 1, 2])
def seed(request):
    return request.param


def blobs(n=600, d=3, k=3, seed=0, spread=4.0):
    """Gaussian blobs with random anisotropic covariances; returns X and labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=spread, size=(k, d))
    labels = rng.integers(0, k, size=n)
    shears = rng.normal(scale=0.4, size=(k, d, d)) + np.eye(d)
    noise = np.einsum("nd,nde->ne", rng.normal(size=(n, d)), shears[labels])
    return centres[labels] + noise, labels
