"""corpus-notebooks helper package: load scraped procuratorate pages and analyse them.

The package is in layers (``core`` → ``input`` → ``text`` → ``analysis`` → ``report`` → ``run``; see
docs/architecture.md). This module re-exports what most scripts start with: the loader and the tokenizer.
Nothing runs at import time.
"""

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
from .core.paths import FIGURES_DIR, PROJECT_ROOT, SEEDS_DIR, resolve_path
from .text.tokenizer import Tokenizer

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
