"""Notebook HTML exports are self-contained: no remote script, no MathJax, a Content-Security-Policy."""

from __future__ import annotations

import re

import nbformat

from corpus_utils.core.paths import NOTEBOOKS_DIR
from corpus_utils.report.html import export_notebook_html


def test_an_export_loads_nothing_from_the_network_and_runs_no_script(tmp_path):
    target = tmp_path / "01.html"
    export_notebook_html(NOTEBOOKS_DIR / "01_corpus_overview.ipynb", target)
    page = target.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.I)
    assert "MathJax" not in page and "require.js" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "data:image/png;base64," in page  # the figures are embedded


def test_dollars_in_printed_text_are_left_for_no_typesetter(tmp_path):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(title)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Budget: $5 million and $3 million\n")]
    notebook.cells.append(cell)
    source = tmp_path / "n.ipynb"
    nbformat.write(notebook, source)
    export_notebook_html(source, tmp_path / "n.html")
    page = (tmp_path / "n.html").read_text(encoding="utf-8")
    assert "Budget: $5 million and $3 million" in page and "MathJax" not in page
