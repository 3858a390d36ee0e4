"""Engine-level tests of fastinit._core: Philox known answers, counter layout, vmath accuracy,
random streams and epoch orders.

Truth comes from outside the engine: the published Random123 known-answer vectors, a pure-Python
Philox4x32-10 written from the paper's definition, float64 NumPy / SciPy functions.
"""

import math

import numpy as np
import pytest
from scipy import special, stats

from fastinit import _core

# ----------------------------------------------------------------------------- Philox


# Random123's kat_vectors (DEShawResearch/random123, tests/kat_vectors), the three
# "philox4x32 10" lines: counter (4 words), key (2 words) -> output (4 words).
PHILOX_KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    (
        [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
        [0xA4093822, 0x299F31D0],
        [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
    ),
]

M32 = 0xFFFFFFFF


def philox_reference(ctr, key, rounds=10):
    """Philox4x32 from Salmon et al. (SC'11), in plain Python integers."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(rounds):
        if r:
            k0 = (k0 + 0x9E3779B9) & M32
            k1 = (k1 + 0xBB67AE85) & M32
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (
            ((p1 >> 32) ^ c1 ^ k0) & M32,
            p1 & M32,
            ((p0 >> 32) ^ c3 ^ k1) & M32,
            p0 & M32,
        )
    return [c0, c1, c2, c3]


@pytest.mark.parametrize("ctr, key, expected", PHILOX_KAT)
def test_philox_known_answers(ctr, key, expected):
    assert list(_core.philox4x32_10(ctr, key)) == expected
    # The Python reference used below is itself checked against the published vectors.
    assert philox_reference(ctr, key) == expected


def test_philox_matches_reference_on_random_inputs():
    rng = np.random.default_rng(1)
    for _ in range(200):
        ctr = [int(x) for x in rng.integers(0, 2**32, size=4)]
        key = [int(x) for x in rng.integers(0, 2**32, size=2)]
        assert list(_core.philox4x32_10(ctr, key)) == philox_reference(ctr, key)


def _reference_block(key, stream, row, block):
    ctr = [block & M32, row & M32, stream & M32, stream >> 32]
    return philox_reference(ctr, [key & M32, key >> 32])


@pytest.mark.parametrize("key", [0, 12345, 2**64 - 1, 0x0123456789ABCDEF])
def test_random_matrix_uniform_layout(key):
    """Uniform (row, col) of a stream is word col % 4 of block col // 4, top 24 bits / 2^24."""
    stream = _core.train_stream(7, 3)
    # 150 columns: the vectorized generator's groups of 16 blocks and the scalar rest.
    U = _core.random_matrix(key, stream, 3, 150)
    assert U.dtype == np.float32 and U.shape == (3, 150)
    for r in range(3):
        for c in range(150):
            word = _reference_block(key, stream, r, c // 4)[c % 4]
            assert U[r, c] == np.float32((word >> 8) / 2.0**24)


def test_random_matrix_normal_layout():
    """Normal (row, col): Box-Muller on words 0 and 1 of block col // 2."""
    key, stream = 99, _core.gibbs_stream(5, 2)
    Z = _core.random_matrix(key, stream, 2, 7, normal=True)
    for r in range(2):
        for c in range(7):
            w = _reference_block(key, stream, r, c // 2)
            u1 = (w[0] + 1.0) / 2.0**32
            u2 = w[1] / 2.0**32
            radius = math.sqrt(-2.0 * math.log(u1))
            value = radius * (math.cos if c % 2 == 0 else math.sin)(2 * math.pi * u2)
            assert Z[r, c] == pytest.approx(value, rel=1e-6, abs=1e-6)


def test_random_matrix_prefixes_are_consistent():
    """A number depends on its (row, col) only, not on the matrix shape asked for."""
    stream = _core.train_stream(3, 1)
    big = _core.random_matrix(5, stream, 6, 37)
    np.testing.assert_array_equal(_core.random_matrix(5, stream, 4, 13), big[:4, :13])
    bign = _core.random_matrix(5, stream, 6, 37, normal=True)
    np.testing.assert_array_equal(_core.random_matrix(5, stream, 2, 9, normal=True), bign[:2, :9])


def test_uniforms_distribution():
    U = _core.random_matrix(2024, _core.train_stream(0, 0), 400, 250).ravel().astype(np.float64)
    assert U.min() >= 0.0 and U.max() < 1.0
    # On the 2^-24 grid exactly.
    np.testing.assert_array_equal(U * 2.0**24, np.round(U * 2.0**24))
    # Fixed key, so the p-value is a fixed number: the threshold catches a broken generator
    # (a wrong lane, a repeated block) rather than bad luck.
    assert stats.kstest(U, "uniform").pvalue > 1e-4
    # Serial pairs are uncorrelated (n = 1e5: the standard error of the correlation is 3e-3).
    assert abs(np.corrcoef(U[:-1], U[1:])[0, 1]) < 6 * (1 / math.sqrt(U.size))


def test_normals_distribution():
    Z = _core.random_matrix(77, _core.train_stream(1, 1), 500, 200, normal=True)
    Z = Z.ravel().astype(np.float64)
    n = Z.size
    assert np.all(np.isfinite(Z))
    # Mean: standard error 1/sqrt(n); variance: standard error sqrt(2/n) for a normal.
    assert abs(Z.mean()) < 5 / math.sqrt(n)
    assert abs(Z.var() - 1.0) < 5 * math.sqrt(2 / n)
    assert stats.kstest(Z, "norm").pvalue > 1e-4


def test_streams_are_distinct():
    key = 31337
    streams = {
        (step, phase): _core.train_stream(step, phase) for step in range(4) for phase in range(5)
    }
    assert len(set(streams.values())) == len(streams)
    gibbs = {_core.gibbs_stream(call, phase) for call in range(4) for phase in range(5)}
    assert len(gibbs) == 20 and not gibbs & set(streams.values())
    mats = [_core.random_matrix(key, s, 2, 8) for s in streams.values()]
    for i in range(len(mats)):
        for j in range(i):
            assert not np.array_equal(mats[i], mats[j])
    # Different keys give different numbers for the same stream.
    s = _core.train_stream(0, 0)
    assert not np.array_equal(_core.random_matrix(1, s, 2, 8), _core.random_matrix(2, s, 2, 8))
    # Same key and stream: identical (pure function).
    np.testing.assert_array_equal(_core.random_matrix(1, s, 2, 8), _core.random_matrix(1, s, 2, 8))


def test_epoch_order_is_a_seeded_permutation():
    for n in (0, 1, 2, 17, 1000):
        order = _core.epoch_order(123, 0, n)
        assert np.array_equal(np.sort(order), np.arange(n))
    a = _core.epoch_order(123, 0, 1000)
    np.testing.assert_array_equal(a, _core.epoch_order(123, 0, 1000))
    assert not np.array_equal(a, _core.epoch_order(123, 1, 1000))
    assert not np.array_equal(a, _core.epoch_order(124, 0, 1000))
    assert not np.array_equal(a, np.arange(1000))


def test_epoch_order_is_uniform():
    """Position of each element over many epochs: chi-square against uniform (n = 5)."""
    n, epochs = 5, 4000
    counts = np.zeros((n, n))
    for e in range(epochs):
        order = _core.epoch_order(9, e, n)
        counts[np.arange(n), order] += 1
    for row in counts:
        assert stats.chisquare(row).pvalue > 1e-4


# ----------------------------------------------------------------------------- vmath


def _sigmoid64(x):
    return special.expit(np.asarray(x, dtype=np.float64))


def test_exp_accuracy():
    # The range where exp(x) is a finite normal float32.
    x = np.linspace(-87.3, 88.7, 1_000_001, dtype=np.float32)
    got = _core.elementwise("exp", x).astype(np.float64)
    rel = np.abs(got / np.exp(x.astype(np.float64)) - 1)
    assert rel.max() < 1e-6
    assert _core.elementwise("exp", np.zeros(3, np.float32)).tolist() == [1.0, 1.0, 1.0]
    # Outside the range it clamps instead of producing inf / garbage.
    far = _core.elementwise("exp", np.array([-1e4, 1e4, -np.inf, np.inf], np.float32))
    assert np.all(np.isfinite(far)) and np.all(far >= 0)


def test_sigmoid_accuracy():
    x = np.linspace(-87, 88, 1_000_001, dtype=np.float32)
    got = _core.elementwise("sigmoid", x).astype(np.float64)
    ref = _sigmoid64(x)
    assert np.max(np.abs(got / ref - 1)) < 1e-6
    # Everywhere (also far outside, and at +-inf) within 1e-7 absolute and inside [0, 1].
    x = np.concatenate([np.linspace(-1e4, 1e4, 200_001), [-np.inf, np.inf]]).astype(np.float32)
    got = _core.elementwise("sigmoid", x).astype(np.float64)
    assert np.all((got >= 0) & (got <= 1))
    assert np.max(np.abs(got - _sigmoid64(x))) < 1e-7
    assert _core.elementwise("sigmoid", np.zeros(1, np.float32))[0] == 0.5


def test_softplus_accuracy():
    x = np.linspace(-87, 88, 1_000_001, dtype=np.float32)
    got = _core.elementwise("softplus", x).astype(np.float64)
    ref = np.logaddexp(0.0, x.astype(np.float64))
    assert np.max(np.abs(got / ref - 1)) < 1e-6
    # Large arguments: softplus(x) = x to float precision, no overflow.
    big = np.array([100.0, 1e4, 1e30], np.float32)
    np.testing.assert_allclose(_core.elementwise("softplus", big), big, rtol=1e-7)
    tiny = _core.elementwise("softplus", np.array([-1e4, -np.inf], np.float32))
    assert np.all(np.isfinite(tiny)) and np.all((tiny >= 0) & (tiny < 1e-37))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.bool_])
@pytest.mark.parametrize(
    "view",
    [lambda x: x, np.asfortranarray, lambda x: x[::-2, 1::3], lambda x: x[:, ::-1], lambda x: x.T],
    ids=["C", "F", "strided", "reversed-columns", "transposed"],
)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_value_range_matches_numpy(dtype, view, n_threads):
    """One pass gives NumPy's min and max, whatever the layout; odd sizes leave vector rests."""
    rng = np.random.default_rng(3)
    X = view(rng.integers(0, 2, size=(203, 37)).astype(dtype) if dtype in (np.uint8, np.bool_)
             else (rng.normal(size=(203, 37)) * 5).astype(dtype))  # fmt: skip
    low, high, finite = _core.value_range(X, n_threads)
    assert (low, high, finite) == (float(X.min()), float(X.max()), True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (150, 36), (202, 36)])
def test_value_range_flags_nan_and_infinity(dtype, bad, where):
    X = np.random.default_rng(4).random((203, 37)).astype(dtype)
    X[where] = bad
    low, high, finite = _core.value_range(X, 2)
    assert not finite
    assert (low, high) == (float(np.nanmin(X)), float(np.nanmax(X)))


def test_elementwise_rejects_unknown_name():
    with pytest.raises(ValueError, match="exp"):
        _core.elementwise("tanh", np.zeros(2, np.float32))


def test_stub_lists_every_binding():
    """python/fastinit/_core.pyi declares exactly the public names the extension exports."""
    import ast
    from pathlib import Path

    stub_path = Path(_core.__file__).with_name("_core.pyi")
    if not stub_path.exists():  # installed without the stub next to the extension
        stub_path = Path(__file__).parents[1] / "python" / "fastinit" / "_core.pyi"
    declared = set()
    for node in ast.parse(stub_path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.add(node.target.id)
    exported = {name for name in dir(_core) if not name.startswith("_")}
    assert exported == {name for name in declared if not name.startswith("_")}


def test_build_info_names_the_vector_code_compiled_in():
    import platform

    from fastinit import _core

    dispatch = _core.build_info()["dispatch"]
    x86_linux = platform.machine() == "x86_64" and platform.system() == "Linux"
    expected = (
        {"avx512+avx2+baseline", "avx2+baseline", "baseline"} if x86_linux else {"compiler target"}
    )
    assert dispatch in expected
