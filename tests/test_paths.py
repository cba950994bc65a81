"""Relative paths: the API and the command line read them from the current folder, notebooks from the repository."""

from __future__ import annotations

import pandas as pd

from corpus_utils import read_corpus
from corpus_utils.core.paths import PROJECT_ROOT, SEEDS_DIR, repository_path, resolve_path
from corpus_utils.report.figures import save_table
from corpus_utils.run.params import check_parameters


def test_the_api_reads_relative_paths_from_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"title": ["A note"], "body": ["The council met to discuss the budget."]}).to_csv("my.csv", index=False)
    assert resolve_path("my.csv") == tmp_path / "my.csv"
    assert len(read_corpus("my.csv").documents) == 1
    assert save_table(pd.DataFrame({"a": [1]}), "02_example", figures_dir="out") == tmp_path / "out" / "02_example.csv"


def test_notebook_path_parameters_are_read_from_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"CORPUS": "seeds", "PATTERN": "*.txt", "FIGURES_DIR": "figures", "DPI": 110, "LANGUAGE": "all", "MAX_TABLE_ROWS": 50,
                 "LENGTH_BINS": 20, "MAX_SECTIONS": 20}
    check_parameters(namespace, "01_corpus_overview")
    assert namespace["CORPUS"] == str(SEEDS_DIR) and namespace["FIGURES_DIR"] == str(PROJECT_ROOT / "figures")
    assert repository_path("/elsewhere/pages") == resolve_path("/elsewhere/pages")
    namespace["CORPUS"] = str(tmp_path)  # an absolute path stays as it is
    check_parameters(namespace, "01_corpus_overview")
    assert namespace["CORPUS"] == str(tmp_path)
