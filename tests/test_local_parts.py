"""The text scans shared out among this machine's cores give what one pass in this process gives.

Corpus: 300 generated pages (``bench.corpus``: three page families, repeated boilerplate) and the Chinese pages.
The threshold and the part size are made small here, and two cores are granted whatever the machine has, so that
several parts go to a pool of two processes and their results are joined.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_generated_corpus

from corpus_utils import load_paragraphs, read_corpus
from corpus_utils.analysis.boilerplate import template_families
from corpus_utils.analysis.formulations import discover_candidates, find_formulations
from corpus_utils.analysis.kwic import concordance
from corpus_utils.analysis.terms import token_streams
from corpus_utils.core import scheduler as scheduler_module
from corpus_utils.core.scheduler import map_in_parts, stage_times
from corpus_utils.text.tokenizer import Tokenizer
from corpus_utils.text.variants import count_variants, load_variant_table


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    return read_corpus(write_generated_corpus(tmp_path_factory.mktemp("generated"), 300, seed=5), cache=False).documents


@pytest.fixture
def two_cores(monkeypatch):
    """Pools from 50 items, parts of at most 40, two cores: returns the list of pools started."""
    started = []
    pool = scheduler_module.process_pool
    monkeypatch.setattr(scheduler_module, "POOL_MIN_ITEMS", 50)
    monkeypatch.setattr(scheduler_module, "MAX_PART_ITEMS", 40)
    monkeypatch.setattr(scheduler_module, "available_cores", lambda: 2)
    monkeypatch.setattr(scheduler_module, "process_pool", lambda jobs, **options: started.append(jobs) or pool(jobs, **options))
    return started


def _concordance(documents: pd.DataFrame, *, counted: bool) -> pd.DataFrame:
    """Every line of three terms; with ``counted``, the documents and paragraphs chosen by the token stream."""
    tokenizer = Tokenizer()
    stream = token_streams(documents, [tokenizer])[0] if counted else None
    return concordance(documents, ["party", "discipline inspection", "procuratorate"], tokenizer=tokenizer, stream=stream)


SCANS = {
    "candidates": lambda documents: discover_candidates(documents),
    "concordance": lambda documents: _concordance(documents, counted=False),
    "concordance of counted documents": lambda documents: _concordance(documents, counted=True),
    "formulations": lambda documents: find_formulations(documents),
    "variants": lambda documents: count_variants(documents, load_variant_table()),
    "template families": lambda documents: template_families(load_paragraphs(documents), threshold=0.6),
}


@pytest.mark.parametrize("name", list(SCANS))
def test_a_scan_in_parts_on_two_processes_equals_one_pass_here(documents, two_cores, monkeypatch, name):
    in_parts = SCANS[name](documents)
    # the concordance reads each of its three terms in a pool; the families normalise, then shingle, the paragraphs
    pools = 3 if name.startswith("concordance") else 2 if name == "template families" else 1
    assert two_cores == [2] * pools and stage_times()[-1].where == "this process"
    monkeypatch.setattr(scheduler_module, "POOL_MIN_ITEMS", 10**9)
    pd.testing.assert_frame_equal(in_parts, SCANS[name](documents))
    assert two_cores == [2] * pools  # the reference pass started no pool
    assert len(in_parts) > 0


def test_parts_are_contiguous_and_small_inputs_or_one_core_start_no_pool(two_cores, monkeypatch):
    parts = map_in_parts(list, list(range(123)), stage_name="test parts", processes=True)
    assert [item for part in parts for item in part] == list(range(123)) and len(parts) == 4 and two_cores == [2]
    assert map_in_parts(list, list(range(49)), stage_name="few", processes=True) == [list(range(49))]
    assert map_in_parts(list, list(range(123)), stage_name="not asked") == [list(range(123))]
    monkeypatch.setattr(scheduler_module, "available_cores", lambda: 1)
    assert map_in_parts(list, list(range(123)), stage_name="one core", processes=True) == [list(range(123))]
    assert two_cores == [2]


def test_parts_are_cut_when_the_pool_asks_for_them_not_all_at_once(two_cores, monkeypatch):
    """A text column read from Arrow becomes Python strings part by part: cutting every part first held the corpus
    twice. The pool is sent at most two parts per process ahead of the results collected."""
    cut = []

    class Texts(list):
        def __getitem__(self, item):
            if isinstance(item, slice):
                cut.append(item)
            return super().__getitem__(item)

    parts = scheduler_module._parts(Texts(range(400)), 4)
    assert cut == [] and next(parts) == list(range(40)) and len(cut) == 1
    cut.clear()
    pool_parts = map_in_parts(list, Texts(range(400)), stage_name="lazy parts", processes=True)
    assert [item for part in pool_parts for item in part] == list(range(400)) and len(cut) == 10


def test_an_error_in_a_pool_s_process_is_raised_here(two_cores):
    with pytest.raises(ValueError, match="invalid literal for int"):
        map_in_parts(_ints, ["1"] * 60 + ["three"] + ["2"] * 60, stage_name="failing", processes=True)


def _ints(texts: list[str]) -> list[int]:
    return [int(text) for text in texts]


def test_ordered_map_reads_its_parts_only_as_results_come_back():
    from corpus_utils.core.workers import ordered_map, process_pool

    made = []

    def parts():
        for number in range(9):
            made.append(number)
            yield list(range(number))

    with process_pool(2, preload="builtins") as pool:
        results = ordered_map(pool, sum, parts(), ahead=3)
        first = next(results)
        assert first == 0 and len(made) <= 4  # three sent ahead, and the one sent when the first came back
        assert [first, *results] == [sum(range(number)) for number in range(9)] and len(made) == 9
