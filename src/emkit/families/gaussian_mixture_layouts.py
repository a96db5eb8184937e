"""hmmlearn's GMMHMM covariance layouts, one small class per ``covariance_type``.

A :class:`~emkit.families.gaussian_mixtures.GaussianMixtures` family holds K mixtures of
M Gaussians with covariances in hmmlearn's layout: (K, M) spherical, (K, M, D) diag,
(K, M, D, D) full, and (K, D, D) tied, one matrix per mixture shared by its Gaussians.
Its K * M Gaussians are one inner Gaussian family; a layout knows that family's class,
how its covariances flatten into it, and the scatter, count and parameter number of the
M-step in the layout. :data:`COVARIANCE_STRUCTURES` maps the strings to the layouts once.
"""

import numpy as np

from emkit.families.gaussian import GaussianDiag, GaussianFull, GaussianSpherical

__all__ = ["COVARIANCE_STRUCTURES"]


class _Structure:
    """The covariance layout of one ``covariance_type``, and its inner family's class."""

    name = ""
    inner = None
    tail = ""          # dimensions after (K, M): "" one variance, "D", "DD"; tied is (K, D, D)
    per_mixture = False

    def shape(self, K, M, D):
        """Return the shape of ``covariances`` for K mixtures of M Gaussians in D features."""
        sizes = {"D": D}
        return ((K,) if self.per_mixture else (K, M)) + tuple(sizes[c] for c in self.tail)

    def flatten(self, covariances, M):
        """Return the inner family's covariances, one per Gaussian, (K * M, ...)."""
        if self.per_mixture:
            return np.repeat(covariances, M, axis=0)
        return covariances.reshape((-1,) + covariances.shape[2:])

    def matrices(self, covariances, K, M, D):
        """Return every Gaussian's full covariance matrix, (K, M, D, D)."""
        flat = self.flatten(covariances, M)
        if flat.ndim == 1:
            flat = flat[:, None] * np.ones(D)
        if flat.ndim == 2:
            flat = flat[:, :, None] * np.eye(D)
        return flat.reshape(K, M, D, D)

    def matrix(self, covariances, k, m, D):
        """Return the full covariance matrix of Gaussian ``m`` of mixture ``k``."""
        value = covariances[k] if self.per_mixture else covariances[k, m]
        if not self.tail:
            return value * np.eye(D)
        return np.diag(value) if self.tail == "D" else value

    def scatter(self, stats, centres):
        """Return the weighted scatter of the rows about ``centres`` (K, M, D), per layout.

        ``stats`` holds the inner family's moments about its shift; the scatter about a
        point ``c`` is ``second - first (c - s)^T - (c - s) first^T + w (c - s)(c - s)^T``.
        """
        K, M, D = centres.shape
        delta = centres.reshape(K * M, D) - stats.shift
        weight = stats.weight[:, None]
        if stats.second.ndim == 2:  # diagonal moments
            scatter = (stats.second - 2 * delta * stats.first + weight * delta**2).reshape(K, M, D)
            return scatter.sum(axis=2) if not self.tail else scatter
        cross = stats.first[:, :, None] * delta[:, None, :]
        scatter = (stats.second - cross - cross.transpose(0, 2, 1)
                   + weight[:, :, None] * delta[:, :, None] * delta[:, None, :])
        scatter = scatter.reshape(K, M, D, D)
        return scatter.sum(axis=1) if self.per_mixture else scatter

    def counts(self, weight, D):
        """Return what each scatter is divided by in the maximum-likelihood M-step."""
        if self.per_mixture:
            return weight.sum(axis=1)[:, None, None]
        if not self.tail:
            return D * weight
        return weight[(...,) + (None,) * len(self.tail)]

    def from_matrix(self, matrix, K, M):
        """Return every Gaussian at one covariance matrix (hmmlearn's start)."""
        if self.per_mixture:
            return np.tile(matrix, (K, 1, 1))
        if not self.tail:
            return np.full((K, M), matrix.mean())
        if self.tail == "D":
            return np.tile(np.diag(matrix), (K, M, 1))
        return np.tile(matrix, (K, M, 1, 1))

    def n_parameters(self, K, M, D):
        """Return the number of free covariance parameters."""
        matrix = D * (D + 1) // 2
        return {"": K * M, "D": K * M * D, "DD": K * M * matrix}[self.tail] \
            if not self.per_mixture else K * matrix

    def add_to_diagonal(self, covariances, value):
        """Return ``covariances`` with ``value`` added to every variance."""
        if self.tail in ("", "D"):
            return covariances + value
        out = np.array(covariances, dtype=np.float64)
        diagonal = np.arange(out.shape[-1])
        out[..., diagonal, diagonal] += value
        return out


class _Spherical(_Structure):
    name, inner, tail = "spherical", GaussianSpherical, ""


class _Diag(_Structure):
    name, inner, tail = "diag", GaussianDiag, "D"


class _Full(_Structure):
    name, inner, tail = "full", GaussianFull, "DD"


class _Tied(_Structure):
    name, inner, tail, per_mixture = "tied", GaussianFull, "DD", True


#: hmmlearn's ``covariance_type`` strings, mapped once to their layout and inner family.
COVARIANCE_STRUCTURES = {s.name: s for s in (_Spherical(), _Diag(), _Full(), _Tied())}
