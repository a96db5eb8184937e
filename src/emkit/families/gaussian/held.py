"""The Gaussian M-step with some means held: each covariance is its scatter about the held mean.

The scatter about a point ``m`` is the scatter about the weighted mean ``x̄`` plus
``n (x̄ - m)(x̄ - m)^T``, so the free M-step's covariances need only that term added
(its diagonal for diagonal covariances, its mean diagonal for spherical ones, its
weighted sum over the components for a tied matrix).
"""

from dataclasses import replace

import numpy as np

__all__ = ["maximize_held"]


def maximize_held(family, stats, held, current):
    """Return the Gaussian M-step with the ``held`` parameters kept at ``current``'s values.

    Parameters
    ----------
    family : Family
        A Gaussian family (full, tied, diag or spherical).
    stats : AdditiveStats
        Its summed statistics.
    held : dict
        Parameter name -> boolean mask of held components, or True.
    current : Family
        The components the held values are taken from.

    Returns
    -------
    family : Family
    """
    free = family.maximize(stats)
    mask = held.get("means")
    if mask is None or not np.any(mask):
        return free.with_values_of(current, held)
    mask = np.ones(free.n_components, bool) if mask is True else mask
    held_means = np.where(mask[:, None], current.means, free.means)
    d = free.means - held_means
    covariances = np.array(free.covariances, dtype=np.float64, copy=True)
    if "covariances" not in free.component_fields:       # tied: one shared matrix
        weight = np.asarray(stats.weight, dtype=np.float64)
        covariances += np.einsum("k,ki,kj->ij", weight, d, d) / weight.sum()
    elif covariances.ndim == 3:                            # full
        covariances += d[:, :, None] * d[:, None, :]
    elif covariances.ndim == 2:                            # diag
        covariances += d ** 2
    else:                                                  # spherical
        covariances += (d ** 2).mean(axis=1)
    rest = {name: value for name, value in held.items() if name != "means"}
    return replace(free, means=held_means, covariances=covariances).with_values_of(current,
                                                                                 rest)
