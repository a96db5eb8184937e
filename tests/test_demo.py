"""``python -m emkit demo`` runs the seed examples and writes its plots."""

import re
import subprocess
import sys



def test_demo_prints_results_and_writes_plots(tmp_path):
    out = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "emkit", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "component 0: weight 0.28" in done.stdout
    assert "GaussianMixture: adjusted Rand index 1.000" in done.stdout
    assert "from (pi, p, q) = (0.4, 0.6, 0.7): (0.4064, 0.5368, 0.6432)" in done.stdout
    assert "from (pi, p, q) = (0.5, 0.5, 0.5): (0.5000, 0.6000, 0.6000)" in done.stdout
    assert "log-likelihood -71.0634" in done.stdout and "log-likelihood -75.2292" in done.stdout
    errors = re.search(r"RMS pixel error: noisy ([0-9.]+), denoised ([0-9.]+)", done.stdout)
    assert errors is not None, done.stdout
    noisy, denoised = map(float, errors.groups())
    assert 0.09 < noisy < 0.11 and denoised < 0.4 * noisy
    for name in ("two_gaussians_1d.png", "clustering_2d.png", "log_likelihood_2d.png",
                 "image_denoising.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
