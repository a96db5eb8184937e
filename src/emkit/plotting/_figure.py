"""The one place that imports matplotlib and makes figures for emkit's plots.

Figures are built from ``matplotlib.figure.Figure`` directly, never through pyplot, so
they draw headless and leave no global state behind.
"""

import numpy as np

__all__ = ["as_float_array", "check_axes", "component_colormap", "figure_and_axes", "figure_of",
           "label_norm", "require_matplotlib"]

MISSING_MATPLOTLIB = "plotting needs matplotlib: pip install 'emkit[plot]'"


def require_matplotlib():
    """Return the matplotlib module, or raise a one-sentence ImportError naming the extra."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401  (loads the Figure class used below)
    except ImportError:
        raise ImportError(MISSING_MATPLOTLIB) from None
    return matplotlib


def check_axes(ax, name="ax"):
    """Raise a TypeError unless ``ax`` is a matplotlib Axes."""
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes, got {type(ax).__name__}.")


def figure_of(ax):
    """Return the top-level Figure that holds ``ax`` (also when it sits in a SubFigure)."""
    try:
        return ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10 has no ``root`` and returns the figure itself
        return ax.get_figure()


def figure_and_axes(ax, figsize=(6.0, 4.0)):
    """Return ``(figure, axes)``: a new headless figure when ``ax`` is None, else ax's own."""
    matplotlib = require_matplotlib()
    if ax is None:
        figure = matplotlib.figure.Figure(figsize=figsize, layout="constrained")
        return figure, figure.add_subplot()
    check_axes(ax)
    return figure_of(ax), ax


def component_colormap(n_colors):
    """Return a colormap whose entry ``k`` (an integer index) is the colour of component k.

    Qualitative maps while they have enough colours, then viridis cut into ``n_colors``.
    """
    matplotlib = require_matplotlib()
    for name, size in (("tab10", 10), ("tab20", 20)):
        if n_colors <= size:
            return matplotlib.colormaps[name]
    return matplotlib.colormaps["viridis"].resampled(int(n_colors))


def label_norm(cmap):
    """Return the norm that sends integer label k to entry k of the listed map ``cmap``."""
    from matplotlib.colors import Normalize

    return Normalize(vmin=-0.5, vmax=cmap.N - 0.5)


def as_float_array(values, name):
    """Return ``values`` as a float ndarray, or raise a one-sentence TypeError."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric array-like, got {type(values).__name__}.") \
            from None
