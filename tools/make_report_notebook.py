"""Write notebooks/04_annual_report.ipynb (the annual 答卷), without outputs.

The notebook is thin: one ``parameters`` cell, one call that gathers the numbers
(:func:`mchanalysis.report.build_context`, fed the tables that
:func:`mchanalysis.analysis.load_analysis_data` computes once per data file), one cell per section, and a last cell that writes
report.docx, tables/scorecard.xlsx and figures/*.png. Markdown cells that explain the notebook to
someone opening it in JupyterLab are tagged ``remove-cell``: the exported report.html leaves
them out. Cell ids are fixed so the file is identical each time it is written.

    python tools/make_report_notebook.py            # writes notebooks/04_annual_report.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SECTIONS = [
    ("headline", "核心指标一览：活产数、四项死亡率及主要服务指标，对照所选目标体系的达标符号。"),
    ("maternal_safety", "母婴安全：四项死亡率的值与置信区间、与上年和5年前的比较（只有统计学检验支持时才称“上升/下降”）、APC趋势、与上级地区和全国的比较、目标状态；死亡例数少时以例数表述。"),
    ("maternal_care", "孕产妇健康管理：早孕建册、产前检查、系统管理、产后访视、住院分娩、高危管理。"),
    ("child_care", "儿童健康管理：新生儿访视、3岁以下系统管理、7岁以下健康管理、纯母乳喂养。"),
    ("birth_defects", "出生缺陷防治：产前筛查、新生儿遗传代谢病和听力筛查、出生缺陷发生率。"),
    ("women_health", "妇女健康：婚前医学检查、宫颈癌和乳腺癌筛查。"),
    ("targets", "目标完成情况：所选目标体系逐项评价（点值判定与置信区间判定），附计分卡图。"),
    ("comparison", "地区比较：所辖地区按指标排序并与本级水平比较（仅对有下级地区的市、省显示），附漏斗图。"),
    ("quality", "数据质量说明：口径、方法与数据质量审核发现的问题。"),
    ("problems", "存在问题与下一步：由数据列出未达标目标、显著变差的指标和趋势、显著差于本级水平的地区。"),
]


def build() -> nbformat.NotebookNode:
    hide = {"tags": ["remove-cell"]}
    cells = [
        new_markdown_cell(
            "# 年度妇幼健康工作答卷 (annual MCH report)\n\n"
            "This notebook **is** the report of one region and year. `mch run` executes it with "
            "papermill for every region and exports it without code to `report.html` "
            "(`mchanalysis.report.html.export_notebook_html`); its last cell writes "
            "`report.docx`, `tables/scorecard.xlsx` and `figures/*.png`.\n\n"
            "All numbers and words come from `mchanalysis.report` (statistics in "
            "`mchanalysis.stats`, `trends`, `targets`, `quality`; wording in "
            "`mchanalysis/report/templates/<lang>/*.j2`). Cells in this notebook only call it.",
            metadata=hide,
        ),
        new_code_cell(
            "# Parameters (papermill injects the run's values after this cell)\n"
            'data_path = "../data/demo/counts.csv"\n'
            "year = 2024\n"
            'region_code = "990000"\n'
            'target_set = "national_2030"\n'
            'lang = "zh"\n'
            'output_dir = "../reports/2024/990000"\n'
            "missing_sections = []  # notebooks of this region that failed (set by mch run)",
            metadata={"tags": ["parameters"]},
        ),
        new_markdown_cell(
            "Gather every number of the report once: indicators with intervals, changes with "
            "their statistical verdicts, trends, benchmarks, targets, sub-regions, data quality, "
            "figures. The indicator table, the quality review and the load findings of the whole "
            "file come from `mchanalysis.analysis.load_analysis_data`, computed once per "
            "data file (in a batch, once for all regions) and only selected here.",
            metadata=hide,
        ),
        new_code_cell(
            "from mchanalysis import analysis, report\n\n"
            "data = analysis.load_analysis_data(data_path)\n"
            "ctx = report.build_context(data, year=year, region_code=region_code,\n"
            "                           target_set=target_set, lang=lang,\n"
            "                           missing_sections=missing_sections)\n"
            "report.display_title(ctx)"
        ),
    ]
    for sid, text in SECTIONS:
        cells.append(new_markdown_cell(text, metadata=hide))
        cells.append(new_code_cell(f'report.display_section(ctx, "{sid}")'))
    cells.append(new_markdown_cell(
        "Write the Word document, the scorecard workbook and the figures into `output_dir` "
        "(atomically, byte-reproducibly).", metadata=hide))
    cells.append(new_code_cell("_ = report.write_outputs(ctx, output_dir)"))
    for i, c in enumerate(cells):
        c["id"] = f"report-{i:02d}"
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "title": "年度妇幼健康工作答卷",
    }
    return nb


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "notebooks" / "04_annual_report.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(build(), str(out))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
