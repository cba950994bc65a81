"""Keyness: terms that distinguish one group of documents from another, by Dunning's G2 on document frequencies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import xlogy
from scipy.stats import chi2

from scipy import sparse

from ..core.columns import as_str, texts_of
from ..core.memo import Memo
from ..text.encoded import encode_texts
from ..text.tokenizer import Tokenizer
from ..text.vectorizers import make_vectorizer
from .periods import PERIODS, assign_period

__all__ = [
    "KEYNESS_COLUMNS", "SMALL_GROUP", "STRONG_G2", "document_groups", "default_target", "log_likelihood", "log_ratio", "keyness",
    "keyness_cautions",
]

#: Columns returned by :func:`keyness`.
KEYNESS_COLUMNS = ["term", "df_target", "df_reference", "n_target", "n_reference", "g2", "p_value", "log_ratio", "key_for"]
#: Group keys derived from the ``date`` column when the documents have no column of that name.
DATE_GROUPS = PERIODS


def document_groups(documents: pd.DataFrame, by: str) -> pd.Series:
    """The group of each document, as strings (missing where unknown).

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes column ``by``, or ``date`` when ``by`` is ``"year"``, ``"quarter"`` or ``"month"`` and
        no column has that name.
    by : str
        A column such as ``section`` or ``source``, or a period of ``date``.

    Returns
    -------
    pandas.Series
        String dtype, aligned with ``documents``; ``"2019"``, ``"2019Q3"``, ``"2019-07"`` for periods;
        surrounding spaces stripped, empty strings treated as missing.
    """
    if by in documents.columns:
        values = documents[by]
        if pd.api.types.is_datetime64_any_dtype(values):
            raise ValueError(f"column {by!r} holds dates; group by 'year', 'quarter' or 'month' instead")
        groups = values.astype("string").str.strip()
        return groups.mask(groups == "")
    if by in DATE_GROUPS:
        if "date" not in documents.columns:
            raise ValueError(f"cannot group by {by!r}: the documents have no 'date' column")
        return assign_period(documents["date"], by)
    raise ValueError(
        f"cannot group by {by!r}: not a column of the documents ({', '.join(map(str, documents.columns))}) "
        f"nor one of {', '.join(DATE_GROUPS)}"
    )


def default_target(groups: pd.Series, by: str) -> str:
    """The group to compare when the user names none: the largest group (ties: the latest period, or the first name in sort order)."""
    present = groups.dropna()
    if present.empty:
        raise ValueError(f"no document has a {by!r} group, so there is nothing to compare")
    counts = present.value_counts()
    largest = sorted(str(name) for name in counts[counts == counts.max()].index)
    return largest[-1] if by in DATE_GROUPS else largest[0]


def log_likelihood(a: np.ndarray, b: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """Dunning's G2 for a 2×2 table of documents: with/without the term × target/reference.

    ``G2 = 2 Σ O ln(O / E)`` over the four cells, ``E`` from the margins; 0 ln 0 = 0. Under the null
    hypothesis (the term is as common in both groups) G2 follows chi-squared with 1 degree of freedom.

    Parameters
    ----------
    a, b : array of int
        Documents containing the term in the target and in the reference group.
    n_a, n_b : int
        Documents in the target and in the reference group.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    observed = [a, b, n_a - a, n_b - b]
    total = float(n_a + n_b)
    with_term, without_term = a + b, total - a - b
    expected = [with_term * n_a / total, with_term * n_b / total, without_term * n_a / total, without_term * n_b / total]
    g2 = np.zeros_like(a)
    for o, e in zip(observed, expected):
        g2 += xlogy(o, o) - xlogy(o, np.where(o > 0, e, 1.0))
    return np.maximum(2.0 * g2, 0.0)


def log_ratio(a: np.ndarray, b: np.ndarray, n_a: int, n_b: int, *, smoothing: float = 0.5) -> np.ndarray:
    """Effect size: log2 of the ratio of document proportions, ``log2(((a + s) / (n_a + 2s)) / ((b + s) / (n_b + 2s)))``.

    ``s`` = ``smoothing`` (0.5 by default) is added to both the documents with and without the term,
    so a term absent from one group still gets a finite ratio. +1 means twice as common in the target.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return np.log2(((a + smoothing) / (n_a + 2 * smoothing)) / ((b + smoothing) / (n_b + 2 * smoothing)))


def _document_terms(texts: pd.Series, chosen: np.ndarray, tokenizer: Tokenizer, ngram_range: tuple[int, int],
                    memo: Memo | None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Counts (CSR) of the ``chosen`` texts' terms and the terms; from all texts' stored ids with a memo and single
    words, else from a vectoriser over the chosen texts."""
    if memo is not None and tuple(ngram_range) == (1, 1):
        encoded = encode_texts(texts_of(texts), [tokenizer], memo=memo)[0]
        vocabulary, matrix = encoded.take(np.flatnonzero(chosen)).counts()
        if not vocabulary:
            raise ValueError("empty vocabulary")
        return matrix, np.asarray(list(vocabulary), dtype=object)
    vectorizer = make_vectorizer("count", tokenizer=tokenizer, ngram_range=ngram_range)
    matrix = sparse.csr_matrix(vectorizer.fit_transform(texts[chosen].fillna("").pipe(as_str)))
    return matrix, vectorizer.get_feature_names_out()


def keyness(
    documents: pd.DataFrame,
    group_column: str,
    target: object,
    *,
    reference: object | Sequence[object] | None = None,
    tokenizer: Tokenizer | None = None,
    text_column: str = "body",
    ngram_range: tuple[int, int] = (1, 1),
    min_df: int = 2,
    smoothing: float = 0.5,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Terms (and merged formulations) that distinguish the ``target`` group's documents from the reference.

    Each document counts once per term (binary counts from :func:`~corpus_utils.text.vectorizers.make_vectorizer`),
    so one long article cannot dominate: the statistic is Dunning's log-likelihood G2 on the 2×2 table
    of documents with/without the term in target/reference (:func:`log_likelihood`), p-value from
    chi-squared with 1 degree of freedom (no correction for testing many terms: read p-values as a
    ranking aid), and the effect size :func:`log_ratio`. Documents without a group are left out of
    both sides. Cost: one vectoriser pass over the compared documents, O(terms) afterwards.

    Parameters
    ----------
    documents : pandas.DataFrame
        Takes ``text_column`` (default ``body``) and the group column (see :func:`document_groups`).
    group_column : str
        A column (``section``, ``source`` …) or ``"year"``/``"quarter"``/``"month"`` of ``date``.
    target : object
        The group of interest (compared as a string: ``2020`` and ``"2020"`` are the same).
    reference : object or list, optional
        The group(s) to compare with; default every other group.
    tokenizer : Tokenizer, optional
        Default ``Tokenizer()``: formulations merged into single tokens, as in the notebooks.
    ngram_range : (int, int)
        Passed to the vectoriser.
    min_df : int
        Keep terms found in at least this many of the compared documents.
    smoothing : float
        Added to document counts in :func:`log_ratio`.
    memo : Memo, optional
        Where token ids are kept (``prepared.memo``): single words are then counted from every document's ids,
        read or stored once for all notebooks (:func:`~corpus_utils.text.encoded.encode_texts`); same result.

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``df_target``, ``df_reference`` (documents containing the term), ``n_target``,
        ``n_reference`` (documents in each group), ``g2``, ``p_value``, ``log_ratio``, ``key_for``
        (``"target"`` when relatively more common in the target, else ``"reference"``); sorted by g2
        (descending), then term.
    """
    if text_column not in documents.columns:
        raise ValueError(f"documents has no column {text_column!r} to read text from")
    if min_df < 1:
        raise ValueError(f"min_df must be at least 1, got {min_df!r}")
    if smoothing <= 0:
        raise ValueError(f"smoothing must be positive, got {smoothing!r}")
    groups = document_groups(documents, group_column)
    target_name = str(target)
    present = sorted(groups.dropna().unique())
    if target_name not in present:
        raise ValueError(f"target {target_name!r} is not a {group_column!r} group; the groups are {present}")
    is_target = (groups == target_name).fillna(False).to_numpy(dtype=bool)
    if reference is None:
        is_reference = (groups.notna() & (groups != target_name)).fillna(False).to_numpy(dtype=bool)
    else:
        wanted = [str(reference)] if isinstance(reference, (str, int, float)) else [str(value) for value in reference]
        unknown = sorted(set(wanted) - set(present))
        if unknown or target_name in wanted:
            raise ValueError(f"reference groups {wanted} must be {group_column!r} groups other than the target; the groups are {present}")
        is_reference = groups.isin(wanted).fillna(False).to_numpy(dtype=bool)
    n_target, n_reference = int(is_target.sum()), int(is_reference.sum())
    if n_reference == 0:
        raise ValueError(f"no reference documents: every grouped document is in {target_name!r}; choose another {group_column!r} grouping")
    chosen = is_target | is_reference
    try:
        matrix, terms = _document_terms(documents[text_column], chosen, tokenizer or Tokenizer(), ngram_range, memo)
    except ValueError:  # empty vocabulary
        return pd.DataFrame({column: pd.Series(dtype="float64") for column in KEYNESS_COLUMNS})
    matrix.data[:] = 1
    in_target = is_target[chosen]
    df_target = np.asarray(matrix.T @ in_target.astype(np.int64)).ravel().astype(np.int64)
    df_reference = np.asarray(matrix.T @ (~in_target).astype(np.int64)).ravel().astype(np.int64)
    keep = (df_target + df_reference) >= min_df
    terms = terms[keep]
    df_target, df_reference = df_target[keep], df_reference[keep]
    g2 = log_likelihood(df_target, df_reference, n_target, n_reference)
    ratio = log_ratio(df_target, df_reference, n_target, n_reference, smoothing=smoothing)
    target_share, reference_share = df_target / n_target, df_reference / n_reference
    result = pd.DataFrame(
        {
            "term": terms,
            "df_target": df_target,
            "df_reference": df_reference,
            "n_target": np.int64(n_target),
            "n_reference": np.int64(n_reference),
            "g2": g2,
            "p_value": chi2.sf(g2, 1),
            "log_ratio": ratio,
            "key_for": np.where(target_share >= reference_share, "target", "reference"),
        }
    )
    result = result.sort_values(["g2", "term"], ascending=[False, True]).reset_index(drop=True)
    return result.astype({"term": "string", "key_for": "string"})


#: Groups with fewer documents than this are too small for document-level G2 to reach strong significance.
SMALL_GROUP = 5
#: G2 above this (p < 0.0001, 1 degree of freedom) is strong evidence.
STRONG_G2 = 15.13


def _largest_g2(n_target: int, n_reference: int) -> float:
    """The largest G2 possible with these group sizes: a term in every document of one group and none of the other."""
    sides = log_likelihood(np.array([n_target, 0]), np.array([0, n_reference]), n_target, n_reference)
    return float(sides.max())


def keyness_cautions(key_terms: pd.DataFrame, *, top: int = 20) -> list[str]:
    """Sentences saying when a :func:`keyness` ranking should not be read as evidence.

    Takes the columns ``g2``, ``n_target``, ``n_reference``, ``key_for`` of a :func:`keyness` table. Warns
    when a group has fewer than :data:`SMALL_GROUP` documents, when no term reaches :data:`STRONG_G2`
    (p < 0.0001), and when terms of the first ``top`` tie at the same G2 (their order is then alphabetical,
    i.e. arbitrary).
    """
    if key_terms.empty:
        return ["no term is shared by enough documents to compare (lower min_df, or compare larger groups)"]
    cautions = []
    n_target, n_reference = int(key_terms["n_target"].iloc[0]), int(key_terms["n_reference"].iloc[0])
    if min(n_target, n_reference) < SMALL_GROUP:
        cautions.append(f"small groups ({n_target} target and {n_reference} reference documents): with fewer than "
                        f"{SMALL_GROUP} documents a side, the largest G2 any term can reach is "
                        f"{_largest_g2(n_target, n_reference):.2f}, "
                        "so these are descriptions of those documents, not significant differences")
    if float(key_terms["g2"].max()) < STRONG_G2:
        cautions.append(f"no term reaches G2 {STRONG_G2} (p < 0.0001): no difference is strongly significant")
    shown = key_terms.head(top)
    tied = int(shown["g2"].round(6).duplicated(keep=False).sum())
    if tied:
        cautions.append(f"{tied} of the top {len(shown)} terms share their G2 with another term: their order is arbitrary "
                        "(alphabetical within a tie)")
    return cautions
