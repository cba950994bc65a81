"""Notebook 06 run through papermill on the theme corpus with other parameters; assertions on what it writes."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import execute_notebook, notebook_text


def _documents_containing(folder: Path, phrase: str) -> int:
    pattern = re.compile(phrase, re.I)
    return sum(bool(pattern.search(path.read_text(encoding="utf-8"))) for path in sorted(folder.glob("*.txt")))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, Path, Path]:
    from conftest import build_theme_corpus

    base = tmp_path_factory.mktemp("nb06")
    corpus = base / "theme_corpus"
    build_theme_corpus(corpus)
    registry = base / "my_registry.csv"
    registry.write_text(
        "canonical,label,chinese,variants,note\nwarning_films,Warning films,,warning film|warning movies,a test entry\n",
        encoding="utf-8",
    )
    figures = base / "figures"
    notebook = execute_notebook(
        "06_formulations",
        base / "out",
        CORPUS=str(corpus),
        FIGURES_DIR=str(figures),
        REGISTRY=str(registry),
        KEYNESS_BY="section",
        KEYNESS_TARGET="Party building",
        TOP_N=6,
        MAX_HEATMAP_DOCUMENTS=5,
        MT_NORMALISATION=True,
    )
    return corpus, figures, notebook


def test_formulation_counts_match_the_texts(run):
    corpus, figures, _ = run
    table = pd.read_csv(figures / "06_formulation_documents.csv").set_index("canonical")
    expected = {
        "two_safeguards": _documents_containing(corpus, r"two safeguards"),
        "four_consciousnesses": _documents_containing(corpus, r"four consciousness"),
        "three_meetings_one_lesson": _documents_containing(corpus, r"three meetings and one lesson"),
        "warning_films": _documents_containing(corpus, r"warning films"),  # the user's registry row, merged
    }
    assert all(count > 0 for count in expected.values())
    for canonical, count in expected.items():
        assert table.loc[canonical, "documents"] == count, canonical
    assert len(table) <= 6


def test_period_and_cooccurrence_tables(run):
    _, figures, _ = run
    by_year = pd.read_csv(figures / "06_formulations_by_year.csv", dtype={"period": str})
    assert set(by_year["period"]) <= {"2018", "2019", "2020", "2021", "2022"}
    assert (by_year["share"] <= 1).all() and (by_year["documents"] <= by_year["documents_in_period"]).all()
    matrix = pd.read_csv(figures / "06_formulation_cooccurrence.csv").set_index("canonical")
    assert (matrix.values == matrix.values.T).all()
    documents = pd.read_csv(figures / "06_formulation_documents.csv").set_index("canonical")["documents"]
    for canonical in matrix.index:
        assert matrix.loc[canonical, canonical] == documents[canonical]


def test_keyness_by_section(run):
    _, figures, _ = run
    keyness = pd.read_csv(figures / "06_keyness.csv")
    assert set(keyness["n_target"]) == {4} and set(keyness["n_reference"]) == {8}
    target_terms = keyness[keyness["key_for"] == "target"]
    assert "branch" in set(target_terms["term"]) or "party" in set(target_terms["term"])
    assert (keyness["df_target"] <= 4).all() and len(target_terms) == 3


def test_size_adaptive_heatmap_and_written_tables(run):
    _, figures, notebook = run
    assert not (figures / "06_formulations_by_document.png").exists()
    text = "".join(
        output.get("text", "") for cell in nbformat.read(notebook, as_version=4).cells for output in cell.get("outputs", [])
    )
    assert "per-document heatmap skipped" in text
    assert "MT_NORMALISATION = True" in text
    candidates = pd.read_csv(figures / "06_formulation_candidates.csv")
    assert "three meetings and one lesson" in set(candidates["candidate"])
    families = pd.read_csv(figures / "06_template_families.csv")
    assert list(families.columns) == ["family", "doc_id", "paragraph", "text", "n_documents"]
    assert len(families) > 0 and (families["n_documents"] >= 2).all()  # 3-of-5 sentence paragraphs repeat across pages
    assert families.groupby("family")["doc_id"].nunique().ge(2).all()
    for suffix in ("png", "svg", "csv"):
        for name in ("06_formulation_documents", "06_formulations_by_year", "06_formulation_cooccurrence", "06_keyness"):
            assert (figures / f"{name}.{suffix}").exists()


def test_bad_parameter_value_is_rejected(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="REGISTRY_MODE must be"):
        execute_notebook("06_formulations", tmp_path, REGISTRY_MODE="append", FIGURES_DIR=str(tmp_path / "figures"))


def test_formulations_notebook_completes_on_an_undated_corpus_without_formulations(tmp_path):
    table = tmp_path / "news.csv"
    bodies = [f"The council met on day {index} to discuss the local budget and the new library. Residents asked about parking."
              for index in range(6)]
    pd.DataFrame({"title": [f"Council meeting {index}" for index in range(6)], "body": bodies}).to_csv(table, index=False)
    executed = execute_notebook("06_formulations", tmp_path / "out", CORPUS=str(table), FIGURES_DIR=str(tmp_path / "figures"))
    printed = notebook_text(executed)
    assert "0 of 20 registered formulations occur, 0 times in all" in printed
    assert "No registered formulation occurs; nothing to draw per year." in printed
    assert "0 'year' group(s): nothing to compare, keyness skipped." in printed
