"""Print an HTML report to A4 PDF with headless Chromium and count its pages and characters.

The 答卷 (``report.html``) should fit in about 2–4 printed A4 pages and at most 6 (issue 10); the
technical report may be long. This script measures both, as a reader who prints them would::

    python tools/page_count.py reports/2024/990104/report.html            # one file
    python tools/page_count.py reports/2024/*/report.html --max-pages 6   # exit 1 if one is longer
    python tools/page_count.py report.html --png /tmp/shots              # also PNG of each page

It needs ``chromium`` (``chromium --headless --print-to-pdf``, the page's own ``@page`` A4 CSS)
and ``pdfinfo`` / ``pdftoppm`` from poppler-utils; Chinese glyphs need a CJK font
(``fonts-wqy-zenhei``). Characters are counted on the visible text (tags, scripts and styles
removed, whitespace not counted), as the issue counts them.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from html import unescape
from pathlib import Path


def visible_text(html: str) -> str:
    """The text a reader sees: without <style>/<script>/<head>, tags and entities resolved."""
    html = re.sub(r"(?is)<(style|script|head)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def count_chars(html: str) -> int:
    """Visible characters, whitespace not counted."""
    return len(re.sub(r"\s+", "", visible_text(html)))


def print_pdf(html_path: Path, pdf_path: Path, *, chromium: str = "chromium", timeout: float = 120) -> None:
    """Print *html_path* to *pdf_path* with headless Chromium (no header/footer lines)."""
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        "--run-all-compositor-stages-before-draw",
        f"--print-to-pdf={pdf_path}",
        html_path.resolve().as_uri(),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0 or not pdf_path.exists():
        raise RuntimeError(f"chromium failed on {html_path}: {res.stderr.strip()[-500:]}")


def pdf_pages(pdf_path: Path) -> int:
    """Number of pages (``pdfinfo``)."""
    out = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    if not m:
        raise RuntimeError(f"pdfinfo gave no page count for {pdf_path}")
    return int(m.group(1))


def measure(html_path: Path, *, png_dir: Path | None = None, chromium: str = "chromium") -> dict:
    """``{"file", "chars", "pages"}`` of one HTML file (PNG pages into *png_dir* if given)."""
    html = html_path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "out.pdf"
        print_pdf(html_path, pdf, chromium=chromium)
        pages = pdf_pages(pdf)
        if png_dir is not None:
            png_dir.mkdir(parents=True, exist_ok=True)
            stem = png_dir / html_path.stem
            subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(stem)], check=True)
    return {"file": str(html_path), "chars": count_chars(html), "pages": pages}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html", nargs="+", type=Path)
    ap.add_argument("--max-pages", type=int, default=None, help="exit 1 if a file prints longer")
    ap.add_argument("--png", type=Path, default=None, help="folder for PNG images of the pages")
    ap.add_argument(
        "--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    )
    args = ap.parse_args(argv)
    for tool in ("pdfinfo",):
        if not shutil.which(tool):
            print(f"{tool} not found: apt-get install -y poppler-utils", file=sys.stderr)
            return 2
    if not shutil.which(args.chromium):
        print("chromium not found: apt-get install -y chromium fonts-wqy-zenhei", file=sys.stderr)
        return 2
    worst = 0
    for p in args.html:
        m = measure(p, png_dir=args.png, chromium=args.chromium)
        print(f"{m['pages']:3d} pages  {m['chars']:6d} chars  {m['file']}")
        worst = max(worst, m["pages"])
    if args.max_pages is not None and worst > args.max_pages:
        print(f"longer than {args.max_pages} pages", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
