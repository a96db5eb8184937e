"""emkit: expectation-maximization for latent-variable models, on one engine."""

from emkit import datasets, families, hmm, image, io, plotting, selection
from emkit._config import config_context, get_config, set_config
from emkit._version import __version__
from emkit.estimators import (BernoulliMixture, CategoricalHMM, CategoricalMixture, GaussianHMM,
                              GaussianMixture, HiddenMarkovModel, MixtureModel, PoissonHMM,
                              PoissonMixture)
from emkit.io import load, save
from emkit.selection import SelectionResult, select

__all__ = ["BernoulliMixture", "CategoricalHMM", "CategoricalMixture", "GaussianHMM",
           "GaussianMixture", "HiddenMarkovModel", "MixtureModel", "PoissonHMM",
           "PoissonMixture", "SelectionResult", "__version__", "config_context", "datasets",
           "families", "get_config", "hmm", "image", "io", "load", "plotting", "save", "select",
           "selection", "set_config"]
