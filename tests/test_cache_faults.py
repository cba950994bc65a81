"""The page cache under faults: planted entries never run, damage repairs itself, a dead loader never blocks the next."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import sqlite3
import time

import pytest

from conftest import build_theme_corpus
from corpus_utils.input.cache import CacheWarning, PageCache, content_key
from corpus_utils.input.load import read_corpus


class _Planted:
    """Unpickling this writes a marker file: what an attacker's cache entry would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    build_theme_corpus(folder)
    return folder


def _page_cache_only(cache_folder):
    """Forget the corpus snapshots, so the next load goes through the page cache this module tests."""
    shutil.rmtree(cache_folder / "snapshots", ignore_errors=True)


def _rows(cache_folder):
    with PageCache(cache_folder) as cache:
        cache.get_many([])  # opens it
        return cache.path, dict(sqlite3.connect(cache.path).execute("SELECT key, value FROM pages").fetchall())


def test_a_planted_pickle_never_runs_and_the_entry_is_replaced(corpus, tmp_path):
    cache_folder = tmp_path / "cache"
    expected = read_corpus(corpus, n_jobs=1, cache=cache_folder)
    path, rows = _rows(cache_folder)
    victim = content_key(sorted(corpus.glob("*.txt"))[0].read_bytes())
    marker = tmp_path / "ran"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE pages SET value = ? WHERE key = ?", (pickle.dumps(_Planted(str(marker))), victim))
    _page_cache_only(cache_folder)
    again = read_corpus(corpus, n_jobs=1, cache=cache_folder)
    assert not marker.exists()
    assert again.documents.equals(expected.documents)
    assert _rows(cache_folder)[1][victim] == rows[victim]  # parsed again and stored as JSON


@pytest.mark.parametrize("value", ['["loaded", 1, 2]', '["loaded", "utf-8", [], [1, 2]]', '{"a": 1}', '["skipped"]', "null",
                                   '["loaded", "utf-8", [], ["procuratorate", null, null, "not a date", null, null, null, "b", null, 1, 1]]'])
def test_an_entry_of_the_wrong_shape_is_a_miss(corpus, tmp_path, value):
    cache_folder = tmp_path / "cache"
    expected = read_corpus(corpus, n_jobs=1, cache=cache_folder)
    path, _ = _rows(cache_folder)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE pages SET value = ?", (value,))
    _page_cache_only(cache_folder)
    assert read_corpus(corpus, n_jobs=1, cache=cache_folder).documents.equals(expected.documents)


def test_a_damaged_cache_file_is_started_again(corpus, tmp_path):
    cache_folder = tmp_path / "cache"
    expected = read_corpus(corpus, n_jobs=1, cache=cache_folder)
    path, _ = _rows(cache_folder)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.unlink(f"{path}{suffix}")
    path.write_bytes(b"this is not a database" * 100)
    _page_cache_only(cache_folder)
    assert read_corpus(corpus, n_jobs=1, cache=cache_folder).documents.equals(expected.documents)
    assert len(_rows(cache_folder)[1]) == len(expected.documents)  # repaired and filled again


def test_a_dead_loader_s_forked_workers_do_not_hold_the_lock(tmp_path):
    loader = os.fork()
    if loader == 0:  # the loading process: takes the lock, forks a worker, dies (as when killed) holding it
        try:
            held = PageCache(tmp_path).parsing()
            held.__enter__()  # kept referenced: the lock stays taken until the process dies
            if os.fork() == 0:
                time.sleep(5)  # the worker outlives its parent
        finally:
            os._exit(0)
    os.waitpid(loader, 0)  # the loader only, not its orphaned worker
    start = time.perf_counter()
    with PageCache(tmp_path, lock_timeout=4).parsing():
        waited = time.perf_counter() - start
    assert waited < 1


def _hold(folder: str, ready) -> None:
    with PageCache(folder).parsing():
        ready.set()
        time.sleep(1.5)


def test_waiting_for_the_lock_gives_up_with_a_warning(tmp_path):
    ready = multiprocessing.get_context("fork").Event()
    holder = multiprocessing.get_context("fork").Process(target=_hold, args=(str(tmp_path), ready))
    holder.start()
    try:
        assert ready.wait(10)
        start = time.perf_counter()
        with pytest.warns(CacheWarning, match="held the parse lock"):
            with PageCache(tmp_path, lock_timeout=0.3).parsing():
                waited = time.perf_counter() - start
        assert waited < 3
    finally:
        holder.join(10)
