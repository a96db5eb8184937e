"""Bad input to an estimator is one short sentence naming the argument and what to do.

Negative sample weights are refused by every mixture before any work; complex and 1-D X
keep scikit-learn's first sentence (its suites match it) without printing the array.
"""

import numpy as np
import pytest

import emkit
from emkit.families import GaussianFull, Poisson

RNG = np.random.default_rng(5)
COUNTS = RNG.poisson(3.0, size=(60, 2)).astype(float)
MIXTURES = {
    "GaussianMixture": lambda: emkit.GaussianMixture(2, random_state=0),
    "BernoulliMixture": lambda: emkit.BernoulliMixture(2, random_state=0),
    "PoissonMixture": lambda: emkit.PoissonMixture(2, random_state=0),
    "CategoricalMixture": lambda: emkit.CategoricalMixture(2, random_state=0),
    "MixtureModel-Poisson": lambda: emkit.MixtureModel(Poisson([[1.0, 1.0], [5.0, 5.0]]),
                                                       random_state=0),
    "MixtureModel-Gaussian": lambda: emkit.MixtureModel(
        GaussianFull([[0.0, 0.0], [5.0, 5.0]], [np.eye(2)] * 2), random_state=0),
}
HMMS = {
    "GaussianHMM": lambda: emkit.GaussianHMM(2, random_state=0, n_iter=3),
    "PoissonHMM": lambda: emkit.PoissonHMM(2, random_state=0, n_iter=3),
    "CategoricalHMM": lambda: emkit.CategoricalHMM(2, random_state=0, n_iter=3),
}


def _data(name):
    if name == "CategoricalHMM":
        return COUNTS[:, :1] % 3
    return (COUNTS > 3) if name == "BernoulliMixture" else COUNTS % 3 if "Categorical" in name \
        else COUNTS


@pytest.mark.parametrize("name", list(MIXTURES))
@pytest.mark.parametrize("weight", [-500.0, -1e-3])
def test_a_negative_sample_weight_is_one_sentence(name, weight):
    X = _data(name)
    sample_weight = np.ones(len(X))
    sample_weight[7] = weight
    for method in ("fit", "fit_predict"):
        model = MIXTURES[name]()
        with pytest.raises(ValueError) as info:
            getattr(model, method)(X, sample_weight=sample_weight)
        assert str(info.value) == (f"sample_weight[7] is {weight:g}, but sample weights must "
                                   "be non-negative; give each sample a weight of 0 or more.")
        assert not hasattr(model, "weights_")


@pytest.mark.parametrize("name", list(MIXTURES))
def test_zero_sample_weights_are_still_allowed(name):
    # Only negative weights are refused: zeros leave their rows out of the fit.
    X = _data(name)
    sample_weight = np.ones(len(X))
    sample_weight[::2] = 0.0
    model = MIXTURES[name]().set_params(max_iter=5).fit(X, sample_weight=sample_weight)
    assert np.all(np.isfinite(model.score_samples(X)))
    assert np.isclose(model.weights_.sum(), 1.0)


COMPLEX = ("Complex data not supported; X must hold real numbers, so pass its real part "
           "(X.real) or its magnitude (np.abs(X)).")
ONE_D = ("Expected 2D array, got 1D array instead. Reshape your data either using "
         "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if "
         "it contains a single sample.")


@pytest.mark.parametrize("name", list(MIXTURES) + list(HMMS))
def test_complex_and_1d_input_keep_the_first_sentence_without_the_array(name):
    make = {**MIXTURES, **HMMS}[name]
    X = np.asarray(_data(name), dtype=float)
    fitted = make().fit(X)
    for bad, message in ((X.astype(complex), COMPLEX), (X[:, 0], ONE_D)):
        for call in (lambda: make().fit(bad), lambda: fitted.predict(bad),
                     lambda: fitted.score_samples(bad)):
            with pytest.raises(ValueError) as info:
                call()
            assert str(info.value) == message


@pytest.mark.parametrize("weights, message", [
    (np.r_[-1.0, np.ones(49)], "sample_weight[0] is -1"),
    (np.r_[1.0, np.nan, np.ones(48)], "sample_weight[1] is nan"),
    (np.r_[np.inf, np.ones(49)], "sample_weight[0] is inf"),
    (np.ones(10), "sample_weight has 10 entries but there are 50 samples"),
])
def test_bad_sample_weights_are_one_sentence_for_every_estimator(weights, message):
    import emkit
    from emkit.families import Poisson

    X = np.random.RandomState(0).poisson(3, (50, 2)).astype(float)
    estimators = [emkit.GaussianMixture(2), emkit.BernoulliMixture(2), emkit.PoissonMixture(2),
                  emkit.CategoricalMixture(2), emkit.MixtureModel(Poisson([[1.0, 1], [5, 5]]))]
    for estimator in estimators:
        data = (X > 3).astype(float) if isinstance(estimator, emkit.BernoulliMixture) else X
        with pytest.raises(ValueError) as info:
            estimator.fit(data, sample_weight=weights)
        assert message in str(info.value) and "\n" not in str(info.value), estimator
    for estimator in (emkit.GaussianHMM(2), emkit.PoissonHMM(2), emkit.CategoricalHMM(2)):
        with pytest.raises(ValueError, match="sample_weight") as info:
            estimator.fit(X[:, :1].astype(int) if isinstance(estimator, emkit.CategoricalHMM)
                          else X, lengths=[25, 25], sample_weight=weights[:2] if len(
                              weights) == 50 else np.ones(3))
        assert "\n" not in str(info.value)


def _corrupt(kind):
    # CSR matrices scipy builds from arrays without checking them (as a hand-made or
    # damaged .npz loads): a column index past the last column, a negative one, or index
    # pointers that run backwards.
    from scipy import sparse

    data, indptr = np.array([1.0, 2.0, 1.0]), np.array([0, 1, 2, 3])
    indices = {"index-too-large": [0, 5, 1], "index-negative": [0, -1, 1],
               "pointers": [0, 1, 2]}[kind]
    if kind == "pointers":
        indptr = np.array([0, 2, 1, 3])
    return sparse.csr_matrix((data, np.array(indices), indptr), shape=(3, 3))


def _fitted_lda():
    return emkit.LatentDirichletAllocation(2, random_state=0).fit(COUNTS[:, :1].repeat(3, 1))


SPARSE_CALLS = {
    "lda-fit": lambda X: emkit.LatentDirichletAllocation(2, random_state=0).fit(X),
    "lda-partial-fit": lambda X: emkit.LatentDirichletAllocation(2).partial_fit(X),
    "lda-transform": lambda X: _fitted_lda().transform(X),
    "lda-perplexity": lambda X: _fitted_lda().perplexity(X),
    "plsa-fit": lambda X: emkit.PLSA(2, random_state=0).fit(X),
    "multinomial-mixture-fit": lambda X: emkit.MixtureModel(
        emkit.families.Multinomial([[0.3, 0.3, 0.4], [0.5, 0.2, 0.3]])).fit(X),
}


@pytest.mark.parametrize("kind", ["index-too-large", "index-negative", "pointers"])
@pytest.mark.parametrize("call", list(SPARSE_CALLS))
def test_corrupt_sparse_counts_are_refused_before_any_kernel_reads_them(call, kind):
    # The compiled kernels index with the stored column numbers: an index past the last
    # column read (or wrote) outside the arrays, and killed the process.
    where = ("its index pointers do not describe 3 rows of its 3 entries" if kind == "pointers"
             else "row 1 holds an entry in column (5|-1), outside its 3 columns")
    with pytest.raises(ValueError, match=rf"^The sparse matrix X is corrupt: {where}; "
                       r"rebuild it\.$"):
        SPARSE_CALLS[call](_corrupt(kind))
