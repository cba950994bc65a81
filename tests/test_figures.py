"""Tests for corpus_utils.report.figures: scraped text stays text in every figure and every CSV."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
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
