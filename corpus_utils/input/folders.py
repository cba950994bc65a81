"""A folder of page files loaded: listed (anything that is not a readable page refused with its reason), each
page keyed by the SHA-256 of its bytes, parsed through the page cache, and written to the corpus store part by part.
"""

from __future__ import annotations

import errno
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

from .cache import PageCache, cache_folder, content_key
from .parsing import cache_entries, files_per_task, from_cache, jobs_for, page_rows, parse_all, parse_paths, parse_pool
from .records import (STREAM_FILES, LoadedCorpus, finish_documents, finish_report, from_snapshot, raise_if_strict,
                      report_row)
from .snapshot import SnapshotStore, snapshot_key
from ..core.files import glob_relative, read_signed
from ..core.inventory import InputFiles
from ..core.progress import progress_bar
from ..core.scheduler import active, stage

__all__ = ["CACHE_MIN_FILES", "read_folder"]

#: With ``cache=None``, a folder with at least this many files uses the page cache (see :mod:`corpus_utils.input.cache`).
CACHE_MIN_FILES = 500
#: Content keys (:func:`_content_keys`): files not in the system's file cache (a batch slower than
#: :data:`COLD_READ_SECONDS` per file) are read by :data:`KEY_THREADS` threads when at least
#: :data:`THREADED_KEYS_MIN_FILES` are left, :data:`_KEY_BATCH` per task. 100,000 pages of 3.4 KB not cached: 9.1 s
#: in one thread, 4.0 s in four; once cached, 0.7-0.9 s in one but 2.0-2.4 s in four (the threads then contend for
#: the GIL), hence one thread while the files come fast (about 8 µs each cached, 90 µs not).
COLD_READ_SECONDS = 30e-6
THREADED_KEYS_MIN_FILES = 2_000
KEY_THREADS = 4
_KEY_BATCH = 512


def _page_cache(cache: bool | str | Path | None, n_files: int) -> PageCache | None:
    folder = cache_folder(cache, automatic=n_files >= CACHE_MIN_FILES)
    return None if folder is None else PageCache(folder)


def read_folder(
    folder: Path, pattern: str, strict: bool, n_jobs: int | None = 1, cache: bool | str | Path | None = False
) -> LoadedCorpus:
    """The pages of ``folder`` matching ``pattern`` (see :func:`~corpus_utils.input.load.read_corpus` for the
    options): anything that is not a readable page is refused with its reason; with a cache, every page is keyed by
    its SHA-256 (:attr:`~corpus_utils.input.records.LoadedCorpus.inputs`), the corpus read from its snapshot when one
    holds these keys, else parsed through the page cache and written to a new snapshot part by part."""
    listed = glob_relative(folder, pattern)
    cut = len(str(folder).rstrip(os.sep)) + 1
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
        parsed = [result for _, result in parse_all([str(file) for file in files], n_jobs, False)]
        return _assemble(folder, dict(zip(relatives, parsed)), refused, strict)
    try:
        keys, signatures = _content_keys(files)
        inputs = _read_inputs(relatives, keys, signatures)
        if len(keys) == len(files) and not strict:  # every file read: the corpus has a content key
            snapshots = SnapshotStore(page_cache.folder)
            corpus_key = snapshot_key(pattern, [(relatives[index], key) for index, key in keys.items()], refused.items())
            if (stored := snapshots.read(corpus_key)) is not None:
                return replace(from_snapshot(stored), inputs=inputs)
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
    when several are asked for at once). Only the time changes, never the keys. A bar counts the files read (from
    :data:`~corpus_utils.core.progress.PROGRESS_MIN_ITEMS` files on: a million files take minutes from disk).
    """
    found: list[tuple[int, str, tuple[int, int]]] = []
    with progress_bar(len(files), "reading files", unit="file") as bar:
        for start in range(0, len(files), _KEY_BATCH):
            began = time.perf_counter()
            found.extend(_keys_of(files[start : start + _KEY_BATCH], start))
            bar.update(min(_KEY_BATCH, len(files) - start))
            rest = start + _KEY_BATCH
            slow = time.perf_counter() - began > COLD_READ_SECONDS * _KEY_BATCH
            if slow and len(files) - rest >= THREADED_KEYS_MIN_FILES:
                with ThreadPoolExecutor(max_workers=KEY_THREADS, thread_name_prefix="content-keys") as threads:
                    batches = threads.map(lambda first: _keys_of(files[first : first + _KEY_BATCH], first),
                                          range(rest, len(files), _KEY_BATCH))
                    for batch_start, batch in zip(range(rest, len(files), _KEY_BATCH), batches):
                        found.extend(batch)
                        bar.update(min(_KEY_BATCH, len(files) - batch_start))
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


def _from_page_cache(page_cache: PageCache, keys: dict[int, str], positions: Iterable[int],
                     parsed: dict[int, tuple | None]) -> list[int]:
    """Fill ``parsed`` at ``positions`` with the page cache's results (None where it has none); the positions left
    to parse."""
    positions = list(positions)
    hits = page_cache.get_many([keys[index] for index in positions if index in keys])
    for index in positions:
        parsed[index] = from_cache(hits.get(keys.get(index)))
    return [index for index in positions if parsed[index] is None]


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
            fresh = parse_all([str(files[index]) for index in todo], n_jobs, True, description)
            parsed.update((index, result) for index, (_, result) in zip(todo, fresh))
            page_cache.put_many(cache_entries(fresh))
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
    report_rows = [report_row(relative, "skipped", reason=reason) for relative, reason in refused.items()]
    first_of_body: dict[bytes, str] = {}
    parts = [range(start, min(start + STREAM_FILES, len(files))) for start in range(0, len(files), STREAM_FILES)]
    try:
        with snapshots.writer(corpus_key, corpus=folder, pattern=pattern) as writer, \
                closing(_parsed_parts(page_cache, files, keys, n_jobs, parts or [range(0)])) as parsed_parts:
            for positions, parsed in parsed_parts:
                failure = next((result for result in parsed if isinstance(result, BaseException)), None)
                if failure is not None:
                    raise _ParserFailure(failure)
                rows = [page_rows(result, relatives[index]) for index, result in zip(positions, parsed)]
                del parsed
                report_rows += [reported for _, reported in rows]
                writer.append(finish_documents([document for document, _ in rows if document is not None],
                                                first_of_body=first_of_body))
                del rows
            writer.finish(finish_report(sorted(report_rows, key=lambda row: row["path"])).files)
    except _ParserFailure as failure:  # raised as a load of everything at once raises it (the snapshot is gone)
        raise failure.error from None
    except (OSError, ValueError):  # a full disk, a table Parquet cannot hold: load without a snapshot
        return None
    stored = snapshots.read(corpus_key)
    return None if stored is None else from_snapshot(stored)


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
    jobs = jobs_for(len(files), n_jobs)
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
            self.pool = parse_pool(self.jobs)
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
        per_task = files_per_task(len(todo), self.jobs)
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
            future = self.pool.submit(parse_paths, paths, True)
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
                results = parse_paths(paths, True)
                self._count(len(paths))
            sent.parsed.update((index, result) for index, (_, result) in zip(batch, results))
            fresh += cache_entries(results)
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
        document, reported = page_rows(result, relative)
        raise_if_strict(strict, reported, folder)
        report_rows.append(reported)
        if document is not None:
            documents.append(document)
    return LoadedCorpus(finish_documents(documents), finish_report(report_rows))


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
