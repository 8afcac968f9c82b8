"""Write notebooks/04_annual_report.ipynb (the annual 答卷), without outputs.

The notebook is thin: one ``parameters`` cell, one call that gathers the numbers
(:func:`mchanalysis.report.build_context`, fed the tables that
:func:`mchanalysis.analysis.load_analysis_data` computes once per data file), one cell that shows
the 答卷 (exported as report.html), and a last cell that writes report.docx (the 答卷),
technical.html / technical.docx (the technical report), tables/scorecard.xlsx and figures/*.png. Markdown cells that explain the notebook to
someone opening it in JupyterLab are tagged ``remove-cell``: the exported report.html leaves
them out. Cell ids are fixed so the file is identical each time it is written.

    python tools/make_report_notebook.py            # writes notebooks/04_annual_report.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

def build() -> nbformat.NotebookNode:
    hide = {"tags": ["remove-cell"]}
    cells = [
        new_markdown_cell(
            "# 年度妇幼健康工作答卷 (annual MCH report)\n\n"
            "This notebook **is** the 答卷 of one region and year. `mch run` executes it with "
            "papermill for every region and exports it without code to `report.html` "
            "(`mchanalysis.report.html.export_notebook_html`): the short document a health "
            "bureau issues (key rates with counts, targets met or not, problems, the bureau's own "
            "text). Its last cell writes `report.docx` (the same 答卷), the full technical report "
            "`technical.html` / `technical.docx` (intervals, tests, trends, projections, "
            "rankings, data quality, methods), `tables/scorecard.xlsx` and `figures/*.png`.\n\n"
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
            'target_set = "auto"  # "auto": the 2025 milestones up to 2025 (2030 targets beside), the 2030 set after\n'
            'lang = "zh"\n'
            'output_dir = ""  # empty: reports/interactive/<year>/<region_code>/, never a batch folder\n'
            'narrative = ""  # the bureau\'s own text: a folder of <region_code>.md files, one .md file, or ""\n'
            "missing_sections = []  # notebooks of this region that failed (set by mch run)",
            metadata={"tags": ["parameters"]},
        ),
        new_markdown_cell(
            "Gather every number of the report once: indicators with intervals, changes with "
            "their statistical verdicts, trends, benchmarks, targets, sub-regions, data quality, "
            "figures, and the bureau's own text (`narrative`: sections 导语, 工作亮点, 重点工作, "
            "下一步, 落款 placed verbatim, escaped). The indicator table, the quality review and "
            "the load findings of the whole file come from "
            "`mchanalysis.analysis.load_analysis_data`, computed once per data file.",
            metadata=hide,
        ),
        new_code_cell(
            "from mchanalysis import analysis, report\n\n"
            "data, output_dir = analysis.start(data_path, year=year, region_code=region_code, lang=lang,\n"
            "                                  target_set=target_set, output_dir=output_dir)\n"
            "ctx = report.build_context(data, year=year, region_code=region_code,\n"
            "                           target_set=target_set, lang=lang, narrative=narrative,\n"
            "                           missing_sections=missing_sections)"
        ),
        new_markdown_cell(
            "The 答卷: plain statements; statistics decide the wording (a change is called a rise "
            "or fall only when significant, 基本持平 only when small and not significant) but no "
            "interval, test or trend model is printed. Those are in `technical.html`.",
            metadata=hide,
        ),
        new_code_cell("report.display_brief(ctx)"),
        new_markdown_cell(
            "Write the 答卷 as Word, the technical report (HTML and Word), the scorecard workbook "
            "and the figures into `output_dir` (atomically, byte-reproducibly).", metadata=hide),
        new_code_cell("_ = report.write_outputs(ctx, output_dir)"),
    ]
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
    import argparse

    ap = argparse.ArgumentParser(description="Write notebook 04 (the annual report) from its cells.")
    ap.add_argument("out", nargs="?", type=Path,
                    default=Path(__file__).resolve().parents[1] / "notebooks" / "04_annual_report.ipynb")
    out = ap.parse_args(sys.argv[1:] if argv is None else argv).out
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(build(), str(out))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
