"""``EMKIT_DISABLE_NUMBA=1``: the numpy fallbacks with numba installed, and the same fits.

The variable is read when emkit is imported, so each check runs in a fresh interpreter;
this process's fit (compiled when numba is installed) is the oracle.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import emkit

FIT = """
import json, sys, numpy as np, emkit
from emkit._compiled import HAVE_NUMBA
from emkit.models import hmm_kernels, responsibilities
rng = np.random.RandomState(0)
X = np.vstack([rng.randn(300, 2), rng.randn(300, 2) + 4])
gm = emkit.GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
hmm = emkit.GaussianHMM(2, n_iter=5, random_state=0).fit(X[:, :1])
print(json.dumps({"have_numba": HAVE_NUMBA, "numba_loaded": "numba" in sys.modules,
                  "backend": responsibilities.BACKEND,
                  "recursion": type(hmm_kernels._recursion).__name__,
                  "gm_means": gm.means_.tolist(), "hmm_means": hmm.means_.tolist(),
                  "hmm_score": hmm.score(X[:, :1])}))
"""


def _fit_in_fresh_interpreter(value):
    env = dict(os.environ)
    env.pop("EMKIT_DISABLE_NUMBA", None)
    if value is not None:
        env["EMKIT_DISABLE_NUMBA"] = value
    out = subprocess.run([sys.executable, "-c", FIT], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _oracle():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(300, 2), rng.randn(300, 2) + 4])
    gm = emkit.GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    hmm = emkit.GaussianHMM(2, n_iter=5, random_state=0).fit(X[:, :1])
    return gm.means_, hmm.means_, hmm.score(X[:, :1])


def test_disabled_numba_takes_the_numpy_fallbacks_and_fits_the_same():
    fitted = _fit_in_fresh_interpreter("1")
    assert fitted["have_numba"] is False and fitted["numba_loaded"] is False
    assert fitted["backend"] == "numpy" and fitted["recursion"] == "function"
    gm_means, hmm_means, score = _oracle()
    np.testing.assert_allclose(fitted["gm_means"], gm_means, rtol=1e-10)
    np.testing.assert_allclose(fitted["hmm_means"], hmm_means, rtol=1e-10)
    assert fitted["hmm_score"] == pytest.approx(score, rel=1e-10)


@pytest.mark.parametrize("value", [None, "", "0"])
def test_unset_empty_or_zero_leaves_numba_on_where_installed(value):
    fitted = _fit_in_fresh_interpreter(value)
    from importlib.util import find_spec

    installed = find_spec("numba") is not None
    assert fitted["have_numba"] is installed and fitted["numba_loaded"] is installed
    assert fitted["backend"] == ("compiled" if installed else "numpy")
