"""BernoulliMixture, PoissonMixture, CategoricalMixture: recovery, textbook EM, errors."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import emkit

from emkit import BernoulliMixture, CategoricalMixture, GaussianMixture, PoissonMixture
from emkit.datasets import load_three_coins


def test_bernoulli_mixture_recovers_the_truth():
    rng = np.random.default_rng(0)
    p = np.array([[0.9, 0.8, 0.1, 0.2], [0.1, 0.2, 0.9, 0.7]])
    z = rng.integers(0, 2, 4000)
    X = (rng.random((4000, 4)) < p[z]).astype(float)
    model = BernoulliMixture(2, n_init=3, random_state=0).fit(X)
    order = np.argsort(-model.means_[:, 0])
    assert_allclose(model.means_[order], p, atol=0.04)
    assert_allclose(model.weights_[order], [np.mean(z == 0), np.mean(z == 1)], atol=0.03)


def test_bernoulli_mixture_runs_the_three_coins_like_the_book():
    model = BernoulliMixture(2, weights_init=[0.4, 0.6], means_init=[[0.6], [0.7]], tol=1e-12,
                             max_iter=1000).fit(load_three_coins())
    assert_allclose(model.weights_[0], 0.4064, atol=1e-4)
    assert_allclose(model.means_.ravel(), [0.5368, 0.6432], atol=1e-4)


def test_poisson_mixture_recovers_the_truth_and_honours_sample_weights():
    rng = np.random.default_rng(1)
    rates = np.array([[1.0, 10.0], [8.0, 2.0]])
    z = rng.integers(0, 2, 3000)
    X = rng.poisson(rates[z]).astype(float)
    model = PoissonMixture(2, n_init=3, random_state=0).fit(X)
    order = np.argsort(model.means_[:, 0])
    assert_allclose(model.means_[order], rates, rtol=0.08)
    start = dict(means_init=model.means_, weights_init=model.weights_, tol=0, max_iter=5)
    counts = rng.integers(0, 3, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = PoissonMixture(2, **start).fit(X, sample_weight=counts)
        repeated = PoissonMixture(2, **start).fit(np.repeat(X, counts, axis=0))
    assert_allclose(weighted.means_, repeated.means_, rtol=1e-10)


def test_categorical_mixture_recovers_latent_classes():
    rng = np.random.default_rng(2)
    probs = np.array([[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]], [[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]])
    z = rng.integers(0, 2, 4000)
    u = rng.random((4000, 2, 1))
    X = (u > np.cumsum(probs[z], axis=2)).sum(axis=2).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no identical random starts
        model = CategoricalMixture(2, n_init=3, random_state=0).fit(X)
    order = np.argsort(-model.probs_[:, 0, 0])
    assert_allclose(model.probs_[order], probs, atol=0.05)


@pytest.mark.parametrize("estimator, X, match", [
    (BernoulliMixture(2), np.array([[0.0], [1.0], [2.0]]), "Column 0 holds the value 2"),
    (PoissonMixture(2), np.array([[0.0], [1.0], [-1.0]]), "Negative values in data: column 0"),
    (CategoricalMixture(2), np.array([[0.0], [1.5], [2.0]]), "integer codes"),
    (BernoulliMixture(2, weights_init=[0.7, 0.7]), np.array([[0.0], [1.0], [1.0]]),
     "weights_init must be 2 non-negative numbers"),
])
def test_bad_input_is_one_sentence(estimator, X, match):
    with pytest.raises(ValueError, match=match):
        estimator.fit(X)


def test_hard_assignment_gives_each_row_wholly_to_one_component():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.poisson(1.0, (300, 2)), rng.poisson(12.0, (300, 2))]).astype(float)
    model = PoissonMixture(2, assignment="hard", random_state=0, n_init=2).fit(X)
    labels = model.predict(X)
    for k in range(2):
        assert_allclose(model.means_[k], X[labels == k].mean(axis=0), rtol=1e-10)


def test_every_mixture_keeps_its_history():
    from emkit import GaussianMixture
    model = BernoulliMixture(2, weights_init=[0.4, 0.6], means_init=[[0.6], [0.7]],
                             record_params=True, tol=1e-10).fit(load_three_coins())
    assert_allclose(model.history_[0]["p"].ravel(), [0.5368, 0.6432], atol=1e-4)
    assert [h["iteration"] for h in model.history_] == list(range(1, model.n_iter_ + 1))
    gm = GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(50, 2)))
    assert_allclose([h["log_likelihood"] for h in gm.history_], gm.lower_bounds_)


def test_rows_of_probability_zero_score_minus_inf_and_have_no_posterior():
    # A probability fitted to exactly 0 (a column the training data never set) makes a
    # new row with that value impossible under every component: its log-density is -inf
    # (log 0, as the brute-force sum says), and its posterior, 0 / 0, is refused in one
    # sentence naming the row, where it used to come back as NaN. Imputing the missing
    # entries of such a row is refused the same way; an impossible row with nothing
    # missing is returned unchanged, and possible rows are unaffected.
    model = BernoulliMixture(2, weights_init=[0.5, 0.5], means_init=[[0.0, 0.8], [0.0, 0.3]],
                             max_iter=1, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    assert_allclose(model.means_[:, 0], 0.0, atol=0.0)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    scores = model.score_samples(X)
    brute = np.log(np.sum(model.weights_[:, None] * np.prod(
        np.where(X[None] == 1.0, model.means_[:, None], 1.0 - model.means_[:, None]),
        axis=2), axis=0))
    assert scores[1] == -np.inf
    assert_allclose(scores[[0, 2]], brute[[0, 2]], rtol=1e-12)
    sentence = r"^Row 1 of X has zero probability under the fitted model, so "
    with pytest.raises(ValueError, match=sentence + "its posterior over the components"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match=sentence + "its most probable component"):
        model.predict(X)
    assert_allclose(model.predict_proba(X[[0, 2]]).sum(axis=1), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match=sentence + "its missing entries cannot be imputed"):
        model.impute(np.array([[0.0, np.nan], [1.0, np.nan]]))
    assert_allclose(model.impute(np.array([[0.0, np.nan], [1.0, 0.0]])),
                    [[0.0, model.weights_ @ model.means_[:, 1]], [1.0, 0.0]], rtol=1e-12)


@pytest.mark.parametrize("cls", [BernoulliMixture, PoissonMixture, CategoricalMixture])
def test_rows_of_weight_zero_add_nothing_even_when_the_model_rules_them_out(cls):
    # Column 2 is 1 only in the ten rows of weight 0, so the first M-step fits its
    # probability (or rate) to exactly 0 and rules those rows out: their responsibilities
    # are 0 / 0, which times their weight 0 was NaN in every sum, and the fit stopped on
    # a parameter the user never set. From the same start, the fit equals the fit of the
    # weighted rows alone.
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, (100, 3)).astype(float)
    X[:, 2] = 0.0
    X[:10, 2] = 1.0
    weight = np.r_[np.zeros(10), np.ones(90)]
    start = {"weights_init": [0.4, 0.6], "tol": 0.0, "max_iter": 20}
    if cls is CategoricalMixture:
        start["probs_init"] = np.array([[[0.3, 0.7], [0.6, 0.4], [0.5, 0.5]],
                                        [[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]]])
        # The categories of column 2 are read from all rows, weighted or not.
        start["n_categories"] = [2, 2, 2]
    else:
        start["means_init"] = [[0.3, 0.6, 0.5], [0.7, 0.4, 0.5]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = cls(2, **start).fit(X, sample_weight=weight)
        alone = cls(2, **start).fit(X[10:])
    name = "probs_" if cls is CategoricalMixture else "means_"
    assert_allclose(getattr(weighted, name), getattr(alone, name), rtol=1e-12, atol=1e-15)
    assert_allclose(weighted.weights_, alone.weights_, rtol=1e-12)
    assert_allclose(weighted.lower_bound_, alone.lower_bound_, rtol=1e-12)


@pytest.mark.parametrize("cls", [BernoulliMixture, PoissonMixture, CategoricalMixture,
                                 GaussianMixture])
def test_weights_that_are_all_zero_are_one_sentence(cls):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"^sample_weight is zero for every sample, which "
                                         r"leaves nothing to fit; give at least one sample "
                                         r"a positive weight\.$"):
        cls(2).fit(X, sample_weight=np.zeros(4))


def test_codes_that_never_occur_are_named_in_a_warning():
    # Codes 1..3 (poLCA's coding) make code 0 a category of each column that never
    # occurs: it holds probability 0 and counts in bic. The warning says so once; codes
    # from 0, or categories declared by n_categories, fit silently, and the declared fit
    # is the same model.
    rng = np.random.default_rng(0)
    X = rng.integers(1, 4, (60, 2)).astype(float)
    probs = np.array([[0.0, 0.2, 0.3, 0.5], [0.0, 0.5, 0.3, 0.2]])
    start = dict(probs_init=np.stack([probs, probs[::-1]]), weights_init=[0.5, 0.5],
                 max_iter=500, tol=1e-12)
    with pytest.warns(UserWarning) as record:
        model = CategoricalMixture(2, **start).fit(X)
    messages = [str(w.message) for w in record if "never" in str(w.message)
                or "occur" in str(w.message)]
    assert messages == [
        "Column 0 holds codes up to 3, and CategoricalMixture takes every code from 0 to the "
        "largest as a category, but only 3 of those 4 codes occur: the others get "
        "probability 0 in probs_ and count as parameters in bic and aic; recode the column "
        "as 0..C-1 (np.unique(column, return_inverse=True)), or pass n_categories to "
        "declare the categories."]
    assert_allclose(model.probs_[:, :, 0], 0.0, atol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        declared = CategoricalMixture(2, n_categories=[4, 4], **start).fit(X)
        start["probs_init"] = start["probs_init"][:, :, 1:]
        CategoricalMixture(2, **start).fit(X - 1)
    assert_allclose(declared.probs_, model.probs_, rtol=1e-12)


def test_a_new_categorical_fit_takes_its_categories_from_its_own_data():
    # fit starts over (scikit-learn's rule): a second fit on data with more codes, fewer
    # codes or more columns equals a fit of a new estimator, where it used to keep (or
    # trip over) the first fit's categories.
    rng = np.random.RandomState(0)
    two_codes = rng.randint(0, 2, size=(40, 2)).astype(float)
    three_codes = rng.randint(0, 3, size=(40, 2)).astype(float)
    three_columns = rng.randint(0, 2, size=(40, 3)).astype(float)
    for first, second in ((two_codes, three_codes), (three_codes, two_codes),
                          (two_codes, three_columns)):
        refit = emkit.CategoricalMixture(2, random_state=0).fit(first).fit(second)
        fresh = emkit.CategoricalMixture(2, random_state=0).fit(second)
        assert refit.probs_.shape == fresh.probs_.shape
        assert_allclose(refit.probs_, fresh.probs_, rtol=1e-12)
        assert_allclose(refit.bic(second), fresh.bic(second), rtol=1e-12)
    # warm_start goes on from the fitted categories: a code it never saw is impossible.
    warm = emkit.CategoricalMixture(2, random_state=0, warm_start=True).fit(three_codes)
    warm.fit(two_codes)
    assert warm.probs_.shape == (2, 2, 3)


@pytest.mark.parametrize("declared, phrase", [
    ([0, 3], r"^n_categories must hold one positive integer per column, the number of "
             r"codes 0\.\.C-1 it takes; got \[0, 3\]\.$"),
    ([3.5, 3], r"got \[3\.5, 3\]\.$"),
    (["a", "b"], r"got \['a', 'b'\]\.$"),
    ([3, 3, 3], r"^n_categories holds 3 counts, but X has 2 columns; give one count per "
                r"column\.$"),
])
def test_declared_categories_are_checked_in_one_sentence(declared, phrase):
    X = np.random.RandomState(1).randint(0, 2, size=(30, 2)).astype(float)
    with pytest.raises(ValueError, match=phrase):
        emkit.CategoricalMixture(2, n_categories=declared, random_state=0).fit(X)


def test_raw_identifiers_as_codes_are_refused_before_any_table_is_made():
    # A code of 1e9 made a table of 2 x 2 x 1e9 probabilities (30 GB) before any check.
    X = np.array([[0, 1], [1, 0], [1e9, 1], [0, 0]] * 5)
    with pytest.raises(ValueError, match=r"^Column 0 holds codes up to 1000000000 but only "
                       r"3 distinct ones.*return_inverse=True\)\)\.$"):
        emkit.CategoricalMixture(2, random_state=0).fit(X)
    # Declared, the codes are the user's choice: the message is about the values then.
    many = np.array([[0.0], [1.0], [70000.0], [2.0]] * 5)
    with pytest.raises(ValueError, match="Column 0 holds the value 70000"):
        emkit.CategoricalMixture(2, n_categories=[3], random_state=0).fit(many)


def test_a_batch_with_a_value_the_model_gives_probability_zero_is_named():
    # partial_fit's first batch never shows code 2 (declared): its probability is 0, and
    # the next batch holding it has zero probability under every component. The update
    # says so, where it used to fail on the M-step's NaN probabilities.
    rng = np.random.RandomState(0)
    first = rng.randint(0, 2, (50, 2)).astype(float)
    second = rng.randint(0, 3, (50, 2)).astype(float)
    model = emkit.CategoricalMixture(2, random_state=0, n_categories=[3, 3]).partial_fit(first)
    assert np.all(model.probs_[:, :, 2] == 0.0)
    before = model.probs_.copy()
    with pytest.raises(FloatingPointError, match=r"^The log-likelihood of this batch is not "
                       r"finite \(-inf\): some samples have zero probability"):
        model.partial_fit(second)
    assert_array_equal(model.probs_, before)  # the failed update changed nothing


def test_text_categories_are_refused_with_how_to_encode_them():
    pandas = pytest.importorskip("pandas")
    text = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["b", "x"]])
    frame = pandas.DataFrame(text, columns=["q1", "q2"]).astype("category")
    fitted = emkit.CategoricalMixture(2, random_state=0).fit(np.array([[0, 1], [1, 0]] * 2))
    for call in (lambda: emkit.CategoricalMixture(2, random_state=0).fit(text),
                 lambda: emkit.CategoricalMixture(2, random_state=0).fit(frame),
                 lambda: fitted.predict(text)):
        with pytest.raises(ValueError, match=r"^CategoricalMixture takes integer codes "
                           r"0\.\.C-1 in each column, not text; encode the categories "
                           r"first"):
            call()
