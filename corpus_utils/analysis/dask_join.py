"""The boilerplate join on a Dask cluster: the pairs of :func:`.prefixjoin._similar_pairs`, with every step on the
workers and only the pairs found coming back to this process.

The distinct texts are cut into parts of consecutive texts, one task each; the shingles are spread over as many
buckets, by hash. Five shuffles (tasks passing each other their pieces through Dask, as ``dask.dataframe`` shuffles
by tasks) take the one-process join apart:

1. each part's distinct (text, shingle) pairs go to the bucket of the shingle, which counts the texts holding it
   (the frequencies of one process: every copy of a shingle meets in one bucket) and numbers the shingles held by
   two texts or more (their tokens, in the order of their hashes);
2. those go back to the parts of their texts, with their frequencies and tokens; each text orders its shingles
   rarest first (frequency, then hash: the order one process uses, up to ties between hashes) and takes its prefix,
   as :func:`.prefixjoin._prefix_index` does;
3. the prefix entries go to the bucket of their token, where each group of texts sharing a prefix shingle gives
   its candidate pairs (:func:`.prefixjoin._candidate_chunks`: sizes and PPJoin's positional filter);
4. each candidate pair goes to the part of its first text, which adds that text's tokens, and then to the part of
   its second text, which verifies it exactly (:func:`.prefixjoin._jaccard_at_least`);
5. the verified pairs go back to the parts of their first texts with the MinHash band keys of their second, and
   those whose texts share a band are kept (:func:`.prefixjoin._band_keys_of`): keys are made for verified pairs
   only, as one process does where the candidates are many per text.

A pair is verified by the rule of one process on the same shingle sets, so the pairs and their similarities are
the same (``tests/test_dask.py``). This process holds the parts' boundaries and the pairs found, and sends each part
its texts once (the first paragraph of each distinct text, not the paragraphs repeating it); a worker holds its parts'
shingles (8 bytes each, kept for the band keys), their distinct (shingle, text) pairs on their way to the buckets (12
bytes each: the hash and the text's number within its part), the shared ones on their way back (22 bytes each) and
their tokens.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..core.scheduler import DaskScheduler, stage
from .prefixjoin import _PrefixGroups, _band_keys_of, _candidate_chunks, _jaccard_at_least, _sizes_allow
from .shingles import _DistinctTexts, _kept_shingles_here

__all__ = ["similar_pairs_on_dask"]

#: At most this many distinct texts per part (about 100 shingles each for pages of this kind, some 54 bytes per shingle
#: on its worker at the peak); a shuffle has parts × buckets pieces, each a task.
PART_TEXTS = 100_000
_MAX_FREQUENCY = np.iinfo(np.uint16).max  # frequencies past it rank as equal, as in one process


def similar_pairs_on_dask(scheduler: DaskScheduler, texts: _DistinctTexts, threshold: float, shingle_size: int) -> pd.DataFrame:
    """:func:`.prefixjoin._similar_pairs` of ``texts`` on the scheduler's workers: columns i, j (i < j), similarity;
    sorted by i, j. Timed as the stage ``"boilerplate join"``."""
    n = len(texts)
    with stage("boilerplate join", items=n):
        found = _pairs_found(scheduler, texts, threshold, shingle_size) if n >= 2 else []
    a = np.concatenate([np.zeros(0, dtype=np.int64), *(piece[0] for piece in found)])
    b = np.concatenate([np.zeros(0, dtype=np.int64), *(piece[1] for piece in found)])
    similarity = np.concatenate([np.zeros(0), *(piece[2] for piece in found)])
    codes, first = np.unique(a * n + b, return_index=True)
    return pd.DataFrame({"i": codes // max(n, 1), "j": codes % max(n, 1), "similarity": similarity[first]})


def _pairs_found(scheduler: DaskScheduler, texts: _DistinctTexts, threshold: float, shingle_size: int) -> list:
    """The five shuffles of the module's docstring; the pairs found in each part, gathered here."""
    n = len(texts)
    n_parts = min(n, max(2 * max(1, scheduler.n_workers), -(-n // PART_TEXTS)))
    firsts = np.array([n * part // n_parts for part in range(n_parts)], dtype=np.int64)  # each part's first text
    bounds = [*firsts.tolist(), n]
    shingled = [scheduler.submit_part(_shingle_part, texts.part(start, stop), shingle_size=shingle_size, first=start, n_buckets=n_parts)
                for start, stop in zip(bounds[:-1], bounds[1:])]
    counted = [scheduler.submit(_frequencies, firsts, bucket, *_pieces(scheduler, shingled, bucket)) for bucket in range(n_parts)]
    shingled = _kept(scheduler, shingled)  # each step's pieces are freed once the next step has them
    prefixed = [scheduler.submit(_prefix_entries, shingled[part], threshold, n_parts, *_pieces(scheduler, counted, part))
                for part in range(n_parts)]
    del counted
    candidates = [scheduler.submit(_candidate_pairs, threshold, firsts, n, *_pieces(scheduler, prefixed, bucket))
                  for bucket in range(n_parts)]
    prefixed = _kept(scheduler, prefixed)
    halves = [scheduler.submit(_first_halves, shingled[part], prefixed[part], firsts, n, *_pieces(scheduler, candidates, part))
              for part in range(n_parts)]
    del candidates
    verified = [scheduler.submit(_verified, shingled[part], prefixed[part], threshold, firsts, *_pieces(scheduler, halves, part))
                for part in range(n_parts)]
    del halves, prefixed
    banded = [scheduler.submit(_banded, shingled[part], threshold, *_pieces(scheduler, verified, part)) for part in range(n_parts)]
    del verified, shingled
    return scheduler.gather(banded)


def _kept(scheduler: DaskScheduler, futures: list) -> list:
    """Futures of each result without its outgoing pieces (``"out"``), made where the result is."""
    return [scheduler.submit(_without_pieces, future) for future in futures]


def _without_pieces(result: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in result.items() if name != "out"}


def _pieces(scheduler: DaskScheduler, futures: list, number: int) -> list:
    """Piece ``number`` of each future's ``"out"`` list, as futures: what one task of the next step takes from each
    task of this one (a small task each, run where the piece is)."""
    return [scheduler.submit(_piece, future, number) for future in futures]


def _piece(result: dict[str, Any], number: int) -> Any:
    return result["out"][number]


def _bucket_of(hashes: np.ndarray, n_buckets: int) -> np.ndarray:
    """Which of ``n_buckets`` buckets each shingle hash goes to (its top 32 bits scaled to the number of buckets)."""
    return (((hashes >> np.uint64(32)) * np.uint64(n_buckets)) >> np.uint64(32)).astype(np.int64)


def _split(by: np.ndarray, n: int, *columns: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """``columns`` cut into ``n`` pieces by the destination ``by`` of each row (0 … n − 1), rows in order within each."""
    order = np.argsort(by, kind="stable")
    ends = np.searchsorted(by[order], np.arange(n + 1))
    ordered = [column[order] for column in columns]
    return [tuple(column[ends[k] : ends[k + 1]] for column in ordered) for k in range(n)]


def _part_of(rows: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    """The part holding each text."""
    return np.searchsorted(firsts, rows, side="right") - 1


def _joined(pieces: tuple, width: int) -> list[np.ndarray]:
    """The pieces' columns, each concatenated (``width`` columns)."""
    return [np.concatenate([piece[column] for piece in pieces]) for column in range(width)]


def _shingle_part(frame: pd.DataFrame, *, shingle_size: int, first: int, n_buckets: int) -> dict[str, Any]:
    """Step 1 on a worker: the shingle hashes of the part's texts (``frame["text"]`` where ``frame["keep"]``, numbered
    from ``first``), kept in text order for the band keys (``counts``, ``hashes``: a shingle repeated in a text counts
    once in ``sizes``, the distinct shingles per text), and the distinct (shingle, text) pairs sent out by bucket."""
    pieces = _kept_shingles_here(frame, shingle_size=shingle_size)
    counts = np.concatenate([np.zeros(0, dtype=np.int64), *(counts for counts, _ in pieces)])
    hashes = np.concatenate([np.zeros(0, dtype=np.uint64), *(hashes for _, hashes in pieces)])
    del pieces
    local = np.repeat(np.arange(counts.size, dtype=np.uint64), counts)
    order, distinct = _by_hash_then_row(hashes, local, counts.size)
    sorted_hashes, rows = hashes[order][distinct], local[order][distinct].astype(np.uint32)
    sizes = np.bincount(rows, minlength=counts.size).astype(np.int64)
    ends = np.searchsorted(_bucket_of(sorted_hashes, n_buckets), np.arange(n_buckets + 1))  # buckets follow the hash
    out = [(sorted_hashes[ends[k] : ends[k + 1]], rows[ends[k] : ends[k + 1]]) for k in range(n_buckets)]
    return {"first": first, "sizes": sizes, "counts": counts, "hashes": hashes, "out": out}


def _by_hash_then_row(hashes: np.ndarray, rows: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """An order of (hash, row) pairs by the hash's top bits (so by bucket), then row, and which pairs in that order
    are not repeats of the one before. One sort of a 64-bit key (those top bits, then the row: three times faster
    than sorting on both); where two different hashes of one row agree in those top bits (about one part in a
    million), the part is sorted by hash, then row."""
    bits = max(1, int(n_rows - 1).bit_length())
    key = (hashes >> np.uint64(bits) << np.uint64(bits)) | rows
    order = np.argsort(key)
    key, ordered = key[order], hashes[order]
    same_key = key[1:] == key[:-1]
    repeat = same_key & (ordered[1:] == ordered[:-1])
    if (same_key & ~repeat).any():
        order = np.lexsort((rows, hashes))
        ordered, by_row = hashes[order], rows[order]
        repeat = (ordered[1:] == ordered[:-1]) & (by_row[1:] == by_row[:-1])
    return order, np.r_[True, ~repeat] if hashes.size else np.zeros(0, dtype=bool)


def _frequencies(firsts: np.ndarray, bucket: int, *pieces: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    """Step 1's bucket: how many texts hold each of its shingles (each (shingle, text) comes once; a piece from each
    part, in the parts' order, its texts numbered within the part); the (text within its part, shingle, frequency up
    to 2¹⁶ − 1, token) of the shingles in two texts or more, sent to the parts of their texts (22 bytes each). A
    shingle's token is ``bucket`` × 2³² + its place among the bucket's shared shingles by hash: a number in the order
    of the hashes, the same in every part (8 bytes, like the hash, but the buckets can be read from it)."""
    hashes = np.concatenate([np.zeros(0, dtype=np.uint64), *(hashes for hashes, _ in pieces)])
    rows = np.concatenate([np.zeros(0, dtype=np.int64), *(local.astype(np.int64) + first for (_, local), first in zip(pieces, firsts.tolist()))])
    order = np.argsort(hashes)
    hashes, rows = hashes[order], rows[order]
    starts = _run_starts(hashes)
    per_shingle = np.diff(np.r_[starts, hashes.size])
    frequency = np.repeat(per_shingle, per_shingle)
    shared = frequency >= 2
    hashes, rows, frequency = hashes[shared], rows[shared], frequency[shared]
    new_token = np.r_[True, hashes[1:] != hashes[:-1]] if hashes.size else np.zeros(0, dtype=bool)
    tokens = (np.cumsum(new_token) - 1) | (bucket << 32)
    part = _part_of(rows, firsts)
    local = (rows - firsts[part]).astype(np.uint32)
    return {"out": _split(part, firsts.size, local, hashes, np.minimum(frequency, _MAX_FREQUENCY).astype(np.uint16), tokens)}


def _prefix_entries(shingled: dict[str, Any], threshold: float, n_buckets: int,
                    *pieces: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, Any]:
    """Step 2 on a part: each text's shingles found in other texts, rarest first; its prefix entries (token, text,
    distinct shingles of the text, shared shingles from this one on) sent out to the tokens' buckets; its shared
    shingles' tokens kept for the verification (``indptr``, ``tokens``)."""
    first, sizes = shingled["first"], shingled["sizes"]
    local, hashes, frequency, tokens = _joined(pieces, 4)
    local = local.astype(np.int64)
    order = _rarest_first(local, frequency, hashes, sizes.size)
    local, tokens = local[order], tokens[order]
    del hashes, frequency
    n_shared = np.bincount(local, minlength=sizes.size).astype(np.int64)
    overlap = np.maximum(1, np.ceil((threshold - 1e-6) * sizes)).astype(np.int64)  # as _prefix_index
    taken = np.clip(sizes - overlap + 1 - (sizes - n_shared), 0, n_shared)
    within = _within(n_shared)
    prefix = within < taken[local]
    left = (n_shared[local] - within)[prefix].astype(np.int32)
    entry_tokens, entry_local = tokens[prefix], local[prefix]
    out = _split(entry_tokens >> 32, n_buckets, entry_tokens, entry_local + first, sizes[entry_local], left)
    return {"out": out, "indptr": np.r_[0, np.cumsum(n_shared)], "tokens": tokens}


def _rarest_first(local: np.ndarray, frequency: np.ndarray, hashes: np.ndarray, n_rows: int) -> np.ndarray:
    """The order of shared shingles by text, then frequency (below 2¹⁶), then hash: one sort of a 64-bit key holding
    the text, the frequency and the hash's top bits; where two shingles of a text agree in all three (about one text
    in a million), the part is sorted on the three."""
    bits = max(1, int(n_rows - 1).bit_length())
    if bits > 32:  # no room for the hash
        return np.lexsort((hashes, frequency, local))
    key = (local.astype(np.uint64) << np.uint64(64 - bits)) | (frequency.astype(np.uint64) << np.uint64(48 - bits))
    key |= hashes >> np.uint64(16 + bits)
    order = np.argsort(key)
    ordered = key[order]
    if (ordered[1:] == ordered[:-1]).any():
        return np.lexsort((hashes, frequency, local))
    return order


def _candidate_pairs(threshold: float, firsts: np.ndarray, n: int,
                     *pieces: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> dict[str, Any]:
    """Step 3's bucket: the candidate pairs (a < b, distinct) of each group of texts sharing a prefix shingle, sent to
    the parts of their first texts."""
    tokens, rows, sizes, left = _joined(pieces, 4)
    order = np.argsort(tokens, kind="stable")
    tokens, rows, sizes, left = tokens[order], rows[order], sizes[order], left[order]
    starts = _run_starts(tokens)
    groups = _PrefixGroups(sizes=sizes, members=np.arange(rows.size), bounds=np.r_[starts, rows.size], left=left)
    codes = [np.zeros(0, dtype=np.int64)]
    for a, b in _candidate_chunks(groups, threshold):
        first, second = rows[a], rows[b]
        codes.append(np.unique(np.minimum(first, second) * n + np.maximum(first, second)))
    codes = np.unique(np.concatenate(codes))
    a, b = codes // n, codes % n
    return {"out": _split(_part_of(a, firsts), firsts.size, a, b)}


def _members(shingled: dict[str, Any], prefixed: dict[str, Any], local: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
    """The part's texts numbered ``local`` (distinct): their distinct shingles, and their shared shingles' tokens as a
    0/1 sparse matrix (a row per text, the tokens as columns, ascending in each row)."""
    indptr = prefixed["indptr"]
    shared = np.diff(indptr)[local]
    tokens = prefixed["tokens"][np.repeat(indptr[local], shared) + _within(shared)]
    width = int(tokens.max()) + 1 if tokens.size else 1
    matrix = sp.csr_matrix((np.ones(tokens.size, dtype=np.int8), tokens, np.r_[0, np.cumsum(shared)]), shape=(local.size, width))
    matrix.sum_duplicates()  # sorted (each text's tokens came rarest first), so the product below merges rows
    return shingled["sizes"][local], matrix


def _band_keys_here(shingled: dict[str, Any], local: np.ndarray, threshold: float) -> np.ndarray:
    """The MinHash band keys of the part's texts numbered ``local``, from all their shingles."""
    counts = shingled["counts"]
    starts = np.cumsum(counts) - counts
    hashes = shingled["hashes"][np.repeat(starts[local], counts[local]) + _within(counts[local])]
    return _band_keys_of(counts[local], hashes, threshold)


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if ordered.size else np.zeros(0, dtype=np.int64)


def _within(counts: np.ndarray) -> np.ndarray:
    """0, 1, … counts[k] − 1 for each k, concatenated."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _first_halves(shingled: dict[str, Any], prefixed: dict[str, Any], firsts: np.ndarray, n: int,
                  *pieces: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    """Step 4 on the part of the pairs' first texts: the pairs (met once, whichever buckets found them) with what the
    verification needs of their first texts, sent to the parts of their second texts: (first texts, which of them each
    pair's is, second texts, then the first texts' sizes and tokens)."""
    a, b = _joined(pieces, 2)
    codes = np.unique(a * n + b)
    a, b = codes // n, codes % n
    out = []
    for here, there in _split(_part_of(b, firsts), firsts.size, a, b):
        texts, which = np.unique(here, return_inverse=True)
        out.append((texts, which, there, *_members(shingled, prefixed, texts - shingled["first"])))
    return {"out": out}


def _verified(shingled: dict[str, Any], prefixed: dict[str, Any], threshold: float, firsts: np.ndarray,
              *pieces: tuple) -> dict[str, Any]:
    """Step 4 on the part of the pairs' second texts: the pairs with Jaccard ≥ ``threshold``, verified by the rule of
    one process, sent back to the parts of their first texts with the band keys of their second (a, b, similarity,
    keys). Keys are made for verified pairs only, as one process does where candidates are many per text."""
    found = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))]
    for texts_a, which, there, sizes_a, tokens_a in pieces:
        texts_b, other = np.unique(there - shingled["first"], return_inverse=True)
        sizes_b, tokens_b = _members(shingled, prefixed, texts_b)
        size_a, size_b = sizes_a[which], sizes_b[other]
        plausible = _sizes_allow(size_a, size_b, threshold)
        which, other, there, size_a, size_b = which[plausible], other[plausible], there[plausible], size_a[plausible], size_b[plausible]
        shared = _shared_counts(tokens_a, which, tokens_b, other)
        similarity, kept = _jaccard_at_least(size_a, size_b, shared, threshold)
        found.append((texts_a[which[kept]], there[kept], similarity[kept]))
    a, b, similarity = (np.concatenate([piece[column] for piece in found]) for column in range(3))
    texts, which = np.unique(b - shingled["first"], return_inverse=True)
    keys = _band_keys_here(shingled, texts, threshold)[which]
    return {"out": _split(_part_of(a, firsts), firsts.size, a, b, similarity, keys)}


def _banded(shingled: dict[str, Any], threshold: float, *pieces: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 5 on the part of the pairs' first texts: (a, b, similarity) of the verified pairs whose texts share a
    MinHash band."""
    a, b, similarity, keys_b = _joined(pieces, 4)
    texts, which = np.unique(a - shingled["first"], return_inverse=True)
    share = (_band_keys_here(shingled, texts, threshold)[which] == keys_b).any(axis=1) if a.size else np.zeros(0, dtype=bool)
    return a[share], b[share], similarity[share]


def _shared_counts(tokens_a: sp.csr_matrix, which: np.ndarray, tokens_b: sp.csr_matrix, other: np.ndarray) -> np.ndarray:
    """How many tokens row ``which[k]`` of ``tokens_a`` and row ``other[k]`` of ``tokens_b`` have in common, as
    :func:`.prefixjoin._verify` counts them: the product of the two rows, merged column by column (both matrices are
    in canonical form, so no array as wide as the token numbers is made)."""
    width = max(tokens_a.shape[1], tokens_b.shape[1])
    first, second = tokens_a[which], tokens_b[other]
    first.resize(which.size, width)
    second.resize(other.size, width)
    return np.diff(first.multiply(second).tocsr().indptr).astype(np.int64)
