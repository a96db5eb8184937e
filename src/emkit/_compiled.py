"""Compiled kernels when numba is installed (the ``fast`` extra), plain Python otherwise.

A kernel is a pure function of arrays. :func:`kernel` compiles it with numba, releasing
the GIL so that chunks run on every core, and caches the machine code on disk.
"""

try:  # pragma: no cover - exercised through whichever branch is installed
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "inline_kernel", "kernel"]


def kernel(fn, inline=False):
    """Return ``fn`` compiled by numba when it is installed, else ``fn`` itself.

    Either way the result has ``py_func``, the plain Python function, for tests.

    Parameters
    ----------
    fn : callable
        A function of arrays and scalars that numba can compile in nopython mode.
    inline : bool, default=False
        Inline the function into the kernels that call it. A call between compiled
        functions passes every array as a structure of fields and is not inlined by
        default; for a small helper called per row that costs ten times its work.

    Returns
    -------
    compiled : callable
    """
    if HAVE_NUMBA:
        return numba.njit(nogil=True, cache=True, inline="always" if inline else "never")(fn)
    fn.py_func = fn
    return fn


def inline_kernel(fn):
    """Return ``fn`` compiled to be inlined into its callers (see :func:`kernel`).

    Parameters
    ----------
    fn : callable
        A small helper of compiled kernels.

    Returns
    -------
    compiled : callable
    """
    return kernel(fn, inline=True)
