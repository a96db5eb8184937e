"""A source over a Dask array: each row block's E-step runs as a Dask task where it lives.

The blocks are the chunks. A block's task cuts it into in-memory chunks (an
:class:`~emkit.engine.sources.ArraySource`, or a
:class:`~emkit.engine.sources.SequenceSource` of the block's whole sequences) and sums
their statistics; the block sums are added in a tree of ``+`` tasks (at most
``SPLIT_EVERY`` values per task), and only the total comes back to the calling process,
where the M-step runs (each block task keeps its chunk buffers in the worker's heap:
:mod:`emkit.engine._heap`). Tasks run on the active ``distributed.Client`` when there is
one, else on Dask's default scheduler. The grouping of the tree is fixed by the blocks, so the
sum does not depend on where or when the tasks ran.

This module imports Dask; nothing else in the engine does.
"""

from functools import reduce
from operator import add

import dask
import numpy as np

from emkit.engine._heap import kept_heap
from emkit.engine.protocols import Source
from emkit.engine.sources import ArraySource, SequenceSource, one_blas_thread

__all__ = ["DaskSource", "SPLIT_EVERY", "SchedulerLostError", "active_client", "compute",
           "scheduler_address", "tree_sum"]

#: Values added by one task of the reduction tree.
SPLIT_EVERY = 8


def tree_sum(parts, split_every=SPLIT_EVERY):
    """Return a Delayed sum of ``parts``, added in a tree of tasks in their order.

    Parameters
    ----------
    parts : list of dask.delayed.Delayed
        Additive values, one per block.
    split_every : int, default=SPLIT_EVERY
        Values added by one task.

    Returns
    -------
    total : dask.delayed.Delayed
    """
    parts = list(parts)
    while len(parts) > 1:
        parts = [dask.delayed(_sum, pure=True)(*parts[i:i + split_every])
                 for i in range(0, len(parts), split_every)]
    return parts[0]


def _sum(*values):
    return reduce(add, values)


class DaskSource(Source):
    """Rows of a Dask array in row blocks (whole sequences per block when ``lengths``).

    Built by the estimators (:mod:`emkit.estimators._dask`), which check the blocks,
    persist them when they fit in memory and draw the start sample first.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        The rows, one block of columns, known block sizes; every block holds whole
        sequences when ``lengths`` is given.
    sample_weight : dask.array.Array of shape (n_samples,), default=None
        Weights of the rows (of the sequences, with ``lengths``), blocked like ``X``.
    lengths : list of ndarray, default=None
        The lengths of each block's sequences; None: rows are independent.
    total_weight : float, default=None
        Sum of the weights as the fit counts them (rows or sequences).
    weigh : callable, default=None
        ``weigh(block, weight)`` returns the weights a block's task uses (rows that
        observe nothing at zero); None uses the weights as given.
    head : ndarray, default=None
        The first rows, to size chunks by.
    start : callable, default=None
        Returns the in-process :class:`ArraySource` that starts are computed from;
        called once, when a start needs data.
    row_bounds : bool, default=False
        Give each chunk function ``rows=(start, stop)``, its rows' place in the whole
        array (as :class:`ArraySource` does).
    """

    def __init__(self, X, sample_weight=None, lengths=None, total_weight=None, weigh=None,
                 head=None, start=None, row_bounds=False):
        self.address = scheduler_address()
        self.X = X
        self.sample_weight = sample_weight
        self.lengths = lengths
        self._total_weight = total_weight
        self._weigh = weigh
        self._head = head
        self._start = start
        self._started = None
        self.row_bounds = row_bounds

    @property
    def dtype(self):
        """The dtype of ``X``."""
        return self.X.dtype

    @property
    def n_samples(self):
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def total_weight(self):
        """Sum of the weights as the fit counts them."""
        return float(self._total_weight)

    def sample_rows(self):
        """Return the first rows (chunk sizes are read off them).

        Returns
        -------
        X : ndarray of shape (n_rows, n_features)
        """
        return self._head

    def start_source(self):
        """Return the in-process source over the start sample (drawn once, on first use).

        Returns
        -------
        source : ArraySource
        """
        if self._started is None:
            self._started = self._start()
        return self._started

    def chunks(self, bytes_per_row=1024, min_rows=0):
        """Return the ``(start, stop)`` row bounds of the blocks.

        Parameters
        ----------
        bytes_per_row : int, default=1024
            Unused: a block's task cuts its own chunks.
        min_rows : int, default=0
            Unused.

        Returns
        -------
        bounds : list of tuple of int
        """
        stops = np.cumsum(self.X.chunks[0])
        return [(int(stop - size), int(stop)) for stop, size in zip(stops, self.X.chunks[0])]

    def chunk_args(self, bounds):
        """Return the Delayed block whose rows are ``bounds``, its weights and lengths.

        Parameters
        ----------
        bounds : tuple of int
            One of :meth:`chunks`' bounds.

        Returns
        -------
        args : tuple
            ``(block, weight)``, Dask Delayed objects (weight None when unweighted).
        kwargs : dict
            ``{"lengths": ...}`` with sequences, else empty.
        """
        index = self.chunks().index(tuple(bounds))
        return self._block(index)

    def _block(self, index):
        block = self.X.to_delayed()[index, 0]
        weight = None if self.sample_weight is None else self.sample_weight.to_delayed()[index]
        kwargs = {} if self.lengths is None else {"lengths": self.lengths[index]}
        return (block, weight), kwargs

    def map_reduce(self, fn, bytes_per_row=1024, min_rows=0, in_order=False):
        """Sum ``fn`` over every block's chunks, as Dask tasks, in block order.

        Parameters
        ----------
        fn : callable
            Chunk function returning an additive value; it travels to the workers.
        bytes_per_row : int, default=1024
            Working-set bytes per row of ``fn``, to cut each block into chunks.
        min_rows : int, default=0
            Fewest rows per chunk.
        in_order : bool, default=False
            Bring the blocks to this process one at a time, first to last, and call
            ``fn`` here (a function with state across chunks needs it).

        Returns
        -------
        total
            The sum of the chunk values.
        """
        n_blocks = len(self.X.chunks[0])
        offsets = [start if self.row_bounds else None for start, _ in self.chunks()]
        if in_order:
            total = None
            for index in range(n_blocks):
                args, kwargs = self._block(index)
                value = _block_total(fn, *compute(*args, address=self.address),
                                     kwargs.get("lengths"),
                                     bytes_per_row, min_rows, self._weigh, offsets[index])
                total = value if total is None else total + value
            return total
        # The chunk function (the model) is one key of the graph: it travels to each
        # worker once, not once per block.
        shared = dask.delayed(fn)
        parts = []
        for index in range(n_blocks):
            (block, weight), kwargs = self._block(index)
            parts.append(dask.delayed(_block_total, pure=True)(
                shared, block, weight, kwargs.get("lengths"), bytes_per_row, min_rows,
                self._weigh, offsets[index]))
        return compute(tree_sum(parts), address=self.address)


def _block_total(fn, block, weight, lengths, bytes_per_row, min_rows, weigh, offset=None):
    # One block's task: its chunks, one after another on this worker thread. With an
    # offset, each chunk function gets its rows' place in the whole array.
    if weigh is not None:
        weight = weigh(block, weight)
    if lengths is None:
        source = ArraySource(block, weight, n_threads=1, row_bounds=offset is not None)
    else:
        source = SequenceSource(block, lengths, weight, n_threads=1)
    if offset is not None:
        fn = _Shifted(fn, offset)
    with kept_heap():
        return source.map_reduce(fn, bytes_per_row, min_rows)


class _Shifted:
    # A chunk function called with rows relative to its block, given them in the array.

    def __init__(self, fn, offset):
        self.fn, self.offset = fn, offset

    def __call__(self, *args, rows, **kwargs):
        start, stop = rows
        return self.fn(*args, rows=(start + self.offset, stop + self.offset), **kwargs)


def compute(*collections, address=None):
    """Compute Dask collections on the active client, or on the default scheduler.

    On the default (threaded) scheduler each task runs single-threaded BLAS, as the
    in-process chunks do, so the tasks' threads do not oversubscribe the cores.

    Parameters
    ----------
    *collections
        Dask collections or Delayed objects.
    address : str, default=None
        The scheduler the data lives on (:func:`scheduler_address` when the fit began);
        when it is no longer the active, running client, one sentence says so.

    Returns
    -------
    result
        The one computed value, or a tuple of them.
    """
    client = active_client()
    if address is not None:
        if client is None or client.status != "running" or _address(client) != address:
            raise SchedulerLostError(_lost(address))
        try:
            values = dask.compute(*collections)
        except (OSError, TimeoutError) as exc:
            raise SchedulerLostError(_lost(address)) from exc
    elif client is not None:
        values = dask.compute(*collections)
    else:
        with one_blas_thread():
            values = dask.compute(*collections)
    return values[0] if len(values) == 1 else values


class SchedulerLostError(RuntimeError):
    """The Dask scheduler a fit's data lives on went away during the fit."""


def _lost(address):
    return (f"The Dask scheduler at {address} is gone, so the fit stopped and the estimator "
            "was left as it was; restart the cluster and fit again.")


def _address(client):
    scheduler = getattr(client, "scheduler", None)
    return getattr(scheduler, "address", None)


def scheduler_address():
    """Return the address of the active client's scheduler (None: no client).

    Returns
    -------
    address : str or None
    """
    client = active_client()
    return None if client is None else _address(client)


def active_client():
    """Return the active ``distributed.Client``, or None (no client, or no distributed).

    Returns
    -------
    client : distributed.Client or None
    """
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None
