"""The column groups of an :class:`~emkit.families.independent.Independent` family.

Each part of the family models a group of the columns of ``X``, given as a list of
indices or a slice. Here the groups are resolved to tuples of indices and checked to
cover every column once, and the messages of a part, which count the columns of its own
group, are rewritten to name the columns of ``X``.
"""

import re

import numpy as np

__all__ = ["check_cover", "column_groups", "part_width", "with_data_columns"]

_COLUMN = re.compile(r"\b([Cc]olumn) (\d+)\b")


def part_width(family):
    """Return the number of columns a part models, or None when it does not say.

    Parameters
    ----------
    family : Family
        The part.

    Returns
    -------
    width : int or None
    """
    width = getattr(family, "n_features", None)
    if width is not None:
        return int(width)
    names = getattr(family, "component_fields", ())
    if names:
        shape = np.shape(getattr(family, names[0]))
        if len(shape) >= 2:
            return int(shape[1])
    return None


def column_groups(families, columns):
    """Return the column group of every part as a tuple of ints, checked.

    Parameters
    ----------
    families : tuple of Family
        The parts.
    columns : slice or sequence of (list of int or slice)
        One column group per part.

    Returns
    -------
    groups : tuple of tuple of int
        Each as long as its part is wide, where the part says its width.
    """
    specs = [columns] if isinstance(columns, slice) else list(columns)
    if len(specs) != len(families):
        raise ValueError(f"columns must hold one column group per family: got "
                         f"{len(specs)} group(s) for {len(families)} families.")
    groups = tuple(_resolve(spec, f, j) for j, (spec, f) in enumerate(zip(specs, families)))
    for j, (f, cols) in enumerate(zip(families, groups)):
        width = part_width(f)
        if width is not None and width != len(cols):
            raise ValueError(f"The {type(f).__name__} part (families[{j}]) has {width} "
                             f"column(s), but columns[{j}] names {len(cols)}.")
    return groups


def check_cover(groups):
    """Raise a ValueError unless the groups hold every column ``0`` to ``D - 1`` once.

    Parameters
    ----------
    groups : tuple of tuple of int
        The resolved column groups.
    """
    used = sorted(c for cols in groups for c in cols)
    if used != list(range(len(used))):
        raise ValueError("The column groups must hold every column from 0 to "
                         "n_features - 1 exactly once; got "
                         f"{[list(cols) for cols in groups]}.")


def _resolve(spec, family, j):
    # One column group (a slice, an int or a sequence of ints) as a tuple of ints.
    if isinstance(spec, slice):
        return _resolve_slice(spec, family, j)
    values = np.atleast_1d(np.asarray(spec))
    if values.ndim != 1 or values.size == 0 or not np.issubdtype(values.dtype, np.integer) \
            or np.any(values < 0):
        raise ValueError(f"columns[{j}] must be a non-empty list of non-negative column "
                         f"indices or a slice; got {spec!r}.")
    return tuple(int(v) for v in values)


def _resolve_slice(spec, family, j):
    start = 0 if spec.start is None else spec.start
    step = 1 if spec.step is None else spec.step
    if spec.stop is None:
        width = part_width(family)
        if width is None:
            raise ValueError(f"columns[{j}] is a slice without a stop, but the "
                             f"{type(family).__name__} part does not say its width.")
        stop = start + step * width
    else:
        stop = spec.stop
    if start < 0 or stop < 0 or step <= 0:
        raise ValueError(f"columns[{j}] must be a slice with non-negative start and stop "
                         f"and a positive step; got {spec!r}.")
    return tuple(range(start, stop, step))


def with_data_columns(message, cols, part_name):
    """Return a part's message with its column numbers turned into those of ``X``.

    Parameters
    ----------
    message : str
        The part's message, which counts the columns of its own group.
    cols : tuple of int
        The part's column group.
    part_name : str
        The part's class name, for a message that names no column.

    Returns
    -------
    message : str
        ``column d`` becomes ``column cols[d]``; a message naming no column gets the part
        and its columns appended.
    """
    named = [False]

    def original(match):
        local = int(match.group(2))
        if local >= len(cols):
            return match.group(0)
        named[0] = True
        return f"{match.group(1)} {cols[local]}"

    message = _COLUMN.sub(original, message)
    if not named[0]:
        message = f"{message.rstrip('.')} (in the {part_name} part on columns {list(cols)})."
    return message
