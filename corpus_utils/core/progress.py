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

__all__ = ["PROGRESS_ENV_VAR", "PROGRESS_INTERVAL", "PROGRESS_MIN_ITEMS", "progress_bar", "progress_enabled"]

#: Set to ``0`` to silence every progress bar (the runner does for ``--no-progress``).
PROGRESS_ENV_VAR = "CORPUS_UTILS_PROGRESS"
#: Fewer items than this show no bar.
PROGRESS_MIN_ITEMS = 20_000
#: Seconds between two updates of a bar.
PROGRESS_INTERVAL = 5.0


def progress_enabled() -> bool:
    """False when ``CORPUS_UTILS_PROGRESS`` is ``0``."""
    return os.environ.get(PROGRESS_ENV_VAR, "1").strip() != "0"


def progress_bar(total: int, description: str, unit: str = "document") -> tqdm:
    """A bar counting ``total`` items (call ``update(n)``, then ``close()`` or use it as a context manager); silent
    below :data:`PROGRESS_MIN_ITEMS` items or when progress is off."""
    return tqdm(total=total, desc=description, unit=unit, file=sys.stderr, mininterval=PROGRESS_INTERVAL,
                disable=total < PROGRESS_MIN_ITEMS or not progress_enabled(), dynamic_ncols=True)
