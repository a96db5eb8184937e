"""mclust's fourteen Gaussian models: counts, M-steps against numerical maxima, fits, files.

Each M-step is checked against scipy's minimization of ``-2 Q`` (the expected
complete-data log-likelihood, up to its constant) over an unconstrained parametrization of
the model: log volumes, log shapes summing to zero and orientations as Cayley transforms
of skew-symmetric matrices (which reach every orientation up to the signs of its columns,
which no covariance depends on). The means are the weighted means, Q's maximizer for any
covariance.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

import emkit
from emkit.families.gaussian import (COVARIANCE_TYPES, MCLUST_MODELS, MCLUST_NAMES,
                                     MIXTURE_COVARIANCE_TYPES)
from emkit.selection import MCLUST_MODELS as SELECTION_MODELS

NAMES = list(MCLUST_MODELS)
ITERATIVE = {"VEI", "VEE", "EVE", "VVE", "VEV"}


def mclust_n_var_params(model, d, G):
    # mclust's nVarParams, term for term.
    return {"EII": 1, "VII": G, "EEI": d, "VEI": G + (d - 1), "EVI": 1 + G * (d - 1),
            "VVI": G * d, "EEE": d * (d + 1) / 2, "EVE": 1 + G * (d - 1) + d * (d - 1) / 2,
            "VEE": G + (d - 1) + d * (d - 1) / 2, "VVE": G + G * (d - 1) + d * (d - 1) / 2,
            "EEV": 1 + (d - 1) + G * d * (d - 1) / 2, "VEV": G + (d - 1) + G * d * (d - 1) / 2,
            "EVV": 1 - G + G * d * (d + 1) / 2, "VVV": G * d * (d + 1) / 2}[model]


def full_matrices(covariances, covariance_type, K, D):
    # (K, D, D) covariances from any storage.
    family = MIXTURE_COVARIANCE_TYPES[covariance_type]
    if family is MCLUST_MODELS["VII"]:
        return covariances[:, None, None] * np.eye(D)
    if family is MCLUST_MODELS["VVI"]:
        return covariances[:, :, None] * np.eye(D)
    return np.broadcast_to(covariances, (K, D, D)).copy()


# -- the model's form, and random covariances of it ------------------------------------------
def _rotations(thetas, d):
    # Cayley transforms (I - S)^-1 (I + S) of skew-symmetric S, one per row of thetas.
    skew = np.zeros((len(thetas), d, d))
    rows, cols = np.triu_indices(d, 1)
    skew[:, rows, cols] = thetas
    skew -= np.swapaxes(skew, 1, 2)
    identity = np.eye(d)
    return np.linalg.solve(identity - skew, identity + skew)


def _counts(letter, K):
    return {"I": 0, "E": 1, "V": K}[letter]


def covariances_of(model, params, d, K):
    """The covariances ``lambda_k D_k A_k D_k^T`` from an unconstrained parameter vector."""
    volume, shape, orientation = model
    n_vol, n_shape, n_orient = _counts(volume, K), _counts(shape, K), _counts(orientation, K)
    m = d * (d - 1) // 2
    parts = np.split(params, np.cumsum([n_vol, n_shape * (d - 1)]))
    volumes = np.broadcast_to(np.exp(parts[0]), (K,))
    logs = parts[1].reshape(n_shape, d - 1)
    shapes = np.exp(np.hstack([logs, -logs.sum(axis=1, keepdims=True)])) if n_shape \
        else np.ones((1, d))
    shapes = np.broadcast_to(shapes, (K, d))
    rotations = _rotations(parts[2].reshape(n_orient, m), d) if n_orient else np.eye(d)[None]
    rotations = np.broadcast_to(rotations, (K, d, d))
    return volumes[:, None, None] * (rotations * shapes[:, None, :]) @ np.swapaxes(rotations,
                                                                                   1, 2)


def n_free(model, d, K):
    volume, shape, orientation = model
    return (_counts(volume, K) + _counts(shape, K) * (d - 1)
            + _counts(orientation, K) * d * (d - 1) // 2)


def minus_two_q(scatter, weight, covariances):
    """``sum_k n_k log|Sigma_k| + tr(Sigma_k^-1 W_k)``: -2 Q less its constant."""
    try:
        sign, log_det = np.linalg.slogdet(covariances)
        if np.any(sign <= 0):
            return np.inf
        trace = np.trace(np.linalg.solve(covariances, scatter), axis1=1, axis2=2)
    except np.linalg.LinAlgError:
        return np.inf
    return float(np.sum(weight * log_det + trace))


def check_form(model, covariances, rtol=1e-8):
    """Assert that the covariances have the model's equal volumes, shapes, orientations."""
    K, d, _ = covariances.shape
    volume, shape, orientation = model
    sign, log_det = np.linalg.slogdet(covariances)
    assert np.all(sign > 0)
    if volume == "E":
        assert_allclose(log_det, log_det[0], rtol=0, atol=rtol * max(1, abs(log_det[0])))
    eigenvalues = np.linalg.eigvalsh(covariances) / np.exp(log_det / d)[:, None]
    if shape == "I":
        assert_allclose(eigenvalues, 1.0, rtol=rtol)
    if shape == "E":
        assert_allclose(eigenvalues, np.broadcast_to(eigenvalues[0], eigenvalues.shape),
                        rtol=rtol * 100)
    off = covariances - np.einsum("kii->ki", covariances)[:, :, None] * np.eye(d)
    if orientation == "I":
        assert np.all(off == 0)
    if orientation == "E":  # shared eigenvectors: every pair commutes
        products = np.einsum("kij,ljm->klim", covariances, covariances)
        assert_allclose(products, products.transpose(1, 0, 2, 3),
                        atol=rtol * 100 * np.abs(products).max())


def random_structured(model, d, K, rng):
    params = rng.normal(scale=0.6, size=n_free(model, d, K))
    return covariances_of(model, params, d, K)


# -- parameter counts ------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d, K", [(1, 1), (1, 3), (2, 2), (3, 4), (5, 3)])
def test_parameter_counts_are_mclust_s(name, d, K):
    family_class = MCLUST_MODELS[name]
    family = family_class._placeholder(K, np.zeros(d), 1e-6)
    assert family.n_parameters() == K * d + mclust_n_var_params(name, d, K)


def test_bic_counts_means_weights_and_mclust_variance_parameters():
    X = np.random.default_rng(0).normal(size=(120, 3))
    for name in ("EVE", "VEI", "EEV"):
        model = emkit.GaussianMixture(2, covariance_type=name, random_state=0).fit(X)
        p = 2 * 3 + 1 + mclust_n_var_params(name, 3, 2)
        assert model._n_parameters() == p
        assert_allclose(model.bic(X), -2 * model.score(X) * 120 + p * np.log(120), rtol=1e-12)


# -- M-steps against numerical maxima --------------------------------------------------------
@pytest.fixture(scope="module")
def responsibilities_problem():
    rng = np.random.default_rng(3)
    d, K, n = 3, 3, 60
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 5.0
    R = rng.dirichlet(np.ones(K), size=n)
    weight = R.sum(axis=0)
    means = (R.T @ X) / weight[:, None]
    scatter = np.array([(R[:, k, None] * (X - means[k])).T @ (X - means[k]) for k in range(K)])
    return X, R, weight, means, scatter


def numerical_minimum(name, scatter, weight, d, K):
    best = np.inf
    for start in range(3):
        x0 = np.random.default_rng(start).normal(size=n_free(name, d, K)) * (start > 0)
        result = optimize.minimize(
            lambda p: minus_two_q(scatter, weight, covariances_of(name, p, d, K)), x0,
            method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
        best = min(best, result.fun)
    return best


@pytest.mark.parametrize("name", NAMES)
def test_m_step_reaches_the_numerical_maximum(responsibilities_problem, name):
    X, R, weight, means, scatter = responsibilities_problem
    K, d = R.shape[1], X.shape[1]
    assert getattr(MCLUST_MODELS[name], "exact", True) == (name not in ITERATIVE)
    start = MCLUST_MODELS[name]._placeholder(K, X.mean(axis=0), 0.0)
    fitted = start.maximize(start.accumulate(X, R))
    assert_allclose(fitted.means, means, rtol=1e-12)
    covariances = full_matrices(fitted.covariances, name, K, d)
    check_form(name, covariances)
    ours = minus_two_q(scatter, weight, covariances)
    numerical = numerical_minimum(name, scatter, weight, d, K)
    # Ours is at least as high a Q as scipy's optimum (to 1e-6), and equal where exact.
    assert ours <= numerical + 1e-6 * abs(numerical)
    if name not in ITERATIVE:
        assert abs(ours - numerical) <= 1e-8 * abs(numerical)


@pytest.mark.parametrize("name", sorted(ITERATIVE))
def test_iterative_m_step_never_falls_below_the_current_covariances(name):
    # Warm-started from any covariances of the model's form, the M-step's Q is at least
    # theirs: the property that keeps EM monotone.
    rng = np.random.default_rng(5)
    d, K = 4, 3
    X = rng.normal(size=(80, d)) @ rng.normal(size=(d, d))
    family_class = MCLUST_MODELS[name]
    for trial in range(5):
        R = rng.dirichlet(np.full(K, 0.5), size=len(X))
        current = family_class(rng.normal(size=(K, d)), random_structured(name, d, K, rng), 0.0)
        stats = current.accumulate(X, R)
        weight = stats.weight + 10 * np.finfo(float).eps
        new = current.maximize(stats)
        assert (minus_two_q(stats.scatter(), weight, new.covariances)
                <= minus_two_q(stats.scatter(), weight, current.covariances))


def test_reg_covar_enters_the_scatter():
    # EII with reg_covar: tr(W) / (d n) + reg_covar, scikit-learn's spherical rule pooled.
    rng = np.random.default_rng(1)
    X, R = rng.normal(size=(40, 2)), rng.dirichlet(np.ones(2), size=40)
    family = MCLUST_MODELS["EII"]._placeholder(2, np.zeros(2), 0.1)
    stats = family.accumulate(X, R)
    variance = np.trace(stats.scatter(), axis1=1, axis2=2).sum() / (2 * stats.weight.sum())
    assert_allclose(family.maximize(stats).covariances, (variance + 0.1) * np.eye(2)[None]
                    .repeat(2, axis=0), rtol=1e-12)


# -- fits ------------------------------------------------------------------------------------
def sample_of(name, seed=0, n=400, d=3, K=3):
    rng = np.random.default_rng(seed)
    covariances = random_structured(name, d, K, rng)
    means = 12.0 * np.eye(K, d)
    labels = np.repeat(np.arange(K), n)
    X = np.vstack([rng.multivariate_normal(means[k], covariances[k], n) for k in range(K)])
    return X, labels, means, covariances


@pytest.mark.parametrize("name", NAMES)
def test_fit_recovers_a_sample_of_its_own_model(name):
    X, labels, means, covariances = sample_of(name)
    model = emkit.GaussianMixture(3, covariance_type=name, random_state=0).fit(X)
    assert model.converged_
    assert adjusted_rand_score(labels, model.predict(X)) > 0.99
    order = np.argmin(((model.means_[None] - means[:, None]) ** 2).sum(axis=2), axis=1)
    assert_allclose(model.means_[order], means, atol=0.3)
    assert_allclose(model.weights_[order], 1 / 3, atol=0.01)
    fitted = full_matrices(model.covariances_, name, 3, 3)[order]
    check_form(name, fitted)
    error = np.linalg.norm(fitted - covariances, axis=(1, 2)) / np.linalg.norm(covariances,
                                                                               axis=(1, 2))
    assert np.all(error < 0.25)


@pytest.mark.parametrize("name", NAMES)
def test_em_never_lowers_the_likelihood(name):
    # Overlapping blobs from random starts: LikelihoodDecreaseWarning is an error here.
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(size=(100, 4)) @ rng.normal(size=(4, 4)) + 2 * rng.normal(size=4)
                   for _ in range(4)])
    model = emkit.GaussianMixture(4, covariance_type=name, init_params="random", tol=0.0,
                                  max_iter=40, random_state=1)
    with pytest.warns(emkit.exceptions.ConvergenceWarning):
        model.fit(X)
    assert np.all(np.diff(model.lower_bounds_) >= -1e-12 * np.abs(model.lower_bounds_[1:]))


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_round_trip(tmp_path, name):
    X = sample_of(name, n=60)[0]
    model = emkit.GaussianMixture(3, covariance_type=name, random_state=0).fit(X)
    path = tmp_path / "model.emkit"
    emkit.save(model, path)
    loaded = emkit.load(path)
    assert loaded.covariance_type == name
    assert_array_equal(loaded.covariances_, model.covariances_)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("sklearn_name, mclust_name", sorted(MCLUST_NAMES.items()))
def test_scikit_learn_names_are_their_mclust_models(sklearn_name, mclust_name):
    # Same family, same code path, same bits; and still scikit-learn's answer.
    assert MCLUST_MODELS[mclust_name] is COVARIANCE_TYPES[sklearn_name]
    X = sample_of("VVV", n=80)[0]
    ours = [emkit.GaussianMixture(3, covariance_type=c, random_state=0, tol=1e-6).fit(X)
            for c in (sklearn_name, mclust_name)]
    for attribute in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert_array_equal(getattr(ours[0], attribute), getattr(ours[1], attribute))
    assert ours[0].lower_bounds_ == ours[1].lower_bounds_
    peer = SklearnGaussianMixture(3, covariance_type=sklearn_name, random_state=0,
                                  tol=1e-6).fit(X)
    assert_allclose(ours[0].means_, peer.means_, rtol=1e-6, atol=1e-6)
    assert_allclose(ours[0].covariances_, peer.covariances_, rtol=1e-5, atol=1e-6)


def test_new_models_take_full_precisions_init():
    X, _, means, covariances = sample_of("EVE", n=50)
    precisions = np.linalg.inv(covariances)
    model = emkit.GaussianMixture(3, covariance_type="EVE", means_init=means,
                                  precisions_init=precisions, weights_init=np.full(3, 1 / 3))
    assert model.fit(X).converged_
    with pytest.raises(ValueError, match=r"'EVE precision' should have the shape of \(3, 3, 3\)"):
        emkit.GaussianMixture(3, covariance_type="EVE", precisions_init=precisions[0]).fit(X)


def test_held_means_and_partly_held_covariances():
    X, _, means, _ = sample_of("EVE", n=80)
    model = emkit.GaussianMixture(3, covariance_type="VEV", means_init=means + 0.5)
    model.fit(X, fixed={"means": [0]})
    assert_array_equal(model.means_[0], means[0] + 0.5)
    check_form("VEV", model.covariances_)
    with pytest.raises(ValueError, match="VEV model ties the covariances"):
        emkit.GaussianMixture(3, covariance_type="VEV").fit(X, fixed={"components": [1]})


# -- the hierarchical start ------------------------------------------------------------------
def test_hierarchical_start_is_the_m_step_of_ward_clusters():
    from scipy.cluster import hierarchy
    X = sample_of("VVV", n=40)[0]
    model = emkit.GaussianMixture(3, init_params="hierarchical", max_iter=0).fit(X)
    labels = hierarchy.cut_tree(hierarchy.ward(X), n_clusters=3).ravel()
    expected = np.array([X[labels == k].mean(axis=0) for k in range(3)])
    assert_allclose(model.means_, expected, rtol=1e-12)


def test_hierarchical_start_samples_large_data_deterministically():
    X, labels, _, _ = sample_of("EEV", n=900)  # 2,700 rows, more than the 2,000 clustered
    fits = [emkit.GaussianMixture(3, covariance_type="EEV", init_params="hierarchical",
                                  random_state=4, max_iter=0).fit(X) for _ in range(2)]
    assert_array_equal(fits[0].means_, fits[1].means_)
    model = emkit.GaussianMixture(3, covariance_type="EEV", init_params="hierarchical",
                                  random_state=4).fit(X)
    assert adjusted_rand_score(labels, model.predict(X)) > 0.99


# -- selection -------------------------------------------------------------------------------
def test_select_over_all_fourteen_reports_both_conventions(tmp_path):
    X, _, _, _ = sample_of("VEV", n=60)
    n = len(X)
    result = emkit.select(X, [1, 3], covariance_types=SELECTION_MODELS, random_state=0)
    table = result.table
    assert list(SELECTION_MODELS) == NAMES
    assert_array_equal(table["covariance_type"], np.repeat(NAMES, 2))
    expected = [k * 3 + k - 1 + mclust_n_var_params(c, 3, k)
                for c, k in zip(table["covariance_type"], table["n_components"])]
    assert_array_equal(table["n_parameters"], expected)
    assert_allclose(table["bic"], -2 * table["log_likelihood"]
                    + table["n_parameters"] * np.log(n), rtol=1e-12)
    columns, mclust = result.scores("mclust")
    assert columns[4:7] == ("BIC", "AIC", "ICL")
    assert_array_equal(mclust["BIC"], -table["bic"])
    assert result.best_index_ == int(np.argmax(mclust["BIC"]))
    text = result.to_text(convention="mclust")
    assert text.splitlines()[0].split()[4:7] == ["BIC", "AIC", "ICL"]
    best_line = text.splitlines()[1 + result.best_index_]
    assert best_line.startswith("*") and f"{-table['bic'][result.best_index_]:.3f}" in best_line
    assert "higher is better" in text.splitlines()[-1]
    assert result.to_text() == str(result)
    result.to_csv(tmp_path / "scores.csv", convention="mclust")
    header = (tmp_path / "scores.csv").read_text().splitlines()[0]
    assert header.split(",")[4:7] == ["BIC", "AIC", "ICL"]
    with pytest.raises(ValueError, match="convention must be 'sklearn' or 'mclust'"):
        result.scores("R")


@pytest.mark.parametrize("model", ["EII", "VII", "EEE", "VVV"])
def test_warm_start_continues_an_mclust_model(model):
    # The warm start's check of the fitted precisions reads mclust's names by the layout
    # they are stored in; a second fit continues where the first converged.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(50, 2), rng.randn(50, 2) + 6])
    gmm = emkit.GaussianMixture(2, covariance_type=model, warm_start=True,
                                random_state=0).fit(X)
    bound = gmm.lower_bound_
    gmm.fit(X)
    assert gmm.converged_ and gmm.n_iter_ == 1
    assert gmm.lower_bound_ >= bound - 1e-9 * abs(bound)
