"""Cholesky factors of precisions, and the error when a covariance is not positive definite."""

import numpy as np
from scipy import linalg

__all__ = ["ill_defined_error", "precision_cholesky", "covariance_from_precision"]

LOG_2PI = np.log(2 * np.pi)


def ill_defined_error():
    """Return the ValueError raised when an estimated covariance is not positive definite."""
    return ValueError(
        "Fitting the mixture model failed because some components have ill-defined "
        "empirical covariance (for instance caused by singleton or collapsed samples). "
        "Try to decrease the number of components, increase reg_covar, or scale the "
        "input data.")


def precision_cholesky(covariance):
    """Return the upper factor ``U`` with ``U @ U.T`` the inverse of ``covariance``.

    Parameters
    ----------
    covariance : ndarray of shape (D, D)
        A symmetric positive-definite matrix.

    Returns
    -------
    factor : ndarray of shape (D, D)
    """
    try:
        lower = linalg.cholesky(covariance, lower=True)
    except linalg.LinAlgError:
        raise ill_defined_error() from None
    eye = np.eye(covariance.shape[0])
    return linalg.solve_triangular(lower, eye, lower=True).T


def covariance_from_precision(precision):
    """Return the inverse of a symmetric positive-definite precision matrix.

    Parameters
    ----------
    precision : ndarray of shape (D, D)
        The precision.

    Returns
    -------
    covariance : ndarray of shape (D, D)
    """
    try:
        factor = linalg.cholesky(precision, lower=True)
    except linalg.LinAlgError:
        raise ValueError("A precision matrix is not symmetric positive-definite; give "
                         "precisions whose Cholesky factorization exists.") from None
    inverse = linalg.solve_triangular(factor, np.eye(precision.shape[0]), lower=True)
    return inverse.T @ inverse
