"""Values in a model file: JSON nodes for numbers, strings, containers, arrays and families.

Arrays leave the JSON as named ``.npy`` members, built-in families are written as their
class name and fields, and nothing is pickled, so reading a file never runs its code.
"""

import math
import re

import numpy as np

from emkit import families as _families
from emkit.estimators.hmm import ConvergenceMonitor
from emkit.estimators.hmm._monitor import as_record
from emkit.exceptions import ModelFileError
from emkit.families.base import Family
from emkit.families.custom import DensityFamily

__all__ = ["BUILTIN_FAMILIES", "Decoder", "Encoder"]

#: The families a model file can hold, by class name: emkit's own, whose fields are data.
BUILTIN_FAMILIES = {name: obj for name, obj in vars(_families).items()
                    if name in _families.__all__ and isinstance(obj, type)
                    and issubclass(obj, Family) and obj not in (Family, DensityFamily)}

_MAX_DEPTH = 64
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def _float_node(value):
    if math.isfinite(value):
        return value
    return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}


class Encoder:
    """Turn values into JSON nodes, collecting their arrays by name.

    Attributes
    ----------
    arrays : dict of str to ndarray
        The arrays met so far, by the name their nodes refer to.
    """

    def __init__(self):
        self.arrays = {}

    def encode(self, value, where):
        """Return the JSON node of ``value``.

        Parameters
        ----------
        value : object
            None, bool, int, float, str, ndarray, list, tuple, dict with str keys, a
            built-in family or an HMM's monitor (saved as a ``ConvergenceMonitor``), nested
            freely.
        where : str
            Where the value sits (e.g. ``'attributes/means_'``): names its arrays and
            the error message.

        Returns
        -------
        node : object
            A JSON-ready value.
        """
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return _float_node(float(value))
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, (list, tuple)):
            items = [self.encode(item, f"{where}/{i}") for i, item in enumerate(value)]
            return {"$tuple": items} if isinstance(value, tuple) else items
        if isinstance(value, dict):
            return self._dict(value, where)
        if isinstance(value, Family):
            return self._family(value, where)
        record = as_record(value)
        if record is not None:  # an HMM's monitor_, a user's class saved as emkit's record
            return self._monitor(record, where)
        raise TypeError(f"Cannot save {where}: a {type(value).__name__} value; model files "
                        "hold numbers, strings, arrays, lists, dicts and emkit's built-in "
                        "families.")

    def _array(self, array, where):
        if array.dtype == object and array.ndim == 1 and all(isinstance(s, str) for s in array):
            return {"$strings": list(array)}  # e.g. feature_names_in_
        if array.dtype.hasobject:
            raise TypeError(f"Cannot save {where}: it is an array of Python objects, which a "
                            "model file cannot hold without pickle; convert it to numbers.")
        if array.dtype.kind not in "biufc" or array.dtype.names is not None:
            raise TypeError(f"Cannot save {where}: arrays of dtype {array.dtype} are not "
                            "supported; model files hold boolean, integer, float and complex "
                            "arrays.")
        base = "/".join(_UNSAFE.sub("_", part) or "_" for part in where.split("/"))
        name, count = base, 0
        while name in self.arrays:  # two keys that differ only in unsafe characters
            count += 1
            name = f"{base}-{count}"
        self.arrays[name] = array
        return {"$array": name}

    def _dict(self, value, where):
        # A plain JSON object, unless a key could be taken for a tag.
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"Cannot save {where}: its key {key!r} is not a string.")
        items = [[key, self.encode(item, f"{where}/{key}")] for key, item in value.items()]
        if any(key.startswith("$") for key in value):
            return {"$dict": items}
        return dict(items)

    def _family(self, family, where):
        cls = type(family)
        if issubclass(cls, DensityFamily):
            raise TypeError(
                f"Cannot save {where}: the {cls.__name__} family was made by density_family, "
                "and its log-density is code that a model file does not hold; save its "
                "parameters (to_dict()) and rebuild the family in code instead.")
        if BUILTIN_FAMILIES.get(cls.__name__) is not cls:
            raise TypeError(
                f"Cannot save {where}: {cls.__name__} is not one of emkit's built-in "
                "families, and a model file cannot rebuild it without running its code; save "
                "its parameters (to_dict()) and rebuild the family in code instead.")
        return {"$family": cls.__name__, "fields": self._dict(family.to_dict(), where)}

    def _monitor(self, monitor, where):
        fields = {"tol": monitor.tol, "n_iter": monitor.n_iter, "verbose": monitor.verbose,
                  "history": list(monitor.history), "iter": monitor.iter,
                  "converged": monitor.converged}
        return {"$monitor": self._dict(fields, where)}


class Decoder:
    """Turn JSON nodes back into values, taking arrays from the ones read from the file.

    Parameters
    ----------
    arrays : dict of str to ndarray
        The file's arrays, by name.
    """

    def __init__(self, arrays):
        self.arrays = arrays

    def decode(self, node, where, depth=0):
        """Return the value of ``node``; a malformed node raises :class:`ModelFileError`.

        Parameters
        ----------
        node : object
            A node parsed from ``model.json``.
        where : str
            Where the node sits, for the error message.
        depth : int, default=0
            Nesting depth so far (bounded, so a hostile file cannot exhaust the stack).

        Returns
        -------
        value : object
        """
        if depth > _MAX_DEPTH:
            raise ModelFileError(f"{where} is nested more than {_MAX_DEPTH} levels deep.")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(item, f"{where}/{i}", depth + 1) for i, item in enumerate(node)]
        if isinstance(node, dict):
            tags = [key for key in node if key.startswith("$")]
            if not tags:
                return {key: self.decode(value, f"{where}/{key}", depth + 1)
                        for key, value in node.items()}
            expected = {"$family", "fields"} if tags[0] == "$family" else {tags[0]}
            if len(tags) == 1 and set(node) == expected:
                decode = getattr(self, "_tag_" + tags[0][1:], None)
                if decode is not None:
                    return decode(node, where, depth + 1)
        raise ModelFileError(f"{where} holds a value emkit does not write: {_preview(node)}.")

    def _tag_array(self, node, where, depth):
        name = node["$array"]
        if not isinstance(name, str) or name not in self.arrays:
            raise ModelFileError(f"{where} refers to the array {_preview(name)}, which the "
                                 "manifest does not list.")
        return self.arrays[name]

    def _tag_strings(self, node, where, depth):
        strings = node["$strings"]
        if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
            raise ModelFileError(f"{where} is not a list of strings.")
        return np.array(strings, dtype=object)

    def _tag_float(self, node, where, depth):
        value = _SPECIAL_FLOATS.get(node["$float"]) if isinstance(node["$float"], str) else None
        if value is None:
            raise ModelFileError(f"{where} is not 'nan', 'inf' or '-inf'.")
        return value

    def _tag_tuple(self, node, where, depth):
        items = node["$tuple"]
        if not isinstance(items, list):
            raise ModelFileError(f"{where} is a tuple without a list of items.")
        return tuple(self.decode(items, where, depth))

    def _tag_dict(self, node, where, depth):
        items = node["$dict"]
        if not isinstance(items, list) or not all(
                isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                for item in items):
            raise ModelFileError(f"{where} is a dict without a list of [key, value] pairs.")
        return {key: self.decode(value, f"{where}/{key}", depth) for key, value in items}

    def _tag_family(self, node, where, depth):
        name = node["$family"]
        cls = BUILTIN_FAMILIES.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ModelFileError(f"{where} names the unknown family {_preview(name)}; it was "
                                 "saved by a newer emkit or edited, so upgrade emkit.")
        fields = self.decode(node["fields"], where, depth)
        if not isinstance(fields, dict):
            raise ModelFileError(f"{where} gives the {name} family no dict of fields.")
        try:
            return cls.from_dict(fields)
        except Exception as exc:  # whatever the family's own checks raise
            raise ModelFileError(f"{where} holds a {name} family that cannot be rebuilt "
                                 f"({exc}).") from None

    def _tag_monitor(self, node, where, depth):
        fields = self.decode(node["$monitor"], where, depth)
        types = {"tol": (int, float), "n_iter": int, "verbose": (bool, int),
                 "history": list, "iter": int, "converged": bool}
        if not isinstance(fields, dict) or set(fields) != set(types) or not all(
                isinstance(fields[key], kind) for key, kind in types.items()) or not all(
                isinstance(v, (int, float)) for v in fields["history"]):
            raise ModelFileError(f"{where} is not a convergence monitor record.")
        return ConvergenceMonitor.restored(**fields)


def _preview(node):
    text = repr(node)
    return text if len(text) <= 60 else text[:57] + "..."
