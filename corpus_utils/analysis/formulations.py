"""Numbered formulations in a corpus: every occurrence, per document and period, renderings, and candidates to register."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.columns import as_str, text_rows
from ..core.scheduler import map_in_parts
from ..input.language import language_group
from .periods import UNDATED, assign_period, period_code
from .terms import _distinct
from ..text.registry import DIGIT_WORDS, formulation_matcher, load_registry
from ..text.chinese import chinese_forms, has_han, segment
from ..text.tokenizer import Tokenizer

__all__ = [
    "LOCATIONS",
    "find_formulations",
    "formulation_summary",
    "variant_usage",
    "formulations_by_period",
    "formulations_by_language",
    "formulation_document_counts",
    "discover_candidates",
    "COUNTING_NOUNS",
    "collocation_candidates",
    "COUNTING_CHARACTERS",
    "COUNTING_WORDS_ZH",
    "CANDIDATE_KINDS",
]

#: Where an occurrence sits: the title, the first paragraph of the body, or the rest of the body.
LOCATIONS = ("title", "first_paragraph", "body")
#: Apostrophes read as ``'`` and quotation marks read as ``"``.
_APOSTROPHES, _QUOTE_CHARS = "’‘`´", "“”„‟″"
_SPACES = re.compile(r"[\s-]+")


def _replaced(text: str, characters: str, by: str) -> str:
    """``text`` with each of ``characters`` replaced by ``by``: one ``str.replace`` per character, which skips
    ahead as a fast search does (a tenth of the time of a regex character class on pages of 3,600 characters)."""
    for character in characters:
        text = text.replace(character, by)
    return text


def _clean(text: object) -> str:
    return _replaced(text, _APOSTROPHES, "'") if isinstance(text, str) else ""


def _english(matcher, text: str) -> list[tuple[str, str, int]]:
    """(canonical, matched text, offset) of every English rendering in ``text``."""
    return [(matcher.target(match), match.group(0), match.start()) for match in matcher.finditer(text)] if matcher else []


class _ChineseForms:
    """Chinese forms of a registry's formulations, found exactly as the tokeniser counts them (segmented words)."""

    def __init__(self, registry: pd.DataFrame) -> None:
        self.tokenizer = Tokenizer.from_parameters(registry=registry)
        self.canonical = set(registry["canonical"].astype(str).str.lower())

    def find(self, text: str) -> list[tuple[str, str, int]]:
        if not has_han(text):
            return []
        return [(token, text[start:end], start) for token, start, end in self.tokenizer.form_spans(text)
                if token in self.canonical and has_han(text[start:end])]


def _texts_of(documents: pd.DataFrame) -> pd.DataFrame:
    """Columns ``doc_id``, ``title`` (None where there is none) and ``body`` of ``documents``: what a scan reads."""
    titles = documents["title"] if "title" in documents.columns else pd.Series([None] * len(documents), index=documents.index)
    return pd.DataFrame({"doc_id": documents["doc_id"].pipe(as_str), "title": titles, "body": documents["body"]})


def _occurrence_rows(texts: pd.DataFrame, *, registry: pd.DataFrame) -> list[tuple]:
    """``(doc_id, canonical, matched, location, paragraph, start)`` of every formulation in ``texts`` (from :func:`_texts_of`)."""
    matcher = formulation_matcher(registry)
    chinese = _ChineseForms(registry)
    rows: list[tuple] = []
    for doc_id, title, body in text_rows(texts, ["doc_id", "title", "body"]):
        title_text = _clean(title)
        for canonical, matched, start in [*_english(matcher, title_text), *chinese.find(title_text)]:
            rows.append((doc_id, canonical, matched, "title", 0, start))
        text = _clean(body)
        first_break = text.find("\n\n")
        for canonical, matched, start in sorted([*_english(matcher, text), *chinese.find(text)], key=lambda found: found[2]):
            paragraph = text.count("\n\n", 0, start) + 1
            location = "first_paragraph" if first_break < 0 or start < first_break else "body"
            rows.append((doc_id, canonical, matched, location, paragraph, start))
    return rows


def find_formulations(documents: pd.DataFrame, *, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every occurrence of a registered formulation in the titles and bodies.

    Matching is the one used by the vectorisers (:func:`~corpus_utils.text.registry.formulation_matcher`,
    one compiled regex), so these counts equal the counts of the canonical tokens. Cost: one regex pass over all
    titles and bodies.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and (optionally) ``title``.
    registry : pandas.DataFrame, optional
        From :func:`load_registry`; default the shipped registry.

    Returns
    -------
    pandas.DataFrame
        One row per occurrence: ``doc_id``, ``canonical``, ``label``, ``matched`` (as written, spaces
        collapsed), ``variant`` (lower-cased, hyphens as spaces), ``location`` (one of
        :data:`LOCATIONS`), ``paragraph`` (0 for the title, else the 1-based body paragraph),
        ``start`` (character offset in title or body); in document order, then title before body.
    """
    missing = [column for column in ("doc_id", "body") if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs columns doc_id and body (from read_corpus); missing {', '.join(missing)}")
    table = load_registry() if registry is None else registry
    labels = dict(zip(table["canonical"], table["label"].where(table["label"] != "", table["canonical"])))
    parts = map_in_parts(_occurrence_rows, _texts_of(documents), stage_name="formulations", processes=True, registry=table)
    rows = [row for part in parts for row in part]
    result = pd.DataFrame(rows, columns=["doc_id", "canonical", "matched", "location", "paragraph", "start"])
    result["matched"] = result["matched"].map(lambda text: " ".join(text.split()))
    result["variant"] = result["matched"].map(lambda text: " ".join(_SPACES.sub(" ", text.lower().replace(",", " ")).split()))
    result["label"] = result["canonical"].map(labels)
    result = result[["doc_id", "canonical", "label", "matched", "variant", "location", "paragraph", "start"]]
    return result.astype(
        {"doc_id": "string", "canonical": "string", "label": "string", "matched": "string", "variant": "string",
         "location": "string", "paragraph": "int64", "start": "int64"}
    )


def formulation_document_counts(occurrences: pd.DataFrame) -> pd.DataFrame:
    """Occurrences per document and formulation.

    Parameters
    ----------
    occurrences : pandas.DataFrame
        From :func:`find_formulations` (columns ``doc_id``, ``canonical``).

    Returns
    -------
    pandas.DataFrame
        Columns ``doc_id``, ``canonical``, ``count`` (int64); only non-zero counts, sorted by doc_id, canonical.
    """
    counts = occurrences.groupby(["doc_id", "canonical"], observed=True).size().rename("count").reset_index()
    return counts.sort_values(["doc_id", "canonical"]).reset_index(drop=True).astype({"count": "int64"})


def formulation_summary(
    occurrences: pd.DataFrame, documents: pd.DataFrame, *, registry: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per registered formulation: how often, in how many documents, when first and last, and where.

    Parameters
    ----------
    occurrences : pandas.DataFrame
        From :func:`find_formulations`.
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and (optionally) ``date``.
    registry : pandas.DataFrame, optional
        The registry used for ``occurrences`` (default the shipped one); formulations never found are
        listed with zero counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``canonical``, ``label``, ``chinese``, ``occurrences``, ``documents``, ``share_documents``
        (of all documents), ``in_title``, ``in_first_paragraph``, ``in_body`` (documents with an
        occurrence there), ``first_date``, ``last_date`` (among dated documents), ``first_doc_id``,
        ``last_doc_id``, ``renderings`` (``"two maintenance (2); two protections (2)"``, most used first);
        sorted by documents, occurrences (descending), then canonical.
    """
    table = load_registry() if registry is None else registry
    n_documents = max(len(documents), 1)
    base = table[["canonical", "label", "chinese"]].copy()
    grouped = occurrences.groupby("canonical", observed=True)
    base["occurrences"] = base["canonical"].map(grouped.size()).fillna(0).astype("int64")
    base["documents"] = base["canonical"].map(grouped["doc_id"].nunique()).fillna(0).astype("int64")
    base["share_documents"] = base["documents"] / n_documents
    for location in LOCATIONS:
        here = occurrences[occurrences["location"] == location].groupby("canonical", observed=True)["doc_id"].nunique()
        base[f"in_{location}"] = base["canonical"].map(here).fillna(0).astype("int64")
    dates = (
        documents.set_index(documents["doc_id"].pipe(as_str))["date"]
        if "date" in documents.columns
        else pd.Series(pd.NaT, index=documents["doc_id"].pipe(as_str), dtype="datetime64[ns]")
    )
    dated = occurrences[["canonical", "doc_id"]].drop_duplicates().assign(date=lambda frame: frame["doc_id"].pipe(as_str).map(dates))
    dated = dated.dropna(subset=["date"]).sort_values(["date", "doc_id"])
    first = dated.drop_duplicates("canonical", keep="first").set_index("canonical")
    last = dated.drop_duplicates("canonical", keep="last").set_index("canonical")
    base["first_date"] = base["canonical"].map(first["date"]).astype("datetime64[ns]")
    base["last_date"] = base["canonical"].map(last["date"]).astype("datetime64[ns]")
    base["first_doc_id"] = base["canonical"].map(first["doc_id"]).astype("string")
    base["last_doc_id"] = base["canonical"].map(last["doc_id"]).astype("string")
    usage = variant_usage(occurrences)
    rendered = usage.assign(text=usage["variant"].astype(str) + " (" + usage["occurrences"].astype(str) + ")")
    renderings = rendered.groupby("canonical", sort=False)["text"].agg("; ".join)  # empty when nothing occurs
    base["renderings"] = base["canonical"].map(renderings).fillna("").astype("string")
    base = base.sort_values(["documents", "occurrences", "canonical"], ascending=[False, False, True])
    return base.reset_index(drop=True)


def variant_usage(occurrences: pd.DataFrame) -> pd.DataFrame:
    """How each formulation is rendered in the corpus.

    Parameters
    ----------
    occurrences : pandas.DataFrame
        From :func:`find_formulations` (columns ``doc_id``, ``canonical``, ``variant``).

    Returns
    -------
    pandas.DataFrame
        Columns ``canonical``, ``variant`` (as written, lower-cased), ``occurrences``, ``documents``;
        sorted by canonical, then occurrences (descending), then variant.
    """
    grouped = occurrences.groupby(["canonical", "variant"], observed=True)
    usage = pd.DataFrame({"occurrences": grouped.size(), "documents": grouped["doc_id"].nunique()}).reset_index()
    usage = usage.sort_values(["canonical", "occurrences", "variant"], ascending=[True, False, True])
    return usage.reset_index(drop=True).astype({"occurrences": "int64", "documents": "int64"})


def formulations_by_period(occurrences: pd.DataFrame, documents: pd.DataFrame, *, freq: str = "year") -> pd.DataFrame:
    """Documents using each formulation per period, with the share of that period's documents.

    Parameters
    ----------
    occurrences : pandas.DataFrame
        From :func:`find_formulations`.
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``date``; undated documents form the period ``"undated"``.
    freq : {"year", "quarter", "month"}
        Period length.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (str: ``2019``, ``2019Q3`` or ``2019-07``), ``canonical``, ``occurrences``,
        ``documents``, ``documents_in_period``, ``share`` (documents / documents_in_period); one row per
        period and formulation found in it, sorted by period (``undated`` last), then canonical.
    """
    period_code(freq, name="freq")
    dates = documents["date"] if "date" in documents.columns else pd.Series(pd.NaT, index=documents.index, dtype="datetime64[ns]")
    periods = assign_period(dates, freq).fillna(UNDATED)
    period_of = pd.Series(periods.to_numpy(), index=documents["doc_id"].pipe(as_str).to_numpy())
    sizes = period_of.value_counts()
    frame = occurrences.assign(period=occurrences["doc_id"].pipe(as_str).map(period_of))
    grouped = frame.groupby(["period", "canonical"], observed=True)
    result = pd.DataFrame({"occurrences": grouped.size(), "documents": grouped["doc_id"].nunique()}).reset_index()
    result["documents_in_period"] = result["period"].map(sizes).astype("int64")
    result["share"] = result["documents"] / result["documents_in_period"]
    result["_undated"] = result["period"] == "undated"
    result = result.sort_values(["_undated", "period", "canonical"]).drop(columns="_undated")
    return result.reset_index(drop=True).astype({"period": "string", "canonical": "string", "occurrences": "int64", "documents": "int64"})


def _rendering_list(usage: pd.DataFrame) -> str:
    total = int(usage["occurrences"].sum())
    return "; ".join(f"{variant} {count} ({count / total:.0%})" for variant, count in zip(usage["variant"], usage["occurrences"]))


def formulations_by_language(
    occurrences: pd.DataFrame, documents: pd.DataFrame, *, registry: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each formulation in each language: how widely it is used, and in which renderings.

    For a corpus of Chinese originals and their English machine translations this sets 两个维护 beside "two
    safeguards", "two maintenance" …, and says how often the translation chose each rendering.

    Parameters
    ----------
    occurrences : pandas.DataFrame
        From :func:`find_formulations` (columns ``doc_id``, ``canonical``, ``variant``).
    documents : pandas.DataFrame
        Takes columns ``doc_id`` and ``language``; languages are grouped as
        :func:`~corpus_utils.input.language.language_group` does (``zh`` holds simplified and traditional).
    registry : pandas.DataFrame, optional
        For labels and Chinese forms (default the shipped registry).

    Returns
    -------
    pandas.DataFrame
        One row per formulation found and language group: ``canonical``, ``label``, ``chinese``, ``language``,
        ``documents_in_language``, ``occurrences``, ``documents``, ``share_documents`` (of the language's
        documents), ``main_rendering`` (the most used, as written, lower-cased), ``main_rendering_share`` (of
        the formulation's occurrences in that language), ``renderings`` (``"two safeguards 6 (60%); two
        maintenance 4 (40%)"``, most used first); sorted by the formulation's documents in all languages
        (descending), canonical, then language.
    """
    table = load_registry() if registry is None else registry
    codes = documents["language"] if "language" in documents.columns else pd.Series("und", index=documents.index)
    group_of = pd.Series(codes.astype("string").fillna("und").map(language_group).to_numpy(),
                         index=documents["doc_id"].pipe(as_str).to_numpy())
    sizes = group_of.value_counts()
    frame = occurrences.assign(language=occurrences["doc_id"].pipe(as_str).map(group_of).fillna("und"))
    columns = ["canonical", "label", "chinese", "language", "documents_in_language", "occurrences", "documents",
               "share_documents", "main_rendering", "main_rendering_share", "renderings"]
    if frame.empty:
        return pd.DataFrame({column: pd.Series(dtype="int64" if column in ("documents_in_language", "occurrences", "documents")
                                               else "float64" if "share" in column else "string") for column in columns})
    grouped = frame.groupby(["canonical", "language"], observed=True)
    result = pd.DataFrame({"occurrences": grouped.size(), "documents": grouped["doc_id"].nunique()}).reset_index()
    usage = frame.groupby(["canonical", "language", "variant"], observed=True).size().rename("occurrences").reset_index()
    usage = usage.sort_values(["canonical", "language", "occurrences", "variant"], ascending=[True, True, False, True])
    per_group = usage.groupby(["canonical", "language"], sort=False)
    main = per_group.head(1).set_index(["canonical", "language"])
    keys = pd.MultiIndex.from_frame(result[["canonical", "language"]])
    result["main_rendering"] = main["variant"].reindex(keys).to_numpy()
    result["main_rendering_share"] = (main["occurrences"].reindex(keys) / result.set_index(["canonical", "language"])["occurrences"]).to_numpy()
    result["renderings"] = per_group[["variant", "occurrences"]].apply(_rendering_list).reindex(keys).to_numpy()
    result["documents_in_language"] = result["language"].map(sizes).astype("int64")
    result["share_documents"] = result["documents"] / result["documents_in_language"]
    labels = table.set_index("canonical")
    result["label"] = result["canonical"].map(labels["label"].where(labels["label"] != "", labels.index.to_series()))
    result["chinese"] = result["canonical"].map(labels["chinese"].fillna(""))
    result["_total"] = result["canonical"].map(frame.groupby("canonical", observed=True)["doc_id"].nunique())
    result = result.sort_values(["_total", "canonical", "language"], ascending=[False, True, True]).drop(columns="_total")
    return result[columns].reset_index(drop=True).astype(
        {"canonical": "string", "label": "string", "chinese": "string", "language": "string", "occurrences": "int64",
         "documents": "int64", "main_rendering": "string", "renderings": "string"})


# ---------------------------------------------------------------- discovery of unregistered formulations

#: The number words a paired candidate starts with (or digits); a numbered one starts with the words from two on.
_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_NUMBER = rf"(?:{'|'.join(_NUMBER_WORDS)}|\d{{1,2}})"
_FUNCTION = r"(?:and|or|the|of|to|in|for|with|a|an|on|by|as|at|is|are|was|were|be|this|that|its|their|our|from)"
_WORD = rf"(?!{_FUNCTION}\b)(?!{_NUMBER}\b)[a-z][a-z'’]*(?:-[a-z]+)*"
_PAIRED = re.compile(rf"(?<![\w-]){_NUMBER}(?:[\s-]+{_WORD}){{1,2}}(?:\s*,\s*|\s+)(?:and\s+|with\s+)?{_NUMBER}[\s-]+{_WORD}(?![\w-])", re.I)
_NUMBERED = re.compile(rf"(?<![\w-])(?:{'|'.join(_NUMBER_WORDS[1:])})(?:[\s-]+{_WORD}){{1,2}}(?![\w-])", re.I)
_QUOTED = re.compile(r"\"([^\"\n.;:!?()\[\]]{3,90}?)\"")
#: Nouns that make "three years" or "five times" a count, not a formulation (the last word of a numbered candidate).
COUNTING_NOUNS = frozenset(
    "year years month months week weeks day days hour hours minute minutes time times people persons person "
    "percent yuan kilometers kilometres meters metres batch batches levels aspects members points places".split()
)
_HAN_CHAR = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_ZH_DIGIT = "一二两兩三四五六七八九十"
#: 三会一课, 两学一做, 一岗双责, 一带一路: a numeral, a character, a numeral (or 双/雙), a character.
_ZH_PAIRED = re.compile(rf"(?<![{_ZH_DIGIT}百千万萬第])[{_ZH_DIGIT}]({_HAN_CHAR})[{_ZH_DIGIT}双雙]({_HAN_CHAR})")
#: 两个维护, 四个意识, 五个坚持: a numeral from two to nineteen, 个/個, and a two-character word.
_ZH_NUMBERED = re.compile(rf"(?<![{_ZH_DIGIT}百千万萬第])(?:[二两兩三四五六七八九]|十[一二三四五六七八九]?)[个個]({_HAN_CHAR}{{2}})")
#: Characters that make 一年一度 or 三天两次 a count, not a formulation (the second and fourth of a paired candidate).
COUNTING_CHARACTERS = frozenset("个個年月日天次人名件起位条條项項种種类類批期届屆周週岁歲元万萬亿億千百十是的了和与與")
#: Words after N个 that make a count, not a formulation (三个方面, 两个部门).
COUNTING_WORDS_ZH = frozenset(
    "方面 部门 部門 单位 單位 地区 地區 问题 問題 案件 阶段 階段 环节 環節 部分 小组 小組 项目 項目 乡镇 鄉鎮 街道 社区 社區 "
    "工作 季度 年度 小时 小時 星期 百分 多月 方向 层面 層面 领域 領域 重点 重點 案例 县区 縣區 支部 班子 月内 月來 月来".split()
)
#: The words of a candidate, read for counting nouns: runs of word characters and apostrophes (hyphens too).
_PLAIN_WORD, _HYPHENATED_WORD = re.compile(r"[\w'’]+"), re.compile(r"[\w'’-]+")
#: A last word a numbered candidate loses ("eight cases involving"), and a letter a quoted one needs.
_PARTICIPLE_END, _ASCII_LETTER = re.compile(r"(?:ing|ed)$", re.I), re.compile(r"[A-Za-z]")
_PRIORITY = {"paired": 0, "quoted": 1, "numbered": 2}
#: What a candidate was found by, in order of precedence.
CANDIDATE_KINDS = tuple(_PRIORITY)


def _candidate_text(text: str) -> str:
    words = text.lower().replace("’", "'").replace(",", " ").split()
    return " ".join(DIGIT_WORDS.get(word, word) for word in words).strip(" '-")


#: Lower-case letters that a case-insensitive ``[a-z]`` matches although they are not ASCII (dotless i, long s).
_FOLDS_TO_ASCII = ("\u0131", "\u017f")
_PAIRED_LOWER, _NUMBERED_LOWER = re.compile(_PAIRED.pattern), re.compile(_NUMBERED.pattern)


def _case_folded(text: str) -> tuple[str, re.Pattern, re.Pattern]:
    """The text and the patterns to find paired and numbered candidates in it: ``text.lower()`` and the
    case-sensitive patterns (about twice as fast, measured: case-insensitive matching costs Python's engine more per
    character), where the lower case keeps every offset and no letter that only a case-insensitive match would read
    as ASCII; else ``text`` and :data:`_PAIRED`, :data:`_NUMBERED`. Both find the same spans."""
    lowered = text.lower()
    if len(lowered) == len(text) and not any(letter in lowered for letter in _FOLDS_TO_ASCII):
        return lowered, _PAIRED_LOWER, _NUMBERED_LOWER
    return text, _PAIRED, _NUMBERED


def _digit_run_starts(text: str) -> np.ndarray:
    """Where each run of digits (``\\d``: any Unicode decimal digit) begins in ``text``, in order."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    digit = (codes >= 48) & (codes <= 57)
    other = np.flatnonzero(codes >= 128)
    if other.size:
        digit[other] = [chr(code).isdecimal() for code in codes[other].tolist()]
    return np.flatnonzero(digit & ~np.concatenate(([False], digit[:-1])))


def _found_at(text: str, words: tuple[str, ...]) -> set[int]:
    """Every position of ``text`` where one of ``words`` begins, inside other words too."""
    found = set()
    for word in words:
        position = text.find(word)
        while position >= 0:
            found.add(position)
            position = text.find(word, position + 1)
    return found


def _number_starts(text: str) -> tuple[list[int], list[int]]:
    """Every position of ``text`` where a paired candidate can begin (one of :data:`_NUMBER_WORDS` or a run of
    digits) and where a numbered one can (the words from "two" on), each sorted."""
    numbered = _found_at(text, _NUMBER_WORDS[1:])
    paired = numbered | _found_at(text, _NUMBER_WORDS[:1]) | set(_digit_run_starts(text).tolist())
    return sorted(paired), sorted(numbered)


def _matches_from(pattern: re.Pattern, text: str, starts: list[int]) -> Iterator[re.Match]:
    """The matches of ``pattern.finditer(text)``, trying only ``starts`` (sorted; every position a match can begin at).

    Python's engine tries a pattern at every character (about 30 ns each here, the number words' first letters
    being too common to skip by); ``str.find`` for each number word and a vectorised pass for digits find the few
    places worth trying, and ``pattern.match`` there sees the text before ``start`` as ``finditer`` does
    (lookbehind included). Matches do not overlap: a start inside the last match is skipped, as ``finditer`` would.
    """
    end = 0
    for start in starts:
        if start >= end:
            match = pattern.match(text, start)
            if match is not None:
                yield match
                end = match.end()


def _spans(text: str, max_words: int) -> list[tuple[int, int, str]]:
    spans = []
    searched, paired, numbered = _case_folded(text)
    if paired is _PAIRED_LOWER:  # lower-cased text: the number words can be found as they are written
        paired_starts, numbered_starts = _number_starts(searched)
        paired_matches = _matches_from(paired, searched, paired_starts)
        numbered_matches = _matches_from(numbered, searched, numbered_starts)
    else:
        paired_matches, numbered_matches = paired.finditer(searched), numbered.finditer(searched)
    for match in paired_matches:
        if not any(word.lower() in COUNTING_NOUNS for word in _PLAIN_WORD.findall(match.group(0))):
            spans.append((match.start(), match.end(), "paired"))
    for match in _QUOTED.finditer(text):
        inner = match.group(1)
        n_words = len(inner.split())
        if 2 <= n_words <= max_words and _ASCII_LETTER.search(inner):
            start = match.start(1) + (len(inner) - len(inner.lstrip()))
            spans.append((start, match.start(1) + len(inner.rstrip()), "quoted"))
    for match in numbered_matches:
        words = list(_HYPHENATED_WORD.finditer(match.group(0)))
        while len(words) > 2 and _PARTICIPLE_END.search(words[-1].group(0)):
            words.pop()  # "eight cases involving" -> "eight cases"
        if not any(word.group(0).lower() in COUNTING_NOUNS for word in words[1:]):
            spans.append((match.start(), match.start() + words[-1].end(), "numbered"))
    if has_han(text):
        spans += _chinese_spans(text)
    spans.sort(key=lambda span: (span[0], -(span[1] - span[0]), _PRIORITY[span[2]]))
    kept: list[tuple[int, int, str]] = []
    end = -1
    for span in spans:
        if span[0] >= end:
            kept.append(span)
            end = span[1]
    return kept


def _chinese_spans(text: str) -> list[tuple[int, int, str]]:
    """Chinese numbered forms: ``paired`` (三会一课) and ``numbered`` (两个维护) candidates, counts left out."""
    spans = [(match.start(), match.end(), "paired") for match in _ZH_PAIRED.finditer(text)
             if not {match.group(1), match.group(2)} & COUNTING_CHARACTERS]
    for match in _ZH_NUMBERED.finditer(text):
        word = match.group(1)
        if word not in COUNTING_WORDS_ZH and segment(word) == [word]:  # the two characters are one word
            spans.append((match.start(), match.end(), "numbered"))
    return spans


@dataclass
class _CandidatePart:
    """The candidates of a part of the documents, compactly: each distinct candidate once (``names``) with the
    example of its first use in the least (doc_id, kind) order (``best``), and per occurrence its candidate's
    number, kind's precedence and document row within the part. What a worker sends back instead of one tuple of
    strings per occurrence."""

    doc_ids: list[str]
    names: list[str]
    best: list[tuple[str, int, str] | None]
    code: np.ndarray
    priority: np.ndarray
    row: np.ndarray


def _candidate_spans(field: str | None, max_words: int) -> tuple[str, list[tuple[str, str, int, int]]]:
    """A title or body as it is searched (quotation marks made plain), and ``(candidate, kind, start, end)`` of each
    candidate span in it: Chinese ones as written, English ones normalised (:func:`_candidate_text`), of two words
    or more."""
    text = _replaced(_clean(field), _QUOTE_CHARS, '"')
    found = []
    for start, end, kind in _spans(text, max_words):
        chinese = has_han(text[start:end])
        candidate = text[start:end] if chinese else _candidate_text(text[start:end])
        if chinese or len(candidate.split()) >= 2:
            found.append((candidate, kind, start, end))
    return text, found


def _snippet(text: str, start: int, end: int, context: int) -> str:
    """The span with ``context`` characters either side (a third as many in Chinese, where a character carries
    about a word), spaces collapsed."""
    around = context // 3 if has_han(text[start:end]) else context
    return " ".join(text[max(0, start - around) : end + around].split())


def _candidate_part(texts: pd.DataFrame, *, max_words: int, context: int) -> _CandidatePart:
    """The :class:`_CandidatePart` of every candidate span in ``texts`` (from :func:`_texts_of`)."""
    number: dict[str, int] = {}
    best: list[tuple[str, int, str] | None] = []
    code, priority, rows, doc_ids = [], [], [], []
    for row, (doc_id, title, body) in enumerate(text_rows(texts, ["doc_id", "title", "body"])):
        doc_ids.append(doc_id)
        for field in (title, body):
            text, found = _candidate_spans(field, max_words)
            for candidate, kind, start, end in found:
                index, rank = number.setdefault(candidate, len(number)), _PRIORITY[kind]
                if index == len(best):
                    best.append(None)
                if best[index] is None or (doc_id, rank) < best[index][:2]:  # the snippet only for a better example
                    best[index] = (doc_id, rank, _snippet(text, start, end, context))
                code.append(index)
                priority.append(rank)
                rows.append(row)
    return _CandidatePart(doc_ids, list(number), best, np.asarray(code, dtype=np.int64),
                          np.asarray(priority, dtype=np.int8), np.asarray(rows, dtype=np.int64))


def _merged_candidates(parts: list[_CandidatePart]) -> pd.DataFrame:
    """Columns ``candidate``, ``kind``, ``count``, ``documents``, ``example`` of the parts' candidates together, in
    no set order: the kind of highest precedence, occurrences, distinct doc_ids, and the example of the first use
    in the least (doc_id, kind) order, an earlier part first among equals."""
    number: dict[str, int] = {}
    best: list[tuple[str, int, str]] = []
    codes, priorities, documents, first_row = [], [], [], 0
    doc_codes = pd.factorize(pd.Series([doc_id for part in parts for doc_id in part.doc_ids], dtype=object))[0]
    for part in parts:
        remap = np.fromiter((number.setdefault(name, len(number)) for name in part.names), dtype=np.int64, count=len(part.names))
        for name, example in zip(part.names, part.best):
            index = number[name]
            if index == len(best):
                best.append(example)
            elif example[:2] < best[index][:2]:
                best[index] = example
        codes.append(remap[part.code])
        priorities.append(part.priority)
        documents.append(doc_codes[first_row + part.row])
        first_row += len(part.doc_ids)
    code = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
    document = np.concatenate(documents) if documents else np.zeros(0, dtype=np.int64)
    kind = np.full(len(number), len(_PRIORITY), dtype=np.int64)
    np.minimum.at(kind, code, np.concatenate(priorities).astype(np.int64) if priorities else np.zeros(0, dtype=np.int64))
    width = int(doc_codes.max(initial=0)) + 1
    pairs = _distinct(code * width + document, in_place=True)  # distinct (candidate, document)
    kinds = {value: key for key, value in _PRIORITY.items()}
    return pd.DataFrame({
        "candidate": list(number),
        "kind": [kinds[value] for value in kind.tolist()],
        "count": np.bincount(code, minlength=len(number)).astype(np.int64),
        "documents": np.bincount(pairs // width, minlength=len(number)).astype(np.int64),
        "example": [f"{doc_id}: …{snippet}…" for doc_id, _, snippet in best],
    })


def discover_candidates(
    documents: pd.DataFrame,
    *,
    registry: pd.DataFrame | None = None,
    min_documents: int = 1,
    max_words: int = 8,
    context: int = 60,
) -> pd.DataFrame:
    """Find candidate formulations in titles and bodies, registered or not, for a specialist to review.

    Three rules, in order of precedence where they overlap:

    * ``paired`` — "N X and M Y": a number (word or digit), one or two words, an optional ``and`` /
      ``with``, a number and a word (``three meetings and one lesson``, ``one post, two responsibilities``),
      unless a word is a unit of counting (``three years and five months``);
    * ``quoted`` — a phrase of 2 to ``max_words`` words in quotation marks (``"head goose effect"``);
    * ``numbered`` — a number word from two to twelve and one or two content words (``three major
      battles``, ``Five Ones``), a trailing ``-ing``/``-ed`` word dropped, unless a word is a unit of
      counting (:data:`COUNTING_NOUNS`: ``three years``, ``five times``).

    In Chinese text, two more (numbered forms are how the Party writes its slogans):

    * ``paired`` — a numeral, a character, a numeral (or 双), a character: 三会一课, 两学一做, 一岗双责,
      unless the second or fourth is a unit of counting (一年一度; :data:`COUNTING_CHARACTERS`);
    * ``numbered`` — a numeral from two to nineteen, 个, and a two-character word: 两个维护, 四个意识, 五个坚持,
      unless the word is a unit of counting (三个方面; :data:`COUNTING_WORDS_ZH`) or not a word at all
      (两个月内: jieba does not read 月内 as one word).

    English candidates are lower-cased, spaces collapsed, digits written as words; Chinese ones are kept as written (simplified and
    traditional apart). Cost: a regex pass over the text for quoted phrases; the paired and numbered patterns are
    tried only where a number word or a digit begins (:func:`_matches_from`); two more passes over Chinese text.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes columns ``doc_id``, ``body`` and (optionally) ``title``.
    registry : pandas.DataFrame, optional
        Used to mark candidates that are already registered (default the shipped registry).
    min_documents : int
        Keep candidates used in at least this many documents.
    max_words : int
        Longest quoted phrase kept.
    context : int
        Characters of context either side in ``example``.

    Returns
    -------
    pandas.DataFrame
        Columns ``candidate``, ``kind`` (``paired``, ``quoted`` or ``numbered``), ``count``, ``documents``,
        ``example`` (``"doc_id: …context…"`` from the first document using it), ``matched_canonical``
        (the registered formulation the whole candidate is a rendering or a Chinese form of, else missing); sorted by
        documents, count (descending), then candidate.
    """
    if min_documents < 1:
        raise ValueError(f"min_documents must be at least 1, got {min_documents!r}")
    missing = [column for column in ("doc_id", "body") if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs columns doc_id and body (from read_corpus); missing {', '.join(missing)}")
    parts = map_in_parts(_candidate_part, _texts_of(documents), stage_name="candidate formulations", processes=True, max_words=max_words,
                         context=context)
    columns = ["candidate", "kind", "count", "documents", "example", "matched_canonical"]
    result = _merged_candidates(parts)
    if result.empty:
        return pd.DataFrame({column: pd.Series(dtype="int64" if column in ("count", "documents") else "string") for column in columns})
    result = result[result["documents"] >= min_documents]
    table = load_registry() if registry is None else registry
    replacer = formulation_matcher(table)
    canonical = set(table["canonical"])
    forms = chinese_forms(zip(table["canonical"].astype(str), table["chinese"].fillna("").astype(str)))
    replaced = result["candidate"].map(lambda candidate: forms.get(candidate) or replacer(candidate))
    result["matched_canonical"] = replaced.where(replaced.isin(canonical)).astype("string")
    result = result.sort_values(["documents", "count", "candidate"], ascending=[False, False, True])
    return result[columns].reset_index(drop=True).astype({"candidate": "string", "kind": "string", "count": "int64", "documents": "int64", "example": "string"})


_NUMBER_TOKEN = re.compile(rf"{_NUMBER}|[{_ZH_DIGIT}].*", re.I)


def collocation_candidates(units: pd.DataFrame, *, registry: pd.DataFrame | None = None, min_z: float = 3.29) -> pd.DataFrame:
    """Numbered multi-word units that hold together beyond chance: candidate formulations found by association.

    Feeds the candidate list from :func:`~corpus_utils.analysis.collocations.multiword_units` (counted on the tokens,
    stop words removed, so "three meetings one lesson" is found however the translation joins its parts): a unit
    is kept when its first token is a number (a number word or digits, or a Chinese word starting with a numeral),
    no later token is a unit of counting (:data:`COUNTING_NOUNS`, :data:`COUNTING_WORDS_ZH`, :data:`COUNTING_CHARACTERS`) or a
    number, and its z exceeds
    ``min_z`` (3.29: p < 0.001).

    Parameters
    ----------
    units : pandas.DataFrame
        Columns ``collocation``, ``count``, ``documents``, ``z`` (units of any lengths together).
    registry : pandas.DataFrame, optional
        Marks units that are a registered rendering (default the shipped registry).
    min_z : float
        The least z kept.

    Returns
    -------
    pandas.DataFrame
        Columns ``candidate``, ``count``, ``documents``, ``z``, ``matched_canonical`` (the registered formulation the
        unit renders, else missing); by z (descending), count (descending), candidate.
    """
    # the cheap tests first, each on what the one before kept: z, then the first token, then the later tokens
    kept = units[units["z"] > min_z]
    words = kept["collocation"].astype(str).str.split()
    numbered = words.str[0].map(lambda first: _NUMBER_TOKEN.fullmatch(first) is not None).astype(bool)
    kept, words = kept[numbered], words[numbered]
    counting = words.map(lambda tokens: any(token.lower() in COUNTING_NOUNS or token in COUNTING_WORDS_ZH or token.isdigit()
                                            or token in COUNTING_CHARACTERS
                                            for token in tokens[1:])).astype(bool)  # "three years", "80 000": counts
    kept = kept[~counting]
    table = load_registry() if registry is None else registry
    replacer = formulation_matcher(table)
    forms = chinese_forms(zip(table["canonical"].astype(str), table["chinese"].fillna("").astype(str)))
    matched = kept["collocation"].map(lambda unit: forms.get(unit.replace(" ", "")) or replacer(unit))
    result = pd.DataFrame({"candidate": kept["collocation"].astype("string"), "count": kept["count"].astype("int64"),
                           "documents": kept["documents"].astype("int64"), "z": kept["z"].astype("float64"),
                           "matched_canonical": matched.where(matched.isin(set(table["canonical"]))).astype("string")})
    result = result.sort_values(["z", "count", "candidate"], ascending=[False, False, True], kind="stable")
    return result.reset_index(drop=True)
