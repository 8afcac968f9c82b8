"""``index.html``: every region of the year with its status and links to its reports (the regions
of this run first, then those left by earlier runs in the same output directory).

Region names and error messages are HTML-escaped; links use region codes only.
"""

from __future__ import annotations

import html
from pathlib import Path

from mchanalysis.atomic import write_text

_STATUS = {"done": ("完成 done", "ok"), "unchanged": ("未变 unchanged", "ok"),
           "earlier": ("此前运行 earlier run", "ok"), "failed": ("失败 failed", "bad")}
_LEVEL = {"province": "省级", "prefecture": "地市级", "county": "县区级"}


def render_index(year: int, results: list) -> str:
    """The index page (a string); *results* are :class:`~mchanalysis.pipeline.runner.RegionResult`."""
    esc = html.escape
    rows = []
    for r in results:
        label, cls = _STATUS.get(r.status, (r.status, ""))
        files = sorted(o["path"] for o in r.outputs if o["path"].endswith(".html"))
        files.sort(key=lambda p: (p != "report.html", p))
        links = " ".join(
            f'<a href="{esc(f"{year}/{r.region_code}/{p}")}">{esc(p)}</a>' for p in files
        )
        detail = ""
        if r.failure:
            f = r.failure
            cell = f.get("cell_index")
            where = f"{f.get('notebook')}" + (f", cell {cell}" if cell is not None else "")
            detail = f'<div class="err">{esc(where)}: {esc(str(f.get("ename")))}: {esc(str(f.get("evalue")))}</div>'
        rows.append(
            f"<tr><td>{esc(r.region_code)}</td><td>{esc(r.region_name)}</td>"
            f"<td>{esc(_LEVEL.get(r.level, r.level))}</td><td class=\"{cls}\">{esc(label)}</td>"
            f"<td>{links}{detail}</td></tr>"
        )
    n_failed = sum(r.status == "failed" for r in results)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{year}年妇幼健康分析报告索引 · MCH reports {year}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }}
.ok {{ color: #1a7f37; }}
.bad {{ color: #b42318; font-weight: bold; }}
.err {{ color: #b42318; font-size: 90%; }}
</style>
</head>
<body>
<h1>{year}年妇幼健康分析报告 · MCH reports {year}</h1>
<p>{len(results)} 个地区 regions, {n_failed} 个失败 failed.</p>
<table>
<thead><tr><th>代码 code</th><th>地区 region</th><th>级别 level</th><th>状态 status</th><th>报告 reports</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


def write_index(out: Path, year: int, results: list) -> Path:
    """Write ``<out>/index.html`` atomically; return its path."""
    path = Path(out) / "index.html"
    write_text(path, render_index(year, results))
    return path
