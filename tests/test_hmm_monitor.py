"""A ``monitor_`` set or changed before a fit, hmmlearn's way to customize convergence.

hmmlearn's ConvergenceMonitor docstring tells users to subclass it, redefine
``converged`` and point ``monitor_`` at an instance before fitting; its test of issue
#410 does so with a monitor whose ``converged`` asserts that the log-likelihood never
falls. emkit's fit must report each iteration to that object and stop where its
``converged`` says, and must honour a ``tol`` or ``verbose`` changed on its own
``monitor_``. hmmlearn, run in the same test from the same start, is the oracle.
"""

import logging

import numpy as np
import pytest
from hmmlearn import hmm as hl_hmm
from hmmlearn.base import ConvergenceMonitor as HmmlearnMonitor
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

import emkit
from emkit import hmm
from emkit.exceptions import ConvergenceWarning

LENGTHS = [60, 45, 80]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(3)
    states = rng.randint(0, 2, sum(LENGTHS))
    return rng.randn(sum(LENGTHS), 2) + 3.0 * states[:, None]


def _start(model):
    model.startprob_ = np.array([0.6, 0.4])
    model.transmat_ = np.array([[0.7, 0.3], [0.4, 0.6]])
    model.means_ = np.array([[0.5, 0.5], [2.0, 2.5]])
    model.covars_ = np.array([[1.5, 1.0], [1.0, 2.0]])
    return model


def _pair(**options):
    options = dict(dict(init_params="", n_iter=50, tol=1e-2), **options)
    return (_start(hl_hmm.GaussianHMM(2, "diag", **options)),
            _start(hmm.GaussianHMM(2, "diag", **options)))


class CountingMonitor(HmmlearnMonitor):
    """hmmlearn's monitor, counting its reports and asking that nothing falls (#410)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.reports = 0

    def report(self, log_prob):
        self.reports += 1
        super().report(log_prob)

    @property
    def converged(self):
        assert not np.isnan(self.history[-1])
        if len(self.history) < 2:
            return False
        assert self.history[-1] >= self.history[-2] - self.tol
        return self.history[-1] - self.history[-2] < self.tol


class ThresholdMonitor(HmmlearnMonitor):
    """The subclass of hmmlearn's docstring: converged once the value reaches tol."""

    @property
    def converged(self):
        return self.iter == self.n_iter or self.history[-1] >= self.tol


def test_a_monitor_of_the_users_class_hears_every_iteration_and_stops_the_fit(X):
    ref, est = _pair()
    ref.monitor_ = CountingMonitor(ref.monitor_.tol, ref.monitor_.n_iter, False)
    mine = CountingMonitor(est.monitor_.tol, est.monitor_.n_iter, False)
    est.monitor_ = mine
    ref.fit(X, LENGTHS)
    est.fit(X, LENGTHS)
    assert est.monitor_ is mine  # kept, not replaced by emkit's record
    assert mine.reports == est.n_iter_ == ref.monitor_.reports < 50
    assert_allclose(list(mine.history), list(ref.monitor_.history), rtol=1e-6)
    assert mine.converged and est.converged_
    assert_allclose(est.means_, ref.means_, rtol=1e-6)


def test_the_users_monitor_decides_with_its_own_rule(X):
    # ThresholdMonitor stops once the log-likelihood reaches tol, whatever the gain;
    # hmmlearn's iteration count on the same start is the oracle.
    probe = _start(hmm.GaussianHMM(2, "diag", init_params="", n_iter=3, tol=0))
    with pytest.warns(ConvergenceWarning):
        probe.fit(X, LENGTHS)
    # Reached at the second iteration, by either library's rounding.
    threshold = probe.monitor_.history[1] - 1e-6 * abs(probe.monitor_.history[1])
    ref, est = _pair(tol=threshold)
    ref.monitor_ = ThresholdMonitor(threshold, 50, False)
    est.monitor_ = ThresholdMonitor(threshold, 50, False)
    ref.fit(X, LENGTHS)
    est.fit(X, LENGTHS)
    assert est.n_iter_ == len(ref.monitor_.history) == 2
    assert est.converged_
    assert_allclose(list(est.monitor_.history), list(ref.monitor_.history), rtol=1e-6)


def test_a_users_monitor_at_the_cap_is_not_convergence(X):
    # hmmlearn's own monitor says converged when n_iter is hit; emkit's converged_
    # stays honest and the cap warns.
    est = _start(hmm.GaussianHMM(2, "diag", init_params="", n_iter=3, tol=1e-12))
    est.monitor_ = HmmlearnMonitor(1e-12, 3, False)
    with pytest.warns(ConvergenceWarning, match="n_iter=3"):
        est.fit(X, LENGTHS)
    assert est.n_iter_ == 3 and len(est.monitor_.history) == 3
    assert est.monitor_.converged and not est.converged_


def test_a_tol_changed_on_monitor_is_the_fits(X):
    ref, est = _pair(tol=10.0)
    ref.monitor_.tol = 1e-6
    est.monitor_.tol = 1e-6
    ref.fit(X, LENGTHS)
    est.fit(X, LENGTHS)
    assert est.n_iter_ == len(ref.monitor_.history) > 3
    assert_allclose(list(est.monitor_.history), list(ref.monitor_.history), rtol=1e-6)
    assert est.converged_ and est.monitor_.converged
    # The estimator's own tol, changed after construction, still counts when the
    # monitor is left alone (scikit-learn's set_params).
    plain = _start(hmm.GaussianHMM(2, "diag", init_params="", n_iter=50, tol=10.0))
    plain.set_params(tol=1e-6)
    plain.fit(X, LENGTHS)
    assert plain.n_iter_ == est.n_iter_


def test_verbose_changed_on_monitor_prints_hmmlearns_lines(X, capsys):
    est = _pair()[1]
    est.monitor_.verbose = True
    est.fit(X, LENGTHS)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == est.n_iter_
    first, last = lines[0].split(), lines[-1].split()
    assert int(first[0]) == 1 and first[2] == "+nan"  # hmmlearn's format of NaN
    assert int(last[0]) == est.n_iter_
    assert_allclose(float(last[1]), est.monitor_.history[-1], rtol=1e-7)


def test_a_model_with_the_users_monitor_saves_its_record(X, tmp_path):
    est = _pair()[1]
    est.monitor_ = CountingMonitor(1e-2, 50, False)
    est.fit(X, LENGTHS)
    path = tmp_path / "model.emkit"
    emkit.save(est, path)
    loaded = emkit.load(path)
    assert type(loaded.monitor_) is hmm.ConvergenceMonitor
    assert_allclose(list(loaded.monitor_.history), list(est.monitor_.history), rtol=0)
    assert loaded.monitor_.iter == est.monitor_.iter
    assert loaded.monitor_.converged == est.monitor_.converged


def test_report_logs_a_fall_as_hmmlearn_does(caplog):
    # hmmlearn's report logs "Model is not converging" when a value falls by more than
    # sqrt(eps); a smaller fall is rounding. (Other tests may have raised the level of
    # hmmlearn's logger: set here, and restored after the test.)
    caplog.set_level(logging.WARNING, logger="hmmlearn")
    caplog.set_level(logging.WARNING, logger="emkit")
    for monitor in (HmmlearnMonitor(1e-3, 10, False), hmm.ConvergenceMonitor(1e-3, 10, False)):
        caplog.clear()
        monitor.report(-1.0)
        monitor.report(-1.0 - 1e-9)
        assert not caplog.records
        monitor.report(-1.1)
        assert len(caplog.records) == 1
        assert caplog.records[0].levelname == "WARNING"
        assert "not converging" in caplog.records[0].getMessage()
