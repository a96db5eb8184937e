import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emkit.datasets import (
    load_exercise_9_3,
    load_three_coins,
    make_blobs_2d,
    make_two_gaussians_1d,
)


def test_two_gaussians_shape_dtype_and_labels():
    X, y = make_two_gaussians_1d(50)
    assert X.shape == (50, 1) and X.dtype == np.float64
    assert y.shape == (50,)
    assert set(np.unique(y)) <= {0, 1}


@pytest.mark.parametrize("make", [make_two_gaussians_1d, make_blobs_2d])
def test_deterministic_under_seed(make):
    X1, y1 = make(random_state=42)
    X2, y2 = make(random_state=np.random.RandomState(42))
    assert_array_equal(X1, X2)
    assert_array_equal(y1, y2)
    X3, _ = make(random_state=43)
    assert not np.array_equal(X1, X3)
    make(random_state=None)  # None is accepted


def test_two_gaussians_matches_parameters():
    n, weights, means, stds = 20000, (0.3, 0.7), (-2.0, 0.5), (0.5, 1.0)
    X, y = make_two_gaussians_1d(n, random_state=1)
    x = X[:, 0]
    for k in range(2):
        frac = np.mean(y == k)
        assert abs(frac - weights[k]) < 4 * np.sqrt(weights[k] * (1 - weights[k]) / n)
        xk = x[y == k]
        nk = len(xk)
        assert abs(xk.mean() - means[k]) < 4 * stds[k] / np.sqrt(nk)
        assert abs(xk.std(ddof=1) - stds[k]) < 4 * stds[k] / np.sqrt(2 * (nk - 1))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"weights": (0.5, 0.6)}, "weights must be non-negative and sum to 1"),
        ({"weights": (0.2, 0.3, 0.5)}, "must have the same non-zero length"),
        ({"stds": (0.5, 0.0)}, "stds must all be positive"),
        ({"stds": (0.5, -1.0)}, "stds must all be positive"),
    ],
)
def test_two_gaussians_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_two_gaussians_1d(**kwargs)


def test_three_coins():
    X = load_three_coins()
    assert X.shape == (10, 1)
    assert np.issubdtype(X.dtype, np.integer)
    assert_array_equal(X.ravel(), [1, 1, 0, 1, 0, 0, 1, 0, 1, 1])


def test_exercise_9_3():
    X = load_exercise_9_3()
    assert X.shape == (15, 1) and X.dtype == np.float64
    expected = [-67, -48, 6, 8, 14, 16, 23, 24, 28, 29, 41, 49, 56, 60, 75]
    assert_array_equal(X.ravel(), expected)


def test_blobs_shape_and_labels():
    X, y = make_blobs_2d(300, n_centers=4)
    assert X.shape == (300, 2) and X.dtype == np.float64
    assert_array_equal(np.bincount(y), [75, 75, 75, 75])


def test_blobs_favour_full_covariance_mixture():
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    X, y = make_blobs_2d()
    gmm = GaussianMixture(3, n_init=3, random_state=0).fit_predict(X)
    km = KMeans(3, n_init=10, random_state=0).fit_predict(X)
    assert adjusted_rand_score(y, gmm) > adjusted_rand_score(y, km) + 0.1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_centers": 0}, "n_centers must be a positive integer"),
        ({"cluster_std": 0.0}, "cluster_std must be positive"),
    ],
)
def test_blobs_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_blobs_2d(**kwargs)
