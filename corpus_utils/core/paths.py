"""Where things are: the repository's folders, and how a user's relative path is read.

The API and the command line read a relative path from the current folder, as every tool does; notebooks
read theirs from the repository root (:func:`repository_path`, applied to their path parameters by
:func:`corpus_utils.run.params.check_parameters`), so ``CORPUS = "seeds"`` means the shipped seeds whether
JupyterLab started the kernel in ``notebooks/``, papermill in the repository or the runner elsewhere."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "SEEDS_DIR",
    "NOTEBOOKS_DIR",
    "FIGURES_DIR",
    "PACKAGE_DATA_DIR",
    "resolve_path",
    "repository_path",
    "package_version",
]

PROJECT_ROOT: Path = Path(__file__).resolve().parents[2]
SEEDS_DIR: Path = PROJECT_ROOT / "seeds"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
FIGURES_DIR: Path = PROJECT_ROOT / "figures"
PACKAGE_DATA_DIR: Path = Path(__file__).resolve().parents[1] / "data"


def resolve_path(path: str | Path) -> Path:
    """Return ``path`` as an absolute path; a relative path is taken from the current folder (``"~"`` expanded).

    Every function of the API reads its paths through this: ``load_corpus("my.parquet")`` reads the file
    in the folder the script or shell is in.
    """
    return Path(path).expanduser().absolute()


def repository_path(path: str | Path) -> Path:
    """Return ``path`` as an absolute path; a relative path is taken from the repository root (``"~"`` expanded).

    For notebook parameters only: a notebook's ``"seeds"`` or ``"figures"`` means the repository's folder
    wherever its kernel was started.
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
