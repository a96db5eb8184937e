"""emkit: expectation-maximization for latent-variable models, on one engine."""

import importlib

from emkit import families, hmm
from emkit._config import config_context, get_config, set_config
from emkit._version import __version__
from emkit.estimators import (BernoulliMixture, CategoricalHMM, CategoricalMixture, GaussianHMM,
                              GaussianMixture, HiddenMarkovModel, LatentDirichletAllocation,
                              MixtureModel, PLSA, PoissonHMM, PoissonMixture)
from emkit.estimators.hmm import GMMHMM, MultinomialHMM

__all__ = ["BernoulliMixture", "CategoricalHMM", "CategoricalMixture", "GMMHMM", "GaussianHMM",
           "GaussianMixture", "HiddenMarkovModel", "LatentDirichletAllocation", "MixtureModel",
           "MultinomialHMM", "PLSA",
           "PoissonHMM",
           "PoissonMixture", "SelectionResult", "__version__", "config_context", "datasets",
           "families", "get_config", "hmm", "image", "io", "load", "plotting", "save", "select",
           "selection", "set_config"]

# Imported on first use, so that ``import emkit`` costs what the estimators need.
_LAZY_MODULES = ("datasets", "image", "io", "plotting", "selection")
_LAZY_NAMES = {"load": "emkit.io", "save": "emkit.io", "select": "emkit.selection",
               "SelectionResult": "emkit.selection"}


def __getattr__(name):
    if name in _LAZY_MODULES:
        module = importlib.import_module(f"emkit.{name}")
    elif name in _LAZY_NAMES:
        module = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    else:
        raise AttributeError(f"module 'emkit' has no attribute {name!r}")
    globals()[name] = module
    return module


def __dir__():
    return sorted(set(globals()) | set(__all__))
