"""The files a command writes, checked before any work: each can be written, or one error.

A path that cannot be written (no such folder, no permission, a folder or device in its
place, an input of the same command) and a format whose optional package is not
installed (plots need matplotlib, images Pillow, Parquet pandas and pyarrow) stop the
command with one line and exit status 2 before it reads or fits anything.
"""

import importlib
import os

from emkit.cli.data import DELIMITERS, PARQUET, PARQUET_HINT
from emkit.cli.errors import UsageError

__all__ = ["PLOT_HINT", "check_folder", "check_images", "check_outputs", "check_plots",
           "check_tables"]

PLOT_HINT = "pip install 'emkit[plot]'"
IMAGE_HINT = "pip install 'emkit[image]'"


def check_outputs(*paths, inputs=()):
    """Refuse, before any work, output paths that cannot be written or would lose an input.

    Parameters
    ----------
    *paths : str or None
        Output files; None and ``-`` (standard output) are skipped. A ``.parquet`` or
        ``.pq`` file needs pandas and pyarrow.
    inputs : tuple of str, default=()
        The files the command reads, which an output must not replace.
    """
    from emkit._files import check_replaceable
    for path in paths:
        if path is None or path == "-":
            continue
        folder = os.path.dirname(os.path.realpath(path))  # a link's target's folder
        if not os.path.isdir(folder):
            raise UsageError(f"the folder of {path!r} does not exist; create it first.")
        check_replaceable(path)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"cannot write {path!r}: its folder is not writable (permission "
                             "denied); write it to another folder.")
        if any(_same_file(path, source) for source in inputs):
            raise UsageError(f"{path!r} is also an input of this command; write the "
                             "output to another file.")
        if os.path.splitext(path)[1].lower() in PARQUET:
            _need(("pandas", "pyarrow"), f"writing {path!r} needs pandas and pyarrow: "
                                         f"{PARQUET_HINT}.")


def check_tables(*paths):
    """Refuse output tables whose extension names no format the command line writes.

    Parameters
    ----------
    *paths : str or None
        Table files (None and ``-``, standard output, are skipped), already checked by
        :func:`check_outputs`.
    """
    known = (*DELIMITERS, ".npy", *PARQUET)
    for path in paths:
        if path is None or path == "-":
            continue
        suffix = os.path.splitext(path)[1].lower()
        if suffix not in known:
            kind = f"{suffix} files" if suffix else "a file without an extension"
            raise UsageError(f"-o {path}: emkit cannot write {kind}; use .csv, .tsv, .npy or "
                             ".parquet.")


def check_plots(*paths, option="--plot"):
    """Refuse plot files when matplotlib is missing or cannot write their format.

    Parameters
    ----------
    *paths : str or None
        Plot files (None is skipped), already checked by :func:`check_outputs`.
    option : str, default='--plot'
        The option that named them, for the message.
    """
    for path in filter(None, paths):
        _need(("matplotlib",), f"{option} {path} needs matplotlib to draw the plot: "
                               f"{PLOT_HINT}.")
        from matplotlib.backend_bases import FigureCanvasBase
        formats = FigureCanvasBase.get_supported_filetypes()
        suffix = os.path.splitext(path)[1].lower().lstrip(".")
        if suffix not in formats:
            kind = f"{suffix} files" if suffix else "a file without an extension"
            raise UsageError(f"{option} {path}: matplotlib cannot write {kind}; use .png, .pdf "
                             "or .svg.")


def check_images(*paths):
    """Refuse image files other than ``.npy`` when Pillow is missing or lacks their format.

    Parameters
    ----------
    *paths : str or None
        Image files (None is skipped), already checked by :func:`check_outputs`.
    """
    for path in filter(None, paths):
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".npy":
            continue
        _need(("PIL",), f"writing {path!r} needs Pillow: {IMAGE_HINT} (or write a .npy "
                        "file).")
        from PIL import Image
        if suffix not in Image.registered_extensions():
            raise UsageError(f"cannot tell the image format of {path!r} from its extension; "
                             "use .png, .jpg, .tif or .npy.")


def check_folder(path, option="--out", plots=False):
    """Refuse a folder that cannot be made or written to.

    Parameters
    ----------
    path : str
        The folder; it and any missing parents are created by the command.
    option : str, default='--out'
        The option that named it, for the message.
    plots : bool, default=False
        The folder is for plots: refuse it too when matplotlib is missing.
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{option} {path!r} is a file, not a folder; give a folder.")
    existing = os.path.realpath(path)
    while not os.path.isdir(existing):
        existing = os.path.dirname(existing)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write into {option} {path!r}: {existing!r} is not writable "
                         "(permission denied).")
    if plots:
        _need(("matplotlib",), f"{option} {path} is a folder for plots, which need "
                               f"matplotlib: {PLOT_HINT}.")


def _need(modules, message):
    for module in modules:
        if not _installed(module):
            raise UsageError(message)


def _installed(module):
    # Imported, not only found: a package that is there but fails to import is missing.
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _same_file(path, other):
    try:
        return os.path.samefile(path, other)
    except OSError:  # one of them does not exist
        return False
