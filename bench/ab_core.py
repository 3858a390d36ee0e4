"""A/B timing of builds of fastinit's engine: each ``_core`` build in its own process, alternately.

The VM this project is measured on drifts by ±10 % between minutes, so two engine builds are
only comparable when timed in the same minutes, interleaved. Each round runs every build once,
in a fresh process that loads that build as ``fastinit._core``, times ``partial_fit`` on the
first ``--rows`` rows of one ``bench_rbm.py`` workload (its data, start and parameters) three
times, and scales to a 60,000-row epoch: the best of the three on a quiet machine, their median
beside a load. The median over the rounds is printed per build.

A build is a ``_core*.so`` file, e.g. copied from ``build/editable/`` after an editable install,
or unpacked from ``pip wheel --no-build-isolation --no-deps -w DIR .`` of another commit::

    cp build/editable/_core.cpython-*.so /tmp/new.so
    python bench/ab_core.py --workload 6b --threads 2 --rounds 3 /tmp/old.so /tmp/new.so

A build may carry settings after colons: ``PYTHON=...`` runs it under another interpreter (a
virtual environment holding the package that goes with that engine, when the Python side changed
too), ``N_JOBS=...`` overrides ``--threads`` for it (so that one build's default and one thread
are timed alternately, in the same minutes), any other ``NAME=VALUE`` is an environment variable
of its process::

    python bench/ab_core.py --threads 0 --load spin /tmp/old.so:PYTHON=/tmp/old-venv/bin/python \\
        /tmp/old.so:PYTHON=/tmp/old-venv/bin/python:OMP_WAIT_POLICY=passive /tmp/new.so

``--threads 0`` leaves ``n_jobs`` at its default. ``--load`` times every run beside a load of
``bench/loads.py`` (``spin``, ``compile``), or beside a second process of the same build and
settings training the same workload over and over (``twin``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

import loads  # noqa: E402

# The child loads the BLAS itself (as fastinit._blas.preload_openblas does): importing fastinit
# would load the installed _core before the build under test could take its place. With a 6th
# argument it trains forever (the twin load) instead of timing.
_CHILD = r"""
import ctypes, importlib.util, os, sys
import scipy_openblas32
ctypes.CDLL(os.path.join(scipy_openblas32.get_lib_dir(), scipy_openblas32.get_library(True)),
            mode=ctypes.RTLD_GLOBAL)
spec = importlib.util.spec_from_file_location("fastinit._core", sys.argv[1])
core = importlib.util.module_from_spec(spec)
sys.modules["fastinit._core"] = core
spec.loader.exec_module(core)
sys.path.insert(0, sys.argv[2])
import bench_rbm
workload_id, threads, rows = sys.argv[3], int(sys.argv[4]) or None, int(sys.argv[5])
w = next(w for w in bench_rbm.make_workloads(False) if w.id == workload_id)
_, X32, _ = bench_rbm.DataSets(rows, print).get(w.data)
X32 = X32[:rows]
start = bench_rbm.start_point(X32, w.n_hidden, w.visible)
if len(sys.argv) > 6:
    bench_rbm.run_fastinit(w, X32, start, threads)
    print("ready", flush=True)
    while True:
        bench_rbm.run_fastinit(w, X32, start, threads)
times = [bench_rbm.run_fastinit(w, X32, start, threads).seconds for _ in range(3)]
print(" ".join(str(t / rows * 60_000) for t in times))
"""


def _parse_build(spec: str, args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """(the child's command line, its environment) for ``SO[:NAME=VALUE]...``."""
    threads = args.threads
    so, *settings = spec.split(":")
    env = dict(os.environ)
    python = sys.executable
    for setting in settings:
        name, _, value = setting.partition("=")
        if name == "PYTHON":
            python = value
        elif name == "N_JOBS":
            threads = int(value)
        else:
            env[name] = value
    command = [python, "-c", _CHILD, str(Path(so).resolve()), str(_HERE), args.workload,
               str(threads), str(args.rows)]  # fmt: skip
    return command, env


def _beside(load: str, command: list[str], env: dict[str, str], workload: str, rows: int):
    if load == "none":
        return contextlib.nullcontext()
    if load == "twin":
        return loads.processes([*command, "forever"], env=env, announces=True)
    return loads.load(load, "fastinit", workload, rows)


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("builds", nargs="+", help="_core*.so files, each as SO[:NAME=VALUE]...")
    p.add_argument("--workload", default="1", help="a bench_rbm.py workload id (1 … 5, 6a, 6b)")
    p.add_argument("--threads", type=int, default=2, help="n_jobs; 0 for its default")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--rows", type=int, default=5_000, help="rows per timed partial_fit")
    p.add_argument("--load", default="none", choices=["none", *loads.LOADS])
    args = p.parse_args(argv)
    seconds: dict[str, list[float]] = {b: [] for b in args.builds}
    summary = min if args.load == "none" else statistics.median
    for _ in range(args.rounds):
        for build in args.builds:
            command, env = _parse_build(build, args)
            with _beside(args.load, command, env, args.workload, args.rows):
                out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
            seconds[build].append(summary(float(t) for t in out.stdout.split()[-3:]))
    for build, times in seconds.items():
        print(
            f"workload {args.workload}, --threads {args.threads or 'default'}, load {args.load}: "
            f"{build}  median {statistics.median(times):.3f} s per 60,000 rows  "
            f"{[round(t, 3) for t in times]}"
        )
    return seconds


if __name__ == "__main__":
    main()
