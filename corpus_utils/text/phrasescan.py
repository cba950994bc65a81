"""Exact, fast search for many phrase patterns at once: a byte scan for literal prefixes, then the real regex at each hit.

One big case-insensitive alternation with a word-boundary lookbehind, ``(?<![\\w-])(?:p0|p1|…)(?![\\w-])``,
is tried by Python's regex engine at every character of the text: about 4 ms for a 3,000-character
page with the 70 formulation renderings, ten times the cost of tokenising it. Every match of such
a pattern starts at a word boundary with one of a few literal words ("two", "three", "never"…), so
:class:`PrefixScanner` finds those places first with one case-sensitive byte-level search on a
lower-cased copy of the text, then runs the real regex (restricted to the alternatives that can
start there) only at those places. A first word that only begins longer literal phrases ("the" of
"the institute", a machine-translation variant) stops that search only where the rest of one of them follows
in the probe, so a common word does not cost a regex match at each of its occurrences. The matches are exactly
those of ``regex.finditer(text)``; texts or patterns the shortcut cannot vouch for take the plain regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

try:  # the parser of Python's own regex module (stable since 3.5; renamed in 3.11)
    from re import _constants as _sre_constants
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

__all__ = ["BOUNDARY_BEFORE", "BOUNDARY_AFTER", "PHRASE_GAP", "compile_phrases", "literal_prefixes", "PrefixScanner", "PhraseCounter"]

#: A phrase starts where the previous character is not a word character or hyphen …
BOUNDARY_BEFORE = r"(?<![\w-])"
#: … and ends where the next one is not.
BOUNDARY_AFTER = r"(?![\w-])"
#: The only non-ASCII characters that a case-insensitive regex matches to ASCII letters (İ ı ſ K);
#: İ is also the only character whose lower case is two characters. Texts holding one take the plain path.
_ASCII_CASE_PARTNERS = ("\u0130", "\u0131", "\u017f", "\u212a")
#: Bytes of the ASCII-encoded probe: letters are lower-cased, digits, ``_`` and ``-`` stay, all else becomes a space.
_KEEP = set(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
_BOUNDARY_TABLE = bytes(
    byte if byte in _KEEP else byte + 32 if 65 <= byte <= 90 else 0x20 for byte in range(256)
)


def compile_phrases(named_patterns: Sequence[tuple[str, str]]) -> re.Pattern:
    """``(?<![\\w-])(?:(?P<name>pattern)|…)(?![\\w-])``, case-insensitive, alternatives in the given order."""
    alternation = "|".join(f"(?P<{name}>{pattern})" for name, pattern in named_patterns)
    return re.compile(f"{BOUNDARY_BEFORE}(?:{alternation}){BOUNDARY_AFTER}", re.I)


def _prefixes_of(items: list) -> set[str] | None:
    if not items:
        return None
    op, value = items[0]
    if op is _sre_constants.LITERAL:
        run = []
        for item_op, item_value in items:
            if item_op is not _sre_constants.LITERAL:
                break
            run.append(chr(item_value))
        prefix = "".join(run).lower()
        return {prefix} if prefix.isascii() else None
    if op is _sre_constants.SUBPATTERN:
        return _prefixes_of(list(value[-1]))
    if op is _sre_constants.BRANCH:
        found: set[str] = set()
        for alternative in value[1]:
            prefixes = _prefixes_of(list(alternative))
            if prefixes is None:
                return None
            found |= prefixes
        return found
    return None


def literal_prefixes(pattern: str) -> set[str] | None:
    """Lower-case ASCII strings one of which begins every match of ``pattern``; None if that cannot be shown.

    ``"(?:two|2)[\\s-]+safeguards?"`` → ``{"two", "2"}``; a pattern that may begin with a character
    class, a repetition or a non-ASCII letter gives None.
    """
    try:
        return _prefixes_of(list(_sre_parse.parse(pattern)))
    except (re.error, RecursionError):
        return None


def _shortest(words: set[bytes]) -> set[bytes]:
    """The words that no shorter word of the set begins (``lead`` covers ``leading``)."""
    return {word for word in words if not any(other != word and word.startswith(other) for other in words)}


def _trie_pattern(words: set[bytes], after: dict[bytes, bytes] | None = None) -> bytes:
    """A byte regex matching exactly one of ``words`` (none of which begins another), factored as a trie; a word
    with an entry in ``after`` must be followed by what that byte regex matches (a look-ahead, not consumed)."""
    after = after or {}
    trie: dict = {}
    for word in sorted(words):
        node = trie
        for byte in word:
            node = node.setdefault(byte, {})
        node[None] = word

    def render(node: dict) -> bytes:
        if None in node:
            return b"(?=" + after[node[None]] + b")" if node[None] in after else b""
        parts = [re.escape(bytes([byte])) + render(child) for byte, child in sorted(node.items())]
        return parts[0] if len(parts) == 1 else b"(?:" + b"|".join(parts) + b")"

    return render(trie)


#: What :func:`~corpus_utils.text.phrases.literal_phrase_pattern` puts between the words of a phrase.
PHRASE_GAP = r"[\s-]+"
#: The same gap in the byte probe, where every whitespace character is a space and a hyphen stays a hyphen.
_PROBE_GAP = b"[ -]+"


def _probe_words(pattern: str) -> list[bytes] | None:
    """The words of a literal phrase pattern (words of literal characters joined by ``[\\s-]+``) as they read in the
    byte probe, or None for any other pattern or a word that is not ASCII."""
    words = []
    for piece in pattern.split(PHRASE_GAP):
        word = re.sub(r"\\(.)", r"\1", piece)
        if not word or re.escape(word) != piece or not word.isascii():
            return None
        words.append(word.lower().encode("ascii").translate(_BOUNDARY_TABLE))
    return words


def _continuations(word: bytes, patterns: list[str]) -> bytes | None:
    """A byte regex for what follows ``word`` in the probe wherever one of ``patterns`` (those that can start with
    it) matches there, or None when one of them is not a literal phrase or can end with ``word`` itself."""
    options = []
    for pattern in patterns:
        words = _probe_words(pattern)
        if words is None or not words[0].startswith(word) or (len(words) == 1 and words[0] == word):
            return None
        rest = re.escape(words[0][len(word):]) + b"".join(_PROBE_GAP + re.escape(later) for later in words[1:])
        options.append(rest)
    return b"|".join(options) if options else None


class PrefixScanner:
    """Finds the matches of :func:`compile_phrases` ``(named_patterns)`` quickly, with identical results.

    Build with :meth:`build`, which returns None when some pattern's first characters cannot be
    pinned down (then use the regex directly).
    """

    def __init__(self, candidates: re.Pattern, verifiers: dict[bytes, re.Pattern], starters: dict[bytes, list[int]]) -> None:
        self._candidates = candidates
        self._verifiers = verifiers
        self._starters = starters  # first word -> positions (in the build order) of the patterns that can start there

    @classmethod
    def build(cls, named_patterns: Sequence[tuple[str, str]]) -> PrefixScanner | None:
        """A scanner for these ``(group name, pattern)`` pairs (in the regex's order), or None."""
        prefixes: list[set[bytes]] = []
        for _, pattern in named_patterns:
            found = literal_prefixes(pattern)
            if not found or "" in found:
                return None
            prefixes.append({prefix.encode("ascii").translate(_BOUNDARY_TABLE) for prefix in found})
        words = _shortest({prefix for group in prefixes for prefix in group})
        verifiers, starters = {}, {}
        for word in words:
            # the alternatives that can start where ``word`` does (longer prefixes that begin with it included)
            starters[word] = [
                index for index, group in enumerate(prefixes) if any(p.startswith(word) or word.startswith(p) for p in group)
            ]
            verifiers[word] = compile_phrases([named_patterns[index] for index in starters[word]])
        first = b"".join(re.escape(bytes([byte])) for byte in sorted({word[0] for word in words}))
        # a word that only begins longer literal phrases ("the" of "the institute") is a hit only where the rest of
        # one of them follows in the probe: common first words no longer stop the scan at every occurrence
        after = {word: rest for word in words
                 if (rest := _continuations(word, [named_patterns[index][1] for index in starters[word]])) is not None}
        # the look-ahead rejects most word starts with one class test before the trie is tried
        candidates = re.compile(b" (?=[" + first + b"])(" + _trie_pattern(words, after) + b")")
        return cls(candidates, verifiers, starters)

    def _probe(self, text: str) -> bytes | None:
        """The byte probe of ``text`` (``b" "`` + one byte per character), or None if the shortcut cannot vouch for it."""
        if not text.isascii() and any(char in text for char in _ASCII_CASE_PARTNERS):
            return None
        return b" " + text.encode("ascii", "replace").translate(_BOUNDARY_TABLE)

    def finditer(self, text: str, regex: re.Pattern, spans: Sequence[tuple[int, int]] | None = None) -> Iterator[re.Match]:
        """The matches of ``regex`` (the full alternation) in ``text``, left to right, as ``regex.finditer`` gives them;
        with ``spans``, as ``regex.finditer(text, start, end)`` gives them in each ``(start, end)`` span in turn.

        Cost: one lower-casing, encoding and byte translation of the text, one byte-regex scan that
        stops only at word starts followed by a registered first word, and one small regex match
        at each such place.
        """
        spans = [(0, len(text))] if spans is None else spans
        # One byte per character (non-ASCII ones become "?", then spaces); b" " in front stands for "start of text".
        probe = self._probe(text)
        if probe is None:
            for start, end in spans:
                yield from regex.finditer(text, start, end)
            return
        for position, end in spans:
            yield from self._matches(text, probe, position, end)

    def spans_holding(self, text: str, regex: re.Pattern, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """The ``(start, end)`` of ``spans`` in which ``regex`` (the full alternation) matches, as
        ``regex.search(text, start, end)`` finds it: one probe of the whole text, each span scanned to its first match."""
        probe = self._probe(text)
        if probe is None:
            return [(start, end) for start, end in spans if regex.search(text, start, end) is not None]
        return [(start, end) for start, end in spans if next(self._matches(text, probe, start, end), None) is not None]

    def _matches(self, text: str, probe: bytes, position: int, end: int) -> Iterator[re.Match]:
        """The matches in ``text[position:end]``, left to right, from the candidates the ``probe`` of ``text`` shows."""
        search = self._candidates.search
        # probe[i] is the boundary before text[i]: a hit at i whose word ends by text[end - 1] ends by probe[end]
        while (hit := search(probe, position, end + 1)) is not None:
            start = hit.start()
            match = self._verifiers[hit.group(1)].match(text, start, end)
            if match is None:
                position = start + 1
                continue
            yield match
            position = match.end()


class PhraseCounter:
    """How often each of several phrase patterns occurs in a text, each counted as its own ``finditer`` would.

    Unlike one alternation, overlapping patterns are counted separately ("whole hospital" also counts
    as "hospital"). One byte-level scan per text finds every place where some pattern can start, then
    only the patterns that can start there are tried, each resuming after its own previous match.
    Cost: one scan per text instead of one per pattern.

    Parameters
    ----------
    patterns : sequence of str
        Regular expressions, each compiled as :func:`compile_phrases` compiles one alternative.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        named = [(f"p{index}", pattern) for index, pattern in enumerate(patterns)]
        self._regexes = [compile_phrases([item]) for item in named]
        self._scanner = PrefixScanner.build(named) if named else None

    def count(self, text: str, spans: Sequence[tuple[int, int]] | None = None) -> list[int]:
        """Matches of each pattern in ``text``, in the patterns' order; with ``spans``, matches within each
        ``(start, end)`` span (as ``finditer(text, start, end)`` finds them), summed."""
        regexes = self._regexes
        spans = [(0, len(text))] if spans is None else spans
        probe = self._scanner._probe(text) if self._scanner is not None else None
        if probe is None:
            return [sum(1 for start, end in spans for _ in regex.finditer(text, start, end)) for regex in regexes]
        counts = [0] * len(regexes)
        resume = [0] * len(regexes)  # where each pattern's own finditer would look next
        starters = self._scanner._starters
        for first, end in spans:
            for hit in self._scanner._candidates.finditer(probe, first, end + 1):
                start = hit.start()
                for index in starters[hit.group(1)]:
                    if start >= resume[index] and (match := regexes[index].match(text, start, end)) is not None:
                        counts[index] += 1
                        resume[index] = match.end()
        return counts
