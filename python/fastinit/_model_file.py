"""fastinit's model files: ``.npz`` archives of a JSON metadata member and numeric arrays.

Writing is :func:`numpy.savez` (no pickle, members stored uncompressed). Reading trusts nothing
the file declares, since model files are shared and downloaded:

* the archive is read with :mod:`zipfile` member by member, never with ``np.load`` (whose
  ``.npy`` reader allocates whatever shape a header declares, and pickles are never enabled);
* each member's ``.npy`` header is read first, and its dtype and shape are checked against what
  the metadata implies before a byte of its data is read;
* the data the members declare may total at most :func:`read_budget` bytes: the file's own size
  for uncompressed members (a ``(2**40, 20)`` header cannot match a small file), and at most
  ``MIN_BUDGET`` or ``MAX_EXPANSION`` times the file's size for compressed ones (a few hundred
  kilobytes of deflated zeros cannot make a load allocate gigabytes);
* every problem raises ``ValueError`` naming the file, the member or field, and what was
  expected (a missing file still raises ``FileNotFoundError``).

The estimators (``fastinit._rbm_file``, ``fastinit._dbn_file``) say what each field must be.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

import numpy as np

from ._params import INT64_MAX, bound_text

__all__ = [
    "MAX_EXPANSION",
    "MIN_BUDGET",
    "ModelArchive",
    "open_archive",
    "read_budget",
    "write_archive",
]

#: Data that compressed members of a small file may expand to, in bytes.
MIN_BUDGET: int = 16 * 2**20
#: How many times its own size a file's members may expand to beyond ``MIN_BUDGET``.
MAX_EXPANSION: int = 32
# The longest .npy header accepted (numpy's own default limit).
_MAX_HEADER = 10_000
_READ_CHUNK = 2**20


def read_budget(file_size: int) -> int:
    """Bytes of member data a file of ``file_size`` bytes may declare in all.

    Examples
    --------
    >>> from fastinit._model_file import read_budget
    >>> read_budget(1000) == 16 * 2**20, read_budget(2**30) == 32 * 2**30
    (True, True)
    """
    return max(MIN_BUDGET, MAX_EXPANSION * file_size)


def write_archive(
    file: str | os.PathLike[str] | IO[bytes], meta: Mapping[str, Any], arrays: Mapping[str, Any]
) -> None:
    """Write ``meta`` (as JSON) and ``arrays`` to ``file`` with :func:`numpy.savez`.

    Examples
    --------
    >>> import io, numpy as np
    >>> from fastinit._model_file import open_archive, write_archive
    >>> buffer = io.BytesIO()
    >>> write_archive(buffer, {"format_version": 1, "class": "Demo"}, {"w": np.zeros(2)})
    >>> with open_archive(buffer.getvalue(), "Demo") as archive:
    ...     archive.meta(1)["class"], archive.array("w", shape=(2,)).tolist()
    ('Demo', [0.0, 0.0])
    """
    np.savez(file, meta=np.array(json.dumps(dict(meta))), **arrays)


class _Budget:
    """Bytes of member data still allowed, shared by an archive and the archives inside it."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, n_bytes: int) -> bool:
        if n_bytes > self.left:
            return False
        self.left -= n_bytes
        return True


class ModelArchive:
    """An open model file, read member by member within a byte budget.

    Use :func:`open_archive`. ``label`` names the file in errors; ``kind`` is the class the
    archive must hold; an archive stored inside another (a DBN's layer) has the outer file's
    ``file_kind`` and a ``prefix`` locating it (``"layer1: "``) in its errors.
    """

    def __init__(
        self,
        zip_file: zipfile.ZipFile,
        label: str,
        kind: str,
        budget: _Budget,
        prefix: str = "",
        file_kind: str | None = None,
    ) -> None:
        self._zip = zip_file
        self.label = label
        self.kind = kind
        self.file_kind = file_kind or kind
        self.prefix = prefix
        self._budget = budget
        entries = zip_file.namelist()
        if len(set(entries)) != len(entries):
            raise self.error("archive", "it lists a member twice")
        if not all(entry.endswith(".npy") for entry in entries):
            raise self.error("archive", "it holds members other than .npy arrays")
        self.members = frozenset(entry[: -len(".npy")] for entry in entries)

    # ------------------------------------------------------------------ errors

    def error(self, field: str, problem: str) -> ValueError:
        """The error of a file whose ``field`` (a member or metadata entry) is wrong."""
        return ValueError(
            f"{self.label!r} is not a valid fastinit {self.file_kind} file: {self.prefix}{field}: "
            f"{problem}"
        )

    # ------------------------------------------------------------------ members

    def check_members(self, required: Sequence[str], optional: Sequence[str] = ()) -> None:
        """Refuse a file that lacks a ``required`` member or holds any other than these."""
        missing = [name for name in required if name not in self.members]
        if missing:
            raise self.error(missing[0], "the member is missing")
        extra = sorted(self.members - set(required) - set(optional))
        if extra:
            raise self.error(extra[0], "unexpected member")

    def meta(self, version: int) -> dict[str, Any]:
        """The metadata, a JSON object of format ``version`` written for ``kind``."""
        if "meta" not in self.members:
            raise ValueError(
                f"{self.label!r} is not a fastinit {self.file_kind} file ({self.prefix}no metadata)"
            )
        text = self.array("meta", shape=(), kinds="U")[()]
        try:
            meta = json.loads(str(text))
        except (ValueError, RecursionError) as exc:
            raise self.error("meta", f"unreadable JSON ({type(exc).__name__}: {exc})") from None
        if not isinstance(meta, dict):
            raise self.error("meta", f"not a JSON object but {type(meta).__name__}")
        found, kind = meta.get("format_version"), meta.get("class")
        if type(found) is not int or found != version or kind != self.kind:
            raise ValueError(
                f"{self.label!r} {self.prefix}holds format {found!r} of {kind!r}; this "
                f"fastinit reads format {version} of {self.kind}"
            )
        return meta

    def array(
        self, name: str, *, shape: Sequence[int | None], kinds: str = "f", itemsize: int = 0
    ) -> np.ndarray:
        """Member ``name``: its header checked against ``shape`` (``None`` entries are free,
        at least 1) and dtype ``kinds`` (and ``itemsize`` when nonzero) before its data are
        read, within the budget."""
        data, dims, fortran, dtype = self._member(name, shape, kinds, itemsize)
        return np.frombuffer(data, dtype=dtype).reshape(dims, order="F" if fortran else "C")

    def nested(self, name: str, kind: str) -> contextlib.AbstractContextManager[ModelArchive]:
        """The archive stored as the bytes of member ``name`` (a 1-D uint8 array), reading
        from the same budget."""
        data = self._member(name, (None,), "u", 1)[0]
        prefix = f"{self.prefix}{name}: "
        return _opened(io.BytesIO(data), self.label, kind, self._budget, prefix, self.file_kind)

    def _member(
        self, name: str, shape: Sequence[int | None], kinds: str, itemsize: int
    ) -> tuple[bytearray, tuple[int, ...], bool, np.dtype]:
        if name not in self.members:
            raise self.error(name, "the member is missing")
        info = self._zip.getinfo(name + ".npy")
        try:
            stream = self._zip.open(info)
        except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self.error(name, f"unreadable member ({exc})") from None
        with stream:
            dims, fortran, dtype = self._header(stream, name)
            self._check_declared(name, dims, dtype, shape, kinds, itemsize)
            n_bytes = math.prod(dims) * dtype.itemsize
            if info.file_size != stream.tell() + n_bytes or (
                info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size
            ):
                raise self.error(name, "the array's size disagrees with the archive's record")
            if not self._budget.spend(n_bytes):
                raise self.error(
                    name,
                    f"its header declares {n_bytes} bytes of data, more than the file may hold "
                    f"(compressed members may expand at most {MAX_EXPANSION}-fold)",
                )
            return self._read_exactly(stream, n_bytes, name), dims, fortran, dtype

    def _header(self, stream: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
        fmt = np.lib.format
        try:
            version = fmt.read_magic(stream)
            if version == (1, 0):
                return fmt.read_array_header_1_0(stream, max_header_size=_MAX_HEADER)
            if version == (2, 0):
                return fmt.read_array_header_2_0(stream, max_header_size=_MAX_HEADER)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise self.error(name, f"unreadable .npy header ({exc})") from None
        raise self.error(name, f"unsupported .npy format version {version}")

    def _check_declared(
        self,
        name: str,
        dims: tuple[int, ...],
        dtype: np.dtype,
        shape: Sequence[int | None],
        kinds: str,
        itemsize: int,
    ) -> None:
        if dtype.kind not in kinds or dtype.hasobject or (itemsize and dtype.itemsize != itemsize):
            raise self.error(name, f"dtype {dtype} is not allowed here")
        fits = len(dims) == len(shape) and all(
            (n >= 1 if want is None else n == want) for n, want in zip(dims, shape, strict=False)
        )
        if not fits:
            wanted = ["n" if want is None else str(want) for want in shape]
            wanted_text = f"({', '.join(wanted)}{',' if len(wanted) == 1 else ''})"
            raise self.error(name, f"its header declares shape {dims}, expected {wanted_text}")

    def _read_exactly(self, stream: IO[bytes], n_bytes: int, name: str) -> bytearray:
        data = bytearray(n_bytes)
        view, done = memoryview(data), 0
        try:
            while done < n_bytes:
                got = stream.readinto(view[done : done + _READ_CHUNK])
                if not got:
                    raise self.error(name, "the data are truncated")
                done += got
            if stream.read(1):  # reaching the end also checks the member's CRC
                raise self.error(name, "data follow the array")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self.error(name, f"unreadable data ({exc})") from None
        return data

    # ------------------------------------------------------------------ metadata fields

    def field(self, mapping: Mapping[str, Any], key: str, where: str = "") -> Any:
        if key not in mapping:
            raise self.error(f"{where}{key}", "missing")
        return mapping[key]

    def check_keys(
        self, mapping: Mapping[str, Any], allowed: Sequence[str], where: str = ""
    ) -> None:
        """Refuse keys of ``mapping`` outside ``allowed``."""
        extra = sorted(set(mapping) - set(allowed))
        if extra:
            raise self.error(f"{where}{extra[0]}", "unexpected entry")

    def int_field(
        self, mapping: Mapping[str, Any], key: str, *, low: int, high: int = INT64_MAX,
        where: str = "",
    ) -> int:  # fmt: skip
        """An integer in ``[low, high]`` (JSON ``true``, ``1.0`` and ``Infinity`` are not)."""
        value = self.field(mapping, key, where)
        if type(value) is not int or not low <= value <= high:
            expected = f"[{bound_text(low)}, {bound_text(high)}]"
            raise self.error(f"{where}{key}", f"must be an int in {expected}, got {value!r:.80}")
        return value

    def dict_field(self, mapping: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
        value = self.field(mapping, key, where)
        if not isinstance(value, dict):
            raise self.error(f"{where}{key}", f"must be a JSON object, got {value!r:.80}")
        return value

    def list_field(self, mapping: Mapping[str, Any], key: str, where: str = "") -> list[Any]:
        value = self.field(mapping, key, where)
        if not isinstance(value, list):
            raise self.error(f"{where}{key}", f"must be a JSON list, got {value!r:.80}")
        return value

    def estimator(self, cls: type, params: dict[str, Any]) -> Any:
        """``cls(**params)``, its parameters checked as ``fit`` checks them."""
        model = cls(**params)
        try:
            model._check_params("load")
        except (TypeError, ValueError) as exc:
            raise self.error("params", str(exc)) from None
        return model


@contextlib.contextmanager
def _opened(
    file: IO[bytes],
    label: str,
    kind: str,
    budget: _Budget | None,
    prefix: str = "",
    file_kind: str | None = None,
) -> Iterator[ModelArchive]:
    if budget is None:
        budget = _Budget(read_budget(file.seek(0, os.SEEK_END)))
        file.seek(0)
    try:
        zip_file = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise ValueError(
            f"{label!r} is not a fastinit {file_kind or kind} file ({prefix}not an .npz "
            f"archive: {exc})"
        ) from None
    with zip_file:
        yield ModelArchive(zip_file, label, kind, budget, prefix, file_kind)


@contextlib.contextmanager
def open_archive(
    path: str | os.PathLike[str] | bytes | IO[bytes], kind: str
) -> Iterator[ModelArchive]:
    """Open the model file at ``path`` (or in ``bytes``, or an open binary file) that must hold
    a ``kind`` model.

    ``FileNotFoundError`` for a missing file; ``ValueError`` for anything that is not a zip
    archive of ``.npy`` members. Errors the ``zipfile`` module raises while members are read
    (a corrupt deflate stream, a bad CRC) also become ``ValueError``.
    """
    if isinstance(path, bytes | bytearray):
        file, label = io.BytesIO(path), "<bytes>"
    elif hasattr(path, "read"):  # an open binary file: read, and left open
        file, label = path, str(getattr(path, "name", "<file>"))
    else:
        file, label = open(path, "rb"), os.fspath(path)
    with contextlib.nullcontext() if file is path else file:
        try:
            with _opened(file, label, kind, None) as archive:
                yield archive
        except (zipfile.BadZipFile, EOFError, NotImplementedError) as exc:
            raise ValueError(f"{label!r} is not a valid fastinit {kind} file: {exc}") from None
