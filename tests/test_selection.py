"""Model selection by BIC, AIC and ICL against closed forms, scikit-learn and hand computation."""

import csv

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import entr
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from emkit import BernoulliMixture, GaussianMixture
from emkit.selection import COLUMNS, TIE_RTOL, SelectionResult, responsibility_entropy, select

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
CENTRES = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0], [8.0, 8.0]])


@pytest.fixture(scope="module")
def four_blobs():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(c, 1.0, size=(100, 2)) for c in CENTRES])


@pytest.fixture(scope="module")
def results(four_blobs):
    # The full grid once; AIC and ICL on two covariance types to keep the file fast.
    grids = {"bic": COVARIANCE_TYPES, "aic": ("full", "spherical"), "icl": ("tied", "diag")}
    return {crit: select(four_blobs, range(1, 6), grids[crit], crit, random_state=0)
            for crit in ("bic", "aic", "icl")}


def _n_parameters(cov, K, D):
    # Weights, means and covariances of a Gaussian mixture, counted by hand.
    n_cov = {"full": K * D * (D + 1) / 2, "tied": D * (D + 1) / 2, "diag": K * D,
             "spherical": K}[cov]
    return int(K - 1 + K * D + n_cov)


@pytest.mark.parametrize("criterion", ["bic", "aic", "icl"])
def test_picks_the_four_true_components(results, criterion):
    result = results[criterion]
    assert result.criterion == criterion
    assert result.best_params_["n_components"] == 4
    assert result.best_estimator_.n_components == 4
    i = result.best_index_
    scores = result.table[criterion]
    lowest = scores.min()
    # The first row within the documented tie tolerance of the lowest score.
    assert i == np.flatnonzero(scores <= lowest + TIE_RTOL * max(abs(lowest), 1.0))[0]
    assert result.best_params_["covariance_type"] == result.table["covariance_type"][i]
    assert result.best_estimator_.covariance_type == result.best_params_["covariance_type"]


def test_table_columns_dtypes_and_order(results):
    table = results["bic"].table
    assert tuple(table) == COLUMNS
    assert all(column.shape == (20,) for column in table.values())
    assert table["n_components"].dtype.kind == "i" and table["n_parameters"].dtype.kind == "i"
    assert table["covariance_type"].dtype.kind == "U"
    assert table["converged"].dtype == bool
    for name in ("log_likelihood", "bic", "aic", "icl"):
        assert table[name].dtype == np.float64
    # Covariance types in the outer loop, numbers of components in the inner one.
    assert_array_equal(table["n_components"], np.tile(np.arange(1, 6), 4))
    assert_array_equal(table["covariance_type"],
                       np.repeat(["full", "tied", "diag", "spherical"], 5))


def test_parameter_counts_match_closed_form(results):
    table = results["bic"].table
    expected = [_n_parameters(c, k, 2)
                for c, k in zip(table["covariance_type"], table["n_components"])]
    assert_array_equal(table["n_parameters"], expected)


@pytest.mark.parametrize("row", [3, 8, 14, 19])
def test_criteria_equal_independent_refit_and_sklearn(four_blobs, results, row):
    X, table = four_blobs, results["bic"].table
    cov, K = str(table["covariance_type"][row]), int(table["n_components"][row])
    model = GaussianMixture(K, covariance_type=cov, random_state=0).fit(X)
    assert_allclose(table["bic"][row], model.bic(X), rtol=1e-10)
    assert_allclose(table["aic"][row], model.aic(X), rtol=1e-10)
    # scikit-learn's criteria for the same parameters.
    peer = SklearnGaussianMixture(K, covariance_type=cov)
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        setattr(peer, name, getattr(model, name))
    peer.n_features_in_, peer.converged_ = 2, True
    assert_allclose(table["bic"][row], peer.bic(X), rtol=1e-10)
    assert_allclose(table["aic"][row], peer.aic(X), rtol=1e-10)
    # Closed forms from the log-likelihood summed by hand.
    log_l = peer.score_samples(X).sum()
    p, n = _n_parameters(cov, K, 2), X.shape[0]
    assert_allclose(table["log_likelihood"][row], log_l, rtol=1e-10)
    assert_allclose(table["bic"][row], -2 * log_l + p * np.log(n), rtol=1e-10)
    assert_allclose(table["aic"][row], -2 * log_l + 2 * p, rtol=1e-10)


@pytest.mark.parametrize("row", [1, 4, 13])
def test_icl_is_bic_plus_twice_entropy(four_blobs, results, row):
    X, table = four_blobs, results["bic"].table
    cov, K = str(table["covariance_type"][row]), int(table["n_components"][row])
    model = GaussianMixture(K, covariance_type=cov, random_state=0).fit(X)
    resp = model.predict_proba(X)
    entropy = sum(entr(r) for r in resp.ravel())
    assert entropy > 0
    assert_allclose(table["icl"][row], model.bic(X) + 2 * entropy, rtol=1e-10)
    assert_allclose(model.icl(X), model.bic(X) + 2 * entropy, rtol=1e-10)


def test_icl_method_on_overlapping_components():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(0, 1, 150), rng.normal(1.5, 1, 150)]).reshape(-1, 1)
    model = GaussianMixture(2, random_state=0).fit(X)
    resp = model.predict_proba(X)
    by_hand = -sum(r * np.log(r) for r in resp.ravel() if r > 0)
    assert by_hand > 50  # overlapping components: a large entropy
    assert_allclose(model.icl(X), model.bic(X) + 2 * by_hand, rtol=1e-12)


def test_icl_method_on_a_bernoulli_mixture():
    X = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1], [1, 1, 1], [0, 0, 0]])
    model = BernoulliMixture(2, random_state=0).fit(X)
    resp = model.predict_proba(X)
    by_hand = -sum(r * np.log(r) for r in resp.ravel() if r > 0)
    assert_allclose(model.icl(X), model.bic(X) + 2 * by_hand, rtol=1e-12)


def test_responsibility_entropy_takes_zero_log_zero_as_zero():
    resp = np.array([[1.0, 0.0], [0.5, 0.5], [0.25, 0.75]])
    expected = np.log(2) - 0.25 * np.log(0.25) - 0.75 * np.log(0.75)
    assert responsibility_entropy(resp) == pytest.approx(expected, rel=1e-14)
    assert responsibility_entropy(np.eye(3)) == 0.0


def test_best_estimator_is_the_fitted_best_row(four_blobs, results):
    result = results["bic"]
    i = result.best_index_
    assert_allclose(result.best_estimator_.bic(four_blobs), result.table["bic"][i], rtol=1e-12)
    assert result.best_estimator_.converged_ == result.table["converged"][i]


def _bernoulli_data():
    rng = np.random.default_rng(1)
    prototypes = np.array([[0.9] * 4 + [0.1] * 4, [0.1] * 4 + [0.9] * 4])
    y = rng.integers(0, 2, size=300)
    return (rng.uniform(size=(300, 8)) < prototypes[y]).astype(float)


def test_bernoulli_template_ignores_covariance_types():
    X = _bernoulli_data()
    template = BernoulliMixture(max_iter=200)
    result = select(X, [1, 2, 3, 4], covariance_types=("full", "diag"), estimator=template,
                    random_state=0)
    assert result.best_params_ == {"n_components": 2, "covariance_type": None}
    assert isinstance(result.best_estimator_, BernoulliMixture)
    assert result.best_estimator_.max_iter == 200
    assert not hasattr(template, "weights_")  # the template is never fitted
    assert_array_equal(result.table["covariance_type"], ["", "", "", ""])
    K = result.table["n_components"]
    assert_array_equal(result.table["n_parameters"], K - 1 + 8 * K)
    model = BernoulliMixture(2, max_iter=200, random_state=0).fit(X)
    assert_allclose(result.table["bic"][1], model.bic(X), rtol=1e-10)
    assert_allclose(result.table["icl"][1], model.icl(X), rtol=1e-10)


def test_n_init_and_random_state_reach_the_candidates(four_blobs):
    result = select(four_blobs, [2], "spherical", estimator=GaussianMixture(random_state=7),
                    n_init=2)
    assert result.best_estimator_.random_state == 7  # None keeps the template's seed
    assert result.best_estimator_.n_init == 2
    assert result.best_params_ == {"n_components": 2, "covariance_type": "spherical"}
    assert result.table["n_components"].shape == (1,)


def test_callback_sees_every_row(four_blobs):
    calls = []
    result = select(four_blobs, [1, 3], ("diag", "tied"), random_state=0,
                    callback=lambda i, n, row: calls.append((i, n, row)))
    assert [(i, n) for i, n, _ in calls] == [(0, 4), (1, 4), (2, 4), (3, 4)]
    for i, _, row in calls:
        assert set(row) == set(COLUMNS)
        for name in COLUMNS:
            assert row[name] == result.table[name][i]


def test_text_table_is_aligned_and_marks_the_best(results):
    result = results["bic"]
    lines = str(result).splitlines()
    assert result.to_text() == str(result)
    assert len(lines) == 20 + 2
    assert lines[0].split() == list(COLUMNS)
    assert len({len(line) for line in lines[:-1]}) == 1
    marked = [i for i, line in enumerate(lines[1:-1]) if line.startswith("*")]
    assert marked == [result.best_index_]
    best = lines[1 + result.best_index_].split()
    assert best[1:3] == ["4", result.best_params_["covariance_type"]]
    assert lines[-1].startswith("* best by BIC: n_components=4")


def test_csv_round_trip(tmp_path, results):
    table = results["bic"].table
    path = tmp_path / "scores.csv"
    results["bic"].to_csv(path)
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 21
    for j, name in enumerate(COLUMNS):
        column = [row[j] for row in rows[1:]]
        if table[name].dtype == bool:
            assert_array_equal(np.array(column) == "True", table[name])
        elif table[name].dtype.kind == "U":
            assert_array_equal(column, table[name])
        else:
            assert_array_equal(np.array(column, dtype=float), table[name])
    assert list(tmp_path.iterdir()) == [path]


def test_result_can_be_built_from_a_table():
    table = {"n_components": np.array([1, 2]), "covariance_type": np.array(["", ""]),
             "log_likelihood": np.array([-10.0, -5.0]), "n_parameters": np.array([2, 5]),
             "bic": np.array([24.0, 20.0]), "aic": np.array([24.0, 20.0]),
             "icl": np.array([24.0, 30.0]), "converged": np.array([True, True])}
    assert SelectionResult(table, "bic", None).best_index_ == 1
    result = SelectionResult(table, "icl", None)
    assert result.best_index_ == 0
    assert result.best_params_ == {"n_components": 1, "covariance_type": None}


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_components": [2, 500]}, ValueError,
     "Candidates of up to 500 components cannot be fitted to 400 samples"),
    ({"n_components": []}, ValueError, "n_components must be a positive integer"),
    ({"n_components": [0, 1]}, ValueError, "n_components must be a positive integer"),
    ({"criterion": "bik"}, ValueError, "criterion must be 'bic', 'aic' or 'icl'; got 'bik'"),
    ({"covariance_types": ("full", "ful")}, ValueError,
     "covariance_types must be a non-empty list of 'full'"),
    ({"covariance_types": ()}, ValueError, "covariance_types must be a non-empty list"),
    ({"estimator": GaussianMixture}, TypeError, "estimator must be a mixture estimator"),
    ({"estimator": "gmm"}, TypeError, "estimator must be a mixture estimator"),
    ({"n_components": True}, ValueError, "n_components must be a positive integer"),
    ({"n_init": 0}, ValueError, "n_init must be a positive integer; got 0"),
    ({"n_init": 1.5}, ValueError, "n_init must be a positive integer; got 1.5"),
])
def test_bad_arguments_fail_before_any_fit(four_blobs, monkeypatch, kwargs, error, match):
    fits = []
    monkeypatch.setattr(GaussianMixture, "fit", lambda self, X: fits.append(self))
    with pytest.raises(error, match=match):
        select(four_blobs, **kwargs)
    assert fits == []


def test_one_dimensional_x_gets_a_short_message(four_blobs):
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(n_samples, "
                                         r"n_features\); got shape \(400,\); reshape") as info:
        select(four_blobs[:, 0], [1, 2])
    assert len(str(info.value)) < 150  # not the whole array


def test_same_seed_gives_the_same_table_bit_for_bit(four_blobs):
    X = four_blobs[::4]
    runs = [select(X, [1, 3], ("full", "diag"), n_init=2, random_state=seed)
            for seed in (5, 5, np.random.RandomState(5), np.random.RandomState(5))]
    for first, second in (runs[:2], runs[2:]):  # an int seed, then two equal generators
        for name in COLUMNS:
            assert_array_equal(second.table[name], first.table[name])
        assert_array_equal(second.best_estimator_.means_, first.best_estimator_.means_)
    assert runs[0].best_estimator_.n_init == 2


def test_counts_are_sorted_and_each_candidate_fitted_once(four_blobs):
    X = four_blobs[::4]
    calls = []
    result = select(X, [3, 1, 3, 2], ("diag", "full", "diag"), random_state=0,
                    callback=lambda i, n, row: calls.append((i, n)))
    assert_array_equal(result.table["n_components"], [1, 2, 3, 1, 2, 3])
    assert_array_equal(result.table["covariance_type"], ["diag"] * 3 + ["full"] * 3)
    assert calls == [(i, 6) for i in range(6)]
    assert select(X, np.int64(2), "full", random_state=0).table["n_components"].tolist() == [2]


def test_ties_go_to_the_first_candidate_and_criterion_case_is_free():
    # One Gaussian in one dimension: every covariance type is the same model, up to the
    # last bits of the arithmetic (which differ between processors).
    X = np.random.default_rng(4).normal(size=(50, 1))
    result = select(X, 1, ("spherical", "full", "diag", "tied"), "BIC", random_state=0)
    assert result.criterion == "bic"
    assert_allclose(result.table["bic"], result.table["bic"][0], rtol=1e-12)
    assert result.best_index_ == 0
    assert result.best_params_ == {"n_components": 1, "covariance_type": "spherical"}
    assert result.best_estimator_.covariance_type == "spherical"
    table = {name: np.array(values) for name, values in {
        "n_components": [1, 2, 3], "covariance_type": ["", "", ""],
        "log_likelihood": [np.nan, -5.0, -5.0], "n_parameters": [2, 5, 8],
        "bic": [np.nan, 20.0, 20.0], "aic": [1.0, 2.0, 3.0], "icl": [1.0, 2.0, 3.0],
        "converged": [False, True, True]}.items()}
    assert SelectionResult(table, "bic", None).best_index_ == 1  # NaN never wins
    # Within the documented tolerance a later, lower score is a tie; beyond it, it wins.
    table["bic"] = np.array([np.nan, 20.0, 20.0 * (1 - 0.5 * TIE_RTOL)])
    assert SelectionResult(table, "bic", None).best_index_ == 1
    table["bic"] = np.array([np.nan, 20.0, 20.0 * (1 - 4 * TIE_RTOL)])
    assert SelectionResult(table, "bic", None).best_index_ == 2


def test_data_with_missing_values_is_scored_by_the_model(four_blobs):
    X = four_blobs[::4].copy()
    X[[0, 7, 30], [1, 0, 1]] = np.nan
    result = select(X, [1, 4], "diag", random_state=0)
    for row, K in enumerate([1, 4]):
        model = GaussianMixture(K, covariance_type="diag", random_state=0).fit(X)
        assert_allclose(result.table["bic"][row], model.bic(X), rtol=1e-10)
        assert_allclose(result.table["icl"][row], model.icl(X), rtol=1e-10)
    assert np.all(np.isfinite(result.table["bic"]))


def test_a_candidate_that_cannot_be_fitted_is_named(four_blobs):
    X = np.c_[four_blobs[:, 0], np.ones(len(four_blobs))]  # a constant column
    template = GaussianMixture(reg_covar=0.0)
    with pytest.raises(ValueError, match=r"^The candidate with n_components=1, "
                                         r"covariance_type='full' could not be fitted: ") as info:
        select(X, [1, 2], "full", estimator=template, random_state=0)
    assert "ill-defined empirical covariance" in str(info.value.__cause__)


def test_a_data_frame_keeps_its_column_names(four_blobs, recwarn):
    import pandas

    frame = pandas.DataFrame(four_blobs[::4], columns=["width", "height"])
    result = select(frame, [1, 4], "full", random_state=0)
    assert list(result.best_estimator_.feature_names_in_) == ["width", "height"]
    result.best_estimator_.predict(frame)
    assert [str(w.message) for w in recwarn] == []
    table = pandas.DataFrame(result.table)
    assert list(table.columns) == list(COLUMNS) and len(table) == 2
    assert table["n_components"].dtype.kind == "i" and table["converged"].dtype == bool
    assert table["bic"].dtype == np.float64
    assert_allclose(table["bic"], [GaussianMixture(k, random_state=0).fit(frame).bic(frame)
                                   for k in (1, 4)], rtol=1e-10)
