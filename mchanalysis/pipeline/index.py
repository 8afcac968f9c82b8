"""The index pages, rewritten after every run (also an interrupted one):

- ``<out>/<year>/index.html``: every region of the year with its status and links to its
  reports (the regions of this run first, then those left by earlier runs);
- ``<out>/index.html``: every year present in ``<out>``, with its counts and a link to its page.

Region names and error messages are HTML-escaped once; links use region codes only.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from mchanalysis.atomic import write_text
from mchanalysis.pipeline.jobs import RUN_SUMMARY, earlier_results

_STATUS = {
    "done": ("完成 done", "ok"),
    "unchanged": ("未变 unchanged", "ok"),
    "earlier": ("此前运行 earlier run", "ok"),
    "partial": ("部分完成 partial", "bad"),
    "failed": ("失败 failed", "bad"),
    "stopped": ("已中止 stopped", "bad"),
}
_LEVEL = {"province": "省级", "prefecture": "地市级", "county": "县区级"}
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)

_STYLE = """<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.ok { color: #1a7f37; }
.bad { color: #b42318; font-weight: bold; }
.err { color: #b42318; font-size: 90%; }
</style>"""


def _links(prefix: str, outputs: list) -> str:
    esc = html.escape
    files = sorted(
        o["path"] for o in outputs if isinstance(o, dict) and str(o.get("path", "")).endswith(".html")
    )
    files.sort(key=lambda p: (p != "report.html", p))
    return " ".join(f'<a href="{esc(f"{prefix}/{p}")}">{esc(p)}</a>' for p in files)


def render_index(year: int, results: list, *, prefix: str = "") -> str:
    """The page of one year (a string); *results* are
    :class:`~mchanalysis.pipeline.jobs.RegionResult`. Links are relative to the page: *prefix*
    is ``""`` for ``<out>/<year>/index.html``."""
    esc = html.escape
    base = f"{prefix}/" if prefix else ""
    rows = []
    for r in results:
        label, cls = _STATUS.get(r.status, (r.status, ""))
        where = getattr(r, "location", None) or r.region_code
        links = _links(f"{base}{where}", r.outputs)
        if where != r.region_code and any(
            isinstance(o, dict) and o.get("path") == "error.json" for o in r.outputs
        ):
            links += f' <a href="{esc(f"{base}{where}/error.json")}">error.json</a>'
        if getattr(r, "kept", False) and where != r.region_code:
            links += (
                f' · <a href="{esc(f"{base}{r.region_code}/report.html")}">上次完整报告 previous report</a>'
            )
        detail = ""
        for f in r.failures:
            detail += f'<div class="err">{esc(f.where)}: {esc(str(f.ename))}: {esc(str(f.evalue))}</div>'
        rows.append(
            f"<tr><td>{esc(r.region_code)}</td><td>{esc(r.region_name)}</td>"
            f'<td>{esc(_LEVEL.get(r.level, r.level))}</td><td class="{cls}">{esc(label)}</td>'
            f"<td>{links}{detail}</td></tr>"
        )
    n_bad = sum(r.status in ("failed", "partial", "stopped") for r in results)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{year}年妇幼健康分析报告索引 · MCH reports {year}</title>
{_STYLE}
</head>
<body>
<h1>{year}年妇幼健康分析报告 · MCH reports {year}</h1>
<p><a href="../index.html">全部年份 all years</a> · {len(results)} 个地区 regions, {n_bad} 个未完成 not complete.</p>
<table>
<thead><tr><th>代码 code</th><th>地区 region</th><th>级别 level</th><th>状态 status</th><th>报告 reports</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


def write_year_index(year_dir: Path, year: int, results: list) -> Path:
    """Write ``<year_dir>/index.html`` atomically; return its path."""
    path = Path(year_dir) / "index.html"
    write_text(path, render_index(year, results))
    return path


def year_rows(out: Path) -> list[dict]:
    """One row per year folder of *out*: ``year``, region counts by status, last run's status."""
    rows = []
    for d in sorted(Path(out).iterdir()) if Path(out).is_dir() else []:
        if not (d.is_dir() and _YEAR.fullmatch(d.name)):
            continue
        regions = earlier_results(d)
        counts = {}
        for r in regions:
            key = "done" if r.status == "earlier" else r.status
            counts[key] = counts.get(key, 0) + 1
        try:
            last = json.loads((d / RUN_SUMMARY).read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError, AttributeError):
            last = None
        rows.append(
            {
                "year": int(d.name),
                "regions": len(regions),
                "counts": counts,
                "last_run": last,
                "has_index": (d / "index.html").is_file(),
            }
        )
    return rows


def render_top_index(rows: list[dict]) -> str:
    esc = html.escape
    body = []
    for row in sorted(rows, key=lambda r: -r["year"]):
        c = row["counts"]
        counts = ", ".join(f"{esc(_STATUS.get(k, (k, ''))[0])} {v}" for k, v in sorted(c.items()))
        y = row["year"]
        link = f'<a href="{y}/index.html">{y}年</a>' if row["has_index"] else f"{y}年"
        last = _STATUS.get(row["last_run"] or "", (row["last_run"] or "—", ""))
        body.append(
            f"<tr><td>{link}</td><td>{row['regions']}</td><td>{counts}</td>"
            f'<td class="{last[1]}">{esc(last[0])}</td></tr>'
        )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>妇幼健康分析报告索引 · MCH reports</title>
{_STYLE}
</head>
<body>
<h1>妇幼健康分析报告 · MCH reports</h1>
<table>
<thead><tr><th>年份 year</th><th>地区数 regions</th><th>状态 statuses</th><th>最近一次运行 last run</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
</body>
</html>
"""


def write_top_index(out: Path) -> Path:
    """Write ``<out>/index.html`` listing every year folder of *out*; return its path."""
    path = Path(out) / "index.html"
    write_text(path, render_top_index(year_rows(out)))
    return path
