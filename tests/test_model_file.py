"""Model files are untrusted input (fastinit._model_file, _rbm_file, _dbn_file).

Each case writes a valid file, tampers with one member or metadata field using ``zipfile``, and
expects ``load`` to raise the documented ``ValueError`` naming that field — not ``MemoryError``
(a header declaring ``(2**40, 20)``; deflated zeros declared as ``(5_000_000, 20)`` used to make
``RBM.load`` allocate ~750 MB from a 0.39 MB file), not ``AttributeError`` / ``KeyError`` /
``TypeError`` / ``OverflowError`` (tampered DBN metadata), and never a model that fails later
(``n_layers: 0``, layers that do not chain, ``Infinity`` in an integer field, ``n_iter_ =
2**70``, a malformed ``history_``, a wrong-shape ``base_rate_``).
"""

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from fastinit import DBN, RBM, BernoulliRBM
from fastinit._model_file import MIN_BUDGET

# ----------------------------------------------------------------------------- file surgery


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename[: -len(".npy")]: archive.read(info) for info in archive.infolist()}


def write_members(path, members, deflated=()):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            kind = zipfile.ZIP_DEFLATED if name in deflated else zipfile.ZIP_STORED
            archive.writestr(name + ".npy", data, compress_type=kind)
    return path


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape, descr="<f8", fortran=False):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": fortran, "shape": shape}
    )
    return buffer.getvalue()


def meta_text(members):
    return str(np.load(io.BytesIO(members["meta"])))


def with_meta(members, **changes):
    meta = json.loads(meta_text(members))
    for key, value in changes.items():
        if value is DELETE:
            del meta[key]
        else:
            meta[key] = value
    return {**members, "meta": npy(np.array(json.dumps(meta)))}


def with_params(members, **changes):
    params = json.loads(meta_text(members))["params"]
    return with_meta(members, params={**params, **changes})


def with_meta_text(members, old, new):
    text = meta_text(members)
    assert old in text, (old, text[:300])
    return {**members, "meta": npy(np.array(text.replace(old, new, 1)))}


DELETE = object()


def deflated_zeros_member(archive, name, shape, dtype="<f4"):
    """Write member ``name``: a header declaring ``shape`` and that many zeros, deflated,
    without holding them in memory."""
    with archive.open(name + ".npy", "w", force_zip64=True) as member:
        member.write(npy_header(shape, dtype))
        chunk = bytes(2**20)
        left = int(np.prod(shape)) * np.dtype(dtype).itemsize
        while left:
            member.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))


# ----------------------------------------------------------------------------- models


@pytest.fixture(scope="module")
def digits():
    return (load_digits().data[:300] / 16.0 > 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def rbm_members(digits, tmp_path_factory):
    rbm = RBM(64, 24, n_iter=2, batch_size=50, persistent=True, sparsity_target=0.1,
              random_state=0, n_jobs=1).fit(digits)  # fmt: skip
    path = tmp_path_factory.mktemp("rbm") / "good.npz"
    rbm.save(path)
    return members_of(path)


@pytest.fixture(scope="module")
def dbn_members(digits, tmp_path_factory):
    dbn = DBN((None, 32, 16), rbm_params={"n_iter": 1, "batch_size": 50}, random_state=0,
              n_jobs=1).fit(digits)  # fmt: skip
    path = tmp_path_factory.mktemp("dbn") / "good.npz"
    dbn.save(path)
    return members_of(path)


def layer_members(dbn_members, i):
    path = io.BytesIO(np.load(io.BytesIO(dbn_members[f"layer{i}"])).tobytes())
    return members_of(path)


def as_layer(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data)
    return npy(np.frombuffer(buffer.getvalue(), dtype=np.uint8))


# ----------------------------------------------------------------------------- RBM.load

W_SHAPE = (24, 64)

RBM_CASES = {
    # Array headers, checked before any data are read.
    "header (2**40, 20)": (lambda m: {**m, "components_": npy_header((2**40, 20)) + bytes(64)},
                           "components_: its header declares shape"),
    "header (2**40, 64) matching the width": (
        lambda m: {**m, "components_": npy_header((2**40, 64)) + bytes(64)},
        "components_: the array's size disagrees"),
    "header of a negative shape": (lambda m: {**m, "_velocity_c": npy_header((-3,))},
                                   "_velocity_c: its header declares shape"),
    "object dtype (a pickle)": (lambda m: {**m, "intercept_hidden_": npy_header((24,), "|O")},
                                r"intercept_hidden_: dtype object is not allowed"),
    "integer weights": (lambda m: {**m, "components_": npy(np.zeros(W_SHAPE, np.int32))},
                        "components_: dtype int32 is not allowed"),
    "truncated data": (lambda m: {**m, "components_": m["components_"][:-8]},
                       "components_: the array's size disagrees"),
    "trailing data": (lambda m: {**m, "_hidden_mean": m["_hidden_mean"] + bytes(8)},
                      "_hidden_mean: the array's size disagrees"),
    "not an npy header": (lambda m: {**m, "_velocity_a": b"hello world" * 10},
                          "_velocity_a: unreadable .npy header"),
    "weights beyond float32": (
        lambda m: {**m, "components_": npy(np.full(W_SHAPE, 1e39))},
        "components_: holds values that are not finite in float32"),
    "wrong-shape base_rate_": (lambda m: {**m, "base_rate_": npy(np.zeros(3, np.float32))},
                               r"base_rate_: its header declares shape \(3,\), expected \(64,\)"),
    "base_rate_ outside [0, 1]": (lambda m: {**m, "base_rate_": npy(np.full(64, 2.0))},
                                  r"base_rate_: must lie in \[0, 1\]"),
    "chains of another width": (
        lambda m: {**m, "persistent_hidden_": npy(np.zeros((50, 3), np.float32))},
        r"persistent_hidden_: its header declares shape \(50, 3\), expected \(n, 24\)"),
    "no chains for persistent=True": (
        lambda m: {k: v for k, v in m.items() if k != "persistent_hidden_"},
        "persistent_hidden_: missing"),
    "unexpected member": (lambda m: {**m, "extra": npy(np.zeros(2))}, "extra: unexpected member"),
    "meta as a float array": (lambda m: {**m, "meta": npy(np.zeros(3))},
                              "meta: dtype float64 is not allowed"),
    # Metadata.
    "n_iter_ = 2**70": (lambda m: with_meta(m, n_iter_=2**70), r"n_iter_: must be an int in"),
    "n_iter_ = Infinity": (lambda m: with_meta_text(m, '"n_iter_": 2', '"n_iter_": Infinity'),
                           "n_iter_: must be an int"),
    "n_iter_ beyond step": (lambda m: with_meta(m, n_iter_=10**6), "n_iter_: must be an int in"),
    "step = Infinity": (lambda m: with_meta_text(m, '"step": 12', '"step": Infinity'),
                        "step: must be an int"),
    "step = true": (lambda m: with_meta(m, step=True), "step: must be an int"),
    "step = 2**40": (lambda m: with_meta(m, step=2**40), "step: must be an int in"),
    "gibbs_calls = -1": (lambda m: with_meta(m, gibbs_calls=-1), "gibbs_calls: must be an int"),
    "gibbs_calls = 1.5": (lambda m: with_meta(m, gibbs_calls=1.5), "gibbs_calls: must be an int"),
    "key = 2**64": (lambda m: with_meta(m, key=str(2**64)), "key: must be the decimal string"),
    "key as a number": (lambda m: with_meta(m, key=5), "key: must be the decimal string"),
    "n_features_in_ edited": (lambda m: with_meta(m, n_features_in_=3),
                              r"components_: its header declares shape \(24, 64\), expected "
                              r"\(n, 3\)"),
    "n_features_in_ as text": (lambda m: with_meta(m, n_features_in_="64"),
                               "n_features_in_: must be an int"),
    "history_ a list": (lambda m: with_meta(m, history_=[]), "history_: must be a JSON object"),
    "history_ without epoch": (
        lambda m: with_meta(m, history_={"reconstruction_error": [1.0, 1.0],
                                         "free_energy": [1.0, 1.0], "seconds": [1.0, 1.0]}),
        "history_.epoch: missing"),
    "history_ of the wrong length": (
        lambda m: with_meta_text(m, '"seconds": [', '"seconds": [0.5, '),
        r"history_.seconds: must be a list of n_iter_ = 2 numbers"),
    "history_ holding text": (
        lambda m: with_meta_text(m, '"free_energy": [', '"free_energy": ["x", '),
                              "history_.free_energy: must be a list"),
    "history_ with an unknown metric": (
        lambda m: with_meta_text(m, '"history_": {', '"history_": {"colour": [1, 2], '),
        "history_.colour: unexpected entry"),
    "history_ epochs out of order": (
        lambda m: with_meta_text(m, '"epoch": [1, 2]', '"epoch": [2, 1]'),
                                     "history_.epoch: must count the epochs"),
    "unexpected metadata": (lambda m: with_meta(m, surprise=1), "surprise: unexpected entry"),
    "missing gibbs_calls": (lambda m: with_meta(m, gibbs_calls=DELETE), "gibbs_calls: missing"),
    "metadata a list": (lambda m: {**m, "meta": npy(np.array("[1, 2]"))},
                        "meta: not a JSON object"),
    "metadata nested too deep": (lambda m: {**m, "meta": npy(np.array("[" * 100_000))},
                                 "meta: unreadable JSON"),
    "format_version = true": (lambda m: with_meta(m, format_version=True), "holds format True"),
    # Parameters, checked as fit checks them.
    "n_jobs = 2**31": (lambda m: with_meta_text(m, '"n_jobs": 1', f'"n_jobs": {2**31}'),
                       r"params: RBM\.load: n_jobs must be None or a nonzero int"),
    "n_jobs = 1.5": (lambda m: with_meta_text(m, '"n_jobs": 1', '"n_jobs": 1.5'),
                     "params: RBM.load: n_jobs must be None or an int"),
    "learning_rate = NaN": (lambda m: with_meta_text(m, '"learning_rate": "auto"',
                                                     '"learning_rate": NaN'),
                            "params: RBM.load: learning_rate must be a finite number"),
    "batch_size = 1e400": (lambda m: with_meta_text(m, '"batch_size": 50', '"batch_size": 1e400'),
                           "params: RBM.load: batch_size must be an int"),
    "k = 2**64": (lambda m: with_meta_text(m, '"k": 1', f'"k": {2**64}'),
                  r"params: RBM\.load: k must be an int in \[1, 30000\]"),
    "k a list": (lambda m: with_meta_text(m, '"k": 1', '"k": [1]'),
                 "params.k: must be a number, string or null"),
    "params a list": (lambda m: with_meta(m, params=[]), "params: must be a JSON object"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(RBM_CASES))
def test_rbm_load_refuses_a_tampered_file_naming_the_field(rbm_members, tmp_path, case):
    tamper, match = RBM_CASES[case]
    path = write_members(tmp_path / "tampered.npz", tamper(rbm_members))
    with pytest.raises(ValueError, match=match) as info:
        RBM.load(path)
    assert str(info.value).startswith(f"{str(path)!r} ")


def test_the_untampered_members_load(rbm_members, tmp_path):
    """The surgery itself keeps a valid file valid (stored or deflated, any member order)."""
    members = dict(reversed(list(rbm_members.items())))
    RBM.load(write_members(tmp_path / "stored.npz", members))
    RBM.load(write_members(tmp_path / "deflated.npz", members, deflated=set(members)))
    fortran = {**members, "components_": npy(np.asfortranarray(
        np.load(io.BytesIO(members["components_"]))))}  # fmt: skip
    loaded = RBM.load(write_members(tmp_path / "fortran.npz", fortran))
    np.testing.assert_array_equal(loaded.components_, np.load(io.BytesIO(members["components_"])))
    assert loaded.components_.flags.c_contiguous and loaded.components_.flags.writeable


def _peak_bytes_of(call):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            call()
        return tracemalloc.get_traced_memory()[1], info.value
    finally:
        tracemalloc.stop()


def test_deflated_zeros_declared_as_a_huge_weight_matrix(rbm_members, tmp_path):
    """The reported bomb: the weights replaced by (5,000,000, 20) deflated zeros."""
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in rbm_members.items():
            if name != "components_":
                archive.writestr(name + ".npy", data)
        deflated_zeros_member(archive, "components_", (5_000_000, 20), "<f8")
    assert path.stat().st_size < 2 * 2**20  # about 0.8 MB
    peak, error = _peak_bytes_of(lambda: RBM.load(path))
    assert "components_" in str(error)
    assert peak < 16 * 2**20, peak


def test_a_consistent_bomb_is_refused_by_the_budget(rbm_members, tmp_path):
    """Metadata that agree with the huge arrays: only the data budget stops it."""
    n_hidden, n_visible = 5_000_000, 20
    members = with_meta_text(rbm_members, '"n_hidden": 24', f'"n_hidden": {n_hidden}')
    members = with_meta(members, n_features_in_=n_visible)
    members = with_meta_text(members, '"n_visible": 64', '"n_visible": 20')
    shapes = {"components_": (n_hidden, n_visible), "_velocity_W": (n_hidden, n_visible),
              "intercept_visible_": (n_visible,), "intercept_hidden_": (n_hidden,),
              "_velocity_a": (n_visible,), "_velocity_c": (n_hidden,), "_hidden_mean": (n_hidden,),
              "persistent_hidden_": (1, n_hidden), "base_rate_": (n_visible,)}  # fmt: skip
    path = tmp_path / "consistent-bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.npy", members["meta"])
        for name, shape in shapes.items():
            deflated_zeros_member(archive, name, shape)
    assert path.stat().st_size < 2 * 2**20
    peak, error = _peak_bytes_of(lambda: RBM.load(path))
    assert "components_: its header declares 400000000 bytes of data, more than" in str(error)
    assert peak < MIN_BUDGET + 2**20, peak


def test_numpy_scalar_parameters_survive_a_round_trip(digits, tmp_path):
    rbm = RBM(np.int64(64), np.int64(8), n_iter=np.int32(1), learning_rate=np.float32(0.05),
              random_state=0, n_jobs=1).fit(digits)  # fmt: skip
    rbm.save(tmp_path / "m.npz")
    loaded = RBM.load(tmp_path / "m.npz")
    assert loaded.get_params() == rbm.get_params()


def test_bernoulli_rbm_load_checks_its_own_parameters(digits, tmp_path):
    model = BernoulliRBM(n_components=6, n_iter=1, random_state=0).fit(digits)
    model.save(tmp_path / "b.npz")
    loaded = BernoulliRBM.load(tmp_path / "b.npz")
    np.testing.assert_array_equal(loaded.h_samples_, model.h_samples_)
    members = with_meta_text(members_of(tmp_path / "b.npz"), '"n_components": 6',
                             f'"n_components": {2**64}')  # fmt: skip
    with pytest.raises(ValueError, match=r"params: BernoulliRBM\.load: n_components must be an "
                                         r"int in \[1, 2\*\*63 - 1\]"):  # fmt: skip
        BernoulliRBM.load(write_members(tmp_path / "tampered.npz", members))


# ----------------------------------------------------------------------------- DBN.load


def _swap_layer(members, i, layer):
    return {**members, f"layer{i}": layer}


def _layer_edit(i, tamper):
    return lambda m: _swap_layer(m, i, as_layer(tamper(layer_members(m, i))))


def _foreign_layer(n_visible, n_hidden):
    def make(members):
        X = (np.random.default_rng(0).random((60, n_visible)) < 0.5).astype(np.float32)
        rbm = RBM(n_visible, n_hidden, n_iter=1, random_state=0, n_jobs=1).fit(X)
        buffer = io.BytesIO()
        rbm.save(buffer)
        return _swap_layer(members, 1, npy(np.frombuffer(buffer.getvalue(), dtype=np.uint8)))

    return make


DBN_CASES = {
    "n_layers 0": (lambda m: with_meta(m, n_layers=0), r"n_layers: must be an int in \[2, 2\]"),
    "n_layers as text": (lambda m: with_meta(m, n_layers="2"), "n_layers: must be an int"),
    "n_layers missing": (lambda m: with_meta(m, n_layers=DELETE), "n_layers: missing"),
    "layer_sizes_ edited": (lambda m: with_meta(m, layer_sizes_=[64, 32, 17]),
                            "layer_sizes_: .* disagrees with the parameter layer_sizes"),
    "layer_sizes_ and layer_sizes edited": (
        lambda m: with_meta_text(with_meta(m, layer_sizes_=[64, 32, 17]),
                                 '"layer_sizes": [null, 32, 16]', '"layer_sizes": [null, 32, 17]'),
        r"layer1: components_: its header declares shape \(16, 32\), expected \(17, 32\)"),
    "layer_sizes_ with Infinity": (
        lambda m: with_meta_text(m, "[64, 32, 16]", "[64, 32, Infinity]"),
        "layer_sizes_: must list at least 2 positive ints"),
    "layer_sizes_ a number": (lambda m: with_meta(m, layer_sizes_=3),
                              "layer_sizes_: must be a JSON list"),
    "n_features_in_ edited": (lambda m: with_meta(m, n_features_in_=63),
                              r"n_features_in_: must be an int in \[64, 64\]"),
    "n_features_in_ = 2**70": (lambda m: with_meta(m, n_features_in_=2**70), "n_features_in_"),
    "layers that do not chain": (_foreign_layer(20, 16),
                                 "layer1: n_features_in_: is 20, expected 32"),
    "a layer of the wrong width": (_foreign_layer(32, 9),
                                   r"layer1: components_: its header declares shape \(9, 32\)"),
    "a missing layer": (lambda m: {k: v for k, v in m.items() if k != "layer1"},
                        "layer1: the member is missing"),
    "an extra layer": (lambda m: {**m, "layer2": m["layer1"]}, "layer2: unexpected member"),
    "a layer that is not a zip": (lambda m: _swap_layer(m, 0, npy(np.frombuffer(b"hi" * 9, "u1"))),
                                  "layer0: not an .npz archive"),
    "a layer of floats": (lambda m: _swap_layer(m, 0, npy(np.zeros(10))),
                          "layer0: dtype float64 is not allowed"),
    "a DBN as a layer": (lambda m: _swap_layer(m, 0, as_layer(m)),
                         "layer0: holds format 1 of 'DBN'; this fastinit reads format 1 of RBM"),
    "a tampered layer": (_layer_edit(0, lambda lm: with_meta(lm, n_iter_=2**70)),
                         "layer0: n_iter_: must be an int in"),
    "a layer's n_jobs": (
        _layer_edit(1, lambda lm: with_meta_text(lm, '"n_jobs": 1', '"n_jobs": 1e9')),
                         r"layer1: params: RBM\.load: n_jobs must be None or an int"),
    "a gaussian layer above the first": (
        _layer_edit(1, lambda lm: with_meta_text(lm, '"bernoulli"', '"gaussian"')),
        "layer1: has gaussian visible units, expected bernoulli"),
    "a layer's (2**40, 20) header": (
        _layer_edit(0, lambda lm: {**lm, "_velocity_W": npy_header((2**40, 20)) + bytes(8)}),
        "layer0: _velocity_W: its header declares shape"),
    "mean activation of the wrong shape": (lambda m: {**m, "mean_activation0": npy(np.zeros(5))},
                                           r"mean_activation0: its header declares shape \(5,\)"),
    "mean activation NaN": (lambda m: {**m, "mean_activation1": npy(np.full(16, np.nan))},
                            r"mean_activation1: must hold mean probabilities"),
    "one mean activation of two": (
        lambda m: {k: v for k, v in m.items() if k != "mean_activation1"},
                                   "mean_activation1: missing"),
    "mean activation (2**40, 20)": (
        lambda m: {**m, "mean_activation0": npy_header((2**40, 20))},
        "mean_activation0: its header"),
    "feature names of the wrong length": (lambda m: with_meta(m, feature_names_in_=["a"]),
                                          "feature_names_in_: must list n_features_in_ = 64"),
    "params missing": (lambda m: with_meta(m, params=DELETE), "params: missing"),
    "params a list": (lambda m: with_meta(m, params=[1]), "params: must be a JSON object"),
    "unknown parameter": (lambda m: with_meta_text(m, '"params": {', '"params": {"colour": 1, '),
                          "params.colour: not a parameter of DBN"),
    "layer_sizes a string": (lambda m: with_params(m, layer_sizes="abc"),
                             r"params: layer_sizes must be a sequence"),
    "rbm_params a list": (lambda m: with_params(m, rbm_params=[["n_iter", 1]]),
                          "params: rbm_params must be a dict of RBM parameters"),
    "feature names that are not text": (lambda m: with_meta(m, feature_names_in_=[1] * 64),
                                        "feature_names_in_: must list n_features_in_ = 64 str"),
    "n_jobs = 2**31": (lambda m: with_meta_text(m, '"n_jobs": 1', f'"n_jobs": {2**31}'),
                       r"params: DBN\.load: n_jobs must be None or a nonzero int"),
    "metadata a string": (lambda m: {**m, "meta": npy(np.array('"text"'))},
                          "meta: not a JSON object"),
    "class RBM": (lambda m: with_meta(m, **{"class": "RBM"}), "holds format 1 of 'RBM'"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DBN_CASES))
def test_dbn_load_refuses_a_tampered_file_naming_the_field(dbn_members, tmp_path, case):
    tamper, match = DBN_CASES[case]
    path = write_members(tmp_path / "tampered.npz", tamper(dbn_members))
    with pytest.raises(ValueError, match=match) as info:
        DBN.load(path)
    assert str(info.value).startswith(f"{str(path)!r} ")


def test_a_bomb_inside_a_dbn_layer(dbn_members, tmp_path):
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in layer_members(dbn_members, 0).items():
            if name != "components_":
                archive.writestr(name + ".npy", data)
        deflated_zeros_member(archive, "components_", (5_000_000, 20), "<f8")
    members = _swap_layer(dbn_members, 0, npy(np.frombuffer(layer.getvalue(), np.uint8)))
    path = write_members(tmp_path / "bomb.npz", members)
    peak, error = _peak_bytes_of(lambda: DBN.load(path))
    assert "layer0: components_" in str(error)
    assert peak < 16 * 2**20, peak


def test_dbn_feature_names_round_trip_and_are_checked(digits, tmp_path):
    X = pd.DataFrame(digits, columns=[f"p{i}" for i in range(64)])
    dbn = DBN((64, 8), rbm_params={"n_iter": 1}, random_state=0, n_jobs=1).fit(X)
    dbn.save(tmp_path / "d.npz")
    loaded = DBN.load(tmp_path / "d.npz")
    assert list(loaded.feature_names_in_) == list(X.columns)
    np.testing.assert_array_equal(loaded.transform(X), dbn.transform(X))
    members = with_meta_text(members_of(tmp_path / "d.npz"), '"p3"', "3")
    with pytest.raises(ValueError, match="feature_names_in_: must list n_features_in_ = 64 str"):
        DBN.load(write_members(tmp_path / "tampered.npz", members))
