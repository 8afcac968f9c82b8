"""An XLSX data-entry template for the counts table (``mch template``).

The workbook has two sheets: the data sheet (first, so that :func:`mchanalysis.validation.load_counts`
reads it without ``--sheet``) with one header per column of the data contract (docs/design.md
"Input"), and an instructions sheet (``说明`` / ``instructions``) explaining each column and the
rules. Cells are prepared so that Excel and WPS keep what the user types:

* ``region_code`` and ``parent_code`` are formatted as text (``@``), so ``010101`` keeps its zero;
* ``level`` offers a drop-down list (省级 / 地市级 / 县区级, or the English ids);
* ``year`` accepts a whole number between 1949 and 2100;
* every measure cell accepts only a whole number >= 0 (an empty cell = not reported).

Workbook times and zip timestamps are pinned by
:func:`mchanalysis.spreadsheet.workbook_bytes`.
"""

from __future__ import annotations

from pathlib import Path

from mchanalysis.atomic import write_bytes
from mchanalysis.errors import MchError
from mchanalysis.schema import (
    ALL_MEASURES,
    ALL_MEASURES_EN,
    ID_COLUMNS,
    LEVELS,
    MEASURE_DEFINITIONS,
)
from mchanalysis.spreadsheet import workbook_bytes

#: Number of data rows prepared with text format and cell validation.
TEMPLATE_ROWS = 2000

LANGS = ("zh", "en")

_ID_MEANING = {
    "region_code": (
        "6位行政区划代码（GB/T 2260），按文本填写，开头的0不能省略",
        "6-digit GB/T 2260 region code, typed as text (keep leading zeros)",
    ),
    "region_name": ("地区名称", "region name"),
    "parent_code": (
        "上级地区的行政区划代码；最上级地区留空。上级地区本身也必须在表中有一行",
        "code of the parent region; empty for the top region. The parent must have its own row",
    ),
    "level": (
        "级别：省级 / 地市级 / 县区级（下拉选择）",
        "level: province / prefecture / county (drop-down)",
    ),
    "year": ("报告年份，如 2024", "calendar year of the report, e.g. 2024"),
}

_RULES = {
    "zh": [
        "填写说明",
        "1. 每个地区每年一行：同一地区同一年份不能出现两次。省、市、县各级地区都要有自己的行。",
        "2. 行政区划代码和上级代码按文本填写（本模板已设为文本格式），6位数字，开头的0不能省略。",
        "3. 计数列只填非负整数（人数、例数），不要填百分比、小数或文字。",
        "4. 空白 = 未报告（不是0）。确实为0的请填 0；未报告的请留空，不要填 “-”、“/”、“无”。",
        "5. 上级地区的计数可以填写本级上报的合计，也可以留空（由程序汇总下级）；两者都有时程序会比较并报告差异。",
        "6. 同一代码在各年的名称、上级代码和级别必须一致。",
        "7. 填好后运行：mch validate 文件名.xlsx   程序会一次列出所有问题及其行号。",
        "8. 死胎死产、早期新生儿死亡、儿童营养、眼保健、消除母婴传播等年报项目未开展或无数据的，整列留空即可，"
        "不影响其他指标；填写时须满足：死胎死产数 + 早期新生儿死亡数 = 围产儿死亡数，围产儿数不少于活产数，"
        "低体重、生长迟缓、贫血人数不超过相应检查（检测）人数。",
        "",
        "各列含义",
    ],
    "en": [
        "How to fill in",
        "1. One row per region and year; the same region and year must not appear twice. "
        "Every region of every level (province, prefecture, county) has its own rows.",
        "2. Region and parent codes are text (formatted so here): 6 digits, leading zeros kept.",
        "3. Count columns take non-negative whole numbers only: no percentages, decimals or words.",
        "4. Empty = not reported (not 0). Type 0 for a true zero; leave the cell empty if not "
        "reported, never '-', '/' or 'n/a'.",
        "5. A parent's counts may be its own reported totals or empty (the package sums its "
        "children); where both exist they are compared and differences reported.",
        "6. A code keeps the same name, parent and level in every year.",
        "7. Then run: mch validate FILE.xlsx   (every problem is listed at once, with row numbers).",
        "8. 年报 items not carried out or not available (stillbirths, early neonatal deaths, child "
        "nutrition, eye checks, mother-to-child transmission ...): leave the whole column empty; "
        "the other indicators are not affected. When filled: stillbirths + early neonatal deaths "
        "= perinatal deaths; perinatal births >= live births; underweight, stunted and anaemic "
        "children <= those examined or tested.",
        "",
        "Columns",
    ],
}


def template_headers(lang: str = "zh") -> list[str]:
    """Headers of the template's data sheet, in the data-contract order.

    Parameters
    ----------
    lang : {"zh", "en"}
        ``zh``: the Chinese names of docs/design.md (``行政区划代码``, ``活产数``, ...); ``en``: the ids.

    Returns
    -------
    list of str
        Five identity columns then every measure of :data:`mchanalysis.schema.ALL_MEASURES`
        (the core contract, then the 年报 extension: 死胎死产数, 早期新生儿死亡数, nutrition,
        消除母婴传播 ...). Columns left empty are "not reported"; a file without the extension
        measures gives the same tables as before.
    """
    _check_lang(lang)
    names = {**ID_COLUMNS, **ALL_MEASURES}
    return [names[c] if lang == "zh" else c for c in (*ID_COLUMNS, *ALL_MEASURES)]


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise MchError(f"language must be one of {', '.join(LANGS)}, got {lang!r}")


def build_template(*, lang: str = "zh", rows: int = TEMPLATE_ROWS):
    """Build the data-entry workbook (an :class:`openpyxl.Workbook`, not yet saved).

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of headers, level list and instructions.
    rows : int
        Number of data rows prepared with text format and cell validation (from row 2).

    Returns
    -------
    openpyxl.Workbook
        Sheets: data (``数据`` / ``data``), then instructions (``说明`` / ``instructions``).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    _check_lang(lang)
    zh = lang == "zh"
    columns = [*ID_COLUMNS, *ALL_MEASURES]
    headers = template_headers(lang)
    last = rows + 1

    wb = Workbook()
    ws = wb.active
    ws.title = "数据" if zh else "data"
    ws.append(headers)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j in range(1, len(columns) + 1):
        cell = ws.cell(row=1, column=j)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(2 * len(headers[j - 1]) + 2, 28))
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "C2"

    def col(cid):
        return get_column_letter(columns.index(cid) + 1)

    for cid in ("region_code", "parent_code"):
        letter = col(cid)
        for r in range(2, last + 1):
            ws[f"{letter}{r}"].number_format = "@"

    def validation(dv, ref, title, prompt, error):
        dv.promptTitle, dv.prompt = title, prompt
        dv.errorTitle, dv.error = title, error
        dv.showInputMessage = dv.showErrorMessage = True
        dv.add(ref)
        ws.add_data_validation(dv)

    level_names = list(LEVELS.values()) if zh else list(LEVELS)
    validation(
        DataValidation(type="list", formula1='"' + ",".join(level_names) + '"', allow_blank=False),
        f"{col('level')}2:{col('level')}{last}",
        "级别" if zh else "level",
        "请选择：" + " / ".join(level_names) if zh else "choose: " + " / ".join(level_names),
        "级别只能是 " + " / ".join(level_names) if zh else "level must be " + " / ".join(level_names),
    )
    validation(
        DataValidation(type="whole", operator="between", formula1="1949", formula2="2100"),
        f"{col('year')}2:{col('year')}{last}",
        "年份" if zh else "year",
        "报告年份，如 2024" if zh else "report year, e.g. 2024",
        "年份必须是1949至2100之间的整数" if zh else "the year must be a whole number 1949-2100",
    )
    first, final = col(next(iter(ALL_MEASURES))), col(list(ALL_MEASURES)[-1])
    validation(
        DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True),
        f"{first}2:{final}{last}",
        "计数" if zh else "count",
        "非负整数；未报告请留空（不要填0）" if zh else "whole number >= 0; leave empty if not reported",
        "只能填非负整数；未报告请留空" if zh else "only whole numbers >= 0; leave empty if not reported",
    )

    info = wb.create_sheet("说明" if zh else "instructions")
    for line in _RULES[lang]:
        info.append([line])
    title_rows = (1, len(_RULES[lang]))
    info.append(["列名" if zh else "header", "id", "含义" if zh else "meaning"])
    header_row = info.max_row
    for cid in columns:
        if cid in ID_COLUMNS:
            meaning = _ID_MEANING[cid][0 if zh else 1]
            name = ID_COLUMNS[cid]
        else:
            name = ALL_MEASURES[cid]
            definition = MEASURE_DEFINITIONS.get(cid)
            if definition is None:
                meaning = (
                    f"{name}（计数，非负整数；空白 = 未报告）"
                    if zh
                    else f"{ALL_MEASURES_EN[cid]} (count, whole number >= 0; empty = not reported)"
                )
            else:
                meaning = (
                    f"{definition[0]}（计数，非负整数；空白 = 未报告）"
                    if zh
                    else f"{definition[1]} (count, whole number >= 0; empty = not reported)"
                )
        info.append([name if zh else cid, cid, meaning])
    for r in (*title_rows, header_row):
        for cell in info[r]:
            cell.font = bold
    info.column_dimensions["A"].width = 34
    info.column_dimensions["B"].width = 28
    info.column_dimensions["C"].width = 80
    return wb


def write_template(path, *, lang: str = "zh", rows: int = TEMPLATE_ROWS) -> Path:
    """Write the XLSX data-entry template to ``path`` (atomically).

    Parameters
    ----------
    path : str or Path
        Output file; must end in ``.xlsx``.
    lang : {"zh", "en"}
        Chinese headers (the docs/design.md names) or English ids.
    rows : int
        Data rows prepared with text format and cell validation.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    MchError
        ``path`` does not end in ``.xlsx`` or ``lang`` is unknown.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise MchError("the template must be written to an .xlsx file", file=path)
    return write_bytes(path, workbook_bytes(build_template(lang=lang, rows=rows)))
