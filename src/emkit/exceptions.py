"""Warnings and errors emkit raises, so users can filter them by class."""

from sklearn.exceptions import ConvergenceWarning, NotFittedError

__all__ = [
    "ConvergenceWarning",
    "NotFittedError",
    "LikelihoodDecreaseWarning",
    "ComponentCollapseWarning",
    "IdenticalComponentsWarning",
    "ModelFileError",
]


class LikelihoodDecreaseWarning(UserWarning):
    """The log-likelihood fell between two EM iterations by more than rounding.

    EM never lowers the likelihood, so a drop means a numerical failure (or a bug).
    """


class ComponentCollapseWarning(UserWarning):
    """A component lost (almost) all of its weight and was re-seeded."""


class IdenticalComponentsWarning(UserWarning):
    """Two or more components start with identical parameters and will stay identical."""


class ModelFileError(ValueError):
    """A model file that cannot be read safely, or a model that must not be written to one.

    It is not an emkit model file, or it is truncated, corrupt, edited, holds invalid
    values or is from a newer emkit; ``save`` raises it for a model with invalid values.
    """
