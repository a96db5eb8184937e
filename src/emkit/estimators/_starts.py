"""Starts computed from the data through its source: one ordered pass over the chunks.

A start from responsibilities (random ones, one-hot k-means labels, single rows) is one
M-step from the statistics of the data weighted by them. The statistics are summed chunk
by chunk through the same :class:`emkit.engine.Source` the fit reads, in row order, so a
random draw per block is the draw of the whole matrix and no pass over X goes around the
source.
"""

from dataclasses import dataclass

import numpy as np

from emkit.families.gaussian import GaussianFull
from emkit.stats import AdditiveStats

__all__ = ["StartStats", "data_covariance", "start_statistics"]


@dataclass(frozen=True)
class StartStats(AdditiveStats):
    """The family's statistics under starting responsibilities, and their column sums.

    Attributes
    ----------
    family : AdditiveStats
        What the family's ``accumulate`` returned, summed over the chunks.
    resp_sum : ndarray of shape (n_components,)
        Sum of the (weighted) starting responsibilities of each component.
    """

    family: AdditiveStats
    resp_sum: np.ndarray


def start_statistics(family, source, responsibilities):
    """Sum the family's statistics of the data under starting responsibilities.

    Parameters
    ----------
    family : Family
        Any components of the right kind and size (only its ``accumulate_start`` is
        used, or its ``accumulate`` when it has none).
    source : Source
        The data of the fit.
    responsibilities : callable
        ``responsibilities(start, stop)`` returns the (stop - start, n_components) block of
        rows ``start`` to ``stop``; blocks are asked for in row order.

    Returns
    -------
    stats : StartStats
        In float64: starts from single rows are degenerate enough to need every digit.
    """
    position = [0]
    # A family written to the protocol alone has no accumulate_start (Family's default).
    accumulate = getattr(family, "accumulate_start", family.accumulate)

    def chunk(rows, weight, **_):
        start = position[0]
        position[0] = stop = start + len(rows)
        block = responsibilities(start, stop)
        if weight is not None:
            block = block * weight[:, None]
        return StartStats(accumulate(np.asarray(rows, dtype=np.float64), block),
                          np.add.reduce(block, axis=0, dtype=np.float64))

    return source.map_reduce(chunk, family.bytes_per_row(source.sample_rows()), in_order=True)


def data_covariance(source):
    """Return the covariance of all the rows (``np.cov``'s, ddof=1), chunk by chunk.

    Second moments are summed about the first row, a point near the data, so rows far
    from the origin keep their digits; no centred copy of the data is made.

    Parameters
    ----------
    source : Source
        The rows, without NaN.

    Returns
    -------
    covariance : ndarray of shape (n_features, n_features)
    """
    rows = source.sample_rows()
    D = rows.shape[1]
    family = GaussianFull(np.asarray(rows[:1], dtype=np.float64), np.eye(D)[None])
    stats = source.map_reduce(
        lambda chunk, weight, **_: family.accumulate(np.asarray(chunk, dtype=np.float64),
                                                     np.ones((len(chunk), 1))),
        family.bytes_per_row(rows))
    return stats.scatter()[0] / (stats.weight[0] - 1)
