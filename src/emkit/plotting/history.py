"""The log-likelihood of every EM iteration, each restart overlaid, the kept one highlighted.

EM never lowers the likelihood, so each line should rise and flatten; a restart that ends
lower than the kept one shows why ``n_init`` > 1 can matter.
"""

import numpy as np

from emkit.exceptions import NotFittedError
from emkit.plotting._figure import figure_and_axes

__all__ = ["plot_log_likelihood"]


def plot_log_likelihood(model, ax=None):
    """Plot the log-likelihood per iteration of every start of a fit.

    Parameters
    ----------
    model : estimator or list of array-like
        A fitted emkit estimator: a mixture (its ``lower_bounds_per_init_``, the mean
        log-likelihood per sample of every start, with ``lower_bounds_`` the kept one) or
        an HMM (its ``history_per_init_``, the total log-likelihood of every start, with
        ``monitor_.history`` the kept one). Or a plain list of 1-D arrays, one per start;
        then the start that ends highest is highlighted.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure that holds the plot. Its axes hold one line per start, in start
        order; the kept start's line is the thick one.
    """
    histories, kept, ylabel = _histories(model)
    kept_index = _kept_index(histories, kept)
    figure, ax = figure_and_axes(ax)
    others_labelled = False
    for index, history in enumerate(histories):
        iterations = np.arange(1, len(history) + 1)
        if index == kept_index:
            ax.plot(iterations, history, color="C0", linewidth=2.5, marker="o", markersize=3,
                    zorder=3, label=f"kept start ({index})")
        else:
            ax.plot(iterations, history, color="0.6", linewidth=1.0, alpha=0.8,
                    label="_other" if others_labelled else "other starts")
            others_labelled = True
    _decorate(ax, ylabel)
    return figure


def _decorate(ax, ylabel):
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.set_title("EM log-likelihood per iteration")
    ax.legend()


def _histories(model):
    # (histories, the kept history or None, y-axis label)
    if isinstance(model, (list, tuple, np.ndarray)):
        return _checked_histories(model), None, "log-likelihood"
    per_init = getattr(model, "lower_bounds_per_init_", None)
    if per_init is not None:
        return _checked_histories(per_init), np.asarray(model.lower_bounds_), \
            "log-likelihood per sample"
    per_init = getattr(model, "history_per_init_", None)
    if per_init is not None:
        return _checked_histories(per_init), np.asarray(list(model.monitor_.history)), \
            "log-likelihood"
    if hasattr(model, "fit"):
        raise NotFittedError(
            f"This {type(model).__name__} has no fit history yet; call fit before "
            "plot_log_likelihood.")
    raise TypeError("model must be a fitted emkit estimator or a list of log-likelihood "
                    f"arrays, got {type(model).__name__}.")


def _checked_histories(histories):
    if len(histories) and all(np.ndim(h) == 0 for h in histories):
        histories = [histories]  # one history given as a flat sequence of numbers
    if len(histories) == 0:
        raise ValueError("There are no histories to plot; pass at least one array of "
                         "log-likelihoods.")
    checked = []
    for index, history in enumerate(histories):
        try:
            history = np.asarray(history, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"History {index} is not numeric; each history must be an "
                            "array of log-likelihoods.") from None
        if history.ndim != 1:
            raise ValueError(f"History {index} has shape {history.shape}; each history must "
                             "be a one-dimensional array of log-likelihoods.")
        checked.append(history)
    return checked


def _kept_index(histories, kept):
    # The estimator's kept history is one of its starts; find it (ties: the first, as the
    # engine keeps the earlier start). Without one, the start that ends highest.
    if kept is not None:
        for index, history in enumerate(histories):
            if history.shape == kept.shape and np.array_equal(history, kept):
                return index
    finals = [history[-1] if len(history) else -np.inf for history in histories]
    return int(np.argmax(finals))
