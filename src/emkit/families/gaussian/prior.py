"""The conjugate (normal / inverse-Wishart) MAP M-step of the Gaussian families.

With a normal prior on each mean (centre ``means_prior``, weight ``means_weight``) and an
inverse-gamma / inverse-Wishart prior on each covariance (scale ``covars_prior``, weight
``covars_weight``), the M-step is a closed form in the same moments the families already
accumulate. These are hmmlearn's formulas, so a GaussianHMM fitted here follows the same
path as hmmlearn's from the same start. The prior also carries the floor ``min_covar``
that a singular estimate gets on its diagonal, and which parameters the M-step updates:
a model takes it as an option and calls :meth:`GaussianPrior.maximize` as its M-step.
"""

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from emkit.exceptions import ComponentCollapseWarning
from emkit.families._prior_shapes import broadcast_prior
from emkit.families.gaussian._linalg import nonsingular
from emkit.families.gaussian.diag import GaussianDiag, GaussianSpherical
from emkit.families.gaussian.tied import GaussianTied

__all__ = ["GaussianPrior"]

_DIAGONAL = (GaussianDiag, GaussianSpherical)

#: Smallest denominator of a diagonal or spherical variance (hmmlearn's guard).
MIN_DENOMINATOR = 1e-5


@dataclass(frozen=True)
class GaussianPrior:
    """Conjugate prior of Gaussian means and covariances.

    Each hyperparameter is a number, or an array that broadcasts to the shape given for it
    below; a 1-D array of one value per component applies to every feature of its
    component (hmmlearn documents them as ``(n_components,)`` arrays).
    :meth:`for_family` checks them against a family.

    Parameters
    ----------
    means_prior : float or ndarray of shape (n_components, n_features), default=0
        Centre of the prior on the means.
    means_weight : float or ndarray, default=0
        Pseudo-count of the prior on the means (0 is flat): of shape (n_components,
        n_features) for diagonal and spherical covariances, (n_components,) for full and
        tied ones.
    covars_prior : float or ndarray, default=1e-2
        Scale of the prior on the covariances (added to each scatter), of shape
        (n_components, n_features) for diagonal and spherical covariances,
        (n_components, n_features, n_features) for full ones, (n_features, n_features)
        for a tied one.
    covars_weight : float or ndarray, default=1
        Pseudo-count of the prior on the covariances, of shape (n_components,
        n_features) for diagonal and spherical covariances, (n_components,) for full
        ones, a number for a tied one.
    min_covar : float, default=None
        Added to the diagonal of an estimated covariance that is singular (a state
        holding fewer distinct points than dimensions), with a warning; None adds
        nothing.
    update_means : bool, default=True
        The M-step updates the means (else they are kept).
    update_covars : bool, default=True
        The M-step updates the covariances (else they are kept).
    """

    means_prior: Any = 0.0
    means_weight: Any = 0.0
    covars_prior: Any = 1e-2
    covars_weight: Any = 1.0
    min_covar: Any = None
    update_means: bool = True
    update_covars: bool = True

    def maximize(self, family, stats):
        """Return the family at the MAP of ``stats`` under this prior.

        Parameters
        ----------
        family : GaussianFull, GaussianDiag, GaussianSpherical or GaussianTied
            The current components.
        stats : FullStats, DiagStats or TiedStats
            The family's summed statistics.

        Returns
        -------
        family : same type as ``family``
        """
        prior = self.for_family(family)
        means, covariances = prior._estimate(family, stats)
        if prior.min_covar is not None:
            zero = prior._rounding(family, stats, means) if prior.update_covars else 0.0
            covariances = prior._floor_singular(family, covariances, zero)
        return type(family)(means, covariances, family.reg_covar)

    def for_family(self, family):
        """Return this prior with its hyperparameters in the family's shapes.

        Parameters
        ----------
        family : GaussianFull, GaussianDiag, GaussianSpherical or GaussianTied
            The components.

        Returns
        -------
        prior : GaussianPrior
            Its arrays of the shapes the class docstring gives.

        Raises
        ------
        ValueError
            Naming the hyperparameter whose shape does not fit the family.
        """
        K, D = family.means.shape
        tied = isinstance(family, GaussianTied)
        if isinstance(family, _DIAGONAL):
            weight_shape, prior_shape, count_shape = (K, D), (K, D), (K, D)
        elif tied:
            weight_shape, prior_shape, count_shape = (K,), (D, D), ()
        else:
            weight_shape, prior_shape, count_shape = (K,), (K, D, D), (K,)
        return replace(
            self,
            means_prior=broadcast_prior("means_prior", self.means_prior, (K, D), True),
            means_weight=broadcast_prior("means_weight", self.means_weight, weight_shape,
                                         True),
            covars_prior=broadcast_prior("covars_prior", self.covars_prior, prior_shape,
                                         not tied),
            covars_weight=broadcast_prior("covars_weight", self.covars_weight, count_shape,
                                          True))

    def flat(self, family):
        """Return True when the MAP is the maximum-likelihood step (the prior adds nothing).

        Parameters
        ----------
        family : GaussianFull, GaussianDiag, GaussianSpherical or GaussianTied
            The components.

        Returns
        -------
        flat : bool
        """
        return bool(np.all(np.asarray(self.means_weight) == 0)
                    and np.all(np.asarray(self.covars_prior) == 0)
                    and np.all(np.asarray(self.covars_weight) <= _dof(family)))

    def estimate(self, family, stats):
        """Return the MAP means and covariances of ``stats`` under this prior.

        Parameters
        ----------
        family : GaussianFull, GaussianDiag, GaussianSpherical or GaussianTied
            The current components (their means are kept when ``update_means`` is
            False, their covariances when ``update_covars`` is False).
        stats : FullStats, DiagStats or TiedStats
            The family's summed statistics.

        Returns
        -------
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray
            Shaped like ``family.covariances``.
        """
        return self.for_family(family)._estimate(family, stats)

    def _estimate(self, family, stats):
        # estimate, with the hyperparameters already in the family's shapes.
        update_means, update_covars = self.update_means, self.update_covars
        weight = stats.weight
        means_weight, means_prior = self.means_weight, self.means_prior
        # One weight per component and feature (diagonal) or per component.
        weights = means_weight if means_weight.ndim == 2 else means_weight[:, None]
        means = family.means
        if update_means:
            numerator = weights * means_prior + stats.first + weight[:, None] * stats.shift
            denominator = weights + weight[:, None]
            means = np.where(denominator > 0, numerator / np.where(denominator > 0,
                                                                    denominator, 1.0), means)
        covariances = family.covariances
        if update_covars:
            covariances = self._covariances(family, stats, means, means_prior, means_weight)
        return means, covariances

    def _covariances(self, family, stats, means, means_prior, means_weight):
        # Scatter of each component about ``means`` plus the means' prior term.
        weight = stats.weight
        delta = means - stats.shift
        centre = means - means_prior
        covars_prior, covars_weight = self.covars_prior, self.covars_weight
        if isinstance(family, _DIAGONAL):
            scatter = (stats.second - 2 * delta * stats.first + weight[:, None] * delta**2
                       + means_weight * centre**2)
            denominator = np.maximum(covars_weight - 1, 0) + weight[:, None]
            covariances = (covars_prior + scatter) / np.maximum(denominator, MIN_DENOMINATOR)
            return covariances.mean(axis=1) if isinstance(family, GaussianSpherical) \
                else covariances
        D = means.shape[1]
        cross = stats.first[:, :, None] * delta[:, None, :]
        if isinstance(family, GaussianTied):
            # The pooled second moment is about the shift; each component's part of it
            # moves to the component's own mean through its first moment.
            scatter = (stats.second - cross.sum(axis=0) - cross.sum(axis=0).T
                       + np.einsum("k,ki,kj->ij", weight, delta, delta)
                       + np.einsum("k,ki,kj->ij", means_weight, centre, centre))
            return ((covars_prior + scatter)
                    / (np.maximum(covars_weight - D, 0) + weight.sum()))
        scatter = (stats.second - cross - cross.transpose(0, 2, 1)
                   + weight[:, None, None] * delta[:, :, None] * delta[:, None, :]
                   + means_weight[:, None, None] * centre[:, :, None] * centre[:, None, :])
        denominator = np.maximum(covars_weight - D, 0) + weight
        return (covars_prior + scatter) / np.maximum(denominator, MIN_DENOMINATOR)[:, None, None]

    def _rounding(self, family, stats, means):
        # The smallest variance (diag: per state and feature; spherical: per state) or
        # eigenvalue (full: per state; tied: one) each covariance resolves: the rounding
        # error of its scatter about ``means`` (a difference of moments about the shift)
        # over its denominator, and the resolution of the data at the means. A state on
        # one point under the scalar covars_prior has a matrix singular but for rounding
        # (that value in every entry); with covars_prior=0, a variance of rounding noise.
        eps = np.finfo(np.float64).eps
        weight, D = stats.weight, means.shape[1]
        rounding = stats.scatter_rounding(means)
        covars_weight = self.covars_weight
        if isinstance(family, _DIAGONAL):
            zero = (rounding / np.maximum(np.maximum(covars_weight - 1, 0) + weight[:, None],
                                          MIN_DENOMINATOR)
                    + (16 * eps * means)**2)
            return zero.max(axis=1) if isinstance(family, GaussianSpherical) else zero
        extra = np.maximum(covars_weight - D, 0)
        resolution = (16 * eps * np.abs(means)).max(axis=1)**2
        if isinstance(family, GaussianTied):
            return np.atleast_1d(np.max(rounding) / max(float(np.max(extra + weight.sum())),
                                                        MIN_DENOMINATOR) + resolution.max())
        return (np.max(rounding, axis=1) / np.maximum(extra + weight, MIN_DENOMINATOR)
                + resolution)

    def _floor_singular(self, family, covars, zero):
        # A state holding fewer distinct points than dimensions has a singular covariance
        # (hmmlearn regularizes it silently inside its density); add min_covar to its
        # diagonal, and say so. ``zero``: the smallest variance or eigenvalue each
        # covariance resolves; one that is not a normal number counts as zero too.
        zero = np.maximum(zero, np.finfo(np.float64).tiny)
        if isinstance(family, _DIAGONAL):
            kept = (covars > zero) & np.isfinite(covars)
            bad = ~kept.reshape(len(covars), -1).all(axis=1)
            fixed = np.where(kept, covars, self.min_covar)
        else:
            stack = covars.reshape((-1,) + covars.shape[-2:])  # tied: one matrix
            zero = np.broadcast_to(zero, len(stack))
            bad = np.array([not nonsingular(c, z) for c, z in zip(stack, zero)])
            fixed = (stack + np.where(bad, self.min_covar, 0.0)[:, None, None]
                     * np.eye(stack.shape[-1])).reshape(covars.shape)
        if bad.any():
            warnings.warn(
                f"The covariance of state {int(np.flatnonzero(bad)[0])} is singular (it holds "
                "fewer distinct points than dimensions, or a constant feature); min_covar was "
                "added to its diagonal. Use fewer states or a larger covars_prior.",
                ComponentCollapseWarning, stacklevel=5)
        return fixed


def _dof(family):
    # The degrees of freedom the covariance prior's weight is counted against: one for a
    # variance, the dimension for a covariance matrix (hmmlearn's ``covars_weight - 1``
    # and ``covars_weight - n_features``).
    return 1 if isinstance(family, _DIAGONAL) else family.means.shape[1]
