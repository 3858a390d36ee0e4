"""fastinit.plot: every figure renders to PNG with the Agg backend."""

from __future__ import annotations

import io

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sklearn.datasets import load_digits  # noqa: E402

from fastinit import DBN, RBM, plot  # noqa: E402


@pytest.fixture(scope="module")
def X():
    return (load_digits().data / 16.0).astype(np.float32)


@pytest.fixture(scope="module")
def dbn(X):
    return DBN((64, 16, 8), rbm_params={"n_iter": 2, "batch_size": 50}, random_state=0).fit(X)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = buffer.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def test_filters_rbm_and_dbn(dbn):
    fig = plot.filters(dbn.rbms_[0], shape=(8, 8), n=10, title="t")
    assert fig.axes[0].get_title() == "t"
    _png(fig)
    fig = plot.filters(dbn, shape=(8, 8))
    assert "16 of 16" in fig.axes[0].get_title()
    _png(fig)
    with pytest.raises(ValueError, match="visible units"):
        plot.filters(dbn, shape=(28, 28))
    with pytest.raises(ValueError, match="n must"):
        plot.filters(dbn, shape=(8, 8), n=0)


def test_filters_constant_filter_does_not_divide_by_zero():
    rbm = RBM.from_weights(np.zeros((4, 4)), np.zeros(4), np.zeros(4))
    _png(plot.filters(rbm, shape=(2, 2)))


def test_samples(dbn):
    fig = plot.samples(dbn.rbms_[0], 4, shape=(8, 8), n_steps=5, random_state=0)
    _png(fig)


def test_history_rbm_and_dbn(dbn):
    fig = plot.history(dbn.rbms_[0])
    assert len(fig.axes) == 2
    _png(fig)
    fig = plot.history(dbn, metrics=("reconstruction_error",))
    assert len(fig.axes[0].lines) == 2
    _png(fig)
    with pytest.raises(ValueError, match="not fitted"):
        plot.history(object())
    with pytest.raises(ValueError, match="no 'nope'"):
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
    _png(plot.activation_moments(moments))
    _png(plot.activation_moments(depth=3, width=16, n_samples=8, nonlinearities=("sigmoid",)))
    with pytest.raises(ValueError, match="unknown nonlinearities"):
        plot.compute_activation_moments(nonlinearities=("gelu",), depth=2, width=4)


def test_learning_curves():
    curves = {
        "all labels": {
            "zeros": {"train_loss": [2.3, 2.2], "test_accuracy": [0.1, 0.12]},
            "DBN": {"train_loss": [1.0, 0.1], "test_accuracy": [0.9, 0.95]},
        },
        "few labels": {"zeros": {"train_loss": [2.3], "test_accuracy": [0.1]}},
    }
    fig = plot.learning_curves(curves)
    assert len(fig.axes) == 4
    _png(fig)
