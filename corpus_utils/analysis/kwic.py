"""Keyword in context, the full concordance and term positions: where the tokenizer sees a term, with the words as written."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.columns import as_str, take_rows, texts_of
from ..core.checks import check_whole_number
from ..core.scheduler import map_in_parts
from ..core.words import HAN, SHINGLE_WORD
from ..text.tokenizer import Tokenizer, token_occurrences
from .terms import TokenStream, check_documents, ngram_document_counts

__all__ = ["CONCORDANCE_COLUMNS", "SORT_KEYS", "concordance", "kwic", "sort_concordance", "term_positions"]


def _words_around(text: str, start: int, end: int, window: int) -> tuple[str, str]:
    """The ``window`` whitespace-separated words before ``start`` and after ``end``, read from a slice that grows
    until it holds one word more than needed (so its cut first or last word is never shown): the result of
    splitting the whole text, at a cost that does not grow with the document."""
    if not window:
        return "", ""
    reach = 16 * (window + 1)
    while True:
        before = text[max(0, start - reach) : start].split()
        if len(before) > window or reach >= start:
            break
        reach *= 4
    reach = 16 * (window + 1)
    while True:
        after = text[end : end + reach].split()
        if len(after) > window or end + reach >= len(text):
            break
        reach *= 4
    return " ".join(before[-window:]), " ".join(after[:window])


def _characters_around(text: str, start: int, end: int, chars: int) -> tuple[str, str]:
    left = " ".join(text[max(0, start - chars) : start].split()) if chars else ""
    return left, " ".join(text[end : end + chars].split()) if chars else ""


def _context(text: str, start: int, end: int, window: int, chars: int) -> tuple[str, str, str]:
    """(left, match, right): ``window`` words each side, or ``chars`` characters where the match touches Chinese
    (written without spaces, so a "word" of whitespace-split text would be a whole sentence)."""
    chinese = HAN.search(text, max(0, start - 1), min(len(text), end + 1)) is not None
    left, right = (_characters_around if chinese else _words_around)(text, start, end, chars if chinese else window)
    return left, " ".join(text[start:end].split()), right


def kwic(
    documents: pd.DataFrame,
    term: str,
    *,
    window: int = 6,
    chars: int = 15,
    limit: int | None = 20,
    tokenizer: Tokenizer | None = None,
) -> pd.DataFrame:
    """Keyword in context: every place the tokeniser sees ``term``, with the original words around it.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``body``.
    term : str
        A unigram or n-gram as it appears in the frequency tables (``"warning education"``,
        ``"two_safeguards"``). A formulation token finds each of its
        renderings ("two maintenance", "Two Safeguards"), and ``"procuratorate"`` also finds
        "hospital" when the tokenizer normalises MT variants. Stop words are skipped between the words of an n-gram,
        exactly as when counting.
    window : int
        Words of original text shown on each side.
    chars : int
        Characters shown on each side instead where the match is Chinese (or touches Chinese text).
    limit : int, optional
        Stop after this many matches (``None``: all).
    tokenizer : Tokenizer, optional
        The tokenizer of the counts (default ``Tokenizer()``).

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id``, ``left``, ``match`` (the original text that produced the term) and
        ``right``, in document order then position.

    Raises
    ------
    ValueError
        If ``term`` is empty or contains a stop word (it could never be counted), or ``window``/``limit``
        is negative.

    Notes
    -----
    Cost: a regex pre-filter document by document, tokenising only those that may contain the term,
    stopping at ``limit`` (so a frequent term costs a few documents, a rare one a scan of all bodies).
    """
    check_documents(documents)
    check_whole_number(limit, "limit", allow_none=True)
    rows = []
    for position, start, left, match, right in _hits(documents, term, window=window, chars=chars, tokenizer=tokenizer):
        rows.append((documents["doc_id"].iat[position], left, match, right))
        if limit is not None and len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=["doc_id", "left", "match", "right"]).astype({"doc_id": str})


def _hits(documents: pd.DataFrame, term: str, *, window: int, chars: int, tokenizer: Tokenizer | None,
          rows: np.ndarray | None = None, expected: np.ndarray | None = None):
    """Yield ``(row position, start, left, match, right)`` for each place the tokenizer sees ``term``, in document
    order; only the documents at ``rows`` when given (else those a regex pre-filter lets through). With ``expected``
    (the term's count in each of ``rows``), only the paragraphs the pre-filter lets through are tokenised."""
    check_whole_number(window, "window (words each side)", min_val=0)
    check_whole_number(chars, "chars (characters each side)", min_val=0)
    tokenizer = tokenizer or Tokenizer()
    words = tokenizer.term_words(term)
    may_contain = tokenizer.may_contain(words).search
    bodies = documents["body"]
    for index, position in enumerate(range(len(documents)) if rows is None else rows):
        text = bodies.iat[int(position)]
        text = "" if pd.isna(text) else str(text)
        if rows is None and not may_contain(text):
            continue
        spans = _paragraph_matches(text, words, tokenizer) if expected is not None else None
        if spans is None or len(spans) != expected[index]:
            spans = tokenizer.occurrence_spans(text, words)
        for start, end in spans:
            yield int(position), start, *_context(text, start, end, int(window), int(chars))


def _paragraph_matches(text: str, words: list[str], tokenizer: Tokenizer) -> list[tuple[int, int]]:
    """:meth:`~Tokenizer.occurrence_spans` within each paragraph where the term may be (:meth:`~Tokenizer.paragraphs_that_may_hold`),
    the others not read further.

    A document's tokens are its paragraphs' tokens one after the other (no token or phrase spans
    :data:`~corpus_utils.core.words.PARAGRAPH_SEPARATOR`), so this finds every occurrence but those of an n-gram
    running from one paragraph into the next; the caller compares the number found with the count.
    """
    found: list[tuple[int, int]] = []
    for first, last in tokenizer.paragraphs_that_may_hold(text, words):
        found += [(first + start, first + end) for start, end in tokenizer.occurrence_spans(text[first:last], words)]
    return found


#: The columns of :func:`concordance`, in order.
CONCORDANCE_COLUMNS: tuple[str, ...] = ("term", "doc_id", "date", "section", "title", "start", "left", "match", "right",
                                        "rendering")
#: Context positions :func:`sort_concordance` sorts by, as AntConc names them: ``1L`` is the word just left of the
#: match, ``2R`` the second word to its right.
CONTEXT_KEYS: tuple[str, ...] = tuple(f"{n}{side}" for side in "LR" for n in range(1, 6))
#: Every key :func:`sort_concordance` accepts.
SORT_KEYS: tuple[str, ...] = (*CONTEXT_KEYS, "term", "doc_id", "date", "section", "title", "rendering")


def concordance(
    documents: pd.DataFrame,
    terms: Sequence[str],
    *,
    tokenizer: Tokenizer,
    stream: TokenStream | None = None,
    window: int = 8,
    chars: int = 20,
) -> pd.DataFrame:
    """Every occurrence of each of ``terms``, with its context, date and section: a full concordance.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``body``; ``date``, ``section`` and ``title`` are carried when present.
    terms : sequence of str
        Words, n-grams or formulation tokens, matched as in :func:`kwic`: ``"two_safeguards"`` finds every
        registered rendering, and ``rendering`` says which one each line is.
    tokenizer : Tokenizer
        The tokenizer of the counts.
    stream : TokenStream, optional
        The documents' token stream with ``tokenizer`` (:func:`~corpus_utils.analysis.terms.token_streams`): only the
        documents it shows holding a term are tokenised again for the context, and in them only the paragraphs a
        regex pre-filter lets through. Without it the pre-filter chooses whole documents.
    window : int
        Words shown on each side (``chars`` characters where the match is Chinese).
    chars : int
        Characters shown on each side of a Chinese match.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CONCORDANCE_COLUMNS`: ``term``, ``doc_id``, ``date`` (NaT when undated or absent), ``section``
        and ``title`` (missing when absent), ``start`` (int64, character offset of the match in the body), ``left``,
        ``match`` (the original text), ``right``, ``rendering`` (the match lower-cased, spaces collapsed). In the
        order of ``terms``, then document, then position; sort with :func:`sort_concordance`.

    Notes
    -----
    Cost: with ``stream``, tokenising the paragraphs that may hold a term, in the documents that do (the whole
    document where an n-gram runs across a paragraph break), so a term in every document of a large corpus costs
    a pass over its paragraphs that mention it; without it, each document the pre-filter lets through. From
    :data:`~corpus_utils.core.scheduler.POOL_MIN_ITEMS` documents to read, they are shared out among this machine's
    free cores, or the Dask workers when a scheduler is active (:func:`~corpus_utils.core.scheduler.map_in_parts`).
    """
    check_documents(documents)
    check_whole_number(window, "window (words each side)", min_val=0)
    check_whole_number(chars, "chars (characters each side)", min_val=0)
    found = []
    for term in terms:
        tokenizer.term_words(str(term))  # a term that could never be counted is refused here, not in a pool's process
        if stream is not None:
            rows, expected = _documents_holding(stream, term, tokenizer)
        else:
            rows, expected = np.arange(len(documents)), np.full(len(documents), -1, dtype=np.int64)
        todo = pd.DataFrame({"row": rows, "expected": expected, "body": take_rows(documents["body"], rows)})
        parts = map_in_parts(_concordance_part, todo, stage_name="concordance", processes=True, term=str(term),
                             window=int(window), chars=int(chars), tokenizer=tokenizer, counted=stream is not None)
        hits = [hit for part in parts for hit in part]
        found.append(pd.DataFrame(hits, columns=["_row", "start", "left", "match", "right"]).assign(term=str(term)))
    table = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=["_row", "start", "left", "match", "right", "term"])
    positions = table["_row"].to_numpy(dtype=np.int64)
    for column in ("doc_id", "date", "section", "title"):
        if column in documents.columns:
            table[column] = take_rows(documents[column], positions).to_numpy()
        else:
            table[column] = pd.NaT if column == "date" else pd.NA
    table["rendering"] = table["match"].astype(str).str.lower().str.split().str.join(" ")
    table = table.astype({"term": "string", "doc_id": "string", "section": "string", "title": "string", "left": "string",
                          "match": "string", "right": "string", "rendering": "string", "start": "int64"})
    table["date"] = pd.to_datetime(table["date"])
    return table[list(CONCORDANCE_COLUMNS)].reset_index(drop=True)


def _concordance_part(part: pd.DataFrame, *, term: str, window: int, chars: int, tokenizer: Tokenizer,
                      counted: bool) -> list[tuple[int, int, str, str, str]]:
    """``(row, start, left, match, right)`` of each place the tokenizer sees ``term`` in the ``body`` of each row of
    ``part`` (columns ``row``: the document's position, ``expected``: the term's count there when ``counted``, else
    the regex pre-filter chooses the documents): :func:`_hits`, one part of the documents, in a pool's process or on
    a worker."""
    rows = part["row"].to_numpy()
    hits = _hits(part, term, window=window, chars=chars, tokenizer=tokenizer, rows=np.arange(len(part)) if counted else None,
                 expected=part["expected"].to_numpy() if counted else None)
    return [(int(rows[position]), start, left, match, right) for position, start, left, match, right in hits]


def _documents_holding(stream: TokenStream, term: str, tokenizer: Tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the documents whose tokens contain ``term`` (as counted), and its count in each."""
    counts = ngram_document_counts(stream, [tokenizer.term_words(term)]).toarray().ravel()
    rows = np.flatnonzero(counts)
    return rows, counts[rows]


def _context_word(text: str, n: int, *, from_end: bool) -> str:
    """The ``n``-th word of ``text`` (a run of letters or digits, or one Han character), counted from the end
    when ``from_end``; lower-cased, ``""`` when there is none."""
    words = SHINGLE_WORD.findall(text)
    if n > len(words):
        return ""
    return words[-n if from_end else n - 1].lower()


def sort_concordance(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Sort a :func:`concordance` the way AntConc does: by the words around the match, then by other columns.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`concordance`.
    keys : sequence of str
        From :data:`SORT_KEYS`, most significant first: ``"1R"`` (the first word right of the match), ``"2L"``
        (the second word to its left) … up to 5, and ``"date"``, ``"section"``, ``"doc_id"``, ``"term"``,
        ``"title"``, ``"rendering"``. Context words are compared lower-cased; a line with no word there sorts first;
        undated lines sort last by date.

    Returns
    -------
    pandas.DataFrame
        The same rows and columns, sorted (stable: ties keep document order), index reset.
    """
    unknown = [key for key in keys if key not in SORT_KEYS]
    if unknown:
        raise ValueError(f"unknown concordance sort key(s) {', '.join(map(repr, unknown))}; choose from {', '.join(SORT_KEYS)}")
    columns = {}
    for key in keys:
        if key in CONTEXT_KEYS:
            side = "left" if key.endswith("L") else "right"
            n = int(key[:-1])
            columns[key] = table[side].fillna("").astype(str).map(lambda text: _context_word(text, n, from_end=side == "left"))
        else:
            columns[key] = table[key]
    if not columns:
        return table.reset_index(drop=True)
    order = pd.DataFrame(columns, index=table.index).sort_values(list(columns), kind="stable", na_position="last").index
    return table.loc[order].reset_index(drop=True)


def term_positions(
    documents: pd.DataFrame,
    terms: Sequence[str],
    *,
    tokenizer: Tokenizer | None = None,
) -> pd.DataFrame:
    """Where each of ``terms`` occurs along each document, for a dispersion plot.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``body`` (pass a sample for a large corpus).
    terms : sequence of str
        Unigrams or n-grams, matched as in :func:`kwic`.
    tokenizer : Tokenizer, optional
        The tokenizer of the counts (default ``Tokenizer()``).

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id``, ``term``, ``token_index`` (int64, position among the document's kept
        tokens), ``n_tokens`` (int64) and ``position`` (float64 in [0, 1): ``token_index / n_tokens``);
        sorted by document order, term order, token index. Cost: tokenising every document once.
    """
    check_documents(documents)
    tokenizer = tokenizer or Tokenizer()
    searched = [(term, tokenizer.term_words(term)) for term in terms]
    rows = []
    for doc_id, text in zip(documents["doc_id"].pipe(as_str), texts_of(documents["body"])):
        tokens = tokenizer.token_spans(text)
        for term, words in searched:
            rows.extend((doc_id, term, index, len(tokens)) for index in token_occurrences(tokens, words))
    table = pd.DataFrame(rows, columns=["doc_id", "term", "token_index", "n_tokens"]).astype(
        {"doc_id": object, "term": object, "token_index": "int64", "n_tokens": "int64"}
    )
    table["position"] = (table["token_index"] / table["n_tokens"]).astype("float64")
    return table
