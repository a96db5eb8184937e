"""Gaussian families, one small class per covariance structure."""

from emkit.families.gaussian.diag import GaussianDiag, GaussianSpherical
from emkit.families.gaussian.full import GaussianFull
from emkit.families.gaussian.tied import GaussianTied

#: The scikit-learn ``covariance_type`` strings, mapped once to their family.
COVARIANCE_TYPES = {
    "full": GaussianFull,
    "tied": GaussianTied,
    "diag": GaussianDiag,
    "spherical": GaussianSpherical,
}

__all__ = ["COVARIANCE_TYPES", "GaussianDiag", "GaussianFull", "GaussianSpherical", "GaussianTied"]
