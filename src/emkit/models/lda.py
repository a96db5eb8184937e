"""Latent Dirichlet allocation by variational EM (Blei, Ng and Jordan 2003; Hoffman et al. 2010).

The model holds the topics' variational Dirichlet parameters ``lambda`` (topics x words)
and the priors. The E-step of a chunk of documents (CSR rows) runs each document's
updates (:mod:`emkit.models.lda_kernels`) and returns the expected topic-word counts,
which add over chunks; the M-step is ``lambda = eta + counts``. Online variational Bayes
is the engine's online EM on the same statistics (:mod:`emkit.engine.online`): running
statistics ``lambda - eta``, blended with each batch's counts scaled to the corpus.

Each E-step starts every document from given Dirichlet parameters (random draws during
a fit, ones for inference); :class:`DocumentSource` hands each chunk its documents' rows.
"""

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse
from scipy.special import gammaln

from emkit.engine.protocols import Model
from emkit.engine.sources import ArraySource
from emkit.models._rows import RowBlocks
from emkit.models.lda_kernels import (dirichlet_expectation, doc_dirichlet_bound, doc_topics,
                                      topic_expectation_t, word_bound)
from emkit.stats import AdditiveStats

__all__ = ["DocumentSource", "LDA", "LDABound", "LDAStats", "WORK_BYTES", "as_csr",
           "check_has_words", "per_word_perplexity"]

#: What one document's updates weigh in chunk sizing, as bytes of working set.
WORK_BYTES = 32768


@dataclass(frozen=True)
class LDAStats(AdditiveStats):
    """Summed E-step statistics of LDA.

    Attributes
    ----------
    log_likelihood : float
        The documents' part of the variational bound at each document's fixed point
        (the words' term with each normalizer floored at ``eps``, as the updates use it).
    n_docs : float
        Documents seen.
    n_words : float
        Sum of their counts.
    topic_word : ndarray of shape (n_components, n_features)
        Expected number of times each word was drawn from each topic.
    """

    log_likelihood: float
    n_docs: float
    n_words: float
    topic_word: np.ndarray


@dataclass(frozen=True)
class LDABound(AdditiveStats):
    """The documents' part of the variational bound, summed over chunks.

    Attributes
    ----------
    log_likelihood : float
        ``sum_d E[log p(w_d | theta_d, beta)] + E[log p(theta_d | alpha) - log
        q(theta_d | gamma_d)]``.
    n_docs : float
        Documents seen.
    n_words : float
        Sum of their counts.
    """

    log_likelihood: float
    n_docs: float
    n_words: float


def as_csr(X):
    """Return ``X`` as a CSR matrix (a dense array is made sparse; CSR is kept as is).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Document-word counts.

    Returns
    -------
    X : scipy.sparse.csr_matrix or csr_array
    """
    if sparse.issparse(X):
        return X if X.format == "csr" else X.tocsr()
    return sparse.csr_matrix(np.asarray(X))


@dataclass(frozen=True)
class LDA(Model):
    """Latent Dirichlet allocation: the topics' variational parameters and the priors.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_features)
        ``lambda``: each topic's variational Dirichlet parameters over the words.
    doc_topic_prior : float
        ``alpha``, the prior of each document's topic proportions.
    topic_word_prior : float
        ``eta``, the prior of each topic's word distribution.
    max_doc_update_iter : int, default=100
        Most updates of one document per E-step.
    mean_change_tol : float, default=1e-3
        A document's updates stop when the mean absolute change of its ``gamma`` is
        below this.
    eps : float, default=np.finfo(np.float64).eps
        Floor added to each word's normalizer (the data type's machine epsilon).
    compiled : bool, default=True
        Run the compiled kernels when numba is installed (False: the numpy ones).
    expectation_t : ndarray of shape (n_features, n_components), default=None
        ``exp(E[log beta])``, words by topics, when the caller has it: a model over a
        mini-batch's words only (``components`` then holds those words' columns, and
        the expectation the topics' totals over the whole vocabulary). None computes it
        from ``components``.
    """

    components: np.ndarray
    doc_topic_prior: float
    topic_word_prior: float
    max_doc_update_iter: int = 100
    mean_change_tol: float = 1e-3
    eps: float = float(np.finfo(np.float64).eps)
    compiled: bool = field(default=True, compare=False)
    expectation_t: np.ndarray = field(default=None, compare=False, repr=False)

    @property
    def n_components(self):
        """Number of topics."""
        return self.components.shape[0]

    @property
    def n_features(self):
        """Size of the vocabulary."""
        return self.components.shape[1]

    # The E-step reads the topics words by topics (each word's K values together); the
    # statistics come out in that layout too, so lambda is a (K, V) view of it.

    @cached_property
    def _beta_t(self):
        if self.expectation_t is not None:
            return self.expectation_t
        return topic_expectation_t(self.components, True, self.compiled)

    @cached_property
    def _log_beta_t(self):
        return topic_expectation_t(self.components, False, self.compiled)

    @property
    def log_beta(self):
        """``E[log beta]`` of the topics, (n_components, n_features)."""
        return self._log_beta_t.T

    @property
    def exp_dirichlet_component(self):
        """``exp(E[log beta])``, (n_components, n_features)."""
        return self._beta_t.T

    def _run(self, X, gamma, with_stats):
        X = as_csr(X)
        K = self.n_components
        stats_t = np.zeros((self.n_features if with_stats else 0, K))
        word_ll = np.zeros(X.shape[0])
        doc_topics(X.indptr, X.indices, X.data, self._beta_t, gamma, self.doc_topic_prior,
                   self.max_doc_update_iter, self.mean_change_tol, self.eps, stats_t,
                   word_ll, compiled=self.compiled)
        return X, stats_t, word_ll

    def _start(self, X, doc_topic_init):
        if doc_topic_init is None:
            return np.ones((X.shape[0], self.n_components))
        return np.array(doc_topic_init, dtype=np.float64)

    def chunk_stats(self, X, sample_weight=None, doc_topic_init=None):
        """E-step on a chunk of documents: expected topic-word counts.

        Parameters
        ----------
        X : sparse matrix of shape (n_samples, n_features)
            The chunk's documents (CSR rows; a dense array is made sparse).
        sample_weight : None, default=None
            Documents are not weighted; anything but None is refused.
        doc_topic_init : ndarray of shape (n_samples, n_components), default=None
            Each document's starting ``gamma``; None starts every entry at 1.

        Returns
        -------
        stats : LDAStats
        """
        _unweighted(sample_weight)
        gamma = self._start(X, doc_topic_init)
        X, stats_t, word_ll = self._run(X, gamma, True)
        log_theta = dirichlet_expectation(gamma, self.compiled)
        ll = float(word_ll.sum()) + doc_dirichlet_bound(gamma, log_theta, self.doc_topic_prior)
        stats_t *= self._beta_t
        return LDAStats(ll, float(X.shape[0]), float(X.data.sum(dtype=np.float64)),
                        stats_t.T)

    def chunk_bound(self, X, sample_weight=None):
        """The documents' part of the variational bound, each from ``gamma`` at 1.

        Parameters
        ----------
        X : sparse matrix of shape (n_samples, n_features)
            The chunk's documents.
        sample_weight : None, default=None
            Documents are not weighted.

        Returns
        -------
        bound : LDABound
        """
        _unweighted(sample_weight)
        gamma = self._start(X, None)
        X, _, _ = self._run(X, gamma, False)
        return self.doc_bound(X, gamma)

    def doc_bound(self, X, gamma):
        """The documents' part of the variational bound at given ``gamma``.

        Parameters
        ----------
        X : sparse matrix of shape (n_samples, n_features)
            The documents.
        gamma : ndarray of shape (n_samples, n_components)
            Their variational Dirichlet parameters.

        Returns
        -------
        bound : LDABound
        """
        X = as_csr(X)
        log_theta = dirichlet_expectation(gamma, self.compiled)
        words = word_bound(X.indptr, X.indices, X.data, log_theta, self._log_beta_t,
                           compiled=self.compiled)
        ll = float(words.sum()) + doc_dirichlet_bound(gamma, log_theta, self.doc_topic_prior)
        return LDABound(ll, float(X.shape[0]), float(X.data.sum(dtype=np.float64)))

    def chunk_doc_topics(self, X, sample_weight=None):
        """Each document's ``gamma`` at its fixed point, started at 1 (inference).

        Parameters
        ----------
        X : sparse matrix of shape (n_samples, n_features)
            The chunk's documents.
        sample_weight : None, default=None
            Documents are not weighted.

        Returns
        -------
        rows : RowBlocks
            The chunk's ``gamma`` (n_samples, n_components), joined in row order by ``+``.
        """
        _unweighted(sample_weight)
        gamma = self._start(X, None)
        self._run(X, gamma, False)
        return RowBlocks(0.0, (gamma,))

    def m_step(self, stats):
        """Return the model with ``lambda = eta + stats.topic_word``.

        Parameters
        ----------
        stats : LDAStats
            Summed statistics (or running statistics of online EM).

        Returns
        -------
        model : LDA
        """
        return self.with_components(self.topic_word_prior + stats.topic_word)

    def with_components(self, components):
        """Return the model with other topic-word parameters.

        Parameters
        ----------
        components : ndarray of shape (n_components, n_features)
            The new ``lambda``.

        Returns
        -------
        model : LDA
        """
        return type(self)(np.asarray(components, dtype=np.float64), self.doc_topic_prior,
                          self.topic_word_prior, self.max_doc_update_iter,
                          self.mean_change_tol, self.eps, self.compiled)

    def running_stats(self):
        """Return the statistics whose M-step gives this model (``lambda - eta``).

        Online EM blends batches into them: ``(1 - rho) (lambda - eta) + rho S`` is
        ``lambda`` moving to ``eta + S`` by ``rho``, Hoffman et al.'s update.

        Returns
        -------
        stats : LDAStats
        """
        return LDAStats(0.0, 0.0, 0.0, self.components - self.topic_word_prior)

    def topic_word_bound(self):
        """``E[log p(beta | eta) - log q(beta | lambda)]``, the topics' part of the bound.

        Returns
        -------
        bound : float
        """
        eta, lam, V = self.topic_word_prior, self.components, self.n_features
        score = np.sum((eta - lam) * self.log_beta)
        score += np.sum(gammaln(lam) - gammaln(eta))
        score += np.sum(gammaln(eta * V) - gammaln(np.sum(lam, axis=1)))
        return float(score)

    def bytes_per_row(self, X):
        """Return the working-set bytes of one document in an E-step, with its work.

        A document's few arrays are small next to its work (tens of sweeps over its
        words), so each counts ``WORK_BYTES`` more: the working-set budget alone then
        gives the fewest rows the engine allows a chunk, and the chunk size comes from
        :meth:`min_chunk_rows`.

        Parameters
        ----------
        X : sparse matrix of shape (n_samples, n_features)
            The documents (all, or a sample).

        Returns
        -------
        n_bytes : int
        """
        return int(16 * _mean_nnz(X) + 48 * self.n_components + WORK_BYTES)

    def min_chunk_rows(self, X):
        """Return the fewest documents per chunk: enough to amortize its topic-word array.

        Eight vocabularies' worth of stored words: a chunk's words-by-topics counts
        (zeroed, scaled and added once each) then cost little next to its documents'
        sweeps, and an online mini-batch of 128 documents is typically one chunk (two threads
        measured no faster at that size on a 2-core machine).

        Parameters
        ----------
        X : sparse matrix of shape (n_samples, n_features)
            The documents.

        Returns
        -------
        rows : int
        """
        return int(8 * self.n_features / max(_mean_nnz(X), 1.0))


def check_has_words(n_words):
    """Raise a ValueError when a corpus whose perplexity is asked holds no word.

    Parameters
    ----------
    n_words : float
        The number of words in it (the sum of its counts).
    """
    if not n_words:
        raise ValueError("X holds no word (every count is 0), and perplexity is a measure "
                         "per word; pass documents with at least one word.")


def per_word_perplexity(bound, n_words):
    """Return the perplexity ``exp(-bound / n_words)`` of a corpus.

    Parameters
    ----------
    bound : float
        The variational bound of the corpus (its approximate log-likelihood).
    n_words : float
        The number of words in it (the sum of its counts).

    Returns
    -------
    perplexity : float
        NaN for a corpus without words, whose per-word measure is undefined (without
        the warning a division by zero would give).
    """
    if not n_words:
        return float("nan")
    return float(np.exp(-float(bound) / float(n_words)))


def _mean_nnz(X):
    n = max(X.shape[0], 1)
    nnz = X.nnz if sparse.issparse(X) else np.count_nonzero(X)
    return nnz / n


def _unweighted(sample_weight):
    if sample_weight is not None:
        raise TypeError("LDA's documents are not weighted; pass sample_weight=None (repeat "
                        "a document to weigh it more).")


class DocumentSource(ArraySource):
    """Documents in memory (CSR rows), each chunk with its documents' starting ``gamma``.

    Parameters
    ----------
    X : sparse matrix of shape (n_samples, n_features)
        The documents, CSR.
    doc_topic_init : ndarray of shape (n_samples, n_components), default=None
        Each document's starting ``gamma``; a chunk function receives its rows as
        ``doc_topic_init`` (None: it receives nothing and starts from ones).
    chunk_size : int, default=None
        Documents per chunk (see :class:`~emkit.engine.ArraySource`).
    n_threads : int, default=None
        Threads running chunks; results do not depend on it.
    """

    def __init__(self, X, doc_topic_init=None, chunk_size=None, n_threads=None):
        super().__init__(X, None, chunk_size, n_threads)
        self.doc_topic_init = doc_topic_init

    def chunk_args(self, bounds):
        """Return the chunk's documents and, as ``doc_topic_init``, their start.

        Parameters
        ----------
        bounds : tuple of int
            ``(start, stop)``.

        Returns
        -------
        args : tuple
            ``(X_chunk, None)``.
        kwargs : dict
            ``{"doc_topic_init": rows}`` when the source has starts.
        """
        args, kwargs = super().chunk_args(bounds)
        if self.doc_topic_init is not None:
            start, stop = bounds
            kwargs["doc_topic_init"] = self.doc_topic_init[start:stop]
        return args, kwargs
