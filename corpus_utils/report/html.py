"""Safe HTML for sharing a run: notebook exports with active markup neutralised, thumbnails and an index page.

Why our own check rather than nbconvert's ``SanitizeHTML`` preprocessor (nbconvert 7.17): that preprocessor
runs bleach with an allow-list that has no table tags, so every DataFrame in an export becomes escaped
markup (``&lt;table&gt;`` shown as text), and it changes outputs silently. :func:`neutralise_active_outputs`
keeps ordinary tables, replaces only the outputs that carry active markup by their plain text, and says
which cell it changed, so the runner can report it.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat

from ..core.files import write_whole
from .captions import read_caption

__all__ = [
    "THUMBNAIL_SIZE",
    "WIDGET_NOTE",
    "active_markup",
    "neutralise_active_outputs",
    "make_exporter",
    "export_notebook_html",
    "write_thumbnail",
    "write_index",
]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Largest width and height, in pixels, of the previews shown on a run's index page.
THUMBNAIL_SIZE: tuple[int, int] = (640, 480)
_ACTIVE_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "base", "meta", "link", "form"})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"})
_ACTIVE_URL = re.compile(r"^\s*(?:javascript|vbscript|data\s*:\s*text/html)", re.IGNORECASE)
_PAPERMILL_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_ACTIVE_MIME_TYPES = ("application/javascript", "text/javascript", _WIDGET_MIME)
#: What an exported page shows in place of an interactive widget.
WIDGET_NOTE = ("(An interactive view: open this notebook in JupyterLab and run it to use it; the outputs above show its "
               "default selection.)")


class _ActiveMarkupFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name in _URL_ATTRIBUTES and value and _ACTIVE_URL.match(value):
                self.found.append(f"<{tag} {name}={value.split(':', 1)[0].strip().lower()}:…>")

    handle_startendtag = handle_starttag


def active_markup(markup: str) -> list[str]:
    """Elements of ``markup`` that could run code in a browser: script-like tags, ``on*=`` handlers, ``javascript:`` URLs.

    Returns short descriptions such as ``"<script>"`` or ``"<img onerror=…>"``, in document
    order; an empty list means the markup is inert. Cost: one pass of Python's HTML parser.
    """
    finder = _ActiveMarkupFinder()
    finder.feed(markup)
    finder.close()
    return finder.found


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def neutralise_active_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """Replace every cell output that carries active markup by its plain-text form, in place.

    Notebooks should only display DataFrames (pandas escapes cell values) and ``print()`` text
    (nbconvert escapes it), but a scraped title rendered through ``IPython.display.HTML`` or
    ``Markdown`` would reach the export as markup. Such ``text/html`` and ``text/markdown``
    outputs, and any JavaScript output, are dropped in favour of their ``text/plain``
    representation (which nbconvert escapes). A live widget's output becomes :data:`WIDGET_NOTE` (not reported:
    it is expected), and the notebook's saved widget state is dropped.

    Returns
    -------
    list of str
        One message per output changed, naming the cell by its position in the notebook as
        written (cells papermill inserts are not counted), so the caller can report it.
    """
    messages = []
    number = 0
    # the widgets' saved state (their data, scraped text included, and their code) would be embedded in the page
    # as a script block; the widgets themselves are replaced by a note below, so it has no use there
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if _PAPERMILL_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        number += 1
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            if _WIDGET_MIME in data:  # a live widget has no meaning in a page: say where to use it, no warning
                data.pop(_WIDGET_MIME)
                data["text/plain"] = WIDGET_NOTE
            reasons = [mime for mime in _ACTIVE_MIME_TYPES if mime in data]
            for mime in ("text/html", "text/markdown"):
                if mime in data:
                    reasons += [f"{mime} {found}" for found in active_markup(_joined(data[mime]))]
            if not reasons:
                continue
            for mime in [*_ACTIVE_MIME_TYPES, "text/html", "text/markdown"]:
                data.pop(mime, None)
            data.setdefault("text/plain", "(output removed from the HTML export: it contained active markup)")
            messages.append(f"cell {number}: shown as plain text because it contained {', '.join(sorted(set(reasons)))}")
    return messages


def make_exporter(*, code: bool = True):
    """An ``nbconvert.HTMLExporter`` (the lab template without remote scripts, images embedded) to reuse for every notebook of a run.

    Creating the exporter loads its templates (a fraction of a second); reusing one keeps the
    export of each further notebook to the cost of rendering it. With ``code=False`` the pages hold the
    narrative and the outputs only (nbconvert's ``exclude_input``: the runner's ``--no-code``).
    """
    from nbconvert import HTMLExporter

    # the lab template without remote scripts (templates/offline): pages that work offline and never typeset $…$
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(_TEMPLATES)], exclude_input=not code,
                            exclude_input_prompt=not code, exclude_output_prompt=not code)
    # nbconvert warns about every figure without alt text (matplotlib outputs never have one) and
    # fills in a generic description; keep its errors, drop that warning from the runner's output.
    exporter.log = logging.getLogger(f"{__name__}.nbconvert")
    exporter.log.setLevel(logging.ERROR)
    return exporter


def export_notebook_html(notebook: str | Path, target: str | Path, *, exporter=None) -> list[str]:
    """Write ``notebook`` as a self-contained HTML page at ``target``, with active outputs neutralised.

    Parameters
    ----------
    notebook : str or Path
        An executed (or partially executed) notebook.
    target : str or Path
        The HTML file to write; its folder is created.
    exporter : nbconvert.HTMLExporter, optional
        From :func:`make_exporter`; pass one to export several notebooks without reloading templates.

    Returns
    -------
    list of str
        Messages from :func:`neutralise_active_outputs` (empty when nothing had to be changed).
    """
    source = Path(notebook)
    node = nbformat.read(source, as_version=4)
    messages = neutralise_active_outputs(node)
    exporter = exporter or make_exporter()
    body, _ = exporter.from_notebook_node(node, resources={"metadata": {"name": source.stem}})
    destination = Path(target)
    destination.parent.mkdir(parents=True, exist_ok=True)
    write_whole(destination, body)
    return messages


def write_thumbnail(png: str | Path, target: str | Path, *, size: tuple[int, int] = THUMBNAIL_SIZE) -> Path:
    """Write a reduced copy of the image ``png`` at ``target``, at most ``size`` pixels, keeping proportions."""
    from PIL import Image

    destination = Path(target)
    destination.parent.mkdir(parents=True, exist_ok=True)
    encoded = io.BytesIO()
    with Image.open(png) as image:
        image.thumbnail(size)
        image.save(encoded, format="PNG")  # optimize=True would take twice as long for files 1.5 % smaller
    return write_whole(destination, encoded.getvalue())  # whole or not at all


def _href(relative: str) -> str:
    return html.escape(quote(relative, safe="/"), quote=True)


def _text(value: Any) -> str:
    return html.escape(str(value), quote=True)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
code, pre { font-family: ui-monospace, monospace; white-space: pre-wrap; }
.status-succeeded { color: #1a7f37; } .status-failed { color: #cf222e; } .status-not-run { color: #777; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; width: 560px; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85rem; }
"""


def _table(rows: Sequence[tuple[Any, Any]], header: tuple[str, str]) -> str:
    cells = "".join(f"<tr><th>{_text(key)}</th><td><code>{_text(value)}</code></td></tr>" for key, value in rows)
    return f"<table><tr><th>{_text(header[0])}</th><th>{_text(header[1])}</th></tr>{cells}</table>"


def _figures(folder: Path, paths: Sequence[str], thumbnails: Mapping[str, str]) -> str:
    by_stem: dict[str, list[str]] = {}
    for path in sorted(paths):
        by_stem.setdefault(path.rsplit(".", 1)[0], []).append(path)
    items = []
    for stem, files in by_stem.items():
        name = stem.rsplit("/", 1)[-1]
        links = " · ".join(f'<a href="{_href(path)}">{_text(path.rsplit(".", 1)[-1])}</a>' for path in files)
        png = f"{stem}.png"
        caption = read_caption(folder / png) if png in files else ""
        image = (
            f'<a href="{_href(png)}"><img src="{_href(thumbnails.get(png, png))}" alt="{_text(caption or name)}" loading="lazy"></a>'
            if png in files
            else ""
        )
        described = f"<br>{_text(caption)}" if caption else ""
        items.append(f"<figure>{image}<figcaption><b>{_text(name)}</b> — {links}{described}</figcaption></figure>")
    return '<div class="figures">' + "".join(items) + "</div>"


def _where(scheduler: Mapping[str, Any] | None) -> str:
    """Where the run's heavy stages ran, in words."""
    if not scheduler or not scheduler.get("address"):
        return "in each notebook's kernel"
    return f"on Dask at {scheduler['address']} ({scheduler.get('workers')} workers, {scheduler.get('threads')} threads)"


def _subcorpus(record: Mapping[str, Any] | None) -> str:
    """The subcorpus the run analysed, in words: the filters set and the documents kept."""
    if not record:
        return "every document (no subcorpus filter set)"
    filters = ", ".join(f"{name} = {json.dumps(value, ensure_ascii=False)}" for name, value in record.get("filters", {}).items()
                        if value not in (None, [], False))
    return f"{record.get('documents_after')} of {record.get('documents_before')} documents: {filters}"


def _stage_table(stages: list[Mapping[str, Any]]) -> str:
    """One row per timed stage: what, where, seconds, items; on Dask, the MB sent to the workers and read by them
    from the corpus store."""
    rows = [(stage.get("stage"), f"{stage.get('where')} · {float(stage.get('seconds', 0)):.2f} s"
             + (f" · {int(stage['items']):,} items" if stage.get("items") is not None else "")
             + (f" · {float(stage['sent_mb']):,.1f} MB sent, {float(stage.get('read_from_store_mb') or 0):,.1f} MB read from the store"
                if stage.get("sent_mb") is not None else "")) for stage in stages]
    return _table(rows, ("stage", "where · time · items · data to the workers"))


def _input_files(recorded: Mapping[str, Any] | None) -> str:
    """How many input files the run read, and the table listing them (run.json's ``input_files``)."""
    if not recorded:
        return "not hashed (the run stopped first)"
    table = recorded.get("table")
    return f"{recorded.get('n_files', 0)}" + (f" (listed in {table})" if table else "")


def write_index(run_dir: str | Path, record: Mapping[str, Any], *, thumbnails: Mapping[str, str] | None = None) -> Path:
    """Write ``<run_dir>/index.html``: the run's inputs, each notebook with its links, parameters and figures.

    Every value taken from the run record (corpus path, parameters, error messages, file names)
    is HTML-escaped, links are relative (the folder can be zipped and shared), and a
    Content-Security-Policy forbids scripts on the page.

    Parameters
    ----------
    run_dir : str or Path
        The run folder; links are relative to it.
    record : mapping
        The run record as written to ``run.json`` (keys ``name``, ``status``, ``corpus``,
        ``pattern``, ``n_documents``, ``started_at``, ``finished_at``, ``versions`` and
        ``notebooks``, each notebook with ``name``, ``status``, ``parameters``, ``overrides``,
        ``notebook``, ``html``, ``figures`` and optionally ``error``).
    thumbnails : mapping, optional
        PNG figure path → thumbnail path, both relative to ``run_dir``; a figure without one is
        shown scaled down.
    """
    folder = Path(run_dir)
    thumbnails = thumbnails or {}
    run_rows = [
        ("corpus", record.get("corpus")),
        ("pattern", record.get("pattern")),
        ("documents", record.get("n_documents")),
        ("input files", _input_files(record.get("input_files"))),
        ("started (UTC)", record.get("started_at")),
        ("finished (UTC)", record.get("finished_at")),
        ("status", record.get("status")),
        ("every notebook succeeded", "yes" if record.get("complete") else "no"),
        ("heavy stages ran", _where(record.get("scheduler"))),
        ("subcorpus", _subcorpus(record.get("subcorpus"))),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'\">",
        f"<title>Run {_text(record.get('name', folder.name))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Run {_text(record.get('name', folder.name))}</h1>",
        '<p>Every notebook of this run, executed, with its figures. What each found, on one page to read, print or '
        'send: <a href="summary.html">summary.html</a>. Details are in <a href="run.json">run.json</a>.</p>',
        _table(run_rows, ("input", "value")),
        "<details><summary>Library versions</summary>",
        _table(sorted(record.get("versions", {}).items()), ("library", "version")),
        "</details>",
    ]
    reused = {str(name) for name in record.get("reused", [])}
    for entry in record.get("notebooks", []):
        status = str(entry.get("status", ""))
        parts.append(f'<h2 id="{_text(entry["name"])}">{_text(entry["name"])} '
                     f'<small class="status-{_text(status.replace(" ", "-"))}">{_text(status)}</small></h2>')
        if str(entry["name"]).split(".", 1)[0] in reused:
            parts.append(f"<p>Kept from the run of {_text(entry.get('started_at', 'an earlier run'))} (UTC): its corpus, "
                         "parameters, code and versions are unchanged (<code>--reuse</code>).</p>")
        links = [(label, entry[key]) for label, key in (("HTML", "html"), ("notebook", "notebook")) if entry.get(key)]
        if links:
            parts.append("<p>" + " · ".join(f'<a href="{_href(path)}">{_text(label)}</a>' for label, path in links) + "</p>")
        if entry.get("error"):
            parts.append(f"<pre>{_text(entry['error'])}</pre>")
        if entry.get("peak_memory_mb") is not None:
            parts.append(f"<p>Its kernel, with the processes it started, held at most {float(entry['peak_memory_mb']):,.0f} MB.</p>")
        overrides = set(entry.get("overrides", []))
        rows = [
            (f"{name} (set)" if name in overrides else name, json.dumps(value, ensure_ascii=False, default=str))
            for name, value in entry.get("parameters", {}).items()
        ]
        if rows:
            parts.append(_table(rows, ("parameter", "value")))
        if entry.get("stages"):
            parts.append("<details><summary>Timed stages</summary>" + _stage_table(entry["stages"]) + "</details>")
        if entry.get("figures"):
            parts.append(_figures(folder, entry["figures"], thumbnails))
    parts.append("</body></html>\n")
    return write_whole(folder / "index.html", "\n".join(parts))
