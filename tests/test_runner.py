"""The runner: parameters checked before anything runs, every artefact of a run folder, failures, --only, the default run."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import notebook_text, write_notebook

from corpus_utils.run import runner
from corpus_utils.core.inventory import inputs_digest
from corpus_utils.run.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from corpus_utils.run.params import ParameterError, parse_value, read_params_file
from corpus_utils.core.paths import FIGURES_DIR, NOTEBOOKS_DIR
from corpus_utils.report.captions import figure_caption, read_caption
from corpus_utils.report.summary import notebook_findings

RUNNER_CELL = (
    'CORPUS = "seeds"  # folder of page files\n'
    'PATTERN = "*.txt"  # page files inside CORPUS\n'
    'FIGURES_DIR = "figures"  # where figures go\n'
)
LOAD = "from corpus_utils import read_corpus\ndocuments = read_corpus(CORPUS, pattern=PATTERN).documents"
FIGURE = (
    "import matplotlib.pyplot as plt\nfrom corpus_utils.report.figures import save_figure\n"
    "fig, ax = plt.subplots()\nax.bar(range(N_TOP), range(N_TOP))\n"
    "save_figure(fig, '01_bars', data=documents[['doc_id', 'n_words']], figures_dir=FIGURES_DIR)\nplt.close(fig)"
)


@pytest.fixture
def two_notebooks(tmp_path: Path) -> Path:
    """01_count loads the corpus, prints its parameters and saves a figure; 02_words prints its own."""
    folder = tmp_path / "notebooks"
    write_notebook(
        folder,
        "01_count",
        RUNNER_CELL + 'N_TOP = 3  # rows to show\nLABEL = "words"  # a text label\n',
        LOAD + "\nprint(f'documents={len(documents)} n_top={N_TOP} label={LABEL!r}')",
        FIGURE,
        "documents[['doc_id', 'title']].head(N_TOP)",
    )
    write_notebook(
        folder,
        "02_words",
        'CORPUS = "seeds"  # folder of page files\nEXTRA_WORDS = []  # words to add\nSINCE = None  # first day, YYYY-MM-DD\n',
        "print(f'extra={sorted(EXTRA_WORDS)} since={SINCE!r}')",
    )
    return folder


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value for name, value in attrs if name in ("href", "src") and value]


def _png(path: Path, size: tuple[int, int] = (800, 600)) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (30, 90, 160)).save(path, format="PNG")


def test_previews_drawn_early_are_kept_and_a_failed_one_is_retried_and_recorded(tmp_path, monkeypatch):
    from PIL import Image

    _png(tmp_path / "figures" / "01_bars.png")
    _png(tmp_path / "figures" / "02_words.png")
    (tmp_path / "figures" / "01_bars.csv").write_text("a\n1\n", encoding="utf-8")
    runner._early_thumbnails(tmp_path, ["figures/01_bars.png", "figures/01_bars.csv"])  # as 01 ends
    early = tmp_path / "thumbnails" / "01_bars.png"
    stamp = early.stat().st_mtime_ns
    with Image.open(early) as image:
        assert max(image.size) <= max(runner_thumbnail_size()) and image.size[0] / image.size[1] == pytest.approx(4 / 3, rel=0.02)

    real = runner.write_thumbnail
    calls = []

    def full_disk(source, target):
        calls.append(Path(source).name)
        if Path(source).name == "02_words.png":
            raise OSError(28, "No space left on device")
        return real(source, target)

    monkeypatch.setattr(runner, "write_thumbnail", full_disk)
    runner._early_thumbnails(tmp_path, ["figures/02_words.png"])  # fails quietly: the last pass tries again
    record = {"warnings": [], "notebooks": [{"figures": ["figures/01_bars.csv", "figures/01_bars.png"]},
                                            {"figures": ["figures/02_words.png"]}]}
    assert runner._write_thumbnails(tmp_path, record) == {"figures/01_bars.png": "thumbnails/01_bars.png"}
    assert calls == ["02_words.png", "02_words.png"]  # the early preview of 01 was not drawn again
    assert early.stat().st_mtime_ns == stamp
    assert record["warnings"] == ["thumbnail of figures/02_words.png not written (No space left on device)"]
    assert sorted(path.name for path in (tmp_path / "thumbnails").iterdir()) == ["01_bars.png"]  # no half-written file


def runner_thumbnail_size() -> tuple[int, int]:
    from corpus_utils.report.html import THUMBNAIL_SIZE

    return THUMBNAIL_SIZE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6", 6),
        ("-2", -2),
        ("0.5", 0.5),
        ("True", True),
        ("False", False),
        ("None", None),
        ('["hospital", "court"]', ["hospital", "court"]),
        ("[]", []),
        ("seeds/more", "seeds/more"),
        ("true", "true"),
    ],
)
def test_parse_value_types_like_papermill_and_reads_json_lists(text, expected):
    value = parse_value(text)
    assert value == expected and type(value) is type(expected)


def test_parse_value_rejects_broken_json_list():
    with pytest.raises(ParameterError, match="not valid JSON"):
        parse_value("[hospital")


def test_read_params_file_turns_dates_into_iso_text(tmp_path):
    file = tmp_path / "params.yaml"
    file.write_text("SINCE: 2019-01-01\nWORDS: [a, b]\nN: 4\nEMPTY: null\n", encoding="utf-8")
    assert read_params_file(file) == {"SINCE": "2019-01-01", "WORDS": ["a", "b"], "N": 4, "EMPTY": None}
    (tmp_path / "bad.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="bad.yaml: expected 'NAME: value' lines"):
        read_params_file(tmp_path / "bad.yaml")


def test_run_writes_every_artefact_and_a_correct_run_json(theme_corpus, two_notebooks, tmp_path, capsys):
    corpus, truth = theme_corpus
    out = tmp_path / "runs" / "mine"
    params = tmp_path / "params.yaml"
    params.write_text("EXTRA_WORDS: [hospital, court]\nSINCE: 2019-01-01\nN_TOP: 4\n", encoding="utf-8")
    repo_figures = sorted(path.name for path in FIGURES_DIR.glob("*")) if FIGURES_DIR.is_dir() else []
    status = main(
        ["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(two_notebooks), "--params", str(params),
         "-p", "N_TOP", "5", "-p", "LABEL", "2019", "--no-progress"]
    )
    assert status == EXIT_OK, capsys.readouterr().err

    # Parameters reached the kernels: -p wins over the YAML file; "2019" stays text where text is expected.
    assert "documents=12 n_top=5 label='2019'" in notebook_text(out / "notebooks" / "01_count.ipynb")
    assert "extra=['court', 'hospital'] since='2019-01-01'" in notebook_text(out / "notebooks" / "02_words.ipynb")

    for relative in ["run.json", "index.html", "notebooks/01_count.ipynb", "notebooks/02_words.ipynb",
                     "html/01_count.html", "html/02_words.html", "figures/01_bars.png", "figures/01_bars.svg",
                     "figures/01_bars.csv", "thumbnails/01_bars.png"]:
        assert (out / relative).is_file(), relative
    assert sorted(path.name for path in FIGURES_DIR.glob("*")) == repo_figures if FIGURES_DIR.is_dir() else True

    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "succeeded" and record["complete"] is True and record["default_run"] is False
    assert record["notebooks_at_once"] == runner.default_jobs()  # a small corpus: as many as the cores allow
    files_now = sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file() and path.name != ".runner.lock")
    assert record["written"] == files_now  # the list a later run into this folder may delete, and nothing else
    assert record["corpus_path"] == str(corpus.resolve()) and record["pattern"] == "*.txt"
    assert record["n_documents"] == len(truth) == 12
    inputs = pd.read_csv(out / record["input_files"]["table"], dtype={"path": str, "sha256": str})
    assert inputs["path"].tolist() == sorted(f"{doc_id}.txt" for doc_id in truth)
    for path, size, sha256 in inputs.itertuples(index=False):
        assert (size, sha256) == ((corpus / path).stat().st_size, hashlib.sha256((corpus / path).read_bytes()).hexdigest())
    assert record["input_files"]["n_files"] == 12 and record["input_files"]["bytes"] == int(inputs["bytes"].sum())
    assert record["input_files"]["sha256"] == inputs_digest(zip(inputs["path"], inputs["sha256"]))
    for library in ["python", "pandas", "numpy", "scikit-learn", "matplotlib", "papermill", "corpus_utils"]:
        assert re.match(r"^\d+\.\d+", record["versions"][library]), library
    started, finished = (dt.datetime.fromisoformat(record[key]) for key in ("started_at", "finished_at"))
    assert started.utcoffset() == dt.timedelta(0) and started <= finished
    count, words = record["notebooks"]
    assert (count["name"], count["status"], words["name"], words["status"]) == ("01_count", "succeeded", "02_words", "succeeded")
    assert count["parameters"] == {"CORPUS": str(corpus.resolve()), "PATTERN": "*.txt",
                                   "FIGURES_DIR": str(out / "figures"), "N_TOP": 5, "LABEL": "2019"}
    assert count["overrides"] == ["LABEL", "N_TOP"]
    assert words["parameters"] == {"CORPUS": str(corpus.resolve()), "EXTRA_WORDS": ["hospital", "court"], "SINCE": "2019-01-01"}
    assert count["figures"] == ["figures/01_bars.csv", "figures/01_bars.png", "figures/01_bars.svg"]
    assert words["figures"] == []

    # The index links everything with relative paths that resolve inside the run folder.
    links = _Links()
    links.feed((out / "index.html").read_text(encoding="utf-8"))
    assert {"html/01_count.html", "notebooks/02_words.ipynb", "thumbnails/01_bars.png", "figures/01_bars.svg"} <= set(links.targets)
    for target in links.targets:
        assert not target.startswith(("/", "file:", "http")), target
        assert (out / target).resolve().is_file() and (out / target).resolve().is_relative_to(out.resolve()), target


@pytest.mark.parametrize(
    ("arguments", "yaml_text", "expected"),
    [
        (["-p", "N_TOPS", "5"], None, "-p N_TOPS: unknown parameter N_TOPS: no notebook declares it. Did you mean N_TOP?"),
        ([], "NOPE: 1\n", "params.yaml: unknown parameter NOPE: no notebook declares it."),
        (["-p", "N_TOP", "many"], None, "01_count: parameter N_TOP expects int (default 3), got str 'many'."),
        (["-p", "EXTRA_WORDS", "hospital"], None, "parameter EXTRA_WORDS expects list (default []), got str 'hospital'. Pass a JSON list"),
        ([], "N_TOP: [1, 2]\n", "params.yaml: 01_count: parameter N_TOP expects int"),
        (["-p", "CORPUS", "elsewhere"], None, "CORPUS is set by the runner; use --corpus instead."),
    ],
)
def test_bad_parameters_fail_before_anything_runs(two_notebooks, tmp_path, capsys, arguments, yaml_text, expected):
    out = tmp_path / "runs" / "bad"
    extra = []
    if yaml_text is not None:
        (tmp_path / "params.yaml").write_text(yaml_text, encoding="utf-8")
        extra = ["--params", str(tmp_path / "params.yaml")]
    status = main(["run", "--out", str(out), "--notebooks", str(two_notebooks), "--no-progress", *arguments, *extra])
    error = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert "invalid parameters (nothing was run)" in error and expected in error
    assert "Valid names: EXTRA_WORDS, LABEL, N_TOP, SINCE." in error
    assert not out.exists()


def test_a_parameter_of_an_unselected_notebook_is_refused(two_notebooks, tmp_path, capsys):
    status = main(["run", "--out", str(tmp_path / "o"), "--notebooks", str(two_notebooks), "--only", "02", "-p", "N_TOP", "4"])
    assert status == EXIT_USAGE
    assert "-p N_TOP: N_TOP is declared only by 01_count, which this run does not select." in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--corpus", "seeds"], "name this run with --out runs/NAME"),
        (["--out", "{tmp}/o", "--only", "07"], "--only 07: no such notebook; choose from 01_count, 02_words"),
        (["--out", "{tmp}/o", "--corpus", "{tmp}/missing"], "does not exist"),
        (["--out", "{tmp}/o", "--pattern", "*.html"], "no files match '*.html'"),
        (["--out", "{tmp}/notebooks"], "is not empty and holds no run.json"),
    ],
)
def test_bad_options_fail_before_anything_runs(two_notebooks, tmp_path, capsys, arguments, expected):
    arguments = [item.replace("{tmp}", str(tmp_path)) for item in arguments]
    assert main(["run", "--notebooks", str(two_notebooks), *arguments]) == EXIT_USAGE
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_list_params_prints_every_notebook_with_defaults_and_comments(two_notebooks, capsys):
    assert main(["run", "--list-params", "--notebooks", str(two_notebooks)]) == EXIT_OK
    text = capsys.readouterr().out
    assert "01_count\n  CORPUS = 'seeds'  # folder of page files  [set by the runner]" in text
    assert "  N_TOP = 3  # rows to show\n" in text
    assert "02_words\n" in text and "  SINCE = None  # first day, YYYY-MM-DD\n" in text


def test_a_failing_notebook_stops_the_run_and_says_where(theme_corpus, tmp_path, capsys):
    corpus, _ = theme_corpus
    folder = tmp_path / "notebooks"
    write_notebook(folder, "01_ok", RUNNER_CELL, "print('fine')")
    write_notebook(folder, "02_fail", RUNNER_CELL, "x = 1", "# check the corpus\nraise ValueError('boom: the corpus is odd')")
    write_notebook(folder, "03_after", RUNNER_CELL, "print('after')")
    out = tmp_path / "runs" / "failing"
    status = main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress", "--jobs", "1",
                   "--fail-fast"])
    error = capsys.readouterr().err
    assert status == EXIT_FAILED
    partial = out / "notebooks" / "02_fail.ipynb"
    assert "notebook 02_fail failed at cell 4 (In [4]): # check the corpus" in error
    assert "ValueError: boom: the corpus is odd" in error
    assert f"partially executed notebook: {partial}" in error
    assert "not run: 03_after" in error
    assert partial.is_file() and (out / "html" / "02_fail.html").is_file()
    assert not (out / "notebooks" / "03_after.ipynb").exists()
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert [(entry["name"], entry["status"]) for entry in record["notebooks"]] == [
        ("01_ok", "succeeded"), ("02_fail", "failed"), ("03_after", "not run")]
    assert record["status"] == "failed" and record["notebooks"][1]["failed_cell"]["cell"] == 4

    # --only reruns a subset in the same folder and keeps the other notebooks' results.
    assert main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--only", "03", "--no-progress"]) == EXIT_OK
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert [(entry["name"], entry["status"]) for entry in record["notebooks"]] == [
        ("01_ok", "succeeded"), ("02_fail", "failed"), ("03_after", "succeeded")]
    assert record["selected"] == ["03_after"] and record["complete"] is False
    assert "after" in notebook_text(out / "notebooks" / "03_after.ipynb")

    # ...but refuses to mix corpora in one folder.
    assert main(["run", "--out", str(out), "--notebooks", str(folder), "--only", "02", "--corpus", "seeds"]) == EXIT_USAGE
    assert "--only would mix corpora" in capsys.readouterr().err


def test_every_notebook_runs_and_every_failure_is_reported(theme_corpus, tmp_path, capsys):
    corpus, _ = theme_corpus
    folder = tmp_path / "notebooks"
    write_notebook(folder, "01_fail", RUNNER_CELL, "raise RuntimeError('first failure')")
    write_notebook(folder, "02_ok", RUNNER_CELL, "print('fine')")
    write_notebook(folder, "03_fail", RUNNER_CELL, "raise ValueError('second failure')")
    out = tmp_path / "runs" / "all"
    status = main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress", "--jobs", "1"])
    error = capsys.readouterr().err
    assert status == EXIT_FAILED
    assert "notebook 01_fail failed" in error and "RuntimeError: first failure" in error
    assert "notebook 03_fail failed" in error and "ValueError: second failure" in error and "not run" not in error
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert [(entry["name"], entry["status"]) for entry in record["notebooks"]] == [
        ("01_fail", "failed"), ("02_ok", "succeeded"), ("03_fail", "failed")]
    assert "second failure" in record["failure"] and record["notebooks"][2]["failed_cell"]["cell"] == 3
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("failed") >= 2


def test_parallel_run_starts_nothing_after_a_failure(theme_corpus, tmp_path, capsys):
    corpus, _ = theme_corpus
    folder = tmp_path / "notebooks"
    write_notebook(folder, "01_fail", RUNNER_CELL, "raise RuntimeError('early failure')")
    write_notebook(folder, "02_slow", RUNNER_CELL, "import time\ntime.sleep(4)\nprint('slow done')")
    write_notebook(folder, "03_later", RUNNER_CELL, "print('later')")
    write_notebook(folder, "04_last", RUNNER_CELL, "print('last')")
    out = tmp_path / "runs" / "parallel"
    status = main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress", "--jobs", "2",
                   "--fail-fast"])
    error = capsys.readouterr().err
    assert status == EXIT_FAILED
    assert "notebook 01_fail failed at cell 3" in error and "RuntimeError: early failure" in error
    assert "not run: 03_later, 04_last" in error
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    # the notebook already running when the failure came finishes; nothing else starts
    assert [(entry["name"], entry["status"]) for entry in record["notebooks"]] == [
        ("01_fail", "failed"), ("02_slow", "succeeded"), ("03_later", "not run"), ("04_last", "not run")]
    assert not (out / "notebooks" / "03_later.ipynb").exists()


def _run_reporting_cores(theme_corpus, tmp_path, capsys, monkeypatch, *options: str) -> dict[str, str]:
    """Run two notebooks that print the cores they were given, on 4 cores with ``MKL_NUM_THREADS=3`` set by the user;
    each notebook's printed line, and run.json as ``"record"``."""
    from corpus_utils.core.workers import CORES_ENV_VAR, THREAD_ENV_VARS

    for name in (CORES_ENV_VAR, *THREAD_ENV_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    monkeypatch.setattr(runner, "available_cores", lambda: 4)
    corpus, _ = theme_corpus
    folder = tmp_path / "notebooks"
    show = ("import os\n"
            f"print(*(name + '=' + os.environ.get(name, 'unset') for name in {(CORES_ENV_VAR, *THREAD_ENV_VARS)!r}))")
    write_notebook(folder, "01_one", RUNNER_CELL, show)
    write_notebook(folder, "02_two", RUNNER_CELL, show)
    out = tmp_path / "runs" / "cores"
    status = main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress", *options])
    assert status == EXIT_OK, capsys.readouterr().err
    return {"record": (out / "run.json").read_text(encoding="utf-8"),
            **{name: notebook_text(out / "notebooks" / f"{name}.ipynb") for name in ("01_one", "02_two")}}


def _cores_line(cores: int) -> str:
    from corpus_utils.core.workers import CORES_ENV_VAR

    return f"{CORES_ENV_VAR}={cores} OMP_NUM_THREADS={cores} OPENBLAS_NUM_THREADS={cores} MKL_NUM_THREADS=3"


@pytest.mark.parametrize(("jobs", "expected"), [("2", 2), ("1", 4)])
def test_kernels_side_by_side_share_the_cores(theme_corpus, tmp_path, capsys, monkeypatch, jobs, expected):
    """Two notebooks at once on 4 cores: each kernel's pools (loader, vectorisers) and its BLAS and OpenMP threads may
    use 2, alone 4; a thread count the user set is kept."""
    from corpus_utils.core.workers import CORES_ENV_VAR, available_cores

    printed = _run_reporting_cores(theme_corpus, tmp_path, capsys, monkeypatch, "--jobs", jobs)
    assert _cores_line(expected) in printed["01_one"] and _cores_line(expected) in printed["02_two"]
    assert CORES_ENV_VAR not in os.environ and "OMP_NUM_THREADS" not in os.environ  # restored after the run
    assert os.environ["MKL_NUM_THREADS"] == "3"
    monkeypatch.setenv(CORES_ENV_VAR, "1")
    assert available_cores() == 1


def test_when_memory_decides_a_kernel_alone_gets_every_core(theme_corpus, tmp_path, capsys, monkeypatch):
    """Two places, but memory lets only one notebook run at a time: each kernel starts with the 4 cores, not the share
    of two places (2), and a thread count the user set stays."""
    from types import SimpleNamespace

    alone = SimpleNamespace(fits=lambda name, running: not list(running), record=lambda names: {"expected_mb": {}})
    monkeypatch.setattr(runner, "notebooks_that_fit", lambda jobs, snapshot, names: (2, ["memory decides"], alone))
    printed = _run_reporting_cores(theme_corpus, tmp_path, capsys, monkeypatch)
    assert _cores_line(4) in printed["01_one"] and _cores_line(4) in printed["02_two"]
    record = json.loads(printed["record"])
    assert record["notebooks_at_once"] == 2 and record["memory_budget"] == {"expected_mb": {}}


def test_the_record_holds_each_kernels_peak_memory_with_the_processes_it_started(theme_corpus, tmp_path, capsys):
    """A notebook whose forked child holds 300 MB of its own peaks that much above one that holds nothing."""
    corpus, _ = theme_corpus
    folder = tmp_path / "notebooks"
    hold = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    held = bytearray(b'x') * (300 * 2**20)  # written, so resident\n"
            "    time.sleep(3)\n"
            "    os._exit(0)\n"
            "os.wait()")
    write_notebook(folder, "01_light", RUNNER_CELL, "import time\ntime.sleep(3)")
    write_notebook(folder, "02_heavy", RUNNER_CELL, hold)
    out = tmp_path / "runs" / "memory"
    status = main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress"])
    assert status == EXIT_OK, capsys.readouterr().err
    peaks = {entry["name"]: entry["peak_memory_mb"] for entry in json.loads((out / "run.json").read_text(encoding="utf-8"))["notebooks"]}
    assert 20 < peaks["01_light"] < peaks["02_heavy"] - 250, peaks
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f"held at most {peaks['02_heavy']:,.0f} MB" in page


def test_a_figure_replaced_by_a_kernel_running_beside_is_left_out_not_a_failed_run(tmp_path, monkeypatch):
    """Kernels side by side write figures into one folder through temporary files renamed over the targets: a file
    the runner lists and that is gone before it reads its time is left out, and temporary files are never listed."""
    folder = tmp_path / "figures"
    folder.mkdir()
    for name in ("01_kept.png", "02_gone.png.4242.tmp", "02_gone.png"):
        (folder / name).write_bytes(b"x")
    real_scandir = os.scandir

    class ListedThenRemoved:
        def __enter__(self):
            with real_scandir(folder) as entries:
                self.entries = list(entries)
            (folder / "02_gone.png").unlink()  # the other kernel's rename lands between listing and stat
            return iter(self.entries)

        def __exit__(self, *exc_info):
            return False

    monkeypatch.setattr(os, "scandir", lambda path: ListedThenRemoved())
    assert list(runner._snapshot(folder)) == ["01_kept.png"]
    monkeypatch.undo()
    (folder / "run.json.17.tmp").write_text("{")
    assert runner._manifest(folder) == ["01_kept.png"]


def test_jobs_must_be_positive(two_notebooks, tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path / "o"), "--notebooks", str(two_notebooks), "--jobs", "0"]) == EXIT_USAGE
    assert "--jobs must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_default_run_refreshes_figures_and_copies_them_into_its_folder(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "notebooks"
    write_notebook(folder, "01_count", RUNNER_CELL + "N_TOP = 2  # bars\n", LOAD, FIGURE)
    figures, default_dir = tmp_path / "figures", tmp_path / "runs" / "default"
    figures.mkdir()
    (figures / "01_gone.png").write_bytes(b"left over from an older notebook")
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", folder)
    monkeypatch.setattr(runner, "FIGURES_DIR", figures)
    monkeypatch.setattr(runner, "DEFAULT_RUN_DIR", default_dir)

    plan = runner.plan_run()
    assert plan.default_run and plan.out_dir == default_dir and plan.corpus == "seeds"
    assert plan.notebooks[0].inject == {"CORPUS": "seeds", "PATTERN": "*.txt", "FIGURES_DIR": str(figures)}
    assert main(["run", "--no-progress"]) == EXIT_OK
    assert "figures/01_gone.png was not rewritten by this run" in capsys.readouterr().err
    assert (figures / "01_bars.png").read_bytes() == (default_dir / "figures" / "01_bars.png").read_bytes()
    record = json.loads((default_dir / "run.json").read_text(encoding="utf-8"))
    assert record["default_run"] is True and record["n_documents"] == 5 and record["figures_dir"] == str(figures)
    assert record["notebooks"][0]["figures"] == ["figures/01_bars.csv", "figures/01_bars.png", "figures/01_bars.svg"]


def test_the_default_run_writes_the_repository_figures():
    plan_defaults = runner.plan_run.__kwdefaults__
    assert all(plan_defaults[name] is None for name in ("corpus", "out", "pattern", "params_file", "only", "notebooks_dir"))
    assert runner.DEFAULT_RUN_DIR == runner.PROJECT_ROOT / "runs" / "default" and runner.FIGURES_DIR == FIGURES_DIR
    assert "runs/" in (runner.PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").split()


REAL_NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob(runner.NOTEBOOK_GLOB))


@pytest.mark.skipif(not REAL_NOTEBOOKS, reason="no notebooks in notebooks/ yet")
def test_end_to_end_on_the_first_real_notebook(theme_corpus, tmp_path, capsys):
    corpus, truth = theme_corpus
    first = REAL_NOTEBOOKS[0].stem
    out = tmp_path / "runs" / "theme"
    assert main(["run", "--corpus", str(corpus), "--out", str(out), "--only", first[:2], "--no-progress", "--no-code"]) == EXIT_OK, capsys.readouterr().err
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    entry = next(item for item in record["notebooks"] if item["name"] == first)
    assert entry["status"] == "succeeded" and record["n_documents"] == len(truth)
    assert (out / entry["html"]).is_file() and (out / entry["notebook"]).is_file()
    assert all((out / figure).is_file() and Path(figure).name.startswith(first[:3]) for figure in entry["figures"])
    assert all(item["status"] == "not run" for item in record["notebooks"] if item["name"] != first)

    # --no-code: the page holds the narrative and the outputs, not the code
    page = (out / entry["html"]).read_text(encoding="utf-8")
    assert record["html_code"] is False and "read_corpus(" not in page and "Account for every file" in page
    # the summary page: the notebook's findings, and each figure with the caption computed from its data
    summary = (out / "summary.html").read_text(encoding="utf-8")
    findings = notebook_findings(out / entry["notebook"])
    assert findings and all(html.escape(line[2:] if line.startswith("- ") else line) in summary for line in findings.splitlines())
    for figure in (name for name in entry["figures"] if name.endswith(".png")):
        caption = figure_caption(Path(figure).stem, pd.read_csv(out / figure.replace(".png", ".csv")))
        assert read_caption(out / figure) == caption and html.escape(caption) in summary
    assert "<script" not in summary and not re.search(r"""(src|href)=["']?(https?:|//|/)""", summary)


def test_reuse_runs_only_the_notebooks_whose_inputs_changed(theme_corpus, two_notebooks, tmp_path, capsys):
    corpus, _ = theme_corpus
    out = tmp_path / "runs" / "again"
    base = ["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(two_notebooks), "--no-progress"]
    assert main(base) == EXIT_OK, capsys.readouterr().err
    first = {entry["name"]: entry for entry in json.loads((out / "run.json").read_text(encoding="utf-8"))["notebooks"]}
    assert all(len(entry["fingerprint"]) == 64 for entry in first.values())

    # N_TOP belongs to 01 only: 02 is kept as it was, 01 runs again
    assert main(base + ["--reuse", "-p", "N_TOP", "2"]) == EXIT_OK, capsys.readouterr().err
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    entries = {entry["name"]: entry for entry in record["notebooks"]}
    assert record["reused"] == ["02_words"] and record["selected"] == ["01_count"] and record["status"] == "succeeded"
    assert entries["02_words"] == first["02_words"]  # the same record: not run again
    assert entries["01_count"]["started_at"] >= first["01_count"]["started_at"]
    assert entries["01_count"]["fingerprint"] != first["01_count"]["fingerprint"]
    assert "n_top=2" in notebook_text(out / "notebooks" / "01_count.ipynb")
    assert "Kept from the last run" in capsys.readouterr().err
    assert (out / "html" / "02_words.html").is_file() and (out / "figures" / "01_bars.png").is_file()
    assert "Kept from the run of" in (out / "index.html").read_text(encoding="utf-8")

    # nothing changed: nothing runs; an edited input file, or a missing output, runs the notebook again
    assert main(base + ["--reuse", "-p", "N_TOP", "2"]) == EXIT_OK
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["reused"] == ["01_count", "02_words"]
    (out / "html" / "02_words.html").unlink()
    assert main(base + ["--reuse", "-p", "N_TOP", "2"]) == EXIT_OK
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["reused"] == ["01_count"]
    page = sorted(corpus.glob("*.txt"))[0]
    page.write_text(page.read_text(encoding="utf-8") + "\n\nOne more paragraph.\n", encoding="utf-8")
    assert main(base + ["--reuse", "-p", "N_TOP", "2"]) == EXIT_OK
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["reused"] == []
    assert "Kept from the run of" not in (out / "index.html").read_text(encoding="utf-8")
