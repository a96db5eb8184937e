"""Stacked sequences at the public boundary: ``lengths`` and per-sequence weights, checked once."""

import numpy as np

__all__ = ["as_lengths", "sequence_weights"]


def as_lengths(lengths, n_samples):
    """Return the validated sequence lengths of ``n_samples`` stacked rows.

    Parameters
    ----------
    lengths : array-like of int or None
        Length of each sequence; None is one sequence of every row.
    n_samples : int
        Rows of X.

    Returns
    -------
    lengths : ndarray of shape (n_sequences,), int64
    """
    if lengths is None:
        return np.array([n_samples], dtype=np.int64)
    values = np.atleast_1d(np.asarray(lengths))
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.number) or not np.all(
            values == np.round(values)):
        raise ValueError(f"lengths must be a 1-D sequence of integers; got {lengths!r}.")
    values = values.astype(np.int64)
    if np.any(values < 1):
        raise ValueError(
            f"Every sequence needs at least one step, but lengths holds {values.min()} at "
            f"position {int(np.argmin(values))}; drop empty sequences from lengths.")
    if values.sum() != n_samples:
        raise ValueError(
            f"lengths sums to {values.sum()} but X has {n_samples} rows; lengths must give "
            "the length of every sequence stacked in X.")
    return values


def sequence_weights(sample_weight, n_sequences):
    """Return the validated weight of each sequence (None: every sequence weighs 1).

    Parameters
    ----------
    sample_weight : array-like of shape (n_sequences,) or None
        Non-negative finite weights.
    n_sequences : int
        Number of sequences.

    Returns
    -------
    weights : ndarray of shape (n_sequences,) or None
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64).ravel()
    if weights.shape != (n_sequences,) or np.any(weights < 0) or not np.all(
            np.isfinite(weights)):
        raise ValueError(f"sample_weight must hold one finite non-negative weight per "
                         f"sequence ({n_sequences}); got shape {np.shape(sample_weight)}.")
    return weights
