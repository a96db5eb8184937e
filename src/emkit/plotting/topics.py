"""The top words of each topic of a topic model, as small bar charts side by side."""

import numpy as np

from emkit.plotting._figure import as_float_array, require_matplotlib

__all__ = ["plot_topics", "top_words"]


def top_words(model, vocabulary, n_words=8):
    """Return the ``n_words`` heaviest words of each topic, heaviest first.

    Parameters
    ----------
    model : estimator or array-like of shape (n_topics, n_features)
        A fitted topic model with ``components_`` (PLSA, LatentDirichletAllocation,
        scikit-learn's decompositions), or the topic-word weights themselves.
    vocabulary : array-like of str of shape (n_features,)
        The word of each column.
    n_words : int, default=8
        Words per topic.

    Returns
    -------
    words : list of list of str
        One list per topic.
    """
    weights, vocabulary = _checked(model, vocabulary)
    order = np.argsort(-weights, axis=1, kind="stable")[:, :n_words]
    return [[str(vocabulary[j]) for j in row] for row in order]


def plot_topics(model, vocabulary, n_words=8, columns=4):
    """Plot the heaviest words of each topic with their share of the topic's weight.

    Parameters
    ----------
    model : estimator or array-like of shape (n_topics, n_features)
        A fitted topic model with ``components_``, or the topic-word weights.
    vocabulary : array-like of str of shape (n_features,)
        The word of each column.
    n_words : int, default=8
        Words per topic.
    columns : int, default=4
        Topics per row of panels.

    Returns
    -------
    figure : matplotlib.figure.Figure
        One panel per topic: horizontal bars of ``P(word | topic)`` (each topic's weights
        normalized to sum to one), heaviest word on top.
    """
    matplotlib = require_matplotlib()
    weights, vocabulary = _checked(model, vocabulary)
    shares = weights / weights.sum(axis=1, keepdims=True)
    n_topics = len(shares)
    columns = max(1, min(int(columns), n_topics))
    rows = -(-n_topics // columns)
    figure = matplotlib.figure.Figure(figsize=(3.0 * columns, 0.3 * n_words * rows + 1.0),
                                      layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for k, ax in enumerate(axes):
        if k >= n_topics:
            ax.set_axis_off()
            continue
        order = np.argsort(-shares[k], kind="stable")[:n_words][::-1]
        ax.barh(np.arange(len(order)), shares[k, order], color=f"C{k % 10}")
        ax.set_yticks(np.arange(len(order)), [str(vocabulary[j]) for j in order])
        ax.set_title(f"topic {k}")
        ax.set_xlabel("P(word | topic)")
    figure.suptitle("Top words of each topic")
    return figure


def _checked(model, vocabulary):
    weights = getattr(model, "components_", model)
    weights = as_float_array(weights, "the topic-word weights")
    vocabulary = np.asarray(vocabulary)
    if weights.ndim != 2 or weights.shape[1] != len(vocabulary):
        raise ValueError(f"The topic-word weights have shape {weights.shape}, but the "
                         f"vocabulary holds {len(vocabulary)} words; give one word per "
                         "column.")
    if np.any(weights < 0) or np.any(weights.sum(axis=1) <= 0):
        raise ValueError("Topic-word weights must be non-negative with a positive total "
                         "per topic.")
    return weights, vocabulary
