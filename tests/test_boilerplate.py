"""Tests for corpus_utils.analysis.boilerplate: near-duplicate paragraphs, template families, removal."""

from __future__ import annotations

import itertools
import random
import re

import numpy as np
import pandas as pd
import pytest

from corpus_utils.analysis import boilerplate as boilerplate_module
from corpus_utils.analysis.boilerplate import (
    near_duplicate_paragraphs,
    remove_boilerplate,
    template_families,
)
from corpus_utils.core.memo import Memo
from corpus_utils.input.load import load_paragraphs, read_corpus
from reference import shingle_matrix

FOOTER = (
    "This article is reprinted from the {city} Municipal People's Procuratorate news office. The copyright belongs "
    "to the original author and the original publisher. If there is any infringement please contact us by telephone "
    "or by email and we will delete it as soon as possible after verification. Reprints must indicate the source "
    "and keep the full text of this notice unchanged in every case."
)
BODIES = {
    "a": "The party branch held a study session on discipline rules for every member of the procuratorate staff.",
    "b": "Prosecutors visited a village school to explain the law to pupils and teachers in the spring term.",
    "c": "The discipline inspection team reviewed case files and reported three problems to the leading group.",
}


def _documents(footer_cities: dict[str, str | None]) -> pd.DataFrame:
    rows = []
    for doc_id, city in footer_cities.items():
        paragraphs = [BODIES[doc_id], f"Second paragraph of document {doc_id} with its own words {doc_id * 3}."]
        if city is not None:
            paragraphs.append(FOOTER.format(city=city))
        rows.append({"doc_id": doc_id, "title": doc_id.upper(), "body": "\n\n".join(paragraphs)})
    return pd.DataFrame(rows)


def _jaccard(first: str, second: str, size: int) -> float:
    def shingles(text: str) -> set:
        words = re.findall(r"\w+", text.lower())
        return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}

    a, b = shingles(first), shingles(second)
    return len(a & b) / len(a | b)


def test_footer_with_small_edits_is_found_across_three_documents():
    documents = _documents({"a": "Suzhou", "b": "Hefei", "c": "Suzhou"})
    pairs = near_duplicate_paragraphs(load_paragraphs(documents))
    assert pairs[["doc_id_a", "doc_id_b"]].values.tolist() == [["a", "c"], ["a", "b"], ["b", "c"]]
    assert pairs["paragraph_a"].tolist() == [3, 3, 3] and pairs["paragraph_b"].tolist() == [3, 3, 3]
    assert pairs["similarity"].iloc[0] == 1.0
    expected = _jaccard(FOOTER.format(city="Suzhou"), FOOTER.format(city="Hefei"), 5)
    assert 0.8 <= expected < 1
    assert pairs["similarity"].iloc[1] == pytest.approx(expected)
    assert list(pairs.columns) == ["doc_id_a", "paragraph_a", "doc_id_b", "paragraph_b", "similarity", "text_a", "text_b"]
    assert pairs["text_a"].str.contains("reprinted").all()


def test_different_paragraphs_are_not_paired():
    documents = _documents({"a": None, "b": None, "c": None})
    assert near_duplicate_paragraphs(load_paragraphs(documents), threshold=0.3).empty
    assert template_families(load_paragraphs(documents)).empty


def test_repeats_inside_one_document_are_not_pairs():
    body = "\n\n".join([FOOTER.format(city="Suzhou")] * 2)
    documents = pd.DataFrame({"doc_id": ["x", "y"], "body": [body, BODIES["a"]]})
    assert near_duplicate_paragraphs(load_paragraphs(documents)).empty
    assert template_families(load_paragraphs(documents)).empty


@pytest.mark.parametrize(
    ("threshold", "expected_pairs"),
    [(1.0, 1), (0.8, 3), (0.99, 1)],
)
def test_threshold_decides_which_edits_count(threshold, expected_pairs):
    documents = _documents({"a": "Suzhou", "b": "Hefei", "c": "Suzhou"})
    assert len(near_duplicate_paragraphs(load_paragraphs(documents), threshold=threshold)) == expected_pairs


def test_template_family_spans_documents_and_is_numbered_by_size():
    documents = _documents({"a": "Suzhou", "b": "Hefei", "c": None})
    extra = pd.DataFrame(
        {"doc_id": ["d", "e", "f"], "body": [FOOTER.format(city="Bozhou"), FOOTER.format(city="Tongling"), "Short."]}
    )
    families = template_families(load_paragraphs(pd.concat([documents, extra], ignore_index=True)))
    assert families["family"].unique().tolist() == [1]
    assert families["doc_id"].tolist() == ["a", "b", "d", "e"]
    assert families["n_documents"].unique().tolist() == [4]
    assert list(families.columns) == ["family", "doc_id", "paragraph", "text", "n_documents"]
    assert template_families(load_paragraphs(documents), min_documents=3).empty


def test_remove_boilerplate_strips_family_paragraphs_and_recounts():
    documents = _documents({"a": "Suzhou", "b": "Hefei", "c": None})
    cleaned = remove_boilerplate(documents)
    assert cleaned["n_boilerplate_paragraphs"].tolist() == [1, 1, 0]
    assert cleaned["n_paragraphs"].tolist() == [2, 2, 2]
    assert not cleaned["body"].str.contains("reprinted").any()
    assert cleaned.loc[2, "body"] == documents.loc[2, "body"]
    assert cleaned["n_words"].tolist() == [len(re.findall(r"\w+", body)) for body in cleaned["body"]]
    assert cleaned["title"].tolist() == ["A", "B", "C"]


def test_exact_copy_documents_keep_their_text():
    documents = _documents({"a": None, "b": None, "c": None})
    copy = documents.iloc[[0]].assign(doc_id="a_copy", duplicate_of="a")
    corpus = pd.concat([documents.assign(duplicate_of=pd.NA), copy], ignore_index=True)
    cleaned = remove_boilerplate(corpus)
    assert cleaned["n_boilerplate_paragraphs"].sum() == 0
    assert cleaned["body"].tolist() == corpus["body"].tolist()


def test_whole_body_boilerplate_leaves_an_empty_body_not_a_dropped_row():
    documents = pd.DataFrame({"doc_id": ["x", "y"], "body": [FOOTER.format(city="A"), FOOTER.format(city="A")]})
    cleaned = remove_boilerplate(documents)
    assert cleaned["body"].tolist() == ["", ""]
    assert cleaned["n_words"].tolist() == [0, 0] and cleaned["n_paragraphs"].tolist() == [0, 0]


@pytest.mark.parametrize("threshold", [0.6, 0.8, 0.9])
def test_matches_brute_force_on_random_mutations(threshold):
    paragraphs = _mutated_paragraphs(42)
    texts = paragraphs["text"].tolist()
    found = near_duplicate_paragraphs(paragraphs, threshold=threshold)
    expected = {
        (f"d{i:03d}", f"d{j:03d}")
        for i, j in itertools.combinations(range(150), 2)
        if _jaccard(texts[i], texts[j], 5) >= threshold
    }
    assert len(expected) > 25
    assert set(zip(found["doc_id_a"], found["doc_id_b"])) == expected
    for row in found.head(30).itertuples():
        assert row.similarity == pytest.approx(_jaccard(row.text_a, row.text_b, 5))


def test_output_does_not_depend_on_row_order():
    documents = _documents({"a": "Suzhou", "b": "Hefei", "c": "Suzhou"})
    paragraphs = load_paragraphs(documents)
    shuffled = paragraphs.sample(frac=1, random_state=42)
    pd.testing.assert_frame_equal(near_duplicate_paragraphs(paragraphs), near_duplicate_paragraphs(shuffled))
    pd.testing.assert_frame_equal(template_families(paragraphs), template_families(shuffled))


def test_min_words_skips_short_paragraphs_and_short_texts_are_one_shingle():
    paragraphs = pd.DataFrame(
        {"doc_id": ["a", "b"], "paragraph": [1, 1], "text": ["Editor: Zhao Yuhong", "Editor: Zhao Yuhong"], "n_words": [3, 3]}
    )
    assert near_duplicate_paragraphs(paragraphs).empty
    assert len(near_duplicate_paragraphs(paragraphs, min_words=3)) == 1
    matrix, columns = shingle_matrix(["Editor: Zhao Yuhong", "one two three four five six"], shingle_size=5)
    assert matrix.getnnz(axis=1).tolist() == [1, 2] and len(columns) == 3


def test_max_pairs_guards_against_quadratic_output():
    paragraphs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(30)], "paragraph": 1, "text": FOOTER.format(city="A")})
    with pytest.raises(ValueError, match="template_families"):
        near_duplicate_paragraphs(paragraphs, max_pairs=100)
    families = template_families(paragraphs)
    assert len(families) == 30 and families["n_documents"].iloc[0] == 30


def test_too_many_pairs_says_how_many_identical_paragraphs_lie_in_different_documents(monkeypatch):
    import corpus_utils.analysis.boilerplate as bp

    # 30 documents with the footer once, d0 with it twice more: 31·32/2 = 496 pairs, 3 of them inside d0
    doc_ids = [f"d{i}" for i in range(30)] + ["d0", "d0"]
    paragraphs = pd.DataFrame({"doc_id": doc_ids, "paragraph": [1] * 30 + [2, 3], "text": FOOTER.format(city="A")})
    monkeypatch.setattr(bp, "_stored_similar_pairs", lambda *args: pytest.fail("no join when identical texts alone pass max_pairs"))
    with pytest.raises(bp.TooManyPairsError) as raised:
        near_duplicate_paragraphs(paragraphs, max_pairs=100)
    assert (raised.value.at_least, raised.value.identical_across, raised.value.max_pairs) == (496, 493, 100)
    assert "493 pairs of identical paragraphs in different documents" in str(raised.value)
    monkeypatch.undo()
    listed = near_duplicate_paragraphs(paragraphs, max_pairs=1000)
    assert len(listed) == 493 and (listed["doc_id_a"] != listed["doc_id_b"]).all()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": 0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"shingle_size": 0}, "shingle_size"),
        ({"min_words": 0}, "min_words"),
    ],
)
def test_bad_options_are_named(options, message):
    paragraphs = pd.DataFrame({"doc_id": ["a"], "paragraph": [1], "text": ["x"]})
    with pytest.raises(ValueError, match=message):
        near_duplicate_paragraphs(paragraphs, **options)


def test_missing_columns_and_bad_min_documents_are_named():
    with pytest.raises(ValueError, match="load_paragraphs"):
        near_duplicate_paragraphs(pd.DataFrame({"doc_id": ["a"], "text": ["x"]}))
    with pytest.raises(ValueError, match="min_documents"):
        template_families(pd.DataFrame({"doc_id": ["a"], "paragraph": [1], "text": ["x"]}), min_documents=1)
    with pytest.raises(ValueError, match="unique doc_id"):
        remove_boilerplate(pd.DataFrame({"doc_id": ["a", "a"], "body": ["x", "y"]}))


def test_seeds_have_no_cross_document_boilerplate():
    documents = read_corpus("seeds").documents
    paragraphs = load_paragraphs(documents)
    assert template_families(paragraphs).empty
    cleaned = remove_boilerplate(documents)
    assert cleaned["n_boilerplate_paragraphs"].sum() == 0
    assert (cleaned["n_words"] == documents["n_words"]).all()
    assert np.array_equal(cleaned["n_paragraphs"].to_numpy(), documents["n_paragraphs"].to_numpy())


def _mutated_paragraphs(seed: int = 7) -> pd.DataFrame:
    """150 paragraphs: 12 bases, each copied with up to three words changed (families and pairs of every size)."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(60)]
    bases = [[rng.choice(vocabulary) for _ in range(60)] for _ in range(12)]
    texts = []
    for index in range(150):
        words = list(bases[index % 12])
        for _ in range(rng.randrange(0, 4)):
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        texts.append(" ".join(words))
    return pd.DataFrame({"doc_id": [f"d{i:03d}" for i in range(150)], "paragraph": 1, "text": texts})


def test_the_paragraphs_are_normalised_once_for_both_joins_and_again_when_a_text_changes(tmp_path, monkeypatch):
    """The fingerprints of the paragraphs 03 joins are those 06 joins: stored once, read back, the same results; an
    edited paragraph or another min_words gives new ones."""
    paragraphs = _mutated_paragraphs()
    expected_pairs, expected_families = near_duplicate_paragraphs(paragraphs), template_families(paragraphs)
    memo, normalised = Memo(tmp_path), []
    real = boilerplate_module._fingerprints_here
    monkeypatch.setattr(boilerplate_module, "_fingerprints_here", lambda frame: normalised.append(len(frame)) or real(frame))
    pd.testing.assert_frame_equal(near_duplicate_paragraphs(paragraphs, memo=memo), expected_pairs)
    pd.testing.assert_frame_equal(template_families(paragraphs, memo=memo), expected_families)
    assert normalised == [len(paragraphs)] and len(memo.keys(boilerplate_module.FINGERPRINTS_KIND)) == 1
    edited = paragraphs.copy()
    edited.loc[3, "text"] = "an edited paragraph " + edited.loc[3, "text"]
    pd.testing.assert_frame_equal(template_families(edited, memo=memo), template_families(edited))
    template_families(paragraphs, memo=memo, min_words=200)  # fewer paragraphs eligible: other fingerprints
    assert len(normalised) == 4 and len(memo.keys(boilerplate_module.FINGERPRINTS_KIND)) == 3  # 1 + edited twice + 1


@pytest.mark.parametrize("first", ["pairs", "families"])
def test_stored_joins_are_read_back_with_identical_results(tmp_path, monkeypatch, first):
    paragraphs = _mutated_paragraphs()
    expected_pairs, expected_families = near_duplicate_paragraphs(paragraphs), template_families(paragraphs)
    memo = Memo(tmp_path)
    if first == "pairs":  # the pairs of 03 give 06 its families
        pd.testing.assert_frame_equal(near_duplicate_paragraphs(paragraphs, memo=memo), expected_pairs)
    else:
        pd.testing.assert_frame_equal(template_families(paragraphs, memo=memo), expected_families)
    with monkeypatch.context() as patched:
        for name in (["_similar_pairs", "_similar_components"] if first == "pairs" else ["_similar_components"]):
            patched.setattr(boilerplate_module, name, lambda *args, **kwargs: pytest.fail("the join was computed again"))
        pd.testing.assert_frame_equal(template_families(paragraphs, memo=memo), expected_families)
        if first == "pairs":
            pd.testing.assert_frame_equal(near_duplicate_paragraphs(paragraphs, memo=memo), expected_pairs)
            with pytest.raises(ValueError, match="max_pairs=10"):  # the budget still applies to stored pairs
                near_duplicate_paragraphs(paragraphs, memo=memo, max_pairs=10)
    other = near_duplicate_paragraphs(paragraphs, memo=memo, threshold=0.9)  # another threshold: its own join
    pd.testing.assert_frame_equal(other, near_duplicate_paragraphs(paragraphs, threshold=0.9))
