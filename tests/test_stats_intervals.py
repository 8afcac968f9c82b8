"""Confidence intervals against R and PHEindicatormethods' own test data (tests/data/r, phe)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mchanalysis.errors import MchError
from mchanalysis.stats import (
    byar_limits,
    exact_poisson_limits,
    proportion_ci,
    rate_ci,
    wilson_limits,
)

DATA = Path(__file__).parent / "data"
R_PROP = pd.read_csv(DATA / "r" / "proportions_wilson.csv")
R_RATE = pd.read_csv(DATA / "r" / "rates_exact_byar.csv")
PHE_BW = pd.read_csv(DATA / "phe" / "byars_wilson.csv")
PHE_PROP = pd.read_csv(DATA / "phe" / "proportion.csv")
PHE_RATE = pd.read_csv(DATA / "phe" / "rate.csv")
PHE_PROP_G = pd.read_csv(DATA / "phe" / "proportion_grouped.csv")
PHE_RATE_G = pd.read_csv(DATA / "phe" / "rate_grouped.csv")

R_REL = 1e-6
PHE_REL = 1e-9
LEVELS = {"95": 0.95, "998": 0.998}


def rows(df):
    return [pytest.param(r, id=f"row{i + 1}") for i, r in enumerate(df.to_dict("records"))]


def close(actual, expected, rel, abs_=0.0):
    """NaN where expected is NaN, else within rel (and abs_)."""
    if pd.isna(expected):
        return bool(np.isnan(actual))
    return actual == pytest.approx(expected, rel=rel, abs=abs_)


# ---------------------------------------------------------------- R reference values


@pytest.mark.parametrize("row", rows(R_PROP))
def test_wilson_matches_r_every_row(row):
    for tag, level in LEVELS.items():
        ci = proportion_ci([row["x"]], [row["n"]], multiplier=100, level=level).iloc[0]
        assert ci["value"] == pytest.approx(row["value"], rel=R_REL)
        # R leaves a 2e-15 residue where the exact lower limit is 0; we return exactly 0.
        assert close(ci["lower"], row[f"lower{tag}"], R_REL, 1e-12)
        assert close(ci["upper"], row[f"upper{tag}"], R_REL, 1e-12)
        assert ci["ci_method"] == "wilson"


@pytest.mark.parametrize("row", rows(R_RATE))
def test_exact_and_byar_match_r_every_row(row):
    d, b = row["d"], row["b"]
    el, eu = exact_poisson_limits([d], level=0.95)
    assert close(el[0] / b * 1e5, row["exact_lower95"], R_REL)
    assert close(eu[0] / b * 1e5, row["exact_upper95"], R_REL)
    bl, bu = byar_limits([d], level=0.95)
    assert close(bl[0] / b * 1e5, row["byar_lower95"], R_REL)  # NA at d = 0 in R too
    assert close(bu[0] / b * 1e5, row["byar_upper95"], R_REL)
    for tag, level in LEVELS.items():
        ci = rate_ci([d], [b], multiplier=100_000, level=level).iloc[0]
        assert ci["value"] == pytest.approx(row["rate_per_1e5"], rel=R_REL)
        assert ci["ci_method"] == row["phe_method"]
        assert close(ci["lower"], row[f"phe_lower{tag}"], R_REL)
        assert close(ci["upper"], row[f"phe_upper{tag}"], R_REL)


# ---------------------------------------------------------------- PHEindicatormethods


@pytest.mark.parametrize("row", rows(PHE_BW))
def test_byar_and_wilson_helpers_match_phe(row):
    level = {"95%": 0.95, "99.8%": 0.998}[row["confidence"]]
    if row["method"] == "Byars":
        lo, up = byar_limits([row["x"]], level=level)
    else:
        lo, up = wilson_limits([row["x"]], [row["n"]], level=level)
    # PHE returns NA for a negative Byar lower limit (x = 1 at 99.8 %); so do we (NaN).
    assert close(lo[0], row["lowercl"], PHE_REL)
    assert close(up[0], row["uppercl"], PHE_REL)


PHE_METHOD = {"Wilson": "wilson", "Exact": "exact", "Byars": "byar"}


def _check_phe_two_levels(row, fn):
    out = {
        tag: fn([row["Numerator"]], [row["Denominator"]], multiplier=row["multiplier"], level=level).iloc[0]
        for tag, level in LEVELS.items()
    }
    assert close(out["95"]["value"], row["value"], PHE_REL)
    assert close(out["95"]["lower"], row["lower95_0cl"], PHE_REL)
    assert close(out["95"]["upper"], row["upper95_0cl"], PHE_REL)
    assert close(out["998"]["lower"], row["lower99_8cl"], PHE_REL)
    assert close(out["998"]["upper"], row["upper99_8cl"], PHE_REL)
    if pd.isna(row["value"]):
        assert pd.isna(out["95"]["ci_method"])
    else:
        assert out["95"]["ci_method"] == PHE_METHOD[row["method"]]


@pytest.mark.parametrize("row", rows(PHE_PROP))
def test_proportion_ci_matches_phe_proportion(row):
    _check_phe_two_levels(row, proportion_ci)


@pytest.mark.parametrize("row", rows(PHE_RATE))
def test_rate_ci_matches_phe_rate(row):
    _check_phe_two_levels(row, rate_ci)


@pytest.mark.parametrize("row", rows(PHE_PROP_G))
def test_proportion_ci_matches_phe_grouped(row):
    ci = proportion_ci(
        [row["Numerator"]], [row["Denominator"]], multiplier=row["multiplier"], level=0.95
    ).iloc[0]
    assert close(ci["value"], row["value"], PHE_REL)
    assert close(ci["lower"], row["lowercl"], PHE_REL)
    assert close(ci["upper"], row["uppercl"], PHE_REL)


@pytest.mark.parametrize("row", rows(PHE_RATE_G))
def test_rate_ci_matches_phe_grouped(row):
    ci = rate_ci([row["Numerator"]], [row["Denominator"]], multiplier=row["multiplier"], level=0.95).iloc[0]
    assert close(ci["value"], row["value"], PHE_REL)
    assert close(ci["lower"], row["lowercl"], PHE_REL)
    assert close(ci["upper"], row["uppercl"], PHE_REL)


def test_grouped_rows_are_the_pooled_sums_of_the_ungrouped_ones():
    """PHE's grouped file sums rows k and k+8 of the ungrouped one; so must a caller."""
    sub = PHE_PROP.iloc[:16]
    pooled = sub.assign(g=sub["Area"]).groupby("g", sort=False)[["Numerator", "Denominator"]].sum()
    ci = proportion_ci(pooled["Numerator"], pooled["Denominator"], multiplier=1, level=0.95)
    exp = PHE_PROP_G.iloc[:8].set_index("Area")
    np.testing.assert_allclose(ci["lower"].to_numpy(), exp["lowercl"].to_numpy(), rtol=PHE_REL)


# ---------------------------------------------------------------- edge cases and contract


EDGE = [(0, 1), (1, 1), (0, 5000), (5, 5), (0, 10), (3, 3), (1, 2), (9, 9), (10, 10)]


@pytest.mark.parametrize("level", [0.95, 0.998, 0.5, 0.9999])
def test_edge_cases_give_valid_intervals_without_warnings(level):
    x = np.array([e[0] for e in EDGE], dtype=float)
    n = np.array([e[1] for e in EDGE], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = proportion_ci(x, n, multiplier=100, level=level)
        r = rate_ci(x, n, multiplier=1000, level=level)
    for ci in (p, r):
        assert not ci[["value", "lower", "upper"]].isna().any().any()
        assert (ci["lower"] <= ci["value"]).all() and (ci["value"] <= ci["upper"]).all()
    assert (p.loc[x == 0, "lower"] == 0).all()  # exactly 0, not 1e-17
    assert (p.loc[x == n, "upper"] == 100).all()  # exactly 100 %
    assert (r.loc[x == 0, "lower"] == 0).all()
    assert (r.loc[x == 0, "upper"] > 0).all()


def test_zero_deaths_gets_exact_interval_from_zero():
    ci = rate_ci([0], [5000], multiplier=100_000).iloc[0]
    assert ci["ci_method"] == "exact" and ci["lower"] == 0
    assert ci["upper"] == pytest.approx(-np.log(0.025) / 5000 * 1e5, rel=1e-12)  # χ²(0.975; 2)/2


def test_nine_events_exact_ten_events_byar():
    ci = rate_ci([9, 10], [1000, 1000], multiplier=1000)
    assert ci["ci_method"].tolist() == ["exact", "byar"]


def test_missing_and_zero_denominators_give_nan_not_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = pd.Series([1, None, 3], dtype="Int64")
        n = pd.Series([100, 100, 0], dtype="Int64")
        for ci in (rate_ci(d, n), proportion_ci(d, n)):
            assert ci.iloc[0].notna().all()
            assert ci.iloc[1:][["value", "lower", "upper"]].isna().all().all()
            assert ci["ci_method"].iloc[1:].isna().all()


def test_result_keeps_the_index_of_a_series_input():
    x = pd.Series([1, 2], index=[10, 20])
    assert rate_ci(x, [100, 100]).index.tolist() == [10, 20]


def test_numerator_above_denominator_keeps_value_and_caps_interval():
    ci = proportion_ci([105], [100], multiplier=100).iloc[0]
    assert ci["value"] == pytest.approx(105)
    assert ci["upper"] == 100
    assert ci["lower"] == pytest.approx(proportion_ci([100], [100]).iloc[0]["lower"])


@pytest.mark.parametrize("bad", [95, 99.8, 0, 1, -0.5, "0.95x"])
def test_level_must_be_a_fraction(bad):
    with pytest.raises(MchError, match="fraction"):
        rate_ci([1], [100], level=bad)
    with pytest.raises(MchError, match="fraction"):
        proportion_ci([1], [100], level=bad)


def test_level_95_error_suggests_the_fraction():
    with pytest.raises(MchError, match="did you mean 0.95"):
        wilson_limits([1], [10], level=95)


def test_negative_counts_are_an_error():
    with pytest.raises(MchError, match="events must be >= 0"):
        rate_ci([1, -1], [100, 100])
    with pytest.raises(MchError, match="denominators must be >= 0"):
        proportion_ci([1], [-100])


def test_vectorised_over_a_large_table():
    """Every row of a 300,000-row table gets an interval (speed: benchmarks/bench_stats.py)."""
    rng = np.random.default_rng(1)
    n = rng.integers(1, 200_000, size=300_000)
    d = rng.binomial(n, 0.0002)
    ci = rate_ci(d, n, multiplier=100_000, level=0.998)
    assert not ci["upper"].isna().any()


# ---------------------------------------------------------------- properties (hypothesis)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=10_000_000),
    frac=st.floats(min_value=0, max_value=1),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99, 0.998]),
)
def test_limits_bracket_the_value_for_any_counts(n, frac, level):
    x = int(round(frac * n))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = proportion_ci([x], [n], multiplier=100, level=level).iloc[0]
        r = rate_ci([x], [n], multiplier=1000, level=level).iloc[0]
    for ci in (p, r):
        assert ci["lower"] <= ci["value"] <= ci["upper"]
        assert ci["lower"] >= 0
    assert p["upper"] <= 100
    assert (p["lower"] == 0) == (x == 0)
    assert (p["upper"] == 100) == (x == n)


@settings(max_examples=100, deadline=None)
@given(d=st.integers(min_value=0, max_value=5000), level=st.sampled_from([0.95, 0.998]))
def test_wider_level_gives_wider_interval(d, level):
    a = rate_ci([d], [10_000], level=level).iloc[0]
    b = rate_ci([d], [10_000], level=0.9999).iloc[0]
    assert b["lower"] <= a["lower"] and b["upper"] >= a["upper"]


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99, 0.999])
def test_exact_limits_and_z_equal_scipy_stats_quantiles_to_the_last_bit(level):
    # stats evaluates χ²(p; 2d)/2 as scipy.special.gammaincinv(d, p) and z as ndtri, to start
    # without scipy.stats (issue 12); the indicator tables must not move by one bit.
    from scipy import stats as st

    from mchanalysis.stats import _z

    rng = np.random.default_rng(12)
    d = np.concatenate([np.arange(0, 3000.0), rng.integers(0, 200_000, 5000).astype(float), [np.nan]])
    lower, upper = exact_poisson_limits(d, level=level)
    a = 1 - level
    ok = ~np.isnan(d)
    want_lower = np.where(d[ok] > 0, st.chi2.ppf(a / 2, 2 * d[ok]) / 2, 0.0)
    want_upper = st.chi2.ppf(1 - a / 2, 2 * d[ok] + 2) / 2
    assert np.array_equal(lower[ok], want_lower)
    assert np.array_equal(upper[ok], want_upper)
    assert np.isnan(lower[~ok]).all() and np.isnan(upper[~ok]).all()
    assert _z(level) == float(st.norm.ppf(1 - a / 2))


def test_normal_upper_quantile_by_ndtri_equals_scipy_stats_isf():
    # stats._newcombe_p takes z = 0.0 - ndtri(q) for norm.isf(q) (the Newcombe p-value's
    # bisection); identical bits on the whole range it uses, and at the ends
    from scipy import special
    from scipy import stats as st

    q = np.concatenate([np.exp(np.linspace(np.log(1e-300), 0, 20001)) / 2, [0.0, 0.5, 1.0]])
    want = st.norm.isf(q)
    got = 0.0 - special.ndtri(q)
    assert np.array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
