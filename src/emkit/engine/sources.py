"""Data sources: they run a chunk function over row chunks and sum what it returns.

The E-step of every model is written for one chunk of rows; a source decides how the
chunks are cut and where they run, and reduces the chunk statistics with ``+``.
"""

import mmap
from functools import lru_cache

import numpy as np

from emkit._config import get_config
from emkit.engine.chunk_threads import CORES, one_blas_thread, run_chunks
from emkit.engine.protocols import Source

__all__ = ["START_SAMPLE_ROWS", "START_SAMPLE_SEED", "ArraySource", "InProcessSource",
           "SequenceSource", "auto_chunk_rows", "is_memory_mapped", "map_rows",
           "one_blas_thread", "uniform_rows"]

#: Working-set budget of one chunk, in bytes, when the chunk size is automatic. Larger
#: than a core's cache on purpose: one thread runs a cache-sized chunk faster per row, but
#: each chunk's E-step makes a few dozen calls whose Python part holds the GIL, and with
#: smaller chunks two threads wait on each other more than they gain. On the 2-core
#: Intel Xeon the benchmarks ran on (benchmarks/profile_thread_scaling.py), copies of
#: 1.6 us gained nothing on two threads and copies of 11 us and more 1.8x to 2x;
#: spherical E-step chunks of 2,000 rows ran at 0.83x to 0.89x, of 16,001 at 1.82x to
#: 1.93x.
#: GaussianMixture N=2e5, D=K=16: 2 threads at 0.5 MB chunks were slower than one; 8 MB
#: was the best of 0.5 to 32 MB.
CHUNK_BYTES = 8 * 2**20
_MIN_ROWS, _MAX_ROWS = 256, 65536
#: How far a chunk function's floor may take a chunk past the working-set budget.
FLOOR_OVER_BUDGET = 16
#: Chunks each thread should get when the data has enough rows for them.
CHUNKS_PER_THREAD = 4
#: The last chunk of each thread's share is cut in this many pieces, so that the threads
#: finish together: a thread that takes the last whole chunk as another finishes would
#: keep the caller waiting for most of a chunk.
TAIL_PIECES = 4
#: Rows of the sample that starts (k-means, random rows, ...) are computed from when the
#: data is not in memory: a Dask collection, or a memory-mapped array with more rows.
START_SAMPLE_ROWS = 100_000
#: Seed of the start sample of a memory-mapped array. Fixed, not the estimator's
#: random_state: the sample is a function of the data alone, so every fit of one file
#: (whatever its random_state, and with None) starts from the same rows.
START_SAMPLE_SEED = 0
#: Rows read at a time by the scan for each column's extremes.
_SCAN_ROWS = 65536


def auto_chunk_rows(bytes_per_row, budget=CHUNK_BYTES, min_rows=0):
    """Return the number of rows whose working set fits ``budget`` bytes.

    Parameters
    ----------
    bytes_per_row : int
        Bytes of temporary arrays one row needs in the chunk function.
    budget : int, default=CHUNK_BYTES
        The working-set budget of one chunk.
    min_rows : int, default=0
        The chunk function's own floor (its fixed cost per chunk); it wins over the
        budget and over the 65536-row cap, up to ``FLOOR_OVER_BUDGET`` times the
        budget.

    Returns
    -------
    rows : int
        The budget's rows between 256 and 65536, or the floor when it is more.
    """
    budget_rows = int(budget // max(int(bytes_per_row), 1))
    rows = min(max(budget_rows, _MIN_ROWS), _MAX_ROWS)
    return max(rows, min(int(min_rows), FLOOR_OVER_BUDGET * budget_rows))


class InProcessSource(Source):
    """A source whose chunks run on threads of this process (not for direct use).

    ``map_reduce`` is written once here: a subclass says how the data is cut
    (``chunks``) and what one chunk is (``chunk_args``).
    """

    def map_reduce(self, fn, bytes_per_row=1024, min_rows=0, in_order=False):
        """Sum ``fn`` over every chunk, in chunk order, on threads when there are enough.

        Parameters
        ----------
        fn : callable
            Chunk function returning an additive value.
        bytes_per_row : int, default=1024
            Working-set bytes per row of ``fn``, to size automatic chunks.
        min_rows : int, default=0
            Fewest rows per automatic chunk.
        in_order : bool, default=False
            Run the chunks one after another in this thread, first to last.

        Returns
        -------
        total
            The sum of the chunk values.
        """
        def run(bounds):
            args, kwargs = self.chunk_args(bounds)
            return fn(*args, **kwargs)

        threads = 1 if in_order else self.n_threads
        return run_chunks(run, self.chunks(bytes_per_row, min_rows), threads)


def _chunk_rows(n, bytes_per_row, min_rows, chunk_size, n_threads):
    # The configured size, else the budget's; cut smaller (down to a quarter of the
    # budget's) so that every thread gets a few chunks to share the work evenly.
    if chunk_size:
        return chunk_size
    rows = auto_chunk_rows(bytes_per_row, min_rows=min_rows)
    share = -(-n // (CHUNKS_PER_THREAD * (n_threads or CORES)))
    return max(min(rows, share), rows // 4, 1)


@lru_cache(maxsize=64)
def _array_chunks(n, bytes_per_row, min_rows, chunk_size, n_threads):
    # The bounds of ArraySource.chunks, asked once per E-step with the same arguments.
    # Automatic chunks for several threads end in smaller pieces (TAIL_PIECES).
    rows = _chunk_rows(n, bytes_per_row, min_rows, chunk_size, n_threads)
    bounds = [(start, min(start + rows, n)) for start in range(0, n, rows)]
    threads = n_threads or CORES
    if chunk_size or threads == 1 or len(bounds) <= threads:
        return tuple(bounds)
    first = bounds[-threads][0]
    piece = max(-(-(n - first) // (threads * TAIL_PIECES)), _MIN_ROWS)
    return tuple(bounds[:-threads] + [(start, min(start + piece, n))
                                      for start in range(first, n, piece)])


class ArraySource(InProcessSource):
    """An in-memory (or memory-mapped) array cut into row chunks.

    Starts read the array itself, unless it is memory-mapped (``np.load(path,
    mmap_mode="r")``) and has more than ``START_SAMPLE_ROWS`` rows: then they read a
    bounded sample of its rows (see :meth:`start_source`), so that no initialization
    (k-means copies its input) holds the whole file in memory.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data; it is read, never copied.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights of the rows; ``None`` weighs each row 1.
    chunk_size : int, default=None
        Rows per chunk; ``None`` takes :func:`emkit.get_config`'s, else sizes chunks
        from the model's bytes per row.
    n_threads : int, default=None
        Threads running chunks at once; ``None`` takes :func:`emkit.get_config`'s, else
        uses every core when there are enough chunks to share. Results do not depend on
        it: chunks are summed in order.
    labels : ndarray of int of shape (n_samples,), default=None
        A known component (or state) per row, -1 where unknown; each chunk function
        then receives its chunk's ``labels``.
    row_bounds : bool, default=False
        Give each chunk function its place in the data, ``rows=(start, stop)``: a model
        with parameters of its own per row (PLSA's topic proportions of each document)
        reads them there.
    """

    def __init__(self, X, sample_weight=None, chunk_size=None, n_threads=None, labels=None,
                 row_bounds=False):
        config = get_config()
        self.X = X
        self.sample_weight = sample_weight
        self.labels = labels
        self.row_bounds = row_bounds
        self.chunk_size = chunk_size or config["chunk_size"]
        self.n_threads = n_threads or config["n_threads"]
        self._started = None

    @property
    def dtype(self):
        """The dtype of ``X``."""
        return self.X.dtype

    @property
    def n_samples(self):
        """Number of rows."""
        return self.X.shape[0]

    @property
    def total_weight(self):
        """Sum of the sample weights (the number of rows when unweighted)."""
        if self.sample_weight is None:
            return float(self.n_samples)
        return float(np.sum(self.sample_weight, dtype=np.float64))

    def sample_rows(self):
        """Return ``X`` itself (chunk sizes are read off the data in memory).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        return self.X

    def start_source(self):
        """Return the source that starting values are computed from.

        In memory, or memory-mapped with at most ``START_SAMPLE_ROWS`` rows: this source
        (starts read every row, as scikit-learn's do). Memory-mapped with more rows: an
        ArraySource over a sample of at most ``START_SAMPLE_ROWS`` rows in row order, drawn
        once (on first use) and kept for every start: the rows that hold each column's
        smallest and largest value (so that every category, count and range of the data
        is in it, as in the sample of Dask data), and a uniform draw without replacement
        of the rest (``numpy.random.default_rng(START_SAMPLE_SEED)``, so the sample
        depends on the data alone), with their sample weights. Drawing it reads the file
        once; it holds ``START_SAMPLE_ROWS`` rows.

        Returns
        -------
        source : ArraySource
        """
        if self._started is None:
            n = self.n_samples
            if n <= START_SAMPLE_ROWS or not is_memory_mapped(self.X):
                self._started = self
            else:
                rows = _sample_rows(self.X, START_SAMPLE_ROWS)
                weight = None if self.sample_weight is None else np.asarray(
                    self.sample_weight)[rows]
                self._started = ArraySource(np.asarray(self.X[rows]), weight, self.chunk_size,
                                            self.n_threads)
        return self._started

    def batches(self, batch_size, order=None):
        """Yield batches of ``batch_size`` rows as sources.

        In order, a batch is a view of ``X`` (of the file, when it is memory-mapped):
        streaming holds one batch at a time. Shuffled, a batch is a copy of the rows of
        about ``BLOCKS_PER_BATCH`` short runs of rows drawn from all over ``X``
        (:func:`_shuffled_rows`), read in row order.

        Parameters
        ----------
        batch_size : int
            Rows per batch; the last batch may hold fewer.
        order : numpy.random.RandomState, default=None
            Draws the permutation of the rows; None keeps consecutive rows.

        Yields
        ------
        batch : ArraySource
        """
        shuffled = None if order is None else _shuffled_rows(self.n_samples, batch_size,
                                                             order)
        for start in range(0, self.n_samples, batch_size):
            rows = slice(start, min(start + batch_size, self.n_samples))
            if shuffled is not None:
                rows = next(shuffled)
            yield ArraySource(self.X[rows], _part(self.sample_weight, rows), self.chunk_size,
                              self.n_threads, _part(self.labels, rows))

    def chunks(self, bytes_per_row=1024, min_rows=0):
        """Return the ``(start, stop)`` bounds of the chunks.

        Parameters
        ----------
        bytes_per_row : int, default=1024
            Working-set bytes per row, used when the chunk size is automatic.
        min_rows : int, default=0
            Fewest rows per automatic chunk.

        Returns
        -------
        bounds : list of tuple of int
        """
        return list(_array_chunks(self.n_samples, bytes_per_row, min_rows, self.chunk_size,
                                  self.n_threads))

    def chunk_args(self, bounds):
        """Return the rows of the chunk ``(start, stop)`` and their weights.

        Parameters
        ----------
        bounds : tuple of int
            ``(start, stop)``.

        Returns
        -------
        args : tuple
            ``(X_chunk, weight_chunk)``; the weights are None when unweighted.
        kwargs : dict
            The chunk's ``labels`` and ``rows=(start, stop)``, where the source has them.
        """
        start, stop = bounds
        weight = None if self.sample_weight is None else self.sample_weight[start:stop]
        kwargs = self._labels(slice(start, stop))
        if self.row_bounds:
            kwargs["rows"] = (start, stop)
        return (self.X[start:stop], weight), kwargs

    def _labels(self, rows):
        return {} if self.labels is None else {"labels": self.labels[rows]}


class SequenceSource(ArraySource):
    """Sequences stacked in one array, cut into chunks of whole sequences.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows of every sequence, one sequence after another.
    lengths : ndarray of shape (n_sequences,)
        Length of each sequence, summing to ``n_samples``.
    sample_weight : ndarray of shape (n_sequences,), default=None
        Non-negative weights of the sequences; ``None`` weighs each sequence 1.
    chunk_size : int, default=None
        Rows per chunk (a sequence longer than this is a chunk of its own); ``None`` takes
        :func:`emkit.get_config`'s, else sizes chunks from the model's bytes per row.
    n_threads : int, default=None
        Threads running chunks at once; results do not depend on it.
    labels : ndarray of int of shape (n_samples,), default=None
        A known state per step, -1 where unknown.
    """

    def __init__(self, X, lengths, sample_weight=None, chunk_size=None, n_threads=None,
                 labels=None):
        super().__init__(X, sample_weight, chunk_size, n_threads, labels)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)])

    def start_source(self):
        """Return the source that starting values are computed from.

        In memory, or memory-mapped with at most ``START_SAMPLE_ROWS`` rows: this source.
        Memory-mapped with more rows: the rows of :meth:`ArraySource.start_source`'s
        sample (each column's extreme rows and a uniform draw, in row order) as one
        sequence, drawn once: starts read rows (k-means, moments, symbol counts), not
        transitions, so no start holds the whole file in memory.

        Returns
        -------
        source : SequenceSource
        """
        if self._started is None:
            if self.n_samples <= START_SAMPLE_ROWS or not is_memory_mapped(self.X):
                self._started = self
            else:
                rows = _sample_rows(self.X, START_SAMPLE_ROWS)
                self._started = SequenceSource(np.asarray(self.X[rows]), [len(rows)],
                                               chunk_size=self.chunk_size,
                                               n_threads=self.n_threads)
        return self._started

    @property
    def total_weight(self):
        """Sum of the sequence weights (the number of sequences when unweighted)."""
        if self.sample_weight is None:
            return float(len(self.lengths))
        return float(np.sum(self.sample_weight, dtype=np.float64))

    def batches(self, batch_size, order=None):
        """Yield batches of ``batch_size`` whole sequences as sources.

        Parameters
        ----------
        batch_size : int
            Sequences per batch; the last batch may hold fewer.
        order : numpy.random.RandomState, default=None
            Draws the permutation of the sequences (each batch a copy of its sequences,
            in their order in the data); None keeps consecutive sequences, as views.

        Yields
        ------
        batch : SequenceSource
        """
        n = len(self.lengths)
        permutation = None if order is None else order.permutation(n)
        for first in range(0, n, batch_size):
            last = min(first + batch_size, n)
            if permutation is None:
                sequences, rows = slice(first, last), slice(self.offsets[first],
                                                            self.offsets[last])
            else:
                sequences = np.sort(permutation[first:last])
                rows = np.concatenate([np.arange(self.offsets[i], self.offsets[i + 1])
                                       for i in sequences])
            yield SequenceSource(self.X[rows], self.lengths[sequences],
                                 _part(self.sample_weight, sequences),
                                 self.chunk_size, self.n_threads, _part(self.labels, rows))

    def chunks(self, bytes_per_row=1024, min_rows=0):
        """Return the ``(first, last)`` sequence bounds of the chunks (``last`` excluded).

        Parameters
        ----------
        bytes_per_row : int, default=1024
            Working-set bytes per row, used when the chunk size is automatic.
        min_rows : int, default=0
            Fewest rows per automatic chunk.

        Returns
        -------
        bounds : list of tuple of int
        """
        rows = _chunk_rows(self.n_samples, bytes_per_row, min_rows, self.chunk_size,
                           self.n_threads)
        bounds, first = [], 0
        for last in range(1, len(self.lengths) + 1):
            if self.offsets[last] - self.offsets[first] >= rows or last == len(self.lengths):
                bounds.append((first, last))
                first = last
        return bounds

    def chunk_args(self, bounds):
        """Return the rows of the sequences ``first`` to ``last``, weights and lengths.

        Parameters
        ----------
        bounds : tuple of int
            ``(first, last)`` sequence indices, ``last`` excluded.

        Returns
        -------
        args : tuple
            ``(X_chunk, weight_chunk)``; the weights are None when unweighted.
        kwargs : dict
            ``{"lengths": lengths_chunk}``.
        """
        first, last = bounds
        weight = None if self.sample_weight is None else self.sample_weight[first:last]
        rows = slice(self.offsets[first], self.offsets[last])
        return (self.X[rows], weight), {"lengths": self.lengths[first:last],
                                         **self._labels(rows)}


#: Runs of consecutive rows a shuffled batch is dealt: enough that a batch holds rows
#: from all over the data, few enough that the permutation (of the runs, not the rows)
#: and the reads of a memory-mapped file stay small.
BLOCKS_PER_BATCH = 64


def _shuffled_rows(n, batch_size, order):
    # The rows of each batch of a pass in random order, as sorted index arrays: the
    # rows are cut into runs of ceil(batch_size / BLOCKS_PER_BATCH), the runs permuted,
    # and the permuted sequence of rows cut into batches of batch_size (the last one
    # shorter), so that the batches are those of the rows in order, but shuffled.
    run = max(1, -(-batch_size // BLOCKS_PER_BATCH))
    permutation = order.permutation(-(-n // run))
    sizes = np.minimum(run, n - permutation * run)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        first = int(np.searchsorted(ends, start, side="right"))
        last = int(np.searchsorted(starts, stop, side="left"))
        pieces = [np.arange(permutation[j] * run + max(start, starts[j]) - starts[j],
                            permutation[j] * run + min(stop, ends[j]) - starts[j])
                  for j in range(first, last)]
        yield np.sort(np.concatenate(pieces))


def _part(values, rows):
    # A slice of optional per-row (or per-sequence) values.
    return None if values is None else values[rows]


def is_memory_mapped(X):
    """Return True when ``X`` reads a memory-mapped file (``np.memmap``, or a view of one).

    scikit-learn's ``check_array`` returns a plain ndarray view of a ``np.memmap``; its
    ``base`` chain ends in the memmap and its ``mmap.mmap``.

    Parameters
    ----------
    X : ndarray
        The data.

    Returns
    -------
    mapped : bool
    """
    while X is not None:
        if isinstance(X, (np.memmap, mmap.mmap)):
            return True
        X = getattr(X, "base", None)
    return False


def _sample_rows(X, size):
    # Sorted indices of at most ``size`` rows: each column's extreme rows, and a uniform
    # draw of the rest.
    extremes = _extreme_rows(X)
    drawn = uniform_rows(X.shape[0], max(size - len(extremes), 0),
                         np.random.default_rng(START_SAMPLE_SEED))
    return np.union1d(drawn, extremes)


def uniform_rows(n, size, rng):
    """Draw ``size`` of the indices ``0 .. n - 1`` uniformly without replacement.

    Independent uniform draws are gathered until ``size`` distinct values are in hand,
    and a uniform choice of ``size`` of those is kept: memory grows with ``size`` only
    (``Generator.choice`` makes an array of all ``n`` indices when ``size`` exceeds
    ``n / 50``, ``RandomState.choice`` always).

    Parameters
    ----------
    n : int
        Number of rows.
    size : int
        Rows to draw, at most ``n``.
    rng : numpy.random.Generator
        The random numbers.

    Returns
    -------
    rows : ndarray of int64, shape (size,)
        Sorted.
    """
    if 2 * size > n:
        # Most of the rows: all but a uniform draw of the others.
        return np.setdiff1d(np.arange(n), uniform_rows(n, n - size, rng), assume_unique=True)
    distinct = np.empty(0, dtype=np.int64)
    while len(distinct) < size:
        more = rng.integers(0, n, size=(size - len(distinct)) * 9 // 8 + 64)
        distinct = np.union1d(distinct, more)
    if len(distinct) > size:
        distinct = np.sort(rng.choice(distinct, size, replace=False))
    return distinct


def _extreme_rows(X):
    # The first row holding each column's largest and smallest value (NaN skipped), read
    # _SCAN_ROWS rows at a time: reductions over the block, then a search of the columns
    # whose extreme the block beats.
    D = X.shape[1]
    top, bottom = np.full(D, -np.inf), np.full(D, np.inf)
    top_row, bottom_row = np.zeros(D, np.int64), np.zeros(D, np.int64)
    for start in range(0, X.shape[0], _SCAN_ROWS):
        block = X[start:start + _SCAN_ROWS]
        for reduce, best, rows, better in ((np.fmax.reduce, top, top_row, np.greater),
                                           (np.fmin.reduce, bottom, bottom_row, np.less)):
            values = reduce(block, axis=0)
            for j in np.flatnonzero(better(values, best)):
                best[j] = values[j]
                rows[j] = start + np.flatnonzero(block[:, j] == values[j])[0]
    observed = np.isfinite(top)
    return np.unique(np.concatenate([top_row[observed], bottom_row[observed]]))


def map_rows(fn, X, bytes_per_row=1024):
    """Apply ``fn`` to row chunks of ``X`` and stack the per-row results.

    Parameters
    ----------
    fn : callable
        ``fn(rows, start)`` maps a chunk of rows, the first of them row ``start`` of
        ``X``, to an array with one entry (or row) per input row.
    X : ndarray of shape (n_samples, n_features)
        The rows.
    bytes_per_row : int, default=1024
        Working-set bytes per row of ``fn``.

    Returns
    -------
    out : ndarray
    """
    bounds = ArraySource(X).chunks(bytes_per_row)
    return np.concatenate([fn(X[start:stop], start) for start, stop in bounds])
