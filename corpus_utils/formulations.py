"""Numbered formulations (tifa): the registry of canonical slogans and their English renderings, and matching rules."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .paths import PACKAGE_DATA_DIR

__all__ = ["NUMBER_WORDS", "load_registry", "variant_pattern", "formulation_replacements"]

#: Number words and their digits; a formulation written "2 safeguards" matches "two safeguards".
NUMBER_WORDS: dict[str, str] = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}
_REGISTRY_COLUMNS = ("canonical", "label", "chinese", "variants", "note")


def load_registry(path: str | Path | None = None) -> pd.DataFrame:
    """The formulation registry: one row per canonical formulation.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with columns ``canonical`` (the single token, e.g. ``two_safeguards``), ``label``,
        ``chinese``, ``variants`` (``|``-separated English renderings) and ``note``. Defaults to the
        registry shipped in ``corpus_utils/data/formulations.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``canonical``, ``label``, ``chinese``, ``variants`` (list of str), ``note``.
    """
    source = Path(path) if path else PACKAGE_DATA_DIR / "formulations.csv"
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    missing = {"canonical", "variants"} - set(table.columns)
    if missing:
        raise ValueError(f"{source}: the formulation registry needs columns {', '.join(sorted(missing))}")
    bad = table[~table["canonical"].str.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*")]
    if len(bad):
        raise ValueError(f"{source}: canonical names must be lower_snake_case tokens, not {bad['canonical'].tolist()}")
    for column in _REGISTRY_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    table["variants"] = table["variants"].map(lambda text: [v.strip().lower() for v in text.split("|") if v.strip()])
    return table[list(_REGISTRY_COLUMNS)].reset_index(drop=True)


def _word_pattern(word: str, *, last: bool) -> str:
    if word in NUMBER_WORDS:
        return f"(?:{word}|{NUMBER_WORDS[word]})"
    escaped = re.escape(word)
    if last and word[-1:].isalpha():
        stem = escaped[:-1] if word.endswith("s") and not word.endswith("ss") else escaped
        return f"{stem}(?:s|es)?" if stem != escaped else f"{escaped}(?:s|es)?"
    return escaped


def variant_pattern(variant: str) -> str:
    """Regex for one rendering: any case, spaces or hyphens between words, digits for number words, plural last word."""
    words = variant.lower().replace("-", " ").split()
    return r"[\s-]+".join(_word_pattern(word, last=index == len(words) - 1) for index, word in enumerate(words))


def formulation_replacements(registry: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """(pattern, canonical token) pairs for :class:`corpus_utils.text.PhraseReplacer`, one per rendering."""
    table = load_registry() if registry is None else registry
    return [(variant_pattern(variant), row.canonical) for row in table.itertuples() for variant in row.variants]
