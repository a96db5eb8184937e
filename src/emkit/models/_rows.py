"""Per-row results of chunks (state paths, posteriors), joined in chunk order by ``+``.

A source reduces chunk values with ``+``; for results with one entry per row, ``+`` is
concatenation (kept as a tuple of blocks, joined once at the end) and the chunks'
totals add.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["RowBlocks"]


@dataclass(frozen=True)
class RowBlocks:
    """Row results of consecutive chunks and the sum of their totals.

    Parameters
    ----------
    total : float
        The chunk's total (e.g. its log-likelihood).
    blocks : tuple of ndarray
        The chunk's row results, in row order.
    """

    total: float
    blocks: tuple

    def __add__(self, other):
        return RowBlocks(self.total + other.total, self.blocks + other.blocks)

    def rows(self):
        """Return the row results of every chunk, stacked in order.

        Returns
        -------
        rows : ndarray
        """
        return self.blocks[0] if len(self.blocks) == 1 else np.concatenate(self.blocks)
