"""The committed notebooks read like a gallery and share well: short cells, no functions, no machine paths in outputs."""

from __future__ import annotations

import ast
import json

import pytest

from corpus_utils.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def _code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(index, cell) for index, cell in enumerate(cells) if cell["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_code_cells_are_short_and_define_nothing(path):
    for index, cell in _code_cells(path):
        source = "".join(cell["source"])
        lines = source.splitlines()
        if len(lines) > 15:  # allowed only where the cell's first line says why
            assert lines[0].startswith("#") and "longer than 15 lines" in lines[0], f"{path.name} cell {index}: {len(lines)} lines"
        defined = [node for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
        assert not [node for node in defined if not isinstance(node, ast.Lambda)], f"{path.name} cell {index} defines a function"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_outputs_name_no_path_of_this_machine(path):
    text = path.read_text(encoding="utf-8")
    assert str(PROJECT_ROOT) not in text
    for index, cell in _code_cells(path):
        for output in cell.get("outputs", []):
            shown = json.dumps(output.get("data", {}).get("text/plain", "")) + json.dumps(output.get("text", ""))
            assert "PosixPath(" not in shown and " at 0x" not in shown, f"{path.name} cell {index} shows an object, not a result"
