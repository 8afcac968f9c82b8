"""The notebooks' composite helpers: memo by content, copies, selections, composition."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)

from mchanalysis import analysis as A
from mchanalysis.errors import MchError


@pytest.fixture(scope="module")
def data():
    return A.load_analysis_data(DEMO)


def test_memo_hands_out_copies_so_a_notebook_cannot_change_the_next_regions_tables():
    data = A.load_analysis_data(DEMO)
    data.indicators.loc[:, "value"] = -1.0
    data.counts.loc[:, "live_births"] = 0
    again = A.load_analysis_data(DEMO)
    assert (again.indicators["value"].dropna() >= 0).all() and again.counts["live_births"].max() > 0


def _scan(d, code, ind):
    """The region's series found by scanning its whole indicator table (what series() indexes)."""
    t = d.indicators
    s = t[(t["region_code"] == code) & (t["indicator"] == ind)]
    s = s[s["numerator"].notna() & s["denominator"].notna() & (s["denominator"] > 0)]
    return s.sort_values("year", kind="mergesort").reset_index(drop=True)


def test_copies_share_one_series_index_and_a_changed_copy_gets_its_own():
    first, second = A.load_analysis_data(DEMO), A.load_analysis_data(DEMO)
    A.series(first, "990105", "imr")
    # built once per memoised object, not once per notebook (0.15 s each on a national file)
    assert second._series_rows is first._series_rows
    pd.testing.assert_frame_equal(A.series(second, "990105", "imr"), _scan(second, "990105", "imr"))
    # a notebook that reorders, drops or adds rows of its copy still gets its own rows
    changed = A.load_analysis_data(DEMO)
    changed.indicators.sort_values(["year", "region_code"], ascending=False, inplace=True, ignore_index=True)
    for code, ind in [("990105", "imr"), ("990000", "mmr"), ("990203", "u5mr")]:
        pd.testing.assert_frame_equal(A.series(changed, code, ind), _scan(changed, code, ind))
    assert changed._series_rows is not first._series_rows
    dropped = A.load_analysis_data(DEMO)
    dropped.indicators.drop(dropped.indicators.index[dropped.indicators["year"] == 2020], inplace=True)
    dropped.indicators.reset_index(drop=True, inplace=True)
    got = A.series(dropped, "990105", "imr")
    assert 2020 not in set(got["year"])
    pd.testing.assert_frame_equal(got, _scan(dropped, "990105", "imr"))
    # the copies handed out before and after are unaffected
    pd.testing.assert_frame_equal(A.series(first, "990105", "imr"), _scan(first, "990105", "imr"))


def test_the_fit_cache_is_bounded_and_keeps_the_fits_in_use(data, monkeypatch):
    """A batch kernel runs thousands of regions: kept fits are objects every garbage collection
    walks, so the cache keeps the last few regions' fits (a county's 答卷 asks for 8, a
    province's four notebooks for 16), not every fit since the kernel started."""
    from collections import OrderedDict

    from mchanalysis.analysis import mortality

    monkeypatch.setattr(mortality, "_CACHE", OrderedDict())
    bound = mortality.CACHE_ENTRIES
    assert 16 <= bound <= 256
    first = A.trend(data, "990105", "imr", year=2024)
    assert A.trend(data, "990105", "imr", year=2024) is first  # a second ask is the kept fit
    calls = []
    for i in range(bound + 40):
        mortality._cached(("test", i), lambda i=i: calls.append(i) or i)
        # the fit in use is asked for again while the others come and go: it stays
        assert A.trend(data, "990105", "imr", year=2024) is first
    assert len(mortality._CACHE) <= bound
    assert ("test", 0) not in mortality._CACHE and ("test", bound + 39) in mortality._CACHE
    assert mortality._cached(("test", bound + 39), lambda: -1) == bound + 39  # kept: not recomputed
    assert mortality._cached(("test", 0), lambda: -1) == -1  # dropped: computed again


def test_memo_is_keyed_by_the_file_bytes_not_its_name(tmp_path, data):
    copy = tmp_path / "counts.csv"
    shutil.copy(DEMO, copy)
    assert A.load_analysis_data(copy).sha256 == data.sha256
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    where = (raw["region_code"] == "990105") & (raw["year"] == "2024")
    raw.loc[where, "cesarean_deliveries"] = str(int(raw.loc[where, "cesarean_deliveries"].iloc[0]) + 1)
    raw.to_csv(copy, index=False)
    changed = A.load_analysis_data(copy)
    assert changed.sha256 != data.sha256
    old, new = (
        d.indicators[
            (d.indicators["region_code"] == "990105")
            & (d.indicators["year"] == 2024)
            & (d.indicators["indicator"] == "cesarean_rate")
        ]["numerator"].iloc[0]
        for d in (A.load_analysis_data(DEMO), changed)
    )
    assert new == old + 1


def test_region_summary_names_the_missing_year(data, tmp_path):
    raw = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    raw = raw[~((raw["region_code"] == "990106") & (raw["year"] == "2024"))]
    path = tmp_path / "c.csv"
    raw.to_csv(path, index=False)
    gap = A.load_analysis_data(path)
    with pytest.raises(MchError, match="990106 .*has no row for 2024"):
        A.region_summary(gap, "990106", 2024)
    s = A.region_summary(A.load_analysis_data(DEMO), "990100", 2024)
    assert s.loc[0, "parent_code"] == "990000" and s.loc[0, "subregions"] == 5


def test_quality_findings_cover_the_region_and_everything_below_it_only(data):
    f = A.quality_findings(data, "990100", lang="en")
    assert set(f["region_code"]) <= {"990100", "990102", "990103", "990104", "990105", "990106"}
    assert len(f) == data.quality["region_code"].isin(A.region_codes_below(data, "990100")).sum()
    assert (
        f["message"].tolist()
        == data.quality.set_index(["region_code", "year", "item", "check"])
        .loc[list(zip(f["region_code"], f["year"], f["item"], f["check"])), "message_en"]
        .tolist()
    )


def test_indicator_series_holds_the_region_its_parent_and_the_nation(data):
    s = A.indicator_series(data, "990105", "imr")
    assert set(s["series"]) == {"region", "parent", "national"}
    assert set(s.loc[s["series"] == "parent", "region_code"]) == {"990100"}
    own = data.indicators[
        (data.indicators["region_code"] == "990105") & (data.indicators["indicator"] == "imr")
    ]
    assert np.allclose(
        s.loc[s["series"] == "region", "value"].to_numpy(), own.sort_values("year")["value"].to_numpy()
    )


def test_per_indicator_tables_are_the_package_functions_applied_to_the_regions_series(data):
    from mchanalysis.trends import loglinear_trend

    t = A.mortality_trends(data, "990100")
    assert list(t["indicator"]) == list(A.MORTALITY)
    s = data.indicators[
        (data.indicators["region_code"] == "990100") & (data.indicators["indicator"] == "imr")
    ]
    ref = loglinear_trend(s["year"], s["numerator"], s["denominator"]).to_frame()
    assert t.loc[t["indicator"] == "imr", "apc"].iloc[0] == ref["apc"].iloc[0]


def test_county_compares_with_its_siblings_and_has_no_subregions(data):
    parent, codes = A.comparison_regions(data, "990105")
    assert parent == "990100" and "990105" in codes and len(codes) == 5
    assert A.smoothed_subregions(data, "990105", 2024).empty
    assert A.shrinkage_figure(data, "990105", 2024) is None
    assert A.comparison_regions(data, "990100") == ("990100", codes)


def test_saved_tables_and_figures_are_byte_reproducible(data, tmp_path):
    t = A.indicator_year_table(data, "990105", 2024)
    a = A.save_table(t, tmp_path / "a", "x").read_bytes()
    b = A.save_table(t.copy(), tmp_path / "b", "x").read_bytes()
    assert a == b and b"\r\n" not in a
    img1 = A.save_figure(A.funnel_figure(data, "990105", 2024), tmp_path / "a", "f")
    img2 = A.save_figure(A.funnel_figure(data, "990105", 2024), tmp_path / "b", "f")
    assert img1.data == img2.data == (tmp_path / "a" / "figures" / "f.png").read_bytes()
    assert A.save_figure(None, tmp_path, "none") is None


def test_synthetic_notice_only_for_demo_codes():
    assert "模拟" in A.synthetic_notice("990105") and "Synthetic" in A.synthetic_notice("990105", "en")
    assert A.synthetic_notice("110101") == ""


def test_policy_break_table_names_each_term(data):
    """Every ITS row says which parameter it is (the table once carried an empty term column)."""
    t = A.policy_breaks(data, "990000", indicators=["imr"])
    assert list(t["term"]) == ["level_change", "apc_before", "apc_after", "slope_ratio", "apc_difference"]


def test_show_speaks_the_language_and_rounds_as_the_report(data):
    """Notebook tables: Chinese column names and coded values in zh, one message column,
    p-values as '<0.001', counts without decimals."""
    t = A.policy_breaks(data, "990000", indicators=["imr"])
    html = A.show(t, "zh").data
    assert "断点水平变化（率比）" in html and "level_change" not in html and "P值" in html
    r = A.period_ratios(data, "990000", indicators=["imr"])
    html = A.show(r, "zh").data
    assert "<0.001" in html.replace("&lt;", "<") and f">{int(r['events_first'].iloc[0])}<" in html
    w = pd.DataFrame(
        {"check": ["over_100"], "severity": ["warning"], "message": ["m-en"], "message_zh": ["m-zh"]}
    )
    zh, en = A.show(w, "zh").data, A.show(w, "en").data
    assert "m-zh" in zh and "m-en" not in zh and "超过100%" in zh and "警告" in zh
    assert "m-en" in en and "m-zh" not in en and "over 100%" in en


def test_projection_uses_the_last_joinpoint_segment_and_the_reported_rate(data):
    """Issue 11: when the joinpoint model has joinpoints the projection is fitted from the last
    joinpoint on; p_meets is the reported rate's probability; needed runs from the fitted rate."""
    from mchanalysis.analysis import mortality as M
    from mchanalysis.analysis import rules
    from mchanalysis.models import needed_annual_decline, project_rate

    t = M.trend(data, "990000", "imr", year=2024)
    assert t.joinpoint is not None and t.joinpoint.k >= 1
    p, fit = M.projection(data, "990000", "imr", target=5.0, target_year=2030, year=2024)
    assert fit.ok and p["basis"] == "last_segment"
    start = int(t.joinpoint.joinpoints[-1])
    assert p["fit_start"] == start
    s = M.series(data, "990000", "imr", until=2024)
    s = s[s["year"] >= start]
    ref = project_rate(
        s["year"].astype(int),
        s["numerator"].astype("int64"),
        s["denominator"].astype("int64"),
        target_years=[2030],
        target=5.0,
        multiplier=1000,
    ).frame.iloc[0]
    assert p["p_meets"] == pytest.approx(ref["p_meets_target"], rel=1e-12)
    assert p["needed"] == pytest.approx(needed_annual_decline(ref["fitted_latest_rate"], 5.0, 6), rel=1e-12)
    assert p["meets"] == (p["p_meets"] >= rules.PROJECTION_LIKELY)
    w, _ = M.projection(data, "990100", "mmr", target=12.0, target_year=2030, year=2024)
    assert w["basis"] == "whole_series" and w["fit_start"] == 2010


def test_projection_outlook_thresholds_and_short_last_segment():
    from mchanalysis.analysis import rules

    assert rules.projection_outlook(0.9) == "likely" and rules.projection_outlook(2 / 3) == "likely"
    assert rules.projection_outlook(0.5) == "uncertain" and rules.projection_outlook(0.2) == "unlikely"
    f = rules.last_segment_fitness([2022, 2023], [30, 25])
    assert not f.ok and f.code == "last_segment_short" and "2022" in f.message("zh")
    g = rules.last_segment_fitness([2020, 2021, 2022, 2023], [3, 2, 4, 1])
    assert not g.ok and g.code == "last_segment_few_events"
    assert rules.last_segment_fitness([2020, 2021, 2022, 2023], [10, 8, 7, 6]).ok


def _covers(lower, upper, null):
    return (np.asarray(lower, float) <= null) & (np.asarray(upper, float) >= null)


def test_no_printed_table_pairs_p_below_005_with_an_interval_covering_the_null(data):
    """Issue 11, over every demo region: trends, joinpoint segments and AAPC, ITS, period ratios,
    and year-on-year changes of every indicator with counts."""
    from mchanalysis import stats
    from mchanalysis.analysis import mortality as M

    bad = []
    codes = sorted(data.indicators["region_code"].unique())
    for code in codes:
        tabs = {
            "trend": (M.mortality_trends(data, code, year=2024), "apc_lower", "apc_upper", 0.0),
            "joinpoint": (M.joinpoint_segments(data, code, year=2024), "apc_lower", "apc_upper", 0.0),
            "period": (M.period_ratios(data, code, year=2024), "lower", "upper", 1.0),
        }
        its = M.policy_breaks(data, code, year=2024)
        its = its[its["term"].isin(["level_change", "slope_ratio"])]
        tabs["its"] = (its, "lower", "upper", 1.0)
        for name, (t, lo, hi, null) in tabs.items():
            t = t[t["p_value"].notna()]
            clash = (t["p_value"] < 0.05) & _covers(t[lo], t[hi], null)
            clash |= (t["p_value"] >= 0.05) & ~_covers(t[lo], t[hi], null)
            if clash.any():
                bad.append((code, name, t[clash].to_dict("records")))
    assert not bad, bad[:3]
    # year-on-year changes of every indicator with counts, in every region
    ind = data.indicators.dropna(subset=["numerator", "denominator"]).sort_values(
        ["region_code", "indicator", "year"]
    )
    reg = data.registry.set_index("id")
    prev = ind.groupby(["region_code", "indicator"]).shift(1)
    pairs = ind.assign(n0=prev["numerator"], d0=prev["denominator"]).dropna(subset=["n0", "d0"])
    n_checked = 0
    for kind, grp in pairs.groupby(pairs["indicator"].map(reg["kind"])):
        if kind == "proportion":
            r = stats.compare_proportions(grp["n0"], grp["d0"], grp["numerator"], grp["denominator"])
            lo, hi, null = r["difference_lower"], r["difference_upper"], 0.0
        else:
            r = stats.compare_rates(grp["n0"], grp["d0"], grp["numerator"], grp["denominator"])
            lo, hi, null = r["ratio_lower"], r["ratio_upper"], 1.0
        ok = r["p_value"].notna() & lo.notna() & hi.notna()  # no events in either year: no interval
        assert ((r["p_value"][ok] < 0.05) == ~_covers(lo[ok], hi[ok], null)).all()
        n_checked += int(ok.sum())
    assert n_checked > 1000


def test_section_tables_carry_holm_adjusted_p_values(data):
    from statsmodels.stats.multitest import multipletests

    from mchanalysis.analysis import mortality as M

    t = M.mortality_trends(data, "990000", year=2024)
    ok = t["p_value"].notna()
    assert ok.sum() >= 2
    np.testing.assert_allclose(t.loc[ok, "p_adjusted"], multipletests(t.loc[ok, "p_value"], method="holm")[1])
    its = M.policy_breaks(data, "990000", year=2024)
    tested = its[its["term"].isin(["level_change", "slope_ratio"])]
    np.testing.assert_allclose(tested["p_adjusted"], multipletests(tested["p_value"], method="holm")[1])
    per = M.period_ratios(data, "990000", year=2024)
    assert (per["p_adjusted"].dropna() >= per["p_value"].dropna()).all()


def test_saved_tables_open_in_excel_and_never_run_a_name_as_a_formula(tmp_path):
    """Issue 15 item 5: CSV cells starting with = + - @ are neutralised as in XLSX; a BOM so
    Excel shows the Chinese."""
    t = pd.DataFrame({"region_name": ['=HYPERLINK("http://x")', "长沙市"], "value": [-1.5, 2.0]})
    path = A.save_table(t, tmp_path, "names")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path)
    assert back["region_name"].tolist() == ['\'=HYPERLINK("http://x")', "长沙市"]
    assert back["value"].tolist() == [-1.5, 2.0]


@pytest.mark.parametrize("year", [2024, 2019])
def test_notebook_trend_chart_draws_the_target_the_report_is_judged_on(data, year):
    # notebook 02's chart and the 答卷's chart of the same region and year draw one target line:
    # the one the scorecard judges (for "auto" before 2026 the 2025 milestone, not the 2030
    # target shown beside it)
    import matplotlib.pyplot as plt

    from mchanalysis import report

    ctx = report.build_context(DEMO, year=year, region_code="990000", target_set="auto", figures=False)
    for ind in ("mmr", "imr"):
        fig = A.trend_figure(data, "990000", ind, year=year, target_set="auto")
        (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "target"]
        (label,) = [t for t in fig.axes[0].texts if t.get_gid() == "target_label"]
        judged = ctx.facts[ind]["target"]
        assert judged is not None
        assert line.get_ydata()[0] == pytest.approx(float(judged["target"]))
        assert str(judged["target_year"]) in label.get_text()
        plt.close(fig)
