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
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from ..core.columns import select_where
from ..core.words import HAN

__all__ = ["LANGUAGES", "AUTO", "ALL", "detect_language", "han_share", "language_group", "language_counts",
           "SEPARATE_MIN_DOCUMENTS", "SEPARATE_MIN_SHARE", "separate_groups", "LanguageSelection", "select_language"]

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


#: Latin-script words :func:`_reads_as_english` reads, and the characters it first looks for them in.
_ENGLISH_WORDS, _ENGLISH_PREFIX = 300, 2_400


def _first_latin_words(sample: str) -> list[str]:
    """The first :data:`_ENGLISH_WORDS` Latin-script words of ``sample`` (fewer if it has fewer). Found in its first
    :data:`_ENGLISH_PREFIX` characters when they hold more words than that (then the last one, which may be cut at the
    prefix's end, is not among them); else in the whole sample."""
    words = _LATIN_WORD.findall(sample, 0, _ENGLISH_PREFIX)
    if len(words) <= _ENGLISH_WORDS and len(sample) > _ENGLISH_PREFIX:
        words = _LATIN_WORD.findall(sample)
    return words[:_ENGLISH_WORDS]


def _reads_as_english(sample: str) -> bool:
    """At least 15 % of the first 300 Latin-script words of ``sample`` (at least 3) are English function words."""
    words = " ".join(_first_latin_words(sample)).lower().split(" ")  # the first 300, each lower-cased
    return len(words) >= 3 and sum(map(_ENGLISH_FUNCTION_WORDS.__contains__, words)) >= 0.15 * len(words)


def detect_language(text: str | None) -> str:
    """The language of ``text`` (the title and body of a page): ``zh-Hans``, ``zh-Hant``, ``en``, another
    ISO 639-1 code, or ``und`` when there is too little text to tell. Reads at most the first 4,000 characters."""
    sample = (text or "")[:_SAMPLE]
    if HAN.search(sample) is not None and han_share(sample) >= 0.2:
        return _chinese_script(sample)
    if _reads_as_english(sample):
        return "en"
    if len(_LETTER.findall(sample)) < 20:
        return "und"
    import py3langid

    return str(py3langid.classify(sample[:1_000])[0])


# ---------------------------------------------------------------- choosing the documents of one language

#: ``LANGUAGE`` values that are not language codes.
AUTO, ALL = "auto", "all"


def language_group(code: str | None) -> str:
    """The group a language code is analysed in: ``zh`` for ``zh-Hans`` and ``zh-Hant`` (one vocabulary once
    traditional characters are folded, see ``SIMPLIFY_CHINESE``), else the code itself; missing is ``und``."""
    code = str(code or "und")
    return "zh" if code.split("-")[0] == "zh" else code


def language_counts(languages: pd.Series) -> pd.Series:
    """Documents per language group (:func:`language_group`), largest first (ties alphabetical); ``und`` last."""
    groups = languages.astype("string").fillna("und").map(language_group)
    counts = groups.value_counts()
    order = sorted(counts.index, key=lambda group: (group == "und", -int(counts[group]), group))
    return counts.reindex(order).astype("int64")


#: A language group is analysed on its own (``LANGUAGE = "auto"``, the runner's runs per language) when it holds at
#: least this many documents …
SEPARATE_MIN_DOCUMENTS = 100
#: … or at least this share of the documents. Smaller groups are analysed with the rest: a handful of pages in
#: another language among thousands are more often short pages the detector could not be sure of (a title and a
#: line of pinyin names) than a second corpus worth its own analysis.
SEPARATE_MIN_SHARE = 0.01


def separate_groups(counts: pd.Series) -> tuple[list[str], pd.Series]:
    """The language groups of ``counts`` (from :func:`language_counts`) large enough to be analysed on their own
    (:data:`SEPARATE_MIN_DOCUMENTS` documents or :data:`SEPARATE_MIN_SHARE` of them), largest first, and the documents
    of the smaller ones (``und`` is in neither)."""
    known = counts.drop("und", errors="ignore")
    large = (known >= SEPARATE_MIN_DOCUMENTS) | (known >= SEPARATE_MIN_SHARE * int(counts.sum()))
    return known.index[large.to_numpy()].tolist(), known[~large.to_numpy()]


@dataclass(frozen=True)
class LanguageSelection:
    """The documents one analysis runs on, and why.

    Attributes
    ----------
    documents : pandas.DataFrame
        The selected rows of the documents table (all columns kept).
    language : str
        ``"all"`` or the language (group) selected.
    note : str
        One or two sentences for a notebook's output: what was selected and what was left out.
    mixed : bool
        Whether the corpus holds more than one language group large enough to be analysed on its own
        (:func:`separate_groups`).
    """

    documents: pd.DataFrame
    language: str
    note: str
    mixed: bool


def _matches(languages: pd.Series, language: str) -> pd.Series:
    codes = languages.astype("string").fillna("und")
    if "-" in language:
        return codes == language
    return codes.map(language_group) == language_group(language)


def _listing(counts: pd.Series) -> str:
    return ", ".join(f"{group} {count}" for group, count in counts.items())


def select_language(documents: pd.DataFrame, language: str = AUTO) -> LanguageSelection:
    """The documents of one language, as the ``LANGUAGE`` parameter asks.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes column ``language`` (from :func:`~corpus_utils.input.load.read_corpus`); without it every
        document is kept.
    language : str
        ``"auto"``: every document when the corpus holds one language (undetermined pages, and groups too small
        to be analysed apart, :func:`separate_groups`, included), else the documents of the largest language group — the other groups are named, so that they can be analysed
        on their own (the runner does so); ``"all"``: every document together; a code: ``"zh"`` (simplified
        and traditional), ``"zh-Hans"``, ``"zh-Hant"``, ``"en"`` or another detected code.

    Returns
    -------
    LanguageSelection

    Raises
    ------
    ValueError
        When no document has the requested language; the message lists the languages the corpus holds.
    """
    language = str(language).strip() or AUTO
    if "language" not in documents.columns or documents.empty:
        return LanguageSelection(documents, ALL, "", False)
    counts = language_counts(documents["language"])
    known = counts.drop("und", errors="ignore")
    separate, small = separate_groups(counts)
    mixed = len(separate) > 1
    if language == ALL or (language == AUTO and not mixed):
        note = f"Languages analysed together: {_listing(counts)} document(s)." if len(known) > 1 else ""
        if language == AUTO and len(small):
            note += (f" Too few to analyse apart (under {SEPARATE_MIN_DOCUMENTS} documents and "
                     f"{SEPARATE_MIN_SHARE:.0%} of the corpus): {_listing(small)}; set LANGUAGE = {known.index[0]!r} "
                     "to leave them out.")
        return LanguageSelection(documents, ALL, note, mixed)
    chosen = known.index[0] if language == AUTO else language
    keep = _matches(documents["language"], chosen)
    if not keep.any():
        raise ValueError(
            f"LANGUAGE = {language!r}: no document of this corpus is in that language. It holds: {_listing(counts)} "
            'document(s); set LANGUAGE to one of these, or to "all" or "auto".'
        )
    selected = select_where(documents, keep.to_numpy()).reset_index(drop=True)
    left = counts.drop(language_group(chosen), errors="ignore") if "-" not in chosen else None
    left_text = _listing(left) if left is not None and len(left) else f"{len(documents) - len(selected)} other"
    how = "the largest language group" if language == AUTO else "as LANGUAGE asks"
    note = (f"Language: {chosen} ({how}), {len(selected)} of {len(documents)} documents; left out: {left_text} "
            "document(s).")
    if language == AUTO:
        others = [group for group in separate if group != chosen]
        note += (f" Languages are analysed one at a time: set LANGUAGE = {others[0]!r} for the next, or \"all\" to "
                 "mix them.")
    return LanguageSelection(selected, chosen, note, mixed)
