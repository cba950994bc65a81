"""The language column: Chinese scripts by OpenCC, English by function words, anything else by py3langid."""

from __future__ import annotations

import pytest

from corpus_utils import read_corpus
from corpus_utils.core.paths import SEEDS_DIR
from corpus_utils.input.language import detect_language, han_share


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("检察院召开党风廉政建设会议，要增强“四个意识”，做到“两个维护”。", "zh-Hans"),
        ("檢察院召開黨風廉政建設會議，要增強「四個意識」，做到「兩個維護」。", "zh-Hant"),
        ("The procuratorate held a meeting on the Two Safeguards (两个维护) and warning education.", "en"),
        ("市检察院与 Microsoft 公司签署合作协议，共同推进智慧检务建设和检察信息化工作。", "zh-Hans"),
        ("La procuraduría celebró una reunión sobre la disciplina y la educación de los funcionarios públicos.", "es"),
        ("Die Staatsanwaltschaft hielt eine Sitzung über Disziplin und Warnungserziehung der Beamten ab.", "de"),
        ("2021", "und"),
        ("", "und"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_han_share_counts_letters_only():
    assert han_share("两个维护 abcd 1234 ，。") == pytest.approx(4 / 8)


def test_every_document_gets_a_language():
    assert read_corpus(SEEDS_DIR).documents["language"].tolist() == ["en"] * 5


def test_the_english_check_reads_the_first_300_words_each_lower_cased():
    """The check takes the first 300 Latin words at once; its decision is that of matching them one by one."""
    import random
    from itertools import islice

    from corpus_utils.input.language import _ENGLISH_FUNCTION_WORDS, _LATIN_WORD, _reads_as_english

    def one_by_one(sample: str) -> bool:
        words = [match.group().lower() for match in islice(_LATIN_WORD.finditer(sample), 300)]
        return len(words) >= 3 and sum(word in _ENGLISH_FUNCTION_WORDS for word in words) >= 0.15 * len(words)

    rng = random.Random(1)
    pieces = list("the of and to in a is ÀİßŉĲ ,.-\n 1 THE Of xyz") + ["the ", "of ", "İs ", "THE ", "Ärger "]
    samples = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 1_500))) for _ in range(3_000)]
    decisions = [_reads_as_english(sample) for sample in samples]
    assert decisions == [one_by_one(sample) for sample in samples]
    assert 0 < sum(decisions) < len(samples)  # both answers occur


def test_the_first_300_words_found_in_a_prefix_are_those_of_the_whole_sample():
    """The English check looks for its words in the first 2,400 characters first; a word cut at that point, or fewer
    than 300 words there, must not change which words it reads. Samples of long words put the 300th word around the
    cut."""
    import random

    from corpus_utils.input.language import _ENGLISH_PREFIX, _LATIN_WORD, _first_latin_words

    rng = random.Random(7)
    samples = []
    for _ in range(2_000):
        words = ["".join(rng.choice("abcdeÀß") for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(150, 450))]
        samples.append("".join(word + rng.choice([" ", ", ", "1", "\n", " - "]) for word in words)[: rng.randint(2_000, 4_000)])
    assert [_first_latin_words(sample) for sample in samples] == [_LATIN_WORD.findall(sample)[:300] for sample in samples]
    cut = [sample for sample in samples if len(_LATIN_WORD.findall(sample, 0, _ENGLISH_PREFIX)) <= 300 < len(sample)]
    assert len(cut) > 100  # many samples need the whole sample
