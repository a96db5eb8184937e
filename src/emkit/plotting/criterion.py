"""A model-selection criterion against the number of components, one line per covariance type.

Reads only ``table``, ``criterion`` and ``best_index_`` of a selection result, so any
object with those attributes can be drawn.
"""

import numpy as np

from emkit.plotting._figure import figure_and_axes

__all__ = ["plot_criterion"]

ACRONYMS = {"bic": "BIC", "aic": "AIC", "icl": "ICL"}


def plot_criterion(result, ax=None):
    """Plot a selection criterion against the number of components, best candidate marked.

    Parameters
    ----------
    result : SelectionResult
        A model-selection result: ``table`` (dict of column name to 1-D array, one row per
        candidate, with at least ``"n_components"`` and the criterion column; an optional
        ``"covariance_type"`` column splits the lines, empty entries making one line
        called 'candidates'), ``criterion`` (the column to draw) and ``best_index_``
        (the row of the chosen candidate).
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure that holds the plot. Its axes hold one line per covariance type (in
        order of first appearance, points sorted by ``n_components``), then a last line
        with the single best point.
    """
    table, criterion, best = _checked(result)
    n_components = np.asarray(table["n_components"], dtype=np.float64)
    values = np.asarray(table[criterion], dtype=np.float64)
    groups = _groups(table, len(values))
    figure, ax = figure_and_axes(ax)
    for name, rows in groups.items():
        rows = rows[np.argsort(n_components[rows], kind="stable")]
        ax.plot(n_components[rows], values[rows], marker="o", label=name)
    best_label = _best_label(table, n_components[best], best)
    ax.plot([n_components[best]], [values[best]], linestyle="none", marker="*",
            markersize=16, color="black", zorder=3, label=best_label)
    _decorate(ax, criterion)
    return figure


def _best_label(table, n_components, best):
    plural = "" if n_components == 1 else "s"
    kind = str(table["covariance_type"][best]) if "covariance_type" in table else ""
    return f"best: {n_components:g} component{plural}" + (f", {kind}" if kind else "")


def _decorate(ax, criterion):
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("number of components")
    ax.set_ylabel(ACRONYMS.get(criterion, criterion.replace("_", " ")))
    ax.legend()


def _checked(result):
    missing = [name for name in ("table", "criterion", "best_index_")
               if not hasattr(result, name)]
    if missing:
        raise TypeError(f"plot_criterion needs a selection result with table, criterion and "
                        f"best_index_; {type(result).__name__} lacks {', '.join(missing)}.")
    table, criterion = result.table, result.criterion
    for column in ("n_components", criterion):
        if column not in table:
            raise ValueError(f"The selection table has no {column!r} column; it has "
                             f"{sorted(table)}.")
    n_rows = len(table["n_components"])
    lengths = {name: len(column) for name, column in table.items()}
    if any(length != n_rows for length in lengths.values()):
        raise ValueError(f"The selection table's columns differ in length: {lengths}.")
    best = result.best_index_
    if isinstance(best, bool) or not isinstance(best, (int, np.integer)) \
            or not 0 <= best < n_rows:
        raise ValueError(f"best_index_ must be a row of the table (0 to {n_rows - 1}), "
                         f"got {best!r}.")
    return table, criterion, int(best)


def _groups(table, n_rows):
    # Row indices of each covariance type, in order of first appearance.
    if "covariance_type" not in table:
        return {"candidates": np.arange(n_rows)}
    # Estimators without covariance types leave the column empty.
    kinds = [str(kind) or "candidates" for kind in table["covariance_type"]]
    return {kind: np.flatnonzero([k == kind for k in kinds]) for kind in dict.fromkeys(kinds)}
