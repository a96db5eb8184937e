"""The one read of X for NaN, infinity and magnitude, against numpy's own answers."""

import numpy as np
import pytest
from sklearn.utils.validation import check_array

from emkit import GaussianMixture
from emkit._compiled import HAVE_NUMBA
from emkit._scan import _scan_compiled, _scan_numpy, scan_values, scanned
from emkit.estimators._input import validate_floats
from emkit.estimators._missing import has_missing


def _oracle(X):
    # What numpy says: NaN present, largest magnitude of the other values.
    values = np.abs(X[~np.isnan(X)])
    return bool(np.isnan(X).any()), float(values.max()) if values.size else 0.0


def _arrays(dtype):
    rng = np.random.default_rng(7)
    base = rng.standard_normal((1001, 7)).astype(dtype) * 1e3
    tiny = np.finfo(dtype).tiny
    yield base
    yield -base  # the largest magnitude negative
    with_nan = base.copy()
    with_nan[500, 3] = np.nan
    with_nan[17, 0] = -np.nan
    yield with_nan
    with_inf = with_nan.copy()
    with_inf[999, 6] = -np.inf
    yield with_inf
    yield np.full((5, 3), np.nan, dtype)
    yield np.array([[tiny / 4, -0.0], [0.0, -tiny / 8]], dtype)  # subnormals, signed zeros
    yield np.asfortranarray(with_nan)
    yield with_inf[:, ::2]  # neither C nor Fortran order: the numpy passes
    yield np.array([[np.finfo(dtype).max, np.nan]], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scan_finds_what_numpy_finds_in_both_implementations(dtype):
    for X in _arrays(dtype):
        nan, largest = _oracle(X)
        found = [scan_values(X), _scan_numpy(X)]
        flat = X.ravel(order="K")
        if HAVE_NUMBA and np.shares_memory(flat, X):
            found.append(_scan_compiled(flat))
        for scan in found:
            assert scan.nan is nan
            assert scan.largest == largest
            assert scan.infinite is (largest == np.inf)


def test_an_empty_array_has_nothing():
    scan = scan_values(np.empty((0, 3)))
    assert (scan.nan, scan.largest, scan.infinite) == (False, 0.0, False)


def test_within_scanned_the_fit_s_scan_answers_for_its_array_only():
    X = np.zeros((4, 2))
    other = np.full((4, 2), np.nan)
    planted = scan_values(other)  # a scan that X's own read would not give
    with scanned(X, planted):
        assert scan_values(X) is planted
        assert has_missing(X)
        assert not scan_values(X.copy()).nan  # another array is read
        assert scan_values(other).nan
    assert not has_missing(X)
    with scanned(X, None):  # nothing known: X is read
        assert not has_missing(X)


@pytest.mark.parametrize("policy", [True, "allow-nan"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_validate_floats_refuses_what_check_array_refuses_in_its_words(policy, bad):
    X = np.ones((6, 2))
    X[4, 1] = bad
    model = GaussianMixture()
    try:
        check_array(X, ensure_all_finite=policy, estimator=model, input_name="X")
    except ValueError as exc:
        expected = str(exc)
    else:
        expected = None
    if expected is None:
        validated, scan = validate_floats(model, X, ensure_all_finite=policy)
        assert scan.nan and np.array_equal(validated, X, equal_nan=True)
    else:
        with pytest.raises(ValueError) as caught:
            validate_floats(model, X, ensure_all_finite=policy)
        assert str(caught.value) == expected


def test_a_fit_refuses_infinity_and_keeps_nan_as_missing():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2))
    X[3, 0] = np.nan
    fitted = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    assert np.isfinite(fitted.lower_bound_)
    X[5, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    with pytest.raises(ValueError, match="Input X contains infinity"):
        fitted.predict(X)
