"""Charts that hold in black and white (issue 17 item 4): the trend chart's lines differ in dash
pattern (or, failing that, in grey level by at least 0.25), status text is dark and carries its
symbol."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb

from mchanalysis.plots import COLORS, LINESTYLES, STATUS_INK
from mchanalysis.plots.scorecard import plot_scorecard
from mchanalysis.plots.trends import plot_trend

META = {
    "id": "mmr",
    "name_zh": "孕产妇死亡率",
    "name_en": "MMR",
    "unit": "/10万",
    "direction": "lower_is_better",
    "kind": "rate",
    "multiplier": 100000,
}
#: Smallest difference in grey level (0 black .. 1 white) that tells two lines of the same dash
#: pattern apart on a laser print.
GREY_MARGIN = 0.25


def luminance(colour) -> float:
    """Relative luminance (WCAG 2.1: sRGB linearised, 0.2126 R + 0.7152 G + 0.0722 B)."""
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b="#FFFFFF") -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _trend():
    years = np.arange(2015, 2025)
    val = np.linspace(20, 12, len(years))
    series = pd.DataFrame({"year": years, "value": val, "lower": val - 3, "upper": val + 3})
    fitted = pd.DataFrame({"year": years, "fitted": val})
    national = pd.DataFrame({"year": years, "value": val + 2})
    proj = pd.DataFrame(
        {"target_year": [2025, 2026], "rate": [11.5, 11.0], "lower": [9, 8], "upper": [14, 14]}
    )
    return plot_trend(
        series,
        meta=META,
        fitted=fitted,
        national=national,
        projection=proj,
        target={"value": 12, "year": 2030},
    )


def _dash(line):
    ls = line.get_linestyle()
    return ls if ls in ("-", "--", ":", "-.") else str(line._unscaled_dash_pattern)


def test_trend_lines_differ_in_dash_pattern_or_grey_level():
    fig = _trend()
    ax = fig.axes[0]
    lines = {
        ln.get_gid(): ln
        for ln in ax.get_lines()
        if ln.get_gid() in ("fitted", "national", "projection", "target")
    }
    assert set(lines) == {"fitted", "national", "projection", "target"}
    for (a, la), (b, lb) in itertools.combinations(lines.items(), 2):
        same_dash = _dash(la) == _dash(lb)
        grey = abs(luminance(la.get_color()) - luminance(lb.get_color()))
        assert not same_dash or grey >= GREY_MARGIN, (a, b, _dash(la), grey)
    # the intended patterns: fit solid, national dotted, projection dashed, target dash-dot
    assert {k: _dash(v) for k, v in lines.items()} == {
        "fitted": "-",
        "national": ":",
        "projection": "--",
        "target": "-.",
    }
    assert lines["national"].get_marker() == "s" and lines["projection"].get_marker() == "o"
    # the target is labelled where it is drawn, not only in the legend
    assert [t for t in ax.texts if t.get_gid() == "target_label"]
    assert LINESTYLES["target"]["ls"] != LINESTYLES["projection"]["ls"]


def test_no_colour_means_both_fitted_trend_and_worse():
    assert COLORS["fitted"] != COLORS["bad"] and COLORS["fitted"] != COLORS["good"]


def test_status_text_is_dark_and_carries_its_symbol():
    for status, ink in STATUS_INK.items():
        assert contrast(ink) >= 4.5, (status, ink, contrast(ink))
    sc = pd.DataFrame(
        [
            {
                "name": "孕产妇死亡率",
                "value": 15.0,
                "lower": 5.0,
                "upper": 30.0,
                "target": 12.0,
                "comparison": "<=",
                "status_ci": "indistinguishable",
                "value_text": "15.0/10万",
                "target_text": "12/10万",
                "unit": "/10万",
            },
            {
                "name": "婴儿死亡率",
                "value": 4.0,
                "lower": 3.5,
                "upper": 4.5,
                "target": 5.0,
                "comparison": "<=",
                "status_ci": "met",
                "value_text": "4.0‰",
                "target_text": "5‰",
                "unit": "‰",
            },
        ]
    )
    fig = plot_scorecard(sc, lang="zh")
    texts = [t for ax in fig.axes for t in ax.texts]
    status = [t for t in texts if "尚难判定" in t.get_text() or "达标" in t.get_text()]
    assert len(status) == 2
    assert all(contrast(t.get_color()) >= 7 for t in status)
    symbols = [t.get_text() for t in texts if t.get_text() in ("✓", "✗", "≈", "–")]
    assert sorted(symbols) == sorted(["≈", "✓"])
