"""The report's wording layer (issues 17, 13, 16): figures and tables numbered and referred to
in the text, 二级标题 numbered （一）, every section stating the same numbers in zh and en."""

from __future__ import annotations

import html as H
import re

import pytest
from support import DEMO

from mchanalysis import report
from mchanalysis.registry import load_registry
from mchanalysis.report.render import render_section, visible_sections


@pytest.fixture(scope="module")
def city():
    return {
        lang: report.build_context(
            DEMO, year=2024, region_code="990100", target_set="national_2030", lang=lang, figures=False
        )
        for lang in ("zh", "en")
    }


def _names():
    reg = load_registry()
    names = [n for c in ("name_zh", "name_en") for n in reg[c].dropna().astype(str)]
    return sorted(set(names), key=len, reverse=True)


def numbers(fragment: str) -> list[str]:
    """The numbers a fragment states, in order: headings (section numbering), indicator names
    (which carry ages, "0–6岁" / "aged 35–64") and the registry's definitions (registry text, in
    the methods section) left out, units written as numbers."""
    s = re.sub(r"<h[1-4]>.*?</h[1-4]>", "", fragment, flags=re.S)
    s = H.unescape(re.sub(r"<[^>]+>", " ", s))
    reg = load_registry()
    for d in [d for c in ("definition_zh", "definition_en") for d in reg[c].dropna().astype(str)]:
        s = s.replace(d, " ")
    for n in _names():
        s = s.replace(n, " ").replace(n.lower(), " ")
    s = s.replace("/10万", " 100000").replace("/万", " 10000").replace(",", "")
    return re.findall(r"\d+(?:\.\d+)?", s)


@pytest.mark.parametrize(
    "section",
    [
        "headline",
        "maternal_safety",
        "maternal_care",
        "child_care",
        "birth_defects",
        "women_health",
        "targets",
        "comparison",
        "quality",
        "problems",
        "methods",
    ],
)
def test_every_section_states_the_same_numbers_in_both_languages(city, section):
    assert section in visible_sections(city["zh"])
    zh, en = (numbers(render_section(city[lang], section)) for lang in ("zh", "en"))
    assert zh, section
    # the same facts in both languages; where a language orders a sentence differently
    # (English puts "in 2030" after the projected value) the multiset is compared, elsewhere
    # the order too
    assert sorted(zh) == sorted(en)
    if section not in WORD_ORDER_DIFFERS:
        assert zh == en


#: Sections whose sentences put the same numbers in a different order in English.
WORD_ORDER_DIFFERS = {"maternal_safety", "quality", "problems", "methods"}


def test_figures_and_tables_are_numbered_in_order_and_referred_to(city):
    ctx = city["zh"]
    ctx.figures = {
        n: {"png": b"x", "caption": f"图：{n}", "section": s}
        for n, s in (
            ("trend_mmr", "maternal_safety"),
            ("scorecard", "targets"),
            ("funnel_imr", "comparison"),
            ("small_multiples_imr", "comparison"),
        )
    }
    try:
        html = report.render_report(ctx)
    finally:
        ctx.figures = {}
    figs = re.findall(r'<figure data-figure="([^"]+)">.*?<figcaption>图(\d+)　', html, flags=re.S)
    assert [n for _, n in figs] == ["1", "2", "3", "4"]
    assert [f for f, _ in figs] == ["trend_mmr", "scorecard", "funnel_imr", "small_multiples_imr"]
    # each figure after the paragraph that first refers to it, and referred to by its number
    first = re.search(r"（见图1）|，详见图1", html).start()
    assert first < html.index('<figure data-figure="trend_mmr"')
    assert "图3、图4" in html
    assert html.index("见图2") < html.index('data-figure="scorecard"')
    caps = [int(n) for n in re.findall(r"<caption>表(\d+)　", html)]
    refs = [int(n) for n in re.findall(r"见表(\d+)", html)]
    assert caps == sorted(caps) and refs and set(refs) <= set(caps)
    assert "<!--ref:" not in html and "<!--num:" not in html
    # a reference to a figure that was not drawn says nothing
    assert "见图" not in report.render_report(ctx)


def test_every_table_title_of_the_word_file_is_numbered_alike_in_the_html(city):
    """A heading that only names the table below it (the 答卷's 主要指标) is that table's title
    in Word; the HTML numbers it too, so "详见表2" points at the same table in both."""
    import io

    from docx import Document

    from mchanalysis.report.docx import docx_bytes

    for lang in ("zh", "en"):
        html = report.render_brief(city[lang])
        doc = Document(io.BytesIO(docx_bytes(city[lang], html)))
        word = [p.text for p in doc.paragraphs if p.style.name == "Table Title"]
        shown = [
            re.sub(r"<[^>]+>", "", t)
            for t in re.findall(r"<(?:h[234]|caption)>((?:表|Table )\d[^<]*)<", html)
        ]
        assert word == shown and len(word) == 2, (lang, word, shown)


def test_a_reference_after_a_parenthesis_is_not_a_second_parenthesis():
    from mchanalysis.report.render import number_figures_and_tables, tabref

    html = (
        f"<p>未达标1项（产前筛查率）{tabref('scorecard')}。全部达标{tabref('scorecard')}。</p>"
        '<table data-table="scorecard" data-title="目标完成情况"></table>'
    )
    out = number_figures_and_tables(html, "zh")
    assert "未达标1项（产前筛查率），详见表1。" in out
    assert "全部达标（见表1）。" in out
    assert "）（见" not in out


def test_docx_numbers_match_the_html(city):
    import io

    from docx import Document

    from mchanalysis.report.docx import docx_bytes

    ctx = city["zh"]
    html = report.render_report(ctx)
    doc = Document(io.BytesIO(docx_bytes(ctx, html)))
    titles = [p.text for p in doc.paragraphs if p.style.name == "Table Title"]
    caps = re.findall(r"<caption>(表\d+)　([^<]*)</caption>", html)
    for label, title in caps:
        assert f"{label}　{H.unescape(title)}" in titles


def test_second_level_headings_are_numbered_like_gb9704(city):
    brief = report.render_brief(city["zh"])
    h3 = re.findall(r"<h3>([^<]+)</h3>", brief)
    assert h3[:2] == ["（一）母婴安全", "（二）孕产妇健康管理"]
    comp = render_section(city["zh"], "comparison")
    assert re.findall(r"<h3>([^<]+)</h3>", comp)[0].startswith("（一）")


def test_section_order_is_read_from_layout(city, monkeypatch):
    from mchanalysis.report import render

    order = ("headline", "methods", "maternal_safety")
    monkeypatch.setattr(render, "SECTION_IDS", order)
    html = report.render_report(city["zh"])
    ids = re.findall(r'<section class="(?:chapter|headline)" id="sec-([a-z_]+)"', html)
    assert ids == list(order)

    monkeypatch.undo()
    from mchanalysis.report.layout import load_layout

    assert render.SECTION_IDS == tuple(s["id"] for s in load_layout()["sections"])


def test_thresholds_come_from_the_code_constants(city):
    from mchanalysis.stats import BYAR_MIN_EVENTS

    ctx = city["zh"]
    assert ctx.rules["byar_min_events"] == BYAR_MIN_EVENTS
    saved = dict(ctx.rules)
    try:
        ctx.rules.update(byar_min_events=20, review_years=3, years_back=3)
        text = render_section(ctx, "methods") + render_section(ctx, "quality")
    finally:
        ctx.rules.clear()
        ctx.rules.update(saved)
    assert "少于20例" in text and "20例及以上" in text and "近3年" in text and "3年前" in text
    assert "10例" not in text and "近5年" not in text


def test_no_very_long_template_lines():
    from importlib import resources

    root = resources.files("mchanalysis.report").joinpath("templates")
    longest = max(
        len(line)
        for lang in ("zh", "en")
        for f in root.joinpath(lang).iterdir()
        if f.name.endswith(".j2")
        for line in f.read_text(encoding="utf-8").splitlines()
    )
    assert longest <= 650  # a paragraph of prose; the 1,787-character line of before is gone


def test_no_dangling_figure_numbers_when_figures_are_shown_apart(city):
    """The notebook shows figures as image outputs (figures=False): no "见图" and no "见、"."""
    ctx = city["zh"]
    ctx.figures = {
        n: {"png": b"x", "caption": f"图：{n}", "section": s}
        for n, s in (
            ("scorecard", "targets"),
            ("funnel_imr", "comparison"),
            ("small_multiples_imr", "comparison"),
        )
    }
    try:
        html = "".join(render_section(ctx, s, figures=False) for s in ("targets", "comparison"))
    finally:
        ctx.figures = {}
    assert "见图" not in html and "见、" not in html and "分别见" not in html


def test_numbering_finds_what_the_plain_patterns_find_across_embedded_images():
    # the patterns start with "<" and cross text with [^<]* (fast over base64 figures); the peer
    # is the plain form of each, ".*?" under re.S and an optional heading group first
    from mchanalysis.report import render

    payload = "iVBORw0KGgo" + "A/b+9=" * 20000
    html = (
        f'<h2>主要指标</h2>\n  <table data-table="a"><tr><td>1</td></tr></table>'
        f'<figure data-figure="mmr"><img src="data:image/png;base64,{payload}"><figcaption>图：孕产妇死亡率</figcaption></figure>'
        f'<h3>无表</h3><p>正文</p><table data-title="服务指标"></table><h4>x</h4><table></table>'
        f'<figure data-figure="bare"><img src="data:image/png;base64,{payload}"></figure>'
        f'<figure data-figure="imr"><figcaption>婴儿死亡率</figcaption></figure>'
    )
    plain_fig = re.compile(
        r'(<figure data-figure="([^"]+)">.*?<figcaption>)(?:图[：:]\s*|Figure[:.]?\s*)?', re.S
    )
    plain_tab = re.compile(
        r"(?P<head><(?P<h>h[234])>(?P<name>[^<]*)</(?P=h)>(?P<gap>\s*))?(?P<table><table\b[^>]*>)"
    )
    assert [(m.span(), m.groups()) for m in render._FIGURE.finditer(html)] == [
        (m.span(), m.groups()) for m in plain_fig.finditer(html)
    ]
    got = [(m.span(), m.group("h"), m.group("name"), m.group("gap")) for m in render._TABLE.finditer(html)]
    want = [(m.span(), m.group("h"), m.group("name"), m.group("gap")) for m in plain_tab.finditer(html)]
    assert got == want and len(got) == 3
    out = render.number_figures_and_tables(html, "zh")
    assert "<h2>表1　主要指标</h2>\n  <table" in out
    assert "<figcaption>图1　孕产妇死亡率" in out and "<caption>表2　服务指标</caption>" in out
    assert "<h4>表3　x</h4><table>" in out
