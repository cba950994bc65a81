"""The runner's papermill engine: the same executed notebook as papermill's own, written when code cells start."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill
import papermill.engines as engines_module
import pytest

from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.run.engine import NotebookStopped, register

pytestmark = pytest.mark.notebooks


def _notebook(folder: Path, *code: str) -> Path:
    """A notebook alternating markdown and code cells, the first code cell tagged ``parameters``."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell("VALUE = 1")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title"), parameters]
    for number, source in enumerate(code):
        notebook.cells += [nbformat.v4.new_markdown_cell(f"Step {number}."), nbformat.v4.new_code_cell(source)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "01_steps.ipynb"
    nbformat.write(notebook, path)
    return path


def _comparable(path: Path) -> list[tuple]:
    """Each cell's type, source, outputs, execution count and papermill status and exception (not its times)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(cell["cell_type"], cell["source"], cell.get("outputs"), cell.get("execution_count"),
             cell["metadata"].get("papermill", {}).get("status"), cell["metadata"].get("papermill", {}).get("exception"))
            for cell in cells]  # papermill puts a markdown cell naming the failed cell first, without its metadata


@pytest.mark.parametrize("last", ["print(VALUE * 3)", "raise ValueError('the third step fails')"])
def test_the_engine_writes_papermill_s_notebook_once_per_code_cell(tmp_path, monkeypatch, last):
    source = _notebook(tmp_path / "nbs", "print(VALUE)", "VALUE += 1\nVALUE", last)
    written = []
    real_write = engines_module.write_ipynb
    monkeypatch.setattr(engines_module, "write_ipynb", lambda nb, path: written.append(path) or real_write(nb, path))
    outcomes = {}
    for name, engine in (("papermill", None), ("ours", register())):
        try:
            papermill.execute_notebook(str(source), str(tmp_path / f"{name}.ipynb"), parameters={"VALUE": 2},
                                       engine_name=engine, progress_bar=False, cwd=str(tmp_path),
                                       autosave_cell_every=0)  # no timed saves: a slow kernel start would add one
            outcomes[name] = "ran"
        except papermill.PapermillExecutionError as error:
            outcomes[name] = error.evalue
        outcomes[f"{name} writes"] = len(written)
        written.clear()
    assert _comparable(tmp_path / "ours.ipynb") == _comparable(tmp_path / "papermill.ipynb")
    assert outcomes["ours"] == outcomes["papermill"] == ("ran" if last.startswith("print") else "the third step fails")
    started = [cell for cell in nbformat.read(tmp_path / "ours.ipynb", as_version=4).cells  # with papermill's parameters
               if cell.metadata.get("papermill", {}).get("status") in ("completed", "failed")]
    assert len(started) == 9  # a title, the parameters, the injected parameters, three steps of two cells
    assert outcomes["papermill writes"] == 2 * 9 + 2  # each cell's start and end, the notebook's start and end
    assert outcomes["ours writes"] == 5 + 2  # each code cell's start, the notebook's start and end


def test_the_notebook_on_disk_says_which_code_cell_runs(tmp_path):
    source = _notebook(tmp_path / "nbs", "print('first')", "import time\nprint('second', flush=True)\ntime.sleep(60)")
    executed = tmp_path / "run" / "notebooks" / "01_steps.ipynb"
    runner = subprocess.Popen([sys.executable, "-m", "corpus_utils", "run", "--notebooks", str(source.parent), "--out",
                               str(tmp_path / "run"), "--corpus", "seeds", "--no-progress"],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        second, deadline, running = ["import time\nprint('second', flush=True)\ntime.sleep(60)"], time.monotonic() + 90, []
        while time.monotonic() < deadline and running != second:  # the first cell's start is written too
            time.sleep(0.5)
            try:
                cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
            except (OSError, ValueError):
                continue
            running = ["".join(cell["source"]) for cell in cells if cell["metadata"]["papermill"]["status"] == "running"]
        assert running == second
        first = next(cell for cell in cells if "".join(cell["source"]) == "print('first')")
        assert first["metadata"]["papermill"]["status"] == "completed" and "".join(first["outputs"][0]["text"]) == "first\n"
    finally:
        runner.send_signal(signal.SIGINT)  # the runner interrupts its kernel, records the run and ends
        runner.communicate(timeout=120)
    assert json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))["status"] == "interrupted"


class _SetAfter:
    """A stop event that is set from its ``checks``-th look on: the run is interrupted after that many code cells."""

    def __init__(self, checks: int) -> None:
        self.looks, self.checks = 0, checks

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.checks


def test_once_the_run_stops_no_code_cell_starts_and_those_that_did_not_run_stay_pending(tmp_path):
    source = _notebook(tmp_path / "nbs", "print(VALUE)", "print(VALUE * 2)", "print(VALUE * 3)")
    executed = tmp_path / "ours.ipynb"
    with pytest.raises(NotebookStopped, match="interrupted before cell 6 started"):
        papermill.execute_notebook(str(source), str(executed), parameters={"VALUE": 2}, engine_name=register(),
                                   progress_bar=False, cwd=str(tmp_path), stop=_SetAfter(3))
    cells = nbformat.read(executed, as_version=4).cells
    printed = ["".join(output.get("text", "")) for cell in cells for output in cell.get("outputs", [])]
    assert printed == ["2\n"]  # the parameters, the injected parameters, the first step; not the second
    statuses = [cell.metadata.papermill["status"] for cell in cells]
    assert statuses == ["completed"] * 6 + ["pending"] * 3  # title, parameters, injected, step 0, step 1's text; the rest
