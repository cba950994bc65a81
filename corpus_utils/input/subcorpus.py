"""Subcorpora: the documents a run analyses, chosen by date, section, source, a pattern or exact repetition.

Every notebook takes the same filter parameters (``DATE_FROM``, ``DATE_TO``, ``SECTIONS``, ``SOURCES``,
``TITLE_PATTERN``, ``BODY_PATTERN``, ``EXCLUDE_DUPLICATES``), applied right after loading and before the language
is chosen, so a whole run can analyse "2021, party-building sections only" without preparing files.
:func:`save_subcorpus` writes the chosen documents as a Parquet table the loader reads back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.columns import as_str, select_where

__all__ = ["SubcorpusFilters", "Subcorpus", "EmptySubcorpusError", "select_subcorpus", "save_subcorpus", "subcorpus_filters",
           "FILTER_PARAMETERS"]

#: The notebook parameter of each filter, in the order the filters apply.
FILTER_PARAMETERS: dict[str, str] = {
    "date_from": "DATE_FROM", "date_to": "DATE_TO", "sections": "SECTIONS", "sources": "SOURCES",
    "title_pattern": "TITLE_PATTERN", "body_pattern": "BODY_PATTERN", "exclude_duplicates": "EXCLUDE_DUPLICATES",
}
_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d{4}-\d{1,2}$")


class EmptySubcorpusError(ValueError):
    """The filters leave no document; the message says what each filter left out."""


def _bound(value: str | None, name: str, *, end: bool) -> pd.Timestamp | None:
    """``"2021"``, ``"2021-07"`` or a full date as the first day (``end``: the last day) it covers."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if _YEAR.match(text) or _MONTH.match(text):
            period = pd.Period(text, freq="Y" if _YEAR.match(text) else "M")
            return (period.end_time if end else period.start_time).normalize()
        return pd.Timestamp(text).normalize()
    except (ValueError, TypeError):
        raise ValueError(f'{name} = {value!r} is not a date: write a year ("2021"), a month ("2021-07") or a day '
                         '("2021-07-01")') from None


def _names(values: Any) -> tuple[str, ...]:
    return tuple(" ".join(str(value).split()) for value in (values or ()) if str(value).strip())


def _pattern(value: str | None, name: str) -> re.Pattern | None:
    if value is None or not str(value).strip():
        return None
    try:
        return re.compile(str(value), re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{name} = {value!r} is not a valid regular expression ({exc}); escape special characters "
                         r"such as ( ) [ ] . ? * + with a backslash, e.g. 'Xi Jinping\.'") from None


@dataclass(frozen=True)
class SubcorpusFilters:
    """Which documents to keep; the defaults keep every document.

    Attributes
    ----------
    date_from, date_to : str, optional
        ``"2021"``, ``"2021-07"`` or ``"2021-07-01"``; both inclusive, ``date_to`` to the end of the year or month it
        names. With either set, undated documents are left out.
    sections, sources : tuple of str
        Keep documents whose ``section`` (``source``) is one of these, compared in any case with spaces collapsed.
    title_pattern, body_pattern : str, optional
        Python regular expressions searched in any case in the title (body).
    exclude_duplicates : bool
        Leave out documents whose body repeats an earlier document's exactly (the loader's ``duplicate_of``).
    """

    date_from: str | None = None
    date_to: str | None = None
    sections: tuple[str, ...] = field(default=())
    sources: tuple[str, ...] = field(default=())
    title_pattern: str | None = None
    body_pattern: str | None = None
    exclude_duplicates: bool = False

    @classmethod
    def from_parameters(cls, *, date_from: str | None = None, date_to: str | None = None, sections: Any = (),
                        sources: Any = (), title_pattern: str | None = None, body_pattern: str | None = None,
                        exclude_duplicates: bool = False) -> SubcorpusFilters:
        """The filters of the notebook parameters, checked: a bad date or pattern raises ``ValueError`` naming it."""
        filters = cls(date_from or None, date_to or None, _names(sections), _names(sources), title_pattern or None,
                      body_pattern or None, bool(exclude_duplicates))
        filters.check()
        return filters

    def check(self) -> None:
        """Raise ``ValueError`` naming the parameter when a date or a pattern cannot be read, or the dates are reversed."""
        start = _bound(self.date_from, "DATE_FROM", end=False)
        stop = _bound(self.date_to, "DATE_TO", end=True)
        if start is not None and stop is not None and start > stop:
            raise ValueError(f"DATE_FROM = {self.date_from!r} is after DATE_TO = {self.date_to!r}: no date can be in between")
        _pattern(self.title_pattern, "TITLE_PATTERN")
        _pattern(self.body_pattern, "BODY_PATTERN")

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return self != SubcorpusFilters()

    def describe(self) -> str:
        """The filters in words (``"" `` when none is set)."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"dated {self.date_from or '…'} to {self.date_to or '…'}")
        if self.sections:
            parts.append("section " + " or ".join(map(repr, self.sections)))
        if self.sources:
            parts.append("source " + " or ".join(map(repr, self.sources)))
        if self.title_pattern:
            parts.append(f"title matching {self.title_pattern!r}")
        if self.body_pattern:
            parts.append(f"body matching {self.body_pattern!r}")
        if self.exclude_duplicates:
            parts.append("no exact duplicates")
        return "; ".join(parts)

    def as_parameters(self) -> dict[str, Any]:
        """The filters as notebook parameters (``{"DATE_FROM": …}``), lists as lists: what run.json records."""
        return {FILTER_PARAMETERS[name]: (list(value) if isinstance(value, tuple) else value) for name, value in asdict(self).items()}


def subcorpus_filters(parameters: Mapping[str, Any]) -> SubcorpusFilters:
    """The filters a notebook's parameters set (``PARAMS``, or the runner's values): ``DATE_FROM`` … ``EXCLUDE_DUPLICATES``;
    names not given keep everything. Raises ``ValueError`` naming the parameter when a date or pattern cannot be read."""
    given = {attribute: parameters[name] for attribute, name in FILTER_PARAMETERS.items() if name in parameters}
    if given.get("date_from") is not None:
        given["date_from"] = str(given["date_from"])  # -p DATE_FROM 2021 arrives as a number
    if given.get("date_to") is not None:
        given["date_to"] = str(given["date_to"])
    return SubcorpusFilters.from_parameters(**given)


@dataclass(frozen=True)
class Subcorpus:
    """The documents the filters keep, and what each filter left out.

    Attributes
    ----------
    documents : pandas.DataFrame
        The kept rows of the documents table, in their order, index reset.
    filters : SubcorpusFilters
    n_before : int
        Documents before filtering.
    removed : dict of str to int
        Documents each filter left out, by parameter name, filters applied in :data:`FILTER_PARAMETERS` order
        (a document is counted by the first filter that leaves it out); ``"undated"`` counts those the date range
        left out for having no date.
    unknown : dict of str to list of str
        Names in ``SECTIONS`` / ``SOURCES`` that no document has.
    """

    documents: pd.DataFrame
    filters: SubcorpusFilters
    n_before: int
    removed: dict[str, int]
    unknown: dict[str, list[str]]

    @property
    def note(self) -> str:
        """One or two sentences for a notebook's output ("" when no filter is set)."""
        if not self.filters.active:
            return ""
        return (f"Subcorpus ({self.filters.describe()}): {len(self.documents):,} of {self.n_before:,} documents kept"
                + self._left_out())

    def _left_out(self) -> str:
        left_out = ", ".join(f"{count:,} by {name}" for name, count in self.removed.items() if count)
        text = f"; left out {left_out}." if left_out else "."
        for name, names in self.unknown.items():
            text += f" {name}: no document has {', '.join(map(repr, names))}."
        return text

    def record(self) -> dict[str, Any]:
        """What run.json records: the filters, documents before and after, and what each filter left out."""
        return {"filters": self.filters.as_parameters(), "documents_before": self.n_before,
                "documents_after": len(self.documents), "removed": dict(self.removed), "unknown": dict(self.unknown)}


def _in_names(column: pd.Series, names: tuple[str, ...]) -> pd.Series:
    wanted = {name.casefold() for name in names}
    normalised = column.astype("string").fillna("").str.split().str.join(" ").str.casefold()
    return normalised.isin(wanted)


def _absent(column: pd.Series | None, names: tuple[str, ...]) -> list[str]:
    present = set() if column is None else set(column.dropna().pipe(as_str).map(lambda text: " ".join(text.split()).casefold()))
    return [name for name in names if name.casefold() not in present]


def _column(documents: pd.DataFrame, name: str) -> pd.Series:
    return documents[name] if name in documents.columns else pd.Series(pd.NA, index=documents.index, dtype="string")


def _keep_masks(documents: pd.DataFrame, filters: SubcorpusFilters) -> list[tuple[str, pd.Series]]:
    """``(parameter, rows it keeps)`` for each filter that is set, in order."""
    masks = []
    start, stop = _bound(filters.date_from, "DATE_FROM", end=False), _bound(filters.date_to, "DATE_TO", end=True)
    if start is not None or stop is not None:
        dates = pd.to_datetime(_column(documents, "date"), errors="coerce")
        masks.append(("undated", dates.notna()))
        inside = dates.notna()
        inside &= dates >= start if start is not None else True
        inside &= dates <= stop if stop is not None else True
        masks.append(("DATE_FROM/DATE_TO", inside | dates.isna()))
    for attribute, column in (("sections", "section"), ("sources", "source")):
        names = getattr(filters, attribute)
        if names:
            masks.append((FILTER_PARAMETERS[attribute], _in_names(_column(documents, column), names)))
    for attribute, column in (("title_pattern", "title"), ("body_pattern", "body")):
        pattern = _pattern(getattr(filters, attribute), FILTER_PARAMETERS[attribute])
        if pattern is not None:
            texts = _column(documents, column).astype("string").fillna("")
            masks.append((FILTER_PARAMETERS[attribute], texts.map(lambda text: pattern.search(text) is not None).astype(bool)))
    if filters.exclude_duplicates:
        masks.append(("EXCLUDE_DUPLICATES", _column(documents, "duplicate_of").isna()))
    return masks


def select_subcorpus(documents: pd.DataFrame, filters: SubcorpusFilters | None = None) -> Subcorpus:
    """The documents ``filters`` keep.

    Parameters
    ----------
    documents : pandas.DataFrame
        The loader's documents table; uses ``date``, ``section``, ``source``, ``title``, ``body`` and ``duplicate_of``
        as the filters need them (a missing column counts as empty).
    filters : SubcorpusFilters, optional
        Default: keep everything.

    Returns
    -------
    Subcorpus

    Raises
    ------
    EmptySubcorpusError
        When no document is left: the message says what each filter left out and which names no document has.
    """
    filters = filters or SubcorpusFilters()
    filters.check()
    keep = pd.Series(True, index=documents.index)
    removed: dict[str, int] = {}
    for name, mask in _keep_masks(documents, filters):
        mask = mask.fillna(False).astype(bool)
        removed[name] = int((keep & ~mask).sum())
        keep &= mask
    unknown = {FILTER_PARAMETERS[attribute]: missing for attribute, column in (("sections", "section"), ("sources", "source"))
               if (missing := _absent(documents.get(column), getattr(filters, attribute)))}
    chosen = Subcorpus(select_where(documents, keep.to_numpy()).reset_index(drop=True), filters, len(documents), removed, unknown)
    if filters.active and chosen.documents.empty and len(documents):
        raise EmptySubcorpusError(
            f"The filters ({filters.describe()}) leave none of the {len(documents):,} documents" + chosen._left_out()
            + " Widen them (notebook 01 lists the corpus's sections, sources and years) or set them back to None / []."
        )
    return chosen


def save_subcorpus(documents: pd.DataFrame, path: str | Path) -> Path:
    """Write ``documents`` (a subcorpus) as a Parquet table that :func:`~corpus_utils.read_corpus` loads back.

    Columns written: ``doc_id``, ``title``, ``date``, ``section``, ``author``, ``source``, ``body`` (what a table
    corpus holds), and ``origin`` (each document's ``path`` in the corpus it came from). Reading the file back gives
    the same documents, ids, dates, sections and paragraphs. Returns the path; its folder is created.
    """
    target = Path(path)
    if target.suffix.lower() != ".parquet":
        raise ValueError(f"{target}: a subcorpus is saved as a .parquet table; give a path ending in .parquet")
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = {name: _column(documents, name) for name in ("doc_id", "title", "date", "section", "author", "source", "body")}
    table = pd.DataFrame(columns).astype({"doc_id": "string", "title": "string", "section": "string", "author": "string",
                                          "source": "string", "body": "string"})
    table["date"] = pd.to_datetime(table["date"], errors="coerce")
    table["origin"] = _column(documents, "path").astype("string").to_numpy()
    table.to_parquet(target, index=False)
    return target
