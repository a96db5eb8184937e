"""``emkit.LatentDirichletAllocation``: a drop-in for scikit-learn's, on emkit's engine.

The same parameters, defaults, attributes, methods, messages and random draws as
``sklearn.decomposition.LatentDirichletAllocation`` (1.9), so that from the same
``random_state`` a fit follows scikit-learn's path. The E-step is the model's chunk
statistics (:mod:`emkit.models.lda`): compiled per-document updates on CSR rows, chunks
on the engine's threads, summed in chunk order. scikit-learn's own loop rules decide when
a fit stops (``max_iter`` passes, the perplexity every ``evaluate_every`` passes against
``perp_tol``), so this estimator runs the passes itself, through the engine's
``e_step``, rather than the engine's likelihood-tolerance loop. Its online updates are
the engine's online EM blend kept lazily (:mod:`emkit.models.lda_online`), so that a
mini-batch costs its own words, not the whole vocabulary.
"""

from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                          _fit_context)
from sklearn.utils import check_random_state, gen_batches, gen_even_slices
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from emkit.engine.loop import chunk_plan, e_step
from emkit.engine.online import step_size
from emkit.estimators._dask import blockwise, is_dask
from emkit.estimators._input import check_sparse_structure, short_array_errors
from emkit.models.lda import (LDA, DocumentSource, as_csr, check_has_words,
                              per_word_perplexity)
from emkit.models.lda_init import cluster_topics
from emkit.models.lda_online import OnlineTopics, batch_vocabulary

__all__ = ["LatentDirichletAllocation"]

#: Shape and scale of scikit-learn's gamma draws of topics and of documents' starts.
INIT_GAMMA, INIT_SCALE = 100.0, 0.01


class LatentDirichletAllocation(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                                BaseEstimator):
    """Latent Dirichlet allocation with (online) variational Bayes.

    A drop-in replacement for ``sklearn.decomposition.LatentDirichletAllocation``: the
    same parameters, attributes, methods and messages, and the same random draws, so a
    fit from the same ``random_state`` follows scikit-learn's path. Each document's
    variational updates are compiled (numba, the ``fast`` extra; vectorized numpy
    without it) and run on the engine's threads (:func:`emkit.config_context`), chunks
    summed in order; the corpus stays sparse. Differences: the statistics are computed
    in float64 for float32 data too (the fitted attributes keep the data's dtype);
    ``n_jobs`` does not start processes, it only splits the random starts of the
    documents as scikit-learn's jobs draw them (each of ``n_jobs`` even slices from a
    copy of ``random_state_``, which then does not move), so that the numbers match;
    ``perplexity`` checks X's columns against the fit's instead of resetting
    ``n_features_in_``. ``fit`` also takes a Dask array (dense blocks, batch method).

    Parameters
    ----------
    n_components : int, default=10
        Number of topics.
    doc_topic_prior : float, default=None
        Prior of the document topic distribution ``theta`` (``alpha``); None is
        ``1 / n_components``.
    topic_word_prior : float, default=None
        Prior of the topic word distribution ``beta`` (``eta``); None is
        ``1 / n_components``.
    learning_method : {'batch', 'online'}, default='batch'
        How ``fit`` updates ``components_``: 'batch' uses every document in each
        update; 'online' updates from mini-batches of ``batch_size`` documents,
        ``components_ = (1 - rho) components_ + rho (eta + n_samples / batch size *
        counts)`` with ``rho = (learning_offset + n_batch_iter_) ** -learning_decay``.
    learning_decay : float, default=0.7
        Exponent of the online step (``kappa``); in (0.5, 1] the estimate converges.
    learning_offset : float, default=10.0
        Positive offset of the online step that down-weights early updates (``tau_0``).
    max_iter : int, default=10
        Maximum number of passes over the data in ``fit`` (not ``partial_fit``).
    batch_size : int, default=128
        Documents per online update.
    evaluate_every : int, default=-1
        Evaluate the perplexity every this many passes of ``fit`` (0 or negative:
        never); a change below ``perp_tol`` stops the fit.
    total_samples : float, default=1e6
        Total number of documents, for ``partial_fit``'s scaling.
    perp_tol : float, default=1e-1
        Perplexity tolerance, used when ``evaluate_every`` is positive.
    mean_change_tol : float, default=1e-3
        A document's updates in an E-step stop when the mean absolute change of its
        topic parameters is below this.
    max_doc_update_iter : int, default=100
        Most updates of one document in an E-step.
    n_jobs : int, default=None
        How scikit-learn would split the E-step into jobs (None: 1, -1: every core);
        here it only splits the documents' random starts the same way (see above). The
        E-step runs on the engine's threads whatever it is.
    verbose : int, default=0
        Print one line per pass (with the perplexity when it is evaluated).
    random_state : int, RandomState instance or None, default=None
        Seed of the topics' start and of the documents' starts in each E-step.
    init : {'random', 'kmeans'}, default='random'
        The topics' start. 'random' draws them as scikit-learn does (so that a fit
        follows scikit-learn's path). 'kmeans' adds to those draws the word counts of
        ``n_components`` clusters of the documents (k-means, ten restarts, on the
        documents' square-rooted word proportions projected on their ``2 *
        n_components`` leading singular vectors; a uniform sample of at most 20,000
        documents, counts scaled to the corpus): random starts often end with two
        topics merged and another split, clustered ones far less often (see
        :mod:`emkit.models.lda_init`). It costs a truncated SVD and k-means of the
        sample, typically a few passes' time. ``partial_fit`` clusters its first batch;
        a Dask fit, the engine's start sample of rows.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Variational parameters of the topic word distributions (``lambda``): pseudo
        counts of each word in each topic.
    exp_dirichlet_component_ : ndarray of shape (n_components, n_features)
        ``exp(E[log beta])``.
    n_batch_iter_ : int
        Number of EM steps, plus one (scikit-learn's count).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when ``X`` had string column names.
    n_iter_ : int
        Number of passes over the data.
    bound_ : float
        Final perplexity on the training set; NaN when it holds no word (every count
        0), as the perplexity is a measure per word.
    doc_topic_prior_ : float
        The document topic prior used.
    random_state_ : RandomState instance
        The random numbers of the fit.
    topic_word_prior_ : float
        The topic word prior used.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 0, None, closed="neither")],
        "doc_topic_prior": [None, Interval(Real, 0, 1, closed="both")],
        "topic_word_prior": [None, Interval(Real, 0, 1, closed="both")],
        "learning_method": [StrOptions({"batch", "online"})],
        "learning_decay": [Interval(Real, 0, 1, closed="both")],
        "learning_offset": [Interval(Real, 1.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 0, None, closed="neither")],
        "evaluate_every": [Interval(Integral, None, None, closed="neither")],
        "total_samples": [Interval(Real, 0, None, closed="neither")],
        "perp_tol": [Interval(Real, 0, None, closed="left")],
        "mean_change_tol": [Interval(Real, 0, None, closed="left")],
        "max_doc_update_iter": [Interval(Integral, 0, None, closed="left")],
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "init": [StrOptions({"random", "kmeans"})],
    }

    def __init__(self, n_components=10, *, doc_topic_prior=None, topic_word_prior=None,
                 learning_method="batch", learning_decay=0.7, learning_offset=10.0,
                 max_iter=10, batch_size=128, evaluate_every=-1, total_samples=1e6,
                 perp_tol=1e-1, mean_change_tol=1e-3, max_doc_update_iter=100, n_jobs=None,
                 verbose=0, random_state=None, init="random"):
        self.n_components = n_components
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.learning_method = learning_method
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.evaluate_every = evaluate_every
        self.total_samples = total_samples
        self.perp_tol = perp_tol
        self.mean_change_tol = mean_change_tol
        self.max_doc_update_iter = max_doc_update_iter
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.init = init

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float32", "float64"]
        return tags

    # --- the model and its state ---------------------------------------------------

    def _init_latent_vars(self, n_features, dtype=np.float64, X=None, n_documents=None):
        # scikit-learn's start: the counters, the priors, and the topics drawn first;
        # with init='kmeans', plus the counts of clusters of X's documents.
        self.random_state_ = check_random_state(self.random_state)
        self.n_batch_iter_ = 1
        self.n_iter_ = 0
        k = self.n_components
        self.doc_topic_prior_ = 1.0 / k if self.doc_topic_prior is None else self.doc_topic_prior
        self.topic_word_prior_ = (1.0 / k if self.topic_word_prior is None
                                  else self.topic_word_prior)
        for name in ("doc_topic_prior", "topic_word_prior"):
            # scikit-learn's range includes 0, where its bound comes out NaN.
            if getattr(self, f"{name}_") == 0:
                raise ValueError(f"{name}=0 is a Dirichlet prior with no density, so the "
                                 "variational bound is undefined; give it a positive value "
                                 "(None is 1 / n_components).")
        components = self.random_state_.gamma(INIT_GAMMA, INIT_SCALE, (k, n_features))
        if self.init == "kmeans" and X is not None:
            components += cluster_topics(X, k, self.random_state_, n_documents)
        components = components.astype(dtype, copy=False)
        self._set_model(self._model(components), dtype)

    def _model(self, components=None):
        components = self.components_ if components is None else components
        return LDA(np.asarray(components, dtype=np.float64), float(self.doc_topic_prior_),
                   float(self.topic_word_prior_), int(self.max_doc_update_iter),
                   float(self.mean_change_tol), float(np.finfo(components.dtype).eps))

    def _set_model(self, model, dtype=None):
        # The fitted attributes in the data's dtype (the model computes in float64).
        dtype = self.components_.dtype if dtype is None else dtype
        self.components_ = np.ascontiguousarray(model.components, dtype=dtype)
        self.exp_dirichlet_component_ = np.ascontiguousarray(model.exp_dirichlet_component,
                                                             dtype=dtype)

    def _doc_starts(self, n_samples, dtype):
        # Each document's random start, drawn as scikit-learn's E-step draws it: in one
        # block from random_state_ with one job; with several, each even slice from its
        # own copy of random_state_ (the jobs' pickled copies), which does not move. A
        # model file keeps no random state: a loaded model draws from random_state anew.
        if not hasattr(self, "random_state_"):
            self.random_state_ = check_random_state(self.random_state)
        k, rng = self.n_components, self.random_state_
        n_jobs = effective_n_jobs(self.n_jobs)
        if n_jobs == 1:
            return rng.gamma(INIT_GAMMA, INIT_SCALE, (n_samples, k)).astype(dtype, copy=False)
        parts = []
        for rows in gen_even_slices(n_samples, n_jobs):
            copy = np.random.RandomState()
            copy.set_state(rng.get_state())
            parts.append(copy.gamma(INIT_GAMMA, INIT_SCALE, (rows.stop - rows.start, k)))
        return np.vstack(parts).astype(dtype, copy=False)

    def _batch_step(self, model, X):
        # One E-step over every document from random starts, and its M-step.
        source = DocumentSource(X, self._doc_starts(X.shape[0], X.dtype))
        model = model.m_step(e_step(model, source, self._plan(model, X)))
        self.n_batch_iter_ += 1
        return model

    def _online_steps(self, model, X, total_samples):
        # One online update per mini-batch of X (Hoffman et al.'s blend, as the engine's
        # online EM makes it), each E-step and update in the batch's words only.
        topics = OnlineTopics(model.components, model.topic_word_prior)
        for rows in gen_batches(X.shape[0], self.batch_size):
            words, batch = batch_vocabulary(X[rows])
            restricted = topics.batch_model(model, words)
            source = DocumentSource(batch, self._doc_starts(batch.shape[0], X.dtype))
            stats = e_step(restricted, source, self._plan(restricted, batch))
            rho = step_size(self.n_batch_iter_, self.learning_offset, self.learning_decay)
            topics.update(rho, total_samples / batch.shape[0], words, stats.topic_word)
            self.n_batch_iter_ += 1
        return model.with_components(topics.components())

    @staticmethod
    def _plan(model, X):
        # Chunk sizes from the corpus's mean words per document and the model's size.
        return chunk_plan(model, DocumentSource(X))

    # --- input --------------------------------------------------------------------

    def _check_non_neg_array(self, X, reset_n_features, whom):
        # scikit-learn's check (CSR, float64 or float32, non-negative counts), as CSR.
        dtype = [np.float64, np.float32] if reset_n_features else self.components_.dtype
        with short_array_errors():
            X = validate_data(self, X, reset=reset_n_features, accept_sparse="csr",
                              dtype=dtype)
        check_sparse_structure(X)
        check_non_negative(X, whom)
        return as_csr(X)

    # --- fitting ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the model with one mini-batch of documents (online variational Bayes).

        X is cut into batches of ``batch_size`` documents; each batch's expected counts,
        scaled by ``total_samples`` over its size, move ``components_`` by the step
        ``(learning_offset + n_batch_iter_) ** -learning_decay``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Document word matrix.
        y : None, default=None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            Partially fitted estimator.
        """
        if is_dask(X):
            raise TypeError("partial_fit streams batches in memory; pass each batch of "
                            "the Dask array computed (batch.compute()).")
        saved = dict(vars(self))
        try:
            first = not hasattr(self, "components_")
            X = self._check_non_neg_array(X, reset_n_features=first,
                                          whom="LatentDirichletAllocation.partial_fit")
            n_features = X.shape[1]
            if first:
                self._init_latent_vars(n_features, dtype=X.dtype, X=X,
                                       n_documents=self.total_samples)
            if n_features != self.components_.shape[1]:
                raise ValueError(
                    "The provided data has %d dimensions while the model was trained with "
                    "feature size %d." % (n_features, self.components_.shape[1]))
            self._set_model(self._online_steps(self._model(), X, self.total_samples))
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the topics of the documents X by variational Bayes.

        'online' makes each pass a sequence of mini-batch updates; 'batch' one update
        from every document. A pass every ``evaluate_every`` evaluates the perplexity,
        and a change below ``perp_tol`` stops the fit.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask.array.Array} of shape (n_samples, n_features)
            Document word matrix (a Dask array with dense blocks: the E-steps run on
            its blocks where they live, batch method only).
        y : None, default=None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        saved = dict(vars(self))
        try:
            if is_dask(X):
                from emkit.estimators._lda_dask import fit_dask

                fit_dask(self, X)
            else:
                self._fit_in_memory(X)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return self

    def _fit_in_memory(self, X):
        X = self._check_non_neg_array(X, reset_n_features=True,
                                      whom="LatentDirichletAllocation.fit")
        n_samples, n_features = X.shape
        self._init_latent_vars(n_features, dtype=X.dtype, X=X)
        model = self._model()

        def step(model):
            if self.learning_method == "online":
                return self._online_steps(model, X, n_samples)
            return self._batch_step(model, X)

        model = self._passes(model, step, lambda model: self._perplexity_of(model, X))
        self._set_model(model)
        self.bound_ = self._perplexity_of(model, X)

    def _passes(self, model, step, perplexity):
        # scikit-learn's loop: max_iter passes; every evaluate_every passes the
        # perplexity, and a change below perp_tol stops (that pass is not counted).
        last_bound = None
        for i in range(self.max_iter):
            model = step(model)
            if self.evaluate_every > 0 and (i + 1) % self.evaluate_every == 0:
                bound = perplexity(model)
                if self.verbose:
                    print("iteration: %d of max_iter: %d, perplexity: %.4f"
                          % (i + 1, self.max_iter, bound))
                if last_bound and abs(last_bound - bound) < self.perp_tol:
                    break
                last_bound = bound
            elif self.verbose:
                print("iteration: %d of max_iter: %d" % (i + 1, self.max_iter))
            self.n_iter_ += 1
        return model

    # --- inference ----------------------------------------------------------------

    def _unnormalized_transform(self, X):
        # Each document's gamma at its fixed point from ones, on the engine's threads.
        model = self._model()
        rows = DocumentSource(X).map_reduce(model.chunk_doc_topics, *self._plan(model, X))
        return rows.rows().astype(X.dtype, copy=False)

    def transform(self, X, *, normalize=True):
        """Return the topic distribution of each document under the fitted topics.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask.array.Array} of shape (n_samples, n_features)
            Document word matrix.
        normalize : bool, default=True
            Normalize each document's topic distribution to sum to one.

        Returns
        -------
        doc_topic_distr : ndarray of shape (n_samples, n_components)
            Document topic distribution of X (a Dask array for Dask input).
        """
        check_is_fitted(self)
        if is_dask(X):
            method = self.transform if normalize else self._transform_unnormalized
            return blockwise(method, X, "matrix", width=self.n_components,
                             dtype=self.components_.dtype)
        X = self._check_non_neg_array(X, reset_n_features=False,
                                      whom="LatentDirichletAllocation.transform")
        doc_topic_distr = self._unnormalized_transform(X)
        if normalize:
            doc_topic_distr /= doc_topic_distr.sum(axis=1)[:, np.newaxis]
        return doc_topic_distr

    def _transform_unnormalized(self, X):
        return self.transform(X, normalize=False)

    def fit_transform(self, X, y=None, *, normalize=True):
        """Fit the model to X, then return its documents' topic distributions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Document word matrix.
        y : None, default=None
            Ignored; present for API consistency.
        normalize : bool, default=True
            Normalize each document's topic distribution in ``transform``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Document topic distribution of X.
        """
        return self.fit(X, y).transform(X, normalize=normalize)

    def _bound(self, model, X, doc_topic_distr=None, sub_sampling=False):
        # The variational bound (scikit-learn's _approx_bound): the documents' part,
        # scaled to total_samples when sub-sampling, plus the topics' part.
        if doc_topic_distr is None:
            doc = DocumentSource(X).map_reduce(model.chunk_bound, *self._plan(model, X))
        else:
            doc = model.doc_bound(X, np.asarray(doc_topic_distr, dtype=np.float64))
        score = doc.log_likelihood
        if sub_sampling:
            score *= float(self.total_samples) / X.shape[0]
        return score + model.topic_word_bound()

    def _perplexity_of(self, model, X, doc_topic_distr=None, sub_sampling=False):
        bound = self._bound(model, X, doc_topic_distr, sub_sampling)
        word_cnt = X.sum()
        if sub_sampling:
            word_cnt = word_cnt * (float(self.total_samples) / X.shape[0])
        return per_word_perplexity(bound, word_cnt)

    def _perplexity_precomp_distr(self, X, doc_topic_distr=None, sub_sampling=False):
        # scikit-learn's private helper (its tests call it): the perplexity of X, from
        # given unnormalized document topic distributions when there are some.
        if doc_topic_distr is not None:
            n_samples, n_components = np.shape(doc_topic_distr)
            if n_samples != X.shape[0]:
                raise ValueError("Number of samples in X and doc_topic_distr do not match.")
            if n_components != self.n_components:
                raise ValueError("Number of topics does not match.")
        return self._perplexity_of(self._model(), as_csr(X), doc_topic_distr, sub_sampling)

    def score(self, X, y=None):
        """Return the approximate log-likelihood (the variational bound) of X.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask.array.Array} of shape (n_samples, n_features)
            Document word matrix.
        y : None, default=None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            The variational bound.
        """
        check_is_fitted(self)
        if is_dask(X):
            from emkit.estimators._lda_dask import dask_bound

            return dask_bound(self, X, "LatentDirichletAllocation.score")[0]
        X = self._check_non_neg_array(X, reset_n_features=False,
                                      whom="LatentDirichletAllocation.score")
        return float(self._bound(self._model(), X))

    def perplexity(self, X, sub_sampling=False):
        """Return the approximate perplexity of X, ``exp(-bound / number of words)``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask.array.Array} of shape (n_samples, n_features)
            Document word matrix.
        sub_sampling : bool, default=False
            Scale the documents' part of the bound (and the words) to ``total_samples``.

        Returns
        -------
        score : float
            Perplexity.
        """
        check_is_fitted(self)
        if is_dask(X):
            from emkit.estimators._lda_dask import dask_perplexity

            return dask_perplexity(self, X, sub_sampling)
        X = self._check_non_neg_array(X, reset_n_features=False,
                                      whom="LatentDirichletAllocation.perplexity")
        check_has_words(X.sum())
        return self._perplexity_of(self._model(), X, sub_sampling=sub_sampling)

    @property
    def _n_features_out(self):
        """Number of transformed output features."""
        return self.components_.shape[0]
