"""The PyTorch CPU contender: the same CD-k / PCD update as fastinit, written with torch ops.

Same algorithm and order of operations as ``numpy_rbm.NumpyRBM`` (and fastinit's engine), written
as well as PyTorch allows on the CPU: float32 tensors preallocated once per epoch, the bias add
fused into ``torch.addmm(..., out=)``, ``sigmoid_`` in place, Bernoulli samples drawn by
``torch.bernoulli(p, out=)`` (one fused kernel), and the momentum update fused into one
``addmm_`` (``vel = momentum * vel + lr * h_stack^T v_stack``, the BLAS beta/alpha), as the engine
does. Its random numbers are torch's own, so it agrees with the others in distribution, not bit
for bit. Threads: ``torch.set_num_threads`` is set by the caller.
"""

from __future__ import annotations

import numpy as np

try:  # optional contender
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

__all__ = ["TorchRBM", "available"]


def available() -> bool:
    return torch is not None


class TorchRBM:
    """CD-k / PCD-k trainer on torch CPU tensors (float32), constant momentum, L2 weight decay."""

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
        seed: int = 0,
    ) -> None:
        if torch is None:
            raise RuntimeError("PyTorch is not installed")
        self.W = torch.tensor(np.asarray(W, dtype=np.float32))
        self.a = torch.tensor(np.asarray(a, dtype=np.float32))
        self.c = torch.tensor(np.asarray(c, dtype=np.float32))
        self.n_hidden, self.n_visible = self.W.shape
        self.visible = visible
        self.k = int(k)
        self.persistent = bool(persistent)
        self.batch_size = int(batch_size)
        self.n_chains = int(n_chains or batch_size)
        self.lr = float(learning_rate)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.sample_visible = bool(sample_visible)
        self.vel_W = torch.zeros_like(self.W)
        self.vel_a = torch.zeros_like(self.a)
        self.vel_c = torch.zeros_like(self.c)
        self.chain_hidden = (
            torch.zeros((self.n_chains, self.n_hidden), dtype=torch.float32) if persistent else None
        )
        self.gen = torch.Generator().manual_seed(seed)

    def _visible(self, h, out) -> None:
        torch.addmm(self.a, h, self.W, out=out)
        if self.visible == "bernoulli":
            out.sigmoid_()

    def _sample_visible(self, means, noise) -> None:
        if self.visible == "bernoulli":
            torch.bernoulli(means, generator=self.gen, out=means)
        else:
            noise.normal_(generator=self.gen)
            means.add_(noise)

    def _hidden(self, v, out) -> None:
        torch.addmm(self.c, v, self.W.T, out=out)
        out.sigmoid_()

    def train_epoch(self, X: np.ndarray) -> float:
        """One pass over the rows of X (float32) in order; returns the reconstruction error."""
        Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        N, V = Xt.shape
        H = self.n_hidden
        B = min(self.batch_size, N)
        n_neg_max = self.n_chains if self.persistent else B
        f32 = torch.float32
        v_stack = torch.empty((B + n_neg_max, V), dtype=f32)
        h_stack = torch.empty((B + n_neg_max, H), dtype=f32)
        h_samples = torch.empty((max(B, n_neg_max), H), dtype=f32)
        v_recon = torch.empty((B, V), dtype=f32)
        noise_v = torch.empty((max(B, n_neg_max), V), dtype=f32)
        diff = torch.empty((B, V), dtype=f32)
        sum_v0 = torch.empty(V, dtype=f32)
        sum_vn = torch.empty(V, dtype=f32)
        sum_h = torch.empty(H, dtype=f32)
        lr, mom = self.lr, self.momentum
        decay_step = lr * self.weight_decay
        sample_v = self.persistent or self.sample_visible

        recon_sum, recon_rows = 0.0, 0
        for batch, start in enumerate(range(0, N, B)):
            b = min(B, N - start)
            n_neg = self.n_chains if self.persistent else b
            K = b + n_neg
            v0, v_neg = v_stack[:b], v_stack[b:K]
            ph0, ph_neg = h_stack[:b], h_stack[b:K]
            v0.copy_(Xt[start : start + b])

            monitor = not self.persistent or batch % 10 == 0
            self._hidden(v0, ph0)
            if monitor:
                torch.bernoulli(ph0, generator=self.gen, out=h_samples[:b])
            ph0.mul_(1.0 / b)
            if self.persistent and monitor:
                self._visible(h_samples[:b], v_recon[:b])
                torch.sub(v_recon[:b], v0, out=diff[:b])
                recon_sum += float(torch.dot(diff[:b].reshape(-1), diff[:b].reshape(-1)))
                recon_rows += b

            h_current = self.chain_hidden if self.persistent else h_samples[:b]
            for t in range(1, self.k + 1):
                self._visible(h_current, v_neg)
                if not self.persistent and t == 1:
                    torch.sub(v_neg, v0, out=diff[:b])
                    recon_sum += float(torch.dot(diff[:b].reshape(-1), diff[:b].reshape(-1)))
                    recon_rows += b
                if sample_v:
                    self._sample_visible(v_neg, noise_v[:n_neg])
                last = t == self.k
                self._hidden(v_neg, ph_neg)
                if self.persistent and last:
                    torch.bernoulli(ph_neg, generator=self.gen, out=self.chain_hidden)
                elif not last:
                    torch.bernoulli(ph_neg, generator=self.gen, out=h_samples[:n_neg])
                if last:
                    ph_neg.mul_(-1.0 / n_neg)
                h_current = h_samples[:n_neg]

            torch.sum(v0, 0, out=sum_v0)
            torch.sum(v_neg, 0, out=sum_vn)
            sum_v0.mul_(1.0 / b).sub_(sum_vn, alpha=1.0 / n_neg)
            self.vel_a.mul_(mom).add_(sum_v0, alpha=lr)
            self.a.add_(self.vel_a)

            self.vel_W.addmm_(h_stack[:K].T, v_stack[:K], beta=mom, alpha=lr)
            self.vel_W.add_(self.W, alpha=-decay_step)
            self.W.add_(self.vel_W)

            torch.sum(h_stack[:K], 0, out=sum_h)
            self.vel_c.mul_(mom).add_(sum_h, alpha=lr)
            self.c.add_(self.vel_c)
        return recon_sum / (recon_rows * V) if recon_rows else 0.0

    def parameters_numpy(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.W.numpy().copy(), self.a.numpy().copy(), self.c.numpy().copy()
