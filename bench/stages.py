"""One benchmark measurement per process: a stage of the pipeline, or the baseline it is compared with.

Run as ``python -m bench.stages STAGE VARIANT --corpus DIR --parquet FILE --work DIR``; prints one
JSON object: ``seconds`` (the timed operation only, imports and set-up excluded), ``base_rss_mb``
(resident memory just before it), ``peak_rss_mb`` (the process's peak, ``ru_maxrss``), and
details (documents, terms, non-zeros…). Each variant runs in a fresh process so peaks do not mix.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from corpus_utils.core.memory import TreeSampler

__all__ = ["STAGES", "Context", "run_variant", "cell_timings", "main"]

#: Top-k neighbours and the number of topics / clusters measured.
K_NEIGHBOURS = 10
K_TOPICS = 20
#: The dense baseline of the similarity stage builds an n × n float64 matrix: only up to this many documents.
DENSE_MAX_DOCUMENTS = 20_000


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process (``VmHWM``: unlike ``ru_maxrss`` it does not count the parent's
    memory inherited by the fork before ``exec``), or of its largest finished child."""
    if who == resource.RUSAGE_SELF:
        try:
            with open("/proc/self/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
    peak = resource.getrusage(who).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


@dataclass
class Context:
    """Where the corpus and the intermediate files of one benchmark size live."""

    corpus: Path
    parquet: Path
    work: Path
    result: dict = field(default_factory=dict)

    @contextmanager
    def timed(self):
        """Time the enclosed block; record resident memory just before it."""
        self.result["base_rss_mb"] = round(_rss_mb(), 1)
        start = time.perf_counter()
        yield
        self.result["seconds"] = time.perf_counter() - start

    def bodies(self) -> list[str]:
        """Article bodies from the Parquet copy of the corpus (not timed)."""
        import pandas as pd

        return pd.read_parquet(self.parquet, columns=["body"])["body"].astype(str).tolist()

    def tfidf(self):
        """The TF-IDF matrix saved by the ``tfidf`` stage (built here if missing)."""
        import scipy.sparse as sp

        target = self.work / "tfidf.npz"
        if not target.exists():
            from corpus_utils.text.tokenizer import Tokenizer
            from corpus_utils.text.vectorizers import make_vectorizer

            matrix = make_vectorizer("tfidf", tokenizer=Tokenizer()).fit_transform(self.bodies())
            sp.save_npz(target, matrix.tocsr().astype("float32"), compressed=False)
        return sp.load_npz(target).tocsr()


# --- loading a folder -----------------------------------------------------------------------------


def load_floor(ctx: Context) -> None:
    """List the files, read every byte, decode as UTF-8 and run one regex tokenisation pass."""
    token = re.compile(r"\w+(?:[-'’]\w+)*")
    with ctx.timed():
        files = sorted(path for path in ctx.corpus.glob("*.txt") if path.is_file())
        n_tokens = n_bytes = 0
        for path in files:
            data = path.read_bytes()
            n_bytes += len(data)
            n_tokens += len(token.findall(data.decode("utf-8", errors="replace")))
    ctx.result.update(n_files=len(files), n_tokens=n_tokens, megabytes=round(n_bytes / 2**20, 1))


def _read(ctx: Context, **options) -> None:
    from corpus_utils.input.load import read_corpus

    with ctx.timed():
        corpus = read_corpus(ctx.corpus, **options)
    ctx.result.update(n_documents=len(corpus.documents), n_skipped=corpus.report.n_skipped)


def load_sequential(ctx: Context) -> None:
    """read_corpus on the simple path: one process, no cache."""
    _read(ctx, n_jobs=1, cache=False)


def load_parallel(ctx: Context) -> None:
    """read_corpus with a process pool on both cores, no cache."""
    _read(ctx, n_jobs=None, cache=False)


def load_cold(ctx: Context) -> None:
    """read_corpus with the defaults and an empty content cache (parses, fills the cache)."""
    cache = ctx.work / "page-cache"
    shutil.rmtree(cache, ignore_errors=True)
    _read(ctx, cache=cache)


def load_warm(ctx: Context) -> None:
    """read_corpus with the defaults on an unchanged corpus whose pages are in the cache (filled by ``cold``)."""
    _read(ctx, cache=ctx.work / "page-cache")


def parquet_floor(ctx: Context) -> None:
    """pandas.read_parquet and one regex tokenisation pass over the bodies."""
    import pandas as pd

    token = re.compile(r"\w+(?:[-'’]\w+)*")
    with ctx.timed():
        table = pd.read_parquet(ctx.parquet)
        n_tokens = sum(len(token.findall(body)) for body in table["body"])
    ctx.result.update(n_documents=len(table), n_tokens=n_tokens)


def parquet_ours(ctx: Context) -> None:
    """read_corpus on the Parquet copy of the corpus."""
    from corpus_utils.input.load import read_corpus

    with ctx.timed():
        corpus = read_corpus(ctx.parquet)
    ctx.result.update(n_documents=len(corpus.documents))


# --- term counting and TF-IDF ---------------------------------------------------------------------


def _vectorise(ctx: Context, vectorizer, *, save: bool = False) -> None:
    bodies = ctx.bodies()
    with ctx.timed():
        matrix = vectorizer.fit_transform(bodies)
    ctx.result.update(n_documents=matrix.shape[0], n_terms=matrix.shape[1], nnz=int(matrix.nnz))
    if save:
        import scipy.sparse as sp

        sp.save_npz(ctx.work / "tfidf.npz", matrix.tocsr().astype("float32"), compressed=False)


def tfidf_sklearn(ctx: Context) -> None:
    """Bare scikit-learn TfidfVectorizer: same token pattern and stop list, unigrams, its own lower-casing only."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from corpus_utils.text.tokenizer import TOKEN_PATTERN, build_stop_words

    _vectorise(ctx, TfidfVectorizer(token_pattern=TOKEN_PATTERN, stop_words=sorted(build_stop_words())))


def gensim_tfidf(texts):
    """gensim on scikit-learn's TF-IDF job: the same token pattern and stop list (Python's ``re``, lower-cased), a
    ``Dictionary``, ``TfidfModel`` with scikit-learn's weighting (raw counts, smooth idf ``ln((1 + n) / (1 + df)) + 1``,
    L2 norm). Returns the documents × terms matrix and the term of each column (gensim's order)."""
    import math

    from gensim.corpora import Dictionary
    from gensim.matutils import corpus2csc
    from gensim.models import TfidfModel

    from corpus_utils.text.tokenizer import TOKEN_PATTERN, build_stop_words

    pattern, stop = re.compile(TOKEN_PATTERN), build_stop_words()
    tokens = [[word for word in pattern.findall(text.lower()) if word not in stop] for text in texts]
    dictionary = Dictionary(tokens)
    bows = [dictionary.doc2bow(words) for words in tokens]
    model = TfidfModel(bows, id2word=dictionary, wglobal=lambda df, n: math.log((1 + n) / (1 + df)) + 1, normalize=True)
    matrix = corpus2csc(model[bows], num_terms=len(dictionary), num_docs=len(bows)).T.tocsr()
    return matrix, [dictionary[index] for index in range(len(dictionary))]


def tfidf_gensim(ctx: Context) -> None:
    """gensim on the same job as the scikit-learn baseline (:func:`gensim_tfidf`): the library the issue compares with."""
    bodies = ctx.bodies()
    with ctx.timed():
        matrix, _ = gensim_tfidf(bodies)
    ctx.result.update(n_documents=matrix.shape[0], n_terms=matrix.shape[1], nnz=int(matrix.nnz))


def _ours(kind: str, n_jobs: int | None):
    from corpus_utils.text.tokenizer import Tokenizer
    from corpus_utils.text.vectorizers import make_vectorizer

    return make_vectorizer(kind, tokenizer=Tokenizer(), n_jobs=n_jobs)


def tfidf_ours(ctx: Context) -> None:
    """make_vectorizer("tfidf") with formulations merged (apostrophes, phrase replacement, possessives, quotes),
    as the notebooks run it: one process per core from PARALLEL_MIN_TEXTS documents on."""
    _vectorise(ctx, _ours("tfidf", None), save=True)


def tfidf_one_process(ctx: Context) -> None:
    """The same in this process only (n_jobs=1): the tokeniser's own cost against scikit-learn's."""
    _vectorise(ctx, _ours("tfidf", 1))


def counts_ours(ctx: Context) -> None:
    """make_vectorizer("count") with formulations merged, as the notebooks run it."""
    _vectorise(ctx, _ours("count", None))


def counts_one_process(ctx: Context) -> None:
    """The same in this process only (n_jobs=1)."""
    _vectorise(ctx, _ours("count", 1))


def counts_sklearn(ctx: Context) -> None:
    """Bare scikit-learn CountVectorizer with the same token pattern and stop list."""
    from sklearn.feature_extraction.text import CountVectorizer

    from corpus_utils.text.tokenizer import TOKEN_PATTERN, build_stop_words

    _vectorise(ctx, CountVectorizer(token_pattern=TOKEN_PATTERN, stop_words=sorted(build_stop_words())))


# --- similarity -----------------------------------------------------------------------------------


def similarity_ours(ctx: Context) -> None:
    """similarity.top_k_neighbours: top-10 neighbours of every document, sparse, in chunks."""
    from corpus_utils.analysis.similarity import top_k_neighbours

    matrix = ctx.tfidf()
    with ctx.timed():
        neighbours = top_k_neighbours(matrix, k=K_NEIGHBOURS)
    ctx.result.update(n_documents=matrix.shape[0], n_rows=len(neighbours))


def similarity_topn(ctx: Context) -> None:
    """sparse_dot_topn alone: the L2-normalised matrix times its transpose, top 11 per row (self included), all threads."""
    import numpy as np
    from sklearn.preprocessing import normalize
    from sparse_dot_topn import sp_matmul_topn

    from corpus_utils.core.workers import available_cores

    matrix = normalize(ctx.tfidf().astype(np.float32), norm="l2")
    transposed = matrix.T.tocsr()
    with ctx.timed():
        top = sp_matmul_topn(matrix, transposed, top_n=K_NEIGHBOURS + 1, n_threads=max(2, available_cores()))
    ctx.result.update(n_documents=matrix.shape[0], n_rows=int(top.nnz))


def similarity_dense(ctx: Context) -> None:
    """sklearn cosine_similarity as one dense n × n matrix, then argpartition for the top 10 of each row."""
    import numpy as np
    from sklearn.metrics.pairwise import cosine_similarity

    matrix = ctx.tfidf()
    n = matrix.shape[0]
    if n > DENSE_MAX_DOCUMENTS:
        ctx.result.update(
            skipped=f"dense n × n float64 needs {n * n * 8 / 2**30:.0f} GiB; not run above {DENSE_MAX_DOCUMENTS} documents"
        )
        return
    with ctx.timed():
        dense = cosine_similarity(matrix, dense_output=True)
        np.fill_diagonal(dense, -np.inf)
        top = np.argpartition(-dense, K_NEIGHBOURS, axis=1)[:, :K_NEIGHBOURS]
    ctx.result.update(n_documents=n, n_rows=int(top.size))


# --- topics and clusters --------------------------------------------------------------------------


def topics_ours(ctx: Context) -> None:
    """topics.fit_topics(bodies, n_topics=20, fit_units=None) — NMF on sublinear TF-IDF of every document, vectorising
    included: the job of the bare scikit-learn baseline."""
    _fit_topics(ctx, fit_units=None)


def topics_sampled(ctx: Context) -> None:
    """topics.fit_topics(bodies, n_topics=20) with the notebooks' default ``fit_units`` (DEFAULT_FIT_UNITS): past that
    many documents, NMF fitted on a fixed-seed sample of them and every document placed on its topics."""
    from corpus_utils.analysis.topics import DEFAULT_FIT_UNITS

    _fit_topics(ctx, fit_units=DEFAULT_FIT_UNITS)


def _fit_topics(ctx: Context, *, fit_units: int | None) -> None:
    from corpus_utils.text.tokenizer import Tokenizer
    from corpus_utils.analysis.topics import fit_topics

    bodies = ctx.bodies()
    with ctx.timed():
        model = fit_topics(bodies, n_topics=K_TOPICS, tokenizer=Tokenizer(), fit_units=fit_units)
    ctx.result.update(n_documents=len(bodies), n_terms=len(model.terms), n_iter=model.n_iter,
                      n_fitted_units=model.n_fitted_units)


def topics_sklearn(ctx: Context) -> None:
    """Bare TfidfVectorizer (same settings as fit_topics) + NMF(20, init="nndsvda", random_state=42)."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    from corpus_utils.text.tokenizer import TOKEN_PATTERN, build_stop_words

    bodies = ctx.bodies()
    with ctx.timed():
        vectorizer = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN, stop_words=sorted(build_stop_words()), min_df=2, max_df=0.9,
            max_features=50_000, sublinear_tf=True,
        )
        matrix = vectorizer.fit_transform(bodies)
        model = NMF(n_components=K_TOPICS, init="nndsvda", random_state=42, max_iter=400)
        model.fit_transform(matrix)
    ctx.result.update(n_documents=len(bodies), n_terms=matrix.shape[1], n_iter=int(model.n_iter_))


def clusters_ours(ctx: Context) -> None:
    """clusters.cluster_kmeans(tfidf, 20) on the saved TF-IDF matrix (mini-batch above 20,000 rows)."""
    from corpus_utils.analysis.clusters import cluster_kmeans

    matrix = ctx.tfidf()
    with ctx.timed():
        labels = cluster_kmeans(matrix, K_TOPICS)
    ctx.result.update(n_documents=matrix.shape[0], n_clusters=int(labels.max()))


def clusters_sklearn(ctx: Context) -> None:
    """Bare scikit-learn KMeans / MiniBatchKMeans with the same settings on the same L2-normalised matrix."""
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.preprocessing import normalize

    from corpus_utils.analysis.clusters import MINIBATCH_THRESHOLD

    matrix = ctx.tfidf()
    with ctx.timed():
        data = normalize(matrix.astype("float64"), norm="l2")
        if data.shape[0] > MINIBATCH_THRESHOLD:
            model = MiniBatchKMeans(n_clusters=K_TOPICS, random_state=42, n_init=10, batch_size=4096)
        else:
            model = KMeans(n_clusters=K_TOPICS, random_state=42, n_init=10)
        model.fit_predict(data)
    ctx.result.update(n_documents=matrix.shape[0])


# --- the whole notebook collection ----------------------------------------------------------------


def _notebooks(only: str | None) -> list[Path]:
    from corpus_utils.core.paths import NOTEBOOKS_DIR

    found = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        found = [path for path in found if path.stem == only or path.stem.startswith(only)]
    return found


def runner_floor(ctx: Context, *, only: str | None = None) -> None:
    """Start one kernel per notebook, import pandas, scikit-learn and matplotlib in it, shut it down."""
    from jupyter_client.manager import start_new_kernel

    notebooks = _notebooks(only)
    with ctx.timed():
        for _ in notebooks:
            manager, client = start_new_kernel(kernel_name="python3")
            try:
                reply = client.execute_interactive(
                    "import pandas, sklearn, sklearn.feature_extraction.text, matplotlib, matplotlib.pyplot",
                    timeout=120, output_hook=lambda message: None,
                )
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"the import in a fresh kernel failed: {reply['content']}")
            finally:
                client.stop_channels()
                manager.shutdown_kernel(now=False)
    ctx.result.update(n_notebooks=len(notebooks), children_peak_rss_mb=round(_peak_rss_mb(resource.RUSAGE_CHILDREN), 1))


def runner_ours(ctx: Context, *, only: str | None = None, corpus: Path | None = None) -> None:
    """``python -m corpus_utils run --corpus CORPUS --out DIR`` (every notebook, or ``--only``) as a subprocess."""
    import subprocess

    out = ctx.work / "runner-out"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "corpus_utils", "run", "--corpus", str(corpus or ctx.corpus), "--out", str(out)]
    if only:
        command += ["--only", only]
    with ctx.timed():
        completed = subprocess.run(command, capture_output=True, text=True)
    (ctx.work / "runner.log").write_text(completed.stdout + "\n" + completed.stderr, encoding="utf-8")
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-15:]
        ctx.result["error"] = f"runner exited {completed.returncode}: " + " | ".join(tail)
    cells = cell_timings(out / "notebooks")
    if len(cells):
        cells.to_csv(ctx.work / "runner-cells.csv", index=False, lineterminator="\n")
        per_notebook = cells.groupby("notebook", sort=True)["seconds"].sum().round(1)
        ctx.result["cells_seconds"] = "; ".join(f"{name[:2]}={value}" for name, value in per_notebook.items())
        slowest = cells.iloc[0]
        ctx.result["slowest_cell"] = f"{slowest.notebook}[{slowest.cell}] {slowest.seconds:.1f}s {slowest.source!r}"
    ctx.result.update(
        n_notebooks=len(_notebooks(only)), children_peak_rss_mb=round(_peak_rss_mb(resource.RUSAGE_CHILDREN), 1)
    )


def cell_timings(folder: Path):
    """Seconds per code cell of the executed notebooks in ``folder`` (papermill's metadata), slowest first.

    Returns a DataFrame with columns ``notebook``, ``cell`` (index in the notebook), ``seconds`` and
    ``source`` (the cell's first 80 characters, one line).
    """
    import pandas as pd

    rows = []
    for path in sorted(folder.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        for index, cell in enumerate(cells):
            seconds = (cell.get("metadata", {}).get("papermill") or {}).get("duration")
            if cell.get("cell_type") == "code" and seconds is not None:
                source = " | ".join(line.strip() for line in "".join(cell.get("source", "")).splitlines() if line.strip())
                rows.append((path.stem, index, round(float(seconds), 2), source[:80]))
    table = pd.DataFrame(rows, columns=["notebook", "cell", "seconds", "source"])
    return table.sort_values(["seconds", "notebook", "cell"], ascending=[False, True, True], ignore_index=True)


def runner_seeds(ctx: Context, *, only: str | None = None) -> None:
    """The runner on the five shipped seeds (compared with the kernel-start floor)."""
    from corpus_utils.core.paths import SEEDS_DIR

    runner_ours(ctx, only=only, corpus=SEEDS_DIR)


def runner_each(ctx: Context, *, only: str | None = None) -> None:
    """The runner once per notebook (``--only NN``): time and peak memory of each, to find the bottleneck.

    Writes ``per-notebook.csv`` (notebook, seconds, peak_rss_mb of the runner and its kernel) to the
    work folder. The page cache is kept between notebooks, as in a full run. Needs psutil for memory.
    """
    import subprocess

    rows = []
    start_all = time.perf_counter()
    for notebook in _notebooks(only):
        out = ctx.work / "runner-each-out"
        command = [sys.executable, "-m", "corpus_utils", "run", "--corpus", str(ctx.corpus), "--out", str(out),
                   "--only", notebook.stem[:2], "--no-progress"]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sampler = TreeSampler(process.pid)
        sampler.start()
        _, stderr = process.communicate()
        sampler.stop()
        seconds = time.perf_counter() - start
        rows.append((notebook.stem, round(seconds, 1), sampler.peak_mb or 0.0, process.returncode))
        if process.returncode != 0:
            ctx.result["error"] = f"{notebook.stem} exited {process.returncode}: " + " | ".join(stderr.strip().splitlines()[-5:])
            break
    ctx.result["seconds"] = time.perf_counter() - start_all
    ctx.result["base_rss_mb"] = round(_rss_mb(), 1)
    lines = ["notebook,seconds,peak_rss_mb,exit"] + [",".join(map(str, row)) for row in rows]
    (ctx.work / "per-notebook.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ctx.result["per_notebook"] = "; ".join(f"{name[:2]}={secs}s/{mb:.0f}MB" for name, secs, mb, _ in rows)


# --- the heavy stages on Dask -----------------------------------------------------------------------

#: Sources whose neighbours the Dask stage searches (as notebook 03 samples them past MAX_DOCS_FOR_ALL_NEIGHBOURS).
DASK_SOURCES = 10_000


def _heavy_stages(ctx: Context, scheduler: str | None) -> None:
    """TF-IDF (tokenising and counting), top-10 neighbours of a 10,000-document sample, formulations, candidate
    formulations and template families (the boilerplate join): the stages that go to Dask workers, as the notebooks
    call them, here or on ``scheduler``."""
    from dataclasses import asdict

    from corpus_utils import load_paragraphs, read_corpus
    from corpus_utils.analysis.boilerplate import template_families
    from corpus_utils.analysis.formulations import discover_candidates, find_formulations
    from corpus_utils.analysis.sampling import sample_index
    from corpus_utils.analysis.similarity import top_k_neighbours
    from corpus_utils.core.columns import texts_of
    from corpus_utils.core.scheduler import connect, disconnect, stage_times
    from corpus_utils.text.tokenizer import Tokenizer
    from corpus_utils.text.vectorizers import make_vectorizer

    started = time.perf_counter()
    connected = connect(scheduler)
    ctx.result["start_seconds"] = round(time.perf_counter() - started, 1)
    try:
        documents = read_corpus(ctx.parquet).documents  # connected first, as prepare_corpus: the workers read the store
        with ctx.timed():
            matrix = make_vectorizer("tfidf", tokenizer=Tokenizer(), sublinear_tf=True).fit_transform(texts_of(documents["body"]))
            top_k_neighbours(matrix, k=K_NEIGHBOURS, rows=sample_index(matrix.shape[0], DASK_SOURCES, random_state=42))
            find_formulations(documents)
            discover_candidates(documents)
            families = template_families(load_paragraphs(documents))
        for time_ in stage_times():
            key = f"s_{asdict(time_)['stage'].replace(' ', '_')}"
            ctx.result[key] = round(ctx.result.get(key, 0) + time_.seconds, 1)
        if connected is not None:
            workers = connected.client.run(_worker_memory)
            ctx.result["workers"] = len(workers)
            ctx.result["worker_peak_mb"] = "/".join(f"{peak:.0f}" for peak, _, _ in workers.values())
            ctx.result["moved_between_workers_mb"] = round(sum(moved for _, moved, _ in workers.values()) / 2**20, 1)
            ctx.result["sent_by_workers_mb"] = round(sum(sent for _, _, sent in workers.values()) / 2**20, 1)
            ctx.result["sent_to_workers_mb"] = round(connected.sent_bytes / 2**20, 1)
            ctx.result["read_from_store_mb"] = round(connected.read_from_store_bytes / 2**20, 1)
    finally:
        disconnect()
    ctx.result.update(n_documents=matrix.shape[0], nnz=int(matrix.nnz), family_members=len(families))


def _worker_memory(dask_worker=None) -> tuple[float, float, float]:
    """On a worker: its peak resident memory (MB), the bytes it fetched from other workers (its log of incoming
    transfers, distributed ~=2026.8) and the bytes it sent to anyone (other workers and this process's gathers)."""
    fetched = sum(entry["total"] for entry in dask_worker.transfer_incoming_log)
    return _peak_rss_mb(), float(fetched), float(dask_worker.transfer_outgoing_bytes_total)


def dask_here(ctx: Context) -> None:
    """The heavy stages in this process (no scheduler: Dask is not imported), as the notebooks run them."""
    _heavy_stages(ctx, None)


def dask_local1(ctx: Context) -> None:
    """The same on a LocalCluster of one worker process."""
    _heavy_stages(ctx, "local:1")


def dask_local2(ctx: Context) -> None:
    """The same on a LocalCluster of two worker processes (one per core)."""
    _heavy_stages(ctx, "local:2")


#: stage → (baseline variant, {variant: function}); the first variant listed is the baseline.
STAGES: dict[str, dict[str, Callable[..., None]]] = {
    "load": {"floor": load_floor, "sequential": load_sequential, "parallel": load_parallel, "cold": load_cold, "warm": load_warm},
    "load_parquet": {"floor": parquet_floor, "ours": parquet_ours},
    "counts": {"sklearn": counts_sklearn, "ours": counts_ours, "one_process": counts_one_process},
    "tfidf": {"sklearn": tfidf_sklearn, "ours": tfidf_ours, "one_process": tfidf_one_process, "gensim": tfidf_gensim},
    "similarity": {"topn": similarity_topn, "ours": similarity_ours, "dense": similarity_dense},
    "topics": {"sklearn": topics_sklearn, "ours": topics_ours, "sampled": topics_sampled},
    "clusters": {"sklearn": clusters_sklearn, "ours": clusters_ours},
    "runner": {"floor": runner_floor, "ours": runner_ours},
    "runner_seeds": {"floor": runner_floor, "ours": runner_seeds},
    "notebooks": {"floor": runner_floor, "each": runner_each},
    "dask": {"here": dask_here, "local1": dask_local1, "local2": dask_local2},
}
_NOTEBOOK_STAGES = ("runner", "runner_seeds", "notebooks")


def run_variant(stage: str, variant: str, ctx: Context, *, only: str | None = None) -> dict:
    """Run one variant in this process and return its measurements."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}")
    if variant not in STAGES[stage]:
        raise ValueError(f"stage {stage!r} has no variant {variant!r}; choose from {', '.join(STAGES[stage])}")
    ctx.work.mkdir(parents=True, exist_ok=True)
    function = STAGES[stage][variant]
    if stage in _NOTEBOOK_STAGES:
        function(ctx, only=only)
    else:
        function(ctx)
    ctx.result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return ctx.result


def main(argv: list[str] | None = None) -> int:
    """Command line: run one variant and print its measurements as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("variant")
    parser.add_argument("--corpus", type=Path, required=True, help="folder of page files")
    parser.add_argument("--parquet", type=Path, required=True, help="the same corpus as one Parquet table")
    parser.add_argument("--work", type=Path, required=True, help="folder for intermediate files (TF-IDF matrix, cache)")
    parser.add_argument("--only", default=None, help="runner stages: only this notebook (name or number prefix)")
    args = parser.parse_args(argv)
    result = run_variant(args.stage, args.variant, Context(args.corpus, args.parquet, args.work), only=args.only)
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
