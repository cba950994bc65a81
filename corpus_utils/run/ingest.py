"""Load a corpus for a run in a process of its own: the snapshot stays, the memory goes back when it ends.

``python -m corpus_utils.run.ingest CORPUS PATTERN [--scheduler ADDRESS] [--filters JSON] [--tokenise JSON]
[--inputs FILE] [--parent PID]`` loads ``CORPUS`` once (storing its snapshot, see :mod:`corpus_utils.input.snapshot`) and prints one
JSON object: the snapshot folder, the number of documents loaded, the load summary, the subcorpus the filters
(``{"DATE_FROM": …}``) keep and the language groups of that subcorpus; with ``--inputs``, every input file of a
folder hashed (the loader's content keys, and the files it did not read) goes to ``FILE``
(:meth:`~corpus_utils.core.inventory.InputFiles.write_table`) for the runner's record; ``{"error": …}`` when the loader rejects the corpus,
``{"crash": …}`` when loading fails otherwise (memory…), ``{"subcorpus_error": …}`` when the filters leave no
document. With a Dask scheduler's address the pages are parsed on its workers. With ``--tokenise`` (notebook 02's parameters: ``LANGUAGE``, ``MT_NORMALISATION``, …) and at least
:data:`PRETOKENISE_MIN_DOCUMENTS` documents, it also runs notebook 02's tokenising pass, on every core, into the derived
store (:mod:`corpus_utils.text.encoded`): the notebooks then read the token ids instead of waiting for the one
notebook that computes them with one core.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..input.load import LoadedCorpus

__all__ = ["PRETOKENISE_MIN_DOCUMENTS", "TOKENISING_PARAMETERS", "ingest", "ingest_outcome", "main", "pretokenise"]

#: The parameters of notebook 02's first tokenising pass (its ``prepare_corpus`` and its two tokenizers).
TOKENISING_PARAMETERS: tuple[str, ...] = ("LANGUAGE", "EXCLUDE_BOILERPLATE", "BOILERPLATE_THRESHOLD", "EXTRA_STOP_WORDS",
                                          "KEEP_WORDS", "MERGE_FORMULATIONS", "MT_NORMALISATION", "SIMPLIFY_CHINESE")
#: From this many documents in the subcorpus the ingest tokenises them ahead of the notebooks.
PRETOKENISE_MIN_DOCUMENTS = 20_000


def ingest(corpus: str, pattern: str, scheduler: str | None = None, filters: Mapping[str, Any] | None = None,
           tokenising: Mapping[str, Any] | None = None, inputs: Path | None = None) -> dict:
    """What the runner needs to know of a corpus, loaded once through the corpus store (parsed on ``scheduler``'s
    workers when given), and of the subcorpus ``filters`` (notebook parameters by name) choose in it; with
    ``tokenising`` (:data:`TOKENISING_PARAMETERS` by name) and no scheduler, the token ids of a large one are stored
    too (:func:`pretokenise`); with ``inputs``, the input files of a folder hashed, written there."""
    from dataclasses import asdict

    from ..core.scheduler import connect, disconnect, stage_times
    from ..input.load import read_corpus
    from ..input.subcorpus import EmptySubcorpusError, select_subcorpus, subcorpus_filters

    timed_before = len(stage_times())  # the runner may ingest in its own process, more than once
    connect(scheduler)
    try:
        loaded = read_corpus(corpus, pattern=pattern, cache=True)
    finally:
        disconnect()
    if inputs is not None and loaded.inputs is not None:
        _write_inputs(loaded, Path(corpus), pattern, inputs)
    try:
        subcorpus = select_subcorpus(loaded.documents, subcorpus_filters(filters or {}))
    except (EmptySubcorpusError, ValueError) as exc:
        return {"subcorpus_error": str(exc)}
    documents = subcorpus.documents
    groups, small = ([], {}) if documents.empty else _groups(documents)
    result = {"snapshot": None if loaded.snapshot is None else str(loaded.snapshot), "n_documents": loaded.report.n_loaded,
              "summary": loaded.report.summary(), "languages": groups, "small_languages": small,
              "subcorpus": subcorpus.record() if subcorpus.filters.active else None}
    if tokenising is not None and scheduler is None and len(documents) >= PRETOKENISE_MIN_DOCUMENTS:
        del subcorpus, documents
        try:
            pretokenise(corpus, pattern, filters or {}, tokenising, groups, loaded=loaded)
        except Exception as exc:  # the notebooks then tokenise as they would have: slower, same numbers
            result["pretokenise_error"] = f"{type(exc).__name__}: {exc}"
    return {**result, "stages": [asdict(time) for time in stage_times()[timed_before:]]}


def _write_inputs(loaded: LoadedCorpus, folder: Path, pattern: str, target: Path) -> None:
    """Every input file of ``folder``: those the loader read with the SHA-256 it took, the others (refused, or
    added since) hashed now. Not written when that fails: the runner then hashes every file itself."""
    from ..core.inventory import hash_inputs

    try:
        hash_inputs(folder, pattern, known=loaded.inputs).write_table(target)
    except OSError:
        pass


def _groups(documents) -> tuple[list[str], dict[str, int]]:
    """The language groups of ``documents`` analysed on their own, and the documents of those too small to be."""
    from ..input.language import language_counts, separate_groups

    separate, small = separate_groups(language_counts(documents["language"]))
    return separate, {group: int(count) for group, count in small.items()}


def pretokenise(corpus: str, pattern: str, filters: Mapping[str, Any], parameters: Mapping[str, Any],
                languages: Sequence[str], loaded: LoadedCorpus | None = None) -> None:
    """Notebook 02's first tokenising pass — the documents ``prepare_corpus`` gives it, under its ``MT_NORMALISATION``
    setting and the other — stored in the derived store, for each language the runner will run (each of
    ``languages`` when ``LANGUAGE`` is ``"auto"`` and the corpus holds several). Every notebook then reads the ids
    (:func:`~corpus_utils.analysis.terms.token_streams` with ``prepared.memo``); the pass uses every core.

    Parameters
    ----------
    corpus, pattern
        As the runner's ``--corpus`` and ``PATTERN``.
    filters : mapping
        The subcorpus parameters (``DATE_FROM``, …).
    parameters : mapping
        :data:`TOKENISING_PARAMETERS` by name, as notebook 02 runs with them (missing ones take their defaults).
    languages : sequence of str
        The language groups of the subcorpus.
    loaded : LoadedCorpus, optional
        The corpus as this process loaded it (else it is read from its snapshot).
    """
    from ..analysis.prepare import prepare_corpus
    from ..analysis.terms import token_streams
    from ..input.language import AUTO

    language = parameters.get("LANGUAGE", AUTO)
    normalised = bool(parameters.get("MT_NORMALISATION", False))
    for one in (languages if language == AUTO and len(languages) > 1 else [language]):
        prepared = prepare_corpus(corpus, pattern=pattern, filters=filters, language=one, mt_normalisation=normalised,
                                  simplify_chinese=bool(parameters.get("SIMPLIFY_CHINESE", False)),
                                  exclude_boilerplate=bool(parameters.get("EXCLUDE_BOILERPLATE", False)),
                                  boilerplate_threshold=float(parameters.get("BOILERPLATE_THRESHOLD", 0.8)),
                                  extra_stop_words=parameters.get("EXTRA_STOP_WORDS") or (),
                                  keep_words=parameters.get("KEEP_WORDS") or (),
                                  merge_formulations=bool(parameters.get("MERGE_FORMULATIONS", True)), loaded=loaded)
        # the two tokenizers notebook 02 builds: its own, and prepared.tokenizer_with(mt_normalisation=not …)
        other = prepared.tokenizer_with(mt_normalisation=not normalised)
        token_streams(prepared.documents, [prepared.tokenizer, other], memo=prepared.memo)


def _stop_as_on_ctrl_c(signum: int, frame: Any) -> None:
    """The runner's request to stop (on its Ctrl-C): end as a Ctrl-C would, removing a half-written snapshot."""
    raise KeyboardInterrupt


#: ``prctl`` option: the signal a process receives when its parent dies (Linux, ``<linux/prctl.h>``).
PR_SET_PDEATHSIG = 1


def stop_when_orphaned(parent: int) -> bool:
    """Have this process receive SIGTERM, and so stop as on the runner's request (:func:`_stop_as_on_ctrl_c`), when
    ``parent`` dies: a runner killed outright (out of memory, SIGKILL) cannot ask, and in a session of its own the
    load would otherwise go on for minutes (``ipykernel``'s parent poller does the same for kernels). Linux's
    ``prctl(PR_SET_PDEATHSIG)``: no thread and no timer; elsewhere nothing is set (False). A parent gone before the
    call stops the process at once."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):  # no C library to call into
        return False
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus_utils.run.ingest")
    parser.add_argument("corpus")
    parser.add_argument("pattern")
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--filters", default="{}", help="the subcorpus parameters as a JSON object")
    parser.add_argument("--tokenise", default=None, help="notebook 02's tokenising parameters as a JSON object")
    parser.add_argument("--inputs", default=None, type=Path, help="where to write the input files hashed (Parquet)")
    parser.add_argument("--parent", default=None, type=int, help="the runner's process id: this process stops when it dies")
    arguments = parser.parse_args(argv)
    from ..core.progress import survive_closed_output

    survive_closed_output()  # its bar shares the runner's standard error, whose reader may have gone
    signal.signal(signal.SIGTERM, _stop_as_on_ctrl_c)
    stop_when_orphaned(os.getppid() if arguments.parent is None else arguments.parent)
    try:
        result = ingest_outcome(arguments.corpus, arguments.pattern, arguments.scheduler, json.loads(arguments.filters),
                                None if arguments.tokenise is None else json.loads(arguments.tokenise), arguments.inputs)
    except KeyboardInterrupt:  # the runner passed on a Ctrl-C, and says so itself
        return 130
    print(json.dumps(result))
    return 0


def ingest_outcome(corpus: str, pattern: str, scheduler: str | None = None, filters: Mapping[str, Any] | None = None,
                   tokenising: Mapping[str, Any] | None = None, inputs: Path | None = None) -> dict:
    """:func:`ingest`'s result, or why it has none: ``{"error": …}`` when the loader refuses the corpus (notebook 01 then
    gives its report and message), ``{"crash": …}`` when loading fails otherwise (a lack of memory…)."""
    try:
        return ingest(corpus, pattern, scheduler, filters, tokenising, inputs)
    except (ValueError, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:
        return {"crash": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    raise SystemExit(main())
