"""Data tables for the command line: CSV/TSV (header detected), ``.npy`` and Parquet.

Reading returns a :class:`Table` of named columns; models get float features from it.

``emkit fit`` opens its data with :func:`open_features` instead, which reads no file whole:
a ``.npy`` file is memory-mapped, a Parquet file becomes a Dask array of one block per row
group, and a CSV/TSV file larger than one block a Dask array of blocks of text parsed one
at a time (smaller ones, and every file when Dask is not installed, are read as tables).
"""

import csv
import io
import itertools
import os
import sys
from dataclasses import dataclass

import numpy as np

from emkit._files import atomic_text_write, atomic_write
from emkit.cli.errors import UsageError

__all__ = ["BLOCK_BYTES", "FitData", "Table", "check_data_file", "open_features", "read_table",
           "write_table", "parse_column_list", "select_columns"]

MISSING = ("", "na", "nan", "n/a", "null", "none")
DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
PARQUET = (".parquet", ".pq")
PARQUET_HINT = "pip install pandas pyarrow"
#: Bytes of text parsed at a time when a CSV/TSV file is streamed (``fit --block-size``).
BLOCK_BYTES = 64 * 2**20
#: Bytes read at the head of a streamed text file to find its delimiter and header.
HEAD_BYTES = 2**16
#: Rows of a ``.npy`` file read at a time (sequence ids, Dask blocks): at most this many
#: bytes of them.
NPY_BLOCK_BYTES = 64 * 2**20


class Table:
    """Named columns read from one file.

    Parameters
    ----------
    columns : list of ndarray
        One 1-D array per column: strings (text files) or numbers.
    names : list of str, default=None
        Column names from a header; None names them ``x0, x1, ...``.
    source : str, default='data'
        The file name, for messages.
    lines : ndarray of int, default=None
        The file line of each row (text files), for messages.
    """

    def __init__(self, columns, names=None, source="data", lines=None):
        self.columns = columns
        self.has_header = names is not None
        self.names = list(names) if names is not None else [f"x{i}" for i in range(len(columns))]
        self.source = source
        self.lines = lines

    @property
    def n_rows(self):
        """int: Number of data rows."""
        return len(self.columns[0]) if self.columns else 0

    def column_index(self, key):
        """Return the position of a column given by name or 0-based index.

        Parameters
        ----------
        key : str or int
            A header name, or a 0-based index.

        Returns
        -------
        index : int
        """
        key = str(key).strip()
        if key in self.names:  # a header's names, or the x0, x1, ... messages show
            return self.names.index(key)
        if key.lstrip("-").isdigit() and 0 <= int(key) < len(self.columns):
            return int(key)
        known = ", ".join(self.names) if self.has_header else f"0 to {len(self.columns) - 1}"
        raise UsageError(f"{self.source} has no column {key!r}; its columns are {known}.")

    def label(self, index):
        """Return how messages name column ``index``.

        Parameters
        ----------
        index : int
            The column's position.

        Returns
        -------
        label : str
        """
        return f"column {self.names[index]!r}" if self.has_header else f"column {index}"

    def row_label(self, row):
        """Return how messages name data row ``row`` (0-based).

        Parameters
        ----------
        row : int
            The row's position among the data rows.

        Returns
        -------
        label : str
        """
        return f"line {self.lines[row]}" if self.lines is not None else f"row {row}"

    def numeric(self, index):
        """Return column ``index`` as float64, with missing cells as NaN.

        Parameters
        ----------
        index : int
            The column's position.

        Returns
        -------
        values : ndarray of shape (n_rows,)
        """
        cells = self.columns[index]
        if cells.dtype.kind in "biuf":
            values = cells.astype(np.float64)
        else:
            filled = np.where(np.isin(np.char.lower(cells), MISSING), "nan", cells)
            try:
                values = filled.astype(np.float64)
            except ValueError:
                row = next(i for i, cell in enumerate(filled) if not _is_number(cell))
                raise self._cell_error(index, row, "not a number") from None
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            raise self._cell_error(index, int(infinite[0]), "not a finite number")
        return values

    def _cell_error(self, index, row, problem):
        return UsageError(f"{self.source} {self.row_label(row)}, {self.label(index)}: "
                          f"{str(self.columns[index][row])!r} is {problem}; fix the cell or "
                          "leave it empty for a missing value.")

    def features(self, columns=None, exclude=()):
        """Return the float feature matrix and the names of its columns.

        Parameters
        ----------
        columns : list of str, default=None
            Columns to use (names or 0-based indices); None uses every column.
        exclude : tuple of int, default=()
            Column positions left out (e.g. a sequence-id column).

        Returns
        -------
        X : ndarray of shape (n_rows, n_features)
        names : list of str
        """
        if columns:
            indices = [self.column_index(key) for key in columns]
        else:
            indices = range(len(self.columns))
        indices = [i for i in indices if i not in exclude]
        if not indices:
            raise UsageError(f"{self.source} has no feature columns left; choose some with "
                             "--columns.")
        X = np.column_stack([self.numeric(i) for i in indices])
        return X, [self.names[i] for i in indices]

    def sequence_lengths(self, key):
        """Return the lengths of runs of equal consecutive ids in one column.

        Parameters
        ----------
        key : str or int
            The sequence-id column (name or 0-based index).

        Returns
        -------
        lengths : ndarray of int
            Length of each sequence, in order.
        index : int
            The column's position, to leave out of the features.
        """
        index = self.column_index(key)
        ids = self.columns[index]
        blank = (np.isnan(ids) if ids.dtype.kind == "f" else
                 np.isin(np.char.lower(ids.astype(str)), MISSING))
        if np.any(blank):
            row = int(np.flatnonzero(blank)[0])
            raise UsageError(f"{self.source} {self.row_label(row)}, {self.label(index)}: the "
                             "sequence id is empty; give every row a sequence id.")
        if ids.dtype.kind not in "biuf" and all(map(_is_number, ids)):
            ids = ids.astype(np.float64)  # 7 and 7.0 name the same sequence
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        return np.diff(np.r_[starts, len(ids)]), index


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_table(path):
    """Read a data file into a :class:`Table`.

    The format follows the extension: ``.npy``, ``.parquet``/``.pq``, and text otherwise
    (UTF-8, or UTF-16 with a byte-order mark): ``.csv`` comma, ``.tsv``/``.tab`` tab, sniffed
    when the first line lacks that delimiter and for other extensions. A first text row that
    is not all numbers is a header; blank lines are skipped, an empty last column (a
    trailing delimiter) is dropped, and infinities are refused.

    Parameters
    ----------
    path : str
        The data file.

    Returns
    -------
    table : Table
    """
    check_data_file(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        return _read_npy(path)
    if suffix in PARQUET:
        return _read_parquet(path)
    return _read_text(path, suffix)


def _read_npy(path):
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UsageError(f"{path} is not a readable .npy array ({exc}).") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.dtype.kind not in "biuf" or array.size == 0:
        raise UsageError(f"{path} holds a {array.ndim}-D {array.dtype} array with shape "
                         f"{array.shape}; save a non-empty 2-D (or 1-D) numeric array.")
    return Table([array[:, j] for j in range(array.shape[1])], source=path)


def _read_parquet(path):
    try:
        import pandas
        frame = pandas.read_parquet(path)
    except ImportError:
        raise ImportError(f"reading Parquet files needs pandas and pyarrow: {PARQUET_HINT}") \
            from None
    columns = [_frame_column(frame[name]) for name in frame.columns]
    if not columns or len(frame) == 0:
        raise UsageError(f"{path} holds no data rows.")
    return Table(columns, [str(name) for name in frame.columns], source=path)


def _frame_column(series):
    if series.dtype.kind in "biuf":
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.array(["" if value is None or value != value else str(value)
                     for value in series], dtype=str)


def _read_text(path, suffix):
    text = _decode(path)
    rows, lines = _split_rows(text, _delimiter(text, suffix))
    if not rows:
        raise UsageError(f"{path} holds no rows.")
    names = None
    if not all(cell.lower() in MISSING or _is_number(cell) for cell in rows[0]):
        names, rows, lines = rows[0], rows[1:], lines[1:]
        if not rows:
            raise UsageError(f"{path} has a header but no data rows.")
    width = len(names if names is not None else rows[0])
    for row, line in zip(rows, lines):
        if len(row) != width:
            raise UsageError(f"{path} line {line} has {len(row)} cells but the "
                             f"{'header' if names else 'first row'} has {width}; every row "
                             "needs the same number of cells.")
    cells = np.array(rows, dtype=str).reshape(len(rows), width)
    while width > 1 and not (names and names[width - 1]) and not np.any(cells[:, width - 1]):
        width -= 1  # an empty last column: the trailing delimiter of a spreadsheet export
    names = names[:width] if names else None
    return Table([cells[:, j] for j in range(width)], names, path, np.asarray(lines))


def _decode(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    # Spreadsheets save "Unicode text" as UTF-16 with a byte-order mark.
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; save it as a UTF-8 CSV or TSV file (or "
                         "pass a .npy or Parquet file).") from None


def _delimiter(text, suffix):
    # The extension's delimiter, unless the first line does not hold it (a TSV named .csv).
    delimiter = DELIMITERS.get(suffix)
    first = next((line for line in text.splitlines() if line.strip()), "")
    return delimiter if delimiter is not None and delimiter in first else _sniff(text)


def _sniff(text):
    # The first of , tab ; that occurs equally often (and at least once) on the first
    # lines; otherwise runs of whitespace (None) when they split every line alike.
    lines = [line for line in text.splitlines()[:50] if line.strip()][:20]
    for delimiter in (",", "\t", ";"):
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return delimiter
    widths = {len(line.split()) for line in lines}
    return None if len(widths) == 1 and widths.pop() > 1 else ","


def _split_rows(text, delimiter):
    rows, lines = [], []
    if delimiter is None:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                rows.append(line.split())
                lines.append(number)
        return rows, lines
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        row = [cell.strip() for cell in row]
        if len(row) > 1 or any(row):  # a blank line is skipped, a row of empty cells kept
            rows.append(row)
            lines.append(reader.line_num)
    return rows, lines


# -- what ``emkit fit`` reads: never a whole file ---------------------------------------

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


def check_data_file(path):
    """Refuse a data file that does not exist or is a folder, in one sentence.

    Parameters
    ----------
    path : str
        The data file.
    """
    if os.path.isdir(path):
        raise UsageError(f"{path!r} is a folder; give the data file's path.")
    if not os.path.isfile(path):
        raise UsageError(f"data file {path!r} does not exist.")


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
    delimiter = _delimiter(text, suffix)
    rows, _ = _split_rows(text, delimiter)
    if not rows:
        raise UsageError(f"{path} holds no rows.")
    names = None
    if not all(cell.lower() in MISSING or _is_number(cell) for cell in rows[0]):
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


def parse_column_list(text):
    """Split a ``--columns`` value ``a,b,c`` into its names.

    Parameters
    ----------
    text : str
        Comma-separated names or 0-based indices.

    Returns
    -------
    columns : list of str
    """
    columns = [part.strip() for part in text.split(",") if part.strip()]
    if not columns:
        raise UsageError("--columns needs at least one column name or index, e.g. a,b,c.")
    return columns


def write_table(path, columns):
    """Write named columns to ``path`` (``-`` or None: CSV on stdout).

    ``.npy`` gets a 2-D float array (or int when all columns are integers), ``.parquet``
    needs pandas, ``.tsv`` is tab-separated, anything else is CSV with a header. A file
    is written whole or not at all: an existing one is replaced only once the new one is
    complete.

    Parameters
    ----------
    path : str or None
        The output file.
    columns : dict of str to ndarray
        Column name to 1-D values, all of the same length.
    """
    if path in (None, "-"):
        _write_text(sys.stdout, columns, ",")
        return
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        atomic_write(path, lambda stream: np.save(stream, np.column_stack(list(
            columns.values()))))
    elif suffix in PARQUET:
        _write_parquet(path, columns)
    else:
        atomic_text_write(path, lambda text: _write_text(text, columns,
                                                         DELIMITERS.get(suffix, ",")))


def _write_text(stream, columns, delimiter):
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
    writer.writerow(list(columns))
    # numpy's str of a float64 is the shortest text that reads back to the same number.
    cells = [np.asarray(values).astype(str) for values in columns.values()]
    writer.writerows(zip(*cells))


def _write_parquet(path, columns):
    try:
        import pandas
        frame = pandas.DataFrame(columns)
        atomic_write(path, frame.to_parquet)
    except ImportError:
        raise ImportError(f"writing Parquet files needs pandas and pyarrow: {PARQUET_HINT}") \
            from None
