"""Build the package's Word reference document (styles only), as pandoc's ``--reference-doc``.

    python tools/make_docx_reference.py            # writes mchanalysis/report/templates/reference.docx

Every report (.docx) is built from this file (:mod:`mchanalysis.report.docx`): its styles, page
geometry, footers and language. A bureau may give its own (``docx_reference=``); styles it lacks
are taken from this one.

Layout (GB/T 9704-2012 《党政机关公文格式》):

* A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm: a 156 x 225 mm text block;
  22 lines of 27 characters of 16 pt (``docGrid`` of lines, pitch 28.95 pt).
* ``Normal``: 仿宋_GB2312 三号 (16 pt), exact line spacing 28.95 pt, first line indented two
  characters, justified; Latin text Times New Roman.
* ``Title`` 方正小标宋简体 二号 (22 pt) centred; ``Subtitle`` 楷体_GB2312 16 pt centred.
* ``Heading 1`` (一级标题 "一、") 黑体 16 pt; ``Heading 2`` (二级标题 "（一）") 楷体_GB2312 16 pt;
  both kept with the next paragraph, not bold, indented two characters like the body.
* ``Caption`` (图1 ...) and ``Table Title`` (表1 ...): 黑体 14 pt centred, kept with the next
  paragraph; ``Figure`` (the picture's paragraph: single spacing, kept with its caption);
  ``Table Text`` 宋体 10.5 pt; ``Note`` 仿宋 14 pt; ``Signature`` (落款) right-aligned, four
  characters from the right margin; ``Notice`` (模拟数据 warnings) 黑体 12 pt.
* Page numbers: 宋体 四号 (14 pt) "— 1 —", odd pages right, even pages left, one character in
  from the margin.
* Language zh-CN (East Asian and Latin), no theme-font attributes (python-docx's template has a
  Japanese theme whose fonts would win over 黑体/楷体), no thumbnail, fresh core properties.

Deterministic: running it twice gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mchanalysis.archive import normalise_zip  # noqa: E402

OUT = ROOT / "mchanalysis" / "report" / "templates" / "reference.docx"
LATIN = "Times New Roman"
LINE = Pt(28.95)


def _fonts(rpr, east_asia, latin=LATIN):
    """Explicit fonts, no theme attributes."""
    f = rpr.find(qn("w:rFonts"))
    if f is None:
        f = OxmlElement("w:rFonts")
        rpr.insert(0, f)
    for k in list(f.attrib):
        del f.attrib[k]
    f.set(qn("w:ascii"), latin)
    f.set(qn("w:hAnsi"), latin)
    f.set(qn("w:eastAsia"), east_asia)
    f.set(qn("w:cs"), latin)


def _strip_theme_fonts(root):
    for f in root.iter(qn("w:rFonts")):
        for k in list(f.attrib):
            if k.endswith("Theme") or k.endswith("theme"):
                del f.attrib[k]
    for tag in ("w:color",):
        for c in root.iter(qn(tag)):
            for k in list(c.attrib):
                if "theme" in k:
                    del c.attrib[k]


def _style(
    doc,
    name,
    *,
    base="Normal",
    east_asia=None,
    size=None,
    bold=False,
    align=None,
    indent_chars=None,
    keep_next=False,
    line=None,
    before=0,
    after=0,
    color=None,
    snap=True,
    kind=WD_STYLE_TYPE.PARAGRAPH,
):
    try:
        st = doc.styles[name]
    except KeyError:
        st = doc.styles.add_style(name, kind)
    if base and name != base:
        st.base_style = doc.styles[base]
    st.quick_style = True
    rpr = st.element.get_or_add_rPr()
    if east_asia:
        _fonts(rpr, east_asia)
    if size is not None:
        st.font.size = size
    st.font.bold = bold
    st.font.italic = False
    st.font.color.rgb = RGBColor.from_string(color or "000000")
    pf = st.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if line is not None:
        pf.line_spacing = line
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    if keep_next:
        pf.keep_with_next = True
    if snap is False:  # its own line height, not the body's 28.95 pt grid
        ppr = st.element.get_or_add_pPr()
        el = OxmlElement("w:snapToGrid")
        el.set(qn("w:val"), "0")
        ppr.insert(0, el)
    if indent_chars is not None:
        ppr = st.element.get_or_add_pPr()
        ind = ppr.find(qn("w:ind"))
        if ind is None:
            ind = OxmlElement("w:ind")
            ppr.append(ind)
        for k in list(ind.attrib):
            del ind.attrib[k]
        ind.set(qn("w:firstLineChars"), str(indent_chars * 100))
        ind.set(qn("w:firstLine"), str(int(indent_chars * 320)))
    return st


def _page_footer(footer, *, align):
    """ "— 1 —" in 宋体 14 pt: a PAGE field between em dashes."""
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = footer.part.document.styles["Footer"] if hasattr(footer.part, "document") else p.style
    p.alignment = align
    ppr = p._element.get_or_add_pPr()
    ind = OxmlElement("w:ind")
    ind.set(qn("w:left" if align == WD_ALIGN_PARAGRAPH.LEFT else "w:right"), "280")
    ppr.append(ind)
    p.add_run("— ")
    r = p.add_run()
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("t", "1"), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        elif kind == "t":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        r._element.append(el)
    p.add_run(" —")


def build() -> bytes:
    doc = Document()
    styles_root = doc.styles.element
    _strip_theme_fonts(styles_root)
    # document defaults: fonts and language
    rpr_default = styles_root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr_default, "仿宋_GB2312")
    for tag in ("w:sz", "w:szCs"):  # the grid's character pitch is reckoned from this size
        el = rpr_default.find(qn(tag))
        if el is None:
            el = OxmlElement(tag)
            rpr_default.append(el)
        el.set(qn("w:val"), "32")
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr_default.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")
    # settings: theme font language, odd/even footers
    settings = doc.settings.element
    tfl = settings.find(qn("w:themeFontLang"))
    if tfl is not None:
        tfl.set(qn("w:val"), "zh-CN")
        tfl.set(qn("w:eastAsia"), "zh-CN")
    doc.settings.odd_and_even_pages_header_footer = True

    body = 16
    normal = _style(
        doc,
        "Normal",
        base=None,
        east_asia="仿宋_GB2312",
        size=Pt(body),
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        indent_chars=2,
        line=LINE,
    )
    normal.paragraph_format.widow_control = True
    _style(
        doc,
        "Title",
        snap=False,
        east_asia="方正小标宋简体",
        size=Pt(22),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent_chars=0,
        line=Pt(36),
        after=14,
        keep_next=True,
    )
    tppr = doc.styles["Title"].element.get_or_add_pPr()
    for el in tppr.findall(qn("w:pBdr")):  # python-docx's Title has a blue rule under it
        tppr.remove(el)
    _style(
        doc,
        "Subtitle",
        east_asia="楷体_GB2312",
        size=Pt(16),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent_chars=0,
        line=LINE,
        after=14,
    )
    for name, font in (("Heading 1", "黑体"), ("Heading 2", "楷体_GB2312"), ("Heading 3", "仿宋_GB2312")):
        st = _style(
            doc,
            name,
            east_asia=font,
            size=Pt(body),
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            indent_chars=2,
            line=LINE,
            keep_next=True,
            bold=(name == "Heading 3"),
        )
        st.paragraph_format.keep_together = True
    _style(
        doc,
        "Caption",
        snap=False,
        east_asia="黑体",
        size=Pt(14),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent_chars=0,
        line=Pt(24),
        after=6,
    )
    _style(
        doc,
        "Table Title",
        snap=False,
        east_asia="黑体",
        size=Pt(14),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent_chars=0,
        line=Pt(24),
        before=6,
        keep_next=True,
    )
    fig = _style(
        doc, "Figure", snap=False, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, keep_next=True, before=6
    )
    fig.paragraph_format.line_spacing = 1.0  # a picture is not clipped by an exact line height
    _style(
        doc,
        "Table Text",
        snap=False,
        east_asia="宋体",
        size=Pt(10.5),
        indent_chars=0,
        align=WD_ALIGN_PARAGRAPH.LEFT,
        line=Pt(15),
    )
    _style(doc, "Note", snap=False, size=Pt(14), line=Pt(24), before=6)
    sig = _style(doc, "Signature", align=WD_ALIGN_PARAGRAPH.RIGHT, indent_chars=0, line=LINE)
    sig.paragraph_format.right_indent = Pt(4 * body)
    sig.paragraph_format.keep_with_next = True
    _style(
        doc,
        "Notice",
        snap=False,
        east_asia="黑体",
        size=Pt(12),
        indent_chars=0,
        line=Pt(20),
        after=6,
        color="B42318",
    )
    _style(doc, "List Paragraph", line=LINE)
    _style(doc, "Footer", east_asia="宋体", size=Pt(14), indent_chars=0, line=None)

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(28) - Mm(7)
    grid = sec._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sec._sectPr.append(grid)
    # a line grid only: 28.95 pt in twentieths. A character grid (linesAndChars, charSpace -842
    # for 28 x 15.8 pt) is what Word's 公文 templates use, but LibreOffice lays it out at about
    # 14 characters a line; 16 pt characters give 27 a line in 156 mm.
    for k in list(grid.attrib):
        del grid.attrib[k]
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "579")
    _page_footer(sec.footer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _page_footer(sec.even_page_footer, align=WD_ALIGN_PARAGRAPH.LEFT)
    for f in (sec.footer, sec.even_page_footer):
        f.paragraphs[0].style = doc.styles["Footer"]

    # styles only: the body keeps nothing but the section properties
    body_el = doc.element.body
    for child in list(body_el):
        if child.tag != qn("w:sectPr"):
            body_el.remove(child)
    # no thumbnail of python-docx's sample page
    pkg = doc.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rid]
    # nor Word 2010's copy of the styles (it keeps the theme fonts)
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            del doc.part.rels[rid]
    for part in pkg.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'extended-properties"><Application>mchanalysis</Application></Properties>'
            )
    cp = doc.core_properties
    cp.title = "妇幼健康工作答卷"
    cp.author = ""
    cp.last_modified_by = ""
    cp.comments = ""
    cp.keywords = ""
    cp.subject = ""
    cp.category = ""
    cp.language = "zh-CN"
    fixed = _dt.datetime(2000, 1, 1)
    cp.created = cp.modified = fixed
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())


def main() -> None:
    OUT.write_bytes(build())
    print(OUT)


if __name__ == "__main__":
    main()
