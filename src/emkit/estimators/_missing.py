"""Missing values (NaN) at the estimators' edge.

The families compute the observed-data E-step (the marginal density of each row's
observed entries, the conditional expectation of its missing ones); here are the checks
and conventions every estimator applies around them: which families take NaN, a column
with nothing observed is an error, a row with nothing observed carries no weight in a fit,
and initializations that need complete data (k-means) see the column means in the gaps.
"""

import numpy as np

from emkit._scan import SCAN_ROWS, row_blocks, scan_values
from emkit.families._sparse import is_sparse

__all__ = ["allows_missing", "check_missing", "column_means", "filled_for_init", "fit_weights",
           "has_missing", "impute_rows", "nan_policy"]

def has_missing(X):
    """Return True when ``X`` holds a NaN (:func:`emkit._scan.scan_values`: no copy of X).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data, float.

    Returns
    -------
    missing : bool
        Always False for a sparse matrix: its families take no missing values, and
        refuse a stored NaN themselves.
    """
    if is_sparse(X):
        return False
    return scan_values(X).nan


def column_means(X):
    """Return the mean of each column's observed entries, in float64, block by block.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data; NaN marks a missing entry.

    Returns
    -------
    means : ndarray of shape (n_features,)
        Exactly ``X.mean(axis=0)`` when ``X`` has no NaN.
    """
    if not has_missing(X):
        return X.mean(axis=0, dtype=np.float64)
    total, count = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for block in row_blocks(X):
        observed = ~np.isnan(block)
        total += np.where(observed, block, 0).sum(axis=0, dtype=np.float64)
        count += observed.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def allows_missing(family):
    """Return True when ``family`` computes the observed-data E-step of rows with NaN.

    Parameters
    ----------
    family : Family
        The components.

    Returns
    -------
    allowed : bool
    """
    return bool(getattr(family, "allows_missing", False))


def nan_policy(family):
    """Return scikit-learn's ``ensure_all_finite`` value for data fitted by ``family``.

    Parameters
    ----------
    family : Family
        The components.

    Returns
    -------
    policy : bool or str
        ``"allow-nan"`` when the family takes missing values, else True.
    """
    return "allow-nan" if allows_missing(family) else True


def check_missing(X):
    """Return the rows with every entry missing (None when ``X`` has no NaN).

    Scans ``X`` block by block; a column with nothing observed is refused.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data, float.

    Returns
    -------
    empty_rows : ndarray of int, or None
        Indices of the rows with nothing observed.
    """
    if not has_missing(X):
        return None
    observed, empty = np.zeros(X.shape[1], dtype=bool), []
    for index, block in enumerate(row_blocks(X)):
        missing = np.isnan(block)
        observed |= ~missing.all(axis=0)
        empty.append(np.flatnonzero(missing.all(axis=1)) + index * SCAN_ROWS)
    if not observed.all():
        raise ValueError(f"Column {int(np.flatnonzero(~observed)[0])} of X has no observed "
                         "value (every entry is NaN); drop it before fitting.")
    return np.concatenate(empty)


def fit_weights(X, sample_weight):
    """Return the sample weights of a fit, with rows that observe nothing at zero.

    A negative weight is refused in one sentence naming its index.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data.
    sample_weight : ndarray of shape (n_samples,) or None
        The user's weights.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
        Unchanged (the same object) when no row is entirely missing.
    """
    if sample_weight is not None and np.any(np.asarray(sample_weight) < 0):
        i = int(np.flatnonzero(np.asarray(sample_weight) < 0)[0])
        raise ValueError(f"sample_weight[{i}] is {sample_weight[i]:g}, but sample weights "
                         "must be non-negative; give each sample a weight of 0 or more.")
    empty = check_missing(X)
    if empty is None or not len(empty):
        return sample_weight
    weights = np.ones(len(X)) if sample_weight is None else np.array(sample_weight, float)
    weights[empty] = 0.0
    if not weights.any():
        raise ValueError("Every row of X with a positive weight is entirely missing; there is "
                         "nothing to fit.")
    return weights


def filled_for_init(X):
    """Return ``X`` with each missing entry replaced by its column's mean (a copy).

    Only initializations that need complete rows (k-means) use it; the fit itself uses
    the observed-data likelihood. Without NaN, ``X`` itself is returned.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data.

    Returns
    -------
    filled : ndarray of shape (n_samples, n_features)
    """
    if not has_missing(X):
        return X
    return np.where(np.isnan(X), column_means(X).astype(X.dtype), X)


def impute_rows(family, log_joint, rows):
    """Fill the NaN entries of ``rows`` with their posterior conditional expectations.

    Parameters
    ----------
    family : Family
        The components; they must offer ``condition(X)``, the conditional expectation of
        every entry under every component, (n_samples, n_components, n_features).
    log_joint : callable or ndarray
        The rows' joint log-probabilities of each component (``log w_k + log p(x | k)``
        for a mixture, ``log gamma`` for an HMM), or a callable computing them from the
        rows.
    rows : ndarray of shape (n_samples, n_features)
        The rows.

    Returns
    -------
    filled : ndarray of shape (n_samples, n_features), float64
    """
    rows = np.asarray(rows, dtype=np.float64)
    missing = np.isnan(rows)
    if not missing.any():
        return rows
    weights = np.array(log_joint(rows) if callable(log_joint) else log_joint, dtype=np.float64)
    weights -= weights.max(axis=1, keepdims=True)
    np.exp(weights, out=weights)
    weights /= weights.sum(axis=1, keepdims=True)
    filled = np.einsum("nk,nkd->nd", weights, family.condition(rows))
    return np.where(missing, filled, rows)
