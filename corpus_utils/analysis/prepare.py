"""One call that sets a notebook up: load the corpus, optionally drop boilerplate, build the tokenizer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.memo import Memo
from ..core.scheduler import DaskScheduler, connect, where_stages_run
from ..input.cache import default_cache_dir
from ..input.language import AUTO, select_language
from ..input.load import LoadedCorpus, LoadReport, read_corpus
from ..input.subcorpus import Subcorpus, SubcorpusFilters, select_subcorpus, subcorpus_filters
from ..text.tokenizer import Tokenizer
from .boilerplate import remove_boilerplate

__all__ = ["PreparedCorpus", "prepare_corpus"]


@dataclass(frozen=True)
class PreparedCorpus:
    """A loaded corpus, ready to analyse.

    Attributes
    ----------
    documents : pandas.DataFrame
        The loader's documents table (columns: see :data:`corpus_utils.DOCUMENT_COLUMNS`), with template
        paragraphs removed from ``body`` when boilerplate was excluded (then also ``n_boilerplate_paragraphs``).
    report : LoadReport
        What the loader did with every input file.
    tokenizer : Tokenizer
        The tokenizer every analysis of the notebook uses.
    original : pandas.DataFrame
        The documents of the subcorpus and language as loaded, before boilerplate removal (the same object when
        nothing was removed).
    language : str
        ``"all"`` or the language group analysed (see :func:`~corpus_utils.input.language.select_language`).
    language_note : str
        What the language selection kept and left out ("" for a corpus in one language).
    memo : Memo
        Where results computed from this corpus are kept for the next notebook (topic fits:
        ``fit_topics(..., memo=prepared.memo)``), in ``derived/`` of the cache folder.
    scheduler : DaskScheduler or None
        The Dask scheduler the heavy stages run on (``SCHEDULER``), or None: all in this process.
    subcorpus : Subcorpus or None
        What the filters (``DATE_FROM`` … ``EXCLUDE_DUPLICATES``) kept and left out, before the language is chosen.
    tokenizer_options : dict
        The :meth:`~corpus_utils.text.tokenizer.Tokenizer.from_parameters` arguments ``tokenizer`` was built from
        (see :meth:`tokenizer_with`).
    """

    documents: pd.DataFrame
    report: LoadReport
    tokenizer: Tokenizer
    original: pd.DataFrame
    language: str = "all"
    language_note: str = ""
    memo: Memo | None = None
    scheduler: DaskScheduler | None = None
    subcorpus: Subcorpus | None = None
    tokenizer_options: dict = field(default_factory=dict)

    def tokenizer_with(self, **changes) -> Tokenizer:
        """This corpus's tokenizer with some settings changed (:meth:`Tokenizer.from_parameters` keywords), every
        other setting as prepared, e.g. ``prepared.tokenizer_with(mt_normalisation=False)`` to compare one setting."""
        return Tokenizer.from_parameters(**{**self.tokenizer_options, **changes})

    @property
    def n_documents(self) -> int:
        """Number of documents."""
        return len(self.documents)

    @property
    def n_words(self) -> int:
        """Running words of all documents (the loader's ``n_words``, after boilerplate removal)."""
        return int(self.documents["n_words"].sum())

    def summary(self) -> str:
        """What was loaded and prepared, for a notebook's output: load summary, boilerplate, size."""
        lines = [self.report.summary()]
        if self.subcorpus is not None and self.subcorpus.note:
            lines.append(self.subcorpus.note)
        if self.language_note:
            lines.append(self.language_note)
        if "n_boilerplate_paragraphs" in self.documents.columns:
            removed = int(self.documents["n_boilerplate_paragraphs"].sum())
            lines.append(f"Boilerplate removed: {removed} paragraph(s) repeated across documents.")
        lines.append(f"{self.n_documents} documents, {self.n_words:,} running words.")
        if self.scheduler is not None:
            lines.append(where_stages_run(self.scheduler))
        return "\n".join(lines)


def prepare_corpus(
    corpus: str | Path,
    *,
    pattern: str = "*.txt",
    exclude_boilerplate: bool = False,
    boilerplate_threshold: float = 0.8,
    extra_stop_words: Iterable[str] = (),
    keep_words: Iterable[str] = (),
    merge_formulations: bool = True,
    mt_normalisation: bool = False,
    registry: pd.DataFrame | None = None,
    language: str = AUTO,
    simplify_chinese: bool = False,
    scheduler: str | None = None,
    filters: SubcorpusFilters | Mapping | None = None,
    loaded: LoadedCorpus | None = None,
) -> PreparedCorpus:
    """Load ``corpus`` and build what every notebook needs from its shared parameters.

    Parameters
    ----------
    corpus, pattern
        As for :func:`corpus_utils.read_corpus` (``CORPUS``, ``PATTERN``).
    exclude_boilerplate, boilerplate_threshold
        Remove paragraphs repeated across documents before any count
        (:func:`~corpus_utils.analysis.boilerplate.remove_boilerplate`; ``EXCLUDE_BOILERPLATE``,
        ``BOILERPLATE_THRESHOLD``).
    extra_stop_words, keep_words, merge_formulations, mt_normalisation, registry, simplify_chinese
        The tokenizer's settings (:meth:`~corpus_utils.text.tokenizer.Tokenizer.from_parameters`).
    language : str
        Which documents to analyse (``LANGUAGE``): ``"auto"``, ``"all"`` or a language code
        (:func:`~corpus_utils.input.language.select_language`); applied before boilerplate removal.
    scheduler : str, optional
        ``SCHEDULER``: None (every stage in this process; Dask is not imported), ``"local"``, ``"local:N"`` or a
        Dask scheduler address. The process then sends parsing, tokenising, counting and neighbours to the
        workers (:func:`corpus_utils.core.scheduler.connect`).
    filters : SubcorpusFilters or mapping, optional
        The subcorpus to analyse: filters, or a notebook's parameters (``PARAMS``), whose ``DATE_FROM``, ``DATE_TO``,
        ``SECTIONS``, ``SOURCES``, ``TITLE_PATTERN``, ``BODY_PATTERN`` and ``EXCLUDE_DUPLICATES`` are read; applied right after loading, before the
        language is chosen (:func:`~corpus_utils.input.subcorpus.select_subcorpus`; an
        :class:`~corpus_utils.input.subcorpus.EmptySubcorpusError` says what each filter left out when none is left).
    loaded : LoadedCorpus, optional
        ``corpus`` as :func:`corpus_utils.read_corpus` already loaded it in this process, used instead of loading it
        again (the runner's loading step: one copy of a million pages in memory, not two).

    Returns
    -------
    PreparedCorpus
    """
    connected = connect(scheduler)
    loaded = read_corpus(corpus, pattern=pattern) if loaded is None else loaded
    subcorpus = select_subcorpus(loaded.documents, subcorpus_filters(filters) if isinstance(filters, Mapping) else filters)
    selection = select_language(subcorpus.documents, language)
    documents = original = selection.documents
    memo = Memo(default_cache_dir() / "derived")
    if exclude_boilerplate:
        documents = remove_boilerplate(documents, threshold=boilerplate_threshold, memo=memo)
    options = {"extra_stop_words": tuple(extra_stop_words), "keep_words": tuple(keep_words),
               "merge_formulations": merge_formulations, "mt_normalisation": mt_normalisation, "registry": registry,
               "simplify_chinese": simplify_chinese}
    return PreparedCorpus(documents=documents, report=loaded.report, tokenizer=Tokenizer.from_parameters(**options),
                          original=original, language=selection.language, language_note=selection.note, memo=memo,
                          scheduler=connected, subcorpus=subcorpus, tokenizer_options=options)
