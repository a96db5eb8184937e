"""A min-reduction that travels with additive statistics: the rows a model explains worst."""

from dataclasses import dataclass

import numpy as np

from emkit._compiled import HAVE_NUMBA, kernel

__all__ = ["WorstRows"]


@dataclass(frozen=True)
class WorstRows:
    """The ``size`` rows with the lowest log-likelihood seen so far, lowest first.

    ``a + b`` keeps the lowest of both, so it reduces over chunks like the statistics it
    travels with. Collapsed components are re-seeded at these rows.

    Parameters
    ----------
    scores : ndarray of shape (m,)
        Log-likelihood of each kept row.
    rows : ndarray of shape (m, n_features)
        The rows.
    size : int, default=1
        How many rows to keep.
    """

    scores: np.ndarray
    rows: np.ndarray
    size: int = 1

    @classmethod
    def of_chunk(cls, X, scores, size):
        """Return the worst ``size`` rows of one chunk.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The chunk.
        scores : ndarray of shape (n_samples,)
            Log-likelihood of each row (``inf`` for rows that must not be chosen).
        size : int
            How many rows to keep.

        Returns
        -------
        worst : WorstRows
        """
        m = min(size, len(scores))
        if HAVE_NUMBA:
            index = _lowest(scores, m)
        else:
            index = np.argpartition(scores, m - 1)[:m] if m < len(scores) else np.arange(m)
            index = index[np.argsort(scores[index], kind="stable")]
        rows = X[index]
        if hasattr(rows, "toarray"):  # sparse rows: the kept few, densified
            rows = rows.toarray()
        return cls(np.asarray(scores[index], dtype=np.float64),
                   np.asarray(rows, dtype=np.float64), size)

    def __add__(self, other):
        scores = np.concatenate([self.scores, other.scores])
        order = np.argsort(scores, kind="stable")[:self.size]
        return WorstRows(scores[order], np.concatenate([self.rows, other.rows])[order], self.size)

    def scale(self, rho):
        """Return itself: a minimum does not scale.

        Parameters
        ----------
        rho : float
            Ignored.

        Returns
        -------
        worst : WorstRows
        """
        return self


@kernel
def _lowest(scores, m):
    # Indices of the m lowest scores, lowest first (the earlier row first on a tie): one
    # pass keeping a sorted buffer, as a chunk holds far more rows than m. The buffer's
    # scores are kept beside it, and the largest of them in a local, so that a row that
    # does not enter (almost every row) costs one load and one comparison.
    index = np.empty(m, dtype=np.int64)
    low = np.empty(m, dtype=scores.dtype)
    count = 0
    bound = np.inf
    for i in range(len(scores)):
        value = scores[i]
        if count == m and not value < bound:
            continue
        j = count if count < m else m - 1
        while j > 0 and value < low[j - 1]:
            index[j] = index[j - 1]
            low[j] = low[j - 1]
            j -= 1
        index[j] = i
        low[j] = value
        count = min(count + 1, m)
        bound = low[m - 1] if count == m else bound
    return index[:count]
