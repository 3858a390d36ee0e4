"""Property-based fuzzing of fastinit.init (Hypothesis; profiles in tests/conftest.py).

Every scheme, its in-place twin and the registry are called with drawn shapes, dtypes, seeds and
parameters, from tame values to NaN, infinities, subnormals, values past float32's and float64's
range and non-numbers. The outcome must be a correct result (a new array of the shape and dtype
asked for, every value finite and, for the bounded schemes, within the bounds) or a ValueError or
TypeError that starts with the function's name and names an argument; a refused twin leaves its
target as it was. Anything else (another exception, a RuntimeWarning, a hang) fails.
"""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastinit import init

# Symmetric starts and empty tensors warn (UserWarning) by design: only RuntimeWarnings, errors
# in fastinit (pyproject.toml), are failures here.
pytestmark = [
    pytest.mark.usefixtures("watchdog"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

# Each scheme's numeric parameters (drawn from NUMBERS) and its other parameters (drawn from
# their valid values and a misspelling).
NUMERIC = {
    "uniform": ("low", "high"),
    "normal": ("mean", "std"),
    "trunc_normal": ("mean", "std", "a", "b"),
    "xavier_uniform": ("gain",),
    "xavier_normal": ("gain",),
    "kaiming_uniform": ("a",),
    "kaiming_normal": ("a",),
    "lecun_uniform": (),
    "lecun_normal": (),
    "variance_scaling": ("scale",),
    "orthogonal": ("gain",),
    "sparse": ("sparsity", "std"),
    "constant": ("value",),
    "zeros": (),
    "ones": (),
    "eye": ("gain",),
    "dirac": (),
}
CHOICES: dict[str, list[Any]] = {
    "bounds": ["absolute", "std", "sigma"],
    "mode": ["fan_in", "fan_out", "fan_avg", "fan"],
    "nonlinearity": ["relu", "leaky_relu", "tanh", "selu", "linear", "sigmoid", "softmax"],
    "distribution": ["truncated_normal", "untruncated_normal", "uniform", "normal", "gauss"],
    "layout": ["torch", "keras", "nhwc"],
    "groups": [1, 2, 3, 0, -1, 1.5],
    "warn_symmetry": [False],
}

# Values at the edges of float16, float32 and float64 and of the samplers' arithmetic.
EDGES = [0.0, 5e-324, 1e-300, 1e-8, 0.5, 1.0, 2.0, 3.0, 6e4, 7e4, 1e30, 3.4e38, 3.5e38]
EDGES += [1e150, 1e154, 1e160, 1e300, 1.7976931348623157e308, math.inf, math.nan]
NUMBERS = st.one_of(
    st.floats(-10.0, 10.0),
    st.sampled_from(EDGES + [-x for x in EDGES]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**400), 10**400),
    st.sampled_from([np.float32(2.0), np.float64(-0.5), np.int64(3), np.float16(np.inf)]),
    st.sampled_from(["1.0", None, True, [1.0], 1j]),
)
SHAPES = st.one_of(
    st.lists(st.integers(0, 5), max_size=5).map(tuple),
    st.integers(0, 6),
    st.sampled_from([(-1, 3), (2, 1.5), "34", (3, True), None, (2**40, 0)]),
)
DTYPES = st.sampled_from([np.float32, np.float64, np.float16, "float32", np.int32, "c8", "no"])
SEEDS = st.one_of(st.integers(0, 2**32), st.sampled_from([None, -1, 1.5, "0"]))


def _accepts(func: Any) -> set[str]:
    return set(inspect.signature(func).parameters)


@st.composite
def scheme_calls(draw: st.DrawFn, names: tuple[str, ...] = tuple(NUMERIC)) -> tuple:
    name = draw(st.sampled_from(names))
    func = getattr(init, name)
    accepted = _accepts(func)
    kwargs: dict[str, Any] = {}
    for param in NUMERIC[name]:
        if draw(st.booleans()) or param in ("sparsity", "value"):  # required ones always
            kwargs[param] = draw(NUMBERS)
    for param, values in CHOICES.items():
        if param in accepted and draw(st.booleans()):
            kwargs[param] = draw(st.sampled_from(values))
    if "rng" in accepted:
        kwargs["rng"] = draw(SEEDS)
    return name, draw(SHAPES), draw(DTYPES), kwargs


def _named_refusal(exc: Exception, name: str, kwargs: dict[str, Any]) -> None:
    """A refusal must say which function refused and which argument it refused."""
    message = str(exc)
    assert type(exc) in (ValueError, TypeError), repr(exc)
    assert message.startswith(f"{name}: "), message
    named = [*kwargs, "x", "shape", "dimension", "dtype", "negative_slope"]
    assert any(re.search(rf"\b{re.escape(arg)}\b", message) for arg in named), message


def _expected_bounds(name: str, kwargs: dict[str, Any]) -> tuple[float, float] | None:
    """[low, high] of a bounded scheme's values, as the call asked for them."""
    if name == "uniform":
        return float(kwargs.get("low", 0.0)), float(kwargs.get("high", 1.0))
    if name == "trunc_normal":
        a, b = float(kwargs.get("a", -2.0)), float(kwargs.get("b", 2.0))
        if kwargs.get("bounds", "absolute") == "std":
            mean, std = float(kwargs.get("mean", 0.0)), float(kwargs.get("std", 1.0))
            return mean + a * std, mean + b * std
        return a, b
    return None


def _check_result(out: Any, name: str, shape: Any, dtype: Any, kwargs: dict[str, Any]) -> None:
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    dt = np.dtype(dtype)
    assert isinstance(out, np.ndarray), type(out)
    assert out.shape == dims and out.dtype == dt, (out.shape, out.dtype)
    assert np.isfinite(out).all(), out
    bounds = _expected_bounds(name, kwargs)
    if bounds is not None and out.size:
        # Within [low, high] up to the rounding to dtype, and for uniform (low + span·u in the
        # sampling float, its documented rounding) an ulp more.
        low, high = (np.asarray(bound).astype(dt) for bound in bounds)
        if name == "uniform":
            low, high = np.nextafter(low, -np.inf), np.nextafter(high, np.inf)
        assert out.min() >= low and out.max() <= high, (out.min(), out.max(), bounds)


@given(scheme_calls())
def test_every_scheme_returns_finite_values_or_refuses_by_name(call):
    name, shape, dtype, kwargs = call
    func = getattr(init, name)
    try:
        out = func(shape, **kwargs, dtype=dtype)
    except (ValueError, TypeError) as exc:
        _named_refusal(exc, name, kwargs)
        return
    _check_result(out, name, shape, dtype, kwargs)


TAME = {
    "low": st.floats(-10.0, -0.01),
    "high": st.floats(0.01, 10.0),
    "mean": st.floats(-10.0, 10.0),
    "std": st.floats(1e-3, 10.0),
    "a": st.floats(-3.0, 0.5),
    "b": st.floats(0.6, 40.0),
    "gain": st.floats(-5.0, 5.0),
    "scale": st.floats(1e-3, 10.0),
    "sparsity": st.floats(0.0, 1.0),
    "value": st.floats(-10.0, 10.0),
}


@st.composite
def tame_calls(draw: st.DrawFn) -> tuple:
    name = draw(st.sampled_from([n for n in NUMERIC if n != "dirac"]))
    kwargs: dict[str, Any] = {p: draw(TAME[p]) for p in NUMERIC[name]}
    if name.startswith("kaiming"):
        kwargs["a"] = draw(st.floats(0.0, 1.0))
    accepted = _accepts(getattr(init, name))
    for param, values in CHOICES.items():
        valid = [v for v in values if v not in ("sigma", "fan", "gauss", "nhwc", "softmax")]
        if name.startswith("kaiming"):  # Kaiming takes one fan, Keras's scaling their mean too
            valid = [v for v in valid if v != "fan_avg"]
        if param in accepted and param != "groups":
            kwargs[param] = draw(st.sampled_from(valid))
    if "rng" in accepted:
        kwargs["rng"] = draw(st.integers(0, 2**32))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=2, max_size=2)))
    return name, shape, draw(st.sampled_from([np.float16, np.float32, np.float64])), kwargs


@given(tame_calls())
def test_tame_parameters_always_give_a_result(call):
    name, shape, dtype, kwargs = call
    out = getattr(init, name)(shape, **kwargs, dtype=dtype)
    _check_result(out, name, shape, dtype, kwargs)


@given(scheme_calls(), st.sampled_from(["C", "F"]))
def test_a_twin_fills_its_target_or_leaves_it_unchanged(call, order):
    name, shape, dtype, kwargs = call
    try:
        x = np.full(shape, 7.0, dtype=dtype, order=order)
    except (TypeError, ValueError, MemoryError):
        x = np.full((2, 3), 7.0, dtype=np.float32)
    before = x.copy()
    twin = getattr(init, name + "_")
    try:
        out = twin(x, **kwargs)
    except (ValueError, TypeError) as exc:
        _named_refusal(exc, name + "_", kwargs)
        assert x.tobytes() == before.tobytes() and x.dtype == before.dtype
        return
    assert out is x
    assert np.isfinite(x).all()


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(scheme_calls(("uniform", "normal", "trunc_normal", "kaiming_normal", "variance_scaling")))
def test_a_torch_twin_fills_its_tensor_or_leaves_it_unchanged(call):
    torch = pytest.importorskip("torch")
    name, shape, dtype, kwargs = call
    torch_dtype = {np.float16: torch.float16, np.float64: torch.float64}.get(dtype, torch.float32)
    try:
        t = torch.full(shape if isinstance(shape, tuple) else (3,), 7.0, dtype=torch_dtype)
    except (TypeError, ValueError, RuntimeError):
        t = torch.full((2, 3), 7.0)
    before = t.clone()
    rng = kwargs.pop("rng", None)
    if isinstance(rng, int) and rng % 2:  # torch's own draws for half of the calls
        kwargs["rng"] = rng
    try:
        out = getattr(init, name + "_")(t, **kwargs)
    except (ValueError, TypeError) as exc:
        _named_refusal(exc, name + "_", kwargs)
        assert torch.equal(t, before)
        return
    assert out is t
    assert bool(torch.isfinite(t).all()), t


REGISTRY_NAMES = st.sampled_from([*init.SCHEMES, "RandomNormal", "TruncatedNormal", "HeNormal"])


@given(REGISTRY_NAMES, st.dictionaries(st.sampled_from(sorted(TAME)), NUMBERS, max_size=2))
def test_registry_initializers_give_a_result_or_refuse_by_name(scheme, params):
    try:
        initializer = init.get_initializer(scheme, **params)
        out = initializer((3, 4), rng=0)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert type(exc) in (ValueError, TypeError), repr(exc)
        assert scheme in message or "get_initializer" in message, message
        return
    assert out.shape == (3, 4) and np.isfinite(out).all()


def test_the_fuzz_covers_every_scheme():
    # A scheme added to the registry without a fuzz entry would go untested here.
    missing = {n for n in init.SCHEMES if n not in NUMERIC and not n.startswith("he_")}
    assert not missing, missing
