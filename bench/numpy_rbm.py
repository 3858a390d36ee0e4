"""The NumPy reference contender: CD-k / PCD for an RBM, written as well as NumPy allows.

It computes exactly what ``fastinit._core.train_epoch`` computes for one epoch (same update rule,
same order of operations, same random-number phases), so that

* the benchmark compares engines on the same algorithm, and
* ``tests/test_bench_reference.py`` can feed it fastinit's own uniforms (``uniform_source``) and
  check that both produce the same model within float rounding.

Performance choices (the reference should be the best plain NumPy can do, not a straw man):
float32 throughout; every buffer preallocated once per epoch; products through
``np.matmul(..., out=)``; the weight gradient as one stacked product ``[ph0/b; -phk/n]^T [v0; vk]``
(the two outer-product sums in one BLAS call, as the engine does); sigmoid as
``0.5 * tanh(0.5 x) + 0.5`` in place (one vectorized transcendental, no overflow, faster than
``1 / (1 + exp(-x))`` here); Bernoulli samples as ``np.less(u, p, out=h)`` on float32 uniforms from
``Generator.random(dtype=np.float32, out=)``. No Python work per element; the only Python loop is
over mini-batches (and Gibbs steps).

Conventions (DESIGN.md section 4, csrc/rbm.hpp): ``W`` is (n_hidden, n_visible); visible bias
``a``; hidden bias ``c``. Random phases of update ``step`` (stream ``train_stream(step, phase)``):
0 = hidden sample of the positive phase, 2t-1 = visible sample of Gibbs step t, 2t = hidden
sample of Gibbs step t.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["NumpyRBM", "epoch_flops", "sigmoid_"]

# uniform_source(step, phase, out) fills `out` (rows x cols float32) with uniforms in [0, 1);
# normal_source(step, phase, out) fills it with standard normals (Gaussian visible samples).
Source = Callable[[int, int, np.ndarray], None]


def sigmoid_(x: np.ndarray) -> np.ndarray:
    """In-place logistic sigmoid of a float32 array: 0.5 * tanh(0.5 x) + 0.5."""
    np.multiply(x, np.float32(0.5), out=x)
    np.tanh(x, out=x)
    np.multiply(x, np.float32(0.5), out=x)
    np.add(x, np.float32(0.5), out=x)
    return x


def epoch_flops(n_rows: int, n_visible: int, n_hidden: int, k: int = 1) -> float:
    """Useful flops of one CD-k epoch: (2k + 3) products of 2·N·V·H (10·N·V·H for CD-1)."""
    return 2.0 * n_rows * n_visible * n_hidden * (2 * k + 3)


class NumpyRBM:
    """CD-k / PCD-k trainer on NumPy arrays, mirroring fastinit's engine step for step.

    Parameters mirror :class:`fastinit.RBM` (constant momentum). The state (``W``, ``a``, ``c``,
    velocities, persistent chains) lives in float32 attributes and is updated in place.
    """

    def __init__(
        self,
        W: np.ndarray,
        a: np.ndarray,
        c: np.ndarray,
        *,
        visible: str = "bernoulli",
        k: int = 1,
        persistent: bool = False,
        n_chains: int | None = None,
        learning_rate: float = 0.1,
        momentum: float = 0.5,
        weight_decay: float = 2e-4,
        sample_visible: bool = False,
        batch_size: int = 100,
        seed: int | None = 0,
        uniform_source: Source | None = None,
        normal_source: Source | None = None,
    ) -> None:
        if visible not in ("bernoulli", "gaussian"):
            raise ValueError(f"visible must be 'bernoulli' or 'gaussian', got {visible!r}")
        self.W = np.array(W, dtype=np.float32, order="C")
        self.a = np.array(a, dtype=np.float32)
        self.c = np.array(c, dtype=np.float32)
        self.n_hidden, self.n_visible = self.W.shape
        self.visible = visible
        self.k = int(k)
        self.persistent = bool(persistent)
        self.batch_size = int(batch_size)
        self.n_chains = int(n_chains or batch_size)
        self.learning_rate = np.float32(learning_rate)
        self.momentum = np.float32(momentum)
        self.weight_decay = np.float32(weight_decay)
        self.sample_visible = bool(sample_visible)
        self.vel_W = np.zeros_like(self.W)
        self.vel_a = np.zeros_like(self.a)
        self.vel_c = np.zeros_like(self.c)
        # PCD chains start with every hidden unit off, as fastinit's (and scikit-learn's) do.
        self.chain_hidden = (
            np.zeros((self.n_chains, self.n_hidden), dtype=np.float32) if persistent else None
        )
        self.step = 0
        self._rng = np.random.default_rng(seed)
        self._uniform = uniform_source or self._numpy_uniform
        self._normal = normal_source or self._numpy_normal

    # -------------------------------------------------------------- random numbers

    def _numpy_uniform(self, step: int, phase: int, out: np.ndarray) -> None:
        self._rng.random(dtype=np.float32, out=out)

    def _numpy_normal(self, step: int, phase: int, out: np.ndarray) -> None:
        self._rng.standard_normal(dtype=np.float32, out=out)

    # -------------------------------------------------------------- half steps

    def _visible(self, h: np.ndarray, out: np.ndarray, phase: int, sample: bool) -> None:
        """out <- E[v | h] for the rows of h (then a sample when ``sample``), in place."""
        np.matmul(h, self.W, out=out)
        out += self.a
        if self.visible == "bernoulli":
            sigmoid_(out)
        if sample:
            self._sample_visible(out, phase)

    def _sample_visible(self, means: np.ndarray, phase: int) -> None:
        noise = self._noise_v[: means.shape[0]]
        if self.visible == "bernoulli":
            self._uniform(self.step, phase, noise)
            np.less(noise, means, out=means)
        else:
            self._normal(self.step, phase, noise)
            means += noise

    def _hidden(self, v: np.ndarray, out: np.ndarray) -> None:
        """out <- P(h = 1 | v), in place."""
        np.matmul(v, self.W.T, out=out)
        out += self.c
        sigmoid_(out)

    def _sample_hidden(self, p: np.ndarray, out: np.ndarray, phase: int) -> None:
        u = self._noise_h[: p.shape[0]]
        self._uniform(self.step, phase, u)
        np.less(u, p, out=out)

    # -------------------------------------------------------------- epoch

    def train_epoch(self, X: np.ndarray, order: np.ndarray | None = None) -> float:
        """One pass over the rows of X (float32, C order) in mini-batches.

        ``order`` (optional) is the row order, e.g. ``fastinit._core.epoch_order``; without it
        the rows are visited in order. Each mini-batch is copied into the stacked buffer
        (as the engine copies it into its own). Returns the reconstruction
        error as fastinit defines it: mean squared error per visible unit of one mean-field
        reconstruction (for PCD, on every 10th mini-batch).
        """
        X = np.asarray(X)
        if X.dtype != np.float32 or not X.flags.c_contiguous:
            X = np.ascontiguousarray(X, dtype=np.float32)
        N, V = X.shape
        H = self.n_hidden
        if V != self.n_visible:
            raise ValueError(f"X has {V} columns, expected {self.n_visible}")
        B = min(self.batch_size, N)
        n_neg_max = self.n_chains if self.persistent else B
        # Stacked statistics: the weight gradient is one product h_stack^T v_stack.
        v_stack = np.empty((B + n_neg_max, V), dtype=np.float32)
        h_stack = np.empty((B + n_neg_max, H), dtype=np.float32)
        h_samples = np.empty((max(B, n_neg_max), H), dtype=np.float32)
        v_recon = np.empty((B, V), dtype=np.float32) if self.persistent else None
        self._noise_h = np.empty((max(B, n_neg_max), H), dtype=np.float32)
        self._noise_v = np.empty((max(B, n_neg_max), V), dtype=np.float32)
        diff = np.empty((B, V), dtype=np.float32)
        grad_W = np.empty_like(self.W)
        sum_v0 = np.empty(V, dtype=np.float32)
        sum_vn = np.empty(V, dtype=np.float32)
        sum_h = np.empty(H, dtype=np.float32)
        lr, mom = self.learning_rate, self.momentum
        decay_step = np.float32(lr * self.weight_decay)

        recon_sum, recon_rows = 0.0, 0
        for batch, start in enumerate(range(0, N, B)):
            b = min(B, N - start)
            n_neg = self.n_chains if self.persistent else b
            K = b + n_neg
            v0 = v_stack[:b]
            v_neg = v_stack[b:K]
            ph0 = h_stack[:b]
            ph_neg = h_stack[b:K]
            if order is None:
                v0[...] = X[start : start + b]
            else:
                np.take(X, order[start : start + b], axis=0, out=v0)

            # Positive phase. PCD samples h0 only on the mini-batches that monitor reconstruction.
            monitor = not self.persistent or batch % 10 == 0
            self._hidden(v0, ph0)
            if monitor:
                self._sample_hidden(ph0, h_samples[:b], 0)
            ph0 *= np.float32(1.0 / b)

            if self.persistent and monitor:
                self._visible(h_samples[:b], v_recon[:b], -1, sample=False)
                np.subtract(v_recon[:b], v0, out=diff[:b])
                flat = diff[:b].ravel()
                recon_sum += float(np.dot(flat, flat))
                recon_rows += b

            # Negative phase: k Gibbs steps from the data (CD) or the fantasy particles (PCD).
            sample_v = self.persistent or self.sample_visible
            h_current = self.chain_hidden if self.persistent else h_samples[:b]
            for t in range(1, self.k + 1):
                self._visible(h_current, v_neg, 2 * t - 1, sample=False)
                if not self.persistent and t == 1:
                    # Error of the mean reconstruction, before any visible sampling.
                    np.subtract(v_neg, v0, out=diff[:b])
                    flat = diff[:b].ravel()
                    recon_sum += float(np.dot(flat, flat))
                    recon_rows += b
                if sample_v:
                    self._sample_visible(v_neg, 2 * t - 1)
                last = t == self.k
                self._hidden(v_neg, ph_neg)
                if self.persistent and last:
                    self._sample_hidden(ph_neg, self.chain_hidden, 2 * t)
                elif not last:
                    self._sample_hidden(ph_neg, h_samples[:n_neg], 2 * t)
                if last:
                    ph_neg *= np.float32(-1.0 / n_neg)
                h_current = h_samples[:n_neg]

            # Update: velocity = momentum * velocity + lr * (gradient - decay * W); W += velocity.
            np.sum(v0, axis=0, out=sum_v0)
            np.sum(v_neg, axis=0, out=sum_vn)
            sum_v0 *= np.float32(1.0 / b)
            sum_vn *= np.float32(1.0 / n_neg)
            sum_v0 -= sum_vn
            self.vel_a *= mom
            sum_v0 *= lr
            self.vel_a += sum_v0
            self.a += self.vel_a

            np.matmul(h_stack[:K].T, v_stack[:K], out=grad_W)
            grad_W *= lr
            self.vel_W *= mom
            self.vel_W += grad_W
            np.multiply(self.W, decay_step, out=grad_W)
            self.vel_W -= grad_W
            self.W += self.vel_W

            np.sum(h_stack[:K], axis=0, out=sum_h)
            sum_h *= lr
            self.vel_c *= mom
            self.vel_c += sum_h
            self.c += self.vel_c
            self.step += 1
        return recon_sum / (recon_rows * V) if recon_rows else 0.0

    # -------------------------------------------------------------- evaluation

    def reconstruction_error(self, X: np.ndarray) -> float:
        """Mean squared error per unit of one mean-field reconstruction of the rows of X."""
        return mean_field_error(self.W, self.a, self.c, X, self.visible)


def mean_field_error(
    W: np.ndarray, a: np.ndarray, c: np.ndarray, X: np.ndarray, visible: str = "bernoulli"
) -> float:
    """MSE per unit of E[v | h = P(h | X)] against X: a common yardstick for every contender."""
    X = np.asarray(X, dtype=np.float32)
    W = np.asarray(W, dtype=np.float32)
    h = X @ W.T
    h += np.asarray(c, dtype=np.float32)
    sigmoid_(h)
    v = h @ W
    v += np.asarray(a, dtype=np.float32)
    if visible == "bernoulli":
        sigmoid_(v)
    v -= X
    return float(np.mean(np.square(v, dtype=np.float64)))
