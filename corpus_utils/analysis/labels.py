"""Short, stable labels for documents in figures and tables."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..core.columns import as_str

__all__ = ["NO_SECTION", "short_title", "document_labels", "tied_with"]

#: What a document without a section is called wherever sections are counted, compared or drawn.
NO_SECTION = "(no section)"


def short_title(title: str | None, *, max_chars: int = 36) -> str:
    """``title`` cut at a word boundary to at most ``max_chars`` characters, with an ellipsis if cut."""
    text = " ".join(str(title or "(untitled)").split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0] or text[: max_chars - 1]
    return cut.rstrip(" ,;:|-") + "…"


def document_labels(documents: pd.DataFrame, *, max_chars: int = 36) -> pd.Series:
    """One label per document, ``"D1 Suzhou: "Six Guarantees" Promote…"``, numbered in table order.

    Takes columns ``doc_id`` and ``title``; returns a string Series indexed by ``doc_id``. The ``D<n>``
    prefix keeps labels unique even when titles repeat.
    """
    labels = [
        f"D{number} {short_title(title, max_chars=max_chars)}"
        for number, title in enumerate(documents["title"].astype(object).tolist(), start=1)
    ]
    return pd.Series(labels, index=documents["doc_id"].pipe(as_str).tolist(), dtype="string", name="label")


def tied_with(table: pd.DataFrame, label: str, value: str, *, formatted: Callable[[object], str] = str,
              shown: int = 3) -> str:
    """What a sentence naming the first row of ``table`` with the largest ``value`` adds when other rows hold as much:
    ``", tied with A"``, ``", tied with A and B"``, ``", tied with A, B, C and 2 more"`` (their ``label``, through
    ``formatted``), ``""`` when none do."""
    names = [formatted(name) for name in table.loc[table[value] == table[value].max(), label].iloc[1:]]
    if not names:
        return ""
    if len(names) > shown:
        return f", tied with {', '.join(names[:shown])} and {len(names) - shown} more"
    return ", tied with " + (names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}")
