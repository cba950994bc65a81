"""The language of a page: ``zh-Hans``, ``zh-Hant``, ``en``, another ISO 639-1 code, or ``und``.

These corpora hold two languages that a script count tells apart without error — Chinese originals and their
English machine translations — so the detector is a cascade, cheapest and surest first:

1. **Chinese** when Han characters are at least a fifth of the letters (a Chinese page quoting English names
   stays Chinese; an English page quoting 两个维护 stays English). Simplified or traditional is decided with
   OpenCC, the standard converter for Chinese scripts: a traditional text changes more when converted to
   simplified than the other way round.
2. **English** when at least 15 % of the first 300 Latin-script words are English function words ("the", "of",
   "and" …): machine-translated English always is; other Latin-script languages never reach that share.
3. Anything else goes to py3langid (the langid.py model of Lui and Baldwin, 97 languages, trained on news and
   web text, deterministic), on the first 1,000 characters; too little text gives ``und``.

Only step 3 costs real time (about 0.1 ms a page), and it runs only for pages that are neither Chinese nor
English.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..core.words import HAN

__all__ = ["LANGUAGES", "detect_language", "han_share"]

#: The codes the collection knows by name; others are ISO 639-1 codes from py3langid, or "und".
LANGUAGES = ("zh-Hans", "zh-Hant", "en")

_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_LETTER = re.compile(r"[^\W\d_]")
_ENGLISH_FUNCTION_WORDS = frozenset(
    "the of and to in a is that for on with as by at from was are be it this an has have were which their".split()
)
_SAMPLE = 4_000


def han_share(text: str) -> float:
    """Share of Han characters among the letters of ``text`` (0 when it has no letter)."""
    letters = len(_LETTER.findall(text))
    return len(HAN.findall(text)) / letters if letters else 0.0


@lru_cache(maxsize=2)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def _chinese_script(text: str) -> str:
    han = "".join(HAN.findall(text))
    to_simplified = sum(a != b for a, b in zip(han, _converter("t2s").convert(han)))
    to_traditional = sum(a != b for a, b in zip(han, _converter("s2t").convert(han)))
    return "zh-Hant" if to_simplified > to_traditional else "zh-Hans"


def detect_language(text: str | None) -> str:
    """The language of ``text`` (the title and body of a page): ``zh-Hans``, ``zh-Hant``, ``en``, another
    ISO 639-1 code, or ``und`` when there is too little text to tell. Reads at most the first 4,000 characters."""
    sample = (text or "")[:_SAMPLE]
    if han_share(sample) >= 0.2:
        return _chinese_script(sample)
    words = [word.lower() for word in _LATIN_WORD.findall(sample)[:300]]
    if len(words) >= 3 and sum(word in _ENGLISH_FUNCTION_WORDS for word in words) >= 0.15 * len(words):
        return "en"
    if len(_LETTER.findall(sample)) < 20:
        return "und"
    import py3langid

    return str(py3langid.classify(sample[:1_000])[0])
