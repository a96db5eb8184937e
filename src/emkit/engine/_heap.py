"""Keep a block task's chunk buffers in the heap on Dask workers that trim it eagerly.

Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_`` set (64 KiB), so that freed
memory goes back to the system soon. glibc then also stops raising its mmap threshold,
and every buffer above 128 KiB (a chunk's features, its log-densities) is mapped and
unmapped once per chunk: the pages are faulted in and zeroed again for each chunk, which
made a block's E-step a quarter slower on a worker than in a plain process. While an
emkit block task runs, :func:`kept_heap` lets the heap keep those buffers (the same
chunk-sized buffers are reused from one chunk to the next); when the last such task
ends it restores the worker's thresholds and returns the free memory to the system.

It acts only under glibc and only where ``MALLOC_TRIM_THRESHOLD_`` is set (where glibc's
own adaptive thresholds are already off); elsewhere it does nothing.
"""

import ctypes
import ctypes.util
import os
import threading
from contextlib import contextmanager

__all__ = ["kept_heap"]

#: glibc's mallopt parameters.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: Thresholds while a block task runs: buffers up to 32 MiB from the heap, kept there.
TASK_MMAP_THRESHOLD, TASK_TRIM_THRESHOLD = 32 * 2**20, 1 << 30
#: glibc's mmap threshold when its adaptive thresholds are off.
DEFAULT_MMAP_THRESHOLD = 128 * 1024

_lock = threading.Lock()
_active = [0]
_libc = []


def _glibc():
    # The C library when it is glibc (mallopt and malloc_trim), else None; looked up once.
    if not _libc:
        library = None
        try:
            candidate = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            if hasattr(candidate, "mallopt") and hasattr(candidate, "malloc_trim"):
                library = candidate
        except OSError:
            pass
        _libc.append(library)
    return _libc[0]


def _worker_trim_threshold():
    value = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@contextmanager
def kept_heap():
    """Let freed buffers stay in the heap while the block inside runs (see the module).

    Re-entrant and thread-safe: the thresholds are restored when the last of the
    overlapping tasks leaves.

    Yields
    ------
    active : bool
        Whether the thresholds were changed (glibc, with ``MALLOC_TRIM_THRESHOLD_`` set).
    """
    trim = _worker_trim_threshold()
    libc = _glibc() if trim is not None else None
    if libc is None:
        yield False
        return
    with _lock:
        _active[0] += 1
        if _active[0] == 1:
            libc.mallopt(M_MMAP_THRESHOLD, TASK_MMAP_THRESHOLD)
            libc.mallopt(M_TRIM_THRESHOLD, TASK_TRIM_THRESHOLD)
    try:
        yield True
    finally:
        with _lock:
            _active[0] -= 1
            if _active[0] == 0:
                libc.mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD)
                libc.mallopt(M_TRIM_THRESHOLD, trim)
                libc.malloc_trim(0)
