"""Load a corpus for a run in a process of its own: the snapshot stays, the memory goes back when it ends.

``python -m corpus_utils.run.ingest CORPUS PATTERN [--scheduler ADDRESS] [--filters JSON]`` loads ``CORPUS`` once
(storing its snapshot, see :mod:`corpus_utils.input.snapshot`) and prints one JSON object: the snapshot folder, the
number of documents loaded, the load summary, the subcorpus the filters (``{"DATE_FROM": …}``) keep and the language
groups of that subcorpus; ``{"error": …}`` when the loader rejects the corpus, ``{"subcorpus_error": …}`` when the
filters leave no document. With a Dask scheduler's address the pages are parsed on its workers.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ingest", "main"]


def ingest(corpus: str, pattern: str, scheduler: str | None = None, filters: Mapping[str, Any] | None = None) -> dict:
    """What the runner needs to know of a corpus, loaded once through the corpus store (parsed on ``scheduler``'s
    workers when given), and of the subcorpus ``filters`` (notebook parameters by name) choose in it."""
    from dataclasses import asdict

    from ..core.scheduler import connect, disconnect, stage_times
    from ..input.language import language_counts
    from ..input.load import read_corpus
    from ..input.subcorpus import EmptySubcorpusError, select_subcorpus, subcorpus_filters

    connect(scheduler)
    try:
        loaded = read_corpus(corpus, pattern=pattern, cache=True)
    finally:
        disconnect()
    try:
        subcorpus = select_subcorpus(loaded.documents, subcorpus_filters(filters or {}))
    except (EmptySubcorpusError, ValueError) as exc:
        return {"subcorpus_error": str(exc)}
    documents = subcorpus.documents
    groups = [] if documents.empty else [group for group in language_counts(documents["language"]).index if group != "und"]
    return {"snapshot": None if loaded.snapshot is None else str(loaded.snapshot), "n_documents": loaded.report.n_loaded,
            "summary": loaded.report.summary(), "languages": groups, "stages": [asdict(time) for time in stage_times()],
            "subcorpus": subcorpus.record() if subcorpus.filters.active else None}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus_utils.run.ingest")
    parser.add_argument("corpus")
    parser.add_argument("pattern")
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--filters", default="{}", help="the subcorpus parameters as a JSON object")
    arguments = parser.parse_args(argv)
    try:
        result = ingest(arguments.corpus, arguments.pattern, arguments.scheduler, json.loads(arguments.filters))
    except Exception as exc:  # the loader's message, for the runner to fall back on the notebooks' own report
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
