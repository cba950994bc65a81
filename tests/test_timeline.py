"""Tests for corpus_utils.analysis.timeline: periods, counts with undated documents, term trends, topic prevalence, events."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from corpus_utils.analysis.periods import assign_period, dated_documents, undated_documents
from corpus_utils.analysis.terms import frequency_table
from corpus_utils.analysis.timeline import (
    analyse_terms,
    documents_per_period,
    load_events,
    term_trends,
    topic_prevalence,
)
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.vectorizers import make_vectorizer
from reference import document_term_matrix


def _documents(rows):
    frame = pd.DataFrame(rows, columns=["doc_id", "date", "body"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["n_words"] = frame["body"].str.split().str.len()
    frame["title"] = frame["doc_id"].str.upper()
    frame["date_text"] = frame["date"].dt.strftime("%Y-%m-%d")
    return frame


DOCUMENTS = _documents(
    [
        ("a", "2019-02-10", "The two maintenance must be achieved by every branch of the party today"),
        ("b", "2019-11-30", "Warning education for every cadre and the Two Safeguards again"),
        ("c", "2021-05-01", "Clean government warning education meeting held in the procuratorate"),
        ("d", None, "An undated page about clean government"),
    ]
)


@pytest.mark.parametrize(
    "period, expected",
    [("year", ["2019", "2019", "2021", None]), ("quarter", ["2019Q1", "2019Q4", "2021Q2", None]), ("month", ["2019-02", "2019-11", "2021-05", None])],
)
def test_assign_period(period, expected):
    labels = assign_period(DOCUMENTS["date"], period)
    assert [None if pd.isna(label) else label for label in labels] == expected


def test_documents_per_period_fills_gaps_and_counts_undated():
    table = documents_per_period(DOCUMENTS, period="year")
    assert table["period"].tolist() == ["2019", "2020", "2021", "undated"]
    assert table["n_documents"].tolist() == [2, 0, 1, 1]
    assert table["n_documents"].sum() == len(DOCUMENTS) and table["n_words"].sum() == DOCUMENTS["n_words"].sum()
    assert undated_documents(DOCUMENTS)["doc_id"].tolist() == ["d"]
    with pytest.raises(ValueError, match="period"):
        documents_per_period(DOCUMENTS, period="week")


@pytest.mark.parametrize("dtype", ["string[python]", "string[pyarrow]"])
def test_dated_documents_are_the_rows_with_a_date_with_the_columns_asked_for(dtype):
    documents = DOCUMENTS.astype({"body": dtype, "doc_id": dtype})
    mask = documents["date"].notna()
    pd.testing.assert_frame_equal(dated_documents(documents), documents[mask])
    pd.testing.assert_frame_equal(dated_documents(documents, columns=["doc_id", "date"]), documents.loc[mask, ["doc_id", "date"]])
    with pytest.raises(ValueError, match="include date"):
        dated_documents(documents, columns=["doc_id"])


def test_term_trends_counts_formulations_and_ngrams():
    trends = term_trends(DOCUMENTS, ["Two Safeguards", "warning education"], period="year", tokenizer=Tokenizer.from_parameters())
    assert list(trends.columns) == ["period", "term", "count", "words", "per_1000_words", "n_documents"]
    safeguards = trends[trends["term"] == "Two Safeguards"].set_index("period")
    assert safeguards["count"].tolist() == [2, 0, 0]
    assert safeguards["n_documents"].tolist() == [2, 0, 0]
    assert safeguards.loc["2019", "words"] == DOCUMENTS["n_words"].iloc[:2].sum()
    assert safeguards.loc["2019", "per_1000_words"] == pytest.approx(2000 / safeguards.loc["2019", "words"])
    assert np.isnan(safeguards.loc["2020", "per_1000_words"])
    warning = trends[trends["term"] == "warning education"].set_index("period")
    assert warning["count"].tolist() == [1, 0, 1] and warning["n_documents"].tolist() == [1, 0, 1]


def test_term_trends_top_terms_and_bad_terms():
    trends = term_trends(DOCUMENTS, [], period="year", top_n=4)  # dated documents only; ties alphabetical
    # formulations are merged by default, as in the notebooks: "Two Safeguards" is one token
    assert trends["term"].unique().tolist() == ["education", "every", "two_safeguards", "warning"]
    plain = term_trends(DOCUMENTS, [], period="year", top_n=4, tokenizer=Tokenizer.from_parameters(merge_formulations=False))
    assert plain["term"].unique().tolist() == ["education", "every", "two", "warning"]
    with pytest.raises(ValueError, match="no token left"):
        term_trends(DOCUMENTS, ["the and"], period="year")
    assert analyse_terms(["two_safeguards"]) == {"two_safeguards": ("two_safeguards",)}


def _reference_counts(dated, tokens, tokenizer):
    """Per-document counts of one analysed term with a fixed-vocabulary vectoriser (the simple path)."""
    vectorizer = make_vectorizer(tokenizer=tokenizer, ngram_range=(len(tokens), len(tokens)), dtype=np.int64)
    vectorizer.set_params(vocabulary=[" ".join(tokens)])
    return vectorizer.fit_transform(dated["body"].tolist()).toarray()[:, 0]


def test_term_trends_equal_one_vectoriser_per_term():
    rng = random.Random(7)
    pool = ["party", "members", "the", "two maintenance", "Two Safeguards", "warning", "education", "and",
            "rectification", "hospital", "work", "work", "political", "legal", ".", "clean", "government"]
    rows = [(f"d{i}", None if i % 9 == 0 else f"20{18 + i % 4}-0{1 + i % 9}-15",
             " ".join(rng.choice(pool) for _ in range(rng.randint(0, 40)))) for i in range(60)]
    documents = _documents(rows)
    tokenizer = Tokenizer.from_parameters(mt_normalisation=True)
    terms = ["Two Safeguards", "warning education", "education and rectification", "party members work", "work"]
    trends = term_trends(documents, terms, period="quarter", top_n=3, tokenizer=tokenizer)
    dated = documents[documents["date"].notna()].reset_index(drop=True)
    quarters = assign_period(dated["date"], "quarter").astype(str)
    top = frequency_table(document_term_matrix(dated, tokenizer=tokenizer))["term"]
    followed = terms + [term for term in top if term not in terms][:3]
    assert trends["term"].drop_duplicates().tolist() == followed
    analysed = analyse_terms(followed, tokenizer=tokenizer)
    for term in followed:
        counts = pd.Series(_reference_counts(dated, analysed[term], tokenizer), index=quarters)
        rows_of_term = trends[trends["term"] == term].set_index("period")
        by_period = counts.groupby(level=0).sum().reindex(rows_of_term.index, fill_value=0)
        users = (counts > 0).groupby(level=0).sum().reindex(rows_of_term.index, fill_value=0)
        assert rows_of_term["count"].tolist() == by_period.tolist(), term
        assert rows_of_term["n_documents"].tolist() == users.tolist(), term
    assert trends.loc[trends["term"] == "Two Safeguards", "count"].sum() > 0
    assert trends.loc[trends["term"] == "party members work", "count"].sum() > 0


def test_topic_prevalence_weights_by_words_and_skips_undated():
    units = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "n_words": [30, 10, 10, 10]})
    doc_topic = np.array([[1.0, 0.0], [0.0, 1.0], [0.2, 0.8], [1.0, 0.0]])
    table = topic_prevalence(units, doc_topic, DOCUMENTS, labels=["T1", "T2"], period="year")
    assert table["period"].tolist() == ["2019", "2019", "2020", "2020", "2021", "2021"]
    assert table["share"].round(2).tolist()[:2] == [0.75, 0.25]
    assert table["share"].isna().tolist()[2:4] == [True, True]
    assert table["n_documents"].tolist() == [2, 2, 0, 0, 1, 1]


def test_shipped_events_are_valid_and_sorted():
    events = load_events()
    assert list(events.columns) == ["mark", "date", "event", "kind", "note"]
    assert events["mark"].tolist() == [f"E{number}" for number in range(1, len(events) + 1)]
    assert events["date"].is_monotonic_increasing and events["note"].str.contains("source").all()
    launches = events.set_index("event")["date"].dt.strftime("%Y-%m-%d")
    assert launches["National political-legal team education and rectification launched"] == "2021-02-27"
    assert {"congress", "plenum", "campaign"} <= set(events["kind"])


@pytest.mark.parametrize(
    "content, message",
    [("date,event\n2020-13-01,Bad month\n", "row 2"), ("when,event\n2020-01-01,x\n", "date"), ("date,event\n2020-01-01,\n", "row 2")],
)
def test_load_events_rejects_bad_tables(tmp_path, content, message):
    path = tmp_path / "events.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_events(path)
    with pytest.raises(FileNotFoundError):
        load_events(tmp_path / "missing.csv")
