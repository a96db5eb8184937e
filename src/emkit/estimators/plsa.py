"""``emkit.PLSA``: probabilistic latent semantic analysis on sparse counts, by EM.

The face of :mod:`emkit.models.plsa` in scikit-learn's decomposition style: ``fit`` on a
document-term count matrix, ``components_`` (topics x words), ``transform`` folding new
documents in with the topics fixed.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from emkit.engine import ArraySource, run_em
from emkit.engine.report import VerboseReporter
from emkit.estimators._dask import dask_source, is_dask
from emkit.estimators._input import check_sparse_structure, short_array_errors
from emkit.estimators._template import EMEstimator
from emkit.exceptions import ConvergenceWarning
from emkit.families._sparse import first_bad_entry
from emkit.models.plsa import PLSAModel

__all__ = ["PLSA"]


class PLSA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, EMEstimator):
    """Probabilistic latent semantic analysis (Hofmann's aspect model), fitted by EM.

    Each document's words are drawn from a mixture of topics with the document's own
    proportions: ``P(w | d) = sum_z P(z | d) P(w | z)``. EM alternates the posterior of
    the topic of each (document, word) pair with the normalized expected counts. The
    counts stay sparse: an iteration costs O(nonzeros x topics). A document with no word
    (an all-zero row) is allowed; it adds nothing to the topics or the likelihood, and
    its proportions stay at their start.

    Parameters
    ----------
    n_components : int, default=10
        Number of topics.
    beta : float, default=1.0
        Tempered EM's exponent on the E-step's posterior (Hofmann 1999): 1 is plain EM;
        a value in (0, 1) smooths the posterior, which guards against overfitting but no
        longer maximizes the likelihood itself (so the fall check is off).
    max_iter : int, default=100
        Maximum number of EM iterations per start.
    tol : float, default=1e-4
        Convergence threshold on the change of the log-likelihood per document.
    n_init : int, default=1
        Number of random starts; the one with the largest likelihood is kept.
    random_state : int, RandomState instance or None, default=None
        Seed of the random starts (uniform draws of both distributions, normalized).
    verbose : int, default=0
        1 prints the iterations, 2 adds times and changes.
    acceleration : {None, 'squarem'}, default=None
        'squarem' extrapolates every three accepted iterations (see
        :class:`emkit.GaussianMixture`); the likelihood never falls.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        ``P(w | z)``: each topic's distribution over the words (rows sum to one).
    doc_topic_ : ndarray of shape (n_samples, n_components)
        ``P(z | d)`` of the training documents, as the fit left them (``fit_transform``
        returns ``transform`` of the training documents, as scikit-learn's
        decompositions do; both agree once the fit has converged: given the topics, a
        document's proportions have one optimum).
    converged_ : bool
        True when the best start met ``tol`` before ``max_iter``.
    n_iter_ : int
        Iterations of the best start.
    lower_bound_ : float
        Log-likelihood per document at the last iteration of the best start.
    lower_bounds_ : list of float
        Log-likelihood per document at each iteration of the best start.
    n_features_in_ : int
        Size of the vocabulary seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Words seen in ``fit``, when ``X`` had string column names.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "beta": [Interval(Real, 0, 1, closed="right")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "acceleration": [StrOptions({"squarem"}), None],
    }

    def __init__(self, n_components=10, *, beta=1.0, max_iter=100, tol=1e-4, n_init=1,
                 random_state=None, verbose=0, acceleration=None):
        self._store(locals())

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # -- the fit template's steps ------------------------------------------------------
    def _counts(self, X, reset):
        # Non-negative values as CSR float64; one sentence naming a negative entry.
        with short_array_errors():
            X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=reset)
        check_sparse_structure(X)
        X = sparse.csr_matrix(X)
        found = first_bad_entry(X, ~(X.data >= 0.0))
        if found is not None:
            raise ValueError(f"Negative values in data passed to PLSA: row {found[0]}, column "
                             f"{found[1]} holds {found[2]!r}; give counts of 0 or more.")
        return X

    def _fit_data(self, X, first=True):
        if is_dask(X):
            # Each block's documents in their task; their proportions travel with the
            # model, so they must fit in this process's memory (the counts need not).
            source, _ = dask_source(X, self._check_block, row_bounds=True)
            self.n_features_in_ = source.X.shape[1]
            return source.X, source
        X = self._counts(X, reset=True)
        if not X.data.any():
            raise ValueError("X holds no word (every count is 0), so PLSA has no topic to "
                             "fit; pass documents with at least one word.")
        return X, ArraySource(X, row_bounds=True)

    def _check_block(self, block):
        # One Dask block, checked as fit checks counts in memory (reset: the block only).
        with short_array_errors():
            block = check_array(block, dtype=np.float64, ensure_min_samples=0)
        counts = sparse.csr_matrix(block)
        found = first_bad_entry(counts, ~(counts.data >= 0))
        if found is not None:
            raise ValueError(f"Negative values in data passed to PLSA: row {found[0]} of a "
                             f"block, column {found[1]} holds {found[2]!r}; give counts of 0 "
                             "or more.")
        return block

    def _initializer(self, source):
        rng = check_random_state(self.random_state)
        n_documents, n_words = source.X.shape
        return lambda: PLSAModel.random(rng, n_documents, n_words, self.n_components,
                                        self.beta)

    def _engine_options(self):
        return dict(n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                    reporter=VerboseReporter(self.verbose))

    def _keep(self, result):
        if not result.converged and self.max_iter > 0:
            warnings.warn("PLSA stopped at max_iter before the change of the log-likelihood "
                          "fell below tol; raise max_iter (or tol) to let it converge.",
                          ConvergenceWarning)
        self._set_model(result.model)
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.lower_bound_ = result.lower_bound
        self.lower_bounds_ = result.history

    def _set_model(self, model):
        self.components_ = model.topic_word
        self.doc_topic_ = model.doc_topic

    def _fitted_model(self):
        check_is_fitted(self)
        return PLSAModel(self.components_, self.doc_topic_, self.beta)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the topics and the documents' topic proportions by EM.

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Word counts, one row per document (non-negative; weights such as tf-idf
            values are taken as fractional counts). A Dask array's blocks are counted
            where they live and never gathered; the documents' topic proportions,
            (n_samples, n_components), travel with the model each iteration.
        y : None, default=None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit_template(X)
        return self

    def transform(self, X):
        """Fold new documents in: their topic proportions by EM with the topics fixed.

        Each new document starts from equal proportions; the iterations and ``tol`` are
        the fit's. A word that no topic gives a positive probability (one absent from
        the training documents) says nothing about the topics and is left out.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Word counts, one row per document, over the fitted vocabulary.

        Returns
        -------
        doc_topic : ndarray of shape (n_samples, n_components)
            ``P(z | d)``; each row sums to one.
        """
        check_is_fitted(self)
        X = self._counts(X, reset=False)
        unseen = ~(self.components_ > 0).any(axis=0)
        if unseen.any():
            X = X @ sparse.diags((~unseen).astype(np.float64))
            X.eliminate_zeros()
        start = PLSAModel(self.components_, np.full((X.shape[0], self.n_components),
                                                    1.0 / self.n_components),
                          self.beta, fixed_topics=True)
        result = run_em(start, ArraySource(X, row_bounds=True), max_iter=self.max_iter,
                        tol=self.tol)
        return result.model.doc_topic
