"""Numbered formulations in a corpus: every occurrence, per document and period, renderings, and candidates to register."""

from __future__ import annotations

import re

import pandas as pd

from .periods import UNDATED, assign_period, period_code
from ..text.registry import DIGIT_WORDS, formulation_matcher, load_registry
from ..text.chinese import has_han
from ..text.tokenizer import Tokenizer

__all__ = [
    "LOCATIONS",
    "find_formulations",
    "formulation_summary",
    "variant_usage",
    "formulations_by_period",
    "formulation_document_counts",
    "discover_candidates",
    "COUNTING_NOUNS",
    "CANDIDATE_KINDS",
]

#: Where an occurrence sits: the title, the first paragraph of the body, or the rest of the body.
LOCATIONS = ("title", "first_paragraph", "body")
_APOSTROPHES = re.compile(r"[’‘`´]")
_QUOTE_CHARS = re.compile(r"[“”„‟″]")
_SPACES = re.compile(r"[\s-]+")


def _clean(text: object) -> str:
    return _APOSTROPHES.sub("'", text) if isinstance(text, str) else ""


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
        return [(token, text[start:end], start) for token, start, end in self.tokenizer.token_spans(text)
                if token in self.canonical and has_han(text[start:end])]


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
    matcher = formulation_matcher(table)
    labels = dict(zip(table["canonical"], table["label"].where(table["label"] != "", table["canonical"])))
    titles = documents["title"].tolist() if "title" in documents.columns else [None] * len(documents)
    rows: list[tuple] = []
    chinese = _ChineseForms(table)
    for doc_id, title, body in zip(documents["doc_id"].astype(str), titles, documents["body"].tolist()):
        title_text = _clean(title)
        for canonical, matched, start in [*_english(matcher, title_text), *chinese.find(title_text)]:
            rows.append((doc_id, canonical, matched, "title", 0, start))
        text = _clean(body)
        first_break = text.find("\n\n")
        for canonical, matched, start in sorted([*_english(matcher, text), *chinese.find(text)], key=lambda found: found[2]):
            paragraph = text.count("\n\n", 0, start) + 1
            location = "first_paragraph" if first_break < 0 or start < first_break else "body"
            rows.append((doc_id, canonical, matched, location, paragraph, start))
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
        documents.set_index(documents["doc_id"].astype(str))["date"]
        if "date" in documents.columns
        else pd.Series(pd.NaT, index=documents["doc_id"].astype(str), dtype="datetime64[ns]")
    )
    dated = occurrences[["canonical", "doc_id"]].drop_duplicates().assign(date=lambda frame: frame["doc_id"].astype(str).map(dates))
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
    period_of = pd.Series(periods.to_numpy(), index=documents["doc_id"].astype(str).to_numpy())
    sizes = period_of.value_counts()
    frame = occurrences.assign(period=occurrences["doc_id"].astype(str).map(period_of))
    grouped = frame.groupby(["period", "canonical"], observed=True)
    result = pd.DataFrame({"occurrences": grouped.size(), "documents": grouped["doc_id"].nunique()}).reset_index()
    result["documents_in_period"] = result["period"].map(sizes).astype("int64")
    result["share"] = result["documents"] / result["documents_in_period"]
    result["_undated"] = result["period"] == "undated"
    result = result.sort_values(["_undated", "period", "canonical"]).drop(columns="_undated")
    return result.reset_index(drop=True).astype({"period": "string", "canonical": "string", "occurrences": "int64", "documents": "int64"})


# ---------------------------------------------------------------- discovery of unregistered formulations

_NUMBER = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"
_FUNCTION = r"(?:and|or|the|of|to|in|for|with|a|an|on|by|as|at|is|are|was|were|be|this|that|its|their|our|from)"
_WORD = rf"(?!{_FUNCTION}\b)(?!{_NUMBER}\b)[a-z][a-z'’]*(?:-[a-z]+)*"
_PAIRED = re.compile(rf"(?<![\w-]){_NUMBER}(?:[\s-]+{_WORD}){{1,2}}(?:\s*,\s*|\s+)(?:and\s+|with\s+)?{_NUMBER}[\s-]+{_WORD}(?![\w-])", re.I)
_NUMBERED = re.compile(
    rf"(?<![\w-])(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?:[\s-]+{_WORD}){{1,2}}(?![\w-])", re.I
)
_QUOTED = re.compile(r"\"([^\"\n.;:!?()\[\]]{3,90}?)\"")
#: Nouns that make "three years" or "five times" a count, not a formulation (the last word of a numbered candidate).
COUNTING_NOUNS = frozenset(
    "year years month months week weeks day days hour hours minute minutes time times people persons person "
    "percent yuan kilometers kilometres meters metres batch batches levels aspects members points places".split()
)
_PRIORITY = {"paired": 0, "quoted": 1, "numbered": 2}
#: What a candidate was found by, in order of precedence.
CANDIDATE_KINDS = tuple(_PRIORITY)


def _candidate_text(text: str) -> str:
    words = text.lower().replace("’", "'").replace(",", " ").split()
    return " ".join(DIGIT_WORDS.get(word, word) for word in words).strip(" '-")


def _spans(text: str, max_words: int) -> list[tuple[int, int, str]]:
    spans = []
    for match in _PAIRED.finditer(text):
        if not any(word.lower() in COUNTING_NOUNS for word in re.findall(r"[\w'’]+", match.group(0))):
            spans.append((match.start(), match.end(), "paired"))
    for match in _QUOTED.finditer(text):
        inner = match.group(1)
        n_words = len(inner.split())
        if 2 <= n_words <= max_words and re.search(r"[A-Za-z]", inner):
            start = match.start(1) + (len(inner) - len(inner.lstrip()))
            spans.append((start, match.start(1) + len(inner.rstrip()), "quoted"))
    for match in _NUMBERED.finditer(text):
        words = list(re.finditer(r"[\w'’-]+", match.group(0)))
        while len(words) > 2 and re.search(r"(?:ing|ed)$", words[-1].group(0), re.I):
            words.pop()  # "eight cases involving" -> "eight cases"
        if not any(word.group(0).lower() in COUNTING_NOUNS for word in words[1:]):
            spans.append((match.start(), match.start() + words[-1].end(), "numbered"))
    spans.sort(key=lambda span: (span[0], -(span[1] - span[0]), _PRIORITY[span[2]]))
    kept: list[tuple[int, int, str]] = []
    end = -1
    for span in spans:
        if span[0] >= end:
            kept.append(span)
            end = span[1]
    return kept


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

    Candidates are lower-cased, spaces collapsed, digits written as words. Cost: three regex passes over the text.

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
        (the registered formulation the whole candidate is a rendering of, else missing); sorted by
        documents, count (descending), then candidate.
    """
    if min_documents < 1:
        raise ValueError(f"min_documents must be at least 1, got {min_documents!r}")
    missing = [column for column in ("doc_id", "body") if column not in documents.columns]
    if missing:
        raise ValueError(f"documents needs columns doc_id and body (from read_corpus); missing {', '.join(missing)}")
    titles = documents["title"].tolist() if "title" in documents.columns else [None] * len(documents)
    rows = []
    for doc_id, title, body in zip(documents["doc_id"].astype(str), titles, documents["body"].tolist()):
        for field in (title, body):
            text = _QUOTE_CHARS.sub('"', _clean(field))
            for start, end, kind in _spans(text, max_words):
                candidate = _candidate_text(text[start:end])
                if len(candidate.split()) < 2:
                    continue
                snippet = " ".join(text[max(0, start - context) : end + context].split())
                rows.append((candidate, kind, doc_id, snippet))
    columns = ["candidate", "kind", "count", "documents", "example", "matched_canonical"]
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype="int64" if column in ("count", "documents") else "string") for column in columns})
    found = pd.DataFrame(rows, columns=["candidate", "kind", "doc_id", "example"])
    found["_priority"] = found["kind"].map(_PRIORITY)
    found = found.sort_values(["candidate", "doc_id", "_priority"], kind="stable")
    grouped = found.groupby("candidate", sort=True)
    result = pd.DataFrame(
        {
            "kind": grouped["_priority"].min().map({value: key for key, value in _PRIORITY.items()}),
            "count": grouped.size(),
            "documents": grouped["doc_id"].nunique(),
            "example": grouped.apply(lambda group: f"{group['doc_id'].iloc[0]}: …{group['example'].iloc[0]}…", include_groups=False),
        }
    ).reset_index()
    result = result[result["documents"] >= min_documents]
    table = load_registry() if registry is None else registry
    replacer = formulation_matcher(table)
    canonical = set(table["canonical"])
    replaced = result["candidate"].map(replacer)
    result["matched_canonical"] = replaced.where(replaced.isin(canonical)).astype("string")
    result = result.sort_values(["documents", "count", "candidate"], ascending=[False, False, True])
    return result[columns].reset_index(drop=True).astype({"candidate": "string", "kind": "string", "count": "int64", "documents": "int64", "example": "string"})
