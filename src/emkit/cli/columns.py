"""What a model file written by ``emkit fit`` remembers of its data, and text categories.

The feature columns (names, and for text the sorted categories coded 0..C-1), the
sequence-id column and the log-likelihood of the final parameters are kept as the model
file's metadata, so ``predict``, ``score``, ``sample`` and ``info`` need not be told again.
"""

from dataclasses import dataclass, field

import numpy as np

from emkit.cli.data import MISSING
from emkit.cli.errors import UsageError
from emkit.exceptions import ModelFileError

__all__ = ["CATEGORY_MODELS", "Column", "DataRecord", "encode_columns"]

#: The models that take text categories, and the most categories a column may have.
CATEGORY_MODELS = {"categorical": None, "hmm-categorical": None, "bernoulli": 2}
#: Categories named in a message before "...".
SHOWN_CATEGORIES = 10


@dataclass(frozen=True)
class Column:
    """One feature column: its name, and its text categories (None for numbers).

    Parameters
    ----------
    name : str
        The column's name (a header name, or ``x0, x1, ...``).
    categories : tuple of str, default=None
        The text values, sorted, whose codes are their positions; None for numbers.
    """

    name: str
    categories: tuple = None

    def encode(self, table, index):
        """Return column ``index`` of ``table`` as numbers (codes for text categories).

        Parameters
        ----------
        table : Table
            The data.
        index : int
            The column's position in ``table``.

        Returns
        -------
        values : ndarray of shape (n_rows,)
            Float64; missing cells are NaN.
        """
        if self.categories is None:
            return table.numeric(index)
        cells, missing = _text_cells(table.columns[index])
        known = np.asarray(self.categories, dtype=str)
        codes = np.searchsorted(known, cells)
        codes[codes == len(known)] = 0
        unseen = ~missing & (known[codes] != cells) if len(known) else ~missing
        if np.any(unseen):
            row = int(np.flatnonzero(unseen)[0])
            raise UsageError(f"{table.source} {table.row_label(row)}, {table.label(index)}: "
                             f"{str(cells[row])!r} is not a category the model was fitted on "
                             f"({_listed(self.categories)}).")
        return np.where(missing, np.nan, codes.astype(np.float64))

    def decode(self, values):
        """Return drawn values as the column shows them: text for categories.

        Parameters
        ----------
        values : ndarray of shape (n_rows,)
            Numbers (codes for text categories).

        Returns
        -------
        cells : ndarray of shape (n_rows,)
        """
        if self.categories is None:
            return values
        return np.asarray(self.categories, dtype=str)[np.asarray(values, dtype=np.int64)]

    def to_dict(self):
        """Return the column as the JSON object a model file keeps.

        Returns
        -------
        record : dict
        """
        if self.categories is None:
            return {"name": self.name, "type": "number"}
        return {"name": self.name, "type": "category", "categories": list(self.categories)}

    @classmethod
    def from_dict(cls, record):
        """Rebuild a column from :meth:`to_dict`'s object, checking its form.

        Parameters
        ----------
        record : dict
            The object read from a model file.

        Returns
        -------
        column : Column
        """
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            raise ModelFileError("its metadata names a column without a name.")
        kind = record.get("type")
        if kind == "number":
            return cls(record["name"])
        categories = record.get("categories")
        if kind != "category" or not isinstance(categories, list) or not all(
                isinstance(c, str) for c in categories) or categories != sorted(set(categories)):
            raise ModelFileError(f"its metadata gives column {record['name']!r} no type "
                                 "'number', nor 'category' with sorted distinct categories.")
        return cls(record["name"], tuple(categories))


@dataclass
class DataRecord:
    """What ``emkit fit`` keeps of its data in the model file's metadata.

    Parameters
    ----------
    columns : list of Column, default=[]
        The feature columns, in the model's order; empty when unknown (an older file, or
        a model saved from Python).
    sequence_column : str, default=None
        The sequence-id column of an HMM's data.
    log_likelihood : float, default=None
        Total log-likelihood of the data under the final parameters.
    n_samples : int, default=None
        Rows of the data.
    """

    columns: list = field(default_factory=list)
    sequence_column: str = None
    log_likelihood: float = None
    n_samples: int = None

    @property
    def names(self):
        """list of str: The feature columns' names."""
        return [column.name for column in self.columns]

    def to_metadata(self):
        """Return the record as the model file's metadata.

        Returns
        -------
        metadata : dict
        """
        return {"columns": [column.to_dict() for column in self.columns],
                "sequence_column": self.sequence_column,
                "fit": {"log_likelihood": self.log_likelihood, "n_samples": self.n_samples}}

    @classmethod
    def from_metadata(cls, metadata):
        """Read the record from a model file's metadata (empty for a file without one).

        Parameters
        ----------
        metadata : dict
            What :func:`emkit.io.load` returns with ``with_metadata=True``.

        Returns
        -------
        record : DataRecord
        """
        columns = metadata.get("columns", [])
        sequence = metadata.get("sequence_column")
        fit = metadata.get("fit", {})
        if not isinstance(columns, list) or not (sequence is None or isinstance(sequence, str)):
            raise ModelFileError("its metadata's columns are not a list, or its sequence "
                                 "column is not a name.")
        if not isinstance(fit, dict):
            raise ModelFileError("its metadata's fit is not an object.")
        total, n = fit.get("log_likelihood"), fit.get("n_samples")
        if not (total is None or isinstance(total, (int, float))) or not (
                n is None or (type(n) is int and n > 0)):
            raise ModelFileError("its metadata's fit has no number for log_likelihood, or "
                                 "no positive whole number for n_samples.")
        return cls([Column.from_dict(c) for c in columns], sequence,
                   None if total is None else float(total), n)


def encode_columns(table, indices, model):
    """Return the chosen columns as numbers, text categories coded for the models that take them.

    A column with a cell that is not a number is text: for the models of
    :data:`CATEGORY_MODELS` its sorted distinct values become codes 0..C-1 (missing
    cells stay missing); for other models it is refused as :meth:`Table.numeric` does.

    Parameters
    ----------
    table : Table
        The data.
    indices : list of int
        The feature columns' positions.
    model : str
        The ``--model`` name.

    Returns
    -------
    X : ndarray of shape (n_rows, len(indices))
    columns : list of Column
    """
    columns = []
    for index in indices:
        categories = None
        if model in CATEGORY_MODELS and _is_text(table.columns[index]):
            categories = _categories(table, index, CATEGORY_MODELS[model], model)
        columns.append(Column(table.names[index], categories))
    X = np.column_stack([column.encode(table, i) for column, i in zip(columns, indices)])
    return X, columns


def _text_cells(cells):
    # The cells as stripped text, and where they are missing.
    if cells.dtype.kind in "biuf":
        numbers = cells.astype(np.float64)
        missing = np.isnan(numbers)
        return np.array([_number_text(v) for v in numbers], dtype=str), missing
    text = np.char.strip(cells.astype(str))
    return text, np.isin(np.char.lower(text), MISSING)


def _number_text(value):
    return str(int(value)) if np.isfinite(value) and value == int(value) else str(value)


def _is_text(cells):
    if cells.dtype.kind in "biuf":
        return False
    text, missing = _text_cells(cells)
    try:
        text[~missing].astype(np.float64)
    except ValueError:
        return True
    return False


def _categories(table, index, most, model):
    text, missing = _text_cells(table.columns[index])
    categories = tuple(sorted(set(text[~missing].tolist())))
    if most is not None and len(categories) > most:
        raise UsageError(f"{table.source} {table.label(index)} holds {len(categories)} distinct "
                         f"values ({_listed(categories)}); a {model} model takes at most "
                         f"{most} per column (e.g. yes/no), so choose --model categorical.")
    return categories


def _listed(categories):
    shown = ", ".join(categories[:SHOWN_CATEGORIES])
    return shown + (", ..." if len(categories) > SHOWN_CATEGORIES else "")
