"""Derived data computed once and reused: numeric arrays stored under a key of everything they depend on.

An expensive result (a topic model's factors, a TF-IDF matrix) is stored as one ``.npz`` file of plain arrays —
numbers and fixed-width strings, never pickled objects, so a planted or damaged file can only be a miss, never
run code. The key is a SHA-256 of the inputs themselves (the texts, or the corpus snapshot's key), of every
setting and of the package's computing code (:func:`code_version`), so a changed text, parameter or module computes afresh and an unchanged one is read back bit for bit: results
are the same whether they were computed now or read. Files are written whole (a temporary file renamed into
place); the least recently used beyond :data:`KEEP_ENTRIES` per kind (or the number a kind stored in parts asks for) are deleted. The folder is
``<cache folder>/derived`` (see :func:`corpus_utils.input.cache.default_cache_dir`); delete it, or call
``corpus_utils.input.cache.clear_cache()``, to reclaim the space.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .columns import TextSequence, arrow_chunks, utf8_offsets
from .locks import file_lock

__all__ = ["COMPUTING_LAYERS", "KEEP_ENTRIES", "Memo", "code_version", "digest_arrays", "digest_hashes", "digest_texts", "memo_key", "source_version", "text_hashes"]

#: Entries kept per kind (``topics``, …); the least recently used beyond this are deleted.
KEEP_ENTRIES = 16
_SPARSE = "__csr__"


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    """A 16-byte hash (SHA-256, truncated) of each text, as an ``(n, 16)`` uint8 array: which texts two lists share."""
    hashed = bytearray()
    for text in texts:
        hashed += hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).digest()[:16]
    return np.frombuffer(bytes(hashed), dtype=np.uint8).reshape(-1, 16)


def digest_hashes(hashes: np.ndarray) -> str:
    """A SHA-256 of a list of texts from their :func:`text_hashes` (in order, with their number)."""
    digest = hashlib.sha256(len(hashes).to_bytes(8, "little"))
    digest.update(np.ascontiguousarray(hashes, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def digest_texts(texts: Iterable[str]) -> str:
    """A SHA-256 of ``texts`` in order: of their number, the UTF-8 length of each and their bytes one after another.

    The texts of a :class:`~corpus_utils.core.columns.TextSequence` (an Arrow-backed column, as
    :func:`~corpus_utils.core.columns.texts_of` gives it) are read from the Arrow buffers, with no Python string
    made: at 100,000 pages (282 MB of text) 0.23 s, against 1.0 s for one SHA-256 per text. Any other iterable is
    read one ``str`` at a time; both give the same digest for the same texts.
    """
    lengths, data, count = hashlib.sha256(), hashlib.sha256(), 0
    chunks = arrow_chunks(texts.values) if isinstance(texts, TextSequence) else None
    if chunks is not None:
        for chunk in chunks:
            offsets, content = utf8_offsets(chunk)
            lengths.update(np.diff(offsets).astype("<i8").tobytes())
            if content is not None:
                data.update(memoryview(content)[int(offsets[0]) : int(offsets[-1])])
            count += len(chunk)
    else:
        sizes = []
        for text in texts:
            encoded = str(text).encode("utf-8", "surrogatepass")
            sizes.append(len(encoded))
            data.update(encoded)
        lengths.update(np.asarray(sizes, dtype="<i8").tobytes())
        count = len(sizes)
    return hashlib.sha256(count.to_bytes(8, "little") + lengths.digest() + data.digest()).hexdigest()


def digest_arrays(*arrays: Any) -> str:
    """A SHA-256 of numeric arrays or SciPy sparse matrices: their shapes, types and values."""
    digest = hashlib.sha256()
    for value in arrays:
        if sp.issparse(value):
            value = sp.csr_matrix(value)
            parts = [value.indptr, value.indices, value.data]
        else:
            parts = [np.asarray(value)]
        digest.update(repr(value.shape).encode())
        for part in parts:
            part = np.ascontiguousarray(part)
            digest.update(repr((part.dtype.str, part.shape)).encode())
            digest.update(part.reshape(-1).view(np.uint8))
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def source_version(path: str | Path) -> str:
    """A short hash of a module's source file: a key part for what that module's code computes, so any edit to it
    makes new entries."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


#: The package's folders whose code computes derived data: a change to any of their modules makes new keys.
COMPUTING_LAYERS = ("core", "input", "text", "analysis")


@functools.lru_cache(maxsize=None)
def code_version(package: Path | None = None) -> str:
    """A short hash of the source of :data:`COMPUTING_LAYERS` of ``package`` (default this package; every module, by
    relative path), part of every :func:`memo_key`: an entry made by other code (an older version of the package, an
    edited module) is never read back as if this code had made it."""
    package = package or Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(path for layer in COMPUTING_LAYERS for path in (package / layer).rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def memo_key(**parts: Any) -> str:
    """A short hash of named settings (JSON with sorted keys; values that JSON cannot hold are written as text) and of
    the code that computes from them (:func:`code_version`)."""
    keyed = {**parts, "__code__": code_version()}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()[:32]


class Memo:
    """Arrays by kind and key in ``<folder>/<kind>-<key>.npz``.

    Parameters
    ----------
    folder : str or Path
        Where the files go (created when the first is stored).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / f"{kind}-{key}.npz"

    def keys(self, kind: str) -> list[str]:
        """The keys stored under ``kind``, the most recently used first."""
        entries = sorted(self.folder.glob(f"{kind}-*.npz"), key=_modified, reverse=True)
        return [path.stem[len(kind) + 1 :] for path in entries]

    def load(self, kind: str, key: str, names: Iterable[str] | None = None) -> dict[str, Any] | None:
        """The arrays stored under ``kind`` and ``key`` (CSR matrices restored), or None when there are none or the
        file cannot be read; with ``names``, only those arrays are read (None when one is missing)."""
        path = self._path(kind, key)
        try:
            with np.load(path, allow_pickle=False) as stored:
                wanted = stored.files if names is None else list(names)
                arrays = {name: stored[name] for name in wanted}
            os.utime(path)
        except (OSError, ValueError, KeyError):
            return None
        restored: dict[str, Any] = {}
        for name in [name for name in arrays if not name.startswith(_SPARSE)]:
            restored[name] = arrays[name]
        for name in {name.split(":", 2)[1] for name in arrays if name.startswith(_SPARSE)}:
            parts = {part: arrays[f"{_SPARSE}:{name}:{part}"] for part in ("data", "indices", "indptr", "shape")}
            restored[name] = sp.csr_matrix((parts["data"], parts["indices"], parts["indptr"]), shape=tuple(parts["shape"]))
        return restored

    def store(self, kind: str, key: str, arrays: Mapping[str, Any], *, keep: int = KEEP_ENTRIES) -> None:
        """Store ``arrays`` (numpy arrays, or SciPy sparse matrices kept as CSR) under ``kind`` and ``key``, keeping
        the ``keep`` most recently used entries of ``kind``; a failure to write leaves nothing behind and is not an
        error (the result was computed anyway)."""
        flat: dict[str, np.ndarray] = {}
        for name, value in arrays.items():
            if sp.issparse(value):
                matrix = sp.csr_matrix(value)
                flat.update({f"{_SPARSE}:{name}:data": matrix.data, f"{_SPARSE}:{name}:indices": matrix.indices,
                             f"{_SPARSE}:{name}:indptr": matrix.indptr, f"{_SPARSE}:{name}:shape": np.asarray(matrix.shape)})
            else:
                array = np.asarray(value)
                if array.dtype == object:
                    raise TypeError(f"{name}: object arrays are not stored (they would need pickling)")
                flat[name] = array
        temporary: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{kind}-", suffix=".npz", dir=self.folder)
            with os.fdopen(handle, "wb") as output:
                np.savez(output, **flat)
            os.replace(temporary, self._path(kind, key))
        except OSError:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            return
        self._forget_old(kind, keep)

    def get_or_compute(self, kind: str, key: str, compute: Callable[[], Mapping[str, Any]], *,
                       keep: int = KEEP_ENTRIES) -> dict[str, Any]:
        """The arrays under ``kind`` and ``key``, computed by ``compute()`` and stored when there are none yet (the
        ``keep`` most recently used entries of ``kind`` kept: :meth:`store`). While
        one process computes them, another asking for the same key waits for its result (notebooks 04 and 05 of a
        run fitting the same topics side by side fit them once)."""
        found = self.load(kind, key)
        if found is not None:
            return found
        with self.lock(kind, key):
            found = self.load(kind, key)
            if found is not None:
                return found
            arrays = dict(compute())
            self.store(kind, key, arrays, keep=keep)
            return arrays

    def lock(self, kind: str, key: str) -> AbstractContextManager:
        """A lock across processes for computing the entry ``kind``/``key``: hold it from checking that the entry is
        missing to storing it, so a second process waits and then reads the first one's result."""
        return file_lock(self.folder / f".{kind}-{key}.lock")

    def _forget_old(self, kind: str, keep: int) -> None:
        for key in self.keys(kind)[keep:]:
            path = self._path(kind, key)
            path.unlink(missing_ok=True)
            path.with_name(f".{path.stem}.lock").unlink(missing_ok=True)


def _modified(path: Path) -> float:
    """When ``path`` was last written or used (0 when it has just gone)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
