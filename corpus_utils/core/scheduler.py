"""Where the heavy stages run: in this process (the default), or on a Dask cluster (``SCHEDULER``, ``--scheduler``).

With no scheduler nothing here imports Dask, so a run on the seeds pays nothing for it. :func:`connect` makes a
scheduler the process's *active* one (as ``joblib.parallel_config`` or ``dask.config.set(scheduler=...)`` do): the
stages that can run on Dask (parsing page files, tokenising, n-gram counting, top-k neighbours, formulation
counts) ask :func:`active` and, when there is one, send their partitions to its workers; what fits in one process
after the reduction (a vocabulary, a topic model, the figures) stays here. Every such stage is timed by
:func:`stage`, which says where it ran; the runner collects those times into ``run.json``.

Why Dask's ``distributed`` scheduler and not our own cluster code: researchers already run it on laptops
(``LocalCluster``), university clusters (dask-jobqueue on SLURM/PBS) and Kubernetes (dask-kubernetes, Dask Gateway),
and one address reaches any of them. ``docs/scaling.md`` says how.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from .progress import PROGRESS_ENV_VAR
from .stored import StoredPart, forget_columns, remembered_files, stored_part
from .workers import available_cores, ordered_map, process_pool

__all__ = [
    "MAX_PART_ITEMS",
    "POOL_MIN_ITEMS",
    "STAGE_LOG_ENV_VAR",
    "DaskScheduler",
    "SchedulerError",
    "StageTime",
    "active",
    "check_scheduler",
    "connect",
    "disconnect",
    "in_this_process",
    "map_in_parts",
    "stage",
    "stage_times",
    "where_stages_run",
]

#: A folder the runner names for its kernels: each process appends its stage times to ``<pid>.jsonl`` there.
STAGE_LOG_ENV_VAR = "CORPUS_UTILS_STAGE_LOG"
#: ``local`` (one worker per core) or ``local:N`` (N workers): a LocalCluster on this machine.
_LOCAL = re.compile(r"^local(?::(\d+))?$")
#: The share of this machine's memory a LocalCluster's workers get together, split evenly (Dask spills what they hold
#: to disk past 60 % of a worker's share): the rest is the kernel's, which holds the corpus beside them. Dask's own
#: default gives the workers all of it, and at a million pages one worker and a kernel of 7 GB outgrew 24 GB.
LOCAL_WORKERS_MEMORY_SHARE = 0.5
#: At most this many items (documents, paragraphs, files) per task, so that a worker's memory does not grow with the
#: corpus: about 70 MB of text for pages of this kind.
MAX_PART_ITEMS = 20_000
#: From this many items, a stage that asks for ``processes`` (:func:`map_in_parts`) runs on every free core of this
#: machine when there is no scheduler: below it, starting the processes costs more than they save.
POOL_MIN_ITEMS = 20_000
#: A part of at least this many bytes travels to a worker before its task (:meth:`DaskScheduler.map`), not inside it:
#: Dask warns from 10 MB of task graph.
GRAPH_MAX_BYTES = 2**20
#: Seconds to wait for a scheduler at an address before saying it cannot be reached.
CONNECT_TIMEOUT = 30

_active: DaskScheduler | None = None
_times: list[StageTime] = []


class SchedulerError(RuntimeError):
    """A scheduler that cannot be used: a malformed ``SCHEDULER``, an address nobody answers at, Dask missing."""


@dataclass(frozen=True)
class StageTime:
    """One stage's wall time: ``stage`` (e.g. ``"tokenising"``), ``where`` it ran, ``seconds``, ``items`` (texts, pairs…);
    on Dask, the MB of parts (texts, matrices) sent to the workers from this process (``sent_mb``) and of texts the
    workers read from the corpus store instead (``read_from_store_mb``)."""

    stage: str
    where: str
    seconds: float
    items: int | None = None
    sent_mb: float | None = None
    read_from_store_mb: float | None = None


def check_scheduler(spec: str | None) -> str | None:
    """``spec`` as :func:`connect` reads it: None (or ``""``, ``"none"``) for this process, ``"local"``, ``"local:N"``
    or a scheduler address (``tcp://host:8786``, ``tls://…``, ``host:8786``); raise :class:`SchedulerError` otherwise."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        raise SchedulerError(f"SCHEDULER must be a string or None, got {spec!r}")
    text = spec.strip()
    if text.lower() in ("", "none"):
        return None
    local = _LOCAL.match(text.lower())
    if local:
        if local.group(1) is not None and int(local.group(1)) < 1:
            raise SchedulerError(f"SCHEDULER = {spec!r}: a LocalCluster needs at least one worker (local:1, local:2 …)")
        return text.lower()
    if re.match(r"^([a-z]+://)?[\w.\-\[\]:]+:\d+/?$", text):
        return text
    raise SchedulerError(
        f"SCHEDULER = {spec!r} is neither 'local', 'local:N' nor a Dask scheduler address such as tcp://10.0.0.5:8786"
    )


class DaskScheduler:
    """A connection to a Dask ``distributed`` scheduler, with the cluster when this process started it.

    Parameters
    ----------
    client : distributed.Client
        The connection.
    cluster : distributed.LocalCluster, optional
        Closed with the scheduler when this process started it.
    requested : str
        What the user asked for (``"local"``, an address), for the records.
    """

    def __init__(self, client: Any, *, cluster: Any = None, requested: str = "") -> None:
        self.client = client
        self.cluster = cluster
        self.requested = requested
        #: Bytes of parts sent from here, and of texts the workers read from the corpus store instead, so far.
        self.sent_bytes = 0
        self.read_from_store_bytes = 0
        self._sees: dict[str, bool] = {}

    @property
    def address(self) -> str:
        """The scheduler's address (what a second process passes as ``SCHEDULER`` to share the cluster)."""
        return str(self.client.scheduler.address)

    @property
    def n_workers(self) -> int:
        """Workers connected now."""
        return len(self.client.scheduler_info()["workers"])

    @property
    def n_threads(self) -> int:
        """Threads over all workers."""
        return int(sum(worker["nthreads"] for worker in self.client.scheduler_info()["workers"].values()))

    @property
    def where(self) -> str:
        """How :func:`stage` names this scheduler, e.g. ``"dask (2 workers)"``."""
        workers = self.n_workers
        return f"dask ({workers} worker{'s' if workers != 1 else ''})"

    def describe(self) -> dict[str, Any]:
        """What ``run.json`` records: what was asked, the address, workers and threads."""
        return {"requested": self.requested, "address": self.address, "workers": self.n_workers, "threads": self.n_threads}

    def cut(self, items: Any, start: int, stop: int) -> Any:
        """Rows ``start:stop`` of ``items`` (a list, an array, a column, a table, a
        :class:`~corpus_utils.core.columns.TextSequence`) as a task takes them. Text columns this process read from
        the corpus store, unchanged, travel as references and the worker reads them from the store
        (:mod:`corpus_utils.core.stored`), when every worker sees the store's file; the rest travels as values."""
        part = stored_part(items, start, stop)
        if part is not None and all(self.sees(path) for path in part.paths):
            return part
        return _slice(items, start, stop)

    def sees(self, path: str) -> bool:
        """Whether every worker reads the file ``path`` as this process does (same size): a shared filesystem. Asked
        once per file."""
        if path not in self._sees:
            try:
                here = os.path.getsize(path)
                sizes = self.client.run(os.path.getsize, path)
                self._sees[path] = bool(sizes) and all(size == here for size in sizes.values())
            except Exception:  # a worker without the file (OSError there), or one that left: send the values
                self._sees[path] = False
        return self._sees[path]

    def map(self, function: Callable, parts: Iterable, **shared: Any) -> list:
        """``[function(part, **shared) for part in parts]``, one task per part on the workers, results in order.

        At most two tasks per worker are in flight, and ``parts`` is read as tasks are sent (it may be a
        generator), so the kernel never holds a second copy of all the parts. ``shared`` values other than
        plain numbers, strings and None (a tokenizer, a registry, a matrix) are sent to every worker once
        (``scatter(broadcast=True)``), not once per task. A task's error is raised here, and the other tasks
        are cancelled.
        """
        from distributed import as_completed

        sent = self._sent(shared)
        numbered = enumerate(parts)
        results: dict[int, Any] = {}
        running: dict[Any, int] = {}

        def send_next() -> Any:
            for number, part in numbered:
                future = self.client.submit(_call, function, self._held(part), pure=False, **sent)
                running[future] = number
                return future
            return None

        first = [future for future in (send_next() for _ in range(2 * max(1, self.n_workers))) if future is not None]
        try:
            finished = as_completed(first)
            for future in finished:
                results[running.pop(future)] = future.result().value
                future.release()
                following = send_next()
                if following is not None:
                    finished.add(following)
        finally:
            if running:
                self.client.cancel(list(running))
        return [results[number] for number in range(len(results))]

    def fold_blocks(self, function: Callable, parts: Iterable, blocks: Iterable, *, merge: Callable,
                    prepare_part: Callable | None = None, prepare_block: Callable | None = None, window: int = 2,
                    **shared: Any) -> list:
        """For every part, ``function(part, block, **shared)`` over all ``blocks``, folded with ``merge(previous,
        next)`` on the workers: one result per part, in order (blockwise all-against-all, e.g. top-k neighbours).

        Each part goes once to one worker, in turn, and stays there (``prepare_part`` of it is computed there once),
        with its running result; each block goes once to one worker, ``prepare_block`` of it is computed there, and
        Dask copies it to the workers holding parts. At most ``window`` blocks are in flight, so a worker holds its
        parts, their results and a few blocks, never all of ``blocks``, and this process sends each part and each
        block once and receives only the results. ``shared`` values travel as in :meth:`map`.
        """
        from distributed import wait

        sent = self._sent(shared)
        workers = sorted(self.client.scheduler_info()["workers"])
        homes, prepared = [], []
        for number, part in enumerate(parts):
            home = [workers[number % len(workers)]]
            self.sent_bytes += _size_of(part)
            held = self.client.scatter(_Whole(part), workers=home, hash=False)
            prepared.append(self.client.submit(_call, prepare_part or _itself, held, workers=home, pure=False))
            homes.append(home)
        results: list = [None] * len(prepared)
        in_flight: deque = deque()
        try:
            for number, block in enumerate(blocks):
                where = [workers[number % len(workers)]]
                self.sent_bytes += _size_of(block)
                held = self.client.scatter(_Whole(block), workers=where, hash=False)
                ready = self.client.submit(_call, prepare_block or _itself, held, workers=where, pure=False)
                results = [self.client.submit(_fold_step, function, merge, part, ready, result, workers=home,
                                              pure=False, **sent)
                           for part, result, home in zip(prepared, results, homes)]
                in_flight.append(results)
                if len(in_flight) > window:
                    wait(in_flight.popleft())
            if not in_flight:
                raise ValueError("fold_blocks needs at least one block")
            return [whole.value for whole in self.client.gather(results)]
        finally:
            self.client.cancel([future for step in in_flight for future in step] + prepared)

    def _held(self, part: Any) -> Any:
        """``part`` as a task's argument, counted in :attr:`sent_bytes` (and a reference's rows in
        :attr:`read_from_store_bytes`): a large one is first sent to a worker (``scatter``) and the task names it
        there; embedded in the task itself, Dask warns "Sending large graph" for every part of a large corpus."""
        if isinstance(part, StoredPart):
            self.read_from_store_bytes += part.stored_bytes
            self.sent_bytes += sum(_size_of(value) for value in part.values)
            return _Whole(part)
        size = _size_of(part)
        self.sent_bytes += size
        return _Whole(part) if size < GRAPH_MAX_BYTES else self.client.scatter(_Whole(part), hash=False)

    def _sent(self, shared: dict[str, Any]) -> dict[str, Any]:
        """``shared`` as tasks take it: plain values as they are, others sent to every worker once."""
        return {name: value if _is_plain(value) else self.client.scatter(_Whole(value), broadcast=True, hash=False)
                for name, value in shared.items()}

    def submit_part(self, function: Callable, part: Any, **shared: Any) -> Any:
        """A future of ``function(part, **shared)`` on a worker, its result left there for further tasks
        (:meth:`submit`); the part and the shared values travel as in :meth:`map` (a text column read from the corpus
        store as a reference, a large part before its task)."""
        return self.client.submit(_call_unwrapped, function, self._held(part), pure=False, **self._sent(shared))

    def submit(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        """A future of ``function(*args, **kwargs)`` on a worker (futures among the arguments are resolved there)."""
        return self.client.submit(function, *args, pure=False, **kwargs)

    def scatter(self, value: Any, *, broadcast: bool = False) -> Any:
        """A future holding ``value`` on the workers (on every one with ``broadcast``)."""
        return self.client.scatter(value, broadcast=broadcast)

    def gather(self, futures: Any) -> Any:
        """The results of ``futures`` (a future, or a list of them), here."""
        return self.client.gather(futures)

    def close(self) -> None:
        """Close the connection, and the cluster when this process started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class _Whole:
    """A value Dask sends as one pickle. Dask walks lists, tuples and dicts item by item, which is slow for the
    parts and results here: 100,000 result rows took 9 s to come back that way, against 0.1 s as one pickle."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getstate__(self) -> Any:
        return self.value

    def __setstate__(self, value: Any) -> None:
        self.value = value

    def __sizeof__(self) -> int:
        """The wrapped value's size as Dask estimates it (what ``dask.sizeof`` falls back to for an unknown type):
        without it, Dask counted each part or block as a few dozen bytes, in its memory limits and its transfers."""
        from dask.sizeof import sizeof

        return int(sizeof(self.value))


def _call(function: Callable, part: _Whole, **shared: Any) -> _Whole:
    """On a worker: ``function`` of the part (read from the corpus store when it is a reference) and the shared
    values, unwrapped; the result wrapped again."""
    value = part.value.load() if isinstance(part.value, StoredPart) else part.value
    return _Whole(function(value, **_on_worker(shared)))


def _call_unwrapped(function: Callable, part: _Whole, **shared: Any) -> Any:
    """:func:`_call`, its result as it is (a further task takes it)."""
    return _call(function, part, **shared).value


def _size_of(value: Any) -> int:
    """What ``value`` takes, as Dask estimates it (a sample of a list's items)."""
    from dask.sizeof import sizeof

    return int(sizeof(value))


def _on_worker(shared: dict[str, Any]) -> dict[str, Any]:
    """The shared values unwrapped, progress bars off: a worker's lines would land in the terminal of whoever
    started the cluster."""
    os.environ[PROGRESS_ENV_VAR] = "0"
    return {name: value.value if isinstance(value, _Whole) else value for name, value in shared.items()}


def _fold_step(function: Callable, merge: Callable, part: _Whole, block: _Whole, previous: _Whole | None,
               **shared: Any) -> _Whole:
    """On a worker: one step of :meth:`DaskScheduler.fold_blocks`, ``function`` of the part and the block merged
    into the part's result so far."""
    found = function(part.value, block.value, **_on_worker(shared))
    return _Whole(found if previous is None else merge(previous.value, found))


def _itself(value: Any) -> Any:
    return value


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def connect(spec: str | None) -> DaskScheduler | None:
    """Make ``spec`` this process's active scheduler and return it (None: this process, Dask not imported).

    ``"local"`` starts a LocalCluster of one single-threaded worker process per core here (``"local:N"``: N
    workers), which share :data:`LOCAL_WORKERS_MEMORY_SHARE` of the machine's memory; an address connects to a
    running scheduler. Connecting again to the same ``spec`` returns the same scheduler; another ``spec`` closes the
    previous one once the new one answers.

    Raises
    ------
    SchedulerError
        With what to do: a malformed spec, Dask not installed, or no scheduler answering at the address.
    """
    global _active
    spec = check_scheduler(spec)
    if _active is not None and spec == _active.requested:
        return _active
    connected = None if spec is None else _connected(spec)
    disconnect()  # only once the new one answers: a failed connection leaves the active scheduler as it was
    _active = connected
    return _active


def _connected(spec: str) -> DaskScheduler:
    """A new scheduler for a checked, non-empty ``spec``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of requirements.txt
        raise SchedulerError(f"SCHEDULER = {spec!r} needs Dask's distributed scheduler: pip install 'dask[distributed]' ({exc})") from None
    local = _LOCAL.match(spec)
    if local:
        workers = int(local.group(1)) if local.group(1) else available_cores()
        import dask

        # the workers' statistical profiler samples every task's stack: 10 % of the time of this package's
        # pure-Python scans (measured on 20,000 pages); nobody reads those profiles on a LocalCluster. No dashboard,
        # and the scheduler's HTTP server on a free port: with dashboard_address=None it still took port 8787, and a
        # second cluster on the machine (two notebooks with SCHEDULER = "local") warned that the port was in use
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   memory_limit=LOCAL_WORKERS_MEMORY_SHARE / workers,  # a float: that share of the memory
                                   scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR)
        return DaskScheduler(Client(cluster), cluster=cluster, requested=spec)
    try:
        client = Client(spec, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(
            f"no Dask scheduler answers at {spec} ({exc}). Start one there (`dask scheduler`, then `dask worker {spec}` "
            "on each machine; docs/scaling.md), or set SCHEDULER = 'local' for a cluster on this machine, or None."
        ) from None
    return DaskScheduler(client, requested=spec)


def disconnect() -> None:
    """Close the active scheduler, if any; stages run in this process again."""
    global _active
    forget_columns()
    if _active is not None:
        scheduler, _active = _active, None
        scheduler.close()


def active() -> DaskScheduler | None:
    """The scheduler :func:`connect` made active in this process, or None (stages run here)."""
    return _active


@contextmanager
def in_this_process() -> Iterator[None]:
    """Within the block, stages run in this process even when a scheduler is active (e.g. a reference result)."""
    global _active
    kept, _active = _active, None
    try:
        yield
    finally:
        _active = kept


@contextmanager
def stage(name: str, items: int | None = None) -> Iterator[None]:
    """Time the block as stage ``name`` (over ``items`` texts, pairs…), recording where it ran: ``"this process"``
    or the active scheduler (:attr:`DaskScheduler.where`). The times are kept for :func:`stage_times` and, when
    the runner names a folder in ``CORPUS_UTILS_STAGE_LOG``, appended to this process's file there."""
    scheduler = _active
    where = scheduler.where if scheduler is not None else "this process"
    sent, read = (scheduler.sent_bytes, scheduler.read_from_store_bytes) if scheduler is not None else (0, 0)
    started = time.perf_counter()
    try:
        yield
    finally:
        traffic = {} if scheduler is None else {"sent_mb": round((scheduler.sent_bytes - sent) / 2**20, 1),
                                                "read_from_store_mb": round((scheduler.read_from_store_bytes - read) / 2**20, 1)}
        record = StageTime(stage=name, where=where, seconds=round(time.perf_counter() - started, 3), items=items, **traffic)
        _times.append(record)
        folder = os.environ.get(STAGE_LOG_ENV_VAR, "").strip()
        if folder:
            try:
                with open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as log:
                    log.write(json.dumps(asdict(record)) + "\n")
            except OSError:  # a record that cannot be written costs the run nothing
                pass


def map_in_parts(function: Callable, items: Any, *, stage_name: str, processes: bool = False, **shared: Any) -> list:
    """``[function(items, **shared)]`` in this process, or, with an active scheduler, ``function`` of contiguous parts of
    ``items`` (a list, an array or a DataFrame: at least two parts per worker, at most :data:`MAX_PART_ITEMS` items
    each) on the workers, in order. With ``processes`` and no scheduler, :data:`POOL_MIN_ITEMS` items or more are
    shared out the same way among this machine's free cores (:func:`~corpus_utils.core.workers.available_cores`),
    one process each. The caller joins the parts' results (they concatenate: ``function`` must treat each row on its
    own, so the parts give what one call gives). Timed as ``stage_name``."""
    scheduler = _active
    if scheduler is None or len(items) < 2:
        jobs = available_cores() if scheduler is None and processes and len(items) >= POOL_MIN_ITEMS else 1
        with in_this_process(), stage(stage_name, items=len(items)):
            if jobs < 2:  # nothing to share out
                return [function(items, **shared)]
            with process_pool(jobs, preload=function.__module__) as pool:  # parts made as the pool asks for them
                return list(ordered_map(pool, partial(_call_quietly, function, **shared), _parts(items, 2 * jobs), ahead=2 * jobs))
    with stage(stage_name, items=len(items)):
        return scheduler.map(function, _parts(items, 2 * max(1, scheduler.n_workers), cut=scheduler.cut), **shared)


def _parts(items: Any, at_least: int, *, cut: Callable[[Any, int, int], Any] | None = None) -> Iterator:
    """Contiguous parts of ``items``: ``at_least`` of them (fewer for fewer items), more when a part would hold more
    than :data:`MAX_PART_ITEMS`, each ``cut(items, start, stop)`` (default: the rows). Each part is cut when it is
    asked for: the parts of a text column read from Arrow are Python strings, and all of them at once would be the
    corpus a second time (4.7 GB that a million pages' MT-variant scan left in the kernel)."""
    n_parts = min(len(items), max(at_least, -(-len(items) // MAX_PART_ITEMS)))
    bounds = [len(items) * number // n_parts for number in range(n_parts + 1)]
    return ((cut or _slice)(items, start, stop) for start, stop in zip(bounds[:-1], bounds[1:]))


def _slice(items: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a list, an array, a column, a table or a text sequence."""
    return items.iloc[start:stop] if hasattr(items, "iloc") else items[start:stop]


def _call_quietly(function: Callable, part: Any, **shared: Any) -> Any:
    """In a pool's process: ``function`` of the part, without a progress bar of its own (the caller's stage is timed)."""
    os.environ[PROGRESS_ENV_VAR] = "0"
    return function(part, **shared)


#: The stages that go to the workers when a scheduler is active, in the order a run meets them.
DASK_STAGES = ("parsing pages", "cleaning table rows", "tokenising", "counting", "top-k neighbours", "formulations", "MT variants",
               "concordance", "candidate formulations", "normalising paragraphs", "boilerplate join")


def where_stages_run(scheduler: DaskScheduler | None) -> str:
    """One line for a notebook's output: which stages run on the workers and which here ("" without a scheduler)."""
    if scheduler is None:
        return ""
    files = remembered_files()
    texts = ("" if not files else " The workers read the corpus's texts from the corpus store." if all(map(scheduler.sees, files))
             else " The workers do not see the corpus store (CORPUS_UTILS_CACHE_DIR on a shared filesystem): the texts travel from here.")
    return (f"On Dask at {scheduler.address} ({scheduler.where.split('(')[1].rstrip(')')}, {scheduler.n_threads} threads): "
            f"{', '.join(DASK_STAGES)}. In this kernel: the vocabularies' merge, TF-IDF weighting, models and figures.{texts}")


def stage_times() -> list[StageTime]:
    """The stages timed in this process so far, in order."""
    return list(_times)
