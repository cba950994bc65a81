"""Tests for corpus_utils.analysis.clusters: recovering known groups, choosing k, sampling past the thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.metrics import adjusted_rand_score

from corpus_utils import read_corpus
from corpus_utils.analysis.sampling import sample_index
from corpus_utils.analysis import clusters as clusters_module
from corpus_utils.analysis.clusters import (
    best_k,
    choose_k,
    cluster_agglomerative,
    cluster_kmeans,
    cluster_summary,
    reduce_units,
    silhouette_by_k,
    tfidf_matrix,
)
from corpus_utils.core.memo import Memo
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.analysis.topics import text_units


@pytest.fixture
def theme_units(theme_corpus):
    folder, truth = theme_corpus
    documents = read_corpus(folder).documents
    return documents, truth


@pytest.mark.parametrize("unit", ["document", "paragraph"])
def test_clustering_recovers_the_themes(theme_units, unit):
    documents, truth = theme_units
    units = text_units(documents, unit=unit, min_words=5)
    matrix, terms = tfidf_matrix(units["text"], tokenizer=Tokenizer.from_parameters())
    expected = units["doc_id"].astype(str).map(truth).tolist()
    scores = silhouette_by_k(matrix, range(2, 9))
    assert list(scores.columns) == ["k", "silhouette", "silhouette_ward", "n_units", "sampled"]
    assert best_k(scores) == 3 and choose_k(scores).k == 3
    assert adjusted_rand_score(expected, cluster_kmeans(matrix, 3)) >= 0.9
    hierarchy = cluster_agglomerative(matrix, 3)
    assert adjusted_rand_score(expected, hierarchy.labels) >= 0.9
    assert not hierarchy.sampled and hierarchy.linkage.shape == (len(units) - 1, 4)
    assert np.all(np.diff(hierarchy.linkage[:, 2]) >= 0)  # a Ward tree: merge heights never decrease


def test_sampled_hierarchy_still_labels_every_unit(theme_units):
    documents, truth = theme_units
    units = text_units(documents, unit="paragraph", min_words=5)
    matrix, _ = tfidf_matrix(units["text"])
    hierarchy = cluster_agglomerative(matrix, 3, max_units=20)
    assert hierarchy.sampled and len(hierarchy.sample) == 20 and hierarchy.linkage.shape == (19, 4)
    assert len(hierarchy.labels) == len(units)
    expected = units["doc_id"].astype(str).map(truth).tolist()
    assert adjusted_rand_score(expected, hierarchy.labels) >= 0.9
    scores = silhouette_by_k(matrix, [2, 3, 4], sample_size=30)
    assert scores["sampled"].all() and (scores["n_units"] == 30).all()


def test_minibatch_path_and_labels_by_size():
    rng = np.random.default_rng(0)
    centres = np.eye(3)
    points = np.vstack([centre + rng.uniform(0, 0.1, size=(n, 3)) for centre, n in zip(centres, (10, 30, 20))])
    matrix = sparse.csr_matrix(points)
    full = cluster_kmeans(matrix, 3)
    mini = cluster_kmeans(matrix, 3, minibatch_threshold=10)
    assert adjusted_rand_score(full, mini) == 1.0
    assert np.bincount(full)[1:].tolist() == [30, 20, 10]


def test_cluster_summary_lists_terms_and_members(theme_units):
    documents, _ = theme_units
    units = text_units(documents, unit="document")
    matrix, terms = tfidf_matrix(units["text"])
    labels = cluster_kmeans(matrix, 3)
    summary = cluster_summary(matrix, labels, terms, unit_labels=units["label"].tolist(), n_members=2)
    assert list(summary.columns) == ["cluster", "size", "share", "top_terms", "members"]
    assert summary["size"].tolist() == [4, 4, 4]
    assert summary["members"].str.endswith("… and 2 more").all()
    assert {"litigation", "branch", "discipline"} <= set(", ".join(summary["top_terms"]).split(", "))
    arrow_labels = units["label"].astype("string[pyarrow]").set_axis(range(100, 100 + len(units)))
    for column in (units["label"], arrow_labels):  # a column is read at its members' positions only
        pd.testing.assert_frame_equal(cluster_summary(matrix, labels, terms, unit_labels=column, n_members=2), summary)


@pytest.mark.parametrize("ks", [[1, 2], [2, 12]])
def test_silhouette_rejects_k_out_of_range(ks):
    matrix = sparse.random(12, 20, density=0.5, random_state=1, format="csr")
    with pytest.raises(ValueError, match="outside"):
        silhouette_by_k(matrix, ks)


def test_kmeans_rejects_too_many_clusters():
    with pytest.raises(ValueError, match="n_clusters"):
        cluster_kmeans(sparse.identity(3, format="csr"), 5)


def test_sample_index_is_fixed_and_sorted():
    first = sample_index(1000, 50, random_state=42)
    assert (first == sample_index(1000, 50, random_state=42)).all() and (np.diff(first) > 0).all()
    assert (sample_index(10, 50) == np.arange(10)).all()


@pytest.mark.parametrize(("min_df", "max_df"), [(2, 0.9), (1, 1.0)])
def test_nmf_topic_matrix_is_the_clustering_matrix(theme_units, min_df, max_df):
    """Notebook 04 clusters on the matrix NMF was fitted on instead of tokenising the units again."""
    from corpus_utils.analysis.topics import fit_topics

    documents, _ = theme_units
    texts = text_units(documents, unit="paragraph", min_words=3)["text"]
    pairs = Tokenizer.from_parameters(mt_normalisation=True)
    matrix, terms = tfidf_matrix(texts, tokenizer=pairs, min_df=min_df, max_df=max_df)
    topics = fit_topics(texts, n_topics=3, method="nmf", tokenizer=pairs, min_df=min_df, max_df=max_df)
    assert list(topics.terms) == list(terms)
    assert (topics.matrix != matrix).nnz == 0


def test_silhouette_does_not_depend_on_how_the_matrix_is_stored():
    """A TF-IDF product leaves column indices unsorted and NMF sorts them in place: same matrix, same scores."""
    from corpus_utils.core.paths import PROJECT_ROOT
    from corpus_utils.analysis.topics import fit_topics

    texts = text_units(read_corpus(PROJECT_ROOT / "seeds").documents, unit="paragraph", min_words=20)["text"]
    matrix, _ = tfidf_matrix(texts, tokenizer=Tokenizer.from_parameters())
    topics = fit_topics(texts, n_topics=6, method="nmf", tokenizer=Tokenizer.from_parameters())
    assert not matrix.has_sorted_indices and topics.matrix.has_sorted_indices
    pd.testing.assert_frame_equal(silhouette_by_k(matrix, [2, 3]), silhouette_by_k(topics.matrix, [2, 3]))


def _scores(silhouettes, ward=None):
    ks = range(2, 2 + len(silhouettes))
    return pd.DataFrame({"k": list(ks), "silhouette": silhouettes, "silhouette_ward": ward or silhouettes,
                         "n_units": 100, "sampled": False})


@pytest.mark.parametrize(
    ("silhouettes", "ward", "k", "warned"),
    [
        ([0.30, 0.60, 0.40, 0.35], None, 3, []),
        ([0.30, 0.60, 0.59, 0.35], None, 3, ["flat curve: k = 4"]),
        ([0.30, 0.40, 0.50, 0.60], None, 5, ["top of the searched range"]),
        ([0.30, 0.60, 0.40, 0.35], [0.3, 0.4, 0.5, 0.7], 3, ["the methods disagree: Ward's best silhouette is at k = 5"]),
        ([0.10, 0.20, 0.15, 0.12], None, 3, ["weak separation: silhouette 0.20"]),
    ],
)
def test_choose_k_says_why_the_choice_is_uncertain(silhouettes, ward, k, warned):
    choice = choose_k(_scores(silhouettes, ward))
    assert choice.k == k and choice.how == "silhouette"
    assert len(choice.warnings) == len(warned)
    for warning, expected in zip(choice.warnings, warned):
        assert expected in warning


def test_choose_k_fixed_and_too_few_units():
    assert choose_k(_scores([0.3, 0.6]), fixed=4).k == 4
    with pytest.raises(ValueError, match="N_CLUSTERS = 9 is more than the 5 units"):
        choose_k(_scores([0.3, 0.6]), fixed=9, n_units=5)
    few = choose_k(pd.DataFrame(columns=["k", "silhouette", "silhouette_ward", "n_units", "sampled"]), n_units=2)
    assert few.k == 1 and few.uncertain and "too few" in few.warnings[0]


def test_stored_reductions_and_scores_are_read_back_identical(theme_units, tmp_path, monkeypatch):
    documents, _ = theme_units
    matrix, _ = tfidf_matrix(text_units(documents, unit="paragraph", min_words=5)["text"], tokenizer=Tokenizer())
    expected_space = reduce_units(matrix, random_state=42)
    expected_scores = silhouette_by_k(expected_space, [2, 3, 4], random_state=42)
    memo = Memo(tmp_path)
    space = reduce_units(matrix, random_state=42, memo=memo)
    pd.testing.assert_frame_equal(silhouette_by_k(space, [4, 2, 3], random_state=42, memo=memo), expected_scores)
    with monkeypatch.context() as patched:  # a rerun (say with another N_TOPICS) computes neither
        patched.setattr(clusters_module, "TruncatedSVD", None)
        patched.setattr(clusters_module, "cluster_kmeans", None)
        again = reduce_units(matrix, random_state=42, memo=memo)
        np.testing.assert_array_equal(again.coordinates, space.coordinates)  # what was stored, bit for bit
        np.testing.assert_allclose(again.coordinates, expected_space.coordinates, rtol=1e-9, atol=1e-12)  # BLAS threads
        pd.testing.assert_frame_equal(silhouette_by_k(again, [2, 3, 4], random_state=42, memo=memo), expected_scores)
    other = reduce_units(matrix, n_dimensions=5, random_state=42, memo=memo)  # other settings: computed
    assert other.coordinates.shape[1] == 5


def test_a_stored_reduction_copies_the_matrix_once(tmp_path, monkeypatch):
    matrix = sparse.random(200, 80, density=0.1, format="csr", random_state=5)
    copies = []
    checked = clusters_module._check_matrix
    monkeypatch.setattr(clusters_module, "_check_matrix", lambda value: copies.append(value.shape) or checked(value))
    space = reduce_units(matrix, n_dimensions=6, random_state=42, memo=Memo(tmp_path))
    assert copies == [(200, 80)]  # one float64 copy: the paragraphs of a million pages take 1.8 GB each
    np.testing.assert_array_equal(space.coordinates, reduce_units(matrix, n_dimensions=6, random_state=42).coordinates)


def test_a_matrix_already_checked_is_used_as_it_is_and_gives_what_its_copy_gives(theme_units):
    from corpus_utils.analysis.clusters import _check_matrix

    documents, _ = theme_units
    matrix, _ = tfidf_matrix(text_units(documents, unit="paragraph", min_words=5)["text"], tokenizer=Tokenizer())
    matrix = matrix.tocsr()
    matrix.sort_indices()
    assert _check_matrix(matrix) is matrix  # rows of norm 1 (to a few ulps), sorted, float64: no copy
    copy = matrix.copy()
    copy.data[:3] *= 1.0 + 1e-9  # one row off by more than the tolerance: copied and normalised
    checked = _check_matrix(copy)
    assert checked is not copy and np.allclose(np.asarray(checked.multiply(checked).sum(axis=1)).ravel(), 1.0, atol=1e-12)
    as_is, copied = reduce_units(matrix, random_state=42), reduce_units(matrix.astype(np.float32), random_state=42)
    np.testing.assert_allclose(as_is.coordinates, reduce_units(matrix.copy(), random_state=42).coordinates, rtol=0, atol=0)
    np.testing.assert_allclose(as_is.coordinates, copied.coordinates, atol=1e-6)  # float32 input: copied in float64


def test_the_checked_copy_is_normalised_in_place_and_leaves_the_callers_matrix_as_it_was():
    from sklearn.preprocessing import normalize

    from corpus_utils.analysis.clusters import _check_matrix

    rng = np.random.default_rng(3)
    matrix = sparse.random(60, 40, density=0.2, format="csr", dtype=np.float64, random_state=3)
    for row in range(matrix.shape[0]):  # indices unsorted, as a TF-IDF product leaves them
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        order = rng.permutation(stop - start) + start
        matrix.indices[start:stop], matrix.data[start:stop] = matrix.indices[order], matrix.data[order]
    matrix.has_sorted_indices = False
    before = (matrix.data.copy(), matrix.indices.copy())
    checked = _check_matrix(matrix)
    expected = normalize(matrix.astype(np.float64), norm="l2", copy=True)  # normalised in the stored order, then sorted
    expected.sort_indices()
    assert np.array_equal(checked.indices, expected.indices) and np.array_equal(checked.data, expected.data)
    assert np.array_equal(matrix.data, before[0]) and np.array_equal(matrix.indices, before[1])


def test_repeated_units_are_not_split_into_more_clusters_than_they_hold_distinct_points():
    """Every paragraph twice (a corpus of reposts): k-means cannot make more clusters than distinct points (scikit-learn
    warns, and the notebook printed its warning); those k are not scored, and the choice says why."""
    import warnings

    from corpus_utils.core.paths import PROJECT_ROOT

    texts = text_units(read_corpus(PROJECT_ROOT / "seeds").documents, unit="paragraph", min_words=5)["text"].head(6)
    matrix, _ = tfidf_matrix(pd.concat([texts, texts], ignore_index=True), tokenizer=Tokenizer.from_parameters())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning reaches the notebook
        scores = silhouette_by_k(matrix, range(2, 11), random_state=42)
    assert scores.loc[scores["k"] >= 6, "silhouette"].isna().all() and scores.loc[scores["k"] >= 6, "silhouette_ward"].isna().all()
    assert scores.loc[scores["k"] < 6, "silhouette"].notna().all()
    choice = choose_k(scores)
    assert choice.k < 6
    assert any("only 6 distinct points" in warning and "k = 6 and above" in warning for warning in choice.warnings)
    assert not any("top of the searched range" in warning for warning in choice.warnings)


def test_units_with_too_few_distinct_points_are_not_clustered_and_the_findings_say_why():
    from corpus_utils.analysis.findings import cluster_findings

    scores = pd.DataFrame({"k": [2, 3, 4], "silhouette": [float("nan")] * 3, "silhouette_ward": [float("nan")] * 3,
                           "n_units": 12, "sampled": False})
    choice = choose_k(scores, n_units=12)
    assert choice.k == 1 and "no more than 2 distinct points" in choice.warnings[0]
    found = str(cluster_findings(pd.Series({"a": 0.6, "b": 0.4}), k=choice.k, warnings=choice.warnings, agreement=None,
                                 cluster_sizes=pd.Series([12]), n_units=12, unit="paragraph"))
    assert ("The 12 paragraph(s) are too few to cluster: the units hold no more than 2 distinct points (repeated units); "
            "set N_CLUSTERS to cluster them anyway.") in found
