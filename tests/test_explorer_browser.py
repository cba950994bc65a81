"""Notebook 07 in a real browser: JupyterLab on loopback, opened in headless Chromium (Debian's, driven by Playwright),
run from the Run menu's command; a changed term updates the linked panels.

Needs Chromium on the machine (``.ci/run`` installs Debian's ``chromium``); Playwright never downloads a browser here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from labserver import running_lab

from corpus_utils.core.paths import NOTEBOOKS_DIR

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
RUN_TIMEOUT_MS = 180_000

pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"),
]


def _copy_notebook(folder: Path, figures: Path) -> Path:
    """Notebook 07 in ``folder``, its figures sent to ``figures`` (the repository's figures/ stays untouched)."""
    notebook = json.loads((NOTEBOOKS_DIR / "07_explore.ipynb").read_text(encoding="utf-8"))
    parameters = next(cell for cell in notebook["cells"] if "parameters" in cell["metadata"].get("tags", []))
    parameters["source"] = [line.replace('FIGURES_DIR = "figures"', f"FIGURES_DIR = {str(figures)!r}") for line in parameters["source"]]
    target = folder / "07_explore.ipynb"
    target.write_text(json.dumps(notebook), encoding="utf-8")
    return target


def test_a_changed_term_updates_the_linked_panels_in_jupyterlab(tmp_path):
    from playwright.sync_api import sync_playwright

    root = tmp_path / "lab"
    root.mkdir()
    _copy_notebook(root, tmp_path / "figures")
    # every cell stays in the page (JupyterLab 4 otherwise detaches the cells scrolled out of view)
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    with running_lab(tmp_path, root, ["--LabApp.expose_app_in_browser=True"]) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server.base}/lab/tree/07_explore.ipynb?token={server.token}")
            page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session", timeout=RUN_TIMEOUT_MS)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            status = page.locator(".corpus-explorer-status")
            status.wait_for(timeout=RUN_TIMEOUT_MS)
            assert "'two_safeguards': 5 occurrence(s) in 2 of 5 documents" in status.inner_text()
            assert page.locator(".corpus-explorer-lines").inner_text() == "Concordance: 5 line(s)"

            term = page.locator(".corpus-explorer-term input")
            term.fill("warning education")
            term.press("Enter")
            page.locator(".corpus-explorer-status", has_text="'warning education': 33 occurrence(s)").wait_for(timeout=60_000)
            page.locator(".corpus-explorer-lines", has_text="Concordance: 33 line(s)").wait_for(timeout=30_000)
            assert page.locator(".corpus-explorer-collocates").inner_text().startswith("Collocates: ")
            assert page.get_by_role("cell", name="special", exact=True).first.is_visible()  # the new first collocate
            page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
        finally:
            browser.close()
