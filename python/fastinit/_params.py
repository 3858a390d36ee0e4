"""Checks of scalar parameters before they reach the engine.

Integers must lie within the range of the C++ type that receives them (pybind11 otherwise
refuses the call with an "incompatible function arguments" message about engine internals), and
reals must be finite numbers within float32's range (the engine computes in float32: a learning
rate of 1e39 is finite in float64 and infinite there). Every error names the function, the
parameter and the range expected; a value of the wrong type raises ``TypeError``, one outside
the range ``ValueError``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "FLOAT32_MAX",
    "INT64_MAX",
    "MAX_N_JOBS",
    "UINT32_MAX",
    "bound_text",
    "check_bool",
    "check_int",
    "check_n_jobs",
    "check_real",
]

#: Largest value of a signed 64-bit int: the bound of sizes and counts (the engine's int64_t).
INT64_MAX: int = 2**63 - 1
#: Largest seed NumPy's RandomState takes.
UINT32_MAX: int = 2**32 - 1
#: Largest finite float32: the bound of every real parameter the engine reads.
FLOAT32_MAX: float = float(np.finfo(np.float32).max)
#: Largest ``|n_jobs|``. More threads than cores are allowed (the engine caps the threads it
#: starts by the work and the cores); values beyond this are mistakes, not thread counts.
MAX_N_JOBS: int = 2**16


def bound_text(value: float) -> str:
    """A bound as a reader writes it: ``2**63 - 1`` rather than 9223372036854775807."""
    if isinstance(value, int) and value >= 2**31 - 1:
        for power in (31, 32, 63, 64):
            if value == 2**power - 1:
                return f"2**{power} - 1"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _prefix(caller: str | None) -> str:
    return f"{caller}: " if caller else ""


def check_int(
    value: Any,
    name: str,
    *,
    caller: str | None,
    low: int,
    high: int = INT64_MAX,
    allow_bool: bool = False,
) -> int:
    """``value`` as an ``int`` in ``[low, high]``.

    Parameters
    ----------
    value : object
        The parameter's value; any integral number (``int``, ``numpy.integer``); ``bool`` only
        with ``allow_bool``.
    name : str
        The parameter's name, for the error message.
    caller : str or None
        The function checking it, e.g. ``"RBM.fit"``, which starts the message.
    low, high : int
        The inclusive range.
    allow_bool : bool, default=False
        Accept ``True`` and ``False`` (as 1 and 0), for flags counted as levels (``verbose``).

    Returns
    -------
    int

    Raises
    ------
    TypeError
        ``value`` is not an integer.
    ValueError
        ``value`` lies outside ``[low, high]``.

    Examples
    --------
    >>> from fastinit._params import check_int
    >>> check_int(3, "k", caller="RBM.fit", low=1, high=30000)
    3
    >>> check_int(2**64, "batch_size", caller="RBM.fit", low=1)
    Traceback (most recent call last):
    ...
    ValueError: RBM.fit: batch_size must be an int in [1, 2**63 - 1], got 18446744073709551616
    """
    is_bool = isinstance(value, bool | np.bool_)
    if (is_bool and not allow_bool) or not (is_bool or isinstance(value, numbers.Integral)):
        raise TypeError(
            f"{_prefix(caller)}{name} must be an int, got {value!r} of type {type(value).__name__}"
        )
    if not low <= value <= high:
        raise ValueError(
            f"{_prefix(caller)}{name} must be an int in [{bound_text(low)}, {bound_text(high)}], "
            f"got {value!r}"
        )
    return int(value)


def check_real(
    value: Any,
    name: str,
    *,
    caller: str | None,
    low: float = -FLOAT32_MAX,
    high: float = FLOAT32_MAX,
    closed: str = "both",
) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high``.

    NaN fails every comparison, so a range check alone lets it through; it is refused here
    first, with infinities and values beyond float32's range (which the engine would turn
    into infinities).

    Parameters
    ----------
    value : object
        Any real number (``int``, ``float``, ``numpy.floating``), not ``bool``.
    name, caller : str
        The parameter and the function checking it, for the error message.
    low, high : float
        The interval's ends, within ``[-FLOAT32_MAX, FLOAT32_MAX]``.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which ends belong to the interval.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        ``value`` is not a real number.
    ValueError
        ``value`` is NaN, infinite, beyond float32's range or outside the interval.

    Examples
    --------
    >>> from fastinit._params import check_real
    >>> check_real(0.5, "momentum", caller="RBM.fit", low=0, high=1, closed="left")
    0.5
    >>> check_real(float("nan"), "learning_rate", caller="RBM.fit", low=0, closed="neither")
    Traceback (most recent call last):
    ...
    ValueError: RBM.fit: learning_rate must be a finite number in (0, 3.40282e+38], got nan
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{_prefix(caller)}{name} must be a real number, got {value!r} of type "
            f"{type(value).__name__}"
        )
    x = float(value)
    left_ok = x > low or (x == low and closed in ("both", "left"))
    right_ok = x < high or (x == high and closed in ("both", "right"))
    if not (math.isfinite(x) and abs(x) <= FLOAT32_MAX and left_ok and right_ok):
        opening = "[" if closed in ("both", "left") else "("
        ending = "]" if closed in ("both", "right") else ")"
        high = min(high, FLOAT32_MAX)
        raise ValueError(
            f"{_prefix(caller)}{name} must be a finite number in {opening}{bound_text(low)}, "
            f"{bound_text(high)}{ending}, got {value!r}"
        )
    return x


def check_bool(value: Any, name: str, *, caller: str | None) -> bool:
    """``value`` as a ``bool``; ``TypeError`` for anything but ``bool`` and ``numpy.bool_``.

    Examples
    --------
    >>> from fastinit._params import check_bool
    >>> check_bool(True, "shuffle", caller="RBM.fit")
    True
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{_prefix(caller)}{name} must be a bool, got {value!r}")
    return bool(value)


def check_n_jobs(n_jobs: Any, caller: str | None = None) -> int | None:
    """``n_jobs`` as scikit-learn reads it: None, or a nonzero int with ``|n_jobs| <=``
    :data:`MAX_N_JOBS` (negative values count back from the available CPUs).

    Examples
    --------
    >>> from fastinit._params import check_n_jobs
    >>> check_n_jobs(-1, "RBM.fit")
    -1
    >>> check_n_jobs(2**31, "RBM.fit")
    Traceback (most recent call last):
    ...
    ValueError: RBM.fit: n_jobs must be None or a nonzero int in [-65536, 65536], got 2147483648
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool | np.bool_) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"{_prefix(caller)}n_jobs must be None or an int, got {n_jobs!r}")
    if n_jobs == 0 or abs(n_jobs) > MAX_N_JOBS:
        meaning = " (0 has no meaning)" if n_jobs == 0 else ""
        raise ValueError(
            f"{_prefix(caller)}n_jobs must be None or a nonzero int in [-{MAX_N_JOBS}, "
            f"{MAX_N_JOBS}]"
            f"{meaning}, got {n_jobs!r}"
        )
    return int(n_jobs)
