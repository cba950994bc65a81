"""Reused boilerplate: near-duplicate paragraphs across documents, template families, and their removal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .load import PARAGRAPH_SEPARATOR, count_words, load_paragraphs

__all__ = ["near_duplicate_paragraphs", "template_families", "remove_boilerplate", "shingle_matrix"]

_PARAGRAPH_COLUMNS = ("doc_id", "paragraph", "text")
_PAIR_COLUMNS = ["doc_id_a", "paragraph_a", "doc_id_b", "paragraph_b", "similarity", "text_a", "text_b"]
_FAMILY_COLUMNS = ["family", "doc_id", "paragraph", "text", "n_documents"]
_NUM_PERM = 64  # MinHash functions; bands × rows are chosen from the threshold (see _lsh_shape)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(0x100000001B3)
_CHUNK_ROWS = 50_000
_CHUNK_PAIRS = 500_000


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


def _normalise(texts: pd.Series) -> pd.Series:
    """Lower-cased word tokens joined by single spaces (punctuation, case and spacing ignored)."""
    return texts.fillna("").astype(str).str.lower().str.findall(r"\w+").str.join(" ")


def _shingle_hashes(texts: list[str], shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, shingle hash) for every word shingle of ``texts``; a text shorter than a shingle is one shingle."""
    rows, hashes = [], []
    for start in range(0, len(texts), _CHUNK_ROWS):
        chunk = texts[start : start + _CHUNK_ROWS]
        words = [text.split(" ") if text else [] for text in chunk]
        lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
        flat = np.asarray([word for text_words in words for word in text_words], dtype=object)
        if flat.size == 0:
            continue
        word_hash = pd.util.hash_array(flat, categorize=True).astype(np.uint64)
        ends = np.cumsum(lengths)
        begins = ends - lengths
        row_of_word = np.repeat(np.arange(len(chunk), dtype=np.int64), lengths)
        position = np.arange(flat.size, dtype=np.int64)
        end_of_word = ends[row_of_word]
        is_start = (position + shingle_size <= end_of_word) | ((position == begins[row_of_word]) & (lengths[row_of_word] < shingle_size))
        starts = position[is_start]
        value = np.zeros(starts.size, dtype=np.uint64)
        limit = end_of_word[is_start]
        for offset in range(shingle_size):
            take = starts + offset
            inside = take < limit
            factor = np.uint64(pow(int(_PRIME), offset, 2**64))
            value += np.where(inside, word_hash[np.minimum(take, flat.size - 1)], np.uint64(0)) * factor
        rows.append(row_of_word[is_start] + start)
        hashes.append(_mix(value))
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(rows), np.concatenate(hashes)


def shingle_matrix(texts: pd.Series | list[str], *, shingle_size: int = 5) -> tuple[sp.csr_matrix, np.ndarray]:
    """Binary sparse matrix of hashed word shingles (texts × distinct shingles).

    Parameters
    ----------
    texts : Series or list of str
        Raw texts; they are lower-cased and reduced to word tokens first.
    shingle_size : int
        Words per shingle; a text with fewer words is a single shingle.

    Returns
    -------
    (scipy.sparse.csr_matrix, numpy.ndarray)
        The uint8 matrix (one row per text, in order) and the 64-bit hash of each column's shingle.
        Cost: O(total words) time and memory.
    """
    normalised = _normalise(pd.Series(list(texts), dtype=object)).tolist()
    rows, hashes = _shingle_hashes(normalised, int(shingle_size))
    columns, inverse = np.unique(hashes, return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.uint8), (rows, inverse.ravel())), shape=(len(normalised), columns.size)
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix, columns


def _lsh_shape(threshold: float) -> tuple[int, int]:
    """(bands, rows per band) for MinHash LSH: the fewest hash functions (≤ 64) that find a pair at
    ``threshold`` with probability ≥ 0.995 while a pair at half the threshold becomes a candidate with
    probability ≤ 0.5 (candidates are verified exactly, so this only bounds wasted work)."""
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


def _similar_pairs(texts: list[str], threshold: float, shingle_size: int) -> pd.DataFrame:
    """Pairs of distinct normalised texts with shingle Jaccard ≥ threshold: columns i, j (i < j), similarity.

    Candidates come from MinHash LSH (at most 64 hash functions, banded for ``threshold``), then every candidate
    is verified exactly on the sparse shingle matrix, so no reported pair is below the threshold.
    """
    n = len(texts)
    empty = pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64), "similarity": np.zeros(0)})
    if n < 2:
        return empty
    rows, hashes = _shingle_hashes(texts, shingle_size)
    columns, inverse = np.unique(hashes, return_inverse=True)
    matrix = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, inverse.ravel())), shape=(n, columns.size))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    sizes = np.diff(matrix.indptr)
    present = sizes > 0
    bands, band_rows = _lsh_shape(threshold)
    candidates = []
    column_hash = columns
    indptr = matrix.indptr
    starts = indptr[:-1][present]
    row_ids = np.flatnonzero(present)
    for band in range(bands):
        key = np.zeros(row_ids.size, dtype=np.uint64)
        for step in range(band_rows):
            seed = np.uint64(((band * band_rows + step + 1) * int(_GOLDEN)) % 2**64)
            permuted = _mix(column_hash ^ seed)[matrix.indices]
            minimum = np.minimum.reduceat(permuted, starts) if starts.size else permuted[:0]
            key = _mix(key ^ minimum)
        first, second = _pairs_within_groups(key)
        candidates.append(np.minimum(row_ids[first], row_ids[second]) * n + np.maximum(row_ids[first], row_ids[second]))
    codes = np.unique(np.concatenate(candidates)) if candidates else np.zeros(0, dtype=np.int64)
    left, right = codes // n, codes % n
    small, large = np.minimum(sizes[left], sizes[right]), np.maximum(sizes[left], sizes[right])
    plausible = small >= threshold * large - 1e-9  # Jaccard ≤ |smaller| / |larger|
    left, right = left[plausible], right[plausible]
    kept_i, kept_j, kept_s = [], [], []
    for start in range(0, left.size, _CHUNK_PAIRS):
        a, b = left[start : start + _CHUNK_PAIRS], right[start : start + _CHUNK_PAIRS]
        shared = np.asarray(matrix[a].multiply(matrix[b]).sum(axis=1)).ravel()
        similarity = shared / (sizes[a] + sizes[b] - shared)
        keep = similarity >= threshold - 1e-9
        kept_i.append(a[keep])
        kept_j.append(b[keep])
        kept_s.append(similarity[keep])
    if not kept_i:
        return empty
    return pd.DataFrame({"i": np.concatenate(kept_i), "j": np.concatenate(kept_j), "similarity": np.concatenate(kept_s)})


def _eligible(paragraphs: pd.DataFrame, min_words: int) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Paragraphs with ≥ ``min_words`` words, their unique-text ids and the unique normalised texts."""
    table = paragraphs.reset_index(drop=True)
    n_words = table["n_words"] if "n_words" in table.columns else table["text"].fillna("").astype(str).map(count_words)
    table = table[n_words.to_numpy() >= min_words].reset_index(drop=True)
    normalised = _normalise(table["text"])
    codes, uniques = pd.factorize(normalised, sort=True)
    return table, codes.astype(np.int64), [str(text) for text in uniques]


def near_duplicate_paragraphs(
    paragraphs: pd.DataFrame,
    *,
    threshold: float = 0.8,
    shingle_size: int = 5,
    min_words: int = 8,
    max_pairs: int = 5_000_000,
) -> pd.DataFrame:
    """Pairs of paragraphs from different documents whose word-shingle Jaccard similarity is ≥ ``threshold``.

    Texts are compared after lower-casing and keeping word tokens only. Identical texts are grouped
    first (similarity 1); distinct texts are paired by MinHash LSH (at most 64 hash functions, fixed seeds,
    bands chosen so a pair at exactly ``threshold`` is found with probability ≥ 0.995; more similar
    pairs almost surely) and every candidate is verified exactly, so no pair below the threshold is
    reported. Cost: O(total words × hash functions) time (24 at threshold 0.8), O(total words) memory, plus the output; the output has
    one row per pair, so a paragraph copied into k documents gives k(k−1)/2 rows — use
    :func:`template_families` for corpus-wide boilerplate.

    Parameters
    ----------
    paragraphs : pandas.DataFrame
        Takes columns ``doc_id``, ``paragraph``, ``text`` and (optionally) ``n_words``, as returned by
        :func:`corpus_utils.load.load_paragraphs`.
    threshold : float
        Minimum Jaccard similarity of the two paragraphs' sets of word shingles, in (0, 1].
    shingle_size : int
        Words per shingle (a paragraph with fewer words is one shingle).
    min_words : int
        Shorter paragraphs (headings, captions) are ignored.
    max_pairs : int
        Raise ``ValueError`` rather than build more pairs than this.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id_a``, ``paragraph_a``, ``doc_id_b``, ``paragraph_b``, ``similarity`` (float),
        ``text_a``, ``text_b``; ``(doc_id_a, paragraph_a) < (doc_id_b, paragraph_b)``; sorted by
        similarity (descending), then ``doc_id_a``, ``paragraph_a``, ``doc_id_b``, ``paragraph_b``.
    """
    _check_paragraphs(paragraphs)
    _check_options(threshold, shingle_size, min_words)
    table, codes, uniques = _eligible(paragraphs, min_words)
    pairs = _similar_pairs(uniques, threshold, int(shingle_size))
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(uniques))
    offsets = np.r_[0, np.cumsum(counts)]
    # identical texts: every pair inside a group of equal codes
    same_a, same_b = _pairs_within_groups(codes)
    n_expanded = same_a.size + int((counts[pairs["i"].to_numpy()] * counts[pairs["j"].to_numpy()]).sum())
    if n_expanded > max_pairs:
        raise ValueError(
            f"{n_expanded} paragraph pairs would be returned (more than max_pairs={max_pairs}); some paragraphs are "
            "repeated in very many documents. Use template_families() for corpus-wide boilerplate, or raise max_pairs."
        )
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
    doc_ids = table["doc_id"].astype(str).to_numpy()
    numbers = table["paragraph"].to_numpy().astype(np.int64)
    different = doc_ids[first] != doc_ids[second]
    first, second, similarity = first[different], second[different], similarity[different]
    swap = (doc_ids[first] > doc_ids[second]) | ((doc_ids[first] == doc_ids[second]) & (numbers[first] > numbers[second]))
    a, b = np.where(swap, second, first), np.where(swap, first, second)
    texts = table["text"].astype(str).to_numpy()
    result = pd.DataFrame(
        {
            "doc_id_a": doc_ids[a],
            "paragraph_a": numbers[a],
            "doc_id_b": doc_ids[b],
            "paragraph_b": numbers[b],
            "similarity": similarity.astype(float),
            "text_a": texts[a],
            "text_b": texts[b],
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
) -> pd.DataFrame:
    """Families of reused paragraphs: connected groups of near-duplicates spanning ≥ ``min_documents`` documents.

    Two paragraphs are linked when their word-shingle Jaccard similarity is ≥ ``threshold`` (see
    :func:`near_duplicate_paragraphs` for the method); a family is a connected component of these
    links, so a template whose date or name changes from copy to copy stays one family. Only the
    distinct texts are compared, so a footer repeated in 100,000 documents costs no more than one.
    If ``paragraphs`` has a column ``duplicate_of`` (documents flagged as exact copies by the loader),
    a copy counts as the document it copies. Cost: as :func:`near_duplicate_paragraphs` without the
    pair expansion.

    Parameters
    ----------
    paragraphs : pandas.DataFrame
        Takes columns ``doc_id``, ``paragraph``, ``text``, optionally ``n_words`` and ``duplicate_of``.
    threshold, shingle_size, min_words
        As in :func:`near_duplicate_paragraphs`.
    min_documents : int
        Keep families found in at least this many different documents (≥ 2).

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
    table, codes, uniques = _eligible(paragraphs, min_words)
    if table.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in zip(_FAMILY_COLUMNS, ["int64", "string", "int64", "string", "int64"])})
    pairs = _similar_pairs(uniques, threshold, int(shingle_size))
    graph = sp.coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs["i"].to_numpy(), pairs["j"].to_numpy())), shape=(len(uniques), len(uniques))
    )
    _, component = connected_components(graph, directed=False)
    doc_ids = table["doc_id"].astype(str)
    owner = doc_ids
    if "duplicate_of" in table.columns:
        owner = table["duplicate_of"].astype("string").fillna(doc_ids.astype("string")).astype(str)
    members = pd.DataFrame(
        {
            "component": component[codes],
            "owner": owner.to_numpy(),
            "doc_id": doc_ids.to_numpy(),
            "paragraph": table["paragraph"].to_numpy().astype(np.int64),
            "text": table["text"].astype(str).to_numpy(),
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
    result = members.sort_values(["family", "doc_id", "paragraph"])[_FAMILY_COLUMNS].reset_index(drop=True)
    return result.astype({"family": "int64", "doc_id": "string", "paragraph": "int64", "text": "string", "n_documents": "int64"})


def remove_boilerplate(
    documents: pd.DataFrame,
    *,
    threshold: float = 0.8,
    min_documents: int = 2,
    shingle_size: int = 5,
    min_words: int = 8,
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
    threshold, min_documents, shingle_size, min_words
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
        repeated = sorted(documents.loc[documents["doc_id"].duplicated(), "doc_id"].astype(str).unique())[:5]
        raise ValueError(f"documents has repeated doc_id values {repeated}; give every document a unique doc_id")
    paragraphs = load_paragraphs(documents)
    if "duplicate_of" in documents.columns:
        paragraphs["duplicate_of"] = paragraphs["doc_id"].map(documents.set_index("doc_id")["duplicate_of"])
    families = template_families(
        paragraphs, threshold=threshold, shingle_size=shingle_size, min_words=min_words, min_documents=min_documents
    )
    flagged = pd.MultiIndex.from_frame(families[["doc_id", "paragraph"]].astype({"doc_id": str}))
    key = pd.MultiIndex.from_frame(paragraphs[["doc_id", "paragraph"]].astype({"doc_id": str}))
    boiler = key.isin(flagged)
    kept = paragraphs.loc[~boiler]
    bodies = kept.groupby("doc_id", sort=False)["text"].agg(lambda texts: PARAGRAPH_SEPARATOR.join(texts))
    removed = pd.Series(boiler, index=paragraphs.index).groupby(paragraphs["doc_id"].to_numpy()).sum()
    result = documents.copy()
    ids = result["doc_id"].astype(str)
    original_body = result["body"]
    had_body = original_body.notna()
    new_body = ids.map(bodies.rename(index=str)).astype("string").fillna("")
    result["body"] = new_body.where(had_body, original_body.astype("string"))
    result["n_words"] = result["body"].fillna("").astype(str).map(count_words).astype("int64")
    result["n_paragraphs"] = ids.map(kept.groupby("doc_id").size().rename(index=str)).fillna(0).astype("int64")
    result["n_boilerplate_paragraphs"] = ids.map(removed.rename(index=str)).fillna(0).astype("int64")
    return result
