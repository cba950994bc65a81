"""Chinese through the one Tokenizer: segmented words, formulations as single tokens counted with their English
renderings, the Chinese stop list, no punctuation as a term, offsets for keyword-in-context."""

from __future__ import annotations

import pytest

from corpus_utils.core.words import count_words
from corpus_utils.text.chinese import chinese_stop_words, segment
from corpus_utils.text.tokenizer import Tokenizer

SENTENCE = "会议强调，要增强“四个意识”、坚定“四个自信”、做到“两个维护”，坚持三会一课，推进政法队伍教育整顿。"


def test_formulations_are_single_tokens_counted_with_their_english_renderings():
    tokens = Tokenizer().tokens(SENTENCE + " The Two Safeguards and the two maintenance.")
    assert tokens.count("two_safeguards") == 3
    assert {"four_consciousnesses", "four_confidences", "three_meetings_one_lesson", "政法队伍教育整顿"} <= set(tokens)


def test_traditional_forms_count_as_the_same_formulation():
    assert Tokenizer().tokens("做到「兩個維護」，增強「四個意識」") == ["做到", "two_safeguards", "增強", "four_consciousnesses"]


def test_without_merging_a_formulation_stays_one_chinese_token():
    assert Tokenizer.from_parameters(merge_formulations=False).tokens("做到“两个维护”") == ["做到", "两个维护"]


@pytest.mark.parametrize("punctuation", list("，。、；：？！“”‘’（）《》【】…—·「」"))
def test_full_width_punctuation_is_never_a_term(punctuation):
    assert punctuation not in Tokenizer().tokens(f"检察院{punctuation}党组")


def test_stop_words_go_and_numerals_stay():
    tokens = Tokenizer().tokens("我们的检察院和党组在二十大以后")
    assert "的" not in tokens and "和" not in tokens and "我们" not in tokens
    assert {"检察院", "党组"} <= set(tokens) and any("二十" in token for token in tokens)
    assert not {"一", "二", "三", "两"} & chinese_stop_words()


def test_token_spans_point_at_the_characters_written():
    text = "做到“两个维护”，检察院"
    spans = Tokenizer().token_spans(text)
    assert spans == [("做到", 0, 2), ("two_safeguards", 3, 7), ("检察院", 9, 12)]
    assert [text[start:end] for _, start, end in spans] == ["做到", "两个维护", "检察院"]


def test_search_terms_in_chinese_find_the_formulation_in_both_languages():
    tokenizer = Tokenizer()
    assert tokenizer.term_words("两个维护") == ["two_safeguards"]
    pattern = tokenizer.may_contain(["two_safeguards"])
    assert pattern.search("做到两个维护") and pattern.search("the two maintenance") and pattern.search("兩個維護")


def test_chinese_running_words_are_segmented():
    assert count_words("会议强调，要增强四个意识。") == len(segment("会议强调要增强四个意识"))
    assert count_words("The Two Safeguards") == 3
