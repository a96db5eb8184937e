"""``python -m emkit demo`` tours the uses of EM and writes a titled figure for each."""

import re
import subprocess
import sys

import pytest

from emkit.demo import SECTIONS

FIGURES = ("two_gaussians_1d.png", "clustering_2d.png", "log_likelihood_2d.png",
           "textbook_starts.png", "iris_ellipses.png", "missing_values.png",
           "model_selection.png", "regimes.png", "topics.png", "image_segmentation.png",
           "acceleration.png", "dask_fit.png")


def test_demo_prints_results_and_writes_plots(tmp_path):
    out = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "emkit", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "component 0: weight 0.28" in text
    assert "GaussianMixture: adjusted Rand index 1.000" in text
    assert "from (pi, p, q) = (0.4, 0.6, 0.7): (0.4064, 0.5368, 0.6432)" in text
    assert "from (pi, p, q) = (0.5, 0.5, 0.5): (0.5000, 0.6000, 0.6000)" in text
    assert "log-likelihood -71.0634" in text and "log-likelihood -75.2292" in text
    errors = re.search(r"RMS pixel error: noisy ([0-9.]+), denoised ([0-9.]+)", text)
    assert errors is not None, text
    noisy, denoised = map(float, errors.groups())
    assert 0.28 < noisy < 0.31 and denoised < 0.4 * noisy
    wrong = re.search(r"mislabelled: independent ([0-9.]+)%, Potts prior \(beta=1\) ([0-9.]+)%",
                      text)
    assert wrong is not None and float(wrong[2]) <= float(wrong[1]) / 3
    imputed = re.findall(r"RMS error of .*: ([0-9.]+) cm", text)
    assert len(imputed) == 2 and float(imputed[0]) < float(imputed[1])
    assert "BIC picks 3 components" in text
    assert re.search(r"decoded regime right on (9\d\.\d)% of the days", text)
    assert "mother teresa" in text
    squarem = [int(n) for n in re.findall(r"(\d+) E-steps", text)]
    assert len(squarem) == 2 and 3 * squarem[1] <= squarem[0]
    difference = re.search(r"largest difference of the means ([0-9.e+-]+)", text)
    assert difference is not None and float(difference[1]) < 1e-10
    for name in FIGURES:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert f"{len(FIGURES)} figures written" in text


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.__name__)
def test_every_figure_is_titled_and_labelled(section):
    result = section()
    assert result.title and result.lines
    assert result.figures, "every section draws a figure"
    for name, draw in result.figures.items():
        figure = draw()
        title = figure.get_suptitle()
        drawn = [ax for ax in figure.axes if ax.has_data()]
        assert drawn, name
        for ax in drawn:
            assert title or ax.get_title(), name
            assert ax.get_xlabel(), name
