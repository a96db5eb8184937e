"""The ``info`` sub-command: what a model file holds, and how it was fitted.

A topic model's file also shows each topic's columns (words) of largest weight. The
log-likelihood it shows is the one ``fit`` printed and ``score`` gives on the same
data: the total over the data under the final parameters, kept in the model file.
"""

import numpy as np

from emkit.cli.commands import likelihood_lines, load_model
from emkit.cli.models import is_topic_model, kind_name
from emkit.cli.topics import top_columns
from emkit.families.base import Family

__all__ = ["info"]

FITTED_SUMMARY = ("weights_", "startprob_", "transmat_", "means_", "lambdas_", "emissionprob_",
                  "probs_")


def info(args, out):
    """``emkit info``: what a model file holds.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    model, data = load_model(args.model_file)
    fitted = {name: getattr(model, name) for name in FITTED_SUMMARY if hasattr(model, name)}
    parameters = {name: _family_record(value) for name, value in model.get_params().items()}
    total, n = data.log_likelihood, data.n_samples
    if n is None:
        total = None  # a record without its number of rows cannot give the mean
    record = {"command": "info", "file": args.model_file, "model": kind_name(model),
              "class": type(model).__name__, "parameters": parameters,
              "fit": _fit_summary(model), "columns": [c.to_dict() for c in data.columns],
              "sequence_column": data.sequence_column, "n_samples": n,
              "log_likelihood": total,
              "mean_log_likelihood": None if total is None else total / n, "fitted": fitted}
    lines = [f"model: {record['model']} ({record['class']})",
             "parameters: " + ", ".join(f"{k}={_brief(v)}" for k, v in
                                        sorted(record["parameters"].items())),
             "fit: " + (", ".join(f"{k}={_brief(v)}" for k, v in record["fit"].items())
                        or "not fitted")]
    if data.columns:
        lines.append("columns: " + "; ".join(map(_column_text, data.columns)))
    if data.sequence_column is not None:
        lines.append(f"sequence-id column: {data.sequence_column}")
    if total is not None:
        lines += likelihood_lines(total, n)
    lines += [f"{name}: {_brief(value)}" for name, value in fitted.items()]
    if is_topic_model(model) and hasattr(model, "components_"):
        record["top_columns"], topic_lines = _topics(model, data.names)
        lines += topic_lines
    out.emit(record, lines)


def _topics(model, names):
    # Each topic's columns of largest weight: by name when the fit's table named them.
    top = top_columns(model)
    named = len(names) == model.components_.shape[1]
    what = "words" if named else "columns"
    lines = [f"topic {k}: top {what} " + ", ".join(names[j] if named else str(j) for j in row)
             for k, row in enumerate(top)]
    return top, lines


def _column_text(column):
    if column.categories is None:
        return column.name
    return (f"{column.name} ({len(column.categories)} categories: "
            f"{', '.join(column.categories)})")


def _fit_summary(model):
    # Whether and how long the fit ran; its log-likelihood is the data record's.
    return {name.rstrip("_"): getattr(model, name)
            for name in ("converged_", "n_iter_", "n_batch_iter_")
            if hasattr(model, name)}


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
