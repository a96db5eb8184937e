"""hmmlearn's ``covars`` layouts of the four Gaussian families, one small class each.

A Gaussian family stores its covariances compactly (``covariances``: one variance per
component, one per component and feature, one shared matrix, or one matrix per
component). hmmlearn's ``GaussianHMM`` takes them in that layout (a spherical one may
repeat its variance per feature), starts them from one data covariance, and exposes
them as full matrices. :func:`covars_layout` gives the layout of a family class.
"""

import numpy as np
from scipy import linalg

from emkit.families.gaussian.diag import GaussianDiag, GaussianSpherical
from emkit.families.gaussian.full import GaussianFull
from emkit.families.gaussian.tied import GaussianTied

__all__ = ["covars_layout"]


class _Layout:
    # The layout of one family class: its name (hmmlearn's covariance_type) and shape,
    # whose letters K and D ``dims`` turns into n_components and n_features.
    name = ""
    shape = ""
    dims = ()

    def compact(self, covars, n_components, n_features=None):
        # A copy in the family's layout (float64, writeable), or one clear sentence; the
        # shape is checked against n_components, and n_features where it is known.
        covars = np.array(covars, dtype=np.float64)
        sizes = {"K": n_components, "D": n_features}
        if covars.ndim == 3 and self.dims != "KDD":
            # The full matrices the ``covars_`` attribute returns (a model's covars_
            # given to another of the same type).
            covars = self._from_full(covars, sizes)
        compact = self._compact(covars, sizes)
        expected = [sizes[letter] for letter in self.dims]
        if any(want not in (None, got) for want, got in zip(expected, compact.shape)):
            raise self.error(sizes, covars.shape)
        return compact

    def error(self, sizes, got):
        # The expected shape in names and in numbers (n_features where still unknown).
        numbers = [str(sizes[letter] or "n_features") for letter in self.dims]
        numbers = ", ".join(numbers) + ("," if len(numbers) == 1 else "")
        return ValueError(f"'{self.name}' covars must have shape {self.shape} = "
                          f"({numbers}); got shape {tuple(got)}.")

    def _from_full(self, covars, sizes):
        # Each component's variances from its full matrix, which must be diagonal
        # (diagonal and spherical layouts; the tied layout overrides this).
        if covars.shape[1] != covars.shape[2] or len(covars) != sizes["K"]:
            raise self.error(sizes, covars.shape)
        diagonal = np.einsum("kii->ki", covars)
        off = np.flatnonzero(np.any(covars != diagonal[:, :, None] * np.eye(covars.shape[1]),
                                    axis=(1, 2)))
        if len(off):
            raise ValueError(f"'{self.name}' covars given as full matrices must be diagonal; "
                             f"component {off[0]} has entries off the diagonal.")
        return diagonal

    def check_positive(self, variances):
        # One sentence naming the first component with a variance that is not positive.
        bad = np.flatnonzero(~(variances > 0).all(axis=-1) if variances.ndim > 1
                             else ~(variances > 0))
        if len(bad):
            held = variances[bad[0]]
            held = (np.array2string(held, precision=4) if np.ndim(held)
                    else f"{float(held):.4g}")
            raise ValueError(f"'{self.name}' covars must be positive; component {bad[0]} "
                             f"holds {held}.")

    def check_matrix(self, matrix, which):
        # One sentence when a covariance matrix is not symmetric positive-definite.
        if not np.allclose(matrix, matrix.T):
            raise ValueError(f"{which} must be symmetric; its largest asymmetry is "
                             f"{np.abs(matrix - matrix.T).max():.3g}.")
        smallest = linalg.eigvalsh(matrix)[0]
        if not smallest > 0:
            raise ValueError(f"{which} must be positive-definite; its smallest eigenvalue "
                             f"is {smallest:.3g}.")


class _Spherical(_Layout):
    name, shape, dims = "spherical", "(n_components,)", "K"

    def _compact(self, covars, sizes):
        # hmmlearn stores one variance per component, sometimes repeated per feature
        # (n_components, n_features), and takes any array of n_components entries, each
        # holding one variance (a full matrix's diagonal: see _from_full).
        n_components, n_features = sizes["K"], sizes["D"]
        if (covars.ndim == 0 or len(covars) != n_components or not covars.size
                or covars.ndim == 2 and n_features not in (None, covars.shape[1])):
            raise self.error(sizes, covars.shape)
        rows = covars.reshape(n_components, -1)
        variances = rows[:, 0]
        self.check_positive(variances)
        unequal = np.flatnonzero(~np.all(rows == variances[:, None], axis=1))
        if len(unequal):
            raise ValueError(f"'spherical' covars given per feature must repeat one variance "
                             f"per component; component {unequal[0]} holds "
                             f"{np.array2string(rows[unequal[0]], precision=4)}.")
        return variances

    def full(self, covars, n_components, n_features):
        return covars[:, None, None] * np.eye(n_features)[None]

    def from_matrix(self, matrix, n_components):
        return np.full(n_components, matrix.mean())

    def n_parameters(self, n_components, n_features):
        return n_components


class _Diag(_Layout):
    name, shape, dims = "diag", "(n_components, n_features)", "KD"

    def _compact(self, covars, sizes):
        if covars.ndim != 2:
            raise self.error(sizes, covars.shape)
        self.check_positive(covars)
        return covars

    def full(self, covars, n_components, n_features):
        return np.array([np.diag(c) for c in covars])

    def from_matrix(self, matrix, n_components):
        return np.tile(np.diag(matrix), (n_components, 1))

    def n_parameters(self, n_components, n_features):
        return n_components * n_features


class _Tied(_Layout):
    name, shape, dims = "tied", "(n_features, n_features)", "DD"

    def _from_full(self, covars, sizes):
        # The one matrix that every component's full matrix repeats.
        if len(covars) != sizes["K"] or not np.all(covars == covars[:1]):
            raise ValueError(f"'tied' covars given per component must repeat one matrix; "
                             f"got shape {covars.shape} with different matrices.")
        return covars[0]

    def _compact(self, covars, sizes):
        if covars.ndim != 2 or covars.shape[0] != covars.shape[1]:
            raise self.error(sizes, covars.shape)
        self.check_matrix(covars, "'tied' covars")
        return covars

    def full(self, covars, n_components, n_features):
        return np.tile(covars, (n_components, 1, 1))

    def from_matrix(self, matrix, n_components):
        return matrix

    def n_parameters(self, n_components, n_features):
        return n_features * (n_features + 1) // 2


class _Full(_Layout):
    name, shape, dims = "full", "(n_components, n_features, n_features)", "KDD"

    def _compact(self, covars, sizes):
        if covars.ndim != 3 or covars.shape[1] != covars.shape[2]:
            raise self.error(sizes, covars.shape)
        for k, matrix in enumerate(covars):
            self.check_matrix(matrix, f"component {k} of 'full' covars")
        return covars

    def full(self, covars, n_components, n_features):
        return covars

    def from_matrix(self, matrix, n_components):
        return np.tile(matrix, (n_components, 1, 1))

    def n_parameters(self, n_components, n_features):
        return n_components * n_features * (n_features + 1) // 2


_LAYOUTS = {GaussianSpherical: _Spherical(), GaussianDiag: _Diag(), GaussianTied: _Tied(),
            GaussianFull: _Full()}


def covars_layout(family_class):
    """Return hmmlearn's ``covars`` layout of a Gaussian family class.

    The layout has ``compact(covars, n_components, n_features=None)`` (validate and return
    the family's own layout, raising one clear sentence; ``n_features`` None leaves that
    size unchecked), ``full(covars, n_components, n_features)``
    (every component's full matrix), ``from_matrix(matrix, n_components)`` (every
    component at one covariance matrix) and ``n_parameters(n_components, n_features)``
    (the free covariance parameters).

    Parameters
    ----------
    family_class : type
        GaussianSpherical, GaussianDiag, GaussianTied or GaussianFull.

    Returns
    -------
    layout : object
    """
    return _LAYOUTS[family_class]
