"""The one place that imports matplotlib and makes figures for emkit's plots.

Figures are built from ``matplotlib.figure.Figure`` directly, never through pyplot, so
they draw headless and leave no global state behind.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from emkit.exceptions import NotFittedError

__all__ = ["as_float_array", "check_axes", "check_fitted", "check_n_features",
           "component_colormap", "figure_and_axes", "figure_of", "label_norm",
           "require_matplotlib"]

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


def check_fitted(model, function):
    """Raise a one-sentence NotFittedError naming ``function`` when ``model`` is unfitted."""
    # HMMs make ``monitor_`` in their constructor (as hmmlearn does); fit sets startprob_.
    fitted_attribute = "startprob_" if hasattr(model, "monitor_") else None
    try:
        check_is_fitted(model, fitted_attribute)
    except NotFittedError:
        raise NotFittedError(f"This {type(model).__name__} is not fitted yet; call fit "
                             f"before {function}.") from None
    except TypeError:
        pass  # not a scikit-learn estimator: its own methods report what is wrong


def check_n_features(model, n_features, function):
    """Raise a one-sentence ValueError when X's width differs from the model's."""
    fitted = getattr(model, "n_features_in_", None)
    means = getattr(model, "means_", None)
    if fitted is None and np.ndim(means) == 2:
        fitted = np.shape(means)[1]  # HMMs keep no n_features_in_
    if fitted is not None and int(fitted) != n_features:
        raise ValueError(f"X has {n_features} features, but this {type(model).__name__} was "
                         f"fitted on {int(fitted)}; pass {function} data with the columns "
                         "the model was fitted on.")
