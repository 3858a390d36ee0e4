"""Command line: ``python -m fastinit {demo,pretrain,bench,info}`` (also installed as ``fastinit``).

* ``demo`` — pretrain a DBN on scikit-learn's digits, fine-tune one MLP from several starts
  (zeros, N(0, 0.01²), Xavier, He, DBN) under one budget, print the table and write the figures.
  About a minute on 2 cores. ``demo --full`` runs the whole initialization experiment.
* ``pretrain DATA`` — greedy layer-wise pretraining of a DBN on a data file (``.npy``, ``.npz``,
  ``.csv``, IDX), saved as ``.npz``.
* ``bench`` — run the benchmarks of a source checkout (``bench/bench_rbm.py``).
* ``info`` — build and runtime configuration.

Errors in the input (missing or malformed files, bad values) print one line on stderr and exit
with status 2. ``--version`` prints fastinit's version.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import math
import os
import shlex
import sys
import time
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main"]

_PROG = "python -m fastinit"


class _UsageError(Exception):
    """An error in the user's input: reported in one line, exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _layer_list(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated hidden-layer sizes such as 500,500,2000, got {text!r}"
        ) from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive hidden-layer sizes, got {text!r}"
        )
    return sizes


def _learning_rates(text: str) -> list[float | None]:
    """``0.1`` (every layer) or ``0.1,0.1,0.025`` (one per layer); ``auto`` keeps the default."""
    rates: list[float | None] = []
    for part in text.split(","):
        part = part.strip()
        if part == "auto":
            rates.append(None)
            continue
        try:
            rate = float(part)
        except ValueError:
            rate = math.nan
        if not (math.isfinite(rate) and rate > 0):
            raise argparse.ArgumentTypeError(
                "expected a positive learning rate, or comma-separated ones per layer such as "
                f"0.1,0.1,0.025 ('auto' for a layer's default), got {text!r}"
            )
        rates.append(rate)
    return rates


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m fastinit``.

    Examples
    --------
    >>> from fastinit.__main__ import build_parser
    >>> build_parser().parse_args(["pretrain", "x.npy", "-o", "m.npz"]).layers
    [500, 500, 2000]
    """
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="fastinit: weight initialization for neural networks — closed-form schemes "
        "and RBM/DBN pretraining in parallel C++.",
    )
    parser.add_argument("--version", action="version", version=f"fastinit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="pretrain on digits and compare starts (about a minute)",
        description="Pretrain a DBN 64-128-128 on scikit-learn's digits, fine-tune a "
        "64-128-128-10 MLP from several starts (zeros, N(0, 0.01²), Xavier, He, DBN) with the "
        "same optimizer and budget, in two regimes (all labels, 100 labels), over 3 seeds; print "
        "the table and write PNG figures. Uses PyTorch when installed, NumPy otherwise.",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("fastinit-demo"),
        help="folder for figures and results (default: ./fastinit-demo)",
    )  # fmt: skip
    demo.add_argument("--seeds", type=_positive_int, help="seeds per start (default 3)")
    demo.add_argument(
        "--backend", choices=["auto", "torch", "numpy"], default="auto",
        help="fine-tuning backend (default: torch when installed)",
    )  # fmt: skip
    demo.add_argument(
        "--full", action="store_true",
        help="run the full experiment instead (every start, Fashion-MNIST and MNIST-5k when "
        "installed; about an hour); writes OUT/RESULTS_init.md",
    )  # fmt: skip
    demo.add_argument(
        "--dataset", action="append", choices=["fashion", "mnist5k", "digits"],
        help="with --full: data set (repeatable; default every one installed)",
    )  # fmt: skip

    pre = sub.add_parser(
        "pretrain",
        help="pretrain a DBN on a data file and save it",
        description="Greedy layer-wise pretraining of a DBN on DATA, saved with DBN.save "
        "(load it with fastinit.DBN.load). DATA is .npy, .npz (the first array or --key), .csv "
        "(or .csv.gz: one row per line, comma-separated numbers; a first line that is not all "
        "numbers is taken as a header and skipped) or an IDX file (.gz or raw); images are "
        "flattened to rows, integer pixels 0-255 (whole numbers up to 255 in a CSV) are scaled "
        "to [0, 1]. Each layer's default learning rate is 0.1 (0.01 for --visible gaussian) "
        "scaled down for wide layers: times min(1, 500/n_hidden) * min(1, 1000/n_visible).",
    )
    pre.add_argument("data", metavar="DATA", help="input file (.npy, .npz, .csv, IDX or IDX.gz)")
    pre.add_argument(
        "--layers", type=_layer_list, default=[500, 500, 2000],
        help="hidden-layer sizes, bottom first (default 500,500,2000)",
    )  # fmt: skip
    pre.add_argument("--epochs", type=_positive_int, default=10, help="epochs per layer (10)")
    pre.add_argument("-o", "--output", type=Path, required=True, help="output .npz file")
    pre.add_argument("--key", help="array name inside an .npz file")
    pre.add_argument(
        "--csv-header", action="store_true",
        help="skip the first line of a CSV file even if it is numeric (e.g. column numbers)",
    )  # fmt: skip
    pre.add_argument("--binarize", action="store_true", help="threshold the data at 0.5")
    pre.add_argument(
        "--visible", choices=["bernoulli", "gaussian"], default="bernoulli",
        help="first-layer visible units (gaussian: standardize the data first)",
    )  # fmt: skip
    pre.add_argument("--batch-size", type=_positive_int, default=100, help="mini-batch (100)")
    pre.add_argument(
        "--learning-rate", type=_learning_rates, metavar="RATE[,RATE...]",
        help="RBM learning rate: one for every layer, or one per layer bottom first such as "
        "0.1,0.1,0.025 ('auto' keeps a layer's default; default: auto for all, see above)",
    )  # fmt: skip
    pre.add_argument("-k", type=_positive_int, default=1, help="Gibbs steps per update (1)")
    pre.add_argument("--persistent", action="store_true", help="persistent CD")
    pre.add_argument("--propagate", choices=["mean", "sample"], default="mean")
    pre.add_argument("--seed", type=int, default=0, help="random seed (0)")
    pre.add_argument("--n-jobs", type=int, help="threads (default: all cores)")
    pre.add_argument("-q", "--quiet", action="store_true", help="no per-epoch progress")

    bench = sub.add_parser(
        "bench",
        help="run bench/bench_rbm.py of a source checkout",
        description="Run a benchmark script from the bench/ folder of a source checkout (found "
        "next to the package source or in the current directory). Arguments after the options "
        "are passed on; use `bench -- --help` for the script's own help.",
    )
    bench.add_argument(
        "--script", default="rbm",
        help="benchmark to run: bench/bench_NAME.py or bench/NAME.py (default: rbm)",
    )  # fmt: skip
    bench.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")

    sub.add_parser(
        "info",
        help="show build and runtime configuration",
        description="Print fastinit's version, compiler, OpenMP and BLAS configuration.",
    )
    return parser


# ------------------------------------------------------------------------------ commands


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import _experiment

    start = time.perf_counter()
    if args.full:
        overrides: dict[str, object] = {"backend": args.backend}
        if args.seeds:
            overrides["seeds"] = args.seeds
        names = args.dataset or _experiment.available_datasets()
        _experiment.run_full(
            names,
            overrides=overrides,
            out_dir=args.out,
            results_path=args.out / "RESULTS_init.md",
            command=f"{_PROG} {shlex.join(args.argv)}",
        )
        print(f"\nfull experiment finished in {time.perf_counter() - start:.0f} s; results in "
              f"{args.out / 'RESULTS_init.md'}")  # fmt: skip
        return 0
    if args.dataset:
        raise _UsageError("--dataset applies to --full only (the demo uses digits)")
    cfg = _experiment.preset("digits", full=False)
    cfg.backend = args.backend
    if args.seeds:
        cfg.seeds = args.seeds
    results = _experiment.run(cfg, log=_log, out_dir=args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    report = _experiment.markdown_report([results], f"{_PROG} demo", relative_to=args.out)
    (args.out / "results.md").write_text(report, encoding="utf-8")
    print()
    print(
        f"Digits, MLP {'-'.join(map(str, results['sizes']))}, fine-tuned with "
        f"{_experiment._optimizer_text(results['config'])} ({results['backend']}); "
        f"test accuracy and training loss, mean ± std over {cfg.seeds} seeds:"
    )
    print()
    print(_experiment.format_table(results["table"], results["n_train"]))
    if not results["figures"]:
        print("(no figures: matplotlib is not installed)")
    print(f"results: {args.out / 'results.md'}; demo finished in "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    return 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_csv(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".csv") or name.endswith(".csv.gz")


def _load_csv(path: Path, *, header: bool, binarize: bool) -> np.ndarray:
    """Rows of comma-separated numbers, read as ``datasets.load_data`` reads an array."""
    name = os.fspath(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {name!r}")
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as file:
        first = file.readline()
    if not first.strip():
        raise ValueError(f"{name!r} is empty or starts with a blank line; expected CSV rows")
    if not header and any(field.strip() and not _is_number(field) for field in first.split(",")):
        header = True  # column names (an empty field is an error in the data, reported below)
        _log(f"{name}: first line is not all numbers: read as a header and skipped")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": below
            X = np.loadtxt(
                path,
                delimiter=",",
                dtype=np.float64,
                skiprows=int(header),
                ndmin=2,
                encoding="utf-8-sig",
            )
    except ValueError as exc:
        detail = _csv_problem(path, opener, int(header)) or str(exc)
        raise ValueError(f"{name!r} is not a CSV file of numbers: {detail}") from None
    if X.shape[0] == 0:
        raise ValueError(f"{name!r} holds a header but no rows")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name!r} holds NaN or infinite values")
    # Whole numbers 0-255 are pixels, as integer arrays are for load_data: scaled to [0, 1].
    if X.max() > 1 and X.min() >= 0 and X.max() <= 255 and np.all(X == np.round(X)):
        X = X.astype(np.float32) / np.float32(255.0)
    X = X.astype(np.float32)
    if binarize:
        X = (X > 0.5).astype(np.float32)
    return X


def _csv_problem(path: Path, opener: Any, skip: int) -> str | None:
    """Where a CSV file that np.loadtxt refused goes wrong, with the line number in the file."""
    width = None
    with opener(path, "rt", encoding="utf-8-sig", newline="") as file:
        for number, line in enumerate(file, start=1):
            if number <= skip or not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.rstrip("\r\n").split(",")
            if width is None:
                width, first = len(fields), number
            elif len(fields) != width:
                return f"line {number} has {len(fields)} fields, line {first} has {width}"
            for column, field in enumerate(fields, start=1):
                if not _is_number(field):
                    return f"line {number}, field {column}: {field.strip()!r} is not a number"
    return None


def _npz_path(path: Path) -> Path:
    """Where ``np.savez`` writes ``path``: it appends ``.npz`` to any other name."""
    return path if path.name.endswith(".npz") else path.with_name(path.name + ".npz")


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from . import _diagnostics, datasets
    from .dbn import DBN, _suggested_learning_rate

    n_layers = len(args.layers)
    rates = args.learning_rate
    if rates is not None and len(rates) not in (1, n_layers):
        raise _UsageError(
            f"--learning-rate has {len(rates)} values for {n_layers} layers "
            f"(--layers {','.join(map(str, args.layers))}); give one rate for every layer or "
            f"one per layer"
        )
    out_dir = args.output.parent
    if not out_dir.is_dir():
        raise _UsageError(f"output folder {os.fspath(out_dir)!r} does not exist")
    data_path = Path(args.data)
    if _is_csv(data_path):
        if args.key is not None:
            raise _UsageError(f"--key applies to .npz files only, not {os.fspath(data_path)!r}")
        X = _load_csv(data_path, header=args.csv_header, binarize=args.binarize)
    else:
        if args.csv_header:
            raise _UsageError(
                f"--csv-header applies to .csv files only, not {os.fspath(data_path)!r}"
            )
        X = datasets.load_data(data_path, key=args.key, binarize=args.binarize)
    if args.visible == "bernoulli" and (X.min() < 0 or X.max() > 1):
        # Checked here too so that the error comes before any progress output.
        raise _UsageError(
            f"{os.fspath(args.data)!r} holds values in [{X.min():g}, {X.max():g}]; Bernoulli "
            "visible units need data in [0, 1]: scale it, or pass --visible gaussian for "
            "standardized real-valued data"
        )
    rbm_params: dict[str, object] = {
        "n_iter": args.epochs,
        "batch_size": args.batch_size,
        "k": args.k,
        "persistent": args.persistent,
    }
    layer_params = None
    if rates is not None and len(rates) == 1:
        if rates[0] is not None:
            rbm_params["learning_rate"] = rates[0]
    elif rates is not None:
        layer_params = [None if rate is None else {"learning_rate": rate} for rate in rates]
    dbn = DBN(
        (X.shape[1], *args.layers),
        rbm_params=rbm_params,
        layer_params=layer_params,
        visible=args.visible,
        propagate=args.propagate,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    _log(f"pretraining DBN {'-'.join(map(str, dbn.layer_sizes))} on {X.shape[0]} rows")
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Reported below, with the remedy in this command's options.
        warnings.simplefilter("ignore", _diagnostics.DeadUnitsWarning)
        dbn.fit(X)
    for i, (rbm, mean) in enumerate(zip(dbn.rbms_, dbn.mean_activation_, strict=True)):
        rates = [f"{layer.learning_rate:g}" for layer in dbn.rbms_]
        rates[i] = f"{_suggested_learning_rate(rbm):g}"
        message = _diagnostics.stuck_units_message(
            mean,
            layer=f"layer {i + 1} ({dbn.layer_sizes_[i]} -> {dbn.layer_sizes_[i + 1]})",
            advice=f"Lower its learning rate, now {rbm.learning_rate:g}: e.g. --learning-rate "
            f"{','.join(rates)}, or give it fewer units (--layers).",
        )
        if message is not None:
            _log(f"{_PROG} pretrain: warning: {message}")
    for i, (history, rbm) in enumerate(zip(dbn.history_, dbn.rbms_, strict=True), start=1):
        dead, saturated = _diagnostics.count_stuck(dbn.mean_activation_[i - 1])
        print(
            f"layer {i}: {dbn.layer_sizes_[i - 1]} -> {dbn.layer_sizes_[i]}, learning rate "
            f"{rbm.learning_rate:g}, reconstruction error "
            f"{history['reconstruction_error'][-1]:.5f} after {len(history['epoch'])} epochs, "
            f"{dead} dead and {saturated} saturated hidden units, "
            f"{sum(history['seconds']):.1f} s"
        )
    output = _npz_path(args.output).resolve()
    dbn.save(output)
    print(f"saved {os.fspath(output)} ({time.perf_counter() - start:.1f} s)")
    return 0


def _find_bench_script(name: str) -> Path:
    roots = [Path(__file__).resolve().parents[2] / "bench", Path.cwd() / "bench"]
    candidates = [root / f"{stem}.py" for root in roots for stem in (f"bench_{name}", name)]
    for path in candidates:
        if path.is_file():
            return path
    raise _UsageError(
        f"benchmark {name!r} not found (looked for {', '.join(os.fspath(p) for p in candidates)})"
        "; the benchmarks ship with the source repository: run from a checkout"
    )


def _cmd_bench(args: argparse.Namespace) -> int:
    path = _find_bench_script(args.script)
    passed = list(args.args)
    if passed[:1] == ["--"]:
        passed = passed[1:]
    spec = importlib.util.spec_from_file_location(f"_fastinit_bench_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise _UsageError(f"cannot load {os.fspath(path)!r}")
    module = importlib.util.module_from_spec(spec)
    # Registered before running, as an import would: dataclasses and pickle look it up.
    sys.modules[spec.name] = module
    # The script may import its siblings (shared helpers in bench/).
    sys.path.insert(0, os.fspath(path.parent))
    try:
        spec.loader.exec_module(module)
        if not hasattr(module, "main"):
            raise _UsageError(f"{os.fspath(path)!r} has no main(argv) function")
        status = module.main(passed)
    finally:
        sys.path.remove(os.fspath(path.parent))
    # Scripts may return an exit status, or their results (a dict) as bench_rbm.main does.
    return status if isinstance(status, int) else 0


def _cmd_info(args: argparse.Namespace) -> int:
    from . import show_config

    show_config()
    return 0


_COMMANDS = {
    "demo": _cmd_demo,
    "pretrain": _cmd_pretrain,
    "bench": _cmd_bench,
    "info": _cmd_info,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 2 bad input).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status. Usage errors found by argparse exit through ``SystemExit(2)`` as usual.

    Examples
    --------
    >>> from fastinit.__main__ import main
    >>> main(["info"])  # doctest: +SKIP
    fastinit 0.1.0
    ...
    0
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if args.command != "bench":
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        # `bench --quick ...`: options argparse does not know belong to the script.
        args.args = [*unknown, *args.args]
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _log(f"{_PROG} {args.command}: interrupted")
        return 130
    except (_UsageError, OSError, ValueError, ImportError, EOFError, zipfile.BadZipFile) as exc:
        if args.command == "bench" and not isinstance(exc, _UsageError):
            raise  # a failing benchmark script deserves its traceback
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, FileNotFoundError) and exc.filename and not str(exc).startswith("no "):
            message = f"no such file: {exc.filename!r}"
        _log(f"{_PROG} {args.command}: error: {message}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
