"""How many notebooks can run at once in the memory this machine has: each notebook's expected peak for a corpus.

Each running kernel holds its own copy of the corpus and what it derives from it, so a large corpus cannot run as many
notebooks at once as there are cores. The notebooks differ: at a million generated pages 01's kernel peaked at 4.9 GB
and 02's at 12.9 GB. The runner therefore expects each notebook's kernel to need its own base plus its own multiple of
the snapshot's documents table (:data:`KERNEL_MEMORY`), and starts a notebook beside the running ones only when they
are expected to fit together in the memory available less a headroom (:class:`MemoryBudget`, used by
:func:`~corpus_utils.run.order.next_to_start`): a light notebook runs beside a heavy one, two heavy ones one after
the other. ``run.json`` records each kernel's measured peak (``peak_memory_mb``) and, when memory decided, what was
expected (``memory_budget``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KERNEL_MEMORY", "HEADROOM_SHARE", "MemoryBudget", "notebooks_that_fit"]

#: Each notebook's kernel (with the processes it starts) peaks at about ``base`` MB plus ``per_byte`` times the
#: documents table it reads (the snapshot's uncompressed size,
#: :func:`~corpus_utils.input.snapshot.snapshot_table_bytes`): the line through its peaks measured (proportional set
#: sizes, ``peak_memory_mb`` in run.json) on generated pages at 100,000 documents (a 290 MB table) and a million
#: (2,903 MB). docs/benchmarks.md has the table.
KERNEL_MEMORY: Mapping[str, tuple[float, float]] = {  # notebook: (base MB, bytes per table byte)
    "01_corpus_overview": (251, 1.62),
    "02_term_frequency": (761, 4.17),
    "03_tfidf_similarity": (575, 3.70),
    "04_topic_clustering": (323, 4.31),
    "05_timeline": (269, 3.66),
    "06_formulations": (796, 3.89),
    "07_explore": (279, 3.10),
}
#: The line of a notebook not listed above (one of your own): the largest base and slope of the listed ones.
UNKNOWN_NOTEBOOK = (max(base for base, _ in KERNEL_MEMORY.values()), max(slope for _, slope in KERNEL_MEMORY.values()))
#: Every expectation is this much above the measured line: corpora differ from the generated pages.
MARGIN = 1.15
#: The share of the machine's memory notebooks running side by side leave free: the system's file cache keeps the
#: snapshot and the derived store the kernels read (at a million pages, gigabytes read by every notebook), and the
#: estimates above are estimates. A notebook running alone may use it.
HEADROOM_SHARE = 0.25


@dataclass(frozen=True)
class MemoryBudget:
    """The memory the notebooks of a run may hold together, and what each one's kernel is expected to need.

    Attributes
    ----------
    available : int
        Bytes the system reported available when the notebooks were about to start.
    table_bytes : int
        The snapshot's documents table (uncompressed).
    headroom : int
        Bytes notebooks running side by side leave free (:data:`HEADROOM_SHARE` of the machine's memory).
    """

    available: int
    table_bytes: int
    headroom: int = 0

    @property
    def shared(self) -> int:
        """Bytes the notebooks running side by side may hold together."""
        return max(0, self.available - self.headroom)

    def need(self, name: str) -> int:
        """The bytes notebook ``name`` (``02_term_frequency`` or, of a mixed corpus, ``02_term_frequency.zh``) is
        expected to need: a language's notebook is counted on the whole table, an upper bound."""
        base, per_byte = KERNEL_MEMORY.get(name.partition(".")[0], UNKNOWN_NOTEBOOK)
        return int(MARGIN * (base * 2**20 + per_byte * self.table_bytes))

    def fits(self, name: str, running: Iterable[str]) -> bool:
        """Whether notebook ``name`` is expected to fit beside the ``running`` ones (in :attr:`shared`), or, with
        none running, in all the memory available."""
        running = list(running)
        if not running:
            return self.need(name) <= self.available
        return self.need(name) + sum(map(self.need, running)) <= self.shared

    def record(self, names: Iterable[str]) -> dict[str, object]:
        """What run.json keeps: the memory available, what notebooks side by side may share, and each notebook's
        expected need, in MB."""
        return {"available_mb": round(self.available / 2**20), "shared_mb": round(self.shared / 2**20),
                "expected_mb": {name: round(self.need(name) / 2**20) for name in names}}


def _gb(size: int) -> str:
    return f"{size / 2**30:.1f} GB"


def notebooks_that_fit(jobs: int, snapshot: Path | None, names: Sequence[str] = (), *, available: int | None = None,
                       total: int | None = None) -> tuple[int, list[str], MemoryBudget | None]:
    """How many of ``jobs`` notebooks can run at once in this machine's available memory, and what to tell the user.

    Parameters
    ----------
    jobs : int
        The notebooks the cores would run at once.
    snapshot : Path or None
        The run's corpus snapshot. Without one (the seeds, a table the runner did not store) ``jobs`` stands.
    names : sequence of str
        The notebooks of the run; by default those of :data:`KERNEL_MEMORY`.
    available : int, optional
        Bytes of memory available; default what the system reports now (``psutil.virtual_memory().available``).
    total : int, optional
        Bytes of memory of the machine, whose :data:`HEADROOM_SHARE` notebooks side by side leave free; default what
        the system reports (``psutil.virtual_memory().total``).

    Returns
    -------
    tuple
        ``(at_once, messages, budget)``: the most notebooks that can run at once (the lightest together, at least
        one); warnings saying why fewer run at once than ``jobs``, or which notebooks may not fit even alone; and the
        :class:`MemoryBudget` each start must fit in, or None when the ``jobs`` heaviest fit together.
    """
    from ..input.snapshot import snapshot_table_bytes

    table = None if snapshot is None else snapshot_table_bytes(snapshot)
    if table is None:
        return jobs, [], None
    if available is None or total is None:
        import psutil

        memory = psutil.virtual_memory()
        available = memory.available if available is None else available
        total = memory.total if total is None else total
    budget = MemoryBudget(available=available, table_bytes=table, headroom=int(HEADROOM_SHARE * total))
    names = list(names) or list(KERNEL_MEMORY)
    needs = sorted(budget.need(name) for name in names)
    too_large = [name for name in names if budget.need(name) > available]
    alone = [f"{', '.join(too_large)} may run out of memory even alone ({_gb(needs[-1])} expected, {_gb(available)} "
             "available). Run on a subcorpus (-p DATE_FROM … -p DATE_TO …, or SECTIONS) or on a machine with more memory."
             ] if too_large else []
    if jobs == 1 or sum(needs[-jobs:]) <= budget.shared:
        return jobs, alone, None
    at_once = max((count for count in range(1, jobs + 1) if count == 1 or sum(needs[:count]) <= budget.shared))
    expected = ", ".join(f"{name} {_gb(budget.need(name))}" for name in names)
    where = (f"{_gb(budget.shared)} (the {_gb(available)} available, less {HEADROOM_SHARE:.0%} of the machine's memory "
             f"left to the file cache; expected for this corpus: {expected})")
    side_by_side = (f"notebooks start side by side only when their kernels are expected to fit together in {where}: "
                    + (f"at most {at_once} at once instead of {jobs}" if at_once < jobs else "the heaviest run apart")
                    + " (--jobs chooses).")
    return at_once, [side_by_side, *alone], budget
