"""Findings are computed from the run's own tables: they change with the data, say when evidence is thin and
quote scraped text as plain text."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from corpus_utils import read_corpus
from corpus_utils.analysis.findings import (
    cluster_findings, formulation_findings, overview_findings, similarity_findings, term_findings, timeline_findings,
)
from corpus_utils.analysis.keyness import keyness, keyness_cautions
from corpus_utils.analysis.terms import frequency_table, ngram_frequency_table, ngram_matrix, token_streams
from corpus_utils.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT
from corpus_utils.text.tokenizer import Tokenizer


@pytest.fixture(scope="module")
def seeds():
    return read_corpus(PROJECT_ROOT / "seeds")


def _term_findings(documents, tokenizer):
    (stream,) = token_streams(documents, [tokenizer])
    unigrams = frequency_table(ngram_matrix(stream), top=20)
    return str(term_findings(unigrams, ngram_frequency_table(stream, 2, top=20), n_documents=len(documents), n_words=6467))


def test_term_findings_follow_the_stop_list(seeds):
    default = _term_findings(seeds.documents, Tokenizer())
    assert "The most frequent term is “party”" in default
    without = _term_findings(seeds.documents, Tokenizer.from_parameters(extra_stop_words=["party"]))
    assert "party" not in without.split("\n")[0] and "The most frequent term is “political”" in without


def test_overview_findings_count_files_dates_and_duplicates(seeds):
    text = str(overview_findings(seeds.documents, seeds.report.files))
    assert "5 file(s) read: 5 document(s) loaded, 0 skipped." in text
    assert "from 2018-08-21 to 2021-09-07" in text
    undated = seeds.documents.assign(date=pd.NaT, duplicate_of=["", None, None, None, None])
    undated.loc[0, "duplicate_of"] = "x"
    text = str(overview_findings(undated, seeds.report.files))
    assert "No document has a date" in text and "1 document(s) repeat an earlier body" in text
    text = str(overview_findings(seeds.documents.iloc[:2], seeds.report.files))  # a subcorpus of the loaded documents
    assert "5 file(s) read: 5 document(s) loaded, 0 skipped." in text and "The rest describes 2 of the 5 documents" in text


def test_timeline_findings_without_dates_and_with_thin_periods():
    per_period = pd.DataFrame({"period": ["undated"], "n_documents": [4]})
    assert str(timeline_findings(per_period, None, None, period="year")) == "- No document has a date, so nothing can be said about time."
    per_period = pd.DataFrame({"period": ["2019", "2020", "2021"], "n_documents": [1, 0, 12]})
    carried = pd.DataFrame({"term": ["a", "b"], "occurrences": [3, 0], "periods_used": [2, 0], "max_documents_in_a_period": [1, 0]})
    leaders = pd.DataFrame({"period": ["2019", "2021"], "label": ["T1", "T2"]})
    text = str(timeline_findings(per_period, carried, leaders, period="year"))
    assert "The busiest year is 2021 with 12 document(s); 2 of 3 year(s)" in text
    assert "1 of those 2 year(s) hold fewer than 5 documents" in text
    assert "Never used in the dated documents: “b”." in text
    assert "No single topic dominates: 2 topics each lead 1 of 2 year(s)." in text


def test_cluster_findings_report_doubt_and_one_big_cluster():
    text = str(cluster_findings(pd.Series({"T1 a": 0.7, "T2 b": 0.3}), k=3, warnings=["flat curve: k = 4 scores within 5%"],
                                agreement=0.2, cluster_sizes=pd.Series([90, 5, 5]), n_units=100, unit="paragraph"))
    assert "The strongest topic is “T1 a”, with 70%" in text
    assert "nearly everything in one group" in text and "(weak agreement)" in text
    assert "The number of clusters is uncertain: flat curve" in text
    confident = str(cluster_findings(pd.Series({"T1": 1.0}), k=2, warnings=[], agreement=0.95,
                                     cluster_sizes=pd.Series([50, 50]), n_units=100, unit="document"))
    assert "The choice of k is clear" in confident and "(strong agreement)" in confident


def test_similarity_findings_name_the_closest_pair_and_ties():
    pairs = pd.DataFrame({"doc_a": ["D1 <b>x</b>", "D2"], "doc_b": ["D3 *y*", "D4"], "similarity": [0.9, 0.9]})
    text = str(similarity_findings(pairs, pd.Series([0.9, 0.9, 0.1]), n_documents=3, n_near_duplicates=2))
    assert "“D1 <b>x</b>” and “D3 *y*” (cosine 0.90)" in text  # scraped text quoted as written, never rendered
    assert "Other pairs tie with it" in text and "2 document(s) have a neighbour at cosine 0.8 or more" in text
    assert "no pair to compare" in str(similarity_findings(pairs.iloc[0:0], pd.Series(dtype=float), n_documents=1, n_near_duplicates=0))


def test_similarity_findings_of_sampled_sources_speak_of_the_sample_and_estimate_the_corpus():
    pairs = pd.DataFrame({"doc_a": ["D1"], "doc_b": ["D9"], "similarity": [0.95]})
    nearest = pd.Series([0.95, 0.85, 0.3, 0.2])  # 4 sampled sources of 1,000 documents, 2 with a close neighbour
    text = str(similarity_findings(pairs, nearest, n_documents=1000, n_near_duplicates=0, n_sources=4))
    assert "The closest pair among the neighbours of 4 sampled documents (of 1,000) is “D1” and “D9”" in text
    assert "The median sampled document's nearest neighbour has cosine 0.57" in text
    assert "2 of the 4 sampled documents (50.0%) have a neighbour at cosine 0.8 or more" in text
    assert "about 500 of all 1,000 at that rate" in text
    unlisted = str(similarity_findings(pairs, nearest, n_documents=1000, n_near_duplicates=123_456, near_duplicates_listed=False))
    assert "At least 123,456 pairs of identical paragraphs are shared across documents" in unlisted
    every = str(similarity_findings(pairs, nearest, n_documents=4, n_near_duplicates=0, n_sources=4))
    assert "sampled" not in every and "2 document(s) have a neighbour at cosine 0.8 or more" in every


def test_keyness_cautions_on_small_groups_and_ties(seeds):
    key_terms = keyness(seeds.documents, "year", "2020", tokenizer=Tokenizer(), min_df=2)
    cautions = keyness_cautions(key_terms)
    assert any("small groups (2 target and 3 reference documents)" in caution and "6.73" in caution for caution in cautions)
    assert any("order is arbitrary" in caution for caution in cautions)
    large = pd.DataFrame({"term": ["a", "b"], "g2": [40.0, 20.0], "n_target": 50, "n_reference": 60, "key_for": "target"})
    assert keyness_cautions(large) == []
    text = str(formulation_findings(pd.DataFrame(columns=["canonical", "label", "documents", "occurrences"]), n_registered=20,
                                    n_documents=3, multi_rendered=0, key_terms=None, target=None, cautions=cautions))
    assert "None of the 20 registered formulations occurs" in text and text.count("Keyness caution") == len(cautions)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")), ids=lambda path: path.stem)
def test_every_notebook_prints_its_findings_as_plain_text(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    heading = next(index for index, cell in enumerate(cells) if "".join(cell["source"]).startswith("## What this run found"))
    findings = cells[heading + 1]
    assert "findings(" in "".join(findings["source"])
    assert findings["outputs"] and all(output["output_type"] == "stream" for output in findings["outputs"])
    assert "What we found" not in "".join("".join(cell["source"]) for cell in cells)


def test_ties_for_the_largest_section_and_the_busiest_year_are_named():
    from corpus_utils.analysis.findings import overview_findings, timeline_findings

    documents = pd.DataFrame({"date": pd.to_datetime(["2021-01-01"] * 3 + ["2022-01-01"] * 3 + [None]),
                              "n_words": [100] * 7, "section": [None, None, None, "Party building", "Party building", "Party building", "Other"],
                              "duplicate_of": [None] * 7})
    text = str(overview_findings(documents, pd.DataFrame({"status": ["loaded"] * 7})))
    assert "the largest, “(no section)”, holds 3 document(s) (43%), tied with “Party building”." in text
    per_period = pd.DataFrame({"period": ["2021", "2022", "undated"], "n_documents": [3, 3, 1]})
    assert "The busiest year is 2021 with 3 document(s), tied with 2022;" in str(timeline_findings(per_period, None, None, period="year"))


def test_the_languages_sentence_holds_for_both_language_settings():
    """01 runs on every document whatever LANGUAGE the later notebooks get: its sentence names both settings."""
    from corpus_utils.analysis.findings import overview_findings

    documents = pd.DataFrame({"date": pd.to_datetime(["2021-01-01"] * 4), "n_words": [100] * 4, "section": ["A"] * 4,
                              "duplicate_of": [None] * 4, "language": ["en", "en", "zh-Hans", "zh-Hans"]})
    text = str(overview_findings(documents, pd.DataFrame({"status": ["loaded"] * 4})))
    assert ('with LANGUAGE = "auto" (the default) notebooks 02–05 analyse one language at a time; with LANGUAGE = "all" '
            "their counts mix the languages.") in text


def test_a_corpus_dated_in_one_period_is_said_to_show_no_change():
    from corpus_utils.analysis.findings import timeline_findings

    per_period = pd.DataFrame({"period": ["2021", "undated"], "n_documents": [25, 3]})
    carried = pd.DataFrame({"term": ["two_safeguards", "warning education"], "occurrences": [25, 0], "periods_used": [1, 0],
                            "max_documents_in_a_period": [25, 0]})
    leaders = pd.DataFrame({"period": ["2021"], "label": ["T1 party"]})
    text = str(timeline_findings(per_period, carried, leaders, period="year"))
    assert ("Every dated document falls in one year, 2021 (25 document(s)): there is no change over time to describe "
            "(a shorter PERIOD than 'year' may show one).") in text
    assert "busiest" not in text and "leading" not in text and "most widely followed" not in text
    assert "Never used in the dated documents: “warning education”." in text
