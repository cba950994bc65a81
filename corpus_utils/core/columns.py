"""The dtype every large text column of the package's tables uses, in one place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["TEXT_DTYPE", "ARROW_TEXT_DTYPE", "ARROW_TEXT_FROM_BYTES", "TextSequence", "arrow_chunks", "as_str", "release_arrow_memory", "select_rows", "select_where", "take_rows", "text_dtype_for", "text_rows", "texts_of", "utf8_offsets"]

#: Text columns of the documents, paragraphs and report tables (and the units topic models are fitted on): pandas'
#: ``string`` dtype, one Python object per cell, missing values ``pd.NA``. A table read from the corpus store past
#: :data:`ARROW_TEXT_FROM_BYTES` of text uses :data:`ARROW_TEXT_DTYPE` instead; ``texts_of``, ``as_str``,
#: ``text_rows`` and :func:`select_rows` avoid its traps (docs/loading.md).
TEXT_DTYPE = "string[python]"
#: The other choice: Arrow buffers, one copy of the text per table, about half the memory of Python strings.
ARROW_TEXT_DTYPE = "string[pyarrow]"
#: Text (bytes of UTF-8) from which a table read from the corpus store keeps its text in Arrow buffers
#: (:data:`ARROW_TEXT_DTYPE`) instead of :data:`TEXT_DTYPE`: about 30,000 news pages. Below it the tables are small
#: either way (the whole collection at 10,000 pages: 53.5 s and 1.44 GB with both). Above it Arrow buffers are about
#: half the memory, now that row selections keep Arrow chunks apart: the whole collection at 100,000 pages peaked at
#: 4.10 GB with them against 4.70 GB with Python strings, in the same time (266 s against 268 s); at a million
#: pages the documents table takes 3.3 GB against 5.5 GB (docs/benchmarks.md).
ARROW_TEXT_FROM_BYTES = 100_000_000


def text_dtype_for(text_bytes: int) -> str:
    """The dtype of a table's text columns holding ``text_bytes`` of text: :data:`TEXT_DTYPE`, or
    :data:`ARROW_TEXT_DTYPE` from :data:`ARROW_TEXT_FROM_BYTES` on."""
    return ARROW_TEXT_DTYPE if text_bytes >= ARROW_TEXT_FROM_BYTES else TEXT_DTYPE


def as_str(values: pd.Series) -> pd.Series:
    """``values`` as Python strings (object dtype, same index; missing values as ``"<NA>"``, as ``astype(str)``).

    Use it (``series.pipe(as_str)``) instead of ``series.astype(str)`` on a text column: pandas 2 turns an
    Arrow-backed column into a fixed-width NumPy array as wide as its longest text on the way, which for the
    bodies of 100,000 pages asks for 19 GB.
    """
    return values.astype(object).map(str)


def release_arrow_memory() -> None:
    """Give the memory Arrow freed back to the system. Its allocator keeps freed blocks for reuse: reading 100,000
    pages' snapshot into pandas left the process 1.2 GB large for a 0.56 GB table, 0.71 GB after this."""
    pa.default_memory_pool().release_unused()


def take_rows(values: pd.Series, positions: np.ndarray) -> pd.Series:
    """``values.iloc[positions]`` with a fresh index; an Arrow-backed column takes each row from its own Arrow chunk.

    pandas' ``iloc`` on a column of many Arrow chunks joins them all first: about 0.5 s for any selection from the
    4.5 million paragraphs of a million pages, which a loop asking for a few texts at a time pays on every step.
    """
    positions = np.asarray(positions, dtype=np.int64)
    if not _arrow_text(values):
        return values.iloc[positions].reset_index(drop=True)
    return pd.Series(pd.arrays.ArrowStringArray(_take_chunked(values.array.__arrow_array__(), positions)), dtype=values.dtype)


def select_rows(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """``frame.iloc[positions]`` (same rows, columns, dtypes and index labels), without joining Arrow chunks.

    pandas selects rows (``iloc``, ``frame[mask]``, ``loc``) with pyarrow's ``take``, which first joins every chunk
    of an Arrow-backed text column into one: picking 24 documents of a million pages copied all 2.6 GB of their
    bodies and took 8 s. Here each Arrow-backed text column takes every row from its own chunk, and ascending
    positions keep the chunks as they are; other columns go through ``iloc``. All rows in order give a copy (of the
    other columns: pandas copies an Arrow column without its buffers, which are never changed in place).
    """
    positions = np.asarray(positions, dtype=np.int64)
    if positions.ndim != 1:
        raise ValueError("positions must be one-dimensional")
    if len(positions) == len(frame) and np.array_equal(positions, np.arange(len(frame))):
        return frame.copy()
    arrow = [name for name in frame.columns if _arrow_text(frame[name])]
    if not arrow:
        return frame.iloc[positions]
    rest = frame.drop(columns=arrow).iloc[positions]
    taken = {name: pd.Series(pd.arrays.ArrowStringArray(_take_chunked(frame[name].array.__arrow_array__(), positions)),
                             dtype=frame[name].dtype, index=rest.index) for name in arrow}
    return rest.assign(**taken)[list(frame.columns)]


def select_where(frame: pd.DataFrame, mask) -> pd.DataFrame:
    """``frame[mask]`` for a boolean mask (array or Series in the frame's order) through :func:`select_rows`."""
    return select_rows(frame, np.flatnonzero(np.asarray(mask, dtype=bool)))


def _arrow_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) and getattr(values.dtype, "storage", None) == "pyarrow"


def _take_chunked(chunked: pa.ChunkedArray, positions: np.ndarray) -> pa.ChunkedArray | pa.Array:
    """Rows ``positions`` of ``chunked``, each taken from its own chunk. Ascending positions give one chunk per chunk
    they touch, never joined (a selection of most of a million pages' bodies stays within each chunk's 2 GB limit);
    others are joined, then put in the order asked."""
    offsets = np.cumsum([0, *(len(chunk) for chunk in chunked.chunks)])
    if positions.size and (positions.min() < 0 or positions.max() >= offsets[-1]):
        raise IndexError(f"positions outside a column of {offsets[-1]} rows")
    if positions.size == 0:
        return pa.chunked_array([], type=chunked.type)
    chunk_of = np.searchsorted(offsets, positions, side="right") - 1
    ascending = bool(np.all(positions[1:] >= positions[:-1]))
    order = np.arange(positions.size) if ascending else np.argsort(chunk_of, kind="stable")
    pieces = [piece for chunk, start, stop in _runs(chunk_of[order])
              for piece in _take_chunk(chunked.chunk(int(chunk)), positions[order[start:stop]] - offsets[chunk])]
    if ascending:
        return pa.chunked_array(pieces, type=chunked.type)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return pa.chunked_array(pieces, type=chunked.type).combine_chunks().take(inverse)


def _take_chunk(chunk: pa.Array, local: np.ndarray) -> list[pa.Array]:
    """Rows ``local`` of one chunk. Runs of consecutive rows :data:`SLICE_MIN_RUN` long on average become slices of
    the chunk (no copy: most of the rows, e.g. every dated document, cost nothing); other selections a copy
    of just those rows."""
    if local.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(local) != 1) + 1
    if (breaks.size + 1) * SLICE_MIN_RUN > local.size:
        return [chunk.take(pa.array(local))]
    starts, stops = np.r_[0, breaks], np.r_[breaks, local.size]
    return [chunk.slice(int(local[start]), int(stop - start)) for start, stop in zip(starts.tolist(), stops.tolist())]


#: Consecutive rows per run, on average, from which :func:`select_rows` keeps slices of the Arrow chunks instead of
#: copying the rows: a run is a chunk of its own afterwards, so short runs would leave a column of many tiny chunks.
SLICE_MIN_RUN = 64


def _runs(sorted_values: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """(value, start, stop) of each run of equal values in ``sorted_values``."""
    if sorted_values.size == 0:
        return iter(())
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    stops = np.r_[starts[1:], sorted_values.size]
    return zip(sorted_values[starts].tolist(), starts.tolist(), stops.tolist())


def text_rows(frame: pd.DataFrame, columns: Sequence[str], *, chunk: int = 10_000) -> Iterator[tuple]:
    """The rows of ``frame[columns]`` as tuples of Python values, converted ``chunk`` rows at a time, so that the text
    of an Arrow-backed column is never all held as Python strings at once (a copy of the corpus each time)."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        yield from zip(*(part[column].tolist() for column in columns))


def arrow_chunks(values: pd.Series) -> list[pa.Array] | None:
    """The Arrow chunks of an Arrow-backed text column (``__arrow_array__``, the array protocol), else None."""
    if not (isinstance(values.dtype, pd.StringDtype) and getattr(values.dtype, "storage", None) in ("pyarrow", "pyarrow_numpy")):
        return None
    return values.array.__arrow_array__().chunks


def utf8_offsets(chunk: pa.Array) -> tuple[np.ndarray, pa.Buffer | None]:
    """(where each string of an Arrow string chunk starts in the data buffer, and where the last ends; that buffer)."""
    _, offsets, data = chunk.buffers()
    dtype = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    return np.frombuffer(offsets, dtype=dtype)[chunk.offset : chunk.offset + len(chunk) + 1], data


#: Rows of a text column turned into Python strings at a time by :class:`TextSequence` (about 25 MB of
#: text for news pages).
CHUNK_ROWS = 10_000


class TextSequence(Sequence):
    """The texts of an Arrow-backed text column as Python strings (missing ones as ""), made a slice at a time.

    Iterating converts ``chunk`` rows at a time (default :data:`CHUNK_ROWS`), a slice converts its rows, an
    index one row: the corpus is never held as Python strings all at once, as ``column.tolist()`` would hold it
    (a copy of the text, which Python's allocator then keeps).
    """

    def __init__(self, values: pd.Series, *, chunk: int | None = None) -> None:
        self.values = values.fillna("").reset_index(drop=True)
        self.chunk = chunk or CHUNK_ROWS

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.values), self.chunk):
            yield from self.values.iloc[start : start + self.chunk].tolist()

    def __getitem__(self, item):
        if isinstance(item, slice):
            return self.values.iloc[item].tolist()
        return self.values.iloc[item]


def texts_of(values: pd.Series | Iterable) -> Sequence[str]:
    """``values`` as a sequence of Python strings, missing values as "".

    An Arrow-backed column becomes a :class:`TextSequence` (converted a slice at a time); a column of Python
    objects a list of its own strings (no copy of the text); any other iterable a list of ``str`` of each value.
    """
    if isinstance(values, TextSequence):
        return values
    if isinstance(values, pd.Series):
        if getattr(values.dtype, "storage", None) in ("pyarrow", "pyarrow_numpy"):
            return TextSequence(values)
        return values.fillna("").pipe(as_str).tolist()
    return [str(value) for value in values]
