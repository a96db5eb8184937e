"""mclust's ellipsoidal models with an orientation per component.

``EEV`` (``lambda D_k A D_k^T``), ``VEV`` (``lambda_k D_k A D_k^T``) and ``EVV``
(``lambda C_k``, ``|C_k| = 1``). ``VVV`` is scikit-learn's ``full``. For any shape ``A``
the best ``D_k`` are the eigenvectors of ``W_k``, its eigenvalues paired in decreasing
order with ``A``'s (Celeux and Govaert, 1995), so EEV and EVV have closed forms and VEV
iterates only over its volumes and its shape.
"""

from dataclasses import dataclass

import numpy as np

from emkit.families.gaussian._eigen import (EigenGaussian, descend, geometric_mean, objective,
                                            rotated, sorted_eigh, volumes)

__all__ = ["GaussianEEV", "GaussianEVV", "GaussianVEV"]


@dataclass(frozen=True)
class GaussianEEV(EigenGaussian):
    """K Gaussians of one volume and shape, each turned its own way (mclust's EEV).

    ``Sigma_k = lambda D_k A D_k^T``. The M-step is exact (Celeux and Govaert, 1995): with
    ``W_k = L_k Omega_k L_k^T`` (eigenvalues decreasing), ``D_k = L_k``,
    ``A = sum_k Omega_k / g`` with ``g`` the geometric mean of ``sum_k Omega_k``, and
    ``lambda = g / n``.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances with the same eigenvalues.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "EEV"

    def _solve(self, scatter, weight):
        eigenvalues, orientations = sorted_eigh(scatter)
        total = eigenvalues.sum(axis=0)
        diagonal = total / weight.sum()
        geometric_mean(diagonal)  # raises when an eigenvalue is not positive
        return rotated(orientations, np.tile(diagonal, (len(weight), 1)))


@dataclass(frozen=True)
class GaussianVEV(EigenGaussian):
    """K Gaussians of one shape, each with its own volume and orientation (mclust's VEV).

    ``Sigma_k = lambda_k D_k A D_k^T``. The M-step is iterative, mclust's fixed point
    (Celeux and Govaert, 1995): ``D_k`` are the eigenvectors of ``W_k`` (eigenvalues
    ``Omega_k``, decreasing); with the volumes fixed, ``A = sum_k Omega_k / lambda_k``
    scaled to determinant 1; with ``A`` fixed, ``lambda_k = tr(Omega_k A^-1) / (d n_k)``.
    Each half is an exact maximization, it starts from the current volumes, and rounds
    run while they raise the likelihood.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances with proportional eigenvalues.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "VEV"
    exact = False

    def _solve(self, scatter, weight):
        eigenvalues, orientations = sorted_eigh(scatter)
        geometric_mean(eigenvalues)  # raises when an eigenvalue is not positive
        D = eigenvalues.shape[1]

        def cycle(state):
            shape = (eigenvalues / state[0][:, None]).sum(axis=0)
            shape = shape / geometric_mean(shape)
            return (eigenvalues / shape).sum(axis=1) / (D * weight), shape

        def covariances(state):
            return rotated(orientations, state[0][:, None] * state[1])

        state = descend(cycle, (volumes(self.covariances), None),
                        lambda state: objective(scatter, weight, covariances(state)))
        return covariances(state)


@dataclass(frozen=True)
class GaussianEVV(EigenGaussian):
    """K Gaussians of equal volume, each with its own shape and orientation (mclust's EVV).

    ``Sigma_k = lambda C_k`` with ``|C_k| = 1``. The M-step is exact (Celeux and Govaert,
    1995): ``C_k = W_k / |W_k|^(1/d)`` and ``lambda = sum_k |W_k|^(1/d) / n``.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances with equal determinants.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "EVV"

    def _solve(self, scatter, weight):
        roots = volumes(scatter)
        volume = roots.sum() / weight.sum()
        return scatter * (volume / roots)[:, None, None]
