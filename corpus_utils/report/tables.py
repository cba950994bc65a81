"""Tables shown in notebooks: long tables cut to their first rows, with a note saying what was left out."""

from __future__ import annotations

import pandas as pd

__all__ = ["show_table"]


def show_table(table: pd.DataFrame, what: str, *, max_rows: int) -> pd.DataFrame:
    """Print how many rows ``table`` has and return it, or its first ``max_rows`` rows with a note.

    A notebook helper (it prints): the last expression of a cell, so Jupyter displays the returned
    table (pandas escapes every cell, so scraped text shows as text).
    """
    if len(table) > max_rows:
        print(f"{what}: showing the first {max_rows} of {len(table)} rows (MAX_TABLE_ROWS).")
        return table.head(max_rows)
    print(f"{what}: {len(table)} row(s).")
    return table
