"""The 年报 extension of the data contract (issue 16): measures, readers, template, registry,
consistency rules and targets of 围产儿死亡, child nutrition, 眼保健 and 消除母婴传播."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from support import DEMO

from mchanalysis.cells import canonical_column
from mchanalysis.data_entry_workbook import template_headers, write_template
from mchanalysis.errors import MchError
from mchanalysis.indicators import compute_indicators
from mchanalysis.regions import aggregate_counts
from mchanalysis.registry import indicator_meta, load_registry
from mchanalysis.schema import ALL_MEASURES, MEASURES, NIANBAO_DEFINITIONS, NIANBAO_MEASURES
from mchanalysis.targets import evaluate_targets, load_target_set
from mchanalysis.validation import known_measures, load_counts, validate_counts

IDS = ["region_code", "region_name", "parent_code", "level", "year"]


def _old_columns():
    """The counts columns of a file without the extension: ids, the contract, registry extras."""
    return [*IDS, *(m for m in known_measures() if m not in NIANBAO_MEASURES)]


def _write(tmp_path, rows: list[dict], name="c.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8")
    return path


def _county(**measures):
    return {
        "行政区划代码": "990101",
        "地区": "甲县",
        "上级代码": "",
        "级别": "县区级",
        "年份": 2024,
        **measures,
    }


# --- 1. the data contract -------------------------------------------------------------------


def test_extension_is_an_extension():
    """No core id or Chinese name is renamed or reused."""
    assert not set(NIANBAO_MEASURES) & set(MEASURES)
    assert not set(NIANBAO_MEASURES.values()) & set(MEASURES.values())
    assert list(ALL_MEASURES)[: len(MEASURES)] == list(MEASURES)
    assert set(NIANBAO_DEFINITIONS) == set(NIANBAO_MEASURES)


@pytest.mark.parametrize(
    "header, measure",
    [
        ("死胎死产数", "stillbirths"),
        ("早期新生儿死亡数", "early_neonatal_deaths"),
        ("围产儿死亡数", "perinatal_deaths"),
        ("5岁以下儿童低体重人数", "under5_underweight"),
        ("5岁以下儿童身长（身高）检查人数", "under5_height_measured"),
        ("5岁以下儿童贫血患病人数", "under5_anaemic"),
        ("0～6岁儿童眼保健和视力检查人数", "children_0_6_eye_checked"),
        ("0-6岁儿童眼保健和视力检查人数", "children_0_6_eye_checked"),
        ("孕产妇艾滋病检测人数", "hiv_tested"),
        ("孕产妇梅毒检测人数", "syphilis_tested"),
        ("孕产妇乙肝检测人数", "hbv_tested"),
        ("先天梅毒报告病例数", "congenital_syphilis_cases"),
        ("艾滋病感染孕产妇所生儿童感染人数", "hiv_infected_infants"),
        ("Stillbirths", "stillbirths"),
    ],
)
def test_every_reader_header_maps(header, measure):
    assert canonical_column(header) == measure


def test_every_extension_name_reads_back_as_its_id():
    for mid, zh in NIANBAO_MEASURES.items():
        assert canonical_column(zh) == mid, zh
        assert canonical_column(mid) == mid


def test_a_file_with_the_new_headers_reads_them(tmp_path):
    path = _write(
        tmp_path,
        [
            _county(
                活产数=1000,
                围产儿数=1005,
                死胎死产数=5,
                早期新生儿死亡数=2,
                围产儿死亡数=7,
                **{"5岁以下儿童体重检查人数": 900, "5岁以下儿童低体重人数": 12},
            )
        ],
    )
    counts = load_counts(path).counts
    assert counts.loc[0, "stillbirths"] == 5 and counts.loc[0, "perinatal_deaths"] == 7
    assert counts.loc[0, "under5_underweight"] == 12
    assert "hiv_tested" not in counts.columns  # not in the file: no column


def test_a_file_without_them_has_the_columns_and_findings_it_had(tmp_path):
    path = _write(tmp_path, [_county(活产数=1000, 婴儿死亡数=4)])
    counts, findings = validate_counts(pd.read_csv(path, dtype=str, keep_default_na=False), file=path)
    assert list(counts.columns) == _old_columns()
    assert not findings["item"].isin(list(NIANBAO_MEASURES)).any()


def test_template_has_the_new_columns_with_their_definitions(tmp_path):
    path = write_template(tmp_path / "t.xlsx", rows=10)
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["数据"][1]] == template_headers("zh")
    assert set(NIANBAO_MEASURES.values()) <= set(template_headers("zh"))
    rows = {r[1]: r[2] for r in wb["说明"].iter_rows(values_only=True) if r and len(r) > 2}
    assert "孕满28周" in rows["stillbirths"]
    assert "生后7天内" in rows["perinatal_deaths"] and "7天内" in rows["early_neonatal_deaths"]
    for m in ("under5_underweight", "under5_stunted"):
        assert "WHO" in rows[m] and "2个标准差" in rows[m]
    assert "110 g/L" in rows["under5_anaemic"]
    for m in ("hiv_tested", "syphilis_tested", "hbv_tested"):
        assert "孕期或产时" in rows[m]


def test_a_template_left_empty_in_the_new_columns_gives_the_old_table(tmp_path):
    path = write_template(tmp_path / "t.xlsx", rows=10)
    wb = openpyxl.load_workbook(path)
    ws = wb["数据"]
    col = {h: j for j, h in enumerate(template_headers("zh"), start=1)}
    for h, v in (
        ("行政区划代码", "990101"),
        ("地区", "甲县"),
        ("级别", "县区级"),
        ("年份", 2024),
        ("活产数", 1000),
    ):
        ws.cell(row=2, column=col[h], value=v)
    wb.save(path)
    result = load_counts(path)
    assert list(result.counts.columns) == _old_columns()
    assert not result.findings["item"].isin(list(NIANBAO_MEASURES)).any()


# --- 2. registry entries against worked values ----------------------------------------------

DATA = Path(__file__).parent / "data" / "nianbao"


def _registry_new():
    reg = load_registry()
    return reg[reg["numerator"].isin(list(NIANBAO_MEASURES))]


def _counts_for(num_measure, den_measure, num, den):
    row = {
        "region_code": "990101",
        "region_name": "甲县",
        "parent_code": "",
        "level": "county",
        "year": 2024,
        num_measure: num,
        den_measure: den,
    }
    frame = pd.DataFrame([row])
    for m in (num_measure, den_measure):
        frame[m] = frame[m].astype("Int64")
    return frame


WORKED = pd.read_csv(DATA / "worked_examples.csv")


@pytest.mark.parametrize("example", WORKED.to_dict("records"), ids=list(WORKED["indicator"]))
def test_worked_value(example):
    meta = indicator_meta(example["indicator"])
    counts = _counts_for(meta["numerator"], meta["denominator"], example["numerator"], example["denominator"])
    table = compute_indicators(counts, aggregate=False)
    row = table[table["indicator"] == example["indicator"]].iloc[0]
    assert round(row["value"], int(example["decimals"])) == pytest.approx(example["expected"], abs=1e-9)
    assert row["numerator"] == example["numerator"] and row["denominator"] == example["denominator"]


def test_every_new_indicator_has_a_worked_value_and_its_texts():
    new = _registry_new()
    assert len(new) == 21
    assert set(new["id"]) == set(WORKED["indicator"])
    # each has a value printed or derived from a published source, not only invented counts
    sourced = WORKED[WORKED["kind_of_value"].isin(["published", "derived"])]
    assert set(new["id"]) == set(sourced["indicator"])
    assert set(WORKED["kind_of_value"]) == {"published", "derived", "constructed"}
    for e in new.itertuples(index=False):
        assert e.status in ("confirmed", "partly_confirmed", "best_understanding"), e.id
        assert e.definition_zh and e.definition_en and e.name_zh and e.name_en, e.id
        assert e.denominator in ALL_MEASURES, e.id


@pytest.mark.parametrize(
    "indicator, multiplier, unit, kind, status",
    [
        ("perinatal_mortality_rate", 1000, "‰", "rate", "confirmed"),
        ("early_neonatal_mortality_rate", 1000, "‰", "rate", "confirmed"),
        ("congenital_syphilis_incidence", 100000, "/10万", "rate", "partly_confirmed"),
        ("hiv_mtct_rate", 100, "%", "proportion", "best_understanding"),
        ("eye_vision_check_coverage_0_6", 100, "%", "proportion", "partly_confirmed"),
        ("u5_stunting_prevalence", 100, "%", "proportion", "best_understanding"),
    ],
)
def test_units_kinds_and_status_follow_the_reference(indicator, multiplier, unit, kind, status):
    meta = indicator_meta(indicator)
    assert (meta["multiplier"], meta["unit"], meta["kind"], meta["status"]) == (
        multiplier,
        unit,
        kind,
        status,
    )


def test_perinatal_rate_uses_perinatal_births_and_its_interval_is_poisson():
    meta = indicator_meta("perinatal_mortality_rate")
    assert (meta["numerator"], meta["denominator"]) == ("perinatal_deaths", "perinatal_births")
    table = compute_indicators(_counts_for("perinatal_deaths", "perinatal_births", 3, 2500), aggregate=False)
    row = table[table["indicator"] == "perinatal_mortality_rate"].iloc[0]
    # fewer than 10 events: exact Poisson; bounds = Garwood's chi-square form, computed
    # independently: chi2.ppf(0.025, 6) / 2 / 2500 * 1000, chi2.ppf(0.975, 8) / 2 / 2500 * 1000
    assert row["ci_method"] == "exact"
    assert row["lower"] == pytest.approx(0.247469, abs=1e-6) and row["upper"] == pytest.approx(
        3.506909, abs=1e-6
    )


def test_a_registry_status_outside_the_reference_words_is_refused(tmp_path):
    path = tmp_path / "reg.yaml"
    path.write_text(
        "indicators:\n  - {id: x, name_zh: x, name_en: x, numerator: stillbirths, denominator: live_births,"
        " multiplier: 1000, unit: '‰', direction: lower_is_better, kind: rate, group: mortality,"
        " status: sure}\n",
        encoding="utf-8",
    )
    with pytest.raises(MchError, match="status must be one of"):
        load_registry(path)


# --- 3. consistency rules, with the row and column of the planted error ----------------------


def _findings(tmp_path, *rows):
    path = _write(tmp_path, list(rows))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate_counts(raw, file=path)[1]


def _errors(findings):
    return findings[findings["severity"] == "error"]


GOOD = dict(
    活产数=1000,
    围产儿数=1006,
    死胎死产数=6,
    早期新生儿死亡数=2,
    围产儿死亡数=8,
    新生儿死亡数=3,
    婴儿死亡数=4,
    **{"5岁以下儿童死亡数": 5, "5岁以下儿童血红蛋白检测人数": 800, "5岁以下儿童贫血患病人数": 40},
)


def test_consistent_rows_pass(tmp_path):
    assert _errors(_findings(tmp_path, _county(**GOOD))).empty


def test_jinan_numbers_add_up(tmp_path):
    row = _county(活产数=583179, 围产儿数=586569, 死胎死产数=3390, 早期新生儿死亡数=3590, 围产儿死亡数=6980)
    assert _errors(_findings(tmp_path, row)).empty


@pytest.mark.parametrize(
    "change, check, column",
    [
        ({"围产儿数": 990}, "impossible_numerator", "活产数"),  # 围产儿数 < 活产数
        ({"早期新生儿死亡数": 4}, "impossible_numerator", "早期新生儿死亡数"),  # > 新生儿死亡数 3
        ({"5岁以下儿童贫血患病人数": 801}, "impossible_numerator", "5岁以下儿童贫血患病人数"),
        ({"围产儿死亡数": 9}, "sum_mismatch", "围产儿死亡数"),  # 6 + 2 != 9
    ],
)
def test_planted_errors_fire_with_row_and_column(tmp_path, change, check, column):
    other = {**_county(**GOOD), "行政区划代码": "990102", "地区": "乙县"}
    bad = {**_county(**GOOD), **change}
    found = _errors(_findings(tmp_path, other, bad))
    hit = found[found["check"] == check]
    assert len(hit) >= 1, found[["check", "column", "message_en"]]
    assert set(hit["row"]) == {3} and set(hit["column"]) == {column}
    assert set(hit["region_code"]) == {"990101"}


def test_early_neonatal_against_infant_deaths_when_neonatal_is_not_given(tmp_path):
    row = _county(活产数=1000, 早期新生儿死亡数=5, 婴儿死亡数=4)
    found = _errors(_findings(tmp_path, row))
    assert list(found["check"]) == ["impossible_numerator"]
    assert found.iloc[0]["column"] == "早期新生儿死亡数" and "婴儿死亡数" in found.iloc[0]["message_zh"]


def test_the_sum_rule_waits_for_all_three(tmp_path):
    row = _county(活产数=1000, 围产儿数=1006, 死胎死产数=6, 围产儿死亡数=9)  # no 早期新生儿死亡数
    assert _errors(_findings(tmp_path, row)).empty


def test_tested_above_its_denominator_is_a_warning_kept_as_reported(tmp_path):
    row = _county(活产数=1000, 产妇数=990, 孕产妇艾滋病检测人数=1002)
    found = _findings(tmp_path, row)
    assert _errors(found).empty
    hit = found[(found["check"] == "over_100") & (found["item"] == "hiv_tested")]
    assert len(hit) == 1 and hit.iloc[0]["column"] == "孕产妇艾滋病检测人数" and hit.iloc[0]["row"] == 2


def _two_counties():
    return [
        {
            **_county(活产数=1000, 围产儿数=1004, 围产儿死亡数=5),
            "行政区划代码": "990101",
            "上级代码": "990100",
        },
        {
            **_county(活产数=1000, 围产儿数=1005, 围产儿死亡数=6),
            "行政区划代码": "990102",
            "地区": "乙县",
            "上级代码": "990100",
        },
    ]


def _city(**measures):
    """The counties' city, 甲市 (990100), a top region: ``_county`` with its identity."""
    return {**_county(**measures), "行政区划代码": "990100", "地区": "甲市", "级别": "地市级"}


def test_rules_hold_again_after_aggregation(tmp_path):
    """A city that reports 围产儿数 but leaves 活产数 to its counties' sum, above its own
    perinatal births: no sub-region missing from the file explains that (it would make the sum
    smaller), so the city's reported count is in question and validation stops at it."""
    found = _errors(_findings(tmp_path, _city(围产儿数=1900), *_two_counties()))
    hit = found[found["check"] == "impossible_after_aggregation"]
    assert len(hit) == 1 and hit.iloc[0]["region_code"] == "990100" and hit.iloc[0]["row"] == 2
    assert hit.iloc[0]["column"] == "围产儿数"
    assert (
        "live births = 2,000 (sum of its sub-regions) exceed perinatal births = 1,900"
        in hit.iloc[0]["message_en"]
    )


# --- 4. targets --------------------------------------------------------------------------------


def _table(rows):
    """An indicator table of county 990101, 2024: {indicator: (numerator, denominator)}."""
    frames = []
    for ind, (num, den) in rows.items():
        meta = indicator_meta(ind)
        frames.append(_counts_for(meta["numerator"], meta["denominator"], num, den))
    counts = frames[0]
    for f in frames[1:]:
        counts = counts.merge(f, on=IDS, how="outer")
    return compute_indicators(counts, aggregate=False)


def test_confirmed_targets_of_the_new_indicators_are_in_the_sets_of_their_year():
    t25 = load_target_set("national_2025").targets.set_index(["indicator", "year"])
    assert t25.loc[("u5_stunting_prevalence", 2025), "target"] == 5
    assert t25.loc[("cervical_precancer_treatment_rate", 2025), "target"] == 90
    assert t25.loc[("preconception_check_coverage", 2027), "target"] == 80
    ts30 = load_target_set("national_2030")
    t30 = ts30.targets.set_index(["indicator", "year"])
    assert (t30.loc[("hiv_mtct_rate", 2030), "target"], t30.loc[("hiv_mtct_rate", 2030), "comparison"]) == (
        2,
        "<=",
    )
    # recalled only: kept for reference, not among the scored targets
    assert {"u5_anemia_prevalence", "eye_vision_check_coverage_0_6", "u5_stunting_prevalence"} <= set(
        ts30.unconfirmed["indicator"]
    )
    assert not {"u5_anemia_prevalence", "eye_vision_check_coverage_0_6"} & set(ts30.targets["indicator"])
    assert "u5_stunting_prevalence" not in set(ts30.targets["indicator"])


def test_unconfirmed_targets_are_never_scored():
    table = _table({"u5_anemia_prevalence": (900, 4000), "hiv_mtct_rate": (1, 40)})
    out = evaluate_targets(table, "national_2030")
    assert "u5_anemia_prevalence" not in set(out["indicator"])
    assert out.set_index("indicator").loc["hiv_mtct_rate", "status"] == "not_met"  # 2.5% > 2%


def test_a_target_status_outside_the_words_is_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "name: x\nsource: y\ntargets:\n  - {indicator: hiv_mtct_rate, target: 2, comparison: '<=',"
        " year: 2030, status: maybe}\n",
        encoding="utf-8",
    )
    with pytest.raises(MchError, match="status must be one of"):
        load_target_set(path)


def test_targets_of_new_indicators_wait_for_their_measures(tmp_path):
    counts = load_counts(_write(tmp_path, [_county(活产数=1000, 婴儿死亡数=4)])).counts
    table = compute_indicators(counts)
    for name in ("national_2025", "national_2030"):
        out = evaluate_targets(table, name)
        assert not set(out["indicator"]) & set(_registry_new()["id"]), name
        assert "imr" in set(out["indicator"])


def test_emtct_set_scores_a_county_with_the_small_number_rule():
    ts = load_target_set("emtct_national")
    assert set(ts.targets["status"]) == {"partly_confirmed"}
    assert "母婴传播" in ts.title("zh")
    table = _table(
        {
            "pregnant_hiv_testing_rate": (2970, 3000),
            "pregnant_syphilis_testing_rate": (2970, 3000),
            "pregnant_hbv_testing_rate": (2970, 3000),
            "congenital_syphilis_incidence": (2, 3000),  # 66.7/10万 > 50
        }
    )
    out = evaluate_targets(table, ts).set_index("indicator")
    for t in ("pregnant_hiv_testing_rate", "pregnant_syphilis_testing_rate", "pregnant_hbv_testing_rate"):
        assert out.loc[t, "value"] == pytest.approx(99.0)
        assert (out.loc[t, "status"], out.loc[t, "status_ci"]) == ("met", "met")
    cs = out.loc["congenital_syphilis_incidence"]
    assert cs["value"] == pytest.approx(66.6667, abs=1e-3) and cs["status"] == "not_met"
    # 2 cases: the exact Poisson interval (8.07–240.8/10万) contains 50 — not shown to miss it
    assert cs["status_ci"] == "indistinguishable" and cs["lower"] < 50 < cs["upper"]
    # transmission measures the file does not have at all: not judged (no row), not a failure
    assert "hiv_mtct_rate" not in out.index and "hbv_mtct_rate" not in out.index
    # a core indicator of the set without data stays no_data as before
    assert out.loc["prenatal_check_rate", "status"] == "no_data"


def test_emtct_a_large_city_above_the_criterion_is_shown_to_miss_it():
    out = evaluate_targets(_table({"congenital_syphilis_incidence": (40, 50000)}), "emtct_national")
    cs = out.set_index("indicator").loc["congenital_syphilis_incidence"]
    assert cs["value"] == pytest.approx(80.0) and (cs["status"], cs["status_ci"]) == ("not_met", "not_met")


# --- 5. nothing changes for a file without the new measures ----------------------------------


def test_demo_gives_the_indicator_table_it_gave_before_the_extension():
    """``demo_indicators_before.csv.gz``: compute_indicators on data/demo/counts.csv at the commit
    this work started from (8789924), written with 17 significant digits."""
    before = pd.read_csv(
        DATA / "demo_indicators_before.csv.gz",
        dtype={"region_code": str, "parent_code": str},
        keep_default_na=False,
        na_values=[""],
    )
    counts = load_counts(DEMO).counts
    assert not set(NIANBAO_MEASURES) & set(counts.columns)
    now = compute_indicators(counts)
    assert list(now.columns) == list(before.columns)
    assert set(now["indicator"]) == set(before["indicator"])  # no new indicator appears
    assert len(now) == len(before) == 7245
    # one change since, on purpose: 西岭市 (990200) reports its own 活产数 for 2023, 17,680, 37
    # above its counties' sum; a rate of it whose other count is summed from the counties now
    # takes the counties' 17,643 as its denominator (flag subregion_basis), and so does the
    # province's, which sums its cities' pairs (37 fewer live births than its 活产数)
    moved = (now["flag"] == "subregion_basis").to_numpy()
    assert set(zip(now.loc[moved, "region_code"], now.loc[moved, "year"])) == {
        ("990200", 2023),
        ("990000", 2023),
    }
    gap = before.loc[moved, "denominator"].to_numpy() - now.loc[moved, "denominator"].to_numpy()
    assert (gap == 37).all()
    assert (now.loc[moved & (now["region_code"] == "990200").to_numpy(), "denominator"] == 17_643).all()
    assert (now.loc[moved, "numerator"].to_numpy() == before.loc[moved, "numerator"].to_numpy()).all()
    assert moved.sum() == 20  # ten service rates on live births each; MMR, IMR ... keep their counts
    kept = ~moved
    for c in ("region_code", "region_name", "level", "year", "indicator", "unit", "ci_method", "flag"):
        left = now[c].astype(object).where(now[c].notna(), "").astype(str).tolist()
        right = before[c].astype(object).where(before[c].notna(), "").astype(str).tolist()
        assert [v for v, k in zip(left, kept) if k] == [v for v, k in zip(right, kept) if k], c
        if c != "flag":
            assert left == right, c
    for c in ("numerator", "denominator", "value", "lower", "upper", "conf_level"):
        a = pd.to_numeric(now[c], errors="coerce").astype(float).to_numpy()[kept]
        b = pd.to_numeric(before[c], errors="coerce").astype(float).to_numpy()[kept]
        assert ((a == b) | (np.isnan(a) & np.isnan(b))).all(), c


# --- 6. -2 = 未开展 -----------------------------------------------------------------------------


def test_minus_two_is_not_carried_out_neither_zero_nor_missing(tmp_path):
    rows = [
        _county(活产数=1000, 产妇数=990, 产前筛查人数=-2, 孕产妇艾滋病检测人数=-2, 孕产妇梅毒检测人数=985),
        {
            **_county(
                活产数=800, 产妇数=790, 产前筛查人数=700, 孕产妇艾滋病检测人数="", 孕产妇梅毒检测人数=780
            ),
            "行政区划代码": "990102",
            "地区": "乙县",
        },
    ]
    result = load_counts(_write(tmp_path, rows))  # no error for -2
    counts, findings = result.counts, result.findings
    note = findings[findings["check"] == "not_carried_out"]
    assert set(note["item"]) == {"prenatal_screened", "hiv_tested"} and set(note["severity"]) == {"info"}
    assert "未开展" in note.iloc[0]["message_zh"]
    c = counts.set_index("region_code")
    assert c.loc["990101", "prenatal_screened"] is pd.NA  # not 0
    listed = counts.attrs["not_carried_out"]
    assert sorted(listed) == [("990101", 2024, "hiv_tested"), ("990101", 2024, "prenatal_screened")]

    table = compute_indicators(counts).set_index(["region_code", "indicator"])
    for ind in ("prenatal_screening_rate", "pregnant_hiv_testing_rate"):
        row = table.loc[("990101", ind)]
        assert np.isnan(row["value"]) and row["flag"] == "not_carried_out", ind
    # an empty cell stays "not reported"
    assert table.loc[("990102", "pregnant_hiv_testing_rate"), "flag"] == "numerator_not_reported"
    assert table.loc[("990102", "prenatal_screening_rate"), "flag"] == ""

    # never scored against a target
    out = evaluate_targets(table.reset_index(), "emtct_national").set_index(["region_code", "indicator"])
    assert out.loc[("990101", "pregnant_hiv_testing_rate"), "status"] == "no_data"
    assert out.loc[("990101", "pregnant_syphilis_testing_rate"), "status"] == "met"


def test_other_negative_numbers_are_still_errors(tmp_path):
    found = _errors(_findings(tmp_path, _county(活产数=1000, 产前筛查人数=-3)))
    assert list(found["check"]) == ["negative"] and found.iloc[0]["column"] == "产前筛查人数"


def test_a_new_measure_written_only_as_minus_two_is_kept(tmp_path):
    counts = load_counts(_write(tmp_path, [_county(活产数=1000, 死胎死产数=-2)])).counts
    assert "stillbirths" in counts.columns and counts.loc[0, "stillbirths"] is pd.NA
    assert counts.attrs["not_carried_out"] == (("990101", 2024, "stillbirths"),)


def test_a_city_total_above_its_counties_sum_leaves_the_summed_cell_empty_and_says_why(tmp_path):
    # a real 年报 extract (shape_check seeds 311, 26982): the city's own 活产数 counts a county
    # whose row is not in the file, and its 围产儿数 is left to the counties present (2,009, below
    # the city's 2,900 live births). Filled, the city's perinatal counts would be impossible; not
    # filled, the city's other rates and every county are computed, and the warning says why.
    from mchanalysis.indicators import compute_indicators

    path = _write(tmp_path, [_city(活产数=2900), *_two_counties()])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    counts, findings = validate_counts(raw, file=path)
    assert _errors(findings).empty
    hit = findings[findings["check"] == "children_sum_withheld"]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert (row["severity"], row["region_code"], row["row"], row["column"], row["item"]) == (
        "warning",
        "990100",
        2,
        "围产儿数",
        "perinatal_births",
    )
    en, zh = row["message_en"], row["message_zh"]
    assert "they sum to 2,009, below the region's own live births = 2,900" in en
    assert "sub-regions' live births (2,000)" in en and "row is likely missing from the file" in en
    assert "990100's own perinatal births" in en
    assert (
        "下辖地区合计为2,009" in zh and "高于下辖地区合计2,000" in zh and "文件可能缺少某个下辖地区的行" in zh
    )
    # the reported total's own disagreement is still said, with both numbers
    assert len(findings[findings["check"] == "parent_children_mismatch"]) == 1

    agg = aggregate_counts(counts)
    city = agg.counts.set_index("region_code").loc["990100"]
    assert city["live_births"] == 2900 and pd.isna(city["perinatal_births"])
    assert city["perinatal_deaths"] == 11  # a sum nothing contradicts is filled as before
    got = agg.withheld[
        ["region_code", "measure", "children_sum", "against", "reported", "against_children_sum"]
    ]
    assert got.values.tolist() == [["990100", "perinatal_births", 2009, "live_births", 2900, 2000]]
    inc = agg.incomplete.set_index(["region_code", "measure"])
    assert inc.loc[("990100", "perinatal_births"), "missing_children"] == ""
    # the city's perinatal mortality stands on its counties' sums of both counts (5 + 6 deaths in
    # 1,004 + 1,005 perinatal births), never on a count the city contradicts
    ind = compute_indicators(counts)
    pmr = ind[ind["indicator"] == "perinatal_mortality_rate"].set_index("region_code")
    assert pmr.loc["990100", ["numerator", "denominator"]].tolist() == [11, 2009]
    assert pmr.loc["990100", "value"] == pytest.approx(11 / 2009 * 1000)
    assert pmr.loc["990100", "flag"] == "subregion_basis"
    assert pmr.loc[["990101", "990102"], "flag"].tolist() == ["", ""]
    # a city that reports its own perinatal deaths too: its rate is still its counties' pair
    path = _write(tmp_path, [_city(活产数=2900, 围产儿死亡数=12), *_two_counties()], name="d.csv")
    ind = compute_indicators(load_counts(path).counts)
    pmr = ind[ind["indicator"] == "perinatal_mortality_rate"].set_index("region_code")
    assert pmr.loc["990100", ["numerator", "denominator", "flag"]].tolist() == [11, 2009, "subregion_basis"]
