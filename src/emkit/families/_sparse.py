"""Sparse rows (``scipy.sparse`` CSR/CSC) for the families whose work is a sum over entries.

A family that sets ``accepts_sparse`` computes its log-probabilities and statistics from
the stored entries alone, O(nonzeros x components) per chunk, and never densifies the
rows; zeros contribute nothing to those sums (a count of zero).
"""

import numpy as np
from scipy import sparse

__all__ = ["as_csr", "check_sparse_entries", "first_bad_entry", "is_sparse",
           "sparse_bytes_per_row"]


def is_sparse(X):
    """Return True when ``X`` is a ``scipy.sparse`` matrix or array.

    Parameters
    ----------
    X : object
        Anything.

    Returns
    -------
    sparse : bool
    """
    return sparse.issparse(X)


def as_csr(X):
    """Return ``X`` as a CSR matrix of float64 (no copy when it already is one).

    Parameters
    ----------
    X : sparse matrix of shape (n_samples, n_features)
        The rows.

    Returns
    -------
    X : scipy.sparse.csr_matrix
    """
    X = sparse.csr_matrix(X)
    return X if X.dtype == np.float64 else X.astype(np.float64)


def check_sparse_entries(X, bad, describe):
    """Raise one sentence naming the row and column of the first bad stored entry.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix
        The rows.
    bad : ndarray of bool of shape (X.nnz,)
        Which stored entries (in ``X.data``'s order) lie outside the support.
    describe : str
        What the family takes, ending the sentence.
    """
    found = first_bad_entry(X, bad)
    if found is not None:
        row, column, value = found
        raise ValueError(f"Row {row}, column {column} holds the value {value!r}, but "
                         f"{describe}.")


def first_bad_entry(X, bad):
    """Return the row, column and value of the first bad stored entry, or None.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix
        The rows.
    bad : ndarray of bool of shape (X.nnz,)
        Which stored entries (in ``X.data``'s order) are bad.

    Returns
    -------
    entry : tuple of (int, int, float) or None
    """
    if not bad.any():
        return None
    entry = int(np.argmax(bad))
    row = int(np.searchsorted(X.indptr, entry, side="right") - 1)
    return row, int(X.indices[entry]), float(X.data[entry])


def sparse_bytes_per_row(X, n_components):
    """Return the working-set bytes of one sparse row in an E-step.

    Parameters
    ----------
    X : scipy.sparse matrix of shape (n_samples, n_features)
        The rows.
    n_components : int
        Number of components.

    Returns
    -------
    n_bytes : int
        The row's stored entries (value, index and a float64 copy) and its
        ``(n_components,)`` rows of log-probabilities and responsibilities.
    """
    per_row = X.nnz / max(X.shape[0], 1)
    return int(8 * (3 * per_row + 4 * n_components)) + 8
