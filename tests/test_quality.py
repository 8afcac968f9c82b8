"""Data-quality review: each check fires where it should, and nothing fires on clean data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis.quality import (
    CHECKS,
    FINDING_COLUMNS,
    local_expected,
    modified_z,
    position_scale,
    review_quality,
    summarise_quality,
)
from mchanalysis.schema import MEASURES

P, A, B = "990000", "990001", "990002"
YEARS = list(range(2012, 2022))


def clean_counts() -> pd.DataFrame:
    """A province and two counties, 2012-2021, smooth trends, large counts, every rule satisfied."""
    rows = []
    for code, name, parent, level in [
        (P, "示例省", "", "province"),
        (A, "甲县", P, "county"),
        (B, "乙县", P, "county"),
    ]:
        for y in YEARS:
            r = {"region_code": code, "region_name": name, "parent_code": parent, "level": level, "year": y}
            if level == "county":
                k = y - 2012
                lb = 20_000 + 200 * k + (1_000 if code == B else 0)
                cov = 0.85 + 0.01 * k
                r.update(
                    {
                        "live_births": lb,
                        "deliveries": round(lb * 0.99),
                        "maternal_deaths": 3,
                        "neonatal_deaths": round(lb * (5 - 0.2 * k) / 1000),
                        "infant_deaths": round(lb * (8 - 0.3 * k) / 1000),
                        "under5_deaths": round(lb * (10 - 0.4 * k) / 1000),
                        "perinatal_births": lb + 100,
                        "birth_defects": round(lb * 0.012),
                        "low_birth_weight": round(lb * 0.03),
                        "cesarean_deliveries": round(lb * 0.99 * 0.4),
                        "high_risk_pregnancies": round(lb * 0.99 * 0.3),
                        "high_risk_managed": round(lb * 0.99 * 0.3 * 0.98),
                        "children_under3": 3 * lb,
                        "children_under3_managed": round(3 * lb * cov),
                        "children_under7": 7 * lb,
                        "children_under7_managed": round(7 * lb * cov),
                        "infants_0_6m_surveyed": round(lb * 0.4),
                        "exclusive_breastfed": round(lb * 0.4 * 0.5),
                        "marriages_registered": round(lb * 0.8),
                        "premarital_examined": round(lb * 0.8 * 0.6),
                        "cervical_screen_target": 10 * lb,
                        "cervical_screened": round(10 * lb * (0.3 + 0.02 * k)),
                        "breast_screen_target": 10 * lb,
                        "breast_screened": round(10 * lb * (0.3 + 0.02 * k)),
                        "prenatal_checked": round(lb * 0.97),
                    }
                )
                for m in (
                    "early_registered",
                    "maternal_system_managed",
                    "postpartum_visited",
                    "hospital_births",
                    "prenatal_screened",
                    "newborn_metabolic_screened",
                    "newborn_hearing_screened",
                    "newborn_visited",
                ):
                    r[m] = round(lb * cov)
            rows.append(r)
    df = pd.DataFrame(rows)
    for m in MEASURES:
        df[m] = pd.array(df[m] if m in df else [None] * len(df), dtype="Int64")
    return df


def set_cell(df, code, year, measure, value):
    df = df.copy()
    df.loc[(df["region_code"] == code) & (df["year"] == year), measure] = value
    return df


def where(f, check):
    return set(map(tuple, f.loc[f["check"] == check, ["region_code", "year", "item"]].astype(object).values))


@pytest.fixture(scope="module")
def clean_findings():
    return review_quality(clean_counts())


def test_clean_data_give_no_finding(clean_findings):
    assert clean_findings.empty, clean_findings[["region_code", "year", "item", "check"]]
    assert tuple(clean_findings.columns) == FINDING_COLUMNS


# --- completeness ---------------------------------------------------------------------------


def test_missing_region_year_row():
    df = clean_counts()
    df = df[~((df["region_code"] == B) & (df["year"] == 2016))]
    f = review_quality(df)
    assert where(f, "region_not_reported") == {(B, 2016, "")}
    row = f[f["check"] == "region_not_reported"].iloc[0]
    assert row["severity"] == "warning" and "2016年乙县未上报" in row["message_zh"]
    assert set(f["check"]) == {"region_not_reported"}


def test_county_row_with_every_measure_empty_is_one_finding():
    df = clean_counts()
    df.loc[(df["region_code"] == A) & (df["year"] == 2015), list(MEASURES)] = pd.NA
    f = review_quality(df)
    assert where(f, "region_not_reported") == {(A, 2015, "")}
    assert "measure_not_reported" not in set(f["check"])


def test_missing_measure_cell_and_empty_parent_cells_are_fine():
    df = set_cell(clean_counts(), B, 2019, "maternal_system_managed", pd.NA)
    f = review_quality(df)
    assert where(f, "measure_not_reported") == {(B, 2019, "maternal_system_managed")}
    msg = f.loc[f["check"] == "measure_not_reported", "message_zh"].iloc[0]
    assert msg == "2019年孕产妇系统管理人数未上报"
    assert set(f["check"]) == {"measure_not_reported"}  # the province's empty cells are not findings


def test_measure_never_collected_is_one_info_finding():
    df = clean_counts()
    df["exclusive_breastfed"] = pd.array([pd.NA] * len(df), dtype="Int64")
    f = review_quality(df)
    assert where(f, "measure_not_collected") == {("", None, "exclusive_breastfed")} or where(
        f, "measure_not_collected"
    ) == {("", pd.NA, "exclusive_breastfed")}
    assert f.loc[f["check"] == "measure_not_collected", "severity"].iloc[0] == "info"
    assert set(f["check"]) == {"measure_not_collected"}


# --- internal consistency -------------------------------------------------------------------


def test_impossible_counts_are_errors():
    df = set_cell(clean_counts(), A, 2015, "neonatal_deaths", 500)  # infant deaths ~ 150
    df = set_cell(df, B, 2017, "children_under3", 10**6)  # above children under 7
    f = review_quality(df)
    got = where(f, "impossible_count")
    assert (A, 2015, "neonatal_deaths") in got
    assert (B, 2017, "children_under3") in got
    assert set(f.loc[f["check"] == "impossible_count", "severity"]) == {"error"}


def test_service_count_above_its_denominator_is_over_100():
    df = clean_counts()
    lb = int(df.loc[(df["region_code"] == A) & (df["year"] == 2020), "live_births"].iloc[0])
    df = set_cell(df, A, 2020, "newborn_visited", lb + 50)
    f = review_quality(df)
    assert where(f, "over_100") == {(A, 2020, "newborn_visited")}
    r = f[f["check"] == "over_100"].iloc[0]
    assert (r["value"], r["expected"], r["severity"]) == (lb + 50, lb, "warning")
    assert "新生儿访视率超过100%" in r["message_zh"]


def test_deliveries_to_live_births_ratio():
    df = clean_counts()
    lb = int(df.loc[(df["region_code"] == A) & (df["year"] == 2018), "live_births"].iloc[0])
    df = set_cell(df, A, 2018, "deliveries", round(lb * 0.93))
    f = review_quality(df)
    assert where(f, "deliveries_ratio") == {(A, 2018, "deliveries")}
    assert f.loc[f["check"] == "deliveries_ratio", "value"].iloc[0] == pytest.approx(0.93, abs=1e-4)
    assert review_quality(df, deliveries_ratio=(0.9, 1.05)).query("check == 'deliveries_ratio'").empty


def test_parent_total_differing_from_its_children():
    df = clean_counts()
    total = int(df.loc[df["year"] == 2020, "live_births"].sum())
    df = set_cell(df, P, 2020, "live_births", total + 37)
    f = review_quality(df)
    assert where(f, "parent_children_mismatch") == {(P, 2020, "live_births")}
    assert "相差+37" in f.loc[f["check"] == "parent_children_mismatch", "message_zh"].iloc[0]


# --- denominators and outliers on the counts ------------------------------------------------


def test_denominator_jump_is_flagged_both_ways():
    df = clean_counts()
    lb = int(df.loc[(df["region_code"] == A) & (df["year"] == 2018), "live_births"].iloc[0])
    df = set_cell(df, A, 2018, "live_births", round(lb * 1.4))
    f = review_quality(df)
    got = {k for k in where(f, "denominator_change") if k[2] == "live_births"}
    assert got == {(A, 2018, "live_births"), (A, 2019, "live_births")}
    msg = f[(f["check"] == "denominator_change") & (f["year"] == 2018)]["message_zh"].iloc[0]
    assert msg == "2018年活产数较上年变化+41%（21,000→29,680），请核实分母"


def test_small_denominator_change_within_chance_needs_significance_off():
    df = clean_counts()
    for y, v in zip(YEARS, [20, 21, 20, 22, 21, 28, 27, 28, 29, 28]):
        df = set_cell(df, A, y, "high_risk_pregnancies", v)
        df = set_cell(df, A, y, "high_risk_managed", v)
    f = review_quality(df)
    assert not any(k[0] == A for k in where(f, "denominator_change"))
    f2 = review_quality(df, require_significance=False)
    assert (A, 2017, "high_risk_pregnancies") in where(f2, "denominator_change")


def test_outlier_year_in_a_county():
    df = clean_counts()
    lb = int(df.loc[(df["region_code"] == B) & (df["year"] == 2017), "live_births"].iloc[0])
    df = set_cell(df, B, 2017, "hospital_births", lb // 3)  # a third: no power of ten, an outlier
    f = review_quality(df)
    assert not f["category"].eq("entry_error").any()
    ext = where(f, "outlier_extreme")
    assert (B, 2017, "hospital_delivery_rate") in ext
    assert {k[1] for k in ext} == {2017}
    r = f[(f["check"] == "outlier_extreme") & (f["region_code"] == B)].iloc[0]
    assert r["expected"] == pytest.approx(0.85 * 100 + 5, abs=0.5)
    assert "极端离群值" in r["message_zh"]


# --- outliers and consistency over time on a hand-made indicator table ---------------------


def table_of(values, *, half_width=0.5, numerator=1000, indicator="newborn_visit_rate"):
    years = list(range(2012, 2012 + len(values)))
    return pd.DataFrame(
        {
            "region_code": A,
            "region_name": "甲县",
            "year": years,
            "indicator": indicator,
            "numerator": numerator,
            "denominator": 2000,
            "value": values,
            "lower": [v - half_width for v in values],
            "upper": [v + half_width for v in values],
        }
    )


def review_table(tab, **kw):
    return review_quality(clean_counts(), indicator_table=tab, **kw)


BASE = [50, 52, 48, 51, 49, 50, 53, 47, 50]


def test_modified_z_by_hand():
    # median 50; |deviations| 0,2,2,1,1,0,3,3,0,6.67 -> MAD 1.5; M = 0.6745 * 6.67 / 1.5 = 3.0
    z = modified_z(np.array([BASE + [56.67]]))
    assert z[0, -1] == pytest.approx(0.6745 * 6.67 / 1.5)
    assert z[0, 1] == pytest.approx(0.6745 * 2 / 1.5)


def test_modified_z_falls_back_to_mean_absolute_deviation_when_mad_is_zero():
    z = modified_z(np.array([[10.0, 10, 10, 10, 14]]))
    assert z[0, -1] == pytest.approx(4 / (1.253314 * 0.8))
    assert np.all(modified_z(np.array([[5.0, 5, 5]])) == 0)


def test_moderate_and_extreme_outliers_on_their_thresholds():
    f = review_table(table_of(BASE + [56.67]), detrend=False)
    assert where(f, "outlier_moderate") == {(A, 2021, "newborn_visit_rate")}
    assert where(f, "outlier_extreme") == set()
    f = review_table(table_of(BASE + [60.0]), detrend=False)  # M = 4.5
    assert where(f, "outlier_extreme") == {(A, 2021, "newborn_visit_rate")}
    f = review_table(table_of(BASE + [54.0]), detrend=False)  # M = 1.8
    assert where(f, "outlier_extreme") | where(f, "outlier_moderate") == set()


def test_outlier_needs_the_interval_to_exclude_the_expected_value():
    f = review_table(table_of(BASE + [60.0], half_width=15), detrend=False)
    assert where(f, "outlier_extreme") == set()
    f = review_table(table_of(BASE + [60.0], half_width=15), detrend=False, require_significance=False)
    assert where(f, "outlier_extreme") == {(A, 2021, "newborn_visit_rate")}


def test_rare_event_series_are_not_assessed():
    f = review_table(table_of(BASE + [60.0], numerator=3), detrend=False)
    assert where(f, "outlier_extreme") == set()


def test_steady_trend_is_not_an_outlier_when_detrended():
    values = [30 - 2 * k for k in range(10)]  # MMR-like steady fall
    f = review_table(table_of(values, indicator="nmr"))
    assert where(f, "outlier_extreme") | where(f, "outlier_moderate") == set()


def test_consistency_over_time_against_mean_of_three_preceding_years():
    values = [10.0] * 9 + [14.0]  # +40% against the mean of 10
    f = review_table(table_of(values, half_width=0.5))
    assert where(f, "consistency_over_time") == {(A, 2021, "newborn_visit_rate")}
    r = f[f["check"] == "consistency_over_time"].iloc[0]
    assert r["expected"] == pytest.approx(10.0)
    assert "较前三年均值（10.00%）变化+40%" in r["message_zh"]
    f = review_table(table_of([10.0] * 9 + [13.0], half_width=0.5))  # +30% is within 0.33
    assert where(f, "consistency_over_time") == set()
    f = review_table(table_of(values, half_width=0.5), consistency_threshold=0.5)
    assert where(f, "consistency_over_time") == set()


def test_consistency_change_within_chance_is_not_flagged():
    values = [10.0] * 9 + [14.0]
    f = review_table(table_of(values, half_width=5))  # se ~ 2.55: +4 is within 1.96 * 2.94
    assert where(f, "consistency_over_time") == set()
    f = review_table(table_of(values, half_width=5), require_significance=False)
    assert where(f, "consistency_over_time") == {(A, 2021, "newborn_visit_rate")}


def test_end_years_are_judged_on_their_wider_scatter():
    s = position_scale(tuple(range(2010, 2025)))
    assert s[0] > 1.3 and s[-1] > 1.3  # extrapolated ends scatter more
    assert np.all(s[3:-3] < 1.05)
    assert np.array_equal(s, position_scale(tuple(range(2010, 2025))))  # deterministic


# --- robust trend helper ------------------------------------------------------


def test_local_expectation_ignores_the_point_itself():
    x = np.arange(10, dtype=float)
    y = 3 + 2 * x
    y_spiked = y.copy()
    y_spiked[5] = 100
    E = local_expected(x, np.vstack([y, y_spiked]))
    assert E[0] == pytest.approx(y)
    assert E[1, 5] == pytest.approx(y[5])  # its own value does not enter


# --- output contract -------------------------------------------------------------------------


def test_summary_lists_every_check_with_counts():
    df = set_cell(clean_counts(), B, 2019, "maternal_system_managed", pd.NA)
    s = summarise_quality(review_quality(df))
    assert list(s["check"]) == list(CHECKS)
    s = s.set_index("check")
    assert s.loc["measure_not_reported", "findings"] == 1
    assert s.loc["outlier_extreme", "findings"] == 0


def test_findings_are_sorted_and_deterministic():
    df = set_cell(clean_counts(), A, 2015, "neonatal_deaths", 500)
    df = set_cell(df, B, 2019, "maternal_system_managed", pd.NA)
    f1 = review_quality(df)
    f2 = review_quality(df.sample(frac=1, random_state=3))
    pd.testing.assert_frame_equal(f1, f2)
    assert list(f1["region_code"]) == sorted(f1["region_code"])


def test_bad_thresholds_are_user_errors():
    with pytest.raises(MchError):
        review_quality(clean_counts(), outlier_moderate=4, outlier_extreme=3.5)
    with pytest.raises(MchError):
        review_quality(clean_counts().drop(columns="year"))


# --- the demo data's deliberate problems (read through the package's loader) ----------------


def test_demo_data_deliberate_problems_are_found():
    from mchanalysis.demo import DEMO_CSV
    from mchanalysis.validation import load_counts

    f = review_quality(load_counts(DEMO_CSV).counts)
    # 石桥县 2020: second digit of hospital births dropped (1,599 -> 199): one entry error
    assert where(f, "digit_jump") == {("990106", 2020, "hospital_births")}
    assert ("990106", 2020, "hospital_delivery_rate") not in where(f, "outlier_extreme")
    assert not f["check"].isin(["rate_typed_as_count", "exceeds_parent_total"]).any()
    assert ("990305", 2019, "maternal_system_managed") in where(f, "measure_not_reported")
    assert ("990102", 2021, "prenatal_checked") in where(f, "over_100")
    assert ("990200", 2023, "live_births") in where(f, "parent_children_mismatch")
    assert "impossible_count" not in set(f["check"])


def test_dropped_digit_is_one_entry_error_not_an_outlier_too():
    df = clean_counts()
    lb = int(df.loc[(df["region_code"] == B) & (df["year"] == 2017), "live_births"].iloc[0])
    hb = int(df.loc[(df["region_code"] == B) & (df["year"] == 2017), "hospital_births"].iloc[0])
    df = set_cell(df, B, 2017, "hospital_births", hb // 10)  # a digit dropped
    f = review_quality(df)
    assert where(f, "digit_jump") == {(B, 2017, "hospital_births")}
    r = f[f["check"] == "digit_jump"].iloc[0]
    assert (r["severity"], r["category"], r["value"]) == ("warning", "entry_error", hb // 10)
    assert "漏录了一位数字" in r["message_zh"] and "1/10" in r["message_zh"]
    # the cell, and the province filled from it, are reported once: no outlier, no change on top
    assert where(f, "outlier_extreme") == set()
    assert where(f, "consistency_over_time") == set()
    assert lb > 0


def test_one_outlier_year_does_not_flag_the_three_after_it():
    values = [10.0] * 6 + [40.0] + [10.0] * 3  # 2018 is an extreme outlier
    f = review_table(table_of(values, half_width=0.5))
    assert (A, 2018, "newborn_visit_rate") in where(f, "outlier_extreme")
    # without leaving 2018 out, 2019-2021 would be -50% against a mean of 20
    assert where(f, "consistency_over_time") == {(A, 2018, "newborn_visit_rate")}


def test_rate_typed_as_count_and_county_above_parent_in_the_review():
    df = clean_counts()
    df = set_cell(df, A, 2019, "early_registered", 92)  # 92%: the rate in the count's cell
    df = set_cell(df, P, 2020, "live_births", 22_000)  # the province's own total: 甲县 21,600, 乙县 22,600
    f = review_quality(df)
    assert where(f, "rate_typed_as_count") == {(A, 2019, "early_registered")}
    assert where(f, "exceeds_parent_total") == {(B, 2020, "live_births")}
    assert set(f.loc[f["check"].isin(["rate_typed_as_count", "exceeds_parent_total"]), "category"]) == {
        "entry_error"
    }
    # the typo's rate is not reported again as an outlier or a change, in the county or above it
    hit = f[(f["item"] == "early_registration_rate") & (f["year"] == 2019)]
    assert hit.empty, hit[["region_code", "check"]]


def test_entry_errors_alone():
    from mchanalysis.quality import entry_errors

    df = set_cell(clean_counts(), B, 2015, "children_under7", 10 * 7 * 21_600)
    f = entry_errors(df)
    assert where(f, "digit_jump") == {(B, 2015, "children_under7")}
    assert entry_errors(clean_counts()).empty


def test_combine_findings_lists_entry_errors_first_and_each_finding_once():
    from mchanalysis.quality import COMBINED_COLUMNS, combine_findings
    from mchanalysis.validation import validate_counts

    df = set_cell(clean_counts(), A, 2019, "early_registered", 92)
    df = set_cell(df, A, 2020, "prenatal_checked", 30_000)  # above live births: over_100 in both
    raw = df.astype(object).where(df.notna(), "").astype(str)
    _, load = validate_counts(raw, file="x.csv", max_year=2025)
    review = review_quality(df)
    both = combine_findings(load, review)
    assert tuple(both.columns) == COMBINED_COLUMNS
    assert both.iloc[0]["check"] == "rate_typed_as_count" and both.iloc[0]["file"] == "x.csv"
    assert both.iloc[0]["row"] is not None and both.iloc[0]["region_name"] == "甲县"
    assert list(both["category"]) == sorted(
        both["category"], key=["entry_error", "invalid", "verify", "notice"].index
    )
    key = ["check", "region_code", "year", "item"]
    assert not both[both["region_code"] != ""].duplicated(key).any()
    assert len(both[(both["check"] == "over_100") & (both["item"] == "prenatal_checked")]) == 1
    assert ((load["check"] == "over_100") & (load["item"] == "prenatal_checked")).sum() == 1
    assert ((review["check"] == "over_100") & (review["item"] == "prenatal_checked")).sum() == 1
    assert combine_findings(None, review.iloc[:0]).empty


def test_every_check_has_a_name_for_people_in_both_languages():
    """The notebooks' tables name each check; a check added without a name would show its id."""
    from mchanalysis.quality import CHECK_NAMES, CHECKS

    assert set(CHECK_NAMES) == set(CHECKS)
    assert all(zh and en and not zh.isascii() for zh, en in CHECK_NAMES.values())


def test_one_findings_schema_both_languages_as_fields():
    """Validation's and the quality review's findings use the field names of COMBINED_COLUMNS
    (no field of their own), with the message in both languages."""
    from mchanalysis import validation
    from mchanalysis.quality import COMBINED_COLUMNS, FINDING_COLUMNS

    for columns in (validation.FINDING_COLUMNS, FINDING_COLUMNS):
        assert {"message_zh", "message_en"} <= set(columns)
        assert "message" not in columns
        assert set(columns) <= set(COMBINED_COLUMNS)
    assert tuple(validation.empty_findings().columns) == validation.FINDING_COLUMNS


def test_the_over_100_rule_gives_the_same_cells_in_validation_review_and_indicator_table():
    from mchanalysis.indicators import compute_indicators
    from mchanalysis.quality import over_100
    from mchanalysis.registry import load_registry
    from mchanalysis.validation import validate_counts

    df = set_cell(clean_counts(), A, 2020, "prenatal_checked", 30_000)  # a registry pair
    lb = int(df.loc[(df["region_code"] == B) & (df["year"] == 2019), "live_births"].iloc[0])
    df = set_cell(df, B, 2019, "newborn_visited", lb + 1)
    cells = {(A, 2020, "prenatal_checked"), (B, 2019, "newborn_visited")}
    assert where(over_100(df), "over_100") >= cells
    assert where(review_quality(df), "over_100") == where(over_100(df), "over_100")
    raw = df.astype(object).where(df.notna(), "").astype(str)
    counts, load = validate_counts(raw, file="x.csv", max_year=2025)
    assert where(load, "over_100") == where(over_100(df), "over_100")
    assert load.loc[load["check"] == "over_100", "row"].notna().all()
    t = compute_indicators(counts, aggregate=False)
    reg = load_registry().set_index("id")
    flagged = t[t["flag"].str.contains("over_100")]
    assert {(r.region_code, r.year, reg.loc[r.indicator, "numerator"]) for r in flagged.itertuples()} == {
        c
        for c in where(over_100(df), "over_100")
        if c[2] in set(reg.loc[reg["kind"] == "proportion", "numerator"])
    }


def test_row_medians_minima_maxima_are_numpys_to_the_last_bit():
    # the one-sort medians of the entry-error and outlier checks replace numpy.nanmedian (which
    # goes through numpy.ma for short rows); they must give the same floats, NaN for empty rows
    import warnings

    from mchanalysis.quality import _nanmedian, _nanmedian_min_max

    rng = np.random.default_rng(20261204)
    for shape in [(400, 1), (400, 2), (300, 7), (200, 14), (40, 5, 6)]:
        for share_missing in (0.0, 0.3, 0.9):
            A = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 6, shape)
            A[rng.random(shape) < 0.05] = 7.0  # ties
            A[rng.random(shape) < share_missing] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                want = np.nanmedian(A, axis=-1), np.nanmin(A, axis=-1), np.nanmax(A, axis=-1)
            for got, ref in zip(_nanmedian_min_max(A), want):
                assert np.array_equal(got, ref, equal_nan=True)
            assert np.array_equal(_nanmedian(A, keepdims=True), want[0][..., None], equal_nan=True)
