"""What a load gives: the documents table and the load report (one row per input file), and how rows become them.

Every way in — a folder of pages (:mod:`corpus_utils.input.folders`), a table (:mod:`corpus_utils.input.tables`), a
snapshot of the corpus store — ends in the same :class:`LoadedCorpus`, built by the functions here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .language import detect_language
from .pages import ParsedPage
from .snapshot import Snapshot
from ..core.columns import TEXT_DTYPE
from ..core.inventory import InputFiles
from ..core.words import PARAGRAPH_SEPARATOR, count_words

__all__ = ["DOCUMENT_COLUMNS", "REPORT_COLUMNS", "STREAM_FILES", "CorpusLoadError", "CorpusLoadWarning", "LoadReport",
           "LoadedCorpus", "document_row", "finish_documents", "finish_report", "from_snapshot", "raise_if_strict",
           "report_row"]

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
#: A cold load into the corpus store parses, caches and writes this many files at a time (about 170 MB of text for
#: pages of this kind; the next part parses while one is written), so its memory does not grow with the corpus.
STREAM_FILES = 50_000


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


def report_row(path: str, status: str, *, doc_id=None, layout=None, encoding=None, reason=None, warnings_=()) -> dict:
    return {
        "path": path,
        "status": status,
        "doc_id": doc_id,
        "layout": layout,
        "encoding": encoding,
        "reason": reason,
        "warnings": "; ".join(warnings_) or None,
    }


def document_row(doc_id: str, path: str, page: ParsedPage, extra: dict | None = None, *, body: str | None = None,
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


def finish_documents(rows: list[dict], extra_columns: Iterable[str] = (), *,
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


def finish_report(rows: list[dict]) -> LoadReport:
    files = pd.DataFrame(rows, columns=list(REPORT_COLUMNS)).astype(REPORT_COLUMNS)
    files["status"] = pd.Categorical(files["status"], categories=["loaded", "skipped"])
    return LoadReport(files)


def raise_if_strict(strict: bool, report_row: dict, where: Path) -> None:
    if strict and report_row["status"] == "skipped":
        raise CorpusLoadError(f"{report_row['path']} in {where}: {report_row['reason']} (strict loading)")


def from_snapshot(stored: Snapshot) -> LoadedCorpus:
    return LoadedCorpus(stored.documents, LoadReport(stored.files), key=stored.key, snapshot=stored.folder)
