"""Chunk functions on threads of this process, their values summed in chunk order.

The calling thread and ``n_threads - 1`` threads of a pool kept for the process take the
chunks in order, one at a time, and whichever finishes the next chunk in order adds it to
the total: there is no thread that only waits and sums, and a chunk costs two short
locks, not a future and the wake-ups of two threads. The sum is the same, bit for bit,
whatever the number of threads and the order in which chunks finish.

BLAS runs with one thread inside (:func:`one_blas_thread`): the chunk threads are the
parallelism. Chunks run with numpy's underflow errors ignored in every thread, whatever
the caller's ``np.seterr`` (see :mod:`.underflow`).
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import reduce
from operator import add

from threadpoolctl import ThreadpoolController

from emkit.engine.underflow import underflow_is_zero

__all__ = ["CORES", "IN_FLIGHT_PER_THREAD", "one_blas_thread", "run_chunks"]

#: The processor count, the number of threads when none is configured.
CORES = os.cpu_count() or 1
#: Chunks handed out and not yet summed, per thread: enough to keep every thread busy
#: while one chunk takes longer than the others, few enough that memory does not grow
#: with the number of chunks.
IN_FLIGHT_PER_THREAD = 2


@underflow_is_zero
def run_chunks(run, bounds, n_threads):
    """Return ``run(b_0) + run(b_1) + ...`` over ``bounds``, on up to ``n_threads`` threads.

    Parameters
    ----------
    run : callable
        The chunk function of one bound; its values support ``+``.
    bounds : sequence
        The chunks, in the order their values are summed.
    n_threads : int or None
        Threads at once, the calling one included; None: one per processor.

    Returns
    -------
    total
        The values summed left to right, in the order of ``bounds``.

    Raises
    ------
    BaseException
        What the first chunk (in order) that raised raised; chunks after it may not run.
    """
    if len(bounds) == 1:
        return run(bounds[0])
    threads = max(1, min(n_threads or CORES, len(bounds)))
    if threads == 1 or getattr(_inside, "chunk", False):
        # A chunk function that runs chunks itself runs them in its own thread.
        return reduce(add, map(run, bounds))
    job = _OrderedSum(run, bounds, IN_FLIGHT_PER_THREAD * threads)
    with one_blas_thread():
        helpers = [_pool(threads - 1).submit(_as_chunk_thread, job.work)
                   for _ in range(threads - 1)]
        try:
            _as_chunk_thread(job.work)
        finally:
            job.stop()
            # Helpers still queued behind another fit's chunks are not needed any more.
            for helper in helpers:
                if not helper.cancel():
                    helper.result()
    return job.result()


class _OrderedSum:
    # Chunks handed out in order to the threads that ask; their values added to the
    # total in chunk order, those that finish early kept until the chunks before them
    # are in. At most ``window`` chunks are handed out and not yet summed.

    def __init__(self, run, bounds, window):
        self.run, self.bounds, self.window = run, bounds, window
        self.changed = threading.Condition()
        self.handed = self.summed = 0
        self.total = None
        self.early = {}
        self.errors = {}
        self.stopped = False

    def work(self):
        while (i := self._take()) is not None:
            try:
                value = self.run(self.bounds[i])
            except BaseException as error:
                with self.changed:
                    self.errors[i] = error
                    self.stop()
                return
            with self.changed:
                self.early[i] = value
                while self.summed in self.early:
                    value = self.early.pop(self.summed)
                    self.total = value if self.summed == 0 else self.total + value
                    self.summed += 1
                self.changed.notify_all()

    def _take(self):
        # The index of the next chunk, or None when there is none or the job stopped.
        with self.changed:
            while not self.stopped and self.handed - self.summed >= self.window:
                self.changed.wait()
            if self.stopped or self.handed == len(self.bounds):
                return None
            self.handed += 1
            return self.handed - 1

    def stop(self):
        # Hand out no more chunks; the Condition's lock is re-entrant.
        with self.changed:
            self.stopped = True
            self.changed.notify_all()

    def result(self):
        if self.errors:
            raise self.errors[min(self.errors)]
        return self.total


_inside = threading.local()


def _as_chunk_thread(work):
    # Run work with this thread marked as a chunk thread (see run_chunks), underflow
    # ignored: numpy's error settings belong to each thread.
    _inside.chunk = True
    try:
        underflow_is_zero(work)()
    finally:
        _inside.chunk = False


_pools_lock = threading.Lock()
_pools = {}


def _pool(threads):
    # One pool per thread count for the process: starting threads on every E-step
    # costs milliseconds.
    with _pools_lock:
        if threads not in _pools:
            _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="emkit-chunks")
        return _pools[threads]


@contextmanager
def one_blas_thread():
    """Limit BLAS to one thread in this block: the chunk threads are the parallelism.

    A fit runs in one such block, from its start to its last M-step. BLAS threads would
    compete with the chunk threads, and once idle, OpenBLAS's threads spin for about a
    tenth of a second before they sleep: after a small fit whose one chunk ran on BLAS's
    threads, the next fit took 1.3x to 1.4x as long as later ones without this limit
    (benchmarks/profile_first_fit.py, 2-core Intel Xeon, diag, N=2e5).

    The limit is process-wide, as BLAS's thread count is: the first block to enter sets
    it and the last to leave restores the count it found, so blocks that overlap (nested,
    or fits running at once on several threads) never leave BLAS limited.
    """
    _BLAS_LIMIT.enter()
    try:
        yield
    finally:
        _BLAS_LIMIT.leave()


class _SharedBlasLimit:
    # The process's one-BLAS-thread limit and the blocks inside it: set by the first to
    # enter, restored by the last to leave.

    def __init__(self):
        self.lock = threading.Lock()
        self.users = 0
        self.controller = None  # made on first use: scanning the libraries takes time
        self.limiter = None

    def enter(self):
        with self.lock:
            if self.users == 0:
                if self.controller is None:
                    self.controller = ThreadpoolController()
                self.limiter = self.controller.limit(limits=1, user_api="blas")
            self.users += 1

    def leave(self):
        with self.lock:
            self.users -= 1
            if self.users == 0:
                self.limiter.restore_original_limits()
                self.limiter = None


#: The limit of one_blas_thread, shared by every block inside it.
_BLAS_LIMIT = _SharedBlasLimit()
