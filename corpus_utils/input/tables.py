"""A table corpus loaded: one CSV, JSON Lines or Parquet file with a ``body`` column, checked (never a shifted
column, never a row silently dropped), its rows cleaned into documents part by part, through the corpus store.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .cache import cache_folder
from .markup import HTML_NOTE, html_text, looks_like_html
from .pages import ParsedPage, clean_line, clean_lines, parse_date, storable_date
from .records import (DOCUMENT_COLUMNS, STREAM_FILES, LoadedCorpus, document_row, finish_documents, finish_report,
                      from_snapshot, raise_if_strict, report_row)
from .snapshot import SnapshotStore, snapshot_key
from ..core.files import file_sha256
from ..core.scheduler import map_in_parts
from ..core.words import PARAGRAPH_SEPARATOR, count_words_many

__all__ = ["TABLE_CACHE_MIN_BYTES", "TABLE_SUFFIXES", "read_table"]

TABLE_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")
#: With ``cache=None``, a table file of at least this many bytes goes through the corpus store (about
#: :data:`CACHE_MIN_FILES` pages of a few kilobytes).
TABLE_CACHE_MIN_BYTES = 2 * 2**20
_TABLE_FIELDS = ("title", "date", "section", "author", "source", "body")


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
    if looks_like_html(body):  # a scraper that stored the article's markup: its visible text, as for an HTML page
        body = html_text(body)[0]
        page.warnings.append(HTML_NOTE)
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
        """The documents table and report rows of the cleaned ``rows`` at ``positions`` (see :func:`finish_documents`),
        the extra columns taken from the table with its dtypes; with ``strict``, the first skipped row is raised."""
        for _, reported in rows:
            raise_if_strict(strict, reported, self.file)
        loaded = [position for position, (document, _) in zip(positions, rows) if document is not None]
        frame = finish_documents([document for document, _ in rows if document is not None], first_of_body=first_of_body)
        for name in self.extra_columns:
            frame[name] = self.table[name].iloc[loaded].reset_index(drop=True)
        return frame, [reported for _, reported in rows]


def _table_rows(rows: list[tuple[str, str, dict, list[str]]]) -> list[tuple[dict | None, dict]]:
    """Task: each table row ``(doc_id, where, fields, notes)`` cleaned into a document row (None when it is skipped)
    and its report row. Each row is cleaned on its own, so parts of a table give what the whole gives."""
    pages = []
    for doc_id, where, record, notes in rows:
        text, refusal = _table_body(record.get("body"))
        page = _table_page(record)
        if not (refusal or page.paragraphs):
            refusal = "empty body: HTML without visible text" if looks_like_html(text) else "empty body"
        pages.append((doc_id, where, notes, None if refusal else page, refusal))
    bodies = [PARAGRAPH_SEPARATOR.join(page.paragraphs) for *_, page, _ in pages if page is not None]
    counts = iter(zip(bodies, count_words_many(bodies)))  # the words of every body at once: 3x one call per body
    cleaned = []
    for doc_id, where, notes, page, refusal in pages:
        if page is None:
            cleaned.append((None, report_row(where, "skipped", doc_id=doc_id, layout="table", reason=refusal, warnings_=notes)))
        else:
            body, n_words = next(counts)
            cleaned.append((document_row(doc_id, where, page, body=body, n_words=int(n_words)),
                            report_row(where, "loaded", doc_id=doc_id, layout="table", warnings_=notes + page.warnings)))
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
    folder = cache_folder(cache, automatic=cache is None and _at_least_bytes(file, TABLE_CACHE_MIN_BYTES))
    return None if folder is None else SnapshotStore(folder)


def _at_least_bytes(file: Path, size: int) -> bool:
    """Whether ``file`` holds at least ``size`` bytes (False when it cannot be read: the reader says why)."""
    try:
        return file.stat().st_size >= size
    except OSError:
        return False


def read_table(file: Path, strict: bool, cache: bool | str | Path | None = False, pattern: str = "*.txt") -> LoadedCorpus:
    """A table corpus: from its snapshot in the corpus store while the file's bytes are unchanged, else read,
    cleaned in parts (:func:`_cleaned_rows`) and, with a store, written to a new snapshot part by part."""
    store = None if strict else _table_store(cache, file)
    key = None if store is None else snapshot_key(pattern, [(file.name, file_sha256(file))])
    if store is not None and (stored := store.read(key)) is not None:
        return from_snapshot(stored)
    table = _Table.read(file)
    if store is not None and _table_to_snapshot(table, store, key, pattern):
        del table  # the snapshot holds it now: read back without a second copy of the text
        if (stored := store.read(key)) is not None:
            return from_snapshot(stored)
        table = _Table.read(file)
    parts, first_of_body = [], {}
    for positions in _table_parts(len(table.table)):
        parts.append(table.documents(_cleaned_rows(table, positions), positions, first_of_body, strict))
    documents = parts[0][0] if len(parts) == 1 else pd.concat([frame for frame, _ in parts], ignore_index=True)
    return LoadedCorpus(documents, finish_report([row for _, rows in parts for row in rows]))


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
            writer.finish(finish_report(report_rows).files)
    except (OSError, ValueError):
        return False
    return True
