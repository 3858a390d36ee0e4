"""Optional matplotlib figures: RBM filters and samples, training histories, signal propagation.

Install with ``pip install fastinit[plot]``. matplotlib is imported inside the functions, so
``import fastinit.plot`` works without it; every function returns a ``matplotlib.figure.Figure``
built without pyplot (no window opens, no global figure state), ready for ``fig.savefig``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import init as _init

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

__all__ = [
    "CLOSED_FORM_SCHEMES",
    "activation_moments",
    "compute_activation_moments",
    "filters",
    "history",
    "learning_curves",
    "samples",
]

#: Schemes of the signal-propagation figure: label -> (scheme name, scheme parameters).
CLOSED_FORM_SCHEMES: dict[str, tuple[str, dict[str, Any]]] = {
    "N(0, 0.01²)": ("normal", {"std": 0.01}),
    "Xavier uniform": ("xavier_uniform", {}),
    "Xavier normal": ("xavier_normal", {}),
    "LeCun normal": ("lecun_normal", {}),
    "He uniform": ("he_uniform", {}),
    "He normal": ("he_normal", {}),
    "orthogonal": ("orthogonal", {}),
}


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "fastinit.plot needs matplotlib: pip install matplotlib (or fastinit[plot])"
        ) from None
    return Figure(**kwargs)


def _tile(images: np.ndarray, shape: tuple[int, int], ncols: int | None) -> np.ndarray:
    """One mosaic image of ``images`` (rows of prod(shape) values), each scaled to [0, 1]."""
    n = len(images)
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    h, w = shape
    mosaic = np.ones((nrows * (h + 1) + 1, ncols * (w + 1) + 1))
    for i, image in enumerate(images):
        tile = image.reshape(h, w).astype(np.float64)
        # Per-tile scaling: each filter's structure matters, not its norm against the others.
        low, high = tile.min(), tile.max()
        tile = (tile - low) / (high - low) if high > low else np.full_like(tile, 0.5)
        r, c = divmod(i, ncols)
        mosaic[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = tile
    return mosaic


def _check_shape(shape: Sequence[int], n_visible: int) -> tuple[int, int]:
    if len(shape) != 2 or shape[0] * shape[1] != n_visible:
        raise ValueError(
            f"shape {tuple(shape)} does not hold the model's {n_visible} visible units"
        )
    return int(shape[0]), int(shape[1])


def _first_rbm(model: Any) -> Any:
    from sklearn.utils.validation import check_is_fitted

    if hasattr(model, "rbms_"):
        return model.rbms_[0]
    check_is_fitted(model, "components_")
    return model


def filters(
    rbm: Any,
    shape: Sequence[int] = (28, 28),
    n: int = 100,
    *,
    ncols: int | None = None,
    cmap: str = "gray",
    title: str | None = None,
) -> Figure:
    """The first ``n`` hidden units' weights (rows of ``components_``) as image tiles.

    Parameters
    ----------
    rbm : RBM or DBN
        A fitted model; for a DBN the first layer is shown.
    shape : (int, int), default (28, 28)
        Image shape of a filter: ``(8, 8)`` for scikit-learn digits.
    n : int, default 100
        Number of filters (at most the number of hidden units).
    ncols : int, optional
        Tiles per row (default: a square).
    cmap : str, default "gray"
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastinit import RBM, plot
    >>> rbm = RBM(64, 16, n_iter=2, random_state=0).fit(load_digits().data / 16)
    >>> fig = plot.filters(rbm, shape=(8, 8))
    >>> fig.savefig("filters.png")  # doctest: +SKIP
    """
    layer = _first_rbm(rbm)
    W = np.asarray(layer.components_)
    shape = _check_shape(shape, W.shape[1])
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    mosaic = _tile(W[:n], shape, ncols)
    fig = _figure(figsize=(6, 6 * mosaic.shape[0] / mosaic.shape[1] + 0.4), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(mosaic, cmap=cmap, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title or f"first-layer filters ({min(n, len(W))} of {len(W)} hidden units)")
    return fig


def samples(
    rbm: Any,
    n: int = 25,
    shape: Sequence[int] = (28, 28),
    n_steps: int = 1000,
    *,
    random_state: Any = None,
    ncols: int | None = None,
    cmap: str = "gray",
) -> Figure:
    """Fantasy samples of an RBM (``rbm.sample``: Gibbs chains from random starts) as tiles.

    Parameters
    ----------
    rbm : RBM
        A fitted model (for a DBN, the first layer).
    n : int, default 25
        Number of chains.
    shape : (int, int), default (28, 28)
    n_steps : int, default 1000
        Gibbs sweeps per chain.
    random_state : None, int or Generator, optional
    ncols : int, optional
    cmap : str, default "gray"

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastinit import RBM, plot
    >>> rbm = RBM(64, 16, n_iter=2, random_state=0).fit(load_digits().data / 16)
    >>> fig = plot.samples(rbm, 9, shape=(8, 8), n_steps=10, random_state=0)
    """
    layer = _first_rbm(rbm)
    shape = _check_shape(shape, layer.components_.shape[1])
    V = layer.sample(n, n_steps=n_steps, random_state=random_state)
    mosaic = _tile(V, shape, ncols)
    fig = _figure(figsize=(5, 5 * mosaic.shape[0] / mosaic.shape[1] + 0.4), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(mosaic, cmap=cmap, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"{n} samples after {n_steps} Gibbs sweeps")
    return fig


def history(model: Any, metrics: Sequence[str] = ("reconstruction_error", "free_energy")) -> Figure:
    """Training curves per epoch from ``history_`` of an RBM (one line) or a DBN (one per layer).

    Parameters
    ----------
    model : RBM or DBN
        A fitted model.
    metrics : sequence of str, default ("reconstruction_error", "free_energy")
        Keys of ``history_``, one panel each.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastinit import DBN, plot
    >>> dbn = DBN((64, 16, 8), rbm_params={"n_iter": 3}, random_state=0)
    >>> fig = plot.history(dbn.fit(load_digits().data / 16))
    """
    if hasattr(model, "history_") and isinstance(model.history_, list):
        runs = {f"layer {i + 1}": h for i, h in enumerate(model.history_)}
    elif hasattr(model, "history_"):
        runs = {"RBM": model.history_}
    else:
        raise ValueError(f"{type(model).__name__} is not fitted (no history_)")
    fig = _figure(figsize=(5 * len(metrics), 3.6), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        for label, hist in runs.items():
            if metric not in hist:
                raise ValueError(f"history_ has no {metric!r}; it has {sorted(hist)}")
            ax.plot(hist["epoch"], hist[metric], marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_title(metric.replace("_", " "))
        ax.grid(alpha=0.3)
        if len(runs) > 1:
            ax.legend()
    return fig


def compute_activation_moments(
    schemes: Mapping[str, tuple[str, Mapping[str, Any]]] | None = None,
    nonlinearities: Sequence[str] = ("relu", "tanh"),
    *,
    depth: int = 30,
    width: int = 512,
    n_samples: int = 128,
    rng: _init.RNGLike = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Second moment E[h²] of the activations after each layer of a deep plain stack.

    The experiment of Glorot & Bengio (2010) and He et al. (2015): ``h_0 ~ N(0, 1)``,
    ``h_l = f(h_{l-1} @ W_l.T)`` with square ``width × width`` weights drawn by each scheme and
    zero biases. A scheme that suits ``f`` keeps the moment roughly constant with depth;
    otherwise it vanishes or explodes geometrically. Computed in float64 so that vanishing
    signals stay visible down to 1e-300.

    Parameters
    ----------
    schemes : mapping, optional
        ``label -> (scheme name, parameters)``; default :data:`CLOSED_FORM_SCHEMES`.
    nonlinearities : sequence of {"relu", "tanh", "sigmoid", "linear"}, default ("relu", "tanh")
    depth : int, default 30
    width : int, default 512
    n_samples : int, default 128
        Input rows.
    rng : None, int or numpy.random.Generator, default 0

    Returns
    -------
    dict
        ``{nonlinearity: {label: array of shape (depth,)}}``.

    Examples
    --------
    >>> from fastinit import plot
    >>> m = plot.compute_activation_moments(depth=10, width=64, n_samples=64)
    >>> bool(m["relu"]["He normal"][-1] > 100 * m["relu"]["Xavier normal"][-1])
    True
    """
    schemes = dict(CLOSED_FORM_SCHEMES if schemes is None else schemes)
    functions = {
        "relu": lambda a: np.maximum(a, 0.0),
        "tanh": np.tanh,
        "sigmoid": lambda a: 0.5 * (1.0 + np.tanh(0.5 * a)),
        "linear": lambda a: a,
    }
    unknown = set(nonlinearities) - set(functions)
    if unknown:
        raise ValueError(f"unknown nonlinearities {sorted(unknown)}; use {sorted(functions)}")
    gen = np.random.default_rng(rng)
    x0 = gen.standard_normal((n_samples, width))
    result: dict[str, dict[str, np.ndarray]] = {name: {} for name in nonlinearities}
    for label, (scheme, params) in schemes.items():
        make = _init.get_initializer(scheme, **params)
        states = dict.fromkeys(nonlinearities, x0)
        moments = {name: np.empty(depth) for name in nonlinearities}
        for layer in range(depth):
            # One draw per layer serves every nonlinearity: same weights, fair comparison.
            W_t = make((width, width), rng=gen, dtype=np.float64).T
            for name in nonlinearities:
                h = functions[name](states[name] @ W_t)
                states[name] = h
                moments[name][layer] = np.mean(h * h)
        for name in nonlinearities:
            result[name][label] = moments[name]
    return result


def activation_moments(
    moments: Mapping[str, Mapping[str, Sequence[float]]] | None = None, **kwargs: Any
) -> Figure:
    """Plot activation second moments per layer, one panel per nonlinearity, log scale.

    Parameters
    ----------
    moments : mapping, optional
        Output of :func:`compute_activation_moments`; computed with ``**kwargs`` when omitted.
    **kwargs
        Passed to :func:`compute_activation_moments`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from fastinit import plot
    >>> fig = plot.activation_moments(depth=5, width=32, n_samples=16)
    """
    if moments is None:
        moments = compute_activation_moments(**kwargs)
    fig = _figure(figsize=(5.5 * len(moments), 4.2), layout="constrained")
    axes = fig.subplots(1, len(moments), squeeze=False)[0]
    for ax, (name, per_scheme) in zip(axes, moments.items(), strict=True):
        for label, values in per_scheme.items():
            values = np.asarray(values, dtype=np.float64)
            layers = np.arange(1, len(values) + 1)
            # Exact zeros cannot be drawn on a log axis; they end the line.
            shown = values > 0
            ax.plot(layers[shown], values[shown], marker=".", label=label)
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.set_ylabel("E[h²]")
        ax.set_title(f"{name}: activation second moment per layer")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize="small")
    return fig


def learning_curves(
    curves: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    metrics: Mapping[str, str] | None = None,
) -> Figure:
    """Learning curves: one column per panel (e.g. regime), one row per metric, one line per run.

    Parameters
    ----------
    curves : mapping
        ``{panel: {label: {metric: values per epoch}}}``.
    metrics : mapping, optional
        ``{metric: axis label}``; default ``{"train_loss": "training loss",
        "test_accuracy": "test accuracy"}``. A metric ending in ``loss`` gets a log axis.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from fastinit import plot
    >>> fig = plot.learning_curves(
    ...     {"all labels": {"zeros": {"train_loss": [2.3, 2.3], "test_accuracy": [0.1, 0.1]}}})
    """
    metrics = dict(metrics or {"train_loss": "training loss", "test_accuracy": "test accuracy"})
    fig = _figure(figsize=(5.5 * len(curves), 3.4 * len(metrics)), layout="constrained")
    axes = fig.subplots(len(metrics), len(curves), squeeze=False)
    for col, (panel, runs) in enumerate(curves.items()):
        for row, (metric, axis_label) in enumerate(metrics.items()):
            ax = axes[row][col]
            for label, values in runs.items():
                y = np.asarray(values[metric], dtype=np.float64)
                ax.plot(np.arange(1, len(y) + 1), y, label=label)
            if metric.endswith("loss"):
                ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel(axis_label)
            ax.set_title(panel)
            ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize="small", loc="best")
    return fig
