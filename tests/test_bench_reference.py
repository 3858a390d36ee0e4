"""The benchmark's NumPy reference contender computes fastinit's CD-k / PCD update.

``bench/numpy_rbm.py`` is what the benchmark (issue 4) compares fastinit against, so it must
train the same model: fed the engine's own random numbers
(``fastinit._core.random_matrix(key, train_stream(step, phase), rows, cols)``, phases as in
csrc/rbm.hpp), it has to reproduce fastinit's parameters and reconstruction error within float
rounding. No timing here. Skipped when bench/ is not importable (e.g. an installed package
without the repository around it).
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import fastinit
from fastinit import _core

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
if os.path.isdir(BENCH) and BENCH not in sys.path:
    sys.path.insert(0, BENCH)
numpy_rbm = pytest.importorskip("numpy_rbm", reason="bench/ (the benchmark) is not importable")

N_VISIBLE, N_HIDDEN, BATCH = 40, 24, 50
N_ROWS = 230  # 4 full mini-batches and a partial one


def engine_sources(key: int):
    """Uniform / normal sources that replay the engine's random streams."""

    def uniform(step: int, phase: int, out: np.ndarray) -> None:
        out[...] = _core.random_matrix(key, _core.train_stream(step, phase), *out.shape)

    def normal(step: int, phase: int, out: np.ndarray) -> None:
        out[...] = _core.random_matrix(
            key, _core.train_stream(step, phase), *out.shape, normal=True
        )

    return uniform, normal


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(1)
    X = (rng.random((N_ROWS, N_VISIBLE)) < 0.3).astype(np.float32)
    W = rng.normal(0.0, 0.01, (N_HIDDEN, N_VISIBLE)).astype(np.float32)
    a = rng.normal(0.0, 0.1, N_VISIBLE).astype(np.float32)
    c = np.zeros(N_HIDDEN, dtype=np.float32)
    return X, W, a, c


CASES = [
    pytest.param({}, id="cd1"),
    pytest.param({"k": 3}, id="cd3"),
    pytest.param({"k": 2, "sample_visible": True}, id="cd2-sampled-visible"),
    pytest.param({"persistent": True}, id="pcd1"),
    pytest.param({"persistent": True, "k": 2, "n_chains": 30}, id="pcd2-30-chains"),
    pytest.param(
        {"visible": "gaussian", "sample_visible": True, "learning_rate": 0.01}, id="gaussian-cd1"
    ),
]


@pytest.mark.parametrize("params", CASES)
def test_reference_matches_engine(problem, params):
    X, W, a, c = problem
    if params.get("visible") == "gaussian":
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    params = {"learning_rate": 0.1, **params}
    common = {"momentum": 0.5, "weight_decay": 2e-4, "batch_size": BATCH}
    model = fastinit.RBM.from_weights(
        W.copy(), a.copy(), c.copy(), shuffle=False, n_jobs=2, random_state=3, **common, **params
    )
    uniform, normal = engine_sources(model._key)
    ref = numpy_rbm.NumpyRBM(
        W, a, c, uniform_source=uniform, normal_source=normal, **common, **params
    )
    for _ in range(2):  # two epochs: velocities and PCD chains carry over
        model.partial_fit(X)
        error = ref.train_epoch(X)
        np.testing.assert_allclose(error, model.history_["reconstruction_error"][-1], rtol=1e-5)
    np.testing.assert_allclose(ref.W, model.components_, atol=2e-6, rtol=1e-5)
    np.testing.assert_allclose(ref.a, model.intercept_visible_, atol=2e-6, rtol=1e-5)
    np.testing.assert_allclose(ref.c, model.intercept_hidden_, atol=2e-6, rtol=1e-5)
    if params.get("persistent"):
        np.testing.assert_array_equal(ref.chain_hidden, model.persistent_hidden_)
    assert ref.step == model._step


def test_reference_follows_epoch_order(problem):
    """With the engine's shuffled row order the reference still tracks the engine."""
    X, W, a, c = problem
    model = fastinit.RBM.from_weights(
        W.copy(), a.copy(), c.copy(), momentum=0.5, batch_size=BATCH, shuffle=True, random_state=5
    )
    uniform, _ = engine_sources(model._key)
    ref = numpy_rbm.NumpyRBM(W, a, c, momentum=0.5, batch_size=BATCH, uniform_source=uniform)
    model.partial_fit(X)
    ref.train_epoch(X, order=_core.epoch_order(model._key, 0, X.shape[0]))
    np.testing.assert_allclose(ref.W, model.components_, atol=2e-6, rtol=1e-5)


def test_epoch_flops():
    assert numpy_rbm.epoch_flops(60_000, 784, 500) == 10 * 60_000 * 784 * 500
    assert numpy_rbm.epoch_flops(10, 3, 2, k=10) == 2 * 10 * 3 * 2 * 23


def test_sigmoid_in_place():
    x = np.linspace(-30, 30, 101, dtype=np.float32)
    expected = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    out = numpy_rbm.sigmoid_(x.copy())
    np.testing.assert_allclose(out, expected, atol=1e-7)
