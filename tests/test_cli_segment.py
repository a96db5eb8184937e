"""``emkit segment`` on 8- and 16-bit grey, RGB and RGBA files: units, types, plots, Potts."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from emkit.cli import main
from emkit.image import read_image, segment_image

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Class colours of the test images, in 8-bit units (grey: the first channel).
DARK, BRIGHT = np.array([30.0, 160.0, 60.0]), np.array([200.0, 40.0, 90.0])


def run_here(capsys, *argv):
    """Run one ``emkit`` command in this process; return its (status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return SimpleNamespace(status=status, out=captured.out, err=captured.err)


def one_error_line(done):
    """The message of a command that failed with one ``emkit: error:`` line and status 2."""
    assert done.status == 2 and done.out == ""
    lines = done.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("emkit: error: "), done.err
    return lines[0][len("emkit: error: "):]


def two_class_image(kind, size=32, seed=0):
    """A noisy image of two halves: grey8, grey16, rgb8, rgba8 or rgb16, in its dtype."""
    rng = np.random.default_rng(seed)
    right = np.zeros((size, size), dtype=bool)
    right[:, size // 2:] = True
    colours = np.where(right[:, :, None], BRIGHT, DARK)
    if kind.startswith("grey"):
        colours = colours[:, :, 0]
    deep = kind.endswith("16")
    scale, top, dtype = (257.0, 65535, np.uint16) if deep else (1.0, 255, np.uint8)
    noisy = colours * scale + rng.normal(0.0, 6.0 * scale, size=colours.shape)
    image = np.clip(np.rint(noisy), 0, top).astype(dtype)
    if kind == "rgba8":
        image = np.dstack([image, np.full((size, size), 255, np.uint8)])
    return image


def write_png(path, image):
    from PIL import Image
    Image.fromarray(image).save(path)
    back = read_image(path)
    assert back.dtype == image.dtype and back.shape == image.shape
    return path


def distinct_pixels(image):
    """The distinct pixel values (grey) or colours (rows), sorted."""
    return np.unique(image.reshape(image.shape[0] * image.shape[1], -1), axis=0)


@pytest.mark.parametrize("kind", ["grey8", "grey16", "rgb8", "rgba8"])
@pytest.mark.parametrize("spatial", [None, "1"])
def test_denoised_image_keeps_the_input_type_and_the_fitted_means(kind, spatial, tmp_path,
                                                                    capsys):
    image = two_class_image(kind)
    source = write_png(tmp_path / f"{kind}.png", image)
    extra = [] if spatial is None else ["--spatial-beta", spatial]
    done = run_here(capsys, "segment", source, "-k", "2", "-o", tmp_path / "labels.png",
                    "--denoised", tmp_path / "denoised.png", "--plot", tmp_path / "panel.png",
                    "--json", *extra)
    assert done.status == 0 and done.err == "", done.err
    record = json.loads(done.out)
    expected = segment_image(image, 2, random_state=0, max_iter=500,
                             spatial_beta=None if spatial is None else float(spatial))
    assert_allclose(record["means"], expected.model.means_, rtol=1e-9)
    assert record["spatial_beta"] == expected.spatial_beta
    assert record["dtype"] == record["denoised_dtype"] == str(image.dtype)
    denoised = read_image(tmp_path / "denoised.png")
    assert denoised.dtype == image.dtype and denoised.shape == image.shape
    means = np.rint(expected.model.means_).astype(image.dtype)
    assert_array_equal(distinct_pixels(denoised), distinct_pixels(means[None]))
    # The class colours are the input's: within the noise of the colours drawn.
    depth = 257.0 if kind.endswith("16") else 1.0
    truth = np.vstack([DARK, BRIGHT])[:, :means.shape[1] if means.ndim > 1 else 1] * depth
    assert np.max(np.abs(expected.model.means_[:, :truth.shape[1]] - truth)) < 3 * depth
    labels = read_image(tmp_path / "labels.png")
    assert_array_equal(labels, expected.labels.astype(np.uint8) * 255)
    assert (tmp_path / "panel.png").read_bytes()[:8] == PNG_MAGIC


def test_sixteen_bit_grey_keeps_its_units(tmp_path, capsys):
    # Classes of 58 and 181 on 8 bits come out as themselves, not stretched to 0 and 255.
    image = two_class_image("grey16")
    source = write_png(tmp_path / "deep.png", image)
    done = run_here(capsys, "segment", source, "-o", tmp_path / "labels.npy", "--denoised",
                    tmp_path / "denoised.tif", "-q")
    assert done.status == 0, done.err
    denoised = read_image(tmp_path / "denoised.tif")
    assert denoised.dtype == np.uint16
    assert 25 * 257 < denoised.min() < 35 * 257 and 195 * 257 < denoised.max() < 205 * 257


def test_npy_images_keep_their_dtype(tmp_path, capsys):
    deep = two_class_image("rgb16")
    np.save(tmp_path / "deep.npy", deep)
    unit = two_class_image("grey8").astype(np.float32) / 255
    np.save(tmp_path / "unit.npy", unit)
    for name, image in (("deep", deep), ("unit", unit)):
        done = run_here(capsys, "segment", tmp_path / f"{name}.npy", "-o",
                        tmp_path / f"{name}-labels.npy", "--denoised",
                        tmp_path / f"{name}-denoised.npy", "--spatial-beta", "auto",
                        "--neighbourhood", "8", "--json")
        assert done.status == 0, done.err
        record = json.loads(done.out)
        expected = segment_image(image, 2, random_state=0, max_iter=500, spatial_beta="auto",
                                 neighbourhood=8)
        assert record["neighbourhood"] == 8
        assert record["spatial_beta"] == pytest.approx(expected.spatial_beta, rel=1e-9)
        denoised = np.load(tmp_path / f"{name}-denoised.npy")
        assert denoised.dtype == image.dtype
        if image.dtype == np.uint16:
            assert_array_equal(distinct_pixels(denoised), distinct_pixels(
                np.rint(expected.model.means_).astype(np.uint16)[None]))
        else:
            assert_allclose(denoised, expected.denoised, rtol=1e-6)
        assert_array_equal(np.load(tmp_path / f"{name}-labels.npy"), expected.labels)


def test_sixteen_bit_colour_png_is_refused_before_any_work(tmp_path, capsys):
    np.save(tmp_path / "deep.npy", two_class_image("rgb16"))
    done = run_here(capsys, "segment", tmp_path / "deep.npy", "-o", tmp_path / "labels.png",
                    "--denoised", tmp_path / "denoised.png")
    assert one_error_line(done) == (f"--denoised {tmp_path / 'denoised.png'}: Pillow cannot "
                                    "write 16-bit colour images; write it as .npy to keep the "
                                    "16-bit values.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.npy"]


@pytest.mark.parametrize("kind, top", [("grey8", 255), ("grey16", 65535), ("rgb8", 255),
                                       ("rgba8", 255), ("rgb16", 65535)])
def test_the_plot_shows_the_image_scaled_by_its_depth(kind, top, tmp_path, capsys,
                                                      monkeypatch):
    import emkit.plotting
    drawn = {}
    real = emkit.plotting.plot_image

    def spy(before, after, **kwargs):
        drawn.update(before=before, after=after, labels=kwargs["labels"])
        return real(before, after, **kwargs)

    monkeypatch.setattr(emkit.plotting, "plot_image", spy)
    image = two_class_image(kind)
    np.save(tmp_path / "image.npy", image)
    done = run_here(capsys, "segment", tmp_path / "image.npy", "-o", tmp_path / "labels.npy",
                    "--plot", tmp_path / "panel.png", "-q")
    assert done.status == 0, done.err
    expected = segment_image(image, 2, random_state=0, max_iter=500)
    assert_allclose(drawn["before"], image / top, rtol=1e-12)
    assert_allclose(drawn["after"], expected.denoised / top, rtol=1e-12)
    assert_array_equal(drawn["labels"], expected.labels)
    assert (tmp_path / "panel.png").read_bytes()[:8] == PNG_MAGIC


def test_spatial_options_are_checked(tmp_path, capsys):
    np.save(tmp_path / "image.npy", two_class_image("grey8"))
    image, labels = tmp_path / "image.npy", tmp_path / "labels.npy"
    messages = [one_error_line(run_here(capsys, "segment", image, "-o", labels, *extra))
                for extra in (["--spatial-beta", "-1"], ["--spatial-beta", "strong"],
                              ["--spatial-beta", "1", "--neighbourhood", "6"],
                              ["--neighbourhood", "8"])]
    assert messages[0].startswith("argument --spatial-beta: '-1' is not a number of 0 or "
                                  "more, nor 'auto'")
    assert messages[1].startswith("argument --spatial-beta: 'strong' is not a number of 0 "
                                  "or more, nor 'auto'")
    assert messages[2].startswith("argument --neighbourhood: invalid choice: 6")
    assert messages[3] == ("--neighbourhood applies to a spatial fit; add --spatial-beta (a "
                           "number, or auto), or drop --neighbourhood.")
    done = run_here(capsys, "segment", image, "-o", labels, "--spatial-beta", "0.5")
    assert done.status == 0
    assert done.out.splitlines()[1] == "  Potts prior: beta 0.5 (given), 4 neighbours per pixel"
    assert_array_equal(np.load(labels), segment_image(
        np.load(image), 2, random_state=0, max_iter=500, spatial_beta=0.5).labels)
