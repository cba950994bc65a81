"""Which notebooks of a rerun can keep their last results: fingerprints of everything a notebook's outputs depend on.

A notebook's outputs are fixed by its own file, the package's code and data, its parameter values (and the
contents of any file a parameter names, such as ``REGISTRY``), the corpus (the corpus store's snapshot key, or
the SHA-256 of a table) and the versions of Python, the kernel and the libraries the run records. The runner
stores this fingerprint with every notebook in ``run.json``; ``--reuse`` keeps a notebook whose fingerprint is
unchanged since the last successful run into the same folder, with every file it wrote still there, and runs the
others. Change ``N_TOPICS`` and only 04 and 05 run again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..core.files import file_sha256
from ..core.paths import resolve_path
from ..core.inventory import InputFiles, inputs_digest

__all__ = ["corpus_identity", "file_sha256", "notebook_fingerprint", "package_digest", "reusable_notebooks"]

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def package_digest() -> str:
    """SHA-256 of every file of the ``corpus_utils`` package (code and data), by relative path."""
    digest = hashlib.sha256()
    for path in sorted(p for p in _PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def _named_files(values: Mapping[str, Any], skip: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each file a text parameter names (``REGISTRY = "my_registry.csv"``), by parameter."""
    found = {}
    for name, value in values.items():
        if name in skip or not isinstance(value, str) or not value.strip():
            continue
        try:
            path = resolve_path(value)
            if path.is_file():
                found[name] = file_sha256(path)
        except (OSError, ValueError):
            continue
    return found


def notebook_fingerprint(notebook: Path, values: Mapping[str, Any], corpus_identity: str, versions: Mapping[str, str]) -> str:
    """The fingerprint of one notebook run: equal fingerprints give equal outputs.

    Parameters
    ----------
    notebook : Path
        The notebook file.
    values : mapping
        Every parameter value it runs with (``NotebookPlan.values``).
    corpus_identity : str
        What identifies the corpus's content: the snapshot key, or the SHA-256 of the input files.
    versions : mapping
        The versions the run records (Python, kernel, libraries).
    """
    parts = {
        "notebook": file_sha256(notebook),
        "package": package_digest(),
        "values": json.loads(json.dumps(dict(values), sort_keys=True, default=str)),
        "files": _named_files(values, skip=("CORPUS", "FIGURES_DIR")),
        "corpus": corpus_identity,
        "versions": dict(versions),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _outputs_present(out_dir: Path, entry: Mapping[str, Any]) -> bool:
    files = [entry.get("notebook"), entry.get("html"), *entry.get("figures", [])]
    return all(isinstance(name, str) and (out_dir / name).is_file() for name in files)


def reusable_notebooks(out_dir: Path, fingerprints: Mapping[str, str], base_name: Any = None) -> list[str]:
    """The notebooks (base names, ``02_term_frequency``) whose every planned run has the fingerprint it had in the last
    successful run into ``out_dir``, with its executed notebook, HTML export and figures still there.

    Parameters
    ----------
    out_dir : Path
        The run folder.
    fingerprints : mapping
        Planned notebook run name (``02_term_frequency`` or ``02_term_frequency.zh``) → fingerprint.
    base_name : callable, optional
        Run name → notebook name (default: the part before the first dot).
    """
    record_file = out_dir / "run.json"
    try:
        previous = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    base_name = base_name or (lambda name: name.split(".", 1)[0])
    entries = {entry.get("name"): entry for entry in previous.get("notebooks", []) if isinstance(entry, dict)}
    runs: dict[str, list[str]] = {}
    for name in fingerprints:
        runs.setdefault(base_name(name), []).append(name)
    previous_runs: dict[str, set[str]] = {}
    for name in entries:
        if isinstance(name, str):
            previous_runs.setdefault(base_name(name), set()).add(name)
    kept = []
    for base, names in runs.items():
        if previous_runs.get(base) != set(names):
            continue  # another split into languages than last time
        if all(entries[name].get("status") == "succeeded" and entries[name].get("fingerprint") == fingerprints[name]
               and _outputs_present(out_dir, entries[name]) for name in names):
            kept.append(base)
    return sorted(kept)


def corpus_identity(snapshot: Path | None, input_files: InputFiles | None) -> str:
    """The corpus part of a fingerprint: the snapshot's loader version and key, or one SHA-256 over the input files'
    paths and SHA-256s (:meth:`~corpus_utils.core.inventory.InputFiles.digest`)."""
    if snapshot is not None:
        return f"snapshot:{snapshot.parent.name}/{snapshot.name}"
    return "files:" + (inputs_digest(()) if input_files is None else input_files.digest())
