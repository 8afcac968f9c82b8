"""The report as a Word document (python-docx), from the same HTML fragments as the web page.

The sections rendered by :mod:`.render` use a small set of tags; this module walks them and
writes Word paragraphs, tables and pictures, so the wording exists once (in the templates).

Layout follows the government document format GB/T 9704-2012 loosely: A4, margins 37/35/28/26
mm, body text 仿宋_GB2312 (Word substitutes 仿宋 or 宋体 when absent) in 三号 (16 pt) with a
two-character first-line indent, headings 黑体, tables 宋体 五号 (10.5 pt), page numbers
centred in the footer (a PAGE field: "— 1 —"). East-Asian fonts are set on every run
(``w:eastAsia``), otherwise Word shows Chinese in a Latin font's fallback.

Deterministic: core properties are pinned and the archive is normalised (:mod:`.archive`).
"""

from __future__ import annotations

import base64
import datetime as _dt
import io

import lxml.html
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from mchanalysis.atomic import write_bytes
from mchanalysis.report.archive import normalise_zip

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(14)
TABLE_SIZE = Pt(10.5)
_FIXED = _dt.datetime(2000, 1, 1)
#: Figures take this fraction of the text width.
FIGURE_WIDTH = 0.82


def _set_rfonts(rpr, east_asia: str):
    """Name the East-Asian font (w:eastAsia) beside the Latin one on a run's or style's rPr:
    without it Word shows Chinese in its default font."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _set_run_font(run, east_asia: str, size=None, *, bold=None, color=None):
    run.font.name = LATIN_FONT
    _set_rfonts(run._element.get_or_add_rPr(), east_asia)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.font.bold = bold
    if color is not None:
        run.font.color.rgb = RGBColor.from_string(color)


def _style_font(style, east_asia, size, bold=False):
    style.font.name = LATIN_FONT
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_rfonts(style.element.get_or_add_rPr(), east_asia)


def _page_number_footer(section):
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_run_font(p.add_run("— "), TABLE_FONT, Pt(12))
    run = p.add_run()
    _set_run_font(run, TABLE_FONT, Pt(12))
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)
    _set_run_font(p.add_run(" —"), TABLE_FONT, Pt(12))


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _runs(paragraph, el, east_asia, size, *, color=None):
    """Add the inline content of ``el`` (text, <strong>, <span>) as runs."""
    def add(text, bold=False):
        text = " ".join(text.split()) if text.strip() else ""
        if text:
            _set_run_font(paragraph.add_run(text), east_asia, size, bold=bold or None, color=color)

    add(el.text or "")
    for child in el:
        add("".join(child.itertext()), bold=child.tag in ("strong", "b"))
        add(child.tail or "")


def _paragraph(doc, el, *, font=BODY_FONT, size=BODY_SIZE, indent=True, align=None, color=None,
               shade=None):
    p = doc.add_paragraph()
    pf = p.paragraph_format
    if indent:
        pf.first_line_indent = Pt(size.pt * 2)
    pf.space_after = Pt(4)
    pf.line_spacing = 1.25
    if align is not None:
        p.alignment = align
    if shade:
        ppr = p._element.get_or_add_pPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), shade)
        ppr.append(shd)
    _runs(p, el, font, size, color=color)
    return p


#: Width of a half-width character at 五号 (10.5 pt) and the cell's left+right padding, in cm.
_CHAR_CM, _PAD_CM = 0.19, 0.42


def _col_widths(rows, ncols, total_cm):
    """Column widths: numeric columns get their natural width (no wrapping); text columns share
    what is left in proportion to their natural width (at least 2 cm)."""
    natural = [0.0] * ncols
    numeric = [True] * ncols
    for r in rows:
        for i, c in enumerate(r.findall("./*")[:ncols]):
            text = _text(c)
            units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
            if c.tag == "th":      # headings may wrap: they ask for at most 4 Chinese characters
                units = min(units, 8)
            natural[i] = max(natural[i], units * _CHAR_CM + _PAD_CM)
            if c.tag == "td" and "num" not in (c.get("class") or "") and text:
                numeric[i] = False
    if sum(natural) <= total_cm:
        k = total_cm / sum(natural)
        return [Cm(w * k) for w in natural]
    fixed = sum(w for w, n in zip(natural, numeric) if n)
    flex = [w for w, n in zip(natural, numeric) if not n]
    room = max(total_cm - fixed, 2.0 * max(len(flex), 1))
    widths = []
    for w, n in zip(natural, numeric):
        widths.append(w if n else max(2.0, room * w / sum(flex)))
    k = total_cm / sum(widths)
    return [Cm(w * k) for w in widths]


def _table(doc, el, width_cm):
    rows = el.findall(".//tr")
    if not rows:
        return
    ncols = max(len(r.findall("./*")) for r in rows)
    t = doc.add_table(rows=0, cols=ncols)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    widths = _col_widths(rows, ncols, width_cm)
    for col, w in zip(t.columns, widths):   # the grid (LibreOffice reads it) and each cell (Word)
        col.width = w
    for r in rows:
        cells = r.findall("./*")
        row = t.add_row()
        header = r.getparent().tag == "thead"
        for i, c in enumerate(cells[:ncols]):
            cell = row.cells[i]
            cell.width = widths[i]
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            if "num" in (c.get("class") or "") or header:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            color = None
            cls = c.get("class") or ""
            if "st-met" in cls:
                color = "1A7F37"
            elif "st-not_met" in cls or "bm-worse" in cls:
                color = "B42318"
            elif "st-indistinguishable" in cls:
                color = "B54708"
            _set_run_font(p.add_run(_text(c)), TABLE_FONT, TABLE_SIZE, bold=header or None, color=color)
            if header:
                tcpr = cell._element.get_or_add_tcPr()
                shd = OxmlElement("w:shd")
                shd.set(qn("w:val"), "clear")
                shd.set(qn("w:color"), "auto")
                shd.set(qn("w:fill"), "E8E8E8")
                tcpr.append(shd)
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _figure(doc, el, width_cm):
    img = el.find(".//img")
    if img is None:
        return
    src = img.get("src", "")
    if not src.startswith("data:image/png;base64,"):
        return
    data = base64.b64decode(src.split(",", 1)[1])
    doc.add_picture(io.BytesIO(data), width=Cm(width_cm * FIGURE_WIDTH))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap = el.find(".//figcaption")
    if cap is not None:
        _paragraph(doc, cap, font=HEADING_FONT, size=Pt(10.5), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)


def _walk(doc, el, width_cm):
    for child in el:
        tag = child.tag
        cls = child.get("class") or ""
        if tag in ("section", "header") or (tag == "div" and "keybox" in cls):
            if tag == "section" and "chapter" in cls and len(doc.paragraphs) > 3:
                doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            _walk(doc, child, width_cm)
        elif tag == "h1":
            p = _paragraph(doc, child, font="方正小标宋简体", size=Pt(22), indent=False,
                           align=WD_ALIGN_PARAGRAPH.CENTER)
            for r in p.runs:
                r._element.rPr.rFonts.set(qn("w:eastAsia"), "方正小标宋简体")
            p.paragraph_format.space_after = Pt(12)
        elif tag in ("h2", "h3"):
            h = doc.add_heading(level=1 if tag == "h2" else 2)
            h.paragraph_format.space_before = Pt(12 if tag == "h2" else 8)
            h.paragraph_format.space_after = Pt(6)
            _runs(h, child, HEADING_FONT if tag == "h2" else "楷体_GB2312", Pt(16 if tag == "h2" else 15))
        elif tag == "div" and ("synthetic" in cls or "missing" in cls):
            _paragraph(doc, child, font=HEADING_FONT, size=Pt(10.5), indent=False, color="B42318", shade="FDECEC")
        elif tag == "p" and "signature" in cls:
            _paragraph(doc, child, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
        elif tag == "p":
            small = any(k in cls for k in ("note", "caption", "subtitle"))
            align = WD_ALIGN_PARAGRAPH.CENTER if any(k in cls for k in ("caption", "subtitle")) else None
            if _text(child):
                _paragraph(doc, child, size=Pt(10.5) if small else BODY_SIZE, indent=not small, align=align)
        elif tag == "table":
            _table(doc, child, width_cm)
        elif tag in ("ul", "ol"):
            for i, li in enumerate(child.findall("li"), start=1):
                p = _paragraph(doc, li, indent=False)
                lead = f"{i}. " if tag == "ol" else "• "
                first = p.runs[0] if p.runs else p.add_run("")
                first.text = lead + first.text
        elif tag == "figure":
            _figure(doc, child, width_cm)


def docx_bytes(ctx, html: str | None = None, *, title: str | None = None) -> bytes:
    """The report as .docx bytes (identical for identical input).

    ``html``: the fragment to convert (default: the technical report,
    :func:`.render.render_report`; the 答卷 is :func:`.render.render_brief`); ``title``: the
    document's title property (default the report title)."""
    from mchanalysis.report.render import render_report, render_title

    html = html if html is not None else render_report(ctx)
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    _style_font(doc.styles["Normal"], BODY_FONT, BODY_SIZE)
    _style_font(doc.styles["Heading 1"], HEADING_FONT, Pt(16), bold=False)
    _style_font(doc.styles["Heading 2"], "楷体_GB2312", Pt(15), bold=False)
    _page_number_footer(sec)
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    width = (210 - 28 - 26) / 10 - 0.5
    _walk(doc, root, width)
    cp = doc.core_properties
    cp.title = title or render_title(ctx)
    cp.author = "mchanalysis"
    cp.last_modified_by = "mchanalysis"
    cp.created = _FIXED
    cp.modified = _FIXED
    cp.revision = 1
    cp.language = "zh-CN" if ctx.lang == "zh" else "en"
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())


def write_docx(ctx, path, *, html: str | None = None, title: str | None = None) -> None:
    """Write a Word document atomically (``report.docx``: the 答卷; ``technical.docx``)."""
    write_bytes(path, docx_bytes(ctx, html, title=title))
