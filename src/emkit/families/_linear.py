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

A chunk without missing entries goes through :class:`LinearColumns`: its rows are written
once, transposed under a row of ones (the chunk features of
:mod:`emkit.families.gaussian._features`, about 0), so that the log-densities are one
product with ``[const, slopes]``, a per-row term (Poisson's ``log x!``) is summed along
contiguous rows, and the statistics are the moment sums of
:func:`emkit._products.feature_sums`, the component totals in their first row.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from emkit._products import feature_sums, product
from emkit.families._columns import ColumnSums, check_columns
from emkit.families._discrete_kernels import log_factorial_columns
from emkit.families.gaussian._features import LINEAR, centred_features
from emkit.families.gaussian._fused import FusedTerms, fused_sums

__all__ = ["LinearChunk", "LinearColumns", "LinearTerms"]


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
    weights : ndarray of shape (n_components, 1 + n_features)
        ``[const, slopes]`` without the row of ones: the weights of the chunk features.
    """

    slopes: np.ndarray
    const: np.ndarray
    no_positive: np.ndarray
    no_below_top: np.ndarray
    top: float
    weights: np.ndarray

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
        weights = np.hstack([const[:, None], slopes])
        slopes = np.vstack([slopes, np.ones((1, log_a.shape[1]))])
        return cls(slopes, const[:, None], no_positive, no_below_top, float(top), weights)

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
        self._forbid(X.T, out)
        return out.T

    def log_prob_features(self, features):
        """Return the log-densities of a chunk's features, component by component.

        Parameters
        ----------
        features : ndarray of shape (1 + n_features, n_samples)
            A row of ones, then the rows transposed (no NaN).

        Returns
        -------
        log_prob : ndarray of shape (n_components, n_samples)
            C-ordered.
        """
        out = product(self.weights, features)
        self._forbid(features[1:], out)
        return out

    def _forbid(self, columns_of_x, out):
        # -inf where a zero a (x > 0) or a zero b (x < top) makes a row impossible;
        # columns_of_x is (n_features, n_samples), out (n_components, n_samples).
        impossible = self.no_positive
        if self.no_below_top is not None:
            impossible = impossible | self.no_below_top
        columns = np.flatnonzero(impossible.any(axis=0))
        if len(columns) == 0:
            return
        part = columns_of_x[columns]
        bad = (self.no_positive[:, columns].astype(np.float64) @ (part > 0.0)) > 0.0
        if self.no_below_top is not None:
            below = (part < self.top).astype(np.float64)
            bad |= (self.no_below_top[:, columns].astype(np.float64) @ below) > 0.0
        out[bad] = -np.inf


@dataclass(frozen=True)
class LinearChunk:
    """A chunk without missing entries, prepared for :class:`LinearColumns`.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    features : ndarray of shape (1 + n_features, n_samples)
        A row of ones, then the rows transposed.
    """

    X: np.ndarray
    features: np.ndarray


class LinearColumns:
    """Mixin of the column families with :class:`LinearTerms` (``_terms``): E-steps on chunk features.

    A family whose log-density holds ``-sum_d log(x_d!)`` says so with
    ``_log_factorial_term``. Chunks with a missing entry take the family's own
    ``log_prob`` and ``accumulate``. A mixture's E-step of a complete float64 chunk is
    one compiled pass (:meth:`fused_stats`), where no entry of the family forbids a value.
    """

    #: Whether each row's log-density holds ``-sum_d log(x_d!)`` (Poisson counts).
    _log_factorial_term = False

    def prepare(self, X):
        """Return the chunk's features, or the chunk itself when it has a missing entry.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows; NaN marks a missing entry.

        Returns
        -------
        prepared : LinearChunk or ndarray
        """
        X = check_columns(self, X)
        features = centred_features(X, np.zeros(X.shape[1]), np.float64, LINEAR,
                                    complete=True)
        return X if features is None else LinearChunk(X, features)

    def log_prob_prepared(self, prepared):
        """Return :meth:`log_prob` of a prepared chunk.

        Parameters
        ----------
        prepared : LinearChunk or ndarray
            What :meth:`prepare` returned.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
            For a :class:`LinearChunk`, the transpose of a C-ordered array.
        """
        if not isinstance(prepared, LinearChunk):
            return self.log_prob(prepared)
        out = self._terms.log_prob_features(prepared.features)
        row_term = self._row_term(prepared.features[1:])
        if row_term is not None:
            out += row_term
        return out.T

    def accumulate_prepared(self, prepared, W):
        """Return :meth:`accumulate` of a prepared chunk.

        Parameters
        ----------
        prepared : LinearChunk or ndarray
            What :meth:`prepare` returned.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : ColumnSums
        """
        if not isinstance(prepared, LinearChunk):
            return self.accumulate(prepared, W)
        sums = feature_sums(prepared.features, W)
        return ColumnSums(sums[0], np.ascontiguousarray(sums[1:].T))

    def bytes_per_row(self, X):
        """Return the working-set bytes one row needs in an E-step.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        n_bytes : int
            The rows, their features and the component-sized arrays.
        """
        return 8 * (2 * X.shape[1] + 1 + 4 * self.n_components)

    def fused_stats(self, X, log_weights):
        """Return a mixture's E-step of a complete chunk in one compiled pass, or None.

        The pass of :func:`emkit.families.gaussian._fused.fused_sums` with the
        log-density ``[const, slopes]`` linear in the rows; the per-row term, the same
        under every component (Poisson's ``-sum_d log(x_d!)``), is added to the rows'
        log-likelihoods within it. None
        without numba; for rows that are not float64 in C order, not as wide as the
        family, or that hold a NaN; and when a zero probability or rate forbids some
        value (the feature path sets those log-densities to ``-inf``).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.
        log_weights : ndarray of shape (n_components,)
            The mixture's ``log w_k``.

        Returns
        -------
        result : tuple or None
            ``(log_norm, resp_sum, stats)``, as :meth:`Family.fused_stats`.
        """
        terms = self._fused_terms
        # The rows are their own features: no centre.
        result = None if terms is None else fused_sums(X, np.zeros(X.shape[-1]), terms,
                                                        log_weights)
        if result is None:
            return None
        log_norm, sums = result
        return log_norm, sums[0], ColumnSums(sums[0], np.ascontiguousarray(sums[1:].T))

    @cached_property
    def _fused_terms(self):
        # The weights of the one pass, or None when an entry forbids some value.
        terms = self._terms
        if np.any(terms.no_positive) or (terms.no_below_top is not None
                                         and np.any(terms.no_below_top)):
            return None
        return FusedTerms(terms.weights, terms.weights.shape[1] - 1, LINEAR,
                          log_factorials=self._log_factorial_term)

    def _row_term(self, columns_of_x):
        # The log-density's term shared by every component, (n_samples,), or None.
        if self._log_factorial_term:
            return -log_factorial_columns(columns_of_x)
        return None

