"""Chinese text for the tokenizer: word segmentation, the Chinese stop list and formulations in Chinese.

Chinese is written without spaces, so a run of Han characters is one "word" to a regular expression.
:func:`segment` cuts it into words with jieba-rs (through ``rjieba``): the same dictionary and algorithm as
jieba, the segmenter most Chinese text-analysis tools use, at compiled speed (30 times jieba's on these
pages, with identical words). A user dictionary of the registry's Chinese formulations (两个维护, 四个意识,
三会一课, 全面从严治党 …, in simplified and traditional characters) and site vocabulary
(:data:`SITE_WORDS`) makes each of them one token, so a numbered formulation never falls apart into a
numeral and a noun.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..core.paths import PACKAGE_DATA_DIR
from ..core.words import HAN

__all__ = ["HAN", "has_han", "chinese_stop_words", "SITE_WORDS", "segmenter", "segment", "chinese_forms", "simplified"]

_WORD = re.compile(r"\w+(?:-\w+)*")
#: Words of the procuratorate and political-legal sites that the general dictionary splits.
SITE_WORDS = (
    "检察院", "检察长", "检察官", "检察机关", "检察工作", "公益诉讼", "政法队伍", "政法委", "政法机关", "纪检监察",
    "党风廉政", "党风廉政建设", "廉政建设", "警示教育", "主题教育", "党史学习教育", "教育整顿", "政法队伍教育整顿",
    "全面从严治党", "从严治党", "党组书记", "党支部", "党小组", "主题党日", "民主生活会", "组织生活会", "扫黑除恶",
    "干警", "基层党组织",
)


def has_han(text: str) -> bool:
    """Whether ``text`` holds a Han character (an ASCII text, known without reading it, holds none)."""
    return not text.isascii() and HAN.search(text) is not None


@lru_cache(maxsize=1)
def _listed_stop_words() -> frozenset[str]:
    lines = (PACKAGE_DATA_DIR / "stopwords_zh.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _traditional_stop_words() -> tuple[str, ...]:
    """The stop words whose traditional form (OpenCC ``s2t``) differs: 這 for 这, 們 for 们."""
    return tuple(sorted({form for word in _listed_stop_words() if (form := _to_traditional().convert(word)) != word}))


@lru_cache(maxsize=1)
def chinese_stop_words() -> frozenset[str]:
    """The Chinese stop list (``data/stopwords_zh.txt``): function words only; numerals are kept. Each word is
    also listed in traditional characters (OpenCC ``s2t``: 这 and 這, 们 and 們)."""
    return _listed_stop_words() | frozenset(_traditional_stop_words())


@lru_cache(maxsize=8)
def segmenter(user_words: tuple[str, ...] = ()):
    """A jieba-rs segmenter that knows ``user_words`` and :data:`SITE_WORDS` (in simplified and traditional
    characters) as words, and the traditional forms of the stop words (so 因為 is one word, dropped like 因为);
    one per word set."""
    import rjieba

    jieba = rjieba.Jieba()
    site_words = (*SITE_WORDS, *(_to_traditional().convert(word) for word in SITE_WORDS), *_traditional_stop_words())
    for word in dict.fromkeys((*site_words, *user_words)):
        jieba.add_word(word, None, None)
    return jieba


def segment(run: str, user_words: tuple[str, ...] = ()) -> list[str]:
    """The words of a run of text that holds Han characters; punctuation and spaces are dropped."""
    return [word for word in segmenter(user_words).cut(run) if _WORD.fullmatch(word)]


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` with traditional characters written as simplified ones (OpenCC ``t2s``), character for character:
    the result has the same length, so offsets into it are offsets into ``text``. Where OpenCC's phrase
    conversion would change the length, each character is converted on its own (one that would still change
    length is kept as written)."""
    converter = _to_simplified()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(new if len(new := converter.convert(char)) == 1 else char for char in text)


def chinese_forms(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Chinese form → canonical token, for ``(canonical, chinese)`` registry rows: each form in simplified and
    traditional characters (OpenCC ``s2t``); several forms of one formulation may be separated by ``|``."""
    forms: dict[str, str] = {}
    for canonical, chinese in rows:
        for form in str(chinese or "").split("|"):
            parts = _WORD.findall(form)  # 不忘初心、牢记使命: punctuation splits a run, so the first part names it
            form = parts[0] if parts else ""
            if form and has_han(form):
                forms.setdefault(form, canonical)
                forms.setdefault(_to_traditional().convert(form), canonical)
    return forms
