"""``emkit fit --online``: online EM over a file, one batch in memory, a bar over its rows.

The oracles are the estimators fitted in this process: a memory-mapped ``.npy`` file is the
estimator's own online ``fit`` (``learning_method='online'``) of the same array, to 1e-10
relative; a file read in blocks (Parquet row groups, CSV text blocks) is ``partial_fit``
over the same batches, ``total_samples`` the number of rows (sequences, for an HMM).
"""

import io
import json
import math
import tracemalloc

import numpy as np
import pytest

import emkit
from emkit.cli import output, progress
from emkit.engine import EMStep
from emkit.io import load

from test_cli import one_error_line, run_cli, run_here

RTOL = 1e-10
N = 3000
CENTRES = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0], [0.0, 6.0, 0.0]])
MIXTURE = ("weights_", "means_", "covariances_")
HMM = ("startprob_", "transmat_", "means_", "covars_")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """3000 x 3 blob rows (.npy, Parquet, CSV) and 60 sequences of 50 values (.npy, Parquet)."""
    root = tmp_path_factory.mktemp("online")
    rng = np.random.default_rng(0)
    X = CENTRES[rng.integers(0, 3, N)] + rng.normal(size=(N, 3))
    np.save(root / "x.npy", X)
    states = np.repeat(rng.integers(0, 2, N // 10), 10)
    v = np.array([0.0, 5.0])[states] + rng.normal(size=N)
    ids = np.repeat(np.arange(60), 50)
    np.save(root / "seq.npy", np.column_stack([v, ids]))
    lengths = np.full(60, 50)
    return root, X, v[:, None], lengths


def fitted_json(done):
    assert done.status == 0 and done.err == "", done.err  # no bar off a terminal
    return json.loads(done.out)


def assert_same(model, reference, names):
    for name in names:
        np.testing.assert_allclose(getattr(model, name), getattr(reference, name), rtol=RTOL,
                                   atol=1e-12, err_msg=name)


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
def test_an_npy_file_is_the_estimators_online_fit(files, capsys):
    root, X, _, _ = files
    done = run_here(capsys, "fit", root / "x.npy", "-k", "3", "--seed", "0", "--online",
                    "--batch-size", "500", "-o", root / "once.emkit", "--json")
    record = fitted_json(done)
    reference = emkit.GaussianMixture(3, learning_method="online", batch_size=500, max_iter=1,
                                      random_state=0).fit(X)
    model = load(root / "once.emkit")
    assert_same(model, reference, MIXTURE)
    assert record["learning_method"] == "online" and record["batch_size"] == 500
    assert record["passes"] == record["n_iter"] == record["max_iter"] == 1
    assert record["n_batch_iter"] == model.n_batch_iter_ == N // 500
    assert math.isclose(record["log_likelihood"], reference.score(X) * N, rel_tol=1e-10)
    info = run_here(capsys, "info", root / "once.emkit", "--json")
    summary = json.loads(info.out)
    assert summary["parameters"]["learning_method"] == "online"
    assert summary["parameters"]["batch_size"] == 500 and summary["fit"]["n_batch_iter"] == 6
    labels = run_here(capsys, "predict", root / "once.emkit", root / "x.npy", "--json")
    np.testing.assert_array_equal(json.loads(labels.out)["labels"], reference.predict(X))


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
def test_max_iter_counts_passes(files, capsys):
    root, X, _, _ = files
    done = run_here(capsys, "fit", root / "x.npy", "-k", "3", "--seed", "0", "--online",
                    "--batch-size", "700", "--max-iter", "3", "--learning-decay", "0.6",
                    "--learning-offset", "4", "-o", root / "three.emkit", "--json")
    record = fitted_json(done)
    model = load(root / "three.emkit")
    assert record["passes"] == 3 and record["max_iter"] == 3
    assert record["n_batch_iter"] == model.n_batch_iter_ == 3 * math.ceil(N / 700)
    assert len(model.lower_bounds_) == 3  # every pass is made: no --tol stops it early
    reference = emkit.GaussianMixture(3, learning_method="online", batch_size=700, max_iter=3,
                                      tol=0, learning_decay=0.6, learning_offset=4,
                                      random_state=0).fit(X)
    assert_same(model, reference, MIXTURE)
    text = run_here(capsys, "fit", root / "x.npy", "-k", "3", "--online", "--batch-size",
                    "700", "--max-iter", "3", "-o", root / "text.emkit")
    assert "  online EM: 3 passes in batches of 700 rows (15 updates)" in text.out.splitlines()


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
def test_an_hmm_streams_whole_sequences(files, capsys):
    root, _, v, lengths = files
    done = run_here(capsys, "fit", root / "seq.npy", "-m", "hmm-gaussian", "-k", "2",
                    "--lengths-column", "1", "--seed", "0", "--online", "--batch-size", "7",
                    "--max-iter", "2", "-o", root / "hmm.emkit", "--json")
    record = fitted_json(done)
    reference = emkit.GaussianHMM(2, learning_method="online", batch_size=7, n_iter=2, tol=0,
                                  random_state=0).fit(v, lengths)
    model = load(root / "hmm.emkit")
    assert_same(model, reference, HMM)
    assert record["n_batch_iter"] == model.n_batch_iter_ == 2 * math.ceil(60 / 7)
    assert record["n_sequences"] == 60 and record["batch_size"] == 7


def partial_fits(model, X, batch_size, passes, lengths=None):
    """``partial_fit`` over consecutive batches of rows (of whole sequences, with lengths)."""
    units = len(X) if lengths is None else len(lengths)
    offsets = np.arange(len(X) + 1) if lengths is None else np.r_[0, np.cumsum(lengths)]
    model.set_params(total_samples=units)
    for _ in range(passes):
        for first in range(0, units, batch_size):
            last = min(first + batch_size, units)
            extra = () if lengths is None else (lengths[first:last],)
            model.partial_fit(X[offsets[first]:offsets[last]], *extra)
    return model


def test_files_read_in_blocks_stream_through_partial_fit(files, capsys):
    pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    root, X, v, lengths = files
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame.to_parquet(root / "x.parquet", row_group_size=700)  # batches cross row groups
    frame.to_csv(root / "x.csv", index=False, float_format="%.17g")
    reference = partial_fits(emkit.GaussianMixture(3, learning_method="online",
                                                   random_state=0), X, 500, 2)
    for name, extra in (("x.parquet", ()), ("x.csv", ("--block-size", "20KB"))):
        done = run_here(capsys, "fit", root / name, "-k", "3", "--seed", "0", "--online",
                        "--batch-size", "500", "--max-iter", "2", *extra, "-o",
                        root / "streamed.emkit", "--json")
        record = fitted_json(done)
        model = load(root / "streamed.emkit")
        assert_same(model, reference, MIXTURE)
        assert record["passes"] == 2 and model.n_batch_iter_ == 12
        assert model.total_samples == N
    pd.DataFrame({"v": v[:, 0], "seq": np.repeat([f"s{i}" for i in range(60)], 50)}
                 ).to_parquet(root / "seq.parquet", row_group_size=777)
    done = run_here(capsys, "fit", root / "seq.parquet", "-m", "hmm-gaussian", "-k", "2",
                    "--lengths-column", "seq", "--seed", "0", "--online", "--batch-size", "7",
                    "-o", root / "seq.emkit", "--json")
    fitted_json(done)
    reference = partial_fits(emkit.GaussianHMM(2, learning_method="online", random_state=0),
                             v, 7, 1, lengths)
    assert_same(load(root / "seq.emkit"), reference, HMM)
    assert "drop --n-init" in one_error_line(run_here(
        capsys, "fit", root / "x.parquet", "-k", "3", "--online", "--n-init", "2", "-o",
        root / "never.emkit"))
    assert "raise --batch-size" in one_error_line(run_here(
        capsys, "fit", root / "x.parquet", "-k", "3", "--online", "--batch-size", "2", "-o",
        root / "never.emkit"))
    assert not (root / "never.emkit").exists()


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
def test_a_memory_mapped_file_is_streamed_in_constant_memory(tmp_path, capsys):
    # 64 MB of rows; what the fit holds is a batch, the start's sample of at most
    # START_SAMPLE_ROWS rows and the summary's blocks of scored rows, whatever the file.
    n, d = 2_000_000, 4
    rng = np.random.default_rng(1)
    X = np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=np.float64,
                                  shape=(n, d))
    for start in range(0, n, 250_000):
        rows = X[start:start + 250_000]
        rows[:] = 5.0 * rng.integers(0, 2, (len(rows), 1)) + rng.normal(size=rows.shape)
    X.flush()
    del X, rows
    argv = ["fit", tmp_path / "big.npy", "-k", "2", "--online", "--batch-size", "20000",
            "-o", tmp_path / "big.emkit", "-q"]
    with emkit.config_context(n_threads=1, chunk_size=8192):
        assert run_here(capsys, *argv).status == 0  # imports and caches are not the data's
        tracemalloc.start()
        try:
            done = run_here(capsys, *argv)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert done.status == 0 and done.err == "", done.err
    size = (tmp_path / "big.npy").stat().st_size
    assert peak < size / 4, (peak, size)
    assert load(tmp_path / "big.emkit").n_batch_iter_ == n // 20000


@pytest.fixture
def bars(monkeypatch):
    """Every progress bar the command line makes, drawn as if on a terminal (no delay)."""
    made, make = [], progress._make_bar

    def capture(total, description, stream, delay, unit="it"):
        bar = make(total, description, io.StringIO(), 0, unit)
        made.append(bar)
        return bar

    monkeypatch.setattr(progress, "_make_bar", capture)
    monkeypatch.setattr(output, "bars_wanted", lambda *args, **kwargs: True)
    return made


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
def test_the_progress_bar_counts_rows_times_passes(files, capsys, bars):
    root = files[0]
    for extra, total in ((("--batch-size", "700", "--max-iter", "2"), 2 * N),
                         (("--max-iter", "3", "--n-init", "2"), 2 * 3 * N)):
        done = run_here(capsys, "fit", root / "x.npy", "-k", "3", "--online", *extra, "-o",
                        root / "bar.emkit")
        assert done.status == 0
        bar = bars.pop()
        assert bar.total == bar.n == total and bar.unit == "row"
    done = run_here(capsys, "fit", root / "seq.npy", "-m", "hmm-gaussian", "-k", "2",
                    "--lengths-column", "1", "--online", "--batch-size", "7", "--max-iter", "2",
                    "-o", root / "bar.emkit")
    bar = bars.pop()
    assert done.status == 0 and bar.total == bar.n == 2 * N
    with progress.OnlineProgress(10, 4, 2, stream=io.StringIO(), delay=0) as rows:
        seen = []
        for update in range(1, 7):  # batches of 4, 4 and 2 rows; two passes
            rows(EMStep(update, -1.25, float("nan"), None))
            seen.append(rows.bar.n)
        assert seen == [4, 8, 10, 14, 18, 20] and rows.bar.postfix == "log-likelihood -1.25"


def test_online_options_need_online_and_sensible_values(files, capsys):
    root = files[0]
    out = root / "never.emkit"
    cases = [(("--batch-size", "0", "--online"), "argument --batch-size: '0' must be at least 1"),
             (("--batch-size", "500"), "--batch-size applies only to online EM; add --online"),
             (("--learning-decay", "0.6"), "--learning-decay applies only to online EM"),
             (("--online", "--learning-decay", "1.5"), "must be more than 0 and at most 1"),
             (("--online", "--learning-offset", "0.5"), "'0.5' must be at least 1"),
             (("--online", "--tol", "0.1"), "--tol does not apply to --online"),
             (("--online", "--workers", "2"), "not on a Dask cluster")]
    for extra, message in cases:
        done = run_here(capsys, "fit", root / "x.npy", "-k", "3", *extra, "-o", out)
        assert message in one_error_line(done), (extra, done.err)
    done = run_here(capsys, "fit", root / "seq.npy", "-m", "hmm-gaussian", "-k", "2",
                    "--columns", "0", "--online", "-o", out)
    assert "give --lengths-column" in one_error_line(done)
    assert not out.exists()
    helped = run_here(capsys, "fit", "--help")
    text = " ".join(helped.out.split())
    assert "--online" in text and "--batch-size B" in text
    assert "with --online, the number of passes over the data (default: 1)" in text


def test_a_real_process_prints_no_bar_off_a_terminal(files):
    root = files[0]
    done, = run_cli(root, ["fit", "x.npy", "-k", "3", "--online", "--batch-size", "1000",
                           "-o", "process.emkit"])
    assert done.status == 0 and done.err == "", done.err
    assert "online EM: 1 pass in batches of 1000 rows (3 updates)" in done.out
