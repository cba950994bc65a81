"""The papermill engine the runner executes notebooks with: papermill's own (nbclient), writing the executed notebook
less often.

papermill writes the whole executed notebook, figures included, when every cell starts and when it ends, markdown
cells too: 428 writes for the seven notebooks on the seeds, 1.6 s of the runner's 6 s of processor time, taken from
the kernels on a machine whose cores they keep busy. This engine writes it when a code cell starts (the file then
says which cell runs, should the kernel die in it), when papermill saves a long cell's outputs as they come
(``autosave_cell_every``), and when the notebook ends, failed or not: the same final file, about a third of the
writes. It extends papermill through its documented engine interface (:class:`papermill.engines.Engine`); tested
with papermill 2.7 (``requirements.txt`` pins it).
"""

from __future__ import annotations

from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE_NAME", "CodeCellSaves", "FewerSavesEngine", "register"]

#: The name the runner passes papermill (``execute_notebook(..., engine_name=ENGINE_NAME)``).
ENGINE_NAME = "corpus_utils"


class CodeCellSaves(NotebookExecutionManager):
    """papermill's execution record, saved when a code cell starts, on autosave and at the end only."""

    _quiet = False

    def save(self, **kwargs: Any) -> None:
        if not self._quiet:
            super().save(**kwargs)

    def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        self._quiet = cell.get("cell_type") != "code"
        try:
            super().cell_start(cell, cell_index, **kwargs)
        finally:
            self._quiet = False

    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        self._quiet = True  # the next code cell's start, or the notebook's end, writes what this would
        try:
            super().cell_complete(cell, cell_index, **kwargs)
        finally:
            self._quiet = False


class FewerSavesEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`CodeCellSaves` as its execution record (``Engine.execute_notebook``
    with the record's class changed)."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None, progress_bar: Any = True,
                         log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
        nb_man = CodeCellSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                               autosave_cell_every=autosave_cell_every)
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
