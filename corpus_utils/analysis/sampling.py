"""Fixed-seed samples: the one way every analysis and figure picks a subset of a large corpus."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.columns import select_rows

__all__ = ["sample_index", "sample_rows", "neighbour_sources"]


def sample_index(n_units: int, size: int, *, random_state: int = 42) -> np.ndarray:
    """Sorted positions of a fixed-seed sample of ``min(size, n_units)`` units (all of them when ``n_units <= size``)."""
    if n_units <= size:
        return np.arange(n_units)
    return np.sort(np.random.default_rng(random_state).choice(n_units, size=size, replace=False))


def sample_rows(table: pd.DataFrame, size: int, *, random_state: int = 42) -> pd.DataFrame:
    """The rows of ``table`` at :func:`sample_index` positions, in table order (the whole table when it is small),
    with their index labels; Arrow-backed text columns are not joined on the way (:func:`~corpus_utils.core.columns.select_rows`)."""
    return select_rows(table, sample_index(len(table), size, random_state=random_state))


def neighbour_sources(n_documents: int, *, max_sources: int, max_similarities: int,
                      random_state: int = 42) -> tuple[np.ndarray, str]:
    """Which documents' nearest neighbours a search among all ``n_documents`` computes, and why.

    Every document up to ``max_sources`` documents; past it, a :func:`sample_index` sample of ``max_sources``.
    The search computes one similarity per source and document, so the sample is smaller still when
    ``sources × n_documents`` would pass ``max_similarities``: ``max_similarities // n_documents`` sources (at
    least one). Notebook 03's ``MAX_DOCS_FOR_ALL_NEIGHBOURS`` and ``MAX_SIMILARITIES``.

    Returns
    -------
    (positions, note)
        Sorted source positions, and a sentence saying how they were drawn and which limit drew them
        (empty when every document is a source).
    """
    by_time = max(1, max_similarities // max(n_documents, 1))
    size = min(max_sources, by_time)
    sources = sample_index(n_documents, size, random_state=random_state)
    if len(sources) == n_documents:
        return sources, ""
    limit = (f"MAX_DOCS_FOR_ALL_NEIGHBOURS = {max_sources:,}" if max_sources <= by_time else
             f"MAX_SIMILARITIES = {max_similarities:,}, so that sources × documents stay within it "
             f"(MAX_DOCS_FOR_ALL_NEIGHBOURS = {max_sources:,})")
    return sources, (f"{n_documents:,} documents: nearest neighbours (searched among all documents) of a random sample "
                     f"of {len(sources):,} documents (seed {random_state}), set by {limit}. The most similar pairs below "
                     "are those involving a sampled document; raise the limit for more (time grows with sources × documents).")
