"""One lock file for work that two processes should not do twice (parsing the same pages, fitting the same model)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:  # POSIX record locks
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["file_lock"]


@contextmanager
def file_lock(path: str | Path, *, timeout: float | None = None) -> Iterator[str]:
    """Hold an exclusive POSIX record lock (``lockf``) on ``path`` for the block.

    The lock belongs to the process that took it: worker processes forked while it is held never hold it, and
    it is released when its holder dies, so a killed process never blocks the next. Yields ``"held"``;
    ``"timeout"`` when another process held it for more than ``timeout`` seconds (then the block runs without
    it); ``"unavailable"`` where there are no POSIX locks or the lock file cannot be opened. Work guarded by
    it must stay correct without it (done twice is slower, never wrong).
    """
    if fcntl is None:
        yield "unavailable"
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # noqa: SIM115 - closed below
    except OSError:
        yield "unavailable"
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    state = "held"
    try:
        while True:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if deadline is not None and time.monotonic() >= deadline:
                    state = "timeout"
                    break
                time.sleep(0.05)
        yield state
    finally:
        if state == "held":
            fcntl.lockf(handle, fcntl.LOCK_UN)
        handle.close()
