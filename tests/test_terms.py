"""Tests for corpus_utils.terms: counts, rates, top weighted terms, keyword in context, positions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from corpus_utils.load import count_words
from corpus_utils.terms import (
    document_term_matrix,
    frequency_table,
    kwic,
    term_frequencies,
    term_positions,
    term_rates,
    top_terms_by_row,
)
from corpus_utils.text import analysis_replacements, make_vectorizer


def _documents(*bodies: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc_id": [f"d{index}" for index in range(1, len(bodies) + 1)],
            "body": list(bodies),
            "n_words": [count_words(body) for body in bodies],
        }
    )


DOCS = _documents(
    "Party members study. Party members act.",  # 6 words
    "The party branch held three meetings and one lesson.",  # 9 words
    "Warning education for all police officers of the whole hospital.",  # 10 words
)


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("ngram_range", "expected"),
    [
        (
            (1, 1),
            [("party", 3, 3, 2), ("members", 2, 2, 1), ("act", 1, 1, 1), ("branch", 1, 1, 1)],
        ),
        # bigrams are formed after stop words go ("for", "the", "of"), ties broken alphabetically
        ((2, 2), [("party members", 2, 2, 1), ("branch held", 1, 1, 1), ("education police", 1, 1, 1)]),
    ],
)
def test_term_frequencies_exact_counts(ngram_range, expected):
    table = term_frequencies(DOCS, ngram_range=ngram_range, top=len(expected))
    assert list(table.columns) == ["term", "count", "per_1000_words", "documents"]
    assert [(row.term, row.count, row.documents) for row in table.itertuples()] == [
        (term, count, documents) for term, count, _, documents in expected
    ]
    np.testing.assert_allclose(table["per_1000_words"], [count * 1000 / 25 for _, count, _, _ in expected])


def test_number_words_survive_and_formulations_merge():
    plain = term_frequencies(DOCS)
    assert {"three", "one", "meetings", "lesson"} <= set(plain["term"])
    merged = term_frequencies(DOCS, replacements=analysis_replacements(merge_formulations=True))
    assert "three_meetings_one_lesson" in set(merged["term"]) and "lesson" not in set(merged["term"])


def test_counts_agree_with_the_shared_vectorizer():
    replacements = analysis_replacements(merge_formulations=True, mt_normalisation=True)
    dtm = document_term_matrix(DOCS, replacements=replacements)
    reference = make_vectorizer(replacements=replacements)
    expected = reference.fit_transform(DOCS["body"])
    assert list(dtm.terms) == list(reference.get_feature_names_out())
    assert (dtm.matrix != expected).nnz == 0
    assert "procuratorate" in set(dtm.terms) and "hospital" not in set(dtm.terms)


def test_empty_corpus_text_gives_empty_table():
    table = term_frequencies(_documents("the and of", ""))
    assert table.empty and list(table.columns) == ["term", "count", "per_1000_words", "documents"]


@pytest.mark.parametrize("top", [0, -2, 1.5])
def test_frequency_table_rejects_bad_top(top):
    with pytest.raises(ValueError, match="top"):
        frequency_table(document_term_matrix(DOCS), top=top)


def test_missing_body_column_is_named():
    with pytest.raises(ValueError, match="body"):
        document_term_matrix(pd.DataFrame({"doc_id": ["a"]}))


def test_term_rates_per_document():
    dtm = document_term_matrix(DOCS)
    rates = term_rates(dtm, ["party", "warning"])
    assert list(rates.columns) == ["doc_id", "term", "count", "per_1000_words"]
    assert rates["doc_id"].tolist() == ["d1", "d1", "d2", "d2", "d3", "d3"]
    assert rates["count"].tolist() == [2, 0, 1, 0, 0, 1]
    np.testing.assert_allclose(rates["per_1000_words"], [2000 / 6, 0, 1000 / 9, 0, 0, 100])
    with pytest.raises(ValueError, match="not in the document-term matrix"):
        term_rates(dtm, ["nonexistent"])


def test_top_terms_by_row_orders_by_weight_then_term():
    matrix = sp.csr_matrix(np.array([[0.5, 0.0, 0.5, 0.9], [0.0, 0.0, 0.0, 0.0], [0.1, 0.2, 0.0, 0.0]]))
    table = top_terms_by_row(matrix, ["a", "b", "c", "d"], ["x", "y", "z"], top=2)
    assert list(table.columns) == ["doc_id", "rank", "term", "weight"]
    assert table[["doc_id", "rank", "term"]].values.tolist() == [["x", 1, "d"], ["x", 2, "a"], ["z", 1, "b"], ["z", 2, "a"]]
    np.testing.assert_allclose(table["weight"], [0.9, 0.5, 0.2, 0.1])
    with pytest.raises(ValueError, match="must match"):
        top_terms_by_row(matrix, ["a"], ["x", "y", "z"])


# ---------------------------------------------------------------- keyword in context


def test_kwic_finds_formulation_renderings_in_original_words():
    documents = _documents(
        "First, achieve the two maintenance firmly. Members said Two Safeguards matter.",
        "Nothing here about it.",
        "Achieve the two-protections now.",
    )
    lines = kwic(documents, "two_safeguards", window=2, replacements=analysis_replacements(merge_formulations=True))
    assert list(lines.columns) == ["doc_id", "left", "match", "right"]
    assert lines.values.tolist() == [
        ["d1", "achieve the", "two maintenance", "firmly. Members"],
        ["d1", "Members said", "Two Safeguards", "matter."],
        ["d3", "Achieve the", "two-protections", "now."],
    ]


def test_kwic_ngram_skips_stop_words_like_the_counts_and_respects_limit():
    documents = _documents("Strict and discipline first. Strict discipline again. Strict discipline once more.")
    lines = kwic(documents, "strict discipline", window=1, limit=2)
    assert lines["match"].tolist() == ["Strict and discipline", "Strict discipline"]
    assert lines["right"].tolist() == ["first.", "again."]
    counted = term_frequencies(documents, ngram_range=(2, 2))
    assert counted.set_index("term").loc["strict discipline", "count"] == 3


def test_kwic_mt_normalised_term_finds_variant():
    replacements = analysis_replacements(merge_formulations=False, mt_normalisation=True)
    lines = kwic(DOCS, "procuratorate", window=3, replacements=replacements)
    # "whole hospital" becomes "whole procuratorate": the token comes from the whole phrase
    assert lines.values.tolist() == [["d3", "officers of the", "whole hospital", "."]]


@pytest.mark.parametrize(
    ("term", "options", "message"),
    [
        ("rule of law", {}, "stop word"),
        ("", {}, "no word"),
        ("party", {"window": -1}, "window"),
        ("party", {"limit": 0}, "limit"),
    ],
)
def test_kwic_rejects_bad_input(term, options, message):
    with pytest.raises(ValueError, match=message):
        kwic(DOCS, term, **options)


# ---------------------------------------------------------------- positions


def test_term_positions_are_token_offsets():
    documents = _documents("party work party", "work work", "party members study party work")
    table = term_positions(documents, ["party", "party work"])
    assert list(table.columns) == ["doc_id", "term", "token_index", "n_tokens", "position"]
    assert table[["doc_id", "term", "token_index", "n_tokens"]].values.tolist() == [
        ["d1", "party", 0, 3],
        ["d1", "party", 2, 3],
        ["d1", "party work", 0, 3],
        ["d3", "party", 0, 5],
        ["d3", "party", 3, 5],
        ["d3", "party work", 3, 5],
    ]
    np.testing.assert_allclose(table["position"], [0, 2 / 3, 0, 0, 0.6, 0.6])
