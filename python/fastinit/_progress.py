"""Per-epoch progress reports: a tqdm bar when tqdm is installed, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Mapping


class EpochProgress:
    """Report epochs of a fit; silent when ``verbose`` is 0."""

    def __init__(self, total: int, desc: str, verbose: int) -> None:
        self._bar = None
        self._desc = desc
        self._total = total
        self._verbose = verbose
        self._done = 0
        if verbose:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, desc=desc, unit="epoch", leave=True)

    def update(self, metrics: Mapping[str, float]) -> None:
        self._done += 1
        if not self._verbose:
            return
        shown = {name: f"{value:.4g}" for name, value in metrics.items()}
        if self._bar is not None:
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)
        else:
            text = ", ".join(f"{name} {value}" for name, value in shown.items())
            print(f"{self._desc} epoch {self._done}/{self._total}: {text}", file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
