"""Hidden Markov model estimators with hmmlearn's public API."""

from emkit.estimators.hmm._base import BaseHMM, ConvergenceMonitor
from emkit.estimators.hmm.gaussian import GaussianHMM

__all__ = ["BaseHMM", "ConvergenceMonitor", "GaussianHMM"]
