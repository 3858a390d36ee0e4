"""Optional PyTorch integration: pretrained networks from a DBN, fastinit schemes on whole models.

Install with ``pip install fastinit[torch]``. ``import fastinit`` never imports this module nor
torch; torch is imported inside the functions below, when they are called.

* :func:`to_torch` — a ``torch.nn.Sequential`` started from a fitted :class:`~fastinit.DBN`;
* :func:`init_module` — apply a :mod:`fastinit.init` scheme to every Linear / ConvNd /
  ConvTransposeNd layer of an existing model, with each layer's true fans (stride, groups);
* :func:`load_pretrained_` — copy DBN (or RBM) weights into an existing model's first Linear
  layers.
"""

from __future__ import annotations

import inspect
import math
from collections import OrderedDict
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from . import init as _init

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

__all__ = ["init_module", "load_pretrained_", "to_torch"]

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "fastinit.torch needs PyTorch: pip install torch (or fastinit[torch])"
        ) from None
    return torch


def _activation_factory(activation: Any) -> Callable[[], torch.nn.Module]:
    torch = _torch()
    if isinstance(activation, str):
        table = {
            "sigmoid": torch.nn.Sigmoid,
            "tanh": torch.nn.Tanh,
            "relu": torch.nn.ReLU,
            "identity": torch.nn.Identity,
        }
        if activation not in table:
            raise ValueError(f"activation must be one of {list(_ACTIVATIONS)}, got {activation!r}")
        return table[activation]
    if callable(activation):
        return activation
    raise TypeError(
        f"activation must be a name ({', '.join(_ACTIVATIONS)}) or a callable returning a "
        f"torch.nn.Module, got {type(activation).__name__}"
    )


def _stack_layers(model: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W, b)`` pairs, W of shape (n_in, n_out), from a fitted DBN or RBM."""
    from sklearn.utils.validation import check_is_fitted

    if hasattr(model, "weights") and hasattr(model, "layer_sizes"):
        return model.weights()
    if hasattr(model, "components_") or hasattr(model, "n_hidden"):
        check_is_fitted(model, "components_")
        return [(model.components_.T, model.intercept_hidden_)]
    raise TypeError(f"expected a fitted fastinit DBN or RBM, got {type(model).__name__}")


def to_torch(
    dbn: Any,
    n_outputs: int | None = None,
    activation: Any = "sigmoid",
    *,
    rng: _init.RNGLike = None,
    dtype: Any = None,
) -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` feed-forward network holding a DBN's weights.

    Layer ``i`` is ``fc{i}: Linear(n_in, n_out)`` with ``weight = W.T`` and ``bias = b`` from
    :meth:`DBN.weights`, followed by ``act{i}``. With the default sigmoid activation the
    network without output layer computes exactly ``dbn.transform``. When ``n_outputs`` is
    given, an ``out: Linear(top, n_outputs)`` layer is appended with Xavier-uniform weights and
    zero bias and no activation (feed it to ``torch.nn.CrossEntropyLoss``): the network is then
    ready for fine-tuning.

    Parameters
    ----------
    dbn : DBN or RBM
        A fitted stack (an RBM counts as a one-layer stack).
    n_outputs : int, optional
        Size of the output layer; ``None`` adds none.
    activation : {"sigmoid", "tanh", "relu", "identity"} or callable, default "sigmoid"
        Hidden-unit nonlinearity, or a factory such as ``torch.nn.SiLU``. Only sigmoid matches
        the units the RBMs were trained with.
    rng : None, int or numpy.random.Generator, optional
        Randomness of the output layer's Xavier initialization.
    dtype : torch.dtype, optional
        Parameter dtype (default: torch's default dtype, normally float32).

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit import DBN
    >>> from fastinit.torch import to_torch
    >>> X = np.random.default_rng(0).random((100, 12))
    >>> dbn = DBN((12, 6, 3), rbm_params={"n_iter": 1}, random_state=0).fit(X)
    >>> net = to_torch(dbn, n_outputs=10, rng=0)
    >>> import torch
    >>> net(torch.rand(5, 12)).shape
    torch.Size([5, 10])
    """
    torch = _torch()
    layers = _stack_layers(dbn)
    make_activation = _activation_factory(activation)
    if n_outputs is not None and (
        not isinstance(n_outputs, int | np.integer) or isinstance(n_outputs, bool) or n_outputs < 1
    ):
        raise ValueError(f"n_outputs must be a positive int or None, got {n_outputs!r}")
    modules: OrderedDict[str, torch.nn.Module] = OrderedDict()
    for i, (W, _) in enumerate(layers, start=1):
        modules[f"fc{i}"] = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
        modules[f"act{i}"] = make_activation()
    if n_outputs is not None:
        out = torch.nn.Linear(layers[-1][0].shape[1], int(n_outputs), dtype=dtype)
        _init.xavier_uniform_(out.weight, rng=rng)
        with torch.no_grad():
            out.bias.zero_()
        modules["out"] = out
    model = torch.nn.Sequential(modules)
    load_pretrained_(model, dbn)
    return model


def load_pretrained_(model: torch.nn.Module, dbn: Any) -> torch.nn.Module:
    """Copy a DBN's weights into the first ``len(dbn.rbms_)`` Linear layers of ``model``.

    Linear layers are taken in ``model.modules()`` order (registration order); layer ``i``
    must be ``Linear(n_in_i, n_out_i)`` with a bias. Other layers and any further Linear
    layers are left as they are. Nothing is copied unless every shape matches.

    Parameters
    ----------
    model : torch.nn.Module
    dbn : DBN or RBM
        A fitted stack (an RBM counts as a one-layer stack).

    Returns
    -------
    torch.nn.Module
        ``model`` itself.

    Raises
    ------
    ValueError
        Fewer Linear layers than RBMs, a shape mismatch (the message names the layer and both
        shapes) or a Linear layer without bias.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from fastinit import DBN
    >>> from fastinit.torch import load_pretrained_
    >>> X = np.random.default_rng(0).random((100, 12))
    >>> dbn = DBN((12, 6), rbm_params={"n_iter": 1}, random_state=0).fit(X)
    >>> net = torch.nn.Sequential(torch.nn.Linear(12, 6), torch.nn.Sigmoid(), torch.nn.Linear(6, 2))
    >>> load_pretrained_(net, dbn) is net
    True
    """
    torch = _torch()
    layers = _stack_layers(dbn)
    linears = [
        (name or type(module).__name__, module)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    ]
    if len(linears) < len(layers):
        raise ValueError(
            f"the model has {len(linears)} Linear layer(s), the DBN has {len(layers)} layers "
            f"({' -> '.join(str(s) for s in _sizes(layers))}); nothing was copied"
        )
    for i, ((name, linear), (W, _)) in enumerate(zip(linears, layers, strict=False)):
        expected = (W.shape[1], W.shape[0])
        if tuple(linear.weight.shape) != expected:
            raise ValueError(
                f"Linear layer {name!r} has weight shape {tuple(linear.weight.shape)} "
                f"(in={linear.in_features}, out={linear.out_features}), but DBN layer {i + 1} "
                f"needs {expected} (Linear({W.shape[0]}, {W.shape[1]})); nothing was copied"
            )
        if linear.bias is None:
            raise ValueError(
                f"Linear layer {name!r} has no bias; the DBN's hidden biases need one "
                "(bias=True); nothing was copied"
            )
    with torch.no_grad():
        for (_, linear), (W, b) in zip(linears, layers, strict=False):
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
    return model


def _sizes(layers: list[tuple[np.ndarray, np.ndarray]]) -> list[int]:
    return [layers[0][0].shape[0], *(W.shape[1] for W, _ in layers)]


# ------------------------------------------------------------------------------ init_module


def _layer_kinds(torch: Any) -> tuple[tuple[type, ...], tuple[type, ...]]:
    nn = torch.nn
    return (
        (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d),
        (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d),
    )


def _whole(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _layer_fans(module: Any, transposed: bool) -> tuple[int | float, int | float]:
    """Mean number of inputs summed into an output (fan_in) and of outputs an input feeds."""
    if not hasattr(module, "stride"):  # Linear
        return module.in_features, module.out_features
    taps = math.prod(module.kernel_size)
    # Scattering with stride s lands a tap on one position in s: k/s taps per position on
    # average (dilation moves them around, it does not add any).
    scattered = Fraction(taps, math.prod(module.stride))
    per_group_in = module.in_channels // module.groups
    per_group_out = module.out_channels // module.groups
    if transposed:
        return _whole(per_group_in * scattered), per_group_out * taps
    return per_group_in * taps, _whole(per_group_out * scattered)


_FAN_SCHEMES = (
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "variance_scaling",
)


def _fan_std(scheme: str, fan_in: float, fan_out: float, kwargs: dict[str, Any]) -> float:
    """The std a fan-based scheme (one of ``_FAN_SCHEMES``) gives for these fans."""
    mode = str(kwargs.get("mode", "fan_in")).lower()
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}.get(mode)
    if scheme.startswith("xavier"):
        return kwargs.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    if scheme.startswith(("kaiming_", "he_")):
        gain = _init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0.0))
        return gain / math.sqrt(fan)
    if scheme.startswith("lecun"):
        return 1.0 / math.sqrt(fan_in)
    return math.sqrt(kwargs.get("scale", 1.0) / max(1.0, fan))  # variance_scaling


def _target_spread(
    scheme: str, fans: tuple[float, float], kwargs: dict[str, Any]
) -> tuple[float | None, float | None]:
    """(std, bound) the scheme aims for on a layer of these fans; None where undefined."""
    if scheme in _FAN_SCHEMES:
        std = _fan_std(scheme, *fans, kwargs)
    elif scheme == "normal":
        std = float(kwargs.get("std", 1.0))
    elif scheme == "uniform":
        low, high = float(kwargs.get("low", 0.0)), float(kwargs.get("high", 1.0))
        return (high - low) / math.sqrt(12.0), None
    elif scheme in ("zeros", "constant", "ones", "eye", "dirac"):
        return 0.0, None
    else:
        return None, None
    uniform = scheme.endswith("uniform") or kwargs.get("distribution") == "uniform"
    return std, math.sqrt(3.0) * std if uniform else None


def init_module(
    model: torch.nn.Module,
    scheme: str = "he_normal",
    nonlinearity: str | None = None,
    bias: float | None = 0.0,
    rng: _init.RNGLike = None,
    **params: Any,
) -> list[dict[str, Any]]:
    """Apply a :mod:`fastinit.init` scheme to every Linear, ConvNd and ConvTransposeNd layer.

    Fans are the layer's own, so a scheme means the same thing on every layer: ``fan_in`` is
    the number of input values summed into one output of the forward pass, ``fan_out`` the
    number of outputs one input feeds (the terms its gradient sums), both averaged over the
    positions away from the borders (padding removes taps there only; ``output_padding`` only
    adds border positions). With kernel size ``k``, stride ``s``, dilation ``d``, ``g`` groups
    and products over the spatial dimensions:

    * ``Linear(in, out)``: ``fan_in = in``, ``fan_out = out``;
    * ``ConvNd(in, out)``: ``fan_in = in/g · prod(k)`` (every output reads its ``k`` taps,
      which dilation spreads out but does not add to), ``fan_out = out/g · prod(k/s)`` (with
      stride ``s``, each tap reaches one input position in ``s``);
    * ``ConvTransposeNd(in, out)``, the backward pass of a ``ConvNd(out, in)``:
      ``fan_in = in/g · prod(k/s)``, ``fan_out = out/g · prod(k)``.

    ``k/s`` is a mean: when ``s`` does not divide ``k``, positions receive ``⌊k/s⌋`` or
    ``⌈k/s⌉`` taps, and when ``q = gcd(d, s) > 1`` one position in ``q`` receives about
    ``k·q/s`` of them and the others none; the variance a scheme aims for then holds on average over
    positions. Such fans are floats, whole ones ints.

    ``torch.nn.init`` reads fans off the weight's shape alone, ``(out, in/g, *k)`` for a Conv
    and ``(in, out/g, *k)`` for a ConvTranspose; it knows neither stride nor groups and swaps
    a ConvTranspose's fans. Fan-based schemes (Xavier, He/Kaiming, LeCun, variance scaling) are
    drawn as usual and rescaled to the fans above; every scheme draws a ConvTranspose weight on
    its forward view ``(out/g, in, *k)`` and transposes it back, so that shape-based schemes
    (orthogonal, eye, dirac) see output channels first as on a Conv.

    Random numbers come from one NumPy generator used layer after layer in
    ``model.modules()`` order, so a seed reproduces the model exactly.

    Parameters
    ----------
    model : torch.nn.Module
        Modified in place (under ``torch.no_grad()``; dtype, device and ``requires_grad`` are
        kept).
    scheme : str, default "he_normal"
        A :data:`fastinit.init.SCHEMES` name.
    nonlinearity : str, optional
        The nonlinearity after the layers: sets ``gain = calculate_gain(nonlinearity)`` of
        Xavier and orthogonal schemes, and the ``nonlinearity`` of He/Kaiming schemes.
        ``None`` keeps the scheme's default (gain 1; ReLU gain for He).
    bias : float or None, default 0.0
        Constant fill of the biases; ``None`` leaves them untouched.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness; ``None`` seeds it from torch's generator, so that
        ``torch.manual_seed`` reproduces the model as it does torch's own initialization.
    **params
        Further scheme parameters, e.g. ``std=0.01`` for ``"normal"``, ``mode="fan_out"``.

    Returns
    -------
    list of dict
        One entry per layer set: ``name``, ``type``, ``shape``, ``scheme``, ``fan_in`` and
        ``fan_out`` (the layer's fans above), ``std`` (what the scheme aims for with those
        fans; the measured std of the values set for schemes without a closed form, such as
        orthogonal), ``bound`` (uniform schemes, else None) and ``bias`` (the fill, or None).

    Raises
    ------
    ValueError
        Unknown scheme, or a ``nonlinearity`` for a scheme that has no gain.

    Examples
    --------
    >>> import torch
    >>> from fastinit.torch import init_module
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3), torch.nn.ReLU(),
    ...                           torch.nn.Flatten(), torch.nn.Linear(16 * 30 * 30, 10))
    >>> summary = init_module(net, "he_normal", rng=0)
    >>> [(s["name"], s["fan_in"]) for s in summary]
    [('0', 27), ('3', 14400)]
    >>> up = torch.nn.ConvTranspose2d(32, 8, 4, stride=2, padding=1)
    >>> [(s["fan_in"], s["fan_out"]) for s in init_module(up, rng=0)]  # 32 · 4²/2², 8 · 4²
    [(128, 128)]
    """
    torch = _torch()
    generator = _init.get_initializer(scheme, **params)  # raises on unknown names / params
    scheme_signature = inspect.signature(getattr(_init, scheme)).parameters
    kwargs = dict(params)
    if nonlinearity is not None:
        if "nonlinearity" in scheme_signature:
            generator = _init.get_initializer(scheme, **params, nonlinearity=nonlinearity)
            kwargs["nonlinearity"] = nonlinearity
        elif "gain" in scheme_signature:
            gain = _init.calculate_gain(nonlinearity)
            generator = _init.get_initializer(scheme, **params, gain=gain)
            kwargs["gain"] = gain
        else:
            raise ValueError(
                f"scheme {scheme!r} has no gain, so nonlinearity={nonlinearity!r} cannot apply; "
                "leave nonlinearity=None"
            )
    if bias is not None:
        bias = float(bias)
    # Without rng, the seed comes from torch's generator: torch.manual_seed reproduces the model.
    gen = np.random.default_rng(
        rng if rng is not None else int(torch.randint(0, 2**62, (1,)).item())
    )
    plain, transposed = _layer_kinds(torch)
    summary: list[dict[str, Any]] = []
    for name, module in model.named_modules():
        if not isinstance(module, plain + transposed):
            continue
        weight = module.weight
        if isinstance(weight, torch.nn.parameter.UninitializedParameter):
            raise ValueError(
                f"layer {name!r} is lazy and not materialized yet; run one forward pass first"
            )
        shape = tuple(weight.shape)
        is_transposed = isinstance(module, transposed)
        # Generate on the forward-pass (out, in, *k) view; see the docstring.
        gen_shape = (shape[1], shape[0], *shape[2:]) if is_transposed else shape
        np_dtype = np.float64 if weight.dtype == torch.float64 else np.float32
        values = generator(gen_shape, rng=gen, dtype=np_dtype)
        fan_in, fan_out = _layer_fans(module, is_transposed)
        if scheme in _FAN_SCHEMES:
            # The generator read the fans off the weight's shape, which knows neither stride nor
            # groups: rescale to the layer's own fans.
            shape_std = _fan_std(scheme, *_init.compute_fans(gen_shape), kwargs)
            if shape_std > 0:  # a zero gain leaves nothing to rescale
                values *= _fan_std(scheme, fan_in, fan_out, kwargs) / shape_std
        if is_transposed:
            values = np.swapaxes(values, 0, 1)
        std, bound = _target_spread(scheme, (fan_in, fan_out), kwargs)
        if std is None:
            std = float(np.std(values))
        with torch.no_grad():
            weight.copy_(torch.from_numpy(np.ascontiguousarray(values)))
            if bias is not None and module.bias is not None:
                module.bias.fill_(bias)
        summary.append(
            {
                "name": name or type(module).__name__,
                "type": type(module).__name__,
                "shape": shape,
                "scheme": scheme,
                "fan_in": fan_in,
                "fan_out": fan_out,
                "std": std,
                "bound": bound,
                "bias": bias if module.bias is not None else None,
            }
        )
    return summary
