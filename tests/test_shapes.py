"""Real data shapes: every region of every valid file gets its 答卷, and small numbers never
produce false statements.

Real 年报 extracts have 3-10 years, gaps, a subset of the measures, a city or a county at the
top, and mostly small counties with 0-3 maternal deaths a year. The files here are built from
scratch (never cut from the demo): a seeded generator of plausible counts for any tree, years and
measures, with the distortions real files have. Each shape goes through the public reader and
`mch run` over the whole tree; a Hypothesis strategy over shapes exercises the analysis layer and
the report context directly.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import DEMO

from mchanalysis import analysis, report

ID = ["region_code", "region_name", "parent_code", "level", "year"]
MORTALITY = [
    "live_births",
    "deliveries",
    "maternal_deaths",
    "infant_deaths",
    "neonatal_deaths",
    "under5_deaths",
]
SERVICES = [
    "live_births",
    "deliveries",
    "early_registered",
    "prenatal_checked",
    "maternal_system_managed",
    "postpartum_visited",
    "hospital_births",
    "cesarean_deliveries",
    "high_risk_pregnancies",
    "high_risk_managed",
    "newborn_visited",
]
# per live birth: maternal deaths ~15/10万, infant ~5‰ (neonatal 60% of it, under-5 130%)
RATES = {"maternal_deaths": 15e-5, "infant_deaths": 5e-3}
COVER = {
    "early_registered": 0.92,
    "prenatal_checked": 0.97,
    "maternal_system_managed": 0.91,
    "postpartum_visited": 0.95,
    "hospital_births": 0.998,
    "newborn_visited": 0.95,
}


def build_counts(tree, years, *, births, measures=None, seed=0, edit=None) -> pd.DataFrame:
    """A wide counts table: one row per region and year, leaves filled, parents left empty.

    ``tree``: list of (code, name, parent_code, level); the leaves (regions nobody names as a
    parent) get counts. ``births``: {leaf code: live births a year}. ``measures``: the measure
    columns kept (default mortality and services). ``edit(df)`` may change the table in place or return a new one.
    """
    rng = np.random.default_rng(seed)
    parents = {p for _, _, p, _ in tree if p}
    rows = []
    for code, name, parent, level in tree:
        for y in years:
            row = {"region_code": code, "region_name": name, "parent_code": parent, "level": level, "year": y}
            if code not in parents:
                b = int(rng.poisson(births[code]))
                inf = int(rng.binomial(b, RATES["infant_deaths"]))
                neo = int(rng.binomial(inf, 0.6))
                row.update(
                    live_births=b,
                    deliveries=int(b * 0.99),
                    maternal_deaths=int(rng.binomial(b, RATES["maternal_deaths"])),
                    infant_deaths=inf,
                    neonatal_deaths=neo,
                    under5_deaths=inf + int(rng.binomial(b, 1.5e-3)),
                )
                for m, p in COVER.items():
                    row[m] = int(rng.binomial(b, p))
                hr = int(rng.binomial(row["deliveries"], 0.3))
                row.update(
                    cesarean_deliveries=int(rng.binomial(row["deliveries"], 0.4)),
                    high_risk_pregnancies=hr,
                    high_risk_managed=int(rng.binomial(hr, 0.99)),
                )
            rows.append(row)
    df = pd.DataFrame(rows)
    keep = ID + [m for m in (measures or list(dict.fromkeys(MORTALITY + SERVICES))) if m in df.columns]
    df = df[keep]
    if edit is not None:
        edited = edit(df)
        df = df if edited is None else edited
    return df


def write(df: pd.DataFrame, path: Path) -> Path:
    out = df.copy()
    for c in out.columns:
        if c not in ID:
            out[c] = out[c].astype("Int64")
    out.to_csv(path, index=False)
    return path


CITY = [
    ("430100", "长沙市", "", "prefecture"),
    ("430102", "芙蓉区", "430100", "county"),
    ("430103", "天心区", "430100", "county"),
]
BIRTHS = {"430102": 9000, "430103": 2500}


def _small_last_year_only(df):
    """天心区: no maternal deaths at all except 2 in the last year."""
    c = df["region_code"] == "430103"
    df.loc[c, "maternal_deaths"] = 0
    df.loc[c & (df["year"] == df["year"].max()), "maternal_deaths"] = 2


def _shape(name):
    """(tree, years, births, measures, edit, report year) of each shape of the matrix."""
    y = lambda a, b: list(range(a, b + 1))  # noqa: E731
    shapes = {
        "1_year": (CITY, [2024], BIRTHS, None, None),
        "2_years": (CITY, y(2023, 2024), BIRTHS, None, None),
        "3_years": (CITY, y(2022, 2024), BIRTHS, None, None),
        "5_years": (CITY, y(2020, 2024), BIRTHS, None, None),
        "7_years": (CITY, y(2018, 2024), BIRTHS, None, None),
        "10_years": (CITY, y(2015, 2024), BIRTHS, None, None),
        "15_years": (CITY, y(2010, 2024), BIRTHS, None, None),
        "gap_year": (CITY, [t for t in y(2015, 2024) if t != 2020], BIRTHS, None, None),
        "county_missing_a_row": (
            CITY,
            y(2015, 2024),
            BIRTHS,
            None,
            lambda df: df.drop(df.index[(df["region_code"] == "430103") & (df["year"] == 2019)]),
        ),
        "province_top": (
            [("430000", "湖南省", "", "province"), *[(c, n, p or "430000", lv) for c, n, p, lv in CITY]],
            y(2018, 2024),
            BIRTHS,
            None,
            None,
        ),
        "county_top": ([("430103", "天心区", "", "county")], y(2016, 2024), {"430103": 2500}, None, None),
        "two_roots": (
            [("430102", "芙蓉区", "", "county"), ("430103", "天心区", "", "county")],
            y(2018, 2024),
            BIRTHS,
            None,
            None,
        ),
        "mortality_only": (CITY, y(2016, 2024), BIRTHS, MORTALITY, None),
        "services_only": (CITY, y(2016, 2024), BIRTHS, SERVICES, None),
        "zero_births_county_year": (CITY, y(2016, 2024), BIRTHS, None, _zero_births),
        "all_zero_deaths": (CITY, y(2016, 2024), BIRTHS, None, _no_deaths),
        "deaths_only_last_year": (CITY, y(2010, 2024), BIRTHS, None, _small_last_year_only),
        "city_total_counts_a_missing_county": (
            CITY,
            y(2018, 2024),
            BIRTHS,
            None,
            _city_counts_a_missing_county,
        ),
        "county_of_300_births": (
            [
                ("430100", "长沙市", "", "prefecture"),
                ("430102", "芙蓉区", "430100", "county"),
                ("430111", "小县", "430100", "county"),
            ],
            y(2016, 2024),
            {"430102": 9000, "430111": 300},
            None,
            None,
        ),
    }
    return shapes[name]


def _city_counts_a_missing_county(df):
    """长沙市 reports its own 活产数, which counts a third county whose row is not in the file
    (3,000 births a year above its two counties); it leaves every other count to them."""
    city = df["region_code"] == "430100"
    for year in df["year"].unique():
        kids = (df["parent_code"] == "430100") & (df["year"] == year)
        df.loc[city & (df["year"] == year), "live_births"] = df.loc[kids, "live_births"].sum() + 3000


def _no_deaths(df):
    """天心区 reports no death of any kind in any year."""
    for c in ("maternal_deaths", "infant_deaths", "neonatal_deaths", "under5_deaths"):
        df.loc[df["region_code"] == "430103", c] = 0


def _zero_births(df):
    """天心区 reports 0 births (and so 0 of everything) in 2020."""
    row = (df["region_code"] == "430103") & (df["year"] == 2020)
    for c in df.columns:
        if c not in ID:
            df.loc[row, c] = 0


SHAPES = [
    "1_year",
    "2_years",
    "3_years",
    "5_years",
    "7_years",
    "10_years",
    "15_years",
    "gap_year",
    "county_missing_a_row",
    "province_top",
    "county_top",
    "two_roots",
    "mortality_only",
    "services_only",
    "zero_births_county_year",
    "all_zero_deaths",
    "deaths_only_last_year",
    "county_of_300_births",
    "city_total_counts_a_missing_county",
]


def make_shape_file(name, tmp: Path) -> Path:
    tree, years, births, measures, edit = _shape(name)
    df = build_counts(tree, years, births=births, measures=measures, seed=SHAPES.index(name), edit=edit)
    return write(df, tmp / f"{name}.csv")


def text_of_html(path: Path) -> str:
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<style.*?</style>", "", t, flags=re.S)
    t = re.sub(r"<img[^>]*>", "", t)
    return re.sub(r"<[^>]+>", " ", t)  # table cells stay apart


def mmr_paragraph(text: str) -> str:
    """The technical report's maternal-mortality paragraph: from the 母婴安全 section's first
    mention of maternal deaths up to its first mention of infant deaths."""
    start = text.find("一、母婴安全")
    assert start >= 0, "the 答卷 has no 母婴安全 section"
    para = text[start:]
    return para[: para.find("婴儿死亡")]


#: Sentences that may only follow from a fitted trend or projection.
TREND_WORDS = ("趋势有统计学意义", "年均下降", "年均上升", "按目前趋势推算", "Joinpoint回归显示")


#: Shapes whose point is the file itself (its columns): each gets an `mch run` of its own. The
#: others share one file, each shape's tree under its own province-code prefix (unrelated roots
#: of one file, as a national extract has them), so one run covers them: the same regions and
#: notebooks, without 16 start-ups.
OWN_FILE = ("mortality_only", "services_only")


def _run_code(name: str, code: str) -> str:
    """The code a shape's region has in the shared file: its own prefix instead of '43'."""
    return f"{11 + SHAPES.index(name):02d}{code[2:]}" if name not in OWN_FILE and code else code


def _mch_run(data: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mchanalysis",
            "run",
            "--data",
            str(data),
            "--year",
            "2024",
            "--regions",
            "all",
            "--out",
            str(out),
            "--jobs",
            "2",
            "--targets",
            "national_2030",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def shape_runs(tmp_path_factory):
    """{shape: (output folder, completed process)} of the matrix's `mch run`s."""
    tmp = tmp_path_factory.mktemp("shapes")
    runs, shared = {}, []
    for name in SHAPES:
        if name in OWN_FILE:
            runs[name] = (tmp / name, _mch_run(make_shape_file(name, tmp), tmp / name))
            continue
        tree, years, births, measures, edit = _shape(name)
        df = build_counts(tree, years, births=births, measures=measures, seed=SHAPES.index(name), edit=edit)
        for col in ("region_code", "parent_code"):
            df[col] = [_run_code(name, c) if isinstance(c, str) else c for c in df[col]]
        shared.append(df)
    proc = _mch_run(write(pd.concat(shared, ignore_index=True), tmp / "shared.csv"), tmp / "shared")
    runs.update({name: (tmp / "shared", proc) for name in SHAPES if name not in OWN_FILE})
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("name", SHAPES)
def test_every_region_of_every_shape_gets_its_report(name, shape_runs):
    out, proc = shape_runs[name]
    assert proc.returncode == 0, proc.stderr[-3000:]
    tree = _shape(name)[0]
    codes = sorted(c for c, *_ in tree)
    texts, briefs = {}, {}
    for code in codes:
        d = out / "2024" / _run_code(name, code)
        for f in (
            "report.html",
            "report.docx",
            "technical.html",
            "technical.docx",
            "manifest.json",
            "01_data_quality.ipynb",
            "02_indicator_trends.ipynb",
            "03_mortality_models.ipynb",
            "04_annual_report.ipynb",
        ):
            assert (d / f).is_file(), f"{name}: {code} lacks {f}"
        briefs[code] = text_of_html(d / "report.html")  # the 答卷
        texts[code] = text_of_html(d / "technical.html")  # the technical report: trends and reasons
        for t in (briefs[code], texts[code]):
            # no absurd figure: no number with 7 or more digits before the decimal point in a rate
            assert not re.search(r"\d{7,}(\.\d+)?(/10万|‰|%)", t), t[:2000]
            assert "e+" not in t
    if name in ("1_year", "2_years", "3_years"):
        for code, t in texts.items():
            assert not any(w in t for w in TREND_WORDS), (code, t[:1500])
            assert not any(w in briefs[code] for w in TREND_WORDS), (code, briefs[code][:1500])
            if name != "1_year" and "430102" == code:
                assert f"仅有{int(name[0])}年数据" in t and "不作趋势分析" in t
    if name == "deaths_only_last_year":
        para = mmr_paragraph(texts["430103"])
        assert "不作趋势分析" in para and "按目前趋势推算" not in para and "年均上升" not in para
        assert "按目前趋势推算" not in briefs["430103"]
    if name == "county_of_300_births":
        mmr = mmr_paragraph(texts["430111"])
        assert "孕产妇死亡" in mmr
        assert "孕产妇死亡率趋势有统计学意义" not in mmr and "按目前趋势推算" not in mmr


@pytest.mark.parametrize("name", ["5_years", "deaths_only_last_year", "county_of_300_births", "gap_year"])
def test_mch_validate_says_what_the_file_can_produce(name, tmp_path):
    data = make_shape_file(name, tmp_path)
    cap = analysis.capabilities(analysis.load_analysis_data(data))
    sentence = analysis.capability_sentence(cap)
    assert sentence.startswith("可生成：年度指标")
    if name == "5_years":
        assert "不能生成" in sentence and "Joinpoint分段趋势分析（仅有5年数据" in sentence


# -- the small-number rules, on the analysis layer ----------------------------------------------


def _ctx(df, code, **kw):
    for c in df.columns:
        if c not in ID:
            df[c] = df[c].astype("Int64")
    df["parent_code"] = df["parent_code"].fillna("").astype(str)
    return report.build_context(
        df, year=int(df["year"].max()), region_code=code, figures=False, target_set="national_2030", **kw
    )


def test_deaths_only_in_the_last_year_give_no_trend_projection_or_its(tmp_path):
    """R: glm(deaths ~ year, poisson, offset(log(births))) on this series warns 'fitted rates
    numerically 0' / does not converge and gives p = 0.999: there
    is no finite estimate. The toolkit reports none and says why."""
    df = build_counts(
        [("430103", "天心区", "", "county")],
        list(range(2010, 2025)),
        births={"430103": 2500},
        edit=_small_last_year_only,
    )
    data = analysis.from_counts(_ctx_frame(df))
    tr = analysis.trend(data, "430103", "mmr", year=2024)
    assert tr.apc is None and not tr.apc_fitness.ok
    assert "不作趋势分析" in tr.apc_fitness.zh
    its = analysis.policy_breaks(data, "430103", year=2024, indicators=["mmr"])
    assert its["estimate"].isna().all() and its["reason"].iloc[0]
    pr = analysis.projections(data, "430103", "national_2030", year=2024, indicators=["mmr"])
    assert pr["rate"].isna().all() and pr["reason"].iloc[0]
    ctx = _ctx(df, "430103")
    f = ctx.facts["mmr"]
    assert f["trend"] is None and f["projection"] is None and f["notes"]


def _ctx_frame(df):
    df = df.copy()
    for c in df.columns:
        if c not in ID:
            df[c] = df[c].astype("Int64")
    df["parent_code"] = df["parent_code"].fillna("").astype(str)
    return df


def test_a_county_of_2500_births_gets_the_count_and_a_pooled_rate_and_no_projection():
    def edit(df):
        df["maternal_deaths"] = np.resize([0, 1, 2, 0, 1, 0, 2, 1, 0, 1], len(df))

    df = build_counts(
        [("430103", "天心区", "", "county")], list(range(2015, 2025)), births={"430103": 2500}, edit=edit
    )
    ctx = _ctx(df, "430103")
    f = ctx.facts["mmr"]
    text = re.sub(r"<[^>]+>", "", report.render_section(ctx, "maternal_safety", figures=False))
    assert f["projection"] is None and f["trend"] is None
    assert f["pooled"] is not None and f["pooled"]["n_years"] == 5
    assert "5年合并孕产妇死亡率为" in text
    mmr_text = text[: text.find("婴儿死亡率")]
    assert "趋势有统计学意义" not in mmr_text and "按目前趋势推算" not in mmr_text
    assert f"全年发生孕产妇死亡{f['numerator']}例" in mmr_text or "全年无孕产妇死亡" in mmr_text
    # the 答卷 too: the count, and the pooled rate beside the year's rate; no projection
    brief = re.sub(r"<[^>]+>", "", report.render_brief(ctx))
    p = f["pooled"]
    assert f"孕产妇死亡{f['numerator']}例" in brief
    assert f"{p['start']}—{p['end']}年合计{p['count_text']}例，合并孕产妇死亡率为{p['text']}" in brief
    assert "按目前趋势推算" not in brief and "趋势有统计学意义" not in brief


def test_short_period_ratio_uses_halves_and_says_why_when_it_cannot():
    df = build_counts(CITY, list(range(2019, 2024)), births=BIRTHS)
    data = analysis.from_counts(_ctx_frame(df))
    r = analysis.period_ratios(data, "430100", year=2023)
    imr = r[r["indicator"] == "imr"].iloc[0]
    assert (imr["first_start"], imr["first_end"], imr["last_start"], imr["last_end"]) == (
        2019,
        2020,
        2022,
        2023,
    )
    three = analysis.from_counts(_ctx_frame(build_counts(CITY, [2022, 2023, 2024], births=BIRTHS)))
    r3 = analysis.period_ratios(three, "430100", year=2024)
    assert r3["rate_ratio"].isna().all() and r3["reason"].str.contains("仅有3年数据").all()


@pytest.mark.slow
def test_notebook_02_and_the_report_give_the_same_trend_for_every_demo_region():

    data = analysis.load_analysis_data(DEMO)
    for code in sorted(data.tree["region_code"]):
        ctx = report.build_context(data, year=2024, region_code=code, figures=False)
        apc = analysis.mortality_trends(data, code, year=2024).set_index("indicator")
        jp = analysis.joinpoint_segments(data, code, year=2024)
        for ind in analysis.MORTALITY:
            t = ctx.facts[ind]["trend"]
            if t is None:
                assert np.isnan(apc.loc[ind, "apc"])
                continue
            assert t["apc"] == apc.loc[ind, "apc"] and t["lower"] == apc.loc[ind, "apc_lower"]
            rows = jp[jp["indicator"] == ind]
            if t["aapc"] is not None:
                a = rows[rows["segment"] == "aapc"].iloc[0]
                assert (t["aapc"]["apc"], t["aapc"]["lower"]) == (a["apc"], a["apc_lower"])
                assert t["joinpoints"] and rows["k"].iloc[0] == len(t["joinpoints"])
            elif rows["reason"].iloc[0]:
                assert t["joinpoints"] == []
            else:
                assert rows["k"].iloc[0] == 0 and t["joinpoints"] == []


# -- Hypothesis: any valid shape, never an exception, never an absurd number ------------------


@st.composite
def shapes(draw):
    n_years = draw(st.integers(1, 10))
    first = draw(st.integers(2010, 2024 - n_years + 1))
    years = list(range(first, first + n_years))
    if n_years > 3 and draw(st.booleans()):
        years.remove(draw(st.sampled_from(years[1:-1])))
    n_counties = draw(st.integers(1, 3))
    kids = [(f"4301{i:02d}", f"县{i}", "430100", "county") for i in range(1, n_counties + 1)]
    tree = (
        [("430100", "某市", "", "prefecture"), *kids]
        if n_counties > 1 or draw(st.booleans())
        else [(kids[0][0], kids[0][1], "", "county")]
    )
    births = {c: draw(st.sampled_from([150, 300, 1200, 2500, 9000])) for c, *_ in kids}
    measures = draw(st.sampled_from([None, MORTALITY, SERVICES]))
    last_only = draw(st.booleans())
    seed = draw(st.integers(0, 10_000))
    return tree, years, births, measures, last_only, seed


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes())
def test_any_shape_gives_a_report_context_and_the_notebook_tables(shape):
    tree, years, births, measures, last_only, seed = shape

    def edit(df):
        if last_only and "maternal_deaths" in df.columns:
            df["maternal_deaths"] = 0
            df.loc[df["year"] == max(years), "maternal_deaths"] = 1

    df = _ctx_frame(build_counts(tree, years, births=births, measures=measures, seed=seed, edit=edit))
    data = analysis.from_counts(df)
    year = max(years)
    for code in sorted(data.tree["region_code"]):
        ctx = report.build_context(
            data, year=year, region_code=code, figures=False, target_set="national_2030"
        )
        html = report.render_report(ctx, figures=False)
        assert "nan" not in re.sub(r"<[^>]+>", " ", html).split()
        for f in ctx.facts.values():
            p = f.get("projection")
            if p:
                observed = data.indicators.loc[
                    (data.indicators["region_code"] == code) & (data.indicators["indicator"] == f["id"]),
                    "value",
                ]
                assert p["rate"] <= 10 * max(observed.max(), 1e-9) and p["upper"] / p["lower"] <= 4
            if f.get("trend"):
                assert f["trend"]["start"] < f["trend"]["end"] and abs(f["trend"]["apc"]) < 100
        for fn in (
            analysis.mortality_trends,
            analysis.joinpoint_segments,
            analysis.policy_breaks,
            analysis.period_ratios,
        ):
            fn(data, code, year=year)
        analysis.projections(data, code, "national_2030", year=year)
        analysis.smoothed_subregions(data, code, year)
        analysis.funnel_data(data, code, year)


def test_the_rules_are_documented_with_their_thresholds():
    from mchanalysis.analysis import rules

    doc = rules.__doc__
    for n in (rules.MIN_TOTAL_EVENTS, rules.MIN_YEARS_APC, rules.MIN_YEARS_JOINPOINT, rules.FEW_EVENTS):
        assert str(n) in doc
    assert json.dumps(rules.minimums_table(), ensure_ascii=False)


def test_what_a_file_cannot_produce_is_said_of_the_measures_it_has():
    """A file without maternal deaths: the joinpoint reason names its 5 years, not '0 years' of
    the measure it lacks; a reason's own parentheses do not nest in the sentence's."""
    df = build_counts(
        CITY,
        list(range(2020, 2025)),
        births=BIRTHS,
        measures=["live_births", "infant_deaths", "neonatal_deaths", "under5_deaths"],
    )
    sentence = analysis.capability_sentence(analysis.capabilities(analysis.from_counts(_ctx_frame(df))))
    assert "仅有5年数据" in sentence and "仅有0年数据" not in sentence
    assert "）（" not in sentence and "））" not in sentence


def test_a_city_total_counting_a_missing_county_keeps_its_rates_among_its_counties(tmp_path):
    # a rate of the city whose numerator is its counties' sum stands on their live births too:
    # between the two counties' rates, not 3,000 births lower (a hospital delivery rate of 79 %
    # for counties at 99.8 %, and a 答卷 saying so)
    from mchanalysis.indicators import compute_indicators
    from mchanalysis.validation import load_counts

    tree, years, births, measures, edit = _shape("city_total_counts_a_missing_county")
    df = build_counts(tree, years, births=births, measures=measures, seed=3, edit=edit)
    counts = load_counts(write(df, tmp_path / "c.csv")).counts
    ind = compute_indicators(counts)
    on_births = ind[
        (ind["unit"] != "/10万")
        & ind["indicator"].isin(
            [
                "hospital_delivery_rate",
                "early_registration_rate",
                "prenatal_check_rate",
                "newborn_visit_rate",
                "imr",
            ]
        )
    ]
    assert len(on_births)
    for (name, year), g in on_births.groupby(["indicator", "year"]):
        g = g.set_index("region_code")
        lo, hi = g.loc[["430102", "430103"], "value"].min(), g.loc[["430102", "430103"], "value"].max()
        assert lo - 1e-9 <= g.loc["430100", "value"] <= hi + 1e-9, (name, year, g["value"].to_dict())
        assert g.loc["430100", "flag"] == "subregion_basis"
    # the 答卷's note says which of its rates stand on the counties' counts (its 活产数 line is
    # the city's own total); a county's note does not
    html = report.render_brief(_ctx(df.copy(), "430100"))
    note = re.search(r'id="brief-notes">\s*<p class="note">(.*?)</p>', html, re.S).group(1)
    # here the city reports no deaths of its own: its mortality rates are its counties' too
    assert re.search(
        r"孕产妇死亡率、婴儿死亡率、新生儿死亡率等\d+项指标的分子、分母均按下辖地区合计计算", note
    ), note
    html = report.render_brief(_ctx(df.copy(), "430102"))
    assert "下辖地区合计计算" not in re.search(
        r'id="brief-notes">\s*<p class="note">(.*?)</p>', html, re.S
    ).group(1)
