"""Word tables: the rows ``mchanalysis.report.docx`` builds with lxml are the XML python-docx's
own object API writes for the same cells (``Table.add_row``, ``cell.width``, paragraph style and
alignment, ``add_run``, bold, colour, header shading), element by element and byte by byte."""

from __future__ import annotations

import lxml.html
import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, RGBColor
from lxml import etree

from mchanalysis.report.docx import _cell_status, _table_row, _text, reference_path

HTML = """<table>
<thead><tr><th>指标</th><th class="num">2024年</th><th>例数</th><th>达标情况</th></tr></thead>
<tbody>
<tr><td>孕产妇死亡率</td><td class="num">12.34</td><td class="num">3</td><td class="st-met">达标</td></tr>
<tr><td>婴儿死亡率</td><td class="num"></td><td></td><td class="st-not_met">未达标</td></tr>
<tr><td> 前后有空格 </td><td class="num st-indistinguishable">≈ 尚难判定</td><td class="bm-worse">上升</td>
    <td>A &amp; B &lt; C</td></tr>
<tr><td>制表\tA</td><td>换行\nB</td></tr>
<tr><td>只有一格</td></tr>
</tbody></table>"""

WIDTHS_CM = (4.0, 2.5, 2.0, 3.1)


def _python_docx_row(t, cells, widths, style, header):
    """The rows as python-docx's object API writes them (the writer's code before lxml)."""
    row = t.add_row()
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))
    row_cells = row.cells
    for i, c in enumerate(cells):
        cell = row_cells[i]
        cell.width = widths[i]
        p = cell.paragraphs[0]
        p._p.style = style
        cls = c.get("class") or ""
        if "num" in cls or header:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        color, text = _cell_status(cls, _text(c))
        run = p.add_run(text)
        if header:
            run.font.bold = True
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
        if header:
            tcpr = cell._element.get_or_add_tcPr()
            shd = OxmlElement("w:shd")
            shd.set(qn("w:val"), "clear")
            shd.set(qn("w:color"), "auto")
            shd.set(qn("w:fill"), "E8E8E8")
            tcpr.append(shd)


def _table(build, style_name):
    doc = Document(str(reference_path()))
    style = None if style_name is None else doc.part.get_style_id(style_name, WD_STYLE_TYPE.PARAGRAPH)
    rows = lxml.html.fragment_fromstring(HTML).findall(".//tr")
    t = doc.add_table(rows=0, cols=len(WIDTHS_CM))
    t.autofit = False
    widths = [Cm(w) for w in WIDTHS_CM]
    for col, w in zip(t.columns, widths):
        col.width = w
    twips = [g.get(qn("w:w")) for g in t._tbl.tblGrid.gridCol_lst]
    for r in rows:
        header = r.getparent().tag == "thead"
        cells = r.findall("./*")[: len(WIDTHS_CM)]
        if build == "lxml":
            _table_row(t._tbl, cells, twips, style, header=header)
        else:
            _python_docx_row(t, cells, widths, style, header)
    return etree.tostring(t._tbl, encoding="unicode")


@pytest.mark.parametrize("style_name", ["Table Text", None])
def test_rows_are_the_xml_python_docx_writes(style_name):
    got, want = _table("lxml", style_name), _table("python-docx", style_name)
    assert "<w:tab/>" not in want and "xml:space" not in want  # cell text is whitespace-collapsed
    assert got.count("<w:tr>") == 6
    assert got == want


def test_status_cells_get_their_colour_and_symbol_once():
    assert _cell_status("num st-met", "达标") == ("1A7F37", "✓ 达标")
    assert _cell_status("st-not_met", "✗ 未达标") == ("B42318", "✗ 未达标")
    assert _cell_status("bm-worse", "上升") == ("B42318", "上升")  # a colour, no symbol
    assert _cell_status("st-met", "") == ("1A7F37", "")
    assert _cell_status("num", "12.3") == (None, "12.3")


def test_style_ids_are_python_docxs_for_every_style_the_writer_uses():
    from mchanalysis.report.docx import STYLES, _Writer

    doc = Document(str(reference_path()))
    writer = _Writer(doc, "zh")
    for name in STYLES:
        kind = doc.styles[name].type
        assert writer.style_id(name, kind) == doc.part.get_style_id(name, kind), name
    assert writer.style_id("Normal") is None  # the default paragraph style: no w:pStyle
    with pytest.raises(ValueError, match="Table Grid"):
        writer.style_id("Table Grid")  # a table style set on a paragraph, as python-docx refuses
