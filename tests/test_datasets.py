"""fastinit.datasets: the IDX reader, Fashion-MNIST discovery, digits, generic data files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from fastinit import datasets


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An IDX file written independently of the reader: magic, big-endian dims, big-endian data."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(dtype).tobytes()


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(5, 4, 3), dtype=np.uint8)


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_round_trip_uint8(tmp_path, images, compress):
    raw = idx_bytes(images, 0x08)
    path = tmp_path / ("imgs-idx3-ubyte.gz" if compress else "imgs-idx3-ubyte")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    loaded = datasets.load_idx(path)
    assert loaded.dtype == np.uint8 and loaded.shape == (5, 4, 3)
    assert np.array_equal(loaded, images)


@pytest.mark.parametrize(
    ("code", "values"),
    [
        (0x09, np.array([-3, 0, 7], dtype=np.int8)),
        (0x0B, np.array([-300, 2, 1000], dtype=np.int16)),
        (0x0C, np.array([[1, -2], [70000, 4]], dtype=np.int32)),
        (0x0D, np.array([0.5, -1.25], dtype=np.float32)),
        (0x0E, np.array([[1e300], [-2.5]], dtype=np.float64)),
    ],
)
def test_load_idx_types_are_big_endian(tmp_path, code, values):
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(values, code))
    loaded = datasets.load_idx(path)
    assert loaded.dtype.isnative and loaded.dtype == values.dtype
    assert np.array_equal(loaded, values)


def test_gzip_detected_from_content_not_name(tmp_path, images):
    path = tmp_path / "no-suffix"
    path.write_bytes(gzip.compress(idx_bytes(images, 0x08)))
    assert np.array_equal(datasets.load_idx(path), images)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda b: b[:-1], "truncated"),
        (lambda b: b + b"\x00", "trailing bytes"),
        (lambda b: b[:10], "truncated IDX header"),
        (lambda b: b"\x01\x02" + b[2:], "bad magic"),
        (lambda b: b[:2] + b"\x07" + b[3:], "bad magic"),
        (lambda b: b[:3] + b"\x00" + b[4:], "bad magic"),
        (lambda b: b[:2], "shorter than a header"),
        (lambda b: b"", "shorter than a header"),
    ],
)
def test_load_idx_malformed(tmp_path, images, mutate, match):
    path = tmp_path / "bad-idx"
    path.write_bytes(mutate(idx_bytes(images, 0x08)))
    with pytest.raises(ValueError, match=match):
        datasets.load_idx(path)


def test_load_idx_corrupt_gzip(tmp_path, images):
    data = gzip.compress(idx_bytes(images, 0x08))
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="gzip"):
        datasets.load_idx(path)
    path.write_bytes(data[:2] + b"garbage-garbage-garbage")
    with pytest.raises(ValueError, match="gzip"):
        datasets.load_idx(path)


def test_load_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        datasets.load_idx(tmp_path / "nope")


def _write_fake_fashion(folder, n_train=6, n_test=4, gz=True):
    rng = np.random.default_rng(1)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for stem, arr in (
            (f"{prefix}-images-idx3-ubyte", imgs),
            (f"{prefix}-labels-idx1-ubyte", labels),
        ):
            raw = idx_bytes(arr, 0x08)
            if gz:
                (folder / f"{stem}.gz").write_bytes(gzip.compress(raw))
            else:
                (folder / stem).write_bytes(raw)


@pytest.mark.parametrize("gz", [True, False])
def test_load_fashion_mnist_from_folder(tmp_path, gz):
    _write_fake_fashion(tmp_path, gz=gz)
    (X, y), (X_test, y_test) = datasets.load_fashion_mnist(tmp_path)
    assert X.shape == (6, 784) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    assert y.shape == (6,) and y.dtype == np.int64
    assert X_test.shape == (4, 784) and y_test.shape == (4,)
    (Xr, _), _ = datasets.load_fashion_mnist(tmp_path, scale=False, flatten=False)
    assert Xr.shape == (6, 28, 28) and Xr.dtype == np.uint8
    assert np.allclose(Xr.reshape(6, -1) / 255.0, X)


def test_load_fashion_mnist_missing_says_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install -y dataset-fashion-mnist"):
        datasets.load_fashion_mnist(tmp_path)


def test_load_fashion_mnist_mismatched_files(tmp_path):
    _write_fake_fashion(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros(3, dtype=np.uint8), 0x08))
    )
    with pytest.raises(ValueError, match="disagree"):
        datasets.load_fashion_mnist(tmp_path)


@pytest.mark.skipif(
    not (datasets.FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
    reason="Debian package dataset-fashion-mnist not installed",
)
def test_real_fashion_mnist_test_labels():
    labels = datasets.load_idx(datasets.FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,)
    assert np.array_equal(np.bincount(labels), np.full(10, 1000))


def test_load_digits():
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert X.min() == 0 and X.max() == 1 and y.shape == (1797,)
    Xb, _ = datasets.load_digits(binarize=True)
    assert set(np.unique(Xb)) == {0.0, 1.0}


def test_load_data_formats(tmp_path, images):
    np.save(tmp_path / "imgs.npy", images)
    X = datasets.load_data(tmp_path / "imgs.npy")
    assert X.shape == (5, 12) and X.dtype == np.float32
    np.testing.assert_allclose(X, images.reshape(5, -1) / 255.0, rtol=1e-6)
    binary = (images > 127).astype(np.uint8)
    np.save(tmp_path / "bin.npy", binary)
    assert np.array_equal(datasets.load_data(tmp_path / "bin.npy"), binary.reshape(5, -1))
    np.savez(tmp_path / "two.npz", first=images, second=np.ones((3, 2)))
    assert datasets.load_data(tmp_path / "two.npz").shape == (5, 12)
    assert datasets.load_data(tmp_path / "two.npz", key="second").shape == (3, 2)
    (tmp_path / "imgs-idx3-ubyte").write_bytes(idx_bytes(images, 0x08))
    assert np.array_equal(datasets.load_data(tmp_path / "imgs-idx3-ubyte"), X)
    Xb = datasets.load_data(tmp_path / "imgs.npy", binarize=True)
    assert set(np.unique(Xb)) <= {0.0, 1.0}


@pytest.mark.parametrize(
    ("writer", "match"),
    [
        (lambda p: np.save(p / "d.npy", np.arange(5)), "shape"),
        (lambda p: np.save(p / "d.npy", np.zeros((0, 3))), "empty"),
        (lambda p: np.save(p / "d.npy", np.array([["a"]])), "numbers"),
        (lambda p: np.save(p / "d.npy", np.array([[1.0, np.nan]])), "NaN"),
        (lambda p: np.save(p / "d.npy", np.array([{}], dtype=object)), "not a readable"),
        (lambda p: (p / "d.npy").write_bytes(b"\x93NUMPY garbage"), "not a readable"),
        (lambda p: np.savez(p / "d.npz"), "no arrays"),
    ],
)
def test_load_data_malformed(tmp_path, writer, match):
    writer(tmp_path)
    (path,) = tmp_path.iterdir()
    with pytest.raises(ValueError, match=match):
        datasets.load_data(path)


def test_load_data_bad_key_and_missing(tmp_path, images):
    np.savez(tmp_path / "a.npz", x=images)
    with pytest.raises(ValueError, match="no array 'y'"):
        datasets.load_data(tmp_path / "a.npz", key="y")
    np.save(tmp_path / "a.npy", images)
    with pytest.raises(ValueError, match="npz"):
        datasets.load_data(tmp_path / "a.npy", key="x")
    with pytest.raises(FileNotFoundError):
        datasets.load_data(tmp_path / "missing.npy")
