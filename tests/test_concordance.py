"""The full concordance: every hit, its rendering, AntConc-style sorting, and a safe HTML page."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_utils.analysis.kwic import CONCORDANCE_COLUMNS, concordance, kwic, sort_concordance
from corpus_utils.analysis.prepare import prepare_corpus
from corpus_utils.analysis.terms import token_streams
from corpus_utils.report.figures import save_html_table
from corpus_utils.text.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def seeds():
    prepared = prepare_corpus("seeds")
    stream = token_streams(prepared.documents, [prepared.tokenizer], memo=prepared.memo)[0]
    return prepared.documents, prepared.tokenizer, stream


def _documents(bodies: list[str], dates: list[str | None] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(bodies))], "body": bodies,
                         "date": pd.to_datetime(dates or [None] * len(bodies)), "section": "news", "title": "t"})


def test_every_hit_is_listed_not_the_first_ten(seeds):
    documents, tokenizer, stream = seeds
    table = concordance(documents, ["warning education"], tokenizer=tokenizer, stream=stream)
    assert len(table) == len(kwic(documents, "warning education", limit=None, tokenizer=tokenizer)) > 10
    assert list(table.columns) == list(CONCORDANCE_COLUMNS)
    assert table["date"].notna().all() and table["section"].notna().all()
    assert (table["start"].diff().fillna(1) != 0).all()


def test_a_formulation_is_found_in_every_rendering_and_each_line_names_it(seeds):
    documents, tokenizer, stream = seeds
    table = concordance(documents, ["two_safeguards"], tokenizer=tokenizer, stream=stream)
    assert {"two maintenance", "two protections", "two safeguards"} <= set(table["rendering"])
    for row in table.itertuples():
        body = documents.set_index("doc_id").at[row.doc_id, "body"]
        assert " ".join(body[row.start:].split()).lower().startswith(row.rendering)


def test_the_stream_only_chooses_documents_it_never_changes_the_lines(seeds):
    documents, tokenizer, stream = seeds
    terms = ["two_safeguards", "warning education", "procuratorate"]
    assert concordance(documents, terms, tokenizer=tokenizer, stream=stream).equals(concordance(documents, terms, tokenizer=tokenizer))



def test_only_paragraphs_that_may_hold_the_term_are_tokenised_and_a_bigram_across_a_break_is_still_found():
    # The documents' tokens run on from one paragraph into the next, so "warning education" is counted twice in d0
    # (once across the break); the concordance must list both, and the paragraph without it costs no tokenising.
    bodies = ["Strengthen warning\n\neducation now. Warning education matters.\n\nNothing here.",
              "Two Safeguards first.\n\nThe two maintenance again, with warning education."]
    documents = _documents(bodies)
    tokenizer = Tokenizer()
    stream = token_streams(documents, [tokenizer])[0]
    for term, expected in (("warning education", 3), ("two_safeguards", 2)):
        fast = concordance(documents, [term], tokenizer=tokenizer, stream=stream)
        assert len(fast) == expected
        assert fast.equals(concordance(documents, [term], tokenizer=tokenizer))
    across = concordance(documents, ["warning education"], tokenizer=tokenizer, stream=stream).iloc[0]
    assert across["match"] == "warning education" and across["left"] == "Strengthen" and across["right"].startswith("now.")


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(["a", "bb", " ", "  ", "\n", "\t", "c" * 70, "\u3000", "é"]), max_size=120).map("".join),
       data=st.data(), window=st.integers(0, 9))
def test_context_words_come_from_a_slice_but_equal_splitting_the_whole_text(text, data, window):
    from corpus_utils.analysis.kwic import _words_around

    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    whole_left = " ".join(text[:start].split()[-window:]) if window else ""
    whole_right = " ".join(text[end:].split()[:window]) if window else ""
    assert _words_around(text, start, end, window) == (whole_left, whole_right)

def test_sorting_by_the_first_and_second_word_right_of_the_match():
    documents = _documents(["Cadres study, then Cadres obey rules. Cadres build trust; Cadres build bridges."])
    table = concordance(documents, ["cadres"], tokenizer=Tokenizer(), window=3)
    assert sort_concordance(table, ["1R", "2R"])["right"].str.split().str[:2].str.join(" ").tolist() == [
        "build bridges.", "build trust;", "obey rules.", "study, then"]
    left_sorted = sort_concordance(table, ["1L"])
    assert left_sorted["left"].tolist()[0] == ""  # the first hit has no word on its left: it sorts first
    # second word left of each hit: none, "study", "obey", "build" -> hits 1, 4, 3, 2
    assert sort_concordance(table, ["2L", "1R"])["right"].tolist() == [
        "study, then Cadres", "build bridges.", "build trust; Cadres", "obey rules. Cadres"]


def test_sorting_by_date_puts_undated_lines_last_and_keeps_document_order_on_ties():
    documents = _documents(["Party work.", "Party spirit.", "Party line."], ["2021-05-01", None, "2019-01-01"])
    table = sort_concordance(concordance(documents, ["party"], tokenizer=Tokenizer()), ["date"])
    assert table["doc_id"].tolist() == ["d2", "d0", "d1"]
    with pytest.raises(ValueError, match="unknown concordance sort key"):
        sort_concordance(table, ["3X"])


def test_chinese_context_words_are_characters():
    documents = _documents(["坚持党的领导，加强党的建设。"])
    tokenizer = Tokenizer()
    table = concordance(documents, ["加强"], tokenizer=tokenizer, chars=4)
    assert table["match"].tolist() == ["加强"]
    assert sort_concordance(table, ["1R"]).shape[0] == 1
    from corpus_utils.analysis.kwic import _context_word

    assert _context_word(table["right"].iat[0], 1, from_end=False) == "党"
    assert _context_word(table["left"].iat[0], 1, from_end=True) == "导"


def test_a_term_no_document_holds_gives_an_empty_table_with_every_column(seeds):
    documents, tokenizer, stream = seeds
    table = concordance(documents, ["xylophone"], tokenizer=tokenizer, stream=stream)
    assert table.empty and list(table.columns) == list(CONCORDANCE_COLUMNS)
    assert concordance(documents, [], tokenizer=tokenizer).empty


def test_the_html_page_escapes_scraped_text_and_loads_nothing(tmp_path):
    documents = _documents(['Party <script>alert(1)</script> & "quotes" <img src=https://example.org/x.png>'],
                           ["2020-01-02"])
    table = concordance(documents, ["party"], tokenizer=Tokenizer())
    page = save_html_table(table, "02_concordance", title="Concordance <b>", note="1 < 2",
                           column_styles={"left": "text-align:right"}, figures_dir=tmp_path)
    text = page.read_text(encoding="utf-8")
    assert page.name == "02_concordance.html"
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "2020-01-02" in text
    assert not re.search(r"<[^>]*\b(src|href)=", text)
    assert 'style="text-align:right"' in text


def test_the_page_holds_the_first_lines_of_each_term_and_the_csv_every_line(tmp_path):
    from corpus_utils.report.tables import save_concordance

    documents = _documents(["Party party clean. Party work, clean party.", "The party is clean."], ["2020-01-02", "2021-03-04"])
    lines = sort_concordance(concordance(documents, ["party", "clean"], tokenizer=Tokenizer()), ["1R"])
    counts = lines["term"].value_counts()
    assert counts["party"] == 5 and counts["clean"] == 3
    csv, page = save_concordance(lines, "02_concordance", sorted_by=["1R"], figures_dir=tmp_path, page_lines=2)
    text = page.read_text(encoding="utf-8")
    assert text.count("<tr>") == 1 + 2 + 2  # the header, then the first two lines of each term
    assert "the first 2 lines of each term (4 of 8)" in text and "02_concordance.parquet" in text
    assert len(pd.read_csv(csv)) == 8
    pd.testing.assert_frame_equal(pd.read_parquet(csv.with_suffix(".parquet")), lines.reset_index(drop=True))
    shown = lines[lines.groupby("term", sort=False).cumcount() < 2]
    assert all(f">{start}<" in text for start in shown["start"])  # in the concordance's order
    whole = save_concordance(lines, "02_concordance", sorted_by=["1R"], figures_dir=tmp_path / "whole")[1]
    assert whole.read_text(encoding="utf-8").count("<tr>") == 1 + 8 and "This page shows" not in whole.read_text(encoding="utf-8")
