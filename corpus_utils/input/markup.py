"""Pages saved as HTML: their visible text, laid out in lines as a browser shows it, for the page families.

A scraper that keeps the whole page (``*.html``) gives markup, not text: read as text, its tags, scripts and
styles would be counted as words. :func:`parse_html_page` takes the text with inscriptis (which lays HTML out as a
browser would: a block element starts a line, inline markup stays inside its sentence, ``<br>`` breaks the line;
scripts, styles, ``<noscript>``, ``<template>`` and the ``<head>`` are not text), then parses it as any page (:func:`~corpus_utils.input.pages.parse_page`):
a procuratorate page saved as HTML gives the same breadcrumb, title, header line and body as its text version.
"""

from __future__ import annotations

import re

import lxml.html
from inscriptis import Inscriptis
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_document_state import HtmlDocumentState
from inscriptis.model.tag import CustomHtmlTagHandlerMapping
from inscriptis.model.tag.list_tag import li_start_handler
from lxml.etree import ParserError

from .pages import UNKNOWN_LAYOUT, EmptyPageError, ParsedPage, breadcrumb_trail, clean_line, clean_lines, parse_page

__all__ = ["HTML_NOTE", "looks_like_html", "html_text", "parse_html_page"]

#: The start of an HTML document or fragment: comments, an XML declaration, then a tag that only HTML opens with.
_HTML_START = re.compile(
    r"\A(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body|meta|title|div|article|section|main|p|table|h[1-6])[\s>/]",
    re.I | re.S,
)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")


def _list_item(state: HtmlDocumentState, tag: dict) -> None:
    """inscriptis' ``<li>`` handler, without the bullet of an unordered list: a browser draws it, it is not text (a
    numbered list's ``1.`` stays). Sets the element's ``list_bullet``: tested on inscriptis 2.7."""
    li_start_handler(state, tag)
    if not str(state.tags[-1].list_bullet)[:1].isdigit():
        state.tags[-1].list_bullet = ""


#: The layout of the text: no indentation (the "strict" profile), no image or link annotations, no list bullets.
_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_images=False, display_links=False,
                       custom_html_tag_handler_mapping=CustomHtmlTagHandlerMapping(start_tag_mapping={"li": _list_item}, end_tag_mapping={}))
#: The load-report note of every page, or table body, read from HTML.
HTML_NOTE = "HTML: text taken from its markup (inscriptis); scripts, styles, <noscript> and the <head> left out"


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is an HTML document or fragment: it opens (after spaces, comments and an XML
    declaration) with ``<!DOCTYPE html>``, ``<html>`` or a tag such as ``<head>``, ``<body>``, ``<div>``, ``<p>``."""
    return _HTML_START.match(text) is not None


def _tree(html: str) -> lxml.html.HtmlElement | None:
    html = _XML_DECLARATION.sub("", html, count=1).strip()  # lxml refuses a str that declares its encoding
    if not html:
        return None
    try:
        tree = lxml.html.document_fromstring(html)
    except ParserError:  # markup without any element lxml keeps (only comments)
        return None
    for hidden in tree.xpath("//noscript | //template"):  # not shown by a browser that runs scripts
        hidden.drop_tree()
    return tree


def _heading(tree: lxml.html.HtmlElement) -> str | None:
    """The page's own title: its first non-empty ``<h1>``, else its ``<title>`` (spaces folded)."""
    for path in ("//body//h1", "//title"):
        for element in tree.xpath(path):
            text = clean_line(" ".join(element.text_content().split()))
            if text:
                return text
    return None


def html_text(html: str) -> tuple[str, str | None]:
    """The visible text of ``html`` in lines (empty when there is none) and its heading (:func:`_heading`)."""
    tree = _tree(html)
    if tree is None:
        return "", None
    return Inscriptis(tree, _CONFIG).get_text(), _heading(tree)


#: A ``<title>`` that adds the site's name after the article's: ``标题_某县人民检察院``, ``Title - Site``, ``Title | Site``.
_SITE_NAME_AFTER = re.compile(r"^(.+?)\s*(?:_|｜|——|\s[-–—|]\s)\s*[^_｜|]+$")


def _from_heading(text: str, heading: str, page: ParsedPage) -> ParsedPage:
    """A page of no known family parsed again from its heading on, when the heading (or a ``<title>`` without the
    site's name after it, :data:`_SITE_NAME_AFTER`) is one of its lines below the first: the lines above it (a site's
    menus) are left out and counted in a warning; a breadcrumb among them still gives the section."""
    lines = [line for line in clean_lines(text) if line]
    names = {heading, *(match.group(1) for match in [_SITE_NAME_AFTER.match(heading)] if match)}
    at = next((index for index, line in enumerate(lines) if line in names), 0)
    if at == 0:
        return page
    reparsed = parse_page("\n".join(lines[at:]))
    trails = [trail for line in lines[:at] if (trail := breadcrumb_trail(line))]
    if reparsed.section is None and trails:
        reparsed.section = trails[-1][-1]
    reparsed.warnings = [note for note in reparsed.warnings if not note.startswith(UNKNOWN_LAYOUT)]
    reparsed.warnings.append(f"{UNKNOWN_LAYOUT}; title from the page's heading (<h1>, else <title>), no date; the {at} line(s) "
                             "above it left out as the site's menus")
    return reparsed


def parse_html_page(html: str) -> ParsedPage:
    """Parse an HTML page: its text (:func:`html_text`) as :func:`~corpus_utils.input.pages.parse_page` parses a
    text page, with :data:`HTML_NOTE` among its warnings. A page of no known family takes its title from its
    heading (first ``<h1>``, else ``<title>``) rather than its first line, which is usually a menu.

    Raises
    ------
    EmptyPageError
        The markup holds no visible text.
    """
    text, heading = html_text(html)
    if not text.strip():
        raise EmptyPageError("the HTML page holds no visible text")
    page = parse_page(text)
    if page.layout == "plain" and heading:
        page = _from_heading(text, heading, page)
    page.warnings.insert(0, HTML_NOTE)
    return page
