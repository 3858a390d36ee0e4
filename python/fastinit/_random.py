"""Seeds for the engine's counter-based generator (Philox4x32-10, keyed by 64 bits)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from ._params import UINT32_MAX

RandomStateLike = None | int | np.random.RandomState | np.random.Generator


def check_random_state_param(random_state: Any, caller: str | None = None) -> None:
    """Refuse a ``random_state`` that :func:`make_key` cannot use, without drawing from it.

    ``None``, an int in ``[0, 2**32 - 1]`` (NumPy's seeds), a ``RandomState`` or a
    ``Generator``; ``TypeError`` for other types, ``ValueError`` for ints out of range.

    Examples
    --------
    >>> from fastinit._random import check_random_state_param
    >>> check_random_state_param(2**32, "RBM.fit")
    Traceback (most recent call last):
    ...
    ValueError: RBM.fit: random_state must be None, an int in [0, 2**32 - 1], a numpy.random.RandomState or a numpy.random.Generator, got 4294967296
    """  # noqa: E501
    if random_state is None or isinstance(
        random_state, np.random.RandomState | np.random.Generator
    ):
        return
    expected = (
        f"{caller + ': ' if caller else ''}random_state must be None, an int in "
        "[0, 2**32 - 1], a numpy.random.RandomState or a numpy.random.Generator"
    )
    if not isinstance(random_state, numbers.Integral):
        raise TypeError(f"{expected}, got {type(random_state).__name__}")
    if not 0 <= random_state <= UINT32_MAX:
        raise ValueError(f"{expected}, got {random_state!r}")


def make_key(random_state: RandomStateLike, caller: str | None = None) -> int:
    """Draw a 64-bit Philox key from ``random_state``.

    ``None`` draws fresh entropy; an int always gives the same key; a ``RandomState`` or
    ``Generator`` is advanced by the draw, as scikit-learn estimators do.

    Examples
    --------
    >>> from fastinit._random import make_key
    >>> make_key(0) == make_key(0)
    True
    """
    check_random_state_param(random_state, caller)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**64, dtype=np.uint64))
    words = check_random_state(random_state).randint(0, 2**32, size=2, dtype=np.uint64)
    return int(words[0]) | (int(words[1]) << 32)
