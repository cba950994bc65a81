"""The package's layers: each subpackage imports only itself and the layers below it, and no module imports itself back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import corpus_utils

PACKAGE = Path(corpus_utils.__file__).resolve().parent
#: Bottom to top. The package root (``corpus_utils/__init__.py``, ``__main__.py``) is the façade above them all.
LAYERS = ("core", "input", "text", "analysis", "report", "run")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module of the package that ``path`` imports, at top level or inside functions, as absolute names."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.startswith("corpus_utils") and _exists(name))
    return found


def _exists(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative / "__init__.py").is_file()


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def test_every_module_lives_in_a_layer():
    outside = [name for name in MODULES if _layer(name) is None and name not in ("corpus_utils", "corpus_utils.__main__")]
    assert outside == [], f"modules outside the layers {LAYERS}: {outside}"


@pytest.mark.parametrize("name", sorted(name for name in MODULES if _layer(name)))
def test_no_upward_import(name):
    own = LAYERS.index(_layer(name))
    upward = sorted(target for target in GRAPH[name] if _layer(target) is None or LAYERS.index(_layer(target)) > own)
    assert upward == [], f"{name} ({LAYERS[own]}) imports a higher layer: {upward}"


def test_no_import_cycle():
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH.get(name, ())):
            target = target if target in MODULES else target.rsplit(".", 1)[0]
            if target == "corpus_utils" or target not in MODULES:
                continue
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join(trail[trail.index(target):] + [target]) if target in trail else target)
            if not state.get(target):
                visit(target, trail + [target])
        state[name] = 2

    for name in sorted(MODULES):
        if name not in state and name != "corpus_utils":
            visit(name, [name])


def test_the_walker_resolves_relative_imports():
    """The walker itself: relative imports (`from .terms`, `from ..text.tokenizer`) resolve to package modules."""
    assert "corpus_utils.analysis.terms" in _imports(PACKAGE / "analysis" / "kwic.py")
    assert "corpus_utils.text.tokenizer" in _imports(PACKAGE / "analysis" / "kwic.py")
