"""Online variational Bayes for LDA, touching only the words each mini-batch holds.

Hoffman et al.'s update ``lambda <- (1 - rho) lambda + rho (eta + ratio S)`` moves every
entry of the (topics x words) ``lambda``, but the batch's expected counts ``S`` are zero
outside the batch's words, and the next E-step reads ``exp(E[log beta])`` only in the
next batch's words (plus each topic's total). So :class:`OnlineTopics` keeps ``lambda``
as ``scale * M + offset`` with two numbers ``scale`` and ``offset``: the blend scales
both numbers, the counts are added into ``M`` in the batch's columns only, and each
topic's total is kept alongside. A batch then costs O(its words x topics), not
O(vocabulary x topics); the values are the dense update's up to rounding. Before
``scale`` could underflow, ``M`` takes it in (one dense pass, every few hundred
batches at most).
"""

from dataclasses import replace

import numpy as np
from scipy import sparse

from emkit._compiled import kernel
from emkit.models.lda_kernels import column_expectation_t

__all__ = ["OnlineTopics", "batch_vocabulary", "scatter_add"]

#: ``scale`` below this is folded into ``M``.
MIN_SCALE = 1e-100


@kernel
def scatter_add(m_t, totals, words, counts_t, factor):
    """Add ``factor * counts_t`` to the rows ``words`` of ``m_t``, and its sums to ``totals``.

    Parameters
    ----------
    m_t : ndarray of shape (n_features, n_components)
        Changed in place.
    totals : ndarray of shape (n_components,)
        Changed in place: each column's added sum.
    words : ndarray of int of shape (n_words,)
        Distinct rows of ``m_t``.
    counts_t : ndarray of shape (n_words, n_components)
        What each of those rows receives, before ``factor``.
    factor : float
        The scale.
    """
    n, K = counts_t.shape
    for i in range(n):
        w = words[i]
        for k in range(K):
            value = factor * counts_t[i, k]
            m_t[w, k] += value
            totals[k] += value


def batch_vocabulary(X):
    """Return the words a batch of documents holds, and the batch over those words only.

    Parameters
    ----------
    X : scipy.sparse CSR matrix of shape (n_samples, n_features)
        The batch.

    Returns
    -------
    words : ndarray of int of shape (n_words,)
        The columns with a stored entry, increasing.
    local : scipy.sparse CSR matrix of shape (n_samples, n_words)
        ``X[:, words]``: the same rows, entries and order, columns renumbered.
    """
    seen = np.zeros(X.shape[1], dtype=bool)
    seen[X.indices] = True
    words = np.flatnonzero(seen)
    number = np.cumsum(seen, dtype=X.indices.dtype) - 1  # a word's place among the kept
    local = sparse.csr_matrix((X.data, number[X.indices], X.indptr),
                              shape=(X.shape[0], len(words)))
    return words, local


class OnlineTopics:
    """``lambda`` during online variational Bayes, updated in a batch's words only.

    Mutable by design: each update changes the object in place (that is the saving), so
    it belongs to one running fit; :meth:`components` returns a copy of ``lambda``.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_features)
        ``lambda`` before the first update.
    topic_word_prior : float
        ``eta``.
    """

    def __init__(self, components, topic_word_prior):
        components = np.asarray(components, dtype=np.float64)
        self._m_t = np.array(components.T, order="C")  # (n_features, n_components), a copy
        self._totals = components.sum(axis=1)
        self._scale, self._offset = 1.0, 0.0
        self.topic_word_prior = float(topic_word_prior)

    @property
    def n_features(self):
        """Size of the vocabulary."""
        return self._m_t.shape[0]

    def batch_model(self, model, words):
        """Return ``model`` restricted to some words, with their ``exp(E[log beta])``.

        Parameters
        ----------
        model : LDA
            The model whose settings (priors, document updates) the batch uses.
        words : ndarray of int of shape (n_words,)
            Columns of ``lambda`` (a batch's vocabulary).

        Returns
        -------
        model : LDA
            Its ``components`` are ``lambda`` in those words, its ``expectation_t``
            their expectation under the whole vocabulary's totals: the E-step of a
            batch over those words (:func:`batch_vocabulary`).
        """
        lam_t = self._m_t[words]
        lam_t *= self._scale
        lam_t += self._offset
        totals = self._scale * self._totals + self.n_features * self._offset
        expectation = column_expectation_t(lam_t.copy(), totals, model.compiled)
        return replace(model, components=lam_t.T, expectation_t=expectation)

    def update(self, rho, ratio, words, topic_word):
        """Blend a batch in: ``lambda <- (1 - rho) lambda + rho (eta + ratio S)``.

        Parameters
        ----------
        rho : float
            The step, in (0, 1].
        ratio : float
            The corpus size over the batch size.
        words : ndarray of int of shape (n_words,)
            The batch's words (distinct).
        topic_word : ndarray of shape (n_components, n_words)
            The batch's expected counts ``S`` in those words.
        """
        keep = 1.0 - rho
        self._offset = keep * self._offset + rho * self.topic_word_prior
        if keep < MIN_SCALE or self._scale * keep < MIN_SCALE:
            self._fold()
            if keep < MIN_SCALE:  # rho = 1: lambda is eta + ratio S, nothing kept
                self._m_t[:] = 0.0
                self._totals[:] = 0.0
                keep = 1.0
        self._scale *= keep
        counts_t = np.ascontiguousarray(np.asarray(topic_word, dtype=np.float64).T)
        scatter_add(self._m_t, self._totals, words, counts_t, rho * ratio / self._scale)

    def _fold(self):
        # lambda = scale M + offset with scale = 1 from here on (offset kept apart).
        self._m_t *= self._scale
        self._totals = self._m_t.sum(axis=0)
        self._scale = 1.0

    def components(self):
        """Return ``lambda``, (n_components, n_features).

        Returns
        -------
        components : ndarray of shape (n_components, n_features)
            A new C-contiguous array.
        """
        return np.ascontiguousarray((self._scale * self._m_t + self._offset).T)
