"""The linked explorer: the four panels of a term, computed from the token stream, and the widgets' callbacks."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from corpus_utils.analysis.collocations import collocates
from corpus_utils.analysis.explore import document_rows, explorer_terms, term_profile
from corpus_utils.analysis.findings import term_profile_findings
from corpus_utils.analysis.kwic import kwic
from corpus_utils.analysis.prepare import prepare_corpus
from corpus_utils.analysis.terms import token_stream, token_streams
from corpus_utils.report.html import WIDGET_NOTE, neutralise_active_outputs
from corpus_utils.text.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def seeds():
    prepared = prepare_corpus("seeds")
    stream = token_streams(prepared.documents, [prepared.tokenizer], memo=prepared.memo)[0]
    return prepared.documents, stream, prepared.tokenizer


def test_the_panels_agree_with_the_library(seeds):
    documents, stream, tokenizer = seeds
    profile = term_profile(documents, stream, "two_safeguards", tokenizer=tokenizer, min_count=1, top=1)
    assert profile.n_occurrences == len(kwic(documents, "two_safeguards", limit=None, tokenizer=tokenizer)) == len(profile.lines)
    assert profile.trend["count"].sum() == profile.n_occurrences and profile.trend["n_documents"].sum() == len(documents)
    assert profile.n_using == 2 and len(profile.documents) == 1  # top=1: one row listed, both counted
    assert profile.trend["period"].tolist() == ["2018", "2019", "2020", "2021"]  # empty years kept
    expected = collocates(stream, "two_safeguards", tokenizer=tokenizer, min_count=1, min_documents=1, top=1)
    assert profile.collocates.equals(expected)


def test_a_part_of_the_corpus_gives_what_that_part_alone_gives(seeds):
    documents, stream, tokenizer = seeds
    rows = document_rows(documents, sections=["Party conduct and clean government construction"], years=(2019, 2020))
    assert rows.tolist() == [1, 3]
    part = documents.iloc[rows].reset_index(drop=True)
    alone = term_profile(part, token_stream(part, tokenizer=tokenizer), "party", tokenizer=tokenizer)
    chosen = term_profile(documents, stream, "party", tokenizer=tokenizer, rows=rows)
    assert chosen.n_documents == 2 and chosen.n_occurrences == alone.n_occurrences
    assert chosen.lines.equals(alone.lines) and chosen.collocates.equals(alone.collocates)
    assert chosen.trend.equals(alone.trend)
    assert document_rows(documents, years=(2030, 2031)).size == 0


def test_findings_say_when_the_evidence_is_thin_and_when_renderings_tie(seeds):
    documents, stream, tokenizer = seeds
    text = str(term_profile_findings(term_profile(documents, stream, "two_safeguards", tokenizer=tokenizer)))
    assert "in 2 of 5 documents (40%)" in text and "too few to call it a trend" in text
    assert "tied with “two protections”" in text
    assert str(term_profile_findings(term_profile(documents, stream, "xylophone", tokenizer=tokenizer))) == (
        "- “xylophone” does not occur in the 5 documents analysed.")


def test_the_terms_offered_start_with_the_formulations_the_corpus_uses(seeds):
    _, stream, _ = seeds
    terms = explorer_terms(stream, top=3)
    assert terms[0] == "two_safeguards" and "party" in terms and "warning education" in terms
    assert len(terms) == len(set(terms))


def _table_rows(table) -> list:
    return json.loads(table._dt_args["data_json"])


def test_changing_a_control_updates_every_panel(seeds):
    from corpus_utils.report.explorer import TermExplorer

    documents, stream, tokenizer = seeds
    explorer = TermExplorer(documents, stream, tokenizer, terms=["party", "two_safeguards"], term="two_safeguards", min_count=1)
    assert "'two_safeguards': 5 occurrence(s)" in explorer.status.value and len(_table_rows(explorer.lines)) == 5
    explorer.term_box.value = "warning education"  # as typing in the box does
    assert explorer.profile.term == "warning education" and explorer.profile.n_occurrences == 33
    assert "'warning education': 33 occurrence(s)" in explorer.status.value
    assert len(_table_rows(explorer.lines)) == 33 and {row[4].lower() for row in _table_rows(explorer.lines)} == {"warning education"}
    assert _table_rows(explorer.near)[0][0] == explorer.profile.collocates["collocate"].iat[0] == "special"
    assert explorer.titles["lines"].value == "Concordance: 33 line(s)"
    explorer.section_box.value = ("Party Building",)
    assert explorer.profile.n_documents == 1 and "of 1 documents" in explorer.status.value
    profile = explorer.select("party", sections=[], years=(2020, 2021))
    assert profile.n_documents == 3 and explorer.year_slider.value == (2020, 2021) and explorer.term_box.value == "party"
    assert [row[0] for row in _table_rows(explorer.top_documents)] == profile.documents["label"].tolist()
    before = explorer.profile
    explorer.term_box.value = "the"  # a stop word: nothing to search for
    assert explorer.profile is before and "stop word" in explorer.status.value
    explorer.term_box.value = "<img src=x onerror=alert(1)>"  # typed markup is shown as text
    assert "<img" not in explorer.status.value and "&lt;img" in explorer.status.value



def test_the_explorer_shows_the_profile_already_computed_and_computes_one_for_another_part(seeds, monkeypatch):
    import corpus_utils.report.explorer as explorer_module

    documents, stream, tokenizer = seeds
    static = term_profile(documents, stream, "two_safeguards", tokenizer=tokenizer, min_count=1)
    calls = []
    monkeypatch.setattr(explorer_module, "term_profile", lambda *args, **kwargs: calls.append(args[2]) or term_profile(*args, **kwargs))
    explorer = explorer_module.TermExplorer(documents, stream, tokenizer, terms=["party"], term="two_safeguards",
                                            profile=static, min_count=1)
    assert explorer.profile is static and calls == [] and len(_table_rows(explorer.lines)) == len(static.lines)
    other = explorer_module.TermExplorer(documents, stream, tokenizer, terms=["party"], term="party", profile=static,
                                         min_count=1)  # a profile of another term is not shown as this one
    assert calls == ["party"] and other.profile.term == "party"


def test_the_full_year_range_keeps_undated_documents_and_a_narrower_one_leaves_them_out():
    from corpus_utils.report.explorer import TermExplorer

    documents = pd.DataFrame({"doc_id": ["a", "b", "c"], "title": "t", "section": "s", "n_words": 3,
                              "date": pd.to_datetime(["2020-01-01", "2022-01-01", None]),
                              "body": ["party line", "party work", "party rules"]})
    tokenizer = Tokenizer()
    stream = token_stream(documents, tokenizer=tokenizer)
    static = term_profile(documents, stream, "party", tokenizer=tokenizer, min_count=1)
    explorer = TermExplorer(documents, stream, tokenizer, terms=["party"], term="party", profile=static, min_count=1)
    assert explorer.year_slider.value == (2020, 2022) and explorer.profile is static and static.n_using == 3
    assert explorer.select(years=(2021, 2022)).n_documents == 1
    assert explorer.select(years=(2020, 2022)).n_documents == 3

def test_scraped_markup_stays_text_in_the_tables():
    from corpus_utils.report.explorer import TermExplorer

    documents = pd.DataFrame({"doc_id": ["a", "b"], "title": ["<b>bold</b>", "t"], "section": ["s", "s"],
                              "date": pd.to_datetime(["2020-01-01", None]), "n_words": [6, 3],
                              "body": ["Party <script>alert(1)</script> work of the party", "party line"]})
    tokenizer = Tokenizer()
    explorer = TermExplorer(documents, token_stream(documents, tokenizer=tokenizer), tokenizer, terms=["party"], term="party",
                            min_count=1)
    data = explorer.lines._dt_args["data_json"] + explorer.top_documents._dt_args["data_json"]
    assert "<script>" not in data and "&lt;script&gt;" in data and "<b>" not in data
    assert explorer.year_slider is None  # one dated year: no range to choose


def test_an_exported_page_shows_a_note_where_the_widget_was():
    import nbformat

    cell = nbformat.v4.new_code_cell("explorer.widget")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2, "version_minor": 0},
        "text/plain": "VBox(...)"})]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"x": {"options": ["<script>"]}}}}
    assert neutralise_active_outputs(notebook) == []  # expected, not a warning
    assert "widgets" not in notebook.metadata
    assert cell.outputs[0]["data"] == {"text/plain": WIDGET_NOTE}
