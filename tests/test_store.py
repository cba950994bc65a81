"""The corpus store and derived data: a loaded folder kept as one Parquet snapshot, read back identical, replaced
when a file or the loader changes, pinned for a whole run; topic fits computed once and read back bit for bit."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp

from conftest import process_ended
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_utils import read_corpus
from corpus_utils.analysis import topics as topics_module
from corpus_utils.analysis.terms import token_stream
from corpus_utils.analysis.topics import fit_topics
from corpus_utils.core import columns as columns_module
from corpus_utils.core.columns import texts_of
from corpus_utils.core.memo import KEEP_ENTRIES, Memo, digest_texts, memo_key
from corpus_utils.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT, SEEDS_DIR
from corpus_utils.input import folders as folders_module
from corpus_utils.input import parsing as parsing_module
from corpus_utils.input.load import load_paragraphs
from corpus_utils.input import snapshot as snapshot_module
from corpus_utils.input.snapshot import SNAPSHOT_ENV_VAR, SnapshotStore
from corpus_utils.run.runner import ingest_corpus, plan_run


@pytest.fixture()
def pages(tmp_path):
    folder = tmp_path / "pages"
    shutil.copytree(SEEDS_DIR, folder)
    (folder / "notes.txt").write_bytes(b"")  # skipped (empty), and listed in the snapshot's report
    return folder


def _no_parsing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("parsed although a snapshot holds the corpus")

    monkeypatch.setattr(folders_module, "parse_all", refuse)
    monkeypatch.setattr(folders_module.PageCache, "get_many", refuse)


def test_a_snapshot_reads_back_the_same_documents_and_report_without_parsing(pages, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = read_corpus(pages, cache=cache)
    assert first.key and first.snapshot is not None and (first.snapshot / "documents.parquet").is_file()
    _no_parsing(monkeypatch)
    again = read_corpus(pages, cache=cache)
    pd.testing.assert_frame_equal(again.documents, first.documents)
    pd.testing.assert_frame_equal(again.report.files, first.report.files)
    assert again.key == first.key and again.report.summary() == first.report.summary()


def test_a_large_snapshot_reads_its_text_into_arrow_buffers_with_the_same_values(pages, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = read_corpus(pages, cache=cache)
    assert first.documents["body"].dtype.storage == "python"  # small: Python strings
    _no_parsing(monkeypatch)
    monkeypatch.setattr(columns_module, "ARROW_TEXT_FROM_BYTES", 1)  # every snapshot counts as large
    again = read_corpus(pages, cache=cache)
    for frame in (again.documents, again.report.files):
        assert {frame[column].dtype.storage for column in frame if isinstance(frame[column].dtype, pd.StringDtype)} == {"pyarrow"}
    pd.testing.assert_frame_equal(again.documents.astype(object), first.documents.astype(object))
    pd.testing.assert_frame_equal(again.report.files.astype(object), first.report.files.astype(object))
    paragraphs, expected = load_paragraphs(again.documents), load_paragraphs(first.documents)
    assert paragraphs["text"].dtype.storage == "pyarrow"
    pd.testing.assert_frame_equal(paragraphs.astype(object), expected.astype(object))
    arrow_stream, python_stream = token_stream(again.documents), token_stream(first.documents)
    assert list(arrow_stream.vocabulary[arrow_stream.ids]) == list(python_stream.vocabulary[python_stream.ids])


def test_an_edited_added_or_removed_file_or_a_new_loader_takes_a_new_snapshot(pages, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    keys = {read_corpus(pages, cache=cache).key}
    page = sorted(pages.glob("0*.txt"))[0]
    page.write_text(page.read_text(encoding="utf-8") + "\n\nAn EDITED closing paragraph.", encoding="utf-8")
    edited = read_corpus(pages, cache=cache)
    assert edited.key not in keys and "EDITED" in "".join(edited.documents["body"])
    keys.add(edited.key)
    (pages / "extra.txt").write_text("A title\nTime: 2020-01-01 Author: News source:\n\nSome words here.", encoding="utf-8")
    keys.add(read_corpus(pages, cache=cache).key)
    (pages / "extra.txt").unlink()
    assert read_corpus(pages, cache=cache).key == edited.key and len(keys) == 3
    monkeypatch.setattr(snapshot_module, "parser_version", lambda: "another-loader")
    assert SnapshotStore(cache).read(edited.key) is None  # a snapshot of another loader version is never served


def test_a_damaged_snapshot_is_a_miss_and_is_replaced(pages, tmp_path):
    cache = tmp_path / "cache"
    first = read_corpus(pages, cache=cache)
    (first.snapshot / "documents.parquet").write_bytes(b"not parquet")
    again = read_corpus(pages, cache=cache)  # the damaged snapshot is a miss: parsed, and stored again
    pd.testing.assert_frame_equal(again.documents, first.documents)
    assert SnapshotStore(cache).read(first.key) is not None


def test_only_the_most_recently_used_snapshots_are_kept(pages, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_module, "KEEP_SNAPSHOTS", 2)
    cache = tmp_path / "cache"
    for number in range(4):
        (pages / "extra.txt").write_text(f"A title\nTime: 2020-01-0{number + 1} Author: News source:\n\nWords {number}.",
                                         encoding="utf-8")
        read_corpus(pages, cache=cache)
    assert len([entry for entry in SnapshotStore(cache).folder.iterdir() if not entry.name.startswith(".")]) == 2


@pytest.fixture()
def parted(tmp_path, monkeypatch):
    """The seeds, a Chinese page, an empty file and, at the end, a copy of the first seed (a duplicate in a later
    part), loaded two files at a time."""
    folder = tmp_path / "parted"
    shutil.copytree(SEEDS_DIR, folder)
    first = sorted(folder.glob("*.txt"))[0]
    (folder / "zz_copy.txt").write_bytes(first.read_bytes())
    (folder / "notes.txt").write_bytes(b"")
    (folder / "zh.txt").write_bytes(next((SEEDS_DIR.parent / "seeds_zh").glob("*.txt")).read_bytes())
    monkeypatch.setattr(folders_module, "STREAM_FILES", 2)
    return folder


def test_a_cold_load_written_part_by_part_equals_loading_everything_at_once(parted, tmp_path, monkeypatch):
    appended = []
    append = snapshot_module.SnapshotWriter.append
    monkeypatch.setattr(snapshot_module.SnapshotWriter, "append", lambda self, part: (appended.append(len(part)), append(self, part))[1])
    at_once = read_corpus(parted, cache=False)
    streamed = read_corpus(parted, cache=tmp_path / "cache")
    assert len(appended) == 4 and sum(appended) == len(at_once.documents) == 7  # 8 files, one skipped
    pd.testing.assert_frame_equal(streamed.documents, at_once.documents)
    pd.testing.assert_frame_equal(streamed.report.files, at_once.report.files)
    assert streamed.documents.set_index("doc_id")["duplicate_of"].dropna().to_dict() == {"zz_copy": sorted(
        path.stem for path in SEEDS_DIR.glob("*.txt"))[0]}  # found across parts
    assert streamed.snapshot is not None and [entry.name for entry in streamed.snapshot.parent.iterdir()] == [streamed.key]


def test_a_cold_load_that_dies_midway_leaves_no_half_snapshot_and_old_leftovers_go(parted, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    finish = folders_module.finish_documents
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the second part
        return finish(*args, **kwargs)

    monkeypatch.setattr(folders_module, "finish_documents", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_corpus(parted, cache=cache)
    store = SnapshotStore(cache)
    assert list(store.folder.iterdir()) == []  # the staging folder went with the load
    leftover = store.folder / ".deadbeef-killed"  # what a killed load leaves: removed once it is a day old
    leftover.mkdir()
    os.utime(leftover, (time.time() - 2 * snapshot_module.STALE_STAGING_SECONDS,) * 2)
    monkeypatch.setattr(folders_module, "finish_documents", finish)
    loaded = read_corpus(parted, cache=cache)
    assert not leftover.exists() and [entry.name for entry in store.folder.iterdir()] == [loaded.key]


@pytest.mark.parametrize("error", [RuntimeError, ValueError])
def test_a_parser_error_in_a_later_part_is_raised_and_no_snapshot_is_left(parted, tmp_path, monkeypatch, error):
    """A bug in the parser is raised as a load of everything at once raises it (a ValueError too, although a
    snapshot that cannot be written is a ValueError the load goes on without)."""
    parse = parsing_module._parse_bytes

    def failing(data: bytes, **options):
        if data == (parted / "zh.txt").read_bytes():  # the seventh of eight files: the fourth part
            raise error("parser bug")
        return parse(data, **options)

    monkeypatch.setattr(parsing_module, "_parse_bytes", failing)
    with pytest.raises(error, match="parser bug"):
        read_corpus(parted, cache=tmp_path / "cache", n_jobs=1)
    assert list(SnapshotStore(tmp_path / "cache").folder.iterdir()) == []


def test_a_cold_load_in_a_pool_parses_the_next_part_while_one_is_written_with_one_pool(parted, tmp_path, monkeypatch):
    """Two processes, four parts: one pool for every part, the second part sent before the first is written, the
    same tables as a load of everything at once, every page in the page cache, and a second load parses nothing."""
    from corpus_utils.input.cache import PageCache

    pools, events = [], []
    real_pool = parsing_module.process_pool
    monkeypatch.setattr(parsing_module, "process_pool", lambda *args, **kwargs: pools.append(args) or real_pool(*args, **kwargs))
    append = snapshot_module.SnapshotWriter.append
    monkeypatch.setattr(snapshot_module.SnapshotWriter, "append", lambda self, part: (events.append("write"), append(self, part))[1])
    sent = folders_module._AheadParser.send
    monkeypatch.setattr(folders_module._AheadParser, "send", lambda self, *args: (events.append("send"), sent(self, *args))[1])
    at_once = read_corpus(parted, cache=False)
    streamed = read_corpus(parted, cache=tmp_path / "cache", n_jobs=2)
    assert len(pools) == 1 and events == ["send", "send", "write", "send", "write", "send", "write", "write"]
    pd.testing.assert_frame_equal(streamed.documents, at_once.documents)
    pd.testing.assert_frame_equal(streamed.report.files, at_once.report.files)
    cache = PageCache(tmp_path / "cache")
    assert len(cache) == 7  # eight files, two of them the same bytes (one key): each content parsed and stored once
    cache.close()
    _no_parsing(monkeypatch)
    pd.testing.assert_frame_equal(read_corpus(parted, cache=tmp_path / "cache", n_jobs=2).documents, at_once.documents)


def test_a_cold_load_whose_pool_cannot_start_parses_here_with_a_warning(parted, tmp_path, monkeypatch):
    def no_processes(*args, **kwargs):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(parsing_module, "process_pool", no_processes)
    with pytest.warns(RuntimeWarning, match="could not parse in 2 processes .*Too many open files.*same results"):
        streamed = read_corpus(parted, cache=tmp_path / "cache", n_jobs=2)
    pd.testing.assert_frame_equal(streamed.documents, read_corpus(parted, cache=False).documents)
    assert streamed.snapshot is not None


def test_a_pool_that_breaks_midway_leaves_the_rest_to_this_process_with_one_warning(parted, tmp_path, monkeypatch):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class BreaksAfterTwoBatches:  # the first part's two batches come back, then a worker "dies"
        submitted = 0

        def submit(self, function, *args):
            future, self.submitted = Future(), self.submitted + 1
            if self.submitted <= 2:
                future.set_result(function(*args))
            else:
                future.set_exception(BrokenProcessPool("a worker died"))
            return future

        def shutdown(self, **options):
            pass

    monkeypatch.setattr(parsing_module, "process_pool", lambda *args, **kwargs: BreaksAfterTwoBatches())
    with pytest.warns(RuntimeWarning, match="a worker died") as caught:
        streamed = read_corpus(parted, cache=tmp_path / "cache", n_jobs=2)
    assert len([warning for warning in caught if "could not parse" in str(warning.message)]) == 1
    pd.testing.assert_frame_equal(streamed.documents, read_corpus(parted, cache=False).documents)


def test_a_cold_load_in_a_pool_stopped_midway_leaves_no_half_snapshot(parted, tmp_path, monkeypatch):
    finish, calls = folders_module.finish_documents, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third part parses
        return finish(*args, **kwargs)

    monkeypatch.setattr(folders_module, "finish_documents", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_corpus(parted, cache=tmp_path / "cache", n_jobs=2)
    assert list(SnapshotStore(tmp_path / "cache").folder.iterdir()) == []
    monkeypatch.setattr(folders_module, "finish_documents", finish)
    loaded = read_corpus(parted, cache=tmp_path / "cache", n_jobs=2)
    assert loaded.snapshot is not None
    pd.testing.assert_frame_equal(loaded.documents, read_corpus(parted, cache=False).documents)


def test_content_keys_read_by_threads_are_those_of_one_thread(parted, monkeypatch):
    """Files that come slowly (not in the system's file cache) are read by threads after the first batch: the same
    keys, an unreadable file without one, as when they come fast and one thread reads them all."""
    from concurrent.futures import ThreadPoolExecutor

    files = sorted(parted.glob("*.txt")) + [parted / "missing.txt"]
    monkeypatch.setattr(folders_module, "THREADED_KEYS_MIN_FILES", 1)
    monkeypatch.setattr(folders_module, "_KEY_BATCH", 3)
    pools = []
    monkeypatch.setattr(folders_module, "ThreadPoolExecutor", lambda **options: pools.append(options) or ThreadPoolExecutor(**options))
    monkeypatch.setattr(folders_module, "COLD_READ_SECONDS", 1e9)  # every batch fast: one thread
    one_thread = folders_module._content_keys(files)
    keys, signatures = one_thread
    assert pools == [] and sorted(keys) == sorted(signatures) == list(range(len(files) - 1))
    assert all(signatures[index] == (file.stat().st_size, file.stat().st_mtime_ns) for index, file in enumerate(files[:-1]))
    monkeypatch.setattr(folders_module, "COLD_READ_SECONDS", -1.0)  # every batch slow: threads after the first
    assert folders_module._content_keys(files) == one_thread and len(pools) == 1


def test_a_snapshot_that_cannot_be_written_still_loads_every_document(parted, tmp_path, monkeypatch):
    def full_disk(self, part):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot_module.SnapshotWriter, "append", full_disk)
    loaded = read_corpus(parted, cache=tmp_path / "cache")
    assert loaded.snapshot is None
    pd.testing.assert_frame_equal(loaded.documents, read_corpus(parted, cache=False).documents)
    assert list(SnapshotStore(tmp_path / "cache").folder.iterdir()) == []


def test_the_runner_loads_once_and_every_notebook_reads_its_snapshot(pages, tmp_path, monkeypatch):
    monkeypatch.setenv("CORPUS_UTILS_CACHE_DIR", str(tmp_path / "cache"))
    plan = plan_run(corpus=pages, out=tmp_path / "run")
    assert plan.snapshot is not None and plan.loaded_summary[0] == 5
    page = sorted(pages.glob("0*.txt"))[0]
    page.write_text(page.read_text(encoding="utf-8") + "\n\nA paragraph added during the run.", encoding="utf-8")
    _no_parsing(monkeypatch)
    monkeypatch.setenv(SNAPSHOT_ENV_VAR, str(plan.snapshot))
    pinned = read_corpus(pages)  # what a notebook of the run reads: the corpus as it was when the run started
    assert "added during the run" not in "".join(pinned.documents["body"])
    monkeypatch.setenv(SNAPSHOT_ENV_VAR, str(plan.snapshot))
    with pytest.raises(AssertionError, match="parsed although"):
        read_corpus(pages, pattern="0*.txt")  # another pattern is another corpus: the pinned snapshot is not used



def test_a_small_corpus_loads_in_the_runner_s_process_a_larger_one_in_its_own_with_the_same_result(pages, monkeypatch):
    import subprocess

    from corpus_utils.run import runner as runner_module

    from corpus_utils.core.scheduler import stage

    started = []
    real_popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kwargs: started.append(command) or real_popen(command, **kwargs))
    with stage("timed earlier in this process"):
        pass
    here = ingest_corpus(pages, "*.txt")
    assert started == []
    monkeypatch.setattr(runner_module, "IN_PROCESS_MAX_FILES", len(list(pages.glob("*.txt"))) - 1)
    apart = ingest_corpus(pages, "*.txt")
    assert len(started) == 1 and "corpus_utils.run.ingest" in started[0]
    for field in ("snapshot", "n_documents", "summary", "languages", "subcorpus", "pretokenise_error", "small_languages"):
        assert getattr(here, field) == getattr(apart, field), field
    assert here.n_documents == 5 and here.input_files.digest() == apart.input_files.digest()
    assert "timed earlier in this process" not in {timed["stage"] for timed in here.stages}  # the ingest's own stages only
    monkeypatch.setattr(runner_module, "IN_PROCESS_MAX_BYTES", 100)
    assert not runner_module._fits_in_process(pages, "*.txt")
    assert runner_module._fits_in_process(pages / "missing.csv", "*.txt") is False  # the loader, apart, says what is wrong


STOPPABLE_LOAD = """
import os, signal, sys, time
from pathlib import Path
folder = Path(sys.argv[1])
def stop(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, stop)
worker = os.fork()
if worker == 0:  # a pool worker that does not stop on its own, as one blocked handing back its result
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(600)
    os._exit(0)
(folder / "worker").write_text(str(worker))
try:
    time.sleep(600)
finally:
    (folder / "cleaned up").write_text("yes")
"""


def test_ctrl_c_while_the_corpus_loads_apart_stops_the_loading_process_and_its_workers(pages, tmp_path, monkeypatch):
    """The loading process runs in a session of its own: the runner asks it to stop (it removes its half-written
    snapshot), then kills what is left of its group, so no pool worker outlives the run."""
    import subprocess

    from corpus_utils.run import runner as runner_module

    monkeypatch.setattr(runner_module, "IN_PROCESS_MAX_FILES", 0)
    real_popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kwargs: real_popen(
        [sys.executable, "-c", STOPPABLE_LOAD, str(tmp_path)], **kwargs))

    def ctrl_c_once_the_worker_runs():
        deadline = time.monotonic() + 60
        while not (tmp_path / "worker").is_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_corpus(pages, "*.txt", meanwhile=ctrl_c_once_the_worker_runs)
    assert (tmp_path / "cleaned up").read_text() == "yes"  # asked to stop, not killed outright
    assert process_ended(int((tmp_path / "worker").read_text()))


def test_a_loading_process_that_dies_is_named_and_the_run_goes_on(pages, tmp_path, monkeypatch, capsys):
    """Killed (out of memory) or failing otherwise, the loading step is a warning with its cause, never silence."""
    import subprocess

    from corpus_utils.run import ingest as ingest_module
    from corpus_utils.run import runner as runner_module
    from corpus_utils.run.runner import IngestFailure

    monkeypatch.setattr(runner_module, "IN_PROCESS_MAX_FILES", 0)  # the seeds would load in the runner's process
    real_popen = subprocess.Popen
    killed = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]  # as the system does when memory runs out
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kwargs: real_popen(killed, **kwargs))
    with pytest.raises(IngestFailure, match="killed by signal 9"):
        ingest_corpus(pages, "*.txt")
    plan = plan_run(corpus=pages, out=tmp_path / "run")
    assert plan.snapshot is None and any("loading the corpus once for the whole run failed" in warning and "signal 9" in warning
                                         for warning in plan.warnings)
    monkeypatch.undo()
    from corpus_utils.input import load as load_module

    monkeypatch.setattr(load_module, "read_corpus", lambda *args, **kwargs: [][1])
    with pytest.raises(IngestFailure, match="IndexError"):  # the loader failing in the runner's own process: the same message
        ingest_corpus(pages, "*.txt")
    monkeypatch.undo()

    for raised, expected in ((MemoryError(), {"crash": "MemoryError: "}),
                             (ValueError("no body column"), {"error": "ValueError: no body column"})):  # the loader's refusal: notebook 01 reports it
        def failing(*args, error=raised, **kwargs):
            raise error

        monkeypatch.setattr(ingest_module, "ingest", failing)
        ingest_module.main([str(pages), "*.txt"])
        assert json.loads(capsys.readouterr().out) == expected


def test_the_ingest_tokenises_a_large_corpus_ahead_and_notebook_02_reads_every_token_back(pages, tmp_path, monkeypatch):
    from corpus_utils.analysis.prepare import prepare_corpus
    from corpus_utils.analysis.terms import token_streams
    from corpus_utils.core import scheduler as scheduler_module
    from corpus_utils.run import ingest as ingest_module
    from corpus_utils.run.runner import _tokenising_values
    from corpus_utils.text import tokenizer as tokenizer_module

    def stages(**options) -> list[str]:
        monkeypatch.setattr(scheduler_module, "_times", [])  # the stages of this ingest only, as in its own process
        found = ingest_module.ingest(str(pages), "*.txt", **options)
        assert "pretokenise_error" not in found
        return [stage["stage"] for stage in found["stages"]]

    monkeypatch.setenv("CORPUS_UTILS_CACHE_DIR", str(tmp_path / "cache"))
    plan = plan_run(corpus=pages, out=tmp_path / "run", parameters=[("MT_NORMALISATION", "True"), ("KEEP_WORDS", '["people"]')])
    values = _tokenising_values(list(plan.notebooks))
    assert values["MT_NORMALISATION"] is True and values["KEEP_WORDS"] == ["people"] and values["LANGUAGE"] == "auto"
    assert "tokenising" not in stages(tokenising=values)  # five documents: below PRETOKENISE_MIN_DOCUMENTS
    monkeypatch.setattr(ingest_module, "PRETOKENISE_MIN_DOCUMENTS", 5)  # the seeds stand for a large corpus
    assert "tokenising" in stages(tokenising=values)
    fresh = prepare_corpus(pages, mt_normalisation=True, keep_words=["people"])  # what notebook 02 prepares
    other = fresh.tokenizer_with(mt_normalisation=False)  # notebook 02's other tokenizer
    assert "prepared.tokenizer_with(mt_normalisation=not MT_NORMALISATION)" in (NOTEBOOKS_DIR / "02_term_frequency.ipynb").read_text()
    expected = token_streams(fresh.documents, [fresh.tokenizer, other])  # no memo: tokenised here
    monkeypatch.setattr(tokenizer_module.Tokenizer, "split", lambda *args: pytest.fail("tokenised again"))
    for read, computed in zip(token_streams(fresh.documents, [fresh.tokenizer, other], memo=fresh.memo), expected):
        assert np.array_equal(read.ids, computed.ids) and read.vocabulary.tolist() == computed.vocabulary.tolist()
    failed = ingest_module.ingest(str(pages), "*.txt", tokenising={**values, "LANGUAGE": "xx"})
    assert "xx" in failed["pretokenise_error"] and failed["n_documents"] == 5  # the run goes on; the notebooks tokenise

# ---------------------------------------------------------------- derived data


def test_memo_stores_arrays_sparse_matrices_and_strings_and_never_objects(tmp_path):
    memo = Memo(tmp_path)
    matrix = sp.random(20, 30, density=0.1, format="csr", random_state=0)
    memo.store("kind", "k1", {"matrix": matrix, "values": np.arange(5.0), "terms": np.asarray(["两个维护", "party"])})
    back = memo.load("kind", "k1")
    assert (back["matrix"] != matrix).nnz == 0 and back["terms"].tolist() == ["两个维护", "party"]
    assert np.array_equal(back["values"], np.arange(5.0)) and memo.load("kind", "missing") is None
    with pytest.raises(TypeError, match="object arrays"):
        memo.store("kind", "k2", {"bad": np.asarray([{"a": 1}], dtype=object)})
    (tmp_path / "kind-k1.npz").write_bytes(b"damaged")
    assert memo.load("kind", "k1") is None


def test_memo_keys_change_with_any_text_or_setting_and_old_entries_go(tmp_path, monkeypatch):
    assert digest_texts(["ab", "c"]) != digest_texts(["a", "bc"])
    assert memo_key(a=1, b="x") == memo_key(b="x", a=1) != memo_key(a=2, b="x")
    memo = Memo(tmp_path)
    for number in range(KEEP_ENTRIES + 3):
        memo.store("kind", f"k{number}", {"x": np.asarray([number])})
    assert len(list(tmp_path.glob("kind-*.npz"))) == KEEP_ENTRIES


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)), max_size=12),
       chunk=st.integers(1, 5), start=st.integers(0, 4), large=st.booleans())
def test_digest_texts_reads_an_arrow_column_as_it_reads_its_strings(texts, chunk, start, large):
    """The digest read from Arrow buffers (chunked, sliced, with missing values) equals the one read string by string."""
    kind = pa.large_string() if large else pa.string()
    chunks = [pa.array(texts[at : at + chunk], type=kind) for at in range(0, len(texts), chunk)] or [pa.array([], type=kind)]
    column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=kind))).iloc[start:]
    plain = ["" if text is None else text for text in texts[start:]]
    assert digest_texts(texts_of(column)) == digest_texts(plain)
    if plain:
        assert digest_texts(texts_of(column)) != digest_texts(plain[:-1] + [plain[-1] + "x"])


def test_memo_keys_change_with_the_code_that_computes_and_not_with_the_report_or_runner(tmp_path, monkeypatch):
    """A stored entry made by other code (an older version, an edited module) is never read back: the silhouettes of
    a fixed clustering kept the old scores after the clustering code changed."""
    from corpus_utils.core import memo as memo_module

    package = tmp_path / "package"
    for layer in ("core", "input", "text", "analysis", "report", "run"):
        (package / layer / "sub").mkdir(parents=True)
        (package / layer / "sub" / "module.py").write_text(f"# {layer}\n", encoding="utf-8")
    original = memo_module.code_version(package)
    (package / "report" / "sub" / "module.py").write_text("# report, edited\n", encoding="utf-8")
    (package / "run" / "new.py").write_text("# a new runner module\n", encoding="utf-8")
    assert memo_module.code_version.__wrapped__(package) == original
    for layer in ("core", "input", "text", "analysis"):
        edited = package / layer / "sub" / "module.py"
        kept = edited.read_text(encoding="utf-8")
        edited.write_text(kept + "# edited\n", encoding="utf-8")
        assert memo_module.code_version.__wrapped__(package) != original, layer
        edited.write_text(kept, encoding="utf-8")
    (package / "analysis" / "sub" / "module.py").rename(package / "analysis" / "moved.py")  # the same source elsewhere
    assert memo_module.code_version.__wrapped__(package) != original
    key = memo_key(a=1)
    monkeypatch.setattr(memo_module, "code_version", lambda: "another version")
    assert memo_key(a=1) != key


def test_a_topic_fit_is_computed_once_and_read_back_identical(tmp_path, monkeypatch):
    texts = read_corpus(SEEDS_DIR).documents["body"].tolist()
    memo = Memo(tmp_path)
    fitted = fit_topics(texts, n_topics=3, min_df=1, memo=memo)
    monkeypatch.setattr(topics_module, "_fit_factors", lambda *a, **k: (_ for _ in ()).throw(AssertionError("refitted")))
    again = fit_topics(texts, n_topics=3, min_df=1, n_top_terms=4, memo=memo)
    assert np.array_equal(again.doc_topic, fitted.doc_topic) and np.array_equal(again.components, fitted.components)
    assert (again.matrix != fitted.matrix).nnz == 0 and list(again.terms) == list(fitted.terms)
    assert again.labels == fitted.labels and len(again.topic_terms) == 3 * 4
    with pytest.raises(AssertionError, match="refitted"):
        fit_topics(texts[:-1], n_topics=3, min_df=1, memo=memo)  # other texts: fitted afresh
    with pytest.raises(AssertionError, match="refitted"):
        fit_topics(texts, n_topics=2, min_df=1, memo=memo)  # another setting: fitted afresh


def test_a_corpus_the_loader_rejects_leaves_the_report_to_the_notebooks(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("title,text\nA,no body column here\n", encoding="utf-8")
    assert ingest_corpus(table, "*.txt") is None
    assert plan_run(corpus=table, out=tmp_path / "run").snapshot is None


def test_the_runner_runs_fewer_notebooks_at_once_when_the_corpus_is_large_for_the_memory(pages, tmp_path):
    from corpus_utils.input.snapshot import snapshot_table_bytes
    from corpus_utils.run.budget import HEADROOM_SHARE, KERNEL_MEMORY, MARGIN, MemoryBudget, notebooks_that_fit

    loaded = read_corpus(pages, cache=tmp_path / "cache")
    table = snapshot_table_bytes(loaded.snapshot)
    assert table > sum(loaded.documents["body"].str.len())  # at least the bodies' characters (ASCII here)
    names = list(KERNEL_MEMORY)
    needs = sorted(MemoryBudget(available=0, table_bytes=table).need(name) for name in names)
    base, per_byte = KERNEL_MEMORY["01_corpus_overview"]
    assert needs[0] == int(MARGIN * (base * 2**20 + per_byte * table)) < needs[-1]  # 01 is the lightest
    assert MemoryBudget(available=0, table_bytes=table).need("99_mine.zh") >= needs[-1]  # a notebook of one's own
    pair = needs[-1] + needs[-2]
    assert notebooks_that_fit(2, loaded.snapshot, names, available=pair, total=0) == (2, [], None)
    assert notebooks_that_fit(4, None, names, available=1) == (4, [], None)  # no snapshot: nothing to measure
    # the same memory, less the headroom side by side notebooks leave to the file cache: the heaviest run apart
    jobs, notes, budget = notebooks_that_fit(2, loaded.snapshot, names, available=pair, total=int(1 / HEADROOM_SHARE))
    assert jobs == 2 and "the heaviest run apart" in notes[0] and budget.shared == pair - 1
    assert budget.fits(names[0], []) and not budget.fits(max(names, key=budget.need), [sorted(names, key=budget.need)[-2]])
    jobs, notes, budget = notebooks_that_fit(4, loaded.snapshot, names, available=needs[0] + needs[1], total=0)
    assert jobs == 2 and "at most 2 at once instead of 4" in notes[0] and "--jobs" in notes[0]
    assert budget.available == needs[0] + needs[1] and budget.table_bytes == table
    jobs, notes, budget = notebooks_that_fit(2, loaded.snapshot, names, available=needs[0] - 1, total=0)
    assert jobs == 1 and "may run out of memory even alone" in notes[-1] and "subcorpus" in notes[-1]
    assert notebooks_that_fit(1, loaded.snapshot, names, available=needs[0] - 1, total=0)[1] == notes[-1:]  # one core
    assert snapshot_table_bytes(tmp_path / "nowhere") is None


def test_a_pinned_snapshot_of_another_loader_version_is_not_read_and_the_notebook_says_so(pages, tmp_path, monkeypatch):
    monkeypatch.setenv("CORPUS_UTILS_CACHE_DIR", str(tmp_path / "cache"))
    plan = plan_run(corpus=pages, out=tmp_path / "run")
    meta_file = plan.snapshot / "snapshot.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta_file.write_text(json.dumps({**meta, "parser_version": "the loader of before"}), encoding="utf-8")
    monkeypatch.setenv(SNAPSHOT_ENV_VAR, str(plan.snapshot))
    with pytest.warns(UserWarning, match="another version of the loader .* loads the corpus again"):
        loaded = read_corpus(pages)
    assert len(loaded.documents) == 5


ORPHANED_LOAD = """
import os, signal, sys, time
from pathlib import Path
from corpus_utils.run.ingest import _stop_as_on_ctrl_c, stop_when_orphaned
folder = Path(sys.argv[1])
def tell(name, text):  # whole or not at all: the test reads the file as soon as it appears
    (folder / (name + ".part")).write_text(text)
    os.replace(folder / (name + ".part"), folder / name)
signal.signal(signal.SIGTERM, _stop_as_on_ctrl_c)
set_up = stop_when_orphaned(int(sys.argv[2]))
tell("loading", str(set_up))
try:
    time.sleep(120)
except KeyboardInterrupt:
    tell("stopped", "yes")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_a_loading_process_whose_runner_was_killed_stops_itself(tmp_path):
    """The runner killed outright (SIGKILL, out of memory) cannot stop the load it started in a session of its own:
    the loading process notices its parent's death and stops as if asked (removing its half-written snapshot)."""
    import subprocess

    runner = subprocess.Popen([sys.executable, "-c", "import os, subprocess, sys, time\n"
                               f"subprocess.Popen([sys.executable, '-c', {ORPHANED_LOAD!r}, {str(tmp_path)!r}, str(os.getpid())],"
                               " start_new_session=True)\ntime.sleep(120)"], cwd=str(PROJECT_ROOT))
    deadline = time.monotonic() + 60
    while not (tmp_path / "loading").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "loading").read_text() == "True"
    runner.kill()
    runner.wait()
    deadline = time.monotonic() + 10
    while not (tmp_path / "stopped").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "stopped").read_text() == "yes"
