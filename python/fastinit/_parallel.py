"""Thread counts: scikit-learn's ``n_jobs`` semantics over the CPUs this process may really use.

"All cores" means the CPUs of the process's affinity mask, capped by the CPU quota of its cgroup
(a container or a systemd/Slurm/Kubernetes slice limited to 2 CPUs on a 64-core host gets 2
threads, not 64), and by OpenMP's own limit (``OMP_NUM_THREADS``, or
``threadpoolctl.threadpool_limits``). The quota is read from the cgroup the process is in
(``/proc/self/cgroup``, located through ``/proc/self/mountinfo``), at every level up to the root
of the hierarchy, for cgroup v2 (``cpu.max``) and v1 (``cpu.cfs_quota_us``).
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from pathlib import Path

from ._params import check_n_jobs

__all__ = ["available_cpus", "cgroup_cpu_limit", "resolve_n_threads"]


def _affinity_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _unescape(field: str) -> str:
    """A mountinfo path field: the kernel writes space, tab, newline and backslash as \\ooo."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _mounts(root: Path) -> list[tuple[str, str, str, str]]:
    """(filesystem type, root within it, mount point, super options) of every mount.

    A mountinfo line is ``id parent major:minor root mount-point options [optional...] - type
    source super-options``.
    """
    mounts = []
    for line in (_read(root / "proc/self/mountinfo") or "").splitlines():
        fields, _, tail = line.partition(" - ")
        parts, extra = fields.split(), tail.split()
        if len(parts) >= 5 and len(extra) >= 3:
            mounts.append((extra[0], _unescape(parts[3]), _unescape(parts[4]), extra[2]))
    return mounts


def _cpus(quota: str, period: str) -> float | None:
    """quota / period in CPUs; None for "max", -1 (v1's "no limit") or anything unreadable."""
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None


def _quota_v2(directory: Path) -> float | None:
    fields = (_read(directory / "cpu.max") or "").split()
    return _cpus(*fields) if len(fields) == 2 else None


def _quota_v1(directory: Path) -> float | None:
    quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
    return None if quota is None or period is None else _cpus(quota, period)


def _hierarchy_limit(mount_point: str, mount_root: str, path: str, quota_of) -> float | None:
    """The smallest quota from the process's cgroup up to the mount's root."""
    if not (path == mount_root or path.startswith(mount_root.rstrip("/") + "/")):
        return None  # the process's cgroup is outside this mount (another namespace)
    relative = path[len(mount_root) :].strip("/")
    directory = Path(mount_point, relative)
    limits = []
    while True:
        limit = quota_of(directory)
        if limit is not None:
            limits.append(limit)
        if directory == Path(mount_point):
            return min(limits) if limits else None
        directory = directory.parent


def cgroup_cpu_limit(root: str | os.PathLike[str] = "/") -> float | None:
    """The CPU quota of this process's cgroup in CPUs (e.g. 2.0 or 1.5), or None if unlimited.

    ``root`` is where ``/proc`` and the cgroup mounts are found (tests give a directory tree).

    Examples
    --------
    >>> from fastinit._parallel import cgroup_cpu_limit
    >>> cgroup_cpu_limit() is None or cgroup_cpu_limit() > 0
    True
    """
    root = Path(root)
    limits = []
    mounts = _mounts(root)
    for line in (_read(root / "proc/self/cgroup") or "").splitlines():
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, path = fields
        for fstype, mount_root, mount_point, options in mounts:
            point = str(root / mount_point.lstrip("/"))
            if controllers == "" and fstype == "cgroup2":
                limit = _hierarchy_limit(point, mount_root, path, _quota_v2)
            elif (
                fstype == "cgroup"
                and "cpu" in controllers.split(",")
                and ("cpu" in options.split(","))
            ):
                limit = _hierarchy_limit(point, mount_root, path, _quota_v1)
            else:
                continue
            if limit is not None:
                limits.append(limit)
    return min(limits) if limits else None


@functools.lru_cache(maxsize=1)
def _cached_cgroup_cpu_limit() -> float | None:
    # The cgroup of a running process rarely changes; its affinity can (taskset), so that is
    # read on every call.
    return cgroup_cpu_limit()


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by its cgroup's CPU quota.

    Examples
    --------
    >>> from fastinit._parallel import available_cpus
    >>> available_cpus() >= 1
    True
    """
    cpus = _affinity_cpus()
    quota = _cached_cgroup_cpu_limit()
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def resolve_n_threads(n_jobs: int | None, caller: str | None = None) -> int:
    """Turn ``n_jobs`` into a positive thread count.

    ``None`` means every available CPU (:func:`available_cpus`), capped by OpenMP's limit
    (``OMP_NUM_THREADS``, ``threadpoolctl.threadpool_limits``); a positive value is taken as is
    up to ``THREADS_PER_CPU`` (4) threads per available CPU, and a negative value counts back
    from the available CPUs (``-1`` = all, ``-2`` = all but one), as in scikit-learn.
    ``|n_jobs|`` may not exceed :data:`fastinit._params.MAX_N_JOBS`; errors start with ``caller``
    when given.

    More threads than CPUs are allowed, as in scikit-learn, but they only take turns on the same
    cores (results never depend on the count), while each costs a stack and a kernel task, and
    OpenMP ends the process outright when it cannot create one (``n_jobs=40000``): hence the
    cap. The engine also opens no more threads than a call has blocks of work, and caps a team
    by the CPUs of its affinity mask in the same way.

    In a process forked from one that ran fastinit's threads, calls run on one thread
    (OpenMP's pool does not survive ``fork``), and the first call asking for more warns
    (:class:`~fastinit.exceptions.ForkWarning`).

    Examples
    --------
    >>> from fastinit._parallel import resolve_n_threads
    >>> resolve_n_threads(1), resolve_n_threads(-1) >= 1
    (1, True)
    """
    from . import _core

    n_jobs = check_n_jobs(n_jobs, caller)
    if n_jobs is None:
        n_threads = max(1, min(available_cpus(), _core.max_threads()))
    elif n_jobs > 0:
        n_threads = min(n_jobs, _core.THREADS_PER_CPU * available_cpus())
    else:
        n_threads = max(1, available_cpus() + 1 + n_jobs)
    if n_threads > 1 and _core.forked_after_parallel():
        _warn_forked()
    return n_threads


_warned_pid: int | None = None


def _warn_forked() -> None:
    """ForkWarning, once per process (a grandchild warns again)."""
    global _warned_pid
    if _warned_pid == os.getpid():
        return
    _warned_pid = os.getpid()
    from ._validation import _user_stacklevel
    from .exceptions import ForkWarning

    warnings.warn(
        "fastinit runs on one thread in this process: it was forked after fastinit had run "
        "parallel work, and OpenMP's threads do not survive fork (a region would wait for them "
        "forever). Results are unchanged. For threads in worker processes, start them with the "
        "'spawn' or 'forkserver' method; n_jobs=1 silences this warning.",
        ForkWarning,
        stacklevel=_user_stacklevel(),
    )
