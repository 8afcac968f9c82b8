"""The funnel chart: sibling regions' values against their size, with control limits.

Each region is a dot at (denominator, value), labelled with its name; the 95 % control limits are
dashed lines and the 99.8 % limits solid; the target (the parent region's value) is a horizontal
line. Dot colour *and* marker shape say the verdict (better ▲ / worse ▼ / similar ● or, for
neutral indicators, higher / lower), so the chart reads in black and white. Data come from
:func:`mchanalysis.funnel.funnel` (``FunnelResult.points`` and ``.limits``).

The labels are placed by hand (:func:`_place_labels`): regions with the same denominator and
value share one dot and one label ("甲县、乙县"), and each label takes the first of twelve fixed
spots around its dot (right above first, as matplotlib would put it) that stays inside the axes
and clear of the labels placed before it, the other dots, the legend and the reference line. A
greedy choice among fixed spots is what a chart of a few dozen siblings needs, and it leaves an
uncrowded chart exactly as it was; adjustText (the library for this) pushes every label by
iterated repulsion, so labels of charts without a clash move too, and where they end depends on
its iteration settings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mchanalysis.plots import COLORS, MIN_TEXT_PT, figure_size, new_figure, unit_label
from mchanalysis.schema import MEASURES, MEASURES_EN

#: Colour, marker and legend label (zh, en) per verdict.
VERDICT_STYLE = {
    "better": (COLORS["good"], "^", "优于参照", "better"),
    "worse": (COLORS["bad"], "v", "差于参照", "worse"),
    "similar": (COLORS["observed"], "o", "与参照相近", "similar"),
    "higher": (COLORS["neutral"], "^", "高于参照", "higher"),
    "lower": (COLORS["neutral"], "v", "低于参照", "lower"),
}

_TEXT = {
    "zh": {"target": "参照值", "limit": "{p}控制限", "adjusted": "（已校正过度离散）", "x": "{m}"},
    "en": {
        "target": "benchmark",
        "limit": "{p} control limits",
        "adjusted": " (adjusted for overdispersion)",
        "x": "{m}",
    },
}

_LINESTYLE = {0.95: "--", 0.998: "-"}


def _pct(level: float) -> str:
    return f"{level * 100:.10g}%"


def plot_funnel(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    indicator_meta: dict,
    title: str | None = None,
    lang: str = "zh",
    adjusted: bool = False,
    note: str | None = None,
    reference_name: str | None = None,
    height: float = 4.2,
):
    """Draw a funnel plot of sibling regions.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per region: ``denominator, value, verdict`` and ``region_name`` (or
        ``region_code``) for the labels. Rows without a value are not drawn.
    limits : pandas.DataFrame
        Long: ``conf_level, bound, denominator, limit, target`` (``FunnelResult.limits``).
    indicator_meta : dict
        The indicator's registry entry (``name_zh``, ``name_en``, ``unit``, ``denominator``).
    title : str, optional
        Figure title; default the indicator's name.
    lang : {'zh', 'en'}
        Language of labels.
    adjusted : bool
        Say in the legend that the limits are adjusted for overdispersion.
    note : str, optional
        A line under the chart, e.g. ``FunnelResult.choice.message(lang)`` (which limits were
        drawn and why).
    reference_name : str, optional
        Whose value the reference line is (e.g. the city itself, "东川市"): named in the legend
        with the value and its unit ("参照值（东川市）3.74‰").
    height : float
        Figure height in inches (the width is the placed width). The labels are placed for this
        size: resizing the figure afterwards can make them overlap again.

    Notes
    -----
    A lower limit of 0 (small denominators: no region can be significantly low there) is not
    drawn: the axis is its floor. Drawing it would join the last positive limit to 0 with a
    vertical stroke that is an artefact of the grid, not of the limits.

    Regions at the same point (same denominator and value) get one label naming them all; every
    label is kept inside the axes and off the other labels, dots and legend where one
    of twelve spots around its dot allows (:func:`_place_labels`).

    Returns
    -------
    matplotlib.figure.Figure

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. Stat Med
    24:1185-1202.
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    txt = _TEXT[lang]
    fig, ax = new_figure(figsize=figure_size(height))
    pts = points[pd.notna(points["value"]) & pd.notna(points["denominator"])]
    x_pts = pts["denominator"].astype(float).to_numpy()
    y_pts = pts["value"].astype(float).to_numpy()

    target = float(limits["target"].iloc[0]) if len(limits) else np.nan
    for level in sorted(limits["conf_level"].unique()):
        ls = _LINESTYLE.get(level, ":")
        label = txt["limit"].format(p=_pct(level)) + (txt["adjusted"] if adjusted else "")
        for k, bound in enumerate(("lower", "upper")):
            seg = limits[(limits["conf_level"] == level) & (limits["bound"] == bound)]
            seg = seg[np.isfinite(seg["limit"])].sort_values("denominator")
            if bound == "lower":
                seg = seg[seg["limit"] > 0]
            ax.plot(
                seg["denominator"],
                seg["limit"],
                ls=ls,
                lw=1.1,
                color=COLORS["muted"],
                label=label if k == 0 else None,
            )
    if np.isfinite(target):
        unit = unit_label(indicator_meta.get("unit") or "", lang)
        dec = int(indicator_meta.get("decimals", 2) or 2)
        who = (f"（{reference_name}）" if lang == "zh" else f" ({reference_name})") if reference_name else ""
        space = "" if lang == "zh" or unit in ("%", "‰") else " "
        line = ax.axhline(
            target,
            color=COLORS["national"],
            lw=1.5,
            label=f"{txt['target']}{who} {target:.{dec}f}{space}{unit}",
        )
        line.set_gid("reference")

    names = (pts["region_name"] if "region_name" in pts.columns else pts["region_code"]).astype(str)
    for verdict, (colour, marker, zh, en) in VERDICT_STYLE.items():
        m = (pts["verdict"] == verdict).to_numpy()
        if m.any():
            ax.scatter(
                x_pts[m],
                y_pts[m],
                s=_MARKER_AREA,
                color=colour,
                marker=marker,
                zorder=3,
                label=zh if lang == "zh" else en,
            )
    labels = []
    for (xi, yi), name in _shared_labels(x_pts, y_pts, names.tolist(), lang):
        labels.append(
            ax.annotate(
                name,
                (xi, yi),
                xytext=(_GAP_PT, _GAP_PT),
                textcoords="offset points",
                fontsize=MIN_TEXT_PT,
                color=COLORS["text"],
            )
        )

    # y range: the points, the target and the limits at the smallest plotted region
    if len(pts):
        near = limits[(limits["denominator"] >= x_pts.min() * 0.9) & np.isfinite(limits["limit"])]
        ys = np.concatenate([y_pts, [target], near["limit"].to_numpy()])
        ys = ys[np.isfinite(ys)]
        lo, hi = ys.min(), ys.max()
        pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
        cap = (
            float(indicator_meta.get("multiplier", np.inf))
            if indicator_meta.get("kind") == "proportion"
            else np.inf
        )
        ax.set_ylim(max(lo - pad, 0.0), min(hi + pad, cap * 1.02))
        ax.set_xlim(0, x_pts.max() * 1.08)

    measure = indicator_meta.get("denominator", "")
    if lang == "zh":
        ax.set_xlabel(MEASURES.get(measure, measure))
        name = indicator_meta.get("name_zh", indicator_meta.get("id", ""))
    else:
        ax.set_xlabel(MEASURES_EN.get(measure, measure))
        name = indicator_meta.get("name_en", indicator_meta.get("id", ""))
    unit = indicator_meta.get("unit", "")
    ax.set_ylabel(f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})")
    ax.set_title(title if title is not None else name)
    legend = ax.legend(loc="best", fontsize=MIN_TEXT_PT + 0.5)
    if note:
        # a figure-level x label: constrained layout keeps room for it under the axis label
        fig.supxlabel(note, fontsize=MIN_TEXT_PT, color=COLORS["muted"], x=0.01, ha="left")
    _place_labels(fig, ax, labels, legend, np.column_stack([x_pts, y_pts]), target)
    return fig


#: Dot size (points²) and the gap (points) between a dot and its label.
_MARKER_AREA = 30
_GAP_PT = 3.0


def _shared_labels(x, y, names: list[str], lang: str) -> list[tuple[tuple[float, float], str]]:
    """One label per distinct point, in the order the points first appear: regions with the
    same denominator and value are one dot, so their names are one label ("甲县、乙县")."""
    sep = "、" if lang == "zh" else ", "
    groups: dict[tuple[float, float], list[str]] = {}
    for xi, yi, name in zip(x, y, names):
        groups.setdefault((float(xi), float(yi)), []).append(name)
    return [(xy, sep.join(group)) for xy, group in groups.items()]


def _leader(label, *, relpos: tuple[float, float]) -> None:
    """Give ``label`` (an Annotation drawn without an arrow) a thin grey line from the corner of
    its text at ``relpos`` (fractions of its box) to its dot, stopping short of the dot.
    What ``annotate(..., arrowprops=...)`` sets up when the arrow is asked for at creation."""
    from matplotlib.patches import FancyArrowPatch

    colour, lw, shrink_a, shrink_b = COLORS["muted"], 0.6, 0.5, 3.5
    label.arrowprops = {
        "arrowstyle": "-",
        "color": colour,
        "lw": lw,
        "shrinkA": shrink_a,
        "shrinkB": shrink_b,
        "relpos": relpos,
    }
    label._arrow_relpos = relpos
    label.arrow_patch = FancyArrowPatch(
        (0, 0), (1, 1), arrowstyle="-", color=colour, lw=lw, shrinkA=shrink_a, shrinkB=shrink_b
    )


def _overlap(a, b) -> float:
    """Area shared by two display boxes ``(x0, y0, x1, y1)``."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _place_labels(fig, ax, labels, legend, xy, reference: float) -> None:
    """Move each label to the first of twelve spots around its dot that is free.

    The figure is laid out once (its layout engine, at the figure's resolution) to know where
    the dots, the legend and each label fall. Each label in turn, in the order of the points,
    tries: right above its dot (where it is drawn by default), left above, right below, left
    below, then the same four one and two label heights further out (those get a thin leader
    line to their dot, :func:`_leader`). A spot's cost, in display pixels², is

    - its area outside the axes, weighted 100 (a label cut off at the figure's edge is
      unreadable);
    - its area over the labels already placed and the legend, weighted 20 (text over text is
      unreadable), and over the other dots, weighted 3 (a dot's edge under a label is not);
    - half the label's area if it is crossed by the reference line or a leader already drawn,
      or if its own leader would cross a label already placed;
    - a fifth of the label's area for each row it stands away from its dot.

    The first spot of least cost wins, so a label that is free where it stands does not move
    and a chart with no clash is drawn exactly as without this step. If a label moved, the
    legend, whose "best" place avoids texts, is pinned where it was placed so that it cannot
    move onto a label.
    """
    if not labels:
        return
    engine = fig.get_layout_engine()
    if engine is not None:
        try:
            engine.execute(fig)
        except ValueError:  # as Figure.draw does: a layout that cannot be made is skipped
            pass
    renderer = fig.canvas.get_renderer()
    px_per_pt = fig.dpi / 72.0
    gap = _GAP_PT * px_per_pt
    ax_box = ax.get_window_extent(renderer).extents
    dots = ax.transData.transform(xy)
    r = np.sqrt(_MARKER_AREA) / 2 * px_per_pt
    legend_box = legend.get_window_extent(renderer).extents if legend is not None else None
    ref_y = ax.transData.transform((0.0, reference))[1] if np.isfinite(reference) else None
    placed: list[tuple[float, float, float, float]] = []
    leaders: list[np.ndarray] = []  # points along each leader drawn
    moved = False
    for label in labels:
        x0, y0, x1, y1 = label.get_window_extent(renderer).extents
        w, h = x1 - x0, y1 - y0
        px, py = ax.transData.transform(label.xy)
        others = [(dx - r, dy - r, dx + r, dy + r) for dx, dy in dots if (dx, dy) != (px, py)]
        left = (px - gap) - x1  # shift that puts the label's right edge a gap left of the dot
        down = (py - gap) - y1  # shift that puts the label's top a gap below the dot
        spots = [(0.0, 0.0), (left, 0.0), (0.0, down), (left, down)]
        spots += [(sx, sy + k * h * (1 if sy == 0 else -1)) for k in (1, 2) for sx, sy in spots[:4]]
        best, best_cost, best_leader = 0, np.inf, None
        for i, (sx, sy) in enumerate(spots):
            box = (x0 + sx, y0 + sy, x1 + sx, y1 + sy)
            cost = 100.0 * (w * h - _overlap(box, ax_box)) + 0.2 * (i // 4) * w * h
            cost += 20.0 * sum(_overlap(box, other) for other in placed)
            cost += 3.0 * sum(_overlap(box, other) for other in others)
            if legend_box is not None:
                cost += 20.0 * _overlap(box, legend_box)
            if ref_y is not None and box[1] < ref_y < box[3]:
                cost += 0.5 * w * h
            if any(_inside(line, box).any() for line in leaders):
                cost += 0.5 * w * h
            leader = None
            if i >= 4:
                corner = (box[0] if sx == 0 else box[2], box[1] if sy > 0 else box[3])
                leader = np.linspace(corner, (px, py), 24)[1:-4]  # stops short of the dot
                if any(_inside(leader, other).any() for other in placed):
                    cost += 0.5 * w * h
            if cost < best_cost - 1e-9:
                best, best_cost, best_leader = i, cost, leader
        sx, sy = spots[best]
        placed.append((x0 + sx, y0 + sy, x1 + sx, y1 + sy))
        if best:
            label.xyann = (_GAP_PT + sx / px_per_pt, _GAP_PT + sy / px_per_pt)
            moved = True
        if best_leader is not None:
            # a label a row or two away from its dot: a thin leader from its near corner says
            # whose it is
            leaders.append(best_leader)
            _leader(label, relpos=(0.0 if sx == 0 else 1.0, 0.0 if sy > 0 else 1.0))
    if moved and legend_box is not None:
        # pin the legend's lower-left corner where "best" put it, in axes fraction
        lx, ly = ax.transAxes.inverted().transform(legend_box[:2])
        legend.set_loc((float(lx), float(ly)))


def _inside(points: np.ndarray, box) -> np.ndarray:
    """Which of ``points`` (n × 2, display) lie inside ``box`` ``(x0, y0, x1, y1)``."""
    return (
        (points[:, 0] > box[0]) & (points[:, 0] < box[2]) & (points[:, 1] > box[1]) & (points[:, 1] < box[3])
    )
