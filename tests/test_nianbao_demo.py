"""The demo generator's 年报 measures (issue 16): opt-in, reproducible, plausible, and leaving
the committed demo's columns and bytes as they were."""

from __future__ import annotations

import pandas as pd
import pytest

from mchanalysis.demo import generate_demo_counts, write_demo_csv
from mchanalysis.indicators import compute_indicators, load_registry
from mchanalysis.schema import ID_COLUMNS, MEASURES, NIANBAO_MEASURES
from mchanalysis.validation import load_counts


@pytest.fixture(scope="module")
def pair():
    return generate_demo_counts(), generate_demo_counts(nianbao=True)


@pytest.fixture(scope="module")
def province(pair):
    _, new = pair
    return new[new["level"] == "county"].groupby("year")[[*MEASURES, *NIANBAO_MEASURES]].sum()


def test_default_demo_is_unchanged_and_the_core_columns_are_identical(pair):
    old, new = pair
    assert list(old.columns) == [*ID_COLUMNS, *MEASURES]  # the committed file's columns
    assert list(new.columns) == [*ID_COLUMNS, *MEASURES, *NIANBAO_MEASURES]
    pd.testing.assert_frame_equal(old, new[list(old.columns)])  # own streams: no core draw moved


def test_reproducible(pair):
    pd.testing.assert_frame_equal(pair[1], generate_demo_counts(nianbao=True))
    assert not generate_demo_counts(seed=1, nianbao=True)["stillbirths"].equals(pair[1]["stillbirths"])


def test_counties_carry_them_and_parents_are_left_to_aggregation(pair):
    _, new = pair
    county = new["level"] == "county"
    assert new.loc[county, list(NIANBAO_MEASURES)].notna().all().all()
    assert new.loc[~county, list(NIANBAO_MEASURES)].isna().all().all()


def test_identities_of_the_annual_report_hold(pair):
    _, d = pair
    d = d[d["level"] == "county"]
    assert (d["stillbirths"] + d["early_neonatal_deaths"] == d["perinatal_deaths"]).all()
    assert (d["stillbirths"] == d["perinatal_births"] - d["live_births"]).all()
    assert (d["early_neonatal_deaths"] <= d["neonatal_deaths"]).all()
    for found, tested in (
        ("under5_underweight", "under5_weighed"),
        ("under5_stunted", "under5_height_measured"),
        ("under5_anaemic", "under5_hb_tested"),
        ("hiv_infected_infants", "hiv_exposed_infants"),
        ("hbv_infected_infants", "hbv_exposed_infants"),
        ("cervical_lesions_treated", "cervical_lesions_detected"),
        ("high_risk_hospital_births", "high_risk_pregnancies"),
    ):
        assert (d[found] <= d[tested]).all(), found


def test_it_validates_without_errors_and_gives_every_new_indicator(tmp_path):
    result = load_counts(write_demo_csv(tmp_path / "demo.csv", nianbao=True))
    assert not (result.findings["severity"] == "error").any()
    reg = load_registry()
    new = set(reg.loc[reg["numerator"].isin(list(NIANBAO_MEASURES)), "id"])
    table = compute_indicators(result.counts)
    assert new <= set(table["indicator"])


def test_levels_are_plausible(province):
    p = province
    pmr = p["perinatal_deaths"] / p["perinatal_births"] * 1000
    assert 8 < pmr[2010] < 14 and 4 < pmr[2024] < 8 and pmr[2024] < pmr[2010]
    stunting = p["under5_stunted"] / p["under5_height_measured"] * 100
    assert stunting[2024] < 5 < stunting[2010] + 1  # 健康儿童行动提升计划: < 5% by 2025
    eye = p["children_0_6_eye_checked"] / p["children_under7"] * 100
    assert eye[2024] > 90  # national 93.6% (2022)
    for test in ("hiv_tested", "syphilis_tested", "hbv_tested"):
        assert (p[test] / p["deliveries"])[2024] > 0.98, test
    cs = p["congenital_syphilis_cases"] / p["live_births"] * 1e5
    assert cs[2024] < 20 < cs[2010] < 120  # national 69.9 (2013) -> 6.3 (2023)
    assert p["hiv_exposed_infants"].between(5, 60).all()  # rare: small-number rules apply
    gyn = p["gyn_screened"] / p["gyn_screen_target"] * 100
    assert 50 < gyn[2010] < 65 and 70 < gyn[2024] < 85  # national 61.2% (2010), 75.5% (2018)
