"""Tests for corpus_utils.analysis.overview: document table, counts by section/layout/year, lengths, report counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corpus_utils import read_corpus
from corpus_utils.analysis.overview import (
    MISSING_LABEL,
    count_by,
    documents_overview,
    documents_per_year,
    length_histogram,
    length_summary,
    report_counts,
)
from corpus_utils.analysis.labels import NO_SECTION
from corpus_utils.analysis.periods import undated_documents


@pytest.fixture
def documents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "date": pd.to_datetime(["2019-03-01", None, "2021-12-31", "2019-07-07"]),
            "date_text": ["2019-03-01", "someday", None, "2019-07-07"],
            "section": ["Party building", None, "Party building", "Work"],
            "layout": pd.Categorical(["procuratorate", "plain", "repost", "procuratorate"]),
            "title": ["A", "B", "C", "D"],
            "n_words": [100, 10, 300, 50],
            "n_paragraphs": [2, 1, 5, 1],
            "duplicate_of": pd.array([None, None, None, "a"], dtype="string"),
        }
    )


def test_documents_overview_columns_and_dates(documents):
    table = documents_overview(documents)
    assert list(table.columns) == ["doc_id", "date", "section", "title", "words", "paragraphs", "duplicate_of"]
    assert table["date"].tolist()[0] == "2019-03-01" and pd.isna(table["date"].iat[1])
    assert table["words"].tolist() == [100, 10, 300, 50]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("section", [("Party building", 2), (NO_SECTION, 1), ("Work", 1)]),
        ("layout", [("procuratorate", 2), ("plain", 1), ("repost", 1)]),
    ],
)
def test_count_by_keeps_missing_values(documents, column, expected):
    table = count_by(documents, column)
    assert list(table.columns) == [column, "documents"]
    assert list(table.itertuples(index=False, name=None)) == expected


def test_documents_per_year_fills_gaps_and_lists_undated(documents):
    years = documents_per_year(documents)
    assert years.values.tolist() == [[2019, 2], [2020, 0], [2021, 1]]
    undated = undated_documents(documents)
    assert undated.values.tolist() == [["b", "someday", "B"]]
    assert documents_per_year(documents.assign(date=pd.NaT)).empty


def test_length_histogram_and_summary(documents):
    bins = length_histogram(documents, bins=2)
    assert bins["documents"].tolist() == [3, 1]
    np.testing.assert_allclose(bins[["bin_start", "bin_end"]].to_numpy(), [[10, 155], [155, 300]])
    summary = length_summary(documents).set_index("measure")["value"]
    assert summary["documents"] == 4 and summary["exact duplicates (flagged, kept)"] == 1
    assert summary["undated documents"] == 1 and summary["total words"] == 460
    assert summary["median words per document"] == 75 and summary["mean words per document"] == 115
    with pytest.raises(ValueError, match="bins"):
        length_histogram(documents, bins=0)


def test_report_counts_on_a_corpus_with_a_skipped_file(tmp_path):
    (tmp_path / "a.txt").write_text("Some title\n\nA plain page without a date.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    corpus = read_corpus(tmp_path)
    table = report_counts(corpus.report.files)
    assert table.values.tolist() == [["loaded", "plain", 1, 1], ["skipped", MISSING_LABEL, 1, 0]]


def test_missing_column_is_named(documents):
    with pytest.raises(ValueError, match="n_words"):
        length_summary(documents.drop(columns="n_words"))


def test_documents_without_a_section_go_by_one_name_in_counts_findings_and_rate_grids():
    """01's bar of sections, the summary's sentence about them and 02's heatmap rows by section name the documents
    without a section the same way, so a reader can match the sentence to the figure."""
    from corpus_utils.analysis.findings import overview_findings
    from corpus_utils.analysis.terms import ngram_matrix, rate_grid, token_stream

    bodies = ["The branch held a meeting on discipline.", "Discipline education for every branch.",
              "A lesson on the two safeguards.", "Weather: rain in the north."]
    documents = pd.DataFrame({"doc_id": list("abcd"), "title": list("ABCD"), "body": bodies,
                              "section": [None, None, None, "Work"], "date": pd.NaT, "n_words": [7, 5, 6, 5],
                              "duplicate_of": pd.array([None] * 4, dtype="string")})
    files = pd.DataFrame({"status": ["loaded"] * 4})
    assert count_by(documents, "section").iloc[0].tolist() == [NO_SECTION, 3]
    assert f"the largest, “{NO_SECTION}”, holds 3" in str(overview_findings(documents, files))
    grid, by_section = rate_grid(ngram_matrix(token_stream(documents)), ["branch", "discipline"], documents, max_rows=2)
    assert by_section and grid.index.tolist() == [NO_SECTION, "Work"]


def test_a_few_giant_pages_get_a_bar_of_their_own():
    rng = np.random.default_rng(1)
    words = np.r_[rng.integers(200, 900, 300), 40_000, 55_000, 180_000]
    lengths = length_histogram(pd.DataFrame({"n_words": words}), bins=10)
    regular, longest = lengths[~lengths["overflow"]], lengths[lengths["overflow"]]
    assert len(regular) == 10 and len(longest) == 1 and lengths["documents"].sum() == len(words)
    cap = np.quantile(words, 0.99)
    assert longest["bin_start"].item() == cap and longest["bin_end"].item() == 180_000
    assert longest["documents"].item() == int((words > cap).sum()) and regular["bin_end"].max() == cap
    even = length_histogram(pd.DataFrame({"n_words": words[:300]}), bins=10)  # no giant page: equal bins to the longest
    assert not even["overflow"].any() and even["bin_end"].max() == words[:300].max()
