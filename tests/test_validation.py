"""Arrays the engine reads are finite in float32, its type, not only in float64
(fastinit._validation.finite_float32).

A weight of 1e39 is finite in float64 and infinite in float32: it used to pass the finiteness
checks of ``RBM.from_weights`` and of a callable ``init`` (made before the cast), and
``transform`` then returned NaN.
"""

import warnings

import numpy as np
import pytest

from fastinit import RBM, BernoulliRBM
from fastinit.likelihood import log_partition

BEYOND_FLOAT32 = 1e39  # finite in float64, inf in float32


def test_finite_float32_checks_after_the_cast():
    from fastinit._validation import finite_float32

    assert finite_float32([1.0, 3e38], "w", "f").dtype == np.float32
    source = np.ones(3, dtype=np.float32)
    assert finite_float32(source, "w", "f") is not source  # a copy: never the caller's array
    for bad in ([BEYOND_FLOAT32], [-BEYOND_FLOAT32], [np.nan], [np.inf]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning from the cast either
            with pytest.raises(ValueError, match=r"^f: w holds values that are not finite in "
                                                 r"float32"):  # fmt: skip
                finite_float32(np.array(bad), "w", "f")
    for bad in (np.array(["a"]), np.array([1j]), np.array([None], dtype=object)):
        with pytest.raises(TypeError, match=r"^f: w must hold real numbers"):
            finite_float32(bad, "w", "f")


@pytest.mark.parametrize("position", [0, 1, 2])
def test_from_weights_refuses_values_beyond_float32(position):
    arrays = [np.zeros((3, 5)), np.zeros(5), np.zeros(3)]
    arrays[position][0] = BEYOND_FLOAT32
    name = ["components", "intercept_visible", "intercept_hidden"][position]
    with pytest.raises(ValueError, match=rf"^RBM\.from_weights: {name} holds values that are "
                                         r"not finite in float32"):  # fmt: skip
        RBM.from_weights(*arrays)


def test_from_weights_keeps_values_within_float32():
    W = np.full((3, 5), 3e38)
    model = RBM.from_weights(W, np.zeros(5), np.zeros(3))
    assert np.all(np.isfinite(model.components_))
    W[0, 0] = 0  # the model holds its own copy
    assert model.components_[0, 0] == np.float32(3e38)


@pytest.mark.parametrize("cls", [RBM, BernoulliRBM])
def test_a_callable_init_beyond_float32_is_refused(cls):
    X = np.random.default_rng(0).random((20, 6))

    def init(shape, rng):
        W = rng.normal(0, 0.01, size=shape)
        W[0, 0] = BEYOND_FLOAT32
        return W

    model = cls(n_iter=1, random_state=0)
    model.init = init  # BernoulliRBM fixes init="hinton" as a class attribute
    message = rf"^{cls.__name__}\.fit: the weights init returned holds values that are not finite"
    with pytest.raises(ValueError, match=message):
        model.fit(X)
    assert not hasattr(model, "components_")
    model = cls(n_iter=1, random_state=0)
    model.init = init
    with pytest.raises(ValueError, match=rf"^{cls.__name__}\.partial_fit: the weights init"):
        model.partial_fit(X)


def test_log_partition_refuses_parameters_beyond_float32():
    W = np.zeros((2, 3))
    W[0, 0] = BEYOND_FLOAT32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="components holds non-finite values"):
            log_partition(W, np.zeros(3), np.zeros(2))
        with pytest.raises(ValueError, match="base_rate holds non-finite values"):
            rates = np.full(3, BEYOND_FLOAT32)
            log_partition(np.zeros((2, 3)), np.zeros(3), np.zeros(2), visible="gaussian",
                          method="ais", n_betas=10, base_rate=rates)  # fmt: skip
