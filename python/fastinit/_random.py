"""Seeds for the engine's counter-based generator (Philox4x32-10, keyed by 64 bits)."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

RandomStateLike = None | int | np.random.RandomState | np.random.Generator


def make_key(random_state: RandomStateLike) -> int:
    """Draw a 64-bit Philox key from ``random_state``.

    ``None`` draws fresh entropy; an int always gives the same key; a ``RandomState`` or
    ``Generator`` is advanced by the draw, as scikit-learn estimators do.
    """
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**64, dtype=np.uint64))
    if random_state is not None and not isinstance(
        random_state, int | np.integer | np.random.RandomState
    ):
        raise TypeError(
            "random_state must be None, an int, a numpy.random.RandomState or a "
            f"numpy.random.Generator, got {type(random_state).__name__}"
        )
    words = check_random_state(random_state).randint(0, 2**32, size=2, dtype=np.uint64)
    return int(words[0]) | (int(words[1]) << 32)
