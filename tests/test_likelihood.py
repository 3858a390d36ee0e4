"""Partition function and log-likelihood: exact enumeration, AIS, log_likelihood, fit monitors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sklearn.datasets import load_digits

from fastinit import RBM, _core, likelihood
from fastinit.likelihood import (
    EXACT_MAX_UNITS,
    LogPartition,
    ais_interval,
    log_partition,
    salakhutdinov_murray_betas,
)

LOG_2PI = math.log(2 * math.pi)


# ------------------------------------------------------------------ NumPy references (float64)


def states(n: int) -> np.ndarray:
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def logsumexp(x: np.ndarray, axis=None) -> np.ndarray:
    top = np.max(x, axis=axis, keepdims=True)
    out = top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis) if axis is not None else out.item()


def params64(rbm: RBM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        rbm.components_.astype(np.float64),
        rbm.intercept_visible_.astype(np.float64),
        rbm.intercept_hidden_.astype(np.float64),
    )


def brute_log_z_bernoulli(W: np.ndarray, a: np.ndarray, c: np.ndarray) -> float:
    """log sum over every joint state (v, h) of exp(v.a + h.c + h.W v)."""
    v, h = states(W.shape[1]), states(W.shape[0])
    neg_energy = (v @ a)[:, None] + (h @ c)[None, :] + v @ W.T @ h.T
    return logsumexp(neg_energy)


def brute_log_joint_marginal(W, a, c, X) -> np.ndarray:
    """log sum_h exp(-E(x, h)) for each row x (Bernoulli), by enumerating h."""
    h = states(W.shape[0])
    neg_energy = (X @ a)[:, None] + (h @ c)[None, :] + X @ W.T @ h.T
    return logsumexp(neg_energy, axis=1)


def gaussian_log_z_over_h(W, a, c) -> float:
    """Integrate v out of exp(-|v - a|^2 / 2 + h.c + h.W v) in closed form, sum over h."""
    h = states(W.shape[0])
    mean = a[None, :] + h @ W  # the Gaussian's centre for each h
    terms = h @ c + 0.5 * np.sum(mean**2, axis=1) - 0.5 * a @ a
    return logsumexp(terms) + 0.5 * W.shape[1] * LOG_2PI


def gaussian_log_z_quadrature(W, a, c, half_width=14.0, n=2001) -> float:
    """Riemann sum of sum_h exp(-E(v, h)) over a grid of v (1 or 2 visible units)."""
    grid = np.linspace(-half_width, half_width, n)
    step = grid[1] - grid[0]
    V = W.shape[1]
    v = grid[:, None] if V == 1 else np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)
    h = states(W.shape[0])
    neg_energy = (-0.5 * np.sum((v - a) ** 2, axis=1))[:, None] + (h @ c)[None, :] + v @ W.T @ h.T
    return logsumexp(neg_energy) + V * math.log(step)


def random_rbm(n_visible, n_hidden, scale=0.5, seed=0, visible="bernoulli") -> RBM:
    rng = np.random.default_rng(seed)
    return RBM.from_weights(
        rng.normal(0, scale, (n_hidden, n_visible)),
        rng.normal(-0.5, 1.0, n_visible),
        rng.normal(0, 1.0, n_hidden),
        visible=visible,
        random_state=0,
    )


@pytest.fixture(scope="module")
def digits_binary() -> np.ndarray:
    return (load_digits().data / 16.0 > 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def trained_16(digits_binary) -> RBM:
    return RBM(64, 16, n_iter=30, random_state=0).fit(digits_binary)


# ------------------------------------------------------------------ exact log Z


@pytest.mark.parametrize("n_hidden,n_visible", [(3, 8), (8, 3), (5, 5), (1, 11), (11, 1)])
def test_exact_matches_joint_enumeration_bernoulli(n_hidden, n_visible):
    rbm = random_rbm(n_visible, n_hidden, scale=1.5, seed=n_hidden * 31 + n_visible)
    expected = brute_log_z_bernoulli(*params64(rbm))
    result = rbm.log_partition("exact")
    assert result.method == "exact"
    assert result.log_z == result.lower == result.upper
    assert result.log_z == pytest.approx(expected, abs=2e-6)
    # The enumerated layer is the smaller one (hidden on a tie).
    assert _core.exact_sums_hidden(
        rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_, "bernoulli"
    ) == (n_hidden <= n_visible)


def test_exact_both_orientations_agree_on_square_model():
    """Summing over h (W) and over v (W transposed, roles swapped) give the same Z."""
    rbm = random_rbm(9, 9, scale=1.0, seed=3)
    W, a, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    over_h = _core.exact_log_partition(W, a, c, "bernoulli", 1)
    # The transposed model has the same joint distribution with the layers exchanged; one more
    # hidden unit without weights or bias doubles Z and makes the visible layer the smaller.
    tall = np.ascontiguousarray(np.vstack([W.T, np.zeros((1, 9), np.float32)]))
    c_tall = np.append(a, 0).astype(np.float32)
    assert not _core.exact_sums_hidden(tall, c, c_tall, "bernoulli")
    over_v = _core.exact_log_partition(tall, c, c_tall, "bernoulli", 1)
    assert over_v - math.log(2) == pytest.approx(over_h, abs=1e-6)


def test_exact_gaussian_closed_form_over_h():
    rbm = random_rbm(7, 6, scale=0.4, seed=5, visible="gaussian")
    assert rbm.log_partition("exact").log_z == pytest.approx(
        gaussian_log_z_over_h(*params64(rbm)), abs=1e-7
    )


@pytest.mark.parametrize("n_visible,n_hidden", [(1, 3), (2, 4)])
def test_exact_gaussian_matches_numerical_integration(n_visible, n_hidden):
    rbm = random_rbm(n_visible, n_hidden, scale=0.8, seed=n_visible, visible="gaussian")
    W, a, c = params64(rbm)
    n = 4001 if n_visible == 1 else 561
    expected = gaussian_log_z_quadrature(W, a, c, n=n)
    assert gaussian_log_z_over_h(W, a, c) == pytest.approx(expected, abs=1e-8)
    assert rbm.log_partition("exact").log_z == pytest.approx(expected, abs=1e-6)


def test_exact_gaussian_always_sums_the_hidden_layer():
    # 3 visible, 12 hidden: for Bernoulli units the visible layer would be enumerated.
    rbm = random_rbm(3, 12, scale=0.3, seed=8, visible="gaussian")
    assert not _core.exact_sums_hidden(
        rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_, "bernoulli"
    )
    assert rbm.log_partition("exact").log_z == pytest.approx(
        gaussian_log_z_over_h(*params64(rbm)), abs=1e-6
    )


def test_exact_is_thread_count_independent():
    rbm = random_rbm(40, 17, scale=0.5, seed=2)
    args = (rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_, "bernoulli")
    assert _core.exact_log_partition(*args, 1) == _core.exact_log_partition(*args, 2)


def test_exact_refuses_too_large_layers_naming_the_limit():
    assert EXACT_MAX_UNITS == 30
    rbm = random_rbm(31, 31, scale=0.1)
    with pytest.raises(ValueError, match=r"limited to 30 units.*31 visible and 31 hidden"):
        rbm.log_partition("exact")
    gaussian = random_rbm(4, 31, scale=0.1, visible="gaussian")
    with pytest.raises(ValueError, match=r"hidden layer.*limited to 30 units"):
        gaussian.log_partition("exact")
    # 31 x 30 is fine: the 30-unit layer is enumerated (checked by the size rule, not run).
    assert likelihood.summed_layer_size(31, 30, "bernoulli") == 30


def test_auto_picks_exact_up_to_20_units():
    assert likelihood.AUTO_EXACT_MAX_UNITS == 20
    assert random_rbm(50, 20).log_partition().method == "exact"
    assert random_rbm(20, 50).log_partition().method == "exact"
    assert random_rbm(30, 21).log_partition(n_betas=10, n_chains=2).method == "ais"
    assert random_rbm(3, 21, visible="gaussian").log_partition(n_betas=10).method == "ais"


# ------------------------------------------------------------------ AIS


def test_salakhutdinov_murray_schedule():
    betas = salakhutdinov_murray_betas()
    assert betas.shape == (14501,)
    assert betas[0] == 0.0 and betas[-1] == 1.0 and np.all(np.diff(betas) > 0)
    steps = np.diff(betas)
    assert np.allclose(steps[:500], 0.5 / 500)
    assert np.allclose(steps[500:4500], 0.4 / 4000)
    assert np.allclose(steps[4500:], 0.1 / 10000)
    short = salakhutdinov_murray_betas(1000)
    assert short.shape == (1001,) and short[34] == 0.5 and short[310] == 0.9
    assert np.array_equal(salakhutdinov_murray_betas(2), [0.0, 0.5, 1.0])
    custom = salakhutdinov_murray_betas(10, breakpoints=(0.2,), steps=(1, 4))
    assert custom[2] == pytest.approx(0.2) and custom.shape == (11,)
    with pytest.raises(ValueError, match="n_betas"):
        salakhutdinov_murray_betas(1)
    with pytest.raises(ValueError, match="breakpoints"):
        salakhutdinov_murray_betas(100, breakpoints=(0.9, 0.5))
    with pytest.raises(ValueError, match="steps"):
        salakhutdinov_murray_betas(100, steps=(1, 2))


def test_ais_interval_is_stable_and_handles_uneven_weights():
    assert ais_interval(np.zeros(5), 3.0)[:3] == (3.0, 3.0, 3.0)
    # Huge log weights: no overflow, shift-invariant.
    lw = np.array([1e4, 1e4 + 0.5, 1e4 - 0.3])
    log_z, lower, upper, ess = ais_interval(lw)
    ref = ais_interval(lw - 1e4)
    assert log_z - 1e4 == pytest.approx(ref[0]) and upper - 1e4 == pytest.approx(ref[2])
    assert lower < log_z < upper and 1 <= ess <= 3
    # One chain dominates: mean - 3 SE <= 0, so the lower bound is -inf.
    log_z, lower, upper, ess = ais_interval(np.array([0.0, -50.0, -50.0, -50.0]))
    assert lower == -math.inf and math.isfinite(upper) and ess == pytest.approx(1.0)
    assert ais_interval(np.array([2.0]))[1:3] == (-math.inf, math.inf)


@pytest.mark.parametrize(
    "n_visible,n_hidden,scale,n_betas",
    [(64, 10, 0.5, 3000), (40, 20, 0.5, 3000), (64, 14, 1.0, 10000)],
)
def test_ais_agrees_with_exact_on_random_models(n_visible, n_hidden, scale, n_betas):
    # Standard errors at these settings: about 0.01, 0.01 and 0.03 nats.
    rbm = random_rbm(n_visible, n_hidden, scale=scale, seed=n_hidden)
    exact = rbm.log_partition("exact").log_z
    ais = rbm.log_partition("ais", n_chains=100, n_betas=n_betas, random_state=1)
    assert ais.method == "ais" and ais.n_chains == 100 and ais.n_betas == n_betas
    assert abs(ais.log_z - exact) < 0.1
    assert ais.lower < ais.log_z < ais.upper


@pytest.mark.parametrize(
    "params", [dict(n_hidden=16), dict(n_hidden=20, persistent=True), dict(n_hidden=12, k=3)]
)
def test_ais_agrees_with_exact_on_trained_models(digits_binary, params):
    rbm = RBM(64, n_iter=30, random_state=0, **params).fit(digits_binary)
    exact = rbm.log_partition("exact").log_z
    for seed in (0, 1):
        ais = rbm.log_partition("ais", n_chains=100, n_betas=5000, random_state=seed)
        assert abs(ais.log_z - exact) < 0.1, (seed, ais, exact)


def test_ais_gaussian_agrees_with_exact():
    X = load_digits().data
    X = ((X - X.mean(0)) / (X.std(0) + 1.0)).astype(np.float32)
    rbm = RBM(64, 12, visible="gaussian", n_iter=10, random_state=0).fit(X)
    exact = rbm.log_partition("exact").log_z
    ais = rbm.log_partition("ais", n_chains=100, n_betas=3000, random_state=0)
    assert abs(ais.log_z - exact) < 0.1
    assert exact == pytest.approx(gaussian_log_z_over_h(*params64(rbm)), abs=1e-5)


def test_ais_interval_shrinks_as_n_betas_grows(trained_16):
    widths = [
        (lambda r: r.upper - r.lower)(
            trained_16.log_partition("ais", n_chains=100, n_betas=n, random_state=0)
        )
        for n in (30, 300, 3000)
    ]
    assert widths[0] > widths[1] > widths[2] > 0


def test_ais_is_thread_count_independent(trained_16):
    W, a, c = trained_16.components_, trained_16.intercept_visible_, trained_16.intercept_hidden_
    base = likelihood.base_visible_bias(trained_16.base_rate_, 64, "bernoulli")
    betas = salakhutdinov_murray_betas(500)
    runs = [
        _core.ais_log_partition(W, a, c, "bernoulli", base, 37, betas, 5, 1, n) for n in (1, 2, 3)
    ]
    for log_weights, log_z_base in runs[1:]:
        assert np.array_equal(log_weights, runs[0][0]) and log_z_base == runs[0][1]
    one = RBM.from_weights(W, a, c, n_jobs=1).log_partition("ais", n_betas=200, random_state=4)
    two = RBM.from_weights(W, a, c, n_jobs=2).log_partition("ais", n_betas=200, random_state=4)
    assert one == two


def test_ais_random_state_semantics(trained_16):
    first = trained_16.log_partition("ais", n_betas=100, random_state=7)
    assert trained_16.log_partition("ais", n_betas=100, random_state=7) == first
    assert trained_16.log_partition("ais", n_betas=100, random_state=8) != first
    # None continues the model's own stream: successive calls differ.
    a = trained_16.log_partition("ais", n_betas=100)
    b = trained_16.log_partition("ais", n_betas=100)
    assert a.log_z != b.log_z


def test_ais_base_rate_changes_only_efficiency(trained_16, digits_binary):
    exact = trained_16.log_partition("exact").log_z
    data = trained_16.log_partition("ais", n_betas=5000, random_state=0)
    uniform = trained_16.log_partition("ais", n_betas=5000, base_rate=np.full(64, 0.5),
                                       random_state=0)  # fmt: skip
    explicit = trained_16.log_partition(
        "ais", n_betas=5000, base_rate=digits_binary.mean(0), random_state=0
    )
    assert explicit == data  # base_rate_ holds the training data's means
    assert abs(data.log_z - exact) < 0.1
    # The uniform base is further from the model: a wider interval, still covering log Z.
    assert uniform.upper - uniform.lower > data.upper - data.lower
    assert uniform.lower - 0.02 < exact < uniform.upper + 0.02


def test_explicit_betas(trained_16):
    exact = trained_16.log_partition("exact").log_z
    ais = trained_16.log_partition("ais", betas=np.linspace(0, 1, 4001), random_state=0)
    assert ais.n_betas == 4000 and abs(ais.log_z - exact) < 0.1


def test_module_level_log_partition():
    W = np.zeros((2, 3))
    assert log_partition(W, np.zeros(3), np.zeros(2)).log_z == pytest.approx(5 * math.log(2))
    rbm = random_rbm(10, 6, scale=1.0, seed=4)
    got = log_partition(rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_)
    assert got.log_z == pytest.approx(brute_log_z_bernoulli(*params64(rbm)), abs=2e-6)


# ------------------------------------------------------------------ log_likelihood


def test_log_likelihood_matches_numpy_on_12x8_model():
    rng = np.random.default_rng(0)
    X = (rng.random((300, 12)) < np.linspace(0.1, 0.7, 12)).astype(np.float32)
    rbm = RBM(12, 8, n_iter=20, random_state=0).fit(X)
    W, a, c = params64(rbm)
    log_p = brute_log_joint_marginal(W, a, c, X.astype(np.float64)) - brute_log_z_bernoulli(W, a, c)
    # Probabilities of all 2**12 visible states sum to one.
    all_v = states(12)
    total = logsumexp(brute_log_joint_marginal(W, a, c, all_v) - brute_log_z_bernoulli(W, a, c))
    assert total == pytest.approx(0.0, abs=1e-12)
    assert rbm.log_likelihood(X) == pytest.approx(np.mean(log_p), abs=2e-5)
    assert rbm.log_likelihood(X, method="exact") == pytest.approx(np.mean(log_p), abs=2e-5)
    ais = rbm.log_likelihood(X, method="ais", n_betas=3000, random_state=0)
    assert ais == pytest.approx(np.mean(log_p), abs=0.05)


def test_log_likelihood_caches_log_z_per_parameters_and_options(
    trained_16, digits_binary, monkeypatch
):
    rbm = RBM.from_weights(
        trained_16.components_, trained_16.intercept_visible_, trained_16.intercept_hidden_,
        random_state=0,
    )  # fmt: skip
    calls = []
    original = likelihood.compute_log_partition

    def counting(*args, **kwargs):
        calls.append(args[4])
        return original(*args, **kwargs)

    monkeypatch.setattr(likelihood, "compute_log_partition", counting)
    X = digits_binary
    train, test = rbm.log_likelihood(X[:1000]), rbm.log_likelihood(X[1000:])
    assert calls == ["exact"] and train != test
    rbm.log_likelihood(X, method="ais", n_betas=50)
    rbm.log_likelihood(X, method="ais", n_betas=50)
    rbm.log_likelihood(X, method="ais", n_betas=60)
    assert calls == ["exact", "ais", "ais"]
    # An explicit log_partition always computes, and refreshes the cache.
    rbm.log_partition("ais", n_betas=50)
    assert len(calls) == 4
    # Changed parameters (even in place) change the key.
    rbm.components_[0, 0] += 0.5
    rbm.log_likelihood(X)
    assert calls[-1] == "exact" and len(calls) == 5
    # Training invalidates it.
    rbm.partial_fit(X)
    assert "_log_z_cache" not in rbm.__dict__
    rbm.log_likelihood(X)
    assert len(calls) == 6
    with pytest.raises(TypeError, match="unexpected option"):
        rbm.log_likelihood(X, n_steps=3)


def test_log_likelihood_gaussian_is_a_log_density():
    rbm = random_rbm(2, 4, scale=0.8, seed=1, visible="gaussian")
    W, a, c = params64(rbm)
    X = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    h = states(4)
    neg_energy = (-0.5 * np.sum((X[:, None, :] - a) ** 2, axis=2) + (h @ c)[None, :]
                  + X.astype(np.float64) @ W.T @ h.T)  # fmt: skip
    expected = np.mean(logsumexp(neg_energy, axis=1)) - gaussian_log_z_quadrature(W, a, c, n=561)
    assert rbm.log_likelihood(X) == pytest.approx(expected, abs=1e-5)


# ------------------------------------------------------------------ errors


def test_bad_arguments_raise_clear_errors(trained_16):
    rbm = trained_16
    with pytest.raises(ValueError, match="n_betas"):
        rbm.log_partition("ais", n_betas=1)
    with pytest.raises(ValueError, match="n_betas"):
        rbm.log_partition("exact", n_betas=0)
    with pytest.raises(ValueError, match="n_chains"):
        rbm.log_partition("ais", n_chains=0)
    with pytest.raises(ValueError, match="method must be 'auto', 'exact' or 'ais'"):
        rbm.log_partition("sampling")
    with pytest.raises(ValueError, match=r"start at 0\.0 and end at 1\.0"):
        rbm.log_partition("ais", betas=[0.1, 0.5, 1.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        rbm.log_partition("ais", betas=[0.0, 0.6, 0.5, 1.0])
    with pytest.raises(ValueError, match="base_rate must have shape"):
        rbm.log_partition("ais", base_rate=np.ones(3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        rbm.log_partition("ais", base_rate=np.full(64, 2.0))
    with pytest.raises(ValueError, match="method must be"):
        rbm.log_likelihood(np.zeros((2, 64)), method="bogus")
    for name in ("components_", "intercept_visible_", "intercept_hidden_"):
        broken = RBM.from_weights(rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_)
        getattr(broken, name).flat[0] = np.nan
        for method in ("exact", "ais"):
            with pytest.raises(ValueError, match=f"{name} holds non-finite"):
                broken.log_partition(method, n_betas=10)
    W = rbm.components_
    a, c = rbm.intercept_visible_, rbm.intercept_hidden_
    bad = W.copy()
    bad[1, 1] = np.inf
    with pytest.raises(ValueError, match="finite"):
        _core.exact_log_partition(bad, a, c, "bernoulli", 1)
    with pytest.raises(ValueError, match="finite"):
        _core.ais_log_partition(bad, a, c, "bernoulli", a, 4, [0.0, 0.5, 1.0], 0, 0, 1)
    with pytest.raises(ValueError, match="start at 0 and end at 1"):
        _core.ais_log_partition(W, a, c, "bernoulli", a, 4, [0.0, 0.5], 0, 0, 1)
    with pytest.raises(ValueError, match="call"):
        _core.ais_log_partition(W, a, c, "bernoulli", a, 4, [0.0, 1.0], 0, 2**32, 1)
    with pytest.raises(ValueError, match="base_visible_bias"):
        _core.ais_log_partition(W, a, c, "bernoulli", a[:3], 4, [0.0, 1.0], 0, 0, 1)


def test_unfitted_model_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RBM(4, 2).log_partition()


# ------------------------------------------------------------------ base rate and monitors


def test_base_rate_is_stored_and_saved(tmp_path, digits_binary):
    rbm = RBM(64, 8, n_iter=1, random_state=0).fit(digits_binary)
    np.testing.assert_allclose(rbm.base_rate_, digits_binary.mean(0), rtol=1e-6)
    path = tmp_path / "rbm.npz"
    rbm.save(path)
    np.testing.assert_array_equal(RBM.load(path).base_rate_, rbm.base_rate_)
    assert RBM.from_weights(rbm.components_, rbm.intercept_visible_,
                            rbm.intercept_hidden_).base_rate_ is None  # fmt: skip


def test_fit_monitors_with_validation_data(digits_binary):
    train, valid = digits_binary[:1400], digits_binary[1400:]
    rbm = RBM(64, 16, n_iter=4, monitor_every=2, random_state=0)
    rbm.fit(train, validation_data=valid)
    h = rbm.history_
    for name in ("free_energy_gap", "pseudo_likelihood", "log_likelihood", "log_likelihood_train"):
        assert len(h[name]) == 4, name
    assert np.all(np.isfinite(h["free_energy_gap"])) and np.all(np.isfinite(h["pseudo_likelihood"]))
    assert np.all(np.array(h["pseudo_likelihood"]) < 0)
    ll = np.array(h["log_likelihood"])
    assert np.all(np.isnan(ll[[0, 2]])) and np.all(np.isfinite(ll[[1, 3]]))
    # 16 hidden units: "auto" is exact, so the monitor equals log_likelihood on the last epoch.
    assert ll[3] == pytest.approx(rbm.log_likelihood(valid), abs=1e-9)
    assert h["log_likelihood_train"][3] == pytest.approx(rbm.log_likelihood(train[:1000]), abs=1e-9)
    gap = np.mean(rbm.free_energy(valid)) - np.mean(rbm.free_energy(train[:1000]))
    assert h["free_energy_gap"][3] == pytest.approx(gap)
    # Monitoring never changes the training.
    plain = RBM(64, 16, n_iter=4, random_state=0).fit(train)
    np.testing.assert_array_equal(plain.components_, rbm.components_)
    assert "free_energy_gap" not in plain.history_
    # A later partial_fit without monitors keeps the lists aligned (NaN).
    rbm.partial_fit(train)
    assert all(len(v) == 5 for v in rbm.history_.values())
    assert math.isnan(rbm.history_["free_energy_gap"][4])


def test_monitor_every_with_ais_and_without_validation(digits_binary):
    rbm = RBM(64, 24, n_iter=2, monitor_every=1, random_state=0).fit(digits_binary)
    h = rbm.history_
    assert all(math.isnan(g) for g in h["free_energy_gap"])
    assert (
        np.all(np.isfinite(h["log_likelihood"]))
        and h["log_likelihood"] == h["log_likelihood_train"]
    )
    exact = (
        -np.mean(rbm.free_energy(digits_binary[:1000]))
        - rbm.log_partition("ais", n_betas=3000, random_state=0).log_z
    )
    assert h["log_likelihood"][-1] == pytest.approx(exact, abs=0.3)


def test_monitors_validate_their_inputs(digits_binary):
    with pytest.raises(ValueError, match="features"):
        RBM(64, 4, n_iter=1).fit(digits_binary, validation_data=np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        RBM(64, 4, n_iter=1).fit(digits_binary, validation_data=np.full((3, 64), 3.0))
    with pytest.raises(ValueError, match="monitor_every"):
        RBM(64, 4, monitor_every=-1).fit(digits_binary)


def test_log_partition_result_type():
    result = random_rbm(6, 4).log_partition("exact")
    assert isinstance(result, LogPartition)
    log_z, lower, upper, method, n_chains, n_betas, ess = result
    assert log_z == lower == upper
    assert method == "exact" and n_chains is None and n_betas is None and ess is None


@pytest.mark.parametrize("threshold, tables", [(0.0, False), (1.01, False), (0.0, True)])
def test_ais_dense_and_binary_products_agree_with_exact(trained_16, threshold, tables):
    """The chain products run through sgemm, row sums or tables of the binary states."""
    previous = _core.sparse_density_threshold(threshold), _core.binary_tables(tables)
    try:
        ais = trained_16.log_partition("ais", n_betas=5000, random_state=3)
    finally:
        _core.sparse_density_threshold(previous[0])
        _core.binary_tables(previous[1])
    assert abs(ais.log_z - trained_16.log_partition("exact").log_z) < 0.1
