"""Tests for corpus_utils.input.load: the seeds, every layout variant, every bad input, and table corpora."""

from __future__ import annotations

import codecs
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_utils.input import load as load_module
from corpus_utils.input.load import (
    DOCUMENT_COLUMNS,
    TEXT_DTYPE,
    CorpusLoadError,
    CorpusLoadWarning,
    count_words,
    load_corpus,
    load_paragraphs,
    read_corpus,
)
from corpus_utils.core.paths import SEEDS_DIR

# --------------------------------------------------------------------------------------------- seeds

SEED_EXPECTATIONS = [
    # doc_id, layout, section, title, date, source, first paragraph starts, last paragraph ends
    (
        "000_1f366f896ced1d85",
        "procuratorate",
        "Party conduct and clean government construction",
        'Suzhou: "Six Guarantees" Promote the Effective Development of "Strict and Strict"',
        "2018-08-21",
        "SRC-822311103",
        "Since July of this year, the Municipal Procuratorate has strengthened its political awareness",
        '"Two micro enterprises and one end" work together',
    ),
    (
        "001_872fc9537ebc380b",
        "procuratorate",
        "Party conduct and clean government construction",
        'Party building "pilot" brand display | The first procuratorial department branch: '
        'strive to be the "pacesetter" of party building in organs',
        "2020-07-06",
        None,
        "[Editor's Note] According to the deployment of the Working Committee of Anhui Provincial Organs",
        "the work of the business departments of the grass-roots courts.",
    ),
    (
        "002_dea276a9b9e5d8d3",
        "repost",
        "Party Building",
        "Deepen the self-revolution of the political and legal teams",
        "2021-09-07",
        "People's Daily Online",
        "The Fifth Plenary Session of the Nineteenth Central Committee of the Communist Party of China proposed",
        "build a loyal, clean and responsible team. The iron army of politics and law.",
    ),
    (
        "003_768b9dcd45f37604",
        "procuratorate",
        "Party conduct and clean government construction",
        "Tongling Procurator: Deeply Promote the Construction of Party Conduct and Clean Government",
        "2020-04-10",
        None,
        "Recently, Cao Min, Secretary of the Party Leadership Group of Tongling People's Procuratorate",
        "further create a good political ecology of clean, upright and honest.",
    ),
    (
        "004_79c0ddb5b230bbd0",
        "procuratorate",
        "Procuratorial Highlights",
        'Insist on innovation and make grass-roots party building "practical"',
        "2019-07-25",
        None,
        "[Mengcheng County Procuratorate of Anhui Province]",
        "Advanced Worker of the Provincial Procuratorate Zhang Lili and a number of other advanced models.",
    ),
]
CHROME_FRAGMENTS = [
    "Font size",
    "(Summary description)",
    "- Categories:",
    "- Views:",
    "Time of issue",
    "Scan the QR code",
    "Relevant information",
    "OFFICIAL ACCOUNTS",
    "Welcome to follow",
    "ONLINE MESSAGE",
    "All rights reserved",
    "ICP",
    "Editor: Zhao Yuhong",
    "Responsible editor",
    "\u00a0",
]


@pytest.fixture(scope="module")
def seeds():
    return read_corpus(SEEDS_DIR)


def test_seeds_all_loaded_without_warnings(seeds):
    assert seeds.report.summary() == "5 file(s): 5 loaded, 0 skipped, 0 with warnings"
    assert seeds.documents["doc_id"].tolist() == [row[0] for row in SEED_EXPECTATIONS]


@pytest.mark.parametrize("doc_id, layout, section, title, date, source, first, last", SEED_EXPECTATIONS)
def test_seed_metadata_and_body(seeds, doc_id, layout, section, title, date, source, first, last):
    row = seeds.documents.set_index("doc_id").loc[doc_id]
    assert row["layout"] == layout
    assert row["section"] == section
    assert row["title"] == title
    assert row["date"] == pd.Timestamp(date)
    assert (row["source"] if pd.notna(row["source"]) else None) == source
    paragraphs = row["body"].split("\n\n")
    assert paragraphs[0].startswith(first)
    assert paragraphs[-1].endswith(last)
    for fragment in CHROME_FRAGMENTS:
        assert fragment not in row["body"], fragment
    assert row["n_paragraphs"] == len(paragraphs)
    assert row["n_words"] > 100 or doc_id.startswith("003")


def test_seed_credits_moved_out_of_body(seeds):
    credits = seeds.documents.set_index("doc_id")["credits"]
    assert credits["000_1f366f896ced1d85"].split("\n") == [
        "New media produced by Suzhou People's Procuratorate",
        "Planning/review: Huang Chunlei",
        "Editor: Zhao Yuhong",
        "Picture: Zhao Yuhong",
    ]
    assert "(Responsible editor: Wang Keyuan, Song Meiqi)" in credits["002_dea276a9b9e5d8d3"]
    assert pd.isna(credits["003_768b9dcd45f37604"])


def test_repost_summary_kept_once_as_lead_paragraph(seeds):
    body = seeds.documents.set_index("doc_id").loc["002_dea276a9b9e5d8d3", "body"]
    assert body.count("The Fifth Plenary Session of the Nineteenth Central Committee") == 1
    assert "Hello, this is the Taiyuan traffic police." in body


def test_schema_and_dtypes(seeds):
    documents = seeds.documents
    assert list(documents.columns) == list(DOCUMENT_COLUMNS)
    for column, dtype in DOCUMENT_COLUMNS.items():
        assert str(documents[column].dtype).startswith(dtype.split("[")[0]), column
    assert documents["duplicate_of"].isna().all()


def test_paragraph_table(seeds):
    paragraphs = load_paragraphs(seeds.documents)
    assert list(paragraphs.columns) == ["doc_id", "paragraph", "text", "n_words"]
    per_document = paragraphs.groupby("doc_id").size()
    assert per_document.to_dict() == seeds.documents.set_index("doc_id")["n_paragraphs"].to_dict()
    first = paragraphs.iloc[0]
    assert (first["doc_id"], first["paragraph"]) == ("000_1f366f896ced1d85", 1)
    assert paragraphs["n_words"].sum() == seeds.documents["n_words"].sum()
    assert paragraphs["text"].dtype == pd.api.types.pandas_dtype(TEXT_DTYPE)


def test_text_columns_have_the_text_dtype(seeds):
    for column, dtype in DOCUMENT_COLUMNS.items():
        if dtype == TEXT_DTYPE:
            assert seeds.documents[column].dtype == pd.api.types.pandas_dtype(TEXT_DTYPE), column


def _reference_paragraphs(bodies: list[str | None], doc_ids: list[str]) -> list[tuple[str, int, str, int]]:
    rows = []
    for doc_id, body in zip(doc_ids, bodies):
        kept = [text for text in (body or "").split("\n\n") if text]
        rows += [(doc_id, number, text, count_words(text)) for number, text in enumerate(kept, start=1)]
    return rows


@settings(max_examples=60, deadline=None)
@given(bodies=st.lists(st.one_of(st.none(), st.text(alphabet="ab \n廉政", max_size=30)), max_size=12),
       storage=st.sampled_from(["python", "pyarrow"]))
def test_paragraph_split_matches_a_plain_python_split(bodies, storage):
    doc_ids = [f"d{number}" for number in range(len(bodies))]
    text = f"string[{storage}]"
    documents = pd.DataFrame({"doc_id": pd.array(doc_ids, dtype=text), "body": pd.array(bodies, dtype=text)})
    paragraphs = load_paragraphs(documents)
    assert list(paragraphs.itertuples(index=False, name=None)) == _reference_paragraphs(bodies, doc_ids)
    assert [str(dtype) for dtype in paragraphs.dtypes] == ["string", "int64", "string", "int64"]


def test_paragraph_split_in_parts_numbers_across_the_parts_as_one_split(monkeypatch):
    monkeypatch.setattr(load_module, "PARAGRAPH_PART", 2)
    bodies = ["a\n\nb", None, "\n\n廉政\n\n\n\nc d", "", "e", "f\n\ng\n\nh", "i"]
    doc_ids = [f"d{number}" for number in range(len(bodies))]
    documents = pd.DataFrame({"doc_id": doc_ids, "body": pd.array(bodies, dtype="string[pyarrow]")})  # split in Arrow
    assert list(load_paragraphs(documents).itertuples(index=False, name=None)) == _reference_paragraphs(bodies, doc_ids)
    assert load_paragraphs(documents.iloc[:0]).empty


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
def test_paragraph_word_counts_are_stored_a_part_at_a_time_and_shared_with_the_units(tmp_path, monkeypatch, storage):
    """Notebooks 03 and 06 split the corpus whole, 04 and 05 a part at a time: the words of each part are counted
    once for all four, and an edited body has its part counted again."""
    from corpus_utils.analysis import topics
    from corpus_utils.core.memo import Memo

    monkeypatch.setattr(load_module, "PARAGRAPH_PART", 3)
    monkeypatch.setattr(topics, "PARAGRAPH_PART", 3)
    counted = []
    real = load_module.count_words_many
    monkeypatch.setattr(load_module, "count_words_many", lambda texts: counted.append(len(texts)) or real(texts))
    bodies = ["a b\n\ncc dd ee", None, "检察院召开党风廉政建设会议\n\nf", "", "g h i\n\nj", "k", "l m\n\nn o p q", "两个维护"]
    doc_ids = [f"d{number}" for number in range(len(bodies))]
    documents = pd.DataFrame({"doc_id": pd.array(doc_ids, dtype=f"string[{storage}]"),
                              "body": pd.array(bodies, dtype=f"string[{storage}]")})
    expected = load_paragraphs(documents)
    assert counted and list(expected.itertuples(index=False, name=None)) == _reference_paragraphs(bodies, doc_ids)
    memo, counted[:] = Memo(tmp_path), []
    pd.testing.assert_frame_equal(load_paragraphs(documents, memo=memo), expected)
    assert len(counted) == 3 and len(memo.keys(load_module.PARAGRAPH_WORDS_KIND)) == 3  # 8 documents: 3 parts
    pd.testing.assert_frame_equal(load_paragraphs(documents, memo=memo), expected)
    units = topics.select_units(documents, min_words=1, memo=memo).units["n_words"].tolist()
    assert len(counted) == 3  # read back, by the whole split and by the units alike
    assert units == topics.select_units(documents, min_words=1).units["n_words"].tolist()
    edited, counted[:] = documents.copy(), []
    edited.loc[4, "body"] = "g h i extra words\n\nj"
    reference = _reference_paragraphs([None if pd.isna(body) else body for body in edited["body"]], doc_ids)
    assert list(load_paragraphs(edited, memo=memo).itertuples(index=False, name=None)) == reference
    assert len(counted) == 1 and len(memo.keys(load_module.PARAGRAPH_WORDS_KIND)) == 4  # only its part counted again


def test_a_corpus_of_more_word_count_parts_than_the_memo_keeps_per_kind_is_counted_once(tmp_path, monkeypatch):
    """The word counts are stored a part at a time: a corpus of more parts than the memo's default number of entries
    per kind (a million pages: 100 parts) must not lose its first parts while it stores its last ones."""
    from corpus_utils.core.memo import KEEP_ENTRIES, Memo

    monkeypatch.setattr(load_module, "PARAGRAPH_PART", 1)
    counted = []
    real = load_module.count_words_many
    monkeypatch.setattr(load_module, "count_words_many", lambda texts: counted.append(len(texts)) or real(texts))
    n_documents = KEEP_ENTRIES + 8
    documents = pd.DataFrame({"doc_id": [f"d{number}" for number in range(n_documents)],
                              "body": [f"word{number} other\n\nsecond paragraph" for number in range(n_documents)]})
    memo = Memo(tmp_path)
    expected = load_paragraphs(documents, memo=memo)
    assert len(counted) == n_documents == len(memo.keys(load_module.PARAGRAPH_WORDS_KIND))
    pd.testing.assert_frame_equal(load_paragraphs(documents, memo=memo), expected)
    assert len(counted) == n_documents  # every part read back: none counted again


# ------------------------------------------------------------------------------------ layout variants

BASE_BODY = "First real paragraph of the article.\n\nSecond real paragraph, with more words."

LAYOUT_CASES = [
    pytest.param(
        "Current location: home page >> Party building\nParty conduct and clean government construction\n"
        "A title\nTime: August 21, 2018 Author: Wu Yihuo News source: Procuratorial Daily [Font size: large | in | Small\n\n"
        + BASE_BODY,
        dict(layout="procuratorate", section="Party conduct and clean government construction", title="A title",
             date="2018-08-21", author="Wu Yihuo", source="Procuratorial Daily"),
        [],
        id="breadcrumb-section-author-source",
    ),
    pytest.param(
        "Current location: home page >> Party building\nA title\nTime: 2019-03-05 Author: News source: [Font size: large\n\n"
        + BASE_BODY,
        dict(layout="procuratorate", section="Party building", title="A title", date="2019-03-05", author=None, source=None),
        [],
        id="no-section-line-uses-breadcrumb",
    ),
    pytest.param(
        "A title\nTime: 2019-03-05 Author: News source:\n\n" + BASE_BODY,
        dict(layout="procuratorate", section=None, title="A title", date="2019-03-05"),
        ["no section line"],
        id="no-section-no-breadcrumb",
    ),
    pytest.param(
        "Section\nA title\nTime: sometime soon Author: News source:\n\n" + BASE_BODY,
        dict(layout="procuratorate", title="A title", date=None, date_text="sometime soon"),
        ["unparseable date 'sometime soon'"],
        id="unparseable-date",
    ),
    pytest.param(
        "Section\nA title\nTime: Author: News source:\n\n" + BASE_BODY,
        dict(layout="procuratorate", title="A title", date=None, date_text=None),
        ["no date found"],
        id="empty-date",
    ),
    pytest.param(
        "A repost\n- Categories:Party Building\n- Author:Li Si\n- Origin:Procuratorial Daily\n"
        "- Time of issue:2021-09-07 10:11:12\n- Views:3\n(Summary description)First real paragraph of the article.\n"
        "A repost\n(Summary description)First real paragraph of the article.\n- Categories:Party Building\n"
        "- Views:3\n" + BASE_BODY.replace("\n\n", "\n") + "\n(Responsible editor: Wang)\nScan the QR code to read on your phone\n"
        "Relevant information\nAnother related title\nTime of issue : 2022-02-24 13:24:05\nOFFICIAL ACCOUNTS\n",
        dict(layout="repost", section="Party Building", title="A repost", date="2021-09-07", author="Li Si",
             source="Procuratorial Daily", credits="(Responsible editor: Wang)"),
        [],
        id="repost-with-time-and-footer",
    ),
    pytest.param(
        "Just a headline\n\n" + BASE_BODY,
        dict(layout="plain", title="Just a headline", date=None, section=None),
        ["unknown layout"],
        id="plain",
    ),
    pytest.param(
        "Section\nA title\nTime: 21 Aug 2018 Author: News source:\n\n\u00a0 " + BASE_BODY + "\n\n\n\n\nEditor: Zhao\nPicture: Qian",
        dict(layout="procuratorate", date="2018-08-21", credits="Editor: Zhao\nPicture: Qian"),
        [],
        id="day-month-year-nbsp-credits",
    ),
]


@pytest.mark.parametrize("page, expected, warning_fragments", LAYOUT_CASES)
def test_layout_variants(tmp_path, page, expected, warning_fragments):
    (tmp_path / "page.txt").write_text(page, encoding="utf-8")
    corpus = read_corpus(tmp_path)
    row = corpus.documents.iloc[0]
    for column, value in expected.items():
        actual = row[column]
        if column == "date":
            assert (None if pd.isna(actual) else actual) == (None if value is None else pd.Timestamp(value))
        else:
            assert (None if pd.isna(actual) else actual) == value, column
    assert row["body"] == BASE_BODY
    warnings_text = corpus.report.files.loc[0, "warnings"]
    for fragment in warning_fragments:
        assert fragment in warnings_text
    if not warning_fragments:
        assert pd.isna(warnings_text)


# ----------------------------------------------------------------------------------------- bad input

PAGE = "Section\nTitle\nTime: 2020-01-02 Author: News source:\n\nBody paragraph with 检察院 text.\n"

ENCODING_CASES = [
    pytest.param(PAGE.encode("utf-8"), "utf-8", [], id="utf-8"),
    pytest.param(codecs.BOM_UTF8 + PAGE.encode("utf-8"), "utf-8-sig", [], id="utf-8-bom"),
    pytest.param(PAGE.encode("utf-16"), "utf-16", [], id="utf-16-bom"),
    pytest.param(codecs.BOM_UTF16_BE + PAGE.encode("utf-16-be"), "utf-16", [], id="utf-16-be-bom"),
    pytest.param(PAGE.replace("\n", "\r\n").encode("utf-8"), "utf-8", [], id="crlf"),
    pytest.param(PAGE.encode("gb18030"), "gb18030", ["decoded as GB18030"], id="gb18030"),
    pytest.param(PAGE.encode("gbk"), "gb18030", ["decoded as GB18030"], id="gbk"),
]


@pytest.mark.parametrize("data, encoding, warning_fragments", ENCODING_CASES)
def test_encodings(tmp_path, data, encoding, warning_fragments):
    (tmp_path / "page.txt").write_bytes(data)
    corpus = read_corpus(tmp_path)
    row = corpus.documents.iloc[0]
    assert (row["title"], row["date"], row["body"]) == ("Title", pd.Timestamp("2020-01-02"), "Body paragraph with 检察院 text.")
    report = corpus.report.files.iloc[0]
    assert report["encoding"] == encoding
    for fragment in warning_fragments:
        assert fragment in report["warnings"]


SKIP_CASES = [
    pytest.param(b"", "empty file", id="empty"),
    pytest.param(b"  \n\r\n\t ", "empty file", id="whitespace-only"),
    pytest.param("\u200b\u200b\n\u3000\ufeff".encode("utf-8"), "empty file", id="invisible-characters-only"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file", id="binary-nul"),
    pytest.param(bytes(range(1, 32)) * 20, "binary file", id="binary-controls"),
    pytest.param(b"Title\n" + bytes(range(0x80, 0x100)) * 4, "undecodable bytes", id="undecodable"),
    pytest.param(codecs.BOM_UTF8 + b"Title\n\xff\xfe\xfd", "undecodable bytes", id="bad-utf-8-after-bom"),
]


@pytest.mark.parametrize("data, reason", SKIP_CASES)
def test_bad_files_are_skipped_with_reason_and_good_ones_load(tmp_path, data, reason):
    (tmp_path / "a_good.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / "b_bad.txt").write_bytes(data)
    corpus = read_corpus(tmp_path)
    assert corpus.documents["doc_id"].tolist() == ["a_good"]
    files = corpus.report.files.set_index("path")
    assert files.loc["b_bad.txt", "status"] == "skipped"
    assert files.loc["b_bad.txt", "reason"].startswith(reason)
    assert corpus.report.n_skipped == 1
    with pytest.warns(CorpusLoadWarning, match="b_bad.txt"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusLoadError, match="b_bad.txt"):
        read_corpus(tmp_path, strict=True)


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        read_corpus(tmp_path / "no_such_folder")


def test_folder_without_matching_files(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    with pytest.raises(ValueError, match=r"no files match '\*\.txt'"):
        read_corpus(tmp_path)
    assert read_corpus(tmp_path, pattern="*.html").report.n_loaded == 1


def test_recursive_pattern_keeps_relative_paths_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "x.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / "a" / "y.txt").write_text(PAGE, encoding="utf-8")
    documents = read_corpus(tmp_path, pattern="**/*.txt").documents
    assert documents["path"].tolist() == ["a/y.txt", "b/x.txt"]
    assert documents["doc_id"].tolist() == ["a/y", "b/x"]
    assert documents["duplicate_of"].tolist()[1] == "a/y"


def test_identical_bodies_are_flagged_not_dropped(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(PAGE.replace("Title", f"Title {name}"), encoding="utf-8")
    (tmp_path / "d.txt").write_text(PAGE.replace("Body paragraph", "Another paragraph"), encoding="utf-8")
    documents = read_corpus(tmp_path).documents
    assert len(documents) == 4
    assert documents["duplicate_of"].fillna("-").tolist() == ["-", "a", "a", "-"]


def test_a_single_non_table_file_is_refused(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(PAGE, encoding="utf-8")
    with pytest.raises(ValueError, match="must be one of"):
        read_corpus(page)


# ------------------------------------------------------------------------------------------- tables

TABLE_ROWS = [
    {"title": "One", "date": "2020-01-02", "body": "First paragraph.\nSecond paragraph.", "section": "A", "url": "u1"},
    {"title": "Two", "date": "March 3, 2021", "body": "Only paragraph.", "section": "B", "url": "u2"},
    {"title": "Three", "date": "not a date", "body": "Text here.", "section": "B", "url": "u3"},
    {"title": "Four", "date": "", "body": "   ", "section": "C", "url": "u4"},
]


def _write_table(folder: Path, suffix: str) -> Path:
    frame = pd.DataFrame(TABLE_ROWS)
    target = folder / f"articles{suffix}"
    if suffix == ".csv":
        frame.to_csv(target, index=False)
    elif suffix == ".jsonl":
        target.write_text("\n".join(json.dumps(row) for row in TABLE_ROWS) + "\n", encoding="utf-8")
    else:
        frame.to_parquet(target)
    return target


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_table_corpus(tmp_path, suffix):
    corpus = read_corpus(_write_table(tmp_path, suffix))
    documents = corpus.documents
    assert documents["title"].tolist() == ["One", "Two", "Three"]
    assert documents["date"].tolist()[:2] == [pd.Timestamp("2020-01-02"), pd.Timestamp("2021-03-03")]
    assert pd.isna(documents["date"].iloc[2])
    assert documents["body"].iloc[0] == "First paragraph.\n\nSecond paragraph."
    assert documents["url"].tolist() == ["u1", "u2", "u3"]
    assert set(documents["layout"]) == {"table"}
    files = corpus.report.files
    assert len(files) == 4
    assert files["status"].tolist() == ["loaded", "loaded", "loaded", "skipped"]
    assert files["reason"].iloc[3] == "empty body"
    assert "unparseable date 'not a date'" in files["warnings"].iloc[2]


def test_table_without_body_column(tmp_path):
    target = tmp_path / "bad.csv"
    pd.DataFrame({"title": ["x"]}).to_csv(target, index=False)
    with pytest.raises(ValueError, match="needs a 'body' column"):
        read_corpus(target)


def test_unreadable_table(tmp_path):
    target = tmp_path / "bad.parquet"
    target.write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="cannot be read as a parquet table"):
        read_corpus(target)


# -------------------------------------------------------------------------------- property-based

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8"))), min_size=1, max_size=5))
def test_any_bytes_are_loaded_or_skipped_with_a_reason(tmp_path_factory, contents):
    folder = tmp_path_factory.mktemp("fuzz")
    for index, data in enumerate(contents):
        (folder / f"{index:02d}.txt").write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusLoadWarning)
        corpus = read_corpus(folder)
    files = corpus.report.files
    assert files["path"].tolist() == [f"{index:02d}.txt" for index in range(len(contents))]
    assert corpus.report.n_loaded == len(corpus.documents)
    assert files.loc[files["status"] == "skipped", "reason"].notna().all()
    assert set(corpus.documents["doc_id"]) == set(files.loc[files["status"] == "loaded", "doc_id"])
    try:
        read_corpus(folder, strict=True)
    except CorpusLoadError as error:
        assert ".txt" in str(error)
