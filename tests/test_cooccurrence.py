"""Tests for corpus_utils.analysis.cooccurrence: document co-occurrence tables and matrices."""

from __future__ import annotations

import pandas as pd
import pytest

from corpus_utils.analysis.cooccurrence import cooccurrence_matrix, cooccurrence_pairs
from corpus_utils.analysis.formulations import find_formulations
from corpus_utils.input.load import read_corpus

OCCURRENCES = pd.DataFrame(
    {
        "doc_id": ["d1", "d1", "d1", "d2", "d2", "d3", "d4"],
        "canonical": ["a", "a", "b", "a", "b", "c", "a"],
    }
)


def test_matrix_counts_documents_with_both():
    matrix = cooccurrence_matrix(OCCURRENCES)
    assert matrix.index.tolist() == ["a", "b", "c"]
    assert matrix.values.tolist() == [[3, 2, 0], [2, 2, 0], [0, 0, 1]]
    ordered = cooccurrence_matrix(OCCURRENCES, items=["c", "a", "z"])
    assert ordered.values.tolist() == [[1, 0, 0], [0, 3, 0], [0, 0, 0]]


def test_pairs_table():
    pairs = cooccurrence_pairs(OCCURRENCES)
    assert pairs[["item_a", "item_b", "both", "n_a", "n_b"]].values.tolist() == [["a", "b", 2, 3, 2]]
    assert pairs["jaccard"].iloc[0] == pytest.approx(2 / 3)
    assert cooccurrence_pairs(OCCURRENCES, min_both=3).empty


def test_missing_columns():
    with pytest.raises(ValueError, match="canonical"):
        cooccurrence_matrix(pd.DataFrame({"doc_id": ["x"]}))


def test_seed_formulations_cooccur_in_seed_003():
    occurrences = find_formulations(read_corpus("seeds").documents)
    matrix = cooccurrence_matrix(occurrences)
    assert matrix.loc["four_confidences", "four_consciousnesses"] == 1
    assert matrix.loc["three_meetings_one_lesson", "three_meetings_one_lesson"] == 3
    top = cooccurrence_pairs(occurrences).iloc[0]
    assert top["both"] == 2
