"""LatentDirichletAllocation against scikit-learn's, run side by side from the same seed, and
its kernels against scikit-learn's per-document loop, numpy and scipy."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.special import digamma, logsumexp
from sklearn.decomposition import LatentDirichletAllocation as SkLDA
from sklearn.decomposition._lda import _update_doc_distribution
from sklearn.decomposition._online_lda_fast import _dirichlet_expectation_2d
from sklearn.utils.estimator_checks import check_estimator

import emkit
from emkit.engine.loop import e_step
from emkit.engine.online import OnlineState, online_update
from emkit.models import lda_kernels
from emkit.models.lda import LDA, DocumentSource

PARITY = 1e-6  # the tolerance; the paths agree to about 1e-12


def corpus(seed=0, n_docs=120, n_words=60, n_topics=4, length=40):
    # Documents drawn from LDA's generative model, as CSR counts, with one empty document.
    rng = np.random.default_rng(seed)
    topics = rng.dirichlet(np.full(n_words, 0.1), n_topics)
    theta = rng.dirichlet(np.full(n_topics, 0.3), n_docs)
    X = np.vstack([rng.multinomial(rng.poisson(length) + 1, t @ topics) for t in theta])
    X[5] = 0
    return sparse.csr_matrix(X.astype(np.float64))


def pair(**params):
    return emkit.LatentDirichletAllocation(**params), SkLDA(**params)


def assert_same_fit(ours, theirs, X):
    assert_allclose(ours.components_, theirs.components_, rtol=PARITY)
    assert_allclose(ours.exp_dirichlet_component_, theirs.exp_dirichlet_component_,
                    rtol=PARITY)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.n_batch_iter_ == theirs.n_batch_iter_
    assert ours.doc_topic_prior_ == theirs.doc_topic_prior_
    assert ours.topic_word_prior_ == theirs.topic_word_prior_
    if hasattr(theirs, "bound_"):
        assert_allclose(ours.bound_, theirs.bound_, rtol=PARITY)
    assert_allclose(ours.perplexity(X), theirs.perplexity(X), rtol=PARITY)
    assert_allclose(ours.score(X), theirs.score(X), rtol=PARITY)
    assert_allclose(ours.transform(X), theirs.transform(X), rtol=PARITY, atol=1e-12)
    assert_allclose(ours.perplexity(X, sub_sampling=True),
                    theirs.perplexity(X, sub_sampling=True), rtol=PARITY)


# --- scikit-learn's path -------------------------------------------------------------

@pytest.mark.parametrize("dense", [False, True])
def test_batch_fit_follows_sklearn_path(seed, dense):
    X = corpus(seed)
    ours, theirs = pair(n_components=4, max_iter=10, evaluate_every=-1, random_state=seed)
    data = X.toarray() if dense else X
    ours.fit(data)
    theirs.fit(data)
    assert ours.n_iter_ == 10 and ours.n_batch_iter_ == 11
    assert_same_fit(ours, theirs, X)


def test_online_fit_follows_sklearn_path(seed):
    X = corpus(seed)
    ours, theirs = pair(n_components=4, max_iter=5, learning_method="online", batch_size=32,
                        learning_offset=5.0, learning_decay=0.6, random_state=seed)
    ours.fit(X)
    theirs.fit(X)
    assert ours.n_batch_iter_ == 1 + 5 * 4
    assert_same_fit(ours, theirs, X)


def test_partial_fit_calls_follow_sklearn_path(seed):
    X = corpus(seed)
    ours, theirs = pair(n_components=4, batch_size=50, total_samples=500, random_state=seed)
    for start in (0, 40, 80, 0):
        ours.partial_fit(X[start:start + 70])
        theirs.partial_fit(X[start:start + 70])
        assert_allclose(ours.components_, theirs.components_, rtol=PARITY)
    assert ours.n_batch_iter_ == theirs.n_batch_iter_ == 1 + 2 + 2 + 1 + 2  # X[80:] has 40
    assert_same_fit(ours, theirs, X)


def test_partial_fit_after_fit_continues_as_sklearn(seed):
    X = corpus(seed)
    ours, theirs = pair(n_components=3, max_iter=3, random_state=seed)
    for est in (ours, theirs):
        est.fit(X)
        est.partial_fit(X[:60])
    assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("evaluate_every,perp_tol", [(1, 1e-1), (2, 5.0), (1, 50.0)])
def test_evaluate_every_and_perp_tol_stop_where_sklearn_stops(evaluate_every, perp_tol):
    X = corpus(1)
    ours, theirs = pair(n_components=4, max_iter=20, evaluate_every=evaluate_every,
                        perp_tol=perp_tol, random_state=0)
    ours.fit(X)
    theirs.fit(X)
    assert ours.n_iter_ < 20
    assert_same_fit(ours, theirs, X)


def test_n_jobs_splits_the_random_starts_as_sklearn_jobs_draw_them():
    # scikit-learn's jobs draw their slices' starts from copies of random_state_.
    X = corpus(2, n_docs=50)
    ours, theirs = pair(n_components=3, max_iter=4, n_jobs=2, random_state=0)
    ours.fit(X)
    theirs.fit(X)
    assert_same_fit(ours, theirs, X)
    single = emkit.LatentDirichletAllocation(n_components=3, max_iter=4, random_state=0).fit(X)
    assert np.abs(single.components_ - ours.components_).max() > 1e-3


def test_random_state_instance_moves_as_sklearn_moves_it():
    X = corpus(3)
    ours_rng, theirs_rng = np.random.RandomState(7), np.random.RandomState(7)
    ours = emkit.LatentDirichletAllocation(n_components=3, max_iter=2, random_state=ours_rng)
    theirs = SkLDA(n_components=3, max_iter=2, random_state=theirs_rng)
    for _ in range(2):  # the second fit continues the same stream
        ours.fit(X)
        theirs.fit(X)
        assert_allclose(ours.components_, theirs.components_, rtol=PARITY)
    assert ours_rng.randint(1 << 30) == theirs_rng.randint(1 << 30)


def test_float32_keeps_its_dtype_and_matches_sklearn(seed):
    X = corpus(seed).astype(np.float32)
    ours, theirs = pair(n_components=4, max_iter=5, random_state=seed)
    ours.fit(X)
    theirs.fit(X)
    assert ours.components_.dtype == np.float32
    assert ours.exp_dirichlet_component_.dtype == np.float32
    assert ours.transform(X).dtype == np.float32
    # scikit-learn computes in float32; emkit in float64 from the same float32 starts.
    assert_allclose(ours.components_, theirs.components_, rtol=1e-3)
    assert_allclose(ours.perplexity(X), theirs.perplexity(X), rtol=1e-4)


def test_fit_transform_equals_sklearn_and_transform_normalize():
    X = corpus(4)
    ours, theirs = pair(n_components=4, random_state=1)
    assert_allclose(ours.fit_transform(X), theirs.fit_transform(X), rtol=PARITY, atol=1e-12)
    raw = ours.transform(X, normalize=False)
    assert_allclose(raw, theirs.transform(X, normalize=False), rtol=PARITY)
    assert_allclose(raw / raw.sum(axis=1, keepdims=True), ours.transform(X), rtol=1e-14)
    assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())


def test_verbose_lines_equal_sklearn(capsys):
    X = corpus(0)
    ours, theirs = pair(n_components=3, max_iter=3, verbose=1, evaluate_every=2,
                        random_state=0)
    theirs.fit(X)
    expected = capsys.readouterr().out
    ours.fit(X)
    assert capsys.readouterr().out == expected


# --- messages ------------------------------------------------------------------------

def _message(call):
    with pytest.raises(Exception) as info:
        call()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("method", ["fit", "partial_fit", "transform", "score", "perplexity"])
def test_negative_counts_raise_sklearn_message(method):
    X = corpus(0)
    bad = X.toarray()
    bad[3, 4] = -1.0
    ours, theirs = pair(n_components=3, max_iter=1, random_state=0)
    if method not in ("fit", "partial_fit"):
        ours.fit(X)
        theirs.fit(X)
    assert _message(lambda: getattr(ours, method)(bad)) == _message(
        lambda: getattr(theirs, method)(bad))


@pytest.mark.parametrize("method", ["transform", "partial_fit", "score"])
def test_wrong_number_of_words_raises_sklearn_message(method):
    X = corpus(0)
    ours, theirs = pair(n_components=3, max_iter=1, random_state=0)
    ours.fit(X)
    theirs.fit(X)
    assert _message(lambda: getattr(ours, method)(X[:, :10])) == _message(
        lambda: getattr(theirs, method)(X[:, :10]))


@pytest.mark.parametrize("params", [{"n_components": 0}, {"learning_method": "stochastic"},
                                    {"doc_topic_prior": 2.0}, {"batch_size": 0},
                                    {"evaluate_every": 0.5}, {"learning_offset": 0.5}])
def test_invalid_parameters_raise_sklearn_message(params):
    X = corpus(0)
    ours, theirs = pair(**params)
    assert _message(lambda: ours.fit(X)) == _message(lambda: theirs.fit(X))


@pytest.mark.parametrize("prior", ["doc_topic_prior", "topic_word_prior"])
@pytest.mark.parametrize("method", ["batch", "online", "partial_fit"])
def test_a_prior_of_zero_is_refused_before_any_update(prior, method):
    # scikit-learn's range [0, 1] takes 0, and its bound and perplexity come out NaN
    # (its Dirichlet's log-normalizer is gammaln(0) - V gammaln(0)); emkit's kernels
    # divided by it. A prior of 1e-300 still fits as scikit-learn's does.
    X = corpus(0)
    theirs = SkLDA(n_components=3, learning_method="online", max_iter=2, random_state=0,
                   **{prior: 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(theirs.fit(X).bound_)
    ours = emkit.LatentDirichletAllocation(
        n_components=3, learning_method="online" if method == "online" else "batch",
        max_iter=2, random_state=0, **{prior: 0.0})
    sentence = (rf"^{prior}=0 is a Dirichlet prior with no density, so the variational "
                r"bound is undefined; give it a positive value \(None is 1 / n_components\)\.$")
    with pytest.raises(ValueError, match=sentence):
        ours.partial_fit(X) if method == "partial_fit" else ours.fit(X)
    assert not hasattr(ours, "components_")
    tiny = dict(n_components=3, max_iter=2, random_state=0, **{prior: 1e-300})
    assert_allclose(emkit.LatentDirichletAllocation(**tiny).fit(X).components_,
                    SkLDA(**tiny).fit(X).components_, rtol=1e-9)


def test_unfitted_and_nan_messages_equal_sklearn():
    X = corpus(0)
    ours, theirs = pair(n_components=3)
    for method in ("transform", "score", "perplexity"):
        assert _message(lambda: getattr(ours, method)(X)) == _message(
            lambda: getattr(theirs, method)(X))
    nan = X.toarray()
    nan[0, 0] = np.nan
    assert _message(lambda: ours.fit(nan)) == _message(lambda: theirs.fit(nan))


def test_failed_fit_leaves_the_estimator_as_it_was():
    X = corpus(0)
    est = emkit.LatentDirichletAllocation(n_components=3, max_iter=2, random_state=0).fit(X)
    before = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in vars(est).items()
              if k != "random_state_"}
    with pytest.raises(ValueError):
        est.partial_fit(-X)
    with pytest.raises(ValueError):
        est.fit(-X)
    for name, value in before.items():
        assert_array_equal(getattr(est, name), value)


# --- threads and chunks --------------------------------------------------------------

def test_same_fit_for_one_and_two_threads():
    X = corpus(5, n_docs=300)
    fits = []
    for threads in (1, 2):
        with emkit.config_context(n_threads=threads, chunk_size=37):
            fits.append(emkit.LatentDirichletAllocation(
                n_components=4, max_iter=5, evaluate_every=2, random_state=0).fit(X))
    # The same chunks, summed in chunk order: the same bits.
    assert_array_equal(fits[0].components_, fits[1].components_)
    assert fits[0].bound_ == fits[1].bound_
    with emkit.config_context(n_threads=2, chunk_size=37):
        two = fits[1].transform(X)
    assert_array_equal(fits[0].transform(X), two)
    # Automatic chunks (sized by the thread count) differ only in the order of the sums.
    with emkit.config_context(n_threads=2):
        auto = emkit.LatentDirichletAllocation(n_components=4, max_iter=5,
                                               random_state=0).fit(X)
    assert_allclose(auto.components_, fits[0].components_, rtol=1e-12)


def test_chunk_statistics_add_over_chunks():
    X = corpus(6)
    rng = np.random.RandomState(0)
    model = LDA(rng.gamma(100, 0.01, (4, X.shape[1])), 0.25, 0.1)
    starts = rng.gamma(100, 0.01, (X.shape[0], 4))
    whole = model.chunk_stats(X, doc_topic_init=starts)
    halves = (model.chunk_stats(X[:53], doc_topic_init=starts[:53])
              + model.chunk_stats(X[53:], doc_topic_init=starts[53:]))
    assert_allclose(halves.topic_word, whole.topic_word, rtol=1e-13)
    assert_allclose(halves.log_likelihood, whole.log_likelihood, rtol=1e-13)
    assert halves.n_docs == whole.n_docs == X.shape[0]
    assert halves.n_words == whole.n_words == X.sum()
    by_source = e_step(model, DocumentSource(X, starts, chunk_size=1, n_threads=2))
    assert_allclose(by_source.topic_word, whole.topic_word, rtol=1e-13)
    assert_allclose(model.m_step(whole).components, 0.1 + whole.topic_word, rtol=0)


def test_chunk_log_likelihood_is_the_documents_bound():
    # Started at ones, the E-step's log_likelihood is the documents' part of the bound
    # that score computes, up to the eps floor of each word's normalizer.
    X = corpus(7)
    model = LDA(np.random.RandomState(1).gamma(100, 0.01, (4, X.shape[1])), 0.25, 0.25)
    stats = model.chunk_stats(X)
    bound = model.chunk_bound(X)
    assert_allclose(stats.log_likelihood, bound.log_likelihood, rtol=1e-12)


def test_online_update_is_hoffmans_blend():
    X = corpus(8)
    rng = np.random.RandomState(2)
    model = LDA(rng.gamma(100, 0.01, (4, X.shape[1])), 0.25, 0.1)
    starts = rng.gamma(100, 0.01, (40, 4))
    batch = DocumentSource(X[:40], starts)
    state = OnlineState(model.running_stats(), 3)  # scikit-learn's n_batch_iter_ = 4
    new, state, _ = online_update(model, batch, state, total_samples=1000,
                                  learning_offset=10.0, learning_decay=0.7)
    rho = (10.0 + 4) ** -0.7
    counts = model.chunk_stats(X[:40], doc_topic_init=starts).topic_word
    expected = (1 - rho) * model.components + rho * (0.1 + 1000 / 40 * counts)
    assert_allclose(new.components, expected, rtol=1e-13)
    assert state.n_batch_iter == 4


# --- kernels -------------------------------------------------------------------------

def _docs_and_topics(seed=0, n_docs=80, n_words=50, k=5):
    X = corpus(seed, n_docs=n_docs, n_words=n_words)
    rng = np.random.RandomState(seed)
    lam = rng.gamma(100, 0.01, (k, n_words))
    return X, lam, rng.gamma(100, 0.01, (n_docs, k))


@pytest.mark.parametrize("max_iter", [0, 1, 100])
def test_compiled_kernel_equals_numpy_fallback(max_iter):
    X, lam, starts = _docs_and_topics()
    beta_t = np.ascontiguousarray(np.exp(lda_kernels.dirichlet_expectation(lam)).T)
    results = []
    for compiled in (True, False):
        gamma, stats_t = starts.copy(), np.zeros_like(beta_t)
        word_ll = np.zeros(X.shape[0])
        lda_kernels.doc_topics(X.indptr, X.indices, X.data, beta_t, gamma, 0.2, max_iter,
                               1e-3, np.finfo(float).eps, stats_t, word_ll,
                               compiled=compiled)
        results.append((gamma, stats_t, word_ll))
    for fast, slow in zip(*results):
        assert_allclose(fast, slow, rtol=1e-12, atol=1e-300)
    log_theta = lda_kernels.dirichlet_expectation(results[0][0])
    log_beta_t = np.ascontiguousarray(lda_kernels.dirichlet_expectation(lam).T)
    terms = [lda_kernels.word_bound(X.indptr, X.indices, X.data, log_theta, log_beta_t,
                                    compiled=c) for c in (True, False)]
    assert_allclose(terms[0], terms[1], rtol=1e-12)


def test_fit_without_numba_equals_compiled_fit(monkeypatch):
    X = corpus(10)
    params = dict(n_components=4, max_iter=4, evaluate_every=2, random_state=0)
    fast = emkit.LatentDirichletAllocation(**params).fit(X)
    monkeypatch.setattr(lda_kernels, "HAVE_NUMBA", False)
    slow = emkit.LatentDirichletAllocation(**params).fit(X)
    assert_allclose(slow.components_, fast.components_, rtol=1e-10)
    assert_allclose(slow.bound_, fast.bound_, rtol=1e-12)
    assert_allclose(slow.transform(X), fast.transform(X), rtol=1e-10, atol=1e-14)


def test_kernel_python_source_equals_compiled():
    # The compiled kernel's own Python source (what runs without numba), on a few docs.
    X, lam, starts = _docs_and_topics(n_docs=6)
    beta_t = np.ascontiguousarray(np.exp(lda_kernels.dirichlet_expectation(lam)).T)
    out = []
    for run in (lda_kernels._doc_topics, lda_kernels._doc_topics.py_func):
        gamma, stats_t, word_ll = starts.copy(), np.zeros_like(beta_t), np.zeros(6)
        run(X.indptr, X.indices, X.data, beta_t, gamma, 0.2, 100, 1e-3, 2e-16, stats_t,
            word_ll)
        out.append((gamma, stats_t, word_ll))
    for fast, slow in zip(*out):
        assert_allclose(fast, slow, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("exponentiate", [False, True])
def test_topic_expectation_kernel_equals_numpy_and_sklearn(exponentiate):
    lam = np.random.RandomState(5).gamma(0.5, 2.0, (6, 300)) + 1e-3
    compiled = lda_kernels.topic_expectation_t(lam, exponentiate)
    fallback = lda_kernels.topic_expectation_t(lam, exponentiate, compiled=False)
    assert compiled.shape == (300, 6) and compiled.flags.c_contiguous
    assert_allclose(compiled, fallback, rtol=1e-13)
    expected = _dirichlet_expectation_2d(lam)
    # psi near -300 differs by an ulp (6e-14) from scikit-learn's: exp by that, relative.
    assert_allclose(compiled.T, np.exp(expected) if exponentiate else expected, rtol=1e-12)
    python = np.empty_like(compiled)
    lda_kernels._dirichlet_expectation_t.py_func(np.ascontiguousarray(lam.T), python,
                                                 exponentiate)
    # Scalar exp (math.exp) against a vector one (numba's, or numpy's without numba): a
    # few ulps apart, as libm and SIMD kernels may be on any processor.
    assert_allclose(python, compiled, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_e_step_equals_sklearn_per_document_loop(dtype):
    X, lam, _ = _docs_and_topics(3)
    X = X.astype(dtype)
    beta = np.exp(_dirichlet_expectation_2d(lam))
    model = LDA(lam, 0.2, 0.2, eps=float(np.finfo(dtype).eps))
    for compiled in (True, False):
        model = LDA(lam, 0.2, 0.2, eps=float(np.finfo(dtype).eps), compiled=compiled)
        _, theirs = _update_doc_distribution(X, beta.astype(dtype), 0.2, 100, 1e-3, True,
                                             np.random.RandomState(4))
        starts = np.random.RandomState(4).gamma(100, 0.01, (X.shape[0], 5)).astype(dtype)
        ours = model.chunk_stats(X, doc_topic_init=starts).topic_word
        rtol = 1e-12 if dtype == np.float64 else 1e-4
        assert_allclose(ours, theirs * beta, rtol=rtol, atol=1e-6 if rtol > 1e-6 else 0)


def test_psi_is_sklearns_approximation_of_digamma():
    x = np.concatenate([np.logspace(-100, 10, 2000), [1e-6, 1.5e-6, 5.999999, 6.0]])
    ours = lda_kernels.psi_array(x)
    scalar = np.array([lda_kernels.psi.py_func(v) for v in x])
    assert_array_equal(ours, scalar)
    assert_allclose(ours, digamma(x), rtol=1e-11, atol=3e-9)
    matrix = np.random.RandomState(0).gamma(2.0, 1.0, (30, 40)) + 1e-3
    assert_allclose(lda_kernels.dirichlet_expectation(matrix),
                    _dirichlet_expectation_2d(matrix), rtol=1e-14, atol=1e-14)


def test_exp_psi_and_the_compiled_row_expectation_equal_psi():
    x = np.concatenate([np.logspace(-2.5, 8, 3000), [5.999999, 6.0]])  # exp(psi) normal
    # exp of a psi near -300 carries psi's rounding (3e-14 absolute) as relative error.
    direct = np.exp(lda_kernels.psi_array(x))
    assert_allclose([lda_kernels.exp_psi(v) for v in x], direct, rtol=1e-13)
    assert_allclose([lda_kernels.exp_psi.py_func(v) for v in x], direct, rtol=1e-13)
    matrix = np.random.RandomState(1).gamma(0.5, 2.0, (50, 7)) + 1e-4
    assert_allclose(lda_kernels.dirichlet_expectation(matrix, compiled=True),
                    lda_kernels.dirichlet_expectation(matrix), rtol=1e-14, atol=1e-14)


def test_word_bound_against_scipy_logsumexp():
    X, lam, starts = _docs_and_topics(4)
    log_theta = lda_kernels.dirichlet_expectation(starts)
    log_beta = lda_kernels.dirichlet_expectation(lam)
    dense = X.toarray()
    expected = [sum(dense[d, w] * logsumexp(log_theta[d] + log_beta[:, w])
                    for w in np.flatnonzero(dense[d])) for d in range(len(dense))]
    got = lda_kernels.word_bound(X.indptr, X.indices, X.data, log_theta,
                                 np.ascontiguousarray(log_beta.T))
    assert_allclose(got, expected, rtol=1e-13)


# --- scikit-learn's checks and Dask ------------------------------------------------

def test_check_estimator_reports_no_failure():
    results = check_estimator(emkit.LatentDirichletAllocation(), on_fail=None, on_skip=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert len(results) > 40 and failed == []


def test_dask_fit_equals_in_memory_fit():
    da = pytest.importorskip("dask.array")
    X = corpus(9, n_docs=150)
    dense = X.toarray()
    for n_jobs in (None, 2):
        memory = emkit.LatentDirichletAllocation(n_components=4, max_iter=4, evaluate_every=2,
                                                 n_jobs=n_jobs, random_state=0).fit(X)
        on_dask = emkit.LatentDirichletAllocation(n_components=4, max_iter=4,
                                                  evaluate_every=2, n_jobs=n_jobs,
                                                  random_state=0)
        on_dask.fit(da.from_array(dense, chunks=(40, -1)))
        assert_allclose(on_dask.components_, memory.components_, rtol=1e-12)
        assert_allclose(on_dask.bound_, memory.bound_, rtol=1e-12)
        assert on_dask.n_iter_ == memory.n_iter_ and on_dask.n_batch_iter_ == 5
    blocks = da.from_array(dense, chunks=(33, -1))
    assert_allclose(on_dask.transform(blocks).compute(), memory.transform(X), rtol=1e-12)
    assert_allclose(on_dask.score(blocks), memory.score(X), rtol=1e-12)
    assert_allclose(on_dask.perplexity(blocks, sub_sampling=True),
                    memory.perplexity(X, sub_sampling=True), rtol=1e-12)


def test_dask_refusals_are_one_sentence():
    da = pytest.importorskip("dask.array")
    X = da.from_array(corpus(0).toarray(), chunks=(50, -1))
    with pytest.raises(TypeError, match="learning_method='batch'"):
        emkit.LatentDirichletAllocation(learning_method="online").fit(X)
    with pytest.raises(TypeError, match="computed"):
        emkit.LatentDirichletAllocation().partial_fit(X)
    bad = X.copy()
    bad[0, 0] = -1.0
    with pytest.raises(ValueError, match="^Negative values in data passed to "
                                         "LatentDirichletAllocation.fit"):
        emkit.LatentDirichletAllocation().fit(bad)


def test_a_loaded_model_goes_on_with_partial_fit(tmp_path):
    LatentDirichletAllocation = emkit.LatentDirichletAllocation
    from emkit.datasets import make_lda_corpus
    from emkit.io import load, save
    counts, _, _ = make_lda_corpus(120, 40, 3, random_state=4)
    model = LatentDirichletAllocation(3, learning_method="online", max_iter=2, random_state=0)
    model.fit(counts)
    save(model, tmp_path / "lda.emkit")
    loaded = load(tmp_path / "lda.emkit")
    np.testing.assert_allclose(loaded.transform(counts[:5]), model.transform(counts[:5]),
                               rtol=1e-12)
    before = loaded.n_batch_iter_
    loaded.partial_fit(counts[:60])
    assert loaded.n_batch_iter_ == before + 1
    assert np.isfinite(loaded.components_).all()


def test_a_corpus_without_words_fits_quietly_and_its_perplexity_is_refused():
    # scikit-learn divides by the zero word count (a RuntimeWarning, then NaN); emkit's
    # bound_ is NaN without a warning, and perplexity() says why it has no value.
    empty = np.zeros((5, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = emkit.LatentDirichletAllocation(n_components=2, max_iter=5, evaluate_every=1,
                                              random_state=0).fit(empty)
    assert np.isnan(est.bound_)
    assert_allclose(est.components_.sum(axis=0), np.ones(4))
    with pytest.raises(ValueError, match=r"^X holds no word \(every count is 0\)"):
        est.perplexity(empty)
    words = corpus(0, n_docs=20)
    fitted = emkit.LatentDirichletAllocation(n_components=2, max_iter=3,
                                             random_state=0).fit(words)
    assert_allclose(fitted.perplexity(words),
                    np.exp(-fitted.score(words) / words.sum()), rtol=1e-12)


def test_dask_corpus_without_words_fits_quietly_and_its_perplexity_is_refused():
    da = pytest.importorskip("dask.array")
    empty = da.from_array(np.zeros((6, 4)), chunks=(3, -1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = emkit.LatentDirichletAllocation(n_components=2, max_iter=3, evaluate_every=1,
                                              random_state=0).fit(empty)
    assert np.isnan(est.bound_)
    with pytest.raises(ValueError, match=r"^X holds no word"):
        est.perplexity(empty)
