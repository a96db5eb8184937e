"""``import emkit`` loads what the estimators need and nothing slow that they do not.

Timing is not tested (speed is for benchmarks); the modules that make an import slow are:
numba (a few tenths of a second, loaded on the first kernel call), scikit-learn's
clustering, matplotlib, Dask, and emkit's own plotting, image, I/O and CLI modules.
"""

import subprocess
import sys

SLOW = ("numba", "sklearn.cluster", "matplotlib", "dask", "distributed", "emkit.plotting",
        "emkit.image", "emkit.io", "emkit.cli", "emkit.datasets", "emkit.selection")


def _modules_after(code):
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(sorted(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(eval(out.stdout.strip().splitlines()[-1]))


def test_import_emkit_loads_nothing_slow():
    loaded = _modules_after("import emkit")
    assert not [m for m in loaded if m.split(".")[0] in SLOW or m.startswith(SLOW)]


def test_lazy_names_load_on_first_use_and_kernels_compile_on_first_call():
    loaded = _modules_after(
        "import emkit, numpy as np\n"
        "emkit.save, emkit.select, emkit.plotting\n"
        "emkit.GaussianHMM(2, n_iter=2).fit(np.random.RandomState(0).randn(50, 1))\n"
        "from emkit._compiled import HAVE_NUMBA\n"
        "from emkit.models import hmm_kernels\n"
        "kind = type(hmm_kernels._recursion).__name__\n"
        "assert kind == ('CPUDispatcher' if HAVE_NUMBA else 'function'), kind")
    assert {"emkit.io", "emkit.selection", "emkit.plotting"} <= loaded
    from emkit._compiled import HAVE_NUMBA

    assert ("numba" in loaded) == HAVE_NUMBA
