"""Text columns read from a Parquet file, recognised again in the parts cut from them, so that a Dask worker reads a
part's texts from the file instead of receiving them from this process.

When a scheduler is active, :func:`remember_columns` notes the Arrow buffers of each Arrow-backed text column of a
table read from a Parquet file (the corpus store's snapshot) and which rows of the file they hold. A part cut for
the workers (:func:`stored_part`: rows ``start:stop`` of a column, a table or a
:class:`~corpus_utils.core.columns.TextSequence`) whose text columns still lie in those very buffers — not a copy,
not a changed text: the same memory — travels as a :class:`StoredRows` reference (the file, the column, the rows),
and the worker reads those rows from the file (:meth:`StoredPart.load`). Any other column travels as its values.
The snapshot's files are never changed once written (a new corpus is a new snapshot), so the rows a worker reads
are the rows this process holds; the reference also carries the file's size, which a worker checks.

The remembered buffers are held here (so their memory cannot be reused for other text under the same address)
until :func:`forget_columns`, which :func:`~corpus_utils.core.scheduler.disconnect` calls: without a scheduler
nothing is remembered, and nothing is held.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .columns import TextSequence, arrow_chunks, release_arrow_memory

__all__ = ["StoredPart", "StoredRows", "forget_columns", "remember_columns", "remembered_files", "stored_part", "stored_rows"]


@dataclass(frozen=True)
class StoredRows:
    """Rows of ``column`` in the Parquet file ``path`` (``size`` bytes): each run ``(start, stop)`` of ``runs`` in turn,
    read as ``dtype``; ``nbytes``: what the rows take in Arrow buffers (what the worker does not receive)."""

    path: str
    column: str
    runs: tuple[tuple[int, int], ...]
    size: int
    dtype: Any
    nbytes: int

    @property
    def n_rows(self) -> int:
        return sum(stop - start for start, stop in self.runs)

    def read(self) -> pd.Series:
        """The rows as a column of ``dtype`` with a fresh index (on a worker): only the row groups holding them are read.

        Raises
        ------
        OSError
            When the file is missing or is not the file this process read (another size): the worker does not see
            the corpus store this process wrote.
        """
        import pyarrow.parquet as pq

        if os.path.getsize(self.path) != self.size:
            raise OSError(f"{self.path} is not the corpus store's file this process read ({os.path.getsize(self.path)} "
                          f"bytes, not {self.size}): the workers must see the same cache folder (CORPUS_UTILS_CACHE_DIR)")
        parquet = pq.ParquetFile(self.path)
        metadata = parquet.metadata
        bounds = np.cumsum([0, *(metadata.row_group(group).num_rows for group in range(metadata.num_row_groups))]).tolist()
        pieces = _pieces(self.runs, bounds)
        stored_type = parquet.schema_arrow.field(self.column).type
        wide = pa.large_string() if pa.types.is_string(stored_type) else stored_type  # one copy may pass 2 GB
        kept = [piece.cast(wide) for group, first, rows in pieces for piece in _rows_of_group(parquet, self.column, group, first, rows)]
        # one copy of just these rows: slices would keep whole batches alive during the task
        column = pa.chunked_array([pa.concat_arrays(kept)] if kept else [], type=wide)
        del kept
        release_arrow_memory()
        mapper = {pa.string(): self.dtype, pa.large_string(): self.dtype}.get
        return pa.table({self.column: column}).to_pandas(types_mapper=mapper)[self.column]


#: Rows decoded at a time when a worker reads its rows of a row group: a row group holds 50,000 pages (170 MB of
#: bodies of 3.4 KB), which read whole tripled a worker's memory for a part of 20,000 pages.
READ_BATCH_ROWS = 5_000


def _rows_of_group(parquet: Any, column: str, group: int, first: int, rows: int) -> Iterator[pa.Array]:
    """Rows ``first:first + rows`` of ``column`` in row group ``group`` of ``parquet`` (a ``pyarrow.parquet.ParquetFile``),
    as slices of batches of :data:`READ_BATCH_ROWS` rows, decoded one batch at a time."""
    position = 0
    for batch in parquet.iter_batches(batch_size=READ_BATCH_ROWS, row_groups=[group], columns=[column], use_threads=False):
        low, high = max(first, position), min(first + rows, position + batch.num_rows)
        if low < high:
            yield batch.column(0).slice(low - position, high - low)
        position += batch.num_rows
        if position >= first + rows:
            return


def _pieces(runs: tuple[tuple[int, int], ...], bounds: list[int]) -> list[tuple[int, int, int]]:
    """``(row group, first row in it, rows)`` of each run's rows in each row group holding some, in order. ``bounds``:
    the first row of each row group, then the file's number of rows."""
    pieces = []
    for start, stop in runs:
        for group in range(len(bounds) - 1):
            first, last = max(start, bounds[group]), min(stop, bounds[group + 1])
            if first < last:
                pieces.append((group, first - bounds[group], last - first))
    return pieces


@dataclass(frozen=True)
class _Remembered:
    """A chunk of a remembered column: its first row in the file, and the chunk itself (held: see the module)."""

    path: str
    column: str
    size: int
    dtype: Any
    first_row: int
    chunk: pa.Array


#: Runs of consecutive rows from which a part travels as its values rather than as a reference.
MAX_RUNS = 1_000
#: Files whose columns are remembered at once: remembering another forgets the least recent.
KEEP_FILES = 2
#: (address of the offsets buffer, address of the data buffer) of each remembered chunk: the chunks in those buffers.
_remembered: dict[tuple[int, int], list[_Remembered]] = {}


def _buffers_of(chunk: pa.Array) -> tuple[int, int] | None:
    buffers = chunk.buffers()
    if len(buffers) < 3 or buffers[1] is None or buffers[2] is None:
        return None
    return buffers[1].address, buffers[2].address


def remember_columns(frame: pd.DataFrame, path: str | os.PathLike) -> int:
    """Remember the Arrow-backed text columns of ``frame``, read whole and in order from the Parquet file ``path``.
    Returns how many columns were remembered."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    others = [other for other in remembered_files() if other != path]
    dropped = {path, *others[: max(0, len(others) - (KEEP_FILES - 1))]}  # others: the oldest first
    for key in list(_remembered):
        _remembered[key] = [entry for entry in _remembered[key] if entry.path not in dropped]
        if not _remembered[key]:
            del _remembered[key]
    remembered = 0
    for column in frame.columns:
        chunks = arrow_chunks(frame[column])
        if chunks is None:
            continue
        first_row = 0
        for chunk in chunks:
            buffers = _buffers_of(chunk)
            if buffers is not None:
                entry = _Remembered(path, str(column), size, frame[column].dtype, first_row - chunk.offset, chunk)
                _remembered.setdefault(buffers, []).append(entry)
            first_row += len(chunk)
        remembered += 1
    return remembered


def remembered_files() -> list[str]:
    """The files whose columns are remembered, the least recent first."""
    return list(dict.fromkeys(entry.path for entries in _remembered.values() for entry in entries))


def forget_columns() -> None:
    """Forget (and let go of) every remembered column."""
    _remembered.clear()


def stored_rows(values: pd.Series) -> StoredRows | None:
    """The rows of a remembered file's column that ``values`` holds, in order, in the same buffers (runs of at most
    :data:`MAX_RUNS` consecutive rows: a selection of rows keeps slices of the chunks); else None."""
    chunks = arrow_chunks(values) if _remembered else None
    if chunks is None:
        return None
    found: _Remembered | None = None
    runs: list[list[int]] = []
    nbytes = 0
    for chunk in chunks:
        if not len(chunk):
            continue
        held = _holding(chunk)
        if held is None or (found is not None and (held.path, held.column) != (found.path, found.column)):
            return None
        first = held.first_row + chunk.offset
        if runs and runs[-1][1] == first:
            runs[-1][1] += len(chunk)
        else:
            runs.append([first, first + len(chunk)])
        found = held
        nbytes += chunk.nbytes
    if found is None or values.dtype != found.dtype or len(runs) > MAX_RUNS:
        return None
    return StoredRows(found.path, found.column, tuple((start, stop) for start, stop in runs), found.size, found.dtype, nbytes)


def _holding(chunk: pa.Array) -> _Remembered | None:
    """The remembered chunk whose rows ``chunk`` is, or a slice of, in the same buffers; else None."""
    buffers = _buffers_of(chunk)
    for held in _remembered.get(buffers, ()) if buffers is not None else ():
        base = held.chunk
        if base.offset <= chunk.offset and chunk.offset + len(chunk) <= base.offset + len(base) and chunk.type == base.type:
            return held
    return None


@dataclass(frozen=True)
class StoredPart:
    """A part cut for a worker, its remembered text columns as :class:`StoredRows`: ``load()`` on the worker gives what
    cutting it here gives (a column, a table, or a list of texts with missing ones as "")."""

    kind: str  # "series", "frame" or "texts"
    columns: tuple[tuple[Any, Any], ...]  # (name, StoredRows or values)
    index: Any = None
    name: Any = None
    #: Texts only: ``(separator, start, stop)``, the pieces ``start:stop`` of the texts split at ``separator`` (their
    #: paragraphs) instead of the texts.
    split: tuple[str, int, int] | None = None

    @property
    def paths(self) -> set[str]:
        """The files the worker reads."""
        return {value.path for _, value in self.columns if isinstance(value, StoredRows)}

    @property
    def values(self) -> list[Any]:
        """What travels as values: the columns that are not references, and the index."""
        return [value for _, value in self.columns if not isinstance(value, StoredRows)] + [self.index]

    @property
    def stored_bytes(self) -> int:
        """Bytes of text (in Arrow buffers) the worker reads from the file instead of receiving."""
        return sum(value.nbytes for _, value in self.columns if isinstance(value, StoredRows))

    def load(self) -> Any:
        values = {name: value.read() if isinstance(value, StoredRows) else value for name, value in self.columns}
        if self.kind == "texts":
            texts = values[None].fillna("").tolist()
            if self.split is None:
                return texts
            separator, start, stop = self.split
            return [piece for text in texts for piece in text.split(separator)][start:stop]
        if self.kind == "series":
            return pd.Series(values[self.name].array, index=self.index, name=self.name)
        return pd.DataFrame({name: column.array for name, column in values.items()}, index=self.index)


def stored_part(items: Any, start: int, stop: int) -> StoredPart | None:
    """Rows ``start:stop`` of ``items`` (a column, a table, or a :class:`TextSequence`) as a :class:`StoredPart` when at
    least one of its text columns is remembered, else None (then the part travels as its values). Any other sequence
    may say itself what its rows are (a method ``stored_part(start, stop)``, e.g. the paragraphs of stored texts)."""
    if callable(getattr(type(items), "stored_part", None)):
        return items.stored_part(start, stop)
    if isinstance(items, TextSequence):
        rows = stored_rows(items.values.iloc[start:stop])
        return None if rows is None else StoredPart("texts", ((None, rows),))
    if isinstance(items, pd.Series):
        part = items.iloc[start:stop]
        rows = stored_rows(part)
        return None if rows is None else StoredPart("series", ((part.name, rows),), index=part.index, name=part.name)
    if isinstance(items, pd.DataFrame):
        part = items.iloc[start:stop]
        columns = tuple((name, stored_rows(part[name]) or part[name]) for name in part.columns)
        if not any(isinstance(value, StoredRows) for _, value in columns):
            return None
        return StoredPart("frame", columns, index=part.index)
    return None
