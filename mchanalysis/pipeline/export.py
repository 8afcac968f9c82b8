"""HTML export of the notebooks the batch runs: the report package's page exporter, loaded once.

What a page looks like (no code, self-contained, print-friendly, reproducible) is decided in
:mod:`mchanalysis.report.html_page`; this module is the pipeline's handle on it. The exporter is
built once per process and reused (≈ 0.01 s per notebook against ≈ 1 s for a ``jupyter
nbconvert`` call, docs/ecosystem-notes.md). There is no fallback: if the exporter cannot be imported
the run fails with that import error.
"""

from __future__ import annotations

from mchanalysis.report.html_page import export_notebook_html, preload_exporter


def export_html(nb, *, title: str, lang: str = "zh") -> str:
    """Return *nb* as a self-contained HTML page without code cells, titled *title*."""
    return export_notebook_html(nb, title=title, lang=lang)


def preload() -> None:
    """Build the exporter now (before worker processes are forked, so they inherit it)."""
    preload_exporter()
