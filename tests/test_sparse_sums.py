"""The sparse moment loop of the Gaussian families: the weights that count, and only them.

The oracle is numpy's dense float64 product of the chunk features with the weights, with
the weights below the cut set to zero; and, for whole fits, the same fit with the loop
turned off.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import emkit
from emkit._compiled import HAVE_NUMBA
from emkit.families import GaussianDiag, GaussianFull, GaussianSpherical
from emkit.families.gaussian import _prepared
from emkit.families.gaussian._features import PAIRS, SQUARES, centred_features
from emkit.families.gaussian._sparse_sums import (CUT_SHARE, SPARSE_SHARE,
                                                  sparse_moment_sums)
from emkit.models import Mixture

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="the sparse loop is compiled "
                                "(numba not installed, or EMKIT_DISABLE_NUMBA set)")

K, D = 12, 5


def _blobs(n=3000, seed=0, spread=10.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=spread, size=(K, D))
    labels = rng.integers(0, K, n)
    return centres[labels] + rng.normal(size=(n, D)), centres


def _chunk(family, X):
    # The weights and features of one chunk, as Mixture.chunk_stats makes them.
    model = Mixture(np.full(K, 1.0 / K), family)
    prepared = family.prepare(X)
    resp, _ = model.posteriors(X)
    return prepared, resp


def _cut(W):
    return W.sum(axis=0) * np.finfo(float).eps / (CUT_SHARE * len(W))


@pytest.mark.parametrize("products", [SQUARES, PAIRS])
def test_sums_are_the_dense_product_of_the_weights_above_the_cut(products):
    X, centres = _blobs()
    family = (GaussianDiag(centres, np.ones((K, D))) if products == SQUARES
              else GaussianFull(centres, np.tile(np.eye(D), (K, 1, 1))))
    prepared, W = _chunk(family, X)
    terms = prepared.terms
    counted = np.where(W > _cut(W), W, 0.0)
    assert np.count_nonzero(counted) <= W.size / SPARSE_SHARE  # the loop's case
    sums = sparse_moment_sums(terms, X, family.shift, W, products)
    assert sums is not None and sums.shape == (terms.shape[0], K)
    oracle = terms @ counted
    assert_allclose(sums, oracle, rtol=1e-12, atol=1e-12 * np.abs(oracle).max())
    # What the cut left out is below one rounding error of each component's weight.
    dropped = (W - counted).sum(axis=0)
    assert np.all(dropped <= np.finfo(float).eps / CUT_SHARE * W.sum(axis=0))
    assert_allclose(sums, terms @ W, rtol=1e-12, atol=1e-12 * np.abs(oracle).max())


def test_a_weight_at_the_cut_is_left_out_and_one_above_it_counts():
    X, centres = _blobs(n=400)
    family = GaussianDiag(centres, np.ones((K, D)))
    terms = centred_features(X, family.shift, np.float64, SQUARES)
    W = np.zeros((len(X), K))
    W[np.arange(len(X)), np.arange(len(X)) % K] = 1.0
    cut = _cut(W)
    W[0, 1], W[1, 2] = cut[1], np.nextafter(cut[2], 1.0)
    sums = sparse_moment_sums(terms, X, family.shift, W, SQUARES)
    expected = W.copy()
    expected[0, 1] = 0.0
    assert_allclose(sums, terms @ expected, rtol=1e-13, atol=1e-300)
    assert sums[0, 2] == pytest.approx(np.sum(W[:, 2]), rel=1e-15)


def test_dense_weights_float32_norms_and_few_components_take_the_product():
    X, centres = _blobs(n=500)
    family = GaussianDiag(centres, np.ones((K, D)))
    terms = centred_features(X, family.shift, np.float64, SQUARES)
    uniform = np.full((len(X), K), 1.0 / K)
    assert sparse_moment_sums(terms, X, family.shift, uniform, SQUARES) is None
    _, W = _chunk(family, X)
    assert sparse_moment_sums(terms, X, family.shift, W, SQUARES) is not None
    terms32 = centred_features(X.astype(np.float32), family.shift, np.float32, SQUARES)
    assert sparse_moment_sums(terms32, X.astype(np.float32), family.shift, W,
                              SQUARES) is None
    spherical = GaussianSpherical(centres, np.ones(K))
    norms = spherical.prepare(X).terms
    assert sparse_moment_sums(norms, X, spherical.shift, W, spherical._products) is None
    few = W[:, :SPARSE_SHARE - 1]
    assert sparse_moment_sums(terms, X, family.shift, few, SQUARES) is None


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_fits_with_the_loop_equal_fits_with_the_dense_product(covariance_type, monkeypatch):
    X, _ = _blobs(n=4000, seed=3)
    calls = []
    original = _prepared.sparse_moment_sums

    def counting(*args):
        sums = original(*args)
        calls.append(sums is not None)
        return sums

    def fit():
        # Unit sample weights: the feature path's statistics (the one pass of diag
        # chunks, which never holds the responsibilities, is for unweighted rows).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return emkit.GaussianMixture(K, covariance_type=covariance_type, max_iter=20,
                                         tol=0, random_state=0).fit(
                X, sample_weight=np.ones(len(X)))

    monkeypatch.setattr(_prepared, "sparse_moment_sums", counting)
    sparse = fit()
    assert any(calls)
    monkeypatch.setattr(_prepared, "sparse_moment_sums", lambda *args: None)
    dense = fit()
    assert_allclose(sparse.means_, dense.means_, rtol=1e-10, atol=1e-12)
    assert_allclose(sparse.covariances_, dense.covariances_, rtol=1e-10, atol=1e-12)
    assert_allclose(sparse.weights_, dense.weights_, rtol=1e-10)
    assert sparse.lower_bound_ == pytest.approx(dense.lower_bound_, rel=1e-12)
