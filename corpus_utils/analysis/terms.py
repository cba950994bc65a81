"""Term and n-gram counts and per-document rates, from one tokenising pass through the shared tokenizer.

:func:`token_stream` tokenises the corpus once into integer token ids, from which
:func:`ngram_frequency_table`, :func:`ngram_matrix` and :func:`ngram_document_counts` derive unigrams,
bigrams and trigrams with numpy (one tokenising pass instead of one per n-gram length and setting).
``tests/reference.py`` keeps the plain scikit-learn path these results are checked against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..core.columns import as_str, texts_of
from ..core.checks import check_whole_number
from ..core.memo import Memo
from ..core.words import count_words_many
from ..text.encoded import EncodedTexts, encode_texts
from ..text.tokenizer import Tokenizer
from .labels import NO_SECTION, document_labels

__all__ = [
    "choose_terms",
    "DocumentTermMatrix",
    "frequency_table",
    "term_rates",
    "top_terms_by_row",
    "top_terms_table_rows",
    "rate_grid",
    "side_by_side",
    "TokenStream",
    "token_stream",
    "token_streams",
    "ngram_frequency_table",
    "ngram_matrix",
    "ngram_document_counts",
]

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


def check_documents(documents: pd.DataFrame) -> None:
    missing = [column for column in ("doc_id", "body") if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs columns doc_id and body (from read_corpus); missing {', '.join(missing)}")


def _words(documents: pd.DataFrame) -> np.ndarray:
    if "n_words" in documents.columns:
        return documents["n_words"].fillna(0).to_numpy(dtype=np.int64)
    return count_words_many(texts_of(documents["body"]))


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
    check_whole_number(top, "top", allow_none=True)


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


def rate_grid(dtm: DocumentTermMatrix, terms: Sequence[str], documents: pd.DataFrame, *, max_rows: int) -> tuple[pd.DataFrame, bool]:
    """Rates per 1,000 words of ``terms``, as a grid for a heatmap: one row per document, or per section past ``max_rows``.

    Parameters
    ----------
    dtm : DocumentTermMatrix
        Counts of ``documents`` (same rows, same order).
    terms : sequence of str
        The columns, in order.
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``title`` (row labels, see :func:`~corpus_utils.analysis.labels.document_labels`)
        and ``section``.
    max_rows : int
        Up to this many documents, one row each (labelled); beyond, the ``max_rows`` largest sections, each
        the mean rate of its documents (a missing section is :data:`~corpus_utils.analysis.labels.NO_SECTION`).

    Returns
    -------
    (pandas.DataFrame, bool)
        The grid (rows × ``terms``, float) and whether its rows are sections.
    """
    rates = term_rates(dtm, terms)
    if len(documents) <= max_rows:
        labels = document_labels(documents)
        grid = rates.pivot(index="doc_id", columns="term", values="per_1000_words").reindex(index=labels.index, columns=terms)
        grid.index = labels.to_numpy()
        return grid, False
    sections = documents.set_index(documents["doc_id"].pipe(as_str))["section"].fillna(NO_SECTION)
    rates["section"] = rates["doc_id"].map(sections)
    largest = sections.value_counts().head(max_rows).index
    grid = rates[rates["section"].isin(largest)].pivot_table(
        index="section", columns="term", values="per_1000_words", aggfunc="mean").reindex(index=largest, columns=terms)
    return grid, True


def side_by_side(rankings: Mapping[str, pd.DataFrame], *, top: int) -> pd.DataFrame:
    """Frequency tables next to each other: ``rank``, then for each name its ``term`` column (titled with the
    name) and its ``count`` (``count``, ``count `` … so that titles stay unique); ``top`` rows, blank past a table's end."""
    columns: dict[str, Any] = {"rank": np.arange(1, top + 1)}
    for position, (name, table) in enumerate(rankings.items()):
        columns[name] = table["term"].reindex(range(top))
        columns["count" + " " * position] = table["count"].reindex(range(top)).astype("Int64")
    return pd.DataFrame(columns)


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
    check_whole_number(top, "top")
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


def top_terms_table_rows(matrix, *, top: int, first: int) -> tuple[np.ndarray, int]:
    """The rows whose :func:`top_terms_by_row` entries make the first ``first`` lines of its table, and how many
    lines the whole table has: a notebook showing those lines ranks only these rows, not millions.

    Returns
    -------
    (numpy.ndarray, int)
        Sorted row positions (the table's leading rows) and the number of lines of the table over every row.
    """
    check_whole_number(top, "top")
    lines = np.minimum(np.diff(sp.csr_matrix(matrix).indptr), top)
    needed = int(np.searchsorted(np.cumsum(lines), first)) + 1  # the row holding line ``first``, and those before
    return np.arange(min(needed, len(lines))), int(lines.sum())


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

    def take(self, rows: Sequence[int] | np.ndarray) -> TokenStream:
        """The stream of the documents at positions ``rows``, in that order (same vocabulary)."""
        rows = np.asarray(rows, dtype=np.int64)
        part = EncodedTexts(ids=self.ids, offsets=self.offsets, vocabulary=self.vocabulary).take(rows)
        return TokenStream(ids=part.ids, offsets=part.offsets, vocabulary=self.vocabulary, doc_ids=self.doc_ids[rows],
                           n_words=self.n_words[rows])


def _stream(encoded: EncodedTexts, documents: pd.DataFrame) -> TokenStream:
    return TokenStream(
        ids=encoded.ids,
        offsets=encoded.offsets,
        vocabulary=encoded.vocabulary,
        doc_ids=documents["doc_id"].pipe(as_str).to_numpy(dtype=object),
        n_words=_words(documents),
    )


def token_streams(documents: pd.DataFrame, tokenizers: Sequence[Tokenizer], *, memo: Memo | None = None) -> list[TokenStream]:
    """One :class:`TokenStream` per tokenizer, tokenising each document as few times as possible.

    The first tokenizer reads every document; every other one only the documents whose preprocessed
    text differs (e.g. the half that contains a machine-translation variant). The tokenizers must share
    one stop list (they differ in the phrases they merge).

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and ``n_words`` (recounted from ``body`` if absent).
    tokenizers : sequence of Tokenizer
        From :meth:`corpus_utils.text.tokenizer.Tokenizer.from_parameters`.
    memo : Memo, optional
        Where the token ids are kept (``prepared.memo``): the bodies tokenised by an earlier notebook with the
        same tokenizer are read back (:func:`~corpus_utils.text.encoded.encode_texts`), same streams.

    Returns
    -------
    list of TokenStream
        In the order of ``tokenizers``; all share one vocabulary.

    Notes
    -----
    Cost: one pass of the vectorisers' preprocessor and tokeniser (as a scikit-learn vectoriser), plus a
    preprocessor pass and the changed documents' tokenising per further set; memory: four bytes per token
    and set, and a dictionary of the distinct tokens.
    """
    check_documents(documents)
    return [_stream(encoded, documents) for encoded in encode_texts(texts_of(documents["body"]), tokenizers, memo=memo)]


def token_stream(documents: pd.DataFrame, *, tokenizer: Tokenizer | None = None, memo: Memo | None = None) -> TokenStream:
    """Tokenise every document once, as the vectorisers do, into a :class:`TokenStream`.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and ``n_words`` (recounted from ``body`` if absent).
    tokenizer : Tokenizer, optional
        Default ``Tokenizer()``.
    memo : Memo, optional
        As in :func:`token_streams`.

    Returns
    -------
    TokenStream
        Feed it to :func:`ngram_frequency_table`, :func:`ngram_matrix` or :func:`ngram_document_counts`,
        for any n-gram length, without tokenising again.
    """
    return token_streams(documents, [tokenizer or Tokenizer()], memo=memo)[0]


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
    check_whole_number(n, "n (words per n-gram)")


def _grams(stream: TokenStream, n: int) -> _Grams:
    """Code the n-grams of ``stream`` without forming strings; n-grams never cross documents.

    An n-gram's key is the code of its first n − 1 tokens times the vocabulary size plus its last token id;
    :func:`pandas.factorize` numbers the distinct keys (a hash pass, no sort). Cost: one pass per extra word.
    """
    _check_n(n)
    rows, ids = stream.rows(), stream.ids
    size = max(len(stream.vocabulary), 1)
    codes, n_codes, levels = ids, size, []
    code_dtype = np.int32 if len(ids) < 2**31 else np.int64  # codes number occurrences at most: int32 halves them
    for length in range(2, n + 1):
        if len(rows) < length:
            empty = np.zeros(0, dtype=np.int64)
            return _Grams(rows[:0], empty, 0, size, tuple(levels) + (empty,) * (n + 1 - length))
        if n_codes * size >= 2**63:  # pragma: no cover - needs billions of tokens
            raise OverflowError("too many distinct n-grams to code in 64 bits")
        same = rows[: 1 - length] == rows[length - 1 :]  # rows never decrease: first and last token in one document
        keys = codes[:-1][same].astype(np.int64, copy=False)  # a new array: scaled and added in place
        keys *= size
        keys += ids[length - 1 :][same]
        kept_codes, uniques = pd.factorize(keys, sort=False)
        del keys
        codes = np.full(len(same), -1, dtype=code_dtype)
        codes[same] = kept_codes
        del kept_codes
        n_codes = len(uniques)
        levels.append(np.asarray(uniques, dtype=np.int64))
    keep = codes >= 0
    return _Grams(rows[: len(codes)][keep], codes[keep], n_codes, size, tuple(levels))


def _pair_counts(grams: _Grams, n_rows: int) -> sp.csr_matrix:
    """Occurrences of every n-gram code in every document: an ``n_rows`` × codes CSR matrix in canonical form (int32).

    The occurrences are already grouped by document (rows never decrease), so each document's codes are one CSR row
    as they stand; scipy sorts and sums them row by row in place. That holds a code and a count per occurrence (int32
    each), where sorting ``row × codes + code`` keys held an int64 key and its copies (on the 25.6 million unigrams
    of 100,000 pages: 0.3 GB instead of 1.4 GB).
    """
    index_dtype = np.int32 if max(grams.n_codes, len(grams.codes)) < 2**31 else np.int64
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(np.bincount(grams.rows, minlength=n_rows), out=indptr[1:])
    matrix = sp.csr_matrix((np.ones(len(grams.codes), dtype=np.int32), grams.codes.astype(index_dtype), indptr),
                           shape=(n_rows, grams.n_codes))
    matrix.sum_duplicates()
    return matrix


def _unigram_counts(stream: TokenStream) -> sp.csr_matrix:
    """Occurrences of every token id in every document: :func:`_pair_counts` of the unigrams, straight from the
    stream (each document's ids are its CSR row as they stand; no per-token row or code arrays)."""
    size = max(len(stream.vocabulary), 1)
    index_dtype = np.int32 if max(size, len(stream.ids)) < 2**31 else np.int64
    matrix = sp.csr_matrix((np.ones(len(stream.ids), dtype=np.int32), stream.ids.astype(index_dtype),
                            stream.offsets.astype(index_dtype)), shape=(len(stream.offsets) - 1, size))
    matrix.sum_duplicates()  # in place, on the copy of the ids
    return matrix


def _columns_in_order(counts: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """The ``columns`` of a canonical CSR ``counts`` matrix, in that order, with int64 counts (canonical).

    Each entry's column is renumbered through a look-up table (entries of other columns dropped): one copy of the
    indices and the counts, where fancy column indexing and ``astype`` made two copies of each.
    """
    new_of = np.full(counts.shape[1], -1, dtype=counts.indices.dtype)
    new_of[columns] = np.arange(len(columns), dtype=counts.indices.dtype)
    indices = new_of[counts.indices]
    kept = indices >= 0
    if kept.all():
        data, indptr = counts.data.astype(np.int64), counts.indptr
    else:
        data, indices = counts.data[kept].astype(np.int64), indices[kept]
        indptr = np.r_[0, np.cumsum(kept)][counts.indptr].astype(counts.indptr.dtype)
    del kept
    matrix = sp.csr_matrix((data, indices, indptr), shape=(counts.shape[0], len(columns)))
    matrix.sort_indices()
    return matrix


def _document_frequency(grams: _Grams) -> np.ndarray:
    """In how many documents each n-gram code occurs."""
    n_rows = int(grams.rows[-1]) + 1 if len(grams.rows) else 0
    return np.bincount(_pair_counts(grams, n_rows).indices, minlength=grams.n_codes).astype(np.int64)


def _document_frequency_of(grams: _Grams, codes: np.ndarray) -> np.ndarray:
    """In how many documents each of the n-grams ``codes`` occurs, reading only their occurrences (a few when
    ``codes`` are the top ones; :func:`_document_frequency` counts every n-gram's)."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    wanted = np.zeros(grams.n_codes, dtype=bool)
    wanted[codes] = True
    hit = wanted[grams.codes]
    pairs = _distinct(grams.rows[hit].astype(np.int64) * grams.n_codes + grams.codes[hit], in_place=True)
    return np.bincount(pairs % grams.n_codes, minlength=grams.n_codes)[codes].astype(np.int64)


def _min_documents(min_df: int | float, n_documents: int) -> float:
    """The least document frequency ``min_df`` allows, as scikit-learn reads it (an int: documents; a float: share)."""
    if isinstance(min_df, Integral) and not isinstance(min_df, bool) and min_df >= 1:
        return int(min_df)
    if isinstance(min_df, Real) and not isinstance(min_df, (bool, Integral)) and 0.0 <= min_df <= 1.0:
        return float(min_df) * n_documents
    raise ValueError(f"min_df must be a whole number of documents (1 or more) or a share in [0, 1], got {min_df!r}")


def _labels(stream: TokenStream, tokens: np.ndarray) -> np.ndarray:
    """The strings scikit-learn forms for n-grams of token ids ``tokens`` (one row each): the words joined by single
    spaces."""
    words = stream.vocabulary[tokens]
    if words.shape[1] == 1:
        return words[:, 0]
    return np.asarray([" ".join(row) for row in words], dtype=object)


#: N-gram occurrences counted at a time by :func:`ngram_frequency_table` (each holds an int64 key, position and
#: document row while its part is sorted: about 0.5 GB a part, whatever the corpus size).
PART_OCCURRENCES = 16_000_000


def _gram_starts(stream: TokenStream, n: int) -> np.ndarray:
    """Whether an n-gram starts at each token of ``stream`` (its n tokens lie in one document): bool per token."""
    starts = np.ones(len(stream.ids), dtype=bool)
    lengths, ends = np.diff(stream.offsets), stream.offsets[1:]
    for back in range(1, n):
        starts[ends[lengths >= back] - back] = False
    return starts


def _first_token_parts(stream: TokenStream, starts: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Ranges ``[low, high)`` of first-token ids holding about ``budget`` n-gram occurrences each (a single token
    more frequent than that is a range of its own)."""
    size = max(len(stream.vocabulary), 1)
    per_token = np.bincount(stream.ids, minlength=size) - np.bincount(stream.ids[~starts], minlength=size)
    total = np.cumsum(per_token)
    if not len(total) or total[-1] == 0:
        return []
    cuts = np.searchsorted(total, np.arange(budget, total[-1], budget), side="right")
    bounds = np.unique(np.r_[0, np.minimum(cuts, size), size])
    return [(int(low), int(high)) for low, high in zip(bounds[:-1], bounds[1:])]


def _part_keys(stream: TokenStream, starts: np.ndarray, n: int, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """(key, position) of every n-gram occurrence whose first token id is in ``[low, high)``, in text order. A key is
    the n-gram's token ids as digits in base ``len(vocabulary)``, so it decodes exactly."""
    ids, size = stream.ids, max(len(stream.vocabulary), 1)
    positions = np.flatnonzero(starts & (ids >= low) & (ids < high))
    keys = ids[positions].astype(np.int64)
    for offset in range(1, n):
        keys *= size
        keys += ids[positions + offset]
    return keys, positions


def _distinct(values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """The sorted distinct values of an int64 array, by one sort (numpy 2's hash-based ``np.unique`` is several times
    slower on tens of millions of mostly distinct keys: 22.7 s against 3.5 s for 20 million); ``in_place`` sorts
    ``values`` itself instead of a copy."""
    if in_place:
        values.sort()
    else:
        values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def _documents_of(keys: np.ndarray, positions: np.ndarray, wanted: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """In how many documents each of the sorted distinct keys ``wanted`` occurs, from occurrences (``keys``, token
    ``positions``) and the stream's document ``offsets``; only the wanted occurrences are placed in their document."""
    if not len(wanted):
        return np.zeros(0, dtype=np.int64)
    where = np.minimum(np.searchsorted(wanted, keys), len(wanted) - 1)
    hit = wanted[where] == keys
    rows = np.searchsorted(offsets, positions[hit], side="right") - 1
    pairs = _distinct(where[hit] * np.int64(len(offsets)) + rows, in_place=True)  # distinct (n-gram, document)
    return np.bincount(pairs // len(offsets), minlength=len(wanted)).astype(np.int64)


def _top_floor(counts: list[np.ndarray], top: int | None) -> int:
    """The ``top``-th largest of ``counts`` (0 when there are fewer): an n-gram counted less cannot rank."""
    held = sum(len(part) for part in counts)
    if top is None or held <= top:
        return 0
    joined = np.concatenate(counts)
    return int(np.partition(joined, held - top)[held - top])


def _key_tokens(keys: np.ndarray, n: int, size: int) -> np.ndarray:
    """The token ids of n-gram ``keys`` (see :func:`_part_keys`): an array ``(len(keys), n)``."""
    columns, keys = [], np.asarray(keys, dtype=np.int64)
    for _ in range(n):
        columns.append(keys % size)
        keys = keys // size
    return np.column_stack(columns[::-1])


def _top_unigram_counts(stream: TokenStream, top: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_ngram_counts_in_parts` for single tokens found in any document: one count of the token ids (no sort),
    then documents for the tokens that can rank in the ``top`` (ties included) only."""
    counts = np.bincount(stream.ids, minlength=max(len(stream.vocabulary), 1)).astype(np.int64)
    wanted = np.flatnonzero(counts >= max(_top_floor([counts], top), 1))
    hit = np.zeros(len(counts), dtype=bool)
    hit[wanted] = True
    positions = np.flatnonzero(hit[stream.ids])
    documents = _documents_of(stream.ids[positions].astype(np.int64), positions, wanted.astype(np.int64), stream.offsets)
    return wanted.astype(np.int64)[:, None], counts[wanted], documents


def _ngram_counts_in_parts(stream: TokenStream, n: int, least: float, top: int | None
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(token ids, occurrences, documents) of the n-grams found in at least ``least`` documents that can rank in the
    ``top`` (ties included), counted a range of first tokens at a time (:data:`PART_OCCURRENCES`).

    Documents are counted only for n-grams frequent enough to rank: with ``least`` ≤ 1 every n-gram qualifies, so
    the ``top``-th largest count so far (this part's included) decides; otherwise the count must also reach ``least``.
    """
    if n == 1 and least <= 1:
        return _top_unigram_counts(stream, top)
    starts = _gram_starts(stream, n)
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    floor = 0  # the top-th largest count of the n-grams kept so far: one counted less cannot rank
    for low, high in _first_token_parts(stream, starts, PART_OCCURRENCES):
        keys, positions = _part_keys(stream, starts, n, low, high)
        distinct, counts = np.unique(keys, return_counts=True)
        if least <= 1:
            floor = max(floor, _top_floor([part[1] for part in kept] + [counts], top))
        candidate = counts >= max(floor, least)
        distinct, counts = distinct[candidate], counts[candidate].astype(np.int64)
        documents = _documents_of(keys, positions, distinct, stream.offsets)
        del keys, positions
        eligible = documents >= least
        kept.append((distinct[eligible], counts[eligible], documents[eligible]))
        floor = max(floor, _top_floor([part[1] for part in kept], top))
        kept = [(k[c >= floor], c[c >= floor], d[c >= floor]) for k, c, d in kept]
    if not kept:
        return np.zeros((0, n), dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys, counts, documents = (np.concatenate(column) for column in zip(*kept))
    return _key_tokens(keys, n, max(len(stream.vocabulary), 1)), counts, documents


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
        table as a scikit-learn ``CountVectorizer(ngram_range=(n, n), min_df=min_df)`` with this tokenizer gives.

    Notes
    -----
    Cost: numpy over the token ids, no tokenising. The n-grams are counted a range of first tokens at a time
    (:data:`PART_OCCURRENCES` occurrences, one sort each), keeping only those that can still reach the ``top``, so
    memory stays about the same whatever the corpus size; only the n-grams kept are turned into strings.
    """
    _check_top(top)
    _check_n(n)
    least = _min_documents(min_df, len(stream.offsets) - 1)
    if max(len(stream.vocabulary), 1) ** n < 2**63:
        tokens, counts, documents = _ngram_counts_in_parts(stream, n, least, top)
    else:  # keys of n token ids would overflow 64 bits (long n-grams of a large vocabulary): number them instead
        tokens, counts, documents = _ngram_counts_by_codes(stream, n, least, top)
    return _ranked_table(_labels(stream, tokens), counts, documents, int(stream.n_words.sum()), top)


def _ngram_counts_by_codes(stream: TokenStream, n: int, least: float, top: int | None
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_ngram_counts_in_parts` from every n-gram's code (:func:`_grams`: all n-grams of the corpus at once)."""
    grams = _grams(stream, n)
    counts = np.bincount(grams.codes, minlength=grams.n_codes).astype(np.int64)
    in_documents = _document_frequency(grams) if least > 1 else None  # every n-gram found is in a document
    chosen = np.flatnonzero(counts > 0) if in_documents is None else np.flatnonzero((in_documents >= least) & (counts > 0))
    if top is not None and len(chosen) > top:
        threshold = np.partition(counts[chosen], len(chosen) - top)[len(chosen) - top]
        chosen = chosen[counts[chosen] >= threshold]  # every n-gram that can rank in the top, ties included
    chosen_documents = _document_frequency_of(grams, chosen) if in_documents is None else in_documents[chosen]
    return grams.tokens(chosen), counts[chosen], chosen_documents


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
        Equal to a scikit-learn ``CountVectorizer(ngram_range=(n, n), min_df=min_df)`` on the same settings:
        the same sorted terms, the same int64 counts.

    Notes
    -----
    Cost: as :func:`ngram_frequency_table`, plus turning every kept n-gram into a string and sorting them.
    """
    _check_n(n)
    n_rows = len(stream.offsets) - 1
    if n == 1:
        pairs, tokens_of = _unigram_counts(stream), lambda codes: codes[:, None]  # a unigram's code is its token id
    else:
        grams = _grams(stream, n)
        pairs = _pair_counts(grams, n_rows)
        tokens_of = replace(grams, rows=grams.rows[:0], codes=grams.codes[:0]).tokens  # decoding needs the levels only
        del grams
    in_documents = np.bincount(pairs.indices, minlength=pairs.shape[1])
    kept = np.flatnonzero((in_documents >= _min_documents(min_df, n_rows)) & (in_documents > 0))
    labels = _labels(stream, tokens_of(kept))
    order = np.argsort(labels, kind="stable")  # object array: Python string order, as scikit-learn sorts
    matrix = _columns_in_order(pairs, kept[order])
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
        :func:`corpus_utils.analysis.timeline.analyse_terms` gives them); n-grams of different lengths may be mixed.

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


def choose_terms(
    requested: Sequence[str], stream: TokenStream, *, tokenizer: Tokenizer, name: str, fallback: int = 3
) -> tuple[list[str], str | None]:
    """The terms a notebook should follow: ``requested`` when any of them occurs, else the corpus's own.

    Default term lists are written for the shipped seeds; on another corpus they may not occur at all, and a
    figure of empty panels says nothing. When none of ``requested`` occurs in ``stream``, the ``fallback``
    most frequent tokens are used instead; when some do not occur they are kept (a zero is information) and
    named in the note.

    Parameters
    ----------
    requested : sequence of str
        The parameter's terms (words, phrases or formulation tokens), tokenised with ``tokenizer``.
    stream : TokenStream
        The corpus, from :func:`token_streams` with the same ``tokenizer``.
    tokenizer : Tokenizer
        How the terms are split and stop words removed.
    name : str
        The parameter's name, for the note.
    fallback : int
        How many of the most frequent tokens replace a list of which nothing occurs.

    Returns
    -------
    (list of str, str or None)
        The terms to use and a one-sentence note saying what was changed or missing (None when all occur).
    """
    grams = [tuple(tokenizer.tokens(str(term))) for term in requested]
    counted = [term for term, gram in zip(requested, grams) if gram]
    counts = ngram_document_counts(stream, [gram for gram in grams if gram]).sum(axis=0).A1 if counted else np.array([])
    present = [term for term, count in zip(counted, counts) if count > 0]
    if present:
        missing = [str(term) for term in requested if term not in present]
        note = f"{name}: {', '.join(map(repr, missing))} do(es) not occur in this corpus." if missing else None
        return [str(term) for term in requested], note
    chosen = ngram_frequency_table(stream, 1, top=fallback)["term"].astype(str).tolist()
    listed = ", ".join(map(repr, requested)) or "(empty)"
    return chosen, (f"{name}: none of {listed} occurs in this corpus, so its {len(chosen)} most frequent term(s) are "
                    f"used instead: {', '.join(chosen)}. Set {name} to terms of your corpus.")
