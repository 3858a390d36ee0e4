"""scipy.sparse input: the engine reads CSR rows directly, and every result equals the dense
input's, bit for bit, with the same seed.

A CSR matrix's column indices are the list of ones the engine's binary path builds from a dense
batch, so the training of binary data also takes them as they are; these tests compare whole
training states (parameters, velocities, chains, history) and the outputs of every method.
"""

import tracemalloc

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


def test_a_corrupt_index_is_refused_not_read(binary):
    rbm = RBM(64, 8, n_iter=1, random_state=0, n_jobs=1).fit(binary)
    X = sp.csr_matrix(binary[:10])
    for corrupt in ("column", "indptr"):
        bad = X.copy()
        if corrupt == "column":
            bad.indices[3] = 64  # past the last column
        else:
            bad.indptr[5] = bad.indptr[6] + 1  # rows overlap
        with pytest.raises(ValueError, match="canonical form"):
            _core.value_range(bad, 1)
        with pytest.raises(ValueError, match="canonical form"):
            _core.hidden_probabilities(bad, rbm.components_, rbm.intercept_hidden_, 1)


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


def test_no_dense_copy_of_sparse_data_is_made():
    """Training on a CSR matrix allocates a few mini-batches, not the dense data set."""
    rng = np.random.default_rng(0)
    X = sp.random(20_000, 784, density=0.05, format="csr", dtype=np.float32, random_state=rng)
    X.data[:] = 1.0
    rbm = RBM(784, 64, n_iter=1, random_state=0, n_jobs=1)
    dense_bytes = X.shape[0] * X.shape[1] * 4
    tracemalloc.start()
    try:
        rbm.fit(X)
        rbm.transform(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # transform's output is 20,000 x 64 float64 (10 MB); a dense float32 copy would be 63 MB.
    assert peak < 0.3 * dense_bytes, (peak, dense_bytes)
