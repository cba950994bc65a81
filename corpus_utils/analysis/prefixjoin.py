"""The boilerplate join in one process: which distinct normalised texts have shingle Jaccard ≥ a threshold and share a
MinHash LSH band. An exact join with prefix filtering (rarest shingles first) and PPJoin's positional filter finds the
candidates, each verified exactly; :mod:`.dask_join` runs the same steps on a Dask cluster.

Internal to the join: the public functions are in :mod:`.boilerplate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .shingles import _CHUNK_ROWS, _GOLDEN, _mix, _mix_in_place, _shingle_table, _texts_numbered


_NUM_PERM = 64  # MinHash functions; bands × rows are chosen from the threshold (see _lsh_shape)
_CHUNK_PAIRS = 250_000  # candidate pairs verified at a time
_PAIRS_PER_NEW_KEY = 30  # a text's MinHash band keys cost about as much as verifying this many pairs (30 µs, 1 µs)
_CHUNK_ENTRIES = 4_000_000  # array items per step of the chunked passes over shingles
_BLOCK_ENTRIES = 50_000_000  # matrix entries packed and sorted at a time when building the prefix index
_CACHED_ENTRIES = 1 << 15  # shingle hashes MinHashed at a time (256 kB: they stay in the processor's cache)
_HASH_BITS = 3  # the hash range is sorted in 2 ** _HASH_BITS slices, one at a time, to find clashing token prefixes


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
class _PrefixGroups:
    """The prefix groups of an exact join: texts sharing a shingle in their prefix (``members``, grouped by shingle,
    each group from ``bounds[g]`` to ``bounds[g + 1]``), with how many of its shared shingles each member has from that
    one on (``left``), and every text's number of distinct shingles (``sizes``, indexed by member)."""

    sizes: np.ndarray
    members: np.ndarray
    bounds: np.ndarray
    left: np.ndarray


@dataclass
class _PrefixIndex(_PrefixGroups):
    """Exact-join index over distinct texts: the prefix groups, and a texts × shared-shingle matrix whose columns are
    ranked rarest first (what verification intersects)."""

    matrix: sp.csr_matrix


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
    return _PrefixIndex(sizes=sizes, members=members, bounds=bounds, left=left, matrix=matrix)


def _candidate_chunks(index: _PrefixGroups, threshold: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
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
    plausible = _sizes_allow(index.sizes[a], index.sizes[b], threshold)
    a, b = a[plausible], b[plausible]
    shared = np.diff(index.matrix[a].multiply(index.matrix[b]).tocsr().indptr).astype(np.int64)
    similarity, keep = _jaccard_at_least(index.sizes[a], index.sizes[b], shared, threshold)
    return a[keep], b[keep], similarity[keep]


def _sizes_allow(size_a: np.ndarray, size_b: np.ndarray, threshold: float) -> np.ndarray:
    """Which pairs of shingle sets of these sizes may reach Jaccard ≥ threshold: the smaller at least ``threshold`` ×
    the larger (Jaccard ≤ |smaller| / |larger|)."""
    return np.minimum(size_a, size_b) >= threshold * np.maximum(size_a, size_b) - 1e-9


def _jaccard_at_least(size_a: np.ndarray, size_b: np.ndarray, shared: np.ndarray, threshold: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard similarity, whether it is ≥ threshold) of sets of these sizes sharing ``shared`` members: the one
    rule of both joins, in one process and on Dask (:mod:`.dask_join`)."""
    similarity = shared / (size_a + size_b - shared)
    return similarity, similarity >= threshold - 1e-9


def _band_keys(texts: list[str], threshold: float, shingle_size: int) -> np.ndarray:
    """MinHash LSH bucket key per text and band (texts × bands, uint64); every text needs a shingle."""
    return _band_keys_of(*_shingle_table(texts, shingle_size), threshold)


def _band_keys_of(counts: np.ndarray, hashes: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`_band_keys` from the texts' shingle hashes (``counts`` per text, texts in order; a shingle repeated in a
    text changes nothing)."""
    bands, band_rows = _lsh_shape(threshold)
    ends = np.cumsum(counts)
    keys = np.zeros((counts.size, bands), dtype=np.uint64)
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
