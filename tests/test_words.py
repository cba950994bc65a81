"""The vectorised running-word count equals the reference regex count, text for text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_utils.core import words as words_module
from corpus_utils.core.columns import texts_of
from corpus_utils.core.words import count_words, count_words_many

#: Characters that decide word boundaries: letters of several scripts, digits, the joiners, Han, punctuation,
#: characters beyond U+FFFF, combining marks and the special cases of Unicode case and digit properties.
PIECES = list("aZ9_-'’ \n\t.,;“”") + ["两个", "維護", "İ", "Σ", "ǅ", "²", "٣", "Ⅷ", "\u0301", "\u00a0", "\U0001d400", "😀", "\ufeff", "〇"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=30).map("".join), max_size=20))
def test_count_words_many_equals_count_words(texts):
    assert count_words_many(texts).tolist() == [count_words(text) for text in texts]


def test_count_words_many_counts_long_lists_in_chunks(monkeypatch):
    monkeypatch.setattr(words_module, "_CHUNK_CHARACTERS", 10)
    texts = ["grass-roots people's work", "", "a--b -c- d'", "两个维护 and 2035", "x" * 25] * 3
    got = count_words_many(texts)
    assert got.dtype == np.int64 and got.tolist() == [count_words(text) for text in texts]


def test_count_words_many_reads_an_arrow_column_a_slice_at_a_time(monkeypatch):
    monkeypatch.setattr(words_module, "_CHUNK_CHARACTERS", 10)
    texts = ["grass-roots people's work", "", "两个维护 and 2035", "x" * 25, "a b"] * 3
    column = texts_of(pd.Series(texts, dtype="string[pyarrow]"))
    assert count_words_many(column).tolist() == [count_words(text) for text in texts]


def test_count_words_many_of_nothing_is_empty():
    assert count_words_many([]).tolist() == []


def _reference_count(text: str) -> int:
    """count_words as first written: each piece of jieba's cut of a Chinese run tested on its own."""
    import re

    import rjieba

    from corpus_utils.core.words import HAN, RUNNING_WORD

    plain = re.compile(r"\w+")
    return sum(sum(1 for word in rjieba.cut(run) if plain.fullmatch(word)) if HAN.search(run) else 1
               for run in RUNNING_WORD.findall(text))


def test_chinese_word_counts_equal_the_piece_by_piece_count():
    import random

    seeds = Path(__file__).resolve().parent.parent / "seeds_zh"
    lines = [line for path in sorted(seeds.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    pieces = [*lines, "两个-维护", "习近平's", "中国’s", "2021年3月", "grass-roots", "a_b", "检察院-", "-党建", "—", "ǅ", "\n\n", " "]
    rng = random.Random(3)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(400)]
    assert [count_words(text) for text in texts] == [_reference_count(text) for text in texts]
    assert sum(map(count_words, texts)) > 10_000
