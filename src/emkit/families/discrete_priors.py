"""Conjugate priors of the Categorical and Poisson families: their MAP M-steps.

A model takes one as an option: ``prior.maximize(family, stats)`` is then its emission
M-step, and ``prior.flat(family)`` says whether that is the maximum-likelihood step.
These are hmmlearn's formulas (``CategoricalHMM``'s Dirichlet prior, ``PoissonHMM``'s
gamma prior), so an HMM fitted here follows hmmlearn's path from the same start.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from emkit.families.categorical import Categorical
from emkit.families.discrete import Poisson

__all__ = ["CategoricalPrior", "PoissonPrior"]


@dataclass(frozen=True)
class CategoricalPrior:
    """Dirichlet prior on the symbol probabilities of each component and column.

    Parameters
    ----------
    alpha : float or ndarray of shape (n_components, n_symbols), default=1.0
        Dirichlet concentration (1 is flat). A state or column with no expected count
        keeps its probabilities.
    """

    alpha: Any = 1.0

    def maximize(self, family, stats):
        """Return the Categorical family at the MAP of ``stats``.

        Parameters
        ----------
        family : Categorical
            The current components.
        stats : CategoricalStats
            The family's summed statistics.

        Returns
        -------
        family : Categorical
        """
        alpha = np.asarray(self.alpha, dtype=np.float64)
        alpha = alpha[:, None, :] if alpha.ndim == 2 else alpha
        counts = np.maximum(alpha - 1 + stats.counts, 0.0)
        total = counts.sum(axis=-1, keepdims=True)
        return Categorical(np.where(total > 0, counts / np.where(total > 0, total, 1.0),
                                    family.probs))

    def flat(self, family):
        """Return True when the MAP is the maximum-likelihood step.

        Parameters
        ----------
        family : Categorical
            The components.

        Returns
        -------
        flat : bool
        """
        return bool(np.all(np.asarray(self.alpha) == 1.0))


@dataclass(frozen=True)
class PoissonPrior:
    """Gamma prior on the rates, with the total posterior mass as its count (hmmlearn's).

    Parameters
    ----------
    shape : float or ndarray, default=0.0
        Shape (alpha) of the gamma prior.
    rate : float or ndarray, default=0.0
        Rate (beta) of the gamma prior.
    """

    shape: Any = 0.0
    rate: Any = 0.0

    def maximize(self, family, stats):
        """Return the Poisson family at the MAP of ``stats``.

        Parameters
        ----------
        family : Poisson
            The current components (a rate with no observed weight is kept).
        stats : ColumnSums
            The family's summed statistics.

        Returns
        -------
        family : Poisson
        """
        n = stats.weight.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = stats.sums / stats.column_weight  # observed entries only
        rates = (np.asarray(self.shape, float) + n * mean) / (np.asarray(self.rate, float) + n)
        return Poisson(np.where(np.isfinite(rates), rates, family.rate))

    def flat(self, family):
        """Return True when the MAP is the maximum-likelihood step.

        Parameters
        ----------
        family : Poisson
            The components.

        Returns
        -------
        flat : bool
        """
        return bool(np.all(np.asarray(self.shape) == 0) and np.all(np.asarray(self.rate) == 0))
