"""scikit-learn's estimator API checks for emkit.GaussianMixture."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import emkit


@parametrize_with_checks([emkit.GaussianMixture()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
