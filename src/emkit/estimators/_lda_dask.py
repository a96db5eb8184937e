"""LatentDirichletAllocation on Dask arrays: each block's E-step runs where the block lives.

A fit reads dense row blocks (checked and persisted by :func:`._dask.dask_source`); each
block's task makes its rows sparse and sums the model's chunk statistics, and the block
sums are added in a tree (:func:`emkit.engine.dask_source.tree_sum`). The documents'
random starts are those of the fit in memory: this process walks the draws in row order
(scikit-learn's order) and gives each block the random state at its first row, so a block
draws its own starts and only one block's draws are ever held here.
"""

from bisect import bisect_right
from functools import partial

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils import gen_even_slices
from sklearn.utils.validation import check_array, check_non_negative

from emkit.engine.loop import chunk_plan
from emkit.estimators._dask import as_array, dask_source
from emkit.estimators._input import short_array_errors
from emkit.models.lda import DocumentSource, as_csr, check_has_words, per_word_perplexity

__all__ = ["block_starts", "dask_bound", "dask_perplexity", "fit_dask"]


def _check_block(block, whom):
    # One dense block, checked as fit checks X in memory.
    with short_array_errors():
        block = check_array(block, dtype=[np.float64, np.float32], ensure_min_samples=0)
    check_non_negative(block, whom)
    return block


def _refuse_sparse_blocks(X):
    meta = getattr(X, "_meta", None)
    if meta is not None and not isinstance(meta, np.ndarray) and hasattr(meta, "tocsr"):
        raise TypeError("LatentDirichletAllocation reads Dask arrays of dense blocks; "
                        "make the blocks dense (X.map_blocks(lambda b: b.toarray())) or "
                        "fit the sparse matrix in memory.")


def block_starts(est, bounds, n_samples):
    """Return, for each block, the pieces ``(rows, state)`` its documents' starts come from.

    The draws are walked as :meth:`LatentDirichletAllocation._doc_starts` makes them
    (one stream with one job; each even slice from its own copy with several), cut at
    the block bounds; ``est.random_state_`` moves as it does in memory.

    Parameters
    ----------
    est : LatentDirichletAllocation
        The estimator being fitted.
    bounds : list of tuple of int
        The blocks' ``(start, stop)`` rows.
    n_samples : int
        Number of documents.

    Returns
    -------
    pieces : list of list of tuple
        Per block, ``(n_rows, state)``: draw ``n_rows`` starts from ``state``.
    """
    from emkit.estimators.lda import INIT_GAMMA, INIT_SCALE

    k, rng, n_jobs = est.n_components, est.random_state_, effective_n_jobs(est.n_jobs)
    slices = [slice(0, n_samples)] if n_jobs == 1 else list(gen_even_slices(n_samples, n_jobs))
    firsts = [start for start, _ in bounds]
    pieces = [[] for _ in bounds]
    for rows in slices:
        stream = rng
        if n_jobs != 1:
            stream = np.random.RandomState()
            stream.set_state(rng.get_state())
        position = rows.start
        while position < rows.stop:
            block = bisect_right(firsts, position) - 1
            end = min(rows.stop, bounds[block][1])
            pieces[block].append((end - position, stream.get_state()))
            stream.gamma(INIT_GAMMA, INIT_SCALE, (end - position, k))  # move past them
            position = end
    return pieces


def _draw(pieces, k, dtype):
    from emkit.estimators.lda import INIT_GAMMA, INIT_SCALE

    parts = []
    for rows, state in pieces:
        stream = np.random.RandomState()
        stream.set_state(state)
        parts.append(stream.gamma(INIT_GAMMA, INIT_SCALE, (rows, k)).astype(dtype, copy=False))
    return np.vstack(parts) if parts else np.empty((0, k), dtype)


def _block_total(model, block, pieces, plan):
    # One block's task: its documents sparse, its chunks summed on this worker thread.
    X = as_csr(block)
    if pieces is None:
        return DocumentSource(X, n_threads=1).map_reduce(model.chunk_bound, *plan)
    starts = _draw(pieces, model.n_components, block.dtype)
    return DocumentSource(X, starts, n_threads=1).map_reduce(model.chunk_stats, *plan)


def _total(model, X, plan, pieces, address):
    import dask

    from emkit.engine.dask_source import compute, tree_sum

    shared = dask.delayed(model)  # one key: the model travels to each worker once
    parts = [dask.delayed(_block_total, pure=True)(
        shared, block, None if pieces is None else pieces[i], plan)
        for i, block in enumerate(X.to_delayed().ravel())]
    return compute(tree_sum(parts), address=address)


def fit_dask(est, X):
    """Fit ``est`` (batch variational Bayes) on a Dask array of dense blocks.

    Parameters
    ----------
    est : LatentDirichletAllocation
        The estimator; its fitted attributes are set.
    X : dask.array.Array or dask.dataframe.DataFrame
        Document word counts.
    """
    if est.learning_method == "online":
        raise TypeError("learning_method='online' streams batches in memory; fit a Dask "
                        "array with learning_method='batch', or call partial_fit on "
                        "computed batches.")
    _refuse_sparse_blocks(X)
    whom = "LatentDirichletAllocation.fit"
    source, names = dask_source(X, partial(_check_block, whom=whom))
    est.n_features_in_ = int(source.X.shape[1])
    if names is not None:
        est.feature_names_in_ = names
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    data, n_samples, bounds = source.X, source.n_samples, source.chunks()
    sample = source.start_source().X if est.init == "kmeans" else None
    est._init_latent_vars(est.n_features_in_, dtype=data.dtype, X=sample,
                          n_documents=n_samples)
    model = est._model()
    plan = chunk_plan(model, DocumentSource(as_csr(source.sample_rows())))

    def step(model):
        pieces = block_starts(est, bounds, n_samples)
        stats = _total(model, data, plan, pieces, source.address)
        est.n_batch_iter_ += 1
        return model.m_step(stats)

    def perplexity(model):
        bound = _total(model, data, plan, None, source.address)
        return per_word_perplexity(bound.log_likelihood + model.topic_word_bound(),
                                   bound.n_words)

    model = est._passes(model, step, perplexity)
    est._set_model(model)
    est.bound_ = perplexity(model)


def _block_bound(est, whom, block):
    # The documents' part of the bound of one block, and its words.
    if block.shape[1] != est.n_features_in_:
        raise ValueError(f"X has {block.shape[1]} features, but LatentDirichletAllocation "
                         f"is expecting {est.n_features_in_} features as input.")
    X = as_csr(_check_block(block, whom))
    bound = DocumentSource(X).map_reduce(est._model().chunk_bound,
                                         *chunk_plan(est._model(), DocumentSource(X)))
    return np.array([bound.log_likelihood, bound.n_words, bound.n_docs])


def dask_bound(est, X, whom):
    """Return the variational bound of Dask data, its words and documents.

    Parameters
    ----------
    est : LatentDirichletAllocation
        A fitted estimator.
    X : dask.array.Array or dask.dataframe.DataFrame
        Document word counts.
    whom : str
        The method, for the message on negative counts.

    Returns
    -------
    bound : float
        The documents' part plus the topics' part.
    doc_part : float
        The documents' part alone.
    n_words : float
    n_docs : float
    """
    import dask

    from emkit.engine.dask_source import compute, tree_sum

    _refuse_sparse_blocks(X)
    X, _ = as_array(X)
    call = partial(_block_bound, est, whom)
    parts = [dask.delayed(call, pure=True)(block) for block in X.to_delayed().ravel()]
    doc, words, docs = compute(tree_sum(parts))
    return doc + est._model().topic_word_bound(), doc, words, docs


def dask_perplexity(est, X, sub_sampling=False):
    """Return the perplexity of Dask data (see ``LatentDirichletAllocation.perplexity``).

    Parameters
    ----------
    est : LatentDirichletAllocation
        A fitted estimator.
    X : dask.array.Array or dask.dataframe.DataFrame
        Document word counts.
    sub_sampling : bool, default=False
        Scale the documents' part and the words to ``total_samples``.

    Returns
    -------
    perplexity : float
    """
    _, doc, words, docs = dask_bound(est, X, "LatentDirichletAllocation.perplexity")
    check_has_words(words)
    ratio = float(est.total_samples) / docs if sub_sampling else 1.0
    bound = doc * ratio + est._model().topic_word_bound()
    return per_word_perplexity(bound, words * ratio)
