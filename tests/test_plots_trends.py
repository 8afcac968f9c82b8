"""Trend chart and small multiples: right artists, units, Chinese without missing glyphs, same bytes."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from support import DEMO

from mchanalysis.errors import MchError
from mchanalysis.indicators import compute_indicators
from mchanalysis.plots import save_figure
from mchanalysis.plots.small_multiples import plot_small_multiples
from mchanalysis.plots.trends import plot_trend
from mchanalysis.registry import indicator_meta, load_registry

REPO = Path(__file__).resolve().parents[1]
MMR = indicator_meta("mmr")
IMR = indicator_meta("imr")


def _series(n=10, start=2014, missing_year=None):
    years = np.arange(start, start + n)
    value = np.linspace(30, 12, n)
    df = pd.DataFrame(
        {
            "year": years,
            "value": value,
            "lower": value * 0.7,
            "upper": value * 1.35,
            "region_name": "示例省",
            "conf_level": 0.95,
        }
    )
    if missing_year is not None:
        df.loc[df["year"] == missing_year, ["value", "lower", "upper"]] = np.nan
    return df


def _full_chart(lang="zh", **kw):
    s = _series()
    fitted = pd.DataFrame({"year": s["year"], "fitted": np.linspace(29, 13, len(s))})
    national = pd.DataFrame({"year": s["year"], "value": np.linspace(25, 15, len(s))})
    projection = pd.DataFrame(
        {
            "target_year": [2025, 2030],
            "rate": [11.0, 9.0],
            "lower": [9.0, 6.5],
            "upper": [13.5, 12.4],
            "conf_level": 0.95,
        }
    )
    args = dict(
        meta=MMR,
        fitted=fitted,
        joinpoints=[2016, 2019.5],
        target={"value": 12, "year": 2030},
        national=national,
        projection=projection,
        lang=lang,
    )
    args.update(kw)
    return plot_trend(s, **args)


def _by_gid(fig, gid):
    return [a for a in fig.axes[0].get_children() if a.get_gid() == gid]


def _texts(fig):
    out = [t.get_text() for ax in fig.axes for t in ax.texts]
    out += [ax.get_title(loc=loc) for ax in fig.axes for loc in ("left", "center")]
    out += [ax.get_ylabel() for ax in fig.axes]
    out += [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trend_chart_has_the_expected_artists(lang):
    fig = _full_chart(lang)
    ax = fig.axes[0]
    (obs,) = _by_gid(fig, "observed")
    assert len(obs.get_xdata()) == 10
    bars = _by_gid(fig, "observed_interval")
    assert len(bars) == 1 and len(bars[0].get_segments()) == 10
    seg = bars[0].get_segments()[0]
    assert seg[0][1] == pytest.approx(21.0) and seg[1][1] == pytest.approx(40.5)  # 30·0.7, 30·1.35
    (fit,) = _by_gid(fig, "fitted")
    assert len(fit.get_xdata()) == 10
    (jp,) = _by_gid(fig, "joinpoints")
    assert list(jp.get_xdata()) == [2016, 2019.5]
    np.testing.assert_allclose(
        jp.get_ydata(), np.interp([2016, 2019.5], np.arange(2014, 2024), np.linspace(29, 13, 10))
    )
    (target,) = _by_gid(fig, "target")
    assert list(target.get_ydata()) == [12, 12]
    (nat,) = _by_gid(fig, "national")
    assert len(nat.get_xdata()) == 10
    (proj,) = _by_gid(fig, "projection")
    assert list(proj.get_xdata()) == [2023, 2025, 2030]  # starts at the last fitted point
    assert ax.get_ylim()[0] == 0
    texts = _texts(fig)
    if lang == "zh":
        assert "孕产妇死亡率（/10万）" in texts and "示例省孕产妇死亡率" in texts
        assert "2030年目标：≤12/10万" in texts
        assert {"观察值（95%置信区间）", "拟合趋势", "转折点", "全国"} <= set(texts)
    else:
        assert "Maternal mortality ratio (per 100,000)" in texts
        assert "2030 target: ≤12 per 100,000" in texts
        assert {"Observed (95% CI)", "Fitted trend", "Joinpoint", "National"} <= set(texts)


def test_target_label_never_hides_an_observed_value_or_its_interval():
    # the label's white box sits over the lines it is written on (fit, national, the target
    # itself), never over the observations: a bar crossing the label stays whole (a county's
    # 2025 label once hid the lower half of a 2013 interval, leaving a stray "." after ‰)
    fig = _full_chart("zh")
    (label,) = [t for t in fig.axes[0].texts if t.get_gid() == "target_label"]
    below = [*_by_gid(fig, "observed"), *_by_gid(fig, "observed_interval"), *_by_gid(fig, "joinpoints")]
    above = [*_by_gid(fig, "fitted"), *_by_gid(fig, "national"), *_by_gid(fig, "target")]
    assert below and above
    assert all(label.get_zorder() < a.get_zorder() for a in below)
    assert all(label.get_zorder() > a.get_zorder() for a in above)


def test_units_follow_the_indicator():
    assert "婴儿死亡率（‰）" in _texts(plot_trend(_series(), meta=IMR, target=5))
    assert "2030" not in "".join(_texts(plot_trend(_series(), meta=IMR, target=5)))
    assert "目标：≤5‰" in _texts(plot_trend(_series(), meta=IMR, target=5))
    reg = load_registry()
    pct = reg[(reg["unit"] == "%") & (reg["direction"] == "higher_is_better")].iloc[0].to_dict()
    texts = _texts(plot_trend(_series(), meta=pct, target=99))
    assert f"{pct['name_zh']}（%）" in texts and "目标：≥99%" in texts


def test_missing_year_is_a_gap_not_a_zero():
    fig = plot_trend(_series(missing_year=2018), meta=MMR)
    (obs,) = _by_gid(fig, "observed")
    assert 2018 not in list(obs.get_xdata()) and len(obs.get_xdata()) == 9
    assert not fig.legends  # a single artist needs no legend


def test_joinpoints_without_fitted_line_are_vertical_markers():
    fig = plot_trend(_series(), meta=MMR, joinpoints=[2017])
    lines = _by_gid(fig, "joinpoints")
    assert len(lines) == 1 and list(lines[0].get_xdata()) == [2017, 2017]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trend_chart_renders_without_missing_glyphs(lang):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = _full_chart(lang)
        fig.canvas.draw()
    # the check is real: the same chart drawn with a Latin-only font warns
    fresh = _full_chart(lang)
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        if lang == "zh":
            with pytest.warns(UserWarning, match="Glyph"):
                fresh.canvas.draw()


def test_trend_chart_png_is_byte_identical(tmp_path):
    a = save_figure(_full_chart(), tmp_path / "a.png")
    b = save_figure(_full_chart(), tmp_path / "b.png")
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()


def test_trend_chart_rejects_bad_input():
    with pytest.raises(MchError, match="lang"):
        plot_trend(_series(), meta=MMR, lang="fr")
    with pytest.raises(MchError, match="upper"):
        plot_trend(_series().drop(columns="upper"), meta=MMR)
    s = pd.concat([_series(), _series()])
    with pytest.raises(MchError, match="more than one row"):
        plot_trend(s, meta=MMR)


# --------------------------------------------------------------------------- small multiples
@pytest.fixture(scope="module")
def demo_indicators():
    counts = pd.read_csv(DEMO, dtype={"region_code": str, "parent_code": str})
    counties = counts.loc[counts["parent_code"] == "990100", "region_code"].unique().tolist()
    return compute_indicators(counts), sorted(counties)


def test_small_multiples_one_panel_per_region_shared_axes(demo_indicators):
    ind, counties = demo_indicators
    ref = ind[(ind["region_code"] == "990100") & (ind["indicator"] == "imr")][["year", "value"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_small_multiples(
            ind, indicator="imr", regions=counties, meta=IMR, reference=ref, reference_name="东川市"
        )
        fig.canvas.draw()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(counties)
    names = ind.drop_duplicates("region_code").set_index("region_code")["region_name"]
    assert [ax.get_title(loc="left") for ax in visible] == [names[c] for c in counties]
    n_years = ind.loc[(ind["region_code"] == counties[0]) & (ind["indicator"] == "imr"), "year"].nunique()
    for ax in visible:
        obs = [ln for ln in ax.get_lines() if ln.get_gid() == "observed"]
        assert len(obs) == 1 and len(obs[0].get_xdata()) == n_years
        assert [ln for ln in ax.get_lines() if ln.get_gid() == "reference"]
        assert ax.get_ylim() == visible[0].get_ylim()  # shared y axis
    assert "婴儿死亡率（‰）" in _texts(fig)
    assert {"观察值", "95%置信区间", "东川市"} <= set(_texts(fig))


def test_small_multiples_png_is_byte_identical_and_english(demo_indicators, tmp_path):
    ind, counties = demo_indicators
    a = save_figure(
        plot_small_multiples(ind, indicator="mmr", regions=counties, meta=MMR, lang="en"), tmp_path / "a.png"
    )
    b = save_figure(
        plot_small_multiples(ind, indicator="mmr", regions=counties, meta=MMR, lang="en"), tmp_path / "b.png"
    )
    assert a.read_bytes() == b.read_bytes()


def test_small_multiples_rejects_unknown_region(demo_indicators):
    ind, counties = demo_indicators
    with pytest.raises(MchError, match="999999"):
        plot_small_multiples(ind, indicator="imr", regions=[counties[0], "999999"], meta=IMR)


def test_trend_chart_takes_trend_and_joinpoint_results_directly(demo_indicators):
    from mchanalysis.joinpoint import joinpoint
    from mchanalysis.trends import loglinear_trend

    ind, _ = demo_indicators
    s = ind[(ind["region_code"] == "990000") & (ind["indicator"] == "imr")]
    tr = loglinear_trend(s["year"], s["numerator"], s["denominator"])
    fig = plot_trend(s, meta=IMR, fitted=tr)
    (fit,) = _by_gid(fig, "fitted")
    # the log-linear line: 1000 · exp(b0 + b1 (year − start)), independent of the chart's code
    b0, b1 = tr.result.params
    np.testing.assert_allclose(
        fit.get_ydata(), 1000 * np.exp(b0 + b1 * (s["year"].to_numpy() - s["year"].min()))
    )
    jp = joinpoint(s["year"], s["value"], se=(s["upper"] - s["lower"]) / (2 * 1.959964), max_joinpoints=2)
    fig = plot_trend(s, meta=IMR, fitted=jp)
    (fit,) = _by_gid(fig, "fitted")
    np.testing.assert_allclose(fit.get_ydata(), jp.fitted["fitted"])
    marks = _by_gid(fig, "joinpoints")
    assert len(jp.joinpoints) == 0 and not marks or list(marks[0].get_xdata()) == list(jp.joinpoints)


def test_proportion_axis_is_not_forced_to_zero_and_stays_below_100():
    reg = load_registry()
    pct = reg[(reg["unit"] == "%") & (reg["kind"] == "proportion")].iloc[0].to_dict()
    s = _series()
    s["value"] = np.linspace(90, 99.6, len(s))
    s["lower"], s["upper"] = s["value"] - 0.5, np.minimum(s["value"] + 0.3, 100)
    lo, hi = plot_trend(s, meta=pct, target=95).axes[0].get_ylim()
    assert 80 < lo < 90 and 99.9 <= hi <= 101


def test_trend_chart_of_an_interrupted_time_series(demo_indicators):
    from mchanalysis.models import interrupted_time_series

    ind, _ = demo_indicators
    s = ind[(ind["region_code"] == "990000") & (ind["indicator"] == "imr")]
    its = interrupted_time_series(s["year"], s["numerator"], s["denominator"], multiplier=1000)
    fig = plot_trend(s, meta=IMR, fitted=its)
    (before,) = _by_gid(fig, "fitted")
    (after,) = _by_gid(fig, "fitted_after")
    assert before.get_xdata().max() == 2015 and after.get_xdata().min() == 2016
    (cf,) = _by_gid(fig, "counterfactual")
    assert cf.get_xdata().min() == 2015
    (brk,) = _by_gid(fig, "break")
    assert list(brk.get_xdata()) == [2015.5, 2015.5]
    assert "政策节点（2016年）" in _texts(fig) and "政策前趋势延伸" in _texts(fig)
    assert not _by_gid(fig, "joinpoints")
