"""Tables shown in notebooks (long tables cut to their first rows, with a note), and the concordance written out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .figures import save_html_table, save_table

__all__ = ["show_table", "save_concordance"]


def show_table(table: pd.DataFrame, what: str, *, max_rows: int, total: int | None = None) -> pd.DataFrame:
    """Print how many rows ``table`` has and return it, or its first ``max_rows`` rows with a note.

    A notebook helper (it prints): the last expression of a cell, so Jupyter displays the returned
    table (pandas escapes every cell, so scraped text shows as text). ``total``: the rows of the whole table
    when ``table`` holds only its first rows (at least ``max_rows`` of them), computed without building it.
    """
    total = len(table) if total is None else int(total)
    if total > max_rows:
        print(f"{what}: showing the first {max_rows} of {total} rows (MAX_TABLE_ROWS).")
        return table.head(max_rows)
    print(f"{what}: {total} row(s).")
    return table


#: How the concordance page lays out its columns: the left context flush right against the match, as AntConc shows it.
CONCORDANCE_STYLES = {"left": "text-align:right;white-space:nowrap", "match": "font-weight:bold;white-space:nowrap",
                      "right": "white-space:nowrap", "start": "text-align:right"}


#: Lines per term that the concordance page holds (the CSV and its Parquet copy hold every line): a page of a million
#: pages' concordance held 1.9 million lines in 966 MB, more than a browser opens.
CONCORDANCE_PAGE_LINES = 20_000


def save_concordance(lines: pd.DataFrame, name: str, *, sorted_by: list[str], figures_dir: str | Path | None = None,
                     page_lines: int = CONCORDANCE_PAGE_LINES) -> tuple[Path, Path]:
    """Write a concordance (:func:`corpus_utils.analysis.kwic.concordance`) as ``<name>.csv`` and ``<name>.html``.

    The CSV goes through :func:`~corpus_utils.report.figures.save_table` (formula-safe) and holds every line; the HTML
    page holds the first ``page_lines`` lines of each term in the concordance's order, escaped, with the left context
    aligned against the match, and says how it is sorted and, when it holds fewer lines than the CSV, how many it
    shows of how many. Returns both paths.
    """
    terms = ", ".join(map(repr, lines["term"].drop_duplicates().tolist())) or "(no term)"
    order = ", ".join(sorted_by) or "document order"
    shown = lines[lines.groupby("term", sort=False).cumcount() < page_lines] if len(lines) > page_lines else lines
    cut = "" if len(shown) == len(lines) else (
        f" This page shows the first {page_lines:,} lines of each term ({len(shown):,} of {len(lines):,}); "
        f"every line is in {Path(name).name}.csv and {Path(name).name}.parquet beside it.")
    note = (f"{len(lines):,} line(s) for {terms} in {lines['doc_id'].nunique():,} document(s); sorted by {order}. "
            f"'start' is the character offset of the match in the document's body.{cut}")
    csv = save_table(lines, name, figures_dir=figures_dir)
    if cut and not csv.with_suffix(".parquet").exists():  # every line for programs, as a long table has
        lines.to_parquet(csv.with_suffix(".parquet"), index=False)
    page = save_html_table(shown, name, title=f"Concordance of {terms}", note=note, column_styles=CONCORDANCE_STYLES,
                           figures_dir=figures_dir)
    return csv, page
