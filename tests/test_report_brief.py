"""The 答卷 (report.html / report.docx): short, plain, in the bureaus' register; the bureau's text.

Issue 10 "Must show": the 宝鸡市 2022 figures as the seed writes them, a narrative file's
sentences in the right places (escaped), the wording rules, the length and structure.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from docx import Document
from support import counts_frame, county

from mchanalysis import report
from mchanalysis.errors import MchError
from mchanalysis.report import brief as br
from mchanalysis.report.bureau import load_narrative, parse_narrative
from mchanalysis.report.docx import docx_bytes

REPO = Path(__file__).resolve().parents[1]
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)

DATA = Path(__file__).parent / "data" / "report"


def text(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def docx_text(ctx) -> str:
    doc = Document(io.BytesIO(docx_bytes(ctx, report.render_brief(ctx))))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return re.sub(r"\s+", "", "".join(parts))


@pytest.fixture(scope="module")
def demo():
    from mchanalysis.analysis import load_analysis_data

    return load_analysis_data(DEMO)


@pytest.fixture(scope="module")
def county_ctx(demo):
    return report.build_context(demo, year=2024, region_code="990104", target_set="auto", figures=False)


@pytest.fixture(scope="module")
def city_ctx(demo):
    return report.build_context(demo, year=2024, region_code="990100", target_set="auto", figures=False)


# -- the seed's own figures ---------------------------------------------------------------------


def test_baoji_2022_dajuan_leads_with_the_seed_figures_in_html_and_docx():
    ctx = report.build_context(
        DATA / "baoji_2022.csv", year=2022, region_code="610300", target_set="auto", figures=False
    )
    html = text(report.render_brief(ctx))
    for phrase in ("早孕建册率达97.99%", "高危孕产妇管理率100%", "产后访视率98.69%"):
        assert phrase in html, phrase
    # the three in the seed's order, in one sentence
    assert "早孕建册率达97.99%，高危孕产妇管理率100%，产后访视率98.69%" in html
    doc = docx_text(ctx)
    for phrase in ("早孕建册率达97.99%", "高危孕产妇管理率100%", "产后访视率98.69%"):
        assert phrase in doc, phrase


# -- the bureau's own text ----------------------------------------------------------------------

NARRATIVE = """<!-- 示例 -->
## 导语
2024年，全县妇幼健康战线紧紧围绕卫生健康工作大局，各项工作取得显著成效。

## 工作亮点
- 举办各类培训班7期，培训业务人员1000余名。
- 对37家助产机构开展产科质量督导检查<script>alert(1)</script>。

## 重点工作
持续加强危重孕产妇救治中心标准化建设。

## 下一步
着力提高产前筛查率，落实母婴安全五项制度。

## 落款
临江县卫生健康局
2025年3月
"""


@pytest.fixture(scope="module")
def narrated(demo, tmp_path_factory):
    d = tmp_path_factory.mktemp("narrative")
    (d / "990104.md").write_text(NARRATIVE, encoding="utf-8")
    ctx = report.build_context(
        demo, year=2024, region_code="990104", target_set="auto", figures=False, narrative=str(d)
    )
    return ctx, report.render_brief(ctx)


def test_narrative_sentences_go_to_their_places_in_the_html(narrated):
    _, html = narrated
    t = text(html)
    pos = {
        k: t.index(v)
        for k, v in {
            "lead": "全县妇幼健康战线紧紧围绕",
            "keybox": "主要指标",
            "work_h": "一、主要工作",
            "training": "举办各类培训班7期",
            "center": "持续加强危重孕产妇救治中心",
            "results": "二、工作成效",
            "problems": "四、存在问题与下一步",
            "next": "着力提高产前筛查率",
            "note": "说明：",
            "signature": "临江县卫生健康局2025年3月",
        }.items()
    }
    order = [
        "lead",
        "keybox",
        "work_h",
        "training",
        "center",
        "results",
        "problems",
        "next",
        "note",
        "signature",
    ]
    assert [pos[k] for k in order] == sorted(pos[k] for k in order)
    # the data's own opening and 下一步 sentences give way to the bureau's
    assert "逐项分析原因、明确措施" not in t
    assert "2024年，全县活产" not in t
    assert '<p class="signature">临江县卫生健康局</p>' in html


def test_narrative_html_is_escaped(narrated):
    _, html = narrated
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_narrative_sentences_are_in_the_docx_in_the_same_order(narrated):
    ctx, _ = narrated
    doc = docx_text(ctx)
    keys = [
        "全县妇幼健康战线紧紧围绕",
        "举办各类培训班7期",
        "<script>alert(1)</script>",
        "持续加强危重孕产妇救治中心",
        "着力提高产前筛查率",
        "临江县卫生健康局",
    ]
    where = [doc.index(k) for k in keys]
    assert where == sorted(where)


def test_no_narrative_file_gives_a_complete_dajuan_without_those_sections(county_ctx, tmp_path):
    assert load_narrative(str(tmp_path), "990104")["highlights"] == []
    t = text(report.render_brief(county_ctx))
    assert "主要工作" not in t
    assert "一、工作成效" in t and "三、存在问题与下一步" in t and "下一步，全县将" in t


def test_unknown_narrative_heading_names_file_and_line(tmp_path):
    p = tmp_path / "990104.md"
    p.write_text("## 工作亮点\n好。\n\n## 工作总结\n好。\n", encoding="utf-8")
    with pytest.raises(MchError, match=r"990104\.md, row 4: unknown section heading '工作总结'"):
        load_narrative(str(tmp_path), "990104")
    with pytest.raises(MchError, match="row 1: text before the first section heading"):
        parse_narrative("开头没有标题\n## 导语\n好。")
    with pytest.raises(MchError, match="not found"):
        load_narrative(str(tmp_path / "missing.md"), "990104")


# -- wording rules ------------------------------------------------------------------------------


def test_a_large_non_significant_change_is_not_basically_unchanged_in_the_dajuan():
    # MMR 20.13 -> 4.77/10万 (−76%), 4 -> 1 deaths: not significant, not small
    rows = [
        county(2023, live_births=19870, maternal_deaths=4),
        county(2024, live_births=20960, maternal_deaths=1),
    ]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    ch = ctx.facts["mmr"]["change1"]
    assert ch["verdict"] == "no_significant_change" and ch["direction"] == "ns_fall"
    t = text(report.render_brief(ctx))
    mmr = t[t.index("孕产妇死亡率为") :].split("。")[0]
    assert "基本持平" not in mmr and "下降" not in mmr and "上升" not in mmr
    assert "有所下降，但差异无统计学意义" in text(
        report.render_section(ctx, "maternal_safety", figures=False)
    )


def test_zero_deaths_meet_a_lower_is_better_target():
    rows = [county(y, live_births=4000, maternal_deaths=0) for y in (2023, 2024)]
    ctx = report.build_context(
        counts_frame(rows), year=2024, region_code="420102", target_set="national_2030", figures=False
    )
    row = ctx.scorecard.set_index("indicator").loc["mmr"]
    assert row["status"] == "met"
    t = text(report.render_brief(ctx))
    assert "全年无孕产妇死亡" in t and "孕产妇死亡率≤12/10万（2030年）0/10万提前达标" in t
    # the technical report's headline uses the same rule: no 尚难判定 for zero deaths
    head = text(report.render_section(ctx, "headline", figures=False))
    assert "尚难判定" not in head and "✓达标" in head


def test_without_problems_the_next_steps_do_not_refer_to_problems_above():
    # no missed target, no gap, no adverse change: "针对上述问题" would point at nothing
    rows = [county(y, live_births=4000, maternal_deaths=0, infant_deaths=8) for y in (2023, 2024)]
    for lang, none, above in (
        ("zh", "未发现明显短板", "上述问题"),
        ("en", "nomarkedweakness", "problemabove"),  # text() drops the spaces
    ):
        ctx = report.build_context(
            counts_frame(rows),
            year=2024,
            region_code="420102",
            target_set="national_2030",
            figures=False,
            lang=lang,
        )
        t = text(report.render_brief(ctx))
        assert none in t and above not in t, lang
    # with a problem, the sentence still points at the list
    rows[1]["infant_deaths"] = 40
    ctx = report.build_context(
        counts_frame(rows), year=2024, region_code="420102", target_set="national_2030", figures=False
    )
    assert "针对上述问题" in text(report.render_brief(ctx))


def test_2024_is_scored_on_the_2025_milestones_with_the_2030_targets_beside(county_ctx):
    assert county_ctx.target_set["name"] == "national_2025"
    assert county_ctx.target_set["how"] == "auto"
    t = text(report.render_brief(county_ctx))
    assert "提出的2025年阶段目标" in t and "目标值按报告年份选用2025年阶段目标" in t
    assert "≤5.2‰（2025年）" in t and "≤5‰（2030年）" in t
    assert "《母婴安全行动提升计划（2021—2025年）》" in t


def test_2026_is_scored_on_the_2030_set(demo):
    from mchanalysis.targets import resolve_target_set

    assert resolve_target_set("auto", 2026)[0] == "national_2030"


@pytest.mark.parametrize("which", ["county_ctx", "city_ctx"])
def test_no_ascii_words_in_the_chinese_dajuan(which, request):
    t = text(report.render_brief(request.getfixturevalue(which)))
    assert not re.findall(r"[A-Za-z]{2,}", t), re.findall(r".{8}[A-Za-z]{2,}.{8}", t)


@pytest.mark.parametrize("which", ["county_ctx", "city_ctx"])
def test_no_statistics_jargon_in_the_dajuan(which, request):
    t = text(report.render_brief(request.getfixturevalue(which)))
    for word in ("置信区间", "APC", "Joinpoint", "统计学意义", "尚难判定", "P值", "≈"):
        assert word not in t, word
    assert not re.search(r"\d（\d+–\d+）", t)  # no rank intervals "1（1–5）"


def test_national_mortality_is_context_and_printed_as_published(county_ctx):
    f = county_ctx.facts["imr"]
    assert f["national"]["verdict"] is None and f["national"]["context_only"]
    assert re.fullmatch(r"\d+\.\d‰", f["national"]["text"])  # 4.0‰, not 4.00‰ or 4‰
    t = text(report.render_brief(county_ctx))
    assert f"全国{f['national']['year']}年为{f['national']['text']}" in t


# -- problems by size and relevance ---------------------------------------------------------------


def test_problems_rank_missed_targets_first_then_national_gaps(county_ctx):
    probs = br.problems(county_ctx)
    kinds = [p["kind"] for p in probs]
    assert kinds[0] == "target"
    assert kinds == sorted(
        kinds, key=lambda k: ["target", "national", "subregions", "change", "parent"].index(k)
    )
    assert len(probs) <= br.MAX_PROBLEMS


def test_a_significant_rise_of_the_caesarean_rate_is_a_problem():
    rows = [
        county(2023, live_births=20000, cesarean_deliveries=6000),
        county(2024, live_births=20000, cesarean_deliveries=7800),
    ]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    probs = br.problems(ctx)
    assert any(p["kind"] == "change" and p["name"] == "剖宫产率" for p in probs)
    t = text(report.render_brief(ctx))
    assert "剖宫产率由上年的30.00%上升至39.00%" in t


def test_a_significant_rise_from_zero_deaths_is_a_problem_and_is_worded():
    # a rate from 0 has no relative change: its change is told in the rate's unit ("4.71‰"),
    # found by tests/test_shapes.py (a county with 0 infant deaths one year, 7 the next)
    rows = [
        county(2023, live_births=20000, infant_deaths=0),
        county(2024, live_births=20000, infant_deaths=30),
    ]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    assert ctx.facts["imr"]["change1"]["mode"] == "absolute"
    probs = [p for p in br.problems(ctx) if p["kind"] == "change"]
    assert [p["name"] for p in probs] == ["婴儿死亡率"]
    assert text(report.render_brief(ctx))


def test_subregions_much_worse_by_size_one_item_per_subregion(city_ctx):
    probs = [p for p in br.problems(city_ctx) if p["kind"] == "subregions"]
    assert probs, "the demo city has a county with infant mortality over 1.5 times the city's"
    assert len({p["region_code"] for p in probs}) == len(probs)  # one item per sub-region
    ids = {f["name"]: i for i, f in city_ctx.facts.items()}
    for p in probs:
        for x in p["items"]:
            ind = ids[x["name"]]
            row = city_ctx.subregions[ind].set_index("region_code").loc[p["region_code"]]
            city = city_ctx.facts[ind]["value"]
            if city_ctx.facts[ind]["unit"] == "%":
                assert city - row["value"] >= br.SUB_POINTS
            else:
                assert row["value"] >= br.SUB_RATIO * city and row["numerator"] >= br.SUB_MIN_EVENTS
    t = text(report.render_brief(city_ctx))
    p = probs[0]
    assert f"{p['region']}的{p['items'][0]['name']}（{p['items'][0]['text']}，全市" in t


# -- length and structure (no browser needed) ------------------------------------------------------


@pytest.mark.parametrize("which,lo,hi", [("county_ctx", 1000, 2500), ("city_ctx", 1000, 3000)])
def test_dajuan_length_and_sections(which, lo, hi, request):
    ctx = request.getfixturevalue(which)
    t = text(report.render_brief(ctx))
    assert lo <= len(t) <= hi, len(t)
    heads = re.findall(r"<h2>([^<]+)</h2>", report.render_brief(ctx))
    assert heads == ["表1\u3000主要指标", "一、工作成效", "二、目标完成情况", "三、存在问题与下一步"]
    assert t.count("无统计学意义") == 0


def test_docx_of_the_dajuan_is_short(county_ctx):
    doc = Document(io.BytesIO(docx_bytes(county_ctx, report.render_brief(county_ctx))))
    assert len(doc.tables) == 2  # key figures, targets
    assert not doc.inline_shapes  # no charts in the 答卷


@pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("pdfinfo")),
    reason="needs chromium and pdfinfo (tools/page_count.py)",
)
def test_county_dajuan_prints_on_at_most_six_a4_pages(county_ctx, tmp_path):
    from mchanalysis.report.html_page import standalone_page

    p = tmp_path / "report.html"
    p.write_text(standalone_page(report.render_brief(county_ctx), title="答卷"), encoding="utf-8")
    res = subprocess.run(
        [
            "/work/main/.venv/bin/python" if Path("/work/main/.venv/bin/python").exists() else "python",
            str(REPO / "tools" / "page_count.py"),
            str(p),
            "--max-pages",
            "6",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    pages = int(res.stdout.split()[0])
    assert 1 <= pages <= 6


# -- the technical report beside the 答卷 ---------------------------------------------------------


def test_write_outputs_gives_the_dajuan_docx_and_the_technical_report(county_ctx, tmp_path):
    out = report.write_outputs(county_ctx, tmp_path)
    tech = out["technical_html"].read_text(encoding="utf-8")
    assert (
        tech.startswith("<!DOCTYPE html>")
        and "<script" not in tech
        and "http" not in tech.split("</style>")[1]
    )
    t = unescape(text(tech))
    assert "2024年临江县妇幼健康工作技术报告" in t
    for must in (
        "置信区间",
        "统计学判定",
        "方法说明",
        "Wilson1927",
        "Garwood1936",
        "Breslow&Day1987",
        "Newcombe1998",
        "Kim等2000",
        "剖宫产活产数÷活产数",
    ):
        assert must in t, must
    # one meaning of 达标 in both documents: the technical table's 达标情况 is the point rule
    assert "“达标”只看本年度实际值" in t
    dajuan = Document(str(out["docx"]))
    dt = "".join(p.text for p in dajuan.paragraphs)
    assert "置信区间" not in dt and "工作成效" in dt
    techdoc = Document(str(out["technical_docx"]))
    assert "方法说明" in "".join(p.text for p in techdoc.paragraphs)
    assert techdoc.core_properties.title == "2024年临江县妇幼健康工作技术报告"


def test_technical_problems_follow_the_same_ranking_as_the_dajuan(county_ctx):
    tech = text(report.render_section(county_ctx, "problems", figures=False))
    first = br.problems(county_ctx)[0]
    assert tech.index(first["name"]) < tech.index("数据质量审核发现")


def test_english_reports_have_english_units_and_no_bad_ordinals(demo):
    rows = [county(y, live_births=3000, maternal_deaths=0, infant_deaths=6) for y in (2022, 2023, 2024)]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", lang="en")
    html = report.render_report(ctx) + report.render_brief(ctx)
    t = unescape(re.sub(r"<[^>]+>", " ", html))
    assert "/10万" not in t and "/万" not in t
    assert not re.search(r"\b\d+(th|st|nd|rd) year", t)
    assert "for 3 years in a row" in t


def test_narrative_template_is_a_valid_file_with_the_data_summary(county_ctx):
    from mchanalysis.report.bureau import narrative_template

    text_ = narrative_template(county_ctx)
    parsed = parse_narrative(text_)
    assert parsed["lead"][0]["text"].startswith("2024年，全县活产5315人")
    assert parsed["signature"][0]["text"] == "临江县卫生健康委员会"
    assert {"## 工作亮点", "## 重点工作", "## 下一步", "## 落款"} <= set(text_.splitlines())


def test_likely_entry_errors_come_first_in_the_data_quality_section_and_are_named_in_the_dajuan(demo):
    """Issue 9: the 数据质量说明 lists likely entry errors first, apart from ordinary 请核实
    items; the demo's dropped digit (石桥县 2020 住院分娩活产数 199) is one."""
    ctx = report.build_context(demo, year=2024, region_code="990106", target_set="auto", figures=False)
    listed = [q for q in ctx.quality if q["listed"]]
    assert listed and listed[0]["entry_error"] and "199" in listed[0]["message"]
    assert all(q["entry_error"] for q in listed[: sum(q["entry_error"] for q in listed)])
    tech = text(report.render_section(ctx, "quality", figures=False))
    assert "疑似填报错误1条" in tech and "【疑似填报错误】" in tech
    if "【提示】" in tech:
        assert tech.index("【疑似填报错误】") < tech.index("【提示】")
    assert "疑似填报错误1条" in text(report.render_brief(ctx))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_indicator_below_the_nation_and_the_parent_is_one_problem(lang):
    # the demo county 990102 (2024): 7岁以下儿童健康管理率 is below the national 年报 level and
    # worse than its city; the 答卷 says so in one item, not two
    ctx = report.build_context(
        DEMO, year=2024, region_code="990102", lang=lang, target_set="auto", figures=False
    )
    probs = br.problems(ctx)
    names = [p["name"] for p in probs if p["kind"] in ("national", "parent", "target", "change")]
    named_twice = {n for n in names if names.count(n) > 1 and n}
    both = [p for p in probs if p["kind"] == "national" and p.get("parent_name")]
    assert both, "the demo county has an indicator below both the nation and its city"
    # an indicator may be a national gap and a change, but never a national gap and a parent gap
    parent_names = {p["name"] for p in probs if p["kind"] == "parent"}
    assert not parent_names & {p["name"] for p in probs if p["kind"] == "national"}
    t = text(report.render_brief(ctx))
    p = both[0]
    if lang == "zh":
        assert f"也低于{p['parent_name']}水平（{p['parent_text']}）" in t
    else:
        assert f"and below {p['parent_name']} ({p['parent_text']})".replace(" ", "") in t
    # a rate worse than the city's is "higher" (高于), a coverage "lower" (低于): a bureau's words
    rate = [q for q in probs if q["kind"] == "parent" and q["parent_higher"]]
    assert rate
    q = rate[0]
    said = (
        f"{q['name']}为{q['text']}，高于{q['parent_name']}水平"
        if lang == "zh"
        else f"above {q['parent_name']}"
    )
    assert said.replace(" ", "") in t and ("差于" not in t if lang == "zh" else "worse than" not in t)
    assert named_twice <= {p["name"] for p in probs if p["kind"] == "change"}
