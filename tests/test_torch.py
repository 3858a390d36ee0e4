"""fastinit.torch: DBN export, init_module fans and spreads, load_pretrained_, the torch trainer."""

from __future__ import annotations

import copy
import itertools
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


# ------------------------------------------------------ init_module: fans by propagation
#
# Truth comes from torch itself: with unit weights and unit input, each output of a layer
# counts the input terms it sums (fan_in), and with a unit output gradient each input's
# gradient counts the outputs it feeds (fan_out). A linear He init must then give unit
# variance forward (mode="fan_in") and backward (mode="fan_out"), on average over the interior.

_STRIDE_KERNEL = ((1, 3), (2, 4), (2, 3), (3, 3), (3, 5))  # s divides k, and not
_CHANNELS = {1: (64, 32), 2: (32, 16), 3: (16, 8)}  # (in, out): unequal, so a swap shows
_POSITIONS = {1: 48, 2: 10, 3: 6}  # interior positions per dimension, at least
_DRAWS = 4  # independent draws of weights and data averaged per measurement


def _conv(dim: int, transposed: bool, k: int, s: int, d: int, g: int):
    c_in, c_out = _CHANNELS[dim]
    if transposed:  # output_padding must stay below max(stride, dilation)
        layer = getattr(torch.nn, f"ConvTranspose{dim}d")
        return layer(c_in, c_out, k, s, padding=1, output_padding=s - 1, dilation=d, groups=g)
    return getattr(torch.nn, f"Conv{dim}d")(c_in, c_out, k, s, padding=1, dilation=d, groups=g)


def _input_shape(layer, dim: int) -> tuple[int, ...]:
    k, s, d = layer.kernel_size[0], layer.stride[0], layer.dilation[0]
    n = _POSITIONS[dim]
    # Long enough for n interior positions on both the forward and the backward side.
    length = n + d * (k - 1) + 1 if layer.transposed else s * n + 2 * d * (k - 1)
    # About 2¹⁵ input values: tolerances below 0.15 (see _variance_tolerance), quick to run.
    batch = max(1, 2**15 // (layer.in_channels * length**dim))
    return (batch, layer.in_channels, *(length,) * dim)


def _layer_cases():
    yield pytest.param(torch.nn.Linear(512, 256), (128, 512), id="Linear")
    # Issue 13's layers: output variance 0.25 and 0.33 with the fans of the weight's shape.
    issue = torch.nn.ConvTranspose2d(32, 8, 4, stride=2, padding=1)
    yield pytest.param(issue, (8, 32, 24, 24), id="issue-ConvTranspose2d(32,8,4,s2,p1)")
    issue = torch.nn.ConvTranspose1d(64, 32, 3, stride=3)
    yield pytest.param(issue, (32, 64, 64), id="issue-ConvTranspose1d(64,32,3,s3)")
    for dim, transposed, (s, k), (d, g) in itertools.product(
        (1, 2, 3), (False, True), _STRIDE_KERNEL, ((1, 1), (2, 1), (1, 2), (2, 2))
    ):
        if dim == 3 and d != g:  # 3-D layers are slow: the 1-D and 2-D ones cross d and g
            continue
        layer = _conv(dim, transposed, k, s, d, g)
        kind = "ConvTranspose" if transposed else "Conv"
        yield pytest.param(layer, _input_shape(layer, dim), id=f"{kind}{dim}d-k{k}s{s}d{d}g{g}")


_LAYERS = list(_layer_cases())


def _interior(layer, source: tuple[int, ...], scatter: bool) -> tuple[slice, ...]:
    """Positions that every tap can reach; when scattering, a whole number of strides."""
    slices = []
    for length, k, s, d, p in zip(
        source, layer.kernel_size, layer.stride, layer.dilation, layer.padding, strict=True
    ):
        if scatter:  # position m receives source n through tap j when m = s n + d j - p
            low, high = d * (k - 1) - p, s * (length - 1) - p
            high = low + (high - low + 1) // s * s - 1
        else:  # position n reads the sources s n + d j - p, j < k
            low, high = -(-p // s), (length - 1 + p - d * (k - 1)) // s
        slices.append(slice(low, high + 1))
    return tuple(slices)


def _propagate(layer, x, backward: bool, out_grad=torch.ones) -> torch.Tensor:
    """Interior of the output (forward) or of the input's gradient (backward)."""
    x = x.detach().requires_grad_(backward)
    y = layer(x)
    if not backward:
        values, source = y.detach(), tuple(x.shape[2:])
    else:
        y.backward(out_grad(y.shape, dtype=y.dtype))
        values, source = x.grad, tuple(y.shape[2:])
    if not hasattr(layer, "stride"):  # Linear: no positions
        return values
    scatter = layer.transposed != backward  # a Conv's backward pass is a ConvTranspose
    return values[(slice(None), slice(None), *_interior(layer, source, scatter))]


def _tap_counts(layer, x_shape) -> dict[str, torch.Tensor]:
    """Terms summed at each interior position, forward ("fan_in") and backward ("fan_out")."""
    ones = copy.deepcopy(layer).double()
    with torch.no_grad():
        ones.weight.fill_(1.0)
        if ones.bias is not None:
            ones.bias.zero_()
    x = torch.ones(x_shape, dtype=torch.float64)
    return {"fan_in": _propagate(ones, x, False), "fan_out": _propagate(ones, x, True)}


def _mean(t: torch.Tensor) -> float:
    return float(t.double().mean())


def _variance_tolerance(counts: torch.Tensor, other: torch.Tensor, n_weights: int, n: int):
    """5 standard deviations of the mean square of ``n`` values whose expectation is 1.

    ``counts`` are the terms summed at the measured positions, ``other`` those of the opposite
    pass at the sources. By the law of total variance over ``_DRAWS`` independent draws:
    the weights give the relative variance of the mean over positions of sum(w²) over each
    position's taps, in which every one of ``n_weights`` squared normals has the same weight:
    2 / n_weights. Given the weights, the values are Gaussian and Var(mean y²) = 2 tr(Σ²) / n²:
    the diagonal gives 2 u / n with u = E[c²] / E[c]² over ``counts`` (1 unless positions
    receive unequal numbers of taps); values sharing a source covary, which adds
    2 u' G / (F n) with u' the same ratio over ``other`` and F, G the means of both.
    """

    def spread(t: torch.Tensor) -> float:
        return _mean(t**2) / _mean(t) ** 2

    shared = spread(other) * _mean(other) / _mean(counts)
    variance = 2 / n_weights + 2 * (spread(counts) + shared) / n
    return 5 * math.sqrt(variance / _DRAWS)


@pytest.mark.parametrize(("layer", "x_shape"), _LAYERS)
def test_init_module_fans_count_the_taps(layer, x_shape):
    counts = _tap_counts(layer, x_shape)
    (entry,) = init_module(layer, "he_normal", nonlinearity="linear", rng=0)
    for fan in ("fan_in", "fan_out"):
        assert entry[fan] == pytest.approx(_mean(counts[fan]), rel=1e-12), fan
        assert isinstance(entry[fan], int) == (entry[fan] == int(entry[fan])), fan
    assert entry["std"] == pytest.approx(1 / math.sqrt(entry["fan_in"]))


@pytest.mark.parametrize(("layer", "x_shape"), _LAYERS)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_init_module_linear_he_keeps_unit_variance(layer, x_shape, mode):
    backward = mode == "fan_out"
    counts = _tap_counts(layer, x_shape)
    gen = torch.Generator().manual_seed(0)

    def gaussian(shape, dtype):
        return torch.randn(shape, generator=gen, dtype=dtype)

    squares = []
    for draw in range(_DRAWS):
        init_module(layer, "he_normal", nonlinearity="linear", mode=mode, rng=draw)
        values = _propagate(layer, gaussian(x_shape, torch.float32), backward, gaussian)
        squares.append(_mean(values**2))
    other = counts["fan_in" if backward else "fan_out"]
    tolerance = _variance_tolerance(counts[mode], other, layer.weight.numel(), values.numel())
    assert tolerance < 0.15  # sharp enough to see a stride, a group or a ⌈k/s⌉ off
    assert abs(np.mean(squares) - 1) < tolerance


@pytest.mark.parametrize(
    ("scheme", "params", "expected"),
    [
        ("xavier_normal", {}, lambda fi, fo: math.sqrt(2 / (fi + fo))),
        ("xavier_uniform", {"gain": 2.0}, lambda fi, fo: 2 * math.sqrt(2 / (fi + fo))),
        ("lecun_normal", {}, lambda fi, fo: 1 / math.sqrt(fi)),
        ("kaiming_uniform", {"mode": "fan_out"}, lambda fi, fo: math.sqrt(2 / fo)),
        ("variance_scaling", {"mode": "fan_avg"}, lambda fi, fo: math.sqrt(2 / (fi + fo))),
    ],
)
def test_init_module_fan_schemes_use_the_layer_fans(scheme, params, expected):
    # Stride 2 and 2 groups: fans 32/2 · 5²/2² = 100 and 16/2 · 5² = 200 (not whole: 6.25 taps).
    layer = torch.nn.ConvTranspose2d(32, 16, 5, stride=2, groups=2)
    counts = _tap_counts(layer, (1, 32, 20, 20))
    fan_in, fan_out = _mean(counts["fan_in"]), _mean(counts["fan_out"])
    assert (fan_in, fan_out) == (100, 200)
    (entry,) = init_module(layer, scheme, rng=0, **params)
    assert entry["std"] == pytest.approx(expected(fan_in, fan_out))
    measured = float(layer.weight.detach().std())
    assert abs(measured / entry["std"] - 1) < _std_tolerance(layer.weight.numel())


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


def test_init_module_without_rng_follows_torch_manual_seed():
    torch = pytest.importorskip("torch")

    def weights():
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Linear(8, 4))
        init_module(net, "he_normal")
        return [p.detach().clone() for p in net.parameters()]

    torch.manual_seed(0)
    first = weights()
    torch.manual_seed(0)
    again = weights()
    other = weights()  # the generator moved on
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], other[0])


def test_init_module_reports_the_uniform_bounds_it_used():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(50, 40)
    (entry,) = init_module(layer, "uniform", low=-0.3, high=0.5, rng=0)
    assert entry["std"] == pytest.approx(0.8 / np.sqrt(12))
    assert layer.weight.min() >= -0.3 and layer.weight.max() < 0.5
