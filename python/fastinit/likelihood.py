"""Partition function and log-likelihood of RBMs: exact enumeration and annealed importance
sampling.

The log-likelihood of an RBM, ``log p(v) = -F(v) - log Z``, needs the partition function ``Z``.
Two estimators run in the C++ engine (``csrc/ais.cpp``), both accumulating in float64:

* **exact** — enumerate all ``2**n`` states of the smaller layer (the other layer is summed
  analytically), for ``n <= EXACT_MAX_UNITS`` (30). Gaussian visible units can only be summed
  analytically, so the hidden layer is enumerated for them.
* **AIS** — annealed importance sampling from a base-rate model (``W = 0``, ``c = 0``, visible
  biases from the training data's mean) to the model through ``n_betas`` tempered distributions,
  as in Salakhutdinov & Murray, "On the quantitative analysis of deep belief networks" (ICML
  2008). The estimate of ``Z`` is unbiased; its logarithm is a stochastic lower bound in
  expectation, and the interval reported is the log of the mean weight +/- 3 standard errors.

Most users call :meth:`fastinit.RBM.log_partition` and :meth:`fastinit.RBM.log_likelihood`;
:func:`log_partition` works on raw parameter arrays (e.g. one layer of a DBN).
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._parallel import resolve_n_threads
from ._params import check_int
from ._random import RandomStateLike, make_key

__all__ = [
    "AUTO_EXACT_MAX_UNITS",
    "EXACT_MAX_UNITS",
    "LogPartition",
    "ais_interval",
    "log_partition",
    "salakhutdinov_murray_betas",
]

#: Largest summed layer (in units) that ``method="exact"`` accepts: 2**30 states.
EXACT_MAX_UNITS: int = int(_core.EXACT_MAX_UNITS)
#: ``method="auto"`` enumerates exactly up to this many units in the summed layer (2**20 states,
#: about a second for 784 x 20 on two cores) and uses AIS above it.
AUTO_EXACT_MAX_UNITS: int = 20
#: Clip of the base rates before their log-odds (the same clip as the visible-bias start).
BASE_RATE_CLIP: float = 1e-3

_METHODS = ("auto", "exact", "ais")


class LogPartition(NamedTuple):
    """An estimate of ``log Z`` (natural log), with an interval.

    Attributes
    ----------
    log_z : float
        The estimate: exact, or for AIS ``log Z_base + log(mean importance weight)``.
    lower, upper : float
        Exact: both equal ``log_z``. AIS: log of the mean weight minus / plus 3 standard errors
        (``lower`` is ``-inf`` when mean - 3 SE <= 0, i.e. the weights are too uneven to bound).
    method : str
        ``"exact"`` or ``"ais"``.
    n_chains : int or None
        AIS chains (``None`` for exact).
    n_betas : int or None
        AIS annealing steps, ``len(betas) - 1`` (``None`` for exact).
    ess : float or None
        Effective sample size of the AIS weights, ``(sum w)**2 / sum w**2``, between 1 and
        ``n_chains``; far below ``n_chains`` means a few chains dominate and more betas are
        needed (``None`` for exact).
    """

    log_z: float
    lower: float
    upper: float
    method: str
    n_chains: int | None = None
    n_betas: int | None = None
    ess: float | None = None


def salakhutdinov_murray_betas(
    n_betas: int = 14500,
    *,
    breakpoints: Sequence[float] = (0.5, 0.9),
    steps: Sequence[float] = (500, 4000, 10000),
) -> np.ndarray:
    """The AIS inverse-temperature schedule of Salakhutdinov & Murray (2008).

    Uniform steps on the segments ``[0, 0.5]``, ``[0.5, 0.9]`` and ``[0.9, 1]`` with 500, 4,000
    and 10,000 steps: ``n_betas=14500`` is their schedule exactly; other ``n_betas`` split the
    steps in the same proportions (rounded, at least one per segment; fewer steps than segments
    give a uniform schedule).

    Parameters
    ----------
    n_betas : int, default=14500
        Number of annealing steps (intermediate distributions); at least 2.
    breakpoints : sequence of float, default=(0.5, 0.9)
        Segment ends strictly inside (0, 1), increasing.
    steps : sequence of float, default=(500, 4000, 10000)
        Relative number of steps per segment (``len(breakpoints) + 1`` positive values).

    Returns
    -------
    betas : ndarray of shape (n_betas + 1,), float64
        Non-decreasing from exactly 0.0 to exactly 1.0.

    Examples
    --------
    >>> from fastinit.likelihood import salakhutdinov_murray_betas
    >>> betas = salakhutdinov_murray_betas()
    >>> len(betas), float(betas[500]), float(betas[4500]), float(betas[-1])
    (14501, 0.5, 0.9, 1.0)
    >>> salakhutdinov_murray_betas(4, breakpoints=(0.5,), steps=(1, 1))
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    n_betas = check_int(n_betas, "n_betas", caller="salakhutdinov_murray_betas", low=2)
    edges = np.concatenate(([0.0], np.asarray(breakpoints, dtype=np.float64), [1.0]))
    weights = np.asarray(steps, dtype=np.float64)
    if edges.ndim != 1 or not np.all(np.diff(edges) > 0):
        raise ValueError(f"breakpoints must increase strictly inside (0, 1), got {breakpoints!r}")
    if weights.shape != (len(edges) - 1,) or not np.all(np.isfinite(weights) & (weights > 0)):
        raise ValueError(
            f"steps must hold len(breakpoints) + 1 = {len(edges) - 1} positive values, "
            f"got {steps!r}"
        )
    n_betas = int(n_betas)
    ends = np.rint(np.cumsum(weights) / weights.sum() * n_betas).astype(np.int64)
    counts = np.diff(np.concatenate(([0], ends)))
    if np.any(counts < 1):
        return np.linspace(0.0, 1.0, n_betas + 1)
    parts = [
        np.linspace(lo, hi, n + 1)[:-1]
        for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    return np.concatenate([*parts, [1.0]])


def ais_interval(
    log_weights: Any, log_z_base: float = 0.0, n_sigma: float = 3.0
) -> tuple[float, float, float, float]:
    """Combine AIS log weights into ``(log_z, lower, upper, ess)``, stably.

    ``log_z = log_z_base + log(mean(w))`` and the bounds are ``log(mean(w) +/- n_sigma * SE)``
    with ``SE = std(w, ddof=1) / sqrt(n)``, all computed on ``w / max(w)`` so nothing overflows.
    ``lower`` is ``-inf`` when ``mean - n_sigma * SE <= 0``; with one chain the interval is
    ``(-inf, inf)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.likelihood import ais_interval
    >>> log_z, lower, upper, ess = ais_interval(np.log([1.0, 1.0, 1.0, 1.0]), log_z_base=2.0)
    >>> log_z, lower, upper, ess
    (2.0, 2.0, 2.0, 4.0)
    """
    lw = np.asarray(log_weights, dtype=np.float64).ravel()
    if lw.size == 0:
        raise ValueError("log_weights is empty")
    if np.any(np.isnan(lw)) or np.any(lw == np.inf):
        raise ValueError("log_weights must not hold NaN or +inf")
    top = float(lw.max())
    if top == -np.inf:
        return -math.inf, -math.inf, -math.inf, 0.0
    w = np.exp(lw - top)
    n = w.size
    mean = float(w.mean())
    offset = float(log_z_base) + top
    log_z = offset + math.log(mean)
    ess = float(w.sum() ** 2 / np.sum(w * w))
    if n < 2:
        return log_z, -math.inf, math.inf, ess
    se = float(w.std(ddof=1)) / math.sqrt(n)
    upper = offset + math.log(mean + n_sigma * se)
    low = mean - n_sigma * se
    lower = offset + math.log(low) if low > 0 else -math.inf
    return log_z, lower, upper, ess


def checked_f32(value: Any, name: str) -> np.ndarray:
    """``value`` in float32, refused unless finite after the cast (1e39 is not)."""
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.ascontiguousarray(value, dtype=np.float32)
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"{name} holds non-finite values (NaN or inf): the partition function is undefined"
        )
    return array


def summed_layer_size(n_visible: int, n_hidden: int, visible: str) -> int:
    """Units in the layer that exact enumeration sums over (hidden for Gaussian visible units)."""
    return n_hidden if visible == "gaussian" else min(n_visible, n_hidden)


def base_visible_bias(base_rate: Any, n_visible: int, visible: str) -> np.ndarray:
    """Visible biases of the AIS base model from base rates (per-unit data means).

    Bernoulli: the log-odds of the rates clipped to ``[BASE_RATE_CLIP, 1 - BASE_RATE_CLIP]``;
    Gaussian: the means themselves.
    """
    rate = np.asarray(base_rate, dtype=np.float64)
    if rate.shape != (n_visible,):
        raise ValueError(f"base_rate must have shape ({n_visible},), got {rate.shape}")
    if visible == "gaussian":
        return checked_f32(rate, "base_rate")
    if not np.all(np.isfinite(rate)):
        raise ValueError("base_rate must be finite")
    if np.any(rate < 0) or np.any(rate > 1):
        raise ValueError("base_rate must lie in [0, 1] for Bernoulli visible units")
    p = np.clip(rate, BASE_RATE_CLIP, 1 - BASE_RATE_CLIP)
    return np.log(p / (1 - p)).astype(np.float32)


def check_method(method: Any) -> None:
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be 'auto', 'exact' or 'ais', got {method!r}")


def resolve_method(method: str, n_visible: int, n_hidden: int, visible: str) -> str:
    check_method(method)
    if method != "auto":
        return method
    small = summed_layer_size(n_visible, n_hidden, visible) <= AUTO_EXACT_MAX_UNITS
    return "exact" if small else "ais"


def check_options(n_chains: Any, n_betas: Any, betas: Any, caller: str = "log_partition") -> None:
    """Validate the AIS options (whatever the method, so that mistakes surface early)."""
    check_int(n_chains, "n_chains", caller=caller, low=1)
    check_int(n_betas, "n_betas", caller=caller, low=2)
    if betas is not None:
        resolve_betas(n_betas, betas)


def resolve_betas(n_betas: int, betas: Any) -> np.ndarray:
    """The AIS schedule: ``betas`` when given (validated), else the S&M schedule."""
    if betas is None:
        return salakhutdinov_murray_betas(n_betas)
    schedule = np.asarray(betas, dtype=np.float64)
    if schedule.ndim != 1 or schedule.size < 3:
        raise ValueError("betas must be a 1-D array of at least 3 values (n_betas >= 2 steps)")
    if schedule[0] != 0.0 or schedule[-1] != 1.0:
        raise ValueError("betas must start at 0.0 and end at 1.0")
    if not np.all(np.isfinite(schedule)) or np.any(np.diff(schedule) < 0):
        raise ValueError("betas must be finite and non-decreasing")
    return np.ascontiguousarray(schedule)


def compute_log_partition(
    W: np.ndarray,
    a: np.ndarray,
    c: np.ndarray,
    visible: str,
    method: str,
    *,
    n_chains: int,
    n_betas: int,
    betas: Any,
    base_bias: np.ndarray,
    key: int,
    call: int,
    n_threads: int,
) -> LogPartition:
    """Checked float32 parameters in, estimate out; ``method`` is "exact" or "ais"."""
    if method == "exact":
        log_z = float(_core.exact_log_partition(W, a, c, visible, n_threads))
        return LogPartition(log_z, log_z, log_z, "exact")
    schedule = resolve_betas(n_betas, betas)
    log_weights, log_z_base = _core.ais_log_partition(
        W, a, c, visible, base_bias, int(n_chains), schedule, key, call, n_threads
    )
    log_z, lower, upper, ess = ais_interval(log_weights, log_z_base)
    return LogPartition(log_z, lower, upper, "ais", int(n_chains), len(schedule) - 1, ess)


def log_partition(
    components: Any,
    intercept_visible: Any,
    intercept_hidden: Any,
    *,
    visible: str = "bernoulli",
    method: str = "auto",
    n_chains: int = 100,
    n_betas: int = 14500,
    betas: Any = None,
    base_rate: Any = None,
    random_state: RandomStateLike = None,
    n_jobs: int | None = None,
) -> LogPartition:
    """``log Z`` of an RBM given by its parameter arrays (see :meth:`fastinit.RBM.log_partition`).

    Parameters
    ----------
    components : array-like of shape (n_hidden, n_visible)
    intercept_visible : array-like of shape (n_visible,)
    intercept_hidden : array-like of shape (n_hidden,)
    visible : {"bernoulli", "gaussian"}, default="bernoulli"
    method : {"auto", "exact", "ais"}, default="auto"
        "auto" is exact when the summed layer has at most ``AUTO_EXACT_MAX_UNITS`` (20) units.
    n_chains : int, default=100
    n_betas : int, default=14500
        AIS annealing steps (schedule of :func:`salakhutdinov_murray_betas`); at least 2.
    betas : array-like or None, default=None
        An explicit schedule from 0.0 to 1.0 (overrides ``n_betas``).
    base_rate : array-like of shape (n_visible,) or None, default=None
        Data means for the AIS base model; ``None`` uses ``sigmoid(intercept_visible)``
        (Bernoulli) or ``intercept_visible`` (Gaussian), the model with its weights removed.
    random_state : None, int, RandomState or Generator, default=None
    n_jobs : int or None, default=None

    Returns
    -------
    LogPartition

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from fastinit.likelihood import log_partition
    >>> W = np.zeros((2, 3)); a = np.zeros(3); c = np.zeros(2)
    >>> round(log_partition(W, a, c).log_z / math.log(2), 6)  # 2**5 equally likely states
    5.0
    """
    if visible not in ("bernoulli", "gaussian"):
        raise ValueError(f"visible must be 'bernoulli' or 'gaussian', got {visible!r}")
    W = checked_f32(components, "components")
    if W.ndim != 2:
        raise ValueError("components must be a 2-D array (n_hidden, n_visible)")
    n_hidden, n_visible = W.shape
    a = checked_f32(intercept_visible, "intercept_visible")
    c = checked_f32(intercept_hidden, "intercept_hidden")
    if a.shape != (n_visible,) or c.shape != (n_hidden,):
        raise ValueError(
            f"intercept_visible must have shape ({n_visible},) and intercept_hidden "
            f"({n_hidden},), got {a.shape} and {c.shape}"
        )
    check_options(n_chains, n_betas, betas)
    resolved = resolve_method(method, n_visible, n_hidden, visible)
    if base_rate is None:
        base_bias = a.copy()
    else:
        base_bias = base_visible_bias(base_rate, n_visible, visible)
    return compute_log_partition(
        W, a, c, visible, resolved, n_chains=n_chains, n_betas=n_betas, betas=betas,
        base_bias=base_bias, key=make_key(random_state), call=0,
        n_threads=resolve_n_threads(n_jobs),
    )  # fmt: skip


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=16)
    for array in arrays:
        h.update(str((array.dtype.str, array.shape)).encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def cache_key(
    parameters: tuple[np.ndarray, ...],
    visible: str,
    method: str,
    n_chains: int,
    n_betas: int,
    betas: Any,
    base_bias: np.ndarray,
    random_state: RandomStateLike,
) -> tuple[Any, ...] | None:
    """Key of a log Z estimate: a hash of the parameter bytes plus every option that matters.

    ``None`` (not cacheable) for AIS seeded by a RandomState or Generator, whose draws differ
    on every call.
    """
    model = (_digest(*parameters), visible)
    if method == "exact":
        return (*model, "exact")
    if random_state is not None and not isinstance(random_state, numbers.Integral):
        return None
    schedule = ("n_betas", int(n_betas)) if betas is None else (
        "betas", _digest(np.asarray(betas, dtype=np.float64))
    )  # fmt: skip
    seed = None if random_state is None else int(random_state)
    return (*model, "ais", int(n_chains), schedule, _digest(base_bias), seed)


class TrainingMonitor:
    """Per-epoch measurements for :meth:`fastinit.RBM.fit` (``validation_data``, ``monitor_every``).

    Every epoch: ``free_energy_gap`` = mean F(validation) - mean F(training rows), Hinton's
    overfitting monitor (NaN without validation data), and ``pseudo_likelihood`` = mean
    pseudo-log-likelihood of the first ``pseudo_likelihood_rows`` training rows (NaN for
    Gaussian units). Every ``every`` epochs
    (``every > 0``): ``log_likelihood`` (validation data if given, else the training rows) and
    ``log_likelihood_train``, from one ``method="auto"`` log Z (AIS with ``n_chains`` chains and
    ``n_betas`` steps for large models). The AIS random numbers come from the model's key on a
    stream of their own, so monitoring never changes the training.
    """

    def __init__(
        self,
        train_rows: np.ndarray,
        validation: np.ndarray | None,
        every: int,
        *,
        pseudo_likelihood_rows: int,
        n_chains: int,
        n_betas: int,
    ) -> None:
        self.train_rows = train_rows
        self.validation = validation
        self.every = every
        self.pseudo_likelihood_rows = pseudo_likelihood_rows
        self.n_chains = n_chains
        self.n_betas = n_betas

    def measure(self, rbm: Any) -> dict[str, float]:
        nan = float("nan")
        f_train = float(np.mean(rbm.free_energy(self.train_rows)))
        f_valid = nan
        if self.validation is not None and len(self.validation):
            f_valid = float(np.mean(rbm.free_energy(self.validation)))
        pseudo = nan
        if rbm.visible == "bernoulli":
            rows = self.train_rows[: self.pseudo_likelihood_rows]
            pseudo = float(np.mean(rbm.score_samples(rows)))
        metrics = {"free_energy_gap": f_valid - f_train, "pseudo_likelihood": pseudo}
        if self.every and rbm.n_iter_ % self.every == 0:
            log_z = self._log_z(rbm)
            metrics["log_likelihood_train"] = -f_train - log_z
            f_held_out = f_valid if self.validation is not None else f_train
            metrics["log_likelihood"] = -f_held_out - log_z
        return metrics

    def _log_z(self, rbm: Any) -> float:
        n_hidden, n_visible = rbm.components_.shape
        W = checked_f32(rbm.components_, "components_")
        a = checked_f32(rbm.intercept_visible_, "intercept_visible_")
        c = checked_f32(rbm.intercept_hidden_, "intercept_hidden_")
        rate = getattr(rbm, "base_rate_", None)
        base_bias = a.copy() if rate is None else base_visible_bias(rate, n_visible, rbm.visible)
        method = resolve_method("auto", n_visible, n_hidden, rbm.visible)
        # Calls >= 2**31 on the AIS stream: disjoint from the calls of user-level sampling.
        call = (1 << 31) | (int(rbm.n_iter_) & 0x7FFFFFFF)
        result = compute_log_partition(
            W, a, c, rbm.visible, method, n_chains=self.n_chains, n_betas=self.n_betas,
            betas=None, base_bias=base_bias, key=int(rbm._key), call=call,
            n_threads=resolve_n_threads(rbm.n_jobs),
        )  # fmt: skip
        return result.log_z
