"""Load a corpus for a run in a process of its own: the snapshot stays, the memory goes back when it ends.

``python -m corpus_utils.run.ingest CORPUS PATTERN [SCHEDULER]`` loads ``CORPUS`` once (storing its snapshot, see
:mod:`corpus_utils.input.snapshot`) and prints one JSON object: the snapshot folder, the number of documents
loaded, the load summary and the language groups, or ``{"error": …}`` when the loader rejects the corpus. With
a Dask scheduler's address the pages are parsed on its workers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

__all__ = ["ingest", "main"]


def ingest(corpus: str, pattern: str, scheduler: str | None = None) -> dict:
    """What the runner needs to know of a corpus, loaded once through the corpus store (parsed on ``scheduler``'s
    workers when given)."""
    from dataclasses import asdict

    from ..core.scheduler import connect, disconnect, stage_times
    from ..input.language import language_counts
    from ..input.load import read_corpus

    connect(scheduler)
    try:
        loaded = read_corpus(corpus, pattern=pattern, cache=True)
    finally:
        disconnect()
    documents = loaded.documents
    groups = [] if documents.empty else [group for group in language_counts(documents["language"]).index if group != "und"]
    return {"snapshot": None if loaded.snapshot is None else str(loaded.snapshot), "n_documents": loaded.report.n_loaded,
            "summary": loaded.report.summary(), "languages": groups, "stages": [asdict(time) for time in stage_times()]}


def main(argv: Sequence[str] | None = None) -> int:
    corpus, pattern, *rest = (sys.argv[1:] if argv is None else list(argv))[:3]
    try:
        result = ingest(corpus, pattern, rest[0] if rest else None)
    except Exception as exc:  # the loader's message, for the runner to fall back on the notebooks' own report
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
