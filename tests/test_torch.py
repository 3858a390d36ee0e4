"""fastinit.torch: DBN export, init_module fans and spreads, load_pretrained_, the torch trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.datasets import load_digits  # noqa: E402

from fastinit import DBN, RBM, _experiment  # noqa: E402
from fastinit.torch import init_module, load_pretrained_, to_torch  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # Tiny models: one thread avoids barrier stalls on a shared 2-core machine.
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="module")
def X():
    return (load_digits().data / 16.0).astype(np.float32)


@pytest.fixture(scope="module")
def dbn(X):
    return DBN((64, 32, 16), rbm_params={"n_iter": 3, "batch_size": 50}, random_state=0).fit(X)


def _std_tolerance(n: int, sigmas: float = 5.0) -> float:
    # Relative standard error of a sample std from n normal draws is about 1 / sqrt(2 n).
    return sigmas / math.sqrt(2 * n)


def test_to_torch_equals_transform(dbn, X):
    net = to_torch(dbn)
    assert [type(m).__name__ for m in net] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    with torch.no_grad():
        out = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(out, dbn.transform(X), atol=1e-5)


def test_to_torch_output_layer_and_method(dbn, X):
    net = dbn.to_torch(n_outputs=10, rng=0)
    assert isinstance(net, torch.nn.Sequential)
    assert list(dict(net.named_children())) == ["fc1", "act1", "fc2", "act2", "out"]
    out = net.out
    assert (out.in_features, out.out_features) == (16, 10)
    bound = math.sqrt(6 / (16 + 10))
    assert float(out.weight.detach().abs().max()) <= bound
    assert float(out.weight.detach().std()) > 0.3 * bound
    assert torch.all(out.bias == 0)
    again = to_torch(dbn, n_outputs=10, rng=0)
    assert torch.equal(again.out.weight, out.weight)
    with torch.no_grad():
        hidden = net[:-1](torch.from_numpy(X[:5])).numpy()
    np.testing.assert_allclose(hidden, dbn.transform(X[:5]), atol=1e-5)
    assert net(torch.from_numpy(X[:5])).shape == (5, 10)


def test_to_torch_options(dbn):
    relu = to_torch(dbn, activation="relu")
    assert isinstance(relu[1], torch.nn.ReLU)
    silu = to_torch(dbn, activation=torch.nn.SiLU)
    assert isinstance(silu[1], torch.nn.SiLU)
    double = to_torch(dbn, dtype=torch.float64)
    assert double.fc1.weight.dtype == torch.float64
    single = to_torch(dbn.rbms_[0])
    assert len(single) == 2
    with pytest.raises(ValueError, match="activation"):
        to_torch(dbn, activation="swish")
    with pytest.raises(ValueError, match="n_outputs"):
        to_torch(dbn, n_outputs=0)
    with pytest.raises(TypeError, match="DBN or RBM"):
        to_torch(object())


def test_init_module_linear_he_normal():
    net = torch.nn.Sequential(torch.nn.Linear(1000, 400), torch.nn.ReLU(), torch.nn.Linear(400, 10))
    summary = init_module(net, "he_normal", bias=0.1, rng=0)
    assert [s["name"] for s in summary] == ["0", "2"]
    first = summary[0]
    assert (first["type"], first["shape"], first["fan_in"], first["fan_out"]) == (
        "Linear", (400, 1000), 1000, 400,
    )  # fmt: skip
    expected = math.sqrt(2 / 1000)
    assert first["std"] == pytest.approx(expected)
    assert first["bound"] is None and first["bias"] == 0.1
    measured = float(net[0].weight.detach().std())
    assert abs(measured / expected - 1) < _std_tolerance(net[0].weight.numel())
    assert torch.all(net[0].bias == 0.1) and torch.all(net[2].bias == 0.1)


def test_init_module_conv2d_matches_torch_fans():
    conv = torch.nn.Conv2d(32, 64, 3)
    (entry,) = init_module(conv, "kaiming_normal", rng=1)
    assert entry["name"] == "Conv2d"
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(conv.weight)
    assert (entry["fan_in"], entry["fan_out"]) == (fan_in, fan_out) == (288, 576)
    measured = float(conv.weight.detach().std())
    assert abs(measured / math.sqrt(2 / 288) - 1) < _std_tolerance(conv.weight.numel())


def test_init_module_conv_transpose2d_uses_forward_fans():
    # Weight is (in, out / groups, kh, kw) = (64, 16, 4, 4): each output sums 64 * 16 inputs.
    deconv = torch.nn.ConvTranspose2d(64, 16, 4)
    (entry,) = init_module(deconv, "he_normal", rng=2)
    assert entry["shape"] == (64, 16, 4, 4)
    assert (entry["fan_in"], entry["fan_out"]) == (64 * 16, 16 * 16)
    # torch.nn.init reads the weight like a Conv's and takes 16 * 16 as fan_in.
    assert torch.nn.init._calculate_fan_in_and_fan_out(deconv.weight)[0] == 16 * 16
    expected = math.sqrt(2 / (64 * 16))
    measured = float(deconv.weight.detach().std())
    assert abs(measured / expected - 1) < _std_tolerance(deconv.weight.numel())


def test_init_module_xavier_uniform_bound_and_gain():
    net = torch.nn.Sequential(torch.nn.Linear(300, 200), torch.nn.Tanh())
    (entry,) = init_module(net, "xavier_uniform", nonlinearity="tanh", rng=0)
    bound = 5 / 3 * math.sqrt(6 / 500)
    assert entry["bound"] == pytest.approx(bound)
    assert entry["std"] == pytest.approx(bound / math.sqrt(3))
    weight = net[0].weight
    assert float(weight.detach().abs().max()) <= bound
    assert abs(float(weight.detach().std()) / entry["std"] - 1) < _std_tolerance(weight.numel())


def test_init_module_options():
    net = torch.nn.Sequential(
        torch.nn.Conv1d(4, 8, 3, groups=2),
        torch.nn.Conv3d(8, 2, 2),
        torch.nn.ConvTranspose1d(2, 4, 3),
        torch.nn.Linear(5, 5, bias=False),
    )
    before = net[0].bias.detach().clone()
    summary = init_module(net, "orthogonal", bias=None, rng=0)
    assert [s["type"] for s in summary] == ["Conv1d", "Conv3d", "ConvTranspose1d", "Linear"]
    assert torch.equal(net[0].bias, before)
    assert summary[3]["bias"] is None
    assert summary[0]["std"] > 0  # measured for orthogonal
    first = [p.detach().clone() for p in net.parameters()]
    init_module(net, "orthogonal", bias=None, rng=0)
    assert all(torch.equal(a, b) for a, b in zip(first, net.parameters(), strict=True))
    init_module(net, "normal", std=0.01, rng=0)
    assert abs(float(net[3].weight.detach().std()) - 0.01) < 0.01
    with pytest.raises(ValueError, match="Unknown initializer"):
        init_module(net, "glorot")
    with pytest.raises(ValueError, match="no gain"):
        init_module(net, "lecun_normal", nonlinearity="relu")


def test_init_module_keeps_dtype_and_grad():
    layer = torch.nn.Linear(20, 10).double()
    init_module(layer, "lecun_normal", rng=0)
    assert layer.weight.dtype == torch.float64 and layer.weight.requires_grad


def test_load_pretrained_copies_and_checks_shapes(dbn, X):
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.Sigmoid(), torch.nn.Linear(32, 16), torch.nn.Sigmoid(),
        torch.nn.Linear(16, 3),
    )  # fmt: skip
    head = net[4].weight.detach().clone()
    assert load_pretrained_(net, dbn) is net
    with torch.no_grad():
        out = net[:4](torch.from_numpy(X[:20])).numpy()
    np.testing.assert_allclose(out, dbn.transform(X[:20]), atol=1e-5)
    assert torch.equal(net[4].weight, head)

    wrong = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Linear(32, 15))
    untouched = wrong[0].weight.detach().clone()
    with pytest.raises(ValueError, match=r"'1'.*\(15, 32\).*DBN layer 2.*\(16, 32\)"):
        load_pretrained_(wrong, dbn)
    assert torch.equal(wrong[0].weight, untouched)  # nothing copied on error
    with pytest.raises(ValueError, match="1 Linear layer"):
        load_pretrained_(torch.nn.Sequential(torch.nn.Linear(64, 32)), dbn)
    with pytest.raises(ValueError, match="no bias"):
        load_pretrained_(torch.nn.Linear(64, 32, bias=False), dbn.rbms_[0])
    with pytest.raises(ValueError):
        load_pretrained_(net, DBN((64, 8)))


def test_rbm_export(X):
    rbm = RBM(64, 8, n_iter=1, random_state=0).fit(X)
    net = to_torch(rbm)
    with torch.no_grad():
        out = net(torch.from_numpy(X[:4])).numpy()
    np.testing.assert_allclose(out, rbm.transform(X[:4]), atol=1e-5)


def test_torch_and_numpy_trainers_agree(X):
    y = load_digits().target[:300]
    data = (X[:300], y, X[300:400], load_digits().target[300:400])
    sizes = (64, 32, 10)
    for activation, start in (("sigmoid", "Xavier uniform"), ("relu", "He normal + ReLU")):
        params = _experiment.initial_parameters(sizes, start, seed=0)
        kwargs = dict(epochs=2, batch_size=32, learning_rate=0.1, momentum=0.9, seed=0)
        a = _experiment.train_numpy(params, activation, data, **kwargs)
        b = _experiment.train_torch(params, activation, data, **kwargs)
        np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-3)
        for optimizer in ("adam",):
            c = _experiment.train_numpy(params, activation, data, optimizer=optimizer, **kwargs)
            d = _experiment.train_torch(params, activation, data, optimizer=optimizer, **kwargs)
            np.testing.assert_allclose(c.train_loss, d.train_loss, rtol=1e-3)


def test_fine_tuning_from_dbn_beats_zeros_with_torch():
    cfg = _experiment.preset("digits", full=False)
    X_train, y, X_test, y_test = _experiment.load_dataset("digits")
    dbn = _experiment.pretrain(cfg, X_train, seed=0)
    sizes = (64, *cfg.hidden, 10)
    first = {}
    for start in ("zeros", "DBN pretrained"):
        params = _experiment.initial_parameters(sizes, start, seed=0, dbn=dbn)
        result = _experiment.train_torch(
            params, "sigmoid", (X_train, y, X_test, y_test), epochs=1, batch_size=32,
            learning_rate=0.1, momentum=0.9, seed=0,
        )  # fmt: skip
        first[start] = result.train_loss[0]
    assert first["DBN pretrained"] < first["zeros"] - 0.3
