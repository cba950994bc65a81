"""The command line refuses what it cannot do before anything runs: exit 2 and a message, never a traceback."""

from __future__ import annotations

import subprocess
import sys

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


def _old_run_folder(folder, *, written=None):
    folder.mkdir(parents=True)
    record = {"name": folder.name, "notebooks": []}
    if written is not None:
        record["written"] = written
    (folder / "run.json").write_text(__import__("json").dumps(record), encoding="utf-8")
    (folder / "figures").mkdir()
    (folder / "figures" / "01_old.png").write_bytes(b"old figure")


def test_a_folder_with_a_run_json_but_no_list_of_files_is_never_emptied(tmp_path, capsys):
    out = tmp_path / "mine"
    _old_run_folder(out)
    (out / "notebooks").mkdir()
    (out / "notebooks" / "my_analysis.ipynb").write_text("{}", encoding="utf-8")
    assert main(["run", "--out", str(out), "--only", "01", "--no-progress"]) == EXIT_USAGE
    assert "does not list the files its run wrote" in capsys.readouterr().err
    assert (out / "notebooks" / "my_analysis.ipynb").is_file() and (out / "figures" / "01_old.png").is_file()


def test_a_run_folder_holding_files_no_run_wrote_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    _old_run_folder(out, written=["run.json", "figures/01_old.png"])
    (out / "figures" / "my_notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", "--out", str(out), "--no-progress"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "holds files no run of this tool wrote (figures/my_notes.txt)" in error
    assert (out / "figures" / "my_notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_notebook_outside_the_repository_finds_its_own_parameters_cell(tmp_path, monkeypatch):
    """A pip-installed package has no notebooks/ beside it: the runner names the notebooks' folder for its kernels."""
    from conftest import write_notebook

    from corpus_utils.run.params import NOTEBOOKS_ENV_VAR, check_parameters

    folder = tmp_path / "elsewhere"
    write_notebook(folder, "07_mine", "TOP_N = 5  # rows")
    monkeypatch.setenv(NOTEBOOKS_ENV_VAR, str(folder))
    assert check_parameters({"TOP_N": 3}, "07_mine") == {"TOP_N": 3}
    monkeypatch.delenv(NOTEBOOKS_ENV_VAR)
    monkeypatch.chdir(folder)  # JupyterLab starts a kernel in its notebook's folder
    assert check_parameters({"TOP_N": 3}, "07_mine") == {"TOP_N": 3}


def _interrupted_at(where: str, record_written: bool):
    """A stand-in for ``plan_run`` or ``execute_run`` that meets Ctrl-C, after writing a run record or not."""
    def interrupted(*args, **kwargs):
        if record_written:
            out = args[0].out_dir if args else kwargs["out"]
            out.mkdir(parents=True, exist_ok=True)
            (out / "run.json").write_text('{"status": "interrupted"}', encoding="utf-8")
        raise KeyboardInterrupt
    return interrupted


@pytest.mark.parametrize(("stage", "record_written", "says"), [
    ("plan_run", False, "interrupted before any notebook started; no notebook ran and no run record was written"),
    ("execute_run", False, "interrupted before any notebook started; no notebook ran and no run record was written"),
    ("execute_run", True, "stopped at once; see"),
])
def test_ctrl_c_at_any_point_ends_with_130_and_a_message_that_matches_the_record(tmp_path, capsys, monkeypatch, stage,
                                                                                 record_written, says):
    """Ctrl-C while the corpus loads (in ``plan_run``), or before the run wrote its record, is no traceback; "see
    run.json" only when this run wrote one (an old run's record in the folder does not count)."""
    from corpus_utils.run import runner
    from corpus_utils.run.cli import EXIT_INTERRUPTED

    out = tmp_path / "run"
    _old_run_folder(out, written=["run.json", "figures/01_old.png"])
    old_record = (out / "run.json").read_text(encoding="utf-8")
    monkeypatch.setattr(runner, stage, _interrupted_at(stage, record_written))
    assert main(["run", "--out", str(out), "--no-progress"]) == EXIT_INTERRUPTED
    error = capsys.readouterr().err
    assert says in error and "Traceback" not in error
    assert ((out / "run.json").read_text(encoding="utf-8") == old_record) is not record_written


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_package_imports_nothing_heavy_until_a_re_exported_name_is_used():
    """``python -m corpus_utils`` imports the package first, before the command line can catch Ctrl-C: that import
    must not load pandas (half a second in which Ctrl-C printed Python's traceback). The names still resolve."""
    done = _python("import sys, corpus_utils\n"
                   "print('pandas' in sys.modules, 'corpus_utils.input.load' in sys.modules)\n"
                   "from corpus_utils import load_corpus, Tokenizer, TEXT_DTYPE\n"
                   "import corpus_utils.input.load as load\n"
                   "print(load_corpus is load.load_corpus, Tokenizer.__name__, 'read_corpus' in dir(corpus_utils))\n"
                   "print(sorted(set(corpus_utils.__all__) - set(dir(corpus_utils))))\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["False False", "True Tokenizer True", "[]"]
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        import corpus_utils

        corpus_utils.no_such_name  # noqa: B018


def test_ctrl_c_while_the_command_line_imports_the_runner_ends_with_130_and_no_traceback():
    """A KeyboardInterrupt raised inside the import of the runner (what Ctrl-C in the first second of
    ``python -m corpus_utils run`` does), made certain by an import hook rather than by timing a signal."""
    done = _python("import sys\n"
                   "class Interrupt:\n"
                   "    def find_spec(self, name, path=None, target=None):\n"
                   "        if name == 'corpus_utils.run.runner':\n"
                   "            raise KeyboardInterrupt\n"
                   "sys.meta_path.insert(0, Interrupt())\n"
                   "import runpy\n"
                   "sys.argv = ['corpus_utils', 'run', '--no-progress']\n"
                   "runpy.run_module('corpus_utils', run_name='__main__', alter_sys=True)\n")
    assert done.returncode == 130, done.stderr
    assert "interrupted before any notebook started" in done.stderr and "Traceback" not in done.stderr
