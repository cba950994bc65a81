"""Clusters of documents or paragraphs: k-means and Ward clustering in a reduced (LSA) space, and the choice of k."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.cluster.hierarchy import cut_tree, linkage
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import row_norms

from ..core.checks import check_whole_number
from ..core.columns import take_rows
from ..core.memo import Memo, digest_arrays, memo_key
from ..text.tokenizer import Tokenizer
from .sampling import sample_index
from .similarity import _flip_signs
from ..text.vectorizers import fit_relaxing_limits, make_vectorizer, relaxed_limits

__all__ = [
    "MINIBATCH_THRESHOLD",
    "SAMPLE_SIZE",
    "HIERARCHY_MAX_UNITS",
    "REDUCED_DIMENSIONS",
    "WEAK_SILHOUETTE",
    "FLAT_MARGIN",
    "ReducedSpace",
    "reduce_units",
    "cluster_kmeans",
    "ward_labels",
    "silhouette_by_k",
    "best_k",
    "KChoice",
    "choose_k",
    "Hierarchy",
    "cluster_agglomerative",
    "leaf_clusters",
    "cluster_summary",
    "tfidf_matrix",
]

#: Above this many units, k-means is :class:`~sklearn.cluster.MiniBatchKMeans` (batch 4,096) instead of full k-means.
MINIBATCH_THRESHOLD = 20_000
#: Silhouette scores (and the k-means fits behind them) use a fixed-seed sample of at most this many units.
SAMPLE_SIZE = 3_000
#: Agglomerative clustering and its dendrogram use a fixed-seed sample of at most this many units: Ward
#: linkage keeps ``HIERARCHY_MAX_UNITS²/2`` distances (16 MB at 2,000); the rest join the nearest cluster.
HIERARCHY_MAX_UNITS = 2_000
#: Dimensions of the reduced (LSA) space in which k is chosen; k clusters are found in its k leading ones.
REDUCED_DIMENSIONS = 20


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
    as in :func:`~corpus_utils.analysis.topics.fit_topics`), and raised when they leave no term
    (:func:`~corpus_utils.text.vectorizers.fit_relaxing_limits`, whose sentence the topic model's notes carry), so the same
    settings give the same vocabulary.
    Returns ``(matrix, terms)``. Cost: one pass over the texts.
    """
    texts = [str(text) for text in texts]

    def vectorised(low: int | float, high: int | float) -> tuple:
        vectorizer = make_vectorizer("tfidf", tokenizer=tokenizer, min_df=low, max_df=high, max_features=max_features,
                                     sublinear_tf=True)
        return vectorizer, vectorizer.fit_transform(texts).tocsr()

    try:
        (vectorizer, matrix), _ = fit_relaxing_limits(vectorised, *relaxed_limits(len(texts), min_df, max_df))
    except ValueError as exc:
        raise ValueError(f"no terms left to cluster on ({exc}); lower min_df, raise max_df or check the stop words") from exc
    return matrix, vectorizer.get_feature_names_out()


#: A sparse matrix whose rows all have an L2 norm this close to 1 (or no entry) counts as normalised already: a
#: TF-IDF matrix's rows are, to a few units in the last place.
UNIT_NORM_TOLERANCE = 1e-12


def _check_matrix(matrix):
    """Float64 with L2-normalised rows: dense stays dense (a copy); sparse becomes CSR with sorted indices, so that
    k-means' floating-point sums do not depend on how the caller's matrix happens to be stored (a TF-IDF
    product leaves indices unsorted). A sparse matrix that is all that already (a stored TF-IDF matrix) is used
    as it is: no copy, which for the paragraphs of a million pages is 2.5 GB. The caller's matrix is never changed."""
    if not sparse.issparse(matrix):
        return normalize(np.asarray(matrix, dtype=np.float64), norm="l2", copy=True)
    matrix = matrix.tocsr()
    if matrix.dtype == np.float64 and matrix.has_sorted_indices and _rows_of_unit_norm(matrix):
        return matrix
    checked = matrix.astype(np.float64)  # a copy (data and indices) owned here: normalised in place
    normalize(checked, norm="l2", copy=False)
    checked.sort_indices()
    return checked


def _rows_of_unit_norm(matrix: sparse.csr_matrix) -> bool:
    """Whether every row of ``matrix`` has an L2 norm within :data:`UNIT_NORM_TOLERANCE` of 1, or no entry."""
    norms = row_norms(matrix)  # scikit-learn's: one pass over the entries, no copy of them
    return bool(np.all((np.abs(norms - 1.0) <= UNIT_NORM_TOLERANCE) | (np.diff(matrix.indptr) == 0)))


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


@dataclass(frozen=True)
class ReducedSpace:
    """Units in the leading dimensions of latent semantic analysis (truncated SVD of their TF-IDF rows).

    Raw TF-IDF rows are long, sparse and mostly made of words that say nothing about a group ("said", numbers,
    one-off names): every pair of units is nearly orthogonal, silhouettes are flat (0.01–0.03 on real news) and
    average linkage chains everything into one cluster. A few leading SVD dimensions keep the shared themes.

    Attributes
    ----------
    coordinates : numpy.ndarray
        Units × dimensions, the SVD coordinates (not normalised), strongest dimension first.
    explained_variance_ratio : numpy.ndarray
        Share of the TF-IDF variance each dimension keeps.
    """

    coordinates: np.ndarray
    explained_variance_ratio: np.ndarray

    @property
    def n_dimensions(self) -> int:
        return int(self.coordinates.shape[1])

    def leading(self, k: int) -> np.ndarray:
        """Rows in the ``k`` leading dimensions (at least 2), L2-normalised: what k clusters are found in,
        as spectral clustering uses k eigenvectors for k clusters."""
        width = min(max(int(k), 2), self.n_dimensions)
        return normalize(self.coordinates[:, :width], norm="l2")

    def scoring(self) -> np.ndarray:
        """Rows in all dimensions, L2-normalised: the space silhouettes are measured in, the same for every k."""
        return normalize(self.coordinates, norm="l2")


def reduce_units(matrix, *, n_dimensions: int = REDUCED_DIMENSIONS, random_state: int = 42,
                 memo: Memo | None = None) -> ReducedSpace:
    """Latent semantic analysis of ``matrix`` (units × terms): truncated SVD into at most ``n_dimensions``.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array
        Units × terms (e.g. TF-IDF); rows are L2-normalised first.
    n_dimensions : int
        Dimensions kept (fewer when there are fewer units or terms).
    random_state : int
        Seed of the randomised SVD: the same input gives the same coordinates.
    memo : Memo, optional
        Where reductions are kept (``prepared.memo``): the same matrix reduced with the same settings is read
        back (the same coordinates) instead of computed, e.g. when notebook 04 reruns with another ``N_TOPICS``.

    Returns
    -------
    ReducedSpace

    Notes
    -----
    Cost: scikit-learn's randomised SVD, a few sparse products with an ``n_dimensions``-column block.
    """
    data = _check_matrix(matrix)
    check_whole_number(n_dimensions, "n_dimensions")
    if memo is None:
        return _reduced(data, n_dimensions, random_state)
    key = memo_key(matrix=digest_arrays(data), n_dimensions=int(n_dimensions), random_state=random_state)
    found = memo.get_or_compute("lsa", key, lambda: _reduced_arrays(_reduced(data, n_dimensions, random_state)))
    return ReducedSpace(found["coordinates"], found["explained_variance_ratio"])


def _reduced(data, n_dimensions: int, random_state: int) -> ReducedSpace:
    """:func:`reduce_units` of a matrix :func:`_check_matrix` gave (no second copy of it: a million pages'
    paragraphs take about 2.5 GB)."""
    width = max(1, min(n_dimensions, data.shape[0] - 1, data.shape[1] - 1))
    if width < 2 or data.shape[0] < 3:
        dense = data.toarray() if sparse.issparse(data) else np.asarray(data)
        coordinates = np.zeros((data.shape[0], 2))
        coordinates[:, : min(2, dense.shape[1])] = dense[:, :2]
        return ReducedSpace(coordinates, np.zeros(2))
    svd = TruncatedSVD(n_components=width, algorithm="randomized", n_iter=7, random_state=random_state)
    coordinates = svd.fit_transform(data)
    return ReducedSpace(_flip_signs(coordinates), svd.explained_variance_ratio_)


def _reduced_arrays(space: ReducedSpace) -> dict[str, np.ndarray]:
    return {"coordinates": space.coordinates, "explained_variance_ratio": space.explained_variance_ratio}


def _as_space(data, n_clusters: int, random_state: int):
    """Dense rows to cluster: a :class:`ReducedSpace` or a sparse TF-IDF matrix go to their ``n_clusters``
    leading dimensions; a dense array is used as given (rows L2-normalised)."""
    if isinstance(data, ReducedSpace):
        return data.leading(n_clusters)
    if sparse.issparse(data):
        return reduce_units(data, n_dimensions=max(n_clusters, 2), random_state=random_state).leading(n_clusters)
    return normalize(np.asarray(data, dtype=np.float64), norm="l2")


def ward_labels(points: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """Ward linkage on the rows of ``points`` (Euclidean) cut into ``n_clusters``: ``(labels 0..k-1, linkage)``."""
    if len(points) < 2:
        return np.zeros(len(points), dtype=np.int64), np.empty((0, 4))
    tree = linkage(points, method="ward")
    return cut_tree(tree, n_clusters=min(n_clusters, len(points))).ravel(), tree


def silhouette_by_k(
    space, ks: Iterable[int], *, random_state: int = 42, n_init: int = 10, sample_size: int = SAMPLE_SIZE,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Mean silhouette of k-means and of Ward clusterings for each k: higher means tighter, better separated.

    Each k is clustered in its own k leading dimensions (:meth:`ReducedSpace.leading`) and scored in the
    same space for every k (:meth:`ReducedSpace.scoring`), so the scores compare across k.

    Parameters
    ----------
    space : ReducedSpace or scipy.sparse matrix
        The units; a TF-IDF matrix is reduced with :func:`reduce_units` first.
    ks : iterable of int
        Candidate numbers of clusters; each must lie in 2 … n_units − 1 (others raise ``ValueError``).
    random_state, n_init : int
        As in :func:`cluster_kmeans`.
    sample_size : int
        With more units than this, clusterings are fitted and scored on a fixed-seed sample of this size.
    memo : Memo, optional
        Where score tables are kept (``prepared.memo``): the same space and settings give the stored scores.

    Returns
    -------
    pandas.DataFrame
        Columns ``k``, ``silhouette`` (k-means), ``silhouette_ward``, ``n_units`` (units scored), ``sampled``
        (bool); sorted by ``k``. A ``k`` at least the number of distinct units (repeated paragraphs) is not fitted:
        its scores are NaN (k-means cannot make more clusters than distinct points, and as many would only group
        copies).

    Notes
    -----
    Cost: per k one k-means fit and one Ward tree on at most ``sample_size`` units of a few dimensions.
    """
    if not isinstance(space, ReducedSpace):
        space = reduce_units(space, random_state=random_state, memo=memo)
    ks = sorted(set(int(k) for k in ks))
    if memo is not None and ks:
        key = memo_key(space=digest_arrays(space.coordinates), ks=ks, random_state=random_state, n_init=n_init,
                       sample_size=sample_size)
        found = memo.get_or_compute("silhouettes", key, lambda: dict(silhouette_by_k(
            space, ks, random_state=random_state, n_init=n_init, sample_size=sample_size).items()))
        return pd.DataFrame({column: found[column] for column in _SILHOUETTE_COLUMNS})
    index = sample_index(len(space.coordinates), sample_size, random_state=random_state)
    sample = ReducedSpace(space.coordinates[index], space.explained_variance_ratio)
    scored = sample.scoring()
    rows = []
    for k in ks:
        if not 2 <= k <= len(index) - 1:
            raise ValueError(f"k={k} is outside 2 … {len(index) - 1} (the silhouette needs 2 ≤ k < number of units)")
        points = sample.leading(k)
        if k >= len(np.unique(points, axis=0)):  # as many clusters as distinct units (repeated ones): nothing to group
            rows.append({"k": k, "silhouette": float("nan"), "silhouette_ward": float("nan"), "n_units": int(len(index)),
                         "sampled": bool(len(index) < len(space.coordinates))})
            continue
        by_kmeans = cluster_kmeans(points, k, random_state=random_state, n_init=n_init)
        by_ward = ward_labels(points, k)[0]
        rows.append({"k": k, "silhouette": _silhouette(scored, by_kmeans), "silhouette_ward": _silhouette(scored, by_ward),
                     "n_units": int(len(index)), "sampled": bool(len(index) < len(space.coordinates))})
    return pd.DataFrame(rows, columns=_SILHOUETTE_COLUMNS)


_SILHOUETTE_COLUMNS = ["k", "silhouette", "silhouette_ward", "n_units", "sampled"]


def _silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    return float(silhouette_score(points, labels)) if 1 < len(np.unique(labels)) < len(labels) else float("nan")


def best_k(scores: pd.DataFrame, column: str = "silhouette") -> int:
    """The ``k`` with the highest ``column`` in a :func:`silhouette_by_k` table (the smaller k on ties)."""
    valid = scores.dropna(subset=[column])
    if valid.empty:
        raise ValueError("no silhouette score to choose k from; set N_CLUSTERS explicitly")
    best = valid[column].round(6).max()
    return int(valid.loc[valid[column].round(6) == best, "k"].min())


@dataclass(frozen=True)
class KChoice:
    """The number of clusters used and how far to trust it.

    Attributes
    ----------
    k : int
        Number of clusters.
    how : str
        ``"fixed"`` (given by the user) or ``"silhouette"`` (best k-means silhouette).
    warnings : tuple of str
        One sentence per reason for doubt: flat curve, edge of the range, methods disagreeing, weak separation.
    """

    k: int
    how: str
    warnings: tuple[str, ...]

    @property
    def uncertain(self) -> bool:
        return bool(self.warnings)


#: Below this silhouette the clusters overlap heavily (Kaufman and Rousseeuw: "no substantial structure").
WEAK_SILHOUETTE = 0.25
#: The next-best k scoring within this share of the best silhouette: the choice between them is arbitrary.
FLAT_MARGIN = 0.05


def choose_k(scores: pd.DataFrame, *, fixed: int | None = None, n_units: int | None = None) -> KChoice:
    """Choose k from a :func:`silhouette_by_k` table (or take ``fixed``) and say why it may be uncertain.

    The k with the best k-means silhouette is chosen; warnings are raised when the runner-up scores within
    :data:`FLAT_MARGIN` (5 %) of it, when k is the top of the searched range (more clusters may fit better), when Ward's
    best k differs by more than one, and when the silhouette at k is below :data:`WEAK_SILHOUETTE`. With no
    score (fewer than 4 units) and no ``fixed`` k, everything is one cluster (k = 1) and the warning says why.
    """
    warnings: list[str] = []
    if fixed is not None and n_units is not None and fixed > n_units:
        raise ValueError(f"N_CLUSTERS = {fixed} is more than the {n_units} units to cluster; lower it")
    if fixed is None and scores["silhouette"].notna().sum() == 0:
        if len(scores):  # k from 2 up could be tried, but the units repeat: not even two clusters of distinct points
            return KChoice(1, "too few", (f"the units hold no more than {int(scores['k'].min())} distinct points (repeated units); "
                                          "set N_CLUSTERS to cluster them anyway",))
        count = f"{n_units} unit(s) are" if n_units is not None else "the units are"
        return KChoice(1, "too few", (f"{count} too few to choose a number of clusters (at least 4 are needed); set N_CLUSTERS",))
    valid = scores.dropna(subset=["silhouette"]).sort_values("silhouette", ascending=False, kind="stable")
    if fixed is not None:
        check_whole_number(fixed, "N_CLUSTERS")
        k, how = int(fixed), "fixed"
    else:
        k, how = best_k(scores), "silhouette"
        best, second = (valid["silhouette"].iloc[0], valid["silhouette"].iloc[1]) if len(valid) > 1 else (0.0, 0.0)
        if best > 0 and best - second < FLAT_MARGIN * best:
            runner_up = int(valid["k"].iloc[1]) if int(valid["k"].iloc[0]) == k else int(valid["k"].iloc[0])
            warnings.append(f"flat curve: k = {runner_up} scores within {FLAT_MARGIN:.0%} of k = {k} "
                            f"({second:.3f} against {best:.3f}), so the choice between them is arbitrary")
        unscored = scores.loc[scores["silhouette"].isna() & (scores["k"] > k), "k"]
        if len(unscored):
            warnings.append(f"the units hold only {int(unscored.min())} distinct points (repeated units): k = {int(unscored.min())} "
                            "and above would only split copies, so they are not scored")
        elif len(scores) > 1 and k == int(scores["k"].max()):
            warnings.append(f"k = {k} is the top of the searched range: more clusters may fit better (raise MAX_K)")
        if scores["silhouette_ward"].notna().any() and abs(best_k(scores, "silhouette_ward") - k) > 1:
            warnings.append(f"the methods disagree: Ward's best silhouette is at k = {best_k(scores, 'silhouette_ward')}")
    at_k = scores.loc[scores["k"] == k, "silhouette"]
    if len(at_k) and round(float(at_k.iloc[0]), 2) < WEAK_SILHOUETTE:
        warnings.append(f"weak separation: silhouette {at_k.iloc[0]:.2f} at k = {k} is below {WEAK_SILHOUETTE}, "
                        "so the clusters overlap heavily (read them as one possible partition, not as natural groups)")
    return KChoice(k, how, tuple(warnings))


@dataclass(frozen=True)
class Hierarchy:
    """Ward agglomerative clustering in the k leading LSA dimensions.

    Attributes
    ----------
    labels : numpy.ndarray
        One cluster number per unit (1..k, cluster 1 the largest); units outside the sample join the cluster
        with the nearest sampled centroid.
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
    space, n_clusters: int, *, max_units: int = HIERARCHY_MAX_UNITS, random_state: int = 42
) -> Hierarchy:
    """Agglomerative clustering with Ward linkage, cut into ``n_clusters``.

    Parameters
    ----------
    space : ReducedSpace, scipy.sparse matrix or array
        The units. A :class:`ReducedSpace` or a TF-IDF matrix is clustered in its ``n_clusters`` leading
        LSA dimensions; a dense array is clustered as given (rows L2-normalised).
    n_clusters : int
        Number of clusters to cut the tree into.
    max_units : int
        With more units than this, the tree is built on a fixed-seed sample of ``max_units`` units and every
        other unit joins the cluster with the nearest centroid.
    random_state : int
        Seed of the sample (and of the SVD when a TF-IDF matrix is given).

    Returns
    -------
    Hierarchy

    Notes
    -----
    Cost: O(m²) Ward linkage on m = min(units, max_units) rows of a few dimensions; assigning the other
    units is one units × k distance computation.
    """
    n_units = len(space.coordinates) if isinstance(space, ReducedSpace) else space.shape[0]
    _check_k(n_clusters, n_units)
    points = _as_space(space, n_clusters, random_state)
    index = sample_index(len(points), max_units, random_state=random_state)
    if len(index) < 2:
        return Hierarchy(np.ones(len(points), dtype=np.int64), np.empty((0, 4)), index, False)
    sample_labels, tree = ward_labels(points[index], n_clusters)
    if len(index) == len(points):
        labels = sample_labels
    else:
        k = int(sample_labels.max()) + 1
        centroids = np.vstack([points[index][sample_labels == cluster].mean(axis=0) for cluster in range(k)])
        distances = (points**2).sum(axis=1)[:, None] - 2 * points @ centroids.T + (centroids**2).sum(axis=1)[None, :]
        labels = distances.argmin(axis=1)
        labels[index] = sample_labels
    return Hierarchy(_relabel_by_size(labels), tree, index, bool(len(index) < len(points)))


def leaf_clusters(hierarchy: Hierarchy) -> np.ndarray:
    """The cluster number (1..k, as in :attr:`Hierarchy.labels`) of each sampled unit, in linkage leaf order."""
    return hierarchy.labels[hierarchy.sample]


def _labels_at(unit_labels: Sequence[str] | pd.Series, positions: np.ndarray) -> list:
    """The labels at ``positions``, without turning a whole column into Python strings."""
    if isinstance(unit_labels, pd.Series):
        return take_rows(unit_labels, positions).tolist()
    return [unit_labels[position] for position in positions.tolist()]


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
    unit_labels : sequence of str or pandas.Series
        Short label per unit (``"D2 ¶5"``, ``"D1 Suzhou: …"``); a Series (``units["label"]``) is read only at the
        members listed.
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
    rows = []
    for position, cluster in enumerate(clusters):
        top = np.argsort(-means[position], kind="stable")[:n_terms]
        members = np.flatnonzero(codes == position)
        members = members[np.lexsort((members, -centrality[members]))]
        listed = "; ".join(str(name) for name in _labels_at(unit_labels, members[:n_members]))
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
