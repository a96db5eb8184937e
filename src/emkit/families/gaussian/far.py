"""Components far from the shared shift keep their digits: their moments about their own mean.

The chunk features of a Gaussian family are taken about one shift, the mean of the
component means, so that all components are one matrix product. A component whose mean
lies many of its standard deviations from that shift (two tight clusters at 0 and 9999)
would lose digits there: its scatter would be a small difference of large second moments,
and its log-density near its mean a small sum of terms as large as the squared distance
in variances (1e18 for a spread of 1e-3 at 1e6: errors of 100 nats). Such a component
(``(mean - shift)^2 / variance`` above ``FAR`` in some feature) is left out of the shared
product: its moments are summed about the weighted mean of the rows it takes in the
chunk, in two passes over the chunk (the statistics then carry one shift per component),
and its log-densities are taken from the rows minus its own mean.
"""

from dataclasses import dataclass

import numpy as np

from emkit.families.gaussian.stats import DiagStats, FullStats, TiedStats

__all__ = ["FAR", "FarChunk", "exact_log_prob", "exact_moments", "far_components"]

#: Squared distance from the shift, in variances, past which a component's moments are
#: summed about its own mean (about 1e-10 of relative precision would be lost beyond).
FAR = 1e6


@dataclass(frozen=True)
class FarChunk:
    """A complete chunk's features and its rows, for a family with far components.

    Attributes
    ----------
    features : object
        What the family's ``_features`` returned.
    X : ndarray of shape (n_samples, n_features)
        The rows.
    """

    features: object
    X: np.ndarray


def far_components(family):
    """Return the mask of the components too far from the shift, or None when none is.

    Parameters
    ----------
    family : Family
        A Gaussian family with ``means``, ``covariances`` and ``shift``.

    Returns
    -------
    far : ndarray of bool of shape (n_components,) or None
    """
    means = np.asarray(family.means, dtype=np.float64)
    covariances = np.asarray(family.covariances, dtype=np.float64)
    if covariances.ndim == 3:
        variances = np.diagonal(covariances, axis1=1, axis2=2)
    elif covariances.ndim == 2 and "covariances" not in family.component_fields:
        variances = np.diagonal(covariances)[None]                           # tied
    elif covariances.ndim == 2:
        variances = covariances                                              # diag
    else:
        variances = covariances[:, None]                                     # spherical
    # (mean - shift)^2 > FAR * variance, without a division (a zero variance is far from
    # any other mean); one reduction answers the usual case, where none is far.
    offsets = means - family.shift
    outside = np.greater(offsets * offsets, FAR * variances)
    if not np.logical_or.reduce(outside, axis=None):
        return None
    return np.logical_or.reduce(outside, axis=1)


def exact_log_prob(family, X, far):
    """Return the log-densities of the rows under the far components, about their means.

    Parameters
    ----------
    family : Family
        A Gaussian family with ``means`` and ``_log_prob_about_mean(centred, k)``, the
        log-density of component ``k`` at rows given minus its mean.
    X : ndarray of shape (n_samples, n_features)
        Rows without missing entries.
    far : ndarray of bool of shape (n_components,)
        The far components.

    Returns
    -------
    log_prob : ndarray of shape (n_samples, n_far)
        ``log N(x | mean_k, covariance_k)`` of each row under each far component, in
        float64, from ``x - mean_k``.
    """
    X = np.asarray(X, dtype=np.float64)
    means = np.asarray(family.means, dtype=np.float64)
    return np.stack([family._log_prob_about_mean(X - means[k], k)
                     for k in np.flatnonzero(far)], axis=1)


def exact_moments(stats, X, W, far, means):
    """Return ``stats`` with the far components' moments summed about their rows' mean.

    Parameters
    ----------
    stats : FullStats, DiagStats or TiedStats
        The chunk's statistics with the far components' weights at zero.
    X : ndarray of shape (n_samples, n_features)
        The chunk's rows.
    W : ndarray of shape (n_samples, n_components)
        The rows' weights under every component.
    far : ndarray of bool of shape (n_components,)
        The far components.
    means : ndarray of shape (n_components, n_features)
        The components' means (the shift of a far component that takes no weight).

    Returns
    -------
    stats : same type
        With one shift per component.
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    weight, first = np.array(stats.weight), np.array(stats.first)
    second = np.array(stats.second)
    shift = np.array(np.broadcast_to(stats.shift, first.shape))
    columns = np.ascontiguousarray(W[:, far].T)  # each far component's weights, in a row
    for column, k in zip(columns, np.flatnonzero(far)):
        # About the chunk's own weighted mean for the component (two passes over the
        # chunk's rows): the component's mean may itself be far from the rows it takes.
        # Rows of weight 0 add nothing: when they are most rows (a far component's
        # responsibilities away from it, a start from k-means labels), only the others
        # are read.
        w, rows = column, X
        taken = np.flatnonzero(w)
        if 2 * len(taken) < len(w):
            w, rows = w[taken], X[taken]
        total = w.sum()
        centre = (w @ rows) / total if total > 0 else means[k]
        centred = rows - centre
        weight[k], first[k], shift[k] = total, w @ centred, centre
        if isinstance(stats, FullStats):
            second[k] = (w[:, None] * centred).T @ centred
        elif isinstance(stats, DiagStats):
            second[k] = w @ centred ** 2
        elif isinstance(stats, TiedStats):
            second += (w[:, None] * centred).T @ centred
    return type(stats)(weight, first, second, shift)
