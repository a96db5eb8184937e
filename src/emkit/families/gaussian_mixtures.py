"""K Gaussian mixtures of M components each: one mixture per state (hmmlearn's GMMHMM).

Component ``k`` is ``p(x | k) = sum_m w_km N(x; mu_km, S_km)``. Its K * M Gaussians are one
inner Gaussian family, so the chunk features, the missing-value E-step (marginal
densities of the observed entries, conditional moments of the missing ones) and the
float32 path are the Gaussian families' own: spherical, diag and full map to
``GaussianSpherical``, ``GaussianDiag`` and ``GaussianFull``, and tied (one covariance per
mixture, shared by its M Gaussians) to a ``GaussianFull`` whose matrices repeat within
each mixture (the layouts are :mod:`.gaussian_mixture_layouts`). ``log_prob`` is the
log-sum-exp of a mixture's weighted log-densities; ``accumulate(X, W)`` splits each row's
weight for mixture k over its Gaussians by their posteriors given the row (the
within-mixture responsibilities) and returns the inner family's moments, which add.
``maximize`` is the exact maximum-likelihood M-step; the MAP step of hmmlearn's GMMHMM is
:class:`emkit.families.gaussian_mixtures_prior.GaussianMixturesPrior`.
"""

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from emkit.exceptions import ComponentCollapseWarning
from emkit.families.base import Family, set_derived
from emkit.families.gaussian import GaussianFull
from emkit.families.gaussian._prepared import GAUSSIAN_EMPTY_SHARE
from emkit.families.gaussian_mixture_layouts import COVARIANCE_STRUCTURES

__all__ = ["GaussianMixtures"]


class _Prepared:
    # A chunk prepared for the inner family, and the (n, K, M) joint log-densities once
    # log_prob_prepared has computed them (accumulate_prepared reuses them).
    __slots__ = ("inner", "joint")

    def __init__(self, inner):
        self.inner = inner
        self.joint = None


@dataclass(frozen=True)
class GaussianMixtures(Family):
    """K mixtures of M Gaussians each, in hmmlearn's GMMHMM layout.

    Parameters
    ----------
    weights : array-like of shape (n_components, n_mix)
        Weight of each Gaussian in its mixture; every row is non-negative and sums to 1.
    means : array-like of shape (n_components, n_mix, n_features)
        Means of the Gaussians.
    covariances : array-like
        Covariances in hmmlearn's layout for ``covariance_type``: (n_components, n_mix)
        spherical, (n_components, n_mix, n_features) diag, (n_components, n_mix,
        n_features, n_features) full, (n_components, n_features, n_features) tied (one
        matrix per mixture, shared by its Gaussians).
    covariance_type : {'spherical', 'diag', 'full', 'tied'}, default='diag'
        Covariance structure.
    reg_covar : float, default=1e-6
        Added to every variance the maximum-likelihood M-step estimates.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "diag"
    reg_covar: float = 1e-6

    component_fields: ClassVar[tuple] = ("weights", "means", "covariances")
    allows_missing: ClassVar[bool] = True
    #: Its M-steps are the Gaussian families', with their guard on the weight.
    empty_share: ClassVar[float] = GAUSSIAN_EMPTY_SHARE

    def __post_init__(self):
        structure = COVARIANCE_STRUCTURES.get(self.covariance_type)
        if structure is None:
            raise ValueError("covariance_type must be one of 'spherical', 'diag', 'full', "
                             f"'tied'; got {self.covariance_type!r}.")
        weights = np.array(self.weights, dtype=np.float64, ndmin=2)
        means = np.array(self.means, dtype=np.float64)
        if means.ndim != 3 or means.shape[:2] != weights.shape:
            raise ValueError(f"means must have shape (n_components, n_mix, n_features) = "
                             f"{weights.shape + ('n_features',)}; got {means.shape}.")
        K, M, D = means.shape
        covs = np.array(self.covariances, dtype=np.float64)
        if covs.shape != structure.shape(K, M, D):
            raise ValueError(f"{structure.name!r} covariances must have shape "
                             f"{structure.shape(K, M, D)}; got {covs.shape}.")
        if not (np.all(weights >= 0) and np.allclose(weights.sum(axis=1), 1.0)):
            raise ValueError("The mixture weights must be non-negative and sum to 1 in every "
                             f"row; got row sums {np.round(weights.sum(axis=1), 6).tolist()}.")
        inner = structure.inner(means.reshape(K * M, D), structure.flatten(covs, M),
                                self.reg_covar)
        with np.errstate(divide="ignore"):
            log_weights = np.log(weights).reshape(K * M)
        set_derived(self, weights=weights, means=means, covariances=covs,
                    _structure=structure, _inner=inner, _log_weights=log_weights)

    @property
    def n_mix(self):
        """Number of Gaussians in each mixture."""
        return self.weights.shape[1]

    @property
    def n_features(self):
        """Dimension of the rows."""
        return self.means.shape[2]

    @classmethod
    def validate(cls, X):
        """Raise a ValueError when ``X`` holds values whose squares would overflow.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.
        """
        GaussianFull.validate(X)

    # -- E-step ------------------------------------------------------------------------
    def prepare(self, X):
        """Return the chunk prepared for the inner Gaussians (their features).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows; NaN marks a missing entry.

        Returns
        -------
        prepared : object
            What :meth:`log_prob_prepared` and :meth:`accumulate_prepared` take.
        """
        return _Prepared(self._inner.prepare(X))

    def _joint(self, prepared):
        # log w_km + log N(x | mu_km, S_km), (n, K, M), computed once per prepared chunk.
        if prepared.joint is None:
            inner = np.asarray(self._inner.log_prob_prepared(prepared.inner), dtype=np.float64)
            prepared.joint = (inner + self._log_weights).reshape(len(inner), *self.weights.shape)
        return prepared.joint

    def log_prob_prepared(self, prepared):
        """Return the mixtures' log-densities of a prepared chunk.

        Parameters
        ----------
        prepared : object
            What :meth:`prepare` returned.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        return _log_sum_exp(self._joint(prepared))[0]

    def log_prob(self, X):
        """Return ``log sum_m w_km N(x_i | mu_km, S_km)`` for every row and mixture.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry (the marginal density of the others).

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        return self.log_prob_prepared(self.prepare(X))

    def responsibilities(self, prepared):
        """Return the posterior of each Gaussian of each mixture given the row.

        Parameters
        ----------
        prepared : object
            What :meth:`prepare` returned.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components, n_mix)
            Rows of each mixture sum to 1 (0 where the mixture gives the row no density).
        """
        total, joint = _log_sum_exp(self._joint(prepared))
        with np.errstate(invalid="ignore", under="ignore"):
            resp = np.exp(joint - total[:, :, None])
        return np.where(np.isfinite(total)[:, :, None], resp, 0.0)

    def accumulate_prepared(self, prepared, W):
        """Return the inner Gaussians' moments, each row weighted by ``W`` and its posterior.

        Parameters
        ----------
        prepared : object
            What :meth:`prepare` returned.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each mixture.

        Returns
        -------
        stats : DiagStats or FullStats
            Moments of the K * M Gaussians (mixture k's Gaussians at ``k * n_mix`` to
            ``(k + 1) * n_mix - 1``) about the inner family's shift.
        """
        W = np.asarray(W, dtype=np.float64)
        # A product below the range is the zero kept. The chunk runner ignores underflow
        # already (engine/underflow.py); starts call this outside it.
        with np.errstate(under="ignore"):
            resp = self.responsibilities(prepared) * W[:, :, None]
        resp = resp.reshape(len(W), -1)
        # The weights of float32 products must not be subnormal (see the Gaussian families).
        resp[resp < np.finfo(np.float32).tiny] = 0.0
        return self._inner.accumulate_prepared(prepared.inner, resp)

    def accumulate(self, X, W):
        """Return the inner Gaussians' moments, each row weighted by ``W`` and its posterior.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each mixture.

        Returns
        -------
        stats : DiagStats or FullStats
        """
        return self.accumulate_prepared(self.prepare(X), W)

    def condition(self, X):
        """Return every row completed with its conditional mean under every mixture.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.

        Returns
        -------
        conditional_means : ndarray of shape (n_samples, n_components, n_features)
            Each Gaussian's conditional mean weighted by its posterior given the observed
            entries of the row.
        """
        X = np.asarray(X, dtype=np.float64)
        K, M, D = self.means.shape
        completed = self._inner.condition(X).reshape(len(X), K, M, D)
        return np.einsum("nkm,nkmd->nkd", self.responsibilities(self.prepare(X)), completed)

    # -- M-step ------------------------------------------------------------------------
    def empty(self, stats):
        """Return the Gaussians whose weight is too small to estimate them, (K, M) bool.

        Below ``empty_share`` (1e-10) of the total weight, where the M-step's guard on
        the weight starts to matter; a MAP step that divides by the weight exactly (see
        :class:`emkit.families.gaussian_mixtures_prior.GaussianMixturesPrior`) keeps
        only Gaussians below :data:`emkit.stats.EMPTY_WEIGHT`.

        Parameters
        ----------
        stats : DiagStats or FullStats
            Summed statistics.

        Returns
        -------
        empty : ndarray of shape (n_components, n_mix)
        """
        weight = stats.weight.reshape(self.weights.shape)
        return weight < self.empty_share * max(float(weight.sum()), 1.0)

    def maximize(self, stats):
        """Return the mixtures that maximize the expected log-likelihood of ``stats``.

        Weights are the Gaussians' shares of their mixture's weight, means the weighted
        means, covariances the scatter about the new means (pooled over a mixture's
        Gaussians for tied) plus ``reg_covar``. A Gaussian without weight keeps its
        parameters, with a :class:`~emkit.exceptions.ComponentCollapseWarning`.

        Parameters
        ----------
        stats : DiagStats or FullStats
            Summed statistics.

        Returns
        -------
        family : GaussianMixtures
        """
        K, M, D = self.means.shape
        weight = stats.weight.reshape(K, M)
        empty = self.empty(stats)
        weights = self.keep_weights(weight)
        sums = (stats.first + stats.weight[:, None] * stats.shift).reshape(K, M, D)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(empty[:, :, None], self.means, sums / weight[:, :, None])
            covs = self.scatter(stats, means) / self._structure.counts(weight, D)
        if self._structure.tail in ("", "D"):
            covs = np.maximum(covs, 0.0)  # rounding below zero
        covs = self.keep_covariances(self._structure.add_to_diagonal(covs, self.reg_covar), empty)
        return GaussianMixtures(weights, means, covs, self.covariance_type, self.reg_covar)

    def scatter(self, stats, centres):
        """Return the weighted scatter of the rows about ``centres``, in this layout.

        Parameters
        ----------
        stats : DiagStats or FullStats
            Summed statistics.
        centres : ndarray of shape (n_components, n_mix, n_features)
            The points each Gaussian's scatter is taken about.

        Returns
        -------
        scatter : ndarray
            Shaped like ``covariances`` (summed over a mixture's Gaussians for tied, over
            the features for spherical).
        """
        return self._structure.scatter(stats, centres)

    def keep_weights(self, weight):
        """Return ``weight`` normalized per mixture; a mixture without weight keeps its own.

        Parameters
        ----------
        weight : ndarray of shape (n_components, n_mix)
            Non-negative (pseudo-)counts.

        Returns
        -------
        weights : ndarray of shape (n_components, n_mix)
        """
        total = weight.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, weight / np.where(total > 0, total, 1.0), self.weights)

    def keep_covariances(self, covariances, empty):
        """Return ``covariances`` with those of the ``empty`` Gaussians kept, and warn.

        Parameters
        ----------
        covariances : ndarray
            New covariances in this family's layout.
        empty : ndarray of bool of shape (n_components, n_mix)
            Gaussians without weight (for tied, a mixture keeps its matrix when all of its
            Gaussians are empty).

        Returns
        -------
        covariances : ndarray
        """
        if not empty.any():
            return covariances
        k, m = np.argwhere(empty)[0]
        kept = "mean was" if self._structure.per_mixture else "mean and covariance were"
        warnings.warn(f"Gaussian {m} of mixture {k} received no weight, so its {kept} kept; "
                      "use a smaller n_mix if this repeats.", ComponentCollapseWarning,
                      stacklevel=4)
        mask = empty.all(axis=1) if self._structure.per_mixture else empty
        mask = mask.reshape(mask.shape + (1,) * (covariances.ndim - mask.ndim))
        return np.where(mask, self.covariances, covariances)

    def n_parameters(self):
        """Return the number of free parameters: weights, means and covariances.

        Returns
        -------
        n : int
        """
        K, M, D = self.means.shape
        return int(K * (M - 1) + K * M * D + self._structure.n_parameters(K, M, D))

    # -- what else a family may do -----------------------------------------------------
    def state_moments(self):
        """Return each mixture's mean and covariance.

        Returns
        -------
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)
        """
        K, M, D = self.means.shape
        mean = np.einsum("km,kmd->kd", self.weights, self.means)
        matrices = self._structure.matrices(self.covariances, K, M, D)
        second = np.einsum("km,kmij->kij", self.weights,
                           matrices + self.means[..., :, None] * self.means[..., None, :])
        return mean, second - mean[:, :, None] * mean[:, None, :]

    def sample(self, k, n, rng):
        """Draw ``n`` rows from mixture ``k``.

        Parameters
        ----------
        k : int
            The mixture.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        M = self.n_mix
        picks = rng.choice(M, size=int(n), p=self.weights[k] / self.weights[k].sum())
        X = np.empty((int(n), self.n_features))
        for m in np.unique(picks):
            rows = picks == m
            X[rows] = self._inner.sample(int(k) * M + int(m), int(rows.sum()), rng)
        return X

    def reseed(self, k, x):
        """Return the family with mixture ``k`` moved to be centred at ``x``.

        Its Gaussians keep their positions relative to one another and their
        covariances.

        Parameters
        ----------
        k : int
            The mixture.
        x : ndarray of shape (n_features,)
            The new centre; a NaN coordinate keeps the current one.

        Returns
        -------
        family : GaussianMixtures
        """
        means = self.means.copy()
        centre = self.weights[k] @ means[k]
        means[k] += np.where(np.isnan(x), centre, x) - centre
        return GaussianMixtures(self.weights, means, self.covariances, self.covariance_type,
                                self.reg_covar)

    def min_chunk_rows(self, X):
        """Return the inner family's fewest rows per chunk.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        rows : int
        """
        return self._inner.min_chunk_rows(X)

    def bytes_per_row(self, X):
        """Return the working-set bytes of one row: the inner family's and the posteriors.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        n_bytes : int
        """
        return self._inner.bytes_per_row(X) + 8 * 3 * self.weights.size

    def resolution(self, dtype):
        """Return the inner family's log-density resolution for ``dtype``.

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
        """
        return self._inner.resolution(dtype)

    def regularization_share(self):
        """Return ``reg_covar`` over the smallest variance (the inner family's share).

        Returns
        -------
        share : float
        """
        return self._inner.regularization_share()


def _log_sum_exp(joint):
    # The log-sum-exp over the last axis, and ``joint`` itself; -inf where every term is.
    peak = joint.max(axis=-1)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore", under="ignore"):
        total = np.log(np.exp(joint - peak[..., None]).sum(axis=-1)) + peak
    return total, joint
