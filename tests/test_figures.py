"""Tests for corpus_utils.report.figures: scraped text stays text in every figure and every CSV."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from corpus_utils.report.figures import apply_style, neutralise_formulas, save_figure, save_table


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():
        apply_style()
        yield
    plt.close("all")


@pytest.mark.parametrize("title", ["$5 million and $3 million", "Budget: $x^{2$ in total", "$\\frac{1}{0$ bad TeX"])
def test_scraped_text_with_dollars_is_drawn_as_written(tmp_path, title):
    fig, ax = plt.subplots()
    ax.barh([title, "plain"], [1, 2])
    ax.set_title(title)
    written = save_figure(fig, "01_dollars", figures_dir=tmp_path)  # mathtext would raise on the broken TeX
    svg = (tmp_path / "01_dollars.svg").read_text(encoding="utf-8")
    assert title.replace("&", "&amp;").replace("<", "&lt;") in svg
    assert {path.suffix for path in written} == {".png", ".svg"}


def test_formula_cells_are_neutralised_in_csv_and_kept_raw_in_parquet(tmp_path):
    table = pd.DataFrame({
        "title": ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tindent", "plain", None],
        "section": pd.array(["=cmd", "ok", "ok", "ok", "ok", "ok", pd.NA], dtype="string"),
        "value": [-1.5, 2, 3, 4, 5, 6, 7],
    })
    safe, changed = neutralise_formulas(table)
    assert changed == 6
    assert safe["title"].tolist()[:6] == ["'=HYPERLINK(\"http://x\")", "'+1+2", "'-2+3", "'@SUM(A1)", "'\tindent", "plain"]
    assert safe["section"].iloc[0] == "'=cmd" and pd.isna(safe["section"].iloc[6])
    assert safe["value"].tolist() == table["value"].tolist()  # numbers are numbers
    csv = save_table(table, "06_titles", figures_dir=tmp_path)
    lines = csv.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[2].startswith("'+1+2")
    assert pd.read_parquet(tmp_path / "06_titles.parquet")["title"].iloc[0] == "=HYPERLINK(\"http://x\")"
    save_table(table.iloc[5:], "06_titles", figures_dir=tmp_path)  # nothing to neutralise: no stale raw copy
    assert not (tmp_path / "06_titles.parquet").exists()


def test_a_table_without_formulas_is_written_unchanged(tmp_path):
    table = pd.DataFrame({"term": ["party", "two_safeguards"], "count": [3, 1], "share": [0.123456789, 1.0]})
    csv = save_table(table, "02_terms", figures_dir=tmp_path)
    assert csv.read_text(encoding="utf-8") == "term,count,share\nparty,3,0.123457\ntwo_safeguards,1,1\n"
    assert not (tmp_path / "02_terms.parquet").exists()


def test_dpi_sets_the_resolution_of_saved_pngs(tmp_path):
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from PIL import Image

    from corpus_utils.report.figures import STYLE, apply_style, save_figure

    sizes = {}
    for dpi in (110, 300):
        apply_style(dpi=dpi)
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1], [0, 1])
        png = save_figure(fig, "02_dpi", figures_dir=tmp_path / str(dpi), show=False)[0]
        sizes[dpi] = Image.open(png).size
        plt.close(fig)
    apply_style()
    assert mpl.rcParams["savefig.dpi"] == STYLE["savefig.dpi"]
    assert 2.5 < sizes[300][0] / sizes[110][0] < 2.9
    assert (tmp_path / "110" / "02_dpi.svg").read_bytes() == (tmp_path / "300" / "02_dpi.svg").read_bytes()


def test_chinese_renders_with_the_packaged_font_and_no_missing_glyph(tmp_path):
    import warnings

    import matplotlib.pyplot as plt

    from corpus_utils.report.figures import CJK_FONT, apply_style, save_figure

    assert CJK_FONT.stat().st_size > 1_000_000 and (CJK_FONT.parent / "OFL.txt").is_file()
    apply_style()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for every box it draws
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.set_title("两个维护 · 當前位置：首頁 » 黨風廉政 · “四个意识”，（全面从严治党）")
        ax.set_xlabel("Two Safeguards (两个维护)")
        written = save_figure(fig, "14_chinese", figures_dir=tmp_path, show=False)
        plt.close(fig)
    assert "两个维护" in (tmp_path / "14_chinese.svg").read_text(encoding="utf-8") and written[0].stat().st_size > 0


def test_figure_files_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    # A reader (another notebook, a spreadsheet) never sees half a PNG, SVG or CSV, and a write that fails half
    # way (a full disk) keeps the earlier complete file and leaves no temporary file.
    import pathlib

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set(title="t", xlabel="x", ylabel="y")
    first = {path.name: path.read_bytes() for path in save_figure(fig, "09_whole", data=pd.DataFrame({"x": [0, 1]}),
                                                                  figures_dir=tmp_path, show=False)}
    assert set(first) == {"09_whole.png", "09_whole.svg", "09_whole.csv"}
    ax.set_title("changed")
    write_bytes = pathlib.Path.write_bytes

    def disk_full_half_way(self, data):
        write_bytes(self, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_bytes", disk_full_half_way)
    with pytest.raises(OSError, match="No space"):
        save_figure(fig, "09_whole", data=pd.DataFrame({"x": [5, 6]}), figures_dir=tmp_path, show=False)
    monkeypatch.undo()
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == first
    plt.close(fig)


def _page_cell_by_cell(table: pd.DataFrame, styles: dict[str, str]) -> list[str]:
    """The table rows of a page as the writer made them before it was vectorised: one escaped cell at a time."""
    import html

    from corpus_utils.report.figures import _cell

    cell_styles = [f' style="{html.escape(styles[column])}"' if column in styles else "" for column in table.columns]
    return ["<tr>" + "".join(f"<td{style}>{_cell(value)}</td>" for style, value in zip(cell_styles, row)) + "</tr>"
            for row in table.itertuples(index=False, name=None)]


def test_html_table_rows_are_those_of_one_escaped_cell_at_a_time(tmp_path, monkeypatch):
    """Text (Python or Arrow strings, or objects), dates with NaT, whole numbers, floats, booleans, categories and
    mixed columns, with markup, quotes, ampersands, Chinese and missing values, written in blocks of four rows: the
    same rows as cell by cell."""
    from corpus_utils.report import figures as figures_module
    from corpus_utils.report.figures import save_html_table

    monkeypatch.setattr(figures_module, "_HTML_BLOCK_ROWS", 4)

    texts = ['<b>"Two" & \'Safeguards\'</b>', "检察院 & <script>", "", None, "plain", "a>b<c"]
    table = pd.DataFrame({
        "text": pd.array(texts, dtype="string"),
        "arrow": pd.array(texts, dtype="string[pyarrow]"),
        "objects": pd.Series(texts, dtype=object),
        "date": pd.to_datetime(["2020-01-02", None, "2021-12-31", "2019-05-06", None, "2024-02-29"]),
        "start": [0, 15, -3, 2**40, 7, 8],
        "share": [0.5, float("nan"), 1e-9, 2.0, -0.25, 3.14159],
        "nullable": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "flag": [True, False, True, False, True, False],
        "section": pd.Categorical(["a&b", "c", None, "a&b", "<d>", "c"]),
        "mixed": pd.Series(["x<y", 3, None, 2.5, pd.NA, "q"], dtype=object),
        "all_missing": pd.array([None] * 6, dtype="string"),
    })
    styles = {"text": "text-align:right", "start": 'font-weight:"bold"'}
    page = save_html_table(table, "02_cells", title="Cells", column_styles=styles, figures_dir=tmp_path)
    written = page.read_text(encoding="utf-8").splitlines()
    rows = [line for line in written if line.startswith("<tr><td")]
    assert rows == _page_cell_by_cell(table, styles)
    assert "<b>" not in page.read_text(encoding="utf-8") and "<script>" not in page.read_text(encoding="utf-8")
    empty = save_html_table(table.iloc[:0], "02_empty", title="Empty", figures_dir=tmp_path).read_text(encoding="utf-8")
    assert "<tbody>\n</tbody>" in empty
    no_columns = save_html_table(table[[]], "02_bare", title="Bare", figures_dir=tmp_path).read_text(encoding="utf-8")
    assert "<tbody>\n" + "<tr></tr>\n" * 6 + "</tbody>" in no_columns


def test_formula_cells_are_found_alike_in_every_kind_of_text_column():
    starts = ["=1+1", "+x", "-y", "@z", "\tt", "\rr", "ok", "", None, "a=b"]
    expected = [True, True, True, True, True, True, False, False, False, False]
    for values in (pd.array(starts, dtype="string"), pd.array(starts, dtype="string[pyarrow]"), pd.Series(starts, dtype=object),
                   pd.Series([*starts[:-1], 5], dtype=object)):
        table = pd.DataFrame({"cell": values})
        safe, changed = neutralise_formulas(table)
        assert changed == 6
        assert [str(value).startswith("'") for value in safe["cell"]] == expected[: len(table)]


def test_numbers_are_written_as_pandas_writes_them_with_six_significant_digits(tmp_path):
    rng = np.random.default_rng(7)
    wide = rng.standard_normal(400) * 10.0 ** rng.integers(-9, 9, 400)
    wide[::17], wide[::19], wide[::23], wide[::29] = np.nan, np.inf, -0.0, 3.0
    table = pd.DataFrame({
        "wide": wide, "single": wide.astype(np.float32), "whole": np.arange(400),
        "edges": np.resize([0.5, 1e-5, 1e16, 999999.5, 9999995.0, -1e-300, 5e-324, 123456.5, np.nan, -np.inf], 400),
        "nullable": pd.array(np.resize([1.25, None, 1e-7], 400), dtype="Float64"),
        "text": np.resize(["a", "b,c", None, "say \"hi\""], 400),
        "when": pd.date_range("2021-01-01", periods=400, freq="D"),
    })
    table.insert(1, "wide", wide * 3, allow_duplicates=True)  # two columns of one name are written as they are
    expected = table.to_csv(index=False, lineterminator="\n", float_format="%.6g")
    assert save_table(table, "02_numbers", figures_dir=tmp_path).read_text(encoding="utf-8") == expected
    assert "1e+16" in expected and ",inf," in expected and ",-0," in expected  # the edges are in the comparison


def test_a_table_longer_than_a_spreadsheet_opens_is_written_whole_and_said(tmp_path, monkeypatch, capsys):
    from corpus_utils.report import figures

    monkeypatch.setattr(figures, "SPREADSHEET_MAX_ROWS", 5)
    monkeypatch.setattr(figures, "_in_inline_kernel", lambda: True)
    table = pd.DataFrame({"unit": [f"unit {index}" for index in range(6)], "z": np.linspace(0, 1, 6)})
    csv = save_table(table, "02_units", figures_dir=tmp_path)
    assert len(csv.read_text(encoding="utf-8").splitlines()) == 7  # every row, and the header
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "02_units.parquet"), table)
    assert "02_units.csv holds 6 rows: a spreadsheet opens only the first 5." in capsys.readouterr().out
    save_table(table.head(5), "02_units", figures_dir=tmp_path)  # short again: no copy, nothing said
    assert not (tmp_path / "02_units.parquet").exists() and capsys.readouterr().out == ""
