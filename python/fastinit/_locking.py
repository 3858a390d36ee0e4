"""One lock per model: the calls that change a model run one at a time.

Training updates a model's arrays in place in C++, without the GIL, and its epoch counter,
history and random-stream position in Python; two threads training one model at once would
interleave both (lost updates, an ``n_iter_`` that disagrees with ``history_``). The rule,
as for a file opened by two threads: calls that change the model (``fit``, ``partial_fit``, and
sampling that continues the model's own random stream) wait for each other, in the order the
threads reach the lock. A reentrant lock, since a training call may sample (its monitors).

The lock is created on first use, never in ``__init__`` (scikit-learn's rule: ``__init__``
stores the parameters only), is no parameter (``get_params``, ``clone`` do not see it) and is
left out of pickles and copies, which get their own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["LOCK_ATTRIBUTE", "LockedModel", "model_lock", "serialized"]

#: Where a model keeps its lock (no state: a rollback keeps it, copies leave it out).
LOCK_ATTRIBUTE = "_model_lock"

_Method = TypeVar("_Method", bound=Callable[..., Any])


def model_lock(model: object) -> threading.RLock:
    """The model's lock, created on first use (``dict.setdefault`` is atomic: two threads
    asking at once get the same lock)."""
    lock = model.__dict__.get(LOCK_ATTRIBUTE)
    if lock is None:
        lock = model.__dict__.setdefault(LOCK_ATTRIBUTE, threading.RLock())
    return lock


def serialized(method: _Method) -> _Method:
    """Decorator: the method runs holding its model's lock."""

    @functools.wraps(method)
    def locked(self: object, *args: Any, **kwargs: Any) -> Any:
        with model_lock(self):
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


class LockedModel:
    """Mixin that leaves the lock out of pickles, ``copy.copy`` and ``copy.deepcopy``."""

    def __getstate__(self) -> dict[str, Any]:
        # object.__getstate__ returns the instance's own __dict__: copy before removing.
        state = dict(super().__getstate__())  # type: ignore[misc]
        state.pop(LOCK_ATTRIBUTE, None)
        return state
