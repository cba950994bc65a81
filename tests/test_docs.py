"""Every example in the README and the guide runs as written, on the seeds.

Runs: every ```python block of README.md and docs/*.md, and every ```bash block of README.md and
docs/*.md. Blocks fenced ```console are shown, not run: the two install commands (CI runs them itself)
and commands on a user's own folders or of the 45-minute benchmark; so are ```py blocks, Python for a cluster
that cannot be started here (dask-jobqueue on SLURM).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from corpus_utils.core.paths import PROJECT_ROOT

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```", re.S | re.M)


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for number, match in enumerate(_BLOCK.finditer(page.read_text(encoding="utf-8")), start=1):
            if match.group(1) == language:
                found.append((f"{page.relative_to(PROJECT_ROOT)}#{number}", match.group(2)))
    return found


def test_the_readme_is_a_front_page():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 15_000
    for link in re.findall(r"\]\(((?:docs|notebooks)/[^)#]+)\)", readme):
        assert (PROJECT_ROOT / link).is_file(), f"README links to missing {link}"
    assert _blocks("python") and _blocks("bash")


@pytest.mark.parametrize(("where", "code"), _blocks("python"), ids=[where for where, _ in _blocks("python")])
def test_python_examples_run(where, code, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    (PROJECT_ROOT / "runs").mkdir(exist_ok=True)
    exec(compile(code, where, "exec"), {"__name__": "__docs__"})  # noqa: S102 - our own documentation


#: What the README's shell examples write into the project (removed before and after this module's tests).
_README_OUTPUTS = ("runs/readme-example", "runs/readme-figures", "runs/readme-02.ipynb")


@pytest.fixture(scope="module")
def readme_outputs():
    """The README's shell examples run in order, as a reader runs them: the ``--reuse`` example reuses the run
    of the example before it. Their outputs are removed before the first and after the last."""

    def remove():
        for leftover in _README_OUTPUTS:
            path = PROJECT_ROOT / leftover
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    remove()
    yield PROJECT_ROOT / "runs"
    remove()


@pytest.mark.notebooks
@pytest.mark.parametrize(("where", "code"), _blocks("bash"), ids=[where for where, _ in _blocks("bash")])
def test_shell_examples_run(where, code, readme_outputs):
    bin_dir = Path(os.sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    script = code.replace(".venv/bin/", "")  # the environment running the tests is the project's
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=PROJECT_ROOT, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{where} failed:\n{result.stderr[-3000:]}"
    reuse = re.search(r"--out (\S+).*--reuse", script)
    if reuse:  # what the README promises: the notebooks a changed parameter does not reach are kept
        record = json.loads((PROJECT_ROOT / reuse.group(1) / "run.json").read_text(encoding="utf-8"))
        assert record["reused"], f"{where}: --reuse ran every notebook again"
