"""Segment and denoise images with a Gaussian mixture over pixel values.

Each pixel is one sample (grey: one feature, colour: one per channel); with
``spatial_beta`` the labels also follow a Potts prior over neighbouring pixels
(:mod:`emkit.potts`). Reading and writing image files uses Pillow, except ``.npy`` files,
which need only numpy.
"""

import os
from dataclasses import dataclass

import numpy as np

from emkit._files import atomic_write
from emkit.engine.underflow import underflow_is_zero

__all__ = ["ImageSegmentation", "read_image", "segment_image", "write_image"]

_PILLOW_MISSING = "Reading and writing image files needs Pillow; pip install 'emkit[image]'."


@dataclass
class ImageSegmentation:
    """The result of :func:`segment_image`.

    Parameters
    ----------
    labels : ndarray of shape (height, width)
        Most probable component of each pixel; component 0 is the darkest.
    denoised : ndarray
        The image with each pixel replaced by its posterior mean
        ``sum_k r_ik mu_k``; same shape as the image, in its float dtype.
    model : GaussianMixture
        The fitted mixture, its components ordered by increasing mean brightness (so
        ``model.predict`` gives ``labels`` of an independent-pixel fit; a spatial fit's
        labels also weigh the neighbours, and its model holds the fitted classes with
        the weights of the posterior).
    n_components : int
        Number of components.
    spatial_beta : float, default=None
        The Potts interaction strength of a spatial fit (the estimate, for "auto");
        None for independent pixels.
    free_energy : list of float, default=None
        A spatial fit's mean-field free energy per pixel after each iteration.
    """

    labels: np.ndarray
    denoised: np.ndarray
    model: object
    n_components: int
    spatial_beta: float = None
    free_energy: list = None


@underflow_is_zero
def segment_image(image, n_components=2, *, covariance_type="full", n_init=1, random_state=0,
                  max_iter=100, spatial_beta=None, neighbourhood=None, volume=False):
    """Fit a Gaussian mixture to the pixel values of an image, then label and denoise it.

    With ``spatial_beta`` the labels follow a Potts prior too: a pixel's class depends
    on its neighbours' (a hidden Markov random field, fitted by EM with a mean-field
    E-step from the independent fit; see :mod:`emkit.potts`), which removes the isolated
    wrong pixels that noise leaves in an independent fit.

    Integer images are converted to float64 without rescaling, so the denoised image is
    in the image's own units. NaN pixels (float images) are allowed: they are labelled
    and denoised from their observed channels, or from the mixing weights alone when no
    channel is observed. Every channel is a feature, alpha included (an opaque RGBA
    image segments as its RGB does); pass ``image[..., :3]`` to ignore transparency.

    Parameters
    ----------
    image : array-like of shape (height, width) or (height, width, n_channels)
        Grey or colour image.
    n_components : int, default=2
        Number of pixel classes.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Covariance structure of the classes (matters for colour images only).
    n_init : int, default=1
        Number of EM starts; the best is kept.
    random_state : int, RandomState instance or None, default=0
        Seed of the starts.
    max_iter : int, default=100
        Maximum number of EM iterations per start (and of the spatial fit).
    spatial_beta : float or 'auto', default=None
        The Potts interaction strength: None (independent pixels), 0 (the same), a
        positive number, or "auto" (estimated by the fit, by pseudo-likelihood).
    neighbourhood : int, default=None
        The neighbours of a pixel: 4 or 8 in an image, 6 or 26 in a volume; None takes
        4 (6 in a volume).
    volume : bool, default=False
        Read a 3-D ``image`` as a grey volume (depth, height, width), and a 4-D one as a
        colour volume, instead of a colour image.

    Returns
    -------
    segmentation : ImageSegmentation
        Labels (components ordered by increasing mean brightness), the denoised image and
        the fitted model.

    Raises
    ------
    ValueError
        If the image is not 2-D or 3-D, is empty, or has fewer distinct pixel values
        than components (a constant image cannot be split in two).
    TypeError
        If the image is not numeric.
    """
    from emkit.estimators import GaussianMixture

    image = _float_image(image, volume)
    grid = image.shape[:3] if volume else image.shape[:2]
    pixels = image.reshape(int(np.prod(grid)), -1)
    _check_components(n_components, pixels)
    _check_beta(spatial_beta)
    model = GaussianMixture(n_components, covariance_type=covariance_type, n_init=n_init,
                            random_state=random_state, max_iter=max_iter).fit(pixels)
    _order_by_brightness(model)
    if spatial_beta is None or (not isinstance(spatial_beta, str) and spatial_beta == 0):
        labels = model.predict(pixels).reshape(grid)
        denoised = model.predict_proba(pixels) @ model.means_
        return ImageSegmentation(labels=labels, denoised=denoised.reshape(image.shape).astype(
            image.dtype), model=model, n_components=n_components,
            spatial_beta=None if spatial_beta is None else 0.0)
    return _spatial(image, pixels, grid, model, spatial_beta, neighbourhood, max_iter)


def _spatial(image, pixels, grid, model, beta, neighbourhood, max_iter):
    # The Potts fit from the independent one; classes stay ordered by brightness.
    from emkit.models.mixture import Mixture
    from emkit.potts import fit_potts

    start = model._get_model()
    fit = fit_potts(np.asarray(pixels, dtype=np.float64), grid, start.family,
                    start.log_weights, beta, neighbourhood=neighbourhood, max_iter=max_iter)
    posterior = fit.posterior.reshape(-1, model.n_components)
    weights = posterior.mean(axis=0)
    model._set_model(Mixture(weights / weights.sum(), fit.family))
    order = np.argsort(model.means_.mean(axis=1), kind="stable")
    _order_by_brightness(model)
    posterior = posterior[:, order]
    denoised = posterior @ model.means_
    return ImageSegmentation(
        labels=posterior.argmax(axis=1).reshape(grid),
        denoised=denoised.reshape(image.shape).astype(image.dtype), model=model,
        n_components=model.n_components, spatial_beta=fit.beta, free_energy=fit.history)


def _check_beta(beta):
    if beta is None or (isinstance(beta, str) and beta == "auto"):
        return
    if isinstance(beta, str) or isinstance(beta, bool) or not np.isscalar(beta) \
            or not np.isfinite(beta) or beta < 0:
        raise ValueError(f"spatial_beta must be None, a non-negative number or 'auto'; got "
                         f"{beta!r}.")


def _float_image(image, volume=False):
    image = np.asarray(image)
    if image.dtype == bool or not (np.issubdtype(image.dtype, np.integer)
                                   or np.issubdtype(image.dtype, np.floating)):
        raise TypeError(f"image must hold integer or float pixel values; got dtype "
                        f"{image.dtype}.")
    if volume and image.ndim not in (3, 4):
        raise ValueError("A volume must be 3-D (depth, height, width) or 4-D (depth, height, "
                         f"width, channels); got an array of shape {image.shape}.")
    if not volume and image.ndim not in (2, 3):
        raise ValueError("image must be 2-D (height, width) or 3-D (height, width, channels); "
                         f"got an array of shape {image.shape}.")
    if image.size == 0:
        raise ValueError(f"image is empty (shape {image.shape}); give at least two pixels.")
    if np.issubdtype(image.dtype, np.integer):
        return image.astype(np.float64)
    if np.isinf(image).any():
        raise ValueError("image holds infinite values; replace them with finite values or "
                         "NaN.")
    return image if image.dtype in (np.float32, np.float64) else image.astype(np.float64)


def _check_components(n_components, pixels):
    n_pixels = pixels.shape[0]
    if n_pixels < 2:
        raise ValueError("image has a single pixel; give at least two pixels.")
    if not isinstance(n_components, (int, np.integer)) or isinstance(n_components, bool):
        return  # the estimator reports a bad type with its own message
    if n_components > n_pixels:
        raise ValueError(f"Cannot fit {n_components} components to an image of {n_pixels} "
                         f"pixels; give n_components of at most {n_pixels}.")
    n_values = _count_distinct(pixels, n_components)
    if n_values < n_components:
        raise ValueError(f"The image has only {n_values} distinct pixel value(s), fewer than "
                         f"the {n_components} components asked for; give n_components of "
                         f"at most {max(n_values, 1)}.")


def _count_distinct(pixels, enough):
    # Distinct fully observed pixels, counted exactly only when there may be fewer than
    # ``enough``: a channel with that many values already proves there are enough.
    observed = pixels[~np.isnan(pixels).any(axis=1)]
    if any(len(np.unique(channel)) >= enough for channel in observed.T):
        return enough
    return len(np.unique(observed, axis=0))


def _order_by_brightness(model):
    # Relabel components in place so that component 0 has the darkest mean (averaged over
    # channels); a tied covariance is shared and stays as it is.
    order = np.argsort(model.means_.mean(axis=1), kind="stable")
    names = ["weights_", "means_"]
    if model.covariance_type != "tied":
        names += ["covariances_", "precisions_", "precisions_cholesky_"]
    for name in names:
        setattr(model, name, getattr(model, name)[order])


def read_image(path):
    """Read an image file into an array.

    ``.npy`` files are read with numpy; other files (PNG, JPEG, TIFF, ...) with Pillow,
    giving arrays of shape (height, width) for grey images and (height, width, channels)
    for colour ones, in the file's own depth: uint8 for 8-bit files, uint16 for 16-bit
    grey PNG and TIFF. Palette images become RGB (RGBA when they have a transparent
    colour), 1-bit images 0/255 grey, and CMYK, YCbCr, LAB and HSV images RGB.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    image : ndarray
        The pixel values.

    Raises
    ------
    ImportError
        If Pillow is needed and not installed.
    ValueError
        If the file is not an image Pillow can read.
    """
    path = os.fspath(path)
    if path.lower().endswith(".npy"):
        return np.load(path, allow_pickle=False)
    Image = _pillow()
    try:
        with Image.open(path) as picture:
            return np.asarray(_plain_mode(picture)).copy()
    except Image.UnidentifiedImageError:
        raise ValueError(f"{path!r} is not an image file Pillow can read; give a PNG, JPEG, "
                         "TIFF or .npy file.") from None


def _plain_mode(picture):
    # Pixel values a user can read as grey or RGB(A) without knowing Pillow's modes.
    if picture.mode in ("P", "PA"):
        transparent = picture.mode == "PA" or "transparency" in picture.info
        return picture.convert("RGBA" if transparent else "RGB")
    if picture.mode == "1":
        return picture.convert("L")
    if picture.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        return picture.convert("RGB")
    return picture


def write_image(path, array, *, dtype=None):
    """Write an array to an image file, atomically.

    ``.npy`` files keep the array exactly. Other formats (chosen by the extension) get
    8-bit pixels: uint8 arrays are written as they are; booleans become 0 and 255; other
    arrays whose finite values all lie in [0, 1] are scaled by 255, and any other array
    maps its own range [min, max] linearly onto [0, 255]; values are rounded and NaN is
    written as 0. The shape must be (height, width), or (height, width, c) with c in 1
    (grey), 2 (grey with alpha, as :func:`read_image` returns it), 3 (RGB) or 4 (RGBA).

    With ``dtype`` the values are written as they are, in that pixel type, instead of by
    these rules: rounded (for an integer type), clipped to its range, NaN written as 0.
    So a float image computed from an 8-bit one (e.g. the ``denoised`` of
    :func:`segment_image`) goes back to its units with ``dtype=np.uint8``.

    Parameters
    ----------
    path : str or path-like
        The file; its extension picks the format.
    array : array-like
        The image.
    dtype : numpy dtype or str, default=None
        The pixel type to write the values in, unscaled: uint8, or uint16 for a grey
        image (PNG and TIFF hold 16-bit grey; Pillow writes no 16-bit colour image),
        and any integer or float type for a ``.npy`` file. None applies the rules above
        (a ``.npy`` file keeps the array's own dtype).

    Raises
    ------
    ImportError
        If Pillow is needed and not installed.
    ValueError
        If the shape is not an image's, the values are not real numbers, the extension
        names no known format, the format cannot hold the image (RGBA as JPEG), or
        ``dtype`` is not one the file can hold.
    """
    path = os.fspath(path)
    array = np.asarray(array)
    if path.lower().endswith(".npy"):
        if dtype is not None:
            array = _as_dtype(_real_values(array), dtype)
        atomic_write(path, lambda handle: np.save(handle, array, allow_pickle=False))
        return
    Image = _pillow()
    array = _image_shape(array)
    pixels = _to_uint8(array) if dtype is None else _as_pixel_type(array, dtype)
    fmt = Image.registered_extensions().get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise ValueError(f"Cannot tell the image format of {path!r} from its extension; use "
                         ".png, .jpg, .tif or .npy.")
    picture = Image.fromarray(pixels)
    if picture.mode in ("RGBA", "LA") and fmt == "JPEG":
        raise ValueError(f"JPEG cannot hold the alpha channel of {path!r}; write a .png, or "
                         "drop the alpha channel with array[..., :3].")
    atomic_write(path, lambda handle: _save(picture, handle, fmt))


def _save(picture, handle, fmt):
    try:
        picture.save(handle, format=fmt)
    except OSError as error:
        if error.errno is not None:  # the file system's own error (disk full, ...)
            raise
        raise ValueError(f"Pillow cannot write a {picture.mode} image as {fmt} ({error}); "
                         "use .png.") from None


def _image_shape(array):
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (2, 3, 4))) \
            or array.size == 0:
        raise ValueError("An image file needs a non-empty array of shape (height, width) or "
                         f"(height, width, 2, 3 or 4); got shape {array.shape}.")
    return _real_values(array)


def _real_values(array):
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) \
            or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"An image file needs real numeric pixel values; got dtype "
                         f"{array.dtype}.")
    return array


def _as_pixel_type(array, dtype):
    # The values themselves in uint8, or uint16 for grey: the types Pillow writes.
    dtype = np.dtype(dtype)
    if dtype == np.uint16 and array.ndim == 3:
        raise ValueError("Pillow cannot write 16-bit colour (or grey with alpha) images; "
                         "write a .npy file to keep 16-bit values, or give dtype uint8.")
    if dtype not in (np.uint8, np.uint16):
        raise ValueError(f"An image file holds uint8 pixels, or uint16 grey ones, not "
                         f"{dtype}; write a .npy file to keep {dtype} values.")
    return _as_dtype(array, dtype)


def _as_dtype(array, dtype):
    # Values converted unscaled: rounded and clipped to an integer type's range (NaN: 0).
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return array.astype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"dtype must be an integer or float type; got {dtype}.")
    if array.dtype.kind in "biu" and np.can_cast(array.dtype, dtype, casting="safe"):
        return array.astype(dtype)
    info = np.iinfo(dtype)
    high = float(info.max)
    if int(high) > info.max:  # 2**63 - 1 rounds up in float64
        high = np.nextafter(high, -np.inf)
    values = np.rint(np.nan_to_num(array.astype(np.float64), nan=0.0))
    return np.clip(values, float(info.min), high).astype(dtype)


def _to_uint8(array):
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    values = array.astype(np.float64)
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    if low < 0 or high > 1:
        values = (values - low) / (high - low) if high > low else np.zeros_like(values)
    values = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)
    return np.rint(np.clip(values, 0, 1) * 255).astype(np.uint8)


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(_PILLOW_MISSING) from None
    return Image
