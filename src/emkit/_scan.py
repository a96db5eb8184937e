"""One read of a float array for the checks every fit makes: NaN, infinity, magnitude.

A fit asks three questions of its data before the first E-step: does X hold a NaN (a
missing value, or an error for families without them), an infinity (always an error),
and how large is its largest magnitude (a Gaussian's second moments must not overflow).
Asked one at a time, by scikit-learn's finite check, a NaN search and a max and min, they
are four passes over X, a fixed cost that a fit of a few E-steps over large data notices
(BENCHMARKS.md, "Tenth round"). :func:`scan_values` answers all three in one compiled
pass (numba, the ``fast`` extra; numpy passes otherwise), and :func:`scanned` lets a fit
hand its answer to the checks it calls, so that they do not read X again.
"""

import contextlib
import contextvars
from dataclasses import dataclass

import numpy as np

from emkit._compiled import HAVE_NUMBA, kernel

__all__ = ["SCAN_ROWS", "ValueScan", "row_blocks", "scan_values", "scanned"]

#: The fit's scan, for the checks it calls: ``(X, ValueScan)`` or None.
_KNOWN = contextvars.ContextVar("emkit_known_scan", default=None)
#: Rows read at a time by the numpy passes, so that no check makes a temporary the size
#: of X.
SCAN_ROWS = 65536


@dataclass(frozen=True)
class ValueScan:
    """What one read of a float array found.

    Attributes
    ----------
    nan : bool
        Whether it holds a NaN.
    largest : float
        The largest magnitude among its values other than NaN (``inf`` when it holds an
        infinity; 0 for an array of NaN or of no value).
    """

    nan: bool
    largest: float

    @property
    def infinite(self):
        """bool: Whether it holds an infinity."""
        return self.largest == np.inf


def scan_values(X):
    """Return the :class:`ValueScan` of a float array, reading it once.

    Inside :func:`scanned` with the same array, the fit's scan is returned without a
    read.

    Parameters
    ----------
    X : ndarray of float
        The values, of any shape and layout.

    Returns
    -------
    scan : ValueScan
    """
    known = _KNOWN.get()
    if known is not None and known[0] is X:
        return known[1]
    X = np.asarray(X)
    if X.size == 0:
        return ValueScan(False, 0.0)
    flat = _flat_view(X)
    if HAVE_NUMBA and flat is not None and X.dtype in (np.float64, np.float32):
        return _scan_compiled(flat)
    return _scan_numpy(X)


@contextlib.contextmanager
def scanned(X, scan):
    """Within the block, :func:`scan_values` of ``X`` (the same object) answers ``scan``.

    Parameters
    ----------
    X : ndarray of float
        The data of a fit, which the block does not modify.
    scan : ValueScan or None
        Its scan; None (data that was not scanned, such as a sparse matrix) changes
        nothing.
    """
    token = _KNOWN.set(None if scan is None else (X, scan))
    try:
        yield
    finally:
        _KNOWN.reset(token)


def _flat_view(X):
    # The values as one 1-D view (C or Fortran order), or None where that would copy.
    if X.flags.c_contiguous:
        return X.reshape(-1)
    if X.flags.f_contiguous:
        return X.reshape(-1, order="F")
    return None


def _scan_compiled(flat):
    # The magnitudes compared as the integers of their bits (sign cleared): for numbers
    # other than NaN their order is the order of the bits, an infinity's bits are the
    # largest of them and a NaN's lie above. Integer maxima compile to vector
    # instructions with no reordering licence, and need no exception for NaN.
    if flat.dtype == np.float64:
        bits, mask, infinity = flat.view(np.uint64), np.uint64(2**63 - 1), np.uint64(0x7FF << 52)
    else:
        bits, mask, infinity = flat.view(np.uint32), np.uint32(2**31 - 1), np.uint32(0xFF << 23)
    top, largest = _largest_bits(bits, mask, infinity)
    value = np.array(largest, dtype=bits.dtype).view(flat.dtype)
    return ValueScan(bool(top > infinity), float(value))


@kernel
def _largest_bits(bits, mask, infinity):
    # (largest of the magnitudes' bits, largest of those not above an infinity's).
    zero = infinity - infinity
    top = largest = zero
    for i in range(bits.shape[0]):
        value = bits[i] & mask
        top = max(top, value)
        largest = max(largest, value if value <= infinity else zero)
    return top, largest


def row_blocks(X):
    """Yield ``X`` by blocks of ``SCAN_ROWS`` rows (views, no copy of X).

    Parameters
    ----------
    X : ndarray
        The rows (the first axis).

    Yields
    ------
    block : ndarray
        At most ``SCAN_ROWS`` consecutive rows.
    """
    for start in range(0, X.shape[0], SCAN_ROWS):
        yield X[start:start + SCAN_ROWS]


def _scan_numpy(X):
    nan, largest = False, 0.0
    for block in row_blocks(X.reshape(len(X), -1) if X.ndim > 1 else X.reshape(-1, 1)):
        nan = nan or bool(np.isnan(block).any())
        # fmax and fmin pass over NaN without the copy np.abs would make; an all-NaN
        # block gives NaN, which max() below passes over too.
        high, low = np.fmax.reduce(block, axis=None), np.fmin.reduce(block, axis=None)
        for value in (float(high), -float(low)):
            largest = value if value > largest else largest
    return ValueScan(nan, largest)
