"""The funnel chart's region labels are readable: none cut off at the figure's edge, none over
another label, the legend or the reference line where a free spot exists, and regions at the same
point share one label (found in the whole-country run: a province's funnel cut "省21市7" off at
the right edge and drew "省21市1" over "省21市10"; the demo province's "东川市" sat on the
reference line against the axes' right edge)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from mchanalysis.plots.funnel import plot_funnel

META = {
    "id": "imr",
    "name_zh": "婴儿死亡率",
    "name_en": "Infant mortality rate",
    "unit": "‰",
    "denominator": "live_births",
    "decimals": 2,
    "kind": "rate",
    "multiplier": 1000,
}


def _limits(target: float, lo: float = 5_000, hi: float = 80_000) -> pd.DataFrame:
    """Poisson-like control limits around ``target`` (the chart only needs their shape)."""
    rows = []
    for level, z in ((0.95, 1.96), (0.998, 3.09)):
        for bound, sign in (("lower", -1), ("upper", 1)):
            for n in np.linspace(lo, hi, 60):
                limit = target + sign * z * np.sqrt(target * 1000 / n)
                rows.append((level, bound, n, limit, target))
    return pd.DataFrame(rows, columns=["conf_level", "bound", "denominator", "limit", "target"])


def _points(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["region_name", "denominator", "value"])
    df["verdict"] = "similar"
    return df


def _drawn(fig):
    """Draw the figure (its layout, at its own resolution: the saved PNG is the same drawing at
    300 dpi) and return (renderer, axes, label boxes, legend box)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    # the text's own box (an Annotation's window extent adds its leader line)
    boxes = {t.get_text(): Text.get_window_extent(t, renderer) for t in ax.texts}
    return renderer, ax, boxes, ax.get_legend().get_window_extent(renderer)


def _shared(a, b) -> float:
    """Area (px²) two boxes share; boxes that only touch share none."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def test_regions_at_the_same_point_share_one_label():
    pts = _points(
        [("甲县", 20_000, 4.0), ("乙县", 20_000, 4.0), ("丙县", 40_000, 3.5), ("丁县", 40_000, 3.5001)]
    )
    fig = plot_funnel(pts, _limits(3.9), indicator_meta=META, lang="zh")
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["丁县", "丙县", "甲县、乙县"]
    fig = plot_funnel(pts, _limits(3.9), indicator_meta=META, lang="en")
    assert "甲县, 乙县" in [t.get_text() for t in fig.axes[0].texts]


@pytest.mark.parametrize("height", [None, 3.62])  # the default, and the 答卷's placed height
def test_a_label_at_the_right_edge_stays_inside_the_axes(height):
    # the largest region's label would run past the axes (and the figure) at its default spot
    pts = _points([("西岭市", 18_000, 4.8), ("南湖市", 35_000, 3.6), ("东川市长名字示例区", 74_000, 3.7)])
    size = {} if height is None else {"height": height}
    fig = plot_funnel(pts, _limits(3.9), indicator_meta=META, lang="zh", **size)
    _, ax, boxes, _ = _drawn(fig)
    axes_box = ax.get_window_extent()
    for name, box in boxes.items():
        assert box.x0 >= axes_box.x0 - 0.5 and box.x1 <= axes_box.x1 + 0.5, (name, box, axes_box)
        assert box.y0 >= axes_box.y0 - 0.5 and box.y1 <= axes_box.y1 + 0.5, (name, box, axes_box)


SIX_CITIES = [
    ("省21市1", 57_500, 4.02),
    ("省21市2", 76_500, 3.60),
    ("省21市3", 48_600, 4.06),
    ("省21市4", 59_000, 3.93),
    ("省21市5", 45_300, 4.06),
    ("省21市6", 52_000, 4.04),
]
# the whole-country province: eleven cities on five points, so long shared labels
ELEVEN_ON_FIVE = [
    (f"省21市{i}", *xy)
    for i, xy in enumerate(
        [(57_500, 4.02), (76_500, 3.6), (48_600, 4.06), (59_000, 3.93), (45_300, 4.06)] * 3, start=1
    )
][:11]


@pytest.mark.parametrize("rows, row_out", [(SIX_CITIES, False), (ELEVEN_ON_FIVE, True)])
def test_crowded_labels_do_not_cover_each_other_or_the_legend(rows, row_out):
    pts = _points(rows)
    fig = plot_funnel(pts, _limits(3.91), indicator_meta=META, lang="zh", reference_name="省21")
    _, ax, boxes, legend = _drawn(fig)
    names = sorted(boxes)
    for i, a in enumerate(names):
        assert _shared(boxes[a], legend) < 0.5, a
        for b in names[i + 1 :]:
            assert _shared(boxes[a], boxes[b]) < 0.5, (a, b)
    # a label set a row or more away from its dot is tied to it by a leader line
    px_per_pt = fig.dpi / 72
    far = 0
    for t in ax.texts:
        x, y = ax.transData.transform(t.xy)
        box = boxes[t.get_text()]
        gap = np.hypot(max(box.x0 - x, 0, x - box.x1), max(box.y0 - y, 0, y - box.y1)) / px_per_pt
        if gap > 6:  # points; next to its dot a label is 3 pt off on each axis (4.2 pt)
            far += 1
            assert t.arrow_patch is not None, t.get_text()
    assert bool(far) == row_out  # whether the case has a label that had to go a row out


def test_a_label_is_moved_off_the_reference_line():
    # 东川市 of the demo province: drawn right above its dot, the reference line ran through it
    pts = _points([("西岭市", 18_400, 4.85), ("南湖市", 35_300, 3.60), ("东川市", 42_000, 3.80)])
    fig = plot_funnel(
        pts, _limits(3.90, 9_000, 44_000), indicator_meta=META, lang="zh", reference_name="示例省"
    )
    _, ax, boxes, _ = _drawn(fig)
    ref_y = ax.transData.transform((0, 3.90))[1]
    for name, box in boxes.items():
        assert not box.y0 < ref_y < box.y1, name


def test_labels_with_room_stay_where_matplotlib_puts_them():
    pts = _points([("甲县", 10_000, 5.0), ("乙县", 30_000, 3.0), ("丙县", 50_000, 4.4)])
    fig = plot_funnel(pts, _limits(3.9), indicator_meta=META, lang="zh")
    assert [tuple(t.xyann) for t in fig.axes[0].texts] == [(3.0, 3.0)] * 3
    assert all(t.arrow_patch is None for t in fig.axes[0].texts)
    assert fig.axes[0].get_legend()._loc == 0  # still "best": nothing was pinned
