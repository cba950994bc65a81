"""The fast boilerplate search equals the simple one it replaced (kept here as the reference), and stays
bounded on big template families."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from corpus_utils.analysis import boilerplate as bp
from corpus_utils.analysis import prefixjoin as pj
from corpus_utils.analysis import shingles as sh
from corpus_utils.analysis.boilerplate import near_duplicate_paragraphs, remove_boilerplate, template_families
from corpus_utils.core.words import SHINGLE_WORD
from corpus_utils.input.load import count_words, load_paragraphs
from planted import dated, mutated, planted_corpus, random_text
from reference import shingle_matrix

# ---------------------------------------------------------------------------------------------------------------
# Reference: the previous implementation (regex normalisation, word-by-word hashing, every pair of every LSH bucket)


def _reference_normalise(texts: pd.Series) -> pd.Series:
    return texts.fillna("").astype(str).str.lower().str.findall(SHINGLE_WORD.pattern).str.join(" ")


def _reference_shingle_hashes(texts: list[str], shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    words = [text.split(" ") if text else [] for text in texts]
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    flat = np.asarray([word for text_words in words for word in text_words], dtype=object)
    if flat.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    word_hash = pd.util.hash_array(flat, categorize=True).astype(np.uint64)
    ends = np.cumsum(lengths)
    begins = ends - lengths
    row_of_word = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    position = np.arange(flat.size, dtype=np.int64)
    end_of_word = ends[row_of_word]
    is_start = (position + shingle_size <= end_of_word) | (
        (position == begins[row_of_word]) & (lengths[row_of_word] < shingle_size)
    )
    starts = position[is_start]
    value = np.zeros(starts.size, dtype=np.uint64)
    limit = end_of_word[is_start]
    for offset in range(shingle_size):
        take = starts + offset
        inside = take < limit
        factor = np.uint64(pow(int(sh._PRIME), offset, 2**64))
        value += np.where(inside, word_hash[np.minimum(take, flat.size - 1)], np.uint64(0)) * factor
    return row_of_word[is_start], sh._mix(value)


def _reference_pairs_within_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    boundaries = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
    sizes = np.diff(boundaries)
    group_end = np.repeat(boundaries[1:], sizes)
    position = np.arange(order.size)
    partners = group_end - position - 1
    first = np.repeat(position, partners)
    second = first + 1 + (np.arange(first.size) - np.repeat(np.cumsum(partners) - partners, partners))
    return order[first], order[second]


def _reference_similar_pairs(texts, threshold, shingle_size, *, hashes=_reference_shingle_hashes, **_ignored):
    n = len(texts)
    empty = pd.DataFrame({"i": np.zeros(0, np.int64), "j": np.zeros(0, np.int64), "similarity": np.zeros(0)})
    if n < 2:
        return empty
    rows, values = hashes(texts, shingle_size)
    columns, inverse = np.unique(values, return_inverse=True)
    matrix = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, inverse.ravel())), shape=(n, columns.size))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    sizes = np.diff(matrix.indptr)
    present = sizes > 0
    bands, band_rows = pj._lsh_shape(threshold)
    starts, row_ids = matrix.indptr[:-1][present], np.flatnonzero(present)
    candidates = []
    for band in range(bands):
        key = np.zeros(row_ids.size, dtype=np.uint64)
        for step in range(band_rows):
            seed = np.uint64(((band * band_rows + step + 1) * int(sh._GOLDEN)) % 2**64)
            minimum = np.minimum.reduceat(sh._mix(columns ^ seed)[matrix.indices], starts)
            key = sh._mix(key ^ minimum)
        first, second = _reference_pairs_within_groups(key)
        candidates.append(np.minimum(row_ids[first], row_ids[second]) * n + np.maximum(row_ids[first], row_ids[second]))
    codes = np.unique(np.concatenate(candidates))
    left, right = codes // n, codes % n
    small, large = np.minimum(sizes[left], sizes[right]), np.maximum(sizes[left], sizes[right])
    plausible = small >= threshold * large - 1e-9
    a, b = left[plausible], right[plausible]
    shared = np.asarray(matrix[a].multiply(matrix[b]).sum(axis=1)).ravel()
    similarity = shared / (sizes[a] + sizes[b] - shared)
    keep = similarity >= threshold - 1e-9
    return pd.DataFrame({"i": a[keep], "j": b[keep], "similarity": similarity[keep]})


def _reference_components(texts, threshold, shingle_size, *, hashes=_reference_shingle_hashes):
    pairs = _reference_similar_pairs(texts, threshold, shingle_size, hashes=hashes)
    graph = sp.coo_matrix((np.ones(len(pairs)), (pairs["i"], pairs["j"])), shape=(len(texts), len(texts)))
    return connected_components(graph, directed=False)[1]


def _reference_eligible(paragraphs, min_words, memo=None):
    table = paragraphs.reset_index(drop=True)
    n_words = table["n_words"] if "n_words" in table.columns else table["text"].fillna("").astype(str).map(count_words)
    rows = np.flatnonzero(n_words.to_numpy() >= min_words)
    table = table.iloc[rows].reset_index(drop=True)
    codes, uniques = pd.factorize(_reference_normalise(table["text"]), sort=True)
    return table, rows, codes.astype(np.int64), [str(text) for text in uniques]


def _reference_results(documents: pd.DataFrame, **options) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(near_duplicate_paragraphs, template_families, remove_boilerplate) computed the previous way."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bp, "_eligible", _reference_eligible)
        patch.setattr(bp, "_similar_pairs", _reference_similar_pairs)
        patch.setattr(bp, "_similar_components", _reference_components)
        return _results(documents, **options)


def _results(documents: pd.DataFrame, threshold: float = 0.8, shingle_size: int = 5, min_words: int = 8):
    paragraphs = load_paragraphs(documents)
    options = {"threshold": threshold, "shingle_size": shingle_size, "min_words": min_words}
    return (
        near_duplicate_paragraphs(paragraphs, max_pairs=50_000_000, **options),
        template_families(paragraphs, **options),
        remove_boilerplate(documents, **options),
    )


# ---------------------------------------------------------------------------------------------------------------
# Test corpora: dated templates (one huge LSH bucket), paragraphs sharing sentences, mutated copies

@pytest.mark.parametrize(("seed", "threshold", "shingle_size"), [(1, 0.8, 5), (2, 0.6, 3), (3, 0.9, 5), (4, 0.5, 2)])
def test_results_equal_the_reference_on_planted_templates(seed, threshold, shingle_size):
    documents = planted_corpus(seed)
    found = _results(documents, threshold=threshold, shingle_size=shingle_size)
    expected = _reference_results(documents, threshold=threshold, shingle_size=shingle_size)
    assert len(found[0]) > 500 and found[1]["family"].nunique() >= 2
    for got, want in zip(found, expected):
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize(("chunk_entries", "block_entries"), [(97, 500), (13, 200), (4_000, 3_000)])
def test_results_equal_the_reference_when_the_index_is_built_in_small_pieces(monkeypatch, chunk_entries, block_entries):
    documents = planted_corpus(5, n_documents=120)
    monkeypatch.setattr(pj, "_CHUNK_ENTRIES", chunk_entries)  # passes over keys, tokens and prefix entries
    monkeypatch.setattr(pj, "_BLOCK_ENTRIES", block_entries)  # rows of the ranked matrix packed at a time
    found = _results(documents, threshold=0.7, shingle_size=4)
    assert len(found[0]) > 100
    for got, want in zip(found, _reference_results(documents, threshold=0.7, shingle_size=4)):
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize(("pairs_per_key", "chunk_pairs"), [(0, 250_000), (10**9, 250_000), (30, 500), (3, 97)])
def test_results_equal_the_reference_whichever_test_of_a_candidate_pair_goes_first(monkeypatch, pairs_per_key, chunk_pairs):
    """0: the band test always first; 10**9: verification always first; small chunks: the order changes from chunk to
    chunk as the band keys get made."""
    documents = planted_corpus(6, n_documents=160)
    monkeypatch.setattr(pj, "_PAIRS_PER_NEW_KEY", pairs_per_key)
    monkeypatch.setattr(pj, "_CHUNK_PAIRS", chunk_pairs)
    orders = []
    real = pj._BandFilter.goes_first
    monkeypatch.setattr(pj._BandFilter, "goes_first", lambda self, a, b: orders.append(real(self, a, b)) or orders[-1])
    found = _results(documents, threshold=0.7, shingle_size=4)
    assert len(found[0]) > 100 and len(orders) >= 2
    assert set(orders) == ({True} if pairs_per_key == 0 else {False} if pairs_per_key == 10**9 else {True, False})
    for got, want in zip(found, _reference_results(documents, threshold=0.7, shingle_size=4)):
        pd.testing.assert_frame_equal(got, want)


def test_results_equal_the_reference_with_short_paragraphs_and_odd_characters():
    rng = random.Random(7)
    pieces = ["İstanbul ΑΣ office", "naïve café", "x_y 42", "‘quoted’ — dash", "😀 emoji", "ǅ title"]
    bodies = []
    for index in range(120):
        base = " ".join(rng.choice(pieces) for _ in range(rng.randrange(1, 5)))
        bodies.append("\n\n".join([base, mutated(random_text(rng, 9), rng, 1), f"{base} {index % 7}"]))
    documents = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(bodies))], "body": bodies})
    for options in ({"min_words": 1, "shingle_size": 3}, {"min_words": 2, "shingle_size": 5, "threshold": 0.7}):
        for got, want in zip(_results(documents, **options), _reference_results(documents, **options)):
            pd.testing.assert_frame_equal(got, want)


def test_normalisation_equals_the_regex_for_every_code_point():
    chars = [chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF] + ["😀", "𝔘", "\U0001d7d8"]
    texts = [f"x{char}y" for char in chars] + [f"A{char}" for char in chars]
    texts += ["", " ", "ΑΣ Β", "ΑΣ", "..a..", "a\x00b"]
    series = pd.Series(texts, dtype=object)
    assert sh._normalise(series) == _reference_normalise(series).tolist()


def test_normalisation_equals_the_regex_on_random_unicode():
    rng = random.Random(3)
    alphabet = list("abcXYZ _-.,;'’“”\n\t0123")
    alphabet += ["İ", "Σ", "ς", "ß", "Ⅻ", "😀", "\u0307", "٣", "²", "\u00a0", "\x00", "\uffff"]
    alphabet += ["中", "文", "\u3400", "\u9fff", "\ufa6e", "，", "。"]  # Han: each a word, also when two touch
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(5000)]
    series = pd.Series(texts + [None], dtype=object)
    assert sh._normalise(series) == _reference_normalise(series).tolist()


@pytest.mark.parametrize("shingle_size", [1, 2, 5, 9])
def test_shingle_hashes_equal_the_reference(shingle_size):
    rng = random.Random(shingle_size)
    texts = ["", "one", "one two three", "ünï çødé wörds"] + [random_text(rng, rng.randrange(0, 30)) for _ in range(300)]
    counts, hashes = sh._shingle_table(texts, shingle_size)
    rows = np.repeat(np.arange(len(texts)), counts)
    expected_rows, expected_hashes = _reference_shingle_hashes(texts, shingle_size)
    assert np.array_equal(rows, expected_rows) and np.array_equal(hashes, expected_hashes)
    matrix, columns = shingle_matrix(texts, shingle_size=shingle_size)
    assert np.array_equal(columns, np.unique(expected_hashes)) and matrix.shape == (len(texts), columns.size)


@pytest.mark.parametrize("dtype", ["object", "string[pyarrow]"])
@pytest.mark.parametrize("chunk_chars", [60, 4_000_000])
def test_distinct_texts_are_numbered_as_factorising_their_normalised_forms(monkeypatch, dtype, chunk_chars):
    """The join tells texts apart by the hash of their normalised form, normalising again when it needs a text:
    the same numbers, texts, shingles and stored-join key as holding every normalised text."""
    monkeypatch.setattr(sh, "_CHUNK_CHARS", chunk_chars)  # 60: a chunk of a few paragraphs, short ones skipped
    monkeypatch.setattr(sh, "_GATHERED_ENTRIES", 7 if chunk_chars == 60 else sh._GATHERED_ENTRIES)  # chunks joined in runs
    rng = random.Random(21)
    base = [random_text(rng, rng.randrange(1, 20)) for _ in range(80)]
    variants = [rng.choice([text, text.upper(), f"«{text}»!", text.replace(" ", "  ,")]) for text in base for _ in range(3)]
    rng.shuffle(variants)
    paragraphs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(variants))], "paragraph": 1,
                               "text": pd.Series(variants + [None], dtype=dtype)[: len(variants)]})
    table, rows, codes, uniques = bp._eligible(paragraphs, 4)
    expected_rows = np.flatnonzero(paragraphs["text"].map(count_words).to_numpy() >= 4)
    expected_codes, expected_uniques = pd.factorize(_reference_normalise(paragraphs["text"].iloc[expected_rows]))
    assert np.array_equal(rows, expected_rows) and len(table) == rows.size and 40 < len(uniques) < rows.size
    assert codes.tolist() == expected_codes.tolist() and list(uniques) == list(expected_uniques)
    assert uniques.take(np.array([3, 0, 3])) == [expected_uniques[3], expected_uniques[0], expected_uniques[3]]
    assert bp._join_key(uniques, 0.8, 5) == bp._join_key(list(expected_uniques), 0.8, 5)
    for got, want in zip(sh._shingle_table(uniques, 3), sh._shingle_table(list(expected_uniques), 3)):
        assert np.array_equal(got, want)


def test_tokens_stay_distinct_when_hash_prefixes_collide():
    rng = np.random.default_rng(0)
    bases = rng.integers(0, 2**62, 40, dtype=np.int64).astype(np.uint64)
    hashes = np.repeat(bases, 25) + rng.integers(0, 64, 1000).astype(np.uint64)  # many share all but 6 low bits
    separated = hashes.copy()
    pj._separate_tokens(separated, bits=6)
    tokens = separated >> np.uint64(6)
    pairs = pd.DataFrame({"hash": hashes, "token": tokens}).drop_duplicates()
    assert pairs["hash"].is_unique and pairs["token"].is_unique  # one token per distinct hash, and back


@pytest.mark.parametrize("threshold", [0.7, 0.75, 0.8, 0.9])
def test_pairs_at_the_size_limit_of_the_threshold_are_candidates(threshold):
    """Candidates are paired only within a size window; a text and a superset exactly at the threshold stay in it."""
    texts = []
    for small in range(3, 60):
        large = max(size for size in range(small, 3 * small) if small >= threshold * size - 1e-9)
        words = [f"s{small}w{k}" for k in range(large + 1)]
        texts += [" ".join(words[:small]), " ".join(words[:large]), " ".join(words[: large + 1])]  # J = t, J < t
    expected = _reference_similar_pairs(texts, threshold, 1).sort_values(["i", "j"]).reset_index(drop=True)
    assert len(expected) > 50
    pd.testing.assert_frame_equal(pj._similar_pairs(texts, threshold, 1), expected, check_dtype=False)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_components_grown_a_chunk_of_edges_at_a_time_equal_the_whole_graph(seed):
    rng = np.random.default_rng(seed)
    n = 500
    a, b = rng.integers(0, n, 400), rng.integers(0, n, 400)  # chains, stars and many texts left alone
    components = pj._GrowingComponents(n)
    for start in range(0, a.size, 37):
        components.link(a[start : start + 37], b[start : start + 37])
        assert np.all(components.first <= np.arange(n)) and np.all(components.first[components.first] == components.first)
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    assert np.array_equal(components.labels(), connected_components(graph, directed=False)[1])


def _coarse_hashes(texts: list[str], shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes squeezed into 300 values that share their top bits: every prefix collides."""
    rows, hashes = _reference_shingle_hashes(texts, shingle_size)
    return rows, (np.uint64(0xABCDEF) << np.uint64(40)) | (hashes % np.uint64(300))


def _coarse_table(texts: list[str], shingle_size: int) -> tuple[np.ndarray, np.ndarray]:
    rows, hashes = _coarse_hashes(texts, shingle_size)
    return np.bincount(rows, minlength=len(texts)), hashes


def test_pairs_and_components_equal_the_reference_when_every_hash_prefix_collides(monkeypatch):
    rng = random.Random(11)
    template = random_text(rng, 30)
    variants = {mutated(template, rng, rng.randrange(0, 8)) for _ in range(150)}
    texts = sorted(variants | {random_text(rng, 20) for _ in range(50)})
    expected = _reference_similar_pairs(texts, 0.7, 3, hashes=_coarse_hashes)
    expected_components = _reference_components(texts, 0.7, 3, hashes=_coarse_hashes)
    monkeypatch.setattr(pj, "_shingle_table", _coarse_table)
    found = pj._similar_pairs(texts, 0.7, 3)
    assert len(found) > 100
    pd.testing.assert_frame_equal(found, expected.sort_values(["i", "j"]).reset_index(drop=True), check_dtype=False)
    assert len(set(zip(pj._similar_components(texts, 0.7, 3), expected_components))) == len(set(expected_components))


def test_max_pairs_stops_early_on_many_distinct_near_duplicates(monkeypatch):
    rng = random.Random(5)
    template = random_text(rng, 60)
    paragraphs = pd.DataFrame(
        {"doc_id": [f"d{i}" for i in range(400)], "paragraph": 1, "text": [dated(template, rng) for _ in range(400)]}
    )
    monkeypatch.setattr(pj, "_CHUNK_PAIRS", 1000)
    with pytest.raises(ValueError, match="at least .* max_pairs=2000"):
        near_duplicate_paragraphs(paragraphs, max_pairs=2000)


def test_one_big_family_of_dated_templates_is_one_family():
    rng = random.Random(9)
    template = random_text(rng, 60)
    texts = [dated(template, rng) for _ in range(3000)]
    paragraphs = pd.DataFrame({"doc_id": [f"d{i:04d}" for i in range(3000)], "paragraph": 1, "text": texts})
    families = template_families(paragraphs)
    assert families["family"].unique().tolist() == [1] and families["n_documents"].iloc[0] == 3000



def test_pairs_the_bands_miss_are_missed_alike():
    """The LSH band rule is part of the method: a pair near the threshold sharing no band is not reported."""
    texts = []
    for pair in range(2000):
        words = [f"p{pair}w{k}" for k in range(20)]
        texts += [" ".join(words), " ".join(words[:18] + [f"p{pair}x0", f"p{pair}x1"])]  # Jaccard 18/22
    expected = _reference_similar_pairs(texts, 0.8, 1).sort_values(["i", "j"]).reset_index(drop=True)
    assert 1950 < len(expected) < 2000
    pd.testing.assert_frame_equal(pj._similar_pairs(texts, 0.8, 1), expected, check_dtype=False)
