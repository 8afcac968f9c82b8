"""Per-region tables the notebooks show: this year's indicators, series against the parent and
the nation, data-quality findings and validation warnings; and the one CSV writer they use."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from mchanalysis.analysis.data import AnalysisData, region_codes_below, region_row, series
from mchanalysis.errors import MchError


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
    return f[["region_code", "region_name", "year", "item", "check", "severity", "message"]].reset_index(drop=True)


def quality_summary(data: AnalysisData, region_code: str) -> pd.DataFrame:
    """:func:`mchanalysis.quality.summarise_quality` of the region's findings (every check listed)."""
    from mchanalysis.quality import summarise_quality

    codes = region_codes_below(data, region_code)
    return summarise_quality(data.quality[data.quality["region_code"].isin(codes)])


def validation_warnings(data: AnalysisData, region_code: str) -> pd.DataFrame:
    """Validation warnings about the region or the whole file (no region), as read."""
    w = data.warnings
    if "region_code" in w.columns:
        codes = set(region_codes_below(data, region_code)) | {"", None}
        w = w[w["region_code"].isin(codes) | w["region_code"].isna()]
    return w.reset_index(drop=True)


def indicator_year_table(data: AnalysisData, region_code: str, year: int, *,
                         lang: str = "zh") -> pd.DataFrame:
    """Every indicator of one region and year with its interval, the parent's value and the
    Fingertips comparison with the parent (:func:`mchanalysis.stats.benchmark_compare`).

    Columns ``indicator, name, value, lower, upper, unit, numerator, denominator, parent_value,
    vs_parent, flag`` in registry order.
    """
    from mchanalysis.stats import benchmark_compare

    t = data.indicators
    t = t[(t["year"] == int(year))]
    own = t[t["region_code"] == str(region_code)]
    row = region_row(data, region_code)
    cmp = pd.DataFrame(columns=["indicator", "benchmark_value", "verdict"])
    if row["parent_code"]:
        pair = t[t["region_code"].isin([str(region_code), row["parent_code"]])]
        pair = pair[pair["denominator"].notna() & pair["numerator"].notna() & (pair["denominator"] > 0)]
        if not pair.empty:
            b = benchmark_compare(pair, "parent", levels=(data.conf_level,), registry=data.registry)
            cmp = b[b["region_code"] == str(region_code)][["indicator", "benchmark_value", "verdict"]]
    names = data.registry.set_index("id")[_name_column(lang)]
    out = own.merge(cmp, on="indicator", how="left")
    out = out.assign(name=out["indicator"].map(names)).rename(
        columns={"benchmark_value": "parent_value", "verdict": "vs_parent"})
    out["vs_parent"] = out["vs_parent"].fillna("not_compared")
    cols = ["indicator", "name", "value", "lower", "upper", "unit", "numerator", "denominator",
            "parent_value", "vs_parent", "flag"]
    return out[cols].reset_index(drop=True)


def national_series(indicator: str) -> pd.DataFrame | None:
    """The published national series of one indicator (area 'total', confirmed or derived
    values), ``year, value``; None when the reference has none."""
    from mchanalysis.reference import load_national_series

    try:
        nat = load_national_series(indicators=indicator, status=("confirmed", "derived"))
    except MchError:
        return None
    nat = nat[nat["area"] == "total"][["year", "value"]]
    return nat.reset_index(drop=True) if len(nat) else None


def indicator_series(data: AnalysisData, region_code: str, indicator: str, *,
                     year: int | None = None) -> pd.DataFrame:
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
        parts.append(pd.DataFrame({"series": "national", "region_code": "", "year": nat["year"],
                                   "value": nat["value"], "lower": np.nan, "upper": np.nan}))
    cols = ["series", "region_code", "year", "value", "lower", "upper"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    return out[cols].reset_index(drop=True)


def save_table(table: pd.DataFrame, output_dir: str | os.PathLike, name: str) -> Path:
    """Write *table* to ``<output_dir>/tables/<name>.csv`` (UTF-8, ``\\n``, no index) atomically.

    Byte-reproducible: the same table gives the same bytes (floats in Python's shortest
    round-trip form).
    """
    from mchanalysis.atomic import write_text

    buf = io.StringIO()
    table.to_csv(buf, index=False, lineterminator="\n")
    return write_text(Path(output_dir) / "tables" / f"{name}.csv", buf.getvalue())
