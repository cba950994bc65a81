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
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager

from .checks import check_whole_number

__all__ = ["CORES_ENV_VAR", "THREAD_ENV_VARS", "available_cores", "check_n_jobs", "cores_per_process", "environment", "environment_with_cores", "ordered_map", "process_pool", "start_method"]

#: Caps the cores one process gives its pools. The runner sets it for its kernels, so that notebooks
#: running side by side share the cores instead of each starting one worker per core.
CORES_ENV_VAR = "CORPUS_UTILS_CORES"
#: The variables that size the thread pools of OpenMP (scikit-learn's k-means and silhouettes), OpenBLAS (NumPy's
#: and SciPy's, as their wheels ship it) and MKL, read when a process loads them: :func:`cores_per_process` sets them
#: for the processes it starts.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


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


@contextmanager
def cores_per_process(cores: int) -> Iterator[None]:
    """Within the block, cap :func:`available_cores` at ``cores`` here and in every process started here, and the
    thread pools of BLAS and OpenMP (:data:`THREAD_ENV_VARS`) in every process started here, unless already set.

    Kernels side by side each start their libraries' threads, one per core by default: two kernels on two cores then
    run four busy threads. Two processes side by side, each doing notebook 04's LSA, silhouettes, k-means and NMF
    fit on the 378,625 paragraphs of 100,000 pages: 56 s each with the default threads, 35 s each with one thread
    (silhouettes 14.7 → 4.4 s, k-means 6.2 → 0.7 s, LSA 10.5 → 7.2 s, NMF 24.0 → 22.7 s).
    """
    with ExitStack() as stack:
        for name, value in _core_variables(cores, os.environ).items():
            stack.enter_context(environment(name, value))
        yield


def environment_with_cores(cores: int, *, replacing: str | None) -> dict[str, str]:
    """A copy of this process's environment for one process to be started with ``cores`` cores: :data:`CORES_ENV_VAR`
    and each of :data:`THREAD_ENV_VARS` that is unset or holds ``replacing`` (the share :func:`cores_per_process` gave
    every process of the block) set to ``cores``; a thread count the user set stays."""
    return {**os.environ, **_core_variables(cores, os.environ, replacing)}


def _core_variables(cores: int, env: Mapping[str, str], replacing: str | None = None) -> dict[str, str]:
    """The variables that give a process ``cores`` cores: :data:`CORES_ENV_VAR`, and those of :data:`THREAD_ENV_VARS`
    that ``env`` leaves unset or sets to ``replacing`` (a value the user set is theirs)."""
    share = str(max(1, int(cores)))
    chosen = {CORES_ENV_VAR: share}
    for name in THREAD_ENV_VARS:
        value = env.get(name, "").strip()
        if not value or value == replacing:
            chosen[name] = share
    return chosen


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
