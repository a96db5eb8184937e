"""The argument parser of ``emkit``: sub-commands, their options and value checks.

Usage errors print one ``emkit: error:`` line and exit with status 2.
"""

import argparse
import re

from emkit._version import __version__
from emkit.cli.fit_data import BLOCK_BYTES
from emkit.cli.models import MODELS
from emkit.families.gaussian import COVARIANCE_TYPES as _COVARIANCE_FAMILIES

__all__ = ["DEFAULT_MAX_ITER", "build_parser", "byte_size", "component_count",
           "component_list", "covariance_list", "positive_int"]

COVARIANCE_TYPES = tuple(_COVARIANCE_FAMILIES)
MAX_SEED = 2**32 - 1
#: The most EM iterations per start of every fit the command line runs, unless --max-iter.
DEFAULT_MAX_ITER = 500
#: The forms ``-k`` takes, for the help texts.
K_FORMS = "3, 1..5, 1-5, 2,4,6 or a mix like 1..3,8"
OUTPUT_HELP = "output table (.csv, .tsv, .npy, .parquet); default or -: CSV on stdout"
EPILOG = """examples:
  emkit fit data.csv --model gmm -k 3 -o model.emkit
  emkit predict model.emkit data.csv -o labels.csv
  emkit select data.csv -k 1..10 --criterion bic -o best.emkit --plot bic.png
  emkit fit seqs.csv --model hmm-gaussian -k 2 --lengths-column seq -o hmm.emkit
  emkit fit big.parquet --model gmm -k 16 --workers 4 -o big.emkit
  emkit fit huge.npy --model gmm -k 16 --online --batch-size 10000 -o huge.emkit
  emkit fit counts.npz --model plsa -k 20 --seed 0 -o topics.emkit
  emkit transform topics.emkit counts.npz -o proportions.csv
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"emkit: error: {message}; see '{self.prog} --help'.\n")


def positive_int(text):
    """Parse a whole number of at least 1 (an argparse ``type``).

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    value : int
    """
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def byte_size(text):
    """Parse a number of bytes: ``65536``, ``64MB``, ``64MiB``, ``1.5GB`` (an argparse ``type``).

    Parameters
    ----------
    text : str
        The option's value; units B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (of 1024),
        in any case.

    Returns
    -------
    value : int
        At least ``SMALLEST_BLOCK`` (a text block of a few rows: one byte would make a
        task per byte).
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*", text.lower())
    if match is None or match.group(2) not in _BYTE_UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of bytes (e.g. 64MB)")
    value = int(float(match.group(1)) * _BYTE_UNITS[match.group(2)])
    if value < SMALLEST_BLOCK:
        raise argparse.ArgumentTypeError(f"{text!r} is less than the smallest block, 1KB")
    return value


#: The smallest ``--block-size``, in bytes.
SMALLEST_BLOCK = 1000


_BYTE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6,
               "mib": 2**20, "g": 10**9, "gb": 10**9, "gib": 2**30}


def _seed(text):
    # numpy's RandomState takes seeds from 0 to 2**32 - 1.
    value = _whole_number(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text!r} must be from 0 to {MAX_SEED}")
    return value


def _whole_number(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of 0 or more")
    return value


def component_list(text):
    """Parse numbers of components: ``5``, ``2,4,8``, ``1..10``, ``1-10`` or a mix.

    Every ``-k`` of the command line is read by this function (through
    :func:`component_count` where a command fits one model); a mix is e.g. ``1..3,8``.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    values : list of int
        Sorted, without repeats.
    """
    values = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"([^.\-]*)(\.\.|-)(.*)", part)
        low, high = (match.group(1), match.group(3)) if match else (part, None)
        if high is not None and not (low.strip() and high.strip()):
            raise argparse.ArgumentTypeError(f"range {part!r} needs a number at each end, "
                                             "e.g. 1..5")
        first, last = positive_int(low.strip()), None
        if high is not None:
            last = positive_int(high.strip())
            if last < first:
                raise argparse.ArgumentTypeError(f"range {part!r} ends before it starts")
        values.update(range(first, (first if last is None else last) + 1))
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r} names no number of components")
    return sorted(values)


def component_count(text):
    """Parse the one number of components of a command that fits one model.

    It takes the forms of :func:`component_list`, naming one number (``3``, ``3..3``).

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    value : int
    """
    values = component_list(text)
    if len(values) > 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} names {len(values)} numbers of components, but this command fits one "
            "model; give one number (emkit select compares several)")
    return values[0]


def covariance_list(text):
    """Parse a comma-separated list of covariance types.

    Parameters
    ----------
    text : str
        The option's value, e.g. ``full,diag``.

    Returns
    -------
    types : list of str
    """
    types = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [t for t in types if t not in COVARIANCE_TYPES]
    if unknown or not types:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of covariance types; choose from "
            f"{','.join(COVARIANCE_TYPES)}")
    return list(dict.fromkeys(types))


def _flags(default):
    # The global flags, accepted before and after the sub-command; after it they use
    # SUPPRESS so an absent flag does not overwrite the one given before.
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="print no results or notes (errors and warnings still show)")
    parent.add_argument("--json", action="store_true", default=default,
                        help="print one JSON object on stdout")
    parent.add_argument("--debug", action="store_true", default=default,
                        help="show the traceback of an error")
    return parent


def _data_options(parser, lengths=True):
    parser.add_argument("--columns", metavar="A,B,C",
                        help="feature columns: header names or 0-based indices (default: all)")
    if lengths:
        parser.add_argument("--lengths-column", metavar="COL",
                            help="HMMs: column of sequence ids; consecutive rows with the same "
                                 "id form one sequence (default: one sequence)")


def _fit_options(parser, seed_default=None):
    parser.add_argument("--n-init", type=positive_int, default=None, metavar="N",
                        help="number of starts; the best is kept (default: the model's, 1)")
    _max_iter_option(parser, online=True)
    parser.add_argument("--seed", type=_seed, default=seed_default, metavar="S",
                        help=f"random seed (default: {seed_default})")


def _max_iter_option(parser, online=False):
    # fit's default is None: DEFAULT_MAX_ITER iterations, or one pass with --online.
    parser.add_argument("--max-iter", type=positive_int, metavar="N",
                        default=None if online else DEFAULT_MAX_ITER,
                        help="most EM iterations per start, for mixtures and HMMs alike; a fit "
                             f"that stops there says so (default: {DEFAULT_MAX_ITER})" +
                             ("; with --online, the number of passes over the data (default: "
                              "1); lda makes exactly N passes (default: 10)" if online
                              else ""))


def _add_fit(commands, flags):
    cmd = commands.add_parser("fit", parents=[flags], help="fit a model to a data file",
                              description="Fit a model by EM and save it to a model file.")
    cmd.add_argument("data", help="CSV, TSV, .npy or Parquet file, one row per sample; the "
                                  "topic models also read sparse counts (.npz of "
                                  "scipy.sparse.save_npz, Matrix Market .mtx)")
    cmd.add_argument("-m", "--model", default="gmm", choices=list(MODELS), metavar="NAME",
                     help=f"the model to fit: {', '.join(MODELS)} (default: gmm); categorical, "
                          "hmm-categorical and bernoulli take text categories; plsa and lda "
                          "are topic models of counts (one row per document)")
    cmd.add_argument("-k", "--n-components", dest="k", type=component_count, required=True,
                     help="number of components (states): one number, e.g. 3")
    cmd.add_argument("--covariance-type", choices=COVARIANCE_TYPES,
                     help="gmm and hmm-gaussian (default: full for gmm, diag for hmm-gaussian)")
    _data_options(cmd)
    _fit_options(cmd)
    cmd.add_argument("--tol", type=_non_negative_float, metavar="T",
                     help="convergence tolerance (default: the model's)")
    cmd.add_argument("-o", "--output", required=True, metavar="MODEL",
                     help="model file to write, e.g. model.emkit")
    cmd.add_argument("--block-size", type=byte_size, default=BLOCK_BYTES, metavar="BYTES",
                     help="CSV/TSV files larger than this are parsed this many bytes at a time "
                          "with Dask, e.g. 16MB (default: 64MiB); .npy files are memory-mapped "
                          "and Parquet files read a row group at a time")
    _online_options(cmd)
    cluster = cmd.add_mutually_exclusive_group()
    cluster.add_argument("--dask-scheduler", metavar="ADDRESS",
                         help="fit on a running Dask cluster, e.g. tcp://10.0.0.5:8786; its "
                              "workers read the data file at the same path")
    cluster.add_argument("--workers", type=positive_int, metavar="N",
                         help="fit on a local Dask cluster of N worker processes (one thread "
                              "each), started for the fit")


def _online_options(parser):
    group = parser.add_argument_group("online EM", "stream the data a batch at a time, in "
                                      "memory of one batch, whatever the file's size")
    group.add_argument("--online", action="store_true",
                       help="fit by online (stepwise) EM: the parameters move after every "
                            "batch; --max-iter counts passes over the data (default: 1)")
    group.add_argument("--batch-size", type=positive_int, metavar="B",
                       help="with --online: rows per batch, whole sequences for HMMs "
                            "(default: 1000)")
    group.add_argument("--learning-decay", type=_fraction, metavar="D",
                       help="with --online: update t moves the statistics by "
                            "(t + offset) ** -D, D in (0, 1] (default: 0.7)")
    group.add_argument("--learning-offset", type=_at_least_one, metavar="O",
                       help="with --online: a larger offset moves the first updates less, "
                            "at least 1 (default: 10)")


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _spatial_beta(text):
    # A Potts strength of 0 or more, or "auto".
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _non_negative_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of 0 or more, nor "
                                         "'auto'") from None


def _fraction(text):
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 and at most 1")
    return value


def _at_least_one(text):
    value = _number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _add_model_commands(commands, flags):
    for name, text in (("predict", "label (or component probabilities of) each row"),
                       ("score", "log-likelihood of a data file")):
        cmd = commands.add_parser(name, parents=[flags], help=text, description=text[0].upper()
                                  + text[1:] + " under a fitted model.")
        cmd.add_argument("model_file", metavar="MODEL", help="model file written by fit")
        cmd.add_argument("data", help="CSV, TSV, .npy or Parquet file")
        _data_options(cmd)
        if name == "predict":
            cmd.add_argument("--proba", action="store_true",
                             help="one probability column per component instead of labels")
            cmd.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    cmd = commands.add_parser("transform", parents=[flags],
                              help="topic proportions of each document under a topic model",
                              description="Write the document-topic proportions of a data "
                                          "file under a topic model (plsa, lda).")
    cmd.add_argument("model_file", metavar="MODEL", help="topic model file written by fit")
    cmd.add_argument("data", help="counts: .npz (scipy.sparse.save_npz), .mtx, CSV, TSV, .npy "
                                  "or Parquet, one row per document")
    _data_options(cmd, lengths=False)
    cmd.set_defaults(lengths_column=None)
    cmd.add_argument("-o", "--output", metavar="FILE",
                     help=OUTPUT_HELP + "; one column per topic, topic0, topic1, ...")
    cmd = commands.add_parser("sample", parents=[flags], help="draw rows from a model",
                              description="Draw random rows from a fitted model.")
    cmd.add_argument("model_file", metavar="MODEL", help="model file written by fit")
    cmd.add_argument("-n", "--n-samples", type=positive_int, required=True, metavar="N",
                     help="number of rows (the sequence length for HMMs)")
    cmd.add_argument("--seed", type=_seed, metavar="S",
                     help="random seed (default: the model's random_state)")
    cmd.add_argument("--labels", action="store_true",
                     help="add the component (state) of each row as a last column")
    cmd.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    cmd = commands.add_parser("info", parents=[flags], help="describe a model file",
                              description="Show a model file's kind, parameters and fit.")
    cmd.add_argument("model_file", metavar="MODEL", help="model file written by fit")


def _add_select(commands, flags):
    cmd = commands.add_parser("select", parents=[flags],
                              help="choose the number of components by BIC, AIC or ICL",
                              description="Fit Gaussian mixtures over a grid of sizes and "
                                          "covariance types; keep the best by a criterion.")
    cmd.add_argument("data", help="CSV, TSV, .npy or Parquet file")
    cmd.add_argument("-k", "--n-components", dest="k", type=component_list, default="1..10",
                     metavar="KS", help=f"sizes to try: {K_FORMS} (default: 1..10)")
    cmd.add_argument("--covariance-types", type=covariance_list,
                     default=list(COVARIANCE_TYPES), metavar="T,T",
                     help=f"covariance types to try (default: {','.join(COVARIANCE_TYPES)})")
    cmd.add_argument("--criterion", choices=("bic", "aic", "icl"), default="bic",
                     help="lower is better (default: bic)")
    _data_options(cmd, lengths=False)
    cmd.add_argument("--n-init", type=positive_int, default=1, metavar="N",
                     help="starts per candidate (default: 1)")
    _max_iter_option(cmd)
    cmd.add_argument("--seed", type=_seed, metavar="S",
                     help="random seed (default: None)")
    cmd.add_argument("-o", "--output", metavar="MODEL", help="save the best model here")
    cmd.add_argument("--plot", metavar="PNG", help="plot the criterion (needs matplotlib)")


def _add_segment(commands, flags):
    cmd = commands.add_parser("segment", parents=[flags],
                              help="segment and denoise an image with a Gaussian mixture",
                              description="Fit a Gaussian mixture to the pixel values (with "
                                          "--spatial-beta, under a Potts prior between "
                                          "neighbouring pixels); write the labels as grey "
                                          "levels.")
    cmd.add_argument("image", help="PNG/JPEG (needs Pillow) or .npy image")
    cmd.add_argument("-k", "--n-components", dest="k", type=component_count, default=2,
                     help="number of classes, one number (default: 2)")
    cmd.add_argument("-o", "--output", required=True, metavar="IMAGE",
                     help="segmentation to write (.png; .npy keeps the labels)")
    cmd.add_argument("--denoised", metavar="IMAGE",
                     help="also write the denoised image (each pixel its posterior mean of "
                          "the class means) in the input's units and pixel type: 8-bit in, "
                          "8-bit out; 16-bit grey PNG or TIFF; .npy keeps the dtype (16-bit "
                          "colour needs .npy)")
    cmd.add_argument("--plot", metavar="PNG", help="before/after panel (needs matplotlib)")
    cmd.add_argument("--spatial-beta", type=_spatial_beta, metavar="B",
                     help="Potts prior: neighbouring pixels tend to share a class with "
                          "strength B (0 or more), or 'auto' to estimate it (default: none, "
                          "independent pixels)")
    cmd.add_argument("--neighbourhood", type=int, choices=(4, 8),
                     help="with --spatial-beta: a pixel's neighbours, 4 or 8 (default: 4)")
    cmd.add_argument("--covariance-type", choices=COVARIANCE_TYPES, default="full",
                     help="for colour images (default: full)")
    cmd.add_argument("--n-init", type=positive_int, default=1, metavar="N",
                     help="number of starts (default: 1)")
    _max_iter_option(cmd)
    cmd.add_argument("--seed", type=_seed, default=0, metavar="S",
                     help="random seed (default: 0)")


def build_parser():
    """Build the ``emkit`` argument parser.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = _Parser(prog="emkit", parents=[_flags(False)], epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="EM for latent-variable models: fit, use and choose mixtures "
                                 "and hidden Markov models from the command line.")
    parser.add_argument("--version", action="version", version=f"emkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    flags = _flags(argparse.SUPPRESS)
    _add_fit(commands, flags)
    _add_model_commands(commands, flags)
    _add_select(commands, flags)
    _add_segment(commands, flags)
    demo = commands.add_parser("demo", parents=[flags],
                               help="run the seed examples on built-in data",
                               description="Run the seed examples and write their plots.")
    demo.add_argument("--out", default=None, metavar="FOLDER",
                      help="folder for the plots, which need matplotlib (default: demo-output, "
                           "when matplotlib is installed)")
    return parser
