"""emkit.MixtureModel: any family, the exact given start, textbook answers (Li Hang, ch. 9)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emkit import GaussianMixture, MixtureModel
from emkit.datasets import load_exercise_9_3
from emkit.exceptions import IdenticalComponentsWarning
from emkit.families import GaussianDiag, GaussianFull


def _two_gaussians(m0, m1, v0=1.0, v1=1.0):
    return [GaussianFull([[m0]], [[[v0]]]), GaussianFull([[m1]], [[[v1]]])]


def test_exercise_9_3_identical_start_is_a_finite_fixed_point_with_a_warning():
    X = load_exercise_9_3().astype(float)
    model = MixtureModel(_two_gaussians(0.0, 0.0), weights=[0.5, 0.5], tol=1e-10, max_iter=500)
    with pytest.warns(IdenticalComponentsWarning, match="give distinct starting values"):
        model.fit(X)
    means = model.components_.means.ravel()
    variances = model.components_.covariances.ravel()
    assert_allclose(means, [20.9333, 20.9333], atol=1e-4)
    assert_allclose(variances, np.var(X), rtol=1e-6)  # 1329.66, the one-Gaussian fit
    assert_allclose(model.score(X) * len(X), -75.229, atol=1e-3)


@pytest.mark.parametrize("seed", range(40))
def test_exercise_9_3_restarts_reach_the_maximum_likelihood(seed):
    X = load_exercise_9_3().astype(float)
    model = MixtureModel(_two_gaussians(0.0, 1.0), n_init=10, random_state=seed, tol=1e-10,
                         max_iter=2000).fit(X)
    order = np.argsort(model.components_.means.ravel())
    assert_allclose(model.score(X) * len(X), -71.0634, atol=1e-4)
    assert_allclose(model.weights_[order], [0.133, 0.867], atol=1e-3)
    assert_allclose(model.components_.means.ravel()[order], [-57.51, 32.98], atol=1e-2)
    assert_allclose(model.components_.covariances.ravel()[order], [90.25, 429.46], atol=1e-2)


@pytest.mark.parametrize("seed", range(40))
def test_exercise_9_3_gaussian_mixture_with_restarts(seed):
    X = load_exercise_9_3().astype(float)
    model = GaussianMixture(2, n_init=10, random_state=seed, tol=1e-10, max_iter=2000,
                            reg_covar=0).fit(X)
    assert_allclose(model.score(X) * len(X), -71.0634, atol=1e-4)


def test_given_start_is_exact_and_matches_gaussian_mixture():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-2, 0.5, (100, 2)), rng.normal(1, 1.0, (150, 2))])
    family = GaussianDiag([[-1.0, -1.0], [0.5, 0.5]], np.ones((2, 2)))
    ours = MixtureModel(family, weights=[0.3, 0.7], tol=0, max_iter=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X)
        gm = GaussianMixture(2, covariance_type="diag", weights_init=[0.3, 0.7],
                             means_init=family.means, precisions_init=np.ones((2, 2)),
                             tol=0, max_iter=15).fit(X)
    assert_allclose(ours.weights_, gm.weights_, rtol=1e-10)
    assert_allclose(ours.components_.covariances, gm.covariances_, rtol=1e-10)
    assert_allclose(ours.lower_bounds_, gm.lower_bounds_, rtol=1e-12)


def test_sample_weights_equal_repeated_rows():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(-2, 0.5, (40, 1)), rng.normal(1, 1.0, (60, 1))])
    counts = rng.integers(0, 4, size=len(X))
    start = dict(components=_two_gaussians(-1.0, 0.5), weights=[0.5, 0.5], tol=0, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = MixtureModel(**start).fit(X, sample_weight=counts)
        repeated = MixtureModel(**start).fit(np.repeat(X, counts, axis=0))
    assert_allclose(weighted.weights_, repeated.weights_, rtol=1e-10)
    assert_allclose(weighted.components_.covariances, repeated.components_.covariances,
                    rtol=1e-10)
    assert_allclose(weighted.lower_bound_, repeated.lower_bound_, rtol=1e-10)


def test_bad_components_and_weights_are_one_sentence():
    X = np.arange(10.0)[:, None]
    with pytest.raises(ValueError, match="weights must be 2 non-negative numbers"):
        MixtureModel(_two_gaussians(0, 1), weights=[0.9, 0.3]).fit(X)
    mixed = [GaussianFull([[0.0]], [[[1.0]]]), GaussianDiag([[0.0]], [[1.0]])]
    with pytest.raises(TypeError, match="must all be of one family"):
        MixtureModel(mixed).fit(X)


def test_history_records_every_iteration_as_a_textbook_table():
    X = load_exercise_9_3().astype(float)
    model = MixtureModel(_two_gaussians(-50.0, 30.0, 100.0, 400.0), weights=[0.2, 0.8],
                         tol=0, max_iter=3, record_params=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
    assert [h["iteration"] for h in model.history_] == [1, 2, 3]
    assert_allclose([h["log_likelihood"] for h in model.history_], model.lower_bounds_)
    # Iteration 1's parameters are one textbook EM step from the start.
    dens = np.array([0.2, 0.8]) * np.exp(-0.5 * (X - [-50.0, 30.0]) ** 2 / [100.0, 400.0]) \
        / np.sqrt(2 * np.pi * np.array([100.0, 400.0]))
    resp = dens / dens.sum(axis=1, keepdims=True)
    assert_allclose(model.history_[0]["weights"], resp.mean(axis=0), rtol=1e-10)
    assert_allclose(model.history_[0]["means"].ravel(), resp.T @ X[:, 0] / resp.sum(axis=0),
                    rtol=1e-10)
    assert_allclose(model.history_[-1]["means"], model.components_.means)


def _three_coins(pi, p, q):
    from emkit.families import Bernoulli
    return MixtureModel([Bernoulli(p=p), Bernoulli(p=q)], weights=[pi, 1 - pi], tol=1e-12,
                        max_iter=1000)


def test_three_coins_from_equal_coins_is_the_books_first_answer():
    from emkit.datasets import load_three_coins
    X = load_three_coins()
    with pytest.warns(IdenticalComponentsWarning):
        model = _three_coins(0.5, 0.5, 0.5).fit(X)
    assert_allclose(model.weights_, [0.5, 0.5], atol=1e-4)
    assert_allclose(model.components_.p.ravel(), [0.6, 0.6], atol=1e-4)


def test_three_coins_from_the_second_start_is_the_books_second_answer():
    from emkit.datasets import load_three_coins
    model = _three_coins(0.4, 0.6, 0.7).fit(load_three_coins())
    assert_allclose(model.weights_[0], 0.4064, atol=1e-4)
    assert_allclose(model.components_.p.ravel(), [0.5368, 0.6432], atol=1e-4)


def test_values_outside_the_support_name_the_column():
    from emkit.families import Bernoulli
    X = np.array([[0.0, 1.0], [1.0, 2.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="Column 1 holds the value 2"):
        MixtureModel([Bernoulli(p=[[0.3, 0.5]]), Bernoulli(p=[[0.6, 0.5]])]).fit(X)


def test_hard_assignment_with_equal_spherical_gaussians_is_k_means():
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from emkit.families import GaussianSpherical
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = centres[rng.integers(0, 3, 600)] + rng.normal(size=(600, 2))
    start = X[rng.choice(600, 3, replace=False)]
    model = MixtureModel(GaussianSpherical(start, np.ones(3)), assignment="hard",
                         max_iter=100, tol=1e-12).fit(X)
    kmeans = KMeans(3, init=start, n_init=1).fit(X)
    assert adjusted_rand_score(kmeans.labels_, model.predict(X)) == 1.0
    # Each component is the mean of its hard cluster, exactly.
    labels = model.predict(X)
    for k in range(3):
        assert_allclose(model.components_.means[k], X[labels == k].mean(axis=0), rtol=1e-10)
    # The objective is the classification log-likelihood, which never falls.
    assert np.all(np.diff(model.lower_bounds_) >= -1e-12)


def test_verbose_2_prints_the_textbook_iteration_table(capsys):
    from emkit.datasets import load_three_coins
    from emkit.families import Bernoulli
    MixtureModel([Bernoulli(p=0.6), Bernoulli(p=0.7)], weights=[0.4, 0.6], verbose=2,
                 tol=1e-8).fit(load_three_coins())
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["iter", "log-likelihood", "change", "parameters"]
    first = lines[2].split()
    assert first[0] == "1" and first[3] == "weights=[0.4064,0.5936]"
    assert first[4] == "p=[0.5368,0.6432]"
    assert lines[-1].startswith("Initialization converged.")


@pytest.mark.parametrize("distance", [1e3, 1e6, 1e9])
def test_no_start_however_far_gives_nan(distance):
    X = load_exercise_9_3().astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixtureModel(_two_gaussians(-distance, distance), tol=1e-10,
                             max_iter=500).fit(X)
    assert np.all(np.isfinite(model.components_.means))
    assert np.all(np.isfinite(model.components_.covariances))
    assert np.isfinite(model.score(X)) and np.all(np.isfinite(model.weights_))


def test_generic_mixtures_share_sample_bic_aic_and_warm_start():
    from emkit import PoissonMixture
    rng = np.random.default_rng(5)
    X = np.vstack([rng.poisson(2.0, (200, 2)), rng.poisson(15.0, (200, 2))]).astype(float)
    model = PoissonMixture(2, random_state=0, max_iter=3, tol=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
        first = list(model.lower_bounds_)
        model.fit(X)  # continues from the fitted parameters
    assert model.lower_bounds_[0] >= first[-1] - 1e-12
    n_params = 2 * 2 + 1
    assert_allclose(model.bic(X), -2 * model.score(X) * len(X) + n_params * np.log(len(X)))
    assert_allclose(model.aic(X), -2 * model.score(X) * len(X) + 2 * n_params)
    draws, labels = model.sample(5000)
    assert draws.shape == (5000, 2) and set(np.unique(labels)) <= {0, 1}
    assert_allclose(draws.mean(axis=0), model.weights_ @ model.means_, rtol=0.05)
