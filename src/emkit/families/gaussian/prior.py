"""The conjugate (normal / inverse-Wishart) MAP M-step of the Gaussian families.

With a normal prior on each mean (centre ``means_prior``, weight ``means_weight``) and an
inverse-gamma / inverse-Wishart prior on each covariance (scale ``covars_prior``, weight
``covars_weight``), the M-step is a closed form in the same moments the families already
accumulate. These are hmmlearn's formulas, so a GaussianHMM fitted here follows the same
path as hmmlearn's from the same start.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GaussianPrior"]

#: Smallest denominator of a diagonal or spherical variance (hmmlearn's guard).
MIN_DENOMINATOR = 1e-5


@dataclass(frozen=True)
class GaussianPrior:
    """Conjugate prior of Gaussian means and covariances.

    Parameters
    ----------
    means_prior : float or ndarray of shape (n_components, n_features), default=0
        Centre of the prior on the means.
    means_weight : float or ndarray of shape (n_components,), default=0
        Pseudo-count of the prior on the means (0 is flat).
    covars_prior : float or ndarray, default=1e-2
        Scale of the prior on the covariances (added to each scatter).
    covars_weight : float or ndarray, default=1
        Pseudo-count of the prior on the covariances.
    """

    means_prior: Any = 0.0
    means_weight: Any = 0.0
    covars_prior: Any = 1e-2
    covars_weight: Any = 1.0

    def maximize(self, family, stats, update_means=True, update_covars=True):
        """Return the family at the MAP of ``stats`` under this prior.

        Parameters
        ----------
        family : GaussianFull, GaussianDiag, GaussianSpherical or GaussianTied
            The current components.
        stats : FullStats, DiagStats or TiedStats
            The family's summed statistics.
        update_means : bool, default=True
            Update the means.
        update_covars : bool, default=True
            Update the covariances.

        Returns
        -------
        family : same type as ``family``
        """
        means, covariances = self.estimate(family, stats, update_means, update_covars)
        return type(family)(means, covariances, family.reg_covar)

    def estimate(self, family, stats, update_means=True, update_covars=True):
        """Return the MAP means and covariances of ``stats`` under this prior.

        Parameters
        ----------
        family : GaussianFull, GaussianDiag, GaussianSpherical or GaussianTied
            The current components (their means are kept when ``update_means`` is
            False, their covariances when ``update_covars`` is False).
        stats : FullStats, DiagStats or TiedStats
            The family's summed statistics.
        update_means : bool, default=True
            Update the means.
        update_covars : bool, default=True
            Update the covariances.

        Returns
        -------
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray
            Shaped like ``family.covariances``.
        """
        weight = stats.weight
        means_weight = np.asarray(self.means_weight, dtype=np.float64)
        means_prior = np.asarray(self.means_prior, dtype=np.float64)
        means = family.means
        if update_means:
            numerator = means_weight * means_prior + stats.first + weight[:, None] * stats.shift
            denominator = means_weight + weight[:, None]
            means = np.where(denominator > 0, numerator / np.where(denominator > 0,
                                                                    denominator, 1.0), means)
        covariances = family.covariances
        if update_covars:
            covariances = self._covariances(family, stats, means, means_prior, means_weight)
        return means, covariances

    def _covariances(self, family, stats, means, means_prior, means_weight):
        # Scatter of each component about ``means`` plus the means' prior term.
        weight = stats.weight
        kind = type(family).__name__
        delta = means - stats.shift
        centre = means - means_prior
        covars_prior = np.asarray(self.covars_prior, dtype=np.float64)
        covars_weight = np.asarray(self.covars_weight, dtype=np.float64)
        if kind in ("GaussianDiag", "GaussianSpherical"):
            scatter = (stats.second - 2 * delta * stats.first + weight[:, None] * delta**2
                       + means_weight * centre**2)
            denominator = np.maximum(covars_weight - 1, 0) + weight[:, None]
            covariances = (covars_prior + scatter) / np.maximum(denominator, MIN_DENOMINATOR)
            return covariances.mean(axis=1) if kind == "GaussianSpherical" else covariances
        D = means.shape[1]
        cross = stats.first[:, :, None] * delta[:, None, :]
        if kind == "GaussianTied":
            # The pooled second moment is about the shift; each component's part of it
            # moves to the component's own mean through its first moment.
            scatter = (stats.second - cross.sum(axis=0) - cross.sum(axis=0).T
                       + np.einsum("k,ki,kj->ij", weight, delta, delta)
                       + np.einsum("k,ki,kj->ij", np.broadcast_to(means_weight, weight.shape),
                                   centre, centre))
            return ((covars_prior + scatter)
                    / (np.maximum(covars_weight - D, 0) + weight.sum()))
        scatter = (stats.second - cross - cross.transpose(0, 2, 1)
                   + weight[:, None, None] * delta[:, :, None] * delta[:, None, :]
                   + np.broadcast_to(means_weight, weight.shape)[:, None, None]
                   * centre[:, :, None] * centre[:, None, :])
        denominator = np.maximum(covars_weight - D, 0) + weight
        return (covars_prior + scatter) / np.maximum(denominator, MIN_DENOMINATOR)[:, None, None]
