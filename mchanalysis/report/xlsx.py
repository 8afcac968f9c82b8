"""The scorecard (and the region's indicator table) as an Excel workbook, safely and reproducibly.

Written by the package's one spreadsheet writer (:func:`mchanalysis.spreadsheet.xlsx_bytes`):
formula-like text neutralised (a region named ``=HYPERLINK(...)`` shows as text), numbers kept
numbers, the same scorecard giving the same bytes.
"""

from __future__ import annotations

import pandas as pd

from mchanalysis.atomic import write_bytes
from mchanalysis.registry import load_registry
from mchanalysis.spreadsheet import xlsx_bytes

#: Status words of the workbook, per language (a zh workbook is fully Chinese).
STATUS_WORDS = {
    "zh": {"met": "达标", "not_met": "未达标", "indistinguishable": "尚难判定", "no_data": "无数据"},
    "en": {
        "met": "met",
        "not_met": "not met",
        "indistinguishable": "not distinguishable",
        "no_data": "no data",
    },
}
#: Sheet names, per language.
SHEETS = {
    "zh": {
        "scorecard": "目标完成情况",
        "indicators": "本级指标",
        "prefecture": "各市指标",
        "county": "各县区指标",
    },
    "en": {
        "scorecard": "scorecard",
        "indicators": "indicators",
        "prefecture": "prefectures",
        "county": "counties",
    },
}
_LEVEL_ZH = {"province": "省", "prefecture": "市", "county": "县（区）"}


def _round(v, decimals):
    try:
        return None if pd.isna(v) else round(float(v), int(decimals))
    except (TypeError, ValueError):
        return v


def scorecard_frame(ctx) -> pd.DataFrame:
    """The scorecard with the report's column names, statuses in words and values rounded as
    printed (a zh workbook has no English word)."""
    sc = ctx.scorecard
    lang = "zh" if ctx.lang == "zh" else "en"
    zh = lang == "zh"
    cols = {
        "name": "指标" if zh else "indicator",
        "value": "实际值" if zh else "value",
        "lower": "置信区间下限" if zh else "lower",
        "upper": "置信区间上限" if zh else "upper",
        "unit": "单位" if zh else "unit",
        "comparison": "目标方向" if zh else "comparison",
        "target": "目标值" if zh else "target",
        "target_year": "目标年份" if zh else "target_year",
        "status": "达标情况" if zh else "status",
        "status_ci": "统计学判定" if zh else "statistical status",
    }
    if sc is None or len(sc) == 0:
        return pd.DataFrame(
            columns=[
                "地区代码" if zh else "region_code",
                "地区" if zh else "region_name",
                "年份" if zh else "year",
            ]
            + list(cols.values())
        )
    dec = load_registry().set_index("id")["decimals"].to_dict()
    out = sc[["indicator"] + [c for c in cols if c != "indicator"]].copy()
    for c in ("value", "lower", "upper"):
        out[c] = [_round(v, dec.get(i, 2)) for v, i in zip(out[c], out["indicator"])]
    words = STATUS_WORDS[lang]
    out["status"] = out["status"].map(lambda s: words.get(s, s))
    out["status_ci"] = out["status_ci"].map(lambda s: words.get(s, s))
    out["comparison"] = out["comparison"].map({"<=": "≤", ">=": "≥"})
    if not zh:
        out["unit"] = out["unit"].map(lambda u: {"/10万": "per 100,000", "/万": "per 10,000"}.get(u, u))
    out = out.drop(columns=["indicator"]).rename(columns=cols)
    region = pd.DataFrame(
        {
            ("地区代码" if zh else "region_code"): ctx.region["code"],
            ("地区" if zh else "region_name"): ctx.region["name"],
            ("年份" if zh else "year"): ctx.year,
        },
        index=out.index,
    )
    return pd.concat([region, out], axis=1)


def _indicators_frame(t: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Indicator rows in the report's words: names, counts, values rounded as printed."""
    reg = load_registry().set_index("id")
    zh = lang == "zh"
    names = reg["name_zh" if zh else "name_en"].to_dict()
    dec = reg["decimals"].to_dict()
    out = pd.DataFrame(
        {
            ("地区代码" if zh else "region_code"): t["region_code"].to_numpy(),
            ("地区" if zh else "region_name"): t["region_name"].to_numpy(),
            ("层级" if zh else "level"): [(_LEVEL_ZH.get(v, v) if zh else v) for v in t["level"]],
            ("年份" if zh else "year"): t["year"].to_numpy(),
            ("指标" if zh else "indicator"): [names.get(i, i) for i in t["indicator"]],
            ("分子" if zh else "numerator"): t["numerator"].to_numpy(),
            ("分母" if zh else "denominator"): t["denominator"].to_numpy(),
            ("值" if zh else "value"): [_round(v, dec.get(i, 2)) for v, i in zip(t["value"], t["indicator"])],
            ("置信区间下限" if zh else "lower"): [
                _round(v, dec.get(i, 2)) for v, i in zip(t["lower"], t["indicator"])
            ],
            ("置信区间上限" if zh else "upper"): [
                _round(v, dec.get(i, 2)) for v, i in zip(t["upper"], t["indicator"])
            ],
            ("单位" if zh else "unit"): t["unit"].to_numpy(),
        }
    )
    return out.reset_index(drop=True)


def write_scorecard_xlsx(ctx, path) -> None:
    """Write ``tables/scorecard.xlsx``: the scorecard, the region's indicators, and for a city or
    province one sheet per level of its sub-regions (各市指标, 各县区指标), in the report's
    language (sheet names, statuses, symbols) and rounded as printed."""
    lang = "zh" if ctx.lang == "zh" else "en"
    names = SHEETS[lang]
    t = ctx.indicator_table
    t = t[t["year"] == ctx.year]
    sheets = {
        names["scorecard"]: scorecard_frame(ctx),
        names["indicators"]: _indicators_frame(t[t["region_code"] == ctx.region["code"]], lang),
    }
    below, parents = [], {ctx.region["code"]}
    while True:  # every level below the region, nearest first
        kids = t[t["parent_code"].isin(parents)]
        if kids.empty:
            break
        below.append(kids)
        parents = set(kids["region_code"])
    for kids in below:
        for level, rows in kids.groupby("level", sort=False):
            sheets[names.get(level, str(level))] = _indicators_frame(rows, lang)
    write_bytes(path, xlsx_bytes(sheets))
