"""Tests for corpus_utils.analysis.keyness: Dunning's G2 on document frequencies, log ratio, groups."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from corpus_utils.analysis.keyness import default_target, document_groups, keyness, log_likelihood, log_ratio
from corpus_utils.input.load import read_corpus
from corpus_utils.text.tokenizer import Tokenizer


def _hand_g2(a: int, b: int, n_a: int, n_b: int) -> float:
    """G2 written out cell by cell, as on paper."""
    n = n_a + n_b
    cells = [(a, (a + b) * n_a / n), (b, (a + b) * n_b / n), (n_a - a, (n - a - b) * n_a / n), (n_b - b, (n - a - b) * n_b / n)]
    return 2 * sum(o * math.log(o / e) for o, e in cells if o > 0)


@pytest.mark.parametrize(("a", "b", "n_a", "n_b"), [(8, 2, 10, 20), (3, 0, 4, 6), (0, 5, 5, 5), (1, 1, 2, 2), (40, 60, 100, 1000)])
def test_g2_matches_hand_computation_and_scipy(a, b, n_a, n_b):
    g2 = float(log_likelihood(np.array([a]), np.array([b]), n_a, n_b)[0])
    assert g2 == pytest.approx(_hand_g2(a, b, n_a, n_b))
    table = np.array([[a, b], [n_a - a, n_b - b]])
    if (table.sum(axis=0) > 0).all() and (table.sum(axis=1) > 0).all():
        statistic = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
        assert g2 == pytest.approx(statistic)


def test_g2_worked_example():
    # 8 of 10 target documents and 2 of 20 reference documents use the term:
    # 2 * (8 ln(8/3.333) + 2 ln(2/6.667) + 2 ln(2/6.667) + 18 ln(18/13.333)) = 2 * (7.00375 - 4.81589 + 5.40188) = 15.1795
    assert float(log_likelihood(np.array([8]), np.array([2]), 10, 20)[0]) == pytest.approx(15.1795, abs=1e-4)


def test_log_ratio_smoothing():
    assert float(log_ratio(np.array([8]), np.array([2]), 10, 20)[0]) == pytest.approx(math.log2((8.5 / 11) / (2.5 / 21)))
    assert float(log_ratio(np.array([3]), np.array([0]), 4, 6, smoothing=1.0)[0]) == pytest.approx(math.log2((4 / 6) / (1 / 8)))


def _corpus() -> pd.DataFrame:
    bodies = [
        "warning education warning education warning education " * 30 + "discipline",  # one long article
        "discipline inspection and supervision",
        "discipline and rules",
        "public interest litigation warning",
        "public interest litigation and rivers",
        "public interest litigation of minors",
    ]
    return pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(6)],
            "body": bodies,
            "section": ["Party", "Party", "Party", "Work", "Work", None],
            "date": pd.to_datetime(["2019-01-01", "2019-05-01", "2019-07-01", "2020-01-01", "2020-02-01", None]),
        }
    )


def test_keyness_counts_documents_not_tokens():
    table = keyness(_corpus(), "section", "Party", min_df=1).set_index("term")
    assert table.loc["warning", ["df_target", "df_reference"]].tolist() == [1, 1]  # 90 tokens in one article count once
    assert table.loc["warning", "g2"] == pytest.approx(_hand_g2(1, 1, 3, 2))  # 1 of 3 vs 1 of 2 documents
    assert table.loc["discipline", ["df_target", "df_reference", "n_target", "n_reference"]].tolist() == [3, 0, 3, 2]
    assert table.loc["discipline", "g2"] == pytest.approx(_hand_g2(3, 0, 3, 2))
    assert table.loc["discipline", "key_for"] == "target" and table.loc["litigation", "key_for"] == "reference"
    assert table.loc["litigation", "log_ratio"] < 0 < table.loc["discipline", "log_ratio"]
    assert table["g2"].is_monotonic_decreasing
    from scipy.stats import chi2

    assert table.loc["discipline", "p_value"] == pytest.approx(chi2.sf(table.loc["discipline", "g2"], 1))


def test_keyness_missing_groups_are_left_out_and_years_work():
    by_year = keyness(_corpus(), "year", 2020, min_df=1).set_index("term")
    assert by_year.loc["litigation", ["df_target", "df_reference", "n_target", "n_reference"]].tolist() == [2, 0, 2, 3]
    assert list(keyness(_corpus(), "section", "Party").columns) == [
        "term", "df_target", "df_reference", "n_target", "n_reference", "g2", "p_value", "log_ratio", "key_for"
    ]


def test_keyness_min_df_and_reference_choice():
    assert (keyness(_corpus(), "section", "Party", min_df=2)[["df_target", "df_reference"]].sum(axis=1) >= 2).all()
    only = keyness(_corpus(), "year", "2019", reference=["2020"], min_df=1)
    assert set(only["n_reference"]) == {2}


def test_keyness_merges_formulations_into_one_term():
    documents = pd.DataFrame(
        {"doc_id": ["a", "b", "c", "d"], "body": ["the two maintenance", "Two Safeguards", "rivers", "rivers"], "section": ["x", "x", "y", "y"]}
    )
    table = keyness(documents, "section", "x", tokenizer=Tokenizer.from_parameters(), min_df=1).set_index("term")
    assert table.loc["two_safeguards", "df_target"] == 2
    assert "maintenance" not in table.index


@pytest.mark.parametrize(
    ("group", "target", "options", "message"),
    [
        ("section", "Nope", {}, "not a 'section' group"),
        ("colour", "x", {}, "cannot group by 'colour'"),
        ("section", "Party", {"reference": "Party"}, "other than the target"),
        ("section", "Party", {"min_df": 0}, "min_df"),
        ("date", "2019", {}, "holds dates"),
    ],
)
def test_keyness_errors(group, target, options, message):
    with pytest.raises(ValueError, match=message):
        keyness(_corpus(), group, target, **options)


def test_groups_and_default_target():
    documents = _corpus()
    assert document_groups(documents, "year").tolist()[:5] == ["2019", "2019", "2019", "2020", "2020"]
    assert pd.isna(document_groups(documents, "year").iloc[5])
    assert default_target(document_groups(documents, "year"), "year") == "2019"  # largest year
    assert default_target(pd.Series(["2018", "2019", "2019", "2020", "2020"]), "year") == "2020"  # ties: the latest
    assert default_target(document_groups(documents, "section"), "section") == "Party"


def test_keyness_on_the_seeds_finds_2020_formulations():
    documents = read_corpus("seeds").documents
    table = keyness(documents, "year", "2020", tokenizer=Tokenizer.from_parameters()).set_index("term")
    assert table.loc["two_safeguards", ["df_target", "df_reference", "key_for"]].tolist() == [2, 0, "target"]
    assert table.loc["head_goose_effect", "g2"] == pytest.approx(_hand_g2(2, 0, 2, 3))
