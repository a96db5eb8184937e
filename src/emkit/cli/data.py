"""Data tables for the command line: CSV/TSV (header detected), ``.npy`` and Parquet.

Reading returns a :class:`Table` of named columns; models get float features from it.
"""

import csv
import io
import os
import sys

import numpy as np

from emkit.cli.errors import UsageError

__all__ = ["Table", "read_table", "write_table", "parse_column_list"]

MISSING = ("", "na", "nan", "n/a", "null", "none")
DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
PARQUET = (".parquet", ".pq")
PARQUET_HINT = "pip install pandas pyarrow"


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
        if self.has_header and key in self.names:
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
            return cells.astype(np.float64)
        filled = np.where(np.isin(np.char.lower(cells), MISSING), "nan", cells)
        try:
            return filled.astype(np.float64)
        except ValueError:
            row = next(i for i, cell in enumerate(filled) if not _is_number(cell))
            raise UsageError(
                f"{self.source} {self.row_label(row)}, {self.label(index)}: {str(cells[row])!r} is "
                "not a number; fix the cell or leave it empty for a missing value.") from None

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
        blank = np.isnan(ids) if ids.dtype.kind == "f" else (ids == "")
        if np.any(blank):
            row = int(np.flatnonzero(blank)[0])
            raise UsageError(f"{self.source} {self.row_label(row)}, {self.label(index)}: the "
                             "sequence id is empty; give every row a sequence id.")
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
    (``.csv`` comma, ``.tsv``/``.tab`` tab, others sniffed). A first text row that is not all
    numbers is a header.

    Parameters
    ----------
    path : str
        The data file.

    Returns
    -------
    table : Table
    """
    if not os.path.isfile(path):
        raise UsageError(f"data file {path!r} does not exist.")
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
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a text file; pass a CSV, TSV, .npy or Parquet "
                         "file.") from None
    rows, lines = _split_rows(text, DELIMITERS.get(suffix) or _sniff(text))
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
    return Table([cells[:, j] for j in range(width)], names, path, np.asarray(lines))


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
        if any(row):
            rows.append(row)
            lines.append(reader.line_num)
    return rows, lines


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
    needs pandas, ``.tsv`` is tab-separated, anything else is CSV with a header.

    Parameters
    ----------
    path : str or None
        The output file.
    columns : dict of str to ndarray
        Column name to 1-D values, all of the same length.
    """
    suffix = "" if path in (None, "-") else os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        np.save(path, np.column_stack(list(columns.values())))
    elif suffix in PARQUET:
        _write_parquet(path, columns)
    elif path in (None, "-"):
        _write_text(sys.stdout, columns, ",")
    else:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            _write_text(handle, columns, DELIMITERS.get(suffix, ","))


def _write_text(stream, columns, delimiter):
    writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
    writer.writerow(list(columns))
    # numpy's str of a float64 is the shortest text that reads back to the same number.
    cells = [np.asarray(values).astype(str) for values in columns.values()]
    writer.writerows(zip(*cells))


def _write_parquet(path, columns):
    try:
        import pandas
        pandas.DataFrame(columns).to_parquet(path)
    except ImportError:
        raise ImportError(f"writing Parquet files needs pandas and pyarrow: {PARQUET_HINT}") \
            from None
