"""The model file on disk: a zip of ``model.json`` and one ``.npy`` member per array.

Writes are atomic (temporary file, fsync, rename). Reads trust nothing: every size is
checked against the manifest before a byte of array data is read, and nothing is unpickled.
"""

import inspect
import json
import os
import re
import zipfile
import zlib

import numpy as np

from emkit._files import atomic_write
from emkit.exceptions import ModelFileError

__all__ = ["FORMAT", "MODEL_JSON", "SCHEMA_VERSION", "member_name", "read_archive",
           "write_archive", "write_array"]

#: What the ``format`` entry of ``model.json`` says.
FORMAT = "emkit-model"
#: The newest schema this emkit reads and the one it writes.
SCHEMA_VERSION = 1
#: The member holding the description of the model.
MODEL_JSON = "model.json"

MAX_JSON_BYTES = 64 * 2**20
MAX_HEADER_BYTES = 10_000
_CHUNK_BYTES = 16 * 2**20
_ARRAY_NAME = re.compile(r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*")
_DTYPE = re.compile(r"[<>|][biufc][0-9]{1,2}")
_MAX_NDIM = 32
# numpy >= 1.24 caps the header it parses; older ones are bounded by the member's size.
_HEADER_LIMIT = ({"max_header_size": MAX_HEADER_BYTES} if "max_header_size" in
                 inspect.signature(np.lib.format.read_array_header_1_0).parameters else {})


def member_name(name):
    """Return the zip member that holds the array called ``name``.

    Parameters
    ----------
    name : str
        The array's name in the manifest.

    Returns
    -------
    member : str
    """
    return f"arrays/{name}.npy"


# -- writing ---------------------------------------------------------------------------
def write_archive(path, document, arrays):
    """Write ``document`` (with a manifest of ``arrays`` added) and the arrays, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Where the file goes; an existing file there is replaced only once the new one is
        complete and flushed to disk.
    document : dict
        The JSON-ready description of the model.
    arrays : dict of str to ndarray
        The arrays the document refers to, by name.
    """
    manifest = [{"name": name, "dtype": array.dtype.str, "shape": list(array.shape)}
                for name, array in arrays.items()]
    text = json.dumps({**document, "arrays": manifest}, indent=1, allow_nan=False)

    def write(stream):
        with zipfile.ZipFile(stream, "w") as archive:
            archive.writestr(MODEL_JSON, text, compress_type=zipfile.ZIP_DEFLATED)
            for name, array in arrays.items():
                write_array(archive, member_name(name), array)

    atomic_write(path, write)


def write_array(archive, member, array):
    """Write one array as an uncompressed ``.npy`` member, without pickle.

    Parameters
    ----------
    archive : zipfile.ZipFile
        The archive being written.
    member : str
        The member's name.
    array : ndarray
        The array.
    """
    large = array.nbytes > 2**31 - 2**20
    with archive.open(member, "w", force_zip64=large) as stream:
        np.lib.format.write_array(stream, array, allow_pickle=False)


# -- reading ---------------------------------------------------------------------------
def read_archive(path):
    """Read a model file: its checked ``model.json`` and its arrays.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    document : dict
        The parsed ``model.json`` (format and schema version checked).
    arrays : dict of str to ndarray
        Every array of the manifest, by name, each checked against the manifest.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at {path!r}; check the path.")
    if os.path.isdir(path):
        raise ModelFileError(f"{path!r} is a folder, not a model file; give the file's path.")
    with open(path, "rb") as stream:  # a file that cannot be opened raises its OSError
        try:
            with zipfile.ZipFile(stream) as archive:
                return _read(archive)
        except ModelFileError as exc:
            raise ModelFileError(f"Cannot load {path!r}: {exc}") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
                NotImplementedError, OverflowError, RuntimeError, ValueError) as exc:
            # Seeks to offsets a damaged directory gives fail with OSError too.
            raise ModelFileError(
                f"Cannot load {path!r}: it is not an emkit model file, or it is truncated or "
                f"corrupt ({exc}).") from None


def _read(archive):
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise ModelFileError("the archive holds two members with the same name, which emkit "
                             "never writes.")
    if MODEL_JSON not in names:
        raise ModelFileError(f"the archive has no {MODEL_JSON}, so it is not an emkit model "
                             "file.")
    document = _read_document(archive, archive.getinfo(MODEL_JSON))
    manifest = _read_manifest(document)
    _check_members(archive, manifest)
    arrays = {}
    for name, (dtype, shape) in manifest.items():
        arrays[name] = _read_array(archive, archive.getinfo(member_name(name)), dtype, shape)
    return document, arrays


def _read_document(archive, info):
    if info.file_size > MAX_JSON_BYTES:
        raise ModelFileError(f"its {MODEL_JSON} declares {info.file_size} bytes, more than the "
                             f"{MAX_JSON_BYTES} a model description may hold.")
    with archive.open(info) as stream:
        raw = stream.read(MAX_JSON_BYTES + 1)
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"its {MODEL_JSON} is not valid JSON ({exc}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"its {MODEL_JSON} does not describe an emkit model (no "
                             f"'format': '{FORMAT}' entry).")
    version = document.get("schema_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"its schema version {version!r} is not a positive integer.")
    if version > SCHEMA_VERSION:
        raise ModelFileError(f"it has schema version {version}, newer than the version "
                             f"{SCHEMA_VERSION} this emkit reads; upgrade emkit to load it.")
    return document


def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _read_manifest(document):
    # name -> (dtype, shape), every entry checked for form.
    entries = document.get("arrays")
    if not isinstance(entries, list):
        raise ModelFileError(f"its {MODEL_JSON} has no list of arrays (the manifest).")
    manifest = {}
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"name", "dtype", "shape"}:
            raise ModelFileError("a manifest entry is not a {name, dtype, shape} record.")
        name = entry["name"]
        if not isinstance(name, str) or not _ARRAY_NAME.fullmatch(name) or name in manifest:
            raise ModelFileError(f"the manifest names an invalid or repeated array {name!r}.")
        manifest[name] = (_manifest_dtype(name, entry["dtype"]),
                          _manifest_shape(name, entry["shape"]))
    return manifest


def _manifest_dtype(name, text):
    if not isinstance(text, str) or not _DTYPE.fullmatch(text):
        raise ModelFileError(f"the manifest gives array {name!r} the dtype {text!r}; model "
                             "files hold only boolean, integer, float and complex arrays.")
    try:
        return np.dtype(text)
    except TypeError:
        raise ModelFileError(f"the manifest gives array {name!r} the unknown dtype "
                             f"{text!r}.") from None


def _manifest_shape(name, shape):
    if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
            or not all(type(n) is int and n >= 0 for n in shape)):
        raise ModelFileError(f"the manifest gives array {name!r} the invalid shape {shape!r}.")
    return tuple(shape)


def _nbytes(dtype, shape):
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def _check_members(archive, manifest):
    # Before any array data is read: every member is declared, and the archive cannot
    # unpack to more than the manifest's arrays plus their headers (no zip bomb).
    expected = {member_name(name) for name in manifest} | {MODEL_JSON}
    for info in archive.infolist():
        if info.filename not in expected:
            raise ModelFileError(f"it holds the member {info.filename!r}, which its manifest "
                                 "does not list.")
    present = {info.filename for info in archive.infolist()}
    missing = sorted(expected - present)
    if missing:
        raise ModelFileError(f"the array member {missing[0]!r} listed in its manifest is "
                             "missing.")
    limit = sum(_nbytes(dtype, shape) + MAX_HEADER_BYTES for dtype, shape in manifest.values())
    total = sum(archive.getinfo(member_name(name)).file_size for name in manifest)
    if total > limit:
        raise ModelFileError(f"its array members unpack to {total} bytes, more than the "
                             f"{limit} its manifest allows.")


def _read_array(archive, info, dtype, shape):
    nbytes = _nbytes(dtype, shape)
    header_room = info.file_size - nbytes
    if not 0 < header_room <= MAX_HEADER_BYTES:
        raise ModelFileError(f"member {info.filename!r} declares {info.file_size} bytes, but "
                             f"its manifest entry needs {nbytes} bytes of data plus a header.")
    try:
        with archive.open(info) as stream:
            header_shape, fortran, header_dtype = _read_header(stream, info.filename)
            _check_header(info, header_dtype, header_shape, dtype, shape)
            if stream.tell() != header_room:
                raise ModelFileError(f"member {info.filename!r} holds {info.file_size} bytes, "
                                     "not its header plus the data its manifest declares.")
            data = _read_exactly(stream, nbytes, info.filename)
            if stream.read(1):
                raise ModelFileError(f"member {info.filename!r} holds more data than its "
                                     "manifest declares.")
    except zipfile.BadZipFile as exc:
        raise ModelFileError(f"member {info.filename!r} is corrupt ({exc}).") from None
    except zlib.error as exc:
        raise ModelFileError(f"member {info.filename!r} is corrupt ({exc}).") from None
    array = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape, dtype=object)))
    return array.reshape(shape, order="F" if fortran else "C")


def _read_header(stream, member):
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(stream, **_HEADER_LIMIT)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(stream, **_HEADER_LIMIT)
    except (ValueError, EOFError, SyntaxError) as exc:
        raise ModelFileError(f"member {member!r} is not a valid .npy array ({exc}).") from None
    raise ModelFileError(f"member {member!r} uses .npy format version {version}, which emkit "
                         "does not read.")


def _check_header(info, header_dtype, header_shape, dtype, shape):
    if header_dtype.hasobject or header_dtype.names is not None:
        raise ModelFileError(f"member {info.filename!r} holds an object or structured array, "
                             "which model files never hold.")
    if header_dtype != dtype or header_dtype.str != dtype.str:
        raise ModelFileError(f"member {info.filename!r} holds dtype {header_dtype.str}, but its "
                             f"manifest says {dtype.str}.")
    if tuple(header_shape) != shape:
        raise ModelFileError(f"member {info.filename!r} holds shape {tuple(header_shape)}, but "
                             f"its manifest says {shape}.")


def _read_exactly(stream, nbytes, member):
    # In chunks, so a member that lies about its size fails before much is allocated.
    data = bytearray()
    while len(data) < nbytes:
        chunk = stream.read(min(_CHUNK_BYTES, nbytes - len(data)))
        if not chunk:
            raise ModelFileError(f"member {member!r} ends after {len(data)} of its {nbytes} "
                                 "bytes of data.")
        data += chunk
    return data
