"""scikit-learn's input checks with short messages: its first sentence, never the array.

``check_array`` prints the whole array when X is complex or 1-D (hundreds of lines for
real data); the estimators keep its wording, which scikit-learn's own test suites match,
and drop the dump. :func:`validate_floats` also reads X once for NaN and infinity
(:func:`emkit._scan.scan_values`) instead of scikit-learn's own pass, and keeps the scan
for the fit's other checks.
"""

import contextlib

import numpy as np
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import validate_data

from emkit._scan import scan_values
from emkit.families._sparse import is_sparse

__all__ = ["attribute_dtype", "check_sample_weight", "refuse_impossible", "short_array_errors",
           "validate_floats"]

_ADVICE = {
    "Complex data not supported": "; X must hold real numbers, so pass its real part "
                                  "(X.real) or its magnitude (np.abs(X)).",
}


@contextlib.contextmanager
def short_array_errors():
    """Re-raise scikit-learn's array errors that print the array, without the array.

    The first line (its first sentence) is kept, and the advice that follows the array
    (``Reshape your data ...``); other errors pass through unchanged.
    """
    try:
        yield
    except ValueError as exc:
        short = _shortened(str(exc))
        if short is None:
            raise
        raise ValueError(short) from None


def validate_floats(estimator, X, *, ensure_all_finite=True, **options):
    """Return scikit-learn's ``validate_data`` of float ``X`` and the scan of its values.

    Dense X is read once for NaN and infinity (and its largest magnitude, which the
    families' checks read from the scan); where one is refused, scikit-learn's own check
    raises its usual message. Sparse X keeps scikit-learn's check of its stored values.

    Parameters
    ----------
    estimator : estimator
        Passed to ``validate_data`` (feature counts and names, messages).
    X : array-like of shape (n_samples, n_features)
        The data.
    ensure_all_finite : bool or "allow-nan", default=True
        True refuses NaN and infinity, "allow-nan" only infinity.
    **options : dict
        Other arguments of ``validate_data`` (``dtype`` must be float).

    Returns
    -------
    X : ndarray or sparse matrix
        The validated data.
    scan : ValueScan or None
        Its scan; None for sparse X.
    """
    with short_array_errors():
        X = validate_data(estimator, X, ensure_all_finite=False, **options)
    check_sparse_structure(X)
    allow_nan = ensure_all_finite == "allow-nan"
    scan = None if is_sparse(X) else scan_values(X)
    refused = scan is None or scan.infinite or (scan.nan and not allow_nan)
    if ensure_all_finite and refused:  # raises scikit-learn's message, if any
        assert_all_finite(X, allow_nan=allow_nan, estimator_name=type(estimator).__name__,
                          input_name="X")
    return X, scan


def check_sparse_structure(X):
    """Refuse, in one sentence, a CSR or CSC matrix whose index arrays are inconsistent.

    scipy does not check a matrix built from arrays (``csr_matrix((data, indices,
    indptr))``, a hand-made or corrupt ``.npz``), and compiled kernels would read or
    write outside the arrays. One pass over the indices; dense ``X`` passes untouched.

    Parameters
    ----------
    X : ndarray or sparse matrix
        Validated data (CSR or CSC when sparse).

    Raises
    ------
    ValueError
        Naming the first index out of range, or the inconsistent pointers.
    """
    if not is_sparse(X) or X.format not in ("csr", "csc"):
        return
    rows = X.format == "csr"
    n_outer, n_inner = X.shape if rows else X.shape[::-1]
    outer, inner = ("row", "column") if rows else ("column", "row")
    indptr, indices = np.asarray(X.indptr), np.asarray(X.indices)
    if (len(indptr) != n_outer + 1 or indptr[0] != 0 or indptr[-1] > len(indices)
            or indptr[-1] > len(X.data) or np.any(np.diff(indptr) < 0)):
        raise ValueError(f"The sparse matrix X is corrupt: its index pointers do not "
                         f"describe {n_outer} {outer}s of its {len(indices)} entries; "
                         "rebuild it.")
    stored = indices[:indptr[-1]]
    bad = np.flatnonzero((stored < 0) | (stored >= n_inner))
    if len(bad):
        where = int(np.searchsorted(indptr, bad[0], side="right") - 1)
        raise ValueError(f"The sparse matrix X is corrupt: {outer} {where} holds an entry "
                         f"in {inner} {int(stored[bad[0]])}, outside its {n_inner} "
                         f"{inner}s; rebuild it.")


def _shortened(message):
    lines = message.strip().splitlines()
    if len(lines) < 2 or not lines[0].startswith(("Complex data not supported",
                                                  "Expected 2D array")):
        return None
    first = lines[0].rstrip(":")
    advice = [line for line in lines[1:] if line.startswith("Reshape your data")]
    if advice:
        return f"{first}. {advice[0]}"
    return first + _ADVICE.get(first, ".")


def check_sample_weight(sample_weight, n_samples, what="sample"):
    """Return the weights as float64; one sentence naming the first bad entry otherwise.

    Parameters
    ----------
    sample_weight : array-like
        One non-negative finite weight per row (or per sequence).
    n_samples : int
        How many weights there must be.
    what : str, default="sample"
        What each weight weighs, for the message ("sample", "sequence").

    Returns
    -------
    weights : ndarray of shape (n_samples,)
    """
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"sample_weight must hold numbers, one per {what}; got "
                         f"{type(sample_weight).__name__}.") from None
    if weights.ndim == 0 or weights.ndim > 1 and weights.size != len(weights):
        raise ValueError(f"sample_weight must be 1-D, one weight per {what}; got shape "
                         f"{weights.shape}.")
    weights = weights.reshape(-1)
    if len(weights) != n_samples:
        raise ValueError(f"sample_weight has {len(weights)} entries but there are {n_samples} "
                         f"{what}s; give one weight per {what}.")
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        i = int(bad[0])
        rule = "non-negative" if np.isfinite(weights[i]) else "finite"
        raise ValueError(f"sample_weight[{i}] is {weights[i]:g}, but sample weights must be "
                         f"{rule}; give each {what} a weight of 0 or more.")
    if n_samples and not np.any(weights > 0):
        raise ValueError(f"sample_weight is zero for every {what}, which leaves nothing to fit; "
                         f"give at least one {what} a positive weight.")
    return weights


def attribute_dtype(X):
    """Return the dtype of the fitted attributes for data ``X``: float32 or float64.

    Parameters
    ----------
    X : array-like
        The data (an ndarray, a sparse matrix or a Dask array); an object without a
        ``dtype`` counts as float64.

    Returns
    -------
    dtype : numpy.dtype
        float32 for float32 data, float64 otherwise.
    """
    dtype = np.dtype(getattr(X, "dtype", np.float64))
    return dtype if dtype == np.float32 else np.dtype(np.float64)


def refuse_impossible(what, consequence):
    """Raise the error for data that the fitted model gives probability zero.

    Its log-density, ``-inf``, is a score; but a posterior given it is ``0 / 0``.

    Parameters
    ----------
    what : str
        The data, as the sentence's subject ("Row 3 of X").
    consequence : str
        What is undefined ("its posterior over the components is undefined").

    Raises
    ------
    ValueError
        Always.
    """
    raise ValueError(
        f"{what} has zero probability under the fitted model, so {consequence}; check it "
        "against the fitted parameters (a probability or rate fitted to exactly 0 forbids "
        "values that the training data never showed).")
