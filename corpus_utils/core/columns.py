"""The dtype every large text column of the package's tables uses, in one place."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd

__all__ = ["TEXT_DTYPE", "as_str", "text_rows"]

#: Text columns of the documents, paragraphs and report tables (and the units topic models are fitted on): pandas'
#: ``string`` dtype, one Python object per cell, missing values ``pd.NA``. ``"string[pyarrow]"`` (Arrow buffers)
#: halves the documents table (0.30 GB instead of 0.56 GB at 100,000 pages) and the package runs with it (the tests
#: pass, ``as_str`` and ``text_rows`` avoid its traps), but the whole collection then peaked 0.8 GB higher: every
#: ``.tolist()`` of a column makes new Python strings instead of handing out the table's own (docs/benchmarks.md).
TEXT_DTYPE = "string[python]"


def as_str(values: pd.Series) -> pd.Series:
    """``values`` as Python strings (object dtype, same index; missing values as ``"<NA>"``, as ``astype(str)``).

    Use it (``series.pipe(as_str)``) instead of ``series.astype(str)`` on a text column: pandas 2 turns an
    Arrow-backed column into a fixed-width NumPy array as wide as its longest text on the way, which for the
    bodies of 100,000 pages asks for 19 GB.
    """
    return values.astype(object).map(str)


def text_rows(frame: pd.DataFrame, columns: Sequence[str], *, chunk: int = 10_000) -> Iterator[tuple]:
    """The rows of ``frame[columns]`` as tuples of Python values, converted ``chunk`` rows at a time, so that the text
    of an Arrow-backed column is never all held as Python strings at once (a copy of the corpus each time)."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        yield from zip(*(part[column].tolist() for column in columns))
