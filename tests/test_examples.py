"""Every script of the examples gallery (docs/examples) runs on its own and draws a figure.

Each runs in a fresh interpreter, in an empty folder, with matplotlib's Agg backend,
through a small wrapper that runs it as ``__main__`` and then asks pyplot for its open
figures: a script that exits 0 without drawing fails, as sphinx-gallery would show no
image for it.
"""

import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples"
SCRIPTS = sorted(EXAMPLES.rglob("plot_*.py"))

WRAPPER = """
import runpy, sys
import matplotlib.pyplot as plt
runpy.run_path(sys.argv[1], run_name="__main__")
figures = plt.get_fignums()
if not figures:
    sys.exit("the script drew no figure")
print(f"{len(figures)} figure(s)")
"""


def test_gallery_has_the_tour_and_the_readme_examples():
    names = {path.relative_to(EXAMPLES).as_posix() for path in SCRIPTS}
    assert sum(name.startswith("tour/") for name in names) == 11, names
    assert sum(name.startswith("readme/") for name in names) >= 10, names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_example_runs_and_draws(script, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", WRAPPER, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert "figure(s)" in done.stdout
    assert list(tmp_path.iterdir()) == [], "an example wrote into its working folder"
