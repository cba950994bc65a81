"""Load a folder of scraped pages, or a CSV / JSON Lines / Parquet table, into one row per document.

Nothing is lost and nothing is silent: every file ends up in the load report, loaded or skipped
with a reason, with warnings for whatever the parser had to guess. The work is done by
:mod:`~corpus_utils.input.folders` (pages, through the page cache and the corpus store), :mod:`~corpus_utils.input.tables`
(a table) and :mod:`~corpus_utils.input.parsing` (a page's bytes parsed, here, in a pool or on Dask); what a load gives
is in :mod:`~corpus_utils.input.records`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from .folders import CACHE_MIN_FILES, read_folder
from .parsing import PARALLEL_MIN_FILES
from .records import (DOCUMENT_COLUMNS, REPORT_COLUMNS, CorpusLoadError, CorpusLoadWarning, LoadedCorpus, LoadReport,
                      from_snapshot)
from .snapshot import pinned_snapshot
from .tables import TABLE_CACHE_MIN_BYTES, TABLE_SUFFIXES, read_table
from ..core.columns import TEXT_DTYPE, texts_of
from ..core.memo import Memo, digest_texts, memo_key
from ..core.paths import SEEDS_DIR, resolve_path
from ..core.words import PARAGRAPH_SEPARATOR, count_words, count_words_many, word_rules_version
from ..core.workers import check_n_jobs

__all__ = [
    "DOCUMENT_COLUMNS",
    "REPORT_COLUMNS",
    "TEXT_DTYPE",
    "TABLE_SUFFIXES",
    "CorpusLoadError",
    "CorpusLoadWarning",
    "LoadReport",
    "LoadedCorpus",
    "read_corpus",
    "load_corpus",
    "load_paragraphs",
    "count_words",
    "PARALLEL_MIN_FILES",
    "CACHE_MIN_FILES",
    "TABLE_CACHE_MIN_BYTES",
]

#: :func:`load_paragraphs` splits this many documents at a time.
PARAGRAPH_PART = 10_000
#: The memo kind of the paragraphs' word counts (:func:`load_paragraphs`).
PARAGRAPH_WORDS_KIND = "paragraph-words"
#: Word-count entries kept (one per :data:`PARAGRAPH_PART` documents): ten million documents' counts, at most about
#: 370 MB. The memo's default of 16 would hold 160,000 documents' counts, so that every notebook of a million-page run
#: counted its paragraphs' words again (about 50 s each).
PARAGRAPH_WORDS_KEEP = 1_024


def read_corpus(
    path: str | Path = SEEDS_DIR,
    *,
    pattern: str = "*.txt",
    strict: bool = False,
    n_jobs: int | None = None,
    cache: bool | str | Path | None = None,
) -> LoadedCorpus:
    """Load a corpus and account for every input file.

    Parameters
    ----------
    path : str or Path
        A folder of page files (relative paths are taken from the repository root), or one
        ``.csv``, ``.jsonl``/``.ndjson`` or ``.parquet`` table with a ``body`` column and
        optionally ``title``, ``date``, ``section``, ``author``, ``source``, ``doc_id``/``id``;
        other columns are kept as extra columns.
    pattern : str
        Glob for page files inside the folder, e.g. ``"**/*.txt"`` to recurse.
    strict : bool
        Raise :class:`CorpusLoadError` on the first file that would be skipped.
    n_jobs : int, optional
        Processes parsing a folder's files. ``None`` (default): every available core when at least
        :data:`PARALLEL_MIN_FILES` files need parsing, else one; ``1``: this process only. The
        result is identical either way (files are assembled in sorted order).
    cache : bool, str or Path, optional
        The page cache (:mod:`corpus_utils.input.cache`), keyed by each file's SHA-256, so reloading an
        unchanged folder skips decoding and parsing, and the corpus store beside it
        (:mod:`corpus_utils.input.snapshot`): the whole loaded folder as one Parquet snapshot, keyed by every
        file's content, read back in one step while no file changes. ``None`` (default): on for folders of at
        least :data:`CACHE_MIN_FILES` files, in ``.cache/pages`` in the repository (or the folder
        named by ``CORPUS_UTILS_CACHE_DIR``); ``True``/``False``: always / never; a path: that
        cache folder. A table goes to the corpus store whole (``cache=None``: from
        :data:`TABLE_CACHE_MIN_BYTES`). Inside a run, the snapshot the runner took
        (``CORPUS_UTILS_SNAPSHOT``) is read whenever ``path`` and ``pattern`` are the run's.

    Returns
    -------
    LoadedCorpus
        ``documents`` (columns :data:`DOCUMENT_COLUMNS`, one row per document, sorted by path)
        and ``report`` (:class:`LoadReport`).

    Raises
    ------
    FileNotFoundError
        The folder or file does not exist.
    ValueError
        No file matches ``pattern``, or a table cannot be read or lacks ``body``.
    CorpusLoadError
        With ``strict=True``, for the first empty, binary or undecodable file.

    Notes
    -----
    Cost: one pass over the bytes, parsing spread over ``n_jobs`` processes; with a warm cache,
    one read and one SHA-256 per file instead of parsing. Memory holds the documents table.
    """
    check_n_jobs(n_jobs)
    location = resolve_path(path)
    if cache is not False and not strict and (pinned := pinned_snapshot(location, pattern)) is not None:
        return from_snapshot(pinned)  # the snapshot the runner took for every notebook of this run
    if not location.exists():
        raise FileNotFoundError(f"corpus not found: {location} does not exist; pass a folder of pages or a table file")
    if location.is_file():
        if location.suffix.lower() not in TABLE_SUFFIXES:
            raise ValueError(f"{location}: a corpus file must be one of {', '.join(TABLE_SUFFIXES)}; for pages pass their folder")
        return read_table(location, strict, cache, pattern)
    return read_folder(location, pattern, strict, n_jobs, cache)


def load_corpus(
    path: str | Path = SEEDS_DIR,
    *,
    pattern: str = "*.txt",
    strict: bool = False,
    n_jobs: int | None = None,
    cache: bool | str | Path | None = None,
) -> pd.DataFrame:
    """Load a corpus into one row per document (see :func:`read_corpus` for parameters).

    Returns the documents table with columns :data:`DOCUMENT_COLUMNS` (plus a table's extra
    columns). If any file was skipped or needed a guess, a :class:`CorpusLoadWarning` names them;
    call :func:`read_corpus` to get the full :class:`LoadReport`.
    """
    corpus = read_corpus(path, pattern=pattern, strict=strict, n_jobs=n_jobs, cache=cache)
    problems = corpus.report.problems()
    if len(problems):
        listed = "; ".join(
            f"{row.path}: {row.reason if row.status == 'skipped' else row.warnings}" for row in problems.head(10).itertuples()
        )
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        warnings.warn(f"{corpus.report.summary()}. {listed}{more}", CorpusLoadWarning, stacklevel=2)
    return corpus.documents


def load_paragraphs(documents: pd.DataFrame, *, memo: Memo | None = None) -> pd.DataFrame:
    """Split document bodies into one row per paragraph.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``body`` (paragraphs separated by a blank line).
    memo : Memo, optional
        Where the paragraphs' word counts are kept (``prepared.memo``), under a hash of the bodies and of the
        word rules (:mod:`corpus_utils.core.words`): notebooks 03–06 each split the same bodies, and counting the
        words is most of the cost (Chinese text is cut into words by jieba), so they count them once.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id`` (string), ``paragraph`` (int64, 1-based), ``text`` (string),
        ``n_words`` (int64), in document order. Empty paragraphs are left out.

    Notes
    -----
    Arrow-backed bodies are split in Arrow (``pyarrow.compute.split_pattern``), :data:`PARAGRAPH_PART` documents
    at a time, and their words counted a slice at a time, so the text is never held as Python strings: 100,000
    pages' paragraphs add 0.37 GB, where pandas' split left 1.4 GB behind. Their paragraphs keep the bodies' dtype
    (Arrow buffers: a large corpus read from the store). Bodies of Python strings go through pandas' split, the
    lighter one for them (0.36 GB against 0.57 GB once Arrow's result is turned back). Cost of the memo's key: one
    SHA-256 pass over the bodies (about 0.5 s per 100,000 English pages).
    """
    if memo is None:
        paragraphs = _split_paragraphs(documents)
        paragraphs["n_words"] = count_words_many(texts_of(paragraphs["text"]))
        return paragraphs
    parts = [_counted_part(documents.iloc[start : start + PARAGRAPH_PART], memo)
             for start in range(0, max(len(documents), 1), PARAGRAPH_PART)]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _counted_part(documents: pd.DataFrame, memo: Memo) -> pd.DataFrame:
    """:func:`load_paragraphs` of at most :data:`PARAGRAPH_PART` documents, the word counts read from ``memo`` or
    counted and stored there. Keyed a part at a time, so a notebook splitting the corpus a part at a time
    (:func:`~corpus_utils.analysis.topics.select_units`) and one splitting it whole share the counts."""
    paragraphs = _split_paragraphs(documents)

    def count() -> dict:
        return {"n_words": count_words_many(texts_of(paragraphs["text"]))}

    key = memo_key(bodies=digest_texts(texts_of(documents["body"].fillna(""))), rules=word_rules_version())
    paragraphs["n_words"] = memo.get_or_compute(PARAGRAPH_WORDS_KIND, key, count, keep=PARAGRAPH_WORDS_KEEP)["n_words"].astype("int64")
    return paragraphs


def _split_paragraphs(documents: pd.DataFrame) -> pd.DataFrame:
    """Columns ``doc_id``, ``paragraph`` and ``text`` of :func:`load_paragraphs` (its word counts not yet made)."""
    if getattr(documents["body"].dtype, "storage", None) != "pyarrow":
        parts = documents[["doc_id", "body"]].copy()
        parts["text"] = parts["body"].fillna("").str.split(PARAGRAPH_SEPARATOR, regex=False)
        exploded = parts.drop(columns="body").explode("text", ignore_index=True)
        exploded = exploded[exploded["text"].fillna("").str.len() > 0].copy()
        exploded["paragraph"] = exploded.groupby("doc_id", sort=False).cumcount() + 1
        return exploded[["doc_id", "paragraph", "text"]].astype(
            {"doc_id": TEXT_DTYPE, "paragraph": "int64", "text": TEXT_DTYPE}
        ).reset_index(drop=True)
    parts = [_paragraphs_of(documents.iloc[start : start + PARAGRAPH_PART])
             for start in range(0, len(documents), PARAGRAPH_PART)]
    if len(parts) < 2:
        return parts[0] if parts else _paragraphs_of(documents)
    return pd.concat(parts, ignore_index=True)


def _paragraphs_of(documents: pd.DataFrame) -> pd.DataFrame:
    """:func:`_split_paragraphs` of a few documents with Arrow-backed bodies."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = documents["body"].dtype  # Arrow-backed: the paragraphs' text stays in Arrow buffers
    bodies = pa.array(documents["body"].fillna(""), type=pa.large_string())
    pieces = pc.split_pattern(bodies, PARAGRAPH_SEPARATOR)
    texts, owner = pc.list_flatten(pieces), pc.list_parent_indices(pieces)
    kept = pc.greater(pc.utf8_length(texts), 0)
    texts, owner = texts.filter(kept), owner.filter(kept).to_numpy(zero_copy_only=False).astype(np.int64)
    first = np.flatnonzero(np.diff(owner, prepend=-1))  # each document's first paragraph
    paragraph = np.arange(len(owner), dtype=np.int64) - np.repeat(first, np.diff(np.append(first, len(owner)))) + 1
    doc_ids = pa.array(documents["doc_id"].astype(dtype), type=pa.large_string()).take(pa.array(owner))
    return pd.DataFrame({
        "doc_id": pd.Series(doc_ids, dtype=dtype),
        "paragraph": paragraph,
        "text": pd.Series(texts, dtype=dtype),
    })
