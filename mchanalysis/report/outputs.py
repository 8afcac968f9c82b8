"""Write a report's files into its output directory (what the notebook's last cell calls)."""

from __future__ import annotations

from pathlib import Path

from mchanalysis.report.docx import write_docx
from mchanalysis.report.xlsx import write_scorecard_xlsx


def write_outputs(ctx, output_dir) -> dict:
    """Write ``report.docx``, ``tables/scorecard.xlsx`` and ``figures/report_<name>.png`` (prefixed: the other notebooks write into figures/ too).

    The figures are the PNG bytes drawn once by the context (:func:`.figures.png_bytes`: the
    settings of :func:`mchanalysis.plots.save_figure`), not drawn a second time.

    Every file is written atomically and byte-reproducibly (``report.html`` is written by the
    pipeline from the executed notebook, :func:`mchanalysis.report.html.export_notebook_html`).

    Returns
    -------
    dict
        ``{"docx": path, "xlsx": path, "figures": [paths]}``.
    """
    from mchanalysis.atomic import write_bytes

    out = Path(output_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    write_docx(ctx, out / "report.docx")
    write_scorecard_xlsx(ctx, out / "tables" / "scorecard.xlsx")
    figs = []
    for name, f in sorted(ctx.figures.items()):
        # the PNG bytes drawn once for the report, written as save_figure writes them
        figs.append(write_bytes(out / "figures" / f"report_{name}.png", f["png"]))
    return {"docx": out / "report.docx", "xlsx": out / "tables" / "scorecard.xlsx", "figures": figs}
