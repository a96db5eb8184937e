"""kept_heap: chunk-sized buffers come from the heap inside a block task on a trimming worker."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from emkit.engine import _heap

PROBE = textwrap.dedent("""
    import ctypes, json
    import numpy as np
    from emkit.engine._heap import kept_heap

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2

    def mapped_while_held():
        # Bytes newly mapped for a 4 MiB chunk buffer while it is held.
        before = libc.mallinfo2().hblkhd
        buffer = np.ones(4 * 2**20 // 8)
        mapped = libc.mallinfo2().hblkhd - before
        del buffer
        return mapped

    outside = mapped_while_held()
    with kept_heap() as active, kept_heap():
        inside = mapped_while_held()
    after = mapped_while_held()
    print(json.dumps({"active": active, "outside": outside, "inside": inside,
                      "after": after, "free_kept": libc.mallinfo2().fordblks}))
""")


def probe(env):
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


needs_glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or _heap._glibc() is None
    or not hasattr(_heap._glibc(), "mallinfo2"), reason="glibc's malloc statistics")


@needs_glibc
def test_buffers_stay_in_the_heap_inside_and_are_mapped_again_after():
    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="65536")
    seen = probe(env)
    assert seen["active"] is True
    MiB = 2**20
    assert seen["outside"] >= 4 * MiB  # a trimming worker maps every large buffer
    assert seen["inside"] < MiB        # inside a block task it comes from the heap
    assert seen["after"] >= 4 * MiB    # and the worker's thresholds are back after it
    assert seen["free_kept"] < 4 * MiB  # the heap's free memory went back to the system


@needs_glibc
def test_nothing_changes_where_the_worker_does_not_trim():
    env = {key: value for key, value in os.environ.items()
           if key != "MALLOC_TRIM_THRESHOLD_"}
    assert probe(env)["active"] is False
