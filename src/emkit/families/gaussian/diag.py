"""K Gaussians with diagonal covariances: one variance per feature, or one per component.

Both take chunk features about a shift, so one product gives the log-densities of all K
components and another their moments: ``[1, y, y^2]`` per feature for diagonal
covariances, ``[1, y, |y|^2]`` for spherical ones, whose likelihood depends on the squares
only through their sum (D + 2 features instead of 2D + 1). Their statistics are both
:class:`~.stats.DiagStats`; a spherical family's ``second`` holds each component's sum
of squares spread evenly over the features (``S_k / D`` in each), so every formula
linear in ``second`` (re-centring, adding chunks, missing entries, priors) sums to the
right value, and its M-step reads only the sum. A row with missing entries
has the marginal density of its observed features, the sum of their one-dimensional
densities; its missing entries count at the component mean, with the component variance.
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import numpy as np

from emkit._products import feature_sums, product
from emkit.families.base import Family, set_derived
from emkit.families.gaussian._features import NORMS, SQUARES, n_terms
from emkit.families.gaussian._fused import FusedTerms, fused_sums
from emkit.families.gaussian._prepared import PreparedGaussian
from emkit.families.gaussian._linalg import LOG_2PI, ill_defined_error
from emkit.families.gaussian.missing import missing_bytes_per_row
from emkit.families.gaussian.stats import DiagStats
from emkit.stats import WEIGHT_EPS

__all__ = ["GaussianDiag", "GaussianSpherical"]


@dataclass(frozen=True)
class _Diagonal(PreparedGaussian, Family):
    means: np.ndarray
    covariances: np.ndarray
    reg_covar: float = 1e-6
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    component_fields: ClassVar[tuple] = ("means", "covariances")
    #: What follows ``[1, y]`` in the chunk features (see :mod:`._features`).
    _products: ClassVar[int] = SQUARES

    def __post_init__(self):
        means = np.array(self.means, dtype=np.float64, ndmin=2)
        covs = np.asarray(self.covariances, dtype=np.float64)
        # A variance below the smallest normal number (data spread by 1e-155 and less)
        # is zero to the precisions, whose squares overflow.
        if not np.all(covs >= np.finfo(np.float64).tiny):
            raise ill_defined_error()
        set_derived(self, means=means, covariances=covs, precisions_cholesky=1.0 / np.sqrt(covs))
        K, D = means.shape
        prec = np.broadcast_to(self.precisions[:, None] if covs.ndim == 1 else self.precisions,
                               (K, D))
        shift = means.mean(axis=0)
        centred = means - shift
        log_det = np.log(np.broadcast_to(
            self.precisions_cholesky[:, None] if covs.ndim == 1 else self.precisions_cholesky,
            (K, D))).sum(axis=1)
        distances = (prec * centred**2).sum(axis=1)
        const = -0.5 * D * LOG_2PI + log_det - 0.5 * distances
        weights = np.hstack([const[:, None], prec * centred, -0.5 * self._quadratic(prec)])
        set_derived(self, shift=shift, _weights=weights, _reach=float(np.max(distances)))

    @classmethod
    def _placeholder(cls, n_components, center, reg_covar):
        shape = (n_components, len(center)) if cls is GaussianDiag else (n_components,)
        return cls(np.tile(center, (n_components, 1)), np.ones(shape), reg_covar)

    @classmethod
    def from_precisions_cholesky(cls, means, precisions_cholesky, reg_covar=1e-6):
        """Build the family from inverse standard deviations.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
            Component means.
        precisions_cholesky : ndarray
            Inverse standard deviations, shaped like ``covariances``.
        reg_covar : float, default=1e-6
            Regularization of later M-steps.

        Returns
        -------
        family : same type
        """
        return cls.from_precisions(means, np.asarray(precisions_cholesky, float)**2, reg_covar)

    @classmethod
    def from_precisions(cls, means, precisions, reg_covar=1e-6):
        """Build the family from inverse variances.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
            Component means.
        precisions : ndarray
            Inverse variances, shaped like ``covariances``.
        reg_covar : float, default=1e-6
            Regularization of later M-steps.

        Returns
        -------
        family : same type
        """
        return cls(means, 1.0 / np.asarray(precisions, dtype=np.float64), reg_covar)

    @property
    def precisions(self):
        """Inverse variances."""
        return self.precisions_cholesky**2

    def _log_prob_features(self, prepared):
        weights = self._weights32 if prepared.dtype == np.float32 else self._weights
        return (weights @ prepared).T

    def _accumulate_features(self, prepared, W):
        return self._stats_of_sums(feature_sums(prepared, W))

    def fused_stats(self, X, log_weights):
        """Return a mixture's E-step of a complete chunk in one compiled pass, or None.

        See :mod:`emkit.families.gaussian._fused`: None without numba, for components
        far from the shift, for rows that are not float32 or float64 in C order, with a
        missing entry or that no component explains, and for float32 rows whose
        components the feature path computes in float64 (see ``prepare``).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.
        log_weights : ndarray of shape (n_components,)
            The mixture's ``log w_k``.

        Returns
        -------
        result : tuple or None
            ``(log_norm, resp_sum, stats)``, as :meth:`Family.fused_stats`.
        """
        if self._far is not None:
            return None
        if X.dtype == np.float64:
            terms = self._fused_terms
        elif X.dtype == np.float32 and self._float32_ok:
            terms = self._fused_terms32
        else:
            return None
        result = fused_sums(X, self.shift, terms, log_weights)
        if result is None:
            return None
        log_norm, sums = result
        return log_norm, sums[0], self._stats_of_sums(sums)

    @cached_property
    def _fused_terms(self):
        return FusedTerms(self._weights, self.means.shape[1], self._products)

    @cached_property
    def _fused_terms32(self):
        return FusedTerms(self._weights, self.means.shape[1], self._products, np.float32)

    def _stats_of_sums(self, sums):
        # The statistics of the moment sums ``features @ W`` (n_terms, K), in float64.
        D = self.means.shape[1]
        return DiagStats(sums[0], sums[1:D + 1].T, self._second(sums[D + 1:].T, D),
                         self.shift)

    def _dense_variances(self):
        return np.broadcast_to(self.covariances[:, None] if self.covariances.ndim == 1
                               else self.covariances, self.means.shape)

    def _log_prob_about_mean(self, centred, k):
        # log N(x | mean_k, covariance_k) of rows given as x - mean_k, in float64 (see
        # .far).
        variances = self._dense_variances()[k]
        return -0.5 * (len(variances) * LOG_2PI + np.sum(np.log(variances))
                       + (centred * centred) @ (1.0 / variances))

    def _observed_terms(self, centred, mask):
        # The features' log-density of a filled row counts log N(shift_d) for each missing
        # feature d; the correction takes those terms out.
        variances = self._dense_variances()
        means = self.means - self.shift
        at_shift = -0.5 * (LOG_2PI + np.log(variances) + means**2 / variances)
        missing = mask.astype(np.float64)  # the terms: kept for the statistics
        return -(missing @ at_shift.T), np.arange(len(mask)), missing

    def _add_missing(self, stats, chunk, W):
        # A missing entry counts at the component mean, with the component variance.
        counts = product(np.asarray(W, dtype=np.float64)[chunk.rows].T, chunk.terms)
        means = self.means - self.shift
        return DiagStats(stats.weight, stats.first + counts * means,
                         stats.second + counts * (means**2 + self._dense_variances()),
                         self.shift)

    def _complete(self, centred, mask):
        return np.where(mask[:, None, :], (self.means - self.shift)[None], centred[:, None, :])

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
        terms = n_terms(X.shape[1], self._products)
        return (X.dtype.itemsize * (terms + 3 * self.n_components)
                + missing_bytes_per_row(X, self.n_components, 0))

    def regularization_share(self):
        """Return ``reg_covar`` over the smallest variance.

        Returns
        -------
        share : float
        """
        return float(self.reg_covar / np.min(self.covariances))

    def _quadratic(self, prec):
        # The precisions that weigh the squares' features: one per feature.
        return prec

    def _second(self, squares, n_features):
        # DiagStats.second from the sums of the squares' features.
        return squares

    def _variances(self, scatter, second, weight):
        # Scatter over weight, plus reg_covar; a variance below the rounding error of the
        # moments it came from is zero.
        weight = weight + WEIGHT_EPS
        variances = scatter / weight
        noise = 16 * np.finfo(float).eps * np.abs(second) / weight
        return np.where(variances > noise, variances, 0.0) + self.reg_covar

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
        size = (int(n), self.means.shape[1])
        return self.means[k] + rng.standard_normal(size=size) * np.sqrt(self.covariances[k])



@dataclass(frozen=True)
class GaussianDiag(_Diagonal):
    """K Gaussians with diagonal covariances.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features)
        Variance of each feature in each component.
    reg_covar : float, default=1e-6
        Added to every variance the M-step estimates.
    """

    def maximize(self, stats):
        """Return the Gaussians that maximize the expected log-likelihood of ``stats``.

        Parameters
        ----------
        stats : DiagStats
            Summed statistics.

        Returns
        -------
        family : GaussianDiag
        """
        variances = self._variances(stats.scatter(), stats.second, stats.weight[:, None])
        return GaussianDiag(stats.means, variances, self.reg_covar)

    def n_parameters(self):
        """Return the number of free parameters: means and variances.

        Returns
        -------
        n : int
        """
        K, D = self.means.shape
        return int(2 * K * D)


@dataclass(frozen=True)
class GaussianSpherical(_Diagonal):
    """K Gaussians, each with one variance shared by all features.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components,)
        Variance of each component.
    reg_covar : float, default=1e-6
        Added to every variance the M-step estimates.
    """

    _products: ClassVar[int] = NORMS

    def _quadratic(self, prec):
        # One precision weighs the squared norm.
        return prec[:, :1]

    def _second(self, squares, n_features):
        # Each component's sum of squares, spread evenly over the features.
        return np.repeat(squares / n_features, n_features, axis=1)

    def maximize(self, stats):
        """Return the Gaussians that maximize the expected log-likelihood of ``stats``.

        Parameters
        ----------
        stats : DiagStats
            Summed statistics.

        Returns
        -------
        family : GaussianSpherical
        """
        # The mean over the features: only the sums of the spread statistic count.
        variances = self._variances(stats.scatter().mean(axis=1), stats.second.mean(axis=1),
                                    stats.weight)
        return GaussianSpherical(stats.means, variances, self.reg_covar)

    def n_parameters(self):
        """Return the number of free parameters: means and one variance each.

        Returns
        -------
        n : int
        """
        K, D = self.means.shape
        return int(K * D + K)
