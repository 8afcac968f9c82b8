"""Honest axes (issue 17 item 5): the scorecard on one scale per unit group from 0; a county MMR
chart whose intervals reach 300/10万 keeps its axis near the estimates; the projection starts at
the fitted value of the last year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import DEMO  # noqa: E402

from mchanalysis import report
from mchanalysis.plots.scorecard import plot_scorecard, unit_scales
from mchanalysis.plots.trends import plot_trend


@pytest.fixture(scope="module")
def county():
    return report.build_context(DEMO, year=2024, region_code="990106", target_set="national_2030", lang="zh")


def test_scorecard_has_one_scale_per_unit_group_and_none_below_zero(county):
    sc = county.scorecard
    fig = plot_scorecard(sc, lang="zh")
    axes = [ax for ax in fig.axes if ax.get_gid() and ax.get_gid().startswith("scale:")]
    assert len(axes) == len(sc)
    by_unit: dict = {}
    for ax, unit in zip(axes, sc["unit"]):
        lo, hi = ax.get_xlim()
        assert lo >= 0, (unit, lo)
        by_unit.setdefault(unit, set()).add((round(lo, 9), round(hi, 9)))
    assert all(len(v) == 1 for v in by_unit.values()), by_unit
    assert len(by_unit) >= 2
    # the same 90% target sits at the same place in every % row
    assert by_unit["%"] == {(0.0, 100.0)} or max(h for _, h in by_unit["%"]) <= 100
    # the scale follows estimates and targets, not intervals: 990106 has MMR 0 with an upper
    # limit of 307/10万; the /10万 axis stays near the target 12
    assert unit_scales(sc)["/10万"][1] < 50
    assert sc.loc[sc["indicator"] == "mmr", "upper"].iloc[0] > 250


def test_county_mmr_chart_keeps_its_axis_near_the_estimates(county):
    fig = county.figures["trend_mmr"]["figure"]
    ax = fig.axes[0]
    series = county.indicator_table.query("region_code == '990106' and indicator == 'mmr' and year <= 2024")
    assert series["upper"].max() > 300  # the whiskers reach 300/10万
    lo, hi = ax.get_ylim()
    assert lo == 0 and hi <= 1.8 * series["value"].max() and hi < 200
    assert [ln for ln in ax.get_lines() if ln.get_gid() == "interval_clipped"]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert not any("e" in s.lower() for s in labels) and not ax.yaxis.get_offset_text().get_text()


def test_projection_starts_at_the_fitted_value_of_the_last_year():
    years = np.arange(2015, 2025)
    val = np.r_[np.linspace(20, 13, len(years) - 1), 0.0]  # the last year observed 0 (no death)
    series = pd.DataFrame({"year": years, "value": val, "lower": val * 0.5, "upper": val * 1.5 + 5})
    fitted = pd.DataFrame({"year": years, "fitted": np.linspace(19, 12, len(years))})
    proj = pd.DataFrame(
        {"target_year": [2025, 2026], "rate": [11.5, 11.0], "lower": [9, 8], "upper": [14, 14]}
    )
    meta = {
        "id": "mmr",
        "name_zh": "孕产妇死亡率",
        "name_en": "MMR",
        "unit": "/10万",
        "direction": "lower_is_better",
        "kind": "rate",
    }
    ax = plot_trend(series, meta=meta, fitted=fitted, projection=proj).axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "projection")
    assert line.get_xdata()[0] == 2024 and line.get_ydata()[0] == pytest.approx(12.0)


def test_funnel_lower_limit_has_no_vertical_drop_and_the_legend_gives_the_unit():
    from mchanalysis.funnel import funnel
    from mchanalysis.plots.funnel import plot_funnel
    from mchanalysis.registry import load_registry

    city = report.build_context(
        DEMO, year=2024, region_code="990100", target_set="national_2030", lang="zh", figures=False
    )
    t = city.indicator_table
    kids = t[(t["parent_code"] == "990100") & (t["year"] == 2024) & (t["indicator"] == "imr")]
    res = funnel(kids, target=city.facts["imr"]["value"])
    lower = res.limits[(res.limits["bound"] == "lower") & (res.limits["conf_level"] == 0.95)]
    assert (lower["limit"] == 0).any() and (lower["limit"] > 0).any()  # the case that drew a drop
    meta = {"id": "imr", **load_registry().set_index("id").loc["imr"].to_dict()}
    fig = plot_funnel(res.points, res.limits, indicator_meta=meta, lang="zh", reference_name="东川市")
    ax = fig.axes[0]
    for ln in ax.get_lines():
        x, y = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
        if len(x) > 2:  # a limit curve: never a vertical stroke, never along 0
            assert np.all(np.diff(x) > 0) and np.all(y > 0), ln.get_label()
    labels = [tx.get_text() for tx in ax.get_legend().get_texts()]
    ref = [s for s in labels if s.startswith("参照值")]
    assert ref == [f"参照值（东川市） {city.facts['imr']['value']:.2f}‰"]
