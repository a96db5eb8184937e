"""K Gaussians, each with its own full covariance matrix.

The E-step and the M-step share one feature matrix per chunk, ``[1, x, x_d x_e (d <= e)]``
about a shift: the log-densities of all K components are one product with it, and the
first and second moments are another (DESIGN.md, performance habits). Above
``EXPANDED_MAX_FEATURES`` features the per-component form is used instead. Rows with
missing entries take the observed-data E-step of :mod:`.missing`.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import numpy as np
from emkit._compiled import HAVE_NUMBA, kernel
from emkit._products import feature_sums
from emkit.families.base import Family, set_derived
from emkit.families.gaussian._features import LINEAR, PAIRS
from emkit.families.gaussian._linalg import (
    COMPILED_MAX_FEATURES, LOG_2PI, covariance_from_precision, precisions_cholesky)
from emkit.families.gaussian._matrices import MatrixCovariances
from emkit.families.gaussian._prepared import PreparedGaussian
from emkit.families.gaussian.missing import missing_bytes_per_row
from emkit.families.gaussian.stats import FullStats
from emkit.stats import WEIGHT_EPS

__all__ = ["GaussianFull"]

#: Largest number of features for which the expanded quadratic form is used.
EXPANDED_MAX_FEATURES = 64


@dataclass(frozen=True)
class GaussianFull(MatrixCovariances, PreparedGaussian, Family):
    """K multivariate Gaussians with full covariance matrices.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances, symmetric positive definite.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance the M-step estimates.
    """

    means: np.ndarray
    covariances: np.ndarray
    reg_covar: float = 1e-6
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    component_fields: ClassVar[tuple] = ("means", "covariances")

    def __post_init__(self):
        means = np.array(self.means, dtype=np.float64, ndmin=2)
        covs = np.asarray(self.covariances, dtype=np.float64)
        set_derived(self, means=means, covariances=covs)
        set_derived(self, precisions_cholesky=precisions_cholesky(covs))
        self._derive()

    @classmethod
    def from_precisions(cls, means, precisions, reg_covar=1e-6):
        """Build the family from precision matrices instead of covariances.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
            Component means.
        precisions : ndarray of shape (n_components, n_features, n_features)
            Inverse covariances.
        reg_covar : float, default=1e-6
            Regularization of later M-steps.

        Returns
        -------
        family : GaussianFull
        """
        covs = np.array([covariance_from_precision(p) for p in np.asarray(precisions, float)])
        return cls(means, covs, reg_covar)

    @classmethod
    def _placeholder(cls, n_components, center, reg_covar):
        D = len(center)
        return cls(np.tile(center, (n_components, 1)), np.tile(np.eye(D), (n_components, 1, 1)),
                   reg_covar)

    def _derive(self):
        # The weights of the chunk features: [constant, linear terms, quadratic terms].
        K, D = self.means.shape
        expanded = D <= EXPANDED_MAX_FEATURES
        n_terms = 1 + D + (D * (D + 1) // 2 if expanded else 0)
        compiled = HAVE_NUMBA and D <= COMPILED_MAX_FEATURES
        derive = _feature_weights if compiled else _feature_weights_numpy
        shift, weights, prec, linear, reach, largest = derive(
            self.means, self.precisions_cholesky, n_terms)
        set_derived(self, shift=shift, _weights=weights, _expanded=expanded,
                    _products=PAIRS if expanded else LINEAR, _precisions=prec,
                    _linear=linear, _reach=reach, _largest_precision=largest)

    # -- E-step ------------------------------------------------------------------
    def _from_features(self, feats):
        # ``(X - shift, features)``; features is (n_terms, n_samples), rows [1, x, x_d x_e].
        return feats[1:self.means.shape[1] + 1].T, feats

    def _log_prob_features(self, prepared):
        centred, feats = prepared
        weights = self._weights32 if feats.dtype == np.float32 else self._weights
        out = weights @ feats
        if not self._expanded:
            out -= 0.5 * self._mahalanobis(centred)
        return out.T

    def _mahalanobis(self, centred):
        # Per-component form for many features: |x U_k|^2 without the linear terms,
        # which the weights already hold.
        return np.stack([np.einsum("nd,nd->n", y, y) for y in
                         (centred @ u.astype(centred.dtype) for u in self.precisions_cholesky)])

    def _accumulate_features(self, prepared, W):
        centred, feats = prepared
        sums = feature_sums(feats, W)
        if self._expanded:
            return self._stats_of_sums(sums)
        D = centred.shape[1]
        W64 = np.asarray(W, dtype=np.float64)
        c64 = centred.astype(np.float64, copy=False)
        second = np.stack([(c64 * W64[:, k:k + 1]).T @ c64 for k in range(W64.shape[1])])
        return FullStats(sums[0], sums[1:D + 1].T, second, self.shift)

    def _stats_of_sums(self, sums):
        # The statistics of the expanded features' moment sums ``features @ W``.
        D = self.means.shape[1]
        return FullStats(sums[0], sums[1:D + 1].T, _unpack(sums[D + 1:].T, D), self.shift)

    def bytes_per_row(self, X):
        """Return the working-set bytes of one row in an E-step.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        n_bytes : int
        """
        return (X.dtype.itemsize * (self._weights.shape[1] + X.shape[1] + 3 * self.n_components)
                + missing_bytes_per_row(X, self.n_components, self.n_components))

    # -- M-step ------------------------------------------------------------------------
    def maximize(self, stats):
        """Return the Gaussians that maximize the expected log-likelihood of ``stats``.

        Each covariance is its scatter about the new mean over the component's weight,
        made exactly symmetric, with ``reg_covar`` on the diagonal: with numba, in one
        compiled call that makes the same operations in the same order as the numpy
        path (``MatrixCovariances.maximize``), whose dozen small calls cost more than
        their arithmetic in a small fit's every iteration.

        Parameters
        ----------
        stats : FullStats
            Summed statistics.

        Returns
        -------
        family : GaussianFull
        """
        if not HAVE_NUMBA:
            return super().maximize(stats)
        shift = np.broadcast_to(stats.shift, stats.first.shape)
        means, covariances = _maximize(stats.weight, stats.first, stats.second, shift,
                                       float(self.reg_covar))
        return type(self)(means, covariances, self.reg_covar)

    def _scatter_weight(self, stats):
        # Each component's scatter over its own weight.
        return (stats.weight + WEIGHT_EPS)[:, None, None]


def _feature_weights_numpy(means, factor, n_terms):
    # Returns (shift, weights, precisions, linear terms, reach, largest precision): the
    # log-density of row x under component k is weights[k] @ [1, y, y_d y_e (d <= e)]
    # with y = x - shift; reach is the largest squared Mahalanobis distance of a mean
    # from the shift, and the last the largest diagonal entry of a precision.
    K, D = means.shape
    shift = np.add.reduce(means, axis=0) / K
    centred = means - shift
    prec = factor @ factor.transpose(0, 2, 1)
    linear = (prec @ centred[:, :, None])[:, :, 0]
    log_det = np.log(factor.reshape(K, D * D)[:, ::D + 1]).sum(axis=1)
    distances = (linear * centred).sum(axis=1)
    weights = np.empty((K, n_terms))
    weights[:, 0] = -0.5 * D * LOG_2PI + log_det - 0.5 * distances
    weights[:, 1:D + 1] = linear
    if n_terms > D + 1:
        flat, scale = _triu(D)
        np.multiply(prec.reshape(K, D * D)[:, flat], scale, out=weights[:, D + 1:])
    largest = np.max(prec.reshape(K, D * D)[:, ::D + 1])
    return shift, weights, prec, linear, float(np.max(distances)), float(largest)


@kernel
def _feature_weights(means, factor, n_terms):
    # _feature_weights_numpy in one compiled call: the M-step builds a family every
    # iteration, and for small K and D the numpy calls cost more than their arithmetic.
    K, D = means.shape
    shift = np.zeros(D)
    for k in range(K):
        for d in range(D):
            shift[d] += means[k, d]
    shift /= K
    prec = np.zeros((K, D, D))
    linear = np.zeros((K, D))
    weights = np.empty((K, n_terms))
    reach = -np.inf
    largest = -np.inf
    for k in range(K):
        for d in range(D):
            for e in range(D):
                total = 0.0
                for p in range(max(d, e), D):
                    total += factor[k, d, p] * factor[k, e, p]
                prec[k, d, e] = total
        quadratic = 0.0
        log_det = 0.0
        for d in range(D):
            value = 0.0
            for e in range(D):
                value += prec[k, d, e] * (means[k, e] - shift[e])
            linear[k, d] = value
            quadratic += value * (means[k, d] - shift[d])
            log_det += np.log(factor[k, d, d])
        weights[k, 0] = -0.5 * D * LOG_2PI + log_det - 0.5 * quadratic
        reach = max(reach, quadratic)
        for d in range(D):
            largest = max(largest, prec[k, d, d])
        for d in range(D):
            weights[k, 1 + d] = linear[k, d]
        if n_terms > D + 1:
            term = D + 1
            for d in range(D):
                for e in range(d, D):
                    weights[k, term] = -0.5 * prec[k, d, e] if d == e else -prec[k, d, e]
                    term += 1
    return shift, weights, prec, linear, reach, largest


@kernel
def _maximize(weight, first, second, shift, reg_covar):
    # The means (stats.means), the scatters (FullStats.scatter) over the weights plus
    # WEIGHT_EPS, then symmetrized with reg_covar on the diagonal (regularized): the
    # numpy path's operations, element by element, in its order, so the same numbers.
    K, D = first.shape
    means = np.empty((K, D))
    covariances = np.empty((K, D, D))
    for k in range(K):
        safe = weight[k] + WEIGHT_EPS
        for d in range(D):
            means[k, d] = shift[k, d] + first[k, d] / safe
        for d in range(D):
            centred = first[k, d] / safe
            for e in range(D):
                scatter = second[k, d, e] - weight[k] * centred * (first[k, e] / safe)
                covariances[k, d, e] = scatter / safe
        for d in range(D):
            for e in range(d, D):
                value = 0.5 * (covariances[k, d, e] + covariances[k, e, d])
                covariances[k, d, e] = value
                covariances[k, e, d] = value
            covariances[k, d, d] += reg_covar
    return means, covariances


@lru_cache(maxsize=32)
def _triu(D):
    # Flat indices of the upper triangle (d <= e) of a D x D matrix, and the factor of
    # each quadratic term: -1/2 on the diagonal, -1 off it (x_d x_e appears twice).
    rows, cols = np.triu_indices(D)
    return rows * D + cols, np.where(rows == cols, -0.5, -1.0)


@lru_cache(maxsize=32)
def _triu_both(D):
    rows, cols = np.triu_indices(D)
    return rows * D + cols, cols * D + rows


def _unpack(packed, D):
    upper, lower = _triu_both(D)
    out = np.empty((packed.shape[0], D * D))
    out[:, upper] = packed
    out[:, lower] = packed
    return out.reshape(-1, D, D)
