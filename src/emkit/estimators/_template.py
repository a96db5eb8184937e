"""The one fit template of every estimator: validate once, build the source, run the
engine, keep the result.

A subclass (the mixtures, the HMMs, the next model) fills in four steps:

* ``_fit_data(X, **fit_params)``: validate the input once and return ``(X, source)``, the
  :class:`emkit.engine.Source` that cuts it into chunks;
* ``_initializer(source)``: a callable that returns the starting model of each start,
  computed from ``source.start_source()`` (the rows in memory, or a bounded sample of
  them), never from another copy of the data;
* ``_engine_options()``: ``n_init``, ``max_iter``, ``tol`` and the rest of
  :func:`emkit.engine.fit_em`'s options;
* ``_keep(result)``: set the fitted attributes from the engine's result.

Data in memory, memory-mapped or in Dask arrays and data frames all reach the engine as a
:class:`emkit.engine.Source`; ``_fit_data`` chooses which (:mod:`._dask` for Dask).
``_run_engine`` is the one place the engine is called; the fit modes
(:mod:`._fit_modes`: SQUAREM, online EM) change what it calls, not the template.
``_partial_fit_template`` is online EM's one update, for every estimator: a first call
starts from its batch, later ones continue from the fitted parameters and running
statistics. It needs one more step, ``_fitted_model()``: the model of the fitted
attributes, and ``_fit_data`` takes ``first=False`` for a batch that continues a fit (its
columns are checked against the fitted model's, and its size is not).
"""

from abc import ABC, abstractmethod

from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from emkit.engine import fit_em
from emkit.engine.online import OnlineState, online_update, run_online
from emkit.estimators._fit_modes import check_fit_modes

__all__ = ["EMEstimator"]


class EMEstimator(BaseEstimator, ABC):
    """Base class of every emkit estimator fitted by EM (not for direct use)."""

    @abstractmethod
    def _fit_data(self, X, **fit_params):
        """Return the validated data and its source (a subclass step)."""

    @abstractmethod
    def _initializer(self, source):
        """Return a callable giving the starting model of each start (a subclass step)."""

    @abstractmethod
    def _engine_options(self):
        """Return the options of :func:`emkit.engine.fit_em` (a subclass step)."""

    @abstractmethod
    def _keep(self, result):
        """Set the fitted attributes from the engine's result (a subclass step)."""

    def _store(self, arguments):
        # scikit-learn's rule for __init__: store every argument as given, nothing else.
        # ``self._store(locals())`` as a constructor's one statement.
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def _warm_start(self):
        # ``(model, lower_bound)`` to continue from, or None to start anew.
        return None

    @abstractmethod
    def _fitted_model(self):
        """Return the model of the fitted attributes (a subclass step, for partial_fit)."""

    @abstractmethod
    def _set_model(self, model):
        """Set the fitted attributes from a model (a subclass step)."""

    def _run_engine(self, initialize, source, warm, callback):
        options = self._engine_options()
        if getattr(self, "learning_method", "batch") == "online":
            options.pop("record_params", None)
            # Each pass visits the batches in an order drawn from random_state.
            options.update(run=run_online, batch_size=self.batch_size,
                           learning_offset=self.learning_offset,
                           learning_decay=self.learning_decay,
                           order=check_random_state(getattr(self, "random_state", None)))
        else:
            options["acceleration"] = getattr(self, "acceleration", None)
        return fit_em(initialize, source, warm=warm, callback=callback, **options)

    def _fit_template(self, X, callback=None, **fit_params):
        # Validate, build the source, run the engine, keep the result; return the
        # validated X (for fit_predict's final E-step).
        # A fit that raises (bad data, a lost cluster) leaves the estimator as it was.
        saved = dict(vars(self))
        try:
            check_fit_modes(self)
            X, source = self._fit_data(X, **fit_params)
            result = self._run_engine(self._initializer(source), source, self._warm_start(),
                                      callback)
            self._keep(result)
            self._keep_stream(result.online)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return X

    def _partial_fit_template(self, X, **fit_params):
        # One online update from the batch X (see the module's docstring); a call that
        # raises leaves the estimator as it was.
        saved = dict(vars(self))
        try:
            check_fit_modes(self)
            first = not (hasattr(self, "n_iter_") or hasattr(self, "n_batch_iter_"))
            X, source = self._fit_data(X, first=first, **fit_params)
            if first:
                model, state = self._initializer(source)(), OnlineState()
            else:
                # After fit or a model file, the running statistics restart from this
                # batch; the count of updates goes on.
                model = self._fitted_model()
                state = (getattr(self, "_stream", None)
                         or OnlineState(None, getattr(self, "n_batch_iter_", 0)))
            model, state, _ = online_update(
                model, source, state, total_samples=self.total_samples,
                learning_offset=self.learning_offset, learning_decay=self.learning_decay)
            self._set_model(model)
            self._keep_stream(state)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return X

    def _keep_stream(self, state):
        # Where online EM stands: n_batch_iter_ and the running statistics a later
        # partial_fit continues from (none after a batch fit).
        self._stream = state
        if state is not None:
            self.n_batch_iter_ = state.n_batch_iter
        elif hasattr(self, "n_batch_iter_"):
            del self.n_batch_iter_
