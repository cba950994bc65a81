"""The benchmark harness: synthetic corpora, the fast paths it measures against their simple versions, the command."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from bench.corpus import generate_pages, load_seed_material, write_corpus
from bench.run import Measurement, plot_results
from corpus_utils.input.load import read_corpus
from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.core.words import paragraph_spans
from corpus_utils.analysis.similarity import top_k_neighbours
from corpus_utils.text.phrases import PhraseReplacer, literal_phrase_pattern
from corpus_utils.text.tokenizer import TOKEN_PATTERN, Tokenizer, build_stop_words
from corpus_utils.text.variants import count_variants, load_variant_table
from corpus_utils.text.vectorizers import make_vectorizer


@pytest.fixture(scope="module")
def material():
    return load_seed_material()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("synthetic")
    write_corpus(240, root / "pages", root / "corpus.parquet", seed=7)
    return root / "pages", root / "corpus.parquet"


# --- the generator ----------------------------------------------------------------------------------


def test_generation_is_deterministic_and_prefix_stable(material):
    first = [page.encoded() for page in generate_pages(40, seed=3, material=material)]
    again = [page.encoded() for page in generate_pages(40, seed=3, material=material)]
    shorter = [page.encoded() for page in generate_pages(15, seed=3, material=material)]
    other = [page.encoded() for page in generate_pages(15, seed=4, material=material)]
    assert first == again
    assert first[:15] == shorter
    assert shorter != other


def test_pages_load_in_the_intended_layouts_and_match_the_table(synthetic):
    folder, parquet = synthetic
    corpus = read_corpus(folder, n_jobs=1, cache=False)
    documents = corpus.documents
    table = pd.read_parquet(parquet)
    assert corpus.report.n_loaded == len(table) == 240 and corpus.report.n_skipped == 0
    counts = documents["layout"].value_counts()
    assert counts["procuratorate"] > counts["repost"] > counts["plain"] > 0
    assert list(table.columns) == ["doc_id", "title", "date", "section", "source", "body"]
    # the loader recovers exactly the article the generator wrote: chrome, credits and footers removed
    assert documents["body"].astype(str).tolist() == table["body"].tolist()
    assert documents["title"].astype(str).tolist() == table["title"].tolist()
    dated = documents["layout"] != "plain"
    assert documents.loc[dated, "date"].tolist() == table.loc[dated.to_numpy(), "date"].tolist()
    assert documents.loc[dated, "date"].dt.year.between(2015, 2024).all()
    assert documents["credits"].notna().mean() > 0.3  # editors, reporters, "People's Daily" lines


def test_chinese_pages_are_deterministic_and_load_as_written(tmp_path):
    """`python -m bench generate --language zh`: the loader reads back each page's title, date, section and body."""
    from bench.corpus_zh import generate_pages_zh

    first = [page.encoded() for page in generate_pages_zh(30, seed=2)]
    assert first == [page.encoded() for page in generate_pages_zh(30, seed=2)]
    assert first[:10] == [page.encoded() for page in generate_pages_zh(10, seed=2)] and first[:10] != [
        page.encoded() for page in generate_pages_zh(10, seed=3)]
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "generate", "--n", "150", "--language", "zh", "--seed", "5", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    corpus = read_corpus(tmp_path / "pages", n_jobs=1, cache=False)
    table = pd.read_parquet(tmp_path / "corpus.parquet")
    documents = corpus.documents
    assert corpus.report.n_loaded == len(table) == 150 and set(documents["language"]) == {"zh-Hans"}
    assert documents["body"].astype(str).tolist() == table["body"].tolist()
    assert documents["title"].astype(str).tolist() == table["title"].tolist()
    assert documents["date"].tolist() == table["date"].tolist()
    assert documents["section"].astype(str).tolist() == table["section"].tolist()
    pages = list(generate_pages_zh(2000, seed=1))
    paragraphs = [paragraph for page in pages for paragraph in page.paragraphs]
    assert len(set(paragraphs)) > 0.99 * len(paragraphs)  # copies of a seed sentence are varied, not repeated

    def bigrams(count: int) -> int:
        return len({body[i : i + 2] for page in pages[:count] for body in [page.body] for i in range(len(body) - 1)})

    assert bigrams(2000) > 1.5 * bigrams(200)  # the vocabulary keeps growing with the corpus


def test_vocabulary_keeps_growing_with_the_corpus(material):
    token = re.compile(r"\w+")
    vocabulary: set[str] = set()
    sizes = {}
    bodies = []
    for index, page in enumerate(generate_pages(1200, seed=1, material=material), start=1):
        vocabulary.update(token.findall(page.body.lower()))
        bodies.append(page.body)
        if index in (300, 1200):
            sizes[index] = len(vocabulary)
    growth = np.log(sizes[1200] / sizes[300]) / np.log(4)
    assert 0.3 < growth < 0.9  # Heaps-like: sub-linear but far from saturated
    assert 3 <= len(bodies) - len(set(bodies)) <= 30  # about 1 % reposted bodies


# --- fast paths against their simple versions ---------------------------------------------------------

_APOSTROPHES = re.compile(r"[’‘`´]")
_POSSESSIVE = re.compile(r"(?<=\w)'s\b")
_QUOTES = re.compile(r"[“”\"]")


def _reference_preprocessor(replacements):
    """The preprocessing as first written: one big case-insensitive regex pass, then character-class subs."""
    replacer = PhraseReplacer(replacements)

    def preprocess(text: str) -> str:
        text = _APOSTROPHES.sub("'", text)
        text = replacer._regex.sub(lambda match: replacer._targets[match.lastgroup], text)
        return _QUOTES.sub(" ", _POSSESSIVE.sub("", text)).lower()

    return preprocess


AWKWARD_TEXTS = [
    "TWO SAFEGUARDS, two-maintenance and Two  Protections; the 2 safeguards’ role.",
    "Xi Jinping’s thought; XI JINPING'S THOUGHT ON SOCIALISM WITH CHINESE CHARACTERISTICS FOR A NEW ERA.",
    "the whole hospital's police officers — “two micro and one end”, two-micro-one-end",
    "ſafeguards, İstanbul, Kelvin K: two ſafeguards and the ı in two safeguards",  # case partners of ASCII letters
    "pre-two safeguards and two safeguards-post and two_safeguards and two safeguardsx",
    "one post and two responsibilities\nthree meetings and\none lesson 三会一课 four consciousness.",
    "",
]


@pytest.mark.parametrize("mt_normalisation", [False, True])
def test_fast_preprocessing_equals_the_reference_on_every_text(synthetic, mt_normalisation):
    _, parquet = synthetic
    replacements = Tokenizer.from_parameters(mt_normalisation=mt_normalisation).replacements
    fast = make_vectorizer(tokenizer=Tokenizer(replacements=replacements)).build_preprocessor()
    reference = _reference_preprocessor(replacements)
    texts = pd.read_parquet(parquet)["body"].tolist() + AWKWARD_TEXTS
    assert [fast(text) for text in texts] == [reference(text) for text in texts]


def test_phrase_scan_finds_exactly_the_regex_matches_on_random_text():
    replacements = [*Tokenizer.from_parameters(mt_normalisation=True).replacements, (literal_phrase_pattern("lead goose"), "x_goose")]
    replacer = PhraseReplacer(replacements)
    assert replacer._scanner is not None
    words = ["two", "TWO", "2", "safeguards", "maintenance", "three", "meetings", "and", "one", "lesson", "whole",
             "hospital", "ſafeguards", "K", "é", "“", "'s", "’s", "-", "xi", "jinping", "thought", "lead", "goose", "四"]
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice(words) + rng.choice([" ", "", "-", "\n", " , "]) for _ in range(rng.randint(1, 10)))
        expected = [(m.span(), m.lastgroup) for m in replacer._regex.finditer(text)]
        assert [(m.span(), m.lastgroup) for m in replacer.finditer(text)] == expected, text


@pytest.mark.parametrize("spans_of", [paragraph_spans, lambda text: [(0, len(text) // 2), (len(text) // 2, len(text))],
                                      lambda text: [(len(text) // 2, len(text)), (0, len(text) // 2)]])
def test_phrase_scan_of_several_spans_finds_the_regex_matches_of_each_span(spans_of):
    """The scan of several spans (paragraphs, halves in order or not) gives each span's matches, as the regex finds
    them span by span: a phrase is never matched across a span's end."""
    replacer = PhraseReplacer([*Tokenizer.from_parameters(mt_normalisation=True).replacements,
                               (literal_phrase_pattern("lead goose"), "x_goose"), (literal_phrase_pattern("the institute"), "x_inst")])
    words = ["two", "TWO", "2", "safeguards", "maintenance", "whole", "hospital", "the", "institute", "lead", "goose", "K", "-"]
    rng = random.Random(8)
    for _ in range(2000):
        text = "".join(rng.choice(words) + rng.choice([" ", "-", "\n\n", "\n \n", " \n\n "]) for _ in range(rng.randint(1, 12)))
        spans = spans_of(text)
        expected = [(m.span(), m.lastgroup) for start, end in spans for m in replacer._regex.finditer(text, start, end)]
        assert [(m.span(), m.lastgroup) for m in replacer._scanner.finditer(text, replacer._regex, spans)] == expected, text


def test_variant_counts_equal_one_regex_pass_per_variant(synthetic):
    _, parquet = synthetic
    documents = pd.DataFrame({"body": pd.read_parquet(parquet)["body"].tolist() + AWKWARD_TEXTS})
    table = load_variant_table()
    counts = count_variants(documents, table)
    for row in counts.itertuples():
        pattern = re.compile(rf"(?<![\w-]){literal_phrase_pattern(row.variant)}(?![\w-])", re.I)
        found = documents["body"].map(lambda body: len(pattern.findall(body)))
        assert (row.occurrences, row.documents) == (found.sum(), (found > 0).sum()), row.variant
    assert counts["occurrences"].sum() > 0


def test_patterns_without_a_literal_start_fall_back_to_the_plain_regex():
    replacer = PhraseReplacer([("two safeguards", "two_safeguards"), (r"(?:new|[0-9]+)? safeguards", "x")])
    assert replacer._scanner is None
    assert replacer("Two safeguards, 3 safeguards and  safeguards") == "two_safeguards, x and x"


def test_tfidf_equals_bare_sklearn_given_the_same_preprocessing(synthetic):
    _, parquet = synthetic
    from corpus_utils.text.chinese import has_han

    # Chinese runs are segmented (text.chinese), which a regex cannot do: the bare reference reads the rest
    texts = [text for text in pd.read_parquet(parquet)["body"].tolist() + AWKWARD_TEXTS if not has_han(text)]
    replacements = Tokenizer().replacements
    ours = make_vectorizer("tfidf", tokenizer=Tokenizer(replacements=replacements))
    bare = TfidfVectorizer(
        preprocessor=_reference_preprocessor(replacements), token_pattern=TOKEN_PATTERN, stop_words=sorted(build_stop_words())
    )
    ours_matrix, bare_matrix = ours.fit_transform(texts), bare.fit_transform(texts)
    assert list(ours.get_feature_names_out()) == list(bare.get_feature_names_out())
    assert "two_safeguards" in ours.vocabulary_
    assert abs(ours_matrix - bare_matrix).max() < 1e-9


def test_the_gensim_baseline_does_scikit_learns_tfidf_job(synthetic):
    """The tfidf stage's gensim variant computes the matrix the scikit-learn baseline computes (same tokens,
    weights to 1e-6 in gensim's float32), so its time is that of the same job."""
    from bench.stages import gensim_tfidf

    _, parquet = synthetic
    texts = pd.read_parquet(parquet)["body"].tolist()
    bare = TfidfVectorizer(token_pattern=TOKEN_PATTERN, stop_words=sorted(build_stop_words()))
    expected = bare.fit_transform(texts).tocsc()
    found, terms = gensim_tfidf(texts)  # gensim numbers terms as it meets them: the baseline's columns put in its order
    assert found.shape == expected.shape and sorted(terms) == bare.get_feature_names_out().tolist()
    reordered = expected[:, [bare.vocabulary_[term] for term in terms]]
    assert abs(found - reordered).max() < 1e-6 and found.nnz == expected.nnz


def test_sparse_top_k_neighbours_equal_dense_cosine(synthetic):
    _, parquet = synthetic
    matrix = make_vectorizer("tfidf").fit_transform(pd.read_parquet(parquet)["body"])
    neighbours = top_k_neighbours(matrix, k=10, chunk_size=37)
    dense = cosine_similarity(matrix)
    np.fill_diagonal(dense, -np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(dense.shape[1]), dense.shape), -dense), axis=1)[:, :10]
    expected_values = np.take_along_axis(dense, order, axis=1)
    got_values = neighbours["similarity"].to_numpy().reshape(-1, 10)
    assert np.allclose(got_values, expected_values, atol=1e-6)
    # same neighbours wherever the similarities are not tied (float32 vs float64 may reorder exact ties)
    got = neighbours["target"].to_numpy().reshape(-1, 10)
    distinct = np.abs(np.diff(expected_values, axis=1)).min(axis=1) > 1e-5
    assert distinct.sum() > 100
    assert (got[distinct] == order[distinct]).all()


# --- the command ----------------------------------------------------------------------------------------


def test_bench_command_runs_at_small_n_and_writes_results(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--sizes", "40", "--stages", "load", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    table = pd.read_csv(tmp_path / "results.csv")
    assert table["variant"].tolist() == ["floor", "sequential", "parallel", "cold", "warm"]
    assert table["error"].isna().all()
    assert (table["seconds"] > 0).all() and (table["peak_rss_mb"] > 0).all()
    assert table["ratio"].iloc[0] == 1.0 and (table["ratio"].iloc[1:] > 0).all()
    assert table["details"].str.contains("n_documents=40").sum() == 4  # every variant but the floor loaded 40
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["machine"]["cpu_count"] >= 1 and record["arguments"]["sizes"] == [40]
    assert "× floor" in completed.stdout


def test_bench_compute_stages_run_every_variant_at_small_n(tmp_path):
    """Every variant of the compute stages runs to the end (a stage reading an attribute the package no longer has
    fails here, not in a long run at 100,000 pages)."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--sizes", "60", "--stages", "counts,tfidf,similarity,topics,clusters",
         "--out", str(tmp_path), "--skip-notebooks"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    table = pd.read_csv(tmp_path / "results.csv")
    assert table["error"].isna().all(), table.loc[table["error"].notna(), ["stage", "variant", "error"]].to_string()
    assert set(table["stage"]) == {"counts", "tfidf", "similarity", "topics", "clusters"}
    topics = table[table["stage"] == "topics"].set_index("variant")["details"]
    assert topics.str.contains(r"n_iter=[1-9]").all() and set(topics.index) == {"sklearn", "ours", "sampled"}
    assert topics[["ours", "sampled"]].str.contains("n_fitted_units=60").all()  # 60 documents: no sample at this size


def test_plot_shows_time_and_memory_against_size(tmp_path):
    rows = [
        Measurement(n, "tfidf", variant, "sklearn", seconds, None, 100.0 + n / 10, None, 90.0, seconds + 1, "")
        for n in (100, 1000)
        for variant, seconds in (("sklearn", n / 1000), ("ours", n / 900))
    ]
    target = plot_results(rows, tmp_path / "plot.png")
    assert target is not None and target.stat().st_size > 10_000
    assert plot_results(rows[:2], tmp_path / "single.png") is None  # one size: nothing to plot


@pytest.mark.dask
def test_bench_dask_stage_runs_here_and_on_one_and_two_workers(tmp_path):
    """The Dask comparison at a small N: the same TF-IDF size on every variant, per-stage times, worker memory."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--sizes", "60", "--stages", "dask", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    table = pd.read_csv(tmp_path / "results.csv").set_index("variant")
    assert table.index.tolist() == ["here", "local1", "local2"] and table["error"].isna().all()
    nnz = table["details"].str.extract(r"nnz=(\d+)")[0]
    assert nnz.nunique() == 1  # the same matrix wherever it was computed
    members = table["details"].str.extract(r"family_members=(\d+)")[0]
    assert members.nunique() == 1 and int(members.iloc[0]) > 0  # the same template families wherever they were joined
    assert "workers=" not in table.loc["here", "details"] and "workers=2" in table.loc["local2", "details"]
    assert table["details"].str.contains("s_top-k_neighbours=").all()
    assert table.loc[["local1", "local2"], "details"].str.contains("s_boilerplate_join=").all()


_FORKED_TREE = """
import os, sys, time
held = bytearray(os.urandom(1)) * (160 * 2**20)  # 160 MB of private pages, touched
if os.fork() == 0:  # the child shares them with its parent until either writes to them
    time.sleep(30)
    os._exit(0)
print("ready", flush=True)
time.sleep(30)
"""


def test_tree_memory_counts_the_pages_a_forked_process_shares_with_its_parent_once():
    from corpus_utils.core.memory import PSS_EVERY, TreeSampler, tree_memory_mb

    process = subprocess.Popen([sys.executable, "-c", _FORKED_TREE], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        if tree_memory_mb(process.pid, proportional=True) is None:
            pytest.skip("this system reports no proportional set size")
        sampler = TreeSampler(process.pid, interval=0.05)
        sampler.start()
        while sampler.pss_peak_mb is None or sampler.peak_mb is None:
            sampler.join(0.05 * PSS_EVERY)
        sampler.stop()
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the forked child too
        process.wait()
    assert sampler.peak_mb > 2 * 160  # both resident sets hold the pages
    assert 160 < sampler.pss_peak_mb < 1.5 * 160 < sampler.peak_mb  # the tree holds them once
