"""LatentDirichletAllocation(init='kmeans'): starting topics from clusters of documents."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from scipy.optimize import linear_sum_assignment

import emkit
from emkit.datasets import make_lda_corpus
from emkit.models import lda_init
from emkit.models.lda_init import cluster_topics


def worst_match(components, truth):
    # The smallest cosine between a true topic and the fitted topic matched to it.
    a = components / np.linalg.norm(components, axis=1, keepdims=True)
    b = truth / np.linalg.norm(truth, axis=1, keepdims=True)
    cosine = a @ b.T
    rows, cols = linear_sum_assignment(cosine, maximize=True)
    return cosine[rows, cols].min()


@pytest.fixture(scope="module")
def drawn():
    return make_lda_corpus(3000, 600, 8, doc_length=60, random_state=1)


def test_clustered_starts_recover_every_topic_where_random_starts_do_not(drawn):
    X, truth, _ = drawn
    worst = {init: [worst_match(emkit.LatentDirichletAllocation(
        8, max_iter=10, random_state=seed, init=init).fit(X).components_, truth)
        for seed in range(4)] for init in ("random", "kmeans")}
    assert min(worst["random"]) < 0.5       # a merged topic from some random start
    assert min(worst["kmeans"]) > 0.99      # every topic found from every clustered start


def test_online_fit_and_partial_fit_start_from_clusters(drawn):
    X, truth, _ = drawn
    online = emkit.LatentDirichletAllocation(8, learning_method="online", max_iter=5,
                                             random_state=0, init="kmeans").fit(X)
    assert worst_match(online.components_, truth) > 0.95
    streamed = emkit.LatentDirichletAllocation(8, total_samples=3000, random_state=0,
                                               init="kmeans")
    for rows in np.array_split(np.arange(3000), 6):
        streamed.partial_fit(X[rows])
    assert worst_match(streamed.components_, truth) > 0.9


def test_cluster_counts_add_up_to_the_corpus():
    X, _, _ = make_lda_corpus(300, 80, 4, doc_length=30, random_state=2)
    X = sparse.vstack([X, sparse.csr_matrix((5, 80))]).tocsr()  # empty documents
    counts = cluster_topics(X, 4, random_state=0)
    assert counts.shape == (4, 80) and (counts.sum(axis=1) > 0).all()
    assert_allclose(counts.sum(axis=0), np.asarray(X.sum(axis=0)).ravel(), rtol=1e-12)
    # Counts of a part stand for the corpus it came from.
    assert_allclose(cluster_topics(X, 4, random_state=0, n_documents=3 * X.shape[0]),
                    3 * counts, rtol=1e-12)


def test_a_sample_of_documents_is_scaled_to_the_corpus(monkeypatch):
    X, _, _ = make_lda_corpus(400, 60, 3, doc_length=20, random_state=3)
    monkeypatch.setattr(lda_init, "MAX_INIT_DOCUMENTS", 100)
    counts = lda_init.cluster_topics(X, 3, random_state=0)
    # 100 of 400 documents, scaled by 4: the corpus's total to sampling error.
    assert_allclose(counts.sum(), X.sum(), rtol=0.15)


def test_too_few_documents_is_one_sentence():
    X = sparse.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 3.0]]))
    with pytest.raises(ValueError, match=r"init='kmeans' needs at least n_components=3 "
                                         r"documents with words, but X has 2"):
        emkit.LatentDirichletAllocation(3, init="kmeans").fit(X)


def test_dask_fit_clusters_the_start_sample():
    da = pytest.importorskip("dask.array")
    X, truth, _ = make_lda_corpus(600, 120, 4, doc_length=40, random_state=4)
    fitted = emkit.LatentDirichletAllocation(4, max_iter=5, random_state=0, init="kmeans")
    fitted.fit(da.from_array(X.toarray(), chunks=(150, -1)))
    assert worst_match(fitted.components_, truth) > 0.95


def test_identical_documents_start_without_a_warning():
    X = np.ones((6, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = emkit.LatentDirichletAllocation(4, init="kmeans", random_state=0).fit(X)
    assert np.isfinite(fitted.components_).all() and fitted.components_.shape == (4, 5)
