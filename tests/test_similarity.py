"""Tests for corpus_utils.analysis.similarity: chunked top-k neighbours and pairs against dense cosine, 2-D maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

import corpus_utils.analysis.similarity as similarity_module
from corpus_utils.analysis.sampling import neighbour_sources, sample_index
from corpus_utils.analysis.similarity import (
    default_chunk_size,
    pairs_from_neighbours,
    project_2d,
    top_k_neighbours,
)
from reference import most_similar_pairs


@pytest.fixture(params=["mixed", "all_sparse", "all_dense", "topn", "topn_blocks", "dense_terms", "dense_terms_blocks",
                        "dense_terms_parts"])
def product_path(request, monkeypatch):
    """Run a test with frequent terms multiplied densely (default), with none, with every term dense, through
    sparse_dot_topn (with its exact fall-back for rows tied at the k-th neighbour), and through the dense-terms
    path (BLAS for the shared terms, sparse_dot_topn's full product for the others, kept candidates summed again),
    the last two against the whole matrix or against blocks of 3 target rows whose top k are merged; the
    dense-terms path also in parts of 3 targets, each part's candidates only those above the kept-th so far.

    A small column sample makes the candidate bound weak, so the exact fall-back is exercised too.
    """
    topn = request.param.startswith(("topn", "dense_terms"))
    ratio = {"all_sparse": 0, "all_dense": 10**9}.get(request.param, similarity_module.DENSE_DF_RATIO)
    monkeypatch.setattr(similarity_module, "DENSE_DF_RATIO", ratio)
    monkeypatch.setattr(similarity_module, "TOPN_MIN_PRODUCT", 0 if topn else 10**18)
    _choose_product(monkeypatch, "dense_terms" if request.param.startswith("dense_terms") else "topn")
    if request.param.endswith("blocks"):
        monkeypatch.setattr(similarity_module, "TARGET_BLOCK_ROWS", 3)
    if request.param.endswith("parts"):
        monkeypatch.setattr(similarity_module, "DENSE_TARGET_ROWS", 3)
    monkeypatch.setattr(similarity_module, "SAMPLE_COLUMNS", 4)
    return request.param


def _choose_product(monkeypatch, product: str, *, dense_share: float = 1.0) -> None:
    """Make the cost model pick sparse_dot_topn's top-n product, or the dense-terms path with every shared term
    dense (``dense_share`` 1) or only the terms shared by at least that share of all query × target pairs."""
    if product == "topn":
        monkeypatch.setattr(similarity_module, "DENSE_SECONDS_PER_PRODUCT", float("inf"))
        return
    monkeypatch.setattr(similarity_module, "TOPN_SECONDS_PER_PRODUCT", 1.0)
    monkeypatch.setattr(similarity_module, "SPARSE_SECONDS_PER_PRODUCT", 1.0)
    monkeypatch.setattr(similarity_module, "DENSE_SECONDS_PER_PRODUCT", dense_share if dense_share < 1 else 1e-12)


def _random_matrix(n_rows: int, n_cols: int, density: float, seed: int) -> sp.csr_matrix:
    matrix = sp.random(n_rows, n_cols, density=density, format="csr", random_state=seed, dtype=np.float64)
    return matrix


def _dense_neighbours(matrix, k: int) -> pd.DataFrame:
    """Reference: dense cosine, self excluded, sorted by similarity desc then index asc."""
    similarity = cosine_similarity(matrix)
    rows = []
    for source in range(similarity.shape[0]):
        values = similarity[source].copy()
        others = [target for target in range(len(values)) if target != source]
        others.sort(key=lambda target: (-round(values[target], 9), target))
        for rank, target in enumerate(others[:k], start=1):
            rows.append((source, target, rank, values[target]))
    return pd.DataFrame(rows, columns=["source", "target", "rank", "similarity"])


# ---------------------------------------------------------------- top_k_neighbours


@pytest.mark.parametrize(
    ("n_rows", "n_cols", "density", "k", "chunk_size", "seed"),
    [
        (30, 50, 0.2, 5, 7, 0),
        (40, 20, 0.3, 10, 1, 1),
        (25, 200, 0.05, 3, None, 2),  # sparse enough that some rows share nothing (similarity 0 ties)
        (12, 8, 0.5, 11, 5, 3),  # k = n - 1: every other row
        (12, 8, 0.5, 50, 4, 4),  # k > n - 1 is capped
    ],
)
def test_top_k_neighbours_matches_dense_cosine(n_rows, n_cols, density, k, chunk_size, seed, product_path):
    matrix = _random_matrix(n_rows, n_cols, density, seed)
    got = top_k_neighbours(matrix, k=k, chunk_size=chunk_size)
    expected = _dense_neighbours(matrix, min(k, n_rows - 1))
    assert list(got.columns) == ["source", "target", "rank", "similarity"]
    assert len(got) == n_rows * min(k, n_rows - 1)
    np.testing.assert_array_equal(got["source"].to_numpy(), expected["source"].to_numpy())
    np.testing.assert_allclose(got["similarity"].to_numpy(), expected["similarity"].to_numpy(), atol=1e-6)
    # same neighbours: identical wherever the similarity is not tied within float32 precision
    np.testing.assert_array_equal(got["target"].to_numpy(), expected["target"].to_numpy())
    assert (got["source"] != got["target"]).all()


def test_top_k_neighbours_exact_values_and_tie_breaking(product_path):
    # rows 0 and 1 are identical, row 2 is orthogonal to both, row 3 is half-way between 0 and 2
    matrix = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    got = top_k_neighbours(matrix, k=2)
    half = 1 / np.sqrt(2)
    expected = pd.DataFrame(
        {
            "source": [0, 0, 1, 1, 2, 2, 3, 3],
            "target": [1, 3, 0, 3, 3, 0, 0, 1],  # row 2: 0 and 1 tie at 0.0 → lower index (0) wins
            "rank": [1, 2, 1, 2, 1, 2, 1, 2],
            "similarity": [1.0, half, 1.0, half, half, 0.0, half, half],
        }
    )
    pd.testing.assert_frame_equal(got[["source", "target", "rank"]], expected[["source", "target", "rank"]])
    np.testing.assert_allclose(got["similarity"], expected["similarity"], atol=1e-7)


def test_top_k_neighbours_zero_row_and_dense_input():
    matrix = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    got = top_k_neighbours(matrix, k=1)
    assert got["target"].tolist() == [2, 0, 0]
    np.testing.assert_allclose(got["similarity"], [1 / np.sqrt(2), 0.0, 1 / np.sqrt(2)], atol=1e-7)


@pytest.mark.parametrize("n_rows", [0, 1])
def test_top_k_neighbours_too_few_rows_is_empty(n_rows):
    got = top_k_neighbours(sp.csr_matrix((n_rows, 4)), k=3)
    assert got.empty and list(got.columns) == ["source", "target", "rank", "similarity"]


@pytest.mark.parametrize(("chunk_size", "seed"), [(None, 0), (7, 1), (1, 2)])
def test_top_k_neighbours_of_some_rows_equal_those_rows_of_the_full_table(chunk_size, seed, product_path):
    matrix = _random_matrix(90, 40, 0.15, seed)
    full = top_k_neighbours(matrix, k=6)
    rows = sample_index(90, 25, random_state=seed)
    part = top_k_neighbours(matrix, k=6, rows=rows[::-1].tolist() + [int(rows[0])], chunk_size=chunk_size)
    expected = full[full["source"].isin(rows)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.drop(columns="similarity"), expected.drop(columns="similarity"))
    np.testing.assert_allclose(part["similarity"], expected["similarity"], atol=1e-6)


@pytest.mark.parametrize("rows", [[5], [-1], [[0, 1]], [0.5]])
def test_top_k_neighbours_rejects_bad_rows(rows):
    with pytest.raises(ValueError, match="rows"):
        top_k_neighbours(sp.identity(4, format="csr"), k=2, rows=rows)


@pytest.mark.parametrize(("keyword", "value"), [("k", 0), ("k", 2.5), ("chunk_size", 0), ("chunk_size", -3)])
def test_top_k_neighbours_rejects_bad_options(keyword, value):
    with pytest.raises(ValueError, match=keyword):
        top_k_neighbours(sp.identity(4, format="csr"), **{keyword: value})


def test_default_chunk_size_bounds_block_memory():
    assert default_chunk_size(10) == 10
    assert default_chunk_size(100_000) == 2**24 // 100_000
    assert default_chunk_size(0) == 1


# ---------------------------------------------------------------- most_similar_pairs


@pytest.mark.parametrize(("top", "chunk_size", "seed"), [(10, 3, 0), (25, None, 1), (1000, 4, 2)])
def test_most_similar_pairs_matches_dense(top, chunk_size, seed, product_path):
    matrix = _random_matrix(20, 30, 0.25, seed)
    similarity = cosine_similarity(matrix)
    upper = np.triu_indices(20, k=1)
    reference = pd.DataFrame({"source": upper[0], "target": upper[1], "similarity": similarity[upper]})
    reference = reference.sort_values(["similarity", "source", "target"], ascending=[False, True, True], kind="stable")
    reference = reference.head(top).reset_index(drop=True)
    got = most_similar_pairs(matrix, top=top, chunk_size=chunk_size)
    assert len(got) == min(top, 190)
    assert (got["source"] < got["target"]).all()
    np.testing.assert_allclose(got["similarity"], reference["similarity"], atol=1e-6)
    nonzero = reference["similarity"] > 1e-6  # pairs sharing no term tie at 0; compare the rest exactly
    pd.testing.assert_frame_equal(got.loc[nonzero, ["source", "target"]], reference.loc[nonzero, ["source", "target"]])


def test_most_similar_pairs_min_similarity_and_exact_values():
    matrix = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    got = most_similar_pairs(matrix, top=10, min_similarity=0.5)
    assert got[["source", "target"]].values.tolist() == [[0, 1], [0, 3], [1, 3], [2, 3]]
    np.testing.assert_allclose(got["similarity"], [1.0] + [1 / np.sqrt(2)] * 3, atol=1e-7)
    assert most_similar_pairs(matrix, top=10, min_similarity=1.5).empty


@pytest.mark.parametrize("top", [0, -1, True])
def test_most_similar_pairs_rejects_bad_top(top):
    with pytest.raises(ValueError, match="top"):
        most_similar_pairs(sp.identity(3, format="csr"), top=top)


@pytest.mark.parametrize(("n_rows", "top", "seed"), [(20, 5, 0), (30, 10, 1), (6, 15, 2)])
def test_pairs_from_neighbours_equals_most_similar_pairs(n_rows, top, seed):
    matrix = _random_matrix(n_rows, 15, 0.3, seed)
    neighbours = top_k_neighbours(matrix, k=top)
    pd.testing.assert_frame_equal(pairs_from_neighbours(neighbours, top=top), most_similar_pairs(matrix, top=top))


def test_pairs_from_neighbours_refuses_too_small_k():
    neighbours = top_k_neighbours(_random_matrix(20, 15, 0.3, 0), k=3)
    with pytest.raises(ValueError, match="k >= 5"):
        pairs_from_neighbours(neighbours, top=5)


# ---------------------------------------------------------------- project_2d


def test_project_2d_matches_exact_svd_and_is_deterministic():
    matrix = _random_matrix(15, 12, 0.4, 5)
    got = project_2d(matrix)
    assert got.shape == (15, 2) and got.dtype == np.float64
    left, singular, _ = np.linalg.svd(matrix.toarray(), full_matrices=False)
    expected = left[:, :2] * singular[:2]
    for column in range(2):  # same up to sign; the sign rule makes the largest |coordinate| positive
        signed = expected[:, column] * np.sign(expected[np.abs(expected[:, column]).argmax(), column])
        np.testing.assert_allclose(got[:, column], signed, atol=1e-8)
        assert got[np.abs(got[:, column]).argmax(), column] > 0
    np.testing.assert_array_equal(project_2d(matrix), got)


def test_project_2d_ignores_last_bit_differences_of_the_input():
    # Multi-threaded BLAS may move the last bits of an SVD between runs; the map (and the figure laid
    # out around it) must not move with them.
    matrix = _random_matrix(40, 30, 0.3, 11)
    nudged = matrix.copy()
    nudged.data = np.nextafter(nudged.data, np.inf)  # every weight one ulp up
    exact = project_2d(matrix)
    assert not np.array_equal(exact, project_2d(matrix * (1 + 1e-6)))  # a real change still shows
    np.testing.assert_array_equal(project_2d(nudged), exact)
    assert not np.signbit(exact[exact == 0]).any()  # no -0.0 written to a CSV


@pytest.mark.parametrize(
    ("dense", "expected"),
    [
        (np.zeros((0, 5)), np.zeros((0, 2))),
        (np.array([[3.0, 4.0, 0.0]]), np.array([[5.0, 0.0]])),  # one row: its norm on the first axis
        (np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 0.0]])),  # two rows
        (np.array([[2.0], [0.0], [-1.0]]), np.array([[2.0, 0.0], [0.0, 0.0], [-1.0, 0.0]])),  # one column
        (np.zeros((4, 3)), np.zeros((4, 2))),  # nothing to project
    ],
)
def test_project_2d_degrades_gracefully_for_tiny_inputs(dense, expected):
    np.testing.assert_allclose(project_2d(sp.csr_matrix(dense)), expected, atol=1e-12)


def test_project_2d_rejects_non_2d_input():
    with pytest.raises(ValueError, match="2-D"):
        project_2d(np.arange(5.0))


def test_sparse_dot_topn_path_equals_the_blocks_with_ties_and_empty_rows(monkeypatch):
    rng = np.random.default_rng(3)
    base = (rng.random((12, 30)) < 0.2) * rng.integers(1, 4, (12, 30))
    copies = np.repeat(base[:1], 12, axis=0)  # twelve equal rows: ties past the candidates kept per row
    matrix = sp.csr_matrix(np.vstack([base, base, copies[:4], np.zeros((3, 30)), copies[4:]]).astype(np.float64))
    monkeypatch.setattr(similarity_module, "TOPN_MIN_PRODUCT", 10**18)
    expected = top_k_neighbours(matrix, k=4)
    exact_rows = []
    exact = similarity_module._top_k_exact
    monkeypatch.setattr(similarity_module, "_top_k_exact", lambda queries, rows, *rest: (exact_rows.append(rows), exact(queries, rows, *rest))[1])
    monkeypatch.setattr(similarity_module, "TOPN_MIN_PRODUCT", 0)
    monkeypatch.setattr(similarity_module, "TOPN_MARGIN", 0)
    got = top_k_neighbours(matrix, k=4)
    assert exact_rows and 0 < len(exact_rows[0]) < matrix.shape[0]  # the tied rows, and only they, were recomputed
    pd.testing.assert_frame_equal(got[["source", "rank"]], expected[["source", "rank"]])
    np.testing.assert_allclose(got["similarity"], expected["similarity"], atol=1e-6)
    # a target may differ only inside a tie: the dense path sums through BLAS, whose float32 rounding of two equal
    # rows can differ by position, so equal rows (12, 24-27, 32-39 here) may come in another order
    exact = cosine_similarity(matrix)
    differ = got["target"].to_numpy() != expected["target"].to_numpy()
    sources = got["source"].to_numpy()[differ]
    np.testing.assert_allclose(exact[sources, got["target"].to_numpy()[differ]],
                               exact[sources, expected["target"].to_numpy()[differ]], atol=1e-12)
    assert got[got["source"].between(28, 30)]["similarity"].eq(0).all()  # empty rows: the lowest other rows, at 0


@pytest.mark.parametrize("dense_share", [1.0, 0.2])
@pytest.mark.parametrize(("margin", "block_rows", "part_rows"), [(0, 2**16, 2**14), (8, 2**16, 2**14), (0, 5, 2**14),
                                                                 (0, 2**16, 4), (8, 2**16, 7)])
def test_dense_terms_path_equals_sparse_dot_topn_bit_for_bit(monkeypatch, dense_share, margin, block_rows, part_rows):
    """Duplicated rows (ties at the k-th neighbour past the candidates kept), all-zero rows, rows sharing nothing,
    frequent and rare terms: the dense-terms path gives sparse_dot_topn's table, targets and float32 values alike,
    and leaves to the exact product only rows whose kept candidates may cut a tie (none of the others)."""
    rng = np.random.default_rng(11)
    base = (rng.random((14, 40)) < 0.15) * rng.integers(1, 5, (14, 40))
    base[:, :3] = rng.integers(1, 4, (14, 3))  # three terms in every row: the dense part
    base[13] = 0
    base[13, 39] = 1  # a row sharing its only term with nobody
    copies = np.repeat(base[2:3], 9, axis=0)
    matrix = sp.csr_matrix(np.vstack([base, copies[:5], np.zeros((2, 40)), base[::-1], copies[5:]]).astype(np.float64))
    monkeypatch.setattr(similarity_module, "TOPN_MIN_PRODUCT", 0)
    monkeypatch.setattr(similarity_module, "TOPN_MARGIN", margin)
    monkeypatch.setattr(similarity_module, "TARGET_BLOCK_ROWS", block_rows)
    monkeypatch.setattr(similarity_module, "DENSE_TARGET_ROWS", part_rows)
    _choose_product(monkeypatch, "topn")
    expected = top_k_neighbours(matrix, k=4)
    exact_rows, dense_calls = [], []
    exact, dense_path = similarity_module._top_k_exact, similarity_module._top_k_by_dense_terms
    monkeypatch.setattr(similarity_module, "_top_k_exact", lambda queries, rows, *rest: (exact_rows.extend(rows), exact(queries, rows, *rest))[1])
    monkeypatch.setattr(similarity_module, "_top_k_by_dense_terms", lambda *args: (dense_calls.append(args[-1].size), dense_path(*args))[1])
    _choose_product(monkeypatch, "dense_terms", dense_share=dense_share)
    got = top_k_neighbours(matrix, k=4)
    assert dense_calls and (min(dense_calls) < 40 if dense_share < 1 else max(dense_calls) > 3)
    pd.testing.assert_frame_equal(got, expected)
    # a row is left to the exact product only when its k-th neighbour ties with its last kept candidate
    similarity = cosine_similarity(matrix)
    np.fill_diagonal(similarity, -1.0)
    kept = 4 + 1 + max(4, margin)
    for row in set(exact_rows):
        ranked = np.sort(similarity[row])[::-1]
        assert ranked[3] - ranked[kept - 1] < 1e-5
    if margin == 0 and block_rows > matrix.shape[0]:
        assert exact_rows  # every row has a copy: ties there are


def _top_k_by_sorting(block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference: each row's k largest by value descending, then lower column, by a full sort."""
    order = np.lexsort((np.broadcast_to(np.arange(block.shape[1]), block.shape), -block), axis=1)[:, :k]
    return order, np.take_along_axis(block, order, axis=1)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("sample_columns", [4, 8192])
def test_top_k_in_block_with_and_without_a_floor_equals_a_full_sort(monkeypatch, seed, sample_columns):
    """Blocks of few distinct values (ties at the k-th), all-zero rows and an excluded cell: the top k of a block
    alone, and the top k of an earlier block merged with those of a later block above the earlier k-th value,
    are those of a full sort of both blocks side by side."""
    monkeypatch.setattr(similarity_module, "SAMPLE_COLUMNS", sample_columns)
    rng = np.random.default_rng(seed)
    k = 5
    left, right = (rng.integers(0, 6, (40, n_cols)).astype(np.float32) / 5 for n_cols in (37, 90))
    left[3], right[3], right[5] = 0, 0, 0  # rows of zeros: every entry ties
    right[7, 11] = -np.inf  # a row's own column, excluded
    columns, values = similarity_module._top_k_in_block(right, k)
    expected_columns, expected_values = _top_k_by_sorting(right, k)
    np.testing.assert_array_equal(columns, expected_columns)
    np.testing.assert_array_equal(values, expected_values)
    earlier = similarity_module._top_k_in_block(left, k)
    later = similarity_module._top_k_in_block(right, k, floor=earlier[1][:, -1])
    assert (later[0] == -1).any() and (later[0] >= 0).sum(axis=1).max() <= k  # rows with fewer than k above the floor
    merged = similarity_module._merge_top_k([earlier, (np.where(later[0] < 0, -1, later[0] + 37), later[1])], k)
    expected_columns, expected_values = _top_k_by_sorting(np.hstack([left, right]), k)
    np.testing.assert_array_equal(merged[0], expected_columns)
    np.testing.assert_array_equal(merged[1], expected_values)


def test_pair_similarities_are_the_sparse_products_bit_for_bit():
    rng = np.random.default_rng(4)
    queries = similarity_module._normalised(sp.random(30, 300, density=0.3, format="csr", random_state=1))
    targets = similarity_module._normalised(sp.random(50, 300, density=0.3, format="csr", random_state=2))
    rows, columns = rng.integers(0, 30, 400), rng.integers(0, 50, 400)
    got = similarity_module._pair_similarities(queries, rows, targets, columns)
    product = (queries @ targets.T).toarray()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, product[rows, columns])


def test_without_columns_drops_those_weights_only():
    matrix = sp.csr_matrix(np.array([[1.0, 2.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0], [0.0, 5.0, 6.0, 0.0], [7.0, 0.0, 0.0, 0.0]]))
    got = similarity_module._without_columns(matrix, np.array([1, 3]))
    np.testing.assert_array_equal(got.toarray(), [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 6, 0], [7, 0, 0, 0]])
    assert got.has_sorted_indices and got.nnz == 3


def test_cost_model_picks_dense_terms_where_shared_terms_dominate():
    everywhere = sp.csr_matrix(np.ones((200, 5)))
    queries, targets_t = everywhere[:100], everywhere.T.tocsr()
    assert (similarity_module._dense_terms(queries, targets_t) == np.arange(5)).all()
    rare = sp.identity(200, format="csr")  # no term shared: nothing to gain from dense blocks
    assert similarity_module._dense_terms(rare[:100], rare.T.tocsr()) is None


class _InProcessScheduler:
    """What ``_top_k_on`` asks of a Dask scheduler, run here: blocks in order, each folded into every part's result."""

    n_threads = 2

    def __init__(self) -> None:
        self.block_rows: list[int] = []

    def fold_blocks(self, function, parts, blocks, *, merge, prepare_part, prepare_block, **shared):
        parts, results = [prepare_part(part) for part in parts], None
        for block in blocks:
            self.block_rows.append(block[0].shape[0])
            found = [function(part, prepare_block(block), **shared) for part in parts]
            results = found if results is None else [merge(old, new) for old, new in zip(results, found)]
        return results


@pytest.mark.parametrize(("block_nnz", "block_rows"), [(1, 2**16), (7, 2), (40, 2**16), (40, 3), (10**9, 2**16), (10**9, 4)])
@pytest.mark.parametrize("sampled", [False, True])
def test_blocks_of_targets_merged_give_the_neighbours_of_the_whole_matrix(monkeypatch, block_nnz, block_rows, sampled):
    """On Dask the targets come in blocks of at most TARGET_BLOCK_NNZ weights, each block's top k merged into the
    query block's: the same table as the whole matrix, with ties past the candidates kept, all-zero rows and blocks
    of one row."""
    rng = np.random.default_rng(5)
    base = (rng.random((10, 25)) < 0.25) * rng.integers(1, 4, (10, 25))
    copies = np.repeat(base[:1], 9, axis=0)  # equal rows: ties at the k-th neighbour
    matrix = sp.csr_matrix(np.vstack([base, copies[:4], np.zeros((3, 25)), base[::-1], copies[4:]]).astype(np.float64))
    rows = np.arange(0, matrix.shape[0], 3) if sampled else np.arange(matrix.shape[0])
    monkeypatch.setattr(similarity_module, "TOPN_MIN_PRODUCT", 0)
    monkeypatch.setattr(similarity_module, "TOPN_MARGIN", 0)
    expected = top_k_neighbours(matrix, k=5, rows=rows)
    monkeypatch.setattr(similarity_module, "TARGET_BLOCK_NNZ", block_nnz)
    monkeypatch.setattr(similarity_module, "TARGET_BLOCK_ROWS", block_rows)
    scheduler = _InProcessScheduler()
    columns, values = similarity_module._top_k_on(scheduler, matrix.tocsr(), rows, 5, 4, True)
    assert len(scheduler.block_rows) == len(similarity_module._target_bounds(matrix.tocsr()))
    assert sum(scheduler.block_rows) == matrix.shape[0] and (block_nnz > matrix.nnz or len(scheduler.block_rows) > 1)
    np.testing.assert_array_equal(columns.ravel(), expected["target"].to_numpy())
    np.testing.assert_array_equal(values.ravel().astype(np.float64), expected["similarity"].to_numpy())


def test_neighbour_sources_are_every_document_within_both_limits():
    sources, note = neighbour_sources(50, max_sources=50, max_similarities=2500)
    assert (sources == np.arange(50)).all() and note == ""


def test_neighbour_sources_sample_at_max_sources_and_name_that_limit():
    sources, note = neighbour_sources(1000, max_sources=40, max_similarities=10**9)
    assert (sources == sample_index(1000, 40, random_state=42)).all()
    assert "random sample of 40 documents (seed 42), set by MAX_DOCS_FOR_ALL_NEIGHBOURS = 40." in note
    assert "MAX_SIMILARITIES" not in note


@pytest.mark.parametrize(("max_similarities", "expected"), [(100_000, 100), (100_999, 100), (999, 1), (10, 1)])
def test_neighbour_sources_shrink_so_sources_times_documents_stay_within_max_similarities(max_similarities, expected):
    sources, note = neighbour_sources(1000, max_sources=500, max_similarities=max_similarities)
    assert len(sources) == expected and len(sources) * 1000 <= max(max_similarities, 1000)
    assert (sources == sample_index(1000, expected, random_state=42)).all()
    assert f"random sample of {expected:,} documents (seed 42), set by MAX_SIMILARITIES = {max_similarities:,}" in note


def test_neighbour_sources_of_an_empty_corpus_are_empty():
    sources, note = neighbour_sources(0, max_sources=10, max_similarities=100)
    assert sources.size == 0 and note == ""
