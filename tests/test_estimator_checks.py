"""scikit-learn's estimator API checks for emkit.GaussianMixture."""

from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

import emkit


@parametrize_with_checks([emkit.GaussianMixture()])
def test_sklearn_estimator_checks(estimator, check):
    # Each check asserts inside scikit-learn and raises on failure.
    check(estimator)


def test_check_estimator_reports_no_failure():
    results = check_estimator(emkit.GaussianMixture(), on_fail=None, on_skip=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert results and failed == []
