"""Closed-form weight initializers for NumPy arrays and, optionally, PyTorch tensors.

Every scheme comes in two forms:

* a generator, ``he_normal(shape, ...)``, that returns a new NumPy array;
* an in-place twin with a trailing underscore, ``he_normal_(x, ...)``, that fills an existing
  floating NumPy array (any memory order, views included) or a PyTorch tensor and returns it.

Formulas, names, the gain table and the fan computation follow ``torch.nn.init``;
:func:`variance_scaling` follows Keras. ``layout`` says how a shape is read:

* ``"torch"`` (default): ``(out, in, *kernel)``, as ``nn.Linear.weight`` and
  ``nn.ConvNd.weight``;
* ``"keras"``: ``(*kernel, in, out)``, channels-last kernels and plain ``x @ W`` matrices
  ``(in, out)``.

Random numbers always come from NumPy (``rng``: None, an int seed or a ``numpy.random.Generator``),
so one seed gives the same values whether the target is a NumPy array or a torch tensor.
The module imports nothing but NumPy; torch is only touched when a torch tensor is passed in.
"""

from __future__ import annotations

import inspect
import math
import numbers
import operator
import sys
import warnings
from collections.abc import Callable, Sequence
from string import Template
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "SCHEMES",
    "Initializer",
    "calculate_gain",
    "compute_fans",
    "constant",
    "constant_",
    "dirac",
    "dirac_",
    "eye",
    "eye_",
    "get_initializer",
    "he_normal",
    "he_normal_",
    "he_uniform",
    "he_uniform_",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "lecun_normal",
    "lecun_normal_",
    "lecun_uniform",
    "lecun_uniform_",
    "normal",
    "normal_",
    "ones",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "trunc_normal",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "variance_scaling",
    "variance_scaling_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros",
    "zeros_",
]

ShapeLike = int | Sequence[int]
RNGLike = None | int | np.random.Generator | np.random.BitGenerator | np.random.SeedSequence
_T = TypeVar("_T")

# Standard deviation of a unit normal truncated to [-2, 2]; Keras divides by it so that the
# truncated samples of variance_scaling end up with the requested variance.
_TRUNC_2SIGMA_STD = 0.87962566103423978
_SQRT3 = math.sqrt(3.0)
_LAYOUTS = ("torch", "keras")
_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)

# Parameter descriptions shared by many docstrings, substituted by ``_documented``.
_DOC_PARAMS = {
    "shape": (
        "shape : int or sequence of int\n"
        "    Shape of the array to create (an int means a 1-D array)."
    ),
    "layout": (
        'layout : {"torch", "keras"}, default "torch"\n'
        '    How ``shape`` is read for the fans: ``"torch"`` is ``(out, in, *kernel)``,\n'
        '    ``"keras"`` is ``(*kernel, in, out)``. See :func:`compute_fans`.'
    ),
    "rng": (
        "rng : None, int, numpy.random.Generator, BitGenerator or SeedSequence, optional\n"
        "    Source of randomness. An int seed gives reproducible values; a Generator is\n"
        "    advanced; None draws fresh OS entropy."
    ),
    "dtype": (
        "dtype : floating dtype, default numpy.float32\n"
        "    dtype of the result (float16, float32 or float64). Samples are drawn directly in\n"
        "    float32 or float64, whichever is closer."
    ),
    "warn_symmetry": (
        "warn_symmetry : bool, default True\n"
        "    Warn (``UserWarning``) when the shape has two or more dimensions, i.e. is a weight\n"
        "    array: constant weights make every hidden unit compute the same function and get\n"
        "    the same gradient, so training never breaks the symmetry. 1-D (bias) shapes\n"
        "    never warn."
    ),
    "returns": "numpy.ndarray\n    A new C-contiguous array of the given shape and dtype.",
}


def _documented(func: Callable[..., Any]) -> Callable[..., Any]:
    """Fill the shared ``$name`` parameter descriptions into ``func``'s docstring."""
    func.__doc__ = Template(inspect.cleandoc(func.__doc__ or "")).substitute(_DOC_PARAMS)
    return func


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _as_shape(shape: ShapeLike) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (numbers.Integral, np.integer)) else shape
    try:
        # bools are ints to Python, but a True in a shape is a bug, not a dimension of 1
        if any(isinstance(d, (bool, np.bool_)) for d in dims):
            raise TypeError
        dims = tuple(operator.index(d) for d in dims)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"shape must not have negative dimensions, got {dims}")
    return dims


def _as_float_dtype(dtype: npt.DTypeLike) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a floating dtype, got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating dtype (float16, float32, float64), got {dt}")
    return dt


def _sampling_dtype(dt: np.dtype) -> type[np.floating]:
    # NumPy's Generator samples natively only in float32 and float64.
    return np.float32 if dt.itemsize <= 4 else np.float64


def _as_generator(rng: RNGLike) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (np.random.BitGenerator, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"rng seed must be non-negative, got {rng}")
        return np.random.default_rng(int(rng))
    # RandomState is refused rather than wrapped: it cannot sample in float32 and its legacy
    # streams would silently differ from the Generator streams used everywhere else.
    raise TypeError(
        "rng must be None, an int seed or a numpy.random.Generator "
        f"(e.g. numpy.random.default_rng(0)), got {type(rng).__name__}"
    )


def _check_layout(layout: str) -> None:
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")


def _check_number(name: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    return value


# --------------------------------------------------------------------------------------------
# Gains and fans
# --------------------------------------------------------------------------------------------


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for a nonlinearity, as in ``torch.nn.init.calculate_gain``.

    ===========================================  ==========================================
    nonlinearity                                 gain
    ===========================================  ==========================================
    linear, conv{1,2,3}d, conv_transpose{1,2,3}d  1
    sigmoid                                      1
    tanh                                         5/3
    relu                                         sqrt(2)
    leaky_relu                                   sqrt(2 / (1 + negative_slope**2))
    selu                                         3/4
    ===========================================  ==========================================

    Parameters
    ----------
    nonlinearity : str
        Name of the nonlinearity (``torch.nn.functional`` name).
    param : float, optional
        Negative slope of ``leaky_relu`` (default 0.01); ignored for the others.

    Returns
    -------
    float
        The gain.

    Raises
    ------
    ValueError
        Unknown nonlinearity, or a ``param`` that is not a finite real number (strings and bools
        are refused, as in torch).

    Examples
    --------
    >>> from fastinit import init
    >>> init.calculate_gain("relu") == 2 ** 0.5
    True
    >>> init.calculate_gain("leaky_relu", 0.2) == (2 / (1 + 0.2**2)) ** 0.5
    True
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif (
            isinstance(param, numbers.Real)
            and not isinstance(param, (bool, np.bool_))
            and math.isfinite(param)
        ):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        # Empirical value chosen by PyTorch (pytorch/pytorch#50664) for self-normalizing nets.
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


@_documented
def compute_fans(shape: ShapeLike, layout: str = "torch") -> tuple[int, int]:
    """Fan-in and fan-out of a weight of the given shape.

    With ``receptive = prod(kernel dims)`` (1 for a matrix):

    * ``layout="torch"``, shape ``(out, in, *kernel)``:
      ``fan_in = in * receptive``, ``fan_out = out * receptive``
      (``nn.Linear.weight`` is ``(out, in)``, ``nn.Conv2d.weight`` is ``(out, in, kh, kw)``);
    * ``layout="keras"``, shape ``(*kernel, in, out)``: the same formulas read from the end
      (a ``x @ W`` matrix is ``(in, out)``, a Keras ``Conv2D`` kernel ``(kh, kw, in, out)``).

    Transposed convolutions store ``(in, out, *kernel)`` in torch; as in ``torch.nn.init`` the
    fans are then swapped: ``mode="fan_out"`` gives a He scheme ``in_channels * receptive``.

    Parameters
    ----------
    shape : int or sequence of int
        Shape of the weight, at least 2 dimensions, none of them 0.
    layout : {"torch", "keras"}, default "torch"
        How ``shape`` is read.

    Returns
    -------
    tuple of int
        ``(fan_in, fan_out)``.

    Raises
    ------
    ValueError
        Fewer than 2 dimensions, a zero-size shape, or an unknown layout.

    Examples
    --------
    >>> from fastinit import init
    >>> init.compute_fans((64, 3, 5, 5))
    (75, 1600)
    >>> init.compute_fans((5, 5, 3, 64), layout="keras")
    (75, 1600)
    """
    dims = _as_shape(shape)
    _check_layout(layout)
    if len(dims) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {dims})"
        )
    if 0 in dims:
        raise ValueError(
            f"Fan in and fan out can not be computed for a zero-size shape {dims}: "
            "there is nothing to initialize"
        )
    if layout == "torch":
        fan_out, fan_in, kernel = dims[0], dims[1], dims[2:]
    else:
        fan_in, fan_out, kernel = dims[-2], dims[-1], dims[:-2]
    receptive = math.prod(kernel)
    return fan_in * receptive, fan_out * receptive


def _select_fan(
    shape: tuple[int, ...], mode: str, layout: str, modes: tuple[str, ...] = ("fan_in", "fan_out")
) -> float:
    key = mode.lower() if isinstance(mode, str) else mode
    if key not in modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {list(modes)}")
    fan_in, fan_out = compute_fans(shape, layout)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[key]


# The std of every fan-based scheme is computed here once; generators, in-place twins and
# the registry all go through these helpers.


def _xavier_std(shape: tuple[int, ...], gain: float, layout: str) -> float:
    fan_in, fan_out = compute_fans(shape, layout)
    return _check_number("gain", gain) * math.sqrt(2.0 / (fan_in + fan_out))


def _kaiming_std(
    shape: tuple[int, ...], a: float, mode: str, nonlinearity: str, layout: str
) -> float:
    fan = _select_fan(shape, mode, layout)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _lecun_std(shape: tuple[int, ...], layout: str) -> float:
    return 1.0 / math.sqrt(compute_fans(shape, layout)[0])


def _variance_scaling_std(shape: tuple[int, ...], scale: float, mode: str, layout: str) -> float:
    scale = _check_number("scale", scale)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    fan = _select_fan(shape, mode, layout, ("fan_in", "fan_out", "fan_avg"))
    return math.sqrt(scale / max(1.0, fan))


# --------------------------------------------------------------------------------------------
# Samplers (all randomness goes through these)
# --------------------------------------------------------------------------------------------


def _sample_uniform(
    shape: tuple[int, ...], low: float, high: float, rng: RNGLike, dtype: npt.DTypeLike
) -> np.ndarray:
    dt = _as_float_dtype(dtype)
    gen = _as_generator(rng)
    out = gen.random(shape, dtype=_sampling_dtype(dt))
    out *= high - low
    out += low
    return out.astype(dt, copy=False)


def _sample_normal(
    shape: tuple[int, ...], mean: float, std: float, rng: RNGLike, dtype: npt.DTypeLike
) -> np.ndarray:
    dt = _as_float_dtype(dtype)
    gen = _as_generator(rng)
    out = gen.standard_normal(shape, dtype=_sampling_dtype(dt))
    out *= std
    out += mean
    return out.astype(dt, copy=False)


def _truncated_standard_normal(
    alpha: float, beta: float, n: int, gen: np.random.Generator
) -> np.ndarray:
    """Exact N(0, 1) samples restricted to [alpha, beta], float64.

    Rejection sampling with the proposal of Robert (1995), "Simulation of truncated normal
    variables": a normal for wide intervals around 0, a uniform for narrow ones and a shifted
    exponential in the tails, so the acceptance rate stays high for any interval (plain normal
    rejection would almost never accept in a far tail).
    """
    if beta <= 0.0:
        # Mirror onto the positive side so that tails need only one code path.
        return -_truncated_standard_normal(-beta, -alpha, n, gen)
    rate = 0.5
    if alpha < 0.0:
        if beta - alpha >= math.sqrt(2 * math.pi):
            rate = 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))

            def propose(m: int) -> np.ndarray:
                z = gen.standard_normal(m)
                return z[(z >= alpha) & (z <= beta)]

        else:

            def propose(m: int) -> np.ndarray:
                z = gen.uniform(alpha, beta, m)
                return z[gen.random(m) <= np.exp(-0.5 * z * z)]

    else:
        lam = 0.5 * (alpha + math.sqrt(alpha * alpha + 4.0))
        # Log ratio of the uniform to the exponential acceptance rate; the normal mass of
        # [alpha, beta] cancels, which keeps this finite far in the tail.
        log_ratio = (
            0.5 * alpha * alpha
            - math.log(beta - alpha)
            - (math.log(lam) + lam * alpha - 0.5 * lam * lam)
        )
        if log_ratio > 0.0:

            def propose(m: int) -> np.ndarray:
                z = gen.uniform(alpha, beta, m)
                return z[gen.random(m) <= np.exp(-0.5 * (z - alpha) * (z + alpha))]

        else:

            def propose(m: int) -> np.ndarray:
                z = alpha + gen.standard_exponential(m) / lam
                keep = (z <= beta) & (gen.random(m) <= np.exp(-0.5 * (z - lam) ** 2))
                return z[keep]

    out = np.empty(n)
    filled = 0
    while filled < n:
        need = n - filled
        m = min(int(need / rate * 1.1) + 16, 1 << 24)
        accepted = propose(m)
        k = min(accepted.size, need)
        out[filled : filled + k] = accepted[:k]
        filled += k
        rate = max(accepted.size / m, 1e-3)
    return out


def _sample_truncated(
    shape: tuple[int, ...],
    mean: float,
    std: float,
    low: float,
    high: float,
    rng: RNGLike,
    dtype: npt.DTypeLike,
) -> np.ndarray:
    """N(mean, std²) truncated to the absolute interval [low, high]."""
    dt = _as_float_dtype(dtype)
    gen = _as_generator(rng)
    # float64 throughout: the accept tests and the tails need more than float32 precision.
    z = _truncated_standard_normal((low - mean) / std, (high - mean) / std, math.prod(shape), gen)
    x = mean + std * z
    np.clip(x, low, high, out=x)  # mean + std*z can round one ulp past a bound
    return x.reshape(shape).astype(dt, copy=False)


def _warn_if_symmetric(shape: tuple[int, ...], value: float, warn: bool) -> None:
    if not warn or len(shape) < 2:
        return
    # Point the warning at the first caller outside this module (generator or in-place twin).
    here = _warn_if_symmetric.__code__.co_filename
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename == here:
        frame, level = frame.f_back, level + 1
    warnings.warn(
        f"initializing a weight array of shape {shape} with the constant {value}: all hidden "
        "units then compute the same function and receive the same gradient, so the symmetry "
        "between them is never broken and they stay identical during training. Use a random "
        "scheme (e.g. he_normal, xavier_uniform) for weights and constants for biases; pass "
        "warn_symmetry=False to silence this warning.",
        UserWarning,
        stacklevel=level,
    )


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------


@_documented
def uniform(
    shape: ShapeLike,
    *,
    low: float = 0.0,
    high: float = 1.0,
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Uniform distribution U(low, high).

    Values lie in ``[low, high)``, up to the rounding of ``low + (high - low) * u`` to ``dtype``.

    Parameters
    ----------
    $shape
    low, high : float, default 0.0, 1.0
        Bounds of the interval, ``low <= high``.
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.uniform((3, 5), low=-0.1, high=0.1, rng=0)
    >>> W.shape, bool(abs(W).max() <= 0.1)
    ((3, 5), True)
    """
    low, high = _check_number("low", low), _check_number("high", high)
    if low > high:
        raise ValueError(f"uniform needs low <= high, got low={low} > high={high}")
    return _sample_uniform(_as_shape(shape), low, high, rng, dtype)


@_documented
def normal(
    shape: ShapeLike,
    *,
    mean: float = 0.0,
    std: float = 1.0,
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Normal distribution N(mean, std²).

    Hinton's RBM default (``std=0.01``) is a normal of this kind.

    Parameters
    ----------
    $shape
    mean : float, default 0.0
        Mean.
    std : float, default 1.0
        Standard deviation, ``std >= 0``.
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.normal((500, 784), std=0.01, rng=0)
    >>> W.shape
    (500, 784)
    """
    mean, std = _check_number("mean", mean), _check_number("std", std)
    if std < 0:
        raise ValueError(f"normal needs std >= 0, got {std}")
    return _sample_normal(_as_shape(shape), mean, std, rng, dtype)


@_documented
def trunc_normal(
    shape: ShapeLike,
    *,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    bounds: str = "absolute",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Normal N(mean, std²) truncated to an interval, sampled exactly.

    With ``bounds="absolute"`` (the default, as ``torch.nn.init.trunc_normal_``) the values lie
    in ``[a, b]``; with ``bounds="std"`` they lie in ``[mean + a*std, mean + b*std]``. Beware the
    torch convention: ``trunc_normal(shape, std=0.02)`` truncates at ±2, i.e. ±100 std, which
    is no truncation at all; ``bounds="std"`` says what is usually meant.
    The result follows the truncated distribution exactly (rejection sampling, no clipping), so
    its variance is ``std² * (1 + (α φ(α) − β φ(β)) / Z − ((φ(α) − φ(β)) / Z)²)`` with
    ``α, β`` the bounds in std units and ``Z = Φ(β) − Φ(α)``: about ``0.774 std²`` for ±2 std.

    Parameters
    ----------
    $shape
    mean : float, default 0.0
        Mean of the normal before truncation.
    std : float, default 1.0
        Standard deviation of the normal before truncation, ``std > 0``.
    a, b : float, default -2.0, 2.0
        Lower and upper bound, ``a < b``; may be infinite.
    bounds : {"absolute", "std"}, default "absolute"
        Whether ``a`` and ``b`` are values or multiples of ``std`` around ``mean``.
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.trunc_normal((256, 784), std=0.02, a=-2, b=2, bounds="std", rng=0)
    >>> bool(abs(W).max() <= 0.04)
    True
    """
    mean, std = _check_number("mean", mean), _check_number("std", std)
    a, b = _check_number("a", a), _check_number("b", b)
    if not std > 0:
        raise ValueError(f"trunc_normal needs std > 0, got {std}")
    if not a < b:
        raise ValueError(f"trunc_normal needs a < b, got a={a}, b={b}")
    if bounds == "std":
        low, high = mean + a * std, mean + b * std
    elif bounds == "absolute":
        low, high = a, b
    else:
        raise ValueError(f"bounds must be 'absolute' or 'std', got {bounds!r}")
    return _sample_truncated(_as_shape(shape), mean, std, low, high, rng, dtype)


@_documented
def xavier_uniform(
    shape: ShapeLike,
    *,
    gain: float = 1.0,
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Xavier/Glorot uniform: U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)).

    Glorot & Bengio (2010). Keeps the variance of activations and gradients roughly constant
    across layers with linear or tanh-like units (std = gain * sqrt(2 / (fan_in + fan_out))).

    Parameters
    ----------
    $shape
    gain : float, default 1.0
        Scaling factor, e.g. ``calculate_gain("tanh")``.
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.xavier_uniform((256, 784), rng=0)
    >>> bool(abs(W).max() <= (6 / (256 + 784)) ** 0.5)
    True
    """
    dims = _as_shape(shape)
    bound = _SQRT3 * _xavier_std(dims, gain, layout)
    return _sample_uniform(dims, -bound, bound, rng, dtype)


@_documented
def xavier_normal(
    shape: ShapeLike,
    *,
    gain: float = 1.0,
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Xavier/Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Glorot & Bengio (2010), untruncated as in ``torch.nn.init.xavier_normal_`` (Keras's
    ``GlorotNormal`` truncates: use ``variance_scaling(mode="fan_avg")`` for that).

    Parameters
    ----------
    $shape
    gain : float, default 1.0
        Scaling factor, e.g. ``calculate_gain("tanh")``.
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.xavier_normal((256, 784), rng=0)
    >>> W.shape
    (256, 784)
    """
    dims = _as_shape(shape)
    return _sample_normal(dims, 0.0, _xavier_std(dims, gain, layout), rng, dtype)


@_documented
def kaiming_uniform(
    shape: ShapeLike,
    *,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """He/Kaiming uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    He et al. (2015); ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` is fan_in or
    fan_out (std = gain / sqrt(fan)). With the defaults (leaky_relu of slope ``a=0``) the gain
    is sqrt(2), exactly the ReLU gain, as in ``torch.nn.init.kaiming_uniform_``.
    Also available as ``he_uniform``.

    Parameters
    ----------
    $shape
    a : float, default 0.0
        Negative slope of the rectifier after this layer (used with ``"leaky_relu"``).
    mode : {"fan_in", "fan_out"}, default "fan_in"
        ``"fan_in"`` preserves the variance of activations in the forward pass,
        ``"fan_out"`` that of gradients in the backward pass.
    nonlinearity : str, default "leaky_relu"
        Nonlinearity after this layer, see :func:`calculate_gain`.
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.he_uniform((256, 784), rng=0)
    >>> bool(abs(W).max() <= (6 / 784) ** 0.5)
    True
    """
    dims = _as_shape(shape)
    bound = _SQRT3 * _kaiming_std(dims, a, mode, nonlinearity, layout)
    return _sample_uniform(dims, -bound, bound, rng, dtype)


@_documented
def kaiming_normal(
    shape: ShapeLike,
    *,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """He/Kaiming normal: N(0, std²) with std = gain / sqrt(fan).

    He et al. (2015); ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` is fan_in or
    fan_out. With the defaults (leaky_relu of slope ``a=0``) the gain is sqrt(2), exactly the
    ReLU gain, as in ``torch.nn.init.kaiming_normal_``. Untruncated, like torch (Keras's
    ``HeNormal`` truncates: use ``variance_scaling(scale=2.0)`` for that).
    Also available as ``he_normal``.

    Parameters
    ----------
    $shape
    a : float, default 0.0
        Negative slope of the rectifier after this layer (used with ``"leaky_relu"``).
    mode : {"fan_in", "fan_out"}, default "fan_in"
        ``"fan_in"`` preserves the variance of activations in the forward pass,
        ``"fan_out"`` that of gradients in the backward pass.
    nonlinearity : str, default "leaky_relu"
        Nonlinearity after this layer, see :func:`calculate_gain`.
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.he_normal((256, 784), rng=0)
    >>> W.shape, W.dtype
    ((256, 784), dtype('float32'))
    >>> bool(abs(W.std() - (2 / 784) ** 0.5) < 1e-3)
    True
    """
    dims = _as_shape(shape)
    std = _kaiming_std(dims, a, mode, nonlinearity, layout)
    return _sample_normal(dims, 0.0, std, rng, dtype)


@_documented
def lecun_uniform(
    shape: ShapeLike,
    *,
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """LeCun uniform: U(-bound, bound) with bound = sqrt(3 / fan_in).

    LeCun et al. (1998), "Efficient BackProp" (std = 1 / sqrt(fan_in)); the same as Keras's
    ``LecunUniform``.

    Parameters
    ----------
    $shape
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.lecun_uniform((256, 784), rng=0)
    >>> bool(abs(W).max() <= (3 / 784) ** 0.5)
    True
    """
    dims = _as_shape(shape)
    bound = _SQRT3 * _lecun_std(dims, layout)
    return _sample_uniform(dims, -bound, bound, rng, dtype)


@_documented
def lecun_normal(
    shape: ShapeLike,
    *,
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """LeCun normal: N(0, std²) with std = 1 / sqrt(fan_in).

    LeCun et al. (1998); the initialization of self-normalizing (SELU) networks, Klambauer et
    al. (2017). Untruncated, like :func:`kaiming_normal` (Keras's ``LecunNormal`` truncates: use
    ``variance_scaling()`` for that).

    Parameters
    ----------
    $shape
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.lecun_normal((256, 784), rng=0)
    >>> W.shape
    (256, 784)
    """
    dims = _as_shape(shape)
    return _sample_normal(dims, 0.0, _lecun_std(dims, layout), rng, dtype)


@_documented
def variance_scaling(
    shape: ShapeLike,
    *,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Keras's variance scaling: samples of variance scale / fan.

    ``fan`` is fan_in, fan_out or their mean (``mode="fan_avg"``), at least 1. With
    ``std = sqrt(scale / fan)``:

    * ``"truncated_normal"``: N(0, s²) truncated to ±2s with s = std / 0.87962566103423978, the
      std of a unit normal truncated to ±2, so that the result has variance std² exactly;
    * ``"untruncated_normal"``: N(0, std²);
    * ``"uniform"``: U(-bound, bound) with bound = sqrt(3) * std.

    ``scale=1, mode="fan_in"`` is LeCun, ``scale=2, mode="fan_in"`` He and
    ``scale=1, mode="fan_avg"`` Glorot, each in Keras's truncated form by default.
    Note that ``layout`` defaults to ``"torch"`` here as everywhere in this module.

    Parameters
    ----------
    $shape
    scale : float, default 1.0
        Target variance times fan, ``scale > 0``.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan divides ``scale``.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
        Distribution of the samples.
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.variance_scaling((3, 3, 64, 128), scale=2.0, layout="keras", rng=0)
    >>> W.shape
    (3, 3, 64, 128)
    """
    dims = _as_shape(shape)
    std = _variance_scaling_std(dims, scale, mode, layout)
    if distribution == "truncated_normal":
        s = std / _TRUNC_2SIGMA_STD
        return _sample_truncated(dims, 0.0, s, -2.0 * s, 2.0 * s, rng, dtype)
    if distribution == "untruncated_normal":
        return _sample_normal(dims, 0.0, std, rng, dtype)
    if distribution == "uniform":
        return _sample_uniform(dims, -_SQRT3 * std, _SQRT3 * std, rng, dtype)
    raise ValueError(
        "distribution must be one of ('truncated_normal', 'untruncated_normal', 'uniform'), "
        f"got {distribution!r}"
    )


def _orthogonal_matrix(rows: int, cols: int, gen: np.random.Generator) -> np.ndarray:
    # float64 whatever the target dtype: the QR factor is then orthonormal to ~1e-15 and the
    # float32 result is that matrix correctly rounded.
    flat = gen.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    # Fixing the sign of diag(R) makes Q Haar-distributed (Mezzadri 2007, math-ph/0609050).
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    return q.T if rows < cols else q


@_documented
def orthogonal(
    shape: ShapeLike,
    *,
    gain: float = 1.0,
    layout: str = "torch",
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """(Semi-)orthogonal matrix times gain, Saxe et al. (2013).

    With ``layout="torch"`` the shape is flattened to ``(rows, cols) = (shape[0],
    prod(shape[1:]))`` as in ``torch.nn.init.orthogonal_``: the rows are orthonormal when
    ``rows <= cols`` (``W @ W.T = gain² I``), otherwise the columns are (``W.T @ W = gain² I``).
    With ``layout="keras"`` the output axis is the last one: the array is the transpose of the
    torch-layout matrix, flattened to ``(prod(shape[:-1]), shape[-1])``. Q comes from the QR
    factorization of a standard Gaussian matrix with the signs of diag(R) moved into Q, which
    makes it uniformly (Haar) distributed.

    Parameters
    ----------
    $shape
        At least 2 dimensions.
    gain : float, default 1.0
        Scaling factor.
    $layout
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit import init
    >>> W = init.orthogonal((256, 784), rng=0, dtype=np.float64)
    >>> bool(np.allclose(W @ W.T, np.eye(256)))
    True
    """
    dims = _as_shape(shape)
    _check_layout(layout)
    gain = _check_number("gain", gain)
    dt = _as_float_dtype(dtype)
    gen = _as_generator(rng)
    if len(dims) < 2:
        raise ValueError(f"Only arrays with 2 or more dimensions are supported, got shape {dims}")
    if 0 in dims:
        return np.zeros(dims, dtype=dt)
    if layout == "torch":
        q = _orthogonal_matrix(dims[0], math.prod(dims[1:]), gen)
    else:
        q = _orthogonal_matrix(dims[-1], math.prod(dims[:-1]), gen).T
    q *= gain
    return np.ascontiguousarray(q.reshape(dims), dtype=dt)


@_documented
def constant(
    shape: ShapeLike,
    value: float,
    *,
    warn_symmetry: bool = True,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Every element equal to ``value``.

    Meant for biases; on a weight array (2 or more dimensions) it warns, see ``warn_symmetry``.

    Parameters
    ----------
    $shape
    value : float
        The fill value.
    $warn_symmetry
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> init.constant(3, 0.5)
    array([0.5, 0.5, 0.5], dtype=float32)
    """
    dims = _as_shape(shape)
    dt = _as_float_dtype(dtype)
    value = _check_number("value", value)
    _warn_if_symmetric(dims, value, warn_symmetry)
    return np.full(dims, value, dtype=dt)


@_documented
def zeros(
    shape: ShapeLike, *, warn_symmetry: bool = True, dtype: npt.DTypeLike = np.float32
) -> np.ndarray:
    """Every element 0.

    Meant for biases; on a weight array (2 or more dimensions) it warns, see ``warn_symmetry``.

    Parameters
    ----------
    $shape
    $warn_symmetry
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> init.zeros(3)
    array([0., 0., 0.], dtype=float32)
    """
    return constant(shape, 0.0, warn_symmetry=warn_symmetry, dtype=dtype)


@_documented
def ones(
    shape: ShapeLike, *, warn_symmetry: bool = True, dtype: npt.DTypeLike = np.float32
) -> np.ndarray:
    """Every element 1.

    Meant for scales and biases; on a weight array (2 or more dimensions) it warns, see
    ``warn_symmetry``.

    Parameters
    ----------
    $shape
    $warn_symmetry
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> init.ones(3)
    array([1., 1., 1.], dtype=float32)
    """
    return constant(shape, 1.0, warn_symmetry=warn_symmetry, dtype=dtype)


@_documented
def eye(shape: ShapeLike, *, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """Identity matrix: W[i, i] = 1, 0 elsewhere (also for non-square shapes).

    Preserves as many inputs as possible through a linear layer, as ``torch.nn.init.eye_``.
    The same array serves both layouts.

    Parameters
    ----------
    $shape
        Exactly 2 dimensions.
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> init.eye((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    dims = _as_shape(shape)
    dt = _as_float_dtype(dtype)
    if len(dims) != 2:
        raise ValueError(f"Only arrays with 2 dimensions are supported by eye, got shape {dims}")
    return np.eye(*dims, dtype=dt)


@_documented
def dirac(
    shape: ShapeLike,
    *,
    groups: int = 1,
    layout: str = "torch",
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Dirac delta kernel: a convolution that passes its input channels through unchanged.

    For a torch-layout ``(out, in, *kernel)`` shape with ``groups`` groups of
    ``out // groups`` output channels, ``W[g*out_g + d, d, centre] = 1`` for each group ``g`` and
    ``d < min(out_g, in)``, 0 elsewhere, as ``torch.nn.init.dirac_``. With ``layout="keras"``
    the shape is ``(*kernel, in, out)`` and the array is the same kernel with its axes moved.

    Parameters
    ----------
    $shape
        3, 4 or 5 dimensions (1-D, 2-D, 3-D convolutions).
    groups : int, default 1
        Number of groups; must divide the number of output channels.
    $layout
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> K = init.dirac((16, 16, 3, 3))
    >>> float(K.sum()), float(K[5, 5, 1, 1])
    (16.0, 1.0)
    """
    dims = _as_shape(shape)
    _check_layout(layout)
    dt = _as_float_dtype(dtype)
    if len(dims) not in (3, 4, 5):
        raise ValueError(
            f"Only arrays with 3, 4, or 5 dimensions are supported by dirac, got shape {dims}"
        )
    groups = operator.index(groups)
    if groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups}")
    # Build in torch layout and move the axes afterwards so that one index rule serves both.
    tdims = dims if layout == "torch" else (dims[-1], dims[-2], *dims[:-2])
    if tdims[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out = np.zeros(tdims, dtype=dt)
    per_group = tdims[0] // groups
    centre = tuple(k // 2 for k in tdims[2:])
    d = np.arange(min(per_group, tdims[1]))
    for g in range(groups):
        out[(g * per_group + d, d, *centre)] = 1
    if layout == "keras":
        out = np.ascontiguousarray(np.moveaxis(out, (0, 1), (-1, -2)))
    return out


he_uniform = kaiming_uniform
he_normal = kaiming_normal


# --------------------------------------------------------------------------------------------
# In-place twins
# --------------------------------------------------------------------------------------------


def _torch_module(x: object) -> Any:
    """The torch module if ``x`` is a torch tensor, else None (torch is never imported here)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return torch
    return None


def _fill(x: _T, generator: Callable[..., np.ndarray], kwargs: dict[str, Any]) -> _T:
    torch = _torch_module(x)
    if torch is not None:
        if not x.is_floating_point():
            raise TypeError(f"x must have a floating dtype, got tensor dtype {x.dtype}")
        # Same NumPy draws as the NumPy path; other float types (bfloat16) take float32 draws
        # and are rounded by copy_.
        np_dtype = {torch.float16: np.float16, torch.float64: np.float64}.get(x.dtype, np.float32)
        values = generator(tuple(x.shape), **kwargs, dtype=np_dtype)
        with torch.no_grad():
            x.copy_(torch.from_numpy(values))
        return x
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy.ndarray or a torch.Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"x must have a floating dtype, got dtype {x.dtype}")
    if not x.flags.writeable:
        raise ValueError("x is read-only; pass a writable array")
    values = generator(x.shape, **kwargs, dtype=x.dtype)
    # Assignment writes through x's strides, so Fortran-order arrays and strided views are
    # filled in place with the same logical values as the generator returns.
    x[...] = values
    return x


def _twin_doc(generator: Callable[..., Any], name: str, example: str) -> str:
    doc = generator.__doc__ or ""
    head, _, rest = doc.partition("\nParameters\n----------\n")
    params, _, _ = rest.partition("\nReturns\n-------\n")
    summary, _, description = head.partition("\n")
    entries: list[str] = []
    for line in params.splitlines():
        if line and not line[0].isspace():
            entries.append(line)
        elif entries:
            entries[-1] += "\n" + line
    kept = [e for e in entries if e.split(" : ")[0] not in ("shape", "dtype")]
    target = (
        "x : numpy.ndarray or torch.Tensor\n"
        "    Floating array to fill: writable, any memory order, views included (filled through\n"
        "    their strides, never copied); or a floating torch tensor, whose dtype, device and\n"
        "    ``requires_grad`` are kept (filled under ``torch.no_grad()``). Its shape plays the\n"
        "    role of ``shape``; random values are those of the generator with the same ``rng``."
    )
    return (
        f"Fill ``x`` in place, as :func:`{generator.__name__}` would. {summary}\n"
        f"{description.rstrip()}\n\n"
        "Parameters\n----------\n" + "\n".join([target, *kept]) + "\n\n"
        "Returns\n-------\nnumpy.ndarray or torch.Tensor\n    ``x`` itself.\n\n"
        "Examples\n--------\n>>> import numpy as np\n>>> from fastinit import init\n"
        f"{example.replace('NAME', name)}\n"
    )


def _in_place(
    generator: Callable[..., np.ndarray],
    example: str = (
        ">>> W = np.empty((256, 784), dtype=np.float32)\n>>> init.NAME(W, rng=0) is W\nTrue"
    ),
) -> Callable[..., Any]:
    """Build the ``name_`` twin of a generator: same keywords, shape and dtype taken from x."""
    name = generator.__name__ + "_"
    sig = inspect.signature(generator)
    params = [p for n, p in sig.parameters.items() if n not in ("shape", "dtype")]
    twin_sig = sig.replace(
        parameters=[
            inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="_T"),
            *params,
        ],
        return_annotation="_T",
    )

    def twin(x, *args, **kwargs):
        bound = twin_sig.bind(x, *args, **kwargs)
        arguments = dict(bound.arguments)
        return _fill(arguments.pop("x"), generator, arguments)

    twin.__name__ = twin.__qualname__ = name
    twin.__module__ = __name__
    twin.__signature__ = twin_sig
    twin.__annotations__ = {
        p.name: p.annotation
        for p in twin.__signature__.parameters.values()
        if p.annotation is not inspect.Parameter.empty
    } | {"return": "_T"}
    twin.__doc__ = _twin_doc(generator, name, example)
    return twin


_BIAS_EXAMPLE = ">>> b = np.empty(10, dtype=np.float32)\n>>> init.NAME(b{args}) is b\nTrue"

uniform_ = _in_place(uniform)
normal_ = _in_place(normal)
trunc_normal_ = _in_place(trunc_normal)
xavier_uniform_ = _in_place(xavier_uniform)
xavier_normal_ = _in_place(xavier_normal)
kaiming_uniform_ = _in_place(kaiming_uniform)
kaiming_normal_ = _in_place(kaiming_normal)
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
lecun_uniform_ = _in_place(lecun_uniform)
lecun_normal_ = _in_place(lecun_normal)
variance_scaling_ = _in_place(variance_scaling)
orthogonal_ = _in_place(orthogonal)
constant_ = _in_place(constant, _BIAS_EXAMPLE.format(args=", 0.1"))
zeros_ = _in_place(zeros, _BIAS_EXAMPLE.format(args=""))
ones_ = _in_place(ones, _BIAS_EXAMPLE.format(args=""))
eye_ = _in_place(eye, ">>> W = np.empty((3, 5))\n>>> init.NAME(W)[1]\narray([0., 1., 0., 0., 0.])")
dirac_ = _in_place(dirac, ">>> K = np.empty((8, 8, 3, 3))\n>>> float(init.NAME(K).sum())\n8.0")


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


class Initializer(Protocol):
    """What :func:`get_initializer` returns: a generator with a uniform call signature."""

    def __call__(
        self,
        shape: ShapeLike,
        *,
        rng: RNGLike = None,
        dtype: npt.DTypeLike = np.float32,
        layout: str = "torch",
    ) -> np.ndarray: ...


_REGISTRY: dict[str, Callable[..., np.ndarray]] = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "kaiming_uniform": kaiming_uniform,
    "kaiming_normal": kaiming_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "variance_scaling": variance_scaling,
    "orthogonal": orthogonal,
    "trunc_normal": trunc_normal,
    "uniform": uniform,
    "normal": normal,
    "constant": constant,
    "zeros": zeros,
    "ones": ones,
    "eye": eye,
    "dirac": dirac,
}

SCHEMES: tuple[str, ...] = tuple(_REGISTRY)


def get_initializer(name: str, **params: Any) -> Initializer:
    """The generator of a scheme, by name, with a uniform call signature.

    The result is called as ``init_fn(shape, *, rng=None, dtype=numpy.float32,
    layout="torch")`` and returns a new array; ``rng`` and ``layout`` are passed on to schemes
    that use them (``layout`` is still checked for the others). This is what string values of
    an estimator's ``init=`` parameter resolve through.

    Parameters
    ----------
    name : str
        One of :data:`SCHEMES`: ``"xavier_uniform"``, ``"xavier_normal"``,
        ``"kaiming_uniform"``, ``"kaiming_normal"``, ``"he_uniform"``, ``"he_normal"``,
        ``"lecun_uniform"``, ``"lecun_normal"``, ``"variance_scaling"``, ``"orthogonal"``,
        ``"trunc_normal"``, ``"uniform"``, ``"normal"``, ``"constant"``, ``"zeros"``, ``"ones"``,
        ``"eye"``, ``"dirac"``.
    **params
        Scheme parameters bound now, e.g. ``std=0.01`` for ``"normal"`` or ``gain=2.0``.

    Returns
    -------
    Initializer
        ``init_fn(shape, *, rng=None, dtype=numpy.float32, layout="torch") -> numpy.ndarray``.

    Raises
    ------
    ValueError
        Unknown name (the message lists the valid ones).
    TypeError
        A parameter the scheme does not take.

    Examples
    --------
    >>> from fastinit import init
    >>> init_fn = init.get_initializer("normal", std=0.01)
    >>> W = init_fn((500, 784), rng=0)
    >>> W.shape
    (500, 784)
    """
    try:
        generator = _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown initializer {name!r}; valid names are: {', '.join(SCHEMES)}"
        ) from None
    sig = inspect.signature(generator)
    reserved = {"shape", "rng", "dtype", "layout"} & set(params)
    if reserved:
        raise TypeError(f"pass {sorted(reserved)} when calling the initializer, not here")
    try:
        sig.bind_partial(None, **params)
    except TypeError as exc:
        raise TypeError(f"initializer {name!r}: {exc}") from None
    takes = {key: key in sig.parameters for key in ("rng", "layout")}

    def init_fn(
        shape: ShapeLike,
        *,
        rng: RNGLike = None,
        dtype: npt.DTypeLike = np.float32,
        layout: str = "torch",
    ) -> np.ndarray:
        _check_layout(layout)
        kwargs = dict(params, dtype=dtype)
        if takes["rng"]:
            kwargs["rng"] = rng
        if takes["layout"]:
            kwargs["layout"] = layout
        return generator(shape, **kwargs)

    init_fn.__name__ = init_fn.__qualname__ = name
    init_fn.__doc__ = f"{name} initializer (see fastinit.init.{generator.__name__})."
    return init_fn
