"""Reused boilerplate: near-duplicate paragraphs across documents, template families, and their removal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.columns import TEXT_DTYPE, as_str, select_rows, take_rows, texts_of
from ..core.scheduler import active, map_in_parts
from ..core.memo import Memo, digest_arrays, digest_hashes, digest_texts, memo_key, text_hashes
from ..core.words import PARAGRAPH_SEPARATOR, count_words_many
from ..input.load import load_paragraphs
from .dask_join import similar_pairs_on_dask
from .prefixjoin import _GrowingComponents, _NUM_PERM, _TooManyPairs, _check_budget, _similar_components, _similar_pairs
from .shingles import _DistinctTexts, _fingerprints_here, _normal_form_version

__all__ = ["TooManyPairsError", "near_duplicate_paragraphs", "template_families", "remove_boilerplate"]

_PARAGRAPH_COLUMNS = ("doc_id", "paragraph", "text")
_PAIR_COLUMNS = ["doc_id_a", "paragraph_a", "doc_id_b", "paragraph_b", "similarity", "text_a", "text_b"]
_FAMILY_COLUMNS = ["family", "doc_id", "paragraph", "text", "n_documents"]
#: Kinds of the stored entries (:class:`~corpus_utils.core.memo.Memo`): the similar pairs of distinct texts, and
#: their connected components (either gives the components; only the pairs give the pairs).
PAIRS_KIND, COMPONENTS_KIND = "paragraph-pairs", "paragraph-families"
#: Kind of the stored fingerprints of the paragraphs a join takes (the 16-byte hash of each one's normal form).
FINGERPRINTS_KIND = "paragraph-fingerprints"


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


def _join_key(texts: list[str], threshold: float, shingle_size: int) -> str:
    """The memo key of a join: the distinct normalised texts and the settings that decide which pairs are linked."""
    hashes = texts.fingerprints if isinstance(texts, _DistinctTexts) else text_hashes(texts)
    return memo_key(texts=digest_hashes(hashes), threshold=float(threshold), shingle_size=int(shingle_size), method=_NUM_PERM)


def _joined_pairs(texts: _DistinctTexts | list[str], threshold: float, shingle_size: int, weights: np.ndarray | None = None,
                  budget: int | None = None) -> pd.DataFrame:
    """:func:`~.prefixjoin._similar_pairs` (with its budget) in this process, or on the active scheduler's workers
    (:func:`~.dask_join.similar_pairs_on_dask`, the budget checked on the pairs found)."""
    scheduler = active()
    if scheduler is None or not isinstance(texts, _DistinctTexts):
        return _similar_pairs(texts, threshold, shingle_size, weights=weights, budget=budget)
    pairs = similar_pairs_on_dask(scheduler, texts, threshold, shingle_size)
    if weights is not None and budget is not None:
        _check_budget(pairs["i"].to_numpy() * len(texts) + pairs["j"].to_numpy(), len(texts), weights, budget)
    return pairs


def _joined_components(texts: _DistinctTexts | list[str], threshold: float, shingle_size: int) -> np.ndarray:
    """:func:`~.prefixjoin._similar_components` in this process, or the components of the pairs found on the active
    scheduler's workers."""
    scheduler = active()
    if scheduler is None or not isinstance(texts, _DistinctTexts):
        return _similar_components(texts, threshold, shingle_size)
    pairs = similar_pairs_on_dask(scheduler, texts, threshold, shingle_size)
    components = _GrowingComponents(len(texts))
    components.link(pairs["i"].to_numpy(), pairs["j"].to_numpy())
    return components.labels()


def _stored_similar_pairs(texts: list[str], threshold: float, shingle_size: int, weights: np.ndarray, budget: int,
                          memo: Memo | None) -> pd.DataFrame:
    """:func:`_similar_pairs` (with its budget), read from ``memo`` when this join was stored, else computed and stored."""
    if memo is None:
        return _joined_pairs(texts, threshold, shingle_size, weights=weights, budget=budget)
    def compute() -> dict[str, np.ndarray]:
        found = _joined_pairs(texts, threshold, shingle_size, weights=weights, budget=budget)
        return {name: found[name].to_numpy() for name in ("i", "j", "similarity")}

    arrays = memo.get_or_compute(PAIRS_KIND, _join_key(texts, threshold, shingle_size), compute)
    _check_budget(arrays["i"] * len(texts) + arrays["j"], len(texts), weights, budget)  # as if found now
    return pd.DataFrame({name: arrays[name] for name in ("i", "j", "similarity")})


def _stored_similar_components(texts: list[str], threshold: float, shingle_size: int, memo: Memo | None) -> np.ndarray:
    """:func:`_similar_components`, from the stored pairs or components of this join in ``memo`` when there are
    some, else computed and stored."""
    if memo is None:
        return _joined_components(texts, threshold, shingle_size)
    key = _join_key(texts, threshold, shingle_size)
    pairs = memo.load(PAIRS_KIND, key)
    if pairs is not None:
        components = _GrowingComponents(len(texts))
        components.link(pairs["i"], pairs["j"])
        return components.labels()
    return memo.get_or_compute(COMPONENTS_KIND, key, lambda: {"component": _joined_components(texts, threshold, shingle_size)})["component"]


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
        parts = map_in_parts(_fingerprints_here, frame, stage_name="normalising paragraphs", processes=True)
        return {"fingerprints": np.concatenate([np.zeros((0, 16), dtype=np.uint8), *parts])}

    if memo is None:
        return compute()["fingerprints"]
    key = memo_key(texts=digest_texts(texts_of(text)), eligible=digest_arrays(np.asarray(eligible, dtype=bool)),
                   normal_form=_normal_form_version())
    return memo.get_or_compute(FINGERPRINTS_KIND, key, compute)["fingerprints"]


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
