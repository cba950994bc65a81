"""Term counts, per-document rates, keyword-in-context and term positions, all through the shared tokeniser."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .load import count_words
from .text import TOKEN_PATTERN, PhraseReplacer, build_stop_words, literal_phrase_pattern, make_vectorizer

__all__ = [
    "DocumentTermMatrix",
    "document_term_matrix",
    "frequency_table",
    "term_frequencies",
    "term_rates",
    "top_terms_by_row",
    "kwic",
    "term_positions",
]

_TOKEN = re.compile(TOKEN_PATTERN)
_APOSTROPHES = re.compile(r"[’‘`´]")
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")


@dataclass(frozen=True)
class DocumentTermMatrix:
    """Counts of every term in every document, as the shared tokeniser sees them.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Documents × terms, int64 counts.
    terms : numpy.ndarray of str
        Column labels (sorted, as scikit-learn orders its vocabulary).
    doc_ids : numpy.ndarray of str
        Row labels, in the documents table's order.
    n_words : numpy.ndarray of int64
        Running words per document (stop words included): the denominator of "per 1,000 words".
    """

    matrix: sp.csr_matrix
    terms: np.ndarray
    doc_ids: np.ndarray
    n_words: np.ndarray


def _check_documents(documents: pd.DataFrame) -> None:
    missing = [column for column in ("doc_id", "body") if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs columns doc_id and body (from read_corpus); missing {', '.join(missing)}")


def _words(documents: pd.DataFrame) -> np.ndarray:
    if "n_words" in documents.columns:
        return documents["n_words"].fillna(0).to_numpy(dtype=np.int64)
    return documents["body"].fillna("").astype(str).map(count_words).to_numpy(dtype=np.int64)


def document_term_matrix(
    documents: pd.DataFrame,
    *,
    ngram_range: tuple[int, int] = (1, 1),
    stop_words: Iterable[str] | None = None,
    replacements: Sequence[tuple[str, str]] = (),
    min_df: int | float = 1,
    max_features: int | None = None,
) -> DocumentTermMatrix:
    """Count terms (n-grams formed after stop-word removal) with :func:`corpus_utils.text.make_vectorizer`.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and ``n_words`` (recounted from ``body`` if absent).
    ngram_range, min_df, max_features
        Passed to the vectoriser; ``min_df=2`` keeps the vocabulary small for n-grams of large corpora.
    stop_words : iterable of str, optional
        Default :func:`corpus_utils.text.build_stop_words` ().
    replacements : sequence of (pattern, replacement)
        From :func:`corpus_utils.text.analysis_replacements`.

    Returns
    -------
    DocumentTermMatrix

    Notes
    -----
    Cost: one tokenising pass (scikit-learn, about a microsecond per token); memory: the sparse
    matrix plus scikit-learn's vocabulary of every distinct n-gram seen.
    """
    _check_documents(documents)
    vectorizer = make_vectorizer(
        "count",
        stop_words=stop_words,
        replacements=replacements,
        ngram_range=ngram_range,
        min_df=min_df,
        max_features=max_features,
        dtype=np.int64,
    )
    bodies = documents["body"].fillna("").astype(str).tolist()
    try:
        matrix = vectorizer.fit_transform(bodies)
        terms = vectorizer.get_feature_names_out()
    except ValueError as exc:  # "empty vocabulary": every document is empty or stop words only
        if "empty vocabulary" not in str(exc) and "no terms remain" not in str(exc):
            raise
        matrix, terms = sp.csr_matrix((len(bodies), 0), dtype=np.int64), np.array([], dtype=object)
    return DocumentTermMatrix(
        matrix=sp.csr_matrix(matrix, dtype=np.int64),
        terms=np.asarray(terms, dtype=object),
        doc_ids=documents["doc_id"].astype(str).to_numpy(dtype=object),
        n_words=_words(documents),
    )


def frequency_table(dtm: DocumentTermMatrix, *, top: int | None = None) -> pd.DataFrame:
    """Corpus-wide counts of every term of a :class:`DocumentTermMatrix`.

    Parameters
    ----------
    dtm : DocumentTermMatrix
    top : int, optional
        Keep only the ``top`` most frequent terms.

    Returns
    -------
    pandas.DataFrame
        Columns ``term`` (str), ``count`` (int64, occurrences), ``per_1000_words`` (float64:
        count per 1,000 running words of the whole corpus) and ``documents`` (int64, documents
        containing the term); sorted by count descending, then term. Cost: O(non-zeros).
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"top must be a positive integer or None, got {top!r}")
    matrix = dtm.matrix.tocsr()
    counts = np.asarray(matrix.sum(axis=0)).ravel().astype(np.int64)
    in_documents = np.bincount(matrix.indices[matrix.data > 0], minlength=matrix.shape[1]).astype(np.int64)
    total_words = int(dtm.n_words.sum())
    table = pd.DataFrame(
        {
            "term": pd.Series(dtm.terms, dtype=object),
            "count": counts,
            "per_1000_words": counts * 1000.0 / total_words if total_words else np.zeros(len(counts)),
            "documents": in_documents,
        }
    )
    table = table.sort_values(["count", "term"], ascending=[False, True], kind="stable")
    if top is not None:
        table = table.head(int(top))
    return table.reset_index(drop=True)


def term_frequencies(
    documents: pd.DataFrame,
    *,
    ngram_range: tuple[int, int] = (1, 1),
    stop_words: Iterable[str] | None = None,
    replacements: Sequence[tuple[str, str]] = (),
    min_df: int | float = 1,
    top: int | None = None,
) -> pd.DataFrame:
    """Corpus-wide term counts: :func:`document_term_matrix` then :func:`frequency_table`.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body``, ``n_words``.
    ngram_range, stop_words, replacements, min_df
        As in :func:`document_term_matrix`.
    top : int, optional
        Keep only the ``top`` most frequent terms.

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``count``, ``per_1000_words``, ``documents`` (see :func:`frequency_table`).
    """
    dtm = document_term_matrix(
        documents, ngram_range=ngram_range, stop_words=stop_words, replacements=replacements, min_df=min_df
    )
    return frequency_table(dtm, top=top)


def term_rates(dtm: DocumentTermMatrix, terms: Sequence[str]) -> pd.DataFrame:
    """How often each of ``terms`` occurs in each document, per 1,000 running words.

    Parameters
    ----------
    dtm : DocumentTermMatrix
    terms : sequence of str
        Terms of ``dtm`` (e.g. the top terms of :func:`frequency_table`).

    Returns
    -------
    pandas.DataFrame
        Long form, one row per document and term, in document order then ``terms`` order: columns
        ``doc_id``, ``term``, ``count`` (int64) and ``per_1000_words`` (float64; 0 for an empty
        document). Cost: O(documents × len(terms)).
    """
    position = {term: index for index, term in enumerate(dtm.terms)}
    unknown = [term for term in terms if term not in position]
    if unknown:
        raise ValueError(f"term(s) {unknown} are not in the document-term matrix; pick terms from its frequency table")
    columns = [position[term] for term in terms]
    counts = dtm.matrix[:, columns].toarray().astype(np.int64) if columns else np.zeros((len(dtm.doc_ids), 0), np.int64)
    words = dtm.n_words.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(words[:, None] > 0, counts * 1000.0 / words[:, None], 0.0)
    return pd.DataFrame(
        {
            "doc_id": np.repeat(dtm.doc_ids, len(columns)),
            "term": np.tile(np.asarray(list(terms), dtype=object), len(dtm.doc_ids)),
            "count": counts.ravel(),
            "per_1000_words": rates.ravel(),
        }
    )


def top_terms_by_row(matrix, terms: Sequence[str], row_ids: Sequence[str], *, top: int = 10) -> pd.DataFrame:
    """The ``top`` highest-weighted terms of every row of a sparse matrix (e.g. TF-IDF: what sets a document apart).

    Parameters
    ----------
    matrix : scipy.sparse matrix, shape (n_rows, n_terms)
        Weights; only non-zero entries can be listed.
    terms : sequence of str
        Column labels (``vectorizer.get_feature_names_out()``).
    row_ids : sequence of str
        Row labels (e.g. ``doc_id``).
    top : int
        Terms per row (fewer when a row has fewer non-zero terms).

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id`` (the row label), ``rank`` (int64, 1 = highest), ``term`` and ``weight``
        (float64); by row order then rank; ties broken by term order. Cost: one sort of the non-zeros.
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    csr = sp.csr_matrix(matrix)
    csr.sum_duplicates()
    if len(terms) != csr.shape[1] or len(row_ids) != csr.shape[0]:
        raise ValueError(
            f"matrix has shape {csr.shape}, but {len(row_ids)} row_ids and {len(terms)} terms were given; they must match"
        )
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    keep = csr.data != 0
    rows, cols, data = rows[keep], csr.indices[keep], csr.data[keep]
    order = np.lexsort((cols, -data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.searchsorted(rows, rows, side="left")
    rank = np.arange(rows.size) - first + 1
    chosen = rank <= top
    return pd.DataFrame(
        {
            "doc_id": np.asarray(row_ids, dtype=object)[rows[chosen]],
            "rank": rank[chosen].astype(np.int64),
            "term": np.asarray(terms, dtype=object)[cols[chosen]],
            "weight": data[chosen].astype(np.float64),
        }
    )


# ------------------------------------------------------------------ the tokeniser's view, with offsets


def _token_spans(text: str, replacer: PhraseReplacer | None, stop_words: frozenset[str]) -> list[tuple[str, int, int]]:
    """Tokens as :func:`make_vectorizer` sees them, each with the span of the original text it came from.

    A token produced by a phrase replacement (``two_safeguards`` from "two maintenance") carries the
    span of the whole phrase. Stop words are dropped, as the vectorisers drop them before n-grams.
    """
    straight = _APOSTROPHES.sub("'", text)  # one character for one: offsets are unchanged
    replaced = replacer.spans(straight) if replacer is not None else []
    blanked = _POSSESSIVE.sub("  ", straight)  # drop possessive 's, keeping offsets
    tokens: list[tuple[str, int, int]] = []
    cursor = 0
    for start, end, replacement in [*replaced, (len(text), len(text), "")]:
        for match in _TOKEN.finditer(blanked, cursor, start):
            tokens.append((match.group().lower(), match.start(), match.end()))
        for match in _TOKEN.finditer(replacement.lower()):
            tokens.append((match.group(), start, end))
        cursor = end
    return [token for token in tokens if token[0] not in stop_words]


def _term_words(term: str, stop_words: frozenset[str], name: str) -> list[str]:
    words = [match.group().lower() for match in _TOKEN.finditer(str(term))]
    if not words:
        raise ValueError(f"{name} {term!r} has no word to search for")
    dropped = [word for word in words if word in stop_words]
    if dropped:
        raise ValueError(
            f"{name} {term!r} contains stop word(s) {dropped}, which the tokeniser removes before forming "
            f"n-grams; search for {' '.join(w for w in words if w not in stop_words)!r} or add them to KEEP_WORDS"
        )
    return words


def _prefilter(term_words: list[str], replacements: Sequence[tuple[str, str]]) -> re.Pattern:
    """A regex every document containing the term must match: its first word, or a phrase rewritten into it."""
    first = term_words[0]
    options = [literal_phrase_pattern(first)]
    options += [pattern for pattern, target in replacements if first in {t.lower() for t in _TOKEN.findall(target)}]
    return re.compile(rf"(?<![\w-])(?:{'|'.join(options)})(?![\w-])", re.I)


def _occurrences(tokens: list[tuple[str, int, int]], words: list[str]) -> list[int]:
    size = len(words)
    return [
        index
        for index in range(len(tokens) - size + 1)
        if tokens[index][0] == words[0] and all(tokens[index + offset][0] == words[offset] for offset in range(1, size))
    ]


def _context(text: str, start: int, end: int, window: int) -> tuple[str, str, str]:
    left = " ".join(text[:start].split()[-window:]) if window else ""
    right = " ".join(text[end:].split()[:window]) if window else ""
    return left, " ".join(text[start:end].split()), right


def kwic(
    documents: pd.DataFrame,
    term: str,
    *,
    window: int = 6,
    limit: int | None = 20,
    stop_words: Iterable[str] | None = None,
    replacements: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Keyword in context: every place the tokeniser sees ``term``, with the original words around it.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``body``.
    term : str
        A unigram or n-gram as it appears in the frequency tables (``"warning education"``,
        ``"two_safeguards"``). With ``replacements``, a formulation token finds each of its
        renderings ("two maintenance", "Two Safeguards"), and ``"procuratorate"`` also finds
        "hospital" under MT normalisation. Stop words are skipped between the words of an n-gram,
        exactly as when counting.
    window : int
        Words of original text shown on each side.
    limit : int, optional
        Stop after this many matches (``None``: all).
    stop_words, replacements
        The same settings as the counts (see :func:`document_term_matrix`).

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
    Cost: a regex pre-filter over all bodies, then tokenising only documents that may contain the
    term, stopping at ``limit``.
    """
    _check_documents(documents)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
        raise ValueError(f"window must be a non-negative integer (words each side), got {window!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"limit must be a positive integer or None, got {limit!r}")
    stops = frozenset(build_stop_words() if stop_words is None else {word.lower() for word in stop_words})
    words = _term_words(term, stops, "term")
    replacer = PhraseReplacer(replacements) if replacements else None
    bodies = documents["body"].fillna("").astype(str)
    candidates = bodies.str.contains(_prefilter(words, replacements), regex=True).to_numpy()
    rows: list[tuple[str, str, str, str]] = []
    doc_ids = documents["doc_id"].astype(str).to_numpy()
    for position in np.flatnonzero(candidates):
        text = bodies.iat[position]
        tokens = _token_spans(text, replacer, stops)
        for index in _occurrences(tokens, words):
            start, end = tokens[index][1], tokens[index + len(words) - 1][2]
            rows.append((doc_ids[position], *_context(text, start, end, int(window))))
            if limit is not None and len(rows) >= limit:
                break
        if limit is not None and len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=["doc_id", "left", "match", "right"])


def term_positions(
    documents: pd.DataFrame,
    terms: Sequence[str],
    *,
    stop_words: Iterable[str] | None = None,
    replacements: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Where each of ``terms`` occurs along each document, for a dispersion plot.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``body`` (pass a sample for a large corpus).
    terms : sequence of str
        Unigrams or n-grams, matched as in :func:`kwic`.
    stop_words, replacements
        As for the counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id``, ``term``, ``token_index`` (int64, position among the document's kept
        tokens), ``n_tokens`` (int64) and ``position`` (float64 in [0, 1): ``token_index / n_tokens``);
        sorted by document order, term order, token index. Cost: tokenising every document once.
    """
    _check_documents(documents)
    stops = frozenset(build_stop_words() if stop_words is None else {word.lower() for word in stop_words})
    searched = [(term, _term_words(term, stops, "term")) for term in terms]
    replacer = PhraseReplacer(replacements) if replacements else None
    rows = []
    for doc_id, text in zip(documents["doc_id"].astype(str), documents["body"].fillna("").astype(str)):
        tokens = _token_spans(text, replacer, stops)
        for term, words in searched:
            rows.extend((doc_id, term, index, len(tokens)) for index in _occurrences(tokens, words))
    table = pd.DataFrame(rows, columns=["doc_id", "term", "token_index", "n_tokens"]).astype(
        {"doc_id": object, "term": object, "token_index": "int64", "n_tokens": "int64"}
    )
    table["position"] = (table["token_index"] / table["n_tokens"]).astype("float64")
    return table
