"""hmmlearn's helpers (``hmmlearn.utils``): normalize probabilities, expand covariances.

``from emkit.hmm.utils import normalize`` replaces ``from hmmlearn.utils import
normalize``. The functions take what hmmlearn's take and return (or change in place)
what they return, except where hmmlearn's would go wrong: a slice with nothing to
normalize is left as it is (zeros, or ``-inf`` in log space) instead of becoming NaN; a
covariance type hmmlearn does not know is refused instead of giving None; spherical
variances repeated per feature give one matrix per component, as ``GaussianHMM.covars_``
does, instead of one per entry.
"""

import numpy as np
from scipy.special import logsumexp

from emkit.families.gaussian import COVARIANCE_TYPES
from emkit.families.gaussian.covars import covars_layout

__all__ = ["fill_covars", "log_normalize", "normalize"]


def normalize(a, axis=None):
    """Scale ``a`` in place so that it sums to 1 (along ``axis``).

    Parameters
    ----------
    a : ndarray of float
        Non-negative weights, changed in place.
    axis : int, default=None
        The axis along which each slice is made to sum to 1; None scales the whole
        array. A slice summing to 0 stays 0.

    Raises
    ------
    ValueError
        When ``axis`` is None and ``a`` sums to 0 (there is nothing to scale), or ``a``
        is not a float array (in-place division needs one).
    """
    _check_float(a, "normalize")
    if axis is None:
        total = a.sum()
        if total == 0:
            raise ValueError("normalize: the array sums to 0, so it cannot be scaled to "
                             "sum to 1; give it a positive entry.")
        a /= total
        return
    total = a.sum(axis=axis, keepdims=True)
    total[total == 0] = 1.0  # an all-zero slice stays all zero
    a /= total


def log_normalize(a, axis=None):
    """Shift log-weights ``a`` in place so that their exps sum to 1 (along ``axis``).

    Parameters
    ----------
    a : ndarray of float
        Log-weights, changed in place.
    axis : int, default=None
        The axis along which each slice is normalized; None normalizes the whole array.
        A slice of length 1 becomes 0 (log 1), and a slice that is all ``-inf`` stays
        ``-inf``.

    Raises
    ------
    ValueError
        When ``a`` is not a float array (the shift is done in place).
    """
    _check_float(a, "log_normalize")
    if axis is not None and a.shape[axis] == 1:
        a[...] = 0.0
        return
    with np.errstate(under="ignore"):
        total = logsumexp(a, axis=axis, keepdims=axis is not None)
    total = np.where(np.isneginf(total), 0.0, total)  # an all -inf slice stays -inf
    a -= total


def fill_covars(covars, covariance_type="full", n_components=1, n_features=1):
    """Return every component's full covariance matrix from ``covars`` of a layout.

    Parameters
    ----------
    covars : array-like
        The covariances as hmmlearn stores them for ``covariance_type``: (n_components,)
        for ``"spherical"`` (or one variance repeated per feature), (n_components,
        n_features) for ``"diag"``, (n_features, n_features) for ``"tied"`` and
        (n_components, n_features, n_features) for ``"full"``.
    covariance_type : {"spherical", "diag", "tied", "full"}, default="full"
        The layout of ``covars``.
    n_components : int, default=1
        Number of components (copies of a tied matrix).
    n_features : int, default=1
        Number of features (size of a spherical component's matrix).

    Returns
    -------
    full : ndarray of shape (n_components, n_features, n_features)
        ``covars`` itself for ``"full"``, as hmmlearn returns it.

    Raises
    ------
    ValueError
        For an unknown ``covariance_type``, and for spherical variances that are not
        positive or, given per feature, differ within a component.
    """
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of "
                         f"{', '.join(map(repr, COVARIANCE_TYPES))}; got {covariance_type!r}.")
    if covariance_type == "full":
        return covars
    layout = covars_layout(COVARIANCE_TYPES[covariance_type])
    covars = np.asarray(covars)
    if covariance_type == "spherical":
        # One variance per component, also when repeated per feature (as GaussianHMM's
        # covars_ reads them), checked: hmmlearn's makes a matrix of every entry.
        covars = layout.compact(covars, n_components)
    return layout.full(covars, n_components, n_features)


def _check_float(a, name):
    # In-place scaling needs a float array: hmmlearn's fails deep in numpy otherwise.
    if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.floating):
        got = type(a).__name__ if not isinstance(a, np.ndarray) else f"{a.dtype} array"
        raise ValueError(f"{name} changes its argument in place, so it takes a float numpy "
                         f"array; got a {got} (convert it with np.asarray(a, dtype=float)).")
