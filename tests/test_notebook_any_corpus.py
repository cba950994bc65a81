"""The whole collection on corpora that are not the seeds: every notebook completes, says what it cannot do,
and its clustering holds against known classes."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from conftest import notebook_text
from corpus_utils import read_corpus
from corpus_utils.core.paths import SEEDS_DIR
from corpus_utils.run.cli import EXIT_OK, main
from tests.labelled import write_labelled_news


def _run(corpus, out, *parameters: str) -> dict:
    arguments = ["run", "--corpus", str(corpus), "--out", str(out), "--no-progress", "--jobs", "2"]
    for pair in parameters:
        name, value = pair.split("=", 1)
        arguments += ["-p", name, value]
    assert main(arguments) == EXIT_OK
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    statuses = {entry["name"]: entry["status"] for entry in record["notebooks"]}
    assert set(statuses.values()) == {"succeeded"} and len(statuses) >= 6, statuses
    return record


def _printed(out, name: str) -> str:
    return notebook_text(out / "notebooks" / f"{name}.ipynb")


@pytest.fixture(scope="module")
def news_run(tmp_path_factory):
    """An undated table without a single registered formulation, in five known classes, clustered as documents."""
    folder = tmp_path_factory.mktemp("news")
    table = write_labelled_news(folder / "news.csv", 300, seed=3)
    out = folder / "run"
    _run(folder / "news.csv", out, "UNIT=document", "MIN_WORDS=5")
    return table, out


def test_undated_formulation_free_corpus_completes_and_says_why(news_run):
    table, out = news_run
    assert "No document has a date, so nothing can be said about time." in _printed(out, "05_timeline")
    assert _printed(out, "05_timeline").count("Skipped: no document has a date.") >= 5
    assert "None of the 20 registered formulations occurs" in _printed(out, "06_formulations")
    terms = _printed(out, "02_term_frequency")
    assert "KWIC_TERMS: none of 'two_safeguards', 'warning education' occurs in this corpus" in terms
    assert "DISPERSION_TERMS: 'party', 'procuratorate' do(es) not occur" in terms or "DISPERSION_TERMS: none of" in terms


def test_document_clusters_recover_the_known_classes(news_run):
    table, out = news_run
    points = pd.read_csv(out / "figures" / "04_cluster_map.csv", dtype={"doc_id": str})
    labels = read_corpus(out.parent / "news.csv").documents.set_index("doc_id")["label"]
    truth = labels[points["doc_id"]].to_numpy()
    for method in ("kmeans", "ward"):
        assert normalized_mutual_info_score(truth, points[method]) >= 0.87, method
    assert abs(points["kmeans"].nunique() - table["label"].nunique()) <= 1
    findings = _printed(out, "04_topic_clustering")
    assert "k-means and Ward clustering agree" in findings


def test_one_document_corpus_completes(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    first = sorted(SEEDS_DIR.glob("*.txt"))[0]
    shutil.copy(first, folder / first.name)
    out = tmp_path / "run"
    _run(folder, out)
    assert "With 1 document(s) there is no pair to compare." in _printed(out, "03_tfidf_similarity")
    assert "1 'year' group(s): nothing to compare, keyness skipped." in _printed(out, "06_formulations")


#: Documents using each formulation in seeds_zh/, counted by hand from the four pages.
ZH_DOCUMENTS = {"two_safeguards": 4, "four_consciousnesses": 3, "four_confidences": 2, "three_meetings_one_lesson": 2,
                "never_forget_original_intention": 1, "one_post_two_responsibilities": 1, "head_goose_effect": 1,
                "two_establishments": 1}


@pytest.mark.parametrize("mixed", [False, True], ids=["chinese", "mixed"])
def test_chinese_and_mixed_corpora_count_formulations_across_languages(tmp_path, mixed):
    from corpus_utils.core.paths import PROJECT_ROOT

    folder = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "seeds_zh", folder)
    if mixed:
        for page in SEEDS_DIR.glob("*.txt"):
            shutil.copy(page, folder / page.name)
    out = tmp_path / "run"
    record = _run(folder, out)
    counted = pd.read_csv(out / "figures" / "06_formulation_documents.csv").set_index("canonical")["documents"]
    english = pd.read_csv(PROJECT_ROOT / "figures" / "06_formulation_documents.csv").set_index("canonical")["documents"]
    for canonical, documents in ZH_DOCUMENTS.items():
        expected = documents + (int(english.get(canonical, 0)) if mixed else 0)
        assert counted.get(canonical, 0) == expected, canonical
    overview = _printed(out, "01_corpus_overview")
    assert "4 file(s)" in overview or "9 file(s)" in overview
    if not mixed:
        assert record["languages"] == []
        return
    # each language analysed on its own: notebooks 02-05 once per language, figures in figures/<language>/
    assert record["languages"] == ["en", "zh"]
    names = {entry["name"] for entry in record["notebooks"]}
    assert {"02_term_frequency.en", "02_term_frequency.zh", "05_timeline.zh", "01_corpus_overview", "06_formulations"} <= names
    chinese_terms = pd.read_csv(out / "figures" / "zh" / "02_top_unigrams.csv")["term"].astype(str)
    english_terms = pd.read_csv(out / "figures" / "en" / "02_top_unigrams.csv")["term"].astype(str)
    assert chinese_terms.str.contains(r"[\u4e00-\u9fff]").any() and not english_terms.str.contains(r"[\u4e00-\u9fff]").any()
    assert "Language: zh (as LANGUAGE asks), 4 of 9 documents" in _printed(out, "02_term_frequency.zh")
    by_language = pd.read_csv(out / "figures" / "06_formulations_by_language.csv").set_index(["canonical", "language"])
    assert by_language.loc[("two_safeguards", "zh"), "documents"] == ZH_DOCUMENTS["two_safeguards"]
    assert by_language.loc[("two_safeguards", "en"), "documents"] == english["two_safeguards"]
    assert (out / "figures" / "06_formulation_shares_by_language.png").is_file()
    assert "The languages differ most on" in _printed(out, "06_formulations")


def test_a_corpus_of_one_template_completes_the_topics_and_says_what_was_relaxed(tmp_path):
    """Every page repeats the same words: MAX_DF leaves no term, so 04 and 05 model with MAX_DF = 1.0 and say so."""
    rows = [{"title": f"Notice {index}", "date": f"2021-0{1 + index % 9}-0{1 + index % 7}",
             "body": "Strict discipline and the two safeguards. " * (3 + index % 5)} for index in range(40)]
    pd.DataFrame(rows).to_json(tmp_path / "notices.jsonl", orient="records", lines=True)
    out = tmp_path / "run"
    assert main(["run", "--corpus", str(tmp_path / "notices.jsonl"), "--out", str(out), "--no-progress", "--jobs", "2",
                 "--only", "04,05", "-p", "MIN_WORDS", "5"]) == EXIT_OK
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    statuses = {entry["name"]: entry["status"] for entry in record["notebooks"] if entry["status"] != "not run"}
    assert statuses == {"04_topic_clustering": "succeeded", "05_timeline": "succeeded"}
    for name in ("04_topic_clustering", "05_timeline"):
        assert "MAX_DF = 0.9 left no term: every term occurs in more than that share of the units" in _printed(out, name)
