"""scikit-learn compatibility of fastinit.RBM: the full estimator-check suite and a Pipeline.

The Gaussian-visible RBM accepts any real data and must pass every check. The Bernoulli RBM
refuses data outside [0, 1] by design (DESIGN.md §4: raw 0-255 pixels are the classic silent
mistake), and most checks feed arbitrary reals; those checks, and only those, are expected to
fail, and ``test_bernoulli_expected_failures_are_domain_refusals`` proves each one fails because
of the [0, 1] check and nothing else.
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from fastinit import RBM

# Checks whose data lie outside [0, 1] (they draw normal or shifted values), so the Bernoulli
# RBM refuses them with the "[0, 1]" ValueError.
BERNOULLI_DOMAIN_FAILURES = {
    name: "feeds data outside [0, 1], which Bernoulli visible units refuse (DESIGN.md §4)"
    for name in (
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_pipeline_consistency",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_transformer_preserve_dtypes",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_fit2d_predict1d",
    )
}


def _gaussian():
    return RBM(visible="gaussian", n_hidden=4, n_iter=2, random_state=0)


def _bernoulli():
    return RBM(n_hidden=4, n_iter=2, random_state=0)


def _expected_failures(estimator):
    if estimator.visible == "bernoulli":
        return BERNOULLI_DOMAIN_FAILURES
    return {}


@parametrize_with_checks(
    [_gaussian(), _bernoulli()], expected_failed_checks=_expected_failures, xfail_strict=True
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _domain_refusal(exc):
    """True when the exception, or one it was raised from, is the [0, 1] refusal."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if "[0, 1]" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_bernoulli_expected_failures_are_domain_refusals():
    """Every expected failure of the Bernoulli RBM fails with the [0, 1] message; the list is
    complete (no other check fails) and has no stale entries (each one really fails)."""
    results = check_estimator(
        _bernoulli(), on_fail=None, expected_failed_checks=BERNOULLI_DOMAIN_FAILURES
    )
    failed = {}
    for result in results:
        if result["status"] in ("failed", "xfail") and result["exception"] is not None:
            failed.setdefault(result["check_name"], []).append(result["exception"])
    assert set(failed) == set(BERNOULLI_DOMAIN_FAILURES), set(failed) ^ set(
        BERNOULLI_DOMAIN_FAILURES
    )
    for name, exceptions in failed.items():
        for exc in exceptions:
            assert _domain_refusal(exc), (name, repr(exc))


def test_pipeline_with_logistic_regression():
    digits = load_digits()
    X = digits.data / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.3, random_state=0, stratify=digits.target
    )
    model = Pipeline([
        ("rbm", RBM(64, 64, n_iter=10, batch_size=20, random_state=0, n_jobs=1)),
        ("clf", LogisticRegression(max_iter=2000)),
    ])  # fmt: skip
    model.fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    # Measured 0.963 (logistic regression on the raw pixels: 0.970); chance is 0.1.
    assert accuracy > 0.9, accuracy
    features = model[:-1].transform(X_test)
    assert features.shape == (len(X_test), 64) and features.dtype == np.float32
    assert list(model[:-1].get_feature_names_out()) == [f"rbm{i}" for i in range(64)]


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("method", ["transform", "score_samples", "free_energy", "reconstruct"])
def test_pandas_and_list_inputs(method):
    pd = pytest.importorskip("pandas")
    X = (np.random.default_rng(0).random((40, 5)) < 0.5).astype(np.float64)
    rbm = RBM(n_hidden=3, n_iter=1, random_state=0, n_jobs=1)
    frame = pd.DataFrame(X, columns=list("abcde"))
    rbm.fit(frame)
    assert list(rbm.feature_names_in_) == list("abcde")
    np.testing.assert_array_equal(getattr(rbm, method)(frame), getattr(rbm, method)(X))
    np.testing.assert_array_equal(getattr(rbm, method)(X.tolist()), getattr(rbm, method)(X))
