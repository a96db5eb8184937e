"""Latent structures that mix components: a new model (HMM, ...) goes in its own module here."""

from emkit.models.mixture import Mixture, MixtureStats

__all__ = ["Mixture", "MixtureStats"]
