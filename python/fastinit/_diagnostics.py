"""Health of trained RBM layers: hidden units stuck off (dead) or on (saturated).

A unit is judged by its mean activation, the mean of P(h_j = 1 | v) over the rows it was
trained on: below :data:`DEAD_BELOW` it is dead, above :data:`SATURATED_ABOVE` saturated. Such a
unit is (nearly) the same constant for every input: it carries no information to the layers
above, and its gradient, proportional to p(1 - p), is too small to bring it back. A layer whose
dead and saturated units together exceed :data:`MAX_STUCK_FRACTION` of its units is reported.

Used by :class:`fastinit.DBN`; written as plain functions of a layer's mean activations so that
a single :class:`fastinit.RBM` can run the same check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import DeadUnitsWarning

__all__ = [
    "DEAD_BELOW",
    "MAX_STUCK_FRACTION",
    "SATURATED_ABOVE",
    "DeadUnitsWarning",
    "count_stuck",
    "dead_below",
    "mean_activation",
    "stuck_units_message",
]

DEAD_BELOW = 0.01
SATURATED_ABOVE = 0.99
MAX_STUCK_FRACTION = 0.10
# Rows per transform call when averaging activations: bounds the memory of a wide layer.
_CHUNK_ROWS = 8192


def mean_activation(rbm: Any, X: Any) -> np.ndarray:
    """Mean hidden probability of every unit of a fitted ``rbm`` over the rows of ``X``.

    Parameters
    ----------
    rbm : fitted RBM
        Anything with ``transform(X) -> (n_rows, n_hidden)`` probabilities.
    X : array-like of shape (n_samples, n_visible)

    Returns
    -------
    ndarray of shape (n_hidden,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit import RBM
    >>> from fastinit._diagnostics import mean_activation
    >>> X = np.random.default_rng(0).random((100, 8))
    >>> mean_activation(RBM(8, 3, n_iter=1, random_state=0).fit(X), X).shape
    (3,)
    """
    total = None
    n_rows = X.shape[0]  # also of a sparse matrix, which has no len()
    for start in range(0, n_rows, _CHUNK_ROWS):
        part = rbm.transform(X[start : start + _CHUNK_ROWS]).sum(axis=0, dtype=np.float64)
        total = part if total is None else total + part
    return total / n_rows


def dead_below(sparsity_target: float | None) -> float:
    """The mean activation under which a unit is dead: 0.01, or a tenth of a sparsity target
    below 0.1 (such a target holds units near it on purpose).

    Examples
    --------
    >>> from fastinit._diagnostics import dead_below
    >>> dead_below(None), dead_below(0.02)
    (0.01, 0.002)
    """
    return DEAD_BELOW if sparsity_target is None else min(DEAD_BELOW, sparsity_target / 10)


def count_stuck(mean: np.ndarray, dead: float = DEAD_BELOW) -> tuple[int, int]:
    """``(dead, saturated)``: units with mean activation below ``dead``, and above 0.99.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit._diagnostics import count_stuck
    >>> count_stuck(np.array([0.001, 0.3, 0.5, 0.995]))
    (1, 1)
    """
    mean = np.asarray(mean)
    return int(np.count_nonzero(mean < dead)), int(np.count_nonzero(mean > SATURATED_ABOVE))


def stuck_units_message(
    mean: np.ndarray, *, layer: str, advice: str, dead_threshold: float = DEAD_BELOW
) -> str | None:
    """The warning text for a layer with too many stuck units, or None when it is healthy.

    Parameters
    ----------
    mean : ndarray of shape (n_hidden,)
        Mean activation of each hidden unit over the layer's training data.
    layer : str
        How the layer is named in the message, e.g. ``"DBN layer 3 of 3 (RBM 500 -> 2000)"``.
    advice : str
        What to change, appended to the message.
    dead_threshold : float, default=0.01
        The mean activation under which a unit is dead (:func:`dead_below`).

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit._diagnostics import stuck_units_message
    >>> print(stuck_units_message(np.full(10, 0.3), layer="RBM 5 -> 10", advice="..."))
    None
    >>> stuck_units_message(np.r_[np.zeros(5), np.full(5, 0.3)], layer="RBM 5 -> 10",
    ...                     advice="Lower learning_rate.")[:44]
    'RBM 5 -> 10: 5 of its 10 hidden units (50 %)'
    """
    n_units = len(mean)
    dead, saturated = count_stuck(mean, dead_threshold)
    if dead + saturated <= MAX_STUCK_FRACTION * n_units:
        return None
    kinds = []
    if dead:
        kinds.append(f"{dead} dead (mean activation < {dead_threshold:g})")
    if saturated:
        kinds.append(f"{saturated} saturated (mean activation > {SATURATED_ABOVE:g})")
    return (
        f"{layer}: {dead + saturated} of its {n_units} hidden units "
        f"({100 * (dead + saturated) / n_units:.0f} %) ended stuck over the training data: "
        f"{' and '.join(kinds)}. They give the same output for every input, and their gradient "
        f"is too small to revive them. {advice}"
    )
