"""Collocations: the words around a node term ranked by an association measure, and multi-word units.

Both work on a :class:`~corpus_utils.analysis.terms.TokenStream`, the counted tokens of one tokenising pass
(stop words removed, formulation renderings merged as the notebooks count them), so they cost a few
vectorised passes over the token ids and no tokenising.

The measures follow the published formulas (Evert 2008, *Corpora and collocations*; Rychlý 2008 for log-Dice;
Blaheta & Johnson 2001, as quanteda's ``textstat_collocations`` computes it, for lambda and z):

============  ==============================================================
``g2``        log-likelihood, 2 Σ O ln(O / E) over the 2 × 2 table, signed
              (negative when the pair is rarer than chance)
``mi``        log2(O / E)
``logdice``   14 + log2(2 O / (f(node) + f(collocate)))
``t_score``   (O − E) / √O
============  ==============================================================

O is how often the collocate falls in a window around the node; E = R1 · C1 / N, where R1 is the number of
token slots the node's windows cover (windows stop at document ends), C1 the collocate's frequency and N the
number of tokens.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import check_choice, check_whole_number
from ..core.memo import Memo, digest_arrays, digest_texts, memo_key
from ..core.workers import available_cores
from ..text.tokenizer import Tokenizer
from .terms import (PART_OCCURRENCES, TokenStream, _distinct, _first_token_parts, _gram_starts, _key_tokens,
                    _part_keys)

__all__ = ["MEASURES", "MEASURE_LABELS", "collocates", "describe_collocates", "multiword_units"]

#: Kind of the stored multi-word unit scores in the memo folder (``units-<key>.npz``).
UNITS_KIND = "units"
#: The scores of units seen at least this often are stored (a lower ``min_count`` stores its own).
MEMO_MIN_COUNT = 2

#: Association measures :func:`collocates` computes, the first the default ranking.
MEASURES: tuple[str, ...] = ("g2", "mi", "logdice", "t_score")

#: How each measure is named on a figure's axis.
MEASURE_LABELS: dict[str, str] = {"g2": "Log-likelihood G2", "mi": "Mutual information (MI, bits)", "logdice": "log-Dice",
                                  "t_score": "t-score"}
#: G2 above which a pair is rarer by chance than 1 in 1,000 (chi-squared, one degree of freedom).
G2_P001 = 10.83
#: Fewer node occurrences than this and the scores rest on a handful of co-occurrences.
FEW_OCCURRENCES = 20

#: Node positions handled per block, so a frequent node's windows never fill memory.
_BLOCK_POSITIONS = 1_000_000
#: Tokens of the stream whose runs :func:`_margins` looks up per chunk: at 100,000 pages the margins of the units of
#: three tokens peaked 0.64 GB above the stream with chunks of ``PART_OCCURRENCES`` tokens, 0.2 GB with these, in the
#: same time (the look-up tables of the wanted units are built once, whatever the chunk).
_MARGIN_TOKENS = 4_000_000


def _node_starts(stream: TokenStream, words: list[str]) -> np.ndarray:
    """Positions in ``stream.ids`` where the token sequence ``words`` starts, inside one document."""
    position = {str(token): index for index, token in enumerate(stream.vocabulary)}
    tokens = [position.get(word, -1) for word in words]
    size, ids = len(tokens), stream.ids
    if min(tokens) < 0 or len(ids) < size:
        return np.zeros(0, dtype=np.int64)
    starts = len(ids) - size + 1
    match = ids[:starts] == tokens[0]
    for offset, token in enumerate(tokens[1:], start=1):
        match &= ids[offset : offset + starts] == token
    rows = stream.rows()
    match &= rows[:starts] == rows[size - 1 :]
    return np.flatnonzero(match).astype(np.int64)


def _window_tokens(stream: TokenStream, starts: np.ndarray, size: int, left: int, right: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The token id, document row and side (True: before the node) of every slot in the windows around the node
    occurrences ``starts``; windows stop at the ends of their document."""
    rows = stream.rows()
    ids_out, rows_out, before_out = [], [], []
    for offset in [*range(-left, 0), *range(size, size + right)]:
        where = starts + offset
        inside = (where >= 0) & (where < len(stream.ids))
        where, origin = where[inside], starts[inside]
        where = where[rows[where] == rows[origin]]
        ids_out.append(stream.ids[where])
        rows_out.append(rows[where])
        before_out.append(np.full(len(where), offset < 0))
    if not ids_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    return (np.concatenate(ids_out).astype(np.int64), np.concatenate(rows_out).astype(np.int64),
            np.concatenate(before_out))


def _signed_g2(o11: np.ndarray, r1: float, c1: np.ndarray, n: float) -> np.ndarray:
    """Log-likelihood G2 of the 2 × 2 table (window / rest × collocate / other), negative for repulsion."""
    observed = np.stack([o11, r1 - o11, c1 - o11, n - r1 - c1 + o11]).clip(min=0)
    rows = np.stack([np.full_like(o11, r1), np.full_like(o11, r1), n - r1 + 0 * o11, n - r1 + 0 * o11])
    columns = np.stack([c1, n - c1, c1, n - c1])
    expected = rows * columns / n
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
    g2 = 2 * terms.sum(axis=0)
    return np.where(o11 < expected[0], -g2, g2)


def collocates(
    stream: TokenStream,
    node: str,
    *,
    tokenizer: Tokenizer,
    left: int = 5,
    right: int = 5,
    measure: str = "g2",
    min_count: int = 3,
    min_documents: int = 2,
    top: int | None = None,
) -> pd.DataFrame:
    """The words found near ``node``, with how strongly each is attracted to it.

    Parameters
    ----------
    stream : TokenStream
        The corpus's counted tokens, from :func:`~corpus_utils.analysis.terms.token_streams` with ``tokenizer``.
    node : str
        A word, an n-gram (``"warning education"``) or a formulation token (``"two_safeguards"``), matched as
        :func:`~corpus_utils.analysis.kwic.kwic` matches it.
    tokenizer : Tokenizer
        The tokenizer of ``stream`` (it splits ``node`` into tokens).
    left, right : int
        Counted tokens looked at before the node's first token and after its last (stop words are not counted:
        a span of 5 reaches further in the original text).
    measure : str
        One of :data:`MEASURES`: the ranking.
    min_count : int
        Keep collocates seen at least this many times in the windows.
    min_documents : int
        Keep collocates seen near the node in at least this many documents, so one article cannot dominate.
    top : int, optional
        Keep the first ``top`` rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``collocate``, ``observed`` (O: times in a window), ``expected`` (E), ``documents`` (documents
        with the pair), ``left`` and ``right`` (of O, before and after the node), ``collocate_total`` (C1), and
        the four measures ``g2``, ``mi``, ``logdice``, ``t_score``; sorted by ``measure`` (descending), then
        ``observed`` (descending), then ``collocate``. ``attrs`` holds ``node``, ``node_count`` (its
        occurrences), ``window_tokens`` (R1), ``corpus_tokens`` (N), ``left``, ``right`` and ``measure``.
        The node itself is never listed as its own collocate.

    Notes
    -----
    Cost: one comparison pass over the token ids to find the node, then ``left + right`` gathers per
    occurrence and one sort of the (document, collocate) pairs; memory bounded by blocks of a million occurrences.
    """
    check_whole_number(left, "left (tokens before the node)", min_val=0)
    check_whole_number(right, "right (tokens after the node)", min_val=0)
    check_whole_number(min_count, "min_count", min_val=1)
    check_whole_number(min_documents, "min_documents", min_val=1)
    check_whole_number(top, "top", allow_none=True)
    check_choice(measure, MEASURES, "measure")
    if left + right == 0:
        raise ValueError("left and right are both 0: a window of no tokens has no collocates; set one of them to 1 or more")
    words = tokenizer.term_words(node, name="node")
    starts = _node_starts(stream, words)
    size = len(stream.vocabulary)
    observed = np.zeros(size, dtype=np.int64)
    before = np.zeros(size, dtype=np.int64)
    pairs = []
    for block in range(0, len(starts), _BLOCK_POSITIONS):
        chunk = starts[block : block + _BLOCK_POSITIONS]
        ids, rows, on_left = _window_tokens(stream, chunk, len(words), left, right)
        observed += np.bincount(ids, minlength=size)
        before += np.bincount(ids[on_left], minlength=size)
        pairs.append(_distinct(rows * size + ids))
    window_tokens = float(observed.sum())
    documents = np.bincount(_distinct(np.concatenate(pairs)) % size, minlength=size) if pairs else np.zeros(size, np.int64)
    totals = np.bincount(stream.ids, minlength=size).astype(np.int64)
    keep = (observed >= min_count) & (documents >= min_documents)
    if len(words) == 1:
        keep[np.flatnonzero(stream.vocabulary == words[0])] = False
    chosen = np.flatnonzero(keep)
    table = _scored(stream, chosen, observed, before, documents, totals, window_tokens, len(starts))
    table = table.sort_values([measure, "observed", "collocate"], ascending=[False, False, True], kind="stable")
    table = table.head(top) if top is not None else table
    table = table.reset_index(drop=True)
    table.attrs.update(node=str(node), node_count=int(len(starts)), window_tokens=int(window_tokens),
                       corpus_tokens=int(len(stream.ids)), left=int(left), right=int(right), measure=measure,
                       min_count=int(min_count), min_documents=int(min_documents))
    return table


def describe_collocates(table: pd.DataFrame, *, show: int = 3) -> str:
    """Sentences on a :func:`collocates` table, computed from it: how often the node occurs, how many collocates pass
    the thresholds and reach G2 ≥ 10.83 (p < 0.001), the strongest ``show``, and a caution when the evidence is thin."""
    facts = table.attrs
    node = repr(facts["node"])
    if facts["node_count"] == 0:
        return f"{node} does not occur in this corpus: no collocates."
    text = (f"{node}: {facts['node_count']:,} occurrence(s); windows of {facts['left']} token(s) left and {facts['right']} right "
            f"cover {facts['window_tokens']:,} of {facts['corpus_tokens']:,} tokens.")
    if table.empty:
        return (text + f" No collocate is seen {facts['min_count']} or more times in {facts['min_documents']} or more documents: "
                "lower COLLOCATION_MIN_COUNT or COLLOCATION_MIN_DOCUMENTS, or widen the window.")
    strong = int((table["g2"] >= G2_P001).sum())
    leaders = ", ".join(f"{row.collocate} ({row.observed}×, {row.documents} doc.)" for row in table.head(show).itertuples())
    text += (f" {len(table)} collocate(s) pass the thresholds, {strong} with G2 ≥ {G2_P001} (p < 0.001); "
             f"strongest by {facts['measure']}: {leaders}.")
    if facts["node_count"] < FEW_OCCURRENCES:
        text += f" Caution: fewer than {FEW_OCCURRENCES} occurrences, so each score rests on a few co-occurrences."
    return text


def _scored(stream, chosen, observed, before, documents, totals, window_tokens, node_count) -> pd.DataFrame:
    """The collocates ``chosen`` (token ids) with their counts and the four measures."""
    n = float(len(stream.ids))
    o11 = observed[chosen].astype(np.float64)
    c1 = totals[chosen].astype(np.float64)
    expected = window_tokens * c1 / n if n else np.zeros_like(o11)
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.log2(o11 / expected)
        logdice = 14 + np.log2(2 * o11 / (node_count + c1))
        t_score = (o11 - expected) / np.sqrt(o11)
    return pd.DataFrame({
        "collocate": stream.vocabulary[chosen].astype(object),
        "observed": observed[chosen].astype(np.int64),
        "expected": expected,
        "documents": documents[chosen].astype(np.int64),
        "left": before[chosen].astype(np.int64),
        "right": (observed[chosen] - before[chosen]).astype(np.int64),
        "collocate_total": totals[chosen].astype(np.int64),
        "g2": _signed_g2(o11, window_tokens, c1, n) if n else np.zeros_like(o11),
        "mi": mi,
        "logdice": logdice,
        "t_score": t_score,
    })


# ------------------------------------------------------------------ multi-word units (lambda and z)


def _packed(columns: np.ndarray, base: int) -> np.ndarray:
    """One int64 key per row of ``columns`` (token ids below ``base``)."""
    keys = np.zeros(len(columns), dtype=np.int64)
    for column in columns.T:
        keys *= base
        keys += column
    return keys


def _margins(stream: TokenStream, starts: np.ndarray, wanted: np.ndarray, base: int) -> dict[tuple[int, ...], np.ndarray]:
    """For each row of ``wanted`` and each proper subset of its positions, how many runs of tokens (those starting
    where ``starts`` is True) agree with it at those positions (anything elsewhere).

    One pass over the runs, :data:`_MARGIN_TOKENS` tokens at a time. One position:
    a count of token ids. Several: each run's key is looked up among the wanted keys only (a hash table of them),
    so the corpus's runs are never sorted nor held all at once.
    """
    size, ids = wanted.shape[1], stream.ids
    subsets = [subset for length in range(1, size) for subset in combinations(range(size), length)]
    singles = {subset: np.zeros(base, dtype=np.int64) for subset in subsets if len(subset) == 1}
    looks = {subset: _packed(wanted[:, subset], base) for subset in subsets if len(subset) > 1}
    targets = {subset: pd.Index(pd.unique(look)) for subset, look in looks.items()}
    found_counts = {subset: np.zeros(len(index), dtype=np.int64) for subset, index in targets.items()}
    n_runs = 0
    for first in range(0, len(ids), _MARGIN_TOKENS):
        positions = first + np.flatnonzero(starts[first:first + _MARGIN_TOKENS])
        n_runs += len(positions)
        for (column,), counts in singles.items():
            counts += np.bincount(ids[positions + column], minlength=base)
        for subset, index in targets.items():
            found = index.get_indexer(_packed(np.column_stack([ids[positions + column] for column in subset]), base))
            found_counts[subset] += np.bincount(found[found >= 0], minlength=len(index))
    margins = {(): np.full(len(wanted), n_runs, dtype=np.int64)}
    margins.update({subset: counts[wanted[:, subset[0]]] for subset, counts in singles.items()})
    margins.update({subset: found_counts[subset][targets[subset].get_indexer(look)] for subset, look in looks.items()})
    return margins


def _cell_counts(margins: dict[tuple[int, ...], np.ndarray], whole: np.ndarray, size: int) -> dict[tuple[int, ...], np.ndarray]:
    """The 2^K contingency cells of each K-gram (``whole``: how often each occurs; ``margins``: :func:`_margins`).

    Cell ``c`` (a tuple of 0/1, one per word) counts the runs whose word j equals the K-gram's word j
    exactly where ``c[j]`` is 1; obtained from the margins by inclusion–exclusion.
    """
    margins = {**margins, tuple(range(size)): whole}
    cells = {}
    for pattern in np.ndindex(*(2,) * size):
        ones = tuple(j for j in range(size) if pattern[j])
        total = np.zeros(len(whole), dtype=np.int64)
        for subset, counts in margins.items():
            if set(ones) <= set(subset):
                total += (-1) ** (len(subset) - len(ones)) * counts
        cells[tuple(pattern)] = total
    return cells


def multiword_units(
    stream: TokenStream,
    *,
    size: int = 2,
    min_count: int = 2,
    min_documents: int = 1,
    smoothing: float = 0.5,
    top: int | None = None,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Runs of ``size`` tokens that hold together more than their words' frequencies predict.

    The score is quanteda's ``textstat_collocations`` lambda: the K-way interaction of the saturated log-linear
    model of the 2^K table of the K-gram's words (``size = 2``: the log odds ratio), with ``smoothing`` added to
    every cell, and z = lambda / sigma, sigma = √Σ 1 / cell. The table counts every run of K counted tokens of a
    document (stop words removed first, as the n-gram tables here count them; quanteda pads removed words).

    Parameters
    ----------
    stream : TokenStream
        From :func:`~corpus_utils.analysis.terms.token_streams`.
    size : int
        Tokens per unit: 2 to 4.
    min_count : int
        Score units seen at least this many times.
    min_documents : int
        ... and in at least this many documents.
    smoothing : float
        Added to every cell before the logarithms (quanteda's default 0.5).
    top : int, optional
        Keep the first ``top`` rows.
    memo : Memo, optional
        Where the scores are kept (``prepared.memo``), under a hash of the stream: the scores of every unit seen at
        least :data:`MEMO_MIN_COUNT` times (or ``min_count``, if lower) are stored once, and any later call on the
        same stream with that ``size`` and ``smoothing`` filters them (a unit's scores do not depend on the
        thresholds), so notebooks 02 and 06 score the units once.

    Returns
    -------
    pandas.DataFrame
        Columns ``collocation`` (tokens joined by spaces), ``count``, ``documents``, ``lambda``, ``z``; sorted by
        ``z`` (descending), ``count`` (descending), ``collocation``.

    Notes
    -----
    Cost: the runs counted a range of first tokens at a time (about
    :data:`~corpus_utils.analysis.terms.PART_OCCURRENCES` runs a part, one sort each, documents counted along it:
    each run packed with its document row into one int64 where that fits, ranges cut to fit while they stay few,
    else a stable arg-sort; one thread per free core; 100,000 pages: 2 tokens 5.2 s to 2.4 s, 3 tokens 9.3 s to
    7.7 s on one thread), then one pass over the runs in chunks: a count of token ids per position and, for K ≥ 3,
    a hash look-up of each run among the kept units per pair of positions. Memory: a few hundred MB per part whatever
    the corpus size, beside the kept units (a million pages: +2.25 GB for 2 tokens, against +8.2 GB counted at once).
    """
    check_whole_number(size, "size (tokens per unit)", min_val=2)
    if size > 4:
        raise ValueError(f"size must be 2, 3 or 4 tokens, got {size!r}")
    check_whole_number(min_count, "min_count", min_val=1)
    check_whole_number(min_documents, "min_documents", min_val=1)
    check_whole_number(top, "top", allow_none=True)
    if not smoothing >= 0:
        raise ValueError(f"smoothing must be 0 or more, got {smoothing!r}")
    if memo is None:
        scores = _unit_scores(stream, size, min_count, min_documents, float(smoothing))
    else:
        floor = min(int(min_count), MEMO_MIN_COUNT)
        key = memo_key(stream=digest_arrays(stream.ids, stream.offsets), vocabulary=digest_texts(map(str, stream.vocabulary)),
                       size=int(size), min_count=floor, smoothing=float(smoothing))
        scores = memo.get_or_compute(UNITS_KIND, key, lambda: _unit_scores(stream, size, floor, 1, float(smoothing)))
    keep = np.flatnonzero((scores["count"] >= min_count) & (scores["documents"] >= min_documents))
    units = scores["units"][keep].reshape(-1, size)
    vocabulary = np.array([str(word) for word in stream.vocabulary], dtype=object)
    order = _unit_order(units, scores["count"][keep], scores["z"][keep], vocabulary)[:top]
    rows = keep[order]
    words = vocabulary[units[order]]
    return pd.DataFrame({
        "collocation": functools.reduce(lambda joined, word: joined + " " + word, words.T[1:], words[:, 0]) if len(words) else
                       np.zeros(0, dtype=object),
        "count": scores["count"][rows].astype(np.int64),
        "documents": scores["documents"][rows].astype(np.int64),
        "lambda": scores["lambda"][rows].astype(np.float64),
        "z": scores["z"][rows].astype(np.float64),
    })


def _unit_order(units: np.ndarray, count: np.ndarray, z: np.ndarray, vocabulary: np.ndarray) -> np.ndarray:
    """Positions of ``units`` by ``z`` (descending, NaN last), ``count`` (descending), then the units' text: a sort
    of numbers only, since joining words that hold no space or control character keeps the order of their tuples
    word by word (``vocabulary``: str, object dtype)."""
    rank = np.empty(len(vocabulary), dtype=np.int64)
    rank[np.argsort(vocabulary, kind="stable")] = np.arange(len(vocabulary))  # Python's order of the strings
    by_words = [rank[units[:, column]] for column in reversed(range(units.shape[1]))]
    missing = np.isnan(z)
    return np.lexsort((*by_words, -count.astype(np.int64), np.where(missing, 0.0, -z), missing))


def _document_rows(positions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The document row of each token position (increasing) of a stream with document ``offsets``: int32 while
    the rows fit, half the memory of the int64 positions."""
    rows = np.searchsorted(offsets, positions, side="right")
    rows -= 1
    return rows.astype(np.int32) if len(offsets) <= np.iinfo(np.int32).max else rows


def _counted_runs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct keys in order, occurrences, documents) of runs of tokens given as int64 ``keys`` in text order,
    with the document row of each (:func:`_document_rows`).

    One stable sort of the keys: each key's rows stay in text order, so its documents are counted where the
    row changes along them (no second sort of (key, document) pairs). The comparisons are written into two
    boolean arrays; at 16 million runs this peaks 120 MB lower than with int64 rows (250 MB with the positions released
    before the sort), and 1.3-1.4 times faster.
    """
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    del order
    new_key = np.empty(len(keys), dtype=bool)
    new_key[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new_key[1:])
    new_document = np.empty(len(keys), dtype=bool)
    new_document[0] = True
    np.not_equal(rows[1:], rows[:-1], out=new_document[1:])
    new_document |= new_key
    firsts = np.flatnonzero(new_key)
    counts = np.diff(np.r_[firsts, len(keys)]).astype(np.int64)
    return keys[firsts], counts, np.add.reduceat(new_document, firsts, dtype=np.int64)


def _counted_packed_runs(keys: np.ndarray, rows: np.ndarray, low: int, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_counted_runs` when every ``(key - low) * n_rows + row`` fits in an int64 (the caller checks): each
    run packed with its document row into one number, so one plain sort of numbers (no permutation, no gathers;
    about six times faster than the stable arg-sort on 16 million runs) orders the runs by key and document.
    ``keys`` is overwritten."""
    if not len(keys):
        return _counted_runs(keys, rows)
    packed = keys
    packed -= low
    packed *= n_rows
    packed += rows
    packed.sort()
    new_document = np.empty(len(packed), dtype=bool)
    new_document[0] = True
    np.not_equal(packed[1:], packed[:-1], out=new_document[1:])
    run_keys = packed // n_rows
    del packed
    new_key = np.empty(len(run_keys), dtype=bool)
    new_key[0] = True
    np.not_equal(run_keys[1:], run_keys[:-1], out=new_key[1:])
    firsts = np.flatnonzero(new_key)
    counts = np.diff(np.r_[firsts, len(run_keys)]).astype(np.int64)
    return run_keys[firsts] + low, counts, np.add.reduceat(new_document, firsts, dtype=np.int64)


def _map_in_threads(function: Callable[[Any], Any], items: list) -> list:
    """``[function(item) for item in items]``, on one thread per free core
    (:func:`~corpus_utils.core.workers.available_cores`) when there are several: for numpy work, which releases the
    GIL while it sorts and compares arrays, so each thread holds one part's arrays at a time."""
    threads = min(available_cores(), len(items))
    if threads < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(function, items))


#: At most this many parts of first tokens are cut so that each packs into int64 (:func:`_packable_parts`); each
#: costs a pass over the stream's token ids.
_MAX_PACKED_PARTS = 64


def _packed_width(per_first_token: int) -> int:
    """How many first-token ids a range may span for its runs to pack with their document row into an int64
    (``per_first_token``: the packed span of one first token); 0 when not even one does."""
    return (2 ** 63 - 1) // per_first_token


def _packable_parts(parts: list[tuple[int, int]], per_first_token: int) -> list[tuple[int, int]]:
    """``parts`` (ranges of first-token ids) cut to :func:`_packed_width`, when at most :data:`_MAX_PACKED_PARTS`
    parts do; otherwise ``parts`` unchanged."""
    width = _packed_width(per_first_token)
    if width < 1:
        return parts
    cut = [(start, min(start + width, high)) for low, high in parts for start in range(low, high, width)]
    return cut if len(cut) <= max(_MAX_PACKED_PARTS, len(parts)) else parts


def _unit_scores(stream: TokenStream, size: int, min_count: int, min_documents: int, smoothing: float) -> dict[str, np.ndarray]:
    """The token ids (``units``, one row per unit), ``count``, ``documents``, ``lambda`` and ``z`` of every run of
    ``size`` tokens seen at least ``min_count`` times in at least ``min_documents`` documents, in no set order.

    The runs are counted a range of first tokens at a time, as the n-gram tables are (about
    :data:`~corpus_utils.analysis.terms.PART_OCCURRENCES` runs a part), so beside the kept units memory stays a few
    hundred MB whatever the corpus size.
    """
    base = max(len(stream.vocabulary), 1)
    starts = _gram_starts(stream, size)
    n_rows = max(len(stream.offsets) - 1, 1)
    per_first_token = base ** (size - 1) * n_rows
    parts = _packable_parts(_first_token_parts(stream, starts, PART_OCCURRENCES), per_first_token)

    def kept_runs(part: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        low, high = part
        keys, positions = _part_keys(stream, starts, size, low, high)
        rows = _document_rows(positions, stream.offsets)
        del positions  # the sort below holds the keys, their order and the sorted copies: not the positions too
        if high - low <= _packed_width(per_first_token):
            distinct, counts, documents = _counted_packed_runs(keys, rows, low * base ** (size - 1), n_rows)
        else:
            distinct, counts, documents = _counted_runs(keys, rows)
        del keys, rows
        keep = (counts >= min_count) & (documents >= min_documents)
        return distinct[keep], counts[keep], documents[keep]

    kept = [(np.zeros(0, dtype=np.int64),) * 3, *_map_in_threads(kept_runs, parts)]
    keys, counts, documents = (np.concatenate(column) for column in zip(*kept))
    wanted = _key_tokens(keys, size, base)
    lam = np.zeros(len(wanted))
    variance = np.zeros(len(wanted))
    if len(wanted):
        for pattern, counts_of in _cell_counts(_margins(stream, starts, wanted, base), counts, size).items():
            smoothed = counts_of + smoothing
            with np.errstate(divide="ignore"):
                lam += (-1) ** (size - sum(pattern)) * np.log(smoothed)
            variance += 1.0 / smoothed
    with np.errstate(divide="ignore", invalid="ignore"):
        z = lam / np.sqrt(variance)
    return {"units": wanted.astype(np.int32), "count": counts, "documents": documents, "lambda": lam, "z": z}
