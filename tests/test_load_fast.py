"""The loader's fast paths (process pool, content cache) give exactly what the simple sequential path gives."""

from __future__ import annotations

import codecs
import hashlib
import multiprocessing
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import build_theme_corpus

import corpus_utils.input.folders as folders_module
import corpus_utils.input.parsing as parsing_module
from corpus_utils.input.cache import CACHE_ENV_VAR, CacheWarning, PageCache, content_key, parser_version
from corpus_utils.input.load import CorpusLoadError, read_corpus

PLAIN_PAGE = "A page without any header\n\nIt has one paragraph about the two safeguards.\n"
PROCURATORATE_PAGE = (
    "Party building\nBranch work in the new era\nTime: March 3, 2021 Author: News source: [Font size: large | in | Small\n\n"
    "The branch held three meetings and one lesson.\n\nEditor: Wang Li\n"
)


def _mixed_corpus(folder: Path) -> Path:
    """The 12-page theme corpus plus every kind of awkward file, one of them in a sub-folder."""
    build_theme_corpus(folder)
    (folder / "sub").mkdir()
    (folder / "sub" / "nested.txt").write_text(PROCURATORATE_PAGE, encoding="utf-8")
    (folder / "aa_empty.txt").write_bytes(b"   \n")
    (folder / "ab_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (folder / "ac_gb18030.txt").write_bytes(PROCURATORATE_PAGE.replace("Branch", "支部 Branch").encode("gb18030"))
    (folder / "ad_utf16.txt").write_bytes(codecs.BOM_UTF16_LE + PLAIN_PAGE.encode("utf-16-le"))
    (folder / "ae_crlf_bom.txt").write_bytes(codecs.BOM_UTF8 + PROCURATORATE_PAGE.replace("\n", "\r\n").encode("utf-8"))
    (folder / "af_duplicate.txt").write_text(PROCURATORATE_PAGE.replace("Branch work", "Reposted: branch work"), encoding="utf-8")
    (folder / "ag_plain.txt").write_text(PLAIN_PAGE, encoding="utf-8")
    return folder


def _assert_same(expected, actual) -> None:
    pd.testing.assert_frame_equal(expected.documents, actual.documents)
    pd.testing.assert_frame_equal(expected.report.files, actual.report.files)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Path, object]:
    folder = _mixed_corpus(tmp_path_factory.mktemp("mixed") / "corpus")
    return folder, read_corpus(folder, pattern="**/*.txt", n_jobs=1, cache=False)


def test_the_simple_path_reads_every_kind_of_file(mixed):
    _, simple = mixed
    assert simple.report.n_loaded == 18 and simple.report.n_skipped == 2
    assert set(simple.documents["layout"]) == {"procuratorate", "repost", "plain"}
    assert simple.documents["duplicate_of"].notna().sum() >= 1  # same body under another header


@pytest.mark.parametrize(
    ("n_jobs", "cached"),
    [(2, False), (1, True), (2, True)],
    ids=["pool", "cache", "pool+cache"],
)
def test_fast_paths_give_the_same_documents_and_report(mixed, tmp_path, n_jobs, cached):
    folder, simple = mixed
    cache = tmp_path / "cache" if cached else False
    cold = read_corpus(folder, pattern="**/*.txt", n_jobs=n_jobs, cache=cache)
    _assert_same(simple, cold)
    if cached:
        warm = read_corpus(folder, pattern="**/*.txt", n_jobs=n_jobs, cache=cache)
        _assert_same(simple, warm)
        with PageCache(cache) as page_cache:
            assert len(page_cache) == 20  # one entry per distinct file content, skipped files included


def test_a_warm_cache_skips_parsing_and_misses_only_changed_files(tmp_path, monkeypatch):
    folder = tmp_path / "corpus"
    build_theme_corpus(folder)
    cache = tmp_path / "cache"
    expected = read_corpus(folder, n_jobs=1, cache=cache)
    calls: list[str] = []
    real_parse = parsing_module.parse_page
    monkeypatch.setattr(parsing_module, "parse_page", lambda text: calls.append(text) or real_parse(text))
    _assert_same(expected, read_corpus(folder, n_jobs=1, cache=cache))
    assert calls == []  # nothing parsed: every page came from the cache

    first = sorted(folder.glob("*.txt"))[0]
    first.rename(folder / "zz_renamed.txt")  # same bytes, new name: still a hit
    renamed = read_corpus(folder, n_jobs=1, cache=cache)
    assert calls == [] and "zz_renamed" in set(renamed.documents["doc_id"])

    edited = sorted(folder.glob("*.txt"))[1]
    head, dot, tail = edited.read_text(encoding="utf-8").rpartition(".")  # the last sentence of the article
    edited.write_text(f"{head} the edited{dot}{tail}", encoding="utf-8")
    again = read_corpus(folder, n_jobs=1, cache=cache)
    assert len(calls) == 1  # only the edited page was parsed
    assert "the edited" in again.documents.set_index("doc_id").loc[edited.stem, "body"]


def test_cache_is_keyed_by_sha256_and_parser_version(tmp_path):
    data = b"some page bytes"
    assert content_key(data) == hashlib.sha256(data).hexdigest()
    with PageCache(tmp_path) as page_cache:
        assert page_cache.path.name == f"pages-{parser_version()}.sqlite"
        page_cache.put_many([(content_key(data), ["skipped", "why"])])
        assert page_cache.get_many([content_key(data), content_key(b"other")]) == {content_key(data): ["skipped", "why"]}
    stale = tmp_path / "pages-0123456789abcdef.sqlite"
    stale.write_bytes(b"")
    with PageCache(tmp_path) as page_cache:
        assert len(page_cache) == 1
    assert not stale.exists()  # caches of other parser versions are removed


def _hold_parse_lock(folder: str, seconds: float, ready) -> None:
    with PageCache(folder).parsing():
        ready.set()
        time.sleep(seconds)


def test_a_second_process_waits_while_the_first_parses(tmp_path):
    ready = multiprocessing.get_context("fork").Event()
    holder = multiprocessing.get_context("fork").Process(target=_hold_parse_lock, args=(str(tmp_path), 1.0, ready))
    holder.start()
    try:
        assert ready.wait(10)
        start = time.perf_counter()
        with PageCache(tmp_path).parsing():
            waited = time.perf_counter() - start
    finally:
        holder.join(10)
    assert waited > 0.5  # the lock was held by the other process until it finished


def test_an_unusable_cache_warns_and_loads_anyway(mixed, tmp_path):
    folder, simple = mixed
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    with pytest.warns(CacheWarning, match="could not be opened"):
        result = read_corpus(folder, pattern="**/*.txt", n_jobs=1, cache=blocker)
    _assert_same(simple, result)


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_both_ways_of_starting_workers_give_the_same_result(mixed, monkeypatch, method):
    # fork in a single-threaded script; forkserver where threads run (a Jupyter kernel)
    folder, simple = mixed
    monkeypatch.setattr(parsing_module, "_start_method", lambda: method)
    _assert_same(simple, read_corpus(folder, pattern="**/*.txt", n_jobs=2, cache=False))


def test_strict_loading_raises_the_same_first_error_in_parallel(tmp_path):
    folder = tmp_path / "corpus"
    build_theme_corpus(folder)
    (folder / "005_zempty.txt").write_bytes(b"")
    (folder / "009_zbinary.txt").write_bytes(b"\x00\x01")
    messages = []
    for n_jobs in (1, 2):
        with pytest.raises(CorpusLoadError) as error:
            read_corpus(folder, strict=True, n_jobs=n_jobs, cache=False)
        messages.append(str(error.value))
    assert messages[0] == messages[1] and "005_zempty.txt" in messages[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": -1}, "n_jobs"),
        ({"n_jobs": 1.5}, "n_jobs"),
        ({"n_jobs": True}, "n_jobs"),
        ({"cache": 3}, "cache"),
    ],
)
def test_bad_options_are_refused(tmp_path, options, message):
    build_theme_corpus(tmp_path / "corpus", per_theme=1)
    with pytest.raises(ValueError, match=message):
        read_corpus(tmp_path / "corpus", **options)


def test_automatic_mode_uses_pool_and_cache_only_for_large_folders(mixed, tmp_path, monkeypatch):
    folder, simple = mixed
    cache_dir = tmp_path / "default-cache"
    monkeypatch.setenv(CACHE_ENV_VAR, str(cache_dir))
    _assert_same(simple, read_corpus(folder, pattern="**/*.txt"))
    assert not cache_dir.exists()  # 20 files: below CACHE_MIN_FILES, nothing cached

    pools: list[int] = []
    real_pool = parsing_module._parse_in_pool
    monkeypatch.setattr(parsing_module, "_parse_in_pool", lambda paths, jobs, *rest: pools.append(jobs) or real_pool(paths, jobs, *rest))
    monkeypatch.setattr(folders_module, "CACHE_MIN_FILES", 10)
    monkeypatch.setattr(parsing_module, "PARALLEL_MIN_FILES", 10)
    monkeypatch.setattr(parsing_module, "_available_cores", lambda: 2)
    _assert_same(simple, read_corpus(folder, pattern="**/*.txt"))
    assert pools == [2]
    assert (cache_dir / f"pages-{parser_version()}.sqlite").exists()
    _assert_same(simple, read_corpus(folder, pattern="**/*.txt"))
    assert pools == [2]  # second load: every page from the cache, no pool started


@pytest.mark.parametrize("size", [0, 1, 4_096, (1 << 20) - 1, 1 << 20, (1 << 20) + 7, 3 << 20])
def test_read_bytes_gives_what_pathlib_gives(tmp_path, size):
    """The loader's reader (one ``os.read`` per MiB) returns every byte, at and around its chunk size."""
    from corpus_utils.core.files import read_bytes

    target = tmp_path / "page.txt"
    target.write_bytes(np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes())
    assert read_bytes(target) == target.read_bytes()


def test_read_bytes_raises_what_pathlib_raises(tmp_path):
    from corpus_utils.core.files import read_bytes

    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "missing.txt")
    with pytest.raises(IsADirectoryError):
        read_bytes(tmp_path)


def test_pages_parsed_in_a_batch_count_their_words_as_one_page_alone_does(mixed, tmp_path):
    """A batch of files has its words counted at once (``count_words_many``); each page keeps the count, and every
    other field, it gets parsed alone (``count_words``): English, Chinese, HTML and skipped files side by side."""
    from corpus_utils.core.paths import PROJECT_ROOT

    folder, _ = mixed
    (tmp_path / "page.html").write_text("<html><body><h1>Title</h1><p>The branch's grass-roots work, 2021.</p>"
                                        "<p>两个维护 and more</p></body></html>", encoding="utf-8")
    paths = sorted(map(str, [*folder.rglob("*.txt"), *(PROJECT_ROOT / "seeds_zh").glob("*.txt"), tmp_path / "page.html"]))
    batch = parsing_module.parse_paths(paths, True)
    alone = [parsing_module._read_and_parse(path, True) for path in paths]
    assert batch == alone
    words = [result[3][parsing_module._WORDS_FIELD] for _, result in batch if result[0] == "loaded"]
    assert len(words) == len(paths) - 2 and all(type(count) is int and count > 0 for count in words)
