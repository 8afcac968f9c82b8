"""The annual 答卷 report of a region: context, narrative, HTML, Word and Excel.

Typical use (what ``notebooks/04_annual_report.ipynb`` does)::

    from mchanalysis import report
    ctx = report.build_context("data/demo/counts.csv", year=2024, region_code="990100",
                               target_set="national_2030", lang="zh")
    html = report.render_report(ctx)            # whole report, HTML fragment
    report.write_outputs(ctx, "reports/2024/990100")   # report.docx, tables/, figures/
"""

from mchanalysis.report.context import ReportContext, build_context, load_layout
from mchanalysis.report.outputs import write_outputs
from mchanalysis.report.render import (
    SECTION_IDS,
    display_brief,
    display_section,
    display_title,
    render_brief,
    render_report,
    render_section,
    render_title,
    section_figures,
    title_for,
    visible_sections,
)

__all__ = [
    "ReportContext",
    "build_context",
    "load_layout",
    "SECTION_IDS",
    "display_brief",
    "display_section",
    "render_brief",
    "display_title",
    "render_report",
    "render_section",
    "render_title",
    "section_figures",
    "title_for",
    "visible_sections",
    "write_outputs",
]
