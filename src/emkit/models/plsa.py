"""Probabilistic latent semantic analysis (Hofmann 1999): the aspect model, fitted by EM.

A document ``d`` draws each of its words from ``P(w | d) = sum_z P(z | d) P(w | z)``. The
E-step's posterior of a topic for one word of one document is
``P(z | d, w) ∝ (P(z | d) P(w | z)) ** beta`` (``beta = 1``: EM; below 1: Hofmann's
tempered EM); the M-step sets ``P(w | z)`` to the topic's expected word counts,
normalized, and each document's ``P(z | d)`` to its own expected topic counts, normalized.

The work per chunk is O(nonzeros x topics) on the sparse counts. The topic-word counts
add over chunks; each document's new topic proportions are its own (:class:`DocRows`,
which add by joining chunks in row order), so the chunk function reads its documents'
proportions at ``rows=(start, stop)`` (an :class:`emkit.engine.ArraySource` built with
``row_bounds=True``).
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from emkit.engine.protocols import Model
from emkit.stats import AdditiveStats

__all__ = ["DocRows", "PLSAModel", "PLSAStats"]


@dataclass(frozen=True)
class DocRows:
    """Values of consecutive documents, from ``start`` on.

    ``a + b`` joins the rows of two neighbouring chunks, in row order; two values for the
    same documents (an accelerated fit combining E-steps) add entry by entry.

    Parameters
    ----------
    start : int
        Index of the first document.
    values : ndarray of shape (n_documents, n_topics)
        One row per document.
    """

    start: int
    values: np.ndarray

    #: The rows grow with every chunk added, so online EM cannot keep them.
    fixed_size = False

    def __add__(self, other):
        if other.start == self.start and other.values.shape == self.values.shape:
            return DocRows(self.start, self.values + other.values)
        if other.start == self.start + len(self.values):
            return DocRows(self.start, np.concatenate([self.values, other.values]))
        if self.start == other.start + len(other.values):
            return other + self
        raise ValueError("Document rows can only be joined with their neighbours.")

    def scale(self, rho):
        """Return the values multiplied by ``rho``.

        Parameters
        ----------
        rho : float
            The factor.

        Returns
        -------
        rows : DocRows
        """
        return DocRows(self.start, self.values * rho)

    def coordinates(self):
        """Return the values, flattened.

        Returns
        -------
        vector : ndarray of shape (n_documents * n_topics,)
        """
        return np.ravel(self.values)


@dataclass(frozen=True)
class PLSAStats(AdditiveStats):
    """Summed E-step statistics of PLSA.

    Attributes
    ----------
    log_likelihood : float
        ``sum_d weight_d sum_w n(d, w) log P(w | d)``.
    topic_word : ndarray of shape (n_topics, n_words)
        Expected (weighted) count of each word from each topic.
    doc_topic : DocRows
        Each document's expected topic counts, divided by its length: its next topic
        proportions (the previous ones for an empty document).
    """

    log_likelihood: float
    topic_word: np.ndarray
    doc_topic: DocRows


@dataclass(frozen=True)
class PLSAModel(Model):
    """The aspect model's parameters.

    Parameters
    ----------
    topic_word : ndarray of shape (n_topics, n_words)
        ``P(w | z)``; every row sums to one.
    doc_topic : ndarray of shape (n_documents, n_topics)
        ``P(z | d)`` of the documents being fitted; every row sums to one.
    beta : float, default=1.0
        The tempering exponent of the E-step (1: plain EM).
    fixed_topics : bool, default=False
        Keep ``topic_word`` in the M-step (folding new documents in).
    """

    topic_word: np.ndarray
    doc_topic: np.ndarray
    beta: float = 1.0
    fixed_topics: bool = False

    @classmethod
    def random(cls, rng, n_documents, n_words, n_topics, beta=1.0):
        """Return a random start: uniform draws, normalized.

        Parameters
        ----------
        rng : numpy.random.RandomState
            The random state.
        n_documents : int
            Number of documents.
        n_words : int
            Size of the vocabulary.
        n_topics : int
            Number of topics.
        beta : float, default=1.0
            The tempering exponent.

        Returns
        -------
        model : PLSAModel
        """
        topic_word = rng.uniform(size=(n_topics, n_words)) + 1e-3
        doc_topic = rng.uniform(size=(n_documents, n_topics)) + 1e-3
        return cls(topic_word / topic_word.sum(axis=1, keepdims=True),
                   doc_topic / doc_topic.sum(axis=1, keepdims=True), beta)

    @property
    def monotone(self):
        """False under tempered EM, which does not maximize the likelihood itself."""
        return self.beta == 1.0

    def bytes_per_row(self, X):
        """Return the working-set bytes of one document in an E-step.

        Parameters
        ----------
        X : sparse matrix of shape (n_documents, n_words)
            The counts.

        Returns
        -------
        n_bytes : int
            About four ``(nonzeros, n_topics)`` float64 arrays per document.
        """
        per_row = X.nnz / max(X.shape[0], 1) if sparse.issparse(X) else X.shape[1]
        return int(8 * (4 * per_row + 4) * (len(self.topic_word) + 1))

    def chunk_stats(self, X, sample_weight=None, rows=None):
        """E-step on the documents ``rows`` (a CSR chunk of counts).

        Parameters
        ----------
        X : scipy.sparse.csr_matrix of shape (n_documents, n_words)
            The chunk's counts.
        sample_weight : ndarray of shape (n_documents,), default=None
            Weight of each document in the topic counts and the log-likelihood.
        rows : tuple of int, default=None
            ``(start, stop)``: the chunk's documents; None is every document.

        Returns
        -------
        stats : PLSAStats
        """
        X = sparse.csr_matrix(X)
        start, stop = rows if rows is not None else (0, X.shape[0])
        theta = self.doc_topic[start:stop]
        n_docs, n_topics = theta.shape
        entry_doc = np.repeat(np.arange(n_docs), np.diff(X.indptr))
        joint = theta[entry_doc] * self.topic_word[:, X.indices].T
        p_word = joint.sum(axis=1)
        counts = X.data if sample_weight is None else X.data * sample_weight[entry_doc]
        with np.errstate(divide="ignore"):
            log_likelihood = float(np.dot(counts, np.log(p_word)))
        if self.beta != 1.0:
            joint **= self.beta
            p_word = joint.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            joint /= p_word[:, None]
        joint = np.nan_to_num(joint, nan=0.0)
        topic_word = np.empty((n_topics, self.topic_word.shape[1]))
        doc_counts = np.empty((n_docs, n_topics))
        for z in range(n_topics):
            posterior = joint[:, z]
            topic_word[z] = np.bincount(X.indices, posterior * counts,
                                        minlength=topic_word.shape[1])
            doc_counts[:, z] = np.bincount(entry_doc, posterior * X.data, minlength=n_docs)
        length = doc_counts.sum(axis=1, keepdims=True)
        doc_topic = np.where(length > 0, doc_counts / np.where(length > 0, length, 1.0), theta)
        return PLSAStats(log_likelihood, topic_word, DocRows(start, doc_topic))

    def m_step(self, stats):
        """Return the topics and proportions that maximize the expected log-likelihood.

        Parameters
        ----------
        stats : PLSAStats
            Summed statistics.

        Returns
        -------
        model : PLSAModel
        """
        doc_topic = stats.doc_topic.values
        if (np.any(doc_topic < 0.0) or np.any(stats.topic_word < 0.0)
                or np.any(doc_topic.sum(axis=1) <= 0.0)):
            raise ValueError("Expected topic counts must be non-negative, with a positive "
                             "total per document.")
        topic_word = self.topic_word
        if not self.fixed_topics:
            total = stats.topic_word.sum(axis=1, keepdims=True)
            topic_word = np.where(total > 0, stats.topic_word / np.where(total > 0, total, 1.0),
                                  self.topic_word)
        return PLSAModel(topic_word, doc_topic / doc_topic.sum(axis=1, keepdims=True),
                         self.beta, self.fixed_topics)
