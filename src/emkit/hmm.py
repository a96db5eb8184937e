"""hmmlearn's module layout: ``from emkit import hmm`` replaces ``from hmmlearn import hmm``."""

from emkit.estimators.hmm import (DECODER_ALGORITHMS, GMMHMM, BaseHMM, CategoricalHMM,
                                  ConvergenceMonitor, GaussianHMM, HiddenMarkovModel,
                                  MultinomialHMM, PoissonHMM)

__all__ = ["DECODER_ALGORITHMS", "BaseHMM", "CategoricalHMM", "ConvergenceMonitor", "GMMHMM",
           "GaussianHMM", "HiddenMarkovModel", "MultinomialHMM", "PoissonHMM"]
