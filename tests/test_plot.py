"""fastinit.plot: where figures are drawn, image shapes, what samples show, readable lines."""

from __future__ import annotations

import inspect
import io
import itertools
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # before pyplot: no window may open

import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from fastinit import DBN, RBM, plot  # noqa: E402

IMAGE_FUNCTIONS = (plot.filters, plot.samples)
PANEL_FUNCTIONS = (plot.history, plot.activation_moments, plot.learning_curves)

CURVES = {
    "all labels": {
        "zeros": {"train_loss": [2.3, 2.2, 2.1, 2.0], "test_accuracy": [0.1, 0.12, 0.1, 0.1]},
        "DBN": {"train_loss": [1.0, 0.1, 0.05, 0.02], "test_accuracy": [0.9, 0.95, 0.96, 0.97]},
    },
    "few labels": {"zeros": {"train_loss": [2.3], "test_accuracy": [0.1]}},
}


@pytest.fixture(autouse=True)
def _close_figures():
    # pyplot keeps every figure it makes until it is closed.
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def X():
    return (load_digits().data / 16.0).astype(np.float32)


@pytest.fixture(scope="module")
def dbn(X):
    return DBN((64, 16, 8), rbm_params={"n_iter": 2, "batch_size": 50}, random_state=0).fit(X)


def _draw(function, dbn, **kwargs):
    """Call a drawing function with small, valid data."""
    data = {
        plot.filters: dbn,
        plot.samples: dbn.rbms_[0],
        plot.history: dbn,
        plot.activation_moments: plot.compute_activation_moments(depth=4, width=16, n_samples=8),
        plot.learning_curves: CURVES,
    }[function]
    if function is plot.samples:
        kwargs.setdefault("n_steps", 2)
    return function(data, **kwargs)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = buffer.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def _tiles(ax, n_pixels: int) -> np.ndarray:
    """The tiles of a one-column mosaic, one row each: every value that is not a gap."""
    return np.ma.masked_invalid(ax.images[0].get_array()).compressed().reshape(-1, n_pixels)


# -------------------------------------------------------------------------- import, figures


def test_import_does_not_import_matplotlib():
    code = "import sys, fastinit.plot; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS + PANEL_FUNCTIONS)
def test_new_figures_are_pyplot_figures(function, dbn):
    fig = _draw(function, dbn)
    assert plt.fignum_exists(fig.number)
    assert plt.gcf() is fig
    _png(fig)


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_ax_draws_into_the_given_axes(function, dbn):
    fig, (left, right) = plt.subplots(1, 2)
    figures = plt.get_fignums()
    assert _draw(function, dbn, ax=right) is fig
    assert plt.get_fignums() == figures
    assert (len(left.images), len(right.images)) == (0, 1)
    assert len(fig.axes) == 2


@pytest.mark.parametrize("function", PANEL_FUNCTIONS)
def test_fig_draws_into_the_given_subfigure(function, dbn):
    root = plt.figure(layout="constrained")
    left, right = root.subfigures(1, 2)
    figures = plt.get_fignums()
    assert _draw(function, dbn, fig=right) is root
    assert plt.get_fignums() == figures
    assert not left.axes and right.axes
    assert all(ax.lines for ax in right.axes)
    _png(root)


def test_wrong_targets_are_named():
    with pytest.raises(TypeError, match=r"plot\.filters: ax must be a matplotlib Axes"):
        plot.filters(RBM.from_weights(np.zeros((2, 4)), np.zeros(4), np.zeros(2)), ax="left")
    with pytest.raises(TypeError, match=r"plot\.learning_curves: fig must be"):
        plot.learning_curves(CURVES, fig=plt.gca())


def test_one_argument_order():
    # What is drawn first, options by keyword only, where to draw last.
    order = ("shape", "n", "n_steps", "random_state", "ncols", "cmap", "title", "metrics")
    for function in IMAGE_FUNCTIONS + PANEL_FUNCTIONS:
        params = list(inspect.signature(function).parameters.values())
        named = [p for p in params if p.kind is not p.VAR_KEYWORD]
        assert named[0].kind is named[0].POSITIONAL_OR_KEYWORD, function.__name__
        assert all(p.kind is p.KEYWORD_ONLY for p in named[1:]), function.__name__
        target = "ax" if function in IMAGE_FUNCTIONS else "fig"
        assert named[-1].name == target and named[-1].default is None, function.__name__
        options = [p.name for p in named[1:-1]]
        assert options == sorted(options, key=order.index), function.__name__
        assert f"{target} : " in function.__doc__ and "Returns" in function.__doc__


# ------------------------------------------------------------------------------ image shape


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_shape_is_inferred_when_square(function, dbn):
    fig = _draw(function, dbn, n=6, ncols=3)
    # 2 rows and 3 columns of 8 x 8 tiles with one-pixel gaps around each.
    assert fig.axes[0].images[0].get_array().shape == (2 * 9 + 1, 3 * 9 + 1)
    fig = _draw(function, dbn, n=6, ncols=3, shape=(4, 16))
    assert fig.axes[0].images[0].get_array().shape == (2 * 5 + 1, 3 * 17 + 1)


@pytest.mark.parametrize("function", IMAGE_FUNCTIONS)
def test_shape_of_a_non_square_model_must_be_given(function):
    rbm = RBM.from_weights(np.zeros((3, 60)), np.zeros(60), np.zeros(3))
    name = function.__name__
    with pytest.raises(ValueError, match=rf"plot\.{name}: .*60 visible units.*pass shape="):
        function(rbm)
    with pytest.raises(ValueError, match=rf"plot\.{name}: shape \(8, 8\) does not hold"):
        function(rbm, shape=(8, 8))
    assert function(rbm, shape=(6, 10), n=2).axes[0].images


# ---------------------------------------------------------------------- filters and samples


def test_filters_are_scaled_per_tile(dbn):
    fig = plot.filters(dbn, n=3, ncols=1, title="t")
    ax = fig.axes[0]
    assert ax.get_title() == "t"
    tiles = _tiles(ax, 64)
    np.testing.assert_allclose(tiles.min(axis=1), 0)
    np.testing.assert_allclose(tiles.max(axis=1), 1)
    W = dbn.rbms_[0].components_[:3]
    low, high = W.min(axis=1, keepdims=True), W.max(axis=1, keepdims=True)
    np.testing.assert_allclose(tiles, (W - low) / (high - low), atol=1e-6)
    assert "16 of 16" in plot.filters(dbn).axes[0].get_title()
    with pytest.raises(ValueError, match=r"plot\.filters: n must be a positive int"):
        plot.filters(dbn, n=0)


def test_constant_filter_is_mid_grey():
    rbm = RBM.from_weights(np.zeros((4, 4)), np.zeros(4), np.zeros(4))
    np.testing.assert_array_equal(_tiles(plot.filters(rbm, ncols=1).axes[0], 4), 0.5)


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_blank_and_full_samples_are_drawn_at_their_value(value):
    # No hidden influence and visible biases of ±30: P(v = 1 | h) is 0 or 1 to 1e-13.
    bias = 30.0 if value else -30.0
    rbm = RBM.from_weights(np.zeros((3, 16)), np.full(16, bias), np.zeros(3))
    image = plot.samples(rbm, n=4, n_steps=3, random_state=0).axes[0].images[0]
    pixels = np.ma.masked_invalid(image.get_array()).compressed()
    np.testing.assert_allclose(pixels, value, atol=1e-12)
    assert image.get_clim() == (0.0, 1.0)


def test_samples_are_the_models_visible_probabilities():
    rng = np.random.default_rng(0)
    W, a = rng.normal(0, 1.5, (3, 16)), rng.normal(0, 1, 16)
    rbm = RBM.from_weights(W, a, np.zeros(3))
    ax = plot.samples(rbm, n=30, n_steps=4, random_state=1, ncols=1).axes[0]
    tiles = _tiles(ax, 16)
    # Each tile is P(v | h) for one of the 2³ hidden states h, as the model computes it.
    states = np.array(list(itertools.product((0.0, 1.0), repeat=3)))
    candidates = rbm.inverse_transform(states)
    distance = np.abs(tiles[:, None, :] - candidates[None]).max(axis=2)
    assert np.all(distance.min(axis=1) < 1e-6)
    assert len(np.unique(distance.argmin(axis=1))) > 1  # the hidden states are drawn
    assert np.all((tiles > 0) & (tiles < 1))  # probabilities, not binary states
    # With every hidden unit on, the formula: sigmoid(a + sum of the weights).
    on = RBM.from_weights(W, a, np.full(3, 30.0))
    expected = 1 / (1 + np.exp(-(a + W.sum(axis=0))))
    tiles = _tiles(plot.samples(on, n=2, n_steps=1, ncols=1).axes[0], 16)
    np.testing.assert_allclose(tiles, np.tile(expected, (2, 1)), atol=1e-6)


def test_gaussian_samples_share_one_scale():
    rng = np.random.default_rng(0)
    rbm = RBM.from_weights(rng.normal(size=(3, 16)), rng.normal(size=16), np.zeros(3),
                           visible="gaussian")  # fmt: skip
    image = plot.samples(rbm, n=5, n_steps=2, random_state=0).axes[0].images[0]
    values = np.ma.masked_invalid(image.get_array()).compressed()
    assert image.get_clim() == (values.min(), values.max())


def test_samples_reproducible_and_checked(dbn):
    def pixels(**kwargs):
        return plot.samples(dbn, n=4, n_steps=3, **kwargs).axes[0].images[0].get_array()

    np.testing.assert_array_equal(pixels(random_state=5), pixels(random_state=5))
    with pytest.raises(ValueError, match=r"plot\.samples: n_steps must be a positive int"):
        plot.samples(dbn, n_steps=0)
    with pytest.raises(TypeError, match=r"plot\.samples: random_state must be"):
        plot.samples(dbn, random_state=np.random.RandomState(0))


# --------------------------------------------------------------------------- line figures


def test_history_rbm_and_dbn(dbn):
    fig = plot.history(dbn.rbms_[0])
    assert len(fig.axes) == 2 and fig.axes[0].get_legend() is None
    fig = plot.history(dbn, metrics=("reconstruction_error",))
    assert len(fig.axes[0].lines) == 2 and fig.axes[0].get_legend() is not None
    with pytest.raises(ValueError, match=r"plot\.history: object is not fitted"):
        plot.history(object())
    with pytest.raises(ValueError, match=r"plot\.history: history_ has no 'nope'"):
        plot.history(dbn, metrics=("nope",))


def test_activation_moments():
    moments = plot.compute_activation_moments(depth=6, width=64, n_samples=32, rng=0)
    assert set(moments) == {"relu", "tanh"}
    relu = moments["relu"]
    assert relu["He normal"].shape == (6,)
    # He keeps a ReLU stack's second moment; Xavier halves it per layer; N(0, 0.01²) kills it.
    assert 0.3 < relu["He normal"][-1] < 3
    assert relu["Xavier normal"][-1] < 0.1
    assert relu["N(0, 0.01²)"][-1] < 1e-10
    assert [len(ax.lines) for ax in plot.activation_moments(moments).axes] == [7, 7]
    fig = plot.activation_moments(depth=3, width=16, n_samples=8, nonlinearities=("sigmoid",))
    assert fig.axes[0].get_title().startswith("sigmoid")
    with pytest.raises(ValueError, match="unknown nonlinearities"):
        plot.compute_activation_moments(nonlinearities=("gelu",), depth=2, width=4)


def test_learning_curves_legend_lists_every_run():
    fig = plot.learning_curves(CURVES)
    assert len(fig.axes) == 4
    legend = fig.axes[1].get_legend()  # top right
    assert [t.get_text() for t in legend.get_texts()] == ["zeros", "DBN"]


def _identical_curves(function):
    """A figure of three runs with the same values: each must stay visible."""
    values = np.linspace(1.0, 0.1, 30)
    if function is plot.activation_moments:
        return function({"relu": {name: values for name in "abc"}})
    run = {"train_loss": values, "test_accuracy": values}
    return function({"panel": {name: run for name in "abc"}})


@pytest.mark.parametrize("function", [plot.activation_moments, plot.learning_curves])
def test_coinciding_lines_stay_visible(function):
    fig = _identical_curves(function)
    ax = fig.axes[0]
    for style in ("get_color", "get_marker", "get_linestyle"):
        assert len({getattr(line, style)() for line in ax.lines}) == 3, style
    marked = []
    for line in ax.lines:
        start, step = line.get_markevery()
        marked.append(set(line.get_xdata()[start::step]))
        assert len(marked[-1]) >= 3
    assert all(not a & b for a, b in itertools.combinations(marked, 2))


def test_a_dozen_lines_have_distinct_colour_and_marker_pairs():
    # The experiment draws twelve starts; with one colour cycle of ten, lines 0 and 10 must
    # still differ in their marker.
    values = np.linspace(1.0, 0.1, 30)
    run = {"train_loss": values, "test_accuracy": values}
    fig = plot.learning_curves({"panel": {f"start {i}": run for i in range(12)}})
    pairs = {(line.get_color(), line.get_marker()) for line in fig.axes[0].lines}
    assert len(pairs) == 12


@pytest.mark.parametrize("function", [plot.activation_moments, plot.learning_curves])
def test_legend_covers_no_axes(function):
    fig = _identical_curves(function)
    fig.canvas.draw()
    (legend,) = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    box = legend.get_window_extent()
    assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes)
