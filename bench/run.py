"""Run every benchmark stage at several corpus sizes, each variant in its own process; write CSV, JSON and a plot.

Usage (from the repository root)::

    .venv/bin/python -m bench run --sizes 1000,10000,100000
    .venv/bin/python -m bench run --sizes 50 --stages load,tfidf --out /tmp/bench   # a quick look

For each size N a synthetic corpus is generated once (cached under ``<out>/corpora``), then each
stage's variants run one after the other (never two at once), the baseline first. Times are of
the operation only (inside the process, after imports and set-up); memory is the process's peak
resident set and, for stages that start kernels, the peak of the whole process tree sampled every
0.2 s. The ratio column divides a variant's time by its stage's baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from corpus_utils.core.memory import TreeSampler

from . import corpus as corpus_module
from . import stages as stage_module
from .corpus import write_corpus
from .corpus_zh import generate_pages_zh

__all__ = [
    "Measurement", "DEFAULT_SIZES", "DEFAULT_OUT", "ensure_corpus", "run_benchmarks", "write_results", "plot_results",
    "markdown_table", "main",
]

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_OUT = Path(__file__).resolve().parent / "results"
#: The order stages run in (later stages reuse the TF-IDF matrix the ``tfidf`` stage saves).
STAGE_ORDER = ("load", "load_parquet", "counts", "tfidf", "similarity", "topics", "clusters", "runner", "runner_seeds", "notebooks",
               "dask")
#: Stages left out unless asked for with --stages (slow diagnostics, the Dask comparison).
OPTIONAL_STAGES = ("notebooks", "dask")
#: What each stage is compared with, in words (for the printed table and the README).
BASELINE_LABEL = {
    "load": "read bytes + one regex tokenisation pass",
    "load_parquet": "pandas.read_parquet + one regex tokenisation pass",
    "counts": "bare sklearn CountVectorizer, same token pattern and stop list",
    "tfidf": "bare sklearn TfidfVectorizer, same token pattern and stop list",
    "similarity": "dense sklearn cosine_similarity + argpartition",
    "topics": "bare TfidfVectorizer + NMF(20), same settings",
    "clusters": "bare sklearn (MiniBatch)KMeans(20), same settings",
    "runner": "one kernel per notebook importing pandas, sklearn, matplotlib",
    "runner_seeds": "one kernel per notebook importing pandas, sklearn, matplotlib",
    "notebooks": "one kernel per notebook importing pandas, sklearn, matplotlib (each notebook run alone)",
    "dask": "the same stages in one process, no scheduler",
}


@dataclass
class Measurement:
    """One row of the results table."""

    n_documents: int
    stage: str
    variant: str
    baseline: str
    seconds: float | None
    ratio: float | None
    peak_rss_mb: float | None
    tree_peak_rss_mb: float | None
    base_rss_mb: float | None
    wall_seconds: float
    details: str
    error: str | None = None
    #: The peak of the process tree's proportional set sizes: what it held together, the pages its forked processes
    #: share with their parent counted once (:class:`~corpus_utils.core.memory.TreeSampler`); None where not measured.
    tree_peak_pss_mb: float | None = None


def ensure_corpus(n: int, out: Path, *, seed: int = 42) -> tuple[Path, Path, float | None]:
    """The folder and Parquet copy of the size-``n`` corpus, generated unless already complete.

    Returns ``(folder, parquet, seconds spent generating or None if reused)``.
    """
    version = hashlib.sha256(Path(corpus_module.__file__).read_bytes()).hexdigest()[:8]  # regenerate after edits
    root = out / "corpora" / f"n{n}_seed{seed}_{version}"
    folder, parquet, marker = root / "pages", root / "corpus.parquet", root / "complete.json"
    if marker.exists() and json.loads(marker.read_text()).get("n") == n:
        return folder, parquet, None
    if root.exists():
        import shutil

        shutil.rmtree(root)
    start = time.perf_counter()
    write_corpus(n, folder, parquet, seed=seed)
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps({"n": n, "seed": seed, "seconds": round(seconds, 2)}))
    return folder, parquet, seconds


def _warm_page_cache(folder: Path) -> None:
    for path in sorted(folder.glob("*.txt")):
        path.read_bytes()


def _limit_memory(gigabytes: float | None):
    """A ``preexec_fn`` capping the address space of a measurement (and the kernels it starts), or None."""
    if not gigabytes:
        return None

    def apply() -> None:
        import resource

        limit = int(gigabytes * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _run_one(
    stage: str, variant: str, folder: Path, parquet: Path, work: Path, *, only: str | None, timeout: float, env: dict,
    memory_limit_gb: float | None = None,
) -> tuple[dict, float, tuple[float | None, float | None]]:
    """The measurement's JSON result, its wall time, and its process tree's peak memory (resident sets, proportional
    set sizes: :class:`~corpus_utils.core.memory.TreeSampler`)."""
    command = [sys.executable, "-m", "bench.stages", stage, variant, "--corpus", str(folder), "--parquet", str(parquet), "--work", str(work)]
    if only:
        command += ["--only", only]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=Path(__file__).resolve().parents[1],
        preexec_fn=_limit_memory(memory_limit_gb),
    )
    sampler = TreeSampler(process.pid)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        sampler.stop()
        return {"error": f"timed out after {timeout:.0f} s"}, time.perf_counter() - start, (sampler.peak_mb, sampler.pss_peak_mb)
    sampler.stop()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        tail = " | ".join(stderr.strip().splitlines()[-6:])
        return {"error": f"exit {process.returncode}: {tail}"}, wall, (sampler.peak_mb, sampler.pss_peak_mb)
    return json.loads(stdout.strip().splitlines()[-1]), wall, (sampler.peak_mb, sampler.pss_peak_mb)


def run_benchmarks(
    sizes: list[int],
    *,
    stages: list[str] | None = None,
    out: Path = DEFAULT_OUT,
    seed: int = 42,
    only: str | None = None,
    timeout: float = 3600.0,
    memory_limit_gb: float | None = None,
    echo=print,
) -> list[Measurement]:
    """Generate the corpora and run every (size, stage, variant); return the measurements.

    Parameters
    ----------
    sizes : list of int
        Corpus sizes (documents).
    stages : list of str, optional
        Subset of :data:`STAGE_ORDER`; default all.
    out : Path
        Results folder (corpora, intermediate files).
    only : str, optional
        Runner stages: run only this notebook.
    timeout, memory_limit_gb : float
        Per measurement: seconds before it is killed, and a cap on its address space (kernels
        included) so that a runaway stage fails alone instead of exhausting a shared machine.
    echo : callable
        Receives one line of text per measurement (``print`` by default).
    """
    default = [stage for stage in STAGE_ORDER if stage not in OPTIONAL_STAGES]
    chosen = default if not stages else [stage for stage in STAGE_ORDER if stage in stages]
    unknown = set(stages or ()) - set(STAGE_ORDER)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; choose from {', '.join(STAGE_ORDER)}")
    results: list[Measurement] = []
    done_seeds = False
    for n in sizes:
        folder, parquet, generated = ensure_corpus(n, out, seed=seed)
        echo(f"N={n}: corpus {'generated in %.1f s' % generated if generated is not None else 'reused'} ({folder})")
        work = out / "work" / f"n{n}"
        work.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, CORPUS_UTILS_CACHE_DIR=str(work / "runner-page-cache"), PYTHONHASHSEED="0")
        _warm_page_cache(folder)
        for stage in chosen:
            if stage == "runner_seeds" and done_seeds:
                continue  # the seeds do not depend on N: measure once
            if stage in ("runner", "runner_seeds", "notebooks"):
                import shutil

                shutil.rmtree(work / "runner-page-cache", ignore_errors=True)
            variants = list(stage_module.STAGES[stage])
            baseline_seconds = None
            for variant in variants:
                data, wall, (tree_peak, tree_pss) = _run_one(
                    stage, variant, folder, parquet, work, only=only, timeout=timeout, env=env, memory_limit_gb=memory_limit_gb
                )
                seconds = data.pop("seconds", None)
                error = data.pop("error", None)
                peak = data.pop("peak_rss_mb", None)
                base = data.pop("base_rss_mb", None)
                if variant == variants[0]:
                    baseline_seconds = seconds
                ratio = seconds / baseline_seconds if seconds is not None and baseline_seconds else None
                row = Measurement(
                    n_documents=5 if stage == "runner_seeds" else n,
                    stage=stage,
                    variant=variant,
                    baseline=variants[0],
                    seconds=None if seconds is None else round(seconds, 3),
                    ratio=None if ratio is None else round(ratio, 3),
                    peak_rss_mb=peak,
                    tree_peak_rss_mb=tree_peak,
                    tree_peak_pss_mb=tree_pss,
                    base_rss_mb=base,
                    wall_seconds=round(wall, 2),
                    details="; ".join(f"{key}={value}" for key, value in sorted(data.items())),
                    error=error,
                )
                results.append(row)
                echo(_format_row(row))
                for produced, prefix in (("runner-cells.csv", "cells"), ("per-notebook.csv", "notebooks")):
                    source = work / produced
                    if stage in ("runner", "runner_seeds", "notebooks") and variant != variants[0] and source.exists():
                        target = out / f"{prefix}-{stage}-n{row.n_documents}.csv"
                        source.replace(target)
                        echo(f"    details: {target}")
            done_seeds = done_seeds or stage == "runner_seeds"
    return results


def _memory(row: Measurement) -> float:
    """Peak memory of a measurement: its own peak, or its process tree's (workers, kernels) if larger."""
    return max(row.peak_rss_mb or 0.0, row.tree_peak_rss_mb or 0.0)


def _format_row(row: Measurement) -> str:
    if row.error:
        return f"  {row.stage:<13} {row.variant:<10} ERROR {row.error}"
    if row.seconds is None:
        return f"  {row.stage:<13} {row.variant:<10} not run: {row.details}"
    ratio = "baseline" if row.variant == row.baseline else (f"{row.ratio:.2f}× {row.baseline}" if row.ratio is not None else "-")
    memory = _memory(row)
    shared_once = f" (PSS {row.tree_peak_pss_mb:,.0f} MB)" if row.tree_peak_pss_mb else ""
    return f"  {row.stage:<13} {row.variant:<10} {row.seconds:9.2f} s  {ratio:<22} peak {memory:8.0f} MB{shared_once}  {row.details}"


def _machine() -> dict:
    import numpy
    import pandas
    import sklearn

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
    }


def _merged_with_earlier(results: list[Measurement], out: Path) -> list[Measurement]:
    """``results`` plus the rows of ``<out>/results.json`` whose (size, stage, variant) was not measured again."""
    earlier_path = out / "results.json"
    if not earlier_path.exists():
        return results
    measured = {(row.n_documents, row.stage, row.variant) for row in results}
    earlier = [Measurement(**row) for row in json.loads(earlier_path.read_text(encoding="utf-8"))["results"]]
    kept = [row for row in earlier if (row.n_documents, row.stage, row.variant) not in measured]
    order = {stage: index for index, stage in enumerate(STAGE_ORDER)}
    return sorted(kept + results, key=lambda row: (row.n_documents, order.get(row.stage, 99)))


def write_results(results: list[Measurement], out: Path, *, arguments: dict) -> tuple[Path, Path]:
    """Write ``<out>/results.csv`` and ``<out>/results.json`` (with the machine and arguments); return both paths."""
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame([asdict(row) for row in results])
    csv_path, json_path = out / "results.csv", out / "results.json"
    table.to_csv(csv_path, index=False, lineterminator="\n")
    json_path.write_text(
        json.dumps({"machine": _machine(), "arguments": arguments, "baselines": BASELINE_LABEL, "results": [asdict(r) for r in results]}, indent=1),
        encoding="utf-8",
    )
    return csv_path, json_path


def plot_results(results: list[Measurement], target: Path) -> Path | None:
    """Log-log plot of time and peak memory against N, one line per stage and variant; None if under two sizes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from corpus_utils.report.figures import apply_style

    table = pd.DataFrame([asdict(row) for row in results])
    table = table[table["seconds"].notna() & (table["stage"] != "runner_seeds")]
    if table.empty or table["n_documents"].nunique() < 2:
        return None
    apply_style()
    table = table.assign(memory=table[["peak_rss_mb", "tree_peak_rss_mb"]].max(axis=1))
    fig, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(14, 6))
    colours = plt.get_cmap("tab10")
    stages = [stage for stage in STAGE_ORDER if stage in set(table["stage"])]
    markers = ("o", "s", "^", "v", "D", "P")
    for stage_index, stage in enumerate(stages):
        part = table[table["stage"] == stage]
        variants = list(dict.fromkeys(part["variant"]))
        for variant_index, variant in enumerate(variants):
            group = part[part["variant"] == variant].sort_values("n_documents")
            baseline = variant == group["baseline"].iloc[0]
            style = dict(
                color=colours(stage_index % 10), linestyle="--" if baseline else "-",
                marker=markers[variant_index % len(markers)], label=f"{stage}: {variant}" + (" (baseline)" if baseline else ""),
            )
            ax_time.plot(group["n_documents"], group["seconds"], **style)
            ax_memory.plot(group["n_documents"], group["memory"], **style)
    sizes = sorted(table["n_documents"].unique())
    for ax, label in ((ax_time, "time of the operation (s)"), (ax_memory, "peak resident memory (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("documents in the corpus (N)")
        ax.set_ylabel(label)
        ax.set_xticks(sizes, [f"{size:,}" for size in sizes])
        ax.grid(True, which="major", alpha=0.3)
    ax_time.set_title("Time per stage (dashed: baselines)")
    ax_memory.set_title("Peak memory (with worker processes and kernels)")
    fig.suptitle(f"Benchmarks on synthetic corpora of N = {', '.join(f'{s:,}' for s in sizes)} documents", fontweight="bold")
    ax_memory.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, metadata={"Software": None})
    plt.close(fig)
    return target


def markdown_table(results: list[Measurement]) -> str:
    """The results as a Markdown table: one row per stage and variant, time (ratio) and peak memory per size."""
    sizes = sorted({row.n_documents for row in results if row.stage != "runner_seeds"})
    lines = [
        "| stage | variant | " + " | ".join(f"N = {size:,}" for size in sizes) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in sizes) + " |",
    ]
    order = {stage: index for index, stage in enumerate(STAGE_ORDER)}
    keys = sorted({(row.stage, row.variant) for row in results}, key=lambda key: order.get(key[0], 99))
    keys = sorted(keys, key=lambda key: (order.get(key[0], 99), [r.variant for r in results if r.stage == key[0]].index(key[1])))
    for stage, variant in keys:
        cells = []
        for size in sizes:
            found = [r for r in results if r.stage == stage and r.variant == variant and (r.n_documents == size or stage == "runner_seeds")]
            if not found:
                cells.append("")
                continue
            row = found[0]
            memory = _memory(row)
            if row.error:
                text = f"failed after {row.wall_seconds:,.0f} s"
            elif row.seconds is None:
                text = "not run"
            else:
                ratio = "" if variant == row.baseline or row.ratio is None else f" ({row.ratio:.2f}×)"
                shared_once = f" (PSS {row.tree_peak_pss_mb:,.0f} MB)" if row.tree_peak_pss_mb else ""
                text = f"{row.seconds:,.1f} s{ratio}, {memory:,.0f} MB{shared_once}"
            cells.append(text)
            if stage == "runner_seeds":
                cells = [text] + [""] * (len(sizes) - 1)
                break
        label = f"{variant} (baseline)" if variant == next(r.baseline for r in results if r.stage == stage) else variant
        lines.append(f"| {stage}{' (5 seeds)' if stage == 'runner_seeds' else ''} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m bench``: ``run`` the benchmarks or ``generate`` a corpus."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks of corpus-notebooks on synthetic corpora.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the benchmark stages at several sizes")
    run.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated corpus sizes (default %(default)s)")
    run.add_argument(
        "--stages", default="",
        help=f"comma-separated subset of: {', '.join(STAGE_ORDER)} (default: all but {', '.join(OPTIONAL_STAGES)})",
    )
    run.add_argument(
        "--merge", action="store_true",
        help="keep the rows of an earlier results.csv in --out for the sizes and stages not measured now",
    )
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default bench/results)")
    run.add_argument("--seed", type=int, default=42, help="seed of the synthetic corpora")
    run.add_argument("--only", default=None, help="runner stages: only this notebook (e.g. 01_load_and_inspect)")
    run.add_argument("--skip-notebooks", action="store_true", help="leave out the runner stages")
    run.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per measurement")
    run.add_argument(
        "--memory-limit-gb", type=float, default=12.0,
        help="address-space cap per measurement process, kernels included (default %(default)s; 0 = none)",
    )
    table = commands.add_parser("table", help="print the results of the last run as a Markdown table")
    table.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (default bench/results)")
    generate = commands.add_parser("generate", help="write one synthetic corpus as a folder and a Parquet file")
    generate.add_argument("--n", type=int, required=True, help="number of documents")
    generate.add_argument("--out", type=Path, required=True, help="folder to create (pages/ and corpus.parquet inside)")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--language", choices=("en", "zh"), default="en",
                          help="en: English pages from seeds/ (bench.corpus); zh: Chinese pages from seeds_zh/ (bench.corpus_zh)")
    args = parser.parse_args(argv)
    if args.command == "table":
        source = args.out / "results.json"
        if not source.exists():
            parser.error(f"{source} does not exist; run `python -m bench run` first")
        print(markdown_table([Measurement(**row) for row in json.loads(source.read_text(encoding="utf-8"))["results"]]))
        return 0
    if args.command == "generate":
        start = time.perf_counter()
        count = write_corpus(args.n, args.out / "pages", args.out / "corpus.parquet", seed=args.seed,
                             generate=generate_pages_zh if args.language == "zh" else None)
        print(f"wrote {count} pages to {args.out / 'pages'} and {args.out / 'corpus.parquet'} in {time.perf_counter() - start:.1f} s")
        return 0
    try:
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated whole numbers, got {args.sizes!r}")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes needs at least one size of 1 or more documents")
    stages = [stage.strip() for stage in args.stages.split(",") if stage.strip()] or [
        stage for stage in STAGE_ORDER if stage not in OPTIONAL_STAGES
    ]
    if args.skip_notebooks:
        stages = [stage for stage in stages if stage not in ("runner", "runner_seeds", "notebooks")]
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}")
    try:
        results = run_benchmarks(
            sizes, stages=stages, out=args.out, seed=args.seed, only=args.only, timeout=args.timeout,
            memory_limit_gb=args.memory_limit_gb,
        )
    except ValueError as exc:
        parser.error(str(exc))
    arguments = {"sizes": sizes, "stages": stages, "seed": args.seed, "only": args.only, "memory_limit_gb": args.memory_limit_gb}
    if args.merge:
        results = _merged_with_earlier(results, args.out)
    csv_path, json_path = write_results(results, args.out, arguments=arguments)
    plot = plot_results(results, args.out / "results.png")
    print(f"wrote {csv_path}, {json_path}" + (f" and {plot}" if plot else ""))
    failed = [row for row in results if row.error]
    return 1 if failed else 0
