"""hmmlearn's module layout: ``from emkit import hmm`` replaces ``from hmmlearn import hmm``.

:mod:`emkit.hmm.utils` holds hmmlearn's helpers of the same names (``hmmlearn.utils``).
"""

from emkit.estimators.hmm import (DECODER_ALGORITHMS, GMMHMM, BaseHMM, CategoricalHMM,
                                  ConvergenceMonitor, GaussianHMM, HiddenMarkovModel,
                                  MultinomialHMM, PoissonHMM)
from emkit.families.gaussian import COVARIANCE_TYPES as _FAMILIES
from emkit.hmm import utils

#: The ``covariance_type`` names GaussianHMM and GMMHMM take (hmmlearn's constant).
COVARIANCE_TYPES = frozenset(_FAMILIES)

__all__ = ["COVARIANCE_TYPES", "DECODER_ALGORITHMS", "BaseHMM", "CategoricalHMM",
           "ConvergenceMonitor", "GMMHMM", "GaussianHMM", "HiddenMarkovModel",
           "MultinomialHMM", "PoissonHMM", "utils"]
