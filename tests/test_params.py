"""Tests for corpus_utils.run.params: parsing parameter cells and rejecting unknown or mistyped values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus_utils.run.params import Parameter, ParameterError, check_parameters, check_value_type, notebook_parameters

PARAMETERS_CELL = '''CORPUS = "seeds"  # folder or table
TOP_N = 20  # how many terms
RATIO = 0.5  # a float
FLAG = False  # a switch
TERMS = ["two_safeguards"]  # a list
LIMIT = None  # anything
'''


def _notebook(folder: Path, source: str, *, tagged: bool = True) -> Path:
    cell = {"cell_type": "code", "metadata": {"tags": ["parameters"] if tagged else []}, "source": source,
            "outputs": [], "execution_count": None}
    path = folder / "99_example.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    return path


def test_notebook_parameters_reads_names_defaults_and_comments(tmp_path):
    parameters = notebook_parameters(_notebook(tmp_path, PARAMETERS_CELL))
    assert parameters == [
        Parameter("CORPUS", "seeds", "folder or table"),
        Parameter("TOP_N", 20, "how many terms"),
        Parameter("RATIO", 0.5, "a float"),
        Parameter("FLAG", False, "a switch"),
        Parameter("TERMS", ["two_safeguards"], "a list"),
        Parameter("LIMIT", None, "anything"),
    ]


@pytest.mark.parametrize(
    "source, message",
    [
        ("import os\n", "may only hold 'NAME = literal' lines"),
        ("X = os.getcwd()\n", "must be a plain literal"),
        ("A = B = 1\n", "may only hold"),
    ],
)
def test_parameters_cell_must_be_plain_literals(tmp_path, source, message):
    with pytest.raises(ParameterError, match=message):
        notebook_parameters(_notebook(tmp_path, source))


def test_untagged_notebook_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="no cell is tagged 'parameters'"):
        notebook_parameters(_notebook(tmp_path, PARAMETERS_CELL, tagged=False))


TYPE_CASES = [
    (Parameter("TOP_N", 20, ""), 5, True),
    (Parameter("TOP_N", 20, ""), "5", False),
    (Parameter("TOP_N", 20, ""), True, False),
    (Parameter("RATIO", 0.5, ""), 1, True),
    (Parameter("FLAG", False, ""), 0, False),
    (Parameter("TERMS", ["a"], ""), ("b",), True),
    (Parameter("TERMS", ["a"], ""), "b", False),
    (Parameter("LIMIT", None, ""), "anything", True),
    (Parameter("CORPUS", "seeds", ""), None, True),
]


@pytest.mark.parametrize("parameter, value, accepted", TYPE_CASES)
def test_check_value_type(parameter, value, accepted):
    if accepted:
        check_value_type(parameter, value)
    else:
        with pytest.raises(ParameterError, match=f"parameter {parameter.name} expects"):
            check_value_type(parameter, value)


def test_check_parameters_rejects_unknown_names_listing_valid_ones(tmp_path):
    notebook = _notebook(tmp_path, PARAMETERS_CELL)
    namespace = {"CORPUS": "x", "TOP_N": 3, "RATIO": 1.0, "FLAG": True, "TERMS": [], "LIMIT": None, "TOPN": 4}
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) TOPN .*valid names: CORPUS, FLAG, LIMIT, RATIO, TERMS, TOP_N"):
        check_parameters(namespace, notebook)
    del namespace["TOPN"]
    assert check_parameters(namespace, notebook)["TOP_N"] == 3
    namespace["TOP_N"] = "3"
    with pytest.raises(ParameterError, match=r"TOP_N expects int \(default 20\), got str"):
        check_parameters(namespace, notebook)
