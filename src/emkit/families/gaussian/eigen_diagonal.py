"""mclust's spherical and diagonal models whose M-step scikit-learn has no name for.

``EII`` (one variance for every feature and component), ``EEI`` (one diagonal covariance
shared), ``EVI`` (equal volumes, a diagonal shape each) and ``VEI`` (a volume each, one
diagonal shape). ``VII`` and ``VVI`` are scikit-learn's ``spherical`` and ``diag``. The
orientation is the identity, so only the diagonal of each scatter ``W_k`` counts.
"""

from dataclasses import dataclass

import numpy as np

from emkit.families.gaussian._eigen import (EigenGaussian, descend, geometric_mean, objective,
                                            volumes)

__all__ = ["GaussianEEI", "GaussianEII", "GaussianEVI", "GaussianVEI"]


def _diagonals(scatter):
    return np.diagonal(scatter, axis1=1, axis2=2)


def _diagonal_matrices(variances):
    K, D = variances.shape
    out = np.zeros((K, D, D))
    out[:, np.arange(D), np.arange(D)] = variances
    return out


@dataclass(frozen=True)
class GaussianEII(EigenGaussian):
    """K spherical Gaussians with one variance: ``Sigma_k = lambda I`` (mclust's EII).

    The M-step is exact: ``lambda = sum_k tr(W_k) / (d n)`` (Celeux and Govaert, 1995).

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances, every one the same multiple of the identity.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "EII"

    def _solve(self, scatter, weight):
        K, D, _ = scatter.shape
        variance = np.trace(scatter, axis1=1, axis2=2).sum() / (D * weight.sum())
        return _diagonal_matrices(np.full((K, D), variance))


@dataclass(frozen=True)
class GaussianEEI(EigenGaussian):
    """K Gaussians sharing one diagonal covariance: ``Sigma_k = lambda B`` (mclust's EEI).

    The M-step is exact: ``lambda B = diag(sum_k W_k) / n`` (Celeux and Govaert, 1995).

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances, all the same diagonal matrix.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "EEI"

    def _solve(self, scatter, weight):
        variances = _diagonals(scatter).sum(axis=0) / weight.sum()
        return _diagonal_matrices(np.tile(variances, (len(weight), 1)))


@dataclass(frozen=True)
class GaussianEVI(EigenGaussian):
    """K diagonal Gaussians of equal volume: ``Sigma_k = lambda B_k`` (mclust's EVI).

    The M-step is exact (Celeux and Govaert, 1995): ``B_k = diag(W_k) / g_k`` with ``g_k``
    the geometric mean of ``diag(W_k)``, and ``lambda = sum_k g_k / n``.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances: diagonal, with equal determinants.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "EVI"

    def _solve(self, scatter, weight):
        diagonals = _diagonals(scatter)
        roots = geometric_mean(diagonals)
        volume = roots.sum() / weight.sum()
        return _diagonal_matrices(volume * diagonals / roots[:, None])


@dataclass(frozen=True)
class GaussianVEI(EigenGaussian):
    """K diagonal Gaussians of one shape: ``Sigma_k = lambda_k B`` (mclust's VEI).

    The M-step is iterative, mclust's fixed point (Celeux and Govaert, 1995): with the
    volumes fixed, ``B = diag(sum_k W_k / lambda_k)`` scaled to determinant 1; with ``B``
    fixed, ``lambda_k = tr(W_k B^-1) / (d n_k)``. Each half is an exact maximization, it
    starts from the current volumes, and rounds run while they raise the likelihood.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances: diagonal, proportional to each other.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "VEI"
    exact = False

    def _solve(self, scatter, weight):
        diagonals = _diagonals(scatter)
        D = diagonals.shape[1]

        def cycle(volume):
            shape = (diagonals / volume[:, None]).sum(axis=0)
            shape = shape / geometric_mean(shape)
            return (diagonals / shape).sum(axis=1) / (D * weight), shape

        def covariances(state):
            volume, shape = state
            return _diagonal_matrices(volume[:, None] * shape)

        state = descend(lambda state: cycle(state[0]), (volumes(self.covariances), None),
                        lambda state: objective(scatter, weight, covariances(state)))
        return covariances(state)
