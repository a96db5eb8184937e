"""Topic models on the command line: count files, ``fit -m plsa|lda`` and ``transform``.

A corpus is a matrix of counts, one row per document and one column per word. Sparse
files (``.npz`` of :func:`scipy.sparse.save_npz`, Matrix Market ``.mtx``) stay sparse
from the file to the fit; the tables the other models read (CSV, TSV, ``.npy``,
Parquet) are taken as dense counts.
"""

import os
import warnings
import zipfile

import numpy as np

from emkit.cli.columns import Column, DataRecord
from emkit.cli.data import SPARSE, check_data_file, write_table
from emkit.cli.errors import UsageError
from emkit.cli.models import TOPIC_NAMES, build_estimator, is_topic_model
from emkit.cli.parser import DEFAULT_MAX_ITER
from emkit.cli.targets import check_outputs, check_tables
from emkit.exceptions import ConvergenceWarning

__all__ = ["SPARSE_SUFFIXES", "check_counts", "check_topic_options", "fit_topics",
           "is_sparse_file", "log_likelihood", "read_counts", "top_columns", "transform"]

#: The extensions of sparse count files.
SPARSE_SUFFIXES = SPARSE
#: Documents whose log-likelihood is summed at a time.
LIKELIHOOD_ROWS = 4096
#: Columns ``info`` names per topic.
TOP_COLUMNS = 10
FIT_OPTIONS = ("covariance_type", "max_iter", "tol", "n_init", "seed")


def is_sparse_file(path):
    """Return True when ``path`` names a sparse count file (``.npz`` or ``.mtx``).

    Parameters
    ----------
    path : str
        A data file.

    Returns
    -------
    sparse : bool
    """
    return os.path.splitext(str(path))[1].lower() in SPARSE_SUFFIXES


def read_counts(path, columns=None):
    """Read a document-word count matrix as CSR float64, checked once.

    ``.npz`` files are read by :func:`scipy.sparse.load_npz`, ``.mtx`` files by
    :func:`scipy.io.mmread`; neither is made dense. Other files are the command line's
    tables, read whole. Every count must be finite and non-negative.

    Parameters
    ----------
    path : str
        The data file.
    columns : str, default=None
        ``--columns`` of a table (names or 0-based indices); sparse files take no
        ``--columns``.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_documents, n_words)
    names : list of str
        The columns' names of a table; empty for a sparse file.
    """
    from scipy import sparse

    check_data_file(path)
    if is_sparse_file(path):
        if columns is not None:
            raise UsageError(f"--columns applies to tables; {path} is a sparse matrix file, "
                             "whose columns are all used.")
        X, names = _read_sparse(path), []
    else:
        from emkit.cli.commands import read_features
        dense, names, _ = read_features(path, columns)
        X = sparse.csr_matrix(check_counts(dense, path, names))
    return check_counts(X, path, names), names


def _read_sparse(path):
    from scipy import io, sparse

    if path.lower().endswith(".npz"):
        try:
            X = sparse.load_npz(path)
        except zipfile.BadZipFile:
            raise UsageError(f"{path} is not a readable .npz file (it is truncated or "
                             "corrupt, or not a zip archive).") from None
        except (ValueError, KeyError, OSError, EOFError) as exc:
            if _holds_arrays(path):
                raise UsageError(f"{path} holds dense arrays (numpy.savez), not a sparse "
                                 "matrix; save the counts with scipy.sparse.save_npz, or as "
                                 ".npy.") from None
            raise UsageError(f"{path} is not a sparse matrix file of scipy.sparse.save_npz "
                             f"({' '.join(str(exc).split())}).") from None
    else:
        try:
            X = io.mmread(path)
        except (ValueError, TypeError, OSError, EOFError, IndexError) as exc:
            raise UsageError(f"{path} is not a readable Matrix Market file "
                             f"({' '.join(str(exc).split())}).") from None
    if np.iscomplexobj(X):
        raise UsageError(f"{path} holds complex numbers; topic models take counts of 0 or "
                         "more.")
    if getattr(X, "ndim", 2) != 2 or 0 in X.shape:
        raise UsageError(f"{path} holds a matrix of shape {X.shape}; save a non-empty 2-D "
                         "matrix of counts, one row per document.")
    return sparse.csr_matrix(X, dtype=np.float64)


def _holds_arrays(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            return "format" not in archive.files
    except (ValueError, OSError, EOFError):
        return False


def check_counts(X, path, names=()):
    """Refuse a count that is not a finite number of 0 or more, naming its place.

    Parameters
    ----------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_documents, n_words)
        The counts.
    path : str
        The file, for the message.
    names : sequence of str, default=()
        The columns' names of a table, for the message.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix
        ``X`` itself.
    """
    from scipy import sparse

    values = X.data if sparse.issparse(X) else np.asarray(X).ravel()
    bad = np.flatnonzero(~(np.isfinite(values) & (values >= 0)))
    if bad.size:
        first = int(bad[0])
        if sparse.issparse(X):
            row = int(np.searchsorted(X.indptr, first, side="right") - 1)
            column = int(X.indices[first])
        else:
            row, column = divmod(first, X.shape[1])
        value = float(values[first])
        problem = "missing" if np.isnan(value) else (
            "not a finite number" if not np.isfinite(value) else "negative")
        label = f"column {names[column]!r}" if column < len(names) else f"column {column}"
        raise UsageError(f"{path} row {row}, {label}: {value:g} is {problem}; topic models "
                         "take counts of 0 or more.")
    return X


def check_topic_options(args):
    """Refuse, in one sentence, a ``fit`` option that a topic model cannot take.

    Parameters
    ----------
    args : argparse.Namespace
        ``emkit fit``'s parsed command line.
    """
    if getattr(args, "online", False) or any(
            getattr(args, dest, None) is not None
            for dest in ("batch_size", "learning_decay", "learning_offset")):
        raise UsageError(f"--online and its options apply to mixtures and HMMs; the topic "
                         f"models ({TOPIC_NAMES}) fit the counts in memory.")
    if getattr(args, "workers", None) is not None or getattr(args, "dask_scheduler", None):
        raise UsageError(f"the topic models ({TOPIC_NAMES}) fit in this process; drop "
                         "--workers and --dask-scheduler.")


def fit_topics(args, out):
    """``emkit fit -m plsa|lda``: fit a topic model to a count file and save it.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (its ``model`` is a topic model).
    out : Output
        Where results go.
    """
    from emkit.cli.commands import _save, likelihood_lines, stopped_early

    check_topic_options(args)
    if args.max_iter is None and args.model != "lda":  # lda keeps scikit-learn's 10 passes
        args.max_iter = DEFAULT_MAX_ITER
    check_outputs(args.output, inputs=(args.data,))
    X, names = read_counts(args.data, args.columns)
    n_documents, n_words = X.shape
    if args.k > n_documents:
        raise UsageError(f"-k {args.k} is more than the {n_documents} rows of {args.data}; use "
                         f"at most {n_documents} topics.")
    model = build_estimator(args.model, args.k, {o: getattr(args, o) for o in FIT_OPTIONS})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # said below in CLI words
        model.fit(X)
    converged = getattr(model, "converged_", None)
    if converged is False and model.n_iter_ >= model.max_iter:
        out.warn(stopped_early(model.max_iter))
    total = log_likelihood(model, X)
    columns = [Column(name) for name in names]
    _save(model, args.output, DataRecord(columns, None, total, n_documents))
    record = {"command": "fit", "model": args.model, "class": type(model).__name__,
              "n_components": args.k, "n_samples": n_documents, "n_features": n_words,
              "nonzeros": int(X.nnz), "columns": names, "converged": converged,
              "n_iter": int(model.n_iter_), "max_iter": int(model.max_iter),
              "log_likelihood": total,
              "mean_log_likelihood": None if total is None else total / n_documents,
              "perplexity": getattr(model, "bound_", None), "output": args.output}
    if converged is None:
        progress = f"  {record['n_iter']} passes over the documents"
    else:
        progress = (f"  converged: {'yes' if converged else 'no'} after {record['n_iter']} "
                    "iterations")
    out.emit(record, [
        f"fitted {args.model} ({record['class']}) with {args.k} topics on {n_documents} "
        f"documents x {n_words} columns ({X.nnz} nonzero counts)", progress,
        *(f"  {line}" for line in (likelihood_lines(total, n_documents) if total is not None
                                   else [f"perplexity: {record['perplexity']:.6f}"])),
        f"saved {args.output}"])


def log_likelihood(model, X):
    """Return a PLSA fit's log-likelihood of its documents under the final parameters.

    ``sum_dw X[d, w] log sum_z P(z | d) P(w | z)``, summed a block of documents at a time
    in O(nonzeros x topics). LDA has no such likelihood (its bound is approximate).

    Parameters
    ----------
    model : PLSA or LatentDirichletAllocation
        A model fitted to ``X``.
    X : scipy.sparse.csr_matrix of shape (n_documents, n_words)
        The counts it was fitted to.

    Returns
    -------
    total : float or None
        None for LDA.
    """
    doc_topic = getattr(model, "doc_topic_", None)
    if doc_topic is None:
        return None
    total = 0.0
    for start in range(0, X.shape[0], LIKELIHOOD_ROWS):
        part = X[start:start + LIKELIHOOD_ROWS]
        documents = np.repeat(np.arange(start, start + part.shape[0]), np.diff(part.indptr))
        p_word = np.einsum("ij,ji->i", doc_topic[documents],
                           model.components_[:, part.indices])
        with np.errstate(divide="ignore"):
            total += float(np.dot(part.data, np.log(p_word)))
    return total


def transform(args, out):
    """``emkit transform``: the topic proportions of each document under a topic model.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    from scipy import sparse

    from emkit.cli.commands import _file_output, _load_fitted, _model_input

    output = _file_output(args)
    check_outputs(output, inputs=(args.model_file, args.data))
    check_tables(output)
    model, data_record = _load_fitted(args.model_file)
    if not is_topic_model(model):
        raise UsageError(f"transform applies to topic models ({TOPIC_NAMES}); "
                         f"{args.model_file!r} holds a {type(model).__name__}, whose "
                         "components 'emkit predict --proba' gives.")
    if is_sparse_file(args.data):
        X, _ = read_counts(args.data, args.columns)
    else:
        dense, _ = _model_input(model, data_record, args, out)
        X = sparse.csr_matrix(check_counts(dense, args.data))
    if X.shape[1] != model.n_features_in_:
        raise UsageError(f"the model takes {model.n_features_in_} columns but {args.data} has "
                         f"{X.shape[1]}; give the counts over the vocabulary of the fit.")
    proportions = model.transform(X)
    columns = {f"topic{k}": proportions[:, k] for k in range(proportions.shape[1])}
    record = {"command": "transform", "n_samples": X.shape[0], "n_components":
              proportions.shape[1], "output": output}
    if output is not None:
        write_table(output, columns)
        out.emit(record, [f"wrote the topic proportions of {X.shape[0]} documents to "
                          f"{output}"])
    elif out.json:
        out.emit({**record, "proportions": proportions})
    else:
        write_table(None, columns)


def top_columns(model, n=TOP_COLUMNS):
    """Return the columns (words) of largest weight in each topic, largest first.

    Parameters
    ----------
    model : PLSA or LatentDirichletAllocation
        A fitted topic model.
    n : int, default=10
        Columns per topic.

    Returns
    -------
    columns : list of list of int
        One list per topic, of 0-based column indices.
    """
    weights = np.asarray(model.components_)
    order = np.argsort(-weights, axis=1, kind="stable")[:, :min(n, weights.shape[1])]
    return order.tolist()
