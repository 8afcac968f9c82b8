"""The report's charts, drawn once per context and kept as PNG bytes (and the Figure).

Each chart comes from the package's plotting modules (:mod:`mchanalysis.plots.trends`,
:mod:`mchanalysis.plots.funnel`, :mod:`mchanalysis.plots.small_multiples`,
:mod:`mchanalysis.plots.scorecard`) and the funnel limits from
:func:`mchanalysis.funnel.funnel`, imported plainly (a failing import is a bug and raises).
Captions are worded in the templates (``templates/<lang>/_captions.j2``).
"""

from __future__ import annotations

import io

import pandas as pd

from mchanalysis.funnel import funnel
from mchanalysis.plots import DPI, use_mch_style, write_png
from mchanalysis.plots.funnel import plot_funnel
from mchanalysis.plots.scorecard import plot_scorecard
from mchanalysis.plots.small_multiples import columns_for, plot_small_multiples
from mchanalysis.plots.trends import plot_trend
from mchanalysis.registry import load_registry
from mchanalysis.report.render import environment

#: Height of the GB/T 9704 text block (225 mm), inches.
TEXT_BLOCK_HEIGHT_IN = 225 / 25.4
#: Tallest a chart of the comparison section is drawn (inches): with a two-line caption
#: (2 × 28.95 pt) it takes at most half the text block, so a chart that does not fit under the
#: text before it leaves that page at least half full (issue 17: no half-empty pages).
MAX_HEIGHT_IN = round(TEXT_BLOCK_HEIGHT_IN / 2 - 2 * 28.95 / 72, 2)
#: Height of the small multiples' title, legend and axis labels (inches; the rest is panels).
_SM_FRAME_IN = 1.0


def png_bytes(fig, *, dpi: int | None = None) -> bytes:
    """The figure as PNG bytes, written as :func:`mchanalysis.plots.save_figure` writes it
    (no ``Software`` metadata: identical bytes on every run), at :data:`mchanalysis.plots.DPI`
    (300): the PNG's resolution says the figure's drawn size, at which Word places it."""
    buf = io.BytesIO()
    write_png(fig, buf, dpi=dpi or DPI)
    return buf.getvalue()


def _captions(ctx) -> dict:
    mod = environment(ctx.lang).get_template("_captions.j2").module
    return mod


def _series(ctx, ind: str) -> pd.DataFrame:
    t = ctx.indicator_table
    return t[(t["region_code"] == ctx.region["code"]) & (t["indicator"] == ind) & (t["year"] <= ctx.year)]


def _panel_height(n: int) -> float:
    """Panel height (inches) of ``n`` small multiples: the figure within :data:`MAX_HEIGHT_IN`
    up to three rows, never under 1.1 in (room for an 8 pt axis), at most the plotting module's
    1.45 in."""
    rows = -(-n // columns_for(n))
    return round(max(1.1, min(1.45, (MAX_HEIGHT_IN - _SM_FRAME_IN) / rows)), 2)


def draw_figures(ctx, *, national=None) -> dict:
    """Draw every chart of the report; returns ``name -> {png, caption, section, figure}``."""
    use_mch_style()
    cap = _captions(ctx)
    out: dict = {}
    # mortality trends: intervals, the target line, the national series
    mort = [i for s in ctx.sections if s["id"] == "maternal_safety" for i in s["indicators"]]
    reg = load_registry().set_index("id")
    for ind in mort:
        f = ctx.facts[ind]
        series = _series(ctx, ind)
        if series["value"].notna().sum() < 2:
            continue
        target = None
        if f.get("target"):
            target = {"value": f["target"]["target"], "year": f["target"]["target_year"]}
        nat = None
        if national is not None:
            nat = national[
                (national["indicator"] == ind)
                & (national["year"] >= series["year"].min())
                & (national["year"] <= ctx.year)
            ][["year", "value"]]
            nat = nat if len(nat) else None
        meta = {"id": ind, **reg.loc[ind].to_dict()}
        tr = f.get("trend") or {}
        fig = plot_trend(
            series,
            meta=meta,
            target=target,
            national=nat,
            lang=ctx.lang,
            conf_level=ctx.conf_level,
            fitted=tr.get("fitted"),
            joinpoints=tr.get("joinpoints") or None,
            projection=(f.get("projection") or {}).get("frame"),
        )
        out[f"trend_{ind}"] = {
            "figure": fig,
            "png": png_bytes(fig),
            "section": "maternal_safety",
            "caption": cap.trend(f, ctx).strip(),
        }
    # scorecard
    if len(ctx.scorecard):
        fig = plot_scorecard(ctx.scorecard, lang=ctx.lang)
        out["scorecard"] = {
            "figure": fig,
            "png": png_bytes(fig),
            "section": "targets",
            "caption": cap.scorecard(ctx).strip(),
        }
    # funnel plot of the sub-regions (first comparison indicator with data), centred on the
    # region's own value
    if ctx.subregions:
        # the first comparison indicator whose areas have enough events to tell apart
        # (median numerator >= 10); else the first
        ind = next(
            (i for i, tab in ctx.subregions.items() if float(pd.to_numeric(tab["numerator"]).median()) >= 10),
            next(iter(ctx.subregions)),
        )
        f = ctx.facts[ind]
        t = ctx.indicator_table
        kids = t[(t["parent_code"] == ctx.region["code"]) & (t["year"] == ctx.year) & (t["indicator"] == ind)]
        res = funnel(kids, target=f.get("value"))
        fig = plot_funnel(
            res.points,
            res.limits,
            indicator_meta=res.meta,
            lang=ctx.lang,
            adjusted=res.adjustment != "none",
            reference_name=ctx.region["name"],
            # drawn at its placed height: the labels are placed for the size they are drawn at
            height=MAX_HEIGHT_IN,
        )
        out[f"funnel_{ind}"] = {
            "figure": fig,
            "png": png_bytes(fig),
            "section": "comparison",
            "caption": cap.funnel(f, ctx).strip(),
        }
        # the same indicator's trend in every sub-region (ranked order), the region's own
        # series drawn in each panel for reference
        codes = [str(c) for c in ctx.subregions[ind]["region_code"]]
        span = t[(t["indicator"] == ind) & (t["year"] <= ctx.year)]
        fig = plot_small_multiples(
            span[span["region_code"].isin(codes)],
            indicator=ind,
            regions=codes,
            meta={"id": ind, **reg.loc[ind].to_dict()},
            lang=ctx.lang,
            reference=_series(ctx, ind)[["year", "value"]],
            reference_name=ctx.region["name"],
            panel_height=_panel_height(len(codes)),
        )
        out[f"small_multiples_{ind}"] = {
            "figure": fig,
            "png": png_bytes(fig),
            "section": "comparison",
            "caption": cap.small_multiples(f, ctx).strip(),
        }
    return out
