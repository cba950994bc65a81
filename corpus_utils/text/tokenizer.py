"""The one tokeniser every analysis shares: stop lists that keep number words, phrase merging, word splitting.

A :class:`Tokenizer` is built once from a notebook's parameters (``Tokenizer.from_parameters``) and
handed to every analysis, so term counts, TF-IDF, topics, keyness, KWIC and trends all see the same
tokens. It owns the compiled phrase matcher (numbered formulations, machine-translation variants).
The seam for other languages is :meth:`Tokenizer.split`, text → words: a segmenter for Chinese
plugs in there, and no analysis changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from itertools import accumulate
from typing import Any

import pandas as pd

from ..core.paths import PACKAGE_DATA_DIR
from ..core.words import HAN, TOKEN_PATTERN, paragraph_spans
from .chinese import chinese_forms, chinese_stop_words, has_han, segment, simplified
from .phrases import PhraseReplacer, literal_phrase_pattern
from .phrasescan import PrefixScanner, compile_phrases
from .registry import formulation_replacements, load_registry
from .variants import load_variant_table, variant_replacements

__all__ = [
    "TOKEN_PATTERN",
    "PAGE_CHROME_WORDS",
    "EXTRA_FUNCTION_WORDS",
    "base_stop_words",
    "build_stop_words",
    "TextPreprocessor",
    "Tokenizer",
    "token_occurrences",
    "tokenize",
]


#: Words left by page chrome on scraped pages (font-size widgets, share bars, footers).
PAGE_CHROME_WORDS = frozenset(
    {"font", "size", "large", "small", "print", "close", "window", "share", "qr", "scan", "views", "copyright", "icp"}
)
#: Function words the NLTK list lacks and machine translation over-produces.
EXTRA_FUNCTION_WORDS = frozenset({"also", "etc", "shall", "must", "would", "could", "may", "might", "us", "well"})

_APOSTROPHES = re.compile(r"[’‘`´]")
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_QUOTES = re.compile(r"[“”\"]")
_APOSTROPHE_CHARS = "’‘`´"  # the characters of _APOSTROPHES
_QUOTE_CHARS = "“”\""  # the characters of _QUOTES
#: Changes with any change to what a token is that the settings do not show (part of :attr:`Tokenizer.key`, so
#: stored token ids of older rules are not read back).
_TOKEN_RULES = "paragraph-local phrases"
_POSSESSIVE_FAST = re.compile(r"'(?<=\w')s\b")  # _POSSESSIVE with the apostrophe first, so the engine skips ahead to it
_TOKEN = re.compile(TOKEN_PATTERN)
_HAN_STRETCH = re.compile(f"(?:{HAN.pattern})+")  # Han characters one after another


def _every_run(run: str) -> bool:
    return True


def _no_spans(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    return []


_TOKEN_SPLIT = re.compile(f"({TOKEN_PATTERN.removeprefix('(?u)')})")  # _TOKEN as one group: re.split keeps the words
_WORD_CHARACTER = re.compile(r"\w")
_WORD_OR_HYPHEN = re.compile(r"[\w-]")


class _BoundedSearch:
    """``test(text, start, end)``: whether ``(?<![\\w-])`` + ``pattern`` matches in ``text[start:end]``, from the hits
    of ``pattern`` alone, each kept when no word character or hyphen comes before it (the look-behind of a search
    from ``start`` reads before ``start`` too)."""

    def __init__(self, pattern: re.Pattern) -> None:
        self._search = pattern.search

    def __call__(self, text: str, start: int, end: int) -> bool:
        while (hit := self._search(text, start, end)) is not None:
            begin = hit.start()
            if begin == 0 or _WORD_OR_HYPHEN.match(text, begin - 1) is None:
                return True
            start = begin + 1
        return False


def _english_filter(first: str, options: list[str]) -> Callable[[str, list[tuple[int, int]]], list[tuple[int, int]]] | None:
    r"""``kept(text, spans)``: the spans where ``(?<![\w-])(?:options…)(?![\w-])`` (ignoring case) matches; None when
    the options' first words cannot be pinned down."""
    if not options:
        return lambda text, spans: []
    if options == [literal_phrase_pattern(first)]:
        test = _BoundedSearch(re.compile(rf"(?:{options[0]})(?![\w-])", re.I))
        return lambda text, spans: [(start, end) for start, end in spans if test(text, start, end)]
    named = [(f"p{index}", option) for index, option in enumerate(options)]
    scanner = PrefixScanner.build(named)
    if scanner is None:
        return None
    regex = compile_phrases(named)
    return lambda text, spans: scanner.spans_holding(text, regex, spans)


class _OrChinese:
    """``kept(text, spans)``: the spans ``english`` keeps and those where ``chinese`` matches, in order; ``chinese``
    is tried span by span only in a text where it matches at all."""

    def __init__(self, english: Callable[[str, list[tuple[int, int]]], list[tuple[int, int]]], chinese: re.Pattern) -> None:
        self._english, self._search = english, chinese.search

    def __call__(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if self._search(text) is None:
            return self._english(text, spans)
        found = set(self._english(text, spans))
        return [(start, end) for start, end in spans if (start, end) in found or self._search(text, start, end) is not None]


def token_occurrences(tokens: Sequence[tuple[str, int, int]], words: Sequence[str]) -> list[int]:
    """Indices of ``tokens`` (``(token, start, end)``, as :meth:`Tokenizer.token_spans` gives them) where ``words``
    begin."""
    size = len(words)
    return [
        index
        for index in range(len(tokens) - size + 1)
        if tokens[index][0] == words[0] and all(tokens[index + offset][0] == words[offset] for offset in range(1, size))
    ]


@lru_cache(maxsize=64)
def _literal_search(word: str) -> Callable[..., Iterator[re.Match]]:
    """``finditer`` of ``word`` ignoring case: every string whose ``str.lower()`` is ``word`` matches it (and more)."""
    return re.compile(re.escape(word), re.IGNORECASE).finditer


def _segments(replaced: list[tuple[int, int, str]], length: int, stops: frozenset[str]) -> list[tuple[int, int, list[str] | None]]:
    """A text of ``length`` characters cut into its stretches of words (``(start, end, None)``) and its phrase
    replacements (``(start, end, tokens)``, stop words dropped), in order: what :meth:`Tokenizer.token_spans`
    reads its tokens from."""
    segments: list[tuple[int, int, list[str] | None]] = []
    cursor = 0
    for start, end, replacement in replaced:
        tokens = [match.group() for match in _TOKEN.finditer(replacement.lower())]
        segments += [(cursor, start, None), (start, end, [token for token in tokens if token not in stops])]
        cursor = end
    return [*segments, (cursor, length, None)]


def _starts_token(text: str, position: int, start: int) -> bool:
    """Whether a token of the stretch that begins at ``start`` begins at ``position`` (a word character): not when
    the character before it, in the stretch, is a word character or a hyphen after one (the token there goes on)."""
    if position == start:
        return True
    if _WORD_CHARACTER.match(text, position - 1) is not None:
        return False
    return not (text[position - 1] == "-" and position - 2 >= start and _WORD_CHARACTER.match(text, position - 2) is not None)


def _whole_tokens(text: str, search: Callable[..., Iterator[re.Match]], word: str, start: int, end: int) -> Iterator[int]:
    """Where the tokens of ``text[start:end]`` equal to ``word`` (lower-cased) begin, from the hits of ``search``
    (:func:`_literal_search`): a hit counts when the token that begins there is the word."""
    for hit in search(text, start, end):
        begin = hit.start()
        if _starts_token(text, begin, start):
            token = _TOKEN.match(text, begin, end)
            if token is not None and token.group().lower() == word:
                yield begin


def _tokens_after(text: str, segments: list[tuple[int, int, list[str] | None]], stops: frozenset[str], number: int,
                  after: int) -> Iterator[tuple[str, int]]:
    """``(token, end)`` of the tokens after a place in ``segments`` (:func:`_segments`): from character ``after``
    of segment ``number`` when it is a stretch of words, from its token ``after`` when it is a replacement."""
    for index in range(number, len(segments)):
        start, end, tokens = segments[index]
        if tokens is None:
            for match in _TOKEN.finditer(text, after if index == number else start, end):
                token = match.group().lower()
                if token not in stops:
                    yield token, match.end()
        else:
            yield from ((token, end) for token in (tokens[after:] if index == number else tokens))


def _end_of_rest(rest: Sequence[str], following: Iterator[tuple[str, int]], first_end: int) -> int | None:
    """The end of the last of ``rest`` when the ``following`` tokens begin with them (``first_end`` when there are
    none), else None."""
    end, matched = first_end, 0
    for word, (token, end) in zip(rest, following):
        if token != word:
            return None
        matched += 1
    return end if matched == len(rest) else None


@lru_cache(maxsize=1)
def base_stop_words() -> frozenset[str]:
    """The NLTK English stop list (179 words), shipped in ``data/stopwords_en.txt``; it keeps number words."""
    lines = (PACKAGE_DATA_DIR / "stopwords_en.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def build_stop_words(
    *, extra: Iterable[str] = (), keep: Iterable[str] = (), chrome: bool = True, function_words: bool = True
) -> frozenset[str]:
    """The stop list used everywhere: NLTK English + page chrome + extra function words + the Chinese stop list
    (:func:`~corpus_utils.text.chinese.chinese_stop_words`) + ``extra`` − ``keep``.

    Parameters
    ----------
    extra : iterable of str
        More words to drop (lower-cased).
    keep : iterable of str
        Words to keep even though a list above drops them.
    chrome, function_words : bool
        Include :data:`PAGE_CHROME_WORDS` / :data:`EXTRA_FUNCTION_WORDS`.
    """
    words = set(base_stop_words())
    if chrome:
        words |= PAGE_CHROME_WORDS
    if function_words:
        words |= EXTRA_FUNCTION_WORDS | chinese_stop_words()
    words |= {word.lower() for word in extra}
    words -= {word.lower() for word in keep}
    return frozenset(words)




class TextPreprocessor:
    """Straighten apostrophes, apply phrase replacements, drop possessive ``'s`` and double quotes, lower-case.

    Used as the ``preprocessor`` of every vectoriser; picklable, so it works with ``n_jobs``.
    Cost: a few ``str.replace`` scans, the phrase scan (:meth:`PhraseReplacer.finditer`) and a
    possessive pass that only stops at apostrophes; about a tenth of tokenising the text.
    """

    def __init__(self, replacer: PhraseReplacer | None = None) -> None:
        self.replacer = replacer

    def __call__(self, text: str) -> str:
        # Same result as _APOSTROPHES / _POSSESSIVE / _QUOTES .sub, with str.replace and a literal-first
        # regex: a character-class scan costs more than tokenising on 100,000 documents.
        for char in _APOSTROPHE_CHARS:
            if char in text:
                text = text.replace(char, "'")
        if self.replacer is not None:
            text = self.replacer(text)
        if "'" in text:
            text = _POSSESSIVE_FAST.sub("", text)
        for char in _QUOTE_CHARS:
            if char in text:
                text = text.replace(char, " ")
        return text.lower()




@lru_cache(maxsize=1)
def _default_replacements() -> tuple[tuple[str, str], ...]:
    """The shipped registry's renderings, read and turned into patterns once per process."""
    return tuple(formulation_replacements())


@lru_cache(maxsize=16)
def _compiled(replacements: tuple[tuple[str, str], ...]) -> PhraseReplacer:
    """One compiled matcher per set of replacements, shared by every tokenizer that has them."""
    return PhraseReplacer(replacements)


@lru_cache(maxsize=1)
def _default_chinese() -> tuple[tuple[str, str], ...]:
    """Chinese forms of the shipped registry's formulations → their canonical tokens (read once per process)."""
    return _chinese_pairs(None)


@lru_cache(maxsize=4)
def _chinese_pairs_cached(rows: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(chinese_forms(rows).items())


def _chinese_pairs(registry: pd.DataFrame | None) -> tuple[tuple[str, str], ...]:
    table = load_registry() if registry is None else registry
    return _chinese_pairs_cached(tuple(zip(table["canonical"].astype(str), table["chinese"].fillna("").astype(str))))


@dataclass(frozen=True, eq=False)
class Tokenizer:
    """How text becomes tokens, for every analysis: preprocess, merge phrases, split into words, drop stop words.

    Immutable; build it once (usually with :meth:`from_parameters`) and pass it as ``tokenizer=`` to
    every analysis. ``Tokenizer()`` is the notebooks' default: the shipped stop list, registered
    formulations merged into one token each, no machine-translation normalisation.

    Parameters
    ----------
    stop_words : iterable of str
        Words dropped after splitting (lower-cased); default :func:`build_stop_words` ().
    replacements : sequence of (pattern, token)
        Phrases rewritten before splitting, longest first (see :class:`~corpus_utils.text.phrases.PhraseReplacer`);
        default: every rendering of every registered formulation → its canonical token.
    chinese : sequence of (form, token)
        Chinese formulations (两个维护, 兩個維護) and the canonical token each is counted as; every form is also a
        word of the segmenter's user dictionary. Default: the shipped registry's forms, merged.
    simplify_chinese : bool
        Read traditional characters as simplified ones (OpenCC ``t2s``) before segmenting, so that 兩個維護 and
        两个维护, 檢察院 and 检察院 are one token each (``SIMPLIFY_CHINESE``). Off by default: the script a page
        is written in is itself a finding (Hong Kong, Macao and Taiwan sources write traditional).
    settings : dict
        What the tokenizer was built from, for display and cache keys (:meth:`from_parameters` fills it).
    """

    stop_words: frozenset[str] = field(default_factory=build_stop_words)
    replacements: tuple[tuple[str, str], ...] = field(default_factory=_default_replacements)
    chinese: tuple[tuple[str, str], ...] = field(default_factory=_default_chinese)
    simplify_chinese: bool = False
    settings: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stop_words", frozenset(str(word).lower() for word in self.stop_words))
        object.__setattr__(self, "replacements", tuple((str(p), str(t)) for p, t in self.replacements))
        object.__setattr__(self, "chinese", tuple((str(f), str(t)) for f, t in self.chinese))
        object.__setattr__(self, "simplify_chinese", bool(self.simplify_chinese))

    @classmethod
    def from_parameters(
        cls,
        *,
        extra_stop_words: Iterable[str] = (),
        keep_words: Iterable[str] = (),
        merge_formulations: bool = True,
        mt_normalisation: bool = False,
        mt_variants: Iterable[str] | None = None,
        registry: pd.DataFrame | None = None,
        variant_table: pd.DataFrame | None = None,
        simplify_chinese: bool = False,
    ) -> Tokenizer:
        """The tokenizer the notebook parameters of the same names describe.

        Parameters
        ----------
        extra_stop_words, keep_words : iterable of str
            Added to / removed from the shipped stop list (``EXTRA_STOP_WORDS``, ``KEEP_WORDS``).
        merge_formulations : bool
            Count every registered rendering of a numbered formulation as its canonical token
            (``"two maintenance"`` → ``two_safeguards``).
        mt_normalisation : bool
            Also apply the machine-translation variant table (``"hospital"`` → ``procuratorate``).
        mt_variants : iterable of str, optional
            Which variant rows to apply; default: those marked ``apply_by_default``.
        registry, variant_table : pandas.DataFrame, optional
            Tables to use instead of the shipped ones.
        simplify_chinese : bool
            Count traditional and simplified characters together (``SIMPLIFY_CHINESE``).
        """
        pairs: list[tuple[str, str]] = []
        chinese = _chinese_pairs(registry)
        if merge_formulations:
            pairs += _default_replacements() if registry is None else formulation_replacements(registry)
        else:
            chinese = tuple((form, form) for form, _ in chinese)  # still one token each, under their own name
        if mt_normalisation:
            table = load_variant_table() if variant_table is None else variant_table
            pairs += variant_replacements(table, variants=mt_variants)
        extra, keep = sorted(str(w) for w in extra_stop_words), sorted(str(w) for w in keep_words)
        settings = {"extra_stop_words": extra, "keep_words": keep, "merge_formulations": bool(merge_formulations),
                    "mt_normalisation": bool(mt_normalisation),
                    "mt_variants": None if mt_variants is None else sorted(mt_variants),
                    "simplify_chinese": bool(simplify_chinese)}
        return cls(stop_words=build_stop_words(extra=extra, keep=keep), replacements=tuple(pairs), chinese=chinese,
                   simplify_chinese=simplify_chinese, settings=settings)

    # -------------------------------------------------------------- the pieces, compiled once

    @cached_property
    def replacer(self) -> PhraseReplacer:
        """The compiled phrase matcher of :attr:`replacements` (false when there are none); compiled once per process."""
        return _compiled(self.replacements)

    @cached_property
    def preprocessor(self) -> TextPreprocessor:
        """``text -> text``: apostrophes straightened, phrases merged, possessives and quotes dropped, lower-cased."""
        return TextPreprocessor(self.replacer if self.replacer else None)

    @cached_property
    def user_words(self) -> tuple[str, ...]:
        """The Chinese segmenter's user dictionary: every Chinese formulation form."""
        return tuple(form for form, _ in self.chinese)

    @cached_property
    def chinese_tokens(self) -> dict[str, str]:
        """Chinese form → the token it is counted as."""
        return dict(self.chinese)

    @cached_property
    def key(self) -> str:
        """A short hash of the stop list, replacements and Chinese forms: equal keys, equal tokens."""
        state = (sorted(self.stop_words), self.replacements, self.chinese, _TOKEN_RULES)
        digest = hashlib.sha256(repr((*state, True) if self.simplify_chinese else state).encode())
        return digest.hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and (self.stop_words, self.replacements, self.chinese, self.simplify_chinese) == (
            other.stop_words, other.replacements, other.chinese, other.simplify_chinese)

    def __hash__(self) -> int:
        return hash(self.key)

    def __getstate__(self) -> dict[str, Any]:  # compiled pieces are rebuilt, not pickled
        return {"stop_words": self.stop_words, "replacements": self.replacements, "chinese": self.chinese,
                "simplify_chinese": self.simplify_chinese, "settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # -------------------------------------------------------------- text -> tokens

    def preprocess(self, text: str) -> str:
        """The text the words are split from (see :attr:`preprocessor`)."""
        return self.preprocessor(text)

    def split(self, text: str) -> list[str]:
        """Words of already preprocessed text, stop words included (:data:`TOKEN_PATTERN`); runs of Chinese are
        segmented (:func:`~corpus_utils.text.chinese.segment`) and Chinese formulations become their tokens."""
        if not has_han(text):
            return _TOKEN.findall(text)
        words: list[str] = []
        merge = self.chinese_tokens
        for token in _TOKEN.findall(text):
            if has_han(token):
                run = simplified(token) if self.simplify_chinese else token
                words += [merge.get(word, word) for word in segment(run, self.user_words)]
            else:
                words.append(token)
        return words

    def _segmented_spans(self, token: str, start: int) -> list[tuple[str, int, int]]:
        """The words of one Chinese run with their offsets (``start`` is the run's offset in the text)."""
        spans, cursor = [], 0
        token = simplified(token) if self.simplify_chinese else token  # same length: offsets unchanged
        for word in segment(token, self.user_words):
            position = token.find(word, cursor)
            cursor = position + len(word)
            spans.append((self.chinese_tokens.get(word, word).lower(), start + position, start + cursor))
        return spans

    def tokens(self, text: str) -> list[str]:
        """Tokens of ``text`` exactly as every vectoriser and count sees them (stop words removed)."""
        stops = self.stop_words
        return [token for token in self.split(self.preprocess(text)) if token not in stops]

    def token_spans(self, text: str) -> list[tuple[str, int, int]]:
        """:meth:`tokens` of ``text``, each with the span of the original text it came from.

        A token produced by a phrase replacement (``two_safeguards`` from "two maintenance") carries the
        span of the whole phrase, so keyword-in-context can show the words as written.
        """
        return self._spans(text, lambda blanked: self._word_spans if HAN.search(blanked) is None else self._mixed_spans)

    def _spans(self, text: str, words_for: Callable[[str], Callable[[str, int, int], list[tuple[str, int, int]]]]
               ) -> list[tuple[str, int, int]]:
        """The spans of the phrase replacements of ``text`` and, between them, those ``words_for(blanked)`` finds in
        each stretch of the blanked text (``(blanked, start, end)``), stop words dropped."""
        replaced, blanked = self._blanked(text)
        words = words_for(blanked)
        spans: list[tuple[str, int, int]] = []
        cursor = 0
        for start, end, replacement in [*replaced, (len(text), len(text), "")]:
            spans += words(blanked, cursor, start)
            spans += [(match.group(), start, end) for match in _TOKEN.finditer(replacement.lower())]
            cursor = end
        stops = self.stop_words
        return [span for span in spans if span[0] not in stops]

    def _blanked(self, text: str) -> tuple[list[tuple[int, int, str]], str]:
        """The phrase replacements of ``text`` (``(start, end, replacement)``, see
        :meth:`~corpus_utils.text.phrases.PhraseReplacer.spans`) and the text its words are read from: apostrophes
        straightened and possessive 's blanked, each character for one, so its offsets are those of ``text``."""
        straight = _APOSTROPHES.sub("'", text)
        return self.replacer.spans(straight), _POSSESSIVE_FAST.sub("  ", straight)

    def occurrence_spans(self, text: str, words: Sequence[str]) -> list[tuple[int, int]]:
        """``(start, end)`` in ``text`` of each occurrence of ``words`` (consecutive tokens, as :meth:`term_words`
        gives them) among :meth:`token_spans`, left to right: from the first token's start to the last one's end.

        The same spans as scanning every token of ``text``, found from the places where the first word can be: a
        case-insensitive search for it, each hit kept when it is a whole token outside the phrase replacements, then
        the tokens after it read one by one; and the phrase replacements whose tokens hold it. Text with Chinese
        (segmented) or a first word that is not ASCII is scanned token by token; for a one-word term, only its
        Chinese runs that may give that word are segmented (:meth:`_spans_that_may_be`).
        """
        words = list(words)
        if not words or any(word in self.stop_words for word in words):
            return []  # a stop word is never a token
        if not words[0].isascii() or HAN.search(text) is not None:
            tokens = self._spans_that_may_be(text, words[0]) if len(words) == 1 else self.token_spans(text)
            return [(tokens[index][1], tokens[index + len(words) - 1][2]) for index in token_occurrences(tokens, words)]
        replaced, blanked = self._blanked(text)
        segments = _segments(replaced, len(text), self.stop_words)
        first, rest = words[0], words[1:]
        search = _literal_search(first)
        found: list[tuple[int, int]] = []
        for number, (start, end, tokens) in enumerate(segments):
            if tokens is None:  # (span of the first word, where the tokens after it begin)
                hits = [(begin, begin + len(first), begin + len(first)) for begin in _whole_tokens(blanked, search, first, start, end)]
            else:
                hits = [(start, end, index + 1) for index, token in enumerate(tokens) if token == first]
            for begin, first_end, after in hits:
                last = _end_of_rest(rest, _tokens_after(blanked, segments, self.stop_words, number, after), first_end)
                if last is not None:
                    found.append((begin, last))
        return found

    @cached_property
    def _forms_pattern(self) -> re.Pattern | None:
        """Any Chinese formulation form (longest first), or None when there is none."""
        forms = sorted({form for form, _ in self.chinese}, key=lambda form: (-len(form), form))
        return re.compile("|".join(map(re.escape, forms))) if forms else None

    def form_spans(self, text: str) -> list[tuple[str, int, int]]:
        """The spans :meth:`token_spans` gives for ``text`` that come from a phrase replacement or from a Chinese run
        holding a Chinese formulation form: every span a form is counted as, with the other Chinese runs (clauses
        between punctuation) not segmented. Segmenting is most of the cost of Chinese text, and a run is segmented
        on its own, so these spans are exactly those of :meth:`token_spans` for those runs."""
        if self._forms_pattern is None:
            return self._spans(text, lambda blanked: _no_spans)
        runs = partial(self._runs_segmented_where, holds=self._forms_pattern.search, plain=False)
        return self._spans(text, lambda blanked: _no_spans if HAN.search(blanked) is None else runs)

    def _spans_that_may_be(self, text: str, word: str) -> list[tuple[str, int, int]]:
        """The spans of :meth:`token_spans` for ``text`` with every span whose token is ``word``: the Chinese runs that
        cannot give that token are not segmented (:meth:`_run_test`), so a term in Chinese text costs the clauses that
        may hold it rather than every clause."""
        holds = self._run_test(word)
        if holds is None:
            return self.token_spans(text)
        runs = partial(self._runs_segmented_where, holds=holds, plain=not has_han(word))
        return self._spans(text, lambda blanked: self._word_spans if HAN.search(blanked) is None else runs)

    @cached_property
    def _run_tests(self) -> dict[str, Callable[[str], bool] | None]:
        return {}

    def _run_test(self, word: str) -> Callable[[str], bool] | None:
        """``holds(run)``: false only for a Chinese run (simplified when the tokenizer simplifies) none of whose words
        is counted as ``word``; None when no such test is known (a word neither ASCII nor holding Han).

        A run's word is a piece of the run, counted as its formulation token or as itself lower-cased: so the run holds
        one of the forms counted as ``word``, or every stretch of Han characters of ``word`` (lower-casing leaves Han
        alone), or, for an ASCII ``word``, ``word`` in the lower-cased run."""
        if word not in self._run_tests:
            forms = tuple(form for form, token in self.chinese if token.lower() == word)
            if has_han(word):
                pieces = tuple(_HAN_STRETCH.findall(word))
                self._run_tests[word] = lambda run: any(form in run for form in forms) or all(piece in run for piece in pieces)
            elif word.isascii():
                self._run_tests[word] = lambda run: any(form in run for form in forms) or word in run.lower()
            else:
                self._run_tests[word] = None
        return self._run_tests[word]

    def _runs_segmented_where(self, text: str, start: int, end: int, *, holds: Callable[[str], Any], plain: bool
                              ) -> list[tuple[str, int, int]]:
        """:meth:`_mixed_spans` of ``text[start:end]`` with only the Chinese runs that ``holds`` (simplified when the
        tokenizer simplifies) segmented, and the words without Han only when ``plain``."""
        spans: list[tuple[str, int, int]] = []
        for match in _TOKEN.finditer(text, start, end):
            run = match.group()
            if has_han(run):
                if holds(simplified(run) if self.simplify_chinese else run):
                    spans += self._segmented_spans(run, match.start())
            elif plain:
                spans.append((run.lower(), match.start(), match.end()))
        return spans

    @staticmethod
    def _word_spans(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
        """The words of ``text[start:end]`` (which holds no Chinese) with their offsets, lower-cased.

        The same words as ``_TOKEN.finditer(text, start, end)`` (the pattern looks neither behind nor ahead of a
        word), from one ``re.split`` and a running sum of the pieces' lengths: no match object per word, so about
        twice as fast.
        """
        pieces = _TOKEN_SPLIT.split(text[start:end])  # gap, word, gap, word, …, gap
        offsets = list(accumulate(map(len, pieces), initial=start))
        return list(zip(map(str.lower, pieces[1::2]), offsets[1::2], offsets[2::2]))

    def _mixed_spans(self, text: str, start: int, end: int) -> list[tuple[str, int, int]]:
        """The words of ``text[start:end]`` with their offsets, Chinese runs segmented."""
        return self._runs_segmented_where(text, start, end, holds=_every_run, plain=True)

    def term_words(self, term: str, *, name: str = "term") -> list[str]:
        """The tokens a search term stands for (``"warning education"`` → two words).

        Raises ``ValueError`` naming ``name`` when the term is empty or holds a stop word, which could
        never be found because the tokens it is searched among have none.
        """
        if has_han(str(term)):
            words = [word.lower() for word in self.split(str(term))]
        else:
            words = [match.group().lower() for match in _TOKEN.finditer(str(term))]
        if not words:
            raise ValueError(f"{name} {term!r} has no word to search for")
        dropped = [word for word in words if word in self.stop_words]
        if dropped:
            raise ValueError(
                f"{name} {term!r} contains stop word(s) {dropped}, which the tokeniser removes before forming "
                f"n-grams; search for {' '.join(w for w in words if w not in self.stop_words)!r} or add them to KEEP_WORDS"
            )
        return words

    def may_contain(self, words: Sequence[str]) -> re.Pattern:
        """A regex every text whose tokens contain ``words`` must match: the first word, or a phrase merged into it."""
        options, chinese = self._first_word_patterns(words)
        bounded = rf"(?<![\w-])(?:{'|'.join(options)})(?![\w-])" if options else ""
        return re.compile("|".join(part for part in (bounded, "|".join(chinese)) if part), re.I)

    def paragraphs_that_may_hold(self, text: str, words: Sequence[str]) -> list[tuple[int, int]]:
        """The paragraphs of ``text`` (:func:`~corpus_utils.core.words.paragraph_spans`) in which
        ``may_contain(words)`` finds a match: ``[(start, end) for start, end in paragraph_spans(text) if
        may_contain(words).search(text, start, end)]``, about three times faster for a word no phrase is merged
        into. The look-behind that begins the pattern keeps Python's engine from skipping ahead to the word, so
        the word is searched for alone and the look-behind checked at each hit."""
        return self._paragraph_filter(tuple(words))(text, paragraph_spans(text))

    @cached_property
    def _paragraph_filters(self) -> dict[tuple[str, ...], Callable[[str, list[tuple[int, int]]], list[tuple[int, int]]]]:
        return {}

    def _paragraph_filter(self, words: tuple[str, ...]) -> Callable[[str, list[tuple[int, int]]], list[tuple[int, int]]]:
        """``kept(text, spans)``: the spans of ``text`` in which ``may_contain(words)`` matches (kept per ``words``).

        The pattern's English alternatives are searched without its leading look-behind (:class:`_BoundedSearch`)
        when they are the word alone, else by one byte scan of the text for their first words
        (:class:`~corpus_utils.text.phrasescan.PrefixScanner`); its Chinese ones only in a text where one of them
        occurs. A pattern neither shortcut can vouch for is searched as it is.
        """
        if words not in self._paragraph_filters:
            options, chinese = self._first_word_patterns(words)
            english = _english_filter(words[0], options)
            if english is None or not (options or chinese):
                search = self.may_contain(words).search
                english, chinese = (lambda text, spans: [(start, end) for start, end in spans if search(text, start, end)]), []
            self._paragraph_filters[words] = english if not chinese else _OrChinese(english, re.compile("|".join(chinese), re.I))
        return self._paragraph_filters[words]

    def _first_word_patterns(self, words: Sequence[str]) -> tuple[list[str], list[str]]:
        """The alternatives of :meth:`may_contain`: those for English text (the first word, the phrases merged into
        it) and those for Chinese text."""
        first = words[0]
        options = [literal_phrase_pattern(first)] if not has_han(first) else []
        options += [pattern for pattern, target in self.replacements if first in {t.lower() for t in _TOKEN.findall(target)}]
        chinese = [re.escape(form) for form, target in self.chinese if target.lower() == first or form == first]
        chinese += [re.escape(first)] if has_han(first) else []
        if self.simplify_chinese and chinese:  # a traditional spelling of the word: any Chinese text may hold it
            chinese = [HAN.pattern]
        return options, chinese

    def describe(self) -> str:
        """One line for notebook output: stop list size and what is merged."""
        merged = "formulations merged" if self.settings.get("merge_formulations", bool(self.replacements)) else "no formulation merging"
        mt = ", MT variants normalised" if self.settings.get("mt_normalisation") else ""
        script = ", traditional Chinese read as simplified" if self.simplify_chinese else ""
        return f"Tokenizer: {len(self.stop_words)} stop words, {len(self.replacements)} phrase pattern(s), {merged}{mt}{script}."


def tokenize(text: str, *, tokenizer: Tokenizer | None = None) -> list[str]:
    """Tokens of ``text`` exactly as the vectorisers see them (unigrams, stop words removed)."""
    return (tokenizer or Tokenizer()).tokens(text)
