"""Fits on memory-mapped arrays (``np.load(path, mmap_mode="r")``): bounded memory, same answer.

The peak of Python allocations (tracemalloc; NumPy reports its buffers to it) of a whole
``fit`` must not grow with the number of rows: no check, conversion or initialization may
copy the file. The oracle of the answer is the same fit on the array in memory.
"""

import threading
import time
import tracemalloc

import numpy as np
import pytest
from sklearn.utils.validation import check_array

import emkit
from emkit.engine import chunk_threads, sources
from emkit.engine.sources import ArraySource, is_memory_mapped

RTOL = 1e-10
D = 4
CENTRES = np.array([[0.0, 0.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0], [0.0, 5.0, 0.0, 0.0]])
GIVEN = dict(weights_init=np.full(3, 1 / 3), means_init=CENTRES,
             precisions_init=np.stack([np.eye(D)] * 3))


def write_npy(path, n, dtype, seed=0, rows=50_000):
    """Write three Gaussian blobs as an (n, D) .npy file, a block of rows at a time."""
    rng = np.random.default_rng(seed)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, D))
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        X[start:stop] = CENTRES[rng.integers(0, 3, stop - start)] + rng.normal(
            size=(stop - start, D))
    X.flush()
    del X
    return path


def peak_bytes(fit):
    """The peak of traced allocations while ``fit()`` runs."""
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("ooc")
    return {(n, dtype): write_npy(root / f"x{n}_{np.dtype(dtype).name}.npy", n, dtype)
            for n in (200_000, 800_000) for dtype in (np.float32, np.float64)}


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("given", [False, True], ids=["default-init", "given-init"])
def test_peak_memory_of_a_fit_does_not_grow_with_the_rows(files, dtype, given):
    # One thread and a fixed chunk size, so the peak is the same from run to run; the
    # growth allowed between 200k and 800k rows is a quarter of one byte per added entry,
    # less than any whole-array temporary (a boolean mask takes one byte per entry).
    def fit(n):
        X = np.load(files[n, dtype], mmap_mode="r")
        model = emkit.GaussianMixture(3, max_iter=2, tol=0, random_state=0,
                                      **(GIVEN if given else {}))
        with emkit.config_context(chunk_size=8192, n_threads=1):
            return peak_bytes(lambda: model.fit(X))

    fit(200_000)  # imports and caches of the first fit are not the data's
    small, large = fit(200_000), fit(800_000)
    assert large - small < 0.25 * (800_000 - 200_000) * D, (small, large)
    if given:  # no start sample either (k-means on it takes a bounded few MB)
        assert large < 800_000 * D * np.dtype(dtype).itemsize / 4


def test_threads_hold_a_bounded_number_of_chunk_results():
    # pool.map would submit every chunk at once; chunks summed slowly would then pile
    # up. At most IN_FLIGHT_PER_THREAD chunks per thread are submitted and not summed.
    lock, live, most = threading.Lock(), [0], [0]

    class Result:
        def __init__(self):
            with lock:
                live[0] += 1
                most[0] = max(most[0], live[0])

        def __del__(self):
            with lock:
                live[0] -= 1

        def __add__(self, other):
            time.sleep(0.0005)
            return Result()

    source = ArraySource(np.zeros((400 * 64, 1)), chunk_size=64, n_threads=2)
    source.map_reduce(lambda X, weight: Result())
    assert most[0] <= chunk_threads.IN_FLIGHT_PER_THREAD * 2 + 3


def test_memory_mapped_arrays_are_recognized(tmp_path):
    path = write_npy(tmp_path / "x.npy", 100, np.float32)
    X = np.load(path, mmap_mode="r")
    checked = check_array(X, dtype=[np.float64, np.float32])
    assert type(checked) is np.ndarray and checked.base is not None  # a view, no copy
    assert is_memory_mapped(X) and is_memory_mapped(checked) and is_memory_mapped(X[::2])
    assert not is_memory_mapped(np.array(X)) and not is_memory_mapped(np.zeros((3, 2)))


def test_large_memory_mapped_data_start_from_a_bounded_deterministic_sample(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(sources, "START_SAMPLE_ROWS", 500)
    X = np.load(write_npy(tmp_path / "x.npy", 20_000, np.float64), mmap_mode="r")
    weights = np.linspace(0.5, 2.0, len(X))
    start = ArraySource(X, weights).start_source()
    again = ArraySource(X, weights).start_source()
    assert isinstance(start.X, np.ndarray) and not is_memory_mapped(start.X)
    assert len(start.X) <= 500 and start.X.shape[1] == D
    assert np.array_equal(start.X, again.X) and np.array_equal(start.sample_weight,
                                                              again.sample_weight)
    rows = np.flatnonzero(np.isin(weights, start.sample_weight))
    assert np.all(np.diff(rows) > 0)  # in row order, no repeats
    np.testing.assert_array_equal(start.X, X[rows])
    for column in range(D):  # every column's extremes are in the sample
        assert start.X[:, column].max() == X[:, column].max()
        assert start.X[:, column].min() == X[:, column].min()
    in_memory = ArraySource(np.array(X))
    assert in_memory.start_source() is in_memory
    small = ArraySource(X[:500])
    assert small.start_source() is small


def assert_same_fit(left, right):
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(getattr(left, name), getattr(right, name), rtol=RTOL,
                                   atol=0, err_msg=name)
    np.testing.assert_allclose(left.lower_bounds_, right.lower_bounds_, rtol=RTOL, atol=0)
    assert (left.n_iter_, left.converged_) == (right.n_iter_, right.converged_)


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_memory_mapped_fit_from_given_starts_is_the_in_memory_fit(files, dtype):
    X = np.load(files[200_000, dtype], mmap_mode="r")
    fits = [emkit.GaussianMixture(3, max_iter=4, tol=0, **GIVEN).fit(data)
            for data in (X, np.array(X))]
    assert_same_fit(*fits)


@pytest.mark.parametrize("init_params", ["kmeans", "random", "k-means++"])
def test_a_memory_mapped_fit_with_few_rows_starts_as_in_memory(tmp_path, init_params):
    X = np.load(write_npy(tmp_path / "x.npy", 5000, np.float64), mmap_mode="r")
    fits = [emkit.GaussianMixture(3, init_params=init_params, max_iter=20, random_state=0)
            .fit(data) for data in (X, np.array(X))]
    assert_same_fit(*fits)


def test_a_rare_category_of_a_large_memory_mapped_file_is_kept(tmp_path, monkeypatch):
    # The sample holds every column's extremes, so the starts know every category.
    monkeypatch.setattr(sources, "START_SAMPLE_ROWS", 100)
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(0, 3, 3000), rng.randint(0, 2, 3000)]).astype(float)
    X[2500, 0] = 7
    np.save(tmp_path / "codes.npy", X)
    model = emkit.CategoricalMixture(2, random_state=0, max_iter=5)
    model.fit(np.load(tmp_path / "codes.npy", mmap_mode="r"))
    assert model.components_.n_categories == (8, 2)


@pytest.mark.filterwarnings("ignore::emkit.exceptions.ConvergenceWarning")
def test_an_hmm_on_many_memory_mapped_sequences_starts_from_the_sample(files):
    # k-means and the covariances of GaussianHMM's start read the start sample (one
    # sequence of the sampled rows), not the file: the peak does not grow with the rows.
    def fit(n):
        X = np.load(files[n, np.float64], mmap_mode="r")
        model = emkit.GaussianHMM(3, n_iter=1, random_state=0)
        with emkit.config_context(chunk_size=8192, n_threads=1):
            return peak_bytes(lambda: model.fit(X, lengths=np.full(n // 1000, 1000)))

    fit(200_000)
    small, large = fit(200_000), fit(800_000)
    assert large - small < 0.25 * (800_000 - 200_000) * D, (small, large)


def test_sequence_start_sample_is_one_sequence_of_the_array_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "START_SAMPLE_ROWS", 300)
    X = np.load(write_npy(tmp_path / "x.npy", 6000, np.float64), mmap_mode="r")
    start = sources.SequenceSource(X, np.full(60, 100)).start_source()
    rows = ArraySource(X).start_source().X
    np.testing.assert_array_equal(start.X, rows)
    assert start.lengths.tolist() == [len(rows)] and not is_memory_mapped(start.X)
    in_memory = sources.SequenceSource(np.array(X), np.full(60, 100))
    assert in_memory.start_source() is in_memory
