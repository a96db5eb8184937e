"""Cholesky factors of precisions, and the error when a covariance is not positive definite."""

import numpy as np
from scipy import linalg

from emkit._compiled import HAVE_NUMBA, kernel

__all__ = ["ill_defined_error", "nonsingular", "precision_cholesky", "precisions_cholesky",
           "covariance_from_precision"]

LOG_2PI = np.log(2 * np.pi)
#: Largest D for which the compiled factorization beats batched LAPACK calls.
COMPILED_MAX_FEATURES = 32
#: The smallest pivot (a variance given the features before it) a factorization takes:
#: float64's smallest normal number. A covariance of data spread by 1e-155 or less has
#: subnormal pivots, without the digits to invert, whose precisions overflow; it counts
#: as singular (the ill-defined covariance error, "... or scale the input data").
SMALLEST_PIVOT = float(np.finfo(np.float64).tiny)
#: Its square root: the smallest diagonal entry of a Cholesky factor.
SMALLEST_ROOT = float(np.sqrt(SMALLEST_PIVOT))


def ill_defined_error():
    """Return the ValueError raised when an estimated covariance is not positive definite."""
    return ValueError(
        "Fitting the mixture model failed because some components have ill-defined "
        "empirical covariance (for instance caused by singleton or collapsed samples). "
        "Try to decrease the number of components, increase reg_covar, or scale the "
        "input data.")


def nonsingular(matrix, zero=0.0):
    """Return True when a symmetric matrix is positive definite beyond rounding.

    Cholesky routines (LAPACK's, the compiled one) and eigenvalue tests disagree on a
    matrix that is singular but for rounding; this test does not depend on which one runs.

    Parameters
    ----------
    matrix : ndarray of shape (n_features, n_features)
        A symmetric matrix.
    zero : float, default=0.0
        The smallest eigenvalue the matrix resolves (the rounding error it was computed
        with); the rounding error of its largest eigenvalue counts too.

    Returns
    -------
    nonsingular : bool
        Every entry finite and the smallest eigenvalue above both.
    """
    if not np.all(np.isfinite(matrix)):
        return False
    values = np.linalg.eigvalsh(matrix)
    return bool(values[0] > max(zero, len(matrix) * np.finfo(np.float64).eps
                                * abs(values[-1])))


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
    if not np.all(np.diagonal(lower) >= SMALLEST_ROOT):
        raise ill_defined_error()
    eye = np.eye(covariance.shape[0])
    return linalg.solve_triangular(lower, eye, lower=True).T


def precisions_cholesky(covariances):
    """Return the factors ``U_k`` with ``U_k @ U_k.T`` the inverse of each covariance.

    One batched factorization and inversion for all K matrices (the M-step runs it every
    iteration, where a call per matrix costs more than the arithmetic for small D).

    Parameters
    ----------
    covariances : ndarray of shape (K, D, D)
        Symmetric positive-definite matrices.

    Returns
    -------
    factors : ndarray of shape (K, D, D)
        Upper triangular, exactly zero below the diagonal.
    """
    covariances = np.ascontiguousarray(covariances, dtype=np.float64)
    if HAVE_NUMBA and covariances.shape[-1] <= COMPILED_MAX_FEATURES:
        factors, ok = _factor_inverse(covariances)
    else:
        factors, ok = _factor_inverse_numpy(covariances)
    if not ok:
        raise ill_defined_error()
    return factors


def _factor_inverse_numpy(covariances):
    # Batched LAPACK: one call for all K, then the transposed inverse of each factor.
    try:
        lower = np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        return covariances, False
    if not np.all(np.diagonal(lower, axis1=1, axis2=2) >= SMALLEST_ROOT):
        return covariances, False
    # The inverse of a lower triangular matrix is lower triangular; tril makes the zeros
    # exact whatever pivoting the general inverse did.
    factors = np.tril(np.linalg.inv(lower)).transpose(0, 2, 1)
    return factors, bool(np.isfinite(factors).all())


@kernel
def _factor_inverse(covariances):
    # Cholesky factor L of each matrix (Cholesky-Banachiewicz), then L^{-1} by forward
    # substitution, returned transposed; ok is False for a matrix that is not positive
    # definite. Small D: one compiled call costs less than LAPACK's per-call overhead.
    K, D, _ = covariances.shape
    factors = np.zeros((K, D, D))
    lower = np.zeros((D, D))
    inverse = np.zeros((D, D))
    for k in range(K):
        matrix = covariances[k]
        for j in range(D):
            pivot = matrix[j, j]
            for p in range(j):
                pivot -= lower[j, p] * lower[j, p]
            if not pivot >= SMALLEST_PIVOT or not np.isfinite(pivot):
                return factors, False
            root = np.sqrt(pivot)
            lower[j, j] = root
            for i in range(j + 1, D):
                value = matrix[i, j]
                for p in range(j):
                    value -= lower[i, p] * lower[j, p]
                lower[i, j] = value / root
        for c in range(D):
            for i in range(c, D):
                value = 1.0 if i == c else 0.0
                for p in range(c, i):
                    value -= lower[i, p] * inverse[p, c]
                inverse[i, c] = value / lower[i, i]
        for i in range(D):
            for j in range(i, D):
                factors[k, i, j] = inverse[j, i]
    return factors, True


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
