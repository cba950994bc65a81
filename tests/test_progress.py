"""Long stages report progress on standard error on large corpora, and stay silent on small ones or when told."""

from __future__ import annotations

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
