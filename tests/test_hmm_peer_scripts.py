"""hmmlearn's examples run as client code: seeded samples, their dtypes, the monitor's repr.

The oracle is hmmlearn itself, run in the same test with the same parameters and seed.
"""

import numpy as np
import pytest
from hmmlearn import hmm as peer

from emkit import hmm

START = np.array([0.6, 0.3, 0.1])
TRANS = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.2, 0.3, 0.5]])


def _pair(name, **kwargs):
    ours, theirs = getattr(hmm, name)(3, init_params="", **kwargs), getattr(peer, name)(
        3, init_params="", **kwargs)
    for model in (ours, theirs):
        model.startprob_, model.transmat_ = START, TRANS
        if name == "GaussianHMM":
            model.means_ = np.array([[0.0, 1.0], [3.0, 4.0], [-2.0, 0.5]])
            model.covars_ = {"full": np.array([np.eye(2), [[2.0, 0.5], [0.5, 1.0]],
                                               0.5 * np.eye(2)]),
                             "diag": np.array([[1.0, 2.0], [0.5, 0.5], [3.0, 1.0]]),
                             "spherical": np.array([1.0, 0.5, 2.0]),
                             "tied": np.array([[2.0, 0.5], [0.5, 1.0]])}[
                kwargs["covariance_type"]]
        elif name == "CategoricalHMM":
            model.emissionprob_ = np.array([[0.2, 0.8, 0.0], [0.6, 0.3, 0.1],
                                            [0.1, 0.1, 0.8]])
        else:
            model.lambdas_ = np.array([[1.0, 2.0], [5.0, 6.0], [0.5, 9.0]])
    return ours, theirs


@pytest.mark.parametrize("name, kwargs", [
    ("GaussianHMM", {"covariance_type": "full"}), ("GaussianHMM", {"covariance_type": "diag"}),
    ("GaussianHMM", {"covariance_type": "spherical"}),
    ("GaussianHMM", {"covariance_type": "tied"}),
    ("CategoricalHMM", {}), ("PoissonHMM", {})])
def test_a_seeded_sample_draws_what_hmmlearn_draws(name, kwargs):
    ours, theirs = _pair(name, **kwargs)
    for seed, currstate in ((0, None), (7, 2)):
        X, states = ours.sample(50, random_state=seed, currstate=currstate)
        X_peer, states_peer = theirs.sample(50, random_state=seed, currstate=currstate)
        assert np.array_equal(states, states_peer)
        np.testing.assert_allclose(X, X_peer, rtol=1e-12)
        assert X.dtype == X_peer.dtype and X.shape == X_peer.shape


def test_the_monitor_prints_as_hmmlearn_does():
    X = np.random.RandomState(0).randn(60, 1)
    ours = hmm.GaussianHMM(2, n_iter=3, random_state=0, init_params="")
    theirs = peer.GaussianHMM(2, n_iter=3, random_state=0, init_params="")
    for model in (ours, theirs):
        model.startprob_, model.transmat_ = np.array([0.5, 0.5]), np.array([[0.9, 0.1],
                                                                              [0.1, 0.9]])
        model.means_, model.covars_ = np.array([[-1.0], [1.0]]), np.array([[1.0], [1.0]])
        with pytest.warns(Warning) if model is ours else _nothing():
            model.fit(X)
    ours_lines, theirs_lines = repr(ours.monitor_).splitlines(), repr(theirs.monitor_).splitlines()
    assert len(ours_lines) == len(theirs_lines) == 7
    assert [line.split("=")[0] for line in ours_lines] == [
        line.split("=")[0] for line in theirs_lines]
    assert ours_lines[2:] == theirs_lines[2:]   # iter, n_iter, tol, verbose and the close


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
