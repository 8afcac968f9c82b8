"""Change over time and benchmark comparisons: against R's poisson.test, Newcombe (1998),
statsmodels and scipy as peers, and hand-made cases for every verdict."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats import binomtest
from statsmodels.stats.proportion import confint_proportions_2indep

from mchanalysis.compare import benchmark_table, change_table
from mchanalysis.errors import MchError
from mchanalysis.stats import (
    _binom_two_sided_p,
    compare_interval_with_benchmark,
    compare_proportions,
    compare_rates,
)

DATA = Path(__file__).parent / "data"
SERIES = pd.read_csv(DATA / "r" / "trend_series.csv", dtype={"region_code": str})
GLM = pd.read_csv(DATA / "r" / "trends_glm.csv", dtype={"region_code": str})
PERIOD_RR = GLM[GLM["model"] == "period_rr_last5_vs_first5"]
NEWCOMBE = pd.read_csv(DATA / "published" / "newcombe1998.csv")


def _pooled(region, measure, y0, y1):
    s = SERIES[(SERIES["region_code"] == region) & SERIES["year"].between(y0, y1)]
    return s[measure].sum(), s["live_births"].sum()


# ---------------------------------------------------------------- rate ratio vs R


@pytest.mark.parametrize(
    "row", [pytest.param(r, id=f"{r['region_code']}-{r['numerator']}") for r in PERIOD_RR.to_dict("records")]
)
def test_period_rate_ratio_matches_r_wald_and_poisson_test(row):
    d1, n1 = _pooled(row["region_code"], row["numerator"], 2010, 2014)
    d2, n2 = _pooled(row["region_code"], row["numerator"], 2019, 2023)
    r = compare_rates(d1, n1, d2, n2, multiplier=100_000, level=0.95).iloc[0]
    assert r["ratio"] == pytest.approx(row["beta"], rel=1e-6)
    assert r["log_ratio_se"] == pytest.approx(row["se"], rel=1e-6)
    assert r["ratio_wald_lower"] == pytest.approx(row["apc_lower"], rel=1e-6)
    assert r["ratio_wald_upper"] == pytest.approx(row["apc_upper"], rel=1e-6)
    # exact conditional limits and p-value of poisson.test (stored in deviance/aic/dispersion)
    assert r["ratio_lower"] == pytest.approx(row["deviance"], rel=1e-6)
    assert r["ratio_upper"] == pytest.approx(row["aic"], rel=1e-6)
    assert r["p_value_minlike"] == pytest.approx(row["dispersion"], rel=1e-6, abs=1e-300)
    # the reported p-value is the central one, dual to the exact interval (closed form)
    D = d1 + d2
    pi0 = n2 / (n1 + n2)
    central = min(1.0, 2 * min(stats.binom.cdf(d2, D, pi0), stats.binom.sf(d2 - 1, D, pi0)))
    assert r["p_value"] == pytest.approx(central, rel=1e-9, abs=1e-300)


def test_change_table_pools_periods_like_r():
    t = SERIES.melt(
        id_vars=["region_code", "year", "live_births"],
        value_vars=["maternal_deaths", "infant_deaths"],
        var_name="measure",
        value_name="numerator",
    )
    t = t.assign(
        indicator=t["measure"].map({"maternal_deaths": "mmr", "infant_deaths": "imr"}),
        denominator=t["live_births"],
    )
    out = change_table(t, period_a=(2010, 2014), period_b=(2019, 2023))
    assert len(out) == 4
    for row in PERIOD_RR.to_dict("records"):
        ind = {"maternal_deaths": "mmr", "infant_deaths": "imr"}[row["numerator"]]
        o = out[(out["region_code"] == row["region_code"]) & (out["indicator"] == ind)].iloc[0]
        assert o["ratio"] == pytest.approx(row["beta"], rel=1e-6)
        assert o["ratio_lower"] == pytest.approx(row["deviance"], rel=1e-6)
        assert o["period_a"] == "2010-2014" and o["period_b"] == "2019-2023"
        assert o["n_years_a"] == 5 and o["note"] == ""
    mmr = out[(out["region_code"] == "930101") & (out["indicator"] == "mmr")].iloc[0]
    assert mmr["numerator_a"] == 8 and mmr["denominator_a"] == 29400
    assert mmr["value_a"] == pytest.approx(8 / 29400 * 1e5)  # per 100,000 from the registry
    assert mmr["unit"] == "/10万"


@pytest.mark.parametrize(
    "x,n,p",
    [
        (5, 13, 0.476),
        (0, 7, 0.3),
        (7, 7, 0.3),
        (3, 40, 0.5),
        (30, 40, 0.5),
        (20, 40, 0.5),
        (1, 1000, 0.002),
        (17, 60, 0.25),
        (60, 61, 0.9),
        (12, 12, 0.5),
        (4, 30, 0.1333333333),
    ],
)
def test_binomial_p_value_matches_scipy_binomtest(x, n, p):
    """scipy.stats.binomtest implements R's binom.test rule; our vectorised version must agree."""
    assert _binom_two_sided_p([x], [n], [p])[0] == pytest.approx(
        binomtest(x, n, p).pvalue, rel=1e-10, abs=1e-300
    )


def test_binomial_p_value_vectorised_agrees_on_random_cases():
    rng = np.random.default_rng(3)
    n = rng.integers(1, 300, size=200)
    p = rng.uniform(0.01, 0.99, size=200)
    x = rng.binomial(n, p * rng.uniform(0.5, 1.5, size=200).clip(0, 1 / p))
    got = _binom_two_sided_p(x, n, p)
    exp = [binomtest(int(a), int(b), c).pvalue for a, b, c in zip(x, n, p)]
    np.testing.assert_allclose(got, exp, rtol=1e-9, atol=1e-300)


# ---------------------------------------------------------------- Newcombe


@pytest.mark.parametrize("row", NEWCOMBE.to_dict("records"))
def test_newcombe_method_10_reproduces_published_example(row):
    # Newcombe reports p1 - p2 with (x1, n1) first; compare_proportions reports second - first.
    r = compare_proportions(
        row["x2"], row["n2"], row["x1"], row["n1"], multiplier=1, level=row["level"]
    ).iloc[0]
    assert r["difference"] == pytest.approx(row["difference"], abs=5e-5)
    assert r["difference_lower"] == pytest.approx(row["lower"], abs=5e-5)
    assert r["difference_upper"] == pytest.approx(row["upper"], abs=5e-5)


@pytest.mark.parametrize(
    "x1,n1,x2,n2",
    [
        (48, 80, 56, 70),
        (3, 10, 9, 10),
        (0, 20, 0, 10),
        (5, 56, 0, 29),
        (10, 10, 0, 20),
        (900, 1000, 950, 1000),
        (1, 7, 6, 7),
    ],
)
def test_newcombe_matches_statsmodels(x1, n1, x2, n2):
    r = compare_proportions(x1, n1, x2, n2, multiplier=1).iloc[0]
    lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")
    assert r["difference_lower"] == pytest.approx(lo, abs=1e-12)
    assert r["difference_upper"] == pytest.approx(hi, abs=1e-12)


def test_proportion_p_value_is_pooled_z_test():
    from statsmodels.stats.proportion import proportions_ztest

    r = compare_proportions(48, 80, 56, 70).iloc[0]
    _, p = proportions_ztest([56, 48], [70, 80])
    assert r["p_value_z"] == pytest.approx(p, rel=1e-10)


# ---------------------------------------------------------------- verdicts (hand-made)


def test_rate_verdicts_rise_fall_no_change_and_not_compared():
    r = compare_rates(
        [5, 50, 3, np.nan, 2],
        [100_000, 100_000, 10_000, 1, 0],
        [50, 5, 4, 3, 2],
        [100_000, 100_000, 10_000, 1, 100],
        multiplier=100_000,
    )
    assert r["verdict"].tolist() == ["rise", "fall", "no_significant_change", "not_compared", "not_compared"]
    assert (r.loc[:2, "difference_lower"] <= r.loc[:2, "difference"]).all()
    assert r.loc[0, "difference_lower"] > 0 and r.loc[1, "difference_upper"] < 0


def test_proportion_verdicts_rise_fall_no_change_and_not_compared():
    r = compare_proportions([50, 80, 50, 1], [100, 100, 100, 0], [80, 50, 52, 1], [100, 100, 100, 5])
    assert r["verdict"].tolist() == ["rise", "fall", "no_significant_change", "not_compared"]
    assert r.loc[0, "difference"] == pytest.approx(30.0)  # percentage points


def test_zero_events_in_both_periods_is_no_change_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = compare_rates([0, 0], [9000, 9000], [0, 3], [9000, 9000], multiplier=100_000)
        p = compare_proportions([0, 10], [10, 10], [0, 20], [20, 20])  # 0 % and 100 % twice
    assert r["verdict"].tolist() == ["no_significant_change", "no_significant_change"]
    assert r.loc[0, "p_value"] == 1.0
    assert r.loc[1, "ratio"] == np.inf and r.loc[1, "ratio_lower"] > 0  # 0 -> 3 deaths
    assert p["verdict"].tolist() == ["no_significant_change", "no_significant_change"]
    assert p["p_value"].tolist() == [1.0, 1.0]


def test_county_with_few_deaths_is_not_called_a_fall():
    """3 maternal deaths falling to 1 in 9,000 births each: far from significant."""
    r = compare_rates(3, 9000, 1, 9000, multiplier=100_000).iloc[0]
    assert r["verdict"] == "no_significant_change" and r["p_value"] > 0.5


def test_change_table_single_years_missing_period_and_bad_arguments():
    t = pd.DataFrame(
        {
            "region_code": ["990102"] * 3 + ["990103"],
            "region_name": ["甲县"] * 3 + ["乙县"],
            "year": [2020, 2021, 2024, 2020],
            "indicator": ["hospital_delivery_rate"] * 4,
            "numerator": pd.array([900, 950, 990, 10], dtype="Int64"),
            "denominator": pd.array([1000, 1000, 1000, 10], dtype="Int64"),
        }
    )
    out = change_table(t, year_a=2020, year_b=2024)
    a = out.set_index("region_code")
    assert a.loc["990102", "verdict"] == "rise"
    assert a.loc["990102", "difference"] == pytest.approx(9.0)
    assert a.loc["990102", "region_name"] == "甲县"
    assert a.loc["990103", "verdict"] == "not_compared"
    assert a.loc["990103", "note"] == "missing_period_b"
    assert np.isnan(a.loc["990102", "ratio"])  # proportions have no ratio
    inc = change_table(t, region_code="990102", period_a=(2019, 2021), period_b=(2024, 2024))
    assert inc.loc[0, "note"] == "incomplete_period_a" and inc.loc[0, "n_years_a"] == 2
    with pytest.raises(MchError, match="either"):
        change_table(t, year_a=2020, year_b=2024, period_a=(2020, 2021), period_b=(2023, 2024))
    with pytest.raises(MchError, match="not in the indicator table"):
        change_table(t, region_code="999999", year_a=2020, year_b=2024)
    with pytest.raises(MchError, match="unknown indicator"):
        change_table(t.assign(indicator="no_such"), year_a=2020, year_b=2024)


# ---------------------------------------------------------------- benchmarks (Fingertips)


def test_compare_interval_with_benchmark_every_verdict_and_direction():
    lo = [1, 5, 1, 1, 5, 1, 1, 5, np.nan, 1]
    up = [3, 9, 9, 3, 9, 9, 3, 9, 2, 9]
    bench = [4] * 9 + [np.nan]
    dirs = ["lower_is_better"] * 3 + ["higher_is_better"] * 3 + ["neutral"] * 3 + ["lower_is_better"]
    comp, verdict = compare_interval_with_benchmark(lo, up, bench, dirs)
    assert comp.tolist() == [
        "lower",
        "higher",
        "similar",
        "lower",
        "higher",
        "similar",
        "lower",
        "higher",
        "not_compared",
        "not_compared",
    ]
    assert verdict.tolist() == [
        "better",
        "worse",
        "similar",
        "worse",
        "better",
        "similar",
        "lower",
        "higher",
        "not_compared",
        "not_compared",
    ]


def test_interval_touching_the_benchmark_is_similar():
    comp, _ = compare_interval_with_benchmark([4.0], [9.0], [4.0], "lower_is_better")
    assert comp.tolist() == ["similar"]


def _tree_table():
    """A province, a city and two counties; MMR and hospital delivery, one year."""
    rows = [
        # code, parent, mmr deaths, births, hospital births
        ("990000", "", 60, 400_000, 396_000),
        ("990100", "990000", 20, 100_000, 99_000),
        ("990102", "990100", 0, 30_000, 29_000),  # MMR 0 vs 20: exact CI excludes 20? no
        ("990103", "990100", 15, 20_000, 19_990),  # MMR 75 vs 20: worse
    ]
    recs = []
    for code, parent, deaths, births, hosp in rows:
        recs.append((code, parent, 2024, "mmr", deaths, births))
        recs.append((code, parent, 2024, "hospital_delivery_rate", hosp, births))
    return pd.DataFrame(
        recs, columns=["region_code", "parent_code", "year", "indicator", "numerator", "denominator"]
    )


def test_benchmark_against_parent_at_two_levels():
    out = benchmark_table(_tree_table(), "parent")
    assert set(out["conf_level"]) == {0.95, 0.998}
    v = out.set_index(["region_code", "indicator", "conf_level"])["verdict"]
    assert v[("990000", "mmr", 0.95)] == "not_compared"  # top region: no parent
    assert v[("990103", "mmr", 0.95)] == "worse"  # 75/10万 vs 20/10万
    assert v[("990103", "mmr", 0.998)] == "worse"
    assert v[("990102", "mmr", 0.95)] == "better"  # 0 deaths, 30,000 births
    assert v[("990102", "mmr", 0.998)] == "similar"  # upper 99.8 % 23.0 > 20
    assert v[("990103", "hospital_delivery_rate", 0.95)] == "better"  # 99.95 % vs 99 %
    assert v[("990102", "hospital_delivery_rate", 0.95)] == "worse"  # 96.7 % vs 99 %
    assert v[("990100", "hospital_delivery_rate", 0.95)] == "similar"  # 99 % vs 99 %
    row = out[(out["region_code"] == "990103") & (out["indicator"] == "mmr")].iloc[0]
    assert row["benchmark"] == "parent" and row["benchmark_value"] == pytest.approx(20.0)
    assert row["value"] == pytest.approx(75.0)


def test_benchmark_against_national_table_and_neutral_direction():
    t = _tree_table()
    t = pd.concat(
        [
            t,
            t[t["indicator"] == "mmr"].assign(
                indicator="cesarean_rate", numerator=[40_000, 20_000, 12_000, 8_000]
            ),
        ]
    )
    national = pd.DataFrame(
        {"indicator": ["mmr", "cesarean_rate"], "year": [2024, 2024], "value": [15.7, 30.0]}
    )
    out = benchmark_table(t, national, levels=[0.95])
    v = out.set_index(["region_code", "indicator"])
    assert v.loc[("990000", "mmr"), "benchmark"] == "national"
    assert v.loc[("990000", "hospital_delivery_rate"), "verdict"] == "not_compared"  # no value
    assert v.loc[("990100", "cesarean_rate"), "verdict"] == "lower"  # 20 % vs 30 %, neutral
    assert v.loc[("990102", "cesarean_rate"), "verdict"] == "higher"  # 40 % vs 30 %
    assert v.loc[("990103", "cesarean_rate"), "verdict"] == "higher"  # 40 %
    assert set(out["verdict"]) <= {"better", "similar", "worse", "higher", "lower", "not_compared"}


def test_benchmark_errors_are_clear():
    t = _tree_table()
    with pytest.raises(MchError, match="parent_code"):
        benchmark_table(t.drop(columns="parent_code"), "parent")
    with pytest.raises(MchError, match="more than one value"):
        benchmark_table(
            t, pd.DataFrame({"indicator": ["mmr", "mmr"], "year": [2024, 2024], "value": [1.0, 2.0]})
        )
    with pytest.raises(MchError, match="fraction"):
        benchmark_table(t, "parent", levels=[95])


def test_docstring_examples_of_stats_run():
    import doctest

    import mchanalysis.stats as mod

    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- one rule: p-value and interval (issue 11)


def test_rate_p_value_and_exact_interval_agree_on_every_small_count_pair():
    """All 61 × 61 count pairs (0..60 deaths, equal or unequal births): p < α ⟺ the exact
    interval excludes 1 — at 95% and 99%. (R's poisson.test p disagrees on ~49 of them.)"""
    a, b = np.meshgrid(np.arange(61), np.arange(61))
    for n1, n2 in ((10_000, 10_000), (9_000, 12_500)):
        for level in (0.95, 0.99):
            r = compare_rates(a.ravel(), n1, b.ravel(), n2, level=level)
            sig_p = r["p_value"] < 1 - level
            sig_ci = (r["ratio_lower"] > 1) | (r["ratio_upper"] < 1)
            assert (sig_p == sig_ci).all(), r[sig_p != sig_ci].head()
            assert (sig_ci == r["verdict"].isin(["rise", "fall"])).all()
    old = compare_rates(a.ravel(), 9_000, b.ravel(), 12_500)  # π0 ≠ 1/2: the two rules differ
    minlike_disagrees = (old["p_value_minlike"] < 0.05) != (
        (old["ratio_lower"] > 1) | (old["ratio_upper"] < 1)
    )
    assert minlike_disagrees.sum() > 0  # the reason for the rule


def test_five_maternal_deaths_to_none_is_consistent():
    """Issue 11: 川中区 MMR 5 → 0, poisson.test p = 0.026 beside a 'no significant change'."""
    r = compare_rates(5, 9000, 0, 9500).iloc[0]
    assert r["p_value_minlike"] < 0.05
    assert (r["p_value"] < 0.05) == (r["verdict"] == "fall")


def test_proportion_p_value_is_dual_to_newcombe_interval():
    rng = np.random.default_rng(11)
    n1 = rng.integers(5, 400, 3000)
    n2 = rng.integers(5, 400, 3000)
    x1 = rng.binomial(n1, rng.uniform(0.02, 0.98, 3000))
    x2 = rng.binomial(n2, rng.uniform(0.02, 0.98, 3000))
    for level in (0.95, 0.998):
        r = compare_proportions(x1, n1, x2, n2, level=level)
        sig_ci = (r["difference_lower"] > 0) | (r["difference_upper"] < 0)
        assert ((r["p_value"] < 1 - level) == sig_ci).all()
    # at its own p-value the interval touches 0 (the definition), checked on one case
    r = compare_proportions(48, 80, 56, 70, multiplier=1).iloc[0]
    at = compare_proportions(48, 80, 56, 70, multiplier=1, level=1 - r["p_value"]).iloc[0]
    assert at["difference_lower"] == pytest.approx(0.0, abs=1e-9)
    assert 0 < r["p_value"] < 0.05 and r["p_value_z"] < 0.05


def test_central_p_and_exact_limits_match_reference_values():
    """tests/data/rigour/rate_change_central_reference.csv (closed form; R exactci central)."""
    ref = pd.read_csv(DATA / "rigour" / "rate_change_central_reference.csv")
    r = compare_rates(ref["d1"], ref["n1"], ref["d2"], ref["n2"])
    np.testing.assert_allclose(r["p_value"], ref["p_central"], rtol=1e-9)
    np.testing.assert_allclose(r["ratio_lower"], ref["ratio_lower"], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(r["ratio_upper"], ref["ratio_upper"], rtol=1e-9)
