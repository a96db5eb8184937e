"""The model sub-commands: ``fit``, ``predict``, ``score`` and ``sample``.

Each takes the parsed arguments and an :class:`~emkit.cli.output.Output` and returns nothing.
A model file written by ``fit`` remembers its data's columns, text categories and
sequence-id column (:mod:`emkit.cli.columns`), which the other commands use.
"""

import os
import warnings

import numpy as np

from emkit.cli.cluster import dask_client
from emkit.cli.columns import CATEGORY_MODELS, Column, DataRecord, encode_columns
from emkit.cli.data import check_data_file, parse_column_list, read_table, write_table
from emkit.cli.fit_data import BLOCK_BYTES, FitData, open_features, select_columns
from emkit.cli.errors import UsageError
from emkit.cli.models import (MODELS, TOPIC_NAMES, build_estimator, expected_columns,
                              is_sequential, is_topic_model)
from emkit.cli.online import check_online_options, fit_online, online_params
from emkit.cli.parser import DEFAULT_MAX_ITER
from emkit.cli.progress import FitProgress
from emkit.cli.targets import check_outputs, check_tables
from emkit.cli.topics import fit_topics, is_sparse_file
from emkit.estimators._dask import is_dask, total_of
from emkit.exceptions import ConvergenceWarning
from emkit.models import criteria

__all__ = ["fit", "predict", "score", "sample", "check_outputs", "likelihood_lines",
           "load_model", "read_features", "stopped_early"]

FIT_OPTIONS = ("covariance_type", "max_iter", "tol", "n_init", "seed")
HMM_NAMES = ", ".join(kind.name for kind in MODELS.values() if kind.sequential)
#: Rows of a memory-mapped file scored at a time for the fit's summary.
SCORE_ROWS = 65536


def read_features(path, columns=None, lengths_column=None):
    """Read the feature matrix (and sequence lengths) a command works on.

    Parameters
    ----------
    path : str
        The data file.
    columns : str, default=None
        ``--columns``: comma-separated names or 0-based indices; None uses them all.
    lengths_column : str, default=None
        ``--lengths-column``: the sequence-id column, left out of the features.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    names : list of str
        The feature columns' names.
    lengths : ndarray of int or None
        Sequence lengths; None when no sequence-id column was given.
    """
    table = read_table(path)
    lengths, exclude = None, ()
    if lengths_column is not None:
        lengths, index = table.sequence_lengths(lengths_column)
        exclude = (index,)
    columns = parse_column_list(columns) if columns is not None else None
    X, names = table.features(columns, exclude)
    return X, names, lengths


def likelihood_lines(total, n_samples):
    """Return the two lines that report a log-likelihood, worded alike by every command.

    Parameters
    ----------
    total : float
        Log-likelihood summed over the rows.
    n_samples : int
        Number of rows.

    Returns
    -------
    lines : list of str
    """
    return [f"log-likelihood (total over the data): {total:.6f} ({n_samples} rows)",
            f"log-likelihood (mean per row): {total / n_samples:.6f}"]


def stopped_early(max_iter, what="the fit"):
    """Return the warning of a fit that hit ``--max-iter`` before converging.

    Parameters
    ----------
    max_iter : int
        The cap.
    what : str, default='the fit'
        What stopped, e.g. ``'2 of 8 candidates'``.

    Returns
    -------
    text : str
    """
    return f"{what} stopped at --max-iter {max_iter} before converging; raise --max-iter"


def load_model(path):
    """Load a model file and the record of the data it was fitted on.

    Parameters
    ----------
    path : str
        The model file.

    Returns
    -------
    model : estimator
    record : DataRecord
        Empty for a file saved without one (older files, models saved from Python).
    """
    from emkit.exceptions import ModelFileError
    from emkit.io.model_file import load
    model, metadata = load(path, with_metadata=True)
    try:
        return model, DataRecord.from_metadata(metadata)
    except ModelFileError as exc:
        raise ModelFileError(f"Cannot load {os.fspath(path)!r}: {exc}") from None


def _load_fitted(path, command=None):
    # ``command``: predict, score or sample, which a topic model does not take.
    from emkit.io.kinds import kind_of
    model, record = load_model(path)
    if not all(hasattr(model, name) for name in kind_of(model).needed):
        raise UsageError(f"{path!r} holds an unfitted model; fit one first with 'emkit fit'.")
    if command is not None and is_topic_model(model):
        raise UsageError(f"{command} applies to mixtures and HMMs; {path!r} holds a topic "
                         f"model ({type(model).__name__}), whose document-topic proportions "
                         "'emkit transform' gives.")
    return model, record


def _check_lengths_allowed(sequential, lengths_column):
    if lengths_column is not None and not sequential:
        raise UsageError(f"--lengths-column applies only to hidden Markov models ({HMM_NAMES}).")


def _check_n_components(k, n_rows, path):
    if k > n_rows:
        raise UsageError(f"-k {k} is more than the {n_rows} rows of {path}; use at most "
                         f"{n_rows} components.")


def _total_log_likelihood(model, X, lengths):
    if is_sequential(model):
        return float(model.score(X, lengths))
    return float(np.sum(model._log_likelihoods(X)))


def _bic(model, X, lengths):
    return float(model.bic(X, lengths) if is_sequential(model) else model.bic(X))


def _streamed_log_likelihood(model, X, lengths):
    # The total over data read block by block (a Dask array's blocks, or a memory-mapped
    # file's rows), never a value per row of the whole data at once.
    if is_sequential(model):
        return float(model.score(X, lengths))
    if is_dask(X):
        return total_of(model._log_likelihoods(X).sum())
    return float(sum(np.sum(model._log_likelihoods(X[start:start + SCORE_ROWS]))
                     for start in range(0, len(X), SCORE_ROWS)))


def _model_input(model, record, args, out):
    # The features of DATA for a loaded model: the columns and sequence ids given, else the
    # ones the model was fitted on; text categories coded as in the fit.
    sequential = is_sequential(model)
    _check_lengths_allowed(sequential, args.lengths_column)
    table = read_table(args.data)
    id_key = args.lengths_column
    if id_key is None and sequential and record.sequence_column is not None:
        if record.sequence_column in table.names:
            id_key = record.sequence_column
        else:
            out.note(f"{args.data} has no column {record.sequence_column!r} of sequence ids, "
                     "which the model was fitted with; its rows are one sequence.")
    lengths, id_index = table.sequence_lengths(id_key) if id_key is not None else (None, None)
    if args.columns is not None:
        indices = [table.column_index(key) for key in parse_column_list(args.columns)]
    else:
        indices = _fitted_columns(table, record, id_index, args.data)
    indices = [i for i in indices if i != id_index]
    if not indices:
        raise UsageError(f"{args.data} has no feature columns left; choose some with "
                         "--columns.")
    names = [table.names[i] for i in indices]
    expected = expected_columns(model)
    if expected is not None and len(indices) != expected:
        hint = " and --lengths-column" if sequential else ""
        raise UsageError(f"the model takes {expected} data column(s) but {args.data} gives "
                         f"{len(indices)} ({', '.join(names)}); choose them with "
                         f"--columns{hint}.")
    columns = record.columns if len(record.columns) == len(indices) else map(Column, names)
    X = np.column_stack([column.encode(table, i) for column, i in zip(columns, indices)])
    return X, lengths


def _fitted_columns(table, record, id_index, path):
    # The positions of the fit's columns, by name (every column when the model file does
    # not name them); a file without a header gives its columns in order.
    names = record.names
    if all(name in table.names for name in names):
        return [table.names.index(name) for name in names] or list(range(len(table.columns)))
    others = [i for i in range(len(table.columns)) if i != id_index]
    if not table.has_header and len(others) == len(names):
        return others
    missing = next(name for name in names if name not in table.names)
    raise UsageError(f"{path} has no column {missing!r}, which the model was fitted on "
                     f"(columns {', '.join(names)}); choose the columns with --columns.")


def _sequence_args(model, lengths):
    return (lengths,) if is_sequential(model) else ()


def fit(args, out):
    """``emkit fit``: fit one model to a data file and save it.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    kind = MODELS[args.model]
    if kind.topics:
        fit_topics(args, out)
        return
    if is_sparse_file(args.data):
        raise UsageError(f"{args.data} is a sparse matrix file, which the topic models "
                         f"({TOPIC_NAMES}) read; the other models take CSV, TSV, .npy or "
                         "Parquet tables.")
    _check_lengths_allowed(kind.sequential, args.lengths_column)
    check_online_options(args, kind.sequential)
    online = getattr(args, "online", False)
    if args.max_iter is None:  # iterations, or passes of online EM
        args.max_iter = 1 if online else DEFAULT_MAX_ITER
    check_outputs(args.output, inputs=(args.data,))
    check_data_file(args.data)  # before a cluster starts
    address, workers = getattr(args, "dask_scheduler", None), getattr(args, "workers", None)
    with dask_client(address, workers) as client:
        data, columns = _open_fit_data(args, distributed=client is not None)
        X, names, lengths, n = data.X, data.names, data.lengths, data.n_rows
        _check_n_components(args.k, n, args.data)
        if args.model == "hmm-categorical" and X.shape[1] != 1:
            raise UsageError(f"hmm-categorical takes one column of symbols but {args.data} "
                             f"gives {X.shape[1]} ({', '.join(names)}); choose one with "
                             "--columns.")
        model = build_estimator(args.model, args.k, {o: getattr(args, o) for o in FIT_OPTIONS})
        if online:
            model.set_params(**online_params(args))
            online_fit = fit_online(model, X, lengths, bars=out.bars)
        else:
            online_fit = _fit_model(model, X, lengths, out)
        if data.in_memory:
            total, bic = _total_log_likelihood(model, X, lengths), _bic(model, X, lengths)
        else:
            total = _streamed_log_likelihood(model, X, lengths)
            bic = criteria.bic(total, model._n_parameters(), n)
    if online_fit is None and not model.converged_ and model.n_iter_ >= args.max_iter:
        out.warn(stopped_early(args.max_iter))
    _save(model, args.output, DataRecord(columns, data.sequence_column, total, n))
    record = {"command": "fit", "model": args.model, "class": type(model).__name__,
              "n_components": args.k, "n_samples": n, "n_features": X.shape[1],
              "columns": names, "n_sequences": None if lengths is None else len(lengths),
              "converged": bool(getattr(model, "converged_", False)),
              "n_iter": int(model.n_iter_) if online_fit is None else online_fit.passes,
              "max_iter": args.max_iter, "log_likelihood": total,
              "mean_log_likelihood": total / n, "bic": bic, "output": args.output,
              **({} if online_fit is None else online_fit.record())}
    out.emit(record, [
        f"fitted {args.model} ({record['class']}) with {args.k} components on {n} rows "
        f"x {X.shape[1]} columns ({_described(columns)})",
        f"  {online_fit.line()}" if online_fit is not None else
        f"  converged: {'yes' if record['converged'] else 'no'} after {record['n_iter']} "
        "iterations",
        *(f"  {line}" for line in likelihood_lines(total, n)),
        f"  BIC: {record['bic']:.6f}",
        f"saved {args.output}"])


def _open_fit_data(args, distributed):
    # The fit's data and its columns. Models of text categories read the table whole and
    # code its text columns, unless the fit runs on a Dask cluster (numbers only there).
    block_size = getattr(args, "block_size", BLOCK_BYTES)
    try:
        data = open_features(args.data, args.columns, args.lengths_column, block_size,
                             distributed=distributed)
    except UsageError as exc:
        if args.model not in CATEGORY_MODELS:
            raise
        if distributed:
            raise UsageError(f"{str(exc).rstrip('.')}; a fit on a Dask cluster takes numbers "
                             "only, so fit text categories without --workers and "
                             "--dask-scheduler.") from None
    else:
        return data, [Column(name) for name in data.names]
    table = read_table(args.data)  # a text column, which the models of categories code
    indices, names, id_index = select_columns(table, args.columns, args.lengths_column)
    lengths = None if id_index is None else table.sequence_lengths(args.lengths_column)[0]
    X, columns = encode_columns(table, indices, args.model)
    sequence = None if id_index is None else table.names[id_index]
    return FitData(X, names, lengths, len(X), True, sequence), columns


def _fit_model(model, X, lengths, out):
    # The estimator's own warning of a fit stopped by the cap names its Python parameter;
    # fit says it in the command line's words instead. Returns None (no online passes).
    max_iter = model.n_iter if is_sequential(model) else model.max_iter
    with FitProgress(max_iter, model.n_init, enabled=out.bars) as progress:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, *_sequence_args(model, lengths), callback=progress)


def _described(columns):
    return ", ".join(column.name if column.categories is None else
                     f"{column.name}: {len(column.categories)} categories" for column in columns)


def _save(model, path, record):
    from emkit.io.model_file import save
    save(model, path, metadata=record.to_metadata())


def predict(args, out):
    """``emkit predict``: most probable component (or their probabilities) of each row.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    output = _file_output(args)
    check_outputs(output, inputs=(args.model_file, args.data))
    check_tables(output)
    model, data_record = _load_fitted(args.model_file, "predict")
    X, lengths = _model_input(model, data_record, args, out)
    extra = _sequence_args(model, lengths)
    if args.proba:
        proba = model.predict_proba(X, *extra)
        columns = {f"prob_{k}": proba[:, k] for k in range(proba.shape[1])}
        result = {"probabilities": proba}
    else:
        labels = model.predict(X, *extra)
        columns = {"label": labels}
        result = {"labels": labels}
    record = {"command": "predict", "n_samples": len(X), "output": output}
    if output is not None:
        write_table(output, columns)
        out.emit(record, [f"wrote {len(X)} rows to {output}"])
    elif out.json:
        out.emit({**record, **result})
    else:
        write_table(None, columns)


def _file_output(args):
    # -o - is standard output, the same as no -o.
    return None if args.output == "-" else args.output


def score(args, out):
    """``emkit score``: total and per-row mean log-likelihood of a data file.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    model, data_record = _load_fitted(args.model_file, "score")
    X, lengths = _model_input(model, data_record, args, out)
    total = _total_log_likelihood(model, X, lengths)
    record = {"command": "score", "n_samples": len(X), "log_likelihood": total,
              "mean_log_likelihood": total / len(X)}
    out.emit(record, likelihood_lines(total, len(X)))


def sample(args, out):
    """``emkit sample``: draw rows from a fitted model.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    output = _file_output(args)
    check_outputs(output, inputs=(args.model_file,))
    check_tables(output)
    model, data_record = _load_fitted(args.model_file, "sample")
    _check_sample_size(args.n_samples, model)
    if is_sequential(model):
        X, labels = model.sample(args.n_samples, random_state=args.seed)
    else:
        if args.seed is not None:
            model.set_params(random_state=args.seed)
        X, labels = model.sample(args.n_samples)
    X = _whole_numbers_as_int(np.asarray(X).reshape(len(X), -1))
    fitted = data_record.columns
    if len(fitted) != X.shape[1]:  # a file that does not name its columns
        fitted = [Column(f"x{j}") for j in range(X.shape[1])]
    decoded = [column.decode(X[:, j]) for j, column in enumerate(fitted)]
    columns = dict(zip((column.name for column in fitted), decoded))
    if args.labels:
        columns["state" if is_sequential(model) else "component"] = labels
    record = {"command": "sample", "n_samples": len(X), "columns": list(columns),
              "output": output}
    if output is not None:
        write_table(output, columns)
        out.emit(record, [f"wrote {len(X)} samples to {output}"])
    elif out.json:
        rows = X if all(c.categories is None for c in fitted) else [
            list(row) for row in zip(*(values.tolist() for values in decoded))]
        out.emit({**record, "samples": rows, "labels": labels})
    else:
        write_table(None, columns)


def _check_sample_size(n_samples, model):
    # Refused before any allocation: the draws, their labels and one copy of them.
    needed = n_samples * ((expected_columns(model) or 1) + 1) * 8 * 2
    memory = _physical_memory()
    if memory is not None and needed > memory:
        raise UsageError(f"-n {n_samples} needs about {_bytes(needed)} of memory, more than "
                         f"the {_bytes(memory)} this machine has; draw fewer samples, in "
                         "several runs if needed.")


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not reported here (e.g. Windows)
        return None


def _bytes(count):
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if count < 1000 or unit == "PB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000


def _whole_numbers_as_int(X):
    # Counts and 0/1 draws read better as 3 than 3.0.
    if X.dtype.kind == "f" and np.all(np.isfinite(X)) and np.all(X == np.round(X)):
        return X.astype(np.int64)
    return X
