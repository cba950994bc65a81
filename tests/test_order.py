"""The runner's start order: a free place goes to a notebook whose producers have finished."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import write_notebook

from corpus_utils.core.paths import NOTEBOOKS_DIR
from corpus_utils.run import runner
from corpus_utils.run.cli import EXIT_OK, main
from corpus_utils.run.order import READS_RESULTS_OF, next_to_start, producers_of

RUNNER_CELL = 'CORPUS = "seeds"  # folder of page files\nPATTERN = "*.txt"  # page files\nFIGURES_DIR = "figures"  # figures\n'


def test_every_notebook_named_in_the_table_exists():
    shipped = {path.stem for path in NOTEBOOKS_DIR.glob(runner.NOTEBOOK_GLOB)}
    named = set(READS_RESULTS_OF) | {producer for producers in READS_RESULTS_OF.values() for producer in producers}
    assert named <= shipped, named - shipped


def test_producers_come_earlier_in_reading_order():
    """Run one at a time, the reading order never starts a notebook before its producers."""
    for name, producers in READS_RESULTS_OF.items():
        assert all(producer < name for producer in producers), name


def test_a_ready_notebook_goes_before_a_waiting_one():
    assert next_to_start(["05_timeline", "06_formulations"], running=["04_topic_clustering"]) == "06_formulations"
    assert next_to_start(["05_timeline", "06_formulations"], running=[]) == "05_timeline"
    # a producer still pending also makes a notebook wait
    assert next_to_start(["04_topic_clustering", "05_timeline"], running=[]) == "04_topic_clustering"


def test_the_first_waiting_one_starts_when_none_is_ready():
    pending = ["03_tfidf_similarity", "04_topic_clustering", "07_explore"]
    assert next_to_start(pending, running=["02_term_frequency"]) == "03_tfidf_similarity"


def test_a_producer_outside_the_run_counts_as_ready():
    """``--only 05_timeline``: 04 is not part of the run, so nothing is waited for."""
    assert next_to_start(["05_timeline", "07_explore"], running=["01_corpus_overview"]) == "05_timeline"


def test_languages_wait_for_their_own_producer():
    assert producers_of("05_timeline.en") == ("02_term_frequency.en", "04_topic_clustering.en")
    pending = ["05_timeline.en", "05_timeline.zh"]
    assert next_to_start(pending, running=["04_topic_clustering.en"]) == "05_timeline.zh"


def test_nothing_to_start_is_an_error():
    with pytest.raises(ValueError, match="no notebook left"):
        next_to_start([], running=[])


def _start_order(names, jobs, fail=()):
    """The order ``runner._run_in_start_order`` starts ``names`` in, with instant notebooks (``fail`` raise)."""
    started = []

    def run_one(position, notebook, free):
        started.append((position, notebook.name))
        if notebook.name in fail:
            raise RuntimeError(f"{notebook.name} broke")

    with ThreadPoolExecutor(max_workers=2 * jobs) as pool:
        runner._run_in_start_order([SimpleNamespace(name=name) for name in names], jobs, pool, run_one)
    return started


def test_two_places_start_06_before_05_and_keep_positions():
    names = ["04_topic_clustering", "05_timeline", "06_formulations"]
    assert _start_order(names, jobs=2)[:2] == [(1, "04_topic_clustering"), (3, "06_formulations")]
    assert sorted(_start_order(names, jobs=2)) == [(1, names[0]), (2, names[1]), (3, names[2])]


def test_one_place_is_the_reading_order():
    names = [path.stem for path in sorted(NOTEBOOKS_DIR.glob(runner.NOTEBOOK_GLOB))]
    assert [name for _, name in _start_order(names, jobs=1)] == names


def test_an_error_stops_further_starts_and_is_raised():
    names = ["04_topic_clustering", "05_timeline", "06_formulations"]
    with pytest.raises(RuntimeError, match="04_topic_clustering broke"):
        _start_order(names, jobs=1, fail={"04_topic_clustering"})
    calls = []

    def run_one(position, notebook, free):
        calls.append(notebook.name)
        raise RuntimeError("broke")

    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(RuntimeError, match="broke"):
        runner._run_in_start_order([SimpleNamespace(name=name) for name in names], 1, pool, run_one)
    assert calls == ["04_topic_clustering"]  # nothing started after the error


def test_the_runner_starts_05_once_04_has_finished(theme_corpus, tmp_path, capsys):
    """Two places, three notebooks: 06 (slow) takes the second place, so 05 starts when 04 ends, not before."""
    corpus, _ = theme_corpus
    folder = tmp_path / "notebooks"
    write_notebook(folder, "04_topic_clustering", RUNNER_CELL, "print('fit')")
    write_notebook(folder, "05_timeline", RUNNER_CELL, "print('read the fit')")
    write_notebook(folder, "06_formulations", RUNNER_CELL, "import time\ntime.sleep(6)")
    out = tmp_path / "runs" / "order"
    status = main(["run", "--corpus", str(corpus), "--out", str(out), "--notebooks", str(folder), "--no-progress", "--jobs", "2"])
    assert status == EXIT_OK, capsys.readouterr().err
    entries = {entry["name"]: entry for entry in json.loads(Path(out / "run.json").read_text(encoding="utf-8"))["notebooks"]}
    assert [entries[name]["status"] for name in entries] == ["succeeded"] * 3
    assert entries["06_formulations"]["started_at"] <= entries["05_timeline"]["started_at"]
    assert entries["05_timeline"]["started_at"] >= entries["04_topic_clustering"]["finished_at"]


def test_a_notebook_starts_only_when_it_fits_beside_the_running_ones():
    sizes = {"01_heavy": 6, "02_heavy": 6, "03_light": 2}
    fits = lambda name: sizes[name] + sum(sizes[other] for other in running) <= 8  # noqa: E731
    running = ["01_heavy"]
    assert next_to_start(["02_heavy", "03_light"], running, fits=fits) == "03_light"  # a later one that fits
    running = ["01_heavy", "03_light"]
    assert next_to_start(["02_heavy"], running, fits=fits) is None  # wait for a place to free memory
    running = []
    assert next_to_start(["02_heavy"], running, fits=lambda name: False) == "02_heavy"  # alone, it starts anyway
    # 07 would wait for 02's token ids: it does not take the memory 02, ready, needs once 01 ends
    assert next_to_start(["02_term_frequency", "07_explore"], ["01_corpus_overview"], fits=lambda name: name == "07_explore") is None
    # with nothing ready, one waiting for a running producer may start if it fits
    assert next_to_start(["05_timeline", "07_explore"], ["02_term_frequency"], fits=lambda name: name == "07_explore") == "07_explore"


def test_the_runner_pairs_a_light_notebook_with_a_heavy_one_within_the_memory_budget():
    """Two places and 8 units of memory: the two heavy notebooks (6 each) never run together; the light ones (2) run
    beside them, so the second heavy one starts after the light ones that came later in reading order."""
    sizes = {"01_heavy": 6, "02_heavy": 6, "03_light": 2, "04_light": 2}
    budget = SimpleNamespace(fits=lambda name, running: sizes[name] + sum(sizes[other] for other in running) <= 8)
    lock, running, held, started = threading.Lock(), set(), [], []

    def run_one(position, notebook, free):
        with lock:
            running.add(notebook.name)
            started.append(notebook.name)
            held.append(sum(sizes[name] for name in running))
        time.sleep(0.3 if "heavy" in notebook.name else 0.1)
        with lock:
            running.discard(notebook.name)

    with ThreadPoolExecutor(max_workers=4) as pool:
        runner._run_in_start_order([SimpleNamespace(name=name) for name in sizes], 2, pool, run_one, budget=budget)
    assert sorted(started) == sorted(sizes) and max(held) <= 8
    assert started[:3] == ["01_heavy", "03_light", "04_light"] and started[-1] == "02_heavy"
