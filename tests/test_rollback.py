"""A refused or failed call leaves every attribute as it was (fastinit._rollback).

Before: ``RBM.fit`` on a DataFrame with new column names and a NaN refused the data but kept the
new ``feature_names_in_`` with the old weights, and ``DBN.fit`` had no rollback at all
(``n_features_in_`` changed before the data were refused). Each case here compares a deep
snapshot of ``vars(model)`` — arrays by dtype, shape and a hash of their bytes, nested layers,
the state of a ``random_state`` Generator — before and after the refused call.
"""

import hashlib
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import load_digits

from fastinit import DBN, RBM, BernoulliRBM, _core
from fastinit._rollback import rollback_on_error


def deep_state(value):
    """Everything ``value`` holds, as comparable plain data."""
    if isinstance(value, np.ndarray):
        data = value.tobytes() if value.dtype != object else repr(value.tolist()).encode()
        return ("array", value.dtype.str, value.shape, hashlib.sha256(data).hexdigest())
    if isinstance(value, BaseEstimator):
        return ("estimator", type(value).__name__, deep_state(vars(value)))
    if isinstance(value, np.random.Generator):
        return ("generator", repr(value.bit_generator.state))
    if isinstance(value, np.random.RandomState):
        kind, keys, pos, has_gauss, cached = value.get_state()
        return ("random_state", kind, deep_state(keys), pos, has_gauss, cached)
    if isinstance(value, dict):
        # The model's lock is no state: created on first use, left out of copies and pickles.
        items = ((key, item) for key, item in value.items() if key != "_model_lock")
        return ("dict", tuple((key, deep_state(item)) for key, item in items))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(deep_state(item) for item in value))
    if isinstance(value, float):
        return ("float", value.hex())
    return ("other", type(value).__name__, repr(value))


def assert_unchanged(before, model):
    after = deep_state(vars(model))
    if before != after:
        old, new = dict(before[1]), dict(after[1])
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        pytest.fail(f"the refused call changed {changed}")


@pytest.fixture(scope="module")
def frame():
    X = (load_digits().data[:200] / 16.0 > 0.5).astype(np.float64)
    return pd.DataFrame(X, columns=[f"a{i}" for i in range(64)])


ESTIMATORS = {
    "RBM": lambda rs: RBM(64, 8, n_iter=2, batch_size=50, random_state=rs, n_jobs=1),
    "PCD RBM": lambda rs: RBM(64, 8, n_iter=2, batch_size=50, persistent=True,
                              sparsity_target=0.1, random_state=rs, n_jobs=1),
    "BernoulliRBM": lambda rs: BernoulliRBM(n_components=8, n_iter=2, batch_size=50,
                                            random_state=rs),
    "DBN": lambda rs: DBN((64, 8, 4), rbm_params={"n_iter": 2, "batch_size": 50},
                          random_state=rs, n_jobs=1),
}  # fmt: skip


def _bad_data(frame, failure):
    """The refused input of each kind of failure (None: the data are fine)."""
    X = frame.iloc[:100].copy()
    if failure == "nan":
        X.iloc[3, 5] = np.nan
        return X
    if failure == "width":
        return X.iloc[:, :10]
    if failure == "new names and nan":
        X.iloc[3, 5] = np.nan
        return X.set_axis([f"b{i}" for i in range(64)], axis=1)
    if failure == "out of range":
        return X * 3
    return X


def _break_params(model, failure):
    if failure == "bad parameter":
        if isinstance(model, DBN):
            model.set_params(rbm_params={"n_iter": 1, "learning_rate": math.nan})
        else:
            model.set_params(learning_rate=math.nan)


def _fail_the_engine_on(monkeypatch, call_number):
    """``_core.train_epoch`` trains (changing the arrays in place), then fails on its
    ``call_number``-th call: an engine error in the middle of training."""
    real, calls = _core.train_epoch, []

    def failing(*args, **kwargs):
        stats = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == call_number:
            raise RuntimeError("engine failure (simulated)")
        return stats

    monkeypatch.setattr(_core, "train_epoch", failing)


FAILURES = ["nan", "width", "new names and nan", "out of range", "bad parameter", "engine"]


def _cases():
    """(estimator, method, fitted, failure) for every call that exists and can be refused."""
    for name, method, fitted, failure in itertools.product(
        ESTIMATORS, ["fit", "partial_fit"], [False, True], FAILURES
    ):
        if name == "DBN" and method == "partial_fit":
            continue  # a DBN has no partial_fit
        if failure == "width" and name == "BernoulliRBM" and (method == "fit" or not fitted):
            continue  # BernoulliRBM has no n_visible: any width is right for a fresh start
        yield pytest.param(
            name, method, fitted, failure,
            id=f"{name}-{'fitted' if fitted else 'unfitted'}-{method}-{failure}",
        )  # fmt: skip


@pytest.mark.parametrize(("name", "method", "fitted", "failure"), list(_cases()))
@pytest.mark.parametrize("seed", ["int", "generator"])
def test_a_refused_call_leaves_every_attribute_as_it_was(
    frame, monkeypatch, name, seed, fitted, method, failure
):
    model = ESTIMATORS[name](0 if seed == "int" else np.random.default_rng(0))
    if fitted:
        model.fit(frame)
    _break_params(model, failure)
    before = deep_state(vars(model))
    if failure == "engine":
        # The second epoch of a fit (for a DBN: the first of its top layer) or the first of a
        # partial_fit, after the arrays have changed.
        _fail_the_engine_on(monkeypatch, {"fit": 2, "partial_fit": 1}[method] + (name == "DBN"))
    X = _bad_data(frame, failure)  # built outside pytest.raises: only the call may raise
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        getattr(model, method)(X)
    assert_unchanged(before, model)


def test_an_interrupted_dbn_fit_leaves_the_dbn_as_it_was(frame, monkeypatch):
    dbn = ESTIMATORS["DBN"](np.random.default_rng(0)).fit(frame)
    before = deep_state(vars(dbn))
    real, calls = _core.train_epoch, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the top layer's first epoch
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_core, "train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        dbn.fit(frame.set_axis([f"b{i}" for i in range(64)], axis=1))
    assert_unchanged(before, dbn)


def test_a_failed_log_partition_leaves_the_stream_and_the_cache(frame):
    rbm = ESTIMATORS["RBM"](0).fit(frame)
    rbm.log_likelihood(frame, method="ais", n_betas=10, random_state=1)  # fills the cache
    rbm.set_params(n_jobs=2**31)
    before = deep_state(vars(rbm))
    with pytest.raises(ValueError, match="n_jobs"):
        rbm.log_partition("ais", n_betas=10)
    assert_unchanged(before, rbm)


def test_a_failed_call_keeps_the_lock_it_created(monkeypatch):
    # A fitted model whose first locking call is an AIS log_partition that fails inside the
    # lock: the rollback must keep that lock, which other threads may already wait on (a fresh
    # one would let the next call run beside them).
    rng = np.random.default_rng(0)
    rbm = RBM.from_weights(rng.normal(0, 0.1, (3, 5)), np.zeros(5), np.zeros(3))
    assert "_model_lock" not in vars(rbm)
    held = []

    def fail(*args, **kwargs):
        held.append(vars(rbm)["_model_lock"])
        raise RuntimeError("engine failure")

    monkeypatch.setattr("fastinit.likelihood.compute_log_partition", fail)
    with pytest.raises(RuntimeError, match="engine failure"):
        rbm.log_partition("ais", n_betas=10)
    assert vars(rbm).get("_model_lock") is held[0]


def test_rollback_puts_back_the_same_objects():
    class Model:
        pass

    model = Model()
    model.w, model.history = np.zeros(3), {"epoch": [1]}
    model.shared = [model.history]
    w, history, rng = model.w, model.history, np.random.default_rng(0)
    model.rng = rng
    state = rng.bit_generator.state
    with pytest.raises(ValueError), rollback_on_error(model):
        model.w += 1
        model.history["epoch"].append(2)
        model.rng.random()
        model.added = True
        raise ValueError
    assert model.w is w and np.all(w == 0)
    assert model.history is history and history == {"epoch": [1]}
    assert model.shared[0] is model.history
    assert rng.bit_generator.state == state
    assert not hasattr(model, "added")
