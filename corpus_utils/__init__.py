"""corpus-notebooks helper package: load scraped procuratorate pages and analyse them.

The package is in layers (``core`` → ``input`` → ``text`` → ``analysis`` → ``report`` → ``run``; see
docs/architecture.md). This module re-exports what most scripts start with: the loader and the tokenizer.
Nothing runs at import time, and nothing heavy is imported: the re-exported names load their module (and pandas)
when first used (PEP 562), so ``python -m corpus_utils`` and ``import corpus_utils.core.paths`` start at once and a
Ctrl-C in the first second reaches the command line's own handler rather than an import of pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .core.paths import FIGURES_DIR, PROJECT_ROOT, SEEDS_DIR, resolve_path

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .input.load import (
        DOCUMENT_COLUMNS,
        TEXT_DTYPE,
        CorpusLoadError,
        CorpusLoadWarning,
        LoadedCorpus,
        LoadReport,
        load_corpus,
        load_paragraphs,
        read_corpus,
    )
    from .text.tokenizer import Tokenizer

#: Re-exported names loaded on first use, and the module each comes from.
_LAZY = {
    **dict.fromkeys(["DOCUMENT_COLUMNS", "TEXT_DTYPE", "CorpusLoadError", "CorpusLoadWarning", "LoadedCorpus", "LoadReport",
                     "load_corpus", "load_paragraphs", "read_corpus"], ".input.load"),
    "Tokenizer": ".text.tokenizer",
}

__all__ = [
    "DOCUMENT_COLUMNS",
    "TEXT_DTYPE",
    "CorpusLoadError",
    "CorpusLoadWarning",
    "LoadedCorpus",
    "LoadReport",
    "load_corpus",
    "load_paragraphs",
    "read_corpus",
    "FIGURES_DIR",
    "PROJECT_ROOT",
    "SEEDS_DIR",
    "resolve_path",
    "Tokenizer",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """A re-exported name, imported from its module the first time it is asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
