"""Compiled kernels when numba is installed (the ``fast`` extra), plain Python otherwise.

A kernel is a pure function of arrays. :func:`kernel` compiles it with numba, releasing
the GIL so that chunks run on every core, and caches the machine code on disk.

Numba itself is imported on the first call of any kernel, not with emkit (importing it
costs a few tenths of a second): until then a kernel is a :class:`LazyKernel`. The first
call imports numba and turns every lazy kernel into its numba dispatcher, in every emkit
module that holds it, so that compiled kernels calling each other see dispatchers.

Setting the environment variable ``EMKIT_DISABLE_NUMBA=1`` before importing emkit takes
the numpy fallbacks even where numba is installed: the same results (to the tolerances
the tests hold both paths to), to check them or to work around a broken numba.
"""

import importlib.util
import os
import sys
import threading

import numpy as np

#: The variable that, set to anything but "" or "0", turns the compiled kernels off.
DISABLE_VARIABLE = "EMKIT_DISABLE_NUMBA"

HAVE_NUMBA = (os.environ.get(DISABLE_VARIABLE, "") in ("", "0")
              and importlib.util.find_spec("numba") is not None)

__all__ = ["DISABLE_VARIABLE", "HAVE_NUMBA", "LazyKernel", "bits_float", "float_bits",
           "inline_kernel", "kernel", "polynomial_kernel", "prefetch", "reduction_kernel",
           "vector_kernel"]

_lazy = []
_lock = threading.Lock()
#: The numba intrinsics of _INTRINSICS, by the id of their Python helper, once made.
_made = {}


class LazyKernel:
    """A kernel whose numba dispatcher is made on the first call of any kernel.

    Parameters
    ----------
    fn : callable
        The Python function.
    inline : bool, default=False
        Inline it into the compiled kernels that call it.
    vector : bool, default=False
        Compile divisions as numpy does (a division by zero gives inf or NaN instead of
        raising), so that loops with divisions compile to vector instructions.
    reassociate : bool, default=False
        Also let sums be reassociated, so that a loop summing into one number compiles
        to vector instructions.
    contract : bool, default=False
        Also let a multiplication and an addition fuse into one instruction.
    """

    def __init__(self, fn, inline=False, vector=False, reassociate=False, contract=False):
        self.py_func = fn
        self.inline = inline
        self.vector = vector or reassociate or contract
        self.fastmath = ({"reassoc", "nsz"} if reassociate else set()) | (
            {"contract"} if contract else set())
        self.dispatcher = None
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self.__module__ = fn.__module__
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        if self.dispatcher is None:
            _materialize()
        return self.dispatcher(*args, **kwargs)


def _materialize():
    # Import numba once, make every lazy kernel's dispatcher (numba compiles each for its
    # argument types on its own first call), and put the dispatchers where the lazy
    # kernels were, in every emkit module.
    with _lock:
        if all(k.dispatcher is not None for k in _lazy):
            return
        import numba

        for lazy in _lazy:
            if lazy.dispatcher is None:
                lazy.dispatcher = numba.njit(
                    nogil=True, cache=True,
                    inline="always" if lazy.inline else "never",
                    error_model="numpy" if lazy.vector else "python",
                    fastmath=lazy.fastmath)(lazy.py_func)
        # Bound here: the loop replaces the module's own Python versions too.
        if not _made:
            _made.update((id(python), make()) for python, make in _INTRINSICS)
        originals = {id(python): python for python, _ in _INTRINSICS}
        for name, module in list(sys.modules.items()):
            if not name.startswith("emkit") or module is None:
                continue
            namespace = vars(module)
            for key, value in list(namespace.items()):
                if isinstance(value, LazyKernel) and value.dispatcher is not None:
                    namespace[key] = value.dispatcher
                elif (id(value) in originals and value is originals[id(value)]
                      and not key.startswith("_python_")):
                    namespace[key] = _made[id(value)]


def prefetch(values, row, column):
    """Ask the processor to bring ``values[row, column]`` into its caches.

    A hint for compiled kernels, where it is one prefetch instruction (numba); it changes
    no result, and in plain Python it does nothing. A kernel streaming through rows it
    reads once asks for a row some way ahead, so that its cache lines arrive while the
    kernel computes (the processor's own prefetchers keep fewer lines in flight). It
    takes the element's indices, not a view of the row: in a compiled loop a view per
    row costs a call to count its references.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        A 2-D array.
    row, column : int
        Valid indices of the element whose cache line is fetched.
    """


def float_bits(value):
    """Return the bits of a float as a signed integer of its width.

    In compiled kernels one bit cast, which vectorizes (numba); in plain Python a view.

    Parameters
    ----------
    value : numpy.float64 or numpy.float32
        The float.

    Returns
    -------
    bits : numpy.int64 or numpy.int32
        Its bits: int64 for a float64, int32 for a float32.
    """
    value = np.asarray(value)
    return value.view(np.int32 if value.dtype == np.float32 else np.int64)[()]


def bits_float(bits):
    """Return the float whose bits are ``bits``: the inverse of :func:`float_bits`.

    Parameters
    ----------
    bits : numpy.int64 or numpy.int32
        The bits.

    Returns
    -------
    value : numpy.float64 or numpy.float32
        float64 for int64 bits, float32 for int32 bits.
    """
    bits = np.asarray(bits)
    return bits.view(np.float32 if bits.dtype == np.int32 else np.float64)[()]


_python_prefetch = prefetch
_python_float_bits = float_bits
_python_bits_float = bits_float


def _prefetch_intrinsic():
    # The numba intrinsic behind ``prefetch``: LLVM's prefetch of the element's address,
    # for a read, kept in every cache level, of data.
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def compiled(typingctx, values, row, column):
        if not isinstance(values, types.Array) or values.ndim != 2:
            return None  # numba then says no implementation takes these arguments
        def codegen(context, builder, signature, args):
            array_type = signature.args[0]
            array = context.make_array(array_type)(context, builder, args[0])
            indices = [context.cast(builder, value, kind, types.intp)
                       for value, kind in zip(args[1:], signature.args[1:])]
            address = cgutils.get_item_pointer(context, builder, array_type, array, indices,
                                               wraparound=False)
            byte_pointer = ir.IntType(8).as_pointer()
            int32 = ir.IntType(32)
            function = builder.module.declare_intrinsic(
                "llvm.prefetch", [byte_pointer],
                ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]))
            builder.call(function, [builder.bitcast(address, byte_pointer), int32(0),
                                    int32(3), int32(1)])
            return context.get_dummy_value()

        return types.void(values, row, column), codegen

    return compiled


def _bit_cast_intrinsic(pairs):
    # A numba intrinsic that reinterprets the bits of its one argument: ``pairs`` maps
    # each argument type's name to the result type's name (float64 to int64, ...).
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def compiled(typingctx, value):
        result = pairs.get(str(value))
        if result is None:
            return None
        result = getattr(types, result)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(result))

        return result(value), codegen

    return compiled


#: Each plain-Python helper and the maker of its numba intrinsic, made once by the
#: first call of any kernel, when numba is imported.
_INTRINSICS = (
    (prefetch, _prefetch_intrinsic),
    (float_bits, lambda: _bit_cast_intrinsic({"float64": "int64", "float32": "int32"})),
    (bits_float, lambda: _bit_cast_intrinsic({"int64": "float64", "int32": "float32"})),
)


def kernel(fn, inline=False, vector=False, reassociate=False, contract=False):
    """Return ``fn`` to be compiled by numba when it is installed, else ``fn`` itself.

    Either way the result has ``py_func``, the plain Python function, for tests.

    Parameters
    ----------
    fn : callable
        A function of arrays and scalars that numba can compile in nopython mode.
    inline : bool, default=False
        Inline the function into the kernels that call it. A call between compiled
        functions passes every array as a structure of fields and is not inlined by
        default; for a small helper called per row that costs ten times its work.
    vector : bool, default=False
        Let its loops compile to vector instructions: divisions follow numpy (inf or
        NaN) instead of raising ZeroDivisionError, a check that keeps a loop scalar.
    reassociate : bool, default=False
        As ``vector``, and let sums into one number be reordered, so that they too run
        as vector instructions (several partial sums). The result differs from a serial
        sum in the last bits, and may differ between processors.
    contract : bool, default=False
        As ``vector``, and let a multiplication followed by an addition run as one fused
        multiply-add, rounded once (a polynomial in half the instructions). Processors
        without the instruction round twice, so results may differ in the last bit.

    Returns
    -------
    compiled : callable
    """
    if HAVE_NUMBA:
        lazy = LazyKernel(fn, inline, vector, reassociate, contract)
        with _lock:
            _lazy.append(lazy)
        return lazy
    fn.py_func = fn
    return fn


def vector_kernel(fn):
    """Return ``fn`` compiled with numpy's division rules, so its loops vectorize.

    Parameters
    ----------
    fn : callable
        A loop over arrays (see :func:`kernel`, ``vector=True``).

    Returns
    -------
    compiled : callable
    """
    return kernel(fn, vector=True)


def reduction_kernel(fn):
    """Return ``fn`` compiled so that its loops and its sums run as vector instructions.

    Parameters
    ----------
    fn : callable
        A loop over arrays that sums (see :func:`kernel`, ``reassociate=True``).

    Returns
    -------
    compiled : callable
    """
    return kernel(fn, reassociate=True)


def polynomial_kernel(fn):
    """Return ``fn`` compiled with fused multiply-adds, so its polynomials take half the time.

    Parameters
    ----------
    fn : callable
        A loop over arrays that evaluates polynomials (see :func:`kernel`,
        ``contract=True``).

    Returns
    -------
    compiled : callable
    """
    return kernel(fn, contract=True)


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
