"""The formulation registry: numbered formulations (tifa), their canonical tokens and English renderings.

Each rendering becomes a regular expression tolerant of what machine translation varies (plural,
digits for number words, hyphens, a possessive); the :class:`~corpus_utils.text.tokenizer.Tokenizer`
merges them into one token, and :mod:`corpus_utils.analysis.formulations` counts them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..core.paths import PACKAGE_DATA_DIR
from .phrases import PhraseReplacer

__all__ = [
    "NUMBER_WORDS",
    "DIGIT_WORDS",
    "REGISTRY_COLUMNS",
    "load_registry",
    "variant_pattern",
    "formulation_replacements",
    "formulation_matcher",
    "readable_terms",
]

#: Number words and their digits (and :data:`DIGIT_WORDS` the reverse); a formulation written "2 safeguards" matches "two safeguards".
NUMBER_WORDS: dict[str, str] = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}
DIGIT_WORDS = {digit: word for word, digit in NUMBER_WORDS.items()}
#: Columns of the registry CSV; ``variants`` is ``|``-separated in the file and a list once loaded.
REGISTRY_COLUMNS = ("canonical", "label", "chinese", "variants", "note")
#: Words that never take a plural ending when matching (function words and number words).
_NO_PLURAL = frozenset({"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "our", "the", "to", "with"})
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
    if word in DIGIT_WORDS:
        return f"(?:{word}|{DIGIT_WORDS[word]})"
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


def formulation_matcher(registry: pd.DataFrame | None = None) -> PhraseReplacer:
    """One compiled matcher of every rendering in ``registry`` (default the shipped one).

    Its matches are exactly the phrases the tokeniser merges, so counts of occurrences equal counts
    of the canonical tokens; :meth:`PhraseReplacer.target` gives a match's canonical name.
    """
    return PhraseReplacer(formulation_replacements(registry))


@lru_cache(maxsize=1)
def _shipped_registry() -> pd.DataFrame:
    """The shipped registry, read once per process (for labels drawn on every figure)."""
    return load_registry()


def readable_terms(terms: Iterable[str], registry: pd.DataFrame | None = None, *, chinese: bool = True) -> list[str]:
    """Terms as a reader should see them in a table or figure.

    A formulation token becomes its label, with the Chinese original when ``chinese``: ``two_safeguards`` →
    ``"Two Safeguards (两个维护)"`` (figures draw it with the packaged Chinese font). Any other term is returned
    as given (``"warning education"``). ``registry`` defaults to the shipped one (:func:`load_registry`).
    """
    registry = _shipped_registry() if registry is None else registry
    names = {}
    for row in registry.itertuples():
        original = str(row.chinese).strip()
        names[str(row.canonical)] = f"{row.label} ({original})" if chinese and original else str(row.label)
    return [names.get(str(term), str(term)) for term in terms]
