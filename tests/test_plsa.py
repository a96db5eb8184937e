"""PLSA against a dense brute-force EM written out here, and mixtures of unigrams on sparse
counts against the same fit on the dense matrix."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import check_estimator

import emkit
from emkit.exceptions import ConvergenceWarning
from emkit.families import Multinomial
from emkit.models.plsa import PLSAModel


def corpus(seed=0, n_documents=60, n_words=40, n_topics=3):
    rng = np.random.default_rng(seed)
    topics = rng.dirichlet(np.full(n_words, 0.2), n_topics)
    proportions = rng.dirichlet(np.full(n_topics, 0.5), n_documents)
    X = np.vstack([rng.multinomial(rng.poisson(30) + 1, p @ topics) for p in proportions])
    X[7] = 0  # an empty document
    return X.astype(float)


def brute_force_plsa(X, topic_word, doc_topic, n_iter, beta=1.0, fixed_topics=False):
    # Hofmann's EM written over every (document, word, topic) triple, densely.
    history = []
    for _ in range(n_iter):
        joint = doc_topic[:, :, None] * topic_word[None, :, :]          # (D, Z, W)
        p_word = joint.sum(axis=1)                                      # (D, W)
        with np.errstate(divide="ignore"):
            history.append(float(np.sum(X * np.where(X > 0, np.log(p_word), 0.0))))
        tempered = joint ** beta
        total = tempered.sum(axis=1, keepdims=True)
        posterior = tempered / np.where(total > 0, total, 1.0)  # 0 where a word has p = 0
        expected = X[:, None, :] * posterior                             # (D, Z, W)
        if not fixed_topics:
            topic_word = expected.sum(axis=0)
            topic_word /= topic_word.sum(axis=1, keepdims=True)
        counts = expected.sum(axis=2)
        length = counts.sum(axis=1, keepdims=True)
        doc_topic = np.where(length > 0, counts / np.where(length > 0, length, 1), doc_topic)
    return topic_word, doc_topic, history


@pytest.mark.parametrize("beta", [1.0, 0.8])
def test_every_iteration_equals_dense_brute_force_em(beta):
    X = corpus()
    est = emkit.PLSA(3, beta=beta, max_iter=25, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(sparse.csr_matrix(X))
    start = PLSAModel.random(np.random.RandomState(0), *X.shape, 3)
    topic_word, doc_topic, history = brute_force_plsa(X, start.topic_word, start.doc_topic,
                                                      25, beta)
    per_document = np.asarray(history) / X.shape[0]
    np.testing.assert_allclose(est.lower_bounds_, per_document, rtol=1e-10)
    # The fit returns the model after the last M-step; the brute force too.
    np.testing.assert_allclose(est.components_, topic_word, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(est.doc_topic_, doc_topic, rtol=1e-10, atol=1e-14)
    if beta == 1.0:
        assert np.all(np.diff(est.lower_bounds_) >= -1e-12 * np.abs(est.lower_bounds_[1:]))


def test_fold_in_equals_a_fit_with_the_topics_fixed():
    X = corpus()
    est = emkit.PLSA(3, max_iter=200, tol=1e-10, random_state=1).fit(X[:40])
    new = X[40:]
    got = est.transform(sparse.csr_matrix(new))
    # Words no topic gives a positive probability (absent from X[:40]) are left out.
    new = new * (est.components_ > 0).any(axis=0)
    uniform = np.full((len(new), 3), 1 / 3)
    _, expected, history = brute_force_plsa(new, est.components_, uniform, 200,
                                            fixed_topics=True)
    # transform stops at tol; compare with the brute force run to the same point.
    assert np.all(np.diff(history) >= -1e-9)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)


def test_empty_document_keeps_its_start_and_adds_nothing():
    X = corpus()
    without = np.delete(X, 7, axis=0)
    est = emkit.PLSA(3, max_iter=5, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    start = PLSAModel.random(np.random.RandomState(0), *X.shape, 3)
    np.testing.assert_array_equal(est.doc_topic_[7], start.doc_topic[7])
    # Its log-likelihood is 0: the total equals the brute force over the other rows,
    # with the same starting proportions for them.
    _, _, history = brute_force_plsa(without, start.topic_word,
                                     np.delete(start.doc_topic, 7, axis=0), 5)
    np.testing.assert_allclose(np.asarray(est.lower_bounds_) * X.shape[0], history,
                               rtol=1e-10)


def test_more_starts_keep_the_best_and_squarem_reaches_the_same_optimum():
    X = sparse.csr_matrix(corpus(seed=3))
    single = emkit.PLSA(3, max_iter=3000, tol=1e-9, random_state=0).fit(X)
    fast = emkit.PLSA(3, max_iter=3000, tol=1e-9, random_state=0,
                      acceleration="squarem").fit(X)
    assert fast.lower_bound_ == pytest.approx(single.lower_bound_, rel=1e-6)
    assert fast.n_iter_ < single.n_iter_
    several = emkit.PLSA(3, max_iter=3000, tol=1e-9, random_state=0, n_init=3).fit(X)
    assert several.lower_bound_ >= single.lower_bound_ - 1e-9


@pytest.mark.parametrize("value, where", [(-1.0, "Row 2, column 5 holds the value -1.0"),
                                          (0.5, "Row 2, column 5 holds the value 0.5")])
def test_bad_counts_name_the_row_and_column(value, where):
    X = corpus()
    X[2, 5] = value
    if value < 0:
        with pytest.raises(ValueError, match="Negative values in data passed to PLSA: row 2, "
                                             "column 5 holds -1.0; give counts of 0 or more."):
            emkit.PLSA(2).fit(sparse.csr_matrix(X))
    with pytest.raises(ValueError, match="Multinomial family takes only non-negative integer"):
        emkit.MixtureModel(Multinomial(np.full((2, X.shape[1]), 1 / X.shape[1]))).fit(
            sparse.csr_matrix(X))


def test_transform_checks_the_vocabulary():
    est = emkit.PLSA(2, random_state=0, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(corpus())
    with pytest.raises(ValueError, match="X has 3 features, but PLSA is expecting 40"):
        est.transform(np.ones((2, 3)))
    np.testing.assert_array_equal(est.get_feature_names_out(), ["plsa0", "plsa1"])


def test_plsa_passes_scikit_learns_estimator_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_estimator(emkit.PLSA(2, max_iter=20, random_state=0))


def test_mixture_of_unigrams_on_sparse_counts_equals_the_dense_fit():
    X = corpus(seed=5, n_documents=300, n_words=200)
    rng = np.random.default_rng(0)
    start = Multinomial(rng.dirichlet(np.ones(200), 3))
    dense = emkit.MixtureModel(start, tol=1e-10, max_iter=300).fit(X)
    csr = emkit.MixtureModel(start, tol=1e-10, max_iter=300).fit(sparse.csr_matrix(X))
    csc = emkit.MixtureModel(start, tol=1e-10, max_iter=300).fit(sparse.csc_matrix(X))
    for fitted in (csr, csc):
        assert fitted.n_iter_ == dense.n_iter_
        np.testing.assert_allclose(fitted.lower_bounds_, dense.lower_bounds_, rtol=1e-12)
        np.testing.assert_allclose(fitted.components_.probs, dense.components_.probs,
                                   rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(fitted.predict_proba(sparse.csr_matrix(X)),
                                   dense.predict_proba(X), rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(fitted.score_samples(sparse.csr_matrix(X)),
                                   dense.score_samples(X), rtol=1e-12)
    # The empty document's log-likelihood is 0 under every component.
    assert dense.score_samples(X)[7] == 0.0


def test_reuters_corpus_and_its_topics():
    from emkit.datasets import load_reuters
    from emkit.plotting import plot_topics, top_words
    corpus = load_reuters()
    assert corpus.counts.shape == (395, 4258)
    assert corpus.counts.sum() == 84010
    assert corpus.vocabulary[:2].tolist() == ["church", "pope"]
    assert corpus.titles[2].startswith("2 INDIA: Mother Teresa")
    est = emkit.PLSA(6, max_iter=30, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(corpus.counts)
    words = top_words(est, corpus.vocabulary, 5)
    assert len(words) == 6 and all(len(w) == 5 for w in words)
    # Mother Teresa's stories make a topic: "teresa" is among someone's top words.
    assert any("teresa" in w for w in words)
    figure = plot_topics(est, corpus.vocabulary, n_words=5, columns=3)
    assert len([ax for ax in figure.axes if ax.has_data()]) == 6
    assert figure.axes[0].get_title() == "topic 0"


def test_synthetic_lda_corpus_has_its_stated_shape_and_truth():
    from emkit.datasets import make_lda_corpus
    X, topic_word, doc_topic = make_lda_corpus(200, 50, 4, doc_length=40, random_state=1)
    assert X.shape == (200, 50) and topic_word.shape == (4, 50) and doc_topic.shape == (200, 4)
    np.testing.assert_allclose(topic_word.sum(axis=1), 1.0)
    np.testing.assert_allclose(doc_topic.sum(axis=1), 1.0)
    assert abs(X.sum() / 200 - 40) < 3
    again, _, _ = make_lda_corpus(200, 50, 4, doc_length=40, random_state=1)
    assert (again != X).nnz == 0
    with pytest.raises(ValueError, match="n_topics must be a positive integer"):
        make_lda_corpus(10, 5, 0)


def test_a_corpus_without_words_is_refused():
    # It "converged" in two iterations to random topics with a log-likelihood of 0.
    from scipy import sparse

    for X in (np.zeros((5, 4)), sparse.csr_matrix((5, 4))):
        with pytest.raises(ValueError, match=r"^X holds no word \(every count is 0\), so "
                           r"PLSA has no topic to fit"):
            emkit.PLSA(2, random_state=0).fit(X)
