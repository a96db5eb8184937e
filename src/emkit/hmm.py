"""hmmlearn's module layout: ``from emkit import hmm`` replaces ``from hmmlearn import hmm``."""

from emkit.estimators.hmm import (DECODER_ALGORITHMS, BaseHMM, CategoricalHMM,
                                  ConvergenceMonitor, GaussianHMM, HiddenMarkovModel,
                                  PoissonHMM)

__all__ = ["DECODER_ALGORITHMS", "BaseHMM", "CategoricalHMM", "ConvergenceMonitor",
           "GaussianHMM", "HiddenMarkovModel", "PoissonHMM"]
