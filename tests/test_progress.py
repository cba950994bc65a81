"""Long stages report progress on standard error on large corpora, and stay silent on small ones or when told."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import pytest

from corpus_utils import read_corpus
from corpus_utils.core import progress as progress_module
from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.text.encoded import encode_texts
from corpus_utils.text.tokenizer import Tokenizer


@pytest.fixture
def low_threshold(monkeypatch):
    monkeypatch.setattr(progress_module, "PROGRESS_MIN_ITEMS", 3)
    monkeypatch.delenv(progress_module.PROGRESS_ENV_VAR, raising=False)


def test_tokenising_and_parsing_show_counts_of_items_done(low_threshold, tmp_path, capsys):
    encode_texts(["two safeguards"] * 5, [Tokenizer()])
    assert "tokenising" in capsys.readouterr().err
    read_corpus(PROJECT_ROOT / "seeds", cache=tmp_path / "cache")
    err = capsys.readouterr().err
    assert "parsing pages" in err and "5/5" in err


def test_tokenising_in_processes_counts_the_texts_done_as_each_part_comes_back(low_threshold, monkeypatch, capsys):
    """The runner's loading step tokenises in a pool whose processes count nothing: the caller counts the texts of each
    part as it comes back (30 texts in parts of 8: the count climbs by parts to 30/30), with the ids of one pass."""
    from corpus_utils.text import encoded

    texts = [f"two safeguards and clause {number} of the rules" for number in range(30)]
    alone = encoded._encode_here(texts, tokenizers=[Tokenizer()])
    for name, value in [("POOL_MIN_TEXTS", 10), ("_CHUNK_TEXTS", 4), ("PARTITION_TEXTS", 8)]:
        monkeypatch.setattr(encoded, name, value)
    monkeypatch.setattr(encoded, "available_cores", lambda: 2)
    monkeypatch.setattr(progress_module, "PROGRESS_INTERVAL", 0.0)
    [in_pool] = encode_texts(texts, [Tokenizer()])
    err = capsys.readouterr().err
    assert "tokenising" in err and "8/30" in err and "30/30" in err
    assert in_pool.ids.tolist() == alone[0].ids.tolist() and in_pool.offsets.tolist() == alone[0].offsets.tolist()


@pytest.mark.parametrize("threads", [False, True], ids=["in this thread", "in threads"])
def test_the_files_read_for_their_content_keys_are_counted(low_threshold, tmp_path, monkeypatch, capsys, threads):
    """A cold load first reads every file to hash it (minutes for a million files from disk): a bar counts them, in
    batches read here or, once files come slowly, by threads (forced here: every batch counts as slow)."""
    import corpus_utils.input.folders as folders_module

    monkeypatch.setattr(folders_module, "_KEY_BATCH", 2)
    if threads:
        monkeypatch.setattr(folders_module, "COLD_READ_SECONDS", -1.0)
        monkeypatch.setattr(folders_module, "THREADED_KEYS_MIN_FILES", 1)
    monkeypatch.setattr(progress_module, "PROGRESS_INTERVAL", 0.0)
    loaded = read_corpus(PROJECT_ROOT / "seeds", cache=tmp_path / "cache")
    lines = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if line.startswith("reading files")]
    assert any("2/5" in line for line in lines) and "5/5" in lines[-1] and not any("6/5" in line for line in lines)
    assert loaded.report.n_loaded == 5 and len(loaded.inputs) == 5


def test_small_inputs_and_progress_off_print_nothing(low_threshold, monkeypatch, capsys):
    encode_texts(["two safeguards"] * 2, [Tokenizer()])  # below the threshold
    monkeypatch.setenv(progress_module.PROGRESS_ENV_VAR, "0")
    encode_texts(["two safeguards"] * 5, [Tokenizer()])
    assert capsys.readouterr().err == ""


def test_a_stream_whose_reader_has_gone_drops_what_follows_and_raises_nothing():
    from corpus_utils.core.progress import ReaderGoneStream

    class Pipe:
        def __init__(self):
            self.written, self.open = [], True

        def write(self, text):
            if not self.open:
                raise BrokenPipeError(32, "Broken pipe")
            self.written.append(text)
            return len(text)

        def flush(self):
            if not self.open:
                raise BrokenPipeError(32, "Broken pipe")

    pipe = Pipe()
    stream = ReaderGoneStream(pipe)
    assert stream.write("before\n") == 7 and pipe.written == ["before\n"]
    pipe.open = False
    assert stream.write("after\n") == 6 and stream.gone  # dropped, not raised
    stream.flush()
    pipe.open = True
    stream.write("later\n")
    assert pipe.written == ["before\n"]  # once gone, gone: no half of a bar written later


#: A script without an ``if __name__ == "__main__":`` guard: a bar (shown or not), then the start method its process
#: pools would take and the threads left running.
_UNGUARDED = """
import threading
from corpus_utils.core.progress import progress_bar
from corpus_utils.core.workers import start_method
for total in (5, 30_000):
    with progress_bar(total, "pages") as bar:
        bar.update(total)
print(start_method(), threading.active_count())
"""


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork is not offered here")
@pytest.mark.parametrize("shown", ["0", "1"])
def test_a_bar_leaves_no_thread_so_a_script_s_pools_still_fork(shown):
    """tqdm's monitor thread outlived the first bar, so a script's parse pool started by forkserver, which ran a
    script without a main guard again in its server, and loading a folder hung."""
    result = subprocess.run([sys.executable, "-c", _UNGUARDED], capture_output=True, text=True, timeout=120, check=True,
                            env={**os.environ, progress_module.PROGRESS_ENV_VAR: shown})
    assert result.stdout.split() == ["fork", "1"]
