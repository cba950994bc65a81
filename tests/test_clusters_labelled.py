"""Clustering methods against known classes: a labelled news-like corpus (``tests/labelled.py``) on which
average linkage on raw TF-IDF fails, as it does on real news text. Every method notebook 04 offers must recover
the classes (NMI ≥ 0.87) and the automatic k must land within one of the true number of classes."""

from __future__ import annotations

import pytest
from sklearn.metrics import normalized_mutual_info_score

from corpus_utils.analysis.clusters import (
    choose_k, cluster_agglomerative, cluster_kmeans, reduce_units, silhouette_by_k, tfidf_matrix,
)
from corpus_utils.text.tokenizer import Tokenizer
from tests.labelled import labelled_news

NMI_FLOOR = 0.87


@pytest.fixture(scope="module", params=[(3, 0), (5, 1), (7, 2)], ids=["3-classes", "5-classes", "7-classes"])
def labelled(request):
    n_classes, seed = request.param
    table = labelled_news(800, n_classes=n_classes, seed=seed, theme_share=0.28)
    matrix, _ = tfidf_matrix(table["body"], tokenizer=Tokenizer(), min_df=2, max_df=0.9)
    return table, matrix, n_classes


def test_automatic_k_is_within_one_of_the_true_number_of_classes(labelled):
    table, matrix, n_classes = labelled
    choice = choose_k(silhouette_by_k(reduce_units(matrix), range(2, 11)))
    assert abs(choice.k - n_classes) <= 1, choice


def test_every_method_recovers_the_classes(labelled):
    table, matrix, n_classes = labelled
    space = reduce_units(matrix)
    kmeans = cluster_kmeans(space.leading(n_classes), n_classes)
    ward = cluster_agglomerative(space, n_classes).labels
    sampled = cluster_agglomerative(space, n_classes, max_units=300).labels
    for name, labels in (("k-means", kmeans), ("Ward", ward), ("Ward on a 300-unit sample", sampled)):
        assert normalized_mutual_info_score(table["label"], labels) >= NMI_FLOOR, name


def test_the_corpus_is_hard_enough_to_separate_methods(labelled):
    """The old method (average linkage on cosine distance of raw TF-IDF) fails here: the corpus can tell."""
    import numpy as np
    from scipy.cluster.hierarchy import cut_tree, linkage

    table, matrix, n_classes = labelled
    distance = (1 - (matrix @ matrix.T).toarray()).clip(0)[np.triu_indices(matrix.shape[0], 1)]
    labels = cut_tree(linkage(distance, method="average"), n_clusters=n_classes).ravel()
    assert normalized_mutual_info_score(table["label"], labels) < NMI_FLOOR - 0.15
