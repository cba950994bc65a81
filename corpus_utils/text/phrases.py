"""Phrase matching: many phrases found or replaced in one regex pass, longest first, on word boundaries."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..core.words import paragraph_spans
from .phrasescan import PHRASE_GAP, PrefixScanner, compile_phrases

__all__ = ["PhraseReplacer", "literal_phrase_pattern"]


class PhraseReplacer:
    """Replace many phrases in one regex pass, longest first, case-insensitively, on word boundaries.

    A phrase never spans a paragraph break (:data:`~corpus_utils.core.words.PARAGRAPH_SEPARATOR`): each paragraph
    of a text is matched as if it were a text of its own, so a document's phrases are its paragraphs' phrases.

    Parameters
    ----------
    replacements : sequence of (pattern, replacement)
        ``pattern`` is a regular expression (use :func:`re.escape` for a literal phrase); spaces in a
        literal phrase match any run of spaces or hyphens.
    """

    def __init__(self, replacements: Sequence[tuple[str, str]]) -> None:
        self.replacements = [(pattern, replacement) for pattern, replacement in replacements]
        ordered = sorted(enumerate(self.replacements), key=lambda item: -len(item[1][0]))
        self._targets = {f"p{index}": replacement for index, (_, replacement) in ordered}
        named = [(f"p{index}", pattern) for index, (pattern, _) in ordered]
        self._regex = compile_phrases(named) if ordered else None
        # finds the same matches as self._regex ~20x faster; None when the patterns do not allow it
        self._scanner = PrefixScanner.build(named) if ordered else None

    def __bool__(self) -> bool:
        """False when there is no phrase to match (every text is returned unchanged)."""
        return self._regex is not None

    def target(self, match: re.Match) -> str:
        """The replacement (e.g. the canonical token) of a match found by :meth:`finditer`."""
        return self._targets[match.lastgroup]

    def finditer(self, text: str) -> Iterator[re.Match]:
        """The phrase matches in ``text``, left to right: exactly ``self._regex.finditer(text, start, end)`` in each
        paragraph's span, found faster.

        Cost: a byte-level scan for the patterns' first words, then the regex only where one starts
        (see :mod:`corpus_utils.phrasescan`).
        """
        if self._regex is None:
            return iter(())
        spans = paragraph_spans(text)
        if self._scanner is None:
            return (match for start, end in spans for match in self._regex.finditer(text, start, end))
        return self._scanner.finditer(text, self._regex, spans)

    def __call__(self, text: str) -> str:
        if self._regex is None:
            return text
        pieces: list[str] = []
        last = 0
        for match in self.finditer(text):
            pieces += (text[last : match.start()], self._targets[match.lastgroup])
            last = match.end()
        if not pieces:
            return text
        pieces.append(text[last:])
        return "".join(pieces)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, replacement)`` of every phrase :meth:`__call__` would replace, left to right.

        Lets callers (e.g. keyword-in-context) map replaced tokens back to the original text.
        """
        if self._regex is None:
            return []
        return [(match.start(), match.end(), self._targets[match.lastgroup]) for match in self.finditer(text)]

    def __reduce__(self):
        return (PhraseReplacer, (self.replacements,))


def literal_phrase_pattern(phrase: str) -> str:
    """Regex for a literal phrase whose words may be separated by spaces or hyphens."""
    return PHRASE_GAP.join(re.escape(word) for word in phrase.split())


