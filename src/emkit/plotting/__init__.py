"""Headless matplotlib plots of fitted emkit models: histories, densities, clusters, selection.

matplotlib (the ``plot`` extra) is imported only when a function draws; every function
takes an optional ``ax`` and returns the ``matplotlib.figure.Figure`` it drew on.
"""

from emkit.plotting.clusters import plot_clusters_2d
from emkit.plotting.criterion import plot_criterion
from emkit.plotting.density import plot_density_1d
from emkit.plotting.history import plot_log_likelihood
from emkit.plotting.image import plot_image
from emkit.plotting.topics import plot_topics, top_words

__all__ = ["plot_clusters_2d", "plot_criterion", "plot_density_1d", "plot_image",
           "plot_log_likelihood", "plot_topics", "top_words"]
