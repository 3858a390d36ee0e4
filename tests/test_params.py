"""Scalar parameters are checked in Python before they reach the engine (fastinit._params).

Integers outside the range of the C++ type that receives them used to reach pybind11, which
refused the call with "incompatible function arguments" naming engine internals; NaN passed the
range checks of the real parameters and training ran until it "diverged"; 1e39 is finite in
float64 and infinite in the engine's float32. Each error now names the function, the parameter
and the range. scikit-learn validates in ``fit``, not in ``__init__`` or ``set_params``, so the
estimators do too.
"""

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits

from fastinit import DBN, RBM, BernoulliRBM, _core
from fastinit._parallel import available_cpus, resolve_n_threads
from fastinit._params import (
    FLOAT32_MAX,
    MAX_N_JOBS,
    check_int,
    check_n_jobs,
    check_real,
)


@pytest.fixture(scope="module")
def X():
    return (load_digits().data[:120] / 16.0 > 0.5).astype(np.float32)


@pytest.fixture
def fitted(X):
    return RBM(64, 8, n_iter=1, random_state=0, n_jobs=1).fit(X)


# ----------------------------------------------------------------------------- the checks


def test_check_int_names_the_caller_the_parameter_and_the_range():
    assert check_int(np.int64(5), "k", caller="f", low=1) == 5
    assert type(check_int(np.int64(5), "k", caller="f", low=1)) is int
    with pytest.raises(ValueError, match=r"^f: k must be an int in \[1, 2\*\*63 - 1\], got 0$"):
        check_int(0, "k", caller="f", low=1)
    with pytest.raises(ValueError, match=r"\[0, 2\*\*63 - 1\], got 9223372036854775808"):
        check_int(2**63, "n", caller="f", low=0)
    for bad in (1.0, "3", None, True, np.float64(2)):
        with pytest.raises(TypeError, match=r"^f: k must be an int"):
            check_int(bad, "k", caller="f", low=0)
    assert check_int(True, "verbose", caller="f", low=0, allow_bool=True) == 1


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e39, -1e39, np.float64("nan")])
def test_check_real_refuses_non_finite_and_beyond_float32(value):
    with pytest.raises(ValueError, match=r"^g: rate must be a finite number in \[-3\.40282e\+38"):
        check_real(value, "rate", caller="g")


def test_check_real_intervals():
    assert check_real(FLOAT32_MAX, "x", caller="g") == FLOAT32_MAX
    assert check_real(np.float32(0.5), "x", caller="g", low=0, high=1, closed="neither") == 0.5
    with pytest.raises(ValueError, match=r"in \(0, 1\), got 1"):
        check_real(1, "x", caller="g", low=0, high=1, closed="neither")
    with pytest.raises(ValueError, match=r"in \[0, 1\), got 1"):
        check_real(1, "x", caller="g", low=0, high=1, closed="left")
    with pytest.raises(ValueError, match=r"in \(0, 3\.40282e\+38\], got 0"):
        check_real(0, "x", caller="g", low=0, closed="right")
    for bad in ("0.1", None, True, 1j):
        with pytest.raises(TypeError, match="x must be a real number"):
            check_real(bad, "x", caller="g")


def test_n_jobs_keeps_its_meaning_and_bounds_its_magnitude():
    assert check_n_jobs(None) is None
    assert check_n_jobs(np.int32(-2)) == -2
    # The largest accepted value resolves to the engine's cap of threads per usable CPU.
    assert resolve_n_threads(MAX_N_JOBS) == _core.THREADS_PER_CPU * available_cpus()
    assert resolve_n_threads(-MAX_N_JOBS) == 1
    for bad in (0, MAX_N_JOBS + 1, -MAX_N_JOBS - 1, 2**31, -(2**31), 2**64):
        with pytest.raises(ValueError, match=r"^h: n_jobs must be None or a nonzero int in "
                                             r"\[-65536, 65536\]"):  # fmt: skip
            check_n_jobs(bad, "h")
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError, match="n_jobs must be None or an int"):
            resolve_n_threads(bad)


# ----------------------------------------------------------------------------- RBM


INT_CASES = [
    ("n_jobs", 2**31, r"n_jobs must be None or a nonzero int in \[-65536, 65536\]"),
    ("n_jobs", -(2**31), r"n_jobs must be None or a nonzero int"),
    ("batch_size", 2**64, r"batch_size must be an int in \[1, 2\*\*63 - 1\]"),
    ("n_hidden", 2**64, r"n_hidden must be an int in \[1, 2\*\*63 - 1\]"),
    ("n_visible", 2**64, r"n_visible must be an int in \[1, 2\*\*63 - 1\]"),
    ("n_chains", 2**64, r"n_chains must be an int in \[1, 2\*\*63 - 1\]"),
    ("monitor_every", 2**64, r"monitor_every must be an int in \[0, 2\*\*63 - 1\]"),
    ("random_state", 2**32, r"random_state must be None, an int in \[0, 2\*\*32 - 1\]"),
    ("random_state", -1, r"random_state must be None, an int in \[0, 2\*\*32 - 1\]"),
]
REAL_PARAMS = ["learning_rate", "momentum", "weight_decay", "sparsity_target", "sparsity_cost",
               "sparsity_decay"]  # fmt: skip


@pytest.mark.parametrize("param, value, match", INT_CASES)
def test_out_of_range_integers_raise_value_errors_naming_them(X, param, value, match):
    params = {"n_visible": 64, "n_hidden": 8, "n_iter": 1, "persistent": param == "n_chains"}
    with pytest.raises(ValueError, match=rf"^RBM\.fit: {match}"):
        RBM(**{**params, param: value}).fit(X)


@pytest.mark.parametrize("param", REAL_PARAMS)
@pytest.mark.parametrize("value", [math.nan, math.inf, 1e39])
def test_non_finite_reals_are_refused_at_fit_naming_them(X, param, value):
    params = {"sparsity_target": 0.1} if param.startswith("sparsity") else {}
    with pytest.raises(ValueError, match=rf"^RBM\.fit: {param} must be a finite number"):
        RBM(64, 8, n_iter=1, n_jobs=1, **{**params, param: value}).fit(X)


@pytest.mark.parametrize("param", REAL_PARAMS)
def test_nan_set_on_a_fitted_model_is_refused_by_partial_fit(fitted, X, param):
    fitted.set_params(**{param: math.nan})  # scikit-learn: set_params never raises
    with pytest.raises(ValueError, match=rf"^RBM\.partial_fit: {param} must be a finite number"):
        fitted.partial_fit(X)


def test_sparsity_settings_are_checked_without_a_target(X):
    with pytest.raises(ValueError, match="sparsity_cost"):
        RBM(64, 8, n_iter=1, sparsity_cost=math.nan).fit(X)


def test_engine_integers_of_the_inference_methods(fitted, X):
    with pytest.raises(ValueError, match=r"^RBM\.gibbs: n_steps must be an int in \[0, 2\*\*63"):
        fitted.gibbs(X[:2], n_steps=2**63)
    with pytest.raises(ValueError, match=r"^RBM\.sample: n_steps must be an int in \[0, 2\*\*63"):
        fitted.sample(2, n_steps=2**63)
    with pytest.raises(ValueError, match=r"^RBM\.sample: n_samples must be an int in \[1, 2\*\*63"):
        fitted.sample(2**64, n_steps=1)
    with pytest.raises(ValueError, match=r"^RBM\.log_partition: n_chains must be an int in \[1, "):
        fitted.log_partition("ais", n_chains=2**63, n_betas=10)
    with pytest.raises(ValueError, match="random_state must be None, an int in"):
        fitted.gibbs(X[:2], random_state=2**40)


def test_n_jobs_set_after_fitting_is_checked_by_every_method(fitted, X):
    fitted.set_params(n_jobs=2**31)
    for call in (
        lambda: fitted.transform(X),
        lambda: fitted.score_samples(X),
        lambda: fitted.partial_fit(X),
        lambda: fitted.gibbs(X[:2]),
        lambda: fitted.log_partition("exact"),
    ):
        with pytest.raises(ValueError, match=r"n_jobs must be None or a nonzero int"):
            call()


def test_from_weights_checks_its_parameters():
    W, a, c = np.zeros((3, 5)), np.zeros(5), np.zeros(3)
    with pytest.raises(ValueError, match=r"^RBM\.from_weights: n_jobs must be"):
        RBM.from_weights(W, a, c, n_jobs=2**31)
    with pytest.raises(ValueError, match=r"^RBM\.from_weights: learning_rate must be a finite"):
        RBM.from_weights(W, a, c, learning_rate=math.nan)


def test_bernoulli_rbm_names_its_own_parameters(X):
    with pytest.raises(ValueError, match=r"^BernoulliRBM\.fit: n_components must be an int in"):
        BernoulliRBM(n_components=2**64).fit(X)
    with pytest.raises(ValueError, match=r"^BernoulliRBM\.fit: learning_rate must be a finite"):
        BernoulliRBM(n_components=4, learning_rate=math.nan).fit(X)
    with pytest.raises(ValueError, match=r"^BernoulliRBM\.fit: batch_size must be an int in"):
        BernoulliRBM(n_components=4, batch_size=2**64).fit(X)


# ----------------------------------------------------------------------------- DBN


@pytest.mark.parametrize("kwargs, match", [
    ({"n_jobs": 2**31}, r"^DBN\.fit: n_jobs must be None or a nonzero int"),
    ({"random_state": 2**33}, r"^DBN\.fit: random_state must be None, an int in"),
    ({"layer_sizes": (64, 2**64)}, r"layer_sizes must hold positive ints up to 2\*\*63 - 1"),
    ({"rbm_params": {"learning_rate": math.nan}}, r"^DBN\.fit: layer 0 .*learning_rate must be"),
    ({"rbm_params": {"batch_size": 2**64}}, r"^DBN\.fit: layer 0 .*batch_size must be an int"),
    ({"layer_params": [None, {"momentum": math.inf}]}, r"^DBN\.fit: layer 1 .*momentum must be"),
])  # fmt: skip
def test_dbn_checks_its_parameters_and_every_layers(X, kwargs, match):
    params = {"layer_sizes": (64, 8, 4), "rbm_params": {"n_iter": 1}, **kwargs}
    with pytest.raises(ValueError, match=match):
        DBN(**params).fit(X)


def test_dbn_refuses_a_bad_top_layer_before_training_the_bottom_one(X, monkeypatch):
    trained = []
    fit = RBM.fit
    monkeypatch.setattr(
        RBM, "fit", lambda self, *a, **k: trained.append(self) or fit(self, *a, **k)
    )
    dbn = DBN((64, 8, 4), rbm_params={"n_iter": 1}, layer_params=[None, {"weight_decay": math.nan}])
    with pytest.raises(ValueError, match="weight_decay"):
        dbn.fit(X)
    assert trained == []


def test_init_and_set_params_never_raise():
    """scikit-learn's rule (check_do_not_raise_errors_in_init_or_set_params)."""
    RBM(n_jobs=2**31, batch_size=2**64, learning_rate=math.nan).set_params(momentum=math.inf)
    DBN(n_jobs=2**31, rbm_params={"learning_rate": math.nan}).set_params(random_state=-5)
