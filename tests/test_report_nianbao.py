"""The 年报's new indicators in the 答卷 and the technical report (issue 16 item 6): 围产儿死亡率
and 早期新生儿死亡率 with the mortality rates, a child-nutrition paragraph, a 消除母婴传播
paragraph whose rare events are told as counts; nothing of it for a file without the measures."""

from __future__ import annotations

import re

import pytest
from support import DEMO

from mchanalysis import report
from mchanalysis.analysis.rules import FEW_EVENTS
from mchanalysis.demo import generate_demo_counts


def _shape():
    """The demo drawn with the 年报 measures; one county (990103) given 2 HIV infections among
    40 children followed up (added to its city and province too, so the sums hold)."""
    df = generate_demo_counts(nianbao=True)
    for col, delta in (("hiv_exposed_infants", 40), ("hiv_infected_infants", 2)):
        for code in ("990103", "990100", "990000"):
            m = (df["region_code"] == code) & (df["year"] == 2024)
            df.loc[m, col] = df.loc[m, col] + delta
    return df


@pytest.fixture(scope="module")
def ctxs():
    df = _shape()
    return {
        (code, lang): report.build_context(
            df, year=2024, region_code=code, target_set="national_2030", lang=lang, figures=False
        )
        for code in ("990103", "990100")
        for lang in ("zh", "en")
    }


def _para(html, heading):
    m = re.search(rf"<h3>[^<]*{heading}</h3>\s*<p>(.*?)</p>", html, flags=re.S)
    assert m, heading
    return m.group(1)


def test_perinatal_rates_beside_the_other_mortality_rates(ctxs):
    ctx = ctxs[("990103", "zh")]
    b = report.render_brief(ctx)
    safety = _para(b, "母婴安全")
    for i in ("perinatal_mortality_rate", "early_neonatal_mortality_rate"):
        f = ctx.facts[i]
        assert f"{f['name']}为{f['text']}" in safety
    assert safety.index("5岁以下儿童死亡率") < safety.index("围产儿死亡率")
    tech = report.render_section(ctx, "maternal_safety")
    assert "围产儿死亡率" in tech and "早期新生儿死亡率" in tech
    # the events are named in words, never by the measure's id
    f = ctx.facts["perinatal_mortality_rate"]
    assert f"围产儿死亡{f['count_text']}例" in tech + b
    assert not re.search(r"[a-z]+_[a-z_]+", re.sub(r"<[^>]+>", "", tech + b))


def test_child_nutrition_paragraph(ctxs):
    ctx = ctxs[("990103", "zh")]
    text = _para(report.render_brief(ctx), "儿童营养与眼保健")
    f = ctx.facts
    assert text.startswith(
        f"全区5岁以下儿童低体重率为{f['u5_underweight_prevalence']['text']}，"
        f"生长迟缓率为{f['u5_stunting_prevalence']['text']}，"
        f"贫血患病率为{f['u5_anemia_prevalence']['text']}，"
    )
    assert f"0～6岁儿童眼保健和视力检查覆盖率达{f['eye_vision_check_coverage_0_6']['text']}" in text
    # the technical report's 儿童健康管理 says the same, and its table lists them
    tech = report.render_section(ctx, "child_care")
    assert text in tech and tech.count("生长迟缓率") >= 2


def test_emtct_rare_events_are_counts_not_rates(ctxs):
    county = ctxs[("990103", "zh")]
    assert county.facts["hiv_mtct_rate"]["numerator"] == 2 < FEW_EVENTS
    text = _para(report.render_brief(county), "消除艾滋病、梅毒和乙肝母婴传播")
    t = [
        county.facts[i]["text"]
        for i in ("pregnant_hiv_testing_rate", "pregnant_syphilis_testing_rate", "pregnant_hbv_testing_rate")
    ]
    assert text.startswith(f"孕产妇艾滋病、梅毒和乙肝检测率分别为{t[0]}、{t[1]}、{t[2]}。")
    assert "艾滋病感染孕产妇所生儿童随访40人，发生母婴传播2例" in text
    assert "艾滋病母婴传播率" not in text and county.facts["hiv_mtct_rate"]["text"] not in text
    assert f"少于{FEW_EVENTS}例的，按例数报告" in text
    # the city has enough hepatitis B transmissions for a rate; stated with its counts
    city = ctxs[("990100", "zh")]
    hbv = city.facts["hbv_mtct_rate"]
    assert hbv["numerator"] >= FEW_EVENTS
    ctext = _para(report.render_brief(city), "消除艾滋病、梅毒和乙肝母婴传播")
    assert f"乙肝母婴传播率为{hbv['text']}（{hbv['count_text']}/{hbv['denominator_text']}）" in ctext
    assert report.render_section(county, "birth_defects").count("发生母婴传播2例") == 1


def test_english_states_the_same_numbers(ctxs):
    for code in ("990103", "990100"):
        zh, en = (report.render_brief(ctxs[(code, lang)]) for lang in ("zh", "en"))
        for hz, he in (
            ("儿童营养与眼保健", "Child nutrition and eye care"),
            ("消除艾滋病、梅毒和乙肝母婴传播", "Elimination of mother-to-child transmission"),
        ):
            a = re.findall(r"\d+(?:\.\d+)?", _para(zh, hz).replace(",", ""))
            b = re.findall(r"\d+(?:\.\d+)?", _para(en, he).replace(",", ""))
            strip = lambda xs: [x for x in xs if x not in ("5", "0", "6")]  # ages in the names
            assert strip(a) == strip(b)
        assert ".Of" not in en and "hepatitis b " not in en
        # each indicator as "Name: value" (the names hold commas: "the stunting prevalence,
        # children under 5 was 2.29%, the anaemia ..." did not parse)
        nutrition = _para(en, "Child nutrition and eye care")
        facts = ctxs[(code, "en")].facts
        for ind in ("u5_stunting_prevalence", "u5_anemia_prevalence"):
            assert f"{facts[ind]['name']}: {facts[ind]['text']}" in nutrition, ind
        assert " was " not in nutrition
        # the rates that are neither better high nor low, listed as a sentence ("…, and the …")
        tech = re.sub(r"<[^>]+>", "", report.render_report(ctxs[(code, "en")], figures=False))
        assert re.search(r"The low birth weight rate was [\d.]+%, and the macrosomia rate", tech)
        assert not re.search(r"was [\d.]+%, (?!and the )[a-z]+[^.]* was ", tech)


def test_nothing_of_it_without_the_measures():
    ctx = report.build_context(
        DEMO, year=2024, region_code="990103", target_set="national_2030", lang="zh", figures=False
    )
    html = report.render_brief(ctx) + report.render_report(ctx)
    for word in ("围产儿死亡率", "儿童营养", "母婴传播", "生长迟缓", "检测率"):
        assert word not in html, word


def test_a_handful_of_transmissions_is_never_scored(ctxs):
    """2 infections among 40 children is 5.00%, above the < 2% target; with fewer than
    FEW_EVENTS cases it is not scored, not listed as a problem, and the text says why."""
    for lang, words in (
        ("zh", "艾滋病母婴传播率病例数少于10例，按例数报告，未作达标评价。"),
        ("en", "fewer than 10 cases, given as counts and not judged against the target"),
    ):
        ctx = ctxs[("990103", lang)]
        assert "hiv_mtct_rate" not in set(ctx.scorecard["indicator"])
        assert [r["indicator"] for r in ctx.target_set["not_scored"]] == ["hiv_mtct_rate"]
        brief = report.render_brief(ctx)
        assert words in brief and words in report.render_section(ctx, "targets")
        assert "5.00%" not in brief
