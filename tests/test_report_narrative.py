"""Narrative rules of the annual report: units, decimals, honest comparatives, death counts."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from support import counts_frame, county

from mchanalysis import report
from mchanalysis.report import narrative as nv

DATA = Path(__file__).parent / "data" / "report"


def text_of(ctx, section):
    return re.sub(r"<[^>]+>", "", report.render_section(ctx, section, figures=False))


# -- number formatting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,unit,expected",
    [
        (100.0, "%", "100%"),
        (97.98989, "%", "97.99%"),
        (99.996, "%", "99.996%"),  # never printed as 100 when below 100
        (0.0, "/10万", "0/10万"),
        (12.3456, "/10万", "12.35/10万"),
        (4.0, "‰", "4.00‰"),  # a rate keeps its decimals; only 0 and 100% lose them
        (5.2, "‰", "5.20‰"),
    ],
)
def test_format_value(value, unit, expected):
    assert nv.format_value(value, unit, 2) == expected


def test_targets_print_whole_numbers_without_decimals():
    assert nv.format_value(12, "/10万", 2, whole=True) == "12/10万"
    assert nv.format_value(90, "%", 2, whole=True) == "90%"
    assert nv.format_value(14.5, "/10万", 2, whole=True) == "14.5/10万"


# -- comparatives -------------------------------------------------------------------------------


def test_change_direction_comes_only_from_the_verdict():
    big = nv.describe_change(20.0, 10.0, unit="/10万", decimals=2, verdict="no_significant_change")
    assert big["direction"] == "ns_rise"  # large but not significant: never 基本持平
    small = nv.describe_change(10.3, 10.0, unit="/10万", decimals=2, verdict="no_significant_change")
    assert small["direction"] == "flat" and small["small"]
    untested = nv.describe_change(20.0, 10.0, unit="/10万", decimals=2, verdict=None)
    assert untested["direction"] == "not_tested"
    fall = nv.describe_change(4.0, 5.0, unit="‰", decimals=2, verdict="fall")
    assert fall["direction"] == "fall" and fall["mode"] == "relative" and fall["amount"] == "20.0"
    pts = nv.describe_change(97.5, 96.0, unit="%", decimals=2, verdict="rise")
    assert pts["mode"] == "points" and pts["amount"] == "1.50"
    with pytest.raises(ValueError):
        nv.describe_change(4.0, 5.0, unit="‰", decimals=2, verdict="rise")


def test_non_significant_change_is_never_called_a_rise_or_fall():
    # 1 -> 3 maternal deaths in ~10,000 births: MMR triples but the change is not significant;
    # coverage 95.0% -> 95.2% on 900 births: not significant either.
    rows = [
        county(2023, live_births=10000, maternal_deaths=1, postpartum_visited=855, early_registered=900),
        county(2024, live_births=10050, maternal_deaths=3, postpartum_visited=8575, early_registered=905),
    ]
    rows[0]["live_births"] = 10000
    rows[0]["postpartum_visited"] = 9500
    rows[1]["postpartum_visited"] = 9568
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    assert ctx.facts["mmr"]["change1"]["direction"] == "ns_rise"  # tripled: not 基本持平
    assert ctx.facts["postpartum_visit_rate"]["change1"]["direction"] == "flat"
    safety = text_of(ctx, "maternal_safety")
    mmr_sentence = next(s for s in safety.split("\n") if "孕产妇死亡" in s and "例" in s)
    assert "有所上升，但差异无统计学意义" in mmr_sentence
    assert "基本持平" not in mmr_sentence
    assert not re.search(r"(?<!有所)上升\d", mmr_sentence) and "下降" not in mmr_sentence
    care = text_of(ctx, "maternal_care")
    assert "产后访视率基本持平" in care or "产后访视率、" in care
    assert not re.search(r"产后访视率(上升|下降)", care)


def test_significant_change_is_worded_with_points_or_percent():
    rows = [
        county(2023, live_births=20000, infant_deaths=200, postpartum_visited=18000),
        county(2024, live_births=20000, infant_deaths=100, postpartum_visited=19000),
    ]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    safety = text_of(ctx, "maternal_safety")
    assert "较上年（10.00‰）下降50.0%" in safety
    care = text_of(ctx, "maternal_care")
    assert "产后访视率上升5.00个百分点" in care


def test_a_rate_changing_from_zero_is_told_in_its_own_unit_not_in_percentage_points():
    # 0 maternal deaths last year, 3 this year: no relative change exists; the difference is
    # 29.85/10万 (a rate), never "29.85个百分点", which is a difference of percentages
    ch = nv.describe_change(29.85, 0.0, unit="/10万", decimals=2, verdict="no_significant_change")
    assert ch["mode"] == "absolute" and ch["amount"] == "29.85/10万" and ch["relative"] is None
    en = nv.describe_change(29.85, 0.0, unit="/10万", decimals=2, verdict="rise", lang="en")
    assert en["amount"] == "29.85 per 100,000" and en["direction"] == "rise"
    permille = nv.describe_change(1.5, 0.0, unit="‰", decimals=2, verdict=None)
    assert permille["mode"] == "absolute" and permille["amount"] == "1.50‰"
    same = nv.describe_change(0.0, 0.0, unit="/10万", decimals=2, verdict="no_significant_change")
    assert same["direction"] == "flat"
    # percentages keep their points, rates above zero their relative change
    assert nv.describe_change(1.0, 0.0, unit="%", decimals=2, verdict=None)["mode"] == "points"
    assert nv.describe_change(2.0, 1.0, unit="‰", decimals=2, verdict=None)["mode"] == "relative"
    rows = [
        county(2023, live_births=10000, maternal_deaths=0),
        county(2024, live_births=10050, maternal_deaths=3),
    ]
    for lang, unit, wrong in (("zh", "/10万", "个百分点"), ("en", "per 100,000", "percentage point")):
        ctx = report.build_context(
            counts_frame(rows), year=2024, region_code="420102", figures=False, lang=lang
        )
        assert ctx.facts["mmr"]["change1"]["mode"] == "absolute"
        for html in (report.render_report(ctx, figures=False), report.render_brief(ctx)):
            text = re.sub(r"<[^>]+>", "", html)
            assert not re.search(r"29\.85\s*" + wrong, text), lang
            assert not re.search(r"29\.85\s*" + re.escape(unit) + "%", text), lang
        cell = re.sub(r"<[^>]+>", "", report.render_report(ctx, figures=False))
        assert "29.85" + (" " if lang == "en" else "") + unit in cell, lang


# -- units with the right indicators ------------------------------------------------------------


def test_units_go_with_the_right_indicators():
    rows = [
        county(
            2024,
            live_births=30000,
            maternal_deaths=12,
            infant_deaths=150,
            neonatal_deaths=90,
            under5_deaths=200,
        )
    ]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    text = text_of(ctx, "maternal_safety")
    expect = {"孕产妇死亡率": "/10万", "婴儿死亡率": "‰", "新生儿死亡率": "‰", "5岁以下儿童死亡率": "‰"}
    # every "<indicator>[为]<number><unit>" in the text (longest names first, so that
    # 新生儿死亡率 is not read as 儿死亡率 and so on)
    names = "|".join(sorted(map(re.escape, expect), key=len, reverse=True))
    found = re.findall(rf"({names})为?([\d.]+)(/10万|‰|%|/万)", text)
    for name, unit in expect.items():
        units = [u for n, _, u in found if n == name]
        assert units, name
        assert set(units) == {unit}, (name, units)
    assert "40.00/10万" in text and "5.00‰" in text


# -- deaths told as counts ---------------------------------------------------------------------


def test_zero_maternal_deaths_get_their_own_wording():
    rows = [county(y, live_births=5000, maternal_deaths=0) for y in (2022, 2023, 2024)]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    text = text_of(ctx, "maternal_safety")
    assert "全区全年无孕产妇死亡" in text
    assert "连续3年无孕产妇死亡" in text
    assert "孕产妇死亡率为0" not in text.replace("孕产妇死亡率为0，", "")


def test_few_deaths_are_told_as_a_count():
    rows = [county(2024, live_births=8000, maternal_deaths=2)]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", figures=False)
    assert "全年发生孕产妇死亡2例" in text_of(ctx, "maternal_safety")


@pytest.mark.parametrize(
    "level,name,word",
    [
        ("province", "湖北省", "全省"),
        ("prefecture", "宝鸡市", "全市"),
        ("county", "江岸区", "全区"),
        ("county", "凤县", "全县"),
        ("county", "兴平市", "全市"),
    ],
)
def test_scope_word_by_level(level, name, word):
    assert nv.scope_word(level, name) == word


# -- the seed 000 sentence ---------------------------------------------------------------------


def test_baoji_2022_sentence_matches_the_published_answer_sheet():
    raw = pd.read_csv(DATA / "baoji_2022.csv", dtype={"region_code": str, "parent_code": str})
    ctx = report.build_context(
        counts_frame(raw.to_dict("records")), year=2022, region_code="610300", figures=False
    )
    text = text_of(ctx, "maternal_care")
    assert "早孕建册率达97.99%" in text
    assert "高危孕产妇管理率100%" in text
    assert "产后访视率98.69%" in text
    assert "全市孕产妇早孕建册率达97.99%" in text
    assert report.render_title(ctx) == "2022年宝鸡市妇幼健康工作答卷"
    assert "模拟数据" not in report.render_report(ctx, figures=False)


def test_english_report_uses_english_templates_and_units():
    rows = [
        county(2023, live_births=20000, maternal_deaths=0, infant_deaths=200),
        county(2024, live_births=20000, maternal_deaths=0, infant_deaths=100),
    ]
    ctx = report.build_context(counts_frame(rows), year=2024, region_code="420102", lang="en", figures=False)
    text = re.sub(r"<[^>]+>", "", report.render_report(ctx, figures=False))
    assert "There were no maternal deaths in the district this year" in text
    assert "down 50.0% on the previous year (10.00‰)" in text
    assert not re.search(
        r"[\u4e00-\u9fff]{2,}", text.replace("江岸区", "").replace("(年报)", "")
    )  # no Chinese wording but the name of the returns


def test_projection_to_a_later_target_year_is_worded_from_the_model():
    # IMR falling ~10% a year on 50,000 births: the 2030 target of 5‰ is projected to be met.
    rows = [
        county(y, live_births=50000, infant_deaths=int(round(600 * 0.9 ** (y - 2014))))
        for y in range(2014, 2025)
    ]
    from mchanalysis.targets import TargetSet

    ts = TargetSet(
        name="t",
        source="test",
        scope="",
        targets=pd.DataFrame(
            [{"indicator": "imr", "target": 5.0, "comparison": "<=", "year": 2030, "wording": "", "note": ""}]
        ),
    )
    ctx = report.build_context(
        counts_frame(rows), year=2024, region_code="420102", target_set=ts, figures=False
    )
    p = ctx.facts["imr"]["projection"]
    assert p["target_year"] == 2030 and p["meets"]
    text = text_of(ctx, "maternal_safety")
    assert "按目前趋势推算，2030年婴儿死亡率预计为" in text and "可望实现2030年目标" in text


def test_title_without_a_context():
    assert report.title_for("宝鸡市", 2022) == "2022年宝鸡市妇幼健康工作答卷"
    assert (
        report.title_for("宝鸡市", 2022, lang="en")
        == "Maternal and Child Health in 宝鸡市, 2022: Annual Report"
    )


# -- issue 10: wording rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,unit,expected",
    [
        (14.3, "/10万", "14.3/10万"),
        (4.0, "‰", "4.0‰"),
        (2.5, "‰", "2.5‰"),
        (5.6, "‰", "5.6‰"),
        (92.7, "%", "92.7%"),
    ],
)
def test_published_national_figures_print_as_published(value, unit, expected):
    assert nv.format_published(value, unit) == expected


def test_changes_add_up_from_the_printed_values():
    # 2.564 -> 3.515: printed 2.56% and 3.52%, so the change must read 0.96, not 0.95
    ch = nv.describe_change(3.515, 2.5649, unit="%", decimals=2, verdict="rise")
    assert ch["amount"] == "0.96"
    rel = nv.describe_change(4.774, 20.126, unit="/10万", decimals=2, verdict="fall")
    assert rel["amount"] == format(abs(4.77 - 20.13) / 20.13 * 100, ".1f")


def test_a_large_non_significant_fall_is_not_basically_unchanged():
    # 东川市 MMR 20.13 -> 4.77/10万 (−76%), not significant with few deaths
    ch = nv.describe_change(4.77, 20.13, unit="/10万", decimals=2, verdict="no_significant_change")
    assert ch["direction"] == "ns_fall" and not ch["small"]
    # under 0.5 point for a percentage, under 5% relative for a rate: 基本持平
    assert (
        nv.describe_change(96.3, 96.0, unit="%", decimals=2, verdict="no_significant_change")["direction"]
        == "flat"
    )
    assert (
        nv.describe_change(96.6, 96.0, unit="%", decimals=2, verdict="no_significant_change")["direction"]
        == "ns_rise"
    )
    assert (
        nv.describe_change(10.4, 10.0, unit="‰", decimals=2, verdict="no_significant_change")["direction"]
        == "flat"
    )


def test_unfilled_lines_of_the_starter_file_are_not_printed():
    from mchanalysis.report.bureau import parse_narrative, starter_text

    parsed = parse_narrative(starter_text("临江县", 2024, "2024年，全县活产5315人。"), source="990104.md")
    assert parsed["lead"] == [{"kind": "p", "text": "2024年，全县活产5315人。"}]
    assert parsed["highlights"] == [] and parsed["work"] == [] and parsed["next_steps"] == []
    assert [b["text"] for b in parsed["signature"]][0] == "临江县卫生健康委员会"
