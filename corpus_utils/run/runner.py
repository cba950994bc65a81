"""Run every notebook on a corpus with papermill, then write a shareable run folder (HTML, figures, run.json)."""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from .order import next_to_start
from .params import (
    NOTEBOOKS_ENV_VAR, PATH_PARAMETERS, Parameter, ParameterError, check_value_type, notebook_parameters, parse_value, read_params_file,
)
from ..core.inventory import INPUTS_FILE, InputFiles, hash_inputs, recorded_digest
from .budget import MemoryBudget, notebooks_that_fit
from .reuse import corpus_identity, notebook_fingerprint, reusable_notebooks
from .rules import check_cross_rules
from ..core.files import is_temporary, write_whole
from ..core.memory import TreeSampler
from ..core.paths import FIGURES_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, SEEDS_DIR, package_version
from ..input.language import AUTO
from ..input.snapshot import SNAPSHOT_ENV_VAR
from ..report.html import export_notebook_html, make_exporter, write_index, write_thumbnail
from ..report.summary import write_summary
from ..core.progress import PROGRESS_ENV_VAR, progress_enabled
from ..core.scheduler import STAGE_LOG_ENV_VAR, DaskScheduler, SchedulerError, check_scheduler, connect, disconnect
from ..core.workers import CORES_ENV_VAR, available_cores, cores_per_process, environment, environment_with_cores

__all__ = [
    "RUNNER_PARAMETERS",
    "DEFAULT_RUN_DIR",
    "NOTEBOOK_GLOB",
    "RunError",
    "NotebookPlan",
    "RunPlan",
    "discover_notebooks",
    "describe_parameters",
    "plan_run",
    "execute_run",
    "default_jobs",
    "notebooks_that_fit",
    "IngestFailure",
    "ingest_corpus",
    "Ingested",
]

#: Parameters the runner sets for every notebook that declares them (from --corpus, --pattern, --out).
RUNNER_PARAMETERS: tuple[str, ...] = ("CORPUS", "PATTERN", "FIGURES_DIR")
#: Where the default run (seeds, default parameters) writes everything except its figures.
DEFAULT_RUN_DIR: Path = PROJECT_ROOT / "runs" / "default"
#: The notebooks of the collection: numbered, in reading order.
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
_RUN_FILES = ("notebooks", "html", "figures", "thumbnails", "index.html", "summary.html", "run.json", INPUTS_FILE)
_VERSIONED = ("pandas", "numpy", "scikit-learn", "matplotlib", "papermill", "nbconvert", "nbformat", "ipykernel")


#: The notebook whose first tokenising pass the ingest runs ahead of it, on large corpora (:mod:`corpus_utils.run.ingest`).
TOKENISING_NOTEBOOK = "02_term_frequency"


class RunError(RuntimeError):
    """The run cannot start (bad corpus, output folder or selection) or a notebook failed."""


@dataclass(frozen=True)
class NotebookPlan:
    """One notebook to execute: its declared parameters and the values papermill will inject."""

    name: str
    path: Path
    declared: tuple[Parameter, ...]
    inject: dict[str, Any]
    overrides: tuple[str, ...]
    figures_dir: Path | None = None  # where this notebook's figures go when not the run's figures folder
    fingerprint: str = ""  # everything its outputs depend on (see corpus_utils.run.reuse)

    @property
    def values(self) -> dict[str, Any]:
        """Every declared parameter with the value the notebook runs with, in declaration order."""
        return {parameter.name: self.inject.get(parameter.name, parameter.default) for parameter in self.declared}


@dataclass(frozen=True)
class RunPlan:
    """Everything :func:`execute_run` needs, validated: nothing has run when a plan exists."""

    out_dir: Path
    figures_dir: Path
    default_run: bool
    corpus: str
    corpus_path: Path
    pattern: str
    kernel: str
    notebooks: tuple[NotebookPlan, ...]
    not_selected: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    languages: tuple[str, ...] = ()  # language groups run one at a time, when the corpus holds several
    snapshot: Path | None = None  # the corpus store snapshot every notebook reads (see corpus_utils.input.snapshot)
    loaded_summary: tuple[int, str] | None = None  # documents loaded and the load summary, when the runner loaded it
    reused: tuple[str, ...] = ()  # notebooks kept from the last run into out_dir: nothing they depend on changed
    input_files: InputFiles | None = None  # path, size, time and SHA-256 of each input file, when known before the notebooks
    scheduler: DaskScheduler | None = None  # the Dask scheduler every notebook's heavy stages run on (SCHEDULER, --scheduler)
    ingest_stages: tuple[dict[str, Any], ...] = ()  # the timed stages of loading the corpus for the run
    subcorpus: dict[str, Any] | None = None  # what the subcorpus filters kept and left out (None: every document)
    code: bool = True  # the HTML pages show the code cells (False: --no-code, narrative and outputs only)

    def figures_of(self, notebook: NotebookPlan) -> Path:
        """The folder ``notebook`` writes its figures to."""
        return notebook.figures_dir or self.figures_dir


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _for_notebook(path: Path) -> str:
    """A path as a notebook parameter: relative to the repository root when inside it, else absolute."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix() or "."
    except ValueError:
        return str(path.resolve())


def _shown(path: Path) -> str:
    """A path for messages: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def discover_notebooks(folder: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) of ``folder``, sorted by name.

    Raises
    ------
    RunError
        The folder does not exist or holds no numbered notebook.
    """
    location = Path(folder)
    if not location.is_dir():
        raise RunError(f"notebooks folder {location} does not exist; pass --notebooks DIR.")
    found = sorted(location.glob(NOTEBOOK_GLOB), key=lambda path: path.name)
    if not found:
        raise RunError(f"no notebooks named like 01_name.ipynb in {location}.")
    return found


def _select(paths: Sequence[Path], only: Sequence[str] | None) -> list[Path]:
    if not only:
        return list(paths)
    chosen = []
    for wanted in only:
        matches = [path for path in paths if path.stem == wanted or path.stem.split("_", 1)[0] == wanted]
        if not matches:
            raise RunError(
                f"--only {wanted}: no such notebook; choose from {', '.join(path.stem for path in paths)} "
                "(a number such as 02 or a full name)."
            )
        chosen += [path for path in matches if path not in chosen]
    return sorted(chosen, key=lambda path: path.name)


def describe_parameters(folder: str | Path = NOTEBOOKS_DIR) -> str:
    """Every notebook's parameters with defaults and comments, as text for ``--list-params``."""
    lines = []
    for path in discover_notebooks(folder):
        lines.append(path.stem)
        for parameter in notebook_parameters(path):
            note = "  [set by the runner]" if parameter.name in RUNNER_PARAMETERS else ""
            comment = f"  # {parameter.comment}" if parameter.comment else ""
            lines.append(f"  {parameter.name} = {parameter.default!r}{comment}{note}")
        lines.append("")
    lines.append(
        "Set any of these with -p NAME VALUE or a --params YAML file; each value goes to the notebooks "
        "that declare the name. CORPUS, PATTERN and FIGURES_DIR come from --corpus, --pattern and --out."
    )
    return "\n".join(lines)


def _typed_for(parameter: Parameter, value: Any, raw: str | None) -> Any:
    # papermill types "2019" as an int; where the notebook expects text, the text typed is meant.
    if raw is not None and isinstance(parameter.default, str) and isinstance(value, (bool, int, float)):
        return raw
    return value


def _resolve_values(
    declared: Mapping[str, tuple[Parameter, ...]],
    selected: Sequence[str],
    values: Mapping[str, tuple[Any, str | None, str]],
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per selected notebook, the user's values it declares; all problems found, as messages."""
    errors: list[str] = []
    warnings: list[str] = []
    settable = sorted({p.name for params in declared.values() for p in params} - set(RUNNER_PARAMETERS))
    per_notebook: dict[str, dict[str, Any]] = {name: {} for name in selected}
    for name, (value, raw, source) in values.items():
        if name in RUNNER_PARAMETERS:
            option = {"CORPUS": "--corpus", "PATTERN": "--pattern", "FIGURES_DIR": "--out"}[name]
            errors.append(f"{source}: {name} is set by the runner; use {option} instead.")
            continue
        owners = [notebook for notebook, params in declared.items() if any(p.name == name for p in params)]
        if not owners:
            close = difflib.get_close_matches(name, settable, n=1)
            errors.append(
                f"{source}: unknown parameter {name}: no notebook declares it."
                + (f" Did you mean {close[0]}?" if close else "")
            )
            continue
        users = [notebook for notebook in owners if notebook in per_notebook]
        if not users:
            message = f"{source}: {name} is declared only by {', '.join(owners)}, which this run does not select"
            (errors if raw is not None else warnings).append(message + ("." if raw is not None else "; ignored."))
            continue
        for notebook in users:
            parameter = next(p for p in declared[notebook] if p.name == name)
            typed = _typed_for(parameter, value, raw)
            try:
                check_value_type(parameter, typed)
            except ParameterError as exc:
                hint = ' Pass a JSON list, e.g. -p NAME \'["a", "b"]\'.' if isinstance(parameter.default, list) else ""
                errors.append(f"{source}: {notebook}: {exc}{hint}")
                continue
            if name in PATH_PARAMETERS and isinstance(typed, str) and typed.strip() and typed.strip().lower() != "none":
                typed = _for_notebook(Path(typed).expanduser())  # the command line reads paths from the current folder
            per_notebook[notebook][name] = typed
    for notebook, chosen in per_notebook.items():
        try:
            check_cross_rules({**{p.name: p.default for p in declared[notebook]}, **chosen})
        except ValueError as exc:
            errors.append(f"{notebook}: {exc}")
    if errors:
        raise ParameterError(
            "invalid parameters (nothing was run):\n  "
            + "\n  ".join(errors)
            + f"\nValid names: {', '.join(settable) or '(none)'}. See --list-params for defaults and comments."
        )
    return per_notebook, warnings


def plan_run(
    *,
    corpus: str | Path | None = None,
    out: str | Path | None = None,
    pattern: str | None = None,
    parameters: Sequence[tuple[str, str]] = (),
    params_file: str | Path | None = None,
    only: Sequence[str] | None = None,
    notebooks_dir: str | Path | None = None,
    kernel: str = "python3",
    reuse: bool = False,
    progress: bool = False,
    scheduler: str | None = None,
    code: bool = True,
) -> RunPlan:
    """Validate a run before anything executes: notebooks, parameters, corpus and output folder.

    With every option left out this is the default run: all notebooks on the seeds, outputs under
    ``runs/default/`` and figures in the repository's ``figures/``. Any other corpus, pattern,
    parameter or notebooks folder needs ``out``, and such a named run writes its figures to
    ``<out>/figures``. Relative paths are taken from the working directory.

    Parameters
    ----------
    corpus, pattern
        Passed to every notebook declaring ``CORPUS`` / ``PATTERN``.
    out : str or Path, optional
        The run folder; it must be new, empty or an earlier run folder (one holding ``run.json``).
    parameters : sequence of (name, text)
        ``-p NAME VALUE`` pairs, typed by :func:`corpus_utils.params.parse_value`; they override ``params_file``.
    params_file : str or Path, optional
        YAML mapping of names to values (:func:`corpus_utils.params.read_params_file`).
    only : sequence of str, optional
        Notebook numbers (``"02"``) or names to run; the others keep their results from an earlier run.
    notebooks_dir : str or Path, optional
        Where the numbered notebooks are (default ``notebooks/``).
    reuse : bool
        Keep each notebook whose fingerprint (:func:`~corpus_utils.run.reuse.notebook_fingerprint`: notebook, code,
        parameters, corpus content, versions) equals its last successful run into ``out``, with its files still
        there (``--reuse``); run the others.
    progress : bool
        Show the bar of pages parsed while the corpus is loaded for the run (large corpora only).
    kernel : str
        Jupyter kernel name.
    scheduler : str, optional
        ``--scheduler``: ``"local"`` / ``"local:N"`` (a LocalCluster started here for the whole run) or a Dask
        scheduler address; else the ``SCHEDULER`` parameter's value, if set. The loading for the run and every
        notebook's heavy stages then run on that one cluster (:mod:`corpus_utils.core.scheduler`);
        :func:`execute_run` closes it at the end.

    Raises
    ------
    ParameterError
        An unknown parameter name (no notebook declares it) or a value of the wrong type; the
        message lists every problem and the valid names.
    RunError
        Missing corpus or notebooks, an unknown ``--only`` entry, or an output folder that is not a run folder.
    """
    is_default = corpus is None and out is None and pattern is None and not parameters
    is_default = is_default and params_file is None and notebooks_dir is None  # --scheduler changes no result
    if out is None and not is_default:
        raise RunError(
            "name this run with --out runs/NAME: only the default run (seeds, default parameters) "
            "may write the repository's figures/."
        )
    out_dir = DEFAULT_RUN_DIR if out is None else Path(out).expanduser().resolve()
    figures_dir = FIGURES_DIR if is_default else out_dir / "figures"
    if not is_default and figures_dir.resolve() == FIGURES_DIR.resolve():
        raise RunError(f"--out {out} would put figures in the repository's figures/; choose a folder under runs/.")
    corpus_path = SEEDS_DIR if corpus is None else Path(corpus).expanduser().resolve()
    if not corpus_path.exists():
        raise RunError(f"corpus {corpus} does not exist; pass --corpus with a folder of pages or a table file.")
    pattern = "*.txt" if pattern is None else pattern
    if corpus_path.is_dir() and not any(path.is_file() for path in corpus_path.glob(pattern)):
        raise RunError(f"no files match {pattern!r} in corpus {corpus_path}; check --corpus or pass --pattern.")

    available = discover_notebooks(NOTEBOOKS_DIR if notebooks_dir is None else notebooks_dir)
    chosen = _select(available, only)
    declared = {path.stem: tuple(notebook_parameters(path)) for path in available}
    values: dict[str, tuple[Any, str | None, str]] = {}
    if params_file is not None:
        for name, value in read_params_file(params_file).items():
            values[name] = (value, None, Path(params_file).name)
    for name, raw in parameters:
        values[name] = (parse_value(raw), raw, f"-p {name}")
    per_notebook, warnings = _resolve_values(declared, [path.stem for path in chosen], values)
    if scheduler is not None:
        values["SCHEDULER"] = (scheduler, scheduler, "--scheduler")
    scheduler = _connect_scheduler(values)
    try:
        return _plan_with(scheduler, corpus_path=corpus_path, pattern=pattern, figures_dir=figures_dir, out_dir=out_dir,
                          is_default=is_default, available=available, chosen=chosen, declared=declared,
                          per_notebook=per_notebook, warnings=warnings, only=only, kernel=kernel, reuse=reuse,
                          progress=progress, code=code)
    except BaseException:
        disconnect()
        raise


def _connect_scheduler(values: Mapping[str, tuple[Any, str | None, str]]) -> DaskScheduler | None:
    """The scheduler the run's ``SCHEDULER`` asks for, connected here (a LocalCluster started here for ``local``), or None."""
    if "SCHEDULER" not in values:
        return None
    value, _, source = values["SCHEDULER"]
    try:
        return connect(check_scheduler(value))
    except SchedulerError as exc:
        raise RunError(f"{source}: {exc}") from None


def _plan_with(scheduler: DaskScheduler | None, *, corpus_path: Path, pattern: str, figures_dir: Path, out_dir: Path,
               is_default: bool, available: list[Path], chosen: list[Path], declared: dict, per_notebook: dict,
               warnings: list[str], only: Sequence[str] | None, kernel: str, reuse: bool, progress: bool,
               code: bool = True) -> RunPlan:
    """:func:`plan_run` once the values are resolved and the scheduler, if any, is connected."""
    runner_values = {"CORPUS": _for_notebook(corpus_path), "PATTERN": pattern, "FIGURES_DIR": _for_notebook(figures_dir)}
    plans = []
    for path in chosen:
        names = {parameter.name for parameter in declared[path.stem]}
        inject = {name: value for name, value in runner_values.items() if name in names}
        inject.update(per_notebook[path.stem])
        if scheduler is not None and "SCHEDULER" in names:  # every notebook joins the one cluster
            inject["SCHEDULER"] = scheduler.address
        plans.append(NotebookPlan(path.stem, path, declared[path.stem], inject, tuple(sorted(per_notebook[path.stem]))))

    try:
        loaded = None if is_default else ingest_corpus(corpus_path, pattern, progress=progress,  # the seeds: each notebook reads them
                                                       scheduler=None if scheduler is None else scheduler.address,
                                                       filters=_filter_values(plans), tokenising=_tokenising_values(plans),
                                                       meanwhile=_import_before_threads)
    except IngestFailure as exc:
        loaded = None
        warnings.append(f"loading the corpus once for the whole run failed ({exc}); each notebook loads it itself instead "
                        "(slower, and with no snapshot shared by the notebooks). If memory ran out, the notebooks will "
                        "likely fail the same way: run on a machine with more memory, or on a subcorpus (-p DATE_FROM …)")
    languages = () if loaded is None else loaded.languages
    if loaded is not None and loaded.pretokenise_error:
        warnings.append(f"the token ids could not be computed before the notebooks ({loaded.pretokenise_error}); "
                        "each notebook tokenises what it needs instead (same numbers, slower)")
    if loaded is not None and loaded.small_languages:
        warnings.append(_small_languages_warning(loaded.small_languages, languages))
    split = _per_language(plans, languages, figures_dir)
    languages, plans = (languages if len(split) > len(plans) else ()), split
    snapshot = None if loaded is None else loaded.snapshot
    input_files = None if loaded is None else loaded.input_files  # hashed while loading
    if input_files is None and snapshot is None:  # no snapshot (it could not be written): the files are the identity
        input_files = hash_inputs(corpus_path, pattern)
    identity = corpus_identity(snapshot, input_files)
    versions = _versions(kernel)
    plans = [replace(plan, fingerprint=notebook_fingerprint(plan.path, _results_depend_on(plan.values, code), identity, versions))
             for plan in plans]
    reused = reusable_notebooks(out_dir, {plan.name: plan.fingerprint for plan in plans}) if reuse and out_dir.is_dir() else []
    plans = [plan for plan in plans if plan.name.split(".", 1)[0] not in reused]
    _check_out_dir(out_dir, corpus_path, pattern, partial=bool(only) or bool(reused))
    return RunPlan(
        out_dir=out_dir,
        figures_dir=figures_dir,
        default_run=is_default,
        corpus=runner_values["CORPUS"],
        corpus_path=corpus_path,
        pattern=pattern,
        kernel=kernel,
        notebooks=tuple(plans),
        not_selected=tuple(path.stem for path in available if path not in chosen) + tuple(reused),
        warnings=tuple(warnings),
        languages=languages,
        snapshot=snapshot,
        reused=tuple(reused),
        input_files=input_files,
        loaded_summary=None if loaded is None else (loaded.n_documents, loaded.summary),
        scheduler=scheduler,
        ingest_stages=() if loaded is None else loaded.stages,
        subcorpus=None if loaded is None else loaded.subcorpus,
        code=code,
    )


def _filter_values(plans: Sequence[NotebookPlan]) -> dict[str, Any]:
    """The subcorpus parameters of the run (every notebook declares them; the first notebook's values are taken)."""
    from ..input.subcorpus import FILTER_PARAMETERS

    for plan in plans:
        values = plan.values
        if any(name in values for name in FILTER_PARAMETERS.values()):
            return {name: values[name] for name in FILTER_PARAMETERS.values() if name in values}
    return {}


def _tokenising_values(plans: Sequence[NotebookPlan]) -> dict[str, Any] | None:
    """Notebook 02's tokenising parameters when it runs (the ingest then runs its first pass ahead of it), else None."""
    from .ingest import TOKENISING_PARAMETERS

    for plan in plans:
        if plan.name == TOKENISING_NOTEBOOK:
            return {name: plan.values[name] for name in TOKENISING_PARAMETERS if name in plan.values}
    return None


def _results_depend_on(values: Mapping[str, Any], code: bool = True) -> dict[str, Any]:
    """What a notebook's outputs depend on: every parameter value but ``SCHEDULER`` (where the stages run changes
    no number; ``tests/test_dask.py``), and ``--no-code`` (its HTML page) when given."""
    depends = {name: value for name, value in values.items() if name != "SCHEDULER"}
    return depends if code else {**depends, "--no-code": True}


def _declared_default(declared: Sequence[Parameter], name: str) -> Any:
    return next((parameter.default for parameter in declared if parameter.name == name), None)


class IngestFailure(RuntimeError):
    """Loading the corpus in its own process failed for a reason other than the loader refusing it (memory…)."""


@dataclass(frozen=True)
class Ingested:
    """The corpus as the runner loaded it once for the whole run."""

    snapshot: Path | None
    n_documents: int
    summary: str
    languages: tuple[str, ...]  # the language groups large enough to be analysed on their own
    stages: tuple[dict[str, Any], ...] = ()  # the loader's timed stages (parsing pages), as run.json lists them
    subcorpus: dict[str, Any] | None = None  # the subcorpus filters' record, when any filter is set
    pretokenise_error: str | None = None  # why the token ids could not be computed ahead of the notebooks
    small_languages: dict[str, int] = field(default_factory=dict)  # documents of groups too small to be analysed apart
    input_files: InputFiles | None = None  # every input file hashed, from the loader's content keys (a folder)


def ingest_corpus(corpus_path: Path, pattern: str, *, progress: bool = False, scheduler: str | None = None,
                  filters: Mapping[str, Any] | None = None, tokenising: Mapping[str, Any] | None = None,
                  meanwhile: Callable[[], Any] | None = None) -> Ingested | None:
    """Load the corpus once for the whole run, in a process of its own (:mod:`corpus_utils.run.ingest`), storing its
    snapshot for every notebook to read; the runner itself never holds a large corpus (a small one, see
    :data:`IN_PROCESS_MAX_FILES`, is loaded in the runner's process: the same result, sooner). None when the loader rejects
    it (notebook 01 then says why, with the loader's message). With ``progress``, its bar of pages parsed goes to
    standard error (only on corpora large enough to need one: :data:`~corpus_utils.core.progress.PROGRESS_MIN_ITEMS`).
    The languages are those of the subcorpus ``filters`` (``{"DATE_FROM": …}``) choose; a :class:`RunError` says what
    each filter left out when they leave no document, before any notebook starts. With ``tokenising`` (notebook 02's
    parameters) a large corpus's token ids are computed there too, on every core
    (:func:`~corpus_utils.run.ingest.pretokenise`). :class:`IngestFailure` says why that process failed otherwise
    (it ran out of memory, was killed…). The input files of a folder come back hashed (``input_files``): the
    loader read every page for its content keys, so the runner does not read them again. ``meanwhile()`` is called
    while that process runs (the runner imports the notebook machinery then)."""
    if scheduler is None and _fits_in_process(corpus_path, pattern):
        from .ingest import ingest_outcome

        with tempfile.TemporaryDirectory(prefix="ingest-") as folder, \
                environment(PROGRESS_ENV_VAR, "1" if progress and progress_enabled() else "0"):
            inputs_table = Path(folder) / "inputs.parquet"
            # through JSON as from the process: the same types either way
            result = json.loads(json.dumps(ingest_outcome(str(corpus_path), pattern, None, dict(filters or {}),
                                                          None if tokenising is None else dict(tokenising), inputs_table)))
            input_files = InputFiles.read_table(inputs_table) if inputs_table.is_file() else None
        if meanwhile is not None:
            meanwhile()
        return _ingested(result, input_files)
    import subprocess

    with tempfile.TemporaryDirectory(prefix="ingest-") as folder:
        inputs_table = Path(folder) / "inputs.parquet"
        command = [sys.executable, "-m", "corpus_utils.run.ingest", str(corpus_path), pattern, "--inputs", str(inputs_table),
                   "--filters", json.dumps(dict(filters or {})), "--parent", str(os.getpid())]
        command += ["--scheduler", scheduler] if scheduler else []
        command += ["--tokenise", json.dumps(dict(tokenising))] if tokenising is not None else []
        # a session of its own, as the kernels: a Ctrl-C reaches the runner only, which stops the load with its workers
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=None if progress else subprocess.DEVNULL, text=True,
                              cwd=str(PROJECT_ROOT), start_new_session=True,
                              env={**os.environ, PROGRESS_ENV_VAR: "1" if progress and progress_enabled() else "0"}) as done:
            try:
                if meanwhile is not None:
                    meanwhile()
                stdout, _ = done.communicate()
            except BaseException:  # Ctrl-C or an error of meanwhile(): the load stops with the runner
                _stop_process_group(done)
                raise
        input_files = InputFiles.read_table(inputs_table) if inputs_table.is_file() else None
    try:
        result = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = {"crash": f"it ended with exit status {done.returncode}" + (
            f" (killed by signal {-done.returncode}; signal 9 is often the system running out of memory)"
            if done.returncode < 0 else "")}
    return _ingested(result, input_files)


#: Seconds a loading process has to stop on Ctrl-C (removing its half-written snapshot) before it is killed.
INGEST_STOP_SECONDS = 10


def _stop_process_group(process: Any, grace: float = INGEST_STOP_SECONDS) -> None:
    """Stop ``process``, the leader of a session of its own, and every process of its group: SIGTERM to the leader
    (the loading process then stops as on Ctrl-C), then, after ``grace`` seconds or once it has ended, SIGKILL for
    the whole group (a killed leader's pool workers would otherwise wait forever to hand it their results)."""
    import subprocess

    for send, wait_for in ((lambda: os.kill(process.pid, signal.SIGTERM), grace),
                           (lambda: os.killpg(process.pid, signal.SIGKILL), grace)):
        try:
            send()
        except (ProcessLookupError, PermissionError):  # ended, with its whole group
            if process.poll() is None:
                continue
            return
        try:
            process.wait(timeout=wait_for)
        except subprocess.TimeoutExpired:
            pass


#: A corpus of at most this many input files and bytes is loaded in the runner's own process: a process of its own
#: costs half a second (Python and pandas starting), more than loading it, and the memory it would give back is small.
IN_PROCESS_MAX_FILES = 500
IN_PROCESS_MAX_BYTES = 20 * 2**20


def _fits_in_process(corpus_path: Path, pattern: str) -> bool:
    """Whether the corpus has at most :data:`IN_PROCESS_MAX_FILES` input files of :data:`IN_PROCESS_MAX_BYTES` in all
    (a folder is listed only until it has more)."""
    try:
        if not corpus_path.is_dir():
            return corpus_path.stat().st_size <= IN_PROCESS_MAX_BYTES
        files, size = 0, 0
        for path in corpus_path.glob(pattern):
            files, size = files + 1, size + path.stat().st_size
            if files > IN_PROCESS_MAX_FILES or size > IN_PROCESS_MAX_BYTES:
                return False
        return True
    except OSError:  # unreadable: the loader, in its own process, says what is wrong
        return False


def _ingested(result: Mapping[str, Any], input_files: InputFiles | None) -> Ingested | None:
    """What :func:`ingest_corpus` returns for the ingest's ``result`` (:func:`~corpus_utils.run.ingest.ingest_outcome`)."""
    if "subcorpus_error" in result:
        raise RunError(str(result["subcorpus_error"]))
    if "crash" in result:
        raise IngestFailure(str(result["crash"]))
    if "error" in result:
        return None
    return Ingested(None if result["snapshot"] is None else Path(result["snapshot"]), int(result["n_documents"]),
                    str(result["summary"]), tuple(result["languages"]), tuple(result.get("stages", ())), result.get("subcorpus"),
                    result.get("pretokenise_error"), dict(result.get("small_languages", {})), input_files)


def _small_languages_warning(small: Mapping[str, int], languages: Sequence[str]) -> str:
    """What happens to the documents of language groups too small to be analysed on their own."""
    from ..input.language import SEPARATE_MIN_DOCUMENTS, SEPARATE_MIN_SHARE

    listing = ", ".join(f"{group} {count:,}" for group, count in small.items())
    where = ("analysed with the rest" if len(languages) < 2 else
             f"left out of the runs per language ({', '.join(languages)})")
    return (f"pages detected in other languages, too few to analyse apart (under {SEPARATE_MIN_DOCUMENTS} documents and "
            f"{SEPARATE_MIN_SHARE:.0%} of the corpus): {listing} document(s); they are {where}. Short pages are often "
            "misdetected (the documents table's language column gives each page's). To analyse them alone, run with "
            "-p LANGUAGE <code>.")


def _per_language(plans: list[NotebookPlan], languages: Sequence[str], figures_dir: Path) -> list[NotebookPlan]:
    """One plan per language for every notebook whose ``LANGUAGE`` is ``"auto"`` and not set by the user: each
    language of a mixed corpus is analysed on its own, its outputs named ``NN_name.<language>`` and its
    figures in ``figures/<language>/``."""
    result = []
    for notebook in plans:
        if len(languages) < 2 or _declared_default(notebook.declared, "LANGUAGE") != AUTO or "LANGUAGE" in notebook.inject:
            result.append(notebook)
            continue
        for language in languages:
            folder = figures_dir / language
            inject = {**notebook.inject, "LANGUAGE": language}
            if "FIGURES_DIR" in inject:
                inject["FIGURES_DIR"] = _for_notebook(folder)
            result.append(NotebookPlan(f"{notebook.name}.{language}", notebook.path, notebook.declared, inject,
                                       notebook.overrides, figures_dir=folder))
    return result


def _check_writable(out_dir: Path) -> None:
    """Raise :class:`RunError` unless ``out_dir`` exists as a writable folder or could be created as one."""
    ancestor = out_dir
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunError(f"--out {out_dir} cannot be created: {ancestor} is a file, not a folder; choose a folder such as runs/NAME.")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunError(f"--out {out_dir} cannot be written: {ancestor} is read-only for this user; choose a folder you can write to.")


def _check_out_dir(out_dir: Path, corpus_path: Path, pattern: str, *, partial: bool) -> None:
    _check_writable(out_dir)
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise RunError(f"--out {out_dir} is a file; choose a folder such as runs/NAME.")
    if _out_dir_busy(out_dir):
        raise RunError(f"another corpus-notebooks run is writing into {out_dir}; wait for it to finish or choose another --out.")
    record_file = out_dir / "run.json"
    if not record_file.is_file():
        if any(path.name != _OUT_LOCK for path in out_dir.iterdir()):
            raise RunError(f"--out {out_dir} is not empty and holds no run.json; choose a new folder such as runs/NAME.")
        return
    try:
        previous = json.loads(record_file.read_text(encoding="utf-8"))
        written = _owned_files(out_dir, previous)
    except (ValueError, KeyError, TypeError) as exc:
        raise RunError(
            f"--out {out_dir}: its run.json does not list the files its run wrote ({type(exc).__name__}), so nothing in "
            "the folder can be replaced safely; choose a new folder such as runs/NAME, or empty this one yourself."
        ) from None
    others = sorted(set(_manifest(out_dir)) - written - {"run.json"})
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise RunError(
            f"--out {out_dir} holds files no run of this tool wrote ({shown}); a run replaces only its own files. "
            "Move them, or choose a new folder such as runs/NAME."
        )
    if partial:
        previous = json.loads(record_file.read_text(encoding="utf-8"))
        if previous.get("corpus_path") != str(corpus_path) or previous.get("pattern") != pattern:
            raise RunError(
                f"{out_dir} holds a run on corpus {previous.get('corpus_path')} (pattern {previous.get('pattern')!r}); "
                "--only would mix corpora in one run folder. Rerun every notebook (drop --only) or choose another --out."
            )


def _inventory(plan: RunPlan) -> tuple[dict[str, Any], InputFiles]:
    """Document count and load summary (the corpus is loaded here only when the plan did not load it already), and
    the input files with their SHA-256 (one read of each file, unless planning read them)."""
    from ..input.load import read_corpus

    if plan.loaded_summary is None:
        try:
            loaded = read_corpus(plan.corpus_path, pattern=plan.pattern)
        except (ValueError, OSError) as exc:  # the loader refuses the corpus: the notebooks have said so, each failing
            n_documents, summary = 0, f"the corpus could not be loaded: {exc}"
        else:
            n_documents, summary = loaded.report.n_loaded, loaded.report.summary()
    else:
        n_documents, summary = plan.loaded_summary
    files = plan.input_files if plan.input_files is not None else hash_inputs(plan.corpus_path, plan.pattern)
    return ({"n_documents": n_documents, "load_summary": summary,
             "snapshot": None if plan.snapshot is None else plan.snapshot.name}, files)


def _write_inputs(out_dir: Path, files: InputFiles) -> dict[str, Any]:
    """Write the table of input files into the run folder; the summary run.json keeps of it."""
    files.write_csv(out_dir / INPUTS_FILE)
    return files.summary()


def _versions(kernel: str) -> dict[str, str]:
    versions = {"python": platform.python_version(), "corpus_utils": package_version(), "kernel": kernel}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return dict(sorted(versions.items()))


def _kernel_options() -> dict[str, Any]:
    """Have kernels use CurveZMQ-encrypted sockets when pyzmq supports it (ipykernel warns about plain TCP)."""
    import zmq
    from traitlets.config import Config

    if not zmq.has("curve"):
        return {}
    return {"config": Config({"KernelManager": {"transport_encryption": "auto"}})}


def _snapshot(folder: Path) -> dict[str, int]:
    """The files of a figures folder and their modification times (ns), leaving out temporary files.

    Kernels running side by side write into the same folder, each file through a temporary one renamed over it: a
    file listed here may be gone a moment later, and is then left out rather than failing the run.
    """
    found: dict[str, int] = {}
    if not folder.is_dir():
        return found
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_temporary(entry.name):
                continue
            try:
                if entry.is_file():
                    found[entry.name] = entry.stat().st_mtime_ns
            except FileNotFoundError:  # renamed or removed by another notebook's kernel since it was listed
                continue
    return found


def _prefix(name: str) -> str:
    number = name.split("_", 1)[0]
    return f"{number}_" if number.isdigit() else f"{name}_"


def _failure(executed: Path, exc: BaseException) -> dict[str, Any]:
    """Where a notebook failed: cell number in the original notebook, its first line, the error (for a kernel that
    died, the last cell it began, and the likely cause)."""
    import nbformat
    from nbclient.exceptions import DeadKernelError

    details: dict[str, Any] = {"cell": None, "execution_count": None, "first_line": "", "error": f"{type(exc).__name__}: {exc}"}
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        details["error"] = f"{ename}: {evalue}" if evalue else ename
    died = isinstance(exc, DeadKernelError)
    if died:
        details["error"] = (f"{type(exc).__name__}: the kernel died while this cell ran, without an error of its own. Most "
                            "often the system ran out of memory and killed it: run on a subcorpus (-p DATE_FROM …) or on a "
                            "machine with more memory")
    if not executed.is_file():
        return details
    notebook = nbformat.read(executed, as_version=4)
    numbered = [(number, cell) for number, cell in enumerate(
        (cell for cell in notebook.cells if not {"injected-parameters", "papermill-error-cell-tag"} & set(
            cell.get("metadata", {}).get("tags", []))), start=1)]
    for number, cell in reversed(numbered) if died else numbered:
        record = cell.get("metadata", {}).get("papermill", {})
        errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
        if (died and record.get("start_time")) or errors or record.get("exception"):  # a dead kernel: the last cell begun
            lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
            details.update(cell=number, execution_count=cell.get("execution_count"), first_line=lines[0] if lines else "")
            break
    return details


def _failure_message(name: str, details: Mapping[str, Any], executed: Path, html_path: Path | None, not_run: Sequence[str]) -> str:
    where = (
        f" at cell {details['cell']} (In [{details['execution_count']}]): {details['first_line']}"
        if details.get("cell")
        else ""
    )
    lines = [f"notebook {name} failed{where}", f"  {details['error']}"]
    if executed.is_file():
        lines.append(f"  partially executed notebook: {_shown(executed)}")
    if html_path is not None and html_path.is_file():
        lines.append(f"  as HTML: {_shown(html_path)}")
    if not_run:
        lines.append(f"  not run: {', '.join(not_run)} (fix the problem, then rerun with --only)")
    return "\n".join(lines)


def _start_record(plan: RunPlan, versions: Mapping[str, str]) -> tuple[dict[str, Any], list | None]:
    """The run record before anything runs, and the input files of the earlier run when --only merges into it."""
    previous: dict[str, dict[str, Any]] = {}
    earlier: dict[str, Any] = {}
    record_file = plan.out_dir / "run.json"
    if plan.not_selected and record_file.is_file():
        earlier = json.loads(record_file.read_text(encoding="utf-8"))
        previous = {entry["name"]: entry for entry in earlier.get("notebooks", [])
                    if entry["name"].split(".", 1)[0] in plan.not_selected}
        for entry in previous.values():  # its runner died mid-run (the folder's lock is free): say so
            if entry.get("status") == "running":
                entry["status"] = "abandoned"
    elif record_file.is_file():
        earlier_record = json.loads(record_file.read_text(encoding="utf-8"))
        _remove_written(plan.out_dir, sorted(_owned_files(plan.out_dir, earlier_record)))
    previous_inputs = earlier.get("input_files") if previous else None
    entries = dict(previous)
    for name in plan.not_selected:
        if not any(kept.split(".", 1)[0] == name for kept in entries):
            entries.setdefault(name, {"name": name, "status": "not run", "parameters": {}, "overrides": []})
    for notebook in plan.notebooks:
        entries[notebook.name] = {
            "name": notebook.name,
            "status": "not run",
            "parameters": notebook.values,
            "overrides": list(notebook.overrides),
            "fingerprint": notebook.fingerprint,
        }
    return {
        "name": plan.out_dir.name,
        "default_run": plan.default_run,
        "status": "running",
        "corpus": plan.corpus,
        "corpus_path": str(plan.corpus_path),
        "pattern": plan.pattern,
        "figures_dir": _for_notebook(plan.figures_dir),
        "n_documents": None,
        "load_summary": None,
        "input_files": None,  # the summary of inputs.csv, once the files are hashed
        "kernel": plan.kernel,
        "selected": [notebook.name for notebook in plan.notebooks],
        "reused": list(plan.reused),
        "languages": list(plan.languages),
        "started_at": _utc_now(),
        "finished_at": None,
        "versions": dict(versions),
        "warnings": list(plan.warnings),
        "scheduler": _scheduler_record(plan.scheduler),
        "ingest_stages": list(plan.ingest_stages),
        "subcorpus": plan.subcorpus,
        "html_code": plan.code,
        "notebooks": [entries[name] for name in sorted(entries)],
    }, previous_inputs


def _scheduler_record(scheduler: DaskScheduler | None) -> dict[str, Any]:
    """Where the heavy stages ran, for run.json: this process's kernels, or the Dask scheduler, its workers and threads."""
    if scheduler is None:
        return {"requested": None, "where": "each notebook's kernel", "workers": None, "threads": None}
    return {**scheduler.describe(), "where": "dask"}


def _manifest(out_dir: Path) -> list[str]:
    """Every file under the run folder, as sorted relative paths (the record's ``written`` list)."""
    if not out_dir.is_dir():
        return []
    return sorted(path.relative_to(out_dir).as_posix() for path in out_dir.rglob("*")
                  if (path.is_file() or path.is_symlink()) and not is_temporary(path.name) and path.name != _OUT_LOCK)


def _owned_files(out_dir: Path, record: Mapping[str, Any]) -> set[str]:
    """The files of the run folder an earlier run wrote: those its record lists, and those a notebook of that run was
    writing when its runner died (named ``NN_…`` after one of its notebooks, in one of the tool's own subfolders).

    Raises ``KeyError`` when the record lists no files (a run.json not written by this version), except in the
    default run folder, whose own subfolders are recognised as they are.
    """
    if "written" in record:
        owned = set(record["written"])
    elif Path(out_dir) == DEFAULT_RUN_DIR:
        owned = set(_legacy_files(out_dir))
    else:
        raise KeyError("written")
    prefixes = tuple(_prefix(entry["name"]) for entry in record.get("notebooks", []) if isinstance(entry, dict) and "name" in entry)
    for relative in _manifest(out_dir):
        folder, _, name = relative.partition("/")
        if folder in ("notebooks", "html", "figures", "thumbnails") and prefixes and Path(name).name.startswith(prefixes):
            owned.add(relative)
    return owned


def _legacy_files(out_dir: Path) -> list[str]:
    """The files of the default run folder written before runs listed them: everything in the tool's own subfolders."""
    return [relative for relative in _manifest(out_dir) if relative.split("/", 1)[0] in _RUN_FILES]


def _remove_written(out_dir: Path, written: Sequence[str]) -> None:
    """Delete the files an earlier run recorded writing, then the folders of this tool they leave empty."""
    for relative in written:
        target = out_dir / relative
        if target.is_file() or target.is_symlink():
            target.unlink()
    for folder in _RUN_FILES:
        path = out_dir / folder
        if path.is_dir():
            for sub in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                if not any(sub.iterdir()):
                    sub.rmdir()
            if not any(path.iterdir()):
                path.rmdir()


def _write_record(out_dir: Path, record: dict[str, Any]) -> None:
    """Write run.json atomically (a temporary file renamed over it), with ``written``: every file the run folder
    holds, so that a later run into the same folder deletes only those."""
    record["written"] = sorted({*_manifest(out_dir), "run.json"})
    write_whole(out_dir / "run.json", json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")  # the record
    # stays as last written whole when this write fails


def _collect_figures(plan: RunPlan, notebook: NotebookPlan, before: Mapping[str, int], warn: Callable[[str], None]) -> list[str]:
    """Figure files the notebook wrote, as paths relative to the run folder (copied there for the default run)."""
    folder = plan.figures_of(notebook)
    after = _snapshot(folder)
    prefix = _prefix(notebook.name)
    written = sorted(name for name, mtime in after.items() if name.startswith(prefix) and before.get(name) != mtime)
    if plan.default_run:
        target = plan.out_dir / "figures"
        target.mkdir(parents=True, exist_ok=True)
        for old_copy in target.glob(f"{_prefix(notebook.name)}*"):
            old_copy.unlink()
        for name in written:
            shutil.copy2(folder / name, target / name)
        stale = sorted(name for name in after if name.startswith(_prefix(notebook.name)) and name not in written)
        for name in stale:
            warn(f"{notebook.name}: figures/{name} was not rewritten by this run; delete it if the notebook no longer makes it.")
    inside = folder.relative_to(plan.figures_dir).as_posix() if folder != plan.figures_dir else ""
    return [f"figures/{inside}/{name}" if inside else f"figures/{name}" for name in written]


def default_jobs() -> int:
    """How many notebooks run at once by default: one per core, at most four (each holds the corpus in memory).
    :func:`notebooks_that_fit` lowers it when the corpus is large for this machine's memory."""
    return max(1, min(os.cpu_count() or 1, 4))


class _Kernels:
    """The kernels of the notebooks running now, so that Ctrl-C can interrupt (or a second one kill) them.

    jupyter_client starts every kernel in a session of its own, so a Ctrl-C in the terminal reaches only
    the runner; the runner passes it on to each kernel's process group. A kernel whose notebook has ended stays
    listed (:meth:`forget`) until :meth:`shut_down` has stopped it.
    """

    def __init__(self) -> None:
        self._managers: dict[str, Any] = {}
        self._ended: dict[str, Any] = {}  # of notebooks that have ended, until their kernel is shut down
        self._pids: dict[str, int | None] = {}  # of finished notebooks' kernels, whose stage logs are named by it
        self._executing: set[str] = set()  # notebooks whose kernel has started and been given a code cell
        self._samplers: dict[str, TreeSampler] = {}  # the memory of each kernel given a code cell, until it ends
        self._peaks: dict[str, float | None] = {}  # of finished notebooks' kernels (MB)
        self._lock = threading.Lock()

    def new(self, name: str, kernel: str, *, cores: int | None = None) -> Any:
        """A kernel manager for notebook ``name``; with ``cores``, its kernel is started with that many cores (the
        run's share otherwise: :func:`~corpus_utils.core.workers.cores_per_process`)."""
        from jupyter_client.manager import AsyncKernelManager

        manager = AsyncKernelManager(kernel_name=kernel, **_kernel_options())
        if cores is not None:  # nbclient starts the kernel through this method; jupyter_client takes its environment
            env = environment_with_cores(cores, replacing=os.environ.get(CORES_ENV_VAR))
            manager.start_kernel = functools.partial(manager.start_kernel, env=env)
        with self._lock:
            self._managers[name] = manager
        return manager

    def executing(self, name: str) -> None:
        """Note that the kernel of notebook ``name`` has started: it is given code cells from now on, and its memory
        (with the processes it starts) is sampled until the notebook ends."""
        with self._lock:
            self._executing.add(name)
            pid = _kernel_pid(self._managers.get(name))
            if name not in self._samplers and pid is not None:
                self._samplers[name] = TreeSampler(pid, interval=KERNEL_MEMORY_INTERVAL, pss_every=1)
                self._samplers[name].start()

    def forget(self, name: str) -> None:
        """Note that the notebook ``name`` has ended; its kernel waits for :meth:`shut_down`."""
        with self._lock:
            self._executing.discard(name)
            manager = self._managers.pop(name, None)
            self._pids[name] = _kernel_pid(manager)
            if manager is not None:
                self._ended[name] = manager
            sampler = self._samplers.pop(name, None)
        if sampler is not None:
            sampler.stop()
        with self._lock:
            self._peaks[name] = None if sampler is None else sampler.held_mb

    def shut_down(self, name: str) -> None:
        """Shut down the kernel of the ended notebook ``name`` (see :func:`_shut_down`); call it from the thread that
        ran the notebook, whose event loop the kernel's sockets belong to."""
        with self._lock:
            manager = self._ended.get(name)
        if manager is not None:
            _shut_down(manager)
        with self._lock:
            self._ended.pop(name, None)

    def pid_of(self, name: str) -> int | None:
        """The process id the kernel of the finished notebook ``name`` had."""
        with self._lock:
            return self._pids.get(name)

    def peak_mb_of(self, name: str) -> float | None:
        """The most memory (MB) the kernel of the finished notebook ``name`` and its processes held together: their
        proportional set sizes where the system reports them, else their resident sets; None if not measured."""
        with self._lock:
            return self._peaks.get(name)

    def running(self) -> list[str]:
        """The notebooks whose kernels run now, in the order they started."""
        with self._lock:
            return list(self._managers)

    def signal(self, signum: int, *, running_only: bool = False, executing_only: bool = False) -> None:
        """Send ``signum`` to the process group of every kernel not yet shut down; ``running_only``: of the notebooks
        still running; ``executing_only``: of those given a code cell (a Ctrl-C would kill a kernel still starting,
        printing its traceback, where no cell will start anyway)."""
        with self._lock:
            managers = [manager for name, manager in self._managers.items() if not executing_only or name in self._executing]
            managers += [] if running_only or executing_only else list(self._ended.values())
        for manager in managers:
            pid = _kernel_pid(manager)
            if pid is None:
                continue
            try:
                os.killpg(os.getpgid(pid), signum)
            except (ProcessLookupError, PermissionError):
                pass


def _execute_notebook(
    plan: RunPlan, notebook: NotebookPlan, position: int, *, progress: bool, kernels: _Kernels | None = None,
    stop: threading.Event | None = None, cores: Callable[[], int | None] | None = None,
) -> BaseException | None:
    """Execute one notebook with papermill into the run folder; return the error, if any. A kernel that dies or
    hangs while starting, before any cell, is started once more. Once ``stop`` is set no further code cell starts.
    ``cores()``, asked as the kernel starts, gives it its cores (None: the run's share)."""
    error = _execute_once(plan, notebook, position, progress=progress, kernels=kernels, stop=stop, cores=cores)
    if error is not None and _died_starting(error) and not (stop is not None and stop.is_set()):
        # no cell ran: most often a port another kernel took meanwhile
        print(f"notebook {notebook.name}: its kernel failed while starting ({error}); starting it once more",
              file=sys.stderr, flush=True)
        if kernels is not None:
            kernels.shut_down(notebook.name)
        error = _execute_once(plan, notebook, position, progress=progress, kernels=kernels, stop=stop, cores=cores)
    return error


#: Seconds between two samples of a kernel's memory (the proportional set sizes of the kernel and the processes it
#: started, read by the system walking their memory maps: a few milliseconds per gigabyte).
KERNEL_MEMORY_INTERVAL = 1.0

#: Seconds a kernel has to answer its first request before it is stopped and started once more.
KERNEL_START_TIMEOUT = 60

#: Seconds after the first Ctrl-C before the kernels of notebooks that are still running are killed: one that ignores
#: the interrupt (it arrived while the kernel answered a request, or compiled code does not check for it) would
#: otherwise keep the run going.
INTERRUPT_GRACE_SECONDS = 10


def _died_starting(error: BaseException) -> bool:
    """Whether a kernel died or hung before it answered its first request: two kernels that start at once (in two
    processes) can be handed the same free TCP port by Jupyter; the second then fails to bind it ("Address already in
    use") before any cell runs, and either exits or hangs as it closes its sockets, until stopped."""
    return isinstance(error, RuntimeError) and any(
        message in str(error) for message in ("Kernel died before replying to kernel_info", "Kernel didn't respond in"))


def _execute_once(
    plan: RunPlan, notebook: NotebookPlan, position: int, *, progress: bool, kernels: _Kernels | None,
    stop: threading.Event | None = None, cores: Callable[[], int | None] | None = None,
) -> BaseException | None:
    """One attempt of :func:`_execute_notebook`, on a new kernel; with ``kernels``, the kernel is left for
    :meth:`_Kernels.shut_down` (the runner frees the notebook's place first: a kernel takes about half a second to stop)."""
    import papermill

    from .engine import register

    executed = plan.out_dir / "notebooks" / f"{notebook.name}.ipynb"
    manager = kernels.new(notebook.name, plan.kernel, cores=cores() if cores else None) if kernels is not None else None
    try:
        papermill.execute_notebook(
            str(notebook.path),
            str(executed),
            parameters=notebook.inject,
            cwd=str(PROJECT_ROOT),
            kernel_name=plan.kernel,
            engine_name=register(),  # papermill's engine, writing the notebook when a code cell starts, not at every cell
            stop=stop,  # the engine's: no code cell starts after Ctrl-C, even if the kernel missed the interrupt
            on_code_cell=None if kernels is None else (lambda: kernels.executing(notebook.name)),
            start_timeout=KERNEL_START_TIMEOUT,
            progress_bar={"desc": f"[{position}/{len(plan.notebooks)}] {notebook.name}", "file": sys.stderr}
            if progress
            else False,
            log_output=False,
            **({"km": manager} if manager is not None else {}),
            **_kernel_options(),
        )
    except Exception as exc:  # papermill, nbclient and kernel errors all end the run here
        return exc
    finally:
        if kernels is not None:
            kernels.forget(notebook.name)
    return None


def _kernel_pid(manager: Any) -> int | None:
    """The process id of a kernel (its timed stages are logged under it), or None when it is not known."""
    return getattr(getattr(getattr(manager, "provisioner", None), "process", None), "pid", None)


def _read_stage_log(folder: Path, pid: int | None) -> list[dict[str, Any]]:
    """The stages kernel ``pid`` timed (its ``<pid>.jsonl`` in ``folder``), in order; none when missing or unreadable."""
    try:
        lines = (folder / f"{pid}.jsonl").read_text(encoding="utf-8").splitlines() if pid is not None else []
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError):
        return []


def _shut_down(manager: Any) -> None:
    """Shut down the kernel of a finished notebook. nbclient shuts down only the kernels it started itself, so a
    kernel the runner handed it (to pass on Ctrl-C) would otherwise keep the notebook's data in memory until
    the runner exits, then print "Parent appears to have exited" into the terminal."""
    from jupyter_core.utils import run_sync

    try:
        if run_sync(manager.is_alive)():
            run_sync(manager.shutdown_kernel)(now=False)
    except Exception:  # a kernel that died on its own, or a second Ctrl-C: nothing left to shut down
        pass


def _unreadable_notebook(path: Path) -> BaseException | None:
    """An error when the executed notebook was not written whole (a full disk), so it is never listed as succeeded."""
    import nbformat

    try:
        nbformat.read(path, as_version=4)
    except FileNotFoundError:
        return RunError(f"the executed notebook {path.name} was not written; is the disk full?")
    except Exception as exc:  # truncated JSON and the like
        return RunError(f"the executed notebook {path.name} is incomplete ({type(exc).__name__}); is the disk full?")
    return None


#: Signals that stop a run at once, as a second Ctrl-C does: a job scheduler's time limit (SIGTERM), a closed terminal
#: (SIGHUP).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextmanager
def signal_handlers(handler: Callable[[int, Any], None], signums: Sequence[int]) -> Iterator[None]:
    """Within the block, ``handler`` handles the signals ``signums``; the previous handlers are restored after. Only in
    the main thread (elsewhere signals cannot be handled: nothing is installed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)


def _interruptible(on_first: Callable[[], None], on_second: Callable[[], None]) -> Any:
    """A block within which the first SIGINT (Ctrl-C) calls ``on_first``; a second, or any of :data:`STOP_SIGNALS`,
    calls ``on_second`` and raises :class:`KeyboardInterrupt` (:func:`signal_handlers`)."""
    seen = []

    def handle(signum, frame) -> None:
        seen.append(signum)
        if signum == signal.SIGINT and len(seen) == 1:
            on_first()
        else:
            on_second()
            raise KeyboardInterrupt

    return signal_handlers(handle, (signal.SIGINT, *STOP_SIGNALS))


_OUT_LOCK = ".runner.lock"


def _out_dir_busy(out_dir: Path) -> bool:
    """Whether another run holds the folder's lock right now."""
    if not (out_dir / _OUT_LOCK).is_file():
        return False
    try:
        handle = _lock_out_dir(out_dir)
    except RunError:
        return True
    handle.close()
    return False


def _lock_out_dir(out_dir: Path):
    """Take the run folder's lock (``.runner.lock``, a POSIX record lock released when this process dies), or
    raise :class:`RunError` when another run holds it. Returns the open lock file; closing it releases the lock."""
    handle = open(out_dir / _OUT_LOCK, "a+b")  # noqa: SIM115
    try:
        import fcntl

        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # pragma: no cover - Windows: no lock
        return handle
    except OSError:
        handle.close()
        raise RunError(f"another corpus-notebooks run is writing into {out_dir}; wait for it to finish or choose another --out.") from None
    return handle


def execute_run(
    plan: RunPlan,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    jobs: int | None = None,
    fail_fast: bool = False,
) -> dict[str, Any]:
    """Execute every notebook of ``plan`` and write the run folder; report every failure.

    Each notebook is executed by papermill in a fresh kernel (the dominant cost); the notebooks are
    independent (each loads the corpus itself), so up to ``jobs`` run at once, and a failing notebook does
    not keep the others from running. Each free place goes to the first notebook whose stored inputs are
    ready (:mod:`corpus_utils.run.order`: 05 after 04's topic fit); with ``jobs=1`` the run is strictly
    sequential, in reading order. With ``fail_fast`` no further notebook starts after a failure.
    Executed notebooks are exported to HTML with one reused exporter; the corpus is loaded and hashed
    once, in a background thread. The run folder then holds ``notebooks/`` (executed), ``html/``,
    ``figures/`` (PNG, SVG, CSV), ``thumbnails/``, ``index.html``, ``summary.html`` and ``run.json``; ``run.json`` is
    rewritten after every notebook, so an interrupted run still says what ran. With ``--only``, the
    entries of the other notebooks are kept from the earlier run in the folder.

    Parameters
    ----------
    plan : RunPlan
        From :func:`plan_run`.
    progress : bool
        Show a progress bar per notebook (one step per cell) on standard error.
    log : callable, optional
        Receives warnings and the failure message; defaults to writing them to standard error.
    jobs : int, optional
        Notebooks executed at once; default :func:`default_jobs`, lowered by :func:`notebooks_that_fit` when the
        corpus is large for the memory available (run.json records ``notebooks_at_once``), and then each notebook
        starts only when its kernel is expected to fit beside the running ones (``memory_budget`` in run.json). Memory
        grows with it: each kernel holds its own copy of the corpus. A number given here is used as it is.
    fail_fast : bool
        Start no further notebook after the first failure (``--fail-fast``).

    Returns
    -------
    dict
        The run record written to ``run.json``; ``record["status"]`` is ``"succeeded"``,
        ``"failed"`` (then ``record["failure"]`` holds the message) or ``"interrupted"`` for the
        notebooks of this call, and ``record["complete"]`` says whether every notebook of the
        folder has succeeded.
    """
    log = log or (lambda message: print(message, file=sys.stderr))
    notes: list[str] = []
    budget = None
    if jobs is None:
        jobs, notes, budget = notebooks_that_fit(default_jobs(), plan.snapshot, [notebook.name for notebook in plan.notebooks])
    if jobs < 1:
        raise RunError(f"jobs must be at least 1, got {jobs}.")
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    out_lock = _lock_out_dir(plan.out_dir)
    try:
        return _execute_locked(plan, progress=progress, log=log, jobs=jobs, fail_fast=fail_fast, notes=notes, budget=budget)
    finally:
        out_lock.close()
        if plan.scheduler is not None:  # the run's cluster (a LocalCluster started by plan_run) ends with the run
            disconnect()


def _import_before_threads() -> None:
    """Import the notebook machinery here, before the threads that run notebooks and export pages start.

    jupyter_client's modules import one another; when two threads import them for the first time at once, Python's
    import locks can hand one of them a half-initialised module ("cannot import name 'AsyncKernelManager' from
    partially initialized module"), which failed a run's first notebooks.
    """
    import importlib

    for module in ("jupyter_client.manager", "nbclient", "nbconvert", "papermill"):
        importlib.import_module(module)


def _run_in_start_order(notebooks: Sequence[NotebookPlan], jobs: int, pool: ThreadPoolExecutor,
                        run_one: Callable[[int, NotebookPlan, Callable[[], None]], None], *,
                        budget: MemoryBudget | None = None) -> None:
    """``run_one(position, notebook, free)`` for every notebook, at most ``jobs`` at once, each place given to
    :func:`~corpus_utils.run.order.next_to_start` (a notebook whose producers have finished and, with ``budget``,
    whose kernel is expected to fit beside the running ones); positions are those of the reading order. ``run_one`` may call ``free()`` once its notebook has ended and only clean-up is left (shutting
    its kernel down): the next notebook starts then, so ``pool`` needs up to ``2 * jobs`` threads. An exception of
    ``run_one`` is raised once the notebooks running with it have ended."""
    position_of = {notebook.name: position for position, notebook in enumerate(notebooks, start=1)}
    by_name = {notebook.name: notebook for notebook in notebooks}
    pending = [notebook.name for notebook in notebooks]
    running: dict[Future, str] = {}  # one place per notebook started, done when it is freed or run_one has returned
    calls: list[Future] = []
    while pending or running:
        while pending and len(running) < jobs:
            name = next_to_start(pending, running.values(),
                                 fits=None if budget is None else (lambda candidate: budget.fits(candidate, running.values())))
            if name is None:  # none fits beside the running ones: wait for one of them to end
                break
            pending.remove(name)
            place: Future = Future()
            running[place] = name
            calls.append(pool.submit(_run_in_place, run_one, position_of[name], by_name[name], place))
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for place in done:
            del running[place]
            if place.exception() is not None:
                pending.clear()
                wait(running)
                wait(calls)
                place.result()
    for call in calls:  # every kernel has stopped; an error raised after its place was freed is raised here
        call.result()


def _run_in_place(run_one: Callable[[int, NotebookPlan, Callable[[], None]], None], position: int, notebook: NotebookPlan,
                  place: Future) -> None:
    """``run_one(position, notebook, free)``; ``place`` is done when ``free()`` is called or ``run_one`` returns, and holds its
    exception when it raises first."""
    def free() -> None:
        if not place.done():
            place.set_result(None)

    try:
        run_one(position, notebook, free)
    except BaseException as exc:
        if not place.done():
            place.set_exception(exc)
        raise
    free()


def _execute_locked(plan: RunPlan, *, progress: bool, log: Callable[[str], None], jobs: int, fail_fast: bool,
                    notes: Sequence[str] = (), budget: MemoryBudget | None = None) -> dict[str, Any]:
    """:func:`execute_run` once the run folder is locked; ``notes`` are warnings about how many notebooks run at once,
    and ``budget`` the memory each start must fit in.

    A notebook's place goes to the next one while its kernel stops, unless memory limited the notebooks run at once
    (``notes``): a large kernel then has given its memory back before the next one starts."""
    _import_before_threads()
    record, previous_inputs = _start_record(plan, _versions(plan.kernel))
    record["notebooks_at_once"] = jobs
    if budget is not None:
        record["memory_budget"] = budget.record(notebook.name for notebook in plan.notebooks)
    record["warnings"].extend(notes)
    (plan.out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    entries = {entry["name"]: entry for entry in record["notebooks"]}
    for message in [*plan.warnings, *notes]:
        log(f"warning: {message}")
    if plan.scheduler is not None:
        log(f"Heavy stages run on Dask at {plan.scheduler.address} ({plan.scheduler.n_workers} workers); run.json lists each stage's time.")
    if plan.reused:
        log(f"Kept from the last run into this folder (corpus, parameters, code and versions unchanged): {', '.join(plan.reused)}.")
    if plan.languages:
        log(f"The corpus holds {len(plan.languages)} languages ({', '.join(plan.languages)}): notebooks with "
            'LANGUAGE = "auto" run once for each (pass -p LANGUAGE all to analyse them together).')
    _write_record(plan.out_dir, record)
    exports: dict[str, Future] = {}
    previews: list[Future] = []
    failures: list[tuple[int, NotebookPlan, BaseException]] = []
    lock = threading.Lock()
    stop = threading.Event()
    interrupted = threading.Event()
    kernels = _Kernels()

    def first_interrupt() -> None:
        interrupted.set()
        stop.set()
        log("interrupted: no further notebook starts; interrupting the running ones (Ctrl-C again to stop at once)")
        kernels.signal(signal.SIGINT, executing_only=True)
        stragglers.start()

    def stop_stragglers() -> None:
        names = kernels.running()
        if names:
            log(f"still running {INTERRUPT_GRACE_SECONDS} s after Ctrl-C, their kernels are stopped: {', '.join(names)}")
            kernels.signal(signal.SIGKILL, running_only=True)

    stragglers = threading.Timer(INTERRUPT_GRACE_SECONDS, stop_stragglers)
    stragglers.daemon = True

    def stop_at_once() -> None:  # a second Ctrl-C, SIGTERM or SIGHUP
        interrupted.set()
        stop.set()
        kernels.signal(signal.SIGKILL)

    machine_cores = available_cores()

    def kernel_cores() -> int | None:
        """When memory decides what runs side by side, a kernel gets the cores the running ones leave it (a heavy
        notebook then often runs alone, on every core); else the run's share stands."""
        return None if budget is None else max(1, machine_cores // (1 + len(kernels.running())))

    def run_one(position: int, notebook: NotebookPlan, free: Callable[[], None]) -> None:
        if stop.is_set():
            return
        try:
            record_one(position, notebook)
            if not notes:  # the next notebook starts while this one's kernel stops
                free()
        finally:
            kernels.shut_down(notebook.name)

    def record_one(position: int, notebook: NotebookPlan) -> None:
        entry = entries[notebook.name]
        with lock:
            folder = plan.figures_of(notebook)
            if not plan.default_run:
                for name in _snapshot(folder):
                    if name.startswith(_prefix(notebook.name)):
                        (folder / name).unlink()
            before = _snapshot(folder)
            entry.update(status="running", started_at=_utc_now(), notebook=f"notebooks/{notebook.name}.ipynb")
            _write_record(plan.out_dir, record)  # the record says what runs now, even if this process is killed
        error = _execute_notebook(plan, notebook, position, progress=progress, kernels=kernels, stop=interrupted,
                                  cores=kernel_cores)
        executed = plan.out_dir / "notebooks" / f"{notebook.name}.ipynb"
        if error is None:
            error = _unreadable_notebook(executed)
        html_path = plan.out_dir / "html" / f"{notebook.name}.html"
        with lock:
            status = "interrupted" if interrupted.is_set() else ("failed" if error else "succeeded")
            entry.update(status=status, finished_at=_utc_now())
            if status == "failed":  # the record says why at once, not only when the whole run ends
                details = _failure(executed, error)
                entry.update(error=details["error"], failed_cell={key: details[key] for key in ("cell", "execution_count", "first_line")})
            entry["stages"] = _read_stage_log(stage_folder, kernels.pid_of(notebook.name))
            entry["peak_memory_mb"] = kernels.peak_mb_of(notebook.name)
            entry["figures"] = _collect_figures(plan, notebook, before, log)
            if executed.is_file():
                exports[notebook.name] = background.submit(
                    lambda source=executed, target=html_path: export_notebook_html(source, target, exporter=exporter.result())
                )
            previews.append(background.submit(_early_thumbnails, plan.out_dir, list(entry["figures"])))  # off the run's end
            if error is not None and not interrupted.is_set():
                if fail_fast:
                    stop.set()
                failures.append((position, notebook, error))
            _write_record(plan.out_dir, record)

    # One background worker loads and hashes the corpus, then exports each executed notebook to
    # HTML and draws its figures' previews while kernels run: the runner process is otherwise idle.
    with ThreadPoolExecutor(max_workers=1) as background, tempfile.TemporaryDirectory(prefix="stages-") as stage_log:
        stage_folder = Path(stage_log)
        inventory: Future = background.submit(_inventory, plan)
        exporter: Future = background.submit(make_exporter, code=plan.code)
        try:
            side_by_side = max(1, min(jobs, len(plan.notebooks)))
            # kernels running side by side share the cores: each starts at most its share of workers
            with _interruptible(first_interrupt, stop_at_once), \
                    cores_per_process(max(1, available_cores() // side_by_side)), \
                    environment(NOTEBOOKS_ENV_VAR, str(plan.notebooks[0].path.parent) if plan.notebooks else ""), \
                    environment(SNAPSHOT_ENV_VAR, "" if plan.snapshot is None else str(plan.snapshot)), \
                    environment(PROGRESS_ENV_VAR, "1" if progress and progress_enabled() else "0"), \
                    environment(STAGE_LOG_ENV_VAR, stage_log), \
                    ThreadPoolExecutor(max_workers=2 * jobs) as pool:  # a notebook's thread stops its kernel as the next starts
                _run_in_start_order(plan.notebooks, jobs, pool, run_one, budget=budget)
            if failures:
                _finish_exports(exports, entries, log)
                not_run = [later.name for later in plan.notebooks if entries[later.name]["status"] == "not run"]
                messages = []
                for number, (_, notebook, error) in enumerate(sorted(failures, key=lambda failure: failure[0])):
                    executed = plan.out_dir / "notebooks" / f"{notebook.name}.ipynb"
                    entry = entries[notebook.name]  # its error and cell were recorded when it failed
                    details = {"error": entry["error"], **entry["failed_cell"]} if "error" in entry else _failure(executed, error)
                    html_path = plan.out_dir / "html" / f"{notebook.name}.html"
                    last = number == len(failures) - 1
                    messages.append(_failure_message(notebook.name, details, executed, html_path, not_run if last else []))
                record["failure"] = "\n".join(messages)
        finally:
            stragglers.cancel()
            _finish_exports(exports, entries, log)
            broken = [name for name, entry in entries.items() if entry.get("html_error") and name in record["selected"]]
            if broken and not record.get("failure"):
                record["failure"] = f"HTML export failed for {', '.join(sorted(broken))}; the executed notebooks are in notebooks/."
            record["status"] = "failed" if record.get("failure") else "succeeded"
            if interrupted.is_set() or any(entry["status"] == "running" for entry in entries.values()):
                record["status"] = "interrupted"
                for entry in entries.values():
                    if entry["status"] == "running":
                        entry["status"] = "interrupted"
            found, input_files = inventory.result()
            record.update(found)
            try:
                record["input_files"] = _write_inputs(plan.out_dir, input_files)
            except OSError as exc:
                record["input_files"] = {**input_files.summary(), "table": None}
                record["warnings"].append(f"{INPUTS_FILE} not written ({exc.strerror or exc}); run.json keeps the count and SHA-256 of the input files")
                log(f"error: {record['warnings'][-1]}")
            try:
                changed = input_files.changed(plan.corpus_path, plan.pattern)
            except OSError as exc:
                changed = [f"(the corpus could not be read again: {exc})"]
            if changed:  # notebooks load the corpus one after another: they may have read different versions
                record["corpus_changed_during_run"] = changed
                shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
                record["warnings"].append(
                    f"the corpus changed while the notebooks ran ({shown}); every notebook read the snapshot taken when the "
                    "run started, so they agree with each other but not with the files as they are now: rerun to analyse those."
                    if plan.snapshot is not None else
                    f"the corpus changed while the notebooks ran ({shown}); they may have read different versions of it. "
                    "Rerun on a corpus that does not change during the run (a copy)."
                )
                log(f"warning: {record['warnings'][-1]}")
            earlier_digest = recorded_digest(previous_inputs)
            if earlier_digest is not None and earlier_digest != record["input_files"]["sha256"]:  # None: the earlier runner died first
                record["warnings"].append(
                    "the corpus files changed since the earlier notebooks of this run folder were executed; "
                    "rerun every notebook (drop --only) for consistent results."
                )
                log(f"warning: {record['warnings'][-1]}")
            record["finished_at"] = _utc_now()
            record["complete"] = all(entry["status"] == "succeeded" for entry in entries.values())
            wait(previews)  # one writer per preview file: the early ones have finished
            thumbnails = _write_thumbnails(plan.out_dir, record)
            for page, write in (("index.html", lambda: write_index(plan.out_dir, record, thumbnails=thumbnails)),
                                ("summary.html", lambda: write_summary(plan.out_dir, record))):
                try:
                    write()
                except OSError as exc:
                    record["warnings"].append(f"{page} not written ({exc.strerror or exc})")
                    log(f"error: {page} could not be written ({exc.strerror or exc})")
            _write_record(plan.out_dir, record)
    if record.get("failure"):
        log(record["failure"])
    return record


def _finish_exports(exports: dict[str, Future], entries: Mapping[str, dict[str, Any]], log: Callable[[str], None]) -> None:
    """Wait for the HTML exports started so far and note each in its notebook's entry."""
    for name in sorted(exports):
        try:
            messages = exports.pop(name).result()
        except Exception as exc:  # a broken export must not hide the run's other results
            entries[name]["html_error"] = f"{type(exc).__name__}: {exc}"
            log(f"error: HTML export of {name} failed: {entries[name]['html_error']}")
            continue
        entries[name]["html"] = f"html/{name}.html"
        for message in messages:
            log(f"warning: {name} HTML export, {message}")
            entries[name].setdefault("warnings", []).append(f"HTML export, {message}")


def _thumbnail(out_dir: Path, figure: str) -> str | None:
    """The index's preview of ``figure`` (a path in the run folder), written unless it is newer than the figure: its
    path in the run folder, or None for a figure that is not a PNG file. Raises OSError when it cannot be written
    (the half-written file removed)."""
    source = out_dir / figure
    if not figure.endswith(".png") or not source.is_file():
        return None
    relative = f"thumbnails/{Path(figure).relative_to('figures').as_posix()}"
    target = out_dir / relative
    if not target.is_file() or target.stat().st_mtime_ns < source.stat().st_mtime_ns:
        try:
            write_thumbnail(source, target)
        except OSError:
            target.unlink(missing_ok=True)
            raise
    return relative


def _early_thumbnails(out_dir: Path, figures: Sequence[str]) -> None:
    """:func:`_thumbnail` of a finished notebook's figures while other notebooks still run; a failure is left to
    :func:`_write_thumbnails`, which tries again and records it."""
    for figure in figures:
        try:
            _thumbnail(out_dir, figure)
        except OSError:
            pass


def _write_thumbnails(out_dir: Path, record: dict[str, Any]) -> dict[str, str]:
    """The previews of every PNG figure of the run (:func:`_thumbnail`), by figure; a figure whose preview cannot be
    written gets none and a warning in ``record``."""
    thumbnails = {}
    for entry in record["notebooks"]:
        for figure in entry.get("figures", []):
            try:
                relative = _thumbnail(out_dir, figure)
            except OSError as exc:  # a full disk: the index shows no preview, the run's results stand
                record["warnings"].append(f"thumbnail of {figure} not written ({exc.strerror or exc})")
                continue
            if relative is not None:
                thumbnails[figure] = relative
    return thumbnails
