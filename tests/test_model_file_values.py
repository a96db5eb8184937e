"""Model files hold valid parameters: load refuses, and save does not write, values that
``fit`` would refuse as a starting point (NaN, out of range, not normalized, not positive
definite), in one ModelFileError sentence naming the attribute.

The oracle of each refusal is a saved file with one array replaced by a known bad one.
"""

import copy
import io
import json
import os
import re
import warnings
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import emkit
from emkit.cli import main
from emkit.exceptions import ModelFileError
from emkit.families import GaussianDiag, GaussianFull, Independent, Poisson
from emkit.io import archive, load, save

RNG = np.random.default_rng(11)
X = np.vstack([RNG.normal(c, 1.0, (40, 2)) for c in ([0, 0], [5, 5])])
COUNTS = RNG.poisson(np.repeat([[1.0], [6.0]], 40, axis=0), size=(80, 2))
LENGTHS = [50, 30]
NAN = np.nan


def _fit(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


MODELS = {
    **{f"gmm-{c}": lambda c=c: emkit.GaussianMixture(2, covariance_type=c, random_state=0)
       .fit(X) for c in ("full", "tied", "diag", "spherical")},
    **{f"hmm-{c}": lambda c=c: emkit.GaussianHMM(2, covariance_type=c, n_iter=5,
                                                 random_state=0).fit(X, LENGTHS)
       for c in ("full", "tied", "diag", "spherical")},
    "bernoulli": lambda: emkit.BernoulliMixture(2, random_state=0).fit(X > 2),
    "poisson": lambda: emkit.PoissonMixture(2, random_state=0).fit(COUNTS),
    "categorical-hmm": lambda: emkit.CategoricalHMM(2, n_iter=5, random_state=0).fit(
        COUNTS[:, :1] % 3, LENGTHS),
    "poisson-hmm": lambda: emkit.PoissonHMM(2, n_iter=5, random_state=0).fit(COUNTS, LENGTHS),
    **{f"gmmhmm-{c}": lambda c=c: emkit.GMMHMM(2, n_mix=2, covariance_type=c, n_iter=5,
                                               random_state=0).fit(X, LENGTHS)
       for c in ("full", "tied", "diag", "spherical")},
    # Rows with different totals: n_trials is saved as each row's.
    "multinomial-hmm": lambda: emkit.MultinomialHMM(2, n_iter=5, random_state=0).fit(
        COUNTS, LENGTHS),
    "mixture-gaussian": lambda: emkit.MixtureModel(
        GaussianFull([[0.0, 0.0], [5.0, 5.0]], [np.eye(2)] * 2), random_state=0).fit(X),
    "mixture-independent": lambda: emkit.MixtureModel(Independent(
        [GaussianDiag([[0.0], [5.0]], [[1.0], [1.0]]), Poisson([[1.0], [6.0]])],
        columns=[[0], [1]]), random_state=0).fit(np.column_stack([X[:, 0], COUNTS[:, 0]])),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every model above, fitted and saved: name -> (model, path)."""
    root = tmp_path_factory.mktemp("values")
    return {name: (model, save(model, root / f"{name}.emkit"))
            for name, model in ((n, _fit(make)) for n, make in MODELS.items())}


def _with(path, out, arrays=(), params=()):
    """Copy the model file ``path`` to ``out`` with some arrays and parameters replaced."""
    with zipfile.ZipFile(path) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    document = json.loads(members["model.json"])
    document["params"].update(dict(params))
    members["model.json"] = json.dumps(document).encode()
    for name, array in dict(arrays).items():
        member = archive.member_name(name)
        old = np.load(io.BytesIO(members[member]))
        buffer = io.BytesIO()
        np.save(buffer, np.broadcast_to(np.asarray(array, old.dtype), old.shape).copy())
        members[member] = buffer.getvalue()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out


def _one_sentence(info, *words):
    message = str(info.value)
    said = message.split("; got ")[0]  # what follows is the array, printed on one line
    assert "\n" not in message and message.endswith(".") and ". " not in said, message
    for word in words:
        assert word in message, message


def _bad_covariance(model_name, saved):
    model = saved[model_name][0]
    value = model._covars_ if model_name.startswith("hmm") else model.covariances_
    return -np.asarray(value)


CASES = [  # (model, attribute, bad value, phrase of the requirement)
    *[(f"gmm-{c}", "means_", NAN, "hold finite numbers")
      for c in ("full", "tied", "diag", "spherical")],
    *[(f"gmm-{c}", "weights_", w, "hold non-negative weights that sum to 1")
      for c in ("full", "spherical") for w in ([NAN, 0.5], [-0.5, 1.5], [0.9, 0.9])],
    *[(f"gmm-{c}", "covariances_", NAN, "hold")
      for c in ("full", "tied", "diag", "spherical")],
    *[(f"gmm-{c}", name, "negated", "hold")
      for c in ("full", "tied", "diag", "spherical")
      for name in ("covariances_", "precisions_", "precisions_cholesky_")],
    ("gmm-full", "precisions_cholesky_", [[[1.0, 0.0], [0.5, 1.0]]] * 2,
     "upper-triangular Cholesky factors with a positive diagonal"),
    ("gmm-full", "covariances_", [[[1.0, 0.9], [0.0, 1.0]]] * 2, "symmetric positive-definite"),
    *[(f"hmm-{c}", "means_", NAN, "hold finite numbers")
      for c in ("full", "tied", "diag", "spherical")],
    *[(f"hmm-{c}", "_covars_", NAN, "hold") for c in ("full", "tied", "diag", "spherical")],
    ("hmm-full", "_covars_", "negated", "symmetric positive-definite matrices"),
    ("hmm-diag", "startprob_", [0.7, 0.7], "non-negative probabilities that sum to 1"),
    ("hmm-diag", "transmat_", [[0.5, 0.5], [1.5, -0.5]], "non-negative probabilities"),
    ("bernoulli", "means_", 1.5, "probabilities in [0, 1]"),
    ("poisson", "means_", -1.0, "finite non-negative numbers"),
    ("poisson", "weights_", [0.9, 0.9], "sum to 1"),
    ("categorical-hmm", "emissionprob_", [[0.5, 0.5, 0.5], [0.2, 0.3, 0.5]],
     "non-negative probabilities"),
    ("poisson-hmm", "lambdas_", np.inf, "finite non-negative numbers"),
    *[(f"gmmhmm-{c}", "means_", NAN, "hold finite numbers") for c in ("full", "spherical")],
    ("gmmhmm-diag", "weights_", [0.9, 0.9], "non-negative probabilities that sum to 1"),
    *[(f"gmmhmm-{c}", "covars_", NAN, "hold") for c in ("full", "tied", "diag", "spherical")],
    ("gmmhmm-full", "covars_", "negated", "symmetric positive-definite matrices"),
    ("gmmhmm-tied", "covars_", "negated", "symmetric positive-definite matrices"),
    ("gmmhmm-spherical", "covars_", "negated", "positive finite numbers"),
    ("multinomial-hmm", "emissionprob_", [[0.5, 0.6], [0.2, 0.8]],
     "non-negative probabilities"),
    ("mixture-gaussian", "weights_", [1.0, 1.0], "sum to 1"),
]


@pytest.mark.parametrize("model_name, attribute, bad, phrase", CASES)
def test_load_refuses_an_invalid_attribute(model_name, attribute, bad, phrase, saved,
                                           tmp_path):
    model, path = saved[model_name]
    if isinstance(bad, str):
        bad = -np.asarray(vars(model)[attribute])
    broken = _with(path, tmp_path / "bad.emkit", {f"attributes/{attribute}": bad})
    with pytest.raises(ModelFileError, match=f"Cannot load .*bad.emkit': {attribute} must "
                                             f".*{re.escape(phrase)}") as info:
        load(broken)
    _one_sentence(info, attribute)


@pytest.mark.parametrize("model_name, attribute, bad, phrase", CASES)
def test_save_refuses_an_invalid_attribute_and_writes_nothing(model_name, attribute, bad,
                                                              phrase, saved, tmp_path):
    model = copy.deepcopy(saved[model_name][0])
    old = vars(model)[attribute]
    value = -np.asarray(old) if isinstance(bad, str) else bad
    setattr(model, attribute, np.broadcast_to(np.asarray(value, old.dtype), old.shape).copy())
    path = tmp_path / "m.emkit"
    path.write_bytes(b"the old file")
    with pytest.raises(ModelFileError, match=f"Cannot save .*m.emkit': {attribute} must "
                                             f".*{re.escape(phrase)}") as info:
        save(model, path)
    _one_sentence(info, attribute)
    assert os.listdir(tmp_path) == ["m.emkit"] and path.read_bytes() == b"the old file"


@pytest.mark.parametrize("model_name, field", [
    ("mixture-gaussian", "means"), ("mixture-gaussian", "covariances"),
    ("mixture-independent", "families/0/means")])
def test_a_family_holding_nan_is_refused(model_name, field, saved, tmp_path):
    model, path = saved[model_name]
    broken = _with(path, tmp_path / "bad.emkit", {f"attributes/components_/{field}": NAN})
    with pytest.raises(ModelFileError, match="components_ (must hold finite parameters|holds "
                                             "a GaussianFull family that cannot be rebuilt)"):
        load(broken)


def test_a_negative_reg_covar_is_refused(saved, tmp_path):
    broken = _with(saved["gmm-full"][1], tmp_path / "bad.emkit", params={"reg_covar": -0.5})
    with pytest.raises(ModelFileError, match="its parameters are not valid \\(The 'reg_covar' "
                                             "parameter of GaussianMixture must be a float in "
                                             "the range \\[0.0, inf\\)\\. Got -0.5 instead\\)"):
        load(broken)
    model = copy.deepcopy(saved["gmm-full"][0]).set_params(reg_covar=-0.5)
    with pytest.raises(ModelFileError, match="Cannot save .*'reg_covar' parameter"):
        save(model, tmp_path / "m.emkit")
    assert not (tmp_path / "m.emkit").exists()


def test_weights_are_normalized_within_the_documented_tolerance(saved, tmp_path):
    # load's docstring: weights sum to 1 within 1e-8 (float64).
    model, path = saved["gmm-diag"]
    near = model.weights_ + np.array([5e-9, 0.0])
    loaded = load(_with(path, tmp_path / "near.emkit", {"attributes/weights_": near}))
    assert_array_equal(loaded.weights_, near)
    far = model.weights_ + np.array([1e-7, 0.0])
    with pytest.raises(ModelFileError, match="weights_ must hold non-negative weights that "
                                             "sum to 1 \\(within 1e-8"):
        load(_with(path, tmp_path / "far.emkit", {"attributes/weights_": far}))


@pytest.mark.parametrize("name", list(MODELS))
def test_valid_models_still_round_trip(name, saved):
    model, path = saved[name]
    loaded = load(path)
    data = {"bernoulli": X > 2, "poisson": COUNTS, "categorical-hmm": COUNTS[:, :1] % 3,
            "poisson-hmm": COUNTS, "multinomial-hmm": COUNTS,
            "mixture-independent": np.column_stack([X[:, 0], COUNTS[:, 0]])}.get(name, X)
    extra = (LENGTHS,) if "hmm" in name else ()
    assert_array_equal(loaded.predict(data, *extra), model.predict(data, *extra))


def test_the_command_line_names_the_invalid_attribute_in_one_line(saved, tmp_path, capsys):
    broken = _with(saved["gmm-full"][1], tmp_path / "bad.emkit",
                   {"attributes/weights_": [-0.5, 1.5]})
    np.savetxt(tmp_path / "d.csv", X, delimiter=",")
    for argv in (["info", broken], ["predict", broken, tmp_path / "d.csv"]):
        assert main([str(a) for a in argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (f"emkit: error: Cannot load {str(broken)!r}: weights_ must hold "
                                "non-negative weights that sum to 1 (within 1e-8; 1e-6 in "
                                "float32); got [-0.5 1.5].\n")


@pytest.mark.parametrize("attribute, bad, requirement", [
    ("doc_topic_prior_", NAN, "a finite number above 0"),
    ("doc_topic_prior_", 0.0, "a finite number above 0"),
    ("topic_word_prior_", -5.0, "a finite number above 0"),
    ("topic_word_prior_", np.inf, "a finite number above 0"),
    ("n_iter_", -5, "a count of 0 or more"),
])
def test_lda_priors_and_counts_out_of_bounds_are_refused(attribute, bad, requirement,
                                                         tmp_path):
    # A loaded LDA with a prior of 0 or NaN transformed to NaN, or divided by zero.
    model = emkit.LatentDirichletAllocation(2, random_state=0).fit(COUNTS)
    good = save(model, tmp_path / "good.emkit")
    broken = copy.deepcopy(model)
    setattr(broken, attribute, bad)
    with pytest.raises(ModelFileError, match=rf"{attribute} must be {requirement}; got "):
        save(broken, tmp_path / "bad.emkit")
    assert not (tmp_path / "bad.emkit").exists()
    with zipfile.ZipFile(good) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    document = json.loads(members["model.json"])
    document["attributes"][attribute] = None if bad is NAN else (
        "Infinity" if bad == np.inf else bad)
    members["model.json"] = json.dumps(document).encode()
    tampered = tmp_path / "tampered.emkit"
    with zipfile.ZipFile(tampered, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ModelFileError, match=rf"{attribute} must be "):
        load(tampered)
