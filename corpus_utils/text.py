"""The shared tokeniser: stop lists that keep number words, phrase replacement, and vectorisers built on them.

Every analysis (term counts, TF-IDF, topics, keyness) builds its vectoriser with
:func:`make_vectorizer`, so they all tokenise alike. Phrase replacement (machine-translation
variants, numbered formulations) runs inside the vectoriser's preprocessor, before tokenising.
"""

from __future__ import annotations

import re
import warnings
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

try:  # scikit-learn ≥ 1.8 returns sparse arrays or matrices as configured; older versions, matrices
    from sklearn.feature_extraction.text import _align_api_if_sparse
except ImportError:  # pragma: no cover
    def _align_api_if_sparse(matrix):
        return matrix

from .paths import PACKAGE_DATA_DIR
from .phrasescan import PhraseCounter, PrefixScanner, compile_phrases
from .workers import available_cores, check_n_jobs, process_pool

__all__ = [
    "TOKEN_PATTERN",
    "PAGE_CHROME_WORDS",
    "EXTRA_FUNCTION_WORDS",
    "base_stop_words",
    "build_stop_words",
    "PhraseReplacer",
    "TextPreprocessor",
    "make_vectorizer",
    "CorpusCountVectorizer",
    "CorpusTfidfVectorizer",
    "PARALLEL_MIN_TEXTS",
    "tokenize",
    "load_variant_table",
    "variant_replacements",
    "count_variants",
    "analysis_replacements",
    "literal_phrase_pattern",
]

#: Words of one or more letters/digits, with inner hyphens kept ("grass-roots", "2035", "two_safeguards").
#: Unlike scikit-learn's default, one-character tokens ("1", "5") are kept. The word boundaries of the
#: textbook form ``\b\w+(?:-\w+)*\b`` are implied when scanning left to right (a greedy run of word
#: characters always starts and ends at one), so they are left out: same tokens, 12 % faster.
TOKEN_PATTERN = r"(?u)\w+(?:-\w+)*"

#: Words left by page chrome on scraped pages (font-size widgets, share bars, footers).
PAGE_CHROME_WORDS = frozenset(
    {"font", "size", "large", "small", "print", "close", "window", "share", "qr", "scan", "views", "copyright", "icp"}
)
#: Function words the NLTK list lacks and machine translation over-produces.
EXTRA_FUNCTION_WORDS = frozenset({"also", "etc", "shall", "must", "would", "could", "may", "might", "us", "well"})

_APOSTROPHES = re.compile(r"[’‘`´]")
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_QUOTES = re.compile(r"[“”\"]")
_APOSTROPHE_CHARS = "’‘`´"  # the characters of _APOSTROPHES
_QUOTE_CHARS = "“”\""  # the characters of _QUOTES
_POSSESSIVE_FAST = re.compile(r"'(?<=\w')s\b")  # _POSSESSIVE with the apostrophe first, so the engine skips ahead to it


@lru_cache(maxsize=1)
def base_stop_words() -> frozenset[str]:
    """The NLTK English stop list (179 words), shipped in ``data/stopwords_en.txt``; it keeps number words."""
    lines = (PACKAGE_DATA_DIR / "stopwords_en.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def build_stop_words(
    *, extra: Iterable[str] = (), keep: Iterable[str] = (), chrome: bool = True, function_words: bool = True
) -> frozenset[str]:
    """The stop list used everywhere: NLTK English + page chrome + extra function words + ``extra`` − ``keep``.

    Parameters
    ----------
    extra : iterable of str
        More words to drop (lower-cased).
    keep : iterable of str
        Words to keep even though a list above drops them.
    chrome, function_words : bool
        Include :data:`PAGE_CHROME_WORDS` / :data:`EXTRA_FUNCTION_WORDS`.
    """
    words = set(base_stop_words())
    if chrome:
        words |= PAGE_CHROME_WORDS
    if function_words:
        words |= EXTRA_FUNCTION_WORDS
    words |= {word.lower() for word in extra}
    words -= {word.lower() for word in keep}
    return frozenset(words)


class PhraseReplacer:
    """Replace many phrases in one regex pass, longest first, case-insensitively, on word boundaries.

    Parameters
    ----------
    replacements : sequence of (pattern, replacement)
        ``pattern`` is a regular expression (use :func:`re.escape` for a literal phrase); spaces in a
        literal phrase match any run of spaces or hyphens.
    """

    def __init__(self, replacements: Sequence[tuple[str, str]]) -> None:
        self.replacements = [(pattern, replacement) for pattern, replacement in replacements]
        ordered = sorted(enumerate(self.replacements), key=lambda item: -len(item[1][0]))
        self._targets = {f"p{index}": replacement for index, (_, replacement) in ordered}
        named = [(f"p{index}", pattern) for index, (pattern, _) in ordered]
        self._regex = compile_phrases(named) if ordered else None
        # finds the same matches as self._regex ~20x faster; None when the patterns do not allow it
        self._scanner = PrefixScanner.build(named) if ordered else None

    def finditer(self, text: str) -> Iterator[re.Match]:
        """The phrase matches in ``text``, left to right: exactly ``self._regex.finditer(text)``, found faster.

        Cost: a byte-level scan for the patterns' first words, then the regex only where one starts
        (see :mod:`corpus_utils.phrasescan`).
        """
        if self._regex is None:
            return iter(())
        if self._scanner is None:
            return self._regex.finditer(text)
        return self._scanner.finditer(text, self._regex)

    def __call__(self, text: str) -> str:
        if self._regex is None:
            return text
        pieces: list[str] = []
        last = 0
        for match in self.finditer(text):
            pieces += (text[last : match.start()], self._targets[match.lastgroup])
            last = match.end()
        if not pieces:
            return text
        pieces.append(text[last:])
        return "".join(pieces)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, replacement)`` of every phrase :meth:`__call__` would replace, left to right.

        Lets callers (e.g. keyword-in-context) map replaced tokens back to the original text.
        """
        if self._regex is None:
            return []
        return [(match.start(), match.end(), self._targets[match.lastgroup]) for match in self.finditer(text)]

    def __reduce__(self):
        return (PhraseReplacer, (self.replacements,))


def literal_phrase_pattern(phrase: str) -> str:
    """Regex for a literal phrase whose words may be separated by spaces or hyphens."""
    return r"[\s-]+".join(re.escape(word) for word in phrase.split())


class TextPreprocessor:
    """Straighten apostrophes, apply phrase replacements, drop possessive ``'s`` and double quotes, lower-case.

    Used as the ``preprocessor`` of every vectoriser; picklable, so it works with ``n_jobs``.
    Cost: a few ``str.replace`` scans, the phrase scan (:meth:`PhraseReplacer.finditer`) and a
    possessive pass that only stops at apostrophes; about a tenth of tokenising the text.
    """

    def __init__(self, replacer: PhraseReplacer | None = None) -> None:
        self.replacer = replacer

    def __call__(self, text: str) -> str:
        # Same result as _APOSTROPHES / _POSSESSIVE / _QUOTES .sub, with str.replace and a literal-first
        # regex: a character-class scan costs more than tokenising on 100,000 documents.
        for char in _APOSTROPHE_CHARS:
            if char in text:
                text = text.replace(char, "'")
        if self.replacer is not None:
            text = self.replacer(text)
        if "'" in text:
            text = _POSSESSIVE_FAST.sub("", text)
        for char in _QUOTE_CHARS:
            if char in text:
                text = text.replace(char, " ")
        return text.lower()


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

    def _count_vocab(self, raw_documents, fixed_vocab):
        texts = raw_documents if isinstance(raw_documents, list) else list(raw_documents)
        check_n_jobs(self.n_jobs)
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
        bounds = np.linspace(0, len(texts), jobs + 1).astype(int)
        shards = [texts[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]
        with process_pool(jobs, preload=__name__) as pool:
            counted = list(pool.map(_count_shard, [self] * jobs, shards, [fixed_vocab] * jobs))
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


def _count_shard(vectorizer, texts: list, fixed_vocab: bool):
    """Worker: ``(vocabulary, matrix)`` of one shard, counted in this process."""
    vectorizer.n_jobs = 1
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
    stop_words: Iterable[str] | None = None,
    replacements: Sequence[tuple[str, str]] = (),
    ngram_range: tuple[int, int] = (1, 1),
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    max_features: int | None = None,
    sublinear_tf: bool = False,
    dtype: type = np.float64,
    n_jobs: int | None = None,
) -> CountVectorizer | TfidfVectorizer:
    """A scikit-learn vectoriser with this project's tokeniser.

    Parameters
    ----------
    kind : {"count", "tfidf"}
        :class:`~sklearn.feature_extraction.text.CountVectorizer` or ``TfidfVectorizer`` (``norm="l2"``,
        ``smooth_idf=True``: idf = ln((1 + n) / (1 + df)) + 1).
    stop_words : iterable of str, optional
        Defaults to :func:`build_stop_words` (). Stop words are removed before n-grams are formed.
    replacements : sequence of (pattern, replacement)
        Phrase replacements applied before tokenising (see :class:`PhraseReplacer`).
    ngram_range, min_df, max_df, max_features, sublinear_tf, dtype
        Passed to scikit-learn.
    n_jobs : int, optional
        Processes that tokenise and count: None (automatic) uses one per core from
        :data:`PARALLEL_MIN_TEXTS` texts on, else this process; 1 always this process. The results
        are identical either way.

    Returns
    -------
    CountVectorizer or TfidfVectorizer
        Unfitted; ``fit_transform`` returns a sparse CSR matrix (documents × terms).
    """
    if kind not in ("count", "tfidf"):
        raise ValueError(f"kind must be 'count' or 'tfidf', got {kind!r}")
    settings = dict(
        preprocessor=TextPreprocessor(PhraseReplacer(replacements) if replacements else None),
        token_pattern=TOKEN_PATTERN,
        stop_words=sorted(build_stop_words() if stop_words is None else set(stop_words)),
        ngram_range=tuple(ngram_range),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        dtype=dtype,
    )
    check_n_jobs(n_jobs)
    vectorizer = CorpusTfidfVectorizer(sublinear_tf=sublinear_tf, **settings) if kind == "tfidf" else CorpusCountVectorizer(**settings)
    vectorizer.n_jobs = n_jobs
    return vectorizer


def tokenize(
    text: str, *, stop_words: Iterable[str] | None = None, replacements: Sequence[tuple[str, str]] = ()
) -> list[str]:
    """Tokens of ``text`` exactly as the vectorisers see them (unigrams, stop words removed)."""
    return make_vectorizer(stop_words=stop_words, replacements=replacements).build_analyzer()(text)


def load_variant_table(path: str | Path | None = None) -> pd.DataFrame:
    """The machine-translation variant table.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with columns ``variant``, ``canonical``, ``stands_for``, ``apply_by_default``, ``note``.
        Defaults to the table shipped in ``corpus_utils/data/mt_variants.csv``.

    Returns
    -------
    pandas.DataFrame
        The same columns; ``apply_by_default`` as bool, ``variant`` lower-cased.
    """
    source = Path(path) if path else PACKAGE_DATA_DIR / "mt_variants.csv"
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    missing = {"variant", "canonical"} - set(table.columns)
    if missing:
        raise ValueError(f"{source}: the variant table needs columns {', '.join(sorted(missing))}")
    for column in ("stands_for", "note"):
        if column not in table.columns:
            table[column] = ""
    flags = table.get("apply_by_default", pd.Series("true", index=table.index)).str.strip().str.lower()
    table["apply_by_default"] = flags.isin({"true", "1", "yes"})
    table["variant"] = table["variant"].str.strip().str.lower()
    return table[["variant", "canonical", "stands_for", "apply_by_default", "note"]]


def variant_replacements(table: pd.DataFrame, *, variants: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Replacement pairs for :class:`PhraseReplacer` from a variant table.

    ``variants`` chooses rows by their ``variant`` text; by default the rows with ``apply_by_default``.
    The canonical form is used as written: ``two_micro_one_end`` counts as one token,
    ``procuratorial staff`` as two.
    """
    if variants is None:
        chosen = table[table["apply_by_default"]]
    else:
        wanted = {variant.lower() for variant in variants}
        unknown = wanted - set(table["variant"])
        if unknown:
            raise ValueError(f"unknown variant(s) {sorted(unknown)}; the table has {sorted(table['variant'])}")
        chosen = table[table["variant"].isin(wanted)]
    return [(literal_phrase_pattern(row.variant), row.canonical) for row in chosen.itertuples()]


def count_variants(documents: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """How often each variant of the table occurs in the corpus (before any normalisation).

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes column ``body``.
    table : pandas.DataFrame
        From :func:`load_variant_table`.

    Returns
    -------
    pandas.DataFrame
        The table's columns plus ``occurrences`` and ``documents`` (how many documents use it), in table order.
        Overlapping variants are counted separately ("whole hospital" also counts as "hospital").
    """
    counter = PhraseCounter([literal_phrase_pattern(variant) for variant in table["variant"]])
    counts = np.zeros((len(documents), len(table)), dtype=np.int64)
    for row, body in enumerate(documents["body"].fillna("").astype(str)):
        counts[row] = counter.count(body)
    return table.assign(occurrences=counts.sum(axis=0), documents=(counts > 0).sum(axis=0))


def analysis_replacements(
    *,
    merge_formulations: bool = True,
    mt_normalisation: bool = False,
    mt_variants: Iterable[str] | None = None,
    registry: pd.DataFrame | None = None,
    variant_table: pd.DataFrame | None = None,
) -> list[tuple[str, str]]:
    """The phrase replacements the notebooks pass to :func:`make_vectorizer`.

    Parameters
    ----------
    merge_formulations : bool
        Turn every registered rendering of a numbered formulation into its canonical token
        (``"two maintenance"`` → ``two_safeguards``); see :mod:`corpus_utils.formulations`.
    mt_normalisation : bool
        Also apply the machine-translation variant table (``"hospital"`` → ``procuratorate``).
    mt_variants : iterable of str, optional
        Which variant rows to apply; default: the rows marked ``apply_by_default``.
    registry, variant_table : pandas.DataFrame, optional
        Tables to use instead of the shipped ones.
    """
    pairs: list[tuple[str, str]] = []
    if merge_formulations:
        from .formulations import formulation_replacements  # formulations builds on this module

        pairs += formulation_replacements(registry)
    if mt_normalisation:
        table = load_variant_table() if variant_table is None else variant_table
        pairs += variant_replacements(table, variants=mt_variants)
    return pairs
