"""Input checks shared by the estimators: data the engine can read, and the range of its values.

Training data of Bernoulli visible units must lie in [0, 1] (raw 0-255 pixels are the classic
silent mistake), but inference accepts any finite data and warns: a scaler fitted on one fold of
a cross-validation leaves another fold's values outside its range, and the formulas of the
hidden probabilities, free energy and pseudo-likelihood still hold there.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import assert_all_finite, validate_data

from . import _core
from ._parallel import resolve_n_threads
from .exceptions import DataRangeWarning

__all__ = ["ENGINE_DTYPES", "column_means", "engine_data", "finite_float32", "output_dtype"]

# Dtypes the engine reads directly, one mini-batch at a time. Anything else is converted to the
# first (float64, as scikit-learn does, so an integer input's features are float64 too).
ENGINE_DTYPES = (np.float64, np.float32, np.uint8, np.bool_)


def engine_data(
    estimator: Any,
    X: Any,
    method: str,
    *,
    name: str = "X",
    fitting: bool,
    reset: bool = False,
    **check_params: Any,
) -> Any:
    """Validate X for ``estimator``'s ``method`` as scikit-learn does, and return it in a form the
    engine reads without copying.

    Dense data keep an engine dtype and any strides; ``scipy.sparse`` matrices become CSR in
    canonical form (sorted indices, no duplicates: the engine reads their rows directly). The
    values are checked in one threaded pass of the engine: finite, and for Bernoulli visible
    units (``estimator.visible``) in [0, 1] — refused when ``fitting``, else a
    :class:`~fastinit.exceptions.DataRangeWarning` naming the method.
    """
    check_params.setdefault("dtype", list(ENGINE_DTYPES))
    check_params.setdefault("order", None)
    X = validate_data(
        estimator, X, reset=reset, accept_sparse="csr", ensure_all_finite=False, **check_params
    )
    if sp.issparse(X):
        X = _canonical_csr(X)
    caller = f"{type(estimator).__name__}.{method}"
    bernoulli = estimator.visible == "bernoulli"
    _check_values(X, caller, name, fitting=fitting, bernoulli=bernoulli,
                  n_threads=resolve_n_threads(estimator.n_jobs))  # fmt: skip
    return X


def _canonical_csr(X: Any) -> Any:
    """X itself when the engine can read it, else one new CSR matrix (never X reordered in
    place): sorted indices, no duplicates, and index arrays of one integer width."""
    if X.has_canonical_format and X.indices.dtype == X.indptr.dtype:
        return X
    canonical = sp.csr_matrix((X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)),
                              shape=X.shape, copy=True)  # fmt: skip
    canonical.sum_duplicates()  # also sorts the indices
    return canonical


def _user_stacklevel() -> int:
    """The stacklevel of warnings.warn, called here, that names the user's line: the first
    caller outside fastinit (whose estimators reach the checks through private layers) and
    outside scikit-learn's wrapper of every transform (set_output)."""
    package = os.path.dirname(os.path.abspath(__file__))
    wrapper = getattr(sys.modules.get("sklearn.utils._set_output"), "__file__", None)
    frame, level = sys._getframe(1), 1
    while frame is not None and (
        os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == package
        or frame.f_code.co_filename == wrapper
    ):
        frame, level = frame.f_back, level + 1
    return level


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
            stacklevel=_user_stacklevel(),
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


def finite_float32(value: Any, name: str, caller: str) -> np.ndarray:
    """``value`` as a new C-contiguous float32 array whose every entry is finite.

    The check comes after the cast: 1e39 is finite in float64 and infinite in float32, the
    type the engine computes in. ``TypeError`` for non-numeric arrays (strings, objects,
    complex numbers), ``ValueError`` naming ``caller`` and ``name`` for NaN, infinities and
    values beyond float32's range (about 3.4e38).

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit._validation import finite_float32
    >>> finite_float32([1.0, 2.0], "W", "RBM.from_weights").dtype
    dtype('float32')
    >>> finite_float32([1e39], "W", "RBM.from_weights")
    Traceback (most recent call last):
    ...
    ValueError: RBM.from_weights: W holds values that are not finite in float32 (NaN, infinity, or beyond +-3.4e38, float32's range)
    """  # noqa: E501
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{caller}: {name} must hold real numbers, got an array of dtype {array.dtype}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.array(array, dtype=np.float32, order="C")
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"{caller}: {name} holds values that are not finite in float32 (NaN, infinity, or "
            "beyond +-3.4e38, float32's range)"
        )
    return array
