"""Recognise a scraped page's family and split it into metadata, article paragraphs, credits and chrome.

Three families are known:

``procuratorate``
    Procuratorate site pages, in English (machine translation) or Chinese, simplified or traditional:
    optional breadcrumb (``Current location: home page >> Party building``, ``当前位置：首页 >> 党风廉政``,
    ``當前位置:首頁>栏目``, ``首页 > A > B``, ``Position: Home > …``), an optional section line, a title line,
    then a header line of labelled fields — ``Time: August 21, 2018 Author: … News source: … [Font size: …``,
    ``时间：2022-02-08 作者：张三 新闻来源：市检察院 【字号：大 中 小】``, ``發布日期：…``, ``Release time: …``,
    ``Source:… Date:2022-07-14 14:55:12 【Fonts:Small Big`` — or a date alone on its line
    (``2020年12月16日``, ``2020-12-16 10:20``).
``repost``
    Repost pages: a title, then ``- Categories:``, ``- Author:``, ``- Origin:``, ``- Time of issue:``,
    ``- Views:`` lines and a ``(Summary description)`` block, both repeated, then the article and
    footer chrome (QR prompt, related items, ``OFFICIAL ACCOUNTS``, copyright and licence lines).
``plain``
    Anything else: title = first non-empty line, no date, and a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["EmptyPageError", "ParsedPage", "parse_page", "parse_date", "storable_date", "clean_line", "clean_lines", "split_credits", "LAYOUTS", "UNKNOWN_LAYOUT",
           "FIRST_DATE", "LAST_DATE", "header_fields", "header_credit", "breadcrumb_trail"]

LAYOUTS = ("procuratorate", "repost", "plain", "table")
#: How a ``plain`` page's warning starts: no header of a known family was found.
UNKNOWN_LAYOUT = "unknown layout: no 'Time: … Author: …' or '- Time of issue:' header"

#: The spaces :func:`clean_line` folds: a run of them becomes one plain space.
SPACE_CHARACTERS = " \t\u00a0\u2002\u2003\u2009\u3000\u200b\ufeff"
#: A run of :data:`SPACE_CHARACTERS` that is not already one plain space (a lone space needs no rewriting: matching
#: only the other runs makes :func:`clean_line` 2.3 times faster on English text, with the same result).
_SPACES = re.compile(f" [{SPACE_CHARACTERS}]+|[{SPACE_CHARACTERS[1:]}][{SPACE_CHARACTERS}]*")
_HEADER_SCAN_LINES = 30  # a labelled header line is looked for this far (site chrome can fill the top of a page)
_DATE_SCAN_LINES = 12  # a date alone on its line only this far: further down it is more likely part of the article

_BREADCRUMB = re.compile(
    r"^(?:(?:current\s+(?:location|position)|location|position|you are here|当前位置|當前位置|您的位置|您現在的位置|"
    r"您现在的位置|所在位置)\s*[:：]\s*(?P<trail>.+)|(?P<bare>(?:首页|首頁|home(?:\s*page)?)\s*(?:>>|>|»|＞|›|→).+))$",
    re.I,
)
_TRAIL_SEPARATOR = re.compile(r"\s*(?:>>|>|»|＞|›|→)+\s*")
_HOME = re.compile(r"^(?:首页|首頁|home(?:\s*page)?|网站首页|網站首頁)$", re.I)
#: Labels of a page's header fields, English and Chinese (simplified and traditional), by the field they fill.
_HEADER_LABELS = {
    "date": r"发布时间|發布時間|發佈時間|发布日期|發布日期|發佈日期|发稿时间|更新时间|时间|時間|日期|"
            r"release\s+time|publish(?:ed|ing)?\s+time|time\s+of\s+issue|time|date",
    "author": r"作者|撰稿|author",
    "source": r"新闻来源|新聞來源|信息来源|資訊來源|文章来源|文章來源|来源|來源|出处|news\s+source|source|origin",
    "views": r"浏览次数|瀏覽次數|浏览量|瀏覽量|点击数|點擊數|点击量|點擊量|阅读次数|閱讀次數|阅读量|閱讀量|访问量|"
             r"点击|點擊|浏览|瀏覽|阅读|閱讀|views|clicks|hits",
    "editor": r"责任编辑|責任編輯|责编|責編|编辑|編輯|editor",
    "font": r"字号|字號|字体|字體|font\s*size|fonts?",
}
_HEADER_LABEL = re.compile(
    r"[【\[]?\s*(?:" + "|".join(f"(?P<{field}>{labels})" for field, labels in _HEADER_LABELS.items()) + r")\s*[:：]", re.I
)
#: A line of header fields laid out one per line is at most this long (an article's first sentence is longer).
_FIELD_LINE_CHARS = 60
_DATE_ALONE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
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
    r"(?:print|close|share)(?: this page| window| to)?\s*\]?|\[\s*(?:print|close)[^\]]{0,20}\]|"
    # Chinese page chrome: print/close widgets, previous/next links, QR prompts, copyright, ICP and police licences
    r"(?:[【\[]\s*(?:打印本页|打印本頁|打印|关闭窗口|關閉窗口|关闭|關閉|返回顶部|返回頂部|收藏本页|加入收藏|分享到?)\s*[】\]]\s*)+|"
    r"(?:上一篇|下一篇|上一条|下一条|上一條|下一條|上一页|下一页)\s*[:：].{0,200}|"
    r"扫一扫.{0,40}|掃一掃.{0,40}|分享到[:：]?.{0,40}|"
    r".{0,80}(?:版权所有|版權所有|主办单位|主辦單位|承办单位|技术支持|技術支持).{0,120}|"
    r"(?:主办|主辦|承办|承辦)\s*[:：].{0,80}(?:地址|邮编|郵編|电话|電話|版权|版權|ICP).{0,120}|"
    r".{0,80}ICP\s*[备備证證].{0,60}|.{0,40}公网安备.{0,60}|.{0,20}网站标识码.{0,40}|"
    r"(?:浏览次数|瀏覽次數|点击数|點擊數|阅读次数|閱讀次數)\s*[:：]\s*\d*)$",
    re.I,
)
_CREDIT_LINE = re.compile(
    r"^(?:\(?\s*(?:responsible editor|executive editor|chief editor|editors?|planning\s*/\s*review|planning|"
    r"review(?:er)?s?|proofread(?:ing|ers?)|pictures?|photos?|photography|photographers?|text|reporters?|"
    r"correspondents?|typesetting|layout|producers?|contributors?)\s*[:：].{0,150}|"
    r"\(\s*(?:reporters?|correspondents?|responsible editors?|editors?)\b.{0,200}\)|"
    r"(?:new media )?produced by .{0,120}|"
    r"[\"“]?[\w' .]{2,60}[\"”]?\s*\(\s*\w+ \d{1,2}, \d{4}.{0,40}edition\s*\)|"
    # Chinese credits: 责任编辑、编辑、审核、校对、摄影、记者、通讯员 …, alone or in brackets
    r"[（(【\[]?\s*(?:责任编辑|責任編輯|责编|責編|编辑|編輯|审核|審核|初审|初審|复审|複審|终审|終審|校对|校對|"
    r"摄影|攝影|图片|圖片|文字|记者|記者|通讯员|通訊員|撰稿人|供稿|编审|編審)\s*[:：].{0,150})$",
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


def clean_lines(text: str) -> list[str]:
    """:func:`clean_line` of each line of ``text`` (``str.splitlines``), in one pass: no line break is a space."""
    return [line.strip() for line in _SPACES.sub(" ", text).splitlines()]


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


def header_fields(line: str) -> dict[str, str | None] | None:
    """The labelled fields of a page's header line, or ``None`` when ``line`` is not one.

    A header line starts with a known label (:data:`_HEADER_LABELS`: ``Time:``, ``时间：``, ``發布日期:``,
    ``Source:`` …) and holds a date, an author or a source; a date alone on its line (``2020年12月16日``,
    ``2020-12-16 10:20``) counts too. Returns ``{"date": …, "author": …, "source": …}`` (missing fields None).
    The font-size widget (``【字号：大 中 小】``, ``[Font size: …``) and view counters (``点击：``) are dropped; an
    editor (``責任編輯：…``) ends the field before it (:func:`header_credit` keeps it).
    """
    if _DATE_ALONE.match(line):
        return {"date": line, "author": None, "source": None}
    if not _HEADER_LABEL.match(line):  # most lines: one anchored attempt, not a scan of the whole line
        return None
    labels, fields = _labelled_values(line)
    if labels[0].lastgroup not in ("date", "author", "source"):
        return None
    has_date = fields["date"] is not None and parse_date(fields["date"]) is not None
    if not has_date and fields["author"] is None and fields["source"] is None:
        return None
    if labels[0].lastgroup == "source" and fields["date"] is None and len(labels) == 1:
        return None  # "Source: Xinhua" alone is a credit line, not a page header
    return fields


def _labelled_values(line: str) -> tuple[list[re.Match], dict[str, str | None]]:
    """The labels of a line that starts with one (:data:`_HEADER_LABEL`) and the date, author and source they give
    (None where missing); the font-size widget ends the fields."""
    labels = list(_HEADER_LABEL.finditer(line))
    fields: dict[str, str | None] = {"date": None, "author": None, "source": None}
    for index, label in enumerate(labels):
        field = label.lastgroup
        end = labels[index + 1].start() if index + 1 < len(labels) else len(line)
        if field == "font":
            break
        value = line[label.end():end].strip(" 【】[]|()（）\t")
        if field in fields and fields[field] is None:
            fields[field] = value
    return labels, fields


def _field_line(line: str) -> dict[str, str | None] | None:
    """The fields of a short line holding header fields only (``来源：本院``, ``Author: Zhang``, ``浏览次数：12``), as
    a page lays them out one per line: None for any other line, an article's first sentence included."""
    if len(line) > _FIELD_LINE_CHARS or not _HEADER_LABEL.match(line):
        return None
    labels, fields = _labelled_values(line)
    if labels[0].lastgroup not in ("date", "author", "source", "views"):
        return None
    if fields["date"] is not None and parse_date(fields["date"]) is None:
        return None  # "Time: to act, comrades" is prose
    return fields


def _merge_field_lines(lines: list[str], indexes: Iterable[int], fields: dict[str, str | None]) -> list[int]:
    """Fill the missing ``fields`` from the lines at ``indexes`` (in order, blank lines skipped) as long as each is a
    :func:`_field_line`; the indexes of the lines taken."""
    taken = []
    for index in indexes:
        if not lines[index]:
            continue
        found = _field_line(lines[index])
        if found is None:
            break
        for name, value in found.items():
            if fields[name] is None and value:
                fields[name] = value
        taken.append(index)
    return taken


_HEADER_CREDIT = re.compile(r"(?:责任编辑|責任編輯|责编|責編|编辑|編輯|editor)\s*[:：]\s*([^【\[|]*)", re.I)


def header_credit(line: str) -> str | None:
    """The editor named in a header line (``時間:2025-03-31 來源:檢察日報 責任編輯:敖婷婷`` → ``責任編輯:敖婷婷``),
    for the page's credits; None when there is none."""
    match = _HEADER_CREDIT.search(line)
    return clean_line(match.group(0)) if match and clean_line(match.group(1)) else None


def _set_date(page: ParsedPage, date_text: str | None) -> None:
    page.date_text = _blank_to_none(date_text)
    if page.date_text is None:
        page.warnings.append("no date found: the date header is empty")
        return
    parsed = parse_date(page.date_text)
    if parsed is None:
        page.warnings.append(f"unparseable date {page.date_text!r}: date left empty (NaT); fix the header or pass a table")
    page.date = storable_date(parsed, page.date_text, page.warnings)


def breadcrumb_trail(line: str) -> list[str] | None:
    """The parts of a breadcrumb line after the home page (``当前位置：首页 >> 党风廉政`` → ``["党风廉政"]``), or None."""
    crumb = _BREADCRUMB.match(line)
    if not crumb:
        return None
    parts = [clean_line(part) for part in _TRAIL_SEPARATOR.split(crumb["trail"] or crumb["bare"]) if clean_line(part)]
    return [part for part in parts if not _HOME.match(part)]


#: Steps of a breadcrumb that name the article, not its category.
_ARTICLE_STEPS = re.compile(r"^(?:正文|内容|內容|详情|詳情|文章|content|text|article|detail)$", re.I)
#: A menu bar: three or more short items separated by bars (首页 | 机构设置 | 检务公开, Home | News | Work).
_MENU_BAR = re.compile(r"^(?:[^|]{0,20}\|){2,}[^|]{0,20}$")
#: A line of site navigation: a menu with bars (登录 | 注册), or four or more short items separated by spaces.
_NAVIGATION = re.compile(rf"{_MENU_BAR.pattern}|^(?:\S{{1,6}}\s+){{3,}}\S{{1,6}}$")
#: A subtitle line (——基于…, -- based on …): part of the title above it.
_SUBTITLE = re.compile(r"^(?:——|--|—)")


def _title_lines(header: list[str]) -> list[str]:
    """Header lines with each subtitle (a line starting with ——) joined to the line above it."""
    joined: list[str] = []
    for line in header:
        if joined and _SUBTITLE.match(line):
            joined[-1] += line
        else:
            joined.append(line)
    return joined


def _parse_procuratorate(lines: list[str], time_index: int, fields: dict[str, str | None]) -> ParsedPage:
    fields = dict(fields)  # fields on lines of their own, just above or below the header line, join it
    above = _merge_field_lines(lines, range(time_index - 1, -1, -1), fields)
    below = _merge_field_lines(lines, range(time_index + 1, len(lines)), fields)
    page = ParsedPage("procuratorate", author=_blank_to_none(fields["author"]), source=_blank_to_none(fields["source"]))
    _set_date(page, fields["date"])
    header = [line for line in lines[:min(above, default=time_index)] if line]
    trail: list[str] = []
    crumb_at = max((index for index, line in enumerate(header) if breadcrumb_trail(line) is not None), default=None)
    if crumb_at is not None:  # what stands above the breadcrumb is site chrome (menus, today's date)
        trail = [""] + breadcrumb_trail(header[crumb_at])  # the home page, dropped, still counts as a step
        trail = [step for step in trail if not _ARTICLE_STEPS.match(step)]
        header = header[crumb_at + 1:]
    header = _title_lines(header)
    if header:
        page.title = header[-1]
    else:
        page.warnings.append("no title line above the header ('Time:' / '时间：') line")
    if len(header) >= 2 and not _NAVIGATION.match(header[-2]):
        page.section = header[-2]
    elif len(trail) > 1:
        page.section = trail[-1]  # the site's own category: the breadcrumb's last step
    else:
        page.warnings.append("no section line")
    ignored = header[:-2] if page.section == (header[-2] if len(header) >= 2 else None) else header[:-1]
    if ignored:
        page.warnings.append(f"extra header lines before the title ignored: {' | '.join(ignored)}")
    page.paragraphs, page.credits = split_credits(lines[max(below, default=time_index) + 1:])
    if credit := header_credit(lines[time_index]):
        page.credits.insert(0, credit)
    return page


def _parse_repost(lines: list[str], meta_at: int) -> ParsedPage:
    """A repost page whose first ``- Categories:``-style line is ``lines[meta_at]``: the title is the last line above
    it; lines above the title are the site's chrome (menus), ignored with a warning."""
    page = ParsedPage("repost")
    above = [index for index, line in enumerate(lines[:meta_at]) if line and not _SUMMARY.match(line)]
    title_at = above[-1] if above else next(index for index, line in enumerate(lines) if line)
    page.title = lines[title_at]
    if ignored := [line for line in lines[:title_at] if line]:
        page.warnings.append(f"extra header lines before the title ignored: {' | '.join(ignored)}")
    meta: dict[str, str] = {}
    body_start = len(lines)
    for index, line in enumerate(lines[title_at:], start=title_at):
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
    if len(content) > 1 and (crumbs := breadcrumb_trail(content[0])) is not None:  # a breadcrumb is never the title
        page.section = crumbs[-1] if crumbs else None
        content = content[1:]
    menus = 0
    while len(content) - menus > 1 and _MENU_BAR.match(content[menus]):  # a site's menu bar is never the title either
        menus += 1
    if menus:
        page.warnings.append(f"menu lines before the title ignored: {' | '.join(content[:menus])}")
    page.title = content[menus]
    page.paragraphs, page.credits = split_credits(content[menus + 1:])
    page.warnings.append(f"{UNKNOWN_LAYOUT}; title taken from the first line, no date")
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
    lines = clean_lines(text)
    if not any(lines):
        raise EmptyPageError("the page holds no text")
    nonempty = [i for i, line in enumerate(lines) if line][:_HEADER_SCAN_LINES]
    labelled, dated = [], []
    for position, index in enumerate(nonempty):
        if (fields := header_fields(lines[index])) is None:
            continue
        if not _DATE_ALONE.match(lines[index]):
            labelled.append((index, fields))
            break  # the first labelled header line is the one
        if position < _DATE_SCAN_LINES:
            dated.append((index, fields))
    repost_at = next((index for index in nonempty[:_DATE_SCAN_LINES] if _REPOST_META.match(lines[index])), None)
    chosen = labelled or dated  # a labelled header line wins over a date alone (often today's date in a menu)
    if repost_at is not None and (not chosen or repost_at < chosen[0][0]):
        return _parse_repost(lines, repost_at)
    if chosen:
        return _parse_procuratorate(lines, *chosen[0])
    return _parse_plain(lines)
