"""Chinese pages of the procuratorate sites' templates (simplified and traditional, UTF-8 and GB18030), and the
English pages of other templates: title, section, date, author and source found; chrome stripped; credits kept."""

from __future__ import annotations

import pandas as pd
import pytest

from corpus_utils import read_corpus
from corpus_utils.input.pages import breadcrumb_trail, header_fields, parse_page

BODY_HANS = "会议强调，要增强“四个意识”、坚定“四个自信”、做到“两个维护”。\n\n全体干警参加会议，深入学习党的二十大精神。"
BODY_HANT = "會議強調，要增強「四個意識」、堅定「四個自信」、做到「兩個維護」。\n\n全體幹警參加會議，深入學習黨的二十大精神。"
FOOTER_HANS = ("\n责任编辑：李四\n【打印本页】 【关闭窗口】\n上一篇：县检察院开展警示教育\n下一篇：市院召开党组会\n"
               "扫一扫在手机打开当前页\n版权所有：某市人民检察院 技术支持：某网络公司\n京ICP备05007567号 京公网安备11010502030143号\n")
FOOTER_HANT = "\n責任編輯：李四\n【打印本頁】 【關閉窗口】\n上一篇：縣檢察院開展警示教育\n掃一掃在手機打開當前頁\n版權所有：某市人民檢察院\n"

CASES = [
    pytest.param(
        "当前位置：首页 >> 党风廉政\n检察院召开党风廉政建设会议\n时间：2022-02-08 作者：张三 新闻来源：市检察院 【字号：大 中 小】\n"
        + BODY_HANS + FOOTER_HANS,
        dict(title="检察院召开党风廉政建设会议", section="党风廉政", date="2022-02-08", author="张三", source="市检察院",
             body=BODY_HANS, credits="责任编辑：李四"),
        id="hans-breadcrumb-full-header",
    ),
    pytest.param(
        "當前位置:首頁>黨風廉政\n黨風廉政\n檢察院召開黨風廉政建設會議\n時間:2017-08-03 作者: 新聞來源: 【字號: | |\n"
        + BODY_HANT + FOOTER_HANT,
        dict(title="檢察院召開黨風廉政建設會議", section="黨風廉政", date="2017-08-03", author=None, source=None,
             body=BODY_HANT, credits="責任編輯：李四"),
        id="hant-section-line-empty-fields",
    ),
    pytest.param(
        "首页 > 检察动态 > 队伍建设\n市院开展政法队伍教育整顿\n发布时间：2021-03-15 来源：市检察院 浏览次数：120\n" + BODY_HANS,
        dict(title="市院开展政法队伍教育整顿", section="队伍建设", date="2021-03-15", source="市检察院", body=BODY_HANS),
        id="hans-bare-trail-release-time-views",
    ),
    pytest.param(
        "您现在的位置：首页 » 检察要闻\n检察长讲党课\n2020年12月16日\n" + BODY_HANS,
        dict(title="检察长讲党课", section="检察要闻", date="2020-12-16", body=BODY_HANS),
        id="hans-date-alone",
    ),
    pytest.param(
        "当前位置：首页＞工作动态\n检察长讲党课\n2020-12-16 10:20\n" + BODY_HANS,
        dict(title="检察长讲党课", section="工作动态", date="2020-12-16", body=BODY_HANS),
        id="hans-date-and-time-alone",
    ),
    pytest.param(
        "當前位置：首頁 >> 檢察動態\n檢察院舉行憲法宣誓儀式\n發布日期：2019-12-04 來源：區檢察院\n" + BODY_HANT,
        dict(title="檢察院舉行憲法宣誓儀式", section="檢察動態", date="2019-12-04", source="區檢察院", body=BODY_HANT),
        id="hant-release-date-source",
    ),
    pytest.param(
        "Position: Home > Procuratorial news\nThe procuratorate held a meeting\nRelease time: 2020-01-23\n\n"
        "First real paragraph of the article.\n\nSecond real paragraph, with more words.",
        dict(title="The procuratorate held a meeting", section="Procuratorial news", date="2020-01-23",
             body="First real paragraph of the article.\n\nSecond real paragraph, with more words."),
        id="english-position-release-time",
    ),
    pytest.param(
        "The procuratorate held a meeting\nSource:Procuratorate Daily Date:2022-07-14 14:55:12 【Fonts:Small Big\n\n"
        "First real paragraph of the article.",
        dict(title="The procuratorate held a meeting", date="2022-07-14", source="Procuratorate Daily",
             body="First real paragraph of the article."),
        id="english-source-date-fonts",
    ),
    # forms seen on real pages of these sites: chrome, menus and today's date above the breadcrumb, a subtitle,
    # a trail ending in 正文, a navigation bar where a section line would be, a bare 点击 counter, an editor
    # in the header line
    pytest.param(
        "网站首页 | 机构设置 | 检务公开 | 联系我们\n2023-05-06\n星期六\n官方微信二维码\n"
        "当前位置：首页 >> 检察文化 >> 理论研讨 >> 正文\n新时代检察文化建设的路径\n——以某市两级检察院为样本\n"
        "时间：2019-11-22 09:30:15    作者：王五 赵六    来源：市检察院\n" + BODY_HANS,
        dict(title="新时代检察文化建设的路径——以某市两级检察院为样本", section="理论研讨", date="2019-11-22",
             author="王五 赵六", source="市检察院", body=BODY_HANS),
        id="hans-chrome-and-date-above-breadcrumb-subtitle",
    ),
    pytest.param(
        "检察 要闻 法治 评论 访谈 案例\n党务 政务 队务 检务 公开 服务\n\n基层检察院党建工作的几点思考\n\n"
        "发布时间:2018-04-02      来源: 县检察院    点击:\n\n" + BODY_HANS,
        dict(title="基层检察院党建工作的几点思考", section=None, date="2018-04-02", source="县检察院", body=BODY_HANS),
        id="hans-navigation-bars-bare-clicks",
    ),
    pytest.param(
        "檢察機關開展主題教育\n時間:2023-06-12 來源:檢察日報 責任編輯:陳七\n" + BODY_HANT,
        dict(title="檢察機關開展主題教育", date="2023-06-12", source="檢察日報", body=BODY_HANT, credits="責任編輯:陳七"),
        id="hant-editor-in-header",
    ),
]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("page, expected", CASES)
def test_chinese_and_other_template_pages(tmp_path, page, expected, encoding):
    (tmp_path / "page.txt").write_bytes(page.encode(encoding))
    corpus = read_corpus(tmp_path)
    row = corpus.documents.iloc[0]
    assert row["layout"] == "procuratorate"
    for column, value in expected.items():
        actual = row[column]
        if column == "date":
            assert actual == pd.Timestamp(value)
        else:
            assert (None if pd.isna(actual) else actual) == value, column
    assert corpus.report.files.loc[0, "status"] == "loaded"


def test_plain_pages_never_take_a_breadcrumb_as_title():
    page = parse_page("当前位置：首页 >> 通知公告\n关于开展检察开放日活动的通知\n各有关单位：现将有关事项通知如下。")
    assert page.layout == "plain" and page.title == "关于开展检察开放日活动的通知" and page.section == "通知公告"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("当前位置：首页 >> 党风廉政", ["党风廉政"]),
        ("當前位置:首頁>栏目", ["栏目"]),
        ("首页 > A > B", ["A", "B"]),
        ("Current location: home page >> Party building", ["Party building"]),
        ("检察院召开会议", None),
    ],
)
def test_breadcrumb_trails(line, expected):
    assert breadcrumb_trail(line) == expected


@pytest.mark.parametrize(
    ("line", "is_header"),
    [
        ("时间：2022-02-08 作者：张三 新闻来源：市检察院 【字号：大 中 小】", True),
        ("Time: to act, comrades", False),
        ("Source: Xinhua", False),
        ("作者：张三", True),
        ("时间就是生命，效率就是金钱。", False),
    ],
)
def test_header_lines(line, is_header):
    assert (header_fields(line) is not None) == is_header


def test_header_fields_laid_out_one_per_line_join_the_header():
    """Sites that list 时间, 来源, 作者 in a list or in separate boxes: one field per line, above or below the date."""
    page = parse_page("当前位置：首页 > 检察要闻\n检察长讲授专题党课\n作者：王五\n\n时间：2021-07-01\n来源：本院\n浏览次数：12\n"
                      "7月1日，检察长讲授专题党课。\n全院干警参加。")
    assert (page.layout, page.title, page.section, page.author, page.source) == ("procuratorate", "检察长讲授专题党课", "检察要闻", "王五", "本院")
    assert str(page.date.date()) == "2021-07-01" and page.paragraphs == ["7月1日，检察长讲授专题党课。", "全院干警参加。"]
    english = parse_page("Party building\nCounty procuratorate holds meeting\nTime: August 21, 2018\nAuthor: Zhang\n"
                         "Time: to act, comrades, the meeting said.")
    assert (english.author, english.paragraphs) == ("Zhang", ["Time: to act, comrades, the meeting said."])  # prose stays


def test_a_sites_sponsor_and_address_footer_is_chrome_but_a_sponsor_in_an_article_is_not():
    page = parse_page("某县检察院召开会议\n时间：2022-02-08 来源：市检察院\n会议召开。\n主办：某县人民检察院 地址：某县某路1号 邮编：100000")
    assert page.paragraphs == ["会议召开。"]
    notice = parse_page("检察开放日活动通知\n时间：2022-02-08\n活动定于3月举行。\n主办：某县人民检察院")
    assert notice.paragraphs == ["活动定于3月举行。", "主办：某县人民检察院"]
