"""Repository-anchored paths, so notebooks run alike from JupyterLab, papermill and pytest."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "SEEDS_DIR",
    "NOTEBOOKS_DIR",
    "FIGURES_DIR",
    "PACKAGE_DATA_DIR",
    "resolve_path",
    "package_version",
]

PROJECT_ROOT: Path = Path(__file__).resolve().parents[2]
SEEDS_DIR: Path = PROJECT_ROOT / "seeds"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
FIGURES_DIR: Path = PROJECT_ROOT / "figures"
PACKAGE_DATA_DIR: Path = Path(__file__).resolve().parents[1] / "data"


def resolve_path(path: str | Path) -> Path:
    """Return ``path`` as an absolute path; a relative path is taken from the repository root.

    ``"~"`` is expanded. Notebooks pass their ``CORPUS`` and ``FIGURES_DIR`` parameters through
    this, so ``"seeds"`` means the shipped seeds wherever the kernel was started.
    """
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return candidate
    return (PROJECT_ROOT / candidate).resolve()


def package_version() -> str:
    """The installed version of this project (``pyproject.toml``), or ``"unknown"`` when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("corpus-notebooks")
    except metadata.PackageNotFoundError:
        return "unknown"
