"""Keyword in context and term positions: where the tokenizer sees a term, with the words as written."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..core.checks import check_whole_number
from ..core.words import HAN
from ..text.tokenizer import Tokenizer
from .terms import check_documents

__all__ = ["kwic", "term_positions"]


def _occurrences(tokens: list[tuple[str, int, int]], words: list[str]) -> list[int]:
    size = len(words)
    return [
        index
        for index in range(len(tokens) - size + 1)
        if tokens[index][0] == words[0] and all(tokens[index + offset][0] == words[offset] for offset in range(1, size))
    ]


def _words_around(text: str, start: int, end: int, window: int) -> tuple[str, str]:
    left = " ".join(text[:start].split()[-window:]) if window else ""
    return left, " ".join(text[end:].split()[:window]) if window else ""


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
    check_whole_number(window, "window (words each side)", min_val=0)
    check_whole_number(chars, "chars (characters each side)", min_val=0)
    check_whole_number(limit, "limit", allow_none=True)
    tokenizer = tokenizer or Tokenizer()
    words = tokenizer.term_words(term)
    may_contain = tokenizer.may_contain(words).search
    rows: list[tuple[str, str, str, str]] = []
    doc_ids = documents["doc_id"].astype(str).to_numpy()
    for position, text in enumerate(documents["body"].fillna("").astype(str)):
        if not may_contain(text):
            continue
        tokens = tokenizer.token_spans(text)
        for index in _occurrences(tokens, words):
            start, end = tokens[index][1], tokens[index + len(words) - 1][2]
            rows.append((doc_ids[position], *_context(text, start, end, int(window), int(chars))))
            if limit is not None and len(rows) >= limit:
                break
        if limit is not None and len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=["doc_id", "left", "match", "right"])


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
    for doc_id, text in zip(documents["doc_id"].astype(str), documents["body"].fillna("").astype(str)):
        tokens = tokenizer.token_spans(text)
        for term, words in searched:
            rows.extend((doc_id, term, index, len(tokens)) for index in _occurrences(tokens, words))
    table = pd.DataFrame(rows, columns=["doc_id", "term", "token_index", "n_tokens"]).astype(
        {"doc_id": object, "term": object, "token_index": "int64", "n_tokens": "int64"}
    )
    table["position"] = (table["token_index"] / table["n_tokens"]).astype("float64")
    return table
