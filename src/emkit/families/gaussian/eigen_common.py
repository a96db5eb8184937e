"""mclust's ellipsoidal models with one orientation shared by every component, by iteration.

``VEE`` (``Sigma_k = lambda_k C``: one matrix, a volume each), ``EVE`` (``lambda D A_k D^T``)
and ``VVE`` (``lambda_k D A_k D^T``). ``EEE`` is scikit-learn's ``tied``. None has a closed
form: VEE alternates two exact half-steps (mclust's fixed point), EVE and VVE alternate
the exact shapes and volumes for a given ``D`` with Browne and McNicholas's (2014) two
majorization-minimization steps for ``D``, as mclust does. Every M-step starts from the
current covariances, and rounds run while they raise the likelihood.
"""

from dataclasses import dataclass

import numpy as np

from emkit.families.gaussian._eigen import (EigenGaussian, descend, geometric_mean, objective,
                                            rotated, volumes)

__all__ = ["GaussianEVE", "GaussianVEE", "GaussianVVE", "common_orientation"]

#: Weights of a combination of the covariances whose eigenvectors are their shared ones:
#: unequal, so that eigenvalues tied in the sum are tied in every covariance.
_MIX = np.sqrt(np.arange(2, 1002, dtype=np.float64))


def common_orientation(covariances):
    """Return the orthogonal ``D`` that diagonalizes covariances sharing their eigenvectors.

    Parameters
    ----------
    covariances : ndarray of shape (K, D, D)
        Symmetric matrices ``D Delta_k D^T``.

    Returns
    -------
    orientation : ndarray of shape (D, D)
        The eigenvectors, as columns, of an unequally weighted sum of the matrices.
    """
    K = len(covariances)
    weights = np.resize(_MIX, K)
    combined = np.einsum("k,kij->ij", weights / weights.sum(), covariances)
    return np.linalg.eigh(0.5 * (combined + combined.T))[1]


def _polar(matrix):
    # The orthogonal factor U V^T of the SVD U S V^T: the orthogonal matrix nearest ``matrix``.
    left, _, right = np.linalg.svd(matrix)
    return left @ right


def orientation_step(scatter, inverse_diagonals, orientation):
    """Return ``D`` after Browne and McNicholas's two MM steps for ``sum_k tr(W_k D P_k D^T)``.

    The first majorizes with the largest eigenvalue ``omega_k`` of each ``W_k``, the second
    with the largest entry of each ``P_k``; each minimizes its majorizer over orthogonal
    matrices exactly (a polar factor), so neither raises the objective.

    Parameters
    ----------
    scatter : ndarray of shape (K, D, D)
        The scatters ``W_k``.
    inverse_diagonals : ndarray of shape (K, D)
        The diagonals of ``P_k = (lambda_k A_k)^-1``.
    orientation : ndarray of shape (D, D)
        The current ``D``.

    Returns
    -------
    orientation : ndarray of shape (D, D)
    """
    P = inverse_diagonals
    identity = np.eye(scatter.shape[-1])
    omega = np.linalg.eigvalsh(scatter)[:, -1]
    shifted = scatter - omega[:, None, None] * identity
    # MM 1: sum_k (W_k - omega_k I) D P_k; minimized by minus its polar factor.
    gradient = np.einsum("kij,jl,kl->il", shifted, orientation, P)
    orientation = -_polar(gradient)
    # MM 2, on E = D^T: sum_k (P_k - max P_k I) E W_k.
    shifted_p = P - P.max(axis=1, keepdims=True)
    gradient = np.einsum("ki,ij,kjl->il", shifted_p, orientation.T, scatter)
    return -_polar(gradient).T


def _rotated_diagonals(scatter, orientation):
    # diag(D^T W_k D) for every k.
    return np.einsum("ji,kjl,li->ki", orientation, scatter, orientation)


def _common_orientation_solve(scatter, weight, current, diagonals_of):
    # Alternate diagonals_of (the exact volumes and shapes for a given D) with the MM steps.
    def state_of(orientation):
        return orientation, diagonals_of(_rotated_diagonals(scatter, orientation))

    def cycle(state):
        orientation, diagonals = state
        return state_of(orientation_step(scatter, 1.0 / diagonals, orientation))

    def covariances(state):
        return rotated(*state)

    # The exact volumes and shapes at the current orientation already match or beat the
    # current covariances; each round then lowers the objective further.
    state = descend(cycle, state_of(common_orientation(current)),
                    lambda state: objective(scatter, weight, covariances(state)))
    return covariances(state)


@dataclass(frozen=True)
class GaussianVEE(EigenGaussian):
    """K Gaussians proportional to one matrix: ``Sigma_k = lambda_k C`` (mclust's VEE).

    The M-step is iterative, mclust's fixed point (Celeux and Govaert, 1995): with the
    volumes fixed, ``C = sum_k W_k / lambda_k`` scaled to determinant 1; with ``C`` fixed,
    ``lambda_k = tr(W_k C^-1) / (d n_k)``. Each half is an exact maximization, it starts
    from the current volumes, and rounds run while they raise the likelihood.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances, proportional to each other.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "VEE"
    exact = False

    def _solve(self, scatter, weight):
        D = scatter.shape[-1]

        def cycle(state):
            matrix = np.einsum("kij,k->ij", scatter, 1.0 / state[0])
            matrix = 0.5 * (matrix + matrix.T) / volumes(matrix[None])[0]
            inverse = np.linalg.inv(matrix)
            volume = np.einsum("kij,ji->k", scatter, inverse) / (D * weight)
            return volume, matrix

        def covariances(state):
            return state[0][:, None, None] * state[1]

        state = descend(cycle, (volumes(self.covariances), None),
                        lambda state: objective(scatter, weight, covariances(state)))
        return covariances(state)


@dataclass(frozen=True)
class GaussianEVE(EigenGaussian):
    """K Gaussians of equal volume and one orientation: ``lambda D A_k D^T`` (mclust's EVE).

    The M-step is iterative, as in mclust: for a given ``D``, the exact shapes
    ``A_k = diag(D^T W_k D) / g_k`` (``g_k`` their geometric mean) and volume
    ``lambda = sum_k g_k / n``; for given shapes, ``D`` takes Browne and McNicholas's
    (2014) two majorization-minimization steps. It starts from the current orientation,
    and rounds run while they raise the likelihood.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances with shared eigenvectors and equal determinants.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "EVE"
    exact = False

    def _solve(self, scatter, weight):
        def diagonals_of(rotated_diagonals):
            roots = geometric_mean(rotated_diagonals)
            return (roots.sum() / weight.sum()) * rotated_diagonals / roots[:, None]

        return _common_orientation_solve(scatter, weight, self.covariances, diagonals_of)


@dataclass(frozen=True)
class GaussianVVE(EigenGaussian):
    """K Gaussians with one orientation: ``Sigma_k = lambda_k D A_k D^T`` (mclust's VVE).

    The M-step is iterative, as in mclust: for a given ``D``, the exact eigenvalues
    ``lambda_k A_k = diag(D^T W_k D) / n_k``; for given eigenvalues, ``D`` takes Browne and
    McNicholas's (2014) two majorization-minimization steps. It starts from the current
    orientation, and rounds run while they raise the likelihood.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances with shared eigenvectors.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    model = "VVE"
    exact = False

    def _solve(self, scatter, weight):
        def diagonals_of(rotated_diagonals):
            geometric_mean(rotated_diagonals)  # raises when a variance is not positive
            return rotated_diagonals / weight[:, None]

        return _common_orientation_solve(scatter, weight, self.covariances, diagonals_of)
