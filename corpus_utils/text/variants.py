"""The machine-translation variant table: renderings such as "hospital" for 院 and what they stand for."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.columns import texts_of
from ..core.memo import Memo, digest_texts, memo_key
from ..core.paths import PACKAGE_DATA_DIR
from ..core.scheduler import map_in_parts
from ..core.words import paragraph_spans
from .phrasescan import PhraseCounter
from .phrases import literal_phrase_pattern

__all__ = ["load_variant_table", "variant_replacements", "count_variants"]

#: Kind of the stored variant counts in the memo folder (``variants-<key>.npz``).
VARIANTS_KIND = "variants"


def load_variant_table(path: str | Path | None = None) -> pd.DataFrame:
    """The machine-translation variant table.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with columns ``variant``, ``canonical``, ``stands_for``, ``apply_by_default``, ``note``.
        Defaults to the table shipped in ``corpus_utils/data/mt_variants.csv``.

    Returns
    -------
    pandas.DataFrame
        The same columns; ``apply_by_default`` as bool, ``variant`` lower-cased.
    """
    source = Path(path) if path else PACKAGE_DATA_DIR / "mt_variants.csv"
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    missing = {"variant", "canonical"} - set(table.columns)
    if missing:
        raise ValueError(f"{source}: the variant table needs columns {', '.join(sorted(missing))}")
    for column in ("stands_for", "note"):
        if column not in table.columns:
            table[column] = ""
    flags = table.get("apply_by_default", pd.Series("true", index=table.index)).str.strip().str.lower()
    table["apply_by_default"] = flags.isin({"true", "1", "yes"})
    table["variant"] = table["variant"].str.strip().str.lower()
    return table[["variant", "canonical", "stands_for", "apply_by_default", "note"]]


def variant_replacements(table: pd.DataFrame, *, variants: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Replacement pairs for :class:`PhraseReplacer` from a variant table.

    ``variants`` chooses rows by their ``variant`` text; by default the rows with ``apply_by_default``.
    The canonical form is used as written: ``two_micro_one_end`` counts as one token,
    ``procuratorial staff`` as two.
    """
    if variants is None:
        chosen = table[table["apply_by_default"]]
    else:
        wanted = {variant.lower() for variant in variants}
        unknown = wanted - set(table["variant"])
        if unknown:
            raise ValueError(f"unknown variant(s) {sorted(unknown)}; the table has {sorted(table['variant'])}")
        chosen = table[table["variant"].isin(wanted)]
    return [(literal_phrase_pattern(row.variant), row.canonical) for row in chosen.itertuples()]


def count_variants(documents: pd.DataFrame, table: pd.DataFrame, *, memo: Memo | None = None) -> pd.DataFrame:
    """How often each variant of the table occurs in the corpus (before any normalisation).

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes column ``body``.
    table : pandas.DataFrame
        From :func:`load_variant_table`.
    memo : Memo, optional
        Where the counts are kept (``prepared.memo``), under a hash of the bodies and the variants: notebooks 02
        and 06 of one corpus scan it once.

    Returns
    -------
    pandas.DataFrame
        The table's columns plus ``occurrences`` and ``documents`` (how many documents use it), in table order.
        Overlapping variants are counted separately ("whole hospital" also counts as "hospital"); like every
        phrase, a variant never spans a paragraph break.
    """
    bodies = texts_of(documents["body"])
    variants = table["variant"].astype(str).tolist()

    def compute() -> dict[str, np.ndarray]:
        parts = map_in_parts(_variant_counts, bodies, stage_name="MT variants", processes=True, variants=variants)
        counts = np.concatenate(parts) if parts else np.zeros((0, len(variants)), dtype=np.int64)
        return {"occurrences": counts.sum(axis=0).astype(np.int64), "documents": (counts > 0).sum(axis=0).astype(np.int64)}

    if memo is None:
        found = compute()
    else:
        key = memo_key(texts=digest_texts(bodies), variants=variants)
        found = memo.get_or_compute(VARIANTS_KIND, key, compute)
    return table.assign(occurrences=found["occurrences"], documents=found["documents"])


def _variant_counts(bodies: list[str], *, variants: list[str]) -> np.ndarray:
    """Occurrences of each of ``variants`` (columns) in each of ``bodies`` (rows)."""
    counter = PhraseCounter([literal_phrase_pattern(variant) for variant in variants])
    counts = np.zeros((len(bodies), len(variants)), dtype=np.int64)
    for row, body in enumerate(bodies):
        counts[row] = counter.count(body, paragraph_spans(body))
    return counts

