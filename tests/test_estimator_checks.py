"""scikit-learn's estimator API checks for emkit.GaussianMixture, and its input tags."""

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import (check_estimator,
                                            check_positive_only_tag_during_fit,
                                            parametrize_with_checks)

import emkit


@parametrize_with_checks([emkit.GaussianMixture()])
def test_sklearn_estimator_checks(estimator, check):
    # Each check asserts inside scikit-learn and raises on failure.
    check(estimator)


def test_check_estimator_reports_no_failure():
    results = check_estimator(emkit.GaussianMixture(), on_fail=None, on_skip=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert results and failed == []


def _gamma_mixture():
    from emkit.families import Gamma

    return emkit.MixtureModel([Gamma(np.full(4, 2.0), np.ones(4)),
                               Gamma(np.full(4, 3.0), np.full(4, 2.0))])


@pytest.mark.parametrize("make, positive", [
    (emkit.BernoulliMixture, True), (emkit.PoissonMixture, True),
    (emkit.CategoricalMixture, True), (_gamma_mixture, True),
    (emkit.GaussianMixture, False), (emkit.LatentDirichletAllocation, True),
])
def test_positive_only_tag_is_what_fit_accepts(make, positive):
    # scikit-learn's check: with the tag, a negative value is refused in its words
    # ("Negative values in data"); without it, negative data fits.
    estimator = make()
    assert estimator.__sklearn_tags__().input_tags.positive_only is positive
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_positive_only_tag_during_fit(type(estimator).__name__, estimator)


@pytest.mark.parametrize("make, X", [
    (emkit.BernoulliMixture, [[1.0, 0.7], [0.0, -1.0], [1.0, 1.0]]),
    (emkit.PoissonMixture, [[1.0, 2.5], [0.0, -3.0], [1.0, 1.0]]),
])
def test_a_negative_value_is_named_before_other_bad_values(make, X):
    with pytest.raises(ValueError, match=r"^Negative values in data: column 1 holds the "
                                         r"value -\d\.0, but a \w+ family takes only"):
        make(n_components=1).fit(np.array(X))
