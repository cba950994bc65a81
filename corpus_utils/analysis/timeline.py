"""Change over time: documents per period, term trends per 1,000 words, topic prevalence, and dated events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from ..core.checks import check_topic_inputs
from ..core.columns import as_str
from ..core.memo import Memo
from ..core.paths import PACKAGE_DATA_DIR, resolve_path
from ..text.tokenizer import Tokenizer
from .periods import PERIODS, UNDATED, assign_period, dated_documents, period_range, undated_documents
from .terms import TokenStream, ngram_document_counts, ngram_frequency_table, token_stream

__all__ = [
    "PERIODS",
    "UNDATED",
    "EVENT_COLUMNS",
    "assign_period",
    "period_range",
    "documents_per_period",
    "undated_documents",
    "section_counts_per_period",
    "analyse_terms",
    "term_trends",
    "topic_prevalence",
    "load_events",
]

#: Columns of an events table.
EVENT_COLUMNS = ("date", "event", "kind", "note")


def documents_per_period(documents: pd.DataFrame, *, period: str = "year") -> pd.DataFrame:
    """How many documents (and words) each period has, empty periods included, undated documents counted.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``date`` (datetime64, ``NaT`` when unknown) and ``n_words``.
    period : {"year", "quarter", "month"}

    Returns
    -------
    pandas.DataFrame
        Columns ``period``, ``start`` (Timestamp; ``NaT`` on the undated row), ``n_documents``, ``n_words``; one row per
        period from the first to the last date (zeros where nothing was published), then a last row
        ``period == "undated"`` when any document lacks a date, so the column totals equal the corpus.
    """
    labels = assign_period(documents["date"], period)
    grid = period_range(documents["date"], period)[["period", "start"]]
    counts = pd.DataFrame({"period": labels, "n_words": documents["n_words"].astype("int64")}).groupby("period").agg(
        n_documents=("n_words", "size"), n_words=("n_words", "sum")
    )
    table = grid.join(counts, on="period").fillna({"n_documents": 0, "n_words": 0})
    undated = labels.isna()
    if undated.any():
        extra = pd.DataFrame(
            {"period": [UNDATED], "start": [pd.NaT], "n_documents": [int(undated.sum())], "n_words": [int(documents.loc[undated.to_numpy(), "n_words"].sum())]}
        )
        table = pd.concat([table, extra], ignore_index=True)
    return table.astype({"period": "string", "n_documents": "int64", "n_words": "int64"}).reset_index(drop=True)


def section_counts_per_period(dated: pd.DataFrame, grid: pd.DataFrame, *, period: str, top: int = 8) -> pd.DataFrame:
    """Dated documents per period and section, for stacked bars.

    Parameters
    ----------
    dated : pandas.DataFrame
        Takes columns ``date`` (no ``NaT``) and ``section`` (no missing value).
    grid : pandas.DataFrame
        From :func:`~corpus_utils.analysis.periods.period_range`: the rows, in order, empty periods included.
    period : {"year", "quarter", "month"}
    top : int
        Sections with their own column, the largest first (ties by name); the rest are summed into
        ``(other sections)`` when any document is there.

    Returns
    -------
    pandas.DataFrame
        Index ``period`` (str), one int column per section.
    """
    counts = dated.assign(period=assign_period(dated["date"], period).astype(str)).groupby(["period", "section"]).size()
    top_sections = dated["section"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index[:top]
    wide = counts.unstack(fill_value=0).reindex(grid["period"].astype(str), fill_value=0)
    kept = [section for section in top_sections if section in wide.columns]
    other = wide.drop(columns=kept).sum(axis=1)
    return wide[kept].assign(**({"(other sections)": other} if other.any() else {}))


def analyse_terms(terms: Iterable[str], *, tokenizer: Tokenizer | None = None) -> dict[str, tuple[str, ...]]:
    """Each requested term as the tokeniser sees it: ``"Two Safeguards"`` → ``("two_safeguards",)``.

    Returns a dict term → tokens (an n-gram when the term has several words left after stop words). A term
    that the tokeniser reduces to nothing (only stop words or punctuation) raises ``ValueError``.
    """
    tokenizer = tokenizer or Tokenizer()
    analysed = {}
    for term in terms:
        tokens = tuple(tokenizer.tokens(str(term)))
        if not tokens:
            raise ValueError(
                f"trend term {term!r} has no token left after stop words; remove it or add its words to KEEP_WORDS"
            )
        analysed[str(term)] = tokens
    return analysed


def _top_tokens(stream: TokenStream, top: int) -> list[str]:
    """The ``top`` most frequent tokens of ``stream``, by count then alphabetically."""
    return ngram_frequency_table(stream, 1, top=top)["term"].astype(str).tolist()


def term_trends(
    documents: pd.DataFrame,
    terms: Iterable[str] = (),
    *,
    period: str = "year",
    top_n: int = 0,
    tokenizer: Tokenizer | None = None,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Relative frequency of terms per period (per 1,000 words), with the documents behind each number.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``body``, ``date`` and ``n_words``. Undated documents cannot be placed in a period and are
        left out here (:func:`documents_per_period` counts them).
    terms : iterable of str
        Terms as a reader writes them (``"clean government"``, ``"Two Safeguards"``, ``"two_safeguards"``); each is
        tokenised like every analysis (:func:`analyse_terms`) and a multi-word term is counted as that n-gram of
        tokens (stop words removed first, as everywhere in this project).
    period : {"year", "quarter", "month"}
    top_n : int
        Also follow the ``top_n`` most frequent single tokens of the dated documents.
    tokenizer : Tokenizer, optional
        Default ``Tokenizer()`` (formulations merged, as in the notebooks).
    memo : Memo, optional
        Where token ids are kept (``prepared.memo``): all documents are then read or tokenised once, as in notebooks
        02, 03 and 06 (:func:`~corpus_utils.analysis.terms.token_streams`), and the dated ones taken from them.

    Returns
    -------
    pandas.DataFrame
        Columns ``period``, ``term`` (as requested; top terms as tokens), ``count`` (occurrences), ``words`` (all
        words of the period's documents, the loader's ``n_words``), ``per_1000_words`` (``NaN`` for a period
        without documents), ``n_documents`` (documents of the period that use the term). One row per term and
        period from the first to the last date; requested terms first in the order given, then top terms by
        frequency.

    Notes
    -----
    Cost: one tokenising pass over the dated documents (:func:`~corpus_utils.analysis.terms.token_stream`); every
    term, of any length, and the top words are then counted on the token ids with numpy, followed by
    sparse period × documents products.
    """
    if top_n < 0:
        raise ValueError(f"top_n must be 0 or more, got {top_n}")
    analysed = analyse_terms(terms, tokenizer=tokenizer)
    needed = documents if memo is None else documents[["date", "n_words"]]  # the stored token ids stand for the text
    dated = dated_documents(needed).reset_index(drop=True)
    grid = period_range(dated["date"], period)
    columns = ["period", "term", "count", "words", "per_1000_words", "n_documents"]
    if grid.empty or (not analysed and top_n == 0):
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in zip(columns, ["string", "string", "int64", "int64", "float64", "int64"])})
    if memo is None:
        stream = token_stream(dated, tokenizer=tokenizer)
    else:
        stream = token_stream(documents, tokenizer=tokenizer, memo=memo).take(np.flatnonzero(documents["date"].notna().to_numpy()))
    names = list(analysed)
    grams = list(analysed.values())
    if top_n:
        top = _top_tokens(stream, top_n + len(names))
        chosen = [token for token in top if token not in names][:top_n]
        names += chosen
        grams += [(token,) for token in chosen]
    counts = ngram_document_counts(stream, grams)
    codes = pd.Categorical(assign_period(dated["date"], period), categories=grid["period"].tolist()).codes
    indicator = sparse.csr_matrix((np.ones(len(dated)), (codes, np.arange(len(dated)))), shape=(len(grid), len(dated)))
    period_counts = np.asarray((indicator @ counts).toarray()).astype(np.int64)
    period_documents = np.asarray((indicator @ (counts > 0).astype(np.int64)).toarray()).astype(np.int64)
    words = np.bincount(codes, weights=dated["n_words"].to_numpy(dtype=float), minlength=len(grid)).astype(np.int64)
    n_terms = len(names)
    count_flat = period_counts.T.ravel()
    words_flat = np.tile(words, n_terms)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(words_flat > 0, count_flat * 1000.0 / np.maximum(words_flat, 1), np.nan)
    return pd.DataFrame(
        {
            "period": np.tile(grid["period"].to_numpy(dtype=object), n_terms),
            "term": np.repeat(np.asarray(names, dtype=object), len(grid)),
            "count": count_flat,
            "words": words_flat,
            "per_1000_words": rate,
            "n_documents": period_documents.T.ravel(),
        },
        columns=columns,
    ).astype({"period": "string", "term": "string"})


def topic_prevalence(
    units: pd.DataFrame,
    doc_topic: np.ndarray,
    documents: pd.DataFrame,
    *,
    labels: Sequence[str],
    period: str = "year",
) -> pd.DataFrame:
    """Share of each topic per period, weighted by words, from a fitted topic model.

    Parameters
    ----------
    units : pandas.DataFrame
        The units the topic model was fitted on (:func:`corpus_utils.analysis.topics.text_units`): takes ``doc_id`` and
        ``n_words``; rows aligned with ``doc_topic``.
    doc_topic : numpy.ndarray
        Units × topics shares (:attr:`corpus_utils.topics.TopicModel.doc_topic`).
    documents : pandas.DataFrame
        Takes ``doc_id`` and ``date``; units of undated documents are left out (count them with
        :func:`documents_per_period`).
    labels : sequence of str
        Topic labels, one per column of ``doc_topic``.
    period : {"year", "quarter", "month"}

    Returns
    -------
    pandas.DataFrame
        Columns ``period``, ``topic`` (1-based), ``label``, ``share`` (word-weighted mean topic share of the period's
        units; sums to 1 over topics; ``NaN`` in a period without modelled text), ``n_documents``, ``n_words``;
        every period from the first to the last date, topics in order.

    Notes
    -----
    Cost: one sparse periods × units product, O(units × topics).
    """
    check_topic_inputs(units, doc_topic, labels)
    dates = documents.set_index(documents["doc_id"].pipe(as_str))["date"]
    unit_dates = units["doc_id"].pipe(as_str).map(dates)
    grid = period_range(unit_dates, period)
    n_topics = doc_topic.shape[1]
    codes = pd.Categorical(assign_period(unit_dates, period), categories=grid["period"].tolist()).codes
    keep = codes >= 0
    words = units["n_words"].to_numpy(dtype=float)[keep]
    indicator = sparse.csr_matrix((words, (codes[keep], np.flatnonzero(keep))), shape=(len(grid), len(units)))
    weighted = np.asarray(indicator @ doc_topic)
    totals = weighted.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(totals > 0, weighted / np.where(totals > 0, totals, 1), np.nan)
    n_documents = (
        pd.DataFrame({"code": codes[keep], "doc_id": units["doc_id"].pipe(as_str).to_numpy()[keep]})
        .groupby("code")["doc_id"].nunique().reindex(range(len(grid)), fill_value=0).to_numpy()
    )
    n_words = np.bincount(codes[keep], weights=words, minlength=len(grid)).astype(np.int64)
    return pd.DataFrame(
        {
            "period": np.repeat(grid["period"].to_numpy(dtype=object), n_topics),
            "topic": np.tile(np.arange(1, n_topics + 1), len(grid)),
            "label": np.tile(np.asarray(labels, dtype=object), len(grid)),
            "share": shares.ravel(),
            "n_documents": np.repeat(n_documents, n_topics).astype(np.int64),
            "n_words": np.repeat(n_words, n_topics),
        }
    ).astype({"period": "string", "label": "string"})


def load_events(path: str | Path | None = None) -> pd.DataFrame:
    """A table of dated events to draw on timelines.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with columns ``date`` (``YYYY-MM-DD``), ``event``, ``kind`` and ``note``; relative paths are taken
        from the repository root. Defaults to the table shipped in ``corpus_utils/data/events.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``mark`` (``E1``, ``E2`` … numbered over the whole table, so an event keeps its mark whatever
        period or date range a figure shows), ``date`` (datetime64), ``event``, ``kind``, ``note`` (strings),
        sorted by date then event.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        A column is missing, or a date or event is empty or unparseable (the message names file and row).
    """
    source = resolve_path(path) if path else PACKAGE_DATA_DIR / "events.csv"
    if not source.exists():
        raise FileNotFoundError(f"events table not found: {source}; pass a CSV with columns {', '.join(EVENT_COLUMNS)}")
    table = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [column for column in ("date", "event") if column not in table.columns]
    if missing:
        raise ValueError(f"{source.name}: the events table needs columns {', '.join(EVENT_COLUMNS)}; missing {', '.join(missing)}")
    for column in ("kind", "note"):
        if column not in table.columns:
            table[column] = ""
    dates = pd.to_datetime(table["date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    bad = dates.isna() | table["event"].str.strip().eq("")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{source.name}, row {row + 2}: every event needs a date written YYYY-MM-DD and a name "
            f"(got date {table['date'].iloc[row]!r}, event {table['event'].iloc[row]!r})"
        )
    events = table.assign(date=dates)[list(EVENT_COLUMNS)]
    events = events.astype({"event": "string", "kind": "string", "note": "string"})
    events = events.sort_values(["date", "event"], kind="stable").reset_index(drop=True)
    events.insert(0, "mark", pd.array([f"E{number}" for number in range(1, len(events) + 1)], dtype="string"))
    return events
