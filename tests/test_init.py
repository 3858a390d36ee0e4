"""Tests of fastinit.init: formulas, fans, errors, reproducibility, in-place twins, torch parity."""

import doctest
import inspect
import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

from fastinit import init

TRUNC_2SIGMA_STD = 0.87962566103423978


# ----------------------------------------------------------------------------- helpers


def assert_second_moment(x, var, mu4_over_var2=3.0, n_se=6.0):
    """E[x²] of a zero-mean sample equals ``var`` within ``n_se`` standard errors.

    The standard error of the mean of x² is sqrt((μ4 − σ⁴) / n); μ4 / σ⁴ is 3 for a normal,
    9/5 for a uniform and below 3 for a truncated normal.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    se = var * math.sqrt((mu4_over_var2 - 1.0) / x.size)
    assert abs(np.mean(x * x) - var) <= n_se * se, (np.mean(x * x), var, se)


def assert_uniform_bound(x, bound):
    """Samples of U(-bound, bound): inside the bound, reaching close to it on both sides."""
    x = np.asarray(x, dtype=np.float64)
    assert x.max() <= bound and x.min() >= -bound
    # For n ≥ 1e4 samples, P(max < bound·(1 − 2e-3)) = (1 − 1e-3)^n < 5e-5.
    assert x.max() >= bound * (1 - 2e-3) and x.min() <= -bound * (1 - 2e-3)


def std_normal_cdf_diff(alpha, beta):
    """Φ(β) − Φ(α), computed on the side where it does not cancel."""
    if alpha >= 0:
        return 0.5 * (math.erfc(alpha / math.sqrt(2)) - math.erfc(beta / math.sqrt(2)))
    if beta <= 0:
        return 0.5 * (math.erfc(-beta / math.sqrt(2)) - math.erfc(-alpha / math.sqrt(2)))
    return 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))


def truncated_normal_moments(mean, std, low, high):
    """Mean and variance of N(mean, std²) truncated to [low, high]."""

    def pdf(z):
        return 0.0 if math.isinf(z) else math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    def zpdf(z):
        return 0.0 if math.isinf(z) else z * pdf(z)

    alpha, beta = (low - mean) / std, (high - mean) / std
    mass = std_normal_cdf_diff(alpha, beta)
    shift = (pdf(alpha) - pdf(beta)) / mass
    var = 1.0 + (zpdf(alpha) - zpdf(beta)) / mass - shift**2
    return mean + std * shift, std * std * var


# Shape for each registry scheme in the generic tests, plus the keywords it needs.
SCHEME_CASES = {
    "xavier_uniform": ((6, 10), {}),
    "xavier_normal": ((6, 10), {}),
    "kaiming_uniform": ((6, 10), {}),
    "kaiming_normal": ((6, 10), {}),
    "he_uniform": ((6, 10), {}),
    "he_normal": ((6, 10), {}),
    "lecun_uniform": ((6, 10), {}),
    "lecun_normal": ((6, 10), {}),
    "variance_scaling": ((6, 10), {}),
    "orthogonal": ((6, 10), {}),
    "trunc_normal": ((6, 10), {}),
    "uniform": ((6, 10), {}),
    "normal": ((6, 10), {}),
    "constant": ((6, 10), {"value": 0.25, "warn_symmetry": False}),
    "zeros": ((6, 10), {"warn_symmetry": False}),
    "ones": ((6, 10), {"warn_symmetry": False}),
    "eye": ((6, 10), {}),
    "dirac": ((4, 4, 10), {}),
    "sparse": ((6, 10), {"sparsity": 0.5}),
}
RANDOM_SCHEMES = [n for n in init.SCHEMES if n not in ("constant", "zeros", "ones", "eye", "dirac")]


def call_kwargs(name, seed=0):
    shape, kwargs = SCHEME_CASES[name]
    if name in RANDOM_SCHEMES:
        kwargs = dict(kwargs, rng=seed)
    return shape, kwargs


# ----------------------------------------------------------------------------- gains


@pytest.mark.parametrize(
    ("nonlinearity", "expected"),
    [
        ("linear", 1.0),
        ("conv1d", 1.0),
        ("conv2d", 1.0),
        ("conv3d", 1.0),
        ("conv_transpose1d", 1.0),
        ("conv_transpose2d", 1.0),
        ("conv_transpose3d", 1.0),
        ("sigmoid", 1.0),
        ("tanh", 5.0 / 3.0),
        ("relu", math.sqrt(2.0)),
        ("leaky_relu", math.sqrt(2.0 / (1 + 0.01**2))),
        ("selu", 0.75),
    ],
)
def test_gain_table(nonlinearity, expected):
    assert init.calculate_gain(nonlinearity) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("slope", [0, 0.2, 1, 5.5, np.float64(0.3)])
def test_leaky_relu_gain_uses_slope(slope):
    assert init.calculate_gain("leaky_relu", slope) == pytest.approx(
        math.sqrt(2.0 / (1 + float(slope) ** 2)), rel=1e-15
    )


@pytest.mark.parametrize("param", ["0.2", True, False, [0.1], math.nan])
def test_leaky_relu_gain_refuses_non_numbers(param):
    with pytest.raises(ValueError, match=r"negative_slope .* not a valid number"):
        init.calculate_gain("leaky_relu", param)


def test_gain_unknown_nonlinearity():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")


# ----------------------------------------------------------------------------- fans


@pytest.mark.parametrize(
    ("shape", "layout", "expected"),
    [
        ((30, 20), "torch", (20, 30)),  # nn.Linear(20, 30).weight
        ((20, 30), "keras", (20, 30)),  # x @ W with W (in=20, out=30)
        ((16, 8, 5), "torch", (40, 80)),  # Conv1d(8, 16, 5)
        ((5, 8, 16), "keras", (40, 80)),
        ((64, 3, 5, 5), "torch", (75, 1600)),  # Conv2d(3, 64, 5)
        ((5, 5, 3, 64), "keras", (75, 1600)),
        ((64, 3, 3, 5), "torch", (45, 960)),  # non-square kernel
        ((32, 16, 3, 3, 3), "torch", (432, 864)),  # Conv3d(16, 32, 3)
        ((3, 3, 3, 16, 32), "keras", (432, 864)),
        ((1, 1), "torch", (1, 1)),
    ],
)
def test_compute_fans(shape, layout, expected):
    assert init.compute_fans(shape, layout=layout) == expected


def test_compute_fans_default_layout_is_torch():
    assert init.compute_fans((30, 20)) == (20, 30)


@pytest.mark.parametrize("shape", [5, (5,), ()])
def test_compute_fans_needs_two_dims(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.compute_fans(shape)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (4, 3, 0)])
def test_compute_fans_refuses_zero_size(shape):
    with pytest.raises(ValueError, match="zero-size"):
        init.compute_fans(shape)


def test_compute_fans_unknown_layout():
    with pytest.raises(ValueError, match="layout"):
        init.compute_fans((3, 4), layout="channels_last")


# ----------------------------------------------------------------------------- formulas

SHAPE_2D = (300, 500)  # fan_in 500, fan_out 300
SHAPE_4D = (64, 32, 3, 3)  # fan_in 288, fan_out 576
SHAPE_4D_KERAS = (3, 3, 32, 64)  # the same kernel channels-last


UNIFORM_CASES = [
    (init.xavier_uniform, {}, SHAPE_2D, math.sqrt(6.0 / 800)),
    (init.xavier_uniform, {"gain": 5 / 3}, SHAPE_4D, 5 / 3 * math.sqrt(6.0 / 864)),
    (init.xavier_uniform, {"layout": "keras"}, SHAPE_4D_KERAS, math.sqrt(6.0 / 864)),
    (init.kaiming_uniform, {}, SHAPE_2D, math.sqrt(6.0 / 500)),
    (init.kaiming_uniform, {"mode": "fan_out"}, SHAPE_2D, math.sqrt(6.0 / 300)),
    (init.kaiming_uniform, {"a": 0.2}, SHAPE_4D, math.sqrt(6.0 / (1.04 * 288))),
    (
        init.he_uniform,
        {"nonlinearity": "relu", "layout": "keras"},
        SHAPE_4D_KERAS,
        math.sqrt(6.0 / 288),
    ),
    (init.kaiming_uniform, {"nonlinearity": "tanh"}, SHAPE_2D, 5 / 3 * math.sqrt(3.0 / 500)),
    (init.lecun_uniform, {}, SHAPE_4D, math.sqrt(3.0 / 288)),
    (init.variance_scaling, {"distribution": "uniform"}, SHAPE_2D, math.sqrt(3.0 / 500)),
    (
        init.variance_scaling,
        {"distribution": "uniform", "scale": 2.0, "mode": "fan_avg"},
        SHAPE_4D,
        math.sqrt(6.0 / 432),
    ),
]


@pytest.mark.parametrize(("generator", "kwargs", "shape", "bound"), UNIFORM_CASES)
def test_uniform_schemes_bound_and_variance(generator, kwargs, shape, bound):
    w = generator(shape, rng=1, **kwargs)
    assert w.shape == shape and w.dtype == np.float32
    assert_uniform_bound(w, np.float32(bound))
    assert_second_moment(w, bound**2 / 3, mu4_over_var2=9 / 5)


def test_uniform_low_high():
    w = init.uniform((400, 500), low=-0.5, high=1.5, rng=2, dtype=np.float64)
    assert w.min() >= -0.5 and w.max() < 1.5
    assert w.min() < -0.499 and w.max() > 1.499
    assert_second_moment(w - 0.5, 1 / 3, mu4_over_var2=9 / 5)


NORMAL_CASES = [
    (init.xavier_normal, {}, SHAPE_2D, math.sqrt(2.0 / 800)),
    (init.xavier_normal, {"gain": 2.0}, SHAPE_4D, 2 * math.sqrt(2.0 / 864)),
    (init.kaiming_normal, {}, SHAPE_2D, math.sqrt(2.0 / 500)),
    (init.kaiming_normal, {"mode": "fan_out"}, SHAPE_4D, math.sqrt(2.0 / 576)),
    (init.kaiming_normal, {"mode": "FAN_OUT", "layout": "keras"}, SHAPE_4D_KERAS, 1 / 288**0.5),
    (init.he_normal, {"nonlinearity": "selu"}, SHAPE_2D, 0.75 / math.sqrt(500)),
    (init.he_normal, {"a": 0.5, "mode": "fan_out"}, SHAPE_2D, math.sqrt(2.0 / (1.25 * 300))),
    (init.lecun_normal, {}, SHAPE_2D, 1 / math.sqrt(500)),
    (init.variance_scaling, {"distribution": "untruncated_normal"}, SHAPE_4D, 1 / math.sqrt(288)),
    (
        init.variance_scaling,
        {"distribution": "untruncated_normal", "mode": "fan_avg", "scale": 3.0},
        SHAPE_2D,
        math.sqrt(3.0 / 400),
    ),
]


@pytest.mark.parametrize(("generator", "kwargs", "shape", "std"), NORMAL_CASES)
def test_normal_schemes_variance(generator, kwargs, shape, std):
    w = generator(shape, rng=3, dtype=np.float64, **kwargs)
    assert w.shape == shape and w.dtype == np.float64
    assert_second_moment(w, std**2)
    # A normal sample of this size reaches past 3 std; a uniform one of equal variance never does.
    assert np.abs(w).max() > 3.5 * std


def test_normal_mean_std():
    w = init.normal((400, 500), mean=2.0, std=0.5, rng=4, dtype=np.float64)
    assert abs(w.mean() - 2.0) <= 6 * 0.5 / math.sqrt(w.size)
    assert_second_moment(w - 2.0, 0.25)


@pytest.mark.parametrize(
    ("kwargs", "shape", "std"),
    [
        ({}, SHAPE_2D, 1 / math.sqrt(500)),
        ({"mode": "fan_out", "scale": 2.0}, SHAPE_4D, math.sqrt(2.0 / 576)),
        ({"mode": "fan_avg", "layout": "keras"}, SHAPE_4D_KERAS, 1 / math.sqrt(432)),
    ],
)
def test_variance_scaling_truncated_normal_is_corrected(kwargs, shape, std):
    w = init.variance_scaling(shape, rng=5, dtype=np.float64, **kwargs)
    # Truncated at ±2 std of the pre-truncation normal, whose std is std / 0.8796...
    limit = 2 * std / TRUNC_2SIGMA_STD
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    assert_second_moment(w, std**2)


def test_variance_scaling_fan_is_at_least_one():
    # Keras divides by max(1, fan); fan_avg of (1, 1) is 1, so no division by less.
    w = init.variance_scaling((1, 1), distribution="uniform", scale=0.25, rng=0)
    assert abs(w[0, 0]) <= math.sqrt(3 * 0.25)


TRUNC_CASES = [
    (0.0, 1.0, -2.0, 2.0, "absolute"),  # wide around 0: normal proposals
    (0.0, 1.0, -0.3, 0.2, "absolute"),  # narrow around 0: uniform proposals
    (0.0, 1.0, 1.0, 1.5, "absolute"),  # narrow in a tail: uniform proposals
    (0.0, 1.0, 3.0, math.inf, "absolute"),  # far tail: exponential proposals
    (0.0, 1.0, -math.inf, -4.0, "absolute"),  # mirrored far tail
    (0.5, 2.0, -1.0, 1.5, "std"),  # bounds in std units around the mean
    (1.0, 0.1, 1.25, 1.6, "absolute"),
    (0.0, 0.02, -2.0, 2.0, "absolute"),  # torch's default: effectively no truncation
]


@pytest.mark.parametrize(("mean", "std", "a", "b", "bounds"), TRUNC_CASES)
def test_trunc_normal_bounds_and_moments(mean, std, a, b, bounds):
    n = 200_000
    w = init.trunc_normal(n, mean=mean, std=std, a=a, b=b, bounds=bounds, rng=6, dtype=np.float64)
    low, high = (mean + a * std, mean + b * std) if bounds == "std" else (a, b)
    assert w.min() >= low and w.max() <= high
    exp_mean, exp_var = truncated_normal_moments(mean, std, low, high)
    sd = math.sqrt(exp_var)
    assert abs(w.mean() - exp_mean) <= 6 * sd / math.sqrt(n)
    sample_var = w.var()
    m4 = np.mean((w - w.mean()) ** 4)
    assert abs(sample_var - exp_var) <= 6 * math.sqrt((m4 - sample_var**2) / n)


def test_trunc_normal_std_bounds_equal_absolute_bounds():
    by_std = init.trunc_normal((50, 40), mean=1.0, std=2.0, a=-1.0, b=1.5, bounds="std", rng=7)
    absolute = init.trunc_normal((50, 40), mean=1.0, std=2.0, a=-1.0, b=4.0, rng=7)
    np.testing.assert_array_equal(by_std, absolute)


def test_trunc_normal_float32_stays_in_bounds():
    w = init.trunc_normal((1000, 100), std=0.1, a=-0.1, b=0.1, rng=8)
    assert w.dtype == np.float32
    assert w.min() >= np.float32(-0.1) and w.max() <= np.float32(0.1)


# Far tails and degenerate intervals (issue 14, defect 9): each hung, recursed or overflowed.
EXTREME_TRUNC_CASES = [
    (0.0, 1.0, 1e160, 2e160, "absolute"),  # a² overflows float64
    (0.0, 1.0, -2e160, -1e160, "absolute"),  # mirrored
    (0.0, 1.0, 1e300, math.inf, "absolute"),
    (0.0, 1.0, 1e160, 2e160, "std"),
    (-1e308, 1.0, 1e308, 1.5e308, "absolute"),  # a - mean overflows: a beyond float64 in std
    (0.0, 1e-300, 1.0, 2.0, "absolute"),  # a = 1e300 std
    (0.0, 1e10, -1e-320, 1e-320, "absolute"),  # the bounds underflow to ±0 std
    (1e20, 1.0, 0.0, 1.0, "std"),  # mean + a·std == mean + b·std: a point
    (0.0, 1.0, 1e7, 1e7 + 1e-8, "absolute"),  # narrower than 1/a: uniform proposals
    (5.0, 3.0, 1e7, math.inf, "std"),
]


@pytest.mark.parametrize(("mean", "std", "a", "b", "bounds"), EXTREME_TRUNC_CASES)
def test_trunc_normal_far_tails_are_finite_and_in_bounds(watchdog, mean, std, a, b, bounds):
    w = init.trunc_normal(50, mean=mean, std=std, a=a, b=b, bounds=bounds, rng=0, dtype=np.float64)
    low, high = (mean + a * std, mean + b * std) if bounds == "std" else (a, b)
    assert np.isfinite(w).all()
    assert w.min() >= low and w.max() <= high
    # Where the spread std² / (a - mean) is below a's ulp, the values sit on a (to rounding).
    if low > mean and (low - mean) / std > 1e17:
        np.testing.assert_allclose(w, low, rtol=1e-15)


@pytest.mark.parametrize(("a", "b"), [(8.0, 9.0), (30.0, 31.0), (-31.0, -30.0), (6.0, math.inf)])
@pytest.mark.parametrize("bounds", ["std", "absolute"])
def test_trunc_normal_far_tail_follows_scipy_truncnorm(a, b, bounds):
    stats = pytest.importorskip("scipy.stats")
    mean, std = (5.0, 3.0) if bounds == "std" else (0.0, 1.0)
    w = init.trunc_normal(
        20_000, mean=mean, std=std, a=a, b=b, bounds=bounds, rng=12, dtype=np.float64
    )
    z = (w - mean) / std
    assert z.min() >= a - 1e-9 and z.max() <= b + 1e-9
    assert stats.kstest(z, "truncnorm", args=(a, b)).pvalue > 1e-3


def test_truncated_sampler_gives_up_instead_of_looping(watchdog):
    class Rejecting:  # every draw NaN: no proposal is ever accepted
        def __getattr__(self, name):
            return lambda *args, **kwargs: np.full(args[-1], np.nan)

    for alpha, beta in [(-1.0, 1.0), (-0.1, 0.1), (3.0, math.inf), (1.0, 1.1), (-9.0, -8.0)]:
        with pytest.raises(RuntimeError, match="accepted no proposal"):
            init._truncated_standard_normal(alpha, beta, 10, Rejecting())


NON_FINITE_CALLS = [
    ("normal", lambda v: init.normal(3, mean=v), "mean"),
    ("normal", lambda v: init.normal(3, std=v), "std"),
    ("uniform", lambda v: init.uniform(3, low=-v), "low"),
    ("uniform", lambda v: init.uniform(3, high=v), "high"),
    ("trunc_normal", lambda v: init.trunc_normal(3, std=v), "std"),
    ("trunc_normal", lambda v: init.trunc_normal(3, mean=v), "mean"),
    ("xavier_normal", lambda v: init.xavier_normal((3, 3), gain=v), "gain"),
    ("xavier_uniform", lambda v: init.xavier_uniform((3, 3), gain=v), "gain"),
    ("variance_scaling", lambda v: init.variance_scaling((3, 3), scale=v), "scale"),
    ("orthogonal", lambda v: init.orthogonal((3, 3), gain=v), "gain"),
    ("eye", lambda v: init.eye((3, 3), gain=v), "gain"),
    ("sparse", lambda v: init.sparse((3, 3), 0.5, std=v), "std"),
    ("constant", lambda v: init.constant(3, v), "value"),
    ("trunc_normal_", lambda v: init.trunc_normal_(np.zeros(3), std=v), "std"),
    ("normal_", lambda v: init.normal_(np.zeros(3), 0.0, v), "std"),
    (
        "initializer 'RandomNormal'",
        lambda v: init.get_initializer("RandomNormal", stddev=v)(3),
        "std",
    ),
]


@pytest.mark.parametrize(("func", "call", "name"), NON_FINITE_CALLS)
@pytest.mark.parametrize("value", [math.inf, -math.inf, 10**400])
def test_non_finite_parameters_are_refused_by_name(watchdog, func, call, name, value):
    with pytest.raises(ValueError, match=rf"^{re.escape(func)}: {name} must be a finite number"):
        call(value)


def test_non_finite_array_values_are_refused():
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError, match=r"^constant: value must be finite"):
            init.constant(3, [1.0, bad, 2.0])


def test_non_finite_parameters_of_a_torch_twin_are_refused_before_drawing(torch):
    t = torch.zeros(4)
    with pytest.raises(ValueError, match=r"^trunc_normal_: std must be a finite number"):
        init.trunc_normal_(t, std=math.inf)
    with pytest.raises(ValueError, match=r"^variance_scaling_: scale must be a finite number"):
        init.variance_scaling_(torch.zeros(3, 3), scale=math.inf)
    with pytest.raises(ValueError, match=r"^normal_: mean and std too large for float32"):
        init.normal_(t, 0.0, 1e38)
    assert (t == 0).all()


def test_a_torch_twin_takes_a_uniform_width_past_the_dtype(torch):
    # torch's own uniform_ refuses it (RuntimeError); the bounds themselves are float32.
    t = init.uniform_(torch.empty(10_000), -3e38, 3e38)
    assert bool(torch.isfinite(t).all())
    assert -3e38 <= t.min().item() < -1e38 and 1e38 < t.max().item() <= 3e38
    h = init.uniform_(torch.empty(1000, dtype=torch.float16), -6e4, 6e4)
    assert bool(torch.isfinite(h).all()) and h.min().item() < -1e4 and h.max().item() > 1e4


OVERFLOW_CALLS = [
    ("normal", lambda: init.normal(3, std=1e38), "mean and std"),
    ("normal", lambda: init.normal(3, mean=3.3e38, std=1e37), "mean and std"),
    ("uniform", lambda: init.uniform(3, high=1e39), "low and high"),
    ("uniform", lambda: init.uniform(3, high=7e4, dtype=np.float16), "low and high"),
    ("trunc_normal", lambda: init.trunc_normal(3, std=1e37, a=-math.inf, b=0), "mean, std, a"),
    ("xavier_normal", lambda: init.xavier_normal((3, 3), gain=1e308), "gain"),
    ("variance_scaling", lambda: init.variance_scaling((3, 3), scale=1e300), "scale"),
    ("orthogonal", lambda: init.orthogonal((3, 3), gain=1e39), "gain"),
    ("eye", lambda: init.eye((3, 3), gain=-1e39), "gain"),
    ("constant", lambda: init.constant(3, 1e39), "value"),
    ("sparse", lambda: init.sparse((3, 3), 0.5, std=1e38), "std"),
]


@pytest.mark.parametrize(("func", "call", "name"), OVERFLOW_CALLS)
def test_parameters_that_overflow_the_dtype_are_refused(watchdog, func, call, name):
    with pytest.raises(ValueError, match=rf"^{func}: {name}.* too large for float"):
        call()


def test_extreme_but_representable_parameters_give_finite_values(watchdog):
    # The width 6e38 overflows float32, the bounds do not.
    w = init.uniform(10_000, low=-3e38, high=3e38, rng=0)
    assert np.isfinite(w).all() and w.min() >= -3e38 and w.max() <= 3e38
    assert w.min() < -1e38 and w.max() > 1e38
    w = init.uniform(1000, low=-1e308, high=1.7e308, rng=0, dtype=np.float64)
    assert np.isfinite(w).all() and w.min() >= -1e308
    # A slope whose square overflows: gain sqrt(2 / (1 + a²)) is 0, as in torch.
    assert (init.kaiming_normal((3, 4), a=1e200, rng=0) == 0).all()
    w = init.variance_scaling((3, 3), scale=1e300, rng=0, dtype=np.float64)
    assert np.isfinite(w).all() and np.abs(w).max() > 1e140


ORTHO_SHAPES = [(64, 32), (32, 64), (16, 8, 3, 3), (100, 3, 2), (20, 20)]


@pytest.mark.parametrize("shape", ORTHO_SHAPES)
@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_is_orthonormal(shape, gain, dtype):
    w = init.orthogonal(shape, gain=gain, rng=9, dtype=dtype)
    assert w.shape == shape and w.dtype == dtype
    flat = w.reshape(shape[0], -1).astype(np.float64)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_sign_correction_gives_positive_diag_r():
    # Moving the signs of diag(R) into Q makes Q the unique QR factor whose R has a positive
    # diagonal (what makes Q Haar-distributed); without the fix about half of them are negative.
    g = np.random.default_rng(10).standard_normal((40, 30))
    w = init.orthogonal((40, 30), rng=10, dtype=np.float64)
    r = w.T @ g
    np.testing.assert_allclose(np.tril(r, -1), 0.0, atol=1e-10)
    assert (np.diag(r) > 0).all()


def test_orthogonal_keras_layout_is_the_transpose():
    torch_layout = init.orthogonal((32, 48), rng=11, dtype=np.float64)
    keras_layout = init.orthogonal((48, 32), layout="keras", rng=11, dtype=np.float64)
    np.testing.assert_array_equal(keras_layout, torch_layout.T)
    k4 = init.orthogonal((3, 3, 8, 16), layout="keras", rng=11, dtype=np.float64)
    flat = k4.reshape(-1, 16)
    np.testing.assert_allclose(flat.T @ flat, np.eye(16), atol=1e-12)


def test_constants_and_eye():
    np.testing.assert_array_equal(
        init.constant((2, 3), 0.5, warn_symmetry=False), np.full((2, 3), 0.5)
    )
    np.testing.assert_array_equal(init.zeros(4), np.zeros(4))
    np.testing.assert_array_equal(init.ones(4, dtype=np.float64), np.ones(4))
    np.testing.assert_array_equal(init.eye((3, 5)), np.eye(3, 5))
    assert init.eye((5, 3), dtype=np.float64).dtype == np.float64


def test_dirac_groups_by_hand():
    w = init.dirac((6, 4, 3), groups=2)
    expected = np.zeros((6, 4, 3), dtype=np.float32)
    for g in range(2):
        for d in range(3):  # min(6 // 2, 4) channels per group
            expected[g * 3 + d, d, 1] = 1
    np.testing.assert_array_equal(w, expected)


@pytest.mark.parametrize("shape", [(8, 8, 3, 3), (8, 4, 2, 5), (4, 8, 3, 3, 3)])
def test_dirac_passes_channels_through(shape):
    w = init.dirac(shape)
    n = min(shape[0], shape[1])
    assert w.sum() == n
    centre = tuple(k // 2 for k in shape[2:])
    for d in range(n):
        assert w[(d, d, *centre)] == 1


def test_dirac_keras_layout_moves_axes():
    torch_k = init.dirac((6, 4, 3, 3), groups=2)
    keras_k = init.dirac((3, 3, 4, 6), groups=2, layout="keras")
    np.testing.assert_array_equal(keras_k, np.transpose(torch_k, (2, 3, 1, 0)))


@pytest.mark.parametrize(
    ("rows", "sparsity"), [(10, 0.25), (10, 0.3), (7, 0.0), (7, 1.0), (33, 0.1)]
)
def test_sparse_zeros_per_column(rows, sparsity):
    w = init.sparse((rows, 500), sparsity, rng=12, dtype=np.float64)
    # torch's count: ceil, so 0.3 * 10 = 3.0000000000000004 gives 4 zeros, as in torch.
    np.testing.assert_array_equal((w == 0).sum(axis=0), math.ceil(sparsity * rows))


def test_sparse_zero_rows_are_uniform_and_the_rest_normal():
    rows, cols, k, std = 10, 20_000, 3, 0.05
    w = init.sparse((rows, cols), 0.3 - 1e-12, std=std, rng=13, dtype=np.float64)
    zeros_per_row = (w == 0).sum(axis=1)
    # Each row is one of the k zeros of a column with probability k / rows, independently
    # over columns: a binomial count per row.
    p = k / rows
    assert np.all(np.abs(zeros_per_row - cols * p) <= 6 * math.sqrt(cols * p * (1 - p)))
    assert_second_moment(w[w != 0], std**2)


def test_sparse_columns_differ():
    w = init.sparse((50, 40), 0.5, rng=14)
    patterns = {tuple(np.flatnonzero(w[:, j] == 0)) for j in range(40)}
    assert len(patterns) == 40  # 40 draws among C(50, 25) ≈ 1.3e14 subsets


def test_constant_broadcasts_an_array_value():
    bias = np.array([0.5, -1.0, 2.0])
    np.testing.assert_array_equal(
        init.constant((4, 3), bias, dtype=np.float64), np.tile(bias, (4, 1))
    )
    values = np.random.default_rng(0).random((3, 3))
    out = init.constant((3, 3), values)
    np.testing.assert_array_equal(out, values.astype(np.float32))
    assert out.flags.c_contiguous and out.flags.writeable


def test_constant_array_warns_only_when_all_values_are_equal():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.constant((4, 3), [1.0, 2.0, 3.0])  # distinct units: no symmetry
    with pytest.warns(UserWarning, match="with the constant 0.5"):
        init.constant((4, 3), [0.5, 0.5, 0.5])


@pytest.mark.parametrize("gain", [1.0, 2.5, -1.0])
def test_eye_gain(gain):
    np.testing.assert_array_equal(
        init.eye((3, 5), gain=gain, dtype=np.float64), gain * np.eye(3, 5)
    )
    np.testing.assert_array_equal(init.eye_(np.empty((4, 2)), gain=gain), gain * np.eye(4, 2))


def keras_compute_fans(shape, input_axes=None, output_axes=None):
    """Keras 3's compute_fans (keras/src/initializers/random_initializers.py), as written."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((), None),
        ((7,), None),
        ((300,), None),
        ((20, 30), None),
        ((3, 3, 16, 32), None),
        ((32, 4, 16), ([0], [1, 2])),
        ((32, 4, 16), ([0, 1], [2])),
    ],
)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_uses_keras_fans(shape, axes, mode):
    fan_in, fan_out = keras_compute_fans(shape, *(axes or (None, None)))
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    bound = math.sqrt(3 * 2.0 / max(1.0, fan))
    input_axes, output_axes = axes or (None, None)
    gen = np.random.default_rng(15)
    # Enough draws of a small shape (one Generator, advanced) to see the bound.
    draws = np.stack(
        [
            init.variance_scaling(
                shape,
                scale=2.0,
                mode=mode,
                distribution="uniform",
                layout="keras",
                input_axes=input_axes,
                output_axes=output_axes,
                rng=gen,
                dtype=np.float64,
            )
            for _ in range(max(1, 20_000 // max(1, math.prod(shape))))
        ]
    )
    assert_uniform_bound(draws, bound)
    assert_second_moment(draws, bound**2 / 3, mu4_over_var2=9 / 5)


def test_variance_scaling_keras_fan_rule_below_two_dims_and_zero_size():
    # A vector's fans are its length in both layouts, a scalar's 1 (Keras); zero-size is empty.
    for layout in ("torch", "keras"):
        w = init.variance_scaling(400_000, distribution="uniform", layout=layout, rng=0)
        assert_uniform_bound(w, math.sqrt(3 / 400_000))
    assert init.variance_scaling((), distribution="uniform", scale=0.25, rng=0).shape == ()
    assert abs(float(init.variance_scaling((), distribution="uniform", scale=0.25, rng=0))) <= (
        math.sqrt(0.75)
    )
    assert init.variance_scaling((0, 5), rng=0).shape == (0, 5)


def test_variance_scaling_legacy_normal_is_truncated_and_names_are_case_insensitive():
    a = init.variance_scaling((30, 40), distribution="normal", rng=3)
    b = init.variance_scaling((30, 40), distribution="truncated_normal", rng=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        init.variance_scaling((30, 40), distribution="Uniform", mode="FAN_AVG", rng=3),
        init.variance_scaling((30, 40), distribution="uniform", mode="fan_avg", rng=3),
    )


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: init.kaiming_normal((3, 4), mode="fan_avg"),
            ValueError,
            "kaiming_normal: Invalid `mode` argument: mode must be 'fan_in' or 'fan_out', "
            "got 'fan_avg'",
        ),
        (lambda: init.kaiming_uniform((3, 4), mode="in"), ValueError, "got 'in'"),
        (lambda: init.variance_scaling((3, 4), mode="avg"), ValueError, "fan_avg"),
        (lambda: init.he_normal((3, 4), nonlinearity="gelu"), ValueError, "Unsupported"),
        (lambda: init.he_uniform((3, 4), a="0.1"), ValueError, "not a valid number"),
        (lambda: init.xavier_uniform(5), ValueError, "fewer than 2 dimensions"),
        (lambda: init.lecun_normal((7,)), ValueError, "fewer than 2 dimensions"),
        (lambda: init.orthogonal(5), ValueError, "2 or more dimensions"),
        (lambda: init.he_normal((0, 4)), ValueError, "zero-size"),
        (lambda: init.xavier_normal((4, 3, 0)), ValueError, "zero-size"),
        (lambda: init.he_normal((3, 4), dtype=np.int32), TypeError, "dtype"),
        (lambda: init.uniform((3, 4), dtype="int64"), TypeError, "dtype"),
        (lambda: init.zeros(3, dtype=np.complex64), TypeError, "dtype"),
        (lambda: init.normal(3, dtype="no such dtype"), TypeError, "dtype"),
        (lambda: init.he_normal((3, 4), rng=1.5), TypeError, "rng"),
        (lambda: init.he_normal((3, 4), rng="0"), TypeError, "rng"),
        (lambda: init.he_normal((3, 4), rng=True), TypeError, "rng"),
        (lambda: init.he_normal((3, 4), rng=np.random.RandomState(0)), TypeError, "rng"),
        (lambda: init.he_normal((3, 4), rng=-1), ValueError, "rng"),
        (lambda: init.he_normal((3, 4), layout="nhwc"), ValueError, "layout"),
        (lambda: init.orthogonal((3, 4), layout="nhwc"), ValueError, "layout"),
        (lambda: init.dirac((3, 4, 3), layout="nhwc"), ValueError, "layout"),
        (lambda: init.variance_scaling((3, 4), distribution="gauss"), ValueError, "distribution"),
        (lambda: init.variance_scaling((3, 4), input_axes=[0]), ValueError, "together"),
        (
            lambda: init.variance_scaling((3, 4), input_axes=[0], output_axes=[2]),
            ValueError,
            "output_axes",
        ),
        (lambda: init.sparse((3, 4, 5), 0.1), ValueError, "2 dimensions"),
        (lambda: init.sparse((3, 4), 1.5), ValueError, r"sparsity must be in \[0, 1\]"),
        (lambda: init.sparse((3, 4), -0.1), ValueError, "sparsity"),
        (lambda: init.sparse((3, 4), 0.1, std=-1.0), ValueError, "std >= 0"),
        (lambda: init.sparse((3, 4), "0.1"), TypeError, "sparsity"),
        (lambda: init.constant((2, 3), [1.0, 2.0]), ValueError, "does not broadcast"),
        (lambda: init.constant(3, [1.0, math.nan, 2.0]), ValueError, "NaN"),
        (lambda: init.constant(3, ["a", "b", "c"]), TypeError, "real numbers"),
        (lambda: init.eye((3, 3), gain="2"), TypeError, "gain"),
        (lambda: init.variance_scaling((3, 4), scale=0.0), ValueError, "scale"),
        (lambda: init.eye((3, 4, 5)), ValueError, "2 dimensions"),
        (lambda: init.eye(3), ValueError, "2 dimensions"),
        (lambda: init.dirac((3, 4)), ValueError, "3, 4, or 5 dimensions"),
        (lambda: init.dirac((3, 4, 3, 3, 3, 3)), ValueError, "3, 4, or 5 dimensions"),
        (lambda: init.dirac((6, 4, 3), groups=4), ValueError, "divisible by groups"),
        (lambda: init.dirac((6, 4, 3), groups=0), ValueError, "groups"),
        (lambda: init.trunc_normal(3, a=1.0, b=1.0), ValueError, "a < b"),
        (lambda: init.trunc_normal(3, std=0.0), ValueError, "std > 0"),
        (lambda: init.trunc_normal(3, bounds="sigma"), ValueError, "bounds"),
        (lambda: init.uniform(3, low=1.0, high=0.0), ValueError, "low <= high"),
        (lambda: init.normal(3, std=-1.0), ValueError, "std >= 0"),
        (lambda: init.xavier_uniform((3, 4), gain="2"), TypeError, "gain"),
        (lambda: init.normal((3, 1.5)), TypeError, "shape"),
        (lambda: init.normal("34"), TypeError, "shape"),
        (lambda: init.normal((3, -1)), ValueError, "negative"),
        (lambda: init.normal((3, True)), TypeError, "shape"),
        (lambda: init.normal(1.5), TypeError, "shape"),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: init.he_normal((3,)), "kaiming_normal"),  # he_normal is kaiming_normal
        (lambda: init.xavier_uniform_(np.empty(5)), "xavier_uniform_"),
        (lambda: init.zeros_(np.empty(3, dtype=int)), "zeros_"),  # zeros_ -> zeros -> constant
        (lambda: init.zeros_(np.empty((2, 3)), 0.5), "zeros_"),  # a binding error
        (lambda: init.uniform_(np.empty(3), 0.0, 1.0, low=0.0), "uniform_"),
        (lambda: init.constant_(np.empty(3)), "constant_"),
        (lambda: init.compute_fans((3,)), "compute_fans"),
        (lambda: init.calculate_gain("gelu"), "calculate_gain"),
        (lambda: init.get_initializer("glorot"), "get_initializer"),
        (lambda: init.get_initializer("xavier_uniform", std=1.0), "get_initializer"),
        (lambda: init.get_initializer("normal")((3, -1)), "initializer 'normal'"),
        (lambda: init.sparse_(np.empty((3, 4, 2)), 0.5, rng=0), "sparse_"),
        (lambda: init.eye_(np.empty(4)), "eye_"),
    ],
)
def test_every_refusal_names_the_function(call, name):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{name}: "), message
    # Only the function called names itself, not the ones it calls (zeros, constant).
    assert not message[len(name) + 2 :].startswith(tuple(n + ":" for n in init.__all__))


def test_shape_may_be_int_list_or_numpy_ints():
    assert init.normal(5, rng=0).shape == (5,)
    assert init.he_normal([3, np.int64(4)], rng=0).shape == (3, 4)


# ----------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("name", RANDOM_SCHEMES)
def test_same_seed_same_array(name):
    generator = init.get_initializer(name, **SCHEME_CASES[name][1])
    a = generator((20, 30), rng=123)
    b = generator((20, 30), rng=123)
    c = generator((20, 30), rng=124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_generator_is_advanced_and_seed_equals_fresh_generator():
    gen = np.random.default_rng(5)
    first = init.he_normal((20, 30), rng=gen)
    second = init.he_normal((20, 30), rng=gen)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, init.he_normal((20, 30), rng=5))
    np.testing.assert_array_equal(init.he_normal((20, 30), rng=np.random.SeedSequence(5)), first)


def test_samples_are_drawn_in_the_requested_dtype():
    u32 = init.uniform((10, 10), rng=0)
    np.testing.assert_array_equal(u32, np.random.default_rng(0).random((10, 10), dtype=np.float32))
    u64 = init.uniform((10, 10), rng=0, dtype=np.float64)
    np.testing.assert_array_equal(u64, np.random.default_rng(0).random((10, 10)))
    z = init.normal((10, 10), rng=0, dtype=np.float32)
    np.testing.assert_array_equal(
        z, np.random.default_rng(0).standard_normal((10, 10), dtype=np.float32)
    )
    assert init.he_normal((10, 10), rng=0, dtype=np.float16).dtype == np.float16


# ----------------------------------------------------------------------------- in-place twins


def twin_of(name):
    return getattr(init, name + "_")


@pytest.mark.parametrize("name", init.SCHEMES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_twin_fills_array_in_place(name, order):
    shape, kwargs = call_kwargs(name)
    x = np.full(shape, np.nan, dtype=np.float64, order=order)
    out = twin_of(name)(x, **kwargs)
    assert out is x
    np.testing.assert_array_equal(x, getattr(init, name)(shape, dtype=np.float64, **kwargs))


@pytest.mark.parametrize("name", init.SCHEMES)
def test_twin_fills_strided_view_of_the_original(name):
    shape, kwargs = call_kwargs(name)
    base = np.full((*shape[:-1], 2 * shape[-1]), 7.0, dtype=np.float32)
    view = base[..., ::2]
    assert not view.flags.c_contiguous
    assert twin_of(name)(view, **kwargs) is view
    np.testing.assert_array_equal(base[..., ::2], getattr(init, name)(shape, **kwargs))
    assert (base[..., 1::2] == 7.0).all()


def test_twin_keeps_float16_and_transposed_views():
    x = np.zeros((10, 20), dtype=np.float16)
    init.xavier_uniform_(x, rng=0)
    np.testing.assert_array_equal(x, init.xavier_uniform((10, 20), rng=0, dtype=np.float16))
    base = np.zeros((20, 10))
    init.he_normal_(base.T, rng=1)  # a (10, 20) view: fans from the view's shape
    np.testing.assert_array_equal(base.T, init.he_normal((10, 20), rng=1, dtype=np.float64))


def test_twin_bad_targets():
    with pytest.raises(TypeError, match="dtype"):
        init.he_normal_(np.zeros((3, 4), dtype=np.int64), rng=0)
    with pytest.raises(TypeError, match="ndarray"):
        init.he_normal_([[0.0] * 4] * 3, rng=0)
    frozen = np.zeros((3, 4))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        init.he_normal_(frozen, rng=0)
    with pytest.raises(TypeError, match="too many positional"):
        init.he_normal_(np.zeros((3, 4)), 0.1, "fan_in", "relu", None, "torch")
    with pytest.raises(TypeError):
        init.he_normal_(np.zeros((3, 4)), dtype=np.float64)  # dtype comes from x


def test_twin_signatures_drop_shape_and_dtype():
    for name in init.SCHEMES:
        params = inspect.signature(twin_of(name)).parameters
        assert next(iter(params)) == "x"
        assert "shape" not in params and "dtype" not in params
        assert twin_of(name).__doc__.count("Examples") == 1


# ----------------------------------------------------------------------------- symmetry warning


@pytest.mark.parametrize(
    "call",
    [
        lambda: init.zeros((3, 4)),
        lambda: init.ones((3, 4, 2)),
        lambda: init.constant((3, 4), 0.1),
        lambda: init.zeros_(np.empty((3, 4))),
        lambda: init.constant_(np.empty((3, 4)), 0.1),
        lambda: init.get_initializer("zeros")((3, 4)),
    ],
)
def test_symmetry_warning_on_weight_arrays(call):
    with pytest.warns(UserWarning, match="same function and receive the same gradient") as rec:
        call()
    # The warning points at the caller, not at fastinit's internals.
    assert rec[0].filename == __file__


@pytest.mark.parametrize(
    "call",
    [
        lambda: init.zeros(4),
        lambda: init.constant(4, 0.1),
        lambda: init.ones_(np.empty(4)),
        lambda: init.zeros((3, 4), warn_symmetry=False),
        lambda: init.constant_(np.empty((3, 4)), 0.1, warn_symmetry=False),
        lambda: init.eye((3, 4)),
        lambda: init.dirac((3, 4, 3)),
    ],
)
def test_no_symmetry_warning_for_biases_or_when_silenced(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call()


# ----------------------------------------------------------------------------- registry


def test_registry_names():
    assert init.SCHEMES == tuple(SCHEME_CASES)
    for name in init.SCHEMES:
        assert callable(getattr(init, name))


@pytest.mark.parametrize("name", init.SCHEMES)
def test_get_initializer_matches_generator(name):
    shape, kwargs = SCHEME_CASES[name]
    init_fn = init.get_initializer(name, **kwargs)
    expected_kwargs = dict(kwargs, rng=3) if name in RANDOM_SCHEMES else kwargs
    out = init_fn(shape, rng=3, dtype=np.float64, layout="torch")
    np.testing.assert_array_equal(
        out, getattr(init, name)(shape, dtype=np.float64, **expected_kwargs)
    )


def test_get_initializer_passes_layout_and_binds_params():
    he = init.get_initializer("he_normal")
    np.testing.assert_array_equal(
        he((784, 256), layout="keras", rng=0), init.he_normal((784, 256), layout="keras", rng=0)
    )
    small = init.get_initializer("normal", std=0.01)
    np.testing.assert_array_equal(small((5, 6), rng=1), init.normal((5, 6), std=0.01, rng=1))
    with pytest.raises(ValueError, match="layout"):
        small((5, 6), layout="nhwc")


def test_get_initializer_errors():
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot'.*he_normal"):
        init.get_initializer("glorot")
    with pytest.raises(TypeError, match="std"):
        init.get_initializer("xavier_uniform", std=0.1)
    with pytest.raises(TypeError, match="rng"):
        init.get_initializer("he_normal", rng=0)


# ----------------------------------------------------------------------------- module hygiene


def test_module_imports_with_numpy_only():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('fi_init', {init.__file__!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "module.he_normal_(module.np.zeros((3, 4)), rng=0)\n"
        "print(sorted(m for m in ('torch', 'scipy', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api_documented():
    for name in init.__all__:
        obj = getattr(init, name)
        if callable(obj) and name != "Initializer":
            doc = inspect.getdoc(obj)
            assert "Parameters" in doc and "Examples" in doc, name
            assert "$" not in doc, name


def test_docstring_examples_run():
    result = doctest.testmod(init, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 50 and result.failed == 0


# ----------------------------------------------------------------------------- Glorot/He anchor


def _relu_stack_second_moment_log2_ratio(generator, **kwargs):
    rng = np.random.default_rng(2024)
    x = rng.standard_normal((256, 512))
    h = x
    for _ in range(30):
        w = generator((512, 512), rng=rng, dtype=np.float64, **kwargs)
        h = np.maximum(h @ w.T, 0.0)
    return math.log2(np.mean(h * h) / np.mean(x * x))


def test_he_preserves_second_moment_through_30_relu_layers():
    ratio = _relu_stack_second_moment_log2_ratio(init.he_normal, nonlinearity="relu")
    assert abs(ratio) < 1.0  # within a factor 2


def test_xavier_halves_second_moment_per_relu_layer():
    # On a square layer Var(W) = 1/n, so E[pre²] = E[h²] and ReLU keeps half: 2^-1 per layer.
    ratio = _relu_stack_second_moment_log2_ratio(init.xavier_normal)
    assert -33 < ratio < -27


# ----------------------------------------------------------------------------- torch parity


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize(
    "nonlinearity",
    [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "selu",
    ],
)
@pytest.mark.parametrize("param", [None, 0, 0.2, 1, 3.5])
def test_gain_matches_torch(torch, nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


@pytest.mark.parametrize("param", ["x", True])
def test_gain_errors_match_torch(torch, param):
    with pytest.raises(ValueError, match="not a valid number") as ours:
        init.calculate_gain("leaky_relu", param)
    with pytest.raises(ValueError, match="not a valid number") as theirs:
        torch.nn.init.calculate_gain("leaky_relu", param)
    assert str(ours.value) == f"calculate_gain: {theirs.value}"


TORCH_SHAPES = [(30, 20), (16, 8, 5), (64, 3, 5, 5), (32, 16, 3, 3, 3)]


@pytest.mark.parametrize("shape", TORCH_SHAPES)
def test_fans_match_torch(torch, shape):
    t = torch.empty(shape)
    assert init.compute_fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(t)


@pytest.mark.parametrize("shape", TORCH_SHAPES)
def test_std_helpers_match_torch_formulas(torch, shape):
    from fastinit.init import _kaiming_std, _xavier_std

    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    for gain in (1.0, 5 / 3):
        assert _xavier_std(shape, gain, "torch") == pytest.approx(
            gain * math.sqrt(2.0 / (fan_in + fan_out)), rel=1e-14
        )
    for nonlinearity, a in (("leaky_relu", 0), ("leaky_relu", 0.2), ("relu", 0), ("tanh", 0)):
        for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
            expected = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
            assert _kaiming_std(shape, a, mode, nonlinearity, "torch") == pytest.approx(
                expected, rel=1e-14
            )


# Each pair fills with torch and with us; both samples must fit the std/bound we compute.
TORCH_SCHEME_CASES = [
    ("xavier_uniform", "uniform", {}),
    ("xavier_uniform", "uniform", {"gain": 2.0}),
    ("xavier_normal", "normal", {}),
    ("kaiming_uniform", "uniform", {}),
    ("kaiming_uniform", "uniform", {"a": 0.3, "mode": "fan_out"}),
    ("kaiming_normal", "normal", {"nonlinearity": "relu"}),
    ("kaiming_normal", "normal", {"mode": "fan_out", "nonlinearity": "tanh"}),
]


@pytest.mark.parametrize(("name", "kind", "kwargs"), TORCH_SCHEME_CASES)
@pytest.mark.parametrize("shape", [(256, 400), (64, 32, 5, 5)])
def test_schemes_match_torch_samples(torch, name, kind, kwargs, shape):
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name + "_")(torch.empty(shape, dtype=torch.float64), **kwargs)
    ours = getattr(init, name)(shape, rng=0, dtype=np.float64, **kwargs)
    fan_in, fan_out = init.compute_fans(shape)
    if name.startswith("xavier"):
        std = kwargs.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    else:
        fan = fan_in if kwargs.get("mode", "fan_in") == "fan_in" else fan_out
        gain = init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
        std = gain / math.sqrt(fan)
    for sample in (theirs.numpy(), ours):
        if kind == "uniform":
            assert_uniform_bound(sample, math.sqrt(3.0) * std)
            assert_second_moment(sample, std**2, mu4_over_var2=9 / 5)
        else:
            assert_second_moment(sample, std**2)


def test_trunc_normal_matches_torch(torch):
    torch.manual_seed(0)
    n = 200_000
    theirs = torch.nn.init.trunc_normal_(torch.empty(n, dtype=torch.float64), 0.5, 2.0, -1.0, 3.0)
    ours = init.trunc_normal(n, mean=0.5, std=2.0, a=-1.0, b=3.0, rng=0, dtype=np.float64)
    exp_mean, exp_var = truncated_normal_moments(0.5, 2.0, -1.0, 3.0)
    for sample in (theirs.numpy(), ours):
        assert sample.min() >= -1.0 and sample.max() <= 3.0
        assert abs(sample.mean() - exp_mean) <= 6 * math.sqrt(exp_var / n)
        assert abs(sample.var() - exp_var) <= 6 * exp_var * math.sqrt(2 / n)


@pytest.mark.parametrize(
    ("shape", "groups"), [((6, 4, 3), 2), ((8, 8, 3, 3), 1), ((4, 6, 3, 2, 5), 2)]
)
def test_dirac_equals_torch(torch, shape, groups):
    theirs = torch.nn.init.dirac_(torch.empty(shape), groups=groups).numpy()
    np.testing.assert_array_equal(init.dirac(shape, groups=groups), theirs)


def test_deterministic_schemes_equal_torch(torch):
    for shape in [(3, 5), (5, 3)]:
        np.testing.assert_array_equal(
            init.eye(shape), torch.nn.init.eye_(torch.empty(shape)).numpy()
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(
            init.constant((3, 4), 0.3), torch.nn.init.constant_(torch.empty(3, 4), 0.3).numpy()
        )


def test_orthogonal_like_torch(torch):
    theirs = torch.nn.init.orthogonal_(torch.empty(16, 8, 3, 3), gain=2.0).reshape(16, -1)
    ours = init.orthogonal((16, 8, 3, 3), gain=2.0, rng=0).reshape(16, -1)
    for flat in (theirs.double().numpy(), ours.astype(np.float64)):
        np.testing.assert_allclose(flat @ flat.T, 4.0 * np.eye(16), atol=1e-5)


@pytest.mark.parametrize(
    ("torch_dtype", "np_dtype"),
    [("float32", np.float32), ("float64", np.float64), ("float16", np.float16)],
)
@pytest.mark.parametrize("name", init.SCHEMES)
def test_twin_on_tensor_keeps_dtype_and_equals_numpy(torch, name, torch_dtype, np_dtype):
    shape, kwargs = call_kwargs(name)
    t = torch.full(shape, float("nan"), dtype=getattr(torch, torch_dtype))
    out = twin_of(name)(t, **kwargs)
    assert out is t
    assert t.dtype == getattr(torch, torch_dtype) and t.device.type == "cpu"
    expected = twin_of(name)(np.empty(shape, dtype=np_dtype), **kwargs)
    np.testing.assert_array_equal(t.numpy(), expected)


def test_twin_on_bfloat16_tensor(torch):
    t = torch.empty(6, 10, dtype=torch.bfloat16)
    init.he_normal_(t, rng=0)
    assert t.dtype == torch.bfloat16
    expected = torch.from_numpy(init.he_normal((6, 10), rng=0)).to(torch.bfloat16)
    assert torch.equal(t, expected)


def test_twin_on_parameter_and_linear_weight(torch):
    p = torch.nn.Parameter(torch.empty(8, 4, dtype=torch.float64))
    assert init.he_normal_(p, rng=0) is p
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    np.testing.assert_array_equal(
        p.detach().numpy(), init.he_normal((8, 4), rng=0, dtype=np.float64)
    )
    lin = torch.nn.Linear(784, 256)
    init.xavier_uniform_(lin.weight, rng=1)
    np.testing.assert_array_equal(
        lin.weight.detach().numpy(), init.xavier_uniform((256, 784), rng=1)
    )
    init.zeros_(lin.bias)  # 1-D: no warning, filled in place
    assert not lin.bias.detach().any()
    (lin(torch.ones(1, 784)).sum()).backward()  # the parameter still trains
    assert lin.weight.grad is not None


def test_twin_on_strided_tensor_view(torch):
    base = torch.full((8, 20), 7.0)
    view = base[:, ::2]
    init.kaiming_uniform_(view, rng=2)
    np.testing.assert_array_equal(base[:, ::2].numpy(), init.kaiming_uniform((8, 10), rng=2))
    assert (base[:, 1::2] == 7.0).all()


def test_twin_on_tensor_errors_and_warning(torch):
    with pytest.raises(TypeError, match="floating"):
        init.he_normal_(torch.zeros(3, 4, dtype=torch.int64), rng=0)
    with pytest.warns(UserWarning, match="same gradient"):
        init.zeros_(torch.empty(3, 4))
