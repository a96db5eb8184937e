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
``_run_engine`` is the one place the engine is called: another fit mode (online EM,
acceleration) replaces what it calls, not the template.
"""

from abc import ABC, abstractmethod

from sklearn.base import BaseEstimator

from emkit.engine import fit_em

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

    def _run_engine(self, initialize, source, warm, callback):
        return fit_em(initialize, source, warm=warm, callback=callback,
                      **self._engine_options())

    def _fit_template(self, X, callback=None, **fit_params):
        # Validate, build the source, run the engine, keep the result; return the
        # validated X (for fit_predict's final E-step).
        # A fit that raises (bad data, a lost cluster) leaves the estimator as it was.
        saved = dict(vars(self))
        try:
            X, source = self._fit_data(X, **fit_params)
            result = self._run_engine(self._initializer(source), source, self._warm_start(),
                                      callback)
            self._keep(result)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise
        return X
