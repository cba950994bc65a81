"""Run notebook 01 through papermill on the theme corpus with small table and bar limits; check what it writes."""

from __future__ import annotations

import pandas as pd
from conftest import execute_notebook, notebook_text


def test_overview_notebook_on_theme_corpus(theme_corpus, tmp_path):
    folder, truth = theme_corpus
    figures = tmp_path / "figures"
    executed = execute_notebook(
        "01_corpus_overview", tmp_path / "out", CORPUS=str(folder), FIGURES_DIR=str(figures),
        MAX_TABLE_ROWS=5, LENGTH_BINS=4, MAX_SECTIONS=2,
    )
    for stem in ("01_document_length", "01_documents_per_section", "01_documents_per_layout", "01_documents_per_year"):
        for suffix in (".png", ".svg", ".csv"):
            assert (figures / f"{stem}{suffix}").is_file(), f"{stem}{suffix} missing"
    sections = pd.read_csv(figures / "01_documents_per_section.csv")
    assert sections.set_index("section")["documents"].to_dict() == {
        "Party building": 4, "Party conduct and clean government construction": 4, "Procuratorial work": 4
    }
    layouts = pd.read_csv(figures / "01_documents_per_layout.csv").set_index("layout")["documents"].to_dict()
    assert layouts == {"procuratorate": 8, "repost": 4}
    years = pd.read_csv(figures / "01_documents_per_year.csv")
    assert years["year"].tolist() == [2018, 2019, 2020, 2021, 2022] and years["documents"].sum() == len(truth)
    lengths = pd.read_csv(figures / "01_document_length.csv")
    assert len(lengths) == 4 and lengths["documents"].sum() == len(truth)
    printed = notebook_text(executed)
    assert "12 file(s): 12 loaded, 0 skipped, 0 with warnings" in printed
    assert "Documents: showing the first 5 of 12 rows (MAX_TABLE_ROWS)." in printed
    assert "3 sections: the 2 largest are drawn, the other 1 summed into one bar." in printed
    assert "12 dated, 0 undated document(s)." in printed


def test_overview_of_a_subcorpus_still_accounts_for_every_file(theme_corpus, tmp_path):
    folder, truth = theme_corpus
    figures = tmp_path / "figures"
    executed = execute_notebook("01_corpus_overview", tmp_path / "out", CORPUS=str(folder), FIGURES_DIR=str(figures),
                                SECTIONS=["PARTY BUILDING"], DATE_FROM="2019")
    sections = pd.read_csv(figures / "01_documents_per_section.csv")
    assert sections["section"].tolist() == ["Party building"]
    years = pd.read_csv(figures / "01_documents_per_year.csv")
    assert years["year"].min() >= 2019 and 0 < years["documents"].sum() < 4
    printed = notebook_text(executed)
    assert "12 file(s): 12 loaded, 0 skipped, 0 with warnings" in printed  # the load report: every file
    kept = years["documents"].sum()
    assert f"Subcorpus (dated 2019 to …; section 'PARTY BUILDING'): {kept} of 12 documents kept; left out" in printed
