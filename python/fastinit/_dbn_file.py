"""The DBN's model file: what :meth:`fastinit.DBN.save` writes and :meth:`fastinit.DBN.load`
accepts.

Format 1: a JSON metadata member (``format_version``, ``class``, the JSON-representable
constructor ``params``, ``layer_sizes_``, ``n_features_in_``, ``n_layers``, optionally
``feature_names_in_``), one member ``layer{i}`` per RBM holding the bytes of that RBM's own file
(:mod:`fastinit._rbm_file`), and optionally ``mean_activation{i}`` for every layer. Reading
checks that the whole is consistent before it is trusted: the parameters as ``fit`` checks them,
``n_layers`` and ``n_features_in_`` against ``layer_sizes_``, the parameter ``layer_sizes``
against ``layer_sizes_``, every layer's shape against its place in the stack (so the layers
chain) before its arrays are read, the layers' unit types, and the activations' shapes and
range. Layers read from the budget of the whole file (:mod:`fastinit._model_file`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Any

import numpy as np

from ._model_file import ModelArchive, write_archive
from ._params import INT64_MAX
from ._rbm_file import rbm_bytes, read_rbm

__all__ = ["FORMAT_VERSION", "read_dbn", "write_dbn"]

FORMAT_VERSION = 1
_META_KEYS = ("format_version", "class", "params", "layer_sizes_", "n_features_in_", "n_layers")
_OPTIONAL_META = ("feature_names_in_",)
_DROP = object()


def _jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data, or ``_DROP``; dict entries that do not survive are left out.

    A callable ``init`` in ``rbm_params`` cannot be stored; the fitted weights do not need it.
    """
    if isinstance(value, np.integer | np.floating | np.bool_):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        kept = {str(k): _jsonable(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not _DROP}
    if isinstance(value, Sequence | np.ndarray):
        items = [_jsonable(v) for v in value]
        return _DROP if any(v is _DROP for v in items) else items
    return _DROP


def write_dbn(model: Any, file: str | Any | IO[bytes]) -> None:
    """Write a fitted DBN to ``file`` (a path or a binary file object)."""
    params = {name: _jsonable(value) for name, value in model.get_params().items()}
    meta: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "class": type(model).__name__,
        "params": {name: value for name, value in params.items() if value is not _DROP},
        "layer_sizes_": list(model.layer_sizes_),
        "n_features_in_": model.n_features_in_,
        "n_layers": len(model.rbms_),
    }
    if hasattr(model, "feature_names_in_"):
        meta["feature_names_in_"] = [str(n) for n in model.feature_names_in_]
    # Each layer is an RBM file stored as bytes.
    arrays = {
        f"layer{i}": np.frombuffer(rbm_bytes(rbm), dtype=np.uint8)
        for i, rbm in enumerate(model.rbms_)
    }
    for i, mean in enumerate(getattr(model, "mean_activation_", [])):
        arrays[f"mean_activation{i}"] = mean
    write_archive(file, meta, arrays)


def read_dbn(archive: ModelArchive, cls: type, rbm_cls: type) -> Any:
    """The ``cls`` stack in ``archive``, its layers ``rbm_cls`` models."""
    meta = archive.meta(FORMAT_VERSION)
    archive.check_keys(meta, _META_KEYS + _OPTIONAL_META)
    model = _model_from_params(archive, cls, archive.dict_field(meta, "params"))
    sizes = _layer_sizes(archive, meta, model)
    n_layers = len(sizes) - 1
    archive.int_field(meta, "n_layers", low=n_layers, high=n_layers)
    n_features = archive.int_field(meta, "n_features_in_", low=sizes[0], high=sizes[0])
    layers = [f"layer{i}" for i in range(n_layers)]
    means = [f"mean_activation{i}" for i in range(n_layers)]
    archive.check_members(["meta", *layers], optional=means)
    present = [name in archive.members for name in means]
    if any(present) and not all(present):
        missing = means[present.index(False)]
        raise archive.error(missing, "missing (the activations come for every layer or none)")
    names = _feature_names(archive, meta, n_features)
    model.rbms_ = [_layer(archive, i, sizes, model.visible, rbm_cls) for i in range(n_layers)]
    if all(present):
        model.mean_activation_ = [_mean_activation(archive, i, sizes) for i in range(n_layers)]
    model.layer_sizes_ = tuple(sizes)
    model.n_features_in_ = n_features
    if names is not None:
        model.feature_names_in_ = names
    model.history_ = [rbm.history_ for rbm in model.rbms_]
    return model


def _model_from_params(archive: ModelArchive, cls: type, params: dict[str, Any]) -> Any:
    valid = cls().get_params()
    for name in params:
        if name not in valid:
            raise archive.error(f"params.{name}", f"not a parameter of {cls.__name__}")
    params = dict(params)
    if isinstance(params.get("layer_sizes"), list):
        params["layer_sizes"] = tuple(params["layer_sizes"])
    return archive.estimator(cls, params)


def _layer_sizes(archive: ModelArchive, meta: dict[str, Any], model: Any) -> list[int]:
    sizes = archive.list_field(meta, "layer_sizes_")
    valid = len(sizes) >= 2 and all(type(n) is int and 1 <= n <= INT64_MAX for n in sizes)
    if not valid:
        problem = f"must list at least 2 positive ints, got {sizes!r:.80}"
        raise archive.error("layer_sizes_", problem)
    declared = list(model.layer_sizes)
    agrees = len(declared) == len(sizes) and all(
        want is None or want == n for want, n in zip(declared, sizes, strict=True)
    )
    if not agrees:
        raise archive.error(
            "layer_sizes_", f"{sizes} disagrees with the parameter layer_sizes {declared}"
        )
    return sizes


def _feature_names(
    archive: ModelArchive, meta: dict[str, Any], n_features: int
) -> np.ndarray | None:
    if "feature_names_in_" not in meta:
        return None
    names = archive.list_field(meta, "feature_names_in_")
    if len(names) != n_features or not all(isinstance(n, str) for n in names):
        raise archive.error("feature_names_in_", f"must list n_features_in_ = {n_features} strings")
    return np.array(names, dtype=object)


def _layer(archive: ModelArchive, i: int, sizes: list[int], visible: str, rbm_cls: type) -> Any:
    """RBM ``i``, checked to be ``sizes[i]`` -> ``sizes[i + 1]`` before its arrays are read."""
    with archive.nested(f"layer{i}", rbm_cls.__name__) as layer:
        rbm = read_rbm(layer, rbm_cls, expect=(sizes[i], sizes[i + 1]))
    expected = visible if i == 0 else "bernoulli"
    if rbm.visible != expected:
        raise archive.error(f"layer{i}", f"has {rbm.visible} visible units, expected {expected}")
    return rbm


def _mean_activation(archive: ModelArchive, i: int, sizes: list[int]) -> np.ndarray:
    name = f"mean_activation{i}"
    mean = np.array(archive.array(name, shape=(sizes[i + 1],)), dtype=np.float64)
    if not np.all((mean >= 0) & (mean <= 1)):  # also refuses NaN
        raise archive.error(name, "must hold mean probabilities, in [0, 1]")
    return mean
