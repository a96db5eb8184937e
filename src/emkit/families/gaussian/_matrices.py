"""What the Gaussian families with covariance matrices share: one per component, or one shared.

``GaussianFull`` keeps a ``(K, D, D)`` stack of covariances and ``GaussianTied`` one
``(D, D)`` matrix; everything below works on the last two axes, so it serves both. A
family says how its scatter is pooled (``_scatter_weight``) and whether its covariance is
shared (``shared_covariance``).
"""

from typing import ClassVar

import numpy as np

from emkit.families.gaussian._linalg import LOG_2PI, ill_defined_error
from emkit.families.gaussian.missing import accumulate_missing, observed_terms

__all__ = ["MatrixCovariances", "regularized"]


def regularized(covariances, reg_covar):
    """Return covariances made exactly symmetric, with ``reg_covar`` added to the diagonal.

    Parameters
    ----------
    covariances : ndarray of shape (..., n_features, n_features)
        Estimated covariances; overwritten.
    reg_covar : float
        Added to every diagonal entry.

    Returns
    -------
    covariances : ndarray of shape (..., n_features, n_features)
    """
    covariances = 0.5 * (covariances + np.swapaxes(covariances, -1, -2))
    D = covariances.shape[-1]
    # A new C-ordered array: its flattened matrices hold the diagonal every D + 1 entries.
    covariances.reshape(covariances.shape[:-2] + (D * D,))[..., ::D + 1] += reg_covar
    return covariances


class MatrixCovariances:
    """Mixin for Gaussian families whose ``covariances`` are full symmetric matrices.

    The family has the fields ``means``, ``covariances``, ``reg_covar`` and
    ``precisions_cholesky``, the derived ``shift``, ``_precisions`` and ``_linear``, and
    defines ``from_precisions`` and ``_scatter_weight(stats)``.
    """

    #: Whether every component shares one covariance matrix.
    shared_covariance: ClassVar[bool] = False

    @classmethod
    def from_precisions_cholesky(cls, means, precisions_cholesky, reg_covar=1e-6):
        """Build the family from factors ``U`` with ``U @ U.T`` the precision.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
            Component means.
        precisions_cholesky : ndarray of shape (..., n_features, n_features)
            Cholesky factors of the precisions: one per component, or the shared one.
        reg_covar : float, default=1e-6
            Regularization of later M-steps.

        Returns
        -------
        family : Family
            Of the class it is called on.
        """
        factor = np.asarray(precisions_cholesky, dtype=np.float64)
        return cls.from_precisions(means, factor @ np.swapaxes(factor, -1, -2), reg_covar)

    @property
    def precisions(self):
        """Inverse covariances, (K, D, D), or the shared (D, D)."""
        factor = self.precisions_cholesky
        return factor @ np.swapaxes(factor, -1, -2)

    def _log_prob_about_mean(self, centred, k):
        # log N(x | mean_k, covariance_k) of rows given as x - mean_k, in float64: with
        # the precision factor U_k (U_k U_k^T the inverse), -|(x - mean_k) U_k|^2 / 2 and
        # log det U_k (see .far).
        factor = self.precisions_cholesky
        factor = factor[k] if factor.ndim == 3 else factor
        whitened = centred @ factor
        return (np.sum(np.log(np.diagonal(factor)))
                - 0.5 * (len(factor) * LOG_2PI + np.einsum("nd,nd->n", whitened, whitened)))

    def _observed_terms(self, centred, mask):
        return observed_terms(centred, mask, self._precisions, self._linear)

    def _add_missing(self, stats, chunk, W):
        first, second = accumulate_missing(chunk, W, shared=self.shared_covariance)
        return type(stats)(stats.weight, stats.first + first, stats.second + second,
                           self.shift)

    def maximize(self, stats):
        """Return the Gaussians that maximize the expected log-likelihood of ``stats``.

        Each covariance is its scatter about the new means over its weight, made exactly
        symmetric, with ``reg_covar`` on the diagonal.

        Parameters
        ----------
        stats : FullStats or TiedStats
            Summed statistics.

        Returns
        -------
        family : Family
            Of the same class.
        """
        weight = self._scatter_weight(stats)
        covariances = stats.scatter() / weight
        family = type(self)(stats.means, regularized(covariances, self.reg_covar),
                            self.reg_covar)
        _refuse_rounding_noise(family, stats, weight)
        return family

    def n_parameters(self):
        """Return the number of free parameters: the means and the symmetric matrices.

        Returns
        -------
        n : int
        """
        K, D = self.means.shape
        n_matrices = np.size(self.covariances) // (D * D)
        return int(K * D + n_matrices * D * (D + 1) // 2)

    def sample(self, k, n, rng):
        """Draw ``n`` rows from component ``k``.

        Parameters
        ----------
        k : int
            The component.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        K, D = self.means.shape
        covariance = np.broadcast_to(self.covariances, (K, D, D))[k]
        return rng.multivariate_normal(self.means[k], covariance, int(n))


def _refuse_rounding_noise(family, stats, weight):
    # A covariance whose Cholesky pivot (the variance of a feature given the ones before
    # it) is below the rounding error of that feature's scatter is singular but for
    # rounding (points repeated exactly, reg_covar 0): LAPACK may factor it or not, so the
    # fit would stop, or go on with a matrix of noise, by the last bits. It is refused, as
    # a singular one is (scikit-learn's message ends: "or scale the input data"). With
    # reg_covar above the rounding error no pivot is that small.
    D = family.means.shape[1]
    factors = np.reshape(family.precisions_cholesky, (-1, D, D))
    pivots = 1.0 / np.diagonal(factors, axis1=1, axis2=2) ** 2
    zero = (np.reshape(stats.scatter_rounding(stats.means), (-1, D))
            / np.reshape(weight, (-1, 1)))
    if np.any(pivots <= zero):
        raise ill_defined_error()
