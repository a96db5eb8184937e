"""Log-densities that are linear in the data: one matrix product per chunk.

For Bernoulli, Binomial and Poisson columns, ``log p(x | k)`` is, up to a per-row term
that does not depend on the component,

    sum_d x_d log a_kd + (top - x_d) log b_kd - c_kd = x @ (log a - log b)[k] + const_k,

(Bernoulli: ``a = p``, ``b = 1 - p``, ``top = 1``; Poisson: ``a = rate``, no ``b``,
``c = rate``). :class:`LinearTerms` holds the slopes and constants, computed once per
family, so a chunk costs one product. The product is component-major, ``(K, n)``: the
log-densities reach the mixture as the transpose of a C-ordered array, whose per-row
reductions over the components run along contiguous memory. An extra row of ones in the
slopes gives each row's sum, which is NaN exactly where the row has a missing entry
(whatever the BLAS does with zero multipliers). Where ``a`` or ``b`` is zero the slope
is set to 0 and the rows that the zero forbids get ``-inf``: ``0 * log 0 = 0`` exactly.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["LinearTerms"]


@dataclass(frozen=True)
class LinearTerms:
    """Slopes and constants of a log-density linear in the data.

    Parameters
    ----------
    slopes : ndarray of shape (n_components + 1, n_features)
        ``log a - log b`` with 0 where ``a`` or ``b`` is zero, then a row of ones.
    const : ndarray of shape (n_components, 1)
        ``sum_d top log b_kd - c_kd`` over the entries where ``b`` is positive.
    no_positive : ndarray of shape (n_components, n_features)
        Where ``a`` is zero, so that ``x > 0`` has probability 0.
    no_below_top : ndarray of shape (n_components, n_features) or None
        Where ``b`` is zero, so that ``x < top`` has probability 0.
    top : float
        The count that ``b`` multiplies the complement of.
    """

    slopes: np.ndarray
    const: np.ndarray
    no_positive: np.ndarray
    no_below_top: np.ndarray
    top: float

    @classmethod
    def of(cls, log_a, log_b=None, top=0.0, offset=None):
        """Return the terms of ``x log a + (top - x) log b - offset``.

        Parameters
        ----------
        log_a : ndarray of shape (n_components, n_features)
            Logarithm of the factor of ``x``; ``-inf`` where it is zero.
        log_b : ndarray of shape (n_components, n_features), default=None
            Logarithm of the factor of ``top - x``; ``-inf`` where it is zero; None for
            none.
        top : float, default=0.0
            The count ``b`` multiplies the complement of.
        offset : ndarray of shape (n_components, n_features), default=None
            A term subtracted in every column; None for none.

        Returns
        -------
        terms : LinearTerms
        """
        no_positive = np.isneginf(log_a)
        slopes = np.where(no_positive, 0.0, log_a)
        const = np.zeros(len(log_a))
        no_below_top = None
        if log_b is not None:
            no_below_top = np.isneginf(log_b)
            log_b = np.where(no_below_top, 0.0, log_b)
            slopes = slopes - log_b
            const = top * log_b.sum(axis=1)
        if offset is not None:
            const = const - offset.sum(axis=1)
        slopes = np.vstack([slopes, np.ones((1, log_a.shape[1]))])
        return cls(slopes, const[:, None], no_positive, no_below_top, float(top))

    def log_prob(self, X):
        """Return the log-densities of complete rows, or None when a row has a NaN.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows, float64.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components) or None
            The transpose of a C-ordered ``(n_components, n_samples)`` array.
        """
        K = len(self.const)
        out = np.empty((K + 1, len(X)))
        np.matmul(self.slopes, X.T, out=out)
        if np.isnan(out[K]).any():
            return None
        out = out[:K]
        out += self.const
        self._forbid(X, out)
        return out.T

    def _forbid(self, X, out):
        # -inf where a zero a (x > 0) or a zero b (x < top) makes a row impossible.
        impossible = self.no_positive
        if self.no_below_top is not None:
            impossible = impossible | self.no_below_top
        columns = np.flatnonzero(impossible.any(axis=0))
        if len(columns) == 0:
            return
        part = X[:, columns]
        bad = (self.no_positive[:, columns].astype(np.float64) @ (part > 0.0).T) > 0.0
        if self.no_below_top is not None:
            below = (part < self.top).astype(np.float64)
            bad |= (self.no_below_top[:, columns].astype(np.float64) @ below.T) > 0.0
        out[bad] = -np.inf

