"""The sub-commands around the models: ``select``, ``segment`` and ``demo``.

Each takes the parsed arguments and an :class:`~emkit.cli.output.Output` and returns nothing.
"""

import contextlib
import io
import warnings

import numpy as np

from emkit.cli.commands import read_features, stopped_early
from emkit.cli.errors import UsageError
from emkit.cli.progress import SelectProgress
from emkit.cli.targets import check_folder, check_images, check_outputs, check_plots
from emkit.exceptions import ConvergenceWarning

__all__ = ["select", "segment", "demo", "save_plot"]

DEMO_OUTPUT = "demo-output"


def save_plot(make_figure, path):
    """Write the figure ``make_figure()`` to ``path`` (checked by ``check_plots`` first).

    Parameters
    ----------
    make_figure : callable
        Returns a matplotlib Figure.
    path : str
        The image file.
    """
    make_figure().savefig(path)


def select(args, out):
    """``emkit select``: fit a grid of Gaussian mixtures and keep the best by a criterion.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    out : Output
        Where results go.
    """
    from emkit.estimators import GaussianMixture
    from emkit.selection import select as run_selection
    check_outputs(args.output, args.plot, inputs=(args.data,))
    check_plots(args.plot)
    X, names, _ = read_features(args.data, args.columns)
    if max(args.k) > len(X):
        raise UsageError(f"-k asks for up to {max(args.k)} components but {args.data} has "
                         f"{len(X)} rows; use at most {len(X)}.")
    n_candidates = len(args.k) * len(args.covariance_types)
    with SelectProgress(n_candidates, enabled=out.bars) as progress, _cap_said_once():
        result = run_selection(X, args.k, args.covariance_types, args.criterion,
                               estimator=GaussianMixture(max_iter=args.max_iter),
                               n_init=args.n_init, random_state=args.seed, callback=progress)
    stopped = int(np.sum(~np.asarray(result.table["converged"], dtype=bool)))
    if stopped:
        out.warn(stopped_early(args.max_iter, f"{stopped} of {n_candidates} candidate fits"))
    lines = [result.to_text()]
    if args.output:
        from emkit.cli.columns import Column, DataRecord
        from emkit.io.model_file import save
        best = result.best_estimator_
        total = float(np.sum(best.score_samples(X)))
        record = DataRecord([Column(name) for name in names], None, total, len(X))
        save(best, args.output, metadata=record.to_metadata())
        lines.append(f"saved {args.output}")
    if args.plot:
        from emkit.plotting import plot_criterion
        save_plot(lambda: plot_criterion(result), args.plot)
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
    check_images(args.output, args.denoised)
    check_plots(args.plot)
    image = read_image(args.image)
    with _cap_said_once():
        result = segment_image(image, args.k, covariance_type=args.covariance_type,
                               n_init=args.n_init, random_state=args.seed,
                               max_iter=args.max_iter)
    if not result.model.converged_ and result.model.n_iter_ >= args.max_iter:
        out.warn(stopped_early(args.max_iter))
    write_image(args.output, _label_image(result.labels, args.k, args.output))
    lines = [f"segmented {args.image} ({'x'.join(map(str, np.shape(image)))}) into {args.k} "
             f"classes; wrote {args.output}"]
    if args.denoised:
        write_image(args.denoised, result.denoised)
        lines.append(f"wrote {args.denoised}")
    if args.plot:
        from emkit.plotting import plot_image
        save_plot(lambda: plot_image(image, result.denoised, labels=result.labels), args.plot)
        lines.append(f"wrote {args.plot}")
    counts = np.bincount(np.ravel(result.labels), minlength=args.k)
    record = {"command": "segment", "n_components": args.k, "pixels_per_label": counts,
              "output": args.output, "denoised": args.denoised, "plot": args.plot}
    out.emit(record, lines)


@contextlib.contextmanager
def _cap_said_once():
    # The estimators' warnings of a fit stopped by the cap name their Python parameter;
    # the command says it once, in the command line's words, instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


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
    folder = DEMO_OUTPUT if args.out is None else args.out
    check_folder(folder, plots=args.out is not None)
    if not (out.json or out.quiet):
        run_demo(folder)
        return
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        run_demo(folder)
    out.emit({"command": "demo", "output": folder, "report": report.getvalue()})
