"""Data tables for the command line: CSV/TSV (header detected), ``.npy`` and Parquet.

Reading returns a :class:`Table` of named columns; models get float features from it.
Tables are written by :func:`write_table`. ``emkit fit`` opens its data without reading
it whole (:mod:`emkit.cli.fit_data`).
"""

import csv
import io
import os
import sys

import numpy as np

from emkit._files import atomic_text_write, atomic_write
from emkit.cli.errors import UsageError

__all__ = ["MISSING", "PARQUET", "PARQUET_HINT", "Table", "check_data_file", "find_delimiter",
           "is_number", "parse_column_list", "read_table", "split_rows", "write_table"]

MISSING = ("", "na", "nan", "n/a", "null", "none")
DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
PARQUET = (".parquet", ".pq")
#: Sparse count files, which only the topic models read (:mod:`emkit.cli.topics`).
SPARSE = (".npz", ".mtx")
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
        if names is not None:
            _refuse_repeats(list(names), f"The header of {source}", "give every column its "
                            "own name")
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
                row = next(i for i, cell in enumerate(filled) if not is_number(cell))
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
        if ids.dtype.kind not in "biuf" and all(map(is_number, ids)):
            ids = ids.astype(np.float64)  # 7 and 7.0 name the same sequence
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        return np.diff(np.r_[starts, len(ids)]), index


def is_number(text):
    """Return True when ``text`` reads as a number (``float`` accepts it).

    Parameters
    ----------
    text : str
        A cell.

    Returns
    -------
    number : bool
    """
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
    trailing delimiter) is dropped, and infinities are refused. Sparse matrix files
    (``.npz``, ``.mtx``) are refused: the topic models read them
    (:func:`emkit.cli.topics.read_counts`).

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
    if suffix in SPARSE:
        raise UsageError(f"{path} is a sparse matrix file, which only the topic models read "
                         "(emkit fit -m plsa or lda, emkit transform); give a CSV, TSV, .npy "
                         "or Parquet table.")
    if suffix == ".npy":
        return _read_npy(path)
    if suffix in PARQUET:
        return _read_parquet(path)
    return _read_text(path, suffix)


def _read_npy(path):
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        # numpy takes a file that is not in its format for a pickle, and says how to
        # load that unsafely: advice that does not apply to data (a CSV named .npy).
        reason = ("it is not in numpy's .npy format" if "pickle" in str(exc)
                  else " ".join(str(exc).split()))
        raise UsageError(f"{path} is not a readable .npy array ({reason}).") from None
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
    rows, lines = split_rows(text, find_delimiter(text, suffix))
    if not rows:
        raise UsageError(f"{path} holds no rows.")
    names = None
    if not all(cell.lower() in MISSING or is_number(cell) for cell in rows[0]):
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


def find_delimiter(text, suffix):
    """Return the delimiter of a text table: the extension's, unless its first line lacks it.

    A TSV named ``.csv`` is found by sniffing: the first of comma, tab and semicolon that
    occurs equally often on the first lines, else runs of whitespace.

    Parameters
    ----------
    text : str
        The file's text (or its first lines).
    suffix : str
        The file's extension, lower case (``.csv``).

    Returns
    -------
    delimiter : str or None
        None for runs of whitespace.
    """
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


def split_rows(text, delimiter):
    """Split text into rows of stripped cells, skipping blank lines.

    Parameters
    ----------
    text : str
        The file's text.
    delimiter : str or None
        What :func:`find_delimiter` returns.

    Returns
    -------
    rows : list of list of str
    lines : list of int
        The file line of each row.
    """
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
    _refuse_repeats(columns, "--columns", "give each column once")
    return columns


def _refuse_repeats(names, where, remedy):
    # One sentence for the first name given twice (an empty one too: a column is found
    # by its name, and two of one name would read the first twice): which, and where.
    seen = {}
    for position, name in enumerate(names):
        if name in seen:
            columns = f"columns {seen[name]} and {position}"
            said = (f"names {name!r} twice ({columns}, counting from 0)" if name
                    else f"leaves {columns} (counting from 0) without a name")
            raise UsageError(f"{where} {said}; {remedy}.")
        seen[name] = position


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
