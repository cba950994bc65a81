"""The project's vectorisers count exactly as scikit-learn's, only faster; the token pattern is unchanged in effect."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from corpus_utils import read_corpus
from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.text.phrasescan import PhraseCounter, compile_phrases
from corpus_utils.text.phrases import literal_phrase_pattern
from corpus_utils.text.tokenizer import TOKEN_PATTERN, Tokenizer
from corpus_utils.text.variants import count_variants, load_variant_table
from corpus_utils.text.vectorizers import CorpusCountVectorizer, make_vectorizer

#: The textbook form of the token pattern, with explicit word boundaries.
BOUNDED_PATTERN = r"(?u)\b\w+(?:-\w+)*\b"


@pytest.fixture(scope="module")
def seed_bodies() -> list[str]:
    return read_corpus(PROJECT_ROOT / "seeds").documents["body"].astype(str).tolist()


def _reference(kind: str, **options):
    """scikit-learn's own vectoriser with the project's preprocessor, stop list and the bounded token pattern."""
    tokenizer = options.pop("tokenizer", None) or Tokenizer()
    settings = dict(
        preprocessor=tokenizer.preprocessor,
        token_pattern=BOUNDED_PATTERN,
        stop_words=sorted(tokenizer.stop_words),
        dtype=np.float64,  # make_vectorizer's default
        **options,
    )
    return TfidfVectorizer(**settings) if kind == "tfidf" else CountVectorizer(**settings)


def _assert_same_fit(ours, reference, texts, other_texts) -> None:
    mine, theirs = ours.fit_transform(texts), reference.fit_transform(texts)
    assert ours.vocabulary_ == reference.vocabulary_
    assert type(mine) is type(theirs) and mine.dtype == theirs.dtype
    assert (mine != theirs).nnz == 0
    assert (ours.transform(other_texts) != reference.transform(other_texts)).nnz == 0


@pytest.mark.parametrize(
    "kind, options",
    [
        ("tfidf", {"tokenizer": Tokenizer(), "sublinear_tf": True}),
        ("tfidf", {"tokenizer": Tokenizer.from_parameters(mt_normalisation=True), "min_df": 2, "max_df": 0.9}),
        ("count", {"tokenizer": Tokenizer.from_parameters(merge_formulations=False)}),
        ("count", {"ngram_range": (1, 3)}),
        ("count", {"ngram_range": (2, 2), "max_features": 50}),
    ],
)
def test_project_vectorisers_equal_scikit_learn_on_the_seeds(seed_bodies, kind, options):
    ours = make_vectorizer(kind, **options)
    reference = _reference(kind, **options)
    paragraphs = [part for body in seed_bodies for part in body.split("\n\n")]
    _assert_same_fit(ours, reference, seed_bodies, paragraphs)


WORDS = st.sampled_from(["the", "Two", "safeguards", "two-safeguards", "hospital", "of", "a", "xi's", "é", "ß", "1", "--", "_x"])
TEXTS = st.lists(st.lists(WORDS, max_size=30).map(" ".join), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(texts=TEXTS, ngram_max=st.integers(1, 3))
def test_counting_equals_scikit_learn_on_any_text(texts, ngram_max):
    reference = _reference("count", ngram_range=(1, ngram_max), tokenizer=Tokenizer.from_parameters())
    ours = make_vectorizer("count", ngram_range=(1, ngram_max), tokenizer=Tokenizer.from_parameters())
    try:
        expected = reference.fit_transform(texts)
    except ValueError as error:  # only stop words: both refuse alike
        with pytest.raises(ValueError, match="empty vocabulary"):
            ours.fit_transform(texts)
        assert "empty vocabulary" in str(error)
        return
    assert (ours.fit_transform(texts) != expected).nnz == 0
    assert ours.vocabulary_ == reference.vocabulary_


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab_-1 é\u0301.'\n")), max_size=40))
def test_token_pattern_finds_the_same_tokens_as_its_bounded_form(text):
    assert re.findall(TOKEN_PATTERN, text) == re.findall(BOUNDED_PATTERN, text)


def test_missing_text_is_refused_as_scikit_learn_does():
    with pytest.raises(ValueError, match="np.nan is an invalid document"):
        CorpusCountVectorizer().fit_transform(["a text", np.nan])


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "string[python]", object])
def test_a_text_column_is_fitted_as_its_texts_with_missing_ones_empty(seed_bodies, tmp_path, dtype):
    from corpus_utils.core.memo import Memo

    column = pd.Series([*seed_bodies, None, seed_bodies[0]], dtype=dtype)
    texts = [*seed_bodies, "", seed_bodies[0]]
    for memo in (None, Memo(tmp_path / str(dtype))):  # read from stored token ids, or counted here
        from_column = make_vectorizer("tfidf", tokenizer=Tokenizer(), sublinear_tf=True, memo=memo)
        from_list = make_vectorizer("tfidf", tokenizer=Tokenizer(), sublinear_tf=True)
        mine, expected = from_column.fit_transform(column), from_list.fit_transform(texts)
        assert from_column.vocabulary_ == from_list.vocabulary_
        assert mine.shape == expected.shape and abs(mine - expected).max() < 1e-12


def _count_each_separately(texts, patterns):
    regexes = [compile_phrases([("p", pattern)]) for pattern in patterns]
    return [[sum(1 for _ in regex.finditer(text)) for regex in regexes] for text in texts]


VARIANT_WORDS = st.sampled_from(["whole", "hospital", "Hospital's", "the", "institute", "two", "micro", "and", "one",
                                 "end", "ends", "-", ",", "İ", "x", "hospital-", "grass-roots", "courts"])


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.lists(VARIANT_WORDS, max_size=25).map(" ".join), min_size=1, max_size=5))
def test_phrase_counter_counts_each_pattern_as_its_own_finditer(texts):
    table = load_variant_table()
    patterns = [literal_phrase_pattern(variant) for variant in table["variant"]] + [r"hospital(?:'s)?\s+hospital"]
    counter = PhraseCounter(patterns)
    assert [counter.count(text) for text in texts] == _count_each_separately(texts, patterns)


def test_count_variants_on_the_seeds_equals_separate_scans(seed_bodies):
    table = load_variant_table()
    counted = count_variants(pd.DataFrame({"body": seed_bodies + [None]}), table)
    expected = np.array(_count_each_separately(seed_bodies, [literal_phrase_pattern(v) for v in table["variant"]]))
    assert counted["occurrences"].tolist() == expected.sum(axis=0).tolist()
    assert counted["documents"].tolist() == (expected > 0).sum(axis=0).tolist()
    assert counted.loc[counted["variant"] == "hospital", "occurrences"].item() > 0


def test_variant_counts_are_kept_in_the_memo_and_a_changed_body_counts_afresh(seed_bodies, tmp_path, monkeypatch):
    import corpus_utils.text.variants as variants_module
    from corpus_utils.core.memo import Memo

    table, memo = load_variant_table(), Memo(tmp_path)
    documents = pd.DataFrame({"body": seed_bodies})
    expected = count_variants(documents, table)
    scans = []
    original = variants_module._variant_counts
    monkeypatch.setattr(variants_module, "_variant_counts", lambda bodies, **options: scans.append(len(bodies)) or original(bodies, **options))
    assert count_variants(documents, table, memo=memo).equals(expected) and scans
    scans.clear()
    assert count_variants(documents, table, memo=memo).equals(expected) and not scans  # read back
    edited = documents.assign(body=documents["body"].str.replace("hospital", "procuratorate", regex=False))
    assert count_variants(edited, table, memo=memo).equals(count_variants(edited, table)) and scans


@pytest.mark.parametrize(("method", "max_shard"), [("fork", 10**6), ("forkserver", 10**6), ("forkserver", 7)])
@pytest.mark.parametrize(("kind", "options"), [("tfidf", {"min_df": 2, "max_df": 0.9, "sublinear_tf": True}),
                                               ("count", {"ngram_range": (1, 2), "max_features": 300})])
def test_counting_in_worker_processes_equals_one_process(seed_bodies, monkeypatch, method, max_shard, kind, options):
    """Three processes, each counting one shard or (``max_shard`` 7) many shards of seven texts, two at a time."""
    import corpus_utils.core.workers as workers_module
    import corpus_utils.text.vectorizers as text_module

    monkeypatch.setattr(workers_module, "start_method", lambda: method)
    monkeypatch.setattr(text_module, "MAX_PART_ITEMS", max_shard)
    paragraphs = [part for body in seed_bodies for part in body.split("\n\n")]
    texts = paragraphs + ["the of and"] * 3  # a last shard of stop words only still merges
    one = make_vectorizer(kind, tokenizer=Tokenizer.from_parameters(), n_jobs=1, **options)
    three = make_vectorizer(kind, tokenizer=Tokenizer.from_parameters(), n_jobs=3, **options)
    expected, got = one.fit_transform(texts), three.fit_transform(texts)
    assert three.vocabulary_ == one.vocabulary_
    assert type(got) is type(expected) and got.dtype == expected.dtype
    for part in ("indptr", "indices", "data"):  # the same storage, not only the same values
        assert getattr(got, part).dtype == getattr(expected, part).dtype
        np.testing.assert_array_equal(getattr(got, part), getattr(expected, part))
    assert (three.transform(seed_bodies) != one.transform(seed_bodies)).nnz == 0
    reference = _reference(kind, tokenizer=Tokenizer.from_parameters(), **options)
    assert (reference.fit_transform(texts) != got).nnz == 0 and reference.vocabulary_ == three.vocabulary_


def test_automatic_mode_counts_in_processes_only_for_many_texts(seed_bodies, monkeypatch):
    import corpus_utils.text.vectorizers as text_module

    pools = []
    real_pool = text_module._CountingMixin._count_in_pool
    monkeypatch.setattr(text_module._CountingMixin, "_count_in_pool",
                        lambda self, texts, fixed, jobs: pools.append(jobs) or real_pool(self, texts, fixed, jobs))
    monkeypatch.setattr(text_module, "available_cores", lambda: 2)
    monkeypatch.setattr(text_module, "PARALLEL_MIN_TEXTS", 6)
    make_vectorizer().fit_transform(seed_bodies)
    assert pools == []
    make_vectorizer().fit_transform(seed_bodies * 2)
    assert pools == [2]
    with pytest.raises(ValueError, match="n_jobs"):
        make_vectorizer(n_jobs=0)


PHRASE_WORDS = st.sampled_from(["the", "The", "there", "institute", "police", "policemen", "officers", "people's", "people",
                                "court", "courts", "grass-roots", "seven", "one", "two", "micro", "ends", "İ", "é", "x"])
GAPS = st.sampled_from([" ", "  ", "-", " - ", "\t", "\n", "\u00a0", "\u3000", "_", "'", ".", ""])


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.tuples(PHRASE_WORDS, GAPS), max_size=20))
def test_phrase_counter_with_first_words_held_to_their_phrase_counts_as_finditer(pieces):
    """A first word that only begins longer literal phrases ("the" of "the institute") stops the byte scan only
    where the rest of one follows; any gap a phrase may or may not span (spaces of every kind, hyphens, an
    underscore, an apostrophe, none) gives the counts of each pattern's own ``finditer``."""
    text = "".join(word + gap for word, gap in pieces)
    patterns = [literal_phrase_pattern(phrase) for phrase in
                ("the institute", "police officers", "policemen", "people's court", "grass-roots courts", "seven one",
                 "two micro ends", "two micro and one end", "police")]
    assert PhraseCounter(patterns).count(text) == _count_each_separately([text], patterns)[0]
    assert PhraseCounter(patterns[:-1]).count(text) == _count_each_separately([text], patterns[:-1])[0]
