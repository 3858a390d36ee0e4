"""Input checks shared by the estimators: data the engine can read, and the range of its values.

Training data of Bernoulli visible units must lie in [0, 1] (raw 0-255 pixels are the classic
silent mistake), but inference accepts any finite data and warns: a scaler fitted on one fold of
a cross-validation leaves another fold's values outside its range, and the formulas of the
hidden probabilities, free energy and pseudo-likelihood still hold there.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import assert_all_finite, validate_data

from . import _core
from .exceptions import DataRangeWarning

__all__ = ["ENGINE_DTYPES", "column_means", "engine_data", "output_dtype"]

# Dtypes the engine reads directly, one mini-batch at a time. Anything else is converted to the
# first (float64, as scikit-learn does, so an integer input's features are float64 too).
ENGINE_DTYPES = (np.float64, np.float32, np.uint8, np.bool_)


def engine_data(
    estimator: Any,
    X: Any,
    caller: str,
    *,
    name: str = "X",
    fitting: bool,
    bernoulli: bool,
    n_threads: int,
    reset: bool = False,
    **check_params: Any,
) -> Any:
    """Validate X as scikit-learn does and return it in a form the engine reads without copying.

    Dense data keep an engine dtype and any strides; ``scipy.sparse`` matrices become CSR in
    canonical form (sorted indices, no duplicates: the engine reads their rows directly). The
    values are checked in one threaded pass of the engine: finite, and for Bernoulli units in
    [0, 1] — refused when ``fitting``, else a :class:`DataRangeWarning` naming ``caller``.
    """
    check_params.setdefault("dtype", list(ENGINE_DTYPES))
    check_params.setdefault("order", None)
    X = validate_data(
        estimator, X, reset=reset, accept_sparse="csr", ensure_all_finite=False, **check_params
    )
    if sp.issparse(X):
        X = _canonical_csr(X)
    _check_values(X, caller, name, fitting=fitting, bernoulli=bernoulli, n_threads=n_threads)
    return X


def _canonical_csr(X: Any) -> Any:
    if X.indices.dtype != X.indptr.dtype:
        X = X.copy()
        X.indices = X.indices.astype(np.int64)
        X.indptr = X.indptr.astype(np.int64)
    if not X.has_canonical_format:
        X = X.copy()  # never reorder the caller's matrix in place
        X.sum_duplicates()
    return X


def _check_values(
    X: Any, caller: str, name: str, *, fitting: bool, bernoulli: bool, n_threads: int
) -> None:
    values = X.data if sp.issparse(X) else X
    if values.size == 0 or values.dtype == np.bool_ or (values.dtype == np.uint8 and not bernoulli):
        return
    low, high, finite = _core.value_range(X, n_threads)
    if not finite:
        assert_all_finite(values, input_name=name)  # raises scikit-learn's message
    if not bernoulli or (low >= 0 and high <= 1):
        return
    found = f"found values in [{low:g}, {high:g}]"
    if not fitting:
        warnings.warn(
            f"{caller}: {name} lies outside [0, 1] ({found}); Bernoulli visible units model "
            "probabilities, so these results extrapolate the model. Scale held-out data as the "
            "training data were and clip them, e.g. with MinMaxScaler(clip=True).",
            DataRangeWarning,
            stacklevel=4,
        )
        return
    hint = (
        " uint8 data looks like raw pixels: divide by 255 or binarize (X > 127)."
        if values.dtype == np.uint8
        else " Scale it (e.g. MinMaxScaler(clip=True) or X / X.max()) or binarize it, or use "
        "visible='gaussian' for standardized real-valued data."
    )
    raise ValueError(
        f"{caller}: {name} must lie in [0, 1] for Bernoulli visible units ({found}).{hint}"
    )


def column_means(X: Any) -> np.ndarray:
    """Float64 mean of every column, summed in row order for dense and CSR data alike (so the
    two give bit-identical results: adding a zero changes no sum)."""
    if sp.issparse(X):
        n_rows, n_cols = X.shape
        sums = np.bincount(X.indices, weights=X.data.astype(np.float64), minlength=n_cols)
        return sums / n_rows
    return np.asarray(X.mean(axis=0, dtype=np.float64))


def output_dtype(X: Any) -> type[np.floating]:
    """scikit-learn's rule for a transformer's output: float32 stays, everything else float64."""
    return np.float32 if X.dtype == np.float32 else np.float64
