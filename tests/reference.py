"""Reference implementations the package's fast paths are checked against (one engine per job in the package).

Each is the plain, obviously-correct way to compute what a fast path computes: a scikit-learn
vectoriser per n-gram length (:func:`document_term_matrix`), an exact chunked all-pairs search
(:func:`most_similar_pairs`), an explicit shingle matrix (:func:`shingle_matrix`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from corpus_utils.analysis.shingles import _normalise, _shingle_table
from corpus_utils.analysis.similarity import _similarity_blocks
from corpus_utils.analysis.terms import DocumentTermMatrix, _words, check_documents, frequency_table
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.vectorizers import make_vectorizer


def document_term_matrix(
    documents: pd.DataFrame,
    *,
    ngram_range: tuple[int, int] = (1, 1),
    tokenizer: Tokenizer | None = None,
    min_df: int | float = 1,
    max_features: int | None = None,
) -> DocumentTermMatrix:
    """Count terms (n-grams formed after stop-word removal) with :func:`corpus_utils.text.vectorizers.make_vectorizer`.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and ``n_words`` (recounted from ``body`` if absent).
    ngram_range, min_df, max_features
        Passed to the vectoriser; ``min_df=2`` keeps the vocabulary small for n-grams of large corpora.
    tokenizer : Tokenizer, optional
        Default ``Tokenizer()``.

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
    check_documents(documents)
    vectorizer = make_vectorizer(
        "count",
        tokenizer=tokenizer,
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


def term_frequencies(
    documents: pd.DataFrame,
    *,
    ngram_range: tuple[int, int] = (1, 1),
    tokenizer: Tokenizer | None = None,
    min_df: int | float = 1,
    top: int | None = None,
) -> pd.DataFrame:
    """Corpus-wide term counts: :func:`document_term_matrix` then :func:`frequency_table`.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body``, ``n_words``.
    ngram_range, tokenizer, min_df
        As in :func:`document_term_matrix`.
    top : int, optional
        Keep only the ``top`` most frequent terms.

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``count``, ``per_1000_words``, ``documents`` (see :func:`frequency_table`).
    """
    dtm = document_term_matrix(
        documents, ngram_range=ngram_range, tokenizer=tokenizer, min_df=min_df
    )
    return frequency_table(dtm, top=top)


def most_similar_pairs(
    matrix, *, top: int = 20, min_similarity: float | None = None, chunk_size: int | None = None
) -> pd.DataFrame:
    """The ``top`` most cosine-similar pairs of distinct rows, exactly, in chunks.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array, shape (n_documents, n_terms)
        Rows are L2-normalised here (see :func:`top_k_neighbours`).
    top : int
        Number of pairs to return (fewer if the matrix has fewer pairs, or fewer pass ``min_similarity``).
    min_similarity : float, optional
        Keep only pairs with at least this cosine similarity.
    chunk_size : int, optional
        Rows per chunk; default :func:`default_chunk_size`.

    Returns
    -------
    pandas.DataFrame
        Columns ``source`` < ``target`` (int64 row positions), ``similarity`` (float64), sorted by
        similarity descending, then ``source``, then ``target``. Each unordered pair appears once.

    Notes
    -----
    Cost as :func:`top_k_neighbours`; memory ``chunk_size × n`` float32 plus ``top`` candidates.
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    if min_similarity is not None and not isinstance(min_similarity, (int, float, np.floating)):
        raise ValueError(f"min_similarity must be a number or None, got {min_similarity!r}")
    floor = -np.inf if min_similarity is None else np.float32(min_similarity)
    best_s = np.empty(0, np.int64)
    best_t = np.empty(0, np.int64)
    best_v = np.empty(0, np.float32)
    for start, block in _similarity_blocks(matrix, chunk_size):
        n_block = block.shape[0]
        upper = block[:, start:]  # columns before the chunk belong to pairs already seen
        square = upper[:, :n_block]
        square[np.tril_indices(n_block)] = -np.inf  # self and pairs (i, j) with j <= i
        threshold = floor
        if best_v.size >= top:
            threshold = max(threshold, best_v[-1])  # a new pair must at least tie the current top-th
        elif upper.size > top:
            flat = upper.ravel()  # a copy: only while fewer than `top` pairs are known
            threshold = max(threshold, np.partition(flat, flat.size - top)[flat.size - top])
        rows, cols = np.nonzero((upper >= threshold) & (upper > -np.inf))
        if rows.size == 0:
            continue
        best_s = np.concatenate([best_s, start + rows])
        best_t = np.concatenate([best_t, start + cols])
        best_v = np.concatenate([best_v, upper[rows, cols]])
        order = np.lexsort((best_t, best_s, -best_v))[: int(top)]
        best_s, best_t, best_v = best_s[order], best_t[order], best_v[order]
    if min_similarity is not None:
        keep = best_v >= min_similarity
        best_s, best_t, best_v = best_s[keep], best_t[keep], best_v[keep]
    return pd.DataFrame(
        {"source": best_s.astype(np.int64), "target": best_t.astype(np.int64), "similarity": best_v.astype(np.float64)}
    )


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
    normalised = _normalise(pd.Series(list(texts), dtype=object))
    counts, hashes = _shingle_table(normalised, int(shingle_size))
    rows = np.repeat(np.arange(len(normalised)), counts)
    columns, inverse = np.unique(hashes, return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.uint8), (rows, inverse.ravel())), shape=(len(normalised), columns.size)
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix, columns


def candidate_table(documents: pd.DataFrame, *, max_words: int = 8, context: int = 60) -> pd.DataFrame:
    """The candidate formulations of ``documents`` the obvious way: one row per occurrence (candidate, kind, doc_id,
    snippet), then grouped — columns ``candidate``, ``kind``, ``count``, ``documents``, ``example``, sorted by candidate."""
    from corpus_utils.analysis.formulations import _PRIORITY, _candidate_spans, _snippet, _texts_of

    rows = []
    texts = _texts_of(documents)
    for doc_id, title, body in zip(texts["doc_id"], texts["title"], texts["body"]):
        for field in (title, body):
            text, found = _candidate_spans(field, max_words)
            rows += [(candidate, _PRIORITY[kind], doc_id, _snippet(text, start, end, context)) for candidate, kind, start, end in found]
    found = pd.DataFrame(rows, columns=["candidate", "priority", "doc_id", "snippet"])
    found = found.sort_values(["candidate", "doc_id", "priority"], kind="stable")
    grouped = found.groupby("candidate", sort=True)
    kinds = {value: key for key, value in _PRIORITY.items()}
    first = grouped.head(1).set_index("candidate")
    return pd.DataFrame({
        "kind": grouped["priority"].min().map(kinds),
        "count": grouped.size(),
        "documents": grouped["doc_id"].nunique(),
        "example": first["doc_id"] + ": …" + first["snippet"] + "…",
    }).reset_index()
