"""What a command prints: text lines for people, or one JSON object with ``--json``.

Warnings raised while a command runs become ``emkit: warning:`` lines on stderr.
"""

import json
import logging
import math
import warnings
from contextlib import contextmanager

import numpy as np

from emkit.cli.errors import show_warning
from emkit.cli.progress import bars_wanted, print_line

__all__ = ["Output", "to_jsonable"]


def to_jsonable(value):
    """Convert numpy values, arrays and non-finite floats into plain JSON values.

    Parameters
    ----------
    value : object
        A number, string, array, list, tuple or dict of those.

    Returns
    -------
    plain : object
        The same data with lists for arrays and None for NaN and infinities; other
        objects become their ``repr``.
    """
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return repr(value)


class Output:
    """Where one command's results, notes and warnings go.

    Parameters
    ----------
    json : bool, default=False
        Print one JSON object on stdout instead of text.
    quiet : bool, default=False
        Print no text results or notes (warnings and errors still go to stderr).
    """

    def __init__(self, json=False, quiet=False):
        self.json = json
        self.quiet = quiet
        self.warnings = []
        self.notes = []

    @property
    def bars(self):
        """bool: Whether progress bars should be drawn."""
        return bars_wanted(self.quiet, self.json)

    def emit(self, record, lines=()):
        """Print a command's result: ``record`` as JSON, or ``lines`` as text.

        Parameters
        ----------
        record : dict
            The machine-readable result (``--json``); warnings and notes are added.
        lines : sequence of str, default=()
            The text for people.
        """
        if self.json:
            record = {**record, "warnings": self.warnings, "notes": self.notes}
            print(json.dumps(to_jsonable(record)))
        elif not self.quiet:
            for line in lines:
                print(line)

    def note(self, text):
        """Print an ``emkit: note:`` line on stderr (kept in the JSON record).

        Parameters
        ----------
        text : str
            One sentence.
        """
        self.notes.append(text)
        if not self.quiet and not self.json:
            print_line(f"emkit: note: {text}")

    def warn(self, text):
        """Print an ``emkit: warning:`` line on stderr (kept in the JSON record).

        Parameters
        ----------
        text : str
            One sentence.
        """
        self._show(text, UserWarning, "", 0)

    @contextmanager
    def capturing_warnings(self):
        """Turn warnings raised inside the block into one ``emkit: warning:`` line each.

        Warnings logged by emkit's logger (e.g. an HMM fitted to too little data) are
        shown the same way instead of as bare log lines.

        Yields
        ------
        output : Output
            This object.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            warnings.showwarning = self._show
            with _logged_as_warnings(self._show):
                yield self

    def _show(self, message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in self.warnings:
            self.warnings.append(text)
            show_warning(text)


class _WarningLines(logging.Handler):
    def __init__(self, show):
        super().__init__(logging.WARNING)
        self.show = show

    def emit(self, record):
        self.show(record.getMessage(), None, record.pathname, record.lineno)


@contextmanager
def _logged_as_warnings(show):
    logger = logging.getLogger("emkit")
    handler, propagate = _WarningLines(show), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
