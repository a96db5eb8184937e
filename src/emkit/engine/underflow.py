"""Underflow is zero: emkit's arithmetic runs with numpy's underflow errors ignored.

A probability, a responsibility or a weighted moment below the floating-point range is
zero by design (emkit sets the subnormal ones to zero itself), whatever the caller's
``np.seterr``: an underflow must neither warn nor raise ``FloatingPointError`` from
inside a fit. numpy's error settings belong to each thread, so the chunk threads set
them too (:mod:`.chunk_threads`).
"""

import functools

import numpy as np

__all__ = ["underflow_is_zero"]


def underflow_is_zero(fn):
    """Return ``fn`` run with numpy's underflow errors ignored.

    Parameters
    ----------
    fn : callable
        A computation of emkit (an EM loop, a chunk runner).

    Returns
    -------
    wrapped : callable
        ``fn`` inside ``np.errstate(under="ignore")``; other errors as the caller set them.
    """
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with np.errstate(under="ignore"):
            return fn(*args, **kwargs)

    return wrapped
