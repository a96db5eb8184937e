"""Seconds of one Dask block's E-step in this process and on a Dask worker.

The block task of a Dask fit (``emkit.engine.dask_source._block_total``) runs on one
1,048,576-row float32 block (D = K = 16, full covariances, bench_out_of_core.py's
mixture) three times: here, with one BLAS thread as a worker has, and on a LocalCluster
of one worker process started with Dask's defaults (its nanny sets
``MALLOC_TRIM_THRESHOLD_``), with and without emkit's kept heap
(``emkit.engine._heap``). The least of the three times is printed for each.

Run:  .venv/bin/python benchmarks/profile_dask_block.py
"""

import logging
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_out_of_core import D, K, true_parameters  # noqa: E402

ROWS = 1_048_576


def block_seconds(kept=True):
    """The least of three timings of one block task, in the calling process."""
    from threadpoolctl import threadpool_limits

    import emkit
    from emkit.engine import _heap, dask_source
    from emkit.engine.loop import chunk_plan
    from emkit.engine.sources import ArraySource

    warnings.simplefilter("ignore")
    means, factors, start = true_parameters()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, K, ROWS)
    z = rng.standard_normal((ROWS, D))
    X = np.empty((ROWS, D), dtype=np.float32)
    for k in range(K):
        rows = labels == k
        X[rows] = means[k] + z[rows] @ factors[k]
    model = emkit.GaussianMixture(K, max_iter=1, tol=0, **start).fit(X[:20_000])._get_model()
    plan = chunk_plan(model, ArraySource(X))
    if not kept:
        _heap._libc[:] = [None]  # kept_heap finds no glibc: the worker's thresholds stay
    times = []
    with threadpool_limits(1, user_api="blas"):
        for _ in range(3):
            begin = time.perf_counter()
            dask_source._block_total(model.chunk_stats, X, None, None, *plan, None)
            times.append(time.perf_counter() - begin)
    return min(times)


def main():
    import distributed

    print(f"in this process, one BLAS thread: {block_seconds():.3f} s")
    for kept in (False, True):
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      dashboard_address=None,
                                      silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:
            seconds = client.submit(block_seconds, kept, pure=False).result()
            trim = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
            print(f"on a Dask worker (MALLOC_TRIM_THRESHOLD_={next(iter(trim.values()))}), "
                  f"{'with' if kept else 'without'} the kept heap: {seconds:.3f} s")


if __name__ == "__main__":
    main()
