"""Topic models on the command line: ``fit -m plsa|lda`` on count files, ``transform``, ``info``."""

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import io as sio
from scipy import sparse

import emkit
from emkit.cli import main
from emkit.cli.topics import read_counts
from emkit.datasets import make_lda_corpus
from emkit.io import load, save


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


def read_csv(path):
    """Header and float values of a CSV written by the command line."""
    lines = path.read_text().splitlines()
    return lines[0].split(","), np.array([line.split(",") for line in lines[1:]], dtype=float)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A synthetic LDA corpus as .npz, .mtx and dense .npy files."""
    root = tmp_path_factory.mktemp("topics")
    counts, _, _ = make_lda_corpus(200, 50, 3, random_state=0)
    sparse.save_npz(root / "counts.npz", counts)
    sio.mmwrite(root / "counts.mtx", counts)
    np.save(root / "counts.npy", counts.toarray())
    return SimpleNamespace(root=root, counts=counts)


@pytest.fixture(scope="module")
def plsa(corpus):
    """The PLSA fit the command line makes with --seed 0 (and its default 500 iterations)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return emkit.PLSA(3, max_iter=500, random_state=0).fit(corpus.counts)


@pytest.mark.parametrize("name", ["counts.npz", "counts.mtx", "counts.npy"])
def test_plsa_fit_equals_the_estimator(corpus, plsa, name, tmp_path, capsys):
    done = run_here(capsys, "fit", corpus.root / name, "-m", "plsa", "-k", "3", "--seed", "0",
                    "-o", tmp_path / "topics.emkit", "--json")
    assert done.status == 0 and done.err == "", done.err
    record = json.loads(done.out)
    model = load(tmp_path / "topics.emkit")
    assert type(model) is emkit.PLSA
    assert_allclose(model.components_, plsa.components_, rtol=0, atol=1e-10)
    assert_allclose(model.doc_topic_, plsa.doc_topic_, rtol=0, atol=1e-10)
    assert model.n_iter_ == plsa.n_iter_ == record["n_iter"] and record["converged"] is True
    assert (record["n_samples"], record["n_features"], record["nonzeros"]) == (
        200, 50, corpus.counts.nnz)
    # The log-likelihood of the counts under the saved parameters.
    p_word = plsa.doc_topic_ @ plsa.components_
    dense = corpus.counts.toarray()
    assert record["log_likelihood"] == pytest.approx(
        np.sum(dense[dense > 0] * np.log(p_word[dense > 0])), rel=1e-12)


def test_plsa_options_reach_the_estimator(corpus, tmp_path, capsys):
    done = run_here(capsys, "fit", corpus.root / "counts.npz", "-m", "plsa", "-k", "2",
                    "--seed", "3", "--n-init", "2", "--max-iter", "5", "--tol", "0",
                    "-o", tmp_path / "m.emkit")
    assert done.status == 0
    assert done.err == ("emkit: warning: the fit stopped at --max-iter 5 before converging; "
                        "raise --max-iter\n")
    model = load(tmp_path / "m.emkit")
    assert (model.n_components, model.random_state, model.n_init, model.max_iter,
            model.tol) == (2, 3, 2, 5, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = emkit.PLSA(2, random_state=3, n_init=2, max_iter=5, tol=0.0).fit(
            corpus.counts)
    assert_allclose(model.components_, direct.components_, rtol=0, atol=1e-10)


def test_lda_fit_and_transform_equal_the_estimator(corpus, tmp_path, capsys):
    done = run_here(capsys, "fit", corpus.root / "counts.mtx", "-m", "lda", "-k", "3",
                    "--seed", "0", "-o", tmp_path / "lda.emkit", "--json")
    assert done.status == 0 and done.err == "", done.err
    record = json.loads(done.out)
    direct = emkit.LatentDirichletAllocation(3, random_state=0).fit(corpus.counts)
    model = load(tmp_path / "lda.emkit")
    assert type(model) is emkit.LatentDirichletAllocation
    assert_allclose(model.components_, direct.components_, rtol=0, atol=1e-10)
    assert record["n_iter"] == direct.n_iter_ == 10  # scikit-learn's default passes
    assert record["perplexity"] == pytest.approx(direct.bound_, rel=1e-12)
    assert record["log_likelihood"] is None
    done = run_here(capsys, "transform", tmp_path / "lda.emkit", corpus.root / "counts.npz",
                    "-o", tmp_path / "p.npy")
    assert done.status == 0, done.err
    assert_allclose(np.load(tmp_path / "p.npy"), direct.transform(corpus.counts), rtol=0,
                    atol=1e-10)
    assert run_here(capsys, "fit", corpus.root / "counts.npz", "-m", "lda", "-k", "2",
                    "--max-iter", "3", "-o", tmp_path / "short.emkit", "-q").status == 0
    assert load(tmp_path / "short.emkit").n_iter_ == 3


def test_an_lda_model_file_keeps_its_fitted_attributes(corpus, tmp_path):
    from emkit.io.kinds import KINDS
    model = emkit.LatentDirichletAllocation(3, random_state=0, max_iter=4).fit(corpus.counts)
    save(model, tmp_path / "lda.emkit")
    loaded = load(tmp_path / "lda.emkit")
    fitted = {key for key in vars(model) if key.endswith("_") and not key.startswith("__")}
    assert fitted - set(KINDS["LatentDirichletAllocation"].attributes) == {"random_state_"}
    for key in fitted - {"random_state_"}:
        assert np.all(np.asarray(vars(loaded)[key]) == np.asarray(vars(model)[key])), key
    assert_array_equal(loaded.transform(corpus.counts), model.transform(corpus.counts))
    assert loaded.perplexity(corpus.counts) == model.perplexity(corpus.counts)


def test_transform_writes_the_proportions(corpus, plsa, tmp_path, capsys):
    model_file = tmp_path / "plsa.emkit"
    save(plsa, model_file)
    expected = plsa.transform(corpus.counts)
    for name in ("counts.npz", "counts.mtx", "counts.npy"):
        done = run_here(capsys, "transform", model_file, corpus.root / name, "-o",
                        tmp_path / "p.csv")
        assert done.status == 0 and done.out == (
            f"wrote the topic proportions of 200 documents to {tmp_path / 'p.csv'}\n")
        header, values = read_csv(tmp_path / "p.csv")
        assert header == ["topic0", "topic1", "topic2"]
        assert_array_equal(values, expected)  # CSV keeps every float64 exactly
    done = run_here(capsys, "transform", model_file, corpus.root / "counts.npz", "-o",
                    tmp_path / "p.npy")
    assert done.status == 0
    assert_array_equal(np.load(tmp_path / "p.npy"), expected)
    done = run_here(capsys, "transform", model_file, corpus.root / "counts.npz")  # stdout
    assert done.out.splitlines()[0] == "topic0,topic1,topic2"
    assert_array_equal(np.array([line.split(",") for line in done.out.splitlines()[1:]],
                                dtype=float), expected)
    done = run_here(capsys, "--json", "transform", model_file, corpus.root / "counts.npz")
    assert_array_equal(json.loads(done.out)["proportions"], expected)


def test_a_table_of_counts_keeps_its_column_names(tmp_path, capsys):
    counts = np.array([[3, 0, 1], [0, 4, 1], [2, 1, 0], [0, 3, 2]])
    path = tmp_path / "counts.csv"
    path.write_text("apple,bread,cheese\n" + "".join(",".join(map(str, row)) + "\n"
                                                    for row in counts))
    done = run_here(capsys, "fit", path, "-m", "plsa", "-k", "2", "--seed", "0", "-o",
                    tmp_path / "m.emkit", "-q")
    assert done.status == 0, done.err
    done = run_here(capsys, "info", tmp_path / "m.emkit")
    model = load(tmp_path / "m.emkit")
    names = ["apple", "bread", "cheese"]
    for k, weights in enumerate(model.components_):
        order = np.argsort(-weights, kind="stable")
        assert f"topic {k}: top words {', '.join(names[j] for j in order)}" in done.out
    # Columns are found by name, in any order.
    path.write_text("cheese,apple,bread\n" + "".join(f"{c},{a},{b}\n" for a, b, c in counts))
    done = run_here(capsys, "transform", tmp_path / "m.emkit", path)
    assert done.status == 0, done.err
    assert_array_equal(np.array([r.split(",") for r in done.out.splitlines()[1:]], dtype=float),
                       model.transform(counts))


def test_info_shows_the_topics(corpus, plsa, tmp_path, capsys):
    done = run_here(capsys, "fit", corpus.root / "counts.npz", "-m", "plsa", "-k", "3",
                    "--seed", "0", "-o", tmp_path / "m.emkit", "-q")
    assert done.status == 0 and done.out == ""
    text = run_here(capsys, "info", tmp_path / "m.emkit")
    assert text.status == 0
    lines = text.out.splitlines()
    assert lines[0] == "model: plsa (PLSA)"
    assert "n_components=3" in lines[1]
    assert lines[2] == f"fit: converged=True, n_iter={plsa.n_iter_}"
    top = np.argsort(-plsa.components_, axis=1, kind="stable")[:, :10]
    assert lines[-3:] == [f"topic {k}: top columns {', '.join(map(str, row))}"
                          for k, row in enumerate(top)]
    record = json.loads(run_here(capsys, "info", tmp_path / "m.emkit", "--json").out)
    assert record["model"] == "plsa" and record["parameters"]["n_components"] == 3
    assert record["fit"]["n_iter"] == plsa.n_iter_
    assert record["top_columns"] == top.tolist()


def test_sparse_files_stay_sparse(corpus, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a sparse count matrix was made dense")

    monkeypatch.setattr(sparse.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sparse.coo_matrix, "toarray", refuse)
    for name in ("counts.npz", "counts.mtx"):
        X, names = read_counts(str(corpus.root / name))
        assert sparse.issparse(X) and X.format == "csr" and X.dtype == np.float64
        assert names == [] and (X != corpus.counts).nnz == 0


def test_errors_are_one_line(corpus, plsa, tmp_path, capsys):
    root = corpus.root
    np.savez(tmp_path / "dense.npz", counts=corpus.counts.toarray())
    negative = corpus.counts.copy()
    negative.data[5] = -2.0
    sparse.save_npz(tmp_path / "negative.npz", negative)
    sio.mmwrite(tmp_path / "negative.mtx", negative)
    (tmp_path / "broken.mtx").write_text("not a matrix market file\n")
    row = int(np.searchsorted(negative.indptr, 5, side="right") - 1)
    column = int(negative.indices[5])
    save(plsa, tmp_path / "plsa.emkit")
    save(emkit.GaussianMixture(2, random_state=0).fit(np.eye(2).repeat(5, 0)),
         tmp_path / "gmm.emkit")
    out = tmp_path / "out.emkit"
    cases = {  # the message: arguments
        f"{tmp_path / 'dense.npz'} holds dense arrays (numpy.savez), not a sparse matrix; save "
        "the counts with scipy.sparse.save_npz, or as .npy.":
            ["fit", tmp_path / "dense.npz", "-m", "plsa", "-k", "3", "-o", out],
        f"{tmp_path / 'negative.npz'} row {row}, column {column}: -2 is negative; topic "
        "models take counts of 0 or more.":
            ["fit", tmp_path / "negative.npz", "-m", "plsa", "-k", "3", "-o", out],
        f"{tmp_path / 'negative.mtx'} row {row}, column {column}: -2 is negative; topic "
        "models take counts of 0 or more.":
            ["transform", tmp_path / "plsa.emkit", tmp_path / "negative.mtx"],
        f"{root / 'counts.npz'} is a sparse matrix file, which the topic models (plsa, lda) "
        "read; the other models take CSV, TSV, .npy or Parquet tables.":
            ["fit", root / "counts.npz", "-k", "3", "-o", out],
        f"{root / 'counts.npz'} is a sparse matrix file, which only the topic models read "
        "(emkit fit -m plsa or lda, emkit transform); give a CSV, TSV, .npy or Parquet "
        "table.": ["predict", tmp_path / "gmm.emkit", root / "counts.npz"],
        f"--columns applies to tables; {root / 'counts.npz'} is a sparse matrix file, whose "
        "columns are all used.":
            ["fit", root / "counts.npz", "-m", "plsa", "-k", "3", "--columns", "0,1",
             "-o", out],
        "--tol does not apply to model 'lda'; it applies to gmm, bernoulli, categorical, "
        "poisson, hmm-gaussian, hmm-categorical, hmm-poisson, plsa.":
            ["fit", root / "counts.npz", "-m", "lda", "-k", "3", "--tol", "0.1", "-o", out],
        "--online and its options apply to mixtures and HMMs; the topic models (plsa, lda) "
        "fit the counts in memory.":
            ["fit", root / "counts.npz", "-m", "plsa", "-k", "3", "--online", "-o", out],
        "the topic models (plsa, lda) fit in this process; drop --workers and "
        "--dask-scheduler.":
            ["fit", root / "counts.npz", "-m", "plsa", "-k", "3", "--workers", "2", "-o", out],
        f"-k 300 is more than the 200 rows of {root / 'counts.npz'}; use at most 200 topics.":
            ["fit", root / "counts.npz", "-m", "plsa", "-k", "300", "-o", out],
        f"predict applies to mixtures and HMMs; '{tmp_path / 'plsa.emkit'}' holds a topic "
        "model (PLSA), whose document-topic proportions 'emkit transform' gives.":
            ["predict", tmp_path / "plsa.emkit", root / "counts.npy"],
        f"score applies to mixtures and HMMs; '{tmp_path / 'plsa.emkit'}' holds a topic "
        "model (PLSA), whose document-topic proportions 'emkit transform' gives.":
            ["score", tmp_path / "plsa.emkit", root / "counts.npy"],
        f"transform applies to topic models (plsa, lda); '{tmp_path / 'gmm.emkit'}' holds a "
        "GaussianMixture, whose components 'emkit predict --proba' gives.":
            ["transform", tmp_path / "gmm.emkit", root / "counts.npy"],
        f"the model takes 50 columns but {tmp_path / 'narrow.npz'} has 49; give the counts "
        "over the vocabulary of the fit.":
            ["transform", tmp_path / "plsa.emkit", tmp_path / "narrow.npz"],
    }
    sparse.save_npz(tmp_path / "narrow.npz", corpus.counts[:, :49])
    for message, argv in cases.items():
        assert one_error_line(run_here(capsys, *argv)) == message
    broken = one_error_line(run_here(capsys, "fit", tmp_path / "broken.mtx", "-m", "plsa",
                                     "-k", "2", "-o", out))
    assert broken.startswith(f"{tmp_path / 'broken.mtx'} is not a readable Matrix Market file (")
    assert not out.exists()
