"""Periods of publication: one definition of year, quarter and month labels, and of an undated document."""

from __future__ import annotations

import pandas as pd

from ..core.checks import check_choice
from ..core.columns import select_where

__all__ = ["PERIODS", "UNDATED", "period_code", "assign_period", "period_range", "period_midpoints", "dated_documents", "undated_documents"]

#: Period lengths and their pandas frequency codes.
PERIODS: dict[str, str] = {"year": "Y", "quarter": "Q", "month": "M"}
#: Label of the row that counts undated documents in :func:`documents_per_period`.
UNDATED = "undated"


def period_code(period: str, *, name: str = "period") -> str:
    """The pandas frequency code of a period (``"year"`` → ``"Y"``); ``ValueError`` names parameter ``name`` and the choices."""
    check_choice(period, tuple(PERIODS), name)
    return PERIODS[period]


def assign_period(dates: pd.Series, period: str = "year") -> pd.Series:
    """The period each date falls in, as a label: ``"2019"``, ``"2019Q3"`` or ``"2019-07"``.

    Parameters
    ----------
    dates : pandas.Series
        datetime64 values; ``NaT`` for undated documents.
    period : {"year", "quarter", "month"}

    Returns
    -------
    pandas.Series
        String labels (dtype ``string``), missing (``<NA>``) where the date is ``NaT``; same index as ``dates``.
        Labels sort in time order.
    """
    frequency = period_code(period)
    values = pd.to_datetime(dates, errors="raise")
    labels = values.dt.to_period(frequency).astype(str)
    return labels.where(values.notna()).astype("string")


def period_range(dates: pd.Series, period: str = "year") -> pd.DataFrame:
    """Every period from the earliest to the latest date, including empty ones.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (label as in :func:`assign_period`), ``start`` and ``end`` (Timestamps of the first and
        last day); no row when no date is known.
    """
    frequency = period_code(period)
    known = pd.to_datetime(dates).dropna()
    if known.empty:
        return pd.DataFrame({"period": pd.Series(dtype="string"), "start": pd.Series(dtype="datetime64[ns]"), "end": pd.Series(dtype="datetime64[ns]")})
    periods = pd.period_range(known.min().to_period(frequency), known.max().to_period(frequency), freq=frequency)
    return pd.DataFrame(
        {
            "period": pd.Series(periods.astype(str), dtype="string"),
            "start": periods.start_time.normalize(),
            "end": periods.end_time.normalize(),
        }
    )




def period_midpoints(periods: pd.DataFrame) -> pd.Series:
    """The middle of each period (columns ``start`` and ``end``, as :func:`period_range` gives), for a time axis."""
    return periods["start"] + (periods["end"] - periods["start"]) / 2


def undated_documents(documents: pd.DataFrame) -> pd.DataFrame:
    """The documents without a usable date.

    Takes columns ``doc_id`` and ``date`` (and ``date_text``, ``title`` when present); returns ``doc_id``,
    ``date_text`` (what the page said, if anything) and ``title`` for rows whose ``date`` is ``NaT``, in
    document order.
    """
    missing = [column for column in ("doc_id", "date") if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs columns doc_id and date (from read_corpus); missing {', '.join(missing)}")
    columns = [column for column in ("doc_id", "date_text", "title") if column in documents.columns]
    return select_where(documents[columns], pd.to_datetime(documents["date"]).isna()).reset_index(drop=True)


def dated_documents(documents: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """The documents with a usable date: the rows of ``documents`` (index labels kept) whose ``date`` is not ``NaT``,
    in document order, with ``columns`` (default: every column; ``date`` must be among them).

    Ask only for the columns you use: a selection of rows copies the text of an Arrow-backed column (a large corpus
    read from the store) unless the rows come in long runs (:func:`~corpus_utils.core.columns.select_rows`), and
    2.9 GB of a million pages' text copied for a timeline that draws only dates and sections is memory lost.
    """
    if "date" not in documents.columns:
        raise ValueError("documents needs a date column (from read_corpus)")
    chosen = documents if columns is None else documents[list(columns)]
    if "date" not in chosen.columns:
        raise ValueError(f"columns must include date, got {list(columns)}")
    return select_where(chosen, pd.to_datetime(documents["date"]).notna())
