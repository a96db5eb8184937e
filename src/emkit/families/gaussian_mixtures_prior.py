"""hmmlearn's MAP M-step of GMMHMM's emissions: Dirichlet weights, normal means, and
inverse-gamma (spherical, diag) or inverse-Wishart (full, tied) covariances.

These are hmmlearn 0.3.3's formulas (``GMMHMM._do_mstep``), in the moments
:class:`emkit.families.gaussian_mixtures.GaussianMixtures` accumulates, so a GMMHMM
fitted here follows hmmlearn's path from the same start. As in hmmlearn, the
covariances are the scatter about the means of the E-step (the previous means), with the
prior's term at the new means: a conditional maximization (covariances given the old
means, then means), which never lowers the likelihood under flat priors. Unset
covariance priors take hmmlearn's defaults, which make the step maximum likelihood for
full, tied and diag, and for spherical only when ``n_mix == n_features`` (hmmlearn's
default counts ``n_mix`` where the flat prior counts ``n_features``). Beyond hmmlearn: a
Gaussian without weight keeps its parameters, weights that a prior below 1 would make
negative are zero, and a covariance that is singular (or whose smallest variance is
below the rounding error it was computed with) gets ``min_covar`` on its diagonal, each
with a :class:`~emkit.exceptions.ComponentCollapseWarning`.
"""

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from emkit.exceptions import ComponentCollapseWarning
from emkit.families._prior_shapes import broadcast_prior
from emkit.families.gaussian._linalg import nonsingular
from emkit.stats import EMPTY_WEIGHT

__all__ = ["GaussianMixturesPrior", "default_covars_prior"]

#: Smallest denominator of a covariance: hmmlearn's guard for GaussianHMM. Its GMMHMM
#: divides by a Gaussian's weight exactly, which for a weight far below 1 makes a
#: covariance of 1e100 and more, or one that no factorization accepts; emkit keeps the
#: guard there (the means and weights of such a Gaussian still move as in hmmlearn).
MIN_DENOMINATOR = 1e-5


def default_covars_prior(covariance_type, n_mix, n_features):
    """Return hmmlearn's default ``(covars_prior, covars_weight)`` for a covariance type.

    Parameters
    ----------
    covariance_type : {'spherical', 'diag', 'full', 'tied'}
        Covariance structure.
    n_mix : int
        Gaussians per mixture.
    n_features : int
        Dimension of the rows.

    Returns
    -------
    covars_prior, covars_weight : float
    """
    return {"full": (0.0, -(1.0 + n_features + 1.0)),
            "tied": (0.0, -(n_mix + n_features + 1.0)),
            "diag": (-1.5, 0.0),
            "spherical": (-(n_mix + 2.0) / 2.0, 0.0)}[covariance_type]


def _flat_covars_prior(covariance_type, n_mix, n_features):
    # The covariance prior whose MAP is the maximum-likelihood step.
    if covariance_type == "spherical":
        return -(n_features + 2.0) / 2.0, 0.0
    return default_covars_prior(covariance_type, n_mix, n_features)


@dataclass(frozen=True)
class GaussianMixturesPrior:
    """hmmlearn's GMMHMM prior on the weights, means and covariances of K mixtures.

    Parameters
    ----------
    weights_prior : float or ndarray of shape (n_components, n_mix), default=1.0
        Dirichlet concentration of each mixture's weights (1 is flat).
    means_prior : float or ndarray of shape (n_components, n_mix, n_features), default=0.0
        Centre of the normal prior on the means.
    means_weight : float or ndarray of shape (n_components, n_mix), default=0.0
        Pseudo-count of the prior on the means (0 is flat).
    covars_prior : float or ndarray, default=None
        Scale of the covariance prior (hmmlearn's alpha for spherical and diag, psi for
        full and tied); None is hmmlearn's default for the covariance type.
    covars_weight : float or ndarray, default=None
        Weight of the covariance prior (beta, or nu); None is hmmlearn's default.
    min_covar : float, default=None
        Added to the diagonal of a covariance that comes out singular, with a warning;
        None adds nothing.
    update_weights : bool, default=True
        The M-step updates the weights (else they are kept).
    update_means : bool, default=True
        The M-step updates the means.
    update_covars : bool, default=True
        The M-step updates the covariances.
    """

    weights_prior: Any = 1.0
    means_prior: Any = 0.0
    means_weight: Any = 0.0
    covars_prior: Any = None
    covars_weight: Any = None
    min_covar: Any = None
    update_weights: bool = True
    update_means: bool = True
    update_covars: bool = True

    def resolved(self, family):
        """Return the prior's arrays broadcast to the family's shapes (hmmlearn's).

        Parameters
        ----------
        family : GaussianMixtures
            The components.

        Returns
        -------
        prior : dict of str to ndarray
            ``weights_prior`` (K, M), ``means_prior`` (K, M, D), ``means_weight`` (K, M),
            ``covars_prior`` and ``covars_weight`` in hmmlearn's shapes for the type.
        """
        K, M, D = family.means.shape
        kind = family.covariance_type
        default_prior, default_weight = default_covars_prior(kind, M, D)
        prior_shape, weight_shape = {"full": ((K, M, D, D), (K, M)),
                                     "tied": ((K, D, D), (K,)),
                                     "diag": ((K, M, D), (K, M, D)),
                                     "spherical": ((K, M), (K, M))}[kind]
        given = {"covars_prior": (self.covars_prior, default_prior, prior_shape),
                 "covars_weight": (self.covars_weight, default_weight, weight_shape)}
        out = {"weights_prior": broadcast_prior("weights_prior", self.weights_prior, (K, M)),
               "means_prior": broadcast_prior("means_prior", self.means_prior, (K, M, D)),
               "means_weight": broadcast_prior("means_weight", self.means_weight, (K, M))}
        for name, (value, default, shape) in given.items():
            out[name] = broadcast_prior(name, default if value is None else value, shape)
        return out

    def flat(self, family):
        """Return True when the prior adds nothing: the step then never lowers the likelihood.

        Parameters
        ----------
        family : GaussianMixtures
            The components.

        Returns
        -------
        flat : bool
        """
        K, M, D = family.means.shape
        prior = self.resolved(family)
        covars_prior, covars_weight = _flat_covars_prior(family.covariance_type, M, D)
        return bool(np.all(prior["weights_prior"] == 1.0) and np.all(prior["means_weight"] == 0)
                    and np.all(prior["covars_prior"] == covars_prior)
                    and np.all(prior["covars_weight"] == covars_weight)
                    and not self._at_floor(family))

    def _at_floor(self, family):
        # A variance within twice min_covar may hold the floor of a singular covariance,
        # which is no maximizer: the likelihood may then fall.
        if self.min_covar is None:
            return False
        covariances = family.covariances
        if family.covariance_type in ("full", "tied"):
            D = covariances.shape[-1]
            covariances = np.linalg.eigvalsh(covariances.reshape(-1, D, D))
        return bool(np.min(covariances) <= 2 * self.min_covar)

    def maximize(self, family, stats):
        """Return the mixtures at hmmlearn's MAP of ``stats`` under this prior.

        Parameters
        ----------
        family : GaussianMixtures
            The current components (their means are the E-step's).
        stats : DiagStats or FullStats
            The family's summed statistics.

        Returns
        -------
        family : GaussianMixtures
        """
        K, M, D = family.means.shape
        prior = self.resolved(family)
        weight = stats.weight.reshape(K, M)
        # hmmlearn's formulas divide by the weight exactly: any mass moves a Gaussian.
        empty = weight < EMPTY_WEIGHT
        weights, means, covariances = family.weights, family.means, family.covariances
        if self.update_weights:
            # hmmlearn: (n_km + a_km - 1) / (n_k + sum_m (a_km - 1)), kept non-negative;
            # a_km - 1 first, so that a flat prior adds exactly 0 to a tiny n_km.
            weights = family.keep_weights(np.maximum(weight + (prior["weights_prior"] - 1),
                                                     0.0))
        if self.update_means:
            sums = (stats.first + stats.weight[:, None] * stats.shift).reshape(K, M, D)
            lambdas = prior["means_weight"]
            with np.errstate(invalid="ignore", divide="ignore"):
                means = ((lambdas[:, :, None] * prior["means_prior"] + sums)
                         / (weight + lambdas)[:, :, None])
            means = np.where(empty[:, :, None], family.means, means)
        if self.update_covars:
            scatter = family.scatter(stats, family.means)
            numerator, denominator = _COVARIANCES[family.covariance_type](
                scatter, weight, means - prior["means_prior"], prior, D, M)
            improper = _improper(denominator, family.covariance_type)
            denominator = np.maximum(denominator, MIN_DENOMINATOR)
            covariances = family.keep_covariances(numerator / denominator, empty)
            if improper.any():
                covariances = _keep_improper(family, covariances, improper & ~empty, weight)
            if self.min_covar is not None:
                zero = _rounding(stats, family.means, means, family.covariance_type,
                                 denominator)
                covariances = _floor_singular(family, covariances, self.min_covar, zero)
        return type(family)(weights, means, covariances, family.covariance_type,
                            family.reg_covar)


# hmmlearn's numerator and denominator of each covariance type; ``centred`` is the new
# means minus the prior's centre, ``scatter`` the rows' scatter about the old means.
def _full(scatter, weight, centred, prior, D, M):
    outer = centred[..., :, None] * centred[..., None, :]
    numerator = (np.swapaxes(prior["covars_prior"], -1, -2)
                 + prior["means_weight"][:, :, None, None] * outer + scatter)
    return numerator, (weight + 1 + prior["covars_weight"] + D + 1)[:, :, None, None]


def _tied(scatter, weight, centred, prior, D, M):
    outer = centred[..., :, None] * centred[..., None, :]
    numerator = (np.einsum("km,kmij->kij", prior["means_weight"], outer)
                 + np.swapaxes(prior["covars_prior"], -1, -2) + scatter)
    return numerator, (weight.sum(axis=1) + M + prior["covars_weight"] + D + 1)[:, None, None]


def _diag(scatter, weight, centred, prior, D, M):
    numerator = (prior["means_weight"][:, :, None] * centred**2 + 2 * prior["covars_weight"]
                 + scatter)
    return numerator, weight[:, :, None] + 1 + 2 * (prior["covars_prior"] + 1)


def _spherical(scatter, weight, centred, prior, D, M):
    numerator = (prior["means_weight"] * np.einsum("kmd,kmd->km", centred, centred)
                 + 2 * prior["covars_weight"] + scatter)
    return numerator, D * (weight + 1) + 2 * (prior["covars_prior"] + 1)


_COVARIANCES = {"full": _full, "tied": _tied, "diag": _diag, "spherical": _spherical}


def _improper(denominator, covariance_type):
    # Where the prior's count (the denominator) is not positive: a Gaussian of too little
    # weight for a covariance prior below the flat one (hmmlearn's default spherical
    # prior when n_mix > n_features), whose MAP does not exist. (K, M); tied: (K, 1).
    if covariance_type in ("full", "tied"):
        improper = denominator[..., 0, 0] <= 0
        return improper[:, None] if covariance_type == "tied" else improper
    return (denominator <= 0).any(axis=2) if covariance_type == "diag" else denominator <= 0


def _keep_improper(family, covariances, improper, weight):
    # The covariances of the Gaussians whose MAP does not exist stay as they were, with
    # a warning (hmmlearn's become negative, or huge).
    if not improper.any():
        return covariances
    k, m = np.argwhere(improper)[0]
    name = (f"mixture {k}" if family.covariance_type == "tied"
            else f"Gaussian {m} of mixture {k}")
    warnings.warn(f"The covariance of {name} was kept: its weight ({weight[k, m]:.3g}) is too "
                  "small for the covariance prior, whose count is then not positive (no "
                  "maximum exists). Raise covars_prior or covars_weight, or use a smaller "
                  "n_mix.", ComponentCollapseWarning, stacklevel=5)
    mask = improper[:, 0] if family.covariance_type == "tied" else improper
    mask = mask.reshape(mask.shape + (1,) * (covariances.ndim - mask.ndim))
    return np.where(mask, family.covariances, covariances)


def _rounding(stats, centres, means, covariance_type, denominator):
    # The smallest variance each covariance can resolve: the rounding error of its
    # scatter about ``centres`` (a difference of moments about the shift) over its
    # denominator, and the resolution of the data at the new ``means``. Shaped like the
    # variances (diag, spherical) or one per matrix (full, tied).
    K, M, D = centres.shape
    eps = np.finfo(np.float64).eps
    terms = stats.scatter_rounding(centres.reshape(K * M, D)).reshape(K, M, D)
    resolution = (16 * eps * np.abs(means))**2
    if covariance_type == "diag":
        return terms / denominator + resolution
    if covariance_type == "spherical":
        return terms.sum(axis=2) / denominator + resolution.max(axis=2)
    if covariance_type == "full":
        return terms.max(axis=2) / denominator[:, :, 0, 0] + resolution.max(axis=2)
    return terms.sum(axis=1).max(axis=1) / denominator[:, 0, 0] + resolution.max(axis=(1, 2))


def _floor_singular(family, covariances, min_covar, zero):
    # A Gaussian on fewer distinct points than dimensions (or a constant feature) has a
    # singular covariance (hmmlearn's densities then divide by zero, or add 1e-7 to a full
    # one silently): min_covar goes on its diagonal, with a warning. A variance that
    # rounding cannot tell from zero (``zero``, see _rounding), or that is not a normal
    # number (its inverse would overflow), counts as zero.
    zero = np.maximum(zero, np.finfo(np.float64).tiny)
    if family.covariance_type in ("spherical", "diag"):
        bad_entries = ~((covariances > zero) & np.isfinite(covariances))
        fixed = np.where(bad_entries, min_covar, covariances)
        bad = bad_entries.reshape(bad_entries.shape[:2] + (-1,)).any(axis=-1)
    else:
        D = covariances.shape[-1]
        stack = covariances.reshape(-1, D, D)
        bad = ~np.array([nonsingular(c, z) for c, z in zip(stack, np.ravel(zero))])
        fixed = (stack + np.where(bad, min_covar, 0.0)[:, None, None] * np.eye(D)).reshape(
            covariances.shape)
        bad = bad.reshape(covariances.shape[:-2])
    if bad.any():
        where = np.argwhere(np.atleast_1d(bad))[0]
        name = (f"mixture {where[0]}" if len(where) == 1
                else f"Gaussian {where[1]} of mixture {where[0]}")
        warnings.warn(f"The covariance of {name} is singular (it holds fewer distinct points "
                      "than dimensions, or a constant feature); min_covar was added to its "
                      "diagonal. Use a smaller n_mix or a larger covars_prior.",
                      ComponentCollapseWarning, stacklevel=5)
    return fixed
