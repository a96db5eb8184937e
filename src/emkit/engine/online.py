"""Online (stepwise) EM: the parameters move after every batch of a stream.

Cappé and Moulines (2009): each batch's E-step statistics, scaled to the size of the
whole stream (``total_samples``), are blended into running statistics,
``S = (1 - rho_t) S + rho_t S_batch`` with ``rho_t = (t + learning_offset) **
-learning_decay`` for the ``t``-th update (scikit-learn's LatentDirichletAllocation uses
the same step), and the M-step maximizes the running statistics. The first update takes
its batch whole. Memory is that of one batch and one set of statistics, whatever the
stream's length.
"""

import math
from dataclasses import dataclass

import numpy as np

from emkit.engine.loop import EMResult, EMStep, chunk_plan, e_step, _check_contracts
from emkit.engine.monitor import ConvergenceMonitor
from emkit.engine.report import VerboseReporter
from emkit.engine.underflow import underflow_is_zero

__all__ = ["OnlineState", "online_update", "run_online", "step_size"]


@dataclass(frozen=True)
class OnlineState:
    """Where a stream stands: the running statistics and the number of updates.

    Attributes
    ----------
    stats : AdditiveStats or None
        The running statistics (scaled to ``total_samples``); None before the first
        update.
    n_batch_iter : int
        Updates made.
    """

    stats: object = None
    n_batch_iter: int = 0


def step_size(update, learning_offset=10.0, learning_decay=0.7):
    """Return the weight of the ``update``-th batch, ``(update + offset) ** -decay``.

    Parameters
    ----------
    update : int
        One-based number of the update.
    learning_offset : float, default=10.0
        Down-weights the first updates (at least 1).
    learning_decay : float, default=0.7
        How fast the weight decays; in (0.5, 1] the stream's early batches are forgotten
        and the estimate still converges.

    Returns
    -------
    rho : float
    """
    return float((update + learning_offset) ** -learning_decay)


@underflow_is_zero
def online_update(model, batch, state, *, total_samples, learning_offset=10.0,
                  learning_decay=0.7):
    """One step of online EM: the batch's E-step, the blend, the M-step.

    Parameters
    ----------
    model : Model
        The current model.
    batch : Source
        The batch's rows (or whole sequences).
    state : OnlineState
        The running statistics before the batch.
    total_samples : float
        Size of the whole stream, in the source's unit of weight (rows, or sequences
        of an HMM); the batch's statistics are scaled by ``total_samples`` over its
        weight.
    learning_offset : float, default=10.0
        See :func:`step_size`.
    learning_decay : float, default=0.7
        See :func:`step_size`.

    Returns
    -------
    model : Model
        The model after the M-step.
    state : OnlineState
        The running statistics after the batch.
    log_likelihood : float
        The batch's log-likelihood (its total) under ``model`` before the update.
    """
    stats = e_step(model, batch)
    if not math.isfinite(stats.log_likelihood):
        raise FloatingPointError(
            f"The log-likelihood of this batch is not finite ({stats.log_likelihood}): some "
            "samples have zero probability under every component of the model so far (a "
            "value that no earlier batch held may have probability 0 there). Check that "
            "the data lie in the components' support, or start from a batch that holds "
            "every value.")
    if not stats.fixed_size:
        raise ValueError(
            f"Online EM keeps running statistics of a fixed size, but "
            f"{type(model).__name__}'s keep every row ({type(stats).__name__}); fit these "
            "components with fit's batch EM instead.")
    weight = batch.total_weight
    scaled = stats.scale(total_samples / weight) if weight > 0 else stats
    update = state.n_batch_iter + 1
    if state.stats is None:
        running = scaled
    else:
        rho = step_size(update, learning_offset, learning_decay)
        running = state.stats.scale(1.0 - rho) + scaled.scale(rho)
    return model.m_step(running), OnlineState(running, update), float(stats.log_likelihood)


def run_online(model, source, *, batch_size, max_iter=1, tol=1e-3, learning_offset=10.0,
               learning_decay=0.7, callback=None, reporter=None, per_sample=True,
               state=None, initial=-np.inf, order=None):
    """Stream ``source`` in batches for ``max_iter`` passes of online EM.

    Parameters
    ----------
    model : Model
        The starting model.
    source : Source
        The data; :meth:`~emkit.engine.Source.batches` cuts it.
    batch_size : int
        Rows (sequences, for an HMM) per batch.
    max_iter : int, default=1
        Passes over the data.
    tol : float, default=1e-3
        A pass whose log-likelihood changed by less than this from the previous pass's
        ends the fit as converged.
    learning_offset : float, default=10.0
        See :func:`step_size`.
    learning_decay : float, default=0.7
        See :func:`step_size`.
    callback : callable, default=None
        Called with an :class:`~emkit.engine.EMStep` after every batch (``iteration``
        counts the updates, ``log_likelihood`` is the batch's, per unit of weight);
        returning True stops.
    reporter : VerboseReporter, default=None
        Where a line per pass goes.
    per_sample : bool, default=True
        Monitor the log-likelihood per unit of weight; False monitors the total.
    state : OnlineState, default=None
        Running statistics to continue from.
    initial : float, default=-np.inf
        The log-likelihood before the first pass (a warm start's).
    order : numpy.random.RandomState, default=None
        Draws, for each pass, the rows (or sequences) of each batch: rows stored cluster
        by cluster (data stacked class by class) would otherwise pull the model to one
        cluster after another. None takes consecutive rows, in the order of the data.

    Returns
    -------
    result : EMResult
        ``history`` holds one value per pass: the log-likelihood of its batches, each
        under the model before its update (the stream's own measure, which no pass over
        the data is spent on); ``n_iter`` counts the passes, ``online`` the final
        :class:`OnlineState`.
    """
    reporter = reporter or VerboseReporter()
    _check_contracts(model, source)
    monitor = ConvergenceMonitor(tol=tol, max_iter=max_iter, initial=initial)
    state = state or OnlineState()
    total = source.total_weight
    stopped = False
    for n_pass in range(1, max_iter + 1):
        pass_total = 0.0
        for batch in source.batches(batch_size, order):
            model, state, log_likelihood = online_update(
                model, batch, state, total_samples=total, learning_offset=learning_offset,
                learning_decay=learning_decay)
            pass_total += log_likelihood
            if callback is not None:
                value = log_likelihood / batch.total_weight if per_sample else log_likelihood
                if callback(EMStep(state.n_batch_iter, value, math.nan, model)):
                    stopped = True
                    break
        if stopped:
            break
        value = pass_total / total if per_sample else pass_total
        if not np.isfinite(value):
            raise FloatingPointError(
                f"The log-likelihood of pass {n_pass} is not finite ({value}): some rows "
                "have zero probability under every component.")
        change = monitor.report(value, guard=False)
        reporter.iteration(n_pass, change, value, model)
        if monitor.converged:
            break
    return EMResult(model, monitor.last, monitor.history, len(monitor.history),
                    monitor.converged, online=state)
