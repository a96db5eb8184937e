"""The command line's options as a new user meets them, run as the real CLI.

Fits run to convergence by default (``--max-iter``, one default for mixtures and HMMs) and
say in one line when the cap stopped them; ``--version``; ``fit`` without ``--model``; one
parser for every ``-k``; and every file a command is asked to write is checked before any
work: a file it cannot write is exit status 2 and one line on stderr, never a silent skip.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import emkit
from emkit import __version__
from emkit.cli import main, targets
from emkit.cli.parser import DEFAULT_MAX_ITER, component_count, component_list
from emkit.io import load, save

from test_cli import PNG_MAGIC, one_error_line, run_cli, run_here

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
#: Runs ``emkit`` with the named modules hidden, as if they were not installed.
HIDING = ("import sys\nfor name in sys.argv[1].split(','):\n    sys.modules[name] = None\n"
          "from emkit.cli import main\nsys.exit(main(sys.argv[2:]))")


def run_without(cwd, modules, *argv):
    """Run one ``emkit`` command in a new process where ``modules`` cannot be imported."""
    done = subprocess.run([sys.executable, "-c", HIDING, ",".join(modules), *map(str, argv)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    done.status, done.out, done.err = done.returncode, done.stdout, done.stderr
    return done


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """An HMM sequence that takes more than 10 iterations, blobs, and a small image."""
    root = tmp_path_factory.mktemp("options")
    rng = np.random.default_rng(2)
    states = np.repeat(rng.integers(0, 3, 40), 10)
    v = np.array([0, 1.5, 3.0])[states] + rng.normal(0, 0.8, len(states))
    (root / "seq.csv").write_text("v\n" + "".join(f"{x!r}\n" for x in v.tolist()))
    X = np.vstack([rng.normal(c, 0.5, (40, 2)) for c in ([0, 0], [4, 4])])
    (root / "data.csv").write_text("a,b\n" + "".join(f"{p!r},{q!r}\n" for p, q in X.tolist()))
    image = np.where(np.arange(256).reshape(16, 16) % 16 < 8, 0.2, 0.8)
    np.save(root / "image.npy", image + rng.normal(0, 0.05, image.shape))
    return root


def test_fits_run_to_convergence_and_say_when_the_cap_stopped_them(root):
    runs = run_cli(root, ["fit", "seq.csv", "-m", "hmm-gaussian", "-k", "3", "--seed", "1",
                          "-o", "hmm.emkit", "--json"],
                   ["fit", "seq.csv", "-m", "hmm-gaussian", "-k", "3", "--seed", "1",
                    "--max-iter", "5", "-o", "capped.emkit"],
                   ["fit", "data.csv", "-k", "2", "--seed", "0", "-o", "gmm.emkit", "--json"],
                   ["fit", "--help"])
    assert all(r.status == 0 for r in runs), [r.err for r in runs]
    record = json.loads(runs[0].out)
    assert record["converged"] and 10 < record["n_iter"] < DEFAULT_MAX_ITER
    assert record["max_iter"] == DEFAULT_MAX_ITER == 500 and runs[0].err == ""
    assert load(root / "hmm.emkit").n_iter == load(root / "gmm.emkit").max_iter == 500
    assert runs[1].err == ("emkit: warning: the fit stopped at --max-iter 5 before "
                           "converging; raise --max-iter\n")
    assert "  converged: no after 5 iterations" in runs[1].out.splitlines()
    assert json.loads(runs[2].out)["model"] == "gmm"  # fit without --model
    assert "(default: 500)" in " ".join(runs[3].out.split())
    assert "--max-iter N" in README.read_text() and "default 500" in README.read_text()


def test_select_and_segment_say_when_the_cap_stopped_them(root):
    select, segment = run_cli(root, ["select", "data.csv", "-k", "1-3", "--covariance-types",
                                     "full,diag", "--max-iter", "1", "--seed", "0", "-q"],
                              ["segment", "image.npy", "-o", "seg.npy", "--max-iter", "1",
                               "-q"])
    assert select.status == segment.status == 0
    assert select.err == ("emkit: warning: 6 of 6 candidate fits stopped at --max-iter 1 "
                          "before converging; raise --max-iter\n")
    assert segment.err == ("emkit: warning: the fit stopped at --max-iter 1 before "
                           "converging; raise --max-iter\n")


def test_version_and_one_parser_for_every_k(root, capsys):
    done = run_here(capsys, "--version")
    assert done.status == 0 and done.out == f"emkit {__version__}\n"
    for text in ("1..5", "1-5", "1,2,3,4,5", "1..2,3-4,5", " 1 - 5 "):
        assert component_list(text) == [1, 2, 3, 4, 5]
    assert component_list("2,4,6") == [2, 4, 6] and component_count("3..3") == 3
    for bad, message in (("1..", "needs a number at each end"), ("4-2", "ends before"),
                         ("2,4", "names 2 numbers of components, but this command fits one")):
        with pytest.raises(Exception, match=message):
            component_count(bad)
    one, many, same = run_cli(root, ["select", "data.csv", "-k", "1-3", "--seed", "0",
                                     "--covariance-types", "full", "--json"],
                              ["fit", "data.csv", "-k", "1..3", "-o", "never.emkit"],
                              ["select", "data.csv", "-k", "1..3", "--seed", "0",
                               "--covariance-types", "full", "--json"])
    assert one.status == same.status == 0
    assert json.loads(one.out)["table"] == json.loads(same.out)["table"]
    assert json.loads(one.out)["table"]["n_components"] == [1, 2, 3]
    assert one_error_line(many).startswith("argument -k/--n-components: '1..3' names 3 "
                                           "numbers of components")
    done = run_here(capsys, "segment", root / "image.npy", "-k", "2-3", "-o", root / "s.npy")
    assert "this command fits one model" in one_error_line(done)
    assert not (root / "never.emkit").exists() and not (root / "s.npy").exists()


def test_plots_without_matplotlib_are_an_error_before_any_work(root, tmp_path):
    runs = [run_without(tmp_path, ["matplotlib"], *argv) for argv in (
        ["select", root / "data.csv", "-k", "1..2", "--plot", "bic.png", "-o", "best.emkit",
         "-q"],
        ["segment", root / "image.npy", "-o", "seg.npy", "--plot", "panel.png"],
        ["demo", "--out", "plots"])]
    assert [one_error_line(done) for done in runs] == [
        "--plot bic.png needs matplotlib to draw the plot: pip install 'emkit[plot]'.",
        "--plot panel.png needs matplotlib to draw the plot: pip install 'emkit[plot]'.",
        "--out plots is a folder for plots, which need matplotlib: pip install 'emkit[plot]'."]
    assert os.listdir(tmp_path) == []


def test_files_that_cannot_be_written_are_an_error_before_any_work(root, tmp_path, capsys,
                                                                     monkeypatch):
    model = root / "gmm2.emkit"
    assert main(["fit", str(root / "data.csv"), "-k", "2", "-o", str(model), "-q"]) == 0
    (tmp_path / "file").write_text("")
    missing = tmp_path / "no" / "x"
    cases = {  # the message: arguments
        f"the folder of '{missing}.png' does not exist; create it first.":
            ["select", root / "data.csv", "--plot", f"{missing}.png"],
        f"the folder of '{missing}.npy' does not exist; create it first.":
            ["segment", root / "image.npy", "-o", tmp_path / "s.npy", "--denoised",
             f"{missing}.npy"],
        f"--plot {tmp_path / 'bic.txt'}: matplotlib cannot write txt files; use .png, .pdf "
        "or .svg.": ["select", root / "data.csv", "--plot", tmp_path / "bic.txt"],
        f"cannot tell the image format of '{tmp_path / 's.xyz'}' from its extension; use "
        ".png, .jpg, .tif or .npy.": ["segment", root / "image.npy", "-o", tmp_path / "s.xyz"],
        f"--out '{tmp_path / 'file'}' is a file, not a folder; give a folder.":
            ["demo", "--out", tmp_path / "file"],
        # Tables: an extension that names no format is refused, not written as CSV.
        f"-o {tmp_path / 'labels.json'}: emkit cannot write .json files; use .csv, .tsv, "
        ".npy or .parquet.": ["predict", model, root / "data.csv", "-o",
                              tmp_path / "labels.json"],
        f"-o {tmp_path / 's.csv.gz'}: emkit cannot write .gz files; use .csv, .tsv, .npy or "
        ".parquet.": ["sample", model, "-n", "3", "-o", tmp_path / "s.csv.gz"],
        f"-o {tmp_path / 'labels'}: emkit cannot write a file without an extension; use "
        ".csv, .tsv, .npy or .parquet.": ["predict", model, root / "data.csv", "-o",
                                          tmp_path / "labels"],
    }
    for message, argv in cases.items():
        assert one_error_line(run_here(capsys, *argv)) == message
    assert sorted(os.listdir(tmp_path)) == ["file"]
    # A folder without write permission (faked: the tests may run as root).
    locked = str(tmp_path / "locked")
    os.mkdir(locked)
    real_access = os.access
    monkeypatch.setattr(targets.os, "access", lambda path, mode: (
        False if os.path.realpath(path) == os.path.realpath(locked) else real_access(path, mode)))
    for argv in (["fit", root / "data.csv", "-k", "2", "-o", f"{locked}/m.emkit"],
                 ["predict", model, root / "data.csv", "-o", f"{locked}/labels.csv"],
                 ["sample", model, "-n", "3", "-o", f"{locked}/s.csv"],
                 ["select", root / "data.csv", "-o", f"{locked}/best.emkit"],
                 ["segment", root / "image.npy", "-o", f"{locked}/seg.npy"]):
        path = argv[-1]
        assert one_error_line(run_here(capsys, *argv)) == (
            f"cannot write {path!r}: its folder is not writable (permission denied); write it "
            "to another folder.")
    assert one_error_line(run_here(capsys, "demo", "--out", f"{locked}/demo")) == (
        f"cannot write into --out '{locked}/demo': {locked!r} is not writable (permission "
        "denied).")
    assert os.listdir(locked) == []


def test_tables_and_images_without_their_package_are_an_error_before_any_work(root,
                                                                              tmp_path):
    save(emkit.GaussianMixture(2, random_state=0).fit(np.eye(2).repeat(5, 0)),
         root / "eye.emkit")
    parquet = run_without(tmp_path, ["pandas"], "predict", root / "eye.emkit",
                          root / "data.csv", "-o", "labels.parquet")
    png = run_without(tmp_path, ["PIL"], "segment", root / "image.npy", "-o", "seg.png")
    assert one_error_line(parquet) == ("writing 'labels.parquet' needs pandas and pyarrow: "
                                       "pip install pandas pyarrow.")
    assert one_error_line(png) == ("writing 'seg.png' needs Pillow: pip install "
                                   "'emkit[image]' (or write a .npy file).")
    assert os.listdir(tmp_path) == []


def test_a_plot_that_can_be_written_is(root, tmp_path):
    (done,) = run_cli(tmp_path, ["select", root / "data.csv", "-k", "1-2", "--plot",
                                 "bic.png", "-q"])
    assert done.status == 0 and done.err == ""
    assert (tmp_path / "bic.png").read_bytes()[:8] == PNG_MAGIC
