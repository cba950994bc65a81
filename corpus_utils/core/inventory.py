"""The input files a run analysed: path, size and SHA-256 of each, held compactly and written beside the record.

A run's record says exactly what was analysed and notices files edited during the run. The loading step reads and
hashes every page of a folder anyway (its content keys, :func:`corpus_utils.input.load.read_corpus`), so it hands
the runner their SHA-256 with the size and time seen before each read (:meth:`InputFiles.write_table`); the runner
hashes only what the loader did not read (files it refused), or every file when no loading step ran. At 100,000 pages a list of one dictionary per file held about 100 MB in the
runner and made run.json 16 MB (160 MB at a million pages); here the paths are one list, the digests 32 bytes each
and the sizes and times integer arrays, and the list goes to ``inputs.csv`` in the run folder, run.json keeping its
count, total size and one SHA-256 over it (:meth:`InputFiles.summary`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import file_sha256, glob_relative, write_whole

__all__ = ["INPUTS_FILE", "InputFiles", "hash_inputs", "input_paths", "inputs_digest", "recorded_digest"]

_TABLE_COLUMNS = ("path", "bytes", "mtime_ns", "sha256")

#: The table of input files in a run folder: ``path``, ``bytes``, ``sha256``, one row per file, sorted by path.
INPUTS_FILE = "inputs.csv"
_ROWS_PER_WRITE = 10_000


def input_paths(corpus_path: Path, pattern: str) -> dict[str, Path]:
    """Every input file (regular files only) by its path relative to the corpus, sorted by it."""
    if not corpus_path.is_dir():
        return {corpus_path.name: corpus_path}
    return {relative: path for relative, path in glob_relative(corpus_path, pattern) if path.is_file()}


def inputs_digest(pairs: Iterator[tuple[str, str]] | Sequence[tuple[str, str]]) -> str:
    """One SHA-256 over ``(path, hex SHA-256)`` pairs in the order given: the identity of a list of input files."""
    digest = hashlib.sha256()
    for path, sha256 in pairs:
        digest.update(f"{path}\0{sha256}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class InputFiles:
    """Input files sorted by path: ``paths``; ``sizes`` and ``mtimes`` (ns) as seen just before each was read
    (its signature); ``digests``, the SHA-256 of each file's bytes (32 bytes each)."""

    paths: list[str]
    sizes: array
    mtimes: array
    digests: list[bytes]

    def __len__(self) -> int:
        return len(self.paths)

    def append(self, path: str, size: int, mtime: int, digest: bytes) -> None:
        """Add one file (after the last: keep the paths sorted)."""
        self.paths.append(path)
        self.sizes.append(size)
        self.mtimes.append(mtime)
        self.digests.append(digest)

    def pairs(self) -> Iterator[tuple[str, str]]:
        """``(path, hex SHA-256)`` of every file, in path order."""
        return zip(self.paths, (digest.hex() for digest in self.digests))

    def digest(self) -> str:
        """One SHA-256 over every file's path and SHA-256 (:func:`inputs_digest`)."""
        return inputs_digest(self.pairs())

    def summary(self) -> dict[str, Any]:
        """What run.json keeps: ``table`` (:data:`INPUTS_FILE`), ``n_files``, ``bytes`` and ``sha256``."""
        return {"table": INPUTS_FILE, "n_files": len(self), "bytes": int(sum(self.sizes)), "sha256": self.digest()}

    def write_csv(self, path: Path) -> Path:
        """Write the table (``path``, ``bytes``, ``sha256``) whole or not at all, a slice of rows at a time."""
        return write_whole(path, self._csv_chunks())

    def _csv_chunks(self) -> Iterator[bytes]:
        for start in range(0, max(len(self), 1), _ROWS_PER_WRITE):
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            if start == 0:
                writer.writerow(["path", "bytes", "sha256"])
            stop = start + _ROWS_PER_WRITE
            writer.writerows(zip(self.paths[start:stop], self.sizes[start:stop], (d.hex() for d in self.digests[start:stop])))
            yield buffer.getvalue().encode("utf-8")

    def write_table(self, path: Path) -> Path:
        """Write every field (``path``, ``bytes``, ``mtime_ns``, ``sha256``) to a Parquet file, whole or not at all, for
        :meth:`read_table` in another process."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table([pa.array(self.paths, pa.string()), pa.array(self.sizes, pa.int64()),
                          pa.array(self.mtimes, pa.int64()), pa.array(self.digests, pa.binary(32))], names=_TABLE_COLUMNS)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return write_whole(path, sink.getvalue().to_pybytes())

    @classmethod
    def read_table(cls, path: Path) -> InputFiles:
        """The input files :meth:`write_table` wrote to ``path``."""
        import pyarrow.parquet as pq

        columns = pq.read_table(path, columns=list(_TABLE_COLUMNS)).to_pydict()
        return cls(columns["path"], array("q", columns["bytes"]), array("q", columns["mtime_ns"]), columns["sha256"])

    def changed(self, corpus_path: Path, pattern: str) -> list[str]:
        """The input paths added, removed or edited since the files were hashed. A file whose size and modification
        time are still those seen before it was hashed is not read again (at a million pages, reading every file
        again took three minutes); any other is hashed and compared."""
        now = _signatures(input_paths(corpus_path, pattern))
        position = {path: index for index, path in enumerate(self.paths)}
        changed = set(position.keys() ^ now.keys())
        for name in position.keys() & now.keys():
            index = position[name]
            if now[name][1] != (self.sizes[index], self.mtimes[index]) and file_sha256(now[name][0]) != self.digests[index].hex():
                changed.add(name)
        return sorted(changed)


def _signatures(paths: Mapping[str, Path]) -> dict[str, tuple[Path, tuple[int, int]]]:
    """Each file's path and its size and modification time (ns): one ``stat``, no read (a file gone since is left out)."""
    signatures = {}
    for name, path in paths.items():
        try:
            status = path.stat()
        except FileNotFoundError:
            continue
        signatures[name] = (path, (status.st_size, status.st_mtime_ns))
    return signatures


def hash_inputs(corpus_path: Path, pattern: str, known: InputFiles | None = None) -> InputFiles:
    """Path, size, time and SHA-256 of every input file, sorted by path. Sizes and times are taken before any file
    is read, so an edit while they are read shows in :meth:`InputFiles.changed` at the end of the run.

    ``known`` holds files hashed already (the loader's content keys, sizes and times taken before its read): they
    are taken as they are, and only the other files found now are read. A known file gone since stays listed
    (it was analysed); :meth:`InputFiles.changed` reports it."""
    position = {} if known is None else {name: index for index, name in enumerate(known.paths)}
    fresh = _signatures({name: path for name, path in input_paths(corpus_path, pattern).items() if name not in position})
    files = InputFiles([], array("q"), array("q"), [])
    for name in sorted(position.keys() | fresh.keys()):
        if name in position:
            index = position[name]
            files.append(name, known.sizes[index], known.mtimes[index], known.digests[index])
        else:
            path, (size, mtime) = fresh[name]
            files.append(name, size, mtime, bytes.fromhex(file_sha256(path)))
    return files



def recorded_digest(recorded: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> str | None:
    """The :func:`inputs_digest` of the input files a run.json records: its ``input_files`` summary, or the list of
    ``{"path", "sha256"}`` entries earlier versions wrote there. None when the record lists none (its runner died
    before hashing them)."""
    if not recorded:
        return None
    if isinstance(recorded, Mapping):
        return recorded.get("sha256")
    return inputs_digest((entry["path"], entry["sha256"]) for entry in recorded)
