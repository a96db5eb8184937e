"""Latent structures that mix components: a new model goes in its own module here."""

from emkit.models.hmm import HMM, HMMStats
from emkit.models.mixture import Mixture, MixtureStats

__all__ = ["HMM", "HMMStats", "Mixture", "MixtureStats"]
