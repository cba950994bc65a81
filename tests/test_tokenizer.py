"""Tests for corpus_utils.text.tokenizer.Tokenizer: one contract for every analysis, equal settings give equal tokens."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corpus_utils.analysis.prepare import prepare_corpus
from corpus_utils.analysis.sampling import sample_index, sample_rows
from corpus_utils.analysis.terms import ngram_frequency_table, side_by_side, token_stream
from corpus_utils.core.words import paragraph_spans
from corpus_utils.text.tokenizer import Tokenizer, build_stop_words, token_occurrences, tokenize

TEXT = "The Two Safeguards and the people’s “whole hospital” of grass-roots units, 2 maintenance."


def test_default_is_the_notebooks_default():
    tokenizer = Tokenizer()
    assert tokenizer == Tokenizer.from_parameters()
    assert tokenizer.stop_words == build_stop_words()
    assert tokenizer.tokens(TEXT) == ["two_safeguards", "people", "whole", "hospital", "grass-roots", "units", "two_safeguards"]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"merge_formulations": False}, ["two", "safeguards", "people", "whole", "hospital", "grass-roots", "units", "2", "maintenance"]),
        ({"mt_normalisation": True}, ["two_safeguards", "people", "whole", "procuratorate", "grass-roots", "units", "two_safeguards"]),
        ({"extra_stop_words": ["Units"], "keep_words": ["the"]}, ["the", "two_safeguards", "the", "people", "whole", "hospital",
                                                              "grass-roots", "two_safeguards"]),
    ],
)
def test_parameters_change_the_tokens(settings, expected):
    assert Tokenizer.from_parameters(**settings).tokens(TEXT) == expected
    assert tokenize(TEXT, tokenizer=Tokenizer.from_parameters(**settings)) == expected


def test_equal_settings_equal_keys_and_pickles_rebuild_the_matcher():
    first, second = Tokenizer.from_parameters(mt_normalisation=True), Tokenizer.from_parameters(mt_normalisation=True)
    assert first == second and first.key == second.key and hash(first) == hash(second)
    assert first.key != Tokenizer().key
    copy = pickle.loads(pickle.dumps(first))
    assert copy == first and copy.tokens(TEXT) == first.tokens(TEXT)
    assert "replacer" not in copy.__getstate__()


def test_token_spans_point_at_the_words_as_written():
    spans = Tokenizer().token_spans(TEXT)
    assert [(token, TEXT[start:end]) for token, start, end in spans][:2] == [("two_safeguards", "Two Safeguards"), ("people", "people")]
    assert [token for token, _, _ in spans] == Tokenizer().tokens(TEXT)



@pytest.mark.parametrize("corpus", ["seeds", "seeds_zh"])
def test_token_spans_give_the_counted_tokens_of_every_seed_page_each_at_its_words(corpus):
    from corpus_utils import read_corpus
    from corpus_utils.text.chinese import has_han

    bodies = read_corpus(corpus).documents["body"]
    for tokenizer in (Tokenizer(), Tokenizer.from_parameters(mt_normalisation=True, simplify_chinese=True)):
        for body in bodies:
            spans = tokenizer.token_spans(body)
            assert [token for token, _, _ in spans] == tokenizer.tokens(body)
            if tokenizer == Tokenizer():  # no MT variant ("hospital" read as "procuratorate"): words are as written
                plain = [(token, body[start:end]) for token, start, end in spans if "_" not in token and not has_han(token)]
                assert all(written.lower() == token for token, written in plain if token.isascii())

def test_term_words_refuse_stop_words_and_empty_terms():
    assert Tokenizer().term_words("Warning Education") == ["warning", "education"]
    with pytest.raises(ValueError, match="stop word"):
        Tokenizer().term_words("rule of law")
    with pytest.raises(ValueError, match="no word"):
        Tokenizer().term_words("—", name="KWIC term")


def test_describe_says_what_is_merged():
    assert "formulations merged" in Tokenizer().describe()
    assert "no formulation merging, MT variants normalised" in Tokenizer.from_parameters(merge_formulations=False, mt_normalisation=True).describe()


def test_prepare_corpus_loads_tokenizes_and_drops_boilerplate():
    plain = prepare_corpus("seeds", merge_formulations=False)
    assert plain.n_documents == 5 and plain.original is plain.documents
    assert plain.tokenizer == Tokenizer.from_parameters(merge_formulations=False)
    assert plain.summary().splitlines()[-1] == f"5 documents, {plain.n_words:,} running words."
    cleaned = prepare_corpus("seeds", exclude_boilerplate=True, boilerplate_threshold=0.5)
    assert "n_boilerplate_paragraphs" in cleaned.documents and "Boilerplate removed:" in cleaned.summary()
    assert cleaned.n_words <= plain.n_words


def test_a_prepared_corpus_changes_one_tokenizer_setting_and_keeps_the_others():
    """Notebook 02 compares MT_NORMALISATION on and off with prepared.tokenizer_with: on Chinese pages read as
    simplified, the other setting must simplify too, or the comparison would mix two differences."""
    prepared = prepare_corpus("seeds_zh", simplify_chinese=True, keep_words=["people"], mt_normalisation=True)
    other = prepared.tokenizer_with(mt_normalisation=False)
    assert other == Tokenizer.from_parameters(simplify_chinese=True, keep_words=["people"])
    assert other.settings == {**prepared.tokenizer.settings, "mt_normalisation": False}
    assert prepared.tokenizer_with(mt_normalisation=True) == prepared.tokenizer
    text = "兩個維護 檢察院"
    assert other.split(text) == prepared.tokenizer.split(text) == Tokenizer.from_parameters(simplify_chinese=True).split(text)
    assert other.split(text) != Tokenizer.from_parameters().split(text)


def test_samples_are_fixed_and_keep_table_order():
    table = pd.DataFrame({"value": range(100)}, index=range(100, 200))
    sample = sample_rows(table, 10)
    assert len(sample) == 10 and sample.index.is_monotonic_increasing
    assert sample.equals(sample_rows(table, 10)) and sample_rows(table, 500).equals(table)
    assert list(sample_index(5, 3, random_state=1)) == list(sample_index(5, 3, random_state=1))


def test_side_by_side_rankings():
    documents = pd.DataFrame({"doc_id": ["a", "b"], "body": ["party party work", "work hospital"], "n_words": [3, 2]})
    stream = token_stream(documents)
    mt = token_stream(documents, tokenizer=Tokenizer.from_parameters(mt_normalisation=True))
    table = side_by_side({"without": ngram_frequency_table(stream, 1), "with": ngram_frequency_table(mt, 1)}, top=4)
    assert list(table.columns) == ["rank", "without", "count", "with", "count "]
    assert table["without"].tolist()[:2] == ["party", "work"] and "procuratorate" in table["with"].tolist()
    assert table["count"].isna().sum() == 1  # three terms for four ranks


#: Pieces of text where a search for a term can go wrong: the term inside a longer token ("multi-party",
#: "party_line"), in a merged phrase ("three meetings and one party lesson", "whole hospital"), with a possessive,
#: in capitals, with a Kelvin sign (lower-cased to "k"), a long s (matched by "s" ignoring case, lower-cased to
#: itself), a dotted capital I (lower-cased to two characters), Greek capitals (a final sigma), Chinese.
_PIECES = ["party", "Party", "PARTY", "parties", "party-building", "multi-party", "party_line", "party's", "Party’s", "the",
           "of", "warning", "Warning", "education", "education-", "building", "two safeguards", "Two Maintenance",
           "three meetings and one party lesson", "hospital", "whole hospital", "procuratorate", "\u212aey", "key",
           "ſtrict", "strict", "İparty", "ΟΔΟΣ", "οδος", "党建", "2", "_", "-", "--", "'", "’", "“", ",", ".", " ", " ", "\n",
           "\n\n", "检察院", "两个维护", "兩個維護", "检察院党建工作", "G20峰会", "\u212a党", "，", "。"]
#: A phrase merged into tokens that hold a stop word ("the" is dropped from them too).
_STOPPED = Tokenizer(replacements=((r"whole\s+hospital", "the whole procuratorate"),))
_TOKENIZERS = {"plain": Tokenizer(), "mt": Tokenizer.from_parameters(mt_normalisation=True), "stopped": _STOPPED,
               "simplified": Tokenizer.from_parameters(simplify_chinese=True)}
_TERMS = ["party", "warning education", "education", "two_safeguards", "procuratorate", "whole procuratorate", "key",
          "strict", "party building", "procuratorate party", "οδος", "building party warning", "party whole", "检察院",
          "党建", "g20", "峰会", "检察院 党建", "k党", "k"]


def _scanned(tokenizer: Tokenizer, text: str, words: list[str]) -> list[tuple[int, int]]:
    """The reference: every token of the text, scanned for ``words``."""
    tokens = tokenizer.token_spans(text)
    return [(tokens[index][1], tokens[index + len(words) - 1][2]) for index in token_occurrences(tokens, words)]


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=30), term=st.sampled_from(_TERMS), kind=st.sampled_from(sorted(_TOKENIZERS)))
@example(pieces=["multi-party", " ", "party", "-", "-", "party"], term="party", kind="plain")
@example(pieces=["whole hospital", " ", "party"], term="procuratorate party", kind="mt")
@example(pieces=["\u212aey", " ", "ſtrict"], term="key", kind="plain")
@example(pieces=["Warning", "’", " ", "the", " ", "education"], term="warning education", kind="plain")
@example(pieces=["party", " ", "whole hospital"], term="party whole", kind="stopped")
@example(pieces=["G20峰会", "，", "兩個維護", "。", "检察院党建工作"], term="two_safeguards", kind="simplified")
@example(pieces=["\u212a党", " ", "G20峰会"], term="k", kind="plain")
@example(pieces=["G20峰会", " ", "party", "检察院"], term="g20", kind="plain")
@example(pieces=["Party", " ", "检察院", "party"], term="party", kind="mt")
def test_occurrence_spans_are_those_of_scanning_every_token(pieces, term, kind):
    tokenizer = _TOKENIZERS[kind]
    text = "".join(pieces)
    words = tokenizer.term_words(term)
    assert tokenizer.occurrence_spans(text, words) == _scanned(tokenizer, text, words)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=30), term=st.sampled_from(_TERMS), kind=st.sampled_from(sorted(_TOKENIZERS)))
@example(pieces=["multi-party", " ", "party", "\n\n", "PARTY"], term="party", kind="plain")
@example(pieces=["two", "\n\n", "safeguards", " ", "2", " ", "safeguards"], term="two_safeguards", kind="plain")
@example(pieces=["party", "\n\n", "Two Maintenance", "\n\n", "party"], term="two_safeguards", kind="plain")
@example(pieces=["party", "\n\n", "两个维护", "\n\n", "two safeguards"], term="two_safeguards", kind="plain")
def test_the_paragraphs_that_may_hold_a_term_are_those_its_pattern_finds(pieces, term, kind):
    tokenizer = _TOKENIZERS[kind]
    text = "".join(pieces)
    words = tokenizer.term_words(term)
    search = tokenizer.may_contain(words).search
    expected = [(start, end) for start, end in paragraph_spans(text) if search(text, start, end) is not None]
    assert tokenizer.paragraphs_that_may_hold(text, words) == expected
