"""SHA-256 of every trained state and engine output that a change should leave bit-identical.

For each ``bench_rbm.py`` workload (its data, start and parameters, the first ``--rows`` rows)
and a set of reference fits with the defaults, momentum schedule, sparsity, PCD, Gaussian units
and shuffling, it trains in this process and hashes the parameters, velocities, persistent
chains, sparsity estimates and ``history_`` (seconds excluded), then the outputs of the inference
and sampling methods. Each case runs on 1 and 2 threads; the two must agree, and the printed
table must be the same before and after a change that should not alter results::

    python bench/model_hashes.py > /tmp/before.txt   # on the old build
    python bench/model_hashes.py > /tmp/after.txt    # on the new build
    diff /tmp/before.txt /tmp/after.txt
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import bench_rbm  # noqa: E402
import fastinit  # noqa: E402
from fastinit.datasets import load_digits  # noqa: E402

_STATE = (
    "components_", "intercept_visible_", "intercept_hidden_", "_velocity_W", "_velocity_a",
    "_velocity_c", "_hidden_mean", "persistent_hidden_",
)  # fmt: skip


def digest(*values: Any) -> str:
    """Short SHA-256 of arrays (bytes, dtype and shape), numbers and strings."""
    h = hashlib.sha256()
    for value in values:
        if value is None:
            h.update(b"None")
            continue
        a = np.ascontiguousarray(value)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def model_digest(model: fastinit.RBM) -> str:
    history = {k: v for k, v in model.history_.items() if k != "seconds"}
    parts = [getattr(model, name, None) for name in _STATE]
    parts += [np.asarray(history[k], dtype=np.float64) for k in sorted(history)]
    return digest(*parts, np.array([model._step, model.n_iter_], dtype=np.int64))


def workload_cases(rows: int) -> Iterator[tuple[str, Any]]:
    data = bench_rbm.DataSets(rows, lambda _msg: None)
    for w in bench_rbm.make_workloads(quick=True):
        Xf, X32, _ = data.get(w.data)
        Xf, X32 = Xf[:rows], X32[:rows]
        start = bench_rbm.start_point(X32, w.n_hidden, w.visible)

        def run(n_jobs: int, w=w, Xf=Xf, start=start) -> fastinit.RBM:
            W0, a0, c0 = start
            model = fastinit.RBM.from_weights(
                W0.copy(), a0.copy(), c0.copy(), visible=w.visible, k=w.k,
                persistent=w.persistent, learning_rate=w.learning_rate, momentum=w.momentum,
                weight_decay=w.weight_decay, batch_size=w.batch_size, shuffle=False,
                n_jobs=n_jobs, random_state=0,
            )  # fmt: skip
            return model.partial_fit(Xf)

        yield f"workload {w.id}", run


def reference_cases() -> Iterator[tuple[str, Any]]:
    X, _ = load_digits()
    Xb = (X > 0.5).astype(np.float32)
    Xg = (X - X.mean(0)) / (X.std(0) + 1e-3)
    cases = {
        "defaults, grey digits": (X, {}),
        "binary digits, 6 epochs (momentum switch)": (Xb, {"n_iter": 6}),
        "sparsity target": (X, {"sparsity_target": 0.1, "n_iter": 3}),
        "PCD-1, 50 chains": (Xb, {"persistent": True, "n_chains": 50, "n_iter": 3}),
        "CD-3, sampled visibles": (Xb, {"k": 3, "sample_visible": True, "n_iter": 2}),
        "Gaussian units": (Xg, {"visible": "gaussian", "n_iter": 3}),
        "batch 10, no momentum": (Xb, {"batch_size": 10, "momentum": 0.0, "n_iter": 2}),
    }
    for name, (data, params) in cases.items():

        def run(n_jobs: int, data=data, params=params) -> fastinit.RBM:
            model = fastinit.RBM(64, 48, random_state=0, n_jobs=n_jobs, **params)
            return model.fit(data)

        yield name, run


def outputs_digest(model: fastinit.RBM, X: np.ndarray) -> str:
    """The inference and sampling methods' outputs on a fitted model."""
    X = np.asarray(X[:300])
    parts = [model.transform(X), model.free_energy(X), model.reconstruct(X)]
    parts.append(model.gibbs(X[:50], n_steps=3, random_state=1))
    parts.append(model.sample(20, n_steps=5, random_state=2))
    if model.visible == "bernoulli":
        parts.append(model.score_samples(X[:50]))
    return digest(*parts)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=3000, help="rows of each workload's epoch")
    args = p.parse_args(argv)
    X, _ = load_digits()
    for name, run in [*workload_cases(args.rows), *reference_cases()]:
        one, two = run(1), run(2)
        same = model_digest(one) == model_digest(two)
        data = X if one.n_features_in_ == 64 else None
        extra = outputs_digest(two, data) if data is not None else "-"
        print(f"{name:45s} {model_digest(two)}  outputs {extra}  1 vs 2 threads "
              f"{'identical' if same else 'DIFFER'}")  # fmt: skip
    W = np.random.default_rng(0).normal(0, 0.1, (40, 64)).astype(np.float32)
    rbm = fastinit.RBM.from_weights(W, np.zeros(64), np.zeros(40), n_jobs=2)
    ais = rbm.log_partition("ais", n_betas=300, random_state=0)
    print(f"{'AIS log Z, 40 x 64':45s} {digest(np.array([ais.log_z, ais.lower, ais.upper]))}")


if __name__ == "__main__":
    main()
