"""``emkit fit`` reads no file whole: .npy memory-mapped, Parquet by row group, CSV in blocks.

The oracle is the same estimator fitted in this process on the whole array in memory:
with fewer rows than the start sample, every way of reading gives its fit (to 1e-10
relative), and the summary's log-likelihood and BIC are the in-memory model's.
"""

import json
import sys

import numpy as np
import pytest

import emkit
from emkit.cli import cluster, fit_data, main
from emkit.cli.data import read_table
from emkit.cli.fit_data import open_features
from emkit.engine.sources import is_memory_mapped
from emkit.io import load

from test_cli import one_error_line, run_cli, run_here

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

RTOL = 1e-10
CENTRES = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0], [0.0, 6.0, 0.0]])
PARAMETERS = ("weights_", "means_", "covariances_")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same 3000 x 3 rows as .npy (float64 and float32), Parquet and CSV."""
    root = tmp_path_factory.mktemp("streaming")
    rng = np.random.default_rng(0)
    X = CENTRES[rng.integers(0, 3, 3000)] + rng.normal(size=(3000, 3))
    np.save(root / "x.npy", X)
    np.save(root / "x32.npy", X.astype(np.float32))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame.assign(label="text").to_parquet(root / "x.parquet", row_group_size=700)
    frame.to_csv(root / "x.csv", index=False, float_format="%.17g")
    return root, X


def fitted(root, name, X, argv, model="gmm", lengths=None, **params):
    """The CLI's model and summary, and the model fitted in memory on ``X``."""
    summary = json.loads(argv.out)
    assert argv.status == 0 and "error" not in argv.err, argv.err
    kind = {"gmm": emkit.GaussianMixture, "hmm-gaussian": emkit.GaussianHMM}[model]
    reference = kind(**params).fit(X, *([] if lengths is None else [lengths]))
    return load(root / name), summary, reference


def assert_same(cli_model, reference, summary, X):
    for name in PARAMETERS:
        np.testing.assert_allclose(getattr(cli_model, name), getattr(reference, name),
                                   rtol=RTOL, atol=1e-12, err_msg=name)
    assert summary["n_samples"] == len(X) and summary["n_features"] == X.shape[1]
    # The command line sums float64 log-densities; a float32 model's score_samples and
    # bic are float32's, as scikit-learn's: equal to its rounding.
    rtol = RTOL if X.dtype == np.float64 else 1e-6
    assert summary["log_likelihood"] == pytest.approx(
        np.sum(reference.score_samples(X), dtype=np.float64), rel=rtol)
    assert summary["bic"] == pytest.approx(reference.bic(X), rel=rtol)


def test_npy_parquet_and_csv_fits_are_the_in_memory_fit(files):
    root, X = files
    fit = ["fit", "-m", "gmm", "-k", "3", "--seed", "0", "--json"]
    runs = run_cli(root, [*fit, "x.npy", "-o", "npy.emkit"],
                   [*fit, "x32.npy", "-o", "npy32.emkit"],
                   [*fit, "x.npy", "--columns", "2,0", "-o", "picked.emkit"],
                   [*fit, "x.parquet", "--columns", "a,b,c", "-o", "parquet.emkit"],
                   [*fit, "x.csv", "--block-size", "20KB", "-o", "csv.emkit"])
    for (name, Y), argv in zip((("npy.emkit", X), ("npy32.emkit", X.astype(np.float32)),
                                ("picked.emkit", X[:, [2, 0]]), ("parquet.emkit", X),
                                ("csv.emkit", X)), runs):
        model, summary, reference = fitted(root, name, Y, argv, n_components=3,
                                           random_state=0)
        assert_same(model, reference, summary, Y)
    assert json.loads(runs[2].out)["columns"] == ["x2", "x0"]


def test_each_format_is_opened_without_reading_it_whole(files):
    root, X = files
    npy = open_features(str(root / "x.npy"))
    assert is_memory_mapped(npy.X) and not npy.in_memory and npy.names == ["x0", "x1", "x2"]
    middle = open_features(str(root / "x.npy"), columns="1")
    assert is_memory_mapped(middle.X) and middle.X.shape == (3000, 1)
    picked = open_features(str(root / "x.npy"), columns="2,0")  # not a view: Dask blocks
    np.testing.assert_array_equal(picked.X.compute(), X[:, [2, 0]])
    parquet = open_features(str(root / "x.parquet"), columns="c,a")
    assert parquet.X.chunks[0] == (700, 700, 700, 700, 200) and parquet.names == ["c", "a"]
    np.testing.assert_array_equal(parquet.X.compute(), X[:, [2, 0]])
    csv = open_features(str(root / "x.csv"), columns="b", block_size=20_000)
    assert len(csv.X.chunks[0]) > 4 and csv.n_rows == 3000 and csv.names == ["b"]
    np.testing.assert_array_equal(csv.X.compute(), X[:, [1]])
    small = open_features(str(root / "x.csv"))  # one block: read as a table
    assert small.in_memory and isinstance(small.X, np.ndarray)
    distributed = open_features(str(root / "x.npy"), distributed=True)
    assert not isinstance(distributed.X, np.ndarray)  # blocks the workers read


def test_without_dask_parquet_and_csv_are_read_whole(files, monkeypatch):
    root, X = files
    monkeypatch.setattr(fit_data, "_dask_installed", lambda: False)
    for name in ("x.parquet", "x.csv"):
        opened = open_features(str(root / name), columns="a,b,c", block_size=1000)
        assert opened.in_memory
        np.testing.assert_array_equal(opened.X, X)
    np.testing.assert_array_equal(open_features(str(root / "x.npy"), columns="2,0").X,
                                  X[:, [2, 0]])


def test_streamed_text_is_read_as_the_table_reader_reads_it(tmp_path):
    # Header, spaces, missing cells in every spelling, a trailing delimiter, blank lines,
    # and sequence ids whose runs cross blocks ("7" and "7.0" differ: not all are numbers).
    rng = np.random.default_rng(1)
    ids = ["s1"] * 300 + ["7"] * 250 + ["7.0"] * 150 + ["s1"] * 300
    cells = [["NA", "nan", "", " None", "n/a", "NULL"][i % 6] if i % 17 == 0 else
             f" {float(value)!r}" for i, value in enumerate(rng.normal(size=len(ids)))]
    lines = [f"{c},{float(rng.normal())!r},{s}," for c, s in zip(cells, ids)]
    lines[100:100] = [""]
    (tmp_path / "t.csv").write_text("u,v,seq,\n" + "\n".join(lines) + "\n")
    numeric = "\n".join(f"{i},{s}" for i, s in enumerate(["7"] * 400 + ["7.0"] * 300 + ["8"]))
    (tmp_path / "n.tsv").write_text(numeric.replace(",", "\t") + "\n")
    for name, options in (("t.csv", ("v,u", "seq")), ("n.tsv", (None, "x1"))):
        path = str(tmp_path / name)
        table = read_table(path)
        lengths, index = table.sequence_lengths(options[1])
        columns = options[0].split(",") if options[0] else None
        expected, names = table.features(columns, (index,))
        opened = open_features(path, *options, block_size=2000)
        assert len(opened.X.chunks[0]) > 1 and opened.names == names
        np.testing.assert_array_equal(opened.X.compute(), expected)
        np.testing.assert_array_equal(opened.lengths, lengths)
    assert opened.lengths.tolist() == [700, 1]  # all numbers: 7 and 7.0 are one sequence


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
def test_hmm_sequences_from_a_streamed_csv(tmp_path):
    rng = np.random.default_rng(2)
    v = np.concatenate([rng.normal(0, 1, 300), rng.normal(6, 1, 300), rng.normal(0, 1, 300)])
    ids = ["s1"] * 300 + ["s2"] * 300 + ["s1"] * 300
    (tmp_path / "seq.csv").write_text("v,seq\n" + "".join(
        f"{float(x)!r},{s}\n" for x, s in zip(v, ids)))
    (done,) = run_cli(tmp_path, ["fit", "seq.csv", "-m", "hmm-gaussian", "-k", "2",
                                 "--lengths-column", "seq", "--max-iter", "5", "--seed", "0",
                                 "--block-size", "3KB", "-o", "hmm.emkit", "--json"])
    model, summary, reference = fitted(tmp_path, "hmm.emkit", v[:, None], done, "hmm-gaussian",
                                       [300, 300, 300], n_components=2, n_iter=5,
                                       random_state=0)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        np.testing.assert_allclose(getattr(model, name), getattr(reference, name), rtol=RTOL,
                                   atol=1e-12, err_msg=name)
    assert summary["n_sequences"] == 3
    assert summary["log_likelihood"] == pytest.approx(reference.score(v[:, None],
                                                                      [300] * 3), rel=RTOL)


def test_a_fit_on_a_local_cluster_of_two_workers(files):
    root, X = files
    # A second cluster at the same time: neither warns of a port the other holds.
    done, beside = run_cli(root, ["fit", "x.parquet", "-m", "gmm", "-k", "3", "--columns",
                                  "a,b,c", "--seed", "0", "--workers", "2", "-o",
                                  "cluster.emkit", "--json"],
                           ["fit", "x.npy", "-k", "2", "--workers", "1", "-o", "beside.emkit",
                            "-q"])
    model, summary, reference = fitted(root, "cluster.emkit", X, done, n_components=3,
                                       random_state=0)
    assert_same(model, reference, summary, X)
    assert done.err == beside.err == "" and beside.status == 0


def test_bad_streamed_input_is_one_error_line(files, tmp_path, capsys, monkeypatch):
    root, X = files
    lines = (root / "x.csv").read_text().splitlines()
    lines[2000] = "1,four,3"
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "blank_id.csv").write_text("v,id\n" + "1,a\n" * 3000 + "2,\n")
    out = tmp_path / "m.emkit"
    gmm = ["-m", "gmm", "-k", "3", "-o", out]
    cases = [  # (phrase in the message, arguments)
        ("bad.csv: 'four' is not a number; fix the cell or leave it empty",
         [tmp_path / "bad.csv", "--block-size", "20KB", *gmm]),
        ("x.parquet column 'label' holds text values, not numbers; choose numeric columns",
         [root / "x.parquet", *gmm]),
        ("-k 5000 is more than the 3000 rows of",
         [root / "x.csv", "--block-size", "20KB", "-m", "gmm", "-k", "5000", "-o", out]),
        ("blank_id.csv row 3000, column 'id': the sequence id is empty",
         [tmp_path / "blank_id.csv", "--block-size", "2KB", "--lengths-column", "id", "-m",
          "hmm-gaussian", "-k", "2", "-o", out]),
        ("argument --dask-scheduler: not allowed with argument --workers",
         [root / "x.npy", "--workers", "2", "--dask-scheduler", "tcp://127.0.0.1:1", *gmm]),
        ("argument --block-size: '12XB' is not a number of bytes",
         [root / "x.npy", "--block-size", "12XB", *gmm]),
        # One byte made a task per byte: a 60 KB file ran for minutes.
        ("argument --block-size: '1' is less than the smallest block, 1KB",
         [root / "x.csv", "--block-size", "1", *gmm]),
    ]
    for phrase, argv in cases:
        message = one_error_line(run_here(capsys, "fit", *argv))
        assert phrase in message, (argv, message)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)
    message = one_error_line(run_here(capsys, "fit", root / "x.npy", "-m", "gmm", "-k", "3",
                                      "--dask-scheduler", "tcp://127.0.0.1:1", "-o", out))
    assert message.startswith("cannot connect to the Dask scheduler at 'tcp://127.0.0.1:1'")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    message = one_error_line(run_here(capsys, "fit", root / "x.npy", "-m", "gmm", "-k", "3",
                                      "--workers", "2", "-o", out))
    assert message == "--workers needs Dask's distributed scheduler: pip install 'emkit[dask]'."
    assert not out.exists()
