"""Sequences at the public boundary: every form people hold them in becomes the stacked
array with ``lengths`` (checked once), and per-sequence weights.

The forms: the stacked array with ``lengths`` (hmmlearn's); a list of 2-D arrays, one per
sequence; a 3-D array ``(n_sequences, T, n_features)`` whose padded steps a boolean
``mask`` of shape ``(n_sequences, T)`` marks with True. Results are those of the stacked
form, step for step.
"""

import numpy as np

from emkit.engine.sources import SequenceSource
from emkit.estimators._input import check_sample_weight
from emkit.models import hmm_kernels

__all__ = ["as_lengths", "as_stacked", "sequence_source", "sequence_weights",
           "stacked_labels"]


def as_stacked(X, lengths=None, mask=None):
    """Return the stacked rows and the lengths of sequences given in any accepted form.

    Parameters
    ----------
    X : array-like, list of ndarray, or ndarray of shape (n_sequences, T, n_features)
        The stacked sequences; a list or tuple of 2-D arrays (one per sequence, any
        lengths); or a 3-D array of equally long (padded) sequences.
    lengths : array-like of int, default=None
        Lengths of the stacked sequences (the stacked form only).
    mask : array-like of bool of shape (n_sequences, T), default=None
        True at the padded steps of a 3-D ``X``; they are left out.

    Returns
    -------
    X : array-like of shape (n_samples, n_features)
        The rows, unchanged when ``X`` was already stacked.
    lengths : array-like of int or None
    """
    if isinstance(X, (list, tuple)) and X and all(
            isinstance(part, np.ndarray) and part.ndim == 2 for part in X):
        if lengths is not None or mask is not None:
            raise ValueError("A list of sequences gives its own lengths; pass neither "
                             "lengths nor mask with it.")
        return np.concatenate(X, axis=0), np.array([len(part) for part in X])
    if isinstance(X, np.ndarray) and X.ndim == 3:
        if lengths is not None:
            raise ValueError("A 3-D array holds one sequence per row of its first axis; pass "
                             "mask for padded steps, not lengths.")
        keep = np.ones(X.shape[:2], dtype=bool)
        if mask is not None:
            padded = np.asarray(mask)
            if padded.shape != X.shape[:2] or padded.dtype != bool:
                raise ValueError(f"mask must be a boolean array of shape {X.shape[:2]} (True "
                                 f"at padded steps); got {padded.dtype} of shape "
                                 f"{padded.shape}.")
            keep = ~padded
        counts = keep.sum(axis=1)
        if not counts.all():
            raise ValueError(f"Sequence {int(np.argmin(counts))} of X has every step masked; "
                             "drop it, or unmask its steps.")
        return X[keep], counts
    if mask is not None:
        raise ValueError("mask marks the padded steps of a 3-D X (n_sequences, T, "
                         "n_features); X here is not 3-D.")
    return X, lengths


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
    return check_sample_weight(sample_weight, n_sequences, "sequence")


def stacked_labels(X, y, mask=None):
    """Return per-step labels ``y`` stacked as :func:`as_stacked` stacks ``X``.

    Parameters
    ----------
    X : array-like, list of ndarray, or ndarray of shape (n_sequences, T, n_features)
        The sequences, in any accepted form.
    y : array-like
        One label per step, in the same form (a list of 1-D arrays for a list, an
        (n_sequences, T) array for a 3-D ``X``).
    mask : array-like of bool of shape (n_sequences, T), default=None
        True at the padded steps of a 3-D ``X``.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    """
    if isinstance(X, (list, tuple)) and X and all(
            isinstance(part, np.ndarray) and part.ndim == 2 for part in X):
        return np.concatenate([np.ravel(part) for part in y])
    if isinstance(X, np.ndarray) and X.ndim == 3:
        y = np.asarray(y)
        keep = np.ones(X.shape[:2], bool) if mask is None else ~np.asarray(mask, bool)
        if y.shape != X.shape[:2]:
            raise ValueError(f"y must hold one label per step, shape {X.shape[:2]}; got "
                             f"shape {y.shape}.")
        return y[keep]
    return np.asarray(y)


def sequence_source(X, lengths, sample_weight=None, labels=None):
    """Return the source of an HMM's work on sequences in memory.

    Without compiled kernels (``hmm_kernels.BATCHED``) its chunks run on one thread: the
    batched recursion's many small numpy calls hold the GIL, so a second thread only
    waits for it, and the model asks for chunks as large as the engine allows
    (:meth:`emkit.models.hmm.HMM.min_chunk_rows`).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The stacked sequences.
    lengths : ndarray of shape (n_sequences,)
        Their lengths.
    sample_weight : ndarray of shape (n_sequences,), default=None
        Per-sequence weights; None weighs each sequence 1.
    labels : ndarray of int of shape (n_samples,), default=None
        A known state per step, -1 where unknown.

    Returns
    -------
    source : SequenceSource
    """
    return SequenceSource(X, lengths, sample_weight, labels=labels,
                          n_threads=1 if hmm_kernels.BATCHED else None)
