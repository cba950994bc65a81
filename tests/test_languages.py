"""Mixed corpora: choosing the documents of one language, traditional read as simplified, Chinese contexts in
characters, Chinese boilerplate shingles, Chinese candidate formulations and formulations by language."""

from __future__ import annotations

import pickle
import shutil

import pandas as pd
import pytest

from corpus_utils import read_corpus
from corpus_utils.analysis.boilerplate import near_duplicate_paragraphs
from corpus_utils.analysis.shingles import _normalise, _normalise_text
from corpus_utils.analysis.formulations import discover_candidates, find_formulations, formulations_by_language
from corpus_utils.analysis.kwic import kwic
from corpus_utils.analysis.prepare import prepare_corpus
from corpus_utils.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT, SEEDS_DIR
from corpus_utils.input.language import language_counts, language_group, select_language, separate_groups
from corpus_utils.run.runner import ingest_corpus, plan_run
from corpus_utils.text.chinese import simplified
from corpus_utils.text.registry import load_registry
from corpus_utils.text.tokenizer import Tokenizer


def _documents(*languages: str) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(languages))], "body": ["text"] * len(languages),
                         "language": pd.array(languages, dtype="string")})


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixed")
    for page in [*SEEDS_DIR.glob("*.txt"), *(PROJECT_ROOT / "seeds_zh").glob("*.txt")]:
        shutil.copy(page, folder / page.name)
    return folder


# ---------------------------------------------------------------- select_language


def test_language_groups_put_both_chinese_scripts_together():
    assert [language_group(code) for code in ("zh-Hans", "zh-Hant", "en", "fr", None)] == ["zh", "zh", "en", "fr", "und"]
    counts = language_counts(pd.Series(["und", "zh-Hant", "en", "zh-Hans", "en", "zh-Hans"]))
    assert counts.to_dict() == {"zh": 3, "en": 2, "und": 1} and list(counts.index) == ["zh", "en", "und"]


def test_auto_keeps_every_document_of_a_one_language_corpus_undetermined_included():
    chosen = select_language(_documents("en", "en", "und"))
    assert len(chosen.documents) == 3 and chosen.language == "all" and chosen.note == "" and not chosen.mixed


def test_auto_takes_the_largest_language_of_a_mixed_corpus_and_says_what_it_left_out():
    chosen = select_language(_documents("zh-Hans", "en", "zh-Hant", "und"))
    assert chosen.language == "zh" and chosen.mixed
    assert chosen.documents["doc_id"].tolist() == ["d0", "d2"]
    assert "left out: en 1, und 1 document(s)" in chosen.note and "LANGUAGE = 'en'" in chosen.note


def test_all_a_group_and_an_exact_script():
    documents = _documents("zh-Hans", "en", "zh-Hant")
    assert len(select_language(documents, "all").documents) == 3
    assert "Languages analysed together: zh 2, en 1" in select_language(documents, "all").note
    assert select_language(documents, "zh").documents["doc_id"].tolist() == ["d0", "d2"]
    assert select_language(documents, "zh-Hant").documents["doc_id"].tolist() == ["d2"]
    assert select_language(documents, "en").documents["doc_id"].tolist() == ["d1"]


def test_a_language_the_corpus_lacks_is_explained():
    with pytest.raises(ValueError, match=r"LANGUAGE = 'fr': no document .* It holds: zh 2, en 1 document\(s\)"):
        select_language(_documents("zh-Hans", "en", "zh-Hant"), "fr")


def test_a_table_without_language_column_is_kept_whole():
    documents = pd.DataFrame({"doc_id": ["a"], "body": ["x"]})
    assert select_language(documents, "zh").documents is documents


def test_prepare_corpus_applies_language_before_anything_else(mixed_folder):
    prepared = prepare_corpus(mixed_folder, language="zh", exclude_boilerplate=True)
    assert prepared.n_documents == 4 and set(prepared.documents["language"]) == {"zh-Hans", "zh-Hant"}
    assert prepared.language == "zh" and "Language: zh (as LANGUAGE asks), 4 of 9 documents" in prepared.summary()
    assert len(prepared.original) == 4


# ---------------------------------------------------------------- SIMPLIFY_CHINESE


def test_simplified_keeps_length_so_offsets_hold():
    for text in ("兩個維護", "檢察院幹警要增強「四個意識」", "乾隆皇帝", "English 與 中文"):
        assert len(simplified(text)) == len(text)
    assert simplified("兩個維護") == "两个维护"


def test_traditional_and_simplified_count_together_only_when_asked():
    traditional, simple = "全院幹警堅決做到兩個維護，檢察院工作", "全院干警坚决做到两个维护，检察院工作"
    folded = Tokenizer.from_parameters(simplify_chinese=True)
    assert folded.tokens(traditional) == folded.tokens(simple)
    assert "two_safeguards" in Tokenizer().tokens(traditional)  # registry forms are listed in both scripts anyway
    assert Tokenizer().tokens(traditional) != Tokenizer().tokens(simple)
    spans = folded.token_spans(traditional)
    assert [traditional[start:end] for _, start, end in spans][:2] == ["全院幹警", "堅決"]
    assert folded.key != Tokenizer.from_parameters().key and Tokenizer.from_parameters().key == Tokenizer().key
    assert pickle.loads(pickle.dumps(folded)) == folded and pickle.loads(pickle.dumps(folded)).simplify_chinese


def test_traditional_function_words_are_stop_words_too():
    assert not {"們", "這", "個"} & set(Tokenizer().tokens("我們這個檢察院"))


def test_kwic_finds_traditional_spellings_of_a_simplified_term_when_folding():
    documents = pd.DataFrame({"doc_id": ["t"], "body": ["全院幹警要增強「四個意識」，做到「兩個維護」。"]})
    folded = Tokenizer.from_parameters(simplify_chinese=True)
    lines = kwic(documents, "增强", tokenizer=folded)
    assert lines["match"].tolist() == ["增強"]
    assert kwic(documents, "增强").empty


# ---------------------------------------------------------------- contexts and shingles in characters


def test_kwic_context_is_counted_in_characters_for_chinese_and_words_for_english():
    documents = pd.DataFrame({"doc_id": ["zh", "en"], "body": [
        "全市检察机关要坚决做到两个维护，不断增强四个意识，推进全面从严治党向纵深发展。",
        "Officers of the whole procuratorate must firmly uphold the two safeguards in all their work today.",
    ]})
    lines = kwic(documents, "two_safeguards", window=3, chars=5).set_index("doc_id")
    assert lines.loc["zh", "left"] == "机关要坚决做到"[-5:] and lines.loc["zh", "right"] == "，不断增强"
    assert lines.loc["en", "left"] == "must firmly uphold the" .split(" ", 1)[1] and lines.loc["en", "right"] == "in all their"
    with pytest.raises(ValueError, match="chars"):
        kwic(documents, "two_safeguards", chars=-1)


def test_chinese_shingles_are_characters_and_the_fast_path_equals_the_reference():
    texts = pd.Series(["Hello World 两个维护", "plain english text", "檢察院，幹警", "", "mixed中文and English"])
    assert _normalise(texts) == [_normalise_text(text) for text in texts]
    assert _normalise_text("两个维护 ok") == "两 个 维 护 ok"


def test_near_duplicate_chinese_paragraphs_are_found():
    a = "全市检察机关要坚决做到两个维护，不断增强四个意识，推进全面从严治党向纵深发展，以高质量党建引领检察工作。"
    b = a.replace("全市", "全省")
    c = "今年以来，该院聚焦主责主业，办理各类案件一百余件，取得良好效果，受到群众好评和上级表扬，成绩显著。"
    paragraphs = pd.DataFrame({"doc_id": ["x", "y", "z"], "paragraph": [1, 1, 1], "text": [a, b, c]})
    pairs = near_duplicate_paragraphs(paragraphs, threshold=0.8)
    assert pairs[["doc_id_a", "doc_id_b"]].values.tolist() == [["x", "y"]] and pairs["similarity"].iloc[0] > 0.9


# ---------------------------------------------------------------- Chinese candidates, formulations by language

_CANDIDATE_TEXT = ("全市检察机关要坚决做到两个维护，增强四个意识，落实三会一课制度，开展两学一做学习教育，"
                   "落实一岗双责，一年一度考核，三个方面问题，两个月内完成，深刻领悟两个确立的决定性意义，三严三实。")


def test_chinese_numbered_forms_are_discovered_and_counts_left_out():
    candidates = discover_candidates(pd.DataFrame({"doc_id": ["a"], "body": [_CANDIDATE_TEXT]})).set_index("candidate")
    assert {"两个维护", "四个意识", "三会一课", "两学一做", "一岗双责", "两个确立", "三严三实"} <= set(candidates.index)
    assert not {"一年一度", "三个方面", "两个月内"} & set(candidates.index)
    assert candidates.loc["两个维护", "kind"] == "numbered" and candidates.loc["三会一课", "kind"] == "paired"
    assert candidates.loc["两个维护", "matched_canonical"] == "two_safeguards"


def test_chinese_candidates_the_registry_lacks_are_flagged():
    registry = load_registry()
    smaller = registry[registry["canonical"] != "two_establishments"].reset_index(drop=True)
    candidates = discover_candidates(pd.DataFrame({"doc_id": ["a"], "body": [_CANDIDATE_TEXT]}), registry=smaller)
    unknown = candidates[candidates["matched_canonical"].isna()]["candidate"].tolist()
    assert "两个确立" in unknown and "两个维护" not in unknown


def test_formulations_by_language_sets_the_originals_beside_the_renderings(mixed_folder):
    documents = read_corpus(mixed_folder).documents
    table = formulations_by_language(find_formulations(documents), documents).set_index(["canonical", "language"])
    zh, en = table.loc[("two_safeguards", "zh")], table.loc[("two_safeguards", "en")]
    assert (zh["documents"], zh["documents_in_language"], zh["share_documents"]) == (4, 4, 1.0)
    assert zh["renderings"] == "两个维护 3 (75%); 兩個維護 1 (25%)"
    assert en["documents_in_language"] == 5 and en["occurrences"] == 5
    assert en["renderings"] == "two maintenance 2 (40%); two protections 2 (40%); two safeguards 1 (20%)"
    assert en["main_rendering"] == "two maintenance" and en["main_rendering_share"] == pytest.approx(0.4)


# ---------------------------------------------------------------- the runner analyses each language on its own


def test_runner_plans_each_language_of_a_mixed_corpus_on_its_own(mixed_folder, tmp_path):
    assert ingest_corpus(mixed_folder, "*.txt").languages == ("en", "zh")
    plan = plan_run(corpus=mixed_folder, out=tmp_path / "run")
    names = [notebook.name for notebook in plan.notebooks]
    assert names[:3] == ["01_corpus_overview", "02_term_frequency.en", "02_term_frequency.zh"]
    assert "06_formulations" in names and names[-2:] == ["07_explore.en", "07_explore.zh"]
    assert len(names) == 12 and plan.languages == ("en", "zh")
    chinese = next(notebook for notebook in plan.notebooks if notebook.name == "04_topic_clustering.zh")
    assert chinese.inject["LANGUAGE"] == "zh" and chinese.inject["FIGURES_DIR"].endswith("figures/zh")
    assert plan.figures_of(chinese) == tmp_path / "run" / "figures" / "zh"


def test_runner_keeps_one_notebook_each_when_the_language_is_chosen_or_single(mixed_folder, tmp_path):
    together = plan_run(corpus=mixed_folder, out=tmp_path / "a", parameters=[("LANGUAGE", "all")])
    assert len(together.notebooks) == len(list(NOTEBOOKS_DIR.glob("0*.ipynb"))) == 7 and together.languages == ()
    seeds = plan_run(corpus=SEEDS_DIR, out=tmp_path / "b")
    assert len(seeds.notebooks) == 7 and seeds.languages == ()


def test_formulations_by_language_of_a_corpus_without_formulations_is_an_empty_table():
    documents = pd.DataFrame({"doc_id": ["a"], "body": ["Nothing registered is said here."], "language": ["en"]})
    table = formulations_by_language(find_formulations(documents), documents)
    assert table.empty and "renderings" in table.columns and table["documents"].dtype == "int64"


# ---------------------------------------------------------------- groups too small to be analysed apart


def test_groups_under_the_size_and_share_floors_are_not_analysed_apart():
    counts = language_counts(pd.Series(["en"] * 5_000 + ["zh-Hans"] * 60 + ["bcl"] * 2 + ["und"] * 3))
    assert separate_groups(counts)[0] == ["en", "zh"]  # 60 documents, 1.2 %: its own analysis
    counts = language_counts(pd.Series(["en"] * 20_000 + ["zh-Hans"] * 150 + ["bcl"] * 40 + ["und"] * 3))
    separate, small = separate_groups(counts)  # 150 documents (0.7 %) is enough; 40 (0.2 %) is not
    assert separate == ["en", "zh"] and small.to_dict() == {"bcl": 40}


def test_auto_keeps_a_few_misdetected_pages_with_the_rest_and_names_them():
    chosen = select_language(_documents(*(["en"] * 150), "bcl", "und"))
    assert len(chosen.documents) == 152 and chosen.language == "all" and not chosen.mixed
    assert "Too few to analyse apart" in chosen.note and "bcl 1" in chosen.note and "LANGUAGE = 'en'" in chosen.note
    mixed = select_language(_documents(*(["en"] * 150), *(["zh-Hans"] * 100), "bcl"))
    assert mixed.mixed and mixed.language == "en" and len(mixed.documents) == 150
    assert "left out: zh 100, bcl 1 document(s)" in mixed.note and "LANGUAGE = 'zh'" in mixed.note


def test_the_runner_does_not_run_the_collection_again_for_one_misdetected_page(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    for copy in range(24):  # 120 English pages (copies under new names) and one Chinese page
        for page in seeds:
            text = page.read_text(encoding="utf-8").replace("Procuratorate", f"Procuratorate No. {copy}", 1)
            (folder / f"{copy:02d}_{page.name}").write_text(text, encoding="utf-8")
    shutil.copy(sorted((PROJECT_ROOT / "seeds_zh").glob("*.txt"))[0], folder / "zh_page.txt")
    plan = plan_run(corpus=folder, out=tmp_path / "run")
    assert len(plan.notebooks) == 7 and plan.languages == ()
    warning = next(message for message in plan.warnings if "too few to analyse apart" in message)
    assert "zh 1 document(s)" in warning and "analysed with the rest" in warning
