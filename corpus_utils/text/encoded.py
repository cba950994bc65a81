"""Texts as integer token ids: the one tokenising pass every count is derived from, computed once and reused.

:func:`encode_texts` runs the :class:`~corpus_utils.text.tokenizer.Tokenizer` over a list of texts and keeps
each text's counted tokens (stop words removed) as ids into one vocabulary. With a
:class:`~corpus_utils.core.memo.Memo` the result is stored under a hash of the texts and the tokenizer's
:attr:`~corpus_utils.text.tokenizer.Tokenizer.key`, so the next notebook (or the next cell) that needs the
same texts tokenised the same way reads it back instead of tokenising again: term counts (02), TF-IDF (03),
term trends (05) and keyness (06) of one corpus share one pass. Each entry also keeps a hash of every text, so a
list of texts that an earlier entry holds in full (the documents long enough to model, the dated ones) is taken
from it rather than tokenised.
"""

from __future__ import annotations

import os
import warnings
from array import array
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from ..core.columns import texts_of
from ..core.memo import Memo, digest_hashes, digest_texts, memo_key, text_hashes
from ..core.progress import PROGRESS_ENV_VAR, progress_bar
from ..core.scheduler import DaskScheduler, active, in_this_process, stage
from ..core.stored import StoredPart, stored_part
from ..core.words import PARAGRAPH_SEPARATOR, ascii_words_only
from ..core.workers import available_cores, ordered_map, process_pool
from .tokenizer import Tokenizer

__all__ = ["EncodedTexts", "encode_texts"]

#: Kind of the stored entries in the memo folder (``tokens-<key>.npz``).
MEMO_KIND = "tokens"
#: Kind of the small entries that name, for a list of texts as given, the stored encodings it is read from.
INDEX_KIND = "tokenindex"
#: Where an ASCII text is cut into words: anything but letters, digits, ``_`` and ``-``, or two hyphens or more.
ASCII_SPLIT = r"[^A-Za-z0-9_-]+|-{2,}"
_CHUNK_TEXTS = 5_000  # texts tokenised at a time
#: From this many texts, with more than one core free and no Dask scheduler, each core tokenises a contiguous part.
POOL_MIN_TEXTS = 20_000
#: Each task of a pool's process or a Dask worker tokenises at most this many texts (a whole number of chunks, so the
#: ids equal one pass here): what is pickled at a time, and the work a dead caller's workers finish, stay small.
PARTITION_TEXTS = 50_000


@dataclass(frozen=True)
class EncodedTexts:
    """The counted tokens of a list of texts, as ids.

    Attributes
    ----------
    ids : numpy.ndarray of int32
        Token ids of all texts, concatenated in order (stop words removed).
    offsets : numpy.ndarray of int64
        ``len(texts) + 1`` boundaries: text ``t`` holds ``ids[offsets[t]:offsets[t + 1]]``.
    vocabulary : numpy.ndarray of str (object)
        The token of each id; it may list tokens with no counted occurrence (stop words).
    """

    ids: np.ndarray
    offsets: np.ndarray
    vocabulary: np.ndarray

    @property
    def n_texts(self) -> int:
        """Number of texts."""
        return len(self.offsets) - 1

    def rows(self) -> np.ndarray:
        """The text (row position) of every token of :attr:`ids`."""
        return np.repeat(np.arange(self.n_texts, dtype=np.int32), np.diff(self.offsets))

    def counts(self, dtype: type = np.int64) -> tuple[dict[str, int], sp.csr_matrix]:
        """Texts × tokens counts of the tokens that occur, and their vocabulary (token → column).

        Columns are in first-id order, indices sorted within rows: what a scikit-learn ``CountVectorizer``
        counts before it sorts and prunes its vocabulary.
        """
        used = np.flatnonzero(np.bincount(self.ids, minlength=len(self.vocabulary)))
        index_dtype = np.int32 if max(len(used), len(self.ids)) < 2**31 else np.int64
        column_of = np.full(len(self.vocabulary), -1, dtype=index_dtype)
        column_of[used] = np.arange(len(used), dtype=index_dtype)
        # each text's tokens are already one row of a CSR matrix (duplicates unsorted): summing them in place holds
        # a column index and a count per token, not the row, column and count triples of a COO matrix
        matrix = sp.csr_matrix((np.ones(len(self.ids), dtype=dtype), column_of[self.ids], self.offsets.astype(index_dtype)),
                               shape=(self.n_texts, len(used)))
        matrix.sum_duplicates()
        vocabulary = {str(token): column for column, token in enumerate(self.vocabulary[used])}
        return vocabulary, matrix

    def take(self, rows: np.ndarray) -> EncodedTexts:
        """The texts at positions ``rows`` (in that order), with the same vocabulary."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = np.diff(self.offsets)[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.empty(int(offsets[-1]), dtype=self.ids.dtype)
        for start in range(0, len(rows), TAKE_BLOCK_ROWS):  # the token positions of a block of texts at a time: for
            stop = min(start + TAKE_BLOCK_ROWS, len(rows))  # all of them at once, 8 bytes per token twice over
            shift = self.offsets[:-1][rows[start:stop]] - offsets[start:stop]  # (4.6 GB for a million pages' tokens)
            positions = np.repeat(shift, lengths[start:stop])
            positions += np.arange(offsets[start], offsets[stop], dtype=np.int64)
            ids[offsets[start] : offsets[stop]] = self.ids[positions]
        return EncodedTexts(ids=ids, offsets=offsets, vocabulary=self.vocabulary)


#: Texts whose token positions :meth:`EncodedTexts.take` works out at a time (about 4 million tokens of news pages).
TAKE_BLOCK_ROWS = 16_384


def encode_texts(texts: Sequence[str], tokenizers: Sequence[Tokenizer], *, memo: Memo | None = None) -> list[EncodedTexts]:
    """Each tokenizer's counted tokens of ``texts``, tokenising each text as few times as possible.

    The first tokenizer reads every text; every other one only the texts whose preprocessed form differs
    (e.g. the half that contains a machine-translation variant). The tokenizers must share one stop list.

    Parameters
    ----------
    texts : sequence of str
        The texts, e.g. the documents table's ``body`` (missing values as "").
    tokenizers : sequence of Tokenizer
        From :meth:`~corpus_utils.text.tokenizer.Tokenizer.from_parameters`.
    memo : Memo, optional
        Where encodings are kept: with every tokenizer's encoding of these texts already stored, they are read
        back (same ids, offsets and vocabulary as computing them); with every text held by an earlier stored entry
        of the same tokenizer (a superset, in any order), they are taken from it (same tokens; single words
        numbered in order of first occurrence, as when computed, and only the counted ones listed); otherwise all
        are computed and stored under a SHA-256 of the texts (:func:`~corpus_utils.core.memo.digest_hashes`) and
        each tokenizer's ``key``. Texts of several paragraphs are encoded paragraph by paragraph, and only the
        paragraphs' encoding is stored: the documents of a corpus and any of their paragraphs (the units a later
        notebook models) are read from one entry.

    Returns
    -------
    list of EncodedTexts
        In the order of ``tokenizers``; all share one vocabulary.

    Notes
    -----
    Cost: one pass of the tokenizer's preprocessor and splitter per text (a few tens of seconds per 100,000
    pages), plus a preprocessor pass and the changed texts' splitting per further tokenizer; reading a stored
    encoding, or taking a subset of one, takes a second or two. Memory and disk: four bytes per counted token and
    tokenizer, and 16 bytes per text.
    """
    if not tokenizers:
        return []
    if len({tokenizer.stop_words for tokenizer in tokenizers}) > 1:
        raise ValueError("encode_texts: the tokenizers must share one stop list")
    texts = texts_of(texts)
    if memo is None:
        return _encode_all(texts, tokenizers)
    index_key = memo_key(texts=digest_texts(texts), tokenizers=[tokenizer.key for tokenizer in tokenizers])
    indexed = _read_through_index(memo, index_key)
    if indexed is not None:
        return indexed
    bounds = None
    if any(PARAGRAPH_SEPARATOR in text for text in texts):  # stored paragraph by paragraph: see _Paragraphs
        texts = _Paragraphs(texts)
        bounds = texts.bounds
    encoded, index = _encode_through(memo, texts, tokenizers)
    if bounds is not None:
        index["bounds"] = bounds
    memo.store(INDEX_KIND, index_key, index)
    return encoded if bounds is None else [texts.joined(one) for one in encoded]


def _encode_through(memo: Memo, texts: Sequence[str], tokenizers: Sequence[Tokenizer]) -> tuple[list[EncodedTexts], dict]:
    """:func:`encode_texts` with a memo, for texts of one paragraph each; and the index of where it is stored
    (:func:`_read_through_index`)."""
    hashes = text_hashes(texts)
    keys = [memo_key(texts=digest_hashes(hashes), tokenizer=tokenizer.key) for tokenizer in tokenizers]
    index = {"entries": np.asarray(keys)}
    stored = [memo.load(MEMO_KIND, key) for key in keys]
    if any(found is None for found in stored):
        with memo.lock(MEMO_KIND, keys[0]):  # a second process asking for the same texts waits for this one's result
            stored = [memo.load(MEMO_KIND, key) for key in keys]
            if any(found is None for found in stored):
                taken = _taken_from_stored(memo, hashes, tokenizers)
                if taken is not None:  # part of a stored entry: not stored twice
                    return taken
                encoded = _encode_all(texts, tokenizers)
                for key, tokenizer, one in zip(keys, tokenizers, encoded):
                    memo.store(MEMO_KIND, key, _arrays(one, hashes, _made_by(tokenizer)))
                return encoded, index
    return _shared_vocabulary([_from_arrays(found) for found in stored]), index


def _read_through_index(memo: Memo, key: str) -> list[EncodedTexts] | None:
    """:func:`encode_texts`'s result read from the entries its index (stored under ``key``, a hash of the texts as
    given) names: no hash of each text or paragraph (1.5 s per 100,000 pages), no paragraph split. The index lists
    each tokenizer's entry (``entries``), the rows taken from it when the texts are part of one (``rows_<i>``), and
    where each text's paragraphs begin (``bounds``, when the texts were stored paragraph by paragraph). None when
    there is no index, or an entry it names has gone (:data:`~corpus_utils.core.memo.KEEP_ENTRIES`)."""
    index = memo.load(INDEX_KIND, key)
    if index is None:
        return None
    encoded = []
    for number, entry in enumerate(index["entries"].tolist()):
        arrays = memo.load(MEMO_KIND, str(entry))
        if arrays is None:
            return None
        one = _from_arrays(arrays)
        encoded.append(one.take(index[f"rows_{number}"]) if f"rows_{number}" in index else one)
    encoded = _numbered_by_first_occurrence(_shared_vocabulary(encoded)) if "rows_0" in index else _shared_vocabulary(encoded)
    bounds = index.get("bounds")
    return encoded if bounds is None else [replace(one, offsets=one.offsets[bounds]) for one in encoded]


class _Paragraphs(Sequence):
    """The paragraphs of ``texts`` in order (``text.split(PARAGRAPH_SEPARATOR)``, empty ones included), cut out a
    slice at a time, so that a corpus is never held twice. No token or phrase spans a paragraph break, so a text's
    encoding is its paragraphs' encodings one after the other (:meth:`joined`)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.bounds = np.zeros(len(texts) + 1, dtype=np.int64)  # text t holds paragraphs bounds[t]:bounds[t + 1]
        np.cumsum([text.count(PARAGRAPH_SEPARATOR) + 1 for text in texts], out=self.bounds[1:])

    def __len__(self) -> int:
        return int(self.bounds[-1])

    def __iter__(self):
        for text in self.texts:
            yield from text.split(PARAGRAPH_SEPARATOR)

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0] if item >= 0 else self[len(self) + item]
        start, stop, _ = item.indices(len(self))
        if start >= stop:
            return []
        first, last = np.searchsorted(self.bounds, [start, stop - 1], side="right") - 1
        pieces = [paragraph for text in self.texts[first : last + 1] for paragraph in text.split(PARAGRAPH_SEPARATOR)]
        return pieces[start - self.bounds[first] : stop - self.bounds[first]]

    def stored_part(self, start: int, stop: int) -> StoredPart | None:
        """Paragraphs ``start:stop`` as the corpus store's rows of the texts holding them, which a Dask worker reads
        and splits (:func:`~corpus_utils.core.stored.stored_part`); None when those texts are not the store's."""
        if start >= stop:
            return None
        first, last = (int(bound) for bound in np.searchsorted(self.bounds, [start, stop - 1], side="right") - 1)
        texts = stored_part(self.texts, first, last + 1)
        offset = int(self.bounds[first])
        return None if texts is None else replace(texts, split=(PARAGRAPH_SEPARATOR, start - offset, stop - offset))

    def joined(self, paragraphs: EncodedTexts) -> EncodedTexts:
        """The texts' encoding from their paragraphs' encoding."""
        return EncodedTexts(ids=paragraphs.ids, offsets=paragraphs.offsets[self.bounds], vocabulary=paragraphs.vocabulary)


def _made_by(tokenizer: Tokenizer) -> str:
    """What a stored entry is matched on when its texts are taken from it: the tokenizer's key and the code that
    tokenised (:func:`~corpus_utils.core.memo.memo_key`), so an entry another version of the code made is not."""
    return memo_key(tokenizer=tokenizer.key)


def _taken_from_stored(memo: Memo, hashes: np.ndarray,
                       tokenizers: Sequence[Tokenizer]) -> tuple[list[EncodedTexts], dict] | None:
    """Each tokenizer's encoding of the texts of ``hashes`` taken from a stored entry that holds them all, and the
    index of where they were taken from (:func:`_read_through_index`); None when one tokenizer has no such entry."""
    taken, index = [], {}
    for number, tokenizer in enumerate(tokenizers):
        for key in memo.keys(MEMO_KIND):
            head = memo.load(MEMO_KIND, key, names=("tokenizer", "text_hashes"))
            if head is None or str(head["tokenizer"]) != _made_by(tokenizer):
                continue
            rows = _rows_holding(hashes, head["text_hashes"])
            arrays = memo.load(MEMO_KIND, key) if rows is not None else None
            if arrays is not None:
                taken.append(_from_arrays(arrays).take(rows))
                index[f"rows_{number}"] = rows
                index.setdefault("entries", []).append(key)
                break
        else:
            return None
    return _numbered_by_first_occurrence(_shared_vocabulary(taken)), {**index, "entries": np.asarray(index["entries"])}


def _rows_holding(wanted: np.ndarray, stored: np.ndarray) -> np.ndarray | None:
    """For each hash of ``wanted``, a row of ``stored`` with the same hash; None when one is missing."""
    stored_keys = np.ascontiguousarray(stored, dtype=np.uint8).view("V16").ravel()
    wanted_keys = np.ascontiguousarray(wanted, dtype=np.uint8).view("V16").ravel()
    unique, first = np.unique(stored_keys, return_index=True)
    if len(unique) == 0:
        return first if len(wanted_keys) == 0 else None
    at = np.minimum(np.searchsorted(unique, wanted_keys), len(unique) - 1)
    return first[at] if np.array_equal(unique[at], wanted_keys) else None


def _numbered_by_first_occurrence(encoded: list[EncodedTexts]) -> list[EncodedTexts]:
    """The encodings with their counted tokens renumbered in order of first occurrence (the first encoding, then
    the others), and only those tokens in the vocabulary."""
    every = np.concatenate([one.ids for one in encoded])
    first = np.full(len(encoded[0].vocabulary), len(every), dtype=np.int64)
    np.minimum.at(first, every, np.arange(len(every), dtype=np.int64))  # each id's first position
    used = np.flatnonzero(first < len(every))
    order = used[np.argsort(first[used], kind="stable")]
    new_id = np.zeros(len(encoded[0].vocabulary), dtype=np.int32)
    new_id[order] = np.arange(len(order), dtype=np.int32)
    vocabulary = encoded[0].vocabulary[order]
    return [EncodedTexts(ids=new_id[one.ids], offsets=one.offsets, vocabulary=vocabulary) for one in encoded]


def _encode_all(texts: Sequence[str], tokenizers: Sequence[Tokenizer]) -> list[EncodedTexts]:
    """Each tokenizer's encoding of ``texts``: on the active Dask scheduler's workers when there is one, else here
    (in a process per core from :data:`POOL_MIN_TEXTS` texts)."""
    scheduler = active()
    if scheduler is None or not len(texts):
        jobs = min(available_cores(), -(-len(texts) // _CHUNK_TEXTS)) if len(texts) >= POOL_MIN_TEXTS else 1
        with in_this_process(), stage("tokenising", items=len(texts)):
            if jobs > 1:
                try:
                    return _encode_in_pool(texts, tokenizers, jobs)
                except (OSError, BrokenProcessPool) as exc:
                    warnings.warn(f"could not tokenise in {jobs} processes ({exc}); tokenising in this process instead "
                                  "(same tokens, slower)", RuntimeWarning, stacklevel=3)
            return _encode_here(texts, tokenizers=tokenizers)
    with stage("tokenising", items=len(texts)):
        return _encode_on(scheduler, texts, tokenizers)


def _partition_size(n_texts: int, n_parts: int, *, most: int | None = None) -> int:
    """Texts per contiguous partition, for about ``n_parts`` of them (at most ``most`` texts each): a whole number of
    :data:`_CHUNK_TEXTS` chunks, so that the partitions' encodings joined in order are those of one pass."""
    per_part = -(-n_texts // max(1, n_parts))
    chunks = -(-per_part // _CHUNK_TEXTS)
    if most is not None:
        chunks = min(chunks, most // _CHUNK_TEXTS)
    return _CHUNK_TEXTS * max(1, chunks)


def _encode_in_pool(texts: Sequence[str], tokenizers: Sequence[Tokenizer], jobs: int) -> list[EncodedTexts]:
    """:func:`_encode_here` of contiguous partitions (at most :data:`PARTITION_TEXTS` texts each) in ``jobs``
    processes, joined here: the ids of one pass. The texts done are counted here (:func:`progress_bar`), a partition at
    a time, as the pool's processes count none."""
    size = _partition_size(len(texts), jobs, most=PARTITION_TEXTS)
    starts = range(0, len(texts), size)
    parts = (list(texts[start : start + size]) for start in starts)  # cut as the pool asks for them
    encoded = []
    with progress_bar(len(texts), "tokenising", unit="text") as bar:
        with process_pool(min(jobs, len(starts)), preload=__name__) as pool:
            results = ordered_map(pool, partial(_encode_quietly, tokenizers=list(tokenizers), chunk=_CHUNK_TEXTS), parts,
                                  ahead=2 * jobs)
            for start, result in zip(starts, results):  # the parts in order, counted as each one is back
                encoded.append(result)
                bar.update(min(size, len(texts) - start))
    return _joined(encoded)


def _encode_quietly(texts: list[str], tokenizers: list[Tokenizer], chunk: int) -> list[EncodedTexts]:
    """:func:`_encode_here` in a pool's process, without a progress bar of its own (:func:`_encode_in_pool` counts the texts)."""
    os.environ[PROGRESS_ENV_VAR] = "0"
    return _encode_here(texts, tokenizers=tokenizers, chunk=chunk)


def _encode_on(scheduler: DaskScheduler, texts: Sequence[str], tokenizers: Sequence[Tokenizer]) -> list[EncodedTexts]:
    """:func:`_encode_here` of contiguous partitions on the workers, joined here.

    Every partition but the last holds a whole number of :data:`_CHUNK_TEXTS` chunks, so the tokens meet the
    vocabulary in the order of one pass here: joined partition after partition, the ids are that pass's ids.
    """
    size = _partition_size(len(texts), 2 * scheduler.n_workers, most=PARTITION_TEXTS)  # two per worker
    parts = (scheduler.cut(texts, start, min(start + size, len(texts))) for start in range(0, len(texts), size))
    return _joined(scheduler.map(_encode_here, parts, tokenizers=list(tokenizers), chunk=_CHUNK_TEXTS))


def _joined(parts: list[list[EncodedTexts]]) -> list[EncodedTexts]:
    """Encodings of consecutive partitions (each with its own vocabulary, in first-occurrence order) as one encoding
    of all their texts: one vocabulary in first-occurrence order over the partitions, ids and offsets concatenated.

    Each partition's ids are copied into the joined arrays and then dropped from ``parts`` (which this empties), so
    the join holds the ids once, not twice.
    """
    index: dict[str, int] = {}
    mappings = [np.fromiter((index.setdefault(token, len(index)) for token in part[0].vocabulary), dtype=np.int32,
                            count=len(part[0].vocabulary)) for part in parts]
    vocabulary = np.asarray(list(index), dtype=object)
    joined = []
    for number in range(len(parts[0]) if parts else 0):
        ids = np.empty(sum(part[number].ids.size for part in parts), dtype=np.int32)
        offsets = np.empty(sum(part[number].n_texts for part in parts) + 1, dtype=np.int64)
        offsets[0] = token = text = 0
        for mapping, part in zip(mappings, parts):
            piece, part[number] = part[number], None
            ids[token : token + piece.ids.size] = mapping[piece.ids]
            offsets[text + 1 : text + 1 + piece.n_texts] = piece.offsets[1:] + token
            token, text = token + piece.ids.size, text + piece.n_texts
        joined.append(EncodedTexts(ids=ids, offsets=offsets, vocabulary=vocabulary))
    parts.clear()
    return joined


def _encode_here(texts: Sequence[str], *, tokenizers: Sequence[Tokenizer], chunk: int | None = None) -> list[EncodedTexts]:
    """Each tokenizer's encoding of ``texts``, tokenised in this process ``chunk`` texts at a time (default
    :data:`_CHUNK_TEXTS`)."""
    index: defaultdict = defaultdict()
    index.default_factory = index.__len__
    encoded, changed = _encode(texts, [(tokenizer.preprocess, tokenizer.split) for tokenizer in tokenizers], index,
                               chunk or _CHUNK_TEXTS)
    base_ids, base_lengths = encoded[0]
    streams = [encoded[0]] + [
        _splice(base_ids, base_lengths, mask, ids, lengths) for (ids, lengths), mask in zip(encoded[1:], changed[1:])
    ]
    stop_set = tokenizers[0].stop_words
    vocabulary = np.asarray(list(index), dtype=object)
    stops = np.fromiter((token in stop_set for token in vocabulary), dtype=bool, count=len(vocabulary))
    return [_drop_stops(ids, lengths, stops, vocabulary) for ids, lengths in streams]


def _encode(texts: Sequence[str], steps: list[tuple[Callable, Callable]], index: defaultdict, chunk_texts: int):
    """Token ids (concatenated) and tokens per text under the first ``(preprocess, tokenize)`` pair of
    ``steps``; under every further pair, the same for the texts whose preprocessed form differs, with a
    mask of those texts. ``index`` (token → id) grows with new tokens, in order of first occurrence."""
    lookup = index.__getitem__
    ids: list[list[np.ndarray]] = [[] for _ in steps]
    lengths: list[list[np.ndarray]] = [[] for _ in steps]
    changed = [np.zeros(len(texts), dtype=bool) for _ in steps]
    (preprocess, tokenize), others = steps[0], list(enumerate(steps[1:], start=1))
    with progress_bar(len(texts), "tokenising", unit="text") as bar:
        for start in range(0, len(texts), chunk_texts):
            chunk = texts[start : start + chunk_texts]
            prepared = [preprocess(body) for body in chunk]
            tokens, counts = _split_chunk(prepared, tokenize)
            encoded = pc.dictionary_encode(tokens)
            known = np.fromiter(map(lookup, encoded.dictionary.to_pylist()), dtype=np.int32, count=len(encoded.dictionary))
            ids[0].append(known[encoded.indices.to_numpy(zero_copy_only=False)] if len(tokens) else np.zeros(0, np.int32))
            lengths[0].append(counts)
            for number, (other_preprocess, other_tokenize) in others:
                other_ids, other_lengths = array("i"), array("q")
                for offset, (body, text) in enumerate(zip(chunk, prepared)):
                    other = other_preprocess(body)
                    if other != text:
                        words = other_tokenize(other)
                        other_ids.extend(map(lookup, words))
                        other_lengths.append(len(words))
                        changed[number][start + offset] = True
                ids[number].append(np.frombuffer(other_ids, dtype=np.int32))
                lengths[number].append(np.frombuffer(other_lengths, dtype=np.int64))
            bar.update(len(chunk))
    as_arrays = [(np.concatenate(i) if i else np.zeros(0, np.int32), np.concatenate(n) if n else np.zeros(0, np.int64))
                 for i, n in zip(ids, lengths)]
    return as_arrays, changed


def _split_chunk(texts: list[str], tokenize: Callable) -> tuple[pa.Array, np.ndarray]:
    """The words of preprocessed ``texts`` (as ``tokenize`` splits them), concatenated in order, and their number per
    text. Texts whose word characters are all ASCII are split by Arrow's compiled regex engine (:data:`ASCII_SPLIT`: runs of
    word characters and single inner hyphens, ends trimmed of hyphens — what ``\\w+(?:-\\w+)*`` finds in ASCII);
    the others (Chinese, accented letters…) by ``tokenize``. A dash or an ideographic comma is a separator either way. ``tests/test_encoded.py`` checks both give the same words."""
    array = pa.array(texts, type=pa.large_string())
    plain = ascii_words_only(texts)
    fast, slow = np.flatnonzero(plain), np.flatnonzero(~plain)
    pieces = pc.split_pattern_regex(array.take(pa.array(fast)), ASCII_SPLIT)
    words = pc.utf8_trim(pc.list_flatten(pieces), "-")
    owners = fast[pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False)]
    nonempty = pc.binary_length(words).to_numpy(zero_copy_only=False) > 0
    words, owners = words.filter(pa.array(nonempty)), owners[nonempty]
    if slow.size:
        split = [tokenize(texts[position]) for position in slow]
        words = pa.concat_arrays([words, pa.array([word for part in split for word in part], type=pa.large_string())])
        owners = np.concatenate([owners, np.repeat(slow, [len(part) for part in split])])
        order = np.argsort(owners, kind="stable")  # each text's words stay in their order
        words, owners = words.take(pa.array(order)), owners[order]
    return words, np.bincount(owners, minlength=len(texts)).astype(np.int64)


def _splice(ids: np.ndarray, lengths: np.ndarray, changed: np.ndarray, new_ids: np.ndarray, new_lengths: np.ndarray):
    """``ids``/``lengths`` with the texts flagged in ``changed`` replaced by ``new_ids``/``new_lengths``."""
    lengths_out = lengths.copy()
    lengths_out[changed] = new_lengths
    out = np.empty(int(lengths_out.sum()), dtype=np.int32)
    from_new = np.repeat(changed, lengths_out)
    out[~from_new] = ids[~np.repeat(changed, lengths)]
    out[from_new] = new_ids
    return out, lengths_out


def _drop_stops(ids: np.ndarray, lengths: np.ndarray, stops: np.ndarray, vocabulary: np.ndarray) -> EncodedTexts:
    keep = ~stops[ids]
    kept_through = np.cumsum(keep, dtype=np.int32 if len(keep) < 2**31 else np.int64)  # kept tokens up to each token
    ends = np.cumsum(lengths)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    offsets[1:][ends > 0] = kept_through[ends[ends > 0] - 1]
    return EncodedTexts(ids=ids[keep], offsets=offsets, vocabulary=vocabulary)


def _arrays(encoded: EncodedTexts, hashes: np.ndarray, made_by: str) -> dict[str, np.ndarray]:
    """Plain arrays to store: the vocabulary as one UTF-8 buffer and each token's byte length, each text's hash and
    what made them (:func:`_made_by`: what a later list of texts is matched against)."""
    raw = [str(token).encode("utf-8", "surrogatepass") for token in encoded.vocabulary]
    return {"ids": encoded.ids, "offsets": encoded.offsets, "vocabulary_utf8": np.frombuffer(b"".join(raw), dtype=np.uint8),
            "vocabulary_lengths": np.fromiter(map(len, raw), dtype=np.int64, count=len(raw)), "text_hashes": hashes,
            "tokenizer": np.asarray(made_by)}


def _from_arrays(arrays: dict) -> EncodedTexts:
    buffer = arrays["vocabulary_utf8"].tobytes()
    ends = np.cumsum(arrays["vocabulary_lengths"]).tolist()
    starts = [0] + ends[:-1]
    vocabulary = np.asarray([buffer[start:end].decode("utf-8", "surrogatepass") for start, end in zip(starts, ends)], dtype=object)
    return EncodedTexts(ids=np.asarray(arrays["ids"], dtype=np.int32), offsets=np.asarray(arrays["offsets"], dtype=np.int64),
                        vocabulary=vocabulary)


def _shared_vocabulary(encoded: list[EncodedTexts]) -> list[EncodedTexts]:
    """The encodings re-indexed into the first one's vocabulary (extended by tokens only the others have)."""
    first = encoded[0]
    index = {token: position for position, token in enumerate(first.vocabulary)}
    shared = [first]
    for other in encoded[1:]:
        mapping = np.fromiter((index.setdefault(token, len(index)) for token in other.vocabulary), dtype=np.int32,
                              count=len(other.vocabulary))
        shared.append(EncodedTexts(ids=mapping[other.ids] if len(other.ids) else other.ids, offsets=other.offsets, vocabulary=None))
    vocabulary = np.asarray(list(index), dtype=object)
    return [EncodedTexts(ids=one.ids, offsets=one.offsets, vocabulary=vocabulary) for one in shared]
