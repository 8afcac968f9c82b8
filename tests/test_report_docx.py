"""The Word 答卷 in official-document layout (GB/T 9704-2012), built from a reference document
(issue 17 items 1-2)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from mchanalysis import report
from mchanalysis.report.docx import docx_bytes

REPO = Path(__file__).resolve().parents[1]
from support import DEMO  # noqa: E402  (the demo path is defined once, in tests/support.py)

NARRATIVE = """## 导语
2024年，全县认真贯彻落实母婴安全五项制度，妇幼健康服务能力持续提升。

## 工作亮点
- 举办各类培训班7期，培训业务人员1000余名。

## 落款
临江县卫生健康局
2025年3月
"""


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    md = tmp_path_factory.mktemp("narr") / "n.md"
    md.write_text(NARRATIVE, encoding="utf-8")
    return report.build_context(
        DEMO,
        year=2024,
        region_code="990103",
        target_set="national_2030",
        lang="zh",
        narrative=md,
        figures=False,
    )


@pytest.fixture(scope="module")
def brief_docx(county):
    return docx_bytes(county, report.render_brief(county))


def _east_asia(style):
    f = style.element.rPr.find(qn("w:rFonts"))
    return f.get(qn("w:eastAsia")), {k for k in f.attrib if "heme" in k}


def test_body_and_heading_styles_follow_gb9704(brief_docx):
    doc = Document(io.BytesIO(brief_docx))
    normal = doc.styles["Normal"]
    assert _east_asia(normal) == ("仿宋_GB2312", set())
    assert normal.font.size == Pt(16)
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert abs(normal.paragraph_format.line_spacing.pt - 28.95) < 0.01
    assert _east_asia(doc.styles["Title"])[0] == "方正小标宋简体" and doc.styles["Title"].font.size == Pt(22)
    assert _east_asia(doc.styles["Heading 1"]) == ("黑体", set())
    assert _east_asia(doc.styles["Heading 2"]) == ("楷体_GB2312", set())
    for name in ("Heading 1", "Heading 2"):
        assert doc.styles[name].font.size == Pt(16) and not doc.styles[name].font.bold
    # no theme font anywhere in the styles (python-docx's Japanese theme would win)
    styles_xml = zipfile.ZipFile(io.BytesIO(brief_docx)).read("word/styles.xml").decode()
    assert "Theme=" not in styles_xml and "theme=" not in styles_xml.replace("w:themeColor", "")
    # headings, captions and table titles are kept with what follows
    for name in ("Heading 1", "Heading 2", "Table Title", "Figure"):
        assert doc.styles[name].paragraph_format.keep_with_next, name


def test_language_geometry_footer_and_properties(brief_docx):
    z = zipfile.ZipFile(io.BytesIO(brief_docx))
    styles_xml = z.read("word/styles.xml").decode()
    assert 'w:val="zh-CN"' in styles_xml and 'w:eastAsia="zh-CN"' in styles_xml
    doc = Document(io.BytesIO(brief_docx))
    sec = doc.sections[0]
    mm = lambda x: round(x.mm)  # noqa: E731
    assert (mm(sec.page_width), mm(sec.page_height)) == (210, 297)
    assert (mm(sec.top_margin), mm(sec.bottom_margin), mm(sec.left_margin), mm(sec.right_margin)) == (
        37,
        35,
        28,
        26,
    )
    for footer, align in ((sec.footer, "right"), (sec.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p.text.replace("1", "#") == "— # —"
        assert "PAGE" in p._element.xml
        assert str(p.alignment).lower().startswith(align)
        assert p.style.font.size == Pt(14)
    assert doc.settings.odd_and_even_pages_header_footer
    cp = doc.core_properties
    assert cp.author == "临江县卫生健康局" and cp.title.endswith("答卷")
    assert cp.language == "zh-CN"
    names = z.namelist()
    assert not [n for n in names if "thumbnail" in n]
    assert b"Macintosh" not in z.read("docProps/app.xml")


def test_flow_numbering_and_signature(brief_docx):
    doc = Document(io.BytesIO(brief_docx))
    body = doc.element.body.xml
    assert 'w:type="page"' not in body  # no forced page break before a chapter
    paras = doc.paragraphs
    assert all(p.text.strip() or p._element.xpath(".//w:drawing") for p in paras)  # no empty paragraphs
    titles = [p.text for p in paras if p.style.name == "Table Title"]
    assert (
        titles
        and titles[0].startswith("表1")
        and all(t.startswith(f"表{i}") for i, t in enumerate(titles, 1))
    )
    assert len(titles) == len(doc.tables)
    for t in doc.tables:  # header row repeats on each page
        assert t.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    heads = [p for p in paras if p.style.name == "Heading 1"]
    assert heads and heads[0].text.startswith("一、")
    sig = [p for p in paras if p.style.name == "Signature"]
    assert [p.text for p in sig] == ["临江县卫生健康局", "2025年3月"]
    assert paras[-1].text == "2025年3月"
    # no direct fonts or sizes on the content: the styles decide
    assert "w:sz " not in body and "<w:sz" not in body and "w:eastAsia" not in body


def test_figures_are_numbered_and_kept_with_their_caption():
    ctx = report.build_context(DEMO, year=2024, region_code="990103", target_set="national_2030", lang="zh")
    doc = Document(io.BytesIO(docx_bytes(ctx)))
    caps = [p for p in doc.paragraphs if p.style.name == "Caption"]
    figs = [p for p in doc.paragraphs if p.style.name == "Figure"]
    assert caps and len(caps) == len(figs)
    assert [c.text[: len(f"图{i}")] for i, c in enumerate(caps, 1)] == [
        f"图{i}" for i in range(1, len(caps) + 1)
    ]
    assert not [c for c in caps if "图：" in c.text]
    text_width = doc.sections[0].page_width - doc.sections[0].left_margin - doc.sections[0].right_margin
    for f in figs:
        assert f.runs[0]._element.xpath(".//wp:extent")
        assert int(f.runs[0]._element.xpath(".//wp:extent/@cx")[0]) <= text_width


def test_a_users_reference_document_gives_its_fonts(county, tmp_path):
    ref = Document()
    ref.styles["Normal"].font.name = "Arial"
    ref.styles["Normal"].element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    ref.styles["Normal"].font.size = Pt(15)
    ref.sections[0].header.paragraphs[0].text = "示例县卫生健康局文件"
    path = tmp_path / "letterhead.docx"
    ref.save(path)
    out = Document(io.BytesIO(docx_bytes(county, report.render_brief(county), reference=path)))
    assert _east_asia(out.styles["Normal"])[0] == "宋体"
    assert out.styles["Normal"].font.size == Pt(15)
    assert out.sections[0].header.paragraphs[0].text == "示例县卫生健康局文件"
    # styles the user's file lacks come from the package's reference
    assert _east_asia(out.styles["Table Title"])[0] == "黑体"
    body = [p for p in out.paragraphs if p.style.name == "Normal" and p.text]
    assert body and all(r.font.name is None and r.font.size is None for p in body for r in p.runs)


def test_write_outputs_passes_the_reference_on(county, tmp_path):
    ref = Document()
    ref.styles["Normal"].element.get_or_add_rPr()
    ref.styles["Normal"].font.size = Pt(13)
    path = tmp_path / "ref.docx"
    ref.save(path)
    from mchanalysis.report.outputs import write_outputs

    out = write_outputs(county, tmp_path / "out", docx_reference=path)
    for key in ("docx", "technical_docx"):
        assert Document(str(out[key])).styles["Normal"].font.size == Pt(13)


def test_reference_tool_reproduces_the_shipped_file():
    import importlib.util

    spec = importlib.util.spec_from_file_location("mkref", REPO / "tools" / "make_docx_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.build() == (REPO / "mchanalysis" / "report" / "templates" / "reference.docx").read_bytes()


def test_html_pages_say_their_language_and_print_like_the_word_document():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from mchanalysis.report.html_page import export_notebook_html, standalone_page

    nb = new_notebook(
        cells=[new_code_cell("y", outputs=[new_output("display_data", data={"text/html": "<p>正文</p>"})])]
    )
    assert '<html lang="zh-CN">' in export_notebook_html(nb, title="t", lang="zh")
    assert '<html lang="en">' in export_notebook_html(nb, title="t", lang="en")
    page = standalone_page("<p>x</p>", title="t", lang="zh")
    assert '<html lang="zh-CN">' in page
    for rule in (
        "margin: 37mm 26mm 35mm 28mm",
        "font-size: 16pt; line-height: 28.95pt",
        'counter(page) " —"',
        "thead { display: table-header-group; }",
        'content: "图" counter(mch-figure)',
    ):
        assert rule in page, rule
    assert "break-before: page" not in page
    assert '<body class="mch-report">' in page  # the print rules apply to it


def test_the_archive_is_normalise_zip_of_python_docxs_save():
    # the document's parts go to the normaliser directly (deflated once); the peer is
    # python-docx's own save followed by normalise_zip
    import io as _io

    import numpy as np

    from mchanalysis.archive import normalise_zip
    from mchanalysis.plots import png_bytes
    from mchanalysis.report.docx import _package_bytes, reference_path

    picture = png_bytes(np.full((40, 60, 3), 200, np.uint8), dpi=300)

    def build():
        doc = Document(str(reference_path()))
        doc.add_paragraph("孕产妇死亡率")
        doc.add_picture(_io.BytesIO(picture))
        doc.core_properties.title = "示例"
        return doc

    saved = _io.BytesIO()
    build().save(saved)
    got = _package_bytes(build())
    assert got == normalise_zip(saved.getvalue())
    names = zipfile.ZipFile(_io.BytesIO(got)).namelist()
    assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert any(n.startswith("word/media/") for n in names)
