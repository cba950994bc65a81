"""Tests for corpus_utils.input.pages: dates, line cleaning, credits and chrome, and robustness on any text."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_utils.input.pages import SPACE_CHARACTERS, ParsedPage, clean_line, clean_lines, parse_date, parse_page, split_credits

DATE_CASES = [
    ("August 21, 2018", "2018-08-21"),
    ("Aug 21, 2018", "2018-08-21"),
    ("Sept. 3, 2019", "2019-09-03"),
    ("21 August 2018", "2018-08-21"),
    ("3rd March 2021", "2021-03-03"),
    ("2021-09-07", "2021-09-07"),
    ("2021-09-07 13:24:05", "2021-09-07"),
    ("2021/9/7", "2021-09-07"),
    ("2018年8月21日", "2018-08-21"),
    ("Time of issue: 2022.01.04", "2022-01-04"),
    ("2021-02-30", None),
    ("Smarch 3, 2020", None),
    ("sometime", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize("text, expected", DATE_CASES)
def test_parse_date(text, expected):
    assert parse_date(text) == (pd.Timestamp(expected) if expected else None)


@pytest.mark.parametrize(
    "line, expected",
    [("  a\u00a0\u00a0b  ", "a b"), ("\u3000title\t", "title"), ("x\u200by", "x y"), ("", "")],
)
def test_clean_line(line, expected):
    assert clean_line(line) == expected


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from([*SPACE_CHARACTERS, "a", "b", "\n", "\r", "\u2028"]), max_size=40))
def test_clean_line_and_clean_lines_fold_every_run_of_spaces_as_the_plain_definition(text):
    """The faster pattern (runs that are not one plain space) gives what folding every run gives."""
    plain = re.compile(f"[{SPACE_CHARACTERS}]+")
    assert clean_line(text) == plain.sub(" ", text).strip()
    assert clean_lines(text) == [plain.sub(" ", line).strip() for line in text.splitlines()]


CREDIT_CASES = [
    ("Editor: Zhao Yuhong", "credit"),
    ("Planning/review: Huang Chunlei", "credit"),
    ("Picture: Zhao Yuhong", "credit"),
    ("(Reporters Shen Tongrui, He Linping)", "credit"),
    ("(Responsible editor: Wang Keyuan, Song Meiqi)", "credit"),
    ('"People\'s Daily" (September 07, 2021 04 edition)', "credit"),
    ("New media produced by Suzhou People's Procuratorate", "credit"),
    ("[Editor's Note] According to the deployment of the Working Committee", "paragraph"),
    ("Editors of the branch studied the Party Constitution together.", "paragraph"),
    ("[Font size: large | in | Small", "chrome"),
    ("Scan the QR code to read on your phone", "chrome"),
    ("All rights reserved © 2021 Example Co.,Ltd.", "chrome"),
    ("Time of issue : 2022-02-24 13:24:05", "chrome"),
]


@pytest.mark.parametrize("line, kind", CREDIT_CASES)
def test_split_credits(line, kind):
    paragraphs, credits = split_credits([line])
    assert (paragraphs, credits) == {
        "credit": ([], [line]),
        "paragraph": ([line], []),
        "chrome": ([], []),
    }[kind]


def test_time_line_needs_author_source_or_a_date():
    page = parse_page("Heading\nTime: to act, comrades\nBody text")
    assert page.layout == "plain"
    assert parse_page("Heading\nTime: 2020-01-01\nBody text").layout == "procuratorate"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parse_page_on_any_text(text):
    try:
        page = parse_page(text)
    except ValueError as error:
        assert not text.strip() or "no text" in str(error)
        return
    assert isinstance(page, ParsedPage)
    assert page.layout in {"procuratorate", "repost", "plain"}
    assert all(paragraph and paragraph == paragraph.strip() for paragraph in page.paragraphs)


def test_a_repost_page_below_a_site_menu_takes_the_line_above_its_fields_as_title():
    page = parse_page("Home | News | Work\nSearch\nCounty Procuratorate: Six Guarantees\n(Summary description)Short.\n"
                      "- Categories:Party building\n- Author:\n- Origin:Xinhua\n- Time of issue:2022-08-01\n- Views:12\n"
                      "The body paragraph.")
    assert (page.layout, page.title, page.section, page.source) == ("repost", "County Procuratorate: Six Guarantees", "Party building", "Xinhua")
    assert str(page.date.date()) == "2022-08-01" and page.paragraphs == ["The body paragraph."]
    assert page.warnings == ["extra header lines before the title ignored: Home | News | Work | Search"]


def test_a_page_of_no_known_family_never_takes_a_menu_bar_as_its_title():
    page = parse_page("首页 | 机构设置 | 检务公开\nHome | News\nThe article's first paragraph.")
    assert (page.title, page.paragraphs) == ("Home | News", ["The article's first paragraph."])  # one bar: a title may hold one
    assert page.warnings[0] == "menu lines before the title ignored: 首页 | 机构设置 | 检务公开"
    assert parse_page("A | B | C").title == "A | B | C"  # the only line stays the title
