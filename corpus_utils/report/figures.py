"""One way to style and save every figure: PNG and SVG with stable bytes, and the data behind it as CSV."""

from __future__ import annotations

import html
import io
import logging
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.figure import Figure

from ..core.columns import ARROW_TEXT_DTYPE, as_str
from ..core.files import write_whole
from ..core.paths import FIGURES_DIR, PACKAGE_DATA_DIR, resolve_path
from .captions import figure_caption

__all__ = [
    "STYLE", "CJK_FONT", "CJK_FAMILY", "register_cjk_font", "apply_style", "save_figure", "save_table", "save_html_table", "neutralise_formulas", "FORMULA_STARTS", "SPREADSHEET_MAX_ROWS", "figure_stem"]

#: The packaged font for Chinese (a subset of Noto Sans CJK SC, SIL OFL 1.1; see ``data/fonts/OFL.txt``).
CJK_FONT = PACKAGE_DATA_DIR / "fonts" / "CorpusCJKSans-Regular.otf"
#: Its family name: figures fall back to it for every character DejaVu Sans lacks.
CJK_FAMILY = "Corpus CJK Sans"

#: Matplotlib settings used by every notebook: readable at 100 % zoom, deterministic SVG ids.
STYLE: dict[str, object] = {
    # Latin in matplotlib's own DejaVu Sans, Chinese in the packaged font: the same glyphs on every machine
    "font.family": ["DejaVu Sans", CJK_FAMILY],
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "svg.hashsalt": "corpus-notebooks",
    "svg.fonttype": "none",
    "path.simplify": True,
    "image.cmap": "viridis",
    # scraped text is data: "$5 million and $3 million" or a title with "$…$" is drawn as written, never as TeX
    "text.parse_math": False,
}
_NAME = re.compile(r"^\d{2}_[a-z0-9]+(?:_[a-z0-9]+)*$")


def _not_about_cjk_weight(record: logging.LogRecord) -> bool:
    """False for matplotlib's note that a bold title falls back to the regular weight of the packaged CJK font
    (it ships one weight; Latin letters of the title stay bold): expected, so not shown under every figure."""
    message = record.getMessage()
    return not (message.startswith("findfont: Failed to find font weight") and CJK_FAMILY in message)


def register_cjk_font() -> None:
    """Make the packaged Chinese font known to matplotlib (once per process)."""
    from matplotlib import font_manager

    if not any(entry.fname == str(CJK_FONT) for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(CJK_FONT))
        logging.getLogger("matplotlib.font_manager").addFilter(_not_about_cjk_weight)


def apply_style(*, dpi: int | None = None) -> None:
    """Apply :data:`STYLE` to matplotlib's global settings (call once in a notebook's set-up cell).

    Registers the packaged Chinese font (:func:`register_cjk_font`), so titles, labels and ticks in Chinese
    render in every figure. ``dpi`` sets the resolution of saved PNGs (default 110, for screens; 300 for
    print). SVGs are resolution-free and do not change with it.
    """
    register_cjk_font()
    mpl.rcParams.update(STYLE)
    if dpi is not None:
        from ..core.checks import check_whole_number

        check_whole_number(dpi, "dpi", min_val=50)
        mpl.rcParams["savefig.dpi"] = dpi


def figure_stem(name: str) -> str:
    """Check a figure name: ``NN_snake_case`` where NN is the notebook number, e.g. ``02_top_unigrams``."""
    if not _NAME.match(name):
        raise ValueError(f"figure name {name!r} must look like '02_top_unigrams' (notebook number, snake_case)")
    return name


def _tight_bbox(fig: Figure, pad_inches: float):
    """The figure's tight bounding box (inches), computed once so every format reuses it."""
    renderer = fig.canvas.get_renderer()
    with renderer._draw_disabled():
        fig.draw(renderer)
    return fig.get_tightbbox(renderer).padded(pad_inches)


def _in_inline_kernel() -> bool:
    return "inline" in mpl.get_backend().lower()


def _show_saved_png(fig: Figure, png: bytes, caption: str) -> None:
    """Show the saved PNG inline (no second rendering) with its caption under it, and close the figure, in a
    notebook kernel only."""
    from IPython.display import Image, display

    import matplotlib.pyplot as plt

    display(Image(data=png))
    print(caption)
    plt.close(fig)


def save_figure(
    fig: Figure,
    name: str,
    *,
    data: pd.DataFrame | None = None,
    figures_dir: str | Path | None = None,
    formats: tuple[str, ...] = ("png", "svg"),
    show: bool = True,
    caption: str | None = None,
) -> list[Path]:
    """Save ``fig`` as ``<figures_dir>/<name>.png`` and ``.svg``, and ``data`` as ``<name>.csv`` beside them.

    Volatile metadata (creation date, software version) is dropped and SVG ids are salted with a
    fixed string, so a rerun with the same inputs writes byte-identical files. The tight bounding
    box is computed once and shared by every format (one rendering per file). A one-line caption,
    computed from ``data`` (:func:`~corpus_utils.report.captions.figure_caption`), is stored in the PNG and SVG
    (their ``Description``) and shown under the figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        ``NN_snake_case`` (see :func:`figure_stem`).
    data : pandas.DataFrame, optional
        The numbers behind the figure, written with ``index=False``.
    figures_dir : str or Path, optional
        Output folder (relative paths from the repository root); defaults to ``figures/``.
    formats : tuple of str
        File formats; the first PNG is the one shown inline.
    show : bool
        In a notebook kernel (inline backend), display the saved PNG and its caption and close the figure, so
        the notebook shows exactly the file and matplotlib does not render it a third time.
        Elsewhere the figure is left open.
    caption : str, optional
        The caption, when the one computed from ``data`` does not say what matters.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = resolve_path(figures_dir) if figures_dir else FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stem = figure_stem(name)
    caption = caption or figure_caption(stem, data)
    metadata = {"png": {"Software": None, "Description": caption}, "svg": {"Date": None, "Creator": None, "Description": caption},
                "pdf": {"CreationDate": None, "Producer": None, "Subject": caption}}
    written = []
    png_bytes = None
    with mpl.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"], "svg.fonttype": STYLE["svg.fonttype"]}):
        bbox = _tight_bbox(fig, mpl.rcParams["savefig.pad_inches"])
        for fmt in formats:
            target = folder / f"{stem}.{fmt}"
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, metadata=metadata.get(fmt), bbox_inches=bbox)
            write_whole(target, buffer.getvalue())
            if fmt == "png" and png_bytes is None:
                png_bytes = buffer.getvalue()
            written.append(target)
    if data is not None:
        written.append(save_table(data, stem, figures_dir=folder))
    if show and png_bytes is not None and _in_inline_kernel():
        _show_saved_png(fig, png_bytes, caption)
    return written


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``table`` with every text cell that starts like a formula prefixed with ``'`` (Excel and LibreOffice then
    show it as text instead of running it), and how many cells changed. Numbers are left as they are."""
    result = table.copy()
    changed = 0
    for column in result.columns:
        values = result[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        risky = pd.Series(_starts_like_formula(values), index=values.index)
        if risky.any():
            changed += int(risky.sum())
            result[column] = values.astype(object).where(~risky, "'" + values.pipe(as_str))
    return result, changed


def _starts_like_formula(values: pd.Series) -> np.ndarray:
    """Which cells of a text column start with one of :data:`FORMULA_STARTS` (a missing or non-text cell never does).
    A column of pandas' string dtype is tested by its own string kernel: cell by cell, reading Arrow strings one at
    a time, the seven text columns of a concordance of 190,292 lines took 2.7 s, now 0.08 s."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.str.startswith(FORMULA_STARTS).fillna(False).to_numpy(dtype=bool)
    return np.fromiter((isinstance(value, str) and value.startswith(FORMULA_STARTS) for value in values.to_numpy(dtype=object)),
                       dtype=bool, count=len(values))


#: How :func:`save_table` writes a number that is not whole: six significant digits.
FLOAT_FORMAT = "%.6g"


def _floats_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each float64 or float32 column as the text ``to_csv(float_format=FLOAT_FORMAT)`` writes for it
    (missing values empty), formatted in one pass over the column where pandas makes two Python calls per cell: the
    CSV of 1,692,687 multi-word units (100,000 pages) is written in 5.7 s instead of 7.9 s, byte for byte the same."""
    floats = [position for position, dtype in enumerate(table.dtypes)
              if not isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind == "f"]
    if not floats:
        return table
    result = table.copy(deep=False)
    for position in floats:
        values = result.iloc[:, position].to_numpy()
        text = np.array(list(map(FLOAT_FORMAT.__mod__, values.tolist())), dtype=object)
        text[np.isnan(values)] = ""
        result.isetitem(position, text)
    return result


#: Rows of data a spreadsheet opens: Excel and LibreOffice Calc stop at 1,048,576 rows, the header included.
SPREADSHEET_MAX_ROWS = 1_048_575


def save_table(table: pd.DataFrame, name: str, *, figures_dir: str | Path | None = None) -> Path:
    """Write ``table`` as ``<figures_dir>/<name>.csv`` (no index, ``\n`` line ends, 6 significant digits).

    The one writer of every CSV the project writes, so all of them read alike. Scraped text is data: a text
    cell that starts like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) is written with a leading ``'``
    (:func:`neutralise_formulas`), and the raw values then go to ``<name>.parquet`` beside it for programs.
    A table of more than :data:`SPREADSHEET_MAX_ROWS` rows (a concordance or the multi-word units of a large
    corpus) is still written whole, with the same Parquet copy, and in a notebook a line says that a spreadsheet
    shows only its first rows. ``figures_dir`` as in :func:`save_figure`. Returns the CSV's path.
    """
    folder = resolve_path(figures_dir) if figures_dir else FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{figure_stem(name)}.csv"
    safe, changed = neutralise_formulas(table)
    write_whole(target, _floats_as_text(safe).to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT))
    raw = target.with_suffix(".parquet")
    too_long = len(table) > SPREADSHEET_MAX_ROWS
    if changed or too_long:
        table.to_parquet(raw, index=False)
    else:
        raw.unlink(missing_ok=True)  # a raw copy from an earlier run of the same figure no longer applies
    if too_long and _in_inline_kernel():
        print(f"{target.name} holds {len(table):,} rows: a spreadsheet opens only the first {SPREADSHEET_MAX_ROWS:,}. "
              f"Read it whole with pandas (pd.read_csv), or {raw.name} beside it.")
    return target


_PAGE_STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:0.9em}
th,td{border-bottom:1px solid #ddd;padding:0.25em 0.5em;vertical-align:top;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}
tr:nth-child(even) td{background:#fafafa}
@media print{th{position:static}tr{break-inside:avoid}}"""


#: Every page the project writes forbids scripts, plugins and forms, whatever its text holds.
_NO_SCRIPTS = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
               "img-src 'self'\">")


#: What :func:`html.escape` replaces, in its order (``&`` first).
_HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


def _column_cells(values: pd.Series) -> pa.Array:
    """:func:`_cell` of every value of a column, as an Arrow string array: text escaped by Arrow's string kernels, dates
    and whole numbers formatted by pandas, any other column one cell at a time (a concordance of 190,000 lines:
    its page in 1.0 s instead of 2.3 s)."""
    if pd.api.types.is_datetime64_dtype(values):
        return pa.array(values.dt.strftime("%Y-%m-%d").fillna(""), type=pa.large_string())
    if pd.api.types.is_integer_dtype(values) and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        return pa.array(values.astype(str), type=pa.large_string())
    if pd.api.types.is_string_dtype(values) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        cells = pc.fill_null(pa.array(values.astype(ARROW_TEXT_DTYPE), type=pa.large_string()), "")
        for character, entity in _HTML_ESCAPES:
            cells = pc.replace_substring(cells, character, entity)
        return cells
    return pa.array([_cell(value) for value in values], type=pa.large_string())


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return html.escape(str(value))


def save_html_table(
    table: pd.DataFrame,
    name: str,
    *,
    title: str,
    note: str = "",
    column_styles: dict[str, str] | None = None,
    figures_dir: str | Path | None = None,
) -> Path:
    """Write ``table`` as ``<figures_dir>/<name>.html``: one self-contained page that prints cleanly.

    Every cell is escaped (scraped text shows as text, never as markup); the page loads nothing from elsewhere
    and runs no script. ``column_styles`` maps a column to CSS for its cells (``{"left": "text-align:right"}``);
    ``note`` is a paragraph under the title. Dates show as ``YYYY-MM-DD``, missing values as empty cells.
    Returns the page's path.
    """
    folder = resolve_path(figures_dir) if figures_dir else FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{figure_stem(name)}.html"
    styles = column_styles or {}
    columns = list(table.columns)
    cell_styles = [f' style="{html.escape(styles[column])}"' if column in styles else "" for column in columns]
    lines = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', _NO_SCRIPTS, f"<title>{html.escape(title)}</title>",
             f"<style>{_PAGE_STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    if note:
        lines.append(f"<p>{html.escape(note)}</p>")
    lines.append("<table><thead><tr>" + "".join(f"<th>{html.escape(str(column))}</th>" for column in columns) + "</tr></thead><tbody>")
    return write_whole(target, _page_chunks(lines, table, cell_styles, "</tbody></table></body></html>"))


#: Rows of an HTML table turned into text at a time (a concordance of 190,292 lines was 67 MB of page).
_HTML_BLOCK_ROWS = 16_384


def _page_chunks(head: list[str], table: pd.DataFrame, cell_styles: list[str], tail: str) -> Iterator[bytes]:
    """The page's bytes, one block of :data:`_HTML_BLOCK_ROWS` rows at a time after the ``head`` lines, then ``tail``:
    one line each, so that no copy of the whole page is held (190,292 concordance lines, a page of 67 MB: 81 MB
    above the table while it is written, instead of 281 MB when the page was joined whole)."""
    yield ("\n".join(head) + "\n").encode("utf-8")
    if not cell_styles:  # no column: an empty row per row
        yield ("<tr></tr>\n" * len(table)).encode("utf-8")
    else:
        text = partial(pa.scalar, type=pa.large_string())
        for start in range(0, len(table), _HTML_BLOCK_ROWS):
            block = table.iloc[start : start + _HTML_BLOCK_ROWS]
            pieces = [text("<tr>")]
            for column, style in enumerate(cell_styles):
                pieces += [text(f"<td{style}>"), _column_cells(block.iloc[:, column]), text("</td>")]
            rows = pc.binary_join_element_wise(*pieces, text("</tr>\n"), text(""))
            yield "".join(rows.to_pylist()).encode("utf-8")
    yield (tail + "\n").encode("utf-8")
