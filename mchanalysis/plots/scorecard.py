"""The target scorecard chart: one row per target, value with its interval against the target.

Targets of one set come in different units (/10万, ‰, %), so each row gets its own small axis,
on one scale per unit (:func:`unit_scales`: from 0, never below it, to the largest value,
interval end or target of that unit; percentages to at most 100), so the same 90% target sits at
the same place in every row:
the confidence interval as a bar, the value as a dot, the target as a vertical line, the good side
of the target lightly shaded; at the right, the status as colour *and* symbol (✓ met, ✗ not met,
≈ not distinguishable from the target, – no data) so the chart reads in black and white and for
colour-blind readers. The status shown is the statistical one (``status_ci`` of
:func:`mchanalysis.targets.evaluate_targets`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mchanalysis.plots import COLORS, MIN_TEXT_PT, STATUS_INK, figure_size, new_figure

#: Colour and symbol per status.
STATUS_STYLE = {
    "met": (COLORS["good"], "✓"),
    "not_met": (COLORS["bad"], "✗"),
    "indistinguishable": (COLORS["neutral"], "≈"),
    "no_data": (COLORS["muted"], "–"),
}

_LABELS = {
    "zh": {
        "met": "达标",
        "not_met": "未达标",
        "indistinguishable": "尚难判定",
        "no_data": "无数据",
        "target": "目标",
    },
    "en": {
        "met": "met",
        "not_met": "not met",
        "indistinguishable": "not distinguishable",
        "no_data": "no data",
        "target": "target",
    },
}

#: Symbols are drawn with DejaVu Sans (shipped with matplotlib): the CJK subset lacks ✓ ✗.
SYMBOL_FONT = "DejaVu Sans"


def unit_scales(scorecard: pd.DataFrame) -> dict:
    """The x range of each unit group: ``{unit: (0, top)}``.

    ``top`` is 1.25 times the largest finite value or target of the group's rows (percentages
    capped at 100): the estimates and targets set the scale, not the intervals (a wide interval
    of a small count is cut at the edge and marked with a caret). Rates and percentages cannot be
    negative, so every axis starts at 0. Rows without a ``unit`` column form one group.
    """
    units = scorecard["unit"].fillna("") if "unit" in scorecard.columns else pd.Series([""] * len(scorecard))
    out = {}
    for unit in dict.fromkeys(units):
        rows = scorecard[(units == unit).to_numpy()]
        vals = pd.to_numeric(pd.concat([rows[c] for c in ("value", "target")]), errors="coerce").to_numpy(
            float
        )
        vals = vals[np.isfinite(vals)]
        top = float(vals.max()) * 1.25 if len(vals) and vals.max() > 0 else 1.0
        if unit == "%":
            top = min(top, 100.0)
        out[unit] = (0.0, top)
    return out


def plot_scorecard(scorecard: pd.DataFrame, *, lang: str = "zh", title: str | None = None):
    """Draw the scorecard of a target set for one region.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        One row per target: ``name, value, lower, upper, target, comparison, status_ci,
        value_text, target_text`` (as built by :func:`mchanalysis.report.build_context`).
    lang : {'zh', 'en'}
        Language of the status labels.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    labels = _LABELS[lang]
    n = len(scorecard)
    fig, axes = new_figure(max(n, 1), 1, figsize=figure_size(0.62 * max(n, 1) + 0.5))
    axes = np.atleast_1d(axes)
    if n == 0:
        axes[0].set_axis_off()
        return fig
    scales = unit_scales(scorecard)
    for ax, r in zip(axes, scorecard.to_dict("records")):
        colour, symbol = STATUS_STYLE.get(r["status_ci"], STATUS_STYLE["no_data"])
        target = float(r["target"])
        lo, hi = scales[r.get("unit") if isinstance(r.get("unit"), str) else ""]
        pad = 0.0
        ax.set_xlim(lo, hi)
        ax.set_gid(f"scale:{r.get('unit') or ''}")
        ax.set_ylim(-1, 1)
        ax.grid(False)
        ax.set_yticks([])
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color("#BBBBBB")
        ax.tick_params(axis="x", labelsize=MIN_TEXT_PT, length=2, pad=1)
        good_lo, good_hi = (target, hi + pad) if r["comparison"] == ">=" else (lo - pad, target)
        ax.axvspan(good_lo, good_hi, color=COLORS["good"], alpha=0.08, lw=0)
        ax.axvline(target, color=COLORS["text"], lw=1.0, ls="--")
        if not pd.isna(r["value"]):
            if not (pd.isna(r["lower"]) or pd.isna(r["upper"])):
                ax.plot(
                    [max(r["lower"], lo), min(r["upper"], hi)],
                    [0, 0],
                    color=colour,
                    lw=4,
                    alpha=0.45,
                    solid_capstyle="butt",
                )
                if r["upper"] > hi:  # the interval runs past the scale: cut and marked
                    (mk,) = ax.plot([hi], [0], ls="none", marker=">", ms=5, color=colour, clip_on=False)
                    mk.set_gid("interval_clipped")
            ax.plot([r["value"]], [0], "o", color=colour, ms=6, zorder=3)
        # the row's name above its axis (not beside it): the axis keeps the width at the
        # placed size, English names included
        ax.set_title(
            f"{r['name']}  {r['value_text'] or labels['no_data']}",
            loc="left",
            fontsize=MIN_TEXT_PT + 1,
            pad=1,
        )
        ink = STATUS_INK.get(r["status_ci"], STATUS_INK["no_data"])
        ax.text(
            1.01,
            0.5,
            symbol,
            transform=ax.transAxes,
            ha="left",
            va="center",
            fontsize=11,
            color=ink,
            family=SYMBOL_FONT,
            fontweight="bold",
        )
        ax.text(
            1.05,
            0.5,
            f"{labels[r['status_ci']] if r['status_ci'] in labels else ''}\n"
            f"{labels['target']}{'≤' if r['comparison'] == '<=' else '≥'}{r['target_text']}",
            transform=ax.transAxes,
            ha="left",
            va="center",
            fontsize=MIN_TEXT_PT + 0.5,
            color=COLORS["text"],
            linespacing=1.15,
        )
    if title:
        fig.suptitle(title, fontsize=11, x=0.02, ha="left")
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02)
    return fig
