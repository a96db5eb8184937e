"""The ``emkit`` command line, run as a subprocess (and in-process for the small pieces)."""

import io
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import emkit.cli
import emkit.estimators
from emkit.cli import main
from emkit.cli import data
from emkit.cli.data import read_table, write_table
from emkit.cli.errors import UsageError
from emkit.cli import tools
from emkit.cli.models import build_estimator
from emkit.cli.parser import component_list
from emkit.cli.progress import FitProgress, SelectProgress, bars_wanted
from emkit.datasets import make_two_level_image
from emkit.engine import EMStep
from emkit.io import load, save
from emkit.selection import TIE_RTOL

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CENTRES = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])


def run_cli(cwd, *commands):
    """Run several ``emkit`` commands at once; return their (status, stdout, stderr)."""
    procs = [subprocess.Popen([sys.executable, "-m", "emkit", *map(str, argv)], cwd=cwd,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for argv in commands]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append(SimpleNamespace(status=proc.returncode, out=out, err=err))
    return results


def run_here(capsys, *argv):
    """Run one ``emkit`` command in this process; return its (status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return SimpleNamespace(status=status, out=captured.out, err=captured.err)


def read_csv(path):
    """Header and float values of a CSV written by the command line."""
    lines = path.read_text().splitlines()
    return lines[0].split(","), np.array([line.split(",") for line in lines[1:]], dtype=float)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three-cluster data (columns a, b and a spare c) and three sequences (ids s1, s2, s1)."""
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.6, size=(40, 2)) for c in CENTRES])
    spare = rng.normal(size=len(X))
    np.savetxt(root / "data.csv", np.column_stack([X, spare]), delimiter=",", header="a,b,c",
               comments="", fmt="%.17g")
    v = np.concatenate([rng.normal(0, 1, 30), rng.normal(6, 1, 30), rng.normal(0, 1, 30)])
    ids = ["s1"] * 30 + ["s2"] * 30 + ["s1"] * 30
    rows = "".join(f"{float(x)!r},{s}\n" for x, s in zip(v, ids))
    (root / "seq.csv").write_text("v,seq\n" + rows)
    return SimpleNamespace(root=root, X=X, v=v[:, None])


@pytest.fixture(scope="module")
def fits(files):
    """``emkit fit --json`` of a GMM (columns a, b) and of a Gaussian HMM, in two processes."""
    gmm, hmm = run_cli(
        files.root,
        ["fit", "data.csv", "--model", "gmm", "-k", "3", "--columns", "a,b", "--seed", "0",
         "-o", "gmm.emkit", "--json"],
        ["fit", "seq.csv", "-m", "hmm-gaussian", "-k", "2", "--lengths-column", "seq",
         "--max-iter", "50", "--seed", "0", "-o", "hmm.emkit", "--json"])
    return SimpleNamespace(gmm=gmm, hmm=hmm)


def test_gmm_round_trip(files, fits, capsys):
    root, X, fit = files.root, files.X, fits.gmm
    assert fit.status == 0, fit.err
    summary = json.loads(fit.out)
    model = load(root / "gmm.emkit")
    assert summary["converged"] and summary["columns"] == ["a", "b"]
    assert summary["log_likelihood"] == pytest.approx(model.score_samples(X).sum(), rel=1e-12)
    assert summary["bic"] == pytest.approx(model.bic(X), rel=1e-12)

    predict, info, score, sample = run_cli(
        root, ["predict", "gmm.emkit", "data.csv", "--columns", "a,b"],
        ["--json", "info", "gmm.emkit"],
        ["score", "gmm.emkit", "data.csv", "--columns", "a,b", "--json"],
        ["sample", "gmm.emkit", "-n", "7", "--seed", "3", "--labels", "-o", "sample.csv"])
    proba = run_here(capsys, "--quiet", "predict", root / "gmm.emkit", root / "data.csv",
                     "--columns", "0,1", "--proba", "-o", root / "proba.csv")
    for done in (predict, proba, score, sample, info):
        assert done.status == 0 and done.err == "", done.err
    lines = predict.out.split()
    assert lines[0] == "label"
    np.testing.assert_array_equal(np.array(lines[1:], dtype=int), model.predict(X))
    header, values = read_csv(root / "proba.csv")
    assert header == ["prob_0", "prob_1", "prob_2"] and proba.out == ""
    np.testing.assert_array_equal(values, model.predict_proba(X))  # shortest repr round-trips
    scored = json.loads(score.out)
    assert scored["log_likelihood"] == pytest.approx(model.score_samples(X).sum(), rel=1e-12)
    assert scored["mean_log_likelihood"] == pytest.approx(model.score(X), rel=1e-12)
    header, values = read_csv(root / "sample.csv")
    drawn, labels = model.set_params(random_state=3).sample(7)
    assert header == ["a", "b", "component"] and values.shape == (7, 3)  # the fit's columns
    np.testing.assert_array_equal(values, np.column_stack([drawn, labels]))
    described = json.loads(info.out)
    assert described["model"] == "gmm" and described["class"] == "GaussianMixture"
    assert described["parameters"]["n_components"] == 3
    np.testing.assert_array_equal(described["fitted"]["weights_"], model.weights_)
    np.testing.assert_array_equal(described["fitted"]["means_"], model.means_)


def test_hmm_round_trip_with_lengths_column(files, fits, capsys):
    root, X, fit = files.root, files.v, fits.hmm
    lengths = [30, 30, 30]  # ids s1, s2, s1: the third run is a new sequence
    assert fit.status == 0, fit.err
    summary = json.loads(fit.out)
    model = load(root / "hmm.emkit")
    assert summary["n_sequences"] == 3 and summary["columns"] == ["v"]
    assert summary["log_likelihood"] == pytest.approx(model.score(X, lengths), rel=1e-12)
    assert summary["bic"] == pytest.approx(model.bic(X, lengths), rel=1e-12)

    score = run_here(capsys, "score", root / "hmm.emkit", root / "seq.csv", "--lengths-column",
                     "seq", "--json")
    sample = run_here(capsys, "sample", root / "hmm.emkit", "-n", "12", "--seed", "5", "-o",
                      root / "states.csv")
    predict = run_here(capsys, "predict", root / "hmm.emkit", root / "seq.csv",
                       "--lengths-column", "1")
    for done in (predict, score, sample):
        assert done.status == 0 and done.err == "", done.err
    labels = np.array(predict.out.split()[1:], dtype=int)
    np.testing.assert_array_equal(labels, model.predict(X, lengths))
    assert len(set(labels[30:60]) & set(labels[:30])) == 0  # the regimes are told apart
    scored = json.loads(score.out)
    assert scored["log_likelihood"] == pytest.approx(model.score(X, lengths), rel=1e-12)
    assert scored["mean_log_likelihood"] == pytest.approx(model.score(X, lengths) / 90)
    header, values = read_csv(root / "states.csv")
    assert header == ["v"]
    np.testing.assert_array_equal(values, model.sample(12, random_state=5)[0])


def test_bad_input_exits_2_with_one_error_line(files):
    root = files.root
    model = build_estimator("gmm", 2, {"seed": 0}).fit(files.X)
    save(model, root / "good.emkit")
    whole = (root / "good.emkit").read_bytes()
    (root / "truncated.emkit").write_bytes(whole[: len(whole) // 2])
    (root / "random.emkit").write_bytes(np.random.default_rng(1).bytes(400))
    (root / "three.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    (root / "word.csv").write_text("a,b\n1,2\n3,four\n")
    (root / "twice.csv").write_text("x,x\n1,2\n3,4\n5,7\n")
    (root / "unnamed.csv").write_text("x,,\n1,2,3\n3,4,5\n5,7,8\n")
    (root / "text.npy").write_text("a,b\n1,2\n")  # a CSV named .npy
    # A CSR .npz whose column index runs past its columns (the kernels used to crash).
    np.savez(root / "corrupt.npz", format=np.array("csr"), shape=np.array([2, 2]),
             data=np.array([1.0, 2.0]), indices=np.array([0, 5]), indptr=np.array([0, 1, 2]))
    whole_npz = (root / "corrupt.npz").read_bytes()
    (root / "half.npz").write_bytes(whole_npz[:len(whole_npz) // 2])  # truncated
    cases = {  # phrase in the message: arguments; each runs as its own process
        "does not exist": ["fit", "missing.csv", "-m", "gmm", "-k", "2", "-o", "m.emkit"],
        "random.emkit": ["score", "random.emkit", "data.csv", "--columns", "a,b"],
        "invalid choice: 'gaussian'": ["fit", "three.csv", "-m", "gaussian", "-k", "1", "-o",
                                       "m.emkit"],
        "line 3, column 'b': 'four' is not a number": ["fit", "word.csv", "-m", "gmm", "-k",
                                                       "1", "-o", "m.emkit"],
        "takes 2 data column": ["predict", "good.emkit", "data.csv"],
        "truncated.emkit": ["info", "truncated.emkit"],
        "-k 4 is more than the 3 rows": ["fit", "three.csv", "-m", "gmm", "-k", "4", "-o",
                                         "m.emkit"],
        # A header naming a column twice: --columns x, and predict, would read the first.
        "The header of twice.csv names 'x' twice (columns 0 and 1, counting from 0)": [
            "fit", "twice.csv", "-m", "gmm", "-k", "1", "-o", "m.emkit"],
        "The header of unnamed.csv leaves columns 1 and 2 (counting from 0) without a name":
            ["fit", "unnamed.csv", "-m", "gmm", "-k", "1", "-o", "m.emkit"],
        "--columns names 'a' twice": ["fit", "three.csv", "-m", "gmm", "-k", "1",
                                      "--columns", "a,b,a", "-o", "m.emkit"],
        "text.npy is not a readable .npy array (it is not in numpy's .npy format).": [
            "fit", "text.npy", "-m", "gmm", "-k", "1", "-o", "m.emkit"],
        "half.npz is not a readable .npz file (it is truncated or corrupt": [
            "fit", "half.npz", "-m", "lda", "-k", "1", "-o", "m.emkit"],
        "row 1 holds an entry in column 5, outside its 2 columns": [
            "fit", "corrupt.npz", "-m", "lda", "-k", "1", "-o", "m.emkit"],
    }
    for (phrase, argv), done in zip(cases.items(), run_cli(root, *cases.values())):
        assert done.status == 2, (argv, done.err)
        assert done.out == ""
        lines = done.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("emkit: error: "), done.err
        assert phrase in lines[0]
    assert not (root / "m.emkit").exists()


def test_select_picks_three_and_writes_model_and_plot(files):
    (done,) = run_cli(files.root, ["select", "data.csv", "--columns", "a,b", "-k", "1..5",
                                   "--covariance-types", "full,spherical", "--seed", "0",
                                   "-o", "best.emkit", "--plot", "bic.png", "--json"])
    assert done.status == 0, done.err
    result = json.loads(done.out)
    bic = result["table"]["bic"]
    assert result["best_params"]["n_components"] == 3
    lowest = min(bic)
    assert result["best_index"] == int(np.flatnonzero(
        np.asarray(bic) <= lowest + TIE_RTOL * max(abs(lowest), 1.0))[0])
    assert result["table"]["n_components"] == [1, 2, 3, 4, 5] * 2
    best = load(files.root / "best.emkit")
    assert best.n_components == 3
    assert best.bic(files.X) == pytest.approx(min(bic), rel=1e-9)
    assert (files.root / "bic.png").read_bytes()[:8] == PNG_MAGIC


def test_segment_writes_grey_labels(tmp_path):
    from PIL import Image
    noisy, clean = make_two_level_image(size=24, random_state=0)
    np.save(tmp_path / "noisy.npy", noisy)
    (done,) = run_cli(tmp_path, ["segment", "noisy.npy", "-k", "2", "-o", "seg.png",
                                 "--denoised", "den.png"])
    assert done.status == 0, done.err
    for name in ("seg.png", "den.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
    grey = np.asarray(Image.open(tmp_path / "seg.png"))
    assert grey.shape == (24, 24) and set(np.unique(grey)) == {0, 255}
    assert np.mean((grey == 255) == (clean == clean.max())) > 0.99


# -- in-process: the pieces -------------------------------------------------------------

def test_text_tables_detect_header_delimiter_and_missing(tmp_path):
    (tmp_path / "h.tsv").write_text("x\ty\n1\t\n2\tNA\n3\tnan\n")
    (tmp_path / "plain.txt").write_text("1 2\n\n3   4\n")
    (tmp_path / "semi.dat").write_text("1;2\n3;4\n")
    table = read_table(str(tmp_path / "h.tsv"))
    X, names = table.features()
    assert names == ["x", "y"] and table.has_header
    np.testing.assert_array_equal(X, [[1, np.nan], [2, np.nan], [3, np.nan]])
    for name in ("plain.txt", "semi.dat"):
        X, names = read_table(str(tmp_path / name)).features()
        assert names == ["x0", "x1"]
        np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    np.save(tmp_path / "one.npy", np.arange(4.0))
    X, _ = read_table(str(tmp_path / "one.npy")).features()
    np.testing.assert_array_equal(X, np.arange(4.0)[:, None])
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(UsageError, match="line 3 has 1 cells but the header has 2"):
        read_table(str(tmp_path / "ragged.csv"))
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(UsageError, match="3-D float64 array"):
        read_table(str(tmp_path / "cube.npy"))


def test_parquet_without_pandas_is_one_sentence(tmp_path, monkeypatch, capsys):
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    status = main(["fit", str(tmp_path / "t.parquet"), "-m", "gmm", "-k", "1", "-o",
                   str(tmp_path / "m.emkit")])
    assert status == 2
    assert capsys.readouterr().err == ("emkit: error: reading Parquet files needs pandas and "
                                       "pyarrow: pip install pandas pyarrow\n")


def test_a_plot_without_matplotlib_is_an_error_before_any_work(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    monkeypatch.setattr(tools, "read_features", lambda *a: pytest.fail("data read"))
    done = run_here(capsys, "select", tmp_path / "d.csv", "--plot", tmp_path / "p.png", "-q")
    assert one_error_line(done) == (f"--plot {tmp_path / 'p.png'} needs matplotlib to draw "
                                    "the plot: pip install 'emkit[plot]'.")
    assert os.listdir(tmp_path) == []


def test_component_lists():
    assert component_list("1..10") == list(range(1, 11))
    assert component_list("2,4,8") == [2, 4, 8]
    assert component_list("5") == [5]
    assert component_list("1..3,8,2") == [1, 2, 3, 8]
    for bad, message in (("3..1", "ends before"), ("0", "at least 1"), ("x", "whole number")):
        with pytest.raises(Exception, match=message):
            component_list(bad)


def test_model_table_maps_options():
    gmm = build_estimator("gmm", 3, {"max_iter": 7, "seed": 2, "covariance_type": "diag",
                                     "tol": None})
    assert (gmm.max_iter, gmm.random_state, gmm.covariance_type, gmm.tol) == (7, 2, "diag",
                                                                              1e-3)
    hmm = build_estimator("hmm-poisson", 2, {"max_iter": 9, "n_init": 3})
    assert type(hmm).__name__ == "PoissonHMM" and (hmm.n_iter, hmm.n_init) == (9, 3)
    with pytest.raises(UsageError, match="--covariance-type does not apply to model 'poisson'"):
        build_estimator("poisson", 2, {"covariance_type": "full"})


def test_warnings_become_one_line_and_flags_follow_the_command(files, tmp_path, capsys):
    out = tmp_path / "m.emkit"
    status = main(["fit", str(files.root / "data.csv"), "-m", "gmm", "-k", "3", "--columns",
                   "a,b", "--max-iter", "1", "--seed", "0", "-o", str(out), "--json"])
    captured = capsys.readouterr()
    assert status == 0
    assert captured.err.splitlines() == [
        "emkit: warning: the fit stopped at --max-iter 1 before converging; raise --max-iter"]
    record = json.loads(captured.out)
    assert record["n_iter"] == 1 and not record["converged"]
    assert record["warnings"] == [captured.err.splitlines()[0][len("emkit: warning: "):]]


def test_unexpected_errors_exit_2_in_one_line_and_debug_shows_traceback(files, monkeypatch,
                                                                        capsys):
    def broken(args, out):
        raise RuntimeError("boom")
    monkeypatch.setitem(emkit.cli.COMMANDS, "info", broken)
    assert main(["info", "x.emkit"]) == 2
    err = capsys.readouterr().err
    assert err == ("emkit: error: unexpected RuntimeError: boom; run with --debug for the "
                   "traceback\n")
    assert main(["--debug", "info", "x.emkit"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith("emkit: error: unexpected RuntimeError: boom\n")

    def exhausted(args, out):
        raise MemoryError("Unable to allocate 7.3 TiB for an array")
    monkeypatch.setitem(emkit.cli.COMMANDS, "info", exhausted)
    assert main(["info", "x.emkit"]) == 2
    assert capsys.readouterr().err == ("emkit: error: out of memory (Unable to allocate 7.3 "
                                       "TiB for an array); use smaller inputs or sizes.\n")


def test_a_sample_too_large_for_memory_is_refused_before_drawing(files, tmp_path, capsys,
                                                                  monkeypatch):
    save(build_estimator("gmm", 2, {"seed": 0}).fit(files.X), tmp_path / "m.emkit")
    monkeypatch.setattr(emkit.GaussianMixture, "sample", lambda *a: pytest.fail("drawn"))
    for n, size in ((10**12, "48.0 TB"), (10**40, "")):  # 2 columns and labels, twice
        done = run_here(capsys, "sample", tmp_path / "m.emkit", "-n", n, "-o",
                        tmp_path / "s.csv")
        message = one_error_line(done)
        assert message.startswith(f"-n {n} needs about {size}")
        assert message.endswith("this machine has; draw fewer samples, in several runs if "
                                "needed.")
    assert os.listdir(tmp_path) == ["m.emkit"]


def test_help_lists_every_command_and_option(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("fit", "predict", "score", "sample", "info", "select", "segment", "demo"):
        assert f"    {command} " in text
    assert main(["fit", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--lengths-column", "--covariance-type", "--n-init", "--max-iter", "--tol",
                   "--seed", "--columns", "--json", "hmm-categorical"):
        assert option in text


def test_progress_bars_count_iterations_across_starts(monkeypatch):
    stream = io.StringIO()
    with FitProgress(max_iter=10, n_init=2, stream=stream, delay=0) as progress:
        positions = []
        for iteration in (1, 2, 3, 1, 2):  # the second start begins at iteration 1
            assert progress(EMStep(iteration, -1.5, 0.1, None)) is False
            positions.append(progress.bar.n)
        assert positions == [1, 2, 3, 11, 12] and progress.bar.total == 20
        assert progress.bar.postfix == "log-likelihood -1.5"
    with SelectProgress(4, stream=stream, delay=0) as progress:
        progress(2, 4, {"n_components": 3, "covariance_type": "full"})
        assert progress.bar.n == 3 and progress.bar.postfix == "K=3 full"
    assert stream.getvalue().startswith("\rEM:")
    tty = SimpleNamespace(isatty=lambda: True)
    assert bars_wanted(stream=tty) and not bars_wanted(quiet=True, stream=tty)
    assert not bars_wanted(json=True, stream=tty) and not bars_wanted(stream=io.StringIO())
    monkeypatch.setitem(sys.modules, "tqdm", None)  # without tqdm: no bar, no error
    with FitProgress(max_iter=5) as progress:
        assert progress.bar is None and progress(EMStep(1, -1.0, 0.0, None)) is False


def test_parquet_files_are_read_with_their_column_names(tmp_path):
    import pandas

    frame = pandas.DataFrame({"height": [1.0, 2.5, np.nan], "count": [3, 4, 5],
                              "label": ["a", None, "b"]})
    frame.to_parquet(tmp_path / "t.parquet")
    X, names = read_table(str(tmp_path / "t.parquet")).features(["height", "count"])
    assert names == ["height", "count"]
    np.testing.assert_array_equal(X, [[1.0, 3], [2.5, 4], [np.nan, 5]])


# -- awkward inputs and outputs ---------------------------------------------------------

def test_text_tables_from_spreadsheets_and_other_tools(tmp_path):
    cases = {  # file: (bytes, names, values)
        "trailing.csv": (b"a,b,\n1,2,\n3,4,\n", ["a", "b"], [[1, 2], [3, 4]]),
        "trailing_plain.csv": (b"1,2,,\n3,,,\n", ["x0", "x1"], [[1, 2], [3, np.nan]]),
        "tabs.csv": (b"a\tb\n1\t2\n3\t4\n", ["a", "b"], [[1, 2], [3, 4]]),
        "semicolons.csv": (b"a;b\r\n1;2\r\n3;4\r\n", ["a", "b"], [[1, 2], [3, 4]]),
        "one_column.csv": (b"my value\n1.5\n-2e3\n", ["my value"], [[1.5], [-2000]]),
        "excel.txt": ("a\tb\r\n1\t2\r\n3\t4\r\n".encode("utf-16"), ["a", "b"],
                      [[1, 2], [3, 4]]),
        "bom.csv": (b'\xef\xbb\xbf"a","b"\r\n"1","-2.5E-1"\r\n', ["a", "b"], [[1, -0.25]]),
    }
    for name, (raw, names, expected) in cases.items():
        (tmp_path / name).write_bytes(raw)
        X, found = read_table(str(tmp_path / name)).features()
        assert found == names, name
        np.testing.assert_array_equal(X, expected)


def test_text_table_cells_that_cannot_be_used(tmp_path):
    (tmp_path / "inf.csv").write_text("a,b\n1,2\n3,-inf\n")
    with pytest.raises(UsageError, match="inf.csv line 3, column 'b': '-inf' is not a finite "
                                         "number; fix the cell or leave it empty"):
        read_table(str(tmp_path / "inf.csv")).features()
    np.save(tmp_path / "inf.npy", np.array([[1.0, 2.0], [np.inf, 3.0]]))
    with pytest.raises(UsageError, match="inf.npy row 1, column 0: 'inf' is not a finite"):
        read_table(str(tmp_path / "inf.npy")).features()
    (tmp_path / "latin.csv").write_bytes("température\n1\n".encode("latin-1"))
    with pytest.raises(UsageError, match="latin.csv is not UTF-8 text; save it as a UTF-8 CSV"):
        read_table(str(tmp_path / "latin.csv"))
    with pytest.raises(UsageError, match="is a folder; give the data file's path"):
        read_table(str(tmp_path))


def test_columns_by_generated_name_and_numeric_sequence_ids(tmp_path):
    (tmp_path / "plain.csv").write_text("1,5,7\n2,1,7.0\n3,1,8\n")
    table = read_table(str(tmp_path / "plain.csv"))
    X, names = table.features(["x2", "0"])
    assert names == ["x2", "x0"]
    np.testing.assert_array_equal(X, [[7, 1], [7, 2], [8, 3]])
    lengths, index = table.sequence_lengths("x2")  # 7 and 7.0 are the same id
    assert index == 2 and lengths.tolist() == [2, 1]
    (tmp_path / "nan_id.csv").write_text("v,id\n1,7\n2,nan\n")
    with pytest.raises(UsageError, match="line 3, column 'id': the sequence id is empty"):
        read_table(str(tmp_path / "nan_id.csv")).sequence_lengths("id")


def test_output_tables_are_written_whole_whatever_the_case_of_the_suffix(tmp_path,
                                                                          monkeypatch):
    columns = {"label": np.array([0, 1, 1])}
    write_table(str(tmp_path / "OUT.NPY"), columns)
    assert os.listdir(tmp_path) == ["OUT.NPY"]
    np.testing.assert_array_equal(np.load(tmp_path / "OUT.NPY"), [[0], [1], [1]])
    old = tmp_path / "old.csv"
    write_table(str(old), {"a": np.array([1.5, -2.0]), "b": np.array([3, 4])})
    assert old.read_text() == "a,b\n1.5,3\n-2.0,4\n"
    old.write_text("label\n7\n")

    def fail(stream, columns, delimiter):
        stream.write("label\n0\n")
        raise OSError("disk full")
    monkeypatch.setattr(data, "_write_text", fail)
    with pytest.raises(OSError, match="disk full"):
        write_table(str(old), columns)
    assert old.read_text() == "label\n7\n" and sorted(os.listdir(tmp_path)) == ["OUT.NPY",
                                                                                 "old.csv"]


def test_a_dash_output_is_standard_output(files, tmp_path, capsys):
    model = build_estimator("gmm", 3, {"seed": 0}).fit(files.X)
    save(model, tmp_path / "m.emkit")
    predict = run_here(capsys, "predict", tmp_path / "m.emkit", files.root / "data.csv",
                       "--columns", "a,b", "-o", "-")
    sample = run_here(capsys, "sample", tmp_path / "m.emkit", "-n", "4", "--seed", "1", "-o",
                      "-")
    assert predict.status == sample.status == 0 and predict.err == sample.err == ""
    lines = predict.out.splitlines()
    assert lines[0] == "label" and len(lines) == len(files.X) + 1
    np.testing.assert_array_equal(np.array(lines[1:], dtype=int), model.predict(files.X))
    drawn = model.set_params(random_state=1).sample(4)[0]
    assert sample.out.splitlines()[0] == "x0,x1"
    np.testing.assert_array_equal([line.split(",") for line in sample.out.splitlines()[1:]],
                                  drawn.astype(str))
    assert not (tmp_path / "-").exists() and not (files.root / "-").exists()


def one_error_line(done):
    """The message of a command that failed on bad input: exit 2, one stderr line."""
    assert done.status == 2 and done.out == "", done
    lines = done.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("emkit: error: "), done.err
    return lines[0][len("emkit: error: "):]


def test_an_unfitted_model_file_says_to_fit_it(tmp_path, capsys):
    for name in ("GaussianMixture", "CategoricalHMM"):
        save(getattr(emkit.estimators, name)(2), tmp_path / f"{name}.emkit")
    path = tmp_path / "GaussianMixture.emkit"
    (tmp_path / "d.csv").write_text("a\n1\n2\n")
    for argv in (["predict", path, tmp_path / "d.csv"], ["score", path, tmp_path / "d.csv"],
                 ["sample", path, "-n", "2"],
                 ["predict", tmp_path / "CategoricalHMM.emkit", tmp_path / "d.csv"]):
        message = one_error_line(run_here(capsys, *argv))
        assert message.endswith("holds an unfitted model; fit one first with 'emkit fit'.")
        assert str(argv[1]) in message


def test_log_messages_of_a_fit_are_warning_lines(tmp_path, capsys):
    (tmp_path / "tiny.csv").write_text("v\n1\n2\n1.5\n5\n")
    done = run_here(capsys, "fit", tmp_path / "tiny.csv", "-m", "hmm-gaussian", "-k", "3",
                    "--seed", "0", "-o", tmp_path / "t.emkit", "--json")
    assert done.status == 0
    message = ("Fitting a model with 14 free scalar parameters with only 4 data points will "
               "result in a degenerate solution.")
    assert done.err.splitlines() == [f"emkit: warning: {message}"]
    assert json.loads(done.out)["warnings"] == [message]


def test_outputs_are_checked_before_any_work(files, tmp_path, capsys):
    data_file = tmp_path / "d.csv"
    data_file.write_text("a,b\n1,2\n3,4\n5,7\n")
    (tmp_path / "folder").mkdir()
    model = tmp_path / "m.emkit"
    save(build_estimator("gmm", 1, {"seed": 0}).fit(files.X), model)
    (tmp_path / "locked.csv").write_text("old\n")
    (tmp_path / "locked.csv").chmod(0o444)
    folder, again = "folder' is a folder; give a file name", "is also an input of this command"
    cases = [  # (phrase in the message, arguments)
        (folder, ["fit", data_file, "-m", "gmm", "-k", "1", "-o", tmp_path / "folder"]),
        (folder, ["predict", model, data_file, "-o", tmp_path / "folder"]),
        ("the folder of", ["sample", model, "-n", "2", "-o", tmp_path / "no" / "s.csv"]),
        ("d.csv' " + again, ["predict", model, data_file, "-o", data_file]),
        ("m.emkit' " + again, ["sample", model, "-n", "2", "-o", model]),
        ("d.csv' " + again + "; write the output to another file.",
         ["fit", data_file, "-m", "gmm", "-k", "1", "-o", data_file]),
        ("locked.csv' is read-only; make it writable",
         ["predict", model, data_file, "-o", tmp_path / "locked.csv"]),
        ("argument --seed: '4294967296' must be from 0 to 4294967295",
         ["sample", model, "-n", "2", "--seed", "4294967296"]),
    ]
    for phrase, argv in cases:
        assert phrase in one_error_line(run_here(capsys, *argv)), argv
    assert data_file.read_text() == "a,b\n1,2\n3,4\n5,7\n"
    assert (tmp_path / "locked.csv").read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["d.csv", "folder", "locked.csv", "m.emkit"]


def test_info_puts_a_family_parameter_on_one_line(tmp_path, capsys):
    from emkit.families import Poisson
    rng = np.random.default_rng(0)
    X = rng.poisson(np.repeat([[1.0], [6.0]], 30, axis=0), size=(60, 2)).astype(float)
    model = emkit.MixtureModel(Poisson([[1.0, 1.0], [5.0, 5.0]]), random_state=0).fit(X)
    save(model, tmp_path / "m.emkit")
    text = run_here(capsys, "info", tmp_path / "m.emkit")
    as_json = run_here(capsys, "info", tmp_path / "m.emkit", "--json")
    assert text.status == as_json.status == 0
    lines = text.out.splitlines()
    assert len(lines) == 4 and lines[1].startswith("parameters: acceleration=None, "
                                                   "assignment='soft', ")
    assert "components=Poisson(rate=[[1. 1.] [5. 5.]])," in lines[1]
    assert json.loads(as_json.out)["parameters"]["components"] == {
        "family": "Poisson", "rate": [[1.0, 1.0], [5.0, 5.0]]}


def test_a_row_of_empty_cells_is_a_row_of_missing_values(tmp_path, capsys):
    # Only blank lines are skipped, so every output row still matches its input row.
    (tmp_path / "gaps.csv").write_text("a,b\n0,0.5\n,\n\n5,6\n , \n5.5,6.5\n")
    X, _ = read_table(str(tmp_path / "gaps.csv")).features()
    np.testing.assert_array_equal(X, [[0, 0.5], [np.nan, np.nan], [5, 6], [np.nan, np.nan],
                                      [5.5, 6.5]])
    done = run_here(capsys, "fit", tmp_path / "gaps.csv", "-m", "hmm-gaussian", "-k", "2",
                    "--seed", "0", "-o", tmp_path / "m.emkit", "-q")
    assert done.status == 0, done.err
    predict = run_here(capsys, "predict", tmp_path / "m.emkit", tmp_path / "gaps.csv")
    assert predict.status == 0 and len(predict.out.splitlines()) == 1 + 5


def test_too_few_rows_for_a_gaussian_state_is_bad_input(tmp_path, capsys):
    # One row cannot give a Gaussian state a variance.
    (tmp_path / "one.csv").write_text("a\n1\n")
    done = run_here(capsys, "fit", tmp_path / "one.csv", "-m", "hmm-gaussian", "-k", "1",
                    "-o", tmp_path / "m.emkit", "-q")
    assert done.status == 2 and done.out == ""
    assert done.err.splitlines()[-1].startswith("emkit: error: GaussianHMM needs at least 2 "
                                                "samples")
    assert all(line.startswith("emkit: warning: ") for line in done.err.splitlines()[:-1])


def test_hmm_categorical_asks_for_one_column(tmp_path, capsys):
    (tmp_path / "codes.csv").write_text("u,v\n0,1\n2,1\n1,0\n")
    message = one_error_line(run_here(capsys, "fit", tmp_path / "codes.csv", "-m",
                                      "hmm-categorical", "-k", "2", "-o", tmp_path / "m.emkit"))
    assert message.endswith("codes.csv gives 2 (u, v); choose one with --columns.")
    assert message.startswith("hmm-categorical takes one column of symbols")


def test_a_likelihood_that_is_not_finite_is_bad_input(tmp_path, capsys, monkeypatch):
    # The engine stops a fit whose likelihood is not finite with a FloatingPointError.
    def not_finite(self, *args, **kwargs):
        raise FloatingPointError("The log-likelihood is not finite at iteration 1 (-inf).")

    monkeypatch.setattr(emkit.GaussianMixture, "fit", not_finite)
    (tmp_path / "d.csv").write_text("a\n1\n2\n3\n")
    done = run_here(capsys, "fit", tmp_path / "d.csv", "-m", "gmm", "-k", "1", "-o",
                    tmp_path / "m.emkit")
    assert done.status == 2 and done.out == ""
    assert done.err == "emkit: error: The log-likelihood is not finite at iteration 1 (-inf).\n"
    assert not (tmp_path / "m.emkit").exists()
