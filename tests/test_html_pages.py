"""Pages saved as HTML load as their visible text: the same document as the page's text version, no markup, no script."""

from __future__ import annotations

import html

import pytest

from corpus_utils import read_corpus
from corpus_utils.core.paths import PROJECT_ROOT
from corpus_utils.input.markup import HTML_NOTE, looks_like_html, parse_html_page
from corpus_utils.input.pages import clean_lines, parse_page

SEED_PAGES = sorted((PROJECT_ROOT / "seeds").glob("*.txt")) + sorted((PROJECT_ROOT / "seeds_zh").glob("*.txt"))


def _as_html(text: str) -> str:
    """A page's text as a site would serve it: a head with a title, a style and a script, each line a block (some
    with inline markup splitting a sentence), every character escaped, a script and a no-script block in the body."""
    lines = [line for line in clean_lines(text) if line]
    blocks = []
    for number, line in enumerate(lines):
        escaped = html.escape(line)
        if number % 3 == 1 and " " in line:  # inline markup inside a line stays inside it
            first, rest = escaped.split(" ", 1)
            escaped = f"<b>{first}</b> <span class='x'>{rest}</span>"
        blocks.append(f"<p>{escaped}</p>" if number % 2 else f"<div class='row'>{escaped}</div>")
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Site title | Procuratorate</title>"
            "<style>p { margin: 0 }</style><script>var counted = 'never these words';</script></head>\n<body>\n"
            + "\n".join(blocks[:3]) + "<script>document.write('nor these')</script>\n" + "\n".join(blocks[3:])
            + "<noscript>Please enable JavaScript</noscript></body></html>")


@pytest.mark.parametrize("path", SEED_PAGES, ids=lambda path: path.name)
def test_a_seed_page_saved_as_html_gives_the_document_of_its_text(path):
    text = path.read_text(encoding="utf-8")
    assert not looks_like_html(text)
    from_text, from_html = parse_page(text), parse_html_page(_as_html(text))
    for field in ("layout", "title", "section", "date_text", "date", "author", "source", "paragraphs", "credits"):
        assert getattr(from_html, field) == getattr(from_text, field), field
    assert from_html.warnings == [HTML_NOTE, *from_text.warnings]
    words = " ".join(from_html.paragraphs)
    assert "never these words" not in words and "nor these" not in words and "enable JavaScript" not in words


@pytest.mark.parametrize("start", ["<!DOCTYPE html><html>", "<!doctype HTML>", "  <html lang='zh'>", "<?xml version='1.0' encoding='utf-8'?>\n<html>",
                                   "<!-- saved by a scraper -->\n<HTML>", "<div class='article'>", "<p>", "<meta charset=gbk>"])
def test_html_is_recognised_by_how_it_opens(start):
    assert looks_like_html(start + "Text</html>")


@pytest.mark.parametrize("text", ["Title\nTime: 2020-01-01\n<p>quoted markup in a text page</p>", "<Beijing> report", "< p> no tag",
                                  "<<Two safeguards>> in a translation", "<phrase> of the week"])
def test_a_text_page_mentioning_tags_is_not_html(text):
    assert not looks_like_html(text)


def test_a_page_of_no_known_family_takes_its_heading_as_title_and_drops_the_menus_above_it():
    page = parse_html_page(
        "<html><head><title>Procuratorate reviews work | City News</title></head><body>"
        "<ul><li>Home</li><li>About</li><li>News</li></ul><div>Current location: Home &gt;&gt; Clean government</div>"
        "<h1>Procuratorate reviews clean-government work</h1><p>The procuratorate <em>held</em> a meeting.</p>"
        "<p>Its &ldquo;two safeguards&rdquo; &amp; =SUM(A1) stay text.</p></body></html>")
    assert page.layout == "plain" and page.title == "Procuratorate reviews clean-government work"
    assert page.section == "Clean government"  # the breadcrumb among the dropped lines
    assert page.paragraphs == ["The procuratorate held a meeting.", "Its “two safeguards” & =SUM(A1) stay text."]
    assert page.warnings[0] == HTML_NOTE
    assert "title from the page's heading" in page.warnings[1] and "the 4 line(s) above it left out" in page.warnings[1]
    assert not any("title taken from the first line" in note for note in page.warnings)


def test_without_an_h1_the_title_element_names_the_page():
    page = parse_html_page("<html><head><title>Meeting notice</title></head><body><p>Menu</p><p>Meeting notice</p><p>Body.</p></body></html>")
    assert (page.title, page.paragraphs) == ("Meeting notice", ["Body."])


def test_html_files_load_with_a_note_and_one_without_text_is_skipped_with_its_reason(tmp_path):
    zh = (PROJECT_ROOT / "seeds_zh" / "zh_001.txt").read_text(encoding="utf-8")
    (tmp_path / "gbk.html").write_bytes(_as_html(zh).replace("utf-8", "gbk").encode("gb18030"))
    (tmp_path / "scripts_only.html").write_text("<html><head><script>var a = 1;</script></head><body> <!-- --> </body></html>",
                                               encoding="utf-8")
    (tmp_path / "text.html").write_text((PROJECT_ROOT / "seeds" / "000_1f366f896ced1d85.txt").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    corpus = read_corpus(tmp_path, pattern="*.html")
    report = corpus.report.files.set_index("path")
    assert report.loc["scripts_only.html", "status"] == "skipped"
    assert report.loc["scripts_only.html", "reason"] == "HTML page without visible text: only markup, scripts or styles"
    assert HTML_NOTE in report.loc["gbk.html", "warnings"] and "GB18030" in report.loc["gbk.html", "warnings"]
    assert HTML_NOTE not in str(report.loc["text.html", "warnings"])  # a text page named .html is read as text
    documents = corpus.documents.set_index("doc_id")
    expected = parse_page(zh)
    assert documents.loc["gbk", "title"] == expected.title and documents.loc["gbk", "body"] == "\n\n".join(expected.paragraphs)
    assert documents.loc["gbk", "layout"] == expected.layout == "procuratorate"


@pytest.mark.parametrize("path", SEED_PAGES, ids=lambda path: path.name)
def test_a_seed_page_inside_a_site_menu_and_footer_gives_the_same_document(path):
    text = path.read_text(encoding="utf-8")
    page = _as_html(text).replace("<body>", "<body><nav><a href='/'>Home</a> | <a href='/news'>News</a> | <a>Work</a></nav>")
    from_text, from_html = parse_page(text), parse_html_page(page)
    for field in ("layout", "title", "section", "date", "author", "source", "paragraphs", "credits"):
        assert getattr(from_html, field) == getattr(from_text, field), field


def test_table_bodies_stored_as_html_load_as_their_text(tmp_path):
    import pandas as pd

    table = pd.DataFrame({
        "doc_id": ["markup", "scripts", "angle", "plain"],
        "title": ["A", "B", "C", "D"],
        "body": ["<div><p>First <b>paragraph</b> here.</p><script>var never = 1;</script><p>Second&nbsp;one.</p></div>",
                 "<div><script>var only = 'code';</script></div>", "<Beijing> report on the meeting.", "Line one.\nLine two."],
    })
    table.to_csv(tmp_path / "pages.csv", index=False)
    corpus = read_corpus(tmp_path / "pages.csv")
    documents, report = corpus.documents.set_index("doc_id"), corpus.report.files.set_index("doc_id")
    assert documents.loc["markup", "body"] == "First paragraph here.\n\nSecond one."
    assert HTML_NOTE in report.loc["markup", "warnings"]
    assert (report.loc["scripts", "status"], report.loc["scripts", "reason"]) == ("skipped", "empty body: HTML without visible text")
    assert documents.loc["angle", "body"] == "<Beijing> report on the meeting." and pd.isna(report.loc["angle", "warnings"])
    assert documents.loc["plain", "body"] == "Line one.\n\nLine two."


def test_an_unordered_lists_bullets_are_not_text_and_a_numbered_lists_numbers_are():
    page = parse_html_page("<html><body><div>当前位置：首页 &gt; 检察要闻</div><h1>专题党课</h1><ul><li>时间：2021-07-01</li>"
                           "<li>来源：本院</li></ul><p>检察长讲授专题党课。</p><ol><li>第一项</li><li>第二项</li></ol>"
                           "<ul><li>要点</li></ul></body></html>")
    assert (page.layout, page.title, page.source, str(page.date.date())) == ("procuratorate", "专题党课", "本院", "2021-07-01")
    assert page.paragraphs == ["检察长讲授专题党课。", "1. 第一项", "2. 第二项", "要点"]


@pytest.mark.parametrize("title", ["县检察院召开党风廉政建设会议_某县人民检察院", "县检察院召开党风廉政建设会议 - 某县人民检察院",
                                   "县检察院召开党风廉政建设会议｜某县人民检察院", "县检察院召开党风廉政建设会议"])
def test_a_title_element_naming_the_site_after_the_article_finds_the_articles_line(title):
    page = parse_html_page(f"<html><head><title>{title}</title></head><body><div>网站首页</div><div>检察动态</div>"
                           "<div class='t'>县检察院召开党风廉政建设会议</div><p>会议召开。</p></body></html>")
    assert (page.title, page.paragraphs) == ("县检察院召开党风廉政建设会议", ["会议召开。"])
