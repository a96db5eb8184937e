"""The statistics' products: the numbers of ``@`` and of a float64 sum, in every layout."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emkit import _products
from emkit._compiled import HAVE_NUMBA
from emkit._products import MAX_LOOP_TERMS, column_totals, feature_sums, product


def _layouts(a):
    # C-ordered, F-ordered, and a view of the first columns of a wider array.
    wide = np.zeros((a.shape[0], a.shape[1] + 3), a.dtype)
    wide[:, :a.shape[1]] = a
    return [a, np.asfortranarray(a), wide[:, :a.shape[1]]]


@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.float32, np.float32),
                                    (np.float32, np.float64)])
def test_product_is_the_matrix_product_in_every_layout(dtypes):
    rng = np.random.default_rng(0)
    for m, n, p in [(18, 5000, 16), (16, 301, 10), (3, 1, 2), (4, 0, 5)]:
        a = rng.normal(size=(m, n)).astype(dtypes[0])
        b = rng.normal(size=(n, p)).astype(dtypes[1])
        expected = a.astype(np.float64) @ b.astype(np.float64)
        dtype = (a @ b).dtype
        rtol = 1e-12 if dtype == np.float64 else 1e-5
        for left in _layouts(a):
            for right in _layouts(b) + [np.ascontiguousarray(b.T).T]:
                result = product(left, right)
                assert result.shape == (m, p) and result.dtype == dtype
                scale = max(np.abs(a).sum(), 1.0) * np.abs(b).max(initial=1)
                assert_allclose(result, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_column_totals_are_the_float64_column_sums_in_every_layout(dtype):
    rng = np.random.default_rng(1)
    for n, k in [(25_000, 16), (7, 3), (1, 1), (0, 4)]:
        W = rng.uniform(0, 1, (n, k)).astype(dtype)
        W[::5] *= 1e-30  # values that a float32 accumulator would lose beside the others
        exact = [np.sum(np.sort(W[:, j].astype(np.float64))) for j in range(k)]
        for layout in _layouts(W):
            totals = column_totals(layout)
            assert totals.shape == (k,) and totals.dtype == np.float64
            assert_allclose(totals, exact, rtol=1e-13, atol=0)
    with_nan = np.ones((4, 2))
    with_nan[2, 1] = np.nan
    totals = column_totals(with_nan)
    assert totals[0] == 4.0 and np.isnan(totals[1])


@pytest.mark.parametrize("backend", ["compiled", "numpy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_feature_sums_are_the_float64_product_of_every_shape(backend, dtype, monkeypatch):
    if backend == "compiled" and not HAVE_NUMBA:
        pytest.skip("numba is off: only the numpy product runs")
    monkeypatch.setattr(_products, "BACKEND", backend)
    rng = np.random.default_rng(3)
    # Even and odd numbers of feature rows and of components, blocks cut short, a sample,
    # no sample, and more rows than the loop takes (BLAS).
    for T, n, K in [(18, 5000, 16), (33, 1537, 7), (1, 9, 3), (2, 1, 4), (17, 0, 5),
                    (MAX_LOOP_TERMS + 1, 700, 6)]:
        wide = rng.normal(size=(T, n + 5)).astype(dtype)
        W = rng.uniform(0, 1, (K, n)).astype(dtype)
        W[:, ::3] = 0.0  # responsibilities below the threshold
        exact = wide[:, :n].astype(np.float64) @ W.T.astype(np.float64)
        scale = np.abs(wide[:, :n]).astype(np.float64) @ W.T.astype(np.float64)
        rtol = 1e-13 if dtype == np.float64 else 2e-6
        # C-ordered features, the padded view of _features, weights stored by component
        # (the loop's layout) or by sample (the product's).
        for features in (np.ascontiguousarray(wide[:, :n]), wide[:, :n]):
            for weights in (W.T, np.ascontiguousarray(W.T)):
                sums = feature_sums(features, weights)
                assert sums.shape == (T, K) and sums.dtype == np.float64
                assert np.all(np.abs(sums - exact) <= rtol * scale + 1e-300)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is off: only the numpy product runs")
def test_feature_sums_loop_and_product_agree_to_1e_12(monkeypatch):
    rng = np.random.default_rng(4)
    features = rng.normal(size=(33, 4099))
    W = np.ascontiguousarray(rng.dirichlet(np.ones(16), 4099).T).T
    calls = []
    kernel = _products.row_dot_sums
    monkeypatch.setattr(_products, "row_dot_sums", lambda *a: calls.append(1) or kernel(*a))
    loop = feature_sums(features, W)
    assert calls == [1]  # the loop ran
    monkeypatch.setattr(_products, "BACKEND", "numpy")
    assert_allclose(loop, feature_sums(features, W), rtol=1e-12, atol=1e-12 * np.abs(loop).max())


@pytest.mark.skipif(not HAVE_NUMBA, reason="row_dot_sums is a compiled loop")
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("T, K", [(1, 1), (5, 7), (16, 16)])
def test_row_dot_sums_with_squares_formed_as_read(dtype, rtol, T, K):
    # Each feature row paired with its square: the sums of both, against numpy in
    # float64; blocks cut short, components past a multiple of four.
    rng = np.random.default_rng(T + K)
    n = 1000
    features = np.zeros((T, n + 8), dtype)
    features[:, :n] = rng.normal(size=(T, n))
    W = np.zeros((K, n + 8), dtype)
    W[:, :n] = rng.dirichlet(np.ones(K), n).T
    sums = np.ones((2 * T, K))
    _products.row_dot_sums(features, W, n, 300, sums, True)
    f, w = features[:, :n].astype(np.float64), W[:, :n].astype(np.float64)
    expected = np.vstack([f @ w.T, (f * f) @ w.T]) + 1.0
    assert_allclose(sums, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
