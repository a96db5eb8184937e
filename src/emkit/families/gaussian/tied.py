"""K Gaussians sharing one full covariance matrix.

The quadratic term ``x^T P x`` is the same for every component, so the E-step needs it
once per row; the linear terms of all K components are one product. Rows with missing
entries take the observed-data E-step of :mod:`.missing`; their conditional covariance
is the same under every component.
"""

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from emkit._products import feature_sums, product
from emkit.families.base import Family, set_derived
from emkit.families.gaussian._linalg import (
    LOG_2PI, covariance_from_precision, precision_cholesky)
from emkit.families.gaussian._features import LINEAR
from emkit.families.gaussian._matrices import MatrixCovariances
from emkit.families.gaussian._prepared import PreparedGaussian
from emkit.families.gaussian.missing import missing_bytes_per_row
from emkit.families.gaussian.stats import TiedStats

__all__ = ["GaussianTied"]


@dataclass(frozen=True)
class GaussianTied(MatrixCovariances, PreparedGaussian, Family):
    """K Gaussians with one shared covariance matrix.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_features, n_features)
        The covariance shared by all components.
    reg_covar : float, default=1e-6
        Added to the diagonal of the covariance the M-step estimates.
    """

    means: np.ndarray
    covariances: np.ndarray
    reg_covar: float = 1e-6
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    component_fields: ClassVar[tuple] = ("means",)
    shared_covariance: ClassVar[bool] = True
    #: The chunk features: ``[1, y]`` (see :mod:`._features`).
    _products: ClassVar[int] = LINEAR

    def __post_init__(self):
        means = np.array(self.means, dtype=np.float64, ndmin=2)
        cov = np.asarray(self.covariances, dtype=np.float64)
        factor = precision_cholesky(cov)
        set_derived(self, means=means, covariances=cov, precisions_cholesky=factor)
        D = means.shape[1]
        shift = means.mean(axis=0)
        centred = means - shift
        precisions = self.precisions
        linear = centred @ precisions
        distances = np.einsum("kd,kd->k", linear, centred)
        const = -0.5 * D * LOG_2PI + np.log(np.diag(factor)).sum() - 0.5 * distances
        weights = np.hstack([const[:, None], linear])
        set_derived(self, shift=shift, _weights=weights, _precisions=precisions,
                    _linear=linear, _reach=float(np.max(distances)),
                    _largest_precision=float(np.max(np.diag(precisions))))

    @classmethod
    def from_precisions(cls, means, precisions, reg_covar=1e-6):
        """Build the family from the shared precision matrix.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
            Component means.
        precisions : ndarray of shape (n_features, n_features)
            The inverse of the shared covariance.
        reg_covar : float, default=1e-6
            Regularization of later M-steps.

        Returns
        -------
        family : GaussianTied
        """
        return cls(means, covariance_from_precision(np.asarray(precisions, float)), reg_covar)

    @classmethod
    def _placeholder(cls, n_components, center, reg_covar):
        return cls(np.tile(center, (n_components, 1)), np.eye(len(center)), reg_covar)

    def _from_features(self, feats):
        # ``([1, x]`` transposed, ``x^T P x``) about the shift.
        whitened = self.precisions_cholesky.T.astype(feats.dtype) @ feats[1:]
        return feats, np.einsum("dn,dn->n", whitened, whitened)

    def _log_prob_features(self, prepared):
        feats, quad = prepared
        weights = self._weights32 if feats.dtype == np.float32 else self._weights
        out = weights @ feats
        out -= 0.5 * quad
        return out.T

    def _accumulate_features(self, prepared, W):
        feats, _ = prepared
        W = np.asarray(W, dtype=feats.dtype)
        sums = feature_sums(feats, W)
        rows = feats[1:] * W.sum(axis=1)
        second = product(rows, feats[1:].T).astype(np.float64)
        return TiedStats(sums[0], sums[1:].T, second, self.shift)

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
        return (X.dtype.itemsize * (3 + 3 * X.shape[1] + 3 * self.n_components)
                + missing_bytes_per_row(X, self.n_components, 1))

    # -- M-step and re-seeding ----------------------------------------------------------
    def _scatter_weight(self, stats):
        # The pooled scatter of all components over their total weight.
        return stats.weight.sum()

    def reseed(self, k, x):
        """Restart component ``k`` at ``x``; the shared covariance stays.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The new mean.

        Returns
        -------
        family : GaussianTied
        """
        means = self.means.copy()
        means[k] = x
        return GaussianTied(means, self.covariances, self.reg_covar)
