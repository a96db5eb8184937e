"""Check the numpydoc docstrings of emkit's public API against the signatures.

The public objects are discovered: everything in ``emkit.__all__``, the
exports of ``emkit.datasets`` and of any module listed in an ``__all__``, and
the public methods (defined in emkit) of every class found.
"""

import ast
import importlib
import inspect
import re
import types

import numpy as np
import pytest
from numpydoc.docscrape import NumpyDocString

import emkit

SKIPPED_PARAMS = {"self", "cls"}
OPTIONAL = re.compile(r"\boptional\b")


def _module_members(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
        members = [getattr(module, n) for n in names]
        return [m for m in members if getattr(m, "__module__", None) == module.__name__]
    return [getattr(module, n) for n in names]


def _public_methods(cls):
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        attr = getattr(cls, name)
        if inspect.isfunction(attr) or inspect.ismethod(attr):
            if (getattr(attr, "__module__", None) or "").startswith("emkit"):
                yield attr


def _discover():
    modules = [emkit]
    try:
        modules.append(importlib.import_module("emkit.datasets"))
    except ModuleNotFoundError as exc:
        if exc.name != "emkit.datasets":
            raise
    found, seen_modules, seen = [], set(), set()
    while modules:
        module = modules.pop(0)
        if module.__name__ in seen_modules:
            continue
        seen_modules.add(module.__name__)
        for obj in _module_members(module):
            if isinstance(obj, types.ModuleType):
                modules.append(obj)
            elif inspect.isclass(obj) or inspect.isfunction(obj):
                candidates = [obj]
                if inspect.isclass(obj):
                    candidates += list(_public_methods(obj))
                for cand in candidates:
                    key = id(getattr(cand, "__func__", cand))
                    if key not in seen:
                        seen.add(key)
                        found.append(cand)
    return found


def _name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def _signature_params(obj):
    func = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # e.g. object.__init__ from C
        return {}
    return {
        p.name: p.default
        for p in params
        if p.name not in SKIPPED_PARAMS
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def _same_default(text, default):
    text = text.strip().rstrip(".").strip("`")
    if text in (repr(default), str(default)):
        return True
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        try:  # e.g. default=np.inf
            value = eval(text, {"__builtins__": {}, "np": np, "numpy": np})
        except Exception:
            return False
    if isinstance(value, bool) != isinstance(default, bool):
        return False
    try:
        return bool(value == default)
    except Exception:
        return False


def _check_param(name, type_line, default, problems):
    has_default = default is not inspect.Parameter.empty
    match = re.search(r"default\s*=\s*(.+)$", type_line)
    if match is None:
        if has_default:
            problems.append(
                f"{name!r}: type line {type_line!r} lacks default={default!r}"
            )
        elif OPTIONAL.search(type_line):
            problems.append(f"{name!r}: documented as optional but has no default")
    elif not has_default:
        problems.append(f"{name!r}: documents a default but the signature has none")
    elif not _same_default(match.group(1), default):
        problems.append(
            f"{name!r}: documented default={match.group(1).strip()} "
            f"but the signature has {default!r}"
        )


def _problems(obj):
    doc = inspect.getdoc(obj)
    if not doc:
        return ["no docstring"]
    try:
        parsed = NumpyDocString(doc)
    except Exception as exc:  # malformed docstring
        return [f"docstring does not parse: {exc}"]
    problems = []
    summary = parsed["Summary"]
    if len(summary) != 1 or not summary[0].strip():
        problems.append(f"summary is not a single line: {summary!r}")
    documented = {}
    for param in parsed["Parameters"]:
        for name in param.name.split(","):
            documented[name.strip()] = param.type
    signature = _signature_params(obj)
    for name, default in signature.items():
        if name not in documented:
            problems.append(f"{name!r}: in the signature but not documented")
        else:
            _check_param(name, documented[name], default, problems)
    for name in documented:
        if name not in signature and not name.startswith("*"):
            problems.append(f"{name!r}: documented but not in the signature")
    return problems


PUBLIC = _discover()


@pytest.mark.parametrize("obj", PUBLIC, ids=_name)
def test_docstring_matches_signature(obj):
    problems = _problems(obj)
    assert not problems, f"{_name(obj)}:\n  " + "\n  ".join(problems)
