"""The input files a run records: hashed once (by the loader where it read them), held compactly, written to inputs.csv,
compared with an earlier run."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from array import array

import pandas as pd
import pytest
from conftest import write_notebook

from corpus_utils.core.files import write_whole
from corpus_utils.core import inventory as inputs_module
from corpus_utils.run.cli import EXIT_OK, main
from corpus_utils.core.inventory import INPUTS_FILE, InputFiles, hash_inputs, inputs_digest, recorded_digest


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    pages = {"b.txt": "second page\n", "a.txt": "first page\n", 'odd, "quoted" name.txt': "a comma and quotes\n",
             "sub/c.txt": "in a subfolder\n", "notes.md": "not matched\n"}
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_every_matched_file_is_hashed_in_path_order(corpus):
    files = hash_inputs(corpus, "**/*.txt")
    assert files.paths == ["a.txt", "b.txt", 'odd, "quoted" name.txt', "sub/c.txt"]
    for path, size, digest in zip(files.paths, files.sizes, files.digests):
        data = (corpus / path).read_bytes()
        assert (size, digest) == (len(data), hashlib.sha256(data).digest())
    assert hash_inputs(corpus / "a.txt", "*.txt").paths == ["a.txt"]  # a table: the file itself


def test_the_table_written_in_slices_is_the_table_written_whole(corpus, tmp_path, monkeypatch):
    files = hash_inputs(corpus, "**/*.txt")
    monkeypatch.setattr(inputs_module, "_ROWS_PER_WRITE", 3)  # four files: two slices, the header in the first only
    files.write_csv(tmp_path / "inputs.csv")
    table = pd.read_csv(tmp_path / "inputs.csv", dtype={"path": str, "sha256": str})
    assert table.columns.tolist() == ["path", "bytes", "sha256"]
    assert list(table.itertuples(index=False, name=None)) == [
        (path, size, digest.hex()) for path, size, digest in zip(files.paths, files.sizes, files.digests)]
    summary = files.summary()
    assert summary == {"table": INPUTS_FILE, "n_files": 4, "bytes": int(table["bytes"].sum()),
                       "sha256": inputs_digest(zip(table["path"], table["sha256"]))}


def test_an_empty_corpus_writes_a_header_only(tmp_path):
    (tmp_path / "empty").mkdir()
    files = hash_inputs(tmp_path / "empty", "*.txt")
    files.write_csv(tmp_path / "inputs.csv")
    assert (tmp_path / "inputs.csv").read_text(encoding="utf-8") == "path,bytes,sha256\n"
    assert files.summary()["n_files"] == 0


def test_a_run_record_of_an_earlier_version_gives_the_same_digest(corpus):
    files = hash_inputs(corpus, "**/*.txt")
    listed = [{"path": path, "sha256": digest.hex(), "bytes": size} for path, size, digest in zip(files.paths, files.sizes, files.digests)]
    assert recorded_digest(listed) == recorded_digest(files.summary()) == files.digest()
    assert recorded_digest([]) is None and recorded_digest(None) is None  # its runner died before hashing


def test_a_write_stopped_midway_leaves_the_earlier_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "inputs.csv"
    target.write_text("earlier\n", encoding="utf-8")

    def chunks():
        yield b"path,bytes,sha256\n"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_whole(target, chunks())
    assert target.read_text(encoding="utf-8") == "earlier\n" and [p.name for p in tmp_path.iterdir()] == ["inputs.csv"]


def test_the_inventory_holds_less_than_a_third_of_one_dictionary_per_file():
    n = 20_000
    paths = [f"2019/section-{i % 40:02d}/page-{i:07d}.txt" for i in range(n)]
    digests = [hashlib.sha256(path.encode()).digest() for path in paths]

    def allocated(build):
        tracemalloc.start()
        built = build()
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return built, size

    _, compact = allocated(lambda: InputFiles(list(paths), array("q", range(n)), array("q", range(n)), list(digests)))
    _, listed = allocated(lambda: ([{"path": p, "sha256": d.hex(), "bytes": i} for i, (p, d) in enumerate(zip(paths, digests))],
                                   {p: (i, i) for i, p in enumerate(paths)}))
    assert compact < listed / 3


def test_an_only_rerun_warns_when_the_files_changed_since_the_earlier_notebooks(corpus, tmp_path, capsys):
    folder = tmp_path / "nbs"
    for name in ("01_one", "02_two"):
        write_notebook(folder, name, 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"', "print('done')")
    out = tmp_path / "run"
    command = ["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress"]
    assert main(command) == EXIT_OK
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["input_files"]["n_files"] == 3 and INPUTS_FILE in record["written"]
    capsys.readouterr()
    assert main([*command, "--only", "02"]) == EXIT_OK
    assert "changed since the earlier notebooks" not in capsys.readouterr().err
    (corpus / "a.txt").write_text("first page, edited\n", encoding="utf-8")
    assert main([*command, "--only", "02"]) == EXIT_OK
    assert "the corpus files changed since the earlier notebooks" in capsys.readouterr().err
    table = pd.read_csv(out / INPUTS_FILE, dtype={"sha256": str})
    assert table.loc[table["path"] == "a.txt", "sha256"].item() == hashlib.sha256(b"first page, edited\n").hexdigest()


def _sha256_reads(monkeypatch) -> list[str]:
    """The names of the files :func:`hash_inputs` reads from now on."""
    read: list[str] = []
    hashed = inputs_module.file_sha256
    monkeypatch.setattr(inputs_module, "file_sha256", lambda path: read.append(path.name) or hashed(path))
    return read


def test_files_hashed_already_are_not_read_again_and_the_rest_are(corpus, monkeypatch):
    whole = hash_inputs(corpus, "**/*.txt")
    known = InputFiles([], array("q"), array("q"), [])
    for index in (0, 3):  # a.txt and sub/c.txt, hashed by someone else
        known.append(whole.paths[index], whole.sizes[index], whole.mtimes[index], whole.digests[index])
    read = _sha256_reads(monkeypatch)
    completed = hash_inputs(corpus, "**/*.txt", known=known)
    assert sorted(read) == ["b.txt", 'odd, "quoted" name.txt']
    assert completed == whole


def test_a_known_file_gone_since_stays_listed_and_shows_as_changed(corpus, monkeypatch):
    whole = hash_inputs(corpus, "**/*.txt")
    (corpus / "b.txt").unlink()
    read = _sha256_reads(monkeypatch)
    completed = hash_inputs(corpus, "**/*.txt", known=whole)
    assert read == [] and completed == whole  # it was analysed: the record lists it
    assert completed.changed(corpus, "**/*.txt") == ["b.txt"]


def test_the_table_for_another_process_reads_back_every_field(corpus, tmp_path):
    files = hash_inputs(corpus, "**/*.txt")
    files.write_table(tmp_path / "inputs.parquet")
    assert InputFiles.read_table(tmp_path / "inputs.parquet") == files
    empty = InputFiles([], array("q"), array("q"), [])
    empty.write_table(tmp_path / "empty.parquet")
    assert InputFiles.read_table(tmp_path / "empty.parquet") == empty


def test_the_loader_hashes_each_page_it_reads_as_the_runner_would(corpus, tmp_path):
    """A folder read through the cache: each page's size, time and SHA-256 as :func:`hash_inputs` finds them, a page
    it skips (empty) included; read again from its snapshot, the same."""
    from corpus_utils.input.load import read_corpus

    (corpus / "empty.txt").write_bytes(b"")
    loaded = read_corpus(corpus, pattern="**/*.txt", cache=tmp_path / "cache")
    assert "empty.txt" in loaded.report.files.loc[loaded.report.files["status"] == "skipped", "path"].tolist()
    assert loaded.inputs == hash_inputs(corpus, "**/*.txt")
    assert read_corpus(corpus, pattern="**/*.txt", cache=tmp_path / "cache").inputs == loaded.inputs
    assert read_corpus(corpus, pattern="**/*.txt", cache=False).inputs is None


def test_the_loading_step_hands_the_runner_every_input_file_hashed(corpus, tmp_path, monkeypatch):
    """The runner reads no input file for its record: the loading step hashed them all."""
    from corpus_utils.run.runner import ingest_corpus

    assert ingest_corpus(corpus, "**/*.txt").input_files == hash_inputs(corpus, "**/*.txt")
    folder = tmp_path / "nbs"
    write_notebook(folder, "01_one", 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"', "print('done')")
    read = _sha256_reads(monkeypatch)
    out = tmp_path / "run"
    assert main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress"]) == EXIT_OK
    table = pd.read_csv(out / INPUTS_FILE, dtype={"sha256": str})
    assert read == [] and table["path"].tolist() == ["a.txt", "b.txt", 'odd, "quoted" name.txt']
    assert table["sha256"].tolist() == [digest.hex() for digest in hash_inputs(corpus, "*.txt").digests]


@pytest.mark.parametrize("written", ["absolute", "relative", "dot", "trailing separator"])
def test_the_files_of_a_folder_are_named_relative_to_it_however_it_is_written(corpus, monkeypatch, written):
    """Listing slices the folder's prefix off each path; a folder written as ".", relative or with a trailing
    separator gives the names ``Path.relative_to`` gives, in the same order, subfolders included."""
    import os
    from pathlib import Path

    from corpus_utils.core.files import glob_relative

    monkeypatch.chdir(corpus.parent if written != "dot" else corpus)
    folder = {"absolute": corpus, "relative": Path("corpus"), "dot": Path("."),
              "trailing separator": Path(f"corpus{os.sep}")}[written]
    expected = sorted((path.relative_to(folder).as_posix(), path) for path in folder.glob("**/*"))
    assert glob_relative(folder, "**/*") == expected
    assert [name for name, _ in expected] == ["a.txt", "b.txt", "notes.md", 'odd, "quoted" name.txt', "sub", "sub/c.txt"]
    assert list(inputs_module.input_paths(folder, "**/*.txt")) == ["a.txt", "b.txt", 'odd, "quoted" name.txt', "sub/c.txt"]
