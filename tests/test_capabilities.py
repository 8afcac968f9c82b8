"""What a file can produce (:mod:`mchanalysis.analysis.capabilities`) and the many-series path of
the rules it counts with (:func:`rules.summarise_segments` + :func:`rules.judge`).

The capability table is checked against its definition written the plain way: for every region
and analysis, :func:`rules.check_series` on each mortality rate's :func:`series`; the top
region's reason is its first failing rate that has data (else its first failing rate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import support

from mchanalysis.analysis import MORTALITY, capabilities, capability_sentence, from_counts, rules, series
from mchanalysis.analysis.capabilities import capabilities_of_counts
from mchanalysis.analysis.mortality import event_name
from mchanalysis.validation import validate_counts

ANALYSES = ["apc", "joinpoint", "its", "period_ratio", "projection"]
FIELDS = ("ok", "code", "zh", "en")


def _fields(f):
    return tuple(getattr(f, k) for k in FIELDS)


# -- the rules on many series at once -------------------------------------------------------------


def _random_series(rng):
    """One series of the shapes a registry gives: 3-15 years with gaps, 0-3 deaths a year, all
    zeros, deaths in one year only, larger counts (joinpoint's median), and now and then what the
    array path hands back to ``summarise_series``: a missing count, a fraction, a year twice,
    years out of order; and short series (0-2 years)."""
    n = int(rng.choice([0, 1, 2, *range(3, 16)]))
    start = int(rng.integers(2005, 2016))
    span = n + int(rng.integers(0, 6))  # gaps
    years = np.sort(rng.choice(np.arange(start, start + span), size=n, replace=False)).astype(float)
    kind = int(rng.integers(0, 6))
    if kind == 0:
        events = rng.integers(0, 4, n)
    elif kind == 1:
        events = np.zeros(n)
    elif kind == 2:  # deaths in one year
        events = np.zeros(n)
        if n:
            events[rng.integers(0, n)] = rng.integers(1, 40)
    elif kind == 3:
        events = rng.integers(5, 25, n)
    elif kind == 4:
        events = rng.poisson(1.5, n)
    else:
        events = rng.integers(0, 60, n)
    events = events.astype(float)
    odd = rng.random()
    if odd < 0.03 and n:
        events[rng.integers(0, n)] = np.nan
    elif odd < 0.06 and n:
        events[rng.integers(0, n)] = 0.5
    elif odd < 0.09 and n > 1:
        years[1] = years[0]
    elif odd < 0.12 and n > 1:
        years = years[::-1].copy()
    return years, events


@pytest.mark.parametrize("break_year", [2016, 2012, None])
def test_many_series_at_once_give_what_check_series_gives_each(break_year):
    rng = np.random.default_rng(20261204 + (break_year or 0))
    compared, codes = 0, set()
    for _ in range(120):
        batch = [_random_series(rng) for _ in range(int(rng.integers(1, 30)))]
        bounds = np.concatenate([[0], np.cumsum([len(y) for y, _ in batch])])
        years = np.concatenate([y for y, _ in batch])
        events = np.concatenate([e for _, e in batch])
        summaries = rules.summarise_segments(years, events, bounds, break_year=break_year)
        assert len(summaries) == len(batch)
        for (y, e), s in zip(batch, summaries):
            # NaN (an empty series' median, a missing count) compares equal through repr
            assert repr(s) == repr(rules.summarise_series(y, e, break_year=break_year)), (y, e)
            for analysis in ANALYSES:
                if analysis == "its" and break_year is None:
                    continue
                for name in [("死亡", "deaths"), ("孕产妇死亡", "maternal deaths")]:
                    one = rules.check_series(analysis, y, e, break_year=break_year, event_name=name)
                    assert _fields(rules.judge(analysis, s, event_name=name)) == _fields(one), (
                        analysis,
                        y,
                        e,
                    )
                    codes.add(one.code)
                    compared += 1
    # the matrix reaches every rule a series can fail before a model is fitted
    expected = {"", "too_few_years", "too_few_events", "events_in_one_year", "too_few_events_per_year"}
    expected |= {"no_events_in_a_period"} | ({"too_few_years_each_side"} if break_year else set())
    assert codes == expected
    assert compared > 10_000


def test_check_series_sentences_are_unchanged():
    """The sentences of each rule, as they read before the rules were split into a summary and a
    judgement (both languages)."""
    deaths = ("孕产妇死亡", "maternal deaths")
    f = rules.check_series("joinpoint", [2019, 2020, 2021, 2022, 2023], [30, 30, 30, 30, 30])
    assert f.zh == "仅有5年数据，不作Joinpoint分段趋势分析（需至少7年）。"
    assert f.en == "Only 5 years of data: no joinpoint regression (needs at least 7 years)."
    f = rules.check_series("apc", range(2015, 2021), [1, 2, 0, 3, 1, 2], event_name=deaths)
    assert f.code == "too_few_events"
    assert f.zh == "2015—2020年合计孕产妇死亡9例，例数过少，不作趋势分析（需至少20例）。"
    assert f.en == (
        "9 maternal deaths in 2015–2020: too few for trend analysis (annual percent change) (needs at least 20)."
    )
    f = rules.check_series("projection", range(2015, 2021), [0, 0, 25, 0, 0, 0])
    assert (f.code, f.en) == (
        "events_in_one_year",
        "All deaths fall in one year: no trend can be estimated, so no projection to the target year.",
    )
    f = rules.check_series("joinpoint", range(2010, 2018), [9, 10, 3, 20, 8, 9, 12, 2])
    assert f.zh == "每年死亡例数中位数为9例，不作Joinpoint分段趋势分析（需每年至少10例）。"
    f = rules.check_series("joinpoint", range(2010, 2018), [9, 10, 3, 20, 8, 10, 12, 2])
    assert f.en == "A median of 9.5 deaths a year: no joinpoint regression (needs at least 10 a year)."
    f = rules.check_series("its", range(2014, 2022), [5] * 8, break_year=2016)
    assert f.zh == "2016年前有2年、之后有6年数据，不作政策断点分析（断点两侧各需至少3年）。"
    f = rules.check_series("period_ratio", range(2015, 2021), [0, 0, 0, 4, 5, 6], event_name=deaths)
    assert f.en == "No maternal deaths in the first or the last 3 years: no period rate ratio."
    assert rules.check_series("period_ratio", range(2015, 2021), [0, 0, 1, 4, 5, 6]).ok
    with pytest.raises(ValueError, match="needs break_year"):
        rules.check_series("its", range(2010, 2020), [5] * 10)


def test_summarise_segments_refuses_bounds_that_do_not_cover_the_arrays():
    with pytest.raises(ValueError, match="bounds"):
        rules.summarise_segments([2020, 2021], [1, 2], [0, 1])
    with pytest.raises(ValueError, match="bounds"):
        rules.summarise_segments([2020, 2021], [1, 2], [0, 2, 1, 2])
    (empty,) = rules.summarise_segments([], [], [0, 0])
    assert empty.n == 0 and empty.total == 0


# -- the capability table against its plain definition --------------------------------------------


def _plain_capabilities(data, year=None):
    """``regions`` and the reasons of the mortality analyses, one series at a time."""
    codes = sorted(data.tree["region_code"].astype(str))
    top = data.tree.sort_values(["depth", "region_code"]).iloc[0]["region_code"]
    if year is None:
        year = int(data.indicators["year"].max())
    rates = [i for i in MORTALITY if i in set(data.indicators["indicator"])]
    out = {}
    for analysis in ANALYSES:
        n, why, why_empty = 0, None, None
        for code in codes:
            ok_any = False
            for ind in rates:
                s = series(data, code, ind, until=year)
                fit = rules.check_series(
                    analysis, s["year"], s["numerator"], break_year=2016, event_name=event_name(data, ind)
                )
                ok_any = ok_any or fit.ok
                if code == top and not fit.ok:
                    if len(s) and why is None:
                        why = fit
                    elif not len(s) and why_empty is None:
                        why_empty = fit
            n += ok_any
        why = why or why_empty
        out[analysis] = (n, "" if n or why is None else why.zh, "" if n or why is None else why.en)
    return out


def _cut(demo, seed):
    """The demo cut to a few years, one city or one county, with fewer deaths or a rate missing."""
    rng = np.random.default_rng(seed)
    all_years = sorted(demo["year"].unique())
    years = sorted(rng.choice(all_years, size=int(rng.integers(3, 16)), replace=False))
    df = demo[demo["year"].isin(years)].copy()
    if seed % 3 == 0:
        county = rng.choice(sorted(df.loc[df["level"] == "county", "region_code"].unique()))
        df = df[df["region_code"] == county].assign(parent_code="")
    elif seed % 3 == 1:
        city = rng.choice(sorted(df.loc[df["level"] == "prefecture", "region_code"].unique()))
        df = df[(df["region_code"] == city) | (df["parent_code"] == city)]
        df.loc[df["region_code"] == city, "parent_code"] = ""
    df["maternal_deaths"] = (df["maternal_deaths"] // int(rng.integers(1, 60))).astype("Int64")
    k = int(rng.integers(1, 40)) if rng.random() < 0.6 else 1
    for m in ("infant_deaths", "neonatal_deaths", "under5_deaths"):
        df[m] = (df[m] // k).astype("Int64")
    if rng.random() < 0.2:
        df = df.drop(columns="maternal_deaths")
    return df.reset_index(drop=True)


@pytest.fixture(scope="module")
def demo_counts():
    raw = pd.read_csv(support.DEMO, dtype=str, keep_default_na=False)
    counts, _ = validate_counts(raw, file=str(support.DEMO))
    return counts


@pytest.mark.parametrize("seed", [None, *range(6)])
def test_capabilities_count_what_check_series_allows_on_each_regions_series(seed, demo_counts):
    counts = demo_counts if seed is None else validate_counts(_cut(demo_counts, seed), file="cut")[0]
    data = from_counts(counts)
    last = int(data.indicators["year"].max())
    for year in (None, last - 1):
        table = capabilities(data, year=year).set_index("analysis")
        plain = _plain_capabilities(data, year)
        for analysis, (n, zh, en) in plain.items():
            assert tuple(table.loc[analysis, ["regions", "reason_zh", "reason_en"]]) == (n, zh, en), (
                seed,
                year,
                analysis,
            )


def test_capability_sentence_of_a_county_with_five_years(demo_counts):
    code = sorted(demo_counts.loc[demo_counts["level"] == "county", "region_code"])[0]
    county = demo_counts[(demo_counts["region_code"] == code) & (demo_counts["year"] >= 2020)]
    counts, _ = validate_counts(county.assign(parent_code="").reset_index(drop=True), file="c")
    table = capabilities(from_counts(counts))
    assert capability_sentence(table, "en").startswith("Can produce: yearly indicators, change on the")
    assert "joinpoint regression (Only 5 years of data: no joinpoint regression, needs at least 7 years)" in (
        capability_sentence(table, "en")
    )
    assert (
        "Joinpoint分段趋势分析（仅有5年数据，不作Joinpoint分段趋势分析，需至少7年）"
        in capability_sentence(table)
    )


def test_the_top_regions_reason_comes_from_a_rate_it_has():
    """Two stand-alone counties; the first (the top region) never reported maternal deaths: the
    reason given is that of its infant deaths, not "only 0 years" of a measure it lacks."""
    rows = []
    for year in range(2019, 2024):
        rows.append(
            {
                **support.county(year, live_births=3000, infant_deaths=2, maternal_deaths=None),
                "region_code": "420101",
            }
        )
        rows.append(support.county(year, live_births=2000, infant_deaths=8, maternal_deaths=1))
    data = from_counts(support.counts_frame(rows))
    table = capabilities(data).set_index("analysis")
    assert table.loc["joinpoint", "regions"] == 0
    assert (
        table.loc["joinpoint", "reason_en"]
        == "Only 5 years of data: no joinpoint regression (needs at least 7 years)."
    )
    assert table.loc["joinpoint", "reason_en"] == _plain_capabilities(data)["joinpoint"][2]
    assert table.loc["apc", "regions"] == 1  # 江岸区's 40 infant deaths


# -- mch validate's table: the mortality rates' indicators alone when they answer the rest ---------


@pytest.mark.parametrize("seed", [None, *range(6)])
def test_capabilities_of_counts_equal_capabilities_of_the_whole_indicator_table(seed, demo_counts):
    counts = demo_counts if seed is None else validate_counts(_cut(demo_counts, seed), file="cut")[0]
    whole = from_counts(counts)
    # what the shortcut rests on: every row of the indicator table is a record of the counts table
    records = pd.MultiIndex.from_arrays([counts["region_code"].astype(str), counts["year"].astype("int64")])
    rows = pd.MultiIndex.from_arrays(
        [whole.indicators["region_code"], whole.indicators["year"].astype("int64")]
    )
    assert rows.isin(records).all()
    assert capabilities_of_counts(counts).equals(capabilities(whole))


def test_capabilities_of_counts_compute_every_indicator_when_the_rates_miss_a_recent_record():
    """In the last two years one county reported deliveries and caesareans only: the yearly
    indicators are counted on the whole table (2 of 2 regions in 2023, and in 2022), not on the
    mortality rates' rows (1 region)."""
    rows = []
    for year in range(2016, 2024):
        rows.append(
            support.county(year, live_births=2000, deliveries=1990, infant_deaths=8, maternal_deaths=1)
        )
        other = {**support.county(year), "region_code": "420103"}
        if year < 2022:
            other.update(live_births=1000, deliveries=995, infant_deaths=4, maternal_deaths=0)
        else:
            other.update(deliveries=990, cesarean_deliveries=400)
        rows.append(other)
    counts = support.counts_frame(rows)
    table = capabilities_of_counts(counts).set_index("analysis")
    assert tuple(table.loc[["indicators", "change"], "regions"]) == (2, 2)
    assert capabilities_of_counts(counts).equals(capabilities(from_counts(counts)))
    # the report year comes from the whole table too: in 2023 one county reported only its
    # deliveries and the other nothing; the rates alone would report on 2022 (2 of 2 regions)
    counts = counts[~((counts["year"] == 2023) & (counts["region_code"] == "420103"))].reset_index(drop=True)
    counts.loc[counts["year"] == 2023, ["live_births", "infant_deaths", "maternal_deaths"]] = pd.NA
    table = capabilities_of_counts(counts).set_index("analysis")
    assert tuple(table.loc[["indicators", "change"], "regions"]) == (1, 1)
    assert capabilities_of_counts(counts).equals(capabilities(from_counts(counts)))
