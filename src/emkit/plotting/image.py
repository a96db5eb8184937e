"""Two images side by side (e.g. before and after colour quantisation), and the segmentation.

Grey panels share one intensity range, so a change between them is a change on screen.
"""

import numpy as np

from emkit.plotting._figure import (check_axes, component_colormap, figure_of, label_norm,
                                    require_matplotlib)

__all__ = ["plot_image"]


def plot_image(before, after, ax=None, titles=("before", "after"), labels=None):
    """Show two images side by side, optionally with a third panel of segmentation labels.

    Parameters
    ----------
    before : array-like of shape (height, width) or (height, width, n_channels)
        The first image: grey, grey with alpha (2 channels), or colour (RGB, or RGBA
        with 4 channels), with floats in [0, 1] or integers in [0, 255]. NaN pixels
        (missing values, as :func:`emkit.image.segment_image` accepts them) are drawn
        transparent.
    after : array-like of shape (height, width) or (height, width, n_channels)
        The second image, in the same forms.
    ax : sequence of matplotlib Axes, default=None
        Where to draw: two axes, or three when ``labels`` is given; None makes a new figure.
    titles : tuple of str, default=('before', 'after')
        Titles of the two image panels (a third entry titles the labels panel, which is
        otherwise called 'labels').
    labels : array-like of shape (height, width) or (height * width,), default=None
        Non-negative integer component of each pixel of ``before`` (e.g. ``predict`` on
        its pixels); drawn as a third panel when given.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure that holds the panels, each axes holding one image.
    """
    images = [_image(before, "before"), _image(after, "after")]
    titles = _titles(titles, labels is not None)
    segmentation = None if labels is None else _segmentation(labels, images[0].shape[:2])
    height, width = images[0].shape[:2]
    figure, axes = _panels(ax, 2 if segmentation is None else 3, height / width)
    low, high = _grey_range(images)
    for axis, image, title in zip(axes, images, titles):
        if image.ndim == 2:
            axis.imshow(image, cmap="gray", vmin=low, vmax=high)
        else:
            axis.imshow(image)
        axis.set_title(title)
        axis.set_axis_off()
    if segmentation is not None:
        cmap = component_colormap(int(segmentation.max()) + 1)
        axes[2].imshow(segmentation, cmap=cmap, norm=label_norm(cmap), interpolation="nearest")
        axes[2].set_title(titles[2])
        axes[2].set_axis_off()
    return figure


def _image(image, name):
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.float64)
    if not np.issubdtype(image.dtype, np.number):
        raise TypeError(f"{name} must be a numeric image array, got dtype {image.dtype}.")
    if image.ndim == 3 and image.shape[2] == 2:  # grey and alpha, drawn as RGBA
        image = image[:, :, [0, 0, 0, 1]]
    colour = image.ndim == 3 and image.shape[2] in (3, 4)
    if not (image.ndim == 2 or colour) or image.size == 0:
        raise ValueError(f"{name} must be a grey (height, width) or colour (height, width, 3 or "
                         f"4) image, or grey with alpha (height, width, 2); got shape "
                         f"{image.shape}.")
    if np.isinf(image).any():
        raise ValueError(f"{name} holds infinite values; replace them (NaN marks a missing "
                         "pixel) before plotting.")
    if colour:
        _check_colour_range(image, name)
        return _transparent_where_missing(image)
    return image


def _transparent_where_missing(image):
    # A colour pixel with a NaN channel becomes a transparent RGBA pixel, as a NaN grey
    # pixel is drawn by imshow.
    missing = np.isnan(image).any(axis=2) if image.dtype.kind == "f" else None
    if missing is None or not missing.any():
        return image
    alpha = image[:, :, 3] if image.shape[2] == 4 else np.ones(image.shape[:2])
    rgba = np.dstack([image[:, :, :3], alpha]).astype(np.float64)
    rgba[missing] = 0.0
    return rgba


def _check_colour_range(image, name):
    integers = np.issubdtype(image.dtype, np.integer)
    top = 255 if integers else 1
    low, high = _value_range(image) or (0.0, 0.0)
    if low < 0 or high > top:
        raise ValueError(f"The colour image {name} has values in [{low:g}, {high:g}]; "
                         f"colours must lie in [0, {top}] "
                         f"({'integers' if integers else 'floats'}).")


def _value_range(image):
    # (min, max) of the observed values; None when every value is NaN.
    observed = image[~np.isnan(image)] if image.dtype.kind == "f" else image
    return (float(observed.min()), float(observed.max())) if observed.size else None


def _titles(titles, with_labels):
    titles = [titles] if isinstance(titles, str) else list(titles)
    if with_labels and len(titles) == 2:
        titles.append("labels")
    expected = 3 if with_labels else 2
    if len(titles) != expected:
        raise ValueError(f"titles must hold {expected} titles, one per panel, got "
                         f"{len(titles)}.")
    return [str(title) for title in titles]


def _segmentation(labels, shape):
    labels = np.asarray(labels)
    if labels.size != shape[0] * shape[1] or labels.ndim not in (1, 2) \
            or (labels.ndim == 2 and labels.shape != shape):
        raise ValueError(f"labels must have the shape of the image {shape} or one entry per "
                         f"pixel ({shape[0] * shape[1]}), got shape {labels.shape}.")
    if not np.issubdtype(labels.dtype, np.number) or not np.all(np.isfinite(labels)) \
            or np.any(labels < 0) or np.any(labels != np.round(labels)):
        raise ValueError("labels must be non-negative integer component labels.")
    return labels.reshape(shape).astype(np.int64)


def _panels(ax, n_panels, aspect):
    matplotlib = require_matplotlib()
    from matplotlib.axes import Axes

    if ax is None:
        size = (4.0 * n_panels, float(np.clip(4.0 * aspect, 2.0, 8.0)) + 0.5)
        figure = matplotlib.figure.Figure(figsize=size, layout="constrained")
        return figure, list(figure.subplots(1, n_panels))
    if isinstance(ax, Axes) or not hasattr(ax, "__len__"):
        raise TypeError(f"ax must be a sequence of {n_panels} matplotlib Axes, one per panel, "
                        f"got {type(ax).__name__}.")
    axes = list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != n_panels:
        raise ValueError(f"ax must hold {n_panels} axes, one per panel, got {len(axes)}.")
    for axis in axes:
        check_axes(axis, "every entry of ax")
    return figure_of(axes[0]), axes


def _grey_range(images):
    ranges = [_value_range(image) for image in images if image.ndim == 2]
    ranges = [pair for pair in ranges if pair is not None]
    if not ranges:
        return None, None
    return min(low for low, _ in ranges), max(high for _, high in ranges)
