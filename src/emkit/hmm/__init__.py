"""hmmlearn's module layout: ``from emkit import hmm`` replaces ``from hmmlearn import hmm``.

:mod:`emkit.hmm.utils` holds hmmlearn's helpers of the same names (``hmmlearn.utils``).
"""

from emkit.estimators.hmm import (DECODER_ALGORITHMS, GMMHMM, BaseHMM, CategoricalHMM,
                                  ConvergenceMonitor, GaussianHMM, HiddenMarkovModel,
                                  MultinomialHMM, PoissonHMM)
from emkit.hmm import utils

__all__ = ["DECODER_ALGORITHMS", "BaseHMM", "CategoricalHMM", "ConvergenceMonitor", "GMMHMM",
           "GaussianHMM", "HiddenMarkovModel", "MultinomialHMM", "PoissonHMM", "utils"]
