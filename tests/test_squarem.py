"""SQUAREM acceleration: the same optimum in a fraction of the E-steps, never a fall.

Plain EM is the oracle, run in the same test from the same start: the accelerated fit
must reach its final log-likelihood (1e-8 relative) in at most a third of its E-steps, on
the problems where plain EM is slow.
"""

import warnings

import numpy as np
import pytest

import emkit
from emkit.engine import ArraySource, run_em
from emkit.engine.squarem import Squarem
from emkit.exceptions import ConvergenceWarning
from emkit.families import GaussianDiag
from emkit.families.custom import density_family
from emkit.models.mixture import Mixture


def overlapping_gaussians(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.7]])
    return np.vstack([rng.normal(m, 0.8, size=(n, 2)) for m in means])


def latent_classes(seed=0, n=5000):
    rng = np.random.default_rng(seed)
    p = np.array([[0.8, 0.7, 0.6, 0.3, 0.2, 0.3],
                  [0.6, 0.5, 0.6, 0.5, 0.4, 0.5],
                  [0.3, 0.3, 0.4, 0.7, 0.6, 0.7]])
    z = rng.integers(0, 3, size=n)
    return (rng.random((n, 6)) < p[z]).astype(float)


def similar_states(seed=2, n=3000):
    truth = emkit.GaussianHMM(3, random_state=seed, init_params="")
    truth.startprob_ = np.full(3, 1 / 3)
    truth.transmat_ = np.full((3, 3), 0.05) + 0.85 * np.eye(3)
    truth.means_ = np.array([[0.0], [0.5], [1.0]])
    truth.covars_ = np.ones((3, 1))
    return truth.sample(n)[0]


def _fit_pair(make, X):
    plain = make(None).fit(X)
    fast = make("squarem").fit(X)
    return plain, fast


def _mixture_history(est):
    return np.asarray(est.lower_bounds_), est.lower_bound_


def _hmm_history(est):
    return np.asarray(est.monitor_.history), est.monitor_.history[-1]


CASES = {
    "three overlapping 2-D Gaussians": (
        overlapping_gaussians,
        lambda acc: emkit.GaussianMixture(3, tol=1e-10, max_iter=100000, random_state=0,
                                          acceleration=acc),
        _mixture_history),
    "Bernoulli latent classes": (
        latent_classes,
        lambda acc: emkit.BernoulliMixture(3, tol=1e-10, max_iter=100000, random_state=1,
                                           acceleration=acc),
        _mixture_history),
    "3-state Gaussian HMM with similar states": (
        similar_states,
        lambda acc: emkit.GaussianHMM(3, n_iter=100000, tol=1e-10, random_state=3,
                                      acceleration=acc),
        _hmm_history),
}


@pytest.mark.parametrize("case", list(CASES))
def test_squarem_reaches_plain_optimum_in_a_third_of_the_e_steps(case):
    data, make, history = CASES[case]
    X = data()
    plain, fast = _fit_pair(make, X)
    plain_history, plain_final = history(plain)
    fast_history, fast_final = history(fast)
    assert plain.converged_ and fast.converged_
    assert fast_final == pytest.approx(plain_final, rel=1e-8)
    assert 3 * fast.n_iter_ <= plain.n_iter_, (fast.n_iter_, plain.n_iter_)
    # The accepted log-likelihoods never fall (the HMM's covariance prior makes its
    # objective the posterior, so there only the accepted proposals are compared).
    assert len(fast_history) <= fast.n_iter_
    if case != "3-state Gaussian HMM with similar states":
        assert np.all(np.diff(fast_history) >= -1e-12 * np.abs(fast_history[1:]))


def test_rejected_proposals_count_as_iterations_but_not_as_history():
    X = overlapping_gaussians()
    fast = emkit.GaussianMixture(3, tol=1e-10, max_iter=100000, random_state=0,
                                 acceleration="squarem").fit(X)
    assert fast.n_iter_ > len(fast.lower_bounds_)
    assert len(fast.history_) == len(fast.lower_bounds_)


def test_iteration_cap_is_not_convergence():
    X = overlapping_gaussians()
    with pytest.warns(ConvergenceWarning):
        est = emkit.GaussianMixture(3, tol=1e-10, max_iter=20, random_state=0,
                                    acceleration="squarem").fit(X)
    assert est.n_iter_ == 20
    assert not est.converged_


def test_given_start_and_zero_cap_keeps_plain_path_exactly():
    # acceleration=None is the plain path bit for bit; squarem's first two E-steps are
    # plain EM's too.
    X = overlapping_gaussians()
    kw = dict(tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = emkit.GaussianMixture(3, max_iter=2, **kw).fit(X)
        fast = emkit.GaussianMixture(3, max_iter=2, acceleration="squarem", **kw).fit(X)
    np.testing.assert_array_equal(plain.lower_bounds_, fast.lower_bounds_)
    np.testing.assert_array_equal(plain.means_, fast.means_)


def test_user_written_family_accelerates_to_the_same_optimum():
    # A family given as code: its statistics are the weighted rows, which add by
    # concatenation, so the extrapolation is a signed combination of rows.
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.laplace(-1.0, 1.0, 400), rng.laplace(1.0, 1.0, 400)])[:, None]

    def laplace(X, loc, scale):
        return -np.abs(X[:, 0] - loc) / scale - np.log(2 * scale)

    Laplace = density_family(laplace, {"loc": (), "scale": ()},
                             bounds={"scale": (1e-3, None)})
    start = Laplace(loc=np.array([-0.2, 0.3]), scale=np.array([1.0, 1.0]))
    results = []
    for acc in (None, "squarem"):
        est = emkit.MixtureModel(start, tol=1e-9, max_iter=2000, acceleration=acc).fit(X)
        results.append(est)
        hist = np.asarray(est.lower_bounds_)
        assert np.all(np.diff(hist) >= -1e-9)
    plain, fast = results
    # The Laplace M-step is a numerical search on a piecewise-linear objective: plain EM
    # stalls a few 1e-6 (relative) short of the optimum, at a point that moves with the
    # last bits of the responsibilities (they differ between processors). SQUAREM must
    # end no lower than that, and near it.
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-9
    assert fast.lower_bound_ == pytest.approx(plain.lower_bound_, rel=1e-5)
    assert fast.n_iter_ < plain.n_iter_


def test_engine_squarem_on_a_mixture_model_directly():
    X = overlapping_gaussians()[:, :1].copy()
    start = Mixture(np.array([0.5, 0.5]), GaussianDiag(np.array([[-0.1], [0.1]]),
                                                       np.ones((2, 1))))
    plain = run_em(start, ArraySource(X), max_iter=100000, tol=1e-11)
    fast = run_em(start, ArraySource(X), max_iter=100000, tol=1e-11, acceleration="squarem")
    assert fast.converged and plain.converged
    assert fast.lower_bound == pytest.approx(plain.lower_bound, rel=1e-9)
    assert fast.n_iter * 3 <= plain.n_iter
    np.testing.assert_allclose(np.sort(fast.model.family.means[:, 0]),
                               np.sort(plain.model.family.means[:, 0]), atol=2e-3)


def test_an_extrapolated_step_never_counts_as_convergence(monkeypatch):
    # A proposal may land where the log-likelihood barely moves, far from the optimum
    # (on another processor's last bits, a Dask fit stopped 1e-6 short on a ridge). Here
    # every proposal is the last accepted model itself: its change is exactly 0, which
    # must not stop the run; the plain steps after it decide, as plain EM's do.
    def stall(self, model):
        if len(self._cycle) < 3:
            return None
        self._cycle = []
        return model

    monkeypatch.setattr(Squarem, "propose", stall)
    X = overlapping_gaussians()[:, :1].copy()
    start = Mixture(np.array([0.5, 0.5]), GaussianDiag(np.array([[-0.1], [0.1]]),
                                                       np.ones((2, 1))))
    plain = run_em(start, ArraySource(X), max_iter=100000, tol=1e-9)
    stalled = run_em(start, ArraySource(X), max_iter=100000, tol=1e-9,
                     acceleration="squarem")
    assert stalled.converged
    # Every fourth E-step re-evaluates a model: the plain path, a third longer.
    assert stalled.n_iter > plain.n_iter
    assert stalled.lower_bound == pytest.approx(plain.lower_bound, rel=1e-9)
    assert np.diff(stalled.history).min() >= 0.0


def test_step_bound_adapts():
    accel = Squarem()
    assert accel.step_max == 1.0
    accel._at_max = True
    accel._grow(True)
    assert accel.step_max == 4.0
    accel._at_max = True
    accel._grow(False)
    assert accel.step_max == 1.0
    assert not accel.accepts(None, -1.0)
    assert not accel.accepts(-2.0, -1.0)
    assert accel.accepts(-1.0, -1.0)


@pytest.mark.parametrize("value, message", [
    ("fast", "acceleration must be None or 'squarem'"),
])
def test_bad_acceleration_is_one_sentence(value, message):
    X = overlapping_gaussians()
    with pytest.raises(ValueError, match="acceleration"):
        emkit.GaussianHMM(2, acceleration=value).fit(X[:, :1])
    with pytest.raises(ValueError, match="acceleration"):
        emkit.GaussianMixture(2, acceleration=value).fit(X)


def test_squarem_and_online_together_is_refused():
    X = overlapping_gaussians()
    with pytest.raises(ValueError, match="choose one of them"):
        emkit.PoissonHMM(2, acceleration="squarem", learning_method="online").fit(
            np.abs(X[:, :1]).round())


def test_squarem_on_dask_blocks_reaches_the_in_memory_optimum():
    da = pytest.importorskip("dask.array")
    X = latent_classes(n=3000)
    # The optimum lies on a flat ridge: at tol=1e-10 a run stops up to 1e-6 (relative)
    # short of it, at a point that moves with the last bits of the sums (which differ
    # between Dask blocks and in-memory chunks); at 1e-12 both runs reach it.
    kw = dict(tol=1e-12, max_iter=100000, random_state=1, acceleration="squarem")
    in_memory = emkit.BernoulliMixture(3, **kw).fit(X)
    on_dask = emkit.BernoulliMixture(3, **kw).fit(da.from_array(X, chunks=(700, 6)))
    assert on_dask.converged_
    assert on_dask.lower_bound_ == pytest.approx(in_memory.lower_bound_, rel=1e-8)
    # The optimum is flat: a log-likelihood equal to 1e-8 allows means 1e-3 apart.
    np.testing.assert_allclose(np.sort(on_dask.means_, axis=0),
                               np.sort(in_memory.means_, axis=0), atol=2e-3)
