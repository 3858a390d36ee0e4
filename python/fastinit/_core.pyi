"""Type stubs for fastinit's compiled engine (private; use fastinit.RBM and friends)."""

from typing import Any

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]
# A dense 2-D array of float32, float64, uint8 or bool, or a scipy.sparse CSR matrix.
_Data = Any

def build_info() -> dict[str, Any]: ...
def max_threads() -> int: ...

THREADS_PER_CPU: int

def max_team_threads() -> int: ...
def forked_after_parallel() -> bool: ...
def run_alone_for(seconds: float) -> None: ...
def parallel_blocks(counts: npt.NDArray[np.int64], n_threads: int, fail_at: int = -1) -> None: ...
def train_epoch(
    X: _Data,
    W: _F32,
    a: _F32,
    c: _F32,
    velocity_W: _F32,
    velocity_a: _F32,
    velocity_c: _F32,
    chain_hidden: _F32 | None,
    hidden_mean: _F32,
    *,
    key: int,
    step: int,
    epoch: int,
    visible: str,
    k: int,
    persistent: bool,
    learning_rate: float,
    momentum: float,
    weight_decay: float,
    sparsity_target: float | None,
    sparsity_cost: float,
    sparsity_decay: float,
    sample_visible: bool,
    batch_size: int,
    shuffle: bool,
    n_threads: int,
) -> dict[str, Any]: ...
def hidden_probabilities(X: _Data, W: _F32, c: _F32, n_threads: int) -> _F32: ...
def visible_means(H: _F32, W: _F32, a: _F32, visible: str, n_threads: int) -> _F32: ...
def free_energy(
    X: _Data, W: _F32, a: _F32, c: _F32, visible: str, n_threads: int
) -> npt.NDArray[np.float64]: ...
def pseudo_likelihood(
    X: _Data, W: _F32, a: _F32, c: _F32, n_threads: int
) -> npt.NDArray[np.float64]: ...
def gibbs(
    V: _F32,
    W: _F32,
    a: _F32,
    c: _F32,
    visible: str,
    n_steps: int,
    key: int,
    call: int,
    n_threads: int,
) -> None: ...
def philox4x32_10(counter: list[int], key: list[int]) -> list[int]: ...
def random_matrix(key: int, stream: int, rows: int, cols: int, normal: bool = False) -> _F32: ...
def value_range(X: _Data, n_threads: int) -> tuple[float, float, bool]: ...
def train_stream(step: int, phase: int) -> int: ...
def gibbs_stream(call: int, phase: int) -> int: ...
def epoch_order(key: int, epoch: int, n: int) -> npt.NDArray[np.int64]: ...
def elementwise(name: str, x: npt.ArrayLike) -> _F32: ...
def binary_tables(enabled: bool | None = None) -> bool: ...
def sparse_density_threshold(threshold: float | None = None) -> float: ...

EXACT_MAX_UNITS: int

def exact_sums_hidden(W: _F32, a: _F32, c: _F32, visible: str) -> bool: ...
def exact_log_partition(W: _F32, a: _F32, c: _F32, visible: str, n_threads: int) -> float: ...
def ais_log_partition(
    W: _F32,
    a: _F32,
    c: _F32,
    visible: str,
    base_visible_bias: _F32,
    n_chains: int,
    betas: npt.ArrayLike,
    key: int,
    call: int,
    n_threads: int,
) -> tuple[npt.NDArray[np.float64], float]: ...
