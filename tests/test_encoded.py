"""Token ids computed once and shared: every path that reads them from the memo equals the path that tokenises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_utils import read_corpus
from corpus_utils.analysis.keyness import keyness
from corpus_utils.analysis.terms import ngram_frequency_table, token_streams
from corpus_utils.analysis.timeline import term_trends
from corpus_utils.core import memo as memo_module
from corpus_utils.core.memo import Memo
from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.text import tokenizer as tokenizer_module
from corpus_utils.text import encoded as encoded_module
from corpus_utils.text.encoded import _joined, encode_texts
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.variants import count_variants, load_variant_table
from corpus_utils.text.vectorizers import make_vectorizer

TOKENIZERS = [Tokenizer(), Tokenizer.from_parameters(mt_normalisation=True)]


@pytest.fixture(scope="module")
def documents() -> pd.DataFrame:
    """The English seeds and the Chinese pages together, with one empty and one stop-word-only document."""
    english = read_corpus(PROJECT_ROOT / "seeds").documents
    chinese = read_corpus(PROJECT_ROOT / "seeds_zh").documents
    odd = english.head(2).assign(doc_id=["empty", "stop words only"], body=["", "the and of it is"])
    return pd.concat([english, chinese, odd], ignore_index=True)


def _tokens(encoded) -> list[list[str]]:
    words = encoded.vocabulary[encoded.ids]
    return [words[start:stop].tolist() for start, stop in zip(encoded.offsets[:-1], encoded.offsets[1:])]


class _NoSplitting:
    """Makes every call of ``Tokenizer.split`` fail, to prove a result was read and not tokenised."""

    def __init__(self, monkeypatch) -> None:
        monkeypatch.setattr(tokenizer_module.Tokenizer, "split", self.fail)

    @staticmethod
    def fail(*args, **kwargs):
        raise AssertionError("the texts were tokenised again")


def test_stored_token_ids_read_back_equal_to_tokenising(documents, tmp_path, monkeypatch):
    texts = documents["body"].tolist()
    plain = encode_texts(texts, TOKENIZERS)
    stored = encode_texts(texts, TOKENIZERS, memo=Memo(tmp_path))
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 2  # the paragraphs' ids, one entry per tokenizer
    _NoSplitting(monkeypatch)
    read = encode_texts(texts, TOKENIZERS, memo=Memo(tmp_path))
    for reference, first, again in zip(plain, stored, read):
        assert _tokens(reference) == _tokens(first) == _tokens(again)
        assert np.array_equal(reference.offsets, again.offsets)
    assert any("检察院" in tokens for tokens in _tokens(read[0]))  # Chinese segmented, as the tokenizer does
    assert read[0].vocabulary is read[1].vocabulary  # one vocabulary, as when computed together


def test_each_tokenizer_setting_and_each_text_has_its_own_entry(documents, tmp_path):
    memo = Memo(tmp_path)
    texts = documents["body"].tolist()
    encode_texts(texts, TOKENIZERS[:1], memo=memo)
    encode_texts(texts, [Tokenizer.from_parameters(extra_stop_words=["procuratorate"])], memo=memo)
    encode_texts(texts[:-1], TOKENIZERS[:1], memo=memo)  # part of the first entry: taken from it, not stored again
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 2
    narrower = encode_texts(texts, [Tokenizer.from_parameters(extra_stop_words=["procuratorate"])], memo=memo)[0]
    assert all("procuratorate" not in tokens for tokens in _tokens(narrower))


def test_a_taken_subset_equals_tokenising_the_subset(documents):
    rows = np.array([5, 0, 3, len(documents) - 1])
    whole = encode_texts(documents["body"].tolist(), TOKENIZERS[:1])[0]
    part = encode_texts(documents["body"].iloc[rows].tolist(), TOKENIZERS[:1])[0]
    assert _tokens(whole.take(rows)) == _tokens(part)
    stream = token_streams(documents, TOKENIZERS[:1])[0]
    taken = stream.take(rows)
    assert taken.doc_ids.tolist() == documents["doc_id"].iloc[rows].astype(str).tolist()
    pd.testing.assert_frame_equal(ngram_frequency_table(taken, 2), ngram_frequency_table(token_streams(documents.iloc[rows], TOKENIZERS[:1])[0], 2))


@pytest.mark.parametrize("block", [1, 2, 3, 10_000])
def test_a_take_in_blocks_of_texts_equals_each_text_taken_alone(documents, monkeypatch, block):
    from corpus_utils.text import encoded as module

    monkeypatch.setattr(module, "TAKE_BLOCK_ROWS", block)
    whole = encode_texts([*documents["body"].tolist(), ""], TOKENIZERS[:1])[0]  # an empty text among them
    n = len(whole.offsets) - 1
    rows = np.random.default_rng(7).integers(0, n, 3 * n)  # any order, repeats
    taken = whole.take(rows)
    expected = [whole.ids[whole.offsets[row] : whole.offsets[row + 1]] for row in rows]
    assert np.array_equal(taken.offsets, np.cumsum([0, *map(len, expected)]))
    assert np.array_equal(taken.ids, np.concatenate(expected)) and taken.ids.dtype == whole.ids.dtype
    assert len(whole.take(np.zeros(0, dtype=np.int64)).ids) == 0


@pytest.mark.parametrize("n_tokenizers", [1, 2])
def test_texts_an_earlier_entry_holds_are_taken_from_it_not_tokenised(documents, tmp_path, monkeypatch, n_tokenizers):
    texts, tokenizers = documents["body"].tolist(), TOKENIZERS[:n_tokenizers]
    rows = [7, 0, 3, 3, len(texts) - 1]  # reordered, with a repeat
    subset = [texts[row] for row in rows]
    expected = encode_texts(subset, tokenizers)
    memo = Memo(tmp_path)
    encode_texts(texts, tokenizers, memo=memo)
    with monkeypatch.context() as patched:
        _NoSplitting(patched)
        taken = encode_texts(subset, tokenizers, memo=memo)
        again = encode_texts(subset, tokenizers, memo=memo)  # now its own entry, read back
    for reference, one, read in zip(expected, taken, again):
        assert _tokens(one) == _tokens(reference) == _tokens(read)
    if n_tokenizers == 1:  # single words numbered as when computed: the same counts, column for column
        (want_vocabulary, want), (got_vocabulary, got) = expected[0].counts(), taken[0].counts()
        assert got_vocabulary == want_vocabulary and abs(got - want).max() == 0
    calls, encode_all = [], encoded_module._encode_all
    monkeypatch.setattr(encoded_module, "_encode_all", lambda texts, tokenizers: calls.append(len(texts)) or encode_all(texts, tokenizers))
    encode_texts(subset + ["a text no entry holds"], tokenizers, memo=memo)
    n_paragraphs = sum(text.count("\n\n") + 1 for text in subset) + 1
    assert calls == [n_paragraphs]  # one new text: all its list's paragraphs tokenised, as no entry holds them all
    monkeypatch.setattr(memo_module, "code_version", lambda: "another version of the code")
    encode_texts(subset[::-1], tokenizers, memo=memo)
    assert calls == [n_paragraphs, n_paragraphs - 1]  # entries of other code are not taken from: tokenised again


def _same_arrays(got, expected) -> None:
    for one, reference in zip(got, expected, strict=True):
        assert np.array_equal(one.ids, reference.ids) and np.array_equal(one.offsets, reference.offsets)
        assert one.vocabulary.tolist() == reference.vocabulary.tolist()


@pytest.mark.parametrize("rows", [None, [7, 0, 3, 3, -1]])
def test_texts_seen_before_are_read_through_their_index_without_hashing_each_one(documents, tmp_path, monkeypatch, rows):
    texts = documents["body"].tolist()
    wanted = texts if rows is None else [texts[row] for row in rows]  # all of an entry, or part of it (taken)
    memo = Memo(tmp_path)
    encode_texts(texts, TOKENIZERS, memo=memo)
    first = encode_texts(wanted, TOKENIZERS, memo=memo)
    assert len(list(tmp_path.glob("tokenindex-*.npz"))) == (1 if rows is None else 2)
    with monkeypatch.context() as patched:
        _NoSplitting(patched)
        patched.setattr(encoded_module, "text_hashes", lambda texts: pytest.fail("each text was hashed again"))
        _same_arrays(encode_texts(wanted, TOKENIZERS, memo=memo), first)
        arrow = pd.Series(wanted, dtype="string[pyarrow]")  # the same texts as an Arrow column: the same index
        _same_arrays(encode_texts(arrow, TOKENIZERS, memo=memo), first)
    assert [_tokens(one) for one in first] == [_tokens(one) for one in encode_texts(wanted, TOKENIZERS)]  # as tokenised
    for entry in tmp_path.glob("tokens-*.npz"):  # the entries the index names are gone: tokenised again
        entry.unlink()
    assert [_tokens(one) for one in encode_texts(wanted, TOKENIZERS, memo=memo)] == [_tokens(one) for one in first]


@pytest.mark.parametrize("kind", ["count", "tfidf"])
@pytest.mark.parametrize("limits", [dict(min_df=1, max_df=1.0), dict(min_df=2, max_df=0.8, sublinear_tf=True, dtype="float32"),
                                    dict(min_df=1, max_df=1.0, max_features=50)])
def test_a_vectoriser_fitted_from_stored_ids_equals_scikit_learn(documents, tmp_path, monkeypatch, kind, limits):
    if kind == "count":
        limits = {key: value for key, value in limits.items() if key != "sublinear_tf"}
    texts = documents["body"]
    reference = make_vectorizer(kind, **limits)
    expected = reference.fit_transform(texts)
    encode_texts(texts.tolist(), [Tokenizer()], memo=Memo(tmp_path))
    _NoSplitting(monkeypatch)
    from_memo = make_vectorizer(kind, memo=Memo(tmp_path), **limits)
    got = from_memo.fit_transform(texts)
    assert from_memo.get_feature_names_out().tolist() == reference.get_feature_names_out().tolist()
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr) and np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)  # bit for bit: the same counts go through the same scikit-learn code


def test_transform_still_tokenises_new_texts(documents, tmp_path):
    vectorizer = make_vectorizer("tfidf", memo=Memo(tmp_path))
    vectorizer.fit(documents["body"])
    reference = make_vectorizer("tfidf").fit(documents["body"])
    new = ["The procuratorate achieved the two safeguards.", "两个维护"]
    assert abs(vectorizer.transform(new) - reference.transform(new)).max() == 0


def test_keyness_and_term_trends_from_stored_ids_equal_the_tokenising_path(documents, tmp_path, monkeypatch):
    english = documents[documents["language"] == "en"]
    expected_keys = keyness(english, "source", english["source"].iloc[0], min_df=1)
    expected_trends = term_trends(documents, ["clean government", "两个维护"], top_n=3)
    memo = Memo(tmp_path)
    token_streams(documents, [Tokenizer()], memo=memo)
    token_streams(english, [Tokenizer()], memo=memo)
    _NoSplitting(monkeypatch)
    pd.testing.assert_frame_equal(keyness(english, "source", english["source"].iloc[0], min_df=1, memo=memo), expected_keys)
    monkeypatch.undo()  # term_trends tokenises the requested terms themselves
    got_trends = term_trends(documents, ["clean government", "两个维护"], top_n=3, memo=memo)
    pd.testing.assert_frame_equal(got_trends, expected_trends)


#: Pieces that decide word boundaries: hyphens alone, doubled and at the ends, underscores, digits, apostrophes and
#: possessives, quotes, registered renderings, accented and Chinese text (the slow path) and stop words.
PIECES = ["a", "Z", "9", "_", "-", "--", " ", "\n\n", "'s", "’", "“", "”", "\"", ".", ",", "grass-roots", "two safeguards",
          "Two Safeguards", "the", "of", "é", "İ", "两个维护", "检察院", "²", "-x-", "co--op", "e-mail-"]



@pytest.mark.parametrize(("method", "most"), [("fork", 50_000), ("forkserver", 50_000), ("fork", 4)])
def test_texts_tokenised_by_a_process_per_core_give_the_ids_of_one_pass(documents, monkeypatch, method, most):
    """Two processes, one part each, or (parts capped at PARTITION_TEXTS texts) more parts than processes."""
    import corpus_utils.core.workers as workers_module

    texts = documents["body"].tolist() * 3
    monkeypatch.setattr(encoded_module, "_CHUNK_TEXTS", 2)  # chunks of one pass in this process, as in the pool
    whole = encode_texts(texts, TOKENIZERS)
    monkeypatch.setattr(workers_module, "start_method", lambda: method)
    monkeypatch.setattr(encoded_module, "POOL_MIN_TEXTS", 1)
    monkeypatch.setattr(encoded_module, "PARTITION_TEXTS", most)
    monkeypatch.setattr(encoded_module, "available_cores", lambda: 2)
    calls = []
    monkeypatch.setattr(encoded_module, "_joined", lambda parts: calls.append(len(parts)) or _joined(parts))
    pooled = encode_texts(texts, TOKENIZERS)
    assert calls == ([2] if most > len(texts) else [-(-len(texts) // most)]) and calls[0] >= 2
    for one, other in zip(whole, pooled):
        assert np.array_equal(one.ids, other.ids) and np.array_equal(one.offsets, other.offsets)
        assert one.vocabulary.tolist() == other.vocabulary.tolist()

def test_a_pool_is_given_its_parts_as_it_asks_for_them(documents, monkeypatch):
    """The parts of an Arrow text column are cut as the pool's processes ask for them, not all before the first is
    sent (they are Python strings: all of them at once would be the corpus a second time)."""
    from corpus_utils.core import columns as columns_module

    texts = pd.Series(documents["body"].tolist() * 3, dtype="string[pyarrow]")
    monkeypatch.setattr(encoded_module, "POOL_MIN_TEXTS", 1)
    monkeypatch.setattr(encoded_module, "_CHUNK_TEXTS", 2)
    monkeypatch.setattr(encoded_module, "PARTITION_TEXTS", 2)
    monkeypatch.setattr(encoded_module, "available_cores", lambda: 2)
    cut, cut_when_back = [], []
    getitem, ordered_map = columns_module.TextSequence.__getitem__, encoded_module.ordered_map
    monkeypatch.setattr(columns_module.TextSequence, "__getitem__",
                        lambda self, item: cut.append(item) or getitem(self, item))

    def recording(*args, **kwargs):
        for result in ordered_map(*args, **kwargs):
            cut_when_back.append(len(cut))
            yield result

    monkeypatch.setattr(encoded_module, "ordered_map", recording)
    pooled = encode_texts(texts, TOKENIZERS)
    n_parts = -(-len(texts) // 2)
    assert len(cut_when_back) == n_parts and cut_when_back[0] <= 2 * 2 + 1 < n_parts  # two ahead per process
    for one, other in zip(encode_texts(texts.tolist(), TOKENIZERS), pooled):
        assert np.array_equal(one.ids, other.ids) and np.array_equal(one.offsets, other.offsets)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES) | st.text(max_size=2), max_size=25).map("".join), max_size=12))
def test_compiled_splitting_gives_the_reference_tokenizer_tokens(texts):
    tokenizer = Tokenizer()
    expected = [[word for word in tokenizer.split(tokenizer.preprocess(text)) if word not in tokenizer.stop_words] for text in texts]
    assert _tokens(encode_texts(texts, [tokenizer])[0]) == expected


def test_texts_are_tokenised_in_chunks_with_one_vocabulary(documents, monkeypatch):
    texts = documents["body"].tolist()
    whole = encode_texts(texts, TOKENIZERS)
    monkeypatch.setattr(encoded_module, "_CHUNK_TEXTS", 2)
    chunked = encode_texts(texts, TOKENIZERS)
    for one, other in zip(whole, chunked):
        assert _tokens(one) == _tokens(other) and np.array_equal(one.offsets, other.offsets)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES) | st.text(max_size=2), max_size=12).map("".join), min_size=1, max_size=5),
       st.sampled_from(TOKENIZERS))
def test_a_documents_tokens_are_its_paragraphs_tokens(paragraphs, tokenizer):
    body = "\n\n".join(paragraphs)
    expected = [token for paragraph in body.split("\n\n") for token in tokenizer.tokens(paragraph)]
    assert tokenizer.tokens(body) == expected


def test_no_phrase_spans_a_paragraph_break(tmp_path):
    tokenizer = Tokenizer()
    assert "two_safeguards" in tokenizer.tokens("the two safeguards")
    assert "two_safeguards" not in tokenizer.tokens("we achieved two\n\nsafeguards of the party")
    assert "two_safeguards" in tokenizer.tokens("two\nsafeguards")  # a line break inside a paragraph is a space
    documents = ["first paragraph on the two safeguards\n\nsecond one on clean government", "two\n\nsafeguards"]
    via_paragraphs = encode_texts(documents, [tokenizer], memo=Memo(tmp_path))[0]
    assert _tokens(via_paragraphs) == [tokenizer.tokens(text) for text in documents]
    variants = load_variant_table()
    counted = count_variants(pd.DataFrame({"body": ["the whole\n\nhospital", "the whole hospital"]}), variants)
    whole = counted.set_index("variant").loc["whole hospital", "occurrences"]
    assert whole == 1


def test_paragraphs_are_cut_out_a_slice_at_a_time_as_a_list_would_give_them():
    texts = ["a\n\nb\n\n\nc", "", "one paragraph", "x\n\n\n\ny", "\n\n"]
    paragraphs = encoded_module._Paragraphs(texts)
    expected = [piece for text in texts for piece in text.split("\n\n")]
    assert len(paragraphs) == len(expected) and list(paragraphs) == expected
    for start in range(len(expected) + 1):
        for stop in range(start, len(expected) + 2):
            assert paragraphs[start:stop] == expected[start:stop]
    assert paragraphs[3] == expected[3] and paragraphs[-1] == expected[-1]


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.lists(st.integers(0, 7), max_size=12), max_size=8), dtype=st.sampled_from([np.int64, np.float32]))
def test_counts_are_each_texts_token_counts_in_canonical_csr(texts, dtype):
    vocabulary = np.array([f"w{number}" for number in range(8)], dtype=object)
    encoded = encoded_module.EncodedTexts(ids=np.array([i for text in texts for i in text], dtype=np.int32),
                                          offsets=np.cumsum([0] + [len(text) for text in texts]).astype(np.int64),
                                          vocabulary=vocabulary)
    columns, matrix = encoded.counts(dtype=dtype)
    used = sorted({i for text in texts for i in text})
    assert columns == {f"w{i}": column for column, i in enumerate(used)}  # the used ids, in id order
    assert matrix.shape == (len(texts), len(columns)) and matrix.dtype == dtype
    assert matrix.has_canonical_format and matrix.has_sorted_indices
    for row, text in enumerate(texts):
        got = {word: matrix[row, column] for word, column in columns.items() if matrix[row, column]}
        assert got == {f"w{i}": text.count(i) for i in set(text)}
