"""Component families: what one kind of component is, K of them at once.

A new family goes in its own module here and subclasses :class:`Family`.
"""

from emkit.families.base import Family
from emkit.families.custom import DensityFamily, density_family
from emkit.families.discrete import Bernoulli, Binomial, Categorical, Poisson
from emkit.families.gamma import Gamma
from emkit.families.gaussian import (GaussianDiag, GaussianEEI, GaussianEEV, GaussianEII,
                                     GaussianEVE, GaussianEVI, GaussianEVV, GaussianFull,
                                     GaussianSpherical, GaussianTied, GaussianVEE, GaussianVEI,
                                     GaussianVEV, GaussianVVE)
from emkit.families.gaussian_mixtures import GaussianMixtures
from emkit.families.independent import Independent
from emkit.families.lognormal import LogNormal
from emkit.families.multinomial import Multinomial
from emkit.families.positive import Exponential

__all__ = ["Bernoulli", "Binomial", "Categorical", "DensityFamily", "Exponential", "Family",
           "Gamma", "GaussianDiag", "GaussianEEI", "GaussianEEV", "GaussianEII", "GaussianEVE",
           "GaussianEVI", "GaussianEVV", "GaussianFull", "GaussianMixtures", "GaussianSpherical",
           "GaussianTied",
           "GaussianVEE", "GaussianVEI", "GaussianVEV", "GaussianVVE", "Independent",
           "LogNormal", "Multinomial", "Poisson", "density_family"]
