"""Model files keep metadata beside the model (the command line's record of its data).

``save(..., metadata=...)`` stores a dict as data (JSON, arrays as ``.npy`` members, no
pickle); ``load(..., with_metadata=True)`` returns it, an empty dict for a file without
any, and refuses a malformed entry in one sentence. The schema version is unchanged: an
emkit that does not know the entry ignores it.
"""

import json
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import emkit
from emkit.cli import main
from emkit.exceptions import ModelFileError
from emkit.io import archive, load, save

X = np.vstack([np.random.default_rng(5).normal(c, 1.0, (20, 2)) for c in (0, 4)])


@pytest.fixture(scope="module")
def model():
    return emkit.GaussianMixture(2, random_state=0).fit(X)


def _edited(path, out, **entries):
    # A copy of the model file with top-level model.json entries replaced.
    with zipfile.ZipFile(path) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    document = json.loads(members[archive.MODEL_JSON])
    document.update(entries)
    members[archive.MODEL_JSON] = json.dumps(document).encode()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out


def test_metadata_round_trips_and_a_file_without_it_gives_an_empty_dict(model, tmp_path):
    metadata = {"columns": [{"name": "a", "type": "number"}], "sequence_column": None,
                "fit": {"log_likelihood": -12.5, "n_samples": 40}, "$odd": [1, "two"],
                "codes": np.arange(3)}
    save(model, tmp_path / "with.emkit", metadata=metadata)
    save(model, tmp_path / "without.emkit")
    loaded, kept = load(tmp_path / "with.emkit", with_metadata=True)
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert_array_equal(kept.pop("codes"), np.arange(3))
    assert kept == {k: v for k, v in metadata.items() if k != "codes"}
    assert type(load(tmp_path / "with.emkit")) is emkit.GaussianMixture
    assert load(tmp_path / "without.emkit", with_metadata=True)[1] == {}
    with zipfile.ZipFile(tmp_path / "with.emkit") as z:
        document = json.loads(z.read(archive.MODEL_JSON))
    assert document["schema_version"] == 1 and "metadata" in document


def test_metadata_that_cannot_be_kept_or_read_is_refused(model, tmp_path):
    with pytest.raises(TypeError, match="metadata: it must be a dict; got a list"):
        save(model, tmp_path / "m.emkit", metadata=[1, 2])
    with pytest.raises(TypeError, match="Cannot save metadata/f: a builtin_function_or_method "):
        save(model, tmp_path / "m.emkit", metadata={"f": len})
    assert not (tmp_path / "m.emkit").exists()
    save(model, tmp_path / "m.emkit", metadata={"columns": []})
    bad = _edited(tmp_path / "m.emkit", tmp_path / "bad.emkit", metadata=[1])
    with pytest.raises(ModelFileError, match="'metadata' entry that is not an object"):
        load(bad, with_metadata=True)
    assert_array_equal(load(bad).predict(X), model.predict(X))  # the model alone still loads


def test_the_command_line_refuses_a_malformed_record_in_one_line(model, tmp_path, capsys):
    save(model, tmp_path / "m.emkit")
    cases = {  # the metadata: what the message says
        "columns are not a list": {"columns": "a,b"},
        "gives column 'a' no type 'number', nor 'category' with sorted distinct categories":
            {"columns": [{"name": "a", "type": "category", "categories": ["z", "a"]}]},
        "no positive whole number for n_samples": {"fit": {"log_likelihood": 1.0,
                                                           "n_samples": 0}},
    }
    for phrase, metadata in cases.items():
        bad = _edited(tmp_path / "m.emkit", tmp_path / "bad.emkit", metadata=metadata)
        assert main(["info", str(bad)]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.splitlines()) == 1
        assert captured.err.startswith(f"emkit: error: Cannot load {str(bad)!r}: its metadata")
        assert phrase in captured.err
