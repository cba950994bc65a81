"""Table corpora (.csv, .jsonl, .parquet) in the corpus store: cleaned in parts (on every core, or on Dask), stored
as a snapshot once, read back by every later load while the file's bytes are unchanged."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from corpus_utils import read_corpus
from corpus_utils.core import scheduler as scheduler_module
from corpus_utils.input import tables as tables_module
from corpus_utils.input.load import CorpusLoadError
from corpus_utils.input.snapshot import SNAPSHOT_ENV_VAR, SnapshotStore
from corpus_utils.run.runner import plan_run


def _rows(n_pages: int) -> list[dict]:
    """Generated pages as table rows, with what a scraped table holds besides: a repeated id, an empty body, a body
    that is not text, a reposted body, an undated row and two extra columns."""
    from bench.corpus import generate_pages

    rows = [{"id": page.doc_id, "title": page.title, "date": str(page.date) if page.layout != "plain" else "",
             "section": page.section, "body": page.body, "url": f"https://example.org/{page.doc_id}", "clicks": number}
            for number, page in enumerate(generate_pages(n_pages, seed=7))]
    rows[3]["id"] = rows[2]["id"]  # repeated: numbered
    rows[5]["body"] = "   "  # empty: skipped, listed
    rows[8]["body"] = rows[1]["body"]  # a repost: duplicate_of the first
    rows[-1]["id"] = ""  # no id: generated
    return rows


@pytest.fixture()
def table(tmp_path):
    target = tmp_path / "scraped.jsonl"
    rows = _rows(30)
    rows[11]["body"] = ["a", "list"]  # not text: skipped, with the reason
    target.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return target


def _refuse_reading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("read the table although its snapshot holds it")

    monkeypatch.setattr(tables_module._Table, "read", refuse)


def _same(first, second):
    pd.testing.assert_frame_equal(first.documents, second.documents)
    pd.testing.assert_frame_equal(first.report.files, second.report.files)


def test_a_table_is_stored_once_and_read_back_from_its_snapshot(table, tmp_path, monkeypatch):
    in_memory = read_corpus(table, cache=False)
    stored = read_corpus(table, cache=tmp_path / "cache")
    assert in_memory.snapshot is None and stored.snapshot is not None and stored.key
    _same(stored, in_memory)
    _refuse_reading(monkeypatch)
    again = read_corpus(table, cache=tmp_path / "cache")
    _same(again, in_memory)
    assert again.key == stored.key
    skipped = in_memory.report.files.set_index("path").loc[["scraped.jsonl#row6", "scraped.jsonl#row12"], "reason"]
    assert skipped.tolist() == ["empty body", "body is a list, not text"]
    assert list(in_memory.documents.columns[-2:]) == ["url", "clicks"] and in_memory.documents["clicks"].dtype == "int64"


def test_an_edited_table_takes_a_new_snapshot(table, tmp_path):
    first = read_corpus(table, cache=tmp_path / "cache")
    table.write_text(table.read_text(encoding="utf-8").replace("example.org", "example.com", 1), encoding="utf-8")
    edited = read_corpus(table, cache=tmp_path / "cache")
    assert edited.key != first.key and edited.documents["url"].iloc[0] == edited.documents["url"].iloc[0]
    assert edited.documents["url"].iloc[0].startswith("https://example.com/")


@pytest.mark.parametrize("part_rows", [1, 7, 50_000])
def test_a_table_cleaned_in_parts_and_processes_equals_one_pass(table, tmp_path, monkeypatch, part_rows):
    reference = read_corpus(table, cache=False)
    monkeypatch.setattr(tables_module, "STREAM_FILES", part_rows)
    monkeypatch.setattr(scheduler_module, "POOL_MIN_ITEMS", 2)
    monkeypatch.setattr(scheduler_module, "available_cores", lambda: 2)
    pools = []
    real_pool = scheduler_module.process_pool
    monkeypatch.setattr(scheduler_module, "process_pool", lambda jobs, **kwargs: (pools.append(jobs), real_pool(jobs, **kwargs))[1])
    _same(read_corpus(table, cache=False), reference)
    _same(read_corpus(table, cache=tmp_path / f"cache{part_rows}"), reference)
    assert set(pools) == ({2} if part_rows >= 2 else set())  # a part of one row is cleaned here
    duplicates = reference.documents.set_index("path")["duplicate_of"].dropna()
    assert duplicates.to_dict() == {"scraped.jsonl#row9": reference.documents["doc_id"].iloc[1]}  # found across parts


def test_a_table_parquet_cannot_hold_loads_every_row_without_a_snapshot(tmp_path):
    target = tmp_path / "mixed.jsonl"
    rows = _rows(12)
    rows[4]["url"] = {"href": "https://example.org/x"}  # one object among strings: not one Parquet type
    target.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    loaded = read_corpus(target, cache=tmp_path / "cache")
    assert loaded.snapshot is None
    _same(loaded, read_corpus(target, cache=False))
    assert list(SnapshotStore(tmp_path / "cache").folder.iterdir()) == []


def test_strict_loading_of_a_table_raises_at_its_first_skipped_row_and_stores_nothing(table, tmp_path):
    with pytest.raises(CorpusLoadError, match=r"scraped.jsonl#row6 .*empty body"):
        read_corpus(table, strict=True, cache=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_a_small_table_is_stored_only_when_asked_and_a_large_one_by_default(table, tmp_path, monkeypatch):
    monkeypatch.setenv("CORPUS_UTILS_CACHE_DIR", str(tmp_path / "cache"))
    assert read_corpus(table).snapshot is None  # a few kilobytes: reading it is quicker than storing it
    monkeypatch.setattr(tables_module, "TABLE_CACHE_MIN_BYTES", table.stat().st_size)
    assert read_corpus(table).snapshot is not None


def test_the_runner_loads_a_table_once_and_every_notebook_reads_its_snapshot(table, tmp_path, monkeypatch):
    monkeypatch.setenv("CORPUS_UTILS_CACHE_DIR", str(tmp_path / "cache"))
    plan = plan_run(corpus=table, out=tmp_path / "run")
    assert plan.snapshot is not None and plan.loaded_summary[0] == 28  # 30 rows, 2 skipped
    table.write_text(table.read_text(encoding="utf-8").replace("example.org", "example.net"), encoding="utf-8")
    _refuse_reading(monkeypatch)
    monkeypatch.setenv(SNAPSHOT_ENV_VAR, str(plan.snapshot))
    pinned = read_corpus(table)  # what a notebook of the run reads: the table as it was when the run started
    assert pinned.documents["url"].str.startswith("https://example.org/").all()
