"""Writing files whole or not at all: a temporary file beside the target, then a rename.

Model files, images, tables and the command line's outputs all go through
:func:`atomic_write`, so a crash or an error part-way never leaves a truncated file.
"""

import contextlib
import io
import os
import secrets
import stat

__all__ = ["atomic_text_write", "atomic_write", "check_replaceable"]


def atomic_write(path, write):
    """Call ``write(stream)`` on a temporary file next to ``path``, then rename it to ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was. A file
    already at ``path`` must be writable, and its permissions carry over to the new one.

    Parameters
    ----------
    path : str or os.PathLike
        The destination.
    write : callable
        Writes the whole content to the binary stream it is given.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"The folder {folder!r} does not exist; create it before "
                                "writing there.")
    mode = check_replaceable(path)
    temporary = os.path.join(folder, _temporary_name(path))
    # O_EXCL: never reuse a file someone else made; 0o666 lets the umask decide the mode.
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | getattr(os, "O_BINARY", 0), 0o666)
    except PermissionError:
        raise PermissionError(f"Cannot write in the folder {folder!r}; choose a folder you "
                              "can write to.") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_folder(folder)


def check_replaceable(path):
    """Refuse a ``path`` that is a folder or a read-only file; return an existing file's mode.

    A rename replaces a file whatever its permissions (and whoever runs it), so a file the
    user protected is refused here rather than silently replaced.

    Parameters
    ----------
    path : str or os.PathLike
        Where a file is about to be written.

    Returns
    -------
    mode : int or None
        The permission bits of the file already at ``path``; None when there is none.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder; give a file name to write.")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    if not mode & 0o222 or not os.access(path, os.W_OK):
        raise PermissionError(f"{path!r} is read-only; make it writable or write to another "
                              "path.")
    return mode


def _temporary_name(path):
    # Hidden, unique, and short enough wherever the destination's own name fits (255 bytes).
    stem = os.fsencode(os.path.basename(path))[:200].decode("utf-8", "ignore")
    return f".{stem}.{secrets.token_hex(8)}.tmp"


def _sync_folder(folder):
    # Make the rename itself durable where the platform allows it (not on Windows).
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_text_write(path, write):
    """Call ``write(text_stream)`` (UTF-8, newlines untranslated) as :func:`atomic_write` does.

    Parameters
    ----------
    path : str or os.PathLike
        The destination.
    write : callable
        Writes the whole content to the text stream it is given.
    """
    def write_binary(stream):
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        write(text)
        text.flush()
        text.detach()  # atomic_write still syncs and closes the binary stream

    atomic_write(path, write_binary)
