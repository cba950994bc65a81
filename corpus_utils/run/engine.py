"""The papermill engine the runner executes notebooks with: papermill's own (nbclient), writing the executed notebook
less often.

papermill writes the whole executed notebook, figures included, when every cell starts and when it ends, markdown
cells too: 428 writes for the seven notebooks on the seeds, 1.6 s of the runner's 6 s of processor time, taken from
the kernels on a machine whose cores they keep busy. This engine writes it when a code cell starts (the file then
says which cell runs, should the kernel die in it), when papermill saves a long cell's outputs as they come
(``autosave_cell_every``), and when the notebook ends, failed or not: the same final file, about a third of the
writes. It extends papermill through its documented engine interface (:class:`papermill.engines.Engine`); tested
with papermill 2.7 (``requirements.txt`` pins it).

Given a ``stop`` event (the runner's Ctrl-C), no code cell starts once it is set: an interrupt that reaches the
kernel between two cells, or while it answers a request, would otherwise be lost and the notebook would run on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE_NAME", "CodeCellSaves", "FewerSavesEngine", "NotebookStopped", "register"]

#: The name the runner passes papermill (``execute_notebook(..., engine_name=ENGINE_NAME)``).
ENGINE_NAME = "corpus_utils"


class NotebookStopped(RuntimeError):
    """The run was asked to stop before a code cell started: that cell and the ones after it did not run."""


class CodeCellSaves(NotebookExecutionManager):
    """papermill's execution record, saved when a code cell starts, on autosave and at the end only; with ``stop``,
    no code cell starts once the event is set (:class:`NotebookStopped`); ``on_code_cell()`` is called as each code
    cell is about to start (the kernel has started). Cells that did not start (the run was
    stopped, the kernel died) stay ``pending``: papermill would mark them ``completed``."""

    _quiet = False

    def __init__(self, *args: Any, stop: threading.Event | None = None, on_code_cell: Callable[[], Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop, self._on_code_cell = stop, on_code_cell
        self._stopped = False

    def save(self, **kwargs: Any) -> None:
        if not self._quiet:
            super().save(**kwargs)

    def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        if cell.get("cell_type") == "code" and self._on_code_cell is not None:
            self._on_code_cell()  # before the check below: a stop coming after it finds the cell started
        if cell.get("cell_type") == "code" and self._stop is not None and self._stop.is_set():
            self._stopped = True
            raise NotebookStopped(f"the run was interrupted before cell {cell_index} started")
        self._quiet = cell.get("cell_type") != "code"
        try:
            super().cell_start(cell, cell_index, **kwargs)
        finally:
            self._quiet = False

    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        if self._stopped:  # the cell that did not start
            return
        self._quiet = True  # the next code cell's start, or the notebook's end, writes what this would
        try:
            super().cell_complete(cell, cell_index, **kwargs)
        finally:
            self._quiet = False

    def notebook_complete(self, **kwargs: Any) -> None:
        never_ran = [cell for cell in self.nb.cells if cell.metadata.papermill["status"] == self.PENDING]
        self._quiet = True  # papermill marks the cells before any failed one completed, as if they had run
        try:
            super().notebook_complete(**kwargs)
        finally:
            self._quiet = False
        for cell in never_ran:
            cell.metadata.papermill["status"] = self.PENDING
        self.save()


class FewerSavesEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`CodeCellSaves` as its execution record (``Engine.execute_notebook``
    with the record's class changed); ``stop`` and ``on_code_cell`` (papermill passes on its keyword arguments) are the
    record's."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None, progress_bar: Any = True,
                         log_output: bool = False, autosave_cell_every: int = 30, stop: threading.Event | None = None,
                         on_code_cell: Callable[[], Any] | None = None, **kwargs: Any) -> Any:
        nb_man = CodeCellSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                               autosave_cell_every=autosave_cell_every, stop=stop, on_code_cell=on_code_cell)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


def register() -> str:
    """Make :class:`FewerSavesEngine` known to papermill (again is harmless); return its name."""
    papermill_engines.register(ENGINE_NAME, FewerSavesEngine)
    return ENGINE_NAME
