"""The runner under faults: Ctrl-C, a killed runner, two runners on one folder. Its records never lie."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import process_ended, write_notebook

from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.core import inventory as inputs_module

SLEEPY = 'import time\nprint("started", flush=True)\ntime.sleep({seconds})'
STUBBORN = 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nopen({ready!r}, "w").close()\ntime.sleep(60)'


@pytest.fixture
def notebooks(tmp_path):
    def make(first_cell: str) -> Path:
        folder = tmp_path / "nbs"
        write_notebook(folder, "01_slow", 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"', first_cell)
        write_notebook(folder, "02_quick", 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"', "print('quick')")
        return folder
    return make


def _start(folder: Path, out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "corpus_utils", "run", "--notebooks", str(folder), "--out", str(out), "--jobs", "1",
               "--no-progress", *extra]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_running(out: Path, name: str = "01_slow", timeout: float = 60) -> None:
    """Until the record says the notebook runs and its kernel has had time to reach the sleeping cell."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            record = json.loads((out / "run.json").read_text(encoding="utf-8"))
            if {entry["name"]: entry["status"] for entry in record["notebooks"]}.get(name) == "running":
                time.sleep(6)  # kernel start and the first cells
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{name} never started")


def _wait_for_file(path: Path, timeout: float = 90) -> None:
    """Until a cell has written ``path`` (a kernel signals it has reached a point of its code)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"no cell wrote {path.name}")
        time.sleep(0.1)


def _wait_cell_running(executed: Path, text: str, timeout: float = 90) -> None:
    """Until the executed notebook on disk says its code cell holding ``text`` runs (written when it starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
            if any(text in "".join(cell["source"]) and cell["metadata"]["papermill"]["status"] == "running" for cell in cells):
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"no cell with {text!r} ever ran in {executed.name}")


def _record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def test_ctrl_c_interrupts_the_running_notebook_starts_no_other_and_says_so(notebooks, tmp_path):
    out = tmp_path / "run"
    runner = _start(notebooks(SLEEPY.format(seconds=120)), out)
    _wait_cell_running(out / "notebooks" / "01_slow.ipynb", "time.sleep")
    started = time.monotonic()
    runner.send_signal(signal.SIGINT)
    _, error = runner.communicate(timeout=60)
    assert runner.returncode == 130, error
    assert time.monotonic() - started < 30  # the 120 s cell was interrupted, not waited for
    assert "Traceback" not in error and "interrupted" in error
    record = _record(out)
    statuses = {entry["name"]: entry["status"] for entry in record["notebooks"]}
    assert record["status"] == "interrupted" and statuses == {"01_slow": "interrupted", "02_quick": "not run"}
    assert "interrupted" in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_job_scheduler_s_time_limit_or_a_closed_terminal_stops_the_run_and_says_so(notebooks, tmp_path, signum):
    """SIGTERM (a cluster's time limit) or SIGHUP (the terminal closed) used to kill the runner at once, its record
    saying "running" and its loading process left to go on: now the run stops as on a second Ctrl-C."""
    out = tmp_path / "run"
    ready = tmp_path / "sleeping"
    runner = _start(notebooks(f'import os, time\nprint(os.getpid(), flush=True)\nopen({str(ready)!r}, "w").close()\n'
                              'time.sleep(120)'), out)
    _wait_for_file(ready)
    runner.send_signal(signum)
    _, error = runner.communicate(timeout=60)
    assert runner.returncode == 130, error
    assert "stopped at once" in error and "Traceback" not in error
    record = _record(out)
    assert record["status"] == "interrupted"
    assert {entry["name"]: entry["status"] for entry in record["notebooks"]} == {"01_slow": "interrupted", "02_quick": "not run"}
    cells = json.loads((out / "notebooks" / "01_slow.ipynb").read_text(encoding="utf-8"))["cells"]
    assert process_ended(int(next(cell for cell in cells if "getpid" in "".join(cell["source"]))["outputs"][0]["text"][0]))


def test_a_reader_of_the_progress_that_goes_away_does_not_stop_the_run(notebooks, tmp_path):
    """``run … 2>&1 | head``: once the pipe's reader has gone, bars and messages are dropped; every notebook still
    runs and the record is finished (before, each write raised BrokenPipeError: notebooks "failed" at once, one
    stayed "running" and so did the run)."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "corpus_utils", "run", "--notebooks", str(notebooks("print('first')")), "--out", str(out),
               "--jobs", "1"]
    runner = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    runner.stdout.close()
    runner.stderr.close()  # the reader goes away before the first bar
    assert runner.wait(timeout=180) == 0
    record = _record(out)
    assert record["status"] == "succeeded" and record["finished_at"]
    assert {entry["name"]: entry["status"] for entry in record["notebooks"]} == {"01_slow": "succeeded", "02_quick": "succeeded"}


def test_a_second_ctrl_c_stops_at_once(notebooks, tmp_path):
    out = tmp_path / "run"
    ready = tmp_path / "ignoring Ctrl-C"
    runner = _start(notebooks(STUBBORN.format(ready=str(ready))), out)
    _wait_for_file(ready)
    runner.send_signal(signal.SIGINT)  # the kernel ignores it
    time.sleep(2)
    assert runner.poll() is None
    runner.send_signal(signal.SIGINT)
    runner.communicate(timeout=30)
    assert runner.returncode == 130
    assert _record(out)["status"] == "interrupted"


@pytest.mark.parametrize("deaf_for", [5, 300])
def test_a_kernel_that_misses_the_interrupt_runs_no_further_cell_and_is_stopped_after_the_grace(tmp_path, deaf_for):
    """The interrupt can reach a kernel while it answers a request, between cells, or in code that does not check
    for it: lost. A notebook that ends its cell anyway starts no further cell (5 s); one whose cell goes on is
    stopped once ``INTERRUPT_GRACE_SECONDS`` have passed (300 s). Both runs end, and say they were interrupted."""
    from corpus_utils.run.runner import INTERRUPT_GRACE_SECONDS

    marker = tmp_path / "the next cell ran"
    ready = tmp_path / "ignoring Ctrl-C"
    deaf = (f'import os, signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint(os.getpid(), flush=True)\n'
            f'open({str(ready)!r}, "w").close()\ntime.sleep({deaf_for})')
    folder = tmp_path / "nbs"
    write_notebook(folder, "01_deaf", 'CORPUS = "seeds"', deaf, f"open({str(marker)!r}, 'w').close()")
    out = tmp_path / "run"
    runner = _start(folder, out)
    _wait_for_file(ready)
    runner.send_signal(signal.SIGINT)
    try:
        _, error = runner.communicate(timeout=INTERRUPT_GRACE_SECONDS + 60)
    finally:
        if runner.poll() is None:  # a runner that does not end is stopped with its kernels (a second Ctrl-C)
            runner.send_signal(signal.SIGINT)
            runner.communicate(timeout=30)
    assert runner.returncode == 130, error
    assert not marker.exists()
    assert (f"still running {INTERRUPT_GRACE_SECONDS} s after Ctrl-C" in error) is (deaf_for > INTERRUPT_GRACE_SECONDS)
    assert _record(out)["status"] == "interrupted"
    cells = json.loads((out / "notebooks" / "01_deaf.ipynb").read_text(encoding="utf-8"))["cells"]
    kernel_pid = int(next(cell for cell in cells if "SIG_IGN" in "".join(cell["source"]))["outputs"][0]["text"][0])
    assert cells[-1]["metadata"]["papermill"]["status"] == "pending" and not cells[-1]["outputs"]
    assert process_ended(kernel_pid)


def test_ctrl_c_reaches_only_kernels_given_a_cell_and_the_grace_reaches_every_running_one():
    """A kernel still starting dies of a Ctrl-C with a traceback in the terminal, and no cell will start in it anyway:
    the first Ctrl-C spares it; the kill after the grace, and a second Ctrl-C, do not."""
    from types import SimpleNamespace

    from corpus_utils.run.runner import _Kernels

    # Ctrl-C's default meaning, whatever this process passed on (a shell's background job ignores it), once ready
    code = "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); print('ready', flush=True); time.sleep(120)"
    processes = {name: subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdout=subprocess.PIPE, text=True)
                 for name in ("in a cell", "starting", "ended")}
    for process in processes.values():
        assert process.stdout.readline().strip() == "ready"
    try:
        kernels = _Kernels()
        for name, process in processes.items():  # as kernels.new() registers a kernel manager
            kernels._managers[name] = SimpleNamespace(provisioner=SimpleNamespace(process=process))
        kernels.executing("in a cell")
        kernels.forget("ended")  # its notebook has ended; its kernel is being shut down
        kernels.signal(signal.SIGINT, executing_only=True)
        processes["in a cell"].wait(timeout=30)  # ended by the interrupt
        assert processes["starting"].poll() is None and processes["ended"].poll() is None
        kernels.signal(signal.SIGKILL, running_only=True)
        assert processes["starting"].wait(timeout=30) == -signal.SIGKILL and processes["ended"].poll() is None
        kernels.signal(signal.SIGKILL)
        assert processes["ended"].wait(timeout=30) == -signal.SIGKILL
    finally:
        for process in processes.values():
            process.kill()
            process.wait()


def test_two_runners_into_one_folder_the_second_is_refused(notebooks, tmp_path):
    out = tmp_path / "run"
    first = _start(notebooks(SLEEPY.format(seconds=120)), out)  # busy until interrupted below, however slow the machine
    try:
        _wait_running(out)
        second = _start(tmp_path / "nbs", out)
        _, error = second.communicate(timeout=60)
        assert second.returncode == 2 and "another corpus-notebooks run is writing into" in error
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    assert first.returncode == 130


def test_a_killed_runner_s_notebook_is_marked_abandoned_when_next_seen(notebooks, tmp_path):
    out = tmp_path / "run"
    runner = _start(notebooks(SLEEPY.format(seconds=15)), out)
    _wait_running(out)
    runner.kill()  # SIGKILL: no handler runs, run.json still says "running"
    runner.communicate(timeout=30)
    assert _record(out)["status"] == "running"
    again = _start(tmp_path / "nbs", out, "--only", "02")
    _, error = again.communicate(timeout=120)
    assert again.returncode == 0, error  # the notebook of this call succeeded ...
    record = _record(out)
    statuses = {entry["name"]: entry["status"] for entry in record["notebooks"]}
    assert statuses == {"01_slow": "abandoned", "02_quick": "succeeded"}
    assert record["complete"] is False  # ... but the folder's run is not complete
    assert "corpus files changed" not in error


def test_a_corpus_edited_during_the_run_is_reported(notebooks, tmp_path):
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "seeds", corpus)
    out = tmp_path / "run"
    runner = _start(notebooks(SLEEPY.format(seconds=12)), out, "--corpus", str(corpus))
    _wait_running(out)
    edited = sorted(corpus.glob("*.txt"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nAn added paragraph.", encoding="utf-8")
    _, error = runner.communicate(timeout=120)
    assert runner.returncode == 0, error
    record = _record(out)
    assert record["corpus_changed_during_run"] == [edited.name]
    assert "the corpus changed while the notebooks ran" in error and edited.name in error


def test_the_end_of_run_check_reads_only_the_files_whose_size_or_time_moved(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a", "b", "c", "d"):
        (corpus / f"{name}.txt").write_text(f"page {name}\n", encoding="utf-8")
    files = inputs_module.hash_inputs(corpus, "*.txt")
    read = []
    hashed = inputs_module.file_sha256
    monkeypatch.setattr(inputs_module, "file_sha256", lambda path: read.append(path.name) or hashed(path))
    assert files.changed(corpus, "*.txt") == [] and read == []
    later = time.time_ns() + 5_000_000_000
    (corpus / "a.txt").write_text("page A\n", encoding="utf-8")  # same size, new content
    os.utime(corpus / "a.txt", ns=(later, later))
    os.utime(corpus / "b.txt", ns=(later, later))  # touched: read again, found the same
    (corpus / "c.txt").unlink()
    (corpus / "e.txt").write_text("new\n", encoding="utf-8")
    assert files.changed(corpus, "*.txt") == ["a.txt", "c.txt", "e.txt"]
    assert sorted(read) == ["a.txt", "b.txt"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 300 KB file system, or a skip where this test may not mount one."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a small file system here: " + made.stderr.decode(errors="replace").strip())
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_full_disk_is_reported_and_leaves_no_half_written_file(tiny_disk):
    out = tiny_disk / "run"
    done = subprocess.run([sys.executable, "-m", "corpus_utils", "run", "--out", str(out), "--only", "01", "--no-progress"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
    record = _record(out)  # whole JSON, never truncated
    assert record["status"] in ("running", "failed")  # never "succeeded"
    html = out / "html" / "01_corpus_overview.html"
    assert not html.exists() or html.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not list(out.rglob("*.tmp"))


def test_a_kernel_killed_mid_cell_is_reported_with_its_cell_and_the_likely_cause(tmp_path):
    folder = tmp_path / "nbs"
    write_notebook(folder, "01_dies", 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"',
                   "print('fine')", "import os, signal\nbig = 'as if memory ran out'\nos.kill(os.getpid(), signal.SIGKILL)",
                   "print('never')")
    runner = _start(folder, tmp_path / "run")
    _, stderr = runner.communicate(timeout=120)
    entry = _record(tmp_path / "run")["notebooks"][0]
    assert runner.returncode == 1 and entry["status"] == "failed"
    assert "kernel died" in entry["error"] and "memory" in entry["error"]
    assert entry["failed_cell"]["first_line"] == "import os, signal" and entry["failed_cell"]["cell"] == 4
    assert "at cell 4" in stderr and "kernel died" in stderr


def _kernel_failing_once(tmp_path: Path, name: str, first_time: str) -> tuple[Path, Path]:
    """A kernel spec ``name`` (under ``tmp_path/jupyter``, for JUPYTER_PATH) whose first start runs ``first_time`` (after
    writing its marker file) instead of the kernel, and a one-notebook folder to run on it; returns the marker and the
    folder."""
    marker, launcher = tmp_path / f"{name}_once", tmp_path / f"{name}_kernel.py"
    launcher.write_text(f"import pathlib, runpy, sys, time\nmarker = pathlib.Path({str(marker)!r})\n"
                        f"if not marker.exists():\n    marker.write_text({name!r})\n    {first_time}\n"
                        "sys.argv[0] = 'ipykernel_launcher'\nrunpy.run_module('ipykernel_launcher', run_name='__main__')\n")
    spec = tmp_path / "jupyter" / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
                                                  "display_name": name, "language": "python"}))
    folder = tmp_path / "nbs"
    write_notebook(folder, "01_ok", 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"', "print('ran')")
    return marker, folder


def test_a_kernel_that_dies_while_starting_is_started_once_more(tmp_path):
    """Two kernels starting at once can be handed one free port; the loser exits before any cell runs."""
    marker, folder = _kernel_failing_once(tmp_path, "flaky", "sys.exit('Address already in use')")
    environment = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}
    command = [sys.executable, "-m", "corpus_utils", "run", "--notebooks", str(folder), "--out", str(tmp_path / "run"),
               "--jobs", "1", "--no-progress", "--kernel", "flaky"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "flaky" and "failed while starting" in result.stderr
    assert _record(tmp_path / "run")["notebooks"][0]["status"] == "succeeded"


def test_a_kernel_that_hangs_while_starting_is_stopped_and_started_once_more(tmp_path, monkeypatch, capsys):
    """A kernel that failed to bind a port another process took can hang instead of exiting: it is stopped once the
    start timeout has passed, and the notebook runs on a new kernel."""
    from corpus_utils.run import runner
    from corpus_utils.run.cli import EXIT_OK, main

    marker, folder = _kernel_failing_once(tmp_path, "hanging", "time.sleep(600)")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setattr(runner, "KERNEL_START_TIMEOUT", 5)
    started = time.monotonic()
    status = main(["run", "--notebooks", str(folder), "--out", str(tmp_path / "run"), "--jobs", "1", "--no-progress",
                   "--kernel", "hanging"])
    err = capsys.readouterr().err
    assert status == EXIT_OK, err
    assert marker.read_text() == "hanging" and time.monotonic() - started < 90
    assert "failed while starting (Kernel didn't respond in 5 seconds)" in err
    assert _record(tmp_path / "run")["notebooks"][0]["status"] == "succeeded"


def test_every_kernel_has_stopped_when_the_run_ends(tmp_path):
    """Each notebook's kernel stops while the next notebook starts; none outlives the run."""
    folder, pids = tmp_path / "nbs", tmp_path / "pids"
    for name in ("01_one", "02_two", "03_three"):
        write_notebook(folder, name, 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"',
                       f"import os, pathlib\nwith open({str(pids)!r}, 'a') as out:\n    out.write(f'{{os.getpid()}}\\n')")
    result = subprocess.run([sys.executable, "-m", "corpus_utils", "run", "--notebooks", str(folder), "--out", str(tmp_path / "run"),
                             "--jobs", "2", "--no-progress"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    kernels = [int(line) for line in pids.read_text().split()]
    assert len(set(kernels)) == 3
    assert all(process_ended(pid) for pid in kernels)
    assert [entry["status"] for entry in _record(tmp_path / "run")["notebooks"]] == ["succeeded"] * 3
    assert "Parent appears to have exited" not in result.stderr


@pytest.mark.parametrize("memory_bound", [False, True])
def test_the_next_notebook_starts_while_a_kernel_stops_unless_memory_limits_the_run(tmp_path, monkeypatch, capsys, memory_bound):
    """One place: the second notebook starts as the first one's kernel stops, or after it when memory chose one place."""
    from corpus_utils.run import runner
    from corpus_utils.run.cli import EXIT_OK, main

    folder = tmp_path / "nbs"
    for name in ("01_first", "02_second"):
        write_notebook(folder, name, 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"', "print('ran')")
    notes = ["notebooks start only when their kernels are expected to fit …"] if memory_bound else []
    monkeypatch.setattr(runner, "notebooks_that_fit", lambda jobs, snapshot, names: (1, list(notes), None))
    events = []
    real_stop, real_execute = runner._Kernels.shut_down, runner._execute_once

    def slow_stop(self, name):
        time.sleep(1.5)
        real_stop(self, name)
        events.append(f"stopped {name}")

    def execute(plan, notebook, *args, **kwargs):
        events.append(f"started {notebook.name}")
        return real_execute(plan, notebook, *args, **kwargs)

    monkeypatch.setattr(runner._Kernels, "shut_down", slow_stop)
    monkeypatch.setattr(runner, "_execute_once", execute)
    status = main(["run", "--notebooks", str(folder), "--out", str(tmp_path / "run"), "--no-progress"])
    assert status == EXIT_OK, capsys.readouterr().err
    assert sorted(events) == ["started 01_first", "started 02_second", "stopped 01_first", "stopped 02_second"]
    assert events[0] == "started 01_first"  # which kernel stops first is up to the machine; the rule is the order below
    assert (events.index("stopped 01_first") < events.index("started 02_second")) is memory_bound


def test_a_table_the_loader_refuses_ends_a_failed_run_with_a_true_record(tmp_path, capsys):
    """A table without a body column: every notebook fails saying so, and the runner ends the run as failed, its record
    finished and naming the reason (the runner's own loading of the corpus raised instead, leaving run.json running)."""
    from corpus_utils.run.cli import EXIT_FAILED, main

    table = tmp_path / "table.csv"
    table.write_text("title,text\nA,a body under another name\n", encoding="utf-8")
    folder = tmp_path / "nbs"
    write_notebook(folder, "01_load", 'CORPUS = "seeds"\nPATTERN = "*.txt"\nFIGURES_DIR = "figures"',
                   "from corpus_utils import read_corpus\nread_corpus(CORPUS)")
    status = main(["run", "--corpus", str(table), "--out", str(tmp_path / "run"), "--notebooks", str(folder), "--no-progress"])
    error = capsys.readouterr().err
    assert status == EXIT_FAILED and "Traceback" not in error and "needs a 'body' column" in error
    record = json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed" and record["finished_at"] and record["n_documents"] == 0
    assert "needs a 'body' column" in record["load_summary"] and record["notebooks"][0]["status"] == "failed"
