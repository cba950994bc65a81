"""Cosine similarity between rows of a sparse TF-IDF matrix: top-k neighbours, most similar pairs, 2-D maps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg.blas import sgemm
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from ..core.checks import check_whole_number
from ..core.scheduler import DaskScheduler, active, stage
from ..core.workers import available_cores

try:  # multi-threaded sparse products (with top-n selection, or whole); the dense blocks below do the same job without it
    from sparse_dot_topn import sp_matmul, sp_matmul_topn
except ImportError:  # pragma: no cover
    sp_matmul = sp_matmul_topn = None

__all__ = [
    "CHUNK_ELEMENTS",
    "default_chunk_size",
    "top_k_neighbours",
    "pairs_from_neighbours",
    "project_2d",
]

#: Size, in matrix cells, of the dense float32 similarity block held at a time (2**24 cells = 64 MB).
CHUNK_ELEMENTS: int = 2**24
#: Terms in at least 1/DENSE_DF_RATIO of the rows are multiplied densely (BLAS), the rest sparsely.
DENSE_DF_RATIO: int = 8
#: Memory cap for the dense copy of those frequent-term columns (float32).
DENSE_BYTES: int = 2**28
#: Columns sampled per row to bound its k-th largest similarity before selecting candidates (8,192 rather than
#: 1,024: about a tenth of the candidates to sort for 29 of 100,000 columns, the selection 0.73 -> 0.33 s per 512 rows).
SAMPLE_COLUMNS: int = 8192
#: From this many query rows × rows on, neighbours of non-negative weights come from sparse_dot_topn.
TOPN_MIN_PRODUCT: int = 10**7
#: Candidates kept per row beyond ``k + 1`` (at least ``k``), so that ties at the k-th neighbour are seen.
TOPN_MARGIN: int = 8
#: On Dask, weights per block of target rows sent to the workers (2**25 ≈ 34 million: about 270 MB of float32
#: weights and int32 indices), so that a worker's memory does not grow with the corpus.
TARGET_BLOCK_NNZ: int = 2**25
#: sparse_dot_topn multiplies the queries by targets of at most this many rows at a time, the blocks' top k merged:
#: its accumulator of one similarity per target then stays in the cache (a million targets: 71 -> 43 s for
#: 2,000 sources; 100,000 targets: the same time).
TARGET_BLOCK_ROWS: int = 2**16
#: The cost model that picks, per block of targets, between sparse_dot_topn and :func:`_top_k_by_dense_terms`, in
#: seconds per multiplication or per similarity, measured on two cores (2,000 sources × 100,000 generated pages);
#: only their ratios matter. sparse_dot_topn's top-n product, per multiplication of two weights:
TOPN_SECONDS_PER_PRODUCT: float = 1.2e-9
#: sparse_dot_topn's full product (every similarity kept, as the dense-terms path needs), per multiplication:
SPARSE_SECONDS_PER_PRODUCT: float = 6.7e-9
#: A BLAS ``sgemm`` over the frequent terms, per multiplication (zeros included):
DENSE_SECONDS_PER_PRODUCT: float = 1.2e-11
#: Filling, scanning and selecting in a dense block of similarities, per similarity:
SECONDS_PER_SIMILARITY: float = 5e-9
#: Dense-terms path: targets multiplied at a time (their candidates merged), so that its dense copies stay small.
DENSE_TARGET_ROWS: int = 2**14
#: Dense-terms path: the frequent terms' weights of those targets, as float32, at most this many bytes (64 MB: up to
#: 1,024 terms).
DENSE_TERMS_BYTES: int = 2**26
#: Dense-terms path: similarities held at a time (2**24 float32 = 64 MB): query rows per pass × targets. With
#: :data:`DENSE_TARGET_ROWS` and :data:`DENSE_TERMS_BYTES`, the path holds about 150 MB more than sparse_dot_topn's
#: (3,000 sources among 100,000 generated pages; four times these sizes: 1.4 times as much memory, 10 % faster).
DENSE_BLOCK_ELEMENTS: int = 2**24
#: Dense-terms path: candidate pairs summed again at a time (their rows copied: about 2 × 16 MB per 8,192 pairs of
#: rows of 250 weights).
PAIR_BLOCK: int = 2**13
#: Unit roundoff ``u`` of float32: ``n`` non-negative products summed in float32, in any order, are within about
#: ``(n + 1)·u`` times the exact sum of it (see :func:`_top_k_by_dense_terms`).
FLOAT32_ROUNDOFF: float = 2.0**-24


def _as_csr(matrix, name: str = "matrix") -> sp.csr_matrix:
    if sp.issparse(matrix):
        csr = sp.csr_matrix(matrix)
    else:
        array = np.asarray(matrix)
        if array.ndim != 2:
            raise ValueError(f"{name} must be 2-D (documents × terms), got shape {array.shape}")
        csr = sp.csr_matrix(array)
    if not np.issubdtype(csr.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {csr.dtype}")
    return csr


def default_chunk_size(n_rows: int) -> int:
    """Rows per chunk so that one dense float32 block (chunk × ``n_rows``) holds about :data:`CHUNK_ELEMENTS` cells."""
    return int(max(1, min(max(n_rows, 1), CHUNK_ELEMENTS // max(n_rows, 1))))


def _check_chunk_size(chunk_size: int | None, n_rows: int) -> int:
    if chunk_size is None:
        return default_chunk_size(n_rows)
    check_whole_number(chunk_size, "chunk_size", allow_none=True)
    return int(chunk_size)


def _split_columns(csr: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Column indices (sorted) to handle densely (frequent terms) and sparsely (the rest).

    A term in ``df`` documents adds ``df²`` products to ``X @ X.T``; once ``df`` exceeds
    ``n / DENSE_DF_RATIO`` a dense BLAS product over that column is cheaper than sparse work.
    At most :data:`DENSE_BYTES` of float32 go to the dense part.
    """
    n_rows, n_cols = csr.shape
    df = np.bincount(csr.indices, minlength=n_cols)
    budget = max(0, DENSE_BYTES // (4 * max(n_rows, 1)))
    frequent = np.flatnonzero(df * DENSE_DF_RATIO >= max(n_rows, 1))
    if frequent.size > budget:
        frequent = frequent[np.argsort(-df[frequent], kind="stable")[:budget]]
    dense = np.sort(frequent)
    mask = np.ones(n_cols, dtype=bool)
    mask[dense] = False
    return dense, np.flatnonzero(mask)


def _similarity_blocks(
    matrix, chunk_size: int | None, queries: np.ndarray | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first, block)``: cosine similarities of a chunk of query rows with every row, dense float32.

    The query rows are ``queries`` (default: all rows, in order); ``first`` is the position in
    ``queries`` of the block's first row. Rows are L2-normalised first (all-zero rows stay zero, so
    their similarity is 0). Each block is ``X[chunk] @ X.T``: frequent terms through one BLAS
    ``sgemm``, the others as a sparse product, added into one reused buffer. The buffer is
    overwritten by the next block.
    """
    csr = _normalised(_as_csr(matrix))
    n_rows = csr.shape[0]
    query_rows = np.arange(n_rows) if queries is None else queries
    size = _check_chunk_size(chunk_size, n_rows)
    dense_columns, sparse_columns = _split_columns(csr)
    frequent = csr[:, dense_columns].toarray() if dense_columns.size else None  # n × h, C order
    rare = csr[:, sparse_columns].tocsr() if dense_columns.size else csr
    rare_t = rare.T.tocsr()
    buffer = np.zeros((min(size, max(query_rows.size, 1)), n_rows), dtype=np.float32)
    for start in range(0, query_rows.size, size):
        chunk = query_rows[start : start + size]
        pick = slice(chunk[0], chunk[-1] + 1) if queries is None else chunk  # a slice is cheaper to take
        block = buffer[: chunk.size]
        (rare[pick] @ rare_t).toarray(out=block)
        if frequent is not None:
            # block.T (F-ordered view) += frequent @ frequent[chunk].T, in place
            sgemm(1.0, frequent.T, frequent[pick].T, beta=1.0, c=block.T, trans_a=True, overwrite_c=True)
        yield start, block


def _exact_top_k_mask(block: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of exactly ``k`` entries per row: the largest, ties at the k-th value to the lower columns."""
    n_cols = block.shape[1]
    kth = np.partition(block, n_cols - k, axis=1)[:, n_cols - k]
    above = block > kth[:, None]
    tied = block == kth[:, None]
    room = k - np.count_nonzero(above, axis=1)
    return above | (tied & (np.cumsum(tied, axis=1) <= room[:, None]))


def _sampled_bound(block: np.ndarray, k: int) -> np.ndarray:
    """A lower bound on each row's ``k``-th largest entry: the ``k``-th largest of every ``step``-th column, a C-ordered
    copy of about :data:`SAMPLE_COLUMNS` (or a quarter of the columns, at least ``4 k``).

    The columns are taken as a strided slice, not by fancy indexing: that would give a Fortran-ordered sample, whose
    row-wise partition is five times as slow (1,024 × 16,384 similarities: 111 -> 13 ms)."""
    n_cols = block.shape[1]
    sample_size = min(n_cols, max(min(SAMPLE_COLUMNS, n_cols // 4), 4 * k))
    sample = block[:, :: max(1, n_cols // sample_size)]
    return np.partition(sample, sample.shape[1] - k, axis=1)[:, sample.shape[1] - k]


def _top_k_in_block(block: np.ndarray, k: int, floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` largest entries of each row, ties broken by the lower column index.

    Returns ``(columns, values)``, each ``rows × k``, ordered by value descending then column ascending.
    A lower bound on each row's k-th value keeps the candidates few: ``floor`` when given and finite in every row,
    else :func:`_sampled_bound` (at least ``floor``); rows where it does not (e.g. all-zero rows) fall back to a full
    ``np.partition``. With ``floor`` (each row's k-th best value among columns of lower index held elsewhere), a row
    keeps only entries of at least ``floor``: it may then have fewer than ``k``, padded with column −1 and −inf.
    Cost: one or two passes over the block.
    """
    n_rows, n_cols = block.shape
    columns, values = np.full((n_rows, k), -1, dtype=np.int64), np.full((n_rows, k), -np.inf, dtype=block.dtype)
    if n_rows == 0:
        return columns, values
    if floor is None or not np.isfinite(floor).all():  # a sampled bound: each row then has at least k candidates
        bound = _sampled_bound(block, k) if floor is None else np.maximum(_sampled_bound(block, k), floor)
    else:  # the k-th best elsewhere: after the first block of targets, about k / (blocks so far) candidates per row
        bound = floor
    positions = np.flatnonzero(block >= bound[:, None])  # one index array: 7 times as fast as np.nonzero
    counts = np.bincount(positions // n_cols, minlength=n_rows)
    crowded = counts > max(8 * k, n_cols // 16)
    if crowded.any():  # the bound is too weak for these rows (e.g. many zero similarities): exact selection
        candidates = block >= bound[:, None]
        candidates[crowded] = _exact_top_k_mask(block[crowded], k)
        positions = np.flatnonzero(candidates)
    rows, cols = np.divmod(positions, n_cols)
    found = block[rows, cols]
    order = np.lexsort((cols, -found, rows))  # per row: value descending, then column ascending
    rows, cols, found = rows[order], cols[order], found[order]
    first = np.searchsorted(rows, np.arange(n_rows))
    rank = np.arange(k)[None, :]
    filled = rank < np.minimum(np.bincount(rows, minlength=n_rows), k)[:, None]
    take = (first[:, None] + rank)[filled]
    columns[filled], values[filled] = cols[take], found[take]
    return columns, values


def _use_topn(csr: sp.csr_matrix, n_queries: int) -> bool:
    """Whether the neighbours come from sparse_dot_topn: a large enough product of non-negative weights."""
    return (sp_matmul_topn is not None and n_queries * csr.shape[0] >= TOPN_MIN_PRODUCT
            and (csr.nnz == 0 or csr.data.min() >= 0))


def _top_k_by_topn(queries: sp.csr_matrix, query_rows: np.ndarray, targets_t: sp.csr_matrix, first: int,
                   k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbours of the query rows among the target rows ``first … first + m − 1``, from sparse_dot_topn's
    multi-threaded top-n product.

    ``queries`` holds the L2-normalised rows ``query_rows``; ``targets_t`` the L2-normalised target rows, transposed
    (terms × m). Each query row keeps its ``k + 1 + margin`` largest products; a row is settled when it kept fewer
    (every non-zero similarity is there: the other targets have 0, and the lowest-numbered of them fill up to ``k``)
    or when its smallest kept product is below its ``k``-th neighbour (nothing tied with that neighbour was cut off).
    Returns ``(columns, values, unsettled)``: ``n_queries × k`` arrays, ranked by value then lower column (padded
    with column −1 and value −inf where the targets hold fewer than ``k`` other rows), and the positions of the
    query rows left to :func:`_top_k_exact`.
    """
    n_targets, n_queries = targets_t.shape[1], queries.shape[0]
    kept = k + 1 + max(k, TOPN_MARGIN)
    # at least two threads: sparse_dot_topn's threaded product is 1.8 times as fast as its one-thread product even
    # on one core (and 3.3 times on two), measured on 2,000 × 100,000 generated pages
    product = sp_matmul_topn(queries, targets_t, top_n=max(1, min(kept, n_targets)), n_threads=max(2, available_cores()))
    product = sp.csr_matrix(product)
    row = np.repeat(np.arange(n_queries), np.diff(product.indptr))
    col, value = product.indices.astype(np.int64) + first, product.data.astype(np.float32)
    stored = np.diff(product.indptr)
    keep = (col != query_rows[row]) & (value > 0)
    columns, values, ranked = _ranked(row[keep], col[keep], value[keep], n_queries, k)
    enough = ranked.found >= k
    smallest = np.full(n_queries, np.inf, dtype=np.float32)
    np.minimum.at(smallest, np.repeat(np.arange(n_queries), stored), product.data.astype(np.float32))
    settled = (stored < kept) | (enough & (smallest < values[:, -1]))
    _fill_with_zeros(columns, values, np.flatnonzero(settled & ~enough), ranked, query_rows, first, n_targets)
    return columns, values, np.flatnonzero(~settled)


class _Ranked(NamedTuple):
    """Each query row's non-zero similarities, ranked (value descending, then lower column), one row after the
    other: ``col`` and ``value``, where each row's begin (``first``) and how many it has (``found``)."""

    col: np.ndarray
    value: np.ndarray
    first: np.ndarray
    found: np.ndarray


def _ranked(row: np.ndarray, col: np.ndarray, value: np.ndarray, n_queries: int,
            k: int) -> tuple[np.ndarray, np.ndarray, _Ranked]:
    """The ``k`` best targets of each query row (``n_queries × k`` columns and values, :func:`_padded` where a row
    has fewer) from its similarities ``(row, col, value)`` in any order, and all of them ranked (:class:`_Ranked`)."""
    order = np.lexsort((col, -value, row))
    row, col, value = row[order], col[order], value[order]
    ranked = _Ranked(col, value, np.searchsorted(row, np.arange(n_queries)), np.bincount(row, minlength=n_queries))
    columns, values = _padded(n_queries, k)
    enough = ranked.found >= k
    take = (ranked.first[enough, None] + np.arange(k)[None, :]).ravel()
    columns[enough] = col[take].reshape(-1, k)
    values[enough] = value[take].reshape(-1, k)
    return columns, values, ranked


def _dense_terms(queries: sp.csr_matrix, targets_t: sp.csr_matrix) -> np.ndarray | None:
    """The terms (sorted) that :func:`_top_k_by_dense_terms` multiplies densely, or None when sparse_dot_topn's
    top-n product is expected to be faster (the cost model of :data:`TOPN_SECONDS_PER_PRODUCT` and its neighbours).

    A term found in ``q`` query rows and ``t`` targets costs ``q·t`` multiplications in a sparse product and
    ``n_queries × n_targets`` in a dense one (BLAS, some hundred times cheaper each); it goes dense when that is
    cheaper, the most shared terms first, within :data:`DENSE_TERMS_BYTES`.
    """
    n_queries, n_targets = queries.shape[0], targets_t.shape[1]
    shared = np.bincount(queries.indices, minlength=queries.shape[1]).astype(np.float64) * np.diff(targets_t.indptr)
    cells = float(n_queries) * n_targets
    dense = np.flatnonzero(shared * SPARSE_SECONDS_PER_PRODUCT > cells * DENSE_SECONDS_PER_PRODUCT)
    budget = DENSE_TERMS_BYTES // (4 * max(min(n_targets, DENSE_TARGET_ROWS), 1))
    if dense.size > budget:
        dense = np.sort(dense[np.argsort(-shared[dense], kind="stable")[:budget]])
    rare = shared.sum() - shared[dense].sum()
    dense_cost = (cells * (dense.size * DENSE_SECONDS_PER_PRODUCT + SECONDS_PER_SIMILARITY)
                  + rare * SPARSE_SECONDS_PER_PRODUCT)
    return dense if dense.size and dense_cost < shared.sum() * TOPN_SECONDS_PER_PRODUCT else None


def _without_columns(csr: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """``csr`` with the weights of ``columns`` left out (same shape, indices still sorted)."""
    drop = np.zeros(csr.shape[1], dtype=bool)
    drop[columns] = True
    keep = ~drop[csr.indices]
    row = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row[keep], minlength=csr.shape[0]))])
    return sp.csr_matrix((csr.data[keep], csr.indices[keep], indptr), shape=csr.shape)


def _pair_similarities(queries: sp.csr_matrix, rows: np.ndarray, targets: sp.csr_matrix,
                       columns: np.ndarray) -> np.ndarray:
    """Float32 dot products of ``queries[rows[i]]`` and ``targets[columns[i]]``, each summed term by term in term
    order: bit for bit what scipy's and sparse_dot_topn's sparse products give for that pair. :data:`PAIR_BLOCK`
    pairs at a time, so that the rows copied for them stay small."""
    ones = np.ones(queries.shape[1], dtype=np.float32)
    values = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), PAIR_BLOCK):
        pick = slice(start, start + PAIR_BLOCK)
        products = queries[rows[pick]].multiply(targets[columns[pick]]).tocsr()
        products.sort_indices()
        values[pick] = products @ ones  # a sequential sum per row (csr_matvec)
    return values


def _top_k_by_dense_terms(queries: sp.csr_matrix, query_rows: np.ndarray, targets_t: sp.csr_matrix, first: int,
                          k: int, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_top_k_by_topn`'s result (same arguments, same ``(columns, values, unsettled)``), by dense blocks.

    Each block of similarities is the ``dense`` terms' product through one BLAS ``sgemm`` plus the other terms'
    through sparse_dot_topn's full product. The ``k + 1 + max(k, TOPN_MARGIN)`` largest of each row are then
    summed again pair by pair as the sparse products sum them (:func:`_pair_similarities`), so the values and the
    order of ties are those of the other paths. Both sums of a row of ``L`` weights are within
    ``δ = 2 (L + 2) u`` of each other (``u`` = :data:`FLOAT32_ROUNDOFF`; non-negative products of L2-normalised
    rows), so a row is settled when it kept every target (or every target of non-zero similarity: a block value
    of 0 is exactly 0), or when its smallest kept block value plus δ is below its ``k``-th neighbour's value.
    """
    n_targets, n_queries = targets_t.shape[1], queries.shape[0]
    kept = min(k + 1 + max(k, TOPN_MARGIN), n_targets)
    cand, approx = _dense_terms_candidates(queries, query_rows, targets_t, first, kept, dense)
    row = np.repeat(np.arange(n_queries), kept)
    col = cand.ravel()
    keep = (col >= 0) & (col + first != query_rows[row])  # no padding, no row as its own neighbour
    row, col = row[keep], col[keep]
    value = _pair_similarities(queries, row, targets_t.T.tocsr(), col)
    positive = value > 0
    columns, values, ranked = _ranked(row[positive], col[positive] + first, value[positive], n_queries, k)
    enough = ranked.found >= k
    margin = 2.0 * (np.diff(queries.indptr) + 2) * FLOAT32_ROUNDOFF * 1.01
    smallest = approx[:, -1]
    settled = (kept >= n_targets) | (smallest <= 0) | (enough & (smallest + margin < values[:, -1]))
    _fill_with_zeros(columns, values, np.flatnonzero(settled & ~enough), ranked, query_rows, first, n_targets)
    return columns, values, np.flatnonzero(~settled)


def _dense_terms_candidates(queries: sp.csr_matrix, query_rows: np.ndarray, targets_t: sp.csr_matrix, first: int,
                            kept: int, dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``kept`` largest similarities of each query row among the targets, self excluded, as block columns and
    float32 values (``n_queries × kept``, ranked by value then lower column): the ``dense`` terms through BLAS, the
    others through sparse_dot_topn's full product, against :data:`DENSE_TARGET_ROWS` targets and
    :data:`DENSE_BLOCK_ELEMENTS` similarities at a time, each part's candidates merged into those so far."""
    frequent = queries[:, dense].toarray()
    rare = _without_columns(queries, dense)
    found = None
    for start in range(0, targets_t.shape[1], DENSE_TARGET_ROWS):
        part = targets_t[:, start : start + DENSE_TARGET_ROWS]
        floor = None if found is None else found[1][:, -1]  # the kept-th best so far: only better ones can enter
        among = _dense_terms_block(frequent, rare, query_rows - first - start, part, dense, kept, floor)
        among = (np.where(among[0] < 0, -1, among[0] + start), among[1])
        found = among if found is None else _merge_top_k([found, among], kept)
    return found


def _dense_terms_block(frequent: np.ndarray, rare: sp.csr_matrix, own: np.ndarray, part: sp.csr_matrix,
                       dense: np.ndarray, kept: int, floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_dense_terms_candidates` against one part of the targets (terms × targets); ``own`` is each query
    row's position among them (excluded; outside them when negative or past the end). Columns of −1 and values of
    −inf pad rows where the part holds fewer than ``kept`` targets, or fewer of at least ``floor`` (each query row's
    kept-th best among the targets before this part, which rank first among equals: see :func:`_top_k_in_block`)."""
    n_queries, n_targets = frequent.shape[0], part.shape[1]
    frequent_t = part[dense].toarray()  # dense terms × targets, C order: its transpose is Fortran-ordered
    take = min(kept, n_targets)
    columns, values = _padded(n_queries, kept)
    size = max(1, DENSE_BLOCK_ELEMENTS // max(n_targets, 1))
    buffer = np.empty((min(size, n_queries), n_targets), dtype=np.float32)
    threads = max(2, available_cores())
    for start in range(0, n_queries, size):
        stop = min(start + size, n_queries)
        block = buffer[: stop - start]
        sp_matmul(rare[start:stop], part, n_threads=threads).toarray(out=block)
        # block.T (targets × rows, Fortran order) += frequent_t.T @ frequent[rows].T, in place and without copies
        sgemm(1.0, frequent_t.T, frequent[start:stop].T, beta=1.0, c=block.T, overwrite_c=True)
        rows = own[start:stop]
        inside = np.flatnonzero((rows >= 0) & (rows < n_targets))
        block[inside, rows[inside]] = -np.inf  # exclude self
        columns[start:stop, :take], values[start:stop, :take] = _top_k_in_block(
            block, take, None if floor is None else floor[start:stop])
    return columns, values


def _fill_with_zeros(columns: np.ndarray, values: np.ndarray, positions: np.ndarray, ranked: _Ranked,
                     query_rows: np.ndarray, first: int, n_targets: int) -> None:
    """Rows (``positions``) with fewer than ``k`` (``columns.shape[1]``) non-zero similarities, in place: those
    ``ranked`` holds, then the lowest other targets (``first …``) at similarity 0."""
    k = columns.shape[1]
    for position in positions:
        begin, found = ranked.first[position], ranked.found[position]
        positive = ranked.col[begin:begin + found]
        taken = set(positive.tolist()) | {int(query_rows[position])}
        zeros = list(islice((index for index in range(first, first + n_targets) if index not in taken), k - found))
        filled = found + len(zeros)
        columns[position, :filled] = np.r_[positive, zeros]
        values[position, :found] = ranked.value[begin:begin + found]
        values[position, found:filled] = 0.0


def _padded(n_queries: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty ``n_queries × k`` columns (−1) and values (−inf): what a block of too few targets leaves unfilled."""
    return np.full((n_queries, k), -1, dtype=np.int64), np.full((n_queries, k), -np.inf, dtype=np.float32)


def _top_k_exact(queries: sp.csr_matrix, query_rows: np.ndarray, targets_t: sp.csr_matrix, first: int, k: int,
                 chunk_size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_top_k_by_topn`'s result for every query row, exactly: dense blocks of the sparse product
    ``queries @ targets_t`` (each similarity summed term by term in the same order whatever the targets, so a
    block of targets gives the values the whole matrix gives), self excluded, ties to the lower row."""
    n_targets, n_queries = targets_t.shape[1], queries.shape[0]
    columns, values = _padded(n_queries, k)
    size = _check_chunk_size(chunk_size, n_targets)
    take = min(k, n_targets)
    for start in range(0, n_queries, size):
        rows = query_rows[start : start + size]
        block = (queries[start : start + size] @ targets_t).toarray()
        inside = np.flatnonzero((rows >= first) & (rows < first + n_targets))
        block[inside, rows[inside] - first] = -np.inf  # exclude self
        cols, vals = _top_k_in_block(block, take)
        columns[start : start + size, :take], values[start : start + size, :take] = cols + first, vals
    values[columns < 0] = -np.inf
    return columns, values


def _top_k_among(part: tuple[sp.csr_matrix, np.ndarray], *, targets_t: sp.csr_matrix, first: int, k: int,
                 chunk_size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest target rows (``first …``) of the query rows in ``part`` = (their L2-normalised rows, their
    positions): sparse_dot_topn, then the exact product for the rows it leaves unsettled. One task on Dask."""
    queries, query_rows = part
    dense = _dense_terms(queries, targets_t)
    if dense is None:
        columns, values, unsettled = _top_k_by_topn(queries, query_rows, targets_t, first, k)
    else:
        columns, values, unsettled = _top_k_by_dense_terms(queries, query_rows, targets_t, first, k, dense)
    if unsettled.size:  # a tie at the k-th neighbour may have been cut off: these rows exactly
        columns[unsettled], values[unsettled] = _top_k_exact(queries[unsettled], query_rows[unsettled], targets_t,
                                                             first, k, chunk_size)
    return columns, values


def _merge_top_k(partial: list[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of each row over several blocks' top k (each ``n_queries × k``, padding at −inf dropped),
    by value then lower column: the top k of the union, because a row's k best are among the k best of their block."""
    if len(partial) == 1:
        return partial[0]
    columns = np.concatenate([cols for cols, _ in partial], axis=1)
    values = np.concatenate([vals for _, vals in partial], axis=1)
    values = np.where(columns < 0, -np.inf, values)
    row = np.repeat(np.arange(columns.shape[0]), columns.shape[1])
    order = np.lexsort((columns.ravel(), -values.ravel(), row)).reshape(columns.shape)[:, :k] % columns.shape[1]
    return np.take_along_axis(columns, order, axis=1), np.take_along_axis(values, order, axis=1)


def _target_bounds(csr: sp.csr_matrix) -> list[tuple[int, int]]:
    """Consecutive row ranges of ``csr`` holding at most :data:`TARGET_BLOCK_NNZ` weights each (at least one row)."""
    n_rows, bounds, start = csr.shape[0], [], 0
    while start < n_rows:
        stop = int(np.searchsorted(csr.indptr, csr.indptr[start] + TARGET_BLOCK_NNZ, side="right")) - 1
        stop = min(n_rows, max(stop, start + 1))
        bounds.append((start, stop))
        start = stop
    return bounds


def top_k_neighbours(
    matrix, *, k: int = 10, chunk_size: int | None = None, rows: np.ndarray | list[int] | None = None
) -> pd.DataFrame:
    """The ``k`` most cosine-similar rows of every row (or of ``rows``), without ever building the dense n × n matrix.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array, shape (n_documents, n_terms)
        Typically TF-IDF rows; rows are L2-normalised here, so any non-negative weights work.
        An all-zero row has similarity 0 with every row.
    k : int
        Neighbours per row (fewer when the matrix has ``k`` rows or fewer: every other row).
    chunk_size : int, optional
        Rows per chunk; default :func:`default_chunk_size` (about 64 MB of float32 per block).
    rows : array of int, optional
        Only these source rows (their neighbours are still searched among all rows), e.g. a sample
        of a corpus too large for all-pairs work: the cost falls in proportion. Default: every row.

    Returns
    -------
    pandas.DataFrame
        Columns ``source`` and ``target`` (int64 row positions), ``rank`` (int64, 1 = most similar)
        and ``similarity`` (float64, cosine), sorted by ``source`` then ``rank``. A row is never its
        own neighbour; among equal similarities the lower row index ranks first. With ``rows``,
        the table holds exactly the rows the full table would hold for those sources.

    Notes
    -----
    Cost: the sparse product ``X[rows] @ X.T`` (total work ~ Σ over terms of document-frequency², the same as
    one sparse ``X @ X.T``). From :data:`TOPN_MIN_PRODUCT` query rows × rows on (non-negative weights, such as
    TF-IDF), sparse_dot_topn computes it on every core, against blocks of :data:`TARGET_BLOCK_ROWS` targets whose
    top k are merged, and keeps ``k + 1 + max(k, TOPN_MARGIN)`` candidates per row and block; a row whose k-th
    neighbour ties with its last candidate is recomputed exactly, so the result is the exact top k either way.
    Otherwise, or without sparse_dot_topn, dense float32 blocks of ``chunk_size × n`` (frequent terms through
    BLAS) and one selection per block. Similarities are computed in float32 (error below 1e-6 for L2-normalised
    rows). With an active Dask scheduler the blocks of rows run on its workers, and
    sparse_dot_topn's targets come to them in blocks of :data:`TARGET_BLOCK_NNZ` weights whose top k are merged
    there: the same table.
    """
    check_whole_number(k, "k")
    csr = _as_csr(matrix)
    n_rows = csr.shape[0]
    queries = None if rows is None else _check_rows(rows, n_rows)
    n_queries = n_rows if queries is None else queries.size
    k_eff = min(int(k), max(n_rows - 1, 0))
    if k_eff == 0 or n_queries == 0:
        return _neighbour_frame(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    query_rows = np.arange(n_rows, dtype=np.int64) if queries is None else queries
    use_topn, scheduler = _use_topn(csr, n_queries), active()
    with stage("top-k neighbours", items=n_queries):
        if scheduler is None:
            columns, values = _top_k_of(query_rows if queries is not None or use_topn else None, csr=csr, k=k_eff,
                                        chunk_size=chunk_size, use_topn=use_topn)
        else:
            columns, values = _top_k_on(scheduler, csr, query_rows, k_eff, chunk_size, use_topn)
    source = np.repeat(query_rows, k_eff)
    rank = np.tile(np.arange(1, k_eff + 1, dtype=np.int64), n_queries)
    return _neighbour_frame(source, columns.ravel().astype(np.int64), rank, values.ravel())


def _top_k_of(queries: np.ndarray | None, *, csr: sp.csr_matrix, k: int, chunk_size: int | None,
              use_topn: bool) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values (``n_queries × k``) of the ``k`` nearest rows of ``queries`` (None: every row, in order)."""
    if not use_topn:
        return _top_k_by_blocks(csr, chunk_size, queries, k)
    normalised = _normalised(csr)
    query_rows = np.arange(csr.shape[0], dtype=np.int64) if queries is None else queries
    return _top_k_against((normalised[query_rows], query_rows), _target_blocks(normalised, 0), k=k,
                          chunk_size=chunk_size)


def _normalised(csr: sp.csr_matrix) -> sp.csr_matrix:
    """Rows L2-normalised in float32 (all-zero rows stay zero), indices sorted."""
    normalised = normalize(csr.astype(np.float32, copy=False), norm="l2", axis=1, copy=True)
    normalised.sort_indices()
    return normalised


def _top_k_on(scheduler: DaskScheduler, csr: sp.csr_matrix, query_rows: np.ndarray, k: int, chunk_size: int | None,
              use_topn: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_top_k_of` on the Dask workers, each task a block of query rows (a whole number of chunks).

    With sparse_dot_topn, blockwise on the workers (:meth:`~corpus_utils.core.scheduler.DaskScheduler.fold_blocks`):
    each block of query rows goes to one worker and stays there; the rows are cut into blocks of targets
    (:data:`TARGET_BLOCK_NNZ` weights at most), each normalised and transposed on a worker and copied to the others;
    each query block's top k among a target block is merged into its top k so far where it lives. This process only
    cuts the float32 rows and receives the final top k. Without it (small products), the whole matrix goes to every
    worker once and each task computes the dense blocks this process would.
    """
    size = _check_chunk_size(chunk_size, csr.shape[0])
    per_task = size * max(1, -(-query_rows.size // (2 * max(1, scheduler.n_threads) * size)))
    blocks = [query_rows[start : start + per_task] for start in range(0, query_rows.size, per_task)]
    if not use_topn:
        return _stacked(scheduler.map(_top_k_of, blocks, csr=csr, k=k, chunk_size=size, use_topn=False))
    found = scheduler.fold_blocks(_top_k_against, ((_float32(csr[rows]), rows) for rows in blocks),
                                  ((_float32(csr[first:stop]), first) for first, stop in _target_bounds(csr)),
                                  merge=partial(_merge_two, k=k), prepare_part=_normalised_queries,
                                  prepare_block=_transposed_targets, k=k, chunk_size=size)
    return _stacked(found)


def _float32(rows: sp.csr_matrix) -> sp.csr_matrix:
    """Rows in float32, as :func:`_normalised` takes them first: half the bytes to send, the same result."""
    return rows.astype(np.float32, copy=False)


def _normalised_queries(part: tuple[sp.csr_matrix, np.ndarray]) -> tuple[sp.csr_matrix, np.ndarray]:
    """A block of query rows (weights, positions) with its rows L2-normalised, on the worker that holds it."""
    weights, rows = part
    return _normalised(weights), rows


def _transposed_targets(block: tuple[sp.csr_matrix, int]) -> list[tuple[sp.csr_matrix, int]]:
    """A block of target rows (weights, first row) normalised and cut into :func:`_target_blocks`, on a worker."""
    weights, first = block
    return list(_target_blocks(_normalised(weights), first))


def _target_blocks(normalised: sp.csr_matrix, first: int) -> Iterator[tuple[sp.csr_matrix, int]]:
    """Consecutive blocks of at most :data:`TARGET_BLOCK_ROWS` normalised target rows, each transposed (terms ×
    targets) as sparse_dot_topn takes it, with the position of its first row (the rows start at ``first``)."""
    for start in range(0, normalised.shape[0], TARGET_BLOCK_ROWS):
        yield normalised[start : start + TARGET_BLOCK_ROWS].T.tocsr(), first + start


def _top_k_against(part: tuple[sp.csr_matrix, np.ndarray], blocks: Iterable[tuple[sp.csr_matrix, int]], *, k: int,
                   chunk_size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The top k of a block of query rows among blocks of targets (:func:`_target_blocks`), each block's top k
    merged into the top k so far. One task on Dask."""
    found = None
    for targets_t, first in blocks:
        among = _top_k_among(part, targets_t=targets_t, first=first, k=k, chunk_size=chunk_size)
        found = among if found is None else _merge_two(found, among, k)
    return found


def _merge_two(previous: tuple[np.ndarray, np.ndarray], found: tuple[np.ndarray, np.ndarray],
               k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_merge_top_k` of a query block's top k so far and its top k among one more block of targets."""
    return _merge_top_k([previous, found], k)


def _stacked(found: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The columns and values of consecutive blocks of query rows, one under the other."""
    return np.concatenate([columns for columns, _ in found]), np.concatenate([values for _, values in found])


def _top_k_by_blocks(csr: sp.csr_matrix, chunk_size: int | None, queries: np.ndarray | None,
                     k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values (``n_queries × k``) of the ``k`` nearest rows of ``queries`` (default all), from dense
    similarity blocks."""
    columns, values = [], []
    for start, block in _similarity_blocks(csr, chunk_size, queries):
        positions = np.arange(block.shape[0])
        source = start + positions if queries is None else queries[start + positions]
        block[positions, source] = -np.inf  # exclude self
        cols, vals = _top_k_in_block(block, k)
        columns.append(cols)
        values.append(vals)
    return np.concatenate(columns).astype(np.int64), np.concatenate(values)


def _check_rows(rows, n_rows: int) -> np.ndarray:
    """``rows`` as sorted unique int64 positions, each in ``[0, n_rows)``."""
    positions = np.asarray(rows)
    if positions.ndim != 1 or (positions.size and not np.issubdtype(positions.dtype, np.integer)):
        raise ValueError(f"rows must be a 1-D sequence of row positions (integers), got {rows!r}")
    positions = np.unique(positions.astype(np.int64))
    if positions.size and (positions[0] < 0 or positions[-1] >= n_rows):
        raise ValueError(f"rows must lie in [0, {n_rows}) (the matrix has {n_rows} rows)")
    return positions


def _neighbour_frame(source, target, rank, similarity) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": np.asarray(source, dtype=np.int64),
            "target": np.asarray(target, dtype=np.int64),
            "rank": np.asarray(rank, dtype=np.int64),
            "similarity": np.asarray(similarity, dtype=np.float64),
        }
    )


def pairs_from_neighbours(neighbours: pd.DataFrame, *, top: int = 20) -> pd.DataFrame:
    """The ``top`` most similar distinct pairs, read off a :func:`top_k_neighbours` table (no second pass).

    Parameters
    ----------
    neighbours : pandas.DataFrame
        Takes columns ``source``, ``target``, ``similarity`` from :func:`top_k_neighbours` computed
        with ``k >= top``; then the result equals an exact all-pairs search (``tests/reference.py``),
        because a pair among the ``top`` best is among the ``top`` best neighbours of both its rows.
    top : int
        Number of pairs.

    Returns
    -------
    pandas.DataFrame
        Columns ``source`` < ``target`` (int64), ``similarity`` (float64), sorted by similarity
        descending, then ``source``, then ``target``.

    Raises
    ------
    ValueError
        If ``top`` exceeds the ``k`` the table was built with (the answer could be incomplete).
    """
    check_whole_number(top, "top")
    missing = {"source", "target", "similarity"} - set(neighbours.columns)
    if missing:
        raise ValueError(f"neighbours needs columns {sorted(missing)}; pass the table from top_k_neighbours()")
    k = int(neighbours.groupby("source").size().max()) if len(neighbours) else 0
    n_rows = int(max(neighbours["source"].max(), neighbours["target"].max()) + 1) if len(neighbours) else 0
    if k < top and k < n_rows - 1:
        raise ValueError(f"top={top} needs a neighbour table with k >= {top} (it has k={k}); recompute top_k_neighbours")
    source = np.minimum(neighbours["source"].to_numpy(), neighbours["target"].to_numpy())
    target = np.maximum(neighbours["source"].to_numpy(), neighbours["target"].to_numpy())
    pairs = pd.DataFrame({"source": source, "target": target, "similarity": neighbours["similarity"].to_numpy()})
    pairs = pairs.drop_duplicates(["source", "target"])
    pairs = pairs.sort_values(["similarity", "source", "target"], ascending=[False, True, True], kind="stable")
    return pairs.head(int(top)).reset_index(drop=True).astype({"source": "int64", "target": "int64", "similarity": "float64"})


def _flip_signs(coordinates: np.ndarray) -> np.ndarray:
    """Make the entry of largest magnitude in each column positive (the first such entry on ties)."""
    if coordinates.shape[0] == 0:
        return coordinates
    pivots = np.abs(coordinates).argmax(axis=0)
    signs = np.sign(coordinates[pivots, np.arange(coordinates.shape[1])])
    signs[signs == 0] = 1.0
    return coordinates * signs


def project_2d(matrix, *, random_state: int = 42) -> np.ndarray:
    """A 2-D map of the rows of a (sparse) TF-IDF matrix by truncated SVD (latent semantic analysis).

    Parameters
    ----------
    matrix : scipy.sparse matrix or array, shape (n_rows, n_terms)
        Rows to place, e.g. documents or paragraphs. Not centred (sparse input stays sparse).
    random_state : int
        Seed of the randomised SVD, so the map is the same on every run.

    Returns
    -------
    numpy.ndarray, shape (n_rows, 2), float64
        Coordinates on the first two singular directions. Signs are fixed so that, in each column,
        the coordinate of largest magnitude is positive. With fewer than 3 rows or 3 columns the
        exact SVD of the small matrix is used, and missing components are zeros (one row → the
        point ``(‖row‖, 0)``; no rows → shape ``(0, 2)``). Rounded to 10 significant digits of the
        largest coordinate, so last-bit differences of multi-threaded BLAS between runs never move a
        figure's layout.

    Notes
    -----
    Cost: randomised SVD, a few sparse products ``X @ Q`` — linear in the number of non-zeros;
    memory ``n_rows × 2`` plus ``n_terms × 2``.
    """
    csr = _as_csr(matrix).astype(np.float64, copy=False)
    n_rows, n_cols = csr.shape
    coordinates = np.zeros((n_rows, 2), dtype=np.float64)
    if n_rows == 0 or n_cols == 0 or csr.nnz == 0:
        return coordinates
    if min(n_rows, n_cols) < 3:
        dense = csr.toarray()  # one side is at most 2 long, so this stays small: n × 2 or 2 × m
        left, singular, _ = np.linalg.svd(dense, full_matrices=False)
        components = min(2, singular.size)
        coordinates[:, :components] = left[:, :components] * singular[:components]
    else:
        svd = TruncatedSVD(n_components=2, algorithm="randomized", n_iter=7, random_state=random_state)
        coordinates[:] = svd.fit_transform(csr)
    return _flip_signs(_round_away_last_bits(coordinates))


def _round_away_last_bits(coordinates: np.ndarray, digits: int = 10) -> np.ndarray:
    """Round to ``digits`` significant digits of the largest magnitude, and -0.0 to 0.0.

    Multi-threaded BLAS may sum in a different order from one run (or thread count) to the next, and
    move the last bits of an SVD; a figure laid out around such points (text labels, tight layout)
    would then differ by a byte. Rounding far below what any plot can show keeps figures identical.
    """
    largest = float(np.abs(coordinates).max(initial=0.0))
    if largest == 0.0 or not np.isfinite(largest):
        return coordinates
    scale = 10.0 ** np.floor(np.log10(largest))
    rounded = np.round(coordinates / scale, digits - 1) * scale
    rounded[rounded == 0.0] = 0.0  # no -0.0
    return rounded
