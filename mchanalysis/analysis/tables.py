"""Per-region tables the notebooks show: this year's indicators, series against the parent and
the nation, data-quality findings and validation warnings; and the one CSV writer they use."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis.analysis.data import AnalysisData, region_codes_below, region_row, series
from mchanalysis.atomic import write_bytes
from mchanalysis.compare import benchmark_table
from mchanalysis.errors import MchError
from mchanalysis.quality import CHECK_NAMES, CHECKS, summarise_quality
from mchanalysis.reference import load_national_series
from mchanalysis.spreadsheet import neutralise_frame


def _name_column(lang: str) -> str:
    return "name_en" if lang == "en" else "name_zh"


def quality_findings(data: AnalysisData, region_code: str, *, lang: str = "zh") -> pd.DataFrame:
    """Quality-review findings of the region and every region below it, one message language.

    Columns ``region_code, region_name, year, item, check, severity, message``, sorted by
    severity (errors first), region, year.
    """
    codes = region_codes_below(data, region_code)
    f = data.quality[data.quality["region_code"].isin(codes)].copy()
    f["message"] = f["message_en" if lang == "en" else "message_zh"]
    order = {"error": 0, "warning": 1, "info": 2}
    f["_s"] = f["severity"].map(order).fillna(3)
    f = f.sort_values(["_s", "region_code", "year", "item", "check"], kind="stable")
    return f[["region_code", "region_name", "year", "item", "check", "severity", "message"]].reset_index(
        drop=True
    )


def quality_summary(data: AnalysisData, region_code: str) -> pd.DataFrame:
    """:func:`mchanalysis.quality.summarise_quality` of the region's findings (every check listed)."""
    codes = region_codes_below(data, region_code)
    return summarise_quality(data.quality[data.quality["region_code"].isin(codes)])


def validation_warnings(data: AnalysisData, region_code: str) -> pd.DataFrame:
    """Validation warnings about the region or the whole file (no region), as read.

    Checks that the quality review reports too (:data:`mchanalysis.quality.CHECKS`: the >100%
    rule ``over_100``, likely entry errors, parents against their children) are left out: they
    are listed once, in :func:`quality_findings`.
    """
    w = data.warnings
    if "check" in w.columns:
        w = w[~w["check"].isin(list(CHECKS))]
    if "region_code" in w.columns:
        codes = set(region_codes_below(data, region_code)) | {"", None}
        w = w[w["region_code"].isin(codes) | w["region_code"].isna()]
    return w.reset_index(drop=True)


def indicator_year_table(
    data: AnalysisData, region_code: str, year: int, *, lang: str = "zh"
) -> pd.DataFrame:
    """Every indicator of one region and year with its interval, the parent's value and the
    Fingertips comparison with the parent (:func:`mchanalysis.compare.benchmark_table`).

    Columns ``indicator, name, value, lower, upper, unit, numerator, denominator, parent_value,
    vs_parent, flag`` in registry order.
    """
    t = data.indicators
    t = t[(t["year"] == int(year))]
    own = t[t["region_code"] == str(region_code)]
    row = region_row(data, region_code)
    cmp = pd.DataFrame(columns=["indicator", "benchmark_value", "verdict"])
    if row["parent_code"]:
        pair = t[t["region_code"].isin([str(region_code), row["parent_code"]])]
        pair = pair[pair["denominator"].notna() & pair["numerator"].notna() & (pair["denominator"] > 0)]
        if not pair.empty:
            b = benchmark_table(pair, "parent", levels=(data.conf_level,), registry=data.registry)
            cmp = b[b["region_code"] == str(region_code)][["indicator", "benchmark_value", "verdict"]]
    names = data.registry.set_index("id")[_name_column(lang)]
    out = own.merge(cmp, on="indicator", how="left")
    out = out.assign(name=out["indicator"].map(names)).rename(
        columns={"benchmark_value": "parent_value", "verdict": "vs_parent"}
    )
    out["vs_parent"] = out["vs_parent"].fillna("not_compared")
    cols = [
        "indicator",
        "name",
        "value",
        "lower",
        "upper",
        "unit",
        "numerator",
        "denominator",
        "parent_value",
        "vs_parent",
        "flag",
    ]
    return out[cols].reset_index(drop=True)


def national_series(indicator: str) -> pd.DataFrame | None:
    """The published national series of one indicator (area 'total', confirmed or derived
    values), ``year, value``; None when the reference has none."""
    try:
        nat = load_national_series(indicators=indicator, status=("confirmed", "derived"))
    except MchError:
        return None
    nat = nat[nat["area"] == "total"][["year", "value"]]
    return nat.reset_index(drop=True) if len(nat) else None


def indicator_series(
    data: AnalysisData, region_code: str, indicator: str, *, year: int | None = None
) -> pd.DataFrame:
    """One indicator over the years up to *year* for the region, its parent and the national
    published series.

    Columns ``series`` (``region`` / ``parent`` / ``national``), ``region_code, year, value,
    lower, upper`` (national: no interval).
    """
    row = region_row(data, region_code)
    parts = []
    for label, code in (("region", str(region_code)), ("parent", row["parent_code"])):
        if code:
            s = series(data, code, indicator, until=year)[["region_code", "year", "value", "lower", "upper"]]
            parts.append(s.assign(series=label))
    nat = national_series(indicator)
    if nat is not None:
        if year is not None:
            nat = nat[nat["year"] <= int(year)]
        parts.append(
            pd.DataFrame(
                {
                    "series": "national",
                    "region_code": "",
                    "year": nat["year"],
                    "value": nat["value"],
                    "lower": np.nan,
                    "upper": np.nan,
                }
            )
        )
    cols = ["series", "region_code", "year", "value", "lower", "upper"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return out[cols].reset_index(drop=True)


def save_table(table: pd.DataFrame, output_dir: str | os.PathLike, name: str) -> Path:
    """Write *table* to ``<output_dir>/tables/<name>.csv`` (UTF-8 with a BOM so that Excel shows
    the Chinese text, LF line ends, no index) atomically; text a spreadsheet would run as a
    formula (``= + - @``, tab, CR at the start) gets a leading ``'``
    (:func:`mchanalysis.spreadsheet.neutralise_frame`): region names are data, never formulas.

    Byte-reproducible: the same table gives the same bytes (floats in Python's shortest
    round-trip form).
    """
    buf = io.StringIO()
    neutralise_frame(table).to_csv(buf, index=False, lineterminator="\n")
    return write_bytes(Path(output_dir) / "tables" / f"{name}.csv", buf.getvalue().encode("utf-8-sig"))


#: Column labels of the notebooks' tables in each language (ids not listed show as they are).
COLUMN_LABELS = {
    "indicator": ("指标代码", "indicator"),
    "name": ("指标", "name"),
    "region_code": ("地区代码", "area code"),
    "region_name": ("地区", "area"),
    "parent_code": ("上级代码", "parent code"),
    "parent_name": ("上级地区", "parent"),
    "level": ("级别", "level"),
    "year": ("年份", "year"),
    "value": ("值", "value"),
    "lower": ("下限", "lower"),
    "upper": ("上限", "upper"),
    "unit": ("单位", "unit"),
    "numerator": ("分子", "numerator"),
    "denominator": ("分母", "denominator"),
    "parent_value": ("上级值", "parent value"),
    "vs_parent": ("与上级比较", "vs parent"),
    "flag": ("标记", "flag"),
    "start": ("起始年", "from"),
    "end": ("终止年", "to"),
    "n_years": ("年数", "years"),
    "events": ("事件数", "events"),
    "apc": ("APC(%)", "APC (%)"),
    "apc_lower": ("APC下限", "APC lower"),
    "apc_upper": ("APC上限", "APC upper"),
    "p_value": ("P值", "p-value"),
    "model": ("模型", "model"),
    "verdict": ("结论", "verdict"),
    "reason": ("未分析原因", "not done because"),
    "k": ("连接点数", "joinpoints"),
    "segment": ("段", "segment"),
    "term": ("项目", "term"),
    "estimate": ("估计值", "estimate"),
    "scale": ("离散度", "dispersion"),
    "break_year": ("断点年", "break year"),
    "first_start": ("前期起", "first from"),
    "first_end": ("前期止", "first to"),
    "last_start": ("后期起", "last from"),
    "last_end": ("后期止", "last to"),
    "events_first": ("前期死亡数", "events first"),
    "events_last": ("后期死亡数", "events last"),
    "rate_ratio": ("率比", "rate ratio"),
    "target_year": ("目标年", "target year"),
    "target": ("目标值", "target"),
    "rate": ("预测率", "projected rate"),
    "pi_lower": ("预测区间下限", "PI lower"),
    "pi_upper": ("预测区间上限", "PI upper"),
    "p_meets": ("达标概率", "P(meets)"),
    "needed": ("需年均下降(%)", "needed decline (%/yr)"),
    "crude_rate": ("粗率", "crude rate"),
    "smoothed_rate": ("平滑率", "smoothed rate"),
    "shrinkage": ("收缩权重", "shrinkage"),
    "prior_mean": ("先验均值", "prior mean"),
    "prior_var": ("先验方差", "prior variance"),
    "eb_method": ("平滑方法", "method"),
    "severity": ("严重程度", "severity"),
    "item": ("项目", "item"),
    "check": ("检查", "check"),
    "message": ("说明", "message"),
    "message_zh": ("说明", "message"),
    "message_en": ("说明", "message"),
    "findings": ("发现数", "findings"),
    "items": ("检查项数", "items checked"),
    "regions": ("地区数", "areas"),
    "file": ("文件", "file"),
    "row": ("行", "row"),
    "column": ("列", "column"),
    "subregions": ("下级地区数", "sub-regions"),
    "first_year": ("首年", "first year"),
    "last_year": ("末年", "last year"),
    "years_reported": ("报告年数", "years reported"),
    "p_adjusted": ("校正P值(Holm)", "Holm-adjusted p"),
    "basis": ("外推依据", "fitted on"),
    "fit_start": ("拟合起始年", "fitted from"),
    "eb_note": ("说明", "note"),
}


#: Cell labels of coded values in the notebooks' tables, per column: (zh, en).
VALUE_LABELS = {
    "level": {
        "province": ("省级", "province"),
        "prefecture": ("地市级", "prefecture"),
        "county": ("县区级", "county"),
    },
    "severity": {"error": ("错误", "error"), "warning": ("警告", "warning"), "info": ("提示", "info")},
    "verdict": {
        "rise": ("上升", "rise"),
        "fall": ("下降", "fall"),
        "no_significant_change": ("无统计学意义的变化", "no significant change"),
        "not_compared": ("未比较", "not compared"),
        "better": ("较好", "better"),
        "worse": ("较差", "worse"),
        "similar": ("相近", "similar"),
        "higher": ("较高", "higher"),
        "lower": ("较低", "lower"),
    },
    "check": dict(CHECK_NAMES),  # one list of check names, beside the checks
}
VALUE_LABELS["term"] = {
    "level_change": ("断点水平变化（率比）", "level change (rate ratio)"),
    "apc_before": ("断点前APC(%)", "APC before (%)"),
    "apc_after": ("断点后APC(%)", "APC after (%)"),
    "slope_ratio": ("斜率比", "slope ratio"),
    "apc_difference": ("APC之差", "APC difference"),
}
VALUE_LABELS["basis"] = {
    "last_segment": ("最后一段Joinpoint趋势", "last joinpoint segment"),
    "whole_series": ("全部年份的对数线性趋势", "whole series"),
}
VALUE_LABELS["vs_parent"] = VALUE_LABELS["verdict"]
VALUE_LABELS["vs_previous"] = VALUE_LABELS["verdict"]

#: Columns of counts: shown without decimals even when stored as floats (sums, NaN for missing).
COUNT_COLUMNS = frozenset(
    {
        "numerator",
        "denominator",
        "events",
        "events_first",
        "events_last",
        "deaths",
        "births",
        "findings",
        "items",
        "regions",
    }
)

#: Of two message columns, the one each language hides.
_HIDDEN = {"zh": ("message", "message_en"), "en": ("message_zh",)}


def _format_p(p: float) -> str:
    """A p-value as the reports print it: '<0.001' or three decimals."""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def show(table: pd.DataFrame, lang: str = "zh", *, decimals: int = 2):
    """The table for a person: the language's column names and coded values (:data:`COLUMN_LABELS`,
    :data:`VALUE_LABELS`), one message column in the language, numbers rounded to *decimals*
    (the report's rounding; the CSV under ``tables/`` keeps full precision), text left-aligned,
    every row shown, no index: the HTML of a :class:`pandas.io.formats.style.Styler` with a fixed
    id, as an ``IPython.display.HTML`` (re-runs give the same bytes)."""
    from IPython.display import HTML

    k = 1 if lang == "en" else 0
    shown = table.copy()
    if {"message", "message_zh"} <= set(shown.columns) or {"message_en", "message_zh"} <= set(shown.columns):
        shown = shown.drop(columns=[c for c in _HIDDEN["en" if lang == "en" else "zh"] if c in shown.columns])
    for col, labels in VALUE_LABELS.items():
        if col in shown.columns and not pd.api.types.is_numeric_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v, m=labels: m[v][k] if isinstance(v, str) and v in m else v)
    shown = shown.rename(columns={c: COLUMN_LABELS[c][k] for c in shown.columns if c in COLUMN_LABELS})
    p_cols = {
        COLUMN_LABELS.get(c, (c, c))[k] for c in table.columns if c.startswith("p_value") or c == "p_adjusted"
    }
    numeric = [c for c in shown.columns if pd.api.types.is_float_dtype(shown[c])]
    text = [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c])]
    counts = {COLUMN_LABELS.get(c, (c, c))[k] for c in table.columns if c in COUNT_COLUMNS}
    formats = {
        c: (_format_p if c in p_cols else "{:.0f}" if c in counts else f"{{:.{decimals}f}}") for c in numeric
    }
    styler = shown.style.format(formats, na_rep="")
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
    # shown as HTML: a Styler's own plain-text repr carries a memory address, which would make
    # re-runs differ
    return HTML(styler.hide(axis="index").set_uuid("mch").to_html())
