"""Every estimator on Dask arrays and data frames: the in-memory answer, blockwise.

The oracle is the in-memory estimator itself, fitted from the same start in the same test:
every fitted parameter and every entry of the history to 1e-10 relative, the same
``n_iter_``, ``converged_`` and warnings. Fits run on Dask's default threaded scheduler and
on a real ``distributed.LocalCluster`` of two worker processes started by a fixture.
"""

import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import emkit
from emkit.families import Bernoulli, Poisson
from emkit.families.custom import density_family
from emkit.families.gaussian import GaussianDiag

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from emkit.engine import dask_source as dask_engine  # noqa: E402
from emkit.estimators import _dask  # noqa: E402

RTOL = 1e-10
START = np.array([0.6, 0.4])
TRANS = np.array([[0.9, 0.1], [0.2, 0.8]])


def von_mises(X, mu, kappa):
    return stats.vonmises.logpdf(X[:, 0], kappa, loc=mu)


# A family written by a user, in this module: the cluster's workers receive it by value.
VonMises = density_family(von_mises, ["mu", "kappa"],
                          bounds={"mu": (-np.pi, np.pi), "kappa": (1e-6, None)},
                          sampler=lambda rng, n, mu, kappa: rng.vonmises(mu, kappa, n),
                          name="VonMises")
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as connected:
        yield connected


def _gaussian_data(n=600, D=3, seed=0):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.randn(n // 2, D), rng.randn(n - n // 2, D) * 0.7 + 1.5])


def _fitted_arrays(model):
    # Every fitted array or number of an estimator (attributes ending in one '_').
    values = {}
    for name, value in vars(model).items():
        if not name.endswith("_") or name.endswith("__") or name in ("monitor_",):
            continue
        if isinstance(value, (float, np.floating, np.ndarray)) and np.asarray(
                value).dtype.kind == "f":
            values[name] = np.asarray(value)
        elif isinstance(value, list) and value and isinstance(value[0], (float, np.ndarray)):
            values[name] = value
    return values


def _assert_same_fit(memory, dask_model, history):
    assert memory.n_iter_ == dask_model.n_iter_
    assert memory.converged_ == dask_model.converged_
    fitted = _fitted_arrays(memory)
    assert fitted, "no fitted arrays found"
    for name, value in fitted.items():
        other = getattr(dask_model, name)
        if isinstance(value, list):
            for a, b in zip(value, other):
                assert_allclose(b, a, rtol=RTOL, atol=1e-13, err_msg=name)
        else:
            assert_allclose(other, value, rtol=RTOL, atol=1e-13, err_msg=name)
    assert_allclose(history(dask_model), history(memory), rtol=RTOL)


def _fit_both(make, X, dask_X, **fit_params):
    with warnings.catch_warnings(record=True) as seen_memory:
        warnings.simplefilter("always")
        memory = make().fit(X, **fit_params)
    with warnings.catch_warnings(record=True) as seen_dask:
        warnings.simplefilter("always")
        on_dask = make().fit(dask_X, **fit_params)
    assert [type(w.message) for w in seen_dask] == [type(w.message) for w in seen_memory]
    return memory, on_dask


def _mixture_history(model):
    return model.lower_bounds_


def _hmm_history(model):
    return model.monitor_.history


BLOCKS = {"one block": lambda n: n, "uneven": lambda n: (37, n // 2 - 37, n - n // 2),
          "one row each": lambda n: 1}


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("blocks", ["one block", "uneven"])
def test_gaussian_mixture_equals_the_in_memory_fit(covariance_type, blocks):
    X = _gaussian_data()
    make = lambda: emkit.GaussianMixture(2, covariance_type=covariance_type, tol=1e-9,  # noqa
                                         max_iter=40, random_state=0)
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(BLOCKS[blocks](len(X)), 3)))
    _assert_same_fit(memory, on_dask, _mixture_history)


def test_blocks_of_one_row_and_sample_weights():
    X = _gaussian_data(n=60, D=2)
    weight = np.random.RandomState(3).uniform(0.2, 2.0, len(X))
    make = lambda: emkit.GaussianMixture(2, tol=1e-9, max_iter=15, random_state=1)  # noqa
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(1, 2)), sample_weight=weight)
    _assert_same_fit(memory, on_dask, _mixture_history)


def test_missing_values_and_empty_rows_as_in_memory():
    X = _gaussian_data(n=400)
    rng = np.random.RandomState(5)
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    X[7] = np.nan
    make = lambda: emkit.GaussianMixture(2, tol=1e-9, max_iter=30, random_state=0)  # noqa
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(90, 3)))
    _assert_same_fit(memory, on_dask, _mixture_history)
    assert_allclose(on_dask.impute(da.from_array(X, chunks=(90, 3))).compute(),
                    memory.impute(X), rtol=1e-12)


@pytest.mark.parametrize("estimator, data", [
    (lambda: emkit.BernoulliMixture(2, random_state=0, tol=1e-9),
     lambda rng: (rng.uniform(size=(300, 4)) < np.repeat([[0.2], [0.8]], 150, 0)).astype(float)),
    (lambda: emkit.PoissonMixture(2, random_state=0, tol=1e-9),
     lambda rng: rng.poisson(np.repeat([[1.0], [6.0]], 150, 0), size=(300, 2)).astype(float)),
    (lambda: emkit.CategoricalMixture(2, random_state=0, tol=1e-9),
     lambda rng: np.column_stack([rng.randint(0, 3, 300), rng.randint(0, 4, 300)]).astype(
         float)),
    (lambda: emkit.MixtureModel(Bernoulli([[0.3, 0.6], [0.7, 0.2]]), tol=1e-9, n_init=2,
                                random_state=0),
     lambda rng: (rng.uniform(size=(300, 2)) < 0.5).astype(float)),
])
def test_discrete_mixtures_equal_the_in_memory_fit(estimator, data):
    X = data(np.random.RandomState(0))
    memory, on_dask = _fit_both(estimator, X, da.from_array(X, chunks=(70, -1)))
    _assert_same_fit(memory, on_dask, _mixture_history)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_gaussian_hmm_equals_the_in_memory_fit(covariance_type):
    truth = emkit.GaussianHMM(2, "diag", init_params="")
    truth.startprob_, truth.transmat_ = START, TRANS
    truth.means_, truth.covars_ = np.array([[0.0, 0.0], [2.0, 1.0]]), np.ones((2, 2))
    X, _ = truth.sample(900, random_state=0)
    lengths = [300, 1, 250, 349]
    make = lambda: emkit.GaussianHMM(2, covariance_type, n_iter=12, tol=1e-9,  # noqa
                                     random_state=2)
    # Blocks of 200 rows cut through sequences: the source re-cuts them at boundaries.
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(200, 2)), lengths=lengths)
    _assert_same_fit(memory, on_dask, _hmm_history)
    Xd = da.from_array(X, chunks=(200, 2))
    assert isinstance(on_dask.predict(Xd, lengths), da.Array)
    assert np.array_equal(on_dask.predict(Xd, lengths).compute(), memory.predict(X, lengths))
    assert_allclose(on_dask.predict_proba(Xd, lengths).compute(),
                    memory.predict_proba(X, lengths), rtol=1e-9, atol=1e-12)
    assert_allclose(on_dask.score(Xd, lengths), memory.score(X, lengths), rtol=1e-12)
    log_prob, states = on_dask.decode(Xd, lengths)
    assert_allclose(log_prob, memory.decode(X, lengths)[0], rtol=1e-12)
    assert np.array_equal(states.compute(), memory.decode(X, lengths)[1])


@pytest.mark.parametrize("make, data", [
    (lambda: emkit.CategoricalHMM(2, n_iter=10, tol=1e-9, random_state=0),
     lambda rng: rng.randint(0, 4, size=(500, 1))),
    (lambda: emkit.PoissonHMM(2, n_iter=10, tol=1e-9, random_state=0),
     lambda rng: rng.poisson(3.0, size=(500, 2))),
    (lambda: emkit.HiddenMarkovModel(Poisson([[2.0, 2.0], [4.0, 1.0]]), START, TRANS,
                                     n_iter=10, tol=0),
     lambda rng: rng.poisson(3.0, size=(500, 2)).astype(float)),
])
def test_discrete_hmms_equal_the_in_memory_fit(make, data):
    X = data(np.random.RandomState(1))
    lengths = [120, 80, 300]
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(1, -1)), lengths=lengths)
    _assert_same_fit(memory, on_dask, _hmm_history)


def test_gaussian_hmm_with_missing_values_and_no_lengths():
    rng = np.random.RandomState(4)
    X = np.vstack([rng.randn(150, 2), rng.randn(150, 2) + 3])
    X[rng.uniform(size=X.shape) < 0.05] = np.nan
    make = lambda: emkit.GaussianHMM(2, "full", n_iter=8, tol=0, random_state=0)  # noqa
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(40, 2)))
    _assert_same_fit(memory, on_dask, _hmm_history)


def test_data_frames_keep_column_names_and_name_a_bad_column():
    pandas = pytest.importorskip("pandas")
    X = _gaussian_data()
    frame = pandas.DataFrame(X, columns=["a", "b", "c"])
    make = lambda: emkit.GaussianMixture(2, tol=1e-9, random_state=0)  # noqa
    memory, on_dask = _fit_both(make, frame, dd.from_pandas(frame, npartitions=3))
    _assert_same_fit(memory, on_dask, _mixture_history)
    assert list(on_dask.feature_names_in_) == ["a", "b", "c"]
    labels = on_dask.predict(dd.from_pandas(frame, npartitions=3))
    assert np.array_equal(labels.compute(), memory.predict(frame))
    frame["d"] = "text"
    with pytest.raises(ValueError, match="Column 'd' of the data frame holds") as info:
        emkit.GaussianMixture(2).fit(dd.from_pandas(frame, npartitions=2))
    assert "\n" not in str(info.value)


def test_predictions_are_dask_arrays_equal_to_the_in_memory_ones():
    X = _gaussian_data()
    model = emkit.GaussianMixture(2, random_state=0).fit(X)
    Xd = da.from_array(X, chunks=(128, 3))
    for method in ("predict", "predict_proba", "score_samples"):
        result = getattr(model, method)(Xd)
        assert isinstance(result, da.Array), method
        assert_allclose(result.compute(), getattr(model, method)(X), rtol=1e-12)
    assert isinstance(model.score(Xd), float)
    assert_allclose(model.score(Xd), model.score(X), rtol=1e-12)
    assert np.array_equal(model.fit_predict(Xd).compute(), model.fit_predict(X))


def test_float32_blocks_fit_and_predict_in_float32_as_in_memory():
    # GaussianMixture keeps float32 data's dtype (scikit-learn's): the Dask fit's
    # attributes, and the dtype each prediction declares and computes, are the in-memory
    # ones.
    X = _gaussian_data().astype(np.float32)
    Xd = da.from_array(X, chunks=(128, 3))
    ours = emkit.GaussianMixture(2, random_state=0).fit(Xd)
    memory = emkit.GaussianMixture(2, random_state=0).fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert getattr(ours, name).dtype == getattr(memory, name).dtype == np.float32, name
        assert_allclose(getattr(ours, name), getattr(memory, name), rtol=1e-5, atol=1e-6)
    for method in ("predict_proba", "score_samples"):
        result = getattr(ours, method)(Xd)
        computed = result.compute()
        assert result.dtype == computed.dtype == np.float32, method
        assert_allclose(computed, getattr(ours, method)(X), rtol=1e-6)
    assert ours.predict_proba(Xd.astype(np.float64)).dtype == np.float64


def test_unknown_block_sizes_are_computed_and_bad_input_is_one_sentence():
    X = _gaussian_data()
    Xd = da.from_array(X, chunks=(100, 3))
    filtered = Xd[Xd[:, 0] > -10]  # block sizes unknown until computed
    assert np.isnan(filtered.chunks[0][0])
    make = lambda: emkit.GaussianMixture(2, tol=1e-9, random_state=0)  # noqa
    memory, on_dask = _fit_both(make, X, filtered)
    _assert_same_fit(memory, on_dask, _mixture_history)
    messages = []
    for fit in (lambda: emkit.GaussianHMM(2).fit(Xd, lengths=[100, 100]),
                lambda: emkit.GaussianMixture(2).fit(da.from_array(X[:, 0], chunks=50)),
                lambda: emkit.GaussianMixture(2).fit(
                    da.from_array(np.where(X > 2, np.inf, X), chunks=(100, 3)))):
        with pytest.raises(ValueError) as info:
            fit()
        messages.append(str(info.value))
    assert "lengths sums to 200 but X has 600 rows" in messages[0]
    assert "Expected a 2D Dask array" in messages[1]
    assert "infinity" in messages[2].lower()
    assert all("\n" not in m for m in messages)


def test_no_step_gathers_the_data(monkeypatch):
    # Only bounded pieces reach this process: the first rows (to size chunks), the start
    # sample, and statistics. np.asarray of the Dask array itself is refused.
    monkeypatch.setattr(_dask, "START_SAMPLE_ROWS", 300)
    monkeypatch.setattr(_dask, "HEAD_ROWS", 50)
    X = _gaussian_data(n=4000)
    gathered = []
    original = dask_engine.compute

    def spy(*collections, **kwargs):
        result = original(*collections, **kwargs)
        for value in result if isinstance(result, tuple) else (result,):
            if isinstance(value, np.ndarray):
                gathered.append(value.shape[0] if value.ndim else 1)
        return result

    def refuse(self, *args, **kwargs):
        raise AssertionError("the whole Dask array was converted to NumPy")

    monkeypatch.setattr(dask_engine, "compute", spy)
    monkeypatch.setattr(da.Array, "__array__", refuse)
    for model in (emkit.GaussianMixture(2, random_state=0), emkit.BernoulliMixture(2),
                  emkit.GaussianHMM(2, random_state=0)):
        Y = X if not isinstance(model, emkit.BernoulliMixture) else (X > 0).astype(float)
        model.fit(da.from_array(Y, chunks=(500, 3)))
    assert gathered and max(gathered) <= 300 + 2 * 3


def test_given_starts_draw_no_sample(monkeypatch):
    calls = []
    original = _dask._start_source
    monkeypatch.setattr(_dask, "_start_source", lambda *a: calls.append(1) or original(*a))
    X = _gaussian_data()
    model = emkit.GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[0, 0, 0], [1, 1, 1]],
                                  precisions_init=np.stack([np.eye(3)] * 2), max_iter=50)
    model.fit(da.from_array(X, chunks=(200, 3)))
    assert calls == []
    emkit.GaussianMixture(2, max_iter=50).fit(da.from_array(X, chunks=(200, 3)))
    assert calls == [1]


def test_large_data_starts_from_a_bounded_sample_holding_every_category(monkeypatch):
    monkeypatch.setattr(_dask, "START_SAMPLE_ROWS", 100)
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(0, 3, 3000), rng.randint(0, 2, 3000)]).astype(float)
    X[2500, 0] = 7  # one rare category, far from the sample's rows
    model = emkit.CategoricalMixture(2, random_state=0, max_iter=5)
    model.fit(da.from_array(X, chunks=(400, 2)))
    assert model.components_.n_categories == (8, 2)


def test_sequences_are_never_split_across_blocks():
    X = da.zeros((1000, 1), chunks=(100, 1))
    lengths = np.array([30, 250, 5, 5, 600, 110])
    blocks, block_lengths = _dask.sequence_blocks(X, lengths)
    assert np.array_equal(np.concatenate(block_lengths), lengths)
    assert tuple(int(b.sum()) for b in block_lengths) == blocks.chunks[0]
    assert [list(b) for b in block_lengths] == [[30], [250], [5, 5], [600], [110]]


def test_the_tree_reduction_adds_at_most_split_every_values_per_task():
    parts = [_delayed(i) for i in range(50)]
    total = dask_engine.tree_sum(parts, split_every=4)
    graph = dict(total.__dask_graph__())
    sums = [key for key in graph if str(key).startswith("_sum")]
    assert dask_engine.compute(total) == sum(range(50))
    assert len(sums) == 13 + 4 + 1  # 50 values -> 13 tasks -> 4 -> 1
    dependencies = total.__dask_graph__().dependencies
    assert max(len(dependencies[key]) for key in sums) <= 4


def _delayed(value):
    import dask

    return dask.delayed(value)


def test_without_dask_the_error_names_the_extra(monkeypatch):
    Xd = da.from_array(_gaussian_data(), chunks=(200, 3))
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"pip install 'emkit\[dask\]'"):
        emkit.GaussianMixture(2).fit(Xd)


def test_an_in_memory_fit_never_imports_dask():
    code = ("import sys, numpy as np, emkit; X = np.random.RandomState(0).randn(200, 2);"
            "emkit.GaussianMixture(2).fit(X); emkit.GaussianHMM(2).fit(X);"
            "print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# -- on a real cluster of two worker processes ---------------------------------------------
def test_cluster_fits_equal_the_in_memory_fits(client):
    X = _gaussian_data(n=2000)
    make = lambda: emkit.GaussianMixture(3, tol=1e-9, max_iter=20, random_state=0)  # noqa
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(300, 3)))
    _assert_same_fit(memory, on_dask, _mixture_history)
    make = lambda: emkit.GaussianHMM(2, "full", n_iter=8, tol=0, random_state=0)  # noqa
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(300, 3)),
                                lengths=[700, 600, 700])
    _assert_same_fit(memory, on_dask, _hmm_history)


def test_cluster_runs_a_family_written_by_the_user(client):
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.vonmises(-2.0, 8.0, 300), rng.vonmises(1.0, 3.0, 200)])[:, None]
    # Its M-step is a numerical optimization, which turns rounding differences in the
    # statistics into differences near its own tolerance; in-memory chunks of the
    # blocks' size add the statistics in the same order, so the fits agree to 1e-10.
    make = lambda: emkit.MixtureModel(VonMises(mu=[-1.0, 0.5], kappa=[1.0, 1.0]),  # noqa
                                      tol=1e-8, max_iter=15)
    with emkit.config_context(chunk_size=120):
        memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(120, 1)))
    _assert_same_fit(memory, on_dask, _mixture_history)
    make = lambda: emkit.HiddenMarkovModel(VonMises(mu=[-1.0, 0.5], kappa=[1.0, 1.0]),  # noqa
                                           START, TRANS, n_iter=5, tol=0)
    memory, on_dask = _fit_both(make, X, da.from_array(X, chunks=(250, 1)), lengths=[250, 250])
    _assert_same_fit(memory, on_dask, _hmm_history)


def test_a_killed_worker_does_not_change_the_answer(client):
    X = np.vstack([_gaussian_data(n=6000, seed=1), _gaussian_data(n=6000, seed=2) + 0.5])
    make = lambda: emkit.GaussianMixture(2, tol=0, max_iter=6, random_state=0)  # noqa
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emkit.exceptions.ConvergenceWarning)
        memory = make().fit(X)
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one(step):
            if step.iteration == 2:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        on_dask = make().fit(da.from_array(X, chunks=(1000, 3)), callback=kill_one)
    assert killed
    _assert_same_fit(memory, on_dask, _mixture_history)
    client.wait_for_workers(2, timeout=60)


def test_a_lost_scheduler_is_one_sentence_and_leaves_the_estimator_unfitted():
    X = _gaussian_data(n=2000)
    local = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                     dashboard_address=None)
    with distributed.Client(local):
        address = local.scheduler_address
        model = emkit.GaussianMixture(2, tol=0, max_iter=10, random_state=0)

        def close(step):
            if step.iteration == 2:
                local.close()

        with pytest.raises(RuntimeError) as info:
            model.fit(da.from_array(X, chunks=(500, 3)), callback=close)
    message = str(info.value)
    assert address in message and "is gone" in message and "\n" not in message
    assert not hasattr(model, "means_") and not hasattr(model, "n_features_in_")


def test_a_list_of_dask_and_delayed_sequences_equals_the_stacked_fit():
    import dask

    rng = np.random.RandomState(6)
    sequences = [rng.randn(n, 2) + (0 if i % 2 else 2) for i, n in enumerate((120, 1, 80, 200))]
    X, lengths = np.concatenate(sequences), [len(s) for s in sequences]
    parts = [da.from_array(sequences[0], chunks=(50, 2)), dask.delayed(sequences[1]),
             dask.delayed(np.asarray)(sequences[2]), da.from_array(sequences[3], chunks=(70, 2))]
    make = lambda: emkit.GaussianHMM(2, "diag", n_iter=8, tol=0, random_state=0)  # noqa
    memory = make().fit(X, lengths)
    on_dask = make().fit(parts)
    _assert_same_fit(memory, on_dask, _hmm_history)
    assert_allclose(on_dask.score(parts), memory.score(X, lengths), rtol=1e-12)
    assert np.array_equal(on_dask.predict(parts).compute(), memory.predict(X, lengths))
    with pytest.raises(ValueError, match="gives its own lengths"):
        make().fit(parts, lengths)


def test_plsa_on_dask_blocks_equals_the_in_memory_fit(client):
    # Each block's documents are counted in their task; their topic proportions travel
    # with the model and come back in row order.
    from emkit.datasets import make_lda_corpus
    counts, _, _ = make_lda_corpus(300, 50, 3, random_state=0)
    kw = dict(random_state=0, max_iter=30, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory = emkit.PLSA(3, **kw).fit(counts)
        blocks = emkit.PLSA(3, **kw).fit(da.from_array(counts.toarray(), chunks=(70, 50)))
    assert_allclose(blocks.lower_bounds_, memory.lower_bounds_, rtol=1e-10)
    assert_allclose(blocks.components_, memory.components_, rtol=1e-10, atol=1e-15)
    assert_allclose(blocks.doc_topic_, memory.doc_topic_, rtol=1e-10, atol=1e-15)
    assert blocks.n_features_in_ == 50


def test_criteria_of_dask_arrays_and_frames_equal_the_in_memory_ones(client):
    # bic, aic and icl count the rows of a data frame (a lazy number) and of blocks of
    # unknown sizes, and take icl's entropy block by block, on the cluster.
    pandas = pytest.importorskip("pandas")
    X = _gaussian_data()
    model = emkit.GaussianMixture(2, random_state=0).fit(X)
    frame = dd.from_pandas(pandas.DataFrame(X, columns=["a", "b", "c"]), npartitions=3)
    model.feature_names_in_ = np.array(["a", "b", "c"], dtype=object)
    unknown = da.from_array(X, chunks=(128, 3))
    unknown = unknown[unknown[:, 0] > -np.inf]  # the same rows, block sizes unknown
    assert np.isnan(unknown.shape[0])
    for name in ("bic", "aic", "icl"):
        expected = getattr(model, name)(pandas.DataFrame(X, columns=["a", "b", "c"]))
        for data in (frame, da.from_array(X, chunks=(128, 3)), unknown):
            got = getattr(model, name)(data)
            assert isinstance(got, float), name
            assert_allclose(got, expected, rtol=1e-12, err_msg=name)
