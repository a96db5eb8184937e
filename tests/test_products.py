"""The statistics' products: the numbers of ``@`` and of a float64 sum, in every layout."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emkit._products import column_totals, product


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
