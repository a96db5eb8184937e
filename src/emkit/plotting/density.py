"""One-dimensional data against the fitted mixture density and its weighted components.

On a grid, w_k p_k(x) = P(k | x) p(x) = ``predict_proba(grid) * exp(score_samples(grid))``,
so any mixture estimator can be drawn without knowing its family.
"""

import warnings
from contextlib import contextmanager
from numbers import Integral

import numpy as np

from emkit.plotting._figure import as_float_array, check_fitted, figure_and_axes

__all__ = ["plot_density_1d"]

GRID_POINTS = 400


def plot_density_1d(model, X, ax=None, bins=50):
    """Plot a histogram of 1-D data with the fitted mixture density and its components.

    Parameters
    ----------
    model : mixture estimator
        A fitted emkit mixture estimator on one feature (``GaussianMixture``,
        ``MixtureModel``, ``PoissonMixture``, ...); it needs ``score_samples`` and
        ``predict_proba``.
    X : array-like of shape (n_samples,) or (n_samples, 1)
        The data to draw as a histogram; NaN entries (missing values) are left out.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    bins : int, sequence or str, default=50
        Histogram bins, as matplotlib's ``hist`` takes them. Ignored when the model only
        takes integers (Poisson, Bernoulli): then each integer gets its own bin.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure that holds the plot. Its axes' first line is the mixture density
        ``exp(score_samples)`` on a grid; the next lines are the weighted components
        w_k p_k, which sum to it. The grid spans the data with a margin of a tenth of
        its range, except that it stays at x >= 0 (or x > 0) when the data is
        non-negative and the model's family has no density below zero (Gamma,
        Exponential, LogNormal).
    """
    x = _single_column(X)
    _check_model(model)
    _check_bins(bins)
    grid, log_density, discrete = _grid_and_log_density(model, x)
    density = np.exp(log_density)
    with _unnamed_grid():
        resp = np.asarray(model.predict_proba(grid[:, None]))
    components = resp * density[:, None]
    figure, ax = figure_and_axes(ax)
    edges = np.arange(grid[0] - 0.5, grid[-1] + 1.0) if discrete else bins
    ax.hist(x, bins=edges, density=True, color="0.8", label="data")
    style = {"marker": "o", "markersize": 4} if discrete else {}
    ax.plot(grid, density, color="black", linewidth=2, label="mixture", **style)
    for k in range(components.shape[1]):
        ax.plot(grid, components[:, k], linestyle="--", label=f"component {k}", **style)
    ax.set_xlabel("x")
    ax.set_ylabel("probability" if discrete else "density")
    ax.legend()
    return figure


def _single_column(X):
    x = as_float_array(X, "X")
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"plot_density_1d draws one feature, but X has shape {x.shape}; "
                         "pass a single column (or use plot_clusters_2d).")
    if np.isinf(x).any():
        raise ValueError("X holds infinite values; drop them (or set them to NaN) before "
                         "plotting.")
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise ValueError("X has no samples without NaN; pass at least one observed value.")
    return x


def _check_model(model):
    check_fitted(model, "plot_density_1d")
    n_features = getattr(model, "n_features_in_", 1)
    if n_features != 1:
        raise ValueError(f"plot_density_1d needs a model fitted on one feature, but this "
                         f"{type(model).__name__} was fitted on {n_features}.")


def _check_bins(bins):
    if isinstance(bins, Integral) and not isinstance(bins, bool) and bins < 1:
        raise ValueError(f"bins must be a positive number of bins, got {bins}.")


def _grid_and_log_density(model, x):
    # (grid, log-density on it, whether the grid is the integers of an integer support)
    low, high = float(x.min()), float(x.max())
    pad = 0.1 * (high - low) if high > low else 1.0
    grids = [np.linspace(low - pad, high + pad, GRID_POINTS)]
    if low >= 0.0 > low - pad:
        # Families on x >= 0 or x > 0 (Gamma, Exponential, ...) refuse negative points.
        half_line = np.linspace(0.0, high + pad, GRID_POINTS)
        grids += [half_line, half_line[1:]]
    for grid in grids:
        try:
            return grid, _log_density(model, grid), False
        except ValueError:
            pass
    # Families with integer support (Poisson, Bernoulli) refuse every real grid; a model
    # that is wrong refuses the integer grid as well, with its own message.
    grid = np.arange(np.floor(low), np.ceil(high) + 1.0)
    return grid, _log_density(model, grid), True


@contextmanager
def _unnamed_grid():
    # The grid is built here and has no column names, whatever the model was fitted on.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        yield


def _log_density(model, grid):
    with _unnamed_grid():
        log_density = model.score_samples(grid[:, None])
    if isinstance(log_density, tuple) or np.ndim(log_density) != 1:
        raise TypeError(f"plot_density_1d needs a mixture estimator, got "
                        f"{type(model).__name__}, whose density depends on a whole sequence.")
    return np.asarray(log_density, dtype=np.float64)
