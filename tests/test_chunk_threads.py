"""The chunk threads: sums in chunk order, the first error in chunk order, no deadlock."""

import threading
import time
from functools import reduce
from operator import add

import numpy as np
import pytest

from emkit.engine.chunk_threads import run_chunks


def _values(n_chunks, seed=0):
    # Floating-point values whose sum depends on the order of the additions.
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(5) * 10.0 ** rng.integers(-8, 9) for _ in range(n_chunks)]


@pytest.mark.parametrize("n_threads", [2, 3, 4])
def test_the_sum_is_the_serial_one_bit_for_bit_whatever_finishes_first(n_threads):
    values = _values(60)
    delays = np.random.default_rng(1).uniform(0, 2e-3, len(values))
    threads = set()

    def run(i):
        threads.add(threading.get_ident())
        time.sleep(delays[i])  # chunks finish out of order
        return values[i]

    total = run_chunks(run, list(range(len(values))), n_threads)
    np.testing.assert_array_equal(total, reduce(add, values))
    assert threading.get_ident() in threads and len(threads) > 1


def test_the_error_raised_is_the_first_in_chunk_order():
    ran = []

    def run(i):
        if i == 3:
            time.sleep(0.05)  # chunk 5 fails first in time
            raise ValueError("chunk 3")
        if i == 5:
            raise KeyError("chunk 5")
        ran.append(i)
        return np.ones(2)

    with pytest.raises(ValueError, match="chunk 3"):
        run_chunks(run, list(range(40)), 2)
    assert {0, 1, 2} <= set(ran) and max(ran) < 40
    # The pool is whole afterwards.
    np.testing.assert_array_equal(run_chunks(lambda i: np.full(2, i), list(range(9)), 2),
                                  np.full(2, 36))


def test_an_error_in_the_calling_threads_chunk_stops_the_helpers():
    caller = threading.get_ident()
    ran = []

    def run(i):
        ran.append(i)
        if threading.get_ident() == caller:
            raise RuntimeError(f"caller's chunk {i}")
        time.sleep(1e-3)
        return 1

    with pytest.raises(RuntimeError, match="caller's chunk"):
        run_chunks(run, list(range(1000)), 2)
    assert len(ran) < 1000


def test_a_chunk_that_runs_chunks_runs_them_in_its_own_thread():
    inner_threads = []

    def inner(j):
        inner_threads.append(threading.get_ident())
        return j

    def outer(i):
        me = threading.get_ident()
        before = len(inner_threads)
        total = run_chunks(inner, list(range(5)), 2)
        assert inner_threads[before:] == [me] * 5
        return total + i

    assert run_chunks(outer, list(range(6)), 2) == 6 * 10 + 15


def test_calls_from_several_threads_at_once_all_finish_with_their_own_sums():
    results = {}

    def caller(seed):
        values = _values(30, seed)
        results[seed] = (run_chunks(lambda i: values[i], list(range(30)), 2),
                         reduce(add, values))

    callers = [threading.Thread(target=caller, args=(seed,)) for seed in range(4)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=60)
    assert sorted(results) == [0, 1, 2, 3]
    for total, serial in results.values():
        np.testing.assert_array_equal(total, serial)


def test_one_chunk_or_one_thread_runs_in_the_calling_thread():
    caller = threading.get_ident()
    seen = set()

    def run(i):
        seen.add(threading.get_ident())
        return i

    assert run_chunks(run, [7], 4) == 7
    assert run_chunks(run, list(range(10)), 1) == 45
    assert seen == {caller}
