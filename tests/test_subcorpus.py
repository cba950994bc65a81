"""Subcorpus filters: each alone and combined, empty results explained, saved as Parquet and read back, in the runner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from corpus_utils import read_corpus
from corpus_utils.analysis.prepare import prepare_corpus
from corpus_utils.analysis.terms import token_stream
from corpus_utils.input.subcorpus import (EmptySubcorpusError, SubcorpusFilters, save_subcorpus, select_subcorpus,
                                          subcorpus_filters)
from corpus_utils.run.params import ParameterError
from corpus_utils.run.runner import RunError, plan_run

DOCUMENTS = pd.DataFrame({
    "doc_id": ["a", "b", "c", "d", "e", "f"],
    "date": pd.to_datetime(["2020-12-31", "2021-01-01", "2021-07-31", "2021-08-01", None, "2022-03-05"]),
    "section": ["Party Building", "party  building", "Procuratorial work", "Party Building", "Party Building", None],
    "source": ["Daily", "daily", "Weekly", None, "Daily", "Daily"],
    "title": ["Warning education held", "Branch meeting", "Clean government", "WARNING films", "Study", "Oath"],
    "body": ["Cadres studied.", "Three meetings and one lesson.", "Integrity first.", "Cadres studied.", "Xi Jinping said.", "Oath."],
    "duplicate_of": [None, None, None, "a", None, None],
}).astype({"duplicate_of": "string"})


def _kept(**filters) -> list[str]:
    return select_subcorpus(DOCUMENTS, SubcorpusFilters.from_parameters(**filters)).documents["doc_id"].tolist()


@pytest.mark.parametrize(("filters", "expected"), [
    ({"date_from": "2021"}, ["b", "c", "d", "f"]),
    ({"date_to": "2021-07"}, ["a", "b", "c"]),  # a month bound runs to its last day
    ({"date_from": "2021-01-01", "date_to": "2021"}, ["b", "c", "d"]),
    ({"sections": ["PARTY BUILDING"]}, ["a", "b", "d", "e"]),  # any case, spaces collapsed
    ({"sources": ["daily", "Weekly"]}, ["a", "b", "c", "e", "f"]),
    ({"title_pattern": "warning"}, ["a", "d"]),  # any case
    ({"body_pattern": r"xi\s+jinping|three meetings"}, ["b", "e"]),
    ({"exclude_duplicates": True}, ["a", "b", "c", "e", "f"]),
    ({}, ["a", "b", "c", "d", "e", "f"]),
])
def test_each_filter_alone(filters, expected):
    assert _kept(**filters) == expected


def test_filters_combine_and_each_is_credited_with_what_it_left_out():
    chosen = select_subcorpus(DOCUMENTS, SubcorpusFilters.from_parameters(
        date_from="2021", sections=["party building", "Not A Section"], exclude_duplicates=True))
    assert chosen.documents["doc_id"].tolist() == ["b"]
    assert chosen.removed == {"undated": 1, "DATE_FROM/DATE_TO": 1, "SECTIONS": 2, "EXCLUDE_DUPLICATES": 1}
    assert chosen.unknown == {"SECTIONS": ["Not A Section"]}
    assert chosen.note == ("Subcorpus (dated 2021 to …; section 'party building' or 'Not A Section'; no exact duplicates): "
                           "1 of 6 documents kept; left out 1 by undated, 1 by DATE_FROM/DATE_TO, 2 by SECTIONS, "
                           "1 by EXCLUDE_DUPLICATES. SECTIONS: no document has 'Not A Section'.")
    record = chosen.record()
    assert record["documents_before"] == 6 and record["documents_after"] == 1
    assert record["filters"]["SECTIONS"] == ["party building", "Not A Section"] and record["filters"]["EXCLUDE_DUPLICATES"] is True
    json.dumps(record)  # run.json holds it as it is


def test_no_filter_keeps_every_document_and_says_nothing():
    chosen = select_subcorpus(DOCUMENTS)
    assert chosen.documents.equals(DOCUMENTS) and chosen.note == "" and not chosen.filters.active


def test_an_empty_subcorpus_is_explained():
    with pytest.raises(EmptySubcorpusError) as caught:
        select_subcorpus(DOCUMENTS, SubcorpusFilters.from_parameters(date_from="2030", sources=["Nowhere"]))
    message = str(caught.value)
    assert "leave none of the 6 documents" in message and "1 by undated, 5 by DATE_FROM/DATE_TO" in message
    assert "SOURCES: no document has 'Nowhere'" in message and "Widen them" in message


@pytest.mark.parametrize(("parameters", "message"), [
    ({"DATE_FROM": "2021-13"}, "DATE_FROM = '2021-13' is not a date"),
    ({"DATE_TO": "last year"}, "DATE_TO = 'last year' is not a date"),
    ({"DATE_FROM": "2022", "DATE_TO": 2021}, "is after DATE_TO"),
    ({"TITLE_PATTERN": "(unclosed"}, "TITLE_PATTERN = '(unclosed' is not a valid regular expression"),
    ({"BODY_PATTERN": "[a-"}, "BODY_PATTERN = '[a-' is not a valid regular expression"),
])
def test_unreadable_dates_and_patterns_name_the_parameter(parameters, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        subcorpus_filters(parameters)


def test_a_year_given_as_a_number_is_a_year():
    assert subcorpus_filters({"DATE_FROM": 2021, "DATE_TO": 2021}) == SubcorpusFilters(date_from="2021", date_to="2021")


def test_a_saved_subcorpus_loads_back_as_the_same_documents(tmp_path):
    prepared = prepare_corpus("seeds", filters={"DATE_FROM": "2019", "SECTIONS": ["party conduct and clean government construction"]})
    chosen = prepared.documents
    assert len(chosen) == 2 and "Subcorpus (dated 2019 to …" in prepared.summary()
    path = save_subcorpus(chosen, tmp_path / "saved" / "party-conduct.parquet")
    back = read_corpus(path)
    assert back.report.n_loaded == 2 and back.report.n_skipped == 0
    for column in ("doc_id", "title", "date", "section", "body", "n_words", "n_paragraphs"):
        assert back.documents[column].tolist() == chosen[column].tolist(), column
    assert back.documents["origin"].tolist() == chosen["path"].tolist()
    tokenizer = prepared.tokenizer
    assert np.array_equal(token_stream(back.documents, tokenizer=tokenizer).ids, token_stream(chosen, tokenizer=tokenizer).ids)
    with pytest.raises(ValueError, match="saved as a .parquet table"):
        save_subcorpus(chosen, tmp_path / "party.csv")


def test_the_runner_records_the_subcorpus_and_stops_before_running_when_it_is_empty(tmp_path):
    plan = plan_run(corpus="seeds", out=tmp_path / "run", parameters=[("DATE_TO", "2020"), ("EXCLUDE_DUPLICATES", "True")])
    assert plan.subcorpus["documents_before"] == 5 and plan.subcorpus["documents_after"] == 4  # the 2021 page is left out
    assert plan.subcorpus["filters"]["DATE_TO"] == "2020" and plan.subcorpus["removed"]["DATE_FROM/DATE_TO"] == 1
    assert all(notebook.values["DATE_TO"] == 2020 for notebook in plan.notebooks)
    with pytest.raises(RunError, match="leave none of the 5 documents; left out 5 by SECTIONS"):
        plan_run(corpus="seeds", out=tmp_path / "empty", parameters=[("SECTIONS", '["No such section"]')])
    with pytest.raises(ParameterError, match="DATE_FROM = '2021-13' is not a date"):
        plan_run(corpus="seeds", out=tmp_path / "bad", parameters=[("DATE_FROM", "2021-13")])
    assert not (tmp_path / "empty").exists() and not (tmp_path / "bad").exists()


def test_every_notebook_takes_the_filters_and_applies_them_right_after_loading():
    from corpus_utils.core.paths import NOTEBOOKS_DIR
    from corpus_utils.input.subcorpus import FILTER_PARAMETERS
    from corpus_utils.run.params import notebook_parameters

    for path in sorted(NOTEBOOKS_DIR.glob("0*.ipynb")):
        declared = {parameter.name for parameter in notebook_parameters(path)}
        assert set(FILTER_PARAMETERS.values()) <= declared, path.name
        source = "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"])
        assert "filters=PARAMS" in source or "select_subcorpus(corpus.documents, subcorpus_filters(PARAMS))" in source, path.name
