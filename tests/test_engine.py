"""The engine's loop, monitor and restarts, on a mixture and on a tiny model of its own."""

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import emkit
from emkit.engine import ArraySource, ConvergenceMonitor, Model, Source, fit_em, run_em
from emkit.exceptions import LikelihoodDecreaseWarning
from emkit.stats import AdditiveStats


@dataclass(frozen=True)
class _MeanStats(AdditiveStats):
    log_likelihood: float
    total: float
    count: float


@dataclass(frozen=True)
class _UnitGaussian(Model):
    """A model with nothing latent: EM for it is one step to the sample mean."""

    mean: float

    def bytes_per_row(self, X):
        return 8

    def chunk_stats(self, X, w=None):
        x = X[:, 0]
        ll = float(np.sum(-0.5 * (x - self.mean) ** 2 - 0.5 * np.log(2 * np.pi)))
        return _MeanStats(ll, float(x.sum()), float(len(x)))

    def m_step(self, stats):
        return _UnitGaussian(stats.total / stats.count)


def test_engine_knows_nothing_of_the_model():
    X = np.arange(10.0)[:, None]
    result = run_em(_UnitGaussian(0.0), ArraySource(X, chunk_size=3), max_iter=10, tol=1e-9)
    assert result.model.mean == pytest.approx(4.5)
    assert result.converged and result.n_iter == 3  # start, the mean, the same mean again
    # The lower bound of iteration 1 belongs to the start (mean 0), as in scikit-learn.
    assert result.history[0] == pytest.approx(np.mean(-0.5 * X[:, 0] ** 2 - 0.5 * np.log(2 * np.pi)))


def test_cap_is_not_convergence():
    X = np.arange(10.0)[:, None]
    result = run_em(_UnitGaussian(0.0), ArraySource(X), max_iter=1, tol=1e-9)
    assert result.n_iter == 1 and not result.converged


def test_callback_sees_each_iteration_and_can_stop():
    seen = []
    X = np.arange(10.0)[:, None]
    result = run_em(_UnitGaussian(0.0), ArraySource(X), max_iter=50, tol=0.0,
                    callback=lambda step: seen.append(step.iteration) or step.iteration == 3)
    assert seen == [1, 2, 3] and result.n_iter == 3 and not result.converged


def test_record_params_keeps_every_model():
    X = np.arange(10.0)[:, None]
    result = run_em(_UnitGaussian(0.0), ArraySource(X), max_iter=3, tol=0.0, record_params=True)
    assert [m.mean for m in result.params] == [4.5, 4.5, 4.5]


def test_monitor_warns_on_a_drop_and_does_not_call_it_convergence():
    monitor = ConvergenceMonitor(tol=1.0)
    monitor.report(-1.0)
    with pytest.warns(LikelihoodDecreaseWarning, match="fell at iteration 2 by 0.5"):
        monitor.report(-1.5)
    assert not monitor.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monitor.report(-1.5 - 1e-14)  # rounding is not a drop
    assert monitor.converged


def test_restarts_keep_the_best_and_ties_keep_the_first():
    X = np.arange(10.0)[:, None]
    starts = iter([_UnitGaussian(100.0), _UnitGaussian(0.0), _UnitGaussian(50.0)])
    best = fit_em(lambda: next(starts), ArraySource(X), n_init=3, max_iter=1, tol=0.0)
    assert best.lower_bound == pytest.approx(
        np.mean(-0.5 * X[:, 0] ** 2 - 0.5 * np.log(2 * np.pi)))


def test_non_finite_likelihood_is_one_clear_error():
    X = np.array([[np.inf], [1.0]])
    with pytest.raises(FloatingPointError, match="not finite at iteration 1"):
        run_em(_UnitGaussian(0.0), ArraySource(X), max_iter=2)


def test_changes_below_the_arithmetic_resolution_are_convergence_and_rounding():
    monitor = ConvergenceMonitor(tol=1e-9)
    monitor.report(-3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monitor.report(-3.0 - 1e-5, resolution=4e-5)  # a fall within resolution
    assert monitor.converged
    every = ConvergenceMonitor(tol=0.0)
    every.report(-3.0)
    every.report(-3.0, resolution=4e-5)
    assert not every.converged  # tol=0 runs every iteration, as in scikit-learn
    strict = ConvergenceMonitor(tol=1e-9)
    strict.report(-3.0)
    with pytest.warns(LikelihoodDecreaseWarning):
        strict.report(-3.0 - 1e-5)
    assert not strict.converged


def test_chunk_floor_wins_over_the_budget_only_so_far():
    from emkit.engine.sources import CHUNK_BYTES, FLOOR_OVER_BUDGET, auto_chunk_rows

    per_row = CHUNK_BYTES // 1000  # the budget holds 1000 rows
    assert auto_chunk_rows(per_row) == 1000
    assert auto_chunk_rows(per_row, min_rows=5000) == 5000
    assert auto_chunk_rows(per_row, min_rows=10**6) == FLOOR_OVER_BUDGET * 1000
    # The budget's rows stop at 65536; a floor goes past that, still only so far.
    per_row = CHUNK_BYTES // 2**20  # the budget holds 2**20 rows
    assert auto_chunk_rows(per_row) == 65536
    assert auto_chunk_rows(per_row, min_rows=100_000) == 100_000
    assert auto_chunk_rows(per_row, min_rows=10**9) == FLOOR_OVER_BUDGET * 2**20


def test_the_engine_names_a_broken_contract():
    class NotAModel:
        pass

    with pytest.raises(TypeError, match="^The EM engine runs an emkit.engine.Model; got "
                                        "NotAModel"):
        run_em(NotAModel(), ArraySource(np.zeros((3, 1))))
    with pytest.raises(TypeError, match="^The EM engine reads an emkit.engine.Source; got list"):
        run_em(_UnitGaussian(0.0), [np.zeros((3, 1))])
    # A model that names only the three required methods gets the optional defaults.
    model = _UnitGaussian(0.0)
    assert model.min_chunk_rows(np.zeros((3, 1))) == 0 and model.resolution(float) == 0.0
    assert model.monotone
    with pytest.raises(TypeError, match="abstract"):
        Source()


def test_automatic_chunks_give_every_thread_a_few_and_small_data_one():
    from emkit.engine.sources import CHUNK_BYTES, CHUNKS_PER_THREAD, TAIL_PIECES

    per_row = CHUNK_BYTES // 32_768  # the budget holds 32,768 rows
    # 100,000 rows on 2 threads: chunks of 12,500 rows, not the budget's 32,768; the last
    # chunk of each thread's share cut in four, so that both threads finish together.
    source = ArraySource(np.zeros((100_000, 1)), n_threads=2)
    bounds = source.chunks(per_row)
    assert bounds[:CHUNKS_PER_THREAD * 2 - 2] == [(i * 12_500, (i + 1) * 12_500)
                                                 for i in range(CHUNKS_PER_THREAD * 2 - 2)]
    assert bounds[CHUNKS_PER_THREAD * 2 - 2:] == [(75_000 + i * 3_125, 75_000 + (i + 1) * 3_125)
                                                 for i in range(2 * TAIL_PIECES)]
    # One thread, or a configured chunk size: chunks of one size.
    assert ArraySource(np.zeros((100_000, 1)), n_threads=1).chunks(per_row) == [
        (i * 25_000, (i + 1) * 25_000) for i in range(4)]
    assert ArraySource(np.zeros((100_000, 1)), n_threads=2, chunk_size=30_000).chunks() == [
        (0, 30_000), (30_000, 60_000), (60_000, 90_000), (90_000, 100_000)]
    # Never below a quarter of the budget's rows: 1,000,000 rows on 64 threads.
    many = ArraySource(np.zeros((1_000_000, 1)), n_threads=64).chunks(per_row)
    assert many[0] == (0, 8_192)
    # A small data set is one chunk, whatever the threads.
    assert ArraySource(np.zeros((5_000, 1)), n_threads=2).chunks(per_row) == [(0, 5_000)]


def test_a_fit_runs_with_one_blas_thread_and_restores_the_limit():
    # The chunk threads are the parallelism: from the start to the last M-step, BLAS has
    # one thread (its own threads would compete, and spin when idle); after, as before.
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info()
                if lib["user_api"] == "blas"}

    X = np.random.default_rng(0).normal(size=(3000, 3))
    seen = []
    with threadpool_limits(2, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # three iterations, tol=0
        before = blas_threads()
        emkit.GaussianMixture(2, max_iter=3, tol=0, init_params="k-means++").fit(
            X, callback=lambda step: seen.append(blas_threads()))
        after = blas_threads()
    assert before and all(n == 2 for n in before.values())
    assert len(seen) == 3 and all(set(s.values()) == {1} for s in seen)
    assert after == before


def test_overlapping_blas_limits_keep_one_thread_until_the_last_one_ends():
    # The limit is process-wide, as BLAS's thread count is: blocks that overlap (fits run
    # at once) keep one thread until the last ends, which restores what the first found.
    from threadpoolctl import threadpool_info, threadpool_limits

    from emkit.engine.sources import one_blas_thread

    def blas_threads():
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    with threadpool_limits(2, user_api="blas"):
        first, second = one_blas_thread(), one_blas_thread()
        first.__enter__()
        second.__enter__()
        assert blas_threads() == {1}
        first.__exit__(None, None, None)  # the first ends while the second runs
        assert blas_threads() == {1}
        second.__exit__(None, None, None)
        assert blas_threads() == {2}
