"""scipy.sparse input: the engine reads CSR rows directly, and every result equals the dense
input's, bit for bit, with the same seed.

A CSR matrix's column indices are the list of ones the engine's binary path builds from a dense
batch, so the training of binary data also takes them as they are; these tests compare whole
training states (parameters, velocities, chains, history) and the outputs of every method.
"""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits

from fastinit import RBM, _core
from fastinit.exceptions import DataRangeWarning

STATE = (
    "components_", "intercept_visible_", "intercept_hidden_", "_velocity_W", "_velocity_a",
    "_velocity_c", "_hidden_mean", "persistent_hidden_", "base_rate_",
)  # fmt: skip
FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.lil_matrix, sp.csr_array, sp.coo_array]


def assert_same_model(a, b):
    for name in STATE:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.history_.keys() == b.history_.keys()
    for key in a.history_:
        if key != "seconds":
            np.testing.assert_array_equal(a.history_[key], b.history_[key], err_msg=key)


@pytest.fixture(scope="module")
def grey():
    return (load_digits().data / 16.0).astype(np.float32)


@pytest.fixture(scope="module")
def binary(grey):
    return (grey > 0.5).astype(np.float32)


CONFIGS = {
    "CD-1 batch 100 (binary rows: the engine's index of ones)": {},
    "PCD-1": {"persistent": True, "n_chains": 30},
    "batch 10, no momentum": {"batch_size": 10, "momentum": 0.0},
    "CD-2, sampled visibles, sparsity": {"k": 2, "sample_visible": True, "sparsity_target": 0.1},
}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("data", ["binary", "grey"])
def test_fit_on_sparse_equals_fit_on_dense(config, data, request):
    X = request.getfixturevalue(data)
    params = dict(n_hidden=40, n_iter=3, random_state=0, n_jobs=2, **CONFIGS[config])
    dense = RBM(**params).fit(X)
    for container in FORMATS:
        assert_same_model(RBM(**params).fit(container(X)), dense)


def test_partial_fit_and_inference_on_sparse_equal_dense(binary):
    dense = RBM(64, 32, random_state=1, n_jobs=1)
    sparse = RBM(64, 32, random_state=1, n_jobs=1)
    for chunk in np.array_split(binary, 3):
        dense.partial_fit(chunk)
        sparse.partial_fit(sp.csr_matrix(chunk))
    assert_same_model(sparse, dense)
    S = sp.csr_matrix(binary[:300])
    D = binary[:300]
    for method in ("transform", "free_energy", "score_samples", "reconstruct"):
        np.testing.assert_array_equal(getattr(sparse, method)(S), getattr(dense, method)(D))
    assert sparse.score(S) == dense.score(D)
    np.testing.assert_array_equal(
        sparse.gibbs(S, n_steps=2, random_state=3), dense.gibbs(D, n_steps=2, random_state=3)
    )
    ll_sparse = sparse.log_likelihood(S, n_betas=200, random_state=0)
    assert ll_sparse == dense.log_likelihood(D, n_betas=200, random_state=0)


def test_gaussian_units_take_sparse_data(grey):
    X = (grey - grey.mean(0)) * 2.0  # real values of both signs, many exact zeros
    X[np.abs(X) < 0.3] = 0.0
    params = dict(visible="gaussian", n_hidden=20, n_iter=2, random_state=0, n_jobs=1)
    dense = RBM(**params).fit(X)
    sparse = RBM(**params).fit(sp.csr_matrix(X))
    assert_same_model(sparse, dense)
    np.testing.assert_array_equal(sparse.transform(sp.csr_matrix(X)), dense.transform(X))


def test_unsorted_and_duplicate_entries_give_the_canonical_matrix_model(binary):
    X = sp.csr_matrix(binary[:400])
    # The same matrix with each row's entries in reverse order, every one split into two halves.
    indices = np.empty(2 * X.nnz, dtype=X.indices.dtype)
    data = np.empty(2 * X.nnz, dtype=X.data.dtype)
    for r in range(X.shape[0]):
        lo, hi = X.indptr[r], X.indptr[r + 1]
        indices[2 * lo : 2 * hi] = np.tile(X.indices[lo:hi][::-1], 2)
        data[2 * lo : 2 * hi] = np.tile(X.data[lo:hi][::-1] / 2, 2)
    messy = sp.csr_matrix((data, indices, 2 * X.indptr), shape=X.shape)
    assert not messy.has_canonical_format
    before = (messy.data.copy(), messy.indices.copy(), messy.indptr.copy())
    params = dict(n_hidden=16, n_iter=2, random_state=0, n_jobs=1)
    assert_same_model(RBM(**params).fit(messy), RBM(**params).fit(binary[:400]))
    for kept, now in zip(before, (messy.data, messy.indices, messy.indptr), strict=True):
        np.testing.assert_array_equal(kept, now)  # the caller's matrix is left as it was


def _corrupt(X, how):
    bad = X.copy()
    row = slice(bad.indptr[2], bad.indptr[3])
    if how == "column past the end":
        bad.indices[3] = X.shape[1]
    elif how == "negative column":
        bad.indices[3] = -1
    elif how == "rows overlap":
        bad.indptr[5] = bad.indptr[6] + 1
    elif how == "indptr[0] != 0":
        bad.indptr[0] = 1
    elif how == "indptr past the values":
        bad.indptr[-1] = bad.nnz + 5
    elif how == "unsorted row":
        bad.indices[row] = bad.indices[row][::-1]
    elif how == "duplicate column":
        bad.indices[row.start + 1] = bad.indices[row.start]
    return bad


@pytest.mark.parametrize("how", ["column past the end", "negative column", "rows overlap",
                                 "indptr[0] != 0", "indptr past the values", "unsorted row",
                                 "duplicate column"])  # fmt: skip
def test_a_corrupt_index_is_refused_not_read(binary, how):
    """The engine reads CSR rows directly, so it checks the index before any read: a wrong one
    must give an error, never a read or write out of bounds (this runs under ASan in CI)."""
    rbm = RBM(64, 8, n_iter=1, random_state=0, n_jobs=1).fit(binary)
    X = sp.csr_matrix(binary[:10])
    assert X.indptr[3] - X.indptr[2] >= 2  # row 2 has entries to reorder
    bad = _corrupt(X, how)
    with pytest.raises(ValueError, match="canonical form"):
        _core.value_range(bad, 1)
    with pytest.raises(ValueError, match="canonical form"):
        _core.hidden_probabilities(bad, rbm.components_, rbm.intercept_hidden_, 1)


def test_int64_index_arrays_give_the_same_model(binary):
    wide = sp.csr_matrix(binary)  # scipy picks int32 index arrays where they fit: widen both
    wide.indices, wide.indptr = wide.indices.astype(np.int64), wide.indptr.astype(np.int64)
    assert wide.indices.dtype == np.int64
    params = dict(n_hidden=16, n_iter=2, random_state=0, n_jobs=2)
    assert_same_model(RBM(**params).fit(wide), RBM(**params).fit(binary))
    mixed = sp.csr_matrix(binary)
    mixed.indices = mixed.indices.astype(np.int64)  # the two index arrays of different widths
    assert_same_model(RBM(**params).fit(mixed), RBM(**params).fit(binary))


def test_sparse_values_are_checked_like_dense_ones(binary):
    rbm = RBM(64, 8, n_iter=1, random_state=0, n_jobs=1).fit(binary)
    twice = sp.csr_matrix(binary[:20] * 2)
    with pytest.raises(ValueError, match=r"RBM.fit: X must lie in \[0, 1\]"):
        RBM(64, 8).fit(twice)
    with pytest.warns(DataRangeWarning, match="MinMaxScaler"):
        rbm.transform(twice)
    negative = sp.csr_matrix(-binary[:20])
    with pytest.warns(DataRangeWarning, match=r"found values in \[-1, 0\]"):
        rbm.score_samples(negative)
    nan = sp.csr_matrix(binary[:20])
    nan.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        rbm.transform(nan)


_PEAK_RSS = """
import resource, sys
import numpy as np, scipy.sparse as sp
from fastinit import RBM
X = sp.random(40_000, 784, density=0.05, format="csr", dtype=np.float32, random_state=0)
X.data[:] = 1.0
rbm = RBM(784, 64, n_iter=1, random_state=0, n_jobs=1).fit(X[:200])  # imports and engine warm
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rbm.fit(X)
rbm.score_samples(X)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def test_no_dense_copy_of_sparse_data_is_made():
    """Training and scoring on a CSR matrix hold a few mini-batches, not the dense data set:
    the process's peak memory (C++ allocations included) grows far less than a dense copy."""
    out = subprocess.run([sys.executable, "-c", _PEAK_RSS], capture_output=True, text=True,
                         check=True, timeout=300)  # fmt: skip
    dense_float32 = 40_000 * 784 * 4  # 125 MB
    assert int(out.stdout.split()[-1]) < 0.2 * dense_float32
