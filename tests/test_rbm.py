"""Tests of fastinit.RBM and its C++ engine against independent truth.

- Exact distributions of tiny models by enumerating every state (Bernoulli) or by the closed-form
  Gaussian mixture (Gaussian visible units).
- A float64 NumPy implementation of one CD-k / PCD-k update fed the very random numbers the
  engine draws (``_core.random_matrix`` on the documented streams).
- Learning on real data (scikit-learn's digits), determinism, input validation, persistence,
  progress reporting and Ctrl-C.

Most models run with ``n_jobs=1``: the suite shares a 2-core machine, and thread counts are
tested where they matter (bit-identical results for 1 and 2 threads).
"""

import _thread
import contextlib
import json
import math
import pickle
import signal
import threading
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from scipy import special, stats
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

from fastinit import RBM, _core
from fastinit._random import make_key
from fastinit.exceptions import DeadUnitsWarning

# ----------------------------------------------------------------------------- helpers

STATE = (
    "components_",
    "intercept_visible_",
    "intercept_hidden_",
    "_velocity_W",
    "_velocity_a",
    "_velocity_c",
    "_hidden_mean",
    "persistent_hidden_",
)
# A Bernoulli draw compares u < p with p computed in float32 by the engine and in float64 by the
# reference; they agree unless u lies within float rounding (~1e-7) of p. The reference records
# the smallest |u - p| it met; above this margin every sample provably agrees.
SAMPLE_MARGIN = 1e-6


def f64(x):
    return None if x is None else np.array(x, dtype=np.float64)


def state_of(rbm):
    """The training state of a model as float64 copies (names of the NumPy reference)."""
    return {
        "W": f64(rbm.components_),
        "a": f64(rbm.intercept_visible_),
        "c": f64(rbm.intercept_hidden_),
        "vW": f64(rbm._velocity_W),
        "va": f64(rbm._velocity_a),
        "vc": f64(rbm._velocity_c),
        "q": f64(rbm._hidden_mean),
        "chain": f64(rbm.persistent_hidden_),
    }


def _copy(value):
    return None if value is None else value.copy()


def snapshot(rbm, timings=True):
    """Everything a failed call must leave unchanged (bit-exact copies); ``timings=False``
    leaves out the measured seconds, for comparing two models trained alike."""
    snap = {name: _copy(getattr(rbm, name)) for name in STATE}
    history = {k: v for k, v in rbm.history_.items() if timings or k != "seconds"}
    snap.update(
        n_features_in_=rbm.n_features_in_,
        n_iter_=rbm.n_iter_,
        _step=rbm._step,
        _key=rbm._key,
        _gibbs_calls=rbm._gibbs_calls,
        history_=json.dumps(history),
    )
    return snap


def assert_same_snapshot(a, b):
    assert a.keys() == b.keys()
    for name in a:
        if isinstance(a[name], np.ndarray) or isinstance(b[name], np.ndarray):
            assert a[name] is not None and b[name] is not None, name
            assert a[name].dtype == b[name].dtype, name
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        else:
            assert a[name] == b[name], name


def assert_models_identical(a, b):
    assert_same_snapshot(snapshot(a, timings=False), snapshot(b, timings=False))


def train_uniforms(key, step, phase, rows, cols, normal=False):
    stream = _core.train_stream(step, phase)
    return _core.random_matrix(key, stream, rows, cols, normal).astype(np.float64)


def reference_step(
    state,
    v0,
    *,
    key,
    step,
    visible="bernoulli",
    k=1,
    persistent=False,
    learning_rate=0.1,
    momentum=0.5,
    weight_decay=0.0,
    sparsity=None,
    sample_visible=False,
    batch_index=0,
):
    """One CD-k / PCD-k update in float64 from the engine's random numbers.

    Returns the new state and monitoring numbers: ``margin`` (smallest |u - p| of a Bernoulli
    draw), ``recon_sq`` and ``recon_rows`` (squared reconstruction error of the batch when it is
    monitored), ``fe_sum`` (sum of the free energies of the batch before the update).
    """
    W, a, c = state["W"], state["a"], state["c"]
    V = W.shape[1]
    v0 = np.asarray(v0, dtype=np.float64)
    b = v0.shape[0]
    margin = [np.inf]

    def bernoulli(phase, p):
        u = train_uniforms(key, step, phase, *p.shape)
        margin[0] = min(margin[0], float(np.min(np.abs(u - p))))
        return (u < p).astype(np.float64)

    def visible_mean(h):
        pre = h @ W + a
        return special.expit(pre) if visible == "bernoulli" else pre

    pre0 = v0 @ W.T + c
    ph0 = special.expit(pre0)
    if visible == "bernoulli":
        fe = -v0 @ a
    else:
        fe = 0.5 * ((v0 - a) ** 2).sum(axis=1)
    fe_sum = float((fe - np.logaddexp(0.0, pre0).sum(axis=1)).sum())

    recon_sq, recon_rows = 0.0, 0
    if persistent:
        if batch_index % 10 == 0:  # PCD monitors every 10th batch from a phase-0 hidden sample
            recon_sq = float(((visible_mean(bernoulli(0, ph0)) - v0) ** 2).sum())
            recon_rows = b
        h = state["chain"]
    else:
        h = bernoulli(0, ph0)
    n_neg = h.shape[0]
    for t in range(1, k + 1):
        mv = visible_mean(h)
        if not persistent and t == 1:
            recon_sq, recon_rows = float(((mv - v0) ** 2).sum()), b
        if persistent or sample_visible:
            if visible == "bernoulli":
                v = bernoulli(2 * t - 1, mv)
            else:
                v = mv + train_uniforms(key, step, 2 * t - 1, n_neg, V, normal=True)
        else:
            v = mv
        ph = special.expit(v @ W.T + c)
        if t < k or persistent:
            h = bernoulli(2 * t, ph)

    G = ph0.T @ v0 / b - ph.T @ v / n_neg
    vW = momentum * state["vW"] + learning_rate * (G - weight_decay * W)
    va = momentum * state["va"] + learning_rate * (v0.mean(0) - v.mean(0))
    vc = momentum * state["vc"] + learning_rate * (ph0.mean(0) - ph.mean(0))
    new = dict(state)
    if sparsity is not None:
        target, cost, decay = sparsity
        q = decay * state["q"] + (1 - decay) * ph0.mean(0)
        penalty = cost * (q - target)
        vc = vc - learning_rate * penalty
        vW = vW - learning_rate * penalty[:, None] * v0.mean(0)[None, :]
        new["q"] = q
    new.update(W=W + vW, a=a + va, c=c + vc, vW=vW, va=va, vc=vc)
    if persistent:
        new["chain"] = h
    info = {"margin": margin[0], "recon_sq": recon_sq, "recon_rows": recon_rows, "fe_sum": fe_sum}
    return new, info


def assert_state_close(got, ref, names, rtol=1e-5, atol=1e-6):
    for name in names:
        np.testing.assert_allclose(got[name], ref[name], rtol=rtol, atol=atol, err_msg=name)


def random_model(rng, n_visible, n_hidden, scale=1.0):
    return (
        rng.normal(0, scale, (n_hidden, n_visible)),
        rng.normal(0, scale, n_visible),
        rng.normal(0, scale, n_hidden),
    )


def as_f32(*arrays):
    """The float64 values of float32-rounded parameters (what the engine computes with)."""
    return tuple(np.asarray(x, np.float32).astype(np.float64) for x in arrays)


def all_states(n):
    """Every binary vector of length n, row i the binary digits of i (most significant first)."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[::-1]) & 1).astype(np.float64)


def state_index(V):
    return (np.asarray(V) > 0.5).astype(np.int64) @ (1 << np.arange(V.shape[1])[::-1])


def conditional_table(P, states):
    """P(state | row) = prod_j p_j^s_j (1 - p_j)^(1 - s_j) for every row of P and every state."""
    return np.exp(states @ np.log(P).T + (1 - states) @ np.log1p(-P).T).T


def chisquare_pvalue(counts, probs):
    """Chi-square goodness of fit; bins expected below 5 are pooled into one."""
    counts = np.asarray(counts, dtype=np.float64)
    expected = probs / probs.sum() * counts.sum()
    small = expected < 5
    obs = np.append(counts[~small], counts[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return stats.chisquare(obs, exp).pvalue


@pytest.fixture(scope="module")
def digits():
    return (load_digits().data / 16.0 > 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def digits_standardized():
    X = load_digits().data
    return ((X - X.mean(0)) / (X.std(0) + 1e-8)).astype(np.float32)


@pytest.fixture
def fitted(digits):
    return RBM(64, 24, n_iter=2, batch_size=50, persistent=True, sparsity_target=0.1,
               random_state=0, n_jobs=1).fit(digits[:300])  # fmt: skip


# ----------------------------------------------------------------------------- 1. exact law


def _tiny_bernoulli(seed=0, n_visible=6, n_hidden=4):
    W, a, c = random_model(np.random.default_rng(seed), n_visible, n_hidden)
    return W, a, c


def _exact_free_energy(S, W, a, c, visible="bernoulli"):
    pre = S @ W.T + c
    base = -S @ a if visible == "bernoulli" else 0.5 * ((S - a) ** 2).sum(1)
    return base - np.logaddexp(0.0, pre).sum(1)


def test_free_energy_equals_brute_force_marginal():
    """-F(v) = log sum_h exp(-E(v, h)), by summing the energy over every hidden state."""
    W, a, c = as_f32(*_tiny_bernoulli())
    S, Hs = all_states(6), all_states(4)
    for visible in ("bernoulli", "gaussian"):
        # For Gaussian units evaluate at some real-valued points as well as the binary ones.
        points = S
        if visible == "gaussian":
            points = np.vstack([S, np.random.default_rng(1).normal(size=(20, 6))])
        if visible == "bernoulli":
            vis = -points @ a
        else:
            vis = 0.5 * ((points - a) ** 2).sum(1)
        energy = vis[:, None] - (Hs @ c)[None, :] - points @ W.T @ Hs.T  # E(v, h)
        brute = -special.logsumexp(-energy, axis=1)
        rbm = RBM.from_weights(W, a, c, visible=visible, n_jobs=1)
        got = rbm.free_energy(points)
        assert got.dtype == np.float64 and got.shape == (len(points),)
        np.testing.assert_allclose(_exact_free_energy(points, W, a, c, visible), brute, rtol=1e-12)
        np.testing.assert_allclose(got, brute, rtol=1e-5, atol=1e-5)


def _transition_matrix(W, a, c):
    """Exact one-sweep Gibbs kernel T[v, v'] = sum_h p(h | v) p(v' | h) of a Bernoulli RBM."""
    S, Hs = all_states(W.shape[1]), all_states(W.shape[0])
    p_h = conditional_table(special.expit(S @ W.T + c), Hs)  # (2^V, 2^H)
    p_v = conditional_table(special.expit(Hs @ W + a), S)  # (2^H, 2^V)
    return p_h @ p_v


def test_gibbs_one_sweep_matches_exact_kernel():
    """Many copies of one start, one sweep each: the distribution of v' is row v of T."""
    W, a, c = as_f32(*_tiny_bernoulli(seed=3))
    T = _transition_matrix(W, a, c)
    np.testing.assert_allclose(T.sum(1), 1.0)
    rbm = RBM.from_weights(W, a, c, n_jobs=1)
    S = all_states(6)
    n = 20_000
    for seed, start in enumerate([0, 21, 63]):
        V0 = np.repeat(S[start : start + 1], n, axis=0)
        out = rbm.gibbs(V0, n_steps=1, random_state=seed)
        assert set(np.unique(out)) <= {0.0, 1.0}
        counts = np.bincount(state_index(out), minlength=64)
        assert chisquare_pvalue(counts, T[start]) > 1e-4, start


def test_gibbs_chains_reach_the_exact_boltzmann_distribution():
    """20,000 independent chains x 100 sweeps from uniform random starts, against exact p(v).

    The start of sample() is uniform over states, so the exact law of the returned states is
    u T^100; the test first checks (exactly) that u T^100 is within 1e-9 of p(v) in total
    variation, then compares the counts with p(v) by a chi-square test. The chains use disjoint
    counters, so the 20,000 states are independent draws and the test is exact. The seed is
    fixed, so the p-value is a fixed number: a threshold of 1e-4 flags a wrong sampler (any
    bias large enough to matter at this n) and not bad luck.
    """
    W, a, c = as_f32(*_tiny_bernoulli(seed=0))
    S = all_states(6)
    F = _exact_free_energy(S, W, a, c)
    p = np.exp(-(F - F.min()))
    p /= p.sum()
    T = _transition_matrix(W, a, c)
    np.testing.assert_allclose(p @ T, p, atol=1e-12)  # p is stationary (detailed balance)
    law = np.full(64, 1 / 64) @ np.linalg.matrix_power(T, 100)
    assert 0.5 * np.abs(law - p).sum() < 1e-9

    rbm = RBM.from_weights(W, a, c, n_jobs=1)
    np.testing.assert_allclose(rbm.free_energy(S), F, rtol=1e-5, atol=1e-5)
    samples = rbm.sample(20_000, n_steps=100, random_state=0)
    counts = np.bincount(state_index(samples), minlength=64)
    assert chisquare_pvalue(counts, p) > 1e-4
    # Total variation, bounded from n alone: E|c_i/n - p_i| <= sqrt(p_i (1 - p_i) / n) (Jensen),
    # and TV moves by at most 1/n when one sample changes, so by McDiarmid
    # P(TV > E[TV] + t) <= exp(-2 n t^2); t = sqrt(ln(1e4) / (2n)) gives a 1e-4 false-alarm rate.
    n = counts.sum()
    tv = 0.5 * np.abs(counts / n - p).sum()
    assert tv < 0.5 * np.sqrt(p * (1 - p) / n).sum() + math.sqrt(math.log(1e4) / (2 * n))
    # Power: the same counts clearly reject a slightly different model (one hidden unit
    # with each weight 0.3 larger).
    W2 = W.copy()
    W2[0] += 0.3
    F2 = _exact_free_energy(S, W2, a, c)
    p2 = np.exp(-(F2 - F2.min()))
    assert chisquare_pvalue(counts, p2 / p2.sum()) < 1e-6


def _gaussian_exact_moments(W, a, c):
    """Mean and second-moment matrix of v for a Gaussian-Bernoulli RBM, in closed form.

    Integrating v out of exp(-|v - a|^2 / 2 + h.c + h.W v) gives
    p(h) ∝ exp(h.c + |a + hW|^2 / 2) and v | h ~ N(a + hW, I), so
    E[v] = E[a + hW] and E[v v^T] = I + E[(a + hW)(a + hW)^T].
    """
    Hs = all_states(W.shape[0])
    m = a + Hs @ W
    logp = Hs @ c + 0.5 * (m**2).sum(1)
    ph = np.exp(logp - special.logsumexp(logp))
    mean = ph @ m
    second = np.eye(W.shape[1]) + (m * ph[:, None]).T @ m
    return mean, second


def _assert_moments(samples, mean, second, n_se=5.0):
    X = np.asarray(samples, dtype=np.float64)
    n = len(X)
    se_mean = X.std(0) / math.sqrt(n)
    assert np.all(np.abs(X.mean(0) - mean) < n_se * se_mean), (X.mean(0), mean)
    products = X[:, :, None] * X[:, None, :]
    se_second = products.std(0) / math.sqrt(n)
    assert np.all(np.abs(products.mean(0) - second) < n_se * se_second), (products.mean(0), second)


def test_gaussian_chains_reach_the_exact_distribution():
    W, a, c = as_f32(*random_model(np.random.default_rng(5), 3, 4, scale=0.5))
    mean, second = _gaussian_exact_moments(W, a, c)
    rbm = RBM.from_weights(W, a, c, visible="gaussian", n_jobs=1)
    samples = rbm.sample(20_000, n_steps=100, random_state=1)
    _assert_moments(samples, mean, second)
    # Power: the moments of a different model are rejected.
    mean2, second2 = _gaussian_exact_moments(W, a + 0.1, c)
    with pytest.raises(AssertionError):
        _assert_moments(samples, mean2, second2)


def test_gaussian_gibbs_half_step_moments():
    """From a fixed v: v' = hW + a + noise, h ~ p(h | v), so E[v'] = a + P(h|v) W and
    Cov[v'] = I + W^T diag(p(1 - p)) W."""
    W, a, c = as_f32(*random_model(np.random.default_rng(6), 4, 5, scale=0.7))
    rbm = RBM.from_weights(W, a, c, visible="gaussian", n_jobs=1)
    v = np.array([[0.5, -1.0, 2.0, 0.0]])
    p = special.expit(v @ W.T + c)[0]
    mean = a + p @ W
    cov = np.eye(4) + W.T @ np.diag(p * (1 - p)) @ W
    out = rbm.gibbs(np.repeat(v, 20_000, axis=0), n_steps=1, random_state=2)
    _assert_moments(out, mean, cov + np.outer(mean, mean))


# ----------------------------------------------------------------------------- 2. reference updates

REFERENCE_CASES = [
    # visible, persistent, sample_visible, k, sparsity
    ("bernoulli", False, False, 1, None),
    ("bernoulli", False, True, 1, None),
    ("bernoulli", False, False, 3, None),
    ("bernoulli", False, True, 3, (0.1, 0.5, 0.9)),
    ("bernoulli", True, False, 1, None),
    ("bernoulli", True, False, 3, (0.2, 0.3, 0.8)),
    ("gaussian", False, False, 1, None),
    ("gaussian", False, True, 1, None),
    ("gaussian", False, True, 3, (0.1, 0.5, 0.9)),
    ("gaussian", True, False, 1, None),
    ("gaussian", True, False, 3, None),
]


def _reference_model(rng, visible, n_visible, n_hidden, **params):
    W, a, c = random_model(rng, n_visible, n_hidden, scale=0.5)
    return RBM.from_weights(W, a, c, visible=visible, **params)


def _data(rng, visible, n, n_visible):
    if visible == "bernoulli":
        return (rng.random((n, n_visible)) < 0.4).astype(np.float32)
    return rng.normal(0, 1, (n, n_visible)).astype(np.float32)


@pytest.mark.parametrize("visible, persistent, sample_visible, k, sparsity", REFERENCE_CASES)
def test_update_matches_numpy_reference(visible, persistent, sample_visible, k, sparsity):
    """Two consecutive single-batch updates (so momentum acts on a non-zero velocity) with
    weight decay: every parameter, velocity, sparsity estimate and PCD chain state."""
    case = (visible, persistent, sample_visible, k, sparsity)
    rng = np.random.default_rng(REFERENCE_CASES.index(case))
    b = 8
    params = dict(batch_size=b, shuffle=False, momentum=0.7, learning_rate=0.1,
                  weight_decay=0.01, k=k, persistent=persistent, sample_visible=sample_visible,
                  random_state=11, n_jobs=1)  # fmt: skip
    if sparsity is not None:
        params.update(sparsity_target=sparsity[0], sparsity_cost=sparsity[1],
                      sparsity_decay=sparsity[2])  # fmt: skip
    rbm = _reference_model(rng, visible, 7, 5, **params)
    state = state_of(rbm)
    if persistent:
        assert rbm.persistent_hidden_.shape == (b, 5) and not rbm.persistent_hidden_.any()
    for _ in range(2):
        X = _data(rng, visible, b, 7)
        state, info = reference_step(
            state, X, key=rbm._key, step=rbm._step, visible=visible, k=k, persistent=persistent,
            learning_rate=0.1, momentum=0.7, weight_decay=0.01, sparsity=sparsity,
            sample_visible=sample_visible,
        )  # fmt: skip
        assert info["margin"] > SAMPLE_MARGIN, "a uniform fell within rounding of p: reseed"
        chain_before = None if rbm.persistent_hidden_ is None else rbm.persistent_hidden_.copy()
        assert rbm.partial_fit(X) is rbm
        names = ["W", "a", "c", "vW", "va", "vc"]
        names += ["q"] if sparsity else []
        names += ["chain"] if persistent else []
        assert_state_close(state_of(rbm), state, names)
        if persistent:
            assert not np.array_equal(chain_before, rbm.persistent_hidden_)
    assert rbm._step == 2 and rbm.n_iter_ == 2


# Seeds chosen so that no uniform falls within float rounding of its probability.
@pytest.mark.parametrize("visible, persistent, n_chains, seed", [
    ("bernoulli", False, None, 5), ("bernoulli", True, 13, 6), ("gaussian", True, 4, 5),
    ("gaussian", False, None, 5),
])  # fmt: skip
def test_epochs_match_reference_with_threads_shuffle_and_ragged_batches(
    visible, persistent, n_chains, seed
):
    """Several mini-batches per epoch (the last one short), shuffled rows, two epochs, two
    threads and more than one block of units: the reference replays epoch_order and the steps,
    and the history's reconstruction error and free energy match too."""
    rng = np.random.default_rng(42)
    N, B, V, H = 23, 10, 70, 75
    X = _data(rng, visible, N, V)
    sparsity = (0.2, 0.3, 0.8)
    rbm = _reference_model(
        rng, visible, V, H, batch_size=B, shuffle=True, momentum=0.6, learning_rate=0.05,
        weight_decay=0.001, k=2, persistent=persistent, n_chains=n_chains, sample_visible=True,
        sparsity_target=0.2, sparsity_cost=0.3, sparsity_decay=0.8, random_state=seed, n_jobs=2,
    )  # fmt: skip
    state = state_of(rbm)
    for epoch in range(2):
        order = _core.epoch_order(rbm._key, epoch, N)
        assert np.array_equal(np.sort(order), np.arange(N))
        recon_sq = fe_sum = 0.0
        recon_rows = fe_rows = 0
        step0 = rbm._step
        for i, start in enumerate(range(0, N, B)):
            state, info = reference_step(
                state, X[order[start : start + B]], key=rbm._key, step=step0 + i,
                visible=visible, k=2, persistent=persistent, learning_rate=0.05, momentum=0.6,
                weight_decay=0.001, sparsity=sparsity, sample_visible=True, batch_index=i,
            )  # fmt: skip
            assert info["margin"] > SAMPLE_MARGIN
            recon_sq += info["recon_sq"]
            recon_rows += info["recon_rows"]
            if i % 10 == 0:  # the free energy is monitored on every 10th mini-batch
                fe_sum += info["fe_sum"]
                fe_rows += min(B, N - start)
        rbm.partial_fit(X)
        assert rbm._step == step0 + 3
        names = ["W", "a", "c", "vW", "va", "vc", "q"] + (["chain"] if persistent else [])
        assert_state_close(state_of(rbm), state, names, rtol=1e-4, atol=1e-5)
        assert rbm.history_["reconstruction_error"][-1] == pytest.approx(
            recon_sq / (recon_rows * V), rel=1e-4
        )
        assert rbm.history_["free_energy"][-1] == pytest.approx(fe_sum / fe_rows, rel=1e-4)
    if persistent:
        assert rbm.persistent_hidden_.shape == (n_chains or B, H)


@contextlib.contextmanager
def density_threshold(threshold, tables=False):
    """The engine's sparse/dense crossover set to `threshold` (0: always dense, above 1: row sums
    for every binary operand) and its tables of subset sums switched on or off, restored
    afterwards. Threshold 0 with tables: tables for every binary operand of 32 rows or more."""
    previous = _core.sparse_density_threshold(threshold), _core.binary_tables(tables)
    try:
        yield
    finally:
        _core.sparse_density_threshold(previous[0])
        _core.binary_tables(previous[1])


@pytest.fixture
def always_sparse():
    """Force the row-sum path for every binary operand."""
    with density_threshold(1.01):
        yield


@pytest.mark.parametrize("persistent, sample_visible, k, momentum, weight_decay, sparsity", [
    (False, False, 2, 0.6, 0.001, (0.2, 0.3, 0.8)),  # data rows sparse, mean-field negatives
    (False, True, 1, 0.0, 0.0, None),  # both phases sparse, gradient straight into W
    (True, True, 1, 0.0, 0.0, None),  # scikit-learn's PCD-1 setting
    (True, True, 1, 0.5, 0.0, None),  # both phases sparse, into the velocity
])  # fmt: skip
def test_row_updates_of_sparse_binary_batches_match_reference(
    always_sparse, persistent, sample_visible, k, momentum, weight_decay, sparsity
):
    """Sparse binary batches take row sums for v W and row updates for the weight gradient;
    without momentum, decay or sparsity penalty the gradient goes straight into W and the
    velocity is set from the last mini-batch. All of it must equal the float64 reference over
    epochs of several (ragged) mini-batches on two threads, velocity included."""
    rng = np.random.default_rng(7)
    N, B, V, H = 23, 10, 70, 150
    X = (rng.random((N, V)) < 0.12).astype(np.float32)
    params = dict(batch_size=B, shuffle=True, momentum=momentum, learning_rate=0.05,
                  weight_decay=weight_decay, k=k, persistent=persistent,
                  sample_visible=sample_visible, random_state=3, n_jobs=2)  # fmt: skip
    if persistent:
        params["n_chains"] = 13
    if sparsity is not None:
        params.update(sparsity_target=sparsity[0], sparsity_cost=sparsity[1],
                      sparsity_decay=sparsity[2])  # fmt: skip
    rbm = _reference_model(rng, "bernoulli", V, H, **params)
    state = state_of(rbm)
    for epoch in range(2):
        order = _core.epoch_order(rbm._key, epoch, N)
        step0 = rbm._step
        for i, start in enumerate(range(0, N, B)):
            state, info = reference_step(
                state, X[order[start : start + B]], key=rbm._key, step=step0 + i, k=k,
                persistent=persistent, learning_rate=0.05, momentum=momentum,
                weight_decay=weight_decay, sparsity=sparsity, sample_visible=sample_visible,
                batch_index=i,
            )  # fmt: skip
            assert info["margin"] > SAMPLE_MARGIN
        rbm.partial_fit(X)
        names = ["W", "a", "c", "vW", "va", "vc"] + (["q"] if sparsity else [])
        names += ["chain"] if persistent else []
        assert_state_close(state_of(rbm), state, names, rtol=1e-4, atol=1e-5)


def test_hinton_momentum_schedule_and_auto_learning_rate():
    """momentum="hinton" is 0.5 for passes 1-5 and 0.9 after; learning_rate="auto" is 0.1
    (Bernoulli) and 0.01 (Gaussian)."""
    rng = np.random.default_rng(8)
    for visible, lr in (("bernoulli", 0.1), ("gaussian", 0.01)):
        rbm = _reference_model(rng, visible, 6, 4, batch_size=5, shuffle=False,
                               weight_decay=0.0, random_state=3, n_jobs=1)  # fmt: skip
        assert rbm.momentum == "hinton" and rbm.learning_rate == "auto"
        state = state_of(rbm)
        X = _data(rng, visible, 5, 6)
        for epoch in range(7):
            state, info = reference_step(
                state,
                X,
                key=rbm._key,
                step=epoch,
                visible=visible,
                learning_rate=lr,
                momentum=0.5 if epoch < 5 else 0.9,
            )
            assert info["margin"] > SAMPLE_MARGIN
            rbm.partial_fit(X)
        assert_state_close(state_of(rbm), state, ["W", "a", "c", "vW", "va", "vc"])


def test_two_partial_fits_equal_one_continuous_run(digits):
    """Split data fed by partial_fit = one pass over it (constant momentum, no shuffle): PCD
    chains, velocities and the random stream all continue across calls, bit for bit."""
    X = digits[:60]
    params = dict(batch_size=20, shuffle=False, momentum=0.5, persistent=True, random_state=4,
                  n_jobs=1)  # fmt: skip
    W, a, c = random_model(np.random.default_rng(0), 64, 20, scale=0.1)
    whole = RBM.from_weights(W, a, c, **params).partial_fit(X)  # one pass: 3 batches
    split = RBM.from_weights(W, a, c, **params)
    split.partial_fit(X[:40])
    chains_mid = split.persistent_hidden_.copy()
    split.partial_fit(X[40:])
    assert not np.array_equal(chains_mid, split.persistent_hidden_)
    assert split._step == whole._step == 3
    for name in STATE:
        np.testing.assert_array_equal(getattr(split, name), getattr(whole, name), err_msg=name)


def test_initialization(digits):
    """n_iter=0 gives the documented start: W ~ N(0, 0.01^2) from default_rng(key), visible bias
    the clipped log-odds of the data mean (Bernoulli) or the mean (Gaussian), hidden bias 0."""
    rbm = RBM(64, 10, n_iter=0, random_state=3).fit(digits)
    expected_W = np.random.default_rng(rbm._key).normal(0.0, 0.01, (10, 64)).astype(np.float32)
    np.testing.assert_array_equal(rbm.components_, expected_W)
    p = np.clip(digits.mean(0, dtype=np.float64), 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(rbm.intercept_visible_, np.log(p / (1 - p)), rtol=1e-6)
    assert not rbm.intercept_hidden_.any()
    assert rbm.n_iter_ == 0 and rbm._step == 0 and rbm.history_["epoch"] == []
    assert rbm.components_.dtype == np.float32 and rbm.components_.flags.c_contiguous

    Xg = np.random.default_rng(0).normal(2.0, 1.0, (50, 5))
    g = RBM(5, 3, visible="gaussian", n_iter=0, random_state=0).fit(Xg)
    np.testing.assert_allclose(g.intercept_visible_, Xg.mean(0), rtol=1e-6)

    calls = []

    def init(shape, rng):
        calls.append(shape)
        return np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 100

    custom = RBM(64, 4, init=init, n_iter=0).fit(digits)
    assert calls == [(4, 64)]
    np.testing.assert_array_equal(custom.components_, init((4, 64), None).astype(np.float32))
    xavier = RBM(64, 16, init="xavier_uniform", n_iter=0, random_state=0).fit(digits)
    bound = math.sqrt(6 / (64 + 16))
    assert np.abs(xavier.components_).max() <= bound
    assert np.abs(xavier.components_).max() > 0.9 * bound
    # The RBM trains from a named initializer too.
    assert np.all(np.isfinite(xavier.set_params(n_iter=1, n_jobs=1).fit(digits).components_))


# ----------------------------------------------------------------------------- inference vs NumPy


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_inference_matches_numpy(visible):
    """free_energy, transform, inverse_transform, reconstruct, score_samples; 600 rows (more
    than one 256-row chunk), two threads, more than one block of hidden units."""
    rng = np.random.default_rng(2)
    V, H, N = 21, 70, 600
    W, a, c = as_f32(*random_model(rng, V, H, scale=0.5))
    rbm = RBM.from_weights(W, a, c, visible=visible, n_jobs=2)
    X = _data(rng, visible, N, V).astype(np.float64)
    pre = X @ W.T + c
    F = _exact_free_energy(X, W, a, c, visible)
    np.testing.assert_allclose(rbm.free_energy(X), F, rtol=1e-5, atol=1e-5)
    P = rbm.transform(X)
    assert P.dtype == np.float64 and P.shape == (N, H)  # float64 in, float64 out (sklearn)
    np.testing.assert_array_equal(rbm.transform(X.astype(np.float32)), P.astype(np.float32))
    np.testing.assert_allclose(P, special.expit(pre), rtol=1e-5, atol=1e-6)

    Hp = rng.random((N, H))
    mean = Hp @ W + a
    if visible == "bernoulli":
        mean = special.expit(mean)
    np.testing.assert_allclose(rbm.inverse_transform(Hp), mean, rtol=1e-5, atol=1e-5)
    recon = special.expit(pre) @ W + a
    if visible == "bernoulli":
        recon = special.expit(recon)
    np.testing.assert_allclose(rbm.reconstruct(X), recon, rtol=1e-5, atol=1e-5)

    scores = rbm.score_samples(X)
    assert scores.shape == (N,) and scores.dtype == np.float64
    if visible == "gaussian":
        np.testing.assert_allclose(scores, -F, rtol=1e-5, atol=1e-5)
        return
    # Exact pseudo-likelihood: sum_i log p(v_i | v_-i) = sum_i log sigmoid(F(v'_i) - F(v)).
    pl = np.zeros(N)
    for i in range(V):
        flipped = X.copy()
        flipped[:, i] = 1 - flipped[:, i]
        pl += -np.logaddexp(0.0, -(_exact_free_energy(flipped, W, a, c) - F))
    np.testing.assert_allclose(scores, pl, rtol=1e-5, atol=1e-5)
    assert np.all(scores < 0)


def test_pseudo_likelihood_is_the_sum_of_exact_conditionals():
    """Independent route for the Bernoulli case: p(v_i | v_-i) from the enumerated joint."""
    W, a, c = as_f32(*_tiny_bernoulli(seed=9))
    S = all_states(6)
    F = _exact_free_energy(S, W, a, c)
    logp = -F - special.logsumexp(-F)
    idx = {tuple(s): i for i, s in enumerate(S.astype(int))}
    expected = []
    for s in S.astype(int):
        total = 0.0
        for i in range(6):
            other = s.copy()
            other[i] = 1 - other[i]
            here, there = logp[idx[tuple(s)]], logp[idx[tuple(other)]]
            total += here - np.logaddexp(here, there)
        expected.append(total)
    got = RBM.from_weights(W, a, c, n_jobs=1).score_samples(S)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_gibbs_matches_numpy_reference(visible):
    """gibbs() replayed from the documented Gibbs streams (rows >= 256: two chunks)."""
    rng = np.random.default_rng(12)
    V, H, N, n_steps = 9, 70, 300, 3
    W, a, c = as_f32(*random_model(rng, V, H, scale=0.3))
    # Seeded (the unseeded calls use the model key) so that no uniform lands within rounding of p.
    rbm = RBM.from_weights(W, a, c, visible=visible, random_state=4, n_jobs=2)
    V0 = _data(rng, visible, N, V).astype(np.float64)
    for random_state, (key, call) in ((7, (make_key(7), 0)), (None, (rbm._key, 0)),
                                      (None, (rbm._key, 1))):  # fmt: skip
        got = rbm.gibbs(V0, n_steps=n_steps, random_state=random_state)
        assert got.dtype == np.float64 and got.shape == (N, V)
        v, margin = V0.copy(), np.inf
        for s in range(n_steps):
            U = _core.random_matrix(key, _core.gibbs_stream(call, 2 * s), N, H)
            p = special.expit(v @ W.T + c)
            margin = min(margin, np.abs(U - p).min())
            h = (U < p).astype(np.float64)
            mean = h @ W + a
            if visible == "bernoulli":
                U = _core.random_matrix(key, _core.gibbs_stream(call, 2 * s + 1), N, V)
                p = special.expit(mean)
                margin = min(margin, np.abs(U - p).min())
                v = (U < p).astype(np.float64)
            else:
                v = mean + _core.random_matrix(key, _core.gibbs_stream(call, 2 * s + 1), N, V,
                                               normal=True)  # fmt: skip
        assert margin > SAMPLE_MARGIN
        np.testing.assert_allclose(got, v, rtol=1e-5, atol=1e-5)
    assert rbm._gibbs_calls == 2
    np.testing.assert_array_equal(rbm.gibbs(V0, n_steps=0), V0.astype(np.float32))
    assert rbm.gibbs(V0.astype(np.float32), n_steps=0).dtype == np.float32


def test_sample_streams():
    W, a, c = _tiny_bernoulli()
    rbm = RBM.from_weights(W, a, c, random_state=0, n_jobs=1)
    a1 = rbm.sample(50, n_steps=5, random_state=3)
    np.testing.assert_array_equal(a1, rbm.sample(50, n_steps=5, random_state=3))
    assert not np.array_equal(a1, rbm.sample(50, n_steps=5, random_state=4))
    # The model's own stream advances: two unseeded calls differ.
    assert not np.array_equal(rbm.sample(50, n_steps=5), rbm.sample(50, n_steps=5))
    assert rbm.sample(3, n_steps=0).shape == (3, 6)
    g = RBM.from_weights(W, a, c, visible="gaussian", n_jobs=1).sample(
        4000, n_steps=0, random_state=0
    )
    assert abs(g.mean()) < 0.1 and abs(g.std() - 1) < 0.05  # N(0, 1) starts


# ----------------------------------------------------------------------------- 3. learning


def test_learning_on_binarized_digits(digits):
    rbm = RBM(64, 32, batch_size=20, random_state=0, n_jobs=1)
    pseudo = []
    for _ in range(12):
        rbm.partial_fit(digits)
        pseudo.append(rbm.score_samples(digits).mean())
    recon = rbm.history_["reconstruction_error"]
    assert len(recon) == 12
    # Measured: 0.128 -> 0.038 and -23.2 -> -14.7 nats.
    assert recon[-1] < 0.6 * recon[0]
    assert pseudo[-1] > pseudo[0] + 4.0
    # The model beats the independent-pixel baseline's pseudo-likelihood (its own start).
    p = np.clip(digits.mean(0), 1e-3, 1 - 1e-3)
    baseline = (digits * np.log(p) + (1 - digits) * np.log1p(-p)).sum(1).mean()
    assert pseudo[-1] > baseline + 5.0
    # Reconstructions are close to the data (mean-field, whole data set).
    assert np.mean((rbm.reconstruct(digits) - digits) ** 2) < 0.06


def test_pcd_learns_on_binarized_digits(digits):
    rbm = RBM(64, 32, batch_size=20, persistent=True, momentum=0.5, random_state=0, n_jobs=1)
    first = rbm.partial_fit(digits).score_samples(digits).mean()
    for _ in range(9):
        rbm.partial_fit(digits)
    last = rbm.score_samples(digits).mean()
    assert last > first + 3.0  # measured -24.4 -> -16.2
    recon = rbm.history_["reconstruction_error"]
    assert recon[-1] < 0.8 * recon[0]


def test_gaussian_learns_on_standardized_digits(digits_standardized):
    X = digits_standardized
    rbm = RBM(64, 32, visible="gaussian", n_iter=12, batch_size=20, random_state=0,
              n_jobs=1).fit(X)  # fmt: skip
    recon = rbm.history_["reconstruction_error"]
    assert recon[0] > 0.8  # ~ the data variance (1) at the start
    assert recon[-1] < 0.7 * recon[0]  # measured 0.94 -> 0.51
    assert np.mean((rbm.reconstruct(X) - X) ** 2) < 0.5


# ----------------------------------------------------------------------------- 4. determinism


@pytest.mark.parametrize("persistent", [False, True])
def test_same_seed_bit_identical_for_one_and_two_threads(digits, persistent):
    # 70 hidden units: more than one block of units, so two threads really share the work.
    params = dict(n_hidden=70, n_iter=2, batch_size=50, k=2, persistent=persistent,
                  random_state=0)  # fmt: skip
    X = digits[:200]
    one = RBM(n_jobs=1, **params).fit(X)
    two = RBM(n_jobs=2, **params).fit(X)
    assert_models_identical(one, two)
    # -1 means all cores; also the same model.
    assert_models_identical(one, RBM(n_jobs=-1, **params).fit(X))
    gauss = dict(params, visible="gaussian")
    Xg = X - 0.5
    assert_models_identical(RBM(n_jobs=1, **gauss).fit(Xg), RBM(n_jobs=2, **gauss).fit(Xg))
    # Inference and sampling too (600 rows: several 256-row chunks).
    rows = digits[:600]
    for method in ("transform", "free_energy", "score_samples", "reconstruct"):
        np.testing.assert_array_equal(
            getattr(one, method)(rows), getattr(two, method)(rows), err_msg=method
        )
    np.testing.assert_array_equal(one.gibbs(rows, n_steps=2, random_state=0),
                                  two.gibbs(rows, n_steps=2, random_state=0))  # fmt: skip
    np.testing.assert_array_equal(one.sample(600, n_steps=2, random_state=0),
                                  two.sample(600, n_steps=2, random_state=0))  # fmt: skip


@pytest.mark.parametrize("path", ["row sums", "tables"])
@pytest.mark.parametrize("persistent, visible", [
    (False, "bernoulli"), (True, "bernoulli"), (False, "gaussian"),
])  # fmt: skip
def test_binary_paths_match_the_dense_path(path, persistent, visible):
    """Row sums over the ones of binary operands, and tables of subset sums, give the dense
    products' model.

    The engine picks row sums for binary inputs with few ones and tables from 32 rows on; force
    each path through the hooks and compare two epochs from the same start. The sums run in
    another order than BLAS's, so agreement is asked to float rounding. Bernoulli data are
    binary (every product has a binary operand, in the visible-major layout); Gaussian data
    leave the sampled hidden states, read against the hidden-major W.
    """
    rng = np.random.default_rng(3)
    # 203 visible and 150 hidden units exercise full and partial strips, scalar rests, a
    # partial last chunk of 4 table rows, and rest rows and columns of the 4 x 4 transposes
    # that keep the mirror of W.
    X = (rng.random((400, 203)) < 0.3).astype(np.uint8)
    if visible == "gaussian":
        X = rng.normal(size=(400, 203)).astype(np.float32)
    forced = {"row sums": (1.01, False), "tables": (0.0, True)}[path]
    models = {}
    for name, (threshold, tables), n_jobs in (
        ("dense", (0.0, False), 2), ("binary", forced, 2), ("binary_1t", forced, 1)
    ):  # fmt: skip
        with density_threshold(threshold, tables):
            models[name] = RBM(203, 150, n_iter=2, persistent=persistent, batch_size=50,
                               visible=visible, random_state=5, n_jobs=n_jobs).fit(X)  # fmt: skip
    dense, binary = models["dense"], models["binary"]
    np.testing.assert_allclose(binary.components_, dense.components_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(binary.intercept_hidden_, dense.intercept_hidden_, atol=1e-5)
    np.testing.assert_allclose(binary.intercept_visible_, dense.intercept_visible_, atol=1e-5)
    if path == "tables":  # sums of subsets round differently: the path was taken
        assert not np.array_equal(binary.components_, dense.components_)
    # Either path, and the hidden-major mirror of W that binary hidden states read from 32 rows
    # on, give the same model on any number of threads.
    assert_models_identical(binary, models["binary_1t"])


@pytest.mark.parametrize("column", [0, 15, 16, 190, 199])
def test_sparse_path_refuses_batches_that_are_not_binary(always_sparse, column):
    """One entry strictly between 0 and 1, anywhere in a row (vector body or tail of the
    scan), must keep the batch off the row sums (which would read it as 0): with one such entry
    in every mini-batch, an epoch still equals the float64 reference."""
    rng = np.random.default_rng(5)
    N, B, V, H = 30, 10, 200, 40
    X = (rng.random((N, V)) < 0.12).astype(np.float32)
    X[[5, 17, 29], column] = 0.5  # one row of each mini-batch
    rbm = _reference_model(rng, "bernoulli", V, H, batch_size=B, shuffle=False, momentum=0.5,
                           learning_rate=0.05, weight_decay=0.001, random_state=1,
                           n_jobs=2)  # fmt: skip
    state = state_of(rbm)
    for i, start in enumerate(range(0, N, B)):
        state, info = reference_step(
            state, X[start : start + B], key=rbm._key, step=i, learning_rate=0.05,
            momentum=0.5, weight_decay=0.001, batch_index=i,
        )  # fmt: skip
        assert info["margin"] > SAMPLE_MARGIN
    rbm.partial_fit(X)
    assert_state_close(state_of(rbm), state, ["W", "a", "c", "vW", "va", "vc"])


def test_seeds(digits):
    X = digits[:300]
    a = RBM(64, 16, n_iter=2, random_state=1, n_jobs=1).fit(X)
    assert_models_identical(a, RBM(64, 16, n_iter=2, random_state=1, n_jobs=1).fit(X))
    b = RBM(64, 16, n_iter=2, random_state=2, n_jobs=1).fit(X)
    assert not np.array_equal(a.components_, b.components_)
    # A Generator seeds too and is advanced (like scikit-learn estimators).
    gen = np.random.default_rng(0)
    c = RBM(64, 16, n_iter=1, random_state=gen, n_jobs=1).fit(X)
    d = RBM(64, 16, n_iter=1, random_state=gen, n_jobs=1).fit(X)
    assert not np.array_equal(c.components_, d.components_)
    # Refitting restarts from the seed: fit is idempotent.
    assert_models_identical(a.fit(X), RBM(64, 16, n_iter=2, random_state=1, n_jobs=1).fit(X))


def test_data_layouts_and_dtypes_give_identical_models(digits, tmp_path):
    X = digits[:500]
    path = tmp_path / "x.u8"
    mm = np.memmap(path, dtype=np.uint8, mode="w+", shape=X.shape)
    mm[:] = X.astype(np.uint8)
    mm.flush()
    layouts = {
        "float32 C": np.ascontiguousarray(X, dtype=np.float32),
        "float64 F": np.asfortranarray(X, dtype=np.float64),
        "uint8": X.astype(np.uint8),
        "bool": X.astype(bool),
        "memmap uint8": np.memmap(path, dtype=np.uint8, mode="r", shape=X.shape),
        "strided view": np.repeat(X, 2, axis=1)[:, ::2],
        "int64 (converted)": X.astype(np.int64),
    }
    params = dict(n_hidden=20, n_iter=2, batch_size=40, persistent=True, random_state=0, n_jobs=1)
    models = {name: RBM(**params).fit(data) for name, data in layouts.items()}
    reference = models.pop("float32 C")
    for model in models.values():
        assert_models_identical(reference, model)
    for data in layouts.values():
        np.testing.assert_array_equal(reference.transform(data), reference.transform(X))
        np.testing.assert_array_equal(reference.score_samples(data), reference.score_samples(X))
    # Negative and zero strides are read in place as well (rows change places within the
    # products, so allow for BLAS rounding at tile edges).
    expected = reference.transform(X)
    np.testing.assert_allclose(reference.transform(X[::-1, ::-1][:, ::-1]), expected[::-1],
                               rtol=1e-6, atol=1e-7)  # fmt: skip
    row = np.broadcast_to(X.astype(np.uint8)[3], X.shape)
    np.testing.assert_allclose(reference.transform(row), np.repeat(expected[3:4], len(X), 0),
                               rtol=1e-6, atol=1e-7)  # fmt: skip


def test_no_float_copy_of_the_data_set(tmp_path):
    """uint8 memmap / bool / float64 F data: peak Python-heap use stays far below a float32
    copy of the data set (the engine converts one mini-batch at a time)."""
    N, V = 20_000, 256
    path = tmp_path / "big.u8"
    mm = np.memmap(path, dtype=np.uint8, mode="w+", shape=(N, V))
    mm[:] = np.random.default_rng(0).random((N, V)) < 0.2
    mm.flush()
    X = np.memmap(path, dtype=np.uint8, mode="r", shape=(N, V))
    float_copy = N * V * 4
    for data in (X, np.asfortranarray(X, dtype=np.float64)):
        tracemalloc.start()
        try:
            rbm = RBM(V, 16, n_iter=1, batch_size=100, random_state=0, n_jobs=1).fit(data)
            rbm.transform(data)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < float_copy / 4, peak


# ----------------------------------------------------------------------------- 5. bad input


def test_wrong_inputs_raise_clear_errors_and_leave_the_model_unchanged(fitted, digits):
    before = snapshot(fitted)
    X = digits[:20]
    bad_calls = [
        (lambda: fitted.partial_fit(X[:, :63]), ValueError, "63 features"),
        (lambda: fitted.transform(X[:, :63]), ValueError, "63 features"),
        (lambda: fitted.partial_fit(X[0]), ValueError, "2D array"),
        (lambda: fitted.partial_fit(X[:0]), ValueError, "0 sample"),
        (lambda: fitted.transform(X[:0]), ValueError, "0 sample"),
        (lambda: fitted.partial_fit(np.where(X > 0, np.nan, 0)), ValueError, "NaN"),
        (lambda: fitted.partial_fit(np.where(X > 0, np.inf, 0)), ValueError, "infinity"),
        (lambda: fitted.partial_fit(X * 2), ValueError, r"\[0, 1\]"),
        (lambda: fitted.partial_fit(X - 0.5), ValueError, r"\[0, 1\]"),
        (lambda: fitted.partial_fit(X.astype(np.uint8) * 255), ValueError, "255|binarize"),
        (lambda: fitted.partial_fit(np.full((3, 64), "a")), ValueError, "string"),
        (lambda: fitted.partial_fit(X.astype(complex)), ValueError, "Complex"),
        (lambda: fitted.inverse_transform(np.zeros((3, 5))), ValueError, "hidden units"),
        (lambda: fitted.inverse_transform(np.full((3, 24), np.nan)), ValueError, "NaN"),
        (lambda: fitted.gibbs(X, n_steps=-1), ValueError, "n_steps"),
        (lambda: fitted.sample(0), ValueError, "n_samples"),
        # A failed fit on a fitted model rolls back to the fitted state.
        (lambda: fitted.fit(X * 3), ValueError, r"\[0, 1\]"),
        (lambda: fitted.fit(X[:, :10]), ValueError, "n_visible"),
    ]
    for call, error, match in bad_calls:
        with pytest.raises(error, match=match):
            call()
        assert_same_snapshot(before, snapshot(fitted))
    # The message for raw pixels suggests what to do.
    with pytest.raises(ValueError) as info:
        fitted.partial_fit(X.astype(np.uint8) * 255)
    assert "[0, 1]" in str(info.value) and "binarize" in str(info.value)
    # Still usable.
    assert fitted.transform(X).shape == (20, 24)


@pytest.mark.parametrize("param, value, error", [
    ("k", 0, ValueError), ("k", 1.5, TypeError), ("learning_rate", -0.1, ValueError),
    ("learning_rate", 0, ValueError), ("learning_rate", "fast", TypeError),
    ("batch_size", 0, ValueError), ("visible", "foo", ValueError), ("momentum", 2, ValueError),
    ("momentum", -0.1, ValueError), ("n_jobs", 0, ValueError), ("n_jobs", 1.5, TypeError),
    ("n_hidden", 0, ValueError), ("n_iter", -1, ValueError), ("weight_decay", -1, ValueError),
    ("sparsity_target", 1.5, ValueError), ("n_chains", 0, ValueError),
    ("persistent", "yes", TypeError), ("init", "nope", ValueError), ("init", None, TypeError),
    ("random_state", "seed", TypeError), ("verbose", -1, ValueError),
])  # fmt: skip
def test_bad_hyperparameters(fitted, digits, param, value, error):
    with pytest.raises(error, match=param if param not in ("init", "random_state") else None):
        RBM(**{"n_visible": 64, "n_hidden": 8, param: value}).fit(digits[:50])
    if param == "random_state":
        return  # only read when a fit starts from scratch
    before = snapshot(fitted)
    fitted.set_params(**{param: value})
    with pytest.raises(error):
        fitted.partial_fit(digits[:50])
    assert_same_snapshot(before, snapshot(fitted))


def test_switching_to_pcd_needs_a_refit(digits):
    rbm = RBM(64, 8, n_iter=1, random_state=0, n_jobs=1).fit(digits[:100])
    before = snapshot(rbm)
    rbm.set_params(persistent=True)
    with pytest.raises(ValueError, match="refit"):
        rbm.partial_fit(digits[:100])
    assert_same_snapshot(before, snapshot(rbm))
    assert rbm.fit(digits[:100]).persistent_hidden_.shape == (100, 8)


def test_divergence_is_reported_and_rolled_back(fitted, digits):
    before = snapshot(fitted)
    fitted.set_params(learning_rate=1e30)
    with pytest.raises(FloatingPointError, match="learning_rate"):
        fitted.partial_fit(digits[:100])
    assert_same_snapshot(before, snapshot(fitted))


def test_not_fitted_errors(digits):
    rbm = RBM(64, 8)
    for call in (
        lambda: rbm.transform(digits),
        lambda: rbm.inverse_transform(np.zeros((2, 8))),
        lambda: rbm.reconstruct(digits),
        lambda: rbm.gibbs(digits),
        lambda: rbm.sample(3),
        lambda: rbm.free_energy(digits),
        lambda: rbm.score_samples(digits),
        lambda: rbm.save("never-written.npz"),
    ):
        with pytest.raises(NotFittedError):
            call()
    # A failed first fit leaves an unfitted estimator behind.
    with pytest.raises(ValueError):
        rbm.fit(digits * 2)
    assert not hasattr(rbm, "components_")
    with pytest.raises(NotFittedError):
        rbm.transform(digits)


def test_from_weights_validation():
    with pytest.raises(ValueError, match="intercept_visible"):
        RBM.from_weights(np.zeros((3, 5)), np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match="intercept_hidden"):
        RBM.from_weights(np.zeros((3, 5)), np.zeros(5), np.zeros(2))
    with pytest.raises(ValueError):
        RBM.from_weights(np.full((3, 5), np.nan), np.zeros(5), np.zeros(3))
    with pytest.raises(ValueError):
        RBM.from_weights(np.zeros((3, 5)), np.zeros(5), np.zeros(3), n_visible=4)


# ----------------------------------------------------------------------------- 6. persistence


def _continue(model, X):
    model.partial_fit(X)
    return model, model.sample(5, n_steps=3), model.gibbs(X[:4], n_steps=2)


def test_pickle_round_trip_continues_identically(fitted, digits):
    X = digits[300:400]
    fitted.gibbs(X[:2])  # advance the sampling stream too
    clone = pickle.loads(pickle.dumps(fitted))
    assert_models_identical(fitted, clone)
    a, sa, ga = _continue(fitted, X)
    b, sb, gb = _continue(clone, X)
    assert_models_identical(a, b)
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(ga, gb)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_save_load_round_trip_continues_identically(tmp_path, digits, visible):
    X = digits[:200] if visible == "bernoulli" else digits[:200] - 0.5
    rbm = RBM(64, 12, visible=visible, n_iter=2, batch_size=30, persistent=True,
              sparsity_target=0.1, momentum=0.5, random_state=np.random.default_rng(3),
              n_jobs=1).fit(X)  # fmt: skip
    rbm.sample(2, n_steps=1)
    path = tmp_path / "model.npz"
    rbm.save(path)
    loaded = RBM.load(path)
    assert_models_identical(rbm, loaded)
    assert loaded.get_params()["visible"] == visible
    assert loaded.history_ == rbm.history_
    a, sa, ga = _continue(rbm, X)
    b, sb, gb = _continue(loaded, X)
    assert_models_identical(a, b)
    np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(ga, gb)
    # str paths work too.
    rbm.save(str(tmp_path / "again.npz"))
    assert_models_identical(rbm, RBM.load(str(tmp_path / "again.npz")))


def test_load_rejects_malformed_files(tmp_path, fitted):
    good = tmp_path / "good.npz"
    fitted.save(good)
    with np.load(good) as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta"]))

    def write(name, **changes):
        content = {**arrays, **changes}
        content = {k: v for k, v in content.items() if v is not None}
        path = tmp_path / name
        np.savez(path, **content)
        return path

    def with_meta(name, **meta_changes):
        return write(name, meta=np.array(json.dumps({**meta, **meta_changes})))

    without_params = {k: v for k, v in meta.items() if k != "params"}
    (tmp_path / "garbage.npz").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "truncated.npz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "empty.npz").write_bytes(b"")
    np.save(tmp_path / "plain.npy", np.zeros(3))
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    cases = [
        tmp_path / "garbage.npz",
        tmp_path / "truncated.npz",
        tmp_path / "empty.npz",
        tmp_path / "plain.npy",
        tmp_path / "other.npz",
        write("no_weights.npz", components_=None),
        write("no_chains.npz", persistent_hidden_=None),
        write("bad_shape.npz", components_=np.zeros((2, 2), np.float32)),
        write("bad_dtype.npz", intercept_hidden_=np.array(["x"] * 24)),
        write("nan.npz", components_=np.full_like(arrays["components_"], np.nan)),
        write("bad_json.npz", meta=np.array("{not json")),
        with_meta("v99.npz", format_version=99),
        with_meta("other_class.npz", **{"class": "DBN"}),
        with_meta("bad_param.npz", params={**meta["params"], "k": 0}),
        with_meta("unknown_param.npz", params={**meta["params"], "colour": 1}),
        write("no_params.npz", meta=np.array(json.dumps(without_params))),
        with_meta("bad_key.npz", key="-1"),
        with_meta("bad_features.npz", n_features_in_=3),
    ]
    for path in cases:
        with pytest.raises(ValueError, match=r"RBM|fastinit"):
            RBM.load(path)
    with pytest.raises(FileNotFoundError):
        RBM.load(tmp_path / "missing.npz")
    # float64 arrays written by hand are accepted (as float32).
    loaded = RBM.load(write("f64.npz", components_=arrays["components_"].astype(np.float64)))
    np.testing.assert_array_equal(loaded.components_, fitted.components_)
    assert loaded.components_.dtype == np.float32


# ----------------------------------------------------------------------------- 7. history, verbose


def test_history(digits):
    rbm = RBM(64, 16, n_iter=3, batch_size=100, random_state=0, n_jobs=1).fit(digits)
    assert rbm.n_iter_ == 3
    assert set(rbm.history_) == {"epoch", "reconstruction_error", "free_energy", "seconds"}
    assert rbm.history_["epoch"] == [1, 2, 3]
    for name, values in rbm.history_.items():
        assert len(values) == 3 and all(math.isfinite(v) for v in values), name
    assert all(s >= 0 for s in rbm.history_["seconds"])
    rbm.partial_fit(digits)
    assert rbm.history_["epoch"] == [1, 2, 3, 4] and rbm.n_iter_ == 4
    assert rbm._step == 4 * math.ceil(len(digits) / 100)
    rbm.fit(digits)  # a new fit starts a new history
    assert rbm.history_["epoch"] == [1, 2, 3]


def test_verbose_progress(digits, capsys, monkeypatch):
    # verbose=1: one line per epoch on stdout, as scikit-learn prints them.
    RBM(64, 8, n_iter=2, verbose=1, random_state=0, n_jobs=1).fit(digits[:200])
    out = capsys.readouterr().out
    assert "[RBM] Iteration 1, pseudo-likelihood" in out and "[RBM] Iteration 2" in out
    assert "reconstruction error" in out
    # verbose=2: a tqdm bar on stderr, or the lines without tqdm.
    RBM(64, 8, n_iter=2, verbose=2, random_state=0, n_jobs=1).fit(digits[:200])
    captured = capsys.readouterr()
    assert "RBM" in captured.err and "2/2" in captured.err and captured.out == ""
    monkeypatch.setitem(__import__("sys").modules, "tqdm.auto", None)
    RBM(64, 8, n_iter=2, verbose=2, random_state=0, n_jobs=1).fit(digits[:200])
    assert "[RBM] Iteration 2" in capsys.readouterr().out
    RBM(64, 8, n_iter=2, verbose=0, random_state=0, n_jobs=1).fit(digits[:200])
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# ----------------------------------------------------------------------------- 8. Ctrl-C


def test_ctrl_c_reaches_python_in_a_test_even_when_the_run_ignores_sigint():
    """A run started with SIGINT ignored (``nohup``, ``cmd &``, some CI runners; .ci/run runs
    the suite so) has no Python handler, and _thread.interrupt_main() is then a no-op: the
    Ctrl-C tests below only work because tests/conftest.py installs the handler for each test."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        _thread.interrupt_main()
        time.sleep(5)  # the interrupt arrives at the next check, ending the sleep


@pytest.mark.parametrize("momentum, weight_decay", [(0.5, 2e-4), (0.0, 0.0)])
def test_ctrl_c_stops_the_fit_and_leaves_a_valid_model(momentum, weight_decay):
    """SIGINT (simulated with _thread.interrupt_main) during fit: KeyboardInterrupt soon after,
    the model holds exactly the last completed mini-batch, and training can go on. Also without
    momentum and decay, where the gradient goes straight into W and the velocity is only set
    when the call ends (its value is checked against the NumPy reference in
    test_row_updates_of_sparse_binary_batches_match_reference)."""
    rng = np.random.default_rng(0)
    X = (rng.random((20_000, 64)) < 0.3).astype(np.float32)
    params = dict(n_hidden=16, batch_size=10, shuffle=False, momentum=momentum,
                  weight_decay=weight_decay, random_state=0, n_jobs=1)  # fmt: skip
    start = time.perf_counter()
    RBM(n_iter=1, **params).fit(X)
    epoch_seconds = time.perf_counter() - start
    # Long enough that only the interrupt can end it (at least ~30 s, or 50 epochs).
    n_iter = max(50, int(30 / max(epoch_seconds, 1e-3)))
    rbm = RBM(n_iter=n_iter, **params)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            rbm.fit(X)
        stopped = time.perf_counter()
    finally:
        timer.cancel()
    assert rbm.n_iter_ < n_iter
    # Reported soon after the signal (loose bound: the machine is shared).
    assert stopped - start < 0.5 + epoch_seconds + 10
    batches = math.ceil(len(X) / 10)
    assert rbm._step > 0
    assert rbm.n_iter_ * batches <= rbm._step <= (rbm.n_iter_ + 1) * batches
    for values in rbm.history_.values():
        assert len(values) == rbm.n_iter_  # completed epochs only
    for name in STATE:
        value = getattr(rbm, name)
        assert value is None or np.all(np.isfinite(value)), name
    assert rbm.transform(X[:5]).shape == (5, 16)
    # Not half-updated: equal to a model trained for exactly the completed mini-batches.
    done = rbm._step - rbm.n_iter_ * batches
    replay = RBM(n_iter=rbm.n_iter_, **params).fit(X)
    if done:
        replay.partial_fit(X[: done * 10])
    for name in STATE:
        np.testing.assert_array_equal(getattr(replay, name), getattr(rbm, name), err_msg=name)
    # Training continues normally.
    rbm.partial_fit(X[:100])
    assert np.all(np.isfinite(rbm.components_))


# ----------------------------------------------------------------------------- documentation


def test_docstring_examples_run():
    import doctest

    from fastinit import rbm as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------- 10. defaults and dead units


def test_auto_learning_rate_follows_the_width_rule():
    X = (np.random.default_rng(0).random((200, 1200)) < 0.1).astype(np.float32)
    for n_hidden, expected in ((300, 0.1 * 1000 / 1200), (2000, 0.1 * 0.25 * 1000 / 1200)):
        rbm = RBM(1200, n_hidden, n_iter=1, random_state=0, n_jobs=1).fit(X)
        assert rbm._resolved_learning_rate() == pytest.approx(expected)
        explicit = RBM(1200, n_hidden, n_iter=1, random_state=0, n_jobs=1,
                       learning_rate=expected).fit(X)  # fmt: skip
        np.testing.assert_array_equal(rbm.components_, explicit.components_)


def test_engine_reports_the_epochs_mean_hidden_activation(digits):
    """With updates too small to change float32 parameters, the epoch's mean activation is that
    of the start: the mean of transform(X) over the rows."""
    rbm = RBM(64, 40, n_iter=1, random_state=0, n_jobs=2, learning_rate=1e-30).fit(digits)
    expected = rbm.transform(digits).mean(axis=0, dtype=np.float64)
    stats = _core.train_epoch(
        digits, rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_,
        rbm._velocity_W, rbm._velocity_a, rbm._velocity_c, None, rbm._hidden_mean, key=1,
        step=0, epoch=1, visible="bernoulli", k=1, persistent=False, learning_rate=1e-30,
        momentum=0.0, weight_decay=0.0, sparsity_target=None, sparsity_cost=0.0,
        sparsity_decay=0.9, sample_visible=False, batch_size=33, shuffle=True, n_threads=2,
    )  # fmt: skip
    np.testing.assert_allclose(stats["hidden_activation"], expected, rtol=1e-6, atol=1e-9)


def test_fit_warns_when_units_end_dead(digits):
    with pytest.warns(DeadUnitsWarning,
                      match=r"RBM 64 -> 32: .* dead .*learning_rate \(now 50\)"):  # fmt: skip
        RBM(64, 32, n_iter=3, learning_rate=50.0, random_state=0, n_jobs=1).fit(digits)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeadUnitsWarning)
        RBM(64, 32, n_iter=3, random_state=0, n_jobs=1).fit(digits)
