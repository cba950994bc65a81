"""Collocates and multi-word units: hand-computed values, scipy's G-test, and a brute-force count of the cells."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from corpus_utils.analysis import collocations
from corpus_utils.analysis.collocations import (MEASURES, _counted_packed_runs, _counted_runs, _document_rows, _packable_parts,
                                                 _unit_scores, collocates, multiword_units)
from corpus_utils.analysis.prepare import prepare_corpus
from corpus_utils.analysis.terms import TokenStream, token_streams
from corpus_utils.text.tokenizer import Tokenizer

VOCABULARY = np.array(["party", "discipline", "inspection", "court"], dtype=object)


def _stream(documents: list[list[int]]) -> TokenStream:
    ids = np.array([token for document in documents for token in document], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(document) for document in documents])]).astype(np.int64)
    return TokenStream(ids=ids, offsets=offsets, vocabulary=VOCABULARY,
                       doc_ids=np.array([f"d{i}" for i in range(len(documents))], dtype=object),
                       n_words=np.array([len(document) for document in documents], dtype=np.int64))


#: doc 0: party discipline inspection party discipline; doc 1: inspection party court.
SMALL = _stream([[0, 1, 2, 0, 1], [2, 0, 3]])


@pytest.fixture(scope="module")
def seeds_stream():
    prepared = prepare_corpus("seeds")
    return token_streams(prepared.documents, [prepared.tokenizer], memo=prepared.memo)[0], prepared.tokenizer


def test_collocates_match_values_computed_by_hand():
    # "party" occurs 3 times; windows of one token each side cover 5 slots (the first occurrence opens a document):
    # discipline twice (right, doc 0), inspection twice (left, docs 0 and 1), court once. N = 8.
    table = collocates(SMALL, "party", tokenizer=Tokenizer(), left=1, right=1, min_count=1, min_documents=1).set_index("collocate")
    assert (table.attrs["window_tokens"], table.attrs["node_count"], table.attrs["corpus_tokens"]) == (5, 3, 8)
    discipline = table.loc["discipline"]
    assert (discipline["observed"], discipline["documents"], discipline["left"], discipline["right"]) == (2, 1, 0, 2)
    assert table.loc["inspection", ["observed", "documents", "left", "right"]].tolist() == [2, 2, 2, 0]
    assert discipline["expected"] == pytest.approx(5 * 2 / 8)
    assert discipline["mi"] == pytest.approx(math.log2(2 / 1.25))
    assert discipline["t_score"] == pytest.approx((2 - 1.25) / math.sqrt(2))
    assert discipline["logdice"] == pytest.approx(14 + math.log2(2 * 2 / (3 + 2)))
    # 2 x 2 table: in a window / elsewhere x discipline / other = [[2, 3], [0, 3]], expected [[1.25, 3.75], [0.75, 2.25]]
    g2 = 2 * (2 * math.log(2 / 1.25) + 3 * math.log(3 / 3.75) + 3 * math.log(3 / 2.25))
    assert discipline["g2"] == pytest.approx(g2)
    assert "party" not in table.index


def test_g2_agrees_with_scipy_log_likelihood_on_the_seeds(seeds_stream):
    stream, tokenizer = seeds_stream
    table = collocates(stream, "party", tokenizer=tokenizer, min_count=1, min_documents=1)
    n, r1 = table.attrs["corpus_tokens"], table.attrs["window_tokens"]
    for row in table.head(40).itertuples():
        observed = np.array([[row.observed, r1 - row.observed], [row.collocate_total - row.observed,
                                                                 n - r1 - row.collocate_total + row.observed]])
        if (observed < 0).any() or (observed.sum(axis=0) == 0).any():
            continue
        reference, *_ = chi2_contingency(observed, correction=False, lambda_="log-likelihood")
        assert abs(row.g2) == pytest.approx(reference, rel=1e-9), row.collocate
        assert (row.g2 < 0) == (row.observed < row.expected)


@pytest.mark.parametrize("measure", MEASURES)
def test_collocates_are_ranked_by_the_chosen_measure_and_filtered(seeds_stream, measure):
    stream, tokenizer = seeds_stream
    table = collocates(stream, "warning education", tokenizer=tokenizer, measure=measure, min_count=2, min_documents=2)
    assert not table.empty
    assert table[measure].is_monotonic_decreasing
    assert (table["observed"] >= 2).all() and (table["documents"] >= 2).all()
    assert (table["left"] + table["right"] == table["observed"]).all()


def test_document_threshold_stops_one_article_dominating(seeds_stream):
    stream, tokenizer = seeds_stream
    every = collocates(stream, "party", tokenizer=tokenizer, min_count=1, min_documents=1)
    spread = collocates(stream, "party", tokenizer=tokenizer, min_count=1, min_documents=3)
    assert set(spread["collocate"]) < set(every["collocate"])
    assert set(every.loc[every["documents"] < 3, "collocate"]).isdisjoint(spread["collocate"])


def test_a_node_the_corpus_lacks_gives_an_empty_table_and_bad_spans_are_refused(seeds_stream):
    stream, tokenizer = seeds_stream
    empty = collocates(stream, "xylophone", tokenizer=tokenizer)
    assert empty.empty and empty.attrs["node_count"] == 0
    with pytest.raises(ValueError, match="left and right are both 0"):
        collocates(stream, "party", tokenizer=tokenizer, left=0, right=0)
    with pytest.raises(ValueError, match="measure must be one of"):
        collocates(stream, "party", tokenizer=tokenizer, measure="dice")


def _brute_force_cells(stream: TokenStream, gram: tuple[int, ...]) -> dict[tuple[int, ...], int]:
    """Count the 2^K cells by walking every window of every document (the slow, obvious way)."""
    size = len(gram)
    cells = {pattern: 0 for pattern in product((0, 1), repeat=size)}
    for start, stop in zip(stream.offsets[:-1], stream.offsets[1:]):
        tokens = stream.ids[start:stop].tolist()
        for index in range(len(tokens) - size + 1):
            cells[tuple(int(tokens[index + j] == gram[j]) for j in range(size))] += 1
    return cells


@pytest.mark.parametrize("size", [2, 3])
def test_lambda_and_z_equal_the_formula_on_brute_force_cells(seeds_stream, size):
    stream, _ = seeds_stream
    table = multiword_units(stream, size=size, min_count=2)
    position = {token: index for index, token in enumerate(stream.vocabulary)}
    assert len(table) >= 12
    for collocation, count, _, lam, z in table.head(12).itertuples(index=False, name=None):
        cells = _brute_force_cells(stream, tuple(position[word] for word in collocation.split()))
        assert cells[(1,) * size] == count
        expected_lambda = sum((-1) ** (size - sum(pattern)) * math.log(cell + 0.5) for pattern, cell in cells.items())
        sigma = math.sqrt(sum(1 / (cell + 0.5) for cell in cells.values()))
        assert lam == pytest.approx(expected_lambda, rel=1e-12)
        assert z == pytest.approx(expected_lambda / sigma, rel=1e-12)


def test_bigram_lambda_is_the_smoothed_log_odds_ratio():
    table = multiword_units(SMALL, size=2, min_count=2).set_index("collocation")
    # windows: (party discipline) x2, (discipline inspection), (inspection party) x2, (party court) -> 6 windows
    n11, n10, n01, n00 = 2, 1, 0, 3  # first word party / second word discipline
    expected = math.log(n11 + 0.5) - math.log(n10 + 0.5) - math.log(n01 + 0.5) + math.log(n00 + 0.5)
    assert table.loc["party discipline", "lambda"] == pytest.approx(expected)
    assert table.loc["party discipline", "documents"] == 1 and table.loc["inspection party", "documents"] == 2


def test_multiword_units_never_cross_documents_and_refuse_bad_sizes():
    table = multiword_units(SMALL, size=2, min_count=1)
    assert "discipline inspection" in set(table["collocation"])
    assert "discipline inspection" not in set(multiword_units(_stream([[0, 1], [2, 0]]), size=2, min_count=1)["collocation"])
    with pytest.raises(ValueError, match="size must be 2, 3 or 4"):
        multiword_units(SMALL, size=5)
    empty = multiword_units(SMALL, size=2, min_count=50)
    assert empty.empty and list(empty.columns) == ["collocation", "count", "documents", "lambda", "z"]
    assert isinstance(empty, pd.DataFrame)



def test_units_scored_once_are_read_back_and_filtered_to_the_same_table_as_computing_them(tmp_path, monkeypatch):
    import corpus_utils.analysis.collocations as collocations_module
    from corpus_utils.core.memo import Memo

    prepared = prepare_corpus("seeds")
    stream = token_streams(prepared.documents, [prepared.tokenizer], memo=prepared.memo)[0]
    memo = Memo(tmp_path)
    scored = []
    original = collocations_module._unit_scores
    monkeypatch.setattr(collocations_module, "_unit_scores", lambda *args: scored.append(args[1:4]) or original(*args))
    settings = ((3, 3, 1), (3, 2, 1), (3, 2, 2), (2, 4, 1), (2, 1, 1), (2, 1, 1))
    kept = [multiword_units(stream, size=size, min_count=count, min_documents=documents, memo=memo)
            for size, count, documents in settings]
    # one scoring per size at a floor of 2 units seen (and one for the lower min_count), each read back after
    assert scored == [(3, 2, 1), (2, 2, 1), (2, 1, 1)]
    for (size, count, documents), table in zip(settings, kept):
        pd.testing.assert_frame_equal(table, multiword_units(stream, size=size, min_count=count, min_documents=documents))
    for table in kept:  # the numeric sort keeps pandas' order of (z, count, collocation), ties and all
        expected = table.sort_values(["z", "count", "collocation"], ascending=[False, False, True]).reset_index(drop=True)
        assert table["count"].duplicated().any()
        pd.testing.assert_frame_equal(table, expected)
    other = token_streams(prepared.documents.iloc[:3], [prepared.tokenizer])[0]  # another stream: scored afresh
    pd.testing.assert_frame_equal(multiword_units(other, size=2, min_count=2, memo=memo), multiword_units(other, size=2, min_count=2))

@pytest.mark.parametrize("part", [1, 3, 37, 1000])
def test_units_counted_a_few_runs_at_a_time_equal_those_counted_at_once(seeds_stream, monkeypatch, part):
    import corpus_utils.analysis.collocations as collocations_module

    stream, _ = seeds_stream
    settings = [(size, count, documents) for size in (2, 3, 4) for count, documents in ((1, 1), (2, 1), (2, 2))]
    at_once = [multiword_units(stream, size=size, min_count=count, min_documents=documents) for size, count, documents in settings]
    monkeypatch.setattr(collocations_module, "PART_OCCURRENCES", part)  # many parts of first tokens
    monkeypatch.setattr(collocations_module, "_MARGIN_TOKENS", part)  # many chunks of runs
    for (size, count, documents), expected in zip(settings, at_once):
        got = multiword_units(stream, size=size, min_count=count, min_documents=documents)
        pd.testing.assert_frame_equal(got, expected)
    small = multiword_units(SMALL, size=2, min_count=1).set_index("collocation")
    assert small.loc["inspection party", "documents"] == 2 and small.loc["party discipline", "count"] == 2


def test_collocates_work_on_chinese_tokens():
    prepared = prepare_corpus("seeds_zh", language="zh")
    stream = token_streams(prepared.documents, [prepared.tokenizer], memo=prepared.memo)[0]
    node = pd.Series(stream.vocabulary[np.bincount(stream.ids).argmax()])[0]
    table = collocates(stream, node, tokenizer=prepared.tokenizer, min_count=1, min_documents=1)
    assert table.attrs["node_count"] > 0 and not table.empty
    assert all(isinstance(word, str) and word for word in table["collocate"])


def test_numbered_units_that_hold_together_feed_the_formulation_candidates():
    from corpus_utils.analysis.formulations import collocation_candidates

    prepared = prepare_corpus("seeds", merge_formulations=False)  # renderings left as words: the units find them
    stream = token_streams(prepared.documents, [prepared.tokenizer], memo=prepared.memo)[0]
    units = pd.concat([multiword_units(stream, size=size, min_count=2) for size in (2, 3)])
    found = collocation_candidates(units).set_index("candidate")
    assert {"three meetings", "one lesson", "two maintenance"} <= set(found.index)
    assert found.at["two maintenance", "matched_canonical"] == "two_safeguards"
    assert pd.isna(found.at["three meetings", "matched_canonical"])
    assert (found["z"] > 3.29).all() and found["z"].is_monotonic_decreasing
    assert "80 000" not in found.index  # a number split by the tokenizer is not a slogan
    counts = pd.DataFrame({"collocation": ["three years", "five guarantees", "两个 月", "四个 意识"], "count": [9, 3, 4, 3],
                           "documents": [3, 2, 2, 2], "z": [9.0, 5.0, 6.0, 4.0]})
    assert collocation_candidates(counts)["candidate"].tolist() == ["five guarantees", "四个 意识"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_runs_counted_by_one_sort_equal_a_group_by_of_keys_and_documents(seed):
    rng = np.random.default_rng(seed)
    offsets = np.r_[0, np.cumsum(rng.integers(0, 9, size=40))]  # empty documents included
    positions = np.sort(rng.choice(offsets[-1], size=min(150, offsets[-1]), replace=False))
    keys = rng.integers(0, 12, size=len(positions)).astype(np.int64)
    rows = _document_rows(positions, offsets)
    assert rows.dtype == np.int32 and np.array_equal(rows, [np.searchsorted(offsets, p, side="right") - 1 for p in positions])
    distinct, counts, documents = _counted_runs(keys, rows)
    expected = pd.DataFrame({"key": keys, "row": rows}).groupby("key")["row"].agg(["size", "nunique"])
    assert distinct.tolist() == expected.index.tolist()
    assert counts.tolist() == expected["size"].tolist() and documents.tolist() == expected["nunique"].tolist()
    assert [part.tolist() for part in _counted_runs(keys[:0], rows[:0])] == [[], [], []]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_runs_packed_with_their_document_count_as_the_one_sort_does(seed):
    rng = np.random.default_rng(seed)
    offsets = np.r_[0, np.cumsum(rng.integers(0, 9, size=40))]
    positions = np.sort(rng.choice(offsets[-1], size=min(150, offsets[-1]), replace=False))
    low = 1_000
    keys = low + rng.integers(0, 12, size=len(positions)).astype(np.int64)
    rows = _document_rows(positions, offsets)
    expected = _counted_runs(keys.copy(), rows)
    got = _counted_packed_runs(keys.copy(), rows, low, len(offsets) - 1)
    assert [part.tolist() for part in got] == [part.tolist() for part in expected]
    assert [part.tolist() for part in _counted_packed_runs(keys[:0].copy(), rows[:0], low, 40)] == [[], [], []]


def test_first_token_parts_are_cut_to_pack_only_while_few():
    assert _packable_parts([(0, 10), (10, 100)], 2 ** 63 // 30) == [(0, 10), (10, 40), (40, 70), (70, 100)]
    assert _packable_parts([(0, 1_000)], 2 ** 62) == [(0, 1_000)]  # 500 parts of two first tokens: too many
    assert _packable_parts([(0, 10)], 2 ** 64) == [(0, 10)]  # not even one first token packs


def _one_part_per_token(stream, starts, budget):
    return [(token, token + 1) for token in range(len(stream.vocabulary))]


@pytest.mark.parametrize("size", [2, 3])
def test_unit_scores_are_the_same_packed_cut_or_sorted_on_one_thread_or_two(seeds_stream, monkeypatch, size):
    stream, _ = seeds_stream
    packed = _unit_scores(stream, size, 1, 1, 0.5)
    monkeypatch.setattr(collocations, "_first_token_parts", _one_part_per_token)
    monkeypatch.setattr(collocations, "available_cores", lambda: 1)
    cut = _unit_scores(stream, size, 1, 1, 0.5)
    monkeypatch.setattr(collocations, "available_cores", lambda: 2)
    threads = _unit_scores(stream, size, 1, 1, 0.5)  # the parts counted on two threads, joined in order
    for column in ("units", "count", "documents", "lambda", "z"):
        np.testing.assert_array_equal(threads[column], cut[column])
    monkeypatch.undo()
    with monkeypatch.context() as patch:  # the stable arg-sort of the keys, as when packing would overflow
        patch.setattr(collocations, "_counted_packed_runs", lambda keys, rows, low, n_rows: _counted_runs(keys, rows))
        sorted_ = _unit_scores(stream, size, 1, 1, 0.5)
    reference = np.lexsort(packed["units"].T[::-1])
    assert len(reference) > 100
    for got in (cut, sorted_):
        order = np.lexsort(got["units"].T[::-1])
        for column in ("units", "count", "documents", "lambda", "z"):
            np.testing.assert_array_equal(got[column][order], packed[column][reference])
