"""The statistics' matrix product: the same numbers and dtype as ``@`` for every layout."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emkit._products import product


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
