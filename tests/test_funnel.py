"""Funnel limits and significance against PHEindicatormethods' test data (tests/data/phe), and
the overdispersion estimator against a hand calculation from Spiegelhalter (2005)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import DEMO

from mchanalysis.errors import MchError
from mchanalysis.funnel import (
    PHE_LABELS,
    adjusted_funnel_limits,
    funnel,
    funnel_significance,
    overdispersion,
    proportion_funnel_limits,
    rate_funnel_limits,
    ratio_funnel_limits,
)

PHE = Path(__file__).parent / "data" / "phe"
TAGS = {"2s": 0.95, "3s": 0.998}


def phe(name):
    return pd.read_csv(PHE / name)


def rows(df):
    return [pytest.param(r, id=f"x{r[df.columns[0]]:g}") for r in df.to_dict("records")]


# ---------------------------------------------------------------- proportion limits

PROP_IN = phe("funnel_prop_inputs.csv")
PROP_OUT = phe("funnel_prop_outputs.csv")
PROP_OUT_AXIS = phe("funnel_prop_outputs_with_axis_variation.csv")


def _pooled_pct(df):
    return df["numerator"].sum() / df["denominator"].sum() * 100


@pytest.mark.parametrize(
    "out,inputs",
    [(PROP_OUT, PROP_IN), (PROP_OUT_AXIS, PROP_IN[PROP_IN["denominator"] < 31000])],
    ids=["all_areas", "axis_variation"],
)
def test_proportion_limits_match_phe_at_every_population(out, inputs):
    target = _pooled_pct(inputs)
    assert target == pytest.approx(out["baseline"].iloc[0], abs=1e-6)
    for tag, level in TAGS.items():
        lo, up = proportion_funnel_limits(out["Population"], target=target, level=level, multiplier=100)
        np.testing.assert_allclose(lo, out[f"lower_{tag}_limit"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(up, out[f"upper_{tag}_limit"], rtol=0, atol=1e-6)


def test_proportion_significance_labels_match_phe():
    sig = funnel_significance(
        PROP_IN["numerator"],
        PROP_IN["denominator"],
        kind="proportion",
        target=_pooled_pct(PROP_IN),
        multiplier=100,
    )
    labels = pd.Series(sig).map(PHE_LABELS)
    mismatched = PROP_IN.loc[labels != PROP_IN["significance"], "Area"].tolist()
    assert mismatched == []
    assert set(PROP_IN["significance"]) == set(PHE_LABELS.values())  # every class is exercised


# ---------------------------------------------------------------- ratio limits

RATIO_OUT = phe("funnel_ratio_outputs.csv")
RATIO_IN = phe("funnel_ratio_inputs.csv")


def _phe_rel_tol(observed, lam):
    """1e-5 relative, or PHE's bisection step where larger.

    PHE solves for λ by bisection on v = λ/(1 + O + λ), stopping when the step < 1e-7, so its λ
    carries up to ~(1 + O)·1e-7 absolute error — relative 2e-4 at O = 1, 99.8 % (λ = 0.0010005).
    """
    return np.maximum(1e-5, (1 + np.asarray(observed)) * 1e-7 / np.asarray(lam))


@pytest.mark.parametrize("tag", list(TAGS))
def test_ratio_limits_match_phe_count_and_isr(tag):
    f = ratio_funnel_limits(RATIO_OUT["Observed_events"], level=TAGS[tag])
    o = RATIO_OUT["Observed_events"].to_numpy()
    for bound in ("lower", "upper"):
        lam = f[f"{bound}_expected"].to_numpy()
        tol = _phe_rel_tol(o, lam)
        exp_lam = RATIO_OUT[f"{bound}_{tag}_exp_events"].to_numpy()
        assert (np.abs(lam / exp_lam - 1) <= tol).all()
        isr = RATIO_OUT[f"{bound}_{tag}_isr"].to_numpy()
        assert (np.abs(f[bound].to_numpy() * 100 / isr - 1) <= tol).all()
        count = RATIO_OUT[f"{bound}_{tag}_count"].to_numpy()  # PHE's "count" scale: ratio - 1
        np.testing.assert_allclose(
            f[bound].to_numpy() - 1, count, rtol=0, atol=np.max(tol * np.abs(count + 1)) + 1e-9
        )


def test_ratio_significance_labels_match_phe():
    sig = funnel_significance(RATIO_IN["obs"], RATIO_IN["expected"], kind="ratio", target=1)
    labels = pd.Series(sig).map(PHE_LABELS)
    assert (labels == RATIO_IN["significance"]).all()


# ---------------------------------------------------------------- rate limits

RATE_IN = phe("funnel_rate_limits_inputs.csv")


def _rate_baseline(events, rate, denominator=None):
    """PHE's baseline: derived denominators n* = 1e5·O/rate (O = 0: the given one), pooled."""
    n = np.where(
        events > 0, 1e5 * events / np.where(rate > 0, rate, 1), np.nan if denominator is None else denominator
    )
    ok = ~np.isnan(n)
    return events[ok].sum() / n[ok].sum() * 1e5


def _rate_cases():
    ev = RATE_IN["ev"].to_numpy(float)
    rate = RATE_IN["rate"].to_numpy(float)
    top = ev.argmax()
    ev_lt10 = ev.copy()
    ev_lt10[top] = 5
    pop = 1e5 * ev / rate
    ev0, rate0 = ev.copy(), rate.copy()
    ev0[top], rate0[top] = 0, 0
    keep = pop > pop.max() / 2
    return {
        "funnel_rate_outputs_dsr.csv": _rate_baseline(ev, rate),
        "funnel_rate_outputs_crude_lt10.csv": _rate_baseline(ev_lt10, rate),
        "funnel_rate_outputs_crude_zero_with_denominator.csv": ev0[keep].sum() / pop[keep].sum() * 1e5,
    }


@pytest.mark.parametrize("name,target", list(_rate_cases().items()))
def test_rate_limits_match_phe(name, target):
    out = phe(name)
    assert target == pytest.approx(out["baseline"].iloc[0], rel=1e-8)
    o = out["Events"].to_numpy()
    for tag, level in TAGS.items():
        r = rate_funnel_limits(o, target=target, multiplier=1e5, level=level, years_of_data=3)
        for bound in ("lower", "upper"):
            lam = r[f"{bound}_population"].to_numpy() * 3 * target / 1e5
            tol = _phe_rel_tol(o, lam)
            lim = out[f"{bound}_{tag}_limit"].to_numpy()
            pop = out[f"{bound}_{tag}_population_1_year"].to_numpy()
            assert (np.abs(r[bound].to_numpy() / lim - 1) <= tol).all(), (tag, bound)
            assert (np.abs(r[f"{bound}_population"].to_numpy() / pop - 1) <= tol).all()


SIG = phe("funnel_rate_significance_inputs.csv")


@pytest.mark.parametrize("variant", [c for c in SIG.columns if c.startswith(("crude", "dsr"))])
def test_rate_significance_labels_match_phe(variant):
    rate_type, _, per, zero = variant.split("_", 3)
    mult = float(per)
    df = SIG if zero == "with_0" else SIG[SIG["count"] != 0]
    o = df["count"].to_numpy(float)
    rate = df[f"rate_{rate_type}" if rate_type == "dsr" else f"rate_crude_per_{per}"].to_numpy(float)
    if rate_type == "dsr":
        rate = rate * mult / 1e5  # rate_dsr is per 100,000
    n = np.where(
        o > 0,
        mult * o / np.where(rate > 0, rate, 1),
        df["pop"].to_numpy(float) if rate_type == "crude" else np.nan,
    )
    ok = ~np.isnan(n)
    target = o[ok].sum() / n[ok].sum() * mult
    sig = funnel_significance(o, np.where(ok, n, np.nan), kind="rate", target=target, multiplier=mult)
    labels = pd.Series(sig, index=df.index).map(PHE_LABELS)
    expected = df[variant]
    if rate_type == "dsr":  # PHE does not label DSRs below 10 events
        na = expected.str.startswith("Not applicable")
        assert (o[na.to_numpy()] < 10).all()
        labels, expected = labels[~na], expected[~na]
    assert (labels == expected).all()


# ---------------------------------------------------------------- overdispersion


def test_overdispersion_matches_hand_calculation():
    """Five regions, n = 100 each, target 50 %: s = sqrt(0.5·0.5/100) = 0.05 for all.

    y = 0.40, 0.45, 0.50, 0.60, 0.70 → z = (y − 0.5)/0.05 = −2, −1, 0, 2, 4.
    Winsorising 10 % each tail (linear percentiles over 5 points, positions 0.4 and 3.6):
    q10 = −2 + 0.4·(−1 − (−2)) = −1.6, q90 = 2 + 0.6·(4 − 2) = 3.2
    → z_w = −1.6, −1, 0, 2, 3.2; Σ z_w² = 2.56 + 1 + 0 + 4 + 10.24 = 17.8.
    φ = 17.8/5 = 3.56; I·φ = 17.8 against χ²(4): p = P(χ²₄ > 17.8) = 0.001350...
    w_i = 1/s² = 400; Σw = 2000, Σw²/Σw = 800000/2000 = 400.
    τ² = (17.8 − 4)/(2000 − 400) = 13.8/1600 = 0.008625.
    """
    od = overdispersion(
        [40, 45, 50, 60, 70], [100] * 5, kind="proportion", target=50, multiplier=100, winsor=0.1
    )
    np.testing.assert_allclose(od.z, [-2, -1, 0, 2, 4], atol=1e-12)
    np.testing.assert_allclose(od.z_winsorised, [-1.6, -1, 0, 2, 3.2], atol=1e-12)
    assert od.phi == pytest.approx(3.56, rel=1e-12)
    assert od.statistic == pytest.approx(17.8, rel=1e-12)
    # P(χ²₄ > x) = e^{−x/2}(1 + x/2) in closed form for 4 d.f.
    assert od.p_value == pytest.approx(np.exp(-8.9) * (1 + 8.9), rel=1e-10)
    assert od.tau2 == pytest.approx(0.008625, rel=1e-12)
    assert od.significant


def test_overdispersion_unequal_denominators_rates_by_hand():
    """Rates, target 10 per 1000 (θ0 = 0.01), no winsorising.

    n = 1000, 4000, 2500 → s² = θ0/n = 1e-5, 2.5e-6, 4e-6; x = 20, 40, 10 → y = 0.02, 0.01,
    0.004 → z = 0.01/0.0031623 = 3.16228, 0, −0.006/0.002 = −3.
    Σz² = 10 + 0 + 9 = 19, φ = 19/3; w = 1e5, 4e5, 2.5e5: Σw = 7.5e5, Σw² = 1e10 + 1.6e11 +
    6.25e10 = 2.325e11, Σw²/Σw = 310000; τ² = (19 − 2)/(750000 − 310000) = 17/440000.
    """
    od = overdispersion([20, 40, 10], [1000, 4000, 2500], kind="rate", target=10, multiplier=1000, winsor=0)
    assert od.phi == pytest.approx(19 / 3, rel=1e-12)
    assert od.tau2 == pytest.approx(17 / 440000, rel=1e-12)


def test_no_overdispersion_gives_tau2_zero_and_not_significant():
    od = overdispersion([50, 49, 51, 50, 50], [100] * 5, kind="proportion", target=50, multiplier=100)
    assert od.tau2 == 0.0 and not od.significant and od.phi < 1


def test_adjusted_limits_widen_multiplicatively_and_additively():
    lo0, up0 = adjusted_funnel_limits([100, 400], kind="proportion", target=50, multiplier=100)
    lo1, up1 = adjusted_funnel_limits([100, 400], kind="proportion", target=50, multiplier=100, phi=4.0)
    np.testing.assert_allclose(up1 - 50, 2 * (up0 - 50))  # sqrt(φ) = 2
    lo2, up2 = adjusted_funnel_limits([1e12], kind="proportion", target=50, multiplier=100, tau2=0.0001)
    assert up2[0] == pytest.approx(50 + 1.959964 * 0.01 * 100, rel=1e-6)  # τ dominates at large n


def test_overdispersion_bad_input():
    with pytest.raises(MchError, match="at least 3"):
        overdispersion([1, 2], [10, 10], kind="rate", target=10, multiplier=100)
    with pytest.raises(MchError, match="positive denominator"):
        overdispersion([1, 2, 3], [10, 0, 10], kind="rate", target=10, multiplier=100)


# ---------------------------------------------------------------- funnel() for a report


def _counties(deaths, births, indicator="mmr"):
    k = len(deaths)
    return pd.DataFrame(
        {
            "region_code": [f"9901{i:02d}" for i in range(2, 2 + k)],
            "region_name": [f"县{i}" for i in range(k)],
            "year": 2024,
            "indicator": indicator,
            "numerator": pd.array(deaths, dtype="Int64"),
            "denominator": pd.array(births, dtype="Int64"),
        }
    )


def test_funnel_classifies_and_orients_verdicts():
    t = _counties([0, 2, 3, 40, 1, None], [9000, 12000, 10000, 15000, 8000, 5000])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = funnel(t, target=15.0, adjustment=None)  # PHE's exact limits (no adjustment)
    p = res.points.set_index("region_code")
    assert p.loc["990105", "funnel_class"] == "above_998"  # 40 deaths in 15,000: 267/10万
    assert p.loc["990105", "verdict"] == "worse"  # MMR: lower is better
    assert p.loc["990102", "funnel_class"] == "within"
    assert p.loc["990107", "verdict"] == "not_compared"  # deaths not reported
    assert res.adjustment == "none" and res.overdispersion is None
    assert res.choice.requested == "none" and res.choice.applied == "none"
    lim = res.limits
    assert set(lim["conf_level"]) == {0.95, 0.998} and set(lim["bound"]) == {"lower", "upper"}
    assert (lim["target"] == 15.0).all()
    lo95 = lim[(lim["conf_level"] == 0.95) & (lim["bound"] == "lower")]
    assert (lo95["limit"] >= 0).all() and (lo95["limit"] <= 15.0).all()
    up = lim[(lim["conf_level"] == 0.998) & (lim["bound"] == "upper")].sort_values("denominator")
    assert (np.diff(up["limit"].to_numpy()) <= 1e-9).all()  # funnel narrows with size


def test_funnel_rate_lines_agree_with_exact_limits_at_a_plotted_point():
    res = funnel(_counties([1, 2, 3], [5000, 10000, 20000]), target=20.0)
    lim = res.limits[(res.limits["conf_level"] == 0.95) & (res.limits["bound"] == "upper")]
    row = lim.iloc[len(lim) // 2]
    # at population N the upper limit y satisfies λL(y·N/1e5) = target·N/1e5
    o = row["limit"] * row["denominator"] / 1e5
    r = rate_funnel_limits([o], target=20.0, multiplier=1e5, level=0.95)
    assert r["upper_population"].iloc[0] == pytest.approx(row["denominator"], rel=1e-9)


def test_funnel_with_overdispersion_adjustment_widens_limits():
    births = [10000] * 8
    deaths = [2, 30, 5, 45, 8, 60, 12, 3]  # far more spread than Poisson
    t = _counties(deaths, births, indicator="imr")
    plain = funnel(t, adjustment=None)
    mult = funnel(t, adjustment="multiplicative")
    add = funnel(t, adjustment="additive")
    assert mult.adjustment == "multiplicative" and mult.overdispersion.phi > 1
    assert add.adjustment == "additive" and add.overdispersion.tau2 > 0
    n_out = lambda r: (r.points["funnel_class"] != "within").sum()  # noqa: E731
    assert n_out(mult) < n_out(plain) and n_out(add) < n_out(plain)
    pooled = sum(deaths) / sum(births) * 1000
    assert plain.target == pytest.approx(pooled)


def test_funnel_adjustment_not_applied_without_overdispersion():
    t = _counties([20, 21, 19, 20, 22], [10000] * 5, indicator="imr")
    res = funnel(t, adjustment="additive")
    assert res.adjustment == "none" and not res.overdispersion.significant


def test_funnel_proportion_and_errors():
    t = _counties([950, 990, 700], [1000, 1000, 1000], indicator="hospital_delivery_rate")
    res = funnel(t, target=95.0, adjustment=None)
    v = res.points.set_index("region_code")["verdict"]
    assert v["990104"] == "worse" and v["990103"] == "better" and v["990102"] == "similar"
    with pytest.raises(MchError, match="one indicator"):
        funnel(pd.concat([t, _counties([1], [100])]))
    with pytest.raises(MchError, match="adjustment"):
        funnel(t, adjustment="random")


# ---------------------------------------------------------------- the chart


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plot_funnel_draws_points_limits_and_target_without_missing_glyphs(lang, tmp_path):
    from mchanalysis.plots import save_figure
    from mchanalysis.plots.funnel import plot_funnel

    t = _counties([0, 2, 3, 40, 1, None], [9000, 12000, 10000, 15000, 8000, 5000])
    res = funnel(t, target=15.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph warns when drawing
        fig = plot_funnel(res.points, res.limits, indicator_meta=res.meta, lang=lang)
        fig.canvas.draw()
    ax = fig.axes[0]
    assert len(ax.lines) == 5  # 2 levels × 2 bounds + target
    assert any(np.allclose(line.get_ydata(), 15.0) for line in ax.lines)
    texts = [a.get_text() for a in ax.texts]
    assert texts == [n for n, v in zip(res.points["region_name"], res.points["value"]) if v == v]
    assert ("孕产妇死亡率" in ax.get_ylabel()) == (lang == "zh")
    assert ax.get_xlabel() == ("活产数" if lang == "zh" else "live births")
    out = save_figure(fig, tmp_path / "funnel.png")
    assert out.stat().st_size > 5000


def test_funnel_with_no_events_anywhere_collapses_to_zero_without_error():
    res = funnel(_counties([0, 0, 0], [5000, 8000, 9000]))
    assert res.target == 0.0
    assert (res.limits["limit"] == 0).all()
    assert (res.points["funnel_class"] == "within").all()


def test_docstring_examples_of_funnel_run():
    import doctest

    import mchanalysis.funnel as mod

    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- overdispersion policy (issue 11)


def test_demo_990100_imr_funnel_uses_adjusted_limits_and_the_flags_change():
    """φ = 2.90, p = 0.006 for the 990100 counties' IMR 2024: the report's funnel (analysis layer,
    default 'auto') is adjusted; 990102 is no longer 'better', 990105 no longer beyond 99.8%."""
    from mchanalysis import analysis as A
    from mchanalysis.analysis.mortality import funnel_data

    data = A.load_analysis_data(DEMO)
    res = funnel_data(data, "990100", 2024, indicator="imr")
    assert res.adjustment == "multiplicative" and res.choice.requested == "auto"
    assert res.choice.phi == pytest.approx(2.90, abs=0.005) and res.choice.p_value < 0.01
    assert "Spiegelhalter" in res.choice.message("zh") and "φ=2.90" in res.choice.message("zh")
    adj = res.points.set_index("region_code")
    t = data.indicators
    rows = t[(t["indicator"] == "imr") & (t["year"] == 2024) & t["region_code"].isin(adj.index)]
    plain = funnel(rows, target=res.target, registry=data.registry, adjustment=None).points.set_index(
        "region_code"
    )
    assert plain.loc["990102", "verdict"] == "better" and plain.loc["990105", "funnel_class"] == "above_998"
    assert adj.loc["990102", "verdict"] == "similar" and adj.loc["990105", "funnel_class"] != "above_998"


def test_auto_adjustment_needs_three_areas_and_says_why_not():
    t = _counties([2, 40], [10000, 10000], indicator="imr")
    res = funnel(t)
    assert res.adjustment == "none" and res.overdispersion is None
    assert "2" in res.choice.message("zh") and "only 2 areas" in res.choice.message("en")
    calm = funnel(_counties([20, 21, 19, 20, 22], [10000] * 5, indicator="imr"))
    assert calm.adjustment == "none" and calm.choice.requested == "auto"
    assert "未作校正" in calm.choice.message("zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_funnel_figure_of_the_analysis_layer_says_the_limits_are_adjusted(lang):
    from mchanalysis import analysis as A
    from mchanalysis.analysis.figures import funnel_figure

    data = A.load_analysis_data(DEMO)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph warns when drawing
        fig = funnel_figure(data, "990100", 2024, indicator="imr", lang=lang)
        fig.canvas.draw()
    notes = [t.get_text() for t in fig.texts] + [fig.get_supxlabel()]
    assert any(("Spiegelhalter" in t) for t in notes)
    labels = [h.get_label() for h in fig.axes[0].get_legend().legend_handles]
    assert any(("校正" in lab) if lang == "zh" else ("overdispersion" in lab) for lab in labels)
