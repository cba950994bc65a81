"""The command line: ``python -m corpus_utils run`` (or ``corpus-notebooks run``) executes every notebook on a corpus."""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INTERRUPTED"]

#: Exit status: every notebook succeeded.
EXIT_OK = 0
#: Exit status: a notebook failed (the ones after it were not run).
EXIT_FAILED = 1
#: Exit status: bad options or parameters; nothing was run.
EXIT_USAGE = 2
#: Exit status: interrupted with Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

_EXAMPLES = """\
examples:
  %(prog)s                                   every notebook on the seeds; figures/ and runs/default/
  %(prog)s --corpus ~/pages --out runs/mine -p N_TOPICS 6 --params params.yaml
  %(prog)s --out runs/mine --only 02,03      rerun two notebooks of an earlier run folder
  %(prog)s --list-params                     every notebook's parameters, defaults and comments
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``corpus-notebooks`` argument parser (sub-command ``run``)."""
    parser = argparse.ArgumentParser(
        prog="corpus-notebooks",
        description="Run the corpus notebooks with papermill and write a shareable run folder.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="run")
    run = commands.add_parser(
        "run",
        help="execute every notebook (or --only some) on a corpus",
        description="Execute the numbered notebooks in order on a corpus; write executed notebooks, HTML, "
        "figures, index.html and run.json into the run folder. Without options: the default run on the seeds.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--corpus", metavar="PATH", help="folder of page files, or a .csv/.jsonl/.parquet table (default: seeds)")
    run.add_argument("--pattern", metavar="GLOB", help="page files inside CORPUS (default: *.txt; **/*.txt recurses)")
    run.add_argument("--out", metavar="DIR", help="run folder, e.g. runs/NAME (required unless this is the default run)")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter, typed as papermill does (int, float, True/False, None, JSON list, else text)",
    )
    run.add_argument("--params", metavar="FILE", help="YAML file of NAME: value lines (-p wins over it)")
    run.add_argument("--only", metavar="LIST", help="comma-separated notebook numbers or names, e.g. 02,03")
    run.add_argument("--notebooks", metavar="DIR", help="folder of numbered notebooks (default: notebooks/)")
    run.add_argument("--kernel", default="python3", help="Jupyter kernel name (default: python3)")
    run.add_argument("--list-params", action="store_true", help="print every notebook's parameters and exit")
    run.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="notebooks executed at once (default: one per core, at most 4; when the corpus is large for the memory "
             "available, a notebook starts only when its kernel is expected to fit beside the running ones; "
             "1 runs them strictly one after another)",
    )
    run.add_argument("--fail-fast", action="store_true",
                     help="start no further notebook after the first failure (default: run every notebook, report every failure)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the heavy stages on Dask: 'local' (a cluster on this machine, one worker per core), 'local:N', "
                          "or a scheduler address such as tcp://10.0.0.5:8786 (docs/scaling.md); default: in each kernel")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.add_argument("--no-code", action="store_true",
                     help="HTML pages without the code cells (narrative and outputs only), to send to a reader of results")
    run.add_argument("--reuse", action="store_true",
                     help="keep the notebooks whose corpus, parameters, code and versions are unchanged since the last run "
                          "into --out (e.g. after changing N_TOPICS only 04 and 05 run again)")
    return parser


def _only(value: str | None) -> list[str] | None:
    """The notebooks ``--only`` names; ``None`` without the option. An empty list is refused: it would run nothing."""
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        from .runner import RunError

        raise RunError("--only needs at least one notebook number or name, e.g. --only 02,03.")
    return items


def _modified(path: Path) -> int | None:
    """When ``path`` was last written (nanoseconds), or None when it does not exist."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 a notebook failed, 2 nothing run: bad input, 130
    interrupted)."""
    try:
        with _stopped_as_by_ctrl_c():
            return _run_command(argv)
    except KeyboardInterrupt:  # while the run was prepared: imports, the plan, loading the corpus
        print("corpus-notebooks: interrupted before any notebook started; no notebook ran and no run record was written",
              file=sys.stderr)
        return EXIT_INTERRUPTED


def _stopped_as_by_ctrl_c() -> Any:
    """A block within which SIGTERM (a job scheduler's time limit) and SIGHUP (a closed terminal) raise
    :class:`KeyboardInterrupt`, as Ctrl-C does, so that the run stops its loading process and kernels and
    records what it did rather than dying at once."""
    from .runner import STOP_SIGNALS, signal_handlers

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal_handlers(interrupt, STOP_SIGNALS)


def _run_command(argv: Sequence[str] | None) -> int:
    """:func:`main`, except for a Ctrl-C before the run has its record."""
    # jsonschema imports the optional rfc3987_syntax package, which builds a grammar for seconds at
    # import time; nbformat never checks IRI formats, so this process goes without it.
    sys.modules.setdefault("rfc3987_syntax", None)
    from ..core.paths import NOTEBOOKS_DIR
    from ..core.progress import survive_closed_output
    from .params import ParameterError
    from .runner import RunError, describe_parameters, execute_run, plan_run

    args = build_parser().parse_args(argv)
    survive_closed_output()  # a reader of the progress that goes away (run … 2>&1 | head) does not stop the run
    try:
        if args.list_params:
            print(describe_parameters(args.notebooks or NOTEBOOKS_DIR))
            return EXIT_OK
        plan = plan_run(
            corpus=args.corpus,
            out=args.out,
            pattern=args.pattern,
            parameters=[tuple(pair) for pair in args.parameter],
            params_file=args.params,
            only=_only(args.only),
            notebooks_dir=args.notebooks,
            kernel=args.kernel,
            reuse=args.reuse,
            progress=not args.no_progress,
            scheduler=args.scheduler,
            code=not args.no_code,
        )
        if args.jobs is not None and args.jobs < 1:
            raise RunError(f"--jobs must be at least 1, got {args.jobs}.")
    except (ParameterError, RunError, FileNotFoundError) as exc:
        print(f"corpus-notebooks: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    record_before = _modified(plan.out_dir / "run.json")
    try:
        record = execute_run(plan, progress=not args.no_progress, jobs=args.jobs, fail_fast=args.fail_fast)
    except RunError as exc:
        print(f"corpus-notebooks: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if _modified(plan.out_dir / "run.json") == record_before:  # before this run wrote its record
            raise
        print(f"corpus-notebooks: stopped at once; see {plan.out_dir / 'run.json'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # the run folder itself could not be written or read (a full disk, a folder removed)
        advice = "free some space and rerun" if exc.errno == errno.ENOSPC else "check that the folder is writable and rerun"
        print(f"corpus-notebooks: error: the run folder {plan.out_dir} could not be written "
              f"({exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}); {advice}", file=sys.stderr)
        return EXIT_FAILED
    if record["status"] == "interrupted":
        print(f"corpus-notebooks: run interrupted; see {plan.out_dir / 'index.html'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if record["status"] != "succeeded":
        print(f"corpus-notebooks: run {record['status']}; see {plan.out_dir / 'index.html'}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{len(plan.notebooks)} notebook(s) ran; open {plan.out_dir / 'index.html'}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
