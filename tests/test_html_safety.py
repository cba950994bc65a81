"""Scraped text is untrusted: titles and bodies carrying HTML must reach every HTML page we write as text, never as markup."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import THEMES, build_theme_corpus, write_notebook

from corpus_utils.run.cli import EXIT_OK, main
from corpus_utils.core.paths import NOTEBOOKS_DIR
from corpus_utils.report.html import active_markup, export_notebook_html, write_index
from corpus_utils.run.runner import NOTEBOOK_GLOB

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"
HOSTILE_TITLE = f"{SCRIPT} Party branch report {IMAGE}"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
RAW_MARKUP = re.compile(r"<script>\s*alert|<img\s+src=x\s+onerror=", re.IGNORECASE)


class _Markup(HTMLParser):
    """Collects markup that would run the payload: script elements calling alert, handlers calling alert."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        self.found += [f"<{tag} {name}=…>" for name, value in attrs if name.startswith("on") and "alert" in (value or "")]

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.found.append("<script>alert…")


def unsafe_markup(text: str) -> list[str]:
    """Payload markup that a browser would execute in ``text`` (raw substrings or parsed elements)."""
    parser = _Markup()
    parser.feed(text)
    parser.close()
    return RAW_MARKUP.findall(text) + parser.found


def _hostile_page() -> str:
    body = [
        f"{SCRIPT} The branch held a meeting. {IMAGE}",
        " ".join(THEMES["branch"][:3]),
        "Members asked about <b>bold</b> & <a href=\"javascript:alert(3)\">links</a> in the text.",
    ]
    header = f"Party building\n{HOSTILE_TITLE}\nTime: June 1, 2021 Author: News source: [Font size: large | in | Small\n\n"
    return header + "\n\n".join(body) + "\n\nEditor: Test Editor\n"


@pytest.fixture
def hostile_corpus(tmp_path: Path) -> Path:
    """The 12-page theme corpus plus one page whose title and body carry script and event-handler markup."""
    folder = tmp_path / "hostile_corpus"
    build_theme_corpus(folder)
    (folder / "900_hostile.txt").write_text(_hostile_page(), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (SCRIPT, ["<script>"]),
        (IMAGE, ["<img onerror=…>"]),
        ('<a href=" javascript:alert(1)">x</a>', ["<a href=javascript:…>"]),
        ('<table class="dataframe"><tr><th>title</th><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>', []),
        ("<style scoped>.dataframe tbody tr th {vertical-align: top;}</style>", []),
    ],
)
def test_active_markup_finds_what_a_browser_would_run(markup, expected):
    assert active_markup(markup) == expected


def test_unsafe_markup_check_can_fail():
    assert unsafe_markup(f"<p>{SCRIPT}</p>") and unsafe_markup(IMAGE)
    assert unsafe_markup(f"<p>{ESCAPED_SCRIPT} src=x onerror=alert(2)</p>") == []


def test_index_escapes_every_value_from_the_run(tmp_path):
    record = {
        "name": SCRIPT,
        "status": "failed",
        "corpus": f"/data/{IMAGE}",
        "pattern": "*.txt",
        "n_documents": 1,
        "versions": {"pandas": SCRIPT},
        "notebooks": [
            {
                "name": "01_x",
                "status": "failed",
                "parameters": {"LABEL": HOSTILE_TITLE, "WORDS": [SCRIPT]},
                "overrides": ["LABEL"],
                "html": f"html/{IMAGE}.html",
                "notebook": "notebooks/01_x.ipynb",
                "figures": [f"figures/01_{IMAGE}.png"],
                "error": f"ValueError: {HOSTILE_TITLE}",
            }
        ],
    }
    text = write_index(tmp_path, record).read_text(encoding="utf-8")
    assert unsafe_markup(text) == [] and active_markup(text) == ["<meta>", "<meta>"]  # charset and CSP only
    assert text.count(ESCAPED_SCRIPT) >= 4
    assert 'href="html/%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E.html"' in text


def _output(mime_data: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data=mime_data)


def test_export_keeps_dataframes_and_printed_text_escaped_and_neutralises_active_outputs(tmp_path):
    frame = pd.DataFrame({"title": [HOSTILE_TITLE], "n_words": [12]})
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("documents")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=HOSTILE_TITLE + "\n"),
        nbformat.v4.new_output("execute_result", data={"text/html": frame._repr_html_(), "text/plain": repr(frame)}, execution_count=1),
        _output({"text/html": HOSTILE_TITLE, "text/plain": "<IPython.core.display.HTML object>"}),
        _output({"text/markdown": f"**{HOSTILE_TITLE}**", "text/plain": HOSTILE_TITLE}),
        _output({"application/javascript": "alert(1)"}),
        nbformat.v4.new_output("error", ename="ValueError", evalue=HOSTILE_TITLE, traceback=[f"ValueError: {HOSTILE_TITLE}"]),
    ]
    notebook.cells = [cell]
    source = tmp_path / "hostile.ipynb"
    nbformat.write(notebook, source)
    messages = export_notebook_html(source, tmp_path / "hostile.html")
    text = (tmp_path / "hostile.html").read_text(encoding="utf-8")
    assert unsafe_markup(text) == []
    assert text.count(ESCAPED_SCRIPT) >= 4  # stream, DataFrame, neutralised HTML and Markdown, error
    assert '<table border="1" class="dataframe">' in text  # the DataFrame still renders as a table
    assert len(messages) == 3 and messages[0].startswith("cell 1: shown as plain text because it contained")


def _html_pages(folder: Path) -> list[Path]:
    return sorted([*folder.rglob("*.html"), *folder.rglob("*.svg")])


def test_hostile_corpus_through_the_runner_and_every_real_notebook(hostile_corpus, tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for real in sorted(NOTEBOOKS_DIR.glob(NOTEBOOK_GLOB)):
        shutil.copy(real, notebooks / real.name)
    # A notebook that shows the titles every way a notebook might: print, a DataFrame, and (wrongly) HTML.
    write_notebook(
        notebooks,
        "00_echo_titles",
        'CORPUS = "seeds"  # folder of page files\nPATTERN = "*.txt"  # page files\n',
        "from corpus_utils import read_corpus\ndocuments = read_corpus(CORPUS, pattern=PATTERN).documents\n"
        "print(documents['title'].tolist())",
        "documents[['doc_id', 'title', 'body']]",
        "from IPython.display import HTML, display\ndisplay(HTML(documents['title'].iloc[-1]))",
    )
    out = tmp_path / "runs" / "hostile"
    status = main(["run", "--corpus", str(hostile_corpus), "--out", str(out), "--notebooks", str(notebooks), "--no-progress"])
    error = capsys.readouterr().err
    assert status == EXIT_OK, error
    assert "00_echo_titles HTML export, cell 5: shown as plain text" in error
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["n_documents"] == 13 and all(entry["status"] == "succeeded" for entry in record["notebooks"])
    assert len(record["notebooks"]) == len(list(notebooks.glob("*.ipynb")))

    pages = _html_pages(out)
    assert out / "index.html" in pages and len([page for page in pages if page.parent.name == "html"]) == len(record["notebooks"])
    for page in pages:
        assert unsafe_markup(page.read_text(encoding="utf-8")) == [], page.relative_to(out)
    echo = (out / "html" / "00_echo_titles.html").read_text(encoding="utf-8")
    assert echo.count(ESCAPED_SCRIPT) >= 3  # the payload is there, as text

