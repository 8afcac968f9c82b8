"""The indicator table and the region-tree aggregation.

Interval values below are R's (Debian R 4.2; see tests/data/r/README.md):
rates_exact_byar.csv row d=3, b=15000 (exact Poisson, per 100,000) and proportions_wilson.csv row
x=10, n=20 (Wilson score, %).
"""

import numpy as np
import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis.indicators import INDICATOR_COLUMNS, compute_indicators
from mchanalysis.regions import aggregate_counts, descendants, region_tree
from mchanalysis.registry import load_registry

MEASURES = [
    "live_births",
    "maternal_deaths",
    "infant_deaths",
    "early_registered",
    "deliveries",
    "cesarean_deliveries",
]


def make_counts(rows):
    df = pd.DataFrame(rows)
    for m in MEASURES:
        if m not in df:
            df[m] = pd.NA
        df[m] = df[m].astype("Int64")
    return df


REGIONS = [
    ("990000", "示例省", "", "province"),
    ("990100", "东川市", "990000", "prefecture"),
    ("990101", "甲县", "990100", "county"),
    ("990102", "乙县", "990100", "county"),
    ("990200", "西岭市", "990000", "prefecture"),
    ("990201", "丙县", "990200", "county"),
]


@pytest.fixture
def counts():
    rows = []
    vals = {
        "990101": dict(
            live_births=15000,
            maternal_deaths=3,
            infant_deaths=40,
            early_registered=10,
            deliveries=20,
            cesarean_deliveries=8,
        ),
        "990102": dict(
            live_births=5000,
            maternal_deaths=0,
            infant_deaths=12,
            early_registered=4900,
            deliveries=4950,
            cesarean_deliveries=2000,
        ),
        "990201": dict(
            live_births=8000,
            maternal_deaths=1,
            infant_deaths=30,
            early_registered=7000,
            deliveries=7900,
            cesarean_deliveries=3000,
        ),
    }
    for year in (2023, 2024):
        for code, name, parent, level in REGIONS:
            r = dict(region_code=code, region_name=name, parent_code=parent, level=level, year=year)
            r.update(vals.get(code, {}))
            rows.append(r)
    return make_counts(rows)


def pick(table, code, year, ind):
    row = table[(table.region_code == code) & (table.year == year) & (table.indicator == ind)]
    assert len(row) == 1, (code, year, ind)
    return row.iloc[0]


def test_table_has_the_contract_columns_and_every_level(counts):
    t = compute_indicators(counts)
    assert list(t.columns) == INDICATOR_COLUMNS
    assert set(t.level) == {"province", "prefecture", "county"}
    assert set(t.region_code) == {r[0] for r in REGIONS}


def test_rate_value_and_exact_interval_match_r(counts):
    row = pick(compute_indicators(counts), "990101", 2024, "mmr")
    assert row.value == pytest.approx(20.0)
    assert row.lower == pytest.approx(4.12448081930401, rel=1e-6)
    assert row.upper == pytest.approx(58.4484871316155, rel=1e-6)
    assert row.unit == "/10万" and row.ci_method == "exact" and row.conf_level == 0.95


def test_proportion_value_and_wilson_interval_match_r(counts):
    # early_registered / deliveries is not an indicator; use the per-woman caesarean rate,
    # 8/20 made R's 10/20
    c = counts.copy()
    c.loc[c.region_code == "990101", "cesarean_deliveries"] = 10
    row = pick(compute_indicators(c), "990101", 2023, "cesarean_rate_deliveries")
    assert row.value == pytest.approx(50.0)
    assert row.lower == pytest.approx(29.9298008198212, rel=1e-6)
    assert row.upper == pytest.approx(70.0701991801788, rel=1e-6)
    assert row.ci_method == "wilson"


def test_province_numerators_and_denominators_are_sums_of_counties(counts):
    t = compute_indicators(counts)
    counties = t[t.level == "county"].groupby(["year", "indicator"])[["numerator", "denominator"]].sum()
    prov = t[t.level == "province"].set_index(["year", "indicator"])[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(prov.sort_index().astype("int64"), counties.sort_index().astype("int64"))
    row = pick(t, "990000", 2024, "mmr")
    assert (row.numerator, row.denominator) == (4, 28000)
    assert row.value == pytest.approx(4 / 28000 * 1e5)


def test_service_count_above_denominator_is_kept_and_flagged(counts):
    c = counts.copy()
    c.loc[c.region_code == "990101", "early_registered"] = 15100  # non-resident women
    row = pick(compute_indicators(c), "990101", 2024, "early_registration_rate")
    assert row.value == pytest.approx(15100 / 15000 * 100)
    assert "over_100" in row.flag
    assert row.upper == pytest.approx(100.0)  # interval on min(numerator, denominator)


def test_missing_child_value_leaves_parent_incomplete_not_undercounted(counts):
    c = counts.copy()
    c.loc[(c.region_code == "990102") & (c.year == 2024), "maternal_deaths"] = pd.NA
    agg = aggregate_counts(c)
    city = agg.counts.set_index(["region_code", "year"])
    assert pd.isna(city.loc[("990100", 2024), "maternal_deaths"])
    assert pd.isna(city.loc[("990000", 2024), "maternal_deaths"])
    assert city.loc[("990100", 2023), "maternal_deaths"] == 3
    inc = agg.incomplete.set_index(["region_code", "year", "measure"])
    assert inc.loc[("990100", 2024, "maternal_deaths"), "missing_children"] == "990102"
    row = pick(compute_indicators(c), "990000", 2024, "mmr")
    assert np.isnan(row.value) and "incomplete" in row.flag


def test_parent_reported_total_wins_and_disagreement_is_reported(counts):
    c = counts.copy()
    c.loc[(c.region_code == "990100") & (c.year == 2024), "live_births"] = 20500
    agg = aggregate_counts(c)
    got = agg.counts.set_index(["region_code", "year"])
    assert got.loc[("990100", 2024), "live_births"] == 20500
    assert got.loc[("990000", 2024), "live_births"] == 20500 + 8000
    d = agg.disagreements
    assert d.to_dict("records") == [
        {
            "region_code": "990100",
            "year": 2024,
            "measure": "live_births",
            "reported": 20500,
            "children_sum": 20000,
            "difference": 500,
        }
    ]


def test_a_parent_rate_takes_both_counts_from_one_basis(counts):
    # 东川市 reports its own 活产数 and 孕产妇死亡数 for 2024, counting a third county whose row is
    # not in the table (22,000 against its counties' 20,000); its 早孕建册人数 is left to the
    # counties present (4,910). Mixed, its early-registration rate would be 4,910 / 22,000 =
    # 22 %; summed as a pair it is the counties' 4,910 / 20,000. The MMR keeps the city's own
    # counts.
    c = counts.copy()
    at = (c.region_code == "990100") & (c.year == 2024)
    c.loc[at, "live_births"] = 22000
    c.loc[at, "maternal_deaths"] = 4
    got = compute_indicators(c)
    row = pick(got, "990100", 2024, "early_registration_rate")
    assert (row.numerator, row.denominator, row.flag) == (4910, 20000, "subregion_basis")
    assert row.value == pytest.approx(4910 / 20000 * 100)
    row = pick(got, "990100", 2024, "mmr")
    assert (row.numerator, row.denominator, row.flag) == (4, 22000, "")
    # the province sums its cities' pairs: 东川市's counties' and 西岭市's (丙县: 7,000 of 8,000),
    # not 东川市's 22,000 under the counties' 4,910; its MMR sums the cities' own pairs
    row = pick(got, "990000", 2024, "early_registration_rate")
    assert (row.numerator, row.denominator, row.flag) == (4910 + 7000, 20000 + 8000, "subregion_basis")
    row = pick(got, "990000", 2024, "mmr")
    assert (row.numerator, row.denominator, row.flag) == (4 + 1, 22000 + 8000, "")
    # the year the city's total agrees with its counties, and the counties themselves: unchanged
    assert pick(got, "990100", 2023, "early_registration_rate").flag == ""
    assert pick(got, "990101", 2024, "early_registration_rate").denominator == 15000
    # the other way round: the city's own numerator over a denominator summed from the counties
    c = counts.copy()
    at = (c.region_code == "990100") & (c.year == 2024)
    c.loc[at, "early_registered"] = 6000  # its counties' sum is 4,910
    row = pick(compute_indicators(c), "990100", 2024, "early_registration_rate")
    assert (row.numerator, row.denominator, row.flag) == (4910, 20000, "subregion_basis")


def test_aggregation_does_not_modify_input(counts):
    before = counts.copy()
    compute_indicators(counts)
    pd.testing.assert_frame_equal(counts, before)


def test_conf_level_must_be_a_fraction(counts):
    with pytest.raises(MchError, match="fraction"):
        compute_indicators(counts, conf_level=95)


def test_998_intervals_are_wider(counts):
    a = pick(compute_indicators(counts, conf_level=0.95), "990201", 2024, "imr")
    b = pick(compute_indicators(counts, conf_level=0.998), "990201", 2024, "imr")
    assert b.lower < a.lower < a.value < a.upper < b.upper
    assert b.conf_level == 0.998


def test_registry_core_set_and_units():
    reg = load_registry().set_index("id")
    # 24 + the per-woman caesarean rate + the two screening task completions (issue 10)
    # + 21 indicators of the 年报 extension (issue 16)
    assert len(reg) == 27 + 21
    assert reg.loc["mmr", "unit"] == "/10万" and reg.loc["mmr", "multiplier"] == 100000
    for i in ("imr", "nmr", "u5mr"):
        assert reg.loc[i, "unit"] == "‰" and reg.loc[i, "kind"] == "rate"
    assert reg.loc["birth_defect_rate", "unit"] == "/万"
    assert reg.loc["high_risk_management_rate", "denominator"] == "high_risk_pregnancies"


def test_user_registry_entry_adds_an_indicator(tmp_path, counts):
    text = """indicators:
  - id: c_section_per_birth
    name_zh: 剖宫产占活产比
    name_en: Caesareans per live birth
    numerator: cesarean_deliveries
    denominator: live_births
    multiplier: 100
    unit: "%"
    direction: neutral
    kind: proportion
    group: maternal_care
"""
    p = tmp_path / "reg.yaml"
    p.write_text(text, encoding="utf-8")
    t = compute_indicators(counts, registry=load_registry(p))
    assert set(t.indicator) == {"c_section_per_birth"}


def test_bad_registry_names_file_and_entry(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("indicators:\n  - id: x\n    kind: proportion\n", encoding="utf-8")
    with pytest.raises(MchError, match=r"bad.yaml.*entry 1 \(x\).*missing field"):
        load_registry(p)


def test_region_tree_depth_and_descendants(counts):
    tree = region_tree(counts)
    assert dict(zip(tree.region_code, tree.depth))["990101"] == 2
    assert descendants(tree, "990000") == ["990100", "990101", "990102", "990200", "990201"]


def test_unknown_parent_is_an_error(counts):
    c = counts.copy()
    c.loc[c.region_code == "990201", "parent_code"] = "990900"
    with pytest.raises(MchError, match="990900"):
        region_tree(c)


# -- definitions as the 年报 has them (issue 10) ----------------------------------------------------


def test_cesarean_rate_is_per_live_birth_as_in_the_annual_report(counts):
    t = compute_indicators(counts)
    row = pick(t, "990101", 2023, "cesarean_rate")
    src = counts[(counts.region_code == "990101") & (counts.year == 2023)].iloc[0]
    assert (row.numerator, row.denominator) == (src.cesarean_deliveries, src.live_births)
    per_woman = pick(t, "990101", 2023, "cesarean_rate_deliveries")
    assert per_woman.denominator == src.deliveries


def test_screening_task_completion_is_not_the_population_screening_rate(counts):
    reg = load_registry().set_index("id")
    # the 纲要 target (≥70%) is on 适龄妇女（35–64岁）人群筛查率: women 35–64 as denominator
    assert reg.loc["cervical_screening_rate", "denominator"] == "women_35_64"
    assert (
        "35" in reg.loc["cervical_screening_rate", "name_zh"]
        or "适龄" in reg.loc["cervical_screening_rate", "name_zh"]
    )
    assert "5年" in reg.loc["cervical_screening_rate", "definition_zh"]
    # the template's 应筛查妇女数 is the year's task: a separate indicator
    assert reg.loc["cervical_screening_task_rate", "denominator"] == "cervical_screen_target"
    assert reg.loc["cervical_screening_task_rate", "name_zh"] == "宫颈癌筛查任务完成率"
    c = counts.assign(cervical_screened=50, cervical_screen_target=60)
    t = compute_indicators(c)
    assert "cervical_screening_rate" not in set(t.indicator)  # no 35–64 counts in the table
    row = pick(t, "990101", 2023, "cervical_screening_task_rate")
    assert row.value == pytest.approx(50 / 60 * 100)


def test_every_indicator_has_its_definition_in_both_languages():
    reg = load_registry().set_index("id")
    for i, r in reg.iterrows():
        assert isinstance(r["definition_zh"], str) and "÷" in r["definition_zh"], i
        assert isinstance(r["definition_en"], str) and "/" in r["definition_en"], i
    # the inclusion rules a 年报 reader checks first
    assert "13周" in reg.loc["early_registration_rate", "definition_zh"]
    assert "28周" in reg.loc["birth_defect_rate", "definition_zh"]
    assert "按人计" in reg.loc["premarital_exam_rate", "definition_zh"]
    assert "5次" in reg.loc["maternal_system_management_rate", "definition_zh"]
    assert "10月1日" in reg.loc["mmr", "definition_zh"]


def test_flag_text_is_the_words_that_hold_joined_in_order():
    # flags are kept as bits while the indicators are assembled; the text must be what joining
    # the words of the conditions that hold, in FLAG_WORDS order, gives ('' when none)
    from itertools import product

    from mchanalysis.indicators import FLAG_WORDS, _flag_codes, _flag_column

    combos = np.array(list(product([False, True], repeat=len(FLAG_WORDS))))  # all 64 combinations
    rows = np.concatenate([combos, combos[::-1], combos[:5]])
    codes = _flag_codes({w: rows[:, i] for i, w in enumerate(FLAG_WORDS)}, len(rows))
    got = _flag_column(codes)
    want = [";".join(w for w, hold in zip(FLAG_WORDS, r) if hold) for r in rows]
    assert list(got) == want
    assert str(got.dtype) == "str" and got[0] == "" and not pd.isna(got[0])
    assert "over_100;incomplete" in want and "incomplete;zero_denominator" in want


def test_interval_method_text_from_codes_keeps_values_and_missing():
    from mchanalysis.indicators import _Labels

    labels = _Labels()
    a = labels.codes(pd.Series(["exact", "byar", None, "exact"], dtype="str"))
    b = labels.codes(pd.Series(["wilson", None], dtype="str"))
    c = labels.codes(pd.Series([None, None], dtype="str"))  # no value at all
    col = labels.column(np.concatenate([a, b, c]))
    assert list(col[[0, 1, 3, 4]]) == ["exact", "byar", "exact", "wilson"]
    assert col.isna().tolist() == [False, False, True, False, False, True, True, True]
    assert str(col.dtype) == "str"
