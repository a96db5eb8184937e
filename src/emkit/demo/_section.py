"""What one section of the demo gives back: its printed lines and its figures."""

from dataclasses import dataclass, field

__all__ = ["Section", "figure_grid"]


@dataclass
class Section:
    """One use of EM in the demo's tour.

    Parameters
    ----------
    title : str
        The section's heading.
    lines : list of str
        The printed results.
    figures : dict of str to callable, default={}
        File name to a function drawing the figure (called only when matplotlib is
        installed), returning a titled ``matplotlib.figure.Figure``.
    """

    title: str
    lines: list
    figures: dict = field(default_factory=dict)


def figure_grid(n_panels, title, width=4.5, height=3.8):
    """Return a headless figure with ``n_panels`` axes side by side, and the axes.

    Parameters
    ----------
    n_panels : int
        Number of axes.
    title : str
        The figure's title.
    width : float, default=4.5
        Inches per panel.
    height : float, default=3.8
        Inches of the figure's height.

    Returns
    -------
    figure : matplotlib.figure.Figure
    axes : list of matplotlib Axes
    """
    from emkit.plotting._figure import require_matplotlib

    matplotlib = require_matplotlib()
    figure = matplotlib.figure.Figure(figsize=(width * n_panels, height), layout="constrained")
    axes = list(figure.subplots(1, n_panels, squeeze=False)[0])
    figure.suptitle(title)
    return figure, axes
