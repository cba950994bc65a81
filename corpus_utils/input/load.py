"""Load a folder of scraped pages, or a CSV / JSON Lines / Parquet table, into one row per document.

Nothing is lost and nothing is silent: every file ends up in the load report, loaded or skipped
with a reason, with warnings for whatever the parser had to guess.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import math
import os
import stat
import threading
import time
import warnings
from array import array
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .cache import PageCache, content_key, default_cache_dir
from .decode import DecodeRefusal, decode_bytes
from .language import detect_language
from .pages import EmptyPageError, ParsedPage, clean_line, clean_lines, parse_date, parse_page, storable_date
from .snapshot import Snapshot, SnapshotStore, pinned_snapshot, snapshot_key
from ..core.words import PARAGRAPH_SEPARATOR, count_words, count_words_many
from ..core.paths import SEEDS_DIR, resolve_path
from ..core.progress import progress_bar
from ..core.scheduler import active, map_in_parts, stage
from ..core.columns import TEXT_DTYPE, texts_of
from ..core.files import file_sha256, read_bytes, read_signed
from ..core.inventory import InputFiles
from ..core.workers import available_cores, check_n_jobs, process_pool, start_method

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
]

#: Columns of the documents table, in order, with their dtypes.
DOCUMENT_COLUMNS: dict[str, str] = {
    "doc_id": TEXT_DTYPE,
    "path": TEXT_DTYPE,
    "layout": "category",
    "section": TEXT_DTYPE,
    "title": TEXT_DTYPE,
    "date": "datetime64[ns]",
    "date_text": TEXT_DTYPE,
    "author": TEXT_DTYPE,
    "source": TEXT_DTYPE,
    "body": TEXT_DTYPE,
    "credits": TEXT_DTYPE,
    "language": TEXT_DTYPE,
    "n_words": "int64",
    "n_paragraphs": "int64",
    "duplicate_of": TEXT_DTYPE,
}
#: Columns of the load report, one row per input file (or table row that was skipped).
REPORT_COLUMNS: dict[str, str] = {
    "path": TEXT_DTYPE,
    "status": "category",
    "doc_id": TEXT_DTYPE,
    "layout": TEXT_DTYPE,
    "encoding": TEXT_DTYPE,
    "reason": TEXT_DTYPE,
    "warnings": TEXT_DTYPE,
}
TABLE_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")
#: With ``n_jobs=None``, a folder with at least this many files to parse is parsed by a pool of processes.
PARALLEL_MIN_FILES = 2_000
#: A cold load into the corpus store parses, caches and writes this many files at a time (about 170 MB of text for
#: pages of this kind; the next part parses while one is written), so its memory does not grow with the corpus.
STREAM_FILES = 50_000
#: :func:`load_paragraphs` splits this many documents at a time.
PARAGRAPH_PART = 10_000
#: With ``cache=None``, a folder with at least this many files uses the page cache (see :mod:`corpus_utils.input.cache`).
CACHE_MIN_FILES = 500
#: With ``cache=None``, a table file of at least this many bytes goes through the corpus store (about
#: :data:`CACHE_MIN_FILES` pages of a few kilobytes).
TABLE_CACHE_MIN_BYTES = 2 * 2**20
_FILES_PER_TASK = 256
#: Content keys (:func:`_content_keys`): files not in the system's file cache (a batch slower than
#: :data:`COLD_READ_SECONDS` per file) are read by :data:`KEY_THREADS` threads when at least
#: :data:`THREADED_KEYS_MIN_FILES` are left, :data:`_KEY_BATCH` per task. 100,000 pages of 3.4 KB not cached: 9.1 s
#: in one thread, 4.0 s in four; once cached, 0.7-0.9 s in one but 2.0-2.4 s in four (the threads then contend for
#: the GIL), hence one thread while the files come fast (about 8 µs each cached, 90 µs not).
COLD_READ_SECONDS = 30e-6
THREADED_KEYS_MIN_FILES = 2_000
KEY_THREADS = 4
_KEY_BATCH = 512
_TABLE_FIELDS = ("title", "date", "section", "author", "source", "body")


class CorpusLoadError(ValueError):
    """A file could not be loaded and the caller asked for strict loading."""


class CorpusLoadWarning(UserWarning):
    """Some files were skipped or needed guesses; the load report lists them."""


@dataclass(frozen=True)
class LoadReport:
    """Every input accounted for: one row per file with ``status`` ``loaded`` or ``skipped``.

    Attributes
    ----------
    files : pandas.DataFrame
        Columns ``path``, ``status``, ``doc_id``, ``layout``, ``encoding``, ``reason`` (why skipped)
        and ``warnings`` (``"; "``-joined guesses such as ``no date found``).
    """

    files: pd.DataFrame

    @property
    def n_loaded(self) -> int:
        """Number of documents loaded."""
        return int((self.files["status"] == "loaded").sum())

    @property
    def n_skipped(self) -> int:
        """Number of files (or table rows) skipped, each with a reason."""
        return int((self.files["status"] == "skipped").sum())

    @property
    def n_with_warnings(self) -> int:
        """Number of loaded documents that carry at least one warning."""
        return int(self.files["warnings"].fillna("").ne("").sum())

    def problems(self) -> pd.DataFrame:
        """Rows that were skipped or carry warnings."""
        mask = self.files["status"].eq("skipped") | self.files["warnings"].fillna("").ne("")
        return self.files[mask].reset_index(drop=True)

    def summary(self) -> str:
        """One line: files seen, loaded, skipped, with warnings."""
        return (
            f"{len(self.files)} file(s): {self.n_loaded} loaded, {self.n_skipped} skipped, "
            f"{self.n_with_warnings} with warnings"
        )

    def __str__(self) -> str:
        lines = [self.summary()]
        for row in self.files.astype(object).fillna("").itertuples(index=False):
            detail = row.reason if row.status == "skipped" else (row.warnings or "ok")
            lines.append(f"  {row.status:<8} {row.path}  [{row.layout or '-'}, {row.encoding or '-'}]  {detail}")
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadedCorpus:
    """The documents table and the load report of one :func:`read_corpus` call.

    ``key`` names the corpus's content (its snapshot key; None when no snapshot was taken) and ``snapshot`` is the
    snapshot folder it was read from or stored to (:mod:`corpus_utils.input.snapshot`). ``inputs`` holds the pages of
    a folder read through the cache: each one's size and time just before it was read, and the SHA-256 of what was
    read (None otherwise; files the loader did not read, such as those it refused, are not in it).
    """

    documents: pd.DataFrame
    report: LoadReport
    key: str | None = None
    snapshot: Path | None = None
    inputs: InputFiles | None = None


def _report_row(path: str, status: str, *, doc_id=None, layout=None, encoding=None, reason=None, warnings_=()) -> dict:
    return {
        "path": path,
        "status": status,
        "doc_id": doc_id,
        "layout": layout,
        "encoding": encoding,
        "reason": reason,
        "warnings": "; ".join(warnings_) or None,
    }


def _document_row(doc_id: str, path: str, page: ParsedPage, extra: dict | None = None, *, body: str | None = None,
                  n_words: int | None = None) -> dict:
    """One row of the documents table; ``body`` and ``n_words`` when the caller has them already."""
    body = PARAGRAPH_SEPARATOR.join(page.paragraphs) if body is None else body
    row = {
        "doc_id": doc_id,
        "path": path,
        "layout": page.layout,
        "section": page.section,
        "title": page.title,
        "date": page.date,
        "date_text": page.date_text,
        "author": page.author,
        "source": page.source,
        "body": body,
        "credits": "\n".join(page.credits) or None,
        "language": detect_language(f"{page.title or ''}\n{body}"),
        "n_words": count_words(body) if n_words is None else n_words,
        "n_paragraphs": len(page.paragraphs),
        "duplicate_of": None,
    }
    row.update(extra or {})
    return row


#: Fields of a parsed page that do not depend on where the file is (what the page cache stores).
_PAGE_FIELDS = ("layout", "section", "title", "date", "date_text", "author", "source", "body", "credits", "language", "n_words",
                "n_paragraphs")


def _parse_bytes(data: bytes) -> tuple:
    """Decode and parse one file's bytes into a picklable, location-free result.

    ``("skipped", reason)`` or ``("loaded", encoding, warnings, fields)`` with ``fields`` in
    :data:`_PAGE_FIELDS` order. A function of the bytes alone, so it can be cached by content.
    """
    try:
        decoded = decode_bytes(data)
    except DecodeRefusal as exc:
        return ("skipped", exc.reason)
    try:
        page = parse_page(decoded.text)
    except EmptyPageError:
        return ("skipped", "empty file: only invisible characters (zero-width or other spaces)")
    notes = list(page.warnings)
    if decoded.note:
        notes.insert(0, decoded.note)
    if not page.paragraphs:
        notes.append("empty body: no article paragraph after the header")
    row = _document_row("", "", page)
    return ("loaded", decoded.encoding, tuple(notes), tuple(row[name] for name in _PAGE_FIELDS))


def _rows(parsed: tuple, relative: str) -> tuple[dict | None, dict]:
    """(document row or None, report row) of a parse result for the file at ``relative``."""
    if parsed[0] == "skipped":
        return None, _report_row(relative, "skipped", reason=parsed[1])
    _, encoding, notes, fields = parsed
    doc_id = relative.rsplit(".", 1)[0]
    report = _report_row(relative, "loaded", doc_id=doc_id, layout=fields[0], encoding=encoding, warnings_=notes)
    document = dict(zip(_PAGE_FIELDS, fields))
    document.update(doc_id=doc_id, path=relative, duplicate_of=None)
    return document, report


_DATE_FIELD = _PAGE_FIELDS.index("date")
_TEXT_FIELDS = {"layout", "body"}
_COUNT_FIELDS = {"n_words", "n_paragraphs"}


def _to_cache(parsed: tuple) -> list:
    """A parse result as JSON-able lists (the date as an ISO day), for the page cache."""
    if parsed[0] == "skipped":
        return list(parsed)
    _, encoding, notes, fields = parsed
    fields = list(fields)
    fields[_DATE_FIELD] = None if fields[_DATE_FIELD] is None else fields[_DATE_FIELD].strftime("%Y-%m-%d")
    return ["loaded", encoding, list(notes), fields]


def _field_ok(name: str, value: object) -> bool:
    if name in _COUNT_FIELDS:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if name in _TEXT_FIELDS:
        return isinstance(value, str)
    return value is None or isinstance(value, str)


def _from_cache(value: object) -> tuple | None:
    """A parse result from its cached JSON form, or ``None`` (a miss: parse again) when the entry has any other shape."""
    if not isinstance(value, list) or not value:
        return None
    if value[0] == "skipped":
        return ("skipped", value[1]) if len(value) == 2 and isinstance(value[1], str) else None
    if value[0] != "loaded" or len(value) != 4:
        return None
    _, encoding, notes, fields = value
    if not (isinstance(encoding, str) and isinstance(notes, list) and all(isinstance(note, str) for note in notes)):
        return None
    if not (isinstance(fields, list) and len(fields) == len(_PAGE_FIELDS)):
        return None
    if not all(_field_ok(name, field) for name, field in zip(_PAGE_FIELDS, fields)):
        return None
    if fields[_DATE_FIELD] is not None:
        try:
            fields[_DATE_FIELD] = pd.Timestamp(fields[_DATE_FIELD])
        except ValueError:
            return None
    return ("loaded", encoding, tuple(notes), tuple(fields))


def _read_and_parse(path: str, with_key: bool) -> tuple[str | None, tuple | BaseException]:
    """(content key or None, parse result) of one file; an unexpected parser error is returned, not raised."""
    try:
        data = read_bytes(path)
    except OSError as exc:
        return None, ("skipped", f"unreadable: {exc.strerror or exc}; check permissions")
    try:
        parsed: tuple | BaseException = _parse_bytes(data)
    except Exception as exc:  # re-raised by the caller in file order, as the sequential loop would
        parsed = exc
    return (content_key(data) if with_key else None), parsed


def _parse_paths(paths: list[str], with_key: bool) -> list[tuple[str | None, tuple | BaseException]]:
    """Worker task: :func:`_read_and_parse` for a batch of files."""
    return [_read_and_parse(path, with_key) for path in paths]


def _parse_file(file: Path, relative: str) -> tuple[dict | None, dict]:
    """Decode and parse one page file: (document row or None, report row)."""
    _, parsed = _read_and_parse(str(file), False)
    if isinstance(parsed, BaseException):
        raise parsed
    return _rows(parsed, relative)


def _finish_documents(rows: list[dict], extra_columns: Iterable[str] = (), *,
                      first_of_body: dict[bytes, str] | None = None) -> pd.DataFrame:
    """The documents table of ``rows``, with ``duplicate_of``: the first document (in row order) with the same body.
    ``first_of_body`` (body digest → doc_id) carries that over from earlier parts of a table written part by part."""
    frame = pd.DataFrame(rows, columns=[*DOCUMENT_COLUMNS, *extra_columns])
    frame = frame.astype({name: dtype for name, dtype in DOCUMENT_COLUMNS.items() if name != "layout"})
    frame["layout"] = pd.Categorical(frame["layout"], categories=["procuratorate", "repost", "plain", "table"])
    first_of_body = {} if first_of_body is None else first_of_body
    duplicate_of = []
    for doc_id, body in zip(frame["doc_id"].tolist(), frame["body"].tolist()):
        if body is pd.NA:
            duplicate_of.append(None)
            continue
        first = first_of_body.setdefault(hashlib.sha1(body.encode("utf-8")).digest(), doc_id)
        duplicate_of.append(None if first == doc_id else first)
    frame["duplicate_of"] = pd.array(duplicate_of, dtype=TEXT_DTYPE)
    return frame.reset_index(drop=True)


def _finish_report(rows: list[dict]) -> LoadReport:
    files = pd.DataFrame(rows, columns=list(REPORT_COLUMNS)).astype(REPORT_COLUMNS)
    files["status"] = pd.Categorical(files["status"], categories=["loaded", "skipped"])
    return LoadReport(files)


def _raise_if_strict(strict: bool, report_row: dict, where: Path) -> None:
    if strict and report_row["status"] == "skipped":
        raise CorpusLoadError(f"{report_row['path']} in {where}: {report_row['reason']} (strict loading)")


_check_n_jobs = check_n_jobs
_available_cores = available_cores


def _page_cache(cache: bool | str | Path | None, n_files: int) -> PageCache | None:
    folder = _cache_folder(cache, automatic=n_files >= CACHE_MIN_FILES)
    return None if folder is None else PageCache(folder)


def _cache_folder(cache: bool | str | Path | None, *, automatic: bool) -> str | Path | None:
    """The folder a ``cache`` option names (None: ``automatic`` decides; True: the default folder), or None."""
    if cache is None:
        cache = automatic
    if cache is False:
        return None
    if cache is True:
        return default_cache_dir()
    if isinstance(cache, (str, Path)):
        return cache
    raise ValueError(f"cache must be None (automatic), True, False or a folder path, got {cache!r}")


_start_method = start_method


def _parse_in_pool(paths: list[str], n_jobs: int, with_key: bool,
                   description: str = "parsing pages") -> list[tuple[str | None, tuple | BaseException]]:
    """Parse files in ``n_jobs`` worker processes; results in the order of ``paths``."""
    per_task = _files_per_task(len(paths), n_jobs)
    batches = [paths[start : start + per_task] for start in range(0, len(paths), per_task)]
    results: list[tuple[str | None, tuple | BaseException]] = []
    # with forkserver, workers fork from a server that imported the parser once
    with process_pool(n_jobs, preload=__name__, method=_start_method()) as pool, \
            progress_bar(len(paths), description, unit="page") as bar:
        for batch in pool.map(_parse_paths, batches, [with_key] * len(batches)):
            results.extend(batch)
            bar.update(len(batch))
    return results


def _parse_paths_task(paths: list[str], *, with_key: bool) -> list[tuple[str | None, tuple | BaseException]]:
    """Dask task: :func:`_parse_paths` with the batch first."""
    return _parse_paths(paths, with_key)


def _parse_all(paths: list[str], n_jobs: int | None, with_key: bool,
               description: str = "parsing pages") -> list[tuple[str | None, tuple | BaseException]]:
    """Parse results of ``paths``, in order: on the Dask workers, in a pool of processes, or here; ``description``
    labels the progress bar."""
    if active() is not None and paths:  # on the Dask workers, which must see the files at the same paths
        parts = map_in_parts(_parse_paths_task, paths, stage_name="parsing pages", with_key=with_key)
        return [result for part in parts for result in part]
    with stage("parsing pages", items=len(paths)):
        return _parse_here(paths, n_jobs, with_key, description)


def _parse_here(paths: list[str], n_jobs: int | None, with_key: bool,
                description: str = "parsing pages") -> list[tuple[str | None, tuple | BaseException]]:
    jobs = n_jobs if n_jobs is not None else (_available_cores() if len(paths) >= PARALLEL_MIN_FILES else 1)
    jobs = min(jobs, len(paths))
    if jobs > 1:
        try:
            return _parse_in_pool(paths, jobs, with_key, description)
        except (OSError, BrokenProcessPool) as exc:
            warnings.warn(
                f"could not parse in {jobs} processes ({exc}); parsing in this process instead (same results, slower)",
                RuntimeWarning,
                stacklevel=4,
            )
    results: list[tuple[str | None, tuple | BaseException]] = []
    with progress_bar(len(paths), description, unit="page") as bar:
        for start in range(0, len(paths), _FILES_PER_TASK):
            batch = _parse_paths(paths[start : start + _FILES_PER_TASK], with_key)
            results.extend(batch)
            bar.update(len(batch))
    return results


def _read_folder(
    folder: Path, pattern: str, strict: bool, n_jobs: int | None = 1, cache: bool | str | Path | None = False
) -> LoadedCorpus:
    cut = len(str(folder).rstrip(os.sep)) + 1  # glob yields folder/<relative>: slicing is ~10x faster than relative_to
    listed = sorted((str(path)[cut:].replace(os.sep, "/"), path) for path in folder.glob(pattern))
    refused = {relative: reason for relative, reason in _unreadable_folders(folder, pattern, cut)}
    for relative, path in listed:
        reason = _not_a_page(path)
        if reason is not None:
            refused[relative] = reason
    if not listed and not refused:
        raise ValueError(f"no files match {pattern!r} in {folder}; check the folder or pass pattern='*.html' etc.")
    readable = [(relative, path) for relative, path in listed if relative not in refused]
    relatives = [relative for relative, _ in readable]
    files = [path for _, path in readable]
    page_cache = _page_cache(cache, len(files))
    if page_cache is None:
        parsed = [result for _, result in _parse_all([str(file) for file in files], n_jobs, False)]
        return _assemble(folder, dict(zip(relatives, parsed)), refused, strict)
    try:
        keys, signatures = _content_keys(files)
        inputs = _read_inputs(relatives, keys, signatures)
        if len(keys) == len(files) and not strict:  # every file read: the corpus has a content key
            snapshots = SnapshotStore(page_cache.folder)
            corpus_key = snapshot_key(pattern, [(relatives[index], key) for index, key in keys.items()], refused.items())
            if (stored := snapshots.read(corpus_key)) is not None:
                return replace(_from_snapshot(stored), inputs=inputs)
            streamed = _stream_to_snapshot(folder, pattern, snapshots, corpus_key, page_cache, relatives, files, keys,
                                           refused, n_jobs)
            if streamed is not None:
                return replace(streamed, inputs=inputs)
        parsed = _through_cache(page_cache, files, keys, n_jobs)  # every page is cached now if it was streamed
    finally:
        page_cache.close()
    return replace(_assemble(folder, dict(zip(relatives, parsed)), refused, strict), inputs=inputs)


def _read_inputs(relatives: list[str], keys: dict[int, str], signatures: dict[int, tuple[int, int]]) -> InputFiles:
    """The files the content keys read (``relatives`` sorted, by position): path, size and time before the read,
    SHA-256."""
    inputs = InputFiles([], array("q"), array("q"), [])
    for index in sorted(keys):
        inputs.append(relatives[index], *signatures[index], bytes.fromhex(keys[index]))
    return inputs


def _content_keys(files: list[Path]) -> tuple[dict[int, str], dict[int, tuple[int, int]]]:
    """The SHA-256 of each file that can be read, by position, and its size and modification time (ns) as they were
    just before the read (:func:`~corpus_utils.core.files.read_signed`).

    Read :data:`_KEY_BATCH` files at a time in this thread while they come fast (from the system's file cache); from
    the first batch slower than :data:`COLD_READ_SECONDS` per file on, the rest is read and hashed by
    :data:`KEY_THREADS` threads (the reads and the hashing release the GIL, and files not yet cached arrive sooner
    when several are asked for at once). Only the time changes, never the keys.
    """
    found: list[tuple[int, str, tuple[int, int]]] = []
    for start in range(0, len(files), _KEY_BATCH):
        began = time.perf_counter()
        found.extend(_keys_of(files[start : start + _KEY_BATCH], start))
        rest = start + _KEY_BATCH
        slow = time.perf_counter() - began > COLD_READ_SECONDS * _KEY_BATCH
        if slow and len(files) - rest >= THREADED_KEYS_MIN_FILES:
            with ThreadPoolExecutor(max_workers=KEY_THREADS, thread_name_prefix="content-keys") as threads:
                batches = threads.map(lambda first: _keys_of(files[first : first + _KEY_BATCH], first),
                                      range(rest, len(files), _KEY_BATCH))
                found.extend(entry for batch in batches for entry in batch)
            break
    return {index: key for index, key, _ in found}, {index: signature for index, _, signature in found}


def _keys_of(files: list[Path], first: int) -> list[tuple[int, str, tuple[int, int]]]:
    """``(position, SHA-256, (size, time))`` of each file of ``files`` that can be read, positions counted from
    ``first``."""
    keys = []
    for index, file in enumerate(files, start=first):
        try:
            data, signature = read_signed(file)
        except OSError:
            continue  # parsed later, where the read fails again and is reported
        keys.append((index, content_key(data), signature))
    return keys


def _files_per_task(n_files: int, jobs: int) -> int:
    """Files per pool task: about four tasks per process, at most :data:`_FILES_PER_TASK`."""
    return max(1, min(_FILES_PER_TASK, -(-n_files // (4 * jobs))))


def _from_page_cache(page_cache: PageCache, keys: dict[int, str], positions: Iterable[int],
                     parsed: dict[int, tuple | None]) -> list[int]:
    """Fill ``parsed`` at ``positions`` with the page cache's results (None where it has none); the positions left
    to parse."""
    positions = list(positions)
    hits = page_cache.get_many([keys[index] for index in positions if index in keys])
    for index in positions:
        parsed[index] = _from_cache(hits.get(keys.get(index)))
    return [index for index in positions if parsed[index] is None]


def _cache_entries(results: Iterable[tuple[str | None, tuple | BaseException]]) -> list[tuple[str, list]]:
    """The page-cache entries ``(key, value)`` of fresh parse results (failures and unkeyed files left out)."""
    return [(key, _to_cache(result)) for key, result in results if key is not None and not isinstance(result, BaseException)]


def _through_cache(page_cache: PageCache, files: list[Path], keys: dict[int, str], n_jobs: int | None,
                   positions: range | None = None, description: str = "parsing pages") -> list[tuple | BaseException]:
    """Parse results of ``files`` (those at ``positions``, default all), from the page cache where it holds them,
    else parsed (and stored in it) under the cache's parse lock: a process that waited for the lock finds what the
    other one parsed."""
    positions = range(len(files)) if positions is None else positions
    parsed: dict[int, tuple | None] = {}
    if _from_page_cache(page_cache, keys, positions, parsed):
        with page_cache.parsing():  # another process loading the same pages may have cached them meanwhile
            todo = _from_page_cache(page_cache, keys, [index for index in positions if parsed[index] is None], parsed)
            fresh = _parse_all([str(files[index]) for index in todo], n_jobs, True, description)
            parsed.update((index, result) for index, (_, result) in zip(todo, fresh))
            page_cache.put_many(_cache_entries(fresh))
    return [parsed[index] for index in positions]


def _stream_to_snapshot(folder: Path, pattern: str, snapshots: SnapshotStore, corpus_key: str, page_cache: PageCache,
                        relatives: list[str], files: list[Path], keys: dict[int, str], refused: dict[str, str],
                        n_jobs: int | None) -> LoadedCorpus | None:
    """Load the folder :data:`STREAM_FILES` files at a time into its snapshot, and read the snapshot back.

    Each part is parsed (or read from the page cache), cached, turned into rows of the documents table and written
    as one Parquet row group, then dropped, the next part parsing meanwhile (:func:`_parsed_parts`): memory holds
    two parts, not the whole corpus, until the read-back
    (whose strings are the snapshot's). ``duplicate_of`` is kept across parts by body digest, so the table is the one
    loading everything at once gives (a test checks it). None when the snapshot cannot be written or read back
    (then the caller assembles the table in memory, from the page cache this filled).
    """
    report_rows = [_report_row(relative, "skipped", reason=reason) for relative, reason in refused.items()]
    first_of_body: dict[bytes, str] = {}
    parts = [range(start, min(start + STREAM_FILES, len(files))) for start in range(0, len(files), STREAM_FILES)]
    try:
        with snapshots.writer(corpus_key, corpus=folder, pattern=pattern) as writer, \
                closing(_parsed_parts(page_cache, files, keys, n_jobs, parts or [range(0)])) as parsed_parts:
            for positions, parsed in parsed_parts:
                failure = next((result for result in parsed if isinstance(result, BaseException)), None)
                if failure is not None:
                    raise _ParserFailure(failure)
                rows = [_rows(result, relatives[index]) for index, result in zip(positions, parsed)]
                del parsed
                report_rows += [report_row for _, report_row in rows]
                writer.append(_finish_documents([document for document, _ in rows if document is not None],
                                                first_of_body=first_of_body))
                del rows
            writer.finish(_finish_report(sorted(report_rows, key=lambda row: row["path"])).files)
    except _ParserFailure as failure:  # raised as a load of everything at once raises it (the snapshot is gone)
        raise failure.error from None
    except (OSError, ValueError):  # a full disk, a table Parquet cannot hold: load without a snapshot
        return None
    stored = snapshots.read(corpus_key)
    return None if stored is None else _from_snapshot(stored)


def _parsed_parts(page_cache: PageCache, files: list[Path], keys: dict[int, str], n_jobs: int | None,
                  parts: list[range]) -> Iterator[tuple[range, list[tuple | BaseException]]]:
    """``(positions, parse results)`` of each of ``parts`` (ranges of positions in ``files``) in turn, as
    :func:`_through_cache` gives them: from the page cache, else parsed and stored in it.

    With a pool of processes and several parts, one pool parses every part, and the next part is already sent to
    it when a part is handed over: while the caller turns that part into rows and writes it to the snapshot (and
    this generator stores it in the page cache), the workers go on parsing instead of waiting. The parse lock is
    held throughout. On Dask, with one process or one part: :func:`_through_cache` part by part. Close the
    generator (``contextlib.closing``) so that an error in the caller cancels the parts sent ahead.
    """
    jobs = n_jobs if n_jobs is not None else (_available_cores() if len(files) >= PARALLEL_MIN_FILES else 1)
    if active() is not None or jobs < 2 or len(parts) < 2:
        for number, positions in enumerate(parts):
            description = "parsing pages" + (f" (part {number + 1} of {len(parts)}, {STREAM_FILES:,} pages each)"
                                             if len(parts) > 1 else "")
            yield positions, _through_cache(page_cache, files, keys, n_jobs, positions, description)
        return
    with page_cache.parsing(), stage("parsing pages", items=len(files)), \
            progress_bar(len(files), f"parsing pages ({len(parts)} parts of {STREAM_FILES:,})", unit="page") as bar, \
            _AheadParser(jobs, bar) as parser:
        ahead = parser.send(page_cache, files, keys, parts[0])
        for number in range(len(parts)):
            parsed, fresh = parser.collect(ahead)
            if number + 1 < len(parts):
                ahead = parser.send(page_cache, files, keys, parts[number + 1])
            page_cache.put_many(fresh)
            del fresh
            yield parts[number], parsed


@dataclass
class _SentPart:
    """A part of the files handed to :class:`_AheadParser`: cache hits by position (None: being parsed) and the
    batches of positions sent to the pool with their futures (None: to parse in this process)."""

    positions: range
    parsed: dict[int, tuple | None]
    batches: list[tuple[list[int], list[str], Future | None]]


class _AheadParser:
    """A pool of ``jobs`` processes parsing batches of pages sent ahead of the caller (:func:`_parsed_parts`), the
    progress ``bar`` counting pages as the batches finish. If the pool cannot start or breaks, what is left is parsed
    in this process, with one warning (same results, slower)."""

    def __init__(self, jobs: int, bar) -> None:
        self.jobs, self.bar, self.lock = jobs, bar, threading.Lock()
        self.pool: ProcessPoolExecutor | None = None
        self.usable = False  # False once the pool could not start or broke

    def __enter__(self) -> _AheadParser:
        try:
            self.pool = process_pool(self.jobs, preload=__name__, method=_start_method())
            self.usable = True
        except OSError as exc:
            self._fell_back(exc)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:  # batches sent ahead and not started are dropped (an error or Ctrl-C in the caller)
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _count(self, n_pages: int) -> None:
        with self.lock:  # batches finish on the pool's thread, cache hits are counted on this one
            self.bar.update(n_pages)

    def _fell_back(self, exc: BaseException) -> None:
        if self.usable or self.pool is None:  # one warning, when the pool fails to start or first breaks
            warnings.warn(f"could not parse in {self.jobs} processes ({exc}); parsing in this process instead "
                          "(same results, slower)", RuntimeWarning, stacklevel=5)
        self.usable = False

    def send(self, page_cache: PageCache, files: list[Path], keys: dict[int, str], positions: range) -> _SentPart:
        """Look ``positions`` up in the page cache and send the pages it lacks to the pool."""
        parsed: dict[int, tuple | None] = {}
        todo = _from_page_cache(page_cache, keys, positions, parsed)
        self._count(len(positions) - len(todo))
        per_task = _files_per_task(len(todo), self.jobs)
        batches = []
        for start in range(0, len(todo), per_task):
            batch = todo[start : start + per_task]
            paths = [str(files[index]) for index in batch]
            batches.append((batch, paths, self._submit(paths)))
        return _SentPart(positions, parsed, batches)

    def _submit(self, paths: list[str]) -> Future | None:
        if not self.usable:
            return None
        try:
            future = self.pool.submit(_parse_paths, paths, True)
        except (BrokenProcessPool, RuntimeError, OSError) as exc:
            self._fell_back(exc)
            return None
        future.add_done_callback(lambda done, n_pages=len(paths): done.cancelled() or done.exception() is not None
                                 or self._count(n_pages))  # a failed batch is counted when parsed here
        return future

    def collect(self, sent: _SentPart) -> tuple[list[tuple | BaseException], list[tuple[str, list]]]:
        """The parse results of the part, in order of position, and the page-cache entries of the pages parsed."""
        fresh = []
        for batch, paths, future in sent.batches:
            results = None
            if future is not None:
                try:
                    results = future.result()
                except (BrokenProcessPool, OSError) as exc:
                    self._fell_back(exc)
            if results is None:  # no pool (any more): here
                results = _parse_paths(paths, True)
                self._count(len(paths))
            sent.parsed.update((index, result) for index, (_, result) in zip(batch, results))
            fresh += _cache_entries(results)
        return [sent.parsed[index] for index in sent.positions], fresh


class _ParserFailure(Exception):
    """Internal: the parser failed on a file (``error``), as distinct from the snapshot failing to be written."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _assemble(folder: Path, results: dict[str, tuple | BaseException], refused: dict[str, str],
              strict: bool) -> LoadedCorpus:
    """The documents table and load report of every file's parse result (``results`` by relative path) and of the
    ``refused`` ones, in path order; a parser error is raised there, as a sequential load would raise it."""
    results = {**results, **{relative: ("skipped", reason) for relative, reason in refused.items()}}
    documents, report_rows = [], []
    for relative in sorted(results):
        result = results[relative]
        if isinstance(result, BaseException):
            raise result
        document, report_row = _rows(result, relative)
        _raise_if_strict(strict, report_row, folder)
        report_rows.append(report_row)
        if document is not None:
            documents.append(document)
    return LoadedCorpus(_finish_documents(documents), _finish_report(report_rows))


def _from_snapshot(stored: Snapshot) -> LoadedCorpus:
    return LoadedCorpus(stored.documents, LoadReport(stored.files), key=stored.key, snapshot=stored.folder)


_FILE_KINDS = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


def _not_a_page(path: Path) -> str | None:
    """Why ``path`` cannot be read as a page (a broken link, a loop, a folder, a FIFO …), or ``None`` for a regular file.

    Looks at the path's metadata only: a FIFO or a device is never opened, so reading it cannot block.
    """
    try:
        info = os.stat(path)  # follows links: a link to a regular file is read like the file
    except FileNotFoundError:
        return "broken link: its target does not exist" if path.is_symlink() else "vanished while the folder was listed"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "link loop: the link points back to itself"
        return f"unreadable: {exc.strerror or exc}; check permissions"
    if stat.S_ISREG(info.st_mode):
        return None
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not a file"
    kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "special file")
    return f"not a regular file ({kind}); never opened"


def _unreadable_folders(folder: Path, pattern: str, cut: int) -> list[tuple[str, str]]:
    """``(relative path, reason)`` of every subfolder a recursive ``pattern`` could not look into (glob skips them silently)."""
    if "**" not in pattern:
        return []
    found: list[tuple[str, str]] = []

    def note(error: OSError) -> None:
        if error.filename and str(error.filename) != str(folder):
            relative = str(error.filename)[cut:].replace(os.sep, "/")
            found.append((relative, f"unreadable folder: {error.strerror or error}; the pages inside it were not listed"))

    for _ in os.walk(folder, onerror=note, followlinks=False):
        pass
    return found


def _wide_csv_row(file: Path) -> tuple[int, int, int] | None:
    """``(line, fields, header fields)`` of the first CSV row with more fields than the header, or ``None``."""
    with open(file, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        for row in reader:
            if len(row) > len(header):
                return reader.line_num, len(row), len(header)
    return None


def _read_csv(file: Path) -> pd.DataFrame:
    """The CSV as text columns; a row wider than the header is an error naming its line, never shifted columns.

    pandas would take a first data row with an extra field as a sign that the first column is the index,
    which silently shifts every column; ``index_col=False`` plus the check below refuses such a file.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            table = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig", index_col=False)
        except pd.errors.ParserError:
            table, caught = None, [True]
    if caught:
        wide = _wide_csv_row(file)
        if wide is not None:
            line, fields, expected = wide
            raise ValueError(
                f"{file}: line {line} has {fields} fields but the header has {expected}; quote fields that contain "
                'commas ("a, b") or remove the extra field, so that no column is shifted'
            )
    if table is None:
        table = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig", index_col=False)
    return table


def _bad_json_line(file: Path) -> tuple[int, str] | None:
    """``(line, message)`` of the first line of a JSON Lines file that is not one JSON object, or ``None``."""
    with open(file, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return number, exc.msg
            if not isinstance(value, dict):
                return number, f"a {type(value).__name__}, not an object"
    return None


def _read_table_file(file: Path) -> pd.DataFrame:
    suffix = file.suffix.lower()
    try:
        if suffix == ".csv":
            table = _read_csv(file)
        elif suffix in (".jsonl", ".ndjson"):
            bad = _bad_json_line(file)
            if bad is not None:
                raise ValueError(f"{file}: line {bad[0]} is not valid JSON ({bad[1]}); each line must hold one JSON object")
            table = pd.read_json(file, lines=True, dtype=False)
        else:
            table = pd.read_parquet(file)
    except ValueError as exc:
        if str(exc).startswith(str(file)):
            raise
        raise ValueError(f"{file}: cannot be read as a {suffix[1:]} table ({exc}); check the file's format") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file}: cannot be read as a {suffix[1:]} table ({exc}); check the file's format") from exc
    if table.empty:
        detail = "has a header but no rows" if len(table.columns) else "has no rows"
        raise ValueError(f"{file}: the table {detail}; there is nothing to load")
    return table


def _missing(value: object) -> bool:
    """None, NaN or NaT: a cell with no value (never called ambiguous on lists or arrays)."""
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _kind(value: object) -> str:
    """What a cell holds, in words: ``list`` (also tuples and arrays), ``dict``, ``bool``, ``int`` …"""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return "list"
    return "dict" if isinstance(value, dict) else type(value).__name__


def _table_text(value: object) -> str | None:
    if _missing(value) or not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    return clean_line(str(value)) or None


def _table_body(value: object) -> tuple[str, str | None]:
    """``(text, refusal)``: the body as text, or a reason to skip the row when the cell is not text."""
    if _missing(value):
        return "", None
    if isinstance(value, str):
        return value, None
    return "", f"body is a {_kind(value)}, not text"


def _table_page(record: dict) -> ParsedPage:
    page = ParsedPage("table", **{name: _table_text(record.get(name)) for name in ("title", "section", "author", "source")})
    raw_date = record.get("date")
    if isinstance(raw_date, pd.Timestamp) and not pd.isna(raw_date):
        page.date_text = str(raw_date.date())
        page.date = storable_date(raw_date.normalize().tz_localize(None), page.date_text, page.warnings)
    else:
        page.date_text = _table_text(raw_date)
        parsed = parse_date(page.date_text)
        if page.date_text is None:
            if "date" in record:
                page.warnings.append("no date found")
        elif parsed is None:
            page.warnings.append(f"unparseable date {page.date_text!r}: date left empty (NaT)")
        page.date = storable_date(parsed, page.date_text, page.warnings)
    body, _ = _table_body(record.get("body"))
    page.paragraphs = [line for line in clean_lines(body) if line]
    if page.title is None:
        page.warnings.append("no title")
    return page


def _renamed_columns(columns: Iterable[object]) -> dict[str, str]:
    """Table columns whose names the loader writes itself (``path``, ``n_words`` …), each with the name it is kept under."""
    taken = set(DOCUMENT_COLUMNS) - {*_TABLE_FIELDS, "doc_id"}
    names = [str(column) for column in columns]
    renamed = {}
    for name in names:
        if name in taken:
            new = f"extra_{name}"
            while new in names or new in renamed.values():
                new = f"extra_{new}"
            renamed[name] = new
    return renamed


def _unique_ids(table: pd.DataFrame, id_column: str | None, stem: str) -> tuple[list[str], dict[int, str]]:
    """One doc_id per row, unique: given ids kept, empty ones generated, repeated ones numbered (``a``, ``a~2``).

    Returns the ids and a warning per changed row position.
    """
    generated = [f"{stem}-{position:06d}" for position in range(len(table))]
    given = [None if id_column is None or _missing(value) else (clean_line(str(value)) or None)
             for value in (table[id_column] if id_column else [None] * len(table))]
    used = {value for value in given if value is not None}
    ids, notes, seen = [], {}, set()
    for position, (value, fallback) in enumerate(zip(given, generated)):
        if value is None:
            candidate = fallback
            if id_column is not None:
                notes[position] = f"empty {id_column}: this row is {candidate!r}"
        elif value in seen:
            number = 2
            while f"{value}~{number}" in seen or f"{value}~{number}" in used:
                number += 1
            candidate = f"{value}~{number}"
            notes[position] = f"{id_column} {value!r} repeated: this row is {candidate!r}"
        else:
            candidate = value
        seen.add(candidate)
        ids.append(candidate)
    return ids, notes


@dataclass
class _Table:
    """A table corpus read and checked, before its rows are cleaned: the rows' ids, the notes on them, and which
    columns are kept as extra columns (renamed when the loader writes a column of that name)."""

    file: Path
    table: pd.DataFrame
    ids: list[str]
    notes: dict[int, list[str]]
    extra_columns: list[str]

    @classmethod
    def read(cls, file: Path) -> _Table:
        table = _read_table_file(file)
        if "body" not in table.columns:
            raise ValueError(f"{file}: a table corpus needs a 'body' column (found: {', '.join(map(str, table.columns))})")
        renamed = _renamed_columns(table.columns)
        table = table.rename(columns=renamed)
        id_column = next((name for name in ("doc_id", "id") if name in table.columns), None)
        ids, id_notes = _unique_ids(table, id_column, file.stem)
        notes = {position: [note] for position, note in id_notes.items()}
        if renamed:
            notes.setdefault(0, []).insert(0, f"columns {', '.join(renamed)} kept as {', '.join(renamed.values())} "
                                              "(the loader writes those names)")
        extra_columns = [name for name in table.columns if name not in (*_TABLE_FIELDS, "doc_id", "id")]
        return cls(file, table, ids, notes, extra_columns)

    def rows(self, positions: range) -> list[tuple[str, str, dict, list[str]]]:
        """What :func:`_table_rows` needs of the rows at ``positions``: id, where, the loader's fields, notes."""
        fields = [name for name in _TABLE_FIELDS if name in self.table.columns]
        records = self.table[fields].iloc[positions.start : positions.stop].to_dict("records")
        return [(self.ids[position], f"{self.file.name}#row{position + 1}", record, self.notes.get(position, []))
                for position, record in zip(positions, records)]

    def documents(self, rows: list[tuple[dict | None, dict]], positions: range, first_of_body: dict[bytes, str],
                  strict: bool) -> tuple[pd.DataFrame, list[dict]]:
        """The documents table and report rows of the cleaned ``rows`` at ``positions`` (see :func:`_finish_documents`),
        the extra columns taken from the table with its dtypes; with ``strict``, the first skipped row is raised."""
        for _, report_row in rows:
            _raise_if_strict(strict, report_row, self.file)
        loaded = [position for position, (document, _) in zip(positions, rows) if document is not None]
        frame = _finish_documents([document for document, _ in rows if document is not None], first_of_body=first_of_body)
        for name in self.extra_columns:
            frame[name] = self.table[name].iloc[loaded].reset_index(drop=True)
        return frame, [report_row for _, report_row in rows]


def _table_rows(rows: list[tuple[str, str, dict, list[str]]]) -> list[tuple[dict | None, dict]]:
    """Task: each table row ``(doc_id, where, fields, notes)`` cleaned into a document row (None when it is skipped)
    and its report row. Each row is cleaned on its own, so parts of a table give what the whole gives."""
    pages = []
    for doc_id, where, record, notes in rows:
        _, refusal = _table_body(record.get("body"))
        page = _table_page(record)
        pages.append((doc_id, where, notes, None if refusal or not page.paragraphs else page, refusal))
    bodies = [PARAGRAPH_SEPARATOR.join(page.paragraphs) for *_, page, _ in pages if page is not None]
    counts = iter(zip(bodies, count_words_many(bodies)))  # the words of every body at once: 3x one call per body
    cleaned = []
    for doc_id, where, notes, page, refusal in pages:
        if page is None:
            cleaned.append((None, _report_row(where, "skipped", doc_id=doc_id, layout="table",
                                              reason=refusal or "empty body", warnings_=notes)))
        else:
            body, n_words = next(counts)
            cleaned.append((_document_row(doc_id, where, page, body=body, n_words=int(n_words)),
                            _report_row(where, "loaded", doc_id=doc_id, layout="table", warnings_=notes + page.warnings)))
    return cleaned


def _cleaned_rows(table: _Table, positions: range) -> list[tuple[dict | None, dict]]:
    """:func:`_table_rows` of the rows at ``positions``: on the Dask workers when a scheduler is active, else on every
    free core from :data:`~corpus_utils.core.scheduler.POOL_MIN_ITEMS` rows, else here."""
    return [row for part in map_in_parts(_table_rows, table.rows(positions), stage_name="cleaning table rows",
                                         processes=True) for row in part]


def _table_parts(n_rows: int) -> list[range]:
    """Row positions of a table in parts of at most :data:`STREAM_FILES` rows (one part for an empty table)."""
    return [range(start, min(start + STREAM_FILES, n_rows)) for start in range(0, max(n_rows, 1), STREAM_FILES)]


def _table_store(cache: bool | str | Path | None, file: Path) -> SnapshotStore | None:
    """The corpus store a table goes through: with ``cache=None``, only a table of at least
    :data:`TABLE_CACHE_MIN_BYTES`."""
    folder = _cache_folder(cache, automatic=cache is None and _at_least_bytes(file, TABLE_CACHE_MIN_BYTES))
    return None if folder is None else SnapshotStore(folder)


def _at_least_bytes(file: Path, size: int) -> bool:
    """Whether ``file`` holds at least ``size`` bytes (False when it cannot be read: the reader says why)."""
    try:
        return file.stat().st_size >= size
    except OSError:
        return False


def _read_table(file: Path, strict: bool, cache: bool | str | Path | None = False, pattern: str = "*.txt") -> LoadedCorpus:
    """A table corpus: from its snapshot in the corpus store while the file's bytes are unchanged, else read,
    cleaned in parts (:func:`_cleaned_rows`) and, with a store, written to a new snapshot part by part."""
    store = None if strict else _table_store(cache, file)
    key = None if store is None else snapshot_key(pattern, [(file.name, file_sha256(file))])
    if store is not None and (stored := store.read(key)) is not None:
        return _from_snapshot(stored)
    table = _Table.read(file)
    if store is not None and _table_to_snapshot(table, store, key, pattern):
        del table  # the snapshot holds it now: read back without a second copy of the text
        if (stored := store.read(key)) is not None:
            return _from_snapshot(stored)
        table = _Table.read(file)
    parts, first_of_body = [], {}
    for positions in _table_parts(len(table.table)):
        parts.append(table.documents(_cleaned_rows(table, positions), positions, first_of_body, strict))
    documents = parts[0][0] if len(parts) == 1 else pd.concat([frame for frame, _ in parts], ignore_index=True)
    return LoadedCorpus(documents, _finish_report([row for _, rows in parts for row in rows]))


def _table_to_snapshot(table: _Table, store: SnapshotStore, key: str, pattern: str) -> bool:
    """Clean the table :data:`STREAM_FILES` rows at a time into its snapshot, each part one Parquet row group; False
    when the snapshot cannot be written (a column Parquet cannot hold, a full disk): the caller loads it in memory."""
    report_rows: list[dict] = []
    first_of_body: dict[bytes, str] = {}
    try:
        with store.writer(key, corpus=table.file, pattern=pattern) as writer:
            for positions in _table_parts(len(table.table)):
                frame, rows = table.documents(_cleaned_rows(table, positions), positions, first_of_body, False)
                writer.append(frame)
                report_rows += rows
                del frame
            writer.finish(_finish_report(report_rows).files)
    except (OSError, ValueError):
        return False
    return True


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
    _check_n_jobs(n_jobs)
    location = resolve_path(path)
    if cache is not False and not strict and (pinned := pinned_snapshot(location, pattern)) is not None:
        return _from_snapshot(pinned)  # the snapshot the runner took for every notebook of this run
    if not location.exists():
        raise FileNotFoundError(f"corpus not found: {location} does not exist; pass a folder of pages or a table file")
    if location.is_file():
        if location.suffix.lower() not in TABLE_SUFFIXES:
            raise ValueError(f"{location}: a corpus file must be one of {', '.join(TABLE_SUFFIXES)}; for pages pass their folder")
        return _read_table(location, strict, cache, pattern)
    return _read_folder(location, pattern, strict, n_jobs, cache)


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


def load_paragraphs(documents: pd.DataFrame) -> pd.DataFrame:
    """Split document bodies into one row per paragraph.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``body`` (paragraphs separated by a blank line).

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
    lighter one for them (0.36 GB against 0.57 GB once Arrow's result is turned back).
    """
    if getattr(documents["body"].dtype, "storage", None) != "pyarrow":
        parts = documents[["doc_id", "body"]].copy()
        parts["text"] = parts["body"].fillna("").str.split(PARAGRAPH_SEPARATOR, regex=False)
        exploded = parts.drop(columns="body").explode("text", ignore_index=True)
        exploded = exploded[exploded["text"].fillna("").str.len() > 0].copy()
        exploded["paragraph"] = exploded.groupby("doc_id", sort=False).cumcount() + 1
        exploded["n_words"] = count_words_many(texts_of(exploded["text"]))
        return exploded[["doc_id", "paragraph", "text", "n_words"]].astype(
            {"doc_id": TEXT_DTYPE, "paragraph": "int64", "text": TEXT_DTYPE, "n_words": "int64"}
        ).reset_index(drop=True)
    parts = [_paragraphs_of(documents.iloc[start : start + PARAGRAPH_PART])
             for start in range(0, len(documents), PARAGRAPH_PART)]
    if len(parts) < 2:
        return parts[0] if parts else _paragraphs_of(documents)
    return pd.concat(parts, ignore_index=True)


def _paragraphs_of(documents: pd.DataFrame) -> pd.DataFrame:
    """:func:`load_paragraphs` of a few documents."""
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
    text = pd.Series(texts, dtype=dtype)
    return pd.DataFrame({
        "doc_id": pd.Series(doc_ids, dtype=dtype),
        "paragraph": paragraph,
        "text": text,
        "n_words": count_words_many(texts_of(text)),
    })
