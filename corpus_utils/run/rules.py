"""The rules every notebook parameter must follow, declared once by name and checked in one place.

A parameter of the same name means the same thing in every notebook (``MIN_DF``, ``TOP_N``,
``BOILERPLATE_THRESHOLD`` …), so one table serves all of them: the notebooks check their values
right after the ``parameters`` cell (:func:`corpus_utils.run.params.check_parameters`) and the
runner checks every value before the first notebook starts. Numeric ranges are checked by
:func:`corpus_utils.core.checks.is_number_within`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from ..core.checks import is_number_within

__all__ = ["Rule", "RULES", "CROSS_RULES", "TERM_LISTS", "check_rule", "check_cross_rules", "term_list_conflicts"]


@dataclass(frozen=True)
class Rule:
    """What one parameter accepts.

    Attributes
    ----------
    kind : type
        ``int`` (whole numbers, not bool), ``float`` (any real number), ``str`` or ``list``.
    min_val, max_val : float, optional
        Bounds of a number; ``include_boundaries`` as in :func:`~corpus_utils.core.checks.is_number_within`.
    choices : tuple of str, optional
        The allowed values of a string.
    allow_none : bool
        ``None`` is accepted (and means "choose automatically").
    non_empty : bool
        A string must hold more than spaces; a list must hold only such strings.
    """

    kind: type
    min_val: float | None = None
    max_val: float | None = None
    include_boundaries: str = "both"
    choices: tuple[str, ...] | None = None
    allow_none: bool = False
    non_empty: bool = False


_AT_LEAST_1 = Rule(int, min_val=1)
_AT_LEAST_0 = Rule(int, min_val=0)
_AT_LEAST_2 = Rule(int, min_val=2)
_SHARE = Rule(float, min_val=0, max_val=1, include_boundaries="right")
_TOPIC_UNIT = Rule(str, choices=("paragraph", "document"))
_TOPIC_METHOD = Rule(str, choices=("nmf", "lda"))
#: As :data:`corpus_utils.analysis.collocations.MEASURES` and :data:`corpus_utils.analysis.kwic.SORT_KEYS` (a test keeps
#: them equal; this module stays free of the analysis layer's imports, so the runner checks values before loading it).
COLLOCATION_MEASURES = ("g2", "mi", "logdice", "t_score")
CONCORDANCE_SORT_KEYS = (*(f"{n}{side}" for side in "LR" for n in range(1, 6)), "term", "doc_id", "date", "section", "title",
                         "rendering")

#: Every checked parameter of the collection, by name.
RULES: dict[str, Rule] = {
    "DPI": Rule(int, min_val=50, max_val=1200),
    "MAX_SIMILARITIES": _AT_LEAST_1,
    "MAX_DUPLICATE_PAIRS": _AT_LEAST_1,
    **dict.fromkeys(
        ["MAX_TABLE_ROWS", "LENGTH_BINS", "MAX_SECTIONS", "TOP_N", "NGRAM_MIN_DF", "HEATMAP_TERMS", "MAX_DOCS_FOR_HEATMAP",
         "KWIC_LIMIT", "MAX_DISPERSION_DOCS", "MIN_DF", "TOP_TERMS", "MAX_DOCS_FOR_BARS", "MAX_DOCS_FOR_ALL_NEIGHBOURS",
         "N_NEIGHBOURS", "TOP_PAIRS", "MAX_POINTS", "SHINGLE_SIZE", "N_TOPICS", "N_TOP_TERMS", "MAX_BARS", "MAX_MARKS",
         "MIN_CANDIDATE_DOCUMENTS", "MAX_HEATMAP_DOCUMENTS", "COLLOCATION_MIN_COUNT", "COLLOCATION_MIN_DOCUMENTS",
         "MULTIWORD_MIN_COUNT"],
        _AT_LEAST_1,
    ),
    **dict.fromkeys(["KWIC_WINDOW", "KWIC_CHARS", "MIN_WORDS", "TOP_TREND_TERMS", "COLLOCATION_LEFT", "COLLOCATION_RIGHT"],
                    _AT_LEAST_0),
    **dict.fromkeys(["MAX_K", "MAX_LEAVES", "HIERARCHY_SAMPLE"], _AT_LEAST_2),
    **dict.fromkeys(["MAX_DF", "DUPLICATE_THRESHOLD", "BOILERPLATE_THRESHOLD"], _SHARE),
    "N_CLUSTERS": Rule(int, min_val=2, allow_none=True),
    "TOPIC_SAMPLE": Rule(int, min_val=1, allow_none=True),
    "UNIT": _TOPIC_UNIT,
    "TOPIC_METHOD": _TOPIC_METHOD,
    "PERIOD": Rule(str, choices=("year", "quarter", "month")),
    "REGISTRY_MODE": Rule(str, choices=("merge", "replace")),
    "TREND_TERMS": Rule(list, non_empty=True),
    "COLLOCATION_NODES": Rule(list, non_empty=True),
    "TERM": Rule(str, non_empty=True),
    "COLLOCATION_MEASURE": Rule(str, choices=COLLOCATION_MEASURES),
    "CONCORDANCE_SORT": Rule(list, non_empty=True),
    **dict.fromkeys(["SECTIONS", "SOURCES"], Rule(list, allow_none=True, non_empty=True)),
    **dict.fromkeys(["TITLE_PATTERN", "BODY_PATTERN"], Rule(str, allow_none=True, non_empty=True)),
    "KEYNESS_BY": Rule(str, non_empty=True),
    "LANGUAGE": Rule(str, non_empty=True),
    "SCHEDULER": Rule(str, allow_none=True, non_empty=True),
}

#: Rules between parameters: (the names involved, a test of their values, what to do when it fails).
CROSS_RULES: tuple[tuple[tuple[str, ...], Callable[..., bool], str], ...] = (
    (("TREND_TERMS", "TOP_TREND_TERMS"), lambda terms, top: bool(terms) or top > 0,
     "TREND_TERMS is empty and TOP_TREND_TERMS is 0: give at least one term to follow"),
    (("REGISTRY_MODE", "REGISTRY"), lambda mode, registry: mode != "replace" or bool(registry),
     "REGISTRY_MODE = 'replace' needs a REGISTRY file to replace the shipped registry with"),
    (("COLLOCATION_LEFT", "COLLOCATION_RIGHT"), lambda left, right: left + right > 0,
     "COLLOCATION_LEFT and COLLOCATION_RIGHT are both 0: a window of no tokens has no collocates; set one to 1 or more"),
    (("TOPIC_SAMPLE", "N_TOPICS"), lambda sample, n_topics: sample is None or sample >= n_topics,
     "TOPIC_SAMPLE is smaller than N_TOPICS: a sample needs at least one unit per topic; raise TOPIC_SAMPLE or set it to None"),
    (("CONCORDANCE_SORT",), lambda keys: all(key in CONCORDANCE_SORT_KEYS for key in keys),
     "CONCORDANCE_SORT holds an unknown key: use 1L..5L, 1R..5R (the nth word left or right of the match), "
     "date, section, doc_id, term, title or rendering"),
)


def _describe(rule: Rule) -> str:
    if rule.choices:
        return "one of " + ", ".join(repr(choice) for choice in rule.choices)
    if rule.kind is list:
        return "a list of non-empty strings"
    if rule.kind is str:
        return "a non-empty string"
    low = "" if rule.min_val is None else f"{'>' if rule.include_boundaries in ('right', 'neither') else '>='} {rule.min_val}"
    high = "" if rule.max_val is None else f"{'<' if rule.include_boundaries in ('left', 'neither') else '<='} {rule.max_val}"
    number = "a whole number" if rule.kind is int else "a number"
    return " ".join(part for part in (number, low, "and" if low and high else "", high) if part)


def _valid(rule: Rule, value: Any) -> bool:
    if value is None:
        return rule.allow_none
    if rule.kind in (int, float):
        return is_number_within(value, Integral if rule.kind is int else Real, min_val=rule.min_val, max_val=rule.max_val,
                                include_boundaries=rule.include_boundaries)
    if rule.kind is str:
        if not isinstance(value, str):
            return False
        return value in rule.choices if rule.choices else (not rule.non_empty or bool(value.strip()))
    if rule.kind is list:
        return isinstance(value, (list, tuple)) and all(isinstance(item, str) and item.strip() for item in value)
    return isinstance(value, rule.kind)


def check_rule(name: str, value: Any) -> None:
    """Raise ``ValueError`` naming ``name``, the rule and the value when ``value`` breaks the rule of ``name``.

    Names without a rule accept any value of their default's type (checked elsewhere).
    """
    rule = RULES.get(name)
    if rule is not None and not _valid(rule, value):
        allowed = _describe(rule) + (" or None" if rule.allow_none else "")
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


#: Parameters that list terms to look for; every term must keep a token after the stop list.
TERM_LISTS = ("DISPERSION_TERMS", "KWIC_TERMS", "TREND_TERMS", "COLLOCATION_NODES")


def term_list_conflicts(values: Mapping[str, Any]) -> list[str]:
    """One message per term of a :data:`TERM_LISTS` parameter that the stop list (as ``values`` set it) removes.

    The tokeniser is built from ``EXTRA_STOP_WORDS``, ``KEEP_WORDS``, ``MERGE_FORMULATIONS`` and
    ``MT_NORMALISATION`` as a notebook would; each message names the term, the parameter holding it and the
    parameters that would fix it.
    """
    lists = [name for name in TERM_LISTS if isinstance(values.get(name), (list, tuple)) and values[name]]
    if not lists:
        return []
    from ..text.tokenizer import Tokenizer

    extra = [str(word) for word in values.get("EXTRA_STOP_WORDS") or []]
    tokenizer = Tokenizer.from_parameters(
        extra_stop_words=extra, keep_words=values.get("KEEP_WORDS") or [],
        merge_formulations=values.get("MERGE_FORMULATIONS", True), mt_normalisation=values.get("MT_NORMALISATION", False),
    )
    extra_words = {word.lower() for word in extra}
    messages = []
    for name in lists:
        for term in values[name]:
            if not tokenizer.tokens(str(term)):
                removed_by = sorted(set(str(term).lower().split()) & extra_words)
                cause = f"EXTRA_STOP_WORDS removes {', '.join(map(repr, removed_by))}" if removed_by else "all its words are stop words"
                messages.append(f"{name} contains {term!r}, but {cause}, so it can never be found: remove it from {name}, "
                                f"or add its words to KEEP_WORDS" + (" / take them out of EXTRA_STOP_WORDS" if removed_by else ""))
    return messages


def check_cross_rules(values: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` with the message of the first rule between parameters that ``values`` break.

    Only rules whose parameters all appear in ``values`` are checked; then every term list is checked
    against the stop list (:func:`term_list_conflicts`), all conflicts in one message; then the subcorpus filters'
    dates and patterns (:func:`~corpus_utils.input.subcorpus.subcorpus_filters`).
    """
    for names, test, message in CROSS_RULES:
        if all(name in values for name in names) and not test(*(values[name] for name in names)):
            raise ValueError(message)
    conflicts = term_list_conflicts(values)
    if conflicts:
        raise ValueError("; ".join(conflicts))
    if any(name in values for name in ("DATE_FROM", "DATE_TO", "TITLE_PATTERN", "BODY_PATTERN")):
        from ..input.subcorpus import subcorpus_filters

        subcorpus_filters(values)  # a date or pattern it cannot read raises, naming the parameter
