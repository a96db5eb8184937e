"""Global settings of the engine: chunk size and threads, set for a block of code."""

from contextlib import contextmanager

__all__ = ["config_context", "get_config", "set_config"]

_config = {"chunk_size": None, "n_threads": None}


def get_config():
    """Return a copy of the current settings.

    Returns
    -------
    config : dict
        ``chunk_size`` (rows per E-step chunk; None sizes chunks from a working-set budget)
        and ``n_threads`` (threads running chunks; None uses every core).
    """
    return dict(_config)


def set_config(chunk_size=None, n_threads=None):
    """Set the engine's chunk size and thread count for every later fit.

    Parameters
    ----------
    chunk_size : int, default=None
        Rows per E-step chunk; None sizes chunks automatically.
    n_threads : int, default=None
        Threads running chunks; None uses every core.
    """
    for name, value in (("chunk_size", chunk_size), ("n_threads", n_threads)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer or None, got {value!r}.")
    _config.update(chunk_size=chunk_size, n_threads=n_threads)


@contextmanager
def config_context(chunk_size=None, n_threads=None):
    """Use other engine settings inside a ``with`` block.

    Parameters
    ----------
    chunk_size : int, default=None
        Rows per E-step chunk; None sizes chunks automatically.
    n_threads : int, default=None
        Threads running chunks; None uses every core.

    Yields
    ------
    None
    """
    saved = get_config()
    set_config(chunk_size, n_threads)
    try:
        yield
    finally:
        _config.update(saved)
