"""Reused boilerplate: near-duplicate paragraphs across documents, template families, and their removal."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..core.columns import TEXT_DTYPE, as_str, select_rows, take_rows, texts_of
from ..core.scheduler import map_in_parts
from ..core.memo import Memo, digest_arrays, digest_hashes, digest_texts, memo_key, source_version, text_hashes
from ..core.words import PARAGRAPH_SEPARATOR, SHINGLE_WORD, count_words_many
from ..input.load import load_paragraphs

__all__ = ["TooManyPairsError", "near_duplicate_paragraphs", "template_families", "remove_boilerplate"]

_PARAGRAPH_COLUMNS = ("doc_id", "paragraph", "text")
_PAIR_COLUMNS = ["doc_id_a", "paragraph_a", "doc_id_b", "paragraph_b", "similarity", "text_a", "text_b"]
_FAMILY_COLUMNS = ["family", "doc_id", "paragraph", "text", "n_documents"]
_NUM_PERM = 64  # MinHash functions; bands × rows are chosen from the threshold (see _lsh_shape)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3)
_CHUNK_ROWS = 50_000  # texts tokenised at a time
_CHUNK_PAIRS = 250_000  # candidate pairs verified at a time
_PAIRS_PER_NEW_KEY = 30  # a text's MinHash band keys cost about as much as verifying this many pairs (30 µs, 1 µs)
_CHUNK_CHARS = 4_000_000  # characters normalised at a time
_CHUNK_ENTRIES = 4_000_000  # array items per step of the chunked passes over shingles
_BLOCK_ENTRIES = 50_000_000  # matrix entries packed and sorted at a time when building the prefix index
_CACHED_ENTRIES = 1 << 15  # shingle hashes MinHashed at a time (256 kB: they stay in the processor's cache)
_GATHERED_ENTRIES = 1 << 23  # shingle hashes joined into one array (64 MB: its own memory map, given back when freed)
_HASH_BITS = 3  # the hash range is sorted in 2 ** _HASH_BITS slices, one at a time, to find clashing token prefixes
_SPECIAL = np.uint32(0xFFFFFFFF)  # code point whose lower-casing needs the regex path
_LOOK_UP = np.uint32(0xFFFFFFFE)  # code point not in the table (U+FFFF and above)
_HAN_CODE = np.uint32(0xFFFFFFFD)  # Han character: a shingle word on its own (see _word_starts)
_POOL = pa.system_memory_pool()  # Arrow buffers go back to the system when freed
#: Kinds of the stored entries (:class:`~corpus_utils.core.memo.Memo`): the similar pairs of distinct texts, and
#: their connected components (either gives the components; only the pairs give the pairs).
PAIRS_KIND, COMPONENTS_KIND = "paragraph-pairs", "paragraph-families"
#: Kind of the stored fingerprints of the paragraphs a join takes (the 16-byte hash of each one's normal form).
FINGERPRINTS_KIND = "paragraph-fingerprints"


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, deterministic 64-bit hash of uint64 values (wrapping arithmetic)."""
    z = values + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


def _check_options(threshold: float, shingle_size: int, min_words: int) -> None:
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1] (Jaccard similarity of word shingles), got {threshold!r}")
    if int(shingle_size) != shingle_size or shingle_size < 1:
        raise ValueError(f"shingle_size must be a positive integer (words per shingle), got {shingle_size!r}")
    if int(min_words) != min_words or min_words < 1:
        raise ValueError(f"min_words must be a positive integer, got {min_words!r}")


def _check_paragraphs(paragraphs: pd.DataFrame) -> None:
    missing = [column for column in _PARAGRAPH_COLUMNS if column not in paragraphs.columns]
    if missing:
        raise ValueError(
            f"paragraphs needs columns {', '.join(_PARAGRAPH_COLUMNS)} (from load_paragraphs(documents)); "
            f"missing {', '.join(missing)}"
        )


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

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        return self.take(np.array([index]))[0]

    def take(self, indices: np.ndarray) -> list[str]:
        """The normalised texts with these numbers, in that order."""
        return _normalise(take_rows(self._text, self._rows[np.asarray(indices, dtype=np.int64)]))

    def shingle_table(self, shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
        """:func:`_shingle_table` of the texts, computed from the paragraphs a chunk at a time."""
        frame = pd.DataFrame({"text": self._text, "keep": self._keep})
        chunks = [chunk for part in map_in_parts(_kept_shingles_here, frame, stage_name="shingling", shingle_size=shingle_size)
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


def _lsh_shape(threshold: float) -> tuple[int, int]:
    """(bands, rows per band) for MinHash LSH: the fewest hash functions (≤ 64) that find a pair at
    ``threshold`` with probability ≥ 0.995 while a pair at half the threshold becomes a candidate with
    probability ≤ 0.5."""
    best: tuple[int, int] | None = None
    for rows in range(1, _NUM_PERM + 1):
        for bands in range(1, _NUM_PERM // rows + 1):
            if 1 - (1 - threshold**rows) ** bands < 0.995:
                continue
            if 1 - (1 - (threshold / 2) ** rows) ** bands > 0.5 and rows * bands < _NUM_PERM:
                break
            if best is None or bands * rows < best[0] * best[1]:
                best = (bands, rows)
            break
    return best if best is not None else (_NUM_PERM, 1)


def _pairs_within_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (i < j in sorted order) whose ``keys`` are equal; vectorised."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    boundaries = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
    sizes = np.diff(boundaries)
    group_of = np.repeat(np.arange(sizes.size), sizes)
    position = np.arange(order.size)
    group_end = boundaries[1:][group_of]
    partners = group_end - position - 1
    total = int(partners.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first = np.repeat(position, partners)
    run_start = np.repeat(np.cumsum(partners) - partners, partners)
    second = first + 1 + (np.arange(total) - run_start)
    return order[first], order[second]


def _spans(size: int) -> Iterator[slice]:
    """Consecutive slices of ``_CHUNK_ENTRIES`` items covering ``range(size)``."""
    return (slice(start, min(start + _CHUNK_ENTRIES, size)) for start in range(0, size, _CHUNK_ENTRIES))


def _fresh_values(hashes: np.ndarray, bits: int, count: int) -> np.ndarray:
    """The ``count`` smallest non-negative integers that are no hash's top ``64 − bits`` bits."""
    limit = 2 * count + 16
    while True:
        used = [np.unique(hashes[span][hashes[span] < np.uint64(limit) << np.uint64(bits)] >> np.uint64(bits))
                for span in _spans(hashes.size)]  # only tops below the limit are ever looked at
        used = np.unique(np.concatenate([np.zeros(0, dtype=np.uint64), *used]))
        free = np.setdiff1d(np.arange(limit, dtype=np.uint64), used, assume_unique=True)
        if free.size >= count:
            return free[:count]
        limit *= 2


def _separate_tokens(hashes: np.ndarray, bits: int) -> None:
    """Make the top ``64 − bits`` bits of ``hashes`` one-to-one with the distinct hashes, in place.

    Distinct hashes whose top bits coincide (about one pair in 10 million shingles) get unused top bits;
    afterwards the top bits alone identify a shingle. Works on ``2 ** _HASH_BITS`` slices of the hash range, and
    keeps only the clashing hashes between them (a million pages: 400 million hashes, a few clashes).
    """
    part_of = np.empty(hashes.size, dtype=np.uint8)  # which slice of the hash range each hash is in
    for span in _spans(hashes.size):
        part_of[span] = hashes[span] >> np.uint64(64 - _HASH_BITS)
    clashing = []
    for part in range(1 << _HASH_BITS):
        values = hashes[part_of == part]
        values.sort()
        step = values[1:] ^ values[:-1]  # neighbours that differ in the low bits only clash
        clashing.append(values[1:][(step != 0) & (step < np.uint64(1 << bits))])
        del values, step
    del part_of
    moved = np.concatenate(clashing)
    if moved.size == 0:
        return
    fresh = _fresh_values(hashes, bits, moved.size) << np.uint64(bits)
    for span in _spans(hashes.size):
        chunk = hashes[span]
        position = np.minimum(np.searchsorted(moved, chunk), moved.size - 1)
        hit = moved[position] == chunk
        chunk[hit] = fresh[position[hit]]


def _token_keys(counts: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, int]:
    """Sorted keys ``token << bits | row``, one per distinct (text, shingle), and ``bits``, from the shingles
    per text and their hashes in text order; overwrites ``hashes``."""
    bits = max(1, int(counts.size - 1).bit_length())
    _separate_tokens(hashes, bits)
    hashes >>= np.uint64(bits)
    hashes <<= np.uint64(bits)
    ends = np.cumsum(counts)
    for start in range(0, counts.size, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, counts.size)
        section = hashes[ends[start] - counts[start] : ends[stop - 1]]
        section |= np.repeat(np.arange(start, stop, dtype=np.uint64), counts[start:stop])
    hashes.sort()
    keep = np.r_[True, hashes[1:] != hashes[:-1]] if hashes.size else np.zeros(0, dtype=bool)
    if keep.all():
        return hashes, bits
    kept = 0
    for span in _spans(hashes.size):  # drop repeats of a shingle inside one text, compacting in place
        chunk = hashes[span][keep[span]]
        hashes[kept : kept + chunk.size] = chunk
        kept += chunk.size
    return hashes[:kept], bits


def _token_table(keys: np.ndarray, bits: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From the sorted keys: texts per shingle found in ≥ 2 texts (in token order), distinct shingles per text,
    those of them found in this text only, and the text of every key whose shingle is in ≥ 2 texts (key order).

    Two passes over the keys ``_CHUNK_ENTRIES`` at a time, the first counting what the second fills in: a key's
    shingle is shared when its neighbour's is the same, so no array the size of all distinct shingles is made,
    and no list of pieces is held beside the arrays they are joined into (a million pages: 400 million keys).
    """
    sizes = np.zeros(n, dtype=np.int64)
    shared_keys = shared_tokens = 0
    for row, shared, new_token in _shared_keys(keys, bits):
        sizes += np.bincount(row, minlength=n)
        shared_keys += int(shared.sum())
        shared_tokens += int(new_token.sum())
    shared_row = np.empty(shared_keys, dtype=np.int32)
    starts = np.empty(shared_tokens, dtype=np.int64)
    seen_once = sizes.copy()
    filled = started = 0
    for row, shared, new_token in _shared_keys(keys, bits):
        row = row[shared]
        seen_once -= np.bincount(row, minlength=n)
        shared_row[filled : filled + row.size] = row
        first = filled + np.flatnonzero(new_token)
        starts[started : started + first.size] = first
        filled, started = filled + row.size, started + first.size
    frequency = np.diff(np.r_[starts, filled]).astype(np.int32)
    return frequency, sizes, seen_once, shared_row


def _shared_keys(keys: np.ndarray, bits: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per ``_CHUNK_ENTRIES`` sorted keys: each key's text (int32), whether its shingle is in another key too
    (shared), and, among the shared keys, which start a shingle."""
    row_mask = np.uint64((1 << bits) - 1)
    for span in _spans(keys.size):
        before, after = max(span.start - 1, 0), min(span.stop + 1, keys.size)
        token = keys[before:after] >> np.uint64(bits)
        same = token[1:] == token[:-1]  # same[k]: keys before + k and before + k + 1 share a token
        offset = span.start - before
        same_as_previous = np.r_[False, same][offset : offset + span.stop - span.start]
        same_as_next = np.r_[same, False][offset : offset + span.stop - span.start]
        shared = same_as_previous | same_as_next
        yield (keys[span] & row_mask).astype(np.int32), shared, ~same_as_previous[shared]


@dataclass
class _PrefixIndex:
    """Exact-join index over distinct texts: shingle-set sizes, a texts × shared-shingle matrix whose columns
    are ranked rarest first, and the prefix groups (texts sharing a shingle in their prefix), with how many of its
    shared shingles each member has from that one on (``left``)."""

    sizes: np.ndarray
    matrix: sp.csr_matrix
    members: np.ndarray
    bounds: np.ndarray
    left: np.ndarray


def _row_blocks(counts: np.ndarray, entries: int) -> Iterator[slice]:
    """Consecutive runs of rows holding about ``entries`` of ``counts`` each (at least one row)."""
    ends = np.cumsum(counts, dtype=np.int64)
    start = 0
    while start < counts.size:
        already = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, already + entries, side="right")), start + 1)
        yield slice(start, stop)
        start = stop


def _ranked_matrix(shared_row: np.ndarray, frequency: np.ndarray, rank: np.ndarray, useful: np.ndarray) -> sp.csr_matrix:
    """Texts × shared shingles (columns = ``rank``), rows ``useful`` only, indices ascending in each row.

    ``shared_row`` holds the text of each key, grouped by token with ``frequency`` keys per token. Built a block
    of rows at a time (``_BLOCK_ENTRIES`` entries), so only a block's entries are ever packed and sorted.
    """
    n = useful.size
    counts = np.zeros(n, dtype=np.int64)
    for span in _spans(shared_row.size):
        row = shared_row[span]
        counts += np.bincount(row[useful[row]], minlength=n)
    indptr = np.r_[0, np.cumsum(counts)]
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    key_ends = np.r_[0, np.cumsum(frequency, dtype=np.int64)]
    for block in _row_blocks(counts, _BLOCK_ENTRIES):
        packed = []
        for tokens in _row_blocks(frequency, _CHUNK_ENTRIES):  # runs of whole tokens
            row = shared_row[key_ends[tokens.start] : key_ends[tokens.stop]]
            inside = (row >= block.start) & (row < block.stop) & useful[row]
            ranks = np.repeat(rank[tokens], frequency[tokens])[inside]
            packed.append(((row[inside] - block.start).astype(np.int64) << 32) | ranks)
        block_entries = np.concatenate([np.zeros(0, dtype=np.int64), *packed])
        del packed
        block_entries.sort()
        indices[indptr[block.start] : indptr[block.stop]] = block_entries & 0xFFFFFFFF
    matrix = sp.csr_matrix((np.ones(indices.size, dtype=np.int8), indices, indptr), shape=(n, max(rank.size, 1)))
    matrix.has_sorted_indices = True
    return matrix


def _prefix_groups(matrix: sp.csr_matrix, taken: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(members, bounds, left): the texts whose first ``taken`` columns include each column, grouped by column
    (texts ascending), where each group starts (plus the end), and how many columns each member has from that one on."""
    by_token = np.empty(int(taken.sum()), dtype=np.int64)
    left = np.empty(by_token.size, dtype=np.int32)
    filled = 0
    for block in _row_blocks(taken, _CHUNK_ENTRIES):
        count = taken[block]
        within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)  # place in the row
        entries = matrix.indices[np.repeat(matrix.indptr[block.start : block.stop], count) + within].astype(np.int64) << 32
        entries |= np.repeat(np.arange(block.start, block.stop, dtype=np.int64), count)
        by_token[filled : filled + entries.size] = entries
        left[filled : filled + entries.size] = np.repeat(np.diff(matrix.indptr[block.start : block.stop + 1]), count) - within
        filled += entries.size
    order = np.argsort(by_token)
    by_token, left = by_token[order], left[order]
    del order
    starts = [np.zeros(0, dtype=np.int64)]
    for span in _spans(by_token.size):
        before = max(span.start - 1, 0)
        token = by_token[before : span.stop] >> 32
        new = token[1:] != token[:-1] if span.start else np.r_[True, token[1:] != token[:-1]]
        starts.append(span.start + np.flatnonzero(new))
    by_token &= 0xFFFFFFFF
    return by_token, np.r_[np.concatenate(starts), by_token.size], left


def _prefix_index(texts: list[str], threshold: float, shingle_size: int) -> _PrefixIndex:
    """Index for an exact Jaccard join with prefix filtering (shingles ordered by frequency, then token).

    Two texts with Jaccard ≥ t share ≥ ⌈t·|x|⌉ shingles, so each text's first |x| − ⌈t·|x|⌉ + 1 shingles in
    that order (its prefix) meet the other's prefix. Shingles in one text only come first and meet nothing,
    so only the rest of the prefix (``need`` shingles found in ≥ 2 texts) is indexed.
    """
    n = len(texts)
    keys, bits = _token_keys(*_shingle_table(texts, shingle_size))
    frequency, sizes, seen_once, shared_row = _token_table(keys, bits, n)
    del keys
    overlap = np.maximum(1, np.ceil((threshold - 1e-6) * sizes)).astype(np.int64)  # conservative ⌈t·|x|⌉
    need = sizes - overlap + 1 - seen_once
    order = np.argsort(np.minimum(frequency, np.iinfo(np.uint16).max).astype(np.uint16), kind="stable")
    rank = np.empty(order.size, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    del order
    matrix = _ranked_matrix(shared_row, frequency, rank, need > 0)
    del shared_row
    members, bounds, left = _prefix_groups(matrix, np.clip(need, 0, np.diff(matrix.indptr)))
    return _PrefixIndex(sizes=sizes, matrix=matrix, members=members, bounds=bounds, left=left)


def _candidate_chunks(index: _PrefixIndex, threshold: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair (a < b) of texts in one prefix group whose sizes allow Jaccard ≥ ``threshold`` (the smaller at
    least ``threshold`` × the larger) and whose shared shingles from that group's on could still be enough, about
    ``_CHUNK_PAIRS`` pairs at a time (a pair in several groups can come once per group). Each group is ordered by size,
    so a text meets only the texts from its own size up to its size / ``threshold``.

    The second test is PPJoin's positional filter: Jaccard ≥ t needs an overlap of t / (1 + t) × (|a| + |b|)
    shingles, and every shingle two texts share comes at or after their first shared one in the order of ranks, so
    the pair is found in the group of that first one, where the shingles each has left bound the overlap.
    """
    group_size = np.diff(index.bounds)
    group = np.repeat(np.arange(group_size.size, dtype=np.int64), group_size)
    size = index.sizes[index.members]
    key = (group << 32) | size
    order = np.argsort(key, kind="stable")
    members, left, key = index.members[order], index.left[order], key[order]
    del order, group, size
    partners = np.empty(members.size, dtype=np.int64)
    for span in _spans(members.size):
        size = key[span] & 0xFFFFFFFF
        largest = np.minimum(np.floor(size / threshold + 1e-6), 2**32 - 1).astype(np.int64)  # generous: _verify checks
        reach = np.searchsorted(key, (key[span] - size) | largest, side="right")
        partners[span] = reach - np.arange(span.start, span.stop) - 1
    del key
    share = threshold / (1 + threshold) - 1e-9  # generous, as above
    for block in _row_blocks(partners, _CHUNK_PAIRS):
        start, stop = block.start, block.stop
        count = partners[start:stop]
        first = np.repeat(np.arange(start, stop), count)
        second = first + 1 + np.arange(first.size) - np.repeat(np.cumsum(count) - count, count)
        a, b = members[first], members[second]
        enough = np.minimum(left[first], left[second]) >= share * (index.sizes[a] + index.sizes[b]) - 1e-6
        if enough.any():
            a, b = a[enough], b[enough]
            yield np.minimum(a, b), np.maximum(a, b)


def _verify(
    index: _PrefixIndex, a: np.ndarray, b: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct candidate pairs with Jaccard ≥ threshold (same tests as a direct comparison), with it."""
    if a.size == 0:
        return a, b, np.zeros(0)
    codes = np.unique(a * len(index.sizes) + b)
    a, b = codes // len(index.sizes), codes % len(index.sizes)
    small = np.minimum(index.sizes[a], index.sizes[b])
    large = np.maximum(index.sizes[a], index.sizes[b])
    plausible = small >= threshold * large - 1e-9  # Jaccard ≤ |smaller| / |larger|
    a, b = a[plausible], b[plausible]
    shared = np.diff(index.matrix[a].multiply(index.matrix[b]).tocsr().indptr).astype(np.int64)
    similarity = shared / (index.sizes[a] + index.sizes[b] - shared)
    keep = similarity >= threshold - 1e-9
    return a[keep], b[keep], similarity[keep]


def _band_keys(texts: list[str], threshold: float, shingle_size: int) -> np.ndarray:
    """MinHash LSH bucket key per text and band (texts × bands, uint64); every text needs a shingle."""
    bands, band_rows = _lsh_shape(threshold)
    counts, hashes = _shingle_table(texts, shingle_size)
    ends = np.cumsum(counts)
    keys = np.zeros((len(texts), bands), dtype=np.uint64)
    seeds = [np.uint64(((step + 1) * int(_GOLDEN)) % 2**64) for step in range(bands * band_rows)]
    for block in _row_blocks(counts, _CACHED_ENTRIES):  # a block's hashes stay in the processor's cache
        section = hashes[ends[block.start] - counts[block.start] : ends[block.stop - 1]]
        starts = np.r_[0, np.cumsum(counts[block.start : block.stop - 1])]
        mixed = np.empty_like(section)
        for band in range(bands):
            key = np.zeros(block.stop - block.start, dtype=np.uint64)
            for step in range(band_rows):
                np.bitwise_xor(section, seeds[band * band_rows + step], out=mixed)
                key = _mix(key ^ np.minimum.reduceat(_mix_in_place(mixed), starts))
            keys[block, band] = key
    return keys


class _BandFilter:
    """Whether two texts share a MinHash LSH band (the candidate rule of the method), keys made on demand."""

    def __init__(self, texts: list[str], threshold: float, shingle_size: int) -> None:
        self.texts, self.threshold, self.shingle_size = texts, threshold, shingle_size
        self.keys = np.zeros((len(texts), _lsh_shape(threshold)[0]), dtype=np.uint64)
        self.known = np.zeros(len(texts), dtype=bool)

    def _missing(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The texts of pairs ``(a, b)`` whose keys are not made yet."""
        return np.unique(np.r_[a[~self.known[a]], b[~self.known[b]]])  # no sort once every key is made

    def share_a_band(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        missing = self._missing(a, b)
        if missing.size:
            texts = _texts_numbered(self.texts, missing)
            self.keys[missing] = _band_keys(texts, self.threshold, self.shingle_size)
            self.known[missing] = True
        return (self.keys[a] == self.keys[b]).any(axis=1)

    def goes_first(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether to test pairs ``(a, b)`` for a shared band before verifying them: when they are many for the keys
        still to make (a text's keys cost about as much as verifying :data:`_PAIRS_PER_NEW_KEY` pairs)."""
        return a.size >= _PAIRS_PER_NEW_KEY * self._missing(a, b).size


def _verified_in_band(index: _PrefixIndex, bands: _BandFilter, a: np.ndarray, b: np.ndarray, threshold: float
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct candidate pairs with Jaccard ≥ ``threshold`` that share a band, with it: :func:`_verify` and
    :meth:`_BandFilter.share_a_band`, the cheaper first. Where texts reuse the same sentences (template paragraphs
    filled in with names and dates), most candidate pairs fall just short of the threshold: 20,000 Chinese pages
    built from a few dozen sentences gave 229 million candidates, and the join took 117 s instead of 279 s."""
    if bands.goes_first(a, b):
        keep = bands.share_a_band(a, b)
        return _verify(index, a[keep], b[keep], threshold)
    a, b, similarity = _verify(index, a, b, threshold)
    keep = bands.share_a_band(a, b)
    return a[keep], b[keep], similarity[keep]


def _similar_pairs(
    texts: list[str], threshold: float, shingle_size: int, weights: np.ndarray | None = None, budget: int | None = None
) -> pd.DataFrame:
    """Pairs of distinct normalised texts with shingle Jaccard ≥ threshold that share a MinHash LSH band:
    columns i, j (i < j), similarity; sorted by i, j.

    Found by an exact prefix-filtered join, then kept if the two texts share a band bucket: the same pairs as
    verifying every pair of every band bucket, without enumerating big buckets. With ``weights`` and
    ``budget``, raise ``_TooManyPairs`` once Σ weights[i]·weights[j] over the pairs found exceeds ``budget``.
    """
    empty = pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64), "similarity": np.zeros(0)})
    if len(texts) < 2:
        return empty
    index = _prefix_index(texts, threshold, shingle_size)
    bands = _BandFilter(texts, threshold, shingle_size)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    check_at = _CHUNK_PAIRS
    for a, b in _candidate_chunks(index, threshold):
        a, b, similarity = _verified_in_band(index, bands, a, b, threshold)
        found.append((a * len(texts) + b, similarity))
        if weights is not None and budget is not None and sum(codes.size for codes, _ in found) > check_at:
            found = [_unique_pairs(found)]  # a pair met in several prefix groups counts once
            check_at = max(check_at, 2 * found[0][0].size)
            _check_budget(found[0][0], len(texts), weights, budget)
    if not found:
        return empty
    codes, similarity = _unique_pairs(found)
    return pd.DataFrame({"i": codes // len(texts), "j": codes % len(texts), "similarity": similarity})


def _unique_pairs(found: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pair codes (sorted) with their similarity, from chunks that may repeat pairs."""
    codes = np.concatenate([code for code, _ in found])
    similarity = np.concatenate([value for _, value in found])
    codes, first = np.unique(codes, return_index=True)
    return codes, similarity[first]


def _check_budget(codes: np.ndarray, n: int, weights: np.ndarray, budget: int) -> None:
    expanded = int((weights[codes // n] * weights[codes % n]).sum())
    if expanded > budget:
        raise _TooManyPairs(expanded)


class TooManyPairsError(ValueError):
    """:func:`near_duplicate_paragraphs` would build more than ``max_pairs`` pairs (``at_least`` of them are known).

    ``identical_across``: the pairs of paragraphs in different documents whose texts are identical (exact). Paragraphs
    copied into very many documents (templates, footers) give k(k−1)/2 pairs each: list them as families
    (:func:`template_families`) instead, or raise ``max_pairs``.
    """

    def __init__(self, at_least: int, max_pairs: int, identical_across: int) -> None:
        self.at_least, self.max_pairs, self.identical_across = int(at_least), int(max_pairs), int(identical_across)
        super().__init__(
            f"at least {self.at_least} paragraph pairs would be built (more than max_pairs={self.max_pairs}; "
            f"{self.identical_across} pairs of identical paragraphs in different documents alone); some paragraphs are "
            "repeated in very many documents. Use template_families() for corpus-wide boilerplate, or raise max_pairs.")


def _identical_across_documents(codes: np.ndarray, doc_ids: pd.Series) -> int:
    """How many pairs of paragraphs with the same text code lie in different documents: the pairs of each code
    minus those inside one document."""
    counts = np.bincount(codes).astype(np.int64)
    documents = pd.factorize(doc_ids.pipe(as_str))[0].astype(np.int64)
    _, inside = np.unique(codes.astype(np.int64) * (documents.max(initial=0) + 1) + documents, return_counts=True)
    inside = inside.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum() - (inside * (inside - 1) // 2).sum())


class _TooManyPairs(Exception):
    """Internal: the pairs found so far already expand to more rows than allowed."""

    def __init__(self, expanded: int) -> None:
        super().__init__(expanded)
        self.expanded = expanded


def _similar_components(texts: list[str], threshold: float, shingle_size: int) -> np.ndarray:
    """Connected-component label per text of the graph of :func:`_similar_pairs` (same components; pairs whose
    texts are already connected are not verified)."""
    if len(texts) < 2:
        return np.arange(len(texts))
    index = _prefix_index(texts, threshold, shingle_size)
    bands = _BandFilter(texts, threshold, shingle_size)
    components = _GrowingComponents(len(texts))
    for a, b in _candidate_chunks(index, threshold):
        apart = components.first[a] != components.first[b]
        a, b, _ = _verified_in_band(index, bands, a[apart], b[apart], threshold)
        if a.size:
            components.link(a, b)
    return components.labels()


class _GrowingComponents:
    """Connected components of a graph whose edges come a chunk at a time: ``first`` holds each text's
    component as its smallest text. A chunk's work grows with its edges, not with the number of texts."""

    def __init__(self, n: int) -> None:
        self.first = np.arange(n)
        self._renamed = np.arange(n)  # what each component's smallest text became at the last link

    def link(self, a: np.ndarray, b: np.ndarray) -> None:
        """Join the components of texts ``a[k]`` and ``b[k]``."""
        if a.size == 0:
            return
        touched, ends = np.unique(np.r_[self.first[a], self.first[b]], return_inverse=True)
        graph = sp.coo_matrix((np.ones(a.size, dtype=np.int8), (ends[: a.size], ends[a.size :])),
                              shape=(touched.size, touched.size))
        _, joined = connected_components(graph, directed=False)
        smallest = np.full(joined.max() + 1, touched.max())
        np.minimum.at(smallest, joined, touched)
        self._renamed[touched] = smallest[joined]
        self.first = self._renamed[self.first]

    def labels(self) -> np.ndarray:
        """Components numbered 0, 1, … in order of their smallest text (as ``connected_components``)."""
        return np.unique(self.first, return_inverse=True)[1]


def _join_key(texts: list[str], threshold: float, shingle_size: int) -> str:
    """The memo key of a join: the distinct normalised texts and the settings that decide which pairs are linked."""
    hashes = texts.fingerprints if isinstance(texts, _DistinctTexts) else text_hashes(texts)
    return memo_key(texts=digest_hashes(hashes), threshold=float(threshold), shingle_size=int(shingle_size), method=_NUM_PERM)


def _stored_similar_pairs(texts: list[str], threshold: float, shingle_size: int, weights: np.ndarray, budget: int,
                          memo: Memo | None) -> pd.DataFrame:
    """:func:`_similar_pairs` (with its budget), read from ``memo`` when this join was stored, else computed and stored."""
    if memo is None:
        return _similar_pairs(texts, threshold, shingle_size, weights=weights, budget=budget)
    def compute() -> dict[str, np.ndarray]:
        found = _similar_pairs(texts, threshold, shingle_size, weights=weights, budget=budget)
        return {name: found[name].to_numpy() for name in ("i", "j", "similarity")}

    arrays = memo.get_or_compute(PAIRS_KIND, _join_key(texts, threshold, shingle_size), compute)
    _check_budget(arrays["i"] * len(texts) + arrays["j"], len(texts), weights, budget)  # as if found now
    return pd.DataFrame({name: arrays[name] for name in ("i", "j", "similarity")})


def _stored_similar_components(texts: list[str], threshold: float, shingle_size: int, memo: Memo | None) -> np.ndarray:
    """:func:`_similar_components`, from the stored pairs or components of this join in ``memo`` when there are
    some, else computed and stored."""
    if memo is None:
        return _similar_components(texts, threshold, shingle_size)
    key = _join_key(texts, threshold, shingle_size)
    pairs = memo.load(PAIRS_KIND, key)
    if pairs is not None:
        components = _GrowingComponents(len(texts))
        components.link(pairs["i"], pairs["j"])
        return components.labels()
    return memo.get_or_compute(COMPONENTS_KIND, key, lambda: {"component": _similar_components(texts, threshold, shingle_size)})["component"]


def _eligible(paragraphs: pd.DataFrame, min_words: int,
              memo: Memo | None = None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, _DistinctTexts]:
    """Paragraphs with ≥ ``min_words`` words (every column but ``text``), their positions in ``paragraphs``, their
    distinct-text numbers (in order of first appearance) and the distinct normalised texts.

    Neither the text nor its normalised form is copied or held (for 100,000 pages a filtered copy of Arrow-backed
    text cost 0.85 GB, the normalised texts of a million pages about 3.5 GB): texts are told apart by the 16-byte
    hash of their normalised form (:func:`_fingerprints`), and a member's text is taken from ``paragraphs["text"]``
    at its position.
    """
    text = paragraphs["text"].reset_index(drop=True)
    n_words = paragraphs["n_words"].to_numpy() if "n_words" in paragraphs.columns else count_words_many(texts_of(text))
    eligible = n_words >= min_words
    rows = np.flatnonzero(eligible)
    fingerprints = _fingerprints(text, eligible, memo)
    halves = fingerprints.view(np.uint64).reshape(-1, 2)
    codes = pd.DataFrame({"high": halves[:, 0], "low": halves[:, 1]}).groupby(["high", "low"], sort=False).ngroup()
    codes = codes.to_numpy(dtype=np.int64)  # numbered in order of first appearance
    first = np.unique(codes, return_index=True)[1]
    keep = np.zeros(len(text), dtype=bool)
    keep[rows[first]] = True
    table = select_rows(paragraphs.drop(columns="text"), rows).reset_index(drop=True)
    return table, rows, codes, _DistinctTexts(text, keep, fingerprints[first])


def _fingerprints(text: pd.Series, eligible: np.ndarray, memo: Memo | None) -> np.ndarray:
    """The 16-byte hash of the normal form of each ``eligible`` text (:func:`_fingerprints_here`, on the Dask
    workers or on every core), in order.

    With ``memo``, stored under a hash of the texts, of which are eligible and of this module's source (which
    defines the normal form): notebooks 03 and 06 join the same paragraphs, and the second reads what the first
    computed. At 100,000 pages normalising and hashing the 448,732 paragraphs took 4.5 s; the key is read from the
    text's Arrow buffers (:func:`~corpus_utils.core.memo.digest_texts`).
    """
    frame = pd.DataFrame({"text": text, "keep": eligible})

    def compute() -> dict[str, np.ndarray]:
        parts = map_in_parts(_fingerprints_here, frame, stage_name="normalising paragraphs")
        return {"fingerprints": np.concatenate([np.zeros((0, 16), dtype=np.uint8), *parts])}

    if memo is None:
        return compute()["fingerprints"]
    key = memo_key(texts=digest_texts(texts_of(text)), eligible=digest_arrays(np.asarray(eligible, dtype=bool)),
                   normal_form=_normal_form_version())
    return memo.get_or_compute(FINGERPRINTS_KIND, key, compute)["fingerprints"]


def _normal_form_version() -> str:
    """A short hash of this module's source: any edit to it may change the normal form, and so the fingerprints."""
    return source_version(__file__)


def _texts_at(paragraphs: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The texts of ``paragraphs`` at positions ``rows`` (repeats allowed), as Python strings: each distinct one made
    once."""
    distinct, position = np.unique(rows, return_inverse=True)
    return take_rows(paragraphs["text"], distinct).pipe(as_str).to_numpy()[position]


def near_duplicate_paragraphs(
    paragraphs: pd.DataFrame,
    *,
    threshold: float = 0.8,
    shingle_size: int = 5,
    min_words: int = 8,
    max_pairs: int = 5_000_000,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Pairs of paragraphs from different documents whose word-shingle Jaccard similarity is ≥ ``threshold``.

    Texts are compared after lower-casing and keeping word tokens only. Identical texts are grouped
    first (similarity 1); distinct texts are paired by MinHash LSH (at most 64 hash functions, fixed seeds,
    bands chosen so a pair at exactly ``threshold`` is found with probability ≥ 0.995; more similar
    pairs almost surely) and every candidate is verified exactly, so no pair below the threshold is
    reported. The LSH candidates are not enumerated bucket by bucket: an exact prefix-filtered join finds
    every pair at or above the threshold (each text indexes only its rarest shingles), and a pair is kept if
    it shares a band — the same result, without the quadratic cost of big buckets of similar-looking texts.
    Cost: O(total words) time and memory for the hashing plus a sort of all shingles, plus the candidates
    (pairs sharing a rare shingle, of sizes that allow the threshold) and the output. The output has one row per pair, so a paragraph copied
    into k documents gives k(k−1)/2 rows — use :func:`template_families` for corpus-wide boilerplate.

    Parameters
    ----------
    paragraphs : pandas.DataFrame
        Takes columns ``doc_id``, ``paragraph``, ``text`` and (optionally) ``n_words``, as returned by
        :func:`corpus_utils.load_paragraphs`.
    threshold : float
        Minimum Jaccard similarity of the two paragraphs' sets of word shingles, in (0, 1].
    shingle_size : int
        Words per shingle, Han characters in Chinese text (a paragraph with fewer is one shingle).
    min_words : int
        Shorter paragraphs (headings, captions) are ignored.
    max_pairs : int
        Raise :class:`TooManyPairsError` (a ``ValueError``) rather than build more pairs than this: checked on the
        identical texts before any join, then as similar pairs are found.
    memo : Memo, optional
        Where joins are kept (``prepared.memo``): the similar pairs of the same distinct texts at the same
        ``threshold`` and ``shingle_size`` are read back instead of computed (and give
        :func:`template_families` its families), with identical results.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id_a``, ``paragraph_a``, ``doc_id_b``, ``paragraph_b``, ``similarity`` (float),
        ``text_a``, ``text_b``; ``(doc_id_a, paragraph_a) < (doc_id_b, paragraph_b)``; sorted by
        similarity (descending), then ``doc_id_a``, ``paragraph_a``, ``doc_id_b``, ``paragraph_b``.
    """
    _check_paragraphs(paragraphs)
    _check_options(threshold, shingle_size, min_words)
    table, rows, codes, uniques = _eligible(paragraphs, min_words, memo)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(uniques))
    offsets = np.r_[0, np.cumsum(counts)]
    # identical texts: every pair inside a group of equal codes
    n_same = int((counts * (counts - 1) // 2).sum())

    def too_many(at_least: int) -> TooManyPairsError:
        return TooManyPairsError(at_least, max_pairs, _identical_across_documents(codes, table["doc_id"]))

    if n_same > max_pairs:  # the identical texts alone are too many: no join
        raise too_many(n_same)
    try:
        pairs = _stored_similar_pairs(uniques, threshold, int(shingle_size), counts, max_pairs - n_same, memo)
    except _TooManyPairs as error:
        raise too_many(n_same + error.expanded) from None
    n_expanded = n_same + int((counts[pairs["i"].to_numpy()] * counts[pairs["j"].to_numpy()]).sum())
    if n_expanded > max_pairs:
        raise too_many(n_expanded)
    same_a, same_b = _pairs_within_groups(codes)
    # distinct but similar texts: every paragraph of text i × every paragraph of text j
    count_i, count_j = counts[pairs["i"].to_numpy()], counts[pairs["j"].to_numpy()]
    per_pair = count_i * count_j
    pair_index = np.repeat(np.arange(len(pairs)), per_pair)
    within = np.arange(pair_index.size) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    near_a = order[offsets[pairs["i"].to_numpy()[pair_index]] + within // count_j[pair_index]]
    near_b = order[offsets[pairs["j"].to_numpy()[pair_index]] + within % count_j[pair_index]]
    first = np.concatenate([same_a, near_a]).astype(np.int64)
    second = np.concatenate([same_b, near_b]).astype(np.int64)
    similarity = np.concatenate([np.ones(same_a.size), pairs["similarity"].to_numpy()[pair_index]])
    doc_ids = table["doc_id"].pipe(as_str).to_numpy()
    numbers = table["paragraph"].to_numpy().astype(np.int64)
    different = doc_ids[first] != doc_ids[second]
    first, second, similarity = first[different], second[different], similarity[different]
    swap = (doc_ids[first] > doc_ids[second]) | ((doc_ids[first] == doc_ids[second]) & (numbers[first] > numbers[second]))
    a, b = np.where(swap, second, first), np.where(swap, first, second)
    texts = _texts_at(paragraphs, rows[np.concatenate([a, b])])
    result = pd.DataFrame(
        {
            "doc_id_a": doc_ids[a],
            "paragraph_a": numbers[a],
            "doc_id_b": doc_ids[b],
            "paragraph_b": numbers[b],
            "similarity": similarity.astype(float),
            "text_a": texts[: a.size],
            "text_b": texts[a.size :],
        },
        columns=_PAIR_COLUMNS,
    )
    result = result.sort_values(
        ["similarity", "doc_id_a", "paragraph_a", "doc_id_b", "paragraph_b"], ascending=[False, True, True, True, True]
    )
    return result.reset_index(drop=True).astype(
        {"doc_id_a": "string", "paragraph_a": "int64", "doc_id_b": "string", "paragraph_b": "int64", "text_a": "string", "text_b": "string"}
    )


def template_families(
    paragraphs: pd.DataFrame,
    *,
    threshold: float = 0.8,
    shingle_size: int = 5,
    min_words: int = 8,
    min_documents: int = 2,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Families of reused paragraphs: connected groups of near-duplicates spanning ≥ ``min_documents`` documents.

    Two paragraphs are linked when their word-shingle Jaccard similarity is ≥ ``threshold`` (see
    :func:`near_duplicate_paragraphs` for the method); a family is a connected component of these
    links, so a template whose date or name changes from copy to copy stays one family. Only the
    distinct texts are compared, so a footer repeated in 100,000 documents costs no more than one.
    If ``paragraphs`` has a column ``duplicate_of`` (documents flagged as exact copies by the loader),
    a copy counts as the document it copies. Cost: as :func:`near_duplicate_paragraphs` without the
    pair expansion; candidate pairs whose texts are already in one family are not verified.

    Parameters
    ----------
    paragraphs : pandas.DataFrame
        Takes columns ``doc_id``, ``paragraph``, ``text``, optionally ``n_words`` and ``duplicate_of``.
    threshold, shingle_size, min_words
        As in :func:`near_duplicate_paragraphs`.
    min_documents : int
        Keep families found in at least this many different documents (≥ 2).
    memo : Memo, optional
        Where joins are kept (``prepared.memo``): the families (or the pairs of :func:`near_duplicate_paragraphs`)
        of the same distinct texts at the same ``threshold`` and ``shingle_size`` are read back instead of
        computed, with identical results.

    Returns
    -------
    pandas.DataFrame
        Columns ``family`` (int, 1 = the family in most documents; ties by first doc_id/paragraph),
        ``doc_id``, ``paragraph``, ``text``, ``n_documents`` (documents the family spans); one row per
        member paragraph, sorted by family, doc_id, paragraph.
    """
    _check_paragraphs(paragraphs)
    _check_options(threshold, shingle_size, min_words)
    if int(min_documents) != min_documents or min_documents < 2:
        raise ValueError(f"min_documents must be an integer ≥ 2 (a family spans several documents), got {min_documents!r}")
    table, rows, codes, uniques = _eligible(paragraphs, min_words, memo)
    if table.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in zip(_FAMILY_COLUMNS, ["int64", "string", "int64", "string", "int64"])})
    component = _stored_similar_components(uniques, threshold, int(shingle_size), memo)
    doc_ids = table["doc_id"].pipe(as_str)
    owner = doc_ids
    if "duplicate_of" in table.columns:
        owner = table["duplicate_of"].astype("string").fillna(doc_ids.astype("string")).pipe(as_str)
    members = pd.DataFrame(
        {
            "component": component[codes],
            "owner": owner.to_numpy(),
            "doc_id": doc_ids.to_numpy(),
            "paragraph": table["paragraph"].to_numpy().astype(np.int64),
            "row": np.arange(len(table)),  # the text is taken for the family members only, at the end
        }
    )
    spans = members.groupby("component")["owner"].nunique().rename("n_documents")
    members = members.join(spans, on="component")
    members = members[members["n_documents"] >= min_documents].sort_values(["doc_id", "paragraph"], kind="stable")
    if members.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in zip(_FAMILY_COLUMNS, ["int64", "string", "int64", "string", "int64"])})
    ranking = members.groupby("component", sort=False).agg(
        n_documents=("n_documents", "first"), first_doc=("doc_id", "first"), first_paragraph=("paragraph", "first")
    )
    ranking = ranking.sort_values(["n_documents", "first_doc", "first_paragraph"], ascending=[False, True, True])
    number = pd.Series(np.arange(1, len(ranking) + 1), index=ranking.index)
    members["family"] = members["component"].map(number).astype("int64")
    result = members.sort_values(["family", "doc_id", "paragraph"]).reset_index(drop=True)
    result["text"] = _texts_at(paragraphs, rows[result["row"].to_numpy()])
    return result[_FAMILY_COLUMNS].astype({"family": "int64", "doc_id": "string", "paragraph": "int64", "text": "string",
                                           "n_documents": "int64"})


def remove_boilerplate(
    documents: pd.DataFrame,
    *,
    threshold: float = 0.8,
    min_documents: int = 2,
    shingle_size: int = 5,
    min_words: int = 8,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Documents with every paragraph of a template family (see :func:`template_families`) removed from ``body``.

    Nothing else changes; documents whose whole body was boilerplate keep an empty body (they are
    not dropped). Exact-copy documents (``duplicate_of`` set) count as the document they copy, so a
    duplicated article does not lose its text. Cost: as :func:`template_families`, plus one pass to
    rebuild the bodies.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` (unique) and ``body``, optionally ``duplicate_of``; other columns are kept.
    threshold, min_documents, shingle_size, min_words, memo
        As in :func:`template_families`.

    Returns
    -------
    pandas.DataFrame
        The same rows and columns, with ``body``, ``n_words`` and ``n_paragraphs`` recomputed, plus
        ``n_boilerplate_paragraphs`` (int64: paragraphs removed).
    """
    missing = [column for column in ("doc_id", "body") if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs columns doc_id and body (from read_corpus); missing {', '.join(missing)}")
    if documents["doc_id"].duplicated().any():
        repeated = sorted(documents.loc[documents["doc_id"].duplicated(), "doc_id"].pipe(as_str).unique())[:5]
        raise ValueError(f"documents has repeated doc_id values {repeated}; give every document a unique doc_id")
    paragraphs = load_paragraphs(documents, memo=memo)
    if "duplicate_of" in documents.columns:
        paragraphs["duplicate_of"] = paragraphs["doc_id"].map(documents.set_index("doc_id")["duplicate_of"])
    families = template_families(
        paragraphs, threshold=threshold, shingle_size=shingle_size, min_words=min_words, min_documents=min_documents,
        memo=memo,
    )
    flagged = pd.MultiIndex.from_frame(families[["doc_id", "paragraph"]].astype({"doc_id": object}))
    key = pd.MultiIndex.from_frame(paragraphs[["doc_id", "paragraph"]].astype({"doc_id": object}))
    boiler = key.isin(flagged)
    kept = paragraphs.loc[~boiler]
    bodies = kept.groupby("doc_id", sort=False)["text"].agg(lambda texts: PARAGRAPH_SEPARATOR.join(texts))
    removed = pd.Series(boiler, index=paragraphs.index).groupby(paragraphs["doc_id"].to_numpy()).sum()
    result = documents.copy()
    ids = result["doc_id"].pipe(as_str)
    original_body = result["body"]
    had_body = original_body.notna()
    new_body = ids.map(bodies.rename(index=str)).astype(TEXT_DTYPE).fillna("")
    result["body"] = new_body.where(had_body, original_body.astype(TEXT_DTYPE))
    result["n_words"] = count_words_many(texts_of(result["body"]))
    result["n_paragraphs"] = ids.map(kept.groupby("doc_id").size().rename(index=str)).fillna(0).astype("int64")
    result["n_boilerplate_paragraphs"] = ids.map(removed.rename(index=str)).fillna(0).astype("int64")
    return result
