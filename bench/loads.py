"""Loads that a benchmark runs beside, the way users' machines are busy.

Each load is a context manager that starts its processes on entry and ends them by their ids on
exit (also on error or Ctrl-C):

* ``spin``: one process spinning on the first CPU of this process's affinity, as a core held by
  another program;
* ``compile``: a C++ compiler building fastinit's engine sources over and over (``g++ -O2``), as
  a build beside a notebook: a process that computes, reads files and starts new processes;
* ``twin``: a second process training the same contender on the same workload over and over,
  as two experiments (or two workers of a job) on one machine.

``python bench/loads.py --train CONTENDER --workload ID --rows N`` is the twin's loop.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

_HERE = os.path.dirname(os.path.abspath(__file__))
_CSRC = os.path.join(os.path.dirname(_HERE), "csrc")
LOADS = ("spin", "compile", "twin")
# Seconds a load runs before the first timed run, so that it is at full strength.
_RAMP = 1.0


def _end(process: subprocess.Popen) -> None:
    """End a load's process group by its id and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# Seconds a load that announces itself (a training loop) may take to print "ready".
_READY_TIMEOUT = 300.0


def _wait_for_ready(process: subprocess.Popen) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if select.select([process.stdout], [], [], 1.0)[0]:
            line = process.stdout.readline()
            if line.strip() == b"ready":
                return
            if not line:
                break  # the process exited
    raise RuntimeError(f"load process {process.args!r} did not get ready")


@contextlib.contextmanager
def processes(
    *commands: list[str], env: dict[str, str] | None = None, announces: bool = False
) -> Iterator[list[int]]:
    """Run ``commands`` as the load: started on entry, ended by their ids on exit; yields their
    process ids. Each gets ``_RAMP`` s to reach full strength, or with ``announces`` until it
    prints "ready" (a training loop that first loads its data)."""
    started = []
    try:
        for command in commands:
            started.append(subprocess.Popen(
                command, stdout=subprocess.PIPE if announces else subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True, env=env,
            ))  # fmt: skip
        for process in started if announces else []:
            _wait_for_ready(process)
        time.sleep(_RAMP)
        for process in started:
            if process.poll() is not None:
                raise RuntimeError(f"load process {process.args!r} exited early")
        yield [p.pid for p in started]
    finally:
        for process in started:
            _end(process)


def spin() -> contextlib.AbstractContextManager[list[int]]:
    cpu = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    code = f"import os\nif hasattr(os, 'sched_setaffinity'): os.sched_setaffinity(0, {{{cpu}}})\n"
    return processes([sys.executable, "-c", code + "while True: pass"])


@contextlib.contextmanager
def compile_loop() -> Iterator[list[int]]:
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise RuntimeError("the compile load needs g++ or c++ on PATH")
    sources = " ".join(sorted(glob.glob(os.path.join(_CSRC, "*.cpp"))))
    with tempfile.TemporaryDirectory(prefix="fastinit-load-") as out:
        # The engine's sources without the bindings (no Python or pybind11 headers needed).
        script = (
            f"while true; do for f in {sources}; do case $f in *bindings.cpp) continue;; esac; "
            f"{compiler} -O2 -std=c++17 -fopenmp -I{_CSRC} -c $f -o {out}/x.o 2>/dev/null; "
            "done; done"
        )
        with processes(["bash", "-c", script]) as pids:
            yield pids


def twin(contender: str, workload: str, rows: int) -> contextlib.AbstractContextManager[list[int]]:
    command = [sys.executable, os.path.abspath(__file__), "--train", contender,
               "--workload", workload, "--rows", str(rows)]  # fmt: skip
    return processes(command, announces=True)


def load(name: str, contender: str, workload: str, rows: int):
    """The load ``name`` (one of LOADS) for timing ``contender`` on ``workload``."""
    if name == "spin":
        return spin()
    if name == "compile":
        return compile_loop()
    if name == "twin":
        return twin(contender, workload, rows)
    raise ValueError(f"unknown load {name!r}; expected one of {LOADS}")


def _train_forever(contender: str, workload_id: str, rows: int) -> None:
    sys.path.insert(0, _HERE)
    import bench_rbm

    w = next(w for w in bench_rbm.make_workloads(False) if w.id == workload_id)
    _, X32, _ = bench_rbm.DataSets(rows, lambda _msg: None).get(w.data)
    X32 = X32[:rows]
    start = bench_rbm.start_point(X32, w.n_hidden, w.visible)
    run = bench_rbm.contender_job(contender, w, X32, start)
    run()
    print("ready", flush=True)
    while True:
        run()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="the twin load's training loop")
    p.add_argument("--train", required=True, help="a bench_rbm.py contender")
    p.add_argument("--workload", required=True)
    p.add_argument("--rows", type=int, required=True)
    a = p.parse_args()
    _train_forever(a.train, a.workload, a.rows)
