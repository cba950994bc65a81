"""Figure captions: computed from each figure's data, stored in its PNG and SVG, shown on the run's pages."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from corpus_utils.core.paths import FIGURES_DIR  # noqa: E402
from corpus_utils.report.captions import CAPTIONS, figure_caption, read_caption  # noqa: E402
from corpus_utils.report.figures import save_figure  # noqa: E402

MAIN_JOB_FIGURES = sorted(path.stem for path in FIGURES_DIR.glob("*.png"))


def test_every_figure_of_the_collection_has_a_caption_rule():
    assert MAIN_JOB_FIGURES and set(MAIN_JOB_FIGURES) <= set(CAPTIONS)


@pytest.mark.parametrize("stem", MAIN_JOB_FIGURES)
def test_the_caption_is_computed_from_the_data_and_stored_in_the_figure(stem):
    data = pd.read_csv(FIGURES_DIR / f"{stem}.csv")
    caption = figure_caption(stem, data)
    assert caption and "rows of data" not in caption and "nan" not in caption.lower()
    assert read_caption(FIGURES_DIR / f"{stem}.png") == caption
    assert "<dc:description>" in (FIGURES_DIR / f"{stem}.svg").read_text(encoding="utf-8")


def test_captions_follow_the_numbers():
    ranking = pd.DataFrame({"term": ["two_safeguards", "party"], "count": [30, 10], "per_1000_words": [3.0, 1.0],
                            "documents": [1, 4]})
    assert figure_caption("02_top_unigrams", ranking) == (
        "“two safeguards” leads with 30 occurrences (3.00 per 1,000 words, in 1 document), 3.0× the runner-up “party”.")
    years = pd.DataFrame({"year": [2019, 2020, 2021], "documents": [1, 7, 2]})
    assert figure_caption("01_documents_per_year", years) == "10 dated documents from 2019 to 2021; the most in 2020 (7)."
    silhouettes = pd.DataFrame({"k": [2, 3], "silhouette": [0.41, 0.52], "silhouette_ward": [0.4, 0.3], "n_units": 9, "sampled": False})
    assert figure_caption("04_silhouette", silhouettes) == "The best k-means silhouette is 0.520, at k = 3 (Ward: 0.400 at k = 2)."
    unscored = silhouettes.assign(silhouette=float("nan"), silhouette_ward=float("nan"))  # repeated units: no k scored
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert figure_caption("04_silhouette", unscored) == "No k from 2 to 3 could be scored: the units hold too few distinct points."


def test_empty_or_unknown_data_gets_a_plain_caption():
    assert figure_caption("02_top_unigrams", pd.DataFrame()) == "No data: the figure is empty."
    assert figure_caption("02_top_unigrams", pd.DataFrame({"x": [1, 2]})) == "2 rows of data, in 02_top_unigrams.csv beside the figure."
    assert figure_caption("07_mine", pd.DataFrame({"x": [1]})) == "1 row of data, in 07_mine.csv beside the figure."


def test_scraped_text_in_a_caption_stays_text(tmp_path):
    fig, ax = plt.subplots()
    ax.bar(["a"], [1])
    data = pd.DataFrame({"term": ["<script>alert(1)</script>", "两个维护"], "count": [2, 1], "per_1000_words": [2.0, 1.0],
                         "documents": [1, 1]})
    png, svg, _ = save_figure(fig, "02_top_unigrams", data=data, figures_dir=tmp_path, show=False)
    plt.close(fig)
    assert read_caption(png).startswith("“<script>alert(1)</script>” leads")
    text = svg.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert read_caption(tmp_path / "missing.png") == ""


def _with_text_after_the_pixels(png: bytes, key: str, value: str) -> bytes:
    """``png`` with a tEXt chunk ``key``=``value`` added just before IEND (after the image data)."""
    import struct
    import zlib

    body = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def test_a_caption_before_or_after_the_pixels_is_read(tmp_path):
    fig, ax = plt.subplots()
    ax.bar(["a"], [1])
    png, *_ = save_figure(fig, "09_own", caption="Written by save_figure.", figures_dir=tmp_path, show=False)
    plt.close(fig)
    assert read_caption(png) == "Written by save_figure."
    other = tmp_path / "other.png"  # another tool's file: its text after the image data
    plain = tmp_path / "plain.png"
    from PIL import Image

    Image.new("RGB", (4, 4)).save(plain)
    other.write_bytes(_with_text_after_the_pixels(plain.read_bytes(), "Description", "Added afterwards."))
    assert read_caption(other) == "Added afterwards."
    assert read_caption(plain) == ""


def test_captions_name_ties_and_keep_undated_documents_out_of_the_periods():
    years = pd.DataFrame({"year": [2019, 2020, 2021], "documents": [7, 2, 7]})
    assert figure_caption("01_documents_per_year", years) == (
        "16 dated documents from 2019 to 2021; the most in 2019 (7, tied with 2021).")
    sections = pd.DataFrame({"section": ["(no section)", "Party building", "Clean government"], "documents": [3, 3, 1]})
    assert figure_caption("01_documents_per_section", sections) == (
        "7 documents in 3 sections; the largest, “(no section)”, holds 3 (43%), tied with “Party building”.")
    periods = pd.DataFrame({"period": ["2021", "2022", "undated"], "n_documents": [8, 8, 16], "n_words": [1, 1, 1]})
    assert figure_caption("05_documents_per_period", periods) == (
        "32 documents over 2 periods and 16 undated; the most in 2021 (8, tied with 2022).")


def test_the_length_caption_counts_the_giant_pages_apart():
    lengths = pd.DataFrame({"bin_start": [100.0, 200.0, 300.0], "bin_end": [200.0, 300.0, 90_000.0],
                            "documents": [5, 2, 3], "overflow": [False, False, True]})
    assert figure_caption("01_document_length", lengths) == (
        "10 documents; the most common length is 100–200 words (5 documents); the hatched bar gathers the 3 documents "
        "over 300 words (up to 90,000).")
