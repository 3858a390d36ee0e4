"""RBM training benchmark (issue 4): fastinit against NumPy, scikit-learn and PyTorch CPU.

Run from the repository root::

    python bench/bench_rbm.py                  # full run (about 10-20 minutes on 2 cores)
    python bench/bench_rbm.py --quick          # smoke run, 1-2 minutes
    python bench/bench_rbm.py --workloads 1,2 --repeats 5 --out bench/results

Every contender trains the same RBM with the same algorithm (CD-k or PCD-k, constant momentum,
L2 weight decay, rows in order, no shuffling) from the same start on the same data; each timed
run is one epoch from that start (one-time initialization excluded). Contenders run interleaved
(rotated order each repeat) so that load on this noisy machine hits them alike; the reported time
is the median of the repeats and every ratio compares numbers measured in the same run.

Writes ``results.json``, ``results.md`` and ``results.png`` to ``--out`` (default
``bench/results/``, gitignored); ``--update-results`` also rewrites the generated block of
``bench/RESULTS.md``. ``main(argv)`` is the entry point (``python -m fastinit bench``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import gc
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # run as a script, imported by path, or through python -m fastinit
    sys.path.insert(0, _HERE)

import _data  # noqa: E402
import loads  # noqa: E402
import numpy_rbm  # noqa: E402
import torch_rbm  # noqa: E402

FULL_ROWS = 60_000
RESULTS_MD = os.path.join(_HERE, "RESULTS.md")
AUTO_BEGIN = "<!-- BEGIN GENERATED RESULTS (bench/bench_rbm.py --update-results) -->"
AUTO_END = "<!-- END GENERATED RESULTS -->"
AGREEMENT_RTOL = 0.05  # reconstruction errors after one epoch from the same start


# ------------------------------------------------------------------------------------ workloads


@dataclasses.dataclass
class Workload:
    id: str
    title: str
    data: str  # "mnist" | "fashion" | "gaussian" | "layer2"
    n_hidden: int
    batch_size: int
    rows: int  # rows every contender trains on in a timed epoch
    k: int = 1
    persistent: bool = False
    visible: str = "bernoulli"
    learning_rate: float = 0.1
    momentum: float = 0.5
    weight_decay: float = 2e-4
    repeats: int = 3
    contenders: tuple[str, ...] = ("fastinit", "fastinit_1t", "numpy", "torch")
    sklearn_rows: int = 0  # rows of scikit-learn's timed (partial) epoch, extrapolated
    extra: tuple[str, ...] = ()  # "uint8", "growth"


def make_workloads(quick: bool) -> list[Workload]:
    r100 = 10_000 if quick else FULL_ROWS  # batch 100
    r10 = 3_000 if quick else 20_000  # batch 10: the same rows for every contender, scaled
    rk = 5_000 if quick else 20_000  # CD-10 and the 2000-unit layer
    rep = 2 if quick else 5
    rep_slow = 2 if quick else 3
    return [
        Workload(
            "1",
            "MNIST binary 784→500, CD-1, batch 100",
            "mnist",
            500,
            100,
            r100,
            repeats=rep,
            extra=("uint8", "growth"),
        ),
        Workload(
            "2", "MNIST binary 784→500, CD-1, batch 10", "mnist", 500, 10, r10, repeats=rep_slow
        ),
        Workload(
            "3",
            "Fashion-MNIST binary 784→500, CD-1, batch 100",
            "fashion",
            500,
            100,
            r100,
            repeats=rep,
        ),
        Workload(
            "4",
            "MNIST Gaussian (standardized) 784→500, CD-1, batch 100",
            "gaussian",
            500,
            100,
            r100,
            visible="gaussian",
            learning_rate=0.01,
            repeats=rep,
        ),
        Workload(
            "5",
            "Layer 2: 500→2000 on hidden probabilities, CD-1, batch 100",
            "layer2",
            2000,
            100,
            rk,
            repeats=rep_slow,
        ),
        Workload(
            "6a",
            "MNIST binary 784→500, CD-10, batch 100",
            "mnist",
            500,
            100,
            rk,
            k=10,
            repeats=rep_slow,
            contenders=("fastinit", "numpy", "torch"),
        ),
        Workload(
            "6b",
            "MNIST binary 784→500, PCD-1, batch 10 (scikit-learn's algorithm)",
            "mnist",
            500,
            10,
            r10,
            persistent=True,
            momentum=0.0,
            weight_decay=0.0,
            repeats=rep_slow,
            contenders=("fastinit", "fastinit_1t", "numpy", "torch", "sklearn"),
            sklearn_rows=1_000 if quick else 5_000,
        ),
    ]


# ------------------------------------------------------------------------------------ helpers


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def _settle() -> None:
    """Let other thread pools (OpenBLAS, torch's OpenMP) stop spinning before a timed run."""
    gc.collect()
    time.sleep(0.1)


_T = TypeVar("_T")


class SpeedProbe:
    """Times runs while the machine runs at its normal speed.

    This VM has episodes of seconds in which every 2-thread computation runs at about half
    speed (bench/RESULTS.md). A run timed in one measures the machine, not the contender, and a
    median of 9 repeats does not survive 5 of them. So each timed run is bracketed by a probe of
    the machine's speed — ``matmul_rate`` of a 768² matmul at the run's threads, median of 3
    calls — against the fastest probe seen so far. A run starts once a probe finds the machine at
    ``quiet`` of that speed or more (probing every 0.25 s for up to ``max_wait`` seconds), and is
    timed again when the probe after it finds the machine slow, or when it took more than
    ``outlier`` times the same contender's fastest run so far (``best``): episodes of a second or
    two can fall inside a run and end before the probe after it (at most ``attempts`` times; the
    last one is kept).
    """

    def __init__(
        self,
        quiet: float = 0.75,
        attempts: int = 3,
        max_wait: float = 20.0,
        n: int = 768,
        outlier: float = 1.3,
    ) -> None:
        self.quiet, self.attempts, self.max_wait, self.n = quiet, attempts, max_wait, n
        self.outlier = outlier
        self._fastest = 0.0
        for _ in range(10):
            self.speed()

    def speed(self) -> float:
        """The machine's speed now, as a fraction of the fastest probe so far."""
        rate = matmul_rate(repeats=3, n=self.n)
        self._fastest = max(self._fastest, rate)
        return rate / self._fastest

    def wait_for_quiet(self) -> None:
        """Return once the machine runs at ``quiet`` of its speed, or after ``max_wait`` s."""
        deadline = time.perf_counter() + self.max_wait
        while self.speed() < self.quiet and time.perf_counter() < deadline:
            time.sleep(0.25)

    def timed(self, job: Callable[[], _T], best: float | None = None) -> tuple[_T, int]:
        """``job()`` started in a quiet state and retaken if the machine was slow after it, or
        if the run (a ``Run``) took over ``outlier`` × ``best`` seconds: (result, attempts)."""
        attempt = 0
        while True:
            attempt += 1
            self.wait_for_quiet()
            result = job()
            _settle()
            seconds = getattr(result, "seconds", None)
            outlier = best is not None and seconds is not None and seconds > self.outlier * best
            if (self.speed() >= self.quiet and not outlier) or attempt >= self.attempts:
                return result, attempt

    @staticmethod
    def describe(retimed: dict[str, int]) -> str:
        """'name k×, ...' for the contenders timed again k > 0 times."""
        return ", ".join(f"{name} {k}×" for name, k in retimed.items() if k)


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def _cpu_snapshot() -> tuple[float, float, float]:
    """(wall, machine busy CPU seconds from /proc/stat, this process's CPU seconds)."""
    busy = float("nan")
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        pass
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system + t.children_user + t.children_system


def _others_load(before: tuple[float, float, float], after: tuple[float, float, float]) -> float:
    """Average number of cores that other processes kept busy between two snapshots."""
    wall = after[0] - before[0]
    return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / wall) if wall > 0 else 0.0


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=_HERE, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except Exception:
        return ""


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def machine_info(n_threads: int) -> dict[str, Any]:
    import sklearn
    from threadpoolctl import threadpool_info

    import fastinit

    cpu, flags = "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown":
                    cpu = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    have = set(line.split(":", 1)[1].split())
                    flags = [x for x in ("avx2", "fma", "avx512f", "avx512_bf16") if x in have]
    except OSError:
        pass
    mem_gb = None
    try:
        with open("/proc/meminfo") as f:
            mem_gb = round(int(f.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    core = fastinit._core.__file__
    info: dict[str, Any] = {
        "cpu": cpu,
        "cpu_flags": flags,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": mem_gb,
        "threads_used": n_threads,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "torch": None,
        "fastinit_config": fastinit.get_config(),
        "fastinit_core": {
            "path": core,
            "sha256_16": _sha256(core),
            "mtime": datetime.datetime.fromtimestamp(
                os.path.getmtime(core), tz=datetime.timezone.utc
            ).isoformat(timespec="seconds"),
        },
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty_files": [
            ln[3:]
            for ln in _git("status", "--porcelain").splitlines()
            if not ln[3:].startswith("bench/")
        ][:40],
        "env": {
            k: os.environ[k]
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OMP_NUM_THREADS",
                "OMP_WAIT_POLICY",
                "GOMP_SPINCOUNT",
                "OPENBLAS_NUM_THREADS",
            )
            if k in os.environ
        },
        "threadpools": [
            {
                k: p.get(k)
                for k in (
                    "internal_api",
                    "prefix",
                    "version",
                    "architecture",
                    "num_threads",
                    "filepath",
                )
            }
            for p in threadpool_info()
        ],
    }
    if torch_rbm.available():
        import torch

        info["torch"] = torch.__version__
    numpy_blas = [p for p in info["threadpools"] if "numpy" in (p.get("filepath") or "")]
    info["numpy_blas_kernel"] = (
        f"{numpy_blas[0]['internal_api']} {numpy_blas[0]['version']} "
        f"{numpy_blas[0]['architecture']} ({numpy_blas[0]['num_threads']} threads)"
        if numpy_blas
        else "unknown"
    )
    return info


def set_numpy_blas_threads(n: int) -> list[str]:
    """Set the threads of NumPy's own BLAS only (not fastinit's, which stays pinned to 1)."""
    from threadpoolctl import ThreadpoolController

    done = []
    for lib in ThreadpoolController().lib_controllers:
        if lib.user_api == "blas" and "numpy" in os.path.basename(os.path.dirname(lib.filepath)):
            lib.set_num_threads(n)
            done.append(lib.filepath)
    return done


def matmul_rate(repeats: int = 5, n: int = 2000) -> float:
    """NumPy float32 n x n matmul rate in GFLOP/s (median of repeats), at NumPy's own threads."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return 2.0 * n**3 / _median(times) / 1e9


def dense_floor(rows: int, V: int, H: int, B: int, k: int, max_batches: int = 120) -> float:
    """Seconds per epoch of the products alone, NumPy float32, preallocated outputs.

    Per mini-batch: v0 Wᵀ, then k times (h W, v' Wᵀ), then the two outer-product sums as one
    stacked product [h0; hk]ᵀ [v0; vk] (K = 2B), as the engine and the NumPy reference do.
    Timed on up to ``max_batches`` mini-batches and scaled to the epoch.
    """
    rng = np.random.default_rng(1)
    W = rng.normal(0, 0.01, (H, V)).astype(np.float32)
    v = (rng.random((2 * B, V)) < 0.2).astype(np.float32)
    h = (rng.random((2 * B, H)) < 0.5).astype(np.float32)
    oh = np.empty((B, H), dtype=np.float32)
    ov = np.empty((B, V), dtype=np.float32)
    g = np.empty((H, V), dtype=np.float32)
    n_batches = -(-rows // B)
    nb = min(n_batches, max_batches)
    WT = W.T
    for _ in range(3):  # warm up
        np.matmul(v[:B], WT, out=oh)
    t0 = time.perf_counter()
    for _ in range(nb):
        np.matmul(v[:B], WT, out=oh)
        for _ in range(k):
            np.matmul(h[:B], W, out=ov)
            np.matmul(v[B:], WT, out=oh)
        np.matmul(h.T, v, out=g)
    return (time.perf_counter() - t0) / nb * n_batches


# ------------------------------------------------------------------------------------ data


class DataSets:
    """Loads each data set once, at the largest row count any workload needs."""

    def __init__(self, rows: int, log: Callable[[str], None]) -> None:
        self.rows = rows
        self.log = log
        self._cache: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}

    def get(self, name: str) -> tuple[np.ndarray, np.ndarray, str]:
        """(X for fastinit, float32 X for the others, source) at self.rows rows."""
        if name not in self._cache:
            t0 = time.perf_counter()
            if name == "mnist":
                pix, src = _data.mnist_pixels(self.rows)
                X8 = _data.binarize(pix)
                out = (X8, X8.astype(np.float32), src + ", binarized at 0.5")
            elif name == "fashion":
                pix, src = _data.fashion_mnist_pixels(self.rows)
                X8 = _data.binarize(pix)
                out = (X8, X8.astype(np.float32), src + ", binarized at 0.5")
            elif name == "gaussian":
                pix, src = _data.mnist_pixels(self.rows)
                X = _data.standardize(pix)
                out = (X, X, src + ", pixels / 255 standardized per column")
            elif name == "layer2":
                import fastinit

                X8, _, src = self.get("mnist")
                first = fastinit.RBM(784, 500, n_iter=1, random_state=0).fit(X8[:10_000])
                P = first.transform(X8)  # float32 hidden probabilities
                out = (
                    P,
                    P,
                    f"hidden probabilities of a 784→500 RBM (1 epoch on 10k rows) of {src}",
                )
            else:
                raise ValueError(name)
            self.log(
                f"  data {name}: {out[1].shape}, mean {float(out[1].mean()):.3f} "
                f"({time.perf_counter() - t0:.1f} s) — {out[2]}"
            )
            self._cache[name] = out
        return self._cache[name]


def start_point(X32: np.ndarray, n_hidden: int, visible: str, seed: int = 0):
    """The shared start: W ~ N(0, 0.01²), a = log-odds (Bernoulli) or mean (Gaussian), c = 0."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 0.01, (n_hidden, X32.shape[1])).astype(np.float32)
    mean = X32.mean(axis=0, dtype=np.float64)
    if visible == "bernoulli":
        p = np.clip(mean, 1e-3, 1 - 1e-3)
        a = np.log(p / (1 - p))
    else:
        a = mean
    return W, a.astype(np.float32), np.zeros(n_hidden, dtype=np.float32)


# ------------------------------------------------------------------------------------ contenders


@dataclasses.dataclass
class Run:
    seconds: float
    params: tuple[np.ndarray, np.ndarray, np.ndarray]
    engine_seconds: float | None = None
    cpu_seconds: float | None = None  # this process's CPU time, all threads (spinning included)


class _Clock:
    """Wall and process-CPU time of a block."""

    def __enter__(self) -> _Clock:
        _settle()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def run_fastinit(w: Workload, X: np.ndarray, start, n_jobs: int | None, seed: int = 0) -> Run:
    import fastinit

    W0, a0, c0 = start
    model = fastinit.RBM.from_weights(
        W0.copy(), a0.copy(), c0.copy(), visible=w.visible, k=w.k, persistent=w.persistent,
        learning_rate=w.learning_rate, momentum=w.momentum, weight_decay=w.weight_decay,
        batch_size=w.batch_size, shuffle=False, n_jobs=n_jobs, random_state=seed,
    )  # fmt: skip
    with _Clock() as clock:
        model.partial_fit(X)
    params = (model.components_, model.intercept_visible_, model.intercept_hidden_)
    return Run(clock.wall, params, float(model.history_["seconds"][-1]), clock.cpu)


def run_reference(trainer: type, w: Workload, X32: np.ndarray, start) -> Run:
    """One epoch of the NumPy or PyTorch contender (same constructor) from the shared start."""
    W0, a0, c0 = start
    ref = trainer(
        W0, a0, c0, visible=w.visible, k=w.k, persistent=w.persistent,
        learning_rate=w.learning_rate, momentum=w.momentum, weight_decay=w.weight_decay,
        batch_size=w.batch_size, seed=0,
    )  # fmt: skip
    with _Clock() as clock:
        ref.train_epoch(X32)
    params = ref.parameters_numpy() if hasattr(ref, "parameters_numpy") else (ref.W, ref.a, ref.c)
    return Run(clock.wall, params, cpu_seconds=clock.cpu)


def run_sklearn(w: Workload, X32: np.ndarray, start) -> Run:
    """scikit-learn's BernoulliRBM epoch loop (exactly fit's inner loop) from the shared start.

    ``fit`` would draw its own start; to compare from the same point the attributes fit sets
    are set here (float32, components in Fortran order as fit makes them) and the loop of fit,
    ``for s in gen_even_slices(...): self._fit(X[s], rng)``, is run and timed.
    """
    from sklearn.neural_network import BernoulliRBM
    from sklearn.utils import check_random_state, gen_even_slices

    if w.momentum != 0 or w.weight_decay != 0 or not w.persistent or w.k != 1:
        raise ValueError("scikit-learn's BernoulliRBM only does PCD-1 without momentum/decay")
    W0, a0, c0 = start
    H, B = w.n_hidden, w.batch_size
    model = BernoulliRBM(
        n_components=H, learning_rate=w.learning_rate, batch_size=B, n_iter=1, random_state=0
    )
    model.components_ = np.asfortranarray(W0.copy())
    model.intercept_visible_ = a0.copy()
    model.intercept_hidden_ = c0.copy()
    model.h_samples_ = np.zeros((B, H), dtype=np.float32)
    model._n_features_out = H
    rng = check_random_state(0)
    n = X32.shape[0]
    n_batches = math.ceil(n / B)
    slices = list(gen_even_slices(n_batches * B, n_batches, n_samples=n))
    with _Clock() as clock:
        for s in slices:
            model._fit(X32[s], rng)
    return Run(
        clock.wall,
        (
            np.ascontiguousarray(model.components_),
            model.intercept_visible_,
            model.intercept_hidden_,
        ),
        cpu_seconds=clock.cpu,
    )


def contender_job(
    name: str, w: Workload, X32: np.ndarray, start, n_threads: int | None = None
) -> Callable[[], Run]:
    """One timed epoch of contender ``name`` on X32 from ``start``. ``fastinit`` runs on
    ``n_threads`` threads (None: its default), ``fastinit_1t`` on one."""
    if name == "fastinit":
        return lambda: run_fastinit(w, X32, start, n_threads)
    if name == "fastinit_1t":
        return lambda: run_fastinit(w, X32, start, 1)
    if name == "numpy":
        return lambda: run_reference(numpy_rbm.NumpyRBM, w, X32, start)
    if name == "torch":
        return lambda: run_reference(torch_rbm.TorchRBM, w, X32, start)
    if name == "sklearn":
        return lambda: run_sklearn(w, X32, start)
    raise ValueError(f"unknown contender {name!r}")


# ------------------------------------------------------------------------------------ measuring


def bench_workload(w: Workload, data: DataSets, args, log, probe: SpeedProbe) -> dict[str, Any]:
    Xf, X32, source = data.get(w.data)
    if w.rows < X32.shape[0]:
        source += f"; the first {w.rows:,} rows"
    Xf, X32 = Xf[: w.rows], X32[: w.rows]
    V, H, B = X32.shape[1], w.n_hidden, w.batch_size
    start = start_point(X32, H, w.visible)
    n_threads = args.threads
    contenders = [
        c
        for c in w.contenders
        if not (c == "torch" and (args.no_torch or not torch_rbm.available()))
        and not (c == "sklearn" and args.no_sklearn)
    ]
    sk_rows = min(w.sklearn_rows or w.rows, w.rows)
    X8 = Xf if Xf.dtype == np.uint8 else None
    jobs: dict[str, Callable[[], Run]] = {
        c: contender_job(c, w, X32[:sk_rows] if c == "sklearn" else X32, start, n_threads)
        for c in contenders
        if not (c == "fastinit_1t" and n_threads == 1)
    }
    if "uint8" in w.extra and X8 is not None:
        jobs["fastinit_uint8"] = lambda: run_fastinit(w, X8, start, n_threads)
    growth_rows = 10_000 if w.rows > 10_000 else 0
    if "growth" in w.extra and growth_rows:
        jobs["fastinit_10k_rows"] = lambda: run_fastinit(w, X32[:growth_rows], start, n_threads)

    def floor_job() -> Run:
        with _Clock() as clock:
            seconds = dense_floor(w.rows, V, H, B, w.k)
        return Run(
            seconds, (start[0], start[1], start[2]), cpu_seconds=clock.cpu * seconds / clock.wall
        )

    jobs["dense_floor"] = floor_job
    times: dict[str, list[float]] = {name: [] for name in jobs}
    cpu: dict[str, list[float]] = {name: [] for name in jobs}
    retimed: dict[str, int] = {name: 0 for name in jobs}
    engine: list[float] = []
    last: dict[str, Run] = {}
    repeats = args.repeats or w.repeats
    load_before = _loadavg()
    cpu_before = _cpu_snapshot()
    t_start = time.perf_counter()
    names = list(jobs)
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]  # rotate
        for name in order:
            run, attempts = probe.timed(jobs[name], min(times[name], default=None))
            retimed[name] += attempts - 1
            times[name].append(run.seconds)
            cpu[name].append(run.cpu_seconds if run.cpu_seconds is not None else float("nan"))
            last[name] = run
            if name == "fastinit" and run.engine_seconds is not None:
                engine.append(run.engine_seconds)
        log(f"  repeat {r + 1}/{repeats}: " + ", ".join(f"{n} {times[n][-1]:.2f}s" for n in names))
    if any(retimed.values()):
        log(f"  timed again (slow probe or outlier): {SpeedProbe.describe(retimed)}")

    # Agreement: mean-field reconstruction error of each contender's model after its epoch.
    n_eval = min(2000, w.rows)
    X_eval = X32[:n_eval]
    errors = {
        name: numpy_rbm.mean_field_error(*run.params, X_eval, w.visible)
        for name, run in last.items()
        if name not in ("dense_floor", "sklearn", "fastinit_10k_rows")
    }
    errors["start"] = numpy_rbm.mean_field_error(*start, X_eval, w.visible)
    # The contenders draw different random numbers: the tolerance allows for fastinit's own
    # seed-to-seed spread (one more run with another seed on the same rows).
    # (fastinit's results do not depend on the thread count, so these extra runs use 1 thread.)
    fi_seed = run_fastinit(w, X32, start, 1, seed=1)
    spread = (
        abs(numpy_rbm.mean_field_error(*fi_seed.params, X_eval, w.visible) - errors["fastinit"])
        / errors["fastinit"]
    )
    if "sklearn" in last:
        # scikit-learn ran on the first sk_rows rows: compare with fastinit on the same rows.
        # PCD on a few thousand rows is noisy (seed-to-seed SD ~2.5 % of the error), so the
        # spread is the SD over four seeds, and two runs may differ by up to 3 SD of their
        # difference (sqrt(2) SD).
        same = [run_fastinit(w, X32[:sk_rows], start, 1, seed=s) for s in range(4)]
        e_same = [numpy_rbm.mean_field_error(*r.params, X_eval, w.visible) for r in same]
        errors["fastinit_same_rows_as_sklearn"] = e_same[0]
        spread_sk = math.sqrt(2) * statistics.stdev(e_same) / e_same[0]
        errors["sklearn"] = numpy_rbm.mean_field_error(*last["sklearn"].params, X_eval, w.visible)
    agreement = {}
    for name, err in errors.items():
        if name in ("start", "fastinit", "fastinit_same_rows_as_sklearn"):
            continue
        ref = errors["fastinit_same_rows_as_sklearn"] if name == "sklearn" else errors["fastinit"]
        tol = max(AGREEMENT_RTOL, 3 * (spread_sk if name == "sklearn" else spread))
        agreement[name] = {
            "error": err,
            "fastinit_error": ref,
            "tolerance": tol,
            "rel_diff": abs(err - ref) / ref,
            "ok": abs(err - ref) / ref <= tol,
        }
    log(
        "  agreement (mean-field reconstruction error on the first "
        f"{n_eval} rows; start {errors['start']:.5f}): fastinit {errors['fastinit']:.5f} "
        f"(seed spread {spread:.1%}); "
        + "; ".join(
            f"{n} {a['error']:.5f} ({a['rel_diff']:.1%} "
            f"{'ok' if a['ok'] else 'MISMATCH'} at {a['tolerance']:.0%})"
            for n, a in agreement.items()
        )
    )

    # Per-epoch numbers (seconds for the rows measured, and scaled to a 60,000-row epoch).
    med = {name: _median(ts) for name, ts in times.items()}
    med_cpu = {name: _median(ts) for name, ts in cpu.items()}
    if "sklearn" in med:
        med["sklearn"] *= w.rows / sk_rows  # extrapolated to the workload's rows
        med_cpu["sklearn"] *= w.rows / sk_rows
        times["sklearn"] = [t * w.rows / sk_rows for t in times["sklearn"]]
        cpu["sklearn"] = [t * w.rows / sk_rows for t in cpu["sklearn"]]
    flops = numpy_rbm.epoch_flops(w.rows, V, H, w.k)
    fi = med["fastinit"]
    result: dict[str, Any] = {
        "workload": dataclasses.asdict(w),
        "data_source": source,
        "data_density": float(X32.mean()) if w.visible == "bernoulli" else None,
        "n_visible": V,
        "rows_measured": w.rows,
        "repeats": repeats,
        "times": times,
        "median_seconds": med,
        "cpu_times": cpu,
        "retimed": retimed,
        "median_cpu_seconds": med_cpu,
        "speedup_cpu": {
            n: med_cpu[n] / med_cpu["fastinit"]
            for n in ("numpy", "torch", "sklearn", "fastinit_1t")
            if n in med_cpu
        },
        "seconds_per_60k_epoch": {
            n: t * FULL_ROWS / w.rows for n, t in med.items() if n != "fastinit_10k_rows"
        },
        "fastinit_engine_seconds": _median(engine),
        "sklearn_rows_timed": sk_rows if "sklearn" in med else None,
        "speedup": {
            n: med[n] / fi for n in ("numpy", "torch", "sklearn", "fastinit_1t") if n in med
        },
        "gflops_fastinit": flops / fi / 1e9,
        "gflops_dense_floor": flops / med["dense_floor"] / 1e9,
        "fraction_of_dense_floor": med["dense_floor"] / fi,
        "fraction_of_matmul_rate": None,  # filled in by main
        "agreement": agreement,
        "recon_errors": errors,
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
        "other_processes_cores": _others_load(cpu_before, _cpu_snapshot()),
        "wall_seconds": time.perf_counter() - t_start,
    }
    if "fastinit_uint8" in med:
        result["uint8_vs_float32"] = med["fastinit"] / med["fastinit_uint8"]
    if "fastinit_10k_rows" in med:
        per_sample_10k = med["fastinit_10k_rows"] / growth_rows
        per_sample_full = fi / w.rows
        result["growth"] = {
            "rows": [growth_rows, w.rows],
            "us_per_sample": [per_sample_10k * 1e6, per_sample_full * 1e6],
            "ratio_full_over_10k": per_sample_full / per_sample_10k,
        }
    return result


LOADED_CONTENDERS = ("fastinit", "fastinit_1t", "numpy", "torch")


def bench_under_load(w: Workload, data: DataSets, args, log) -> dict[str, Any]:
    """The workload's epoch beside each load of ``--loads`` (bench/loads.py): fastinit with its
    default ``n_jobs`` and with one thread, NumPy and PyTorch. Every timed run starts its load
    afresh (the twin load trains the same contender); contenders rotate between repeats. No
    speed probe here: the machine is busy on purpose."""
    _, X32, _ = data.get(w.data)
    X32 = X32[: min(w.rows, args.loaded_rows)]
    start = start_point(X32, w.n_hidden, w.visible)
    contenders = [c for c in LOADED_CONTENDERS
                  if c != "torch" or (torch_rbm.available() and not args.no_torch)]  # fmt: skip
    repeats = args.loaded_repeats
    out: dict[str, Any] = {"rows": len(X32), "repeats": repeats, "loads": {}}
    for name in args.loads:
        times: dict[str, list[float]] = {c: [] for c in contenders}
        for r in range(repeats):
            for c in contenders[r % len(contenders) :] + contenders[: r % len(contenders)]:
                job = contender_job(c, w, X32, start)
                with loads.load(name, c, w.id, len(X32)):
                    times[c].append(job().seconds)
        med = {c: _median(ts) for c, ts in times.items()}
        fi = med["fastinit"]
        out["loads"][name] = {
            "times": times,
            "seconds_per_60k_epoch": {c: t * FULL_ROWS / len(X32) for c, t in med.items()},
            "default_over_one_thread": fi / med["fastinit_1t"],
            "speedup": {c: med[c] / fi for c in ("numpy", "torch") if c in med},
        }
        log(f"  {name}: " + ", ".join(f"{c} {med[c]:.3f}s" for c in contenders)
            + f"; default / 1 thread {fi / med['fastinit_1t']:.2f}")  # fmt: skip
    return out


def bench_hidden_scaling(data: DataSets, args, log, probe: SpeedProbe) -> dict[str, Any]:
    """fastinit's epoch time against n_hidden (MNIST binary, CD-1, batch 100)."""
    _, X32, _ = data.get("mnist")
    rows = 5_000 if args.quick else 10_000
    X32 = X32[:rows]
    hs = (250, 500, 1000, 2000)
    repeats = args.repeats or (2 if args.quick else 3)
    times: dict[int, list[float]] = {h: [] for h in hs}
    for _ in range(repeats):
        for h in hs:
            w = Workload("H", "", "mnist", h, 100, rows)
            start = start_point(X32, h, "bernoulli")
            run, _ = probe.timed(
                functools.partial(run_fastinit, w, X32, start, args.threads),
                min(times[h], default=None),
            )
            times[h].append(run.seconds)
    med = {h: _median(t) for h, t in times.items()}
    per_unit = {h: med[h] / h for h in hs}
    ref = per_unit[500]
    # Linear growth: t(H) = fixed + slope * H by least squares on relative residuals. The fixed
    # part is the work on the visible side of every mini-batch (the 784-wide sigmoid, sampling,
    # data loading), which does not grow with H; the residuals measure any non-linearity.
    t_h = np.array([med[h] for h in hs])
    slope, fixed = np.polyfit(np.array(hs, dtype=float), t_h, 1, w=1.0 / t_h)
    out = {
        "rows": rows,
        "median_seconds": med,
        "time_per_hidden_unit_rel_to_500": {h: per_unit[h] / ref for h in hs},
        "max_deviation": max(abs(per_unit[h] / ref - 1) for h in hs),
        "linear_fit_fixed_seconds": float(fixed),
        "linear_fit_seconds_per_unit": float(slope),
        "max_linear_fit_residual": max(abs(med[h] - (fixed + slope * h)) / med[h] for h in hs),
        "linear_fit_fixed_share_at_500": float(fixed / med[500]),
    }
    log(
        "  n_hidden scaling: "
        + ", ".join(
            f"H={h}: {med[h]:.2f}s ({out['time_per_hidden_unit_rel_to_500'][h]:.2f})" for h in hs
        )
        + f"; linear fit {fixed:.3f} s + {slope * 1e3:.3f} ms/unit, max residual "
        f"{out['max_linear_fit_residual']:.1%}"
    )
    return out


_MEMORY_SCRIPT = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, sys.argv[3])
    import numpy as np
    import fastinit, numpy_rbm
    from fastinit import RBM  # fastinit imports its estimators (and scikit-learn) lazily


    def status_mb(field):
        # VmRSS / VmHWM of this process image. (ru_maxrss is not used: Linux carries it over
        # exec from the forked parent, so a child of a big benchmark process would report the
        # parent's peak.)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError(field)

    def rss_mb():
        return status_mb("VmRSS")

    def peak_mb():
        return status_mb("VmHWM")

    X = np.load(sys.argv[1])
    before, peak_before = rss_mb(), peak_mb()
    if sys.argv[2] == "fastinit":
        RBM(X.shape[1], 500, n_iter=1, batch_size=100, random_state=0).fit(X)
    else:
        rng = np.random.default_rng(0)
        W = rng.normal(0, 0.01, (500, X.shape[1])).astype(np.float32)
        numpy_rbm.NumpyRBM(W, np.zeros(X.shape[1], np.float32), np.zeros(500, np.float32),
                           batch_size=100).train_epoch(X)
    print(json.dumps({"data_mb": X.nbytes / 2**20, "rss_before_fit_mb": before,
                      "peak_before_fit_mb": peak_before, "peak_after_fit_mb": peak_mb(),
                      "over_data_mb": peak_mb() - before}))
""")


def bench_memory(data: DataSets, log) -> dict[str, Any]:
    """Peak RSS of one epoch on 60,000 x 784 uint8 data, in a fresh subprocess, over the data."""
    X8, _, _ = data.get("mnist")
    if X8.shape[0] < FULL_ROWS:
        X8 = _data.tile_rows(X8, FULL_ROWS)
    out: dict[str, Any] = {"rows": FULL_ROWS, "dtype": "uint8"}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.npy")
        np.save(path, X8[:FULL_ROWS])
        for who in ("fastinit", "numpy"):
            proc = subprocess.run(
                [sys.executable, "-c", _MEMORY_SCRIPT, path, who, _HERE],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if proc.returncode != 0:
                out[who] = {"error": proc.stderr.strip().splitlines()[-1:]}
                continue
            out[who] = json.loads(proc.stdout.strip().splitlines()[-1])
    log(
        "  peak RSS over the data (60,000 x 784 uint8, one epoch, 500 hidden): "
        + ", ".join(
            f"{who} {v['over_data_mb']:.1f} MB"
            for who, v in out.items()
            if isinstance(v, dict) and "over_data_mb" in v
        )
    )
    return out


# ------------------------------------------------------------------------------------ targets


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    wl = {r["workload"]["id"]: r for r in results["workloads"]}
    targets: list[dict[str, Any]] = []

    def add(
        name: str,
        measured: float | None,
        goal: float,
        higher_is_better: bool = True,
        detail: str = "",
    ) -> None:
        if measured is None or (isinstance(measured, float) and math.isnan(measured)):
            targets.append(
                {
                    "target": name,
                    "measured": None,
                    "goal": goal,
                    "met": None,
                    "detail": detail or "not measured",
                }
            )
            return
        met = measured >= goal if higher_is_better else measured <= goal
        targets.append(
            {"target": name, "measured": measured, "goal": goal, "met": bool(met), "detail": detail}
        )

    def needs(r: dict[str, Any], contender: str, goal: float) -> str:
        # The goal's time at the epoch's full flop count, as a fraction of this machine's large
        # matmul rate: above 1, only skipping products (binary operands) can reach it.
        fraction = goal * r["fraction_of_matmul_rate"] / r["speedup"][contender]
        return f"needs {fraction:.2f} of the 2000² matmul rate at the full flop count"

    for i in ("3", "4", "5"):
        if i in wl:
            add(
                f"dense path ≥ 0.9 of the dense floor (workload {i})",
                wl[i]["fraction_of_dense_floor"],
                0.9,
            )
    for i, r in wl.items():
        if "numpy" in r["speedup"]:
            goal = 2.5 if i == "1" else (2.0 if r["workload"]["batch_size"] <= 10 else 1.5)
            add(
                f"≥{goal}× NumPy reference (workload {i}, batch {r['workload']['batch_size']})",
                r["speedup"]["numpy"],
                goal,
                detail=needs(r, "numpy", goal),
            )
    for i, r in wl.items():
        if "sklearn" in r["speedup"]:
            add(
                f"≥10× scikit-learn BernoulliRBM (workload {i}, PCD-1, batch 10, float32)",
                r["speedup"]["sklearn"],
                10.0,
                detail=f"scikit-learn timed on {r['sklearn_rows_timed']} rows, extrapolated; "
                + needs(r, "sklearn", 10.0),
            )
    for i, r in wl.items():
        if "torch" in r["speedup"]:
            add(f"≥2× PyTorch CPU (workload {i})", r["speedup"]["torch"], 2.0,
                detail=needs(r, "torch", 2.0))  # fmt: skip
    if "1" in wl and "fastinit_1t" in wl["1"]["speedup"]:
        add(
            f"{results['machine']['threads_used']} threads ≥1.7× 1 thread (workload 1)",
            wl["1"]["speedup"]["fastinit_1t"],
            1.7,
        )
    for i, r in wl.items():
        for name, run in r.get("under_load", {}).get("loads", {}).items():
            add(f"default n_jobs ≤ 1.1× n_jobs=1 beside load '{name}' (workload {i})",
                run["default_over_one_thread"], 1.1, higher_is_better=False)  # fmt: skip
    mem = results.get("memory", {}).get("fastinit", {})
    if "over_data_mb" in mem:
        add(
            "peak RSS ≤ 64 MB over the data (60,000 × 784 uint8)",
            mem["over_data_mb"],
            64.0,
            higher_is_better=False,
        )
    if "1" in wl and "growth" in wl["1"]:
        g = wl["1"]["growth"]["ratio_full_over_10k"]
        targets.append(
            {
                "target": "time per sample within 10% from 10,000 to 60,000 rows",
                "measured": g,
                "goal": "0.9–1.1",
                "met": bool(0.9 <= g <= 1.1),
                "detail": f"per-sample time at {wl['1']['growth']['rows'][1]} rows / at "
                f"{wl['1']['growth']['rows'][0]} rows",
            }
        )
    hs = results.get("hidden_scaling")
    if hs:
        add(
            "linear in n_hidden (H = 250…2000: every time within 10% of the least-squares line "
            "t = fixed + slope·H)",
            hs["max_linear_fit_residual"],
            0.10,
            higher_is_better=False,
            detail=(
                f"max abs(t − fit) / t; fixed part {hs['linear_fit_fixed_seconds']:.3f} s "
                f"({hs['linear_fit_fixed_share_at_500']:.0%} of H=500's time); "
                f"time per unit vs H=500's: max deviation {hs['max_deviation']:.0%}"
            ),
        )
    return targets


# ------------------------------------------------------------------------------------ reporting


def _fmt_t(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.2f}" if x >= 0.095 else f"{x:.3f}"


def _fmt_x(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.2f}×"


def markdown_report(results: dict[str, Any]) -> str:
    m = results["machine"]
    openblas_env = ", ".join(f"{k}={v}" for k, v in m["env"].items() if k.startswith("OPENBLAS"))
    lines = []
    lines.append(
        f"Run {results['started']} · `{results['command']}` · "
        f"{results['wall_seconds'] / 60:.1f} min"
    )
    lines.append("")
    lines.append(
        f"Machine: {m['cpu']} ({', '.join(m['cpu_flags'])}), {m['usable_cpus']} usable cores, "
        f"{m['memory_gb']} GB; fastinit {m['fastinit_config'].get('version')} "
        f"({m['fastinit_config'].get('compiler')}, OpenMP {m['fastinit_config'].get('openmp')}, "
        f"BLAS `{m['fastinit_config'].get('blas')}`, _core sha256 "
        f"{m['fastinit_core']['sha256_16']} built {m['fastinit_core']['mtime']}, git "
        f"{m['git_commit']}{' + uncommitted changes' if m['git_dirty_files'] else ''}); "
        f"NumPy {m['numpy']} with {m['numpy_blas_kernel']}; scikit-learn {m['scikit_learn']}; "
        f"PyTorch {m['torch']}; Python {m['python']}. Threads: {m['threads_used']} for every "
        f"contender. OPENBLAS_CORETYPE/L2_SIZE: "
        f"{openblas_env or 'unset'}. "
        f"NumPy float32 2000×2000 matmul: {results['matmul_gflops']:.0f} GFLOP/s "
        f"(start {results['matmul_gflops_start']:.0f}, end {results['matmul_gflops_end']:.0f})."
    )
    lines.append("")
    lines.append(
        "Seconds per epoch are medians of the repeats for the rows measured, scaled to a "
        "60,000-row epoch (per-sample cost is flat in the row count, see the growth "
        "row). ×C = contender's time / fastinit's time in the same run. Floor = the "
        "epoch's matrix products alone in NumPy float32; 'of floor' = floor time / "
        "fastinit time (1.0 = products at NumPy's speed and everything else free)."
    )
    lines.append("")
    lines.append(
        "| workload | rows | fastinit s | 1 thread s | NumPy s | PyTorch s | sklearn s "
        "| ×NumPy | ×PyTorch | ×sklearn | threads speedup | GFLOP/s | of floor "
        "| of 2000² matmul | agree |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results["workloads"]:
        w = r["workload"]
        s = r["seconds_per_60k_epoch"]
        sp = r["speedup"]
        ok = all(a["ok"] for a in r["agreement"].values())
        lines.append(
            f"| {w['id']}: {w['title']} | {r['rows_measured']:,} | {_fmt_t(s.get('fastinit'))} "
            f"| {_fmt_t(s.get('fastinit_1t'))} | {_fmt_t(s.get('numpy'))} "
            f"| {_fmt_t(s.get('torch'))} | {_fmt_t(s.get('sklearn'))} "
            f"| {_fmt_x(sp.get('numpy'))} | {_fmt_x(sp.get('torch'))} "
            f"| {_fmt_x(sp.get('sklearn'))} | {_fmt_x(sp.get('fastinit_1t'))} "
            f"| {r['gflops_fastinit']:.0f} | {r['fraction_of_dense_floor']:.2f} "
            f"| {r['fraction_of_matmul_rate']:.2f} | {'yes' if ok else 'NO'} |"
        )
    lines.append("")
    extra = []
    for r in results["workloads"]:
        w = r["workload"]
        note = (
            f"- Workload {w['id']}: data {r['data_source']}"
            + (f" (density {r['data_density']:.3f})" if r["data_density"] is not None else "")
            + f"; {r['repeats']} repeats; fastinit engine-only "
            f"{r['fastinit_engine_seconds']:.2f} s "
            f"of {r['median_seconds']['fastinit']:.2f} s (rest: partial_fit's checks); "
            f"dense floor {r['median_seconds']['dense_floor']:.2f} s "
            f"({r['gflops_dense_floor']:.0f} GFLOP/s); other processes kept "
            f"{r['other_processes_cores']:.2f} of {results['machine']['usable_cpus']} "
            f"cores busy "
            f"(load avg {r['loadavg_before'][0]} → {r['loadavg_after'][0]})"
        )
        if r.get("speedup_cpu"):
            note += "; CPU-time ratios " + ", ".join(
                f"×{n} {v:.2f}" for n, v in r["speedup_cpu"].items()
            )
        retakes = SpeedProbe.describe(r.get("retimed", {}))
        if retakes:
            note += f"; timed again after a slow speed probe or as an outlier: {retakes}"
        if "uint8_vs_float32" in r:
            note += f"; uint8 input {r['uint8_vs_float32']:.2f}× the float32 speed"
        if r.get("sklearn_rows_timed"):
            note += (
                f"; scikit-learn timed on the first {r['sklearn_rows_timed']:,} rows and "
                f"extrapolated"
            )
        extra.append(note)
    lines.extend(extra)
    lines.append("")
    if results.get("hidden_scaling"):
        hs = results["hidden_scaling"]
        lines.append(
            f"n_hidden scaling (fastinit, MNIST binary, CD-1, batch 100, "
            f"{hs['rows']:,} rows): "
            + ", ".join(
                f"H={h}: {_fmt_t(t)} s (per unit {hs['time_per_hidden_unit_rel_to_500'][h]:.2f})"
                for h, t in hs["median_seconds"].items()
            )
            + f"; least-squares line {hs['linear_fit_fixed_seconds']:.3f} s + "
            f"{hs['linear_fit_seconds_per_unit'] * 1e3:.3f} ms per unit, largest residual "
            f"{hs['max_linear_fit_residual']:.1%}"
        )
        lines.append("")
    mem = results.get("memory")
    if mem:
        parts = []
        for who in ("fastinit", "numpy"):
            v = mem.get(who, {})
            if "over_data_mb" in v:
                parts.append(
                    f"{who}: +{v['over_data_mb']:.1f} MB over "
                    f"{v['rss_before_fit_mb']:.0f} MB "
                    f"(data {v['data_mb']:.1f} MB)"
                )
        lines.append(
            "Peak RSS, one epoch on 60,000 × 784 uint8 in a fresh process: "
            + "; ".join(parts)
            + "."
        )
        lines.append("")
    lines.extend(_loaded_report(results))
    lines.append("| target | measured | goal | met |")
    lines.append("|---|---|---|---|")
    for t in results["targets"]:
        meas = t["measured"]
        meas_s = "—" if meas is None else (f"{meas:.3f}" if isinstance(meas, float) else str(meas))
        met = {True: "**met**", False: "not met", None: "—"}[t["met"]]
        detail = f" ({t['detail']})" if t.get("detail") else ""
        lines.append(f"| {t['target']}{detail} | {meas_s} | {t['goal']} | {met} |")
    return "\n".join(lines) + "\n"


def _loaded_report(results: dict[str, Any]) -> list[str]:
    """One table per load: each workload's epoch beside it, default n_jobs against one thread."""
    loaded = [r for r in results["workloads"] if r.get("under_load")]
    if not loaded:
        return []
    first = loaded[0]["under_load"]
    lines = [
        f"Beside a busy machine ({first['rows']:,} rows per run, median of {first['repeats']} "
        "repeats, scaled to a 60,000-row epoch; each run starts its load afresh: `spin` = a "
        "process spinning on one core, `compile` = g++ building the engine in a loop, `twin` = a "
        "second process training the same contender). default / 1 thread ≤ 1.1 is the goal.",
        "",
    ]
    for name in first["loads"]:
        lines += [
            f"| beside `{name}` | default s | 1 thread s | NumPy s | PyTorch s "
            "| default / 1 thread | ×NumPy | ×PyTorch |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in loaded:
            run = r["under_load"]["loads"][name]
            t, sp = run["seconds_per_60k_epoch"], run["speedup"]
            lines.append(
                f"| W{r['workload']['id']} | {_fmt_t(t.get('fastinit'))} "
                f"| {_fmt_t(t.get('fastinit_1t'))} | {_fmt_t(t.get('numpy'))} "
                f"| {_fmt_t(t.get('torch'))} | {run['default_over_one_thread']:.2f} "
                f"| {_fmt_x(sp.get('numpy'))} | {_fmt_x(sp.get('torch'))} |"
            )
        lines.append("")
    return lines


def write_chart(results: dict[str, Any], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    wls = results["workloads"]
    labels = [f"W{r['workload']['id']}" for r in wls]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = [
        ("numpy", "NumPy ref"),
        ("torch", "PyTorch"),
        ("sklearn", "scikit-learn"),
        ("fastinit_1t", "fastinit 1 thread"),
    ]
    width = 0.8 / len(names)
    x = np.arange(len(wls))
    for i, (key, label) in enumerate(names):
        vals = [r["speedup"].get(key, np.nan) for r in wls]
        if all(np.isnan(vals)):
            continue
        ax1.bar(x + (i - len(names) / 2 + 0.5) * width, vals, width, label=label)
    ax1.axhline(1.0, color="k", lw=0.8)
    ax1.set_yscale("log")
    ax1.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.25, 0.5, 1, 2, 5, 10, 20]))
    ax1.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g×"))
    ax1.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax1.set_xticks(x, labels)
    ax1.set_ylabel("contender time / fastinit time (higher = fastinit faster)")
    ax1.set_title("fastinit speedup, same run")
    ax1.legend(fontsize=8)
    ax2.bar(x, [r["fraction_of_dense_floor"] for r in wls], 0.5, color="tab:green")
    ax2.axhline(0.9, color="tab:red", ls="--", lw=1, label="target 0.9")
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set_xticks(x, labels)
    ax2.set_ylabel("dense-floor time / fastinit time")
    ax2.set_title("fastinit vs its products alone in NumPy")
    ax2.legend(fontsize=8)
    fig.suptitle(
        f"fastinit RBM benchmark — {results['machine']['cpu']}, "
        f"threads: {results['machine']['threads_used']}, {results['started'][:16]}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def update_results_md(markdown: str) -> None:
    block = f"{AUTO_BEGIN}\n{markdown}{AUTO_END}"
    if os.path.exists(RESULTS_MD):
        with open(RESULTS_MD) as f:
            text = f.read()
        if AUTO_BEGIN in text and AUTO_END in text:
            head, rest = text.split(AUTO_BEGIN, 1)
            tail = rest.split(AUTO_END, 1)[1]
            text = head + block + tail
        else:
            text = text.rstrip() + "\n\n## Latest results\n\n" + block + "\n"
    else:
        text = "# RBM benchmark results\n\n## Latest results\n\n" + block + "\n"
    with open(RESULTS_MD, "w") as f:
        f.write(text)


# ------------------------------------------------------------------------------------ main


def report_from_json(path: str, update_results: bool = False) -> str:
    """Markdown report of a saved results.json (and optionally rewrite bench/RESULTS.md)."""
    with open(path) as f:
        results = json.load(f)
    md = markdown_report(results)
    if update_results:
        update_results_md(md)
    return md


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_rbm", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run on fewer rows (1-2 minutes)")
    p.add_argument(
        "--workloads",
        default="1,2,3,4,5,6",
        help="comma-separated workload ids: 1,2,3,4,5,6 (6 = 6a and 6b), or 6a/6b",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="repeats per contender (default: "
        "5 for the batch-100 CD-1 workloads, 3 for the slower ones; 2 with --quick)",
    )
    p.add_argument("--out", default=os.path.join(_HERE, "results"), help="output directory")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for every contender (default: all usable cores)",
    )
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch contender")
    p.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    p.add_argument(
        "--loads",
        default=None,
        help="comma-separated loads to run every workload beside, of "
        f"{', '.join(loads.LOADS)} (bench/loads.py), or 'none' (default: all; spin and twin with "
        "--quick)",
    )
    p.add_argument("--loaded-rows", type=int, default=None,
                   help="rows of the loaded runs (default 10,000; 3,000 with --quick)")  # fmt: skip
    p.add_argument("--loaded-repeats", type=int, default=3, help="repeats of the loaded runs")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-RSS measurement")
    p.add_argument("--no-scaling", action="store_true", help="skip the n_hidden scaling")
    p.add_argument(
        "--update-results",
        action="store_true",
        help="rewrite the generated block of bench/RESULTS.md",
    )
    args = p.parse_args(argv)
    chosen = args.loads or ("spin,twin" if args.quick else ",".join(loads.LOADS))
    args.loads = [] if chosen == "none" else [x.strip() for x in chosen.split(",") if x.strip()]
    for name in args.loads:
        if name not in loads.LOADS:
            p.error(f"--loads: unknown load {name!r}; choose from {', '.join(loads.LOADS)}")
    args.loaded_rows = args.loaded_rows or (3_000 if args.quick else 10_000)
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from fastinit._parallel import resolve_n_threads

    args.threads = args.threads or resolve_n_threads(None)
    set_numpy_blas_threads(args.threads)  # NumPy reference, dense floor, scikit-learn
    if torch_rbm.available() and not args.no_torch:
        import torch

        torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    t0 = time.perf_counter()
    command = " ".join(["python bench/bench_rbm.py", *(sys.argv[1:] if argv is None else argv)])
    results: dict[str, Any] = {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "quick": args.quick,
        "machine": machine_info(args.threads),
    }
    m = results["machine"]
    log(
        f"# fastinit RBM benchmark ({'quick' if args.quick else 'full'}), {m['cpu']}, "
        f"{m['threads_used']} threads; NumPy BLAS: {m['numpy_blas_kernel']}"
    )
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if k in os.environ:
            log(
                f"  note: {k}={os.environ[k]} is set; it selects NumPy's BLAS kernel "
                "(see the architecture above). To benchmark a current NumPy, unset both for "
                "this command alone: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ..."
            )
    probe = SpeedProbe()
    results["matmul_gflops_start"] = probe.timed(matmul_rate)[0]
    log(f"  NumPy float32 2000x2000 matmul: {results['matmul_gflops_start']:.0f} GFLOP/s")

    wanted = set()
    for part in args.workloads.split(","):
        part = part.strip()
        if part == "6":
            wanted |= {"6a", "6b"}
        elif part:
            wanted.add(part)
    workloads = [w for w in make_workloads(args.quick) if w.id in wanted]
    data = DataSets(
        max([w.rows for w in workloads] + [FULL_ROWS if not args.quick else 10_000]), log
    )
    results["workloads"] = []
    for w in workloads:
        log(
            f"\n## workload {w.id}: {w.title} — {w.rows:,} rows, contenders "
            f"{', '.join(w.contenders)}"
        )
        result = bench_workload(w, data, args, log, probe)
        if args.loads:
            log(f"  beside loads ({args.loaded_rows:,} rows, {args.loaded_repeats} repeats):")
            result["under_load"] = bench_under_load(w, data, args, log)
        results["workloads"].append(result)
    results["matmul_gflops_end"] = probe.timed(matmul_rate)[0]
    results["matmul_gflops"] = (results["matmul_gflops_start"] + results["matmul_gflops_end"]) / 2
    for r in results["workloads"]:
        r["fraction_of_matmul_rate"] = r["gflops_fastinit"] / results["matmul_gflops"]
    if not args.no_scaling and "1" in wanted:
        log("\n## n_hidden scaling")
        results["hidden_scaling"] = bench_hidden_scaling(data, args, log, probe)
    if not args.no_memory:
        log("\n## peak memory")
        results["memory"] = bench_memory(data, log)
    results["targets"] = evaluate_targets(results)
    results["wall_seconds"] = time.perf_counter() - t0

    md = markdown_report(results)
    print("\n" + md)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=float)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    try:
        write_chart(results, os.path.join(args.out, "results.png"))
    except Exception as exc:
        log(f"chart not written: {exc!r}")
    if args.update_results:
        update_results_md(md)
    log(
        f"wrote {args.out}/results.json, results.md, results.png"
        + (f" and {RESULTS_MD}" if args.update_results else "")
    )
    return results


if __name__ == "__main__":
    main()
