"""Missing values through the estimators: mixtures and HMMs fit the observed-data likelihood.

Oracles: a plain row-by-row marginal density (scipy.stats on each row's observed
coordinates), brute-force HMM path enumeration with marginalised emissions, and a
simulation against the truth and against the usual work-arounds (mean imputation,
dropping incomplete rows).
"""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import logsumexp

import emkit

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def _three_blobs(n=1000, seed=0):
    rng = np.random.RandomState(seed)
    means = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 5.0, 5.0]])
    covs = np.array([[[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]],
                     [[1.0, -0.4, 0.0], [-0.4, 1.5, 0.2], [0.0, 0.2, 0.8]],
                     [[0.7, 0.1, 0.3], [0.1, 1.2, -0.3], [0.3, -0.3, 1.0]]])
    labels = rng.randint(3, size=n)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in labels])
    return X, means, covs


def _remove(X, share, seed=1):
    rng = np.random.RandomState(seed)
    X = X.copy()
    X[rng.uniform(size=X.shape) < share] = np.nan
    return X


def _full_covariances(gm):
    K, D = gm.means_.shape
    cov = np.asarray(gm.covariances_)
    if gm.covariance_type == "full":
        return cov
    if gm.covariance_type == "tied":
        return np.tile(cov, (K, 1, 1))
    if gm.covariance_type == "diag":
        return np.array([np.diag(c) for c in cov])
    return cov[:, None, None] * np.eye(D)


def _row_by_row_log_joint(gm, X):
    # log w_k + log N(x_O; mu_O, Sigma_OO), one row and one component at a time.
    covs = _full_covariances(gm)
    out = np.zeros((len(X), len(gm.weights_)))
    for i, row in enumerate(X):
        observed = ~np.isnan(row)
        for k in range(len(gm.weights_)):
            density = 0.0
            if observed.any():
                density = stats.multivariate_normal.logpdf(
                    row[observed], gm.means_[k, observed],
                    covs[k][np.ix_(observed, observed)])
            out[i, k] = np.log(gm.weights_[k]) + density
    return out


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_scores_and_posteriors_equal_a_row_by_row_marginal(covariance_type):
    X, _, _ = _three_blobs(300)
    X = _remove(X, 0.2)
    X[5] = np.nan  # a row with nothing observed
    gm = emkit.GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    log_joint = _row_by_row_log_joint(gm, X)
    reference = logsumexp(log_joint, axis=1)
    assert_allclose(gm.score_samples(X), reference, rtol=1e-10, atol=1e-10)
    assert_allclose(gm.predict_proba(X), np.exp(log_joint - reference[:, None]), atol=1e-10)
    assert np.array_equal(gm.predict(X), log_joint.argmax(axis=1))
    # A row with nothing observed has density 1 and the prior weights as its posterior.
    assert gm.score_samples(X[5:6])[0] == 0.0
    assert_allclose(gm.predict_proba(X[5:6])[0], gm.weights_, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_likelihood_never_falls_and_the_fit_is_finite(covariance_type):
    X = _remove(_three_blobs(400)[0], 0.3)
    gm = emkit.GaussianMixture(3, covariance_type=covariance_type, tol=1e-8, max_iter=300,
                               random_state=0).fit(X)
    history = np.asarray(gm.lower_bounds_)
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))
    assert gm.converged_
    assert np.all(np.isfinite(gm.means_)) and np.all(np.isfinite(gm.covariances_))


def test_rows_with_nothing_observed_do_not_change_the_fit():
    X, means, covs = _three_blobs(300)
    X = _remove(X, 0.2)
    padded = np.vstack([X[:100], np.full((7, 3), np.nan), X[100:]])
    # A start that does not depend on the data (k-means would see the padded rows).
    start = dict(n_components=3, means_init=means, weights_init=np.full(3, 1 / 3),
                 precisions_init=np.linalg.inv(covs), tol=0, max_iter=10)
    plain = emkit.GaussianMixture(**start).fit(X)
    with_empty = emkit.GaussianMixture(**start).fit(padded)
    assert_allclose(with_empty.means_, plain.means_, rtol=1e-10)
    assert_allclose(with_empty.weights_, plain.weights_, rtol=1e-10)
    assert_allclose(with_empty.covariances_, plain.covariances_, rtol=1e-10)


def test_a_column_with_nothing_observed_is_one_clear_error():
    X = _three_blobs(50)[0]
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"^Column 1 of X has no observed value"):
        emkit.GaussianMixture(2).fit(X)


def test_infinity_is_still_rejected():
    X = _three_blobs(50)[0]
    X[3, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        emkit.GaussianMixture(2).fit(X)


def test_allow_nan_tag():
    assert emkit.GaussianMixture().__sklearn_tags__().input_tags.allow_nan


def test_impute_fills_with_the_posterior_weighted_conditional_mean():
    X = _remove(_three_blobs(300)[0], 0.2)
    gm = emkit.GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
    filled = gm.impute(X)
    log_joint = _row_by_row_log_joint(gm, X)
    resp = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
    for i in np.flatnonzero(np.isnan(X).any(axis=1))[:40]:
        row, missing = X[i], np.isnan(X[i])
        observed = ~missing
        expected = np.zeros(missing.sum())
        for k in range(3):
            cov = gm.covariances_[k]
            conditional = gm.means_[k, missing]
            if observed.any():
                conditional = conditional + cov[np.ix_(missing, observed)] @ np.linalg.solve(
                    cov[np.ix_(observed, observed)], row[observed] - gm.means_[k, observed])
            expected += resp[i, k] * conditional
        assert_allclose(filled[i, missing], expected, rtol=1e-9, atol=1e-9)
        assert_allclose(filled[i, observed], row[observed], rtol=0, atol=0)
    assert not np.isnan(filled).any()


def _mean_error(estimate, truth):
    # Match components by their nearest true mean, then the root-mean-square error.
    order = [int(np.argmin(np.linalg.norm(truth - m, axis=1))) for m in estimate]
    return float(np.sqrt(np.mean((estimate - truth[order]) ** 2)))


def test_simulation_beats_mean_imputation_and_dropping_rows():
    errors = {"em": [], "mean imputation": [], "complete rows": []}
    for seed in range(8):
        X, means, _ = _three_blobs(1000, seed)
        X_missing = _remove(X, 0.1, seed + 100)
        fits = {
            "em": X_missing,
            "mean imputation": np.where(np.isnan(X_missing), np.nanmean(X_missing, axis=0),
                                        X_missing),
            "complete rows": X_missing[~np.isnan(X_missing).any(axis=1)],
        }
        for name, data in fits.items():
            gm = emkit.GaussianMixture(3, means_init=means, random_state=seed).fit(data)
            errors[name].append(_mean_error(gm.means_, means))
    em, imputed, dropped = (np.mean(errors[k]) for k in errors)
    # Within sampling error of the truth: about sigma / sqrt(n_k), n_k ~ 330.
    assert em < 0.1
    assert em < 0.6 * imputed
    assert em < dropped


def _brute_force_hmm(startprob, transmat, log_frame):
    T, K = log_frame.shape
    totals = [np.log(startprob[p[0]]) + log_frame[0, p[0]]
              + sum(np.log(transmat[p[t - 1], p[t]]) + log_frame[t, p[t]] for t in range(1, T))
              for p in itertools.product(range(K), repeat=T)]
    return logsumexp(totals)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gaussian_hmm_with_missing_emissions_equals_brute_force(covariance_type):
    rng = np.random.RandomState(3)
    model = emkit.GaussianHMM(2, covariance_type, init_params="", params="")
    model.startprob_ = np.array([0.3, 0.7])
    model.transmat_ = np.array([[0.8, 0.2], [0.4, 0.6]])
    model.means_ = np.array([[0.0, 1.0], [2.0, -1.0]])
    model.covars_ = {"full": np.array([[[1.0, 0.3], [0.3, 2.0]], [[0.5, -0.1], [-0.1, 1.0]]]),
                     "tied": np.array([[1.0, 0.3], [0.3, 2.0]]),
                     "diag": np.array([[1.0, 2.0], [0.5, 1.0]]),
                     "spherical": np.array([1.0, 0.5])}[covariance_type]
    X = rng.normal(size=(5, 2))
    X[1, 0] = X[3, 1] = np.nan
    X[4] = np.nan
    covs = model.covars_
    log_frame = np.zeros((5, 2))
    for t, row in enumerate(X):
        observed = ~np.isnan(row)
        for k in range(2):
            if observed.any():
                log_frame[t, k] = stats.multivariate_normal.logpdf(
                    row[observed], model.means_[k, observed], covs[k][np.ix_(observed, observed)])
    assert_allclose(model.score(X), _brute_force_hmm(model.startprob_, model.transmat_,
                                                     log_frame), rtol=1e-10)
    filled = model.impute(X)
    assert not np.isnan(filled).any() and np.array_equal(filled[0], X[0])


def test_gaussian_hmm_fits_sequences_with_missing_values():
    truth = emkit.GaussianHMM(2, "full", init_params="", params="")
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
    truth.means_ = np.array([[0.0, 0.0], [4.0, 4.0]])
    truth.covars_ = np.array([np.eye(2), [[1.0, 0.5], [0.5, 1.0]]])
    X, states = truth.sample(3000, random_state=0)
    X_missing = _remove(X, 0.15)
    fitted = emkit.GaussianHMM(2, "full", n_iter=100, random_state=0).fit(X_missing)
    order = np.argsort(fitted.means_[:, 0])
    assert_allclose(fitted.means_[order], truth.means_, atol=0.15)
    assert_allclose(fitted.transmat_[np.ix_(order, order)], truth.transmat_, atol=0.05)
    assert np.mean(order[fitted.predict(X_missing)] == states) > 0.95


def test_poisson_and_bernoulli_mixtures_fit_and_impute_with_missing_values():
    rng = np.random.RandomState(0)
    rates = np.array([[1.0, 8.0, 3.0], [9.0, 1.0, 5.0]])
    labels = rng.randint(2, size=800)
    X = rng.poisson(rates[labels]).astype(float)
    X_missing = _remove(X, 0.15)
    pm = emkit.PoissonMixture(2, random_state=0).fit(X_missing)
    order = np.argsort(pm.means_[:, 0])
    assert_allclose(pm.means_[order], rates, rtol=0.1)
    # Row by row: the observed entries' Poisson log-pmf, summed, mixed by the weights.
    observed = ~np.isnan(X_missing)
    log_pmf = np.stack([np.where(observed, stats.poisson.logpmf(np.nan_to_num(X_missing), r), 0)
                        .sum(axis=1) for r in pm.means_], axis=1)
    reference = logsumexp(log_pmf + np.log(pm.weights_), axis=1)
    scores = pm.score_samples(X_missing)
    assert_allclose(scores, reference, rtol=1e-10, atol=1e-12)
    # Rows with nothing observed have density 1 exactly, whatever the kernels round.
    assert np.all(scores[~observed.any(axis=1)] == 0.0) and (~observed.any(axis=1)).any()
    resp = np.exp(log_pmf + np.log(pm.weights_) - reference[:, None])
    filled = pm.impute(X_missing)
    assert_allclose(filled, np.where(observed, X_missing, resp @ pm.means_), rtol=1e-10)

    B = (rng.uniform(size=(600, 4)) < np.array([[0.9, 0.1, 0.8, 0.2]])).astype(float)
    bm = emkit.BernoulliMixture(2, random_state=0).fit(_remove(B, 0.1))
    assert np.all(np.isfinite(bm.means_)) and bm.converged_


def test_poisson_and_categorical_hmms_with_missing_values_equal_brute_force():
    startprob, transmat = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.2, 0.8]])
    poisson = emkit.PoissonHMM(2, init_params="", params="")
    poisson.startprob_, poisson.transmat_ = startprob, transmat
    poisson.lambdas_ = np.array([[1.0, 5.0], [4.0, 0.5]])
    X = np.array([[0.0, 4.0], [np.nan, 1.0], [3.0, np.nan], [np.nan, np.nan], [5.0, 0.0]])
    log_frame = np.stack([np.where(np.isnan(X), 0, stats.poisson.logpmf(np.nan_to_num(X), lam))
                          .sum(axis=1) for lam in poisson.lambdas_], axis=1)
    assert_allclose(poisson.score(X), _brute_force_hmm(startprob, transmat, log_frame),
                    rtol=1e-12)
    categorical = emkit.CategoricalHMM(2, init_params="", params="")
    categorical.startprob_, categorical.transmat_ = startprob, transmat
    categorical.emissionprob_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    symbols = np.array([[0.0], [np.nan], [2.0], [1.0], [np.nan]])
    log_frame = np.array([[0.0, 0.0] if np.isnan(s) else np.log(
        categorical.emissionprob_[:, int(s)]) for s in symbols[:, 0]])
    assert_allclose(categorical.score(symbols), _brute_force_hmm(startprob, transmat, log_frame),
                    rtol=1e-12)
    fitted = emkit.CategoricalHMM(2, random_state=0, n_iter=5).fit(
        np.where(np.random.RandomState(0).uniform(size=(200, 1)) < 0.1, np.nan,
                 np.random.RandomState(1).randint(3, size=(200, 1))))
    assert np.all(np.isfinite(fitted.emissionprob_))
