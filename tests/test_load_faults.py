"""Nothing lost, nothing garbled: every bad input a scraped corpus holds gets a report row or a clear error.

Each case checks the report row (status, reason or warning), the message, and that the other documents
of the corpus load unchanged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_utils.input.load import read_corpus

PAGE = "Section\nA title\nTime: {date} Author: News source:\n\nFirst paragraph of the article.\n\nSecond paragraph here."
GOOD = PAGE.format(date="2020-05-06")


def _folder(tmp_path: Path, pages: dict[str, str]) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _good_document_unchanged(corpus, doc_id="good"):
    row = corpus.documents.set_index("doc_id").loc[doc_id]
    assert row["title"] == "A title" and row["date"] == pd.Timestamp("2020-05-06")
    assert row["body"] == "First paragraph of the article.\n\nSecond paragraph here."


# ------------------------------------------------------------------------------- 1. dates out of range


@pytest.mark.parametrize("date", ["9999-01-01", "0001-01-01", "1677-01-01", "2263-01-01"])
def test_a_page_with_a_date_pandas_cannot_hold_loads_undated_with_a_warning(tmp_path, date):
    corpus = read_corpus(_folder(tmp_path, {"good.txt": GOOD, "odd.txt": PAGE.format(date=date)}))
    odd = corpus.documents.set_index("doc_id").loc["odd"]
    assert pd.isna(odd["date"]) and odd["date_text"] == date
    warning = corpus.report.files.set_index("path").loc["odd.txt", "warnings"]
    assert f"date {date!r} is outside the dates pandas can hold" in warning
    _good_document_unchanged(corpus)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_a_table_row_with_a_date_pandas_cannot_hold_loads_undated(tmp_path, suffix):
    rows = [{"doc_id": "good", "title": "A title", "date": "2020-05-06", "body": "First paragraph of the article.\nSecond paragraph here."},
            {"doc_id": "odd", "title": "Odd", "date": "9999-12-31", "body": "Text."}]
    target = tmp_path / f"table{suffix}"
    frame = pd.DataFrame(rows)
    if suffix == ".csv":
        frame.to_csv(target, index=False)
    elif suffix == ".jsonl":
        target.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    else:
        import datetime

        import pyarrow as pa
        import pyarrow.parquet as pq

        dates = pa.array([datetime.datetime(2020, 5, 6), datetime.datetime(9999, 12, 31)], pa.timestamp("us"))
        pq.write_table(pa.Table.from_pandas(frame.drop(columns="date"), preserve_index=False).append_column("date", dates), target)
    corpus = read_corpus(target)
    assert pd.isna(corpus.documents.set_index("doc_id").loc["odd", "date"])
    assert "outside the dates pandas can hold" in corpus.report.files["warnings"].iloc[1]
    _good_document_unchanged(corpus)


# ------------------------------------------------- 2 and 6. tables that cannot be read whole: errors naming the place


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("shifted.csv", "doc_id,title,body\na1,T1,Body one,EXTRA\na2,T2,Body two\n", r"shifted\.csv: line 2 has 4 fields but the header has 3"),
        ("ragged.csv", "doc_id,title,body\na1,T1,Body one\na2,T2,Body two,EXTRA\n", r"ragged\.csv: line 3 has 4 fields but the header has 3"),
        ("empty.csv", "doc_id,title,body\n", r"empty\.csv: the table has a header but no rows"),
        ("articles.jsonl", '{"body": "a"}\n{"body": "b"}\n{bad json}\n', r"articles\.jsonl: line 3 is not valid JSON"),
        ("list.jsonl", '{"body": "a"}\n["not", "an", "object"]\n', r"list\.jsonl: line 2 is not valid JSON \(a list, not an object\)"),
    ],
    ids=["first-row-wider", "later-row-wider", "header-only", "bad-json-line", "json-line-not-an-object"],
)
def test_a_table_that_cannot_be_read_whole_is_an_error_naming_file_and_line(tmp_path, name, content, message):
    target = tmp_path / name
    target.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_corpus(target)


# ---------------------------------------------------------------------------------- 3. missing bodies


def test_null_and_missing_bodies_are_skipped_as_empty_never_nan(tmp_path):
    target = tmp_path / "articles.jsonl"
    lines = [{"doc_id": "good", "title": "A title", "date": "2020-05-06", "body": "First paragraph of the article.\nSecond paragraph here."},
             {"doc_id": "null", "title": "Null", "body": None}, {"doc_id": "missing", "title": "Missing"}]
    target.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    corpus = read_corpus(target)
    assert corpus.documents["doc_id"].tolist() == ["good"]
    assert "nan" not in " ".join(corpus.documents["body"])
    files = corpus.report.files.set_index("doc_id")
    assert files.loc["null", "reason"] == files.loc["missing", "reason"] == "empty body"
    _good_document_unchanged(corpus)


def test_a_parquet_nan_body_is_skipped_as_empty(tmp_path):
    target = tmp_path / "articles.parquet"
    pd.DataFrame({"doc_id": ["good", "nan"], "title": ["A title", "N"], "date": ["2020-05-06", None],
                  "body": ["First paragraph of the article.\nSecond paragraph here.", float("nan")]}).to_parquet(target)
    corpus = read_corpus(target)
    assert corpus.documents["doc_id"].tolist() == ["good"]
    assert corpus.report.files.set_index("doc_id").loc["nan", "reason"] == "empty body"


@pytest.mark.parametrize(("body", "kind"), [(["a", "b"], "list"), ({"text": "a"}, "dict"), (True, "bool"), (7, "int")])
def test_a_body_that_is_not_text_is_skipped_with_its_kind(tmp_path, body, kind):
    target = tmp_path / "articles.jsonl"
    lines = [{"doc_id": "good", "title": "A title", "date": "2020-05-06", "body": "First paragraph of the article.\nSecond paragraph here."},
             {"doc_id": "odd", "title": "Odd", "body": body}]
    target.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    corpus = read_corpus(target)
    assert corpus.report.files.set_index("doc_id").loc["odd", "reason"] == f"body is a {kind}, not text"
    _good_document_unchanged(corpus)


# ------------------------------------------------------------------------------ 5. not regular files


def test_links_fifos_and_folders_are_listed_with_a_reason_and_never_opened(tmp_path):
    folder = _folder(tmp_path, {"good.txt": GOOD})
    (folder / "broken.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would block forever
    (folder / "folder.txt").mkdir()
    (folder / "link.txt").symlink_to(folder / "good.txt")  # a link to a regular file is read
    corpus = read_corpus(folder)
    files = corpus.report.files.set_index("path")
    assert sorted(files.index) == ["broken.txt", "folder.txt", "good.txt", "link.txt", "loop.txt", "pipe.txt"]
    assert files.loc["broken.txt", "reason"] == "broken link: its target does not exist"
    assert files.loc["loop.txt", "reason"] == "link loop: the link points back to itself"
    assert files.loc["pipe.txt", "reason"] == "not a regular file (FIFO); never opened"
    assert files.loc["folder.txt", "reason"] == "a folder, not a file"
    assert set(files.loc[["good.txt", "link.txt"], "status"]) == {"loaded"}
    _good_document_unchanged(corpus)


def test_a_folder_holding_only_a_broken_link_lists_it(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "broken.txt").symlink_to(folder / "nowhere.txt")
    corpus = read_corpus(folder)
    assert corpus.report.files["reason"].tolist() == ["broken link: its target does not exist"]
    assert corpus.documents.empty


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads every folder; permissions cannot be tested")
def test_an_unreadable_subfolder_is_listed(tmp_path):
    folder = _folder(tmp_path, {"good.txt": GOOD})
    locked = folder / "locked"
    locked.mkdir()
    (locked / "page.txt").write_text(GOOD, encoding="utf-8")
    locked.chmod(0)
    try:
        corpus = read_corpus(folder, pattern="**/*.txt")
    finally:
        locked.chmod(0o755)
    assert "unreadable folder" in corpus.report.files.set_index("path").loc["locked", "reason"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(["page", "empty", "broken", "fifo", "folder", "link", "binary"]), min_size=1, max_size=8))
def test_every_matching_path_is_in_the_report_exactly_once(tmp_path_factory, kinds):
    folder = tmp_path_factory.mktemp("any")
    (folder / "target.dat").write_text(GOOD, encoding="utf-8")
    for index, kind in enumerate(kinds):
        path = folder / f"{index:02d}.txt"
        if kind == "page":
            path.write_text(GOOD, encoding="utf-8")
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "binary":
            path.write_bytes(bytes(range(256)))
        elif kind == "broken":
            path.symlink_to(folder / "missing.dat")
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "folder":
            path.mkdir()
        else:
            path.symlink_to(folder / "target.dat")
    corpus = read_corpus(folder)
    assert corpus.report.files["path"].tolist() == [f"{index:02d}.txt" for index in range(len(kinds))]
    assert corpus.report.files["reason"].notna().sum() == sum(kind not in ("page", "link") for kind in kinds)


# ----------------------------------------------------------------------------------- 6. table edges


def test_columns_the_loader_writes_are_kept_under_another_name(tmp_path):
    target = tmp_path / "articles.csv"
    pd.DataFrame({"doc_id": ["good"], "title": ["A title"], "date": ["2020-05-06"], "path": ["/scraped/a.html"],
                  "n_words": ["999"], "layout": ["wide"], "duplicate_of": ["x"],
                  "body": ["First paragraph of the article.\nSecond paragraph here."]}).to_csv(target, index=False)
    corpus = read_corpus(target)
    row = corpus.documents.iloc[0]
    assert row["extra_path"] == "/scraped/a.html" and row["extra_n_words"] == "999"
    assert row["extra_layout"] == "wide" and row["extra_duplicate_of"] == "x"
    assert row["n_words"] == 8 and row["layout"] == "table" and row["path"] == "articles.csv#row1"
    assert "columns path, n_words, layout, duplicate_of kept as extra_path, extra_n_words, extra_layout, extra_duplicate_of" in \
        corpus.report.files["warnings"].iloc[0]


def test_repeated_and_empty_ids_are_made_unique_with_a_warning(tmp_path):
    target = tmp_path / "articles.csv"
    bodies = [f"Paragraph number {index} of its article." for index in range(5)]
    pd.DataFrame({"doc_id": ["a", "a", "", "a", "b"], "title": list("VWXYZ"), "body": bodies}).to_csv(target, index=False)
    corpus = read_corpus(target)
    assert corpus.documents["doc_id"].tolist() == ["a", "a~2", "articles-000002", "a~3", "b"]
    warnings = corpus.report.files["warnings"].fillna("").tolist()
    assert "doc_id 'a' repeated: this row is 'a~2'" in warnings[1]
    assert "empty doc_id: this row is 'articles-000002'" in warnings[2]
    assert corpus.documents["doc_id"].is_unique


def test_a_table_without_a_date_column_does_not_warn_on_every_row(tmp_path):
    target = tmp_path / "undated.csv"
    pd.DataFrame({"title": ["A", "B"], "body": ["Some text here.", "Other text here."]}).to_csv(target, index=False)
    corpus = read_corpus(target)
    assert corpus.report.files["warnings"].isna().all()
    assert corpus.documents["date"].isna().all()


# ------------------------------------------------------------------------------------- 4. encodings

BIG5_PAGE = ("當前位置：首頁 >> 黨風廉政\n檢察院召開黨風廉政建設會議\n時間：2022-02-08\n\n"
             "會議強調，要增強「四個意識」，堅定「四個自信」，做到「兩個維護」。\n\n全體幹警參加會議，檢察長作總結講話。")
SJIS_PAGE = "検察庁の会議\n\n" + "検察庁の会議が開催されました。全職員が参加し、規律の強化について議論しました。" * 3
LATIN_PAGE = ("Rapport annuel\n\nLe procureur a présenté le rapport annuel. Les élèves et les employés ont participé "
              "à la réunion; la façade du bâtiment était rénovée.\n\nÜber die Ergebnisse wurde später berichtet.")
GB_PAGE = "当前位置：首页 >> 党风廉政\n检察院召开党风廉政建设会议\n\n会议强调，要增强“四个意识”，坚定“四个自信”，做到“两个维护”。全体干警参加会议。"


@pytest.mark.parametrize(
    ("text", "encoding", "recorded", "note"),
    [(BIG5_PAGE, "big5", "big5", "decoded as big5"), (SJIS_PAGE, "shift_jis", "cp932", "decoded as cp932"),
     (LATIN_PAGE, "latin-1", "cp1252", "decoded as cp1252"), (GB_PAGE, "gb18030", "gb18030", "decoded as GB18030 (not UTF-8)"),
     (LATIN_PAGE, "utf-16-le", "utf_16_le", "no byte-order mark: detected as utf-16-le")],
    ids=["big5", "shift-jis", "latin-1", "gb18030", "utf-16-without-bom"],
)
def test_pages_in_other_encodings_are_detected_not_garbled(tmp_path, text, encoding, recorded, note):
    folder = _folder(tmp_path, {"good.txt": GOOD})
    (folder / "other.txt").write_bytes(text.encode(encoding))
    corpus = read_corpus(folder)
    row = corpus.report.files.set_index("path").loc["other.txt"]
    assert row["status"] == "loaded" and row["encoding"] == recorded
    assert note in row["warnings"] and "charset-normalizer, chaos" in row["warnings"]
    body = corpus.documents.set_index("doc_id").loc["other", "body"]
    assert body.split("\n\n")[-1] == text.split("\n\n")[-1]  # the text itself, not a mis-decoding of it
    _good_document_unchanged(corpus)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(bytes(range(0x80, 0x100)) * 8, "undecodable bytes: not UTF-8 and no encoding gives readable text"),
     (b"abc \x80\x80", "all fit but read differently"),
     (bytes(range(256)) * 8, "binary file: it contains NUL bytes and is not UTF-16 or UTF-32")],
    ids=["noise", "ambiguous", "binary"],
)
def test_bytes_no_encoding_reads_are_skipped_naming_the_guess(tmp_path, data, reason):
    folder = _folder(tmp_path, {"good.txt": GOOD})
    (folder / "odd.txt").write_bytes(data)
    corpus = read_corpus(folder)
    row = corpus.report.files.set_index("path").loc["odd.txt"]
    assert row["status"] == "skipped" and reason in row["reason"]
    _good_document_unchanged(corpus)
