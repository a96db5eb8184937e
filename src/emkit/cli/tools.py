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
        total = float(np.sum(best._log_likelihoods(X)))
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
    spatial_beta = getattr(args, "spatial_beta", None)
    neighbourhood = getattr(args, "neighbourhood", None)
    if neighbourhood is not None and spatial_beta is None:
        raise UsageError("--neighbourhood applies to a spatial fit; add --spatial-beta (a "
                         "number, or auto), or drop --neighbourhood.")
    check_outputs(args.output, args.denoised, args.plot, inputs=(args.image,))
    check_images(args.output, args.denoised)
    check_plots(args.plot)
    image = read_image(args.image)
    denoised_dtype = None if args.denoised is None else _denoised_dtype(image, args.denoised)
    with _cap_said_once():
        result = segment_image(image, args.k, covariance_type=args.covariance_type,
                               n_init=args.n_init, random_state=args.seed,
                               max_iter=args.max_iter, spatial_beta=spatial_beta,
                               neighbourhood=neighbourhood)
    if not result.model.converged_ and result.model.n_iter_ >= args.max_iter:
        out.warn(stopped_early(args.max_iter))
    write_image(args.output, _label_image(result.labels, args.k, args.output))
    lines = [f"segmented {args.image} ({'x'.join(map(str, np.shape(image)))}, "
             f"{image.dtype}) into {args.k} classes; wrote {args.output}"]
    if result.spatial_beta is not None:
        how = "estimated" if spatial_beta == "auto" else "given"
        lines.append(f"  Potts prior: beta {result.spatial_beta:.6g} ({how}), "
                     f"{neighbourhood or 4} neighbours per pixel")
    if args.denoised:
        write_image(args.denoised, result.denoised, dtype=denoised_dtype)
        lines.append(f"wrote {args.denoised}")
    if args.plot:
        from emkit.plotting import plot_image
        before, after = _for_display(image, result.denoised)
        save_plot(lambda: plot_image(before, after, labels=result.labels), args.plot)
        lines.append(f"wrote {args.plot}")
    counts = np.bincount(np.ravel(result.labels), minlength=args.k)
    record = {"command": "segment", "n_components": args.k, "pixels_per_label": counts,
              "means": result.model.means_, "dtype": str(image.dtype),
              "spatial_beta": result.spatial_beta,
              "neighbourhood": None if result.spatial_beta is None else neighbourhood or 4,
              "output": args.output, "denoised": args.denoised,
              "denoised_dtype": None if args.denoised is None else str(
                  denoised_dtype or np.dtype(np.uint8)),
              "plot": args.plot}
    out.emit(record, lines)


def _denoised_dtype(image, path):
    # The pixel type that keeps the input's units: its own in a .npy file; in an image
    # file, uint8 or uint16 as the input (an integer .npy by the range of its values);
    # None for floats, which write_image scales to 8 bits by its documented rules.
    if str(path).lower().endswith(".npy"):
        return image.dtype
    if image.dtype.kind not in "iu":
        return None
    low, high = (int(image.min()), int(image.max())) if image.size else (0, 0)
    if image.dtype == np.uint8 or (image.dtype != np.uint16 and 0 <= low and high <= 255):
        return np.dtype(np.uint8)
    if image.dtype == np.uint16 or (0 <= low and high <= 65535):
        if image.ndim == 3 and image.shape[2] > 1:
            raise UsageError(f"--denoised {path}: Pillow cannot write 16-bit colour images; "
                             "write it as .npy to keep the 16-bit values.")
        return np.dtype(np.uint16)
    return None


def _for_display(image, denoised):
    # Both images on [0, 1] as plot_image draws colours: an integer image by its bit
    # depth's range (uint8 /255, uint16 /65535; other integers by the smallest of the two
    # that holds them), a float one as it is when in [0, 1], else by its own range.
    values = np.asarray(image)
    if values.dtype.kind in "iu" and values.size and values.min() >= 0:
        low = 0.0
        high = (float(np.iinfo(values.dtype).max) if values.dtype.kind == "u" and
                values.dtype.itemsize <= 2 else
                255.0 if values.max() <= 255 else 65535.0 if values.max() <= 65535
                else float(values.max()))
    else:
        observed = values[~np.isnan(values)] if values.dtype.kind == "f" else values
        low, high = ((float(observed.min()), float(observed.max())) if observed.size
                     else (0.0, 1.0))
        if 0.0 <= low and high <= 1.0:
            low, high = 0.0, 1.0
    span = high - low if high > low else 1.0
    return tuple(np.clip((np.asarray(a, dtype=np.float64) - low) / span, 0.0, 1.0)
                 for a in (values, denoised))


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
