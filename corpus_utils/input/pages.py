"""Recognise a scraped page's family and split it into metadata, article paragraphs, credits and chrome.

Three families are known:

``procuratorate``
    Procuratorate site pages: optional breadcrumb (``Current location: home page >> Party building``),
    a section line, a title line, then ``Time: August 21, 2018 Author: … News source: … [Font size: …``.
``repost``
    Repost pages: a title, then ``- Categories:``, ``- Author:``, ``- Origin:``, ``- Time of issue:``,
    ``- Views:`` lines and a ``(Summary description)`` block, both repeated, then the article and
    footer chrome (QR prompt, related items, ``OFFICIAL ACCOUNTS``, copyright and licence lines).
``plain``
    Anything else: title = first non-empty line, no date, and a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["EmptyPageError", "ParsedPage", "parse_page", "parse_date", "storable_date", "clean_line", "split_credits", "LAYOUTS",
           "FIRST_DATE", "LAST_DATE"]

LAYOUTS = ("procuratorate", "repost", "plain", "table")

_SPACES = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u3000\u200b\ufeff]+")
_HEADER_SCAN_LINES = 12

_BREADCRUMB = re.compile(r"^(?:current location|location|you are here)\s*[:：]\s*(?P<trail>.+)$", re.I)
_TIME_LINE = re.compile(
    r"^(?:release\s+|publish(?:ed|ing)?\s+)?time\s*[:：]\s*(?P<date>.*?)\s*"
    r"(?:author\s*[:：]\s*(?P<author>.*?)\s*)?"
    r"(?:(?:news\s+)?source\s*[:：]\s*(?P<source>.*?)\s*)?"
    r"(?:\[\s*font\s*size\s*[:：].*)?$",
    re.I,
)
_REPOST_META = re.compile(
    r"^-\s*(?P<key>categories|category|author|origin|source|time of issue|release time|views)\s*[:：]\s*(?P<value>.*)$", re.I
)
_SUMMARY = re.compile(r"^\(\s*summary description\s*\)", re.I)
_FOOTER_START = re.compile(
    r"^(?:scan the qr code.*|relevant information|related (?:articles|news|information|reading)|"
    r"official accounts|all rights reserved.*|copyright\b.*)$",
    re.I,
)
_CHROME_LINE = re.compile(
    r"^(?:\[?\s*font\s*size\s*[:：].*|.{0,80}\bqr code\b.{0,80}|time of issue\s*[:：].{0,40}|"
    r"official accounts|welcome to follow our official (?:public )?account.{0,40}|online message|"
    r"all rights reserved.*|copyright\b.{0,200}|.{0,120}\bICP\b.{0,40}\d{6,}.{0,40}|"
    r"(?:print|close|share)(?: this page| window| to)?\s*\]?|\[\s*(?:print|close)[^\]]{0,20}\])$",
    re.I,
)
_CREDIT_LINE = re.compile(
    r"^(?:\(?\s*(?:responsible editor|executive editor|chief editor|editors?|planning\s*/\s*review|planning|"
    r"review(?:er)?s?|proofread(?:ing|ers?)|pictures?|photos?|photography|photographers?|text|reporters?|"
    r"correspondents?|typesetting|layout|producers?|contributors?)\s*[:：].{0,150}|"
    r"\(\s*(?:reporters?|correspondents?|responsible editors?|editors?)\b.{0,200}\)|"
    r"(?:new media )?produced by .{0,120}|"
    r"[\"“]?[\w' .]{2,60}[\"”]?\s*\(\s*\w+ \d{1,2}, \d{4}.{0,40}edition\s*\))$",
    re.I,
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}
_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"),
    re.compile(r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>\d{4})"),
)


class EmptyPageError(ValueError):
    """The page has no visible text once spaces (including zero-width and ideographic ones) are folded."""


@dataclass
class ParsedPage:
    """What :func:`parse_page` found in one page. ``paragraphs`` is the article body, chrome and credits removed."""

    layout: str
    title: str | None = None
    section: str | None = None
    date_text: str | None = None
    date: pd.Timestamp | None = None
    author: str | None = None
    source: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def clean_line(line: str) -> str:
    """Fold NBSP, ideographic and zero-width spaces into single spaces and strip the ends."""
    return _SPACES.sub(" ", line).strip()


def _blank_to_none(value: str | None) -> str | None:
    value = clean_line(value or "")
    return value or None


#: The first and last day a ``datetime64[ns]`` column (the documents table's ``date``) can hold.
FIRST_DATE = pd.Timestamp("1677-09-22")
LAST_DATE = pd.Timestamp("2262-04-11")


def parse_date(text: str | None) -> pd.Timestamp | None:
    """Parse the first date in ``text`` (``August 21, 2018``, ``21 Aug 2018``, ``2021-09-07 13:24:05``, ``2018年8月21日``).

    Returns the day as a :class:`pandas.Timestamp` at midnight, or ``None`` when no valid date is found.
    """
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        parts = match.groupdict()
        month = _MONTHS.get(parts["mon"].lower()) if parts.get("mon") else int(parts["m"])
        if month is None:
            continue
        try:
            return pd.Timestamp(year=int(parts["y"]), month=month, day=int(parts["d"]))
        except ValueError:
            return None
    return None


def split_credits(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split cleaned lines into (article paragraphs, credit lines); page-chrome lines are dropped."""
    paragraphs: list[str] = []
    credits: list[str] = []
    for line in lines:
        if not line or _CHROME_LINE.match(line):
            continue
        (credits if _CREDIT_LINE.match(line) else paragraphs).append(line)
    return paragraphs, credits


def storable_date(date: pd.Timestamp | None, date_text: str | None, warnings: list[str]) -> pd.Timestamp | None:
    """``date`` if a ``datetime64[ns]`` column can hold it (:data:`FIRST_DATE` to :data:`LAST_DATE`), else ``None``
    with a warning naming the date as written, so one odd date never stops a whole corpus from loading."""
    if date is None or FIRST_DATE <= date <= LAST_DATE:
        return date
    warnings.append(
        f"date {date_text!r} is outside the dates pandas can hold ({FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d}): "
        "date left empty (NaT)"
    )
    return None


def _set_date(page: ParsedPage, date_text: str | None) -> None:
    page.date_text = _blank_to_none(date_text)
    if page.date_text is None:
        page.warnings.append("no date found: the date header is empty")
        return
    parsed = parse_date(page.date_text)
    if parsed is None:
        page.warnings.append(f"unparseable date {page.date_text!r}: date left empty (NaT); fix the header or pass a table")
    page.date = storable_date(parsed, page.date_text, page.warnings)


def _parse_procuratorate(lines: list[str], time_index: int, match: re.Match[str]) -> ParsedPage:
    page = ParsedPage("procuratorate", author=_blank_to_none(match["author"]), source=_blank_to_none(match["source"]))
    _set_date(page, match["date"])
    header = [line for line in lines[:time_index] if line]
    trail: list[str] = []
    if header and (crumb := _BREADCRUMB.match(header[0])):
        trail = [clean_line(part) for part in re.split(r"\s*>+\s*", crumb["trail"]) if clean_line(part)]
        header = header[1:]
    if header:
        page.title = header[-1]
    else:
        page.warnings.append("no title line above the 'Time:' line")
    if len(header) >= 2:
        page.section = header[-2]
    elif len(trail) > 1:
        page.section = trail[-1]
        page.warnings.append("no section line: section taken from the breadcrumb")
    else:
        page.warnings.append("no section line")
    if len(header) > 2:
        page.warnings.append(f"extra header lines before the title ignored: {' | '.join(header[:-2])}")
    page.paragraphs, page.credits = split_credits(lines[time_index + 1:])
    return page


def _parse_repost(lines: list[str]) -> ParsedPage:
    page = ParsedPage("repost")
    page.title = next(line for line in lines if line)
    meta: dict[str, str] = {}
    body_start = len(lines)
    for index, line in enumerate(lines):
        if not line or line == page.title or _SUMMARY.match(line):
            continue
        if meta_match := _REPOST_META.match(line):
            meta.setdefault(meta_match["key"].lower(), meta_match["value"])
            continue
        body_start = index
        break
    page.section = _blank_to_none(meta.get("categories") or meta.get("category"))
    page.author = _blank_to_none(meta.get("author"))
    page.source = _blank_to_none(meta.get("origin") or meta.get("source"))
    _set_date(page, meta.get("time of issue") or meta.get("release time"))
    body = lines[body_start:]
    footer = next((i for i, line in enumerate(body) if _FOOTER_START.match(line)), len(body))
    page.paragraphs, page.credits = split_credits(body[:footer])
    return page


def _parse_plain(lines: list[str]) -> ParsedPage:
    page = ParsedPage("plain")
    content = [line for line in lines if line]
    page.title = content[0]
    page.paragraphs, page.credits = split_credits(content[1:])
    page.warnings.append(
        "unknown layout: no 'Time: … Author: …' or '- Time of issue:' header; title taken from the first line, no date"
    )
    return page


def parse_page(text: str) -> ParsedPage:
    """Parse the text of one scraped page into a :class:`ParsedPage`.

    Lines are cleaned with :func:`clean_line`; every non-empty line of the article becomes one
    paragraph. Cost: linear in the length of the text.

    Raises
    ------
    EmptyPageError
        Nothing visible is left after cleaning (e.g. only zero-width spaces).
    """
    lines = [clean_line(line) for line in text.splitlines()]
    if not any(lines):
        raise EmptyPageError("the page holds no text")
    nonempty = [i for i, line in enumerate(lines) if line][:_HEADER_SCAN_LINES]
    for index in nonempty:
        if match := _TIME_LINE.match(lines[index]):
            if match["author"] is not None or match["source"] is not None or parse_date(match["date"]):
                return _parse_procuratorate(lines, index, match)
    if any(_REPOST_META.match(lines[i]) for i in nonempty):
        return _parse_repost(lines)
    return _parse_plain(lines)
