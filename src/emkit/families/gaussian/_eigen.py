"""What mclust's constrained Gaussian models share: a full-covariance E-step, their own M-step.

Celeux and Govaert (1995) write each covariance as ``Sigma_k = lambda_k D_k A_k D_k^T``:
a volume ``lambda_k = |Sigma_k|^(1/d)``, a shape ``A_k`` (diagonal, ``|A_k| = 1``) and an
orientation ``D_k`` (orthogonal), each Equal across the components, Variable, or the
Identity. The model's name spells the three letters (``'EVE'``: equal volume, variable
shape, equal orientation). Every model here stores full ``(K, D, D)`` covariances and
inherits :class:`GaussianFull`'s E-step; only the M-step and the parameter count differ.

The M-step minimizes ``sum_k n_k log|Sigma_k| + tr(W_k Sigma_k^-1)`` over the model's
covariances, with ``W_k`` the scatter of component ``k`` about its new mean and ``n_k`` its
weight. ``reg_covar`` enters as ``n_k * reg_covar`` added to the diagonal of each ``W_k``,
which for the unconstrained model is scikit-learn's ``reg_covar`` on the diagonal and for
the others keeps the constraints. Iterative M-steps start from the current covariances and
accept a round only when it lowers the objective, so EM never lowers the likelihood.
"""

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from emkit.families.gaussian._linalg import ill_defined_error
from emkit.families.gaussian.full import GaussianFull
from emkit.stats import WEIGHT_EPS

__all__ = ["INNER_MAX_ITER", "INNER_TOL", "EigenGaussian", "n_variance_parameters"]

#: Most rounds of an iterative M-step (each round lowers the objective or ends the loop).
INNER_MAX_ITER = 1000
#: An iterative M-step stops when a round lowers the objective by less than this, relative.
INNER_TOL = 1e-12


def n_variance_parameters(model, n_features, n_components):
    """Return the free covariance parameters of an mclust model (mclust's ``nVarParams``).

    Parameters
    ----------
    model : str
        Three letters: volume, shape, orientation, each 'E', 'V' or 'I'.
    n_features : int
        The dimension ``d``.
    n_components : int
        The number of components ``K``.

    Returns
    -------
    n : int
        Volumes (1 or K), shapes (``d - 1`` each, 1 or K of them) and orientations
        (``d (d - 1) / 2`` each, 1 or K of them).
    """
    d, K = n_features, n_components
    counts = {"I": 0, "E": 1, "V": K}
    volume, shape, orientation = (counts[letter] for letter in model)
    return int(volume + shape * (d - 1) + orientation * d * (d - 1) // 2)


def objective(scatter, weight, covariances):
    """Return ``sum_k n_k log|Sigma_k| + tr(W_k Sigma_k^-1)``, what an M-step minimizes.

    Parameters
    ----------
    scatter : ndarray of shape (K, D, D)
        Each component's weighted scatter about its mean, ``W_k``.
    weight : ndarray of shape (K,)
        Each component's weight, ``n_k``.
    covariances : ndarray of shape (K, D, D)
        The covariances, ``Sigma_k``.

    Returns
    -------
    value : float
        ``-2`` times the expected complete-data log-likelihood, less its constants; inf
        when a covariance is not positive definite.
    """
    try:
        lower = np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        return np.inf
    log_det = 2 * np.log(np.diagonal(lower, axis1=1, axis2=2)).sum(axis=1)
    trace = np.trace(np.linalg.solve(covariances, scatter), axis1=1, axis2=2)
    return float(np.sum(weight * log_det + trace))


def descend(cycle, state, value_of):
    """Run ``cycle`` from ``state`` while each round lowers ``value_of``; return the last state.

    The first round is always taken (it is the exact step from the current parameters);
    a later round is kept only when it lowers the objective, and the loop ends when the
    fall is below :data:`INNER_TOL` (relative) or after :data:`INNER_MAX_ITER` rounds.

    Parameters
    ----------
    cycle : callable
        ``cycle(state)`` returns the next state.
    state : object
        The starting state.
    value_of : callable
        ``value_of(state)`` returns the objective of a state.

    Returns
    -------
    state : object
    """
    state = cycle(state)
    value = value_of(state)
    for _ in range(INNER_MAX_ITER - 1):
        candidate = cycle(state)
        candidate_value = value_of(candidate)
        if not candidate_value < value:
            break
        fall = value - candidate_value
        state, value = candidate, candidate_value
        if fall <= INNER_TOL * max(abs(value), 1.0):
            break
    return state


def geometric_mean(values):
    """Return the geometric mean over the last axis; raise when a value is not positive.

    Parameters
    ----------
    values : ndarray of shape (..., D)
        Positive numbers (variances, eigenvalues).

    Returns
    -------
    mean : ndarray of shape (...)
    """
    if not np.all(values > 0) or not np.all(np.isfinite(values)):
        raise ill_defined_error()
    return np.exp(np.log(values).mean(axis=-1))


def volumes(covariances):
    """Return ``|Sigma_k|^(1/d)`` of each covariance; raise when one is not positive definite.

    Parameters
    ----------
    covariances : ndarray of shape (K, D, D)
        Symmetric matrices.

    Returns
    -------
    volumes : ndarray of shape (K,)
    """
    sign, log_det = np.linalg.slogdet(covariances)
    if not np.all(sign > 0) or not np.all(np.isfinite(log_det)):
        raise ill_defined_error()
    return np.exp(log_det / covariances.shape[-1])


def sorted_eigh(matrices):
    """Return the eigenvalues (decreasing) and eigenvectors (as columns) of symmetric matrices.

    Parameters
    ----------
    matrices : ndarray of shape (K, D, D)
        Symmetric matrices.

    Returns
    -------
    values : ndarray of shape (K, D)
    vectors : ndarray of shape (K, D, D)
    """
    values, vectors = np.linalg.eigh(matrices)
    return values[..., ::-1], vectors[..., ::-1]


def rotated(orientations, diagonals):
    """Return ``D_k diag(a_k) D_k^T``, exactly symmetric.

    Parameters
    ----------
    orientations : ndarray of shape (K, D, D) or (D, D)
        Orthogonal matrices, one per component or one shared.
    diagonals : ndarray of shape (K, D)
        The eigenvalues of each matrix.

    Returns
    -------
    matrices : ndarray of shape (K, D, D)
    """
    matrices = (orientations * diagonals[:, None, :]) @ np.swapaxes(orientations, -1, -2)
    return 0.5 * (matrices + np.swapaxes(matrices, -1, -2))


@dataclass(frozen=True)
class EigenGaussian(GaussianFull):
    """Base of mclust's constrained Gaussian models (not for direct use).

    A subclass names its ``model`` (three letters), says whether its M-step is ``exact``
    and defines ``_solve(scatter, weight)``, the covariances that minimize
    :func:`objective`.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Component covariances, symmetric positive definite, of the model's form.
    reg_covar : float, default=1e-6
        ``n_k * reg_covar`` is added to the diagonal of each scatter the M-step reads.
    """

    #: mclust's name of the model: volume, shape and orientation letters.
    model: ClassVar[str] = "VVV"
    #: Whether the M-step is the closed-form maximizer (else it is iterative).
    exact: ClassVar[bool] = True

    def maximize(self, stats):
        """Return the Gaussians of this model that maximize the expected log-likelihood.

        Parameters
        ----------
        stats : FullStats
            Summed statistics.

        Returns
        -------
        family : same type
        """
        scatter, weight = self._regularized_scatter(stats.scatter(), stats.weight)
        return type(self)(stats.means, self._solve(scatter, weight), self.reg_covar)

    def maximize_held(self, stats, held, current):
        """Return the M-step with the ``held`` parameters kept at ``current``'s values.

        Held means are exact: the covariances are the model's maximizer for the scatters
        about those means. Covariances are held for every component or for none, since
        the model ties them together.

        Parameters
        ----------
        stats : FullStats
            Summed statistics.
        held : dict
            Parameter name -> boolean mask of held components, or True.
        current : Family
            The components the held values are taken from.

        Returns
        -------
        family : same type
        """
        covariances = np.asarray(held.get("covariances", False))
        if np.any(covariances) and not np.all(covariances):
            raise ValueError(
                f"The {self.model} model ties the covariances of its components together, "
                "so it cannot hold some of them and fit the others; hold the covariances "
                "of every component or of none, or use covariance_type='VVV'.")
        mask = held.get("means")
        if mask is None or not np.any(mask):
            return self.maximize(stats).with_values_of(current, held)
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), (self.n_components,))
        means = np.where(mask[:, None], current.means, stats.means)
        gap = stats.means - means
        scatter = stats.scatter() + stats.weight[:, None, None] * gap[:, :, None] * gap[:, None, :]
        scatter, weight = self._regularized_scatter(scatter, stats.weight)
        family = type(self)(means, self._solve(scatter, weight), self.reg_covar)
        rest = {name: value for name, value in held.items() if name != "means"}
        return family.with_values_of(current, rest)

    def _regularized_scatter(self, scatter, weight):
        weight = np.asarray(weight, dtype=np.float64) + WEIGHT_EPS
        scatter = 0.5 * (scatter + np.swapaxes(scatter, -1, -2))
        diagonal = np.arange(scatter.shape[-1])
        scatter[:, diagonal, diagonal] += (weight * self.reg_covar)[:, None]
        return scatter, weight

    @abstractmethod
    def _solve(self, scatter, weight):
        """Return the model's covariances maximizing the likelihood of the scatters.

        Parameters
        ----------
        scatter : ndarray of shape (n_components, n_features, n_features)
            Each component's regularized scatter about its mean.
        weight : ndarray of shape (n_components,)
            Each component's weight.

        Returns
        -------
        covariances : ndarray of shape (n_components, n_features, n_features)
        """

    def n_parameters(self):
        """Return the number of free parameters: the means and mclust's ``nVarParams``.

        Returns
        -------
        n : int
        """
        K, D = self.means.shape
        return int(K * D + n_variance_parameters(self.model, D, K))

    def reseed(self, k, x):
        """Restart component ``k`` at ``x`` with the covariance of the nearest other component.

        A copy keeps every constraint of the model (equal volumes, shapes, orientations).

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The new mean; a NaN (missing) coordinate keeps the current mean's.

        Returns
        -------
        family : same type
        """
        means, covs = self.means.copy(), self.covariances.copy()
        means[k] = np.where(np.isnan(x), means[k], x)
        others = np.delete(np.arange(len(means)), k)
        if len(others):
            distance = np.nansum((self.means[others] - means[k]) ** 2, axis=1)
            covs[k] = covs[others[np.argmin(distance)]]
        return type(self)(means, covs, self.reg_covar)
