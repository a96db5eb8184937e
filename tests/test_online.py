"""Online (stepwise) EM: partial_fit on every estimator, and fit(learning_method='online').

Oracles: batch EM from the same start (the goals of the fit), the closed-form blend of two
batches' statistics, and ``fit`` with one iteration on the first batch (which the first
``partial_fit`` must equal).
"""

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans

import emkit
from emkit.engine.online import OnlineState, step_size
from emkit.exceptions import ConvergenceWarning
from emkit.families import Poisson
from emkit.families.custom import density_family


def gaussian_stream(n=1_000_000, K=16, D=16, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0.0, 1.0, size=(K, D))
    return centers[rng.integers(0, K, n)] + rng.normal(size=(n, D))


def start_of(X, K):
    init = emkit.GaussianMixture(K, random_state=0, max_iter=1).fit(X[:10000])
    return dict(weights_init=init.weights_, means_init=init.means_,
                precisions_init=init.precisions_)


@pytest.fixture(scope="module")
def stream():
    return gaussian_stream()


def test_one_pass_reaches_batch_em_within_a_hundredth_of_a_nat(stream):
    # The goal: 1e6 rows of a 16-component, 16-dimensional mixture in batches
    # of 10,000 from the same start as batch EM run to convergence.
    X, K = stream, 16
    start = start_of(X, K)
    batch = emkit.GaussianMixture(K, tol=1e-6, max_iter=500, **start).fit(X)
    assert batch.converged_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = emkit.GaussianMixture(K, learning_method="online", batch_size=10_000,
                                    max_iter=1, tol=0, **start).fit(X)
        three = emkit.GaussianMixture(K, learning_method="online", batch_size=10_000,
                                      max_iter=3, tol=0, **start).fit(X)
    best = batch.score(X)
    assert one.n_batch_iter_ == 100 and three.n_batch_iter_ == 300
    assert one.n_iter_ == 1 and three.n_iter_ == 3
    assert 0 <= best - one.score(X) < 0.01
    assert 0 <= best - three.score(X) < 0.001


def test_online_follows_a_drift_that_batch_em_averages_away():
    # Two components whose means move slowly along the stream; on the most recent
    # window online EM with learning_decay=0.5 explains the data better than batch EM
    # fitted to the whole stream, and its means are closer to the current ones.
    rng = np.random.default_rng(5)
    n, n_batches = 200_000, 200
    t = np.linspace(0.0, 1.0, n)
    z = rng.integers(0, 2, n)
    current = np.array([[-2.0], [2.0]]) + 3.0 * t[:, None, None][..., 0][:, :, None]
    X = current[np.arange(n), z] + rng.normal(scale=0.5, size=(n, 1))
    start = dict(weights_init=[0.5, 0.5], means_init=[[-2.0], [2.0]],
                 precisions_init=[[[4.0]], [[4.0]]])
    online = emkit.GaussianMixture(2, learning_decay=0.5, total_samples=n, **start)
    for part in np.array_split(X, n_batches):
        online.partial_fit(part)
    batch = emkit.GaussianMixture(2, **start).fit(X)
    recent = X[-n // n_batches * 5:]
    assert online.score(recent) > batch.score(recent)
    truth = current[-1, :, 0]
    online_error = np.abs(np.sort(online.means_[:, 0]) - truth).max()
    batch_error = np.abs(np.sort(batch.means_[:, 0]) - truth).max()
    assert online_error < batch_error / 3


def _hmm_start(means, **kwargs):
    model = emkit.GaussianHMM(3, init_params="", **kwargs)
    model.startprob_ = np.full(3, 1 / 3)
    model.transmat_ = np.full((3, 3), 1 / 3)
    model.means_ = means.copy()
    model.covars_ = np.ones((3, 2))
    return model


def test_hmm_fed_one_sequence_at_a_time_reaches_the_batch_fit():
    truth = _hmm_start(np.array([[0.0, 0.0], [2.0, 1.0], [-1.0, 3.0]]))
    truth.startprob_ = np.array([0.6, 0.3, 0.1])
    truth.transmat_ = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    truth.covars_ = np.array([[1.0, 1.0], [0.5, 0.8], [1.2, 0.6]])
    sequences = [truth.sample(100, random_state=s)[0] for s in range(200)]
    X, lengths = np.concatenate(sequences), [len(s) for s in sequences]
    means = KMeans(3, n_init=1, random_state=0).fit(X).cluster_centers_
    batch = _hmm_start(means, n_iter=500, tol=1e-6).fit(X, lengths)
    online = _hmm_start(means, total_samples=len(sequences))
    for sequence in sequences:
        online.partial_fit(sequence)
    assert online.n_batch_iter_ == 200
    gap = (batch.score(X, lengths) - online.score(X, lengths)) / len(X)
    assert 0 <= gap < 0.01


def test_two_updates_blend_the_statistics_in_closed_form():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(300, 2)) + [0, 3]
    B = rng.normal(size=(200, 2)) - [0, 3]
    est = emkit.GaussianMixture(2, random_state=0, total_samples=1000.0,
                                learning_offset=2.0, learning_decay=0.8)
    est.partial_fit(A)
    first = emkit.GaussianMixture(2, random_state=0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first.fit(A)
    # The first update is fit's first iteration on the same batch, from the same start.
    np.testing.assert_allclose(est.means_, first.means_, rtol=1e-12)
    np.testing.assert_allclose(est.covariances_, first.covariances_, rtol=1e-12)
    # The running statistics after it: mass and first moment scaled by 1000 / 300.
    mass_1 = (1000 / 300) * 300 * est.weights_
    moment_1 = mass_1[:, None] * est.means_
    resp = est.predict_proba(B)  # the second batch under the model it meets
    est.partial_fit(B)
    rho = step_size(2, 2.0, 0.8)
    mass = (1 - rho) * mass_1 + rho * (1000 / 200) * resp.sum(0)
    moment = (1 - rho) * moment_1 + rho * (1000 / 200) * resp.T @ B
    np.testing.assert_allclose(est.means_, moment / mass[:, None], rtol=1e-10)
    np.testing.assert_allclose(est.weights_, mass / mass.sum(), rtol=1e-10)
    assert est.n_batch_iter_ == 2


ESTIMATORS = {
    "GaussianMixture diag": (lambda **k: emkit.GaussianMixture(2, covariance_type="diag",
                                                               random_state=0, **k), "rows"),
    "BernoulliMixture": (lambda **k: emkit.BernoulliMixture(2, random_state=0, **k), "binary"),
    "PoissonMixture": (lambda **k: emkit.PoissonMixture(2, random_state=0, **k), "counts"),
    "CategoricalMixture": (lambda **k: emkit.CategoricalMixture(2, random_state=0, **k),
                           "symbols"),
    "GaussianHMM": (lambda **k: emkit.GaussianHMM(2, random_state=0, **_hmm(k)), "rows"),
    "CategoricalHMM": (lambda **k: emkit.CategoricalHMM(2, random_state=0, **_hmm(k)),
                       "symbols"),
    "PoissonHMM": (lambda **k: emkit.PoissonHMM(2, random_state=0, **_hmm(k)), "counts"),
    "GMMHMM": (lambda **k: emkit.GMMHMM(2, n_mix=2, random_state=0, **_hmm(k)), "rows"),
    "MultinomialHMM": (lambda **k: emkit.MultinomialHMM(2, random_state=0, **_hmm(k)),
                       "counts"),
    "MixtureModel Poisson": (lambda **k: emkit.MixtureModel(
        Poisson([[1.0, 1.0], [5.0, 5.0]]), random_state=0, **k), "counts"),
    "HiddenMarkovModel Poisson": (lambda **k: emkit.HiddenMarkovModel(
        Poisson([[1.0, 1.0], [5.0, 5.0]]), random_state=0, **_hmm(k)), "counts"),
}


def _hmm(kwargs):
    kwargs = dict(kwargs)
    if "max_iter" in kwargs:
        kwargs["n_iter"] = kwargs.pop("max_iter")
    return kwargs


def _data(kind, n=400, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, n)
    if kind == "rows":
        return rng.normal(size=(n, 2)) + 3.0 * z[:, None]
    if kind == "binary":
        return (rng.random((n, 4)) < np.where(z[:, None], 0.8, 0.2)).astype(float)
    if kind == "counts":
        return rng.poisson(np.where(z[:, None], 6.0, 1.0), size=(n, 2)).astype(float)
    return np.where(z[:, None] == 1, rng.integers(0, 2, (n, 1)), rng.integers(1, 3, (n, 1)))


def _params(est):
    names = ("weights_", "means_", "covariances_", "probs_", "rates_", "startprob_",
             "transmat_", "emissionprob_", "lambdas_")
    return {n: np.asarray(getattr(est, n)) for n in names if hasattr(est, n)}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_first_partial_fit_is_fits_first_iteration(name):
    make, kind = ESTIMATORS[name]
    X = _data(kind)
    online = make().partial_fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        batch = make(max_iter=1).fit(X)
    expected = _params(batch)
    assert expected
    for key, value in _params(online).items():
        np.testing.assert_allclose(value, expected[key], rtol=1e-10, atol=1e-12,
                                   err_msg=key)
    assert online.n_batch_iter_ == 1
    # Later batches continue; the running statistics keep their size.
    size = online._stream.stats.coordinates().size
    for seed in range(1, 6):
        online.partial_fit(_data(kind, n=50, seed=seed))
    assert online.n_batch_iter_ == 6
    assert online._stream.stats.coordinates().size == size


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_online_fit_with_one_batch_and_one_pass_is_one_em_iteration(name):
    make, kind = ESTIMATORS[name]
    X = _data(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        online = make(learning_method="online", batch_size=10_000, max_iter=1).fit(X)
        batch = make(max_iter=1).fit(X)
    expected = _params(batch)
    for key, value in _params(online).items():
        np.testing.assert_allclose(value, expected[key], rtol=1e-10, atol=1e-12,
                                   err_msg=key)
    assert online.n_iter_ == 1 and online.n_batch_iter_ == 1


def test_partial_fit_after_fit_continues_from_the_fitted_model():
    X = _data("rows", 600)
    est = emkit.GaussianMixture(2, random_state=0).fit(X)
    before = est.means_.copy()
    est.partial_fit(X[:100])
    assert est.n_batch_iter_ == 1
    # One batch of the same data moves a converged model only a little.
    np.testing.assert_allclose(np.sort(est.means_, axis=0), np.sort(before, axis=0),
                               atol=0.3)
    est.fit(X)
    assert not hasattr(est, "n_batch_iter_")


def test_later_batch_with_other_columns_is_one_sentence():
    est = emkit.GaussianMixture(2, random_state=0).partial_fit(_data("rows"))
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture is "
                                         "expecting 2 features"):
        est.partial_fit(np.ones((10, 3)))
    assert est.n_batch_iter_ == 1
    hmm = emkit.GaussianHMM(2, random_state=0).partial_fit(_data("rows"))
    with pytest.raises(ValueError, match="X has 3 features but this model has 2"):
        hmm.partial_fit(np.ones((10, 3)))


def test_a_later_batch_may_be_smaller_than_the_number_of_components():
    est = emkit.GaussianMixture(3, random_state=0).partial_fit(_data("rows"))
    est.partial_fit(_data("rows")[:1])
    assert est.n_batch_iter_ == 2
    assert np.isfinite(est.means_).all()


def test_first_batch_smaller_than_components_is_refused():
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        emkit.GaussianMixture(5, random_state=0).partial_fit(_data("rows")[:3])


def test_rows_kept_as_statistics_are_refused_online():
    def laplace(X, loc, scale):
        return -np.abs(X[:, 0] - loc) / scale - np.log(2 * scale)

    Laplace = density_family(laplace, {"loc": (), "scale": ()},
                             bounds={"scale": (1e-3, None)})
    est = emkit.MixtureModel(Laplace(loc=np.array([-1.0, 1.0]), scale=np.ones(2)))
    with pytest.raises(ValueError, match="fixed size"):
        est.partial_fit(_data("rows")[:, :1])
    assert not hasattr(est, "n_batch_iter_")


@pytest.mark.parametrize("param, value", [
    ("learning_method", "stream"),
    ("learning_decay", 0.0),
    ("learning_offset", 0.5),
    ("batch_size", 0),
    ("total_samples", -1.0),
])
def test_bad_online_parameters_are_one_sentence(param, value):
    # Both kinds of estimator check their hyperparameters as scikit-learn's do, in one
    # sentence that names the parameter and the values it takes.
    X = _data("counts")
    for est in (emkit.PoissonHMM(2, **{param: value}),
                emkit.GaussianMixture(2, **{param: value})):
        with pytest.raises(ValueError, match=f"The '{param}' parameter of "
                                             f"{type(est).__name__} must be") as info:
            est.partial_fit(X)
        assert "\n" not in str(info.value) and str(info.value).endswith(".")


def test_online_fit_streams_a_memory_map(tmp_path):
    X = gaussian_stream(n=20_000, K=3, D=2, seed=3)
    path = tmp_path / "rows.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    kw = dict(learning_method="online", batch_size=2_000, max_iter=2, tol=0,
              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        from_file = emkit.GaussianMixture(3, **kw).fit(mapped)
        in_memory = emkit.GaussianMixture(3, **kw).fit(X)
    np.testing.assert_allclose(from_file.means_, in_memory.means_, rtol=1e-10)
    assert from_file.n_batch_iter_ == 20
    assert len(from_file.lower_bounds_) == 2


def test_online_fit_converges_on_pass_change():
    X = gaussian_stream(n=20_000, K=2, D=2, seed=4)
    est = emkit.GaussianMixture(2, learning_method="online", batch_size=1000, max_iter=50,
                                tol=1e-3, random_state=0).fit(X)
    assert est.converged_
    assert est.n_iter_ < 50
    assert abs(est.lower_bounds_[-1] - est.lower_bounds_[-2]) < 1e-3


def test_step_size_and_state_defaults():
    assert step_size(1, 10.0, 0.7) == pytest.approx(11 ** -0.7)
    assert OnlineState().n_batch_iter == 0


def test_model_file_keeps_the_count_of_updates(tmp_path):
    from emkit.io import load, save
    X = _data("rows", 600)
    est = emkit.GaussianMixture(2, random_state=0, learning_method="online",
                                batch_size=100, max_iter=1, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    save(est, tmp_path / "m.emkit")
    restored = load(tmp_path / "m.emkit")
    assert restored.n_batch_iter_ == est.n_batch_iter_ == 6
    assert restored.get_params()["learning_method"] == "online"
    restored.partial_fit(X[:100])
    assert restored.n_batch_iter_ == 7


def test_dask_batches_update_online_but_an_online_fit_needs_rows_in_memory():
    da = pytest.importorskip("dask.array")
    X = _data("rows", 600)
    chunks = da.from_array(X, chunks=(150, 2))
    in_memory = emkit.GaussianMixture(2, random_state=0).partial_fit(X[:300])
    in_memory.partial_fit(X[300:])
    on_dask = emkit.GaussianMixture(2, random_state=0).partial_fit(X[:300])
    on_dask.partial_fit(chunks[300:])
    np.testing.assert_allclose(on_dask.means_, in_memory.means_, rtol=1e-10)
    with pytest.raises(TypeError, match="Online EM streams data in memory or memory-mapped"):
        emkit.GaussianMixture(2, random_state=0, learning_method="online").fit(chunks)


@pytest.mark.parametrize("n, batch_size", [(1000, 100), (1001, 7), (10, 100), (5, 1),
                                           (200_000, 20_000)])
def test_shuffled_batches_deal_every_row_once_in_batches_of_the_same_sizes(n, batch_size):
    from emkit.engine.sources import ArraySource, SequenceSource

    X = np.arange(n, dtype=float)[:, None]
    rng = np.random.RandomState(0)
    batches = list(ArraySource(X).batches(batch_size, rng))
    assert [len(b.X) for b in batches] == [min(batch_size, n - s)
                                          for s in range(0, n, batch_size)]
    dealt = np.concatenate([b.X[:, 0] for b in batches])
    assert np.array_equal(np.sort(dealt), X[:, 0])
    if n >= 10 * batch_size:  # drawn from all over the data, not consecutive
        assert np.ptp(batches[0].X) > 5 * batch_size
    if n > 5000:
        return
    lengths = np.r_[np.full(n // 5, 5), [n % 5] if n % 5 else []].astype(int)
    sequences = list(SequenceSource(X, lengths).batches(3, rng))
    assert sorted(np.concatenate([s.X[:, 0] for s in sequences]).tolist()) == X[:, 0].tolist()
    for part in sequences:  # whole sequences: each starts where one of X starts
        starts = part.X[np.r_[0, np.cumsum(part.lengths)[:-1]], 0]
        assert set(starts) <= set(np.r_[0, np.cumsum(lengths)[:-1]].astype(float))


def test_online_fit_of_rows_stored_cluster_by_cluster_reaches_the_batch_fit():
    # Three clusters stacked one after the other (np.r_): batches of consecutive rows
    # each held one cluster and pulled the model to it, collapsing two components.
    rng = np.random.RandomState(0)
    X = np.r_[rng.randn(300, 2), rng.randn(300, 2) + 6, rng.randn(300, 2) - 6]
    batch = emkit.GaussianMixture(3, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        online = emkit.GaussianMixture(3, random_state=0, learning_method="online",
                                       batch_size=100, max_iter=20).fit(X)
    assert abs(online.score(X) - batch.score(X)) < 0.01
    np.testing.assert_allclose(np.sort(online.weights_), np.sort(batch.weights_), atol=0.02)
