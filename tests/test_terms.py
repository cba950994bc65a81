"""Tests for corpus_utils.analysis.terms: counts, rates, top weighted terms, keyword in context, positions."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from corpus_utils.input.load import count_words
from corpus_utils.analysis import terms
from corpus_utils.analysis.kwic import kwic, term_positions
from corpus_utils.analysis.terms import (
    frequency_table,
    ngram_document_counts,
    ngram_frequency_table,
    ngram_matrix,
    term_rates,
    token_stream,
    token_streams,
    top_terms_by_row,
    top_terms_table_rows,
)
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.vectorizers import make_vectorizer
from reference import document_term_matrix, term_frequencies

#: Registered formulations left as words: the counts below are of the words as written.
PLAIN = Tokenizer.from_parameters(merge_formulations=False)


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
    table = term_frequencies(DOCS, ngram_range=ngram_range, top=len(expected), tokenizer=PLAIN)
    assert list(table.columns) == ["term", "count", "per_1000_words", "documents"]
    assert [(row.term, row.count, row.documents) for row in table.itertuples()] == [
        (term, count, documents) for term, count, _, documents in expected
    ]
    np.testing.assert_allclose(table["per_1000_words"], [count * 1000 / 25 for _, count, _, _ in expected])


def test_number_words_survive_and_formulations_merge():
    plain = term_frequencies(DOCS, tokenizer=PLAIN)
    assert {"three", "one", "meetings", "lesson"} <= set(plain["term"])
    merged = term_frequencies(DOCS, tokenizer=Tokenizer.from_parameters(merge_formulations=True))
    assert "three_meetings_one_lesson" in set(merged["term"]) and "lesson" not in set(merged["term"])


def test_counts_agree_with_the_shared_vectorizer():
    tokenizer = Tokenizer.from_parameters(merge_formulations=True, mt_normalisation=True)
    dtm = document_term_matrix(DOCS, tokenizer=tokenizer)
    reference = make_vectorizer(tokenizer=tokenizer)
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


@pytest.mark.parametrize("block", [1, 3, 17])
def test_top_terms_by_row_in_blocks_equals_one_block(monkeypatch, block):
    import corpus_utils.analysis.terms as terms_module

    rng = np.random.default_rng(block)
    matrix = sp.random(40, 12, density=0.4, format="csr", random_state=rng)
    matrix.data = np.round(matrix.data, 1)  # ties, broken by term order
    keep_rows = np.ones(40)
    keep_rows[5] = 0  # an empty row
    matrix = sp.csr_matrix(sp.diags(keep_rows) @ matrix)
    matrix.eliminate_zeros()
    names, ids = [f"t{i}" for i in range(12)], [f"r{i}" for i in range(40)]
    whole = top_terms_by_row(matrix, names, ids, top=4)
    monkeypatch.setattr(terms_module, "_TOP_TERMS_BLOCK", block)
    pd.testing.assert_frame_equal(top_terms_by_row(matrix, names, ids, top=4), whole)
    assert len(whole) == sum(min(4, matrix[row].nnz) for row in range(40))


# ---------------------------------------------------------------- keyword in context


def test_kwic_finds_formulation_renderings_in_original_words():
    documents = _documents(
        "First, achieve the two maintenance firmly. Members said Two Safeguards matter.",
        "Nothing here about it.",
        "Achieve the two-protections now.",
    )
    lines = kwic(documents, "two_safeguards", window=2, tokenizer=Tokenizer.from_parameters(merge_formulations=True))
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
    tokenizer = Tokenizer.from_parameters(merge_formulations=False, mt_normalisation=True)
    lines = kwic(DOCS, "procuratorate", window=3, tokenizer=tokenizer)
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


# ---------------------------------------------------------------- one tokenising pass (fast path) = one vectoriser per n

#: Words, stop words, formulation renderings, MT variants, and the punctuation the preprocessor handles.
_POOL = [
    "party", "Party", "members", "study", "work", "the", "and", "of", "a", "two", "three", "1", "2035",
    "grass-roots", "well-", "-led", "warning", "education", "Warning Education", "hospital", "Hospital",
    "hospitals", "whole hospital", "police officers", "people's court", "people’s court", "Two Safeguards",
    "two maintenance", "two-protections", "three meetings and one lesson", "never forget the original intention",
    "cadre's", "cadres’", "\"quoted\"", "“curly”", "procuratorate", "strict", "discipline", "law", "rule",
    "Über", "café", "two_safeguards", ",", ".", ";", "—", "\n\n", "also", "must", "font", "size",
]


def _random_corpus(seed: int, n_documents: int) -> pd.DataFrame:
    rng = random.Random(seed)
    bodies = [" ".join(rng.choice(_POOL) for _ in range(rng.randint(0, 60))) for _ in range(n_documents)]
    bodies[rng.randrange(n_documents)] = ""  # an empty page
    bodies[rng.randrange(n_documents)] = "the and of"  # stop words only
    return _documents(*bodies)


_SETTINGS = {
    "plain": PLAIN,
    "formulations": Tokenizer.from_parameters(merge_formulations=True),
    "formulations+mt": Tokenizer.from_parameters(merge_formulations=True, mt_normalisation=True),
    "own stop list": Tokenizer.from_parameters(extra_stop_words=["party"], keep_words=["the"], mt_normalisation=True),
}


@pytest.mark.parametrize("setting", list(_SETTINGS))
@pytest.mark.parametrize("seed", [1, 2])
def test_stream_matrices_and_tables_equal_one_vectoriser_per_n(setting, seed):
    documents = _random_corpus(seed, 40)
    tokenizer = _SETTINGS[setting]
    stream = token_stream(documents, tokenizer=tokenizer)
    for n in (1, 2, 3):
        for min_df in (1, 2, 0.1):
            simple = document_term_matrix(
                documents, ngram_range=(n, n), tokenizer=tokenizer, min_df=min_df
            )
            fast = ngram_matrix(stream, n, min_df=min_df)
            assert list(fast.terms) == list(simple.terms)
            assert fast.matrix.shape == simple.matrix.shape and fast.matrix.dtype == simple.matrix.dtype
            assert (fast.matrix != simple.matrix).nnz == 0
            assert list(fast.doc_ids) == list(simple.doc_ids) and list(fast.n_words) == list(simple.n_words)
            for top in (None, 1, 5, 25):
                pd.testing.assert_frame_equal(
                    ngram_frequency_table(stream, n, min_df=min_df, top=top), frequency_table(simple, top=top)
                )


@pytest.mark.parametrize("part_occurrences", [1, 7, 40])
def test_ngram_tables_counted_in_small_parts_equal_one_vectoriser(monkeypatch, part_occurrences):
    # a part of a few occurrences: many ranges of first tokens, a floor raised part after part, ties across parts
    monkeypatch.setattr(terms, "PART_OCCURRENCES", part_occurrences)
    documents = _random_corpus(6, 60)
    tokenizer = _SETTINGS["formulations+mt"]
    stream = token_stream(documents, tokenizer=tokenizer)
    for n in (1, 2, 3, 4):
        for min_df in (1, 2, 0.1):
            simple = document_term_matrix(documents, ngram_range=(n, n), tokenizer=tokenizer, min_df=min_df)
            for top in (None, 1, 3, 10):
                pd.testing.assert_frame_equal(
                    ngram_frequency_table(stream, n, min_df=min_df, top=top), frequency_table(simple, top=top)
                )


def test_ngram_table_of_keys_too_long_for_64_bits_equals_one_vectoriser():
    corpus = _random_corpus(7, 40)
    repeated = corpus.iloc[:6].assign(doc_id=lambda frame: frame["doc_id"] + "-again")  # long n-grams seen twice
    documents = pd.concat([corpus, repeated], ignore_index=True)
    stream = token_stream(documents, tokenizer=PLAIN)
    n = next(n for n in range(2, 40) if len(stream.vocabulary) ** n >= 2**63)  # numbered, not keyed by token ids
    assert n <= 16
    for min_df in (1, 2):
        simple = document_term_matrix(documents, ngram_range=(n, n), tokenizer=PLAIN, min_df=min_df)
        assert simple.matrix.sum() > 0 and simple.matrix.max() >= 1
        for top in (None, 3):
            pd.testing.assert_frame_equal(
                ngram_frequency_table(stream, n, min_df=min_df, top=top), frequency_table(simple, top=top)
            )


def test_stream_tokens_are_the_vectoriser_analyzers():
    documents = _random_corpus(3, 30)
    tokenizer = Tokenizer.from_parameters(merge_formulations=True, mt_normalisation=True)
    stream = token_stream(documents, tokenizer=tokenizer)
    analyzer = make_vectorizer(tokenizer=tokenizer).build_analyzer()
    for row, body in enumerate(documents["body"]):
        tokens = stream.vocabulary[stream.ids[stream.offsets[row] : stream.offsets[row + 1]]].tolist()
        assert tokens == analyzer(body)


def test_token_streams_retokenise_only_what_changes_and_equal_separate_passes():
    documents = _random_corpus(4, 50)
    sets = [Tokenizer.from_parameters(), Tokenizer.from_parameters(mt_normalisation=True), PLAIN]
    together = token_streams(documents, sets)
    for tokenizer, stream in zip(sets, together):
        alone = token_stream(documents, tokenizer=tokenizer)
        assert stream.vocabulary is together[0].vocabulary  # one shared vocabulary
        assert list(stream.offsets) == list(alone.offsets)
        assert stream.vocabulary[stream.ids].tolist() == alone.vocabulary[alone.ids].tolist()
        for n in (1, 2):
            pd.testing.assert_frame_equal(ngram_frequency_table(stream, n), ngram_frequency_table(alone, n))
    assert token_streams(documents, []) == []


def test_ngram_document_counts_equal_a_fixed_vocabulary_vectoriser():
    documents = _random_corpus(5, 40)
    tokenizer = Tokenizer.from_parameters(merge_formulations=True)
    stream = token_stream(documents, tokenizer=tokenizer)
    grams = [
        ("party",), ("two_safeguards",), ("warning", "education"), ("party", "members", "study"), ("nowhere",),
        ("party", "nowhere"),
    ]
    counts = ngram_document_counts(stream, grams)
    assert counts.shape == (len(documents), len(grams)) and counts.dtype == np.int64
    for column, gram in enumerate(grams):
        vectorizer = make_vectorizer(tokenizer=tokenizer, ngram_range=(len(gram), len(gram)), dtype=np.int64)
        vectorizer.set_params(vocabulary=[" ".join(gram)])
        expected = vectorizer.fit_transform(documents["body"]).toarray()[:, 0]
        assert counts[:, column].toarray().ravel().tolist() == expected.tolist()
    assert counts[:, 0].sum() > 0 and counts[:, 2].sum() > 0
    assert ngram_document_counts(stream, []).shape == (len(documents), 0)


def test_stream_of_empty_documents_and_bad_arguments():
    documents = _documents("", "the and of", "")
    stream = token_stream(documents)
    for n in (1, 2, 3):
        assert ngram_frequency_table(stream, n).empty
        assert ngram_matrix(stream, n).matrix.shape == (3, 0)
    assert ngram_document_counts(stream, [("party",)]).sum() == 0
    with pytest.raises(ValueError, match="min_df"):
        ngram_frequency_table(token_stream(DOCS), 2, min_df=0)
    with pytest.raises(ValueError, match="n "):
        ngram_matrix(token_stream(DOCS), 0)
    with pytest.raises(ValueError, match="top"):
        ngram_frequency_table(token_stream(DOCS), 1, top=0)


def test_kwic_stops_at_limit_with_the_same_lines_as_without():
    documents = _documents(*(["Warning education first. Then warning education again."] * 5))
    everything = kwic(documents, "warning education", window=1, limit=None)
    assert len(everything) == 10
    pd.testing.assert_frame_equal(kwic(documents, "warning education", window=1, limit=3), everything.head(3))


def test_choose_terms_falls_back_to_the_corpus_when_no_requested_term_occurs():
    from corpus_utils.analysis.terms import choose_terms

    documents = pd.DataFrame({"doc_id": ["a", "b"], "body": ["Rain and wind and rain again.", "Wind over the sea, rain."],
                              "n_words": [6, 5]})
    tokenizer = Tokenizer()
    (stream,) = token_streams(documents, [tokenizer])
    chosen, note = choose_terms(["two_safeguards", "warning education"], stream, tokenizer=tokenizer, name="KWIC_TERMS")
    assert chosen == ["rain", "wind", "sea"] and "none of 'two_safeguards', 'warning education' occurs" in note
    chosen, note = choose_terms(["rain", "party"], stream, tokenizer=tokenizer, name="KWIC_TERMS")
    assert chosen == ["rain", "party"] and note == "KWIC_TERMS: 'party' do(es) not occur in this corpus."
    assert choose_terms(["wind"], stream, tokenizer=tokenizer, name="X") == (["wind"], None)


@pytest.mark.parametrize("first", [1, 7, 30, 500])
def test_the_leading_rows_give_the_first_lines_of_the_whole_top_terms_table(first):
    rng = np.random.default_rng(first)
    matrix = sp.random(60, 40, density=0.15, format="csr", random_state=rng)  # rows of 0 to about 14 terms
    terms, row_ids = [f"t{i:02d}" for i in range(40)], np.asarray([f"d{i}" for i in range(60)], dtype=object)
    whole = top_terms_by_row(matrix, terms, row_ids, top=5)
    rows, n_lines = top_terms_table_rows(matrix, top=5, first=first)
    part = top_terms_by_row(matrix[rows], terms, row_ids[rows], top=5)
    assert n_lines == len(whole) and len(part) >= min(first, len(whole))
    pd.testing.assert_frame_equal(part.head(first), whole.head(first))
    assert rows.size == 60 or len(top_terms_by_row(matrix[rows[:-1]], terms, row_ids[rows[:-1]], top=5)) < first


def test_show_table_counts_the_whole_table_when_given_only_its_first_lines(capsys):
    from corpus_utils.report.tables import show_table

    first = pd.DataFrame({"term": list("abcdef")})
    assert len(show_table(first, "Distinguishing terms", max_rows=4, total=1_000)) == 4
    assert len(show_table(first, "Whole", max_rows=10)) == 6
    assert capsys.readouterr().out.splitlines() == [
        "Distinguishing terms: showing the first 4 of 1000 rows (MAX_TABLE_ROWS).", "Whole: 6 row(s)."]
