"""Tests for corpus_utils.analysis.formulations: registry, matching rules, views and discovery."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from corpus_utils.analysis.formulations import (
    discover_candidates,
    find_formulations,
    formulation_document_counts,
    formulation_summary,
    formulations_by_period,
    variant_usage,
)
from corpus_utils.input.load import read_corpus
from corpus_utils.text.phrases import PhraseReplacer
from corpus_utils.text.registry import formulation_replacements, load_registry, variant_pattern
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.variants import count_variants, load_variant_table
from corpus_utils.text.vectorizers import make_vectorizer

@pytest.fixture(scope="module")
def seeds() -> pd.DataFrame:
    return read_corpus("seeds").documents


@pytest.fixture(scope="module")
def replacer() -> PhraseReplacer:
    return PhraseReplacer(formulation_replacements())


def _docs(*bodies: str, titles: list[str] | None = None, dates: list[str] | None = None) -> pd.DataFrame:
    n = len(bodies)
    return pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n)],
            "title": titles or [f"Title {i}" for i in range(n)],
            "body": list(bodies),
            "date": pd.to_datetime(dates or [None] * n),
        }
    )


# ------------------------------------------------------------------ the seeds


def test_two_safeguards_family_is_grouped_across_renderings(seeds):
    occurrences = find_formulations(seeds)
    family = occurrences[occurrences["canonical"] == "two_safeguards"]
    assert sorted(family["doc_id"].str[:3].unique()) == ["001", "003"]
    usage = variant_usage(occurrences).query("canonical == 'two_safeguards'")
    assert dict(zip(usage["variant"], usage["occurrences"])) == {"two maintenance": 2, "two protections": 2, "two safeguards": 1}


@pytest.mark.parametrize(
    ("canonical", "documents", "occurrences"),
    [
        ("three_meetings_one_lesson", ["000", "001", "003"], 4),
        ("two_safeguards", ["001", "003"], 5),
        ("two_micro_one_end", ["000", "004"], 3),
        ("head_goose_effect", ["001", "003"], 2),
        ("xi_jinping_thought", ["000", "001", "002"], 3),
        ("xi_jinping_thought_rule_of_law", ["002"], 1),
        ("never_forget_original_intention", ["000", "004"], 2),
        ("four_consciousnesses", ["003"], 1),
        ("four_confidences", ["003"], 1),
        ("one_post_two_responsibilities", ["003"], 1),
        ("two_responsibilities", ["001"], 1),
        ("three_major_battles", ["001"], 1),
        ("three_regulations", ["002"], 1),
        ("sweep_black_eliminate_evil", ["001"], 1),
        ("three_stricts_three_earnests", [], 0),
    ],
)
def test_formulations_present_in_the_seeds_are_found(seeds, canonical, documents, occurrences):
    found = find_formulations(seeds)
    rows = found[found["canonical"] == canonical]
    assert sorted(rows["doc_id"].str[:3].unique()) == documents
    assert len(rows) == occurrences


def test_counts_agree_with_the_vectoriser_tokens(seeds):
    occurrences = find_formulations(seeds.assign(title=""))
    vectorizer = make_vectorizer(tokenizer=Tokenizer.from_parameters(merge_formulations=True))
    matrix = vectorizer.fit_transform(seeds["body"])
    vocabulary = vectorizer.vocabulary_
    counts = formulation_document_counts(occurrences)
    assert len(counts) > 10
    index = {doc_id: row for row, doc_id in enumerate(seeds["doc_id"].astype(str))}
    for row in counts.itertuples():
        assert matrix[index[row.doc_id], vocabulary[row.canonical]] == row.count


def test_summary_gives_first_and_last_appearance_and_place(seeds):
    summary = formulation_summary(find_formulations(seeds), seeds).set_index("canonical")
    row = summary.loc["three_meetings_one_lesson"]
    assert (row["occurrences"], row["documents"]) == (4, 3)
    assert str(row["first_date"].date()) == "2018-08-21" and str(row["last_date"].date()) == "2020-07-06"
    assert row["first_doc_id"].startswith("000") and row["last_doc_id"].startswith("001")
    assert row["in_body"] == 3 and row["in_title"] == 0
    assert summary.loc["two_safeguards", "renderings"] == "two maintenance (2); two protections (2); two safeguards (1)"
    assert summary.loc["three_stricts_three_earnests", "documents"] == 0
    assert summary["documents"].is_monotonic_decreasing


def test_new_variant_rows_are_real_artefacts_of_the_seeds(seeds):
    counts = count_variants(seeds, load_variant_table()).set_index("variant")
    for variant in ["procuratorial policemen", "learning from powerful countries", "learning powerful", "grass-roots courts",
                    "grassroots courts", "municipal courts", "the institute", "everything", "seven one"]:
        assert counts.loc[variant, "occurrences"] >= 1, variant
    table = load_variant_table().set_index("variant")
    assert not table.loc[["the institute", "everything", "seven one", "grass-roots courts"], "apply_by_default"].any()


# ------------------------------------------------------------------ matching rules


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("We achieved the TWO SAFEGUARDS.", "two_safeguards"),  # case
        ("the two safeguard principle", "two_safeguards"),  # singular
        ("the two-safeguards", "two_safeguards"),  # hyphen
        ("the 2 safeguards", "two_safeguards"),  # digit
        ("two maintenance", "two_safeguards"),  # MT variant
        ("two protections", "two_safeguards"),  # MT variant
        ("two protection", "two_safeguards"),  # MT variant, singular
        ("the four consciousnesses", "four_consciousnesses"),  # plural in -es
        ("Four Consciousness", "four_consciousnesses"),
        ("4 consciousness", "four_consciousnesses"),
        ("four-confidence", "four_confidences"),
        ("four self-confidences", "four_confidences"),
        ("Three Meetings and One Lesson", "three_meetings_one_lesson"),
        ("3 meetings and 1 lesson", "three_meetings_one_lesson"),
        ("three sessions and one lesson", "three_meetings_one_lesson"),
        ("one post, two responsibilities", "one_post_two_responsibilities"),  # comma
        ("one post and two responsibility", "one_post_two_responsibilities"),
        ("one-post-two-responsibilities", "one_post_two_responsibilities"),
        ("Xi Jinping's Thoughts on Socialism with Chinese Characteristics for a New Era", "xi_jinping_thought"),
        ("Xi Jinping’s thought on the rule of law", "xi_jinping_thought_rule_of_law"),  # curly apostrophe
        ("the eight-point regulations", "eight_point_regulation"),
    ],
)
def test_each_matching_rule_maps_to_the_canonical_token(text, canonical):
    vectorizer = make_vectorizer(tokenizer=Tokenizer.from_parameters(merge_formulations=True))
    tokens = vectorizer.build_analyzer()(text)
    assert canonical in tokens, tokens
    assert find_formulations(_docs(text))["canonical"].tolist() == [canonical]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one post and two responsibilities", ["one_post_two_responsibilities"]),
        ("the two responsibilities", ["two_responsibilities"]),
        ("the two responsibilities and one post and two responsibilities", ["two_responsibilities", "one_post_two_responsibilities"]),
        ("four confidence and four consciousness", ["four_confidences", "four_consciousnesses"]),
        ("four confidences, four consciousnesses", ["four_confidences", "four_consciousnesses"]),
        ("three meetings of experts", []),  # "three meetings" alone is not three meetings and one lesson
        ("three safeguards", []),  # a different number is a different formulation
        ("two consciousnesses", []),
        ("Xi Jinping's thoughts on the rule of law", ["xi_jinping_thought_rule_of_law"]),
        ("socialism with Chinese characteristics in the new era", []),
        ("twosafeguards", []),
        ("always keep the original intention and always strive", []),  # 不忘初心，方得始终: another slogan
        ("twenty two safeguards", ["two_safeguards"]),
    ],
)
def test_different_numbered_formulations_are_never_merged(text, expected):
    assert find_formulations(_docs(text))["canonical"].tolist() == expected


def test_every_registered_rendering_maps_to_its_own_row(replacer):
    registry = load_registry()
    for row in registry.itertuples():
        for variant in row.variants:
            assert replacer(variant) == row.canonical, (variant, replacer(variant))
            assert replacer(variant.upper()) == row.canonical


def test_one_compiled_regex_for_all_renderings(replacer):
    assert isinstance(replacer._regex, re.Pattern)
    pairs = formulation_replacements()
    assert len(replacer._regex.groupindex) == len(pairs)
    assert len({pattern for pattern, _ in pairs}) == len(pairs)  # renderings differing only in plural share a pattern
    assert len(pairs) < sum(len(v) for v in load_registry()["variants"])


@pytest.mark.parametrize(
    ("variant", "matches", "rejects"),
    [
        ("two safeguards", ["two safeguard", "2 safeguards", "two-safeguards", "Two  Safeguards"], ["two safe guards", "two safeguardss"]),
        ("four consciousness", ["four consciousnesses", "4 consciousness"], ["four conscious"]),
        ("two responsibilities", ["two responsibility", "2 responsibilities"], ["two response"]),
        ("one post and two responsibilities", ["one post, and two responsibilities", "1 post and 2 responsibilities"], ["one post two responsibilities"]),
    ],
)
def test_variant_pattern(variant, matches, rejects):
    regex = re.compile(rf"(?<![\w-])(?:{variant_pattern(variant)})(?![\w-])", re.I)
    for text in matches:
        assert regex.fullmatch(text), text
    for text in rejects:
        assert not regex.fullmatch(text), text


# ------------------------------------------------------------------ the registry


def test_user_registry_is_merged_or_replaces(tmp_path: Path):
    own = tmp_path / "mine.csv"
    own.write_text(
        "canonical,label,chinese,variants,note\n"
        "five_ones,Five Ones,,five ones|five one activities,a local campaign\n"
        "two_safeguards,Two Safeguards,两个维护,two safeguards|two upholdings,my own renderings\n",
        encoding="utf-8",
    )
    merged = load_registry(own)
    assert merged["canonical"].tolist()[0] == "two_safeguards" and merged["canonical"].tolist()[-1] == "five_ones"
    assert merged.set_index("canonical").loc["two_safeguards", "variants"] == ["two safeguards", "two upholdings"]
    assert len(merged) == len(load_registry()) + 1
    replaced = load_registry(own, mode="replace")
    assert replaced["canonical"].tolist() == ["five_ones", "two_safeguards"]
    found = find_formulations(_docs("The Five Ones activity and two upholdings."), registry=merged)
    assert found["canonical"].tolist() == ["five_ones", "two_safeguards"]
    tokens = make_vectorizer(tokenizer=Tokenizer.from_parameters(registry=merged)).build_analyzer()("five one activities")
    assert tokens == ["five_ones"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("canonical,variants\nTwo Safeguards,two safeguards\n", "lower_snake_case"),
        ("canonical,variants\nmy_a,one lesson\nmy_a,two lessons\n", "more than one row"),
        ("canonical,variants\nmy_a,two maintenance\n", "registered for both"),
        ("canonical,variants\nmy_a,2 maintenance\n", "registered for both"),
        ("canonical,label\nmy_a,x\n", "needs columns variants"),
        ("canonical,variants,label\nmy_a,,\n", "no variants"),
    ],
)
def test_registry_errors_name_the_problem(tmp_path: Path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_registry(path)


def test_missing_registry_file_and_bad_mode():
    with pytest.raises(FileNotFoundError, match="no_such.csv"):
        load_registry("no_such.csv")
    with pytest.raises(ValueError, match="mode"):
        load_registry(mode="append")


def test_shipped_registry_documents_every_row():
    registry = load_registry()
    assert registry["canonical"].is_unique
    assert (registry["label"] != "").all() and (registry["note"] != "").all()
    assert registry["chinese"].str.fullmatch(r"[\u4e00-\u9fff、]+").all()


# ------------------------------------------------------------------ views


def test_locations_and_periods():
    documents = _docs(
        "The Two Safeguards come first.\n\nLater the four confidences.",
        "Nothing here.\n\nBut two maintenance here.",
        "Two safeguards again.",
        titles=["Achieve the two safeguards", "Plain title", "Undated"],
        dates=["2019-03-01", "2020-05-01", None],
    )
    occurrences = find_formulations(documents)
    assert occurrences[["doc_id", "location", "paragraph"]].values.tolist() == [
        ["d0", "title", 0], ["d0", "first_paragraph", 1], ["d0", "body", 2], ["d1", "body", 2], ["d2", "first_paragraph", 1]
    ]
    summary = formulation_summary(occurrences, documents).set_index("canonical")
    assert summary.loc["two_safeguards", ["in_title", "in_first_paragraph", "in_body"]].tolist() == [1, 2, 1]
    assert summary.loc["two_safeguards", "share_documents"] == pytest.approx(1.0)
    by_year = formulations_by_period(occurrences, documents)
    assert by_year[["period", "canonical", "documents", "documents_in_period"]].values.tolist() == [
        ["2019", "four_confidences", 1, 1], ["2019", "two_safeguards", 1, 1], ["2020", "two_safeguards", 1, 1], ["undated", "two_safeguards", 1, 1]
    ]
    assert formulations_by_period(occurrences, documents, freq="quarter")["period"].iloc[0] == "2019Q1"
    with pytest.raises(ValueError, match="freq"):
        formulations_by_period(occurrences, documents, freq="week")


# ------------------------------------------------------------------ discovery


def test_discovery_on_the_seeds_lists_registered_and_missing(seeds):
    candidates = discover_candidates(seeds).set_index("candidate")
    assert candidates.loc["three meetings and one lesson", "matched_canonical"] == "three_meetings_one_lesson"
    assert candidates.loc["three meetings and one lesson", ["count", "documents"]].tolist() == [4, 3]
    assert candidates.loc["two maintenance", "matched_canonical"] == "two_safeguards"
    for unregistered in ["four innovations", "five ones", "three ones", "three platforms", "six guarantees", "head goose effect"]:
        assert unregistered in candidates.index, unregistered
    assert pd.isna(candidates.loc["four innovations", "matched_canonical"])
    assert candidates.loc["head goose effect", "matched_canonical"] == "head_goose_effect"
    assert not any(re.match(r"(?:three|two) years", name) for name in candidates.index)
    assert candidates.loc["three meetings and one lesson", "example"].startswith("000_")
    assert list(discover_candidates(seeds).columns) == ["candidate", "kind", "count", "documents", "example", "matched_canonical"]


@pytest.mark.parametrize(
    ("text", "candidate", "kind"),
    [
        ("They set up the two studies and one action plan.", "two studies and one action", "paired"),
        ("We apply one case, three checks here.", "one case three checks", "paired"),
        ('They follow the "bull nose" of the system.', "bull nose", "quoted"),
        ("They follow “five firsts” daily.", "five firsts", "quoted"),
        ("the Seven Musts of the party", "seven musts", "numbered"),
        ("3 meetings and 1 lesson", "three meetings and one lesson", "paired"),
    ],
)
def test_discovery_rules(text, candidate, kind):
    candidates = discover_candidates(_docs(text)).set_index("candidate")
    assert candidate in candidates.index, candidates.index.tolist()
    assert candidates.loc[candidate, "kind"] == kind


@pytest.mark.parametrize("text", ["It took three years and five times.", "Over two days they met.", 'He said "yes" today.'])
def test_discovery_skips_counts_and_single_words(text):
    assert discover_candidates(_docs(text)).empty


def test_discovery_min_documents():
    documents = _docs("the Seven Musts", "the seven musts and the Five Ones")
    assert discover_candidates(documents, min_documents=2)["candidate"].tolist() == ["seven musts"]
    with pytest.raises(ValueError, match="min_documents"):
        discover_candidates(documents, min_documents=0)


_CANDIDATE_PIECES = ["Two", "two", "THREE", "Eleven", " ", "  ", "meetings", "and", "one", "Lesson", ",", "-", "years",
                     "ſix", "sıx", "SİX", "K", "É", '"', "12", "cases", "involving", "’s", "Five", "Ones", "\n", "with"]


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(_CANDIDATE_PIECES), max_size=40))
def test_candidates_found_in_the_lower_cased_text_are_those_a_case_insensitive_search_finds(pieces):
    import corpus_utils.analysis.formulations as formulations

    text = "".join(pieces)
    fast = formulations._spans(text, 8)
    original = formulations._case_folded
    formulations._case_folded = lambda text: (text, formulations._PAIRED, formulations._NUMBERED)
    try:
        assert fast == formulations._spans(text, 8)
    finally:
        formulations._case_folded = original


_START_PIECES = ["two", "one", "someone", "often", "ten", "seven", "eleven", "twelve", "twenty-two", " ", "  ", ", ",
                 "and ", "with ", "meetings", "lesson", "years", "-", "_", "x", "1", "12", "123", "a1", "٣", "３", "\n",
                 "’s", "é", "\ud800", "三", "²", "½", "ǅ", "·"]


@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(st.sampled_from(_START_PIECES), max_size=40))
@example(pieces=["two", " ", "meetings", " ", "two", " ", "meetings", " ", "two", " ", "meetings"])  # a start inside a match
@example(pieces=["·", "two", " ", "meetings", "(", "one", " ", "lesson", "“", "12", " ", "years", "½", "two", " ", "meetings",
                 "ǅ", "seven", " ", "lesson", "—", "three", " ", "meetings"])  # after characters that are not words, and that are
def test_matches_tried_only_where_a_number_begins_are_those_finditer_finds(pieces):
    from corpus_utils.analysis.formulations import _NUMBERED_LOWER, _PAIRED_LOWER, _matches_from, _number_starts

    text = "".join(pieces)
    for pattern, starts in zip((_PAIRED_LOWER, _NUMBERED_LOWER), _number_starts(text)):
        expected = [match.span() for match in pattern.finditer(text)]
        assert [match.span() for match in _matches_from(pattern, text, starts)] == expected


@pytest.mark.parametrize("text", ["", "abc", "1", "a12 345-6", "٣٤ and ３ x9", "\ud800 7", "12\n34"])
def test_digit_runs_begin_where_a_regex_finds_them(text):
    from corpus_utils.analysis.formulations import _digit_run_starts

    assert _digit_run_starts(text).tolist() == [match.start() for match in re.finditer(r"\d+", text)]


def test_only_dotless_i_and_long_s_read_as_ascii_letters_without_changing_length_when_lower_cased():
    from corpus_utils.analysis.formulations import _FOLDS_TO_ASCII

    folding = [chr(code) for code in range(128, 0x10000) if re.fullmatch("[a-z]", chr(code), re.I)]
    kept = [character.lower() for character in folding if len(character.lower()) == 1 and not character.lower().isascii()]
    assert kept and all(character in _FOLDS_TO_ASCII for character in kept)


@pytest.mark.parametrize("cuts", [(), (1,), (2, 3), (1, 2, 3, 4, 5)])
def test_candidates_merged_from_parts_equal_those_counted_one_occurrence_at_a_time(cuts):
    from reference import candidate_table

    from corpus_utils.analysis.formulations import _candidate_part, _merged_candidates, _texts_of

    chinese = read_corpus("seeds_zh").documents
    documents = pd.concat([read_corpus("seeds").documents, chinese, chinese.head(2)], ignore_index=True)  # doc_ids repeated
    extra = pd.DataFrame({"doc_id": ["a", "b", "a"], "title": ["Three Musts", None, None],
                          "body": ["The \"three musts\" and three musts again.", "three musts, \"three musts\"",
                                   "Later text: the five pillars."]})
    first = pd.DataFrame({"doc_id": ["a"], "title": [None], "body": ["Earlier text: the five pillars."]})
    documents = pd.concat([first, documents, extra], ignore_index=True)  # doc_id "a" in the first and the last part
    texts = _texts_of(documents)
    bounds = [0, *(len(texts) * cut // 6 for cut in cuts), len(texts)]
    parts = [_candidate_part(texts.iloc[start:stop], max_words=8, context=60) for start, stop in zip(bounds[:-1], bounds[1:])]
    got = _merged_candidates(parts).sort_values("candidate").reset_index(drop=True)
    expected = candidate_table(documents)
    assert len(expected) > 20 and expected["documents"].max() > 1
    assert expected.set_index("candidate").loc["five pillars", "example"].startswith("a: …Earlier text")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


_SEEDS_ZH = Path(__file__).resolve().parent.parent / "seeds_zh"


@pytest.mark.parametrize(("simplify", "mt"), [(False, False), (True, False), (False, True)])
def test_form_spans_are_exactly_the_token_spans_chinese_forms_are_counted_as(simplify, mt):
    """Only Chinese runs holding a form are segmented; the forms found equal those of the whole tokenising."""
    import random

    from corpus_utils.text.chinese import has_han

    tokenizer = Tokenizer.from_parameters(simplify_chinese=simplify, mt_normalisation=mt)
    counted = {target.lower() for _, target in tokenizer.chinese} | set(load_registry()["canonical"].str.lower())
    sentences = [line for path in sorted(_SEEDS_ZH.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    pieces = [*(form for form, _ in tokenizer.chinese), *sentences, "two safeguards", "Two Maintenance", "检察院", "維護",
              "两个", "兩个維护", "四個意识", "，", "。", "、", "「", " ", "\n\n", "abc", "2021年", "四个意识two", "'s", "-"]
    rng = random.Random(11)
    found = 0
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 25)))
        expected = [span for span in tokenizer.token_spans(text) if span[0] in counted and has_han(text[span[1]:span[2]])]
        got = [span for span in tokenizer.form_spans(text) if span[0] in counted and has_han(text[span[1]:span[2]])]
        assert got == expected, text
        found += len(got)
    assert found > 300
    assert tokenizer.form_spans("市检察院召开会议，部署工作。") == []  # no form: nothing segmented
