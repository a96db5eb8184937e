"""The model sub-commands: ``fit``, ``predict``, ``score``, ``sample`` and ``info``.

Each takes the parsed arguments and an :class:`~emkit.cli.output.Output` and returns nothing.
"""

import os

import numpy as np

from emkit.cli.cluster import dask_client
from emkit.cli.data import (BLOCK_BYTES, check_data_file, open_features, parse_column_list,
                            read_table, write_table)
from emkit.cli.errors import UsageError
from emkit.cli.models import (MODELS, build_estimator, expected_columns, is_sequential,
                              kind_name)
from emkit.cli.progress import FitProgress
from emkit.estimators._dask import is_dask, total_of
from emkit.families.base import Family
from emkit.models import criteria

__all__ = ["fit", "predict", "score", "sample", "info", "check_outputs", "read_features"]

FIT_OPTIONS = ("covariance_type", "max_iter", "tol", "n_init", "seed")
FITTED_SUMMARY = ("weights_", "startprob_", "transmat_", "means_", "lambdas_", "emissionprob_",
                  "probs_")
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


def check_outputs(*paths, inputs=()):
    """Refuse, before any work, output paths that cannot be written or would lose an input.

    Parameters
    ----------
    *paths : str or None
        Output files; None and ``-`` (standard output) are skipped.
    inputs : tuple of str, default=()
        The files the command reads, which an output must not replace.
    """
    from emkit._files import check_replaceable
    for path in paths:
        if path is None or path == "-":
            continue
        folder = os.path.dirname(os.path.realpath(path))  # a link's target's folder
        if not os.path.isdir(folder):
            raise UsageError(f"the folder of {path!r} does not exist; create it first.")
        check_replaceable(path)
        if any(_same_file(path, source) for source in inputs):
            raise UsageError(f"{path!r} is also an input of this command; write the "
                             "output to another file.")


def _same_file(path, other):
    try:
        return os.path.samefile(path, other)
    except OSError:  # one of them does not exist
        return False


def _load(path):
    from emkit.io import load
    return load(path)


def _load_fitted(path):
    from emkit.io.kinds import kind_of
    model = _load(path)
    if not all(hasattr(model, name) for name in kind_of(model).needed):
        raise UsageError(f"{path!r} holds an unfitted model; fit one first with 'emkit fit'.")
    return model


def _save(model, path):
    from emkit.io import save
    save(model, path)


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
    return float(np.sum(model.score_samples(X)))


def _bic(model, X, lengths):
    return float(model.bic(X, lengths) if is_sequential(model) else model.bic(X))


def _streamed_log_likelihood(model, X, lengths):
    # The total over data read block by block (a Dask array's blocks, or a memory-mapped
    # file's rows), never a value per row of the whole data at once.
    if is_sequential(model):
        return float(model.score(X, lengths))
    if is_dask(X):
        return total_of(model.score_samples(X).sum())
    return float(sum(np.sum(model.score_samples(X[start:start + SCORE_ROWS]))
                     for start in range(0, len(X), SCORE_ROWS)))


def _model_input(model, args):
    # The features of DATA for a loaded model, checked against what the model takes.
    _check_lengths_allowed(is_sequential(model), args.lengths_column)
    X, names, lengths = read_features(args.data, args.columns, args.lengths_column)
    expected = expected_columns(model)
    if expected is not None and X.shape[1] != expected:
        hint = " and --lengths-column" if is_sequential(model) else ""
        raise UsageError(f"the model takes {expected} data column(s) but {args.data} gives "
                         f"{X.shape[1]} ({', '.join(names)}); choose them with --columns{hint}.")
    return X, lengths


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
    _check_lengths_allowed(kind.sequential, args.lengths_column)
    check_outputs(args.output, inputs=(args.data,))
    check_data_file(args.data)  # before a cluster starts
    address, workers = getattr(args, "dask_scheduler", None), getattr(args, "workers", None)
    with dask_client(address, workers) as client:
        data = open_features(args.data, args.columns, args.lengths_column,
                             getattr(args, "block_size", BLOCK_BYTES),
                             distributed=client is not None)
        X, names, lengths, n = data.X, data.names, data.lengths, data.n_rows
        _check_n_components(args.k, n, args.data)
        if args.model == "hmm-categorical" and X.shape[1] != 1:
            raise UsageError(f"hmm-categorical takes one column of symbols but {args.data} "
                             f"gives {X.shape[1]} ({', '.join(names)}); choose one with "
                             "--columns.")
        model = build_estimator(args.model, args.k, {o: getattr(args, o) for o in FIT_OPTIONS})
        max_iter = model.n_iter if kind.sequential else model.max_iter
        with FitProgress(max_iter, model.n_init, enabled=out.bars) as progress:
            model.fit(X, *_sequence_args(model, lengths), callback=progress)
        _save(model, args.output)
        if data.in_memory:
            total, bic = _total_log_likelihood(model, X, lengths), _bic(model, X, lengths)
        else:
            total = _streamed_log_likelihood(model, X, lengths)
            bic = criteria.bic(total, model._n_parameters(), n)
    record = {"command": "fit", "model": args.model, "class": type(model).__name__,
              "n_components": args.k, "n_samples": n, "n_features": X.shape[1],
              "columns": names, "n_sequences": None if lengths is None else len(lengths),
              "converged": bool(model.converged_), "n_iter": int(model.n_iter_),
              "log_likelihood": total, "bic": bic, "output": args.output}
    out.emit(record, [
        f"fitted {args.model} ({record['class']}) with {args.k} components on {n} rows "
        f"x {X.shape[1]} columns ({', '.join(names)})",
        f"  converged: {'yes' if record['converged'] else 'no'} after {record['n_iter']} "
        "iterations",
        f"  log-likelihood: {total:.6f} (mean {total / n:.6f} per row)",
        f"  BIC: {record['bic']:.6f}",
        f"saved {args.output}"])


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
    model = _load_fitted(args.model_file)
    X, lengths = _model_input(model, args)
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
    model = _load_fitted(args.model_file)
    X, lengths = _model_input(model, args)
    total = _total_log_likelihood(model, X, lengths)
    record = {"command": "score", "n_samples": len(X), "log_likelihood": total,
              "mean_log_likelihood": total / len(X)}
    out.emit(record, [f"log-likelihood: {total:.6f}",
                      f"mean per row: {total / len(X):.6f} ({len(X)} rows)"])


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
    model = _load_fitted(args.model_file)
    _check_sample_size(args.n_samples, model)
    if is_sequential(model):
        X, labels = model.sample(args.n_samples, random_state=args.seed)
    else:
        if args.seed is not None:
            model.set_params(random_state=args.seed)
        X, labels = model.sample(args.n_samples)
    X = _whole_numbers_as_int(np.asarray(X).reshape(len(X), -1))
    columns = {f"x{j}": X[:, j] for j in range(X.shape[1])}
    if args.labels:
        columns["state" if is_sequential(model) else "component"] = labels
    record = {"command": "sample", "n_samples": len(X), "columns": list(columns),
              "output": output}
    if output is not None:
        write_table(output, columns)
        out.emit(record, [f"wrote {len(X)} samples to {output}"])
    elif out.json:
        out.emit({**record, "samples": X, "labels": labels})
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


def info(args, out):
    """``emkit info``: what a model file holds.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    model = _load(args.model_file)
    fitted = {name: getattr(model, name) for name in FITTED_SUMMARY if hasattr(model, name)}
    parameters = {name: _family_record(value) for name, value in model.get_params().items()}
    record = {"command": "info", "file": args.model_file, "model": kind_name(model),
              "class": type(model).__name__, "parameters": parameters,
              "fit": _fit_summary(model), "fitted": fitted}
    lines = [f"model: {record['model']} ({record['class']})",
             "parameters: " + ", ".join(f"{k}={_brief(v)}" for k, v in
                                        sorted(record["parameters"].items())),
             "fit: " + (", ".join(f"{k}={_brief(v)}" for k, v in record["fit"].items())
                        or "not fitted")]
    lines += [f"{name}: {_brief(value)}" for name, value in fitted.items()]
    out.emit(record, lines)


def _fit_summary(model):
    summary = {}
    for name in ("converged_", "n_iter_", "lower_bound_"):
        if hasattr(model, name):
            summary[name.rstrip("_")] = getattr(model, name)
    history = getattr(getattr(model, "monitor_", None), "history", None)
    if history:
        summary["log_likelihood"] = float(history[-1])
    return summary


def _family_record(value):
    # A family (or a list of them) as its class name and fields, which JSON and text show.
    if isinstance(value, Family):
        fields = {key: _family_record(item) for key, item in value.to_dict().items()}
        return {"family": type(value).__name__, **fields}
    if isinstance(value, (list, tuple)) and any(isinstance(item, Family) for item in value):
        return [_family_record(item) for item in value]
    return value


def _brief(value):
    if isinstance(value, dict) and "family" in value:
        fields = ", ".join(f"{k}={_brief(v)}" for k, v in value.items() if k != "family")
        return f"{value['family']}({fields})"
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return "[" + ", ".join(_brief(item) for item in value) + "]"
    if isinstance(value, (np.ndarray, list)) or np.ndim(value) > 0:
        text = np.array2string(np.asarray(value), precision=4, threshold=24,
                               suppress_small=True)
        return " ".join(text.split())
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return " ".join(repr(value).split())
