"""Which items (formulations, terms) occur in the same documents: pair tables and square matrices from sparse counts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["cooccurrence_pairs", "cooccurrence_matrix"]


def _incidence(occurrences: pd.DataFrame, unit: str, item: str, items: Sequence[str] | None) -> tuple[sp.csr_matrix, list[str]]:
    missing = [column for column in (unit, item) if column not in occurrences.columns]
    if missing:
        raise ValueError(f"occurrences needs columns {unit!r} and {item!r}; missing {', '.join(missing)}")
    frame = occurrences[[unit, item]].dropna().astype(str).drop_duplicates()
    names = sorted(frame[item].unique()) if items is None else [str(name) for name in items]
    frame = frame[frame[item].isin(names)]
    units, unit_codes = np.unique(frame[unit].to_numpy(), return_inverse=True)
    position = {name: index for index, name in enumerate(names)}
    item_codes = frame[item].map(position).to_numpy()
    matrix = sp.csr_matrix(
        (np.ones(len(frame), dtype=np.int64), (unit_codes.ravel(), item_codes)), shape=(len(units), len(names))
    )
    return matrix, names


def cooccurrence_matrix(
    occurrences: pd.DataFrame, *, unit: str = "doc_id", item: str = "canonical", items: Sequence[str] | None = None
) -> pd.DataFrame:
    """Square table: how many units (documents) contain both items; the diagonal is each item's own count.

    Parameters
    ----------
    occurrences : pandas.DataFrame
        One row per occurrence (repeats are fine), taking columns ``unit`` and ``item``, e.g. the output
        of :func:`corpus_utils.formulations.find_formulations`.
    unit, item : str
        Column names of the unit of co-occurrence and of the items.
    items : sequence of str, optional
        Which items, in this order (default all, sorted); items never found get zero rows.

    Returns
    -------
    pandas.DataFrame
        int64, index and columns = items. Cost: one sparse product (items × units) · (units × items).
    """
    matrix, names = _incidence(occurrences, unit, item, items)
    product = (matrix.T @ matrix).toarray().astype(np.int64)
    return pd.DataFrame(product, index=pd.Index(names, name=item), columns=pd.Index(names, name=item))


def cooccurrence_pairs(
    occurrences: pd.DataFrame, *, unit: str = "doc_id", item: str = "canonical", min_both: int = 1
) -> pd.DataFrame:
    """Pairs of items found in the same units, with how strongly they go together.

    Parameters
    ----------
    occurrences : pandas.DataFrame
        As in :func:`cooccurrence_matrix`.
    unit, item : str
        Column names.
    min_both : int
        Keep pairs found together in at least this many units.

    Returns
    -------
    pandas.DataFrame
        Columns ``item_a``, ``item_b`` (``item_a`` < ``item_b``), ``both`` (units with both), ``n_a``,
        ``n_b`` (units with each), ``jaccard`` (both / units with either); sorted by both (descending),
        jaccard (descending), item_a, item_b.
    """
    matrix, names = _incidence(occurrences, unit, item, None)
    product = sp.triu(matrix.T @ matrix, k=1).tocoo()
    totals = np.asarray(matrix.sum(axis=0)).ravel()
    both = product.data.astype(np.int64)
    n_a, n_b = totals[product.row], totals[product.col]
    pairs = pd.DataFrame(
        {
            "item_a": np.asarray(names, dtype=object)[product.row] if len(names) else np.zeros(0, dtype=object),
            "item_b": np.asarray(names, dtype=object)[product.col] if len(names) else np.zeros(0, dtype=object),
            "both": both,
            "n_a": n_a.astype(np.int64),
            "n_b": n_b.astype(np.int64),
            "jaccard": both / np.maximum(n_a + n_b - both, 1),
        }
    )
    pairs = pairs[pairs["both"] >= min_both]
    pairs = pairs.sort_values(["both", "jaccard", "item_a", "item_b"], ascending=[False, False, True, True])
    return pairs.reset_index(drop=True).astype({"item_a": "string", "item_b": "string"})
