"""Run notebook 03 through papermill on the theme corpus in its large-corpus form (no heatmap, samples)."""

from __future__ import annotations

import pandas as pd
from conftest import execute_notebook, notebook_text

from corpus_utils import load_paragraphs, read_corpus
from corpus_utils.analysis.boilerplate import near_duplicate_paragraphs


def test_similarity_notebook_on_theme_corpus(theme_corpus, tmp_path):
    folder, truth = theme_corpus
    figures = tmp_path / "figures"
    executed = execute_notebook(
        "03_tfidf_similarity", tmp_path / "out", CORPUS=str(folder), FIGURES_DIR=str(figures),
        MAX_DOCS_FOR_HEATMAP=5, MAX_DOCS_FOR_BARS=4, TOP_TERMS=3, N_NEIGHBOURS=3, TOP_PAIRS=4, MAX_POINTS=20,
        SUBLINEAR_TF=False, DUPLICATE_THRESHOLD=0.9,
    )
    assert not (figures / "03_similarity_heatmap.png").exists()  # 12 documents > 5: no dense n × n figure
    for stem in ("03_distinctive_terms", "03_nearest_similarity", "03_map_2d"):
        for suffix in (".png", ".svg", ".csv"):
            assert (figures / f"{stem}{suffix}").is_file(), f"{stem}{suffix} missing"

    nearest = pd.read_csv(figures / "03_nearest_similarity.csv")
    assert len(nearest) == len(truth)
    # three themes with disjoint vocabularies: every document's nearest neighbour shares its theme
    assert all(truth[row.doc_id] == truth[row.nearest] for row in nearest.itertuples())
    assert nearest["similarity"].between(0, 1).all()

    distinctive = pd.read_csv(figures / "03_distinctive_terms.csv")
    assert distinctive["doc_id"].nunique() == 4 and distinctive.groupby("doc_id").size().max() == 3

    points = pd.read_csv(figures / "03_map_2d.csv")
    n_paragraphs = len(load_paragraphs(read_corpus(folder).documents))
    assert (points["kind"] == "document").sum() == 12
    assert (points["kind"] == "paragraph").sum() == min(20, n_paragraphs)

    printed = notebook_text(executed)
    assert "12 documents > MAX_DOCS_FOR_HEATMAP = 5: no heatmap" in printed
    assert "The 4 most similar pair(s) of documents (TOP_PAIRS = 4):" in printed
    assert "Nearest neighbours of each document: showing the first 30 of 36 rows (MAX_TABLE_ROWS)." in printed
    assert "sublinear_tf = False" in printed
    reused = near_duplicate_paragraphs(load_paragraphs(read_corpus(folder).documents), threshold=0.9)
    assert f"{len(reused)} pair(s) of near-duplicate paragraphs across documents" in printed


def test_similarity_notebook_samples_sources_within_max_similarities(theme_corpus, tmp_path):
    folder, truth = theme_corpus  # 12 documents: a budget of 60 similarities leaves 5 sources
    figures = tmp_path / "figures"
    executed = execute_notebook("03_tfidf_similarity", tmp_path / "out", CORPUS=str(folder), FIGURES_DIR=str(figures),
                                MAX_SIMILARITIES=60, N_NEIGHBOURS=3, TOP_PAIRS=4)
    nearest = pd.read_csv(figures / "03_nearest_similarity.csv")
    assert len(nearest) == 5 and all(truth[row.doc_id] == truth[row.nearest] for row in nearest.itertuples())
    printed = notebook_text(executed)
    assert "12 documents: nearest neighbours (searched among all documents) of a random sample of 5 documents" in printed
    assert "set by MAX_SIMILARITIES = 60" in printed


def test_similarity_notebook_counts_rather_than_lists_too_many_paragraph_pairs(tmp_path):
    folder = tmp_path / "pages"  # one footer in 12 pages: 66 pairs of identical paragraphs, more than 20
    folder.mkdir()
    footer = "Sponsored by the municipal people's procuratorate, all rights reserved, reproduction without permission is prohibited."
    for number in range(12):
        body = f"Case {number} concerned discipline inspection in county {number} and its rectification report {number}."
        (folder / f"page_{number:02d}.txt").write_text(f"Title: Report {number}\n\n{body}\n\n{footer}\n", encoding="utf-8")
    executed = execute_notebook("03_tfidf_similarity", tmp_path / "out", CORPUS=str(folder),
                                FIGURES_DIR=str(tmp_path / "figures"), MAX_DUPLICATE_PAIRS=20)
    printed = notebook_text(executed)
    assert "More than MAX_DUPLICATE_PAIRS = 20 pairs of near-duplicate paragraphs: 66 pairs of identical paragraphs" in printed
    assert "At least 66 pairs of identical paragraphs are shared across documents" in printed
