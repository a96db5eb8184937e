"""What a model file written by ``emkit fit`` remembers of its data, run as the real CLI.

The columns it was fitted on (names, text categories) and an HMM's sequence-id column are
used by ``predict``, ``score`` and ``sample``; the log-likelihood ``fit`` prints is the one
``score`` and ``info`` give. The oracle is the saved model asked the same in this process.
"""

import json
from types import SimpleNamespace

import numpy as np
import pytest

import emkit
from emkit.io import load, save

from test_cli import one_error_line, read_csv, run_cli, run_here

CITIES = ("Lyon", "Nice", "Paris")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two-cluster rows (x, y and a text column), two HMM sequences, and text categories."""
    root = tmp_path_factory.mktemp("fitted")
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 0.7, (50, 2)) for c in ([0, 0], [5, 5])])
    tags = rng.choice(["p", "q"], len(X))
    (root / "data.csv").write_text("x,tag,y\n" + "".join(
        f"{a!r},{t},{b!r}\n" for (a, b), t in zip(X.tolist(), tags)))
    (root / "plain.csv").write_text("".join(f"{a!r},{b!r}\n" for a, b in X.tolist()))
    v = np.concatenate([rng.normal(0, 1, 60), rng.normal(2, 1, 60), rng.normal(0, 1, 60)])
    ids = ["a"] * 90 + ["b"] * 90
    (root / "seq.csv").write_text("seq,v\n" + "".join(f"{s},{x!r}\n" for s, x in
                                                        zip(ids, v.tolist())))
    city = rng.choice(CITIES, 150, p=[0.2, 0.3, 0.5])
    member = np.where(rng.random(150) < 0.4, "yes", "no")
    member[3] = ""  # a missing cell
    (root / "people.csv").write_text("city,member,age\n" + "".join(
        f"{c},{m},{20 + i % 50}\n" for i, (c, m) in enumerate(zip(city, member))))
    codes = np.searchsorted(CITIES, city).astype(float)
    yes = np.where(member == "", np.nan, (member == "yes").astype(float))
    return SimpleNamespace(root=root, X=X, v=v[:, None], lengths=[90, 90],
                           cities=codes[:, None], members=yes[:, None])


def test_the_log_likelihood_is_the_same_in_fit_score_and_info(files):
    root = files.root
    fits = run_cli(root, ["fit", "data.csv", "-k", "2", "--columns", "x,y", "--seed", "0",
                          "-o", "gmm.emkit"],
                   ["fit", "seq.csv", "-m", "hmm-gaussian", "-k", "3", "--lengths-column",
                    "seq", "--max-iter", "2", "--seed", "0", "-o", "hmm.emkit"])
    assert [f.status for f in fits] == [0, 0], [f.err for f in fits]
    assert fits[1].err == ("emkit: warning: the fit stopped at --max-iter 2 before "
                           "converging; raise --max-iter\n")
    runs = run_cli(root, ["score", "gmm.emkit", "data.csv"], ["info", "gmm.emkit"],
                   ["score", "hmm.emkit", "seq.csv"], ["info", "hmm.emkit"],
                   ["score", "gmm.emkit", "data.csv", "--json"], ["info", "hmm.emkit", "--json"])
    assert all(r.status == 0 and r.err == "" for r in runs), [r.err for r in runs]
    gmm, hmm = load(root / "gmm.emkit"), load(root / "hmm.emkit")
    truths = (gmm.score_samples(files.X).sum(), hmm.score(files.v, files.lengths))
    for fit, score, described, total, n in ((fits[0], runs[0], runs[1], truths[0], 100),
                                            (fits[1], runs[2], runs[3], truths[1], 180)):
        lines = [f"log-likelihood (total over the data): {total:.6f} ({n} rows)",
                 f"log-likelihood (mean per row): {total / n:.6f}"]
        assert [line.strip() for line in fit.out.splitlines()[2:4]] == lines
        assert score.out.splitlines() == lines
        assert [line for line in described.out.splitlines() if "log-lik" in line] == lines
    assert "fit: converged=False, n_iter=2" in runs[3].out
    scored, info = json.loads(runs[4].out), json.loads(runs[5].out)
    assert scored["log_likelihood"] == pytest.approx(truths[0], rel=1e-12)
    assert info["log_likelihood"] == pytest.approx(truths[1], rel=1e-12)
    assert info["mean_log_likelihood"] == pytest.approx(truths[1] / 180, rel=1e-12)
    assert info["n_samples"] == 180 and info["fit"] == {"converged": False, "n_iter": 2}
    assert info["sequence_column"] == "seq"
    assert info["columns"] == [{"name": "v", "type": "number"}]


def test_predict_score_and_sample_use_the_columns_of_the_fit(files, capsys):
    root = files.root
    fits = run_cli(root, ["fit", "data.csv", "-k", "2", "--columns", "y,x", "--seed", "0",
                          "-o", "yx.emkit"],
                   ["fit", "seq.csv", "-m", "hmm-gaussian", "-k", "2", "--lengths-column",
                    "seq", "--seed", "0", "-o", "seq.emkit"],
                   ["fit", "plain.csv", "-k", "2", "--seed", "0", "-o", "plain.emkit"])
    assert all(f.status == 0 for f in fits), [f.err for f in fits]
    yx, hmm, plain = (load(root / n) for n in ("yx.emkit", "seq.emkit", "plain.emkit"))
    Y = files.X[:, ::-1]
    runs = run_cli(root, ["predict", "yx.emkit", "data.csv"],
                   ["sample", "yx.emkit", "-n", "5", "--seed", "2", "-o", "yx.csv"],
                   ["predict", "seq.emkit", "seq.csv", "--proba"],
                   ["score", "seq.emkit", "seq.csv", "--json"],
                   ["predict", "plain.emkit", "plain.csv"])
    assert all(r.status == 0 and r.err == "" for r in runs), [r.err for r in runs]
    np.testing.assert_array_equal(np.array(runs[0].out.split()[1:], int), yx.predict(Y))
    header, values = read_csv(root / "yx.csv")
    assert header == ["y", "x"]
    np.testing.assert_array_equal(values, yx.set_params(random_state=2).sample(5)[0])
    proba = np.array([line.split(",") for line in runs[2].out.splitlines()[1:]], float)
    np.testing.assert_array_equal(proba, hmm.predict_proba(files.v, files.lengths))
    assert json.loads(runs[3].out)["log_likelihood"] == pytest.approx(
        hmm.score(files.v, files.lengths), rel=1e-12)
    np.testing.assert_array_equal(np.array(runs[4].out.split()[1:], int),
                                  plain.predict(files.X))
    # --columns still chooses; data without a column of the fit is one sentence.
    (root / "renamed.csv").write_text("a,b\n1,2\n")
    assert one_error_line(run_here(capsys, "predict", root / "yx.emkit",
                                   root / "renamed.csv")) == (
        f"{root / 'renamed.csv'} has no column 'y', which the model was fitted on (columns "
        "y, x); choose the columns with --columns.")
    done = run_here(capsys, "predict", root / "yx.emkit", root / "renamed.csv", "--columns",
                    "b,a")
    assert done.status == 0 and done.out.split()[1:] == [str(yx.predict([[2.0, 1.0]])[0])]
    # Sequences without their id column are one sequence, and a note says so.
    head = files.v[:20, 0].tolist()
    (root / "one_seq.csv").write_text("v\n" + "".join(f"{x!r}\n" for x in head))
    done = run_here(capsys, "predict", root / "seq.emkit", root / "one_seq.csv")
    assert done.status == 0 and done.err.startswith("emkit: note: ") and "'seq'" in done.err
    np.testing.assert_array_equal(np.array(done.out.split()[1:], int),
                                  hmm.predict(files.v[:20]))


def test_files_without_the_record_still_work(files, tmp_path, capsys):
    # A model saved from Python (as every file of an older emkit) names no columns.
    model = emkit.GaussianMixture(2, random_state=0).fit(files.X)
    save(model, tmp_path / "old.emkit")
    predict = run_here(capsys, "predict", tmp_path / "old.emkit", files.root / "data.csv",
                       "--columns", "x,y")
    sample = run_here(capsys, "sample", tmp_path / "old.emkit", "-n", "3", "--seed", "1")
    info = run_here(capsys, "info", tmp_path / "old.emkit", "--json")
    assert predict.status == sample.status == info.status == 0
    np.testing.assert_array_equal(np.array(predict.out.split()[1:], int),
                                  model.predict(files.X))
    assert sample.out.splitlines()[0] == "x0,x1"
    record = json.loads(info.out)
    assert record["log_likelihood"] is None and record["columns"] == []
    assert "takes 2 data column(s) but" in one_error_line(run_here(
        capsys, "predict", tmp_path / "old.emkit", files.root / "data.csv"))


def test_text_categories_are_coded_on_fit_and_decoded_on_sample(files, capsys):
    root = files.root
    fits = run_cli(root, ["fit", "people.csv", "-m", "categorical", "-k", "2", "--columns",
                          "city,member", "--seed", "0", "-o", "cat.emkit", "--json"],
                   ["fit", "people.csv", "-m", "bernoulli", "-k", "2", "--columns", "member",
                    "--seed", "0", "-o", "bern.emkit"],
                   ["fit", "people.csv", "-m", "hmm-categorical", "-k", "2", "--columns",
                    "city", "--seed", "0", "-o", "hcat.emkit"])
    assert all(f.status == 0 and f.err == "" for f in fits), [f.err for f in fits]
    assert json.loads(fits[0].out)["columns"] == ["city", "member"]
    cat, bern, hcat = (load(root / n) for n in ("cat.emkit", "bern.emkit", "hcat.emkit"))
    codes = np.column_stack([files.cities, files.members])
    runs = run_cli(root, ["predict", "cat.emkit", "people.csv"],
                   ["score", "bern.emkit", "people.csv", "--json"],
                   ["sample", "cat.emkit", "-n", "6", "--seed", "4", "--labels"],
                   ["predict", "hcat.emkit", "people.csv"],
                   ["sample", "hcat.emkit", "-n", "4", "--seed", "1"],
                   ["info", "cat.emkit"])
    assert all(r.status == 0 and r.err == "" for r in runs), [r.err for r in runs]
    np.testing.assert_array_equal(np.array(runs[0].out.split()[1:], int), cat.predict(codes))
    assert json.loads(runs[1].out)["log_likelihood"] == pytest.approx(
        bern.score_samples(files.members).sum(), rel=1e-12)
    drawn, labels = cat.set_params(random_state=4).sample(6)
    lines = runs[2].out.splitlines()
    assert lines[0] == "city,member,component"
    assert lines[1:] == [f"{CITIES[int(c)]},{('no', 'yes')[int(m)]},{k}"
                         for (c, m), k in zip(drawn, labels)]
    np.testing.assert_array_equal(np.array(runs[3].out.split()[1:], int),
                                  hcat.predict(files.cities.astype(int)))
    symbols = hcat.sample(4, random_state=1)[0][:, 0]
    assert runs[4].out.splitlines() == ["city", *(CITIES[int(s)] for s in symbols)]
    assert "columns: city (3 categories: Lyon, Nice, Paris); member (2 categories: no, yes)" \
        in runs[5].out.splitlines()


def test_text_categories_that_cannot_be_used_are_one_sentence(files, capsys):
    root = files.root
    (root / "new_city.csv").write_text("city,member\nParis,yes\nBerlin,no\n")
    fits = run_cli(root, ["fit", "people.csv", "-m", "categorical", "-k", "2", "--columns",
                          "city,member", "--seed", "0", "-o", "cat2.emkit"],
                   ["fit", "people.csv", "-m", "bernoulli", "-k", "2", "--columns",
                    "city", "-o", "never.emkit"],
                   ["fit", "people.csv", "-m", "poisson", "-k", "2", "--columns", "city",
                    "-o", "never.emkit"])
    assert fits[0].status == 0, fits[0].err
    assert one_error_line(fits[1]) == (
        "people.csv column 'city' holds 3 distinct values (Lyon, Nice, Paris); a bernoulli "
        "model takes at most 2 per column (e.g. yes/no), so choose --model categorical.")
    assert "line 2, column 'city': 'Paris' is not a number" in one_error_line(fits[2])
    for command in ("predict", "score"):
        assert one_error_line(run_here(capsys, command, root / "cat2.emkit",
                                       root / "new_city.csv")) == (
            f"{root / 'new_city.csv'} line 3, column 'city': 'Berlin' is not a category the "
            "model was fitted on (Lyon, Nice, Paris).")
    assert not (root / "never.emkit").exists()


def test_text_categories_on_a_dask_cluster_say_to_fit_in_this_process(files):
    pytest.importorskip("distributed")
    (done,) = run_cli(files.root, ["fit", "people.csv", "-m", "categorical", "-k", "2",
                                   "--columns", "city", "--workers", "1", "-o", "never.emkit"])
    message = one_error_line(done)
    assert "could not convert string to float" in message
    assert message.endswith("; a fit on a Dask cluster takes numbers only, so fit text "
                            "categories without --workers and --dask-scheduler.")
