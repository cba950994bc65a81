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
