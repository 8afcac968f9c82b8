"""The funnel chart: sibling regions' values against their size, with control limits.

Each region is a dot at (denominator, value), labelled with its name; the 95 % control limits are
dashed lines and the 99.8 % limits solid; the target (the parent region's value) is a horizontal
line. Dot colour *and* marker shape say the verdict (better ▲ / worse ▼ / similar ● or, for
neutral indicators, higher / lower), so the chart reads in black and white. Data come from
:func:`mchanalysis.funnel.funnel` (``FunnelResult.points`` and ``.limits``).
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

    Notes
    -----
    A lower limit of 0 (small denominators: no region can be significantly low there) is not
    drawn: the axis is its floor. Drawing it would join the last positive limit to 0 with a
    vertical stroke that is an artefact of the grid, not of the limits.

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
    fig, ax = new_figure(figsize=figure_size(4.2))
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

    names = pts["region_name"] if "region_name" in pts.columns else pts["region_code"]
    for verdict, (colour, marker, zh, en) in VERDICT_STYLE.items():
        m = (pts["verdict"] == verdict).to_numpy()
        if m.any():
            ax.scatter(
                x_pts[m],
                y_pts[m],
                s=30,
                color=colour,
                marker=marker,
                zorder=3,
                label=zh if lang == "zh" else en,
            )
    for xi, yi, name in zip(x_pts, y_pts, names):
        ax.annotate(
            str(name),
            (xi, yi),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=MIN_TEXT_PT,
            color=COLORS["text"],
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
    ax.legend(loc="best", fontsize=MIN_TEXT_PT + 0.5)
    if note:
        # a figure-level x label: constrained layout keeps room for it under the axis label
        fig.supxlabel(note, fontsize=MIN_TEXT_PT, color=COLORS["muted"], x=0.01, ha="left")
    return fig
