"""Image segmentation and denoising against the Bayes posterior mean of the true model."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit

from emkit.datasets import make_two_level_image
from emkit.image import ImageSegmentation, read_image, segment_image, write_image


def _rms(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def _bayes_posterior_mean(noisy, clean, levels=(0.25, 0.75), noise=0.1):
    # The best possible denoiser: the posterior mean under the true levels, noise and
    # disc fraction.
    a, b = levels
    w = np.mean(clean == b)
    log_odds = np.log(w / (1 - w)) + ((noisy - a) ** 2 - (noisy - b) ** 2) / (2 * noise ** 2)
    return a + (b - a) * expit(log_odds)


@pytest.mark.parametrize("seed", range(5))
def test_seed_example_denoises_and_segments(seed):
    noisy, clean = make_two_level_image(random_state=seed)
    seg = segment_image(noisy, 2, random_state=seed)
    assert isinstance(seg, ImageSegmentation) and seg.n_components == 2
    assert seg.labels.shape == (100, 100) and seg.denoised.shape == (100, 100)
    # Noise of sd 0.1 leaves an RMS error of 0.1; the misclassified tails keep even the
    # Bayes posterior mean near 0.3 of it (0.28 to 0.38 over seeds 0..9).
    assert _rms(seg.denoised, clean) < 0.4 * _rms(noisy, clean)
    assert _rms(seg.denoised, _bayes_posterior_mean(noisy, clean)) < 0.01
    # Component 1 is the brighter one: the disc.
    assert np.mean(seg.labels == (clean > 0.5)) > 0.99
    assert_allclose(seg.model.means_.ravel(), [0.25, 0.75], atol=0.01)


def test_denoised_is_the_posterior_mean_and_labels_the_argmax():
    noisy, _ = make_two_level_image(40, levels=(0.8, 0.1), noise=0.15, random_state=1)
    seg = segment_image(noisy, 3, covariance_type="spherical", random_state=0)
    pixels = noisy.reshape(-1, 1)
    resp = seg.model.predict_proba(pixels)
    by_hand = np.array([sum(r[k] * seg.model.means_[k, 0] for k in range(3)) for r in resp])
    assert_allclose(seg.denoised.ravel(), by_hand, rtol=1e-12)
    assert_array_equal(seg.labels.ravel(), resp.argmax(axis=1))
    assert np.all(np.diff(seg.model.means_[:, 0]) > 0)
    assert_allclose(seg.model.weights_.sum(), 1.0)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_colour_uint8_image(covariance_type):
    _, clean = make_two_level_image(60, levels=(0.0, 1.0), noise=0.0)
    disc = clean == 1.0
    dark, bright = np.array([20.0, 60.0, 180.0]), np.array([200.0, 120.0, 30.0])
    rng = np.random.default_rng(0)
    colour = np.where(disc[:, :, None], bright, dark) + rng.normal(0, 20, size=(60, 60, 3))
    image = np.clip(np.rint(colour), 0, 255).astype(np.uint8)
    seg = segment_image(image, 2, covariance_type=covariance_type)
    assert seg.denoised.shape == (60, 60, 3) and seg.denoised.dtype == np.float64
    assert seg.labels.shape == (60, 60)
    assert np.mean(seg.labels == disc) > 0.999
    # In the image's own units, not rescaled.
    assert_allclose(seg.model.means_, [dark, bright], atol=3.0)
    resp = seg.model.predict_proba(image.reshape(-1, 3).astype(float))
    assert_allclose(seg.denoised.reshape(-1, 3), resp @ seg.model.means_, rtol=1e-12)
    assert_array_equal(seg.labels.ravel(), seg.model.predict(image.reshape(-1, 3)))


def test_float32_image_keeps_its_dtype():
    noisy, clean = make_two_level_image(30, random_state=2)
    seg = segment_image(noisy.astype(np.float32))
    assert seg.denoised.dtype == np.float32
    assert np.mean(seg.labels == (clean > 0.5)) > 0.98


def test_missing_pixels_get_the_prior_mean():
    noisy, clean = make_two_level_image(40, random_state=3)
    noisy[5, 7] = noisy[30, 20] = np.nan
    seg = segment_image(noisy)
    prior_mean = seg.model.weights_ @ seg.model.means_[:, 0]
    assert_allclose(seg.denoised[[5, 30], [7, 20]], prior_mean, rtol=1e-10)
    assert np.isfinite(seg.denoised).all()
    assert seg.labels[5, 7] == np.argmax(seg.model.weights_)
    observed = ~np.isnan(noisy)
    assert np.mean(seg.labels[observed] == (clean[observed] > 0.5)) > 0.99


@pytest.mark.parametrize("image, error, match", [
    (np.zeros(10), ValueError, "image must be 2-D"),
    (np.zeros((2, 2, 2, 2)), ValueError, "image must be 2-D"),
    (np.zeros((0, 5)), ValueError, "image is empty"),
    (np.zeros((2, 2)), ValueError, "Cannot fit 5 components to an image of 4 pixels"),
    (np.zeros((1, 1)), ValueError, "image has a single pixel"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "image must hold integer or float"),
    (np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, "image holds infinite values"),
])
def test_bad_images(image, error, match):
    with pytest.raises(error, match=match):
        segment_image(image, 5)


@pytest.mark.parametrize("image, n_components, n_values", [
    (np.full((6, 7), 0.5), 2, 1),
    (np.full((6, 7), 200, dtype=np.uint8), 3, 1),
    (np.repeat([0.0, 1.0], 21).reshape(6, 7), 4, 2),
    (np.dstack([np.repeat([0, 9], 21).reshape(6, 7)] * 3).astype(np.uint8), 3, 2),
])
def test_fewer_distinct_values_than_components_is_one_sentence(image, n_components, n_values):
    with pytest.raises(ValueError, match=rf"^The image has only {n_values} distinct pixel "
                                         rf"value\(s\), fewer than the {n_components} "
                                         rf"components asked for; give n_components of at "
                                         rf"most {n_values}\.$"):
        segment_image(image, n_components)


def test_as_many_components_as_distinct_values_is_exact():
    # Colour pixels with 3 distinct values although each channel has only 2.
    levels = np.array([[9, 9, 9], [0, 0, 0], [0, 9, 9]], dtype=np.uint8)
    image = levels[np.arange(60) % 3].reshape(6, 10, 3)
    seg = segment_image(image, 3, covariance_type="spherical")
    assert_allclose(seg.model.means_, levels[[1, 2, 0]], atol=1e-6)  # darkest first
    assert_allclose(seg.denoised, image, atol=1e-6)
    assert_array_equal(seg.labels.ravel(), np.tile([2, 0, 1], 20))
    constant = segment_image(np.full((3, 4), 0.25), 1)
    assert_allclose(constant.denoised, 0.25)
    assert np.all(constant.labels == 0)


def test_single_pixel_image():
    with pytest.raises(ValueError, match="image has a single pixel"):
        segment_image(np.ones((1, 1)), 1)


# -- files -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(7, 9), (7, 9, 2), (7, 9, 3), (7, 9, 4)])
def test_png_round_trip_of_uint8(tmp_path, shape):
    array = np.random.default_rng(0).integers(0, 256, size=shape).astype(np.uint8)
    write_image(tmp_path / "a.png", array)
    back = read_image(tmp_path / "a.png")
    assert back.dtype == np.uint8
    assert_array_equal(back, array)


def test_png_scaling_rules(tmp_path):
    unit = np.array([[0.0, 0.5], [0.2, 1.0]])
    write_image(tmp_path / "unit.png", unit)
    assert_array_equal(read_image(tmp_path / "unit.png"), [[0, 128], [51, 255]])
    wide = np.array([[-1.0, 0.0], [np.nan, 3.0]])
    write_image(str(tmp_path / "wide.png"), wide)
    assert_array_equal(read_image(tmp_path / "wide.png"), [[0, 64], [0, 255]])
    labels = np.array([[0, 1], [2, 3]])
    write_image(tmp_path / "labels.png", labels)
    assert_array_equal(read_image(tmp_path / "labels.png"), [[0, 85], [170, 255]])
    write_image(tmp_path / "mask.png", np.array([[True, False]]))
    assert_array_equal(read_image(tmp_path / "mask.png"), [[255, 0]])
    write_image(tmp_path / "grey.png", np.full((2, 3, 1), 7, dtype=np.uint8))
    assert_array_equal(read_image(tmp_path / "grey.png"), np.full((2, 3), 7))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "grey.png", "labels.png", "mask.png", "unit.png", "wide.png"]


def test_sixteen_bit_png_reads_in_its_own_depth(tmp_path):
    from PIL import Image
    array = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    Image.fromarray(array).save(tmp_path / "deep.png")
    back = read_image(tmp_path / "deep.png")
    assert back.dtype == np.uint16
    assert_array_equal(back, array)


def test_rgba_png_keeps_alpha_and_opaque_alpha_does_not_change_the_segmentation(tmp_path):
    _, clean = make_two_level_image(30, levels=(0.0, 1.0), noise=0.0)
    rng = np.random.default_rng(5)
    rgb = np.where(clean[:, :, None] == 1.0, [200, 40, 90], [30, 160, 60]) \
        + rng.normal(0, 15, size=(30, 30, 3))
    rgb = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    write_image(tmp_path / "a.png", np.dstack([rgb, np.full((30, 30), 255, np.uint8)]))
    rgba = read_image(tmp_path / "a.png")
    assert rgba.shape == (30, 30, 4) and np.all(rgba[..., 3] == 255)
    with_alpha, without = segment_image(rgba, 2), segment_image(rgb, 2)
    assert_array_equal(with_alpha.labels, without.labels)
    assert_allclose(with_alpha.model.means_[:, :3], without.model.means_, rtol=1e-6)


def test_cmyk_jpeg_reads_as_rgb(tmp_path):
    from PIL import Image
    Image.new("CMYK", (4, 3), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    image = read_image(tmp_path / "c.jpg")
    assert image.shape == (3, 4, 3) and image.dtype == np.uint8
    assert np.all(np.abs(image.astype(int) - [255, 0, 0]) <= 3)  # pure red, JPEG-rounded


def test_jpg_writing(tmp_path):
    grey = np.tile(np.linspace(0.0, 1.0, 16), (8, 1))
    write_image(tmp_path / "grey.jpg", grey)
    back = read_image(tmp_path / "grey.jpg")
    assert back.shape == (8, 16) and back.dtype == np.uint8
    assert np.max(np.abs(back.astype(int) - np.rint(grey * 255))) <= 8  # lossy, but close
    with pytest.raises(ValueError, match="JPEG cannot hold the alpha channel"):
        write_image(tmp_path / "rgba.jpeg", np.zeros((2, 2, 4), dtype=np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grey.jpg"]


def test_labels_of_many_components_get_distinct_grey_levels(tmp_path):
    labels = np.arange(12).reshape(3, 4) % 6
    write_image(tmp_path / "labels.png", labels)
    assert_array_equal(read_image(tmp_path / "labels.png"),
                       np.rint(labels * 255 / 5).astype(np.uint8))


def test_npy_round_trip_is_exact(tmp_path):
    noisy, _ = make_two_level_image(12, random_state=4)
    noisy[0, 0] = np.nan
    write_image(tmp_path / "a.npy", noisy)
    back = read_image(tmp_path / "a.npy")
    assert back.dtype == np.float64
    assert_array_equal(back, noisy)


def test_palette_png_reads_as_rgb(tmp_path):
    from PIL import Image
    picture = Image.new("P", (3, 2))
    picture.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    picture.putpixel((1, 0), 1)
    picture.save(tmp_path / "p.png")
    image = read_image(tmp_path / "p.png")
    assert image.shape == (2, 3, 3)
    assert_array_equal(image[0, 1], [200, 100, 50])
    assert_array_equal(image[1, 2], [10, 20, 30])


def test_segment_an_image_read_from_png(tmp_path):
    noisy, clean = make_two_level_image(50, random_state=0)
    write_image(tmp_path / "noisy.png", noisy)
    seg = segment_image(read_image(tmp_path / "noisy.png"))
    assert np.mean(seg.labels == (clean > 0.5)) > 0.99


def test_file_errors(tmp_path):
    with pytest.raises(ValueError, match="Cannot tell the image format of"):
        write_image(tmp_path / "a.xyz", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"needs a non-empty array of shape \(height, width\)"):
        write_image(tmp_path / "a.png", np.zeros((2, 2, 5)))
    with pytest.raises(ValueError, match="needs a non-empty array"):
        write_image(tmp_path / "a.png", np.zeros((0, 2)))
    with pytest.raises(ValueError, match="needs real numeric pixel values"):
        write_image(tmp_path / "a.png", np.array([["a"]]))
    with pytest.raises(ValueError, match="needs real numeric pixel values; got dtype complex"):
        write_image(tmp_path / "a.png", np.array([[1j, 2.0]]))
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ValueError, match="is not an image file Pillow can read"):
        read_image(tmp_path / "text.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text.png"]


def test_missing_pillow_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install 'emkit\[image\]'"):
        read_image(tmp_path / "a.png")
    with pytest.raises(ImportError, match=r"pip install 'emkit\[image\]'"):
        write_image(tmp_path / "a.png", np.zeros((2, 2)))
    write_image(tmp_path / "a.npy", np.ones((2, 2)))  # .npy needs no Pillow
    assert_array_equal(read_image(tmp_path / "a.npy"), np.ones((2, 2)))


# -- the data set ------------------------------------------------------------------------

def test_two_level_image_shape_levels_and_noise():
    noisy, clean = make_two_level_image(200, levels=(0.1, 0.6), noise=0.05, random_state=5)
    assert noisy.shape == clean.shape == (200, 200)
    assert noisy.dtype == clean.dtype == np.float64
    assert set(np.unique(clean)) == {0.1, 0.6}
    # A centred disc of radius 0.3 * size.
    assert np.mean(clean == 0.6) == pytest.approx(np.pi * 0.3 ** 2, abs=0.005)
    assert clean[100, 100] == 0.6 and clean[0, 0] == 0.1
    residual = noisy - clean
    n = residual.size
    assert abs(residual.mean()) < 4 * 0.05 / np.sqrt(n)
    assert abs(residual.std() - 0.05) < 4 * 0.05 / np.sqrt(2 * n)


def test_two_level_image_is_seeded():
    a, _ = make_two_level_image(20, random_state=9)
    b, _ = make_two_level_image(20, random_state=np.random.RandomState(9))
    c, _ = make_two_level_image(20, random_state=10)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    noiseless, clean = make_two_level_image(20, noise=0.0)
    assert_array_equal(noiseless, clean)


@pytest.mark.parametrize("kwargs, match", [
    ({"size": 1}, "size must be an integer of at least 2"),
    ({"size": 10.5}, "size must be an integer of at least 2"),
    ({"levels": (0.1, 0.2, 0.3)}, "levels must be two finite numbers"),
    ({"levels": (0.1, np.nan)}, "levels must be two finite numbers"),
    ({"noise": -0.1}, "noise must be non-negative"),
    ({"noise": "loud"}, "noise must be non-negative"),
])
def test_two_level_image_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_two_level_image(**kwargs)


def test_grey_and_alpha_cannot_go_to_jpeg(tmp_path):
    grey_alpha = np.full((4, 4, 2), 200, dtype=np.uint8)
    with pytest.raises(ValueError, match="JPEG cannot hold the alpha channel"):
        write_image(tmp_path / "a.jpg", grey_alpha)
    assert not (tmp_path / "a.jpg").exists()


def test_write_image_with_a_dtype_writes_the_values_unscaled(tmp_path):
    grey = np.array([[57.6, 181.2], [-3.0, np.nan]])
    write_image(tmp_path / "grey.png", grey, dtype=np.uint8)
    assert_array_equal(read_image(tmp_path / "grey.png"), [[58, 181], [0, 0]])
    colour = np.array([[[30.4, 160.0, 300.0], [200.0, 40.0, 90.5]]])
    write_image(tmp_path / "colour.png", colour, dtype="uint8")
    back = read_image(tmp_path / "colour.png")
    assert back.dtype == np.uint8
    assert_array_equal(back, [[[30, 160, 255], [200, 40, 90]]])  # 90.5 rounds to even
    deep = np.array([[9000.4, 40000.0], [70000.0, 1.0]])
    for name in ("deep.png", "deep.tif"):
        write_image(tmp_path / name, deep, dtype=np.uint16)
        back = read_image(tmp_path / name)
        assert back.dtype == np.uint16
        assert_array_equal(back, [[9000, 40000], [65535, 1]])
    write_image(tmp_path / "kept.npy", deep, dtype=np.float32)
    assert np.load(tmp_path / "kept.npy").dtype == np.float32
    write_image(tmp_path / "deep.npy", np.dstack([deep] * 3), dtype=np.uint16)
    assert_array_equal(np.load(tmp_path / "deep.npy")[..., 2], [[9000, 40000], [65535, 1]])
    write_image(tmp_path / "small.npy", np.array([[3, 300]], dtype=np.int64), dtype=np.uint8)
    assert_array_equal(np.load(tmp_path / "small.npy"), [[3, 255]])
    write_image(tmp_path / "big.npy", np.array([[1e30, -1e30]]), dtype=np.int64)
    info = np.iinfo(np.int64)
    assert np.load(tmp_path / "big.npy")[0, 1] == info.min
    assert 0 < np.load(tmp_path / "big.npy")[0, 0] <= info.max
    written = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ValueError, match="Pillow cannot write 16-bit colour"):
        write_image(tmp_path / "rgb16.png", np.dstack([deep] * 3), dtype=np.uint16)
    with pytest.raises(ValueError, match="holds uint8 pixels, or uint16 grey ones, not int32"):
        write_image(tmp_path / "wide.png", deep, dtype=np.int32)
    with pytest.raises(ValueError, match="dtype must be an integer or float type"):
        write_image(tmp_path / "flags.npy", deep, dtype=bool)
    assert sorted(p.name for p in tmp_path.iterdir()) == written
