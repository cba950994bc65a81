"""The run's one-page summary: what every notebook found, in order, with its figures and their captions.

``summary.html`` is what a researcher sends a colleague: no code, no parameters tables, only each notebook's
question, its "What this run found" sentences (computed by the notebook from the run's data) and its figures
with one-line captions. It prints cleanly (figures never split across pages) and loads nothing from elsewhere.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from ..core.files import write_whole
from .captions import read_caption

__all__ = ["FINDINGS_HEADING", "notebook_findings", "notebook_title", "write_summary"]

#: The heading of the section every notebook ends with; the summary quotes what its cells print.
FINDINGS_HEADING = "## What this run found"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
.facts { color: #444; } .findings li { margin: 0.2rem 0; } .failed { color: #cf222e; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9rem; color: #333; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } h2 { break-after: avoid; } }
"""
_NO_SCRIPTS = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
               "img-src 'self'\">")


def _text(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _printed(cell: Mapping[str, Any]) -> str:
    """What a code cell printed (its stream outputs), as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output.get("text", "")
            parts.append(text if isinstance(text, str) else "".join(text))
    return "".join(parts)


def _read(notebook: str | Path) -> nbformat.NotebookNode | None:
    """An executed notebook, or None when it is missing or unreadable (cut short by a full disk or a crash)."""
    try:
        return nbformat.read(Path(notebook), as_version=4)
    except (OSError, ValueError):  # nbformat's NotJSONError is a ValueError
        return None


def notebook_findings(notebook: str | Path) -> str:
    """The text the cells under ``## What this run found`` printed in an executed notebook ("" when there is none, or
    when the notebook cannot be read)."""
    node = _read(notebook)
    if node is None:
        return ""
    found, inside = [], False
    for cell in node.cells:
        if cell.cell_type == "markdown":
            if inside:
                break
            inside = cell.source.lstrip().startswith(FINDINGS_HEADING)
        elif inside and cell.cell_type == "code":
            found.append(_printed(cell))
    return "".join(found).strip()


def notebook_title(notebook: str | Path) -> str:
    """The first heading of a notebook (its title), without the ``#``; its file name when it has none or cannot be read."""
    node = _read(notebook)
    for cell in [] if node is None else node.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(notebook).stem


def _findings_html(text: str) -> str:
    """Findings as a list: one item per line starting with "- " (the notebooks' bullets), other lines as paragraphs."""
    parts, items = [], []
    for line in text.splitlines():
        if line.startswith("- "):
            items.append(f"<li>{_text(line[2:])}</li>")
            continue
        if items:
            parts.append('<ul class="findings">' + "".join(items) + "</ul>")
            items = []
        if line.strip():
            parts.append(f"<p>{_text(line)}</p>")
    if items:
        parts.append('<ul class="findings">' + "".join(items) + "</ul>")
    return "\n".join(parts) or "<p>(This notebook printed no findings.)</p>"


def _figure_html(run_dir: Path, figure: str) -> str:
    name = Path(figure).stem
    caption = read_caption(run_dir / figure)
    return (f'<figure><img src="{_text(figure)}" alt="{_text(caption or name)}">'
            f"<figcaption><b>{_text(name)}</b>{' — ' + _text(caption) if caption else ''}</figcaption></figure>")


def write_summary(run_dir: str | Path, record: Mapping[str, Any]) -> Path:
    """Write ``<run_dir>/summary.html`` from the run record (``run.json``) and the executed notebooks.

    Parameters
    ----------
    run_dir : str or Path
        The run folder; images are linked relative to it (the folder can be zipped and sent).
    record : mapping
        The run record: ``name``, ``corpus``, ``n_documents``, ``finished_at``, ``subcorpus`` and ``notebooks``,
        each with ``name``, ``status``, ``notebook`` (the executed notebook) and ``figures``.

    Returns
    -------
    Path
        The page written. Every text is escaped; the page holds no script and loads nothing from elsewhere.
    """
    folder = Path(run_dir)
    subcorpus = record.get("subcorpus")
    facts = [f"Corpus {record.get('corpus')}", f"{record.get('n_documents')} documents loaded"]
    if subcorpus:
        facts.append(f"subcorpus of {subcorpus.get('documents_after')} documents")
    facts.append(f"run finished {record.get('finished_at')} (UTC)")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', _NO_SCRIPTS,
             f"<title>Summary of run {_text(record.get('name', folder.name))}</title><style>{_STYLE}</style></head><body>",
             f"<h1>What the run {_text(record.get('name', folder.name))} found</h1>",
             f'<p class="facts">{_text("; ".join(facts))}. Details, parameters and the notebooks with their code: '
             '<a href="index.html">index.html</a>.</p>']
    for entry in record.get("notebooks", []):
        executed = folder / entry["notebook"] if entry.get("notebook") else None
        title = notebook_title(executed) if executed and executed.is_file() else entry["name"]
        parts.append(f'<h2 id="{_text(entry["name"])}">{_text(title)} <small>({_text(entry["name"])})</small></h2>')
        if entry.get("status") != "succeeded":
            parts.append(f'<p class="failed">This notebook {_text(entry.get("status", "did not run"))}; see index.html.</p>')
        if executed and executed.is_file():
            parts.append(_findings_html(notebook_findings(executed)))
        parts.extend(_figure_html(folder, figure) for figure in entry.get("figures", []) if figure.endswith(".png"))
    parts.append("</body></html>\n")
    return write_whole(folder / "summary.html", "\n".join(parts))
