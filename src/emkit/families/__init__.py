"""Component families: what one kind of component is, K of them at once.

A new family goes in its own module here and subclasses :class:`Family`.
"""

from emkit.families.base import Family
from emkit.families.gaussian import GaussianDiag, GaussianFull, GaussianSpherical, GaussianTied

__all__ = ["Family", "GaussianDiag", "GaussianFull", "GaussianSpherical", "GaussianTied"]
