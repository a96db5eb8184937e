"""Writing files whole or not at all: a temporary file beside the target, then a rename.

Model files, images, tables and the command line's outputs all go through
:func:`atomic_write`, so a crash or an error part-way never leaves a truncated file, never
replaces a device, pipe or socket, and a save killed part-way leaves a temporary file that
the next save of the same target removes.
"""

import contextlib
import errno
import io
import os
import re
import secrets
import stat

try:  # POSIX: a temporary file is locked while its save runs
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["atomic_text_write", "atomic_write", "check_replaceable", "remove_stale_temporaries"]

_NOT_REGULAR = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))


def atomic_write(path, write):
    """Call ``write(stream)`` on a temporary file next to ``path``, then rename it to ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was. A file
    already at ``path`` must be a writable regular file, and its permissions carry over to
    the new one; a folder, device, named pipe or socket is refused. A symbolic link is
    written through: the file it points to is replaced (or created) and the link is kept.
    The temporary file is hidden (``.name.<random>.tmp``) and, on POSIX systems, locked
    while the save runs; temporary files of the same target left by a save that was
    killed are removed by the next save.

    Parameters
    ----------
    path : str or os.PathLike
        The destination.
    write : callable
        Writes the whole content to the binary stream it is given.
    """
    target, mode = _inspect(os.fspath(path))
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"The folder {folder!r} does not exist; create it before "
                                "writing there.")
    remove_stale_temporaries(target)
    fd, temporary = _create_temporary(folder, target)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
            if mode is not None:
                os.chmod(temporary, mode)
            if fcntl is not None:
                os.replace(temporary, target)  # still locked: no other save removes it
        if fcntl is None:  # pragma: no cover - Windows renames closed files only
            os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_folder(folder)


def check_replaceable(path):
    """Refuse a ``path`` that is not a writable regular file; return an existing file's mode.

    A rename replaces whatever is at ``path`` (and whoever runs it), so a folder, a
    device, a named pipe, a socket and a file the user protected are refused here rather
    than silently replaced. A symbolic link is judged by the file it points to.

    Parameters
    ----------
    path : str or os.PathLike
        Where a file is about to be written.

    Returns
    -------
    mode : int or None
        The permission bits of the file already at ``path``; None when there is none.
    """
    return _inspect(os.fspath(path))[1]


def _inspect(path):
    # (where the content goes, the mode of the regular file there or None).
    try:
        info = os.stat(path)  # follows symbolic links
    except FileNotFoundError:
        info = None  # nothing there, or a link to a file not made yet
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(f"{path!r} is a symbolic link that never leads to a file; fix or "
                          "remove the link.") from None
        raise
    target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    if info is None:
        return target, None
    via = f" (a link to {target!r})" if os.path.islink(path) else ""
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"{path!r}{via} is a folder; give a file name to write.")
    if not stat.S_ISREG(info.st_mode):
        what = next((name for test, name in _NOT_REGULAR if test(info.st_mode)),
                    "not a regular file")
        raise OSError(f"{path!r}{via} is {what}, which a write would replace; give the path "
                      "of a regular file.")
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(f"{path!r}{via} is read-only; make it writable or write to "
                              "another path.")
    return target, mode


def _temporary_name(path):
    # Hidden, unique, and short enough wherever the destination's own name fits (255 bytes).
    return f".{_stem(path)}.{secrets.token_hex(8)}.tmp"


def _stem(path):
    return os.fsencode(os.path.basename(path))[:200].decode("utf-8", "ignore")


def _create_temporary(folder, target):
    # O_EXCL: never reuse a file someone else made; 0o666 lets the umask decide the mode.
    while True:
        temporary = os.path.join(folder, _temporary_name(target))
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_BINARY", 0), 0o666)
        except PermissionError:
            raise PermissionError(f"Cannot write in the folder {folder!r}; choose a folder "
                                  "you can write to.") from None
        if fcntl is None:  # pragma: no cover - Windows
            return fd, temporary
        # Another save's cleanup may have locked and removed the file before this lock;
        # then it is gone from the folder (no links left), and a new name is drawn.
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:
            return fd, temporary
        os.close(fd)


def remove_stale_temporaries(path):
    """Remove the temporary files of ``path`` that no running save holds.

    A save killed part-way (``kill -9``, a power cut) leaves its temporary file; a save
    that is running holds a lock on its own, so only abandoned ones are removed. Does
    nothing where file locks are not available (Windows).

    Parameters
    ----------
    path : str or os.PathLike
        The destination whose temporary files are looked for, in its folder.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(re.escape(f".{_stem(path)}.") + r"[0-9a-f]{16}\.tmp")
    try:
        names = [entry.name for entry in os.scandir(folder) if pattern.fullmatch(entry.name)]
    except OSError:
        return
    for name in names:
        _remove_if_abandoned(os.path.join(folder, name))


def _remove_if_abandoned(temporary):
    try:
        fd = os.open(temporary, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return  # gone already, or not ours to open
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a save in progress holds it
        now = os.lstat(temporary)
        if (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):
            os.remove(temporary)
    except OSError:
        pass  # renamed by its save meanwhile, or removed by another cleanup
    finally:
        os.close(fd)


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
