"""Shared fixtures: small corpora with known structure, built in tmp_path, and a papermill runner."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from corpus_utils.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT

#: Three themes with disjoint vocabularies, so that clustering and topic tests have a known answer.
THEMES: dict[str, list[str]] = {
    "discipline": [
        "The procuratorate held a warning education meeting on strict discipline and clean government.",
        "Party members watched warning films and studied typical cases of duty crime.",
        "The discipline inspection team urged cadres to keep the bottom line of integrity.",
        "Every prosecutor signed the clean government commitment and reviewed the oath.",
        "Officials must resist corruption, guard against risks and accept supervision.",
    ],
    "branch": [
        "The party branch strictly implemented the three meetings and one lesson system.",
        "Branch secretaries gave party lectures and organised theme party days for members.",
        "The branch committee built an activity room and standardised organisational life.",
        "Members achieved the Two Safeguards and strengthened the Four Consciousness.",
        "Grass-roots party organisations held democratic life meetings with criticism.",
    ],
    "litigation": [
        "The procuratorate filed public interest litigation over polluted rivers and manhole covers.",
        "Prosecutors supervised administrative agencies to repair barrier-free facilities.",
        "Environmental damage cases were mediated and compensation was paid to villages.",
        "Public interest litigation protected food safety and the rights of minors.",
        "Judicial services for the masses resolved disputes and saved litigation costs.",
    ],
}
SECTIONS = {"discipline": "Party conduct and clean government construction", "branch": "Party building", "litigation": "Procuratorial work"}
MONTHS = ["January", "March", "May", "July", "September", "November"]


def _procuratorate_page(title: str, section: str, date: str, paragraphs: list[str]) -> str:
    header = f"{section}\n{title}\nTime: {date} Author: News source: [Font size: large | in | Small\n\n"
    return header + "\n\n".join(paragraphs) + "\n\nEditor: Test Editor\n"


def _repost_page(title: str, section: str, iso_date: str, paragraphs: list[str]) -> str:
    meta = f"- Categories:{section}\n- Author:\n- Origin:Test Daily\n- Time of issue:{iso_date}\n- Views:0\n"
    summary = f"(Summary description){paragraphs[0]}\n"
    footer = "Scan the QR code to read on your phone\nRelevant information\nTime of issue : 2022-01-04 16:58:00\nOFFICIAL ACCOUNTS\n"
    return f"{title}\n{meta}{summary}{title}\n{summary}{meta}" + "\n".join(paragraphs) + "\n" + footer


def build_theme_corpus(folder: Path, *, per_theme: int = 4, seed: int = 7) -> dict[str, str]:
    """Write ``3 × per_theme`` pages (both page families) into ``folder``; return doc_id → theme."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    index = 0
    for theme, sentences in THEMES.items():
        for number in range(per_theme):
            paragraphs = [" ".join(rng.sample(sentences, 3)) for _ in range(4)]
            year = 2018 + (index % 5)
            month_index = index % len(MONTHS)
            title = f"{theme.title()} report {number + 1}: {sentences[number % len(sentences)][:40]}"
            if index % 3 == 2:
                page = _repost_page(title, SECTIONS[theme], f"{year}-{2 * month_index + 1:02d}-15", paragraphs)
            else:
                page = _procuratorate_page(title, SECTIONS[theme], f"{MONTHS[month_index]} 15, {year}", paragraphs)
            doc_id = f"{index:03d}_{theme}"
            (folder / f"{doc_id}.txt").write_text(page, encoding="utf-8")
            truth[doc_id] = theme
            index += 1
    return truth


@pytest.fixture
def theme_corpus(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder of 12 pages in three themes (4 each), dated 2018–2022; returns (folder, doc_id → theme)."""
    folder = tmp_path / "theme_corpus"
    return folder, build_theme_corpus(folder)


def write_generated_corpus(folder: Path, n_pages: int, *, seed: int) -> Path:
    """``n_pages`` generated pages (``bench.corpus``: three page families, repeated boilerplate) and the Chinese
    pages, written into ``folder``: a corpus that is not the seeds, for the tests that share a stage out."""
    from bench.corpus import generate_pages, write_folder

    write_folder(generate_pages(n_pages, seed=seed), folder)
    for page in (PROJECT_ROOT / "seeds_zh").glob("*.txt"):
        (folder / page.name).write_bytes(page.read_bytes())
    return folder


def execute_notebook(name: str, output_dir: Path, **parameters) -> Path:
    """Run ``notebooks/<name>.ipynb`` through papermill with ``parameters``; return the executed copy. A kernel that
    dies while starting (another test's kernel took its port) is started once more, as the runner does."""
    import papermill

    from corpus_utils.run.runner import _died_starting

    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"{name}.ipynb"
    for attempt in (1, 2):
        try:
            papermill.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(target), parameters=parameters,
                                       cwd=str(PROJECT_ROOT), kernel_name="python3", progress_bar=False)
            return target
        except RuntimeError as error:
            if attempt == 2 or not _died_starting(error):
                raise
    return target


def write_notebook(folder: Path, name: str, parameters: str, *cells: str) -> Path:
    """Write a tiny notebook ``folder/<name>.ipynb``: a title, a ``parameters`` cell, then code ``cells``."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    tagged = nbformat.v4.new_code_cell(parameters)
    tagged.metadata["tags"] = ["parameters"]
    notebook.cells = [nbformat.v4.new_markdown_cell(f"# Test notebook {name}"), tagged]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.ipynb"
    nbformat.write(notebook, target)
    return target


def notebook_text(executed: Path) -> str:
    """Everything an executed notebook printed or displayed as plain text, one output per line."""
    import json

    cells = json.loads(Path(executed).read_text(encoding="utf-8"))["cells"]
    return "\n".join(
        "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
        for cell in cells
        for output in cell.get("outputs", [])
    )


#: Test modules that execute notebooks (papermill, the runner, JupyterLab): the slow part of the suite.
_NOTEBOOK_MODULES = ("test_notebook_", "test_html_safety", "test_jupyterlab", "test_runner")


def pytest_collection_modifyitems(config, items):
    """Mark every nbval cell and every test of a notebook-executing module ``notebooks``.

    ``pytest -m "not notebooks"`` then runs the unit tests alone (the fast loop); plain ``pytest``
    runs everything, strict nbval included.
    """
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb" or path.stem.startswith(_NOTEBOOK_MODULES):
            item.add_marker(pytest.mark.notebooks)
    items.sort(key=_start_rank)


#: The modules that take longest (each runs the whole collection several times or starts Dask clusters), longest
#: first. pytest-xdist hands whole modules to its workers in collection order, so these start first and the
#: short unit tests fill in at the end: the workers finish together. Only the order changes; any test may run
#: anywhere, at any time.
_LONGEST_FIRST = ("test_notebook_any_corpus", "test_docs", "test_dask", "test_runner", "test_html_safety", "test_bench",
                  "test_runner_faults")


def _start_rank(item: pytest.Item) -> tuple[int, int]:
    """Sort key: the longest modules in their order, then the other notebook-executing ones, then the rest."""
    stem = Path(str(item.fspath)).stem
    if stem in _LONGEST_FIRST:
        return 0, _LONGEST_FIRST.index(stem)
    return (1, 0) if item.get_closest_marker("notebooks") or item.get_closest_marker("dask") else (2, 0)


def process_running(pid: int) -> bool:
    """Whether process ``pid`` still runs: it exists and is not a zombie (a killed process whose parent has gone
    waits, ended, until init reaps it, which some containers' init never does)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def process_ended(pid: int, timeout: float = 10) -> bool:
    """Whether process ``pid`` has ended within ``timeout`` seconds (a signal is delivered asynchronously)."""
    import time

    deadline = time.monotonic() + timeout
    while process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not process_running(pid)
