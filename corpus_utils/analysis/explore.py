"""One term seen four ways at once — its trend, its concordance, its collocates, the documents that use it most —
over the whole corpus or a part of it: what the linked explorer of notebook 07 shows.

Everything comes from one token stream (no tokenising but the concordance's documents), so changing the term or
the part of the corpus recomputes the four panels in well under a second on thousands of documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.columns import select_rows
from ..text.tokenizer import Tokenizer
from .collocations import collocates
from .kwic import concordance, sort_concordance
from .labels import document_labels
from .periods import assign_period, period_range
from .terms import TokenStream, ngram_document_counts, ngram_frequency_table

__all__ = ["TermProfile", "term_profile", "document_rows", "explorer_terms"]


@dataclass(frozen=True)
class TermProfile:
    """The four linked panels of one term in one part of the corpus.

    Attributes
    ----------
    term : str
        The term as asked (a word, an n-gram or a formulation token).
    n_documents : int
        Documents in the part of the corpus looked at.
    trend : pandas.DataFrame
        Columns ``period``, ``count``, ``words``, ``per_1000_words``, ``documents`` (using the term), ``n_documents``
        (dated documents of the period): every period from the first to the last date, empty ones included.
    lines : pandas.DataFrame
        The concordance (:func:`~corpus_utils.analysis.kwic.concordance` columns), sorted by the given keys.
    collocates : pandas.DataFrame
        From :func:`~corpus_utils.analysis.collocations.collocates`.
    documents : pandas.DataFrame
        The ``top`` documents using the term most: ``label``, ``doc_id``, ``date``, ``section``, ``count``,
        ``per_1000_words``; by rate (descending), then count, then doc_id.
    n_occurrences : int
        How often the term occurs in the part of the corpus looked at.
    n_using : int
        How many of its documents use the term (``documents`` lists at most ``top`` of them).
    """

    term: str
    n_documents: int
    trend: pd.DataFrame
    lines: pd.DataFrame
    collocates: pd.DataFrame
    documents: pd.DataFrame
    n_occurrences: int = 0
    n_using: int = 0

    def summary(self) -> str:
        """One sentence: occurrences, documents, the peak period (with its documents), the first collocate."""
        if self.n_occurrences == 0:
            return f"{self.term!r} does not occur in these {self.n_documents:,} documents."
        text = f"{self.term!r}: {self.n_occurrences:,} occurrence(s) in {self.n_using:,} of {self.n_documents:,} documents"
        dated = self.trend[self.trend["n_documents"] > 0]
        if not dated.empty:
            peak = dated.loc[dated["per_1000_words"].idxmax()]
            text += (f"; most frequent in {peak['period']} ({peak['per_1000_words']:.2f} per 1,000 words, "
                     f"{int(peak['n_documents'])} document(s) that period)")
        if not self.collocates.empty:
            text += f"; first collocate {self.collocates['collocate'].iat[0]!r}"
        return text + "."


def document_rows(documents: pd.DataFrame, *, sections: Sequence[str] = (), years: tuple[int, int] | None = None) -> np.ndarray:
    """Row positions of the documents in ``sections`` (all when empty) dated within ``years`` (inclusive; all, undated
    included, when None): the part of the corpus the explorer's selectors choose."""
    keep = np.ones(len(documents), dtype=bool)
    if sections:
        keep &= documents["section"].astype("string").isin(list(sections)).fillna(False).to_numpy(dtype=bool)
    if years is not None:
        year = pd.to_datetime(documents["date"]).dt.year
        keep &= year.between(years[0], years[1]).fillna(False).to_numpy(dtype=bool)
    return np.flatnonzero(keep)


def _trend(documents: pd.DataFrame, counts: np.ndarray, words: np.ndarray, period: str) -> pd.DataFrame:
    frame = pd.DataFrame({"period": assign_period(documents["date"], period).to_numpy(), "count": counts, "words": words,
                          "using": counts > 0})
    frame = frame.dropna(subset=["period"])
    grouped = frame.groupby("period").agg(count=("count", "sum"), words=("words", "sum"), documents=("using", "sum"),
                                          n_documents=("count", "size"))
    periods = period_range(documents["date"], period)["period"] if len(frame) else pd.Series([], dtype="string")
    table = grouped.reindex(periods.astype(str), fill_value=0).rename_axis("period").reset_index()
    table["per_1000_words"] = np.where(table["words"] > 0, 1000 * table["count"] / table["words"].where(table["words"] > 0, 1), 0.0)
    return table.astype({"count": "int64", "words": "int64", "documents": "int64", "n_documents": "int64"})[
        ["period", "count", "words", "per_1000_words", "documents", "n_documents"]]


def term_profile(
    documents: pd.DataFrame,
    stream: TokenStream,
    term: str,
    *,
    tokenizer: Tokenizer,
    rows: np.ndarray | None = None,
    period: str = "year",
    sort_by: Sequence[str] = ("1R", "2R"),
    window: int = 8,
    left: int = 5,
    right: int = 5,
    measure: str = "g2",
    min_count: int = 2,
    min_documents: int = 1,
    top: int = 20,
) -> TermProfile:
    """The trend, concordance, collocates and top documents of ``term`` in the documents at ``rows``.

    Parameters
    ----------
    documents : pandas.DataFrame
        The documents table (``doc_id``, ``title``, ``body``, ``date``, ``section``, ``n_words``), in ``stream``'s order.
    stream : TokenStream
        Its token stream with ``tokenizer``.
    term : str
        A word, an n-gram or a formulation token.
    tokenizer : Tokenizer
    rows : numpy.ndarray, optional
        Row positions of the part of the corpus to look at (:func:`document_rows`); all documents by default.
    period : {"year", "quarter", "month"}
        The trend's periods.
    sort_by : sequence of str
        Concordance order (:data:`~corpus_utils.analysis.kwic.SORT_KEYS`).
    window : int
        Concordance words each side.
    left, right, measure, min_count, min_documents
        As :func:`~corpus_utils.analysis.collocations.collocates`.
    top : int
        Collocates and documents kept.

    Returns
    -------
    TermProfile
    """
    rows = np.arange(len(documents)) if rows is None else np.asarray(rows, dtype=np.int64)
    part, part_stream = select_rows(documents, rows).reset_index(drop=True), stream.take(rows)
    words = tokenizer.term_words(term)
    counts = ngram_document_counts(part_stream, [words]).toarray().ravel()
    n_words = part_stream.n_words
    lines = sort_concordance(concordance(part, [term], tokenizer=tokenizer, stream=part_stream, window=window), list(sort_by))
    near = collocates(part_stream, term, tokenizer=tokenizer, left=left, right=right, measure=measure, min_count=min_count,
                      min_documents=min_documents, top=top)
    using = np.flatnonzero(counts)
    rate = 1000 * counts[using] / np.maximum(n_words[using], 1)
    labels = document_labels(documents).to_numpy()[rows]  # the labels of the whole corpus, as other notebooks print them
    table = pd.DataFrame({"label": labels[using], "doc_id": part["doc_id"].to_numpy()[using], "date": part["date"].to_numpy()[using],
                          "section": part["section"].to_numpy()[using], "count": counts[using].astype(np.int64),
                          "per_1000_words": rate})
    table = table.sort_values(["per_1000_words", "count", "doc_id"], ascending=[False, False, True], kind="stable").head(top)
    return TermProfile(term=str(term), n_documents=len(part), trend=_trend(part, counts, n_words, period), lines=lines,
                       collocates=near, documents=table.reset_index(drop=True), n_occurrences=int(counts.sum()),
                       n_using=len(using))


def explorer_terms(stream: TokenStream, *, top: int = 20) -> list[str]:
    """Terms to offer in the explorer's term box: the registered formulation tokens the corpus uses, then its ``top``
    unigrams and bigrams, without repeats."""
    from ..text.registry import load_registry

    counts = np.bincount(stream.ids, minlength=len(stream.vocabulary))
    present = {str(token) for token in stream.vocabulary[counts > 0]}
    formulations = [name for name in load_registry()["canonical"].astype(str) if name in present]
    ranked = [*ngram_frequency_table(stream, 1, top=top)["term"], *ngram_frequency_table(stream, 2, top=top)["term"]]
    return list(dict.fromkeys([*formulations, *map(str, ranked)]))
