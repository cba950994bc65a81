"""The command line refuses what it cannot do before anything runs: exit 2 and a message, never a traceback."""

from __future__ import annotations

import pytest

from corpus_utils.run.cli import EXIT_USAGE, main


def test_an_out_folder_inside_a_file_is_refused(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["run", "--out", str(blocker / "run"), "--only", "01", "--no-progress"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "cannot be created" in error and "is a file, not a folder" in error and "Traceback" not in error
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("only", ["", " , "])
def test_only_with_nothing_in_it_runs_nothing(tmp_path, capsys, only):
    assert main(["run", "--out", str(tmp_path / "run"), "--only", only, "--no-progress"]) == EXIT_USAGE
    assert "--only needs at least one notebook" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
