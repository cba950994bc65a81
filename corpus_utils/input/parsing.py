"""Page files parsed from their bytes: in this process, in a pool of processes, or on the Dask workers.

A parse result depends on the file's bytes alone (:func:`parse_bytes`), so it is cached by content
(:mod:`corpus_utils.input.cache`) in a JSON form (:func:`cache_entries`, :func:`from_cache`) and turned into the rows
of the documents table and the load report for the file's place in the corpus (:func:`page_rows`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from .cache import content_key
from .decode import DecodeRefusal, decode_bytes
from .markup import looks_like_html, parse_html_page
from .pages import EmptyPageError, parse_page
from .records import document_row, report_row
from ..core.files import read_bytes
from ..core.progress import progress_bar
from ..core.scheduler import active, map_in_parts, stage
from ..core.words import count_words_many
from ..core.workers import available_cores, process_pool, start_method

__all__ = ["PARALLEL_MIN_FILES", "cache_entries", "files_per_task", "from_cache", "jobs_for", "page_rows", "parse_all",
           "parse_paths", "parse_pool"]

#: With ``n_jobs=None``, a folder with at least this many files to parse is parsed by a pool of processes.
PARALLEL_MIN_FILES = 2_000
_FILES_PER_TASK = 256
#: Fields of a parsed page that do not depend on where the file is (what the page cache stores).
_PAGE_FIELDS = ("layout", "section", "title", "date", "date_text", "author", "source", "body", "credits", "language", "n_words",
                "n_paragraphs")


def _parse_bytes(data: bytes, *, count: bool = True) -> tuple:
    """Decode and parse one file's bytes into a picklable, location-free result.

    ``("skipped", reason)`` or ``("loaded", encoding, warnings, fields)`` with ``fields`` in
    :data:`_PAGE_FIELDS` order. A function of the bytes alone, so it can be cached by content. With
    ``count=False`` its ``n_words`` is left at 0 for the caller to count (:func:`_count_words_of`).
    """
    try:
        decoded = decode_bytes(data)
    except DecodeRefusal as exc:
        return ("skipped", exc.reason)
    html = looks_like_html(decoded.text)
    try:
        page = parse_html_page(decoded.text) if html else parse_page(decoded.text)
    except EmptyPageError:
        return ("skipped", "HTML page without visible text: only markup, scripts or styles" if html
                else "empty file: only invisible characters (zero-width or other spaces)")
    notes = list(page.warnings)  # an HTML page's note first, after the decoding's
    if decoded.note:
        notes.insert(0, decoded.note)
    if not page.paragraphs:
        notes.append("empty body: no article paragraph after the header")
    row = document_row("", "", page, n_words=None if count else 0)
    return ("loaded", decoded.encoding, tuple(notes), tuple(row[name] for name in _PAGE_FIELDS))


def page_rows(parsed: tuple, relative: str) -> tuple[dict | None, dict]:
    """(document row or None, report row) of a parse result for the file at ``relative``."""
    if parsed[0] == "skipped":
        return None, report_row(relative, "skipped", reason=parsed[1])
    _, encoding, notes, fields = parsed
    doc_id = relative.rsplit(".", 1)[0]
    report = report_row(relative, "loaded", doc_id=doc_id, layout=fields[0], encoding=encoding, warnings_=notes)
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


def from_cache(value: object) -> tuple | None:
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


def _read_and_parse(path: str, with_key: bool, *, count: bool = True) -> tuple[str | None, tuple | BaseException]:
    """(content key or None, parse result) of one file; an unexpected parser error is returned, not raised.
    ``count`` as in :func:`_parse_bytes`."""
    try:
        data = read_bytes(path)
    except OSError as exc:
        return None, ("skipped", f"unreadable: {exc.strerror or exc}; check permissions")
    try:
        parsed: tuple | BaseException = _parse_bytes(data, count=count)
    except Exception as exc:  # re-raised by the caller in file order, as the sequential loop would
        parsed = exc
    return (content_key(data) if with_key else None), parsed


def parse_paths(paths: list[str], with_key: bool) -> list[tuple[str | None, tuple | BaseException]]:
    """Worker task: :func:`_read_and_parse` for a batch of files, their words counted together."""
    return _count_words_of([_read_and_parse(path, with_key, count=False) for path in paths])


_WORDS_FIELD, _BODY_FIELD = _PAGE_FIELDS.index("n_words"), _PAGE_FIELDS.index("body")


def _count_words_of(results: list[tuple[str | None, tuple | BaseException]]) -> list[tuple[str | None, tuple | BaseException]]:
    """``results`` with the ``n_words`` of every loaded page counted at once (:func:`count_words_many`: the same counts
    as :func:`~corpus_utils.core.words.count_words` page by page, about four times as fast on English pages)."""
    loaded = [at for at, (_, parsed) in enumerate(results) if isinstance(parsed, tuple) and parsed[0] == "loaded"]
    counts = count_words_many([results[at][1][3][_BODY_FIELD] for at in loaded]).tolist()  # Python ints, as cached
    for at, n_words in zip(loaded, counts):
        key, (status, encoding, notes, fields) = results[at]
        fields = (*fields[:_WORDS_FIELD], n_words, *fields[_WORDS_FIELD + 1 :])
        results[at] = (key, (status, encoding, notes, fields))
    return results


_available_cores = available_cores
_start_method = start_method


def parse_pool(jobs: int):
    """A pool of ``jobs`` processes for :func:`parse_paths` (with forkserver, the workers fork from a server that
    imported the parser once)."""
    return process_pool(jobs, preload=__name__, method=_start_method())


def jobs_for(n_files: int, n_jobs: int | None) -> int:
    """Processes to parse ``n_files`` with: ``n_jobs``, or (None) every available core from
    :data:`PARALLEL_MIN_FILES` files, else one."""
    return n_jobs if n_jobs is not None else (_available_cores() if n_files >= PARALLEL_MIN_FILES else 1)


def _parse_in_pool(paths: list[str], n_jobs: int, with_key: bool,
                   description: str = "parsing pages") -> list[tuple[str | None, tuple | BaseException]]:
    """Parse files in ``n_jobs`` worker processes; results in the order of ``paths``."""
    per_task = files_per_task(len(paths), n_jobs)
    batches = [paths[start : start + per_task] for start in range(0, len(paths), per_task)]
    results: list[tuple[str | None, tuple | BaseException]] = []
    with parse_pool(n_jobs) as pool, \
            progress_bar(len(paths), description, unit="page") as bar:
        for batch in pool.map(parse_paths, batches, [with_key] * len(batches)):
            results.extend(batch)
            bar.update(len(batch))
    return results


def _parse_paths_task(paths: list[str], *, with_key: bool) -> list[tuple[str | None, tuple | BaseException]]:
    """Dask task: :func:`parse_paths` with the batch first."""
    return parse_paths(paths, with_key)


def parse_all(paths: list[str], n_jobs: int | None, with_key: bool,
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
    jobs = min(jobs_for(len(paths), n_jobs), len(paths))
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
            batch = parse_paths(paths[start : start + _FILES_PER_TASK], with_key)
            results.extend(batch)
            bar.update(len(batch))
    return results


def files_per_task(n_files: int, jobs: int) -> int:
    """Files per pool task: about four tasks per process, at most :data:`_FILES_PER_TASK`."""
    return max(1, min(_FILES_PER_TASK, -(-n_files // (4 * jobs))))


def cache_entries(results: Iterable[tuple[str | None, tuple | BaseException]]) -> list[tuple[str, list]]:
    """The page-cache entries ``(key, value)`` of fresh parse results (failures and unkeyed files left out)."""
    return [(key, _to_cache(result)) for key, result in results if key is not None and not isinstance(result, BaseException)]
