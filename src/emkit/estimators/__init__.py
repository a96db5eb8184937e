"""The faces users meet: scikit-learn and hmmlearn compatible estimators."""

from emkit.estimators.gaussian_mixture import GaussianMixture

__all__ = ["GaussianMixture"]
