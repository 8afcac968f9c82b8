"""The synthetic demo data: reproducible, calibrated, and carrying its deliberate problems.

Calibration bounds come from China's published national series (data/reference/README.md):
MMR 30.0/10万 in 2010 (S24) and 14.3 in 2024 (S18, S20); IMR 13.1‰ (S24) and 4.0‰ (S19);
births peaking after the universal two-child policy of 2016. They are computed here from the
committed counts, not from the generator's parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import DEMO as COMMITTED  # noqa: E402

from mchanalysis.demo import DELIBERATE_PROBLEMS, generate_demo_counts, write_demo_csv
from mchanalysis.schema import ID_COLUMNS, MEASURES


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    """The committed file, read independently of the package's readers."""
    df = pd.read_csv(COMMITTED, dtype={"region_code": str, "parent_code": str}, keep_default_na=False)
    for m in MEASURES:
        df[m] = pd.to_numeric(df[m].replace("", np.nan)).astype("Int64")
    return df


@pytest.fixture(scope="module")
def province(demo) -> pd.DataFrame:
    """Province totals by year, summed over the counties."""
    return demo[demo["level"] == "county"].groupby("year")[list(MEASURES)].sum()


def test_regenerating_gives_the_committed_file_byte_for_byte(tmp_path):
    out = write_demo_csv(tmp_path / "counts.csv")
    assert out.read_bytes() == COMMITTED.read_bytes()


def test_same_seed_same_table_other_seed_other_table():
    a, b = generate_demo_counts(), generate_demo_counts()
    pd.testing.assert_frame_equal(a, b)
    c = generate_demo_counts(seed=1)
    assert not a["live_births"].equals(c["live_births"])


def test_format(demo):
    raw = COMMITTED.read_bytes()
    assert b"\r" not in raw
    raw.decode("utf-8")  # raises if not UTF-8
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert list(demo.columns) == [*ID_COLUMNS, *MEASURES]
    text = raw.decode("utf-8")
    assert ".0," not in text and not any(line.endswith(".0") for line in text.splitlines())
    assert demo["region_code"].str.fullmatch(r"99\d{4}").all()
    assert list(demo.sort_values(["region_code", "year"]).index) == list(demo.index)


def test_tree_every_region_every_year(demo):
    years = set(range(2010, 2025))
    assert all(set(g["year"]) == years and len(g) == 15 for _, g in demo.groupby("region_code"))
    levels = demo.drop_duplicates("region_code").set_index("region_code")
    assert (levels["level"] == "province").sum() == 1
    assert levels.loc["990000", "parent_code"] == "" and levels.loc["990000", "region_name"] == "示例省"
    assert (levels["level"] == "prefecture").sum() == 3
    assert 12 <= (levels["level"] == "county").sum() <= 16
    codes = set(levels.index)
    for code, row in levels.iterrows():
        if code != "990000":
            assert row["parent_code"] in codes
        if row["level"] == "county":
            assert levels.loc[row["parent_code"], "level"] == "prefecture"
            assert code[:4] == row["parent_code"][:4]


def test_county_sizes_span_small_to_large(demo):
    lb = demo[demo["level"] == "county"].groupby("region_code")["live_births"].median()
    assert lb.min() < 3000 and lb.max() > 20000


def test_no_validation_errors(demo):
    counts = demo[list(MEASURES)]
    assert (counts.fillna(0) >= 0).all().all()
    d = demo.dropna(subset=["neonatal_deaths", "infant_deaths", "under5_deaths"])
    assert (d["neonatal_deaths"] <= d["infant_deaths"]).all()
    assert (d["infant_deaths"] <= d["under5_deaths"]).all()
    d = demo.dropna(subset=["under5_deaths", "maternal_deaths", "live_births"])
    assert (d["under5_deaths"] <= d["live_births"]).all()
    assert (d["maternal_deaths"] <= d["live_births"]).all()


def test_mortality_calibration(province):
    mmr = province["maternal_deaths"] / province["live_births"] * 1e5
    imr = province["infant_deaths"] / province["live_births"] * 1e3
    assert 20 <= mmr[2010] <= 40 and 8 <= mmr[2024] <= 16
    assert 9 <= imr[2010] <= 15 and 2.5 <= imr[2024] <= 5.5
    u5 = province["under5_deaths"] / province["live_births"] * 1e3
    nmr = province["neonatal_deaths"] / province["live_births"] * 1e3
    assert 12 <= u5[2010] <= 20 and 4 <= u5[2024] <= 8
    assert 6 <= nmr[2010] <= 10 and 1.5 <= nmr[2024] <= 3.5


def test_births_peak_after_two_child_policy_then_fall(province):
    lb = province["live_births"]
    assert lb.idxmax() in (2016, 2017)
    assert 0.50 <= lb[2024] / lb[2016] <= 0.65


def test_small_counties_have_few_maternal_deaths(demo):
    c = demo[demo["level"] == "county"]
    small = c.groupby("region_code")["live_births"].median() < 3500
    md = c[c["region_code"].isin(small[small].index)]["maternal_deaths"]
    assert md.min() == 0 and md.quantile(0.9) <= 3


def test_poor_county_noticeably_worse(demo):
    c = demo[demo["level"] == "county"].groupby("region_code")[list(MEASURES)].sum()
    imr = c["infant_deaths"] / c["live_births"]
    assert imr.idxmax() == "990205"
    assert imr["990205"] > 1.4 * imr.median()


@pytest.mark.parametrize(
    "num, den, lo2010, hi2010, lo2024, hi2024",
    [
        ("early_registered", "live_births", 70, 82, 90, 97),
        ("maternal_system_managed", "live_births", 80, 90, 90, 97),
        ("hospital_births", "live_births", 95, 99, 99.5, 100),
        ("prenatal_screened", "deliveries", 40, 60, 80, 92),
        ("cervical_screened", "cervical_screen_target", 15, 30, 45, 70),
        ("high_risk_pregnancies", "deliveries", 10, 20, 30, 40),
    ],
)
def test_service_coverage_rises(province, num, den, lo2010, hi2010, lo2024, hi2024):
    p = province[num] / province[den] * 100
    assert lo2010 <= p[2010] <= hi2010
    assert lo2024 <= p[2024] <= hi2024


def test_numerators_within_denominators_except_the_deliberate_one(demo):
    pairs = [
        ("early_registered", "live_births"), ("prenatal_checked", "live_births"),
        ("maternal_system_managed", "live_births"), ("postpartum_visited", "live_births"),
        ("hospital_births", "live_births"), ("high_risk_managed", "high_risk_pregnancies"),
        ("cesarean_deliveries", "deliveries"), ("children_under3_managed", "children_under3"),
        ("children_under7_managed", "children_under7"), ("exclusive_breastfed", "infants_0_6m_surveyed"),
        ("premarital_examined", "marriages_registered"), ("cervical_screened", "cervical_screen_target"),
        ("breast_screened", "breast_screen_target"), ("birth_defects", "perinatal_births"),
        ("newborn_visited", "live_births"), ("newborn_hearing_screened", "live_births"),
    ]  # fmt: skip
    over = []
    for num, den in pairs:
        d = demo.dropna(subset=[num, den])
        for r in d[d[num] > d[den]].itertuples():
            over.append((r.region_code, r.year, num))
    assert over == [("990102", 2021, "prenatal_checked")]


def _row(demo, code, year):
    return demo[(demo["region_code"] == code) & (demo["year"] == year)].iloc[0]


def test_problem_outlier_hospital_births(demo):
    rate = lambda y: _row(demo, "990106", y)["hospital_births"] / _row(demo, "990106", y)["live_births"]
    assert rate(2020) < 0.2
    assert rate(2019) > 0.95 and rate(2021) > 0.95
    assert ("990106", 2020, "hospital_births") in DELIBERATE_PROBLEMS


def test_problem_missing_year(demo):
    missing = demo[demo["level"] == "county"][list(MEASURES)].isna()
    cells = [
        (demo.loc[i, "region_code"], int(demo.loc[i, "year"]), m)
        for i, m in missing.stack()[lambda s: s].index
    ]
    assert cells == [("990305", 2019, "maternal_system_managed")]


def test_problem_over_100(demo):
    r = _row(demo, "990102", 2021)
    assert 1.0 < r["prenatal_checked"] / r["live_births"] < 1.03


def test_problem_parent_children_disagreement(demo):
    kids = demo[demo["parent_code"] == "990200"].groupby("year")[list(MEASURES)].sum()
    city = demo[demo["region_code"] == "990200"].set_index("year")
    reported = city[list(MEASURES)].stack().dropna()  # only the city's own reports
    diffs = {(y, m): int(v - kids.loc[y, m]) for (y, m), v in reported.items()}
    assert {y for y, _ in diffs} == {2022, 2023, 2024}
    assert {k: v for k, v in diffs.items() if v} == {(2023, "live_births"): 37}
    # the other cities and the province report nothing of their own
    others = demo[demo["level"].isin(["province", "prefecture"]) & (demo["region_code"] != "990200")]
    assert others[list(MEASURES)].isna().all().all()


def test_demo_csv_constant_points_at_the_committed_file():
    from mchanalysis.demo import DEMO_CSV

    assert DEMO_CSV.resolve() == COMMITTED.resolve()


def test_generator_calibration_matches_the_shipped_national_series():
    """The generator's copy of the national path is the one in data/reference/."""
    from mchanalysis.demo import _NATIONAL_SHAPE
    from mchanalysis.reference import load_national_series

    ref = load_national_series(indicators=list(_NATIONAL_SHAPE))
    ref = ref[(ref["area"] == "total") & ref["year"].between(2010, 2024)]
    for ind, values in _NATIONAL_SHAPE.items():
        published = ref[ref["indicator_id"] == ind].sort_values("year")["value"].tolist()
        assert published == values, ind
