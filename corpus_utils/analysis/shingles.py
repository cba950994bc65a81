"""Paragraphs as sets of word shingles, for the boilerplate join (:mod:`corpus_utils.analysis.boilerplate`): their
normal form (lower-cased words, each Han character a word), its 16-byte fingerprint, and 64-bit shingle hashes.

Internal to the join: :mod:`.prefixjoin` and :mod:`.dask_join` build on it, the public functions are in
:mod:`.boilerplate`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.columns import as_str, take_rows
from ..core.scheduler import map_in_parts
from ..core.memo import source_version, text_hashes
from ..core.words import SHINGLE_WORD


_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3)
_CHUNK_ROWS = 50_000  # texts tokenised at a time
_CHUNK_CHARS = 4_000_000  # characters normalised at a time
_GATHERED_ENTRIES = 1 << 23  # shingle hashes joined into one array (64 MB: its own memory map, given back when freed)
_SPECIAL = np.uint32(0xFFFFFFFF)  # code point whose lower-casing needs the regex path
_LOOK_UP = np.uint32(0xFFFFFFFE)  # code point not in the table (U+FFFF and above)
_HAN_CODE = np.uint32(0xFFFFFFFD)  # Han character: a shingle word on its own (see _word_starts)
_POOL = pa.system_memory_pool()  # Arrow buffers go back to the system when freed


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, deterministic 64-bit hash of uint64 values (wrapping arithmetic)."""
    z = values + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


def _normalise_text(text: str) -> str:
    """One text as lower-cased word tokens joined by single spaces (the reference definition)."""
    return " ".join(SHINGLE_WORD.findall(text.lower()))


def _classify_code(code: int) -> int:
    """Lower-case form of one code point if it is a word character (``\\w`` after ``str.lower``), 0 if it is
    not, ``_SPECIAL`` if lower-casing is not one code point to one (İ) or depends on context (Σ)."""
    if code == 0x3A3 or 0xD800 <= code <= 0xDFFF:
        return int(_SPECIAL)
    lowered = chr(code).lower()
    if len(lowered) != 1:
        return int(_SPECIAL)
    return ord(lowered) if lowered.isalnum() or lowered == "_" else 0


@functools.lru_cache(maxsize=1)
def _bmp_table() -> np.ndarray:
    """``_classify_code`` for every code point below U+FFFF, ``_HAN_CODE`` for Han characters; U+FFFF itself (and, by
    clipping, every code above it) reads ``_LOOK_UP``: classify one by one."""
    table = np.fromiter(map(_classify_code, range(0x10000)), dtype=np.uint32, count=0x10000)
    table[_is_han(np.arange(0x10000))] = _HAN_CODE
    table[0xFFFF] = _LOOK_UP
    return table


def _is_han(codes: np.ndarray) -> np.ndarray:
    """Which code points are Han characters (:data:`~corpus_utils.core.words.HAN`)."""
    return ((codes >= 0x3400) & (codes <= 0x4DBF)) | ((codes >= 0x4E00) & (codes <= 0x9FFF)) | ((codes >= 0xF900) & (codes <= 0xFAFF))


def _code_points(text: str) -> np.ndarray | None:
    """The code points of ``text``: as UTF-16 units (uint16, a quarter of the time of UTF-32) when it has no character
    past U+FFFF, else as uint32; None if it holds a lone surrogate."""
    try:
        encoded = text.encode("utf-16-le")
        if len(encoded) == 2 * len(text):  # no surrogate pair
            return np.frombuffer(encoded, dtype=np.uint16)
        return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:
        return None


def _from_code_points(codes: np.ndarray) -> str:
    """The text of ``codes`` (uint32): decoded as Latin-1 bytes when every one is below 256 (a fifth of the time of
    UTF-32), else as UTF-32."""
    if codes.size and int(codes.max()) < 256:
        return codes.astype(np.uint8).tobytes().decode("latin-1")
    return codes.tobytes().decode("utf-32-le")


def _normalise_chunk(texts: list[str]) -> list[str]:
    """``_normalise_text`` of every text, vectorised over code points; texts with İ or Σ use the regex.

    Texts are ended by NUL (not a word character); a word character is kept as its lower-case form, each Han
    character is a word of its own, and one space goes before every word that is not the first of its text.
    """
    if not texts:
        return []
    codes = _code_points("\0".join(texts) + "\0")
    if codes is None:  # lone surrogates: leave them to the regex
        return [_normalise_text(text) for text in texts]
    separators = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1) - 1
    mapped = np.take(_bmp_table(), codes, mode="clip")
    unusual = np.flatnonzero(mapped >= _HAN_CODE)  # one comparison finds Han, İ, Σ and code points past the table
    han, slow = unusual[:0], []
    if unusual.size:
        odd = unusual[mapped[unusual] == _LOOK_UP]
        mapped[odd] = np.fromiter(map(_classify_code, codes[odd].tolist()), dtype=np.uint32, count=odd.size)
        han = unusual[mapped[unusual] == _HAN_CODE]
        mapped[han] = codes[han]  # a Han character is its own lower case
        to_regex = unusual[mapped[unusual] == _SPECIAL]  # İ, Σ: lower-cased with their context
        slow = np.unique(np.searchsorted(separators, to_regex)).tolist()
        mapped[to_regex] = 0
    starts, text = _word_starts(mapped != 0, han, separators)
    follows = text[1:] == text[:-1]
    spaced = starts[1:][follows]  # a word after another of its text
    if han.size:
        joined = _from_code_points(_with_spaces(mapped, spaced))
        counts = _per_text(mapped != 0, separators) + np.bincount(text[1:][follows], minlength=separators.size)
    else:  # every spaced word follows a character that is not a word character: it becomes the space
        mapped[spaced - 1] = 32
        keep = mapped != 0
        joined, counts = _from_code_points(mapped[keep]), _per_text(keep, separators)
    bounds = np.r_[0, np.cumsum(counts)].tolist()
    result = [joined[begin:end] for begin, end in zip(bounds[:-1], bounds[1:])]
    for index in slow:
        result[index] = _normalise_text(texts[index])
    return result


def _word_starts(word: np.ndarray, han: np.ndarray, separators: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the words of the joined texts begin (a word character after one that is not, a Han character, a word
    character after a Han one) and the text each is in."""
    if not han.size:  # words of several characters: a binary search each costs less than a pass over them all
        starts = np.flatnonzero(word[1:] > word[:-1]) + 1
        starts = np.r_[0, starts] if word[0] else starts
        return starts, np.searchsorted(separators, starts)
    begins = word.copy()
    begins[1:] &= ~word[:-1]
    begins[han] = True
    after = han[han + 1 < word.size] + 1
    begins[after] = word[after]
    starts = np.flatnonzero(begins)
    text_of = np.zeros(word.size, dtype=np.int32)
    text_of[separators[:-1] + 1] = 1
    return starts, np.cumsum(text_of, dtype=np.int32)[starts]


def _per_text(flags: np.ndarray, separators: np.ndarray) -> np.ndarray:
    """How many of the joined texts' characters are flagged in each text."""
    return np.add.reduceat(flags.view(np.int8), np.r_[0, separators[:-1] + 1], dtype=np.int64)


def _with_spaces(mapped: np.ndarray, spaced: np.ndarray) -> np.ndarray:
    """The non-zero characters of ``mapped`` with a space before each of ``spaced``: where two Han characters touch,
    there is nothing between the two words to become the space."""
    keep = mapped != 0
    shift = np.zeros(mapped.size, dtype=np.int64)
    shift[spaced] = 1
    np.cumsum(shift, out=shift)
    kept = mapped[keep]
    out = np.full(kept.size + spaced.size, 32, dtype=np.uint32)
    out[np.arange(kept.size) + shift[keep]] = kept
    return out


def _normalise(texts: pd.Series) -> list[str]:
    """Lower-cased word tokens joined by single spaces (punctuation, case and spacing ignored), in order.

    Equal to ``texts.str.lower().str.findall(SHINGLE_WORD).str.join(" ")`` (each Han character a word), computed
    on code points in chunks of about ``_CHUNK_CHARS`` characters; on the active Dask scheduler's workers when
    there is one.
    """
    return [text for part in map_in_parts(_normalise_here, _text_values(texts), stage_name="normalising paragraphs")
            for text in part]


def _text_values(texts: pd.Series) -> list[str] | pd.Series:
    """``texts`` with missing values as "", as a list of Python strings, or left Arrow-backed (sliced without a copy)."""
    filled = texts.fillna("")
    return filled if getattr(filled.dtype, "storage", None) == "pyarrow" else filled.pipe(as_str).tolist()


def _normalise_here(values: list[str] | pd.Series) -> list[str]:
    """:func:`_normalise` of a list, or of an Arrow-backed Series, in this process."""
    return [text for chunk in _normalised_chunks(values) for text in chunk]


def _normalised_chunks(values: list[str] | pd.Series, keep: np.ndarray | None = None) -> Iterator[list[str]]:
    """The normalised texts of ``values`` (those where ``keep`` is true, if given), about ``_CHUNK_CHARS`` characters
    at a time: an Arrow-backed Series is turned into Python strings a chunk at a time, so the paragraphs of a corpus
    are never all held twice."""
    arrow = isinstance(values, pd.Series)
    lengths = values.str.len().to_numpy(dtype=np.int64) if arrow else np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if keep is not None:
        lengths = np.where(keep, lengths, 0)
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(values) else 0
    stops = np.searchsorted(ends, np.arange(_CHUNK_CHARS, total, _CHUNK_CHARS), side="right").tolist()
    start = 0
    for stop in [*stops, len(values)]:
        if stop > start:
            chunk = values.iloc[start:stop] if arrow else values[start:stop]
            if keep is not None:
                wanted = np.flatnonzero(keep[start:stop])
                chunk = chunk.iloc[wanted] if arrow else [chunk[index] for index in wanted.tolist()]
            yield _normalise_chunk(chunk.tolist() if arrow else chunk)
            start = stop


def _fingerprints_here(frame: pd.DataFrame) -> np.ndarray:
    """A 16-byte hash (:func:`~corpus_utils.core.memo.text_hashes`) of the normalised form of each ``frame["text"]``
    where ``frame["keep"]``, in order: ``(kept, 16)`` uint8."""
    chunks = [text_hashes(chunk) for chunk in _normalised_chunks(_text_values(frame["text"]), frame["keep"].to_numpy())]
    return np.concatenate(chunks) if chunks else np.zeros((0, 16), dtype=np.uint8)


def _kept_shingles_here(frame: pd.DataFrame, *, shingle_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`_shingle_table` of the normalised ``frame["text"]`` where ``frame["keep"]``, one (counts, hashes) per
    chunk of texts."""
    values, keep = _text_values(frame["text"]), frame["keep"].to_numpy()
    gathered, pieces, held = [], [], 0
    for chunk in _normalised_chunks(values, keep):
        pieces.append(_shingle_table_here(chunk, shingle_size=shingle_size))
        held += pieces[-1][1].size
        if held >= _GATHERED_ENTRIES:
            gathered.append(_joined_tables(pieces))
            pieces, held = [], 0
    return gathered + [_joined_tables(pieces)] if pieces else gathered


def _joined_tables(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One (counts, hashes) of consecutive pieces of a shingle table."""
    return np.concatenate([counts for counts, _ in pieces]), np.concatenate([hashes for _, hashes in pieces])


class _DistinctTexts(Sequence):
    """The distinct normalised texts of a join, kept as the positions of their first paragraphs and their 16-byte
    hashes (``fingerprints``), not as strings: a text is normalised again when it is needed (the join's shingles in
    one pass, the texts of candidate pairs a few at a time). At a million pages the normalised texts took about
    3.5 GB; this takes their hashes, 16 bytes each.
    """

    def __init__(self, text: pd.Series, keep: np.ndarray, fingerprints: np.ndarray) -> None:
        self._text, self._keep, self.fingerprints = text, keep, fingerprints
        self._rows = np.flatnonzero(keep)

    def __len__(self) -> int:
        return int(self._rows.size)

    @property
    def frame(self) -> pd.DataFrame:
        """The paragraphs the texts come from: columns ``text`` and ``keep`` (the first paragraph of each text)."""
        return pd.DataFrame({"text": self._text, "keep": self._keep})

    def part(self, start: int, stop: int) -> pd.DataFrame:
        """Texts ``start … stop − 1`` as written (their first paragraphs, not normalised) in the shape of
        :attr:`frame`, every row kept: what a worker shingles, without the paragraphs that repeat them."""
        return pd.DataFrame({"text": take_rows(self._text, self._rows[start:stop]), "keep": np.ones(max(0, stop - start), dtype=bool)})

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        return self.take(np.array([index]))[0]

    def take(self, indices: np.ndarray) -> list[str]:
        """The normalised texts with these numbers, in that order."""
        return _normalise(take_rows(self._text, self._rows[np.asarray(indices, dtype=np.int64)]))

    def shingle_table(self, shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
        """:func:`_shingle_table` of the texts, computed from the paragraphs a chunk at a time: on the Dask workers, or
        shared out among this machine's free cores (a million pages' texts took 53 s on one)."""
        chunks = [chunk for part in map_in_parts(_kept_shingles_here, self.frame, stage_name="shingling", processes=True,
                                                 shingle_size=shingle_size)
                  for chunk in part]
        counts = np.concatenate([counts for counts, _ in chunks]) if chunks else np.zeros(0, dtype=np.int64)
        hashes = np.empty(int(counts.sum()), dtype=np.uint64)
        filled = 0
        while chunks:  # each chunk is freed once copied: the hashes are held about once, not twice
            chunk = chunks.pop(0)[1]
            hashes[filled : filled + chunk.size] = chunk
            filled += chunk.size
        return counts, hashes


def _texts_numbered(texts: Sequence[str], indices: np.ndarray) -> list[str]:
    """``[texts[i] for i in indices]``, for a list or a :class:`_DistinctTexts` (normalised together)."""
    if isinstance(texts, _DistinctTexts):
        return texts.take(indices)
    return [texts[index] for index in np.asarray(indices).tolist()]


def _word_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(words per text, 64-bit hash of every word in order) of space-separated texts; "" has no words.

    A word's hash is ``pd.util.hash_array`` of the word; only the distinct words of the chunk are hashed.
    """
    array = pa.array(texts, type=pa.large_string(), memory_pool=_POOL)
    pieces = pc.split_pattern(array, " ", memory_pool=_POOL)
    lengths = pc.list_value_length(pieces, memory_pool=_POOL).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(pieces.flatten(), memory_pool=_POOL)
    del pieces
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    empty = np.flatnonzero(pc.binary_length(array, memory_pool=_POOL).to_numpy(zero_copy_only=False) == 0)
    if empty.size:  # "" splits into one empty word; it has none
        drop = np.zeros(indices.size, dtype=bool)
        drop[(np.cumsum(lengths) - lengths)[empty]] = True
        indices = indices[~drop]
        lengths[empty] = 0
    words = encoded.dictionary.to_numpy(zero_copy_only=False)
    if words.size == 0:
        return lengths, np.zeros(0, dtype=np.uint64)
    return lengths, pd.util.hash_array(np.asarray(words, dtype=object), categorize=False)[indices]


def _mix_in_place(values: np.ndarray) -> np.ndarray:
    """``_mix`` overwriting ``values`` (fewer temporaries)."""
    values += _GOLDEN
    values ^= values >> np.uint64(30)
    values *= _MIX_1
    values ^= values >> np.uint64(27)
    values *= _MIX_2
    values ^= values >> np.uint64(31)
    return values


def _window_hashes(word_hash: np.ndarray, lengths: np.ndarray, shingle_size: int) -> np.ndarray:
    """Hash of every window of ``shingle_size`` words inside a text, texts in order; a shorter text is one
    shingle (its words only). Windows by Horner's rule, in place."""
    n_words, ends = word_hash.size, np.cumsum(lengths)
    full = max(n_words - shingle_size + 1, 0)
    window = np.zeros(n_words, dtype=np.uint64)
    window[:full] = word_hash[shingle_size - 1 :]
    for offset in range(shingle_size - 2, -1, -1):
        window[:full] *= _PRIME
        window[:full] += word_hash[offset : offset + full]
    start = np.ones(n_words, dtype=bool)
    for back in range(1, shingle_size):  # no window starts in a text's last shingle_size − 1 words, but its first
        start[ends[lengths > back] - back] = False
    value = window[start]
    short = np.flatnonzero((lengths > 0) & (lengths < shingle_size))
    if short.size:  # their window ran into the next text: sum only the text's own words
        first_word, where = (ends - lengths)[short], _shingle_counts(lengths, shingle_size).cumsum()[short] - 1
        value[where] = 0
        for offset in range(int(lengths[short].max())):
            inside = lengths[short] > offset
            value[where[inside]] += word_hash[first_word[inside] + offset] * np.uint64(pow(int(_PRIME), offset, 2**64))
    return _mix_in_place(value)


def _shingle_counts(lengths: np.ndarray, shingle_size: int) -> np.ndarray:
    """Shingles per text of ``lengths`` words."""
    return np.where(lengths >= shingle_size, lengths - shingle_size + 1, np.minimum(lengths, 1))


def _shingle_table(texts: list[str], shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(shingles per text, hash of every shingle with texts in order) for normalised ``texts``; on the active Dask
    scheduler's workers when there is one (each text's shingles depend on that text alone).

    A shingle's hash is ``_mix`` of Σ word_hash[offset] × PRIME^offset over its words.
    """
    if isinstance(texts, _DistinctTexts):
        return texts.shingle_table(shingle_size)
    parts = map_in_parts(_shingle_table_here, texts, stage_name="shingling", shingle_size=shingle_size)
    return parts[0] if len(parts) == 1 else _joined_tables(parts)


def _shingle_table_here(texts: list[str], *, shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_shingle_table` in this process."""
    lengths = np.fromiter((text.count(" ") + 1 if text else 0 for text in texts), dtype=np.int64, count=len(texts))
    counts = _shingle_counts(lengths, shingle_size)
    hashes = np.empty(int(counts.sum()), dtype=np.uint64)
    filled = 0
    for start in range(0, len(texts), _CHUNK_ROWS):
        chunk_lengths, word_hash = _word_hashes(texts[start : start + _CHUNK_ROWS])
        chunk = _window_hashes(word_hash, chunk_lengths, shingle_size)
        hashes[filled : filled + chunk.size] = chunk
        filled += chunk.size
    return counts, hashes


def _normal_form_version() -> str:
    """A short hash of this module's source: any edit to it may change the normal form, and so the fingerprints."""
    return source_version(__file__)
