"""The sub-commands around the models: ``select``, ``segment`` and ``demo``.

Each takes the parsed arguments and an :class:`~emkit.cli.output.Output` and returns nothing.
"""

import contextlib
import importlib.util
import io

import numpy as np

from emkit.cli.commands import check_outputs, read_features
from emkit.cli.errors import UsageError
from emkit.cli.progress import SelectProgress

__all__ = ["select", "segment", "demo", "save_plot"]

PLOT_HINT = "pip install 'emkit[plot]'"


def save_plot(make_figure, path, out):
    """Write the figure ``make_figure()`` to ``path``, or note that matplotlib is missing.

    Parameters
    ----------
    make_figure : callable
        Returns a matplotlib Figure.
    path : str
        The image file.
    out : Output
        Where the note goes.

    Returns
    -------
    written : bool
        False when matplotlib is not installed.
    """
    if not _matplotlib_installed():
        out.note(f"{path} not written: plots need matplotlib ({PLOT_HINT}).")
        return False
    make_figure().savefig(path)
    return True


def _matplotlib_installed():
    return importlib.util.find_spec("matplotlib") is not None


def select(args, out):
    """``emkit select``: fit a grid of Gaussian mixtures and keep the best by a criterion.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    from emkit.selection import select as run_selection
    check_outputs(args.output, args.plot, inputs=(args.data,))
    X, names, _ = read_features(args.data, args.columns)
    if max(args.k) > len(X):
        raise UsageError(f"-k asks for up to {max(args.k)} components but {args.data} has "
                         f"{len(X)} rows; use at most {len(X)}.")
    n_candidates = len(args.k) * len(args.covariance_types)
    with SelectProgress(n_candidates, enabled=out.bars) as progress:
        result = run_selection(X, args.k, args.covariance_types, args.criterion,
                               n_init=args.n_init, random_state=args.seed, callback=progress)
    lines = [result.to_text()]
    if args.output:
        from emkit.io import save
        save(result.best_estimator_, args.output)
        lines.append(f"saved {args.output}")
    if args.plot:
        from emkit.plotting import plot_criterion
        if save_plot(lambda: plot_criterion(result), args.plot, out):
            lines.append(f"wrote {args.plot}")
    record = {"command": "select", "criterion": result.criterion,
              "best_index": int(result.best_index_), "best_params": result.best_params_,
              "table": result.table, "columns": names, "output": args.output,
              "plot": args.plot}
    out.emit(record, lines)


def segment(args, out):
    """``emkit segment``: segment (and denoise) an image with a Gaussian mixture on pixels.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    from emkit.image import read_image, segment_image, write_image
    check_outputs(args.output, args.denoised, args.plot, inputs=(args.image,))
    image = read_image(args.image)
    result = segment_image(image, args.k, covariance_type=args.covariance_type,
                           n_init=args.n_init, random_state=args.seed, max_iter=args.max_iter)
    write_image(args.output, _label_image(result.labels, args.k, args.output))
    lines = [f"segmented {args.image} ({'x'.join(map(str, np.shape(image)))}) into {args.k} "
             f"classes; wrote {args.output}"]
    if args.denoised:
        write_image(args.denoised, result.denoised)
        lines.append(f"wrote {args.denoised}")
    if args.plot:
        from emkit.plotting import plot_image
        if save_plot(lambda: plot_image(image, result.denoised, labels=result.labels),
                     args.plot, out):
            lines.append(f"wrote {args.plot}")
    counts = np.bincount(np.ravel(result.labels), minlength=args.k)
    record = {"command": "segment", "n_components": args.k, "pixels_per_label": counts,
              "output": args.output, "denoised": args.denoised, "plot": args.plot}
    out.emit(record, lines)


def _label_image(labels, n_components, path):
    # A .npy file keeps the labels themselves; an image shows them as evenly spaced greys.
    if str(path).lower().endswith(".npy"):
        return np.asarray(labels)
    scale = 255.0 / max(n_components - 1, 1)
    return np.round(np.asarray(labels) * scale).astype(np.uint8)


def demo(args, out):
    """``emkit demo``: run the seed examples on built-in data and write their plots.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    from emkit.demo import run_demo
    if not (out.json or out.quiet):
        run_demo(args.out)
        return
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        run_demo(args.out)
    out.emit({"command": "demo", "output": args.out, "report": report.getvalue()})
