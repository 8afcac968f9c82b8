"""The scorecard (and the region's indicator table) as an Excel workbook, safely and reproducibly.

Spreadsheet formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab /
carriage return) would be read by Excel as a formula; such text is prefixed with an apostrophe
(OWASP "CSV injection" advice), so a region named ``=HYPERLINK(...)`` shows as text. Numbers stay
numbers. Workbook properties are fixed and the archive normalised (:mod:`.archive`), so the
same scorecard gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io

import pandas as pd

from mchanalysis.atomic import write_bytes
from mchanalysis.report.archive import normalise_zip

#: Leading characters that make a spreadsheet treat text as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FIXED = _dt.datetime(2000, 1, 1)


def neutralise(value):
    """Text that a spreadsheet would run as a formula, prefixed with ``'``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):  # numpy scalar
        v = v.item()
    return neutralise(v)


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per DataFrame (header row bold, frozen), as reproducible bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=str(name)[:31])
        ws.append([neutralise(str(c)) for c in df.columns])
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for i, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in df[col].tolist()[:200]]) + 2
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(max(width, 8), 48)
    props = wb.properties
    props.creator = "mchanalysis"
    props.lastModifiedBy = "mchanalysis"
    props.created = _FIXED
    props.modified = _FIXED
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_zip(buf.getvalue())


def scorecard_frame(ctx) -> pd.DataFrame:
    """The scorecard with the report's column names (Chinese or English)."""
    sc = ctx.scorecard
    zh = ctx.lang == "zh"
    cols = {
        "indicator": "指标代码" if zh else "indicator",
        "name": "指标" if zh else "name",
        "value": "实际值" if zh else "value",
        "lower": "下限" if zh else "lower",
        "upper": "上限" if zh else "upper",
        "unit": "单位" if zh else "unit",
        "comparison": "比较" if zh else "comparison",
        "target": "目标值" if zh else "target",
        "target_year": "目标年份" if zh else "target_year",
        "status": "达标情况" if zh else "status",
        "status_ci": "统计学判定" if zh else "status_ci",
    }
    if sc is None or len(sc) == 0:
        return pd.DataFrame(columns=list(cols.values()))
    out = sc[list(cols)].rename(columns=cols).copy()
    region = pd.DataFrame({("地区代码" if zh else "region_code"): ctx.region["code"],
                           ("地区" if zh else "region_name"): ctx.region["name"],
                           ("年份" if zh else "year"): ctx.year}, index=out.index)
    return pd.concat([region, out], axis=1)


def write_scorecard_xlsx(ctx, path) -> None:
    """Write ``tables/scorecard.xlsx``: the scorecard sheet and the region's indicators sheet."""
    t = ctx.indicator_table
    ind = t[(t["region_code"] == ctx.region["code"]) & (t["year"] == ctx.year)].drop(
        columns=["parent_code"], errors="ignore")
    sheets = {"scorecard": scorecard_frame(ctx), "indicators": ind.reset_index(drop=True)}
    write_bytes(path, workbook_bytes(sheets))
