"""All-or-nothing calls: a refused or failed call leaves every attribute of an estimator as it
was.

Estimators validate what they can before changing anything; :func:`rollback_on_error` is the
safety net for what fails later (scikit-learn's ``validate_data`` sets ``n_features_in_`` and
``feature_names_in_`` before the values are checked, the engine can fail mid-training). It
snapshots the instance's ``__dict__`` — array contents, dict and list contents (``history_``),
the state of random generators it holds (a ``random_state`` Generator is advanced by a fit) —
and puts it all back, the same objects with their old contents, when the call raises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._locking import LOCK_ATTRIBUTE

__all__ = ["rollback_on_error"]


def _snapshot(value: Any, memo: dict[int, Any]) -> Any:
    """``(value, its contents)`` for what a call may change in place — arrays, and dicts and
    lists recursively — or ``(value, None)`` for anything else (kept by reference)."""
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, np.ndarray):
        snap = (value, value.copy())
    elif isinstance(value, dict | list):
        snap = (value, None)
        memo[id(value)] = snap  # a container holding itself
        items = value.items() if isinstance(value, dict) else enumerate(value)
        snap = (value, {key: _snapshot(item, memo) for key, item in items})
    else:
        snap = (value, None)
    memo[id(value)] = snap
    return snap


def _restore(snap: Any, done: set[int]) -> Any:
    """The snapshot's object, its old contents put back in place (once per object)."""
    original, saved = snap
    if saved is None or id(original) in done:
        return original
    done.add(id(original))
    if isinstance(original, np.ndarray):
        if not (original.flags.writeable and original.shape == saved.shape):
            return saved
        np.copyto(original, saved, casting="no")
    elif isinstance(original, dict):
        original.clear()
        original.update({key: _restore(item, done) for key, item in saved.items()})
    else:
        original[:] = [_restore(saved[i], done) for i in range(len(saved))]
    return original


def _generator_states(values: Any) -> list[tuple[Any, Any]]:
    """(generator, its state) of every NumPy random generator among ``values``."""
    states = []
    for value in values:
        if isinstance(value, np.random.Generator):
            states.append((value, value.bit_generator.state))
        elif isinstance(value, np.random.RandomState):
            states.append((value, value.get_state()))
    return states


def _restore_generators(states: list[tuple[Any, Any]]) -> None:
    for generator, state in states:
        if isinstance(generator, np.random.Generator):
            generator.bit_generator.state = state
        else:
            generator.set_state(state)


@contextlib.contextmanager
def rollback_on_error(estimator: Any, *, interrupts: bool = False) -> Iterator[None]:
    """Undo every change the block made to ``estimator`` if it raises.

    Parameters
    ----------
    estimator : object
        Any instance with a ``__dict__``.
    interrupts : bool, default=False
        Also undo on ``KeyboardInterrupt`` (and other ``BaseException``). Off for the RBM,
        whose interrupted training keeps its completed mini-batches on purpose.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit._rollback import rollback_on_error
    >>> class Model:
    ...     pass
    >>> m = Model(); m.w = np.zeros(3)
    >>> try:
    ...     with rollback_on_error(m):
    ...         m.w += 1; m.extra = 1; raise ValueError("refused")
    ... except ValueError:
    ...     pass
    >>> m.w, hasattr(m, "extra")
    (array([0., 0., 0.]), False)
    """
    state = vars(estimator)
    memo: dict[int, Any] = {}
    saved = {name: _snapshot(value, memo) for name, value in state.items()}
    generators = _generator_states(state.values())
    caught = BaseException if interrupts else Exception
    try:
        yield
    except caught:
        done: set[int] = set()
        restored = {name: _restore(snap, done) for name, snap in saved.items()}
        # The model's lock stays, even one the call created: other threads may wait on it.
        lock = state.get(LOCK_ATTRIBUTE)
        state.clear()
        state.update(restored)
        if lock is not None:
            state[LOCK_ATTRIBUTE] = lock
        _restore_generators(generators)
        raise
