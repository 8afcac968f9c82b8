"""Benchmark: one notebook exported to the self-contained 答卷 HTML page.

Times :func:`mchanalysis.report.html_page.export_notebook_html` on a small executed notebook (a
parameters cell, an HTML output, an image and a warning), after one warm-up call that loads
nbconvert and its templates. Target: under 0.25 s a page (the batch exports one page per notebook
per region). Moved here from the test suite, where a wall-clock assertion flaked on a busy machine.

Run: ``.venv/bin/python benchmarks/bench_html_export.py [--repeat N]``.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import time

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mchanalysis.report.html_page import export_notebook_html

TARGET_S = 0.25
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def notebook() -> nbformat.NotebookNode:
    """A small executed notebook as papermill leaves one."""
    return new_notebook(
        cells=[
            new_markdown_cell("note for notebook readers", metadata={"tags": ["remove-cell"]}),
            new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            new_code_cell(
                "y",
                outputs=[
                    new_output("display_data", data={"text/html": "<p>正文</p>"}),
                    new_output("display_data", data={"image/png": PNG}),
                    new_output("stream", name="stderr", text="a warning\n"),
                ],
                execution_count=3,
            ),
        ]
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    nb = notebook()
    t0 = time.perf_counter()
    export_notebook_html(nb, title="t")
    first = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        export_notebook_html(nb, title="t")
        times.append(time.perf_counter() - t)
    per_page = sorted(times)[len(times) // 2]
    print(
        f"first export (loads nbconvert): {first:.2f} s; then {per_page:.3f} s a page "
        f"(median of {args.repeat}; target < {TARGET_S} s)"
    )
    print(
        json.dumps(
            {
                "first_s": round(first, 3),
                "per_page_s": round(per_page, 4),
                "target_s": TARGET_S,
                "met": per_page < TARGET_S,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
