"""fastinit.init as a drop-in: torch.nn.init's call forms and RNG, Keras's names and configs.

torch is the truth for its call forms: after the same ``torch.manual_seed`` (or with equally
seeded generators) the twins must give torch.nn.init's values bit for bit, except where the
README says otherwise. Keras is not installed; its formulas are written out from its source
(keras/src/initializers/random_initializers.py).
"""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from fastinit import init
from test_init import assert_second_moment, assert_uniform_bound

TRUNC_2SIGMA_STD = 0.87962566103423978


# ----------------------------------------------------------------------------- import cost


def run_python(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_fastinit_init_does_not_import_sklearn():
    run_python("import fastinit.init, sys; assert 'sklearn' not in sys.modules")
    run_python(
        "import fastinit, sys; fastinit.init.he_normal((3, 4), rng=0); "
        "assert 'sklearn' not in sys.modules"
    )


def test_estimators_still_load_from_the_package():
    out = run_python(
        "import sys, fastinit\n"
        "assert {'RBM', 'DBN'} <= set(dir(fastinit)) and 'sklearn' not in sys.modules\n"
        "from fastinit import RBM\n"
        "print(RBM.__module__, fastinit.DBN.__module__, 'sklearn' in sys.modules)\n"
        "print(fastinit.__all__)\n"
        "try:\n"
        "    fastinit.no_such_name\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    assert out.splitlines() == [
        "fastinit.rbm fastinit.dbn True",
        "['DBN', 'RBM', 'BernoulliRBM', '__version__', 'get_config', 'init', 'show_config']",
        "module 'fastinit' has no attribute 'no_such_name'",
    ]


# ----------------------------------------------------------------------------- torch call forms


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


# (function, torch's positional arguments, shape): each twin in torch's call form.
TORCH_CALLS = [
    ("kaiming_normal_", (0, "fan_out", "relu"), (64, 32, 3, 3)),
    ("kaiming_normal_", (), (300, 200)),
    ("kaiming_uniform_", (0.2, "fan_in", "leaky_relu"), (64, 32, 3, 3)),
    ("kaiming_uniform_", (), (300, 200)),
    ("xavier_uniform_", (2.0,), (300, 200)),
    ("xavier_normal_", (), (16, 8, 5)),
    ("normal_", (0.0, 0.02), (300, 200)),
    ("uniform_", (-0.1, 0.1), (300, 200)),
    ("trunc_normal_", (0.0, 0.02, -0.04, 0.04), (300, 200)),
    ("trunc_normal_", (), (1000,)),
    ("orthogonal_", (2.0,), (16, 8, 3, 3)),
    ("orthogonal_", (), (20, 60)),
    ("sparse_", (0.3,), (40, 30)),
    ("constant_", (0.3,), (5, 4)),
    ("zeros_", (), (5, 4)),
    ("ones_", (), (7,)),
    ("eye_", (), (3, 5)),
    ("dirac_", (2,), (6, 4, 3, 3)),
]


def torch_and_ours(torch, name, args, shape, dtype="float32", **kwargs):
    """Fill one tensor with torch.nn.init and one with fastinit, each after manual_seed(0)."""
    out = []
    for module in (torch.nn.init, init):
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fastinit's symmetry warning on constant weights
            out.append(
                getattr(module, name)(
                    torch.empty(shape, dtype=getattr(torch, dtype)), *args, **kwargs
                )
            )
    return out


@pytest.mark.parametrize(("name", "args", "shape"), TORCH_CALLS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_twins_give_torch_values_after_manual_seed(torch, name, args, shape, dtype):
    theirs, ours = torch_and_ours(torch, name, args, shape, dtype)
    assert ours.dtype == theirs.dtype
    assert torch.equal(ours, theirs)


# sparse_ is left out: with a generator, torch still permutes with its global RNG (README).
DETERMINISTIC = ("constant_", "zeros_", "ones_", "eye_", "dirac_")
TORCH_RANDOM_CALLS = [c for c in TORCH_CALLS if c[0] not in ("sparse_", *DETERMINISTIC)]


@pytest.mark.parametrize(("name", "args", "shape"), TORCH_RANDOM_CALLS)
def test_generator_gives_torch_values_and_leaves_the_global_rng_alone(torch, name, args, shape):
    torch.manual_seed(5)
    state = torch.random.get_rng_state()
    theirs = getattr(torch.nn.init, name)(
        torch.empty(shape), *args, generator=torch.Generator().manual_seed(9)
    )
    generator = torch.Generator().manual_seed(9)
    ours = getattr(init, name)(torch.empty(shape), *args, generator=generator)
    assert torch.equal(ours, theirs)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_generator_may_be_positional_as_in_torch(torch):
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    theirs = torch.nn.init.kaiming_uniform_(torch.empty(30, 20), 0, "fan_in", "relu", g1)
    ours = init.kaiming_uniform_(torch.empty(30, 20), 0, "fan_in", "relu", g2)
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("uniform_", {"a": -0.3, "b": 0.7}),
        ("normal_", {"mean": 1.0, "std": 0.5}),
        ("trunc_normal_", {"mean": 0.0, "std": 1.0, "a": -1.0, "b": 2.0}),
        ("kaiming_normal_", {"a": 0.1, "mode": "fan_out", "nonlinearity": "leaky_relu"}),
        ("xavier_normal_", {"gain": 0.5}),
        ("orthogonal_", {"gain": 1.5}),
        ("sparse_", {"sparsity": 0.2, "std": 0.05}),
        ("constant_", {"val": -0.25}),
        ("dirac_", {"groups": 3}),
    ],
)
def test_torch_keyword_names(torch, name, kwargs):
    shape = (6, 4, 3) if name == "dirac_" else (30, 20)
    theirs, ours = torch_and_ours(torch, name, (), shape, **kwargs)
    assert torch.equal(ours, theirs)


def test_torch_script_reproduces_with_manual_seed(torch):
    def script():
        torch.manual_seed(2024)
        net = torch.nn.Sequential(torch.nn.Linear(20, 30), torch.nn.Linear(30, 5))
        init.kaiming_normal_(net[0].weight, nonlinearity="relu")
        init.trunc_normal_(net[1].weight, std=0.02)
        init.sparse_(net[1].weight.data.T, 0.5)  # a strided view of the weight
        init.trunc_normal_(net[0].bias, 0.0, 1.0, 3.0, math.inf)  # fastinit's own sampler
        return [p.detach().clone() for p in net.parameters()]

    first, second = script(), script()
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert not torch.equal(first[0], torch.zeros_like(first[0]))


def test_rng_keeps_the_numpy_rule_on_tensors(torch):
    torch.manual_seed(0)
    a = init.he_normal_(torch.empty(30, 20, dtype=torch.float64), rng=3)
    torch.manual_seed(1)
    b = init.he_normal_(torch.empty(30, 20, dtype=torch.float64), rng=3)
    np.testing.assert_array_equal(a.numpy(), init.he_normal((30, 20), rng=3, dtype=np.float64))
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda t: init.he_normal_(t.empty(3, 4), rng=0, generator=t.Generator()),
            TypeError,
            r"kaiming_normal_: pass rng= \(NumPy draws\) or generator= \(torch draws\), not both",
        ),
        (
            lambda t: init.normal_(np.empty(3), generator=t.Generator()),
            TypeError,
            "normal_: generator= is a torch.Generator and draws into torch tensors only",
        ),
        (
            lambda t: init.uniform_(t.empty(3), generator=np.random.default_rng(0)),
            TypeError,
            "uniform_: generator must be a torch.Generator, got Generator",
        ),
        (
            lambda t: init.kaiming_normal_(t.empty(3, 4), mode="fan_inn"),
            ValueError,
            "kaiming_normal_: Invalid `mode` argument: mode must be 'fan_in' or 'fan_out', "
            "got 'fan_inn'",
        ),
        (
            lambda t: init.kaiming_uniform_(t.empty(3, 4), 0, "fan_in", "gelu"),
            ValueError,
            "kaiming_uniform_: Unsupported nonlinearity gelu",
        ),
        (
            lambda t: init.xavier_uniform_(t.empty(4)),
            ValueError,
            "xavier_uniform_: Fan in and fan out can not be computed",
        ),
        (
            lambda t: init.dirac_(t.empty(6, 4, 3), 4),
            ValueError,
            "dirac_: dim 0 must be divisible by groups",
        ),
        (
            lambda t: init.sparse_(t.empty(3, 4, 5), 0.5),
            ValueError,
            "sparse_: Only arrays with 2 dimensions",
        ),
        (
            lambda t: init.uniform_(t.empty(3), a=0.0, low=0.0),
            TypeError,
            "uniform_: a= and low= are the same argument",
        ),
        (
            lambda t: init.constant_(t.empty(3)),
            TypeError,
            "constant_: missing a required argument: 'val'",
        ),
        (
            lambda t: init.orthogonal_(t.empty(3, dtype=t.int64)),
            TypeError,
            "orthogonal_: x must have a floating dtype",
        ),
    ],
)
def test_refusals_name_the_function(torch, call, error, match):
    with pytest.raises(error, match=match):
        call(torch)


def test_fastinit_names_are_aliases_of_torch_names(torch):
    a, b = torch.empty(50, 40), torch.empty(50, 40)
    torch.manual_seed(0)
    init.uniform_(a, a=-0.2, b=0.3)
    torch.manual_seed(0)
    init.uniform_(b, low=-0.2, high=0.3)
    assert torch.equal(a, b)
    assert torch.equal(init.constant_(torch.empty(3), value=2.0), torch.full((3,), 2.0))


@pytest.mark.parametrize(
    "name",
    [
        "kaiming_uniform_",
        "kaiming_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "lecun_normal_",
        "variance_scaling_",
    ],
)
@pytest.mark.parametrize("shape", [(0, 1), (4, 0, 3), (0,)])
def test_fan_based_twins_warn_on_zero_elements(torch, name, shape):
    for x in (torch.empty(shape), np.empty(shape)):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op") as rec:
            assert getattr(init, name)(x) is x
        assert rec[0].filename == __file__


@pytest.mark.parametrize(
    "name", ["normal_", "uniform_", "trunc_normal_", "orthogonal_", "zeros_", "eye_", "sparse_"]
)
def test_other_twins_fill_zero_elements_silently_as_torch(torch, name):
    args = (0.5,) if name == "sparse_" else ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for module in (torch.nn.init, init):
            t = torch.empty(0, 3)
            assert getattr(module, name)(t, *args) is t


def test_trunc_normal_generator_equals_seeded_global_rng_in_every_regime(torch):
    # torch's test_trunc_normal_generator, for each sampler: torch's (mass > 0.3) and fastinit's
    # (narrow, tail, infinite bound).
    for bounds in ((-2.0, 2.0), (0.0, 0.3), (2.0, 3.0), (3.0, math.inf)):
        a = init.trunc_normal_(
            torch.empty(500), 0.0, 1.0, *bounds, generator=torch.Generator().manual_seed(42)
        )
        torch.manual_seed(42)
        b = init.trunc_normal_(torch.empty(500), 0.0, 1.0, *bounds)
        assert torch.equal(a, b)
        assert a.min() >= bounds[0] and a.max() <= bounds[1]


def test_trunc_normal_in_a_far_tail_is_the_truncated_normal(torch):
    stats = pytest.importorskip("scipy.stats")
    torch.manual_seed(3)
    t = init.trunc_normal_(torch.empty(20_000, dtype=torch.float64), 0.0, 1.0, 4.0, math.inf)
    # torch.nn.init.trunc_normal_ cannot do this one (uniform proposals up to infinity).
    assert stats.kstest(t.numpy(), "truncnorm", args=(4.0, math.inf)).pvalue > 1e-4


def test_orthogonal_in_half_precision_with_torch_rng(torch):
    torch.manual_seed(0)
    t = init.orthogonal_(torch.empty(16, 32, dtype=torch.float16), 2.0)
    flat = t.double()
    torch.testing.assert_close(
        flat @ flat.T, 4.0 * torch.eye(16, dtype=torch.float64), atol=2e-2, rtol=0
    )


def test_orthogonal_keras_layout_is_the_transpose_with_torch_rng(torch):
    torch.manual_seed(0)
    keras = init.orthogonal_(torch.empty(48, 32), layout="keras")
    torch.manual_seed(0)
    theirs = torch.nn.init.orthogonal_(torch.empty(32, 48))
    assert torch.equal(keras, theirs.T)


def test_sparse_with_generator_is_decided_by_the_generator(torch):
    torch.manual_seed(0)
    a = init.sparse_(torch.empty(40, 30), 0.3, generator=torch.Generator().manual_seed(4))
    torch.manual_seed(1)
    b = init.sparse_(torch.empty(40, 30), 0.3, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)  # torch.nn.init.sparse_ would differ: it permutes with the global RNG
    assert ((a == 0).sum(dim=0) == math.ceil(0.3 * 40)).all()


def test_twins_on_views_and_parameters_match_torch(torch):
    base_t, base_o = torch.zeros(30, 40), torch.zeros(30, 40)
    torch.manual_seed(0)
    torch.nn.init.normal_(base_t[:, ::2], 0.0, 0.1)
    torch.manual_seed(0)
    init.normal_(base_o[:, ::2], 0.0, 0.1)
    assert torch.equal(base_t, base_o)
    p = torch.nn.Parameter(torch.empty(8, 4))
    assert init.xavier_uniform_(p) is p and p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_tensors_match_torch(torch, dtype):
    for name, args in (
        ("kaiming_normal_", ()),
        ("uniform_", (-1.0, 1.0)),
        ("trunc_normal_", (0.0, 1.0, -2.0, 2.0)),
    ):
        theirs, ours = torch_and_ours(torch, name, args, (64, 32), dtype)
        assert torch.equal(ours, theirs), name


def test_deprecated_torch_aliases_fill_tensors(torch):
    torch.manual_seed(0)
    expected = torch.nn.init.normal_(torch.empty(3, 3), 0.0, 0.5)
    x = torch.empty(3, 3)
    torch.manual_seed(0)
    with pytest.warns(FutureWarning, match="deprecated form of `normal_`") as rec:
        assert init.normal(x, 0.0, 0.5) is x
    assert rec[0].filename == __file__
    assert torch.equal(x, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert init.normal((3, 3), rng=0).shape == (3, 3)  # a shape: fastinit's generator


# ----------------------------------------------------------------------------- Keras


def keras_fans(shape):
    """Keras 3's compute_fans for shapes of any rank."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


KERAS_SHAPES = [(784, 256), (3, 3, 32, 64), (20_000,)]


# (class, Keras's scale, Keras's mode, Keras's distribution) of the VarianceScaling family.
KERAS_VS = [
    ("GlorotUniform", 1.0, "fan_avg", "uniform"),
    ("GlorotNormal", 1.0, "fan_avg", "truncated_normal"),
    ("HeUniform", 2.0, "fan_in", "uniform"),
    ("HeNormal", 2.0, "fan_in", "truncated_normal"),
    ("LecunUniform", 1.0, "fan_in", "uniform"),
    ("LecunNormal", 1.0, "fan_in", "truncated_normal"),
]


@pytest.mark.parametrize(("name", "scale", "mode", "distribution"), KERAS_VS)
@pytest.mark.parametrize("shape", KERAS_SHAPES)
def test_keras_variance_scaling_family(name, scale, mode, distribution, shape):
    fan_in, fan_out = keras_fans(shape)
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    var = scale / max(1.0, fan)
    w = init.get_initializer(name, seed=7)(shape, dtype=np.float64)
    assert w.shape == shape
    if distribution == "uniform":
        assert_uniform_bound(w, math.sqrt(3 * var))
        assert_second_moment(w, var, mu4_over_var2=9 / 5)
    else:
        limit = 2 * math.sqrt(var) / TRUNC_2SIGMA_STD
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.98 * limit
        assert_second_moment(w, var)


@pytest.mark.parametrize(("name", "scale", "mode", "distribution"), KERAS_VS)
def test_keras_names_are_variance_scaling_in_keras_layout(name, scale, mode, distribution):
    got = init.get_initializer(name, seed=3)((5, 5, 16, 8))
    want = init.variance_scaling(
        (5, 5, 16, 8), scale=scale, mode=mode, distribution=distribution, layout="keras", rng=3
    )
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("glorot_uniform", "GlorotUniform"),
        ("glorot_normal", "GlorotNormal"),
        ("random_normal", "RandomNormal"),
        ("random_uniform", "RandomUniform"),
        ("truncated_normal", "TruncatedNormal"),
        ("identity", "Identity"),
        ("IdentityInitializer", "Identity"),
        ("OrthogonalInitializer", "Orthogonal"),
    ],
)
def test_keras_spellings_without_a_fastinit_twin_are_keras(alias, name):
    assert init.get_initializer(alias).name == name


def test_shared_snake_names_keep_fastinit_meaning():
    # "he_normal" is fastinit's (torch's untruncated He, torch layout); Keras's is "HeNormal".
    np.testing.assert_array_equal(
        init.get_initializer("he_normal")((30, 20), rng=1), init.he_normal((30, 20), rng=1)
    )
    with pytest.raises(TypeError, match=r"Keras's 'he_normal' is 'HeNormal' here"):
        init.get_initializer("he_normal", seed=1)
    with pytest.raises(TypeError, match=r"Keras's 'normal' is 'RandomNormal' here"):
        init.get_initializer("normal", stddev=0.1)


def test_keras_random_initializers_defaults():
    rn = init.get_initializer("random_normal", seed=0)
    w = rn((400, 500), dtype=np.float64)
    assert dict(rn.params) == {"mean": 0.0, "stddev": 0.05, "seed": 0}
    assert_second_moment(w, 0.05**2)
    ru = init.get_initializer("RandomUniform", seed=0)
    assert_uniform_bound(ru((400, 500), dtype=np.float64), 0.05)
    tn = init.get_initializer("truncated_normal", mean=1.0, seed=0)
    w = tn((400, 500), dtype=np.float64)
    assert w.min() >= 1.0 - 0.1 and w.max() <= 1.0 + 0.1  # Keras truncates at 2 stddev
    assert w.min() < 1.0 - 0.099 and w.max() > 1.0 + 0.099


def test_keras_orthogonal_identity_constants():
    w = init.get_initializer("Orthogonal", gain=2.0, seed=0)((3, 3, 8, 16), dtype=np.float64)
    flat = w.reshape(-1, 16)  # Keras: (prod(shape[:-1]), shape[-1]), orthogonal columns
    np.testing.assert_allclose(flat.T @ flat, 4 * np.eye(16), atol=1e-12)
    np.testing.assert_array_equal(
        init.get_initializer("identity", gain=2)((3, 4)), 2 * np.eye(3, 4)
    )
    with pytest.raises(ValueError, match="2 dimensions"):
        init.get_initializer("Identity")((3, 4, 5))
    value = np.random.default_rng(0).random((3, 3))
    np.testing.assert_array_equal(
        init.get_initializer("Constant", value=value)((3, 3)), value.astype(np.float32)
    )
    for name, fill in (("Zeros", 0.0), ("zero", 0.0), ("Ones", 1.0), ("one", 1.0)):
        np.testing.assert_array_equal(init.get_initializer(name)(4), np.full(4, fill))


def test_keras_layout_default_and_override():
    he = init.get_initializer("HeUniform", seed=0)
    assert_uniform_bound(he((784, 256), dtype=np.float64), math.sqrt(6 / 784))  # (in, out)
    assert_uniform_bound(he((256, 784), layout="torch", dtype=np.float64), math.sqrt(6 / 784))


def test_keras_seed_semantics():
    seeded = init.get_initializer("GlorotNormal", seed=11)
    np.testing.assert_array_equal(seeded((20, 30)), seeded((20, 30)))
    with pytest.raises(TypeError, match="made with seed=11"):
        seeded((20, 30), rng=0)
    unseeded, other = init.get_initializer("GlorotNormal"), init.get_initializer("GlorotNormal")
    # Keras draws a seed when an unseeded initializer is made: same values on every call.
    np.testing.assert_array_equal(unseeded((20, 30)), unseeded((20, 30)))
    assert not np.array_equal(unseeded((20, 30)), other((20, 30)))
    np.testing.assert_array_equal(
        unseeded((20, 30), rng=5), init.get_initializer("GlorotNormal", seed=5)((20, 30))
    )
    advancing = init.get_initializer("RandomNormal", seed=np.random.default_rng(1))
    assert not np.array_equal(advancing(10), advancing(10))  # Keras's SeedGenerator


def test_keras_refusals_when_made():
    with pytest.raises(ValueError, match="Argument `scale` must be positive float"):
        init.get_initializer("VarianceScaling", scale=-1.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument"):
        init.get_initializer("VarianceScaling", mode="fan_median")
    with pytest.raises(ValueError, match="Invalid `distribution` argument"):
        init.get_initializer("variance_scaling", distribution="cauchy")
    with pytest.raises(
        TypeError,
        match=r"'GlorotUniform' takes \['input_axes', 'output_axes', "
        r"'seed'\], got \['gain'\]",
    ):
        init.get_initializer("GlorotUniform", gain=2.0)
    with pytest.raises(ValueError, match=r"Unknown initializer 'typo'.*GlorotUniform"):
        init.get_initializer("typo")


def test_keras_get_none_array_callable():
    assert init.get_initializer(None) is None
    with pytest.raises(TypeError, match="parameters go with a name"):
        init.get_initializer(None, std=1.0)
    values = np.random.default_rng(0).random((5, 5))
    fn = init.get_initializer(values)
    out = fn((5, 5), dtype=np.float64)
    np.testing.assert_array_equal(out, values)
    assert out is not values
    assert fn((5, 5)).dtype == np.float32
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(5, 5\)"):
        fn((10, 10))

    def mine(shape, rng=None, dtype=None, layout=None):
        return np.ones(shape)

    assert init.get_initializer(mine) is mine
    with pytest.raises(TypeError, match="got float"):
        init.get_initializer(0.5)


def test_keras_configs():
    keras3 = {
        "module": "keras.initializers",
        "class_name": "VarianceScaling",
        "config": {
            "scale": 2.0,
            "mode": "fan_out",
            "distribution": "uniform",
            "seed": 4,
            "input_axes": None,
            "output_axes": None,
        },
        "registered_name": None,
    }
    fn = init.get_initializer(keras3)
    np.testing.assert_array_equal(
        fn((8, 6)),
        init.variance_scaling(
            (8, 6), scale=2.0, mode="fan_out", distribution="uniform", layout="keras", rng=4
        ),
    )
    old = init.get_initializer(
        {
            "class_name": "VarianceScaling",
            "config": {"distribution": "normal", "mode": "fan_avg", "scale": 1.0, "seed": 2},
        }
    )
    assert old.params["distribution"] == "truncated_normal"  # as Keras stores it
    rebuilt = init.get_initializer({"class_name": old.name, "config": dict(old.params)})
    np.testing.assert_array_equal(rebuilt((9, 7)), old((9, 7)))
    with pytest.raises(ValueError, match="a Keras config is"):
        init.get_initializer({"config": {}})


def test_keras_axes_for_attention_kernels():
    fn = init.get_initializer("LecunNormal", input_axes=[0], output_axes=[1, 2], seed=0)
    assert_second_moment(fn((512, 8, 64), dtype=np.float64), 1 / 512)
    assert init.compute_fans((512, 8, 64), input_axes=[0, 1], output_axes=[2]) == (4096, 64)
