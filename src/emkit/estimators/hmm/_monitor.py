"""``monitor_``: hmmlearn's ConvergenceMonitor, as a view of the engine's record of a fit.

The engine's :class:`emkit.engine.ConvergenceMonitor` decides convergence, once for every
model. This view has hmmlearn's shape (``history``, ``iter``, ``n_iter``, ``tol``,
``verbose``, ``converged`` and its verbose line on stderr): during a fit it is the
engine's reporter, after it it holds the kept start's record (:meth:`from_result`).

A ``monitor_`` the user set or changed before a fit is hmmlearn's way to customize
convergence, and the fit honours it (:func:`chosen_monitor`): a ``tol``, ``n_iter`` (the
cap on iterations, :func:`iteration_cap`) or ``verbose`` changed on this view are the
fit's; a monitor of another class (a subclass of hmmlearn's or of this one) is reset at
each start and told each iteration's log-likelihood (:class:`MonitorReports`), and its
``converged`` stops the fit.
"""

import logging
import sys
from collections import deque

import numpy as np

from emkit.engine.monitor import ConvergenceMonitor as EngineMonitor

__all__ = ["ConvergenceMonitor", "MonitorReports", "as_record", "chosen_monitor"]

_log = logging.getLogger("emkit")


class ConvergenceMonitor:
    """The record of an HMM fit, shaped like hmmlearn's ``monitor_``.

    Unlike hmmlearn's, ``converged`` is True only when the gain fell below ``tol``: an
    iteration cap that is hit is not convergence. The decision is the engine's.

    Parameters
    ----------
    tol : float
        Convergence threshold on the gain of the log-likelihood.
    n_iter : int
        Maximum number of iterations.
    verbose : bool
        Print each iteration to stderr (hmmlearn's format).

    Attributes
    ----------
    history : collections.deque
        The log-likelihood of each iteration.
    iter : int
        Iterations performed.
    """

    _template = "{iter:>10d} {log_prob:>16.8f} {delta:>+16.8f}"

    def __init__(self, tol, n_iter, verbose):
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        # What it was made with: a tol, n_iter or verbose changed since is the user's.
        self._made = (tol, n_iter, verbose)
        self._reset()

    @classmethod
    def from_result(cls, result, tol, n_iter, verbose):
        """Return the view of the start an engine run kept.

        Parameters
        ----------
        result : emkit.engine.EMResult
            What :func:`emkit.engine.fit_em` returned (total log-likelihoods).
        tol : float
            Convergence threshold of the fit.
        n_iter : int
            Maximum number of iterations of the fit.
        verbose : bool
            Whether the fit printed its iterations.

        Returns
        -------
        monitor : ConvergenceMonitor
        """
        return cls.restored(tol, n_iter, verbose, result.history, result.n_iter,
                            result.converged)

    @classmethod
    def restored(cls, tol, n_iter, verbose, history, iter, converged):
        """Return a view holding a saved record (a model file's).

        Parameters
        ----------
        tol : float
            Convergence threshold of the fit.
        n_iter : int
            Maximum number of iterations of the fit.
        verbose : bool
            Whether the fit printed its iterations.
        history : list of float
            The log-likelihood of each iteration.
        iter : int
            Iterations performed.
        converged : bool
            Whether the fit converged.

        Returns
        -------
        monitor : ConvergenceMonitor
        """
        monitor = cls(tol, n_iter, verbose)
        monitor.hold(history, iter, converged)
        return monitor

    def hold(self, history, iter, converged):
        """Replace the record with a finished fit's.

        Parameters
        ----------
        history : list of float
            The log-likelihood of each iteration.
        iter : int
            Iterations performed.
        converged : bool
            Whether the fit converged.
        """
        self.history = deque(float(value) for value in history)
        self.iter = int(iter)
        self._converged = bool(converged)

    def __repr__(self):
        # hmmlearn's layout, one field a line in name order, which its tutorial shows.
        fields = dict(history=list(self.history), iter=self.iter, n_iter=self.n_iter,
                      tol=self.tol, verbose=self.verbose)
        return (f"{type(self).__name__}(\n"
                + "".join(f"    {name}={value},\n" for name, value in sorted(fields.items()))
                + ")")

    def _reset(self):
        self.iter = 0
        self.history = deque()
        self._converged = False
        self._decision = EngineMonitor(tol=self.tol, max_iter=self.n_iter)

    @property
    def converged(self):
        """True when the last gain was below ``tol`` (not when the cap was hit)."""
        return self._converged

    def report(self, log_prob):
        """Record one iteration's log-likelihood (and print it when verbose).

        The engine's monitor decides whether the gain converged. A fall by more than
        the square root of float64's epsilon is logged, as hmmlearn's ``report`` logs it
        (a fit reports through the engine, which checks falls itself).

        Parameters
        ----------
        log_prob : float
            The log-likelihood of the iteration.
        """
        if self.history and log_prob - self.history[-1] < -np.finfo(float).eps ** 0.5:
            _log.warning("Model is not converging: the log-likelihood %r is below the "
                         "last one, %r.", log_prob, self.history[-1])
        self._decision.report(log_prob, guard=False)
        self._record(log_prob)
        self._converged = self._decision.converged

    def _record(self, log_prob):
        # Keep the value and print hmmlearn's line: iteration, value, gain (NaN first).
        delta = log_prob - self.history[-1] if self.history else np.nan
        if self.verbose:
            print(self._template.format(iter=self.iter + 1, log_prob=log_prob, delta=delta),
                  file=sys.stderr)
        self.history.append(log_prob)
        self.iter += 1

    # The engine's reporter protocol (see emkit.engine.report).
    def init_begin(self, index):
        """Start recording initialization ``index``.

        Parameters
        ----------
        index : int
            Zero-based index of the start.
        """
        self._reset()

    def iteration(self, n_iter, change, lower_bound=None, model=None):
        """Record iteration ``n_iter`` of the engine's run.

        Parameters
        ----------
        n_iter : int
            One-based iteration number.
        change : float
            Gain of the log-likelihood.
        lower_bound : float, default=None
            The iteration's log-likelihood.
        model : object, default=None
            The model after the iteration.
        """
        self._record(lower_bound)

    def init_end(self, lower_bound, converged):
        """End a start with the engine's decision.

        Parameters
        ----------
        lower_bound : float
            The last log-likelihood.
        converged : bool
            Whether the engine found the start converged.
        """
        self._converged = bool(converged)


def chosen_monitor(estimator):
    """Return the estimator's ``monitor_`` when the user set or changed it, else None.

    Parameters
    ----------
    estimator : BaseHMM
        The estimator about to be fitted (or just fitted).

    Returns
    -------
    monitor : object or None
        A :class:`ConvergenceMonitor` whose ``tol``, ``n_iter`` or ``verbose`` differs
        from what it was made with, or a monitor of another class with a ``report``
        method; None for the estimator's own unchanged monitor (the fit then follows
        ``tol``, ``n_iter`` and ``verbose`` of the estimator).
    """
    monitor = getattr(estimator, "monitor_", None)
    if type(monitor) is ConvergenceMonitor:
        return None if monitor._made == (monitor.tol, monitor.n_iter, monitor.verbose) \
            else monitor
    return monitor if callable(getattr(monitor, "report", None)) else None


def iteration_cap(estimator):
    """Return the most iterations a fit of ``estimator`` runs.

    Parameters
    ----------
    estimator : BaseHMM
        The estimator about to be fitted (or just fitted).

    Returns
    -------
    n_iter : int
        ``monitor_.n_iter`` where the user changed it on the estimator's own monitor
        (hmmlearn's monitor stops the fit there), else the ``n_iter`` parameter.
    """
    monitor = chosen_monitor(estimator)
    if type(monitor) is ConvergenceMonitor and monitor.n_iter != monitor._made[1]:
        return int(monitor.n_iter)
    return estimator.n_iter


class MonitorReports:
    """The engine's reporter that passes a fit to a monitor of the user's own class.

    hmmlearn's protocol: ``_reset()`` (where it has one) when each start begins,
    ``report(log_prob)`` with the total log-likelihood of each iteration.

    Parameters
    ----------
    monitor : object
        The monitor (see :func:`chosen_monitor`).
    """

    def __init__(self, monitor):
        self.monitor = monitor

    def init_begin(self, index):
        """Reset the monitor for start ``index``.

        Parameters
        ----------
        index : int
            Zero-based index of the start.
        """
        reset = getattr(self.monitor, "_reset", None)
        if callable(reset):
            reset()

    def iteration(self, n_iter, change, lower_bound=None, model=None):
        """Report iteration ``n_iter``'s log-likelihood to the monitor.

        Parameters
        ----------
        n_iter : int
            One-based iteration number.
        change : float
            Gain of the log-likelihood.
        lower_bound : float, default=None
            The iteration's log-likelihood.
        model : object, default=None
            The model after the iteration.
        """
        self.monitor.report(lower_bound)

    def init_end(self, lower_bound, converged):
        """End a start (the monitor keeps its own record).

        Parameters
        ----------
        lower_bound : float
            The last log-likelihood.
        converged : bool
            Whether the engine found the start converged.
        """


def as_record(monitor):
    """Return a monitor as this module's record of it, or None when it is not one.

    Model files hold :class:`ConvergenceMonitor` records; a monitor of another class is
    saved as the record of its ``tol``, ``n_iter``, ``verbose``, ``history``, ``iter``
    and ``converged``.

    Parameters
    ----------
    monitor : object
        A value of ``monitor_``.

    Returns
    -------
    record : ConvergenceMonitor or None
    """
    if type(monitor) is ConvergenceMonitor:
        return monitor
    try:
        return ConvergenceMonitor.restored(
            monitor.tol, monitor.n_iter, monitor.verbose, list(monitor.history),
            monitor.iter, monitor.converged)
    except (AttributeError, TypeError, ValueError):
        return None
