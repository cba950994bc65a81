"""The corpus store: a loaded corpus kept as one columnar snapshot, so every later load of it is a Parquet read.

A snapshot is the documents table and the load report of one load of a folder, written as Parquet beside the
page cache (``<cache folder>/snapshots/<parser version>/<key>/``). Its key is a hash of every input's content
(the SHA-256 the page cache computes anyway), its path and the loader's version, so an edited, added or
removed file, or a new loader, gives a new snapshot — never a stale one. The key also names the corpus for
everything computed from it (token counts, topic fits; :mod:`corpus_utils.core.memo`).

A run pins one snapshot for all its notebooks: the runner loads the corpus once and names the snapshot in
:data:`SNAPSHOT_ENV_VAR`, so every notebook reads the same corpus even if the files change during the run.
Snapshots are written whole (a temporary folder renamed into place) and read with their dtypes checked; the
newest :data:`KEEP_SNAPSHOTS` are kept and those of older loader versions are deleted. They take about
the size of the corpus's text (Parquet, compressed); ``corpus_utils.input.cache.clear_cache()`` removes
them with the page cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.columns import release_arrow_memory, text_dtype_for
from ..core.scheduler import active
from ..core.stored import remember_columns
from .cache import parser_version

__all__ = ["SNAPSHOT_ENV_VAR", "KEEP_SNAPSHOTS", "SNAPSHOT_FORMAT", "Snapshot", "snapshot_key", "SnapshotStore", "SnapshotWriter", "snapshot_table_bytes",
           "read_snapshot", "pinned_snapshot"]

#: Environment variable naming the snapshot folder every notebook of a run reads (set by the runner).
SNAPSHOT_ENV_VAR = "CORPUS_UTILS_SNAPSHOT"
#: Snapshots kept per loader version; the least recently used beyond this are deleted.
KEEP_SNAPSHOTS = 8
#: An unfinished snapshot (its load died) is deleted once its folder has not changed for this long.
STALE_STAGING_SECONDS = 24 * 3600
#: Version of the snapshot layout (part of every key).
SNAPSHOT_FORMAT = "1"
_META = "snapshot.json"


@dataclass(frozen=True)
class Snapshot:
    """What a snapshot holds: the loader's documents table and load report (``files``), its key and its folder."""

    documents: pd.DataFrame
    files: pd.DataFrame
    key: str
    folder: Path


def snapshot_key(pattern: str, contents: Iterable[tuple[str, str]], refused: Iterable[tuple[str, str]] = ()) -> str:
    """The key of a folder's snapshot: a SHA-256 of the loader version, ``pattern``, every ``(relative path, content
    SHA-256)`` and every ``(relative path, reason)`` the loader refused to read, in sorted order."""
    digest = hashlib.sha256(f"{SNAPSHOT_FORMAT}\0{parser_version()}\0{pattern}\0".encode())
    for relative, key in sorted(contents):
        digest.update(f"{relative}\0{key}\n".encode())
    for relative, reason in sorted(refused):
        digest.update(f"refused\0{relative}\0{reason}\n".encode())
    return digest.hexdigest()[:32]


def _frame_types(frame: pd.DataFrame) -> dict[str, str]:
    return {str(column): str(dtype) for column, dtype in frame.dtypes.items()}


def _read_table(path: Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame, its strings read straight into the text dtype for their size
    (:func:`~corpus_utils.core.columns.text_dtype_for`: Python strings, or Arrow buffers for a large corpus)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    text_bytes = sum(column.nbytes for column in table.columns if pa.types.is_string(column.type) or pa.types.is_large_string(column.type))
    text = pd.api.types.pandas_dtype(text_dtype_for(text_bytes))
    return table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)


def _restore(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """``frame`` read back from Parquet with the dtypes it was written with (categories as categories)."""
    for column, dtype in types.items():
        if dtype == "category":
            continue  # Parquet keeps categoricals (and their categories) itself
        if str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


class SnapshotStore:
    """Snapshots of loaded corpora in ``<folder>/snapshots/<parser version>/<key>/``.

    Parameters
    ----------
    folder : str or Path
        The page cache folder (:func:`~corpus_utils.input.cache.default_cache_dir`).
    """

    def __init__(self, folder: str | Path) -> None:
        self.root = Path(folder) / "snapshots"
        self.folder = self.root / parser_version()

    def path(self, key: str) -> Path:
        """The folder of the snapshot ``key`` (it may not exist)."""
        return self.folder / key

    def read(self, key: str) -> Snapshot | None:
        """The snapshot stored under ``key``, or None when there is none (or it cannot be read: a damaged snapshot
        is a miss, and is deleted so that the next load stores it again)."""
        stored = read_snapshot(self.path(key))
        if stored is None and self.path(key).exists():
            shutil.rmtree(self.path(key), ignore_errors=True)
        return stored

    def write(self, key: str, documents: pd.DataFrame, files: pd.DataFrame, *, corpus: Path, pattern: str) -> Path | None:
        """Store the documents table and the load report (``files``) under ``key``, whole or not at all; returns its
        folder (None when it cannot be written: loading never fails because of the store)."""
        if (self.path(key) / _META).is_file():
            return self.path(key)
        try:
            with self.writer(key, corpus=corpus, pattern=pattern) as writer:
                writer.append(documents)
                return writer.finish(files)
        except (OSError, ValueError):  # a full disk, a table Parquet cannot hold: load without a snapshot
            return None

    def writer(self, key: str, *, corpus: Path, pattern: str) -> SnapshotWriter:
        """A :class:`SnapshotWriter` for the snapshot ``key``: the documents table part by part, then the report."""
        return SnapshotWriter(self, key, corpus=corpus, pattern=pattern)

    def _forget_old(self) -> None:
        """Delete snapshots of other loader versions, all but the :data:`KEEP_SNAPSHOTS` most recently used, and the
        unfinished snapshots of loads that died (a staging folder untouched for :data:`STALE_STAGING_SECONDS`)."""
        for other in self.root.iterdir() if self.root.is_dir() else ():
            if other.is_dir() and other != self.folder:
                shutil.rmtree(other, ignore_errors=True)
        for entry in self.folder.iterdir():
            try:
                if entry.name.startswith(".") and entry.is_dir() and time.time() - entry.stat().st_mtime > STALE_STAGING_SECONDS:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                continue
        stored = sorted((entry for entry in self.folder.iterdir() if (entry / _META).is_file()),
                        key=lambda entry: (entry / _META).stat().st_mtime, reverse=True)
        for entry in stored[KEEP_SNAPSHOTS:]:
            shutil.rmtree(entry, ignore_errors=True)


class SnapshotWriter:
    """A snapshot written part by part, so that a cold load of a large folder never holds all its documents at once.

    Use as a context manager: :meth:`append` each part of the documents table (same columns and dtypes, in order;
    each becomes a Parquet row group), then :meth:`finish` with the load report. The snapshot appears whole when
    :meth:`finish` returns; leaving the block before (an error, Ctrl-C) deletes what was written.
    """

    def __init__(self, store: SnapshotStore, key: str, *, corpus: Path, pattern: str) -> None:
        self.store, self.key, self.corpus, self.pattern = store, key, corpus, pattern
        self.staging: Path | None = None
        self._parquet = None
        self._types: dict[str, str] | None = None
        self.n_documents = 0

    def __enter__(self) -> SnapshotWriter:
        self.store.folder.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.key}-", dir=self.store.folder))
        return self

    def append(self, documents: pd.DataFrame) -> None:
        """Write the next rows of the documents table."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pa.Table.from_pandas(documents, preserve_index=False)
        except pa.ArrowException as exc:  # e.g. a table's extra column mixing objects and strings
            raise ValueError(f"the documents table has a column Parquet cannot hold ({exc})") from exc
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.staging / "documents.parquet", table.schema)
            self._types = _frame_types(documents)
        elif _frame_types(documents) != self._types:
            raise ValueError(f"a part of the documents table has other dtypes than the first: {_frame_types(documents)}")
        self._parquet.write_table(table.cast(self._parquet.schema))
        del table
        release_arrow_memory()
        self.n_documents += len(documents)

    def finish(self, files: pd.DataFrame) -> Path:
        """Write the load report and put the snapshot in place; returns its folder."""
        if self._parquet is None:
            raise ValueError("a snapshot needs the documents table: append at least one part (it may be empty)")
        self._parquet.close()
        self._parquet = None
        files.to_parquet(self.staging / "report.parquet", index=False)
        meta = {"key": self.key, "format": SNAPSHOT_FORMAT, "parser_version": parser_version(), "corpus": str(self.corpus),
                "pattern": self.pattern, "n_documents": self.n_documents, "created": time.time(),
                "documents_types": self._types, "report_types": _frame_types(files)}
        (self.staging / _META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        target = self.store.path(self.key)
        try:
            self.staging.rename(target)
        except OSError:  # another process stored the same snapshot first
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None
        self.store._forget_old()
        return target

    def __exit__(self, *exc_info) -> None:
        if self._parquet is not None:
            try:
                self._parquet.close()
            except (OSError, ValueError):
                pass
        if self.staging is not None:  # not finished: nothing half-written stays behind
            shutil.rmtree(self.staging, ignore_errors=True)


def read_snapshot(folder: str | Path) -> Snapshot | None:
    """The snapshot stored in ``folder``, or None when it is not a complete snapshot of this loader version.
    Reading it marks it recently used. With a Dask scheduler active, its Arrow-backed text columns are remembered
    (:func:`~corpus_utils.core.stored.remember_columns`): the workers read those texts from the file."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        if meta.get("parser_version") != parser_version() or meta.get("format") != SNAPSHOT_FORMAT:
            return None
        documents = _restore(_read_table(folder / "documents.parquet"), meta["documents_types"])
        files = _restore(_read_table(folder / "report.parquet"), meta["report_types"])
        release_arrow_memory()
        if active() is not None:  # the workers read these texts from the file, not from this process
            remember_columns(documents, folder / "documents.parquet")
        os.utime(folder / _META)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Snapshot(documents, files, meta["key"], folder)


def snapshot_table_bytes(folder: str | Path) -> int | None:
    """The uncompressed size of a snapshot's documents table, as Parquet records it (what its text takes in Arrow
    buffers; as Python strings, about twice that); None when it cannot be read."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(Path(folder) / "documents.parquet").metadata
    except (OSError, ValueError):
        return None
    return sum(metadata.row_group(group).total_byte_size for group in range(metadata.num_row_groups))


def pinned_snapshot(corpus: Path, pattern: str) -> Snapshot | None:
    """The snapshot the runner pinned for this run (:data:`SNAPSHOT_ENV_VAR`) when it is of ``corpus`` and
    ``pattern``, else None."""
    named = os.environ.get(SNAPSHOT_ENV_VAR, "").strip()
    if not named:
        return None
    try:
        meta = json.loads((Path(named) / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("corpus") != str(corpus) or meta.get("pattern") != pattern:
        return None
    if meta.get("parser_version") != parser_version():
        warnings.warn(f"the run's snapshot of {corpus} was made by another version of the loader (its code changed "
                      "during the run): this notebook loads the corpus again, so it may not see the same corpus as the "
                      "notebooks before it. Rerun the whole collection to have them agree.", stacklevel=3)
    return read_snapshot(named)
