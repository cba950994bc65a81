"""What is in a corpus: the documents table in short, counts by section, layout and year, length distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.columns import as_str
from ..core.checks import check_whole_number
from .labels import NO_SECTION

__all__ = [
    "MISSING_LABEL",
    "documents_overview",
    "count_by",
    "documents_per_year",
    "length_histogram",
    "length_summary",
    "report_counts",
]

#: Label used for a missing layout or date in count tables (missing values are counted, not dropped); a missing
#: section is :data:`~corpus_utils.analysis.labels.NO_SECTION`, as in every other table and figure of sections.
MISSING_LABEL = "(none)"
_MISSING_LABELS = {"section": NO_SECTION}


def _require(documents: pd.DataFrame, columns: list[str]) -> None:
    missing = [column for column in columns if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs column(s) {', '.join(missing)} (from read_corpus)")


def documents_overview(documents: pd.DataFrame) -> pd.DataFrame:
    """One short row per document.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``date``, ``section``, ``title``, ``n_words``, ``n_paragraphs``,
        ``duplicate_of``.

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id``, ``date`` (``YYYY-MM-DD`` string, missing when undated), ``section``,
        ``title``, ``words`` (int64), ``paragraphs`` (int64), ``duplicate_of``; in the documents' order.
    """
    _require(documents, ["doc_id", "date", "section", "title", "n_words", "n_paragraphs", "duplicate_of"])
    dates = pd.to_datetime(documents["date"])
    return pd.DataFrame(
        {
            "doc_id": documents["doc_id"].astype("string"),
            "date": dates.dt.strftime("%Y-%m-%d").astype("string"),
            "section": documents["section"].astype("string"),
            "title": documents["title"].astype("string"),
            "words": documents["n_words"].astype("int64"),
            "paragraphs": documents["n_paragraphs"].astype("int64"),
            "duplicate_of": documents["duplicate_of"].astype("string"),
        }
    ).reset_index(drop=True)


def count_by(documents: pd.DataFrame, column: str) -> pd.DataFrame:
    """Documents per value of ``column``, missing values counted under :data:`MISSING_LABEL` (a missing section
    under :data:`~corpus_utils.analysis.labels.NO_SECTION`).

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes ``column`` (e.g. ``section`` or ``layout``).

    Returns
    -------
    pandas.DataFrame
        Columns ``<column>`` (str) and ``documents`` (int64), sorted by count descending then value;
        only values that occur (an unused category is not listed).
    """
    _require(documents, [column])
    missing = _MISSING_LABELS.get(column, MISSING_LABEL)
    values = documents[column].astype(object).where(documents[column].notna(), missing).astype(str)
    counts = values.value_counts().rename_axis(column).reset_index(name="documents")
    counts = counts.sort_values(["documents", column], ascending=[False, True], kind="stable")
    return counts.astype({column: object, "documents": "int64"}).reset_index(drop=True)


def documents_per_year(documents: pd.DataFrame) -> pd.DataFrame:
    """Dated documents per publication year, every year from the first to the last (zeros included).

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes column ``date`` (datetime64, ``NaT`` when undated; see :func:`~corpus_utils.analysis.periods.undated_documents`).

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int64) and ``documents`` (int64), ascending; empty when nothing is dated.
    """
    _require(documents, ["date"])
    years = pd.to_datetime(documents["date"]).dropna().dt.year
    if years.empty:
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "documents": pd.Series(dtype="int64")})
    span = np.arange(int(years.min()), int(years.max()) + 1)
    counts = years.value_counts().reindex(span, fill_value=0)
    return pd.DataFrame({"year": span.astype("int64"), "documents": counts.to_numpy(dtype="int64")})


#: The share of documents the bins of :func:`length_histogram` span when a few pages are far longer than the rest.
LENGTH_QUANTILE: float = 0.99
#: The longest document must be this many times the :data:`LENGTH_QUANTILE` length for the longest to get a bar of
#: their own: equal bins up to it would otherwise crowd every other document into the first bars.
OVERFLOW_RATIO: float = 2.0


def length_histogram(documents: pd.DataFrame, *, bins: int = 20) -> pd.DataFrame:
    """Document lengths in words, binned for a histogram.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes column ``n_words``.
    bins : int
        Number of equal-width bins between the shortest and the longest document. When the longest is more than
        :data:`OVERFLOW_RATIO` times the length under which :data:`LENGTH_QUANTILE` of the documents fall (a few
        giant pages: whole reports, lists scraped as one page), the bins end at that length and one more row
        gathers the longer documents.

    Returns
    -------
    pandas.DataFrame
        Columns ``bin_start``, ``bin_end`` (float64 words; a bin includes its start, the last equal bin its end too),
        ``documents`` (int64) and ``overflow`` (bool: the last row holds the documents longer than its
        ``bin_start``, up to its ``bin_end``, the longest). Cost: O(n).
    """
    _require(documents, ["n_words"])
    check_whole_number(bins, "bins")
    words = documents["n_words"].to_numpy(dtype=np.float64)
    if words.size == 0:
        return pd.DataFrame({"bin_start": [], "bin_end": [], "documents": pd.Series(dtype="int64"), "overflow": pd.Series(dtype=bool)})
    cap, longest = float(np.quantile(words, LENGTH_QUANTILE)), float(words.max())
    overflow = longest > OVERFLOW_RATIO * cap and cap > words.min()
    counts, edges = np.histogram(words[words <= cap] if overflow else words, bins=int(bins),
                                 range=(float(words.min()), cap if overflow else longest))
    table = pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "documents": counts.astype("int64"), "overflow": False})
    if overflow:
        longer = pd.DataFrame({"bin_start": [cap], "bin_end": [longest], "documents": [int((words > cap).sum())], "overflow": [True]})
        table = pd.concat([table, longer], ignore_index=True)
    return table


def length_summary(documents: pd.DataFrame) -> pd.DataFrame:
    """Documents, words and paragraphs in numbers.

    Takes columns ``n_words``, ``n_paragraphs``, ``duplicate_of``, ``date``. Returns columns
    ``measure`` and ``value`` (float64, rounded to 1 decimal): documents, exact duplicates,
    undated documents, total words, and the minimum, median, mean and maximum words per document,
    and mean paragraphs per document.
    """
    _require(documents, ["n_words", "n_paragraphs", "duplicate_of", "date"])
    words = documents["n_words"].astype("float64")
    empty = words.empty
    rows = [
        ("documents", len(documents)),
        ("exact duplicates (flagged, kept)", int(documents["duplicate_of"].notna().sum())),
        ("undated documents", int(pd.to_datetime(documents["date"]).isna().sum())),
        ("total words", float(words.sum())),
        ("shortest document (words)", np.nan if empty else float(words.min())),
        ("median words per document", np.nan if empty else float(words.median())),
        ("mean words per document", np.nan if empty else float(words.mean())),
        ("longest document (words)", np.nan if empty else float(words.max())),
        ("mean paragraphs per document", np.nan if empty else float(documents["n_paragraphs"].mean())),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"]).astype({"value": "float64"}).round({"value": 1})


def report_counts(files: pd.DataFrame) -> pd.DataFrame:
    """Files of a load report per status and layout.

    Parameters
    ----------
    files : pandas.DataFrame
        ``LoadReport.files``: takes columns ``status``, ``layout``, ``warnings``.

    Returns
    -------
    pandas.DataFrame
        Columns ``status``, ``layout`` (:data:`MISSING_LABEL` for skipped files), ``files`` (int64)
        and ``with_warnings`` (int64), sorted by status then layout.
    """
    _require(files, ["status", "layout", "warnings"])
    frame = pd.DataFrame(
        {
            "status": files["status"].astype(str),
            "layout": files["layout"].astype(object).where(files["layout"].notna(), MISSING_LABEL).astype(str),
            "warned": files["warnings"].fillna("").pipe(as_str).ne(""),
        }
    )
    table = frame.groupby(["status", "layout"], sort=True).agg(files=("warned", "size"), with_warnings=("warned", "sum"))
    return table.reset_index().astype({"files": "int64", "with_warnings": "int64"})
