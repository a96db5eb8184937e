"""The EM loop, once, for every model and every data source.

The loop sees a :class:`~emkit.engine.protocols.Model` (chunk statistics, M-step, chunk
sizing, resolution, ``monotone``) and a :class:`~emkit.engine.protocols.Source` (chunks,
where they run, their sum); both contracts are written in :mod:`emkit.engine.protocols`.
Nothing here knows what the model or the data is.
"""

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emkit.engine.monitor import ConvergenceMonitor, drop_rtol
from emkit.engine.protocols import Model, Source
from emkit.engine.report import VerboseReporter

#: A later start must beat the best log-likelihood by more than this (relative) to win.
START_RTOL = 1e-12

__all__ = ["EMResult", "EMStep", "chunk_plan", "e_step", "fit_em", "run_em"]


@dataclass(frozen=True)
class EMStep:
    """What a callback sees after each iteration.

    Attributes
    ----------
    iteration : int
        One-based iteration number.
    log_likelihood : float
        Per-sample log-likelihood of the parameters the iteration started from.
    change : float
        Change from the previous iteration.
    model : object
        The model after the iteration's M-step.
    """

    iteration: int
    log_likelihood: float
    change: float
    model: Any


@dataclass
class EMResult:
    """The outcome of one EM run.

    Attributes
    ----------
    model : object
        The final model.
    lower_bound : float
        The last per-sample log-likelihood (of the model before the last M-step).
    history : list of float
        Per-sample log-likelihood of each iteration.
    n_iter : int
        Iterations run.
    converged : bool
        True only when the tolerance was met before the iteration cap.
    params : list
        The model after each iteration, when recorded.
    histories : list of list of float
        The history of every start, in order (``fit_em`` fills it; one entry per start).
    """

    model: Any
    lower_bound: float
    history: list
    n_iter: int
    converged: bool
    params: list = field(default_factory=list)
    histories: list = field(default_factory=list)


def chunk_plan(model, source):
    """Return the working-set bytes per row and the chunk floor of ``model`` on ``source``.

    Both depend on the model's kind and size, not on its parameters, so a run asks once.

    Parameters
    ----------
    model : object
        A model with ``bytes_per_row`` (and optionally ``min_chunk_rows``).
    source : ArraySource
        The data.

    Returns
    -------
    plan : tuple of int
        ``(bytes_per_row, min_rows)``.
    """
    rows = source.sample_rows()
    return model.bytes_per_row(rows), model.min_chunk_rows(rows)


def e_step(model, source, plan=None):
    """Return the statistics of ``model`` summed over every chunk of ``source``.

    Parameters
    ----------
    model : object
        A model with ``chunk_stats`` and ``bytes_per_row``.
    source : ArraySource
        The data.
    plan : tuple of int, default=None
        What :func:`chunk_plan` returns; None asks the model.

    Returns
    -------
    stats : AdditiveStats
        Summed statistics, with a ``log_likelihood`` field.
    """
    bytes_per_row, min_rows = plan or chunk_plan(model, source)
    return source.map_reduce(model.chunk_stats, bytes_per_row, min_rows=min_rows)


def run_em(model, source, *, max_iter=100, tol=1e-3, initial=-np.inf, callback=None,
           reporter=None, record_params=False, per_sample=True):
    """Run EM from ``model`` until convergence or ``max_iter`` iterations.

    Parameters
    ----------
    model : object
        The starting model.
    source : ArraySource
        The data.
    max_iter : int, default=100
        Iteration cap.
    tol : float, default=1e-3
        Threshold on the change of the per-sample log-likelihood.
    initial : float, default=-np.inf
        Log-likelihood before the first iteration (warm starts pass the last one).
    callback : callable, default=None
        Called with an :class:`EMStep` after each iteration; returning True stops.
    reporter : VerboseReporter, default=None
        Where progress lines go.
    record_params : bool, default=False
        Keep the model after every iteration in ``EMResult.params``.
    per_sample : bool, default=True
        Monitor the log-likelihood per unit of weight (scikit-learn's convention); False
        monitors the total (hmmlearn's).

    Returns
    -------
    result : EMResult
    """
    reporter = reporter or VerboseReporter()
    _check_contracts(model, source)
    monitor = ConvergenceMonitor(tol=tol, max_iter=max_iter, initial=initial,
                                 rtol=drop_rtol(source.dtype))
    params, guard = [], True
    plan = chunk_plan(model, source)
    total_weight = source.total_weight if per_sample else 1.0
    for iteration in range(1, max_iter + 1):
        stats = e_step(model, source, plan)
        lower_bound = _per_sample(stats.log_likelihood, total_weight, iteration)
        change = monitor.report(lower_bound, guard=guard,
                                resolution=model.resolution(source.dtype))
        model = model.m_step(stats)
        guard = model.monotone
        if record_params:
            params.append(model)
        reporter.iteration(iteration, change, lower_bound, model)
        if callback is not None and callback(EMStep(iteration, lower_bound, change, model)):
            break
        if monitor.converged:
            break
    n_iter = len(monitor.history)
    return EMResult(model, monitor.last, monitor.history, n_iter, monitor.converged, params)


def fit_em(initialize, source, *, n_init=1, warm=None, reporter=None, **run_options):
    """Run EM from ``n_init`` starts and keep the run with the highest log-likelihood.

    Parameters
    ----------
    initialize : callable
        ``initialize()`` returns a starting model (it draws from its own random state).
    source : ArraySource
        The data.
    n_init : int, default=1
        Number of starts.
    warm : tuple, default=None
        ``(model, lower_bound)`` to continue from, instead of ``initialize`` (one run).
    reporter : VerboseReporter, default=None
        Where progress lines go.
    **run_options
        Passed to :func:`run_em`.

    Returns
    -------
    best : EMResult
        Ties keep the earlier run, as scikit-learn does; a later run must be higher by
        more than ``START_RTOL`` (relative), so that starts reaching the same optimum,
        which differ in the last bits between processors, keep the same winner. Its
        ``histories`` holds the history of every start.
    """
    reporter = reporter or VerboseReporter()
    best, histories = None, []
    for index in range(1 if warm is not None else n_init):
        reporter.init_begin(index)
        model, initial = warm if warm is not None else (initialize(), -np.inf)
        result = run_em(model, source, initial=initial, reporter=reporter, **run_options)
        if result.n_iter:
            reporter.init_end(result.lower_bound, result.converged)
        histories.append(list(result.history))
        if best is None or _better(result.lower_bound, best.lower_bound):
            best = result
    best.histories = histories
    return best


def _better(value, best):
    # A later start wins only when higher by more than rounding (START_RTOL).
    if best == -np.inf:
        return True
    return value > best + START_RTOL * max(abs(best), 1.0)


def _check_contracts(model, source):
    if not isinstance(model, Model):
        raise TypeError(f"The EM engine runs an emkit.engine.Model; got {type(model).__name__}, "
                        "so subclass Model (chunk_stats, m_step, bytes_per_row).")
    if not isinstance(source, Source):
        raise TypeError(f"The EM engine reads an emkit.engine.Source; got "
                        f"{type(source).__name__}, so wrap the data in ArraySource or another "
                        "Source.")


def _per_sample(total, total_weight, iteration):
    value = total / total_weight
    if not math.isfinite(value):
        raise FloatingPointError(
            f"The log-likelihood is not finite at iteration {iteration} ({value}): some "
            "samples have zero probability under every component. Check that the data lie "
            "in the components' support, or start from other parameters.")
    return float(value)
