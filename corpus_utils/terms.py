"""Term counts, per-document rates, keyword-in-context and term positions, all through the shared tokeniser.

Two ways to count, with identical results: :func:`document_term_matrix` runs a scikit-learn vectoriser
per n-gram length; :func:`token_stream` tokenises the corpus once into integer token ids, from which
:func:`ngram_frequency_table`, :func:`ngram_matrix` and :func:`ngram_document_counts` derive unigrams,
bigrams and trigrams with numpy (one tokenising pass instead of one per n-gram length and setting).
"""

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

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
    "TokenStream",
    "token_stream",
    "token_streams",
    "ngram_frequency_table",
    "ngram_matrix",
    "ngram_document_counts",
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
    matrix plus scikit-learn's vocabulary of every distinct n-gram seen, as Python strings. To count
    several n-gram lengths or settings, tokenise once with :func:`token_stream` and use :func:`ngram_matrix`
    / :func:`ngram_frequency_table`: the same counts, with n-grams kept as integers.
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
    _check_top(top)
    matrix = dtm.matrix.tocsr()
    counts = np.asarray(matrix.sum(axis=0)).ravel().astype(np.int64)
    in_documents = np.bincount(matrix.indices[matrix.data > 0], minlength=matrix.shape[1]).astype(np.int64)
    return _ranked_table(dtm.terms, counts, in_documents, int(dtm.n_words.sum()), top)


def _check_top(top: int | None) -> None:
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"top must be a positive integer or None, got {top!r}")


def _ranked_table(
    terms, counts: np.ndarray, in_documents: np.ndarray, total_words: int, top: int | None
) -> pd.DataFrame:
    """The frequency table (columns ``term``, ``count``, ``per_1000_words``, ``documents``) by count, then term."""
    table = pd.DataFrame(
        {
            "term": pd.Series(terms, dtype=object),
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
    picked = [_top_in_rows(csr, start, stop, top) for start, stop in _row_blocks(csr.indptr, _TOP_TERMS_BLOCK)]
    rows, cols, ranks, data = (np.concatenate(parts) for parts in zip(*picked)) if picked else [np.zeros(0, np.int64)] * 4
    return pd.DataFrame(
        {
            "doc_id": np.asarray(row_ids, dtype=object)[rows],
            "rank": ranks.astype(np.int64),
            "term": np.asarray(terms, dtype=object)[cols],
            "weight": data.astype(np.float64),
        }
    )


#: Non-zeros sorted at a time by :func:`top_terms_by_row` (memory stays a few tens of MB at any size).
_TOP_TERMS_BLOCK = 1_000_000


def _row_blocks(indptr: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Consecutive row ranges ``(start, stop)`` holding about ``size`` non-zeros each (at least one row)."""
    n_rows = len(indptr) - 1
    blocks, start = [], 0
    while start < n_rows:
        stop = max(start + 1, int(np.searchsorted(indptr, indptr[start] + size, side="right")) - 1)
        blocks.append((start, min(stop, n_rows)))
        start = min(stop, n_rows)
    return blocks


def _top_in_rows(csr: sp.csr_matrix, start: int, stop: int, top: int) -> tuple[np.ndarray, ...]:
    """``(rows, cols, ranks, weights)`` of the ``top`` largest non-zeros of rows ``start:stop``, ties by column."""
    begin, end = csr.indptr[start], csr.indptr[stop]
    rows = np.repeat(np.arange(start, stop), np.diff(csr.indptr[start : stop + 1]))
    cols, data = csr.indices[begin:end], csr.data[begin:end]
    keep = data != 0
    rows, cols, data = rows[keep], cols[keep], data[keep]
    order = np.lexsort((cols, -data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows, side="left") + 1
    chosen = rank <= top
    return rows[chosen], cols[chosen], rank[chosen], data[chosen]


# ------------------------------------------------------------------ one tokenising pass, every n-gram length


@dataclass(frozen=True)
class TokenStream:
    """Every document's counted tokens (stop words removed), as integer ids, from one tokenising pass.

    Attributes
    ----------
    ids : numpy.ndarray of int32
        Token ids of all documents, concatenated in document order.
    offsets : numpy.ndarray of int64
        ``len(documents) + 1`` boundaries: document ``d`` holds ``ids[offsets[d]:offsets[d + 1]]``.
    vocabulary : numpy.ndarray of str
        The token of each id (it may list words with no counted occurrence, such as stop words).
    doc_ids : numpy.ndarray of str
        Document labels, in the documents table's order.
    n_words : numpy.ndarray of int64
        Running words per document (stop words included): the denominator of "per 1,000 words".
    """

    ids: np.ndarray
    offsets: np.ndarray
    vocabulary: np.ndarray
    doc_ids: np.ndarray
    n_words: np.ndarray

    def rows(self) -> np.ndarray:
        """The document (row position) of every token of :attr:`ids`."""
        return np.repeat(np.arange(len(self.offsets) - 1, dtype=np.int32), np.diff(self.offsets))


def _analysis_steps(stop_words: Iterable[str] | None, replacements: Sequence[tuple[str, str]]):
    """``(text -> preprocessed text, preprocessed text -> tokens, stop words)`` of :func:`make_vectorizer`'s analyzer.

    scikit-learn's word analyzer is exactly: decode, preprocess, tokenize, drop stop words, form n-grams.
    """
    vectorizer = make_vectorizer("count", stop_words=stop_words, replacements=replacements)
    vectorizer.build_analyzer()  # checks the settings and the stop list as scikit-learn does
    decode, preprocess = vectorizer.decode, vectorizer.build_preprocessor()
    stop_set = frozenset(vectorizer.get_stop_words() or ())
    return (lambda text: preprocess(decode(text))), vectorizer.build_tokenizer(), stop_set


def _encode(bodies: list[str], steps: list[tuple[Callable, Callable]], index: defaultdict):
    """Token ids (concatenated) and tokens per document under the first ``(preprocess, tokenize)`` pair of
    ``steps``; under every further pair, the same for the documents whose preprocessed text differs, with a
    mask of those documents. ``index`` (token → id) grows with new tokens."""
    lookup = index.__getitem__
    ids = [array("i") for _ in steps]
    lengths = [array("q") for _ in steps]
    changed = [np.zeros(len(bodies), dtype=bool) for _ in steps]
    (preprocess, tokenize), others = steps[0], list(enumerate(steps[1:], start=1))
    for position, body in enumerate(bodies):
        text = preprocess(body)
        tokens = tokenize(text)
        ids[0].extend(map(lookup, tokens))
        lengths[0].append(len(tokens))
        for number, (other_preprocess, other_tokenize) in others:
            other = other_preprocess(body)
            if other != text:
                tokens = other_tokenize(other)
                ids[number].extend(map(lookup, tokens))
                lengths[number].append(len(tokens))
                changed[number][position] = True
    as_arrays = [(np.frombuffer(i, dtype=np.int32), np.frombuffer(n, dtype=np.int64)) for i, n in zip(ids, lengths)]
    return as_arrays, changed


def _splice(ids: np.ndarray, lengths: np.ndarray, changed: np.ndarray, new_ids: np.ndarray, new_lengths: np.ndarray):
    """``ids``/``lengths`` with the documents flagged in ``changed`` replaced by ``new_ids``/``new_lengths``."""
    lengths_out = lengths.copy()
    lengths_out[changed] = new_lengths
    out = np.empty(int(lengths_out.sum()), dtype=np.int32)
    from_new = np.repeat(changed, lengths_out)
    out[~from_new] = ids[~np.repeat(changed, lengths)]
    out[from_new] = new_ids
    return out, lengths_out


def _stream(ids, lengths, stops: np.ndarray, vocabulary: np.ndarray, documents: pd.DataFrame) -> TokenStream:
    keep = ~stops[ids]
    kept_through = np.cumsum(keep, dtype=np.int32 if len(keep) < 2**31 else np.int64)  # kept tokens up to each token
    ends = np.cumsum(lengths)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    offsets[1:][ends > 0] = kept_through[ends[ends > 0] - 1]
    del kept_through
    return TokenStream(
        ids=ids[keep],
        offsets=offsets,
        vocabulary=vocabulary,
        doc_ids=documents["doc_id"].astype(str).to_numpy(dtype=object),
        n_words=_words(documents),
    )


def token_streams(
    documents: pd.DataFrame,
    replacement_sets: Sequence[Sequence[tuple[str, str]]],
    *,
    stop_words: Iterable[str] | None = None,
) -> list[TokenStream]:
    """One :class:`TokenStream` per set of phrase replacements, tokenising each document as few times as possible.

    The first set is tokenised in full; for every other set only the documents whose preprocessed text
    differs (e.g. the half that contains a machine-translation variant) are tokenised again.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and ``n_words`` (recounted from ``body`` if absent).
    replacement_sets : sequence of replacement lists
        Each as :func:`corpus_utils.text.analysis_replacements` returns it.
    stop_words : iterable of str, optional
        Default :func:`corpus_utils.text.build_stop_words` ().

    Returns
    -------
    list of TokenStream
        In the order of ``replacement_sets``; all share one vocabulary.

    Notes
    -----
    Cost: one pass of the vectorisers' preprocessor and tokeniser (as :func:`document_term_matrix`), plus a
    preprocessor pass and the changed documents' tokenising per further set; memory: four bytes per token
    and set, and a dictionary of the distinct tokens.
    """
    _check_documents(documents)
    if not replacement_sets:
        return []
    bodies = documents["body"].fillna("").astype(str).tolist()
    analysed = [_analysis_steps(stop_words, replacements) for replacements in replacement_sets]
    index: defaultdict = defaultdict()
    index.default_factory = index.__len__
    encoded, changed = _encode(bodies, [(preprocess, tokenize) for preprocess, tokenize, _ in analysed], index)
    base_ids, base_lengths = encoded[0]
    streams = [encoded[0]] + [
        _splice(base_ids, base_lengths, mask, ids, lengths) for (ids, lengths), mask in zip(encoded[1:], changed[1:])
    ]
    stop_set = analysed[0][2]
    vocabulary = np.asarray(list(index), dtype=object)
    stops = np.fromiter((token in stop_set for token in vocabulary), dtype=bool, count=len(vocabulary))
    return [_stream(ids, lengths, stops, vocabulary, documents) for ids, lengths in streams]


def token_stream(
    documents: pd.DataFrame, *, stop_words: Iterable[str] | None = None, replacements: Sequence[tuple[str, str]] = ()
) -> TokenStream:
    """Tokenise every document once, as :func:`corpus_utils.text.make_vectorizer` does, into a :class:`TokenStream`.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and ``n_words`` (recounted from ``body`` if absent).
    stop_words, replacements
        As in :func:`document_term_matrix`.

    Returns
    -------
    TokenStream
        Feed it to :func:`ngram_frequency_table`, :func:`ngram_matrix` or :func:`ngram_document_counts`,
        for any n-gram length, without tokenising again.
    """
    return token_streams(documents, [replacements], stop_words=stop_words)[0]


@dataclass(frozen=True)
class _Grams:
    """Every n-gram occurrence of a stream (its document row and n-gram code) and how to decode the codes.

    ``levels[k]`` holds, for each code of the (k + 2)-grams, ``prefix code × size + last token id``, where the
    prefix is the code of its first k + 1 tokens (a unigram's code is its token id).
    """

    rows: np.ndarray
    codes: np.ndarray
    n_codes: int
    size: int
    levels: tuple[np.ndarray, ...]

    def tokens(self, codes: np.ndarray) -> np.ndarray:
        """The token ids of the n-grams ``codes``: an array ``(len(codes), n)``."""
        columns = []
        codes = np.asarray(codes, dtype=np.int64)
        for level in reversed(self.levels):
            keys = level[codes]
            columns.append(keys % self.size)
            codes = keys // self.size
        columns.append(codes)
        return np.column_stack(columns[::-1])


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (words per n-gram) must be a positive integer, got {n!r}")


def _grams(stream: TokenStream, n: int) -> _Grams:
    """Code the n-grams of ``stream`` without forming strings; n-grams never cross documents.

    An n-gram's key is the code of its first n − 1 tokens times the vocabulary size plus its last token id;
    :func:`pandas.factorize` numbers the distinct keys (a hash pass, no sort). Cost: one pass per extra word.
    """
    _check_n(n)
    rows, ids = stream.rows(), stream.ids
    size = max(len(stream.vocabulary), 1)
    codes, n_codes, levels = ids, size, []
    for length in range(2, n + 1):
        if len(rows) < length:
            empty = np.zeros(0, dtype=np.int64)
            return _Grams(rows[:0], empty, 0, size, tuple(levels) + (empty,) * (n + 1 - length))
        if n_codes * size >= 2**63:  # pragma: no cover - needs billions of tokens
            raise OverflowError("too many distinct n-grams to code in 64 bits")
        same = rows[: 1 - length] == rows[length - 1 :]  # rows never decrease: first and last token in one document
        keys = codes[:-1][same].astype(np.int64) * size + ids[length - 1 :][same]
        kept_codes, uniques = pd.factorize(keys, sort=False)
        del keys
        codes = np.full(len(same), -1, dtype=np.int64)
        codes[same] = kept_codes
        n_codes = len(uniques)
        levels.append(np.asarray(uniques, dtype=np.int64))
    keep = codes >= 0
    return _Grams(rows[: len(codes)][keep], codes[keep].astype(np.int64), n_codes, size, tuple(levels))


def _document_frequency(grams: _Grams) -> np.ndarray:
    """In how many documents each n-gram code occurs (one sort of the (row, code) keys)."""
    keys = np.sort(grams.rows.astype(np.int64) * max(grams.n_codes, 1) + grams.codes)
    distinct = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    return np.bincount(distinct % max(grams.n_codes, 1), minlength=grams.n_codes).astype(np.int64)


def _pairs(grams: _Grams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(row, n-gram code, count)`` of every distinct (document, n-gram) pair, by row then code."""
    size = max(grams.n_codes, 1)
    keys = np.sort(grams.rows.astype(np.int64) * size + grams.codes)
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.zeros(0, np.int64)
    counts = np.diff(np.append(starts, len(keys))).astype(np.int64)
    unique = keys[starts]
    return unique // size, unique % size, counts


def _min_documents(min_df: int | float, n_documents: int) -> float:
    """The least document frequency ``min_df`` allows, as scikit-learn reads it (an int: documents; a float: share)."""
    if isinstance(min_df, Integral) and not isinstance(min_df, bool) and min_df >= 1:
        return int(min_df)
    if isinstance(min_df, Real) and not isinstance(min_df, (bool, Integral)) and 0.0 <= min_df <= 1.0:
        return float(min_df) * n_documents
    raise ValueError(f"min_df must be a whole number of documents (1 or more) or a share in [0, 1], got {min_df!r}")


def _labels(stream: TokenStream, grams: _Grams, codes: np.ndarray) -> np.ndarray:
    """The strings scikit-learn forms for the n-grams ``codes``: their tokens joined by single spaces."""
    words = stream.vocabulary[grams.tokens(codes)]
    if words.shape[1] == 1:
        return words[:, 0]
    return np.asarray([" ".join(row) for row in words], dtype=object)


def ngram_frequency_table(
    stream: TokenStream, n: int = 1, *, min_df: int | float = 1, top: int | None = None
) -> pd.DataFrame:
    """Corpus-wide counts of the n-grams of a :class:`TokenStream`, without a document-term matrix.

    Parameters
    ----------
    stream : TokenStream
        From :func:`token_stream`.
    n : int
        Words per n-gram (1 unigrams, 2 bigrams, 3 trigrams).
    min_df : int or float
        Keep n-grams found in at least this many documents (a float: this share of the documents).
    top : int, optional
        Keep only the ``top`` most frequent n-grams.

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``count``, ``per_1000_words``, ``documents``, sorted by count then term: the same
        table as ``frequency_table(document_term_matrix(documents, ngram_range=(n, n), min_df=min_df), top=top)``.

    Notes
    -----
    Cost: numpy over the token ids (a hash pass per word of the n-gram and one sort), no tokenising; only the
    n-grams that can reach the ``top`` are turned into strings.
    """
    _check_top(top)
    grams = _grams(stream, n)
    counts = np.bincount(grams.codes, minlength=grams.n_codes).astype(np.int64)
    in_documents = _document_frequency(grams)
    chosen = np.flatnonzero((in_documents >= _min_documents(min_df, len(stream.offsets) - 1)) & (counts > 0))
    if top is not None and len(chosen) > top:
        threshold = np.partition(counts[chosen], len(chosen) - top)[len(chosen) - top]
        chosen = chosen[counts[chosen] >= threshold]  # every n-gram that can rank in the top, ties included
    return _ranked_table(
        _labels(stream, grams, chosen), counts[chosen], in_documents[chosen], int(stream.n_words.sum()), top
    )


def ngram_matrix(stream: TokenStream, n: int = 1, *, min_df: int | float = 1) -> DocumentTermMatrix:
    """The document-term matrix of the n-grams of a :class:`TokenStream`.

    Parameters
    ----------
    stream : TokenStream
        From :func:`token_stream`.
    n : int
        Words per n-gram.
    min_df : int or float
        As in :func:`ngram_frequency_table`.

    Returns
    -------
    DocumentTermMatrix
        Equal to ``document_term_matrix(documents, ngram_range=(n, n), min_df=min_df)`` on the same settings:
        the same sorted terms, the same int64 counts.

    Notes
    -----
    Cost: as :func:`ngram_frequency_table`, plus turning every kept n-gram into a string and sorting them.
    """
    grams = _grams(stream, n)
    rows, columns, counts = _pairs(grams)
    in_documents = np.bincount(columns, minlength=grams.n_codes)
    kept = np.flatnonzero((in_documents >= _min_documents(min_df, len(stream.offsets) - 1)) & (in_documents > 0))
    labels = _labels(stream, grams, kept)
    order = np.argsort(labels, kind="stable")  # object array: Python string order, as scikit-learn sorts
    column_of = np.full(grams.n_codes, -1, dtype=np.int64)
    column_of[kept[order]] = np.arange(len(order))
    entry = column_of[columns] >= 0
    matrix = sp.csr_matrix(
        (counts[entry], (rows[entry], column_of[columns[entry]])),
        shape=(len(stream.offsets) - 1, len(order)),
        dtype=np.int64,
    )
    matrix.sort_indices()
    return DocumentTermMatrix(
        matrix=matrix,
        terms=np.asarray(labels[order], dtype=object),
        doc_ids=stream.doc_ids,
        n_words=stream.n_words,
    )


def ngram_document_counts(stream: TokenStream, grams: Sequence[Sequence[str]]) -> sp.csr_matrix:
    """How often each n-gram of ``grams`` occurs in each document of a :class:`TokenStream`.

    Parameters
    ----------
    stream : TokenStream
        From :func:`token_stream`.
    grams : sequence of sequences of str
        Each an n-gram as tokens, e.g. ``("warning", "education")`` or ``("two_safeguards",)`` (as
        :func:`corpus_utils.timeline.analyse_terms` gives them); n-grams of different lengths may be mixed.

    Returns
    -------
    scipy.sparse.csr_matrix
        Documents × ``grams`` int64 counts: the same as a vectoriser with that n-gram as fixed vocabulary.

    Notes
    -----
    Cost: a few vectorised comparisons over the token ids per n-gram; no tokenising.
    """
    position = {token: index for index, token in enumerate(stream.vocabulary)}
    rows = stream.rows()
    n_documents = len(stream.offsets) - 1
    columns = []
    for gram in grams:
        tokens = [position.get(str(token), -1) for token in gram]
        if not tokens:
            raise ValueError("an n-gram needs at least one token")
        columns.append(_gram_counts(stream.ids, rows, tokens, n_documents))
    if not columns:
        return sp.csr_matrix((n_documents, 0), dtype=np.int64)
    return sp.csr_matrix(np.column_stack(columns))


def _gram_counts(ids: np.ndarray, rows: np.ndarray, tokens: list[int], n_documents: int) -> np.ndarray:
    """Occurrences per document of the token-id sequence ``tokens`` (−1: a token the corpus lacks)."""
    size = len(tokens)
    if min(tokens) < 0 or len(ids) < size:
        return np.zeros(n_documents, dtype=np.int64)
    starts = len(ids) - size + 1
    match = ids[:starts] == tokens[0]
    for offset, token in enumerate(tokens[1:], start=1):
        match &= ids[offset : offset + starts] == token
    match &= rows[:starts] == rows[size - 1 :]
    return np.bincount(rows[:starts][match], minlength=n_documents).astype(np.int64)


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
    Cost: a regex pre-filter document by document, tokenising only those that may contain the term,
    stopping at ``limit`` (so a frequent term costs a few documents, a rare one a scan of all bodies).
    """
    _check_documents(documents)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 0:
        raise ValueError(f"window must be a non-negative integer (words each side), got {window!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"limit must be a positive integer or None, got {limit!r}")
    stops = frozenset(build_stop_words() if stop_words is None else {word.lower() for word in stop_words})
    words = _term_words(term, stops, "term")
    replacer = PhraseReplacer(replacements) if replacements else None
    may_contain = _prefilter(words, replacements).search
    rows: list[tuple[str, str, str, str]] = []
    doc_ids = documents["doc_id"].astype(str).to_numpy()
    for position, text in enumerate(documents["body"].fillna("").astype(str)):
        if not may_contain(text):
            continue
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
