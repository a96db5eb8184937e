"""Hidden Markov model estimators with hmmlearn's public API.

A new emission face goes in its own module here: a subclass of :class:`BaseHMM` that
builds its family from its attributes.
"""

from emkit.estimators.hmm._base import BaseHMM
from emkit.estimators.hmm._inference import DECODER_ALGORITHMS
from emkit.estimators.hmm._monitor import ConvergenceMonitor
from emkit.estimators.hmm.discrete import CategoricalHMM, PoissonHMM
from emkit.estimators.hmm.gaussian import GaussianHMM
from emkit.estimators.hmm.generic import HiddenMarkovModel
from emkit.estimators.hmm.gmm import GMMHMM
from emkit.estimators.hmm.multinomial import MultinomialHMM

__all__ = ["DECODER_ALGORITHMS", "BaseHMM", "CategoricalHMM", "ConvergenceMonitor", "GMMHMM",
           "GaussianHMM", "HiddenMarkovModel", "MultinomialHMM", "PoissonHMM"]
