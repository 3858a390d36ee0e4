"""Optional matplotlib figures: RBM filters and samples, training histories, signal propagation.

Install with ``pip install fastinit[plot]``. matplotlib is imported inside the functions, so
``import fastinit.plot`` works without it.

Every function follows matplotlib's conventions and one argument order: what is drawn comes
first (a model, moments or curves), every option after it is a keyword, and the last one says
where to draw — ``ax=`` an Axes for one-panel figures, ``fig=`` an empty Figure or SubFigure
for multi-panel ones. Without it a new pyplot figure is made, so ``plt.show()`` or
``fig.show()`` displays it; pyplot keeps it until ``plt.close(fig)``. Every function returns
the (root) Figure drawn on, ready for ``fig.savefig``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import init as _init

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

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

# Twelve markers against ten colours: line i and line i + 10 differ in marker (the pair
# (colour, marker) repeats only after 60 lines), as the experiment draws twelve starts.
_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "<", ">", "*", "p", "h")
_DASHES = ("-", "--", "-.", ":")


# --------------------------------------------------------------------------- figure helpers


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "fastinit.plot needs matplotlib: pip install matplotlib (or fastinit[plot])"
        ) from None
    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float], where: str) -> tuple[Figure, Axes]:
    """The given Axes and its root Figure, or a new pyplot figure with one Axes."""
    plt = _pyplot()
    if ax is None:
        return plt.subplots(figsize=figsize, layout="constrained")
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"{where}: ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax.figure.figure, ax  # a (Sub)Figure's .figure is its root Figure


def _canvas(fig: FigureBase | None, figsize: tuple[float, float], where: str) -> FigureBase:
    """The given Figure or SubFigure, or a new pyplot figure."""
    plt = _pyplot()
    if fig is None:
        return plt.figure(figsize=figsize, layout="constrained")
    from matplotlib.figure import FigureBase

    if not isinstance(fig, FigureBase):
        raise TypeError(
            f"{where}: fig must be a matplotlib Figure, SubFigure or None, got {type(fig).__name__}"
        )
    return fig


def _line_style(i: int, n_lines: int, n_points: int) -> dict[str, Any]:
    """Colour, marker and dash of line ``i`` of ``n_lines``.

    Lines that coincide stay visible: each has its own dash and marker, and the markers sit
    on every ``step``-th point shifted by the line's index, so they do not cover each other.
    """
    step = max(n_lines, n_points // 6)
    every = (i * step // n_lines, step) if n_points >= 2 * step else None
    return {
        "color": f"C{i % 10}",
        "marker": _MARKERS[i % len(_MARKERS)],
        "markersize": 5,
        "markevery": every,
        "linestyle": _DASHES[i % len(_DASHES)],
    }


def _legend_outside(ax: Axes, *handles_labels: Any) -> None:
    # Right of the axes, outside them: it covers no data, and constrained layout makes room.
    ax.legend(
        *handles_labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
        fontsize="small",
    )  # fmt: skip


def _integer_ticks(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


# ---------------------------------------------------------------------------- image mosaics


def _tile(images: np.ndarray, shape: tuple[int, int], ncols: int | None, per_tile: bool):
    """One mosaic of ``images`` (rows of prod(shape) values), NaN between the tiles.

    ``per_tile`` scales each tile to [0, 1] on its own; otherwise values are kept as they are.
    """
    n = len(images)
    ncols = min(ncols or math.ceil(math.sqrt(n)), n)
    nrows = math.ceil(n / ncols)
    h, w = shape
    mosaic = np.full((nrows * (h + 1) + 1, ncols * (w + 1) + 1), np.nan)
    for i, image in enumerate(images):
        tile = image.reshape(h, w).astype(np.float64)
        if per_tile:
            low, high = tile.min(), tile.max()
            tile = (tile - low) / (high - low) if high > low else np.full_like(tile, 0.5)
        r, c = divmod(i, ncols)
        mosaic[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = tile
    return mosaic


def _draw_mosaic(
    mosaic: np.ndarray, limits: tuple[float, float], cmap: Any, title: str, ax: Axes | None,
    where: str,
) -> Figure:  # fmt: skip
    fig, ax = _axes(ax, (5.5, 5.5 * mosaic.shape[0] / mosaic.shape[1] + 0.4), where)
    # The NaN gaps between tiles are drawn white, whatever the colormap.
    colors = _pyplot().get_cmap(cmap).with_extremes(bad="white")
    ax.imshow(mosaic, cmap=colors, vmin=limits[0], vmax=limits[1], interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title)
    return fig


def _image_shape(shape: Sequence[int] | None, n_visible: int, where: str) -> tuple[int, int]:
    if shape is None:
        side = math.isqrt(n_visible)
        if side * side != n_visible:
            raise ValueError(
                f"{where}: cannot infer the image shape of {n_visible} visible units (not a "
                "square number); pass shape=(rows, columns)"
            )
        return side, side
    if len(shape) != 2 or shape[0] * shape[1] != n_visible:
        raise ValueError(
            f"{where}: shape {tuple(shape)} does not hold the model's {n_visible} visible units"
        )
    return int(shape[0]), int(shape[1])


def _check_count(name: str, value: Any, where: str, *, optional: bool = False) -> int | None:
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        expected = "a positive int or None" if optional else "a positive int"
        raise ValueError(f"{where}: {name} must be {expected}, got {value!r}")
    return int(value)


def _first_rbm(model: Any) -> Any:
    from sklearn.utils.validation import check_is_fitted

    if hasattr(model, "rbms_"):
        return model.rbms_[0]
    check_is_fitted(model, "components_")
    return model


def filters(
    model: Any,
    *,
    shape: Sequence[int] | None = None,
    n: int = 100,
    ncols: int | None = None,
    cmap: Any = "gray",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The first ``n`` hidden units' weights (rows of ``components_``) as image tiles.

    Each tile is scaled on its own, its minimum black and its maximum white (with the default
    colormap): a filter's pattern matters, not its norm against the others. A constant filter
    is drawn mid-grey.

    Parameters
    ----------
    model : RBM or DBN
        A fitted model; for a DBN the first layer is shown.
    shape : (int, int), optional
        Image shape of a filter, e.g. ``(8, 8)`` for scikit-learn digits; default a square
        (a ValueError when the number of visible units is not a square number).
    n : int, default 100
        Number of filters (at most the number of hidden units).
    ncols : int, optional
        Tiles per row (default: a square).
    cmap : str or Colormap, default "gray"
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new pyplot figure.

    Returns
    -------
    matplotlib.figure.Figure
        The root figure of ``ax``, or the new figure.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastinit import RBM, plot
    >>> rbm = RBM(64, 16, n_iter=2, random_state=0).fit(load_digits().data / 16)
    >>> fig = plot.filters(rbm)  # 64 visible units: 8 x 8 tiles
    >>> fig.savefig("filters.png")  # doctest: +SKIP
    """
    where = "plot.filters"
    W = np.asarray(_first_rbm(model).components_)
    shape = _image_shape(shape, W.shape[1], where)
    n = _check_count("n", n, where)
    mosaic = _tile(W[:n], shape, _check_count("ncols", ncols, where, optional=True), per_tile=True)
    title = title or f"first-layer filters ({min(n, len(W))} of {len(W)} hidden units)"
    return _draw_mosaic(mosaic, (0.0, 1.0), cmap, title, ax, where)


def _sample_generator(random_state: Any, where: str) -> np.random.Generator:
    if random_state is None or isinstance(random_state, int | np.integer | np.random.Generator):
        return np.random.default_rng(random_state)
    raise TypeError(
        f"{where}: random_state must be None, an int or a numpy.random.Generator, got "
        f"{type(random_state).__name__}"
    )


def samples(
    model: Any,
    *,
    shape: Sequence[int] | None = None,
    n: int = 25,
    n_steps: int = 1000,
    random_state: Any = None,
    ncols: int | None = None,
    cmap: Any = "gray",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Fantasy samples of an RBM as image tiles: the visible probabilities of a Gibbs chain.

    Each of ``n`` chains starts from a random state (``rbm.sample``) and runs ``n_steps``
    sweeps; the last sweep's hidden states ``h`` are drawn as usual, and the tile shows
    ``P(v = 1 | h)`` (``rbm.inverse_transform(h)``) rather than a binary draw from it, on one
    fixed scale, 0 black and 1 white: a blank sample is drawn black, not rescaled to grey.
    Gaussian visible units show their means ``E[v | h]`` on one scale shared by all tiles.

    Parameters
    ----------
    model : RBM or DBN
        A fitted model (for a DBN, the first layer).
    shape : (int, int), optional
        Image shape; default a square (see :func:`filters`).
    n : int, default 25
        Number of chains.
    n_steps : int, default 1000
        Gibbs sweeps per chain, at least 1.
    random_state : None, int or numpy.random.Generator, optional
        Randomness of the chains; ``None`` draws fresh entropy.
    ncols : int, optional
        Tiles per row (default: a square).
    cmap : str or Colormap, default "gray"
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new pyplot figure.

    Returns
    -------
    matplotlib.figure.Figure
        The root figure of ``ax``, or the new figure.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastinit import RBM, plot
    >>> rbm = RBM(64, 16, n_iter=2, random_state=0).fit(load_digits().data / 16)
    >>> fig = plot.samples(rbm, n=9, n_steps=10, random_state=0)
    """
    where = "plot.samples"
    layer = _first_rbm(model)
    n_hidden, n_visible = layer.components_.shape
    shape = _image_shape(shape, n_visible, where)
    n, n_steps = _check_count("n", n, where), _check_count("n_steps", n_steps, where)
    gen = _sample_generator(random_state, where)
    V = layer.sample(n, n_steps=n_steps - 1, random_state=gen)
    # The last sweep by hand: its hidden draw, then the visible probabilities given it.
    H = (gen.random((n, n_hidden), dtype=np.float32) < layer.transform(V)).astype(np.float32)
    P = layer.inverse_transform(H)
    limits = (0.0, 1.0) if layer.visible == "bernoulli" else (float(P.min()), float(P.max()))
    mosaic = _tile(P, shape, _check_count("ncols", ncols, where, optional=True), per_tile=False)
    title = title or f"{n} samples: P(v | h) after {n_steps} Gibbs sweeps"
    return _draw_mosaic(mosaic, limits, cmap, title, ax, where)


def history(
    model: Any,
    *,
    metrics: Sequence[str] = ("reconstruction_error", "free_energy"),
    fig: FigureBase | None = None,
) -> Figure:
    """Training curves per epoch from ``history_`` of an RBM (one line) or a DBN (one per layer).

    Parameters
    ----------
    model : RBM or DBN
        A fitted model.
    metrics : sequence of str, default ("reconstruction_error", "free_energy")
        Keys of ``history_``, one panel each.
    fig : matplotlib Figure or SubFigure, optional
        An empty figure to draw the panels into; default a new pyplot figure.

    Returns
    -------
    matplotlib.figure.Figure
        The root figure of ``fig``, or the new figure.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastinit import DBN, plot
    >>> dbn = DBN((64, 16, 8), rbm_params={"n_iter": 3}, random_state=0)
    >>> fig = plot.history(dbn.fit(load_digits().data / 16))
    """
    where = "plot.history"
    if hasattr(model, "history_") and isinstance(model.history_, list):
        runs = {f"layer {i + 1}": h for i, h in enumerate(model.history_)}
    elif hasattr(model, "history_"):
        runs = {"RBM": model.history_}
    else:
        raise ValueError(f"{where}: {type(model).__name__} is not fitted (no history_)")
    for metric in metrics:
        for hist in runs.values():
            if metric not in hist:
                raise ValueError(f"{where}: history_ has no {metric!r}; it has {sorted(hist)}")
    canvas = _canvas(fig, (4.8 * len(metrics) + 1.2, 3.6), where)
    axes = canvas.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        for i, (label, hist) in enumerate(runs.items()):
            style = _line_style(i, len(runs), len(hist["epoch"]))
            ax.plot(hist["epoch"], hist[metric], label=label, **style)
        ax.set_xlabel("epoch")
        ax.set_title(metric.replace("_", " "))
        ax.grid(alpha=0.3)
        _integer_ticks(ax)
    if len(runs) > 1:
        _legend_outside(axes[-1])
    return canvas.figure


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
    moments: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    *,
    fig: FigureBase | None = None,
    **kwargs: Any,
) -> Figure:
    """Plot activation second moments per layer, one panel per nonlinearity, log scale.

    One line per scheme, with its own colour, dash and markers, so that schemes whose curves
    coincide (e.g. the Xavier variants under ReLU) stay visible; one legend, outside the panels.

    Parameters
    ----------
    moments : mapping, optional
        Output of :func:`compute_activation_moments`; computed with ``**kwargs`` when omitted.
    fig : matplotlib Figure or SubFigure, optional
        An empty figure to draw the panels into; default a new pyplot figure.
    **kwargs
        Passed to :func:`compute_activation_moments`.

    Returns
    -------
    matplotlib.figure.Figure
        The root figure of ``fig``, or the new figure.

    Examples
    --------
    >>> from fastinit import plot
    >>> fig = plot.activation_moments(depth=5, width=32, n_samples=16)
    """
    if moments is None:
        moments = compute_activation_moments(**kwargs)
    canvas = _canvas(fig, (5.0 * len(moments) + 1.6, 4.8), "plot.activation_moments")
    axes = canvas.subplots(1, len(moments), squeeze=False)[0]
    for ax, (name, per_scheme) in zip(axes, moments.items(), strict=True):
        for i, (label, values) in enumerate(per_scheme.items()):
            values = np.asarray(values, dtype=np.float64)
            layers = np.arange(1, len(values) + 1)
            # Exact zeros cannot be drawn on a log axis; they end the line.
            shown = values > 0
            style = _line_style(i, len(per_scheme), int(shown.sum()))
            ax.plot(layers[shown], values[shown], label=label, **style)
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.set_ylabel("E[h²]")
        ax.set_title(f"{name}: activation second moment per layer")
        ax.grid(alpha=0.3, which="both")
        _integer_ticks(ax)
    _legend_outside(axes[-1])
    return canvas.figure


def learning_curves(
    curves: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    *,
    metrics: Mapping[str, str] | None = None,
    fig: FigureBase | None = None,
) -> Figure:
    """Learning curves: one column per panel (e.g. regime), one row per metric, one line per run.

    A run keeps its colour, dash and markers in every panel, so that runs whose curves
    coincide stay visible; one legend, outside the panels.

    Parameters
    ----------
    curves : mapping
        ``{panel: {label: {metric: values per epoch}}}``.
    metrics : mapping, optional
        ``{metric: axis label}``; default ``{"train_loss": "training loss",
        "test_accuracy": "test accuracy"}``. A metric ending in ``loss`` gets a log axis.
    fig : matplotlib Figure or SubFigure, optional
        An empty figure to draw the panels into; default a new pyplot figure.

    Returns
    -------
    matplotlib.figure.Figure
        The root figure of ``fig``, or the new figure.

    Examples
    --------
    >>> from fastinit import plot
    >>> fig = plot.learning_curves(
    ...     {"all labels": {"zeros": {"train_loss": [2.3, 2.3], "test_accuracy": [0.1, 0.1]}}})
    """
    metrics = dict(metrics or {"train_loss": "training loss", "test_accuracy": "test accuracy"})
    size = (5.0 * len(curves) + 1.8, 3.3 * len(metrics))
    canvas = _canvas(fig, size, "plot.learning_curves")
    axes = canvas.subplots(len(metrics), len(curves), squeeze=False)
    labels = list(dict.fromkeys(label for runs in curves.values() for label in runs))
    for col, (panel, runs) in enumerate(curves.items()):
        for row, (metric, axis_label) in enumerate(metrics.items()):
            ax = axes[row][col]
            for label, values in runs.items():
                y = np.asarray(values[metric], dtype=np.float64)
                style = _line_style(labels.index(label), len(labels), len(y))
                ax.plot(np.arange(1, len(y) + 1), y, label=label, **style)
            if metric.endswith("loss"):
                ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel(axis_label)
            ax.set_title(panel)
            ax.grid(alpha=0.3)
            _integer_ticks(ax)
    # The first panel may lack runs that others have: the legend lists them all.
    handles: dict[str, Any] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    _legend_outside(axes[0][-1], [handles[label] for label in labels], labels)
    return canvas.figure
