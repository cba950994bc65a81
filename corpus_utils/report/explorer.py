"""Linked panels for JupyterLab: choose a term and a part of the corpus, and its trend, concordance, collocates and
documents update together (notebook 07).

Built on ipywidgets (the controls and the layout) and itables' ``ITable`` widget (sortable, searchable tables that
page through big results; cells are escaped, never rendered as markup). Every change of a control calls
:meth:`TermExplorer.select`, which tests can call directly; the trend is drawn with the collection's own style.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.columns import as_str
from ..analysis.explore import TermProfile, document_rows, term_profile
from ..analysis.terms import TokenStream
from ..text.tokenizer import Tokenizer

__all__ = ["TermExplorer", "trend_figure"]

#: Concordance columns the explorer's table shows (the CSV of notebook 02 holds all of them).
LINE_COLUMNS = ["doc_id", "date", "section", "left", "match", "right"]
COLLOCATE_COLUMNS = ["collocate", "observed", "documents", "g2", "mi", "logdice", "t_score"]
DOCUMENT_COLUMNS = ["label", "date", "section", "count", "per_1000_words"]


def trend_figure(profile: TermProfile, *, period: str = "year"):
    """The term's rate per 1,000 words by period, with the documents of each period written under its point."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    trend = profile.trend
    if trend.empty:
        ax.text(0.5, 0.5, "no dated document in this selection", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
    else:
        ax.plot(trend["period"], trend["per_1000_words"], marker="o")
        ax.set_xticks(range(len(trend)), [f"{period}\n(n={count})" for period, count in zip(trend["period"], trend["n_documents"])],
                      fontsize=8)
    ax.set_ylabel("Occurrences per 1,000 words")
    ax.set_xlabel(f"{period.capitalize()} (n = dated documents)")
    ax.set_title(f"{profile.term!r} over time ({profile.n_occurrences:,} occurrences, {profile.n_documents:,} documents)")
    ax.set_ylim(bottom=0)
    return fig


def _png(fig) -> bytes:
    """The figure as PNG bytes (closed afterwards)."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _years(documents: pd.DataFrame) -> tuple[int, int] | None:
    years = pd.to_datetime(documents["date"]).dt.year.dropna()
    return None if years.empty else (int(years.min()), int(years.max()))


class TermExplorer:
    """A term's trend, concordance, collocates and top documents, in linked JupyterLab panels.

    Parameters
    ----------
    documents : pandas.DataFrame
        The documents table (``doc_id``, ``title``, ``body``, ``date``, ``section``, ``n_words``).
    stream : TokenStream
        Its token stream with ``tokenizer``.
    tokenizer : Tokenizer
    terms : sequence of str
        The terms offered in the term box (any other term can be typed).
    term : str
        The first term shown.
    period : {"year", "quarter", "month"}
        The trend's periods.
    table_rows : int
        Rows per page of each table.
    profile : TermProfile, optional
        ``term``'s profile over the documents the controls first choose, already computed with the same options (the
        notebook's static view): shown as it is instead of computed again. Ignored when it is of another term or
        another number of documents.
    **profile_options
        Passed to :func:`~corpus_utils.analysis.explore.term_profile` (``left``, ``right``, ``measure``, ``min_count``,
        ``min_documents``, ``sort_by``, ``top``).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The panels, to display as a cell's last expression.
    profile : TermProfile
        What the panels show now.
    """

    def __init__(self, documents: pd.DataFrame, stream: TokenStream, tokenizer: Tokenizer, *, terms: Sequence[str], term: str,
                 period: str = "year", table_rows: int = 10, profile: TermProfile | None = None, **profile_options) -> None:
        import ipywidgets as widgets
        from itables.widget import ITable

        self.documents, self.stream, self.tokenizer, self.period = documents, stream, tokenizer, period
        self.options = profile_options
        sections = sorted(documents["section"].dropna().pipe(as_str).unique())
        span = _years(documents)
        self.term_box = widgets.Combobox(value=term, options=list(dict.fromkeys(terms)), description="Term",
                                         ensure_option=False, continuous_update=False)
        self.term_box.add_class("corpus-explorer-term")
        self.section_box = widgets.SelectMultiple(options=sections, description="Sections", rows=min(4, max(len(sections), 1)))
        self.year_slider = (widgets.IntRangeSlider(value=span, min=span[0], max=span[1], description="Years",
                                                   layout=widgets.Layout(width="420px"))
                            if span is not None and span[0] < span[1] else None)
        self.status = widgets.HTML()  # the summary, escaped: scraped terms stay text
        self.status.add_class("corpus-explorer-status")
        self.trend = widgets.Image(format="png")  # an image, not an Output widget: notebook runners mishandle those
        self.titles = {name: widgets.Label() for name in ("collocates", "documents", "lines")}
        for name, title in self.titles.items():
            title.add_class(f"corpus-explorer-{name}")
        self.near = ITable(lengthMenu=[table_rows, 50])
        self.top_documents = ITable(lengthMenu=[table_rows, 50])
        self.lines = ITable(lengthMenu=[table_rows, 50, 200])
        controls = [self.term_box, self.section_box] + ([self.year_slider] if self.year_slider is not None else [])
        self.widget = widgets.VBox([widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap")), self.status, self.trend,
                                    self.titles["collocates"], self.near, self.titles["documents"], self.top_documents,
                                    self.titles["lines"], self.lines])
        for control in controls:
            control.observe(self._changed, names="value")
        self.profile: TermProfile | None = None
        if profile is not None and profile.term == term and profile.n_documents == len(self.rows()):
            self.profile = profile
            self._show(profile)
        else:
            self.select()

    def _changed(self, change) -> None:
        self.select()

    def rows(self) -> np.ndarray:
        """Row positions of the documents the section and year controls choose; the year range at its full span
        chooses undated documents too (as the notebook's static view counts them)."""
        slider = self.year_slider
        years = slider.value if slider is not None and tuple(slider.value) != (slider.min, slider.max) else None
        return document_rows(self.documents, sections=list(self.section_box.value), years=years)

    def select(self, term: str | None = None, *, sections: Sequence[str] | None = None,
               years: tuple[int, int] | None = None) -> TermProfile:
        """Set any of the controls (as a click would) and update every panel; returns what they show."""
        changes = [(self.term_box, term), (self.section_box, None if sections is None else tuple(sections)),
                   (self.year_slider, years)]
        for control, value in changes:
            if control is not None and value is not None and control.value != value:
                control.unobserve(self._changed, names="value")
                control.value = value
                control.observe(self._changed, names="value")
        try:
            profile = term_profile(self.documents, self.stream, self.term_box.value, tokenizer=self.tokenizer,
                                   rows=self.rows(), period=self.period, **self.options)
        except ValueError as exc:  # a term of stop words only, or nothing typed: say so, keep the panels
            self.status.value = f"<p>{html.escape(str(exc), quote=False)}; type a word, a phrase or a formulation token.</p>"
            return self.profile
        self.profile = profile
        self._show(profile)
        return profile

    def _show(self, profile: TermProfile) -> None:
        self.status.value = f"<p>{html.escape(profile.summary(), quote=False)}</p>"
        self.titles["collocates"].value = f"Collocates: {len(profile.collocates)}"
        self.near.update(profile.collocates[COLLOCATE_COLUMNS].round(3))
        self.titles["documents"].value = f"Documents using the term most: {len(profile.documents)} of {profile.n_using:,}"
        self.top_documents.update(profile.documents[DOCUMENT_COLUMNS].astype({"date": "string"}).fillna("").round(3))
        self.titles["lines"].value = f"Concordance: {len(profile.lines):,} line(s)"
        self.lines.update(profile.lines[LINE_COLUMNS].astype({"date": "string"}).fillna(""))
        self.trend.value = _png(trend_figure(profile, period=self.period))
