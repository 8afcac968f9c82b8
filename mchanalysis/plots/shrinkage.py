"""Shrinkage chart of empirical Bayes smoothed rates: each area's crude rate, its smoothed rate
and the pull toward the overall mean, so readers see which small areas' extremes are noise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.plots import COLORS, figure_size, indicator_label, new_figure

_TEXT = {
    "zh": {
        "crude": "粗率",
        "smoothed": "经验贝叶斯平滑率",
        "mean": "总体均值",
        "title": "{name}：粗率与平滑率",
    },
    "en": {
        "crude": "Crude rate",
        "smoothed": "Empirical Bayes smoothed",
        "mean": "Overall mean",
        "title": "{name}: crude and smoothed rates",
    },
}


def plot_shrinkage(
    eb_table: pd.DataFrame,
    *,
    meta: Mapping,
    label: str = "region_name",
    lang: str = "zh",
    title: str | None = None,
):
    """Dot chart of crude → smoothed rates per area (output of :func:`mchanalysis.models.eb_smooth`).

    Parameters
    ----------
    eb_table : pandas.DataFrame
        Columns ``crude_rate, smoothed_rate, prior_mean`` and the ``label`` column, rates in the
        indicator's unit (``eb_smooth(..., multiplier=meta['multiplier'])``).
    meta : mapping
        The indicator's registry entry (name and unit for the axis).
    label : str
        Column naming the areas (default ``region_name``).
    lang : {'zh', 'en'}
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Areas sorted by smoothed rate (highest on top); gids 'crude', 'smoothed', 'shrink'
        (the connecting segments), 'mean'.
    """
    if lang not in _TEXT:
        raise MchError(f"lang must be 'zh' or 'en', got {lang!r}")
    need = [label, "crude_rate", "smoothed_rate", "prior_mean"]
    missing = [c for c in need if c not in eb_table.columns]
    if missing:
        raise MchError(
            f"eb_table lacks column(s) {', '.join(missing)} (use mchanalysis.models.eb_smooth)",
            column=missing[0],
        )
    t = _TEXT[lang]
    tab = eb_table.sort_values(["smoothed_rate", label], kind="mergesort").reset_index(drop=True)
    n = len(tab)
    fig, ax = new_figure(figsize=figure_size(max(2.4, 0.32 * n + 1.4)))
    y = np.arange(n)
    segs = ax.hlines(y, tab["crude_rate"], tab["smoothed_rate"], color=COLORS["muted"], lw=1.2, zorder=2)
    segs.set_gid("shrink")
    (cr,) = ax.plot(
        tab["crude_rate"],
        y,
        ls="none",
        marker="o",
        markersize=6,
        markerfacecolor="white",
        markeredgecolor=COLORS["observed"],
        markeredgewidth=1.3,
        label=t["crude"],
        zorder=3,
    )
    cr.set_gid("crude")
    (sm,) = ax.plot(
        tab["smoothed_rate"],
        y,
        ls="none",
        marker="o",
        markersize=6,
        color=COLORS["fitted"],
        label=t["smoothed"],
        zorder=4,
    )
    sm.set_gid("smoothed")
    mean = float(tab["prior_mean"].iloc[0]) if n else np.nan
    line = ax.axvline(mean, color=COLORS["national"], ls="--", lw=1.0, label=t["mean"], zorder=1)
    line.set_gid("mean")
    ax.set_yticks(y, tab[label].astype(str))
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(indicator_label(meta, lang))
    xmax = float(np.nanmax(np.r_[tab["crude_rate"], tab["smoothed_rate"], mean])) if n else 1.0
    ax.set_xlim(-0.02 * xmax, xmax * 1.04)  # a crude rate of 0 stays visible beside the axis
    name = meta["name_zh"] if lang == "zh" else meta["name_en"]
    ax.set_title(title or t["title"].format(name=name))
    fig.legend(loc="outside lower center", ncols=3, fontsize=8.5)
    return fig


__all__ = ["plot_shrinkage"]
