"""Model files: every estimator round-trips bit for bit, and damaged files are refused.

The oracle of a round trip is the saved estimator itself: the loaded one must return
exactly the same arrays. The oracle of a refusal is a file damaged in one known way.
"""

import copy
import io
import json
import os
import pathlib
import subprocess
import sys
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

import emkit
from emkit.exceptions import ModelFileError
from emkit.families import (Bernoulli, Categorical, Family, GaussianDiag, GaussianFull,
                            Independent, Poisson, density_family)
from emkit.io import archive, load, save, values
from emkit.io.kinds import KINDS

RNG = np.random.default_rng(7)
X_REAL = RNG.normal(size=(90, 2)) + np.repeat([[0.0, 0.0], [4.0, 1.0], [0.0, 5.0]], 30, axis=0)
X_BINARY = (RNG.random((80, 4)) < np.repeat([[0.2], [0.8]], 40, axis=0)).astype(float)
X_COUNTS = RNG.poisson(np.repeat([[1.0], [6.0]], 40, axis=0), size=(80, 3)).astype(float)
X_CODES = RNG.integers(0, 3, size=(80, 2)).astype(float)
X_SYMBOLS = RNG.integers(0, 3, size=(80, 1))
X_TRIALS = RNG.multinomial(4, [0.2, 0.3, 0.5], size=80)  # four trials per row
LENGTHS = [50, 30]


def _gaussian_mixture(covariance_type):
    return lambda: emkit.GaussianMixture(3, covariance_type=covariance_type, n_init=2,
                                         random_state=0).fit(X_REAL)


def _gaussian_hmm(covariance_type):
    return lambda: emkit.GaussianHMM(2, covariance_type=covariance_type, n_iter=5,
                                     random_state=0).fit(X_REAL[:80], LENGTHS)


def _mixed():
    family = Independent([GaussianDiag(np.zeros((2, 2)), np.ones((2, 2))),
                          Poisson([[1.0], [5.0]])], columns=[[0, 1], [2]])
    X = np.column_stack([X_REAL[:80], X_COUNTS[:, 0]])
    return emkit.MixtureModel(family, random_state=0, record_params=True, max_iter=5).fit(X)


MIXTURES = {
    **{f"GaussianMixture-{c}": (_gaussian_mixture(c), X_REAL)
       for c in ("full", "tied", "diag", "spherical")},
    "GaussianMixture-float32": (lambda: emkit.GaussianMixture(
        2, means_init=np.array([[0.0, 0.0], [4.0, 2.0]], dtype=np.float32),
        random_state=1).fit(X_REAL.astype(np.float32)), X_REAL.astype(np.float32)),
    "BernoulliMixture": (lambda: emkit.BernoulliMixture(
        2, random_state=0, record_params=True).fit(X_BINARY), X_BINARY),
    "PoissonMixture": (lambda: emkit.PoissonMixture(
        2, weights_init=[0.5, 0.5], random_state=0).fit(X_COUNTS), X_COUNTS),
    "CategoricalMixture": (lambda: emkit.CategoricalMixture(
        2, random_state=0, max_iter=5).fit(X_CODES), X_CODES),
    "MixtureModel-list": (lambda: emkit.MixtureModel(
        [GaussianFull([[0.0, 0.0]], [np.eye(2)]), GaussianFull([[4.0, 1.0]], [np.eye(2)])],
        n_init=2, random_state=3).fit(X_REAL), X_REAL),
    "MixtureModel-independent": (_mixed, np.column_stack([X_REAL[:80], X_COUNTS[:, 0]])),
}
HMMS = {
    **{f"GaussianHMM-{c}": (_gaussian_hmm(c), X_REAL[:80])
       for c in ("full", "tied", "diag", "spherical")},
    "CategoricalHMM": (lambda: emkit.CategoricalHMM(2, n_iter=5, random_state=0).fit(
        X_SYMBOLS, LENGTHS), X_SYMBOLS),
    "PoissonHMM": (lambda: emkit.PoissonHMM(2, n_iter=5, random_state=0).fit(
        X_COUNTS.astype(int), LENGTHS), X_COUNTS.astype(int)),
    **{f"GMMHMM-{c}": (lambda c=c: emkit.GMMHMM(2, n_mix=2, covariance_type=c, n_iter=5,
                                                 random_state=0).fit(X_REAL[:80], LENGTHS),
                       X_REAL[:80]) for c in ("full", "tied", "diag", "spherical")},
    "MultinomialHMM": (lambda: emkit.MultinomialHMM(2, n_iter=5, random_state=0).fit(
        X_TRIALS, LENGTHS), X_TRIALS),
    "HiddenMarkovModel": (lambda: emkit.HiddenMarkovModel(
        Categorical([[[0.5, 0.3, 0.2]] * 2, [[0.2, 0.3, 0.5]] * 2]), n_iter=5, n_init=2,
        random_state=0).fit(X_CODES, LENGTHS), X_CODES),
}


def assert_same(a, b):
    """Assert two saved values are equal, arrays by value and dtype, families by fields."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)
    elif isinstance(a, Family):
        assert_same(a.to_dict(), b.to_dict())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, emkit.hmm.ConvergenceMonitor):
        assert (list(a.history), a.iter, a.converged, a.tol) == (
            list(b.history), b.iter, b.converged, b.tol)
    else:
        assert a == b or (a != a and b != b), (a, b)


def _round_trip(model, tmp_path):
    path = tmp_path / "model.emkit"
    assert save(model, path) == path
    return load(path)


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: (make(), X) for name, (make, X) in {**MIXTURES, **HMMS}.items()}


@pytest.mark.parametrize("name", list(MIXTURES))
def test_mixture_predicts_bit_for_bit(name, fitted, tmp_path):
    model, X = fitted[name]
    loaded = _round_trip(model, tmp_path)
    for method in ("predict", "predict_proba", "score_samples"):
        assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))
    assert loaded.score(X) == model.score(X)
    for mine, theirs in zip(loaded.sample(25), model.sample(25)):
        assert_array_equal(mine, theirs)


@pytest.mark.parametrize("name", list(HMMS))
def test_hmm_predicts_bit_for_bit(name, fitted, tmp_path):
    model, X = fitted[name]
    loaded = _round_trip(model, tmp_path)
    assert loaded.score(X, LENGTHS) == model.score(X, LENGTHS)
    for algorithm in ("viterbi", "map"):
        (mine, path), (theirs, expected) = (m.decode(X, LENGTHS, algorithm=algorithm)
                                            for m in (loaded, model))
        assert mine == theirs
        assert_array_equal(path, expected)
    for method in ("predict", "predict_proba"):
        assert_array_equal(getattr(loaded, method)(X, LENGTHS), getattr(model, method)(X, LENGTHS))
    assert_array_equal(loaded.score_samples(X, LENGTHS)[1], model.score_samples(X, LENGTHS)[1])
    for mine, theirs in zip(loaded.sample(30, random_state=5), model.sample(30, random_state=5)):
        assert_array_equal(mine, theirs)


def test_a_loaded_model_warm_starts_like_the_saved_one(fitted, tmp_path):
    model, X = fitted["GaussianMixture-full"]
    loaded = _round_trip(model, tmp_path)
    original = copy.deepcopy(model)
    for m in (original, loaded):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.set_params(warm_start=True, max_iter=2, tol=0.0).fit(X[::2])
    assert_array_equal(loaded.means_, original.means_)
    assert loaded.lower_bounds_ == original.lower_bounds_


@pytest.mark.parametrize("name", list(MIXTURES) + list(HMMS))
def test_parameters_and_state_round_trip(name, fitted, tmp_path):
    model, _ = fitted[name]
    loaded = _round_trip(model, tmp_path)
    assert type(loaded) is type(model)
    assert_same(loaded.get_params(deep=False), model.get_params(deep=False))
    kept = [key for key in vars(model) if key in KINDS[type(model).__name__].attributes]
    assert {"converged_", "n_iter_"} <= set(kept)
    for key in kept:
        assert_same(vars(loaded)[key], vars(model)[key])


@pytest.mark.parametrize("name", list(MIXTURES) + list(HMMS))
def test_the_table_names_every_fitted_attribute(name, fitted):
    # A fitted attribute missing from the table would be lost without a word.
    model, _ = fitted[name]
    fitted_names = {key for key in vars(model) if key.endswith("_") and not key.startswith("__")}
    assert fitted_names <= set(KINDS[type(model).__name__].attributes)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unfitted_estimators_round_trip(kind, tmp_path):
    components = [Bernoulli(p=0.6), Bernoulli(p=0.7)]
    model = (KINDS[kind].estimator(components) if kind in ("MixtureModel", "HiddenMarkovModel")
             else KINDS[kind].estimator(n_components=2))
    loaded = _round_trip(model, tmp_path)
    assert_same(loaded.get_params(deep=False), model.get_params(deep=False))
    assert json.loads(_members(tmp_path / "model.emkit")["model.json"])["fitted"] is False
    use = getattr(loaded, "predict", None) or loaded.transform  # topic models transform
    with pytest.raises((NotFittedError, ValueError)):
        use(X_BINARY[:, :1])


def test_a_topic_model_round_trips(tmp_path):
    from emkit.datasets import make_lda_corpus
    counts, _, _ = make_lda_corpus(80, 30, 3, random_state=2)
    model = emkit.PLSA(3, max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(counts)
    loaded = _round_trip(model, tmp_path)
    assert_same(loaded.get_params(deep=False), model.get_params(deep=False))
    fitted_names = {key for key in vars(model) if key.endswith("_") and not key.startswith("__")}
    assert fitted_names <= set(KINDS["PLSA"].attributes)
    for key in fitted_names:
        assert_same(vars(loaded)[key], vars(model)[key])
    assert_array_equal(loaded.transform(counts), model.transform(counts))


def test_array_parameters_go_as_arrays_and_generators_as_null(tmp_path):
    precisions = np.array([[[2.0, 0.5], [0.5, 1.0]]] * 2)
    model = emkit.GaussianMixture(2, means_init=np.asfortranarray([[0.0, 1.0], [2.0, 3.0]]),
                                  precisions_init=precisions,
                                  random_state=np.random.RandomState(0))
    loaded = _round_trip(model, tmp_path)
    assert_same(loaded.precisions_init, precisions)
    assert_same(loaded.means_init, model.means_init)
    assert loaded.means_init.flags.f_contiguous
    assert loaded.random_state is None
    document = json.loads(_members(tmp_path / "model.emkit")["model.json"])
    assert document["params"]["precisions_init"] == {"$array": "params/precisions_init"}
    assert {"name": "params/precisions_init", "dtype": "<f8", "shape": [2, 2, 2]} in (
        document["arrays"])
    assert document["schema_version"] == 1 and document["kind"] == "GaussianMixture"


def test_fit_summary_and_feature_names(fitted, tmp_path):
    model, _ = fitted["GaussianMixture-diag"]
    model = emkit.GaussianMixture(**model.get_params()).fit(X_REAL)
    model.feature_names_in_ = np.array(["height", "weight"], dtype=object)
    loaded = _round_trip(model, tmp_path)
    assert_same(loaded.feature_names_in_, model.feature_names_in_)
    summary = json.loads(_members(tmp_path / "model.emkit")["model.json"])["summary"]
    assert summary == {"n_components": 3, "converged_": model.converged_,
                       "n_iter_": model.n_iter_, "lower_bound_": model.lower_bound_,
                       "n_features_in_": 2}


def test_every_member_loads_without_pickle(fitted, tmp_path):
    path = save(fitted["MixtureModel-independent"][0], str(tmp_path / "m.emkit"))
    assert isinstance(path, str)
    members = _members(path)
    for name, data in members.items():
        if name != "model.json":
            assert np.load(io.BytesIO(data), allow_pickle=False).dtype != object


def test_values_and_arrays_of_every_supported_kind_round_trip(tmp_path):
    value = {"nan": float("nan"), "inf": -np.inf, "$tag-like key": 1,
             "tuple": (1, [2.0, "x"]), "nested": {"deep": [None, True, np.int64(3)]},
             "empty": np.zeros((0, 3)), "scalar": np.array(2.5),
             "int8": np.arange(4, dtype=np.int8), "bool": np.array([True, False]),
             "complex": np.array([1 + 2j]), "big_endian": np.arange(3, dtype=">f8"),
             "fortran": np.asfortranarray(np.eye(3)[:, :2])}
    encoder = values.Encoder()
    node = encoder.encode(value, "v")
    archive.write_archive(tmp_path / "v.zip", {"format": archive.FORMAT, "schema_version": 1,
                                                "value": node}, encoder.arrays)
    document, arrays = archive.read_archive(tmp_path / "v.zip")
    loaded = values.Decoder(arrays).decode(document["value"], "v")
    assert_same(loaded, {**value, "nested": {"deep": [None, True, 3]}})


# -- what save refuses ---------------------------------------------------------------
class _Mine(Bernoulli):
    pass


@pytest.mark.parametrize("model, message", [
    (emkit.GaussianMixture(2, weights_init=np.array([0.5, None], dtype=object)),
     "array of Python objects"),
    (emkit.MixtureModel(_Mine(p=[[0.5], [0.6]])), "not one of emkit's built-in families"),
    (emkit.MixtureModel(density_family(lambda X, loc: -(X[:, 0] - loc) ** 2, {"loc": ()})(
        loc=[0.0, 1.0])), "made by density_family"),
    (emkit.GaussianMixture(2, random_state=np.random.SeedSequence(0)), "SeedSequence value"),
    (type("MyMixture", (emkit.GaussianMixture,), {})(), "model files hold emkit's"),
])
def test_save_refuses_what_a_file_cannot_hold(model, message, tmp_path):
    with pytest.raises(TypeError, match=message):
        save(model, tmp_path / "m.emkit")
    assert os.listdir(tmp_path) == []


def test_failed_save_leaves_the_old_file_and_no_temporary(fitted, tmp_path, monkeypatch):
    path = tmp_path / "m.emkit"
    old, X = fitted["GaussianMixture-full"]
    save(old, path)
    written = []

    def fail_after_first(archive_file, member, array):
        if written:
            raise OSError("disk full")
        written.append(member)
        return original(archive_file, member, array)

    original = archive.write_array
    monkeypatch.setattr(archive, "write_array", fail_after_first)
    with pytest.raises(OSError, match="disk full"):
        save(fitted["GaussianMixture-tied"][0], path)
    assert written and os.listdir(tmp_path) == ["m.emkit"]
    assert_array_equal(load(path).predict_proba(X), old.predict_proba(X))


def test_save_into_a_missing_folder(fitted, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist; create it"):
        save(fitted["PoissonMixture"][0], tmp_path / "nowhere" / "m.emkit")


# -- what load refuses -------------------------------------------------------------
def _members(path):
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def _write(path, members, stored=()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names, on purpose
        with zipfile.ZipFile(path, "w") as z:
            for name, data in members:
                method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
                z.writestr(name, data, compress_type=method)
    return path


def _npy(array=None, header=None, data=b""):
    buffer = io.BytesIO()
    if header is None:
        np.lib.format.write_array(buffer, array, allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buffer, header)
        buffer.write(data)
    return buffer.getvalue()


@pytest.fixture
def saved(fitted, tmp_path):
    """A saved PoissonMixture: its path, its members and its parsed model.json."""
    path = save(fitted["PoissonMixture"][0], tmp_path / "good.emkit")
    members = _members(path)
    return path, members, json.loads(members["model.json"])


def _tampered(saved, document=None, replace=(), drop=(), add=()):
    path, members, original = saved
    members = dict(members, **dict(replace))
    members["model.json"] = json.dumps(original if document is None else document)
    pairs = [(n, d) for n, d in members.items() if n not in drop] + list(add)
    return _write(path.parent / "bad.emkit", pairs)


def _edited(saved, edit):
    document = json.loads(json.dumps(saved[2]))
    edit(document)
    return _tampered(saved, document)


def _manifest(document, name):
    return next(entry for entry in document["arrays"] if entry["name"] == name)


RATE = "attributes/components_/rate"


@pytest.mark.parametrize("damage, message", [
    (lambda s, p: p.write_bytes(b"PK not really a zip"), "not an emkit model file"),
    (lambda s, p: p.write_bytes(s[0].read_bytes()[:len(s[0].read_bytes()) // 2]),
     "truncated or corrupt"),
    (lambda s, p: _tampered(s, drop=["model.json"]), "has no model.json"),
    (lambda s, p: _tampered(s, drop=[archive.member_name(RATE)]), "listed in its manifest is"),
    (lambda s, p: _write(p, [("model.json", "{not json")]), "not valid JSON"),
    (lambda s, p: _write(p, [("model.json", '{"format": "emkit-model", "x": NaN}')]),
     "not valid JSON"),
    (lambda s, p: _write(p, [("model.json", '{"format": "other"}')]),
     "does not describe an emkit model"),
    (lambda s, p: _edited(s, lambda d: d.update(schema_version=2)),
     "schema version 2, newer than the version 1 this emkit reads; upgrade"),
    (lambda s, p: _edited(s, lambda d: d.update(kind="NeuralNetwork")),
     "model kind 'NeuralNetwork' is unknown"),
    (lambda s, p: _edited(s, lambda d: d["attributes"]["components_"].update(
        {"$family": "Weibull"})), "unknown family 'Weibull'"),
    (lambda s, p: _edited(s, lambda d: d["params"].update(depth=3)),
     "PoissonMixture has no parameter 'depth'"),
    (lambda s, p: _edited(s, lambda d: d["attributes"].update(secret_=1)),
     "attribute 'secret_', which a PoissonMixture does not have"),
    (lambda s, p: _edited(s, lambda d: d["attributes"].update(converged_="yes")),
     "converged_ must be a bool"),
    (lambda s, p: _edited(s, lambda d: d["attributes"].update(n_iter_={"$eval": "1"})),
     "holds a value emkit does not write"),
    (lambda s, p: _edited(s, lambda d: d["attributes"].pop("weights_")),
     "lacks the attribute 'weights_'"),
    (lambda s, p: _edited(s, lambda d: _manifest(d, RATE).update(dtype="|O")),
     "only boolean, integer, float and complex"),
    (lambda s, p: _tampered(s, add=[("extra.py", b"print(1)")]), "which its manifest does"),
    (lambda s, p: _tampered(s, add=[("model.json", b"{}")]), "two members with the same name"),
])
def test_load_refuses_a_damaged_file(saved, damage, message, tmp_path):
    path = tmp_path / "bad.emkit"
    damage(saved, path)
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_load_refuses_flipped_bytes(saved, tmp_path):
    path, members, _ = saved
    raw = bytearray(path.read_bytes())
    data = members[archive.member_name(RATE)][-48:]  # the rates, stored uncompressed
    start = raw.index(data) + 20
    raw[start:start + 4] = bytes(b ^ 0xFF for b in raw[start:start + 4])
    (tmp_path / "flipped.emkit").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="attributes/components_/rate.npy' is corrupt"):
        load(tmp_path / "flipped.emkit")


@pytest.mark.parametrize("array, message", [
    (np.ones((2, 3), dtype=np.float32), "holds dtype <f4, but its manifest says <f8"),
    (np.ones((3, 2)), r"holds shape \(3, 2\), but its manifest says \(2, 3\)"),
])
def test_load_refuses_an_array_unlike_its_manifest(saved, array, message):
    bad = _tampered(saved, replace=[(archive.member_name(RATE), _npy(array))])
    with pytest.raises(ModelFileError, match=message):
        load(bad)


@pytest.mark.parametrize("descr", ["|O", [("a", "<f8"), ("b", "<f8")]])
def test_load_refuses_object_and_structured_members(saved, descr):
    member = _npy(header={"descr": descr, "fortran_order": False, "shape": (2, 3)},
                  data=bytes(48 if descr == "|O" else 96))
    bad = _tampered(saved, replace=[(archive.member_name(RATE), member)])
    with pytest.raises(ModelFileError, match="holds an object or structured array"):
        load(bad)


def test_load_refuses_an_array_of_the_wrong_shape_for_the_model(saved):
    def edit(document):
        _manifest(document, "attributes/weights_")["shape"] = [3]
    document = json.loads(json.dumps(saved[2]))
    edit(document)
    bad = _tampered(saved, document, replace=[
        (archive.member_name("attributes/weights_"), _npy(np.full(3, 1 / 3)))])
    with pytest.raises(ModelFileError, match=r"weights_ has shape \(3,\), which does not fit "
                                             r"the model's other sizes \(2 components"):
        load(bad)


def _never_read(monkeypatch, member):
    # The named member's header and data must not be read; other members may be.
    for name in ("_read_header", "_read_exactly"):
        def guarded(stream, *args, _original=getattr(archive, name)):
            if member in args:
                raise AssertionError(f"{member} was read")
            return _original(stream, *args)
        monkeypatch.setattr(archive, name, guarded)


def test_load_refuses_a_zip_bomb_before_reading_it(saved, monkeypatch):
    # 64 MiB of zeros deflate to about 64 KiB; the manifest allows 48 bytes of data.
    bomb = _npy(header={"descr": "<f8", "fortran_order": False, "shape": (2, 3)},
                data=bytes(64 * 2**20))
    bad = _tampered(saved, replace=[(archive.member_name(RATE), bomb)])
    assert bad.stat().st_size < 2**20
    _never_read(monkeypatch, archive.member_name(RATE))
    with pytest.raises(ModelFileError, match="unpack to .* bytes, more than the .* its manifest"):
        load(bad)


def test_load_refuses_a_huge_declared_array_before_allocating_it(saved, monkeypatch):
    document = json.loads(json.dumps(saved[2]))
    _manifest(document, RATE)["shape"] = [10**6, 10**6]
    bad = _tampered(saved, document)
    _never_read(monkeypatch, archive.member_name(RATE))
    with pytest.raises(ModelFileError, match="needs 8000000000000 bytes of data"):
        load(bad)


def test_load_refuses_trailing_data_before_reading_it(saved, monkeypatch):
    member = _npy(np.ones((2, 3))) + bytes(100)
    bad = _tampered(saved, replace=[(archive.member_name(RATE), member)])
    original = archive._read_exactly
    monkeypatch.setattr(archive, "_read_exactly", lambda stream, nbytes, member: (
        pytest.fail("data was read") if member == archive.member_name(RATE)
        else original(stream, nbytes, member)))
    with pytest.raises(ModelFileError, match="not its header plus the data"):
        load(bad)


def test_load_refuses_a_family_that_does_not_build(saved):
    bad = _tampered(saved, replace=[(archive.member_name(RATE), _npy(-np.ones((2, 3))))])
    with pytest.raises(ModelFileError, match="Poisson family that cannot be rebuilt "
                                             r"\(Every Poisson rate must be"):
        load(bad)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model file at"):
        load(tmp_path / "absent.emkit")
    with pytest.raises(ModelFileError, match="is a folder, not a model file"):
        load(tmp_path)


def test_model_files_need_no_optional_dependency(tmp_path):
    code = ("import sys\n"
            "for name in ('matplotlib', 'tqdm', 'pandas', 'PIL', 'numba'):\n"
            "    sys.modules[name] = None\n"
            "import numpy as np, emkit.io\n"
            "from emkit.estimators import PoissonMixture\n"
            "X = np.arange(20.0).reshape(10, 2)\n"
            f"path = emkit.io.save(PoissonMixture(2, random_state=0).fit(X), {str(tmp_path)!r} "
            "+ '/p.emkit')\n"
            "print(emkit.io.load(path).predict(X).tolist())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    expected = emkit.PoissonMixture(2, random_state=0).fit(np.arange(20.0).reshape(10, 2))
    assert result.stdout.split("\n")[0] == str(expected.predict(
        np.arange(20.0).reshape(10, 2)).tolist())


def test_pathlike_and_compressed_sizes_are_checked(saved):
    path, members, _ = saved
    assert isinstance(path, pathlib.Path)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(archive.member_name(RATE))
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.file_size == len(_npy(np.ones((2, 3))))
    assert zlib.crc32(members[archive.member_name(RATE)]) == info.CRC


# -- where a file is written ---------------------------------------------------------
def test_save_refuses_a_read_only_file_and_leaves_it(fitted, tmp_path):
    # Renaming over a file would replace it even where the file itself is protected.
    path = tmp_path / "kept.emkit"
    old, X = fitted["PoissonMixture"]
    save(old, path)
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="kept.emkit' is read-only; make it writable"):
        save(fitted["BernoulliMixture"][0], path)
    assert sorted(os.listdir(tmp_path)) == ["kept.emkit"]
    assert_array_equal(load(path).predict(X), old.predict(X))


def test_save_keeps_the_permissions_of_the_file_it_replaces(fitted, tmp_path):
    path = tmp_path / "private.emkit"
    path.write_bytes(b"old")
    path.chmod(0o600)
    save(fitted["PoissonMixture"][0], path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_save_onto_a_folder_names_the_folder(fitted, tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError, match="out' is a folder; give a file name"):
        save(fitted["PoissonMixture"][0], tmp_path / "out")
    assert os.listdir(tmp_path) == ["out"]


def test_save_to_a_long_unicode_name_with_spaces(fitted, tmp_path):
    # The temporary file must not be longer than the longest name the folder allows.
    model, X = fitted["PoissonMixture"]
    folder = tmp_path / "modèles à tester"
    folder.mkdir()
    path = folder / ("é " * 60 + "x" * 64 + ".emkit")
    assert len(os.fsencode(path.name)) == 250
    save(model, path)
    assert_array_equal(load(path).predict(X), model.predict(X))
    assert os.listdir(folder) == [path.name]


def test_a_folder_that_cannot_be_written_is_named(fitted, tmp_path, monkeypatch):
    def refuse(path, flags, mode=0o777):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(archive.os, "open", refuse)
    with pytest.raises(PermissionError, match="Cannot write in the folder .*; choose a folder "
                                              "you can write to") as info:
        save(fitted["PoissonMixture"][0], tmp_path / "m.emkit")
    assert ".tmp" not in str(info.value)
