"""What a word is, in one place: running words (lengths and rates), tokens (counts), shingle words (boilerplate).

Three definitions, each for its own job, kept side by side so that a change to one is a change made
knowingly:

* :data:`RUNNING_WORD` counts a document's length (``n_words``, the denominator of every rate per
  1,000 words): a run of letters or digits with inner hyphens or apostrophes, so ``people's`` and
  ``grass-roots`` are one word each, whatever the tokenizer later keeps of them. Chinese has no spaces, so a
  run holding Han characters counts the words jieba's own dictionary cuts it into (jieba-rs, through rjieba).
* :data:`TOKEN_PATTERN` splits preprocessed text into tokens (:class:`~corpus_utils.text.tokenizer.Tokenizer`):
  inner hyphens kept, one-character tokens kept; the preprocessing has already dropped a possessive ``'s``.
* :data:`SHINGLE_WORD` splits lower-cased paragraphs into the words of boilerplate shingles: plain runs of
  letters and digits, so punctuation variants of one template still match; each Han character is a word of
  its own, so Chinese shingles are runs of characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np

from .memo import source_version

__all__ = ["PARAGRAPH_SEPARATOR", "RUNNING_WORD", "TOKEN_PATTERN", "SHINGLE_WORD", "HAN", "ascii_words_only", "count_words",
           "count_words_many", "paragraph_spans", "word_rules_version"]

#: What separates two paragraphs of a document's ``body``. No token, phrase or formulation spans it, so a
#: document's tokens are its paragraphs' tokens one after the other.
PARAGRAPH_SEPARATOR = "\n\n"

#: A running word: letters or digits, with inner hyphens and apostrophes ("grass-roots", "people's", "2035").
RUNNING_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
#: A token: letters or digits with inner hyphens ("grass-roots", "2035", "two_safeguards"); one-character tokens
#: are kept. The word boundaries of the textbook form ``\b\w+(?:-\w+)*\b`` are implied when scanning left to
#: right (a greedy run of word characters always starts and ends at one), so they are left out: same tokens,
#: 12 % faster.
TOKEN_PATTERN = r"(?u)\w+(?:-\w+)*"
_HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: A Han character (CJK Unified Ideographs, Extension A, compatibility ideographs): what makes text Chinese here.
HAN = re.compile(f"[{_HAN_RANGES}]")
#: A word of a boilerplate shingle: a plain run of letters or digits, or one Han character (Chinese shingles are
#: runs of characters: Chinese has no spaces, and a segmenter's cuts vary with context).
SHINGLE_WORD = re.compile(f"[{_HAN_RANGES}]|[^\\W{_HAN_RANGES}]+")
_PLAIN_LINE = re.compile(r"^\w+$", re.M)  # a line that is one plain word: a piece of a cut counted as a word


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph of ``text``, as ``text.split(PARAGRAPH_SEPARATOR)`` cuts it (empty ones too)."""
    spans, start = [], 0
    while (cut := text.find(PARAGRAPH_SEPARATOR, start)) != -1:
        spans.append((start, cut))
        start = cut + len(PARAGRAPH_SEPARATOR)
    spans.append((start, len(text)))
    return spans


def count_words(text: str) -> int:
    """Number of running words (:data:`RUNNING_WORD`) in ``text``; a run with Han characters counts its words."""
    words = RUNNING_WORD.findall(text)
    if not HAN.search(text):
        return len(words)
    import rjieba

    chinese = [run for run in words if HAN.search(run)]
    pieces = "\n".join(map("\n".join, map(rjieba.cut, chinese)))  # a run holds no line break: one piece a line
    return len(words) - len(chinese) + len(_PLAIN_LINE.findall(pieces))


_CHUNK_CHARACTERS = 4_000_000  # characters classified at a time by count_words_many
_WORD, _JOINER, _SLOW = np.uint8(1), np.uint8(2), np.uint8(4)  # bits of _character_classes


@functools.lru_cache(maxsize=1)
def _character_classes() -> np.ndarray:
    """Bits per code point of the Basic Multilingual Plane: a regex word character (``str.isalnum()`` or ``_``, as
    :mod:`re` defines ``\\w``, from Python's own Unicode database), a joiner of :data:`RUNNING_WORD`, or Han (counted
    by :func:`count_words`); U+FFFF stands for every code point above it, which is counted by :func:`count_words` too."""
    classes = np.fromiter((chr(code).isalnum() or code == 0x5F for code in range(0x10000)), dtype=np.uint8, count=0x10000)
    classes[[ord("-"), ord("'"), ord("’")]] = _JOINER
    classes[np.flatnonzero(np.fromiter((bool(HAN.match(chr(code))) for code in range(0x10000)), dtype=bool, count=0x10000))] |= _SLOW
    classes[0xFFFF] = _SLOW
    return classes


def count_words_many(texts: Sequence[str]) -> np.ndarray:
    """:func:`count_words` of every text (int64), equal to it text for text and many times faster on long lists.

    Texts without Han characters are counted on code points with numpy: word-character runs (Python's own
    ``\\w``, looked up in a table built from ``str.isalnum``), minus the hyphens and apostrophes that join two
    runs into one word. Texts with Han characters, characters from U+FFFF on or lone surrogates go through
    :func:`count_words`. ``tests/test_words.py`` checks both agree on random text.
    """
    counts = np.zeros(len(texts), dtype=np.int64)
    ends = np.cumsum(np.fromiter((len(text) + 1 for text in texts), dtype=np.int64, count=len(texts)))
    total = int(ends[-1]) if len(texts) else 0
    stops = np.searchsorted(ends, np.arange(_CHUNK_CHARACTERS, total, _CHUNK_CHARACTERS), side="right")
    start = 0
    for stop in [*np.unique(stops).tolist(), len(texts)]:  # chunks of about _CHUNK_CHARACTERS, at least one text each
        stop = max(stop, start + 1)
        if start < len(texts):
            counts[start:stop] = _count_chunk([str(text) for text in texts[start:stop]])
        start = stop
    return counts


def _count_chunk(texts: list[str]) -> np.ndarray:
    try:
        codes = np.frombuffer(("\0".join(texts) + "\0").encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates: the regex handles them
        return np.fromiter(map(count_words, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1) - 1  # the NUL after each text
    classes = np.take(_character_classes(), codes, mode="clip")
    word = np.zeros(codes.size + 1, dtype=bool)  # one False past the end
    word[:-1] = (classes & _WORD).astype(bool)
    starts = np.flatnonzero(word[:-1] & ~np.r_[False, word[:-2]])
    joins = np.flatnonzero((classes[1:-1] & _JOINER).astype(bool) & word[:-3] & word[2:-1]) + 1
    counts = (np.bincount(np.searchsorted(ends, starts), minlength=len(texts))
              - np.bincount(np.searchsorted(ends, joins), minlength=len(texts))).astype(np.int64)
    for index in np.unique(np.searchsorted(ends, np.flatnonzero(classes & _SLOW))).tolist():
        counts[index] = count_words(texts[index])
    return counts


def ascii_words_only(texts: Sequence[str]) -> np.ndarray:
    """Whether each text's word characters (Python's ``\\w``) are all ASCII letters, digits or ``_``, so that a pattern
    over ``[A-Za-z0-9_]`` finds the same words as one over ``\\w``; other characters (``—``, ``、``, ``×``) may be
    anything but letters and digits. Texts with characters from U+FFFF on, or lone surrogates, count as not."""
    result = np.zeros(len(texts), dtype=bool)
    if not len(texts):
        return result
    try:
        codes = np.frombuffer(("\0".join(texts) + "\0").encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:
        return np.fromiter((text.isascii() for text in texts), dtype=bool, count=len(texts))
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1) - 1
    odd = (codes >= 0x80) & ((np.take(_character_classes(), codes, mode="clip") & (_WORD | _SLOW)).astype(bool))
    result[:] = True
    result[np.unique(np.searchsorted(ends, np.flatnonzero(odd)))] = False
    return result


def word_rules_version() -> str:
    """A short hash of this module's source: any edit to it may change what a word is, and so stored word counts."""
    return source_version(__file__)
