"""The Dask cluster of ``emkit fit --dask-scheduler ADDRESS`` or ``--workers N``.

A running scheduler is connected to; ``--workers N`` starts a local cluster of N worker
processes of one thread each for the fit and closes it after. Either way the client is
the active one while the fit runs, so the fit's Dask data is computed on its workers.
"""

import logging
from contextlib import contextmanager

from emkit.cli.errors import UsageError, describe

__all__ = ["CONNECT_TIMEOUT", "dask_client"]

#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT = 10


@contextmanager
def dask_client(address=None, workers=None):
    """Connect to a Dask scheduler, or start a local cluster, for the ``with`` block.

    Parameters
    ----------
    address : str, default=None
        The scheduler's address (``tcp://host:8786``).
    workers : int, default=None
        Start a ``distributed.LocalCluster`` of this many worker processes (one thread
        each), closed at the end of the block.

    Yields
    ------
    client : distributed.Client or None
        None when neither is given: the fit runs in this process.
    """
    if address is None and workers is None:
        yield None
        return
    option = "--workers" if workers is not None else "--dask-scheduler"
    try:
        import distributed
    except ImportError:
        raise UsageError(f"{option} needs Dask's distributed scheduler: pip install "
                         "'emkit[dask]'.") from None
    if workers is not None:
        # The cluster's own log stays quiet: a failed fit raises in the client, and
        # under load a worker's heartbeat may still run after the scheduler has closed,
        # which logs an error on a fit that succeeded.
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                      processes=True, dashboard_address=":0",
                                      silence_logs=logging.CRITICAL) as cluster:
            with distributed.Client(cluster) as client:
                yield client
        return
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot connect to the Dask scheduler at {address!r} "
                         f"({describe(exc)}); start one (dask scheduler) or give its "
                         "address as tcp://host:port.") from None
    with client:
        yield client
