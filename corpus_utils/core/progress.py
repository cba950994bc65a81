"""Progress of long stages: a bar counting documents (or pages, paragraphs) done, on standard error.

Stages that take more than a few seconds on large corpora — parsing pages, tokenising texts — report through
:func:`progress_bar`. A bar appears only from :data:`PROGRESS_MIN_ITEMS` items on, so the seeds and small
corpora print nothing (committed notebooks stay as they are), and never when ``CORPUS_UTILS_PROGRESS=0``
(the runner sets it for ``--no-progress``). The bar is tqdm's plain text bar on standard error: in a terminal
it redraws in place, in a notebook cell it adds a line every :data:`PROGRESS_INTERVAL` seconds.
"""

from __future__ import annotations

import os
import sys

from tqdm import tqdm

__all__ = ["PROGRESS_ENV_VAR", "PROGRESS_INTERVAL", "PROGRESS_MIN_ITEMS", "ReaderGoneStream", "progress_bar", "progress_enabled",
           "survive_closed_output"]

#: Set to ``0`` to silence every progress bar (the runner does for ``--no-progress``).
PROGRESS_ENV_VAR = "CORPUS_UTILS_PROGRESS"
#: Fewer items than this show no bar.
PROGRESS_MIN_ITEMS = 20_000
#: Seconds between two updates of a bar.
PROGRESS_INTERVAL = 5.0


def progress_enabled() -> bool:
    """False when ``CORPUS_UTILS_PROGRESS`` is ``0``."""
    return os.environ.get(PROGRESS_ENV_VAR, "1").strip() != "0"


class _Bar(tqdm):
    """tqdm's bar without its monitor thread (``monitor_interval = 0``, as tqdm documents). tqdm starts that thread
    with its first bar, even a disabled one, and it outlives the bar: the process then looks multi-threaded, so its
    process pools start by forkserver instead of fork (:func:`~corpus_utils.core.workers.start_method`), and a script
    without an ``if __name__ == "__main__":`` guard was run again in the pool's server, which then hung."""

    monitor_interval = 0


def progress_bar(total: int, description: str, unit: str = "document") -> tqdm:
    """A bar counting ``total`` items (call ``update(n)``, then ``close()`` or use it as a context manager); silent
    below :data:`PROGRESS_MIN_ITEMS` items or when progress is off. It starts no thread."""
    return _Bar(total=total, desc=description, unit=unit, file=sys.stderr, mininterval=PROGRESS_INTERVAL,
                disable=total < PROGRESS_MIN_ITEMS or not progress_enabled(), dynamic_ncols=True)


class ReaderGoneStream:
    """A text stream that stops writing once its reader has gone (a closed pipe: ``run … 2>&1 | head``), instead of
    raising :class:`BrokenPipeError` from whichever write comes next (a progress bar's, a log line's): what is
    written there only informs, so losing it must not stop a run or leave its records unfinished."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self.stream.write(text)
            except (BrokenPipeError, ValueError):  # ValueError: the stream was closed
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except (BrokenPipeError, ValueError):
                self.gone = True

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def survive_closed_output() -> None:
    """Make this process's standard output and error :class:`ReaderGoneStream` (once): a command line calls it
    first, so a reader that goes away early costs the messages, not the run."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, ReaderGoneStream):
            setattr(sys, name, ReaderGoneStream(stream))
