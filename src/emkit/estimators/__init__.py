"""The faces users meet: scikit-learn and hmmlearn compatible estimators."""

from emkit.estimators.discrete_mixtures import BernoulliMixture, CategoricalMixture, PoissonMixture
from emkit.estimators.gaussian_mixture import GaussianMixture
from emkit.estimators.hmm import CategoricalHMM, GaussianHMM, HiddenMarkovModel, PoissonHMM
from emkit.estimators.lda import LatentDirichletAllocation
from emkit.estimators.mixture_model import MixtureModel
from emkit.estimators.plsa import PLSA

__all__ = ["BernoulliMixture", "CategoricalHMM", "CategoricalMixture", "GaussianHMM",
           "GaussianMixture", "HiddenMarkovModel", "LatentDirichletAllocation", "MixtureModel",
           "PLSA", "PoissonHMM", "PoissonMixture"]
