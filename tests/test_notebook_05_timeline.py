"""Run notebook 05 through papermill on the theme corpus (plus an undated page) and check what it writes."""

from __future__ import annotations


import pandas as pd

from conftest import execute_notebook, notebook_text
from corpus_utils import read_corpus
from corpus_utils.run.params import notebook_parameters
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.analysis.timeline import term_trends
from corpus_utils.analysis.topics import fit_topics, text_units


def test_topic_defaults_match_notebook_04():
    shared = ("UNIT", "MIN_WORDS", "TOPIC_METHOD", "N_TOPICS", "TOPIC_SAMPLE", "MIN_DF", "MAX_DF", "MERGE_FORMULATIONS", "MT_NORMALISATION")
    defaults_04 = {p.name: p.default for p in notebook_parameters("04_topic_clustering")}
    defaults_05 = {p.name: p.default for p in notebook_parameters("05_timeline")}
    assert {name: defaults_04[name] for name in shared} == {name: defaults_05[name] for name in shared}


def test_timeline_on_theme_corpus(theme_corpus, tmp_path):
    folder, _ = theme_corpus
    (folder / "zzz_undated.txt").write_text("An undated note\n\nThe branch held a meeting on discipline and litigation.\n", encoding="utf-8")
    events = tmp_path / "my_events.csv"
    events.write_text("date,event,kind,note\n2019-05-31,Theme education launched,campaign,test\n2030-01-01,Far future,test,outside the range\n", encoding="utf-8")
    figures = tmp_path / "figures"
    executed = execute_notebook(
        "05_timeline",
        tmp_path / "run",
        CORPUS=str(folder),
        FIGURES_DIR=str(figures),
        PERIOD="quarter",
        TREND_TERMS=["Two Safeguards", "public interest litigation"],
        TOP_TREND_TERMS=2,
        EVENTS=str(events),
        MAX_MARKS=5,
        MIN_WORDS=5,
    )
    for stem in ("05_publication_timeline", "05_documents_per_period", "05_term_trends", "05_topic_prevalence"):
        for suffix in ("png", "svg", "csv"):
            assert (figures / f"{stem}.{suffix}").stat().st_size > 0, f"{stem}.{suffix}"
    per_period = pd.read_csv(figures / "05_documents_per_period.csv", dtype={"period": str})
    assert per_period["period"].iloc[0] == "2018Q1" and per_period["period"].iloc[-1] == "undated"
    assert per_period["n_documents"].iloc[-1] == 1 and per_period["n_documents"].sum() == 13
    timeline = pd.read_csv(figures / "05_publication_timeline.csv")
    assert "n_documents" in timeline.columns and timeline["n_documents"].sum() == 12  # counts mode: 12 > MAX_MARKS
    documents = read_corpus(folder).documents
    trends = pd.read_csv(figures / "05_term_trends.csv", dtype={"period": str})
    assert trends["term"].unique().tolist()[:2] == ["Two Safeguards", "public interest litigation"]
    assert trends["term"].nunique() == 4
    expected = term_trends(documents, ["Two Safeguards"], period="quarter", tokenizer=Tokenizer.from_parameters())
    observed = trends[trends["term"] == "Two Safeguards"]
    assert observed["count"].tolist() == expected["count"].tolist() and observed["count"].sum() > 0
    assert observed["n_documents"].tolist() == expected["n_documents"].tolist()
    prevalence = pd.read_csv(figures / "05_topic_prevalence.csv")
    units = text_units(documents, unit="paragraph", min_words=5)
    model = fit_topics(units["text"], n_topics=6, tokenizer=Tokenizer.from_parameters())
    assert prevalence["label"].drop_duplicates().tolist() == model.labels
    text = notebook_text(executed)
    assert "13 documents: 12 dated, 1 undated." in text and "zzz_undated" in text
    assert "1 event(s) between" in text and "Theme education launched" in text
    assert "12 dated documents are more than MAX_MARKS = 5" in text
