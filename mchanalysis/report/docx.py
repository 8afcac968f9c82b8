"""The report as a Word document (python-docx), from the same HTML fragments as the web page.

The sections rendered by :mod:`.render` use a small set of tags; this module walks them and
writes Word paragraphs, tables and pictures, so the wording exists once (in the templates).

Every document is built from a *reference document* (styles only), as pandoc's
``--reference-doc``: the package's ``templates/reference.docx`` (made by
``tools/make_docx_reference.py``: GB/T 9704-2012 layout -- A4, margins 37/35/28/26 mm, body
仿宋_GB2312 16 pt at an exact 28.95 pt line, title 小标宋 22 pt, 一级标题 黑体, 二级标题 楷体,
page numbers "— 1 —" in 14 pt, odd right / even left, language zh-CN, no theme fonts) or the
bureau's own (``reference=``: its letterhead, fonts and page set-up apply). Content carries no
direct fonts or sizes: paragraphs get *styles* (``Title``, ``Heading 1``/``2``, ``Caption``,
``Table Title``, ``Figure``, ``Table Text``, ``Note``, ``Signature``, ``Notice``), so whoever
edits the styles in Word or WPS restyles the whole document. Styles a user's reference lacks are
copied from the package's.

Flow: no forced page breaks; headings, table titles and figures are kept with what follows;
table header rows repeat on each page; no empty paragraphs; figures and tables numbered (图1,
表1); the 落款 right-aligned at the end.

Deterministic: core properties are pinned and the archive is normalised (:mod:`.archive`).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import io
import re
from importlib import resources
from typing import Any

import lxml.html
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.opc import pkgwriter
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from lxml import etree

from mchanalysis.archive import normalise_entries, normalise_zip
from mchanalysis.atomic import write_bytes
from mchanalysis.plots import STATUS_INK
from mchanalysis.report.render import render_report, render_title

_FIXED = _dt.datetime(2000, 1, 1)
#: Paragraph and table styles the writer uses (all in the package's reference document).
STYLES = (
    "Normal",
    "Title",
    "Subtitle",
    "Heading 1",
    "Heading 2",
    "Caption",
    "Table Title",
    "Figure",
    "Table Text",
    "Note",
    "Signature",
    "Notice",
    "Table Grid",
)
#: Status colours of table cells: dark enough to read in black and white (contrast >= 4.5:1 on
#: white), and each with a symbol so that the colour is never the only carrier.
#: The same inks as the charts (:data:`mchanalysis.plots.STATUS_INK`).
STATUS = {
    k: (STATUS_INK[k].lstrip("#").upper(), sym)
    for k, sym in (("met", "✓"), ("not_met", "✗"), ("indistinguishable", "≈"))
}
STATUS["worse"] = (STATUS_INK["not_met"].lstrip("#").upper(), "")


def reference_path():
    """The package's reference document (``templates/reference.docx``)."""
    return resources.files("mchanalysis.report").joinpath("templates", "reference.docx")


def _open_reference(reference):
    if reference is None:
        with resources.as_file(reference_path()) as p:
            return Document(str(p))
    return Document(str(reference))


def _ensure_styles(doc) -> None:
    """Copy the styles the writer needs and the user's reference lacks from the package's."""
    have = {s.name for s in doc.styles}
    missing = [n for n in STYLES if n not in have]
    if not missing:
        return
    pkg = _open_reference(None)
    for name in missing:
        el = pkg.styles[name].element
        doc.styles.element.append(copy.deepcopy(el))


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _runs(paragraph, el, *, color=None, bold=None):
    """Add the inline content of ``el`` (text, <strong>, <span>) as runs (no direct fonts)."""

    def add(text, strong=False):
        text = " ".join(text.split()) if text.strip() else ""
        if text:
            r = paragraph.add_run(text)
            if strong or bold:
                r.font.bold = True
            if color is not None:
                r.font.color.rgb = RGBColor.from_string(color)

    add(el.text or "")
    for child in el:
        add("".join(child.itertext()), strong=child.tag in ("strong", "b"))
        add(child.tail or "")


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
            if c.tag == "th":  # headings may wrap: they ask for at most 4 Chinese characters
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


#: Qualified WordprocessingML names of the table rows' elements and attributes.
_W = {
    name: qn(f"w:{name}")
    for name in "b cantSplit color fill jc p pPr pStyle r rPr shd t tblHeader tc tcPr tcW tr trPr type val w".split()
}


def _cell_status(cls: str, text: str) -> tuple[str | None, str]:
    """A table cell's status colour (from its ``st-*``/``bm-*`` class) and its text, led by the
    status symbol (✓ ✗ ≈) when the text lacks it."""
    for key, (col, sym) in STATUS.items():
        if f"st-{key}" in cls or f"bm-{key}" in cls:
            return col, (f"{sym} {text}" if sym and text and not text.startswith(sym) else text)
    return None, text


def _table_row(tbl, cells, twips, style, *, header):
    """Append one ``w:tr`` of the HTML row ``cells`` to ``tbl``, as python-docx would write it.

    The elements, attributes and their order are those of ``Table.add_row`` followed by each
    cell's ``width``, ``paragraphs[0]`` style and alignment, ``add_run(text)``, ``font.bold``,
    ``font.color.rgb`` and the header shading: the same document bytes (the golden outputs pin
    them). Built with lxml directly because python-docx's object API costs about 1 ms a cell
    (a county's two documents have some 300 cells: 6% of its report time; issue 12). Grid
    columns without an HTML cell get python-docx's empty cell (its width, one empty paragraph).
    """
    sub = etree.SubElement
    w = _W
    tr = sub(tbl, w["tr"])
    trpr = sub(tr, w["trPr"])
    sub(trpr, w["cantSplit"])
    if header:
        sub(trpr, w["tblHeader"])  # repeated at the top of each page
    for i, width in enumerate(twips):
        tc = sub(tr, w["tc"])
        tcpr = sub(tc, w["tcPr"])
        sub(tcpr, w["tcW"], {w["type"]: "dxa", w["w"]: width})
        if i >= len(cells):
            sub(tc, w["p"])
            continue
        c = cells[i]
        if header:
            sub(tcpr, w["shd"], {w["val"]: "clear", w["color"]: "auto", w["fill"]: "E8E8E8"})
        p = sub(tc, w["p"])
        ppr = sub(p, w["pPr"])
        if style is not None:
            sub(ppr, w["pStyle"], {w["val"]: style})
        cls = c.get("class") or ""
        if "num" in cls or header:
            sub(ppr, w["jc"], {w["val"]: "center"})
        color, text = _cell_status(cls, _text(c))
        run = sub(p, w["r"])
        if header or color:
            rpr = sub(run, w["rPr"])
            if header:
                sub(rpr, w["b"])
            if color:
                sub(rpr, w["color"], {w["val"]: str(RGBColor.from_string(color))})
        if text:  # one w:t: _text leaves no tab, break or edge space (no xml:space needed)
            sub(run, w["t"]).text = text


class _Writer:
    def __init__(self, doc, lang):
        self.doc = doc
        self.lang = lang
        self.figures = 0
        self.tables = 0
        self.signed = False
        self.heading = ""
        self._style_ids: dict = {}
        self._defaults: dict = {}
        sec = doc.sections[-1]
        self.width = Emu(sec.page_width - sec.left_margin - sec.right_margin)

    def style_id(self, name: str, kind=WD_STYLE_TYPE.PARAGRAPH):
        """The style's id as ``Paragraph.style = name`` (``Table.style`` for a table style) sets
        it: ``None`` for the document's default style of that kind, ``ValueError`` for a style of
        another kind. Looked up once per document, and the default once per kind: python-docx's
        ``get_style_id`` reads every style of the document to find the default on each call
        (a third of the time of writing a county's two documents; issue 12)."""
        key = (name, kind)
        if key not in self._style_ids:
            styles = self.doc.styles
            if kind not in self._defaults:
                self._defaults[kind] = styles.default(kind)
            style = styles[name]
            if style.type != kind:
                raise ValueError(f"style {name!r} is of type {style.type}, need type {kind}")
            self._style_ids[key] = None if style == self._defaults[kind] else style.style_id
        return self._style_ids[key]

    def add_paragraph(self, style: str):
        """``doc.add_paragraph(style=style)``, with the style id from :meth:`style_id`."""
        p = self.doc.add_paragraph()
        p._p.style = self.style_id(style)
        return p

    def para(self, el, style, *, color=None):
        p = self.add_paragraph(style)
        _runs(p, el, color=color)
        return p

    def label(self, kind: str, n: int) -> str:
        if self.lang == "zh":
            return f"{'图' if kind == 'figure' else '表'}{n}　"
        return f"{'Figure' if kind == 'figure' else 'Table'} {n}. "

    def table_title(self, text: str):
        self.tables += 1
        p = self.add_paragraph("Table Title")
        p.add_run(self.label("table", self.tables) + text)

    def table(self, el, title=None):
        rows = el.findall(".//tr")
        if not rows:
            return
        cap = el.find("caption")
        # the HTML's caption carries its number (render.number_figures_and_tables); the label is
        # added again below from the same count
        title = _LABEL.sub("", _text(cap) if cap is not None else (title or self.heading or ""))
        if title:
            self.table_title(title)
        ncols = max(len(r.findall("./*")) for r in rows)
        t = self.doc.add_table(rows=0, cols=ncols)
        t._tbl.tblPr.style = self.style_id("Table Grid", WD_STYLE_TYPE.TABLE)  # as t.style = ...
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        widths = _col_widths(rows, ncols, self.width / 360000 - 0.2)
        for col, w in zip(t.columns, widths):  # the grid (LibreOffice reads it) and each cell (Word)
            col.width = w
        # the grid's widths as Word writes them (twips), for the cells' own widths
        twips = [g.get(qn("w:w")) for g in t._tbl.tblGrid.gridCol_lst]
        style = self.style_id("Table Text")
        for r in rows:
            _table_row(t._tbl, r.findall("./*")[:ncols], twips, style, header=r.getparent().tag == "thead")

    def figure(self, el):
        img = el.find(".//img")
        if img is None:
            return
        src = img.get("src", "")
        if not src.startswith("data:image/png;base64,"):
            return
        data = base64.b64decode(src.split(",", 1)[1])
        p = self.add_paragraph("Figure")
        run = p.add_run()
        # drawn at its printed size (mchanalysis.plots: 300 dpi at the placed width); never wider
        # than the text block
        pic = run.add_picture(io.BytesIO(data))
        if pic.width > self.width:
            ratio = self.width / pic.width
            pic.width, pic.height = int(self.width), int(pic.height * ratio)
        self.figures += 1
        cap = el.find(".//figcaption")
        c = self.add_paragraph("Caption")
        c.add_run(self.label("figure", self.figures))
        if cap is not None:
            text = _LABEL.sub("", _text(cap))
            c.add_run(text)

    def walk(self, el):
        kids = list(el)
        skip = set()
        for k, child in enumerate(kids):
            if k in skip:
                continue
            tag = child.tag
            cls = child.get("class") or ""
            nxt = kids[k + 1] if k + 1 < len(kids) else None
            if tag in ("section", "header") or (tag == "div" and "keybox" in cls):
                self.walk(child)
            elif tag == "h1":
                self.para(child, "Title")
            elif tag in ("h2", "h3", "h4") and nxt is not None and nxt.tag == "table":
                # a heading that only names the table below it is the table's title
                self.table(nxt, title=_text(child))
                skip.add(k + 1)
            elif tag in ("h2", "h3", "h4"):
                self.para(child, "Heading 1" if tag == "h2" else "Heading 2")
                # a table without a title of its own is named after its section
                self.heading = _NUMBERING.sub("", _text(child))
            elif tag == "div" and ("synthetic" in cls or "missing" in cls):
                self.para(child, "Notice")
            elif tag == "p" and "signature" in cls:
                p = self.para(child, "Signature")
                if not self.signed:  # 空一行 before the 落款
                    p.paragraph_format.space_before = Pt(28.95)
                    self.signed = True
            elif tag == "p":
                if not _text(child):
                    continue
                if "subtitle" in cls:
                    self.para(child, "Subtitle")
                elif any(x in cls for x in ("note", "caption")):
                    self.para(child, "Note")
                else:
                    self.para(child, "Normal")
            elif tag == "table":
                self.table(child)
            elif tag in ("ul", "ol"):
                for i, li in enumerate(child.findall("li"), start=1):
                    p = self.add_paragraph("Normal")
                    if tag == "ol":
                        p.add_run(f"{i}．" if self.lang == "zh" else f"{i}. ")
                    _runs(p, li)
            elif tag == "figure":
                self.figure(child)
            elif tag == "div":
                self.walk(child)


_LABEL = re.compile(r"^((图|表)\d*[：:　\s]*|(Figure|Table)\s*\d*[:.]?\s*)")
_NUMBERING = re.compile(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+(\.\d+)*\.?\s)\s*")


def issuing_unit(ctx) -> str:
    """The document's author: the first line of the bureau's 落款, else the region's health
    commission."""
    sig = (getattr(ctx, "narrative", None) or {}).get("signature") or []
    if sig and sig[0].get("text"):
        return sig[0]["text"]
    name = ctx.region["name"]
    return f"{name}卫生健康委员会" if ctx.lang == "zh" else f"{name} Health Commission"


_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>'
    b"mchanalysis</Application></Properties>"
)


def docx_bytes(ctx, html: str | None = None, *, title: str | None = None, reference=None) -> bytes:
    """The report as .docx bytes (identical for identical input).

    Parameters
    ----------
    ctx : ReportContext
    html : str, optional
        The fragment to convert (default: the technical report, :func:`.render.render_report`;
        the 答卷 is :func:`.render.render_brief`).
    title : str, optional
        The document's title property (default the report title).
    reference : str or path, optional
        A Word file whose styles, page set-up, headers and footers the document takes (a
        bureau's letterhead template); default the package's GB/T 9704 reference.
    """
    html = html if html is not None else render_report(ctx)
    doc = _open_reference(reference)
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    _ensure_styles(doc)
    if ctx.lang != "zh":
        lang = doc.styles.element.find(
            f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}"
        )
        if lang is not None:
            lang.set(qn("w:val"), "en-GB")
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    _Writer(doc, ctx.lang).walk(root)
    cp = doc.core_properties
    cp.title = title or render_title(ctx)
    cp.author = issuing_unit(ctx)
    cp.last_modified_by = cp.author
    for attr in ("comments", "keywords", "subject", "category", "content_status", "identifier", "version"):
        setattr(cp, attr, "")
    cp.created = _FIXED
    cp.modified = _FIXED
    cp.last_printed = _FIXED
    cp.revision = 1
    cp.language = "zh-CN" if ctx.lang == "zh" else "en"
    pkg = doc.part.package
    for part in pkg.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = _APP
    return _package_bytes(doc)


def _package_bytes(doc) -> bytes:
    """``doc.save()``'s archive, made reproducible (:mod:`mchanalysis.archive`).

    python-docx's ``OpcPackage.save`` hands each part's bytes, in order, to a ZIP writer that
    deflates them; :func:`~mchanalysis.archive.normalise_zip` would then inflate and deflate
    them all again (the figures, ~0.7 MB a document, included). Here the same ``PackageWriter``
    steps hand the same bytes, in the same order, to :func:`~mchanalysis.archive.normalise_entries`
    instead: the archive is deflated once, and its bytes are those of ``normalise_zip(doc.save())``
    (a test compares them). They are private methods of python-docx's ``PackageWriter``; where
    they are missing the document is saved and normalised as before.
    """
    writer = getattr(pkgwriter, "PackageWriter", None)
    steps: list[Any] = [
        getattr(writer, f"_write_{s}", None) for s in ("content_types_stream", "pkg_rels", "parts")
    ]
    if not all(callable(step) for step in steps):  # pragma: no cover - another python-docx
        buf = io.BytesIO()
        doc.save(buf)
        return normalise_zip(buf.getvalue())
    package = doc.part.package
    for part in package.parts:  # as OpcPackage.save does
        part.before_marshal()
    collected = _Entries()
    content_types, pkg_rels, parts = steps
    content_types(collected, package.parts)
    pkg_rels(collected, package.rels)
    parts(collected, package.parts)
    return normalise_entries(collected.entries)


class _Entries:
    """python-docx's physical package writer interface, keeping ``(member name, bytes)``."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, bytes]] = []

    def write(self, pack_uri, blob) -> None:
        self.entries.append((pack_uri.membername, blob))


def write_docx(ctx, path, *, html: str | None = None, title: str | None = None, reference=None) -> None:
    """Write a Word document atomically (``report.docx``: the 答卷; ``technical.docx``)."""
    write_bytes(path, docx_bytes(ctx, html, title=title, reference=reference))
