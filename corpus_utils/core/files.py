"""Files written whole or not at all (a temporary file beside the target, renamed over it once complete), and read
with as few system calls as possible."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["file_sha256", "glob_relative", "is_temporary", "read_bytes", "read_signed", "write_whole"]

_READ_CHUNK = 1 << 20  # bytes per read call: one call for a typical page
_TEMPORARY_SUFFIX = ".tmp"


def glob_relative(folder: Path, pattern: str) -> list[tuple[str, Path]]:
    """``(relative path, path)`` of everything ``folder.glob(pattern)`` yields, sorted by the relative path (``/``
    between its parts on every system). The folder's prefix is sliced off the path's text: about ten times as fast as
    ``Path.relative_to``, which 100,000 files make seconds."""
    prefix = os.path.join(str(folder), "")

    def relative(path: Path) -> str:
        text = str(path)
        return (text[len(prefix):] if text.startswith(prefix) else str(path.relative_to(folder))).replace(os.sep, "/")

    return sorted((relative(path), path) for path in folder.glob(pattern))


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of the file at ``path``, as :meth:`pathlib.Path.read_bytes` gives them.

    Reads with ``os.read`` (a page of a few kilobytes: open, one read, a second one to see the end, close): on
    100,000 pages of 3.4 KB already in the OS cache, 0.9 s instead of 3.3 s with ``Path.read_bytes`` (whose
    buffered reader also asks for the file's size). Raises ``OSError`` as ``Path.read_bytes`` does (missing,
    unreadable, a folder).
    """
    return _read(path, signed=False)[0]


def read_signed(path: str | os.PathLike) -> tuple[bytes, tuple[int, int]]:
    """:func:`read_bytes`, and the file's size and modification time (ns) as they were just before the read (its
    signature, from ``fstat`` of the open file): an edit during or after the read gives the file another signature."""
    data, status = _read(path, signed=True)
    return data, (status.st_size, status.st_mtime_ns)


def _read(path: str | os.PathLike, *, signed: bool) -> tuple[bytes, os.stat_result | None]:
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(descriptor) if signed else None
        chunks = []
        while chunk := os.read(descriptor, _READ_CHUNK):
            chunks.append(chunk)
    finally:
        os.close(descriptor)
    return b"".join(chunks), status


def file_sha256(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file's bytes, read in blocks of 1 MB (a table of gigabytes is never held whole)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_READ_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def write_whole(target: str | Path, content: str | bytes | Iterable[bytes]) -> Path:
    """Write ``content`` (text as UTF-8, bytes, or an iterable of byte strings written one after another, so that a
    large file is never held whole) to ``target`` whole or not at all.

    The content goes to a temporary file beside the target (named after it and this process, so two processes
    writing the same file never share one), which is then renamed over ``target``: a full disk or a crash never
    leaves half a file, a reader never sees one, and an earlier complete file stays until the new one is
    complete. On any error (or an interrupt) the temporary file is removed and the error raised. Returns the target's path.
    """
    destination = Path(target)
    temporary = destination.with_name(f"{destination.name}.{os.getpid()}{_TEMPORARY_SUFFIX}")
    try:
        if isinstance(content, (str, bytes)):
            temporary.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        else:
            with open(temporary, "wb") as handle:
                for chunk in content:
                    handle.write(chunk)
        temporary.replace(destination)
    except BaseException:  # a full disk, or Ctrl-C while a long content is written
        temporary.unlink(missing_ok=True)
        raise
    return destination


def is_temporary(name: str) -> bool:
    """Whether a file name is one :func:`write_whole` gives its temporary file (``<target>.<pid>.tmp``): such a
    file exists only while another writer is at work, and is renamed away or removed at any moment."""
    stem, _, suffix = name.rpartition(".")
    if f".{suffix}" != _TEMPORARY_SUFFIX:
        return False
    return stem.rpartition(".")[2].isdigit()
