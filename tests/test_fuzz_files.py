"""Property-based fuzzing of RBM.load and DBN.load with mutated files (Hypothesis).

A saved model's file is mutated: bytes flipped, cut short, a metadata field set to a hostile
JSON value (NaN, Infinity, 2**70, a string, a list, null) or removed, a state array replaced by
one of another shape, dtype or with NaN. Loading must give either a model that works (transform
of clean data: the right shape, finite) or the documented ValueError; never another exception,
a huge allocation, a crash or a hang.

Files are untrusted input: the targeted properties below reproduce defects 5 and 6 of issue 14
(allocation before validation, loose metadata checks).
"""

from __future__ import annotations

import functools
import io
import json
import math
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import fastinit
from fastinit.exceptions import DataRangeWarning, DeadUnitsWarning

pytestmark = pytest.mark.usefixtures("watchdog")

FEW = settings(max_examples=max(10, settings.default.max_examples // 2))
# For the defect properties: shrinking a counterexample costs hundreds of fits.
NO_SHRINK = settings(FEW, phases=[Phase.explicit, Phase.reuse, Phase.generate])
X = (np.random.default_rng(0).random((40, 6)) < 0.4).astype(np.float32)


@functools.cache
def saved(kind: str) -> bytes:
    """The file of a small fitted model (PCD, so every state array is present)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeadUnitsWarning)
        if kind == "RBM":
            model: Any = fastinit.RBM(6, 4, persistent=True, n_iter=2, random_state=0, n_jobs=1)
        else:
            model = fastinit.DBN((None, 4, 3), rbm_params={"n_iter": 1}, random_state=0, n_jobs=1)
        model.fit(X)
    buffer = io.BytesIO()
    model.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- mutations

HOSTILE_JSON = [None, True, False, -1, 0, 1.5, 2**31, 2**63, 2**70, -(2**63), 1e308, math.inf,
                -math.inf, math.nan, "x", "", [], {}, [1, 2], {"a": 1}]  # fmt: skip


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _npy(value: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, value, allow_pickle=False)
    return buffer.getvalue()


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into the metadata, down to three levels."""
    out = [prefix] if prefix else []
    if len(prefix) < 3 and isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif len(prefix) < 3 and isinstance(node, list):
        for i, value in enumerate(node[:3]):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def edited_meta(draw: st.DrawFn, blob: bytes) -> bytes:
    members = _members(blob)
    meta = json.loads(str(np.load(io.BytesIO(members["meta.npy"]), allow_pickle=False)))
    path = draw(st.sampled_from(_paths(meta)))
    parent = meta
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.integers(0, 4)) == 0 and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(st.sampled_from(HOSTILE_JSON))
    members["meta.npy"] = _npy(np.array(json.dumps(meta)))
    return _zip(members)


@st.composite
def edited_array(draw: st.DrawFn, blob: bytes) -> bytes:
    members = _members(blob)
    name = draw(st.sampled_from(sorted(n for n in members if n != "meta.npy")))
    value = np.load(io.BytesIO(members[name]), allow_pickle=False)
    change = draw(st.sampled_from(["nan", "inf", "shape", "dtype", "empty", "scalar", "huge"]))
    if change in ("nan", "inf") and value.size and value.dtype.kind == "f":
        value = value.copy()
        value.flat[draw(st.integers(0, value.size - 1))] = np.nan if change == "nan" else np.inf
    elif change == "shape":
        value = np.resize(value, (value.size + 1,) if value.ndim != 1 else (value.size, 1))
    elif change == "dtype":
        value = value.astype(draw(st.sampled_from(["i8", "f2", "c8", "u1", "?"])))
    elif change == "empty":
        value = value[:0]
    elif change == "scalar":
        value = np.array(1.0, dtype=value.dtype)
    else:
        value = np.full(value.shape, 1e38, dtype=value.dtype) if value.dtype.kind == "f" else value
    members[name] = _npy(value)
    return _zip(members)


@st.composite
def corrupted_bytes(draw: st.DrawFn, blob: bytes) -> bytes:
    data = bytearray(blob)
    if draw(st.booleans()):
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] ^= draw(st.integers(1, 255))
    return bytes(data)


# ----------------------------------------------------------------------------- property


def load_or_refuse(cls: type, blob: bytes, tmp: Path) -> None:
    path = tmp / "model.npz"
    path.write_bytes(blob)
    try:
        model = cls.load(path)
    except ValueError as exc:
        assert type(exc) is ValueError, repr(exc)
        assert str(path) in str(exc), str(exc)  # the message names the file
        return
    # Loaded: it must work on clean data of the width it declares.
    n_features = model.n_features_in_
    assert isinstance(n_features, int) and 1 <= n_features <= 6, n_features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRangeWarning)
        out = model.transform(X[:5, :n_features] if n_features <= 6 else X[:5])
    assert out.ndim == 2 and out.shape[0] == 5 and np.isfinite(out).all()


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_files")


def test_unmutated_files_load(tmp):
    load_or_refuse(fastinit.RBM, saved("RBM"), tmp)
    load_or_refuse(fastinit.DBN, saved("DBN"), tmp)


@FEW
@given(st.data())
def test_rbm_load_of_corrupted_bytes_gives_a_model_or_a_value_error(tmp, data):
    load_or_refuse(fastinit.RBM, data.draw(corrupted_bytes(saved("RBM"))), tmp)


@FEW
@given(st.data())
def test_rbm_load_of_edited_arrays_gives_a_model_or_a_value_error(tmp, data):
    load_or_refuse(fastinit.RBM, data.draw(edited_array(saved("RBM"))), tmp)


@NO_SHRINK
@given(st.data())
def test_rbm_load_of_edited_metadata_gives_a_model_or_a_value_error(tmp, data):
    load_or_refuse(fastinit.RBM, data.draw(edited_meta(saved("RBM"))), tmp)


@st.composite
def mutated_dbn(draw: st.DrawFn) -> bytes:
    """The DBN file, its own metadata or arrays mutated, or one of its layers' RBM files."""
    blob = saved("DBN")
    target = draw(st.sampled_from(["bytes", "meta", "array", "layer"]))
    if target == "bytes":
        return draw(corrupted_bytes(blob))
    if target == "meta":
        return draw(edited_meta(blob))
    if target == "array":
        return draw(edited_array(blob))
    members = _members(blob)
    layer = np.load(io.BytesIO(members["layer0.npy"]), allow_pickle=False).tobytes()
    mutation = draw(st.sampled_from([corrupted_bytes, edited_meta, edited_array]))
    members["layer0.npy"] = _npy(np.frombuffer(draw(mutation(layer)), dtype=np.uint8))
    return _zip(members)


@NO_SHRINK
@given(mutated_dbn())
def test_dbn_load_of_mutated_files_gives_a_stack_or_a_value_error(tmp, blob):
    load_or_refuse(fastinit.DBN, blob, tmp)


def _declaring(shape: tuple[int, ...]) -> bytes:
    """An RBM file whose components_ header declares ``shape`` over a few bytes of data."""
    members = _members(saved("RBM"))
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": shape}
    )
    members["components_.npy"] = header.getvalue() + bytes(64)
    return _zip(members)


@pytest.mark.parametrize("shape", [(2**40, 20), (5_000_000, 20), (4, 2**40)])
def test_a_declared_huge_array_is_refused_before_it_is_allocated(tmp, shape):
    path = tmp / "bomb.npz"
    path.write_bytes(_declaring(shape))
    with pytest.raises(ValueError, match="components_"):
        fastinit.RBM.load(path)


def _with_meta(edit: Any) -> bytes:
    members = _members(saved("RBM"))
    meta = json.loads(str(np.load(io.BytesIO(members["meta.npy"]), allow_pickle=False)))
    edit(meta)
    members["meta.npy"] = _npy(np.array(json.dumps(meta)))
    return _zip(members)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(n_iter_=math.inf),  # json: Infinity
        lambda m: m.update(step=math.inf),
        lambda m: m.update(n_iter_=2**70),
        lambda m: m.update(history_=[1, 2]),
        lambda m: m.update(history_={"epoch": 3}),
        lambda m: m["params"].update(n_jobs=2**31),
    ],
)
def test_rbm_load_refuses_the_edits_of_the_issue(tmp, edit):
    path = tmp / "edited.npz"
    path.write_bytes(_with_meta(edit))
    try:
        model = fastinit.RBM.load(path)
    except ValueError as exc:
        assert type(exc) is ValueError and str(path) in str(exc), repr(exc)
        return
    # Loaded: it must go on training and sampling where it stopped.
    model.partial_fit(X)
    assert np.isfinite(model.gibbs(X[:3], n_steps=1)).all()
