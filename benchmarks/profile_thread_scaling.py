"""What two threads gain on this machine, by the size of the work between two GIL calls.

The chunk threads of an E-step (``emkit/engine/chunk_threads.py``) each run numpy, numba
and BLAS calls that release the GIL. How much two threads gain over one depends on what
those calls do, and the chunk size (``emkit/engine/sources.py``, ``CHUNK_BYTES``) is
chosen by it. Prints the speed-up of two threads of a pool over one thread doing both
threads' work, each measurement a few tenths of a second:

* a compiled loop that only computes (a square root chain, no memory traffic), for calls
  of 5 us to 1 ms: the GIL's hand-over with almost no Python around it;
* ``np.copyto`` between arrays of 64 KB to 16 MB: a numpy call, whose argument handling
  holds the GIL, by the size of the work it does without it;
* a whole E-step chunk of a spherical GaussianMixture (D = K = 16, float64) of 2,000 to
  32,000 rows: the mix of an E-step.

Run:  .venv/bin/python benchmarks/profile_thread_scaling.py
"""

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from profile_blas_threads import two_threads

from emkit._compiled import kernel
from emkit.engine.sources import one_blas_thread
from emkit.families import GaussianSpherical
from emkit.models import Mixture

D = K = 16


@kernel
def _spin(n):
    # A dependent chain of square roots: compute only.
    s = 0.0
    for i in range(n):
        s += np.sqrt(i + s * 1e-9)
    return s


def main():
    _spin(10)
    start = time.perf_counter()
    _spin(10_000_000)
    per_step = (time.perf_counter() - start) / 1e7
    with ThreadPoolExecutor(2) as pool:
        print("compiled compute-only call (GIL released)")
        for micro in (5, 20, 100, 1000):
            steps = (int(micro * 1e-6 / per_step),)
            _, gain = two_threads(pool, _spin, [steps, steps], int(0.2 / (micro * 1e-6)))
            print(f"  {micro:5d} us per call       2 threads / 1: {gain:.2f}x")
        print("np.copyto (GIL released)")
        for kb in (64, 256, 512, 1024, 4096, 16384):
            n = kb * 1024 // 8
            pairs = [(np.empty(n), np.random.rand(n)) for _ in range(2)]
            alone, gain = two_threads(pool, np.copyto, pairs, max(10, int(2e9 / (kb * 1024))))
            print(f"  {kb:5d} KB, {alone * 1e6:7.1f} us   2 threads / 1: {gain:.2f}x")
        print("spherical GaussianMixture E-step chunk, float64, one BLAS thread")
        rng = np.random.default_rng(0)
        centres = rng.normal(scale=3, size=(K, D))
        model = Mixture(np.full(K, 1 / K), GaussianSpherical(centres + 0.3, np.ones(K)))
        with one_blas_thread():
            for rows in (2000, 4000, 8000, 16001, 32000):
                chunks = [(centres[rng.integers(0, K, rows)] + rng.normal(size=(rows, D)),)
                          for _ in range(2)]
                alone, gain = two_threads(pool, model.chunk_stats, chunks,
                                          max(5, int(4e6 / rows)))
                print(f"  {rows:5d} rows, {alone * 1e3:6.2f} ms  2 threads / 1: {gain:.2f}x")


if __name__ == "__main__":
    main()
