"""Starting topics from clusters of documents, for LDA fits that should find every topic.

Variational Bayes from random topics often ends with two true topics merged into one and
another split in two (scikit-learn's and gensim's fits alike: the topic-recovery rows of
BENCHMARKS.md, and ``tests/test_lda_init.py``). :func:`cluster_topics` starts it near
the right answer instead: each document's word proportions, square-rooted (so that
Euclidean distance is the Hellinger distance), are projected on their ``2 K`` leading
singular vectors, normalized and clustered by k-means (ten restarts); each topic starts
from its cluster's summed counts.
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

__all__ = ["MAX_INIT_DOCUMENTS", "cluster_topics"]

#: Documents read by the clustering: a uniform sample of this many at most.
MAX_INIT_DOCUMENTS = 20_000


def cluster_topics(X, n_components, random_state=None, n_documents=None):
    """Return each cluster's word counts for ``n_components`` clusters of the documents.

    Parameters
    ----------
    X : sparse matrix or ndarray of shape (n_samples, n_features)
        Document word counts (all documents, or a uniform sample of them).
    n_components : int
        Number of topics (clusters).
    random_state : int, RandomState instance or None, default=None
        Seed of the sample, the projection and k-means.
    n_documents : float, default=None
        Size of the corpus ``X`` was sampled from; the counts are scaled to it. None:
        ``X`` is the corpus.

    Returns
    -------
    counts : ndarray of shape (n_components, n_features)
        Summed counts of each cluster's documents (scaled to the corpus).
    """
    # Imported here: importing emkit loads neither (see tests/test_import_cost.py).
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD

    rng = check_random_state(random_state)
    X = sparse.csr_matrix(X, dtype=np.float64)
    lengths = np.asarray(X.sum(axis=1)).ravel()
    documents = np.flatnonzero(lengths > 0)
    if len(documents) < n_components:
        raise ValueError(f"init='kmeans' needs at least n_components={n_components} "
                         f"documents with words, but X has {len(documents)}; use "
                         "init='random' or fewer topics.")
    # The clustered documents stand for X's documents with words, and X for the corpus.
    scale = len(documents) * (X.shape[0] if n_documents is None else n_documents) / X.shape[0]
    if len(documents) > MAX_INIT_DOCUMENTS:
        documents = np.sort(rng.choice(documents, MAX_INIT_DOCUMENTS, replace=False))
    scale /= len(documents)
    sample = X[documents]
    roots = sparse.diags(1.0 / lengths[documents]) @ sample
    roots.data = np.sqrt(roots.data)
    dims = max(1, min(2 * n_components, sample.shape[1] - 1, len(documents) - 1))
    if dims < sample.shape[1] and dims < len(documents):
        with np.errstate(divide="ignore", invalid="ignore"):  # identical documents:
            # their explained-variance ratios divide zero by zero (unused here).
            embedded = TruncatedSVD(dims, random_state=rng).fit_transform(roots)
    else:
        embedded = roots.toarray()
    norms = np.linalg.norm(embedded, axis=1, keepdims=True)
    embedded /= np.where(norms > 0, norms, 1.0)
    with warnings.catch_warnings():
        # Fewer distinct documents than topics: the extra topics keep their random start.
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(n_components, n_init=10, random_state=rng).fit_predict(embedded)
    members = sparse.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))),
                                shape=(n_components, len(labels)))
    counts = np.asarray((members @ sample).todense())
    return counts * scale
