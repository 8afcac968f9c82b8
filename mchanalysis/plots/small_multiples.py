"""Small multiples: one small panel per sub-region for one indicator, on shared axes.

Reading across panels compares levels and trends of the counties of a city (or the cities of a
province) at a glance; shared axes keep the comparison honest. Each panel shows the region's
values with their interval as a band and, optionally, the parent region's series in grey.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from mchanalysis.errors import MchError
from mchanalysis.plots import COLORS, MIN_TEXT_PT, figure_size, indicator_label, new_figure

_TEXT = {
    "zh": {"reference": "参照", "interval": "{pct}置信区间", "value": "观察值"},
    "en": {"reference": "Reference", "interval": "{pct} CI", "value": "Observed"},
}


def plot_small_multiples(
    indicator_table: pd.DataFrame,
    *,
    indicator: str,
    regions: Sequence[str],
    meta: Mapping,
    lang: str = "zh",
    reference: pd.DataFrame | None = None,
    reference_name: str | None = None,
    ncols: int | None = None,
    title: str | None = None,
    panel_height: float = 1.45,
):
    """One panel per region (shared x and y axes) for one indicator.

    Parameters
    ----------
    indicator_table : pandas.DataFrame
        The long indicator table (:func:`~mchanalysis.indicators.compute_indicators`): columns
        ``region_code, region_name, year, indicator, value, lower, upper`` (``conf_level``
        optional).
    indicator : str
        Indicator id (rows with another indicator are ignored).
    regions : sequence of str
        Region codes, one panel each, in this order (e.g. the counties of a city ranked).
    meta : mapping
        The indicator's registry entry (``name_zh``, ``name_en``, ``unit``).
    lang : {'zh', 'en'}
    reference : pandas.DataFrame, optional
        Columns ``year, value``: a comparison series drawn in grey in every panel (e.g. the parent
        city or the province).
    reference_name : str, optional
        Its legend label (e.g. "东川市"); default "reference" wording.
    ncols : int, optional
        Panels per row; default from the number of regions (:func:`columns_for`) so that the
        figure is drawn at the placed width (:data:`mchanalysis.plots.FIGURE_WIDTH_CM`) with
        text no smaller than :data:`mchanalysis.plots.MIN_TEXT_PT`.
    title : str, optional
        Figure title; default the indicator name with unit.
    panel_height : float
        Height of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Axes in region order (unused grid cells are hidden); each axes' points carry gid
        'observed', bands 'interval', reference lines 'reference'.

    Raises
    ------
    MchError
        A region code with no row for the indicator, an unknown ``lang``, missing columns.
    """
    if lang not in _TEXT:
        raise MchError(f"lang must be 'zh' or 'en', got {lang!r}")
    t = _TEXT[lang]
    need = ["region_code", "region_name", "year", "indicator", "value", "lower", "upper"]
    missing = [c for c in need if c not in indicator_table.columns]
    if missing:
        raise MchError(f"indicator_table lacks column(s) {', '.join(missing)}", column=missing[0])
    regions = [str(r) for r in regions]
    if not regions:
        raise MchError("no regions to plot")
    tab = indicator_table[indicator_table["indicator"] == indicator]
    tab = tab[tab["region_code"].astype(str).isin(regions)]
    absent = [r for r in regions if r not in set(tab["region_code"].astype(str))]
    if absent:
        raise MchError(f"no {indicator} rows for region(s) {', '.join(absent)}")
    n = len(regions)
    ncols = ncols or columns_for(n)
    nrows = math.ceil(n / ncols)
    fig, axes = _grid(nrows, ncols, panel_height)
    conf = float(tab["conf_level"].iloc[0]) if "conf_level" in tab.columns and len(tab) else 0.95
    ref = None
    if reference is not None:
        if not {"year", "value"} <= set(reference.columns):
            raise MchError("reference lacks column(s) year, value")
        ref = reference.sort_values("year")
    ymax = 0.0
    flat = axes.ravel()
    for k, code in enumerate(regions):
        ax = flat[k]
        g = tab[tab["region_code"].astype(str) == code].sort_values("year")
        years = pd.to_numeric(g["year"]).to_numpy(float)
        val = pd.to_numeric(g["value"], errors="coerce").to_numpy(float)
        lo = pd.to_numeric(g["lower"], errors="coerce").to_numpy(float)
        hi = pd.to_numeric(g["upper"], errors="coerce").to_numpy(float)
        band = ax.fill_between(
            years,
            lo,
            hi,
            color=COLORS["interval"],
            alpha=0.18,
            lw=0,
            label=t["interval"].format(pct=f"{conf * 100:g}%"),
        )
        band.set_gid("interval")
        if ref is not None:
            (rl,) = ax.plot(
                ref["year"],
                ref["value"],
                color=COLORS["national"],
                lw=1.1,
                label=reference_name or t["reference"],
            )
            rl.set_gid("reference")
        (ln,) = ax.plot(
            years, val, color=COLORS["observed"], lw=1.4, marker="o", markersize=2.6, label=t["value"]
        )
        ln.set_gid("observed")
        ax.set_title(str(g["region_name"].iloc[0]), fontsize=MIN_TEXT_PT + 1, loc="left", pad=3)
        ax.tick_params(labelsize=MIN_TEXT_PT)
        ax.xaxis.get_major_locator().set_params(integer=True, nbins=4)
        finite = np.r_[hi[np.isfinite(hi)], val[np.isfinite(val)]]
        if len(finite):
            ymax = max(ymax, float(finite.max()))
    for k, ax in enumerate(flat):
        if k >= n:
            ax.set_visible(False)
        elif k + ncols >= n:  # nothing drawn below this panel: it shows the year labels
            ax.xaxis.set_tick_params(labelbottom=True)
    if ymax > 0:
        flat[0].set_ylim(0, ymax * 1.08)
    # the title carries the unit; years need no axis label
    fig.suptitle(title or indicator_label(meta, lang), x=0.01, ha="left", fontsize=11.5)
    handles, labels = flat[0].get_legend_handles_labels()
    rank = {"observed": 0, "interval": 1, "reference": 2}
    pairs = sorted(zip(handles, labels), key=lambda hl: rank.get(hl[0].get_gid(), 9))
    fig.legend(
        [h for h, _ in pairs],
        [lab for _, lab in pairs],
        loc="outside lower center",
        ncols=len(pairs),
        fontsize=8.5,
    )
    return fig


def columns_for(n: int) -> int:
    """Panels per row for ``n`` regions at the placed width: 2 up to 4 regions, 3 up to 9, else
    4 (a panel is then about 3.5 cm wide, room for 8 pt year labels)."""
    return 1 if n <= 1 else 2 if n <= 4 else 3 if n <= 9 else 4


def _grid(nrows: int, ncols: int, panel_height: float):
    fig, axes = new_figure(
        nrows, ncols, figsize=figure_size(panel_height * nrows + 1.0), sharex=True, sharey=True
    )
    return fig, np.atleast_1d(axes).reshape(nrows, ncols)


__all__ = ["columns_for", "plot_small_multiples"]
