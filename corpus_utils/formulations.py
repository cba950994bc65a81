"""Numbered formulations (tifa): the registry of canonical slogans and their English renderings, and matching rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from .paths import PACKAGE_DATA_DIR
from .text import PhraseReplacer

__all__ = [
    "NUMBER_WORDS",
    "REGISTRY_COLUMNS",
    "LOCATIONS",
    "load_registry",
    "variant_pattern",
    "formulation_replacements",
    "find_formulations",
    "formulation_summary",
    "variant_usage",
    "formulations_by_period",
    "formulation_document_counts",
    "discover_candidates",
    "COUNTING_NOUNS",
    "CANDIDATE_KINDS",
]

#: Number words and their digits; a formulation written "2 safeguards" matches "two safeguards".
NUMBER_WORDS: dict[str, str] = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}
_DIGIT_WORDS = {digit: word for word, digit in NUMBER_WORDS.items()}
#: Columns of the registry CSV; ``variants`` is ``|``-separated in the file and a list once loaded.
REGISTRY_COLUMNS = ("canonical", "label", "chinese", "variants", "note")
#: Where an occurrence sits: the title, the first paragraph of the body, or the rest of the body.
LOCATIONS = ("title", "first_paragraph", "body")
#: Words that never take a plural ending when matching (function words and number words).
_NO_PLURAL = frozenset({"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "our", "the", "to", "with"})
_APOSTROPHES = re.compile(r"[’‘`´]")
_QUOTE_CHARS = re.compile(r"[“”„‟″]")
_SPACES = re.compile(r"[\s-]+")


def _read_registry_file(source: Path) -> pd.DataFrame:
    if not source.is_file():
        raise FileNotFoundError(f"formulation registry {source} not found; give the path of a CSV with columns {', '.join(REGISTRY_COLUMNS)}")
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    table.columns = [column.strip().lower() for column in table.columns]
    missing = {"canonical", "variants"} - set(table.columns)
    if missing:
        raise ValueError(f"{source}: the formulation registry needs columns {', '.join(sorted(missing))}")
    for column in REGISTRY_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    table["canonical"] = table["canonical"].str.strip()
    bad = table[~table["canonical"].str.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*")]
    if len(bad):
        raise ValueError(f"{source}: canonical names must be lower_snake_case tokens, not {bad['canonical'].tolist()}")
    repeated = sorted(table.loc[table["canonical"].duplicated(), "canonical"].unique())
    if repeated:
        raise ValueError(f"{source}: canonical name(s) {repeated} appear on more than one row; merge their variants into one row")
    table["variants"] = table["variants"].map(lambda text: [v.strip().lower() for v in text.split("|") if v.strip()])
    for row in table.itertuples():
        label = " ".join(row.label.lower().split())
        if label and label not in row.variants:
            row.variants.append(label)
        if not row.variants:
            raise ValueError(f"{source}: formulation {row.canonical!r} has no variants and no label to match")
    return table[list(REGISTRY_COLUMNS)]


def _variant_key(variant: str) -> str:
    words = _SPACES.sub(" ", variant.lower()).split()
    return " ".join(NUMBER_WORDS.get(word, word) for word in words)


def load_registry(path: str | Path | None = None, *, mode: str = "merge") -> pd.DataFrame:
    """The formulation registry: one row per canonical formulation.

    Parameters
    ----------
    path : str or Path, optional
        Your own CSV with columns ``canonical`` (the single token, e.g. ``two_safeguards``), ``variants``
        (``|``-separated English renderings) and optionally ``label``, ``chinese`` and ``note``. Without
        it, the registry shipped in ``corpus_utils/data/formulations.csv``.
    mode : {"merge", "replace"}
        ``"merge"``: your rows are added to the shipped ones, and a row with a shipped ``canonical``
        replaces that row. ``"replace"``: only your rows are used.

    Returns
    -------
    pandas.DataFrame
        Columns ``canonical``, ``label``, ``chinese``, ``variants`` (list of lower-case str, the label
        included), ``note``; shipped rows first, in file order.

    Raises
    ------
    ValueError
        A canonical name that is not a lower_snake_case token or appears twice in one file, a row with
        nothing to match, or one rendering registered for two formulations (it could not be counted once).
    """
    if mode not in ("merge", "replace"):
        raise ValueError(f"mode must be 'merge' or 'replace', got {mode!r}")
    shipped = _read_registry_file(PACKAGE_DATA_DIR / "formulations.csv")
    if not path:
        table = shipped
    else:
        own = _read_registry_file(Path(path))
        if mode == "replace":
            table = own
        else:
            kept = shipped[~shipped["canonical"].isin(own["canonical"])]
            table = pd.concat([kept, own], ignore_index=True)
            order = {name: index for index, name in enumerate(shipped["canonical"])}
            table["_order"] = [order.get(name, len(order) + index) for index, name in enumerate(table["canonical"])]
            table = table.sort_values("_order", kind="stable").drop(columns="_order")
    owners: dict[str, str] = {}
    for row in table.itertuples():
        for variant in row.variants:
            key = _variant_key(variant)
            if owners.get(key, row.canonical) != row.canonical:
                raise ValueError(
                    f"the rendering {variant!r} is registered for both {owners[key]!r} and {row.canonical!r}; "
                    "keep it in one row of the registry"
                )
            owners[key] = row.canonical
    return table.reset_index(drop=True)


def _plural_pattern(word: str) -> str:
    """Regex for a noun in singular or plural: safeguard(s), responsibilit(y|ies), consciousness(es)."""
    if word.endswith("'s"):
        return f"{re.escape(word[:-2])}(?:'s)?"
    if not word[-1:].isalpha() or word in _NO_PLURAL or len(word) < 3:
        return re.escape(word)
    if word.endswith("ies"):
        return f"{re.escape(word[:-3])}(?:y|ies)"
    if word.endswith("y") and word[-2] not in "aeiou":
        return f"{re.escape(word[:-1])}(?:y|ies)"
    for ending in ("sses", "shes", "ches", "xes"):
        if word.endswith(ending):
            return f"{re.escape(word[:-2])}(?:es)?"
    if word.endswith(("ss", "sh", "ch", "x")):
        return f"{re.escape(word)}(?:es)?"
    if word.endswith("s"):
        return f"{re.escape(word[:-1])}s?"
    return f"{re.escape(word)}s?"


def _word_pattern(word: str) -> str:
    if word in NUMBER_WORDS:
        return f"(?:{word}|{NUMBER_WORDS[word]})"
    if word in _DIGIT_WORDS:
        return f"(?:{word}|{_DIGIT_WORDS[word]})"
    pattern = _plural_pattern(word)
    if word in _NO_PLURAL or word.endswith("'s") or not word[-1:].isalpha():
        return pattern
    return f"{pattern}(?:'s)?"


def variant_pattern(variant: str) -> str:
    """Regex for one rendering, tolerant of what machine translation varies.

    Any case (the caller compiles with ``re.I``); words separated by spaces, hyphens or a comma
    (``one post, two responsibilities``); number words and digits interchangeable (``2 safeguards``);
    every content word in singular or plural (``four consciousness`` / ``consciousnesses``,
    ``two responsibility``); a possessive ``'s`` optional after any content word (``Xi Jinping('s) thought``).
    """
    words = _SPACES.sub(" ", variant.lower().replace("’", "'")).split()
    if not words:
        raise ValueError("a formulation variant must contain at least one word")
    return r"(?:\s*,\s*|[\s-]+)".join(_word_pattern(word) for word in words)


def formulation_replacements(registry: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """(pattern, canonical token) pairs for :class:`corpus_utils.text.PhraseReplacer`, one per rendering.

    Longer renderings come first, so ``one post and two responsibilities`` is never read as
    ``two responsibilities`` (the replacer itself also tries longer patterns first).
    """
    table = load_registry() if registry is None else registry
    pairs = {(variant_pattern(variant), row.canonical) for row in table.itertuples() for variant in row.variants}
    return sorted(pairs, key=lambda pair: (-len(pair[0]), pair))


def _compiled(registry: pd.DataFrame | None) -> tuple[Callable[[str], Iterator[re.Match]] | None, dict[str, str], pd.DataFrame]:
    table = load_registry() if registry is None else registry
    replacer = PhraseReplacer(formulation_replacements(table))
    # the replacer's own matches (same alternation, order and boundaries, found by its fast exact scan),
    # so counts agree with the vectorisers' tokens
    finditer = replacer.finditer if replacer._regex is not None else None  # noqa: SLF001
    return finditer, replacer._targets, table  # noqa: SLF001 (one module family; kept in step by tests)


def _clean(text: object) -> str:
    return _APOSTROPHES.sub("'", text) if isinstance(text, str) else ""


def find_formulations(documents: pd.DataFrame, *, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every occurrence of a registered formulation in the titles and bodies.

    Matching is the one used by the vectorisers (:func:`formulation_replacements` in one compiled
    regex), so these counts equal the counts of the canonical tokens. Cost: one regex pass over all
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
    regex, targets, table = _compiled(registry)
    labels = dict(zip(table["canonical"], table["label"].where(table["label"] != "", table["canonical"])))
    titles = documents["title"].tolist() if "title" in documents.columns else [None] * len(documents)
    rows: list[tuple] = []
    if regex is not None:
        for doc_id, title, body in zip(documents["doc_id"].astype(str), titles, documents["body"].tolist()):
            for match in regex(_clean(title)):
                rows.append((doc_id, targets[match.lastgroup], match.group(0), "title", 0, match.start()))
            text = _clean(body)
            first_break = text.find("\n\n")
            for match in regex(text):
                start = match.start()
                paragraph = text.count("\n\n", 0, start) + 1
                location = "first_paragraph" if first_break < 0 or start < first_break else "body"
                rows.append((doc_id, targets[match.lastgroup], match.group(0), location, paragraph, start))
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
    renderings = usage.groupby("canonical", sort=False).apply(
        lambda group: "; ".join(f"{row.variant} ({row.occurrences})" for row in group.itertuples()), include_groups=False
    )
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
    codes = {"year": "Y", "quarter": "Q", "month": "M"}
    if freq not in codes:
        raise ValueError(f"freq must be 'year', 'quarter' or 'month', got {freq!r}")
    dates = pd.to_datetime(documents["date"]) if "date" in documents.columns else pd.Series(pd.NaT, index=documents.index)
    periods = dates.dt.to_period(codes[freq]).astype(str).where(dates.notna(), "undated")
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
    return " ".join(_DIGIT_WORDS.get(word, word) for word in words).strip(" '-")


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
    replacer = PhraseReplacer(formulation_replacements(table))
    canonical = set(table["canonical"])
    replaced = result["candidate"].map(replacer)
    result["matched_canonical"] = replaced.where(replaced.isin(canonical)).astype("string")
    result = result.sort_values(["documents", "count", "candidate"], ascending=[False, False, True])
    return result[columns].reset_index(drop=True).astype({"candidate": "string", "kind": "string", "count": "int64", "documents": "int64", "example": "string"})
