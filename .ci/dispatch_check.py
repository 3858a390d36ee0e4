"""Compare what one build of the engine computes with another's (CI's portability job).

``python .ci/dispatch_check.py save REF.npz`` records, with the installed build, the outputs of
the engine's vector kernels on fixed weights (hidden probabilities, free energies, exact and AIS
log partition functions) and a short training run, each with 1 and 2 threads.
``python .ci/dispatch_check.py compare REF.npz`` recomputes them with the installed build (an
AVX2-only or baseline-only one) and fails unless

- each output is bit-identical across thread counts within this build, and
- each equals the reference build's within float rounding: the builds differ only in vector
  width, hence in summation order (relative error a few float32 ulps per sum).

Training is compared on its first mini-batch only: one step's parameters differ by rounding, but
a later Bernoulli draw that lands within rounding of its probability flips a sample and the two
runs then part legitimately.
"""

from __future__ import annotations

import sys

import numpy as np

import fastinit

# float32 sums of a few dozen terms of either sign, summed in another order: the error bound is
# n * eps times the sum of the terms' sizes, which can exceed the result's by 10x (1.2e-5 seen
# on the baseline build's free energies). A wrong kernel is off by far more.
RTOL, ATOL = 1e-4, 1e-6


def outputs(n_jobs: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    X = (rng.random((256, 37)) < 0.3).astype(np.float32)  # odd width: vector tails run too
    out: dict[str, np.ndarray] = {}
    for visible in ("bernoulli", "gaussian"):
        data = X if visible == "bernoulli" else X + rng.normal(0, 0.5, X.shape).astype(np.float32)
        rbm = fastinit.RBM(
            37,
            21,
            visible=visible,
            n_iter=1,
            batch_size=256,
            shuffle=False,
            n_jobs=n_jobs,
            random_state=1,
        ).fit(data)
        out[f"{visible}.one_step.W"] = rbm.components_
        out[f"{visible}.transform"] = rbm.transform(data)
        out[f"{visible}.free_energy"] = rbm.free_energy(data)
        if visible == "bernoulli":
            out[f"{visible}.log_z_exact"] = np.array(rbm.log_partition(method="exact").log_z)
            out[f"{visible}.log_z_ais"] = np.array(
                rbm.log_partition(method="ais", n_betas=300, n_chains=64, random_state=2).log_z
            )
    return out


def main(mode: str, path: str) -> int:
    one, two = outputs(1), outputs(2)
    unequal = [k for k in one if not np.array_equal(one[k], two[k])]
    if unequal:
        print(f"dispatch_check: differ between 1 and 2 threads: {unequal}")
        return 1
    if mode == "save":
        np.savez(path, **one)
        return 0
    ref = np.load(path)
    info = fastinit.get_config()["dispatch"]
    bad = []
    for key, value in one.items():
        err = np.max(np.abs(value - ref[key]) / (np.abs(ref[key]) + ATOL / RTOL))
        print(f"  {info:22s} {key:28s} max relative difference {err:.2e}")
        if not np.allclose(value, ref[key], rtol=RTOL, atol=ATOL):
            bad.append(key)
    if bad:
        print(f"dispatch_check: {info} differs from the reference build beyond rounding: {bad}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
