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

from emkit.engine import squarem
from emkit.engine.monitor import ConvergenceMonitor, drop_rtol
from emkit.engine.protocols import Model, Source
from emkit.engine.report import VerboseReporter
from emkit.engine.sources import one_blas_thread
from emkit.engine.underflow import underflow_is_zero

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
    online : OnlineState
        Where an online run's stream stands (:mod:`emkit.engine.online`); None for a
        batch run.
    """

    model: Any
    lower_bound: float
    history: list
    n_iter: int
    converged: bool
    params: list = field(default_factory=list)
    histories: list = field(default_factory=list)
    online: Any = None


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


@underflow_is_zero
def run_em(model, source, *, max_iter=100, tol=1e-3, initial=-np.inf, callback=None,
           reporter=None, record_params=False, per_sample=True, acceleration=None):
    """Run EM from ``model`` until convergence or ``max_iter`` iterations.

    Parameters
    ----------
    model : object
        The starting model.
    source : ArraySource
        The data.
    max_iter : int, default=100
        Iteration cap: the number of E-steps (passes over the data).
    tol : float, default=1e-3
        Threshold on the change of the per-sample log-likelihood.
    initial : float, default=-np.inf
        Log-likelihood before the first iteration (warm starts pass the last one). It
        counts for convergence, as scikit-learn's warm starts count it, but a first
        value below it is no fall: a warm start may continue on other data.
    callback : callable, default=None
        Called with an :class:`EMStep` after each accepted iteration; returning True
        stops.
    reporter : VerboseReporter, default=None
        Where progress lines go.
    record_params : bool, default=False
        Keep the model after every accepted iteration in ``EMResult.params``.
    per_sample : bool, default=True
        Monitor the log-likelihood per unit of weight (scikit-learn's convention); False
        monitors the total (hmmlearn's).
    acceleration : {None, 'squarem'}, default=None
        None runs plain EM. 'squarem' extrapolates every three accepted E-steps
        (:mod:`emkit.engine.squarem`): the history holds the accepted E-steps, whose
        log-likelihood never falls, and ``n_iter`` counts every E-step, rejected
        proposals included.

    Returns
    -------
    result : EMResult
    """
    reporter = reporter or VerboseReporter()
    _check_contracts(model, source)
    monitor = ConvergenceMonitor(tol=tol, max_iter=max_iter, initial=initial,
                                 rtol=drop_rtol(source.dtype))
    plan = chunk_plan(model, source)
    total_weight = source.total_weight if per_sample else 1.0
    accelerator = _accelerator(acceleration)

    def evaluate(candidate, n_iter):
        stats = e_step(candidate, source, plan)
        return stats, _per_sample(stats.log_likelihood, total_weight, n_iter)

    params, guard, n_iter, proposal, following = [], initial == -np.inf, 0, None, model
    while n_iter < max_iter:
        n_iter += 1
        plain = proposal is None
        if not plain:
            outcome = squarem.evaluate(lambda m: evaluate(m, n_iter), proposal)
            lower_bound = None if outcome is None else outcome[1]
            current, proposal = proposal, None
            if not accelerator.accepts(lower_bound, monitor.last):
                continue  # the plain step ``following`` is evaluated next
            stats = outcome[0]
        else:
            current = following
            stats, lower_bound = evaluate(current, n_iter)
        change = monitor.report(lower_bound, guard=guard, plain=plain,
                                resolution=current.resolution(source.dtype))
        following = current.m_step(stats)
        guard = following.monotone
        if record_params:
            params.append(following)
        reporter.iteration(n_iter, change, lower_bound, following)
        if callback is not None and callback(EMStep(n_iter, lower_bound, change, following)):
            break
        if monitor.converged:
            break
        if accelerator is not None:
            accelerator.accepted(stats)
            proposal = accelerator.propose(current)
    return EMResult(following, monitor.last, monitor.history, n_iter, monitor.converged,
                    params)


def _accelerator(acceleration):
    if acceleration is None:
        return None
    if acceleration == "squarem":
        return squarem.Squarem()
    raise ValueError(f"acceleration must be None or 'squarem'; got {acceleration!r}.")


def fit_em(initialize, source, *, n_init=1, warm=None, reporter=None, run=None,
           **run_options):
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
    run : callable, default=None
        The run of one start, :func:`run_em` when None (online EM passes
        :func:`emkit.engine.online.run_online`).
    **run_options
        Passed to ``run``.

    Returns
    -------
    best : EMResult
        Ties keep the earlier run, as scikit-learn does; a later run must be higher by
        more than ``START_RTOL`` (relative), so that starts reaching the same optimum,
        which differ in the last bits between processors, keep the same winner. Its
        ``histories`` holds the history of every start.
    """
    reporter = reporter or VerboseReporter()
    with one_blas_thread():
        return _fit_starts(initialize, source, n_init, warm, reporter, run or run_em,
                           run_options)


def _fit_starts(initialize, source, n_init, warm, reporter, run, run_options):
    best, histories = None, []
    for index in range(1 if warm is not None else n_init):
        reporter.init_begin(index)
        model, initial = warm if warm is not None else (initialize(), -np.inf)
        result = run(model, source, initial=initial, reporter=reporter, **run_options)
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
