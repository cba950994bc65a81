"""corpus-notebooks helper package: load scraped procuratorate pages and analyse them.

Nothing runs at import time. See the README for the documents-table schema.
"""

from .input.load import (
    DOCUMENT_COLUMNS,
    CorpusLoadError,
    CorpusLoadWarning,
    LoadedCorpus,
    LoadReport,
    load_corpus,
    load_paragraphs,
    read_corpus,
)
from .core.paths import FIGURES_DIR, PROJECT_ROOT, SEEDS_DIR, resolve_path

__all__ = [
    "DOCUMENT_COLUMNS",
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
]
__version__ = "0.1.0"
