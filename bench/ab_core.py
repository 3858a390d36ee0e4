"""A/B timing of builds of fastinit's engine: each ``_core`` build in its own process, alternately.

The VM this project is measured on drifts by ±10 % between minutes, so two engine builds are
only comparable when timed in the same minutes, interleaved. Each round runs every build once,
in a fresh process that loads that build as ``fastinit._core``, times ``partial_fit`` on the
first ``--rows`` rows of one ``bench_rbm.py`` workload (its data, start and parameters; best of
three), and scales to a 60,000-row epoch. The median over the rounds is printed per build.

A build is a ``_core*.so`` file, e.g. copied from ``build/editable/`` after an editable install,
or unpacked from ``pip wheel --no-build-isolation --no-deps -w DIR .`` of another commit::

    cp build/editable/_core.cpython-*.so /tmp/new.so
    python bench/ab_core.py --workload 6b --threads 2 --rounds 3 /tmp/old.so /tmp/new.so

When the Python package changed with the engine, run each build under the interpreter of a
virtual environment holding its own package: ``BUILD.so=PYTHON`` (e.g.
``/tmp/old.so=/tmp/old-venv/bin/python``). ``--threads 0`` leaves ``n_jobs`` at its default.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

# The child loads the BLAS itself (as fastinit._blas.preload_openblas does): importing fastinit
# would load the installed _core before the build under test could take its place.
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
best = min(bench_rbm.run_fastinit(w, X32, start, threads).seconds for _ in range(3))
print(best / rows * 60_000)
"""


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("builds", nargs="+", help="_core*.so files to compare, each as SO or SO=PYTHON")
    p.add_argument("--workload", default="1", help="a bench_rbm.py workload id (1 … 5, 6a, 6b)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--rows", type=int, default=5_000, help="rows per timed partial_fit")
    args = p.parse_args(argv)
    bench_dir = Path(__file__).resolve().parent
    seconds: dict[str, list[float]] = {b: [] for b in args.builds}
    for _ in range(args.rounds):
        for build in args.builds:
            so, _, python = build.partition("=")
            command = [python or sys.executable, "-c", _CHILD, str(Path(so).resolve()),
                       str(bench_dir), args.workload, str(args.threads),
                       str(args.rows)]  # fmt: skip
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            seconds[build].append(float(out.stdout.split()[-1]))
    for build, times in seconds.items():
        print(
            f"workload {args.workload}, {args.threads} thread(s): {build}  median "
            f"{statistics.median(times):.3f} s per 60,000 rows  {[round(t, 3) for t in times]}"
        )
    return seconds


if __name__ == "__main__":
    main()
