"""Closed-form weight initializers for NumPy arrays and, optionally, PyTorch tensors.

Every scheme comes in two forms:

* a generator, ``he_normal(shape, ...)``, that returns a new NumPy array;
* an in-place twin with a trailing underscore, ``he_normal_(x, ...)``, that fills an existing
  floating NumPy array (any memory order, views included) or a PyTorch tensor and returns it.

Formulas, names, the gain table and the fan computation follow ``torch.nn.init``, and the twins
take torch's call forms (``kaiming_normal_(w, 0, "fan_out", "relu")``, ``uniform_(w, a=-0.1,
b=0.1)``, ``generator=``); :func:`variance_scaling` follows Keras, and :func:`get_initializer`
also knows Keras's initializer names. ``layout`` says how a shape is read:

* ``"torch"`` (default): ``(out, in, *kernel)``, as ``nn.Linear.weight`` and
  ``nn.ConvNd.weight``;
* ``"keras"``: ``(*kernel, in, out)``, channels-last kernels and plain ``x @ W`` matrices
  ``(in, out)``.

Random numbers come from NumPy (``rng``: None, an int seed or a ``numpy.random.Generator``), so
one seed gives the same values whether the target is a NumPy array or a torch tensor. A twin
given a torch tensor and no ``rng`` draws from torch's RNG instead (``generator=`` or torch's
default one), as ``torch.nn.init`` does, so that ``torch.manual_seed`` reproduces a script.
The module imports nothing but NumPy; torch is only touched when a torch tensor is passed in.

Every numeric parameter must be finite (only ``trunc_normal``'s bounds may be infinite), and a
scheme refuses parameters whose values could overflow ``dtype`` (``ValueError`` naming the
function and the parameter), so a result never holds inf or NaN.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import math
import numbers
import operator
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from string import Template
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "KERAS_SCHEMES",
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
    "sparse",
    "sparse_",
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


# Set while a public function runs, so that only the outermost one names itself in a refusal
# (``zeros_`` calls ``zeros``, which calls ``constant``: the user called ``zeros_``).
_IN_PUBLIC_CALL = contextvars.ContextVar("fastinit_init_in_public_call", default=False)


def _public(func: Callable[..., _T], name: str | None = None) -> Callable[..., _T]:
    """Make every ValueError/TypeError raised under ``func`` start with ``"name: "``.

    The checks live in shared helpers that cannot know which public function called them.
    """
    label = name or func.__name__

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        if _IN_PUBLIC_CALL.get():
            return func(*args, **kwargs)
        token = _IN_PUBLIC_CALL.set(True)
        try:
            return func(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            if type(exc) not in (TypeError, ValueError):  # subclasses may need other arguments
                raise
            raise type(exc)(f"{label}: {exc}").with_traceback(exc.__traceback__) from None
        finally:
            _IN_PUBLIC_CALL.reset(token)

    return wrapper


def _warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn at the first caller outside this module."""
    here = _warn.__code__.co_filename
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename == here:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


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


def _check_number(name: str, value: Any, *, infinite: bool = False) -> float:
    """``value`` as a float; NaN refused, and infinities unless ``infinite`` (a bound)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond float64, e.g. 10**400
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    if not infinite and math.isinf(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


# How far from where their mass is the samplers' values can lie, in std, given uniform inputs
# of at most 53 bits: NumPy's ziggurat normal reaches 13.7 (8.2 in float32) and torch's
# Box-Muller 8.6; NumPy's ziggurat exponential reaches 44.4, so the truncated sampler's
# exponential proposals reach 44.4 std past their bound. Values beyond these never occur.
_NORMAL_REACH = 16.0
_TAIL_REACH = 48.0


def _check_reach(reach: float, dtype: npt.DTypeLike, names: str) -> None:
    """Refuse parameters whose values could exceed ``dtype``'s range (they would become inf)."""
    dt = _as_float_dtype(dtype)
    largest = float(np.finfo(dt).max)
    if not reach <= largest:
        raise ValueError(
            f"{names} too large for {dt}: the values may reach {reach:.4g}, beyond its largest "
            f"finite value {largest:.4g}, and would overflow to infinity; use smaller values or "
            "a wider dtype"
        )


# --------------------------------------------------------------------------------------------
# Gains and fans
# --------------------------------------------------------------------------------------------


@_public
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
        slope = math.nan
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, (bool, np.bool_)):
            with contextlib.suppress(OverflowError):  # an int past float64, e.g. 10**400
                slope = float(param)
        if not math.isfinite(slope):
            raise ValueError(f"negative_slope {param} not a valid number")
        # slope * slope, not slope**2: a float power raises OverflowError past 1e154.
        return math.sqrt(2.0 / (1 + slope * slope))
    if nonlinearity == "selu":
        # Empirical value chosen by PyTorch (pytorch/pytorch#50664) for self-normalizing nets.
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


@_public
@_documented
def compute_fans(
    shape: ShapeLike,
    layout: str = "torch",
    *,
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Fan-in and fan-out of a weight of the given shape.

    With ``receptive = prod(kernel dims)`` (1 for a matrix):

    * ``layout="torch"``, shape ``(out, in, *kernel)``:
      ``fan_in = in * receptive``, ``fan_out = out * receptive``
      (``nn.Linear.weight`` is ``(out, in)``, ``nn.Conv2d.weight`` is ``(out, in, kh, kw)``);
    * ``layout="keras"``, shape ``(*kernel, in, out)``: the same formulas read from the end
      (a ``x @ W`` matrix is ``(in, out)``, a Keras ``Conv2D`` kernel ``(kh, kw, in, out)``).

    Transposed convolutions store ``(in, out, *kernel)`` in torch; as in ``torch.nn.init`` the
    fans are then swapped: ``mode="fan_out"`` gives a He scheme ``in_channels * receptive``.
    ``input_axes`` and ``output_axes``, given together, override the layout as in Keras:
    ``fan_in`` is the product of the dimensions on ``input_axes``, ``fan_out`` of those on
    ``output_axes`` (e.g. a ``(dim, heads, key_dim)`` attention kernel: ``[0]`` and ``[1, 2]``).

    Parameters
    ----------
    shape : int or sequence of int
        Shape of the weight, at least 2 dimensions, none of them 0.
    layout : {"torch", "keras"}, default "torch"
        How ``shape`` is read.
    input_axes, output_axes : sequence of int, optional
        Axes of the input and of the output units (both or neither).

    Returns
    -------
    tuple of int
        ``(fan_in, fan_out)``.

    Raises
    ------
    ValueError
        Fewer than 2 dimensions, a zero-size shape, an unknown layout, or bad axes.

    Examples
    --------
    >>> from fastinit import init
    >>> init.compute_fans((64, 3, 5, 5))
    (75, 1600)
    >>> init.compute_fans((5, 5, 3, 64), layout="keras")
    (75, 1600)
    >>> init.compute_fans((512, 8, 64), input_axes=[0], output_axes=[1, 2])
    (512, 512)
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
    return _fans(dims, layout, input_axes, output_axes)


def _fans(
    dims: tuple[int, ...],
    layout: str,
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Fans by Keras's rule below 2 dimensions (1 for a scalar, ``n`` for a vector)."""
    if input_axes is not None or output_axes is not None:
        fan_in = _axes_size(dims, input_axes, "input_axes")
        return fan_in, _axes_size(dims, output_axes, "output_axes")
    if len(dims) < 2:
        return (dims[0], dims[0]) if dims else (1, 1)
    if layout == "torch":
        fan_out, fan_in, kernel = dims[0], dims[1], dims[2:]
    else:
        fan_in, fan_out, kernel = dims[-2], dims[-1], dims[:-2]
    receptive = math.prod(kernel)
    return fan_in * receptive, fan_out * receptive


def _axes_size(dims: tuple[int, ...], axes: Sequence[int] | None, name: str) -> int:
    if axes is None:
        # Keras silently falls back to the layout when only one is given; that hides a typo.
        raise ValueError("input_axes and output_axes must be given together")
    try:
        return math.prod(dims[operator.index(a)] for a in axes)
    except (TypeError, IndexError):
        raise ValueError(
            f"{name} must be a sequence of axes of a {len(dims)}-D shape, got {axes!r}"
        ) from None


def _one_of(options: Sequence[str]) -> str:
    quoted = [repr(o) for o in options]
    return " or ".join(quoted) if len(quoted) == 2 else "one of " + ", ".join(quoted)


def _select_fan(
    fans: tuple[int, int], mode: str, modes: tuple[str, ...] = ("fan_in", "fan_out")
) -> float:
    key = mode.lower() if isinstance(mode, str) else mode
    if key not in modes:
        raise ValueError(f"Invalid `mode` argument: mode must be {_one_of(modes)}, got {mode!r}")
    fan_in, fan_out = fans
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[key]


# The std of every fan-based scheme is computed here once; generators, in-place twins and
# the registry all go through these helpers.


def _xavier_std(shape: tuple[int, ...], gain: float, layout: str) -> float:
    fan_in, fan_out = compute_fans(shape, layout)
    return _check_number("gain", gain) * math.sqrt(2.0 / (fan_in + fan_out))


def _kaiming_std(
    shape: tuple[int, ...], a: float, mode: str, nonlinearity: str, layout: str
) -> float:
    fan = _select_fan(compute_fans(shape, layout), mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _lecun_std(shape: tuple[int, ...], layout: str) -> float:
    return 1.0 / math.sqrt(compute_fans(shape, layout)[0])


def _variance_scaling_std(
    shape: tuple[int, ...],
    scale: float,
    mode: str,
    layout: str,
    axes: tuple[Sequence[int] | None, Sequence[int] | None],
) -> float:
    scale = _check_number("scale", scale)
    if not scale > 0:
        raise ValueError(f"Argument `scale` must be positive float, got {scale}")
    _check_layout(layout)
    fan = _select_fan(_fans(shape, layout, *axes), mode, ("fan_in", "fan_out", "fan_avg"))
    return math.sqrt(scale / max(1.0, fan))


# --------------------------------------------------------------------------------------------
# Samplers (all randomness goes through these)
# --------------------------------------------------------------------------------------------


class _TorchDraws:
    """torch's RNG as the source of a twin's values, drawn into the target tensor itself.

    Each draw makes the same torch calls as ``torch.nn.init`` where there is a torch function
    for it, so that after ``torch.manual_seed`` (or with the same ``generator``) the values are
    torch's own. Passed down as ``rng``; the samplers below dispatch on it.
    """

    def __init__(self, tensor: Any, generator: Any) -> None:
        self.tensor, self.generator = tensor, generator

    def uniform(self, low: float, high: float) -> Any:
        t = self.tensor
        if high - low <= sys.modules["torch"].finfo(t.dtype).max:
            return t.uniform_(low, high, generator=self.generator)
        # torch refuses a width past the dtype's range (RuntimeError): weigh the bounds, as the
        # NumPy path does.
        t.uniform_(0.0, 1.0, generator=self.generator)
        rest = (1 - t).mul_(low)
        return t.mul_(high).add_(rest).clamp_(low, high)

    def normal(self, mean: float, std: float) -> Any:
        return self.tensor.normal_(mean, std, generator=self.generator)

    def truncated(self, mean: float, std: float, low: float, high: float) -> Any:
        if _normal_mass((low - mean) / std, (high - mean) / std) > 0.3:
            # torch redraws rejected normals here: exact, fast, and torch's values.
            torch = sys.modules["torch"]
            return torch.nn.init.trunc_normal_(
                self.tensor, mean, std, low, high, generator=self.generator
            )
        # torch's uniform proposals fail on infinite bounds and take minutes in a far tail:
        # fastinit's exact sampler instead, seeded from torch's RNG.
        values = _sample_truncated(
            tuple(self.tensor.shape), mean, std, low, high, self.numpy_generator(), np.float64
        )
        return self.tensor.copy_(sys.modules["torch"].from_numpy(values))

    def orthogonal(self, rows: int, cols: int, transposed: bool, gain: float) -> Any:
        # torch.nn.init.orthogonal_'s steps; its QR has no float16/bfloat16 kernel on the CPU.
        torch, t = sys.modules["torch"], self.tensor
        work = t.dtype if t.dtype in (torch.float32, torch.float64) else torch.float32
        flat = t.new_empty((rows, cols), dtype=work).normal_(0, 1, generator=self.generator)
        if rows < cols:
            flat.t_()
        q, r = torch.linalg.qr(flat)
        q *= torch.diag(r, 0).sign()
        if rows < cols:
            q.t_()
        t.copy_((q.T if transposed else q).reshape(t.shape))
        return t.mul_(gain)

    def sparse(self, n_zeros: int, std: float) -> Any:
        torch, t = sys.modules["torch"], self.tensor
        rows, cols = t.shape
        t.normal_(0, std, generator=self.generator)
        # torch.nn.init.sparse_ draws the permutations from the default generator even when
        # given one; here a generator decides everything it is given for.
        g = self.generator
        perm = {} if g is None else {"generator": g, "device": g.device}
        for col in range(cols):
            t[torch.randperm(rows, **perm)[:n_zeros], col] = 0
        return t

    def numpy_generator(self) -> np.random.Generator:
        torch = sys.modules["torch"]
        device = "cpu" if self.generator is None else self.generator.device
        seed = torch.randint(0, 2**63 - 1, (), generator=self.generator, device=device)
        return np.random.default_rng(int(seed))


def _normal_mass(alpha: float, beta: float) -> float:
    """Φ(β) − Φ(α) for α ≤ β, computed on the side where it does not cancel."""
    if alpha >= 0:
        return 0.5 * (math.erfc(alpha / math.sqrt(2)) - math.erfc(beta / math.sqrt(2)))
    if beta <= 0:
        return 0.5 * (math.erfc(-beta / math.sqrt(2)) - math.erfc(-alpha / math.sqrt(2)))
    return 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))


def _sample_uniform(
    shape: tuple[int, ...],
    low: float,
    high: float,
    rng: RNGLike,
    dtype: npt.DTypeLike,
    names: str = "low and high",
) -> np.ndarray:
    _check_reach(max(-low, high), dtype, names)
    if isinstance(rng, _TorchDraws):
        return rng.uniform(low, high)
    dt = _as_float_dtype(dtype)
    gen = _as_generator(rng)
    sampling = _sampling_dtype(dt)
    out = gen.random(shape, dtype=sampling)
    span = high - low
    if span <= float(np.finfo(sampling).max):
        out *= span
        out += low
    else:
        # The width overflows the sampling float (e.g. ±3e38 in float32): weigh the bounds
        # instead, whose terms have opposite signs and cannot overflow.
        out = out * high + (1 - out) * low
        np.clip(out, low, high, out=out)
    return out.astype(dt, copy=False)


def _sample_normal(
    shape: tuple[int, ...],
    mean: float,
    std: float,
    rng: RNGLike,
    dtype: npt.DTypeLike,
    names: str = "mean and std",
) -> np.ndarray:
    _check_reach(abs(mean) + _NORMAL_REACH * std, dtype, names)
    if isinstance(rng, _TorchDraws):
        return rng.normal(mean, std)
    dt = _as_float_dtype(dtype)
    gen = _as_generator(rng)
    out = gen.standard_normal(shape, dtype=_sampling_dtype(dt))
    out *= std
    out += mean
    return out.astype(dt, copy=False)


def _truncated_standard_normal(
    alpha: float, beta: float, n: int, gen: np.random.Generator
) -> np.ndarray:
    """Exact N(0, 1) samples restricted to [alpha, beta], alpha < beta, float64.

    Rejection sampling with the proposal of Robert (1995), "Simulation of truncated normal
    variables": a normal for wide intervals around 0, a uniform for narrow ones and a shifted
    exponential in the tails, so the acceptance rate stays high for any interval (plain normal
    rejection would almost never accept in a far tail). Nothing squares a bound, so bounds up
    to float64's largest stay finite.
    """
    if beta <= 0.0:
        # Mirror onto the positive side so that tails need only one code path; alpha < beta
        # makes -alpha > 0, so the mirrored interval is never mirrored back.
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
        # Robert's optimal rate, (alpha + sqrt(alpha² + 4)) / 2; past 1e150 alpha² would
        # overflow and the rate is alpha to float64 precision (they differ by 1/alpha).
        lam = 0.5 * (alpha + math.sqrt(alpha * alpha + 4.0)) if alpha < 1e150 else alpha
        # Log ratio of the uniform to the exponential acceptance rate; the normal mass of
        # [alpha, beta] cancels. lam² - alpha·lam = 1 turns alpha²/2 - lam·alpha + lam²/2 into
        # 1/(2 lam²), which neither overflows nor cancels far in the tail.
        log_ratio = 0.5 / (lam * lam) - math.log(beta - alpha) - math.log(lam)
        if log_ratio > 0.0:
            # Only narrow intervals (beta - alpha below about 1/alpha) come here, so alpha is
            # small enough (under ~1e8: the width is at least alpha's ulp) for (z + alpha).

            def propose(m: int) -> np.ndarray:
                z = gen.uniform(alpha, beta, m)
                return z[gen.random(m) <= np.exp(-0.5 * (z - alpha) * (z + alpha))]

        else:

            def propose(m: int) -> np.ndarray:
                z = alpha + gen.standard_exponential(m) / lam
                keep = (z <= beta) & (gen.random(m) <= np.exp(-0.5 * (z - lam) ** 2))
                return z[keep]

    out = np.empty(n)
    filled = idle = 0
    while filled < n:
        need = n - filled
        m = min(int(need / rate * 1.1) + 16, 1 << 24)
        accepted = propose(m)
        k = min(accepted.size, need)
        out[filled : filled + k] = accepted[:k]
        filled += k
        rate = max(accepted.size / m, 1e-3)
        # Each proposal above accepts a fraction of its draws bounded away from zero (Robert
        # 1995), and a round that accepts nothing makes the next one draw over 16,000: many
        # such rounds in a row cannot happen for a valid interval, only through a bug.
        idle = 0 if k else idle + 1
        if idle == _MAX_IDLE_ROUNDS:
            raise RuntimeError(
                f"truncated normal sampler on [{alpha!r}, {beta!r}] (std units) accepted no "
                f"proposal in {idle} rounds; this is a bug in fastinit, please report it"
            )
    return out


_MAX_IDLE_ROUNDS = 64


def _truncated_flat(
    low: float, high: float, alpha: float, std: float, n: int, gen: np.random.Generator
) -> np.ndarray:
    """N(mean, std²) on [low, high] when the interval is narrower than float64 resolves in std
    units (alpha == beta): the log density is linear across it to float64 precision, falling by
    ``t = |alpha| · (high - low) / std``, so the draws are a truncated exponential, by
    inversion from the bound nearer the mean."""
    width = high - low
    t = abs(alpha) * (width / std)
    u = gen.random(n)
    # The fraction of the width from that bound: inverse CDF of exp(-t·e) on [0, 1].
    e = -np.log1p(u * math.expm1(-t)) / t if t > 0.0 else u
    return low + width * e if alpha >= 0.0 else high - width * e


def _sample_truncated(
    shape: tuple[int, ...],
    mean: float,
    std: float,
    low: float,
    high: float,
    rng: RNGLike,
    dtype: npt.DTypeLike,
    names: str = "mean, std, a and b",
) -> np.ndarray:
    """N(mean, std²) truncated to the absolute interval [low, high], low <= high."""
    # Where the values can lie: in [low, high], and near the mean or past the bound nearer to it
    # (an infinite bound does not count).
    reach_low = max(low, min(high, mean) - _TAIL_REACH * std)
    reach_high = min(high, max(low, mean) + _TAIL_REACH * std)
    _check_reach(max(-reach_low, reach_high), dtype, names)
    if isinstance(rng, _TorchDraws):
        return rng.truncated(mean, std, low, high)
    dt = _as_float_dtype(dtype)
    gen = _as_generator(rng)
    n = math.prod(shape)
    # A finite bound beyond float64's range in std units becomes ±inf here.
    alpha, beta = (low - mean) / std, (high - mean) / std
    # float64 throughout: the accept tests and the tails need more than float32 precision.
    if alpha == math.inf or beta == -math.inf:
        # A finite bound beyond float64's range in std units: the truncated distribution's
        # spread, std² / |bound - mean|, is below the bound's ulp, so every value is the bound.
        x = np.full(n, low if alpha == math.inf else high)
    elif not alpha < beta:
        x = _truncated_flat(low, high, alpha, std, n, gen)
    else:
        x = mean + std * _truncated_standard_normal(alpha, beta, n, gen)
    np.clip(x, low, high, out=x)  # mean + std*z can round one ulp past a bound
    return x.reshape(shape).astype(dt, copy=False)


def _warn_if_symmetric(shape: tuple[int, ...], value: np.ndarray, warn: bool) -> None:
    # An array value with distinct entries gives the units distinct weights, and an empty
    # weight has no units: nothing to warn of.
    if not warn or len(shape) < 2 or 0 in shape or value.min() != value.max():
        return
    _warn(
        f"initializing a weight array of shape {shape} with the constant {value.flat[0]}: all "
        "hidden units then compute the same function and receive the same gradient, so the "
        "symmetry between them is never broken and they stay identical during training. Use a "
        "random scheme (e.g. he_normal, xavier_uniform) for weights and constants for biases; "
        "pass warn_symmetry=False to silence this warning."
    )


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------


@_public
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


@_public
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


@_public
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
    a, b = _check_number("a", a, infinite=True), _check_number("b", b, infinite=True)
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


@_public
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
    return _sample_uniform(dims, -bound, bound, rng, dtype, "gain")


@_public
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
    return _sample_normal(dims, 0.0, _xavier_std(dims, gain, layout), rng, dtype, "gain")


@_public
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
    return _sample_uniform(dims, -bound, bound, rng, dtype, "a and nonlinearity")


@_public
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
    return _sample_normal(dims, 0.0, std, rng, dtype, "a and nonlinearity")


@_public
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


@_public
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


_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


@_public
@_documented
def variance_scaling(
    shape: ShapeLike,
    *,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    layout: str = "torch",
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
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
    The fans are Keras's for any shape: a vector of length n has fan_in = fan_out = n, a
    scalar 1, and zero-size shapes are allowed (their fans count as 1).

    Parameters
    ----------
    $shape
    scale : float, default 1.0
        Target variance times fan, ``scale > 0``.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan divides ``scale``.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
        Distribution of the samples, case-insensitive; ``"normal"``, the name in old Keras
        configs, means ``"truncated_normal"`` as in Keras.
    $layout
    input_axes, output_axes : sequence of int, optional
        Axes whose sizes multiply into fan_in and fan_out, overriding ``layout`` (both or
        neither), as in Keras; see :func:`compute_fans`.
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
    std = _variance_scaling_std(dims, scale, mode, layout, (input_axes, output_axes))
    kind = _distribution_kind(distribution)
    if kind == "truncated_normal":
        s = std / _TRUNC_2SIGMA_STD
        return _sample_truncated(dims, 0.0, s, -2.0 * s, 2.0 * s, rng, dtype, "scale")
    if kind == "untruncated_normal":
        return _sample_normal(dims, 0.0, std, rng, dtype, "scale")
    return _sample_uniform(dims, -_SQRT3 * std, _SQRT3 * std, rng, dtype, "scale")


def _distribution_kind(distribution: str) -> str:
    kind = distribution.lower() if isinstance(distribution, str) else distribution
    kind = "truncated_normal" if kind == "normal" else kind
    if kind not in _DISTRIBUTIONS:
        raise ValueError(
            f"Invalid `distribution` argument: distribution must be {_one_of(_DISTRIBUTIONS)} "
            f"(or 'normal'), got {distribution!r}"
        )
    return kind


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


@_public
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
    if len(dims) < 2:
        raise ValueError(f"Only arrays with 2 or more dimensions are supported, got shape {dims}")
    _check_reach(abs(gain), dt, "gain")  # the entries of Q lie in [-1, 1]
    if 0 in dims:
        return np.zeros(dims, dtype=dt)
    return _sample_orthogonal(dims, gain, layout, rng, dt)


def _sample_orthogonal(
    dims: tuple[int, ...], gain: float, layout: str, rng: RNGLike, dt: np.dtype
) -> np.ndarray:
    # Output units are rows of the torch-layout matrix; a Keras kernel is its transpose.
    if layout == "torch":
        rows, cols = dims[0], math.prod(dims[1:])
    else:
        rows, cols = dims[-1], math.prod(dims[:-1])
    if isinstance(rng, _TorchDraws):
        return rng.orthogonal(rows, cols, layout == "keras", gain)
    q = _orthogonal_matrix(rows, cols, _as_generator(rng))
    if layout == "keras":
        q = q.T
    q *= gain
    return np.ascontiguousarray(q.reshape(dims), dtype=dt)


@_public
@_documented
def constant(
    shape: ShapeLike,
    value: float | npt.ArrayLike,
    *,
    warn_symmetry: bool = True,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Every element equal to ``value``, or ``value`` broadcast to the shape.

    Meant for biases; on a weight array (2 or more dimensions) it warns, see ``warn_symmetry``.
    An array ``value`` is broadcast as in Keras's ``Constant``, e.g. one bias per unit.

    Parameters
    ----------
    $shape
    value : float or array_like of float
        The fill value, or values broadcastable to ``shape`` (no NaN).
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
    >>> init.constant((2, 3), [1.0, 2.0, 3.0], dtype="float64")
    array([[1., 2., 3.],
           [1., 2., 3.]])
    """
    dims = _as_shape(shape)
    dt = _as_float_dtype(dtype)
    values = _as_fill_value(value)
    if values.size:
        _check_reach(float(np.abs(values.astype(np.float64)).max()), dt, "value")
    try:
        out = np.full(dims, values, dtype=dt)
    except ValueError:
        raise ValueError(
            f"value of shape {values.shape} does not broadcast to shape {dims}"
        ) from None
    _warn_if_symmetric(dims, values, warn_symmetry)
    return out


def _as_fill_value(value: Any) -> np.ndarray:
    if np.ndim(value) == 0:
        return np.asarray(_check_number("value", value))
    values = np.asarray(value)
    if values.dtype.kind not in "iuf":
        raise TypeError(
            f"value must be a real number or an array of real numbers, got dtype {values.dtype}"
        )
    if not np.isfinite(values).all():
        raise ValueError("value must be finite: it contains NaN or infinity")
    return values


@_public
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


@_public
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


@_public
@_documented
def eye(shape: ShapeLike, *, gain: float = 1.0, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """Identity matrix times gain: W[i, i] = gain, 0 elsewhere (also for non-square shapes).

    Preserves as many inputs as possible through a linear layer, as ``torch.nn.init.eye_``
    (``gain=1``) and Keras's ``Identity(gain)``. The same array serves both layouts.

    Parameters
    ----------
    $shape
        Exactly 2 dimensions.
    gain : float, default 1.0
        Value of the diagonal.
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
    gain = _check_number("gain", gain)
    if len(dims) != 2:
        raise ValueError(f"Only arrays with 2 dimensions are supported by eye, got shape {dims}")
    _check_reach(abs(gain), dt, "gain")
    out = np.eye(*dims, dtype=dt)
    out *= gain
    return out


@_public
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


@_public
@_documented
def sparse(
    shape: ShapeLike,
    sparsity: float,
    *,
    std: float = 0.01,
    rng: RNGLike = None,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Sparse initialization of Martens (2010): each column mostly zeros, the rest N(0, std²).

    As ``torch.nn.init.sparse_``: in each column ``ceil(sparsity * rows)`` entries, at rows
    drawn uniformly without replacement, are 0 and the others are drawn from N(0, std²).
    Martens, "Deep learning via Hessian-free optimization" (ICML 2010): few, larger weights
    make units differ from the start without saturating them.

    Parameters
    ----------
    $shape
        Exactly 2 dimensions.
    sparsity : float
        Fraction of zeros in each column, in [0, 1].
    std : float, default 0.01
        Standard deviation of the nonzero entries, ``std >= 0``.
    $rng
    $dtype

    Returns
    -------
    $returns

    Examples
    --------
    >>> from fastinit import init
    >>> W = init.sparse((10, 4), 0.25, rng=0)
    >>> (W == 0).sum(axis=0).tolist()  # ceil(0.25 * 10) zeros per column
    [3, 3, 3, 3]
    """
    dims = _as_shape(shape)
    if len(dims) != 2:
        raise ValueError(f"Only arrays with 2 dimensions are supported by sparse, got shape {dims}")
    sparsity, std = _check_number("sparsity", sparsity), _check_number("std", std)
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    if std < 0:
        raise ValueError(f"sparse needs std >= 0, got {std}")
    return _sample_sparse(dims, math.ceil(sparsity * dims[0]), std, rng, dtype)


def _sample_sparse(
    dims: tuple[int, ...], n_zeros: int, std: float, rng: RNGLike, dtype: npt.DTypeLike
) -> np.ndarray:
    _check_reach(_NORMAL_REACH * std, dtype, "std")
    if isinstance(rng, _TorchDraws):
        return rng.sparse(n_zeros, std)
    gen = _as_generator(rng)
    out = _sample_normal(dims, 0.0, std, gen, dtype)
    # Sorting one uniform key per entry puts each column's rows in a uniformly random order.
    zero_rows = gen.random(dims).argsort(axis=0)[:n_zeros]
    np.put_along_axis(out, zero_rows, 0, axis=0)
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


class _Missing:
    """Default of a twin parameter that is required or may come under its other name."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_REQUIRED = _Missing("<required>")


def _check_target(x: Any, torch: Any) -> None:
    if torch is not None:
        if not x.is_floating_point():
            raise TypeError(f"x must have a floating dtype, got tensor dtype {x.dtype}")
        return
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy.ndarray or a torch.Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"x must have a floating dtype, got dtype {x.dtype}")
    if not x.flags.writeable:
        raise ValueError("x is read-only; pass a writable array")


def _check_sources(torch: Any, rng: RNGLike, generator: Any) -> None:
    if generator is None:
        return
    if torch is None:
        raise TypeError(
            "generator= is a torch.Generator and draws into torch tensors only; "
            "fill a NumPy array with rng= (a seed or numpy.random.Generator)"
        )
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if rng is not None:
        # Two sources for one draw would leave one of them silently unused.
        raise TypeError("pass rng= (NumPy draws) or generator= (torch draws), not both")


def _fill(
    name: str,
    x: _T,
    generator: Callable[..., np.ndarray],
    kwargs: dict[str, Any],
    torch_generator: Any,
    fan_based: bool,
) -> _T:
    torch = _torch_module(x)
    _check_target(x, torch)
    _check_sources(torch, kwargs.get("rng"), torch_generator)
    if fan_based and math.prod(x.shape) == 0:
        # As torch.nn.init.kaiming_*_: an empty weight has no fans and nothing to fill.
        _warn(f"{name}: Initializing zero-element tensors is a no-op")
        return x
    if torch is None:
        # Assignment writes through x's strides, so Fortran-order arrays and strided views are
        # filled in place with the same logical values as the generator returns.
        x[...] = generator(x.shape, **kwargs, dtype=x.dtype)
        return x
    if "rng" in kwargs and kwargs["rng"] is None:
        kwargs["rng"] = _TorchDraws(x, torch_generator)
    # NumPy draws are those of the NumPy path; other float types (bfloat16) take float32
    # draws and are rounded by copy_.
    np_dtype = {torch.float16: np.float16, torch.float64: np.float64}.get(x.dtype, np.float32)
    with torch.no_grad():
        values = generator(tuple(x.shape), **kwargs, dtype=np_dtype)
        if values is not x:  # torch's draws went straight into x
            x.copy_(torch.from_numpy(values))
    return x


def _bind_twin(
    sig: inspect.Signature,
    aliases: Mapping[str, str],
    targets: Mapping[str, str],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """A twin's arguments, in torch's call form or fastinit's, as the generator's keywords.

    ``aliases`` maps fastinit's name of a parameter to torch's, ``targets`` torch's name to the
    generator's keyword.
    """
    arguments = dict(sig.bind(*args, **kwargs).arguments)
    for alias, primary in aliases.items():
        if alias in arguments:
            if primary in arguments:
                raise TypeError(f"{primary}= and {alias}= are the same argument; pass one")
            arguments[primary] = arguments.pop(alias)
    for param in sig.parameters.values():
        if param.default is _REQUIRED and param.name not in arguments:
            raise TypeError(f"missing a required argument: {param.name!r}")
    return {targets.get(key, key): value for key, value in arguments.items()}


_TWIN_TARGET_DOC = (
    "x : numpy.ndarray or torch.Tensor\n"
    "    Floating array to fill: writable, any memory order, views included (filled through\n"
    "    their strides, never copied); or a floating torch tensor, whose dtype, device and\n"
    "    ``requires_grad`` are kept (filled under ``torch.no_grad()``). Its shape plays the\n"
    "    role of ``shape``. A zero-element ``x`` is returned unchanged$fan_note."
)
_TWIN_RNG_DOC = (
    "rng : None, int, numpy.random.Generator, BitGenerator or SeedSequence, optional\n"
    "    NumPy source of randomness: given, the values are those of the generator with the\n"
    "    same ``rng``, for an array and a tensor alike. None draws fresh OS entropy for a NumPy\n"
    "    array and draws with torch for a torch tensor (see ``generator``).\n"
    "generator : torch.Generator, optional\n"
    "    For a torch tensor without ``rng``: the torch generator to draw from, as in\n"
    "    ``torch.nn.init``; None means torch's default one, so that ``torch.manual_seed``\n"
    "    reproduces the values. Refused together with ``rng``, and for NumPy arrays."
)


def _twin_doc(
    generator: Callable[..., Any],
    name: str,
    example: str,
    aliases: Mapping[str, str],
    fan_based: bool,
) -> str:
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
    fan_note = " with a warning, as in ``torch.nn.init.kaiming_normal_``" if fan_based else ""
    kept = [Template(_TWIN_TARGET_DOC).substitute(fan_note=fan_note)]
    for entry in entries:
        names, _, rest_of_entry = entry.partition(" : ")
        own = names.split(", ")
        if own[0] in ("shape", "dtype"):
            continue
        if own[0] == "rng":
            kept.append(_TWIN_RNG_DOC)
            continue
        if own[0] in aliases:
            renamed = ", ".join(aliases.get(n, n) for n in own)
            accepted = ", ".join(f"``{n}=``" for n in own)
            plural = "s" if len(own) > 1 else ""
            also = f"Also accepted as {accepted}, fastinit's name{plural}."
            entry = f"{renamed} : {rest_of_entry}\n    {also}"
        kept.append(entry)
    return (
        f"Fill ``x`` in place, as :func:`{generator.__name__}` would. {summary}\n"
        f"{description.rstrip()}\n\n"
        "Parameters\n----------\n" + "\n".join(kept) + "\n\n"
        "Returns\n-------\nnumpy.ndarray or torch.Tensor\n    ``x`` itself.\n\n"
        "Examples\n--------\n>>> import numpy as np\n>>> from fastinit import init\n"
        f"{example.replace('NAME', name)}\n"
    )


def _twin_signature(
    generator: Callable[..., Any], torch_params: Sequence[str]
) -> tuple[inspect.Signature, dict[str, str], dict[str, str]]:
    """torch's signature for the twin: ``x``, torch's parameters by position (in torch's order,
    under torch's names), ``generator`` for random schemes, then the rest keyword-only, with
    fastinit's names of renamed parameters as keyword-only aliases."""
    P = inspect.Parameter
    rest = {
        n: p
        for n, p in inspect.signature(generator).parameters.items()
        if n not in ("shape", "dtype")
    }
    aliases: dict[str, str] = {}
    targets: dict[str, str] = {}
    params = [P("x", P.POSITIONAL_OR_KEYWORD, annotation="_T")]
    for spec in torch_params:
        primary, _, target = spec.partition("=")
        target = target or primary
        p = rest.pop(target)
        if target != primary:
            aliases[target], targets[primary] = primary, target
        default = _REQUIRED if p.default is P.empty and target != primary else p.default
        params.append(P(primary, P.POSITIONAL_OR_KEYWORD, default=default, annotation=p.annotation))
    if "rng" in rest:
        generator_type = "torch.Generator | None"
        params.append(
            P("generator", P.POSITIONAL_OR_KEYWORD, default=None, annotation=generator_type)
        )
    params += [p.replace(kind=P.KEYWORD_ONLY) for p in rest.values()]
    params += [
        P(alias, P.KEYWORD_ONLY, default=_Missing(f"<same as {primary}>"))
        for alias, primary in aliases.items()
    ]
    return inspect.Signature(params, return_annotation="_T"), aliases, targets


def _in_place(
    generator: Callable[..., np.ndarray],
    torch_params: Sequence[str] = (),
    example: str = (
        ">>> W = np.empty((256, 784), dtype=np.float32)\n>>> init.NAME(W, rng=0) is W\nTrue"
    ),
    fan_based: bool = False,
) -> Callable[..., Any]:
    """Build the ``name_`` twin of a generator, called as its ``torch.nn.init`` namesake.

    ``torch_params`` are the parameters torch takes by position, in torch's order, each
    ``"name"`` or ``"torch_name=generator_keyword"``. ``fan_based`` twins warn and do nothing
    on a zero-element target, as torch's Kaiming initializers do.
    """
    name = generator.__name__ + "_"
    sig, aliases, targets = _twin_signature(generator, torch_params)
    random = "rng" in sig.parameters

    def twin(*args: Any, **kwargs: Any) -> Any:
        arguments = _bind_twin(sig, aliases, targets, args, kwargs)
        x, source = arguments.pop("x"), arguments.pop("generator", None)
        if random:
            arguments.setdefault("rng", None)
        return _fill(name, x, generator, arguments, source, fan_based)

    twin.__name__ = twin.__qualname__ = name
    twin.__module__ = __name__
    twin.__signature__ = sig  # type: ignore[attr-defined]
    twin.__annotations__ = {
        p.name: p.annotation
        for p in sig.parameters.values()
        if p.annotation is not inspect.Parameter.empty
    } | {"return": "_T"}
    twin.__doc__ = _twin_doc(generator, name, example, aliases, fan_based)
    return _public(twin, name)


_BIAS_EXAMPLE = ">>> b = np.empty(10, dtype=np.float32)\n>>> init.NAME(b{args}) is b\nTrue"
_TORCH_EXAMPLE = (
    ">>> W = np.empty((256, 784), dtype=np.float32)\n>>> init.NAME(W, {args}rng=0) is W\nTrue"
)

uniform_ = _in_place(uniform, ("a=low", "b=high"), _TORCH_EXAMPLE.format(args="-0.1, 0.1, "))
normal_ = _in_place(normal, ("mean", "std"), _TORCH_EXAMPLE.format(args="0.0, 0.02, "))
trunc_normal_ = _in_place(
    trunc_normal, ("mean", "std", "a", "b"), _TORCH_EXAMPLE.format(args="0.0, 0.02, -0.04, 0.04, ")
)
xavier_uniform_ = _in_place(xavier_uniform, ("gain",), fan_based=True)
xavier_normal_ = _in_place(xavier_normal, ("gain",), fan_based=True)
kaiming_uniform_ = _in_place(kaiming_uniform, ("a", "mode", "nonlinearity"), fan_based=True)
kaiming_normal_ = _in_place(
    kaiming_normal,
    ("a", "mode", "nonlinearity"),
    _TORCH_EXAMPLE.format(args='0, "fan_out", "relu", '),
    fan_based=True,
)
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
lecun_uniform_ = _in_place(lecun_uniform, fan_based=True)
lecun_normal_ = _in_place(lecun_normal, fan_based=True)
variance_scaling_ = _in_place(variance_scaling, ("scale", "mode", "distribution"), fan_based=True)
orthogonal_ = _in_place(orthogonal, ("gain",))
sparse_ = _in_place(sparse, ("sparsity", "std"), _TORCH_EXAMPLE.format(args="0.9, "))
constant_ = _in_place(constant, ("val=value",), _BIAS_EXAMPLE.format(args=", 0.1"))
zeros_ = _in_place(zeros, (), _BIAS_EXAMPLE.format(args=""))
ones_ = _in_place(ones, (), _BIAS_EXAMPLE.format(args=""))
eye_ = _in_place(
    eye, (), ">>> W = np.empty((3, 5))\n>>> init.NAME(W)[1]\narray([0., 1., 0., 0., 0.])"
)
dirac_ = _in_place(
    dirac, ("groups",), ">>> K = np.empty((8, 8, 3, 3))\n>>> float(init.NAME(K).sum())\n8.0"
)


def _torch_alias(generator: Callable[..., Any], twin: Callable[..., Any]) -> Callable[..., Any]:
    """``generator``, except that a floating torch tensor first means torch's deprecated alias.

    ``torch.nn.init.normal(w)`` is torch's old name of ``normal_(w)``: with a tensor in place
    of the shape, fill it as torch does, with torch's FutureWarning, so old code still runs.
    """

    @functools.wraps(generator)
    def generator_or_alias(*args: Any, **kwargs: Any) -> Any:
        torch = _torch_module(args[0]) if args else None
        if torch is not None and args[0].is_floating_point():
            _warn(
                f"`{generator.__name__}(tensor, ...)` is torch's deprecated form of "
                f"`{twin.__name__}`; fastinit's `{generator.__name__}` makes a new array from a "
                f"shape. Call `{twin.__name__}` to fill a tensor.",
                FutureWarning,
            )
            return twin(*args, **kwargs)
        return generator(*args, **kwargs)

    return generator_or_alias


# The names torch.nn.init keeps as deprecated aliases of its in-place functions.
uniform = _torch_alias(uniform, uniform_)
normal = _torch_alias(normal, normal_)
constant = _torch_alias(constant, constant_)
eye = _torch_alias(eye, eye_)
dirac = _torch_alias(dirac, dirac_)
xavier_uniform = _torch_alias(xavier_uniform, xavier_uniform_)
xavier_normal = _torch_alias(xavier_normal, xavier_normal_)
kaiming_uniform = _torch_alias(kaiming_uniform, kaiming_uniform_)
kaiming_normal = _torch_alias(kaiming_normal, kaiming_normal_)
orthogonal = _torch_alias(orthogonal, orthogonal_)
sparse = _torch_alias(sparse, sparse_)


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
        layout: str | None = None,
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
    "sparse": sparse,
}

SCHEMES: tuple[str, ...] = tuple(_REGISTRY)

_KERAS_AXES = {"input_axes": None, "output_axes": None}


def _keras_variance_scaling(scale: float, mode: str, distribution: str) -> tuple[Any, ...]:
    return (
        variance_scaling,
        _KERAS_AXES,
        {"scale": scale, "mode": mode, "distribution": distribution},
    )


# Keras's initializer classes: (generator, Keras's parameters with Keras's defaults, generator
# keywords the class fixes). Random ones also take Keras's ``seed``.
_KERAS: dict[str, tuple[Callable[..., np.ndarray], dict[str, Any], dict[str, Any]]] = {
    "RandomNormal": (normal, {"mean": 0.0, "stddev": 0.05}, {}),
    "RandomUniform": (uniform, {"minval": -0.05, "maxval": 0.05}, {}),
    "TruncatedNormal": (
        trunc_normal,
        {"mean": 0.0, "stddev": 0.05},
        {"a": -2.0, "b": 2.0, "bounds": "std"},
    ),
    "VarianceScaling": (
        variance_scaling,
        {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", **_KERAS_AXES},
        {},
    ),
    "GlorotUniform": _keras_variance_scaling(1.0, "fan_avg", "uniform"),
    "GlorotNormal": _keras_variance_scaling(1.0, "fan_avg", "truncated_normal"),
    "HeUniform": _keras_variance_scaling(2.0, "fan_in", "uniform"),
    "HeNormal": _keras_variance_scaling(2.0, "fan_in", "truncated_normal"),
    "LecunUniform": _keras_variance_scaling(1.0, "fan_in", "uniform"),
    "LecunNormal": _keras_variance_scaling(1.0, "fan_in", "truncated_normal"),
    "Orthogonal": (orthogonal, {"gain": 1.0}, {}),
    "Identity": (eye, {"gain": 1.0}, {}),
    "Constant": (constant, {"value": 0.0}, {}),
    "Zeros": (zeros, {}, {}),
    "Ones": (ones, {}, {}),
}
_KERAS_RENAMES = {"stddev": "std", "minval": "low", "maxval": "high"}


def _snake(class_name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in class_name).lstrip("_")


# Keras's other spellings. A snake_case name fastinit already has keeps fastinit's meaning
# (existing code and seeds rely on it); Keras's is then reached by the class name.
_KERAS_ALIASES: dict[str, str] = {
    **{c: c for c in _KERAS},
    **{_snake(c): c for c in _KERAS if _snake(c) not in _REGISTRY},
    "IdentityInitializer": "Identity",
    "OrthogonalInitializer": "Orthogonal",
    "one": "Ones",
    "zero": "Zeros",
}
_KERAS_SHADOWED = {_snake(c): c for c in _KERAS if _snake(c) in _REGISTRY} | {
    "normal": "RandomNormal",
    "uniform": "RandomUniform",
}

KERAS_SCHEMES: tuple[str, ...] = tuple(_KERAS_ALIASES)


class _Bound:
    """A generator with its parameters bound: what :func:`get_initializer` returns for a name.

    ``params`` holds every parameter under the scheme's own names (Keras's for Keras's
    schemes), defaults included, so that ``get_initializer({"class_name": f.name, "config":
    dict(f.params)})`` rebuilds ``f``.
    """

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        if name in _REGISTRY:
            generator, own, fixed, self._layout = _REGISTRY[name], None, {}, "torch"
        elif name in _KERAS_ALIASES:
            name = _KERAS_ALIASES[name]
            generator, own, fixed = _KERAS[name]
            self._layout = "keras"
        else:
            raise ValueError(
                f"Unknown initializer {name!r}; valid names are: {', '.join(SCHEMES)}; "
                f"and Keras's: {', '.join(KERAS_SCHEMES)}"
            )
        self.name = self.__name__ = name
        self._generator = generator
        sig = inspect.signature(generator)
        self._takes = {key: key in sig.parameters for key in ("rng", "layout")}
        reserved = {"shape", "rng", "dtype", "layout"} & set(params)
        if reserved:
            raise TypeError(f"pass {sorted(reserved)} when calling the initializer, not here")
        if own is None:
            bound = self._bind_own(sig, params)
        else:
            bound = self._bind_keras(own, fixed, params)
        self.params = MappingProxyType(bound)
        if generator is variance_scaling:
            _check_variance_scaling(self._kwargs | self.params)
        self.__doc__ = f"{name} initializer (see fastinit.init.{generator.__name__})."
        self._call = _public(self._draw, f"initializer {name!r}")

    def _bind_own(self, sig: inspect.Signature, params: dict[str, Any]) -> dict[str, Any]:
        try:
            bound = sig.bind(None, **params)
        except TypeError as exc:
            hint = _KERAS_SHADOWED.get(self.name)
            also = f" (Keras's {self.name!r} is {hint!r} here)" if hint else ""
            raise TypeError(f"initializer {self.name!r}: {exc}{also}") from None
        bound.apply_defaults()
        self._kwargs, self._seed, self._seeded = dict(params), None, False
        skip = {"shape", "rng", "dtype", "layout"}
        return {k: v for k, v in bound.arguments.items() if k not in skip}

    def _bind_keras(
        self, own: dict[str, Any], fixed: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        accepted = {**own, "seed": None} if self._takes["rng"] else dict(own)
        unknown = set(params) - set(accepted)
        if unknown:
            raise TypeError(
                f"initializer {self.name!r} takes {sorted(accepted) or 'no parameters'}, "
                f"got {sorted(unknown)}"
            )
        bound = {**accepted, **params}
        if "distribution" in bound:  # Keras keeps the normalized name: "normal" is old Keras's
            bound["distribution"] = _distribution_kind(bound["distribution"])
        seed = bound.get("seed")
        if seed is not None:
            _as_generator(seed)  # refuse a bad seed now, as Keras does
        # Keras draws a seed when an unseeded initializer is made: every call of one
        # initializer then gives the same values.
        self._seed = np.random.SeedSequence() if seed is None else seed
        self._seeded = seed is not None
        self._kwargs = {
            _KERAS_RENAMES.get(k, k): v for k, v in bound.items() if k != "seed"
        } | fixed
        return bound

    def __call__(
        self,
        shape: ShapeLike,
        *,
        rng: RNGLike = None,
        dtype: npt.DTypeLike = np.float32,
        layout: str | None = None,
    ) -> np.ndarray:
        return self._call(shape, rng, dtype, layout)

    def _draw(
        self, shape: ShapeLike, rng: RNGLike, dtype: npt.DTypeLike, layout: str | None
    ) -> np.ndarray:
        layout = self._layout if layout is None else layout
        _check_layout(layout)
        kwargs = dict(self._kwargs, dtype=dtype)
        if self._takes["rng"]:
            if rng is not None and self._seeded:
                raise TypeError(
                    f"it was made with seed={self._seed!r}; pass rng= only to an initializer "
                    "made without a seed"
                )
            kwargs["rng"] = self._seed if rng is None else rng
        if self._takes["layout"]:
            kwargs["layout"] = layout
        return self._generator(shape, **kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"<fastinit initializer {self.name}({args})>"


def _check_variance_scaling(kwargs: Mapping[str, Any]) -> None:
    """Refuse a bad scale, mode or distribution when the initializer is made, as Keras does."""
    _variance_scaling_std(
        (), kwargs.get("scale", 1.0), kwargs.get("mode", "fan_in"), "torch", (None, None)
    )
    _distribution_kind(kwargs.get("distribution", "truncated_normal"))


def _array_initializer(values: Any) -> Initializer:
    def init_fn(
        shape: ShapeLike,
        *,
        rng: RNGLike = None,
        dtype: npt.DTypeLike = np.float32,
        layout: str | None = None,
    ) -> np.ndarray:
        dims, dt = _as_shape(shape), _as_float_dtype(dtype)
        if layout is not None:
            _check_layout(layout)
        if dims != values.shape:
            raise ValueError(f"Expected `shape` to be {values.shape}, the array's, got {dims}")
        return values.astype(dt)

    if values.dtype.kind not in "iuf":
        raise TypeError(f"an array initializer needs real numbers, got dtype {values.dtype}")
    init_fn.__doc__ = f"Initializer returning a {values.shape} array (Keras's array form)."
    return _public(init_fn, "array initializer")


@_public
def get_initializer(identifier: Any, **params: Any) -> Initializer | None:
    """An initializer with a uniform call signature: by name, Keras config or array.

    The result is called as ``init_fn(shape, *, rng=None, dtype=numpy.float32, layout=None)``
    and returns a new array; ``rng`` and ``layout`` are passed on to schemes that use them
    (``layout`` is still checked for the others), and ``layout=None`` means the scheme's own
    convention: ``"torch"`` for fastinit's names, ``"keras"`` for Keras's. This is what string
    values of an estimator's ``init=`` parameter resolve through. As Keras's
    ``keras.initializers.get``, it takes

    * a name: one of :data:`SCHEMES` (fastinit's schemes, ``torch.nn.init``'s meaning), or of
      :data:`KERAS_SCHEMES` (Keras's classes and their snake_case names, with Keras's meaning,
      parameter names, defaults and channels-last fans). Where both have a name
      (``"he_normal"``, ``"lecun_normal"``, ``"variance_scaling"``, ``"orthogonal"``,
      ``"normal"``, ...) it is fastinit's; Keras's is then the class name (``"HeNormal"``);
    * a Keras config, ``{"class_name": "GlorotUniform", "config": {"seed": 0}}``;
    * an array (or tensor), returned (as a copy of ``dtype``) for its own shape only;
    * None, returned as is; a callable is also returned as is.

    Keras's schemes take Keras's ``seed``: made with a seed, or without one (a seed is then
    drawn once, as in Keras), every call of the initializer gives the same values unless it is
    a ``numpy.random.Generator``; ``rng=`` at call time overrides an implicit seed and is
    refused with an explicit one.

    Parameters
    ----------
    identifier : str, dict, array_like, callable or None
        What to build the initializer from (see above).
    **params
        Scheme parameters bound now, e.g. ``std=0.01`` for ``"normal"``, ``gain=2.0``, or
        Keras's ``stddev=0.02, seed=0`` for ``"TruncatedNormal"``. Only with a name.

    Returns
    -------
    Initializer or None
        ``init_fn(shape, *, rng=None, dtype=numpy.float32, layout=None) -> numpy.ndarray``;
        for a name, with ``name`` and ``params`` (all parameters, defaults included).

    Raises
    ------
    ValueError
        Unknown name (the message lists the valid ones) or a bad Keras config.
    TypeError
        A parameter the scheme does not take, or an identifier of another type.

    Examples
    --------
    >>> from fastinit import init
    >>> init_fn = init.get_initializer("normal", std=0.01)
    >>> W = init_fn((500, 784), rng=0)
    >>> W.shape
    (500, 784)
    >>> glorot = init.get_initializer("glorot_uniform", seed=0)  # Keras's: (in, out) fans
    >>> bool(abs(glorot((784, 256))).max() <= (6 / (784 + 256)) ** 0.5)
    True
    >>> init.get_initializer({"class_name": "HeNormal", "config": {"seed": 1}}).params
    mappingproxy({'input_axes': None, 'output_axes': None, 'seed': 1})
    """
    if isinstance(identifier, str):
        return _Bound(identifier, params)
    if params:
        raise TypeError("parameters go with a name (or inside a Keras config), not here")
    if identifier is None or isinstance(identifier, _Bound):
        return identifier
    if isinstance(identifier, Mapping):
        return _from_config(identifier)
    torch = _torch_module(identifier)
    if torch is not None:
        return _array_initializer(identifier.detach().cpu().numpy())
    if isinstance(identifier, (np.ndarray, np.generic)):
        return _array_initializer(np.asarray(identifier))
    if callable(identifier):
        return identifier
    raise TypeError(
        "an initializer is a name, a Keras config dict, an array, a callable or None, "
        f"got {type(identifier).__name__}"
    )


def _from_config(config: Mapping[str, Any]) -> Initializer:
    name, params = config.get("class_name"), config.get("config") or {}
    if not isinstance(name, str) or not isinstance(params, Mapping):
        raise ValueError(
            "a Keras config is {'class_name': name, 'config': {parameter: value}}, "
            f"got {dict(config)!r}"
        )
    return _Bound(name, dict(params))
