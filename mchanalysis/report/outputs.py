"""Write a report's files into its output directory (what the notebook's last cell calls)."""

from __future__ import annotations

from pathlib import Path

from mchanalysis.report.docx import write_docx
from mchanalysis.report.xlsx import write_scorecard_xlsx


def write_outputs(ctx, output_dir) -> dict:
    """Write ``report.docx``, ``tables/scorecard.xlsx`` and ``figures/<name>.png``.

    Every file is written atomically and byte-reproducibly (``report.html`` is written by the
    pipeline from the executed notebook, :func:`mchanalysis.report.html.export_notebook_html`).

    Returns
    -------
    dict
        ``{"docx": path, "xlsx": path, "figures": [paths]}``.
    """
    from mchanalysis.plots import save_figure

    out = Path(output_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    write_docx(ctx, out / "report.docx")
    write_scorecard_xlsx(ctx, out / "tables" / "scorecard.xlsx")
    figs = []
    for name, f in sorted(ctx.figures.items()):
        figs.append(save_figure(f["figure"], out / "figures" / f"{name}.png"))
    return {"docx": out / "report.docx", "xlsx": out / "tables" / "scorecard.xlsx", "figures": figs}
