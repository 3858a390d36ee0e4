"""Per-epoch progress reports of a fit.

``verbose=1`` prints one line per epoch to stdout in scikit-learn's format (as its
``BernoulliRBM`` does: ``[RBM] Iteration 3, pseudo-likelihood = -20.15, time = 0.02s``, then
fastinit's other metrics); ``verbose>=2`` shows a tqdm bar on stderr instead, when tqdm is
installed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

# Metrics printed first, in this order, as scikit-learn's estimators print them.
_LEADING = ("pseudo_likelihood",)


class EpochProgress:
    """Report epochs of a fit; silent when ``verbose`` is 0."""

    def __init__(self, total: int, desc: str, verbose: int) -> None:
        self._bar = None
        self._desc = desc
        self._verbose = verbose
        self._done = 0
        if verbose >= 2:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, desc=desc, unit="epoch", leave=True)

    @property
    def prints_lines(self) -> bool:
        """Whether update prints a line (rather than nothing, or a bar)."""
        return bool(self._verbose) and self._bar is None

    def update(self, metrics: Mapping[str, float], seconds: float) -> None:
        self._done += 1
        if not self._verbose:
            return
        if self._bar is not None:
            shown = {name: f"{value:.4g}" for name, value in metrics.items()}
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)
            return
        leading = [f"{name.replace('_', '-')} = {metrics[name]:.2f}" for name in _LEADING
                   if name in metrics]  # fmt: skip
        rest = [f"{name.replace('_', ' ')} = {value:.4g}" for name, value in metrics.items()
                if name not in _LEADING]  # fmt: skip
        fields = [*leading, f"time = {seconds:.2f}s", *rest]
        print(f"[{self._desc}] Iteration {self._done}, " + ", ".join(fields), file=sys.stdout)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
