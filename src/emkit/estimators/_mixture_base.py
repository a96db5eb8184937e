"""What every mixture estimator shares: scikit-learn's fit template on emkit's engine.

A subclass says how to build the starting model of start number ``index``
(``_initial_model(rng, index, source)``, reading ``source.start_source()`` only when it needs data), how to turn a model
into fitted attributes (``_set_model``) and back (``_get_model``), and checks its own
parameters (``_check_parameters``).
"""

import itertools
import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from sklearn.base import DensityMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, check_is_fitted

from emkit._scan import scanned
from emkit.engine import ArraySource
from emkit.engine.report import TableReporter
from emkit.engine.sources import map_rows
from emkit.estimators._dask import blockwise, dask_source, is_dask, total_of
from emkit.estimators._fit_modes import FIT_MODE_CONSTRAINTS
from emkit.estimators._input import (attribute_dtype, check_sample_weight,
                                     refuse_impossible, short_array_errors,
                                     validate_floats)
from emkit.estimators._template import EMEstimator
from emkit.estimators._missing import allows_missing, fit_weights, impute_rows, nan_policy
from emkit.exceptions import ConvergenceWarning
from emkit.models import criteria
from emkit.models.held import Held
from emkit.models.mixture import Mixture, responsibility_entropy
from emkit.estimators._labels import check_labels, order_by_labels

__all__ = ["MixtureEstimator", "validate_support"]


def validate_support(family, X):
    """Raise the family's one-sentence error when ``X`` lies outside its support.

    Parameters
    ----------
    family : Family
        The components (a class or an instance); see :meth:`Family.validate`.
    X : ndarray of shape (n_samples, n_features)
        The rows.
    """
    family.validate(X)


class MixtureEstimator(DensityMixin, EMEstimator):
    """Base class of mixture estimators (not for direct use)."""

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        **FIT_MODE_CONSTRAINTS,
    }

    #: Whether ``fit``'s ``y`` holds semi-supervised labels (scikit-learn's
    #: GaussianMixture ignores y, so emkit's does too and reads ``labels``).
    _labels_from_y = True

    def fit(self, X, y=None, *, labels=None, fixed=None, sample_weight=None,
            callback=None):
        """Estimate the model parameters with the EM algorithm.

        Runs ``n_init`` starts (one when warm-starting a fitted model) of at most
        ``max_iter`` iterations each and keeps the start with the largest likelihood.

        Parameters
        ----------
        X : array-like, Dask array or Dask data frame of shape (n_samples, n_features)
            Training data, one row per sample. A Dask collection is never gathered: each
            block's E-step runs as a Dask task where the block lives (on the active
            ``distributed.Client``, else on Dask's default scheduler) and only the
            summed statistics come back; the result equals the in-memory fit's. Starts
            read a uniform sample of at most 100,000 rows drawn blockwise, joined by the
            rows holding each column's extremes (all rows, in order, when there are
            fewer: the in-memory start).
        y : array-like of int of shape (n_samples,), default=None
            The known component of each sample, -1 where unknown (semi-supervised EM:
            a labelled sample's responsibility is 1 for its component); None fits
            without labels. ``GaussianMixture`` ignores ``y``, as scikit-learn's does,
            and takes the labels as ``labels``.
        labels : array-like of int of shape (n_samples,), default=None
            The same as ``y``, under a name every mixture reads.
        fixed : dict, default=None
            Parameters EM holds at their starting values: ``"weights"``,
            ``"components"`` (every parameter of those components) or a parameter of the
            family (``"means"``, ``"covariances"``, ``"rate"``, ...), each mapped to True
            (every component) or a list of component indices. The M-step maximizes the
            rest given them (a covariance about its held mean); the held values come
            out of the fit unchanged, bit for bit, and the likelihood never falls.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample (scikit-learn's GaussianMixture has none);
            None weighs each sample 1.
        callback : callable, default=None
            Called after every iteration with an :class:`emkit.engine.EMStep`
            (iteration, log-likelihood, change, model); returning True stops that run.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(X, callback, sample_weight, self._given_labels(y, labels), fixed)
        return self

    def fit_predict(self, X, y=None, *, labels=None, fixed=None, sample_weight=None,
                    callback=None):
        """Fit the model and return the most probable component of each sample.

        The labels come from a final E-step with the best parameters, so
        ``fit_predict(X)`` equals ``fit(X).predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, one row per sample.
        y : array-like of int of shape (n_samples,), default=None
            The known component of each sample, -1 where unknown (semi-supervised EM:
            a labelled sample's responsibility is 1 for its component); None fits
            without labels. ``GaussianMixture`` ignores ``y``, as scikit-learn's does,
            and takes the labels as ``labels``.
        labels : array-like of int of shape (n_samples,), default=None
            The same as ``y``, under a name every mixture reads.
        fixed : dict, default=None
            Parameters EM holds at their starting values: ``"weights"``,
            ``"components"`` (every parameter of those components) or a parameter of the
            family (``"means"``, ``"covariances"``, ``"rate"``, ...), each mapped to True
            (every component) or a list of component indices. The M-step maximizes the
            rest given them (a covariance about its held mean); the held values come
            out of the fit unchanged, bit for bit, and the likelihood never falls.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample; None weighs each sample 1.
        callback : callable, default=None
            Called after every iteration with an :class:`emkit.engine.EMStep`
            (iteration, log-likelihood, change, model); returning True stops that run.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Component labels.
        """
        X = self._fit(X, callback, sample_weight, self._given_labels(y, labels), fixed)
        if is_dask(X):
            return self.predict(X)
        return self._labels(self._get_model(), X)

    def partial_fit(self, X, y=None, *, labels=None, sample_weight=None):
        """Update the model with one batch of a stream (online EM).

        The batch's expected statistics, scaled by ``total_samples`` over the batch's
        size, are blended into the running statistics with the step
        ``(n_batch_iter_ + 1 + learning_offset) ** -learning_decay``, and the M-step
        maximizes them. The first call (on an estimator that was never fitted) starts
        from its batch as ``fit`` would (``init_params``, the ``*_init`` values; one
        start) and takes the batch whole; a call after ``fit`` continues from the
        fitted parameters. Memory does not grow with the number of batches. A model file
        keeps ``n_batch_iter_`` but not the running statistics: after loading one (or
        after ``fit``) the next batch's statistics restart them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The batch, one row per sample, with the fitted model's number of columns.
        y : array-like of int of shape (n_samples,), default=None
            The known component of each sample, -1 where unknown (ignored by
            ``GaussianMixture``, which reads ``labels``).
        labels : array-like of int of shape (n_samples,), default=None
            The same as ``y``, under a name every mixture reads.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample; None weighs each sample 1.

        Returns
        -------
        self : object
            The updated estimator; ``n_batch_iter_`` counts the updates.
        """
        self._partial_fit(X, sample_weight, self._given_labels(y, labels))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def _partial_fit(self, X, sample_weight=None, labels=None):
        return self._partial_fit_template(X, sample_weight=sample_weight, labels=labels)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit(self, X, callback, sample_weight=None, labels=None, fixed=None):
        # The template: validate, run the engine, set the fitted attributes.
        return self._fit_template(X, callback, sample_weight=sample_weight, labels=labels,
                                  fixed=fixed)

    def _given_labels(self, y, labels):
        # Semi-supervised labels: ``labels``, else ``y`` where the class reads it.
        return y if labels is None and self._labels_from_y else labels

    def _fit_data(self, X, sample_weight=None, labels=None, fixed=None, first=True):
        # What is held stays with the fitted model (warm starts, parameter counts). A
        # batch that continues a fit (first=False) has the fitted number of columns, and
        # may hold fewer rows than components.
        self._fixed = fixed
        if is_dask(X):
            if labels is not None:
                raise ValueError("Labels with Dask data are not supported yet; fit the "
                                 "labelled rows in memory, or fit without labels.")
            return self._dask_fit_data(X, sample_weight, first)
        X, scan = validate_floats(self, X, dtype=[np.float64, np.float32], reset=first,
                                  ensure_min_samples=2 if first else 1,
                                  accept_sparse=self._sparse_formats(),
                                  ensure_all_finite=nan_policy(self._family_kind()))
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X.shape[0])
        with scanned(X, scan):  # the checks below read the scan, not X
            sample_weight = fit_weights(X, sample_weight)
            if first and X.shape[0] < self.n_components:
                raise ValueError(
                    "Expected n_samples >= n_components but got "
                    f"n_components = {self.n_components}, n_samples = {X.shape[0]}")
            self._check_parameters(X)
        labels = check_labels(labels, X.shape[0], self.n_components)
        return X, ArraySource(X, sample_weight, labels=labels)

    def _fitted_model(self):
        return self._with_options(self._get_model())

    def _dask_fit_data(self, X, sample_weight, first=True):
        # Dask data: every block checked as in memory, in its task; see _dask.
        source, names = dask_source(X, self._check_block, sample_weight=sample_weight,
                                    drop_empty=allows_missing(self._family_kind()),
                                    min_samples=2 if first else 1)
        if not first and source.X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {source.X.shape[1]} features, but "
                             f"{type(self).__name__} is expecting {self.n_features_in_} "
                             "features as input.")
        self.n_features_in_ = source.X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if source.n_samples < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components but got "
                f"n_components = {self.n_components}, n_samples = {source.n_samples}")
        self._check_parameters(source.sample_rows())
        return source.X, source

    def _check_block(self, block):
        # One block of Dask data, checked as fit checks data in memory.
        with short_array_errors():
            block = check_array(block, dtype=[np.float64, np.float32], ensure_min_samples=0,
                                ensure_all_finite=nan_policy(self._family_kind()))
        if len(block):
            self._check_parameters(block)
        return block

    def _initializer(self, source):
        # The start source is asked for only by a start that reads data (on Dask data,
        # drawing its sample is a pass).
        rng = check_random_state(self.random_state)
        starts = itertools.count()
        return lambda: self._with_options(self._initial_model(rng, next(starts), source),
                                          source)

    def _with_options(self, model, source=None):
        # The start as the fit runs it: components in the labels' order, held parameters.
        labels = getattr(source, "labels", None)
        if labels is not None:
            model = order_by_labels(model, source.X, labels)
        held = Held.parse(getattr(self, "_fixed", None), model.family)
        return model if held is None else replace(model, held=held)

    def _warm_start(self):
        if self.warm_start and hasattr(self, "converged_"):
            self._check_warm_start()
            return self._with_options(self._get_model()), self.lower_bound_
        return None

    def _check_warm_start(self):
        # One sentence when the fitted model cannot go on with this fit's settings or
        # data (scikit-learn fails deep inside numpy, or keeps the old size silently).
        fitted = len(self.weights_)
        if fitted != self.n_components:
            raise ValueError(
                f"warm_start=True continues the fitted model, which has {fitted} "
                f"components, but n_components is {self.n_components}; set n_components "
                f"back to {fitted} or fit with warm_start=False.")
        features = self._fitted_n_features()
        if features is not None and features != self.n_features_in_:
            raise ValueError(
                f"warm_start=True continues the fitted model of {features} features, but "
                f"X has {self.n_features_in_}; pass data with {features} columns or fit "
                "with warm_start=False.")

    def _fitted_n_features(self):
        # The fitted model's number of columns, where its family says it.
        return getattr(getattr(self, "components_", None), "n_features", None)

    def _engine_options(self):
        return dict(n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                    reporter=self._reporter(), **self._run_options())

    def _keep(self, result):
        if not result.converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning)
        self._set_model(result.model)
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.lower_bound_ = result.lower_bound
        self.lower_bounds_ = result.history
        self.lower_bounds_per_init_ = [np.asarray(h) for h in result.histories]
        self._record_history(result)

    def _family_kind(self):
        # The family (class or instance) whose ``allows_missing`` decides whether X may
        # hold NaN (and ``accepts_sparse`` whether X may be sparse).
        return getattr(self, "_family", None)

    def _sparse_formats(self):
        # scikit-learn's accept_sparse: CSR (CSC and the rest converted) when the family
        # works on sparse rows, else False (its one sentence).
        return ["csr"] if getattr(self._family_kind(), "accepts_sparse", False) else False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = allows_missing(self._family_kind())
        tags.input_tags.sparse = bool(self._sparse_formats())
        tags.input_tags.positive_only = bool(getattr(self._family_kind(), "nonnegative",
                                                     False))
        return tags

    def _reporter(self):
        # The textbook table; GaussianMixture keeps scikit-learn's progress lines.
        return TableReporter(self.verbose, self.verbose_interval)

    def _get_model(self):
        # Generic mixtures keep their fitted family in components_.
        check_is_fitted(self)
        return Mixture(np.asarray(self.weights_, dtype=np.float64), self.components_,
                       hard=getattr(self, "assignment", "soft") == "hard")

    def _run_options(self):
        # Extra options of the engine's run: recording parameters, where offered.
        return {"record_params": bool(getattr(self, "record_params", False))}

    def _record_history(self, result):
        # history_: one dict per iteration of the best run (parameters when recorded).
        self.history_ = []
        for i, value in enumerate(result.history):
            entry = {"iteration": i + 1, "log_likelihood": value}
            if result.params:
                model = result.params[i]
                entry.update(weights=model.weights, **model.family.to_dict())
            self.history_.append(entry)

    # -- prediction -------------------------------------------------------------------
    def _validated(self, X):
        check_is_fitted(self)
        family = self._get_model().family
        X, scan = validate_floats(self, X, dtype=[np.float64, np.float32], reset=False,
                                  accept_sparse=self._sparse_formats(),
                                  ensure_all_finite=nan_policy(family))
        with scanned(X, scan):
            validate_support(family, X)
        return X

    def _output_dtype(self, X):
        # The dtype of per-row results, as scikit-learn's: float32 only when the data and
        # the fitted attributes both are (the model computes them in float64).
        return np.result_type(attribute_dtype(X), np.asarray(self.weights_).dtype)

    def _posteriors(self, X, part, dtype=None):
        # part 0: the responsibilities, part 1: the log-densities of the rows; in
        # ``dtype`` (default: _output_dtype), cast chunk by chunk.
        model = self._get_model()
        dtype = self._output_dtype(X) if dtype is None else dtype

        def chunk_part(rows, start):
            resp, log_density = model.posteriors(rows)
            if part == 0:
                _refuse_impossible_rows(log_density, start, "its posterior over the "
                                        "components is undefined")
            return (resp, log_density)[part].astype(dtype, copy=False)

        return map_rows(chunk_part, X, model.bytes_per_row(X))

    def _log_likelihoods(self, X):
        # score_samples in float64 whatever the dtypes: what the command line's totals
        # sum.
        if is_dask(X):
            return blockwise(self._log_likelihoods, X, "rows")
        return self._posteriors(self._validated(X), 1, np.float64)

    def _labels(self, model, X):
        # Chunk by chunk: only the labels, never the (n_samples, n_components) matrix.
        def labels(rows, start):
            log_joint = model.log_joint(rows)
            best = log_joint.argmax(axis=1)
            _refuse_impossible_rows(log_joint[np.arange(len(best)), best], start,
                                    "its most probable component is undefined")
            return best

        return map_rows(labels, X, model.bytes_per_row(X))

    def score_samples(self, X):
        """Compute the log-likelihood of each sample under the model.

        On a Dask array or data frame the result is a Dask array, computed block by
        block (as are ``predict``, ``predict_proba`` and ``impute``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One row per sample.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            Log of the mixture density at each sample.
        """
        if is_dask(X):
            return blockwise(self.score_samples, X, "rows", dtype=self._output_dtype(X))
        return self._posteriors(self._validated(X), 1)

    def score(self, X, y=None):
        """Compute the per-sample average log-likelihood of the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One row per sample.
        y : None, default=None
            Ignored; present for API consistency.

        Returns
        -------
        log_likelihood : float
            Mean log-likelihood of the samples.
        """
        # The mean of score_samples, in its dtype, as scikit-learn's (whose tests hold
        # them equal to 7 decimals): float32 rounding for float32 data and attributes.
        if is_dask(X):
            return total_of(self.score_samples(X).mean())
        return float(self.score_samples(X).mean())

    def predict(self, X):
        """Predict the most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One row per sample.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Component labels.
        """
        if is_dask(X):
            return blockwise(self.predict, X, "rows", dtype=np.int64)
        X = self._validated(X)
        return self._labels(self._get_model(), X)

    def predict_proba(self, X):
        """Return the posterior probability of each component for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One row per sample.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Responsibilities; each row sums to 1.
        """
        if is_dask(X):
            return blockwise(self.predict_proba, X, "matrix", width=len(self.weights_),
                             dtype=self._output_dtype(X))
        return self._posteriors(self._validated(X), 0)

    def impute(self, X):
        """Fill each missing (NaN) entry with its conditional expectation under the model.

        The filled value is the responsibility-weighted mean of the components'
        conditional expectations given the row's observed entries; observed entries are
        returned unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One row per sample, NaN where a value is missing.

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
            ``X`` with its missing entries filled, in float64.
        """
        if is_dask(X):
            return blockwise(self.impute, X, "same")
        X = self._validated(X)
        model = self._get_model()
        def fill(rows, start):
            log_joint = model.log_joint(rows)
            _refuse_impossible_rows(np.where(np.isnan(rows).any(axis=1),
                                             log_joint.max(axis=1), 0.0), start,
                                    "its missing entries cannot be imputed")
            return impute_rows(model.family, log_joint, rows)

        return map_rows(fill, X, model.bytes_per_row(X))

    def sample(self, n_samples=1):
        """Generate random samples from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The samples, grouped by component.
        y : ndarray of shape (n_samples,)
            The component of each sample.
        """
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples} . The sampling requires at "
                "least one sample.")
        model = self._get_model()
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, model.weights)
        X = np.vstack([model.family.sample(k, count, rng) for k, count in enumerate(counts)])
        y = np.concatenate([np.full(count, k, dtype=int) for k, count in enumerate(counts)])
        return X, y

    def _n_parameters(self):
        return self._with_options(self._get_model()).n_parameters()

    def bic(self, X):
        """Bayesian information criterion for the current model on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        bic : float
            ``-2 log L + p log n``; lower is better.
        """
        total, n = self._total_and_rows(X)
        return criteria.bic(total, self._n_parameters(), n)

    def aic(self, X):
        """Akaike information criterion for the current model on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        aic : float
            ``-2 log L + 2 p``; lower is better.
        """
        return criteria.aic(self._total_and_rows(X)[0], self._n_parameters())

    def icl(self, X):
        """Integrated completed likelihood criterion for the current model on ``X``.

        BIC plus twice the entropy of the responsibilities, so overlapping components
        are penalised as well as extra parameters.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        icl : float
            ``bic(X) - 2 sum_i sum_k r_ik log r_ik`` (with ``0 log 0 = 0``); lower is better.
        """
        total, n = self._total_and_rows(X)
        resp = self.predict_proba(X)
        if not is_dask(resp):
            return criteria.icl(total, self._n_parameters(), n, resp)
        # Each block's entropy in its task: the (n_samples, n_components) posteriors
        # never meet in memory.
        entropies = resp.rechunk({1: -1}).map_blocks(
            lambda block: np.full((1, 1), responsibility_entropy(block)),
            chunks=((1,) * resp.numblocks[0], (1,)), dtype=np.float64)
        return criteria.bic(total, self._n_parameters(), n) + 2 * total_of(entropies.sum())

    def _total_and_rows(self, X):
        # The log-likelihood of X summed over its rows (scikit-learn's mean times the
        # count), and the count. Dask data: the rows of score_samples, whose blocks have
        # known sizes (a data frame's length is a pass over it), and one pass for the mean.
        if not is_dask(X):
            n = np.shape(X)[0]
            return self.score(X) * n, n
        scores = self.score_samples(X)
        n = int(scores.shape[0])
        return total_of(scores.mean()) * n, n


def _refuse_impossible_rows(log_density, start, consequence):
    # refuse_impossible for the first row of a chunk (whose first row is row ``start``
    # of X) with log-density -inf.
    impossible = np.flatnonzero(log_density == -np.inf)
    if len(impossible):
        refuse_impossible(f"Row {start + int(impossible[0])} of X", consequence)
