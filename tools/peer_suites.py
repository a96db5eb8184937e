"""Run the peers' own test files against emkit's classes.

emkit's GaussianMixture, LatentDirichletAllocation and HMMs are drop-ins for
scikit-learn's and hmmlearn's, so those libraries' test files, with their imports pointed
at emkit, are a check of emkit. This script copies them from the installed packages into
a temporary folder, swaps the imports (``SUITES``), gives scikit-learn's files the
fixtures of scikit-learn's own conftest (seed 42; float64 and float32, as its CI's
float32 run with SKLEARN_RUN_FLOAT32_TESTS=1),
fixes hmmlearn's data seed (``HMMLEARN_SEED``), runs pytest on each file and prints what
passed and failed.

A few tests assert what emkit changes on purpose; ``EXPECTED`` lists them with the reason
(each is documented in docs/differences.rst). The exit status is 1 when any other test
fails, 0 otherwise. ``hmmlearn.utils`` is swapped for :mod:`emkit.hmm.utils` too; tests
that call hmmlearn's ``_hmmc`` kernels still test the peer. scikit-learn's array-API tests
skip, as in scikit-learn's default run, and the tests a peer marks as expected to fail (hmmlearn's
test_gmm_hmm.py, written for an older GMMHMM) count as skipped.

Run:  make peer-suites    (or .venv/bin/python tools/peer_suites.py [--keep DIR] [-k EXPR])
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from importlib.util import find_spec

#: suite -> (package of the tests, files, [(file or "*", old import, new import), ...])
SUITES = {
    "scikit-learn mixture": (
        "sklearn.mixture.tests", ["test_gaussian_mixture.py", "test_mixture.py"], [
            ("test_gaussian_mixture.py", "from sklearn.mixture import GaussianMixture\n",
             "from emkit import GaussianMixture\n"),
            ("test_mixture.py",
             "from sklearn.mixture import BayesianGaussianMixture, GaussianMixture\n",
             "from emkit import GaussianMixture\n"
             "from sklearn.mixture import BayesianGaussianMixture\n"),
        ]),
    "scikit-learn LatentDirichletAllocation": (
        "sklearn.decomposition.tests", ["test_online_lda.py"], [
            ("test_online_lda.py",
             "from sklearn.decomposition import LatentDirichletAllocation\n",
             "from emkit import LatentDirichletAllocation\n"),
        ]),
    "hmmlearn": (
        "hmmlearn.tests", ["__init__.py", "conftest.py", "test_base.py",
                           "test_categorical_hmm.py", "test_gaussian_hmm.py",
                           "test_gmm_hmm.py", "test_gmm_hmm_multisequence.py",
                           "test_gmm_hmm_new.py", "test_multinomial_hmm.py",
                           "test_poisson_hmm.py", "test_utils.py"], [
            ("*", "from hmmlearn.base import", "from emkit.hmm import"),
            ("*", "from hmmlearn import hmm\n", "from emkit import hmm\n"),
            ("*", "from .. import hmm\n", "from emkit import hmm\n"),
            ("*", "from ..hmm import", "from emkit.hmm import"),
            ("*", "from hmmlearn.utils import", "from emkit.hmm.utils import"),
        ]),
}

#: Tests that assert a behaviour emkit changes on purpose, and why.
EXPECTED = {
    "test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters":
        "counts calls of a scikit-learn function that emkit never calls (emkit also "
        "skips the initial estimation when every start is given)",
    "TestMonitor::test_converged_by_iterations":
        "emkit's monitor_.converged is False when n_iter stopped the fit",
}

#: scikit-learn's conftest fixtures, float32 included, and its markers.
SKLEARN_CONFTEST = '''"""scikit-learn's fixtures (seed 42; float64 and float32, as SKLEARN_RUN_FLOAT32_TESTS=1), and its markers."""
import numpy as np
import pytest


@pytest.fixture(params=[np.float64, np.float32])
def global_dtype(request):
    yield request.param


def pytest_generate_tests(metafunc):
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", [42])


def pytest_configure(config):
    for line in ("parallel_threads(n): run in n threads", "thread_unsafe: one thread",
                 "iterations(n): repeat n times"):
        config.addinivalue_line("markers", line)
'''


def copy_suite(name, folder):
    """Copy one suite's files into ``folder`` with their imports swapped; return the files."""
    package, files, swaps = SUITES[name]
    source = os.path.dirname(find_spec(package).origin)
    os.makedirs(folder)
    for file in files:
        with open(os.path.join(source, file)) as handle:
            text = handle.read()
        for target, old, new in swaps:
            if target in ("*", file):
                text = text.replace(old, new)
        with open(os.path.join(folder, file), "w") as handle:
            handle.write(text)
    if package.startswith("sklearn"):
        with open(os.path.join(folder, "conftest.py"), "w") as handle:
            handle.write(SKLEARN_CONFTEST)
    return [f for f in files if f.startswith("test_")]


def run_file(folder, file, keyword):
    """Run pytest on one copied file; return {test id: outcome}."""
    report = os.path.join(folder, file + ".xml")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", file] + (["-k", keyword] if keyword else [])
    env = dict(os.environ, HMMLEARN_SEED="12345")
    subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    outcomes = {}
    if not os.path.exists(report):
        return {file: "error (no report)"}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        test = f"{case.get('classname', '').split('.')[-1]}::{case.get('name')}"
        kinds = [child.tag for child in case]
        outcome = ("failed" if "failure" in kinds or "error" in kinds
                   else "skipped" if "skipped" in kinds else "passed")
        outcomes[test] = outcome
    return outcomes


def expected_reason(test):
    """The reason a failing test is expected to fail, or None."""
    for pattern, reason in EXPECTED.items():
        if pattern in test:
            return reason
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="copy the suites into this new folder and keep it")
    parser.add_argument("-k", dest="keyword", help="pytest's -k expression")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="peer-suites-")
    unexpected = []
    try:
        print(f"{'suite / file':<58} {'passed':>7} {'failed':>7} {'skipped':>8}")
        for name in SUITES:
            # hmmlearn's tests are a package (relative imports): not named hmmlearn.
            folder = os.path.join(root, "peer_" + re.sub(r"\W+", "_", name))
            for file in copy_suite(name, folder):
                outcomes = run_file(folder, file, args.keyword)
                counts = {kind: sum(1 for o in outcomes.values() if o == kind)
                          for kind in ("passed", "failed", "skipped")}
                print(f"{name + ' / ' + file:<58} {counts['passed']:>7} "
                      f"{counts['failed']:>7} {counts['skipped']:>8}")
                for test, outcome in outcomes.items():
                    if outcome.startswith(("failed", "error")):
                        reason = expected_reason(test)
                        if reason is None:
                            unexpected.append(f"{file}: {test}")
                        else:
                            print(f"    expected: {test} ({reason})")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    for test in unexpected:
        print(f"UNEXPECTED FAILURE  {test}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
