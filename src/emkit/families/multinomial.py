"""The Multinomial family: rows are vectors of counts over the same categories.

A row ``x`` of ``X`` counts how often each of the ``D`` categories occurred in
``n = sum_d x_d`` draws; the total may differ from row to row. Component ``k`` has the
category probabilities ``probs[k]`` (summing to one) and

    log p(x | k) = log n! - sum_d log x_d! + sum_d x_d log probs[k, d].

The log-probabilities use ``0 * log 0 = 0`` exactly, so a probability of 0 gives finite
values where the row has no count in that category and ``-inf`` elsewhere. The M-step
is the closed-form weighted maximum-likelihood estimate
``probs_k = sum_i w_ik x_i / sum_i w_ik n_i``; a component without weighted counts keeps
its probabilities. A count vector with a missing entry has no defined total, so the
family takes no NaN.

Rows may be ``scipy.sparse`` (a document-term matrix: a mixture of unigrams); the work
per chunk is then O(nonzeros x components), and a row with no count (an empty document)
has log-probability 0 under every component: it adds nothing to the likelihood or to the
counts, and the weights' fixed point is that of the other rows.
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import gammaln

from emkit._products import column_totals, product
from emkit.families._columns import (ColumnFamily, ColumnSums, as_rows, check_columns,
                                     is_integer, keep_empty, xlogy_dot)
from emkit.families._sparse import (as_csr, check_sparse_entries, is_sparse,
                                    sparse_bytes_per_row)
from emkit.families.base import set_derived

__all__ = ["Multinomial"]


@dataclass(frozen=True)
class Multinomial(ColumnFamily):
    """K Multinomial distributions over the same ``n_features`` categories.

    Each row is a vector of non-negative integer counts, one per category, with any
    total. The total of a row is taken as given: it enters the log-probability only
    through the combinatorial term, which is the same for every component.

    Parameters
    ----------
    probs : array-like of shape (n_components, n_features)
        Probability of each category under each component; every row is non-negative
        and sums to one. A 1-D array describes a single component.
    n_trials : int or None, default=None
        Total count of the rows that :meth:`sample` draws; it plays no part in fitting.
        None leaves the family unable to sample.
    """

    nonnegative = True

    probs: np.ndarray
    n_trials: int = None

    component_fields: ClassVar[tuple] = ("probs",)
    allows_missing: ClassVar[bool] = False
    accepts_sparse: ClassVar[bool] = True

    def __post_init__(self):
        probs = as_rows("probs", self.probs)
        if not np.all((probs >= 0.0) & np.isfinite(probs)):
            raise ValueError("Every Multinomial probability must be finite and non-negative.")
        if not np.allclose(probs.sum(axis=1), 1.0, rtol=0.0, atol=1e-6):
            raise ValueError("The Multinomial probabilities of each component must sum to one.")
        n_trials = self.n_trials
        if n_trials is not None:
            n_trials = int(n_trials)
            if n_trials != self.n_trials or n_trials < 0:
                raise ValueError("n_trials must be None or a non-negative integer; "
                                 f"got {self.n_trials!r}.")
        set_derived(self, probs=probs, n_trials=n_trials)

    def _complete(self, X):
        # X as float64 (CSR when sparse), with a ValueError when an entry is missing.
        if is_sparse(X):
            X = as_csr(X)
            if X.shape[1] != self.n_features:
                check_columns(self, np.empty((0, X.shape[1])))
            if np.isnan(X.data).any():
                raise ValueError("The Multinomial family takes no missing values (NaN), "
                                 "since a row of counts with a missing entry has no "
                                 "defined total.")
            return X
        X = check_columns(self, X)
        if np.isnan(X).any():
            raise ValueError("The Multinomial family takes no missing values (NaN), since a "
                             "row of counts with a missing entry has no defined total.")
        return X

    def _outside(self, X):
        # NaN is outside the support too: validate names its column.
        bad = ~(is_integer(X) & (X >= 0.0))
        return bad, lambda d: "a Multinomial family takes only non-negative integer counts"

    def validate(self, X):
        """Raise one sentence when ``X`` holds a value that is not a count.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows; a sparse matrix's message names the row and the column.

        Returns
        -------
        X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
            The rows as float64.
        """
        if not is_sparse(X):
            return super().validate(X)
        X = as_csr(X)
        if X.shape[1] != self.n_features:
            check_columns(self, np.empty((0, X.shape[1])))
        bad = ~(is_integer(X.data) & (X.data >= 0.0))
        check_sparse_entries(X, bad, "a Multinomial family takes only non-negative integer "
                                     "counts")
        return X

    def bytes_per_row(self, X):
        """Return the working-set bytes one row needs in an E-step.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            The data; a sparse row costs its stored entries, not its width.

        Returns
        -------
        n_bytes : int
        """
        if is_sparse(X):
            return sparse_bytes_per_row(X, self.n_components)
        return super().bytes_per_row(X)

    def log_prob(self, X):
        """Return the log-probability of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Non-negative integer counts of each category; NaN raises a ValueError.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = self._complete(X)
        if is_sparse(X):
            # gammaln(0 + 1) = 0: only the stored entries count.
            per_entry = X.copy()
            per_entry.data = gammaln(X.data + 1.0)
            log_coefficient = (gammaln(np.asarray(X.sum(axis=1)).ravel() + 1.0)
                               - np.asarray(per_entry.sum(axis=1)).ravel())
        else:
            log_coefficient = gammaln(X.sum(axis=1) + 1.0) - gammaln(X + 1.0).sum(axis=1)
        return log_coefficient[:, None] + xlogy_dot(X, self.probs)

    def accumulate(self, X, W):
        """Return the weighted sum of the counts of each category.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Non-negative integer counts of each category; NaN raises a ValueError.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : ColumnSums
        """
        X = self._complete(X)
        W = np.asarray(W, dtype=np.float64)
        if is_sparse(X):
            return ColumnSums(column_totals(W), np.asarray((X.T @ W).T))
        return ColumnSums(column_totals(W), product(W.T, X))

    def maximize(self, stats):
        """Return the Multinomial family of the weighted category frequencies.

        Parameters
        ----------
        stats : ColumnSums
            Summed statistics.

        Returns
        -------
        family : Multinomial
        """
        total = stats.sums.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            probs = np.maximum(stats.sums / total[:, None], 0.0)
        return Multinomial(keep_empty(total, probs, self.probs), self.n_trials)

    def n_parameters(self):
        """Return the number of free parameters: ``n_features - 1`` per component.

        Returns
        -------
        n : int
        """
        return int(self.n_components * (self.n_features - 1))

    def _draw(self, k, size, rng):
        # size[0] rows of n_trials counts each.
        if self.n_trials is None:
            raise ValueError("A Multinomial family samples only with n_trials set; build it "
                             "with n_trials=<total count of each row>.")
        probs = self.probs[k] / self.probs[k].sum()
        return rng.multinomial(self.n_trials, probs, size=size[0])

    def reseed(self, k, x):
        """Restart component ``k`` with probabilities proportional to ``x + 0.5``.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : Multinomial
        """
        probs = self.probs.copy()
        row = np.maximum(np.asarray(x, dtype=np.float64), 0.0) + 0.5
        probs[k] = row / row.sum()
        return Multinomial(probs, self.n_trials)
