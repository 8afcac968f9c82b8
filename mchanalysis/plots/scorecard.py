"""The target scorecard chart: one row per target, value with its interval against the target.

Targets of one set come in different units (/10万, ‰, %), so each row gets its own small axis:
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
    "zh": {"met": "达标", "not_met": "未达标", "indistinguishable": "尚难判定", "no_data": "无数据",
           "target": "目标"},
    "en": {"met": "met", "not_met": "not met", "indistinguishable": "not distinguishable",
           "no_data": "no data", "target": "target"},
}

#: Symbols are drawn with DejaVu Sans (shipped with matplotlib): the CJK subset lacks ✓ ✗.
SYMBOL_FONT = "DejaVu Sans"


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
    fig, axes = new_figure(max(n, 1), 1, figsize=figure_size(0.42 * max(n, 1) + 0.9))
    axes = np.atleast_1d(axes)
    if n == 0:
        axes[0].set_axis_off()
        return fig
    for ax, r in zip(axes, scorecard.to_dict("records")):
        colour, symbol = STATUS_STYLE.get(r["status_ci"], STATUS_STYLE["no_data"])
        target = float(r["target"])
        vals = [target] + [float(v) for v in (r["value"], r["lower"], r["upper"]) if not pd.isna(v)]
        lo, hi = min(vals), max(vals)
        pad = max((hi - lo) * 0.25, abs(target) * 0.05, 1e-9)
        ax.set_xlim(lo - pad, hi + pad)
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
                ax.plot([r["lower"], r["upper"]], [0, 0], color=colour, lw=4, alpha=0.45,
                        solid_capstyle="butt")
            ax.plot([r["value"]], [0], "o", color=colour, ms=6, zorder=3)
        ax.text(-0.01, 0, f"{r['name']}  {r['value_text'] or labels['no_data']}", transform=ax.transAxes,
                ha="right", va="center", fontsize=8.5)
        ink = STATUS_INK.get(r["status_ci"], STATUS_INK["no_data"])
        ax.text(1.01, 0, symbol, transform=ax.transAxes, ha="left", va="center", fontsize=11,
                color=ink, family=SYMBOL_FONT, fontweight="bold")
        ax.text(1.05, 0, f"{labels[r['status_ci']] if r['status_ci'] in labels else ''}  "
                f"{labels['target']}{'≤' if r['comparison'] == '<=' else '≥'}{r['target_text']}",
                transform=ax.transAxes, ha="left", va="center", fontsize=8.5, color=COLORS["text"])
    if title:
        fig.suptitle(title, fontsize=11, x=0.02, ha="left")
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02)
    return fig
