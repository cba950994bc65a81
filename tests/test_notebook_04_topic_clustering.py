"""Run notebook 04 through papermill on the theme corpus with non-default parameters and check what it writes."""

from __future__ import annotations


import pandas as pd
import pytest
from papermill.exceptions import PapermillExecutionError
from sklearn.metrics import adjusted_rand_score

from conftest import execute_notebook, notebook_text


def test_document_clusters_recover_the_themes(theme_corpus, tmp_path):
    folder, truth = theme_corpus
    figures = tmp_path / "figures"
    executed = execute_notebook(
        "04_topic_clustering",
        tmp_path / "run",
        CORPUS=str(folder),
        FIGURES_DIR=str(figures),
        UNIT="document",
        MIN_WORDS=5,
        TOPIC_METHOD="lda",
        N_TOPICS=3,
        TOPIC_SAMPLE=8,
        MAX_BARS=2,
        MAX_LEAVES=6,
        EXCLUDE_BOILERPLATE=True,
    )
    for stem in ("04_topic_terms", "04_topic_shares", "04_silhouette", "04_dendrogram", "04_cluster_map"):
        for suffix in ("png", "svg", "csv"):
            assert (figures / f"{stem}.{suffix}").stat().st_size > 0, f"{stem}.{suffix}"
    silhouette = pd.read_csv(figures / "04_silhouette.csv")
    assert silhouette.loc[silhouette["silhouette"].idxmax(), "k"] == 3
    points = pd.read_csv(figures / "04_cluster_map.csv")
    expected = points["doc_id"].map(truth)
    assert len(points) == 12
    assert adjusted_rand_score(expected, points["kmeans"]) >= 0.9
    assert adjusted_rand_score(expected, points["ward"]) >= 0.9
    topic_terms = pd.read_csv(figures / "04_topic_terms.csv")
    assert topic_terms["topic"].nunique() == 3
    shares = pd.read_csv(figures / "04_topic_shares.csv")
    assert "section" in shares.columns and shares["section"].nunique() == 2  # 12 documents > MAX_BARS: by section
    leaves = pd.read_csv(figures / "04_dendrogram.csv")
    assert len(leaves) == 6 and leaves["leaf"].str.startswith("(").any()  # truncated tree: "(n)" branches
    text = notebook_text(executed)
    assert "Boilerplate removed:" in text
    assert "12 documents are more than MAX_BARS = 2" in text
    assert "the tree is truncated to its top 6 branches" in text
    assert "k = 3 (the best k-means silhouette)" in text
    assert "Topics fitted on a fixed-seed sample of 8 of 12 units (TOPIC_SAMPLE)" in text


def test_bad_unit_fails_loudly(theme_corpus, tmp_path):
    folder, _ = theme_corpus
    with pytest.raises(PapermillExecutionError, match="UNIT must be"):
        execute_notebook("04_topic_clustering", tmp_path / "run", CORPUS=str(folder), FIGURES_DIR=str(tmp_path / "f"), UNIT="sentence")
