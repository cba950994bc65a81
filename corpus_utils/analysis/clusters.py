"""Clusters of documents or paragraphs: k-means, average-linkage agglomerative clustering, silhouette by k."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.cluster.hierarchy import cut_tree, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from ..core.checks import check_whole_number
from ..text.tokenizer import Tokenizer
from .sampling import sample_index
from ..text.vectorizers import make_vectorizer, relaxed_limits

__all__ = [
    "MINIBATCH_THRESHOLD",
    "SAMPLE_SIZE",
    "HIERARCHY_MAX_UNITS",
    "cluster_kmeans",
    "silhouette_by_k",
    "best_k",
    "Hierarchy",
    "cluster_agglomerative",
    "cluster_summary",
    "tfidf_matrix",
]

#: Above this many units, k-means is :class:`~sklearn.cluster.MiniBatchKMeans` (batch 4,096) instead of full k-means.
MINIBATCH_THRESHOLD = 20_000
#: Silhouette scores (and the k-means fits behind them) use a fixed-seed sample of at most this many units.
SAMPLE_SIZE = 3_000
#: Agglomerative clustering and its dendrogram use a fixed-seed sample of at most this many units: the
#: distance matrix is dense (``HIERARCHY_MAX_UNITS²`` floats, 32 MB at 2,000); the rest join the nearest cluster.
HIERARCHY_MAX_UNITS = 2_000


def tfidf_matrix(
    texts: Iterable[str],
    *,
    tokenizer: Tokenizer | None = None,
    min_df: int | float = 2,
    max_df: int | float = 0.9,
    max_features: int | None = 50_000,
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Sublinear TF-IDF of ``texts`` (rows L2-normalised) with the project's tokeniser, for clustering.

    ``min_df`` and ``max_df`` are relaxed for tiny inputs (:func:`~corpus_utils.text.vectorizers.relaxed_limits`,
    as in :func:`~corpus_utils.analysis.topics.fit_topics`), so the same settings give the same vocabulary.
    Returns ``(matrix, terms)``. Cost: one pass over the texts.
    """
    texts = [str(text) for text in texts]
    min_df, max_df = relaxed_limits(len(texts), min_df, max_df)
    vectorizer = make_vectorizer(
        "tfidf",
        tokenizer=tokenizer,
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform(texts).tocsr()
    except ValueError as exc:
        raise ValueError(f"no terms left to cluster on ({exc}); lower min_df, raise max_df or check the stop words") from exc
    return matrix, vectorizer.get_feature_names_out()


def _check_matrix(matrix) -> sparse.csr_matrix:
    """A float64 CSR copy with L2-normalised rows and sorted indices, so that k-means' floating-point sums do
    not depend on how the caller's matrix happens to be stored (a TF-IDF product leaves indices unsorted)."""
    if not sparse.issparse(matrix):
        matrix = sparse.csr_matrix(np.asarray(matrix, dtype=float))
    checked = normalize(matrix.tocsr().astype(np.float64), norm="l2", copy=True)
    checked.sort_indices()
    return checked


def _check_k(n_clusters: int, n_units: int, name: str = "n_clusters") -> None:
    check_whole_number(n_clusters, name)
    if n_clusters > n_units:
        raise ValueError(f"{name}={n_clusters} is more than the {n_units} unit(s) to cluster; lower it")


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 1..k by decreasing size, ties by first appearance, so labels do not depend on the solver."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    mapping = np.empty(values.max() + 1, dtype=np.int64)
    mapping[values[order]] = np.arange(1, len(values) + 1)
    return mapping[labels]


def cluster_kmeans(
    matrix,
    n_clusters: int,
    *,
    random_state: int = 42,
    n_init: int = 10,
    minibatch_threshold: int = MINIBATCH_THRESHOLD,
) -> np.ndarray:
    """k-means clusters of the rows of ``matrix`` (rows are L2-normalised first, so distances follow cosine similarity).

    Parameters
    ----------
    matrix : scipy.sparse matrix or array
        Units × terms (e.g. TF-IDF).
    n_clusters : int
        Number of clusters k.
    random_state, n_init : int
        Fixed seed and number of restarts: the same input gives the same clusters.
    minibatch_threshold : int
        Above this many rows, :class:`~sklearn.cluster.MiniBatchKMeans` is used.

    Returns
    -------
    numpy.ndarray
        One cluster number per row, 1..k, cluster 1 the largest.

    Notes
    -----
    Cost: O(n_init × iterations × non-zeros × k) for full k-means; mini-batch k-means is O(batches × 4,096 × k).
    """
    data = _check_matrix(matrix)
    _check_k(n_clusters, data.shape[0])
    if data.shape[0] > minibatch_threshold:
        model = MiniBatchKMeans(n_clusters=n_clusters, random_state=random_state, n_init=n_init, batch_size=4096)
    else:
        model = KMeans(n_clusters=n_clusters, random_state=random_state, n_init=n_init)
    return _relabel_by_size(model.fit_predict(data))


def silhouette_by_k(
    matrix, ks: Iterable[int], *, random_state: int = 42, n_init: int = 10, sample_size: int = SAMPLE_SIZE
) -> pd.DataFrame:
    """Mean silhouette (cosine) of k-means clusterings for each k: higher means tighter, better separated clusters.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array
        Units × terms.
    ks : iterable of int
        Candidate numbers of clusters; each must lie in 2 … n_units − 1 (others raise ``ValueError``).
    random_state, n_init : int
        As in :func:`cluster_kmeans`.
    sample_size : int
        With more units than this, k-means is fitted and scored on a fixed-seed sample of this size.

    Returns
    -------
    pandas.DataFrame
        Columns ``k``, ``silhouette``, ``n_units`` (units scored), ``sampled`` (bool); sorted by ``k``.

    Notes
    -----
    Cost: one k-means fit per k plus a dense ``sample_size²`` distance matrix per k (72 MB at 3,000).
    """
    data = _check_matrix(matrix)
    index = sample_index(data.shape[0], sample_size, random_state=random_state)
    sample = data[index]
    rows = []
    for k in sorted(set(int(k) for k in ks)):
        if not 2 <= k <= sample.shape[0] - 1:
            raise ValueError(f"k={k} is outside 2 … {sample.shape[0] - 1} (the silhouette needs 2 ≤ k < number of units)")
        labels = cluster_kmeans(sample, k, random_state=random_state, n_init=n_init)
        score = silhouette_score(sample, labels, metric="cosine") if len(np.unique(labels)) > 1 else np.nan
        rows.append({"k": k, "silhouette": float(score), "n_units": int(sample.shape[0]), "sampled": bool(len(index) < data.shape[0])})
    return pd.DataFrame(rows, columns=["k", "silhouette", "n_units", "sampled"])


def best_k(scores: pd.DataFrame) -> int:
    """The ``k`` with the highest silhouette in a :func:`silhouette_by_k` table (the smaller k on ties)."""
    valid = scores.dropna(subset=["silhouette"])
    if valid.empty:
        raise ValueError("no silhouette score to choose k from; set N_CLUSTERS explicitly")
    best = valid["silhouette"].round(6).max()
    return int(valid.loc[valid["silhouette"].round(6) == best, "k"].min())


@dataclass(frozen=True)
class Hierarchy:
    """Average-linkage (cosine) agglomerative clustering.

    Attributes
    ----------
    labels : numpy.ndarray
        One cluster number per unit (1..k, cluster 1 the largest); units outside the sample join the cluster
        whose sampled centroid is most similar.
    linkage : numpy.ndarray
        SciPy linkage matrix of the sampled units (for :func:`scipy.cluster.hierarchy.dendrogram`).
    sample : numpy.ndarray
        Positions of the sampled units (all units when ``sampled`` is False), in linkage leaf order 0..m−1.
    sampled : bool
        True when the corpus had more units than ``max_units``.
    """

    labels: np.ndarray
    linkage: np.ndarray
    sample: np.ndarray
    sampled: bool


def cluster_agglomerative(
    matrix, n_clusters: int, *, max_units: int = HIERARCHY_MAX_UNITS, random_state: int = 42
) -> Hierarchy:
    """Agglomerative clustering with average linkage on cosine distance, cut into ``n_clusters``.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array
        Units × terms.
    n_clusters : int
        Number of clusters to cut the tree into.
    max_units : int
        With more units than this, the tree is built on a fixed-seed sample of ``max_units`` units and every
        other unit is assigned to the cluster with the most similar centroid.
    random_state : int
        Seed of the sample.

    Returns
    -------
    Hierarchy

    Notes
    -----
    Cost: a dense ``m × m`` cosine distance matrix (m = min(units, max_units)) from one sparse product, and
    O(m²) average linkage; assigning the other units is one sparse product with the k centroids.
    """
    data = _check_matrix(matrix)
    _check_k(n_clusters, data.shape[0])
    index = sample_index(data.shape[0], max_units, random_state=random_state)
    sample = data[index]
    if len(index) < 2:
        return Hierarchy(np.ones(data.shape[0], dtype=np.int64), np.empty((0, 4)), index, False)
    similarity = (sample @ sample.T).toarray()
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    sample_labels = cut_tree(tree, n_clusters=min(n_clusters, len(index))).ravel()
    if len(index) == data.shape[0]:
        labels = sample_labels
    else:
        k = int(sample_labels.max()) + 1
        indicator = sparse.csr_matrix((np.ones(len(index)), (sample_labels, np.arange(len(index)))), shape=(k, len(index)))
        centroids = normalize(indicator @ sample, norm="l2")
        labels = np.asarray((data @ centroids.T).toarray().argmax(axis=1)).ravel()
        labels[index] = sample_labels
    relabelled = _relabel_by_size(labels)
    return Hierarchy(relabelled, tree, index, bool(len(index) < data.shape[0]))


def cluster_summary(
    matrix,
    labels: np.ndarray,
    terms: Sequence[str],
    *,
    unit_labels: Sequence[str],
    n_terms: int = 8,
    n_members: int = 6,
) -> pd.DataFrame:
    """One row per cluster: size, the terms that characterise it, and its most central members.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        Units × terms (e.g. TF-IDF), rows aligned with ``labels`` and ``unit_labels``.
    labels : numpy.ndarray
        Cluster number per unit.
    terms : sequence of str
        Vocabulary in column order.
    unit_labels : sequence of str
        Short label per unit (``"D2 ¶5"``, ``"D1 Suzhou: …"``).
    n_terms : int
        Top terms listed per cluster (highest mean weight in the cluster).
    n_members : int
        Members listed per cluster, most similar to the cluster centroid first; the rest are counted.

    Returns
    -------
    pandas.DataFrame
        Columns ``cluster``, ``size``, ``share`` (of units), ``top_terms`` (comma-separated), ``members``
        (``"; "``-separated, ending ``"… and N more"`` when cut); sorted by ``cluster``.

    Notes
    -----
    Cost: one sparse clusters × units product and one similarity per unit, O(non-zeros).
    """
    data = _check_matrix(matrix)
    labels = np.asarray(labels)
    if len(labels) != data.shape[0] or len(unit_labels) != data.shape[0]:
        raise ValueError(f"labels ({len(labels)}) and unit_labels ({len(unit_labels)}) must have one entry per row ({data.shape[0]})")
    clusters, codes = np.unique(labels, return_inverse=True)
    indicator = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(clusters), len(codes)))
    sizes = np.bincount(codes, minlength=len(clusters))
    means = np.asarray((indicator @ data).toarray()) / sizes[:, None]
    # cosine of each unit with its own cluster's centroid: units × clusters (never units × terms dense)
    centrality = np.asarray(data @ normalize(means, norm="l2").T)[np.arange(len(codes)), codes]
    terms = np.asarray(terms, dtype=object)
    names = np.asarray(unit_labels, dtype=object)
    rows = []
    for position, cluster in enumerate(clusters):
        top = np.argsort(-means[position], kind="stable")[:n_terms]
        members = np.flatnonzero(codes == position)
        members = members[np.lexsort((members, -centrality[members]))]
        listed = "; ".join(str(name) for name in names[members[:n_members]])
        if len(members) > n_members:
            listed += f"; … and {len(members) - n_members} more"
        rows.append(
            {
                "cluster": int(cluster),
                "size": int(sizes[position]),
                "share": float(sizes[position] / len(labels)),
                "top_terms": ", ".join(str(term).replace("_", " ") for term in terms[top[means[position][top] > 0]]),
                "members": listed,
            }
        )
    return pd.DataFrame(rows, columns=["cluster", "size", "share", "top_terms", "members"])
