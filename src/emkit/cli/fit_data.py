"""What ``emkit fit`` reads: the features of a data file, never read whole when it can be.

A ``.npy`` file is memory-mapped, a Parquet file becomes a Dask array of one block per row
group, and a CSV/TSV file larger than one block a Dask array of blocks of text parsed one
at a time (smaller ones, and every file when Dask is not installed, are read as tables by
:func:`emkit.cli.data.read_table`). Sequence ids are read a block at a time.
"""

import itertools
import os
from dataclasses import dataclass

import numpy as np

from emkit.cli.data import (MISSING, PARQUET, Table, check_data_file, find_delimiter,
                            is_number, parse_column_list, read_table, split_rows)
from emkit.cli.errors import UsageError

__all__ = ["BLOCK_BYTES", "FitData", "open_features", "select_columns"]

#: Bytes of text parsed at a time when a CSV/TSV file is streamed (``fit --block-size``).
BLOCK_BYTES = 64 * 2**20
#: Bytes read at the head of a streamed text file to find its delimiter and header.
HEAD_BYTES = 2**16
#: Rows of a ``.npy`` file read at a time (sequence ids, Dask blocks): at most this many
#: bytes of them.
NPY_BLOCK_BYTES = 64 * 2**20


@dataclass
class FitData:
    """The features ``emkit fit`` reads, and their sequence lengths.

    Attributes
    ----------
    X : ndarray or dask.array.Array of shape (n_rows, n_features)
        In memory (a table read whole), memory-mapped (a ``.npy`` file) or a Dask array
        whose blocks are read when computed.
    names : list of str
        The feature columns' names.
    lengths : ndarray of int or None
        Sequence lengths; None when no sequence-id column was given.
    n_rows : int
        Number of data rows.
    in_memory : bool
        True when the whole file was read into a table.
    sequence_column : str or None
        The name of the sequence-id column; None when none was given.
    """

    X: object
    names: list
    lengths: object
    n_rows: int
    in_memory: bool = False
    sequence_column: str = None


def open_features(path, columns=None, lengths_column=None, block_size=BLOCK_BYTES,
                  distributed=False):
    """Open the features of a data file for a fit, reading no file whole when it can.

    ``.npy`` files are memory-mapped (or, for a Dask cluster, a column choice that is
    not a view, or a dtype other than float32 and float64, read as a Dask array of row
    blocks from the file). With Dask installed, a Parquet file is a Dask array of one
    block per row group, and a CSV/TSV file larger than ``block_size`` (any size for a
    Dask cluster) a Dask array of text blocks of ``block_size`` bytes; its delimiter and
    header are found in its first lines as :func:`read_table` finds them. Other files,
    and every file without Dask, are read whole by :func:`read_table`. Sequence ids are
    read a block at a time.

    Parameters
    ----------
    path : str
        The data file.
    columns : str, default=None
        ``--columns``: comma-separated names or 0-based indices; None uses them all.
    lengths_column : str, default=None
        ``--lengths-column``: the sequence-id column, left out of the features.
    block_size : int, default=BLOCK_BYTES
        Bytes of CSV/TSV text parsed at a time.
    distributed : bool, default=False
        The fit runs on a Dask cluster: the blocks are read by its workers (from the
        same path), so the data is a Dask array whatever its size.

    Returns
    -------
    data : FitData
    """
    check_data_file(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        opened = _open_npy(path, columns, lengths_column, distributed)
        if opened is not None:
            return opened
    elif _dask_installed():
        if suffix in PARQUET:
            if _pyarrow_installed():
                return _open_parquet(path, columns, lengths_column)
        elif distributed or os.path.getsize(path) > block_size:
            opened = _open_text(path, suffix, columns, lengths_column, block_size)
            if opened is not None:
                return opened
    return _read_whole(path, columns, lengths_column)


def _read_whole(path, columns, lengths_column):
    # Today's reading: the whole table in memory.
    table = read_table(path)
    lengths, exclude = None, ()
    if lengths_column is not None:
        lengths, index = table.sequence_lengths(lengths_column)
        exclude = (index,)
    X, names = table.features(parse_column_list(columns) if columns is not None else None,
                              exclude)
    return FitData(X, names, lengths, len(X), in_memory=True,
                   sequence_column=_name_of(table, exclude[0] if exclude else None))


def _name_of(table, index):
    # The name of the sequence-id column at ``index``, or None.
    return None if index is None else table.names[index]


def _dask_installed():
    try:
        import dask.array  # noqa: F401
        import dask.dataframe  # noqa: F401
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def _pyarrow_installed():
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def select_columns(table, columns, lengths_column):
    """Return the feature columns' positions and names, and the sequence-id column's position.

    Parameters
    ----------
    table : Table
        The data (its names, at least).
    columns : str or None
        ``--columns``: comma-separated names or 0-based indices; None uses them all.
    lengths_column : str or None
        ``--lengths-column``: the sequence-id column, left out of the features.

    Returns
    -------
    indices : list of int
    names : list of str
    id_index : int or None
    """
    id_index = None if lengths_column is None else table.column_index(lengths_column)
    keys = parse_column_list(columns) if columns is not None else None
    indices = [table.column_index(key) for key in keys] if keys else range(len(table.columns))
    indices = [i for i in indices if i != id_index]
    if not indices:
        raise UsageError(f"{table.source} has no feature columns left; choose some with "
                         "--columns.")
    return indices, [table.names[i] for i in indices], id_index


def _blocks_of(n_rows, rows):
    return [(start, min(start + rows, n_rows)) for start in range(0, n_rows, rows)]


def _from_blocks(read, bounds, width, dtype):
    # A Dask array of one block per ``read(start, stop)`` task (a picklable call, so a
    # cluster's workers read the blocks themselves).
    import dask
    import dask.array as da

    return da.concatenate([
        da.from_delayed(dask.delayed(read, pure=True)(start, stop), shape=(stop - start, width),
                        dtype=dtype, meta=np.empty((0, width), dtype))
        for start, stop in bounds], axis=0)


def _open_npy(path, columns, lengths_column, distributed):
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError):
        return None  # an empty or unusual file: read whole, with read_table's messages
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.dtype.kind not in "biuf" or array.size == 0:
        raise UsageError(f"{path} holds a {array.ndim}-D {array.dtype} array with shape "
                         f"{array.shape}; save a non-empty 2-D (or 1-D) numeric array.")
    table = Table([array[:, j] for j in range(array.shape[1])], source=path)
    indices, names, id_index = select_columns(table, columns, lengths_column)
    n, rows = array.shape[0], max(1, NPY_BLOCK_BYTES // max(array.itemsize * array.shape[1], 1))
    lengths = None
    if id_index is not None:
        lengths = _run_lengths(table, id_index, (array[start:stop, id_index] for start, stop
                                                 in _blocks_of(n, rows)))
    view = _column_view(array, indices)
    floating = array.dtype in (np.float32, np.float64)
    sequence = _name_of(table, id_index)
    if view is not None and floating and not distributed:
        return FitData(view, names, lengths, n, sequence_column=sequence)
    if _dask_installed():
        dtype = array.dtype if floating else np.dtype(np.float64)
        X = _from_blocks(_NpyRows(path, indices, dtype), _blocks_of(n, rows), len(indices),
                         dtype)
        return FitData(X, names, lengths, n, sequence_column=sequence)
    X = np.column_stack([np.asarray(array[:, j], dtype=np.float64) for j in indices])
    return FitData(X, names, lengths, n, in_memory=True, sequence_column=sequence)


def _column_view(array, indices):
    # The chosen columns as a view of the array (no copy), when they are evenly spaced.
    steps = set(np.diff(indices).tolist())
    if len(indices) == 1 or (len(steps) == 1 and steps.pop() > 0):
        step = indices[1] - indices[0] if len(indices) > 1 else 1
        return array[:, indices[0]:indices[-1] + 1:step]
    return None


class _NpyRows:
    """Rows ``start`` to ``stop`` of chosen columns of a ``.npy`` file, as ``dtype``.

    Parameters
    ----------
    path : str
        The file.
    indices : list of int
        The columns.
    dtype : numpy.dtype
        The dtype of the block.
    """

    def __init__(self, path, indices, dtype):
        self.path, self.indices, self.dtype = os.path.abspath(path), list(indices), dtype

    def __call__(self, start, stop):
        array = np.load(self.path, mmap_mode="r", allow_pickle=False)
        if array.ndim == 1:
            array = array[:, None]
        return np.asarray(array[start:stop][:, self.indices], dtype=self.dtype)


def _open_parquet(path, columns, lengths_column):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except (ValueError, OSError) as exc:
        raise UsageError(f"{path} is not a readable Parquet file ({' '.join(str(exc).split())})."
                         ) from None
    schema = handle.schema_arrow
    index = [c for c in (schema.pandas_metadata or {}).get("index_columns", [])
             if isinstance(c, str)]
    all_names = [name for name in schema.names if name not in index]
    n = handle.metadata.num_rows
    if not all_names or n == 0:
        raise UsageError(f"{path} holds no data rows.")
    table = Table([None] * len(all_names), all_names, source=path)
    indices, names, id_index = select_columns(table, columns, lengths_column)
    for i in indices:
        kind = schema.field(all_names[i]).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or
                pa.types.is_boolean(kind) or pa.types.is_decimal(kind) or pa.types.is_null(kind)):
            held = "text" if pa.types.is_string(kind) or pa.types.is_large_string(kind) else kind
            raise UsageError(f"{path} {table.label(i)} holds {held} values, not numbers; choose "
                             "numeric columns with --columns.")
    groups = [handle.metadata.row_group(g).num_rows for g in range(handle.num_row_groups)]
    bounds = [(start, start + rows) for start, rows in
              zip(itertools.accumulate([0] + groups[:-1]), groups) if rows]
    reader = _ParquetRows(path, names, groups)
    lengths = None
    if id_index is not None:
        ids = _ParquetRows(path, [all_names[id_index]], groups, numbers=False)
        lengths = _run_lengths(table, id_index, (ids(start, stop)[:, 0] for start, stop in bounds))
    return FitData(_from_blocks(reader, bounds, len(names), np.float64), names, lengths, n,
                   sequence_column=_name_of(table, id_index))


class _ParquetRows:
    """The row group that holds rows ``start`` to ``stop`` of chosen Parquet columns.

    Parameters
    ----------
    path : str
        The file.
    names : list of str
        The columns.
    groups : list of int
        Rows of each row group.
    numbers : bool, default=True
        Cast the values to float64 (missing values are NaN); else keep them as objects.
    """

    def __init__(self, path, names, groups, numbers=True):
        self.path, self.names, self.numbers = os.path.abspath(path), list(names), numbers
        self.starts = np.concatenate([[0], np.cumsum(groups)]).tolist()

    def __call__(self, start, stop):
        import pyarrow as pa
        import pyarrow.parquet as pq

        group = next(g for g in range(len(self.starts) - 1)
                     if (self.starts[g], self.starts[g + 1]) == (start, stop))
        read = pq.ParquetFile(self.path).read_row_group(group, columns=list(dict.fromkeys(
            self.names)))
        if self.numbers:
            by_name = {name: read.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)
                       for name in read.column_names}
            return np.column_stack([by_name[name] for name in self.names])
        return np.column_stack([read.column(name).to_numpy(zero_copy_only=False)
                                for name in self.names])


def _open_text(path, suffix, columns, lengths_column, block_size):
    import dask.dataframe as dd

    with open(path, "rb") as handle:
        raw = handle.read(HEAD_BYTES)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None  # UTF-16 (a spreadsheet's "Unicode text"): read whole
    whole = len(raw) < HEAD_BYTES
    head = raw if whole or b"\n" not in raw else raw[:raw.rfind(b"\n") + 1]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; save it as a UTF-8 CSV or TSV file (or "
                         "pass a .npy or Parquet file).") from None
    delimiter = find_delimiter(text, suffix)
    rows, _ = split_rows(text, delimiter)
    if not rows:
        raise UsageError(f"{path} holds no rows.")
    names = None
    if not all(cell.lower() in MISSING or is_number(cell) for cell in rows[0]):
        names, rows = rows[0], rows[1:]
    total = width = len(names if names is not None else rows[0])
    while width > 1 and not (names and names[width - 1]) and rows and not any(
            len(row) >= width and row[width - 1] for row in rows):
        width -= 1  # an empty last column: the trailing delimiter of a spreadsheet export
    table = Table([None] * width, names[:width] if names else None, source=path)
    indices, feature_names, id_index = select_columns(table, columns, lengths_column)
    keys = [f"c{j}" for j in range(total)]
    options = dict(blocksize=block_size, sep=delimiter if delimiter is not None else r"\s+",
                   header=0 if names is not None else None, names=keys,
                   na_values=_MISSING_SPELLINGS, keep_default_na=False, skipinitialspace=True,
                   skip_blank_lines=True, encoding="utf-8-sig")
    chosen = [keys[i] for i in indices]
    try:
        frame = dd.read_csv(path, usecols=list(dict.fromkeys(chosen)),
                            dtype=dict.fromkeys(chosen, "float64"), **options)
        X = frame[chosen].to_dask_array(lengths=True)
    except ValueError as exc:
        raise _text_error(path, exc) from None
    if X.shape[0] == 0:
        raise UsageError(f"{path} has a header but no data rows.")
    lengths = None
    if id_index is not None:
        ids = dd.read_csv(path, usecols=[keys[id_index]], dtype={keys[id_index]: "object"},
                          **options)
        lengths = _run_lengths(table, id_index, (
            part.iloc[:, 0].to_numpy(dtype=object, na_value=None)
            for part in (block.compute() for block in ids.to_delayed())))
    return FitData(X, feature_names, lengths, int(X.shape[0]),
                   sequence_column=_name_of(table, id_index))


def _spellings(word):
    # Every upper/lower-case spelling of a word ("na": na, nA, Na, NA).
    return {"".join(letters) for letters in itertools.product(*({c.lower(), c.upper()}
                                                               for c in word))}


_MISSING_SPELLINGS = sorted(set().union(*map(_spellings, MISSING)))


def _text_error(path, exc):
    message = " ".join(str(exc).split())
    prefix = "could not convert string to float: "
    if message.startswith(prefix):
        return UsageError(f"{path}: {message[len(prefix):]} is not a number; fix the cell or "
                          "leave it empty for a missing value.")
    return UsageError(f"{path} cannot be read as a table of numbers ({message}).")


def _run_lengths(table, index, blocks):
    # Lengths of the runs of equal consecutive ids, read a block of ids at a time, as
    # Table.sequence_lengths finds them: an empty id is refused, and when every id is a
    # number, 7 and 7.0 are the same id (the runs of the numbers and of the texts are both
    # followed, and the numbers' kept if no id failed to be one).
    text_runs, number_runs, numbers_only, offset = _Runs(), _Runs(), True, 0
    for values in blocks:
        values = np.asarray(values)
        if values.dtype.kind in "biuf":
            numbers = values.astype(np.float64)
            blank, texts = np.isnan(numbers), None
        else:
            texts = np.array([("" if v is None or v != v else str(v)).strip() for v in values],
                             dtype=str)
            blank = np.isin(np.char.lower(texts), MISSING)
        if blank.any():
            raise UsageError(f"{table.source} row {offset + int(np.flatnonzero(blank)[0])}, "
                             f"{table.label(index)}: the sequence id is empty; give every row "
                             "a sequence id.")
        if texts is not None:
            text_runs.add(texts, offset)
            if numbers_only:
                try:
                    numbers = texts.astype(np.float64)
                except ValueError:
                    numbers_only = False
        if numbers_only:
            number_runs.add(numbers, offset)
        offset += len(values)
    runs = number_runs if numbers_only else text_runs
    return np.diff(np.asarray(runs.starts + [offset], dtype=np.int64))


class _Runs:
    """Where runs of equal consecutive values start, fed a block of values at a time."""

    def __init__(self):
        self.starts, self.last = [], None

    def add(self, values, offset):
        """Add the run starts of one block.

        Parameters
        ----------
        values : ndarray
            The block's values.
        offset : int
            The position of its first value.
        """
        if not len(values):
            return
        change = np.empty(len(values), dtype=bool)
        change[0] = not self.starts or values[0] != self.last
        change[1:] = values[1:] != values[:-1]
        self.starts.extend((offset + np.flatnonzero(change)).tolist())
        self.last = values[-1]
