"""The RBM's model file: what :meth:`fastinit.RBM.save` writes and :meth:`fastinit.RBM.load`
accepts.

Format 1: a JSON metadata member (``format_version``, ``class``, the JSON-representable
constructor ``params``, the random-stream position ``key`` / ``step`` / ``gibbs_calls``,
``n_iter_``, ``n_features_in_``, ``history_``) and one float array per training-state attribute
(:data:`STATE`). Reading checks every field before the model is built (see
:mod:`fastinit._model_file` for the archive itself): the parameters as ``fit`` checks them, the
shape of every array from ``n_features_in_`` and the weights' rows, finite values in float32,
integers in range (``step`` < 2**40, ``n_iter_`` <= ``step``: every epoch makes an update), and
a ``history_`` of one number per completed epoch.
"""

from __future__ import annotations

import io
import re
from typing import IO, Any

import numpy as np

from ._model_file import ModelArchive, write_archive

__all__ = ["FORMAT_VERSION", "STATE", "read_rbm", "write_rbm"]

FORMAT_VERSION = 1
#: The training-state arrays, in the file under their attribute names.
STATE = (
    "components_",
    "intercept_visible_",
    "intercept_hidden_",
    "_velocity_W",
    "_velocity_a",
    "_velocity_c",
    "_hidden_mean",
    "persistent_hidden_",
    "base_rate_",
)
_OPTIONAL_STATE = ("persistent_hidden_", "base_rate_")
_META_KEYS = (
    "format_version", "class", "params", "key", "step", "gibbs_calls", "n_iter_",
    "n_features_in_", "history_",
)  # fmt: skip
_HISTORY_KEYS = ("epoch", "reconstruction_error", "free_energy", "seconds")
_MONITOR_KEYS = ("free_energy_gap", "pseudo_likelihood", "log_likelihood", "log_likelihood_train")
# The engine's update counter: the random streams are laid out for fewer than 2**40 updates.
_MAX_STEP = 2**40 - 1
_KEY = re.compile(r"[0-9]{1,20}")


def _json_value(value: Any) -> Any:
    """A parameter as JSON data (NumPy scalars as Python ones), or _DROP if it has none."""
    if isinstance(value, np.generic):
        value = value.item()
    return value if value is None or isinstance(value, bool | int | float | str) else _DROP


_DROP = object()


def write_rbm(model: Any, file: str | Any | IO[bytes]) -> None:
    """Write a fitted ``model`` to ``file`` (a path or a binary file object)."""
    params = {name: _json_value(value) for name, value in model.get_params().items()}
    meta = {
        "format_version": FORMAT_VERSION,
        "class": type(model).__name__,
        "params": {name: value for name, value in params.items() if value is not _DROP},
        "key": str(model._key),
        "step": model._step,
        "gibbs_calls": model._gibbs_calls,
        "n_iter_": model.n_iter_,
        "n_features_in_": model.n_features_in_,
        "history_": model.history_,
    }
    arrays = {name: getattr(model, name) for name in STATE if getattr(model, name) is not None}
    write_archive(file, meta, arrays)


def rbm_bytes(model: Any) -> bytes:
    """The file :func:`write_rbm` writes, in memory (a DBN stores its layers so)."""
    buffer = io.BytesIO()
    write_rbm(model, buffer)
    return buffer.getvalue()


def read_rbm(archive: ModelArchive, cls: type, expect: tuple[int, int] | None = None) -> Any:
    """The ``cls`` model in ``archive``; ``expect`` is the ``(n_visible, n_hidden)`` a DBN
    layer must have."""
    meta = archive.meta(FORMAT_VERSION)
    archive.check_keys(meta, _META_KEYS)
    model = _model_from_params(archive, cls, archive.dict_field(meta, "params"))
    n_visible = archive.int_field(meta, "n_features_in_", low=1)
    if expect is not None and n_visible != expect[0]:
        raise archive.error("n_features_in_", f"is {n_visible}, expected {expect[0]}")
    _read_position(archive, model, meta)
    model.history_ = _read_history(archive, meta, model.n_iter_)
    # The metadata are all checked; the arrays next, each header before its data.
    archive.check_members(
        ["meta", *(name for name in STATE if name not in _OPTIONAL_STATE)], _OPTIONAL_STATE
    )
    _read_state(archive, model, n_visible, None if expect is None else expect[1])
    model.n_features_in_ = n_visible
    return model


def _model_from_params(archive: ModelArchive, cls: type, params: dict[str, Any]) -> Any:
    valid = cls().get_params()
    for name, value in params.items():
        if name not in valid:
            raise archive.error(f"params.{name}", f"not a parameter of {cls.__name__}")
        if not (value is None or isinstance(value, bool | int | float | str)):
            problem = f"must be a number, string or null, got {value!r:.80}"
            raise archive.error(f"params.{name}", problem)
    return archive.estimator(cls, params)


def _float32(archive: ModelArchive, name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    array = archive.array(name, shape=shape)
    with np.errstate(over="ignore", invalid="ignore"):
        array = array.astype(np.float32, order="C", copy=False)
    if not np.all(np.isfinite(array)):
        raise archive.error(name, "holds values that are not finite in float32")
    return array


def _read_state(archive: ModelArchive, model: Any, n_visible: int, n_hidden: int | None) -> None:
    """The state arrays, each header checked before its data are read."""
    model.components_ = _float32(archive, "components_", (n_hidden, n_visible))
    n_hidden = model.components_.shape[0]
    shapes = {
        "intercept_visible_": (n_visible,), "intercept_hidden_": (n_hidden,),
        "_velocity_W": (n_hidden, n_visible), "_velocity_a": (n_visible,),
        "_velocity_c": (n_hidden,), "_hidden_mean": (n_hidden,),
        "persistent_hidden_": (None, n_hidden), "base_rate_": (n_visible,),
    }  # fmt: skip
    if model.persistent and "persistent_hidden_" not in archive.members:
        raise archive.error("persistent_hidden_", "missing (the model trains with persistent=True)")
    for name, shape in shapes.items():
        present = name in archive.members
        setattr(model, name, _float32(archive, name, shape) if present else None)
    rate = model.base_rate_
    if rate is not None and model.visible == "bernoulli" and np.any((rate < 0) | (rate > 1)):
        raise archive.error("base_rate_", "must lie in [0, 1] (the means of Bernoulli data)")


def _read_position(archive: ModelArchive, model: Any, meta: dict[str, Any]) -> None:
    """The random-stream position and the epochs completed."""
    key = archive.field(meta, "key")
    if not (isinstance(key, str) and _KEY.fullmatch(key) and int(key) < 2**64):
        problem = f"must be the decimal string of an int in [0, 2**64 - 1], got {key!r:.80}"
        raise archive.error("key", problem)
    model._key = int(key)
    model._step = archive.int_field(meta, "step", low=0, high=_MAX_STEP)
    model._gibbs_calls = archive.int_field(meta, "gibbs_calls", low=0)
    # Every epoch makes at least one update: n_iter_ <= step.
    model.n_iter_ = archive.int_field(meta, "n_iter_", low=0, high=model._step)


def _read_history(archive: ModelArchive, meta: dict[str, Any], n_iter: int) -> dict[str, list]:
    """One number per completed epoch for each recorded metric."""
    history = archive.dict_field(meta, "history_")
    archive.check_keys(history, _HISTORY_KEYS + _MONITOR_KEYS, where="history_.")
    for name in _HISTORY_KEYS:
        archive.field(history, name, where="history_.")
    for name, values in history.items():
        numbers = isinstance(values, list) and all(type(v) in (int, float) for v in values)
        if not numbers or len(values) != n_iter:
            raise archive.error(
                f"history_.{name}", f"must be a list of n_iter_ = {n_iter} numbers (one per epoch)"
            )
    if history["epoch"] != list(range(1, n_iter + 1)):
        raise archive.error("history_.epoch", "must count the epochs: 1, 2, ..., n_iter_")
    return {name: list(values) for name, values in history.items()}
