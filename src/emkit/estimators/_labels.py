"""Partial labels of a semi-supervised fit: checked once, and a start put in their order.

A labelled row's responsibility is fixed to its label during EM (the model clamps it,
:func:`emkit.models.mixture.clamp_labels`); here the labels are checked, and the starting
components are matched to them so that component ``k`` is the one labelled ``k``.
"""

import numpy as np

__all__ = ["check_labels", "order_by_labels"]


def check_labels(labels, n_samples, n_components):
    """Return the labels as int64, or None; one sentence when they cannot be labels.

    Parameters
    ----------
    labels : array-like of int of shape (n_samples,) or None
        The known component (or state) of each row, -1 where unknown.
    n_samples : int
        Rows of X.
    n_components : int
        Number of components (or states).

    Returns
    -------
    labels : ndarray of int64 of shape (n_samples,) or None
        None when no row is labelled.
    """
    if labels is None:
        return None
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(f"The labels must hold one entry per row of X ({n_samples}); got "
                         f"shape {values.shape}.")
    if values.dtype.kind not in "iub" and not (values.dtype.kind == "f" and np.all(
            values == np.round(values))):
        raise ValueError(f"The labels must be integers (a component index, or -1 for "
                         f"unknown); got {values.dtype} values.")
    values = values.astype(np.int64)
    bad = np.flatnonzero((values < -1) | (values >= n_components))
    if len(bad):
        raise ValueError(f"Label {values[bad[0]]} at row {int(bad[0])} is not a component; "
                         f"labels run from 0 to {n_components - 1}, or -1 for unknown.")
    return values if np.any(values >= 0) else None


def order_by_labels(model, X, labels):
    """Return the starting model with its components permuted to match the labels.

    The permutation maximizes the summed log-joint probability of the labelled rows
    under their labels' components (an assignment problem).

    Parameters
    ----------
    model : Mixture
        The start.
    X : ndarray of shape (n_samples, n_features)
        The rows.
    labels : ndarray of int of shape (n_samples,)
        -1 where unknown.

    Returns
    -------
    model : Mixture
    """
    known = np.flatnonzero(labels >= 0)
    K = model.n_components
    log_joint = np.asarray(model.log_joint(np.asarray(X[known])), dtype=np.float64)
    gain = np.zeros((K, K))
    np.add.at(gain, labels[known], np.maximum(log_joint, -1e300))
    from scipy.optimize import linear_sum_assignment  # on use: it is slow to import

    rows, cols = linear_sum_assignment(-gain)
    order = np.empty(K, dtype=np.intp)
    order[rows] = cols
    if np.array_equal(order, np.arange(K)):
        return model
    return type(model).start(model.weights[order] / model.weights[order].sum(),
                             model.family.take(order), hard=model.hard)
