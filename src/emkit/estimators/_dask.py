"""Dask arrays and data frames at the estimators' edge: checked block by block, never gathered.

``fit`` on a Dask collection builds a :class:`emkit.engine.dask_source.DaskSource`:

* a data frame becomes an array (every column numeric, else one sentence naming it); the
  columns become one block, unknown block sizes are computed, HMM blocks are cut at
  sequence boundaries;
* the estimator's own check of in-memory data runs on every block, as part of the graph
  (so a bad value anywhere is refused with the in-memory sentence), and the checked
  blocks are persisted when they fit in half the memory of the cluster (or of this
  machine on the default scheduler), so iterations do not read the source again;
* one scan sums what the fit needs to know of the whole data (rows, weight, rows that
  observe nothing, columns that observe nothing, each column's extremes);
* starts are computed from a uniform sample of at most ``START_SAMPLE_ROWS`` rows (drawn
  with the fixed seed ``START_SAMPLE_SEED``, as for memory-mapped arrays), read
  blockwise, joined by the rows that hold each column's smallest and largest value (so
  that every category, symbol and range of the data is in it): with fewer rows than
  that, the sample is the data itself and the starts are the in-memory ones.

Prediction maps the in-memory method over the blocks. Nothing here imports Dask until a
Dask object arrives.
"""

import os
import warnings
from dataclasses import dataclass

import numpy as np

from emkit.engine.sources import (START_SAMPLE_ROWS, START_SAMPLE_SEED, ArraySource,
                                  SequenceSource, uniform_rows)

__all__ = ["START_SAMPLE_ROWS", "Part", "as_array", "blockwise", "blockwise_total", "dask_sequences",
           "dask_source", "is_dask", "sequence_blocks", "total_of"]

#: Rows read to size chunks by.
HEAD_ROWS = 1024
#: Share of the memory of the cluster (or this machine) the persisted blocks may take.
PERSIST_SHARE = 0.5


def is_dask(X):
    """Return True when ``X`` is a Dask collection (without importing Dask).

    Parameters
    ----------
    X : object
        Anything given to ``fit`` or ``predict``.

    Returns
    -------
    dask : bool
    """
    if isinstance(X, (list, tuple)):
        return any(is_dask(part) for part in X)
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def dask_sequences(X, lengths):
    """Return an HMM's Dask data as one stacked Dask array and its sequence lengths.

    Parameters
    ----------
    X : dask.array.Array or list of (dask.array.Array or dask.delayed.Delayed)
        The stacked sequences, or one Dask array or Delayed array per sequence (each
        becomes at least one block of its own).
    lengths : array-like of int or None
        The lengths of the stacked sequences; None is one sequence (a list gives its
        own lengths, so it takes none).

    Returns
    -------
    X : dask.array.Array
    lengths : array-like of int
    """
    if not isinstance(X, (list, tuple)):
        X, _ = as_array(X)  # once: a data frame's row count is a pass over it
        return X, [int(X.shape[0])] if lengths is None else lengths
    _require_dask()
    import dask
    import dask.array as da

    if lengths is not None:
        raise ValueError("A list of sequences gives its own lengths; pass lengths=None.")
    if not X:
        raise ValueError("The list of sequences is empty; give at least one sequence.")
    pending = [part for part in X if not isinstance(part, da.Array)]
    shapes = iter(dask.compute(*[dask.delayed(_shape_and_dtype)(part) for part in pending]))
    parts = []
    for part in X:
        if not isinstance(part, da.Array):
            shape, dtype = next(shapes)
            part = da.from_delayed(dask.delayed(part), shape=shape, dtype=dtype)
        parts.append(part.reshape(-1, 1) if part.ndim == 1 else part)
    return da.concatenate(parts, axis=0), [int(part.shape[0]) for part in parts]


def _shape_and_dtype(array):
    array = np.asarray(array)
    return array.shape, array.dtype


def _require_dask():
    try:
        import dask.array  # noqa: F401
    except ImportError:
        raise ImportError("Fitting or predicting on a Dask collection needs Dask; install "
                          "it with pip install 'emkit[dask]'.") from None


def as_array(X):
    """Return a Dask collection as a 2-D Dask array of one column block, known block sizes.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame or dask.dataframe.Series
        The data.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, n_features)
    names : ndarray of str or None
        The data frame's column names.
    """
    _require_dask()
    import dask.array as da
    import dask.dataframe as dd

    names = None
    if isinstance(X, dd.Series):
        X = X.to_frame()
    if isinstance(X, dd.DataFrame):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        for name, dtype in X.dtypes.items():
            if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype)):
                raise ValueError(f"Column {name!r} of the data frame holds {dtype} values, but "
                                 "EM needs numbers; drop the column or encode it as numbers.")
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        X = X.to_dask_array(lengths=True)
    if not isinstance(X, da.Array):
        raise TypeError(f"Expected a Dask array or data frame; got {type(X).__name__}.")
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D Dask array of shape (n_samples, n_features), got "
                         f"{X.ndim} dimensions; reshape it with X.reshape(-1, 1) for one "
                         "feature or X.reshape(1, -1) for one sample.")
    if any(np.isnan(size) for size in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X, names


def sequence_blocks(X, lengths):
    """Return ``X`` cut into blocks of whole sequences, and each block's lengths.

    A block takes whole sequences until it reaches the rows of the largest given block;
    a sequence longer than that is a block of its own (one task).

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        The stacked sequences.
    lengths : ndarray of shape (n_sequences,)
        Checked lengths summing to ``n_samples``.

    Returns
    -------
    X : dask.array.Array
    block_lengths : list of ndarray
    """
    target = max(X.chunks[0])
    blocks, current = [], []
    for length in lengths:
        if current and sum(current) + length > target:
            blocks.append(np.asarray(current, dtype=np.int64))
            current = []
        current.append(int(length))
    blocks.append(np.asarray(current, dtype=np.int64))
    rows = tuple(int(b.sum()) for b in blocks)
    if rows != tuple(X.chunks[0]):
        X = X.rechunk({0: rows})
    return X, blocks


@dataclass(frozen=True)
class _Scan:
    # What a fit needs to know of the whole data, summed block by block.
    rows: int
    weight: float
    empty: int
    observed: np.ndarray
    top: np.ndarray
    top_row: np.ndarray
    bottom: np.ndarray
    bottom_row: np.ndarray

    def __add__(self, other):
        # Ties keep the earlier block's row (blocks are added in order).
        up = other.top > self.top
        down = other.bottom < self.bottom
        return _Scan(self.rows + other.rows, self.weight + other.weight,
                     self.empty + other.empty, self.observed | other.observed,
                     np.where(up, other.top, self.top), np.where(up, other.top_row, self.top_row),
                     np.where(down, other.bottom, self.bottom),
                     np.where(down, other.bottom_row, self.bottom_row))


def _scan_block(block, weight, offset, weigh):
    # One pass over a block, in its own dtype: no float64 copy of it (a bool mask is
    # the largest temporary).
    D = block.shape[1]
    if not len(block):
        return _Scan(0, 0.0, 0, np.zeros(D, bool), np.full(D, -np.inf), np.zeros(D, np.int64),
                     np.full(D, np.inf), np.zeros(D, np.int64))
    missing = np.isnan(block)
    empty = missing.all(axis=1) if D else np.zeros(len(block), bool)
    observed = ~missing.all(axis=0)
    del missing
    if weigh is not None:
        weight = weigh(block, weight)
    total = float(len(block) if weight is None else np.sum(weight, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        top, bottom = np.fmax.reduce(block, axis=0), np.fmin.reduce(block, axis=0)
        top_row = np.argmax(block == top, axis=0)
        bottom_row = np.argmax(block == bottom, axis=0)
    top = np.where(observed, top, -np.inf).astype(np.float64)
    bottom = np.where(observed, bottom, np.inf).astype(np.float64)
    return _Scan(len(block), total, int(empty.sum()), observed, top, top_row + offset, bottom,
                 bottom_row + offset)


def _memory_limit():
    # Bytes the persisted blocks may take: a share of the workers' memory, or of this
    # machine's available memory on the default scheduler.
    from emkit.engine.dask_source import active_client

    client = active_client()
    if client is not None:
        workers = client.scheduler_info().get("workers", {}).values()
        return PERSIST_SHARE * sum(w.get("memory_limit", 0) or 0 for w in workers)
    try:
        return PERSIST_SHARE * os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def dask_source(X, check, *, sample_weight=None, sequences=False, lengths=None,
                drop_empty=False, min_samples=1, row_bounds=False):
    """Build the source of a fit on Dask data (checked, persisted, scanned once).

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
        The data.
    check : callable
        The estimator's check of one in-memory block; returns the block as the fit
        reads it (its dtype) or raises the in-memory sentence.
    sample_weight : array-like, default=None
        Weights of the rows (of the sequences with ``lengths``), NumPy or Dask.
    sequences : bool, default=False
        The rows are stacked sequences (an HMM's data).
    lengths : array-like of int, default=None
        Sequence lengths when ``sequences``; None is one sequence of every row.
    drop_empty : bool, default=False
        Rows that observe nothing (all NaN) weigh zero in the fit, as in memory.
    min_samples : int, default=1
        Fewest rows the fit accepts.
    row_bounds : bool, default=False
        Give each chunk function its rows' place in the whole data, ``rows=(start,
        stop)`` (a model with parameters per row).

    Returns
    -------
    source : DaskSource
    names : ndarray of str or None
        The data frame's column names.
    """
    _require_dask()
    import dask
    import dask.array as da

    from emkit.engine.dask_source import DaskSource, compute, scheduler_address
    from emkit.estimators.hmm._sequences import as_lengths, sequence_weights

    address = scheduler_address()
    X, names = as_array(X)
    weigh = _weightless_empty_rows if drop_empty else None
    n = int(X.shape[0])
    if n < min_samples:
        raise ValueError(f"Found array with {n} sample(s) (shape={X.shape}) while a minimum "
                         f"of {min_samples} is required.")
    block_lengths = None
    if sequences:
        lengths = as_lengths(lengths, n)
        X, block_lengths = sequence_blocks(X, lengths)
    head = check(compute(X[:min(n, HEAD_ROWS)], address=address))
    X = X.map_blocks(check, dtype=head.dtype, meta=np.empty((0, head.shape[1]), head.dtype))
    weights = _weights(sample_weight, X, block_lengths, sequence_weights)
    if X.nbytes <= _memory_limit():
        X, weights = dask.persist(X, weights)
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])
    blocks = X.to_delayed().ravel()
    row_weights = None if weights is None or lengths is not None else weights.to_delayed()
    from emkit.engine.dask_source import tree_sum

    scans = [dask.delayed(_scan_block, pure=True)(
        block, None if row_weights is None else row_weights[i], int(offsets[i]), weigh)
        for i, block in enumerate(blocks)]
    scan = compute(tree_sum(scans), address=address)
    if not scan.observed.all():
        raise ValueError(f"Column {int(np.flatnonzero(~scan.observed)[0])} of X has no "
                         "observed value (every entry is NaN); drop it before fitting.")
    if lengths is None:
        total = scan.weight
        if not total > 0:
            raise ValueError("Every row of X with a positive weight is entirely missing; "
                             "there is nothing to fit.")
    else:
        total = float(len(lengths)) if weights is None else float(
            compute(weights.sum(), address=address))

    def start():
        return _start_source(X, weights, lengths, scan, weigh, address)

    source = DaskSource(X, weights, block_lengths, total, weigh if scan.empty else None,
                        head, start, row_bounds=row_bounds)
    return source, names


def _weights(sample_weight, X, block_lengths, sequence_weights):
    import dask.array as da

    if sample_weight is None:
        return None
    if block_lengths is None:
        if is_dask(sample_weight):
            weights = da.asarray(sample_weight).astype(np.float64).ravel()
            if weights.shape[0] != X.shape[0]:
                raise ValueError(f"sample_weight has {weights.shape[0]} entries but X has "
                                 f"{X.shape[0]} rows; give one weight per row.")
            return weights.rechunk((X.chunks[0],)).map_blocks(_non_negative, dtype=np.float64)
        weights = np.asarray(sample_weight, dtype=np.float64).ravel()
        if weights.shape != (X.shape[0],):
            raise ValueError(f"sample_weight has {weights.size} entries but X has "
                             f"{X.shape[0]} rows; give one weight per row.")
        _non_negative(weights)
        return da.from_array(weights, chunks=(X.chunks[0],))
    weights = sequence_weights(np.asarray(sample_weight), sum(len(b) for b in block_lengths))
    return da.from_array(weights, chunks=(tuple(len(b) for b in block_lengths),))


def _weightless_empty_rows(block, weight):
    # The weights of a block's rows, with rows that observe nothing at zero.
    empty = np.isnan(block).all(axis=1) if block.shape[1] else np.zeros(len(block), bool)
    if not empty.any():
        return weight
    weight = np.ones(len(block)) if weight is None else np.array(weight, dtype=np.float64)
    weight[empty] = 0.0
    return weight


def total_of(value):
    """Compute one Dask scalar (a sum or a mean over the blocks) as a float.

    Parameters
    ----------
    value : dask.array.Array
        A 0-d Dask array.

    Returns
    -------
    total : float
    """
    from emkit.engine.dask_source import compute

    return float(compute(value))


def _non_negative(weights):
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        i = int(np.flatnonzero(~(weights >= 0) | ~np.isfinite(weights))[0])
        raise ValueError(f"sample_weight holds {weights[i]:g}, but sample weights must be "
                         "finite and non-negative; give each sample a weight of 0 or more.")
    return weights


def _start_source(X, weights, lengths, scan, weigh, address):
    # The in-process source of the starts: every row when there are few, else a uniform
    # sample and the rows of each column's extremes, in row order.
    from emkit.engine.dask_source import compute

    n = int(X.shape[0])
    if n <= START_SAMPLE_ROWS:
        rows = np.arange(n)
    else:
        drawn = uniform_rows(n, START_SAMPLE_ROWS, np.random.default_rng(START_SAMPLE_SEED))
        rows = np.unique(np.concatenate([drawn, scan.top_row, scan.bottom_row]))
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])
    picks = []
    for i, block in enumerate(X.to_delayed().ravel()):
        inside = rows[(rows >= offsets[i]) & (rows < offsets[i + 1])] - offsets[i]
        if len(inside):
            picks.append(block[inside])
    sample = np.concatenate(compute(*picks, address=address)) if len(picks) > 1 else (
        np.asarray(compute(picks[0], address=address)))
    if lengths is not None:
        if n <= START_SAMPLE_ROWS:
            seq_weights = None if weights is None else compute(weights, address=address)
            return SequenceSource(sample, lengths, seq_weights)
        return SequenceSource(sample, np.array([len(sample)]))
    sample_weight = None if weights is None else compute(weights[rows], address=address)
    if weigh is not None:
        sample_weight = weigh(sample, sample_weight)
    return ArraySource(sample, sample_weight)


def blockwise(method, X, kind, *, width=None, dtype=np.float64, lengths=None):
    """Map an in-memory prediction method over the blocks of Dask data.

    Parameters
    ----------
    method : callable
        ``method(block)`` (``method(block, lengths)`` with sequences): the estimator's
        in-memory method.
    X : dask.array.Array or dask.dataframe.DataFrame
        The data.
    kind : {'rows', 'matrix', 'same'}
        What ``method`` returns per row: one value, ``width`` values, or a row like X's.
    width : int, default=None
        Columns of the result when ``kind`` is 'matrix'.
    dtype : numpy.dtype, default=np.float64
        The result's dtype.
    lengths : array-like of int, default=None
        Sequence lengths (blocks are cut at sequence boundaries).

    Returns
    -------
    result : dask.array.Array
    """
    from emkit.estimators.hmm._sequences import as_lengths

    X, _ = as_array(X)
    block_lengths = None
    if lengths is not None:
        X, block_lengths = sequence_blocks(X, as_lengths(lengths, int(X.shape[0])))
    call = _BlockCall(method, block_lengths)
    if kind == "rows":
        return X.map_blocks(call, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype))
    if kind == "matrix":
        return X.map_blocks(call, chunks=(X.chunks[0], (width,)), dtype=dtype,
                            meta=np.empty((0, width), dtype))
    return X.map_blocks(call, dtype=dtype, meta=np.empty((0, X.shape[1]), dtype))


def blockwise_total(method, X, lengths=None):
    """Sum a scalar in-memory method over the blocks of Dask data, in a tree of tasks.

    Parameters
    ----------
    method : callable
        ``method(block)`` (``method(block, lengths)`` with sequences) returns a float.
    X : dask.array.Array or dask.dataframe.DataFrame
        The data.
    lengths : array-like of int, default=None
        Sequence lengths (blocks are cut at sequence boundaries).

    Returns
    -------
    total : float
    """
    import dask

    from emkit.engine.dask_source import compute, tree_sum
    from emkit.estimators.hmm._sequences import as_lengths

    X, _ = as_array(X)
    block_lengths = None
    if lengths is not None:
        X, block_lengths = sequence_blocks(X, as_lengths(lengths, int(X.shape[0])))
    call = _BlockCall(method, block_lengths)
    parts = [dask.delayed(call, pure=True)(block, index=i)
             for i, block in enumerate(X.to_delayed().ravel())]
    return float(compute(tree_sum(parts)))


class Part:
    """``method(*args, **kwargs)[index]``: one part of what a method returns, picklable.

    Parameters
    ----------
    method : callable
        The method.
    index : int
        Which part of its result.
    **kwargs
        Keyword arguments of every call.
    """

    def __init__(self, method, index, **kwargs):
        self.method, self.index, self.kwargs = method, index, kwargs

    def __call__(self, *args):
        return self.method(*args, **self.kwargs)[self.index]


class _BlockCall:
    # One block's prediction, with its sequences' lengths; a NumPy block has no column
    # names, which the estimator checked on the data frame already.

    def __init__(self, method, block_lengths):
        self.method = method
        self.block_lengths = block_lengths

    def __call__(self, block, block_info=None, index=None):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            if self.block_lengths is None:
                return self.method(block)
            if index is None:
                index = block_info[0]["chunk-location"][0]
            return self.method(block, self.block_lengths[index])
