"""emkit.hmm.utils against hmmlearn.utils, run side by side on the same arrays."""

import numpy as np
import pytest
from hmmlearn import utils as peer
from numpy.testing import assert_allclose, assert_array_equal

from emkit.hmm import utils


def _pair(a):
    return a.copy(), a.copy()


@pytest.mark.parametrize("shape, axis", [((7,), None), ((5, 4), None), ((5, 4), 1),
                                         ((5, 4), -1), ((3, 4, 6), 2), ((3, 4, 6), 1)])
def test_normalize_equals_hmmlearn(shape, axis):
    ours, theirs = _pair(np.random.default_rng(0).uniform(0.1, 5.0, shape))
    utils.normalize(ours, axis)
    peer.normalize(theirs, axis)
    assert_allclose(ours, theirs, rtol=1e-15)
    assert_allclose(ours.sum(axis=axis), 1.0, rtol=1e-14)


def test_normalize_along_axis_zero_and_zero_slices():
    # hmmlearn's test: zeros in each column, each axis in turn. A slice summing to 0
    # stays 0 (hmmlearn's does too, but only for a truthy axis: along axis 0 it divides
    # by zero).
    rng = np.random.default_rng(1)
    A = rng.normal(42.0, size=(128, 4))
    for axis in range(A.ndim):
        A[rng.choice(len(A), size=16), axis] = 0.0
        assert (A[:, axis] == 0.0).any()
        utils.normalize(A, axis=axis)
        assert_allclose(A.sum(axis=axis), 1.0)
    B = np.array([[1.0, 3.0], [0.0, 0.0]])
    utils.normalize(B, axis=1)
    assert_array_equal(B, [[0.25, 0.75], [0.0, 0.0]])
    C = np.array([[1.0, 0.0], [3.0, 0.0]])
    utils.normalize(C, axis=0)
    assert_array_equal(C, [[0.25, 0.0], [0.75, 0.0]])


@pytest.mark.parametrize("shape, axis", [((7,), None), ((5, 4), 1), ((5, 4), 0),
                                         ((3, 4, 6), 2), ((5, 1), 1)])
def test_log_normalize_equals_hmmlearn(shape, axis):
    ours, theirs = _pair(np.random.default_rng(2).normal(-3.0, 4.0, shape))
    utils.log_normalize(ours, axis)
    peer.log_normalize(theirs, axis)
    assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13)
    assert_allclose(np.exp(ours).sum(axis=axis), 1.0, rtol=1e-13)


def test_log_normalize_keeps_an_impossible_slice_at_minus_infinity():
    # hmmlearn's gives NaN there (-inf minus -inf).
    a = np.array([[0.0, np.log(3.0)], [-np.inf, -np.inf]])
    utils.log_normalize(a, axis=1)
    assert_allclose(a[0], np.log([0.25, 0.75]))
    assert_array_equal(a[1], [-np.inf, -np.inf])


@pytest.mark.parametrize("covariance_type, covars", [
    ("full", np.arange(12.0).reshape(3, 2, 2) + 1),
    ("diag", np.arange(6.0).reshape(3, 2) + 1),
    ("tied", np.arange(4.0).reshape(2, 2) + 1),
    ("spherical", np.array([1.0, 2.0, 3.0])),
])
def test_fill_covars_equals_hmmlearn(covariance_type, covars):
    ours = utils.fill_covars(covars, covariance_type, 3, 2)
    theirs = peer.fill_covars(covars, covariance_type, 3, 2)
    assert ours.shape == (3, 2, 2)
    assert_array_equal(ours, theirs)
    if covariance_type == "full":
        assert ours is covars  # returned as given, as hmmlearn does


def test_fill_covars_matches_the_covariances_a_fitted_hmm_exposes():
    # covars_ of a GaussianHMM are the full matrices of its stored layout.
    from emkit.hmm import GaussianHMM

    X = np.random.default_rng(3).normal(size=(300, 2))
    for covariance_type in ("spherical", "diag", "tied", "full"):
        model = GaussianHMM(2, covariance_type=covariance_type, n_iter=3,
                            random_state=0).fit(X)
        assert_allclose(utils.fill_covars(model._covars_, covariance_type, 2, 2),
                        model.covars_)


def test_fill_covars_reads_spherical_variances_repeated_per_feature_once():
    # hmmlearn's makes n_components * n_features matrices of such an array.
    repeated = np.repeat([[1.0], [2.0], [3.0]], 2, axis=1)
    assert_array_equal(utils.fill_covars(repeated, "spherical", 3, 2),
                       peer.fill_covars(np.array([1.0, 2.0, 3.0]), "spherical", 3, 2))
    assert peer.fill_covars(repeated, "spherical", 3, 2).shape == (6, 2, 2)


@pytest.mark.parametrize("call, message", [
    (lambda: utils.fill_covars(np.array([1.0, -2.0]), "spherical", 2, 2),
     "'spherical' covars must be positive; component 1 holds -2."),
    (lambda: utils.fill_covars(np.ones(3), "banded", 3, 2),
     "covariance_type must be one of 'full', 'tied', 'diag', 'spherical'; got 'banded'."),
    (lambda: utils.normalize(np.zeros(4)),
     "normalize: the array sums to 0, so it cannot be scaled to sum to 1; give it a "
     "positive entry."),
    (lambda: utils.normalize([1.0, 2.0]),
     "normalize changes its argument in place, so it takes a float numpy array; got a "
     "list (convert it with np.asarray(a, dtype=float))."),
    (lambda: utils.log_normalize(np.arange(3)),
     "log_normalize changes its argument in place, so it takes a float numpy array; got "
     "a int64 array (convert it with np.asarray(a, dtype=float))."),
])
def test_bad_input_gets_one_sentence(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value) == message
