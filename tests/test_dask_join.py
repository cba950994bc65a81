"""The sorts of the boilerplate join on Dask (:mod:`corpus_utils.analysis.dask_join`) against plain ``lexsort``: one
64-bit key when the hashes' top bits tell the entries apart, the exact sort when they do not. The join itself is
compared with the join of one process on a LocalCluster in ``test_dask.py``."""

from __future__ import annotations

import numpy as np
import pytest

from corpus_utils.analysis.dask_join import _bucket_of, _by_hash_then_row, _rarest_first


def _hashes(rng: np.random.Generator, size: int, *, clashing: bool) -> np.ndarray:
    """Random 64-bit hashes; with ``clashing``, a few dozen values that differ in their lowest 20 bits only."""
    if not clashing:
        return rng.integers(0, 2**63, size, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)
    top = rng.integers(0, 40, size).astype(np.uint64) << np.uint64(44)
    return top | rng.integers(0, 3, size).astype(np.uint64)


@pytest.mark.parametrize("clashing", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pairs_are_ordered_by_bucket_and_each_distinct_pair_is_kept_once(seed, clashing):
    rng = np.random.default_rng(seed)
    n_rows = 50
    rows = np.sort(rng.integers(0, n_rows, 2_000)).astype(np.uint64)
    hashes = _hashes(rng, rows.size, clashing=clashing)
    hashes[rng.integers(0, rows.size, 300)] = hashes[0]  # repeats inside and across rows
    order, distinct = _by_hash_then_row(hashes, rows, n_rows)
    kept = list(zip(hashes[order][distinct].tolist(), rows[order][distinct].tolist()))
    assert sorted(kept) == sorted(set(zip(hashes.tolist(), rows.tolist())))  # every distinct pair, once
    assert np.all(np.diff(_bucket_of(hashes[order], 16)) >= 0)  # buckets are contiguous
    assert sorted(order.tolist()) == list(range(rows.size))


@pytest.mark.parametrize("clashing", [False, True])
@pytest.mark.parametrize("n_rows", [7, 100_000, 2**50])  # the last: no room for the hash in the key
def test_shared_shingles_are_ordered_by_text_frequency_and_hash(clashing, n_rows):
    rng = np.random.default_rng(n_rows % 1000)
    local = rng.integers(0, min(n_rows, 10**6), 3_000)
    hashes = _hashes(rng, local.size, clashing=clashing)
    pairs = np.unique(np.c_[local, hashes.astype(np.int64)], axis=0)  # a shingle once per text, as the join has them
    local, hashes = pairs[:, 0], pairs[:, 1].astype(np.uint64)
    frequency = rng.integers(2, 4 if clashing else 6, local.size)
    order = _rarest_first(local, frequency, hashes, n_rows)
    assert np.array_equal(order, np.lexsort((hashes, frequency, local)))
