"""Missing entries (NaN) in the per-column families, against row-by-row references.

A component's log-density is a sum over columns, so a missing entry adds nothing and the
M-step is each column's weighted MLE over the rows that observe it. The references take
one row, column and component at a time (scipy.stats for the densities, the closed-form
MLEs, scipy.optimize for the Gamma shape); without NaN every number must be exactly what
the complete-data formulas give.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, stats
from scipy.special import digamma, gammaln

from emkit.families import (Bernoulli, Binomial, Categorical, Exponential, Gamma, LogNormal,
                            Multinomial, Poisson)
from emkit.families._columns import ColumnSums, xlogy_dot
from emkit.families.discrete import Categorical as DiscreteCategorical
from emkit.families.discrete import CategoricalStats
from emkit.families.independent import Independent, IndependentStats
from emkit.families.gamma import GammaStats
from emkit.families.lognormal import LogNormalStats

K, D = 3, 4
N_TRIALS = 5
N_CATEGORIES = (2, 3, 4, 4)
LOG_TOL = 1e-12
MLE_TOL = 1e-8

# Independent: Categorical on columns 1 and 3, LogNormal on 0, 4 and 2 (interleaved, so
# that a part's local columns differ from the columns of X).
INDEPENDENT_COLUMNS = [[1, 3], [0, 4, 2]]


def _categorical_probs(rng, n_categories=N_CATEGORIES):
    probs = np.zeros((K, len(n_categories), max(n_categories)))
    for d, c in enumerate(n_categories):
        probs[:, d, :c] = rng.dirichlet(np.ones(c), size=K)
    return probs


def _all(seed=0):
    rng = np.random.default_rng(seed)
    return [Bernoulli(rng.uniform(0.1, 0.9, size=(K, D))),
            Binomial(rng.uniform(0.1, 0.9, size=(K, D)), n_trials=N_TRIALS),
            Poisson(rng.uniform(0.5, 6.0, size=(K, D))),
            Categorical(_categorical_probs(rng), N_CATEGORIES),
            Exponential(rng.uniform(0.2, 3.0, size=(K, D))),
            Gamma(rng.uniform(0.5, 8.0, size=(K, D)), rng.uniform(0.2, 3.0, size=(K, D))),
            LogNormal(rng.normal(scale=2.0, size=(K, D)), rng.uniform(0.2, 1.5, size=(K, D))),
            Independent([Categorical(_categorical_probs(rng, (3, 2)), (3, 2)),
                         LogNormal(rng.normal(size=(K, 3)), rng.uniform(0.3, 1.5, size=(K, 3)))],
                        INDEPENDENT_COLUMNS)]


IDS = ["Bernoulli", "Binomial", "Poisson", "Categorical", "Exponential", "Gamma", "LogNormal",
       "Independent"]


def _complete(family, n=90, seed=1):
    rng = np.random.RandomState(seed)
    labels = rng.randint(K, size=n)
    X = np.vstack([family.sample(k, int(np.sum(labels == k)), rng) for k in range(K)])
    return X[rng.permutation(n)]


def _punch(X, seed=2):
    """X with every count of missing entries per row, 0 to all, each column kept observed."""
    rng = np.random.default_rng(seed)
    X = X.copy()
    n, width = X.shape
    for i in range(n):
        X[i, rng.choice(width, size=i % (width + 1), replace=False)] = np.nan
    assert not np.isnan(X).all(axis=0).any() and np.isnan(X).all(axis=1).any()
    return X


def _weights(n, seed=3):
    return np.random.default_rng(seed).dirichlet(np.ones(K), size=n)


# -- references: one column, one component, observed entries only --------------------


def _column_log_pdf(family, k, d, x):
    """scipy's log-pmf/pdf of the observed values ``x`` of column ``d`` under component k."""
    if isinstance(family, Bernoulli):
        return stats.bernoulli(family.p[k, d]).logpmf(x)
    if isinstance(family, Binomial):
        return stats.binom(family.n_trials, family.p[k, d]).logpmf(x)
    if isinstance(family, Poisson):
        return stats.poisson(family.rate[k, d]).logpmf(x)
    if isinstance(family, Categorical):
        c = family.n_categories[d]
        return stats.multinomial(1, family.probs[k, d, :c]).logpmf(
            (x.astype(int)[:, None] == np.arange(c)).astype(int))
    if isinstance(family, Exponential):
        return stats.expon(scale=1.0 / family.rate[k, d]).logpdf(x)
    if isinstance(family, Gamma):
        return stats.gamma(family.shape[k, d], scale=1.0 / family.rate[k, d]).logpdf(x)
    return stats.lognorm(family.sigma[k, d], scale=np.exp(family.mu[k, d])).logpdf(x)


def _parts(family):
    """(part, its columns of X) for every part; a plain family is its own single part."""
    if isinstance(family, Independent):
        return list(zip(family.families, family.columns))
    return [(family, tuple(range(family.n_features)))]


def _reference_log_prob(family, X):
    out = np.zeros((len(X), family.n_components))
    for i in range(len(X)):
        for part, columns in _parts(family):
            for local, d in enumerate(columns):
                if np.isnan(X[i, d]):
                    continue
                for k in range(family.n_components):
                    out[i, k] += _column_log_pdf(part, k, local, X[i:i + 1, d])[0]
    return out


def _gamma_reference(x, w):
    # The weighted Gamma MLE: shape from the score equation by brentq, rate = shape / mean.
    mean = np.sum(w * x) / np.sum(w)
    gap = np.log(mean) - np.sum(w * np.log(x)) / np.sum(w)
    shape = optimize.brentq(lambda a: np.log(a) - digamma(a) - gap, 1e-8, 1e12,
                            xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    return shape, shape / mean


def _reference_mle(part, x, w, k, local):
    """The fitted parameters of column ``local`` of component k from observed ``x``, ``w``."""
    total = np.sum(w)
    if isinstance(part, (Bernoulli, Poisson)):
        return [np.sum(w * x) / total]
    if isinstance(part, Binomial):
        return [np.sum(w * x) / (part.n_trials * total)]
    if isinstance(part, Categorical):
        c = np.arange(part.max_categories)
        return [(w[:, None] * (x[:, None] == c)).sum(axis=0) / total]
    if isinstance(part, Exponential):
        return [total / np.sum(w * x)]
    if isinstance(part, Gamma):
        return list(_gamma_reference(x, w))
    mu = np.sum(w * np.log(x)) / total
    var = np.sum(w * (np.log(x) - mu) ** 2) / total
    return [mu, np.sqrt(var + part.reg_var)]


def _params(part, k, local):
    return [np.asarray(getattr(part, name))[k, local] for name in part.component_fields]


def _check_fitted(family, fitted, X, W):
    for (part, columns), (new, _) in zip(_parts(family), _parts(fitted)):
        for local, d in enumerate(columns):
            seen = ~np.isnan(X[:, d])
            for k in range(family.n_components):
                w = W[seen, k]
                got = _params(new, k, local)
                if w.sum() == 0.0:
                    want = _params(part, k, local)
                    for g, e in zip(got, want):
                        assert_array_equal(g, e)
                    continue
                want = _reference_mle(part, X[seen, d], w, k, local)
                for g, e in zip(got, want):
                    assert_allclose(g, e, rtol=MLE_TOL, atol=1e-14)


# -- (a) log_prob ---------------------------------------------------------------------


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_log_prob_sums_the_observed_columns(family):
    X = _punch(_complete(family, n=45))
    got = family.log_prob(X)
    assert_allclose(got, _reference_log_prob(family, X), rtol=LOG_TOL, atol=LOG_TOL)
    empty = np.isnan(X).all(axis=1)
    assert np.all(got[empty] == 0.0)
    prepared = family.prepare(X)
    assert_allclose(family.log_prob_prepared(prepared), got, rtol=LOG_TOL, atol=LOG_TOL)


@pytest.mark.parametrize("family", [Bernoulli([[0.0, 1.0, 0.5]]),
                                    Binomial([[0.0, 1.0, 0.5]], n_trials=3),
                                    Poisson([[0.0, 2.0, 1.0]])],
                         ids=["Bernoulli", "Binomial", "Poisson"])
def test_impossible_values_stay_impossible_beside_missing_ones(family):
    # A probability (or rate) of 0 or 1 gives -inf where the data forbid it, 0 from a
    # missing entry in that column, and no NaN from 0 * log 0.
    X = np.array([[np.nan, 1, 1], [1, np.nan, 0], [np.nan, np.nan, np.nan], [0, 0, np.nan]])
    got = family.log_prob(X)
    expected = _reference_log_prob(family, X)
    assert not np.isnan(got).any()
    assert_array_equal(np.isneginf(got), np.isneginf(expected))
    finite = np.isfinite(expected)
    assert_allclose(got[finite], expected[finite], rtol=LOG_TOL, atol=LOG_TOL)


# -- (b) maximize ---------------------------------------------------------------------


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_maximize_is_the_observed_data_mle(family):
    X = _punch(_complete(family, n=120, seed=4), seed=5)
    W = _weights(len(X), seed=6)
    stats_ = family.accumulate(X, W)
    fitted = family.maximize(stats_)
    assert type(fitted) is type(family)
    _check_fitted(family, fitted, X, W)


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_columns_without_observed_weight_keep_their_parameters(family):
    # Component 2 weighs only rows where column 0 is missing, component 1 nothing at all:
    # both keep their parameters where they have no observed weight, and only there.
    X = _punch(_complete(family, n=120, seed=7), seed=8)
    W = _weights(len(X), seed=9)
    W[:, 1] = 0.0
    W[~np.isnan(X[:, 0]), 2] = 0.0
    fitted = family.maximize(family.accumulate(X, W))
    _check_fitted(family, fitted, X, W)
    for (part, columns), (new, _) in zip(_parts(family), _parts(fitted)):
        for name in part.component_fields:
            assert_array_equal(getattr(new, name)[1], getattr(part, name)[1])
            if 0 in columns:
                local = columns.index(0)
                assert_array_equal(getattr(new, name)[2, local], getattr(part, name)[2, local])


def test_categorical_probabilities_normalize_per_column():
    family = _all()[3]
    X = _punch(_complete(family, n=200, seed=10), seed=11)
    W = _weights(len(X), seed=12)
    stats_ = family.accumulate(X, W)
    observed = (~np.isnan(X)).astype(float)
    assert_allclose(stats_.counts.sum(axis=2), W.T @ observed, rtol=1e-13)
    assert_allclose(stats_.column_weight, W.T @ observed, rtol=1e-13)
    fitted = family.maximize(stats_)
    assert_allclose(fitted.probs.sum(axis=2), 1.0, rtol=0, atol=1e-14)


def test_em_on_missing_data_never_lowers_the_observed_likelihood():
    # The E-step, accumulate and maximize together are EM for the observed-data
    # likelihood of a mixture: each iteration may not lower it.
    truth = _all(seed=13)[7]
    X = _punch(_complete(truth, n=300, seed=14), seed=15)
    family = _all(seed=16)[7]
    weights = np.full(K, 1.0 / K)
    previous = -np.inf
    for _ in range(25):
        joint = family.log_prob(X) + np.log(weights)
        top = joint.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(joint - top).sum(axis=1))
        value = log_norm.sum()
        assert value >= previous - 1e-9 * abs(value)
        previous = value
        resp = np.exp(joint - log_norm[:, None])
        weights = resp.sum(axis=0) / len(X)
        family = family.maximize(family.accumulate(X, resp))


# -- (c) without NaN, exactly the complete-data numbers --------------------------------


def _log1m(p):
    with np.errstate(divide="ignore"):
        return np.log1p(-p)


def _complete_log_prob(family, X):
    """The complete-data log-probabilities, formula for formula."""
    if isinstance(family, Bernoulli):
        return xlogy_dot(X, family.p) + xlogy_dot(1.0 - X, 1.0 - family.p, _log1m(family.p))
    if isinstance(family, Binomial):
        n = float(family.n_trials)
        log_choose = (gammaln(n + 1.0) - gammaln(X + 1.0) - gammaln(n - X + 1.0)).sum(axis=1)
        return (log_choose[:, None] + xlogy_dot(X, family.p)
                + xlogy_dot(n - X, 1.0 - family.p, _log1m(family.p)))
    if isinstance(family, Poisson):
        return (xlogy_dot(X, family.rate) - family.rate.sum(axis=1)
                - gammaln(X + 1.0).sum(axis=1)[:, None])
    if isinstance(family, Categorical):
        codes = X.astype(np.intp)
        with np.errstate(divide="ignore"):
            log_probs = np.log(family.probs)
        out = np.zeros((len(X), family.n_components))
        for d in range(family.n_features):
            out += log_probs[:, d, codes[:, d]].T
        return out
    if isinstance(family, Exponential):
        return np.log(family.rate).sum(axis=1) - X @ family.rate.T
    log_x = np.log(X)
    if isinstance(family, Gamma):
        a, b = family.shape, family.rate
        return (a * np.log(b) - gammaln(a)).sum(axis=1) + log_x @ (a - 1.0).T - X @ b.T
    shift = family.mu.mean(axis=0)
    precision = 1.0 / family.sigma**2
    centred = family.mu - shift
    const = (-0.5 * np.log(2.0 * np.pi) - np.log(family.sigma)
             - 0.5 * precision * centred**2).sum(axis=1)
    c = log_x - shift
    return (const - log_x.sum(axis=1)[:, None] + c @ (precision * centred).T
            - 0.5 * (c * c) @ precision.T)


def _complete_stats(family, X, W):
    """The complete-data statistics, (weight, the other arrays)."""
    weight = W.sum(axis=0)
    if isinstance(family, Categorical):
        codes = X.astype(np.intp)
        counts = np.empty((K, family.n_features, family.max_categories))
        for d in range(family.n_features):
            counts[:, d, :] = W.T @ (codes[:, d, None] == np.arange(family.max_categories)
                                   ).astype(np.float64)
        return weight, [counts]
    if isinstance(family, Gamma):
        return weight, [W.T @ X, W.T @ np.log(X)]
    if isinstance(family, LogNormal):
        return weight, [W.T @ np.log(X), W.T @ (np.log(X) * np.log(X))]
    return weight, [W.T @ X]


def _complete_fit(family, weight, arrays):
    """The complete-data M-step, formula for formula (every component has weight)."""
    w = weight[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(family, Bernoulli):
            return [np.clip(arrays[0] / w, 0.0, 1.0)]
        if isinstance(family, Binomial):
            return [np.clip(arrays[0] / (family.n_trials * w), 0.0, 1.0)]
        if isinstance(family, Poisson):
            return [np.maximum(arrays[0] / w, 0.0)]
        if isinstance(family, Categorical):
            return [arrays[0] / weight[:, None, None]]
        if isinstance(family, Exponential):
            return [w / arrays[0]]
    if isinstance(family, Gamma):
        from emkit.families.gamma import gamma_shape
        mean = arrays[0] / w
        shape = gamma_shape(np.log(mean) - arrays[1] / w)
        return [shape, shape / mean]
    mu = arrays[0] / w
    second = arrays[1] / w
    variance = second - mu**2
    variance = np.where(variance > 16 * np.finfo(float).eps * second, variance, 0.0)
    return [mu, np.sqrt(variance + family.reg_var)]


@pytest.mark.parametrize("family", _all()[:7], ids=IDS[:7])
def test_without_nan_every_number_is_the_complete_data_one(family):
    X = _complete(family, n=70, seed=17)
    W = _weights(len(X), seed=18)
    # The log-densities are matrix products, rearranged (e.g. x * logit + log(1 - p)),
    # and the statistics sums taken in another order (a compiled loop for categorical
    # counts, BLAS elsewhere, whose kernels sum in different orders on other processors):
    # equal to the formula up to rounding.
    assert_allclose(family.log_prob(X), _complete_log_prob(family, X), rtol=1e-13, atol=1e-13)
    stats_ = family.accumulate(X, W)
    weight, arrays = _complete_stats(family, X, W)
    assert stats_.weight.dtype == weight.dtype
    assert_allclose(stats_.weight, weight, rtol=1e-12, atol=1e-12)
    names = [f for f in vars(stats_) if f not in ("weight", "column_weight")]
    for name, expected in zip(names, arrays):
        assert_allclose(getattr(stats_, name), expected, rtol=1e-12, atol=1e-12)
    assert_allclose(stats_.column_weight, np.repeat(weight[:, None], family.n_features, 1),
                    rtol=1e-12, atol=1e-12)
    fitted = family.maximize(stats_)
    for name, expected in zip(family.component_fields, _complete_fit(family, weight, arrays)):
        assert_allclose(getattr(fitted, name), expected, rtol=1e-12, atol=1e-12)


def test_without_nan_independent_is_the_sum_of_complete_parts():
    family = _all()[7]
    X = _complete(family, n=70, seed=19)
    W = _weights(len(X), seed=20)
    expected = sum(_complete_log_prob(part, X[:, list(columns)])
                   for part, columns in _parts(family))
    assert_allclose(family.log_prob(X), expected, rtol=1e-13, atol=1e-13)
    fitted = family.maximize(family.accumulate(X, W))
    for (part, columns), (new, _) in zip(_parts(family), _parts(fitted)):
        weight, arrays = _complete_stats(part, X[:, list(columns)], W)
        for name, want in zip(part.component_fields, _complete_fit(part, weight, arrays)):
            assert_allclose(getattr(new, name), want, rtol=1e-12, atol=1e-12)


def test_statistics_built_without_column_weight_repeat_the_component_weight():
    weight, sums = np.array([1.0, 2.5]), np.arange(6.0).reshape(2, 3)
    stats_ = ColumnSums(weight, sums)
    assert_array_equal(stats_.column_weight, [[1.0] * 3, [2.5] * 3])
    assert_array_equal(CategoricalStats(weight, np.zeros((2, 3, 4))).column_weight,
                       stats_.column_weight)
    assert_array_equal(GammaStats(weight, sums, sums).column_weight, stats_.column_weight)
    assert_array_equal(LogNormalStats(weight, sums, sums).column_weight, stats_.column_weight)
    assert_array_equal(stats_.scale(2.0).column_weight, 2.0 * stats_.column_weight)


# -- (d) chunks with and without NaN add up ----------------------------------------------


def _fields(stats_):
    if isinstance(stats_, IndependentStats):
        return [value for part in stats_.parts for value in _fields(part)]
    return [np.asarray(value) for value in vars(stats_).values()]


@pytest.mark.parametrize("family", _all(), ids=IDS)
@pytest.mark.parametrize("complete_first", [True, False], ids=["complete-first", "nan-first"])
def test_chunks_with_and_without_nan_add_up(family, complete_first):
    X = _complete(family, n=100, seed=21)
    n = 40
    if complete_first:
        X[n:] = _punch(X[n:], seed=22)
    else:
        X[:n] = _punch(X[:n], seed=22)
    W = _weights(len(X), seed=23)
    whole = family.accumulate(X, W)
    parts = family.accumulate(X[:n], W[:n]) + family.accumulate(X[n:], W[n:])
    assert type(parts) is type(whole)
    for got, want in zip(_fields(parts), _fields(whole), strict=True):
        assert got.shape == want.shape and got.dtype == np.float64
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for got, want in zip(_parts(family.maximize(parts)), _parts(family.maximize(whole))):
        for name in got[0].component_fields:
            assert_allclose(getattr(got[0], name), getattr(want[0], name), rtol=1e-10)


# -- (e) the support checks ----------------------------------------------------------------


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_validate_accepts_missing_entries(family):
    X = _punch(_complete(family, n=30, seed=24))
    assert_array_equal(family.validate(X), X)
    assert family.allows_missing


@pytest.mark.parametrize("family, X, message", [
    (Bernoulli([[0.5, 0.5]]), [[np.nan, 1], [1, 2]],
     r"^Column 1 holds the value 2\.0, but a Bernoulli family takes only 0 and 1\.$"),
    (Bernoulli([[0.5, 0.5]]), [[np.nan, np.nan], [np.inf, 1]], r"^Column 0 holds the value inf"),
    (Binomial([[0.5, 0.5]], n_trials=3), [[np.nan, 1], [0, 4]],
     r"^Column 1 holds the value 4\.0, but a Binomial family with n_trials=3 takes only "
     r"integers from 0 to 3\.$"),
    (Poisson([[1.0, 1.0]]), [[np.nan, 1], [-1, 2]],
     r"^Negative values in data: column 0 holds the value -1\.0, but a Poisson family takes "
     r"only non-negative "
     r"integer counts\.$"),
    (Poisson([[1.0]]), [[np.nan], [-np.inf]],
     r"^Negative values in data: column 0 holds the value -inf"),
    (Categorical([[[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]], [2, 3]), [[np.nan, 2], [2, 1]],
     r"^Column 0 holds the value 2\.0, but column 0 of this Categorical family has only "
     r"2 categories \(codes 0 to 1\)\.$"),
    (Categorical([[[0.5, 0.5]]]), [[np.nan], [0.5]],
     r"^Column 0 holds the value 0\.5, but a Categorical family takes only integer codes\.$"),
    (Exponential([[1.0, 1.0]]), [[np.nan, 1.0], [2.0, -1.0]],
     r"^Negative values in data: column 1 holds the value -1\.0, but an Exponential family "
     r"takes only values of 0 or more\.$"),
    (Gamma([[1.0]], [[1.0]]), [[np.nan], [np.inf]], r"^Column 0 holds the value inf, but a "
                                                    r"Gamma family takes only positive values"),
    (LogNormal([[0.0]], [[1.0]]), [[0.0], [np.nan]], r"^Column 0 holds the value 0\.0"),
])
def test_support_errors_fire_beside_missing_entries(family, X, message):
    with pytest.raises(ValueError, match=message):
        family.validate(np.asarray(X, dtype=float))


def test_categorical_rejects_bad_codes_in_log_prob_beside_missing_ones():
    family = Categorical([[[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]], [2, 3])
    with pytest.raises(ValueError, match=r"Column 1 holds the value 3\.0"):
        family.log_prob(np.array([[np.nan, 1.0], [0.0, 3.0]]))


def test_independent_names_the_column_of_x():
    family = _all()[7]
    X = _punch(_complete(family, n=20, seed=25))
    row = int(np.flatnonzero(~np.isnan(X[:, 3]))[0])
    X[row, 3] = 7.0
    with pytest.raises(ValueError, match=r"^Column 3 holds the value 7\.0, but column 3 of "
                                         r"this Categorical family has only 2 categories"):
        family.validate(X)


def test_multinomial_rejects_missing_counts():
    family = Multinomial([[0.2, 0.3, 0.5]], n_trials=4)
    X = np.array([[1.0, 2.0, 1.0], [0.0, np.nan, 4.0]])
    assert not family.allows_missing
    for call in (family.log_prob, lambda X: family.accumulate(X, np.ones((2, 1)))):
        with pytest.raises(ValueError, match=r"^The Multinomial family takes no missing "
                                             r"values \(NaN\), since a row of counts with a "
                                             r"missing entry has no defined total\.$"):
            call(X)
    with pytest.raises(ValueError, match=r"^Column 1 holds the value nan"):
        family.validate(X)


def test_independent_with_a_part_that_takes_no_missing_values():
    family = Independent([Poisson([[1.0], [2.0]]), Multinomial([[0.5, 0.5], [0.2, 0.8]])],
                         [[0], [1, 2]])
    assert not family.allows_missing
    family.validate(np.array([[np.nan, 1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"Column 2 holds the value nan"):
        family.validate(np.array([[1.0, 1.0, np.nan]]))
    assert Independent([Poisson([[1.0]]), Exponential([[1.0]])], [[0], [1]]).allows_missing


def test_categorical_still_imports_from_discrete():
    assert DiscreteCategorical is Categorical


# -- reseed at a row with missing entries -----------------------------------------------


@pytest.mark.parametrize("family", _all(), ids=IDS)
def test_reseed_keeps_the_missing_columns(family):
    x = _complete(family, n=3, seed=26)[0]
    x[[1, 3]] = np.nan
    reseeded = family.reseed(1, x)
    full = family.reseed(1, np.where(np.isnan(x), _complete(family, n=3, seed=26)[0], x))
    for (old, columns), (new, _), (ref, _) in zip(_parts(family), _parts(reseeded),
                                                  _parts(full)):
        for name in old.component_fields:
            old_p, new_p, ref_p = (np.asarray(getattr(f, name)) for f in (old, new, ref))
            assert_array_equal(np.delete(new_p, 1, axis=0), np.delete(old_p, 1, axis=0))
            for local, d in enumerate(columns):
                expected = old_p[1, local] if d in (1, 3) else ref_p[1, local]
                assert_array_equal(new_p[1, local], expected)
