"""``emkit fit --online``: online EM over a data file, one batch in memory at a time.

Data in memory or memory-mapped (a ``.npy`` file of floats) goes to the estimator's own
online ``fit``, whose batches are views of the file. Data read in blocks (a Parquet row
group, a block of CSV/TSV text, rows of a ``.npy`` file that need a conversion) is
streamed here: each block is read in this process, re-cut into batches of
``--batch-size`` rows (whole sequences for an HMM) and given to ``partial_fit``, with
``total_samples`` the number of rows (sequences), for ``--max-iter`` passes; its one start
is made from the first batch (the estimator's ``fit`` starts from a sample of the file).
Either way an online fit makes exactly ``--max-iter`` passes and holds one batch and one
block.
"""

import warnings
from dataclasses import dataclass

import numpy as np

from emkit.cli.errors import UsageError
from emkit.cli.models import is_sequential
from emkit.cli.progress import OnlineProgress
from emkit.engine import EMStep
from emkit.estimators._dask import is_dask
from emkit.exceptions import ConvergenceWarning

__all__ = ["ONLINE_OPTIONS", "OnlineFit", "check_online_options", "fit_online",
           "online_params"]

#: Options that set online EM, by argparse dest: each needs ``--online``.
ONLINE_OPTIONS = {"batch_size": "--batch-size", "learning_decay": "--learning-decay",
                  "learning_offset": "--learning-offset"}


@dataclass(frozen=True)
class OnlineFit:
    """What an online fit did.

    Attributes
    ----------
    passes : int
        Passes over the data (of the start kept).
    n_batch_iter : int
        Updates made, one per batch.
    batch_size : int
        Rows (whole sequences, for an HMM) per batch.
    sequential : bool
        The batches are whole sequences of an HMM.
    """

    passes: int
    n_batch_iter: int
    batch_size: int
    sequential: bool = False

    def record(self):
        """Return the fit's JSON fields.

        Returns
        -------
        fields : dict
        """
        return {"learning_method": "online", "batch_size": self.batch_size,
                "passes": self.passes, "n_batch_iter": self.n_batch_iter}

    def line(self):
        """Return the summary line of the fit.

        Returns
        -------
        text : str
        """
        unit = "sequences" if self.sequential else "rows"
        return (f"online EM: {self.passes} pass{'es' if self.passes != 1 else ''} in "
                f"batches of {self.batch_size} {unit} ({self.n_batch_iter} updates)")


def check_online_options(args, sequential):
    """Refuse, in one sentence, an option that an online fit (or a batch fit) cannot take.

    Parameters
    ----------
    args : argparse.Namespace
        ``emkit fit``'s parsed command line.
    sequential : bool
        The model is a hidden Markov model.
    """
    if not getattr(args, "online", False):
        for dest, flag in ONLINE_OPTIONS.items():
            if getattr(args, dest, None) is not None:
                raise UsageError(f"{flag} applies only to online EM; add --online, or drop "
                                 f"{flag}.")
        return
    if args.tol is not None:
        raise UsageError("--tol does not apply to --online: an online fit makes exactly "
                         "--max-iter passes over the data; drop --tol.")
    if getattr(args, "workers", None) is not None or getattr(args, "dask_scheduler", None):
        raise UsageError("--online streams the file in this process, not on a Dask "
                         "cluster; drop --workers and --dask-scheduler.")
    if sequential and args.lengths_column is None:
        raise UsageError("--online streams an HMM's data in batches of whole sequences; give "
                         "--lengths-column so that the file holds more than one sequence.")


def online_params(args):
    """Return the estimator parameters of ``--online`` and its options.

    Parameters
    ----------
    args : argparse.Namespace
        ``emkit fit``'s parsed command line, with ``--online``.

    Returns
    -------
    params : dict
        ``learning_method='online'``, ``tol=0`` (every pass is made) and the options
        given; the estimators' defaults stand for those not given.
    """
    params = {"learning_method": "online", "tol": 0.0}
    for dest in ONLINE_OPTIONS:
        value = getattr(args, dest, None)
        if value is not None:
            params[dest] = value
    return params


def fit_online(model, X, lengths, bars=False):
    """Fit ``model`` (set to ``learning_method='online'``) by online EM over ``X``.

    Parameters
    ----------
    model : estimator
        An unfitted emkit estimator with ``learning_method='online'``.
    X : ndarray or dask.array.Array of shape (n_rows, n_features)
        In memory or memory-mapped (the estimator's ``fit`` streams it), or a Dask array
        whose row blocks are read here one at a time.
    lengths : ndarray of int or None
        Sequence lengths of an HMM's data.
    bars : bool, default=False
        Draw a progress bar over the rows.

    Returns
    -------
    done : OnlineFit
    """
    sequential = is_sequential(model)
    passes = model.n_iter if sequential else model.max_iter
    lengths = lengths if sequential else None
    streamed = is_dask(X)
    model.set_params(total_samples=float(X.shape[0] if lengths is None else len(lengths)))
    if streamed:
        _check_streamed(model, X.shape[0], lengths)
    with OnlineProgress(X.shape[0], model.batch_size, passes, lengths,
                        1 if streamed else model.n_init, enabled=bars) as progress:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if streamed:
                _stream(model, X, lengths, passes, progress)
            else:
                model.fit(X, *(() if lengths is None else (lengths,)), callback=progress)
                passes = model.n_iter_
    return OnlineFit(passes, int(model.n_batch_iter_), model.batch_size, sequential)


def _check_streamed(model, n_rows, lengths):
    # partial_fit makes one start, from the first batch.
    if model.n_init > 1:
        raise UsageError("--online makes one start when it reads the data in blocks "
                         "instead of memory-mapping it (CSV, TSV, Parquet); drop --n-init, "
                         "or save the chosen columns as a .npy file of floats.")
    if lengths is None and min(model.batch_size, n_rows) < model.n_components:
        raise UsageError(f"--batch-size {model.batch_size} is less than -k "
                         f"{model.n_components}: the first batch starts the components and "
                         "needs a row for each; raise --batch-size.")


def _stream(model, X, lengths, passes, progress):
    # partial_fit over the batches of every pass (rows, or whole sequences of an HMM); a
    # batch's rows are read from the blocks.
    units = X.shape[0] if lengths is None else len(lengths)
    offsets = None if lengths is None else np.concatenate([[0], np.cumsum(lengths)])
    X = X.rechunk({1: -1})
    for _ in range(passes):
        firsts = range(0, units, model.batch_size)
        bounds = ((first, min(first + model.batch_size, units)) for first in firsts)
        rows = bounds if offsets is None else ((int(offsets[first]), int(offsets[last]))
                                               for first, last in bounds)
        for first, batch in zip(firsts, _batches(X, rows)):
            last = min(first + model.batch_size, units)
            model.partial_fit(batch, *(() if lengths is None else (lengths[first:last],)))
            progress(EMStep(model.n_batch_iter_, float("nan"), float("nan"), None))


def _batches(X, bounds):
    # The rows start:stop of each (start, stop) in ``bounds`` (consecutive, from row 0),
    # read one row block of the Dask array X at a time.
    blocks = (X.blocks[i].compute(scheduler="synchronous") for i in range(X.numblocks[0]))
    held, offset = np.empty((0, X.shape[1]), dtype=X.dtype), 0
    for start, stop in bounds:
        while offset + len(held) < stop:
            block = next(blocks)
            held = block if not len(held) else np.concatenate([held, block])
        yield held[start - offset:stop - offset]
        held, offset = held[stop - offset:], stop
