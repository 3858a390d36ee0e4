"""Thread-count resolution with scikit-learn's ``n_jobs`` semantics."""

from __future__ import annotations

import numbers
import os


def usable_cores() -> int:
    """Cores this process may run on (affinity-aware)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_n_threads(n_jobs: int | None) -> int:
    """Turn ``n_jobs`` into a positive thread count.

    ``None`` means every usable core (capped by ``OMP_NUM_THREADS`` when it is set), a positive
    value is taken as is, and a negative value counts back from the usable cores (``-1`` = all,
    ``-2`` = all but one), as in scikit-learn.
    """
    if n_jobs is None:
        from . import _core

        return max(1, min(usable_cores(), int(_core.build_info()["max_threads"])))
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs must be None or an int, got {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive or a negative int")
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, usable_cores() + 1 + int(n_jobs))
