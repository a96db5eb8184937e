"""Save an estimator to one model file and load it back, with no pickle.

A file holds the estimator's kind, constructor parameters and fitted state; loading
rebuilds it from its parameters, checks every attribute, sets them and checks it can predict.
Saving runs the same checks first, so no file is written that loading would refuse.
"""

import copy
import os

import numpy as np

from emkit._version import __version__
from emkit.exceptions import ModelFileError
from emkit.io.archive import FORMAT, SCHEMA_VERSION, read_archive, write_archive
from emkit.io.kinds import KINDS, Dims, kind_of
from emkit.io.values import Decoder, Encoder

__all__ = ["load", "save"]

_SUMMARY = ("n_components", "converged_", "n_iter_", "lower_bound_", "n_features_in_",
            "n_features")


def save(model, path, *, metadata=None):
    """Save a fitted or unfitted emkit estimator to one file, atomically and without pickle.

    The file is a zip archive: ``model.json`` (the estimator's kind, the emkit and schema
    versions, the constructor parameters, a fit summary, any metadata and a manifest of the
    arrays) and one ``.npy`` member per array. A ``random_state`` that is a ``RandomState`` or
    ``Generator`` instance is saved as None (an integer seed is kept). The file is
    written to a temporary file in the same folder and renamed over ``path`` only when
    complete, so a failed save leaves any existing file untouched.

    Parameters
    ----------
    model : estimator
        One of emkit's estimators (``GaussianMixture``, ``BernoulliMixture``,
        ``PoissonMixture``, ``CategoricalMixture``, ``MixtureModel``, ``GaussianHMM``,
        ``CategoricalHMM``, ``PoissonHMM``, ``HiddenMarkovModel``). Families must be
        emkit's built-in ones: a family written by the user or made by
        ``density_family`` is code, which a model file does not hold.
    path : str or os.PathLike
        Where to write; no extension is added (the command line uses ``.emkit``).
    metadata : dict, default=None
        What the file should remember beside the model (the command line keeps the data's
        column names, text categories and sequence-id column, and the fit's log-likelihood):
        a dict with string keys of numbers, strings, lists, dicts and arrays; None stores
        none. :func:`load` returns it with ``with_metadata=True``.

    Returns
    -------
    path : str or os.PathLike
        ``path``, as given.

    A symbolic link at ``path`` is written through: the file it points to is replaced
    and the link kept. A folder, device, named pipe or socket at ``path`` is refused, and
    so is a read-only file. A save killed part-way leaves only a hidden temporary file
    beside ``path``, which the next save to ``path`` removes.

    Raises
    ------
    TypeError
        When the estimator, a parameter, an attribute or the metadata cannot be held by a
        model file (a subclass of an estimator, a user-written family, an array of Python objects).
    emkit.exceptions.ModelFileError
        When a parameter or an attribute holds a value :func:`load` would refuse (e.g.
        means set to NaN by hand, weights that do not sum to 1); nothing is written.
    FileNotFoundError
        When the folder of ``path`` does not exist.
    OSError
        When ``path`` is a folder, a device, a named pipe, a socket or read-only.
    """
    kind = kind_of(model)
    encoder = Encoder()
    params = {name: encoder.encode(_storable(name, value), f"params/{name}")
              for name, value in model.get_params(deep=False).items()}
    state = {name: vars(model)[name] for name in kind.attributes if name in vars(model)}
    attributes = {name: encoder.encode(value, f"attributes/{name}")
                  for name, value in state.items()}
    try:
        _check_model(kind, copy.copy(model), state)
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot save {os.fspath(path)!r}: {exc}") from None
    summary = {name: encoder.encode(getattr(model, name), f"summary/{name}")
               for name in _SUMMARY if np.isscalar(getattr(model, name, None))}
    document = {"format": FORMAT, "schema_version": SCHEMA_VERSION,
                "emkit_version": __version__, "kind": kind.name,
                "fitted": all(name in state for name in kind.needed), "summary": summary,
                "params": params, "attributes": attributes}
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise TypeError(f"Cannot save metadata: it must be a dict; got a "
                            f"{type(metadata).__name__}.")
        document["metadata"] = encoder.encode(metadata, "metadata")
    write_archive(path, document, encoder.arrays)
    return path


def _storable(name, value):
    # A random generator's state is not kept: the loaded model draws from fresh entropy.
    if name == "random_state" and isinstance(value, (np.random.RandomState,
                                                     np.random.Generator)):
        return None
    return value


def load(path, *, with_metadata=False):
    """Load an estimator saved by :func:`save`, refusing any file it cannot read safely.

    Nothing in the file is executed or unpickled. Every array's dtype and shape are
    checked against the manifest (from its ``.npy`` header, before its data is read)
    and against what the model needs; the restored estimator predicts exactly what the
    saved one did. The parameters must pass the estimator's own parameter checks (e.g.
    ``reg_covar >= 0``), and every fitted attribute is held to what ``fit`` accepts as
    a starting value: finite; weights non-negative and summing to 1 within 1e-8 (1e-6 in
    float32); HMM start, transition and emission probabilities non-negative with rows
    summing to 1 within ``numpy.allclose``'s default tolerance; probabilities in [0, 1],
    rates non-negative; covariances and precisions symmetric positive-definite (positive
    for diag and spherical); Cholesky factors upper-triangular with a positive diagonal.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    with_metadata : bool, default=False
        Also return the metadata the file was saved with.

    Returns
    -------
    model : estimator
        The restored estimator, of the class that was saved.
    metadata : dict
        Only with ``with_metadata=True``: the metadata given to :func:`save`, or an empty
        dict for a file saved without any (as every file of older emkit versions is).

    Raises
    ------
    FileNotFoundError
        When there is no file at ``path``.
    emkit.exceptions.ModelFileError
        When the file is not a model file, or is truncated, corrupt, edited
        inconsistently, holds an invalid value (the sentence names the attribute), or is
        from a newer emkit (a ``ValueError``).
    """
    document, arrays = read_archive(path)
    decoder = Decoder(arrays)
    try:
        model = _restore(document, decoder)
        metadata = _metadata(document, decoder) if with_metadata else None
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot load {os.fspath(path)!r}: {exc}") from None
    return (model, metadata) if with_metadata else model


def _metadata(document, decoder):
    if "metadata" not in document:
        return {}
    metadata = decoder.decode(document["metadata"], "metadata")
    if not isinstance(metadata, dict):
        raise ModelFileError("its model.json has a 'metadata' entry that is not an object.")
    return metadata


def _restore(document, decoder):
    name = document.get("kind")
    kind = KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ModelFileError(f"its model kind {name!r} is unknown to this emkit; it was saved "
                             "by a newer emkit or edited, so upgrade emkit.")
    params = _section(document, "params", decoder)
    unknown = sorted(set(params) - set(kind.estimator._get_param_names()))
    if unknown:
        raise ModelFileError(f"{kind.name} has no parameter {unknown[0]!r}.")
    attributes = _section(document, "attributes", decoder)
    model = _build(kind, params)
    _check_model(kind, model, attributes)
    return model


def _check_model(kind, model, attributes):
    # Parameters, then each attribute alone, then the whole: what load and save refuse.
    # ``model`` gets ``attributes`` set on it.
    _check_params(kind, model)
    _check_attributes(kind, model, attributes)
    for attribute, value in attributes.items():
        setattr(model, attribute, value)
    _check_usable(kind, model, attributes)


def _section(document, name, decoder):
    section = document.get(name)
    if not isinstance(section, dict):
        raise ModelFileError(f"its model.json has no '{name}' object.")
    return {key: decoder.decode(node, f"{name}/{key}") for key, node in section.items()}


def _build(kind, params):
    try:
        return kind.estimator(**params)
    except Exception as exc:  # whatever the constructor's checks raise
        raise ModelFileError(f"its parameters do not build a {kind.name} ({exc}).") from None


def _check_params(kind, model):
    # The estimator's own declared constraints (scikit-learn's), where it has them.
    if not hasattr(model, "_parameter_constraints"):
        return
    try:
        model._validate_params()
    except ValueError as exc:  # scikit-learn's InvalidParameterError
        raise ModelFileError(f"its parameters are not valid ({_clause(exc)}).") from None


def _clause(exc):
    return " ".join(str(exc).split()).rstrip(".")


def _check_attributes(kind, model, attributes):
    try:
        dims = Dims(K=int(model.n_components))
    except Exception as exc:  # e.g. a MixtureModel whose components do not concatenate
        raise ModelFileError(f"its {kind.name} has no valid number of components "
                             f"({exc}).") from None
    params = model.get_params(deep=False)
    for name, value in attributes.items():
        check = kind.attributes.get(name)
        if check is None:
            raise ModelFileError(f"it sets the attribute {name!r}, which a {kind.name} does "
                                 "not have.")
        check(name, value, dims, params)


def _check_usable(kind, model, attributes):
    present = [name for name in kind.needed if name in attributes]
    if present and len(present) < len(kind.needed) and not kind.partial:
        missing = next(name for name in kind.needed if name not in attributes)
        raise ModelFileError(f"its fitted {kind.name} lacks the attribute {missing!r}.")
    if len(present) == len(kind.needed):
        try:
            kind.usable(copy.copy(model))  # a copy: the checks may tidy attributes
        except Exception as exc:  # whatever the estimator's own checks raise
            raise ModelFileError(f"its {kind.name} cannot predict ({_clause(exc)}).") from None
