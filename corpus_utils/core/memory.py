"""How much memory a process and the processes it started hold: sampled while it runs, for the runner's record of
each notebook's kernel and for the benchmarks.

psutil (a dependency of IPython and of this package) reads the numbers; without it every function reports None.
"""

from __future__ import annotations

import itertools
import threading

__all__ = ["PSS_EVERY", "TreeSampler", "tree_memory_mb"]

#: :class:`TreeSampler` reads the proportional set sizes every this many samples (once a second by default): the
#: system walks each process's memory map to count them, far more work than reading the resident sets.
PSS_EVERY = 5


def tree_memory_mb(pid: int, *, proportional: bool = False) -> float | None:
    """Memory (MB) of a process and its descendants: the sum of their resident sets, or with ``proportional`` of
    their proportional set sizes (Linux's PSS: a page that n of them share counts 1/n to each, so the pages a forked
    process still shares with its parent count once, where resident sets count them in both). None without psutil,
    once the process has ended, or where the system reports no PSS."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0
    for process in processes:
        try:
            total += getattr(process.memory_full_info(), "pss") if proportional else process.memory_info().rss
        except AttributeError:
            return None
        except psutil.Error:
            pass
    return total / 2**20


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants until :meth:`stop`: the peak of the sum of their
    resident sets (:attr:`peak_mb`), and of their proportional set sizes every ``pss_every`` samples
    (:attr:`pss_peak_mb`, what they hold together: a forked pool's pages shared with its parent counted once). Both
    stay None where they cannot be read (no psutil, no PSS on this system)."""

    def __init__(self, pid: int, interval: float = 0.2, *, pss_every: int = PSS_EVERY) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.pss_every = pss_every
        self.peak_mb: float | None = None
        self.pss_peak_mb: float | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        peak = proportional_peak = 0.0
        for count in itertools.count():
            if self._stop_event.is_set():
                break
            current = tree_memory_mb(self.pid)
            if current is None:
                break
            peak = max(peak, current)
            self.peak_mb = round(peak, 1)
            proportional = tree_memory_mb(self.pid, proportional=True) if count % self.pss_every == 0 else None
            if proportional is not None:
                proportional_peak = max(proportional_peak, proportional)
                self.pss_peak_mb = round(proportional_peak, 1)
            self._stop_event.wait(self.interval)

    @property
    def held_mb(self) -> float | None:
        """The best peak known: the proportional one where the system reports it, else the resident sets' sum."""
        return self.pss_peak_mb if self.pss_peak_mb is not None else self.peak_mb

    def stop(self) -> None:
        """Stop sampling (the peaks stay readable)."""
        self._stop_event.set()
        self.join(timeout=5)
