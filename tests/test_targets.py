"""Target sets: loading, validation errors, and every verdict of evaluate_targets on hand-made rows."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from mchanalysis.errors import MchError
from mchanalysis.targets import RESULT_COLUMNS, TargetSet, evaluate_targets, load_target_set


def write(tmp_path, text, name="t.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


GOOD = """\
name: test
source: test plan (2022)
targets:
  - indicator: mmr
    target: 12
    comparison: "<="
    year: 2022
  - indicator: newborn_visit_rate
    target: 90
    comparison: ">="
    year: 2022
"""


def row(code, indicator, value, lower, upper, *, year=2022, num=None, den=None, conf=0.95):
    return {
        "region_code": code,
        "region_name": f"区{code}",
        "level": "county",
        "year": year,
        "indicator": indicator,
        "numerator": num,
        "denominator": den,
        "value": value,
        "lower": lower,
        "upper": upper,
        "unit": "",
        "ci_method": "",
        "conf_level": conf,
    }


def one(tmp_path, rows):
    ts = load_target_set(write(tmp_path, GOOD))
    out = evaluate_targets(pd.DataFrame(rows), ts, year=2022)
    return out


# --- shipped sets -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["national_2030", "national_2025", "seed001_district_2022"])
def test_shipped_target_sets_load_by_name_with_their_source(name):
    ts = load_target_set(name)
    assert ts.name == name
    assert ts.source
    assert len(ts.targets) > 0
    assert set(ts.targets["comparison"]) <= {"<=", ">="}


def test_seed001_district_plan_holds_the_quoted_values():
    t = load_target_set("seed001_district_2022").targets.set_index("indicator")
    expected = {
        "prenatal_screening_rate": (80, ">="),
        "newborn_metabolic_screening_rate": (98, ">="),
        "newborn_hearing_screening_rate": (90, ">="),
        "mmr": (12, "<="),
        "u5mr": (6, "<="),
        "imr": (5, "<="),
        "nmr": (3, "<="),
        "newborn_visit_rate": (90, ">="),
        "under7_health_management_rate": (90, ">="),
        "early_registration_rate": (90, ">="),
        "postpartum_visit_rate": (90, ">="),
        "cervical_screening_rate": (70, ">="),
        "breast_screening_rate": (70, ">="),
    }
    assert set(t.index) == set(expected)
    for ind, (value, comp) in expected.items():
        assert t.loc[ind, "target"] == value and t.loc[ind, "comparison"] == comp, ind
    assert set(t["year"]) == {2022}


def test_national_2030_mortality_targets():
    t = load_target_set("national_2030").targets.set_index("indicator")
    assert (t.loc["mmr", "target"], t.loc["imr", "target"]) == (12, 5)
    assert (t.loc["u5mr", "target"], t.loc["nmr", "target"]) == (6, 3)
    assert set(t.loc[["mmr", "imr", "u5mr", "nmr"], "year"]) == {2030}
    # 出生缺陷防治能力提升计划 (2023—2027): 产前筛查率 ≥90% by 2027, the only non-2030 entry
    assert set(t["year"]) == {2027, 2030}
    assert (t.loc["prenatal_screening_rate", "target"], t.loc["prenatal_screening_rate", "year"]) == (
        90,
        2027,
    )


def test_unknown_name_suggests_the_closest_set():
    with pytest.raises(MchError, match="national_2030"):
        load_target_set("national_2031")


# --- validation -------------------------------------------------------------------------------


def test_unknown_indicator_names_file_entry_and_closest_id(tmp_path):
    p = write(tmp_path, GOOD.replace("indicator: mmr", "indicator: mmrr"))
    with pytest.raises(MchError) as e:
        load_target_set(p)
    msg = str(e.value)
    assert "t.yaml" in msg and "targets entry 1" in msg and "'mmrr'" in msg and "'mmr'" in msg


def test_chinese_name_instead_of_id_points_to_the_id(tmp_path):
    p = write(tmp_path, GOOD.replace("indicator: newborn_visit_rate", "indicator: 新生儿访视率"))
    with pytest.raises(MchError, match="targets entry 2.*'newborn_visit_rate'"):
        load_target_set(p)


def test_bad_comparison_is_an_error(tmp_path):
    p = write(tmp_path, GOOD.replace('comparison: ">="', 'comparison: ">"'))
    with pytest.raises(MchError, match=r"targets entry 2 \(line \d+\).*comparison must be"):
        load_target_set(p)


def test_non_numeric_target_is_an_error(tmp_path):
    p = write(tmp_path, GOOD.replace("target: 12", "target: 12/10万"))
    with pytest.raises(MchError, match="targets entry 1.*target must be a number"):
        load_target_set(p)


def test_missing_field_is_an_error(tmp_path):
    p = write(tmp_path, GOOD.replace("    year: 2022\n  - indicator: newborn", "  - indicator: newborn"))
    with pytest.raises(MchError, match="targets entry 1.*missing field 'year'"):
        load_target_set(p)


def test_missing_source_is_an_error(tmp_path):
    p = write(tmp_path, GOOD.replace("source: test plan (2022)\n", ""))
    with pytest.raises(MchError, match="missing field 'source'"):
        load_target_set(p)


def test_misspelt_field_is_not_silently_ignored(tmp_path):
    p = write(tmp_path, GOOD.replace('comparison: "<="', 'comparison: "<="\n    nots: x'))
    with pytest.raises(MchError, match="unknown field 'nots'.*'note'"):
        load_target_set(p)


def test_duplicate_indicator_year_is_an_error(tmp_path):
    p = write(tmp_path, GOOD + '  - indicator: mmr\n    target: 10\n    comparison: "<="\n    year: 2022\n')
    with pytest.raises(MchError, match="targets entry 3.*duplicate target for mmr in 2022"):
        load_target_set(p)


def test_same_indicator_for_two_years_is_allowed(tmp_path):
    p = write(tmp_path, GOOD + '  - indicator: mmr\n    target: 10\n    comparison: "<="\n    year: 2025\n')
    assert len(load_target_set(p).targets) == 3


# --- evaluation: each status and status_ci ----------------------------------------------------


def test_lower_is_better_statuses(tmp_path):
    rows = [
        row("000001", "mmr", 10.0, 6.0, 11.5),  # CI below target: met / met
        row("000002", "mmr", 10.0, 4.0, 20.0),  # value met, CI straddles: met / indistinguishable
        row("000003", "mmr", 15.0, 13.0, 18.0),  # CI above: not_met / not_met
        row("000004", "mmr", 15.0, 8.0, 25.0),  # not_met / indistinguishable
    ]
    out = one(tmp_path, rows)
    out = out[out["indicator"] == "mmr"].set_index("region_code")
    assert list(out["status"]) == ["met", "met", "not_met", "not_met"]
    assert list(out["status_ci"]) == ["met", "indistinguishable", "not_met", "indistinguishable"]
    assert out.loc["000003", "gap"] == pytest.approx(3.0)


def test_higher_is_better_statuses(tmp_path):
    rows = [
        row("000001", "newborn_visit_rate", 95.0, 92.0, 97.0),
        row("000002", "newborn_visit_rate", 91.0, 85.0, 95.0),
        row("000003", "newborn_visit_rate", 80.0, 75.0, 84.0),
        row("000004", "newborn_visit_rate", 88.0, 80.0, 93.0),
    ]
    out = one(tmp_path, rows)
    out = out[out["indicator"] == "newborn_visit_rate"].set_index("region_code")
    assert list(out["status"]) == ["met", "met", "not_met", "not_met"]
    assert list(out["status_ci"]) == ["met", "indistinguishable", "not_met", "indistinguishable"]
    assert out.loc["000003", "gap"] == pytest.approx(-10.0)


def test_value_equal_to_target_meets_it_despite_floating_point(tmp_path):
    # 273 deaths in 45,500 births is exactly 6 per 1,000, but 273 * (1000 / 45500) is
    # 6.000000000000001 in binary floating point; 351 / 390 visits is 90% but 89.99999999999999.
    u5 = 273 * (1000 / 45500)
    visits = 351 * (100 / 390)
    assert u5 > 6 and visits < 90
    p = write(tmp_path, GOOD.replace("indicator: mmr\n    target: 12", "indicator: u5mr\n    target: 6"))
    rows = [
        row("000001", "u5mr", u5, 5.2, u5),  # upper exactly at the target: met by CI too
        row("000002", "newborn_visit_rate", visits, visits, 95.0),  # lower at the target
        row("000003", "u5mr", 9.0, 6.0, 12.0),  # lower bound touching: not entirely bad side
        row("000004", "newborn_visit_rate", 85.0, 80.0, 90.0),  # upper touching
    ]
    out = evaluate_targets(pd.DataFrame(rows), load_target_set(p)).set_index(["region_code", "indicator"])
    assert out.loc[("000001", "u5mr"), "status"] == "met"
    assert out.loc[("000001", "u5mr"), "status_ci"] == "met"
    assert out.loc[("000002", "newborn_visit_rate"), "status"] == "met"
    assert out.loc[("000002", "newborn_visit_rate"), "status_ci"] == "met"
    assert out.loc[("000003", "u5mr"), "status_ci"] == "indistinguishable"
    assert out.loc[("000004", "newborn_visit_rate"), "status_ci"] == "indistinguishable"


def test_region_without_a_value_is_no_data(tmp_path):
    rows = [
        row("000001", "mmr", 10.0, 6.0, 11.5),
        row("000002", "newborn_visit_rate", np.nan, np.nan, np.nan),  # denominator 0
    ]
    out = one(tmp_path, rows).set_index(["region_code", "indicator"])
    assert len(out) == 4  # every region × every target
    assert out.loc[("000001", "newborn_visit_rate"), "status"] == "no_data"  # no row at all
    assert out.loc[("000001", "newborn_visit_rate"), "status_ci"] == "no_data"
    assert out.loc[("000002", "newborn_visit_rate"), "status"] == "no_data"  # NaN value
    assert out.loc[("000002", "mmr"), "status_ci"] == "no_data"
    assert np.isnan(out.loc[("000002", "mmr"), "gap"])


def test_result_columns_metadata_and_order(tmp_path):
    rows = [row("000002", "mmr", 10.0, 6.0, 11.5), row("000001", "mmr", 10.0, 6.0, 11.5)]
    out = one(tmp_path, rows)
    assert tuple(out.columns) == RESULT_COLUMNS
    assert list(out["region_code"]) == ["000001", "000001", "000002", "000002"]
    assert list(out["indicator"]) == ["mmr", "newborn_visit_rate"] * 2
    first = out.iloc[0]
    assert (first["unit"], first["name_zh"], first["target_year"], first["year"]) == (
        "/10万",
        "孕产妇死亡率",
        2022,
        2022,
    )


def test_default_year_is_the_latest_of_the_table(tmp_path):
    rows = [
        row("000001", "mmr", 30.0, 25.0, 35.0, year=2021),
        row("000001", "mmr", 10.0, 6.0, 11.0, year=2023),
    ]
    ts = load_target_set(write(tmp_path, GOOD))
    out = evaluate_targets(pd.DataFrame(rows), ts)
    r = out[out["indicator"] == "mmr"].iloc[0]
    assert (r["year"], r["status"]) == (2023, "met")


def test_other_confidence_level_recomputes_the_interval_from_counts(tmp_path):
    # 82 of 100 newborns visited against >= 90%: the 95% Wilson interval lies below 90%
    # (not_met), the 99.8% interval reaches above it (indistinguishable). Expected limits from
    # statsmodels' proportion_confint(method="wilson"), a peer implementation.
    lo95, up95 = proportion_confint(82, 100, alpha=0.05, method="wilson")
    lo998, up998 = proportion_confint(82, 100, alpha=0.002, method="wilson")
    assert up95 < 0.90 < up998
    rows = [row("000001", "newborn_visit_rate", 82.0, lo95 * 100, up95 * 100, num=82, den=100)]
    ts = load_target_set(write(tmp_path, GOOD))
    at95 = evaluate_targets(pd.DataFrame(rows), ts, level=0.95).set_index("indicator")
    at998 = evaluate_targets(pd.DataFrame(rows), ts, level=0.998).set_index("indicator")
    assert at95.loc["newborn_visit_rate", "status_ci"] == "not_met"
    assert at998.loc["newborn_visit_rate", "status_ci"] == "indistinguishable"
    assert at998.loc["newborn_visit_rate", "upper"] == pytest.approx(up998 * 100, rel=1e-6)
    assert at998.loc["newborn_visit_rate", "lower"] == pytest.approx(lo998 * 100, rel=1e-6)


def test_confidence_level_as_percent_is_rejected(tmp_path):
    ts = load_target_set(write(tmp_path, GOOD))
    with pytest.raises(MchError, match="fraction"):
        evaluate_targets(pd.DataFrame([row("000001", "mmr", 1.0, 0.0, 2.0)]), ts, level=95)


def test_target_set_object_is_a_targetset(tmp_path):
    assert isinstance(load_target_set(write(tmp_path, GOOD)), TargetSet)


# --- the target set by report year (issue 10) ----------------------------------------------------

from mchanalysis.targets import resolve_target_set  # noqa: E402


@pytest.mark.parametrize(
    "year,expected",
    [
        (2021, "national_2025"),
        (2024, "national_2025"),
        (2025, "national_2025"),
        (2026, "national_2030"),
        (2030, "national_2030"),
    ],
)
def test_auto_target_set_follows_the_report_year(year, expected):
    name, companion, how = resolve_target_set("auto", year)
    assert (name, how) == (expected, "auto")
    assert companion == ("national_2030" if expected == "national_2025" else None)
    load_target_set(name)  # shipped


def test_a_named_target_set_is_kept_as_given():
    assert resolve_target_set("national_2030", 2024) == ("national_2030", None, "given")
    assert resolve_target_set(None, 2024) == (None, None, "none")


def test_2025_set_holds_the_2025_milestones_and_the_2027_prenatal_screening_target():
    t = load_target_set("national_2025").targets.set_index("indicator")
    assert t.loc["u5mr", "target"] == 6.6 and t.loc["u5mr", "year"] == 2025
    assert (t.loc["prenatal_screening_rate", "target"], t.loc["prenatal_screening_rate", "year"]) == (
        90,
        2027,
    )


@pytest.mark.parametrize("name", ["national_2025", "national_2030"])
def test_target_set_titles_are_proper_titles_in_each_language(name):
    ts = load_target_set(name)
    zh, en = ts.title("zh"), ts.title("en")
    assert zh.startswith("《") and "》" in zh
    assert not re.search(r"[A-Za-z]", zh), zh  # no English words in the Chinese title
    assert not re.search(r"[\u4e00-\u9fff]", en), en  # no Chinese in the English title


def test_a_target_set_is_read_again_when_its_file_changes_and_callers_get_their_own_tables(tmp_path):
    # load_target_set keeps what it read by (path, mtime, size): a report reads the same set ~17
    # times; an edited file must be read again, and a caller's change must not reach the next
    path = write(tmp_path, GOOD)
    first = load_target_set(path)
    first.targets.loc[:, "target"] = -1.0
    again = load_target_set(path)
    assert (again.targets["target"] > 0).all()
    edited = GOOD.replace("name: test\n", "name: edited\n")
    assert edited != GOOD
    write(tmp_path, edited)
    assert load_target_set(path).name == "edited"


def test_a_set_read_again_from_another_folder_carries_the_path_found_this_time(tmp_path, monkeypatch):
    # the read is kept by the file's resolved path: a relative path found from one folder must
    # not be handed out after a chdir (mch run's staging folders)
    (tmp_path / "a").mkdir()
    write(tmp_path / "a", GOOD)
    monkeypatch.chdir(tmp_path / "a")
    first = load_target_set("t.yaml")
    monkeypatch.chdir(tmp_path)
    again = load_target_set(tmp_path / "a" / "t.yaml")
    assert first.path == Path("t.yaml")
    assert again.path == tmp_path / "a" / "t.yaml"
