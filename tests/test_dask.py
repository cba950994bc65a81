"""The heavy stages on a Dask LocalCluster of two worker processes give what this process gives.

Corpus: 300 generated pages (``bench.corpus``, not the seeds: three page families, dated and undated pages, repeated
boilerplate) written as a page folder, plus the Chinese pages. Partitions are made small (monkeypatched on this
side) so that several tasks, and the joins between them, are exercised.
"""

from __future__ import annotations

import itertools
import operator
import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import write_generated_corpus
from planted import planted_corpus, random_text

from corpus_utils import load_paragraphs, read_corpus
from corpus_utils.analysis.similarity import top_k_neighbours
from corpus_utils.core import columns as columns_module
from corpus_utils.core import scheduler as scheduler_module
from corpus_utils.core.columns import select_where, texts_of
from corpus_utils.core.memo import Memo
from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.core.scheduler import (SchedulerError, check_scheduler, connect, disconnect, in_this_process, stage_times,
                                         where_stages_run)
from corpus_utils.text import encoded as encoded_module
from corpus_utils.text.encoded import encode_texts
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.vectorizers import make_vectorizer

pytestmark = pytest.mark.dask

TOKENIZERS = [Tokenizer(), Tokenizer.from_parameters(mt_normalisation=True)]


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of two single-threaded worker processes, active for this module's tests."""
    scheduler = connect("local:2")
    yield scheduler
    disconnect()


@pytest.fixture(scope="module")
def page_folder(tmp_path_factory):
    return write_generated_corpus(tmp_path_factory.mktemp("generated"), 300, seed=11)


@pytest.fixture(scope="module")
def documents(page_folder):
    with in_this_process():
        return read_corpus(page_folder, cache=False).documents


def test_the_cluster_has_two_worker_processes(cluster):
    assert cluster.n_workers == 2
    assert cluster.describe()["workers"] == 2 and cluster.describe()["address"].startswith("tcp://")
    assert cluster.where == "dask (2 workers)"


def test_the_local_workers_share_half_the_machines_memory_and_leave_the_rest_to_the_kernel(cluster):
    from distributed.system import MEMORY_LIMIT  # what Dask takes as this machine's memory (cgroup limits included)

    limits = [worker["memory_limit"] for worker in cluster.client.scheduler_info()["workers"].values()]
    assert len(limits) == 2 and limits[0] == limits[1]
    assert sum(limits) == pytest.approx(scheduler_module.LOCAL_WORKERS_MEMORY_SHARE * MEMORY_LIMIT, rel=0.01)


def test_a_second_local_cluster_on_the_machine_starts_without_a_port_warning(cluster, recwarn):
    second = scheduler_module._connected("local:1")  # as a second notebook with SCHEDULER = "local" would
    try:
        assert second.n_workers == 1
        assert not [warning for warning in recwarn if "already in use" in str(warning.message)]
    finally:
        second.close()


def test_parsing_pages_on_dask_gives_the_same_documents_and_report(cluster, page_folder):
    with in_this_process():
        here = read_corpus(page_folder, cache=False, n_jobs=1)
    on_dask = read_corpus(page_folder, cache=False)
    pd.testing.assert_frame_equal(on_dask.documents, here.documents)
    pd.testing.assert_frame_equal(on_dask.report.files, here.report.files)
    assert any(time.stage == "parsing pages" and time.where.startswith("dask") for time in stage_times())


def test_cleaning_a_table_on_dask_gives_the_same_documents_and_report(cluster, documents, tmp_path, monkeypatch):
    table = tmp_path / "pages.parquet"
    documents[["doc_id", "title", "date", "section", "body"]].assign(body=lambda frame: frame["body"].str.replace(
        "\n\n", "\n", regex=False)).to_parquet(table)
    with in_this_process():
        here = read_corpus(table, cache=False)
    monkeypatch.setattr(scheduler_module, "MAX_PART_ITEMS", 40)
    on_dask = read_corpus(table, cache=tmp_path / "cache")
    pd.testing.assert_frame_equal(on_dask.documents, here.documents)
    pd.testing.assert_frame_equal(on_dask.report.files, here.report.files)
    assert on_dask.snapshot is not None and len(here.documents) == len(documents)
    assert any(time.stage == "cleaning table rows" and time.where.startswith("dask") for time in stage_times())


@pytest.mark.parametrize("partition", [7, 40])
def test_token_ids_on_dask_equal_one_pass_here(cluster, documents, monkeypatch, partition):
    monkeypatch.setattr(encoded_module, "_CHUNK_TEXTS", partition)  # partitions of whole chunks, several per worker
    texts = documents["body"].fillna("").tolist()
    with in_this_process():
        here = encode_texts(texts, TOKENIZERS)
    on_dask = encode_texts(texts, TOKENIZERS)
    for reference, distributed in zip(here, on_dask):
        np.testing.assert_array_equal(distributed.ids, reference.ids)
        np.testing.assert_array_equal(distributed.offsets, reference.offsets)
        assert distributed.vocabulary.tolist() == reference.vocabulary.tolist()


def test_stored_token_ids_computed_on_dask_are_read_back_here(cluster, documents, tmp_path):
    texts = documents["body"].fillna("").tolist()
    on_dask = encode_texts(texts, TOKENIZERS[:1], memo=Memo(tmp_path))[0]
    with in_this_process():
        read = encode_texts(texts, TOKENIZERS[:1], memo=Memo(tmp_path))[0]
    np.testing.assert_array_equal(read.ids, on_dask.ids)
    assert read.vocabulary.tolist() == on_dask.vocabulary.tolist()


@pytest.mark.parametrize("settings", [
    {"kind": "tfidf", "sublinear_tf": True, "min_df": 2, "max_df": 0.9},
    {"kind": "count", "ngram_range": (2, 3)},
    {"kind": "tfidf", "ngram_range": (1, 2), "max_features": 500},
])
def test_counts_and_tfidf_on_dask_equal_this_process(cluster, documents, settings):
    texts = documents["body"].fillna("").astype(str)
    kind, options = settings["kind"], {key: value for key, value in settings.items() if key != "kind"}
    with in_this_process():
        here = make_vectorizer(kind, tokenizer=Tokenizer(), **options)
        expected = here.fit_transform(texts)
    on_dask = make_vectorizer(kind, tokenizer=Tokenizer(), **options)
    found = on_dask.fit_transform(texts)
    assert on_dask.get_feature_names_out().tolist() == here.get_feature_names_out().tolist()
    np.testing.assert_allclose(found.toarray(), expected.toarray(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(on_dask.transform(texts[:20]).toarray(), here.transform(texts[:20]).toarray(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("topn", [False, True])
@pytest.mark.parametrize("sampled", [False, True])
def test_neighbours_on_dask_equal_this_process(cluster, documents, monkeypatch, topn, sampled):
    """With sparse_dot_topn the query blocks stay on the workers and the targets come to them in blocks (made small
    here: several blocks), each block's top k merged into the query block's there."""
    from corpus_utils.analysis import similarity

    monkeypatch.setattr(similarity, "TOPN_MIN_PRODUCT", 0 if topn else 10**18)
    monkeypatch.setattr(similarity, "TARGET_BLOCK_NNZ", 20_000)
    with in_this_process():
        matrix = make_vectorizer("tfidf", tokenizer=Tokenizer(), sublinear_tf=True).fit_transform(
            documents["body"].fillna("").astype(str))
    rows = np.arange(0, matrix.shape[0], 3) if sampled else None
    with in_this_process():
        here = top_k_neighbours(matrix, k=7, chunk_size=16, rows=rows)
    on_dask = top_k_neighbours(matrix, k=7, chunk_size=16, rows=rows)
    assert not topn or len(similarity._target_bounds(matrix.tocsr())) >= 3
    pd.testing.assert_frame_equal(on_dask, here)
    assert stage_times()[-1].stage == "top-k neighbours" and stage_times()[-1].where.startswith("dask")


def test_parts_are_contiguous_and_capped_so_worker_memory_does_not_grow_with_the_corpus(cluster, monkeypatch):
    from corpus_utils.core.scheduler import map_in_parts

    monkeypatch.setattr(scheduler_module, "MAX_PART_ITEMS", 5)
    parts = map_in_parts(list, list(range(23)), stage_name="test parts")
    assert [item for part in parts for item in part] == list(range(23))
    assert len(parts) == 5 and max(map(len, parts)) <= 5
    assert map_in_parts(list, [7], stage_name="one item") == [[7]]  # one item: no task at all, and said so
    assert stage_times()[-1].stage == "one item" and stage_times()[-1].where == "this process"


def test_parts_may_come_from_a_generator_and_a_failing_task_raises_here(cluster):
    assert cluster.map(int, (str(number) for number in range(9))) == list(range(9))  # more parts than tasks in flight
    with pytest.raises(ValueError, match="invalid literal for int"):
        cluster.map(int, iter(["1", "2", "three", "4", "5", "6", "7"]))
    assert cluster.map(int, ["8"]) == [8]  # the cluster still works


def test_large_parts_travel_before_their_tasks_and_give_the_same_results(cluster, monkeypatch):
    import warnings

    parts = [["word"] * (40_000 + number) for number in range(5)]  # about 2.6 MB each, as Dask sizes them
    monkeypatch.setattr(scheduler_module, "GRAPH_MAX_BYTES", 2**20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Dask's "Sending large graph" among them
        assert cluster.map(len, iter(parts)) == [len(part) for part in parts]
    scattered = []
    monkeypatch.setattr(cluster.client, "scatter", lambda value, **options: scattered.append(value) or type(cluster.client).scatter(cluster.client, value, **options))
    assert cluster.map(len, parts) == [len(part) for part in parts] and len(scattered) == len(parts)


def test_fold_blocks_folds_every_block_into_every_part_in_order_and_a_failing_block_raises_here(cluster):
    """Parts prepared once where they stay, blocks prepared once and sent on, two in flight: sum over the blocks of
    abs(part) × int(block)."""
    found = cluster.fold_blocks(operator.mul, [1, -2, 3, 4, -5], (str(number) for number in range(4, 11)),
                                merge=operator.add, prepare_part=abs, prepare_block=int, window=2)
    assert found == [49 * part for part in (1, 2, 3, 4, 5)]
    with pytest.raises(ValueError, match="invalid literal for int"):
        cluster.fold_blocks(operator.mul, [1, 2], ["4", "five", "6"], merge=operator.add, prepare_block=int)
    with pytest.raises(ValueError, match="at least one block"):
        cluster.fold_blocks(operator.mul, [1, 2], [], merge=operator.add)
    assert cluster.fold_blocks(operator.mul, [2], [3], merge=operator.add) == [6]  # the cluster still works


def test_dask_counts_a_wrapped_part_at_the_size_of_what_it_holds():
    """Parts and blocks travel wrapped as one pickle; Dask's memory limits and transfer counts must see their size."""
    from dask.sizeof import sizeof

    array = np.ones(100_000)
    assert sizeof(scheduler_module._Whole(array)) >= array.nbytes
    assert sizeof(scheduler_module._Whole(["text"] * 1000)) >= sizeof(["text"] * 1000)


@pytest.mark.parametrize("spec", ["local", "local:3", "tcp://10.0.0.5:8786", "scheduler.example:8786", None, "", "none"])
def test_scheduler_specs_are_read(spec):
    assert check_scheduler(spec) in (None, spec)


@pytest.mark.parametrize("spec", ["local:0", "cluster please", 8786, "tcp://"])
def test_malformed_scheduler_specs_are_refused_with_what_to_write(spec):
    with pytest.raises(SchedulerError, match="SCHEDULER"):
        check_scheduler(spec)


def test_an_address_nobody_answers_at_is_named_with_what_to_do(cluster, monkeypatch):
    monkeypatch.setattr(scheduler_module, "CONNECT_TIMEOUT", 2)
    with pytest.raises(SchedulerError, match=r"no Dask scheduler answers at tcp://127.0.0.1:9.*SCHEDULER = 'local'"):
        connect("tcp://127.0.0.1:9")
    assert scheduler_module.active() is cluster and cluster.n_workers == 2  # the working cluster is kept


def test_without_a_scheduler_dask_is_never_imported(tmp_path):
    """Loading, counting and neighbours with no scheduler leave Dask out of the process (the seeds stay fast)."""
    code = (
        "import sys\n"
        "from corpus_utils import read_corpus\n"
        "from corpus_utils.analysis.prepare import prepare_corpus\n"
        "from corpus_utils.analysis.similarity import top_k_neighbours\n"
        "from corpus_utils.text.vectorizers import make_vectorizer\n"
        "prepared = prepare_corpus('seeds')\n"
        "matrix = make_vectorizer('tfidf', tokenizer=prepared.tokenizer).fit_transform(prepared.documents['body'])\n"
        "top_k_neighbours(matrix, k=2)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('dask', 'distributed')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_formulations_candidates_and_variants_on_dask_equal_this_process(cluster, documents):
    from corpus_utils.analysis.formulations import discover_candidates, find_formulations
    from corpus_utils.text.variants import count_variants, load_variant_table

    table = load_variant_table()
    with in_this_process():
        expected = (find_formulations(documents), discover_candidates(documents), count_variants(documents, table))
    found = (find_formulations(documents), discover_candidates(documents), count_variants(documents, table))
    assert len(expected[0]) > 0 and len(expected[1]) > 0 and expected[2]["occurrences"].sum() > 0  # something to compare
    for on_dask, here in zip(found, expected):
        pd.testing.assert_frame_equal(on_dask, here)
    # "dask (N workers)" names the workers connected when the stage started; a loaded machine can lose one a moment
    assert [(time.stage, time.where.startswith("dask")) for time in stage_times()[-3:]] == [
        ("formulations", True), ("candidate formulations", True), ("MT variants", True)]


def test_the_concordance_on_dask_equals_this_process(cluster, documents):
    from corpus_utils.analysis.kwic import concordance
    from corpus_utils.analysis.terms import token_streams
    from corpus_utils.text.tokenizer import Tokenizer

    tokenizer = Tokenizer()
    with in_this_process():
        stream = token_streams(documents, [tokenizer])[0]
        expected = [concordance(documents, ["party", "discipline inspection"], tokenizer=tokenizer, stream=given)
                    for given in (stream, None)]
    for given, here in zip((stream, None), expected):
        assert len(here) > 0
        pd.testing.assert_frame_equal(concordance(documents, ["party", "discipline inspection"], tokenizer=tokenizer, stream=given), here)
        assert [(time.stage, time.where.startswith("dask")) for time in stage_times()[-2:]] == [("concordance", True)] * 2


def test_boilerplate_joins_on_dask_equal_this_process(cluster, documents):
    from corpus_utils.analysis.boilerplate import near_duplicate_paragraphs, template_families

    paragraphs = load_paragraphs(documents)
    with in_this_process():
        expected = (near_duplicate_paragraphs(paragraphs, threshold=0.8), template_families(paragraphs, threshold=0.8))
    found = (near_duplicate_paragraphs(paragraphs, threshold=0.8), template_families(paragraphs, threshold=0.8))
    assert len(expected[0]) > 0 and len(expected[1]) > 0  # the generated pages repeat paragraphs
    for on_dask, here in zip(found, expected):
        pd.testing.assert_frame_equal(on_dask, here)
    assert {"boilerplate join", "normalising paragraphs"} <= {time.stage for time in stage_times() if time.where.startswith("dask")}


def _word_subsets() -> pd.DataFrame:
    """Every set of 4 and of 5 of 10 words, one paragraph each: 1,260 pairs at Jaccard exactly 0.8 (a 4-set in a
    5-set), each text's prefix one or two words long, and a few pairs that share no MinHash band."""
    words = [f"v{index}" for index in range(10)]
    texts = [" ".join(chosen) for size in (4, 5) for chosen in itertools.combinations(words, size)]
    return pd.DataFrame({"doc_id": [f"d{index}" for index in range(len(texts))], "paragraph": 1, "text": texts})


@pytest.mark.parametrize(("corpus", "threshold", "shingle_size", "part_texts"),
                         [(1, 0.8, 5, 40), (2, 0.6, 3, 17), (4, 0.5, 2, 10**5), ("subsets", 0.8, 1, 50)])
def test_the_boilerplate_join_on_dask_finds_the_pairs_of_one_process(cluster, monkeypatch, corpus, threshold, shingle_size, part_texts):
    from corpus_utils.analysis import dask_join
    from corpus_utils.analysis.boilerplate import _eligible
    from corpus_utils.analysis.prefixjoin import _similar_pairs

    with in_this_process():
        paragraphs = _word_subsets() if corpus == "subsets" else load_paragraphs(planted_corpus(corpus))
        _, _, _, texts = _eligible(paragraphs, 1 if corpus == "subsets" else 8)
        expected = _similar_pairs(texts, threshold, shingle_size)
    monkeypatch.setattr(dask_join, "PART_TEXTS", part_texts)  # 40: 12 parts and buckets, 17: 28, 10**5: 4, 50: 10
    found = dask_join.similar_pairs_on_dask(cluster, texts, threshold, shingle_size)
    assert len(expected) > 500 and expected["similarity"].min() < 0.99  # near, not only identical, pairs
    if corpus == "subsets":
        assert len(expected) == 1249  # 11 of the 1,260 pairs share no band
    pd.testing.assert_frame_equal(found, expected)


def test_the_join_sends_each_distinct_text_once_and_not_the_paragraphs_repeating_it(cluster):
    from corpus_utils.analysis import dask_join
    from corpus_utils.analysis.boilerplate import _eligible

    rng = random.Random(5)
    distinct = [random_text(rng, 150) for _ in range(200)]
    paragraphs = pd.DataFrame({"doc_id": [f"d{index}" for index in range(2000)], "paragraph": 1,
                               "text": [distinct[index % 200] for index in range(2000)]})  # each text 10 times
    with in_this_process():
        _, _, _, texts = _eligible(paragraphs, 8)
    sent_before = cluster.sent_bytes
    found = dask_join.similar_pairs_on_dask(cluster, texts, 0.8, 5)
    sent, text_bytes = cluster.sent_bytes - sent_before, sum(len(text.encode()) for text in distinct)
    assert len(texts) == 200 and found.empty  # random texts: no two alike
    assert 0.5 * text_bytes < sent < 1.5 * text_bytes  # Dask's estimate of what was sent (it samples object columns)


def test_templates_and_the_pair_budget_on_dask_are_those_of_one_process(cluster):
    from corpus_utils.analysis.boilerplate import TooManyPairsError, near_duplicate_paragraphs, template_families

    paragraphs = load_paragraphs(planted_corpus(3, n_documents=150))
    with in_this_process():
        expected = template_families(paragraphs, threshold=0.7, shingle_size=4)
        with pytest.raises(TooManyPairsError):
            near_duplicate_paragraphs(paragraphs, threshold=0.7, max_pairs=500)
    pd.testing.assert_frame_equal(template_families(paragraphs, threshold=0.7, shingle_size=4), expected)
    assert expected["family"].nunique() >= 2
    with pytest.raises(TooManyPairsError):
        near_duplicate_paragraphs(paragraphs, threshold=0.7, max_pairs=500)


@pytest.fixture(scope="module")
def stored_documents(cluster, page_folder, tmp_path_factory):
    """The pages read back from the corpus store with their texts in Arrow buffers (as a large corpus's are), with the
    cluster active: the workers read those texts from the store's file."""
    cache = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns_module, "ARROW_TEXT_FROM_BYTES", 0)
        with in_this_process():
            read_corpus(page_folder, cache=cache)  # parsed and stored
        loaded = read_corpus(page_folder, cache=cache)  # read from the store
    assert loaded.snapshot is not None and loaded.documents["body"].dtype.storage == "pyarrow"
    assert where_stages_run(cluster).endswith("The workers read the corpus's texts from the corpus store.")
    return loaded.documents


def _read_from_store(stage_name: str) -> float:
    return sum(time.read_from_store_mb or 0 for time in stage_times() if time.stage == stage_name and time.where.startswith("dask"))


def test_the_workers_read_the_stores_texts_themselves_and_find_what_this_process_finds(cluster, stored_documents, monkeypatch, tmp_path):
    from corpus_utils.analysis.formulations import discover_candidates, find_formulations
    from corpus_utils.analysis.kwic import concordance
    from corpus_utils.text.variants import count_variants, load_variant_table

    monkeypatch.setattr(scheduler_module, "MAX_PART_ITEMS", 70)  # several parts, across the store's row groups
    monkeypatch.setattr(encoded_module, "_CHUNK_TEXTS", 40)
    documents, table = stored_documents, load_variant_table()
    texts = texts_of(documents["body"])
    calls = [lambda: find_formulations(documents), lambda: discover_candidates(documents), lambda: count_variants(documents, table),
             lambda: concordance(documents, ["party"], tokenizer=Tokenizer()),
             lambda: make_vectorizer("tfidf", tokenizer=Tokenizer(), ngram_range=(1, 2)).fit_transform(texts).toarray(),
             lambda: encode_texts(texts, TOKENIZERS[:1])[0].ids]
    with in_this_process():
        expected = [call() for call in calls]
    before = cluster.read_from_store_bytes
    for call, here in zip(calls, expected):
        found = call()
        if isinstance(here, pd.DataFrame):
            assert len(here) > 0
            pd.testing.assert_frame_equal(found, here)
        else:
            np.testing.assert_allclose(found, here, rtol=0, atol=1e-9)
    body_mb = pa.array(documents["body"].tolist()).nbytes / 2**20
    assert cluster.read_from_store_bytes - before > 5 * body_mb * 2**20  # every stage read the bodies from the store
    with in_this_process():  # token ids kept in a memo are tokenised paragraph by paragraph
        expected = encode_texts(texts, TOKENIZERS, memo=Memo(tmp_path / "here"))
    before = cluster.read_from_store_bytes
    for found, here in zip(encode_texts(texts, TOKENIZERS, memo=Memo(tmp_path / "on-dask")), expected):
        np.testing.assert_array_equal(found.ids, here.ids)
        np.testing.assert_array_equal(found.offsets, here.offsets)
    assert cluster.read_from_store_bytes - before > body_mb * 2**20
    for stage_name in ("formulations", "candidate formulations", "MT variants", "concordance", "counting and vocabulary", "tokenising"):
        assert _read_from_store(stage_name) > 0.5 * body_mb, stage_name


def test_a_selection_of_stored_rows_is_read_from_the_store_and_changed_texts_travel_as_they_are(cluster, stored_documents, monkeypatch):
    from corpus_utils.analysis.formulations import find_formulations

    monkeypatch.setattr(columns_module, "SLICE_MIN_RUN", 4)
    dated = select_where(stored_documents, stored_documents["date"].notna().to_numpy())  # runs of the store's rows
    changed = stored_documents.assign(body=stored_documents["body"].str.replace("Party", "party", regex=False))
    assert 0 < len(dated) < len(stored_documents)
    for documents, from_store in ((dated, True), (changed, False)):
        with in_this_process():
            expected = find_formulations(documents)
        read_before, sent_before = cluster.read_from_store_bytes, cluster.sent_bytes
        pd.testing.assert_frame_equal(find_formulations(documents), expected)
        body_bytes = pa.array(documents["body"].tolist()).nbytes  # the titles come from the store in both
        assert (cluster.read_from_store_bytes - read_before > body_bytes) is from_store
        assert (cluster.sent_bytes - sent_before > body_bytes) is not from_store


def test_texts_travel_as_they_are_when_the_workers_do_not_see_the_store(cluster, stored_documents, tmp_path, monkeypatch):
    from corpus_utils.analysis.formulations import find_formulations

    here = tmp_path / "store.parquet"
    here.write_bytes(b"x" * 10)
    assert cluster.sees(str(here))  # a LocalCluster shares this filesystem
    assert not cluster.sees(str(tmp_path / "missing.parquet"))
    monkeypatch.setattr(cluster, "sees", lambda path: False)  # e.g. workers on machines without this cache folder
    assert "do not see the corpus store" in where_stages_run(cluster)
    with in_this_process():
        expected = find_formulations(stored_documents)
    read_before, sent_before = cluster.read_from_store_bytes, cluster.sent_bytes
    pd.testing.assert_frame_equal(find_formulations(stored_documents), expected)
    assert cluster.read_from_store_bytes == read_before
    assert cluster.sent_bytes - sent_before > pa.array(stored_documents["body"].tolist()).nbytes


def test_the_runner_starts_one_cluster_for_the_run_and_records_each_stage(tmp_path, page_folder):
    """``--scheduler local:2``: every notebook joins the runner's cluster; run.json names it and each notebook's stages."""
    import json

    from corpus_utils.run.cli import main

    disconnect()  # the module's cluster is not the runner's
    out = tmp_path / "run"
    assert main(["run", "--corpus", str(page_folder), "--out", str(out), "--scheduler", "local:2", "--only", "01,03",
                 "--no-progress"]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["scheduler"]["workers"] == 2 and record["scheduler"]["requested"] == "local:2"
    assert all(stage["where"].startswith("dask") for stage in record["ingest_stages"])  # none when the page cache had them
    entry = next(entry for entry in record["notebooks"] if entry["name"].startswith("03_tfidf_similarity"))
    assert entry["parameters"]["SCHEDULER"] == record["scheduler"]["address"]
    assert {"top-k neighbours"} <= {stage["stage"] for stage in entry["stages"]}
    assert all(stage["where"].startswith("dask") and stage["sent_mb"] >= 0 for stage in entry["stages"])
    assert "on Dask at tcp://" in (out / "index.html").read_text() and "MB read from the store" in (out / "index.html").read_text()
    assert scheduler_module.active() is None  # the run's cluster ended with the run
