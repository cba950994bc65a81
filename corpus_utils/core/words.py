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

import re

__all__ = ["RUNNING_WORD", "TOKEN_PATTERN", "SHINGLE_WORD", "HAN", "count_words"]

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
_PLAIN_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Number of running words (:data:`RUNNING_WORD`) in ``text``; a run with Han characters counts its words."""
    words = RUNNING_WORD.findall(text)
    if not HAN.search(text):
        return len(words)
    import rjieba

    return sum(sum(1 for word in rjieba.cut(run) if _PLAIN_WORD.fullmatch(word)) if HAN.search(run) else 1 for run in words)
