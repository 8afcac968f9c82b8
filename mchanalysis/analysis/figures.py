"""The notebooks' charts of one region, drawn from the same results the 答卷 uses."""

from __future__ import annotations

import os
from pathlib import Path

from mchanalysis.analysis.data import AnalysisData, series
from mchanalysis.analysis.mortality import funnel_data, smoothed_subregions, target_table, trend
from mchanalysis.analysis.tables import national_series
from mchanalysis.registry import indicator_meta, load_registry


def trend_figure(
    data: AnalysisData,
    region_code: str,
    indicator: str,
    *,
    year: int | None = None,
    target_set=None,
    lang: str = "zh",
):
    """The trend chart of one indicator up to *year* (:func:`mchanalysis.plots.trends.plot_trend`):
    observed values with their intervals, the joinpoint fit of :func:`trend` (only where its rule
    allows one), the target the report of *year* is judged on for the indicator if any (the
    chosen set's, :func:`target_table`'s first row: for ``"auto"`` up to 2025 the 2025 milestone,
    the line the 答卷's chart draws; the later targets beside it are projected in notebook 03),
    and the national series."""
    # lazy: matplotlib loads only when a figure is drawn (`mch validate` imports analysis)
    from mchanalysis.plots.trends import plot_trend

    s = series(data, region_code, indicator, until=year)
    if s.empty:
        return None
    tr = trend(data, region_code, indicator, year=year)
    target = None
    if target_set is not None:
        t = target_table(data, target_set, int(s["year"].max()) if year is None else int(year))
        t = t[t["indicator"] == indicator]
        if len(t):
            target = {"value": float(t["target"].iloc[0]), "year": int(t["year"].iloc[0])}
    national = national_series(indicator)
    if national is not None:  # the national line over the region's years only
        national = national[(national["year"] >= s["year"].min()) & (national["year"] <= s["year"].max())]
    return plot_trend(
        s,
        meta=indicator_meta(indicator, data.registry),
        fitted=tr.fitted,
        joinpoints=tr.joinpoints or None,
        target=target,
        national=national,
        lang=lang,
    )


def shrinkage_figure(
    data: AnalysisData, region_code: str, year: int, *, indicator: str = "imr", lang: str = "zh"
):
    """Crude → empirical-Bayes smoothed rates of the sub-regions, or ``None`` for a region
    without (at least two) sub-regions with births."""
    # lazy: matplotlib loads only when a figure is drawn (`mch validate` imports analysis)
    from mchanalysis.plots.shrinkage import plot_shrinkage

    table = smoothed_subregions(data, region_code, year, indicator=indicator)
    table = table[table["reason"] == ""] if "reason" in table else table
    if len(table) < 2:
        return None
    return plot_shrinkage(table, meta=indicator_meta(indicator, data.registry), lang=lang)


def funnel_figure(
    data: AnalysisData, region_code: str, year: int, *, indicator: str = "imr", lang: str = "zh"
):
    """The funnel chart (:func:`mchanalysis.plots.funnel.plot_funnel`) of :func:`funnel_data`,
    with the sentence saying whether the limits were adjusted for overdispersion, or ``None``."""
    # lazy: matplotlib loads only when a figure is drawn (`mch validate` imports analysis)
    from mchanalysis.plots.funnel import plot_funnel

    result = funnel_data(data, region_code, year, indicator=indicator)
    if result is None:
        return None
    choice = getattr(result, "choice", None)
    return plot_funnel(
        result.points,
        result.limits,
        indicator_meta=result.meta,
        lang=lang,
        adjusted=getattr(result, "adjustment", "none") != "none",
        note=choice.message(lang) if choice is not None else None,
    )


#: Why a chart is absent, per kind: the sentence a notebook shows instead of the chart.
_ABSENT = {
    "funnel": (
        "本地区及可比地区中，同时有{name}分子和分母的地区不足2个，不绘制漏斗图。",
        "Fewer than two comparable regions have both the count and the denominator of "
        "{name}: no funnel plot.",
    ),
    "shrinkage": (
        "有{name}数据的下级地区不足2个，不作小地区平滑图。",
        "Fewer than two sub-regions have {name} data: no smoothing chart.",
    ),
    "trend": ("本地区没有{name}数据，不绘制趋势图。", "The region has no {name} data: no trend chart."),
}


def figure_absent(kind: str, indicator: str, lang: str = "zh", registry=None) -> str:
    """The one sentence saying why chart *kind* (``funnel``, ``shrinkage``, ``trend``) of
    *indicator* is not drawn."""
    meta = indicator_meta(indicator, load_registry() if registry is None else registry)
    zh, en = _ABSENT[kind]
    return en.format(name=meta["name_en"]) if lang == "en" else zh.format(name=meta["name_zh"])


def save_figure(fig, output_dir: str | os.PathLike, name: str, *, absent: str | None = None):
    """Write *fig* to ``<output_dir>/figures/<name>.png`` (byte-reproducible, atomic,
    :func:`mchanalysis.plots.save_figure`) and return it as an ``IPython.display.Image`` of
    those very bytes, so the notebook (and its HTML) shows exactly the saved file. For ``None``
    (a chart the data cannot support) return *absent* as Markdown (see :func:`figure_absent`),
    or ``None``."""
    from IPython.display import Image, Markdown

    # lazy: matplotlib loads only when a figure is drawn (`mch validate` imports analysis)
    from mchanalysis.plots import save_figure as _save

    if fig is None:
        return Markdown(absent) if absent else None
    path = _save(fig, Path(output_dir) / "figures" / f"{name}.png")
    return Image(data=path.read_bytes(), format="png")
