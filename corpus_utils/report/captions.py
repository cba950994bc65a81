"""One-line captions of the collection's figures, computed from the data saved beside each figure.

:func:`~corpus_utils.report.figures.save_figure` stores the caption in the PNG and SVG files themselves (their
``Description``), so it travels with a figure that is copied or sent alone; the run's ``index.html`` and
``summary.html`` show it under each figure. A figure without a caption rule here gets a plain one (its rows
of data); a figure with no data says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.labels import tied_with
from ..analysis.periods import UNDATED

__all__ = ["CAPTIONS", "figure_caption", "read_caption"]


def _quoted(value: object) -> str:
    return f"“{' '.join(str(value).replace('_', ' ').split())}”"


def _count(number: float, noun: str) -> str:
    """``"1 document"``, ``"2,345 documents"``."""
    number = int(number)
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def _biggest(data: pd.DataFrame, label: str, value: str, what: str, unit: str) -> str:
    """"N <unit> in K <what>; the largest, “x”, holds n (p%)[, tied with “y”]." for a table of counts by category."""
    total = data[value].sum()
    top = data.loc[data[value].idxmax()]
    return (f"{total:,} {unit} in {_count(len(data), what)}; the largest, {_quoted(top[label])}, holds {top[value]:,} "
            f"({_share(top[value], total)}){tied_with(data, label, value, formatted=_quoted)}.")


def _ranking(data: pd.DataFrame) -> str:
    first = data.iloc[0]
    text = (f"{_quoted(first['term'])} leads with {_count(first['count'], 'occurrence')} ({first['per_1000_words']:.2f} per "
            f"1,000 words, in {_count(first['documents'], 'document')})")
    if len(data) > 1 and data["count"].iloc[1] > 0:
        text += f", {first['count'] / data['count'].iloc[1]:.1f}× the runner-up {_quoted(data['term'].iloc[1])}"
    return text + "."


def _lengths(data: pd.DataFrame) -> str:
    longest = data[data["overflow"].astype(bool)] if "overflow" in data.columns else data.iloc[:0]
    data = data.drop(longest.index)
    top = data.loc[data["documents"].idxmax()]
    ranges = data.assign(range=[f"{start:,.0f}–{end:,.0f}" for start, end in zip(data["bin_start"], data["bin_end"])])
    text = (f"{_count(data['documents'].sum() + longest['documents'].sum(), 'document')}; the most common length is "
            f"{top['bin_start']:,.0f}–{top['bin_end']:,.0f} words ({_count(top['documents'], 'document')}"
            f"{tied_with(ranges, 'range', 'documents')})")
    for row in longest.itertuples():
        text += (f"; the hatched bar gathers the {_count(row.documents, 'document')} over {row.bin_start:,.0f} words "
                 f"(up to {row.bin_end:,.0f})")
    return text + "."


def _years(data: pd.DataFrame) -> str:
    top = data.loc[data["documents"].idxmax()]
    return (f"{data['documents'].sum():,} dated documents from {data['year'].iloc[0]} to {data['year'].iloc[-1]}; the most in "
            f"{top['year']} ({top['documents']:,}{tied_with(data, 'year', 'documents')}).")


def _grid_maximum(data: pd.DataFrame, index: str, *, skip_diagonal: bool) -> tuple[str, str, float]:
    grid = data.set_index(index).apply(pd.to_numeric, errors="coerce")
    values = grid.to_numpy(dtype=float, copy=True)
    if skip_diagonal:
        for row, name in enumerate(grid.index):
            if name in grid.columns:
                values[row, grid.columns.get_loc(name)] = np.nan
    if np.isnan(values).all():
        return "", "", float("nan")
    row, column = np.unravel_index(np.nanargmax(values), values.shape)
    return str(grid.index[row]), str(grid.columns[column]), float(values[row, column])


def _heatmap(data: pd.DataFrame) -> str:
    row, column, value = _grid_maximum(data, "row", skip_diagonal=False)
    return f"{data.shape[1] - 1} terms across {len(data)} rows; the highest rate is {_quoted(column)} in {_quoted(row)} ({value:.1f} per 1,000 words)."


def _similarity(data: pd.DataFrame) -> str:
    row, column, value = _grid_maximum(data, "doc_id", skip_diagonal=True)
    if not row:
        return f"Cosine similarity of {len(data)} document(s)."
    return f"Cosine similarity of {len(data)} documents; the most alike are {row} and {column} ({value:.2f})."


def _cooccurrence(data: pd.DataFrame) -> str:
    row, column, value = _grid_maximum(data, "canonical", skip_diagonal=True)
    if not row or value <= 0:
        return f"{len(data)} formulations; no two occur in the same document."
    return f"{len(data)} formulations; the pair found together most often is {_quoted(row)} and {_quoted(column)} ({value:.0f} documents)."


def _dispersion(data: pd.DataFrame) -> str:
    counts = data["term"].value_counts()
    return (f"{len(data):,} occurrences of {data['term'].nunique()} terms in {data['doc_id'].nunique()} documents; "
            f"{_quoted(counts.index[0])} occurs most ({counts.iloc[0]:,}).")


def _collocates(data: pd.DataFrame) -> str:
    firsts = data.groupby("node", sort=False).head(1)
    pairs = "; ".join(f"{_quoted(row.node)}: {_quoted(row.collocate)} (G2 {row.g2:.1f}, {row.observed}×)" for row in firsts.itertuples())
    return f"First-ranked collocate of each term — {pairs}."


def _distinctive(data: pd.DataFrame) -> str:
    top = data.loc[data["weight"].idxmax()]
    return (f"Distinctive TF-IDF terms of {data['doc_id'].nunique()} documents; the heaviest is {_quoted(top['term'])} in "
            f"{top['label']} ({top['weight']:.2f}).")


def _map(data: pd.DataFrame) -> str:
    counts = data["kind"].value_counts()
    return "A 2-D map (truncated SVD of TF-IDF) of " + " and ".join(f"{count:,} {kind}s" for kind, count in counts.items()) + "."


def _nearest(data: pd.DataFrame) -> str:
    top = data.loc[data["similarity"].idxmax()]
    return (f"Median nearest-neighbour similarity {data['similarity'].median():.2f} over {len(data):,} documents; the closest "
            f"pair is {top['doc_id']} and {top['nearest']} ({top['similarity']:.2f}).")


def _clusters(data: pd.DataFrame) -> str:
    sizes = data["kmeans"].value_counts()
    return (f"{len(data):,} units in {len(sizes)} k-means clusters; the largest holds {sizes.iloc[0]:,} "
            f"({_share(sizes.iloc[0], len(data))}).")


def _silhouette(data: pd.DataFrame) -> str:
    if not data["silhouette"].notna().any():
        return f"No k from {data['k'].min():.0f} to {data['k'].max():.0f} could be scored: the units hold too few distinct points."
    best = data.loc[data["silhouette"].idxmax()]
    text = f"The best k-means silhouette is {best['silhouette']:.3f}, at k = {best['k']:.0f}"
    if "silhouette_ward" in data and data["silhouette_ward"].notna().any():
        ward = data.loc[data["silhouette_ward"].idxmax()]
        text += f" (Ward: {ward['silhouette_ward']:.3f} at k = {ward['k']:.0f})"
    return text + (" — below 0.25, the groups are weak." if best["silhouette"] < 0.25 else ".")


def _topic_shares(data: pd.DataFrame) -> str:
    means = data.groupby("label", sort=False)["share"].mean().sort_values(ascending=False)
    return (f"Topic shares of {data['doc_id'].nunique()} documents; the largest on average is {_quoted(means.index[0])} "
            f"({100 * means.iloc[0]:.0f}%).")


def _topic_terms(data: pd.DataFrame) -> str:
    firsts = data.sort_values(["topic", "rank"]).groupby("topic").head(1)
    return f"{data['topic'].nunique()} topics; their first terms: " + ", ".join(map(_quoted, firsts["term"].head(6))) + "."


def _periods(data: pd.DataFrame) -> str:
    """The busiest period among the dated ones; an ``undated`` row is counted in the total, never as a period."""
    undated = data["period"].astype(str) == UNDATED
    dated, n_undated = data[~undated], int(data.loc[undated, "n_documents"].sum())
    text = f"{data['n_documents'].sum():,} documents over {_count(len(dated), 'period')}"
    text += f" and {n_undated:,} undated" if undated.any() else ""
    if dated.empty or dated["n_documents"].max() == 0:
        return text + "."
    top = dated.loc[dated["n_documents"].idxmax()]
    return text + f"; the most in {top['period']} ({top['n_documents']:,}{tied_with(dated, 'period', 'n_documents')})."


def _timeline(data: pd.DataFrame) -> str:
    dates = pd.to_datetime(data["date"], errors="coerce").dropna()
    if dates.empty:
        return f"{len(data):,} documents, none dated."
    return f"{len(dates):,} dated documents from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}."


def _peak(data: pd.DataFrame, label: str, value: str, what: str, scale: str, documents: str) -> str:
    """The highest value of ``value`` over labels and periods, with the documents of that period behind it."""
    top = data.loc[data[value].idxmax()]
    amount = f"{100 * top[value]:.0f}%" if scale == "%" else f"{top[value]:.2f} {scale}"
    return (f"{data[label].nunique()} {what} over {_count(data['period'].nunique(), 'period')}; the peak is {_quoted(top[label])} in "
            f"{top['period']} ({amount}, {_count(top[documents], 'document')} that period).")


def _term_trend(data: pd.DataFrame) -> str:
    dated = data[data["n_documents"] > 0]
    if dated.empty or dated["count"].sum() == 0:
        return f"{_quoted(data['term'].iat[0])} never occurs in a dated document."
    top = dated.loc[dated["per_1000_words"].idxmax()]
    return (f"{_quoted(data['term'].iat[0])}: {_count(dated['count'].sum(), 'occurrence')} over {_count(len(data), 'period')}; the peak "
            f"is {top['period']} ({top['per_1000_words']:.2f} per 1,000 words, {_count(top['n_documents'], 'document')} that period).")


def _formulation_documents(data: pd.DataFrame) -> str:
    top = data.loc[data["documents"].idxmax()]
    return (f"{len(data)} formulations found; {_quoted(top['label'])} is in the most documents ({top['documents']:,}, "
            f"{100 * top['share_documents']:.0f}% of them).")


def _formulations_by_document(data: pd.DataFrame) -> str:
    return (f"{data['count'].sum():,} occurrences of {data['canonical'].nunique()} formulations in "
            f"{data['doc_id'].nunique()} documents.")


def _keyness(data: pd.DataFrame) -> str:
    top = data.loc[data["g2"].abs().idxmax()]
    return f"{len(data)} key terms; the strongest is {_quoted(top['term'])}, key for {top['key_for']} (G2 {top['g2']:.1f}, p = {top['p_value']:.2g})."


#: Caption rule per figure name: a function of the figure's data table.
CAPTIONS: dict[str, Callable[[pd.DataFrame], str]] = {
    "01_document_length": _lengths,
    "01_documents_per_layout": lambda data: _biggest(data, "layout", "documents", "page layout", "documents"),
    "01_documents_per_section": lambda data: _biggest(data, "section", "documents", "section", "documents"),
    "01_documents_per_year": _years,
    "02_top_unigrams": _ranking,
    "02_top_bigrams": _ranking,
    "02_top_trigrams": _ranking,
    "02_term_heatmap": _heatmap,
    "02_dispersion": _dispersion,
    "02_collocates": _collocates,
    "03_distinctive_terms": _distinctive,
    "03_map_2d": _map,
    "03_nearest_similarity": _nearest,
    "03_similarity_heatmap": _similarity,
    "04_cluster_map": _clusters,
    "04_dendrogram": lambda data: f"Ward dendrogram of {len(data):,} leaves.",
    "04_silhouette": _silhouette,
    "04_topic_shares": _topic_shares,
    "04_topic_terms": _topic_terms,
    "05_documents_per_period": _periods,
    "05_publication_timeline": _timeline,
    "05_term_trends": lambda data: _peak(data, "term", "per_1000_words", "terms", "per 1,000 words", "n_documents"),
    "05_topic_prevalence": lambda data: _peak(data, "label", "share", "topics", "%", "n_documents"),
    "06_formulation_cooccurrence": _cooccurrence,
    "06_formulation_documents": _formulation_documents,
    "06_formulations_by_document": _formulations_by_document,
    "06_formulations_by_year": lambda data: _peak(data, "canonical", "share", "formulations", "%", "documents_in_period"),
    "06_keyness": _keyness,
    "07_term_trend": _term_trend,
}


def figure_caption(stem: str, data: pd.DataFrame | None) -> str:
    """The one-line caption of figure ``stem`` (``"02_top_unigrams"``) from the table saved beside it.

    Uses the rule of :data:`CAPTIONS` when the table holds the columns it reads; otherwise, and for figures
    without a rule, says how many rows of data the figure draws. A figure without data says so.
    """
    if data is None or data.empty:
        return "No data: the figure is empty."
    rule = CAPTIONS.get(stem)
    if rule is not None:
        try:
            return rule(data)
        except KeyError:  # a table of another shape under the same name (a user's own figure): the plain caption
            pass
    return f"{_count(len(data), 'row')} of data, in {stem}.csv beside the figure."


def read_caption(figure: str | Path) -> str:
    """The caption stored in a PNG written by :func:`~corpus_utils.report.figures.save_figure` ("" when it has none)."""
    from PIL import Image

    try:
        with Image.open(figure) as image:
            # ``info`` holds the text chunks before the pixels, where matplotlib writes them; ``text`` would decode the
            # whole image to find any after them (a tenth of a second per figure), so it is read only when needed.
            found = image.info.get("Description")
            return str(found if isinstance(found, str) else getattr(image, "text", {}).get("Description", ""))
    except OSError:
        return ""
