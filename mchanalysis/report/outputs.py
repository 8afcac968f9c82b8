"""Write a region's report files into its output directory (what the notebook's last cell calls)."""

from __future__ import annotations

from pathlib import Path

from mchanalysis.atomic import write_bytes, write_text
from mchanalysis.report.docx import write_docx
from mchanalysis.report.html_page import standalone_page
from mchanalysis.report.render import render_brief, render_report, render_title
from mchanalysis.report.xlsx import write_scorecard_xlsx


def technical_title(ctx) -> str:
    """ "2024年示例市妇幼健康工作技术报告" (en: "... Technical Report")."""
    t = render_title(ctx)
    return (
        t.replace("答卷", "技术报告") if ctx.lang == "zh" else t.replace("Annual Report", "Technical Report")
    )


def write_outputs(ctx, output_dir, *, docx_reference=None) -> dict:
    """Write the 答卷 and the technical report of a region.

    * ``report.docx`` -- the 答卷 (:func:`.render.render_brief`), as ``report.html`` (which the
      pipeline exports from the executed notebook) shows it;
    * ``technical.html`` and ``technical.docx`` -- the technical report (:func:`.render.render_report`:
      intervals, tests, trends, projections, rankings, funnels, data quality, methods);
    * ``tables/scorecard.xlsx``, ``figures/report_<name>.png`` (prefixed: the other notebooks
      write into figures/ too). The figures are the PNG bytes drawn once by the context
      (:func:`.figures.png_bytes`), not drawn a second time.

    Every file is written atomically and byte-reproducibly. ``docx_reference``: a Word file
    whose styles, page set-up and footers both .docx take (:func:`.docx.docx_bytes`); default the
    package's GB/T 9704 reference.

    Returns
    -------
    dict
        ``{"docx", "technical_html", "technical_docx", "xlsx", "figures": [paths]}``.
    """
    out = Path(output_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    write_docx(ctx, out / "report.docx", html=render_brief(ctx), reference=docx_reference)
    tech = (
        render_report(ctx)
        .replace("答卷</h1>", "技术报告</h1>")
        .replace("Annual Report</h1>", "Technical Report</h1>")
    )
    title = technical_title(ctx)
    write_text(out / "technical.html", standalone_page(tech, title=title, lang=ctx.lang))
    write_docx(ctx, out / "technical.docx", html=tech, title=title, reference=docx_reference)
    write_scorecard_xlsx(ctx, out / "tables" / "scorecard.xlsx")
    figs = []
    for name, f in sorted(ctx.figures.items()):
        figs.append(write_bytes(out / "figures" / f"report_{name}.png", f["png"]))
    return {
        "docx": out / "report.docx",
        "technical_html": out / "technical.html",
        "technical_docx": out / "technical.docx",
        "xlsx": out / "tables" / "scorecard.xlsx",
        "figures": figs,
    }
