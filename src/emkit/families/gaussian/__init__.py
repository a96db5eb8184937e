"""Gaussian families, one small class per covariance structure."""

from emkit.families.gaussian.diag import GaussianDiag, GaussianSpherical
from emkit.families.gaussian.eigen_common import GaussianEVE, GaussianVEE, GaussianVVE
from emkit.families.gaussian.eigen_diagonal import (GaussianEEI, GaussianEII, GaussianEVI,
                                                    GaussianVEI)
from emkit.families.gaussian.eigen_varying import GaussianEEV, GaussianEVV, GaussianVEV
from emkit.families.gaussian.full import GaussianFull
from emkit.families.gaussian.tied import GaussianTied

#: The scikit-learn ``covariance_type`` strings, mapped once to their family.
COVARIANCE_TYPES = {
    "full": GaussianFull,
    "tied": GaussianTied,
    "diag": GaussianDiag,
    "spherical": GaussianSpherical,
}

#: mclust's fourteen models (volume, shape and orientation, each Equal, Variable or the
#: Identity across components), in mclust's order, mapped to their family. Four are
#: scikit-learn's: VII is ``spherical``, VVI ``diag``, EEE ``tied`` and VVV ``full``.
MCLUST_MODELS = {
    "EII": GaussianEII, "VII": GaussianSpherical, "EEI": GaussianEEI, "VEI": GaussianVEI,
    "EVI": GaussianEVI, "VVI": GaussianDiag, "EEE": GaussianTied, "VEE": GaussianVEE,
    "EVE": GaussianEVE, "VVE": GaussianVVE, "EEV": GaussianEEV, "VEV": GaussianVEV,
    "EVV": GaussianEVV, "VVV": GaussianFull,
}

#: mclust's name of each scikit-learn ``covariance_type``.
MCLUST_NAMES = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}

#: Every ``covariance_type`` of GaussianMixture: scikit-learn's four, then mclust's fourteen.
MIXTURE_COVARIANCE_TYPES = {**COVARIANCE_TYPES, **MCLUST_MODELS}

__all__ = ["COVARIANCE_TYPES", "MCLUST_MODELS", "MCLUST_NAMES", "MIXTURE_COVARIANCE_TYPES",
           "GaussianDiag", "GaussianEEI", "GaussianEEV", "GaussianEII", "GaussianEVE",
           "GaussianEVI", "GaussianEVV", "GaussianFull", "GaussianSpherical", "GaussianTied",
           "GaussianVEE", "GaussianVEI", "GaussianVEV", "GaussianVVE"]
