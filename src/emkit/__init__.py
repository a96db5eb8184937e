"""emkit: expectation-maximization for latent-variable models, on one engine."""

from emkit import datasets
from emkit._version import __version__
from emkit.estimators import GaussianMixture

__all__ = ["GaussianMixture", "__version__", "datasets"]
