"""How the command line reports problems: one line on stderr and an exit status.

Every error exits 2 with one line: bad input says what is wrong, anything unexpected (a
bug, or the machine running out of memory) is named by its type; ``--debug`` adds the
traceback.
"""

import sys
import traceback

__all__ = ["UsageError", "USER_ERRORS", "describe", "report_error", "show_warning"]


class UsageError(ValueError):
    """A command-line value or input file that cannot be used, in one sentence."""


# ModelFileError and scikit-learn's InvalidParameterError are ValueError subclasses; the
# engine raises FloatingPointError for a likelihood the data make infinite, with advice.
USER_ERRORS = (ValueError, TypeError, OSError, ImportError, FloatingPointError)


def describe(exc):
    """Return the one-line message of an exception.

    Parameters
    ----------
    exc : BaseException
        The exception.

    Returns
    -------
    message : str
        Its message on one line; an ``OSError`` reads "reason: file".
    """
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{exc.strerror}: {exc.filename}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def report_error(exc, debug=False, stream=None):
    """Print ``exc`` as one ``emkit: error:`` line (or its traceback) and return the status.

    Parameters
    ----------
    exc : BaseException
        The exception that ended the command.
    debug : bool, default=False
        Print the full traceback as well.
    stream : file, default=None
        Where to print; None is ``sys.stderr``.

    Returns
    -------
    status : int
        2, whatever the error: scripts test one status, and stderr says what went wrong.
    """
    stream = sys.stderr if stream is None else stream
    if debug:
        traceback.print_exception(exc, file=stream)
    if isinstance(exc, USER_ERRORS):
        print(f"emkit: error: {describe(exc)}", file=stream)
    elif isinstance(exc, MemoryError):
        print(f"emkit: error: out of memory ({describe(exc)}); use smaller inputs or sizes.",
              file=stream)
    else:
        hint = "" if debug else "; run with --debug for the traceback"
        print(f"emkit: error: unexpected {type(exc).__name__}: {describe(exc)}{hint}",
              file=stream)
    return 2


def show_warning(message, stream=None):
    """Print a warning as one ``emkit: warning:`` line.

    Parameters
    ----------
    message : Warning or str
        The warning.
    stream : file, default=None
        Where to print; None is ``sys.stderr``.
    """
    from emkit.cli.progress import print_line
    print_line(f"emkit: warning: {' '.join(str(message).split())}", stream)
