"""Tests for corpus_utils.run.rules: each parameter's rule, declared once, and the rules between parameters."""

from __future__ import annotations

import pytest

from corpus_utils.core.paths import NOTEBOOKS_DIR
from corpus_utils.run.params import ParameterError, check_parameters, notebook_parameters
from corpus_utils.run.rules import RULES, check_cross_rules, check_rule


@pytest.mark.parametrize(
    ("name", "value"),
    [("TOP_N", 1), ("TOP_N", 500), ("KWIC_WINDOW", 0), ("MAX_K", 2), ("MAX_DF", 1.0), ("MAX_DF", 0.5), ("MAX_DF", 1),
     ("N_CLUSTERS", None), ("N_CLUSTERS", 4), ("UNIT", "document"), ("PERIOD", "month"), ("TREND_TERMS", []),
     ("TREND_TERMS", ["two_safeguards", "warning education"]), ("KEYNESS_BY", "section"), ("NOT_A_RULED_NAME", object())],
)
def test_values_the_rules_accept(name, value):
    check_rule(name, value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("TOP_N", 0, "TOP_N must be a whole number >= 1"), ("TOP_N", True, "TOP_N must be"), ("TOP_N", 2.5, "whole number"),
     ("KWIC_WINDOW", -1, ">= 0"), ("MAX_K", 1, ">= 2"), ("MAX_DF", 0, "> 0 and <= 1"), ("MAX_DF", 1.5, "<= 1"),
     ("N_CLUSTERS", 1, "or None"), ("UNIT", "sentence", "one of 'paragraph', 'document'"), ("PERIOD", "week", "'year'"),
     ("TREND_TERMS", ["ok", " "], "non-empty strings"), ("TREND_TERMS", "two_safeguards", "a list"), ("KEYNESS_BY", "  ", "non-empty"),
     ("TOP_N", None, "TOP_N must be")],
)
def test_values_the_rules_refuse_name_the_parameter(name, value, message):
    with pytest.raises(ValueError, match=message):
        check_rule(name, value)


def test_rules_between_parameters():
    check_cross_rules({"TREND_TERMS": [], "TOP_TREND_TERMS": 2})
    check_cross_rules({"TREND_TERMS": [], "REGISTRY_MODE": "replace"})  # a rule applies only when all its names are given
    with pytest.raises(ValueError, match="TOP_TREND_TERMS is 0"):
        check_cross_rules({"TREND_TERMS": [], "TOP_TREND_TERMS": 0})
    with pytest.raises(ValueError, match="needs a REGISTRY file"):
        check_cross_rules({"REGISTRY_MODE": "replace", "REGISTRY": ""})


def test_every_ruled_name_is_a_notebook_parameter_and_every_default_follows_its_rule():
    declared = {}
    for path in sorted(NOTEBOOKS_DIR.glob("0*.ipynb")):
        for parameter in notebook_parameters(path):
            declared.setdefault(parameter.name, parameter.default)
            check_rule(parameter.name, parameter.default)
    assert set(RULES) <= set(declared), sorted(set(RULES) - set(declared))


def test_check_parameters_applies_the_rules_in_a_notebook():
    values = {parameter.name: parameter.default for parameter in notebook_parameters("04_topic_clustering")}
    check_parameters(values, "04_topic_clustering")
    with pytest.raises(ParameterError, match="MAX_DF must be a number > 0 and <= 1, got 2"):
        check_parameters({**values, "MAX_DF": 2}, "04_topic_clustering")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [([("MAX_DF", "2")], "MAX_DF must be a number > 0 and <= 1"),
     ([("TREND_TERMS", "[]"), ("TOP_TREND_TERMS", "0")], "05_timeline: TREND_TERMS is empty and TOP_TREND_TERMS is 0")],
)
def test_the_runner_checks_the_same_rules_before_running_anything(tmp_path, parameters, message):
    from corpus_utils.run.runner import plan_run

    with pytest.raises(ParameterError, match=message):
        plan_run(out=tmp_path / "run", parameters=parameters)
    assert not (tmp_path / "run").exists()


def test_a_term_list_the_stop_list_empties_is_caught_before_running():
    from corpus_utils.run.rules import check_cross_rules, term_list_conflicts

    values = {"EXTRA_STOP_WORDS": ["party"], "KEEP_WORDS": [], "DISPERSION_TERMS": ["party", "warning"], "KWIC_TERMS": ["the"]}
    messages = term_list_conflicts(values)
    assert messages[0].startswith("DISPERSION_TERMS contains 'party', but EXTRA_STOP_WORDS removes 'party'")
    assert messages[1].startswith("KWIC_TERMS contains 'the', but all its words are stop words")
    with pytest.raises(ValueError, match="remove it from DISPERSION_TERMS"):
        check_cross_rules(values)
    check_cross_rules({**values, "KEEP_WORDS": ["party", "the"]})  # kept words survive: no conflict


def test_the_collocation_and_concordance_choices_are_the_libraries_own():
    from corpus_utils.analysis.collocations import MEASURES
    from corpus_utils.analysis.kwic import SORT_KEYS
    from corpus_utils.run.rules import COLLOCATION_MEASURES, CONCORDANCE_SORT_KEYS

    assert COLLOCATION_MEASURES == MEASURES
    assert set(CONCORDANCE_SORT_KEYS) == set(SORT_KEYS)
    check_cross_rules({"CONCORDANCE_SORT": ["1R", "2L", "date"], "COLLOCATION_LEFT": 0, "COLLOCATION_RIGHT": 1})
    with pytest.raises(ValueError, match="CONCORDANCE_SORT holds an unknown key"):
        check_cross_rules({"CONCORDANCE_SORT": ["1R", "6R"]})
    with pytest.raises(ValueError, match="COLLOCATION_LEFT and COLLOCATION_RIGHT are both 0"):
        check_cross_rules({"COLLOCATION_LEFT": 0, "COLLOCATION_RIGHT": 0})
    with pytest.raises(ValueError, match="COLLOCATION_MEASURE must be one of 'g2', 'mi', 'logdice', 't_score'"):
        check_rule("COLLOCATION_MEASURE", "dice")


def test_topic_sample_is_none_or_at_least_one_unit_per_topic():
    check_cross_rules({"TOPIC_SAMPLE": None, "N_TOPICS": 6})
    check_cross_rules({"TOPIC_SAMPLE": 6, "N_TOPICS": 6})
    with pytest.raises(ValueError, match="TOPIC_SAMPLE is smaller than N_TOPICS"):
        check_cross_rules({"TOPIC_SAMPLE": 5, "N_TOPICS": 6})
    with pytest.raises(ValueError, match="TOPIC_SAMPLE"):
        check_rule("TOPIC_SAMPLE", 0)


@pytest.mark.parametrize("include_boundaries", ["both", "left", "right", "neither"])
def test_number_bounds_agree_with_scikit_learns_check_scalar(include_boundaries):
    import math
    from numbers import Integral, Real

    import numpy as np
    from sklearn.utils import check_scalar

    from corpus_utils.core.checks import is_number_within

    values = [-1, 0, 1, 2, 3, 0.0, 0.5, 1.0, 2.5, 3.0, 3.5, np.int64(2), np.float32(0.5), np.float64(3.0), "2", None, 1j]
    for kind in (Integral, Real):
        for value in values:
            try:
                check_scalar(value, "x", kind, min_val=0, max_val=3, include_boundaries=include_boundaries)
                expected = True
            except (TypeError, ValueError):
                expected = False
            assert is_number_within(value, kind, min_val=0, max_val=3, include_boundaries=include_boundaries) is expected, (kind, value)
    assert not is_number_within(True, Integral) and not is_number_within(math.nan, Real, min_val=0)  # where we are stricter


def test_checking_parameters_imports_no_model_library():
    """01 and 07 fit no model: their kernels must not pay scikit-learn's import (1.5 s) to check a number."""
    import subprocess
    import sys

    code = ("import sys\nfrom corpus_utils.run.params import check_parameters, notebook_parameters\n"
            "import corpus_utils.report.plots, corpus_utils.report.figures, corpus_utils.analysis.timeline\n"
            "from corpus_utils.core.checks import check_whole_number\ncheck_whole_number(3, 'top')\n"
            "for name in ('01_corpus_overview', '07_explore'):\n"
            "    check_parameters({parameter.name: parameter.default for parameter in notebook_parameters(name)}, name)\n"
            "print(sorted(module for module in ('sklearn', 'papermill') if module in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
