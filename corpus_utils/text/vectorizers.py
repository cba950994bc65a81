"""scikit-learn vectorisers with this project's tokeniser and faster counting (identical results).

Every analysis that needs a document-term matrix (TF-IDF, topics, keyness, clusters) builds its
vectoriser with :func:`make_vectorizer`, from one :class:`~corpus_utils.text.tokenizer.Tokenizer`.
"""

from __future__ import annotations

import warnings
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

try:  # scikit-learn ≥ 1.8 returns sparse arrays or matrices as configured; older versions, matrices
    from sklearn.feature_extraction.text import _align_api_if_sparse
except ImportError:  # pragma: no cover
    def _align_api_if_sparse(matrix):
        return matrix

from ..core.columns import TextSequence, texts_of
from ..core.memo import Memo
from ..core.scheduler import MAX_PART_ITEMS, active, map_in_parts
from ..core.workers import available_cores, check_n_jobs, ordered_map, process_pool
from .encoded import encode_texts
from .tokenizer import Tokenizer

__all__ = ["make_vectorizer", "relaxed_limits", "fit_relaxing_limits", "CorpusCountVectorizer", "CorpusTfidfVectorizer", "PARALLEL_MIN_TEXTS"]


#: With ``n_jobs=None``, a vectoriser given at least this many texts counts them in one process per core.
PARALLEL_MIN_TEXTS: int = 20_000


class _CountingMixin:
    """``_count_vocab`` of scikit-learn's vectorisers, with the same output, faster.

    Each document is counted with :class:`collections.Counter` (a C loop); scikit-learn looks up
    every token in the vocabulary from Python, a quarter of its time on 100,000 pages. From :data:`PARALLEL_MIN_TEXTS` texts on (``n_jobs=None``), contiguous
    shards are counted in one process per core and merged: the vocabulary gets the indices a single
    pass would give (first occurrence, shard after shard), the matrix the same entries.
    ``tests/test_text.py`` compares all paths with scikit-learn on real and random text.
    """

    #: Processes that count: None = automatic (see :data:`PARALLEL_MIN_TEXTS`), 1 = this process only.
    #: An attribute, not a constructor parameter, so ``get_params`` stays scikit-learn's.
    n_jobs: int | None = None
    #: Where the texts' token ids are kept (:func:`~corpus_utils.text.encoded.encode_texts`), with the
    #: :class:`Tokenizer` the vectoriser was made from: fitting unigram counts then reads or stores them there.
    memo: Memo | None = None
    source_tokenizer: Tokenizer | None = None

    def _count_vocab(self, raw_documents, fixed_vocab):
        if isinstance(raw_documents, pd.Series):  # a table's text column: missing texts as "", an Arrow-backed one
            texts = texts_of(raw_documents)       # made Python strings a slice at a time, never all at once
        else:
            texts = raw_documents if isinstance(raw_documents, (list, TextSequence)) else list(raw_documents)
        if not fixed_vocab and self._counts_from_memo():
            vocabulary, matrix = encode_texts(texts, [self.source_tokenizer], memo=self.memo)[0].counts()
            if not vocabulary:
                raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
            matrix = _csr(matrix.data, matrix.indices, matrix.indptr, n_columns=matrix.shape[1], dtype=self.dtype)
            return vocabulary, _align_api_if_sparse(matrix)
        check_n_jobs(self.n_jobs)
        scheduler = active()
        if scheduler is not None and texts:  # every shard on a Dask worker, merged here
            counted = map_in_parts(_count_shard_task, texts, stage_name="counting" if fixed_vocab else "counting and vocabulary",
                                   vectorizer=self, fixed_vocab=fixed_vocab)
            vocabulary, matrix = self._merged(counted, fixed_vocab)
            if not fixed_vocab and not vocabulary:
                raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
            return vocabulary, _align_api_if_sparse(matrix)
        jobs = self.n_jobs if self.n_jobs is not None else (available_cores() if len(texts) >= PARALLEL_MIN_TEXTS else 1)
        jobs = min(jobs, len(texts))
        counted = None
        if jobs > 1:
            try:
                counted = self._count_in_pool(texts, fixed_vocab, jobs)
            except (OSError, BrokenProcessPool) as exc:
                warnings.warn(
                    f"could not count in {jobs} processes ({exc}); counting in this process instead (same results, slower)",
                    RuntimeWarning,
                    stacklevel=3,
                )
        vocabulary, matrix = counted if counted is not None else self._count_serial(texts, fixed_vocab)
        if not fixed_vocab and not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        return vocabulary, _align_api_if_sparse(matrix)

    def _counts_from_memo(self) -> bool:
        """Whether fitting reads the texts' stored token ids: a memo, the tokenizer and plain unigram settings."""
        source = self.source_tokenizer
        return (self.memo is not None and source is not None and self.analyzer == "word" and self.input == "content"
                and tuple(self.ngram_range) == (1, 1) and self.preprocessor is source.preprocessor
                and self.tokenizer == source.split and frozenset(self.get_stop_words() or ()) == source.stop_words)

    def _count_serial(self, texts: list, fixed_vocab: bool) -> tuple[dict[str, int], sp.csr_array]:
        if fixed_vocab:
            vocabulary = self.vocabulary_
        else:
            vocabulary = defaultdict()
            vocabulary.default_factory = vocabulary.__len__
        count_features = self._feature_counter()
        j_indices: list[int] = []
        values = array("i")
        indptr = [0]
        for doc in texts:
            counts = count_features(doc)
            if fixed_vocab:
                known = [(vocabulary[feature], count) for feature, count in counts.items() if feature in vocabulary]
                j_indices.extend(index for index, _ in known)
                values.extend(count for _, count in known)
            else:
                j_indices.extend(map(vocabulary.__getitem__, counts))
                values.extend(counts.values())
            indptr.append(len(j_indices))
        if not fixed_vocab:
            vocabulary = dict(vocabulary)
        matrix = _csr(np.frombuffer(values, dtype=np.intc), np.asarray(j_indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64),
                      n_columns=len(vocabulary), dtype=self.dtype)
        return vocabulary, matrix

    def _count_in_pool(self, texts: list, fixed_vocab: bool, jobs: int):
        """Shards of at most :data:`~corpus_utils.core.scheduler.MAX_PART_ITEMS` texts (a multiple of ``jobs``), counted in
        ``jobs`` processes, two shards per process in flight: a process's memory does not grow with the corpus (a
        million pages in two shards took 11 GB per process)."""
        shards = _shards(texts, jobs * -(-len(texts) // (jobs * MAX_PART_ITEMS)))  # a multiple of jobs: even rounds
        with process_pool(jobs, preload=__name__) as pool:
            counted = list(ordered_map(pool, partial(_count_shard_task, vectorizer=self, fixed_vocab=fixed_vocab), shards,
                                       ahead=2 * jobs))
        return self._merged(counted, fixed_vocab)

    def _merged(self, counted: list, fixed_vocab: bool):
        """One ``(vocabulary, matrix)`` from the shards' counts, in order (the vocabulary a single pass would give)."""
        if fixed_vocab:
            vocabulary = self.vocabulary_
            parts = [matrix for _, matrix in counted]
        else:
            vocabulary, parts = _merge_vocabularies(counted)
        data = np.concatenate([part.data for part in parts])
        indices = np.concatenate([part.indices for part in parts])
        offsets = np.cumsum([0] + [part.nnz for part in parts[:-1]])
        indptr = np.concatenate([[0]] + [part.indptr[1:] + offset for part, offset in zip(parts, offsets)])
        return vocabulary, _csr(data, indices, indptr, n_columns=len(vocabulary), dtype=self.dtype)

    def _feature_counter(self):
        """``doc -> Counter`` of the features ``build_analyzer()(doc)`` yields, in first-occurrence order."""
        if self.analyzer != "word" or tuple(self.ngram_range) != (1, 1):
            analyze = self.build_analyzer()
            return lambda doc: Counter(analyze(doc))
        self.build_analyzer()  # checks the settings and the stop list as scikit-learn does
        preprocess, tokenize = self.build_preprocessor(), self.build_tokenizer()
        stop_words = self.get_stop_words() or frozenset()
        decode = self.decode

        def count(doc) -> Counter:
            return Counter([token for token in tokenize(preprocess(decode(doc))) if token not in stop_words])

        return count


def _csr(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, *, n_columns: int, dtype) -> sp.csr_array:
    """A CSR array with sorted indices, int32 index arrays when they fit (as scikit-learn builds them)."""
    index_dtype = np.int32 if (indptr[-1] if len(indptr) else 0) <= np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_array(
        (data, indices.astype(index_dtype, copy=False), indptr.astype(index_dtype, copy=False)),
        shape=(len(indptr) - 1, n_columns),
        dtype=dtype,
    )
    matrix.sort_indices()
    return matrix


def _shards(texts: list, n_shards: int) -> Iterator[list]:
    """``texts`` cut into ``n_shards`` contiguous slices of (nearly) equal length, each made when it is asked for."""
    bounds = np.linspace(0, len(texts), n_shards + 1).astype(int)
    return (texts[start:stop] for start, stop in zip(bounds[:-1], bounds[1:]))


def _count_shard_task(texts: list, *, vectorizer, fixed_vocab: bool):
    """Task (a pool's process, a Dask worker): ``(vocabulary, matrix)`` of one shard, counted in that process (the
    vocabulary None with ``fixed_vocab``)."""
    vocabulary, matrix = vectorizer._count_serial(texts, fixed_vocab)
    return (None if fixed_vocab else vocabulary), matrix


def _merge_vocabularies(counted: list) -> tuple[dict[str, int], list[sp.csr_array]]:
    """One vocabulary in first-occurrence order across the shards, and each shard's matrix re-indexed to it."""
    vocabulary: dict[str, int] = {}
    parts = []
    for shard_vocabulary, matrix in counted:
        to_global = np.empty(len(shard_vocabulary), dtype=np.int64)
        for term, index in shard_vocabulary.items():
            to_global[index] = vocabulary.setdefault(term, len(vocabulary))
        part = matrix.copy()
        part.indices = to_global[matrix.indices].astype(np.int64)
        parts.append(part)
    return vocabulary, parts


class CorpusCountVectorizer(_CountingMixin, CountVectorizer):
    """:class:`~sklearn.feature_extraction.text.CountVectorizer` with faster counting (identical results)."""


class CorpusTfidfVectorizer(_CountingMixin, TfidfVectorizer):
    """:class:`~sklearn.feature_extraction.text.TfidfVectorizer` with faster counting (identical results)."""


def make_vectorizer(
    kind: str = "count",
    *,
    tokenizer: Tokenizer | None = None,
    ngram_range: tuple[int, int] = (1, 1),
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    max_features: int | None = None,
    sublinear_tf: bool = False,
    dtype: type | str = np.float64,
    n_jobs: int | None = None,
    memo: Memo | None = None,
) -> CountVectorizer | TfidfVectorizer:
    """A scikit-learn vectoriser with this project's tokeniser.

    Parameters
    ----------
    kind : {"count", "tfidf"}
        :class:`~sklearn.feature_extraction.text.CountVectorizer` or ``TfidfVectorizer`` (``norm="l2"``,
        ``smooth_idf=True``: idf = ln((1 + n) / (1 + df)) + 1).
    tokenizer : Tokenizer, optional
        Stop words, phrase merging and word splitting; default ``Tokenizer()`` (the notebooks'
        defaults). Stop words are removed before n-grams are formed.
    ngram_range, min_df, max_df, max_features, sublinear_tf, dtype
        Passed to scikit-learn (``dtype`` may be given by name, e.g. ``"float32"``).
    n_jobs : int, optional
        Processes that tokenise and count: None (automatic) uses one per core from
        :data:`PARALLEL_MIN_TEXTS` texts on, else this process; 1 always this process. The results
        are identical either way.
    memo : Memo, optional
        Where token ids are kept (:func:`~corpus_utils.text.encoded.encode_texts`): fitting unigram counts
        reads the texts' ids stored by an earlier notebook or cell, or stores them for the next one. The
        fitted vectoriser and its matrix are the same either way; ``transform`` always tokenises.

    Returns
    -------
    CountVectorizer or TfidfVectorizer
        Unfitted; ``fit_transform`` returns a sparse CSR matrix (documents × terms). It takes a list of texts (a
        missing one is refused, as scikit-learn refuses it) or a table's text column (``documents["body"]``: missing
        texts count as empty, and an Arrow-backed column is made Python strings a slice at a time instead of held
        twice, 4.6 GB less for a million pages' bodies).
    """
    if kind not in ("count", "tfidf"):
        raise ValueError(f"kind must be 'count' or 'tfidf', got {kind!r}")
    tokenizer = Tokenizer() if tokenizer is None else tokenizer
    settings = dict(
        preprocessor=tokenizer.preprocessor,
        tokenizer=tokenizer.split,  # the word-splitting seam (a segmenter for other languages plugs in there)
        token_pattern=None,
        stop_words=sorted(tokenizer.stop_words),
        ngram_range=tuple(ngram_range),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        dtype=np.dtype(dtype).type,  # scikit-learn wants the type: 'float32' becomes np.float32
    )
    check_n_jobs(n_jobs)
    vectorizer = CorpusTfidfVectorizer(sublinear_tf=sublinear_tf, **settings) if kind == "tfidf" else CorpusCountVectorizer(**settings)
    vectorizer.n_jobs = n_jobs
    vectorizer.memo, vectorizer.source_tokenizer = memo, tokenizer
    return vectorizer




def relaxed_limits(n_texts: int, min_df: int | float, max_df: int | float) -> tuple[int | float, int | float]:
    """``(min_df, max_df)`` fit for ``n_texts`` texts: an integer ``min_df`` drops to 1 below ``2 * min_df``
    texts and ``max_df`` rises to 1.0 for two texts or fewer, so a handful of documents still has a vocabulary.

    Topics and clusters both use it, so the same settings give them the same vocabulary.
    """
    if isinstance(min_df, int) and n_texts < 2 * min_df:
        min_df = 1
    return min_df, (max_df if n_texts > 2 else 1.0)


_Fitted = TypeVar("_Fitted")


def fit_relaxing_limits(fit: Callable[[int | float, int | float], _Fitted], min_df: int | float,
                        max_df: int | float) -> tuple[_Fitted, str]:
    """``fit(min_df, max_df)`` or, when those limits leave no term (scikit-learn's ``ValueError``), the same fit with
    ``max_df`` raised to 1.0, else with ``min_df`` lowered to 1, else with both.

    A corpus whose every unit holds the same words (one template repeated) has no term under ``max_df``; one whose
    words each occur once has none at ``min_df = 2``. Topics and clusters both use it, so the same settings give
    them the same vocabulary. Returns the result and a sentence for the reader saying what was relaxed (``""`` when
    nothing was). When no relaxation helps (texts of stop words only) the first error is raised.
    """
    attempts = [(min_df, max_df), (min_df, 1.0), (1, max_df), (1, 1.0)]
    first_error = None
    for low, high in dict.fromkeys(attempts):  # each distinct pair once, in order
        try:
            fitted = fit(low, high)
        except ValueError as error:
            first_error = first_error or error
            continue
        if (low, high) == (min_df, max_df):
            return fitted, ""
        if high == max_df:
            return fitted, (f"MIN_DF = {min_df} left no term: no term occurs in that many units (each unit has words of "
                            "its own). Fitted with MIN_DF = 1: the topics rest on words that few units share.")
        if low == min_df:
            return fitted, (f"MAX_DF = {max_df} left no term: every term occurs in more than that share of the units "
                            "(they repeat the same words). Fitted with MAX_DF = 1.0: units that share all their words "
                            "cannot be told apart.")
        return fitted, (f"MIN_DF = {min_df} and MAX_DF = {max_df} left no term: no term occurs in at least MIN_DF units and "
                        "in at most a share MAX_DF of them. Fitted with MIN_DF = 1 and MAX_DF = 1.0: the topics rest on "
                        "words that few units share.")
    raise first_error

